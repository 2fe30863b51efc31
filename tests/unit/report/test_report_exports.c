/*  report exports: what leaves the system in the machine-readable files (CSV in both
 *  dialects, XLSX, JSON) as the council's spreadsheet and a script read it. Every expected
 *  figure is worked out here by hand, not taken from the model:
 *    a tender id that starts like a formula (= + - @: allowed by common/mvoi_id.h) is text
 *    in the CSV files, for two buyers that use the same ids, while a negative figure stays
 *    a number
 *    a theme's status row is a flag (1), not the status's enum number read as a count; a
 *    level that is not set has no CSV row
 *    the XLSX sources sheet names the unit of each raw integer (mg, g, cents...) and says
 *    when it lists fewer measurements than the totals have (sources_max)
 *    the JSON says null for an ambition level that is not set, never a level 0
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static void s_in(rp_input_t *in, const char *buyer, uint32_t year, uint32_t quarter)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "%s", buyer);
    in->year = year;
    in->quarter = quarter;
    in->generated_ms = 1798758000000LL + 86400000LL * 40;   /* February 2027: all ended */
}

static void s_tender(rp_input_t *in, const char *id, const char *planned, int64_t cents)
{
    rp_tender_t *t = rp_input_add_tender(in);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->title, sizeof t->title, "%s", id);
    snprintf(t->planned, sizeof t->planned, "%s", planned);
    t->value_cents = cents;
    t->status = 4;   /* published */
}

static rp_total_t *s_tot(rp_input_t *in, int kpi, uint32_t q, int theme, const char *tender,
                         int64_t amb, int64_t real)
{
    rp_total_t *t = rp_input_add_total(in);
    t->kpi = kpi;
    t->year = in->year;
    t->quarter = q;
    t->theme = theme;
    if (tender)
        snprintf(t->tender, sizeof t->tender, "%s", tender);
    t->v.ambition = amb;
    t->v.realisation = real;
    t->v.count = 1;
    return t;
}

static char *s_csv(const rp_report_t *r, bool dutch)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_csv(r, f, dutch), 0);
    fclose(f);
    return buf;
}

/* No field of any line starts with = + @ (a formula in a spreadsheet), and one starting
 * with - is a number ("-1.500"), never text. */
static void s_no_formula(const char *csv, char sep)
{
    const char *p = csv;
    bool start = true;
    for (; *p; p++) {
        cr_expect(!(start && (*p == '=' || *p == '+' || *p == '@' || *p == '\t')),
                  "a field starts like a formula at \"%.40s\"", p);
        if (start && *p == '-')
            cr_expect(p[1] >= '0' && p[1] <= '9', "a field starts with - but is text: \"%.40s\"",
                      p);
        start = *p == sep || *p == '\n';
    }
}

/* Buyer heerlen and buyer kerkrade both have tenders "=1+1", "-2+3" and "@A1"; each of
 * their files has its own values, and every id is text. */
