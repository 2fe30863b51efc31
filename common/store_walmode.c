/*  store_walmode: the store's WAL mode (store.h opts.wal, store_int.h, store_wal.h).
 *
 *  Between checkpoints one LMDB write transaction stays open; a store_write runs fn in it
 *  (a failing fn drops it: every record since the checkpoint is re-read from the log file
 *  and re-applied at the next begin, so the batch alone is undone) and appends the batch's
 *  record to the log file (no flush: store_flush does one fdatasync per group, on a worker
 *  thread). The record is what fn did, operation by operation as
 *  LMDB took it, with the values as they were put (store_cap.c builds it while fn runs):
 *  replayed in order it gives the batch's end state, and nothing has to be read back
 *  from LMDB to log it. A checkpoint writes where replay starts (the key
 *  "store.wal" in the main db) and commits the long transaction without a flush
 *  (MDB_NOSYNC: page writes only, on the loop); the store_cpsync thread then flushes
 *  data.mdb and names the checkpoint in the log's header (confirmed). Only then may the
 *  ring reuse the records before it, and only then may the next checkpoint commit. If the
 *  long transaction must be aborted (a full map, a failed log write or checkpoint), a new
 *  one gets every record since the checkpoint re-applied from the log: nothing logged is
 *  lost.
 *
 *  Why not MDB_NOSYNC commits per batch: the kernel may write a meta page before the
 *  pages it points to, and LMDB reuses the pages of a snapshot two transactions old, so an
 *  unsynced snapshot is no base for replay. Here the snapshot before an unconfirmed
 *  checkpoint is that base: its pages are not reused before the checkpoint after the
 *  unconfirmed one commits, which waits for the confirmation; after an OS crash the store
 *  opens it (store_meta.h) and replays the log from its key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "mvoi_error.h"
#include "store_int.h"
#include "store_meta.h"

#define S_KEY "store.wal"
#define S_DEFAULT_SIZE (64ull << 20)
#define S_DEFAULT_CP_BYTES (16ull << 20)
#define S_DEFAULT_CP_MS 1000u
#define S_IDLE_MS 100   /* no batch for this long: checkpoint now (store__wal_tick) */
#define S_ATTEMPTS 8

typedef struct {
    uint64_t next_lsn, off, salt;
    bool clean;          /* written by a graceful stop: no record follows */
} s_key_t;

static int64_t s_now_ms(void) { return clock_mono_ns() / 1000000; }

/* store__failed takes LMDB's convention: a positive errno, or an MDB_* code. */
static int s_raw(int rc) { return rc < 0 && rc > -4096 ? -rc : rc; }

static int s_key_get(store_t *self, MDB_txn *txn, s_key_t *k, bool *found)
{
    MDB_val key = { sizeof S_KEY - 1, S_KEY }, v;
    int rc = mdb_get(txn, self->main_dbi, &key, &v);
    *found = rc == 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size != 25)
        return -EUCLEAN;
    const uint8_t *p = v.mv_data;
    k->next_lsn = store_get_be64(p);
    k->off = store_get_be64(p + 8);
    k->salt = store_get_be64(p + 16);
    k->clean = p[24] != 0;
    return 0;
}

static int s_key_put(store_t *self, MDB_txn *txn, const s_key_t *k)
{
    uint8_t b[25];
    store_be64(b, k->next_lsn);
    store_be64(b + 8, k->off);
    store_be64(b + 16, k->salt);
    b[24] = k->clean;
    MDB_val key = { sizeof S_KEY - 1, S_KEY }, v = { sizeof b, b };
    return mdb_put(txn, self->main_dbi, &key, &v, 0);
}

typedef struct {
    store_t *self;
    MDB_txn *txn;
    uint64_t count, first;
} s_replay_t;

static int s_replay_one(void *arg, uint64_t lsn, const uint8_t *p, size_t len)
{
    s_replay_t *r = arg;
    if (!r->count++)
        r->first = lsn;
    return store__rec_apply(r->self, r->txn, p, len);
}

/* Begin the long transaction if none is open, with every record since the checkpoint
 * re-applied (a full map grows it and starts over). The records are re-read from the log
 * file, where each was written before its batch was acknowledged. They used to be kept in
 * memory as well, up to the checkpoint's 16 MiB (a buffer of 32 after doubling): 23 MB of
 * the impact-calculator's peak memory in a 600,000-measurement run (docs/latency.md,
 * tenth session), for a path that only a dropped transaction takes (a failed batch, a
 * full map). */
