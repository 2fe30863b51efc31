/*  store: the service's LMDB environment (see store.h).
 *
 *  Error convention for store_fn: return 0 to commit or a negative code of mvoi_error.h to
 *  abort with it. A function may also pass up the raw result of an LMDB call it could not
 *  handle (an MDB_* code or a positive system errno): store_write converts it with
 *  mvoi_mdb_error at the boundary, so what leaves this module is always in the one space.
 *  A full map (grow the map, rerun fn) and a map another process resized (adopt its size,
 *  rerun fn) are handled here and never returned.
 */
#include "store_int.h"
#include "store_pace.h"
#include "mvoi_error.h"
#include "store_guard.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#define STORE_MAX_ATTEMPTS 32     /* bound on reruns of one store_write */
#define STORE_DEFAULT_MAP (64ull << 20)
#define STORE_DEFAULT_MAX (64ull << 30)
#define STORE_DEFAULT_DBS 32
#define STORE_BACKOFF_FIRST_MS 100
#define STORE_BACKOFF_MAX_MS 5000
/* After "no space left", writes wait for this much free space before they are tried. */
#define STORE_RECOVER_MIN_FREE (1ull << 20)

static uint64_t s_last_txnid(store_t *self);
static void s_txn_init(store_t *self, const store_opts_t *opts);

static bool s_is_mdb_code(int rc)
{
    return rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE;
}

/* Convert a non-zero result (fn's or LMDB's) into the one error space; failures of the
 * store itself (not "not found"/"exists", which are answers) are logged with their name. */
int store__map_error(store_t *self, const char *what, int rc)
{
    int code = mvoi_mdb_error(rc);
    bool store_failed = code != rc ? code != -ENOENT && code != -EEXIST
                                   : code <= MVOI_E_FIRST;
    if (store_failed) {
        const char *kv[] = { "path", self ? self->path : "?", "operation", what,
                             "error", mvoi_errname(code), NULL };
        log_emit(LOG_ERROR, "store_error", kv, "store %s: %s: %s", self ? self->path : "?",
                 what, mvoi_strerror(code));
    }
    return code;
}

static int s_mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                int e = -errno;
                free(p);
                return e;
            }
            if (c == '\0')
                break;
            *s = c;
        }
    }
    struct stat st;
    int rc = stat(p, &st) == 0 ? (S_ISDIR(st.st_mode) ? 0 : -ENOTDIR) : -errno;
    free(p);
    return rc;
}

/* Open every named db in one write transaction; "created" when the main db (which lists
 * the named dbs) was empty before. Run through store_write, so it is re-runnable. */
static int s_open_dbs(MDB_txn *txn, void *arg)
{
    store_t *self = arg;
    MDB_dbi main_dbi;
    MDB_stat st;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    if (rc == 0)
        rc = mdb_stat(txn, main_dbi, &st);
    if (rc != 0)
        return rc;
    self->created = st.ms_entries == 0;
    for (size_t i = 0; i < self->ndbs; i++) {
        rc = mdb_dbi_open(txn, self->dbs[i].name, MDB_CREATE, &self->dbs[i].dbi);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Every named db opened in a read-only transaction that is committed (that keeps the
 * handles); -ENOENT when one is missing (a new store, or a db added by an upgrade). */
static int s_find_dbs(store_t *self)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    for (size_t i = 0; rc == 0 && i < self->ndbs; i++)
        rc = mdb_dbi_open(txn, self->dbs[i].name, 0, &self->dbs[i].dbi);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        return rc == 0 ? 0 : store__map_error(self, "open dbs", rc);
    }
    if (txn)
        mdb_txn_abort(txn);
    for (size_t i = 0; i < self->ndbs; i++)
        self->dbs[i].dbi = (MDB_dbi)-1;
    return store__map_error(self, "open dbs", rc);
}

void store__log_errno(log_level_t level, const char *event, const char *path, int err,
                        const char *fmt, ...)
{
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    const char *kv[] = { "path", path, "error", mvoi_errname(err), NULL };
    log_emit(level, event, kv, "%s", body);
}

