/*  report workbook against Excel's limits (xlsx_check.c): a sheet Excel cannot hold is
 *  refused by name (-EFBIG, the sheet, its rows with the header and the limit, in the
 *  report's language), no file is left; one that fits is written whole. Excel's own
 *  boundary (1,048,576 rows with the header) on the count check alone; the whole workbook
 *  with limits lowered through the internal hook (rp_xlsx_set_limits). Expected counts are
 *  worked out here: header + rows (+ the two lines under a cut sources list).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "report.pb-c.h"
#include "xlsx_int.h"

static void s_in(rp_input_t *in, const char *buyer, text_lang_t lang)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "%s", buyer);
    in->year = 2026;
    in->quarter = 1;
    in->lang = lang;
    in->generated_ms = 1798758000000LL + 86400000LL * 40;   /* February 2027: all ended */
}

/* n (< 84) tenders "T-<i>" planned in 2026 Q1 (the annex of a Q1 report) */
static void s_tenders(rp_input_t *in, int n)
{
    for (int i = 0; i < n; i++) {
        rp_tender_t *t = rp_input_add_tender(in);
        snprintf(t->id, sizeof t->id, "T-%d", i + 1);
        snprintf(t->title, sizeof t->title, "Traject %d", i + 1);
        /* one day each from 1 January on: the annex (by date) lists them in order */
        snprintf(t->planned, sizeof t->planned, "2026-%02u-%02u", (unsigned)(i / 28) % 12u + 1u,
                 (unsigned)i % 28u + 1u);   /* bounded: the compiler sees 10 characters */
        t->value_cents = 100 * (i + 1);
        t->status = 4;
    }
}