static int s_begin(store_t *self)
{
    for (int attempt = 0; !self->txn && attempt < S_ATTEMPTS; attempt++) {
        int rc = mdb_txn_begin(self->env, NULL, 0, &self->txn);
        if (rc != 0) {
            self->txn = NULL;
            return rc;
        }
        s_replay_t r = { self, self->txn, 0, 0 };
        rc = store_wal_reread(self->wal, self->cp_lsn, self->last_txn, self->cp_off,
                              self->salt, s_replay_one, &r);
        if (rc == 0)
            break;
        mdb_txn_abort(self->txn);
        self->txn = NULL;
        if (rc != MDB_MAP_FULL)
            return rc;
        if ((rc = store__grow(self)) != 0)
            return rc;
    }
    return self->txn ? 0 : -EIO;
}

static void s_reset(store_t *self)
{
    if (self->txn)
        mdb_txn_abort(self->txn);
    self->txn = NULL;
}

static void s_note_stall(store_t *self, int64_t ns)
{
    self->cp_ns[self->cp_count % (sizeof self->cp_ns / sizeof self->cp_ns[0])] = ns;
    self->cp_count++;
    if (ns > self->cp_max_ns)
        self->cp_max_ns = ns;
}

/* The committed checkpoint confirmed (by the thread, or here when wait): its records'
 * space is released and the next checkpoint may commit. Not yet and !wait: 0, pending. */
static int s_confirm(store_t *self, bool wait)
{
    if (!self->cp_pending)
        return 0;
    int rc = 0;
    if (store_cpsync_confirmed(self->cps) < self->cp_pending)
        rc = wait ? store_cpsync_now(self->cps, self->cp_pending)
                  : store_cpsync_failed(self->cps);
    if (rc == 0 && store_cpsync_confirmed(self->cps) >= self->cp_pending) {
        store_wal_release(self->wal, self->cp_pending_at);
        self->cp_pending = 0;
    }
    if (rc != 0 && !self->cp_fail_logged) {
        self->cp_fail_logged = true;
        const char *kv[] = { "path", self->path, "error", mvoi_errname(rc), NULL };
        log_emit(LOG_ERROR, "wal_confirm_failed", kv, "store %s: flushing checkpoint %llu "
                 "failed: %s; writes are refused until a restart re-applies the log to the "
                 "checkpoint before it", self->path, (unsigned long long)self->cp_pending,
                 mvoi_strerror(rc));
    }
    return rc;
}

/* A checkpoint that is only due (by size or age, not by the ring's space) is put off while
 * the previous one's flush still runs: taking it now would hold the loop until that flush
 * ended (s_checkpoint confirms the previous one first), tens of milliseconds when the
 * device is slow or the flush paced, which every command arriving meanwhile waits for. At
 * twice the size bound it is taken whatever it costs. */
static bool s_put_off(store_t *self)
{
    return s_confirm(self, false) == 0 && self->cp_pending
           && self->logged < 2 * self->cp_bytes;
}

/* Commit the long transaction with the replay point after the last record. The flush
 * comes after, on the store_cpsync thread (now: here, and every record is then durable
 * in LMDB). The previous checkpoint must be confirmed first (store_meta.h: LMDB may reuse
 * its pages from the commit after this one on). clean: a graceful stop. */
