/*  notifier rules: working days, Amsterdam time, the reminder schedule. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nt_cal.h"
#include "nt_rules.h"

static nt_cal_t *s_cal;
static nt_rules_cfg_t s_cfg;

static void s_setup(void)
{
    s_cal = nt_cal_new();
    cr_assert(nt_cal_load(s_cal, MVOI_NOTIFIER_DATA_DIR_SRC "/holidays-nl.csv") > 50);
    nt_rules_defaults(&s_cfg);
}
static void s_teardown(void) { nt_cal_destroy(&s_cal); }

static int64_t D(const char *s)
{
    int64_t d = 0;
    cr_assert_eq(nt_parse_date(s, &d), 0, "%s", s);
    return d;
}

/* Local wall time in Amsterdam as UTC ms. */
static int64_t L(const char *date, int h, int m) { return nt_ams_to_utc(D(date), h, m); }

static void s_expect_local(int64_t ms, const char *date, int h, int m)
{
    nt_local_t l;
    nt_ams_from_utc(ms, &l);
    char got[32];
    snprintf(got, sizeof got, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour,
             l.minute);
    char want[32];
    snprintf(want, sizeof want, "%s %02d:%02d", date, h, m);
    cr_assert_str_eq(got, want);
}

TestSuite(nt_rules, .init = s_setup, .fini = s_teardown);

Test(nt_rules, holidays_cover_2024_to_2028)
{
    cr_assert_eq(nt_cal_first_year(s_cal), 2024);
    cr_assert_eq(nt_cal_last_year(s_cal), 2028);
    /* Easter Monday, King's Day, Ascension, Whit Monday, Christmas (computed by hand). */
    const char *hol[] = { "2025-04-21", "2025-04-26", "2025-05-29", "2025-06-09", "2025-12-25",
                          "2026-04-06", "2026-04-27", "2026-05-14", "2026-05-25", "2027-03-29",
                          "2028-04-17", "2024-05-09", "2028-06-05" };
    for (size_t i = 0; i < sizeof hol / sizeof hol[0]; i++)
        cr_assert(nt_cal_is_holiday(s_cal, D(hol[i])), "%s", hol[i]);
    cr_assert(!nt_cal_is_working_day(s_cal, D("2025-04-21")));
    cr_assert(!nt_cal_is_working_day(s_cal, D("2025-11-15")));   /* Saturday */
    cr_assert(nt_cal_is_working_day(s_cal, D("2025-12-24")));
    cr_assert_eq(nt_cal_next_working(s_cal, D("2025-04-18")), D("2025-04-22"));
    cr_assert_eq(nt_cal_add_working(s_cal, D("2025-12-24"), 1), D("2025-12-29"));
    cr_assert_eq(nt_cal_add_working(s_cal, D("2025-04-22"), -1), D("2025-04-17"));
}

Test(nt_rules, amsterdam_time_and_dst)
{
    cr_assert_eq(L("2025-01-15", 10, 0), D("2025-01-15") * 86400000 + 9 * 3600000);
    cr_assert_eq(L("2025-07-01", 10, 0), D("2025-07-01") * 86400000 + 8 * 3600000);
    /* The switch: 2025-03-30 01:00 UTC and 2025-10-26 01:00 UTC. */
    int64_t sw = D("2025-03-30") * 86400000 + 3600000;
    cr_assert_eq(nt_ams_offset_min(sw - 1), 60);
    cr_assert_eq(nt_ams_offset_min(sw), 120);
    int64_t back = D("2025-10-26") * 86400000 + 3600000;
    cr_assert_eq(nt_ams_offset_min(back - 1), 120);
    cr_assert_eq(nt_ams_offset_min(back), 60);
    s_expect_local(D("2025-06-30") * 86400000 + 22 * 3600000 + 30 * 60000, "2025-07-01", 0, 30);
}

