/*  gw_service: the gateway process (HTTP + JSON API + SSE + dashboard) on one libuv loop.
 *
 *  Wires gw_http (libmicrohttpd on the loop), gw_hold (the buyers served, each a Clone view
 *  of its totals), gw_clone (every buyer's year totals: the benchmark), gw_sse (streams), gw_upstream (one DEALER per service) and gw_auth
 *  (bearer tokens). Routes (README "Endpoints"):
 *    GET  /                       dashboard page (static/, embedded at build time)
 *    GET  /static/<file>          its script and style sheet
 *    GET  /api/texts?lang=        the catalogue's dash.*, kpi.*, theme.* texts
 *    GET  /api/kpi                snapshot of the totals (Clone view), 503 when stale
 *    GET  /api/kpi/{kpi}          series from the aggregator (KpiSeriesQuery)
 *    GET  /api/tenders            ListTenders (or UpcomingTenders with view=upcoming)
 *    GET  /api/tenders/{id}       GetTender
 *    POST /api/tenders            RegisterTender            (role admin)
 *    GET  /api/reminders          ListReminders
 *    GET  /api/measurements       ListMeasurements
 *    POST /api/measurements       SubmitMeasurements        (role submitter or admin)
 *    GET  /api/report             GenerateReport, then the file (gw_report.c)
 *    POST /api/narratives         SetNarrative              (role admin)
 *    GET  /api/stream             Server-Sent Events
 *    GET  /metrics /healthz /readyz
 */
#ifndef MVOI_GW_SERVICE_H
#define MVOI_GW_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "buyers.h"

typedef struct {
    const char *listen;            /* "127.0.0.1:8080" */
    const char *calendar_api, *impact_api, *kpi_api, *kpi_pub, *notifier_api;
    const char *report_api;        /* "" = no report links or narratives */
    const char *reports_dir;       /* the report service's output directory */
    uint32_t report_timeout_ms;    /* default 120000 (a PDF is printed by Chromium) */
    const char *tokens_file;       /* may be NULL/"" */
    bool read_token;               /* reads need a token (read_access=token) */
    size_t max_body;               /* default 1 MiB */
    const char *buyer;             /* default "heerlen": when a request names none */
    const mvoi_buyers_t *buyers;   /* the registry: which ?buyer= are served */
    const char *lang;              /* "nl" | "en" */
    uint32_t stale_ms;             /* default 5000 */
    uint32_t upstream_timeout_ms;  /* default 5000 */
    uint32_t sse_heartbeat_ms;     /* default 15000 */
    uint32_t sse_retry_ms;         /* default 3000 */
    size_t sse_max_queue;          /* default 8 MiB */
    uint32_t sse_max_clients;      /* open streams at most (1024); one more is 503 */
    uint32_t health_ms;            /* default 2000 */
    unsigned connection_limit;     /* default 4096 */
    unsigned per_ip_limit;         /* connections per client address, 0 = no limit */
    uint32_t request_deadline_ms;  /* a whole request must arrive within, default 10000 */
    uint32_t buyer_idle_ms;        /* drop a buyer's totals unused this long (600000) */
    unsigned bench_k;              /* benchmark: least buyers behind a distribution (5) */
    uint32_t bench_tenders_ms;     /* benchmark: pause between rounds over the calendar's
                                    * tenders (share measures); 0 = no share measures */
} gw_opts_t;

typedef struct gw_t gw_t;

/* NULL on error (*err: -EINVAL bad option, -EADDRINUSE cannot listen, ...); errmsg names
 * the reason. */
gw_t *gw_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_opts_t *o, int *err, char *errmsg,
             size_t errlen);
/* Graceful stop: stop listening, end streams, fail pending upstream requests with 503. */
void gw_stop(gw_t *self);
void gw_destroy(gw_t **self_p);
unsigned gw_port(gw_t *self);
/* Read the tokens file again (SIGHUP): 0, or -1 with the reason logged and the tokens in
 * force kept. Streams opened with a token end (their clients reconnect and are checked). */
int gw_reload_tokens(gw_t *self);

#endif
