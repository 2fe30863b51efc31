/* Unit tests for services/impact-calculator/tender_cache.c: the tenders a write transaction
 * read, kept for the rest of it and never past it. A real LMDB file in a temp dir; the
 * tenders are written by the test with plain mdb_put, as the calendar feed would. What is
 * expected (purchasing groups, the number of store reads) is what the test wrote and
 * asked, never read back from the cache under test. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "mvoi_id.h"
#include "store.h"
#include "tender_cache.h"
#include "unit_tmp.h"

typedef struct {
    char dir[64];
    MDB_env *env;
    MDB_dbi dbi;
    impact_tcache_t *tc;
} tc_t;

static void s_open(tc_t *t)
{
    ut_tmpdir(t->dir, sizeof t->dir, "tcache");
    cr_assert_eq(mdb_env_create(&t->env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(t->env, 4), 0);
    cr_assert_eq(mdb_env_open(t->env, t->dir, MDB_NOSYNC, 0600), 0);
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t->env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "tenders", MDB_CREATE, &t->dbi), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    t->tc = impact_tcache_new();
    cr_assert_not_null(t->tc);
}

static void s_close(tc_t *t)
{
    impact_tcache_destroy(&t->tc);
    cr_assert_null(t->tc);
    mdb_env_close(t->env);
    ut_tmpdir_remove(t->dir);
}

/* The projected tender buyer/id with purchasing group pg, in its own committed txn. */
static void s_put(tc_t *t, const char *buyer, const char *id, const char *pg)
{
    Mvoi__Tender m = MVOI__TENDER__INIT;
    m.id = (char *)id;
    m.buyer = (char *)buyer;
    m.purchasing_group = (char *)pg;
    uint8_t k[MVOI_ID_KEY_MAX], v[512];
    size_t kl = mvoi_id_key2(k, sizeof k, buyer, id);
    cr_assert_gt(kl, 0);
    MDB_val key = { kl, k }, val = { mvoi__tender__pack(&m, v), v };
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t->env, NULL, 0, &txn), 0);
    cr_assert_eq(store_put(txn, t->dbi, &key, &val, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
}

/* The purchasing group get() answers, "-" for an unknown tender. */
static const char *s_pg(tc_t *t, MDB_txn *txn, const char *buyer, const char *id)
{
    int rc = -1;
    const Mvoi__Tender *tn = impact_tcache_get(t->tc, txn, t->dbi, buyer, id, &rc);
    cr_assert_eq(rc, 0);
    return tn ? tn->purchasing_group : "-";
}

Test(tender_cache, two_buyers_same_id_are_two_entries_read_once_per_transaction)
{
    tc_t t;
    s_open(&t);
    s_put(&t, "heerlen", "T-1", "pg-heerlen");
    s_put(&t, "venlo", "T-1", "pg-venlo");
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    for (int round = 0; round < 3; round++) {
        cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-1"), "pg-heerlen");
        cr_assert_str_eq(s_pg(&t, txn, "venlo", "T-1"), "pg-venlo");
        cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-9"), "-");
    }
    /* three distinct (buyer, id) asked three times each: three reads */
    cr_assert_eq(impact_tcache_reads(t.tc), 3);
    mdb_txn_abort(txn);
    s_close(&t);
}

Test(tender_cache, a_commit_in_between_is_seen_by_the_next_transaction)
{
    tc_t t;
    s_open(&t);
    s_put(&t, "heerlen", "T-1", "pg-old");
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-1"), "pg-old");
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-2"), "-");
    mdb_txn_abort(txn);   /* a failed batch: its id is taken by the next commit */
    s_put(&t, "heerlen", "T-1", "pg-new");   /* the feed, without the cache */
    s_put(&t, "heerlen", "T-2", "pg-two");
    cr_assert_eq(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-1"), "pg-new");
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-2"), "pg-two");
    cr_assert_eq(impact_tcache_reads(t.tc), 4);
    mdb_txn_abort(txn);
    s_close(&t);
}

Test(tender_cache, clear_forgets_within_the_transaction)
{
    tc_t t;
    s_open(&t);
    s_put(&t, "heerlen", "T-1", "pg-a");
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-1"), "pg-a");
    impact_tcache_clear(t.tc);
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", "T-1"), "pg-a");
    cr_assert_eq(impact_tcache_reads(t.tc), 2);
    mdb_txn_abort(txn);
    s_close(&t);
}

Test(tender_cache, an_id_too_long_for_a_key_is_unknown_without_a_read)
{
    tc_t t;
    s_open(&t);
    char id[MVOI_ID_KEY_MAX + 8];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = 0;
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(t.env, NULL, 0, &txn), 0);
    cr_assert_str_eq(s_pg(&t, txn, "heerlen", id), "-");
    cr_assert_eq(impact_tcache_reads(t.tc), 0);
    mdb_txn_abort(txn);
    s_close(&t);
}
