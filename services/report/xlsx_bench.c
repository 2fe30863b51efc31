/*  xlsx_bench: the annual report's benchmark sheet: one row per KPI and normalisation with
 *  the buyer's own figure, and the anonymous quartiles and its percentile only where at least
 *  k buyers contribute, of one normalisation per KPI (common/bm hands out nothing else; the
 *  others are "withheld" with the own value only). Headers, KPIs and normalisations in the
 *  report's language, as the other sheets; the machine names in the last columns (status,
 *  kpi_code, normalisation_code), statuses by name (bm_status_name), never by indexing an
 *  array with the enum. Numbers as numbers. */
#include <stdio.h>
#include <xlsxwriter.h>

#include "xlsx_int.h"

void rp_xlsx_bench(lxw_workbook *wb, const rp_report_t *r, lxw_format *bold)
{
    const rp_input_t *in = r->in;
    if (!in->bench || in->quarter != 0)
        return;
    lxw_worksheet *ws = workbook_add_worksheet(wb, rp_t(r, "bench.title"));
    if (!ws) {   /* a sheet that is not there fails the file, never a workbook without it */
        rp_xlsx_note(NULL, 0, 0, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    static const char *const hdr[] = { "kpi", "norm", "unit", "status", "value", "count", "q1",
                                       "median", "q3", "percentile", "quartile", "sentence",
                                       "kpi_code", "norm_code" };
    for (int c = 0; c < 14; c++) {
        char key[48];
        snprintf(key, sizeof key, "bench.col.%s", hdr[c]);
        RP_XW_STR(ws, 0, (lxw_col_t)c, text_has(key) ? rp_t(r, key) : hdr[c],
                  bold);
    }
    lxw_row_t row = 1;
    char buf[512];
    /* the KPIs, then the share of tenders with an ambition and the level per theme */
    for (int k = 1; k <= BM_MEASURES; k++)
        for (int n = 0; n < BM_NORMS; n++) {
            bm_pos_t p;
            if (!bm_kpi_has_norm(k, (bm_norm_t)n) ||
                bm_position(in->bench, in->buyer, k, in->year, (bm_norm_t)n, &p) != 0)
                continue;
            char key[48];
            snprintf(key, sizeof key, "bench.norm.%s", bm_norm_name((bm_norm_t)n));
            RP_XW_STR(ws, row, 0, bm_kpi_label(k, in->lang, buf, sizeof buf), NULL);
            RP_XW_STR(ws, row, 1, rp_t(r, key), NULL);
            RP_XW_STR(ws, row, 12, bm_kpi_name(k), NULL);
            RP_XW_STR(ws, row, 13, bm_norm_name((bm_norm_t)n), NULL);
            RP_XW_STR(ws, row, 2, bm_unit_label(k, (bm_norm_t)n, in->lang, buf,
                                                sizeof buf), NULL);
            RP_XW_STR(ws, row, 3, bm_status_name(p.status), NULL);
            if (p.has_value)
                RP_XW_NUM(ws, row, 4, p.value, NULL);
            if (p.status == BM_OK) {
                RP_XW_NUM(ws, row, 5, p.count, NULL);
                RP_XW_NUM(ws, row, 6, p.q1, NULL);
                RP_XW_NUM(ws, row, 7, p.median, NULL);
                RP_XW_NUM(ws, row, 8, p.q3, NULL);
                RP_XW_NUM(ws, row, 9, p.percentile, NULL);
                RP_XW_NUM(ws, row, 10, p.quartile, NULL);
            }
            RP_XW_STR(ws, row, 11, bm_sentence(in->bench, in->buyer, k,
                                               (bm_norm_t)n, &p, in->lang, buf,
                                               sizeof buf), NULL);
            row++;
        }
}