/* Read every page of every named db once (cursor walk), before anything writes: LMDB
 * checks each page's number and type as it goes, so a damaged page stops the start here,
 * with the file unchanged, instead of after a start-up write or in the middle of a
 * command. Values are not read: a walk over keys touches every branch and leaf page. */
/* The walk's open cursors (outer: the main db's names; inner: one db's keys), kept where
 * a fault handler's jump can still find them and close them. */
static MDB_cursor *volatile s_walk_cur[2];

/* Walk one db's keys; adds to *entries. */
static int s_walk(MDB_txn *txn, MDB_dbi dbi, uint64_t *entries)
{
    MDB_cursor *c = NULL;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, dbi, &c);
    s_walk_cur[1] = c;
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        rc = mdb_cursor_get(c, &k, &v, (MDB_cursor_op)op);
        *entries += rc == 0;
    }
    s_walk_cur[1] = NULL;
    if (c)
        mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The main db lists the named dbs: walk it, then each one it names. */
static int s_walk_all(MDB_txn *txn, uint64_t *entries, char *where, size_t wlen)
{
    MDB_dbi main_dbi;
    MDB_cursor *c = NULL;
    MDB_val k, v;
    snprintf(where, wlen, "(free pages)");
    int rc = s_walk(txn, 0, entries);   /* dbi 0: LMDB's list of free pages */
    if (rc == 0) {
        snprintf(where, wlen, "(main)");
        rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    }
    if (rc == 0)
        rc = s_walk(txn, main_dbi, entries);
    if (rc == 0)
        rc = mdb_cursor_open(txn, main_dbi, &c);
    s_walk_cur[0] = c;
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        if ((rc = mdb_cursor_get(c, &k, &v, (MDB_cursor_op)op)) != 0)
            break;
        char name[256];
        MDB_dbi dbi;
        snprintf(name, sizeof name, "%.*s", (int)(k.mv_size < 255 ? k.mv_size : 255),
                 (const char *)k.mv_data);
        snprintf(where, wlen, "%s", name);
        int r2 = mdb_dbi_open(txn, name, 0, &dbi);
        if (r2 == MDB_INCOMPATIBLE || r2 == MDB_NOTFOUND)
            continue;   /* a plain key in the main db, not a named db */
        if (r2 == 0)
            r2 = s_walk(txn, dbi, entries);
        if (r2 != 0)
            rc = r2;
    }
    s_walk_cur[0] = NULL;
    if (c)
        mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Read every page of every db once, before anything writes: LMDB checks each page's
 * number and type as a cursor walks, so a damaged page stops the start here, with the
 * file unchanged, instead of after a start-up write or in the middle of a command. */
static sigjmp_buf s_fault_jmp;

static void s_on_fault(int sig)
{
    siglongjmp(s_fault_jmp, sig);
}

