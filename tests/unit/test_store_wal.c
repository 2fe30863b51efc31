/* Unit tests for the store's WAL mode (common/store_walmode.c, store_wal.c, store_cap.c).
 *
 * The reference is the same batches run on a store without the log (plain LMDB commits),
 * so every expected state comes from LMDB itself, not from the code under test. Crashes
 * are real: a child process runs the batches and _exits without closing the store (a
 * process crash: what it wrote is in the page cache), or the parent then swaps data.mdb
 * for a copy taken at a checkpoint (an OS crash that lost everything LMDB did not flush). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "store.h"
#include "store_meta.h"
#include "unit_tmp.h"
#include "vecstate.h"

static char s_dir[64], s_ref[64];
static const char *const s_dbs[] = { "a", "b", NULL };

static void s_setup(void)
{
    ut_tmpdir(s_dir, sizeof s_dir, "wal");
    ut_tmpdir(s_ref, sizeof s_ref, "walref");
}

static void s_teardown(void)
{
    ut_tmpdir_remove(s_dir);
    ut_tmpdir_remove(s_ref);
}

TestSuite(wal, .init = s_setup, .fini = s_teardown);

typedef struct {
    uint64_t size, cp_bytes;
    uint32_t cp_ms;
    size_t map;
} wopts_t;

static store_t *s_open_at(const char *dir, bool wal, const wopts_t *w, int *err)
{
    store_opts_t o = { .path = dir, .dbs = s_dbs, .wal = wal,
                       .map_size = w && w->map ? w->map : 0,
                       .wal_size = w ? w->size : 0,
                       .wal_checkpoint_bytes = w ? w->cp_bytes : 0,
                       .wal_checkpoint_ms = w ? w->cp_ms : 0 };
    return store_new(&o, err);
}

static store_t *s_open(const char *dir, bool wal, const wopts_t *w)
{
    int err = 0;
    store_t *s = s_open_at(dir, wal, w, &err);
    cr_assert_not_null(s, "store_new(%s): %d", dir, err);
    return s;
}

/* ---- deterministic batches: puts (reserved or in hand, refused or not, through a cursor),
 * dels, cursor dels, drops, failures ---- */

typedef struct {
    store_t *s;
    uint32_t seed;
    bool fail;     /* this batch fails after writing */
} batch_t;

static uint32_t s_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* A value in hand: put plainly, refused if present (MDB_NOOVERWRITE), or through a cursor
 * replacing the item it stands on (MDB_CURRENT, the first key from k on). A refusal is
 * an answer, not a failure: the batch goes on. */
static int s_put_in_hand(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, uint32_t seed, uint32_t *x)
{
    uint8_t vb[300];
    MDB_val v = { s_rand(x) % sizeof vb, vb };
    for (size_t j = 0; j < v.mv_size; j++)
        vb[j] = (uint8_t)(seed * 7 + j);
    uint32_t how = s_rand(x) % 3;
    if (how < 2) {
        int rc = store_put(txn, dbi, k, &v, how ? MDB_NOOVERWRITE : 0);
        return rc == MDB_KEYEXIST ? 0 : rc;
    }
    MDB_cursor *c;
    MDB_val d;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc == 0) {
        rc = mdb_cursor_get(c, k, &d, MDB_SET_RANGE);
        /* The key as a copy: LMDB reads it again after it removed the old item from the
         * page it points into (a value of another size is deleted and re-added). */
        uint8_t kb[4];
        MDB_val kc = { sizeof kb, kb };
        if (rc == 0)
            memcpy(kb, k->mv_data, sizeof kb);
        rc = rc == 0 ? store_cursor_put(c, &kc, &v, MDB_CURRENT) : rc == MDB_NOTFOUND ? 0 : rc;
        mdb_cursor_close(c);
    }
    return rc;
}

