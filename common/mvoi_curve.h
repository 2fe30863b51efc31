/*  mvoi_curve: CURVE encryption and authentication of every ZeroMQ socket of a process.
 *
 *  One setting per process (mvoi_curve_set), read by bus_bind()/bus_connect() and by the
 *  raw clients (mvoi_curve_client): so no call site chooses, and a socket cannot be
 *  forgotten. Keys are 40-character Z85 strings (zmq_curve_keypair).
 *
 *    bus server key   one secret per deployment, held by the services that bind (their
 *                     ROUTER and PUB are CURVE servers with it). Clients know its public
 *                     half only (MVOI_CURVE_SERVER_PUBLIC).
 *    own key          every client's identity (gateway, mvoictl, a person's tool); the
 *                     services that bind use the bus server key as their own unless given
 *                     one. Admitted only if its public half is in the key registry
 *                     (MVOI_KEYS_FILE, mvoi_auth.h), which the ZAP handler (mvoi_zap.h)
 *                     and server.c consult.
 *
 *  MVOI_CURVE=on is the default and needs keys: a service without them does not start
 *  (exit 78). MVOI_CURVE=off is plaintext without authentication, for benchmarks and tests
 *  of other concerns; every process started so says so in a warning at start.
 *  inproc:// endpoints never use CURVE (same process).
 */
#ifndef MVOI_CURVE_H
#define MVOI_CURVE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "mvoi_auth.h"

typedef struct {
    bool on;
    bool serves;                       /* holds the bus server secret: may bind */
    char server_secret[41];            /* "" unless serves */
    char server_public[41];
    char secret[41];                   /* own key: client identity */
    char public_[41];
    const mvoi_auth_t *auth;           /* the key registry; NULL on a pure client */
} mvoi_curve_t;

/* The shared configuration keys (service.c appends them to every service's). */
extern const cfg_spec_t mvoi_curve_specs[];
extern const int mvoi_curve_nspecs;

/* From a service's configuration: keys checked (Z85, secret/public halves), the registry
 * loaded when the process serves (need_registry) or when MVOI_KEYS_FILE is set. 0, or
 * -EINVAL with "VARIABLE: why" in err. *auth_out gets the registry to free (may be NULL). */
int mvoi_curve_from_cfg(cfg_t *cfg, bool need_registry, mvoi_curve_t *out,
                        mvoi_auth_t **auth_out, char *err, size_t cap);
/* The same for a client outside service.c (mvoictl, test and bench tools): the MVOI_CURVE*
 * environment variables, with *_FILE and its permission check. */
int mvoi_curve_from_env(mvoi_curve_t *out, char *err, size_t cap);

/* The process-wide setting; NULL or a copy of c (c->auth must outlive the process's use). */
void mvoi_curve_set(const mvoi_curve_t *c);
const mvoi_curve_t *mvoi_curve_get(void);
/* The key registry in force from now on (a reload, SIGHUP): the caller frees the old one
 * after this (and after mvoi_zap_set_auth). */
void mvoi_curve_set_auth(const mvoi_auth_t *auth);
/* The registry's name of a connection's User-Id (the client's public key, Z85), for logs;
 * the User-Id itself when the key is no longer in the registry. */
const char *mvoi_curve_key_name(const char *user);

/* Before zmq_bind/zmq_connect of a raw zmq socket: with CURVE on, make it a server (ROUTER:
 * ZAP domain "api", PUB: "pub") or a client of the bus server. 0 or -errno; a no-op with
 * CURVE off, for inproc:// or for socket types that take no part (PAIR monitors). */
int mvoi_curve_server(void *zsock, const char *endpoint);
int mvoi_curve_client(void *zsock, const char *endpoint);

/* The role/buyer rule for a service that reads its own ROUTER (server.c does this for the
 * others): user is the message's ZAP User-Id (zmq_msg_gets(frame, "User-Id"), NULL if
 * none): the client's public key, looked up in the registry in force, so a key revoked by
 * a reload is refused on a connection opened before it. 0 when allowed or when this process checks no keys (CURVE off, a pure client);
 * otherwise -EACCES with the reason in why, in lang (mvoi_auth_allow). */
int mvoi_curve_allow(const char *user, mvoi_act_t act, const char *buyer, text_lang_t lang,
                     char *why, size_t cap);

/* A new key pair in dir: <name>.key (the secret, mode 0600, created exclusively: never
 * overwrites) and <name>.pub (the public half). 0, -EEXIST, or another -errno. */
int mvoi_curve_generate(const char *dir, const char *name, char pub_out[41]);

#endif