static char *s_cells(const char *path, int sheet)
{
    char dir[512], cmd[1200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/xlsx_cells.py' '%s' %d", dir, path, sheet);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char line[2048];
    while (fgets(line, sizeof line, p))
        fputs(line, m);
    fclose(m);
    cr_assert_eq(pclose(p), 0, "xlsx_cells.py failed");
    return buf;
}

static void s_restore(void) { rp_xlsx_set_limits(NULL); }

/* Excel's boundary on the counts alone (no rows are read): the annex sheet has a header
 * row, so 1,048,575 tenders are 1,048,576 rows and fit; 1,048,576 tenders do not. */
Test(xlsx_limits, excel_row_boundary_exactly, .fini = s_restore)
{
    rp_xlsx_set_limits(NULL);
    cr_assert_eq(rp_xlsx_limits()->rows, 1048576u);
    rp_input_t in;
    s_in(&in, "heerlen", TEXT_NL);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    rp_annex_row_t *keep = r.annex;
    r.annex = NULL;   /* the count check reads nannex only */
    char why[1024] = "";
    r.nannex = 1048575;
    cr_expect_eq(rp_xlsx_check_sizes(&r, why, sizeof why), 0, "%s", why);
    r.nannex = 1048576;
    cr_expect_eq(rp_xlsx_check_sizes(&r, why, sizeof why), -EFBIG);
    cr_expect(strstr(why, "'Bijlage trajecten'") && strstr(why, "1.048.577 rijen") &&
              strstr(why, "hoogstens 1.048.576"), "%s", why);
    /* the same boundary on the SROI sheet, in English */
    in.lang = TEXT_EN;
    r.nannex = 0;
    r.ncontracts = 1048575;
    cr_expect_eq(rp_xlsx_check_sizes(&r, why, sizeof why), 0, "%s", why);
    r.ncontracts = 1048576;
    cr_expect_eq(rp_xlsx_check_sizes(&r, why, sizeof why), -EFBIG);
    cr_expect(strstr(why, "sheet 'SROI per contract' would have 1,048,577 rows") &&
              strstr(why, "at most 1,048,576"), "%s", why);
    r.ncontracts = 0;
    r.annex = keep;
    rp_model_free(&r);
    rp_input_free(&in);
}

/* The limit lowered to 50 rows (the fixed sheets have up to 49: trend, 6 KPIs x 8
 * quarters and the header): 49 tenders (50 rows with the header) are written whole, the
 * last one in row 50; 50 tenders are refused by name and no file is made. Two buyers with
 * the same tender ids: each is judged on its own rows. */
Test(xlsx_limits, annex_over_the_limit_is_refused_not_cut, .fini = s_restore)
{
    rp_xlsx_limits_t lim = { 50, RP_XLSX_COLS_MAX, RP_XLSX_CELL_MAX };
    rp_xlsx_set_limits(&lim);
    const char *buyers[] = { "heerlen", "kerkrade" };
    const int ntend[] = { 49, 50 };
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_in(&in, buyers[b], TEXT_NL);
        s_tenders(&in, ntend[b]);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        cr_assert_eq(r.nannex, (size_t)ntend[b]);
        char dir[] = "/tmp/mvoi-xlim-XXXXXX";
        cr_assert(mkdtemp(dir));
        char path[64], why[1024] = "";
        snprintf(path, sizeof path, "%s/r.xlsx", dir);
        int rc = rp_render_xlsx_why(&r, path, why, sizeof why);
        if (b == 0) {
            cr_assert_eq(rc, 0, "%s", why);
            char *cells = s_cells(path, 5);   /* KPIs, themes, trend, SROI, annex */
            cr_expect(strstr(cells, "A50\ts\tT-49\n"), "%s", cells);
            cr_expect(!strstr(cells, "A51\t"), "%s", cells);
            free(cells);
            unlink(path);
        } else {
            cr_expect_eq(rc, -EFBIG);
            cr_expect_str_eq(why, "Het Excel-bestand is geweigerd: het werkblad 'Bijlage "
                             "trajecten' zou 51 rijen krijgen (kopregel meegeteld), Excel "
                             "opent er hoogstens 50 en zou de rest weglaten. Vraag dit rapport "
                             "op als CSV of JSON: die bevatten alle rijen.");
            cr_expect_neq(access(path, F_OK), 0, "a workbook was made");
            /* the other formats still hold every row */
            char *csv = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&csv, &len);
            cr_assert_eq(rp_render_csv(&r, f, false), 0);
            fclose(f);
            cr_expect(strstr(csv, "annex,,,T-50,2026-q1,value,50.00,EUR,5000,cent\r\n"), "%s",
                      csv);
            free(csv);
            /* through rp_render_file (the service's path): the reason comes back, no file */
            snprintf(path, sizeof path, "%s/r2.xlsx", dir);
            why[0] = 0;
            cr_expect_eq(rp_render_file(&r, MVOI__REPORT_FORMAT__FMT_XLSX, path, why,
                                        sizeof why), -EFBIG);
            cr_expect(strstr(why, "51 rijen"), "%s", why);
            cr_expect_neq(access(path, F_OK), 0);
        }
        rmdir(dir);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

/* Sources: header + listed measurements, and under a list cut short a blank row and the
 * line that says so. 47 listed of 48: 50 rows, fits (the line in row 50); 48 listed of 49:
 * 51 rows, refused, in English when the report is. */
Test(xlsx_limits, sources_count_the_cut_notice_rows, .fini = s_restore)
{
    rp_xlsx_limits_t lim = { 50, RP_XLSX_COLS_MAX, RP_XLSX_CELL_MAX };
    rp_xlsx_set_limits(&lim);
    for (int n = 47; n <= 48; n++) {
        rp_input_t in;
        s_in(&in, "heerlen", n == 47 ? TEXT_NL : TEXT_EN);
        for (int i = 0; i < n; i++) {
            rp_contrib_t *c = rp_input_add_contrib(&in);
            c->kpi = 5;
            snprintf(c->measurement, sizeof c->measurement, "m-%d", i);
            snprintf(c->tender, sizeof c->tender, "T-1");
            c->realisation = 1000;
        }
        in.contrib_total[5] = (uint32_t)n + 1;
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char dir[] = "/tmp/mvoi-xlim-XXXXXX";
        cr_assert(mkdtemp(dir));
        char path[64], why[1024] = "";
        snprintf(path, sizeof path, "%s/r.xlsx", dir);
        int rc = rp_render_xlsx_why(&r, path, why, sizeof why);
        if (n == 47) {
            cr_assert_eq(rc, 0, "%s", why);
            char *cells = s_cells(path, 6);
            cr_expect(strstr(cells, "A50\ts\tDeze lijst is ingekort: 47 van de 48 metingen"),
                      "%s", cells);
            free(cells);
            unlink(path);
        } else {
            cr_expect_eq(rc, -EFBIG);
            cr_expect(strstr(why, "sheet 'Sources' would have 51 rows (header included), "
                                  "Excel opens at most 50"), "%s", why);
            cr_expect_neq(access(path, F_OK), 0);
        }
        rmdir(dir);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

/* A title over the cell limit (lowered to 20 characters; "é" is one character, two bytes):
 * refused by name with its row, not written as an empty cell. 20 characters fit. */
Test(xlsx_limits, a_text_over_the_cell_limit_is_refused, .fini = s_restore)
{
    rp_xlsx_limits_t lim = { RP_XLSX_ROWS_MAX, RP_XLSX_COLS_MAX, 20 };
    rp_xlsx_set_limits(&lim);
    rp_input_t in;
    s_in(&in, "heerlen", TEXT_NL);
    s_tenders(&in, 2);
    /* 20 characters, 21 bytes: fits */
    snprintf(in.tenders[1].title, sizeof in.tenders[1].title, "Caf\xc3\xa9 0123456789abcde");
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char why[1024] = "";
    cr_expect_eq(rp_xlsx_check(&r, why, sizeof why), 0, "%s", why);
    /* 21 characters: refused, in row 3 of the annex (header, T-1, T-2) */
    snprintf(in.tenders[1].title, sizeof in.tenders[1].title, "Caf\xc3\xa9 0123456789abcdef");
    cr_expect_eq(rp_xlsx_check(&r, why, sizeof why), -EFBIG);
    cr_expect(strstr(why, "werkblad 'Bijlage trajecten', rij 3, heeft 21 tekens, een cel in "
                          "Excel hoogstens 20"), "%s", why);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* The net under the counts: a write libxlsxwriter refuses (row 1,048,577 of a real
 * worksheet) is kept and fails the file by name, the sheet and the cell. */
Test(xlsx_limits, a_refused_write_fails_the_file)
{
    rp_input_t in;
    s_in(&in, "heerlen", TEXT_NL);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char path[] = "/tmp/mvoi-xlim-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Bijlage");
    rp_xlsx_note_reset();
    cr_expect_eq(RP_XW_STR(ws, 0, 0, "ok", NULL), LXW_NO_ERROR);
    cr_expect_eq(rp_xlsx_note_result(&r, NULL, 0), 0);
    cr_expect_neq(RP_XW_STR(ws, 1048576, 0, "one row too many", NULL), LXW_NO_ERROR);
    char why[512] = "";
    cr_expect_eq(rp_xlsx_note_result(&r, why, sizeof why), -EFBIG);
    cr_expect(strstr(why, "het werkblad 'Bijlage' kon cel A1048577 niet schrijven"), "%s", why);
    workbook_close(wb);
    rp_xlsx_note_reset();
    unlink(path);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* The fixed sheets are counted as xlsx.c writes them: the trend sheet has 49 rows (header,
 * 6 KPIs x 8 quarters), the KPI sheet 41 (header, 36 figures, a blank row, the provisional,
 * empty and legend lines). 49 fits a limit of 49; 48 refuses the trend sheet by name. */
Test(xlsx_limits, fixed_sheets_are_counted_as_written, .fini = s_restore)
{
    rp_input_t in;
    s_in(&in, "heerlen", TEXT_NL);
    in.generated_ms = 1767225600000LL + 86400000LL;   /* 2 January 2026: Q1 provisional */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_assert(r.provisional && r.empty);   /* every line under the KPI figures is written */
    char dir[] = "/tmp/mvoi-xlim-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[64], why[1024] = "";
    snprintf(path, sizeof path, "%s/r.xlsx", dir);
    rp_xlsx_limits_t lim = { 49, RP_XLSX_COLS_MAX, RP_XLSX_CELL_MAX };
    rp_xlsx_set_limits(&lim);
    cr_assert_eq(rp_render_xlsx_why(&r, path, why, sizeof why), 0, "%s", why);
    char *cells = s_cells(path, 3);
    cr_expect(strstr(cells, "A49\t") && !strstr(cells, "A50\t"), "%s", cells);
    free(cells);
    cells = s_cells(path, 1);
    cr_expect(strstr(cells, "A41\ts\t\xe2\x80\x93 betekent: geen meting") &&
              !strstr(cells, "A42\t"), "%s", cells);
    free(cells);
    unlink(path);
    lim.rows = 48;
    rp_xlsx_set_limits(&lim);
    cr_expect_eq(rp_render_xlsx_why(&r, path, why, sizeof why), -EFBIG);
    cr_expect(strstr(why, "'Trend' zou 49 rijen"), "%s", why);
    cr_expect_neq(access(path, F_OK), 0);
    rmdir(dir);
    rp_model_free(&r);
    rp_input_free(&in);
}