static int s_batch_fn(MDB_txn *txn, void *arg)
{
    batch_t *b = arg;
    uint32_t x = b->seed * 2654435761u + 1;
    int nops = 1 + (int)(s_rand(&x) % 12);
    for (int i = 0; i < nops; i++) {
        MDB_dbi dbi = store_dbi(b->s, s_rand(&x) % 3 ? "a" : "b");
        uint8_t kb[4];
        store_be32(kb, s_rand(&x) % 64);
        MDB_val k = { sizeof kb, kb };
        uint32_t what = s_rand(&x) % 100;
        int rc = 0;
        if (what < 35) {
            MDB_val v = { s_rand(&x) % 300, NULL };
            rc = store_put(txn, dbi, &k, &v, MDB_RESERVE);
            for (size_t j = 0; rc == 0 && j < v.mv_size; j++)   /* filled after the put */
                ((uint8_t *)v.mv_data)[j] = (uint8_t)(b->seed + j);
        } else if (what < 60) {
            rc = s_put_in_hand(txn, dbi, &k, b->seed, &x);
        } else if (what < 80) {
            rc = store_del(txn, dbi, &k, NULL);
            rc = rc == MDB_NOTFOUND ? 0 : rc;
        } else if (what < 97) {
            MDB_cursor *c;
            MDB_val d;
            rc = mdb_cursor_open(txn, dbi, &c);
            if (rc == 0) {
                rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
                rc = rc == 0 ? store_cursor_del(c, 0) : rc == MDB_NOTFOUND ? 0 : rc;
                mdb_cursor_close(c);
            }
        } else {
            rc = store_drop(txn, store_dbi(b->s, "b"), 0);
        }
        if (rc != 0)
            return rc;
    }
    return b->fail ? -EINVAL : 0;
}

static bool s_fails(uint32_t i) { return i % 17 == 5; }

/* Batches [from, to) of the sequence; a failing batch must fail and change nothing. */
static void s_run(store_t *s, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        batch_t b = { s, i + 1, s_fails(i) };
        int rc = store_write(s, s_batch_fn, &b);
        if (b.fail)
            cr_assert_eq(rc, -EINVAL, "batch %u: %d", i, rc);
        else
            cr_assert_eq(rc, 0, "batch %u: %d", i, rc);
    }
}

/* ---- dumps: every named db, in key order, as bytes ---- */

typedef struct {
    store_t *s;
    char *buf;
    size_t len;
} dump_t;

static int s_dump_fn(MDB_txn *txn, void *arg)
{
    dump_t *d = arg;
    FILE *f = open_memstream(&d->buf, &d->len);
    for (int i = 0; s_dbs[i]; i++) {
        MDB_cursor *c;
        MDB_val k, v;
        int rc = mdb_cursor_open(txn, store_dbi(d->s, s_dbs[i]), &c);
        if (rc != 0)
            return rc;
        fprintf(f, "[%s]\n", s_dbs[i]);
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            fprintf(f, "%u:%zu:", store_get_be32(k.mv_data), v.mv_size);
            fwrite(v.mv_data, 1, v.mv_size, f);
            fputc('\n', f);
        }
        mdb_cursor_close(c);
    }
    fclose(f);
    return 0;
}

static char *s_dump(store_t *s, size_t *len)
{
    dump_t d = { s, NULL, 0 };
    cr_assert_eq(store_read(s, s_dump_fn, &d), 0);
    *len = d.len;
    return d.buf;
}

/* The reference: batches [0, n) on a store without the log, in s_ref (made anew). */
static char *s_reference(uint32_t n, size_t *len)
{
    ut_tmpdir_remove(s_ref);
    ut_tmpdir(s_ref, sizeof s_ref, "walref");
    store_t *r = s_open(s_ref, false, NULL);
    s_run(r, 0, n);
    char *d = s_dump(r, len);
    store_destroy(&r);
    return d;
}

static void s_assert_equals_reference(store_t *s, uint32_t n)
{
    size_t a, b;
    char *got = s_dump(s, &a), *want = s_reference(n, &b);
    cr_assert_eq(a, b, "dump sizes differ after %u batches: %zu vs %zu", n, a, b);
    cr_assert(memcmp(got, want, a) == 0, "dumps differ after %u batches", n);
    free(got);
    free(want);
}

/* Run batches [0, n) in a child that then _exits without closing the store. */
static void s_crash_after(uint32_t n, const wopts_t *w, bool flush_each)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        store_t *s = s_open(s_dir, true, w);
        for (uint32_t i = 0; i < n; i++) {
            s_run(s, i, i + 1);
            if (flush_each && store_flush(s) == 0)
                store_durable_upto(s, store_last_txn(s));
        }
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
}

static void s_path(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void s_copy(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0);
}

/* ---- the record format, parsed here from store_wal.h's description ---- */

