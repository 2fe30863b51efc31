/*  kpi_service: the kpi-aggregator process around kpi_core.
 *
 *  One store (LMDB under the service's data dir) shared by two feeds (producers "calendar"
 *  and "impact", one inbox), the outbox of KpiTotal events and the server (ROUTER API + PUB
 *  stream + heartbeats). A feed applies a batch of events in one write transaction; the
 *  totals it changes are appended to the outbox in that transaction; the server publishes
 *  them after the commit, at its one publish point before the loop sleeps.
 *
 *  ROUTER: SnapshotRequest{prefix} (Clone: [topic][Envelope{kpi_total}] items, then
 *  SnapshotEnd{seq}), KpiQuery, KpiSeriesQuery, KpiBreakdownQuery, HealthRequest, Replay.
 */
#ifndef MVOI_KPI_SERVICE_H
#define MVOI_KPI_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "kpi_core.h"
#include "kpi_recover.h"
#include "server.h"

typedef struct {
    const char *data_dir;        /* LMDB directory */
    const char *api, *pub;
    const char *calendar_api, *calendar_pub;
    const char *impact_api, *impact_pub;
    const mvoi_buyers_t *buyers; /* the buyers served (NULL: every valid id) */
    bool nosync;                 /* benchmarks: no periodic checkpoint either (the store
                                    never flushes per commit, see kpi_recover.h) */
    uint32_t checkpoint_ms;      /* off-loop flush of the store this often; 0 = never */
    uint32_t checkpoint_pace_ms; /* its paced write-back's budget (store_flush_paced) */
    uint32_t heartbeat_ms;       /* 0 = default 1000 */
    uint32_t retention_ms;      /* period of the retention pass; 0 = 60000 */
    uint32_t stall_ms;           /* feeds: re-ask a replay after this silence; 0 = 3000 */
    size_t snapshot_max;         /* feeds: bytes of one buyer's snapshot a rebuild holds;
                                    0 = 256 MiB */
    uint32_t linger_ms;          /* feeds: gather live events this long per commit */
    uint64_t retain_events;      /* outbox retention (newest N KpiTotal events); 0 = all */
    uint32_t upstream_grace_ms;  /* not ready when an upstream is silent longer; 0 = 10000 */
} kpi_service_opts_t;

typedef struct kpi_service_t kpi_service_t;

kpi_service_t *kpi_service_new(uv_loop_t *loop, bus_ctx_t *ctx, const kpi_service_opts_t *o,
                               int *err);
/* Graceful stop: close the feeds and the server (what was applied is committed). */
void kpi_service_stop(kpi_service_t *self);
/* After the loop ended: close the store. */
void kpi_service_destroy(kpi_service_t **self_p);

server_t *kpi_service_server(kpi_service_t *self);
kpi_t *kpi_service_core(kpi_service_t *self);
/* What the start found: clean, a process crash (store kept), or a rebuild. */
kpi_recover_state_t kpi_service_recovered(kpi_service_t *self);

#endif
