/*  xlsx: the report's numbers as a workbook (libxlsxwriter, write-only).
 *
 *  Every figure is a numeric cell in the shown unit (kg, €...) with a number format of
 *  the unit's decimals, and next to it the exact raw integer. Sheets: KPIs, themes, trend,
 *  SROI per contract, annex (tenders), sources (the measurements behind the totals).
 *  Every text cell is in the report's language (KPI, measure, unit, theme, status, kind,
 *  procedure, commitment: "Vermeden CO2", "Realisatie", "€", "eis"); the KPI sheet and the
 *  annex keep the machine codes in their last columns, the CSV and JSON files throughout.
 *  A figure nobody measured is "–" (rp_unmeasured; the legend under the KPI sheet). A sheet
 *  Excel could not hold refuses the file by name before it is made, and every cell write is
 *  checked (xlsx_check.c): never a workbook without its last rows.
 */
#include <errno.h>
#include <string.h>
#include <xlsxwriter.h>

#include "xlsx_int.h"

#define T(key) rp_t(r, key)

/* A column header in the report's language ("report.col.<name>" in the catalogue); the
 * machine name stays in the JSON and CSV files. */
static void s_hdr(lxw_worksheet *ws, const rp_report_t *r, lxw_col_t c, const char *name,
                  lxw_format *bold)
{
    char key[64];
    snprintf(key, sizeof key, "report.xcol.%s", name);
    RP_XW_STR(ws, 0, c, text_has(key) ? rp_t(r, key) : name, bold);
}

static double s_shown(int kpi, int64_t raw)
{
    const rp_kpi_info_t *k = rp_kpi_info(kpi);
    double d = 1;
    for (int i = 0; k && i < k->scale; i++)
        d *= 10;
    return (double)raw / d;
}

typedef struct {
    lxw_format *bold, *fmt[RP_NKPI], *integer;
} s_fmts_t;

/* A figure nobody measured (rp_unmeasured, an unknown value or obligation): "–" in the
 * shown cell, the raw cell blank; never a 0 a formula would add up. As a target without a
 * figure; the legend under the KPI sheet says what it means. */
static void s_dash(lxw_worksheet *ws, int row, int col)
{
    RP_XW_STR(ws, row, col, "–", NULL);
}

static void s_fig(lxw_worksheet *ws, const s_fmts_t *f, int row, int col, int kpi, int64_t raw)
{
    RP_XW_NUM(ws, (lxw_row_t)row, (lxw_col_t)col, s_shown(kpi, raw),
              kpi ? f->fmt[kpi] : f->integer);
    RP_XW_NUM(ws, (lxw_row_t)row, (lxw_col_t)(col + 1), (double)raw, f->integer);
}

static const char *s_kpi_label(const rp_report_t *r, int k)
{
    static const char *keys[] = { NULL, "kpi.fairtrade", "kpi.sroi", "kpi.nox",
                                  "kpi.material", "kpi.co2", "kpi.pilots" };
    return k >= 1 && k < RP_NKPI ? T(keys[k]) : "";
}

/* the unit a reader sees: "kg", "€", "producten", "pilots" */
static const char *s_unit_label(const rp_report_t *r, int k)
{
    static const char *keys[] = { NULL, "report.unit.products", "report.unit.eur",
                                  "report.unit.kg", "report.unit.kg", "report.unit.kg",
                                  "report.unit.pilots" };
    return k >= 1 && k < RP_NKPI ? T(keys[k]) : T("report.unit.projects");
}

/* an enum value in words, from "report.<group>.<name>" */
static const char *s_words(const rp_report_t *r, const char *group, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "report.%s.%s", group, name);
    return text_has(key) ? T(key) : name;
}

