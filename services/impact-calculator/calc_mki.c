/*  calc_mki: avoided environmental cost (MKI) in euro cents (docs/domain.md#mki).
 *
 *  Either the two MKI totals are given (avoided = reference - offered, exact), or the LCA
 *  impacts of both designs, priced with mki_shadow_prices:
 *    cents = sum_i (ref_i - off_i) x price_i
 *  with amounts in kg eq x 1000 and prices in EUR x 10^d: x100 / (1000 x 10^d), i.e. one
 *  division by 10^(d+1), rounded once over the whole sum. Giving both forms is rejected:
 *  which one would be the truth?
 */
#include "calc_internal.h"

#include <stdio.h>
#include <string.h>

/* Sum amount x price over one design into *acc (sign +1 for reference, -1 for offered). */
static int
s_side(calc_ctx_t *ctx, const factors_table_t *t, const char *name, Mvoi__MkiImpact **items,
       size_t n, int sign, int64_t *acc)
{
    char field[96];
    if (n == 0) {
        snprintf(field, sizeof field, "measurement.mki.%s", name);
        return calc_fail(ctx, -EINVAL, field, "missing (give the impacts of both designs)");
    }
    if (n > CALC_MAX_MKI_IMPACTS) {
        snprintf(field, sizeof field, "measurement.mki.%s", name);
        return calc_fail(ctx, -EINVAL, field, "%zu impacts, at most %d", n,
                         CALC_MAX_MKI_IMPACTS);
    }
    for (size_t i = 0; i < n; i++) {
        const Mvoi__MkiImpact *it = items[i];
        snprintf(field, sizeof field, "measurement.mki.%s[%zu].category", name, i);
        const factors_row_t *row = it && it->category ? factors_find(t, it->category) : NULL;
        if (!row)
            return calc_fail(ctx, -EINVAL, field, "'%.32s' is not in mki_shadow_prices edition %s",
                             it && it->category ? it->category : "", t->edition);
        for (size_t j = 0; j < i; j++)
            if (items[j]->category && strcmp(items[j]->category, it->category) == 0)
                return calc_fail(ctx, -EINVAL, field, "%s given twice", it->category);
        snprintf(field, sizeof field, "measurement.mki.%s[%zu].amount_milli", name, i);
        /* LCA impacts may be negative (credits, e.g. stored carbon), so bound |amount|. */
        if (!it->has_amount_milli)
            return calc_fail(ctx, -EINVAL, field, "missing");
        if (it->amount_milli > CALC_MAX_MKI_AMOUNT_MILLI
            || it->amount_milli < -CALC_MAX_MKI_AMOUNT_MILLI)
            return calc_fail(ctx, -EINVAL, field, "|%lld| exceeds the maximum %lld",
                             (long long) it->amount_milli, (long long) CALC_MAX_MKI_AMOUNT_MILLI);
        int64_t term;
        if (fixed_mul(it->amount_milli, row->value, &term) < 0 || fixed_mul(term, sign, &term) < 0
            || fixed_add(*acc, term, acc) < 0)
            return calc_fail(ctx, -EOVERFLOW, field, "value too large to compute exactly");
    }
    return 0;
}

int
calc_mki(calc_ctx_t *ctx, const Mvoi__Mki *k)
{
    int rc = 0;
    bool totals = k->has_reference_mki_cents || k->has_offered_mki_cents;
    bool impacts = k->n_reference_impacts > 0 || k->n_offered_impacts > 0;
    if (totals && impacts)
        return calc_fail(ctx, -EINVAL, "measurement.mki",
                         "give either the MKI totals or the impacts, not both");
    int64_t cents;
    if (totals) {
        if ((rc = calc_bounded(ctx, "measurement.mki.reference_mki_cents",
                               k->has_reference_mki_cents, k->reference_mki_cents, true,
                               CALC_MAX_CENTS)) < 0
            || (rc = calc_bounded(ctx, "measurement.mki.offered_mki_cents",
                                  k->has_offered_mki_cents, k->offered_mki_cents, true,
                                  CALC_MAX_CENTS)) < 0)
            return rc;
        cents = k->reference_mki_cents - k->offered_mki_cents;   /* bounded: no overflow */
    }
    else if (impacts) {
        const factors_table_t *t = calc_table(ctx, "mki_shadow_prices", &rc);
        if (!t)
            return rc;
        int64_t sum = 0;
        if ((rc = s_side(ctx, t, "reference_impacts", k->reference_impacts,
                         k->n_reference_impacts, 1, &sum)) < 0
            || (rc = s_side(ctx, t, "offered_impacts", k->offered_impacts, k->n_offered_impacts,
                            -1, &sum)) < 0
            || (rc = calc_muldiv(ctx, "measurement.mki", sum, 1, 1,
                                 calc_pow10(t->decimals + 1), &cents)) < 0)
            return rc;
        /* One FactorRef per priced category (union of both designs), in first-seen order. */
        Mvoi__MkiImpact **sides[2] = { k->reference_impacts, k->offered_impacts };
        size_t counts[2] = { k->n_reference_impacts, k->n_offered_impacts };
        for (int s = 0; s < 2; s++)
            for (size_t i = 0; i < counts[s]; i++) {
                const char *cat = sides[s][i]->category;
                bool seen = false;
                for (size_t j = 0; j < ctx->impact->n_factors && !seen; j++)
                    seen = strcmp(ctx->impact->factors[j]->reference_variant, cat) == 0;
                const factors_row_t *row = factors_find(t, cat);
                if (!seen && (rc = calc_ref(ctx, t, row->source, cat, row->unverified)) < 0)
                    return rc;
            }
    }
    else
        return calc_fail(ctx, -EINVAL, "measurement.mki",
                         "give reference_mki_cents and offered_mki_cents, or reference_impacts "
                         "and offered_impacts");
    Mvoi__Impact *imp = ctx->impact;
    imp->has_mki_avoided_cents = 1;
    imp->mki_avoided_cents = cents;
    imp->has_theme = 1;
    imp->theme = MVOI__THEME__THEME_MILIEU;
    return 0;
}