typedef struct {
    uint64_t off, len, lsn;
} rec_t;

/* Records from the ring's start (after the 4 KiB header block) in order of lsn; returns
 * how many. */
static size_t s_records(const uint8_t *m, size_t size, rec_t *out, size_t cap)
{
    size_t n = 0;
    uint64_t off = 4096;
    while (n < cap && off + 32 <= size && store_get_be32(m + off) == 0x4D56574Cu) {
        out[n].off = off;
        out[n].len = store_get_be32(m + off + 4);
        out[n].lsn = store_get_be64(m + off + 8);
        if (n && out[n].lsn != out[n - 1].lsn + 1)
            break;
        off += (32 + out[n].len + 31) / 32 * 32;
        n++;
    }
    return n;
}

static uint8_t *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len ? *len : 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* The records of s_dir's log (at most cap); path gets the log's path. */
static size_t s_log_records(char *path, size_t pcap, rec_t *r, size_t cap)
{
    s_path(path, pcap, s_dir, "wal.mvoi");
    size_t len;
    uint8_t *m = s_read_file(path, &len);
    size_t n = s_records(m, len, r, cap);
    free(m);
    return n;
}

/* Flip one bit in the middle of record r's payload in the log file at path. */
static void s_flip(const char *path, const rec_t *r)
{
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t byte;
    off_t at = (off_t)(r->off + 32 + r->len / 2);
    cr_assert_eq(pread(fd, &byte, 1, at), 1);
    byte ^= 0x10;
    cr_assert_eq(pwrite(fd, &byte, 1, at), 1);
    close(fd);
}

/* ---- tests ---- */

Test(wal, reads_its_own_writes_and_keeps_them_across_a_clean_stop)
{
    store_t *s = s_open(s_dir, true, NULL);
    s_run(s, 0, 40);
    cr_assert_eq(store_last_txn(s), 40 - 3, "one record per successful batch");
    s_assert_equals_reference(s, 40);
    store_destroy(&s);
    s = s_open(s_dir, true, NULL);
    s_assert_equals_reference(s, 40);
    store_destroy(&s);
    /* Without the log: opens what the checkpoints left, and nothing is lost. */
    s = s_open(s_dir, false, NULL);
    s_assert_equals_reference(s, 40);
    char p[128];
    s_path(p, sizeof p, s_dir, "wal.mvoi");
    cr_assert_neq(access(p, F_OK), 0, "a store without the log removes it");
    store_destroy(&s);
}

/* One record per store_write, holding its operations: a value reserved and filled
 * afterwards is logged filled; a key deleted by a cursor is logged as a del. (Every case
 * of what a record holds: test_store_walcap.c.) */
typedef struct {
    store_t *s;
    int step;
} rec_args_t;

static int s_rec_fn(MDB_txn *txn, void *arg)
{
    rec_args_t *a = arg;
    MDB_dbi dbi = store_dbi(a->s, "a");
    uint8_t kb[4];
    store_be32(kb, 7);
    MDB_val k = { 4, kb }, v = { 5, NULL };
    if (a->step == 0) {
        int rc = store_put(txn, dbi, &k, &v, MDB_RESERVE);
        if (rc == 0)
            memcpy(v.mv_data, "hello", 5);
        return rc;
    }
    MDB_cursor *c;
    MDB_val d;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc == 0 && (rc = mdb_cursor_get(c, &k, &d, MDB_SET)) == 0)
        rc = store_cursor_del(c, 0);
    mdb_cursor_close(c);
    if (rc == 0)
        rc = store_drop(txn, store_dbi(a->s, "b"), 0);
    return rc;
}

/* The log's salt, as the store keeps it in the main db (store_walmode.c). */
static int s_salt_fn(MDB_txn *txn, void *arg)
{
    MDB_dbi main;
    MDB_val k = { 9, "store.wal" }, v;
    int rc = mdb_dbi_open(txn, NULL, 0, &main);
    if (rc == 0)
        rc = mdb_get(txn, main, &k, &v);
    if (rc == 0 && v.mv_size != 25)
        rc = -EPROTO;
    if (rc == 0)
        memcpy(arg, (uint8_t *)v.mv_data + 16, 8);
    return rc;
}