static int s_checkpoint(store_t *self, bool clean, bool now, bool *committed)
{
    int64_t t0 = clock_mono_ns();
    *committed = false;
    int rc = s_confirm(self, true);
    for (int attempt = 0; rc == 0 && attempt < S_ATTEMPTS; attempt++) {
        if ((rc = s_begin(self)) != 0)
            break;
        s_key_t k = { self->last_txn + 1, store_wal_head(self->wal), self->salt, clean };
        uint64_t txnid = mdb_txn_id(self->txn), at = store_wal_appended(self->wal);
        rc = s_key_put(self, self->txn, &k);
        if (rc == 0)
            rc = mdb_txn_commit(self->txn);   /* frees it, also on failure */
        else
            mdb_txn_abort(self->txn);
        self->txn = NULL;
        if (rc == MDB_MAP_FULL) {
            if ((rc = store__grow(self)) != 0)
                break;
            rc = 0;
            continue;
        }
        if (rc != 0)
            break;
        /* Committed: the records are in LMDB; the ring keeps them until confirmed. */
        self->logged = 0;
        self->cp_lsn = k.next_lsn;
        self->cp_off = k.off;
        *committed = true;
        self->cp_pending = txnid;
        self->cp_pending_at = at;
        if (now && (rc = s_confirm(self, true)) == 0)
            self->durable_txn = self->last_txn;
        else if (!now)
            store_cpsync_request(self->cps, txnid);
        if (rc != 0)
            break;
        self->cp_last_ms = s_now_ms();
        s_note_stall(self, clock_mono_ns() - t0);
        return 0;
    }
    if (rc == 0 && !*committed)
        rc = MDB_MAP_FULL;   /* every attempt found the map full */
    if (rc != 0) {
        const char *kv[] = { "path", self->path, "error", mvoi_errname(mvoi_mdb_error(rc)),
                             NULL };
        log_emit(LOG_ERROR, "wal_checkpoint_failed", kv, "store %s: checkpoint failed: %s; "
                 "the log keeps every record since the last one", self->path,
                 mvoi_strerror(mvoi_mdb_error(rc)));
    }
    return rc;
}

bool store_wal(store_t *self) { return self && self->wal; }
uint64_t store_checkpoints(store_t *self) { return self->cp_count; }

int store_checkpoint(store_t *self)
{
    if (!self || !self->wal)
        return 0;
    if (self->in_write)
        return -EDEADLK;
    bool committed;
    int rc = s_checkpoint(self, false, true, &committed);
    return rc == 0 ? 0 : store__failed(self, s_raw(rc), false);
}

/* Append the batch's record; the ring full: checkpoint with the batch in it instead (it
 * is then durable in LMDB and needs no record). */
static int s_log(store_t *self)
{
    /* The record was built in memory (store_cap.c) and is dropped from it here, written
     * or not: written, s_begin re-reads it from the file; not written, its batch fails. */
    size_t mem0 = self->cap_at;
    const uint8_t *rec = self->mem.b + mem0 + 4;
    size_t rec_len = self->mem.len - mem0 - 4;
    int rc = s_confirm(self, false);   /* releases the ring once the thread confirmed */
    if (rc != 0) {
        self->mem.len = mem0;
        return rc;
    }
    if (self->logged == 0)
        self->mem_since_ms = s_now_ms();   /* the oldest record not yet in LMDB */
    uint64_t lsn = self->last_txn + 1;
    rc = store_wal_append(self->wal, lsn, self->durable_txn, self->salt, rec, rec_len);
    if (rc != 0)
        self->mem.len = mem0;
    if (rc == -ENOSPC || rc == -EFBIG) {
        if (self->cp_forced++ == 0) {
            const char *kv[] = { "path", self->path, NULL };
            log_emit(LOG_WARN, "wal_full", kv, "store %s: the log filled before a "
                     "checkpoint; checkpointing at once (logged once, counted)", self->path);
        }
        self->last_txn = lsn;
        bool committed;   /* now: the batch has no record, LMDB alone must hold it */
        if ((rc = s_checkpoint(self, false, true, &committed)) != 0 && !committed) {
            self->last_txn = lsn - 1;
            return rc;
        }
        if (rc != 0)   /* in LMDB, not yet flushed: store_flush flushes data.mdb too */
            store__failed(self, s_raw(rc), false);
        return 0;
    }
    if (rc != 0) {
        const char *kv[] = { "path", self->path, "error", mvoi_errname(rc), NULL };
        log_emit(LOG_ERROR, "wal_write_failed", kv, "store %s: writing %s failed: %s",
                 self->path, STORE_WAL_FILE, mvoi_strerror(rc));
        return rc;
    }
    self->last_txn = lsn;
    self->logged += rec_len;
    self->mem.len = mem0;   /* in the file now: s_begin re-reads it from there */
    return 0;
}

/* One attempt: fn in the long transaction itself, then the record. A failure drops the
 * long transaction (the batch's writes are in it) and the next begin re-applies every
 * record since the checkpoint from the log. Batches fail only on storage errors (a service
 * refuses a bad command before it writes), so that rare cost buys every batch out of a
 * nested transaction: its begin allocates two page lists, and each page the batch touches
 * that the long transaction already holds is copied (and the copy zeroed) into it. */
