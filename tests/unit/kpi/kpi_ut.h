/*  kpi_ut: the in-process harness of kpi_core's unit tests (included by each test file: one
 *  executable per file). A temp LMDB with kpi_core on it; TenderEvents and ImpactEvents built
 *  from small structs and applied one by one or as one batch; totals read back. */
#ifndef KPI_UT_H
#define KPI_UT_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "kpi_core.h"
#include "mvoi_topic.h"
#include "outbox.h"
#include "store.h"

static char s_dir[128];
static store_t *s_store;
static outbox_t *s_outbox;
static kpi_t *s_kpi;

static inline void setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/kpi-unit-XXXXXX");
    cr_assert(mkdtemp(s_dir));
    static const char *const dbs[] = { OUTBOX_DBS, KPI_DBS, NULL };
    store_opts_t so = { .path = s_dir, .dbs = dbs, .nosync = true };
    int err = 0;
    s_store = store_new(&so, &err);
    cr_assert(s_store, "store: %d", err);
    s_outbox = outbox_new(s_store, "kpi", &err);
    cr_assert(s_outbox);
    s_kpi = kpi_new(s_store, s_outbox, &err);
    cr_assert(s_kpi);
}

static inline void teardown(void)
{
    kpi_destroy(&s_kpi);
    outbox_destroy(&s_outbox);
    store_destroy(&s_store);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    (void)system(cmd);
}

/* each file: TestSuite(its suite, .init = setup, .fini = teardown) */

/* ------------------------------------------------------------ building events */

typedef struct {
    const char *id, *group, *planned;
    bool pilot;
    Mvoi__TenderStatus status;
    int64_t sroi;
    int themes[3];
} tender_t;

typedef struct {
    Mvoi__Envelope env;
    Mvoi__TenderEvent te;
    Mvoi__Tender t;
    Mvoi__ThemeAmbition ta[3], *tap[3];
} tev_t;

static inline int s_apply_env(MDB_txn *txn, void *arg)
{
    return kpi_apply(s_kpi, txn, "", arg);
}

/* Batch mode (as the service runs): apply_env only records the packed event; batch_commit
 * applies every recorded event in one transaction between kpi_batch_begin/_end. */
static struct {
    bool on;
    uint8_t *buf[32];
    size_t len[32], n;
} s_batch;

static inline int s_apply_batch(MDB_txn *txn, void *arg)
{
    (void)arg;
    kpi_batch_begin(s_kpi);
    for (size_t i = 0; i < s_batch.n; i++) {
        Mvoi__Envelope *env = codec_unpack(s_batch.buf[i], s_batch.len[i], 0, NULL);
        cr_assert_not_null(env);
        int rc = kpi_apply(s_kpi, txn, "", env);
        codec_free(&env);
        if (rc != 0)
            return rc;
    }
    return kpi_batch_end(s_kpi, txn);
}

static inline void batch_begin(void)
{
    kpi_set_batch_flush(s_kpi, true);
    s_batch.on = true;
    s_batch.n = 0;
}

static inline void batch_commit(void)
{
    cr_assert_eq(store_write(s_store, s_apply_batch, NULL), 0);
    for (size_t i = 0; i < s_batch.n; i++)
        free(s_batch.buf[i]);
    s_batch.n = 0;
    s_batch.on = false;
}

static inline void apply_env(Mvoi__Envelope *env)
{
    if (s_batch.on) {
        cr_assert_lt(s_batch.n, 32);
        cr_assert_eq(codec_pack(env, &s_batch.buf[s_batch.n], &s_batch.len[s_batch.n]), 0);
        s_batch.n++;
        return;
    }
    cr_assert_eq(store_write(s_store, s_apply_env, env), 0);
}