Test(wal, one_record_per_batch_with_final_values)
{
    wopts_t w = { .size = 1 << 20, .cp_bytes = 1 << 20, .cp_ms = 3600000 };
    store_t *s = s_open(s_dir, true, &w);
    rec_args_t a = { s, 0 };
    cr_assert_eq(store_write(s, s_rec_fn, &a), 0);
    a.step = 1;
    cr_assert_eq(store_write(s, s_rec_fn, &a), 0);
    char p[128];
    s_path(p, sizeof p, s_dir, "wal.mvoi");
    size_t len;
    uint8_t *m = s_read_file(p, &len);
    cr_assert_eq(len, 1 << 20, "preallocated to wal_size");
    rec_t r[4];
    cr_assert_eq(s_records(m, len, r, 4), 2);
    /* [op 1 put][db 0][klen 4][key 7][vlen 5]["hello"] */
    static const uint8_t put[] = { 1, 0, 0, 0, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 5,
                                   'h', 'e', 'l', 'l', 'o' };
    cr_assert_eq(r[0].len, sizeof put);
    cr_assert(memcmp(m + r[0].off + 32, put, sizeof put) == 0);
    /* [op 2 del][db 0][klen 4][key 7] then [op 3 drop][db 1][klen 0] */
    static const uint8_t del_drop[] = { 2, 0, 0, 0, 0, 0, 4, 0, 0, 0, 7, 3, 0, 1, 0, 0, 0,
                                        0 };
    cr_assert_eq(r[1].len, sizeof del_drop);
    cr_assert(memcmp(m + r[1].off + 32, del_drop, sizeof del_drop) == 0);
    cr_assert_eq(r[1].lsn, r[0].lsn + 1);
    /* zlib's crc32 over the header's first 24 bytes, the salt, the payload: the salt is
     * not in the log (it is in LMDB's main db, key "store.wal", bytes 16..23), so a stale
     * record of another incarnation cannot pass; without it the crc must differ. */
    uLong c = crc32(crc32(0, Z_NULL, 0), m + r[0].off, 24);
    uLong unsalted = crc32(c, m + r[0].off + 32, (uInt)r[0].len);
    cr_assert_neq((uint32_t)unsalted, store_get_be32(m + r[0].off + 24));
    uint8_t salt[8];
    cr_assert_eq(store_read(s, s_salt_fn, salt), 0);
    c = crc32(c, salt, sizeof salt);
    c = crc32(c, m + r[0].off + 32, (uInt)r[0].len);
    cr_assert_eq((uint32_t)c, store_get_be32(m + r[0].off + 24), "the record's crc is zlib's");
    free(m);
    store_destroy(&s);
}

/* A 1,000-byte value: a record long enough for ISA-L's vector CRC. */
static int s_long_fn(MDB_txn *txn, void *arg)
{
    store_t *s = arg;
    uint8_t kb[4], vb[1000];
    store_be32(kb, 9);
    memset(vb, 0x5a, sizeof vb);
    MDB_val k = { sizeof kb, kb }, v = { sizeof vb, vb };
    return store_put(txn, store_dbi(s, "a"), &k, &v, 0);
}

/* ISA-L's CRC-32 of a record returns with the vector registers' upper halves in use; left
 * so, every SSE instruction of the service's next batch paid the CPU's transition penalty
 * (vecstate.h: the impact-calculator's loop busy 64 % against 55 %, and 7-19 % fewer
 * measurements a second). A write must hand the caller back the state it had. Red
 * without vecstate_clear. */
Test(wal, a_write_leaves_the_vector_registers_upper_halves_unused)
{
    if (vecstate_upper_in_use() < 0)
        cr_skip_test("this CPU cannot report its vector state (XGETBV ECX=1)");
    wopts_t w = { .size = 1 << 20, .cp_bytes = 1 << 20, .cp_ms = 3600000 };
    store_t *s = s_open(s_dir, true, &w);
    vecstate_clear();
    if (vecstate_upper_in_use() != 0) {   /* the SDM lets a CPU report "in use" anyway */
        store_destroy(&s);
        cr_skip_test("this CPU reports the upper halves in use right after VZEROUPPER");
    }
    cr_assert_eq(store_write(s, s_long_fn, s), 0);
    cr_assert_eq(vecstate_upper_in_use(), 0, "the upper halves are left in use by the write");
    store_destroy(&s);
}

