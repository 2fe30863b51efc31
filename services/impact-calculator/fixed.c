/*  fixed: exact decimal parsing, checked arithmetic and the one rounding rule. */
#include "fixed.h"

#include <errno.h>
#include <stdbool.h>

int
fixed_parse(const char *text, int decimals, int64_t *out)
{
    if (!text || !out || decimals < 0 || decimals > 9)
        return -EINVAL;
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+')
        negative = (*p++ == '-');
    /* Accumulate as a negative number so that INT64_MIN is reachable without
     * a special case; flip at the end. */
    int64_t acc = 0;
    int int_digits = 0, frac_digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, int_digits++) {
        if (__builtin_mul_overflow(acc, 10, &acc) || __builtin_sub_overflow(acc, *p - '0', &acc))
            return -ERANGE;
    }
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, frac_digits++) {
            if (frac_digits >= decimals) {
                /* Digits beyond the table's precision must be zero: anything
                 * else would silently round a published figure. */
                if (*p != '0')
                    return -ERANGE;
                continue;
            }
            if (__builtin_mul_overflow(acc, 10, &acc)
                || __builtin_sub_overflow(acc, *p - '0', &acc))
                return -ERANGE;
        }
        if (frac_digits == 0)
            return -EINVAL;     /* "3." is a typo more often than a number */
    }
    if (*p != '\0' || int_digits == 0)
        return -EINVAL;
    for (int i = frac_digits; i < decimals; i++)
        if (__builtin_mul_overflow(acc, 10, &acc))
            return -ERANGE;
    if (!negative && __builtin_mul_overflow(acc, -1, &acc))
        return -ERANGE;
    *out = acc;
    return 0;
}

int
fixed_div_round(int64_t num, int64_t den, int64_t *out)
{
    if (den == 0)
        return -EDOM;
    if (num == INT64_MIN && den == -1)
        return -EOVERFLOW;
    int64_t q = num / den;      /* C truncates toward zero */
    int64_t r = num % den;      /* same sign as num */
    /* Compare 2|r| with |den| without overflow: |r| < |den| <= 2^63, so use
     * |r| >= |den| - |r|, all in unsigned arithmetic. */
    uint64_t ar = r < 0 ? -(uint64_t) r : (uint64_t) r;
    uint64_t ad = den < 0 ? -(uint64_t) den : (uint64_t) den;
    if (ar != 0 && ar >= ad - ar)
        q += ((num < 0) != (den < 0)) ? -1 : 1;   /* away from zero */
    *out = q;
    return 0;
}

int
fixed_mul(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -EOVERFLOW : 0;
}

int
fixed_add(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -EOVERFLOW : 0;
}

int
fixed_sub(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_sub_overflow(a, b, out) ? -EOVERFLOW : 0;
}
