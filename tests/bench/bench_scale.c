/*  bench_scale: does one buyer's cost stay flat as the number of buyers grows?
 *
 *  For each buyer count B (default 10 100 400; --quick: 2 6), the real chain (calendar,
 *  impact-calculator, kpi-aggregator; LMDB without fsync: 2 shared cores, the question is
 *  growth, not fsync) takes B buyers of T tenders and M measurements each (own workload:
 *  the e2e generator, buyers in pairs with the SAME tender and measurement ids, ~5 %
 *  corrections, ~2 % withdrawals). Printed per B: end-to-end ingest (measurements per
 *  second until the aggregator caught up), disk (data.mdb) and memory (VmRSS) per service,
 *  one buyer's report gather (report_core, the real requests), one buyer's snapshot (the
 *  report's 30 segment requests), the whole snapshot, and a gateway watching one buyer
 *  (b000: one SSE stream open): its first GET /api/kpi (the buyer loads on demand), the
 *  median of 201 more and the gateway's CPU time per request, its memory (VmRSS) and the totals it holds (metrics: only the watched
 *  buyer's, plus the benchmark's year totals); then the growth factors against the first B. Never fails
 *  on a figure. Usage: bench_scale [--quick] [--buyers 10,100,400] [--tenders T]
 *  [--measurements M] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "clock.h"
#include "codec.h"
#include "e2e.h"
#include "gather.h"
#include "gwt.h"
#include "report.h"

#define MAXROWS 8
#define S_REPORTS 7             /* one buyer's report gather: the median of 7 (a shared
                                   machine's noise is larger than one gather at 10 buyers) */

typedef struct {
    int buyers;
    double paced_s, load1;      /* seconds the load waited for the aggregator; loadavg */
    double ingest, report_ms, one_ms, all_ms, gw_ms, gw_load_ms, gw_cpu_ms;
    long one_items, all_items, report_totals;
    long requests, failed;      /* the benchmark's requests, those that failed */
    long disk_kb[3], rss_kb[3], gw_rss_kb, gw_held, gw_totals;
} row_t;

static double s_ms(int64_t t0) { return (double)(clock_mono_ns() - t0) / 1e6; }

static long s_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* CPU time (user + system) of a process in ms, from /proc (clock ticks), or -1. */
static double s_cpu_ms(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');   /* the name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static long s_disk_kb(const char *dir, const char *svc)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s/data.mdb", dir, svc);
    struct stat st;
    return stat(path, &st) == 0 ? (long)(st.st_blocks * 512 / 1024) : -1;
}

/* One SnapshotRequest on a fresh DEALER: items received, or -1. */
static long s_snapshot(void *zctx, const char *api, const char *prefix, bool segment)
{
    void *d = zmq_socket(zctx, ZMQ_DEALER);
    /* as the services' clients wait (snapshot_wait_ms): 60 s for the first message (the
     * aggregator reads the whole range before it sends: seconds for every buyer's totals),
     * then 10 s per message, not per stream */
    int zero = 0, first = 60000, tmo = 10000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &first, sizeof first);
    zmq_connect(d, api);
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = (char *)prefix;
    sr.has_segment = sr.segment = segment;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "bench-snap";
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[512];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    long items = -1;
    if (len > 0 && zmq_send(d, buf, (size_t)len, 0) == len) {
        items = 0;
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, d, 0) < 0) {
                zmq_msg_close(&m);
                items = -1;
                break;
            }
            bool more = zmq_msg_more(&m);
            zmq_msg_close(&m);
            zmq_setsockopt(d, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
            if (!more)
                break;          /* a single frame: the end (or an error) */
            zmq_msg_init(&m);
            zmq_msg_recv(&m, d, 0);
            zmq_msg_close(&m);
            items++;
        }
    }
    zmq_close(d);
    return items;
}

typedef struct { int rc; bool done; } s_wait_t;
static void s_done(void *arg, int rc, const char *msg)
{
    s_wait_t *w = arg;
    w->rc = rc;
    w->done = true;
    if (rc)
        fprintf(stderr, "gather failed: %s\n", msg);
}

/* One buyer's annual report input through report_core's gather: ms, totals in *n. */
static double s_report(e2e_fleet_t *f, const char *buyer, long *n)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "%s", buyer);
    in.year = 2026;
    in.lang = TEXT_NL;
    in.generated_ms = clock_now_ms();
    rp_gather_opts_t go = { f->kapi, f->capi, f->iapi, 30000, 50000 };
    s_wait_t w = { 0, false };
    int64_t t0 = clock_mono_ns();
    rp_gather_t *g = rp_gather_start(&loop, ctx, &go, &in, s_done, &w);
    while (!w.done && uv_run(&loop, UV_RUN_ONCE))
        ;
    double ms = s_ms(t0);
    rp_gather_destroy(&g);
    *n = w.rc ? -1 : (long)in.ntotals;
    rp_input_free(&in);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return ms;
}

