/*  store_undecodable: see store_undecodable.h. */
#include "store_undecodable.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

#define S_PART_MAX 512   /* LMDB's key limit (511 bytes) and a NUL */

void store_log_undecodable(const char *what, const void *key, size_t klen)
{
    const char *p = key, *nul = memchr(p, '\0', klen);
    int bl = nul ? (int)(nul - p) : (int)klen;
    int il = nul ? (int)(klen - (size_t)bl - 1) : 0;
    char buyer[S_PART_MAX], id[S_PART_MAX];
    snprintf(buyer, sizeof buyer, "%.*s", bl, p);
    snprintf(id, sizeof id, "%.*s", il, nul ? nul + 1 : "");
    store_log_undecodable_id(what, buyer, id);
}

void store_log_undecodable_id(const char *what, const char *buyer, const char *id)
{
    const char *kv[] = { "record", what, "buyer", buyer, "id", id, "error",
                         mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "record_undecodable", kv, "the stored %s %s of buyer %s does not "
             "decode: what would be built from it is refused until it is repaired", what, id,
             buyer);
}
