/*  gw_routes: the HTTP endpoints (gw_service.h lists them). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "codec.h"
#include "gw_assets.h"
#include "gw_internal.h"
#include "gw_problem.h"
#include "gw_query.h"
#include "gw_year.h"
#include "log.h"
#include "mvoi_contract.h"
#include "mvoi_id_text.h"
#include "pbjson.h"
#include "textfmt.h"

/* ---------------------------------------------------------------- replies */

void gw_reply_text(gw_req_t *r, int status, const char *ctype, const char *text, size_t len)
{
    free(r->resp);
    r->resp = malloc(len ? len : 1);
    if (r->resp)
        memcpy(r->resp, text, len);
    r->resp_len = r->resp ? len : 0;
    r->status = status;
    r->ctype = ctype;
    r->has_resp = true;
}

static void s_reply_owned(gw_req_t *r, int status, const char *ctype, char *text, size_t len)
{
    free(r->resp);
    r->resp = text;
    r->resp_len = len;
    r->status = status;
    r->ctype = ctype;
    r->has_resp = true;
}

static void s_reply_json_ct(gw_req_t *r, int status, json_t *o, const char *ctype)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {   /* out of memory: no JSON to build the problem with (gw_reply_oom) */
        static const char oom[] = "{\"type\":\"urn:mvoi:problem:unavailable\",\"title\":"
                                  "\"Service Unavailable\",\"status\":503,\"detail\":"
                                  "\"out of memory\"}";
        r->retry_after = GW_PROBLEM_RETRY_AFTER_S;
        gw_reply_text(r, 503, "application/problem+json", oom, sizeof oom - 1);
        return;
    }
    size_t n = strlen(s);
    s_reply_owned(r, status, ctype, s, n);
}

void gw_reply_json(gw_req_t *r, int status, json_t *o)
{
    s_reply_json_ct(r, status, o, "application/json");
}

/* The status's title in the request's language (RFC 9457 §3.1.3: a title changes only
 * with the language); the body now depends on it. */
void gw_reply_problem_json(gw_req_t *r, int status, json_t *p)
{
    char key[32];
    snprintf(key, sizeof key, "gw.status.%d", status);
    if (p && text_has(key))
        json_object_set_new(p, "title", json_string(text_get(r->lang, key)));
    r->lang_body = true;
    s_reply_json_ct(r, status, p, "application/problem+json");
}

void gw_reply_problem(gw_req_t *r, int status, const char *slug, const char *detail,
                      const char *field)
{
    const char *d = detail ? textfmt_from_en(r->lang, "gw.", detail) : NULL;
    gw_reply_problem_json(r, status, gw_problem_new(status, slug, d, field));
}

void gw_reply_unavailable(gw_req_t *r, const char *detail)
{
    r->retry_after = GW_PROBLEM_RETRY_AFTER_S;
    gw_reply_problem(r, 503, gw_problem_slug(MVOI__ERROR_CODE__ERR_UNAVAILABLE), detail, NULL);
}

void gw_reply_oom(gw_req_t *r) { gw_reply_unavailable(r, "out of memory"); }

void gw_reply_unreachable(gw_req_t *r) { gw_reply_unavailable(r, "the service is not reachable"); }

void gw_reply_problemf(gw_req_t *r, int status, const char *slug, const char *field,
                       const char *fmt, ...)
{
    char d[512];
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(d, sizeof d, r->lang, "gw.", fmt, ap);
    va_end(ap);
    gw_reply_problem_json(r, status, gw_problem_new(status, slug, d, field));
}

/* ---------------------------------------------------------------- query parameters */

static enum MHD_Result s_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    return gw_query_add(cls, key, value) == 0 ? MHD_YES : MHD_NO;
}

static const char *s_arg(gw_req_t *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* Query string -> message of type desc, strictly (gw_query.h). On error the problem reply
 * is set, NULL. */
static ProtobufCMessage *s_query_msg(gw_req_t *r, const ProtobufCMessageDescriptor *desc,
                                     const char *const *extra)
{
    gw_query_args_t a = { .n = 0 };
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, s_collect, &a);
    ProtobufCMessage *msg = NULL;
    gw_query_error_t e;
    if (gw_query_decode(&a, desc, extra, &msg, &e) < 0) {
        gw_reply_problem(r, 400, "invalid-argument", e.detail, e.field[0] ? e.field : NULL);
        return NULL;
    }
    return msg;
}

