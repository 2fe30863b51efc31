/* tender_rules: validation, derived fields, lifecycle. Figures are computed by hand in the
 * comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "cal_test.h"
#include "system.pb-c.h"

static thresholds_t *th;
static isv_map_t *isv;

static void setup(void)
{
    th = cal_test_thresholds();
    cr_assert_not_null(th);
    char err[256];
    cr_assert_eq(isv_map_load_dir(CAL_DATA_DIR, &isv, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    thresholds_destroy(&th);
    isv_map_destroy(&isv);
}

TestSuite(rules, .init = setup, .fini = teardown);

static Mvoi__Procedure derive(Mvoi__TenderKind kind, long long euros, const char *pub)
{
    Mvoi__Tender *t = cal_test_tender("T-1", kind, euros, pub);
    tender_error_t err;
    cr_assert_eq(tender_prepare(t, th, isv, "2025-01-15", &err), 0, "%s: %s", err.field, err.message);
    Mvoi__Procedure p = t->procedure;
    tender_free(t);
    return p;
}

Test(rules, diensten_250k_2025_is_europees)
{
    /* 250,000 >= 221,000 (EU threshold 2024-2025, supplies/services) */
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_DIENSTEN, 250000, "2025-03-01"),
                 MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
}

Test(rules, diensten_217k_2026_is_europees)
{
    /* 217,000 >= 216,000 (2026-2027) although < 221,000 (2024-2025) */
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_DIENSTEN, 217000, "2026-03-01"),
                 MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_DIENSTEN, 217000, "2025-12-31"),
                 MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
}

Test(rules, diensten_215k_2026_is_meervoudig)
{
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_DIENSTEN, 215000, "2026-03-01"),
                 MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
}

Test(rules, band_edges)
{
    /* lower bounds are inclusive: 50,000 is meervoudig, 49,999.99 enkelvoudig */
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_LEVERINGEN, 50000, "2025-03-01"),
                 MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_LEVERINGEN, 49999, "2025-03-01"),
                 MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_DIENSTEN, 221000, "2025-03-01"),
                 MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
}

Test(rules, werken_bands)
{
    /* works: 1,200,000 in [1,000,000, 5,538,000) -> nationaal openbaar */
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_WERKEN, 1200000, "2025-06-01"),
                 MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_WERKEN, 5538000, "2025-06-01"),
                 MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    /* 5,500,000 is below 5,538,000 (2025) but above 5,404,000 (2026) */
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_WERKEN, 5500000, "2025-06-01"),
                 MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_WERKEN, 5500000, "2026-06-01"),
                 MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_assert_eq(derive(MVOI__TENDER_KIND__KIND_WERKEN, 40000, "2026-06-01"),
                 MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS);
}

Test(rules, derived_fields)
{
    Mvoi__Tender *t = cal_test_tender("HRL-1", MVOI__TENDER_KIND__KIND_WERKEN, 1200000, NULL);
    tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(t, MVOI__THEME__THEME_SOCIAL_RETURN, MVOI__COMMITMENT__COMMIT_UNSPECIFIED);
    t->has_sroi_pct_bp = 1;
    t->sroi_pct_bp = 500;
    cal_str_set(&t->purchasing_group, "Bedrijfskleding");
    tender_error_t err;
    /* no planned publication: the caller's today (2026-02-01) picks the 2026-2027 table */
    cr_assert_eq(tender_prepare(t, th, isv, "2026-02-01", &err), 0, "%s", err.message);
    cr_assert_str_eq(t->threshold_period, "2026-2027");
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_assert(t->kickoff_required);
    cr_assert(!t->ambition_complete); /* social_return not yet committed */
    /* 5 % of 1,200,000.00 = 60,000.00 euros = 6,000,000 cents */
    cr_assert_eq(t->sroi_obligation_cents, 6000000);
    cr_assert_str_eq(t->isv_risk_group, "bedrijfskleding");
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_PLANNED);
    t->themes[1]->commitment = MVOI__COMMITMENT__COMMIT_GUNNING;
    cr_assert_eq(tender_derive(t, th, isv, "2026-02-01", &err), 0);
    cr_assert(t->ambition_complete);
    tender_free(t);
}

