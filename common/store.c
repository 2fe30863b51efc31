/*  store: the service's LMDB environment (see store.h).
 *
 *  Error convention for store_fn: return 0 to commit or a negative code of mvoi_error.h to
 *  abort with it. A function may also pass up the raw result of an LMDB call it could not
 *  handle (an MDB_* code or a positive system errno): store_write converts it with
 *  mvoi_mdb_error at the boundary, so what leaves this module is always in the one space.
 *  MVOI_E_MAP_FULL (grow the map, rerun fn) and MVOI_E_MAP_RESIZED (adopt the size another
 *  process set, rerun fn) are handled here and never returned.
 */
#include "store.h"
#include "mvoi_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define STORE_MAX_HOOKS 8
#define STORE_MAX_ATTEMPTS 32     /* bound on reruns of one store_write */
#define STORE_DEFAULT_MAP (64ull << 20)
#define STORE_DEFAULT_MAX (64ull << 30)
#define STORE_DEFAULT_DBS 32

typedef struct {
    char *name;
    MDB_dbi dbi;
} s_db_t;

struct store_t {
    MDB_env *env;
    char *path;
    size_t map_max;
    s_db_t *dbs;
    size_t ndbs;
    bool created;
    bool in_write;
    int stale_cleared;
    store_hooks_t hooks[STORE_MAX_HOOKS];
    int nhooks;
    uint64_t commits;
    uint64_t grows;
};

/* Convert a non-zero result (fn's or LMDB's) into the one error space; failures of the
 * store itself (not "not found"/"exists", which are answers) are logged with their name. */
static int s_map_error(store_t *self, const char *what, int rc)
{
    int code = mvoi_mdb_error(rc);
    bool store_failed = code != rc ? code != -ENOENT && code != -EEXIST
                                   : code <= MVOI_E_FIRST;
    if (store_failed)
        fprintf(stderr, "store %s: %s: %s (%s)\n", self ? self->path : "?", what,
                mvoi_strerror(code), mvoi_errname(code));
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
    self->path = strdup(opts->path);
    size_t map_size = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP;
    self->map_max = opts->map_max ? opts->map_max : STORE_DEFAULT_MAX;
    if (self->map_max < map_size)
        self->map_max = map_size;
    unsigned max_dbs = opts->max_dbs ? opts->max_dbs : STORE_DEFAULT_DBS;

    size_t n = 0;
    while (opts->dbs && opts->dbs[n])
        n++;
    if (n > max_dbs) {
        *err = -EINVAL;
        goto fail;
    }
    self->dbs = calloc(n ? n : 1, sizeof *self->dbs);
    if (!self->path || !self->dbs) {
        *err = -ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        self->dbs[i].dbi = (MDB_dbi)-1;
        if (!(self->dbs[i].name = strdup(opts->dbs[i]))) {
            *err = -ENOMEM;
            goto fail;
        }
        self->ndbs++;
    }

    if ((*err = s_mkdir_p(self->path)) != 0) {
        fprintf(stderr, "store %s: mkdir: %s\n", self->path, mvoi_strerror(*err));
        goto fail;
    }

    int rc = mdb_env_create(&self->env);
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
        rc = mdb_env_open(self->env, self->path, opts->nosync ? MDB_NOSYNC : 0, 0600);
    if (rc != 0) {
        *err = s_map_error(self, "open", rc);
        goto fail;
    }
    /* Reader slots of processes that died inside a read transaction pin pages forever. */
    rc = mdb_reader_check(self->env, &self->stale_cleared);
    if (rc != 0) {
        *err = s_map_error(self, "reader_check", rc);
        goto fail;
    }
    if ((*err = store_write(self, s_open_dbs, self)) != 0)
        goto fail;
    self->commits = 0;
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
    if (self->env)
        mdb_env_close(self->env);
    for (size_t i = 0; i < self->ndbs; i++)
        free(self->dbs[i].name);
    free(self->dbs);
    free(self->path);
    free(self);
    *self_p = NULL;
}