/* The KPIs sheet. */
static void s_sheet_kpis(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.kpis"));
    const char *hdr[] = { "kpi", "measure", "unit", "period", "period_raw", "ytd", "ytd_raw",
                          "previous_year", "previous_year_raw", "raw_unit", "kpi_code",
                          "measure_code" };
    for (int c = 0; c < 12; c++)
        s_hdr(ws, r, (lxw_col_t)c, hdr[c], f->bold);
    worksheet_set_column(ws, 0, 0, 34, NULL);
    worksheet_set_column(ws, 1, 9, 16, NULL);
    int row = 1;
    static const char *mnames[] = { "ambition", "realisation", "projects", "target",
                                    "denominator", "count" };
    static const char *mkeys[] = { "kpi.ambition", "kpi.realisation", "kpi.projects",
                                   "kpi.target", "report.label.denominator", "report.label.count" };
    for (int k = 1; k < RP_NKPI; k++)
        for (int m = 0; m < 6; m++) {
            bool qty = m == 0 || m == 1 || m == 3;
            RP_XW_STR(ws, (lxw_row_t)row, 0, s_kpi_label(r, k), NULL);
            /* the denominator is fair trade's (products in risk categories); elsewhere "–" */
            RP_XW_STR(ws, (lxw_row_t)row, 1,
                      T(m == 4 && k != 1 ? "report.label.denominator_none"
                        : k == 2 && m == 3 ? "report.label.sroi_target"
                                           : mkeys[m]), NULL);
            RP_XW_STR(ws, (lxw_row_t)row, 2,
                      qty ? s_unit_label(r, k)
                          : m == 4 ? s_unit_label(r, 1) : T("report.unit.count"),
                      NULL);
            for (int c = 0; c < RP_NCOL; c++) {
                const rp_val_t *v = &r->kpi[k][c];
                int64_t x = m == 0 ? v->ambition : m == 1 ? v->realisation : m == 2 ? v->projects
                          : m == 3 ? v->target : m == 4 ? v->denominator : v->count;
                bool none = m == 3 ? r->target_na[k][c]   /* no figure on the basis */
                          : m == 4 ? rp_denominator_na(k) || rp_unmeasured(k, v, x)
                          : m <= 1 && rp_unmeasured(k, v, x);   /* nothing measured */
                if (none)
                    s_dash(ws, row, 3 + c * 2);
                else
                    s_fig(ws, f, row, 3 + c * 2, qty ? k : 0, x);
            }
            RP_XW_STR(ws, (lxw_row_t)row, 9,
                      qty ? s_words(r, "rawunit", rp_kpi_info(k)->unit_raw)
                          : T("report.unit.count"), NULL);
            /* the machine names, for formulas and scripts */
            RP_XW_STR(ws, (lxw_row_t)row, 10, rp_kpi_info(k)->name, NULL);
            RP_XW_STR(ws, (lxw_row_t)row, 11, mnames[m], NULL);
            row++;
        }
    if (r->provisional)   /* where the reader of the figures looks, not only in File > Info */
        RP_XW_STR(ws, (lxw_row_t)row + 1, 0, T("report.label.provisional_sheet"),
                  f->bold);
    if (r->empty)         /* its zeros are no result */
        RP_XW_STR(ws, (lxw_row_t)row + 2, 0, T("report.notice.empty"), f->bold);
    RP_XW_STR(ws, (lxw_row_t)row + 3, 0, T("report.text.dash"), NULL);   /* the legend */
}

/* An ambition level (1-4), or the words the HTML shows for a year without one: a 0 read as
 * a level below the lowest. */
static void s_level(lxw_worksheet *ws, const rp_report_t *r, int row, int col, int lv)
{
    if (lv)
        RP_XW_NUM(ws, (lxw_row_t)row, (lxw_col_t)col, lv, NULL);
    else
        RP_XW_STR(ws, (lxw_row_t)row, (lxw_col_t)col, T("report.level.unset"), NULL);
}

