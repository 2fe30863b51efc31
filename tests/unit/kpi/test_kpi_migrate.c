/*  kpi_migrate: a data directory of the version before buyer scoping (kpi_tenders and
 *  kpi_meas keyed by the bare id, kpi_projects by tender \0 topic) keeps working.
 *
 *  The old layout is made here the way that version wrote it: events applied, then every
 *  key of those three databases rewritten to the old shape. After kpi_migrate the records
 *  are found again: a cancellation of the tender takes its measurement out of the project
 *  counts (which needs the tender's project counters under their new keys), and a
 *  correction is counted once (which needs the stored revision). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "kpi_core.h"
#include "mvoi_topic.h"
#include "outbox.h"
#include "store.h"

static char s_dir[128];
static const char *s_buyer = "heerlen";   /* of the events s_tender and s_meas make */
static store_t *s_store;
static kpi_t *s_kpi;

static void setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/mvoi-kpimig-XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
    static const char *const dbs[] = { KPI_DBS, NULL };
    store_opts_t so = { .path = s_dir, .dbs = dbs, .nosync = true };
    int err = 0;
    s_store = store_new(&so, &err);
    cr_assert(s_store, "store: %d", err);
    s_kpi = kpi_new(s_store, NULL, &err);
    cr_assert(s_kpi, "kpi: %d", err);
}

static void teardown(void)
{
    kpi_destroy(&s_kpi);
    store_destroy(&s_store);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    (void)system(cmd);
}

TestSuite(kpi_migrate, .init = setup, .fini = teardown);

static int s_apply(MDB_txn *txn, void *arg) { return kpi_apply(s_kpi, txn, "", arg); }

static void s_tender(Mvoi__TenderEventKind kind)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T1";
    t.buyer = (char *)s_buyer;
    t.purchasing_group = "G1";
    t.planned_publication = "2026-02-01";
    t.has_status = true;
    t.status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    Mvoi__TenderEvent te = MVOI__TENDER_EVENT__INIT;
    te.has_kind = true;
    te.kind = kind;
    te.tender = &t;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    env.tender_event = &te;
    cr_assert_eq(store_write(s_store, s_apply, &env), 0);
}

/* m-1 on T1: CO2 realisation g in January 2026, revision rev (previous: prev_g, rev - 1). */
static void s_meas(Mvoi__ImpactEventKind kind, uint32_t rev, int64_t g, int64_t prev_g)
{
    Mvoi__Measurement m[2];
    Mvoi__Impact im[2];
    for (int i = 0; i < 2; i++) {
        mvoi__measurement__init(&m[i]);
        mvoi__impact__init(&im[i]);
        m[i].id = "m-1";
        m[i].buyer = (char *)s_buyer;
        m[i].tender_id = "T1";
        m[i].has_phase = true;
        m[i].phase = MVOI__PHASE__PHASE_REALISATION;
        m[i].period_end = "2026-01-31";
        m[i].has_revision = true;
        m[i].revision = i == 0 ? rev : rev - 1;
        im[i].has_co2_avoided_g = true;
        im[i].co2_avoided_g = i == 0 ? g : prev_g;
    }
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = true;
    ie.kind = kind;
    ie.measurement = &m[0];
    ie.impact = &im[0];
    if (kind != MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED) {
        ie.previous = &m[1];
        ie.previous_impact = &im[1];
    }
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    cr_assert_eq(store_write(s_store, s_apply, &env), 0);
}

/* Rewrite every key of db to the old shape: drop everything up to the first NUL. */
typedef struct {
    const char *db;
    size_t moved;
} s_old_t;

