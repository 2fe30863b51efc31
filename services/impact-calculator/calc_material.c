/*  calc_material: avoided primary material by R-ladder rung (docs/domain.md#material).
 *
 *  No official kg formula exists; r_ladder holds the mvoi default per rung as `kind`
 *  and a weight `value` (1 = count in full):
 *    whole, reused, secondary:  g = mass_g x value / 10^decimals
 *    sharing (R1):              g = mass_g x value x (f - 1000) / (10^decimals x f)
 *                               with f = sharing_factor_milli, i.e. mass x (1 - 1/f)
 *    zero (R9):                 0
 *  Renewable (biobased replacing finite) material is reported in renewable_g and NOT in
 *  primary_material_g, so that KPI 4 counts only avoided finite material.
 */
#include "calc_internal.h"

#include <string.h>

int
calc_material(calc_ctx_t *ctx, const Mvoi__Material *mat)
{
    int rc = 0;
    if ((rc = calc_bounded(ctx, "measurement.material.mass_g", mat->has_mass_g, mat->mass_g,
                           false, CALC_MAX_MASS_G)) < 0)
        return rc;
    const char *key = mat->has_strategy ? calc_strategy_key(mat->strategy) : NULL;
    if (!key)
        return calc_fail(ctx, -EINVAL, "measurement.material.strategy",
                         mat->has_strategy ? "unknown R-strategy %d" : "missing",
                         (int) mat->strategy);
    if (mat->material && strlen(mat->material) > 128)
        return calc_fail(ctx, -EINVAL, "measurement.material.material", "longer than 128 bytes");
    const factors_table_t *t = calc_table(ctx, "r_ladder", &rc);
    if (!t)
        return rc;
    const factors_row_t *row = factors_find(t, key);
    if (!row)
        return calc_fail(ctx, -EINVAL, "measurement.material.strategy",
                         "no rule for %s in r_ladder edition %s", key, t->edition);
    bool sharing = strcmp(row->kind, "sharing") == 0;
    if (mat->has_sharing_factor_milli && !sharing)
        return calc_fail(ctx, -EINVAL, "measurement.material.sharing_factor_milli",
                         "only for a sharing rule (R1 rethink), not %s", key);

    int64_t scale = calc_pow10(t->decimals), g;
    if (sharing) {
        /* f >= 1 user; f = 1 (1000) means nothing shared and nothing avoided. */
        if (!mat->has_sharing_factor_milli)
            return calc_fail(ctx, -EINVAL, "measurement.material.sharing_factor_milli",
                             "missing (required for %s)", key);
        if (mat->sharing_factor_milli < 1000 || mat->sharing_factor_milli > CALC_MAX_SHARING_MILLI)
            return calc_fail(ctx, -EINVAL, "measurement.material.sharing_factor_milli",
                             "%u outside 1000..%d (1 to 1000 users)", mat->sharing_factor_milli,
                             CALC_MAX_SHARING_MILLI);
        int64_t f = mat->sharing_factor_milli;
        if ((rc = calc_muldiv(ctx, "measurement.material.mass_g", mat->mass_g, row->value,
                              f - 1000, scale * f, &g)) < 0)
            return rc;
    }
    else if (strcmp(row->kind, "whole") == 0 || strcmp(row->kind, "reused") == 0
             || strcmp(row->kind, "secondary") == 0) {
        if ((rc = calc_muldiv(ctx, "measurement.material.mass_g", mat->mass_g, row->value, 1,
                              scale, &g)) < 0)
            return rc;
    }
    else if (strcmp(row->kind, "zero") == 0)
        g = 0;
    else
        return impact_error_set(ctx->err, -EINVAL, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "", "r_ladder %s line %d: unknown kind '%s'", t->path,
                                row->line, row->kind);

    Mvoi__Impact *imp = ctx->impact;
    imp->has_primary_material_g = 1;
    imp->has_renewable_g = 1;
    if (mat->has_renewable && mat->renewable)
        imp->renewable_g = g;
    else
        imp->primary_material_g = g;
    imp->has_theme = 1;
    imp->theme = MVOI__THEME__THEME_CIRCULAIR;
    return calc_ref(ctx, t, row->source, key, row->unverified);
}