Test(wal, full_map_mid_batch_grows_and_loses_nothing)
{
    wopts_t w = { .size = 4 << 20, .cp_bytes = 4 << 20, .cp_ms = 3600000, .map = 64 << 10 };
    store_t *s = s_open(s_dir, true, &w);
    uint64_t at_open = store_grows(s);
    s_run(s, 0, 300);
    cr_assert_gt(store_grows(s), at_open, "the tiny map had to grow in the long txn");
    s_assert_equals_reference(s, 300);
    store_destroy(&s);
    s = s_open(s_dir, true, &w);
    s_assert_equals_reference(s, 300);
    store_destroy(&s);
}

Test(wal, failing_batch_keeps_the_earlier_ones)
{
    store_t *s = s_open(s_dir, true, NULL);
    s_run(s, 0, 5);            /* batch 5 fails (s_fails) */
    s_run(s, 5, 6);
    s_assert_equals_reference(s, 6);
    store_destroy(&s);
}

Test(wal, process_crash_mid_stream_recovers_exactly)
{
    wopts_t w = { .size = 1 << 20, .cp_bytes = 16 << 10, .cp_ms = 3600000 };
    uint32_t n = 150 + (uint32_t)getpid() % 100;
    s_crash_after(n, &w, false);
    store_t *s = s_open(s_dir, true, &w);
    cr_assert_eq(store_last_txn(s), n - (n + 11) / 17, "every logged batch came back");
    s_assert_equals_reference(s, n);
    s_run(s, n, n + 20);       /* and it goes on from there */
    s_assert_equals_reference(s, n + 20);
    store_destroy(&s);
}

Test(wal, os_crash_back_to_a_checkpoint_copy_recovers_exactly)
{
    wopts_t w = { .size = 1 << 20, .cp_bytes = 1 << 20, .cp_ms = 3600000 };
    char db[128], copy[128];
    s_path(db, sizeof db, s_dir, "data.mdb");
    s_path(copy, sizeof copy, s_dir, "data.copy");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        store_t *s = s_open(s_dir, true, &w);
        s_run(s, 0, 60);
        if (store_checkpoint(s) != 0)
            _exit(2);
        s_copy(db, copy);          /* what the device holds of data.mdb from here on */
        s_run(s, 60, 130);         /* only in the log (and LMDB's unflushed pages) */
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_eq(rename(copy, db), 0);
    store_t *s = s_open(s_dir, true, &w);
    s_assert_equals_reference(s, 130);
    store_destroy(&s);
}

/* The log header's confirmed transaction id, read as store_wal.h describes it. */
static uint64_t s_confirmed(const char *log)
{
    uint8_t h[24];
    int fd = open(log, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, h, sizeof h, 0), (ssize_t)sizeof h);
    close(fd);
    cr_assert_eq(store_get_be32(h), 0x4D565748u, "header magic");
    cr_assert_eq(store_get_be32(h + 16), (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 16));
    return store_get_be64(h + 8);
}

/* A checkpoint taken while the loop goes on is confirmed by the store's own thread: the
 * header comes to name data.mdb's newest snapshot without another call into the store. */
Test(wal, a_deferred_checkpoint_is_confirmed_by_the_stores_thread)
{
    wopts_t w = { .size = 1 << 20, .cp_bytes = 1 << 20, .cp_ms = 3600000 };
    char log[128];
    s_path(log, sizeof log, s_dir, "wal.mvoi");
    store_t *s = s_open(s_dir, true, &w);
    uint64_t newest, other, at_open = s_confirmed(log);
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), 0);
    cr_assert_eq(at_open, newest, "the open's own checkpoint is confirmed");
    s_run(s, 0, 40);
    usleep(150 * 1000);
    store_probe(s);                     /* the idle checkpoint */
    cr_assert_eq(store_checkpoints(s), 1);
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), 0);
    cr_assert_eq(newest, at_open + 1, "committed at once");
    uint64_t c = 0;
    for (int i = 0; i < 500 && (c = s_confirmed(log)) != newest; i++)
        usleep(10 * 1000);
    cr_assert_eq(c, newest, "confirmed %llu, newest %llu", (unsigned long long)c,
                 (unsigned long long)newest);
    s_run(s, 40, 60);
    store_destroy(&s);                  /* a graceful stop confirms its own checkpoint */
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), 0);
    cr_assert_eq(s_confirmed(log), newest);
}

