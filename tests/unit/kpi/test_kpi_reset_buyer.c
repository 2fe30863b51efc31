/*  kpi_reset_buyer and kpi_next_buyer (a rebuild by buyer, common/feed_rebuild_buyer.c):
 *  buyers whose ids share letters ("hrl", "hrl-x", "hrl2") and use the SAME measurement and
 *  tender ids; forgetting one buyer takes exactly its contributions along and leaves every
 *  other buyer's totals as they were; applying that buyer's state again gives the same
 *  totals as before (nothing counted twice). Figures are the test's own arithmetic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_core.h"
#include "outbox.h"
#include "store.h"

static char s_dir[128];
static store_t *s_store;
static outbox_t *s_outbox;
static kpi_t *s_kpi;

static void setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/kpi-rb-XXXXXX");
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

static void teardown(void)
{
    kpi_destroy(&s_kpi);
    outbox_destroy(&s_outbox);
    store_destroy(&s_store);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    (void)system(cmd);
}

TestSuite(kpi_reset_buyer, .init = setup, .fini = teardown);

static const char *const s_buyers[] = { "hrl", "hrl-x", "hrl2" };
#define NBUYERS 3
#define NMEAS 5

/* Buyer b's measurement m-i: CO2 (b + 1) * 100 + i grams, tender T1, 2026-02-01. */
static int64_t s_value(int b, int i) { return (int64_t)(b + 1) * 100 + i; }

typedef struct {
    const char *buyer;
    int b;
} apply_t;

static int s_apply_buyer(MDB_txn *txn, void *arg)
{
    apply_t *a = arg;
    for (int i = 1; i <= NMEAS; i++) {
        char id[16];
        snprintf(id, sizeof id, "m-%d", i);
        Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
        m.id = id;
        m.buyer = (char *)a->buyer;
        m.tender_id = "T1";
        m.has_phase = true;
        m.phase = MVOI__PHASE__PHASE_REALISATION;
        m.period_end = "2026-02-01";
        m.has_revision = true;
        m.revision = 1;
        Mvoi__Impact im = MVOI__IMPACT__INIT;
        im.has_co2_avoided_g = true;
        im.co2_avoided_g = s_value(a->b, i);
        Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
        ie.has_kind = true;
        ie.kind = MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
        ie.measurement = &m;
        ie.impact = &im;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
        env.impact_event = &ie;
        env.buyer = (char *)a->buyer;
        int rc = kpi_apply(s_kpi, txn, "impact.computed", &env);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void s_apply(int b)
{
    apply_t a = { s_buyers[b], b };
    cr_assert_eq(store_write(s_store, s_apply_buyer, &a), 0);
}

typedef struct {
    char key[128];
    kpi_total_t t;
    int rc;
} get_t;

static int s_get(MDB_txn *txn, void *arg)
{
    get_t *g = arg;
    g->rc = kpi_get(s_kpi, txn, g->key, &g->t);
    return 0;
}

/* Buyer b's CO2 realisation of 2026 (0 when it has no total). */
static int64_t s_co2(int b)
{
    get_t g;
    memset(&g, 0, sizeof g);
    snprintf(g.key, sizeof g.key, "kpi.%s.co2.2026", s_buyers[b]);
    cr_assert_eq(store_read(s_store, s_get, &g), 0);
    return g.rc == 0 ? g.t.realisation : 0;
}

static int64_t s_expected(int b)
{
    int64_t sum = 0;
    for (int i = 1; i <= NMEAS; i++)
        sum += s_value(b, i);
    return sum;
}

static int s_reset_txn(MDB_txn *txn, void *arg)
{
    return kpi_reset_buyer(s_kpi, txn, "impact", arg);
}

typedef struct {
    const char *after;
    char buf[64];
    int rc;
} next_t;

static int s_next_txn(MDB_txn *txn, void *arg)
{
    next_t *n = arg;
    n->rc = kpi_next_buyer(s_kpi, txn, "impact", n->after, n->buf, sizeof n->buf);
    return 0;
}

static int s_next(const char *after, char *out)
{
    next_t n = { .after = after };
    cr_assert_eq(store_read(s_store, s_next_txn, &n), 0);
    strcpy(out, n.buf);
    return n.rc;
}

Test(kpi_reset_buyer, one_buyer_forgotten_and_applied_again_exact_others_untouched)
{
    for (int b = 0; b < NBUYERS; b++)
        s_apply(b);
    for (int b = 0; b < NBUYERS; b++)
        cr_assert_eq(s_co2(b), s_expected(b), "%s", s_buyers[b]);
    /* hrl's records are "hrl\0m-i": its prefix must not reach hrl-x's or hrl2's. */
    cr_assert_eq(store_write(s_store, s_reset_txn, (void *)"hrl"), 0);
    cr_assert_eq(s_co2(0), 0);
    cr_assert_eq(s_co2(1), s_expected(1));
    cr_assert_eq(s_co2(2), s_expected(2));
    s_apply(0);
    cr_assert_eq(s_co2(0), s_expected(0), "applied again: counted once");
    /* forgetting twice in a row is forgetting once */
    cr_assert_eq(store_write(s_store, s_reset_txn, (void *)"hrl-x"), 0);
    cr_assert_eq(store_write(s_store, s_reset_txn, (void *)"hrl-x"), 0);
    cr_assert_eq(s_co2(1), 0);
    cr_assert_eq(s_co2(0), s_expected(0));
    cr_assert_eq(s_co2(2), s_expected(2));
}

Test(kpi_reset_buyer, next_buyer_walks_the_buyers_in_order)
{
    char buf[64];
    cr_assert_eq(s_next(NULL, buf), -ENOENT, "an empty store holds no buyer");
    for (int b = 0; b < NBUYERS; b++)
        s_apply(b);
    /* strcmp order: "hrl" < "hrl-x" < "hrl2" ('-' 0x2d before '2' 0x32) */
    cr_assert_eq(s_next(NULL, buf), 0);
    cr_assert_str_eq(buf, "hrl");
    cr_assert_eq(s_next("hrl", buf), 0);
    cr_assert_str_eq(buf, "hrl-x");
    cr_assert_eq(s_next("hrl-x", buf), 0);
    cr_assert_str_eq(buf, "hrl2");
    cr_assert_eq(s_next("hrl2", buf), -ENOENT);
    cr_assert_eq(s_next("a", buf), 0, "a buyer not held: the next one after it");
    cr_assert_str_eq(buf, "hrl");
    cr_assert_eq(s_next("hrl0", buf), 0);
    cr_assert_str_eq(buf, "hrl2");
}
