/*  kpi_cursor: the cursors one feed batch keeps on kpi_meas and kpi_breakdown.
 *
 *  Why: every measurement looked its record up (mdb_get), wrote it back (mdb_put) and put
 *  one breakdown key per KPI it feeds, and each of those calls descended the B-tree from
 *  the root: a third of the aggregator's instructions at 100 measurements a request. A
 *  cursor that stays open across the batch lets LMDB try the page it is on first
 *  (mdb_cursor_set compares the key with that page's first and last key), and a batch's
 *  keys are neighbours (one buyer, one tender, consecutive ids). One cursor per KPI for the
 *  breakdown, whose keys start with the KPI.
 *
 *  Lifetime: a cursor of a write transaction dies with it (LMDB frees it at commit and
 *  abort). They are kept only between kpi_batch_begin and kpi_batch_end, which closes them
 *  while the transaction is alive; a batch that failed is aborted by its caller, and the
 *  next kpi_batch_begin forgets the pointers without touching them. Outside a batch each
 *  event closes what it opened (kpi_cursor_event_end).
 */
#include "kpi_int.h"

void kpi_cursor_forget(kpi_t *self)
{
    memset(self->cur, 0, sizeof self->cur);
    self->cur_txn = NULL;
}

void kpi_cursor_close(kpi_t *self)
{
    for (int i = 0; i < KPI_CUR_N; i++)
        if (self->cur[i])
            mdb_cursor_close(self->cur[i]);
    kpi_cursor_forget(self);
}

MDB_cursor *kpi_cursor(kpi_t *self, MDB_txn *txn, int which, int *rc)
{
    *rc = 0;
    if (self->cur_txn != txn)
        kpi_cursor_forget(self);   /* not this transaction's: never touched (see above) */
    if (self->cur[which])
        return self->cur[which];
    MDB_dbi dbi = which == KPI_CUR_MEAS ? self->meas : self->breakdown;
    if ((*rc = mdb_cursor_open(txn, dbi, &self->cur[which])) != 0) {
        self->cur[which] = NULL;
        return NULL;
    }
    self->cur_txn = txn;
    return self->cur[which];
}

void kpi_cursor_event_end(kpi_t *self)
{
    if (!self->in_batch)
        kpi_cursor_close(self);
}
