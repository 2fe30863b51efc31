/*  calc: the dispatcher and the helpers every formula shares. */
#include "calc_internal.h"
#include "measure_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enum value -> factor-table key. Kept next to each other so that a new enum value in
 * impact.proto without a key here is visible in one place (it is rejected as unknown). */
static const char *s_carriers[] = {
    [MVOI__CARRIER__CARRIER_DIESEL_B7] = "diesel_b7",
    [MVOI__CARRIER__CARRIER_DIESEL_B0] = "diesel_b0",
    [MVOI__CARRIER__CARRIER_PETROL_E10] = "petrol_e10",
    [MVOI__CARRIER__CARRIER_PETROL_E0] = "petrol_e0",
    [MVOI__CARRIER__CARRIER_HVO100] = "hvo100",
    [MVOI__CARRIER__CARRIER_HVO30] = "hvo30",
    [MVOI__CARRIER__CARRIER_CNG] = "cng",
    [MVOI__CARRIER__CARRIER_BIO_CNG] = "bio_cng",
    [MVOI__CARRIER__CARRIER_LNG] = "lng",
    [MVOI__CARRIER__CARRIER_BIO_LNG] = "bio_lng",
    [MVOI__CARRIER__CARRIER_LPG] = "lpg",
    [MVOI__CARRIER__CARRIER_HYDROGEN_GREY] = "hydrogen_grey",
    [MVOI__CARRIER__CARRIER_HYDROGEN_GREEN] = "hydrogen_green",
    [MVOI__CARRIER__CARRIER_NATURAL_GAS] = "natural_gas",
    [MVOI__CARRIER__CARRIER_GREEN_GAS] = "green_gas",
    [MVOI__CARRIER__CARRIER_ELECTRICITY_GREY] = "electricity_grey",
    [MVOI__CARRIER__CARRIER_ELECTRICITY_GRID] = "electricity_grid",
    [MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE] = "electricity_renewable",
};

static const char *s_stages[] = {
    [MVOI__EMISSION_STAGE__STAGE_I] = "stage_i",
    [MVOI__EMISSION_STAGE__STAGE_II] = "stage_ii",
    [MVOI__EMISSION_STAGE__STAGE_IIIA] = "stage_iiia",
    [MVOI__EMISSION_STAGE__STAGE_IIIB] = "stage_iiib",
    [MVOI__EMISSION_STAGE__STAGE_IV] = "stage_iv",
    [MVOI__EMISSION_STAGE__STAGE_V] = "stage_v",
    [MVOI__EMISSION_STAGE__STAGE_ZERO_EMISSION] = "zero_emission",
};

static const char *s_strategies[] = {
    [MVOI__RSTRATEGY__R0_REFUSE] = "r0_refuse",
    [MVOI__RSTRATEGY__R1_RETHINK] = "r1_rethink",
    [MVOI__RSTRATEGY__R2_REDUCE] = "r2_reduce",
    [MVOI__RSTRATEGY__R3_REUSE] = "r3_reuse",
    [MVOI__RSTRATEGY__R4_REPAIR] = "r4_repair",
    [MVOI__RSTRATEGY__R5_REFURBISH] = "r5_refurbish",
    [MVOI__RSTRATEGY__R6_REMANUFACTURE] = "r6_remanufacture",
    [MVOI__RSTRATEGY__R7_REPURPOSE] = "r7_repurpose",
    [MVOI__RSTRATEGY__R8_RECYCLE] = "r8_recycle",
    [MVOI__RSTRATEGY__R9_RECOVER] = "r9_recover",
};

#define S_LOOKUP(table, v) \
    ((v) > 0 && (size_t) (v) < sizeof(table) / sizeof(table)[0] ? (table)[v] : NULL)

const char *
calc_carrier_key(int carrier)
{
    return S_LOOKUP(s_carriers, carrier);
}

const char *
calc_stage_key(int stage)
{
    return S_LOOKUP(s_stages, stage);
}

const char *
calc_strategy_key(int strategy)
{
    return S_LOOKUP(s_strategies, strategy);
}

/* n bytes of s at buf + *at, as many as fit before the last byte of len (cut like
 * snprintf's; the caller's buffer holds two sources whole). */
static void
s_put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    size_t room = len - 1 - *at;
    if (n > room)
        n = room;
    memcpy(buf + *at, s, n);
    *at += n;
}

/* Copied, not formatted: snprintf here was 1.5 % of a measurement's CPU. */
const char *
calc_sources(char *buf, size_t len, const char *a, const char *b)
{
    if (!len)
        return buf;
    size_t at = 0;
    s_put(buf, len, &at, a, strlen(a));
    if (strcmp(a, b) != 0) {
        s_put(buf, len, &at, "; ", 2);
        s_put(buf, len, &at, b, strlen(b));
    }
    buf[at] = 0;
    return buf;
}

int64_t
calc_pow10(int n)
{
    int64_t p = 1;
    for (int i = 0; i < n && i < 18; i++)
        p *= 10;
    return p;
}

