/*  calc: turn one Measurement into its Impact (docs/domain.md#formulas).
 *
 *  Pure: no I/O, no clock, no state besides the loaded factor tables, so the same
 *  measurement and tables give the same impact on every replay.
 *
 *  Arithmetic is exact int64 with every multiplication and addition overflow-checked;
 *  a result is divided down to its final unit ONCE, with fixed_div_round() (round half
 *  away from zero). Negative results are allowed and meaningful: an actual variant that
 *  is worse than its reference (a Stage IIIA machine where Stage V was required) counts
 *  against the total.
 *
 *  Editions: each table's edition is the one in force in the year of period_start
 *  (factors_select_year). The impact's factors[] records table, edition, source,
 *  reference variant and whether an unverified row was used (docs/design.md#traceability).
 */
#ifndef MVOI_IMPACT_CALC_H
#define MVOI_IMPACT_CALC_H

#include "factors.h"
#include "impact.pb-c.h"
#include "impact_error.h"

/*  Upper bounds on a single measurement. Anything beyond is a typo or an attack, not a
 *  municipal contract (yearly purchasing volume is ~EUR 400 million), and the bounds keep
 *  every intermediate product far below 2^63 for the shipped tables. */
#define CALC_MAX_QUANTITY_MILLI   100000000000LL    /* 1e8 l, kg, Nm3 or kWh of a carrier */
#define CALC_MAX_POWER_KW         10000             /* largest mobile machine, with margin */
#define CALC_MAX_HOURS_MILLI      50000000LL        /* 50,000 machine hours (5.7 years non-stop) */
#define CALC_MAX_KWH_MILLI        1000000000000LL   /* 1e9 kWh metered or heavy-duty work */
#define CALC_MAX_KM_MILLI         100000000000LL    /* 1e8 km */
#define CALC_MAX_MASS_G           1000000000000LL   /* 1 million tonnes */
#define CALC_MAX_SHARING_MILLI    1000000           /* shared by at most 1000 users */
#define CALC_MAX_FTE_MONTHS_MILLI 120000000LL       /* 10,000 FTE-years */
#define CALC_MAX_HOURS_SOCIAL_MILLI 10000000000LL   /* 10 million hours */
#define CALC_MAX_CENTS            100000000000LL    /* EUR 1 billion */
#define CALC_MAX_PRODUCTS         1000000000U       /* products in one measurement */
#define CALC_MAX_MKI_AMOUNT_MILLI 100000000000LL    /* 1e8 kg equivalent per category */
#define CALC_MAX_MKI_IMPACTS      32                /* LCA categories per design */
#define CALC_MIN_GRID_YEAR        2000              /* grid_year range */
#define CALC_MAX_GRID_YEAR        2100

/*  Validate `m` (measure_validate plus every kind-specific rule) and compute its impact.
 *  On success *out is a new Mvoi__Impact the caller frees with calc_impact_free (only:
 *  each factor ref holds its strings in the same allocation).
 *  Returns 0, or a negative errno with *err filled:
 *    -EINVAL     input rejected (code ERR_INVALID_ARGUMENT, field named)
 *    -EOVERFLOW  an intermediate does not fit int64 (ERR_INVALID_ARGUMENT, field named)
 *    -ENOENT     a factor table is not loaded (ERR_FAILED_PRECONDITION)
 *    -ENOMEM     (ERR_INTERNAL) */
int calc_impact(const factors_t *factors, const Mvoi__Measurement *m, Mvoi__Impact **out,
                impact_error_t *err);

/*  Free an impact made by calc_impact and NULL the caller's pointer. */
void calc_impact_free(Mvoi__Impact **impact_p);

/*  Factor-table key of an enum value ("hvo100", "stage_iiib", "r3_reuse"), NULL when
 *  the value is unspecified or unknown. */
const char *calc_carrier_key(int carrier);
const char *calc_stage_key(int stage);
const char *calc_strategy_key(int strategy);

#endif
