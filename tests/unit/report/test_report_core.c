/*  report_core units: the one number formatter, Amsterdam quarters, the model's columns. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *s_n(int64_t v, int scale, int dec, rp_style_t st)
{
    static char b[64];
    rp_num(b, sizeof b, v, scale, dec, st);
    return b;
}

Test(fmt, dutch_and_english_grouping)
{
    cr_expect_str_eq(s_n(123456, 2, 2, RP_STYLE_NL), "1.234,56");
    cr_expect_str_eq(s_n(123456, 2, 2, RP_STYLE_EN), "1,234.56");
    cr_expect_str_eq(s_n(27830000, 3, 3, RP_STYLE_NL), "27.830,000");   /* g -> kg */
    cr_expect_str_eq(s_n(999, 0, 0, RP_STYLE_NL), "999");
    cr_expect_str_eq(s_n(1000, 0, 0, RP_STYLE_NL), "1.000");
    cr_expect_str_eq(s_n(-123456789, 2, 2, RP_STYLE_NL), "-1.234.567,89");
    cr_expect_str_eq(s_n(0, 2, 2, RP_STYLE_EN), "0.00");
    cr_expect_str_eq(s_n(123456, 2, 2, RP_STYLE_DOT), "1234.56");
    cr_expect_str_eq(s_n(123456, 2, 2, RP_STYLE_COMMA), "1234,56");
    cr_expect_str_eq(s_n(INT64_MIN, 0, 0, RP_STYLE_EN), "-9,223,372,036,854,775,808");
}

Test(fmt, rounding_half_away_from_zero_once)
{
    cr_expect_str_eq(s_n(1500, 6, 3, RP_STYLE_DOT), "0.002");    /* 1500 mg = 0.0015 kg */
    cr_expect_str_eq(s_n(1499, 6, 3, RP_STYLE_DOT), "0.001");
    cr_expect_str_eq(s_n(-1500, 6, 3, RP_STYLE_DOT), "-0.002");
    cr_expect_str_eq(s_n(-400, 6, 3, RP_STYLE_DOT), "0.000");    /* no "-0.000" */
    cr_expect_str_eq(s_n(999999500, 6, 3, RP_STYLE_NL), "1.000,000");
    cr_expect_str_eq(s_n(5, 0, 2, RP_STYLE_NL), "5,00");         /* padding */
}

Test(qtime, amsterdam_quarter_boundary)
{
    uint32_t y, q;
    rp_ams_quarter(1774992600000LL, &y, &q);   /* 2026-03-31T21:30Z = 23:30 CEST */
    cr_expect(y == 2026 && q == 1);
    rp_ams_quarter(1774996200000LL, &y, &q);   /* 2026-03-31T22:30Z = 00:30 CEST, 1 April */
    cr_expect(y == 2026 && q == 2);
    rp_ams_quarter(1798758000000LL - 1, &y, &q);   /* 2026-12-31T22:59:59.999Z */
    cr_expect(y == 2026 && q == 4);
    rp_ams_quarter(1798758000000LL, &y, &q);       /* 2026-12-31T23:00Z = 00:00 CET */
    cr_expect(y == 2027 && q == 1);
    cr_expect_eq(rp_quarter_start_utc(2026, 2), 1774994400000LL);   /* 22:00Z */
    cr_expect_eq(rp_quarter_start_utc(2027, 1), 1798758000000LL);
    /* 1 October is still summer time: 2026-09-30T22:00Z (it was 23:00Z, an hour late) */
    cr_expect_eq(rp_quarter_start_utc(2026, 4), 1790805600000LL);
    rp_ams_quarter(1790805600000LL, &y, &q);
    cr_expect(y == 2026 && q == 4);
    rp_ams_quarter(1790805600000LL - 1, &y, &q);
    cr_expect(y == 2026 && q == 3);
    cr_expect_eq(rp_ams_offset_min(1774994400000LL), 120);
    cr_expect_eq(rp_ams_offset_min(1798758000000LL), 60);
    cr_expect_eq(rp_date_quarter("2026-07-01", &y, &q), 0);
    cr_expect(y == 2026 && q == 3);
    cr_expect_lt(rp_date_quarter("2026-13-01", &y, &q), 0);
}

static rp_total_t *s_tot(rp_input_t *in, int kpi, uint32_t q, const char *tender, int64_t real)
{
    rp_total_t *t = rp_input_add_total(in);
    t->kpi = kpi;
    t->year = 2026;
    t->quarter = q;
    if (tender)
        snprintf(t->tender, sizeof t->tender, "%s", tender);
    t->v.realisation = real;
    t->v.count = 1;
    return t;
}

