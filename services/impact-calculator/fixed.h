/*  fixed: exact fixed-point numbers for the impact calculator.
 *
 *  Every factor, quantity and result is an int64 with an implied power of ten
 *  (docs/design.md#integers). Decimal text is parsed exactly, never via double, and
 *  there is exactly ONE rounding rule in the whole calculator: fixed_div_round(),
 *  round half away from zero, applied once at the final unit of a result.
 */
#ifndef MVOI_IMPACT_FIXED_H
#define MVOI_IMPACT_FIXED_H

#include <stdint.h>

/*  Parse decimal text ("3.251", "-0.40", "12") into value x 10^decimals.
 *  Exact: more fractional digits than `decimals` are accepted only when they are
 *  zeros ("0.4000" with 3 decimals is 400; "0.0001" with 3 decimals is -ERANGE,
 *  because storing it would mean rounding a published figure).
 *  Returns 0, -EINVAL (not a number: empty, stray characters, exponent, comma),
 *  -ERANGE (does not fit, or needs rounding). decimals must be 0..9. */
int fixed_parse(const char *text, int decimals, int64_t *out);

/*  num / den rounded half away from zero: 2.5 -> 3, -2.5 -> -3, 2.4 -> 2.
 *  The one rounding rule of the calculator (docs/design.md#integers).
 *  Returns 0, -EDOM when den == 0, -EOVERFLOW for INT64_MIN / -1. */
int fixed_div_round(int64_t num, int64_t den, int64_t *out);

/*  Checked arithmetic: *out = a op b, or -EOVERFLOW (then *out is unspecified). */
int fixed_mul(int64_t a, int64_t b, int64_t *out);
int fixed_add(int64_t a, int64_t b, int64_t *out);
int fixed_sub(int64_t a, int64_t b, int64_t *out);

#endif
