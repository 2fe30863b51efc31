/*  report_service: the mvoi-report process around report_core.
 *
 *  Its own ROUTER (bus.h) instead of server.h, because GenerateReport is long-running: the
 *  data is gathered with DEALER requests on the loop (gather.h), the files are rendered on
 *  libuv's thread pool and the PDF is printed by a Chromium child (uv_spawn), so the loop
 *  never blocks; the reply is sent when the files are there. Idempotency is kept the same
 *  way as server.h does: the packed reply is stored under the request id in db "requests"
 *  in the transaction that appends the ReportEvent (topic report.generated) to the outbox;
 *  a repeat gets the stored reply, and a repeat while the job runs waits for the same job.
 *  The ROUTER also answers HealthRequest and ReplayRequest (from the outbox) and publishes
 *  heartbeats on "hb", so the notifier consumes report.generated like any other event.
 *
 *  Automatic reports: a libuv timer checks the replaceable clock (clock.h) every
 *  auto_check_ms; when an Amsterdam quarter has ended whose report is not recorded in db
 *  "periods", it generates the quarterly report (and the annual one after Q4) for each
 *  auto buyer. The record of a period is written in the transaction that emits its event,
 *  so a restart neither skips a quarter (every ended quarter after the last recorded one is
 *  generated) nor repeats one.
 */
#ifndef MVOI_REPORT_SERVICE_H
#define MVOI_REPORT_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "buyers.h"
#include "text.h"

typedef struct {
    const char *data_dir;          /* LMDB directory */
    const char *reports_dir;       /* where the files go */
    const char *api, *pub;
    const char *kpi_api, *calendar_api, *impact_api;
    const char *chromium;          /* path; "" = no PDF (an error when asked for) */
    text_lang_t lang;              /* default language */
    bool auto_enabled;
    const char *auto_buyers;       /* comma-separated */
    const mvoi_buyers_t *buyers;   /* the registry: display names, who is served */
    uint32_t auto_check_ms;        /* default 60000 */
    uint32_t timeout_ms;           /* per upstream request, default 5000 */
    uint32_t pdf_timeout_ms;       /* default 60000 */
    uint32_t heartbeat_ms;         /* default 1000 */
    uint32_t sources_max;          /* default 50000 */
    bool nosync;
    unsigned bench_k;              /* benchmark: least buyers behind a distribution (5) */
} rp_service_opts_t;

typedef struct rp_service_t rp_service_t;

rp_service_t *rp_service_new(uv_loop_t *loop, bus_ctx_t *ctx, const rp_service_opts_t *o,
                             int *err);
void rp_service_stop(rp_service_t *self);
void rp_service_destroy(rp_service_t **self_p);
const char *rp_service_api(rp_service_t *self);
const char *rp_service_pub(rp_service_t *self);
/* Reports generated (committed) since start, for tests. */
uint64_t rp_service_generated(rp_service_t *self);
/* Run the automatic check now (tests; the timer does the same). */
void rp_service_auto_check(rp_service_t *self);
/* For tests only: while on, a request cannot be queued, as when its job's calloc fails
 * (every rp_service_t of the process; the loop's thread). */
void rp_service_fail_enqueue(bool on);

#endif
