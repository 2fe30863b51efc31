/*  gw_internal: what the gateway's files share (not a public interface). */
#ifndef MVOI_GW_INTERNAL_H
#define MVOI_GW_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <protobuf-c/protobuf-c.h>
#include "envelope.pb-c.h"
#include "gw_auth.h"
#include "gw_buf.h"
#include "gw_clone.h"
#include "gw_hold.h"
#include "gw_http.h"
#include "gw_service.h"
#include "gw_sse.h"
#include "gw_upstream.h"
#include "text.h"
#include "bm.h"

typedef struct gw_req_t gw_req_t;
typedef struct gw_wait_t gw_wait_t;

typedef enum { GW_ACCESS_OPEN = 0, GW_ACCESS_READ, GW_ACCESS_SUBMIT, GW_ACCESS_ADMIN } gw_access_t;

typedef void (gw_handler_fn)(gw_req_t *r);

typedef struct {
    const char *method;        /* "GET", "POST" */
    const char *pattern;       /* "/api/tenders" or "/api/tenders/{}" */
    const char *name;          /* metrics label */
    gw_access_t access;
    gw_handler_fn *fn;
} gw_route_t;

#define GW_MAX_CODES 16
typedef struct {
    const char *name;
    int code[GW_MAX_CODES];
    uint64_t count[GW_MAX_CODES];
    int ncodes;
} gw_route_stat_t;

#include "bm_tender.h"

/* The share measures' rounds over the calendar (gw_bench_cal.c). */
typedef struct {
    uv_timer_t timer;
    bool timer_init, busy, pending;
    uint32_t interval_ms;
    size_t next;               /* registry index being read */
    uint32_t offset;           /* its next page */
    uint64_t req_id;
    bm_tcount_t count;         /* its tenders so far */
    uint64_t rounds, errors, failed;
} gw_bench_cal_t;

struct gw_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    gw_opts_t o;
    char buyer[128];
    text_lang_t lang;
    gw_http_t *http;
    gw_sse_t *sse;
    gw_clone_t *clone;         /* every buyer's year totals: the national benchmark */
    gw_hold_t *hold;           /* the buyers being served, each its own view (gw_hold.c) */
    gw_auth_t *auth;
    gw_upstream_t *cal, *imp, *kpi, *ntf;
    gw_upstream_t *rep;        /* report service; NULL when not configured */
    char reports_dir[4096];    /* its reports directory, resolved; "" when unknown */
    gw_route_stat_t *rstats;   /* one per route + one for "other" */
    size_t nroutes;
    uint64_t started_ms;
    bool stopping;
    uv_timer_t drain;
    uint64_t drain_deadline;
    uint64_t body_rejected, auth_failures;
    uint64_t buyer_refused;    /* 403 buyer-not-allowed (gw_access.c) */
    uint64_t sse_refused;      /* 503 too-many-streams (gw_routes.c h_stream) */
    uint64_t settle_resends;   /* measurements sent again, their tender not known yet */
    uint64_t settle_gave_up;   /* ... still not known past upstream_timeout_ms: 503 */
    bm_t *bench;               /* the national benchmark (gw_bench.c) */
    gw_bench_cal_t bcal;
    gw_wait_t *waits;          /* GET /api/kpi?after_seq= waiting (gw_wait.c) */
    uv_timer_t wait_timer;
    bool wait_timer_init, wait_timer_on;
};