static Mvoi__Tender s_tender(const char *pub, const char *cs, const char *ce, bool pilot)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-1";
    t.title = "Straatverlichting";
    t.has_procedure = true;
    t.procedure = MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
    t.planned_publication = (char *)pub;
    t.contract_start = (char *)cs;
    t.contract_end = (char *)ce;
    t.has_pilot = true;
    t.pilot = pilot;
    return t;
}

Test(nt_rules, kickoff_lead_time_on_a_working_day)
{
    Mvoi__Tender t = s_tender("2025-06-30", NULL, NULL, false);
    cr_assert(nt_rules_kickoff_required(&t));
    int64_t st, en;
    /* 2025-06-30 - 21 days = Whit Monday 2025-06-09: the Friday before, 10:00. */
    nt_rules_kickoff_slot(&s_cfg, s_cal, &t, L("2025-03-03", 11, 0), &st, &en);
    s_expect_local(st, "2025-06-06", 10, 0);
    cr_assert_eq(en - st, 60 * 60000);
    /* Office hours on a working day, for every publication date of a year. */
    for (int64_t d = D("2025-01-01"); d < D("2026-01-01"); d++) {
        int y, m, dd;
        nt_civil_from_days(d, &y, &m, &dd);
        char pub[16];
        snprintf(pub, sizeof pub, "%04d-%02d-%02d", y, m, dd);
        t.planned_publication = pub;
        nt_rules_kickoff_slot(&s_cfg, s_cal, &t, L("2024-12-01", 9, 0), &st, &en);
        nt_local_t l;
        nt_ams_from_utc(st, &l);
        cr_assert(nt_cal_is_working_day(s_cal, nt_ams_day(st)), "%s", pub);
        cr_assert(l.hour >= 9 && l.hour < 17, "%s", pub);
        cr_assert(nt_ams_day(st) <= d - 21 || nt_ams_day(st) == D("2024-12-02"), "%s", pub);
    }
}

Test(nt_rules, kickoff_right_after_late_registration)
{
    Mvoi__Tender t = s_tender("2025-03-20", NULL, NULL, false);
    int64_t st, en;
    nt_rules_kickoff_slot(&s_cfg, s_cal, &t, L("2025-03-10", 15, 0), &st, &en);
    s_expect_local(st, "2025-03-11", 10, 0);
    /* Registered the day before Good Friday: after Easter Monday. */
    nt_rules_kickoff_slot(&s_cfg, s_cal, &t, L("2025-04-17", 16, 0), &st, &en);
    s_expect_local(st, "2025-04-22", 10, 0);
    /* No publication date at all. */
    t.planned_publication = NULL;
    nt_rules_kickoff_slot(&s_cfg, s_cal, &t, L("2025-12-24", 8, 0), &st, &en);
    s_expect_local(st, "2025-12-29", 10, 0);
}

Test(nt_rules, kickoff_reminder_two_working_days_before)
{
    Mvoi__Tender t = s_tender("2025-06-30", NULL, NULL, false);
    nt_due_t p[16];
    int n = nt_rules_plan(&s_cfg, s_cal, &t, L("2025-06-06", 10, 0), L("2025-03-03", 11, 0), p, 16);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].kind, MVOI__REMINDER_KIND__REM_KICKOFF_REMINDER);
    s_expect_local(p[0].due_ms, "2025-06-04", 9, 0);
    /* Invited too late for a reminder: none. */
    n = nt_rules_plan(&s_cfg, s_cal, &t, L("2025-06-06", 10, 0), L("2025-06-05", 11, 0), p, 16);
    cr_assert_eq(n, 0);
}

