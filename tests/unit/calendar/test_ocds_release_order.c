/* The releases of one ocid merge in the order of their dates as points in time. They were
 * sorted as text: TenderNed writes local time with its offset, so on the night the clocks go
 * back "02:10+01:00" (01:10 UTC, the later release) sorted before "02:30+02:00" (00:30 UTC)
 * and the older release's title and value won; "10:00:00.250Z" sorted before "10:00:00Z".
 * The expected instants were computed with Python's datetime.fromisoformat, not this code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cal_date.h"
#include "cal_test.h"
#include "ocds_import.h"

TestSuite(ocds_order);

Test(ocds_order, instants_from_independent_arithmetic)
{
    const struct { const char *s; long long us; } ok[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "1970-01-01T01:00:00+01:00", 0 },
        { "2026-10-25T02:10:00+01:00", 1792890600000000LL },
        { "2026-10-25T02:30:00+02:00", 1792888200000000LL },
        { "2026-03-01T10:00:00.250Z", 1772359200250000LL },
        { "2026-02-28T23:00:00-05:30", 1772339400000000LL },
        { "2026-02-28T23:00:00-0530", 1772339400000000LL },
        { "2026-10-25T02:10:00+01", 1792890600000000LL },
        { "2026-03-01", 1772323200000000LL },
        { "2026-03-01T10:00:00.2500009Z", 1772359200250000LL },   /* beyond µs: not ordered */
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t us = -1;
        cr_expect_eq(cal_date_instant_us(ok[i].s, &us), 0, "%s", ok[i].s);
        cr_expect_eq(us, ok[i].us, "%s: %lld, not %lld", ok[i].s, (long long)us, ok[i].us);
    }
    const char *bad[] = { "", "2026-02-31T10:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T10:00Zx",
                          "2026-03-01T10:00:00+2:00", "2026-03-01T10:00:00+01:0", "2026-03-01 10:00:00Z", "2026-03-01T10:00:00.Z",
                          "2026-13-01", "01-03-2026", "2026-03-01T10:00:00+24:00" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t us;
        cr_expect_eq(cal_date_instant_us(bad[i], &us), -EINVAL, "'%s' accepted", bad[i]);
    }
}

/* Two releases of one ocid, the later one first in the file. */
static void s_compile(const char *later_date, const char *earlier_date, ocds_result_t *r)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"releases\":["
             "{\"ocid\":\"ocds-hrl042-2026-900\",\"id\":\"r-2\",\"date\":\"%s\",\"tag\":[\"tenderUpdate\"],"
             "\"tender\":{\"title\":\"Nieuwe titel\",\"mainProcurementCategory\":\"services\","
             "\"value\":{\"amount\":250000,\"currency\":\"EUR\"}}},"
             "{\"ocid\":\"ocds-hrl042-2026-900\",\"id\":\"r-1\",\"date\":\"%s\",\"tag\":[\"tender\"],"
             "\"tender\":{\"title\":\"Oude titel\",\"mainProcurementCategory\":\"services\","
             "\"value\":{\"amount\":100000,\"currency\":\"EUR\"}}}]}",
             later_date, earlier_date);
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_json(imp, json, strlen(json), err, sizeof err), 0, "%s", err);
    ocds_import_opts_t o = { .default_buyer = "heerlen" };
    cr_assert_eq(ocds_import_compile(imp, &o, r), 0);
    ocds_import_destroy(&imp);
    cr_assert_eq(r->n_tenders, 1, "%zu tenders, %zu refused (%s)", r->n_tenders, r->n_errors,
                 r->n_errors ? r->errors[0].message : "");
}

Test(ocds_order, the_later_release_wins_across_offsets_and_fractions)
{
    const struct { const char *later, *earlier; } cases[] = {
        /* 01:10 UTC after 00:30 UTC: the night of 25 October 2026, clocks back */
        { "2026-10-25T02:10:00+01:00", "2026-10-25T02:30:00+02:00" },
        /* a quarter second later */
        { "2026-03-01T10:00:00.250Z", "2026-03-01T10:00:00Z" },
        /* 05:00 UTC after 04:00 UTC, the earlier one written in UTC */
        { "2026-03-01T03:00:00-02:00", "2026-03-01T04:00:00Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ocds_result_t r;
        s_compile(cases[i].later, cases[i].earlier, &r);
        const Mvoi__Tender *t = r.tenders[0];
        cr_expect_str_eq(t->title, "Nieuwe titel", "case %zu", i);
        /* € 250.000 = 25.000.000 cents, the later release's value */
        cr_expect_eq(t->value_cents, 25000000, "case %zu: %lld", i, (long long)t->value_cents);
        /* the newest release's date as written: what the calendar compares a later import
         * with (an older release is refused there) */
        cr_expect_str_eq(t->source_release_date, cases[i].later, "case %zu", i);
        ocds_result_clear(&r);
    }
}