static int s_verify(store_t *self)
{
    int64_t t0 = clock_mono_ns();
    MDB_txn *txn = NULL;
    uint64_t entries = 0;
    char where[256] = "(main)";
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    /* A damaged node can send LMDB past the end of the file (SIGBUS) or of the map
     * (SIGSEGV). During this walk, on the loop thread at start, such a fault is caught and
     * named; the process then stops with a log line instead of dying silently. The read
     * transaction is left behind on purpose: LMDB's state is unknown after the jump. */
    struct sigaction sa = { .sa_handler = s_on_fault }, old_bus, old_segv;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old_bus);
    sigaction(SIGSEGV, &sa, &old_segv);
    volatile int fault = sigsetjmp(s_fault_jmp, 1);
    if (rc == 0 && !fault)
        rc = s_walk_all(txn, &entries, where, sizeof where);
    sigaction(SIGBUS, &old_bus, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    if (fault) {
        store__log_errno(LOG_ERROR, "store_refused", self->path, -EUCLEAN, "%s/data.mdb is "
                    "damaged: reading db '%s' faulted (%s); restore the latest backup",
                    self->path, where, fault == SIGBUS ? "SIGBUS" : "SIGSEGV");
        /* Closing cursors and ending a read transaction only frees memory and the reader
         * slot; none of it reads the damaged map, so the environment closes normally. */
        for (int i = 0; i < 2; i++)
            if (s_walk_cur[i]) {
                mdb_cursor_close(s_walk_cur[i]);
                s_walk_cur[i] = NULL;
            }
        if (txn)
            mdb_txn_abort(txn);
        return -EUCLEAN;
    }
    if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        store__log_errno(LOG_ERROR, "store_refused", self->path, -EUCLEAN, "%s/data.mdb is "
                    "damaged: reading db '%s' failed: %s; restore the latest backup",
                    self->path, where, mdb_strerror(rc));
        return -EUCLEAN;
    }
    char n[24], ms[24];
    snprintf(n, sizeof n, "%llu", (unsigned long long)entries);
    snprintf(ms, sizeof ms, "%lld", (long long)((clock_mono_ns() - t0) / 1000000));
    const char *kv[] = { "path", self->path, "entries", n, "duration_ms", ms, NULL };
    log_emit(LOG_INFO, "store_verified", kv, "store %s: every page read (%s entries) in %s "
             "ms", self->path, n, ms);
    return 0;
}

/* The directory lock, then the file checks; both before LMDB maps anything. */
static int s_guard(store_t *self)
{
    char msg[1024] = "";
    bool fresh = false;
    int rc = store_guard_lock(self->path, &self->lock_fd, msg, sizeof msg);
    if (rc == 0 && self->before_open && (rc = self->before_open(self->path,
                                                                 self->before_open_arg)) != 0)
        snprintf(msg, sizeof msg, "store %s: preparing the directory failed: %s", self->path,
                 mvoi_strerror(rc));
    if (rc != 0) {
        store__log_errno(LOG_ERROR, "store_refused", self->path, rc, "%s", msg);
        return rc;
    }
    /* First: the guard checks the snapshot LMDB will open. */
    if ((rc = store__wal_preopen(self)) != 0)
        return rc;   /* logged */
    rc = store_guard_check(self->path, store_guard_init(), &fresh, msg, sizeof msg);
    if (rc != 0) {
        store__log_errno(LOG_ERROR, "store_refused", self->path, rc, "%s", msg);
        return rc;
    }
    if (fresh)
        store__log_errno(LOG_INFO, "store_new", self->path, 0, "creating a new store in %s",
                    self->path);
    return 0;
}

/* The names of opts.dbs, each with no handle yet. */
static int s_copy_dbs(store_t *self, const store_opts_t *opts, unsigned max_dbs)
{
    size_t n = 0;
    while (opts->dbs && opts->dbs[n])
        n++;
    if (n > max_dbs)
        return -EINVAL;
    self->dbs = calloc(n ? n : 1, sizeof *self->dbs);
    if (!self->path || !self->dbs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        self->dbs[i].dbi = (MDB_dbi)-1;
        if (!(self->dbs[i].name = strdup(opts->dbs[i])))
            return -ENOMEM;
        self->ndbs++;
    }
    return 0;
}

