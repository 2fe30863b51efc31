/*  nt_store: the notifier's reminder records in LMDB and their indexes (see nt_service.h for
 *  the databases): every write of a reminder keeps "due", "sending" and "bytender" in step. */
#include "mvoi_contract.h"
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "pbjson.h"
#include "store.h"

bool nt_store_active(Mvoi__DeliveryState st) { return st == ST(SCHEDULED) || st == ST(RETRYING); }
bool nt_store_final(Mvoi__DeliveryState st)
{
    return st == ST(SENT) || st == ST(DEAD) || st == ST(CANCELLED) || st == ST(UNCONFIRMED);
}

static int64_t s_index_time(const Mvoi__Reminder *r)
{
    return r->has_next_attempt_ms ? r->next_attempt_ms : r->due_ms;
}

/* The due index's key: the time (8 bytes, big-endian) and the whole id. An id that does not
 * fit (cap, or LMDB's 511-byte key) is -ENAMETOOLONG: a key cut short would name another
 * record, or none, and its entry would stay behind. */
static int s_due_key(uint8_t *buf, size_t cap, int64_t t, const char *id, MDB_val *out)
{
    size_t n = strlen(id);
    if (n > cap - 8 || 8 + n > 511)
        return -ENAMETOOLONG;
    store_be64s(buf, t);
    memcpy(buf + 8, id, n);
    *out = (MDB_val){ 8 + n, buf };
    return 0;
}

/* buyer NUL tender [NUL id]: the tender's records of one buyer are one key range. */
static int s_scope_key(char *buf, size_t cap, const char *buyer, const char *tender,
                       const char *id, MDB_val *out)
{
    size_t bl = strlen(buyer ? buyer : ""), tl = strlen(tender ? tender : "");
    size_t il = id ? strlen(id) + 1 : 0;
    if (bl + 1 + tl + il > cap || bl + 1 + tl + il > 511)
        return -ENAMETOOLONG;
    memcpy(buf, buyer ? buyer : "", bl);
    buf[bl] = 0;
    memcpy(buf + bl + 1, tender ? tender : "", tl);
    if (id) {
        buf[bl + 1 + tl] = 0;
        memcpy(buf + bl + 2 + tl, id, il - 1);
    }
    *out = (MDB_val){ bl + 1 + tl + il, buf };
    return 0;
}

bool nt_store_id_fits(const char *buyer, const char *tender, const char *id)
{
    char kb[512];
    MDB_val k;
    return mvoi_id_check_str(MVOI_ID_REMINDER, id, NULL, 0) == 0 &&
           s_scope_key(kb, sizeof kb, buyer, tender, id, &k) == 0;
}

int nt_store_tender_key(char *buf, size_t cap, const char *buyer, const char *tender,
                        MDB_val *out)
{
    return s_scope_key(buf, cap, buyer, tender, NULL, out);
}

/* protobuf-c's unpack answers NULL for bytes that are no Reminder and for an allocation
 * that failed alike; codec_unpack_stored tells the two apart: a record taken for
 * undecodable (-EIO here) leaves the due index (nt_deliver.c), which a passing shortage of
 * memory must not do to a good one. */
int nt_store_unpack(const MDB_val *v, Mvoi__Reminder **out)
{
    int rc;
    *out = (Mvoi__Reminder *)codec_unpack_stored(&mvoi__reminder__descriptor, NULL, v->mv_data,
                                                 v->mv_size, &rc);
    return rc == MVOI_E_UNDECODABLE ? -EIO : rc;
}

int nt_store_get(nt_service_t *s, MDB_txn *txn, const char *id, Mvoi__Reminder **out)
{
    MDB_val k = { strlen(id), (void *)id }, v;
    *out = NULL;
    int rc = mdb_get(txn, s->rem, &k, &v);
    return rc ? rc : nt_store_unpack(&v, out);
}

int nt_store_has_due(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r)
{
    uint8_t kb[600];
    MDB_val dk, v;
    int rc = s_due_key(kb, sizeof kb, s_index_time(r), r->id, &dk);
    if (rc)
        return rc;
    rc = mdb_get(txn, s->due, &dk, &v);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : rc;
}