/* Copy n bytes from the start of `from` over the start of `to`. */
static void s_copy_head(const char *from, const char *to, size_t n)
{
    uint8_t *b = malloc(n);
    int f = open(from, O_RDONLY), t = open(to, O_WRONLY);
    cr_assert(b && f >= 0 && t >= 0);
    cr_assert_eq(pread(f, b, n, 0), (ssize_t)n);
    cr_assert_eq(pwrite(t, b, n, 0), (ssize_t)n);
    close(f);
    close(t);
    free(b);
}

/* An OS crash after a checkpoint committed (no flush: its pages and meta page in the page
 * cache) and before it was confirmed: the device may hold its meta page but not the pages
 * it points to, nor the log header naming it. The image built here is exactly that:
 * data.mdb as of the confirmed checkpoint with the unconfirmed checkpoint's meta pages
 * over it, the log with the header of the confirmed one and every record since. */
Test(wal, os_crash_between_a_checkpoint_and_its_confirmation_opens_the_confirmed_one)
{
    wopts_t w = { .size = 1 << 20, .cp_bytes = 1 << 20, .cp_ms = 3600000 };
    size_t meta = 2 * (size_t)sysconf(_SC_PAGESIZE);   /* LMDB's two meta pages */
    char db[128], copy[128], metas[128], log[128], hdr[128];
    s_path(db, sizeof db, s_dir, "data.mdb");
    s_path(copy, sizeof copy, s_dir, "data.copy");
    s_path(metas, sizeof metas, s_dir, "metas.copy");
    s_path(log, sizeof log, s_dir, "wal.mvoi");
    s_path(hdr, sizeof hdr, s_dir, "hdr.copy");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        store_t *s = s_open(s_dir, true, &w);
        s_run(s, 0, 60);
        if (store_checkpoint(s) != 0)   /* confirmed before it returns */
            _exit(2);
        s_copy(db, copy);
        s_copy(log, hdr);
        s_run(s, 60, 100);
        uint64_t before = store_checkpoints(s);
        usleep(150 * 1000);
        store_probe(s);                 /* the idle checkpoint: committed, flush queued */
        if (store_checkpoints(s) != before + 1)
            _exit(3);
        s_copy(db, metas);
        s_run(s, 100, 130);             /* only in the log */
        if (store_flush(s) != 0)
            _exit(4);
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
    cr_assert_eq(rename(copy, db), 0);
    s_copy_head(metas, db, meta);
    s_copy_head(hdr, log, 4096);
    /* The image is the case: the newest meta page is one past the header's. */
    uint64_t newest, other;
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), 0);
    size_t len;
    uint8_t *m = s_read_file(log, &len);
    uint64_t confirmed = store_get_be64(m + 8);
    free(m);
    cr_assert_eq(newest, confirmed + 1, "newest %llu, confirmed %llu",
                 (unsigned long long)newest, (unsigned long long)confirmed);
    cr_assert_eq(other, confirmed);
    store_t *s = s_open(s_dir, true, &w);
    s_assert_equals_reference(s, 130);
    s_run(s, 130, 150);                 /* and it goes on from there */
    s_assert_equals_reference(s, 150);
    store_destroy(&s);
}

Test(wal, truncated_log_gives_a_prefix_never_garbage)
{
    wopts_t w = { .size = 256 << 10, .cp_bytes = 256 << 10, .cp_ms = 3600000 };
    uint32_t n = 80;
    s_crash_after(n, &w, false);
    char p[128];
    s_path(p, sizeof p, s_dir, "wal.mvoi");
    size_t len;
    uint8_t *m = s_read_file(p, &len);
    rec_t r[128];
    size_t nr = s_records(m, len, r, 128);
    cr_assert_eq(nr, n - (n + 11) / 17);
    free(m);
    uint64_t end = r[nr - 1].off + 32 + r[nr - 1].len;
    srand((unsigned)getpid());
    uint64_t cut = (uint64_t)rand() % end;
    cr_assert_eq(truncate(p, (off_t)cut), 0);
    /* Records wholly before the cut survive: count them from the offsets. */
    uint32_t whole = 0;
    while (whole < nr && r[whole].off + 32 + r[whole].len <= cut)
        whole++;
    store_t *s = s_open(s_dir, true, &w);
    cr_assert_eq(store_last_txn(s), whole, "cut at %llu: %u whole records",
                 (unsigned long long)cut, whole);
    /* The state of the batches those records came from: successful batch k is record
     * k minus the failures before it. */
    uint32_t batches = 0, ok = 0;
    while (ok < whole)
        if (!s_fails(batches++))
            ok++;
    while (batches < n && s_fails(batches))
        batches++;             /* a failed batch right after changes nothing */
    s_assert_equals_reference(s, batches);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 256 << 10, "the ring is whole again");
    store_destroy(&s);
}

