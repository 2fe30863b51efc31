/* Unit tests for what the WAL records of a batch (common/store_cap.c): the operations in
 * the order they succeeded, each value as it was put (a reserved one as it was filled),
 * nothing of a refused operation or of a failed batch.
 *
 * A child process runs the batches on a store in WAL mode that never checkpoints and
 * _exits without closing it (a process crash), so the state the parent opens is data.mdb
 * as the open left it (empty dbs) plus the replay of the log. The expected end state and
 * the expected record bytes are written out here by hand, from the record format
 * (store_wal.h, store_cap.c: [u8 op][u16 db][u32 klen][key] and for a put [u32 vlen][value];
 * op 1 put, 2 del, 3 drop; db = the index in opts.dbs). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { "a", "b", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "walcap"); }
static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(walcap, .init = s_setup, .fini = s_teardown);

static store_t *s_open(void)
{
    /* Checkpoints only by size (1 MiB, never reached here) or time (an hour): every batch
     * of the child stays in the log alone. */
    store_opts_t o = { .path = s_dir, .dbs = s_dbs, .wal = true, .wal_size = 1 << 20,
                       .wal_checkpoint_bytes = 1 << 20, .wal_checkpoint_ms = 3600000 };
    int err = 0;
    store_t *s = store_new(&o, &err);
    cr_assert_not_null(s, "store_new: %d", err);
    return s;
}

/* ---- the batches: every case of the issue in one batch (2), a failing one (3) ---- */

typedef struct {
    store_t *s;
    int n;
    int bad;        /* the first unexpected result, as a line number; 0 = as expected */
} b_t;

#define EXPECT(call, want)                                  \
    do {                                                    \
        if ((call) != (want) && !b->bad)                    \
            b->bad = __LINE__;                              \
    } while (0)

static MDB_val s_k(uint8_t *kb, uint32_t n)
{
    store_be32(kb, n);
    return (MDB_val){ 4, kb };
}

static int s_put(b_t *b, MDB_txn *txn, const char *db, uint32_t key, const char *val,
                 unsigned flags)
{
    uint8_t kb[4];
    MDB_val k = s_k(kb, key), v = { strlen(val), (void *)val };
    return store_put(txn, store_dbi(b->s, db), &k, &v, flags);
}

/* Reserve strlen(val) bytes, fill them after the put. */
static int s_reserve(b_t *b, MDB_txn *txn, uint32_t key, const char *val)
{
    uint8_t kb[4];
    MDB_val k = s_k(kb, key), v = { strlen(val), NULL };
    int rc = store_put(txn, store_dbi(b->s, "a"), &k, &v, MDB_RESERVE);
    if (rc == 0)
        memcpy(v.mv_data, val, v.mv_size);
    return rc;
}

static int s_del(b_t *b, MDB_txn *txn, uint32_t key)
{
    uint8_t kb[4];
    MDB_val k = s_k(kb, key);
    return store_del(txn, store_dbi(b->s, "a"), &k, NULL);
}

/* Replace key 10's value through a cursor standing on it (MDB_CURRENT). */
static int s_current(b_t *b, MDB_txn *txn, const char *val)
{
    uint8_t kb[4];
    MDB_val k = s_k(kb, 10), d;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, store_dbi(b->s, "a"), &c);
    if (rc != 0)
        return rc;
    if ((rc = mdb_cursor_get(c, &k, &d, MDB_SET)) == 0) {
        MDB_val v = { strlen(val), (void *)val };
        rc = store_cursor_put(c, &k, &v, MDB_CURRENT);
    }
    mdb_cursor_close(c);
    return rc;
}

