/*  calc_nox: avoided NOx against the legal requirement (docs/domain.md#nox).
 *
 *  Machines: avoided_mg = (limit_required - limit_actual) x kWh, limits from nox_stage
 *  for the machine's power band; kWh = power x load factor x hours unless metered.
 *  Limits are g/kWh with `decimals` decimals, so mg = diff x kWh x 1000 / 10^decimals:
 *    metered:  diff x kwh_milli / 10^decimals
 *    computed: diff x power_kw x load_permille x hours_milli / (1000 x 10^decimals)
 *  (kWh = power x permille/1000 x hours_milli/1000), one division, rounded once.
 *
 *  Road: limits from nox_road for "<vehicle_class>:<euro_class>"; the row's unit (km or
 *  kWh) says which activity counts: mg = diff x activity_milli / 10^decimals.
 */
#include "calc_internal.h"

#include <stdio.h>
#include <string.h>

static int
s_stage_row(calc_ctx_t *ctx, const factors_table_t *t, const char *field,
            protobuf_c_boolean has, int stage, uint32_t power_kw, const factors_row_t **row)
{
    const char *key = has ? calc_stage_key(stage) : NULL;
    if (!key)
        return calc_fail(ctx, -EINVAL, field, has ? "unknown emission stage %d" : "missing",
                         stage);
    *row = factors_find_in_range(t, key, power_kw);
    if (!*row)
        return calc_fail(ctx, -EINVAL, field, "no %s limit for %u kW in nox_stage edition %s",
                         key, power_kw, t->edition);
    return 0;
}

int
calc_machine(calc_ctx_t *ctx, const Mvoi__MachineUse *mu)
{
    int rc = 0;
    if ((rc = calc_bounded(ctx, "measurement.machine.power_kw", mu->has_power_kw, mu->power_kw,
                           false, CALC_MAX_POWER_KW)) < 0)
        return rc;
    const factors_table_t *t = calc_table(ctx, "nox_stage", &rc);
    if (!t)
        return rc;
    const factors_row_t *act, *req;
    if ((rc = s_stage_row(ctx, t, "measurement.machine.stage_actual", mu->has_stage_actual,
                          mu->stage_actual, mu->power_kw, &act)) < 0
        || (rc = s_stage_row(ctx, t, "measurement.machine.stage_required",
                             mu->has_stage_required, mu->stage_required, mu->power_kw,
                             &req)) < 0)
        return rc;
    if (mu->machine && strlen(mu->machine) > 128)
        return calc_fail(ctx, -EINVAL, "measurement.machine.machine", "longer than 128 bytes");

    int64_t diff, mg;
    if (fixed_sub(req->value, act->value, &diff) < 0)
        return calc_fail(ctx, -EOVERFLOW, "measurement.machine.stage_required",
                         "limit difference too large");
    int64_t scale = calc_pow10(t->decimals);
    if (mu->has_metered_kwh_milli) {
        /* Metered energy is the better number: power x load x hours is an estimate. */
        if ((rc = calc_bounded(ctx, "measurement.machine.metered_kwh_milli", 1,
                               mu->metered_kwh_milli, false, CALC_MAX_KWH_MILLI)) < 0
            || (rc = calc_muldiv(ctx, "measurement.machine.metered_kwh_milli", diff,
                                 mu->metered_kwh_milli, 1, scale, &mg)) < 0)
            return rc;
    }
    else {
        if ((rc = calc_bounded(ctx, "measurement.machine.hours_milli", mu->has_hours_milli,
                               mu->hours_milli, false, CALC_MAX_HOURS_MILLI)) < 0
            || (rc = calc_bounded(ctx, "measurement.machine.load_factor_permille",
                                  mu->has_load_factor_permille, mu->load_factor_permille,
                                  false, 1000)) < 0)
            return rc;
        int64_t energy;     /* power x permille, fits easily: <= 1e7 */
        energy = (int64_t) mu->power_kw * mu->load_factor_permille;
        if ((rc = calc_muldiv(ctx, "measurement.machine.hours_milli", diff, energy,
                              mu->hours_milli, 1000 * scale, &mg)) < 0)
            return rc;
    }
    ctx->impact->has_nox_avoided_mg = 1;
    ctx->impact->nox_avoided_mg = mg;
    ctx->impact->has_theme = 1;
    ctx->impact->theme = MVOI__THEME__THEME_MILIEU;

    /* The variant names the band and says when a limit counts HC+NOx together, so a
     * reader of the figure knows it is not pure NOx. */
    bool hc = strcmp(req->kind, "hc_nox") == 0 || strcmp(act->kind, "hc_nox") == 0;
    char variant[128];
    snprintf(variant, sizeof variant, "%s[%lld-%lldkW%s]", req->key, (long long) req->min,
             (long long) req->max, hc ? ",hc_nox" : "");
    char source[2 * FACTORS_TEXT_MAX + 4];
    calc_sources(source, sizeof source, req->source, act->source);
    return calc_ref(ctx, t, source, variant, req->unverified || act->unverified);
}

