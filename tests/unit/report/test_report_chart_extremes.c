/*  The HTML's charts at the ends of int64: a KPI total is an exact int64 sum (g, mg, cent)
 *  and nothing bounds it below INT64_MAX, so the charts must be right up to there or say
 *  by name that they cannot draw it. Expected figures are worked out by hand:
 *
 *  - trend chart, a quarter of 8 x 10^18 g CO2: the axis is 4 steps of 2 x 10^18 g
 *    (2.000.000.000.000.000 kg), top 8.000.000.000.000.000 kg, the bar full height (110);
 *    a quarter of 2 x 10^18 g is a quarter of that, 27,5 -> 27.
 *  - 9 x 10^18 g and INT64_MAX g: a round axis above 8 x 10^18 would be 4 x 5 x 10^18,
 *    which no int64 holds; the old code wrapped it (and (max + 3) / 4 at INT64_MAX) and
 *    drew bars of garbage heights. The chart says "te groot voor deze grafiek" instead.
 *  - the ambition chart, 10^17 g of 10^17 g CO2 year to date: 100 %, half the 0..200 %
 *    scale, a bar of 125 of 250; n * 100 had wrapped in int64 to a share of -84 %.
 *    INT64_MIN g of 1 g is -922.337.203.685.477.580.800 % (rp_html_pct, written whole).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rp_test.h"

/* The CO2 trend chart's <figure> of the page, as its own string (free it). */
static char *s_co2_chart(const char *page)
{
    const char *a = strstr(page, "aria-labelledby=\"tt5 td5\"");
    cr_assert_not_null(a, "no CO2 trend chart");
    const char *b = strstr(a, "</figure>");
    cr_assert_not_null(b);
    return strndup(a, (size_t)(b - a));
}

/* Every <rect>'s height in fig is within 0..110, the plot's height. */
static void s_heights_in_plot(const char *fig)
{
    int n = 0;
    for (const char *p = fig; (p = strstr(p, "<rect ")); p++) {
        const char *hp = strstr(p, "height=\"");
        cr_assert_not_null(hp);
        long h = strtol(hp + 8, NULL, 10);
        cr_expect(h >= 0 && h <= 110, "a bar %ld high: %.200s", h, p);
        n++;
    }
    cr_expect_geq(n, 18, "bars drawn: %d", n);
}

static char *s_page(int64_t q1, int64_t q2)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 2);
    in.series[5][4] = (rp_val_t){ .realisation = q1, .count = 1 };
    in.series[5][5] = (rp_val_t){ .realisation = q2, .count = 1 };
    char *page = rp_test_html(&in);
    rp_input_free(&in);
    return page;
}

Test(chart_extremes, the_largest_round_axis_is_drawn_right)
{
    char *page = s_page(INT64_C(2000000000000000000), INT64_C(8000000000000000000));
    char *fig = s_co2_chart(page);
    cr_expect(strstr(fig, ">8.000.000.000.000.000</text>"), "no axis top: %s", fig);
    cr_expect(strstr(fig, ">2.000.000.000.000.000</text>"), "no first step: %s", fig);
    cr_expect(strstr(fig, "height=\"110\" fill=\"#00589c\""), "Q2 not full height: %s", fig);
    cr_expect(strstr(fig, "height=\"27\" fill=\"#00589c\""), "Q1 not a quarter: %s", fig);
    cr_expect_null(strstr(fig, "te groot"));
    s_heights_in_plot(fig);
    free(fig);
    free(page);
}

Test(chart_extremes, beyond_the_largest_axis_the_chart_says_so)
{
    static const int64_t big[] = { INT64_C(9000000000000000000), INT64_MAX };
    for (size_t i = 0; i < 2; i++) {
        char *page = s_page(5, big[i]);
        char *fig = s_co2_chart(page);
        cr_expect(strstr(fig, "te groot voor deze grafiek"), "%lld: %s", (long long)big[i], fig);
        s_heights_in_plot(fig);
        /* the desc still has the figure, exact: 9 x 10^18 g = 9.000.000.000.000.000 kg */
        if (i == 0)
            cr_expect(strstr(fig, "9.000.000.000.000.000,000 kg"), "%s", fig);
        free(fig);
        free(page);
    }
}