store_t *store_new(const store_opts_t *opts, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (!opts || !opts->path || !*opts->path) {
        *err = -EINVAL;
        return NULL;
    }
    store_t *self = calloc(1, sizeof *self);
    if (!self) {
        *err = -ENOMEM;
        return NULL;
    }
    self->lock_fd = -1;
    self->before_open = opts->before_open;
    self->before_open_arg = opts->before_open_arg;
    self->path = strdup(opts->path);
    size_t map_size = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP;
    self->map_max = opts->map_max ? opts->map_max : STORE_DEFAULT_MAX;
    if (self->map_max < map_size)
        self->map_max = map_size;
    unsigned max_dbs = opts->max_dbs ? opts->max_dbs : STORE_DEFAULT_DBS;

    if ((*err = s_copy_dbs(self, opts, max_dbs)) != 0)
        goto fail;

    if ((*err = s_mkdir_p(self->path)) != 0) {
        store__log_errno(LOG_ERROR, "store_refused", self->path, *err, "store %s: mkdir: %s",
                    self->path, mvoi_strerror(*err));
        goto fail;
    }
    if ((*err = s_guard(self)) != 0)
        goto fail;

    int rc = mdb_env_create(&self->env);
    if (rc == 0)
        rc = mdb_env_set_userctx(self->env, self);   /* store_put & co find us by it */
    if (rc == 0)
        rc = mdb_env_set_maxdbs(self->env, max_dbs);
    if (rc == 0)
        rc = mdb_env_set_mapsize(self->env, map_size);
    /* Sync policy (docs/libraries.md#lmdb-sync): durable by default -- LMDB fsyncs data and meta page at
     * every commit, so a committed transaction survives an OS crash. MDB_NOSYNC only when
     * the caller asks (caches, benchmarks): a process crash still loses nothing, an OS crash
     * may lose the last transactions, and integrity relies on the filesystem's write order.
     * Never MDB_WRITEMAP: it drops the write-order hint and exposes the map to stray writes.
     * No MDB_NOTLS: each transaction stays on the loop thread, inside one callback. */
    if (rc == 0)
        rc = mdb_env_open(self->env, self->path,
                          opts->nosync ? MDB_NOSYNC : opts->nometasync ? MDB_NOMETASYNC : 0,
                          0600);
    if (rc != 0) {
        *err = store__map_error(self, "open", rc);
        goto fail;
    }
    /* Reader slots of processes that died inside a read transaction pin pages forever. */
    rc = mdb_reader_check(self->env, &self->stale_cleared);
    if (rc != 0) {
        *err = store__map_error(self, "reader_check", rc);
        goto fail;
    }
    /* Read first: a start that finds every db writes nothing, so a start that fails later
     * (a damaged page found by the service's own reads) leaves the file as it was. */
    if ((*err = s_verify(self)) != 0)
        goto fail;
    *err = s_find_dbs(self);
    if (*err == -ENOENT)
        *err = store_write(self, s_open_dbs, self);
    if (*err != 0)
        goto fail;
    self->commits = 0;
    s_txn_init(self, opts);
    if ((*err = store__wal_open(self, opts)) != 0)
        goto fail;
    if (store_guard_mark(self->path) != 0)   /* a store is here now (store_guard.h) */
        store__log_errno(LOG_WARN, "store_mark_failed", self->path, -EIO, "cannot write %s/%s",
                    self->path, STORE_MARK_FILE);
    return self;

fail:
    store_destroy(&self);
    return NULL;
}

void store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    store__wal_close(self);
    if (self->env)
        mdb_env_close(self->env);
    if (self->lock_fd >= 0)
        close(self->lock_fd);   /* releases the directory lock, after LMDB let go */
    for (size_t i = 0; i < self->ndbs; i++)
        free(self->dbs[i].name);
    free(self->dbs);
    free(self->path);
    free(self);
    *self_p = NULL;
}

MDB_env *store_env(store_t *self) { return self->env; }

int store_flush(store_t *self)
{
    /* mdb_env_sync(force) is one fdatasync(2) on the data file's descriptor (not
     * MDB_WRITEMAP): no LMDB lock or transaction state is read, so a worker thread may
     * call it while the loop thread runs a write transaction. */
    if (self->wal)
        return store__wal_flush(self);
    /* A flush now could report success over pages the failed one lost. A worker's flush
     * that passed this check before the failure is refused when it ends
     * (server_flush.c checks store_sync_failed on the loop). */
    int sync_err = __atomic_load_n(&self->sync_err, __ATOMIC_ACQUIRE);
    if (sync_err)
        return sync_err;
    int rc = mdb_env_sync(self->env, 1);
    return rc == 0 ? 0 : mvoi_mdb_error(rc);
}
unsigned store_flush_lanes(store_t *self) { return self->wal ? STORE_FLUSH_LANES : 1; }

