/* Unit tests for common/store.c: map growth, re-runnable writes, hooks, stale readers,
 * big-endian keys, reopen, sync policy. Each test uses its own mkdtemp directory. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { "data", "meta", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "store"); }

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(store, .init = s_setup, .fini = s_teardown);

static store_t *s_open(size_t map_size, size_t map_max, bool nosync)
{
    store_opts_t o = { .path = s_dir, .map_size = map_size, .map_max = map_max,
                       .nosync = nosync, .dbs = s_dbs };
    int err = 1;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    cr_assert_eq(err, 0);
    return s;
}

/* ---- helpers used as store_fn ---- */

typedef struct {
    store_t *s;
    uint32_t key;
    size_t len;
} put_args_t;

static void s_fill(uint8_t *b, size_t len, uint32_t key)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(key * 131u + i * 7u);
}

static int s_put_fn(MDB_txn *txn, void *arg)
{
    put_args_t *a = arg;
    uint8_t k[4];
    store_be32(k, a->key);
    MDB_val key = { 4, k }, val = { a->len, NULL };
    int rc = store_put(txn, store_dbi(a->s, "data"), &key, &val, MDB_RESERVE);
    if (rc != 0)
        return rc;
    s_fill(val.mv_data, a->len, a->key);
    return 0;
}

typedef struct {
    store_t *s;
    uint32_t n;
    size_t len;
    uint32_t bad;
} verify_args_t;

static int s_verify_fn(MDB_txn *txn, void *arg)
{
    verify_args_t *a = arg;
    uint8_t *want = malloc(a->len);
    for (uint32_t i = 0; i < a->n; i++) {
        uint8_t k[4];
        store_be32(k, i);
        MDB_val key = { 4, k }, val;
        int rc = mdb_get(txn, store_dbi(a->s, "data"), &key, &val);
        s_fill(want, a->len, i);
        if (rc != 0 || val.mv_size != a->len || memcmp(val.mv_data, want, a->len) != 0)
            a->bad++;
    }
    free(want);
    return 0;
}

Test(store, grows_from_64k_to_100mb)
{
    store_t *s = s_open(64 << 10, 0, false);
    const size_t len = 1 << 20;
    for (uint32_t i = 0; i < 100; i++) {
        put_args_t a = { s, i, len };
        cr_assert_eq(store_write(s, s_put_fn, &a), 0, "commit %u failed", i);
    }
    cr_assert_gt(store_grows(s), 0);
    cr_assert_eq(store_commits(s), 100);
    uint64_t map, used;
    cr_assert_eq(store_usage(s, &map, &used), 0);
    cr_assert_geq(used, 100ull << 20);
    cr_assert_geq(map, used);
    verify_args_t v = { s, 100, len, 0 };
    cr_assert_eq(store_read(s, s_verify_fn, &v), 0);
    cr_assert_eq(v.bad, 0);
    store_destroy(&s);
    cr_assert_null(s);

    /* The grown map is kept by the file: reopening with the small size still works. */
    s = s_open(64 << 10, 0, false);
    v.s = s;
    v.bad = 0;
    cr_assert_eq(store_read(s, s_verify_fn, &v), 0);
    cr_assert_eq(v.bad, 0);
    store_destroy(&s);
}

Test(store, map_max_gives_enospc)
{
    store_t *s = s_open(64 << 10, 256 << 10, false);
    put_args_t a = { s, 1, 1 << 20 };
    cr_assert_eq(store_write(s, s_put_fn, &a), -ENOSPC);
    cr_assert_eq(store_commits(s), 0);
    /* Still usable for small writes. */
    a.len = 100;
    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    store_destroy(&s);
}

/* ---- rerun on MAP_FULL sees a clean transaction; hooks bracket every attempt ---- */

typedef struct {
    store_t *s;
    int runs;
    int dirty_runs;  /* runs that saw the marker of an earlier attempt */
    int begins, commits, aborts;
} rerun_t;

static void h_begin(void *arg) { ((rerun_t *)arg)->begins++; }
static void h_commit(void *arg) { ((rerun_t *)arg)->commits++; }
static void h_abort(void *arg) { ((rerun_t *)arg)->aborts++; }

