/*  bench_report: a year's report over 1,000,000 measurements and 5,000 tenders.
 *
 *  mvoi-report-fakeup (tests/integration/report) generates and aggregates the data set and
 *  serves it as kpi-aggregator + calendar + impact-calculator; this tool gathers the report
 *  input through report_core's gather (the real DEALER requests on a libuv loop), builds the
 *  model and times each renderer. Prints times only (no pass/fail; the goal is <= 2 s for
 *  HTML). Usage: bench_report [MEASUREMENTS [TENDERS [--pdf]]]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "clock.h"
#include "gather.h"
#include "harness.h"
#include "report.h"
#include "report.pb-c.h"

static double s_ms(int64_t t0) { return (double)(clock_mono_ns() - t0) / 1e6; }

typedef struct { int rc; bool done; } s_wait_t;
static void s_done(void *arg, int rc, const char *msg)
{
    s_wait_t *w = arg;
    w->rc = rc;
    w->done = true;
    if (rc)
        fprintf(stderr, "gather failed: %s\n", msg);
}

int main(int argc, char **argv)
{
    const char *nm = argc > 1 ? argv[1] : "1000000", *nt = argc > 2 ? argv[2] : "5000";
    bool pdf = argc > 3 && strcmp(argv[3], "--pdf") == 0;
    char dir[128], up[192], bin[512];
    h_tmpdir(dir, sizeof dir);
    snprintf(up, sizeof up, "ipc://%s/up", dir);
    h_bin(bin, sizeof bin, "tests/integration/report/mvoi-report-fakeup");
    int64_t t0 = clock_mono_ns();
    pid_t fake = fork();
    if (fake == 0) {
        execl(bin, bin, up, "2026", nt, nm, (char *)NULL);
        _exit(127);
    }
    if (h_wait_healthy(up, 300000) != 0) {
        fprintf(stderr, "fakeup did not start\n");
        return 1;
    }
    printf("data set: %s measurements, %s tenders (fake upstream ready in %.0f ms)\n", nm, nt,
           s_ms(t0));

    uv_loop_t *loop = uv_default_loop();
    bus_ctx_t *ctx = bus_ctx_new();
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "heerlen");
    in.year = 2026;
    in.quarter = 0;
    in.lang = TEXT_NL;
    in.generated_ms = clock_now_ms();
    rp_gather_opts_t go = { up, up, up, 60000, 50000 };
    s_wait_t w = { 0, false };
    t0 = clock_mono_ns();
    rp_gather_t *g = rp_gather_start(loop, ctx, &go, &in, s_done, &w);
    while (!w.done && uv_run(loop, UV_RUN_ONCE))
        ;
    double gather_ms = s_ms(t0);
    rp_gather_destroy(&g);
    if (w.rc)
        return 1;
    printf("gather: %.0f ms (%zu totals, %zu tenders, %zu of %u+ measurements as sources)\n",
           gather_ms, in.ntotals, in.ntenders, in.ncontribs, in.contrib_total[5]);
    rp_report_t r;
    t0 = clock_mono_ns();
    rp_model_build(&r, &in);
    printf("model:  %8.1f ms (annex %zu tenders, %zu SROI contracts)\n", s_ms(t0), r.nannex,
           r.ncontracts);
    static const struct { int f; const char *name, *ext; } fm[] = {
        { MVOI__REPORT_FORMAT__FMT_HTML, "html", "html" },
        { MVOI__REPORT_FORMAT__FMT_XLSX, "xlsx", "xlsx" },
        { MVOI__REPORT_FORMAT__FMT_CSV, "csv", "csv" },
        { MVOI__REPORT_FORMAT__FMT_CSV_NL, "csv-nl", "excel.csv" },
        { MVOI__REPORT_FORMAT__FMT_JSON, "json", "json" },
        { MVOI__REPORT_FORMAT__FMT_MVI_PLATFORM, "mvi", "mvi.csv" },
    };
    char html[256] = "";
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/report.%s", dir, fm[i].ext);
        t0 = clock_mono_ns();
        int rc = rp_render_file(&r, fm[i].f, path, NULL, 0);
        double ms = s_ms(t0);
        struct stat st = { 0 };
        stat(path, &st);
        printf("%-7s %8.1f ms  %10lld bytes%s\n", fm[i].name, ms, (long long)st.st_size,
               rc ? "  FAILED" : "");
        if (fm[i].f == MVOI__REPORT_FORMAT__FMT_HTML)
            snprintf(html, sizeof html, "%s", path);
    }
    if (pdf) {
        char path[256];
        snprintf(path, sizeof path, "%s/report.pdf", dir);
        t0 = clock_mono_ns();
        int rc = rp_pdf_print("/usr/bin/chromium", html, path, 120000);
        struct stat st = { 0 };
        stat(path, &st);
        printf("%-7s %8.1f ms  %10lld bytes%s\n", "pdf", s_ms(t0), (long long)st.st_size,
               rc ? "  FAILED" : "");
    }
    rp_model_free(&r);
    rp_input_free(&in);
    bus_ctx_destroy(&ctx);
    uv_run(loop, UV_RUN_DEFAULT);
    kill(fake, SIGTERM);
    waitpid(fake, NULL, 0);
    if (!getenv("MVOI_KEEP"))
        h_tmpdir_remove(dir);
    return 0;
}
