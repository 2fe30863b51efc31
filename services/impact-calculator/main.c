/* mvoi-impact-calculator: measurements in, avoided impacts out (docs/domain.md#formulas).
 * Thin: configuration, the service object (service.c), the loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "impact_service.h"
#include "log.h"
#include "service.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7201", "ROUTER endpoint (commands, queries, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7202", "PUB endpoint (impact events)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "the calendar's ROUTER (replay)" },
    { "calendar_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "the calendar's PUB (tender events)" },
    { "factors_dir", CFG_PATH, MVOI_IMPACT_DATA_DIR_SRC,
      "directory of factor tables, one <table>-<edition>.csv per table and edition; add an "
      "edition by dropping a file there and restarting" },
    { "batch", CFG_INT, "256", "requests per loop turn, committed in one transaction", 1, 10000 },
    { "max_measurements", CFG_INT, "10000", "measurements per SubmitMeasurements request", 1,
      100000 },
    { "calendar_stale_ms", CFG_INT, "3000", "calendar silent longer than this: an unknown "
      "tender is ERR_UNAVAILABLE instead of ERR_NOT_FOUND", 100, 3600000 },
    { "heartbeat_ms", CFG_INT, "1000", "heartbeat interval on the PUB socket", 10, 60000 },
    { "publish_batch", CFG_INT, "256", "consecutive events of one topic published as one "
      "message at most (an EventBatch: each consumer's feed takes its events one by one); "
      "only what one publish pass has, so nothing waits for a batch to fill; 0 or 1: each "
      "event alone", 0, 4096 },
    { "stage_bytes", CFG_INT, "4096", "a loop turn of requests of at least this many bytes "
      "on average (some 45 measurements each) is decoded and computed on a worker thread while "
      "the loop stores the turn before; turns of smaller requests stay on the loop (their "
      "calculation is small beside each request's own cost, and a lone request pays no thread "
      "hop); 0: every turn on the loop", 0, 1073741824 },
    { "retain_events", CFG_INT, "1000000",
      "keep at least the newest N impact events in the outbox; consumers further behind resynchronise "
      "from a snapshot instead of a replay; 0 = keep all", 0, 1000000000000 },
    { "retention_ms", CFG_INT, "60000",
      "period of the outbox retention pass (a pass removes a quarter of what is due, at most "
      "10,000 events; while more is due the next pass runs at the next loop turn, so "
      "trimming keeps pace with ingest)",
      10, 3600000 },
    { "flush_offloop", CFG_BOOL, "true",
      "the commit flushes its pages on the loop; the meta page that makes it durable goes "
      "to the device with the next commit's flush or by a worker thread while the loop "
      "takes the next requests; replies and events wait for it (false: both flushes "
      "inside the commit, on the loop)" },
    { "wal", CFG_BOOL, "true",
      "write-ahead log: each batch is appended to one preallocated file (wal.mvoi in the "
      "data directory) and made durable by one fdatasync of it, on a worker thread; LMDB "
      "commits at checkpoints (every 16 MiB of log or 1 s, after 100 ms without writes, "
      "and at stop) and a start re-applies the log after a crash (false: every batch "
      "commits to LMDB; ignored with nosync)" },
    { "wal_size_mb", CFG_INT, "64", "size of wal.mvoi (a ring, preallocated at start)", 1,
      65536 },
    { "wal_checkpoint_mb", CFG_INT, "16", "checkpoint once this much log was written since the "
      "last one (each checkpoint holds the loop for its LMDB page flush; while the previous "
      "checkpoint's data.mdb flush still runs it is put off, up to twice this)", 1, 65536 },
    { "wal_checkpoint_ms", CFG_INT, "1000", "checkpoint at least this often while writes come "
      "in (put off while the previous checkpoint's data.mdb flush still runs)", 10, 3600000 },
    { "wal_checkpoint_pace_ms", CFG_INT, "250", "a checkpoint's data.mdb flush (on the "
      "store's thread) first writes the pages back in 64 KiB steps with gaps as long as "
      "each step took, so that the log's flushes meanwhile do not queue behind one burst; "
      "the gaps add up to at most this (0: one plain fdatasync)", 0, 10000 },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync (benchmarks only: loses the last "
                                   "transactions on an OS crash)" },
};

static void s_stop(void *arg) { impact_svc_stop(arg); }

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "impact-calculator",
        "measurements in; avoided CO2, NOx, primary material, SROI, fair trade and MKI out",
        s_config, sizeof s_config / sizeof s_config[0] };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    impact_opts_t o = {
        .api_endpoint = cfg_str(cfg, "api"),
        .buyers = service_buyers(svc),
        .pub_endpoint = cfg_str(cfg, "pub"),
        .calendar_api = cfg_str(cfg, "calendar_api"),
        .calendar_pub = cfg_str(cfg, "calendar_pub"),
        .state_dir = service_data_dir(svc),
        .factors_dir = cfg_str(cfg, "factors_dir"),
        .nosync = cfg_bool(cfg, "nosync"),
        .wal = cfg_bool(cfg, "wal"),
        .wal_size = (uint64_t)cfg_int(cfg, "wal_size_mb") << 20,
        .wal_checkpoint_bytes = (uint64_t)cfg_int(cfg, "wal_checkpoint_mb") << 20,
        .wal_checkpoint_ms = (uint32_t)cfg_int(cfg, "wal_checkpoint_ms"),
        .wal_checkpoint_pace_ms = (uint32_t)cfg_int(cfg, "wal_checkpoint_pace_ms"),
        .flush_offloop = cfg_bool(cfg, "flush_offloop"),
        .batch = (uint32_t)cfg_int(cfg, "batch"),
        .max_batch = (uint32_t)cfg_int(cfg, "max_measurements"),
        .calendar_stale_ms = (uint32_t)cfg_int(cfg, "calendar_stale_ms"),
        .heartbeat_ms = (uint32_t)cfg_int(cfg, "heartbeat_ms"),
        .publish_batch = (uint32_t)cfg_int(cfg, "publish_batch"),
        .stage_bytes = (uint32_t)cfg_int(cfg, "stage_bytes"),
        .retain_events = (uint64_t)cfg_int(cfg, "retain_events"),
        .retention_ms = (uint32_t)cfg_int(cfg, "retention_ms"),
    };
    char err[512] = "";
    impact_svc_t *imp = NULL;
    rc = impact_svc_new(&imp, service_loop(svc), service_bus(svc), &o, err, sizeof err);
    if (rc == -ENOENT || rc == -EINVAL || rc == -EEXIST || rc == -ENOTDIR || rc == -EACCES) {
        log_error("bad_factors_dir", "factors_dir %s: %s", o.factors_dir, err);
        fprintf(stderr, "mvoi-impact-calculator: factors_dir %s: %s\n", o.factors_dir, err);
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    if (rc < 0) {
        log_error("start_failed", "cannot start: %s", err[0] ? err : strerror(-rc));
        service_destroy(&svc);
        return 1;
    }
    service_on_stop(svc, s_stop, imp);
    log_info("started", "impact-calculator on %s / %s, state %s, %zu factor tables from %s, "
             "head %llu", server_api_endpoint(impact_svc_server(imp)),
             server_pub_endpoint(impact_svc_server(imp)), o.state_dir, impact_svc_tables(imp),
             o.factors_dir, (unsigned long long)impact_svc_head(imp));
    rc = service_run(svc);
    impact_svc_destroy(&imp);
    service_destroy(&svc);
    return rc;
}
