/*  store_cap: the store_put family (store.h) and the WAL record they feed.
 *
 *  LMDB has no write hook, so every write of the services goes through these wrappers. In
 *  WAL mode, inside store_write, each appends its operation to the batch's record as it
 *  happens, in the record's own format: PUT (db, key, value), DEL (db, key), DROP (db);
 *  the record is built in place in memory (store_int.h, mem), cut off again if the batch
 *  fails, and dropped once the log file has it.
 *  The key and a value in hand are copied just before the LMDB call (the caller's bytes
 *  as given: after the call a pointer into a page may have moved) and dropped again if
 *  the call fails, so a refused put (MDB_KEYEXIST under MDB_NOOVERWRITE or MDB_APPEND), a
 *  del of a missing key or any failure leaves nothing in the record. A value written with
 *  MDB_RESERVE is not known at the put: its room in the record is copied from the
 *  reserved space at the next write or at the batch's end, which is as late as lmdb.h
 *  lets the caller fill it ("before the next update operation or the transaction ends")
 *  and as late as the pointer holds. MDB_CURRENT logs the key under the cursor.
 *
 *  Replaying a record applies the operations in the order they succeeded (puts, dels
 *  ignoring NOTFOUND, drops), so it gives the batch's end state also when a key is put
 *  twice, put then deleted or deleted then put; replaying it again changes nothing more.
 *  Nothing is read back at the end: that read-back (a key search per operation) was
 *  about a tenth of the impact-calculator's CPU at 100 measurements a request. Dbs with
 *  duplicates (MDB_DUPSORT) are refused in WAL mode (store_walmode.c): one key, many
 *  values would need the data in DEL. Without WAL mode each wrapper is the plain LMDB
 *  call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

enum { S_OP_PUT = 1, S_OP_DEL = 2, S_OP_DROP = 3 };

/* n more bytes at the buffer's end, uninitialised; NULL: no memory. */
static uint8_t *s_room(store_buf_t *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *nb = realloc(b->b, cap);
        if (!nb)
            return NULL;
        b->b = nb;
        b->cap = cap;
    }
    uint8_t *p = b->b + b->len;
    b->len += n;
    return p;
}

int store__buf_add(store_buf_t *b, const void *p, size_t n)
{
    uint8_t *d = s_room(b, n);
    if (!d)
        return -ENOMEM;
    if (n)
        memcpy(d, p, n);
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

/* The last MDB_RESERVE put's value, now final (a write is about to happen, or the batch
 * is done), copied into the room the record kept for it. */
static void s_settle(store_t *s)
{
    if (!s->res_ptr)
        return;
    if (s->res_len)
        memcpy(s->mem.b + s->res_at, s->res_ptr, s->res_len);
    s->res_ptr = NULL;
}

/* Append [op][db][klen][key] and, for a put, [vlen] and the value (or room for it when
 * reserve), before the LMDB call; *mark: where to cut it off again if the call fails.
 * A failure (memory, a db the store did not open) is kept in cap_err and fails the
 * batch; returned as LMDB does, a positive errno. */
static int s_record(store_t *s, int op, MDB_dbi dbi, const MDB_val *key, const MDB_val *val,
                    bool reserve, size_t *mark)
{
    s_settle(s);
    *mark = s->mem.len;
    uint16_t idx = 0;
    int rc = s_db_index(s, dbi, &idx);
    uint32_t klen = key ? (uint32_t)key->mv_size : 0;
    size_t vlen = op == S_OP_PUT ? val->mv_size : 0;
    uint8_t *p = rc == 0 ? s_room(&s->mem, 7 + klen + (op == S_OP_PUT ? 4 + vlen : 0)) : NULL;
    if (!p) {
        rc = rc ? rc : -ENOMEM;
        s->mem.len = *mark;
        if (!s->cap_err)
            s->cap_err = rc;
        return -rc;
    }
    p[0] = (uint8_t)op;
    p[1] = (uint8_t)(idx >> 8);
    p[2] = (uint8_t)idx;
    store_be32(p + 3, klen);
    if (klen)
        memcpy(p + 7, key->mv_data, klen);
    if (op != S_OP_PUT)
        return 0;
    store_be32(p + 7 + klen, (uint32_t)vlen);
    if (!reserve && vlen)
        memcpy(p + 11 + klen, val->mv_data, vlen);
    return 0;
}

/* After the LMDB call: keep the operation if it succeeded, else cut it off. */
static int s_done(store_t *s, int rc, size_t mark)
{
    if (rc != 0)
        s->mem.len = mark;
    return rc;
}

/* A successful MDB_RESERVE put: its value is copied at the next s_settle. */
static void s_reserved(store_t *s, const MDB_val *data)
{
    s->res_at = s->mem.len - data->mv_size;
    s->res_len = data->mv_size;
    s->res_ptr = data->mv_data ? data->mv_data : (void *)"";
}

int store_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags)
{
    store_t *s = s_capturing(txn);
    if (!s)
        return mdb_put(txn, dbi, key, data, flags);
    size_t mark;
    bool reserve = flags & MDB_RESERVE;
    int rc = s_record(s, S_OP_PUT, dbi, key, data, reserve, &mark);
    if (rc == 0)
        rc = s_done(s, mdb_put(txn, dbi, key, data, flags), mark);
    if (rc == 0 && reserve)
        s_reserved(s, data);
    return rc;
}