static int s_rerun_fn(MDB_txn *txn, void *arg)
{
    rerun_t *r = arg;
    r->runs++;
    MDB_dbi meta = store_dbi(r->s, "meta");
    MDB_val mk = { 6, "marker" }, mv;
    if (mdb_get(txn, meta, &mk, &mv) != MDB_NOTFOUND)
        r->dirty_runs++;
    mv.mv_size = 4;
    mv.mv_data = "here";
    int rc = store_put(txn, meta, &mk, &mv, 0);
    if (rc != 0)
        return rc;
    put_args_t a = { r->s, 7, 2 << 20 };   /* 2 MiB: several MAP_FULLs from 64 KiB */
    return s_put_fn(txn, &a);
}

static int s_check_key_fn(MDB_txn *txn, void *arg)
{
    put_args_t *a = arg;
    uint8_t k[4];
    store_be32(k, a->key);
    MDB_val key = { 4, k }, val;
    int rc = mdb_get(txn, store_dbi(a->s, "data"), &key, &val);
    if (rc != 0)
        return rc;
    uint8_t *want = malloc(a->len);
    s_fill(want, a->len, a->key);
    rc = val.mv_size == a->len && memcmp(val.mv_data, want, a->len) == 0 ? 0 : -EBADMSG;
    free(want);
    return rc;
}

Test(store, rerun_on_map_full_sees_clean_txn)
{
    store_t *s = s_open(64 << 10, 0, false);
    rerun_t r = { .s = s };
    store_hooks_t h = { .begin = h_begin, .commit = h_commit, .abort = h_abort, .arg = &r };
    cr_assert_eq(store_add_hooks(s, &h), 0);
    cr_assert_eq(store_write(s, s_rerun_fn, &r), 0);
    cr_assert_gt(r.runs, 1, "expected MAP_FULL reruns, got %d run(s)", r.runs);
    cr_assert_eq(r.dirty_runs, 0);
    cr_assert_eq(r.begins, r.runs);
    cr_assert_eq(r.aborts, r.runs - 1);
    cr_assert_eq(r.commits, 1);
    cr_assert_eq((int)store_grows(s), r.runs - 1);
    put_args_t a = { s, 7, 2 << 20 };
    cr_assert_eq(store_read(s, s_check_key_fn, &a), 0);
    store_destroy(&s);
}

/* fn converts LMDB's results where they arise (as common/ does): the named full-map code
 * makes store_write grow and rerun exactly like the raw one. */
static int s_rerun_converted_fn(MDB_txn *txn, void *arg)
{
    return mvoi_mdb_error(s_rerun_fn(txn, arg));
}

Test(store, rerun_on_named_map_full)
{
    store_t *s = s_open(64 << 10, 0, false);
    rerun_t r = { .s = s };
    cr_assert_eq(store_write(s, s_rerun_converted_fn, &r), 0);
    cr_assert_gt(r.runs, 1, "expected reruns on MVOI_E_MAP_FULL, got %d run(s)", r.runs);
    cr_assert_eq((int)store_grows(s), r.runs - 1);
    put_args_t a = { s, 7, 2 << 20 };
    cr_assert_eq(store_read(s, s_check_key_fn, &a), 0);
    store_destroy(&s);
}

Test(store, hooks_limit)
{
    store_t *s = s_open(0, 0, false);
    rerun_t r = { 0 };
    store_hooks_t h = { .begin = h_begin, .commit = h_commit, .abort = h_abort, .arg = &r };
    for (int i = 0; i < 8; i++)
        cr_assert_eq(store_add_hooks(s, &h), 0);
    cr_assert_eq(store_add_hooks(s, &h), -ENOSPC);
    store_destroy(&s);
}

/* ---- fn error aborts ---- */

typedef struct {
    store_t *s;
    int ret;
} err_args_t;

static int s_put_then_fail_fn(MDB_txn *txn, void *arg)
{
    err_args_t *a = arg;
    MDB_val k = { 3, "key" }, v = { 5, "value" };
    int rc = store_put(txn, store_dbi(a->s, "data"), &k, &v, 0);
    if (rc != 0)
        return rc;
    return a->ret;
}

static int s_count_fn(MDB_txn *txn, void *arg)
{
    err_args_t *a = arg;
    MDB_stat st;
    int rc = mdb_stat(txn, store_dbi(a->s, "data"), &st);
    if (rc != 0)
        return rc;
    a->ret = (int)st.ms_entries;
    return 0;
}

