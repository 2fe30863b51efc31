/*  calc_energy: avoided CO2 of an energy carrier against its reference (docs/domain.md#co2).
 *
 *  avoided_g = quantity x (reference factor - actual factor), both from the same co2
 *  edition. Factors are kg CO2-eq per unit stored with `decimals` decimals, quantities
 *  are units x 1000, so grams = quantity_milli x diff / 10^decimals (the x1000 of kg->g
 *  and the /1000 of milli cancel), rounded once.
 *
 *  Grid electricity (actual or reference) takes its factor from co2_grid_mix for
 *  grid_year (default: the year of period_start), because the grid mix changes every
 *  year while the rest of the list does not.
 */
#include "calc_internal.h"

#include <stdio.h>
#include <string.h>

#define S_GRID "electricity_grid"

/* The grid-mix row for `year`: the row with the greatest year <= `year`, so that a
 * 2027 measurement uses the 2026 mix until the 2027 list is added. */
static const factors_row_t *
s_grid_row(const factors_table_t *t, int64_t year)
{
    const factors_row_t *best = NULL;
    for (size_t i = 0; i < t->n_rows; i++) {
        const factors_row_t *r = &t->rows[i];
        if (strcmp(r->key, S_GRID) == 0 && r->has_range && r->min <= year
            && (!best || r->min > best->min))
            best = r;
    }
    return best;
}

typedef struct {
    const char *key;
    const factors_row_t *row;       /* row in co2 (unit, source, default reference) */
    int64_t factor;                 /* the factor used: co2 row or grid-mix row */
    bool unverified;
} s_side_t;

static int
s_side(calc_ctx_t *ctx, const factors_table_t *co2, const factors_table_t *grid, int year,
       const char *field, const char *key, s_side_t *side, const factors_row_t **grid_used)
{
    side->key = key;
    side->row = factors_find(co2, key);
    if (!side->row)
        return calc_fail(ctx, -EINVAL, field, "no factor for %s in co2 edition %s", key,
                         co2->edition);
    side->factor = side->row->value;
    side->unverified = side->row->unverified;
    if (strcmp(key, S_GRID) != 0)
        return 0;
    const factors_row_t *g = s_grid_row(grid, year);
    if (!g)
        return calc_fail(ctx, -EINVAL, "measurement.energy.grid_year",
                         "no grid-mix factor for %d in co2_grid_mix edition %s", year,
                         grid->edition);
    side->factor = g->value;
    side->unverified = g->unverified;
    *grid_used = g;
    return 0;
}

int
calc_energy(calc_ctx_t *ctx, const Mvoi__EnergyUse *e)
{
    int rc = 0;
    const char *actual = e->has_carrier ? calc_carrier_key(e->carrier) : NULL;
    if (!actual)
        return calc_fail(ctx, -EINVAL, "measurement.energy.carrier",
                         e->has_carrier ? "unknown carrier %d" : "missing", (int) e->carrier);
    if ((rc = calc_bounded(ctx, "measurement.energy.quantity_milli", e->has_quantity_milli,
                           e->quantity_milli, false, CALC_MAX_QUANTITY_MILLI)) < 0)
        return rc;
    const factors_table_t *co2 = calc_table(ctx, "co2", &rc);
    if (!co2)
        return rc;
    const factors_row_t *act_row = factors_find(co2, actual);
    if (!act_row)
        return calc_fail(ctx, -EINVAL, "measurement.energy.carrier",
                         "no factor for %s in co2 edition %s", actual, co2->edition);

    const char *reference;
    if (e->has_reference_carrier) {
        reference = calc_carrier_key(e->reference_carrier);
        if (!reference)
            return calc_fail(ctx, -EINVAL, "measurement.energy.reference_carrier",
                             "unknown carrier %d", (int) e->reference_carrier);
    }
    else {
        reference = act_row->reference;
        if (!*reference)
            return calc_fail(ctx, -EINVAL, "measurement.energy.reference_carrier",
                             "co2 edition %s has no default reference for %s: set one",
                             co2->edition, actual);
    }

    bool grid = strcmp(actual, S_GRID) == 0 || strcmp(reference, S_GRID) == 0;
    int year = ctx->year;
    if (e->has_grid_year) {
        if (!grid)
            return calc_fail(ctx, -EINVAL, "measurement.energy.grid_year",
                             "only for electricity_grid");
        if (e->grid_year < CALC_MIN_GRID_YEAR || e->grid_year > CALC_MAX_GRID_YEAR)
            return calc_fail(ctx, -EINVAL, "measurement.energy.grid_year",
                             "%u outside %d..%d", e->grid_year, CALC_MIN_GRID_YEAR,
                             CALC_MAX_GRID_YEAR);
        year = (int) e->grid_year;
    }
    const factors_table_t *gridt = NULL;
    if (grid && !(gridt = calc_table(ctx, "co2_grid_mix", &rc)))
        return rc;
    if (gridt && gridt->decimals != co2->decimals)
        return impact_error_set(ctx->err, -EINVAL, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "", "co2 and co2_grid_mix editions differ in decimals");

    s_side_t act, ref;
    const factors_row_t *grid_used = NULL;
    if ((rc = s_side(ctx, co2, gridt, year, "measurement.energy.carrier", actual, &act,
                     &grid_used)) < 0
        || (rc = s_side(ctx, co2, gridt, year, "measurement.energy.reference_carrier",
                        reference, &ref, &grid_used)) < 0)
        return rc;
    /* Litres of HVO against kilograms of CNG compare nothing. */
    if (strcmp(act.row->unit, ref.row->unit) != 0)
        return calc_fail(ctx, -EINVAL, "measurement.energy.reference_carrier",
                         "%s is per %s but %s is per %s", reference, ref.row->unit, actual,
                         act.row->unit);

    int64_t diff;
    if (fixed_sub(ref.factor, act.factor, &diff) < 0)
        return calc_fail(ctx, -EOVERFLOW, "measurement.energy.reference_carrier",
                         "factor difference too large");
    int64_t g;
    if ((rc = calc_muldiv(ctx, "measurement.energy.quantity_milli", e->quantity_milli, diff, 1,
                          calc_pow10(co2->decimals), &g)) < 0)
        return rc;
    ctx->impact->has_co2_avoided_g = 1;
    ctx->impact->co2_avoided_g = g;
    ctx->impact->has_theme = 1;
    ctx->impact->theme = MVOI__THEME__THEME_KLIMAAT;

    char source[2 * FACTORS_TEXT_MAX + 4];
    calc_sources(source, sizeof source, ref.row->source, act.row->source);
    if ((rc = calc_ref(ctx, co2, source, reference, act.unverified || ref.unverified)) < 0)
        return rc;
    if (grid_used) {
        char variant[64];
        snprintf(variant, sizeof variant, S_GRID "@%lld", (long long) grid_used->min);
        rc = calc_ref(ctx, gridt, grid_used->source, variant, grid_used->unverified);
    }
    return rc;
}
