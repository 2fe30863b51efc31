/*  test_store_cpfail: a WAL store whose checkpoint flush fails (store_cpsync.h).
 *
 *  fdatasync of data.mdb is made to fail with EIO from a chosen moment on: this file
 *  defines fdatasync, which the dynamic linker binds for the whole process (the store's
 *  code and liblmdb alike); every other descriptor gets the real call. It defines
 *  sync_file_range the same way, for the paced write-back before that flush
 *  (store_pace.h): its error must fail the checkpoint just the same, since its wait
 *  consumes the error the fdatasync after it would otherwise have reported. What must hold:
 *  the failure is reported as a named error and is final (writes are refused, also after
 *  the device "recovers", because Linux may have dropped the pages a failed flush left),
 *  a graceful stop neither hangs nor crashes, and the next start has every batch that was
 *  acknowledged (written and flushed) before the refusal, and none that was refused.
 */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "unit_tmp.h"

static volatile int s_fail_data;   /* fail fdatasync of any file named data.mdb */
static volatile int s_fail_range;  /* fail sync_file_range of data.mdb */
static volatile int s_failed_calls, s_range_calls;

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (__atomic_load_n(&s_fail_data, __ATOMIC_ACQUIRE) && ut_fd_is(fd, "/data.mdb")) {
        __atomic_add_fetch(&s_failed_calls, 1, __ATOMIC_RELEASE);
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int sync_file_range(int fd, off_t off, off_t n, unsigned int flags)
{
    static int (*real)(int, off_t, off_t, unsigned int);
    if (!real)
        real = (int (*)(int, off_t, off_t, unsigned int))dlsym(RTLD_NEXT, "sync_file_range");
    if (ut_fd_is(fd, "/data.mdb")) {
        __atomic_add_fetch(&s_range_calls, 1, __ATOMIC_RELEASE);
        if (__atomic_load_n(&s_fail_range, __ATOMIC_ACQUIRE)) {
            __atomic_add_fetch(&s_failed_calls, 1, __ATOMIC_RELEASE);
            errno = EIO;
            return -1;
        }
    }
    return real(fd, off, n, flags);
}

static char s_dir[64];
static const char *const s_dbs[] = { "a", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "cpfail"); }
static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(cpfail, .init = s_setup, .fini = s_teardown);

static store_t *s_open_paced(uint32_t pace_ms)
{
    store_opts_t o = { .path = s_dir, .dbs = s_dbs, .wal = true, .wal_size = 1 << 20,
                       .wal_checkpoint_bytes = 1 << 20, .wal_checkpoint_ms = 3600000,
                       .checkpoint_pace_ms = pace_ms };
    int err = 0;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new(%s): %d", s_dir, err);
    return s;
}

typedef struct {
    store_t *s;
    uint32_t i;
} put_t;

static int s_put_fn(MDB_txn *txn, void *arg)
{
    put_t *p = arg;
    char k[16], v[32];
    snprintf(k, sizeof k, "k%05u", p->i);
    int vl = snprintf(v, sizeof v, "value of %u", p->i);
    MDB_val key = { strlen(k), k }, val = { (size_t)vl, v };
    return store_put(txn, store_dbi(p->s, "a"), &key, &val, 0);
}

/* Written and flushed: what a service acknowledges. 0, or the refusal. */
static int s_ack(store_t *s, uint32_t i)
{
    put_t p = { s, i };
    int rc = store_write(s, s_put_fn, &p);
    return rc != 0 ? rc : store_flush(s);
}

typedef struct {
    store_t *s;
    uint32_t n, bad;
} scan_t;

