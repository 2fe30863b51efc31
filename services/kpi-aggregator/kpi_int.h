/*  kpi_int: what the files of kpi_core share (not for other modules). See kpi_core.c for
 *  the databases and which file does what. */
#ifndef MVOI_KPI_INT_H
#define MVOI_KPI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kpi_core.h"
#include "mvoi_id.h"

/* The dimensions a contribution is added to. */
enum { KPI_DIM_ALL = 1, KPI_DIM_THEME = 2, KPI_DIM_GROUP = 4, KPI_DIM_TENDER = 8 };

/* One entry of the working set (kpi_work.c). */
enum { KPI_W_TOTAL = 1, KPI_W_PROJECT = 2 };
#define KPI_WORK_MAX 16384      /* entries before a batch flushes early (~1 KiB each) */
typedef struct {
    uint8_t kind;            /* KPI_W_* */
    bool existed;            /* in LMDB before (as of the last write of this entry) */
    uint16_t klen;           /* key bytes in t.key (a project key has a NUL inside) */
    uint64_t hash;
    int64_t orig[6];         /* the figures as in LMDB (a project counter: orig[0]) */
    kpi_total_t t;           /* now; a project counter keeps its number in t.count */
} kpi_work_t;

/* What kpi_add_delta found for one (window, dimension) of a contribution: the total and
 * its project counter in the working set (kpi_add.c). */
typedef struct {
    bool done;               /* looked up: t (NULL: no total by that name) */
    bool proj_done;          /* looked up: proj (NULL: no counter) */
    kpi_total_t *t;
    int64_t *proj;
} kpi_memo_slot_t;

/* The totals of the last contribution added, by its dimensions: consecutive measurements
 * of one tender feed the same eight totals, and naming, hashing and finding each of them
 * again was a fifth of the aggregator's time. Valid while the working set is (gen). */
typedef struct {
    uint64_t gen;            /* kpi_t.work_gen it was filled in; 0: empty */
    int kpi, theme, dims;
    uint32_t year, quarter;
    bool project;
    char buyer[MVOI_ID_BUYER_MAX + 1], tender[MVOI_ID_MAX + 1], group[128];
    kpi_memo_slot_t slot[2][4];   /* window (year, quarter) x dimension bit */
} kpi_memo_t;

/* The cursors a batch keeps (kpi_cursor.c): kpi_meas, and kpi_breakdown per KPI. */
enum { KPI_CUR_MEAS = 0, KPI_CUR_N = 1 + KPI_COUNT };

struct kpi_t {
    store_t *store;
    outbox_t *outbox;
    kpi_emit_fn *emit;       /* NULL: straight to the outbox */
    void *emit_arg;
    MDB_dbi totals, tenders, meas, projects, breakdown;
    /* the working set: totals and project counters touched since the last flush */
    kpi_work_t **chunks;
    size_t nchunks, nwork;
    uint32_t *hash;          /* open addressing: index+1 into the entries, 0 = free */
    size_t hashcap;
    /* one-entry cache of "is this tender cancelled" within an event: key buyer \0 tender */
    uint8_t cache_key[MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX];
    size_t cache_klen;
    bool cache_valid, cache_cancelled;
    bool batch_flush;        /* changed totals go to the outbox once per transaction */
    uint64_t work_gen;       /* counts kpi_work_clear: pointers into the set die with it */
    kpi_memo_t memo;
    /* cursors of the open batch (kpi_cursor.c); cur_txn: the transaction they belong to */
    MDB_cursor *cur[KPI_CUR_N];
    MDB_txn *cur_txn;
    bool in_batch;           /* between kpi_batch_begin and kpi_batch_end */
    kpi_stats_t stats;
};

/* One contribution to the totals of one KPI: added to each window and dimension. */
typedef struct {
    int kpi;
    uint32_t year, quarter;
    const char *buyer;
    int theme;
    const char *group;
    const char *tender;
    int64_t ambition, realisation, denominator, count, target;
    bool project;            /* counts the tender in projects */
    int dims;                /* KPI_DIM_* */
} kpi_delta_t;

/* An id of an event present and within its kind's length (mvoi_id.h): the producers
 * checked the rest where the id entered; here it only has to fit a key. */
static inline bool kpi_id_fits(const char *s, mvoi_id_kind_t kind)
{
    return s && *s && strlen(s) <= mvoi_id_max(kind);
}

/* ---- kpi_totals.c */

/* A stored total by topic key: 0, -ENOENT when absent (or not ours), or an LMDB error. */
int kpi_total_load(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *t);
int kpi_total_store(kpi_t *self, MDB_txn *txn, const kpi_total_t *t);

/* ---- kpi_work.c */

/* The working copy of a total, loaded on first touch. Absent in LMDB: with create, a new
 * zeroed total with the key set (*fresh true: the caller fills in its dimensions), else
 * NULL and *rc -ENOENT. NULL with *rc an LMDB error or -ENOMEM. Valid until the set is
 * flushed or cleared. */
kpi_total_t *kpi_work_total(kpi_t *self, MDB_txn *txn, const char *key, bool create,
                            bool *fresh, int *rc);