/* Only the listed parameters (for endpoints without a query message). */
static bool s_only(gw_req_t *r, const char *const *allowed)
{
    return s_query_msg(r, NULL, allowed) != NULL || !r->has_resp;
}

/* ---------------------------------------------------------------- upstream plumbing */

static ProtobufCMessage *s_body(const Mvoi__Envelope *env, const char **name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor, env->body_case);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    if (name)
        *name = f->name;
    return *(ProtobufCMessage **)((char *)env + f->offset);
}

static void s_set_body(Mvoi__Envelope *env, unsigned body_case, ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor, body_case);
    env->body_case = (Mvoi__Envelope__BodyCase)body_case;
    *(ProtobufCMessage **)((char *)env + f->offset) = m;
}

/* A service refused the gateway's own key (gw_problem_gateway_key): the client's token was
 * accepted and cannot fix it, so not its 403 "your token may not" but 502 naming the
 * gateway's key, and the operator reads which service and why in the log (once per
 * service). The detail in d. */
static void s_gateway_key_refused(gw_req_t *r, const Mvoi__Error *e, char *d, size_t dlen)
{
    const char *name = r->up ? gw_upstream_name(r->up) : "";
    if (r->up && gw_upstream_first_key_refusal(r->up)) {
        const char *kv[] = { "service", name, NULL };
        log_emit(LOG_ERROR, "upstream_refused_gateway_key", kv,
                 "%s refused the gateway's own CURVE key (MVOI_CURVE_KEY): %s; put the "
                 "gateway's public key in the service's key registry", name,
                 e->message ? e->message : "-");
    }
    textfmt_tr(d, dlen, r->lang, "gw.",
               "the service %s refused the gateway's own key: the gateway's "
               "configuration, for an operator to correct", name);
}

/* A service's refusal e as a problem object (its status in *status, r->retry_after set):
 * the one mapping of a refused request (gw_reply_upstream_error) and of a refused item of a
 * batch (s_reply_measurements). The item's was a copy of its own, with gw_problem_status:
 * a measurement refused for the gateway's own key was 403 "permission-denied", telling the
 * client its token may not, where the request's was 502 gateway-key-refused. fallback_en:
 * the detail (a "gw." catalogue text) when the service's message is not for the client. */
static json_t *s_upstream_problem(gw_req_t *r, const Mvoi__Error *e, const char *body_name,
                                  const char *fallback_en, int *status)
{
    Mvoi__ErrorCode code = e->has_code ? e->code : MVOI__ERROR_CODE__ERR_INTERNAL;
    if (gw_problem_gateway_key(code, e->field)) {
        char d[512];
        s_gateway_key_refused(r, e, d, sizeof d);
        *status = gw_problem_upstream_status(code, e->field, r->body.len > 0);   /* 502 */
        return gw_problem_new(*status, GW_PROBLEM_GATEWAY_KEY_SLUG, d, NULL);
    }
    *status = gw_problem_upstream_status(code, e->field, r->body.len > 0);
    if (!r->retry_after)
        r->retry_after = gw_problem_retry_after(code);
    char field[256] = "";
    if (e->field)
        snprintf(field, sizeof field, "%s", e->field);
    if (body_name)
        gw_problem_field_strip(field, body_name);
    const char *detail = gw_problem_detail_public(code) && e->message ? e->message : fallback_en;
    if (r->settle_gave_up)   /* sent again under an id the client does not know (gw_settle) */
        detail = "the measurement's tender is not known yet and the calendar did not confirm "
                 "it in time: send the measurement again later";
    return gw_problem_new(*status, gw_problem_slug(code), textfmt_from_en(r->lang, "gw.", detail),
                          field);
}

void gw_reply_upstream_error(gw_req_t *r, const Mvoi__Error *e)
{
    int status = 502;
    json_t *p = s_upstream_problem(r, e, r->body_name,
                                   "the service could not handle the request", &status);
    gw_reply_problem_json(r, status, p);
}

static void s_reply_body(gw_req_t *r, int status, Mvoi__Envelope *env)
{
    ProtobufCMessage *m = s_body(env, NULL);
    json_t *o = m ? pbjson_encode(m, PBJSON_EMIT_EMPTY) : json_object();
    gw_reply_json(r, status, o);
}