Test(nt_rules, sdg_dialogues_for_pilots)
{
    Mvoi__Tender t = s_tender("2025-06-30", "2025-09-01", "2026-08-31", true);
    nt_due_t p[32];
    int n = nt_rules_plan(&s_cfg, s_cal, &t, 0, 0, p, 32);
    int sdg = 0;
    for (int i = 0; i < n; i++)
        if (p[i].kind == MVOI__REMINDER_KIND__REM_SDG_DIALOGUE) {
            sdg++;
            if (p[i].ordinal == 1)
                s_expect_local(p[i].due_ms, "2025-09-01", 9, 0);
            else
                s_expect_local(p[i].due_ms, "2026-03-02", 9, 0);   /* 182 days later */
        }
    cr_assert_eq(sdg, 2);
    /* An innovation commitment makes a pilot too; no pilot, no dialogues. */
    t.pilot = false;
    n = nt_rules_plan(&s_cfg, s_cal, &t, 0, 0, p, 32);
    for (int i = 0; i < n; i++)
        cr_assert_neq(p[i].kind, MVOI__REMINDER_KIND__REM_SDG_DIALOGUE);
    Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT, *ap = &a;
    a.has_commitment = true;
    a.commitment = MVOI__COMMITMENT__COMMIT_INNOVATIE;
    t.n_themes = 1;
    t.themes = &ap;
    cr_assert(nt_rules_is_pilot(&t));
}

Test(nt_rules, measurement_requests_per_quarter_and_at_contract_end)
{
    Mvoi__Tender t = s_tender("2025-01-10", "2025-03-01", "2025-12-31", false);
    nt_due_t p[32];
    int n = nt_rules_plan(&s_cfg, s_cal, &t, 0, 0, p, 32);
    const char *want[] = { "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-02" };
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].kind != MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST)
            continue;
        cr_assert_lt(k, 4);
        cr_assert_eq(p[i].ordinal, (uint32_t)k + 1);
        s_expect_local(p[i].due_ms, want[k], 9, 0);
        k++;
    }
    cr_assert_eq(k, 4, "3 quarters + contract end (which is also a quarter end): %d", k);
    /* A contract ending mid-quarter: the quarter before plus the end. */
    t.contract_start = "2025-05-15";
    t.contract_end = "2025-08-20";
    n = nt_rules_plan(&s_cfg, s_cal, &t, 0, 0, p, 32);
    cr_assert_eq(n, 2);
    s_expect_local(p[0].due_ms, "2025-07-01", 9, 0);
    s_expect_local(p[1].due_ms, "2025-08-21", 9, 0);
}

Test(nt_rules, quarterly_report_and_ambition_escalation)
{
    int q = 0;
    s_expect_local(nt_rules_quarter_due(&s_cfg, s_cal, L("2025-03-15", 12, 0), &q), "2025-04-01",
                   9, 0);
    cr_assert_eq(q, 20252);
    s_expect_local(nt_rules_quarter_due(&s_cfg, s_cal, L("2025-12-31", 12, 0), &q), "2026-01-02",
                   9, 0);
    cr_assert_eq(q, 20261);
    /* Exactly at the due moment: the next one. */
    s_expect_local(nt_rules_quarter_due(&s_cfg, s_cal, L("2025-04-01", 9, 0), &q), "2025-07-01",
                   9, 0);
    cr_assert_eq(nt_rules_ambition_kind(&s_cfg, 1), MVOI__REMINDER_KIND__REM_AMBITION_MISSING);
    cr_assert_eq(nt_rules_ambition_kind(&s_cfg, 2), MVOI__REMINDER_KIND__REM_AMBITION_MISSING);
    cr_assert_eq(nt_rules_ambition_kind(&s_cfg, 3), MVOI__REMINDER_KIND__REM_AMBITION_ESCALATION);
    /* A week after registration on a Friday before Easter: Good Friday + 7 = Friday 25th. */
    s_expect_local(nt_rules_ambition_due(&s_cfg, s_cal, L("2025-04-18", 12, 0)), "2025-04-25", 9, 0);
    s_expect_local(nt_rules_ambition_due(&s_cfg, s_cal, L("2025-04-14", 12, 0)), "2025-04-22", 9, 0);
    Mvoi__Tender t = MVOI__TENDER__INIT;
    cr_assert(nt_rules_ambition_open(&t));
    t.has_ambition_complete = true;
    t.ambition_complete = true;
    cr_assert(!nt_rules_ambition_open(&t));
}