/* The TenderEvent of d in e (its envelope: e->env), to apply or to try. */
static inline void tender_build(tev_t *e, const tender_t *d, Mvoi__TenderEventKind kind)
{
    mvoi__envelope__init(&e->env);
    mvoi__tender_event__init(&e->te);
    mvoi__tender__init(&e->t);
    e->t.id = (char *)d->id;
    e->t.buyer = "heerlen";
    e->t.purchasing_group = (char *)d->group;
    e->t.planned_publication = (char *)d->planned;
    e->t.has_pilot = true;
    e->t.pilot = d->pilot;
    e->t.has_status = true;
    e->t.status = d->status ? d->status : MVOI__TENDER_STATUS__STATUS_PLANNED;
    e->t.has_sroi_obligation_cents = d->sroi != 0;
    e->t.sroi_obligation_cents = d->sroi;
    for (int i = 0; i < 3 && d->themes[i]; i++) {
        mvoi__theme_ambition__init(&e->ta[i]);
        e->ta[i].has_theme = true;
        e->ta[i].theme = d->themes[i];
        e->tap[i] = &e->ta[i];
        e->t.n_themes++;
    }
    e->t.themes = e->tap;
    e->te.has_kind = true;
    e->te.kind = kind;
    e->te.tender = &e->t;
    e->env.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    e->env.tender_event = &e->te;
}

static inline void tender(const tender_t *d, Mvoi__TenderEventKind kind)
{
    tev_t e;
    tender_build(&e, d, kind);
    apply_env(&e.env);
}

typedef struct {
    const char *id, *tender, *period_end, *group;
    Mvoi__Phase phase;
    uint32_t revision;
    int theme;
    int kpi;               /* which field to set */
    int64_t value, risk;
    const char *buyer;     /* NULL: heerlen */
    const char *status;    /* a pilot's report (kpi 6): gestart, lopend, afgerond */
} meas_t;

typedef struct {
    Mvoi__Measurement m;
    Mvoi__Impact im;
    Mvoi__PilotStatus ps;
} mi_t;

static inline void s_fill(mi_t *x, const meas_t *d)
{
    mvoi__measurement__init(&x->m);
    mvoi__impact__init(&x->im);
    x->m.id = (char *)d->id;
    x->m.buyer = (char *)(d->buyer ? d->buyer : "heerlen");
    x->m.tender_id = (char *)d->tender;
    x->m.has_phase = true;
    x->m.phase = d->phase ? d->phase : MVOI__PHASE__PHASE_REALISATION;
    x->m.period_end = (char *)d->period_end;
    x->m.has_revision = true;
    x->m.revision = d->revision ? d->revision : 1;
    if (d->theme) {
        x->im.has_theme = true;
        x->im.theme = d->theme;
    }
    switch (d->kpi) {
    case 1: x->im.has_fairtrade_products = x->im.has_risk_products = true;
        x->im.fairtrade_products = d->value; x->im.risk_products = d->risk; break;
    case 2: x->im.has_sroi_realised_cents = true; x->im.sroi_realised_cents = d->value; break;
    case 3: x->im.has_nox_avoided_mg = true; x->im.nox_avoided_mg = d->value; break;
    case 4: x->im.has_primary_material_g = true; x->im.primary_material_g = d->value; break;
    case 5: x->im.has_co2_avoided_g = true; x->im.co2_avoided_g = d->value; break;
    case 6: x->im.has_pilots = true; x->im.pilots = d->value;
        mvoi__pilot_status__init(&x->ps);
        x->ps.status = (char *)d->status;
        x->m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
        x->m.pilot = &x->ps;
        break;
    }
}

static inline void impact(Mvoi__ImpactEventKind kind, const meas_t *now, const meas_t *prev)
{
    mi_t a, b;
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = true;
    ie.kind = kind;
    s_fill(&a, now);
    ie.measurement = &a.m;
    if (kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN)
        ie.impact = &a.im;
    ie.purchasing_group = (char *)now->group;
    if (prev) {
        s_fill(&b, prev);
        ie.previous = &b.m;
        ie.previous_impact = &b.im;
    }
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    apply_env(&env);
}

#define COMPUTED MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED
#define CORRECTED MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED
#define WITHDRAWN MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN

/* ------------------------------------------------------------ reading */

typedef struct {
    const char *key;
    kpi_total_t t;
} get_t;

static inline int s_get(MDB_txn *txn, void *arg)
{
    get_t *g = arg;
    return kpi_get(s_kpi, txn, g->key, &g->t);
}

/* The total under key, or all zeros when it does not exist. */
static inline kpi_total_t total(const char *key)
{
    get_t g = { key };
    memset(&g.t, 0, sizeof g.t);
    int rc = store_read(s_store, s_get, &g);
    cr_assert(rc == 0 || rc == -ENOENT, "kpi_get(%s): %d", key, rc);
    return g.t;
}

static inline bool exists(const char *key)
{
    get_t g = { key };
    return store_read(s_store, s_get, &g) == 0;
}

#endif
