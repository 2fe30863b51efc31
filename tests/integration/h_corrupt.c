/*  h_corrupt: a stored record made undecodable, for the tests of what a service does with
 *  one (harness.h, h_store_corrupt). Its own object in mvoi_harness: only the tests that
 *  call it pull in the store (common/store.h), which every service links. */
#include "harness.h"

#include <errno.h>

#include "store.h"

typedef struct {
    MDB_dbi dbi;
    MDB_val k, v;
} h_garbage_t;

/* Through the store (store_put), as every write; only over a record that exists. */
static int h_put_garbage(MDB_txn *txn, void *arg)
{
    h_garbage_t *g = arg;
    MDB_val old;
    return mdb_get(txn, g->dbi, &g->k, &old) != 0 ? -ENOENT
                                                  : store_put(txn, g->dbi, &g->k, &g->v, 0);
}

int h_store_corrupt(const char *path, const char *db, const void *key, size_t klen)
{
    /* a varint longer than 10 bytes: no protobuf message decodes it */
    static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    const char *dbs[] = { db, NULL };
    store_opts_t so = { .path = path, .dbs = dbs };
    int err = 0;
    store_t *st = store_new(&so, &err);
    if (!st)
        return err ? err : -EIO;
    h_garbage_t g = { store_dbi(st, db), { klen, (void *)key },
                      { sizeof garbage - 1, (void *)garbage } };
    int rc = store_write(st, h_put_garbage, &g);
    store_destroy(&st);
    return rc;
}