Test(chart_extremes, a_share_of_a_huge_ambition_has_its_bar)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 1);
    rp_total_t *t = rp_input_add_total(&in);
    t->kpi = 5;
    t->year = 2026;
    t->quarter = 1;
    t->theme = 1;   /* klimaat, the chart's first row: y = 26 + 6 */
    t->v = (rp_val_t){ .ambition = INT64_C(100000000000000000),
                       .realisation = INT64_C(100000000000000000), .count = 2 };
    /* circulair: INT64_MIN g of 1 g, -922.337.203.685.477.580.800 %, 33 bytes with its NUL:
     * written whole, not cut by a 32-byte buffer */
    t = rp_input_add_total(&in);
    t->kpi = 4;
    t->year = 2026;
    t->quarter = 1;
    t->theme = 2;
    t->v = (rp_val_t){ .ambition = 1, .realisation = INT64_MIN, .count = 2 };
    char *page = rp_test_html(&in);
    const char *ar = strstr(page, "id=\"h-ar\"");
    cr_assert_not_null(ar);
    cr_expect(strstr(ar, "<rect x=\"197\" y=\"32\" width=\"125\" height=\"16\""), "%.3000s", ar);
    cr_expect(strstr(ar, "Klimaat: 100,0 %."), "%.600s", ar);
    cr_expect(strstr(ar, "Circulair: -922.337.203.685.477.580.800,0 %."), "%.600s", ar);
    cr_expect(strstr(ar, ">-922.337.203.685.477.580.800,0 %</text>"), "%.3000s", ar);
    free(page);
    rp_input_free(&in);
}

/* Nothing above 0: no step, so the KPI's own decimals, as in the tables. NOx (mg, shown in
 * kg with 3 decimals): a quarter of -1.500.000 mg is -1,5 kg, "-1,500", on the zero line
 * "0,000"; the step of 1 mg had written "-1,500000" and "0,000000". */
Test(chart_extremes, nothing_above_zero_has_the_kpis_decimals)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 2);
    in.series[3][5] = (rp_val_t){ .realisation = -1500000, .count = 1 };
    char *page = rp_test_html(&in);
    const char *a = strstr(page, "aria-labelledby=\"tt3 td3\"");
    cr_assert_not_null(a);
    char *fig = strndup(a, (size_t)(strstr(a, "</figure>") - a));
    cr_expect(strstr(fig, ">-1,500</text>"), "%s", fig);
    cr_expect(strstr(fig, ">0,000</text>"), "%s", fig);
    cr_expect_null(strstr(fig, "0,000000"), "%s", fig);
    free(fig);
    free(page);
    rp_input_free(&in);
}

/* The pilots bars, 0..400 px of the largest of ambition, realisation and target: 10^17
 * pilot tenders against 5 x 10^16 realised is 400 and 200 px, the target's 3 at 0 px. The
 * old v * 400 wrapped in int64 (4 x 10^19 - 2 x 2^64) and drew 31 and 15 px. */
Test(chart_extremes, pilots_bars_beyond_int64_times_400)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 0);
    rp_total_t *t = rp_input_add_total(&in);
    t->kpi = 6;
    t->year = 2026;
    t->v = (rp_val_t){ .ambition = INT64_C(100000000000000000),
                       .realisation = INT64_C(50000000000000000), .target = 3, .count = 1 };
    char *page = rp_test_html(&in);
    rp_input_free(&in);
    const char *a = strstr(page, "id=\"h-pi\"");
    cr_assert_not_null(a, "no pilots section");
    cr_expect(strstr(a, "width=\"400\" height=\"16\" fill=\"#9ec5e8\""), "ambition: %.900s", a);
    cr_expect(strstr(a, "width=\"200\" height=\"16\" fill=\"#00589c\""), "realised: %.900s", a);
    cr_expect(strstr(a, "<line x1=\"120\" y1=\"0\" x2=\"120\""), "target: %.900s", a);
    free(page);
}