Test(rules, enkelvoudig_needs_no_kickoff)
{
    Mvoi__Tender *t = cal_test_tender("T-2", MVOI__TENDER_KIND__KIND_DIENSTEN, 20000, "2025-05-01");
    tender_error_t err;
    cr_assert_eq(tender_prepare(t, th, isv, "2025-01-01", &err), 0);
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS);
    cr_assert(!t->kickoff_required);
    cr_assert(!t->ambition_complete); /* no themes recorded at all */
    cr_assert_null(t->isv_risk_group);
    tender_free(t);
}

Test(rules, procedure_override_kept)
{
    Mvoi__Tender *t = cal_test_tender("T-3", MVOI__TENDER_KIND__KIND_DIENSTEN, 20000, "2025-05-01");
    t->procedure_override = 1;
    t->has_procedure = 1;
    t->procedure = MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR;
    tender_error_t err;
    cr_assert_eq(tender_prepare(t, th, NULL, "2025-01-01", &err), 0);
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_assert(t->kickoff_required);
    cr_assert_str_eq(t->threshold_period, "2024-2025");
    t->procedure = MVOI__PROCEDURE__PROC_UNSPECIFIED;
    cr_assert_eq(tender_validate(t, &err), -EINVAL);
    cr_assert_str_eq(err.field, "tender.procedure");
    tender_free(t);
}

Test(rules, no_table_before_2024_leaves_procedure_unspecified)
{
    Mvoi__Tender *t = cal_test_tender("T-4", MVOI__TENDER_KIND__KIND_WERKEN, 1100000, "2010-03-01");
    tender_error_t err;
    cr_assert_eq(tender_prepare(t, th, NULL, "2025-01-01", &err), 0);
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_UNSPECIFIED);
    cr_assert_null(t->threshold_period);
    cr_assert(!t->kickoff_required);
    tender_free(t);
}

Test(rules, sroi_obligation_rounding)
{
    /* 5 % of 1,000,000.00 euros = 50,000.00 euros = 5,000,000 cents */
    cr_assert_eq(tender_sroi_obligation_cents(100000000, 500), 5000000);
    /* 2 % of 0.25 euro = 0.5 cent -> rounds half up to 1 */
    cr_assert_eq(tender_sroi_obligation_cents(25, 200), 1);
    /* 2 % of 0.24 euro = 0.48 cent -> 0 */
    cr_assert_eq(tender_sroi_obligation_cents(24, 200), 0);
    /* 3.33 % of 12,345.67 = 411.110811 euros -> 41,111 cents */
    cr_assert_eq(tender_sroi_obligation_cents(1234567, 333), 41111);
    cr_assert_eq(tender_sroi_obligation_cents(0, 500), 0);
}

