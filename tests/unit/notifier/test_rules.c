/*  notifier rules: working days, Amsterdam time, the reminder schedule. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nt_cal.h"
#include "nt_rules.h"

static nt_cal_t *s_cal;
static nt_rules_cfg_t s_cfg;

static void s_setup(void)
{
    s_cal = nt_cal_new();
    cr_assert(nt_cal_load(s_cal, MVOI_NOTIFIER_DATA_DIR_SRC "/holidays-nl.csv") >= 0);
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

/* Test-side and independent of nt_cal: days since 1970 through timegm, Easter by Gauss's
 * rule (with its two exceptions), not the Meeus/Jones/Butcher form the code uses. */
static int64_t s_day(int y, int m, int d)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };
    return (int64_t)(timegm(&tm) / 86400);
}

static int64_t s_gauss_easter(int y)
{
    int a = y % 19, b = y % 4, c = y % 7, k = y / 100, p = (13 + 8 * k) / 25, q = k / 4;
    int M = (15 - p + k - q) % 30, N = (4 + k - q) % 7;
    int d = (19 * a + M) % 30, e = (2 * b + 4 * c + 6 * d + N) % 7;
    if (d == 29 && e == 6)
        return s_day(y, 4, 19);
    if (d == 28 && e == 6 && (11 * M + 11) % 30 < 19)
        return s_day(y, 4, 18);
    return 22 + d + e <= 31 ? s_day(y, 3, 22 + d + e) : s_day(y, 4, d + e - 9);
}

static int s_expected(int y, int64_t *out, bool liberation)
{
    int n = 0;
    int64_t e = s_gauss_easter(y);
    int64_t k = s_day(y, 4, 27);
    struct tm tm;
    time_t tt = (time_t)k * 86400;
    gmtime_r(&tt, &tm);
    out[n++] = s_day(y, 1, 1);
    out[n++] = e - 2;
    out[n++] = e;
    out[n++] = e + 1;
    out[n++] = tm.tm_wday == 0 ? k - 1 : k;   /* Koningsdag on a Sunday: the Saturday */
    if (liberation)
        out[n++] = s_day(y, 5, 5);
    out[n++] = e + 39;
    out[n++] = e + 49;
    out[n++] = e + 50;
    out[n++] = s_day(y, 12, 25);
    out[n++] = s_day(y, 12, 26);
    return n;
}

Test(nt_rules, holidays_2024_to_2040_computed_match_an_independent_computation)
{
    int checked = 0, sunday_kingsday = 0;
    for (int y = 2024; y <= 2040; y++) {
        int64_t want[16];
        int nw = s_expected(y, want, true);
        for (int64_t d = s_day(y, 1, 1); d < s_day(y + 1, 1, 1); d++) {
            bool exp = false;
            for (int i = 0; i < nw; i++)
                exp = exp || want[i] == d;
            cr_assert_eq(nt_cal_is_holiday(s_cal, d), exp, "year %d day %lld", y, (long long)d);
            checked++;
        }
        if (want[4] != s_day(y, 4, 27))
            sunday_kingsday++;
    }
    cr_assert_eq(checked, 6210, "every day of 2024-2040: %d", checked);   /* 17 x 365 + 5 */
    cr_assert_eq(sunday_kingsday, 3, "2025, 2031, 2036: 27 April is a Sunday");
    /* The ones the old table lacked (issue 20): 2029-2031. */
    const char *hol[] = { "2029-01-01", "2029-04-02", "2030-01-01", "2031-01-01", "2031-06-02",
                          "2025-04-26", "2031-04-26", "2040-05-10" };
    for (size_t i = 0; i < sizeof hol / sizeof hol[0]; i++)
        cr_assert(nt_cal_is_holiday(s_cal, D(hol[i])), "%s", hol[i]);
    /* Python's dateutil.easter, a third computation, for the Easter dates. */
    FILE *p = popen("/usr/bin/python3 -c 'from dateutil.easter import easter\n"
                    "for y in range(2024, 2041): print(easter(y).isoformat())'", "r");
    cr_assert_not_null(p);
    char line[32];
    int y = 2024;
    while (fgets(line, sizeof line, p)) {
        line[10] = 0;
        cr_assert_eq(nt_easter(y), D(line), "Easter %d: %s", y, line);
        y++;
    }
    pclose(p);
    cr_assert_eq(y, 2041, "dateutil printed every year");
}

