/*  rp_store: reads of the report service's own records, in a read transaction of their own
 *  (the service's writes go through the server's group commit). */
#include "rp_store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_id.h"

int rp_store_get(store_t *store, const char *db, const void *key, size_t klen, uint8_t **val,
                 size_t *len)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(store_env(store), NULL, MDB_RDONLY, &txn);
    if (rc)
        return -EIO;
    MDB_val k = { klen, (void *)key }, v;
    rc = mdb_get(txn, store_dbi(store, db), &k, &v);
    *val = NULL;
    if (rc == 0) {
        *val = malloc(v.mv_size ? v.mv_size : 1);
        if (*val) {
            memcpy(*val, v.mv_data, v.mv_size);
            *len = v.mv_size;
        }
    }
    mdb_txn_abort(txn);
    return rc == 0 ? (*val ? 0 : -ENOMEM) : rc == MDB_NOTFOUND ? -ENOENT : -EIO;
}

size_t rp_request_key(uint8_t *buf, size_t cap, const char *buyer, const char *rid)
{
    return mvoi_id_key2(buf, cap, buyer, rid);
}

void rp_period_key(char *buf, size_t cap, const char *buyer, uint32_t year, uint32_t quarter)
{
    snprintf(buf, cap, "done/%s/%u/%u", buyer, year, quarter);
}
