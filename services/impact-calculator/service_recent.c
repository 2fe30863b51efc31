/*  impact service: the "recent" index, the buyer's measurements latest recorded first.
 *
 *  db "recent": buyer\0 be64(seq) -> measurement id, seq = the outbox seq of the event of the
 *  current revision (so the order is the order in which the figures moved). A correction or
 *  withdrawal moves its entry: the old key is deleted, so the index holds one key per
 *  measurement and a listing reads exactly `offset + limit` keys, whatever the history. */
#include "service_int.h"

#include <errno.h>
#include <string.h>

#include "mvoi_error.h"
#include "store.h"
#include "store_undecodable.h"

static size_t
s_key(uint8_t *k, const char *buyer, uint64_t seq)
{
    size_t bl = strlen(buyer) + 1;
    memcpy(k, buyer, bl);
    store_be64(k + bl, seq);
    return bl + 8;
}

int
impact_svc_recent_put(impact_svc_t *self, MDB_txn *txn, uint64_t old_seq, uint64_t seq,
                      Mvoi__MeasurementRecord *rec, const impact_svc_enc_t *enc)
{
    const Mvoi__Measurement *m = rec->measurement;
    uint8_t k[IMPACT_SVC_KEY_MAX];
    size_t kl;
    MDB_val key, val;
    int rc;
    if (!seq || strlen(m->buyer) + 9 > IMPACT_SVC_KEY_MAX)
        goto record;
    if (old_seq) {
        key = (MDB_val){ s_key(k, m->buyer, old_seq), k };
        rc = store_del(txn, self->recent, &key, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
    }
    key = (MDB_val){ s_key(k, m->buyer, seq), k };
    val = (MDB_val){ strlen(m->id), (void *) m->id };
    if ((rc = impact_svc_put(self, txn, IMPACT_CUR_RECENT, &key, &val, 0)) != 0)
        return rc;
    /* the record carries its seq (to move its key later) and when it was stored */
    rec->has_seq = 1;
    rec->seq = seq;
    rec->has_recorded_ms = 1;
    rec->recorded_ms = outbox_write_ms(self->outbox);   /* its event's ts_unix_ms */
record:
    /* The record is written here, once, after its seq is known: packing it before the
     * event and again with the seq was a third of the submit path's protobuf work. */
    kl = impact_svc_key(k, sizeof k, m->buyer, m->id, NULL);
    if (enc)
        return impact_svc_put_record_enc(self, txn, k, kl, rec, enc);
    return impact_svc_put_msg(txn, self->measurements, k, kl, &rec->base);
}

int
impact_svc_list_recent(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *buyer,
                       uint32_t offset, uint32_t limit, Mvoi__MeasurementList *out)
{
    uint8_t k[IMPACT_SVC_KEY_MAX], mk[IMPACT_SVC_KEY_MAX];
    size_t bl = strlen(buyer) + 1;
    if (bl + 8 > IMPACT_SVC_KEY_MAX)
        return 0;
    size_t kl = s_key(k, buyer, UINT64_MAX);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, self->recent, &c);
    if (rc != 0)
        return rc;
    MDB_val key = { kl, k }, v;
    /* the last key of this buyer: at or before buyer\0 ff..ff */
    rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
    if (rc == 0 && !(key.mv_size == kl && memcmp(key.mv_data, k, kl) == 0))
        rc = mdb_cursor_get(c, &key, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c, &key, &v, MDB_LAST);
    uint32_t seen = 0;
    while (rc == 0 && key.mv_size == kl && memcmp(key.mv_data, buyer, bl) == 0) {
        if (seen >= offset) {
            if (out->n_records == limit) {
                out->has_next_offset = 1;
                out->next_offset = offset + limit;
                break;
            }
            if (bl + v.mv_size > sizeof mk) {   /* no id we wrote: a page short of one */
                store_log_missing("recent", "measurement", key.mv_data, key.mv_size);
                rc = MVOI_E_UNDECODABLE;
                break;
            }
            memcpy(mk, buyer, bl);
            memcpy(mk + bl, v.mv_data, v.mv_size);
            MDB_val rk = { bl + v.mv_size, mk }, rv;
            if ((rc = mdb_get(txn, self->measurements, &rk, &rv)) != 0) {
                /* an index key without its record: refused by name, never a short page
                 * answered as the whole (MDB_NOTFOUND ended the loop as "no more") */
                if (rc == MDB_NOTFOUND) {
                    store_log_missing("recent", "measurement", rk.mv_data, rk.mv_size);
                    rc = MVOI_E_UNDECODABLE;
                }
                break;
            }
            Mvoi__MeasurementRecord *r = (Mvoi__MeasurementRecord *) impact_svc_unpack_req(
                req, &mvoi__measurement_record__descriptor, &rv, &rc);
            if (!r) {   /* named (health counts it), not a page short; -ENOMEM as such */
                if (rc == MVOI_E_UNDECODABLE)
                    store_log_undecodable("measurement", rk.mv_data, rk.mv_size);
                break;
            }
            out->records[out->n_records++] = r;
        }
        seen++;
        rc = mdb_cursor_get(c, &key, &v, MDB_PREV);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}
