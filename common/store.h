/*  store: the service's LMDB environment.
 *
 *  One environment per process, named databases opened once at start (store_new) in one
 *  transaction. Writes go through store_write(fn): fn must be re-runnable, because on a
 *  full map the transaction is aborted, the map grows and fn runs again (the Postfix
 *  slmdb.c model). Stale reader slots left by killed processes are cleared at start.
 *
 *  Faults are named and contained: one process per directory (a lock), data.mdb checked
 *  before it is mapped and every page read once before anything writes (store_guard.h),
 *  so a damaged store stops the start with the file unchanged; a write the disk refuses
 *  keeps its errno (ENOSPC, not EIO) and starts a bounded backoff (store_failing).
 *
 *  Sync policy: durable by default (LMDB's full fsync at every commit); throughput comes
 *  from group commit, not weaker flags. opts.nometasync keeps the data flush in the commit
 *  and leaves the meta flush to the caller (store_flush off the loop, server_flush.c):
 *  durable once that returns, whole at any moment. opts.nosync trades the last
 *  transactions on an OS crash (never on a process crash) and the file's integrity for
 *  speed: only for derived stores that detect an OS crash and rebuild (kpi_recover.h), and
 *  benchmarks. opts.wal (a source's hot path, the impact-calculator): a batch is durable
 *  once its record in the write-ahead log is flushed (store_flush), LMDB commits at
 *  checkpoints; see store_opts_t.wal and docs/design.md#sync-policy.
 */
#ifndef MVOI_STORE_H
#define MVOI_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <lmdb.h>
#include "mvoi_error.h"

typedef struct store_t store_t;

typedef struct {
    const char *path;        /* directory; created if missing */
    size_t map_size;         /* initial map size, default 64 MiB */
    size_t map_max;          /* hard limit for growth, default 64 GiB */
    unsigned max_dbs;        /* default 32 */
    bool nosync;             /* default false (durable) */
    bool nometasync;         /* LMDB flushes the data pages at commit but not the meta page:
                                the caller flushes it (store_flush) before it treats the
                                commit as durable; integrity is kept (data before meta) */
    /* Called with the directory lock held, before data.mdb is checked or mapped: a
     * service whose store is derived may decide here to start it anew (remove data.mdb,
     * lock.mdb and STORE_MARK_FILE). Returns 0 or a negative errno that stops store_new. */
    int (*before_open)(const char *dir, void *arg);
    void *before_open_arg;
    const char *const *dbs;  /* NULL-terminated names of the named databases to open */
    /* Write-ahead log (docs/design.md#sync-policy): each store_write appends one record to
     * <path>/wal.mvoi (preallocated, wal_size bytes, default 64 MiB) instead of committing;
     * store_flush is one fdatasync of that file; LMDB commits at checkpoints (every
     * wal_checkpoint_bytes of records, default 16 MiB, or wal_checkpoint_ms, default 1000,
     * and at store_destroy). store_last_txn/store_durable_txn count log records then.
     * Every write must go through store_put & co (below). A store opened without wal
     * replays and removes a log an earlier run left. */
    bool wal;
    uint64_t wal_size, wal_checkpoint_bytes;
    uint32_t wal_checkpoint_ms;
    /* A checkpoint's flush of data.mdb (WAL mode, on the store's thread) first writes the
     * pages back paced (store_pace.h), sleeping at most this long in all; 0: one plain
     * fdatasync. store_flush_paced takes its own budget. */
    uint32_t checkpoint_pace_ms;
} store_opts_t;

/* Takes the directory's lock (store_guard.h), checks data.mdb before mapping it, opens (or
 * creates) the environment and every named db; clears stale readers. Writes nothing when
 * every db exists. Returns NULL with *err set (a code of mvoi_error.h: -EBUSY the directory
 * is in use, -EUCLEAN a damaged or truncated file, -ENODATA a missing store that --init did
 * not allow to create, MVOI_E_* for LMDB's own failures), each logged as one JSON line. */
store_t *store_new(const store_opts_t *opts, int *err);
void store_destroy(store_t **self_p);

MDB_env *store_env(store_t *self);
/* Flush everything committed so far to the disk (fdatasync of data.mdb). Safe from any
 * thread, also while the loop thread writes: it touches no LMDB state. 0 or -errno. */
