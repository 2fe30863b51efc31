/*  "0" and "not known" read differently in every export (rp_unmeasured): a KPI with a
 *  measured 0 shows 0, a KPI nobody measured shows "–" (HTML, XLSX), has no row (CSV), is
 *  null (JSON) and an empty waarde (MVI export). The same for an SROI contract without a
 *  known obligation or without a reported realisation, and a tender without an estimated
 *  value. Two buyers with the same ids, each the other's mirror:
 *    heerlen   CO2 measured 0 (2 measurements, 0 g), fair trade never measured
 *    kerkrade  fair trade measured 0 (1 measurement, 0 products of 0), CO2 never measured
 *  Both have tender T-1 (obligation € 300,00, nothing reported) and T-2 (not in the
 *  calendar: no known obligation, € 12,50 reported), and T-3 without an estimated value.
 *  Every expected text is written out here.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static void s_in(rp_input_t *in, const char *buyer)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "%s", buyer);
    in->year = 2026;
    in->quarter = 1;
    in->generated_ms = 1798758000000LL + 86400000LL * 40;   /* February 2027: all ended */
}

static rp_total_t *s_tot(rp_input_t *in, int kpi, uint32_t q, const char *tender,
                         int64_t real, int64_t count)
{
    rp_total_t *t = rp_input_add_total(in);
    t->kpi = kpi;
    t->year = 2026;
    t->quarter = q;
    if (tender)
        snprintf(t->tender, sizeof t->tender, "%s", tender);
    t->v.realisation = real;
    t->v.count = count;
    return t;
}

/* The buyer's input: b 0 heerlen (CO2 measured 0), 1 kerkrade (fair trade measured 0). */
static void s_buyer(rp_input_t *in, int b)
{
    s_in(in, b ? "kerkrade" : "heerlen");
    int measured = b ? 1 : 5;
    for (uint32_t q = 0; q <= 1; q++)   /* the year window and Q1 */
        s_tot(in, measured, q, NULL, 0, b ? 1 : 2);
    in->series[measured][4].count = b ? 1 : 2;   /* 2026 Q1 in the trend: measured 0 */
    s_tot(in, measured, 1, NULL, 0, b ? 1 : 2)->theme = b ? 4 : 1;   /* isv / klimaat */
    rp_tender_t *t = rp_input_add_tender(in);
    snprintf(t->id, sizeof t->id, "T-1");
    snprintf(t->planned, sizeof t->planned, "2026-02-01");
    t->status = 4;
    t->value_cents = 1000000;
    t->sroi_bp = 300;
    t->sroi_obligation_cents = 30000;
    t = rp_input_add_tender(in);
    snprintf(t->id, sizeof t->id, "T-3");
    snprintf(t->planned, sizeof t->planned, "2026-03-01");
    t->status = 4;
    t->value_unknown = true;
    s_tot(in, 2, 1, "T-2", 1250, 1);   /* SROI reported on T-2: € 12,50 */
    s_tot(in, 2, 0, "T-2", 1250, 1);
}

static char *s_render(const rp_report_t *r, int which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = which == 0 ? rp_render_html(r, f) : which == 1 ? rp_render_csv(r, f, false)
           : which == 2 ? rp_render_json(r, f) : rp_render_mvi(r, f);
    cr_assert_eq(rc, 0);
    fclose(f);
    return buf;
}

