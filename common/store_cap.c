/*  store_cap: the store_put family (store.h) and the WAL record they feed.
 *
 *  LMDB has no write hook, so every write of the services goes through these wrappers. In
 *  WAL mode, inside store_write, each records (db, key) of the operation; when the batch
 *  is done the record is built from the final values read back in the transaction, so a
 *  value written with MDB_RESERVE and filled afterwards is logged as it ends up. Replaying
 *  a record (puts, dels ignoring NOTFOUND, drops in order) is idempotent and gives the
 *  batch's end state. Without WAL mode each wrapper is the plain LMDB call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

enum { S_OP_PUT = 1, S_OP_DEL = 2, S_OP_DROP = 3 };

int store__buf_add(store_buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *nb = realloc(b->b, cap);
        if (!nb)
            return -ENOMEM;
        b->b = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->b + b->len, p, n);
    b->len += n;
    return 0;
}

void store__buf_free(store_buf_t *b)
{
    free(b->b);
    memset(b, 0, sizeof *b);
}

/* The store capturing this transaction's writes, or NULL (plain LMDB). */
static store_t *s_capturing(MDB_txn *txn)
{
    store_t *s = mdb_env_get_userctx(mdb_txn_env(txn));
    return s && s->capturing ? s : NULL;
}

static int s_db_index(store_t *s, MDB_dbi dbi, uint16_t *idx)
{
    if (dbi == s->main_dbi) {
        *idx = STORE_MAIN_IDX;
        return 0;
    }
    for (size_t i = 0; i < s->ndbs; i++)
        if (s->dbs[i].dbi == dbi) {
            *idx = (uint16_t)i;
            return 0;
        }
    return -EINVAL;   /* a db the store did not open: it could not be replayed */
}

/* Record one operation; a failure is kept in cap_err and fails the batch. */
static int s_capture(store_t *s, int op, MDB_dbi dbi, const MDB_val *key)
{
    uint16_t idx = 0;
    int rc = s_db_index(s, dbi, &idx);
    uint32_t klen = key ? (uint32_t)key->mv_size : 0;
    uint8_t h[7] = { (uint8_t)op, (uint8_t)(idx >> 8), (uint8_t)idx };
    store_be32(h + 3, klen);
    if (rc == 0)
        rc = store__buf_add(&s->cap, h, sizeof h);
    if (rc == 0 && klen)
        rc = store__buf_add(&s->cap, key->mv_data, klen);
    if (rc != 0 && !s->cap_err)
        s->cap_err = rc;
    return -rc;   /* LMDB's convention: a positive errno */
}

int store_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags)
{
    store_t *s = s_capturing(txn);
    int e = s ? s_capture(s, S_OP_PUT, dbi, key) : 0;
    if (e != 0)
        return e;
    return mdb_put(txn, dbi, key, data, flags);
}

int store_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
    store_t *s = s_capturing(txn);
    int e = s ? s_capture(s, S_OP_DEL, dbi, key) : 0;
    if (e != 0)
        return e;
    return mdb_del(txn, dbi, key, data);
}

int store_cursor_put(MDB_cursor *c, MDB_val *key, MDB_val *data, unsigned flags)
{
    store_t *s = s_capturing(mdb_cursor_txn(c));
    if (s) {
        MDB_val k = *key, d;
        /* MDB_CURRENT replaces the item under the cursor: log that key. */
        if ((flags & MDB_CURRENT) && mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT) != 0)
            k = *key;
        int e = s_capture(s, S_OP_PUT, mdb_cursor_dbi(c), &k);
        if (e != 0)
            return e;
    }
    return mdb_cursor_put(c, key, data, flags);
}

int store_cursor_del(MDB_cursor *c, unsigned flags)
{
    store_t *s = s_capturing(mdb_cursor_txn(c));
    if (s) {
        MDB_val k, d;
        int rc = mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT);
        if (rc != 0)
            return rc;
        if ((rc = s_capture(s, S_OP_DEL, mdb_cursor_dbi(c), &k)) != 0)
            return rc;
    }
    return mdb_cursor_del(c, flags);
}

int store_drop(MDB_txn *txn, MDB_dbi dbi, int del)
{
    store_t *s = s_capturing(txn);
    if (s) {
        if (del)
            return EINVAL;   /* the dbs of a WAL store are fixed (opts.dbs) */
        int e = s_capture(s, S_OP_DROP, dbi, NULL);
        if (e != 0)
            return e;
    }
    return mdb_drop(txn, dbi, del);
}

