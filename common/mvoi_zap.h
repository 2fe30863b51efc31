/*  mvoi_zap: the ZAP handler (RFC 27) of a service, on the service's own libuv loop.
 *
 *  libzmq asks it, over inproc://zeromq.zap.01 in the service's context, about every CURVE
 *  handshake on the service's ROUTER (domain "api") and PUB (domain "pub"). It admits a
 *  client key only if it is in the key registry (mvoi_auth.h); the PUB stream carries every
 *  buyer's events, so there only keys for every buyer are admitted. The admitted public key
 *  (Z85) is the connection's User-Id, which server.c looks up in the registry for each
 *  request to apply the key's role and buyers: a key revoked by a reload (SIGHUP,
 *  mvoi_zap_set_auth) is refused from the next request on, on old connections too. A refusal is logged once per key and address (zap_refused: reason,
 *  key, address) and counted.
 */
#ifndef MVOI_ZAP_H
#define MVOI_ZAP_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "mvoi_auth.h"

#define MVOI_ZAP_ENDPOINT "inproc://zeromq.zap.01"

typedef struct mvoi_zap mvoi_zap_t;

/* auth must outlive the handler. NULL with *err (negative errno) on failure. */
mvoi_zap_t *mvoi_zap_new(bus_ctx_t *ctx, uv_loop_t *loop, const mvoi_auth_t *auth, int *err);
void mvoi_zap_destroy(mvoi_zap_t **self_p);
/* The registry in force from the next handshake on (a reload); auth must outlive it. */
void mvoi_zap_set_auth(mvoi_zap_t *self, const mvoi_auth_t *auth);

typedef struct {
    uint64_t admitted;
    uint64_t refused_unknown;   /* key not in the registry */
    uint64_t refused_stream;    /* key for some buyers on the PUB */
    uint64_t refused_other;     /* not CURVE, malformed request */
} mvoi_zap_stats_t;
void mvoi_zap_stats(const mvoi_zap_t *self, mvoi_zap_stats_t *out);
/* Refusals of every handler of the process since start (for HealthReply.auth_refused). */
uint64_t mvoi_zap_refused_total(void);

#endif