static int s_attempt(store_t *self, store_fn *fn, void *arg, bool *from_disk)
{
    int rc = s_begin(self);
    *from_disk = rc != 0;
    store__hooks_begin(self);
    if (rc == 0) {
        store__cap_begin(self);
        rc = fn(self->txn, arg);
        if (rc == 0)
            rc = store__hooks_prepare(self, self->txn);
        if (rc == 0 && self->cap_err)
            rc = self->cap_err;
        store__cap_end(self, rc == 0);
        if (rc == 0) {
            rc = s_log(self);
            *from_disk = rc != 0;
        }
        if (rc != 0)
            s_reset(self);
    }
    if (rc == 0) {
        self->commits++;
        store__hooks_commit(self);
        return 0;
    }
    store__hooks_abort(self);
    return rc;
}

int store__wal_write(store_t *self, store_fn *fn, void *arg)
{
    /* A failed flush of the log is final (store_wal.h): nothing more may be acknowledged,
     * so nothing more is taken; a restart re-applies what the device has. */
    int sync_err = store_wal_sync_failed(self->wal);
    if (sync_err)
        return store__failed(self, -sync_err, false);
    /* The preallocated log takes records on a full disk too; LMDB shows the failure at the
     * checkpoint. So while failing, a checkpoint that succeeds is what proves the storage
     * is back; until then nothing more is logged or acknowledged. */
    if (self->fail_err) {
        bool committed;
        int rc = s_checkpoint(self, false, true, &committed);
        if (rc != 0)
            return store__failed(self, s_raw(rc), false);
        store__recovered(self);
    }
    for (int attempt = 0; attempt < S_ATTEMPTS * 4; attempt++) {
        bool from_disk = false;
        int rc = s_attempt(self, fn, arg, &from_disk);
        if (rc == 0) {
            self->write_last_ms = s_now_ms();
            if (self->logged && (self->logged >= self->cp_bytes
                || s_now_ms() - self->mem_since_ms >= (int64_t)self->cp_ms)
                && !s_put_off(self))
            {
                bool committed;
                if ((rc = s_checkpoint(self, false, false, &committed)) != 0)   /* logged */
                    store__failed(self, s_raw(rc), false);
            }
            return 0;
        }
        if (rc == MDB_MAP_FULL || rc == MVOI_E_MAP_FULL) {
            int g = store__grow(self);
            if (g == -ENOSPC)
                return store__failed(self, 0, true);
            if (g != 0)
                return g;
            continue;
        }
        if (rc == -ENOSPC || rc == -EDQUOT || rc == -EIO || from_disk)
            return store__failed(self, s_raw(rc), false);
        return store__map_error(self, "write", rc);
    }
    return -EIO;
}

int store__wal_read(store_t *self, store_fn *fn, void *arg)
{
    int rc = self->in_write ? 0 : s_begin(self);
    if (rc == 0)
        rc = fn(self->txn, arg);
    return rc == 0 ? 0 : store__map_error(self, "read", rc);
}

/* ---- open: recovery, then the log for this incarnation ---- */

