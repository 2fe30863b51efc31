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
#include "rp_test.h"

Test(chart_values, bar_values_have_the_tables_decimals)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 1);
    in.series[5][4] = (rp_val_t){ .realisation = 1234567, .count = 1 };   /* CO2 2026 Q1 */
    in.series[3][4] = (rp_val_t){ .realisation = 2345678, .count = 1 };   /* NOx 2026 Q1 */
    char *html = rp_test_html(&in);
    cr_expect(strstr(html, "fill=\"#1a1a1a\">1.234,567</text>"), "CO2 bar: 1.234,567");
    cr_expect(!strstr(html, "fill=\"#1a1a1a\">1.235</text>"), "CO2 bar rounded to 1.235");
    cr_expect(strstr(html, "fill=\"#1a1a1a\">2,346</text>"), "NOx bar: 2,346");
    free(html);
    rp_input_free(&in);
}
