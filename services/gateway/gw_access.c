/*  gw_access: who may ask what, decided before a request's body is read.
 *
 *  1. The token (gw_auth.h): a route's role needs a bearer token (Authorization, or for reads
 *     ?access_token=, since EventSource cannot send headers). Reads are open unless
 *     read_access=token, but a token that is presented is always checked: an unknown one is
 *     401, and its buyers apply even where reads are open.
 *  2. The buyer: ?buyer=ID (id rule: 400, registry: 404); a request that names none is for
 *     the token's only buyer, else the gateway's default (MVOI_GATEWAY_BUYER). A token that
 *     may not act for that buyer gets 403 buyer-not-allowed, before anything goes upstream;
 *     every upstream call then carries this buyer (gw_routes.c: the envelope's).
 *  The token's role, name and buyers are copied into the request: a reload of the tokens
 *  file (SIGHUP) may replace them while the request waits for its body or a service.
 */
#include "gw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_problem.h"
#include "log.h"
#include "mvoi_id.h"

typedef struct {
    const char *name, *value;
    size_t len;
    bool found;
} s_arg_t;

static enum MHD_Result s_arg_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    s_arg_t *a = cls;
    if (!a->found && key_size == strlen(a->name) && memcmp(key, a->name, key_size) == 0) {
        a->found = true;
        a->value = value ? value : "";
        a->len = value ? value_size : 0;
    }
    return MHD_YES;
}

/* The query parameter `name`, spelled exactly so (with its length: "%00" decodes to a NUL
 * that a C string would hide). libmicrohttpd's lookup ignores case, but the routes know
 * their parameters by their exact names (gw_query.c): ?BUYER=venlo was read here as the
 * buyer, checked and refused or logged, and then refused by the route as an unknown
 * parameter. NULL when absent. */
static const char *s_arg(gw_req_t *r, const char *name, size_t *len)
{
    s_arg_t a = { .name = name };
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, s_arg_one, &a);
    *len = a.len;
    return a.found ? a.value : NULL;
}

/* The presented token: Authorization: Bearer, or ?access_token= where the route reads. */
static const char *s_token(gw_req_t *r, gw_access_t need, size_t *len)
{
    const char *tok = gw_auth_bearer(
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization"), len);
    if (!tok && need == GW_ACCESS_READ)
        tok = s_arg(r, "access_token", len);
    return tok && *len ? tok : NULL;
}

static void s_unauthenticated(gw_req_t *r, const char *detail)
{
    r->gw->auth_failures++;
    r->www_auth = true;
    gw_reply_problem(r, 401, "unauthenticated", detail, NULL);
}

/* false once answered (401/403; 503 out of memory) */
static bool s_authorize(gw_req_t *r)
{
    gw_t *gw = r->gw;
    gw_access_t need = r->route->access;
    if (need == GW_ACCESS_OPEN)
        return true;
    size_t len = 0;
    const char *tok = s_token(r, need, &len);
    bool open_read = need == GW_ACCESS_READ && !gw->o.read_token;
    if (!tok) {
        if (!open_read)
            s_unauthenticated(r, need == GW_ACCESS_READ ? "reading needs a bearer token"
                                                        : "writing needs a bearer token");
        return open_read;
    }
    const gw_token_t *t = gw_auth_find(gw->auth, tok, len);
    if (!t) {
        s_unauthenticated(r, "unknown token");
        return false;
    }
    r->tok = *t;
    r->tok.buyers = t->buyers ? strdup(t->buyers) : NULL;
    if (t->buyers && !r->tok.buyers) {
        gw_reply_oom(r);
        return false;
    }
    r->has_tok = true;
    r->role = t->role;
    gw_role_t want = need == GW_ACCESS_ADMIN ? GW_ROLE_ADMIN
                     : need == GW_ACCESS_SUBMIT ? GW_ROLE_SUBMITTER : GW_ROLE_READER;
    if (r->role < want) {
        gw->auth_failures++;
        gw_reply_problemf(r, 403, "permission-denied", NULL, "this needs the role %s",
                          gw_role_name(want));
        return false;
    }
    return true;
}

#define GW_ACCESS_LOGGED 256

/* Once per token and buyer: a dashboard retrying every few seconds must not flood the log. */
static bool s_first_time(const char *name, const char *buyer)
{
    static uint64_t logged[GW_ACCESS_LOGGED];
    static unsigned nlogged;
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = buyer; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    for (unsigned i = 0; i < nlogged && i < GW_ACCESS_LOGGED; i++)
        if (logged[i] == h)
            return false;
    logged[nlogged++ % GW_ACCESS_LOGGED] = h;
    return true;
}

bool gw_access_buyer(gw_req_t *r, const char *buyer, const char *field)
{
    if (!r->has_tok || gw_token_allows(&r->tok, buyer))
        return true;
    r->gw->buyer_refused++;
    if (s_first_time(r->tok.name, buyer)) {
        const char *kv[] = { "token", r->tok.name, "buyer", buyer, "field", field, NULL };
        log_emit(LOG_WARN, "buyer_refused", kv, "403 buyer-not-allowed: token %s may not act "
                 "for buyer %s", r->tok.name, buyer);
    }
    if (r->tok.nbuyers == 1)
        gw_reply_problemf(r, 403, "buyer-not-allowed", field,
                          "this token acts for buyer %s only, not for %s", r->tok.buyers, buyer);
    else
        gw_reply_problemf(r, 403, "buyer-not-allowed", field,
                          "this token may not act for buyer %s; name one of its buyers "
                          "with ?buyer=", buyer);
    return false;
}

/* r->buyer from ?buyer= (checked), the token's only buyer or the default; false once
 * answered. */
static bool s_buyer(gw_req_t *r)
{
    size_t blen = 0;
    const char *b = s_arg(r, "buyer", &blen);
    if (!b) {
        const char *own = r->has_tok ? gw_token_default_buyer(&r->tok) : NULL;
        /* both checked by the id rule (main.c, gw_auth.c): they fit */
        snprintf(r->buyer, sizeof r->buyer, "%.64s", own ? own : r->gw->buyer);
        return r->route->access == GW_ACCESS_OPEN || gw_access_buyer(r, r->buyer, "buyer");
    }
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check(MVOI_ID_BUYER, b, blen, why, sizeof why) != 0) {
        gw_reply_problemf(r, 400, "invalid-argument", "buyer", "buyer %s", why);
        return false;
    }
    if (!mvoi_buyers_accepts(r->gw->o.buyers, b)) {
        gw_reply_problem(r, 404, "not-found",
                         "this buyer is not served here (not in the buyer registry)", "buyer");
        return false;
    }
    snprintf(r->buyer, sizeof r->buyer, "%s", b);
    return r->route->access == GW_ACCESS_OPEN || gw_access_buyer(r, r->buyer, "buyer");
}

