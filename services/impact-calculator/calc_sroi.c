/*  calc_sroi: realised social return in euro cents (docs/domain.md#sroi).
 *
 *  cents = catalogue value per FTE-year x FTE-months / 12
 *        + value per hour x social-project hours
 *        + invoices at social enterprises (already cents)
 *  With values stored as EUR x 10^d and quantities x 1000, the first two terms share
 *  the denominator D = 12000 x 10^d / 100:
 *        (v_fte x fte_milli + v_hour x hours_milli x 12) x 100 / (12000 x 10^d)
 *  computed as one fraction and rounded once; the invoices are added exactly.
 */
#include "calc_internal.h"

#include <string.h>

static int
s_row(calc_ctx_t *ctx, const factors_table_t *t, const char *field, const char *key,
      const char *kind, const factors_row_t **row)
{
    *row = factors_find(t, key);
    if (!*row || strcmp((*row)->kind, kind) != 0)
        return calc_fail(ctx, -EINVAL, field, "'%.64s' is not a %s in sroi_catalogue edition %s",
                         key, kind, t->edition);
    return 0;
}

int
calc_sroi(calc_ctx_t *ctx, const Mvoi__SocialReturn *s)
{
    int rc = 0;
    int64_t fte = s->has_fte_months_milli ? s->fte_months_milli : 0;
    int64_t hours = s->has_social_project_hours_milli ? s->social_project_hours_milli : 0;
    int64_t invoices = s->has_social_enterprise_cents ? s->social_enterprise_cents : 0;
    if ((s->has_fte_months_milli
         && (rc = calc_bounded(ctx, "measurement.social.fte_months_milli", 1, fte, true,
                               CALC_MAX_FTE_MONTHS_MILLI)) < 0)
        || (s->has_social_project_hours_milli
            && (rc = calc_bounded(ctx, "measurement.social.social_project_hours_milli", 1,
                                  hours, true, CALC_MAX_HOURS_SOCIAL_MILLI)) < 0)
        || (s->has_social_enterprise_cents
            && (rc = calc_bounded(ctx, "measurement.social.social_enterprise_cents", 1,
                                  invoices, true, CALC_MAX_CENTS)) < 0))
        return rc;
    bool has_group = s->target_group && *s->target_group;
    if (fte > 0 && !has_group)
        return calc_fail(ctx, -EINVAL, "measurement.social.target_group",
                         "missing (required with fte_months_milli)");
    if (has_group && fte == 0)
        return calc_fail(ctx, -EINVAL, "measurement.social.fte_months_milli",
                         "missing (required with target_group)");
    if (s->has_bonus_50plus && s->bonus_50plus && fte == 0)
        return calc_fail(ctx, -EINVAL, "measurement.social.bonus_50plus",
                         "only with fte_months_milli");
    if (fte == 0 && hours == 0 && invoices == 0)
        return calc_fail(ctx, -EINVAL, "measurement.social",
                         "nothing realised: set fte_months_milli, social_project_hours_milli "
                         "or social_enterprise_cents");

    const factors_table_t *t = calc_table(ctx, "sroi_catalogue", &rc);
    if (!t)
        return rc;
    const factors_row_t *group = NULL, *bonus = NULL, *hourly = NULL;
    int64_t v_fte = 0, num = 0, term, cents;
    if (fte > 0) {
        if ((rc = s_row(ctx, t, "measurement.social.target_group", s->target_group,
                        "target_group", &group)) < 0)
            return rc;
        v_fte = group->value;
        if (s->has_bonus_50plus && s->bonus_50plus) {
            if ((rc = s_row(ctx, t, "measurement.social.bonus_50plus", "bonus_50plus", "bonus",
                            &bonus)) < 0)
                return rc;
            if (fixed_add(v_fte, bonus->value, &v_fte) < 0)
                return calc_fail(ctx, -EOVERFLOW, "measurement.social.bonus_50plus",
                                 "value too large");
        }
        if (fixed_mul(v_fte, fte, &num) < 0)
            return calc_fail(ctx, -EOVERFLOW, "measurement.social.fte_months_milli",
                             "value too large to compute exactly");
    }
    if (hours > 0) {
        if ((rc = s_row(ctx, t, "measurement.social.social_project_hours_milli",
                        "social_project_hour", "hourly", &hourly)) < 0)
            return rc;
        if (fixed_mul(hourly->value, hours, &term) < 0 || fixed_mul(term, 12, &term) < 0
            || fixed_add(num, term, &num) < 0)
            return calc_fail(ctx, -EOVERFLOW, "measurement.social.social_project_hours_milli",
                             "value too large to compute exactly");
    }
    /* x100 (EUR -> cents) / (12000 x 10^d). */
    if ((rc = calc_muldiv(ctx, "measurement.social", num, 100, 1,
                          12000 * calc_pow10(t->decimals), &cents)) < 0)
        return rc;
    if (fixed_add(cents, invoices, &cents) < 0)
        return calc_fail(ctx, -EOVERFLOW, "measurement.social.social_enterprise_cents",
                         "value too large");

    Mvoi__Impact *imp = ctx->impact;
    imp->has_sroi_realised_cents = 1;
    imp->sroi_realised_cents = cents;
    imp->has_theme = 1;
    imp->theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    /* One FactorRef per catalogue row used, so each euro traces to its building block. */
    if (group && (rc = calc_ref(ctx, t, group->source, group->key, group->unverified)) < 0)
        return rc;
    if (bonus && (rc = calc_ref(ctx, t, bonus->source, bonus->key, bonus->unverified)) < 0)
        return rc;
    if (hourly && (rc = calc_ref(ctx, t, hourly->source, hourly->key, hourly->unverified)) < 0)
        return rc;
    return 0;
}