Test(wal, flipped_byte_in_the_middle_is_refused_by_name)
{
    wopts_t w = { .size = 256 << 10, .cp_bytes = 256 << 10, .cp_ms = 3600000 };
    s_crash_after(40, &w, true);
    char p[128];
    rec_t r[64];
    size_t nr = s_log_records(p, sizeof p, r, 64);
    cr_assert_gt(nr, 10);
    s_flip(p, &r[nr / 2]);
    int err = 0;
    store_t *s = s_open_at(s_dir, true, &w, &err);
    cr_assert_null(s);
    cr_assert_eq(err, -EUCLEAN, "named: %d", err);
}

/* The records since the checkpoint are re-read from the log when the long transaction is
 * dropped (a failed batch). A record damaged in the file since it was written is then
 * refused by name, and nothing more is acknowledged: not a store silently short of it. */
Test(wal, a_damaged_record_under_a_dropped_transaction_refuses_what_follows)
{
    wopts_t w = { .size = 256 << 10, .cp_bytes = 256 << 10, .cp_ms = 3600000 };
    store_t *s = s_open(s_dir, true, &w);
    s_run(s, 0, 5);   /* five records, no checkpoint yet */
    char p[128];
    rec_t r[8];
    size_t nr = s_log_records(p, sizeof p, r, 8);
    cr_assert_eq(nr, 5, "records in the log: %zu", nr);
    s_flip(p, &r[2]);
    s_run(s, 5, 6);   /* batch 5 fails: the long transaction is dropped */
    batch_t b = { s, 7, false };
    int rc = store_write(s, s_batch_fn, &b);
    cr_assert(rc != 0, "a write on a log missing a record was acknowledged");
    cr_assert(store_write(s, s_batch_fn, &b) != 0, "the next one too");
    store_destroy(&s);
}

Test(wal, missing_log_with_records_expected_is_refused)
{
    s_crash_after(10, NULL, false);
    char p[128];
    s_path(p, sizeof p, s_dir, "wal.mvoi");
    cr_assert_eq(unlink(p), 0);
    int err = 0;
    store_t *s = s_open_at(s_dir, true, NULL, &err);
    cr_assert_null(s);
    cr_assert_eq(err, -EUCLEAN);
}

Test(wal, tiny_ring_wraps_and_checkpoints_when_full)
{
    /* 8 KiB ring (after the 4 KiB header block), checkpoints only when it fills: records
     * wrap to the ring's start many times. */
    wopts_t w = { .size = 12 << 10, .cp_bytes = 1 << 30, .cp_ms = 3600000 };
    s_crash_after(400, &w, false);
    store_t *s = s_open(s_dir, true, &w);
    s_assert_equals_reference(s, 400);
    store_destroy(&s);
    /* Checkpoints by size (2 KiB) keep room: the ring wraps without a forced one. */
    wopts_t w2 = { .size = 12 << 10, .cp_bytes = 2 << 10, .cp_ms = 3600000 };
    ut_tmpdir_remove(s_dir);
    ut_tmpdir(s_dir, sizeof s_dir, "wal");
    s_crash_after(400, &w2, false);
    s = s_open(s_dir, true, &w2);
    s_assert_equals_reference(s, 400);
    store_destroy(&s);
}

/* A db with duplicate keys cannot be logged as final values: refused by name. */
Test(wal, dupsort_db_is_refused)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    cr_assert_eq(mdb_env_open(env, s_dir, 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "a", MDB_CREATE | MDB_DUPSORT, &dbi), 0);
    cr_assert_eq(mdb_dbi_open(txn, "b", MDB_CREATE, &dbi), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    int err = 0;
    store_t *s = s_open_at(s_dir, true, NULL, &err);
    cr_assert_null(s);
    cr_assert_eq(err, -EINVAL);
    s = s_open(s_dir, false, NULL);   /* without the log it opens as before */
    store_destroy(&s);
}