static int s_to_old(MDB_txn *txn, void *arg)
{
    s_old_t *o = arg;
    o->moved = 0;
    MDB_dbi dbi = store_dbi(s_store, o->db);
    uint8_t keys[64][600], vals[64][600];
    size_t kl[64], vl[64], n = 0;
    MDB_cursor *c;
    cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        cr_assert_lt(n, 64);
        cr_assert_lt(k.mv_size, sizeof keys[0]);
        cr_assert_lt(v.mv_size, sizeof vals[0]);
        memcpy(keys[n], k.mv_data, kl[n] = k.mv_size);
        memcpy(vals[n], v.mv_data, vl[n] = v.mv_size);
        n++;
    }
    mdb_cursor_close(c);
    for (size_t i = 0; i < n; i++) {
        uint8_t *nul = memchr(keys[i], 0, kl[i]);
        cr_assert(nul, "%s: a key without the buyer", o->db);
        MDB_val ok = { kl[i], keys[i] };
        MDB_val nk = { kl[i] - (size_t)(nul + 1 - keys[i]), nul + 1 }, nv = { vl[i], vals[i] };
        cr_assert_eq(mdb_del(txn, dbi, &ok, NULL), 0);
        cr_assert_eq(mdb_put(txn, dbi, &nk, &nv, 0), 0);
        o->moved++;
    }
    return 0;
}

typedef struct {
    size_t moved;
} s_mig_t;

static int s_migrate(MDB_txn *txn, void *arg)
{
    return kpi_migrate(s_kpi, txn, &((s_mig_t *)arg)->moved);
}

typedef struct {
    const char *key;
    kpi_total_t t;
} s_get_t;

static int s_get(MDB_txn *txn, void *arg)
{
    s_get_t *g = arg;
    return kpi_get(s_kpi, txn, g->key, &g->t);
}

/* A data directory of the previous version has no migration marker. */
static int s_drop_marker_txn(MDB_txn *txn, void *arg)
{
    (void)arg;
    static const char mk[] = "\0mvoi:keys-scoped-by-buyer";
    MDB_val k = { sizeof mk - 1, (void *)mk };
    cr_assert_eq(mdb_del(txn, store_dbi(s_store, "kpi_breakdown"), &k, NULL), 0,
                 "the first migration left its marker");
    return 0;
}

static void s_drop_marker(void)
{
    cr_assert_eq(store_write(s_store, s_drop_marker_txn, NULL), 0);
}

static kpi_total_t s_total(const char *key)
{
    s_get_t g;
    memset(&g, 0, sizeof g);
    g.key = key;
    cr_assert_eq(store_read(s_store, s_get, &g), 0, "no total %s", key);
    return g.t;
}

Test(kpi_migrate, old_keys_rewritten_once_and_found_again)
{
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, 1, 9000, 0);
    cr_assert_eq(s_total("kpi.heerlen.co2.2026").projects, 1);

    /* the service migrates at every start; this one has nothing to move, and marks that */
    s_mig_t m = { 0 };
    cr_assert_eq(store_write(s_store, s_migrate, &m), 0);
    cr_assert_eq(m.moved, 0);
    s_drop_marker();

    size_t old = 0;
    const char *dbs[] = { "kpi_tenders", "kpi_meas", "kpi_projects" };
    for (int i = 0; i < 3; i++) {
        s_old_t o = { dbs[i], 0 };
        cr_assert_eq(store_write(s_store, s_to_old, &o), 0);
        cr_assert_gt(o.moved, 0, "%s was empty", dbs[i]);
        old += o.moved;
    }

    cr_assert_eq(store_write(s_store, s_migrate, &m), 0);
    cr_assert_eq(m.moved, old, "every old record rewritten (%zu of %zu)", m.moved, old);
    cr_assert_eq(store_write(s_store, s_migrate, &m), 0);
    cr_assert_eq(m.moved, 0, "a second run changes nothing");

    /* the correction finds the stored revision: 9,000 g becomes 4,000 g, not 13,000 */
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED, 2, 4000, 9000);
    kpi_total_t t = s_total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.realisation, 4000);
    cr_assert_eq(t.count, 1);
    /* the cancellation finds the tender's project counters: no project left */
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    t = s_total("kpi.heerlen.co2.2026");
    cr_assert_eq(t.projects, 0, "projects %ld after the cancellation", (long)t.projects);
    cr_assert_eq(t.realisation, 4000);
}

/* ------------------------------------------------ the topic layout before buyer-first */

