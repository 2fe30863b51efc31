/* Unit tests for store_meta (common/store_meta.c): which of data.mdb's two snapshots LMDB
 * opens. The files are LMDB's own (two real commits); what each snapshot holds is read
 * back through LMDB, not through the code under test. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "store_meta.h"
#include "unit_tmp.h"

static char s_dir[64];

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "meta"); }
static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(meta, .init = s_setup, .fini = s_teardown);

/* Commit x = v in a transaction of its own; returns its id. */
static uint64_t s_commit(MDB_env *env, const char *v)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    uint64_t id = mdb_txn_id(txn);
    cr_assert_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    MDB_val k = { 1, "x" }, d = { strlen(v), (void *)v };
    cr_assert_eq(store_put(txn, dbi, &k, &d, 0), 0);   /* no store here: a plain put */
    cr_assert_eq(mdb_txn_commit(txn), 0);
    return id;
}

/* What x is in the snapshot LMDB opens now, and that snapshot's id. */
static uint64_t s_read(char *out, size_t cap)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = { 1, "x" }, d;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, s_dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    uint64_t id = mdb_txn_id(txn);
    cr_assert_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    cr_assert_eq(mdb_get(txn, dbi, &k, &d), 0);
    snprintf(out, cap, "%.*s", (int)d.mv_size, (const char *)d.mv_data);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return id;
}

/* Two commits: x = "old" at *a, x = "new" at *a + 1. */
static void s_two(uint64_t *a)
{
    MDB_env *env;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, s_dir, 0, 0600), 0);
    *a = s_commit(env, "old");
    cr_assert_eq(s_commit(env, "new"), *a + 1);
    mdb_env_close(env);
    char lock[128];
    snprintf(lock, sizeof lock, "%s/lock.mdb", s_dir);
    unlink(lock);   /* as after a crash: the next open sets the lock region up anew */
}

Test(meta, unconfirmed_newest_snapshot_falls_back_to_the_confirmed_one)
{
    uint64_t a, newest, other;
    s_two(&a);
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), 0);
    cr_assert_eq(newest, a + 1);
    cr_assert_eq(other, a);
    bool fell;
    cr_assert_eq(store_meta_fallback(s_dir, a, &newest, &fell), 0);
    cr_assert(fell);
    cr_assert_eq(newest, a + 1);
    char v[16];
    cr_assert_eq(s_read(v, sizeof v), a);
    cr_assert_str_eq(v, "old");
    /* LMDB writes on from there: its next commit gets the id the dropped one had. */
    MDB_env *env;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, s_dir, 0, 0600), 0);
    cr_assert_eq(s_commit(env, "again"), a + 1);
    mdb_env_close(env);
    cr_assert_eq(s_read(v, sizeof v), a + 1);
    cr_assert_str_eq(v, "again");
}

Test(meta, confirmed_newest_or_an_older_confirmation_changes_nothing)
{
    uint64_t a, newest;
    s_two(&a);
    bool fell;
    char v[16];
    cr_assert_eq(store_meta_fallback(s_dir, a + 1, &newest, &fell), 0);
    cr_assert(!fell);
    cr_assert_eq(store_meta_fallback(s_dir, a - 1, &newest, &fell), 0);
    cr_assert(!fell, "two behind: the snapshot before the newest is not the confirmed one");
    cr_assert_eq(s_read(v, sizeof v), a + 1);
    cr_assert_str_eq(v, "new");
}

Test(meta, no_file_and_a_file_that_is_not_lmdb_are_named)
{
    uint64_t newest, other;
    bool fell;
    cr_assert_eq(store_meta_txnids(s_dir, &newest, &other), -ENOENT);
    char p[128];
    snprintf(p, sizeof p, "%s/data.mdb", s_dir);
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    char junk[8192];
    memset(junk, 0x5a, sizeof junk);
    cr_assert_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    cr_assert_eq(store_meta_fallback(s_dir, 1, &newest, &fell), -EUCLEAN);
    cr_assert(!fell);
}