int store_flush(store_t *self);
/* Flushes that may run at once, each on its own thread: STORE_FLUSH_LANES in WAL mode
 * (each lane its own descriptor of the log, so each sees every write-back error; the
 * first error is final for all of them, store_wal.h), 1 otherwise. store_flush_lane is
 * store_flush by lane lane (< store_flush_lanes), safe while another lane flushes.
 * A flush covers everything committed before it started, whichever lane ran it. */
#ifndef STORE_FLUSH_LANES   /* -D for a benchmark's A/B */
#define STORE_FLUSH_LANES 2
#endif
unsigned store_flush_lanes(store_t *self);
int store_flush_lane(store_t *self, unsigned lane);
/* store_flush for a periodic checkpoint off the loop (the kpi-aggregator's): the dirty
 * pages are written back paced first (store_pace.h, sleeps up to pace_ms; 0: not paced),
 * so the flush does not hand the device a burst that the producers' log flushes queue
 * behind. Not for a flush somebody waits for. */
int store_flush_paced(store_t *self, uint32_t pace_ms);
/* fsync(2) of a directory, so that a file created or renamed in it survives an OS crash.
 * 0 or -errno. */
int store_fsync_dir(const char *dir);
/* Transactions by LMDB txnid: the last committed one that wrote, and the last one known to
 * be on the device. Without nometasync every commit flushes itself (durable == last; with
 * nosync nothing is flushed and the figure only follows the commits). With nometasync a
 * commit that wrote flushed its data pages before writing its meta page, so every earlier
 * commit is durable once it returns: a steady writer needs no flush of its own for all but
 * its last commit. store_durable_upto(txn): a store_flush that started after txn committed
 * has finished (loop thread). In WAL mode the numbers are log sequence numbers (one per
 * successful store_write); durable:
 * covered by a finished store_flush (the log's fdatasync) or a checkpoint. */
uint64_t store_last_txn(store_t *self);
uint64_t store_durable_txn(store_t *self);
void store_durable_upto(store_t *self, uint64_t txn);
/* A failed flush that is final (negative errno), or 0. Linux reports a write-back error
 * once per open file, and the pages that failed may be dropped: a later flush could
 * report success over them. So in WAL mode a failed flush of the log or of a checkpoint,
 * and with nometasync a failed commit (whose data flush would have carried the earlier
 * commit's meta page), stop the store: store_write and store_flush return this error,
 * store_durable_upto no longer advances, store_failing reports it. A restart re-reads
 * what the device has. */
int store_sync_failed(store_t *self);
/* The handle of a db named in opts.dbs; (MDB_dbi)-1 if unknown. */
MDB_dbi store_dbi(store_t *self, const char *name);
/* True if this environment was created by store_new (it was empty). */
bool store_created(store_t *self);

typedef int (store_fn)(MDB_txn *txn, void *arg);

/* Run fn in a write transaction and commit. fn returns 0 to commit, a negative code of
 * mvoi_error.h to abort (that value is returned), or passes up the raw result of an LMDB
 * call it could not handle (converted here by mvoi_mdb_error). A full map (MDB_MAP_FULL or
 * MVOI_E_MAP_FULL, from fn's puts or the commit) aborts, grows the map (x2 up to map_max)
 * and reruns fn; a map another process resized is adopted and fn reruns; both bounded.
 * Hooks run around every attempt. Returns 0 or a negative code, never an LMDB number:
 * fn's code, -ENOSPC at map_max, -ENOENT (MDB_NOTFOUND), -EEXIST (MDB_KEYEXIST), -errno for
 * a system failure, MVOI_E_* for the store's own (logged to stderr), -EDEADLK when called
 * from inside another store_write. In WAL mode fn runs in the open transaction (a failing
 * fn still changes nothing: the transaction is dropped and rebuilt from the log's records
 * since the checkpoint), and "commit" is the record appended to the log. */
int store_write(store_t *self, store_fn *fn, void *arg);
/* Run fn in a read-only transaction (aborted afterwards); fn's result is converted as
 * above. In WAL mode fn runs in the open write transaction (it reads its own writes) and
 * must not write. */
int store_read(store_t *self, store_fn *fn, void *arg);

/* Hooks around every store_write attempt, so that modules keeping in-memory mirrors of
 * transactional state (the outbox's next seq) can roll back on abort/retry. */
