/*  mvoi-gateway: dashboard, JSON API and SSE stream in front of mvoi (gw_service.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "gw_service.h"
#include "log.h"
#include "mvoi_id.h"
#include "gw_health.h"
#include "service.h"

static const cfg_spec_t s_config[] = {
    { "listen", CFG_STRING, "127.0.0.1:8080", "HTTP listen address host:port ([v6]:port)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "calendar ROUTER" },
    { "impact_api", CFG_ENDPOINT, "tcp://127.0.0.1:7201", "impact-calculator ROUTER" },
    { "kpi_api", CFG_ENDPOINT, "tcp://127.0.0.1:7301", "kpi-aggregator ROUTER (snapshot, series)" },
    { "kpi_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7302", "kpi-aggregator PUB (totals, heartbeats)" },
    { "notifier_api", CFG_ENDPOINT, "tcp://127.0.0.1:7401", "notifier ROUTER" },
    { "report_api", CFG_STRING, "tcp://127.0.0.1:7501", "report ROUTER: the dashboard's report links and narratives (empty = none)" },
    { "reports_dir", CFG_STRING, "", "the report service's output directory, read to serve reports (default <data_dir>/report/reports)" },
    { "report_timeout_ms", CFG_INT, "120000", "answer 504 when a report is not written within (ms)", 1000, 600000 },
    { "tokens_file", CFG_STRING, "", "bearer tokens: lines `role sha256hex [name] buyers=*|id,id`, roles reader/submitter/admin; read again on SIGHUP" },
    { "read_access", CFG_STRING, "open", "reads: open, or token (any role)" },
    { "max_body", CFG_INT, "1048576", "largest request body in bytes", 1024, 64 << 20 },
    { "buyer", CFG_STRING, "heerlen", "buyer (tenant) of a request without ?buyer=ID; every "
                                      "buyer of the registry is served" },
    { "lang", CFG_STRING, "nl", "default language of the dashboard: nl or en" },
    { "stale_ms", CFG_INT, "5000", "KPI view is stale after this heartbeat silence (ms)", 100, 600000 },
    { "upstream_timeout_ms", CFG_INT, "5000", "answer 504 when a service is silent this long", 50, 600000 },
    { "sse_heartbeat_ms", CFG_INT, "15000", "comment line on idle streams every (ms)", 100, 600000 },
    { "sse_max_queue", CFG_INT, "8388608", "bytes queued for one stream before it is dropped", 65536, 1 << 30 },
    { "sse_max_clients", CFG_INT, "1024", "SSE streams open at once; one more is 503 too-many-streams (streams never take every connection from the API)", 1, 1000000 },
    { "connection_limit", CFG_INT, "4096", "concurrent HTTP connections", 16, 1000000 },
    { "per_ip_limit", CFG_INT, "64", "concurrent HTTP connections per client address (0 = no limit: behind a proxy)", 0, 1000000 },
    { "buyer_idle_ms", CFG_INT, "600000", "drop a buyer's KPI totals when no request or stream used them this long (ms); its next request loads them again", 1000, 86400000 },
    { "bench_tenders_ms", CFG_INT, "10000", "national benchmark: pause between two rounds over every registered buyer's tenders in the calendar (the share of tenders with an ambition per theme); 0 = no share figures", 0, 86400000 },
    { "bench_k", CFG_INT, "5", "national benchmark: a distribution is shown only when at least this many buyers contribute (anonymity; at least 5: with 2-4 a buyer's own figure and rank solve the other buyers' figures)", 5, 1000 },
    { "request_deadline_ms", CFG_INT, "10000", "close a connection whose whole request has not arrived within (ms; SSE streams are not cut)", 100, 600000 },
};

static void s_stop(void *arg) { gw_stop(arg); }
static void s_reload(void *arg) { gw_reload_tokens(arg); }

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "gateway", "the live dashboard, JSON API and SSE stream of mvoi",
        s_config, sizeof s_config / sizeof s_config[0], gw_healthcheck };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    const char *ra = cfg_str(cfg, "read_access");
    if (strcmp(ra, "open") != 0 && strcmp(ra, "token") != 0) {
        log_error("config_invalid", "MVOI_GATEWAY_READ_ACCESS: expected open or token");
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    /* many SSE clients need many descriptors */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char why[MVOI_ID_WHY_MAX] = "";
    const char *buyer = cfg_str(cfg, "buyer");
    if (mvoi_id_check_str(MVOI_ID_BUYER, buyer, why, sizeof why) != 0 ||
        !mvoi_buyers_accepts(service_buyers(svc), buyer)) {
        log_error("bad_config", "MVOI_GATEWAY_BUYER '%s': %s", buyer,
                  why[0] ? why : "not in the buyer registry");
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    /* the report service's default: <data_dir>/report/reports (ours is <data_dir>/gateway) */
    char reports[4096];
    if (*cfg_str(cfg, "reports_dir")) {
        snprintf(reports, sizeof reports, "%s", cfg_str(cfg, "reports_dir"));
    } else {
        const char *dd = service_data_dir(svc), *slash = strrchr(dd, '/');
        snprintf(reports, sizeof reports, "%.*s/report/reports", slash ? (int)(slash - dd) : 1,
                 slash ? dd : ".");
    }
    gw_opts_t o = {
        .listen = cfg_str(cfg, "listen"),
        .calendar_api = cfg_str(cfg, "calendar_api"),
        .impact_api = cfg_str(cfg, "impact_api"),
        .kpi_api = cfg_str(cfg, "kpi_api"),
        .kpi_pub = cfg_str(cfg, "kpi_pub"),
        .notifier_api = cfg_str(cfg, "notifier_api"),
        .report_api = cfg_str(cfg, "report_api"),
        .reports_dir = reports,
        .report_timeout_ms = (uint32_t)cfg_int(cfg, "report_timeout_ms"),
        .tokens_file = cfg_str(cfg, "tokens_file"),
        .read_token = strcmp(ra, "token") == 0,
        .max_body = (size_t)cfg_int(cfg, "max_body"),
        .buyer = cfg_str(cfg, "buyer"),
        .buyers = service_buyers(svc),
        .lang = cfg_str(cfg, "lang"),
        .stale_ms = (uint32_t)cfg_int(cfg, "stale_ms"),
        .upstream_timeout_ms = (uint32_t)cfg_int(cfg, "upstream_timeout_ms"),
        .sse_heartbeat_ms = (uint32_t)cfg_int(cfg, "sse_heartbeat_ms"),
        .sse_max_queue = (size_t)cfg_int(cfg, "sse_max_queue"),
        .sse_max_clients = (uint32_t)cfg_int(cfg, "sse_max_clients"),
        .connection_limit = (unsigned)cfg_int(cfg, "connection_limit"),
        .per_ip_limit = (unsigned)cfg_int(cfg, "per_ip_limit"),
        .request_deadline_ms = (uint32_t)cfg_int(cfg, "request_deadline_ms"),
        .bench_k = (unsigned)cfg_int(cfg, "bench_k"),
        .buyer_idle_ms = (uint32_t)cfg_int(cfg, "buyer_idle_ms"),
        .bench_tenders_ms = (uint32_t)cfg_int(cfg, "bench_tenders_ms"),
    };
    int err = 0;
    char msg[256] = "";
    gw_t *gw = gw_new(service_loop(svc), service_bus(svc), &o, &err, msg, sizeof msg);
    if (!gw) {
        log_error("gateway_start_failed", "%s", msg);
        service_destroy(&svc);
        return err == -EINVAL ? SERVICE_EX_CONFIG : 1;
    }
    service_on_stop(svc, s_stop, gw);
    service_on_reload(svc, s_reload, gw);   /* SIGHUP: the tokens file again */
    rc = service_run(svc);
    gw_destroy(&gw);
    service_destroy(&svc);
    return rc;
}