static MDB_dbi s_dbi(store_t *s, uint16_t idx)
{
    if (idx == STORE_MAIN_IDX)
        return s->main_dbi;
    return idx < s->ndbs ? s->dbs[idx].dbi : (MDB_dbi)-1;
}

/* The read-back's cursors, one per db: a batch's keys cluster on a few leaf pages, and a
 * cursor's MDB_SET tries the page it is on before it searches from the root (about a
 * tenth of the impact-calculator's instructions per measurement at 100 a request). */
#define S_CURSORS 8

typedef struct {
    uint16_t idx[S_CURSORS];
    MDB_cursor *c[S_CURSORS];
    int n;
} s_cursors_t;

static int s_read_back(store_t *self, MDB_txn *txn, s_cursors_t *cs, uint16_t idx,
                       MDB_val *k, MDB_val *v)
{
    int i = 0;
    while (i < cs->n && cs->idx[i] != idx)
        i++;
    if (i == cs->n && cs->n < S_CURSORS
        && mdb_cursor_open(txn, s_dbi(self, idx), &cs->c[cs->n]) == 0)
        cs->idx[cs->n++] = idx;
    if (i == cs->n)
        return mdb_get(txn, s_dbi(self, idx), k, v);   /* more dbs than cursors */
    MDB_val key = *k;
    return mdb_cursor_get(cs->c[i], &key, v, MDB_SET);
}

static int s_build(store_t *self, MDB_txn *txn, s_cursors_t *cs)
{
    self->rec.len = 0;
    const uint8_t *p = self->cap.b, *end = self->cap.b + self->cap.len;
    while (p < end) {
        uint16_t idx = (uint16_t)(p[1] << 8 | p[2]);
        uint32_t klen = store_get_be32(p + 3);
        MDB_val k = { klen, (void *)(p + 7) }, v = { 0, NULL };
        uint8_t op = p[0];
        int rc = 0;
        if (op != S_OP_DROP) {
            rc = s_read_back(self, txn, cs, idx, &k, &v);
            if (rc != 0 && rc != MDB_NOTFOUND)
                return rc;
            op = rc == 0 ? S_OP_PUT : S_OP_DEL;
        }
        uint8_t h[7] = { op, p[1], p[2] };
        store_be32(h + 3, klen);
        rc = store__buf_add(&self->rec, h, sizeof h);
        if (rc == 0)
            rc = store__buf_add(&self->rec, p + 7, klen);
        if (rc == 0 && op == S_OP_PUT) {
            uint8_t l[4];
            store_be32(l, (uint32_t)v.mv_size);
            rc = store__buf_add(&self->rec, l, sizeof l);
            if (rc == 0)
                rc = store__buf_add(&self->rec, v.mv_data, v.mv_size);
        }
        if (rc != 0)
            return rc;
        p += 7 + klen;
    }
    return 0;
}

int store__cap_build(store_t *self, MDB_txn *txn)
{
    s_cursors_t cs = { .n = 0 };
    int rc = s_build(self, txn, &cs);
    for (int i = 0; i < cs.n; i++)
        mdb_cursor_close(cs.c[i]);
    return rc;
}

int store__rec_apply(store_t *self, MDB_txn *txn, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        if (end - p < 7)
            return -EUCLEAN;
        uint8_t op = p[0];
        MDB_dbi dbi = s_dbi(self, (uint16_t)(p[1] << 8 | p[2]));
        uint32_t klen = store_get_be32(p + 3);
        p += 7;
        if (dbi == (MDB_dbi)-1 || (size_t)(end - p) < klen)
            return -EUCLEAN;
        MDB_val k = { klen, (void *)p }, v = { 0, NULL };
        p += klen;
        int rc;
        if (op == S_OP_PUT) {
            if (end - p < 4 || (size_t)(end - p - 4) < store_get_be32(p))
                return -EUCLEAN;
            v.mv_size = store_get_be32(p);
            v.mv_data = (void *)(p + 4);
            p += 4 + v.mv_size;
            rc = mdb_put(txn, dbi, &k, &v, 0);
        } else if (op == S_OP_DEL) {
            rc = mdb_del(txn, dbi, &k, NULL);
            rc = rc == MDB_NOTFOUND ? 0 : rc;
        } else if (op == S_OP_DROP) {
            rc = mdb_drop(txn, dbi, 0);
        } else {
            return -EUCLEAN;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
