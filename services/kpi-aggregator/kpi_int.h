/*  kpi_int: what the files of kpi_core share (not for other modules). See kpi_core.c for
 *  the databases and which file does what. */
#ifndef MVOI_KPI_INT_H
#define MVOI_KPI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_core.h"

/* The dimensions a contribution is added to. */
enum { KPI_DIM_ALL = 1, KPI_DIM_THEME = 2, KPI_DIM_GROUP = 4, KPI_DIM_TENDER = 8 };

typedef struct {
    char *key;
    bool existed;
    int64_t v[6];
} kpi_dirty_t;

struct kpi_t {
    store_t *store;
    outbox_t *outbox;
    MDB_dbi totals, tenders, meas, projects, breakdown;
    /* totals touched by the event being applied */
    kpi_dirty_t *dirty;
    size_t ndirty, capdirty;
    uint32_t *hash;          /* open addressing: index+1 into dirty, 0 = free */
    size_t hashcap;
    /* one-entry cache of "is this tender cancelled" within an event */
    char cache_tender[128];
    bool cache_valid, cache_cancelled;
    bool batch_flush;        /* changed totals go to the outbox once per transaction */
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

/* ---- kpi_totals.c */

/* A stored total by topic key: 0, -ENOENT when absent (or not ours), or an LMDB error. */
int kpi_total_load(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *t);
int kpi_total_store(kpi_t *self, MDB_txn *txn, const kpi_total_t *t);
/* Forget the totals touched so far (an aborted event). */
void kpi_dirty_clear(kpi_t *self);
/* Remember a total's value before this event touched it (first touch only). */
int kpi_dirty_mark(kpi_t *self, const kpi_total_t *t, bool existed);
/* Append every total this event changed to the outbox, stamped with its seq. */
int kpi_dirty_flush(kpi_t *self, MDB_txn *txn);
/* End of one event: flush its changed totals, unless they wait for the batch's end. */
int kpi_event_end(kpi_t *self, MDB_txn *txn);

/* ---- kpi_add.c */

/* The projected tender (free with mvoi__tender__free_unpacked), NULL if unknown or on an
 * LMDB error (*rc). */
Mvoi__Tender *kpi_tender_load(kpi_t *self, MDB_txn *txn, const char *id, int *rc);
bool kpi_tender_cancelled(const Mvoi__Tender *t);
/* Add (sign +1) or remove (-1) a contribution to every total it feeds. */
int kpi_add_delta(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, int sign);

/* ---- kpi_tender.c */

/* Replace a tender's projection old by nw (either may be NULL) in every total. */
int kpi_tender_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                          const Mvoi__Tender *nw);

/* ---- kpi_impact.c */

/* Breakdown key buyer\0 kpi year quarter tender\0 id; with tender NULL the prefix up to
 * the quarter. 0 when it does not fit. */
size_t kpi_bd_key(uint8_t *buf, size_t cap, const char *buyer, int kpi, uint32_t year,
                  uint32_t quarter, const char *tender, const char *id);

#endif
