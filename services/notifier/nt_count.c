/*  nt_count: how many copies are dead letters, unconfirmed and retrying (and due reminders
 *  records that do not decode, "n_undecodable", nt_damaged.c), kept in "nmeta"
 *  ("n_dead", "n_unconfirmed", "n_retrying", 8 bytes big-endian) by nt_store_put in the same
 *  transaction that sets or leaves the state, so the figure in HealthReply (and the
 *  gateway's /metrics and its alert) is never out of step with `mvoictl reminders list
 *  --state dead`. Data of a version without the counters is counted once at start
 *  ("counted" = 1 for dead/unconfirmed; "counted_retrying" = 1 for retrying, a separate
 *  marker because stores that already have "counted" never counted RETRYING). */
#include "nt_service_int.h"

#include <string.h>

static const char *s_key(Mvoi__DeliveryState st)
{
    return st == ST(DEAD) ? "n_dead" : st == ST(UNCONFIRMED) ? "n_unconfirmed"
         : st == ST(RETRYING) ? "n_retrying" : NULL;
}

static int s_get(nt_service_t *s, MDB_txn *txn, const char *key, uint64_t *out)
{
    MDB_val k = { strlen(key), (void *)key }, v;
    int rc = mdb_get(txn, s->nmeta, &k, &v);
    *out = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size == 8)
        *out = store_get_be64(v.mv_data);
    return 0;
}

static int s_add(nt_service_t *s, MDB_txn *txn, const char *key, int64_t delta)
{
    uint64_t n;
    int rc = s_get(s, txn, key, &n);
    if (rc)
        return rc;
    n = delta < 0 && (uint64_t)-delta > n ? 0 : (uint64_t)((int64_t)n + delta);
    uint8_t b[8];
    store_be64(b, n);
    MDB_val k = { strlen(key), (void *)key }, v = { 8, b };
    return store_put(txn, s->nmeta, &k, &v, 0);
}

int nt_count_change(nt_service_t *s, MDB_txn *txn, int old_state, Mvoi__DeliveryState now)
{
    if (old_state == (int)now)
        return 0;
    const char *from = old_state >= 0 ? s_key((Mvoi__DeliveryState)old_state) : NULL;
    const char *to = s_key(now);
    int rc = from ? s_add(s, txn, from, -1) : 0;
    return rc || !to ? rc : s_add(s, txn, to, 1);
}

/* Every reminder whose state is one of want[0..n): how many in each. */
static int s_scan(nt_service_t *s, MDB_txn *txn, const Mvoi__DeliveryState *want, int n,
                  uint64_t *out)
{
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, s->rem, &c);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Mvoi__Reminder *r = mvoi__reminder__unpack(NULL, v.mv_size, v.mv_data);
        if (!r)
            continue;   /* its state is unknown: not counted here; nt_damaged.c, which runs
                         * in the same start-up, logs it and health counts it undecodable */
        for (int i = 0; i < n; i++)
            out[i] += r->state == want[i];
        mvoi__reminder__free_unpacked(r, NULL);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Stores of the version that counted dead and unconfirmed copies but not retrying ones
 * have "counted" and no "counted_retrying": count RETRYING once. */
static int s_init_retrying(nt_service_t *s, MDB_txn *txn)
{
    MDB_val ck = { 16, "counted_retrying" }, v;
    int rc = mdb_get(txn, s->nmeta, &ck, &v);
    if (rc != MDB_NOTFOUND)
        return rc;
    Mvoi__DeliveryState want = ST(RETRYING);
    uint64_t n = 0;
    if ((rc = s_scan(s, txn, &want, 1, &n)))
        return rc;
    uint8_t b[8];
    store_be64(b, n);
    MDB_val rk = { 10, "n_retrying" }, rv = { 8, b }, one = { 1, "1" };
    if ((rc = store_put(txn, s->nmeta, &rk, &rv, 0)))
        return rc;
    return store_put(txn, s->nmeta, &ck, &one, 0);
}

int nt_count_init(nt_service_t *s, MDB_txn *txn)
{
    int rc = s_init_retrying(s, txn);
    if (rc)
        return rc;
    MDB_val ck = { 7, "counted" }, v;
    rc = mdb_get(txn, s->nmeta, &ck, &v);
    if (rc != MDB_NOTFOUND)
        return rc;
    Mvoi__DeliveryState want[2] = { ST(DEAD), ST(UNCONFIRMED) };
    uint64_t n[2] = { 0, 0 };
    if ((rc = s_scan(s, txn, want, 2, n)))
        return rc;
    uint8_t b1[8], b2[8];
    store_be64(b1, n[0]);
    store_be64(b2, n[1]);
    MDB_val dk = { 6, "n_dead" }, dv = { 8, b1 }, uk = { 13, "n_unconfirmed" }, uv = { 8, b2 };
    MDB_val one = { 1, "1" };
    if ((rc = store_put(txn, s->nmeta, &dk, &dv, 0)) || (rc = store_put(txn, s->nmeta, &uk, &uv, 0)))
        return rc;
    return store_put(txn, s->nmeta, &ck, &one, 0);
}

int nt_count_undecodable(nt_service_t *s, MDB_txn *txn)
{
    return s_add(s, txn, "n_undecodable", 1);
}

int nt_count_undecodable_set(nt_service_t *s, MDB_txn *txn, uint64_t n)
{
    uint8_t b[8];
    store_be64(b, n);
    MDB_val k = { 13, "n_undecodable" }, v = { 8, b };
    return store_put(txn, s->nmeta, &k, &v, 0);
}

typedef struct {
    nt_service_t *s;
    uint64_t dead, unconfirmed, retrying, undecodable;
} s_read_t;

static int s_read_txn(MDB_txn *txn, void *arg)
{
    s_read_t *r = arg;
    int rc = s_get(r->s, txn, "n_dead", &r->dead);
    if (rc == 0)
        rc = s_get(r->s, txn, "n_unconfirmed", &r->unconfirmed);
    if (rc == 0)
        rc = s_get(r->s, txn, "n_undecodable", &r->undecodable);
    return rc ? rc : s_get(r->s, txn, "n_retrying", &r->retrying);
}

void nt_count_health(void *arg, Mvoi__HealthReply *h)
{
    s_read_t r = { arg, 0, 0, 0, 0 };
    if (store_read(((nt_service_t *)arg)->store, s_read_txn, &r) != 0)
        return;   /* the figures are left out rather than reported as 0 */
    h->has_dead_letters = h->has_unconfirmed_deliveries = h->has_retrying_deliveries = true;
    h->dead_letters = r.dead;
    h->unconfirmed_deliveries = r.unconfirmed;
    h->retrying_deliveries = r.retrying;
    /* The records that do not decode now (nt_damaged.c counts them at start; a due one
     * damaged since is added when the pick drops it, nt_deliver.c s_drop_due), not events:
     * the server's own count of answers refused for them is replaced, not added to, since
     * every list refused for the same record (nt_api.c) would count it once more, and a
     * count that never goes down does not tell an operator whether the repair took. */
    h->has_undecodable_records = true;
    h->undecodable_records = r.undecodable;
}