static void expect_invalid(Mvoi__Tender *t, const char *field)
{
    tender_error_t err = {0};
    cr_assert_eq(tender_validate(t, &err), -EINVAL, "expected %s to fail", field);
    cr_assert_eq(err.code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(err.field, field, "field %s (message: %s)", err.field, err.message);
    cr_assert_neq(err.message[0], '\0');
    tender_free(t);
}

static Mvoi__Tender *base(void) { return cal_test_tender("T-5", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000, "2025-05-01"); }

Test(rules, sroi_one_percent_rejected)
{
    Mvoi__Tender *t = base();
    t->has_sroi_pct_bp = 1;
    t->sroi_pct_bp = 100;
    expect_invalid(t, "tender.sroi_pct_bp");
    t = base();
    t->has_sroi_pct_bp = 1;
    t->sroi_pct_bp = 501;
    expect_invalid(t, "tender.sroi_pct_bp");
}

Test(rules, sroi_exemption_and_scope)
{
    tender_error_t err;
    Mvoi__Tender *t = base();
    t->has_sroi_pct_bp = 1;
    t->sroi_pct_bp = 100;
    cal_str_set(&t->sroi_exempt_reason, "raamovereenkomst zonder arbeidscomponent");
    cr_assert_eq(tender_validate(t, &err), 0, "%s", err.message);
    tender_free(t);
    /* social_return in scope without a percentage and without exemption */
    t = base();
    tender_add_theme(t, MVOI__THEME__THEME_SOCIAL_RETURN, MVOI__COMMITMENT__COMMIT_EIS);
    expect_invalid(t, "tender.sroi_pct_bp");
    /* not in scope: 0 is fine */
    t = base();
    cr_assert_eq(tender_validate(t, &err), 0);
    tender_free(t);
    /* 2 % and 5 % are the inclusive ends */
    t = base();
    t->has_sroi_pct_bp = 1;
    t->sroi_pct_bp = 200;
    cr_assert_eq(tender_validate(t, &err), 0);
    t->sroi_pct_bp = 500;
    cr_assert_eq(tender_validate(t, &err), 0);
    tender_free(t);
}

Test(rules, bad_dates)
{
    const char *bad[] = {"2025-02-29", "2025-13-01", "2025-04-31", "01-03-2025", "2025-3-1", "", NULL};
    for (int i = 0; bad[i]; i++) {
        if (!*bad[i])
            continue;
        Mvoi__Tender *t = base();
        cal_str_set(&t->planned_publication, bad[i]);
        expect_invalid(t, "tender.planned_publication");
    }
    Mvoi__Tender *t = base();
    cal_str_set(&t->contract_start, "2024-02-29"); /* leap day exists */
    cal_str_set(&t->contract_end, "2024-02-28");
    expect_invalid(t, "tender.contract_end");
    t = base();
    cal_str_set(&t->contract_start, "2024-02-29");
    cal_str_set(&t->contract_end, "2024-02-29");
    tender_error_t err;
    cr_assert_eq(tender_validate(t, &err), 0, "same day start and end is fine");
    tender_free(t);
}

Test(rules, identity_fields)
{
    Mvoi__Tender *t = base();
    cal_str_set(&t->id, NULL);
    expect_invalid(t, "tender.id");
    t = base();
    cal_str_set(&t->id, "HRL 2025");
    {   /* the id's reason in both languages (the Dutch had the English one inside) */
        tender_error_t err = {0};
        cr_assert_eq(tender_validate(t, &err), -EINVAL);
        cr_expect_str_eq(tender_error_text(&err, TEXT_EN),
                         "character 4 (U+0020) is not allowed in an id");
        cr_expect_str_eq(tender_error_text(&err, TEXT_NL),
                         "teken 4 (U+0020) mag niet in een kenmerk");
    }
    expect_invalid(t, "tender.id");
    t = base();
    char longid[TENDER_ID_MAX + 2];
    memset(longid, 'a', TENDER_ID_MAX + 1);
    longid[TENDER_ID_MAX + 1] = '\0';
    cal_str_set(&t->id, longid);
    expect_invalid(t, "tender.id");
    t = base();
    longid[TENDER_ID_MAX] = '\0';
    cal_str_set(&t->id, "ocds-213czf-000-00001/lot:1_a.b");
    tender_error_t err;
    cr_assert_eq(tender_validate(t, &err), 0);
    cal_str_set(&t->id, longid);
    cr_assert_eq(tender_validate(t, &err), 0, "64 characters is the maximum");
    tender_free(t);
    t = base();
    cal_str_set(&t->buyer, NULL);
    expect_invalid(t, "tender.buyer");
    t = base();
    cal_str_set(&t->title, NULL);
    expect_invalid(t, "tender.title");
    t = base();
    char title[302 * 2 + 1] = "";
    for (int i = 0; i < 301; i++)
        strcat(title, "\xc3\xa9"); /* 301 x "é": 602 bytes, 301 characters */
    cal_str_set(&t->title, title);
    expect_invalid(t, "tender.title");
    t = base();
    cal_str_set(&t->title, "bad \xff utf8");
    expect_invalid(t, "tender.title");
}

/* Titles and names go into mail headers: a CR LF in a title wrote a Bcc: header into the
 * kick-off invitation. One line of text, no control character; a description may span
 * lines. */
Test(rules, one_line_fields_refuse_control_characters)
{
    static const char *bad[] = { "Sporthal\r\nBcc: x@evil.example", "Sporthal\nX: y",
                                 "tab\there", "del\x7f", "c1 \xc2\x85 next line" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Mvoi__Tender *t = base();
        cal_str_set(&t->title, bad[i]);
        expect_invalid(t, "tender.title");
    }
    Mvoi__Tender *t = base();
    t->project_leader = malloc(sizeof *t->project_leader);   /* freed with the tender */
    mvoi__person__init(t->project_leader);
    cal_str_set(&t->project_leader->name, "Jan\r\nBcc: x@evil.example");
    expect_invalid(t, "tender.project_leader.name");
    t = base();
    cal_str_set(&t->purchasing_group, "G1\n");
    expect_invalid(t, "tender.purchasing_group");
    t = base();
    tender_error_t err = { 0 };
    cal_str_set(&t->title, "Onderhoud sporthal \xc3\xa9\xc2\xa0\xe2\x80\x93 fase 2");   /* é, NBSP, – */
    cal_str_set(&t->description, "eerste regel\ntweede regel");
    cr_expect_eq(tender_validate(t, &err), 0, "%s", err.message);
    cal_str_set(&t->title, "Sporthal\r\nBcc: x@evil.example");
    cr_assert_eq(tender_validate(t, &err), -EINVAL);
    cr_expect(strstr(err.message, "character 9 is a control character (U+000D)"), "%s",
              err.message);
    tender_free(t);
}

Test(rules, kind_value_cpv)
{
    Mvoi__Tender *t = base();
    t->has_kind = 0;
    expect_invalid(t, "tender.kind");
    t = base();
    t->kind = 7;
    expect_invalid(t, "tender.kind");
    t = base();
    t->value_cents = -1;
    expect_invalid(t, "tender.value_cents");
    t = base();
    t->value_cents = 10000000000000LL; /* 10^13 is out */
    expect_invalid(t, "tender.value_cents");
    t = base();
    t->value_cents = 9999999999999LL;
    tender_error_t err;
    cr_assert_eq(tender_validate(t, &err), 0);
    cal_str_set(&t->cpv, "45233141-9");
    cr_assert_eq(tender_validate(t, &err), 0);
    cal_str_set(&t->cpv, "4523314");
    cr_assert_eq(tender_validate(t, &err), -EINVAL);
    cr_assert_str_eq(err.field, "tender.cpv");
    tender_free(t);
}

Test(rules, emails)
{
    const char *good[] = {"a.devries@heerlen.nl", "x+y@sub.example.org", NULL};
    const char *bad[] = {"a.devries", "a@b", "@heerlen.nl", "a b@heerlen.nl", "a@@heerlen.nl", "a@heerlen..nl",
                         "a@heerlen.nl.", NULL};
    tender_error_t err;
    for (int i = 0; good[i]; i++) {
        Mvoi__Tender *t = base();
        tender_set_person(&t->project_leader, "Anja", good[i]);
        cr_assert_eq(tender_validate(t, &err), 0, "%s", good[i]);
        tender_free(t);
    }
    for (int i = 0; bad[i]; i++) {
        Mvoi__Tender *t = base();
        tender_set_person(&t->budget_holder, "Jan", bad[i]);
        expect_invalid(t, "tender.budget_holder.email");
    }
}

Test(rules, themes_and_sdgs)
{
    Mvoi__Tender *t = base();
    tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(t, MVOI__THEME__THEME_MILIEU, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_GUNNING);
    expect_invalid(t, "tender.themes[2].theme");
    t = base();
    tender_add_theme(t, MVOI__THEME__THEME_UNSPECIFIED, MVOI__COMMITMENT__COMMIT_EIS);
    expect_invalid(t, "tender.themes[0].theme");
    t = base();
    tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(t, MVOI__THEME__THEME_ISV, MVOI__COMMITMENT__COMMIT_EIS);
    tender_add_theme(t, MVOI__THEME__THEME_MILIEU, 9);
    expect_invalid(t, "tender.themes[2].commitment");
    t = base();
    tender_add_sdg(t, 8);
    tender_add_sdg(t, 18);
    expect_invalid(t, "tender.sdgs[1]");
    t = base();
    tender_add_sdg(t, 0);
    expect_invalid(t, "tender.sdgs[0]");
    t = base();
    tender_add_sdg(t, 13);
    tender_add_sdg(t, 13);
    expect_invalid(t, "tender.sdgs[1]");
}

static Mvoi__Tender *lifecycle_tender(bool public_tender, bool ambition)
{
    Mvoi__Tender *t = cal_test_tender("L-1", MVOI__TENDER_KIND__KIND_DIENSTEN,
                                      public_tender ? 300000 : 20000, "2025-05-01");
    tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT,
                     ambition ? MVOI__COMMITMENT__COMMIT_EIS : MVOI__COMMITMENT__COMMIT_UNSPECIFIED);
    tender_error_t err;
    cr_assert_eq(tender_prepare(t, th, NULL, "2025-01-01", &err), 0);
    return t;
}

