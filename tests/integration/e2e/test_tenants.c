/*  Tenants: two pairs of buyers with the SAME tender ids (T0001...), measurement ids
 *  (M000001...) and request ids through calendar -> impact-calculator -> kpi-aggregator,
 *  real processes, durable LMDB.
 *
 *  Workload A is heerlen + landgraaf, workload B (another seed: other quantities, dates,
 *  corrections) is venlo + roermond with the ids of A. Each pair's totals in the shared
 *  deployment must equal
 *    - the closed form of its own workload (kpi_expect, computed here without kpi_core;
 *      B's expected keys renamed to its buyers), and
 *    - the snapshot of a deployment that served that pair alone.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "e2e.h"
#include "kpi_check.h"

#define TENDERS 30
#define MEASUREMENTS 1500
#define BATCH 50
#define SEED_A 0x7e4a47ULL
#define SEED_B 0x7e4b99ULL

static const char *s_b_names[2] = { "venlo", "roermond" };

/* Every request of the workloads: all tenders, then all measurements, then the
 * cancellations, so that B's m-1 arrives while A's m-1 is counted. */
static void s_send(e2e_fleet_t *f, void *zctx, e2e_wl_t *const *w, int n)
{
    char err[512] = "";
    e2e_sender_t *cal = e2e_sender_new(zctx, f->capi, 32, 5000);
    e2e_sender_t *imp = e2e_sender_new(zctx, f->iapi, 16, 5000);
    for (int i = 0; i < n; i++)
        cr_assert_eq(e2e_sender_run(cal, w[i], 0, w[i]->first_meas_req, NULL, NULL, 20000,
                                    err, sizeof err), 0, "tenders: %s (logs in %s)", err,
                     f->dir);
    cr_assert_eq(e2e_wait_impact_knows_calendar(f, 20000), 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(e2e_sender_run(imp, w[i], w[i]->first_meas_req, w[i]->first_cancel_req,
                                    NULL, NULL, 30000, err, sizeof err), 0,
                     "measurements: %s (logs in %s)", err, f->dir);
    for (int i = 0; i < n; i++)
        cr_assert_eq(e2e_sender_run(cal, w[i], w[i]->first_cancel_req, w[i]->nreq, NULL, NULL,
                                    20000, err, sizeof err), 0, "cancelling: %s", err);
    cr_assert_eq(e2e_wait_kpi_caught_up(f, 60000), 0, "aggregator not caught up (%s)", f->dir);
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
}

/* The buyer segment of kpi.<buyer>.<kpi>.<window>[...] into out. */
static void s_buyer_of(const char *key, char *out, size_t cap)
{
    const char *p = key;
    for (int dots = 0; *p && dots < 1; p++)
        dots += *p == '.';
    size_t n = strcspn(p, ".");
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* The totals of m whose buyer is b0 or b1, renamed to n0 / n1 (NULL: unchanged). */
static kmap_t *s_part(kmap_t *m, const char *b0, const char *b1, const char *n0,
                      const char *n1)
{
    kmap_t *out = kmap_new(1u << 16, false);
    for (size_t i = 0; i < m->cap; i++) {
        kentry_t *e = &m->e[i];
        char b[80];
        if (!e->used)
            continue;
        s_buyer_of(e->key, b, sizeof b);
        const char *to = strcmp(b, b0) == 0 ? (n0 ? n0 : b0)
                       : strcmp(b, b1) == 0 ? (n1 ? n1 : b1) : NULL;
        if (!to)
            continue;
        size_t pre = strlen("kpi.");   /* the buyer is the first segment */
        char key[96];
        snprintf(key, sizeof key, "%.*s%s%s", (int)pre, e->key, to, e->key + pre + strlen(b));
        kmap_set(out, key, e->v, 0);
    }
    return out;
}

/* A snapshot of the aggregator's totals (copied out of the clone). */
static kmap_t *s_snapshot(e2e_fleet_t *f, void *zctx)
{
    clone_t *c = clone_new(zctx, f->kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    kmap_t *snap = clone_state(c), *out = kmap_new(1u << 16, false);
    for (size_t i = 0; i < snap->cap; i++)
        if (snap->e[i].used)
            kmap_set(out, snap->e[i].key, snap->e[i].v, 0);
    clone_destroy(&c);
    return out;
}

static void s_same(kmap_t *got, kmap_t *want, const char *what)
{
    size_t bad, missing;
    size_t n = kpi_compare(got, want, 6, &bad, &missing);
    cr_log_info("%s: %zu totals compared", what, n);
    cr_assert_gt(n, 100, "%s: too few totals to mean anything", what);
    cr_assert_eq(bad, 0, "%s: %zu totals differ", what, bad);
    cr_assert_eq(missing, 0, "%s: %zu totals missing", what, missing);
}

static kmap_t *s_alone(void *zctx, e2e_wl_t *w)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    s_send(&f, zctx, &w, 1);
    kmap_t *snap = s_snapshot(&f, zctx);
    e2e_fleet_fini(&f, false);
    return snap;
}

Test(tenants, same_ids_two_buyers_each_as_if_alone, .timeout = 240)
{
    e2e_wl_t *a = e2e_wl_new(SEED_A, TENDERS, MEASUREMENTS, BATCH);
    e2e_wl_t *b = e2e_wl_new(SEED_B, TENDERS, MEASUREMENTS, BATCH);
    b->buyers[0] = s_b_names[0];
    b->buyers[1] = s_b_names[1];
    b->rid_seed = a->rid_seed;    /* the same request ids too */
    void *zctx = zmq_ctx_new();

    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    e2e_wl_t *both[2] = { a, b };
    s_send(&f, zctx, both, 2);
    kmap_t *shared = s_snapshot(&f, zctx);
    e2e_fleet_fini(&f, false);

    kmap_t *shared_a = s_part(shared, "heerlen", "landgraaf", NULL, NULL);
    kmap_t *shared_b = s_part(shared, s_b_names[0], s_b_names[1], NULL, NULL);

    /* 1. each pair against the closed form of its own workload */
    wl_t *fa = e2e_wl_final(a), *fb = e2e_wl_final(b);
    kmap_t *exp_a = kpi_expect(fa), *exp_b0 = kpi_expect(fb);
    kmap_t *exp_b = s_part(exp_b0, "heerlen", "landgraaf", s_b_names[0], s_b_names[1]);
    s_same(shared_a, exp_a, "heerlen+landgraaf (shared) vs closed form");
    s_same(shared_b, exp_b, "venlo+roermond (shared) vs closed form");

    /* the two workloads really differ, so equality above is not luck */
    kentry_t *ha = kmap_get(exp_a, "kpi.heerlen.co2.2026", false);
    kentry_t *vb = kmap_get(exp_b, "kpi.venlo.co2.2026", false);
    cr_assert(ha && vb);
    cr_assert_neq(ha->v[F_REAL], vb->v[F_REAL]);
    cr_log_info("kpi.<buyer>.co2.2026 realisation: heerlen %ld g, venlo %ld g", (long)ha->v[F_REAL],
                (long)vb->v[F_REAL]);

    /* 2. each pair against a deployment that served it alone */
    kmap_t *alone_a = s_alone(zctx, a), *alone_b = s_alone(zctx, b);
    kmap_t *alone_a_part = s_part(alone_a, "heerlen", "landgraaf", NULL, NULL);
    kmap_t *alone_b_part = s_part(alone_b, s_b_names[0], s_b_names[1], NULL, NULL);
    cr_assert_eq(alone_a_part->n, alone_a->n, "an alone run produced another buyer's totals");
    s_same(shared_a, alone_a_part, "heerlen+landgraaf shared vs alone");
    s_same(alone_a_part, shared_a, "heerlen+landgraaf alone vs shared");
    s_same(shared_b, alone_b_part, "venlo+roermond shared vs alone");
    s_same(alone_b_part, shared_b, "venlo+roermond alone vs shared");

    kmap_t *maps[] = { shared, shared_a, shared_b, exp_a, exp_b0, exp_b, alone_a, alone_b,
                       alone_a_part, alone_b_part };
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        kmap_destroy(&maps[i]);
    wl_destroy(&fa);
    wl_destroy(&fb);
    zmq_ctx_term(zctx);
    e2e_wl_destroy(&a);
    e2e_wl_destroy(&b);
}