Test(nt_rules, liberation_day_rule_and_exceptions)
{
    nt_cal_t *c = nt_cal_new();
    nt_cal_set_liberation(c, NT_LIB_LUSTRUM);
    cr_assert(nt_cal_is_holiday(c, D("2025-05-05")));
    cr_assert(nt_cal_is_holiday(c, D("2030-05-05")));
    cr_assert(!nt_cal_is_holiday(c, D("2026-05-05")));
    nt_cal_set_liberation(c, NT_LIB_NEVER);
    cr_assert(!nt_cal_is_holiday(c, D("2025-05-05")));
    nt_liberation_t r;
    cr_assert_eq(nt_liberation_parse("lustrum", &r), 0);
    cr_assert_eq(r, NT_LIB_LUSTRUM);
    cr_assert_neq(nt_liberation_parse("sometimes", &r), 0);
    char path[] = "/tmp/nt_hol_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *csv = "# exceptions\n2026-12-24,Kerstavond (stadhuis dicht)\n-2026-12-26,"
                      "open\n";
    cr_assert_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    cr_assert_eq(nt_cal_load(c, path), 2);
    cr_assert(nt_cal_is_holiday(c, D("2026-12-24")));
    cr_assert(!nt_cal_is_holiday(c, D("2026-12-26")));
    cr_assert(nt_cal_is_holiday(c, D("2026-12-25")));
    /* A malformed line is a named error (-EINVAL), not a guess. */
    FILE *f = fopen(path, "w");
    fputs("2026-13-01,bad\n", f);
    fclose(f);
    cr_assert_lt(nt_cal_load(c, path), 0);
    f = fopen(path, "w");
    fputs("2026-12-2,short\n", f);
    fclose(f);
    cr_assert_lt(nt_cal_load(c, path), 0);
    unlink(path);
    nt_cal_destroy(&c);
}

Test(nt_rules, ambition_counts_from_the_session_and_late_kickoff_is_flagged)
{
    /* Registered 2026-11-02, session 2027-02-22 10:00: the first reminder a week after the
     * session (1 March 2027), not in November. */
    int64_t reg = L("2026-11-02", 12, 0), sess = L("2027-02-22", 10, 0);
    s_expect_local(nt_rules_ambition_due(&s_cfg, s_cal,
                                         nt_rules_ambition_from(&s_cfg, sess, reg)),
                   "2027-03-01", 9, 0);
    s_expect_local(nt_rules_ambition_due(&s_cfg, s_cal, nt_rules_ambition_from(&s_cfg, 0, reg)),
                   "2026-11-09", 9, 0);
    bool after;
    cr_assert_eq(nt_rules_start_parse("registration", &after), 0);
    cr_assert(!after);
    nt_rules_cfg_t old = s_cfg;
    old.ambition_after_kickoff = false;
    cr_assert_eq(nt_rules_ambition_from(&old, sess, reg), reg);
    cr_assert_neq(nt_rules_start_parse("publication", &after), 0);
    /* Late: publication 2027-03-01 is 7 days after the session (minimum 10). */
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.planned_publication = "2027-03-01";
    cr_assert(nt_rules_kickoff_late(&s_cfg, &t, sess));
    t.planned_publication = "2027-03-04";   /* exactly 10 days: fine */
    cr_assert(!nt_rules_kickoff_late(&s_cfg, &t, sess));
    t.planned_publication = "2027-02-01";   /* before the session */
    cr_assert(nt_rules_kickoff_late(&s_cfg, &t, sess));
    t.planned_publication = NULL;
    cr_assert(!nt_rules_kickoff_late(&s_cfg, &t, sess));
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
            /* The session at kickoff_hour; the invitation 10 working days before. */
            if (p[i].ordinal == 1) {
                s_expect_local(p[i].start_ms, "2025-09-01", 10, 0);
                s_expect_local(p[i].due_ms, "2025-08-18", 9, 0);
            } else {
                s_expect_local(p[i].start_ms, "2026-03-02", 10, 0);   /* 182 days later */
                s_expect_local(p[i].due_ms, "2026-02-16", 9, 0);
            }
            cr_assert_eq(p[i].end_ms - p[i].start_ms, 3600000);
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
    /* Periods: from the contract start, then quarters; due 30 days after (working day). */
    cr_assert_eq(p[0].period_start, D("2025-03-01"));
    cr_assert_eq(p[0].period_end, D("2025-03-31"));
    cr_assert_eq(p[0].deadline, D("2025-04-30"));
    cr_assert_eq(p[1].period_start, D("2025-04-01"));
    cr_assert_eq(p[1].period_end, D("2025-06-30"));
    cr_assert_eq(p[1].deadline, D("2025-07-30"));
    cr_assert_eq(p[3].period_start, D("2025-10-01"));
    cr_assert_eq(p[3].period_end, D("2025-12-31"));
    cr_assert_eq(p[3].deadline, D("2026-01-30"));
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
