/*  kpi_core: the six KPIs of the plan (docs/domain.md#kpis) as exact live totals.
 *
 *  Inputs are TenderEvents (producer "calendar") and ImpactEvents (producer "impact"),
 *  applied inside the feed's write transaction. Every total that an event changes is
 *  appended to the aggregator's own outbox as a KpiTotal event in the SAME transaction, so
 *  the aggregator's seq is its outbox seq and a snapshot (totals + outbox head read in one
 *  read transaction) is consistent with the stream (zguide "Clone").
 *
 *  Semantics (README "KPI semantics" says the same for operators):
 *
 *  - A total is identified by its topic (built and parsed only by mvoi_topic.h)
 *        kpi.<buyer>.<kpi>.<window>[.theme.<t>|.group.<g>|.tender.<id>]
 *    kpi in fairtrade, sroi, nox, material, co2, pilots; window "2026" or "2026-q1". Buyer,
 *    group and tender id are percent-encoded: every byte outside [A-Za-z0-9_-] becomes %XX,
 *    so a topic never contains a stray '.' and distinct values never collide.
 *  - Impact field per KPI: 1 fairtrade_products (denominator risk_products), 2
 *    sroi_realised_cents, 3 nox_avoided_mg, 4 primary_material_g, 5 co2_avoided_g, 6 pilots.
 *    A measurement "feeds" a KPI when its Impact has that field set (present, even if 0).
 *    Phase AMBITION adds to ambition, REALISATION (and UNSPECIFIED) to realisation.
 *  - Window of a measurement: its period_end date (YYYY-MM-DD, a local Europe/Amsterdam
 *    date; quarter = (month-1)/3+1), period_start when period_end is missing. A measurement
 *    without a valid date or buyer is kept (so a correction can move it) but feeds nothing.
 *    Dimensions: all; theme (Impact.theme); purchasing group (ImpactEvent.purchasing_group,
 *    else the tender projection's group when the event is applied: it is frozen into the
 *    measurement's record and moves only with the measurement's next revision); tender.
 *  - A correction or withdrawal subtracts what this measurement contributed before (our own
 *    stored record of its current revision; the event's previous/previous_impact only when
 *    we hold none) and adds the new revision: every total moves by the difference.
 *  - Tender projection: pilot=true and not cancelled adds 1 to pilots.ambition; a
 *    non-cancelled tender's sroi_obligation_cents adds to sroi.target; window = planned
 *    publication date; dimensions all, group, tender and each distinct theme in scope.
 *    Every TenderEvent replaces the tender's previous projection (difference again).
 *  - projects = distinct tenders with at least one current (not withdrawn) measurement
 *    feeding that total, in either phase. Per (tender, total) a count of measurements is
 *    kept; a tender counts when that count > 0 and the tender is not cancelled. Cancelling
 *    removes the tender from every project count it was in; its quantities stay.
 *  - target: pilots, year window, all dimensions: 3 (plan: 3 pilots a year); sroi: sum of
 *    the SROI obligations (cents) of the non-cancelled tenders published in the window and
 *    dimension or a project there (measured on there, whenever published), each once: the
 *    contracts' basis of the report's table per contract (kpi_sroi.c).
 *  - count = measurements behind the total; denominator = risk_products (KPI 1).
 *  - All sums are exact int64 in the unit of the field (KpiTotal.unit).
 *  - A breakdown index lists, per (buyer, kpi, quarter, tender), the measurement ids with
 *    their current revision and amounts; a total's breakdown is a filtered range scan.
 */
#ifndef MVOI_KPI_CORE_H
#define MVOI_KPI_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "codec.h"
#include "mvoi_contract.h"
#include "mvoi_id.h"
#include "outbox.h"
#include "store.h"

/* Databases kpi_core needs; list them in store_opts_t.dbs. */
#define KPI_DBS "kpi_totals", "kpi_tenders", "kpi_meas", "kpi_projects", "kpi_breakdown"

#define KPI_COUNT MVOI_KPI_COUNT
#define KPI_PILOT_TARGET 3
#define KPI_KEY_MAX MVOI_TOPIC_MAX