static int s_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value of a metric of the gateway, or -1. */
static long s_metric(int port, const char *name)
{
    gwt_resp_t r;
    long v = -1;
    if (gwt_http(port, "GET", "/metrics", NULL, NULL, 0, &r, 10000) != 0)
        return -1;
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = r.status == 200 ? strstr(r.body, pat) : NULL;
    if (p)
        v = atol(p + strlen(pat));
    gwt_resp_free(&r);
    return v;
}

static double s_gw_get(int port)
{
    gwt_resp_t r;
    int64_t t0 = clock_mono_ns();
    int rc = gwt_http(port, "GET", "/api/kpi?buyer=b000", NULL, NULL, 0, &r, 30000);
    double ms = rc == 0 && r.status == 200 ? s_ms(t0) : 1e9;   /* failed: never the median */
    if (ms >= 1e9)
        fprintf(stderr, "GET /api/kpi?buyer=b000 failed (rc %d, status %d)\n", rc,
                rc == 0 ? r.status : 0);
    if (rc == 0)
        gwt_resp_free(&r);
    return ms;
}

/* The gateway against the fleet, watching buyer b000 (a stream open): its first request
 * (the buyer loads) into row->gw_load_ms, the median of 201 more into row->gw_ms and its CPU
 * time per request into row->gw_cpu_ms, memory and the totals it holds. */
static void s_gateway(e2e_fleet_t *f, row_t *row)
{
    gwt_env_t e;
    memset(&e, 0, sizeof e);
    row->gw_ms = row->gw_load_ms = -1;
    row->gw_rss_kb = row->gw_held = row->gw_totals = -1;
    row->requests += 202;
    row->failed += 202;         /* until they are made and answered, below */
    /* gwt's endpoint fields are 64 bytes: the fleet's ipc:// paths in a temp dir fit */
    if (strlen(f->kapi) >= sizeof e.api || strlen(f->dir) + 14 >= sizeof e.ntf)
        return;
    snprintf(e.dir, sizeof e.dir, "%s", f->dir);
    snprintf(e.api, sizeof e.api, "%.63s", f->kapi);
    snprintf(e.pub, sizeof e.pub, "%.63s", f->kpub);
    snprintf(e.cal, sizeof e.cal, "%.63s", f->capi);
    snprintf(e.imp, sizeof e.imp, "%.63s", f->iapi);
    snprintf(e.ntf, sizeof e.ntf, "ipc://%.40s/n.api", f->dir);
    e.http_port = h_free_tcp_port();
    static const char *env[] = { "MVOI_GATEWAY_BUYER=b000", "MVOI_BUYERS_OPEN=true",
                                 "MVOI_LOG_LEVEL=warn", "MVOI_GATEWAY_UPSTREAM_TIMEOUT_MS=60000",
                                 "MVOI_CURVE=off",   /* the fleet is plain (e2e_fleet_init) */
                                 NULL };
    if (gwt_start_gateway(&e, env) == 0 && gwt_wait_ready(&e, 120000) == 0) {
        row->gw_load_ms = s_gw_get(e.http_port);
        row->failed -= row->gw_load_ms < 1e9;
        gwt_sse_t *watch = gwt_sse_open(e.http_port, NULL);   /* b000, the default */
        if (watch)
            gwt_sse_read(watch, 10000, 0, 2);
        /* wall time on a shared machine is other processes' too: the gateway's own CPU
         * time per request (over 201 requests, clock ticks) says what one request costs */
        double t[201], c0 = s_cpu_ms(e.gw.pid);
        for (int i = 0; i < 201; i++)
            row->failed -= (t[i] = s_gw_get(e.http_port)) < 1e9;
        double c1 = s_cpu_ms(e.gw.pid);
        qsort(t, 201, sizeof t[0], s_cmp_d);
        row->gw_ms = t[100];
        row->gw_cpu_ms = c0 >= 0 && c1 >= 0 ? (c1 - c0) / 201.0 : -1;
        row->gw_rss_kb = s_rss_kb(e.gw.pid);
        row->gw_held = s_metric(e.http_port, "mvoi_gateway_buyers_held");
        long held = s_metric(e.http_port, "mvoi_gateway_buyer_totals");
        long bench = s_metric(e.http_port, "mvoi_gateway_kpi_totals");
        row->gw_totals = held >= 0 && bench >= 0 ? held + bench : -1;
        gwt_sse_free(watch);
    }
    gwt_stop(&e);
}

