/*  bench_calendar: import a generated CSV calendar through a running mvoi-calendar with the
 *  same pipelined client as `mvoictl tender import` (cal_client.c), then measure query
 *  latency at that size. Prints figures; no pass/fail.
 *
 *  usage: bench_calendar [--rows N] [--nosync] [--window N] [--per N] [--batch N]
 *  (--nosync runs the service with LMDB's fsync off; the default is the durable setting.
 *  --window: tenders in flight; --per: tenders per UpsertTenders command; --batch: the
 *  service's commands per write transaction.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <zmq.h>

#include "cal_client.h"
#include "cal_file.h"
#include "csv_import.h"
#include "harness.h"

#include <time.h>

static int64_t clock_mono_us_bench(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double s_now(void) { return (double)clock_mono_us_bench() / 1e6; }

static char *s_generate(size_t rows, size_t *len)
{
    static const char *kinds[] = { "leveringen", "diensten", "werken" };
    static const char *groups[] = { "Openbare ruimte", "Facilitair", "Sociaal domein", "ICT",
                                    "Sport", "Riolering", "Catering", "Vastgoed" };
    static const char *leaders[] = { "Anja de Vries", "Kees Bos", "Ruud Hermans", "Lotte Vermeulen",
                                     "Sanne Willems", "Pieter Janssen" };
    static const char *themes[] = { "klimaat:eis", "circulair:gunning", "klimaat|circulair",
                                    "milieu:gunning", "isv:eis", "social_return:eis" };
    size_t cap = rows * 260 + 4096, n = 0;
    char *b = malloc(cap);
    n += (size_t)snprintf(b + n, cap - n,
                          "kenmerk;titel;inkoopgroep;soort;cpv;waarde;publicatie;start;einde;"
                          "projectleider;e-mail projectleider;thema's;sdgs;sroi;pilot\n");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < rows; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int y = 2024 + (int)(x % 4), m = 1 + (int)((x >> 8) % 12), d = 1 + (int)((x >> 16) % 28);
        long euros = 5000 + (long)((x >> 24) % 8000000);
        const char *th = themes[(x >> 40) % 6];
        const char *leader = leaders[(x >> 44) % 6];
        n += (size_t)snprintf(b + n, cap - n,
                              "B-%07zu;Traject %zu;%s;%s;45233141-9;%ld,%02d;%02d-%02d-%d;"
                              "01-01-%d;31-12-%d;%s;%s@heerlen.nl;%s;13;%s;nee\n",
                              i + 1, i + 1, groups[(x >> 32) % 8], kinds[(x >> 36) % 3], euros,
                              (int)(x % 100), d, m, y, y + 1, y + 3, leader, "pl", th,
                              strstr(th, "social_return") ? "3%" : "");
    }
    *len = n;
    return b;
}

typedef struct {
    void *ctx, *s;
    int seq;
} s_cli_t;

static Mvoi__Envelope *s_call(s_cli_t *c, Mvoi__Envelope *req)
{
    char rid[32];
    snprintf(rid, sizeof rid, "q-%d", ++c->seq);
    req->request_id = rid;
    req->buyer = "heerlen";
    uint8_t buf[4096];
    size_t len = mvoi__envelope__pack(req, buf);
    zmq_send(c->s, buf, len, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, c->s, 0) < 0)
        return NULL;
    Mvoi__Envelope *r = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return r;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void s_report(const char *what, double *us, int n, Mvoi__Envelope *sample)
{
    qsort(us, (size_t)n, sizeof *us, s_cmp);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += us[i];
    printf("  %-42s mean %8.1f us  p50 %8.1f  p99 %8.1f", what, sum / n, us[n / 2],
           us[(int)(n * 0.99)]);
    if (sample && sample->body_case == MVOI__ENVELOPE__BODY_TENDER_LIST)
        printf("  (%zu of %u)", sample->tender_list->n_tenders, sample->tender_list->total);
    if (sample && sample->body_case == MVOI__ENVELOPE__BODY_ERROR)
        printf("  ERROR %s", sample->error->message);
    printf("\n");
}

static void s_time(s_cli_t *c, const char *what, Mvoi__Envelope *req, int n)
{
    double *us = calloc((size_t)n, sizeof *us);
    Mvoi__Envelope *last = NULL;
    for (int i = 0; i < n; i++) {
        int64_t t0 = clock_mono_us_bench();
        Mvoi__Envelope *r = s_call(c, req);
        us[i] = (double)(clock_mono_us_bench() - t0);
        if (last)
            mvoi__envelope__free_unpacked(last, NULL);
        last = r;
    }
    s_report(what, us, n, last);
    if (last)
        mvoi__envelope__free_unpacked(last, NULL);
    free(us);
}

/* Query latencies against the loaded calendar: GetTender, list pages, upcoming. */
static void s_queries(const char *api, size_t rows)
{
    s_cli_t c = { zmq_ctx_new(), NULL, 0 };
    c.s = zmq_socket(c.ctx, ZMQ_DEALER);
    zmq_connect(c.s, api);
    printf("query latency at %zu tenders (one DEALER, sequential):\n", rows);
    {
        double *us = calloc(1000, sizeof *us);
        char id[32];
        for (int i = 0; i < 1000; i++) {
            snprintf(id, sizeof id, "B-%07zu", (size_t)(i * 7919) % rows + 1);
            Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
            g.id = id;
            Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
            req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
            req.get_tender = &g;
            int64_t a = clock_mono_us_bench();
            Mvoi__Envelope *r = s_call(&c, &req);
            us[i] = (double)(clock_mono_us_bench() - a);
            mvoi__envelope__free_unpacked(r, NULL);
        }
        s_report("get", us, 1000, NULL);
        free(us);
    }
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &q;
    s_time(&c, "list first page (50, counts all)", &req, 50);
    q.has_offset = 1;
    q.offset = (uint32_t)rows / 2;
    s_time(&c, "list page at offset rows/2", &req, 50);
    q.offset = 0;
    q.has_year = 1;
    q.year = 2025;
    q.has_quarter = 1;
    q.quarter = 2;
    s_time(&c, "list year 2025 quarter 2 (index range)", &req, 50);
    q.has_quarter = 0;
    q.has_year = 0;
    q.has_theme = 1;
    q.theme = MVOI__THEME__THEME_ISV;
    q.project_leader = "kees";
    s_time(&c, "list theme isv + leader 'kees'", &req, 50);
    Mvoi__ListTenders q2 = MVOI__LIST_TENDERS__INIT;
    q2.has_limit = 1;
    q2.limit = 1000;
    req.list_tenders = &q2;
    s_time(&c, "list page of 1000", &req, 20);
    Mvoi__UpcomingTenders u = MVOI__UPCOMING_TENDERS__INIT;
    u.from_date = "2025-03-01";
    Mvoi__Envelope ureq = MVOI__ENVELOPE__INIT;
    ureq.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    ureq.upcoming_tenders = &u;
    s_time(&c, "upcoming 90 days (50)", &ureq, 50);
    zmq_close(c.s);
    zmq_ctx_term(c.ctx);
}