Test(store, fn_error_aborts_and_writes_nothing)
{
    store_t *s = s_open(0, 0, false);
    rerun_t r = { .s = s };
    store_hooks_t h = { .begin = h_begin, .commit = h_commit, .abort = h_abort, .arg = &r };
    cr_assert_eq(store_add_hooks(s, &h), 0);

    err_args_t a = { s, -EINVAL };
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), -EINVAL);
    cr_assert_eq(r.begins, 1);
    cr_assert_eq(r.aborts, 1);
    cr_assert_eq(r.commits, 0);
    cr_assert_eq(store_commits(s), 0);
    err_args_t c = { s, -1 };
    cr_assert_eq(store_read(s, s_count_fn, &c), 0);
    cr_assert_eq(c.ret, 0);

    /* A raw LMDB code passed up by fn is converted into the one error space, not leaked. */
    a.ret = MDB_CORRUPTED;
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), MVOI_E_CORRUPTED);
    a.ret = MDB_BAD_TXN;
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), MVOI_E_STORE_MISUSE);
    a.ret = MVOI_E_CORRUPTED;   /* already converted: unchanged */
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), MVOI_E_CORRUPTED);
    a.ret = MDB_NOTFOUND;
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), -ENOENT);
    a.ret = EACCES;   /* a positive errno from an LMDB call */
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), -EACCES);
    cr_assert_eq(store_read(s, s_count_fn, &c), 0);
    cr_assert_eq(c.ret, 0);

    a.ret = 0;
    cr_assert_eq(store_write(s, s_put_then_fail_fn, &a), 0);
    cr_assert_eq(store_read(s, s_count_fn, &c), 0);
    cr_assert_eq(c.ret, 1);
    cr_assert_eq(store_commits(s), 1);
    store_destroy(&s);
}

static int s_nested_fn(MDB_txn *txn, void *arg)
{
    err_args_t *a = arg;
    err_args_t inner = { a->s, 0 };
    a->ret = store_write(a->s, s_put_then_fail_fn, &inner);
    return 0;
}

Test(store, nested_write_refused)
{
    store_t *s = s_open(0, 0, false);
    err_args_t a = { s, 0 };
    cr_assert_eq(store_write(s, s_nested_fn, &a), 0);
    cr_assert_eq(a.ret, -EDEADLK);
    store_destroy(&s);
}

/* ---- stale reader left by a killed process ---- */

/* Child: open its own environment (never the parent's: no LMDB env crosses a fork), tell the
 * parent through the pipe, then either hold a read transaction or just hold the env open. */
static void s_child(int wfd, int rfd, bool reader)
{
    MDB_env *env;
    MDB_txn *txn;
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32) || mdb_env_open(env, s_dir, 0, 0600))
        _exit(2);
    if (reader && mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
        _exit(3);
    char c = 'r';
    if (write(wfd, &c, 1) != 1)
        _exit(4);
    if (reader)
        for (;;)
            pause();   /* killed with SIGKILL inside the read transaction */
    /* holder: keep the env open (so the lock file is not reinitialised) until EOF */
    while (read(rfd, &c, 1) > 0)
        ;
    mdb_env_close(env);
    _exit(0);
}

static pid_t s_spawn(bool reader, int *ready_fd, int *ctl_fd)
{
    int ready[2], ctl[2];
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(ctl), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        close(ctl[1]);
        s_child(ready[1], ctl[0], reader);
    }
    close(ready[1]);
    close(ctl[0]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1, "child did not open the env");
    *ready_fd = ready[0];
    *ctl_fd = ctl[1];
    return pid;
}

static int s_count_readers_cb(const char *msg, void *ctx)
{
    const char *pid = ((const char **)ctx)[0];
    int *n = ((int **)ctx)[1];
    char want[32];
    snprintf(want, sizeof want, " %s ", pid);
    /* lines look like "    pid     thread     txnid" */
    char line[256];
    snprintf(line, sizeof line, " %s", msg);
    for (char *p = line; *p; p++)
        if (*p == '\t' || *p == '\n')
            *p = ' ';
    if (strstr(line, want))
        (*n)++;
    return 0;
}

