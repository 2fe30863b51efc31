/*  store_undecodable: see store_undecodable.h. */
#include "store_undecodable.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

#define S_PART_MAX 512   /* LMDB's key limit (511 bytes) and a NUL */

/* buyer '\0' id into buyer and id (each of S_PART_MAX: a key is at most 511 bytes). */
static void s_split(const void *key, size_t klen, char *buyer, char *id)
{
    const char *p = key, *nul = memchr(p, '\0', klen);
    int bl = nul ? (int)(nul - p) : (int)klen;
    int il = nul ? (int)(klen - (size_t)bl - 1) : 0;
    snprintf(buyer, S_PART_MAX, "%.*s", bl, p);
    snprintf(id, S_PART_MAX, "%.*s", il, nul ? nul + 1 : "");
}

void store_log_undecodable(const char *what, const void *key, size_t klen)
{
    char buyer[S_PART_MAX], id[S_PART_MAX];
    s_split(key, klen, buyer, id);
    store_log_undecodable_id(what, buyer, id);
}

void store_log_missing(const char *index, const char *what, const void *key, size_t klen)
{
    char buyer[S_PART_MAX], id[S_PART_MAX];
    s_split(key, klen, buyer, id);
    store_log_missing_id(index, what, buyer, id);
}

void store_log_missing_id(const char *index, const char *what, const char *buyer,
                          const char *id)
{
    const char *kv[] = { "index", index, "record", what, "buyer", buyer, "id", id, "error",
                         mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "record_missing", kv, "the index %s names the %s %s of buyer %s, "
             "which is not stored (or its index entry is damaged): what would be built from "
             "it is refused until it is repaired", index, what, id, buyer);
}

void store_log_undecodable_id(const char *what, const char *buyer, const char *id)
{
    const char *kv[] = { "record", what, "buyer", buyer, "id", id, "error",
                         mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "record_undecodable", kv, "the stored %s %s of buyer %s does not "
             "decode: what would be built from it is refused until it is repaired", what, id,
             buyer);
}
