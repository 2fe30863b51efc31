/*  report_core: the SROI target stands on one basis in the whole report. The KPI table's
 *  "Doel", the Social Return theme row (ambition and status), the contract table and the MVI
 *  export all measure against the obligation of the contracts with a known obligation that
 *  were published or realised on in the window; the previous year has no figure on that
 *  basis and says so. Expected figures are worked out by hand in the comments. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static rp_tender_t *s_tender(rp_input_t *in, const char *id, const char *planned,
                             int64_t obligation)
{
    rp_tender_t *t = rp_input_add_tender(in);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->title, sizeof t->title, "Contract %s", id);
    snprintf(t->planned, sizeof t->planned, "%s", planned);
    t->status = 1;
    t->value_cents = obligation * 20;      /* 5 % */
    t->sroi_bp = 500;
    t->sroi_obligation_cents = obligation;
    t->nthemes = 1;
    t->themes[0] = (rp_ttheme_t){ 6, 1 }; /* social_return, eis */
    return t;
}

static rp_total_t *s_sroi(rp_input_t *in, uint32_t q, const char *tender, int theme,
                          int64_t real, int64_t target)
{
    rp_total_t *t = rp_input_add_total(in);
    t->kpi = 2;
    t->year = 2026;
    t->quarter = q;
    t->theme = theme;
    if (tender)
        snprintf(t->tender, sizeof t->tender, "%s", tender);
    t->v.realisation = real;
    t->v.target = target;
    t->v.count = real ? 1 : 0;
    return t;
}

/* OLD: a 2024 contract, obligation € 500.000, realised € 250.000 in Q1 and € 50.000 in Q2.
 * NEW: published 10 February 2026, obligation € 10.000, realised € 50.000 in Q1.
 * NEW2: published 4 May 2026, obligation € 20.000, nothing realised.
 * The aggregator's target is the obligation of the contracts published in the window:
 * Q1 € 10.000, Q2 € 20.000, the year € 30.000; last year € 77.000. */
static void s_input(rp_input_t *in, const char *buyer, uint32_t quarter)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "%s", buyer);
    in->year = 2026;
    in->quarter = quarter;
    s_tender(in, "OLD", "2024-05-01", 50000000);
    s_tender(in, "NEW", "2026-02-10", 1000000);
    s_tender(in, "NEW2", "2026-05-04", 2000000);
    s_sroi(in, 1, NULL, 0, 30000000, 1000000);
    s_sroi(in, 2, NULL, 0, 5000000, 2000000);
    s_sroi(in, 0, NULL, 0, 35000000, 3000000);
    s_sroi(in, 1, NULL, 6, 30000000, 1000000);
    s_sroi(in, 2, NULL, 6, 5000000, 2000000);
    s_sroi(in, 0, NULL, 6, 35000000, 3000000);
    s_sroi(in, 1, "OLD", 0, 25000000, 0);
    s_sroi(in, 2, "OLD", 0, 5000000, 0);
    s_sroi(in, 1, "NEW", 0, 5000000, 1000000);
    s_sroi(in, 2, "NEW2", 0, 0, 2000000);
    s_sroi(in, 0, "OLD", 0, 30000000, 0);      /* the year windows of the tenders */
    s_sroi(in, 0, "NEW", 0, 5000000, 1000000);
    s_sroi(in, 0, "NEW2", 0, 0, 2000000);
    in->prev[2] = (rp_val_t){ .realisation = 72875000, .target = 7700000, .count = 9 };
}

static char *s_render(const rp_report_t *r, int which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = which == 0 ? rp_render_html(r, f) : which == 1 ? rp_render_csv(r, f, false)
           : which == 2 ? rp_render_json(r, f) : rp_render_mvi(r, f);
    fclose(f);
    cr_assert_eq(rc, 0);
    return buf;
}