const factors_table_t *
calc_table(calc_ctx_t *ctx, const char *table, int *rc)
{
    if (ctx->edition) {
        /* A pinned edition (Measurement.edition): every table the kind uses must have it,
         * because a figure computed from a mix of editions would trace to neither. */
        const factors_table_t *t = factors_select(ctx->factors, table, ctx->edition);
        if (!t && factors_select_year(ctx->factors, table, ctx->year))
            *rc = impact_error_set(ctx->err, -EINVAL, CALC_INVALID, "measurement.edition",
                                   "factor table %s has no edition '%.64s'", table,
                                   ctx->edition);
        else if (!t)
            *rc = impact_error_set(ctx->err, -ENOENT,
                                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "",
                                   "factor table %s is not loaded", table);
        return t;
    }
    const factors_table_t *t = factors_select_year(ctx->factors, table, ctx->year);
    if (!t)
        *rc = impact_error_set(ctx->err, -ENOENT, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                               "", "factor table %s is not loaded", table);
    return t;
}

int
calc_ref(calc_ctx_t *ctx, const factors_table_t *table, const char *source, const char *variant,
         bool unverified)
{
    /* The ref and its four strings in one piece of the Impact's block (calc_alloc.c). */
    const char *src = source ? source : table->source, *var = variant ? variant : "";
    size_t lt = strlen(table->table) + 1, le = strlen(table->edition) + 1;
    size_t ls = strlen(src) + 1, lv = strlen(var) + 1;
    char *p;
    Mvoi__FactorRef *ref = calc_impact_ref(ctx->impact, lt + le + ls + lv, &p);
    if (!ref)
        goto oom;
    ref->table = memcpy(p, table->table, lt);
    ref->edition = memcpy(p += lt, table->edition, le);
    ref->source = memcpy(p += le, src, ls);
    ref->reference_variant = memcpy(p + ls, var, lv);
    ref->has_unverified = 1;
    ref->unverified = unverified;
    return 0;
oom:
    return impact_error_set(ctx->err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "",
                            "out of memory");
}

int
calc_muldiv(calc_ctx_t *ctx, const char *field, int64_t a, int64_t b, int64_t c, int64_t den,
            int64_t *out)
{
    int64_t p;
    if (fixed_mul(a, b, &p) < 0 || fixed_mul(p, c, &p) < 0 || fixed_div_round(p, den, out) < 0)
        return calc_fail(ctx, -EOVERFLOW, field, "value too large to compute exactly");
    return 0;
}

int
calc_bounded(calc_ctx_t *ctx, const char *field, protobuf_c_boolean has, int64_t v,
             bool zero_ok, int64_t max)
{
    if (!has)
        return calc_fail(ctx, -EINVAL, field, "missing");
    if (zero_ok ? v < 0 : v <= 0)
        return calc_fail(ctx, -EINVAL, field, "must be %s 0, got %lld", zero_ok ? ">=" : ">",
                         (long long) v);
    if (v > max)
        return calc_fail(ctx, -EINVAL, field, "%lld exceeds the maximum %lld", (long long) v,
                         (long long) max);
    return 0;
}

int
calc_impact(const factors_t *factors, const Mvoi__Measurement *m, Mvoi__Impact **out,
            impact_error_t *err)
{
    impact_error_clear(err);
    if (!out)
        return impact_error_set(err, -EINVAL, MVOI__ERROR_CODE__ERR_INTERNAL, "",
                                "calc_impact: out is NULL");
    *out = NULL;
    int rc = measure_validate(m, err);
    if (rc < 0)
        return rc;
    Mvoi__Impact *impact = calc_impact_alloc();
    if (!impact)
        return impact_error_set(err, -ENOMEM, MVOI__ERROR_CODE__ERR_INTERNAL, "",
                                "out of memory");
    calc_ctx_t ctx = { factors, measure_year(m), m->edition && *m->edition ? m->edition : NULL,
                       impact, err };
    switch (m->kind_case) {
    case MVOI__MEASUREMENT__KIND_ENERGY:    rc = calc_energy(&ctx, m->energy); break;
    case MVOI__MEASUREMENT__KIND_MACHINE:   rc = calc_machine(&ctx, m->machine); break;
    case MVOI__MEASUREMENT__KIND_ROAD:      rc = calc_road(&ctx, m->road); break;
    case MVOI__MEASUREMENT__KIND_MATERIAL:  rc = calc_material(&ctx, m->material); break;
    case MVOI__MEASUREMENT__KIND_SOCIAL:    rc = calc_sroi(&ctx, m->social); break;
    case MVOI__MEASUREMENT__KIND_FAIRTRADE: rc = calc_fairtrade(&ctx, m->fairtrade); break;
    case MVOI__MEASUREMENT__KIND_MKI:       rc = calc_mki(&ctx, m->mki); break;
    case MVOI__MEASUREMENT__KIND_PILOT:     rc = calc_pilot(&ctx, m->pilot); break;
    default:                                rc = -EINVAL; break;   /* measure_validate */
    }
    if (rc < 0) {
        calc_impact_free(&impact);
        return rc;
    }
    *out = impact;
    return 0;
}