int nt_store_put(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r)
{
    uint8_t kb[512];
    /* the one rule for a reminder id, here where every record is written: nothing is
     * stored under an id the door would refuse (the transaction fails whole) */
    if (strlen(r->id) > NT_STORE_ID_MAX)
        return -ENAMETOOLONG;
    if (mvoi_id_check_str(MVOI_ID_REMINDER, r->id, NULL, 0))
        return -EINVAL;
    MDB_val k = { strlen(r->id), r->id }, v;
    Mvoi__Reminder *old = NULL;
    int rc = nt_store_get(s, txn, r->id, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if ((rc = nt_count_change(s, txn, old ? (int)old->state : -1, r->state))) {
        mvoi__reminder__free_unpacked(old, NULL);
        return rc;
    }
    if (old) {
        MDB_val dk;
        if (nt_store_active(old->state) &&
            (rc = s_due_key(kb, sizeof kb, s_index_time(old), old->id, &dk)) == 0)
            store_del(txn, s->due, &dk, NULL);
        if (old->state == ST(SENDING))
            store_del(txn, s->sending, &k, NULL);
        mvoi__reminder__free_unpacked(old, NULL);
        if (rc)
            return rc;
    }
    size_t len = mvoi__reminder__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    mvoi__reminder__pack(r, buf);
    v = (MDB_val){ len, buf };
    rc = store_put(txn, s->rem, &k, &v, 0);
    free(buf);
    if (rc)
        return rc;
    MDB_val empty = { 0, "" };
    if (nt_store_active(r->state)) {
        MDB_val dk;
        if ((rc = s_due_key(kb, sizeof kb, s_index_time(r), r->id, &dk)) ||
            (rc = store_put(txn, s->due, &dk, &empty, 0)))
            return rc;
    }
    if (r->state == ST(SENDING) && (rc = store_put(txn, s->sending, &k, &empty, 0)))
        return rc;
    char bb[600];
    MDB_val bk;
    if ((rc = s_scope_key(bb, sizeof bb, r->buyer, r->tender_id, r->id, &bk)))
        return rc;
    return store_put(txn, s->bytender, &bk, &empty, 0);
}

int nt_store_del(nt_service_t *s, MDB_txn *txn, const char *id)
{
    Mvoi__Reminder *old = NULL;
    int rc = nt_store_get(s, txn, id, &old);
    if (rc)
        return rc;
    uint8_t kb[600];
    char bb[700];
    MDB_val k = { strlen(id), (void *)id }, bk;
    MDB_val dk;
    if (nt_store_active(old->state) &&
        (rc = s_due_key(kb, sizeof kb, s_index_time(old), id, &dk)) == 0)
        store_del(txn, s->due, &dk, NULL);
    if (rc) {   /* its due entry cannot be named: the record stays, the transaction fails */
        mvoi__reminder__free_unpacked(old, NULL);
        return rc;
    }
    if (old->state == ST(SENDING))
        store_del(txn, s->sending, &k, NULL);
    if (s_scope_key(bb, sizeof bb, old->buyer, old->tender_id, id, &bk) == 0)
        store_del(txn, s->bytender, &bk, NULL);
    rc = nt_count_change(s, txn, (int)old->state, (Mvoi__DeliveryState)-1);
    mvoi__reminder__free_unpacked(old, NULL);
    return rc ? rc : store_del(txn, s->rem, &k, NULL);
}

int nt_store_emit(nt_service_t *s, MDB_txn *txn, const char *topic, Mvoi__Reminder *r)
{
    Mvoi__ReminderEvent re = MVOI__REMINDER_EVENT__INIT;
    re.reminder = r;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_REMINDER_EVENT;
    ev.reminder_event = &re;
    ev.buyer = r->buyer;
    return server_emit_txn(s->server, txn, topic, &ev, NULL, NULL, NULL);
}

const char *nt_store_kind_name(Mvoi__ReminderKind k)
{
    const char *n = pbjson_enum_short(&mvoi__reminder_kind__descriptor, (int)k);
    return n ? n : "unknown";
}

int nt_store_load_tender(nt_service_t *s, MDB_txn *txn, const char *buyer, const char *id,
                         Mvoi__NotifierTender **out)
{
    char kb[512];
    MDB_val k, v;
    *out = NULL;
    int rc = nt_store_tender_key(kb, sizeof kb, buyer, id, &k);
    if (rc)
        return rc;
    rc = mdb_get(txn, s->tenders, &k, &v);
    if (rc)
        return rc;
    *out = (Mvoi__NotifierTender *)codec_unpack_stored(&mvoi__notifier_tender__descriptor, NULL,
                                                       v.mv_data, v.mv_size, &rc);
    return rc == MVOI_E_UNDECODABLE ? -EIO : rc;
}

int nt_store_save_tender(nt_service_t *s, MDB_txn *txn, const Mvoi__NotifierTender *nt)
{
    size_t len = mvoi__notifier_tender__get_packed_size(nt);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    mvoi__notifier_tender__pack(nt, buf);
    char kb[512];
    MDB_val k, v = { len, buf };
    int rc = nt_store_tender_key(kb, sizeof kb, nt->tender->buyer, nt->tender->id, &k);
    if (!rc)
        rc = store_put(txn, s->tenders, &k, &v, 0);
    free(buf);
    return rc;
}

/* Calls fn for every reminder of a tender (ids collected first, so fn may write). */
int nt_store_each_of_tender(nt_service_t *s, MDB_txn *txn, const char *buyer,
                            const char *tender, nt_store_each_fn *fn, void *arg)
{
    char kb[600];
    MDB_val k, v;
    int rc = s_scope_key(kb, sizeof kb, buyer, tender, "", &k);
    if (rc)
        return rc;
    size_t pl = k.mv_size;   /* buyer NUL tender NUL */
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, s->bytender, &c)))
        return rc;
    char **ids = NULL;
    size_t n = 0, cap = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < pl || memcmp(k.mv_data, kb, pl) != 0)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(ids, cap * sizeof *ids);
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            ids = p;
        }
        ids[n++] = strndup((char *)k.mv_data + pl, k.mv_size - pl);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) {
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        return rc;
    }
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        Mvoi__Reminder *r = NULL;
        if (rc == 0 && nt_store_get(s, txn, ids[i], &r) == 0) {
            rc = fn(s, txn, r, arg);
            mvoi__reminder__free_unpacked(r, NULL);
        }
        free(ids[i]);
    }
    free(ids);
    return rc;
}

/* Replace an unpacked reminder's last_error (freed with the message). */
void nt_store_set_error(Mvoi__Reminder *r, const char *why)
{
    free(r->last_error);
    r->last_error = why ? strdup(why) : NULL;
}

int nt_store_cancel(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const char *why)
{
    r->state = ST(CANCELLED);
    nt_store_set_error(r, why);
    r->has_next_attempt_ms = false;
    int rc = nt_store_put(s, txn, r);
    return rc ? rc : nt_store_emit(s, txn, mvoi_topic_notify(MVOI_NOTIFY_CANCELLED), r);
}