Test(sroi_basis, quarter_one_target_is_the_obligation_of_the_contracts_realised_on)
{
    rp_input_t in;
    s_input(&in, "heerlen", 1);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    /* Q1: OLD (realised) € 500.000 + NEW (published) € 10.000 = € 510.000 */
    cr_expect_eq(r.sroi_obligation, 51000000);
    cr_expect_eq(r.kpi[2][RP_COL_PERIOD].target, 51000000, "was the aggregator's € 10.000");
    cr_expect_eq(r.kpi[2][RP_COL_YTD].target, 51000000);
    cr_expect(r.target_na[2][RP_COL_PREV]);
    /* the theme: € 300.000 realised against € 510.000 is behind (against € 10.000 it had
     * read "op koers") */
    cr_expect_eq(r.themes[6].ytd.ambition, 51000000);
    cr_expect_eq(r.themes[6].ytd.realisation, 30000000);
    cr_expect_eq(r.themes[6].status, RP_STATUS_BEHIND);
    char *html = s_render(&r, 0);
    cr_expect(strstr(html, "<th scope=\"row\">Doel (SROI-verplichting)</th>"), "label");
    cr_expect(strstr(html, "id=\"k-sroi-period-target\" data-raw=\"51000000\">510.000,00<"));
    cr_expect(strstr(html, "<td class=\"n muted\" id=\"k-sroi-prev-target\">–</td>"));
    cr_expect(strstr(html, "id=\"kpi-sroi-target-note\""));
    cr_expect(strstr(html, "id=\"th-social_return-ambition\" data-raw=\"51000000\">510.000,00<"));
    cr_expect(strstr(html, "id=\"sroi-o-total\" data-raw=\"51000000\">510.000,00<"));
    free(html);
    char *csv = s_render(&r, 1);
    cr_expect(strstr(csv, "kpi,sroi,,,2026-q1,target,510000.00,EUR,51000000,cent\r\n"), "%s", csv);
    cr_expect(strstr(csv, "kpi,sroi,,,ytd,target,510000.00,EUR,51000000,cent\r\n"));
    cr_expect(!strstr(csv, "kpi,sroi,,,2025,target,"), "no 0 or other basis for last year");
    cr_expect(strstr(csv, "kpi,sroi,,,2025,realisation,728750.00,EUR,72875000,cent\r\n"));
    free(csv);
    char *js = s_render(&r, 2);
    json_t *root = json_loads(js, 0, NULL);
    cr_assert(root);
    json_t *k2 = json_array_get(json_object_get(root, "kpis"), 1);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(k2, "period"), "target")),
                 51000000);
    cr_expect(json_is_null(json_object_get(json_object_get(k2, "previous_year"), "target")));
    json_decref(root);
    free(js);
    char *mvi = s_render(&r, 3);
    cr_expect(strstr(mvi, "heerlen;2026;1;2;sroi_verplichting;510000,00;EUR\r\n"), "%s", mvi);
    cr_expect(strstr(mvi, "heerlen;2026;1;2;sroi_besteed_sociaal;300000,00;EUR\r\n"));
    free(mvi);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(sroi_basis, quarter_two_period_and_year_to_date_and_the_year)
{
    rp_input_t in;
    s_input(&in, "heerlen", 2);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    /* Q2 alone: OLD (realised in Q2) € 500.000 + NEW2 (published in Q2) € 20.000; NEW was
     * published in Q1 and not realised on in Q2 */
    cr_expect_eq(r.kpi[2][RP_COL_PERIOD].target, 52000000);
    /* Q1..Q2: OLD + NEW + NEW2 = € 530.000, realised on them € 350.000 */
    cr_expect_eq(r.kpi[2][RP_COL_YTD].target, 53000000);
    cr_expect_eq(r.themes[6].ytd.ambition, 53000000);
    cr_expect_eq(r.themes[6].ytd.realisation, 35000000);
    cr_expect_eq(r.themes[6].status, RP_STATUS_BEHIND);
    rp_model_free(&r);
    in.quarter = 0;                        /* the annual report: the year's contracts */
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[2][RP_COL_PERIOD].target, 53000000);
    cr_expect_eq(r.kpi[2][RP_COL_YTD].target, 53000000);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* Realisation on a contract the calendar does not know has no obligation: it is not in the
 * like-with-like comparison (the contract table shows it on its own line). Met: the theme
 * reads "op koers" only when what was realised on the obligated contracts covers them. */
Test(sroi_basis, unknown_contract_stays_out_and_met_is_on_track)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "venlo");
    in.year = 2026;
    in.quarter = 1;
    s_tender(&in, "A", "2026-01-20", 1000000);   /* € 10.000 */
    s_sroi(&in, 1, NULL, 0, 2500000, 1000000);
    s_sroi(&in, 1, NULL, 6, 2500000, 1000000);
    s_sroi(&in, 1, "A", 0, 1200000, 1000000);    /* € 12.000 on A */
    s_sroi(&in, 1, "GHOST", 0, 1300000, 0);      /* € 13.000 on a contract not known */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.kpi[2][RP_COL_PERIOD].target, 1000000);
    cr_expect_eq(r.kpi[2][RP_COL_PERIOD].realisation, 2500000, "the KPI's own realisation");
    cr_expect_eq(r.sroi_realised_other, 1300000);
    cr_expect_eq(r.themes[6].ytd.ambition, 1000000);
    cr_expect_eq(r.themes[6].ytd.realisation, 1200000);
    cr_expect_eq(r.themes[6].status, RP_STATUS_ON_TRACK);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* Targets exist for SROI and the pilots only (plan §8, mvoi_kpi_has_target), and the pilots'
 * is a year's: elsewhere the report says "–" (HTML, XLSX), has no row (CSV) or null (JSON),
 * as mvoictl kpi show does, never "Doel 0 producten". */