int store_flush_lane(store_t *self, unsigned lane)
{
    if (!self->wal || lane >= STORE_FLUSH_LANES)
        return lane == 0 ? store_flush(self) : -EINVAL;
    return store__wal_flush_lane(self, lane);
}

int store_flush_paced(store_t *self, uint32_t pace_ms)
{
    int fd = -1;
    if (!self->wal && pace_ms && mdb_env_get_fd(self->env, &fd) == 0) {
        int rc = store_pace_writeback(fd, pace_ms, NULL, NULL);
        if (rc != 0)
            return rc;   /* its wait consumed the error: the fdatasync would not see it */
    }
    return store_flush(self);
}
uint64_t store_last_txn(store_t *self) { return self->last_txn; }
uint64_t store_durable_txn(store_t *self) { return self->durable_txn; }
void store_durable_upto(store_t *self, uint64_t txn)
{
    if (store_sync_failed(self))
        return;
    if (txn > self->durable_txn)
        self->durable_txn = txn <= self->last_txn ? txn : self->last_txn;
}
bool store_created(store_t *self) { return self->created; }
uint64_t store_commits(store_t *self) { return self->commits; }
uint64_t store_grows(store_t *self) { return self->grows; }
int store_stale_cleared(store_t *self) { return self->stale_cleared; }

MDB_dbi store_dbi(store_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->ndbs; i++)
        if (strcmp(self->dbs[i].name, name) == 0)
            return self->dbs[i].dbi;
    return (MDB_dbi)-1;
}

int store_add_hooks(store_t *self, const store_hooks_t *hooks)
{
    if (!hooks)
        return -EINVAL;
    if (self->nhooks >= (int)(sizeof self->hooks / sizeof self->hooks[0]))
        return -ENOSPC;
    self->hooks[self->nhooks++] = *hooks;
    return 0;
}

void store__hooks_begin(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].begin)
            self->hooks[i].begin(self->hooks[i].arg);
}

int store__hooks_prepare(store_t *self, MDB_txn *txn)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].prepare) {
            int rc = self->hooks[i].prepare(self->hooks[i].arg, txn);
            if (rc != 0)
                return rc;
        }
    return 0;
}

void store__hooks_commit(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].commit)
            self->hooks[i].commit(self->hooks[i].arg);
}

void store__hooks_abort(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].abort)
            self->hooks[i].abort(self->hooks[i].arg);
}

/* Double the map, up to map_max. Only called with no transaction active in this process. */
int store__grow(store_t *self)
{
    MDB_envinfo info;
    int rc = mdb_env_info(self->env, &info);
    if (rc != 0)
        return store__map_error(self, "env_info", rc);
    size_t cur = info.me_mapsize;
    if (cur >= self->map_max) {
        return -ENOSPC;   /* named by the caller's storage_failing line */
    }
    size_t next = cur > self->map_max / 2 ? self->map_max : cur * 2;
    rc = mdb_env_set_mapsize(self->env, next);
    if (rc != 0)
        return store__map_error(self, "set_mapsize", rc);
    self->grows++;
    return 0;
}

/* The disk refused: an error of the commit (or of beginning the transaction), or a
 * no-space / I/O errno from anywhere. An LMDB code that fn passes up from a get or put is
 * about the data, not the disk, and does not start a backoff. */
static bool s_is_storage_failure(int rc, bool from_disk)
{
    if (rc == ENOSPC || rc == EDQUOT || rc == EIO)
        return true;
    return from_disk && rc != MDB_NOTFOUND && rc != MDB_KEYEXIST
           && (rc > 0 || s_is_mdb_code(rc));
}

/* LMDB turns a short pwrite (the disk filled up in the middle of a page run) into EIO and
 * keeps no errno; the filesystem still knows. A failed write with (almost) no free blocks
 * left is named ENOSPC, so the operator reads "no space left", not "I/O error". */
