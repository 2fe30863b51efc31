/*  The value on a trend bar is the figure as the tables show it: grams in kg with all 3
 *  decimals (exact), NOx in kg with 3 (rounded half away from zero). The axis labels
 *  take the decimals their round steps need, and the bars had taken the same: with a
 *  step of 500 kg, a quarter of 1.234.567 g CO2 read "1.235" on its bar beside
 *  "1.234,567 kg" in the chart's own text. Expected: 1.234.567 g = 1.234,567 kg;
 *  NOx 2.345.678 mg = 2,345678 kg -> 2,346 kg.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static char *s_html(rp_input_t *in)
{
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, in), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_html(&r, f), 0);
    fclose(f);
    rp_model_free(&r);
    return buf;
}

Test(chart_values, bar_values_have_the_tables_decimals)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 1;
    in.generated_ms = 1798758000000LL + 86400000LL * 40;
    in.series[5][4] = (rp_val_t){ .realisation = 1234567, .count = 1 };   /* CO2 2026 Q1 */
    in.series[3][4] = (rp_val_t){ .realisation = 2345678, .count = 1 };   /* NOx 2026 Q1 */
    char *html = s_html(&in);
    cr_expect(strstr(html, "fill=\"#1a1a1a\">1.234,567</text>"), "CO2 bar: 1.234,567");
    cr_expect(!strstr(html, "fill=\"#1a1a1a\">1.235</text>"), "CO2 bar rounded to 1.235");
    cr_expect(strstr(html, "fill=\"#1a1a1a\">2,346</text>"), "NOx bar: 2,346");
    free(html);
    rp_input_free(&in);
}
