/*  gw_service: lifecycle, request dispatch and the Clone -> SSE glue (gw_service.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "clock.h"
#include "gw_internal.h"
#include "gw_lang.h"
#include "gw_problem.h"
#include "gw_query.h"
#include "log.h"

/* ---------------------------------------------------------------- metrics counters */

void gw_count(gw_t *gw, int route_idx, int status)
{
    gw_route_stat_t *s = &gw->rstats[route_idx >= 0 ? (size_t)route_idx : gw->nroutes];
    for (int i = 0; i < s->ncodes; i++)
        if (s->code[i] == status) {
            s->count[i]++;
            return;
        }
    if (s->ncodes < GW_MAX_CODES) {
        s->code[s->ncodes] = status;
        s->count[s->ncodes++] = 1;
    }
}

/* ---------------------------------------------------------------- routing */

/* 1: url is pattern's, its {} in arg; 0: not; -1: the part before {} is pattern's but the
 * rest cannot be its {} (too long for arg, or more path segments): *len is its length. */
static int s_match(const char *pattern, const char *url, char *arg, size_t arglen, size_t *len)
{
    const char *br = strstr(pattern, "{}");
    if (!br)
        return strcmp(pattern, url) == 0;
    size_t pl = (size_t)(br - pattern);
    if (strncmp(pattern, url, pl) != 0)
        return 0;
    const char *rest = url + pl;
    size_t n = strlen(rest);
    *len = n;
    if (n == 0)
        return 0;
    if (n >= arglen || strchr(rest, '/'))
        return -1;
    memcpy(arg, rest, n + 1);
    return 1;
}

/* A path whose {} could not be taken: an id longer than the gateway takes, or one holding an
 * encoded '/' (%2F, decoded by MHD into a separator), is refused naming the {} (400), not
 * answered "no such path" as if the route did not exist. false: a plain 404 stands. */
static bool s_refuse_arg(gw_req_t *r, const gw_route_t *near, size_t len)
{
    const char *open = strchr(near->name, '{'), *close = open ? strchr(open, '}') : NULL;
    char field[32];
    if (!close || (size_t)(close - open) >= sizeof field)
        return false;
    snprintf(field, sizeof field, "%.*s", (int)(close - open - 1), open + 1);
    if (gw_http_path_slash(r->conn))
        gw_reply_problemf(r, 400, "invalid-argument", field,
                          "the %s contains %%2F (an encoded '/'): ids have no '/'", field);
    else if (len >= sizeof r->arg)
        gw_reply_problemf(r, 400, "invalid-argument", field,
                          "the %s is longer than %zu bytes (%zu)", field, sizeof r->arg - 1,
                          len);
    else
        return false;
    return true;
}

static void s_route(gw_req_t *r, const char *url, const char *method)
{
    bool path_known = false;
    static char allow[64];
    allow[0] = '\0';
    r->route_idx = -1;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    r->head = strcmp(method, "HEAD") == 0;
    const gw_route_t *near = NULL;
    size_t near_len = 0;
    for (size_t i = 0; i < gw_nroutes; i++) {
        char arg[sizeof r->arg];
        size_t len = 0;
        int hit = s_match(gw_routes[i].pattern, url, arg, sizeof arg, &len);
        if (hit < 0 && strcmp(gw_routes[i].method, m) == 0 && !near) {
            near = &gw_routes[i];
            near_len = len;
        }
        if (hit <= 0)
            continue;
        path_known = true;
        if (strlen(allow) + 8 < sizeof allow) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, gw_routes[i].method);
        }
        if (strcmp(gw_routes[i].method, m) == 0 && r->route_idx < 0) {
            r->route = &gw_routes[i];
            r->route_idx = (int)i;
            memcpy(r->arg, arg, sizeof r->arg);
        }
    }
    if (r->route_idx >= 0)
        return;
    if (!path_known && near && s_refuse_arg(r, near, near_len))
        return;
    if (path_known) {
        r->allow = allow;
        gw_reply_problem(r, 405, "method-not-allowed", "this path does not take that method",
                         NULL);
    } else {
        gw_reply_problem(r, 404, "not-found", "no such path", NULL);
    }
}

