/*  server_auth: the key's role and buyers, applied to every request before a handler sees
 *  it (mvoi_auth.h). The key is the one the ZAP handler admitted for this connection: its
 *  public key is the User-Id of every message that arrives over it, looked up in the
 *  registry in force (a reload on SIGHUP revokes a key on open connections too). Without CURVE (MVOI_CURVE=off,
 *  or a process that never set it, such as a unit test) nothing is checked here. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "mvoi_auth.h"
#include "mvoi_curve.h"
#include "server_int.h"

#define AUTH_LOGGED 256

static uint64_t s_logged[AUTH_LOGGED];
static unsigned s_nlogged;

/* Once per key and rule: a client repeating a refused request must not flood the log. */
static bool s_first_time(const char *user, const char *why)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = user; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    for (const char *p = why; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    for (unsigned i = 0; i < s_nlogged && i < AUTH_LOGGED; i++)
        if (s_logged[i] == h)
            return false;
    s_logged[s_nlogged++ % AUTH_LOGGED] = h;
    return true;
}

static mvoi_act_t s_act(server_t *self, const Mvoi__Envelope *env)
{
    switch (env->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH:
        return MVOI_ACT_HEALTH;
    case MVOI__ENVELOPE__BODY_REPLAY:
    case MVOI__ENVELOPE__BODY_SNAPSHOT:
        return MVOI_ACT_STREAM;
    default:
        for (int i = 0; i < self->opts.nroutes; i++)
            if (self->opts.routes[i].body == env->body_case)
                return self->opts.routes[i].kind == SERVER_COMMAND ? MVOI_ACT_COMMAND
                                                                    : MVOI_ACT_QUERY;
        /* An unknown body is answered "unimplemented" anyway; as a write it is refused
         * to the keys that may not write, which says less about the service. */
        return MVOI_ACT_COMMAND;
    }
}

int server_auth_check(server_t *self, server_req_t *req, bus_msg_t *msg)
{
    const mvoi_curve_t *c = mvoi_curve_get();
    if (!c || !c->on || !c->auth)
        return 0;
    const char *user = zmq_msg_gets(&msg->part[1], "User-Id");
    const mvoi_key_t *k = user ? mvoi_auth_find_pub(c->auth, user) : NULL;
    const char *buyer = req->req->buyer;
    mvoi_act_t act = s_act(self, req->req);
    char why[256], say[256];   /* the log's (English), the reply's (the request's language) */
    if (mvoi_auth_allow(k, act, buyer, TEXT_EN, why, sizeof why) == 0)
        return 0;
    mvoi_auth_allow(k, act, buyer, server_lang(req), say, sizeof say);
    self->stats.auth_refused++;
    if (user && !k) {   /* admitted when it connected, removed from the registry since */
        snprintf(why, sizeof why, "the key of this connection is no longer in the key "
                 "registry (revoked)");
        server_error(req, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "key",
                     "the key of this connection is no longer in the key registry (revoked)");
    } else
        server_error(req, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, k ? "buyer" : "key", "%s",
                     say);
    if (s_first_time(user ? user : "", why)) {
        const char *kv[] = { "key", k ? k->name : user ? user : "", "role", k ? mvoi_role_name(k->role) : "",
                             "buyer", buyer ? buyer : "", "request",
                             codec_body_name(req->req->body_case), NULL };
        log_emit(LOG_WARN, "request_refused", kv, "ERR_PERMISSION_DENIED: %s", why);
    }
    return -1;
}
