/*  Percentages round half away from zero, negative ones too (docs: "rounded half away
 *  from zero, the only rounding"). A CO2 realisation can be negative (worse than the
 *  reference), so a theme's share of its ambition can be: -1 g against 1.000 g is -0,1 %,
 *  which read "0,0 %" (the half was added before a division that truncates toward zero,
 *  so negative shares were rounded toward plus infinity). Expected texts are worked out by
 *  hand: -1/1000 = -0,1 %; -3/2000 = -0,15 % -> -0,2 %; 3/2000 = 0,15 % -> 0,2 %;
 *  -1/3000 = -0,033 % -> "> -0,1 %" (not nothing: see below); 2/3 = 66,67 % -> 66,7 %.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_int.h"
#include "report.h"
#include "rp_test.h"

static void s_min_report(rp_report_t *r, rp_input_t *in, text_lang_t lang)
{
    rp_input_init(in);
    in->lang = lang;
    memset(r, 0, sizeof *r);
    r->in = in;
}

Test(pct, negative_shares_round_half_away_from_zero)
{
    rp_input_t in;
    rp_report_t r;
    s_min_report(&r, &in, TEXT_NL);
    static const struct { int64_t num, den; const char *want; } c[] = {
        { -1, 1000, "-0,1 %" }, { -3, 2000, "-0,2 %" }, { 3, 2000, "0,2 %" },
        { -1, 3000, "&gt; -0,1 %" },  { 2, 3, "66,7 %" },      { -2, 3, "-66,7 %" },
        { -5, 10000, "-0,1 %" }, { 5, 10000, "0,1 %" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char b[32];
        rp_html_pct(b, sizeof b, &r, c[i].num, c[i].den);
        cr_expect_str_eq(b, c[i].want, "%lld / %lld", (long long)c[i].num, (long long)c[i].den);
    }
}

/* The same through a whole report: the klimaat theme (CO2) with 1.000 g ambition and
 * -1 g realisation year to date says -0,1 % in the ambition chart's text. */
Test(pct, negative_theme_share_in_the_html)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 1);
    rp_total_t *t = rp_input_add_total(&in);
    t->kpi = 5;
    t->year = 2026;
    t->quarter = 1;
    t->theme = 1;   /* klimaat */
    t->v = (rp_val_t){ .ambition = 1000, .realisation = -1, .count = 2 };
    char *buf = rp_test_html(&in);
    const char *ard = strstr(buf, "id=\"ard\"");
    cr_expect(strstr(buf, "Klimaat: -0,1 %."), "%.400s", ard ? ard : buf);
    free(buf);
    rp_input_free(&in);
}

/* A share below 100 % never reads 100,0 %: 9.995 / 10.000 = 99,95 % had been rounded to
 * "100,0 %" beside the status "achter op ambitie" (the target looked met). 19.999 / 20.000
 * = 99,995 %; 10.000 and 10.004 of 10.000 are the whole or more: 100,0 %. */