/* The field a path's {} names ("/api/tenders/{id}": "id"), else "path". */
static const char *s_path_field(const gw_req_t *r, char *buf, size_t len)
{
    const char *open = r->route ? strchr(r->route->name, '{') : NULL;
    const char *close = open ? strchr(open, '}') : NULL;
    if (!close || (size_t)(close - open) >= len)
        return "path";
    snprintf(buf, len, "%.*s", (int)(close - open - 1), open + 1);
    return buf;
}

static enum MHD_Result s_collect_n(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    return gw_query_add_n(cls, key, key_len, value, value_len) == 0 ? MHD_YES : MHD_NO;
}

typedef struct {
    char v[GW_HTTP_HEADERS_MAX + 1];
    size_t len;
    bool have, over;
} s_accept_t;

/* Every Accept-Language field line, joined with ',' as one list (RFC 9110 §5.3); a list
 * longer than the gateway's header limit is no list (the default). */
static enum MHD_Result s_accept_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    s_accept_t *a = cls;
    if (!key || !value || strcasecmp(key, "Accept-Language") != 0)
        return MHD_YES;
    size_t n = strlen(value);
    if (a->len + n + 2 > sizeof a->v) {
        a->over = true;
        return MHD_NO;
    }
    if (a->have)
        a->v[a->len++] = ',';
    memcpy(a->v + a->len, value, n + 1);
    a->len += n;
    a->have = true;
    return MHD_YES;
}

/* The request's language, before anything is answered (a 404 too is in it): ?lang= wins
 * over Accept-Language, which never fails a request (gw_lang.h). false: ?lang= names no
 * language of the catalogue (refused once the parameters are known whole and once). */
static bool s_request_lang(gw_req_t *r)
{
    s_accept_t *al = malloc(sizeof *al);
    if (al) {
        al->len = 0;
        al->have = al->over = false;
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, s_accept_collect, al);
    }
    const char *q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "lang");
    r->lang = gw_lang_accept(al && al->have && !al->over ? al->v : NULL, r->gw->lang, NULL);
    free(al);
    text_lang_t l;
    if (!q)
        return true;
    if (text_lang_parse(q, &l) < 0)
        return false;
    r->lang = l;
    return true;
}

/* Before any route reads a parameter: the path and every query parameter whole and once.
 * MHD's lookup returns the first of a repeated parameter and gw_query would take the last;
 * a NUL (%00) would cut a value or a path id short. Both are refused by name, never
 * resolved; then ?lang= (lang_ok: s_request_lang). false once answered (400). */
static bool s_precheck_request(gw_req_t *r, bool lang_ok)
{
    if (gw_http_path_nul(r->conn)) {
        char f[32];
        r->allow = NULL;
        gw_reply_problem(r, 400, "invalid-argument",
                         "the path contains %00 (a NUL byte): refused, not cut",
                         s_path_field(r, f, sizeof f));
        return false;
    }
    gw_query_args_t a = { .n = 0 };
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, s_collect_n, &a);
    gw_query_error_t e;
    if (gw_query_check(&a, &e) < 0) {
        gw_reply_problem(r, 400, "invalid-argument", e.detail, e.field[0] ? e.field : NULL);
        return false;
    }
    if (!lang_ok) {
        r->allow = NULL;
        gw_reply_problem(r, 400, "invalid-argument", "expected nl or en", "lang");
        return false;
    }
    return true;
}

static void s_precheck_body(gw_req_t *r)
{
    gw_t *gw = r->gw;
    if (strcmp(r->route->method, "POST") != 0)
        return;
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
        gw_reply_problem(r, 415, "unsupported-media-type", "send application/json", NULL);
        return;
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end == '\0' && n > gw->o.max_body) {
            gw->body_rejected++;
            gw_reply_problemf(r, 413, "too-large", NULL, "the body is larger than %zu bytes",
                              gw->o.max_body);
        }
    }
}