/* The Themes sheet. */
static void s_sheet_themes(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.themes"));
    const char *th_hdr[] = { "theme", "kpi", "unit", "ambition", "ambition_raw", "realisation",
                             "realisation_raw", "level_2023", "level_year", "level_2027",
                             "in_scope", "committed", "innovation", "status" };
    for (int c = 0; c < 14; c++)
        s_hdr(ws, r, (lxw_col_t)c, th_hdr[c], f->bold);
    for (int th = 1; th < RP_NTHEME; th++) {
        const rp_theme_row_t *t = &r->themes[th];
        RP_XW_STR(ws, (lxw_row_t)th, 0, s_words(r, "theme", rp_theme_name(th)), NULL);
        RP_XW_STR(ws, (lxw_row_t)th, 1, s_kpi_label(r, t->kpi), NULL);
        RP_XW_STR(ws, (lxw_row_t)th, 2, s_unit_label(r, t->kpi), NULL);
        if (rp_unmeasured(t->kpi, &t->ytd, t->ytd.ambition))
            s_dash(ws, th, 3);
        else
            s_fig(ws, f, th, 3, t->kpi, t->ytd.ambition);
        if (rp_unmeasured(t->kpi, &t->ytd, t->ytd.realisation))
            s_dash(ws, th, 5);
        else
            s_fig(ws, f, th, 5, t->kpi, t->ytd.realisation);
        s_level(ws, r, th, 7, t->level_baseline);
        s_level(ws, r, th, 8, t->level_year);
        s_level(ws, r, th, 9, t->level_goal);
        RP_XW_NUM(ws, (lxw_row_t)th, 10, t->in_scope, NULL);
        RP_XW_NUM(ws, (lxw_row_t)th, 11, t->committed, NULL);
        RP_XW_NUM(ws, (lxw_row_t)th, 12, t->innovation, NULL);
        RP_XW_STR(ws, (lxw_row_t)th, 13, T(rp_status_key(t->status)), NULL);
    }
}

/* The Trend sheet. */
static void s_sheet_trend(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    const rp_input_t *in = r->in;
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.trend"));
    const char *tr_hdr[] = { "kpi", "year", "quarter", "ambition", "ambition_raw",
                             "realisation", "realisation_raw" };
    for (int c = 0; c < 7; c++)
        s_hdr(ws, r, (lxw_col_t)c, tr_hdr[c], f->bold);
    int row = 1;
    for (int k = 1; k < RP_NKPI; k++)
        for (int i = 0; i < 8; i++, row++) {
            RP_XW_STR(ws, (lxw_row_t)row, 0, s_kpi_label(r, k), NULL);
            RP_XW_NUM(ws, (lxw_row_t)row, 1, in->year - 1 + (uint32_t)(i / 4), NULL);
            RP_XW_NUM(ws, (lxw_row_t)row, 2, i % 4 + 1, NULL);
            const rp_val_t *v = &in->series[k][i];
            if (rp_unmeasured(k, v, v->ambition))
                s_dash(ws, row, 3);
            else
                s_fig(ws, f, row, 3, k, v->ambition);
            if (rp_unmeasured(k, v, v->realisation))
                s_dash(ws, row, 5);
            else
                s_fig(ws, f, row, 5, k, v->realisation);
        }
}

/* The SROI per contract sheet. */
static void s_sheet_sroi(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.sroi"));
    const char *sr_hdr[] = { "tender", "title", "obligation_eur", "obligation_cents",
                             "realised_eur", "realised_cents" };
    for (int c = 0; c < 6; c++)
        s_hdr(ws, r, (lxw_col_t)c, sr_hdr[c], f->bold);
    for (size_t i = 0; i < r->ncontracts; i++) {
        const rp_contract_t *c = &r->contracts[i];
        RP_XW_STR(ws, (lxw_row_t)(i + 1), 0, c->tender, NULL);
        RP_XW_STR(ws, (lxw_row_t)(i + 1), 1, c->t ? c->t->title : "", NULL);
        /* an obligation the calendar does not know, a realisation nobody reported: "–" */
        if (c->obligation > 0)
            s_fig(ws, f, (int)i + 1, 2, 2, c->obligation);
        else
            s_dash(ws, (int)i + 1, 2);
        if (c->realised_count == 0 && c->realised == 0)
            s_dash(ws, (int)i + 1, 4);
        else
            s_fig(ws, f, (int)i + 1, 4, 2, c->realised);
    }
}

