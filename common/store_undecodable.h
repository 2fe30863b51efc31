/*  store_undecodable: the log line of a stored record that does not decode.
 *
 *  Whoever builds a snapshot, a list or a total from stored records and meets one it cannot
 *  decode, or an index entry without its record, refuses the whole with MVOI_E_UNDECODABLE
 *  (mvoi_error.h) instead of leaving the record out; this names the record, so that an
 *  operator knows which one to repair.
 */
#ifndef MVOI_STORE_UNDECODABLE_H
#define MVOI_STORE_UNDECODABLE_H

#include <stddef.h>

/* Log (error, event "record_undecodable") the record under key, a key buyer '\0' id (as
 * mvoi_id_key2 makes them); what names the record ("tender", "measurement"). */
void store_log_undecodable(const char *what, const void *key, size_t klen);
/* The same, of the record of buyer and id (where the caller has them, not the key). */
void store_log_undecodable_id(const char *what, const char *buyer, const char *id);

/* An index entry that names a record the store does not hold (or an index entry that is
 * not what its index writes): the list or total built from the index would be short of it,
 * so it is refused as MVOI_E_UNDECODABLE too (the server names it and health counts it
 * with undecodable_records). Logs (error, event "record_missing") the index, the record's
 * kind, buyer and id; key as for store_log_undecodable. */
void store_log_missing(const char *index, const char *what, const void *key, size_t klen);
void store_log_missing_id(const char *index, const char *what, const char *buyer,
                          const char *id);

#endif