Test(model, ytd_sums_quarters_and_counts_distinct_projects)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 2;
    s_tot(&in, 5, 1, NULL, 100);
    s_tot(&in, 5, 2, NULL, 50);
    s_tot(&in, 5, 3, NULL, 7000);          /* after the report's quarter: not in ytd */
    s_tot(&in, 5, 0, NULL, 7150);
    s_tot(&in, 5, 1, "A", 60);
    s_tot(&in, 5, 2, "A", 50);             /* A in Q1 and Q2: one project */
    s_tot(&in, 5, 1, "B", 40);
    s_tot(&in, 5, 1, "X", 1);              /* cancelled: no project */
    rp_tender_t *x = rp_input_add_tender(&in);
    snprintf(x->id, sizeof x->id, "X");
    snprintf(x->planned, sizeof x->planned, "2025-05-01");
    x->status = 8;
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[5][RP_COL_PERIOD].realisation, 50);
    cr_expect_eq(r.kpi[5][RP_COL_YTD].realisation, 150);
    cr_expect_eq(r.kpi[5][RP_COL_YTD].projects, 2);
    cr_expect_eq(r.kpi[6][RP_COL_YTD].target, 3);
    cr_expect_eq(r.nannex, 0);             /* X is planned in 2025 */
    cr_expect(!r.empty);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_csv(&r, f, true), 0);
    fclose(f);
    cr_expect(memcmp(buf, "\xEF\xBB\xBFsection;kpi;", 15) == 0);
    cr_expect(strstr(buf, "kpi;co2;;;ytd;realisation;0,150;kg;150;g\r\n"), "%s", buf);
    free(buf);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* KPI 6 counts a pilot once per window: a pilot reporting in Q1, Q2 and Q3 has a quarter
 * total of 1 in each, and the year to date is the distinct pilots, not their sum. */
Test(model, ytd_pilots_are_distinct_and_end_at_the_quarter)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 3;
    for (uint32_t q = 1; q <= 3; q++) {    /* pilot P reports in three quarters */
        s_tot(&in, 6, q, "P", 1);
        s_tot(&in, 6, q, NULL, q == 2 ? 2 : 1);   /* the buyer's window totals */
    }
    s_tot(&in, 6, 2, "Q", 1);              /* pilot Q in Q2 only */
    s_tot(&in, 6, 4, "R", 1);              /* pilot R after the report's quarter */
    s_tot(&in, 6, 4, NULL, 1);
    s_tot(&in, 6, 0, NULL, 3)->v.ambition = 2;   /* the year: P, Q and R */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[6][RP_COL_PERIOD].realisation, 1);
    cr_expect_eq(r.kpi[6][RP_COL_YTD].realisation, 2, "P and Q, not 1+2+1 = 4");
    cr_expect_eq(r.kpi[6][RP_COL_YTD].projects, 2);
    cr_expect_eq(r.pilots.realisation, 2, "R reported after Q3");
    cr_expect_eq(r.pilots.ambition, 2);
    cr_expect_eq(r.themes[5].status, RP_STATUS_TARGET_OPEN, "2 of 3 is not the target");
    rp_model_free(&r);
    in.quarter = 1;                        /* as of the end of Q1: P alone */
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[6][RP_COL_YTD].realisation, 1);
    cr_expect_eq(r.pilots.realisation, 1);
    rp_model_free(&r);
    in.quarter = 0;                        /* the annual report: the year window */
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[6][RP_COL_YTD].realisation, 3);
    cr_expect_eq(r.pilots.realisation, 3);
    cr_expect_eq(r.themes[5].status, RP_STATUS_TARGET_MET);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* Social return's ambition is its obligation (plan §5f), the calendar's for each contract
 * (test_report_sroi.c has the basis): a theme row with an obligation and no ambition
 * measured is compared against it. */
Test(model, social_return_is_measured_against_its_obligation)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 0;
    rp_total_t *t = s_tot(&in, 2, 0, NULL, 728750);
    t->theme = 6;                          /* social_return */
    t->v.target = 321400;
    rp_tender_t *c = rp_input_add_tender(&in);
    snprintf(c->id, sizeof c->id, "C");
    snprintf(c->planned, sizeof c->planned, "2026-03-01");
    c->sroi_obligation_cents = 321400;
    rp_total_t *tc = s_tot(&in, 2, 0, "C", 728750);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.themes[6].kpi, 2);
    cr_expect_eq(r.themes[6].ytd.ambition, 321400);
    cr_expect_eq(r.themes[6].status, RP_STATUS_ON_TRACK, "was 'measured, no ambition'");
    rp_model_free(&r);
    t->v.realisation = tc->v.realisation = 100000;   /* below the obligation */
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.themes[6].status, RP_STATUS_BEHIND);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(model, csv_quotes_fields_rfc4180)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 1;
    rp_tender_t *t = rp_input_add_tender(&in);
    snprintf(t->id, sizeof t->id, "T,\"1\"");
    snprintf(t->planned, sizeof t->planned, "2026-02-01");
    t->value_cents = 12345;
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect(r.empty == false && r.nannex == 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_csv(&r, f, false), 0);
    fclose(f);
    cr_expect(strstr(buf, "annex,,,\"T,\"\"1\"\"\",2026-q1,value,123.45,EUR,12345,cent\r\n"), "%s", buf);
    free(buf);
    rp_model_free(&r);
    rp_input_free(&in);
}