/* "kpi.<b>.<k>.<w>[rest]" as the version before buyer-first keyed it, "kpi.<k>.<w>.<b>[rest]"
 * (made here by hand, not by the code under test). */
static size_t s_key_v1(const char *k, size_t n, char *out)
{
    char s[600];
    memcpy(s, k, n);
    s[n] = 0;
    char *b = s + 4, *kn = strchr(b, '.') + 1, *w = strchr(kn, '.') + 1;
    char *rest = strchr(w, '.');
    kn[-1] = w[-1] = 0;
    if (rest)
        *rest++ = 0;
    return (size_t)sprintf(out, "kpi.%s.%s.%s%s%s", kn, w, b, rest ? "." : "", rest ? rest : "");
}

typedef struct {
    size_t totals, projects;
} s_v1_t;

/* Every key of kpi_totals, and the topic of every key of kpi_projects (buyer \0 tender \0
 * topic), rewritten to the layout before buyer-first. */
static int s_to_v1(MDB_txn *txn, void *arg)
{
    s_v1_t *o = arg;
    const char *dbs[2] = { "kpi_totals", "kpi_projects" };
    for (int d = 0; d < 2; d++) {
        MDB_dbi dbi = store_dbi(s_store, dbs[d]);
        static uint8_t keys[256][600], vals[256][600];
        size_t kl[256], vl[256], n = 0;
        MDB_cursor *c;
        cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
        MDB_val k, v;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            cr_assert_lt(n, 256);
            memcpy(keys[n], k.mv_data, kl[n] = k.mv_size);
            memcpy(vals[n], v.mv_data, vl[n] = v.mv_size);
            n++;
        }
        mdb_cursor_close(c);
        for (size_t i = 0; i < n; i++) {
            size_t head = 0;
            if (d == 1) {
                uint8_t *a = memchr(keys[i], 0, kl[i]);
                head = (size_t)((uint8_t *)memchr(a + 1, 0, kl[i]) + 1 - keys[i]);
            }
            uint8_t nk[700];
            memcpy(nk, keys[i], head);
            size_t nl = head + s_key_v1((char *)keys[i] + head, kl[i] - head, (char *)nk + head);
            MDB_val ok = { kl[i], keys[i] }, nkv = { nl, nk }, nv = { vl[i], vals[i] };
            cr_assert_eq(mdb_del(txn, dbi, &ok, NULL), 0);
            cr_assert_eq(mdb_put(txn, dbi, &nkv, &nv, 0), 0);
            *(d ? &o->projects : &o->totals) += 1;
        }
    }
    return 0;
}

static int s_drop_layout_marker(MDB_txn *txn, void *arg)
{
    (void)arg;
    static const char mk[] = "\0mvoi:kpi-keys-buyer-first";
    MDB_val k = { sizeof mk - 1, (void *)mk };
    cr_assert_eq(mdb_del(txn, store_dbi(s_store, "kpi_breakdown"), &k, NULL), 0,
                 "the layout migration left its marker");
    return 0;
}

static int s_layout(MDB_txn *txn, void *arg) { return kpi_migrate_layout(s_kpi, txn, arg); }

/* The migration to its end in steps of step keys; the records it rewrote. */
static size_t s_run_layout(size_t step)
{
    kpi_layout_mig_t st;
    memset(&st, 0, sizeof st);
    st.step = step;
    for (int i = 0; i < 1000 && st.db < 2; i++)
        cr_assert_eq(store_write(s_store, s_layout, &st), 0);
    cr_assert_eq(st.db, 2, "the migration did not end");
    return st.moved;
}

typedef struct {
    int n;
    char key[64][KPI_KEY_MAX];
    int64_t real[64], proj[64], count[64];
} s_all_t;

static int s_all_item(void *arg, const kpi_total_t *t)
{
    s_all_t *a = arg;
    cr_assert_lt(a->n, 64);
    snprintf(a->key[a->n], sizeof a->key[0], "%s", t->key);
    a->real[a->n] = t->realisation;
    a->proj[a->n] = t->projects;
    a->count[a->n++] = t->count;
    return 0;
}