static int s_name_eio(store_t *self)
{
    struct statvfs vfs;
    if (statvfs(self->path, &vfs) != 0)
        return -EIO;
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    uint64_t floor = 64 * 1024;   /* less than one commit's page run needs */
    return avail < floor ? -ENOSPC : -EIO;
}

static store_reason_t s_reason(int err)
{
    switch (err) {
    case -ENOSPC: return STORE_REASON_NO_SPACE;
    case -EDQUOT: return STORE_REASON_QUOTA;
    case -EIO: return STORE_REASON_IO;
    default: return STORE_REASON_OTHER;
    }
}

const char *store_reason_name(store_reason_t r)
{
    static const char *const names[STORE_NREASONS] = { "no_space", "quota", "map_limit",
                                                       "io", "other" };
    return r < STORE_NREASONS ? names[r] : "other";
}

/* A write attempt failed on the storage: count it, back off (doubling, bounded) and log one
 * line per attempt, so the log rate follows the backoff instead of the request rate. */
int store__failed(store_t *self, int raw, bool at_map_max)
{
    int err = at_map_max ? -ENOSPC : raw > 0 ? -raw : -EIO;
    if (err == -EIO)
        err = s_name_eio(self);
    if (at_map_max) {
        /* One transaction larger than the map may grow to: the disk is fine and smaller
         * writes still fit, so no backoff; counted and named. */
        self->failed[STORE_REASON_MAP_LIMIT]++;
        const char *kv[] = { "path", self->path, "error", "ENOSPC", "reason", "map_limit",
                             NULL };
        log_emit(LOG_ERROR, "storage_map_limit", kv, "store %s: a write needs more than "
                 "the map's limit of %zu bytes; nothing was changed", self->path,
                 self->map_max);
        return err;
    }
    int64_t now = clock_mono_ns() / 1000000;
    if (!self->fail_err) {
        /* A failure soon after a recovery goes on with the backoff it had: on a full disk
         * the probe's small write fits in LMDB's free pages and "recovers", and the next
         * real write fails again; restarting at 100 ms each time, the kpi-aggregator logged
         * two lines a second for as long as the disk stayed full (ops:storage_full). */
        if (now - self->recovered_ms >= 2 * STORE_BACKOFF_MAX_MS)
            self->backoff_ms = 0;
        self->fail_since_ms = now;
    }
    self->backoff_ms = !self->backoff_ms ? STORE_BACKOFF_FIRST_MS
                       : self->backoff_ms >= STORE_BACKOFF_MAX_MS / 2 ? STORE_BACKOFF_MAX_MS
                       : self->backoff_ms * 2;
    self->fail_err = err;
    self->next_try_ms = now + self->backoff_ms;
    store_reason_t r = s_reason(err);
    self->failed[r]++;
    char retry[24], failing[24];
    snprintf(retry, sizeof retry, "%u", self->backoff_ms);
    snprintf(failing, sizeof failing, "%lld", (long long)(now - self->fail_since_ms));
    const char *kv[] = { "path", self->path, "error", mvoi_errname(err),
                         "reason", store_reason_name(r), "retry_in_ms", retry,
                         "failing_for_ms", failing, NULL };
    log_emit(LOG_ERROR, "storage_failing", kv, "store %s: write failed: %s; nothing was "
             "changed, next attempt in %u ms", self->path, mvoi_strerror(err), self->backoff_ms);
    return err;
}

void store__recovered(store_t *self)
{
    int64_t now = clock_mono_ns() / 1000000;
    char failing[24];
    snprintf(failing, sizeof failing, "%lld", (long long)(now - self->fail_since_ms));
    const char *kv[] = { "path", self->path, "error", mvoi_errname(self->fail_err),
                         "failing_for_ms", failing, NULL };
    log_emit(LOG_INFO, "storage_recovered", kv, "store %s: writes succeed again after %s ms",
             self->path, failing);
    self->fail_err = 0;
    self->recovered_ms = now;   /* backoff_ms stays: see store__failed */
}

