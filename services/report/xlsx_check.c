/*  xlsx_check: what the workbook would hold, checked against Excel's limits before a file is
 *  made, and every cell's write checked while it is made.
 *
 *  Excel opens at most 1,048,576 rows (header included) and 16,384 columns a sheet, and
 *  32,767 characters a cell (Microsoft, "Excel specifications and limits"). libxlsxwriter
 *  refuses a cell beyond them with a return code and writes the rest: a workbook without
 *  the rows past the limit, or without a long text, reported as success. So:
 *
 *    refuse, do not split. A sheet over the limit refuses the XLSX file with -EFBIG and a
 *    message from the catalogue (report's language) naming the sheet, its rows with the
 *    header and the limit, and pointing to the CSV and JSON files, which hold every row.
 *    Splitting into "Bijlage trajecten (2)" was considered: pandas (to_excel raises "This
 *    sheet is too large"), openpyxl and libxlsxwriter itself refuse rather than split, and
 *    a split sheet reads as whole to a formula, a pivot table or a script that takes the
 *    sheet by name, which then counts only part of the rows: a wrong figure that looks
 *    right. A municipality's year has thousands of tenders, not a million; a report that
 *    reaches the limit is a fault somewhere else, and a refusal says so.
 *
 *  The counts mirror the sheet writers of xlsx.c and xlsx_bench.c; a drift between the two
 *  is still caught: every worksheet_write_* result goes through rp_xlsx_note(), and the
 *  first failure refuses the file (the same -EFBIG for a cell out of range or too long,
 *  -EIO otherwise), naming the sheet and the cell.
 */
#include <errno.h>
#include <string.h>

#include "mvoi_id.h"
#include "xlsx_int.h"

static const rp_xlsx_limits_t s_excel = { RP_XLSX_ROWS_MAX, RP_XLSX_COLS_MAX, RP_XLSX_CELL_MAX };
static rp_xlsx_limits_t s_lim = { RP_XLSX_ROWS_MAX, RP_XLSX_COLS_MAX, RP_XLSX_CELL_MAX };

void rp_xlsx_set_limits(const rp_xlsx_limits_t *lim)
{
    s_lim = lim ? *lim : s_excel;
}

const rp_xlsx_limits_t *rp_xlsx_limits(void)
{
    return &s_lim;
}

/* The rows and columns each sheet of xlsx.c gets (index 0 is the header row). */
void rp_xlsx_sheet_sizes(const rp_report_t *r, rp_xlsx_size_t sz[RP_XLSX_NSHEETS])
{
    const rp_input_t *in = r->in;
    uint64_t all = 0;
    for (int k = 1; k < RP_NKPI; k++)
        all += in->contrib_total[k];
    /* KPIs: 6 measures of 6 KPIs, then a blank row, the provisional line, the empty line,
     * the legend line (s_sheet_kpis writes them at fixed places after the figures) */
    sz[0] = (rp_xlsx_size_t){ "report.sheet.kpis", 1 + 36 + 4, 12 };
    sz[1] = (rp_xlsx_size_t){ "report.sheet.themes", 1 + 6, 14 };
    sz[2] = (rp_xlsx_size_t){ "report.sheet.trend", 1 + 6 * 8, 7 };
    sz[3] = (rp_xlsx_size_t){ "report.sheet.sroi", 1 + (uint64_t)r->ncontracts, 6 };
    sz[4] = (rp_xlsx_size_t){ "report.sheet.annex", 1 + (uint64_t)r->nannex, 21 };
    /* sources: a list cut short has a blank row and the line that says so under it */
    sz[5] = (rp_xlsx_size_t){ "report.sheet.sources",
                              1 + (uint64_t)in->ncontribs + (all > in->ncontribs ? 2 : 0), 7 };
}

static void s_n(const rp_report_t *r, char *buf, size_t cap, uint64_t n)
{
    rp_num(buf, cap, (int64_t)n, 0, 0, rp_style_text(r->in->lang));
}

/* Characters (not bytes) of a UTF-8 text: Excel's cell limit counts characters. */
static size_t s_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* A text from outside: UTF-8 (libxlsxwriter writes other bytes into its XML as they are,
 * a file no spreadsheet opens: -EILSEQ) and within the cell limit (-EFBIG). */