static void s_on_upstream(void *arg, int rc, Mvoi__Envelope *reply)
{
    gw_req_t *r = arg;
    r->pending = false;
    if (rc == 0 && reply->body_case == MVOI__ENVELOPE__BODY_ERROR && reply->error) {
        if (gw_settle_again(r, reply->error)) {   /* sent again after a pause (gw_settle.c) */
            codec_free(&reply);
            return;
        }
        gw_reply_upstream_error(r, reply->error);
    } else if (rc == 0) {
        r->on_reply(r, reply);
    } else if (rc == -ETIMEDOUT) {
        gw_reply_problem(r, 504, "upstream-timeout", "the service did not answer in time", NULL);
    } else {
        gw_reply_unreachable(r);
    }
    codec_free(&reply);
    gw_resume(r);
}

/* Send body m (owned by the caller: freed here) to up; reply handled by on_reply. */
static void s_call(gw_req_t *r, gw_upstream_t *up, unsigned body_case, ProtobufCMessage *m,
                   const char *request_id, void (*on_reply)(gw_req_t *, Mvoi__Envelope *))
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.buyer = r->buyer;
    env.request_id = (char *)request_id;
    env.lang = (char *)text_lang_name(r->lang);   /* the texts of its reply (a refusal's) */
    s_set_body(&env, body_case, m);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor, body_case);
    r->body_name = f ? f->name : NULL;
    r->on_reply = on_reply;
    r->up = up;
    int rc = gw_upstream_request(up, &env, s_on_upstream, r, &r->up_id);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    if (rc == 0)
        r->pending = true;
    else if (rc == -EBUSY)
        gw_reply_problem(r, 409, "conflict", "a request with this Idempotency-Key is in flight",
                         "Idempotency-Key");
    else
        gw_reply_unreachable(r);
}

/* ---------------------------------------------------------------- GET handlers */

static void s_static(gw_req_t *r, const char *name)
{
    const gw_asset_t *a = gw_asset_find(name);
    if (!a) {
        gw_reply_problem(r, 404, "not-found", "no such file", NULL);
        return;
    }
    gw_reply_text(r, 200, gw_asset_type(name), (const char *)a->data, a->len);
    r->cacheable = strcmp(name, "index.html") != 0;
}

/* A page's ?year=: four digits in [lo, hi], else 400. A page shown for a year it could not
 * read would show zeros that were never counted as if they were live. */
static bool s_page_year(gw_req_t *r, unsigned lo, unsigned hi)
{
    const char *y = s_arg(r, "year");
    if (!y)
        return true;
    bool ok = strlen(y) == 4;
    for (const char *p = y; ok && *p; p++)
        ok = *p >= '0' && *p <= '9';
    unsigned v = ok ? (unsigned)atoi(y) : 0;
    if (ok && v >= lo && v <= hi)
        return true;
    gw_reply_problemf(r, 400, "invalid-argument", "year", "expected a year %u..%u", lo, hi);
    return false;
}

/* The dashboard's ?trend=: one of the six KPIs. */
static bool s_page_trend(gw_req_t *r)
{
    const char *k = s_arg(r, "trend");
    int kpi = 0;
    if (!k || (pbjson_enum_parse(&mvoi__kpi__descriptor, k, &kpi) == 0 && kpi != 0))
        return true;
    gw_reply_problem(r, 400, "invalid-argument",
                     "expected fairtrade, sroi, nox, material, co2 or pilots", "trend");
    return false;
}

bool gw_page_params(gw_req_t *r, unsigned year_lo, unsigned year_hi)
{
    /* ?lang= was checked with every route's (gw_service.c): r->lang */
    return s_page_year(r, year_lo, year_hi) && s_page_trend(r);
}

static void h_index(gw_req_t *r)
{
    static const char *const ok[] = { "lang", "year", "trend", "access_token", NULL };
    /* the years of the report links the page makes (gw_report.c) */
    if (!s_only(r, ok) || !gw_page_params(r, 2000, 2100))
        return;
    s_static(r, "index.html");
}

static void h_static(gw_req_t *r) { s_static(r, r->arg); }