static void s_refuse(store_t *self, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_refuse(store_t *self, int err, const char *fmt, ...)
{
    char body[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    store__log_errno(LOG_ERROR, "store_refused", self->path, err, "store %s: %s", self->path,
                     body);
}

/* Replay the log from the key into one transaction and checkpoint it with a new salt
 * (flushed whole: from here on no old record is needed). *next: the next lsn. */
static int s_recover(store_t *self, store_wal_t *w, const s_key_t *key, bool have_key,
                     bool clean, uint64_t *next)
{
    s_replay_t r = { self, NULL, 0, 0 };
    uint64_t bad = 0;
    int rc = MDB_MAP_FULL;
    *next = have_key ? key->next_lsn : 1;
    for (int attempt = 0; rc == MDB_MAP_FULL && attempt < S_ATTEMPTS; attempt++) {
        if ((rc = mdb_txn_begin(self->env, NULL, 0, &r.txn)) != 0)
            return store__map_error(self, "recovery begin", rc);
        r.count = 0;
        if (w && have_key && !key->clean)   /* clean: a graceful stop, no record follows */
            rc = store_wal_replay(w, key->next_lsn, key->off, key->salt, s_replay_one, &r,
                                  next, &bad);
        s_key_t k = { *next, 0, 0, clean };
        if (rc == 0 && getrandom(&k.salt, sizeof k.salt, 0) != (ssize_t)sizeof k.salt)
            rc = -EIO;
        if (rc == 0)
            rc = s_key_put(self, r.txn, &k);
        if (rc == 0)
            rc = mdb_txn_commit(r.txn);
        else
            mdb_txn_abort(r.txn);
        if (rc == MDB_MAP_FULL && (rc = store__grow(self)) == 0)
            rc = MDB_MAP_FULL;   /* again, in the larger map */
        else if (rc == 0 && (rc = mdb_env_sync(self->env, 1)) == 0)
            self->salt = k.salt;
    }
    if (rc == -EUCLEAN && bad) {
        s_refuse(self, rc, "%s is damaged: record %llu is missing or invalid while a later "
                 "one says it was on the device; restore the latest backup", STORE_WAL_FILE,
                 (unsigned long long)bad);
        return rc;
    }
    if (rc == -EUCLEAN) {
        s_refuse(self, rc, "%s: record %llu has a valid checksum but does not parse (an "
                 "unknown db or a short field); restore the latest backup", STORE_WAL_FILE,
                 (unsigned long long)(key->next_lsn + r.count - 1));
        return rc;
    }
    if (rc != 0)
        return rc < 0 ? rc : store__map_error(self, "recovery", rc);
    if (r.count) {
        char n[24], a[24], b[24];
        snprintf(n, sizeof n, "%llu", (unsigned long long)r.count);
        snprintf(a, sizeof a, "%llu", (unsigned long long)r.first);
        snprintf(b, sizeof b, "%llu", (unsigned long long)(*next - 1));
        const char *kv[] = { "path", self->path, "records", n, "first_lsn", a,
                             "last_lsn", b, NULL };
        log_emit(LOG_WARN, "wal_recovered", kv, "store %s: %s records (lsn %s..%s) "
                 "re-applied from %s", self->path, n, a, b, STORE_WAL_FILE);
    }
    return 0;
}

/* Named dbs with duplicates cannot be logged as key and value (one key, many values: a
 * del would need the value it removes, and a put over a key adds one). */
static int s_no_dupsort(store_t *self)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    for (size_t i = 0; rc == 0 && i < self->ndbs; i++) {
        unsigned flags = 0;
        rc = mdb_dbi_flags(txn, self->dbs[i].dbi, &flags);
        if (rc == 0 && (flags & MDB_DUPSORT)) {
            s_refuse(self, -EINVAL, "db '%s' has duplicate keys (MDB_DUPSORT), which the "
                     "write-ahead log cannot record", self->dbs[i].name);
            rc = -EINVAL;
        }
    }
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

static int s_read_key(store_t *self, s_key_t *key, bool *have)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, NULL, 0, &self->main_dbi);
    if (rc == 0)
        rc = s_key_get(self, txn, key, have);
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

/* Before mdb_env_open: an unconfirmed newest snapshot is not opened (store_meta.h). */
int store__wal_preopen(store_t *self)
{
    store_wal_t *w = NULL;
    bool exists = false;
    uint64_t confirmed = 0, newest = 0;
    bool fell_back = false;
    int rc = store_wal_open(self->path, &w, &exists);
    if (rc == 0 && exists)
        rc = store_wal_confirmed(w, &confirmed);
    store_wal_close(&w);
    if (rc == -EUCLEAN || !exists)
        return 0;   /* no header: no checkpoint was ever left unconfirmed by this layout */
    if (rc == 0)
        rc = store_meta_fallback(self->path, confirmed, &newest, &fell_back);
    if (rc == -ENOENT || rc == -EUCLEAN)
        return 0;   /* no data.mdb, or no sane meta pages: the guard names it next */
    if (rc != 0) {
        s_refuse(self, rc, "cannot read data.mdb's meta pages to check its checkpoint "
                 "against %s's: %s", STORE_WAL_FILE, mvoi_strerror(rc));
        return rc;
    }
    if (fell_back) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%llu", (unsigned long long)newest);
        snprintf(b, sizeof b, "%llu", (unsigned long long)confirmed);
        const char *kv[] = { "path", self->path, "unconfirmed", a, "confirmed", b, NULL };
        log_emit(LOG_WARN, "wal_fell_back", kv, "store %s: checkpoint %s was never "
                 "confirmed on the device (an OS crash or power loss?); opening checkpoint "
                 "%s and re-applying the log from there", self->path, a, b);
        self->fell_back_to = confirmed;
    }
    return 0;
}