/* Keys must be k00000..k<n-1>, each with its value, and nothing else. */
static int s_scan_fn(MDB_txn *txn, void *arg)
{
    scan_t *sc = arg;
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, store_dbi(sc->s, "a"), &c);
    if (rc != 0)
        return rc;
    uint32_t i = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), i++) {
        char want_k[16], want_v[32];
        snprintf(want_k, sizeof want_k, "k%05u", i);
        snprintf(want_v, sizeof want_v, "value of %u", i);
        if (k.mv_size != strlen(want_k) || memcmp(k.mv_data, want_k, k.mv_size) != 0 ||
            v.mv_size != strlen(want_v) || memcmp(v.mv_data, want_v, v.mv_size) != 0)
            sc->bad++;
    }
    mdb_cursor_close(c);
    sc->n = i;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* fail: s_fail_data (the fdatasync) or s_fail_range (the paced write-back before it). */
static void s_refuses_and_keeps(volatile int *fail, uint32_t pace_ms)
{
    store_t *s = s_open_paced(pace_ms);
    uint32_t acked = 0;
    for (; acked < 30; acked++)
        cr_assert_eq(s_ack(s, acked), 0, "batch %u", acked);
    __atomic_store_n(fail, 1, __ATOMIC_RELEASE);
    /* No batch for 100 ms: the next heartbeat checkpoints, and its flush (on the store's
     * thread) fails. Batches keep coming until the store refuses one. */
    usleep(150 * 1000);
    store_probe(s);
    int rc = 0;
    for (int t = 0; t < 500 && rc == 0; t++) {
        if ((rc = s_ack(s, acked)) == 0)
            acked++;
        else
            break;
        usleep(10 * 1000);
        store_probe(s);
    }
    cr_assert_eq(rc, -EIO, "refused with %d (%s), after %u acknowledged", rc,
                 mvoi_errname(rc), acked);
    cr_assert_gt(__atomic_load_n(&s_failed_calls, __ATOMIC_ACQUIRE), 0);
    /* Final: the device works again, the store still refuses. */
    __atomic_store_n(fail, 0, __ATOMIC_RELEASE);
    usleep(50 * 1000);
    store_probe(s);
    cr_assert_neq(s_ack(s, acked), 0, "a write after a failed confirmation was taken");
    store_destroy(&s);   /* its own checkpoint cannot be confirmed either: no hang */

    s = s_open_paced(pace_ms);   /* the confirmed snapshot and the log: all acknowledged */
    scan_t sc = { s, 0, 0 };
    cr_assert_eq(store_read(s, s_scan_fn, &sc), 0);
    cr_assert_eq(sc.bad, 0, "%u keys with a wrong name or value", sc.bad);
    cr_assert_eq(sc.n, acked, "%u keys after the restart, %u acknowledged", sc.n, acked);
    cr_assert_eq(s_ack(s, acked), 0, "the restarted store takes writes again");
    store_destroy(&s);
}

Test(cpfail, a_failed_checkpoint_flush_refuses_writes_and_loses_nothing_acknowledged)
{
    s_refuses_and_keeps(&s_fail_data, 0);
}

Test(cpfail, the_paced_write_back_fails_the_same_way)
{
    s_refuses_and_keeps(&s_fail_range, 200);
    cr_assert_gt(__atomic_load_n(&s_range_calls, __ATOMIC_ACQUIRE), 0,
                 "the checkpoint's flush was not paced");
}

/* The kpi-aggregator's periodic flush of an unsynced store (store_flush_paced). */
Test(cpfail, a_failed_paced_flush_is_reported)
{
    store_opts_t o = { .path = s_dir, .dbs = s_dbs, .nosync = true };
    int err = 0;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    for (uint32_t i = 0; i < 50; i++) {
        put_t p = { s, i };
        cr_assert_eq(store_write(s, s_put_fn, &p), 0);
    }
    cr_assert_eq(store_flush_paced(s, 100), 0);
    cr_assert_gt(__atomic_load_n(&s_range_calls, __ATOMIC_ACQUIRE), 0);
    put_t p = { s, 50 };
    cr_assert_eq(store_write(s, s_put_fn, &p), 0);
    __atomic_store_n(&s_fail_range, 1, __ATOMIC_RELEASE);
    cr_assert_eq(store_flush_paced(s, 100), -EIO);
    __atomic_store_n(&s_fail_range, 0, __ATOMIC_RELEASE);
    store_destroy(&s);
}
