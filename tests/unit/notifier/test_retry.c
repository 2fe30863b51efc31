/*  notifier retries: backoff with full jitter, Retry-After, outcome classes. */
#include <criterion/criterion.h>

#include "nt_retry.h"

Test(nt_retry, backoff_caps_double_up_to_the_maximum)
{
    cr_assert_eq(nt_backoff_cap(1000, 60000, 1), 1000);
    cr_assert_eq(nt_backoff_cap(1000, 60000, 2), 2000);
    cr_assert_eq(nt_backoff_cap(1000, 60000, 6), 32000);
    cr_assert_eq(nt_backoff_cap(1000, 60000, 7), 60000);
    cr_assert_eq(nt_backoff_cap(1000, 60000, 500), 60000);
    cr_assert_eq(nt_backoff_cap(1000, 60000, 0), 1000);
}

Test(nt_retry, full_jitter_is_uniform_in_zero_to_cap)
{
    uint64_t x = 88172645463325252ull;
    int64_t min = 1 << 30, max = 0, sum = 0;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t d = nt_backoff_delay(1000, 60000, 4, x, 0);
        cr_assert(d >= 0 && d <= 8000);
        min = d < min ? d : min;
        max = d > max ? d : max;
        sum += d;
    }
    cr_assert_lt(min, 50);
    cr_assert_gt(max, 7950);
    cr_assert(sum / 100000 > 3800 && sum / 100000 < 4200, "mean %lld", (long long)(sum / 100000));
    cr_assert_eq(nt_backoff_delay(1000, 60000, 1, 0, 10), 10);   /* floor */
}

Test(nt_retry, retry_after_seconds_and_http_date)
{
    cr_assert_eq(nt_retry_after_parse("120", 0), 120000);
    cr_assert_eq(nt_retry_after_parse(" 0 ", 0), 0);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    cr_assert_eq(nt_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 5000), 5000);
    cr_assert_eq(nt_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 5000), 0);
    cr_assert_eq(nt_retry_after_parse("soon", 0), -1);
    cr_assert_eq(nt_retry_after_parse("12abc", 0), -1);
    cr_assert_eq(nt_retry_after_parse("", 0), -1);
    cr_assert_eq(nt_retry_after_parse(NULL, 0), -1);
    cr_assert_eq(nt_retry_after_parse("-5", 0), -1);
    cr_assert_eq(nt_retry_after_parse("Sun, 06 Nov 1994 08:49:37 CET", 0), -1);
}

Test(nt_retry, outcome_classes)
{
    cr_assert_eq(nt_http_outcome(200), NT_OK);
    cr_assert_eq(nt_http_outcome(204), NT_OK);
    cr_assert_eq(nt_http_outcome(408), NT_TRANSIENT);
    cr_assert_eq(nt_http_outcome(429), NT_TRANSIENT);
    cr_assert_eq(nt_http_outcome(503), NT_TRANSIENT);
    cr_assert_eq(nt_http_outcome(0), NT_TRANSIENT);
    cr_assert_eq(nt_http_outcome(400), NT_PERMANENT);
    cr_assert_eq(nt_http_outcome(410), NT_PERMANENT);
    cr_assert_eq(nt_smtp_outcome(550), NT_PERMANENT);
    cr_assert_eq(nt_smtp_outcome(451), NT_TRANSIENT);
    cr_assert_eq(nt_smtp_outcome(0), NT_TRANSIENT);
}
