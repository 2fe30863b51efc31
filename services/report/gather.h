/*  gather: fetch a report's data from the upstream services without blocking the loop.
 *
 *  One DEALER per upstream, one request in flight at a time, each bounded by a timer.
 *  First, read your own writes: HealthRequest to the calendar and the impact-calculator
 *  (their outbox heads), then KpiQuery{after_producer, after_seq = head} to the
 *  kpi-aggregator, again every 20 ms while it answers ERR_UNAVAILABLE, for up to
 *  timeout_ms (then -EAGAIN: the totals would leave acknowledged events out). Then:
 *    kpi-aggregator  segment SnapshotRequest{"kpi.<buyer>.<kpi>.<window>"} per KPI and
 *                    window (the year, its quarters; the report's buyer only), KpiQuery of
 *                    the previous year per KPI, KpiSeriesQuery (year-1..year) per KPI,
 *                    KpiBreakdownQuery pages of the period's totals (up to sources_max
 *                    contributions in all) and, with a benchmark (in->bench), a KpiQuery of
 *                    the year total per KPI of each other registered buyer of the report
 *                    buyer's class (not found: no figure of that buyer)
 *    calendar        ListTenders{year} pages of 1000, then ListTenders{status=cancelled}
 *                    (cancelled tenders of other years are no projects either)
 *    impact          ListFactorTables (optional: without an answer the report says so)
 *  done(rc) is called once: 0, or -ETIMEDOUT / -EPROTO / -EIO / -EAGAIN with a message
 *  naming what failed. The caller's rp_input_t is filled in place.
 */
#ifndef MVOI_REPORT_GATHER_H
#define MVOI_REPORT_GATHER_H

#include <uv.h>
#include "bus.h"
#include "report.h"

typedef struct {
    const char *kpi_api, *calendar_api, *impact_api;   /* impact_api may be NULL or "" */
    int timeout_ms;                                     /* per request; default 5000 */
    uint32_t sources_max;                               /* default 50000 */
    text_lang_t lang;   /* of its refusal (done's message) and the upstreams' it quotes */
} rp_gather_opts_t;

typedef struct rp_gather_t rp_gather_t;
typedef void (rp_gather_done_fn)(void *arg, int rc, const char *message);

rp_gather_t *rp_gather_start(uv_loop_t *loop, bus_ctx_t *ctx, const rp_gather_opts_t *opts,
                             rp_input_t *in, rp_gather_done_fn *done, void *arg);
/* Safe at any time (no callback after it). */
void rp_gather_destroy(rp_gather_t **self_p);


#endif
