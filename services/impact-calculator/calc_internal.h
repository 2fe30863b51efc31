/*  calc_internal: what calc.c shares with the per-kind calc_*.c files. Not public. */
#ifndef MVOI_IMPACT_CALC_INTERNAL_H
#define MVOI_IMPACT_CALC_INTERNAL_H

#include "calc.h"
#include "fixed.h"
#include "system.pb-c.h"

#include <errno.h>
#include <stdbool.h>

#define CALC_INVALID MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

typedef struct {
    const factors_t *factors;
    int year;                   /* year of period_start: selects editions */
    const char *edition;        /* Measurement.edition: pins the edition, NULL = by year */
    Mvoi__Impact *impact;       /* being filled */
    impact_error_t *err;
} calc_ctx_t;

/*  The edition of `table` for ctx->year, or NULL with -ENOENT in *rc and err filled. */
const factors_table_t *calc_table(calc_ctx_t *ctx, const char *table, int *rc);

/*  calc_alloc.c: a new Impact in a block of its own, and a FactorRef appended to it with
 *  `text` bytes for its strings at *text_out (NULL when out of memory). Both are freed by
 *  calc_impact_free. */
Mvoi__Impact *calc_impact_alloc(void);
Mvoi__FactorRef *calc_impact_ref(Mvoi__Impact *imp, size_t text, char **text_out);

/*  Append a FactorRef for `table` (edition, the given source, variant, unverified). */
int calc_ref(calc_ctx_t *ctx, const factors_table_t *table, const char *source,
             const char *variant, bool unverified);

/*  "a" when a and b are the same source, else "a; b" (truncated to fit buf). */
const char *calc_sources(char *buf, size_t len, const char *a, const char *b);

/*  10^n for n in 0..18. */
int64_t calc_pow10(int n);

/*  Exact (a x b x c) / den, rounded once (fixed_div_round), any overflow reported as
 *  -EOVERFLOW on `field`. Pass 1 for unused factors. */
int calc_muldiv(calc_ctx_t *ctx, const char *field, int64_t a, int64_t b, int64_t c,
                int64_t den, int64_t *out);

/*  Error helpers: fill ctx->err and return rc. */
#define calc_fail(ctx, rc, field, ...) \
    impact_error_set((ctx)->err, (rc), CALC_INVALID, (field), __VA_ARGS__)

/*  A bounded quantity: present, > 0 (or >= 0 when zero_ok) and <= max. */
int calc_bounded(calc_ctx_t *ctx, const char *field, protobuf_c_boolean has, int64_t v,
                 bool zero_ok, int64_t max);

int calc_energy(calc_ctx_t *ctx, const Mvoi__EnergyUse *e);
int calc_machine(calc_ctx_t *ctx, const Mvoi__MachineUse *mu);
int calc_road(calc_ctx_t *ctx, const Mvoi__RoadTransport *r);
int calc_material(calc_ctx_t *ctx, const Mvoi__Material *mat);
int calc_sroi(calc_ctx_t *ctx, const Mvoi__SocialReturn *s);
int calc_fairtrade(calc_ctx_t *ctx, const Mvoi__FairTrade *f);
int calc_mki(calc_ctx_t *ctx, const Mvoi__Mki *k);
int calc_pilot(calc_ctx_t *ctx, const Mvoi__PilotStatus *p);

#endif