/* After a fall back, LMDB must have opened that snapshot: a lock region another process
 * still holds (an outside reader) would keep the newer one's id. */
static int s_check_fell_back(store_t *self)
{
    MDB_envinfo info;
    if (!self->fell_back_to || mdb_env_info(self->env, &info) != 0
        || info.me_last_txnid == self->fell_back_to)
        return 0;
    s_refuse(self, -EBUSY, "opened transaction %llu where the log's confirmed checkpoint is "
             "%llu: another process holds data.mdb open (mdb_stat, mdb_dump?); stop it and "
             "start again", (unsigned long long)info.me_last_txnid,
             (unsigned long long)self->fell_back_to);
    return -EBUSY;
}

int store__wal_open(store_t *self, const store_opts_t *opts)
{
    s_key_t key = { 0 };
    bool have = false, exists = false;
    store_wal_t *w = NULL;
    int rc = s_check_fell_back(self);
    if (rc != 0)
        return rc;
    rc = s_read_key(self, &key, &have);
    if (rc == -EUCLEAN)
        s_refuse(self, rc, "its log position (%s) is damaged", S_KEY);
    if (rc == 0 && (rc = store_wal_open(self->path, &w, &exists)) != 0)
        s_refuse(self, rc, "cannot open %s: %s", STORE_WAL_FILE, mvoi_strerror(rc));
    if (rc != 0)
        return rc < 0 ? rc : store__map_error(self, "open log", rc);
    if (!opts->wal && !exists && (!have || key.clean))
        return 0;   /* a plain store */
    if (!exists && have && !key.clean) {
        s_refuse(self, -EUCLEAN, "%s is missing while data.mdb expects records from lsn "
                 "%llu in it; restore it with data.mdb", STORE_WAL_FILE,
                 (unsigned long long)key.next_lsn);
        return -EUCLEAN;
    }
    if (opts->wal && (rc = s_no_dupsort(self)) != 0)
        goto out;
    uint64_t next = 1;
    if ((rc = s_recover(self, w, &key, have, !opts->wal, &next)) != 0)
        goto out;
    if (!opts->wal) {   /* WAL mode switched off: everything is in data.mdb now */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", self->path, STORE_WAL_FILE);
        store_wal_close(&w);
        if (unlink(path) != 0)
            rc = -errno;
        return rc;
    }
    uint64_t size = opts->wal_size ? opts->wal_size : S_DEFAULT_SIZE;
    if ((rc = store_wal_format(self->path, &w, size)) != 0) {
        s_refuse(self, rc, "cannot prepare %s: %s", STORE_WAL_FILE, mvoi_strerror(rc));
        goto out;
    }
    /* The recovery's checkpoint is on the device (s_recover flushed it): confirmed, before
     * a record of this incarnation may overwrite an old one. */
    MDB_envinfo info;
    int fd = -1;
    if ((rc = mdb_env_info(self->env, &info)) == 0)
        rc = mdb_env_get_fd(self->env, &fd);
    if (rc != 0) {
        rc = store__map_error(self, "env_info", rc);
        goto out;
    }
    if ((rc = store_wal_set_confirmed(w, info.me_last_txnid)) == 0)
        rc = store_wal_sync(w);
    if (rc == 0)
        rc = store_cpsync_new(&self->cps, fd, w, info.me_last_txnid,
                              opts->checkpoint_pace_ms);
    if (rc != 0) {
        s_refuse(self, rc, "cannot confirm in %s: %s", STORE_WAL_FILE, mvoi_strerror(rc));
        goto out;
    }
    store_wal_start(w, STORE_WAL_BASE);
    self->wal = w;
    w = NULL;
    self->last_txn = self->durable_txn = next - 1;
    self->cp_lsn = next;
    self->cp_off = STORE_WAL_BASE;
    self->cp_bytes = opts->wal_checkpoint_bytes ? opts->wal_checkpoint_bytes
                                                : S_DEFAULT_CP_BYTES;
    self->cp_ms = opts->wal_checkpoint_ms ? opts->wal_checkpoint_ms : S_DEFAULT_CP_MS;
    self->cp_last_ms = s_now_ms();
    /* Checkpoints commit without a flush; store_cpsync flushes and confirms them. */
    rc = mdb_env_set_flags(self->env, MDB_NOSYNC, 1);
    if (rc != 0)
        rc = store__map_error(self, "set_flags", rc);
out:
    store_wal_close(&w);
    return rc;
}

