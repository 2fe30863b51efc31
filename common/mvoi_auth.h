/*  mvoi_auth: who may do what on the bus. The key registry (MVOI_KEYS_FILE) names every
 *  client key a service admits, with its role and the buyers it may act for:
 *
 *    [gateway]                        the key's name: [a-z0-9_.-], 1..64; logged and
 *    public = <40 Z85 characters>     given to the server as the ZAP User-Id
 *    role = dashboard                 service | admin | submitter | reader | dashboard
 *    buyers = *                       "*" (every buyer) or ids separated by spaces/commas
 *
 *  What each role may do (mvoi_auth_allow), always within its buyers:
 *    health                   every admitted key
 *    queries                  every role
 *    commands (writes)        service, admin, submitter
 *    replay, snapshot, PUB    any role whose key is for every buyer ("*"): these streams
 *                             carry the events of all buyers, so a key for some buyers
 *                             reads its buyers through queries only.
 *  A key limited to some buyers must name one of them in every query and command.
 *  A revoked key is removed from the file; the service reads the file at start and again on
 *  SIGHUP (service.c): from then on the key's handshakes are refused and so is every request
 *  on a connection it opened before. A file that does not load keeps the keys in force.
 */
#ifndef MVOI_AUTH_H
#define MVOI_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"

#define MVOI_AUTH_NAME_MAX 64
#define MVOI_AUTH_KEYS_MAX 4096
#define MVOI_AUTH_BUYERS_MAX 64   /* buyers of one key (beyond: use "*") */
#define MVOI_Z85_KEY_LEN 40

typedef enum {
    MVOI_ROLE_SERVICE = 1,
    MVOI_ROLE_ADMIN,
    MVOI_ROLE_SUBMITTER,
    MVOI_ROLE_READER,
    MVOI_ROLE_DASHBOARD,
} mvoi_role_t;

typedef enum {
    MVOI_ACT_HEALTH = 1,
    MVOI_ACT_QUERY,
    MVOI_ACT_COMMAND,
    MVOI_ACT_STREAM,      /* replay, snapshot, PUB subscription: every buyer's events */
} mvoi_act_t;

typedef struct {
    char name[MVOI_AUTH_NAME_MAX + 1];
    char pub[MVOI_Z85_KEY_LEN + 1];
    mvoi_role_t role;
    bool all_buyers;
    int nbuyers;
    char buyers[MVOI_AUTH_BUYERS_MAX][MVOI_AUTH_NAME_MAX + 1];
} mvoi_key_t;

typedef struct mvoi_auth mvoi_auth_t;

/* NULL with err ("<path>:<line>: why") on a missing file, a file that group or others may
 * write (keys_file_permissions), a bad name, public key, role or buyer id, a duplicate
 * name or public key, a missing field, an unknown field. */
mvoi_auth_t *mvoi_auth_load(const char *path, char *err, size_t cap);
void mvoi_auth_destroy(mvoi_auth_t **self_p);

const mvoi_key_t *mvoi_auth_find_pub(const mvoi_auth_t *self, const char *z85);
const mvoi_key_t *mvoi_auth_find_name(const mvoi_auth_t *self, const char *name);
size_t mvoi_auth_count(const mvoi_auth_t *self);

/* 0 when key may do act for buyer (NULL or "" = no buyer named); otherwise -EACCES and
 * why says which rule refused, in lang (the error reply: the request's; a log: TEXT_EN). */
int mvoi_auth_allow(const mvoi_key_t *key, mvoi_act_t act, const char *buyer, text_lang_t lang,
                    char *why, size_t cap);

const char *mvoi_role_name(mvoi_role_t role);
/* 0 and *out, or -EINVAL for an unknown name. */
int mvoi_role_parse(const char *name, mvoi_role_t *out);

#endif
