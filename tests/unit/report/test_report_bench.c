/*  The annual report's benchmark section (html_bench.c): g05's place among 12 gemeenten of
 *  20.000-50.000 inhabitants (30.000 each), with figures worked out by hand (kg 1000 ... 11000
 *  and g12's 12345.678: Q1 h = 2.75 -> 3750, median 6500, Q3 h = 8.25 -> 9250; per
 *  inhabitant, the one normalisation shown, 0,125, 0,217 and 0,308; g05 = 5000 kg, 0,167 kg
 *  per inhabitant at percentile 100 x 4.5 / 12 = 37.5, second quartile; absolute withheld
 *  with its own value), no other buyer's id or figure in the
 *  HTML, nothing in a quarterly report, and a class under k shows no quartiles. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "report.h"

static char g_path[64];
static mvoi_buyers_t *g_reg;

static void s_registry(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/mvoi-rpbm-XXXXXX");
    int fd = mkstemp(g_path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 12; i++)
        fprintf(f, "[g%02d]\nname = Gemeente G%02d\nkind = gemeente\ninhabitants = 30000\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n", i, i);
    fprintf(f, "[s1]\nname = Gemeente S1\nkind = gemeente\ninhabitants = 9000\n"
               "inhabitants_year = 2024\ninhabitants_source = test\n");
    fclose(f);
    char err[256];
    g_reg = mvoi_buyers_load(g_path, false, err, sizeof err);
    cr_assert(g_reg, "%s", err);
}

static void s_teardown(void)
{
    mvoi_buyers_destroy(&g_reg);
    unlink(g_path);
}

typedef enum { S_HTML, S_JSON, S_XLSX, S_XLSX_SHEETS } s_fmt_t;

/* The report of buyer rendered as fmt; for XLSX the text of its shared strings and sheets. */
static char *s_render(const char *buyer, uint32_t quarter, s_fmt_t fmt)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "%s", buyer);
    in.year = 2026;
    in.quarter = quarter;
    in.generated_ms = 1798758000000LL + 86400000LL * 40;
    in.bench = bm_new(g_reg, 5);
    char id[16];   /* "g%02d" of an int: -O1 and up warn at 8 */
    for (int i = 1; i <= 12; i++) {
        snprintf(id, sizeof id, "g%02d", i);
        bm_set(in.bench, id, 5, 2026, i == 12 ? 12345678 : (int64_t)i * 1000000);
    }
    bm_set(in.bench, "s1", 5, 2026, 7000);
    /* tenders of 2026: gNN 10, of which min(NN, 10) with klimaat: 10 20 ... 100 100 100 % */
    for (int i = 1; i <= 12; i++) {
        int64_t with[BM_THEMES] = { i <= 10 ? i : 10 };
        snprintf(id, sizeof id, "g%02d", i);
        cr_assert_eq(bm_set_tenders(in.bench, id, 2026, 10, with), 0);
    }
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *buf = NULL;
    size_t len = 0;
    if (fmt == S_XLSX || fmt == S_XLSX_SHEETS) {
        char path[] = "/tmp/mvoi-rpbm-xlsx-XXXXXX", cmd[160];
        int fd = mkstemp(path);
        cr_assert(fd >= 0);
        close(fd);
        cr_assert_eq(rp_render_xlsx(&r, path), 0);
        /* the texts (shared strings, sheet names), or the sheets (whose cell references
         * such as G10 are not buyers) */
        snprintf(cmd, sizeof cmd, "unzip -p %s %s", path, fmt == S_XLSX
                 ? "'xl/sharedStrings.xml' 'xl/workbook.xml'" : "'xl/worksheets/*.xml'");
        FILE *p = popen(cmd, "r");
        cr_assert(p);
        FILE *f = open_memstream(&buf, &len);
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
            fwrite(chunk, 1, n, f);
        fclose(f);
        cr_assert_eq(pclose(p), 0);
        unlink(path);
    } else {
        FILE *f = open_memstream(&buf, &len);
        cr_assert_eq(fmt == S_HTML ? rp_render_html(&r, f) : rp_render_json(&r, f), 0);
        fclose(f);
    }
    rp_model_free(&r);
    rp_input_free(&in);
    return buf;
}

static char *s_report(const char *buyer, uint32_t quarter)
{
    return s_render(buyer, quarter, S_HTML);
}

static void s_no_other_buyer(const char *h, const char *what)
{
    for (int i = 1; i <= 12; i++) {
        char id[16];
        if (i == 5)
            continue;
        snprintf(id, sizeof id, "G%02d", i);
        cr_assert_null(strstr(h, id), "%s in the %s", id, what);
        snprintf(id, sizeof id, "g%02d", i);
        cr_assert_null(strstr(h, id), "%s in the %s", id, what);
    }
    cr_assert_null(strstr(h, "12345"), "g12's figure in the %s", what);
    cr_assert_null(strstr(h, "12.345"), "g12's figure in the %s", what);
    cr_assert_null(strstr(h, "12.346"), "g12's figure in the %s", what);
}

TestSuite(report_bench, .init = s_registry, .fini = s_teardown);