/* The Annex sheet. */
static void s_sheet_annex(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.annex"));
    const char *an_hdr[] = { "tender", "title", "group", "planned_publication", "kind",
                             "procedure", "status", "value_eur", "value_cents", "pilot",
                             "sroi_pct_bp", "themes", "fairtrade", "sroi_cents", "nox_mg",
                             "material_g", "co2_g", "pilots", "kind_code", "procedure_code",
                             "status_code" };
    for (int c = 0; c < 21; c++)
        s_hdr(ws, r, (lxw_col_t)c, an_hdr[c], f->bold);
    for (size_t i = 0; i < r->nannex; i++) {
        const rp_tender_t *t = r->annex[i].t;
        lxw_row_t rr = (lxw_row_t)(i + 1);
        RP_XW_STR(ws, rr, 0, t->id, NULL);
        RP_XW_STR(ws, rr, 1, t->title, NULL);
        RP_XW_STR(ws, rr, 2, t->group, NULL);
        RP_XW_STR(ws, rr, 3, t->planned, NULL);
        RP_XW_STR(ws, rr, 4, s_words(r, "kind", rp_enum_name('k', t->kind)), NULL);
        RP_XW_STR(ws, rr, 5, s_words(r, "procedure", rp_enum_name('p', t->procedure)), NULL);
        RP_XW_STR(ws, rr, 6, s_words(r, "tstatus", rp_enum_name('s', t->status)), NULL);
        RP_XW_STR(ws, rr, 18, rp_enum_name('k', t->kind), NULL);
        RP_XW_STR(ws, rr, 19, rp_enum_name('p', t->procedure), NULL);
        RP_XW_STR(ws, rr, 20, rp_enum_name('s', t->status), NULL);
        if (t->value_unknown)   /* no estimated value in the calendar */
            s_dash(ws, (int)i + 1, 7);
        else
            s_fig(ws, f, (int)i + 1, 7, 2, t->value_cents);
        RP_XW_STR(ws, rr, 9, T(t->pilot ? "report.label.yes" : "report.label.no"), NULL);
        RP_XW_NUM(ws, rr, 10, t->sroi_bp, NULL);
        /* at most 8 x ("Internationale Sociale Voorwaarden (gunningscriterium)", ~60 bytes):
         * always fits */
        char th[1024] = "";
        size_t n = 0;
        for (int j = 0; j < t->nthemes && j < 8; j++)
            n += (size_t)snprintf(th + n, sizeof th - n, "%s%s (%s)", j ? ", " : "",
                                  rp_theme_name(t->themes[j].theme)
                                      ? s_words(r, "theme", rp_theme_name(t->themes[j].theme)) : "?",
                                  s_words(r, "commit", rp_enum_name('c', t->themes[j].commitment)));
        RP_XW_STR(ws, rr, 11, th, NULL);
        for (int k = 1; k < RP_NKPI; k++)
            if (r->annex[i].count[k])
                RP_XW_NUM(ws, rr, (lxw_col_t)(11 + k),
                          (double)r->annex[i].realisation[k], f->integer);
    }
}