Test(unknown, html_dash_for_not_measured_zero_for_a_measured_zero)
{
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_buyer(&in, b);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char *h = s_render(&r, 0);
        const char *zero = b ? "id=\"k-fairtrade-period-realisation\" data-raw=\"0\">0</td>"
                             : "id=\"k-co2-period-realisation\" data-raw=\"0\">0,000</td>";
        const char *dash = b ? "id=\"k-co2-period-realisation\" data-raw=\"\">–</td>"
                             : "id=\"k-fairtrade-period-realisation\" data-raw=\"\">–</td>";
        cr_expect(strstr(h, zero), "%s: %s missing", in.buyer, zero);
        cr_expect(strstr(h, dash), "%s: %s missing", in.buyer, dash);
        /* fair trade's denominator: measured 0 at kerkrade, not known at heerlen */
        cr_expect(strstr(h, b ? "id=\"k-fairtrade-period-denominator\" data-raw=\"0\">0</td>"
                              : "id=\"k-fairtrade-period-denominator\" data-raw=\"\">–</td>"),
                  "%s", in.buyer);
        /* last year: nothing measured for either */
        cr_expect(strstr(h, "id=\"k-co2-prev-realisation\" data-raw=\"\">–</td>"));
        /* the theme row of the measured KPI says 0, the other "–" */
        cr_expect(strstr(h, b ? "id=\"th-isv-realisation\" data-raw=\"0\">0</td>"
                              : "id=\"th-klimaat-realisation\" data-raw=\"0\">0,000</td>"),
                  "%s theme row", in.buyer);
        cr_expect(strstr(h, b ? "id=\"th-klimaat-realisation\" data-raw=\"\">–</td>"
                              : "id=\"th-isv-realisation\" data-raw=\"\">–</td>"),
                  "%s theme row", in.buyer);
        /* SROI per contract: T-1 has an obligation and no report, T-2 a report of € 12,50
         * and no known obligation */
        cr_expect(strstr(h, "id=\"sroi-o-T-1\" data-raw=\"30000\">300,00</td>"), "%s", in.buyer);
        cr_expect(strstr(h, "id=\"sroi-r-T-1\" data-raw=\"\">–</td>"), "%s", in.buyer);
        cr_expect(strstr(h, "id=\"sroi-o-T-2\" data-raw=\"\">–</td>"), "%s", in.buyer);
        cr_expect(strstr(h, "id=\"sroi-r-T-2\" data-raw=\"1250\">12,50</td>"), "%s", in.buyer);
        /* the legend beside the KPI table and in the definitions */
        cr_expect(strstr(h, "<p class=\"muted\" id=\"kpi-legend\">– betekent: geen meting"));
        cr_expect(strstr(h, "<dt>–</dt><dd id=\"def-dash\">– betekent: geen meting"));
        free(h);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

Test(unknown, csv_row_for_a_measured_zero_none_for_not_measured)
{
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_buyer(&in, b);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char *c = s_render(&r, 1);
        const char *zero = b ? "kpi,fairtrade,,,2026-q1,realisation,0,products,0,products\r\n"
                             : "kpi,co2,,,2026-q1,realisation,0.000,kg,0,g\r\n";
        const char *none = b ? "kpi,co2,,,2026-q1,realisation,"
                             : "kpi,fairtrade,,,2026-q1,realisation,";
        cr_expect(strstr(c, zero), "%s: %s", in.buyer, c);
        cr_expect(!strstr(c, none), "%s: a row for a figure nobody measured: %s", in.buyer, c);
        /* the count row says why: 0 measurements */
        cr_expect(strstr(c, b ? "kpi,co2,,,2026-q1,count,0,count,0,count\r\n"
                              : "kpi,fairtrade,,,2026-q1,count,0,count,0,count\r\n"), "%s", c);
        cr_expect(strstr(c, b ? "kpi,fairtrade,,,2026-q1,denominator,0,count,0,count\r\n"
                              : "kpi,fairtrade,,,2026-q1,count,0,"), "%s", c);
        cr_expect(!strstr(c, "kpi,co2,,,2026-q1,denominator,"), "CO2 has no denominator: %s", c);
        cr_expect(strstr(c, b ? "series,fairtrade,,,2026-q1,realisation,0,products,0,products\r\n"
                              : "series,co2,,,2026-q1,realisation,0.000,kg,0,g\r\n"), "%s", c);
        cr_expect(!strstr(c, "series,nox,"), "a quarter nobody measured: %s", c);
        cr_expect(strstr(c, "sroi_contract,sroi,,T-1,ytd,obligation,300.00,EUR,30000,cent\r\n"));
        cr_expect(!strstr(c, "sroi_contract,sroi,,T-1,ytd,realised,"), "%s", c);
        cr_expect(!strstr(c, "sroi_contract,sroi,,T-2,ytd,obligation,"), "%s", c);
        cr_expect(strstr(c, "sroi_contract,sroi,,T-2,ytd,realised,12.50,EUR,1250,cent\r\n"), "%s",
                  c);
        cr_expect(strstr(c, "annex,,,T-1,2026-q1,value,10000.00,EUR,1000000,cent\r\n"), "%s", c);
        cr_expect(!strstr(c, "annex,,,T-3,2026-q1,value,"), "%s", c);
        free(c);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

static json_t *s_path(json_t *root, int kpi, const char *col, const char *field)
{
    json_t *k = json_array_get(json_object_get(root, "kpis"), (size_t)kpi - 1);
    return json_object_get(json_object_get(k, col), field);
}

Test(unknown, json_null_for_not_measured_zero_for_a_measured_zero)
{
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_buyer(&in, b);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char *j = s_render(&r, 2);
        json_t *root = json_loads(j, 0, NULL);
        cr_assert(root);
        int measured = b ? 1 : 5, other = b ? 5 : 1;
        json_t *z = s_path(root, measured, "period", "realisation");
        cr_expect(json_is_integer(z) && json_integer_value(z) == 0, "%s", in.buyer);
        cr_expect(json_is_null(s_path(root, other, "period", "realisation")), "%s", in.buyer);
        cr_expect(json_is_null(s_path(root, other, "period", "ambition")), "%s", in.buyer);
        cr_expect(json_is_integer(s_path(root, other, "period", "count")));   /* 0: a count */
        cr_expect(json_is_null(s_path(root, 5, "period", "denominator")));   /* none for CO2 */
        json_t *den = s_path(root, 1, "period", "denominator");
        cr_expect(b ? json_is_integer(den) : json_is_null(den), "%s", in.buyer);
        json_t *c = json_object_get(root, "sroi_contracts");
        cr_assert_eq(json_array_size(c), 2);
        json_t *c0 = json_array_get(c, 0), *c1 = json_array_get(c, 1);
        cr_expect_eq(json_integer_value(json_object_get(c0, "obligation_cents")), 30000);
        cr_expect(json_is_null(json_object_get(c0, "realised_cents")));
        cr_expect(json_is_null(json_object_get(c1, "obligation_cents")));
        cr_expect_eq(json_integer_value(json_object_get(c1, "realised_cents")), 1250);
        json_t *an = json_object_get(root, "annex");
        cr_expect(json_is_integer(json_object_get(json_array_get(an, 0), "value_cents")));
        cr_expect(json_is_null(json_object_get(json_array_get(an, 1), "value_cents")));
        json_decref(root);
        free(j);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

Test(unknown, mvi_export_empty_waarde_for_not_measured)
{
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_buyer(&in, b);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char *m = s_render(&r, 3);
        char want[256];
        snprintf(want, sizeof want, "%s;2026;1;1;fairtrade_producten;%s;producten\r\n", in.buyer,
                 b ? "0" : "");
        cr_expect(strstr(m, want), "%s", m);
        snprintf(want, sizeof want, "%s;2026;1;1;producten_risicocategorie;%s;producten\r\n",
                 in.buyer, b ? "0" : "");
        cr_expect(strstr(m, want), "%s", m);
        /* no buyer-wide SROI total: not known, for both (T-2's report is a tender's) */
        snprintf(want, sizeof want, "%s;2026;1;2;sroi_besteed_sociaal;;EUR\r\n", in.buyer);
        cr_expect(strstr(m, want), "%s", m);
        /* pilots are counts: 0 pilots reported is 0 */
        snprintf(want, sizeof want, "%s;2026;1;6;pilots_gerealiseerd;0;pilots\r\n", in.buyer);
        cr_expect(strstr(m, want), "%s", m);
        free(m);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}

/* The cells of sheet `sheet` (xlsx_cells.py, next to this file). */
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
    cr_assert_eq(pclose(p), 0);
    return buf;
}

/* KPI sheet: row 2 + (kpi - 1) x 6 + measure (ambition 0, realisation 1, denominator 4);
 * D the period's figure, E its raw integer. */
Test(unknown, xlsx_dash_for_not_measured_zero_for_a_measured_zero)
{
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        s_buyer(&in, b);
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char path[] = "/tmp/mvoi-unknown-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        close(fd);
        cr_assert_eq(rp_render_xlsx(&r, path), 0);
        char *k = s_cells(path, 1);
        /* fair trade realisation D3/E3, CO2 realisation D27/E27 */
        const char *zero = b ? "D3\tn\t0\nE3\tn\t0\n" : "D27\tn\t0\nE27\tn\t0\n";
        const char *dash = b ? "D27\ts\t–\n" : "D3\ts\t–\n";
        const char *blank = b ? "E27\t" : "E3\t";
        cr_expect(strstr(k, zero), "%s: %s", in.buyer, k);
        cr_expect(strstr(k, dash), "%s: %s", in.buyer, k);
        cr_expect(!strstr(k, blank), "%s: a raw figure for nothing measured", in.buyer);
        cr_expect(strstr(k, "D30\ts\t–\n"), "CO2 has no denominator: %s", k);
        cr_expect(strstr(k, "\ts\t– betekent: geen meting"), "the legend: %s", k);
        free(k);
        char *s = s_cells(path, 4);   /* SROI per contract: T-1, T-2 */
        cr_expect(strstr(s, "C2\tn\t300\n") && strstr(s, "E2\ts\t–\n"), "%s", s);
        cr_expect(strstr(s, "C3\ts\t–\n") && strstr(s, "E3\tn\t12.5\n"), "%s", s);
        free(s);
        char *a = s_cells(path, 5);   /* annex: T-1, T-3 */
        cr_expect(strstr(a, "H2\tn\t10000\n") && strstr(a, "H3\ts\t–\n"), "%s", a);
        free(a);
        unlink(path);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}
