/*  mvoi-report: quarterly and annual monitoring reports, the MVI Platform export
 *  (report_service.h, report.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "report.h"
#include "report_service.h"
#include "service.h"
#include "xlsx_int.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7501", "ROUTER endpoint (GenerateReport, health, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7502", "PUB endpoint (report.generated, heartbeats)" },
    { "kpi_api", CFG_ENDPOINT, "tcp://127.0.0.1:7301", "kpi-aggregator ROUTER (snapshot, series, breakdown)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "calendar ROUTER (ListTenders)" },
    { "impact_api", CFG_STRING, "tcp://127.0.0.1:7201", "impact-calculator ROUTER (factor tables; empty = none)" },
    { "reports_dir", CFG_STRING, "", "where reports are written (default <data_dir>/report/reports)" },
    { "lang", CFG_STRING, "nl", "default language of the reports: nl or en" },
    { "auto", CFG_BOOL, "true", "generate the reports automatically after each quarter ends" },
    { "auto_buyers", CFG_STRING, "heerlen", "buyers (comma-separated) of the automatic reports" },
    { "bench_k", CFG_INT, "5", "national benchmark section: a distribution is shown only when at least this many buyers contribute (anonymity; at least 5: with 2-4 a buyer's own figure and rank solve the other buyers' figures)", 5, 1000 },
    { "auto_check_ms", CFG_INT, "60000", "how often the quarter end is checked", 10, 86400000 },
    { "chromium", CFG_STRING, "/usr/bin/chromium", "Chromium for the PDF (empty = no PDF)" },
    { "levels_file", CFG_STRING, "", "ambition levels per theme and year (theme;year;level lines)" },
    { "timeout_ms", CFG_INT, "5000", "timeout of one upstream request", 100, 600000 },
    { "pdf_timeout_ms", CFG_INT, "60000", "timeout of printing the PDF", 1000, 600000 },
    { "sources_max", CFG_INT, "50000", "measurements listed as sources per report", 0, 10000000 },
    { "heartbeat_ms", CFG_INT, "1000", "heartbeat interval on the PUB stream", 50, 60000 },
    { "xlsx_max_rows", CFG_INT, "1048576", "rows a workbook sheet may have, header included (Excel's limit; a larger sheet refuses the XLSX file by name). Lower only to test the refusal", 50, 1048576 },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync (benchmarks only)" },
};

static void s_stop(void *arg) { rp_service_stop(arg); }

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "report", "quarterly and annual MVOI monitoring reports and the MVI Platform export",
        s_config, sizeof s_config / sizeof s_config[0] };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    char reports[4096];
    const char *rd = cfg_str(cfg, "reports_dir");
    if (rd && *rd)
        snprintf(reports, sizeof reports, "%s", rd);
    else
        snprintf(reports, sizeof reports, "%s/reports", service_data_dir(svc));
    text_lang_t lang = TEXT_NL;
    if (text_lang_parse(cfg_str(cfg, "lang"), &lang) != 0) {
        fprintf(stderr, "MVOI_REPORT_LANG: must be nl or en\n");
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    const char *chromium = cfg_str(cfg, "chromium");
    if (chromium && *chromium && access(chromium, X_OK) != 0) {
        log_warn("no_chromium", "%s is not executable: PDF reports are disabled", chromium);
        chromium = "";
    }
    /* Excel's row limit, or a lower one to test the refusal on a small data set (the
     * fixed sheets have up to 49 rows, hence at least 50); set before any render runs */
    rp_xlsx_limits_t lim = *rp_xlsx_limits();
    lim.rows = (uint32_t)cfg_int(cfg, "xlsx_max_rows");
    rp_xlsx_set_limits(&lim);
    int bad_line = 0, lrc = rp_levels_load(cfg_str(cfg, "levels_file"), &bad_line);
    if (lrc < 0) {
        if (bad_line)
            fprintf(stderr, "MVOI_REPORT_LEVELS_FILE: %s line %d: %s\n",
                    cfg_str(cfg, "levels_file"), bad_line, lrc == -EFBIG
                    ? "more than 256 levels"
                    : "not theme;year;level (a theme of the plan, a year, a level 1..5, "
                      "each theme and year once)");
        else
            fprintf(stderr, "MVOI_REPORT_LEVELS_FILE: cannot read %s: %s\n",
                    cfg_str(cfg, "levels_file"), strerror(-lrc));
        service_destroy(&svc);
        return SERVICE_EX_CONFIG;
    }
    rp_service_opts_t o = {
        .data_dir = service_data_dir(svc), .reports_dir = reports,
        .api = cfg_str(cfg, "api"), .pub = cfg_str(cfg, "pub"),
        .kpi_api = cfg_str(cfg, "kpi_api"), .calendar_api = cfg_str(cfg, "calendar_api"),
        .impact_api = cfg_str(cfg, "impact_api"), .chromium = chromium, .lang = lang,
        .auto_enabled = cfg_bool(cfg, "auto"), .auto_buyers = cfg_str(cfg, "auto_buyers"),
        .buyers = service_buyers(svc),
        .auto_check_ms = (uint32_t)cfg_int(cfg, "auto_check_ms"),
        .timeout_ms = (uint32_t)cfg_int(cfg, "timeout_ms"),
        .pdf_timeout_ms = (uint32_t)cfg_int(cfg, "pdf_timeout_ms"),
        .sources_max = (uint32_t)cfg_int(cfg, "sources_max"),
        .heartbeat_ms = (uint32_t)cfg_int(cfg, "heartbeat_ms"),
        .nosync = cfg_bool(cfg, "nosync"),
        .bench_k = (unsigned)cfg_int(cfg, "bench_k"),
    };
    int err = 0;
    rp_service_t *rs = rp_service_new(service_loop(svc), service_bus(svc), &o, &err);
    if (!rs) {
        service_destroy(&svc);
        return 1;
    }
    service_on_stop(svc, s_stop, rs);
    rc = service_run(svc);
    rp_service_destroy(&rs);
    service_destroy(&svc);
    return rc;
}