#define S(x) MVOI__TENDER_STATUS__STATUS_##x

Test(rules, lifecycle_happy_path)
{
    Mvoi__Tender *t = lifecycle_tender(true, true);
    tender_error_t err;
    cr_assert(t->kickoff_required);
    Mvoi__TenderStatus path[] = {S(PLANNED), S(KICKOFF_SCHEDULED), S(AMBITION_RECORDED), S(PUBLISHED),
                                 S(AWARDED), S(IN_EXECUTION), S(COMPLETED)};
    for (int i = 0; i + 1 < 7; i++)
        cr_assert_eq(tender_transition_allowed(path[i], path[i + 1], t, &err), 0, "%d->%d: %s", path[i],
                     path[i + 1], err.message);
    tender_free(t);
}

Test(rules, lifecycle_illegal)
{
    Mvoi__Tender *t = lifecycle_tender(true, true);
    tender_error_t err;
    /* backwards */
    cr_assert_eq(tender_transition_allowed(S(PUBLISHED), S(PLANNED), t, &err), -EPERM);
    cr_assert_eq(err.code, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION);
    cr_assert_str_eq(err.field, "status");
    /* same state */
    cr_assert_eq(tender_transition_allowed(S(AWARDED), S(AWARDED), t, &err), -EPERM);
    /* terminal */
    cr_assert_eq(tender_transition_allowed(S(COMPLETED), S(CANCELLED), t, &err), -EPERM);
    cr_assert_eq(tender_transition_allowed(S(CANCELLED), S(PLANNED), t, &err), -EPERM);
    /* a public tender cannot skip its kick-off */
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(PUBLISHED), t, &err), -EPERM);
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(AMBITION_RECORDED), t, &err), -EPERM);
    /* unknown values */
    cr_assert_eq(tender_transition_allowed(S(PLANNED), 42, t, &err), -EINVAL);
    cr_assert_eq(tender_transition_allowed(S(UNSPECIFIED), S(PLANNED), t, &err), -EINVAL);
    tender_free(t);
}