MDB_env *store_env(store_t *self) { return self->env; }
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
    if (self->nhooks >= STORE_MAX_HOOKS)
        return -ENOSPC;
    self->hooks[self->nhooks++] = *hooks;
    return 0;
}

static void s_hooks_begin(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].begin)
            self->hooks[i].begin(self->hooks[i].arg);
}

static int s_hooks_prepare(store_t *self, MDB_txn *txn)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].prepare) {
            int rc = self->hooks[i].prepare(self->hooks[i].arg, txn);
            if (rc != 0)
                return rc;
        }
    return 0;
}

static void s_hooks_commit(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].commit)
            self->hooks[i].commit(self->hooks[i].arg);
}

static void s_hooks_abort(store_t *self)
{
    for (int i = 0; i < self->nhooks; i++)
        if (self->hooks[i].abort)
            self->hooks[i].abort(self->hooks[i].arg);
}

/* Double the map, up to map_max. Only called with no transaction active in this process. */
static int s_grow(store_t *self)
{
    MDB_envinfo info;
    int rc = mdb_env_info(self->env, &info);
    if (rc != 0)
        return s_map_error(self, "env_info", rc);
    size_t cur = info.me_mapsize;
    if (cur >= self->map_max) {
        fprintf(stderr, "store %s: map full at its limit of %zu bytes\n", self->path,
                self->map_max);
        return -ENOSPC;
    }
    size_t next = cur > self->map_max / 2 ? self->map_max : cur * 2;
    rc = mdb_env_set_mapsize(self->env, next);
    if (rc != 0)
        return s_map_error(self, "set_mapsize", rc);
    self->grows++;
    return 0;
}

int store_write(store_t *self, store_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    if (self->in_write)
        return -EDEADLK;   /* nested store_write would self-deadlock on the writer lock */
    self->in_write = true;
    int result = -EIO;
    for (int attempt = 0; attempt < STORE_MAX_ATTEMPTS; attempt++) {
        MDB_txn *txn = NULL;
        s_hooks_begin(self);
        /* rc stays raw until s_map_error, which logs what LMDB itself reported. */
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
        if (rc == 0) {
            rc = fn(txn, arg);
            if (rc == 0)
                rc = s_hooks_prepare(self, txn);
            if (rc == 0)
                rc = mdb_txn_commit(txn);   /* frees txn, also on failure */
            else
                mdb_txn_abort(txn);
            if (rc == 0) {
                self->commits++;
                s_hooks_commit(self);
                result = 0;
                goto done;
            }
        }
        s_hooks_abort(self);
        int code = mvoi_mdb_error(rc);
        if (code == MVOI_E_MAP_FULL) {
            if ((result = s_grow(self)) != 0)
                goto done;
            continue;
        }
        if (code == MVOI_E_MAP_RESIZED) {
            /* Another process grew the map: adopt its size. */
            int r2 = mdb_env_set_mapsize(self->env, 0);
            if (r2 != 0) {
                result = s_map_error(self, "set_mapsize(0)", r2);
                goto done;
            }
            continue;
        }
        result = s_map_error(self, "write", rc);
        goto done;
    }
    fprintf(stderr, "store %s: write: gave up after %d attempts\n", self->path,
            STORE_MAX_ATTEMPTS);
    result = -EIO;
done:
    self->in_write = false;
    return result;
}

int store_read(store_t *self, store_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
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
            return s_map_error(self, "read begin", rc);
        rc = fn(txn, arg);
        mdb_txn_abort(txn);
        return rc == 0 ? 0 : s_map_error(self, "read", rc);
    }
    return s_map_error(self, "read begin", MDB_MAP_RESIZED);
}

int store_usage(store_t *self, uint64_t *map_size, uint64_t *used)
{
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(self->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(self->env, &st);
    if (rc != 0)
        return s_map_error(self, "usage", rc);
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
    return rc == 0 ? 0 : s_map_error(self, "reader_check", rc);
}
