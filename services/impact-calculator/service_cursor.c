/*  impact service: the cursors of one SubmitMeasurements with many measurements.
 *
 *  Each measurement of a submit reads its record key and writes three keys (the record,
 *  its by-tender and its recent index entry). Through mdb_get/mdb_put every one of those
 *  descends its B-tree from the root, and inside the batch's nested transaction each page
 *  on the way is looked up in the dirty lists (mdb_mid2l_search): a third of the submit's
 *  LMDB work at 100 measurements a request. The measurements of one request mostly land
 *  on the same leaf page of each db (one buyer, one tender, ids and seqs in order), and an
 *  LMDB cursor that is already on the right page searches only that page. So a request of
 *  more than one measurement keeps one cursor per db for its duration; a request of one
 *  would pay the opening and gain nothing, and keeps the plain calls.
 *
 *  The writes still go through the store_put family (store_cursor_put), so the write-ahead
 *  log sees them. The cursors belong to the handler's transaction and are closed before
 *  the handler returns, on every path (impact_svc_on_submit).
 */
#include "service_int.h"

static MDB_dbi s_dbi(const impact_svc_t *self, impact_cur_t which)
{
    switch (which) {
    case IMPACT_CUR_BYTENDER:
        return self->bytender;
    case IMPACT_CUR_RECENT:
        return self->recent;
    default:
        return self->measurements;
    }
}

void impact_svc_cursors_begin(impact_svc_t *self, MDB_txn *txn, size_t items)
{
    self->cur_txn = items > 1 ? txn : NULL;
}

void impact_svc_cursors_end(impact_svc_t *self)
{
    for (int i = 0; i < IMPACT_CUR_N; i++)
        if (self->cur[i]) {
            mdb_cursor_close(self->cur[i]);
            self->cur[i] = NULL;
        }
    self->cur_txn = NULL;
}

/* The scope's cursor on which, opened on first use; NULL outside a scope (or for another
 * transaction), and when it cannot be opened: the caller then uses the plain call. */
static MDB_cursor *s_cursor(impact_svc_t *self, MDB_txn *txn, impact_cur_t which)
{
    if (!self->cur_txn || self->cur_txn != txn)
        return NULL;
    if (!self->cur[which] && mdb_cursor_open(txn, s_dbi(self, which), &self->cur[which]) != 0)
        self->cur[which] = NULL;
    return self->cur[which];
}

int impact_svc_put(impact_svc_t *self, MDB_txn *txn, impact_cur_t which, MDB_val *key,
                   MDB_val *val, unsigned flags)
{
    MDB_cursor *c = s_cursor(self, txn, which);
    if (c)
        return store_cursor_put(c, key, val, flags);
    return store_put(txn, s_dbi(self, which), key, val, flags);
}

int impact_svc_get(impact_svc_t *self, MDB_txn *txn, impact_cur_t which, MDB_val *key,
                   MDB_val *val)
{
    MDB_cursor *c = s_cursor(self, txn, which);
    if (!c)
        return mdb_get(txn, s_dbi(self, which), key, val);
    MDB_val k = *key;   /* MDB_SET leaves the caller's key as it was; so does this */
    return mdb_cursor_get(c, &k, val, MDB_SET);
}
