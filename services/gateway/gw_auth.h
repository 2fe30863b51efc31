/*  gw_auth: bearer tokens for the gateway.
 *
 *  The tokens file has one token per line:
 *
 *      role sha256hex [name] buyers=LIST
 *
 *  role reader, submitter or admin (ordered: reader < submitter < admin); sha256hex the
 *  SHA-256 of the token in lower- or upper-case hex; name (optional, [a-z0-9_.-]) is logged
 *  and recorded as the submitter of what the token writes; LIST is `*` (every buyer the
 *  gateway serves) or buyer ids separated by commas (`buyers=heerlen,venlo`): the buyers the
 *  token may read and write for. '#' starts a comment.
 *
 *  A line without buyers= is refused (the gateway does not start, a reload keeps the old
 *  tokens): such a line comes from before tokens had buyers, when a token acted for the
 *  gateway's one buyer; "every buyer" or "the default buyer" would both be a guess, so the
 *  operator says which.
 *
 *  Only hashes are kept in memory. A presented token is hashed and compared with every entry
 *  in constant time (no early exit), so timing tells nothing about which prefix matched.
 */
#ifndef MVOI_GW_AUTH_H
#define MVOI_GW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvoi_id.h"

#define GW_AUTH_BUYERS_MAX 1000    /* buyers of one token (beyond: buyers=*) */
#define GW_AUTH_NAME_MAX 64
#define GW_AUTH_LINE_MAX 65536     /* longest line of the tokens file */

typedef enum {
    GW_ROLE_NONE = 0,
    GW_ROLE_READER = 1,
    GW_ROLE_SUBMITTER = 2,
    GW_ROLE_ADMIN = 3,
} gw_role_t;

typedef struct {
    gw_role_t role;
    uint8_t hash[32];
    char name[GW_AUTH_NAME_MAX + 1];
    bool all_buyers;
    int nbuyers;
    char *buyers;              /* "heerlen,venlo": checked ids, one comma between */
} gw_token_t;

typedef struct gw_auth_t gw_auth_t;

/* path may be NULL or "" (no tokens: every write is refused). On a bad file returns NULL
 * and writes "line N: reason" into err. */
gw_auth_t *gw_auth_new(const char *path, char *err, size_t errlen);
/* From text (tests). */
gw_auth_t *gw_auth_from_text(const char *text, char *err, size_t errlen);
void gw_auth_destroy(gw_auth_t **self_p);
int gw_auth_count(gw_auth_t *self);

/* The entry of a token (NULL when unknown). Valid until the tokens are replaced: copy what
 * outlives the current callback. */
const gw_token_t *gw_auth_find(gw_auth_t *self, const char *token, size_t len);
/* Role of a token (GW_ROLE_NONE when unknown); name (may be NULL) gets the entry's name. */
gw_role_t gw_auth_check(gw_auth_t *self, const char *token, size_t len, const char **name);
/* Whether the token may act for buyer. */
bool gw_token_allows(const gw_token_t *t, const char *buyer);
/* The buyer of a request that names none: the token's only buyer, else NULL (the
 * gateway's default applies). */
const char *gw_token_default_buyer(const gw_token_t *t);
/* 0, or -ENOENT with "token NAME: buyer B is not served here" in err when a token names a
 * buyer that accepts() refuses (a typo in the tokens file would make a useless token). */
int gw_auth_check_buyers(gw_auth_t *self, bool (*accepts)(void *arg, const char *buyer),
                         void *arg, char *err, size_t errlen);

/* Token from an Authorization header value "Bearer xyz"; NULL if it is not a bearer. */
const char *gw_auth_bearer(const char *header, size_t *len);

const char *gw_role_name(gw_role_t r);
int gw_role_parse(const char *s, gw_role_t *out);

/* SHA-256 (FIPS 180-4) of data: 0, or -EIO when libcrypto gives no digest. */
int gw_sha256(const void *data, size_t len, uint8_t out[32]);
/* 0 when equal; constant time in n. */
int gw_ct_compare(const uint8_t *a, const uint8_t *b, size_t n);

#endif