/* A graceful stop: checkpoint (marked clean) and let the log go. */
void store__wal_close(store_t *self)
{
    if (!self->wal)
        return;
    bool committed;
    if (s_checkpoint(self, true, true, &committed) != 0)
        s_reset(self);   /* the log keeps the records: the next start replays them */
    store_cpsync_destroy(&self->cps);
    if (self->cp_count) {
        int64_t p50, max;
        store_checkpoint_stall(self, &p50, &max);
        char n[24], f[24], a[24], b[24];
        snprintf(n, sizeof n, "%llu", (unsigned long long)self->cp_count);
        snprintf(f, sizeof f, "%llu", (unsigned long long)self->cp_forced);
        snprintf(a, sizeof a, "%.3f", (double)p50 / 1e6);
        snprintf(b, sizeof b, "%.3f", (double)max / 1e6);
        const char *kv[] = { "path", self->path, "checkpoints", n, "forced", f,
                             "stall_p50_ms", a, "stall_max_ms", b, NULL };
        log_emit(LOG_INFO, "wal_checkpoints", kv, "store %s: %s checkpoints (%s forced by a "
                 "full log), loop stall p50 %s ms, max %s ms", self->path, n, f, a, b);
    }
    store_wal_close(&self->wal);
    store__buf_free(&self->mem);
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void store_checkpoint_stall(store_t *self, int64_t *p50_ns, int64_t *max_ns)
{
    size_t cap = sizeof self->cp_ns / sizeof self->cp_ns[0];
    size_t n = self->cp_count < cap ? (size_t)self->cp_count : cap;
    int64_t v[sizeof self->cp_ns / sizeof self->cp_ns[0]];
    memcpy(v, self->cp_ns, n * sizeof *v);
    qsort(v, n, sizeof *v, s_cmp64);
    *p50_ns = n ? v[n / 2] : 0;
    *max_ns = self->cp_max_ns;
}

/* From the heartbeat: a confirmation to take in, the timed checkpoint, and the idle one.
 * A checkpoint holds the loop for its page writes (its flush runs on the store_cpsync
 * thread); taken while writes keep coming, that is what the commands arriving meanwhile
 * wait for. Once no batch came for S_IDLE_MS it hurts nobody, and data.mdb is current
 * again for readers from outside. */
void store__wal_tick(store_t *self)
{
    int64_t now = s_now_ms();
    if (!self->wal || self->in_write || self->fail_err)
        return;   /* while failing, store_probe's write retries the checkpoint */
    int rc = s_confirm(self, false);
    if (rc != 0) {
        store__failed(self, s_raw(rc), false);
        return;
    }
    if (!self->logged || (now - self->mem_since_ms < (int64_t)self->cp_ms
                           && now - self->write_last_ms < S_IDLE_MS))
        return;
    if (s_put_off(self))
        return;   /* the next tick tries again */
    bool committed;
    if ((rc = s_checkpoint(self, false, false, &committed)) != 0)
        store__failed(self, s_raw(rc), false);
}

int store__wal_flush(store_t *self)
{
    return store_wal_sync(self->wal);
}

_Static_assert(1 + STORE_FLUSH_LANES <= STORE_WAL_LANE_CP, "a log lane per flush lane");

int store__wal_flush_lane(store_t *self, unsigned lane)
{
    return store_wal_sync_lane(self->wal, 1 + lane);   /* lane 0 of the log: store_flush */
}

int store__wal_sync_failed(store_t *self)
{
    int e = store_wal_sync_failed(self->wal);
    return e ? e : self->cps ? store_cpsync_failed(self->cps) : 0;
}