/* The Sources sheet. */
static void s_sheet_sources(lxw_workbook *wb, const rp_report_t *r, const s_fmts_t *f)
{
    const rp_input_t *in = r->in;
    lxw_worksheet *ws = workbook_add_worksheet(wb, T("report.sheet.sources"));
    const char *so_hdr[] = { "kpi", "measurement", "tender", "revision", "ambition_raw",
                             "realisation_raw", "raw_unit" };
    for (int c = 0; c < 7; c++)
        s_hdr(ws, r, (lxw_col_t)c, so_hdr[c], f->bold);
    for (size_t i = 0; i < in->ncontribs; i++) {
        const rp_contrib_t *c = &in->contribs[i];
        lxw_row_t rr = (lxw_row_t)(i + 1);
        RP_XW_STR(ws, rr, 0, s_kpi_label(r, c->kpi), NULL);
        RP_XW_STR(ws, rr, 1, c->measurement, NULL);
        RP_XW_STR(ws, rr, 2, c->tender, NULL);
        RP_XW_NUM(ws, rr, 3, c->revision, NULL);
        RP_XW_NUM(ws, rr, 4, (double)c->ambition, f->integer);
        RP_XW_NUM(ws, rr, 5, (double)c->realisation, f->integer);
        /* the rows mix mg, g, cents and products: each says its unit, as on the KPI sheet */
        const rp_kpi_info_t *ki = rp_kpi_info(c->kpi);
        RP_XW_STR(ws, rr, 6, ki ? s_words(r, "rawunit", ki->unit_raw) : "", NULL);
    }
    /* gather.c lists at most sources_max measurements: a list cut short says so under it,
     * or its rows read as all the measurements behind the totals */
    uint64_t all = 0;
    for (int k = 1; k < RP_NKPI; k++)
        all += in->contrib_total[k];
    if (all > in->ncontribs) {
        char n[32], of[32], line[512];
        rp_num(n, sizeof n, (int64_t)in->ncontribs, 0, 0, rp_style_text(in->lang));
        rp_num(of, sizeof of, (int64_t)all, 0, 0, rp_style_text(in->lang));
        snprintf(line, sizeof line, T("report.notice.sources_cut"), n, of);
        RP_XW_STR(ws, (lxw_row_t)(in->ncontribs + 2), 0, line, f->bold);
    }
}

int rp_render_xlsx(const rp_report_t *r, const char *path)
{
    return rp_render_xlsx_why(r, path, NULL, 0);
}

/* Refused before a file is made when a sheet would pass Excel's limits or a text cannot be
 * written (xlsx_check.c); a cell libxlsxwriter still refuses fails the file after it. */
int rp_render_xlsx_why(const rp_report_t *r, const char *path, char *why, size_t cap)
{
    int rc = rp_xlsx_check(r, why, cap);
    if (rc != 0)
        return rc;
    rp_xlsx_note_reset();
    lxw_workbook_options wo = { .constant_memory = LXW_FALSE, .tmpdir = NULL };
    lxw_workbook *wb = workbook_new_opt(path, &wo);
    if (!wb)
        return -EIO;
    s_fmts_t f;
    f.bold = workbook_add_format(wb);
    format_set_bold(f.bold);
    f.integer = workbook_add_format(wb);
    format_set_num_format(f.integer, "#,##0");
    for (int k = 1; k < RP_NKPI; k++) {
        f.fmt[k] = workbook_add_format(wb);
        int dec = rp_kpi_info(k)->decimals;
        /* money with the euro sign in front, as a Dutch reader writes it */
        format_set_num_format(f.fmt[k], k == 2 ? "\"€\" #,##0.00" : dec == 0 ? "#,##0"
                                        : dec == 2 ? "#,##0.00" : "#,##0.000");
    }
    /* A period that has not ended: its figures can still move (the HTML's "Voorlopig") */
    lxw_doc_properties props = { .status = (char *)T(r->provisional
                                                   ? "report.label.provisional"
                                                   : "report.label.final") };
    workbook_set_properties(wb, &props);
    s_sheet_kpis(wb, r, &f);
    s_sheet_themes(wb, r, &f);
    s_sheet_trend(wb, r, &f);
    s_sheet_sroi(wb, r, &f);
    s_sheet_annex(wb, r, &f);
    s_sheet_sources(wb, r, &f);
    rp_xlsx_bench(wb, r, f.bold);   /* xlsx_bench.c: the annual report's benchmark sheet */
    rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : -EIO;
    int wrc = rp_xlsx_note_result(r, why, cap);
    if (wrc != 0) {   /* a cell is missing: no file */
        remove(path);
        return wrc;
    }
    return rc;
}
