/*  calc_fairtrade: fair-trade products in an ISV high-risk category (docs/domain.md#fairtrade).
 *
 *  The impact carries the two counts, not the share: shares do not add up across
 *  measurements, counts do (share = sum fair / sum risk, computed by the aggregator).
 */
#include "calc_internal.h"

int
calc_fairtrade(calc_ctx_t *ctx, const Mvoi__FairTrade *f)
{
    int rc = 0;
    if (!f->category || !*f->category)
        return calc_fail(ctx, -EINVAL, "measurement.fairtrade.category", "missing");
    if ((rc = calc_bounded(ctx, "measurement.fairtrade.products_total", f->has_products_total,
                           f->products_total, false, CALC_MAX_PRODUCTS)) < 0
        || (rc = calc_bounded(ctx, "measurement.fairtrade.products_fair", f->has_products_fair,
                              f->products_fair, true, CALC_MAX_PRODUCTS)) < 0)
        return rc;
    if (f->products_fair > f->products_total)
        return calc_fail(ctx, -EINVAL, "measurement.fairtrade.products_fair",
                         "%u exceeds products_total %u", f->products_fair, f->products_total);
    const factors_table_t *t = calc_table(ctx, "isv_categories", &rc);
    if (!t)
        return rc;
    const factors_row_t *row = factors_find(t, f->category);
    if (!row || row->value == 0)
        return calc_fail(ctx, -EINVAL, "measurement.fairtrade.category",
                         "'%.64s' is not a high-risk category in isv_categories edition %s",
                         f->category, t->edition);
    Mvoi__Impact *imp = ctx->impact;
    imp->has_fairtrade_products = 1;
    imp->fairtrade_products = f->products_fair;
    imp->has_risk_products = 1;
    imp->risk_products = f->products_total;
    imp->has_theme = 1;
    imp->theme = MVOI__THEME__THEME_ISV;
    return calc_ref(ctx, t, row->source, row->key, row->unverified);
}
