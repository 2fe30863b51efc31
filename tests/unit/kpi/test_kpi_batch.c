/*  kpi_core in batch mode (as the feed runs it) with the cursors a batch keeps on the
 *  measurement records and the breakdown (kpi_cursor.c): many events of two buyers with the
 *  same ids in one transaction, corrections and withdrawals of records written earlier in
 *  the same batch, a batch whose transaction is aborted, and one that the store re-runs
 *  after growing its map. Figures are computed here, from the events sent. */
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

static void s_open(size_t map_size)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/kpi-batch-XXXXXX");
    cr_assert(mkdtemp(s_dir));
    static const char *const dbs[] = { OUTBOX_DBS, KPI_DBS, NULL };
    store_opts_t so = { .path = s_dir, .dbs = dbs, .nosync = true, .map_size = map_size };
    int err = 0;
    s_store = store_new(&so, &err);
    cr_assert(s_store, "store: %d", err);
    s_outbox = outbox_new(s_store, "kpi", &err);
    cr_assert(s_outbox);
    s_kpi = kpi_new(s_store, s_outbox, &err);
    cr_assert(s_kpi);
    kpi_set_batch_flush(s_kpi, true);
}

static void setup(void) { s_open(0); }

static void teardown(void)
{
    kpi_destroy(&s_kpi);
    outbox_destroy(&s_outbox);
    store_destroy(&s_store);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    (void)system(cmd);
}

TestSuite(kpi_batch, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ events */

typedef struct {
    int kind;              /* COMPUTED, CORRECTED, WITHDRAWN */
    int buyer;             /* 0 heerlen, 1 venlo */
    int id;                /* measurement m<id> */
    int tender;            /* T<tender> */
    int month;
    uint32_t revision;
    int64_t co2, nox;      /* < 0: the field is absent */
} ev_t;

#define COMPUTED MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED
#define CORRECTED MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED
#define WITHDRAWN MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN

static const char *const s_buyers[2] = { "heerlen", "venlo" };

static int s_apply_one(MDB_txn *txn, const ev_t *e)
{
    char id[32], tender[16], date[16];
    snprintf(id, sizeof id, "m%d", e->id);
    snprintf(tender, sizeof tender, "T%d", e->tender);
    snprintf(date, sizeof date, "2026-%02d-15", e->month);
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
    Mvoi__Impact im = MVOI__IMPACT__INIT;
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    m.id = id;
    m.buyer = (char *)s_buyers[e->buyer];
    m.tender_id = tender;
    m.period_end = date;
    m.has_revision = true;
    m.revision = e->revision;
    im.has_co2_avoided_g = e->co2 >= 0;
    im.co2_avoided_g = e->co2;
    im.has_nox_avoided_mg = e->nox >= 0;
    im.nox_avoided_mg = e->nox;
    ie.has_kind = true;
    ie.kind = e->kind;
    ie.measurement = &m;
    ie.impact = e->kind == WITHDRAWN ? NULL : &im;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    env.buyer = (char *)s_buyers[e->buyer];
    return kpi_apply(s_kpi, txn, "", &env);
}

typedef struct {
    const ev_t *ev;
    size_t n;
    int fail_rc;           /* != 0: the batch fails after its events with this */
    int runs;
} batch_t;

static int s_batch(MDB_txn *txn, void *arg)
{
    batch_t *b = arg;
    b->runs++;
    kpi_batch_begin(s_kpi);
    for (size_t i = 0; i < b->n; i++) {
        int rc = s_apply_one(txn, &b->ev[i]);
        if (rc != 0)
            return rc;
    }
    if (b->fail_rc)
        return b->fail_rc;   /* (as a failing inbox write after the events would) */
    return kpi_batch_end(s_kpi, txn);
}

/* ------------------------------------------------------------ reading */

typedef struct {
    const char *key;
    kpi_total_t t;
    uint32_t contributors;
} get_t;

static int s_none(void *arg, const kpi_contrib_t *c)
{
    (void)arg;
    (void)c;
    return 0;
}

static int s_get(MDB_txn *txn, void *arg)
{
    get_t *g = arg;
    int rc = kpi_get(s_kpi, txn, g->key, &g->t);
    if (rc != 0)
        return rc;
    return kpi_breakdown(s_kpi, txn, g->key, 0, 1, s_none, NULL, &g->contributors);
}

static get_t get(const char *key)
{
    get_t g = { key };
    cr_assert_eq(store_read(s_store, s_get, &g), 0, "%s", key);
    return g;
}

/* ------------------------------------------------------------ the workload */

/* 2 buyers x 400 measurements m0..m399 (same ids in both), 4 tenders, months 1-6, co2 and
 * (every third) nox; then in the same batch a correction of every fifth and a withdrawal of
 * every seventh that is not a fifth. Enough keys that the records and breakdown keys of a
 * batch span many LMDB pages (page splits under the open cursors). */
#define NMEAS 400

static size_t s_workload(ev_t *ev)
{
    size_t n = 0;
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < NMEAS; i++)
            ev[n++] = (ev_t){ COMPUTED, b, i, i % 4, 1 + i % 6, 1, 10 + i + b * 1000,
                              i % 3 == 0 ? 7 * i : -1 };
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < NMEAS; i++) {
            if (i % 5 == 0)
                ev[n++] = (ev_t){ CORRECTED, b, i, i % 4, 1 + i % 6, 2, 3 * i, -1 };
            else if (i % 7 == 0)
                ev[n++] = (ev_t){ WITHDRAWN, b, i, i % 4, 1 + i % 6, 2, -1, -1 };
        }
    return n;
}

/* What buyer b's co2 year total must be after the workload: arithmetic on the rules above
 * (a correction replaces the value, a withdrawal removes it). */