Test(store, stale_reader_cleared_at_open)
{
    /* Create the env first so that both children find it. */
    store_t *s = s_open(0, 0, false);
    store_destroy(&s);

    /* The lock table survives only while some process keeps the env open (the first opener
     * after all have gone reinitialises it), so a live holder keeps it open. */
    int h_ready, h_ctl, r_ready, r_ctl;
    pid_t holder = s_spawn(false, &h_ready, &h_ctl);
    pid_t victim = s_spawn(true, &r_ready, &r_ctl);
    cr_assert_eq(kill(victim, SIGKILL), 0);
    int st;
    cr_assert_eq(waitpid(victim, &st, 0), victim);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    s = s_open(0, 0, false);
    cr_assert_geq(store_stale_cleared(s), 1, "stale reader not cleared at open");

    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)victim);
    int n = 0;
    const void *ctx[2] = { pidbuf, &n };
    cr_assert_geq(mdb_reader_list(store_env(s), s_count_readers_cb, ctx), 0);
    cr_assert_eq(n, 0, "victim's reader slot still listed");
    int dead = -1;
    cr_assert_eq(store_reader_check(s, &dead), 0);
    cr_assert_eq(dead, 0);
    store_destroy(&s);

    close(h_ctl);   /* holder sees EOF and exits */
    cr_assert_eq(waitpid(holder, &st, 0), holder);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(h_ready);
    close(r_ready);
    close(r_ctl);
}

/* ---- big-endian helpers ---- */

static int s_sign(int64_t x) { return (x > 0) - (x < 0); }