/* The working copy of a project counter (key: tender \0 topic); 0 when absent. */
int64_t *kpi_work_project(kpi_t *self, MDB_txn *txn, const void *key, size_t len, int *rc);
/* Write the project counters to LMDB now (before reading that database directly). */
int kpi_work_sync_projects(kpi_t *self, MDB_txn *txn);
/* Write everything touched; each total whose figures moved gets the next seq and goes to
 * the outbox. Clears the set. */
int kpi_work_flush(kpi_t *self, MDB_txn *txn);
/* Forget everything touched (the transaction is aborted). */
void kpi_work_clear(kpi_t *self);
void kpi_work_free(kpi_t *self);
size_t kpi_work_size(kpi_t *self);
/* End of one event: flush, unless the changes wait for the batch's end. */
int kpi_event_end(kpi_t *self, MDB_txn *txn);

/* ---- kpi_add.c */

/* The projected tender of buyer (free with mvoi__tender__free_unpacked), NULL if unknown or
 * on an LMDB error (*rc). */
Mvoi__Tender *kpi_tender_load(kpi_t *self, MDB_txn *txn, const char *buyer, const char *id,
                              int *rc);
bool kpi_tender_cancelled(const Mvoi__Tender *t);
/* *field (one figure of t, named which) += sign * v, checked: 0, or MVOI_E_OVERFLOW when
 * it would pass the int64 range (*field unchanged; logged total_overflow with t's buyer,
 * KPI and which; counted in kpi_stats overflows). Every addition into a stored total. */
int kpi_total_add(kpi_t *self, const kpi_total_t *t, const char *which, int64_t *field,
                  int64_t sign, int64_t v);
/* Add (sign +1) or remove (-1) a contribution to every total it feeds: 0, an LMDB error
 * or MVOI_E_OVERFLOW (kpi_total_add). */
int kpi_add_delta(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, int sign);

/* ---- kpi_tender.c */

/* Replace a tender's projection old by nw (either may be NULL) in every total. */
int kpi_tender_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                          const Mvoi__Tender *nw);

/* ---- kpi_sroi.c: the SROI target beyond the publication (the contracts' basis) */

/* tot, an SROI total (else nothing), gained (flip +1) or lost (-1) tender as a project:
 * its obligation when it was not published there. */
int kpi_sroi_project_flip(kpi_t *self, MDB_txn *txn, const char *buyer, const char *tender,
                          kpi_total_t *tot, int flip);
/* The tender's projection old became nw: the totals it is a project of, adjusted. */
int kpi_sroi_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                        const Mvoi__Tender *nw);

/* ---- kpi_projkey.c */

/* The key of a project counter: buyer \0 tender \0 topic without its "kpi.<buyer>." (0
 * when it does not fit or topic is not the buyer's). */
size_t kpi_project_key(uint8_t *buf, size_t cap, const char *buyer, const char *tender,
                       const char *topic);
/* The topic of a counter of buyer from the rest of its key (n bytes): 0, -EINVAL when it is
 * not a topic, -ENAMETOOLONG. */
int kpi_project_topic(const char *buyer, const char *rest, size_t n, char *out, size_t cap);
/* Every total the tender is a project of (a counter above 0), and for each all-dimensions
 * one the tender's own total of that KPI and window: fn(arg, its key, the key parsed); a
 * non-zero return stops the walk and is returned. */
typedef int (kpi_project_fn)(void *arg, const char *key, const mvoi_topic_t *tp);
int kpi_project_each(kpi_t *self, MDB_txn *txn, const char *buyer, const char *id,
                     kpi_project_fn *fn, void *arg);

/* ---- kpi_cursor.c */

/* The batch's cursor `which` (KPI_CUR_MEAS, or KPI_CUR_MEAS + kpi on kpi_breakdown), opened
 * in txn on first use; NULL with *rc an LMDB error. */
MDB_cursor *kpi_cursor(kpi_t *self, MDB_txn *txn, int which, int *rc);
/* Close them (their transaction is alive). */
void kpi_cursor_close(kpi_t *self);
/* Drop the pointers without touching them (their transaction ended: LMDB freed them). */
void kpi_cursor_forget(kpi_t *self);
/* End of one event: outside a batch, close them. */
void kpi_cursor_event_end(kpi_t *self);

/* ---- kpi_impact.c */

/* Breakdown key buyer\0 kpi year quarter tender\0 id; with tender NULL the prefix up to
 * the quarter. 0 when it does not fit. */
size_t kpi_bd_key(uint8_t *buf, size_t cap, const char *buyer, int kpi, uint32_t year,
                  uint32_t quarter, const char *tender, const char *id);

/* ---- kpi_record.c */

/* Our record of a measurement revision (an ImpactEvent of the fields the KPIs use) encoded
 * into buf as protobuf-c packs it: its size, or 0 when it does not fit cap or has a shape
 * this encoder leaves to protobuf-c. */
size_t kpi_record_encode(uint8_t *buf, size_t cap, const Mvoi__ImpactEvent *rec);

#endif