static void h_texts(gw_req_t *r)
{
    static const char *const ok[] = { "lang", NULL };
    if (!s_only(r, ok))
        return;
    text_lang_t lang = r->lang;
    json_t *texts = json_object();
    for (int i = 0; i < text_count(); i++) {
        const char *k = text_key(i);
        /* bench.status.*, its title and way back: the benchmark page when it fails before
         * its figures came */
        if (strncmp(k, "dash.", 5) == 0 || strncmp(k, "kpi.", 4) == 0 ||
            strncmp(k, "theme.", 6) == 0 || strncmp(k, "bench.status.", 13) == 0 ||
            strcmp(k, "bench.title") == 0 || strcmp(k, "bench.back") == 0)
            json_object_set_new(texts, k, json_string(text_get(lang, k)));
    }
    json_t *o = json_pack("{s:s, s:s, s:o}", "lang", text_lang_name(lang), "buyer",
                          r->buyer, "texts", texts);
    gw_reply_json(r, 200, o);
    r->lang_body = true;
}

static void h_kpi(gw_req_t *r)
{
    static const char *const ok[] = { "prefix", "after_seq", "after_incarnation",
                                      "after_producer", "wait_ms", NULL };
    if (!s_only(r, ok))
        return;
    if (s_arg(r, "after_seq")) {   /* read your own writes (gw_wait.c) */
        gw_wait_kpi(r);
        return;
    }
    gw_held_t *h = gw_buyer_held(r);
    if (!h)
        return;
    gw_buf_t b = { 0 };
    if (gw_view_render(gw_held_view(h), r->buyer, s_arg(r, "prefix"), &b) < 0) {
        gw_buf_free(&b);
        gw_reply_oom(r);
        return;
    }
    size_t len;
    char *s = gw_buf_take(&b, &len);
    s_reply_owned(r, 200, "application/json", s, len);
}

static void s_reply_200(gw_req_t *r, Mvoi__Envelope *env) { s_reply_body(r, 200, env); }

/* for the handlers of the other route files (gw_drill.c) */
void gw_reply_200(gw_req_t *r, Mvoi__Envelope *env) { s_reply_body(r, 200, env); }
void gw_call(gw_req_t *r, gw_upstream_t *up, unsigned body_case, ProtobufCMessage *m,
             void (*on_reply)(gw_req_t *, Mvoi__Envelope *))
{
    s_call(r, up, body_case, m, NULL, on_reply);
}
bool gw_only(gw_req_t *r, const char *const *allowed) { return s_only(r, allowed); }
ProtobufCMessage *gw_query_msg(gw_req_t *r, const ProtobufCMessageDescriptor *desc,
                               const char *const *extra)
{
    return s_query_msg(r, desc, extra);
}

static void h_kpi_series(gw_req_t *r)
{
    int kpi = 0;
    if (pbjson_enum_parse(&mvoi__kpi__descriptor, r->arg, &kpi) < 0 || kpi == 0) {
        gw_reply_problem(r, 404, "not-found",
                         "no such KPI (fairtrade, sroi, nox, material, co2, pilots)", "kpi");
        return;
    }
    static const char *const extra[] = { NULL };
    Mvoi__KpiSeriesQuery *q = (Mvoi__KpiSeriesQuery *)s_query_msg(
        r, &mvoi__kpi_series_query__descriptor, extra);
    if (!q)
        return;
    if (q->buyer || q->has_kpi) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        gw_reply_problem(r, 400, "invalid-argument", "set by the path and the gateway",
                         "kpi");
        return;
    }
    /* both years optional (README): from_year is to_year's, or the current year; to_year
     * is from_year's (the aggregator's rule). An explicit bad year still goes up: 422. */
    if (!q->has_from_year) {
        /* this year in Amsterdam (gw_year): the UTC year was last year's until 01:00 on
         * 1 January */
        q->from_year = q->has_to_year ? q->to_year : gw_year_now();
        if (!q->has_to_year && !q->from_year) {
            protobuf_c_message_free_unpacked(&q->base, NULL);
            gw_reply_problem(r, 500, "internal", "the current year cannot be determined: "
                             "give from_year", "from_year");
            return;
        }
        q->has_from_year = true;
    }
    q->buyer = strdup(r->buyer);
    q->has_kpi = true;
    q->kpi = (Mvoi__Kpi)kpi;
    s_call(r, r->gw->kpi, MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY, &q->base, NULL, s_reply_200);
}