Test(rules, lifecycle_skips_and_cancel)
{
    tender_error_t err;
    Mvoi__Tender *small = lifecycle_tender(false, true);
    /* no kick-off needed, ambition complete: planned -> published directly */
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(PUBLISHED), small, &err), 0, "%s", err.message);
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(AWARDED), small, &err), 0);
    cr_assert_eq(tender_transition_allowed(S(PUBLISHED), S(COMPLETED), small, &err), 0);
    tender_free(small);
    Mvoi__Tender *open = lifecycle_tender(false, false);
    /* ambition not recorded: cannot publish, kick-off scheduling is fine */
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(PUBLISHED), open, &err), -EPERM);
    cr_assert(strstr(err.message, "ambition") != NULL);
    cr_assert_eq(tender_transition_allowed(S(KICKOFF_SCHEDULED), S(AMBITION_RECORDED), open, &err), -EPERM);
    cr_assert_eq(tender_transition_allowed(S(PLANNED), S(KICKOFF_SCHEDULED), open, &err), 0);
    /* cancel from every non-terminal state */
    for (int s = S(PLANNED); s <= S(IN_EXECUTION); s++)
        cr_assert_eq(tender_transition_allowed(s, S(CANCELLED), open, &err), 0, "from %d", s);
    tender_free(open);
    Mvoi__Tender *pub = lifecycle_tender(true, true);
    /* public tender after its kick-off may go straight to published */
    cr_assert_eq(tender_transition_allowed(S(KICKOFF_SCHEDULED), S(PUBLISHED), pub, &err), 0);
    tender_free(pub);
}

/* An address the rules refuse is shown in the reason up to 120 bytes; "%.120s" cut it
 * there even inside a character, and the reason (sent to the user, stored in a reply) was
 * no longer UTF-8. Now it is cut at a character's start: 119 'x' and not half an 'é'. */
Test(rules, a_refused_address_is_not_cut_inside_a_character)
{
    char email[160], want[200];
    memset(email, 'x', 119);
    snprintf(email + 119, sizeof email - 119, "\xc3\xa9 no at sign");   /* 'é' at 119..120 */
    Mvoi__Tender *t = base();
    cr_assert_eq(tender_set_person(&t->project_leader, "Anja", email), 0);
    tender_error_t err = {0};
    cr_assert_eq(tender_validate(t, &err), -EINVAL);
    cr_expect_str_eq(err.field, "tender.project_leader.email");
    snprintf(want, sizeof want, "'%.119s' is not an e-mail address", email);
    cr_expect_str_eq(tender_error_text(&err, TEXT_EN), want);
    const char *nl = tender_error_text(&err, TEXT_NL);
    cr_expect(cal_utf8_valid(nl, strlen(nl)), "not UTF-8: %s", nl);
    snprintf(want, sizeof want, "'%.119s' is geen e-mailadres", email);
    cr_expect_str_eq(nl, want);
    tender_free(t);
}