typedef struct {
    void (*begin)(void *arg);
    /* Last writes before the commit, once per transaction (e.g. the outbox head, written
     * once instead of per append). Returns 0, or an error that aborts like fn's. */
    int (*prepare)(void *arg, MDB_txn *txn);
    void (*commit)(void *arg);
    void (*abort)(void *arg);
    void *arg;
} store_hooks_t;
int store_add_hooks(store_t *self, const store_hooks_t *hooks);

/* LMDB's writes with the same arguments and results: every write of the services goes
 * through these (scripts/check-store-writes), so that a store in WAL mode can log it (the
 * key and value as they are put, if the call succeeds). MDB_RESERVE: fill the space
 * before the next write, as lmdb.h asks; the log copies it then (or at the batch's end).
 * Without WAL mode each is the plain LMDB call. In WAL mode store_drop refuses del=1
 * (EINVAL). */
int store_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int store_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int store_cursor_put(MDB_cursor *c, MDB_val *key, MDB_val *data, unsigned flags);
int store_cursor_del(MDB_cursor *c, unsigned flags);
int store_drop(MDB_txn *txn, MDB_dbi dbi, int del);
/* True in WAL mode. */
bool store_wal(store_t *self);
/* WAL mode: commit what the log holds into LMDB now and flush it (before anything that
 * reads data.mdb from outside, e.g. a copy). 0 without WAL mode. */
int store_checkpoint(store_t *self);
/* The loop stall of the checkpoints (commit + meta flush): median of the last 256, max. */
void store_checkpoint_stall(store_t *self, int64_t *p50_ns, int64_t *max_ns);
uint64_t store_checkpoints(store_t *self);   /* checkpoints since store_new */

/* Map size and bytes in use (last page used x page size). */
int store_usage(store_t *self, uint64_t *map_size, uint64_t *used);
/* Clear stale reader slots now; *dead gets their number. */
int store_reader_check(store_t *self, int *dead);
/* Stale reader slots that store_new cleared when it opened the environment. */
int store_stale_cleared(store_t *self);
/* Storage failures (a write attempt the disk refused: no space, quota, I/O, the map at its
 * limit). After one, store_write backs off: for 100 ms doubling to 5 s it returns the same
 * error at once without trying; the first commit that succeeds clears the state. After
 * "no space left" nothing is tried until the volume has 1 MiB free (a write fitting in
 * LMDB's free pages would clear it while the disk is still full). */
typedef enum {
    STORE_REASON_NO_SPACE = 0, STORE_REASON_QUOTA, STORE_REASON_MAP_LIMIT, STORE_REASON_IO,
    STORE_REASON_OTHER, STORE_NREASONS
} store_reason_t;
const char *store_reason_name(store_reason_t r);     /* "no_space", ... (metric labels) */
/* True while writes fail; *err (may be NULL) gets the negative errno. */
bool store_failing(store_t *self, int *err);
uint32_t store_retry_in_ms(store_t *self);           /* 0 when not failing */
/* While failing and the backoff has passed: one small real write, so that a service that
 * gets no writes (not ready, so no traffic) still finds out the disk is back. Call it from
 * a timer (the server's heartbeat does). */
void store_probe(store_t *self);
void store_failures(store_t *self, uint64_t out[STORE_NREASONS]);  /* failed attempts */
uint64_t store_commits(store_t *self);   /* committed write transactions */
uint64_t store_grows(store_t *self);     /* map growths */

/* Big-endian fixed-width keys: memcmp order == numeric order. */
static inline void store_be64(uint8_t *b, uint64_t v)
{ for (int i = 7; i >= 0; i--) { b[i] = (uint8_t)v; v >>= 8; } }
static inline uint64_t store_get_be64(const uint8_t *b)
{ uint64_t v = 0; for (int i = 0; i < 8; i++) v = (v << 8) | b[i]; return v; }
static inline void store_be32(uint8_t *b, uint32_t v)
{ for (int i = 3; i >= 0; i--) { b[i] = (uint8_t)v; v >>= 8; } }
static inline uint32_t store_get_be32(const uint8_t *b)
{ uint32_t v = 0; for (int i = 0; i < 4; i++) v = (v << 8) | b[i]; return v; }
/* Signed values: flip the sign bit so negative sorts before positive. */
static inline void store_be64s(uint8_t *b, int64_t v)
{ store_be64(b, (uint64_t)v ^ (1ull << 63)); }
static inline int64_t store_get_be64s(const uint8_t *b)
{ return (int64_t)(store_get_be64(b) ^ (1ull << 63)); }

#endif