static int s_text(const rp_report_t *r, const char *sheet, uint64_t row, const char *s,
                  char *why, size_t cap)
{
    size_t len = strlen(s);
    if (mvoi_utf8_valid_prefix((const uint8_t *)s, len) != len) {
        if (why)
            snprintf(why, cap, rp_t(r, "report.err.xlsx_utf8"), rp_t(r, sheet));
        return -EILSEQ;
    }
    size_t n = s_chars(s);
    if (n <= s_lim.cell)
        return 0;
    if (why) {
        char rb[32], nb[32], lb[32];
        s_n(r, rb, sizeof rb, row + 1);
        s_n(r, nb, sizeof nb, n);
        s_n(r, lb, sizeof lb, s_lim.cell);
        snprintf(why, cap, rp_t(r, "report.err.xlsx_cell"), rp_t(r, sheet), rb, nb, lb);
    }
    return -EFBIG;
}

/* Every text from outside (ids, titles, groups, dates), in the sheet and row it goes to. */
static int s_texts(const rp_report_t *r, char *why, size_t cap)
{
    const rp_input_t *in = r->in;
    int rc = 0;
    for (size_t i = 0; i < r->ncontracts && !rc; i++) {
        const rp_contract_t *c = &r->contracts[i];
        rc = s_text(r, "report.sheet.sroi", i + 1, c->tender, why, cap);
        if (!rc && c->t)
            rc = s_text(r, "report.sheet.sroi", i + 1, c->t->title, why, cap);
    }
    for (size_t i = 0; i < r->nannex && !rc; i++) {
        const rp_tender_t *t = r->annex[i].t;
        const char *f[] = { t->id, t->title, t->group, t->planned };
        for (int j = 0; j < 4 && !rc; j++)
            rc = s_text(r, "report.sheet.annex", i + 1, f[j], why, cap);
    }
    for (size_t i = 0; i < in->ncontribs && !rc; i++) {
        rc = s_text(r, "report.sheet.sources", i + 1, in->contribs[i].measurement, why, cap);
        if (!rc)
            rc = s_text(r, "report.sheet.sources", i + 1, in->contribs[i].tender, why, cap);
    }
    return rc;
}

int rp_xlsx_check_sizes(const rp_report_t *r, char *why, size_t cap)
{
    rp_xlsx_size_t sz[RP_XLSX_NSHEETS];
    rp_xlsx_sheet_sizes(r, sz);
    for (int i = 0; i < RP_XLSX_NSHEETS; i++) {
        bool rows = sz[i].rows > s_lim.rows;
        if (!rows && sz[i].cols <= s_lim.cols)
            continue;
        if (why) {
            char nb[32], lb[32];
            s_n(r, nb, sizeof nb, rows ? sz[i].rows : sz[i].cols);
            s_n(r, lb, sizeof lb, rows ? s_lim.rows : s_lim.cols);
            snprintf(why, cap, rp_t(r, rows ? "report.err.xlsx_rows" : "report.err.xlsx_cols"),
                     rp_t(r, sz[i].sheet), nb, lb);
        }
        return -EFBIG;
    }
    return 0;
}

int rp_xlsx_check(const rp_report_t *r, char *why, size_t cap)
{
    int rc = rp_xlsx_check_sizes(r, why, cap);
    return rc ? rc : s_texts(r, why, cap);
}

/* ------------------------------------------------------------------ every write */

/* The first failed write of the render on this thread (renders run on libuv's pool). */
static _Thread_local struct {
    lxw_error err;
    char sheet[LXW_MAX_SHEETNAME_LENGTH];
    lxw_row_t row;
    lxw_col_t col;
} s_fail;

void rp_xlsx_note_reset(void)
{
    memset(&s_fail, 0, sizeof s_fail);
}

lxw_error rp_xlsx_note(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, lxw_error rc)
{
    if (rc != LXW_NO_ERROR && s_fail.err == LXW_NO_ERROR) {
        s_fail.err = rc;
        snprintf(s_fail.sheet, sizeof s_fail.sheet, "%s", ws && ws->name ? ws->name : "?");
        s_fail.row = row;
        s_fail.col = col;
    }
    return rc;
}

int rp_xlsx_note_result(const rp_report_t *r, char *why, size_t cap)
{
    if (s_fail.err == LXW_NO_ERROR)
        return 0;
    if (why) {
        char cell[16];
        lxw_rowcol_to_cell(cell, s_fail.row, s_fail.col);
        snprintf(why, cap, rp_t(r, "report.err.xlsx_write"), s_fail.sheet, cell,
                 lxw_strerror(s_fail.err));
    }
    bool limit = s_fail.err == LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE ||
                 s_fail.err == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED;
    return limit ? -EFBIG : -EIO;
}
