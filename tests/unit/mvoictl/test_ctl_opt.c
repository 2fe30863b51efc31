/*  mvoictl's one number parser (ctl_opt.c) and the user's names of service fields (ctl.c).
 *
 *  Every number a user types goes through ctl_opt_int: a whole number in the range or exit
 *  64 naming the option, never atoi's silent 0 ("the current year", "every year", "the
 *  default page") or its silent prefix ("2025x" as 2025). The expected values are the
 *  typed text itself. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "pbjson.h"

static ctl_t s_nl = { .tl = TEXT_NL }, s_en = { .tl = TEXT_EN };

static void s_redirect(void) { cr_redirect_stderr(); }

TestSuite(ctl_opt, .init = s_redirect);

/* ctl_opt_int with the year's range: its result, *out untouched (-1) when refused. */
static int s_year(const char *text, long *out)
{
    *out = -1;
    return ctl_opt_int(&s_en, "year", text, 1900, 2999, out);
}

Test(ctl_opt, whole_numbers_in_range_are_taken_exactly)
{
    long v;
    cr_assert_eq(s_year("2025", &v), CTL_EX_OK);
    cr_assert_eq(v, 2025);
    cr_assert_eq(s_year("1900", &v), CTL_EX_OK);
    cr_assert_eq(v, 1900);
    cr_assert_eq(s_year("2999", &v), CTL_EX_OK);
    cr_assert_eq(v, 2999);
    cr_assert_eq(ctl_opt_int(&s_en, "offset", "0", 0, 10, &v), CTL_EX_OK);
    cr_assert_eq(v, 0);
    cr_assert_eq(ctl_opt_int(&s_en, "delta", "-5", -10, 10, &v), CTL_EX_OK);
    cr_assert_eq(v, -5);
}

/* The bug hunt's inputs: each was a figure of another period, reported with exit 0. */
Test(ctl_opt, what_atoi_took_is_a_usage_error)
{
    const char *bad[] = { "abc", "0", "2025x", "", " 2025", "2025 ", "+2025", "0x7e9", "1e3",
                          "20.25", "-", "3000", "1899", "-2025",
                          "99999999999999999999999", NULL };
    for (int i = 0; bad[i]; i++) {
        long v;
        cr_assert_eq(s_year(bad[i], &v), CTL_EX_USAGE, "'%s' was taken", bad[i]);
        cr_assert_eq(v, -1, "'%s' changed the value to %ld", bad[i], v);
    }
    long v = -1;
    cr_assert_eq(ctl_opt_int(&s_en, "year", NULL, 1900, 2999, &v), CTL_EX_USAGE);
    cr_assert_eq(v, -1);
}

Test(ctl_opt, a_negative_count_does_not_wrap)
{
    /* `tender upcoming --days -5` became 4294967291 days through (uint32_t)atoi */
    uint32_t days = 7;
    cr_assert_eq(ctl_opt_u32(&s_en, "days", "-5", 1, 3660, &days), CTL_EX_USAGE);
    cr_assert_eq(days, 7);
    cr_assert_eq(ctl_opt_u32(&s_en, "days", "3660", 1, 3660, &days), CTL_EX_OK);
    cr_assert_eq(days, 3660);
    uint32_t off = 1;
    cr_assert_eq(CTL_OPT_OFFSET(&s_en, "4294967295", &off), CTL_EX_OK);
    cr_assert_eq(off, 4294967295u);
    cr_assert_eq(CTL_OPT_OFFSET(&s_en, "4294967296", &off), CTL_EX_USAGE);
    cr_assert_eq(off, 4294967295u);
    uint32_t lim = 9;
    cr_assert_eq(CTL_OPT_LIMIT(&s_en, "0", &lim), CTL_EX_USAGE, "0 meant the default page");
    cr_assert_eq(CTL_OPT_LIMIT(&s_en, "1001", &lim), CTL_EX_USAGE, "more was clamped");
    cr_assert_eq(lim, 9);
}

Test(ctl_opt, the_message_names_option_value_and_range)
{
    long v;
    cr_assert_eq(ctl_opt_int(&s_en, "year", "abc", 1900, 2999, &v), CTL_EX_USAGE);
    cr_assert_eq(ctl_opt_int(&s_nl, "quarter", "x", 1, 4, &v), CTL_EX_USAGE);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "mvoictl: option --year: 'abc' is not a whole number between 1900 and 2999\n"
        "mvoictl: optie --quarter: 'x' is geen geheel getal van 1 tot en met 4\n");
}

