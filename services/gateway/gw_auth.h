/*  gw_auth: bearer tokens for the gateway.
 *
 *  The tokens file has one token per line: `role sha256hex [name]`, role reader, submitter
 *  or admin, sha256hex the SHA-256 of the token in lower- or upper-case hex; '#' starts a
 *  comment. Only hashes are kept in memory. A presented token is hashed and compared with
 *  every entry in constant time (no early exit), so timing tells nothing about which
 *  prefix matched. Roles are ordered: reader < submitter < admin.
 */
#ifndef MVOI_GW_AUTH_H
#define MVOI_GW_AUTH_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    GW_ROLE_NONE = 0,
    GW_ROLE_READER = 1,
    GW_ROLE_SUBMITTER = 2,
    GW_ROLE_ADMIN = 3,
} gw_role_t;

typedef struct gw_auth_t gw_auth_t;

/* path may be NULL or "" (no tokens: every write is refused). On a bad file returns NULL
 * and writes "line N: reason" into err. */
gw_auth_t *gw_auth_new(const char *path, char *err, size_t errlen);
/* From text (tests). */
gw_auth_t *gw_auth_from_text(const char *text, char *err, size_t errlen);
void gw_auth_destroy(gw_auth_t **self_p);
int gw_auth_count(gw_auth_t *self);

/* Role of a token (GW_ROLE_NONE when unknown); name (may be NULL) gets the entry's name. */
gw_role_t gw_auth_check(gw_auth_t *self, const char *token, size_t len, const char **name);
/* Token from an Authorization header value "Bearer xyz"; NULL if it is not a bearer. */
const char *gw_auth_bearer(const char *header, size_t *len);

const char *gw_role_name(gw_role_t r);
int gw_role_parse(const char *s, gw_role_t *out);

/* SHA-256 (FIPS 180-4). */
void gw_sha256(const void *data, size_t len, uint8_t out[32]);
/* 0 when equal; constant time in n. */
int gw_ct_compare(const uint8_t *a, const uint8_t *b, size_t n);

#endif
