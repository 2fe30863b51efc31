/*  mvoi-kpi-aggregator: the six KPIs as exact live totals (kpi_service.h, kpi_core.h). */
#include <string.h>

#include "kpi_service.h"
#include "log.h"
#include "service.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7301", "ROUTER endpoint (queries, snapshot, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7302", "PUB endpoint (KpiTotal stream, heartbeats)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "calendar ROUTER (replay)" },
    { "calendar_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "calendar PUB (tender events)" },
    { "impact_api", CFG_ENDPOINT, "tcp://127.0.0.1:7201", "impact-calculator ROUTER (replay)" },
    { "impact_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7202", "impact-calculator PUB (impact events)" },
    { "heartbeat_ms", CFG_INT, "1000", "heartbeat interval on the PUB stream", 50, 60000 },
    { "linger_ms", CFG_INT, "0",
      "under load, gather live events up to this long into one commit, so that each total is "
      "published once per batch; a trickle is committed at once (0 = never wait: a commit "
      "costs no flush here, so waiting only adds latency)",
      0, 1000 },
    { "retain_events", CFG_INT, "1000000",
      "keep at least the newest N KpiTotal events in the outbox (older ones are removed by "
      "the retention pass; dashboards re-snapshot, nothing replays further back); 0 = keep all",
      0, 1000000000000 },
    { "retention_ms", CFG_INT, "60000",
      "period of the outbox retention pass (a pass removes a quarter of what is due, at most "
      "10,000 events; while more is due the next pass runs at the next loop turn, so "
      "trimming keeps pace with ingest)",
      10, 3600000 },
    { "upstream_grace_ms", CFG_INT, "10000",
      "not ready (--healthcheck=ready fails) when calendar or impact is silent this long",
      100, 3600000 },
    { "checkpoint_ms", CFG_INT, "5000",
      "the store is derived and not flushed per commit; this often, if anything was "
      "committed, data.mdb is flushed on a worker thread (after an OS crash the totals are "
      "rebuilt from the producers either way); 0 = only at an orderly stop", 0, 3600000 },
    { "checkpoint_pace_ms", CFG_INT, "250", "the periodic flush first writes the pages back "
      "in 64 KiB steps with gaps as long as each step took, so that the producers' log "
      "flushes on the same disk do not queue behind one burst; the gaps add up to at most "
      "this (0: one plain fdatasync)", 0, 10000 },
    { "snapshot_max", CFG_INT, "268435456",
      "bytes of one buyer's part of a producer's snapshot that a rebuild holds at a time (it "
      "applies the snapshot buyer by buyer, one transaction each); a buyer beyond it fails "
      "the rebuild by name (log rebuild_failed, EFBIG) and the snapshot is asked again",
      4096, 1099511627776 },
    { "nosync", CFG_BOOL, "false", "no periodic checkpoint (benchmarks only)" },
};

static void s_stop(void *arg) { kpi_service_stop(arg); }

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "kpi-aggregator", "the six KPIs of the MVOI plan as exact live totals (Clone stream)",
        s_config, sizeof s_config / sizeof s_config[0] };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    kpi_service_opts_t o = {
        .data_dir = service_data_dir(svc),
        .api = cfg_str(cfg, "api"), .pub = cfg_str(cfg, "pub"), .buyers = service_buyers(svc),
        .calendar_api = cfg_str(cfg, "calendar_api"),
        .calendar_pub = cfg_str(cfg, "calendar_pub"),
        .impact_api = cfg_str(cfg, "impact_api"), .impact_pub = cfg_str(cfg, "impact_pub"),
        .nosync = cfg_bool(cfg, "nosync"),
        .checkpoint_ms = (uint32_t)cfg_int(cfg, "checkpoint_ms"),
        .checkpoint_pace_ms = (uint32_t)cfg_int(cfg, "checkpoint_pace_ms"),
        .heartbeat_ms = (uint32_t)cfg_int(cfg, "heartbeat_ms"),
        .upstream_grace_ms = (uint32_t)cfg_int(cfg, "upstream_grace_ms"),
        .linger_ms = (uint32_t)cfg_int(cfg, "linger_ms"),
        .retain_events = (uint64_t)cfg_int(cfg, "retain_events"),
        .retention_ms = (uint32_t)cfg_int(cfg, "retention_ms"),
        .snapshot_max = (size_t)cfg_int(cfg, "snapshot_max"),
    };
    int err = 0;
    kpi_service_t *ks = kpi_service_new(service_loop(svc), service_bus(svc), &o, &err);
    if (!ks) {
        service_destroy(&svc);
        return 1;
    }
    service_on_stop(svc, s_stop, ks);
    rc = service_run(svc);
    kpi_service_destroy(&ks);
    service_destroy(&svc);
    return rc;
}
