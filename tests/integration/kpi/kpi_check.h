/*  Test-side helpers for the kpi-aggregator integration tests:
 *  - kmap: key -> the six figures of a total (+ seq), with an order-free digest;
 *  - kpi_expect: the expected totals of a workload, computed here from the FINAL states
 *    of tenders and measurements (not incrementally, and without kpi_core);
 *  - clone_t: a Clone client (SUB first, snapshot over a DEALER, seq checks, heartbeats).
 */
#ifndef MVOI_KPI_CHECK_H
#define MVOI_KPI_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "kpi_workload.h"

enum { F_AMB, F_REAL, F_PROJ, F_TARGET, F_DEN, F_COUNT, F_N };

typedef struct {
    char key[80];
    int64_t v[F_N];
    uint64_t seq;
    uint8_t tenders[64];    /* kpi_expect: tenders with a measurement here (bitmap) */
    uint8_t published[64];  /* kpi_expect: tenders published here (bitmap) */
    bool used;
} kentry_t;

typedef struct {
    kentry_t *e;
    size_t cap, n;
    uint64_t digest;        /* sum of kentry_hash over the entries (zero totals add 0) */
    bool with_seq;          /* the digest covers seq too */
} kmap_t;

kmap_t *kmap_new(size_t cap_pow2, bool with_seq);
void kmap_destroy(kmap_t **m);
kentry_t *kmap_get(kmap_t *m, const char *key, bool create);
/* Set an entry's figures and seq, keeping the digest. */
void kmap_set(kmap_t *m, const char *key, const int64_t v[F_N], uint64_t seq);
void kmap_clear(kmap_t *m);

/* Expected totals (seq 0) of a workload. */
kmap_t *kpi_expect(const wl_t *w);
/* Is this key a pilots year total over all dimensions (target 3)? */
bool kpi_expect_pilot_year(const char *key);
/* Compare a snapshot with the expected totals on all six figures: *bad counts totals that
 * differ, *missing expected totals with a figure that the snapshot lacks; the first `show`
 * of each are printed to stderr. Returns the number of totals compared. */
size_t kpi_compare(kmap_t *snap, kmap_t *exp, size_t show, size_t *bad, size_t *missing);

typedef struct clone_t clone_t;
clone_t *clone_new(void *zctx, const char *api, const char *pub);
void clone_destroy(clone_t **c);
/* Ask for the snapshot and replace the state with it. 0, -ETIMEDOUT, -EPROTO. */
int clone_snapshot(clone_t *c, int timeout_ms);
/* Apply what the SUB socket holds. Returns 1 when a re-snapshot is needed (a seq gap, or a
 * heartbeat beyond what we have), else 0. */
int clone_pump(clone_t *c, int max);
void *clone_sub(clone_t *c);
kmap_t *clone_state(clone_t *c);
uint64_t clone_seq(clone_t *c);
uint64_t clone_epoch(clone_t *c);
int clone_snapshots(clone_t *c);
uint64_t clone_applied(clone_t *c);

#endif