static void h_tenders(gw_req_t *r)
{
    const char *view = s_arg(r, "view");
    static const char *const extra[] = { "view", NULL };
    if (view && strcmp(view, "upcoming") == 0) {
        ProtobufCMessage *q = s_query_msg(r, &mvoi__upcoming_tenders__descriptor, extra);
        if (q)
            s_call(r, r->gw->cal, MVOI__ENVELOPE__BODY_UPCOMING_TENDERS, q, NULL, s_reply_200);
        return;
    }
    if (view && strcmp(view, "list") != 0) {
        gw_reply_problem(r, 400, "invalid-argument", "expected list or upcoming", "view");
        return;
    }
    ProtobufCMessage *q = s_query_msg(r, &mvoi__list_tenders__descriptor, extra);
    if (q)
        s_call(r, r->gw->cal, MVOI__ENVELOPE__BODY_LIST_TENDERS, q, NULL, s_reply_200);
}

static void s_reply_tender(gw_req_t *r, Mvoi__Envelope *env)
{
    if (env->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY && env->tender_reply->tender) {
        gw_reply_json(r, 200, pbjson_encode(&env->tender_reply->tender->base, PBJSON_EMIT_EMPTY));
        return;
    }
    s_reply_body(r, 200, env);
}

static void h_tender(gw_req_t *r)
{
    static const char *const ok[] = { NULL };
    if (!s_only(r, ok))
        return;
    Mvoi__GetTender *g = malloc(sizeof *g);
    mvoi__get_tender__init(g);
    g->id = strdup(r->arg);
    s_call(r, r->gw->cal, MVOI__ENVELOPE__BODY_GET_TENDER, &g->base, NULL, s_reply_tender);
}

static void h_reminders(gw_req_t *r)
{
    ProtobufCMessage *q = s_query_msg(r, &mvoi__list_reminders__descriptor, NULL);
    if (q)
        s_call(r, r->gw->ntf, MVOI__ENVELOPE__BODY_LIST_REMINDERS, q, NULL, s_reply_200);
}

static void h_measurements(gw_req_t *r)
{
    ProtobufCMessage *q = s_query_msg(r, &mvoi__list_measurements__descriptor, NULL);
    if (q)
        s_call(r, r->gw->imp, MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS, q, NULL, s_reply_200);
}

/* ---------------------------------------------------------------- POST handlers */

/* Body -> message; on error the problem reply is set. */
static ProtobufCMessage *s_body_msg(gw_req_t *r, const ProtobufCMessageDescriptor *desc)
{
    json_error_t je;
    json_t *o = gw_body_json(r, &je);
    if (!o && r->has_resp)
        return NULL;
    if (!o) {
        gw_reply_problemf(r, 400, "bad-json", NULL, "not JSON: %s (line %d, column %d)",
                          je.text, je.line, je.column);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        gw_reply_problem(r, 400, "bad-json", "expected a JSON object", NULL);
        return NULL;
    }
    ProtobufCMessage *m = NULL;
    pbjson_error_t e;
    int rc = pbjson_decode(o, desc, &m, &e);
    json_decref(o);
    if (rc == -E2BIG) {
        gw_reply_problem(r, 413, "too-large", e.message, e.field);
        return NULL;
    }
    if (rc < 0) {
        gw_reply_problem(r, 400, "invalid-argument", e.message, e.field);
        return NULL;
    }
    return m;
}

/* The command's request id: "gw:" + Idempotency-Key, or NULL (the upstream client makes
 * a unique one). On a bad key the problem reply is set and *bad is true. */