static int s_batch(MDB_txn *txn, void *arg)
{
    b_t *b = arg;
    if (b->n == 1) {
        EXPECT(s_put(b, txn, "a", 3, "old", 0), 0);
        EXPECT(s_put(b, txn, "a", 8, "keep", 0), 0);
        EXPECT(s_put(b, txn, "a", 10, "ten", 0), 0);
        EXPECT(s_put(b, txn, "b", 20, "z", 0), 0);
        return 0;
    }
    if (b->n == 2) {
        EXPECT(s_put(b, txn, "a", 1, "one", 0), 0);           /* one key put twice */
        EXPECT(s_put(b, txn, "a", 1, "two", 0), 0);
        EXPECT(s_put(b, txn, "a", 2, "x", 0), 0);             /* put, then deleted */
        EXPECT(s_del(b, txn, 2), 0);
        EXPECT(s_del(b, txn, 3), 0);                          /* deleted, then put */
        EXPECT(s_put(b, txn, "a", 3, "new", 0), 0);
        EXPECT(s_put(b, txn, "a", 8, "lost", MDB_NOOVERWRITE), MDB_KEYEXIST);
        EXPECT(s_del(b, txn, 99), MDB_NOTFOUND);              /* nothing to delete */
        EXPECT(s_reserve(b, txn, 4, "res-A"), 0);             /* filled, then a write */
        EXPECT(s_put(b, txn, "a", 5, "plain", 0), 0);
        EXPECT(s_reserve(b, txn, 7, "r"), 0);                 /* reserved, then put */
        EXPECT(s_put(b, txn, "a", 7, "p7", 0), 0);
        EXPECT(s_put(b, txn, "b", 15, "early", MDB_APPEND), MDB_KEYEXIST);   /* 15 < 20 */
        EXPECT(s_put(b, txn, "b", 30, "end", MDB_APPEND), 0);
        EXPECT(s_current(b, txn, "TEN!"), 0);
        EXPECT(s_put(b, txn, "a", 6, "p", 0), 0);             /* put, then reserved last */
        EXPECT(s_reserve(b, txn, 6, "r-last"), 0);
        return 0;
    }
    if (b->n == 3) {                                          /* fails after writing */
        EXPECT(s_put(b, txn, "a", 1, "bad", 0), 0);
        EXPECT(s_del(b, txn, 3), 0);
        EXPECT(s_reserve(b, txn, 11, "gone"), 0);
        return -EINVAL;
    }
    EXPECT(s_put(b, txn, "a", 9, "nine", 0), 0);              /* after the failed one */
    return 0;
}

static void s_child(void)
{
    store_t *s = s_open();
    for (int n = 1; n <= 4; n++) {
        b_t b = { s, n, 0 };
        int rc = store_write(s, s_batch, &b);
        if (b.bad) {
            fprintf(stderr, "batch %d: unexpected result at line %d\n", n, b.bad);
            _exit(2);
        }
        if (rc != (n == 3 ? -EINVAL : 0)) {
            fprintf(stderr, "batch %d: store_write %d\n", n, rc);
            _exit(3);
        }
    }
    _exit(0);   /* no store_destroy: nothing checkpointed, the log holds it all */
}

/* ---- what the parent checks ---- */

static int s_dump_fn(MDB_txn *txn, void *arg)
{
    void **a = arg;
    store_t *s = a[0];
    FILE *f = a[1];
    for (int i = 0; s_dbs[i]; i++) {
        MDB_cursor *c;
        MDB_val k, v;
        int rc = mdb_cursor_open(txn, store_dbi(s, s_dbs[i]), &c);
        if (rc != 0)
            return rc;
        fprintf(f, "%s[%s]", i ? " " : "", s_dbs[i]);
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            fprintf(f, " %u=%.*s", store_get_be32(k.mv_data), (int)v.mv_size,
                    (const char *)v.mv_data);
        mdb_cursor_close(c);
    }
    return 0;
}

static char *s_dump(store_t *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    void *a[2] = { s, f };
    cr_assert_eq(store_read(s, s_dump_fn, a), 0);
    fclose(f);
    return buf;
}

/* The record as this test expects it, built from the format alone. */
typedef struct {
    uint8_t b[512];
    size_t len;
} exp_t;