struct gw_req_t {
    gw_t *gw;
    struct MHD_Connection *conn;
    const gw_route_t *route;
    int route_idx;             /* -1: none */
    char arg[256];             /* {} of the pattern, percent-decoded by MHD */
    char buyer[MVOI_ID_BUYER_MAX + 1];   /* ?buyer= or the gateway's (gw_buyer.c) */
    text_lang_t lang;          /* ?lang=, Accept-Language or the gateway's (gw_lang.h) */
    bool lang_body;            /* the body is in lang: Content-Language, Vary */
    bool head;                 /* HEAD request */
    gw_buf_t body;
    bool too_large;
    bool started;
    bool suspended;
    bool pending;              /* waiting for an upstream reply */
    gw_upstream_t *up;
    uint64_t up_id;
    gw_role_t role;
    bool has_tok;              /* a token was presented and known (gw_access.c) */
    gw_token_t tok;            /* a copy of its entry: buyers owned (gw_access_free) */
    /* the response, once known */
    bool has_resp;
    int status;
    char *resp;
    size_t resp_len;
    const char *ctype;
    char location[320];
    char disposition[320];     /* Content-Disposition of a served file */
    bool report_doc;           /* a report's HTML: its own inline style, no script at all */
    const char *allow;         /* 405 */
    unsigned retry_after;      /* seconds, 503 while a buyer's totals load; 0 = none */
    bool www_auth;
    bool cacheable;            /* static assets */
    struct MHD_Response *ready;/* prebuilt (SSE) */
    void (*on_reply)(gw_req_t *r, Mvoi__Envelope *reply);
    const char *body_name;     /* upstream body arm, for field paths */
    gw_wait_t *wait;           /* read your own writes: waiting for after_seq (gw_wait.c) */
    /* a command sent again while its tender is not known yet (gw_settle.c) */
    bool settle;               /* the route's handler asked for it (gw_settle_begin) */
    char rid[MVOI_ID_MAX + 1]; /* the request id made for it when it has no Idempotency-Key */
    uint64_t settle_deadline;  /* loop ms: no more sends after it */
    uint32_t settle_pause_ms;  /* before the next send */
    bool settle_gave_up;       /* ... and past the bound, under the gateway's own id */
};

/* gw_routes.c */
extern const gw_route_t gw_routes[];
extern const size_t gw_nroutes;
void gw_reply_json(gw_req_t *r, int status, json_t *o);           /* steals o */
void gw_reply_text(gw_req_t *r, int status, const char *ctype, const char *text, size_t len);
/* gw_access.c: the token's role, then r->buyer (?buyer=, the token's only buyer or the
 * default) and whether the token may act for it; false once answered (401/403/400/404). */
bool gw_access_check(gw_req_t *r);
/* Whether the request's token may act for buyer (no token: yes); false with a 403
 * buyer-not-allowed answered, field naming where the buyer came from. */
bool gw_access_buyer(gw_req_t *r, const char *buyer, const char *field);
void gw_access_free(gw_req_t *r);
/* Replace the tokens by the file's (SIGHUP); -1 with err and the old ones kept. */
int gw_access_reload(gw_t *gw, const char *path, char *err, size_t errlen);
/* gw_buyer.c: the request's buyer's KPI view, loaded on first use; NULL once answered (the
 * request waits while it loads, then 503 + Retry-After; 503 stale). */
gw_held_t *gw_buyer_held(gw_req_t *r);
void gw_h_buyers(gw_req_t *r);

/* A problem document in the request's language: the title is the status's, the detail the
 * catalogue's text ("gw." entries) whose English is detail, else detail as it is (a
 * service's message, already in the language it was asked for). */
void gw_reply_problem(gw_req_t *r, int status, const char *slug, const char *detail,
                      const char *field);