Test(store, big_endian_order)
{
    uint64_t u[] = { 0, 1, 255, 256, 65535, 65536, 0xffffffffull, 0x100000000ull,
                     0x0123456789abcdefull, 0x8000000000000000ull, UINT64_MAX };
    int64_t sv[] = { INT64_MIN, INT64_MIN + 1, -65536, -256, -255, -1, 0, 1, 255, 256,
                     65536, INT64_MAX - 1, INT64_MAX };
    size_t nu = sizeof u / sizeof u[0], ns = sizeof sv / sizeof sv[0];
    uint8_t a[8], b[8];
    for (size_t i = 0; i < nu; i++) {
        store_be64(a, u[i]);
        cr_assert_eq(store_get_be64(a), u[i]);
        store_be32(a, (uint32_t)u[i]);
        cr_assert_eq(store_get_be32(a), (uint32_t)u[i]);
        for (size_t j = 0; j < nu; j++) {
            store_be64(a, u[i]);
            store_be64(b, u[j]);
            cr_assert_eq(s_sign(memcmp(a, b, 8)), s_sign(u[i] < u[j] ? -1 : u[i] > u[j]));
            uint32_t x = (uint32_t)u[i], y = (uint32_t)u[j];
            store_be32(a, x);
            store_be32(b, y);
            cr_assert_eq(s_sign(memcmp(a, b, 4)), s_sign(x < y ? -1 : x > y));
        }
    }
    for (size_t i = 0; i < ns; i++) {
        store_be64s(a, sv[i]);
        cr_assert_eq(store_get_be64s(a), sv[i]);
        for (size_t j = 0; j < ns; j++) {
            store_be64s(a, sv[i]);
            store_be64s(b, sv[j]);
            cr_assert_eq(s_sign(memcmp(a, b, 8)), s_sign(sv[i] < sv[j] ? -1 : sv[i] > sv[j]),
                         "%lld vs %lld", (long long)sv[i], (long long)sv[j]);
        }
    }
    /* Pseudo-random pairs. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t p = x;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t q = x >> (i % 64);
        store_be64(a, p);
        store_be64(b, q);
        cr_assert_eq(s_sign(memcmp(a, b, 8)), s_sign(p < q ? -1 : p > q));
        store_be64s(a, (int64_t)p);
        store_be64s(b, (int64_t)q);
        cr_assert_eq(s_sign(memcmp(a, b, 8)),
                     s_sign((int64_t)p < (int64_t)q ? -1 : (int64_t)p > (int64_t)q));
    }
}

/* ---- reopen, created flag, dbi lookup ---- */

Test(store, reopen_keeps_data)
{
    store_t *s = s_open(0, 0, false);
    cr_assert(store_created(s));
    cr_assert_neq(store_dbi(s, "data"), (MDB_dbi)-1);
    cr_assert_neq(store_dbi(s, "meta"), (MDB_dbi)-1);
    cr_assert_eq(store_dbi(s, "nope"), (MDB_dbi)-1);
    for (uint32_t i = 0; i < 10; i++) {
        put_args_t a = { s, i, 1000 };
        cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    }
    store_destroy(&s);

    s = s_open(0, 0, false);
    cr_assert_not(store_created(s));
    verify_args_t v = { s, 10, 1000, 0 };
    cr_assert_eq(store_read(s, s_verify_fn, &v), 0);
    cr_assert_eq(v.bad, 0);
    store_destroy(&s);
}

Test(store, creates_missing_path)
{
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b/c", s_dir);
    store_opts_t o = { .path = sub, .dbs = s_dbs };
    int err = 1;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    cr_assert(store_created(s));
    store_destroy(&s);

    /* A path under a regular file cannot be created. */
    char file[128], bad[160];
    snprintf(file, sizeof file, "%s/file", s_dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/x", file);
    o.path = bad;
    cr_assert_null(store_new(&o, &err));
    cr_assert_lt(err, 0);
}

Test(store, durable_by_default)
{
    store_t *s = s_open(0, 0, false);
    unsigned flags = 0;
    cr_assert_eq(mdb_env_get_flags(store_env(s), &flags), 0);
    cr_assert_eq(flags & MDB_NOSYNC, 0);
    cr_assert_eq(flags & MDB_NOMETASYNC, 0);
    cr_assert_eq(flags & MDB_WRITEMAP, 0);
    cr_assert_eq(flags & MDB_MAPASYNC, 0);
    uint64_t map = 0;
    cr_assert_eq(store_usage(s, &map, NULL), 0);
    cr_assert_eq(map, 64ull << 20);   /* default initial map */
    store_destroy(&s);

    s = s_open(0, 0, true);
    cr_assert_eq(mdb_env_get_flags(store_env(s), &flags), 0);
    cr_assert_neq(flags & MDB_NOSYNC, 0);
    cr_assert_eq(flags & MDB_WRITEMAP, 0);
    store_destroy(&s);
}

static int s_nothing_fn(MDB_txn *txn, void *arg)
{
    (void)txn;
    (void)arg;
    return 0;
}

/* nometasync: a commit that wrote flushed the file before writing its own meta page, so
 * every earlier commit is durable once it returns, its own only after the next such commit
 * or a store_flush. A transaction that wrote nothing flushed nothing. Without nometasync a
 * commit is durable when it returns. */
Test(store, nometasync_a_commit_makes_the_earlier_ones_durable)
{
    store_opts_t o = { .path = s_dir, .nometasync = true, .dbs = s_dbs };
    int err = 1;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    uint64_t t0 = store_last_txn(s);
    cr_assert_gt(t0, 0, "creating the dbs was a commit");
    cr_assert_eq(store_durable_txn(s), 0, "nothing is known flushed before a flush");
    cr_assert_eq(store_flush(s), 0);
    store_durable_upto(s, t0);
    put_args_t a = { s, 1, 100 };
    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    cr_assert_eq(store_last_txn(s), t0 + 1);
    cr_assert_eq(store_durable_txn(s), t0, "a commit is durable only by a later flush");
    a.key = 2;
    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    cr_assert_eq(store_last_txn(s), t0 + 2);
    cr_assert_eq(store_durable_txn(s), t0 + 1, "the second commit's flush took the first");
    cr_assert_eq(store_write(s, s_nothing_fn, NULL), 0);
    cr_assert_eq(store_last_txn(s), t0 + 2, "a transaction that wrote nothing");
    cr_assert_eq(store_durable_txn(s), t0 + 1, "flushed nothing");
    cr_assert_eq(store_flush(s), 0);
    store_durable_upto(s, t0 + 9);
    cr_assert_eq(store_durable_txn(s), t0 + 2, "never beyond the last commit");
    store_destroy(&s);

    o.nometasync = false;
    s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    uint64_t t1 = store_last_txn(s);
    cr_assert_eq(t1, t0 + 2, "the txnid survives a reopen");
    a.s = s;
    a.key = 3;
    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    cr_assert_eq(store_durable_txn(s), t1 + 1, "a synchronous commit is durable at once");
    store_destroy(&s);
}