/* ---------------------------------------------------------------- responses */

static enum MHD_Result s_queue(gw_req_t *r)
{
    struct MHD_Response *resp;
    if (r->ready) {
        resp = r->ready;
        r->ready = NULL;
    } else {
        resp = MHD_create_response_from_buffer(r->resp_len, r->resp, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            return MHD_NO;
        r->resp = NULL;
        if (r->ctype)
            MHD_add_response_header(resp, "Content-Type", r->ctype);
        MHD_add_response_header(resp, "Cache-Control",
                                r->cacheable ? "public, max-age=300" : "no-store");
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (r->report_doc) {
        MHD_add_response_header(resp, "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    } else if (r->ctype && strncmp(r->ctype, "text/html", 9) == 0) {
        MHD_add_response_header(resp, "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    if (r->location[0])
        MHD_add_response_header(resp, "Location", r->location);
    if (r->disposition[0])
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    if (r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->www_auth)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"mvoi\"");
    if (r->lang_body) {
        /* the body is in the request's language; a cache keys it by the header that chose it
         * (with ?lang= the URL already does, and the header is harmless) */
        MHD_add_response_header(resp, "Content-Language", text_lang_name(r->lang));
        MHD_add_response_header(resp, "Vary", "Accept-Language");
    }
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    gw_count(r->gw, r->route_idx, r->status);
    r->has_resp = false;
    r->started = true;
    return ret;
}

void gw_resume(gw_req_t *r)
{
    if (r->suspended) {
        r->suspended = false;
        MHD_resume_connection(r->conn);
        gw_http_kick(r->gw->http);
    }
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version,
                                const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    gw_t *gw = cls;
    gw_req_t *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->gw = gw;
        r->conn = conn;
        *con_cls = r;
        bool lang_ok = s_request_lang(r);
        char lim[128];
        int over = gw_http_request_limits(conn, r->lang, lim, sizeof lim);
        if (gw->stopping) {
            r->route_idx = -1;
            gw_reply_unavailable(r, "the gateway is stopping");
        } else if (over) {      /* before routing: no part of an oversized request is read */
            r->route_idx = -1;
            gw_reply_problem(r, over, over == 414 ? "uri-too-long" : "header-too-large", lim,
                             NULL);
        } else {
            s_route(r, url, method);
            /* a refused path wins over 404/405: the path routed may be a cut one */
            if (s_precheck_request(r, lang_ok) && !r->has_resp &&
                gw_access_check(r))                   /* token, buyer (gw_access.c) */
                s_precheck_body(r);
        }
        if (r->has_resp)          /* refuse before reading a body */
            return s_queue(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_large && !r->started) {
            if (r->body.len + *upload_data_size > gw->o.max_body) {
                r->too_large = true;
                gw_buf_free(&r->body);
            } else if (gw_buf_append(&r->body, upload_data, *upload_data_size) < 0) {
                return MHD_NO;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!r->started) {
        r->started = true;
        if (r->too_large) {
            gw->body_rejected++;
            gw_reply_problemf(r, 413, "too-large", NULL, "the body is larger than %zu bytes",
                              gw->o.max_body);
        } else {
            r->route->fn(r);
        }
    }
    if (r->has_resp || r->ready)
        return s_queue(r);
    if (r->pending && !r->suspended) {
        r->suspended = true;
        MHD_suspend_connection(conn);
    }
    return MHD_YES;
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    gw_req_t *r = *con_cls;
    if (!r)
        return;
    if (r->wait)
        gw_wait_forget(r);
    else if (r->pending && r->up)
        gw_upstream_forget(r->up, r->up_id);
    if (r->ready)
        MHD_destroy_response(r->ready);
    gw_buf_free(&r->body);
    gw_access_free(r);
    free(r->resp);
    free(r);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- SSE <- held buyers */

static void s_send_snapshot(gw_t *gw, gw_held_t *h, gw_sse_client_t *c)
{
    (void)gw;
    gw_view_t *v = gw_held_view(h);
    gw_buf_t b = { 0 };
    if (gw_view_render(v, gw_held_buyer(h), NULL, &b) == 0) {
        char *ev = NULL;
        size_t len = 0;
        gw_sse_pos_t at = { gw_view_epoch(v), gw_view_incarnation(v), gw_view_head(v), true };
        if (gw_sse_format(&ev, &len, &at, "snapshot", b.data, b.len) == 0) {
            gw_sse_append(c, ev, len);
            gw_sse_count_event(gw->sse, 1);
            free(ev);
        }
    }
    gw_buf_free(&b);
}

/* One total as a "kpi" event of the view's epoch. */
static int s_format_total(gw_view_t *v, const gw_total_t *t, char **ev, size_t *len)
{
    gw_sse_pos_t at = { gw_view_epoch(v), gw_view_incarnation(v), t->seq, true };
    return gw_sse_format(ev, len, &at, "kpi", t->json, t->json_len);
}

static void s_send_since(gw_t *gw, gw_held_t *h, gw_sse_client_t *c, uint64_t after)
{
    const gw_total_t **ch = NULL;
    long n = gw_view_since(gw_held_view(h), after, NULL, &ch);
    gw_buf_t b = { 0 };
    for (long i = 0; i < n; i++) {
        char *ev = NULL;
        size_t len = 0;
        if (s_format_total(gw_held_view(h), ch[i], &ev, &len) == 0) {
            gw_buf_append(&b, ev, len);
            free(ev);
        }
    }
    free(ch);
    if (b.len)
        gw_sse_append(c, b.data, b.len);
    gw_sse_count_event(gw->sse, n > 0 ? (uint64_t)n : 0);
    gw_buf_free(&b);
}

/* A stream's first event: its buyer is loaded (and held while the stream is open). A resume
 * is served as the totals changed since only from a position of the view's own epoch within
 * [base, head]; another epoch's position (the aggregator's store was wiped since: the same
 * seqs count another history), one before the view's last rebuild, one from the future or
 * none gets the full snapshot. */
void gw_sse_init_client(gw_t *gw, gw_sse_client_t *c, const gw_sse_pos_t *from)
{
    gw_held_t *h = gw_hold_find(gw->hold, gw_sse_client_buyer(c));
    if (!h || !gw_held_fresh(h)) {
        /* Never a silently lagging snapshot: the client waits for the view to be fresh. */
        gw_sse_set_waiting(c, true, from);
        static const char st[] = "event: status\ndata: {\"fresh\":false}\n\n";
        gw_sse_append(c, st, sizeof st - 1);
        return;
    }
    gw_sse_set_waiting(c, false, NULL);
    gw_view_t *v = gw_held_view(h);
    /* a delta only within the history the client's position is of (gw_sse_frame.h) */
    if (from && from->have && from->epoch == gw_view_epoch(v) &&
        from->incarnation == gw_view_incarnation(v) && from->seq >= gw_view_base(v) &&
        from->seq <= gw_view_head(v))
        s_send_since(gw, h, c, from->seq);
    else
        s_send_snapshot(gw, h, c);
}

static void s_on_update(void *arg, gw_held_t *h, const gw_total_t *t)
{
    gw_t *gw = arg;
    char *ev = NULL;
    size_t len = 0;
    if (s_format_total(gw_held_view(h), t, &ev, &len) == 0) {
        gw_sse_broadcast(gw->sse, gw_held_buyer(h), ev, len);
        gw_sse_count_event(gw->sse, 1);
        free(ev);
    }
}

typedef struct {
    gw_t *gw;
    gw_held_t *h;
    bool full;
    const gw_total_t **changed;
    long n;
} s_resync_t;

static void s_resync_one(void *arg, gw_sse_client_t *c)
{
    s_resync_t *s = arg;
    if (strcmp(gw_sse_client_buyer(c), gw_held_buyer(s->h)) != 0)
        return;
    gw_sse_pos_t from;
    if (gw_sse_waiting(c, &from)) {
        if (gw_held_fresh(s->h))
            gw_sse_init_client(s->gw, c, &from);
        return;
    }
    if (s->full) {
        s_send_snapshot(s->gw, s->h, c);
        return;
    }
    gw_buf_t b = { 0 };
    for (long i = 0; i < s->n; i++) {
        const gw_total_t *t = s->changed[i];
        char *ev = NULL;
        size_t len = 0;
        if (s_format_total(gw_held_view(s->h), t, &ev, &len) == 0) {
            gw_buf_append(&b, ev, len);
            free(ev);
        }
    }
    if (b.len)
        gw_sse_append(c, b.data, b.len);
    gw_buf_free(&b);
}

static void s_on_resync(void *arg, gw_held_t *h, bool full, const gw_total_t **changed, long n)
{
    gw_t *gw = arg;
    s_resync_t s = { gw, h, full, changed, n };
    gw_sse_each(gw->sse, s_resync_one, &s);
}

/* A stale buyer's streams wait: what comes meanwhile (a new epoch's snapshot at head 0, the
 * totals of a rebuild half done) is not shown as current, and each stream starts again
 * from a snapshot once the buyer is fresh. */
static void s_wait_one(void *arg, gw_sse_client_t *c)
{
    if (strcmp(gw_sse_client_buyer(c), gw_held_buyer(arg)) == 0 && !gw_sse_waiting(c, NULL))
        gw_sse_set_waiting(c, true, NULL);
}

static void s_on_fresh(void *arg, gw_held_t *h, bool fresh)
{
    gw_t *gw = arg;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "event: status\ndata: {\"fresh\":%s}\n\n",
                     fresh ? "true" : "false");
    if (!fresh) {
        gw_sse_broadcast(gw->sse, gw_held_buyer(h), msg, (size_t)n);
        gw_sse_each(gw->sse, s_wait_one, h);
        return;
    }
    /* the waiting streams get their snapshot first, then every stream the status */
    s_resync_t s = { gw, h, false, NULL, 0 };
    gw_sse_each(gw->sse, s_resync_one, &s);
    gw_sse_broadcast(gw->sse, gw_held_buyer(h), msg, (size_t)n);
}

static void s_on_stream_closed(void *arg, const char *buyer)
{
    gw_t *gw = arg;
    gw_held_t *h = gw->hold ? gw_hold_find(gw->hold, buyer) : NULL;
    if (h)
        gw_held_streams(h, -1);
}

static void s_kpi_health(void *arg, const Mvoi__HealthReply *h)
{
    gw_t *gw = arg;
    gw_hold_health(gw->hold, h);
    gw_clone_health(gw->clone, h);
}

static void s_kpi_restart(void *arg)
{
    gw_t *gw = arg;
    gw_upstream_health_soon(gw->kpi);
}

/* The benchmark feed (every buyer's year totals) */
static void s_bench_update(void *arg, const gw_total_t *t) { gw_bench_total(arg, t); }
static void s_bench_resync(void *arg, bool full, const gw_total_t **changed, long n)
{
    gw_bench_resync(arg, full, changed, n);
}

/* ---------------------------------------------------------------- lifecycle */

/* The aggregator's followers: every buyer's year totals (the benchmark) and the buyers
 * served, each its own view. */
static void s_followers(gw_t *self, const gw_opts_t *o)
{
    gw_clone_opts_t co = { .api = o->kpi_api, .pub = o->kpi_pub, .stale_ms = self->o.stale_ms,
                           .keep = gw_bench_keep };
    gw_clone_cbs_t cb = { s_bench_update, s_bench_resync, NULL, self };
    self->clone = gw_clone_new(self->loop, self->ctx, &co, &cb);
    gw_hold_opts_t hopt = { .api = o->kpi_api, .pub = o->kpi_pub, .stale_ms = self->o.stale_ms,
                            .idle_ms = o->buyer_idle_ms };
    gw_hold_cbs_t hcb = { s_on_update, s_on_resync, s_on_fresh, self, s_kpi_restart };
    self->hold = gw_hold_new(self->loop, self->ctx, &hopt, &hcb);
    if (self->kpi)   /* the aggregator's account of its totals holds the buyers back */
        gw_upstream_on_health(self->kpi, s_kpi_health, self);
    if (self->sse)
        gw_sse_on_close(self->sse, s_on_stream_closed, self);
}

gw_t *gw_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_opts_t *o, int *err, char *errmsg,
             size_t errlen)
{
    gw_t *self = calloc(1, sizeof *self);
    if (!self) {
        *err = -ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->ctx = ctx;
    self->o = *o;
    if (!self->o.max_body)
        self->o.max_body = 1u << 20;
    if (!self->o.stale_ms)
        self->o.stale_ms = 5000;
    if (!self->o.sse_retry_ms)
        self->o.sse_retry_ms = 3000;
    if (!self->o.sse_max_clients)
        self->o.sse_max_clients = 1024;
    snprintf(self->buyer, sizeof self->buyer, "%s", o->buyer && *o->buyer ? o->buyer : "heerlen");
    self->o.buyer = self->buyer;
    if (text_lang_parse(o->lang ? o->lang : "nl", &self->lang) < 0) {
        snprintf(errmsg, errlen, "lang: expected nl or en");
        *err = -EINVAL;
        free(self);
        return NULL;
    }
    self->started_ms = (uint64_t)clock_now_ms();
    self->nroutes = gw_nroutes;
    self->rstats = calloc(gw_nroutes + 1, sizeof *self->rstats);
    for (size_t i = 0; self->rstats && i < gw_nroutes; i++)
        self->rstats[i].name = gw_routes[i].name;
    if (self->rstats)
        self->rstats[gw_nroutes].name = "other";
    char aerr[256] = "";
    int arc = gw_access_reload(self, o->tokens_file, aerr, sizeof aerr);
    self->bench = bm_new(o->buyers, o->bench_k ? o->bench_k : BM_K_DEFAULT);
    if (self->bench && bm_load_levels(self->bench) != 0)
        bm_destroy(&self->bench);
    if (!self->rstats || arc != 0 || !self->bench) {
        snprintf(errmsg, errlen, "tokens_file: %s", aerr[0] ? aerr : "out of memory");
        *err = -EINVAL;
        gw_destroy(&self);
        return NULL;
    }
    gw_http_opts_t ho = { .listen = o->listen, .handler = s_access, .handler_cls = self,
                          .completed = s_completed, .completed_cls = self,
                          .connection_limit = o->connection_limit,
                          .per_ip_limit = o->per_ip_limit,
                          .request_deadline_ms = o->request_deadline_ms };
    self->http = gw_http_new(loop, &ho, err);
    if (!self->http) {
        snprintf(errmsg, errlen, "listen: cannot listen on %s", o->listen);
        gw_destroy(&self);
        return NULL;
    }
    self->sse = gw_sse_new(loop, self->http, o->sse_heartbeat_ms, o->sse_max_queue);
    gw_upstream_opts_t uo = { .timeout_ms = o->upstream_timeout_ms,
                              .health_ms = o->health_ms ? o->health_ms : 2000 };
    uo.name = "calendar", uo.endpoint = o->calendar_api;
    self->cal = gw_upstream_new(loop, ctx, &uo);
    uo.name = "impact-calculator", uo.endpoint = o->impact_api;
    self->imp = gw_upstream_new(loop, ctx, &uo);
    uo.name = "kpi-aggregator", uo.endpoint = o->kpi_api;
    self->kpi = gw_upstream_new(loop, ctx, &uo);
    uo.name = "notifier", uo.endpoint = o->notifier_api;
    self->ntf = gw_upstream_new(loop, ctx, &uo);
    if (o->report_api && *o->report_api) {
        uo.name = "report", uo.endpoint = o->report_api;
        uo.timeout_ms = o->report_timeout_ms ? o->report_timeout_ms : 120000;
        if (!(self->rep = gw_upstream_new(loop, ctx, &uo))) {
            snprintf(errmsg, errlen, "report_api: an invalid endpoint");
            *err = -EINVAL;
            gw_destroy(&self);
            return NULL;
        }
        /* resolved per request: the report service may make it later */
        snprintf(self->reports_dir, sizeof self->reports_dir, "%s",
                 o->reports_dir ? o->reports_dir : "");
    }
    s_followers(self, o);
    if (!self->sse || !self->cal || !self->imp || !self->kpi || !self->ntf || !self->clone ||
        !self->hold) {
        snprintf(errmsg, errlen, "an upstream endpoint is invalid");
        *err = -EINVAL;
        gw_destroy(&self);
        return NULL;
    }
    if (gw_bench_cal_start(self, o->bench_tenders_ms) != 0) {
        snprintf(errmsg, errlen, "bench_tenders_ms: no timer");
        *err = -ENOMEM;
        gw_destroy(&self);
        return NULL;
    }
    log_info("gateway_listening", "listening on %s (port %u), buyer %s, reads %s",
             o->listen, gw_http_port(self->http), self->buyer,
             o->read_token ? "need a token" : "open");
    return self;
}

unsigned gw_port(gw_t *self) { return gw_http_port(self->http); }

static void s_on_drain(uv_timer_t *t)
{
    gw_t *self = t->data;
    if (self->http && gw_http_connections(self->http) > 0 &&
        uv_now(self->loop) < self->drain_deadline)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    gw_http_destroy(&self->http);   /* frees the remaining SSE clients */
    gw_sse_destroy(&self->sse);
}

void gw_stop(gw_t *self)
{
    if (!self || self->stopping)
        return;
    self->stopping = true;
    if (self->http)
        gw_http_quiesce(self->http);
    if (self->sse)
        gw_sse_close_all(self->sse);
    gw_wait_stop(self);
    /* pending upstream requests answer 503 (callbacks resume their connections) */
    gw_upstream_destroy(&self->cal);
    gw_upstream_destroy(&self->imp);
    gw_upstream_destroy(&self->kpi);
    gw_upstream_destroy(&self->ntf);
    gw_upstream_destroy(&self->rep);
    gw_clone_destroy(&self->clone);
    gw_hold_destroy(&self->hold);
    if (self->http) {
        MHD_run(gw_http_daemon(self->http));   /* flush the resumed connections */
        /* give the last responses up to 2 s to leave, then close the listener's handles so
         * that the loop can end */
        self->drain_deadline = uv_now(self->loop) + 2000;
        uv_timer_init(self->loop, &self->drain);
        self->drain.data = self;
        uv_timer_start(&self->drain, s_on_drain, 0, 20);
    }
}

void gw_destroy(gw_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_t *self = *self_p;
    *self_p = NULL;
    gw_wait_stop(self);
    gw_bench_cal_stop(self);
    gw_upstream_destroy(&self->cal);
    gw_upstream_destroy(&self->imp);
    gw_upstream_destroy(&self->kpi);
    gw_upstream_destroy(&self->ntf);
    gw_upstream_destroy(&self->rep);
    gw_clone_destroy(&self->clone);
    gw_hold_destroy(&self->hold);
    gw_http_destroy(&self->http);   /* frees the remaining SSE clients */
    gw_sse_destroy(&self->sse);
    gw_auth_destroy(&self->auth);
    bm_destroy(&self->bench);
    free(self->rstats);
    free(self);
}
