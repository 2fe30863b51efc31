/*  nt_copy_id: the id of one recipient's copy of a planned message (nt_service_int.h).
 *
 *  The id names the address ("<key>/<address>") so that an operator reading the dead
 *  letters sees whose copy it is. But the address is up to 254 bytes and the key up to
 *  about 300 (a 128-byte tender id, each '/' in it written "%2F"): together they can pass
 *  what the store keeps (NT_STORE_ID_MAX, and LMDB's 511 bytes for buyer, tender and id in
 *  "bytender"). Such a copy's record was refused inside the event's transaction, the
 *  refusal was taken for "an id refused upstream", and the recipient got nothing, with no
 *  word of it. A hash of the address names that copy instead: its record still holds the
 *  address, and the same address always gives the same id (a copy is not made twice). */
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>

#include "nt_util.h"

/* "~" and 16 hex: an address part holds its '@', this one none, so the two forms of the
 * same key never name two copies alike. */
#define S_HASH_HEX 16

int nt_plan_copy_id(char *id, size_t cap, const char *key, const char *email,
                    const char *buyer, const char *tender)
{
    char esc[300];
    if (nt_plan_esc(esc, sizeof esc, email) == 0 &&
        (size_t)snprintf(id, cap, "%s/%s", key, esc) < cap &&
        nt_store_id_fits(buyer, tender, id))
        return 0;
    char hex[S_HASH_HEX + 1];
    nt_sha256_hex(email, hex, S_HASH_HEX);
    if ((size_t)snprintf(id, cap, "%s/~%s", key, hex) < cap &&
        nt_store_id_fits(buyer, tender, id))
        return 0;
    return -ENAMETOOLONG;
}