static void s_names(char n[2][16], int pair)
{
    snprintf(n[0], 16, "b%03d", 2 * pair);
    snprintf(n[1], 16, "b%03d", 2 * pair + 1);
}

/* Every service accepts any valid buyer id (b000, b001, ...: not in the registry). */
static void s_open_buyers(e2e_fleet_t *f)
{
    for (int w = 0; w < 3; w++) {
        int n = 0;
        while (f->envp[w][n])
            n++;
        snprintf(f->env[w][n], 256, "MVOI_BUYERS_OPEN=true");
        f->envp[w][n] = f->env[w][n];
        f->envp[w][n + 1] = NULL;
    }
}

/* Ingest pacing, as a bulk loader must do: the impact-calculator keeps its newest
 * retain_events (1,000,000), so a consumer further behind than that must rebuild. Every
 * S_PACE_EVERY acknowledgements the load looks at the aggregator's lag behind the
 * impact-calculator (`mvoictl system health` shows the same) and, above S_PACE_MAX (a
 * quarter of the retention), waits until it is below half of that. At 10 buyers (50,000
 * measurements) it never waits; the time it waits counts in the ingest rate. */
#define S_PACE_EVERY 2000
#define S_PACE_MAX 250000

typedef struct { e2e_fleet_t *f; size_t calls; double waited_s; } s_pace_t;

static uint64_t s_lag(e2e_fleet_t *f)
{
    uint64_t c, i, head = e2e_head(f->iapi, 5000);
    e2e_kpi_cursors(f, &c, &i);
    return head > i ? head - i : 0;
}

static int s_pace(void *arg, size_t acked)
{
    s_pace_t *p = arg;
    (void)acked;
    if (++p->calls % S_PACE_EVERY)
        return 0;
    if (s_lag(p->f) <= S_PACE_MAX)
        return 0;
    int64_t t0 = clock_mono_ns();
    while (s_lag(p->f) > S_PACE_MAX / 2)
        usleep(100 * 1000);
    p->waited_s += s_ms(t0) / 1000.0;
    return 0;
}

static double s_loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &l) != 1)
        l = -1;
    if (f)
        fclose(f);
    return l;
}

