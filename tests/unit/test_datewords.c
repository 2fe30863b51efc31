/*  datewords: dates in words in both languages, checked against weekdays and day numbers
 *  known from elsewhere (Python's datetime: date(2027, 1, 25) - date(1970, 1, 1) is 20843
 *  days, a Monday), not from the module's own arithmetic; and a buffer too small gets the
 *  named error and nothing of the date. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "datewords.h"
#include "mvoi_error.h"

typedef struct {
    int y, m, d;
    int64_t days;   /* since 1970-01-01, from Python's datetime */
    const char *nl, *en;
} s_case_t;

static const s_case_t s_cases[] = {
    { 2027, 1, 25, 20843, "maandag 25 januari 2027", "Monday 25 January 2027" },
    { 2028, 2, 29, 21243, "dinsdag 29 februari 2028", "Tuesday 29 February 2028" },
    { 1970, 1, 1, 0, "donderdag 1 januari 1970", "Thursday 1 January 1970" },
    { 2099, 12, 31, 47481, "donderdag 31 december 2099", "Thursday 31 December 2099" },
    { 1969, 12, 31, -1, "woensdag 31 december 1969", "Wednesday 31 December 1969" },
    { 1900, 3, 1, -25508, "donderdag 1 maart 1900", "Thursday 1 March 1900" },
    { 2026, 12, 4, 20791, "vrijdag 4 december 2026", "Friday 4 December 2026" },
};
#define S_N (sizeof s_cases / sizeof s_cases[0])

Test(datewords, known_days_from_civil)
{
    for (size_t i = 0; i < S_N; i++)
        cr_expect_eq(datewords_days(s_cases[i].y, s_cases[i].m, s_cases[i].d), s_cases[i].days,
                     "%d-%d-%d", s_cases[i].y, s_cases[i].m, s_cases[i].d);
}

Test(datewords, known_civil_from_days)
{
    for (size_t i = 0; i < S_N; i++) {
        int64_t y = 0;
        int m = 0, d = 0;
        datewords_civil(s_cases[i].days, &y, &m, &d);
        cr_expect(y == s_cases[i].y && m == s_cases[i].m && d == s_cases[i].d,
                  "%lld: %lld-%d-%d", (long long)s_cases[i].days, (long long)y, m, d);
    }
}

Test(datewords, weekday_long_form_in_both_languages)
{
    char buf[DATEWORDS_MAX];
    for (size_t i = 0; i < S_N; i++) {
        int n = datewords_format(buf, sizeof buf, TEXT_NL, s_cases[i].days, DATEWORDS_WEEKDAY);
        cr_expect_str_eq(buf, s_cases[i].nl);
        cr_expect_eq(n, (int)strlen(s_cases[i].nl));
        n = datewords_format(buf, sizeof buf, TEXT_EN, s_cases[i].days, DATEWORDS_WEEKDAY);
        cr_expect_str_eq(buf, s_cases[i].en);
        cr_expect_eq(n, (int)strlen(s_cases[i].en));
    }
}

/* Without the weekday: the long form after its first word. */
Test(datewords, date_form_without_weekday)
{
    char buf[DATEWORDS_MAX];
    for (size_t i = 0; i < S_N; i++) {
        datewords_format(buf, sizeof buf, TEXT_NL, s_cases[i].days, DATEWORDS_DATE);
        cr_expect_str_eq(buf, strchr(s_cases[i].nl, ' ') + 1);
        datewords_format(buf, sizeof buf, TEXT_EN, s_cases[i].days, DATEWORDS_DATE);
        cr_expect_str_eq(buf, strchr(s_cases[i].en, ' ') + 1);
    }
}