/* The same file again: with the same request ids (stored replies), then with new ones
 * (content compare); both leave every tender unchanged. */
static void s_reimport(cal_import_opts_t *io, const csv_import_t *ci, size_t rows,
                       const char *prefix)
{
    cal_import_result_t res;
    /* re-import, same request ids: stored replies (a new run: they count as unchanged) */
    io->run_id = "bench-run-1b";
    double t4 = s_now();
    cal_import_send(io, ci->tenders, NULL, ci->n_tenders, &res);
    double t5 = s_now();
    printf("  re-import same file (stored replies): %.0f rows/s (unchanged %zu)\n",
           (double)rows / (t5 - t4), res.unchanged);
    cal_import_result_clear(&res);
    /* re-import, new request ids: content compare, unchanged */
    char prefix2[64];
    snprintf(prefix2, sizeof prefix2, "%s-again", prefix);
    io->rid_prefix = prefix2;
    io->run_id = "bench-run-2";
    t4 = s_now();
    cal_import_send(io, ci->tenders, NULL, ci->n_tenders, &res);
    t5 = s_now();
    printf("  re-import new request ids (content compare): %.0f rows/s (unchanged %zu)\n",
           (double)rows / (t5 - t4), res.unchanged);
    cal_import_result_clear(&res);
    io->rid_prefix = prefix;   /* prefix2 ends here */
}

