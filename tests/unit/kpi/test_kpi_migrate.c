#define _GNU_SOURCE   /* memmem */
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
#include "mvoi_error.h"
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

/* A project counter of today, buyer \0 tender \0 <topic after kpi.<buyer>.>, as the
 * version before buyer-first keyed it: [buyer \0] tender \0 <whole topic, old layout>. */
static size_t s_project_v1(const uint8_t *key, size_t kl, bool keep_buyer, uint8_t *out)
{
    const uint8_t *a = memchr(key, 0, kl), *b = memchr(a + 1, 0, kl - (size_t)(a + 1 - key));
    cr_assert(a && b, "a counter key without buyer and tender");
    char full[600];
    int n = snprintf(full, sizeof full, "kpi.%s.%.*s", (const char *)key,
                     (int)(kl - (size_t)(b + 1 - key)), (const char *)b + 1);
    const uint8_t *from = keep_buyer ? key : a + 1;
    size_t head = (size_t)(b + 1 - from);
    memcpy(out, from, head);
    return head + s_key_v1(full, (size_t)n, (char *)out + head);
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
        uint8_t *nul = memchr(keys[i], 0, kl[i]), pk[700];
        cr_assert(nul, "%s: a key without the buyer", o->db);
        MDB_val ok = { kl[i], keys[i] };
        MDB_val nk = { kl[i] - (size_t)(nul + 1 - keys[i]), nul + 1 }, nv = { vl[i], vals[i] };
        if (strcmp(o->db, "kpi_projects") == 0)   /* tender \0 topic of the old layout */
            nk = (MDB_val){ s_project_v1(keys[i], kl[i], false, pk), pk };
        cr_assert_eq(store_del(txn, dbi, &ok, NULL), 0);
        cr_assert_eq(store_put(txn, dbi, &nk, &nv, 0), 0);
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

static size_t s_run_layout(size_t step);

/* A data directory of the previous version has no migration marker. */
static int s_drop_marker_txn(MDB_txn *txn, void *arg)
{
    (void)arg;
    static const char mk[] = "\0mvoi:keys-scoped-by-buyer";
    MDB_val k = { sizeof mk - 1, (void *)mk };
    cr_assert_eq(store_del(txn, store_dbi(s_store, "kpi_breakdown"), &k, NULL), 0,
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

/* The value under key of db replaced by val (len bytes); the one it held into old. */
typedef struct {
    const char *db, *key;
    const void *val;
    size_t len;
    uint8_t old[600];
    size_t oldlen;
} s_swap_t;

static int s_swap_txn(MDB_txn *txn, void *arg)
{
    s_swap_t *w = arg;
    MDB_dbi dbi = store_dbi(s_store, w->db);
    MDB_val k = { strlen(w->key), (void *)w->key }, v, nv = { w->len, (void *)w->val };
    cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0, "%s holds %s", w->db, w->key);
    cr_assert_lt(v.mv_size, sizeof w->old);
    memcpy(w->old, v.mv_data, w->oldlen = v.mv_size);
    return store_put(txn, dbi, &k, &nv, 0);
}

static int s_marked_txn(MDB_txn *txn, void *arg)
{
    static const char mk[] = "\0mvoi:keys-scoped-by-buyer";
    MDB_val k = { sizeof mk - 1, (void *)mk }, v;
    int rc = mdb_get(txn, store_dbi(s_store, "kpi_breakdown"), &k, &v);
    *(bool *)arg = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static bool s_marked(void)
{
    bool done = false;
    cr_assert_eq(store_read(s_store, s_marked_txn, &done), 0);
    return done;
}

/* An old revision that does not decode: its buyer cannot be read, and kept under the bare
 * id with the migration marked done, m-1's event delivered again below found no stored
 * revision and made the total 18,000 g of 2 measurements (9,000 g of 1), served as right.
 * Refused by name instead, the marker not set; once the record is restored the migration
 * runs whole. */
static void s_undecodable_refuses(void)
{
    static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    s_swap_t w = { .db = "kpi_meas", .key = "m-1", .val = garbage, .len = sizeof garbage - 1 };
    cr_assert_eq(store_write(s_store, s_swap_txn, &w), 0);
    s_mig_t m = { 0 };
    int rc = store_write(s_store, s_migrate, &m);
    cr_assert_eq(rc, MVOI_E_UNDECODABLE, "the migration answered %s", mvoi_errname(rc));
    cr_assert_not(s_marked(), "not marked done without m-1");
    s_swap_t back = { .db = "kpi_meas", .key = "m-1", .val = w.old, .len = w.oldlen };
    cr_assert_eq(store_write(s_store, s_swap_txn, &back), 0);
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
    s_undecodable_refuses();

    cr_assert_eq(store_write(s_store, s_migrate, &m), 0);
    cr_assert_eq(m.moved, old, "every old record rewritten (%zu of %zu)", m.moved, old);
    cr_assert_eq(store_write(s_store, s_migrate, &m), 0);
    cr_assert_eq(m.moved, 0, "a second run changes nothing");
    /* then, as at the service's start, the topics of the counters become today's keys */
    cr_assert_gt(s_run_layout(0), 0);

    /* delivered again (a rebuild from the producer's snapshot): the stored revision is
     * taken out first, one measurement of 9,000 g, not 18,000 g of 2 */
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, 1, 9000, 0);
    kpi_total_t again = s_total("kpi.heerlen.co2.2026");
    cr_assert_eq(again.realisation, 9000);
    cr_assert_eq(again.count, 1);
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

typedef struct {
    size_t totals, projects, tender_counters;
} s_v1_t;

static int s_dots(const uint8_t *k, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++)
        d += k[i] == '.';
    return d;
}

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
            uint8_t nk[700];
            size_t nl = d ? s_project_v1(keys[i], kl[i], true, nk)
                          : s_key_v1((char *)keys[i], kl[i], (char *)nk);
            MDB_val ok = { kl[i], keys[i] }, nkv = { nl, nk }, nv = { vl[i], vals[i] };
            cr_assert_eq(store_del(txn, dbi, &ok, NULL), 0);
            cr_assert_eq(store_put(txn, dbi, &nkv, &nv, 0), 0);
            *(d ? &o->projects : &o->totals) += 1;
            /* that version also kept a counter per tender total, the all-dimensions
             * counter's twin: kpi.<k>.<w>.<b> -> kpi.<k>.<w>.<b>.tender.<tender> */
            if (d == 1 && memchr(nk, '.', nl) && s_dots(nk, nl) == 3) {
                const char *tender = (const char *)memchr(nk, 0, nl) + 1;
                size_t tl = strlen(tender);
                memcpy(nk + nl, ".tender.", 8);
                memcpy(nk + nl + 8, tender, tl);
                MDB_val tk = { nl + 8 + tl, nk };
                cr_assert_eq(store_put(txn, dbi, &tk, &nv, 0), 0);
                o->projects++;
                o->tender_counters++;
            }
        }
    }
    return 0;
}