typedef struct kpi_t kpi_t;

/* outbox may be NULL (totals then carry seq 0 and nothing is emitted). */
kpi_t *kpi_new(store_t *store, outbox_t *outbox, int *err);
void kpi_destroy(kpi_t **self_p);

/* How a changed total becomes an event: the service passes server_emit_txn (the server
 * appends it and publishes it after the commit); stamp, called with the event's seq before
 * it is packed, gives the total its seq. Without one (a core without a server: benchmarks,
 * tests) totals go straight to the outbox, stamped the same way. */
typedef int (kpi_emit_fn)(void *arg, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                          outbox_stamp_fn *stamp, void *stamp_arg, uint64_t *seq);
void kpi_set_emit(kpi_t *self, kpi_emit_fn *fn, void *arg);

/* Apply one event (feed_apply_fn shape). Events it does not use and malformed events are
 * logged and skipped (return 0): a bad event must not stall the feed. Returns an LMDB
 * error (or -ENOMEM) only when the transaction must be aborted. */
int kpi_apply(kpi_t *self, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev);
int kpi_apply_tender(kpi_t *self, MDB_txn *txn, const Mvoi__TenderEvent *te,
                     const char *buyer);
int kpi_apply_impact(kpi_t *self, MDB_txn *txn, const Mvoi__ImpactEvent *ie,
                     const char *buyer);
/* Rewrite records of a data directory made before buyer scoping (kpi_migrate.c); *moved
 * gets how many. Idempotent. */
int kpi_migrate(kpi_t *self, MDB_txn *txn, size_t *moved);
/* Bring the SROI targets of a store of the version before the contracts' basis to it
 * (kpi_sroi.c), once: *tenders, the tenders with an obligation walked (0 when done before). */
int kpi_migrate_sroi(kpi_t *self, MDB_txn *txn, size_t *tenders);
/* Rewrite totals and project counters keyed by the topic layout before buyer-first
 * (kpi_migrate_layout.c), one bounded step per call: call in write transactions of their
 * own, with the same zeroed state, until st->db is 2; st->moved counts the records
 * rewritten. Idempotent. */
#define KPI_LAYOUT_STEP 50000   /* keys examined per step (~a few MB of dirty pages) */
typedef struct {
    int db;                     /* 0 totals, 1 project counters, 2 done */
    size_t moved;
    uint8_t after[KPI_KEY_MAX + 256];   /* the last key examined */
    size_t alen;
    size_t step;                /* keys per step; 0: KPI_LAYOUT_STEP */
} kpi_layout_mig_t;
int kpi_migrate_layout(kpi_t *self, MDB_txn *txn, kpi_layout_mig_t *st);
/* An old-layout key kpi.<kpi>.<window>.<buyer>[rest] of n bytes as the key of today's
 * layout kpi.<buyer>.<kpi>.<window>[rest] into out: 0, or -EINVAL when old is not a key of
 * the old layout (a key of today's layout included), -ENAMETOOLONG. */
int kpi_topic_from_v1(const char *old, size_t n, char *out, size_t cap);
/* A producer's store was wiped (new epoch): remove everything derived from it. */
int kpi_reset(kpi_t *self, MDB_txn *txn, const char *producer);
/* The same for ONE buyer (a rebuild by buyer, feed.h): its measurement records (impact) or
 * tenders (calendar) and what they contributed. */
int kpi_reset_buyer(kpi_t *self, MDB_txn *txn, const char *producer, const char *buyer);
/* The first buyer after `after` (NULL: the first) holding records of producer, into buf:
 * 0, -ENOENT when none, or another error (feed_next_buyer_fn). */
int kpi_next_buyer(kpi_t *self, MDB_txn *txn, const char *producer, const char *after,
                   char *buf, size_t cap);

/* Batch mode: a total touched by many events of one transaction is appended to the outbox
 * (and published) once, with its value at the end of the transaction, instead of once per
 * event. The caller brackets each transaction with kpi_batch_begin / kpi_batch_end (the
 * feed's batch hooks); without batch mode every event flushes its own changes. */