Test(ctl_opt, the_silent_parser_says_why)
{
    long v = 3;
    cr_assert_eq(ctl_parse_int("12a", 1, 100, &v), -EINVAL);
    cr_assert_eq(ctl_parse_int("101", 1, 100, &v), -ERANGE);
    cr_assert_eq(v, 3);
    cr_assert_eq(ctl_parse_int("100", 1, 100, &v), 0);
    cr_assert_eq(v, 100);
}

Test(ctl_opt, operands_beyond_those_taken_are_refused)
{
    char *argv[] = { "show", "--year", "2025", "extra", NULL };
    cr_assert_eq(ctl_no_operands(&s_en, 4, argv, 3), CTL_EX_USAGE);
    cr_assert_eq(ctl_no_operands(&s_en, 3, argv, 3), CTL_EX_OK);
    fflush(stderr);
    cr_assert_stderr_eq_str("mvoictl: unexpected argument 'extra' (see --help)\n");
}

/* ---------------------------------------------------------- service fields for people */

Test(ctl_field, the_internal_path_becomes_the_option)
{
    static const struct option opts[] = { { "id", 1, 0, 'i' }, { "quantity", 1, 0, 'q' },
                                           { NULL, 0, 0, 0 } };
    char buf[64];
    ctl_field_name("compute_impact.measurements[0].id", opts, buf, sizeof buf);
    cr_assert_str_eq(buf, "--id");
    ctl_field_name("submit_measurements.measurements[3].energy.quantity", opts, buf, sizeof buf);
    cr_assert_str_eq(buf, "--quantity");
    ctl_field_name("get_tender.id", NULL, buf, sizeof buf);   /* an operand: no option */
    cr_assert_str_eq(buf, "id");
    ctl_field_name("submit_measurements.measurements[2]", opts, buf, sizeof buf);
    cr_assert_str_eq(buf, "measurements");
    ctl_field_name("id", opts, buf, sizeof buf);
    cr_assert_str_eq(buf, "--id");
}

/* ctl_check_error's exit for a service's refusal of code on field. */
static int s_refusal_exit(Mvoi__ErrorCode code, const char *field, const char *message)
{
    Mvoi__Error e = MVOI__ERROR__INIT;
    e.code = code;
    e.field = (char *)field;
    e.message = (char *)message;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_ERROR;
    env.error = &e;
    return ctl_check_error(&s_en, &env);
}

/* A service refusing the caller's key itself (server_auth.c: PERMISSION_DENIED on "key", a
 * key revoked after the handshake) is 77 "CURVE key refused", as the same key refused in the
 * handshake is (ctl_dealer_refused): it was 1. What the key may do (its buyers, its role:
 * field "buyer") stays 1, "permission denied", as the help says. */
Test(ctl_field, a_refused_key_is_77_its_rights_are_1)
{
    cr_assert_eq(s_refusal_exit(MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "key",
                                "the key of this connection is no longer in the key registry "
                                "(revoked)"), 77);
    cr_assert_eq(s_refusal_exit(MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "key",
                                "the connection carries no admitted key"), 77);
    cr_assert_eq(s_refusal_exit(MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "buyer",
                                "key ops may not act for buyer venlo"), 1);
    /* a KPI key naming another buyer is the request's, not the caller's key */
    cr_assert_eq(s_refusal_exit(MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "kpi_query.key",
                                "the request is made for buyer a but asks for buyer b's "
                                "totals"), 1);
    cr_assert_eq(s_refusal_exit(MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "key", "bad"), 65);
}

/* `kpi watch --json` is JSON Lines: a total whose document could not be made (out of
 * memory: pbjson_dumps's NULL) is exit 70 named on stderr, and nothing on stdout. It was the
 * plain-text line among the JSON lines, and a consumer parsing each line broke. */