int main(int argc, char **argv)
{
    size_t rows = 100000;
    bool nosync = false;
    unsigned window = 8000, per = 500;
    int batch = 2048;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--nosync") == 0)
            nosync = true;
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            window = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--per") == 0 && i + 1 < argc)
            per = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_calendar [--rows N] [--nosync] [--window N] [--per N] "
                            "[--batch N]\n");
            return 64;
        }
    }
    char dir[128];
    h_tmpdir(dir, sizeof dir);
    char api[192], env[6][256];
    snprintf(api, sizeof api, "ipc://%s/api", dir);
    snprintf(env[0], 256, "MVOI_DATA_DIR=%s", dir);
    snprintf(env[1], 256, "MVOI_CALENDAR_API=%s", api);
    snprintf(env[2], 256, "MVOI_CALENDAR_PUB=ipc://%s/pub", dir);
    snprintf(env[3], 256, "MVOI_LOG_LEVEL=warn");
    snprintf(env[4], 256, "MVOI_CALENDAR_NOSYNC=%s", nosync ? "true" : "false");
    snprintf(env[5], 256, "MVOI_CALENDAR_BATCH=%d", batch);
    const char *envp[] = { env[0], env[1], env[2], env[3], env[4], env[5], NULL };
    char bin[512];
    h_bin(bin, sizeof bin, "services/calendar/mvoi-calendar");
    h_proc_t p;
    if (h_spawn(&p, bin, "calendar", dir, envp) != 0 || h_wait_healthy(api, 10000) != 0) {
        fprintf(stderr, "bench_calendar: mvoi-calendar did not start (log in %s)\n", dir);
        return 69;
    }

    printf("bench_calendar: %zu rows, %s, window %u, %u per command, batch %d\n", rows,
           nosync ? "nosync" : "durable (fsync per group commit)", window, per, batch);
    double t0 = s_now();
    size_t len;
    char *csv = s_generate(rows, &len);
    double t1 = s_now();
    csv_import_t ci;
    csv_import_opts_t co = { .default_buyer = "heerlen" };
    int rc = csv_import_parse(csv, len, &co, &ci);
    double t2 = s_now();
    if (rc != 0 || ci.n_errors) {
        fprintf(stderr, "bench_calendar: generated CSV has %zu errors (%d)\n", ci.n_errors, rc);
        return EX_SOFTWARE;
    }
    char prefix[48];
    cal_import_prefix("heerlen", csv, len, prefix, sizeof prefix);
    cal_import_opts_t io = { .endpoint = api, .buyer = "heerlen", .rid_prefix = prefix,
                             .run_id = "bench-run-1", .window = window, .per_request = per,
                             .timeout_ms = 30000 };
    cal_import_result_t res;
    rc = cal_import_send(&io, ci.tenders, NULL, ci.n_tenders, &res);
    double t3 = s_now();
    printf("  generate CSV: %.1f MB in %.2f s\n", (double)len / 1e6, t1 - t0);
    printf("  parse CSV (csv_import): %.2f s = %.0f rows/s\n", t2 - t1, (double)rows / (t2 - t1));
    printf("  import through the service: %.2f s = %.0f rows/s (created %zu, failed %zu, rc %d)\n",
           t3 - t2, (double)rows / (t3 - t2), res.created, res.failed, rc);
    printf("  parse + import: %.0f rows/s\n", (double)rows / (t3 - t1));
    cal_import_result_clear(&res);

    s_reimport(&io, &ci, rows, prefix);

    s_queries(api, rows);

    csv_import_clear(&ci);
    free(csv);
    h_signal(&p, SIGTERM);
    int st;
    h_wait(&p, 10000, &st);
    h_tmpdir_remove(dir);
    return 0;
}