void kpi_set_batch_flush(kpi_t *self, bool on);
void kpi_batch_begin(kpi_t *self);
int kpi_batch_end(kpi_t *self, MDB_txn *txn);

/* Room for an id of the longest kind (mvoi_id.h: 128 bytes) and its NUL: a tender id of
 * 128 bytes was kept as 127, published so and never matched again. */
#define KPI_ID_BUF (MVOI_ID_MAX + 1)

/* A parsed total (value and identity). */
typedef struct {
    char key[KPI_KEY_MAX];
    char buyer[KPI_ID_BUF];
    char group[KPI_ID_BUF];
    char tender[KPI_ID_BUF];
    int kpi;            /* Mvoi__Kpi */
    uint32_t year, quarter;
    int theme;          /* Mvoi__Theme, 0 = all */
    int64_t ambition, realisation, projects, target, denominator, count;
    uint64_t seq;
} kpi_total_t;

/* KpiTotal view of t; strings point into t. */
void kpi_total_to_pb(const kpi_total_t *t, Mvoi__KpiTotal *pb);

/* One total by key: 0, -ENOENT, or an LMDB error. */
int kpi_get(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *out);

/* Every total whose key starts with prefix, in key order; stops when fn returns non-zero
 * (returned). A stored total that does not load stops it with MVOI_E_UNDECODABLE (logged
 * with its key), never skipped. */
typedef int (kpi_total_fn)(void *arg, const kpi_total_t *t);
int kpi_each(kpi_t *self, MDB_txn *txn, const char *prefix, kpi_total_fn *fn, void *arg);
/* The same, starting after key after (NULL: from the start), for a caller that pages;
 * with segment, only the key prefix itself and keys continuing it with "."
 * (SnapshotRequest.segment), reached by seeking so that other buyers' keys that merely
 * start with the same letters are never walked. */
int kpi_each_after(kpi_t *self, MDB_txn *txn, const char *prefix, bool segment,
                   const char *after, kpi_total_fn *fn, void *arg);

/* Measurements behind a total: items [offset, offset+limit) of *total. -ENOENT for an
 * unknown key. */
typedef struct {
    char measurement_id[KPI_ID_BUF];
    char tender_id[KPI_ID_BUF];
    uint32_t revision;
    int64_t ambition, realisation;
} kpi_contrib_t;
typedef int (kpi_contrib_fn)(void *arg, const kpi_contrib_t *c);
int kpi_breakdown(kpi_t *self, MDB_txn *txn, const char *key, uint32_t offset,
                  uint32_t limit, kpi_contrib_fn *fn, void *arg, uint32_t *total);

/* KPI 6's status breakdown of buyer in year (quarter 0 = the whole year): the distinct
 * pilots that reported there, each under the furthest stage it reported (by_stage: 0
 * unspecified, 1 gestart, 2 lopend, 3 afgerond); pilots = their sum = KPI 6's realisation;
 * reports = the reports behind them. kpi_pilots.c. */
typedef struct {
    int64_t pilots, reports;
    int64_t by_stage[4];
} kpi_pilot_status_t;
int kpi_pilot_status(kpi_t *self, MDB_txn *txn, const char *buyer, uint32_t year,
                     uint32_t quarter, kpi_pilot_status_t *out);

/* Names and keys of totals: mvoi_contract.h (mvoi_kpi_name, mvoi_topic_kpi). */
/* "YYYY-MM-DD" -> year, quarter; -EINVAL when not a valid date. */
int kpi_date_window(const char *date, uint32_t *year, uint32_t *quarter);

typedef struct {
    uint64_t events, tender_events, impact_events, skipped, emitted;
    uint64_t keys_read;   /* totals' keys a range read (kpi_each*) stepped over */
    uint64_t overflows;   /* additions refused as beyond int64 (MVOI_E_OVERFLOW) */
} kpi_stats_t;
void kpi_stats(kpi_t *self, kpi_stats_t *out);

#endif
