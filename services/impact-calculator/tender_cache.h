/*  tender_cache: the projected tenders one write transaction has read, kept for the rest of
 *  it.
 *
 *  Every measurement names its tender, and storing it needs the tender (known? cancelled?
 *  its purchasing group for the event): an LMDB lookup and an unpack of the whole projected
 *  tender. A request of many measurements of one tender did that once per request; at one
 *  measurement per request it was once per measurement (4 % of the service). The commands
 *  of a batch share one write transaction, and none of them writes the projection (only the
 *  calendar feed does, in transactions of its own), so a tender read once is the same for
 *  the rest of that transaction.
 *
 *  Bound to the transaction by its id (mdb_txn_id): a write transaction starts from the
 *  state its id - 1 committed, so two with the same id (one aborted, one rerun) see the same
 *  tenders, and any commit in between gives the next one a new id. A projection write
 *  clears the cache as well. Keyed by buyer and tender id: two buyers' tenders of the same
 *  id are two entries. Not thread-safe (the loop's).
 */
#ifndef MVOI_IMPACT_TENDER_CACHE_H
#define MVOI_IMPACT_TENDER_CACHE_H

#include <lmdb.h>

#include "calendar.pb-c.h"

typedef struct impact_tcache impact_tcache_t;

impact_tcache_t *impact_tcache_new(void);
void impact_tcache_destroy(impact_tcache_t **self_p);

/* The tender buyer/id of db `tenders` as txn (a write transaction) sees it; NULL when it is
 * not there (*rc 0), on an LMDB error (*rc: its code), when its bytes are no Tender (*rc
 * MVOI_E_UNDECODABLE, logged by buyer and id) or memory ran out (*rc -ENOMEM). Valid until the next get or clear:
 * a transaction that reads more tenders than the cache keeps starts it again. */
const Mvoi__Tender *impact_tcache_get(impact_tcache_t *self, MDB_txn *txn, MDB_dbi tenders,
                                      const char *buyer, const char *id, int *rc);
/* Forget everything (the projection was written). */
void impact_tcache_clear(impact_tcache_t *self);
/* Lookups that had to read the store (misses), for tests. */
unsigned long impact_tcache_reads(const impact_tcache_t *self);

#endif