Test(exports, csv_tender_ids_that_start_like_a_formula_are_text)
{
    const char *buyers[] = { "heerlen", "kerkrade" };
    /* heerlen: € 123,45 and € 1.000,00; kerkrade: € 999,00 and € 0,05 */
    const int64_t values[2][2] = { { 12345, 100000 }, { 99900, 5 } };
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_in(&in, buyers[b], 2026, 1);
        s_tender(&in, "=1+1", "2026-02-01", values[b][0]);
        s_tender(&in, "-2+3", "2026-02-02", values[b][1]);
        s_tender(&in, "@A1", "2026-02-03", 0);
        /* a correction took 1500 g CO2 off "-2+3" in Q1: a negative figure */
        s_tot(&in, 5, 1, 0, "-2+3", 0, -1500);
        s_tot(&in, 5, 1, 0, NULL, 0, -1500);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        cr_assert_eq(r.nannex, 3);
        char *rfc = s_csv(&r, false), *nl = s_csv(&r, true);
        char want[160];
        if (b == 0) {
            cr_expect(strstr(rfc, "annex,,,\"'=1+1\",2026-q1,value,123.45,EUR,12345,cent\r\n"),
                      "%s", rfc);
            cr_expect(strstr(rfc, "annex,,,\"'-2+3\",2026-q1,value,1000.00,EUR,100000,cent\r\n"),
                      "%s", rfc);
            cr_expect(strstr(nl, "annex;;;\"'=1+1\";2026-q1;value;123,45;EUR;12345;cent\r\n"),
                      "%s", nl);
        } else {
            cr_expect(strstr(rfc, "annex,,,\"'=1+1\",2026-q1,value,999.00,EUR,99900,cent\r\n"),
                      "%s", rfc);
            cr_expect(strstr(rfc, "annex,,,\"'-2+3\",2026-q1,value,0.05,EUR,5,cent\r\n"),
                      "%s", rfc);
            cr_expect(!strstr(rfc, "123.45") && !strstr(rfc, "1000.00"),
                      "heerlen's figures in kerkrade's file: %s", rfc);
        }
        cr_expect(strstr(rfc, "annex,,,\"'@A1\",2026-q1,value,0.00,EUR,0,cent\r\n"), "%s", rfc);
        /* -1500 g = -1.500 kg, a number in both dialects */
        cr_expect(strstr(rfc, "annex,co2,,\"'-2+3\",2026-q1,realisation,-1.500,kg,-1500,g\r\n"),
                  "%s", rfc);
        cr_expect(strstr(nl, "annex;co2;;\"'-2+3\";2026-q1;realisation;-1,500;kg;-1500;g\r\n"),
                  "%s", nl);
        snprintf(want, sizeof want, "kpi,co2,,,2026-q1,realisation,-1.500,kg,-1500,g\r\n");
        cr_expect(strstr(rfc, want), "%s", rfc);
        s_no_formula(rfc, ',');
        s_no_formula(nl + 3, ';');   /* after the BOM */
        free(rfc);
        free(nl);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

/* klimaat: ambition 200 g, realised 150 g year to date: behind. Its row is the status word
 * flagged 1, as the provisional and empty rows are. */
Test(exports, csv_theme_status_is_a_flag_and_an_unset_level_has_no_row)
{
    /* this year's level: klimaat 3, circulair not set (no row, never a level 0) */
    char lv[] = "/tmp/mvoi-levels-XXXXXX";
    int fd = mkstemp(lv);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "klimaat;2026;3\n", 15), 15);
    close(fd);
    cr_assert_gt(rp_levels_load(lv, NULL), 0);
    unlink(lv);
    rp_input_t in;
    s_in(&in, "heerlen", 2026, 1);
    s_tot(&in, 5, 1, 1, NULL, 200, 150);
    s_tot(&in, 5, 1, 0, NULL, 200, 150);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *rfc = s_csv(&r, false);
    cr_expect(strstr(rfc, "theme,co2,klimaat,,ytd,behind,1,count,1,count\r\n"), "%s", rfc);
    cr_expect(strstr(rfc, "theme,co2,klimaat,,year,level,3,count,3,count\r\n"), "%s", rfc);
    cr_expect(!strstr(rfc, "theme,material,circulair,,year,level,"), "%s", rfc);
    cr_expect(strstr(rfc, "theme,co2,klimaat,,ytd,realisation,0.150,kg,150,g\r\n"), "%s", rfc);
    free(rfc);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* The cells of sheet `sheet` of an XLSX file, "REF\tTYPE\tVALUE\n" per cell
 * (xlsx_cells.py, next to this file). */