static int s_all(MDB_txn *txn, void *arg) { return kpi_each(s_kpi, txn, "", s_all_item, arg); }

Test(kpi_migrate, totals_of_the_layout_before_buyer_first_are_rewritten)
{
    /* two buyers with the same tender and measurement ids */
    s_buyer = "venlo";
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, 1, 5000, 0);
    s_buyer = "heerlen";
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, 1, 9000, 0);
    s_all_t before = { 0 };
    cr_assert_eq(store_read(s_store, s_all, &before), 0);
    /* 2 windows x (all, group, tender) per buyer; the tender projection adds none here */
    cr_assert_eq(before.n, 2 * 6, "%d totals", before.n);
    cr_assert_eq(s_run_layout(0), 0, "a store of today's layout has nothing to move");

    s_v1_t v1 = { 0, 0 };
    cr_assert_eq(store_write(s_store, s_to_v1, &v1), 0);
    cr_assert_eq(v1.totals, 12);
    cr_assert_gt(v1.projects, 0);
    s_get_t g = { .key = "kpi.heerlen.co2.2026" };
    cr_assert_eq(store_read(s_store, s_get, &g), -ENOENT, "the old layout is in place");

    /* the run above left its marker: a store of the old version has none */
    cr_assert_eq(store_write(s_store, s_drop_layout_marker, NULL), 0);
    cr_assert_eq(s_run_layout(5), v1.totals + v1.projects, "every old record, in steps of 5");
    cr_assert_eq(store_write(s_store, s_drop_layout_marker, NULL), 0);
    cr_assert_eq(s_run_layout(5), 0, "a second run changes nothing");

    s_all_t after = { 0 };
    cr_assert_eq(store_read(s_store, s_all, &after), 0);
    cr_assert_eq(after.n, before.n, "no key of the old layout left");
    for (int i = 0; i < before.n; i++) {
        cr_assert_str_eq(after.key[i], before.key[i]);
        cr_assert_eq(after.real[i], before.real[i], "%s", before.key[i]);
        cr_assert_eq(after.proj[i], before.proj[i], "%s", before.key[i]);
        cr_assert_eq(after.count[i], before.count[i], "%s", before.key[i]);
    }
    /* the project counters are found under their new keys: heerlen's cancellation takes
     * its project away and leaves venlo's (same tender id) as it was */
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    cr_assert_eq(s_total("kpi.heerlen.co2.2026").projects, 0);
    cr_assert_eq(s_total("kpi.heerlen.co2.2026").realisation, 9000);
    cr_assert_eq(s_total("kpi.venlo.co2.2026").projects, 1);
    cr_assert_eq(s_total("kpi.venlo.co2.2026").realisation, 5000);
}

Test(kpi_migrate, an_old_key_is_told_from_a_new_one)
{
    char out[600];
    const char *old = "kpi.co2.2026-q1.heerlen.tender.T%2E1";
    cr_assert_eq(kpi_topic_from_v1(old, strlen(old), out, sizeof out), 0);
    cr_assert_str_eq(out, "kpi.heerlen.co2.2026-q1.tender.T%2E1");
    old = "kpi.pilots.2026.co2";   /* a buyer named like a KPI */
    cr_assert_eq(kpi_topic_from_v1(old, strlen(old), out, sizeof out), 0);
    cr_assert_str_eq(out, "kpi.co2.pilots.2026");
    const char *refused[] = { "kpi.co2.pilots.2026", "kpi.heerlen.co2.2026",
                              "kpi.co2.2026", "kpi.co2.2026.", "kpi.co2.x.heerlen",
                              "kpi.co2.2026.heerlen.colour.red", "tender.registered", "kpi." };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_assert_eq(kpi_topic_from_v1(refused[i], strlen(refused[i]), out, sizeof out),
                     -EINVAL, "%s", refused[i]);
    old = "kpi.co2.2026.heerlen";
    cr_assert_eq(kpi_topic_from_v1(old, strlen(old), out, 10), -ENAMETOOLONG);
}