/* The same with a printf detail: fmt is the English, translated before formatting. */
void gw_reply_problemf(gw_req_t *r, int status, const char *slug, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The gateway's own passing shortage, 503 "unavailable" with Retry-After
 * (GW_PROBLEM_RETRY_AFTER_S) as a service's ERR_UNAVAILABLE (README "Errors"): asking again
 * later may succeed. detail: the English of a "gw." catalogue entry. */
void gw_reply_unavailable(gw_req_t *r, const char *detail);
/* Retry-After of a 503 "stale" or "loading" (a view behind or loading catches up within
 * seconds: the follower re-snapshots at once) */
#define GW_STALE_RETRY_AFTER_S 1u
/* The problem type of a 500: the gateway's own configuration (a service or the reports
 * directory not set, or not the report service's) or disk keeps it from answering. Asked
 * again the same is refused the same, so no Retry-After: an operator corrects it. It was 503
 * without Retry-After, a "passing" state that never passed. */
#define GW_MISCONFIGURED_SLUG "misconfigured"
/* Out of memory in the gateway: gw_reply_unavailable, not a 500 (no fault to report). */
void gw_reply_oom(gw_req_t *r);
/* A service the request was for is not reachable (not connected, its queue full): the same
 * 503 with Retry-After. */
void gw_reply_unreachable(gw_req_t *r);
/* A service's refusal e, mapped by its code (gw_problem.h, README's table): status,
 * Retry-After, slug, the field without r->body_name's prefix; r->up names the service of a
 * refused gateway key (502 gateway-key-refused). */
void gw_reply_upstream_error(gw_req_t *r, const Mvoi__Error *e);
/* json (stolen) as a problem document of r's language (title translated) */
void gw_reply_problem_json(gw_req_t *r, int status, json_t *p);
/* The request's body as JSON, parsed as every body is: duplicate keys refused, and a string
 * holding "\u0000" refused with 400 naming its field (gw_jsonnul.h): NULL with that reply
 * set. NULL with no reply set when the body is not JSON (je says why): the caller answers. */
json_t *gw_body_json(gw_req_t *r, json_error_t *je);
/* the body of the reply as JSON, 200 */
void gw_reply_200(gw_req_t *r, Mvoi__Envelope *env);
/* m (freed here) to up with the request's buyer; on_reply gets the answer */
void gw_call(gw_req_t *r, gw_upstream_t *up, unsigned body_case, ProtobufCMessage *m,
             void (*on_reply)(gw_req_t *, Mvoi__Envelope *));
/* only the listed query parameters (else a 400 is set: false) */
bool gw_only(gw_req_t *r, const char *const *allowed);
/* the query string as desc, strictly; NULL with a 400 set */
ProtobufCMessage *gw_query_msg(gw_req_t *r, const ProtobufCMessageDescriptor *desc,
                               const char *const *extra);

/* a page's parameters (lang, year in [year_lo, year_hi], trend): false with a 400 set */
bool gw_page_params(gw_req_t *r, unsigned year_lo, unsigned year_hi);

/* gw_drill.c: the dashboard's drill-down (a measurement, the factor tables, a total's
 * contributions) and the favicon */
void gw_h_measurement(gw_req_t *r);
void gw_h_factors(gw_req_t *r);
void gw_h_breakdown(gw_req_t *r);
void gw_h_favicon(gw_req_t *r);

/* gw_report.c: a report of the buyer (generated, then served) and the narratives */
void gw_h_report(gw_req_t *r);
void gw_h_narrative(gw_req_t *r);
/* whether report files can be served (a report service and a readable reports directory) */
bool gw_reports_served(const gw_t *gw);
/* gw_bench.c: the national benchmark, fed by the Clone view */
void gw_bench_total(gw_t *gw, const gw_total_t *t);
/* the totals the benchmark feed keeps: year totals of all dimensions */
bool gw_bench_keep(const Mvoi__KpiTotal *t);
void gw_bench_resync(gw_t *gw, bool full, const gw_total_t **changed, long n);
void gw_h_benchmark(gw_req_t *r);
/* gw_bench_cal.c: the share measures from the calendar, a round every interval_ms (0: off) */
int gw_bench_cal_start(gw_t *gw, uint32_t interval_ms);
void gw_bench_cal_stop(gw_t *gw);
void gw_h_bench_data(gw_req_t *r);
void gw_h_bench_page(gw_req_t *r);

/* gw_service.c */
void gw_resume(gw_req_t *r);
void gw_count(gw_t *gw, int route_idx, int status);
void gw_sse_init_client(gw_t *gw, gw_sse_client_t *c, const gw_sse_pos_t *from);

/* gw_wait.c: GET /api/kpi?after_seq=N: answers once the totals include it (or 504) */
void gw_wait_kpi(gw_req_t *r);
/* r's buyer's totals are loading: r's handler runs again once they are fresh (or 503 +
 * Retry-After after upstream_timeout_ms) */
void gw_wait_load(gw_req_t *r);
/* r's handler runs again after delay_ms, the connection suspended meanwhile; 0, or
 * -ECANCELED (stopping) / -ENOMEM with nothing changed */
int gw_wait_rerun(gw_req_t *r, uint32_t delay_ms);
void gw_wait_forget(gw_req_t *r);   /* the connection closed */
void gw_wait_stop(gw_t *gw);        /* stopping: waiters answer 503, the timer closes */

/* gw_settle.c: a SubmitMeasurements refused because its tender is not known yet is sent
 * again, with the same request id, until the final answer or upstream_timeout_ms.
 * gw_settle_begin: on each run of the handler; *id (NULL without Idempotency-Key) becomes
 * the request's own id, the same on every run. */
void gw_settle_begin(gw_req_t *r, const char **id);
/* A service's refusal e of r: true when r's handler runs again (the connection stays
 * suspended); false to answer it now (Retry-After set when it is that refusal). */
bool gw_settle_again(gw_req_t *r, const Mvoi__Error *e);

/* gw_metrics.c */
void gw_metrics_render(gw_t *gw, gw_buf_t *out);

#endif
