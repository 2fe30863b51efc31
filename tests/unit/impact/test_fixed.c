/*  fixed: exact decimal parsing and the one rounding rule. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "fixed.h"

Test(fixed, parses_decimal_text_exactly)
{
    int64_t v;
    cr_assert_eq(fixed_parse("3.251", 3, &v), 0);
    cr_assert_eq(v, 3251);                  /* 3.251 kg/l -> 3251 g/l */
    cr_assert_eq(fixed_parse("0.40", 3, &v), 0);
    cr_assert_eq(v, 400);                   /* 0.40 g/kWh -> 400 mg/kWh */
    cr_assert_eq(fixed_parse("2", 3, &v), 0);
    cr_assert_eq(v, 2000);
    cr_assert_eq(fixed_parse("0.4000", 3, &v), 0, "trailing zeros beyond precision are exact");
    cr_assert_eq(v, 400);
    cr_assert_eq(fixed_parse("-1.5", 1, &v), 0);
    cr_assert_eq(v, -15);
    cr_assert_eq(fixed_parse("0.0001", 6, &v), 0);
    cr_assert_eq(v, 100);                   /* EUR 0.0001 -> 100 micro-euro */
    cr_assert_eq(fixed_parse("9223372036854775807", 0, &v), 0);
    cr_assert_eq(v, INT64_MAX);
    cr_assert_eq(fixed_parse("-9223372036854775808", 0, &v), 0);
    cr_assert_eq(v, INT64_MIN);
}

Test(fixed, rejects_what_is_not_an_exact_decimal)
{
    int64_t v;
    cr_assert_eq(fixed_parse("0.0001", 3, &v), -ERANGE, "would need rounding");
    cr_assert_eq(fixed_parse("9223372036854775808", 0, &v), -ERANGE);
    cr_assert_eq(fixed_parse("9223372036854775.807", 4, &v), -ERANGE);
    const char *bad[] = { "", "-", ".5", "3.", "3,251", "1e3", "1 000", "0x10", "3.2.1", "abc",
                          " 1", "1 " };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(fixed_parse(bad[i], 3, &v), -EINVAL, "'%s' must be rejected", bad[i]);
    cr_assert_eq(fixed_parse("1", 10, &v), -EINVAL, "decimals 0..9");
}

Test(fixed, rounds_half_away_from_zero)
{
    int64_t v;
    struct { int64_t n, d, q; } cases[] = {
        { 5, 2, 3 },    /* 2.5 -> 3 */
        { -5, 2, -3 },  /* -2.5 -> -3 */
        { 7, 3, 2 },    /* 2.33 -> 2 */
        { 8, 3, 3 },    /* 2.67 -> 3 */
        { -8, 3, -3 },
        { 5, -2, -3 },  /* negative divisor: same rule */
        { 1499, 1000, 1 },
        { 1500, 1000, 2 },
        { -1500, 1000, -2 },
        { 0, 7, 0 },
        { INT64_MAX, 2, INT64_MAX / 2 + 1 },    /* .5 rounds up, no overflow */
        { INT64_MIN, 2, INT64_MIN / 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(fixed_div_round(cases[i].n, cases[i].d, &v), 0);
        cr_assert_eq(v, cases[i].q, "%lld/%lld = %lld, got %lld", (long long) cases[i].n,
                     (long long) cases[i].d, (long long) cases[i].q, (long long) v);
    }
    cr_assert_eq(fixed_div_round(1, 0, &v), -EDOM);
    cr_assert_eq(fixed_div_round(INT64_MIN, -1, &v), -EOVERFLOW);
}

Test(fixed, checked_arithmetic_reports_overflow)
{
    int64_t v;
    cr_assert_eq(fixed_mul(INT64_MAX / 2, 3, &v), -EOVERFLOW);
    cr_assert_eq(fixed_add(INT64_MAX, 1, &v), -EOVERFLOW);
    cr_assert_eq(fixed_sub(INT64_MIN, 1, &v), -EOVERFLOW);
    cr_assert_eq(fixed_mul(3000, 2783, &v), 0);
    cr_assert_eq(v, 8349000);
}
