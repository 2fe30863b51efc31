/*  inbox: per-producer cursors of a consumer (see inbox.h).
 *
 *  db "inbox": key = producer name (bytes, no NUL), value = epoch be64 + last_seq be64.
 *  Functions taking a txn return 0 / a verdict, or a negative code of mvoi_error.h (LMDB's
 *  results converted where they arise; MVOI_E_MAP_FULL lets store_write grow and rerun).
 */
#include "inbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_MAX_KEY 511   /* LMDB's default maximum key size */

struct inbox_t {
    store_t *store;
    MDB_dbi dbi;
};

inbox_t *inbox_new(store_t *store, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (!store) {
        *err = -EINVAL;
        return NULL;
    }
    MDB_dbi dbi = store_dbi(store, "inbox");
    if (dbi == (MDB_dbi)-1) {
        *err = -EINVAL;   /* the store was not opened with INBOX_DBS */
        return NULL;
    }
    inbox_t *self = calloc(1, sizeof *self);
    if (!self) {
        *err = -ENOMEM;
        return NULL;
    }
    self->store = store;
    self->dbi = dbi;
    return self;
}

void inbox_destroy(inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static int s_key(const char *producer, MDB_val *key)
{
    if (!producer)
        return -EINVAL;
    size_t n = strlen(producer);
    if (n == 0 || n > INBOX_MAX_KEY)
        return -EINVAL;
    key->mv_size = n;
    key->mv_data = (void *)producer;
    return 0;
}

static int s_get(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t *epoch,
                 uint64_t *seq, uint64_t *fp)
{
    uint64_t fp_dummy;
    if (!fp)
        fp = &fp_dummy;
    *fp = 0;
    MDB_val key, val;
    int rc = s_key(producer, &key);
    if (rc != 0)
        return rc;
    rc = mvoi_mdb_error(mdb_get(txn, self->dbi, &key, &val));
    if (rc == -ENOENT) {
        *epoch = 0;
        *seq = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (val.mv_size != 16 && val.mv_size != 24)
        return MVOI_E_CORRUPTED;   /* not a cursor */
    *epoch = store_get_be64(val.mv_data);
    *seq = store_get_be64((const uint8_t *)val.mv_data + 8);
    if (val.mv_size == 24)         /* a cursor of the version before has no fingerprint */
        *fp = store_get_be64((const uint8_t *)val.mv_data + 16);
    return 0;
}

int inbox_check(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                uint64_t seq)
{
    if (!self || !txn)
        return -EINVAL;
    uint64_t e, last;
    int rc = s_get(self, txn, producer, &e, &last, NULL);
    if (rc != 0)
        return rc;
    if (e != epoch || e == 0)
        return INBOX_NEW_EPOCH;
    if (seq <= last)
        return INBOX_DUPLICATE;
    if (seq == last + 1)
        return INBOX_APPLY;
    return INBOX_GAP;
}

int inbox_advance(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                  uint64_t seq)
{
    return inbox_advance_fp(self, txn, producer, epoch, seq, 0);
}

int inbox_advance_fp(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                     uint64_t seq, uint64_t fp)
{
    if (!self || !txn)
        return -EINVAL;
    MDB_val key, val;
    int rc = s_key(producer, &key);
    if (rc != 0)
        return rc;
    uint8_t buf[24];
    store_be64(buf, epoch);
    store_be64(buf + 8, seq);
    store_be64(buf + 16, fp);
    val.mv_size = sizeof buf;
    val.mv_data = buf;
    return mvoi_mdb_error(store_put(txn, self->dbi, &key, &val, 0));
}

typedef struct {
    inbox_t *self;
    const char *producer;
    uint64_t *epoch, *seq, *fp;
} s_get_args_t;

static int s_get_fn(MDB_txn *txn, void *arg)
{
    s_get_args_t *a = arg;
    return s_get(a->self, txn, a->producer, a->epoch, a->seq, a->fp);
}

int inbox_get(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t *epoch,
              uint64_t *seq)
{
    return inbox_get_fp(self, txn, producer, epoch, seq, NULL);
}

int inbox_get_fp(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t *epoch,
                 uint64_t *seq, uint64_t *fp)
{
    if (!self)
        return -EINVAL;
    uint64_t e_dummy, s_dummy;
    if (!epoch)
        epoch = &e_dummy;
    if (!seq)
        seq = &s_dummy;
    if (txn)
        return s_get(self, txn, producer, epoch, seq, fp);
    s_get_args_t a = { self, producer, epoch, seq, fp };
    return store_read(self->store, s_get_fn, &a);
}

/* ---------------------------------------------------------------- rebuild mark */

#define INBOX_MARK_SUFFIX "\0rebuild"
#define INBOX_MARK_SUFFIX_LEN 8

static int s_mark_key(const char *producer, uint8_t *buf, size_t cap, MDB_val *key)
{
    MDB_val pk;
    int rc = s_key(producer, &pk);
    if (rc != 0)
        return rc;
    if (pk.mv_size + INBOX_MARK_SUFFIX_LEN > cap)
        return -EINVAL;
    memcpy(buf, pk.mv_data, pk.mv_size);
    memcpy(buf + pk.mv_size, INBOX_MARK_SUFFIX, INBOX_MARK_SUFFIX_LEN);
    key->mv_size = pk.mv_size + INBOX_MARK_SUFFIX_LEN;
    key->mv_data = buf;
    return 0;
}

int inbox_rebuild_mark(inbox_t *self, MDB_txn *txn, const char *producer, uint32_t reason)
{
    if (!self || !txn)
        return -EINVAL;
    uint8_t kb[INBOX_MAX_KEY + 1];
    MDB_val key, val;
    int rc = s_mark_key(producer, kb, sizeof kb, &key);
    if (rc != 0)
        return rc;
    uint8_t buf[4] = { (uint8_t)(reason >> 24), (uint8_t)(reason >> 16),
                       (uint8_t)(reason >> 8), (uint8_t)reason };
    val.mv_size = sizeof buf;
    val.mv_data = buf;
    return mvoi_mdb_error(store_put(txn, self->dbi, &key, &val, 0));
}

typedef struct {
    inbox_t *self;
    const char *producer;
    uint32_t *reason;
    int marked;
} s_mark_args_t;

static int s_marked_fn(MDB_txn *txn, void *arg)
{
    s_mark_args_t *a = arg;
    uint8_t kb[INBOX_MAX_KEY + 1];
    MDB_val key, val;
    int rc = s_mark_key(a->producer, kb, sizeof kb, &key);
    if (rc != 0)
        return rc;
    rc = mvoi_mdb_error(mdb_get(txn, a->self->dbi, &key, &val));
    if (rc == -ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    if (val.mv_size != 4)
        return MVOI_E_CORRUPTED;
    const uint8_t *p = val.mv_data;
    *a->reason = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    a->marked = 1;
    return 0;   /* (store_read takes a positive result for an LMDB code) */
}

int inbox_rebuild_marked(inbox_t *self, MDB_txn *txn, const char *producer,
                         uint32_t *reason)
{
    if (!self)
        return -EINVAL;
    uint32_t dummy;
    s_mark_args_t a = { self, producer, reason ? reason : &dummy, 0 };
    int rc = txn ? s_marked_fn(txn, &a) : store_read(self->store, s_marked_fn, &a);
    return rc < 0 ? rc : a.marked;
}

int inbox_rebuild_clear(inbox_t *self, MDB_txn *txn, const char *producer)
{
    if (!self || !txn)
        return -EINVAL;
    uint8_t kb[INBOX_MAX_KEY + 1];
    MDB_val key;
    int rc = s_mark_key(producer, kb, sizeof kb, &key);
    if (rc != 0)
        return rc;
    rc = mvoi_mdb_error(store_del(txn, self->dbi, &key, NULL));
    return rc == -ENOENT ? 0 : rc;
}