/* Every weekday of one known week (Monday 25 January 2027 .. Sunday 31 January 2027). */
Test(datewords, a_whole_week)
{
    static const char *const nl[] = { "maandag", "dinsdag", "woensdag", "donderdag",
                                      "vrijdag", "zaterdag", "zondag" };
    static const char *const en[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                      "Saturday", "Sunday" };
    char buf[DATEWORDS_MAX], want[DATEWORDS_MAX];
    for (int i = 0; i < 7; i++) {
        datewords_format(buf, sizeof buf, TEXT_NL, 20843 + i, DATEWORDS_WEEKDAY);
        snprintf(want, sizeof want, "%s %d januari 2027", nl[i], 25 + i);
        cr_expect_str_eq(buf, want);
        datewords_format(buf, sizeof buf, TEXT_EN, 20843 + i, DATEWORDS_WEEKDAY);
        snprintf(want, sizeof want, "%s %d January 2027", en[i], 25 + i);
        cr_expect_str_eq(buf, want);
        cr_expect_eq(datewords_wday(20843 + i), (i + 1) % 7);
    }
}

/* "woensdag 31 december 1969" is 25 bytes: 26 with the terminator fits, 25 does not, and
 * then nothing of it is left (a cut "woensdag 31 december 196" is another year). */
Test(datewords, too_small_a_buffer_is_a_named_error_not_a_cut_date)
{
    char buf[DATEWORDS_MAX];
    cr_assert_eq(datewords_format(buf, 26, TEXT_NL, -1, DATEWORDS_WEEKDAY), 25);
    cr_assert_str_eq(buf, "woensdag 31 december 1969");
    memset(buf, 'x', sizeof buf);
    int rc = datewords_format(buf, 25, TEXT_NL, -1, DATEWORDS_WEEKDAY);
    cr_expect_eq(rc, DATEWORDS_E_NOSPACE);
    cr_expect_str_eq(mvoi_errname(rc), "ENOSPC");
    cr_expect_str_eq(buf, "");
    /* "25 January 2027": 15 bytes, 16 with the terminator */
    cr_expect_eq(datewords_format(buf, 15, TEXT_EN, 20843, DATEWORDS_DATE), DATEWORDS_E_NOSPACE);
    cr_expect_str_eq(buf, "");
    cr_expect_eq(datewords_format(buf, 16, TEXT_EN, 20843, DATEWORDS_DATE), 15);
    cr_expect_eq(datewords_format(buf, 0, TEXT_EN, 20843, DATEWORDS_DATE), DATEWORDS_E_NOSPACE);
    cr_expect_eq(datewords_format(NULL, 16, TEXT_EN, 20843, DATEWORDS_DATE), -EINVAL);
}

/* The instants around the changes of 2026 and 2027, worked out with GNU date and the
 * system's tzdata (TZ=Europe/Amsterdam date -d @S), which the code does not read. */
Test(datewords, amsterdam_offset_changes_on_the_eu_sundays)
{
    static const struct { int64_t s; int off; } k[] = {
        { 1774745999, 3600 },   /* 2026-03-29 00:59:59 UTC: 01:59:59 CET */
        { 1774746000, 7200 },   /* 2026-03-29 01:00:00 UTC: 03:00:00 CEST */
        { 1792889999, 7200 },   /* 2026-10-25 00:59:59 UTC: 02:59:59 CEST */
        { 1792890000, 3600 },   /* 2026-10-25 01:00:00 UTC: 02:00:00 CET */
        { 1806195600, 7200 },   /* 2027-03-28 01:00:00 UTC */
        { 1824944399, 7200 },   /* 2027-10-31 00:59:59 UTC */
        { -1800, 3600 },        /* 1969-12-31 23:30 UTC */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        cr_expect_eq(datewords_ams_offset_s(k[i].s), k[i].off, "at %lld", (long long)k[i].s);
}

Test(datewords, amsterdam_day_of_an_instant)
{
    cr_expect_eq(datewords_ams_day(1798758000), 20819);   /* 2026-12-31 23:00Z: 1 Jan 2027 */
    cr_expect_eq(datewords_ams_day(1798757999), 20818);   /* a second earlier: 31 Dec */
    cr_expect_eq(datewords_ams_day(1782856800), 20635);   /* 2026-06-30 22:00Z: 1 Jul */
    cr_expect_eq(datewords_ams_day(-1800), 0);            /* 1969-12-31 23:30Z: 1 Jan 1970 */
    cr_expect_eq(datewords_ams_day(1774746000), 20541);   /* 29 Mar 2026, 03:00 CEST */
}