static uint64_t s_last_txnid(store_t *self)
{
    MDB_envinfo info;
    return mdb_env_info(self->env, &info) == 0 ? (uint64_t)info.me_last_txnid : 0;
}

/* At open: the last transaction; with nometasync, what is durable is unknown until a
 * flush (an earlier run may have left its last meta page unflushed). */
static void s_txn_init(store_t *self, const store_opts_t *opts)
{
    self->nometasync = !opts->nosync && opts->nometasync;
    self->last_txn = s_last_txnid(self);
    self->durable_txn = self->nometasync ? 0 : self->last_txn;
}

/* After a commit of transaction `id`: what is durable now. A transaction that changed
 * nothing commits without writing (the last txnid stays), so it flushed nothing. */
static void s_note_commit(store_t *self, uint64_t id)
{
    uint64_t last = s_last_txnid(self);
    if (last != id)
        return;
    self->last_txn = last;
    uint64_t durable = self->nometasync ? id - 1 : id;   /* NOSYNC: see store_durable_txn */
    if (durable > self->durable_txn)
        self->durable_txn = durable;
}

static int s_attempt(store_t *self, store_fn *fn, void *arg, bool *from_disk)
{
    MDB_txn *txn = NULL;
    store__hooks_begin(self);
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    *from_disk = rc != 0;
    if (rc == 0) {
        rc = fn(txn, arg);
        if (rc == 0)
            rc = store__hooks_prepare(self, txn);
        uint64_t id = (uint64_t)mdb_txn_id(txn);
        if (rc == 0) {
            rc = mdb_txn_commit(txn);   /* frees txn, also on failure */
            *from_disk = rc != 0;
            if (rc > 0 && self->nometasync && !self->sync_err)   /* final (store_int.h) */
                __atomic_store_n(&self->sync_err, -rc, __ATOMIC_RELEASE);
        } else {
            mdb_txn_abort(txn);
        }
        if (rc == 0) {
            self->commits++;
            s_note_commit(self, id);
            store__hooks_commit(self);
            return 0;
        }
    }
    store__hooks_abort(self);
    return rc;
}

/* Whether the disk has room again after "no space left". A write that succeeds is no
 * proof: the probe's, or a small one, fits in LMDB's free pages while the disk is still
 * full, so the store counted as recovered, answered ready and failed again at the next
 * larger write; readiness flapped for as long as the disk stayed full (ops:storage_full,
 * twice in CI). A filesystem that cannot say counts as having room: the write decides. */
static bool s_space_back(store_t *self)
{
    struct statvfs vfs;
    if (self->fail_err != -ENOSPC || statvfs(self->path, &vfs) != 0)
        return true;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize >= STORE_RECOVER_MIN_FREE;
}

int store_write(store_t *self, store_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    if (self->in_write)
        return -EDEADLK;   /* nested store_write would self-deadlock on the writer lock */
    if (self->sync_err)
        return self->sync_err;   /* final: store_sync_failed */
    /* While the storage fails, callers get the error at once until the backoff ends:
     * nothing is attempted, so nothing is logged and no disk is hammered. */
    if (self->fail_err && clock_mono_ns() / 1000000 < self->next_try_ms) {
        self->deferred++;
        return self->fail_err;
    }
    if (self->fail_err && !s_space_back(self))
        return store__failed(self, ENOSPC, false);   /* still full: the backoff goes on */
    self->in_write = true;
    int result = -EIO;
    if (self->wal) {
        result = store__wal_write(self, fn, arg);
        goto done;
    }
    for (int attempt = 0; attempt < STORE_MAX_ATTEMPTS; attempt++) {
        uint64_t txnid = self->fail_err ? s_last_txnid(self) : 0;
        bool from_disk = false;
        int rc = s_attempt(self, fn, arg, &from_disk);
        if (rc == 0) {
            /* Only a commit that wrote proves the storage is back: a transaction that
             * changed nothing commits without touching the disk. */
            if (self->fail_err && s_last_txnid(self) != txnid)
                store__recovered(self);
            result = 0;
            goto done;
        }
        if (rc == MDB_MAP_FULL || rc == MVOI_E_MAP_FULL) {
            if ((result = store__grow(self)) != 0) {
                if (result == -ENOSPC)
                    result = store__failed(self, 0, true);
                goto done;
            }
            continue;
        }
        if (rc == MDB_MAP_RESIZED || rc == MVOI_E_MAP_RESIZED) {
            /* Another process grew the map: adopt its size. */
            int r2 = mdb_env_set_mapsize(self->env, 0);
            if (r2 != 0) {
                result = store__map_error(self, "set_mapsize(0)", r2);
                goto done;
            }
            continue;
        }
        result = s_is_storage_failure(rc, from_disk) ? store__failed(self, rc, false)
                                          : store__map_error(self, "write", rc);
        goto done;
    }
    log_emit(LOG_ERROR, "store_error", NULL, "store %s: write: gave up after %d attempts",
             self->path, STORE_MAX_ATTEMPTS);
    result = -EIO;
done:
    self->in_write = false;
    return result;
}

