/*  store_walmode: the store's WAL mode (store.h opts.wal, store_int.h, store_wal.h).
 *
 *  Between checkpoints one LMDB write transaction stays open; a store_write runs fn in a
 *  nested transaction of it (a failing fn rolls back alone), appends the batch's record to
 *  the log file (no flush: store_flush does one fdatasync per group, on a worker thread)
 *  and keeps a copy in memory. A checkpoint writes where replay starts (the key
 *  "store.wal" in the main db), commits the long transaction with MDB_NOMETASYNC (pages
 *  flushed before the meta page: integrity) and flushes the meta page; only then may the
 *  ring reuse the records before it. If the long transaction must be aborted (a full
 *  map, a failed log write or checkpoint), a new one gets every record since the
 *  checkpoint re-applied from memory: nothing logged is lost.
 *
 *  Why not MDB_NOSYNC commits per batch: the kernel may write a meta page before the
 *  pages it points to, and LMDB reuses the pages of a snapshot two transactions old, so an
 *  unsynced snapshot is no base for replay. The long transaction commits only at a
 *  checkpoint, which is flushed whole.
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

#define S_KEY "store.wal"
#define S_DEFAULT_SIZE (64ull << 20)
#define S_DEFAULT_CP_BYTES (8ull << 20)
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

/* Begin the long transaction if none is open, with every record since the checkpoint
 * re-applied (a full map grows it and starts over). */
static int s_begin(store_t *self)
{
    for (int attempt = 0; !self->txn && attempt < S_ATTEMPTS; attempt++) {
        int rc = mdb_txn_begin(self->env, NULL, 0, &self->txn);
        if (rc != 0) {
            self->txn = NULL;
            return rc;
        }
        const uint8_t *p = self->mem.b, *end = self->mem.b + self->mem.len;
        while (rc == 0 && p < end) {
            uint32_t n = store_get_be32(p);
            rc = store__rec_apply(self, self->txn, p + 4, n);
            p += 4 + n;
        }
        if (rc == 0)
            break;
        mdb_txn_abort(self->txn);
        self->txn = NULL;
        if (rc != MDB_MAP_FULL)
            return rc;
        if ((rc = store__grow(self)) != 0)
            return rc;
    }
    self->cur = self->txn;
    return self->txn ? 0 : -EIO;
}

static void s_reset(store_t *self)
{
    if (self->txn)
        mdb_txn_abort(self->txn);
    self->txn = self->cur = NULL;
}

static void s_note_stall(store_t *self, int64_t ns)
{
    self->cp_ns[self->cp_count % (sizeof self->cp_ns / sizeof self->cp_ns[0])] = ns;
    self->cp_count++;
    if (ns > self->cp_max_ns)
        self->cp_max_ns = ns;
}

/* Commit the long transaction with the replay point after the last record, then flush
 * the meta page. clean: a graceful stop (no record may follow). */
static int s_checkpoint(store_t *self, bool clean, bool *committed)
{
    int64_t t0 = clock_mono_ns();
    *committed = false;
    int rc = 0;
    for (int attempt = 0; attempt < S_ATTEMPTS; attempt++) {
        if ((rc = s_begin(self)) != 0)
            break;
        s_key_t k = { self->last_txn + 1, store_wal_head(self->wal), self->salt, clean };
        rc = s_key_put(self, self->txn, &k);
        if (rc == 0)
            rc = mdb_txn_commit(self->txn);   /* frees it, also on failure */
        else
            mdb_txn_abort(self->txn);
        self->txn = self->cur = NULL;
        if (rc == MDB_MAP_FULL) {
            if ((rc = store__grow(self)) != 0)
                break;
            continue;
        }
        if (rc != 0)
            break;
        /* Committed: the records are in LMDB; only the ring waits for the meta flush. */
        self->mem.len = 0;
        *committed = true;
        __atomic_store_n(&self->cp_unsynced, true, __ATOMIC_RELEASE);
        rc = mdb_env_sync(self->env, 1);
        if (rc != 0)
            break;
        __atomic_store_n(&self->cp_unsynced, false, __ATOMIC_RELEASE);
        store_wal_checkpointed(self->wal);
        self->durable_txn = self->last_txn;
        self->cp_last_ms = s_now_ms();
        s_note_stall(self, clock_mono_ns() - t0);
        return 0;
    }
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
    int rc = s_checkpoint(self, false, &committed);
    return rc == 0 ? 0 : store__failed(self, s_raw(rc), false);
}

/* Append the batch's record; the ring full: checkpoint with the batch in it instead (it
 * is then durable in LMDB and needs no record). */