Test(report_bench, annual_section_with_hand_figures)
{
    char *h = s_report("g05", 0);
    cr_assert(strstr(h, "id=\"h-bench\""), "no benchmark section");
    cr_assert(strstr(h, "<li>G05 staat met 0,167 kg vermeden CO2 per inwoner in het tweede "
                        "kwartiel van de gemeenten van 20.000-50.000 inwoners</li>"), "%s",
              strstr(h, "h-bench"));
    const char *row = strstr(h, "id=\"bench-co2-per_inhabitant\"");
    cr_assert(row);
    cr_assert(strstr(row, "<td class=\"num\">0,167</td><td class=\"num\">0,125</td>"
                          "<td class=\"num\">0,217</td><td class=\"num\">0,308</td>"
                          "<td class=\"num\">37,5</td><td class=\"num\">12</td>"), "%.400s", row);
    /* absolute: its own 5.000 kg, no quartiles, and why */
    row = strstr(h, "id=\"bench-co2-absolute\"");
    cr_assert(row);
    const char *end = strstr(row, "</tr>");
    cr_assert(end);
    cr_assert(strstr(row, "niet getoond: samen met de verdeling per inwoner") < end, "%.600s", row);
    cr_assert(strstr(row, "5.000") < end, "%.600s", row);
    cr_assert(!strstr(row, "3.750") || strstr(row, "3.750") > end, "%.600s", row);
    /* the share for klimaat: sorted 10 20 ... 100 100 100, type 7, n = 12: Q1 h = 2.75 ->
     * 30 + 7.5 = 37.5; median h = 5.5 -> 65; Q3 h = 8.25 -> 92.5; g05 = 50 %: 4 below,
     * 1 equal -> 37.5 */
    row = strstr(h, "id=\"bench-share.klimaat-absolute\"");
    cr_assert(row, "no share row");
    cr_assert(strstr(row, "<td class=\"num\">50,0</td><td class=\"num\">37,5</td>"
                          "<td class=\"num\">65,0</td><td class=\"num\">92,5</td>"
                          "<td class=\"num\">37,5</td><td class=\"num\">12</td>"), "%.400s", row);
    cr_assert(strstr(h, "<li>G05 staat met 50,0% van de aanbestedingen met een ambitie voor "
                        "Klimaat in het tweede kwartiel van de gemeenten van 20.000-50.000 "
                        "inwoners</li>"));
    /* no share per EUR million: a share is normalised already */
    cr_assert_null(strstr(h, "id=\"bench-share.klimaat-per_eur_million\""));
    s_no_other_buyer(h, "HTML");
    const char *dump = getenv("MVOI_TEST_REPORT_HTML");   /* to look at it in a browser */
    if (dump && *dump) {
        FILE *f = fopen(dump, "w");
        if (f) {
            fputs(h, f);
            fclose(f);
        }
    }
    free(h);
}

Test(report_bench, json_and_xlsx_carry_the_same_and_no_other_buyer)
{
    char *j = s_render("g05", 0, S_JSON);
    json_t *o = json_loads(j, 0, NULL);
    cr_assert(o, "not JSON");
    json_t *b = json_object_get(o, "benchmark");
    cr_assert(json_is_object(b));
    json_t *co2 = json_array_get(json_object_get(b, "kpis"), 4);
    json_t *abs = json_array_get(json_object_get(co2, "norms"), 0);
    json_t *inh = json_array_get(json_object_get(co2, "norms"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(abs, "status")), "withheld");
    cr_assert_null(json_object_get(abs, "median"));
    cr_assert_null(json_object_get(abs, "percentile"));
    cr_assert_float_eq(json_real_value(json_object_get(abs, "value")), 5000, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(inh, "median")), 6500.0 / 30000, 1e-12);
    cr_assert_float_eq(json_real_value(json_object_get(inh, "percentile")), 37.5, 1e-9);
    json_decref(o);
    s_no_other_buyer(j, "JSON");
    free(j);
    char *x = s_render("g05", 0, S_XLSX);
    cr_assert(strstr(x, "G05 staat met 0,167 kg vermeden CO2 per inwoner in het tweede kwartiel"),
              "sheet");
    cr_assert(strstr(x, ">withheld<"), "the status of the absolute row, by its name");
    /* headers, KPIs and normalisations in the report's language (Dutch), the codes beside */
    cr_assert(strstr(x, ">normalisatie<") && strstr(x, ">toelichting<"), "Dutch headers");
    cr_assert(strstr(x, ">Vermeden CO2<") && strstr(x, ">per inwoner<"), "KPI and norm in words");
    cr_assert(strstr(x, ">co2<") && strstr(x, ">per_inhabitant<"), "the codes beside them");
    s_no_other_buyer(x, "XLSX");
    free(x);
    x = s_render("g05", 0, S_XLSX_SHEETS);
    cr_assert(strstr(x, "<v>5000</v>"), "the own absolute value as a number");
    cr_assert_null(strstr(x, "<v>6500</v>"), "the withheld absolute median");
    cr_assert(strstr(x, "<v>37.5</v>"), "percentile as a number");
    cr_assert_null(strstr(x, "<v>12345"), "g12's figure in a sheet");
    free(x);
}

Test(report_bench, quarterly_has_none_and_small_class_shows_no_quartiles)
{
    char *h = s_report("g05", 2);
    cr_assert_null(strstr(h, "id=\"h-bench\""));
    free(h);
    h = s_report("s1", 0);
    const char *row = strstr(h, "id=\"bench-co2-absolute\"");
    cr_assert(row);
    cr_assert(strstr(row, "te weinig gemeenten van minder dan 20.000 inwoners"), "%.300s", row);
    cr_assert_null(strstr(row, "3.750"));
    free(h);
}
