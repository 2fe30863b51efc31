/* Unit tests for common/store_map.c: which stores get a writable map, and that such a map
 * is reserved on the disk whole (at open, after each growth, and not at all when the disk
 * refuses), so that writing a page of it can never meet a full disk as SIGBUS. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { "data", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "storemap"); }
static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(store_map, .init = s_setup, .fini = s_teardown);

static store_t *s_open(store_opts_t o)
{
    o.path = s_dir;
    o.dbs = s_dbs;
    int err = 1;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    return s;
}

static unsigned s_flags(store_t *s)
{
    unsigned f = 0;
    cr_assert_eq(mdb_env_get_flags(store_env(s), &f), 0);
    return f;
}

/* data.mdb's size, and how much of it has blocks on the disk. */
static void s_file(off_t *size, off_t *allocated)
{
    char p[128];
    snprintf(p, sizeof p, "%s/data.mdb", s_dir);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    *size = st.st_size;
    *allocated = (off_t)st.st_blocks * 512;
}

static uint64_t s_map(store_t *s)
{
    uint64_t map = 0;
    cr_assert_eq(store_usage(s, &map, NULL), 0);
    return map;
}

typedef struct {
    store_t *s;
    uint32_t key;
    size_t len;
} put_t;

static int s_put_fn(MDB_txn *txn, void *arg)
{
    put_t *a = arg;
    uint8_t k[4];
    store_be32(k, a->key);
    MDB_val key = { 4, k }, val = { a->len, NULL };
    int rc = store_put(txn, store_dbi(a->s, "data"), &key, &val, MDB_RESERVE);
    if (rc == 0)
        memset(val.mv_data, (int)(a->key & 0xff), a->len);
    return rc;
}

Test(store_map, writable_only_where_the_order_on_the_device_is_not_relied_on)
{
    store_t *s = s_open((store_opts_t){ 0 });   /* durable: LMDB's data-before-meta order */
    cr_assert_eq(s_flags(s) & MDB_WRITEMAP, 0);
    cr_assert_eq(s_map(s), 64ull << 20);
    store_destroy(&s);
    ut_tmpdir_remove(s_dir);
    ut_tmpdir(s_dir, sizeof s_dir, "storemap");

    s = s_open((store_opts_t){ .nometasync = true });
    cr_assert_eq(s_flags(s) & MDB_WRITEMAP, 0);
    store_destroy(&s);
    ut_tmpdir_remove(s_dir);
    ut_tmpdir(s_dir, sizeof s_dir, "storemap");

    s = s_open((store_opts_t){ .nosync = true });   /* derived: rebuilt after an OS crash */
    cr_assert_neq(s_flags(s) & MDB_WRITEMAP, 0);
    cr_assert_eq(s_map(s), 256u << 10);
    off_t size, alloc;
    s_file(&size, &alloc);
    cr_assert_eq(size, 256 << 10, "the file is the map: %lld", (long long)size);
    cr_assert_geq(alloc, size, "reserved whole: %lld of %lld bytes", (long long)alloc,
                  (long long)size);
    store_destroy(&s);
    ut_tmpdir_remove(s_dir);
    ut_tmpdir(s_dir, sizeof s_dir, "storemap");

    s = s_open((store_opts_t){ .wal = true, .wal_size = 1 << 20 });   /* the log's replay */
    cr_assert_neq(s_flags(s) & MDB_WRITEMAP, 0);
    s_file(&size, &alloc);
    cr_assert_geq(alloc, size);
    store_destroy(&s);
}

Test(store_map, a_grown_map_is_reserved_whole_and_keeps_every_record)
{
    store_t *s = s_open((store_opts_t){ .nosync = true });
    for (uint32_t i = 0; i < 24; i++) {   /* 24 x 100 KiB: 256 KiB doubled four times */
        put_t a = { s, i, 100 << 10 };
        cr_assert_eq(store_write(s, s_put_fn, &a), 0, "write %u", i);
    }
    cr_assert_geq(store_grows(s), 4);
    off_t size, alloc;
    s_file(&size, &alloc);
    cr_assert_eq((uint64_t)size, s_map(s));
    cr_assert_eq(s_map(s), 4u << 20, "256 KiB doubled to hold 2.4 MB: %llu",
                 (unsigned long long)s_map(s));
    cr_assert_geq(alloc, size, "reserved whole: %lld of %lld bytes", (long long)alloc,
                  (long long)size);
    store_destroy(&s);
    s = s_open((store_opts_t){ .nosync = true });   /* the file keeps the grown map */
    cr_assert_eq(s_map(s), 4u << 20);
    store_destroy(&s);
}

/* The disk refuses the growth's reservation (here: the file size limit, the same refusal
 * a full disk gives posix_fallocate): the write fails, named, nothing of it is stored, the
 * map and the file stay as they were; with room again the same write goes through. */
Test(store_map, a_refused_reservation_refuses_the_write_and_changes_nothing)
{
    store_t *s = s_open((store_opts_t){ .nosync = true });
    put_t a = { s, 1, 100 << 10 };
    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    uint64_t map = s_map(s);
    off_t size, alloc;
    s_file(&size, &alloc);

    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)size;   /* no byte beyond the file as it is */
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    a = (put_t){ s, 2, 400 << 10 };
    int rc = store_write(s, s_put_fn, &a);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(rc, -EFBIG, "named: %d", rc);
    cr_assert_eq(s_map(s), map);
    off_t size2;
    s_file(&size2, &alloc);
    cr_assert_eq(size2, size, "the file kept its size: %lld against %lld", (long long)size2,
                 (long long)size);

    cr_assert_eq(store_write(s, s_put_fn, &a), 0);
    cr_assert_gt(s_map(s), map);
    store_destroy(&s);
}
