#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void s_restore(void) { clock_set_source(NULL, NULL); }

TestSuite(clock, .fini = s_restore);

Test(clock, system_clock_is_close_to_time)
{
    int64_t now = clock_now_ms();
    int64_t t = (int64_t) time(NULL) * 1000;
    cr_assert(now >= t - 2000 && now <= t + 2000, "clock_now_ms %lld vs time() %lld",
              (long long) now, (long long) t);
}

Test(clock, fixed_clock_only_moves_when_advanced)
{
    clock_set_fixed(1764307693123LL);
    cr_assert_eq(clock_now_ms(), 1764307693123LL);
    cr_assert_eq(clock_now_ms(), 1764307693123LL);
    clock_advance_ms(877);
    cr_assert_eq(clock_now_ms(), 1764307694000LL);
    clock_advance_ms(-1000);
    cr_assert_eq(clock_now_ms(), 1764307693000LL);
}

Test(clock, null_source_restores_system_clock)
{
    clock_set_fixed(42);
    cr_assert_eq(clock_now_ms(), 42);
    clock_set_source(NULL, NULL);
    cr_assert_gt(clock_now_ms(), 1700000000000LL);
    clock_advance_ms(1000);   /* no effect without a fixed clock */
    cr_assert_gt(clock_now_ms(), 1700000000000LL);
}

static int64_t s_custom(void *arg) { return *(int64_t *) arg; }

Test(clock, custom_source_gets_its_argument)
{
    int64_t v = 7;
    clock_set_source(s_custom, &v);
    cr_assert_eq(clock_now_ms(), 7);
    v = 9;
    cr_assert_eq(clock_now_ms(), 9);
}

Test(clock, monotonic_never_goes_back)
{
    int64_t a = clock_mono_ns(), b = clock_mono_ns();
    cr_assert_geq(b, a);
    cr_assert_gt(a, 0);
}

Test(clock, format_rfc3339_utc_milliseconds)
{
    char buf[32];
    clock_format_rfc3339(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
    clock_format_rfc3339(1795843693123LL, buf, sizeof buf);
    cr_assert_str_eq(buf, "2026-11-28T05:28:13.123Z");
    clock_format_rfc3339(951782400007LL, buf, sizeof buf);   /* leap day 2000 */
    cr_assert_str_eq(buf, "2000-02-29T00:00:00.007Z");
    clock_format_rfc3339(-1, buf, sizeof buf);                 /* before the epoch */
    cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
}

Test(clock, format_truncates_to_small_buffer)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    clock_format_rfc3339(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "1970-01");
}