static void s_expect_co2(int b, int64_t *sum, int64_t *count)
{
    *sum = *count = 0;
    for (int i = 0; i < NMEAS; i++) {
        if (i % 5 == 0) {
            *sum += 3 * i;
            ++*count;
        } else if (i % 7 != 0) {
            *sum += 10 + i + b * 1000;
            ++*count;
        }
    }
}

static void s_check_workload(void)
{
    for (int b = 0; b < 2; b++) {
        int64_t sum, count;
        s_expect_co2(b, &sum, &count);
        char key[64];
        snprintf(key, sizeof key, "kpi.%s.co2.2026", s_buyers[b]);
        get_t g = get(key);
        cr_assert_eq(g.t.realisation, sum, "%s: %lld", key, (long long)g.t.realisation);
        cr_assert_eq(g.t.count, count);
        cr_assert_eq(g.contributors, (uint32_t)count, "one breakdown key per measurement");
        cr_assert_eq(g.t.projects, 4);
        /* nox: every third, not corrected (the correction drops it) and not withdrawn */
        int64_t nsum = 0, ncount = 0;
        for (int i = 0; i < NMEAS; i++)
            if (i % 3 == 0 && i % 5 != 0 && i % 7 != 0) {
                nsum += 7 * i;
                ncount++;
            }
        snprintf(key, sizeof key, "kpi.%s.nox.2026", s_buyers[b]);
        g = get(key);
        cr_assert_eq(g.t.realisation, nsum);
        cr_assert_eq(g.contributors, (uint32_t)ncount);
    }
}

Test(kpi_batch, one_batch_of_two_buyers_with_corrections_and_withdrawals_is_exact)
{
    static ev_t ev[4 * NMEAS];
    batch_t b = { ev, s_workload(ev) };
    cr_assert_eq(store_write(s_store, s_batch, &b), 0);
    s_check_workload();
    /* A later batch finds the records written through the cursor: withdrawing everything
     * of heerlen leaves venlo's totals alone and heerlen's at zero. */
    static ev_t wd[NMEAS];
    for (int i = 0; i < NMEAS; i++)
        wd[i] = (ev_t){ WITHDRAWN, 0, i, i % 4, 1 + i % 6, 3, -1, -1 };
    batch_t w = { wd, NMEAS };
    cr_assert_eq(store_write(s_store, s_batch, &w), 0);
    get_t g = get("kpi.heerlen.co2.2026");
    cr_assert_eq(g.t.realisation, 0);
    cr_assert_eq(g.t.count, 0);
    cr_assert_eq(g.contributors, 0);
    int64_t sum, count;
    s_expect_co2(1, &sum, &count);
    cr_assert_eq(get("kpi.venlo.co2.2026").t.realisation, sum);
}

Test(kpi_batch, an_aborted_batch_counts_nothing_and_the_next_counts_once)
{
    static ev_t ev[4 * NMEAS];
    batch_t b = { ev, s_workload(ev), .fail_rc = -EIO };
    cr_assert_eq(store_write(s_store, s_batch, &b), -EIO);
    cr_assert_eq(store_read(s_store, s_get, &(get_t){ "kpi.heerlen.co2.2026" }), -ENOENT);
    b.fail_rc = 0;   /* the cursors of the aborted transaction are gone: none is reused */
    cr_assert_eq(store_write(s_store, s_batch, &b), 0);
    s_check_workload();
}

/* The store re-runs a batch after growing a full map: every attempt starts from a clean set
 * and new cursors in the new transaction. */
Test(kpi_batch, a_batch_rerun_after_the_map_grew_is_exact)
{
    teardown();
    s_open(64 * 1024);
    uint64_t grows = store_grows(s_store);
    static ev_t ev[4 * NMEAS];
    batch_t b = { ev, s_workload(ev) };
    cr_assert_eq(store_write(s_store, s_batch, &b), 0);
    cr_assert_gt(store_grows(s_store), grows, "the map grew during the batch");
    cr_assert_gt(b.runs, 1);
    s_check_workload();
}

/* ------------------------------------------------------------ windows */

Test(kpi_batch, date_windows)
{
    static const struct {
        const char *d;
        int rc;
        uint32_t y, q;
    } c[] = {
        { "2026-01-01", 0, 2026, 1 }, { "2026-03-31", 0, 2026, 1 },
        { "2026-04-01", 0, 2026, 2 }, { "2026-06-30", 0, 2026, 2 },
        { "2026-07-01", 0, 2026, 3 }, { "2026-09-30", 0, 2026, 3 },
        { "2026-10-01", 0, 2026, 4 }, { "2026-12-31", 0, 2026, 4 },
        { "1900-05-09", 0, 1900, 2 }, { "2999-11-19", 0, 2999, 4 },
        { "1899-12-31", -EINVAL }, { "3000-01-01", -EINVAL }, { "2026-00-10", -EINVAL },
        { "2026-13-10", -EINVAL }, { "2026-05-00", -EINVAL }, { "2026-05-32", -EINVAL },
        { "2026-1-031", -EINVAL }, { "2026/01/01", -EINVAL }, { "2026-01-0a", -EINVAL },
        { "2026-01-01 ", -EINVAL }, { "", -EINVAL }, { NULL, -EINVAL },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint32_t y = 0, q = 0;
        int rc = kpi_date_window(c[i].d, &y, &q);
        cr_assert_eq(rc, c[i].rc, "%s", c[i].d ? c[i].d : "(null)");
        if (rc == 0) {
            cr_assert_eq(y, c[i].y, "%s", c[i].d);
            cr_assert_eq(q, c[i].q, "%s", c[i].d);
        }
    }
}
