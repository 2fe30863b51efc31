/*  store_int: what store.c, store_cap.c and store_walmode.c share (not for callers).
 *
 *  WAL mode (store_opts_t.wal, docs/design.md#sync-policy): one long LMDB write transaction
 *  (txn) stays open between checkpoints; each store_write runs fn in it (a failing fn drops
 *  it, and the records since the checkpoint are re-applied from the log file); the batch's
 *  operations, recorded by the store_put family as they succeed (store_cap.c), are
 *  appended to the log file (store_wal.h) as one record, built in memory (mem) and
 *  dropped from it once written (store_walmode.c, s_begin, says why).
 */
#ifndef MVOI_STORE_INT_H
#define MVOI_STORE_INT_H

#include "store.h"
#include "store_wal.h"
#include "store_cpsync.h"
#include "log.h"

#define STORE_MAIN_IDX 0xFFFFu   /* the main db's index in a record (not one of opts.dbs) */

typedef struct {
    char *name;
    MDB_dbi dbi;
} s_db_t;

/* A growing byte buffer (records, captured keys). */
typedef struct {
    uint8_t *b;
    size_t len, cap;
} store_buf_t;

struct store_t {
    MDB_env *env;
    char *path;
    size_t map_max;
    s_db_t *dbs;
    size_t ndbs;
    bool created;
    bool in_write;
    int stale_cleared;
    store_hooks_t hooks[8];
    int nhooks;
    uint64_t commits;
    uint64_t grows;
    /* MDB_NOMETASYNC: a commit that wrote flushed the file (data pages) before it wrote
     * its own meta page, so every earlier commit's meta page went to the device with it.
     * durable_txn: the last transaction known to be on the device that way or by a
     * store_flush (store_durable_upto); last_txn: the last one committed. In WAL mode both
     * are log sequence numbers: the last record appended and the last one a WAL fdatasync
     * (or a checkpoint) covered. */
    bool nometasync;
    uint64_t durable_txn, last_txn;
    /* MDB_NOMETASYNC: a commit that failed (its data flush, most likely) may have taken
     * the earlier commit's meta page with it, and a later flush would report success over
     * it; from then on nothing is made durable or written (store_sync_failed). */
    int sync_err;
    int (*before_open)(const char *dir, void *arg);
    void *before_open_arg;
    int lock_fd;                 /* flock on <path>/mvoi.lock, held until store_destroy */
    /* Storage failure state: set by a failed write attempt, cleared by the next commit. */
    int fail_err;                /* negative errno of the last failed attempt; 0 = fine */
    int64_t fail_since_ms, next_try_ms;
    uint32_t backoff_ms;         /* kept after a recovery, for a failure soon after it */
    int64_t recovered_ms;        /* when the last failure ended */
    uint64_t deferred;
    uint64_t probes;
    uint64_t failed[STORE_NREASONS];

    /* WAL mode (NULL wal: off). */
    store_wal_t *wal;
    MDB_dbi main_dbi;
    MDB_txn *txn;                /* the long transaction; NULL until the next write */
    store_buf_t mem;             /* [u32 len][record] of the batch being written */
    uint64_t cp_lsn, cp_off;     /* the first record after the last checkpoint: its lsn
                                    and where it is (or goes) in the log */
    uint64_t logged;             /* bytes of records logged since the last checkpoint */
    bool capturing;              /* store_put & co append their operations to mem */
    int cap_err;                 /* a capture failed (memory, unknown db): the batch fails */
    size_t cap_at;               /* the batch's [u32 len][record] in mem starts here; the
                                    record's format: store_cap.c */
    size_t res_at, res_len;      /* the last MDB_RESERVE put's room in mem, and its size */
    const void *res_ptr;         /* its reserved space in LMDB; NULL: nothing to copy */
    uint64_t salt;               /* this incarnation's record salt (store_wal.h) */
    uint64_t cp_bytes, cp_ms;    /* checkpoint thresholds */
    int64_t cp_last_ms;          /* when the last checkpoint finished */
    int64_t write_last_ms;       /* when the last batch was logged (idle checkpoint) */
    int64_t mem_since_ms;        /* when the oldest record not yet checkpointed was logged:
                                    the timed checkpoint bounds its age, not the time since
                                    the last checkpoint (after an idle one, the next batch
                                    would otherwise pay for a checkpoint of itself alone) */
    store_cpsync_t *cps;         /* confirms checkpoints off the loop (store_cpsync.h) */
    uint64_t cp_pending;         /* LMDB txnid of the checkpoint committed, not confirmed */
    uint64_t cp_pending_at;      /* store_wal_appended just before that commit */
    uint64_t fell_back_to;       /* the open fell back to this snapshot (store_meta.h) */
    bool cp_fail_logged;
    uint64_t cp_count, cp_forced;
    int64_t cp_ns[256];          /* the last checkpoints' loop stall (ring) */
    int64_t cp_max_ns;
};

/* store.c */
int store__map_error(store_t *self, const char *what, int rc);
int store__failed(store_t *self, int raw, bool at_map_max);
void store__recovered(store_t *self);
int store__grow(store_t *self);
void store__hooks_begin(store_t *self);
int store__hooks_prepare(store_t *self, MDB_txn *txn);
void store__hooks_commit(store_t *self);
void store__hooks_abort(store_t *self);
void store__log_errno(log_level_t level, const char *event, const char *path, int err,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* store_cap.c: capture, record build and replay. */
int store__buf_add(store_buf_t *b, const void *p, size_t n);
void store__buf_free(store_buf_t *b);
/* A batch begins: store_put & co append its record to mem, at cap_at. */
void store__cap_begin(store_t *self);
/* The batch is done. keep: it succeeded, its record is whole in mem (the last reserved
 * value copied in, the length written); else mem is cut back to cap_at. */
void store__cap_end(store_t *self, bool keep);
/* Apply one record in txn (puts, dels ignoring NOTFOUND, drops): -EUCLEAN if it does not
 * parse or names an unknown db; else 0 or the raw LMDB code. */
int store__rec_apply(store_t *self, MDB_txn *txn, const uint8_t *p, size_t len);

/* store_walmode.c */
int store__wal_preopen(store_t *self);   /* before mdb_env_open (store_meta.h) */
int store__wal_open(store_t *self, const store_opts_t *opts);
int store__wal_write(store_t *self, store_fn *fn, void *arg);
int store__wal_read(store_t *self, store_fn *fn, void *arg);
void store__wal_close(store_t *self);
void store__wal_tick(store_t *self);      /* a checkpoint due by time */
int store__wal_flush(store_t *self);      /* store_flush in WAL mode */
int store__wal_flush_lane(store_t *self, unsigned lane);   /* store_flush_lane, WAL mode */
int store__wal_sync_failed(store_t *self);   /* store_sync_failed, WAL mode */

#endif
