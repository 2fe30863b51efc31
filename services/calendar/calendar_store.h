/* calendar_store: the calendar's tenders in LMDB.
 *
 * Databases (open them with the store: CALENDAR_STORE_DBS):
 *  - "tenders":     key buyer '\0' id                 -> packed Mvoi__Tender (the whole tender)
 *  - "tenders_pub": key buyer '\0' date[10] id        -> summary (status, procedure, themes,
 *                   purchasing group, project leader): the list/upcoming index, ordered like
 *                   tender_query_compare (planned publication, then id; no date sorts last, as
 *                   "~~~~~~~~~~"). Lists and upcoming scan this index and filter on the summary
 *                   with tender_query_matches; only the tenders of the requested page are read
 *                   from "tenders" and unpacked, so a page costs one index scan of the buyer
 *                   (or of the year/quarter range) plus `limit` gets.
 * Every function runs inside the caller's transaction. Returns 0, -ENOENT, -EINVAL for a key
 * that cannot be stored, or a raw LMDB code (pass it up from a server handler). */
#ifndef CALENDAR_STORE_H
#define CALENDAR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>

#include "calendar.pb-c.h"
#include "store.h"

#define CALENDAR_STORE_DBS "tenders", "tenders_pub"

typedef struct {
    MDB_dbi tenders;
    MDB_dbi by_pub;
} calendar_store_t;

/* Look up the dbis of a store opened with CALENDAR_STORE_DBS; -ENOENT if missing. */
int calendar_store_init(calendar_store_t *cs, store_t *store);

/* The packed tender (points into the map: valid until the transaction ends or writes). */
int calendar_store_get(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                       const char *id, MDB_val *packed);

/* Store t (packed = its encoding) and keep the index right; old is the previous version
 * (NULL when new) so that its index entry can be removed. */
int calendar_store_put(const calendar_store_t *cs, MDB_txn *txn, const Mvoi__Tender *t,
                       const void *packed, size_t len, const Mvoi__Tender *old);

/* Visit packed tenders in index order. Return non-zero from fn to stop (returned); a list's
 * fn returning MVOI_E_UNDECODABLE (a record it cannot decode) has the tender's buyer and id
 * logged. */
typedef int (calendar_store_fn)(void *arg, const MDB_val *packed);

/* ListTenders over one buyer: every index entry in range is matched against q (checked by
 * tender_query_check); matches number `total`; those in [offset, offset+limit) go to fn. */
int calendar_store_list(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                        const Mvoi__ListTenders *q, uint32_t offset, uint32_t limit,
                        calendar_store_fn *fn, void *arg, uint32_t *total);

/* Upcoming: not yet published (status < published), planned publication in [from, to]
 * (valid ISO dates), at most limit to fn; *total counts every match. */
int calendar_store_upcoming(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                            const char *from, const char *to, uint32_t limit,
                            calendar_store_fn *fn, void *arg, uint32_t *total);

/* Every tender of every buyer (snapshot), in key order. When fn returns MVOI_E_UNDECODABLE
 * (a record it cannot decode), the record's buyer and id are logged and that is returned. */
int calendar_store_each(const calendar_store_t *cs, MDB_txn *txn, calendar_store_fn *fn,
                        void *arg);

/* Number of tenders of a buyer (index scan). */
int calendar_store_count(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                         uint64_t *n);

#endif