Test(sroi_basis, kpis_without_a_target_show_none_not_zero)
{
    rp_input_t in;
    s_input(&in, "venlo", 1);
    rp_total_t *f = rp_input_add_total(&in);
    f->kpi = 1;
    f->year = 2026;
    f->quarter = 1;
    f->v = (rp_val_t){ .realisation = 147, .denominator = 546, .count = 8 };
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *html = s_render(&r, 0);
    cr_expect(strstr(html, "<td class=\"n muted\" id=\"k-fairtrade-period-target\">–</td>"));
    cr_expect(strstr(html, "<td class=\"n muted\" id=\"k-fairtrade-prev-target\">–</td>"));
    cr_expect(strstr(html, "<td class=\"n muted\" id=\"k-pilots-period-target\">–</td>"),
              "no quarter target of the yearly 3");
    cr_expect(strstr(html, "id=\"k-pilots-ytd-target\" data-raw=\"3\">3</td>"));
    free(html);
    char *csv = s_render(&r, 1);
    cr_expect(strstr(csv, "kpi,fairtrade,,,2026-q1,realisation,147,products,147,products\r\n"),
              "%s", csv);
    cr_expect(!strstr(csv, "kpi,fairtrade,,,2026-q1,target,"));
    cr_expect(!strstr(csv, "kpi,co2,,,ytd,target,"));
    cr_expect(!strstr(csv, "kpi,pilots,,,2026-q1,target,"));
    cr_expect(strstr(csv, "kpi,pilots,,,ytd,target,3,pilots,3,pilots\r\n"));
    free(csv);
    char *js = s_render(&r, 2);
    json_t *root = json_loads(js, 0, NULL);
    cr_assert(root);
    json_t *k1 = json_array_get(json_object_get(root, "kpis"), 0);
    cr_expect(json_is_null(json_object_get(json_object_get(k1, "period"), "target")));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(k1, "period"),
                                                    "realisation")), 147);
    json_decref(root);
    free(js);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* A period without tenders or measurements says so in the machine files too, before its
 * zeros are read (or uploaded to the MVI Platform) as a result; and its HTML has no SROI
 * target ("geen doel", "no target"), not one of € 0,00. */
Test(sroi_basis, empty_period_says_so_in_csv_and_mvi)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2029;
    in.quarter = 2;
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect(r.empty);
    char *csv = s_render(&r, 1);
    cr_expect(strstr(csv, "report,,,,2029-q2,empty,1,count,1,count\r\n"), "%s", csv);
    free(csv);
    char *mvi = s_render(&r, 3);
    cr_expect(strstr(mvi, "heerlen;2029;2;0;geen_gegevens;1;ja_nee\r\n"), "%s", mvi);
    free(mvi);
    /* no contract with a known obligation: the SROI target is none, not "€ 0,00" that any
     * realisation meets (it had read 0,00 in the quarter's and the year's column) */
    char *html = s_render(&r, 0);
    cr_expect(strstr(html, "<td class=\"n muted\" id=\"k-sroi-period-target\" "
                           "data-raw=\"0\">geen doel</td>"), "%s", strstr(html, "k-sroi-period-target"));
    cr_expect(strstr(html, "id=\"k-sroi-ytd-target\" data-raw=\"0\">geen doel</td>"));
    free(html);
    in.lang = TEXT_EN;
    html = s_render(&r, 0);
    cr_expect(strstr(html, "id=\"k-sroi-ytd-target\" data-raw=\"0\">no target</td>"));
    free(html);
    in.lang = TEXT_NL;
    rp_model_free(&r);
    rp_input_free(&in);
    s_input(&in, "heerlen", 1);            /* a period with data: 0 */
    cr_assert_eq(rp_model_build(&r, &in), 0);
    mvi = s_render(&r, 3);
    cr_expect(strstr(mvi, "heerlen;2026;1;0;geen_gegevens;0;ja_nee\r\n"), "%s", mvi);
    free(mvi);
    rp_model_free(&r);
    rp_input_free(&in);
}