static const char *s_request_id(gw_req_t *r, char *buf, size_t len, bool *bad)
{
    *bad = false;
    const char *k = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (!k)
        return NULL;
    size_t n = strlen(k);
    bool ok = n >= 1 && n <= 100;
    for (size_t i = 0; ok && i < n; i++)
        ok = k[i] > 0x20 && k[i] < 0x7f;
    if (!ok) {
        *bad = true;
        gw_reply_problem(r, 400, "invalid-argument", "1 to 100 printable ASCII characters",
                         "Idempotency-Key");
        return NULL;
    }
    /* The key becomes the request id: checked here by the id rule, so that a key the
     * services cannot take ("a$b", "a,b") is this header's 400, not the service's 422 on a
     * "request_id" the client never sent, its position counted in "gw:<key>". */
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_in(r->lang, MVOI_ID_REQUEST, k, why, sizeof why) != 0) {
        *bad = true;
        gw_reply_problem_json(r, 400, gw_problem_new(400, "invalid-argument", why,
                                                     "Idempotency-Key"));
        return NULL;
    }
    snprintf(buf, len, "gw:%s", k);
    return buf;
}

/* The start of every POST that becomes a command: no query parameters, an optional
 * Idempotency-Key (*id, NULL when absent), the JSON body as desc. NULL once a problem was
 * answered. */
static ProtobufCMessage *s_command_body(gw_req_t *r, const ProtobufCMessageDescriptor *desc,
                                        char *rid, size_t len, const char **id)
{
    static const char *const none[] = { NULL };
    if (!s_only(r, none))
        return NULL;
    bool bad;
    *id = s_request_id(r, rid, len, &bad);
    return bad ? NULL : s_body_msg(r, desc);
}

/* ids are plain tokens; nothing odd is echoed into a header */
static bool s_plain_id(const char *id)
{
    bool plain = strlen(id) < 200;
    for (const char *p = id; plain && *p; p++)
        plain = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' || *p == '.';
    return plain;
}

/* Location of a created resource: the path, and ?buyer= whenever the request named a
 * buyer or the resource is another buyer's than the request's. Ids are per buyer: without
 * it a GET of the Location resolves against the reader's default buyer and finds nothing,
 * or another buyer's resource with the same id. */
static void s_set_location(gw_req_t *r, const char *path, const char *id, const char *buyer)
{
    if (!buyer || !*buyer)
        buyer = r->buyer;
    if (!s_plain_id(id) || !s_plain_id(buyer))
        return;
    bool named = s_arg(r, "buyer") != NULL || strcmp(buyer, r->buyer) != 0;
    if (named)
        snprintf(r->location, sizeof r->location, "%s/%s?buyer=%s", path, id, buyer);
    else
        snprintf(r->location, sizeof r->location, "%s/%s", path, id);
}

static void s_reply_created_tender(gw_req_t *r, Mvoi__Envelope *env)
{
    if (env->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY && env->tender_reply->tender &&
        env->tender_reply->tender->id)
        s_set_location(r, "/api/tenders", env->tender_reply->tender->id,
                       env->tender_reply->tender->buyer);
    s_reply_body(r, 201, env);
}