/* vehicle_class and euro classes are keys into nox_road: short identifiers. */
static int
s_road_name(calc_ctx_t *ctx, const char *field, const char *s)
{
    if (!s || !*s)
        return calc_fail(ctx, -EINVAL, field, "missing");
    size_t n = strlen(s);
    if (n > 32)
        return calc_fail(ctx, -EINVAL, field, "longer than 32 characters");
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return calc_fail(ctx, -EINVAL, field, "must be lower-case [a-z0-9_]");
    return 0;
}

int
calc_road(calc_ctx_t *ctx, const Mvoi__RoadTransport *r)
{
    int rc = 0;
    if ((rc = s_road_name(ctx, "measurement.road.vehicle_class", r->vehicle_class)) < 0
        || (rc = s_road_name(ctx, "measurement.road.euro_class_actual",
                             r->euro_class_actual)) < 0
        || (rc = s_road_name(ctx, "measurement.road.euro_class_required",
                             r->euro_class_required)) < 0)
        return rc;
    const factors_table_t *t = calc_table(ctx, "nox_road", &rc);
    if (!t)
        return rc;
    char key_act[80], key_req[80];
    snprintf(key_act, sizeof key_act, "%s:%s", r->vehicle_class, r->euro_class_actual);
    snprintf(key_req, sizeof key_req, "%s:%s", r->vehicle_class, r->euro_class_required);
    const factors_row_t *act = factors_find(t, key_act);
    if (!act)
        return calc_fail(ctx, -EINVAL, "measurement.road.euro_class_actual",
                         "no nox_road limit for %s in edition %s", key_act, t->edition);
    const factors_row_t *req = factors_find(t, key_req);
    if (!req)
        return calc_fail(ctx, -EINVAL, "measurement.road.euro_class_required",
                         "no nox_road limit for %s in edition %s", key_req, t->edition);
    if (strcmp(act->unit, req->unit) != 0)
        return impact_error_set(ctx->err, -EINVAL, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "", "nox_road %s is per %s but %s per %s", key_act, act->unit,
                                key_req, req->unit);

    const char *field;
    protobuf_c_boolean has;
    int64_t activity, max;
    if (strcmp(act->unit, "km") == 0) {
        field = "measurement.road.km_milli";
        has = r->has_km_milli;
        activity = r->km_milli;
        max = CALC_MAX_KM_MILLI;
    }
    else if (strcmp(act->unit, "kWh") == 0) {
        field = "measurement.road.kwh_milli";
        has = r->has_kwh_milli;
        activity = r->kwh_milli;
        max = CALC_MAX_KWH_MILLI;
    }
    else
        return impact_error_set(ctx->err, -EINVAL, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "", "nox_road unit %s is neither km nor kWh", act->unit);
    if ((rc = calc_bounded(ctx, field, has, activity, false, max)) < 0)
        return rc;
    int64_t diff, mg;
    if (fixed_sub(req->value, act->value, &diff) < 0)
        return calc_fail(ctx, -EOVERFLOW, "measurement.road.euro_class_required",
                         "limit difference too large");
    if ((rc = calc_muldiv(ctx, field, diff, activity, 1, calc_pow10(t->decimals), &mg)) < 0)
        return rc;
    ctx->impact->has_nox_avoided_mg = 1;
    ctx->impact->nox_avoided_mg = mg;
    ctx->impact->has_theme = 1;
    ctx->impact->theme = MVOI__THEME__THEME_MILIEU;
    char source[2 * FACTORS_TEXT_MAX + 4];
    calc_sources(source, sizeof source, req->source, act->source);
    return calc_ref(ctx, t, source, key_req, req->unverified || act->unverified);
}