static int s_log(store_t *self)
{
    int rc = store__cap_build(self, self->txn);
    if (rc != 0)
        return rc;
    /* Room in memory first: a record in the file that could not be re-applied would
     * leave the log ahead of what the caller was told. */
    size_t mem0 = self->mem.len;
    uint8_t n[4];
    store_be32(n, (uint32_t)self->rec.len);
    if ((rc = store__buf_add(&self->mem, n, sizeof n)) == 0)
        rc = store__buf_add(&self->mem, self->rec.b, self->rec.len);
    if (rc != 0) {
        self->mem.len = mem0;
        return rc;
    }
    if (mem0 == 0)
        self->mem_since_ms = s_now_ms();   /* the oldest record not yet in LMDB */
    uint64_t lsn = self->last_txn + 1;
    rc = store_wal_append(self->wal, lsn, self->durable_txn, self->salt, self->rec.b,
                          self->rec.len);
    if (rc != 0)
        self->mem.len = mem0;
    if (rc == -ENOSPC || rc == -EFBIG) {
        if (self->cp_forced++ == 0) {
            const char *kv[] = { "path", self->path, NULL };
            log_emit(LOG_WARN, "wal_full", kv, "store %s: the log filled before a "
                     "checkpoint; checkpointing at once (logged once, counted)", self->path);
        }
        self->last_txn = lsn;
        bool committed;
        if ((rc = s_checkpoint(self, false, &committed)) != 0 && !committed) {
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
    return 0;
}

/* One attempt: fn in a nested transaction, then the record. *fatal: the long transaction
 * holds the batch's effects and was aborted (its records are re-applied at next begin). */
static int s_attempt(store_t *self, store_fn *fn, void *arg, bool *from_disk)
{
    MDB_txn *child = NULL;
    int rc = s_begin(self);
    *from_disk = rc != 0;
    store__hooks_begin(self);
    if (rc == 0)
        rc = mdb_txn_begin(self->env, self->txn, 0, &child);
    if (rc == 0) {
        self->cap.len = 0;
        self->cap_err = 0;
        self->cur = child;
        self->capturing = true;
        rc = fn(child, arg);
        if (rc == 0)
            rc = store__hooks_prepare(self, child);
        if (rc == 0 && self->cap_err)
            rc = self->cap_err;
        self->capturing = false;
        self->cur = self->txn;
        if (rc == 0)
            rc = mdb_txn_commit(child);
        else
            mdb_txn_abort(child);
        if (rc == 0) {
            rc = s_log(self);
            *from_disk = rc != 0;
            if (rc != 0)
                s_reset(self);
        }
    }
    if (rc == 0) {
        self->commits++;
        store__hooks_commit(self);
        return 0;
    }
    store__hooks_abort(self);
    if (rc == MDB_MAP_FULL || rc == MVOI_E_MAP_FULL)
        s_reset(self);   /* the map grows only with no transaction open */
    return rc;
}

int store__wal_write(store_t *self, store_fn *fn, void *arg)
{
    /* The preallocated log takes records on a full disk too; LMDB shows the failure at the
     * checkpoint. So while failing, a checkpoint that succeeds is what proves the storage
     * is back; until then nothing more is logged or acknowledged. */
    if (self->fail_err) {
        bool committed;
        int rc = s_checkpoint(self, false, &committed);
        if (rc != 0)
            return store__failed(self, s_raw(rc), false);
        store__recovered(self);
    }
    for (int attempt = 0; attempt < S_ATTEMPTS * 4; attempt++) {
        bool from_disk = false;
        int rc = s_attempt(self, fn, arg, &from_disk);
        if (rc == 0) {
            self->write_last_ms = s_now_ms();
            if (self->mem.len && (self->mem.len >= self->cp_bytes
                || s_now_ms() - self->mem_since_ms >= (int64_t)self->cp_ms))
            {
                bool committed;
                if ((rc = s_checkpoint(self, false, &committed)) != 0)   /* logged: still 0 */
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
        rc = fn(self->cur, arg);
    return rc == 0 ? 0 : store__map_error(self, "read", rc);
}

/* ---- open: recovery, then the log for this incarnation ---- */

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

/* Named dbs with duplicates cannot be logged as final values (one key, many values). */
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

int store__wal_open(store_t *self, const store_opts_t *opts)
{
    s_key_t key = { 0 };
    bool have = false, exists = false;
    store_wal_t *w = NULL;
    int rc = s_read_key(self, &key, &have);
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
    store_wal_start(w, 0);
    self->wal = w;
    w = NULL;
    self->last_txn = self->durable_txn = next - 1;
    self->cp_bytes = opts->wal_checkpoint_bytes ? opts->wal_checkpoint_bytes
                                                : S_DEFAULT_CP_BYTES;
    self->cp_ms = opts->wal_checkpoint_ms ? opts->wal_checkpoint_ms : S_DEFAULT_CP_MS;
    self->cp_last_ms = s_now_ms();
    /* Checkpoints flush the meta page themselves, after the commit's page flush. */
    rc = mdb_env_set_flags(self->env, MDB_NOMETASYNC, 1);
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
    if (s_checkpoint(self, true, &committed) != 0)
        s_reset(self);   /* the log keeps the records: the next start replays them */
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
    store__buf_free(&self->cap);
    store__buf_free(&self->rec);
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

/* From the heartbeat: the timed checkpoint, and the idle one. A checkpoint holds the loop
 * for its page flush; taken while writes keep coming, that stall is what the commands
 * arriving meanwhile wait for (the latency's tail). Once no batch came for S_IDLE_MS the
 * stall hurts nobody, and data.mdb is current again for readers from outside. */
void store__wal_tick(store_t *self)
{
    int64_t now = s_now_ms();
    if (!self->wal || self->in_write || self->fail_err || !self->mem.len
        || (now - self->mem_since_ms < (int64_t)self->cp_ms
            && now - self->write_last_ms < S_IDLE_MS))
        return;   /* while failing, store_probe's write retries the checkpoint */
    bool committed;
    int rc = s_checkpoint(self, false, &committed);
    if (rc != 0)
        store__failed(self, s_raw(rc), false);
}

int store__wal_flush(store_t *self)
{
    int rc = store_wal_sync(self->wal);
    if (rc == 0 && __atomic_load_n(&self->cp_unsynced, __ATOMIC_ACQUIRE))
        rc = mvoi_mdb_error(mdb_env_sync(self->env, 1));
    return rc;
}