static int s_run(row_t *row, int buyers, uint32_t tenders, uint32_t meas)
{
    memset(row, 0, sizeof *row);
    row->buyers = buyers;
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    s_open_buyers(&f);
    if (e2e_fleet_up(&f, 20000) != 0) {
        fprintf(stderr, "fleet did not come up (logs in %s)\n", f.dir);
        return -1;
    }
    void *zctx = zmq_ctx_new();
    e2e_sender_t *cal = e2e_sender_new(zctx, f.capi, 64, 10000);
    e2e_sender_t *imp = e2e_sender_new(zctx, f.iapi, 16, 30000);
    char err[512] = "", names[2][16];
    int pairs = (buyers + 1) / 2, rc = 0;
    for (int p = 0; p < pairs && rc == 0; p++) {   /* tenders: not timed */
        e2e_wl_t *w = e2e_wl_new(42, 2 * tenders, 2 * meas, 500);
        s_names(names, p);
        w->buyers[0] = names[0];
        w->buyers[1] = names[1];
        w->rid_seed = 1000 + (uint64_t)p;
        rc = e2e_sender_run(cal, w, 0, w->first_meas_req, NULL, NULL, 60000, err, sizeof err);
        e2e_wl_destroy(&w);
    }
    if (rc == 0)
        rc = e2e_wait_impact_knows_calendar(&f, 120000);
    int64_t t0 = clock_mono_ns();
    size_t total = 0;
    s_pace_t pace = { &f, 0, 0 };
    for (int p = 0; p < pairs && rc == 0; p++) {
        e2e_wl_t *w = e2e_wl_new(42, 2 * tenders, 2 * meas, 500);
        s_names(names, p);
        w->buyers[0] = names[0];
        w->buyers[1] = names[1];
        w->rid_seed = 1000 + (uint64_t)p;
        rc = e2e_sender_run(imp, w, w->first_meas_req, w->first_cancel_req, s_pace, &pace,
                            120000, err, sizeof err);
        total += w->nmeas;
        e2e_wl_destroy(&w);
    }
    if (rc == 0)
        rc = e2e_wait_kpi_caught_up(&f, 1800000);
    double secs = s_ms(t0) / 1000.0;
    row->paced_s = pace.waited_s;
    row->load1 = s_loadavg();
    if (rc != 0) {
        fprintf(stderr, "B=%d: %s (rc %d, logs in %s)\n", buyers, err, rc, f.dir);
    } else {
        row->ingest = (double)total / secs;
        static const char *dirs[3] = { "calendar", "impact-calculator", "kpi-aggregator" };
        for (int s = 0; s < 3; s++) {
            row->disk_kb[s] = s_disk_kb(f.dir, dirs[s]);
            row->rss_kb[s] = s_rss_kb(f.proc[s].pid);
        }
        double r[S_REPORTS];
        for (int i = 0; i < S_REPORTS; i++) {
            r[i] = s_report(&f, "b000", &row->report_totals);
            row->requests++;
            row->failed += row->report_totals < 0;
        }
        qsort(r, S_REPORTS, sizeof r[0], s_cmp_d);
        row->report_ms = r[S_REPORTS / 2];
        static const char *kn[] = { "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
        int64_t t1 = clock_mono_ns();
        row->one_items = 0;
        for (int k = 0; k < 6; k++)
            for (int q = 0; q <= 4; q++) {
                char p[96];
                if (q)
                    snprintf(p, sizeof p, "kpi.b000.%s.2026-q%d", kn[k], q);
                else
                    snprintf(p, sizeof p, "kpi.b000.%s.2026", kn[k]);
                long got = s_snapshot(zctx, f.kapi, p, true);
                row->one_items += got > 0 ? got : 0;
                row->requests++;
                row->failed += got < 0;
            }
        row->one_ms = s_ms(t1);
        t1 = clock_mono_ns();
        row->all_items = s_snapshot(zctx, f.kapi, "kpi.", false);
        row->all_ms = s_ms(t1);
        row->requests++;
        row->failed += row->all_items < 0;
        s_gateway(&f, row);
    }
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
    zmq_ctx_term(zctx);
    e2e_fleet_fini(&f, rc != 0);
    return rc;
}

static void s_print(const row_t *r, int n)
{
    printf("\n%7s %5s %6s %10s %9s %9s %9s %8s %8s %8s %10s %9s %9s %11s %9s %9s %9s %9s %9s %7s\n",
           "buyers", "load", "paced", "ingest/s", "cal MB", "imp MB", "kpi MB", "cal RSS", "imp RSS", "kpi RSS",
           "report ms", "totals", "one ms", "all ms/items", "gw load", "gw ms", "gw cpu ms",
           "gw RSS", "gw totals", "gw held");
    for (int i = 0; i < n; i++)
        printf("%7d %5.1f %6.0f %10.0f %9.1f %9.1f %9.1f %8.1f %8.1f %8.1f %10.1f %9ld %9.1f %6.0f/%-6ld "
               "%9.1f %9.2f %9.3f %9.1f %9ld %7ld\n", r[i].buyers, r[i].load1, r[i].paced_s, r[i].ingest,
               r[i].disk_kb[0] / 1024.0, r[i].disk_kb[1] / 1024.0, r[i].disk_kb[2] / 1024.0,
               r[i].rss_kb[0] / 1024.0, r[i].rss_kb[1] / 1024.0, r[i].rss_kb[2] / 1024.0,
               r[i].report_ms, r[i].report_totals, r[i].one_ms, r[i].all_ms, r[i].all_items,
               r[i].gw_load_ms, r[i].gw_ms, r[i].gw_cpu_ms, r[i].gw_rss_kb / 1024.0, r[i].gw_totals,
               r[i].gw_held);
    printf("\ngrowth against %d buyers (goals: report and gateway request <= 1.5x, gateway "
           "memory <= 2x, ingest >= 0.8x):\n", r[0].buyers);
    for (int i = 1; i < n; i++)
        printf("  %d buyers (x%.0f): ingest %.2fx, report %.2fx, one-buyer snapshot %.2fx, "
               "gateway request %.2fx (its CPU time %.2fx), gateway memory (one watched buyer) "
               "%.2fx, gateway first "
               "request (load) %.2fx, whole snapshot %.2fx, kpi disk "
               "%.2fx\n", r[i].buyers, (double)r[i].buyers / r[0].buyers,
               r[i].ingest / r[0].ingest, r[i].report_ms / r[0].report_ms,
               r[i].one_ms / r[0].one_ms, r[i].gw_ms / r[0].gw_ms, r[i].gw_cpu_ms / r[0].gw_cpu_ms,
               (double)r[i].gw_rss_kb / (double)r[0].gw_rss_kb,
               r[i].gw_load_ms / r[0].gw_load_ms, r[i].all_ms / r[0].all_ms,
               (double)r[i].disk_kb[2] / (double)r[0].disk_kb[2]);
}

static int s_unfinished;          /* runs that did not finish (a failure of the goals) */

static void s_goal(const char *what, double a, double b, const char *unit, double growth,
                   bool higher_is_better, double limit)
{
    bool met = higher_is_better ? growth >= limit : growth <= limit;
    printf("| %-36s | %10.2f %-4s | %10.2f %-4s | %6.2fx | %s %.1fx | %-7s |\n", what, a, unit,
           b, unit, growth, higher_is_better ? ">=" : "<=", limit, met ? "met" : "NOT MET");
}

/* The goals, first row against the last: growth factors and met / not met. */
static void s_goals(const row_t *r, int n)
{
    const row_t *a = &r[0], *b = &r[n - 1];
    printf("\ngoals, %d -> %d buyers (one run; load average 1 min at the end of each ingest: "
           "%.1f, %.1f; the load waited %.0f s, %.0f s for the aggregator):\n", a->buyers,
           b->buyers, a->load1, b->load1, a->paced_s, b->paced_s);
    printf("| %-36s | %15s | %15s | %7s | %6s | %-7s |\n", "goal", "first", "last", "growth",
           "limit", "");
    s_goal("one buyer's report gather (median/7)", a->report_ms, b->report_ms, "ms",
           b->report_ms / a->report_ms, false, 1.5);
    s_goal("gateway GET /api/kpi (median/201)", a->gw_ms, b->gw_ms, "ms", b->gw_ms / a->gw_ms,
           false, 1.5);
    s_goal("  (its CPU time per request, info)", a->gw_cpu_ms, b->gw_cpu_ms, "ms",
           b->gw_cpu_ms / a->gw_cpu_ms, false, 1.5);
    s_goal("gateway memory, one watched buyer", a->gw_rss_kb / 1024.0, b->gw_rss_kb / 1024.0,
           "MB", (double)b->gw_rss_kb / (double)a->gw_rss_kb, false, 2.0);
    s_goal("end-to-end ingest", a->ingest, b->ingest, "/s", b->ingest / a->ingest, true, 0.8);
    long fa = a->failed, fb = b->failed;
    for (int i = 1; i < n - 1; i++)
        fb += r[i].failed;
    printf("| %-36s | %7ld of %-4ld | %7ld of %-4ld | %7s | %6s | %-7s |\n",
           "failed requests (every run)", fa, a->requests, b->failed, b->requests, "", "0",
           fa + fb + s_unfinished == 0 ? "met" : "NOT MET");
    if (s_unfinished)
        printf("(%d run(s) did not finish: see above)\n", s_unfinished);
}

int main(int argc, char **argv)
{
    int list[MAXROWS] = { 10, 100, 400 }, n = 3;
    uint32_t tenders = 200, meas = 5000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            list[0] = 2, list[1] = 6, n = 2;
            tenders = 20, meas = 200;
        } else if (strcmp(argv[i], "--buyers") == 0 && i + 1 < argc) {
            n = 0;
            for (char *s = strtok(argv[++i], ","); s && n < MAXROWS; s = strtok(NULL, ","))
                list[n++] = atoi(s);
        } else if (strcmp(argv[i], "--tenders") == 0 && i + 1 < argc) {
            tenders = (uint32_t)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--measurements") == 0 && i + 1 < argc) {
            meas = (uint32_t)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_scale [--quick] [--buyers 10,100,400] [--tenders T] "
                            "[--measurements M]\n");
            return 2;
        }
    }
    if (tenders > 250)
        tenders = 250;       /* the generator's limit: 500 tenders per pair of buyers */
    signal(SIGPIPE, SIG_IGN);
    row_t rows[MAXROWS];
    memset(rows, 0, sizeof rows);
    int done = 0;
    for (int i = 0; i < n; i++) {
        printf("== %d buyers x %u tenders x %u measurements ...\n", list[i], tenders, meas);
        fflush(stdout);
        if (s_run(&rows[done], list[i], tenders, meas) == 0)
            done++;
        else
            s_unfinished++;
        if (done)
            s_print(rows, done);   /* the table so far: a long run can be cut */
        if (done > 1)
            s_goals(rows, done);
        fflush(stdout);
    }
    return 0;
}
