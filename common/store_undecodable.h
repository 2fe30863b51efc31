/*  store_undecodable: the log line of a stored record that does not decode.
 *
 *  Whoever builds a snapshot, a list or a total from stored records and meets one it cannot
 *  decode refuses the whole with MVOI_E_UNDECODABLE (mvoi_error.h) instead of leaving the
 *  record out; this names the record, so that an operator knows which one to repair.
 */
#ifndef MVOI_STORE_UNDECODABLE_H
#define MVOI_STORE_UNDECODABLE_H

#include <stddef.h>

/* Log (error, event "record_undecodable") the record under key, a key buyer '\0' id (as
 * mvoi_id_key2 makes them); what names the record ("tender", "measurement"). */
void store_log_undecodable(const char *what, const void *key, size_t klen);
/* The same, of the record of buyer and id (where the caller has them, not the key). */
void store_log_undecodable_id(const char *what, const char *buyer, const char *id);

#endif