/* The probe: one small real write (a counter in the main db, which our walk skips as a
 * plain key), so that the commit has pages to write and proves the disk takes them. */
static int s_probe_fn(MDB_txn *txn, void *arg)
{
    store_t *self = arg;
    MDB_dbi main_dbi;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);
    if (rc != 0)
        return rc;
    uint8_t v[8];
    store_be64(v, ++self->probes);
    MDB_val k = { 11, "store.probe" }, d = { sizeof v, v };
    return store_put(txn, main_dbi, &k, &d, 0);
}

void store_probe(store_t *self)
{
    if (self)
        store__wal_tick(self);
    if (self && self->fail_err && store_retry_in_ms(self) == 0)
        store_write(self, s_probe_fn, self);
}

bool store_failing(store_t *self, int *err)
{
    int e = self->fail_err ? self->fail_err : store_sync_failed(self);
    if (err)
        *err = e;
    return e != 0;
}

int store_sync_failed(store_t *self)
{
    if (self->wal)
        return store__wal_sync_failed(self);
    return self->sync_err;
}

void store_failures(store_t *self, uint64_t out[STORE_NREASONS])
{
    memcpy(out, self->failed, sizeof self->failed);
}

uint32_t store_retry_in_ms(store_t *self)
{
    if (!self->fail_err)
        return 0;
    int64_t left = self->next_try_ms - clock_mono_ns() / 1000000;
    return left > 0 ? (uint32_t)left : 0;
}

int store_read(store_t *self, store_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    if (self->wal)
        return store__wal_read(self, fn, arg);
    for (int attempt = 0; attempt < 4; attempt++) {
        MDB_txn *txn = NULL;
        int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
        if (rc == MDB_MAP_RESIZED) {
            if (!self->in_write && mdb_env_set_mapsize(self->env, 0) == 0)
                continue;
        } else if (rc == MDB_READERS_FULL) {
            int dead = 0;
            if (mdb_reader_check(self->env, &dead) == 0 && dead > 0)
                continue;
        }
        if (rc != 0)
            return store__map_error(self, "read begin", rc);
        rc = fn(txn, arg);
        mdb_txn_abort(txn);
        return rc == 0 ? 0 : store__map_error(self, "read", rc);
    }
    return store__map_error(self, "read begin", MDB_MAP_RESIZED);
}

int store_usage(store_t *self, uint64_t *map_size, uint64_t *used)
{
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(self->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(self->env, &st);
    if (rc != 0)
        return store__map_error(self, "usage", rc);
    if (map_size)
        *map_size = info.me_mapsize;
    if (used)
        *used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    return 0;
}

int store_reader_check(store_t *self, int *dead)
{
    int d = 0;
    int rc = mdb_reader_check(self->env, &d);
    if (dead)
        *dead = d;
    return rc == 0 ? 0 : store__map_error(self, "reader_check", rc);
}