Test(ctl_field, a_watch_line_is_json_or_nothing)
{
    Mvoi__KpiTotal t = MVOI__KPI_TOTAL__INIT;
    t.key = "kpi.heerlen.co2.2026";
    t.ambition = 1200;
    t.realisation = 345;
    t.projects = 2;
    t.seq = 17;
    char buf[256];
    FILE *out = fmemopen(buf, sizeof buf, "w");
    cr_assert(out);
    cr_expect_eq(ctl_kpi_line(&s_en, out, &t, true, NULL), CTL_EX_SOFTWARE);
    cr_expect_eq(ftell(out), 0, "a line among the JSON lines");
    cr_expect_eq(ctl_kpi_line(&s_en, out, &t, true, "{\"key\":\"k\"}"), CTL_EX_OK);
    cr_expect_eq(ctl_kpi_line(&s_en, out, &t, false, NULL), CTL_EX_OK);
    fclose(out);
    cr_expect_str_eq(buf, "{\"key\":\"k\"}\nkpi.heerlen.co2.2026 ambition=1200 "
                          "realisation=345 projects=2 seq=17\n");
}

Test(ctl_field, the_repeated_path_leaves_the_message)
{
    const char *f = "compute_impact.measurements[0].id";
    cr_assert_str_eq(ctl_field_message(f, "compute_impact.measurements[0].id: missing"), "missing");
    cr_assert_str_eq(ctl_field_message(f, "missing"), "missing");
    cr_assert_str_eq(ctl_field_message(NULL, "a: b"), "a: b");
    cr_assert_str_eq(ctl_field_message("get_tender.id", "get_tender.identity: x"),
                     "get_tender.identity: x");
}

/* ---- ctl_time.c: Dutch time whatever the machine's TZ ------------------------------ */

/* ms since the epoch of a UTC wall time (libc's timegm: not the code under test). */
static int64_t s_utc_ms(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi };
    return (int64_t)timegm(&tm) * 1000;
}

/* `reminders list` showed a mail the notifier sends at 09:00 as "07:00" on a UTC server
 * (localtime_r). The expected texts are Europe/Amsterdam per tzdata (Python's zoneinfo):
 * 2027's switches are Sunday 28 March and Sunday 31 October at 01:00 UTC. */
Test(ctl_time, dutch_wall_time_on_a_machine_in_another_zone)
{
    setenv("TZ", "America/New_York", 1);   /* neither UTC nor Dutch: must not matter */
    tzset();
    static const struct { int y, mo, d, h, mi; const char *want; } c[] = {
        { 2027, 3, 28, 0, 59, "2027-03-28 01:59" },   /* CET, the last minute */
        { 2027, 3, 28, 1, 0, "2027-03-28 03:00" },    /* CEST from 01:00 UTC */
        { 2027, 10, 31, 0, 59, "2027-10-31 02:59" },  /* CEST, the last minute */
        { 2027, 10, 31, 1, 0, "2027-10-31 02:00" },   /* CET again */
        { 2027, 7, 1, 7, 0, "2027-07-01 09:00" },     /* a summer reminder at 09:00 */
        { 2026, 12, 31, 23, 30, "2027-01-01 00:30" }, /* already the new year in Heerlen */
    };
    char buf[32];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        ctl_nl_time(buf, sizeof buf, s_utc_ms(c[i].y, c[i].mo, c[i].d, c[i].h, c[i].mi));
        cr_expect_str_eq(buf, c[i].want, "case %zu", i);
    }
    unsetenv("TZ");
    tzset();
}

/* Every delivery state and every kind of notification has its words in both languages:
 * `reminders list` and the dashboard fell back to the wire name ("kickoff_late",
 * "delivery_failed" on the dashboard) for a value added later without its entry. */
Test(ctl_opt, every_state_and_kind_has_its_words)
{
    static const struct {
        const ProtobufCEnumDescriptor *d;
        const char *area;
    } c[] = { { &mvoi__delivery_state__descriptor, "ctl.remind.state" },
              { &mvoi__reminder_kind__descriptor, "dash.kind" } };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        for (unsigned j = 0; j < c[i].d->n_values; j++) {
            int v = c[i].d->values[j].value;
            if (v == 0)
                continue;   /* unspecified: never shown */
            char key[96];
            snprintf(key, sizeof key, "%s.%s", c[i].area, pbjson_enum_short(c[i].d, v));
            cr_expect(text_has(key), "no catalogue entry %s", key);
            cr_expect_str_neq(text_get(TEXT_NL, key), text_get(TEXT_EN, key), "%s", key);
        }
    }
}
