/*  h_corrupt: a stored record made undecodable, for the tests of what a service does with
 *  one (harness.h, h_store_corrupt). Its own object in mvoi_harness: only the tests that
 *  call it pull in the store (common/store.h), which every service links. */
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "store.h"

typedef struct {
    MDB_dbi dbi;
    MDB_val k, v;
    void *old;   /* NULL: the old bytes are not kept */
    size_t cap, *oldlen;
} h_swap_t;

/* Through the store (store_put, store_del), as every write; only over a record that
 * exists. No value (v.mv_data NULL): the record deleted, an index entry left without it. */
static int h_put_over(MDB_txn *txn, void *arg)
{
    h_swap_t *g = arg;
    MDB_val old;
    int rc = mdb_get(txn, g->dbi, &g->k, &old);
    if (rc)
        return rc == MDB_NOTFOUND ? -ENOENT : rc;
    if (g->old) {
        if (old.mv_size > g->cap)
            return -ENOBUFS;
        memcpy(g->old, old.mv_data, *g->oldlen = old.mv_size);
    }
    if (!g->v.mv_data)
        return store_del(txn, g->dbi, &g->k, NULL);
    return store_put(txn, g->dbi, &g->k, &g->v, 0);
}

static int h_swap(const char *path, const char *db, h_swap_t *g)
{
    const char *dbs[] = { db, NULL };
    store_opts_t so = { .path = path, .dbs = dbs };
    int err = 0;
    store_t *st = store_new(&so, &err);
    if (!st)
        return err ? err : -EIO;
    g->dbi = store_dbi(st, db);
    int rc = store_write(st, h_put_over, g);
    store_destroy(&st);
    return rc;
}

/* a varint longer than 10 bytes: no protobuf message decodes it */
static const char h_garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";

int h_store_corrupt_keep(const char *path, const char *db, const void *key, size_t klen,
                         void *old, size_t cap, size_t *oldlen)
{
    h_swap_t g = { 0, { klen, (void *)key }, { sizeof h_garbage - 1, (void *)h_garbage },
                   old, cap, oldlen };
    return h_swap(path, db, &g);
}

int h_store_corrupt(const char *path, const char *db, const void *key, size_t klen)
{
    return h_store_corrupt_keep(path, db, key, klen, NULL, 0, NULL);
}

int h_store_set(const char *path, const char *db, const void *key, size_t klen,
                const void *val, size_t vlen)
{
    h_swap_t g = { 0, { klen, (void *)key }, { vlen, (void *)val }, NULL, 0, NULL };
    return h_swap(path, db, &g);
}

int h_store_restore(const char *path, const char *db, const void *key, size_t klen,
                    const void *val, size_t vlen)
{
    return val ? h_store_set(path, db, key, klen, val, vlen) : -EINVAL;
}