static char *s_cells(const char *path, int sheet)
{
    char dir[512], cmd[1200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
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

/* The sources sheet mixes KPIs: 2,5 kg NOx is 2500000 mg, € 12,34 is 1234 cents. Each row
 * names its unit, or 2500000 next to 1234 reads as the same kind of number. */
Test(exports, xlsx_sources_name_the_unit_of_each_raw_figure)
{
    const char *langs[] = { "nl", "en" };
    const char *mg[] = { "milligram", "milligrams" }, *cent[] = { "eurocent", "euro cents" };
    for (int l = 0; l < 2; l++) {
        rp_input_t in;
        s_in(&in, "heerlen", 2026, 1);
        in.lang = l ? TEXT_EN : TEXT_NL;
        s_tot(&in, 3, 1, 0, NULL, 0, 2500000);
        s_tot(&in, 2, 1, 0, NULL, 0, 1234);
        rp_contrib_t *c = rp_input_add_contrib(&in);
        c->kpi = 3;
        snprintf(c->measurement, sizeof c->measurement, "m-nox");
        snprintf(c->tender, sizeof c->tender, "T1");
        c->revision = 1;
        c->realisation = 2500000;
        c = rp_input_add_contrib(&in);
        c->kpi = 2;
        snprintf(c->measurement, sizeof c->measurement, "m-sroi");
        snprintf(c->tender, sizeof c->tender, "T1");
        c->revision = 2;
        c->realisation = 1234;
        /* nl: 2 NOx measurements behind the total and 1 SROI one, 2 listed (sources_max):
         * the list says it is cut; en: both listed, no such line */
        in.contrib_total[3] = l ? 1 : 2;
        in.contrib_total[2] = 1;
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char path[] = "/tmp/mvoi-exports-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(rp_render_xlsx(&r, path), 0);
        char *cells = s_cells(path, 6);   /* KPIs, themes, trend, SROI, annex, sources */
        char want[128];
        cr_expect(strstr(cells, "B2\ts\tm-nox\n") && strstr(cells, "F2\tn\t2500000\n"), "%s",
                  cells);
        snprintf(want, sizeof want, "G2\ts\t%s\n", mg[l]);
        cr_expect(strstr(cells, want), "%s: %s", langs[l], cells);
        cr_expect(strstr(cells, "F3\tn\t1234\n"), "%s", cells);
        snprintf(want, sizeof want, "G3\ts\t%s\n", cent[l]);
        cr_expect(strstr(cells, want), "%s: %s", langs[l], cells);
        if (l == 0)
            cr_expect(strstr(cells, "A5\ts\tDeze lijst is ingekort: 2 van de 3 metingen "),
                      "%s", cells);
        else
            cr_expect(!strstr(cells, "A5\t"), "%s", cells);
        free(cells);
        unlink(path);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

/* No levels file: this year's level is not set. The JSON says null (the XLSX "niet
 * vastgesteld"), never 0; the plan's 2023 baseline and 2027 goal are numbers 1..4. */
Test(exports, json_level_not_set_is_null)
{
    rp_input_t in;
    s_in(&in, "heerlen", 2026, 1);
    s_tot(&in, 5, 1, 1, NULL, 200, 150);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_json(&r, f), 0);
    fclose(f);
    json_error_t err;
    json_t *root = json_loads(buf, 0, &err);
    cr_assert(root, "%s", err.text);
    json_t *themes = json_object_get(root, "themes");
    cr_assert_eq(json_array_size(themes), 6);
    for (size_t i = 0; i < 6; i++) {
        json_t *t = json_array_get(themes, i);
        cr_expect(json_is_null(json_object_get(t, "level_year")), "%s",
                  json_string_value(json_object_get(t, "theme")));
        json_int_t base = json_integer_value(json_object_get(t, "level_2023"));
        json_int_t goal = json_integer_value(json_object_get(t, "level_2027"));
        cr_expect(base >= 1 && base <= 4 && goal >= 1 && goal <= 4);
    }
    json_decref(root);
    free(buf);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* A title that is not UTF-8 cannot be written as JSON: jansson refuses the row. The file is
 * refused by name (EILSEQ), never written without that tender. */
Test(exports, json_refuses_a_row_it_cannot_write_instead_of_dropping_it)
{
    rp_input_t in;
    s_in(&in, "heerlen", 2026, 1);
    s_tender(&in, "T-ok", "2026-02-01", 100);
    s_tender(&in, "T-bad", "2026-02-02", 200);
    snprintf(in.tenders[1].title, sizeof in.tenders[1].title, "Caf\xe9");   /* Latin-1 */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_assert_eq(r.nannex, 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_expect_eq(rp_render_json(&r, f), -EILSEQ);
    fclose(f);
    free(buf);
    /* the same tenders with a good title: both rows */
    snprintf(in.tenders[1].title, sizeof in.tenders[1].title, "Caf\xc3\xa9");
    buf = NULL;
    f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_json(&r, f), 0);
    fclose(f);
    json_t *root = json_loads(buf, 0, NULL);
    cr_assert(root);
    cr_expect_eq(json_array_size(json_object_get(root, "annex")), 2);
    json_decref(root);
    free(buf);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* The same in the workbook: libxlsxwriter would write the Latin-1 byte into its XML, a file
 * no spreadsheet opens. Refused by name, and no file is made. */
Test(exports, xlsx_refuses_a_text_that_is_not_utf8)
{
    rp_input_t in;
    s_in(&in, "heerlen", 2026, 1);
    s_tender(&in, "T-bad", "2026-02-02", 200);
    snprintf(in.tenders[0].title, sizeof in.tenders[0].title, "Caf\xe9");
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char dir[] = "/tmp/mvoi-exports-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/r.xlsx", dir);
    cr_expect_eq(rp_render_xlsx(&r, path), -EILSEQ);
    cr_expect_neq(access(path, F_OK), 0, "a workbook was made");
    /* with the title in UTF-8 the workbook is written and reads back: "Café" */
    snprintf(in.tenders[0].title, sizeof in.tenders[0].title, "Caf\xc3\xa9");
    cr_assert_eq(rp_render_xlsx(&r, path), 0);
    char *cells = s_cells(path, 5);
    cr_expect(strstr(cells, "B2\ts\tCaf\xc3\xa9\n"), "%s", cells);
    free(cells);
    unlink(path);
    rmdir(dir);
    rp_model_free(&r);
    rp_input_free(&in);
}