static void s_op(exp_t *e, int op, int db, uint32_t key, const char *val)
{
    uint8_t *p = e->b + e->len;
    p[0] = (uint8_t)op;
    p[1] = 0;
    p[2] = (uint8_t)db;
    store_be32(p + 3, 4);
    store_be32(p + 7, key);
    e->len += 11;
    if (op == 1) {
        store_be32(p + 11, (uint32_t)strlen(val));
        memcpy(p + 15, val, strlen(val));
        e->len += 4 + strlen(val);
    }
}

/* The log's records in order (store_wal.h: after the 4 KiB header block, each a 32-byte
 * header [u32 magic "MVWL"][u32 len][u64 lsn]... and len bytes, padded to 32). */
static size_t s_records(const uint8_t *m, size_t size, uint64_t *off, uint64_t *len,
                        size_t cap)
{
    size_t n = 0;
    for (uint64_t at = 4096; n < cap && at + 32 <= size
         && store_get_be32(m + at) == 0x4D56574Cu; n++) {
        off[n] = at + 32;
        len[n] = store_get_be32(m + at + 4);
        at += (32 + len[n] + 31) / 32 * 32;
    }
    return n;
}

static uint8_t *s_log(size_t *len)
{
    char p[128];
    snprintf(p, sizeof p, "%s/wal.mvoi", s_dir);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    uint8_t *m = malloc(1 << 20);
    *len = fread(m, 1, 1 << 20, f);
    fclose(f);
    return m;
}

Test(walcap, a_batch_replays_to_its_end_state_and_logs_what_succeeded)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        s_child();
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);

    /* Three records: batches 1, 2 and 4; the failed batch 3 left none. */
    size_t size;
    uint8_t *m = s_log(&size);
    uint64_t off[8], len[8];
    cr_assert_eq(s_records(m, size, off, len, 8), 3);
    exp_t e = { .len = 0 };
    s_op(&e, 1, 0, 1, "one");
    s_op(&e, 1, 0, 1, "two");
    s_op(&e, 1, 0, 2, "x");
    s_op(&e, 2, 0, 2, NULL);
    s_op(&e, 2, 0, 3, NULL);
    s_op(&e, 1, 0, 3, "new");
    s_op(&e, 1, 0, 4, "res-A");
    s_op(&e, 1, 0, 5, "plain");
    s_op(&e, 1, 0, 7, "r");
    s_op(&e, 1, 0, 7, "p7");
    s_op(&e, 1, 1, 30, "end");
    s_op(&e, 1, 0, 10, "TEN!");
    s_op(&e, 1, 0, 6, "p");
    s_op(&e, 1, 0, 6, "r-last");
    cr_assert_eq(len[1], e.len, "batch 2's record: %llu bytes, expected %zu",
                 (unsigned long long)len[1], e.len);
    cr_assert(memcmp(m + off[1], e.b, e.len) == 0, "batch 2's record differs");
    exp_t e4 = { .len = 0 };
    s_op(&e4, 1, 0, 9, "nine");
    cr_assert_eq(len[2], e4.len);
    cr_assert(memcmp(m + off[2], e4.b, e4.len) == 0, "batch 4's record differs");
    free(m);

    /* The replay gives every batch's end state. */
    store_t *s = s_open();
    cr_assert_eq(store_last_txn(s), 3, "three records replayed");
    char *got = s_dump(s);
    cr_assert_str_eq(got, "[a] 1=two 3=new 4=res-A 5=plain 6=r-last 7=p7 8=keep 9=nine "
                          "10=TEN! [b] 20=z 30=end");
    free(got);
    store_destroy(&s);
    s = s_open();   /* and again, after the clean stop's checkpoint */
    got = s_dump(s);
    cr_assert_str_eq(got, "[a] 1=two 3=new 4=res-A 5=plain 6=r-last 7=p7 8=keep 9=nine "
                          "10=TEN! [b] 20=z 30=end");
    free(got);
    store_destroy(&s);
}