Test(pct, a_share_below_the_whole_never_reads_100)
{
    rp_input_t in;
    rp_report_t r;
    s_min_report(&r, &in, TEXT_NL);
    static const struct { int64_t num, den; const char *want; } c[] = {
        { 9995, 10000, "99,9 %" }, { 19999, 20000, "99,9 %" }, { 9994, 10000, "99,9 %" },
        { 10000, 10000, "100,0 %" }, { 10004, 10000, "100,0 %" }, { 1, 1, "100,0 %" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char b[32];
        rp_html_pct(b, sizeof b, &r, c[i].num, c[i].den);
        cr_expect_str_eq(b, c[i].want, "%lld / %lld", (long long)c[i].num, (long long)c[i].den);
    }
}

/* A share that is not nothing never reads "0,0 %" (the mirror of the rule above): 1 of
 * 3.000 = 0,033 % had read "0,0 %" beside a realisation of 1, nothing achieved where
 * something was. By hand: 1/3000 = 0,0333 %, 1/2001 = 0,04998 % and 1/1.000.000 =
 * 0,0001 % round to 0,0: "< 0,1 %" (written &lt; in HTML); 1/2000 = 0,05 % rounds half
 * away from zero to 0,1 %; -1/2001 = -0,04998 %: "> -0,1 %"; 0 of 1.000 is nothing:
 * "0,0 %". The English report the same in its number style. */
Test(pct, a_share_that_is_not_nothing_never_reads_0)
{
    rp_input_t in;
    rp_report_t r;
    s_min_report(&r, &in, TEXT_NL);
    static const struct { int64_t num, den; const char *want; } c[] = {
        { 1, 3000, "&lt; 0,1 %" },     { 1, 2001, "&lt; 0,1 %" }, { 1, 1000000, "&lt; 0,1 %" },
        { 1, 2000, "0,1 %" },          { -1, 2001, "&gt; -0,1 %" }, { 0, 1000, "0,0 %" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char b[32];
        rp_html_pct(b, sizeof b, &r, c[i].num, c[i].den);
        cr_expect_str_eq(b, c[i].want, "%lld / %lld", (long long)c[i].num, (long long)c[i].den);
    }
    s_min_report(&r, &in, TEXT_EN);
    char b[32];
    rp_html_pct(b, sizeof b, &r, 1, 3000);
    cr_expect_str_eq(b, "&lt; 0.1 %");
}

/* Through a whole report: the klimaat theme (CO2) with 1.000.000 g ambition and 300 g
 * realisation year to date (0,03 %) says "< 0,1 %" in the ambition chart's text and on its
 * bar, never "0,0 %"; the figures beside the bar stay exact (0,300 kg / 1.000,000 kg). */
Test(pct, a_tiny_theme_share_in_the_html)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 1);
    rp_total_t *t = rp_input_add_total(&in);
    t->kpi = 5;
    t->year = 2026;
    t->quarter = 1;
    t->theme = 1;   /* klimaat */
    t->v = (rp_val_t){ .ambition = 1000000, .realisation = 300, .count = 1 };
    char *buf = rp_test_html(&in);
    const char *ard = strstr(buf, "id=\"ard\"");
    cr_expect(strstr(buf, "Klimaat: &lt; 0,1 %."), "%.400s", ard ? ard : buf);
    cr_expect(strstr(buf, ">&lt; 0,1 %</text>"), "%.400s", ard ? ard : buf);
    cr_expect(!strstr(buf, "Klimaat: 0,0 %"), "%.400s", ard ? ard : buf);
    cr_expect(strstr(buf, "0,300 / 1.000,000 kg"), "%.400s", ard ? ard : buf);
    free(buf);
    rp_input_free(&in);
}

/* A share beyond int64 in tenths of a percent is exact too, worked out by hand: 10^16 of 1
 * is 10^18 %; INT64_MAX of 1 is 922.337.203.685.477.580.700 %; INT64_MIN of 1 ends in 800.
 * The tenths had been cast to int64 and wrapped (10^16 of 1: "-844.674.407.370.955.161,6 %"). */
Test(pct, shares_beyond_int64_are_exact)
{
    rp_input_t in;
    rp_report_t r;
    s_min_report(&r, &in, TEXT_NL);
    static const struct { int64_t num, den; const char *want; } c[] = {
        { INT64_C(10000000000000000), 1, "1.000.000.000.000.000.000,0 %" },
        { INT64_MAX, 1, "922.337.203.685.477.580.700,0 %" },
        { -INT64_MAX, 1, "-922.337.203.685.477.580.700,0 %" },
        { INT64_MIN, 1, "-922.337.203.685.477.580.800,0 %" },
        { INT64_MAX, 3, "307.445.734.561.825.860.233,3 %" },
        { INT64_C(9223372036854775), 1, "922.337.203.685.477.500,0 %" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char b[64];
        rp_html_pct(b, sizeof b, &r, c[i].num, c[i].den);
        cr_expect_str_eq(b, c[i].want, "%lld / %lld", (long long)c[i].num, (long long)c[i].den);
    }
    in.lang = TEXT_EN;
    char b[64];
    rp_html_pct(b, sizeof b, &r, INT64_C(10000000000000000), 1);
    cr_expect_str_eq(b, "1,000,000,000,000,000,000.0 %");
}