int store_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
    store_t *s = s_capturing(txn);
    if (!s)
        return mdb_del(txn, dbi, key, data);
    size_t mark;
    int rc = s_record(s, S_OP_DEL, dbi, key, NULL, false, &mark);
    return rc ? rc : s_done(s, mdb_del(txn, dbi, key, data), mark);
}

int store_cursor_put(MDB_cursor *c, MDB_val *key, MDB_val *data, unsigned flags)
{
    store_t *s = s_capturing(mdb_cursor_txn(c));
    if (!s)
        return mdb_cursor_put(c, key, data, flags);
    MDB_val k = *key, d;
    /* MDB_CURRENT replaces the item under the cursor: log that key. */
    if ((flags & MDB_CURRENT) && mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT) != 0)
        k = *key;
    size_t mark;
    bool reserve = flags & MDB_RESERVE;
    int rc = s_record(s, S_OP_PUT, mdb_cursor_dbi(c), &k, data, reserve, &mark);
    if (rc == 0)
        rc = s_done(s, mdb_cursor_put(c, key, data, flags), mark);
    if (rc == 0 && reserve)
        s_reserved(s, data);
    return rc;
}

int store_cursor_del(MDB_cursor *c, unsigned flags)
{
    store_t *s = s_capturing(mdb_cursor_txn(c));
    if (!s)
        return mdb_cursor_del(c, flags);
    MDB_val k, d;
    size_t mark;
    int rc = mdb_cursor_get(c, &k, &d, MDB_GET_CURRENT);
    if (rc == 0)
        rc = s_record(s, S_OP_DEL, mdb_cursor_dbi(c), &k, NULL, false, &mark);
    return rc ? rc : s_done(s, mdb_cursor_del(c, flags), mark);
}

int store_drop(MDB_txn *txn, MDB_dbi dbi, int del)
{
    store_t *s = s_capturing(txn);
    if (!s)
        return mdb_drop(txn, dbi, del);
    if (del)
        return EINVAL;   /* the dbs of a WAL store are fixed (opts.dbs) */
    size_t mark;
    int rc = s_record(s, S_OP_DROP, dbi, NULL, NULL, false, &mark);
    return rc ? rc : s_done(s, mdb_drop(txn, dbi, del), mark);
}

void store__cap_begin(store_t *self)
{
    self->cap_at = self->mem.len;
    self->cap_err = s_room(&self->mem, 4) ? 0 : -ENOMEM;   /* its length, at the end */
    self->res_ptr = NULL;
    self->capturing = true;
}

void store__cap_end(store_t *self, bool keep)
{
    self->capturing = false;
    if (!keep) {
        self->mem.len = self->cap_at;   /* the batch is undone: nothing of it is kept */
        return;
    }
    s_settle(self);
    store_be32(self->mem.b + self->cap_at, (uint32_t)(self->mem.len - self->cap_at - 4));
}

static MDB_dbi s_dbi(store_t *s, uint16_t idx)
{
    if (idx == STORE_MAIN_IDX)
        return s->main_dbi;
    return idx < s->ndbs ? s->dbs[idx].dbi : (MDB_dbi)-1;
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