static void h_post_tender(gw_req_t *r)
{
    char rid[128];
    const char *id;
    ProtobufCMessage *m = s_command_body(r, &mvoi__register_tender__descriptor, rid,
                                         sizeof rid, &id);
    if (!m)
        return;
    Mvoi__RegisterTender *rt = (Mvoi__RegisterTender *)m;
    if (!rt->tender) {
        protobuf_c_message_free_unpacked(m, NULL);
        gw_reply_problem(r, 400, "invalid-argument", "required", "tender");
        return;
    }
    if (rt->tender->buyer && *rt->tender->buyer &&
        !gw_access_buyer(r, rt->tender->buyer, "tender.buyer")) {
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    s_call(r, r->gw->cal, MVOI__ENVELOPE__BODY_REGISTER_TENDER, m, id, s_reply_created_tender);
}

static void s_reply_measurements(gw_req_t *r, Mvoi__Envelope *env)
{
    if (env->body_case != MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
        s_reply_body(r, 200, env);
        return;
    }
    Mvoi__MeasurementReply *mr = env->measurement_reply;
    for (size_t i = 0; i < mr->n_results; i++) {
        Mvoi__MeasurementResult *res = mr->results[i];
        if (res->ok || !res->error)
            continue;
        /* the first failure decides the status; every result is in "results" */
        int status = 502;
        json_t *p = s_upstream_problem(r, res->error, "submit_measurements",
                                       "the measurement was not accepted", &status);
        json_t *all = pbjson_encode(&mr->base, PBJSON_EMIT_EMPTY);
        if (p && all) {
            json_object_set(p, "results", json_object_get(all, "results"));
            size_t okn = 0;
            for (size_t j = 0; j < mr->n_results; j++)
                okn += mr->results[j]->ok;
            json_object_set_new(p, "accepted", json_integer((json_int_t)okn));
        }
        json_decref(all);
        gw_reply_problem_json(r, status, p);
        return;
    }
    /* the producer's incarnation, for ?after_incarnation= of a read-your-writes GET
     * (gw_wait.c): a string, since a JSON number above 2^53 is not exact in a browser */
    json_t *o = pbjson_encode(&mr->base, PBJSON_EMIT_EMPTY);
    if (o && env->has_incarnation) {
        char inc[24];
        snprintf(inc, sizeof inc, "%" PRIu64, env->incarnation);
        json_object_set_new(o, "incarnation", json_string(inc));
    }
    gw_reply_json(r, 201, o);
    r->lang_body = true;   /* the items' explanations */
}

static void h_post_measurements(gw_req_t *r)
{
    char rid[128];
    const char *id;
    ProtobufCMessage *m = s_command_body(r, &mvoi__submit_measurements__descriptor, rid,
                                         sizeof rid, &id);
    if (!m)
        return;
    Mvoi__SubmitMeasurements *sm = (Mvoi__SubmitMeasurements *)m;
    if (sm->n_measurements == 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        gw_reply_problem(r, 400, "invalid-argument", "at least one measurement", "measurements");
        return;
    }
    for (size_t i = 0; i < sm->n_measurements; i++) {
        Mvoi__Measurement *x = sm->measurements[i];
        if (!x->buyer)
            x->buyer = strdup(r->buyer);
        else if (!gw_access_buyer(r, x->buyer, "measurements.buyer")) {
            protobuf_c_message_free_unpacked(m, NULL);
            return;
        }
        if (!x->submitter && r->has_tok)
            x->submitter = strdup(r->tok.name);
    }
    /* the items' refusals and explanations in the request's language; a lang the body
     * names itself wins (it is checked by the service) */
    if (!sm->lang || !*sm->lang) {
        free(sm->lang);
        sm->lang = strdup(text_lang_name(r->lang));
    }
    /* a tender registered a moment ago may not have reached the calculator yet: the same
     * request, with the same id, is sent again until the final answer (gw_settle.c) */
    gw_settle_begin(r, &id);
    s_call(r, r->gw->imp, MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS, m, id, s_reply_measurements);
}

/* ---------------------------------------------------------------- stream, ops */

static void h_stream(gw_req_t *r)
{
    static const char *const ok[] = { "lastEventId", "lang", NULL };
    if (!s_only(r, ok))
        return;
    const char *lei = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!lei)
        lei = s_arg(r, "lastEventId");
    /* an id that is not "<epoch>-<incarnation>-<seq>" (a bare seq, negative, huge, text) is
     * no position:
     * the stream begins with a snapshot, never with a guess at where the client was */
    gw_sse_pos_t from;
    gw_sse_id_parse(lei, &from);
    /* A stream holds its connection for as long as the client likes: without a bound, streams
     * alone could take every connection of connection_limit, and every other request (a
     * POST of measurements too) got no answer at all, the connection closed unread. */
    gw_sse_stats_t st;
    gw_sse_stats(r->gw->sse, &st);
    if (st.clients >= r->gw->o.sse_max_clients) {
        r->gw->sse_refused++;
        r->retry_after = 5;
        gw_reply_problemf(r, 503, "too-many-streams", NULL,
                          "%u streams are open, as many as this gateway serves "
                          "(sse_max_clients): try again later",
                          (unsigned)st.clients);
        return;
    }
    gw_sse_client_t *c = NULL;
    struct MHD_Response *resp = gw_sse_open(r->gw->sse, r->conn, r->buyer, &c);
    if (!resp) {
        gw_reply_unavailable(r, "cannot open a stream now");   /* out of memory */
        return;
    }
    if (r->has_tok)
        gw_sse_set_tokened(c);
    char retry[32];
    int n = snprintf(retry, sizeof retry, "retry: %u\n\n", r->gw->o.sse_retry_ms);
    gw_sse_append(c, retry, (size_t)n);
    /* the buyer's totals load now if they are not held, and stay while the stream lives */
    gw_held_t *h = gw_hold_get(r->gw->hold, r->buyer);
    if (h)
        gw_held_streams(h, +1);
    gw_sse_init_client(r->gw, c, &from);
    r->ready = resp;
    r->status = 200;
    r->ctype = "text/event-stream";
}

