/* mvoi-calendar: the procurement calendar (tenders, their ambition and lifecycle).
 * Thin: configuration, the service object (service.c), the loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calendar_service.h"
#include "log.h"
#include "service.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "ROUTER endpoint (commands, queries, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "PUB endpoint (tender events)" },
    { "data_files", CFG_PATH, MVOI_CALENDAR_DATA_DIR_SRC,
      "directory with thresholds-*.csv and isv-risk-groups.csv" },
    { "batch", CFG_INT, "2048", "commands per write transaction (group commit)", 1, 10000 },
    { "heartbeat_ms", CFG_INT, "1000", "heartbeat interval on the PUB socket", 10, 60000 },
    { "retain_events", CFG_INT, "1000000",
      "keep at least the newest N tender events in the outbox; consumers further behind resynchronise "
      "from a snapshot instead of a replay; 0 = keep all", 0, 1000000000000 },
    { "retention_ms", CFG_INT, "60000",
      "period of the outbox retention pass (a pass removes a quarter of what is due, at most "
      "10,000 events; while more is due the next pass runs at the next loop turn, so "
      "trimming keeps pace with ingest)",
      10, 3600000 },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync (benchmarks only: loses the last "
                                   "transactions on an OS crash)" },
};

static void s_stop(void *arg) { calendar_svc_stop(arg); }

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "calendar", "the procurement calendar: tenders, ambition, lifecycle, imports",
        s_config, sizeof s_config / sizeof s_config[0] };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    calendar_opts_t o = {
        .api_endpoint = cfg_str(cfg, "api"),
        .pub_endpoint = cfg_str(cfg, "pub"),
        .state_dir = service_data_dir(svc),
        .buyers = service_buyers(svc),
        .data_files = cfg_str(cfg, "data_files"),
        .nosync = cfg_bool(cfg, "nosync"),
        .batch = (uint32_t)cfg_int(cfg, "batch"),
        .heartbeat_ms = (uint32_t)cfg_int(cfg, "heartbeat_ms"),
        .retain_events = (uint64_t)cfg_int(cfg, "retain_events"),
        .retention_ms = (uint32_t)cfg_int(cfg, "retention_ms"),
    };
    char err[512] = "";
    calendar_svc_t *cal = NULL;
    rc = calendar_svc_new(&cal, service_loop(svc), service_bus(svc), &o, err, sizeof err);
    if (rc == -ENOENT || rc == -EINVAL) {
        log_error("bad_data_files", "data_files %s: %s", o.data_files, err);
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    if (rc < 0) {
        log_error("start_failed", "cannot start: %s", err[0] ? err : strerror(-rc));
        service_destroy(&svc);
        return 1;
    }
    service_on_stop(svc, s_stop, cal);
    log_info("started", "calendar on %s / %s, state %s, head %llu",
             server_api_endpoint(calendar_svc_server(cal)),
             server_pub_endpoint(calendar_svc_server(cal)), o.state_dir,
             (unsigned long long)calendar_svc_head(cal));
    rc = service_run(svc);
    calendar_svc_destroy(&cal);
    service_destroy(&svc);
    return rc;
}