bool gw_access_check(gw_req_t *r)
{
    return s_authorize(r) && s_buyer(r);
}

void gw_access_free(gw_req_t *r)
{
    free(r->tok.buyers);
    r->tok.buyers = NULL;
    r->has_tok = false;
}

static bool s_registry_accepts(void *arg, const char *buyer)
{
    return mvoi_buyers_accepts(arg, buyer);
}

int gw_access_reload(gw_t *gw, const char *path, char *err, size_t errlen)
{
    gw_auth_t *a = gw_auth_new(path, err, errlen);
    if (!a)
        return -1;
    if (gw_auth_check_buyers(a, s_registry_accepts, (void *)gw->o.buyers, err, errlen) != 0) {
        gw_auth_destroy(&a);
        return -1;
    }
    gw_auth_destroy(&gw->auth);
    gw->auth = a;
    return 0;
}

static void s_end_stream(void *arg, gw_sse_client_t *c)
{
    if (gw_sse_end_tokened(c))
        (*(unsigned *)arg)++;
}

int gw_reload_tokens(gw_t *gw)
{
    char err[256] = "";
    const char *path = gw->o.tokens_file ? gw->o.tokens_file : "";
    if (gw_access_reload(gw, path, err, sizeof err) != 0) {
        const char *kv[] = { "file", path, "reason", err, NULL };
        log_emit(LOG_ERROR, "tokens_reload_failed", kv,
                 "MVOI_GATEWAY_TOKENS_FILE: %s; the tokens loaded before stay in force", err);
        return -1;
    }
    /* Streams opened with a token end: EventSource reconnects (Last-Event-ID) and its
     * token is checked against the new file; a revoked one is refused then. */
    unsigned ended = 0;
    if (gw->sse)
        gw_sse_each(gw->sse, s_end_stream, &ended);
    char n[24], e[24];
    snprintf(n, sizeof n, "%d", gw_auth_count(gw->auth));
    snprintf(e, sizeof e, "%u", ended);
    const char *kv[] = { "file", path, "tokens", n, "streams_ended", e, NULL };
    log_emit(LOG_INFO, "tokens_reloaded", kv, "%s tokens in force; %s token streams ended",
             n, e);
    return 0;
}