static void h_metrics(gw_req_t *r)
{
    static const char *const ok[] = { NULL };
    if (!s_only(r, ok))
        return;
    gw_buf_t b = { 0 };
    gw_metrics_render(r->gw, &b);
    size_t len;
    char *s = gw_buf_take(&b, &len);
    s_reply_owned(r, 200, "text/plain; version=0.0.4; charset=utf-8", s, len);
}

static void h_healthz(gw_req_t *r)
{
    static const char ok[] = "{\"live\":true}";
    gw_reply_text(r, 200, "application/json", ok, sizeof ok - 1);
}

static void h_readyz(gw_req_t *r)
{
    if (r->gw->stopping) {
        gw_reply_unavailable(r, "stopping");
        return;
    }
    if (!gw_clone_fresh(r->gw->clone)) {
        char why[320];
        r->retry_after = GW_STALE_RETRY_AFTER_S;
        gw_reply_problem(r, 503, "stale", gw_clone_why(r->gw->clone, r->lang, why, sizeof why),
                         NULL);
        return;
    }
    static const char ok[] = "{\"ready\":true}";
    gw_reply_text(r, 200, "application/json", ok, sizeof ok - 1);
}

const gw_route_t gw_routes[] = {
    { "GET", "/", "/", GW_ACCESS_OPEN, h_index },
    { "GET", "/static/{}", "/static", GW_ACCESS_OPEN, h_static },
    { "GET", "/api/texts", "/api/texts", GW_ACCESS_OPEN, h_texts },
    { "GET", "/api/buyers", "/api/buyers", GW_ACCESS_READ, gw_h_buyers },
    { "GET", "/api/kpi", "/api/kpi", GW_ACCESS_READ, h_kpi },
    { "GET", "/api/kpi/{}", "/api/kpi/{kpi}", GW_ACCESS_READ, h_kpi_series },
    { "GET", "/api/tenders", "/api/tenders", GW_ACCESS_READ, h_tenders },
    { "POST", "/api/tenders", "/api/tenders", GW_ACCESS_ADMIN, h_post_tender },
    { "GET", "/api/tenders/{}", "/api/tenders/{id}", GW_ACCESS_READ, h_tender },
    { "GET", "/api/reminders", "/api/reminders", GW_ACCESS_READ, h_reminders },
    { "GET", "/api/measurements", "/api/measurements", GW_ACCESS_READ, h_measurements },
    { "GET", "/api/measurements/{}", "/api/measurements/{id}", GW_ACCESS_READ, gw_h_measurement },
    { "GET", "/api/factors", "/api/factors", GW_ACCESS_READ, gw_h_factors },
    { "GET", "/api/breakdown", "/api/breakdown", GW_ACCESS_READ, gw_h_breakdown },
    { "GET", "/favicon.ico", "/favicon.ico", GW_ACCESS_OPEN, gw_h_favicon },
    { "GET", "/api/report", "/api/report", GW_ACCESS_READ, gw_h_report },
    { "POST", "/api/narratives", "/api/narratives", GW_ACCESS_ADMIN, gw_h_narrative },
    { "POST", "/api/measurements", "/api/measurements", GW_ACCESS_SUBMIT, h_post_measurements },
    { "GET", "/api/stream", "/api/stream", GW_ACCESS_READ, h_stream },
    { "GET", "/metrics", "/metrics", GW_ACCESS_READ, h_metrics },
    { "GET", "/benchmark", "/benchmark", GW_ACCESS_OPEN, gw_h_bench_page },
    { "GET", "/api/benchmark", "/api/benchmark", GW_ACCESS_READ, gw_h_benchmark },
    { "GET", "/api/benchmark/{}", "/api/benchmark/{file}", GW_ACCESS_READ, gw_h_bench_data },
    { "GET", "/healthz", "/healthz", GW_ACCESS_OPEN, h_healthz },
    { "GET", "/readyz", "/readyz", GW_ACCESS_OPEN, h_readyz },
};
const size_t gw_nroutes = sizeof gw_routes / sizeof gw_routes[0];