static int s_drop_layout_marker(MDB_txn *txn, void *arg)
{
    (void)arg;
    static const char mk[] = "\0mvoi:kpi-keys-buyer-first-compact";
    MDB_val k = { sizeof mk - 1, (void *)mk };
    cr_assert_eq(store_del(txn, store_dbi(s_store, "kpi_breakdown"), &k, NULL), 0,
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

    s_v1_t v1 = { 0, 0, 0 };
    cr_assert_eq(store_write(s_store, s_to_v1, &v1), 0);
    cr_assert_eq(v1.totals, 12);
    cr_assert_gt(v1.projects, 0);
    cr_assert_eq(v1.tender_counters, 2 * 2, "2 windows x 2 buyers");
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

/* ------------------------------------------------ the size of the project counters */

typedef struct {
    size_t n, bytes;
    bool topic_inside;
} s_count_t;

static int s_count_projects(MDB_txn *txn, void *arg)
{
    s_count_t *c = arg;
    MDB_cursor *cur;
    cr_assert_eq(mdb_cursor_open(txn, store_dbi(s_store, "kpi_projects"), &cur), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        c->n++;
        c->bytes += k.mv_size;
        c->topic_inside |= memmem(k.mv_data, k.mv_size, "kpi.", 4) != NULL;
    }
    mdb_cursor_close(cur);
    return 0;
}

/* One measurement of T1 (group G1, no theme) in 2026-Q1 feeds 2 windows x (all, group,
 * tender) totals; the counters are those of all and group: 4, not 6, with keys that do
 * not repeat the buyer's topic prefix ("heerlen\0T1\0co2.2026" is 19 bytes). Two buyers
 * with the same ids keep their own; the figures stay those of the closed form. */
Test(kpi_migrate, project_counters_are_fewer_and_shorter)
{
    const char *buyers[2] = { "heerlen", "venlo" };
    for (int b = 0; b < 2; b++) {
        s_buyer = buyers[b];
        s_tender(MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
        s_meas(MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, 1, 1000 * (b + 1), 0);
    }
    s_count_t c = { 0, 0, false };
    cr_assert_eq(store_read(s_store, s_count_projects, &c), 0);
    cr_assert_eq(c.n, 2 * 4, "%zu counters", c.n);
    cr_assert_not(c.topic_inside);
    /* heerlen\0T1\0 (11) + co2.2026 / co2.2026-q1 / +.group.G1 (8, 11, 17, 20): 4*11+56 */
    /* venlo\0T1\0 (9): 4*9+56 */
    cr_assert_eq(c.bytes, (4 * 11 + 56) + (4 * 9 + 56), "%zu key bytes", c.bytes);
    const char *tkey[2] = { "kpi.heerlen.co2.2026-q1.tender.T1", "kpi.venlo.co2.2026-q1.tender.T1" };
    for (int b = 0; b < 2; b++) {
        cr_assert_eq(s_total(tkey[b]).projects, 1);
        cr_assert_eq(s_total(tkey[b]).realisation, 1000 * (b + 1));
    }
    /* heerlen cancels T1: its tender total and its others lose the project, venlo's not */
    s_buyer = "heerlen";
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    cr_assert_eq(s_total(tkey[0]).projects, 0);
    cr_assert_eq(s_total("kpi.heerlen.co2.2026.group.G1").projects, 0);
    cr_assert_eq(s_total(tkey[1]).projects, 1);
    cr_assert_eq(s_total("kpi.venlo.co2.2026").projects, 1);
    /* reopened (registered again, not cancelled): counted again */
    s_tender(MVOI__TENDER_EVENT_KIND__TEV_UPDATED);
    cr_assert_eq(s_total(tkey[0]).projects, 1);
    cr_assert_eq(s_total("kpi.heerlen.co2.2026").projects, 1);
    /* withdrawn: no counter of heerlen's left, venlo's four stay */
    s_meas(MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN, 2, 1000, 1000);
    cr_assert_eq(s_total(tkey[0]).projects, 0);
    cr_assert_eq(s_total(tkey[0]).realisation, 0);
    memset(&c, 0, sizeof c);
    cr_assert_eq(store_read(s_store, s_count_projects, &c), 0);
    cr_assert_eq(c.n, 4);
}
