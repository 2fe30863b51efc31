/*  bench_e2e: measurement -> dashboard, the whole chain with real processes.
 *
 *  mvoi-calendar, mvoi-impact-calculator and mvoi-kpi-aggregator run as processes on ipc://
 *  endpoints, every one durable (LMDB sync on; `nosync` as the 2nd argument for the
 *  comparison figure). One tender is registered (E2E_BENCH_TENDERS: more); every measurement
 *  is an energy measurement (10..1000 l HVO100, realisation, January 2026) of one of them,
 *  all of one buyer, so each one moves the all-dimension year total kpi.<buyer>.co2.2026 by
 *  one in its `count`.
 *
 *  WHAT IS COUNTED: a SUB on the aggregator's PUB, subscribed to exactly that total, reads
 *  KpiTotal.count of each update: an update with count c shows that measurements 1..c (in
 *  submission order) have reached the dashboard. Updates are absolute, so coalesced updates
 *  (several measurements in one aggregator transaction) still account for every measurement.
 *
 *  1. Throughput, closed loop, ABA: raw one-hop PUSH/PULL over ipc with the payload of one
 *     encoded measurement (bench_raw_push_pull, libuv loops, same as bench_hop) | the chain:
 *     N measurements in pipelined SubmitMeasurements of PER (window WINDOW requests),
 *     measurements/s = N / (time the update showing the last one arrived - first send) |
 *     raw ... for TRIPLES triples; the median ratio is reported with the raw numbers.
 *     After each chain run the bare chain (bench_bare.h): the same requests, replies,
 *     events and updates through two stand-ins that do no work, with the message sizes
 *     the fleet sent in the warm-up; what the chain's shape costs apart from its work.
 *  2. Latency, open loop: a generator with a fixed schedule (intended send time of
 *     measurement i = t0 + i / rate, CLOCK_MONOTONIC); whatever is due when it wakes goes out
 *     in one SubmitMeasurements (so a slow service cannot slow the schedule down: coordinated
 *     omission is avoided). latency_i = arrival of the first update with count >= i minus
 *     the intended send time of i. At 1,000/s and at half the measured maximum. The first
 *     second is warm-up and not counted. At half the maximum also with a 10 ms tick (the
 *     generator wakes every 10 ms and sends what is due as one request, as a batching client
 *     would), since the maximum itself was measured with large requests. p50/p90/p99/p99.9/max and the sample count.
 *
 *  No pass/fail: figures to read. Goals (issue 5): throughput >= 20 % of raw, p99 <= 5 ms
 *  at 1,000/s.
 *
 *  usage: bench_e2e [N=50000] [sync|nosync] [TRIPLES=5] [LAT_SECONDS=10] [PER=500] [WINDOW=16]
 *  E2E_BENCH_TENDERS=N: register N tenders and spread the measurements over them (default 1:
 *  the best case for the aggregator, whose batch then touches the same few totals).
 *  E2E_BENCH_WAIT=S: print the service pids and wait S seconds before each phase (attach
 *  perf/strace); E2E_BENCH_ONLY=thr|lat: run one part.
 *  E2E_BENCH_CURVE=both|on|off: the throughput part runs on a plaintext fleet (MVOI_CURVE=off)
 *  and then on a fresh fleet with CURVE on every socket (as deployed: the bench's own
 *  sockets too), and prints the cost as a ratio (CURVE COST line); default both. The
 *  latency part runs on each fleet.
 */
#define _GNU_SOURCE   /* ppoll */
#include <errno.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "bench.h"
#include "bench_bare.h"
#include "codec.h"
#include "bench_peer.h"
#include "bench_rounds.h"
#include "e2e.h"
#include "mvoi_curve.h"

static int64_t s_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct {
    e2e_fleet_t f;
    const char *buyer;
    char key[128];
    uint32_t next_id;       /* measurements submitted so far */
    uint64_t run;
    uint32_t *tenders;      /* tender indices of our buyer, measurements go round-robin */
    uint32_t ntenders;
} bench_t;

static void s_mv(bench_t *b, e2e_mv_t *m)
{
    memset(m, 0, sizeof *m);
    m->id = ++b->next_id;
    m->tender = b->tenders[m->id % b->ntenders];
    m->buyer = (uint8_t)(strcmp(b->buyer, "heerlen") != 0);
    m->phase = 2;
    m->kind = K_ENERGY;
    m->combo = 0;            /* HVO100 instead of diesel B7 */
    m->qty = 10 + m->id % 991;
    m->year = 2026;
    m->month = 1;
    m->day = 15;
}

/* Pack measurements [first, first + n) (ids) as one SubmitMeasurements. */
static size_t s_request(bench_t *b, uint32_t n, uint8_t **out)
{
    e2e_mv_t *mv = calloc(n, sizeof *mv);
    const e2e_mv_t **mp = calloc(n, sizeof *mp);
    for (uint32_t i = 0; i < n; i++) {
        s_mv(b, &mv[i]);
        mp[i] = &mv[i];
    }
    char rid[64];
    snprintf(rid, sizeof rid, "bench-%llx-%u", (unsigned long long)b->run, b->next_id);
    size_t len = e2e_pack_submit(mp, n, b->buyer, rid, out);
    free(mp);
    free(mv);
    return len;
}

static void *s_sock(void *ctx, int type, const char *ep, const char *sub)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    if (sub)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, sub, strlen(sub));
    mvoi_curve_client(s, ep);   /* CURVE in the CURVE half of the run */
    zmq_connect(s, ep);
    return s;
}

/* Drain the SUB; returns the highest count seen on our key (or `have`). */
static uint64_t s_drain_sub(bench_t *b, void *sub, uint64_t have, int64_t *t_last)
{
    for (;;) {
        zmq_msg_t t, m;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&t);
            return have;
        }
        bool ours = zmq_msg_size(&t) == strlen(b->key)
                    && memcmp(zmq_msg_data(&t), b->key, zmq_msg_size(&t)) == 0;
        zmq_msg_init(&m);
        if (zmq_msg_more(&t))
            zmq_msg_recv(&m, sub, 0);
        zmq_msg_close(&t);
        if (ours) {
            Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m),
                                                       zmq_msg_data(&m));
            if (e && e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL
                && (uint64_t)e->kpi_total->count > have) {
                have = (uint64_t)e->kpi_total->count;
                if (t_last)
                    *t_last = s_ns();
            }
            if (e)
                mvoi__envelope__free_unpacked(e, NULL);
        }
        zmq_msg_close(&m);
    }
}

/* Replies so far; check: each must be a MeasurementReply with every result ok (the bare
 * stand-in's are not envelopes). *len: the size of the largest one seen.
 * Every reply is decoded whole, as a client that reads its results would, into an arena
 * reset per reply (kept for the process's life): protobuf-c's malloc and free of each
 * field of a 100-result reply were two thirds of this client's CPU, taken from the two
 * cores the services run on. */
static int s_drain_replies(void *dealer, bool check, size_t *errors, size_t *len)
{
    static arena_t *arena;
    if (check && !arena && !(arena = arena_new(64 * 1024, 256 * 1024))) {
        (*errors)++;
        return 0;
    }
    int n = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return n;
        }
        if (zmq_msg_size(&m) > *len)
            *len = zmq_msg_size(&m);
        int err = 0;
        Mvoi__Envelope *e = check ? codec_unpack_in(arena, zmq_msg_data(&m), zmq_msg_size(&m),
                                                    0, &err) : NULL;
        if (check && (!e || e->body_case != MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY)) {
            if (*errors < 3)
                fprintf(stderr, "bench_e2e: unexpected reply %d %s (%d)\n",
                        e ? (int)e->body_case : -1,
                        e && e->body_case == MVOI__ENVELOPE__BODY_ERROR && e->error->message
                            ? e->error->message : "", err);
            (*errors)++;
        } else if (e) {
            for (size_t i = 0; i < e->measurement_reply->n_results; i++)
                if (!e->measurement_reply->results[i]->ok)
                    (*errors)++;
        }
        if (check)
            arena_reset(arena);
        zmq_msg_close(&m);
        n++;
    }
}

/* On a SUB of the impact-calculator's PUB (drained): the largest event seen so far, and
 * the most events one message carried (an EventBatch: server_publish.c). */
static void s_drain_probe(void *probe, size_t *len, uint32_t *batch)
{
    for (zmq_msg_t m;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, probe, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        codec_slice_t body, ev = { zmq_msg_data(&m), zmq_msg_size(&m) };
        uint32_t k = 1;
        if (!zmq_msg_more(&m) && codec_batch_open(ev.data, ev.len, &body) == 1)
            for (k = 0; codec_batch_next(&body, &ev) == 1; k++)
                *len = ev.len > *len ? ev.len : *len;
        else if (!zmq_msg_more(&m) && ev.len > *len)
            *len = ev.len;
        if (!zmq_msg_more(&m) && k > *batch)
            *batch = k;
        zmq_msg_close(&m);
    }
}

/* ------------------------------------------------------------ throughput (closed loop) */

/* CPU seconds (user + system) a /proc stat file counts so far; -1 if unknown. */
static double s_cpu_path(const char *path)
{
    char buf[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');   /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ... of a process, all its threads. */
static double s_cpu_s(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    return s_cpu_path(path);
}

/* The CPU seconds of a service's loop thread (its main thread: the tid is the pid), which
 * bounds the chain when it is busy all the time. */
static double s_loop_cpu_s(int pid)
{
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, pid);
    return s_cpu_path(path);
}

/* Where a closed-loop run sends its requests and counts the total: the fleet, or the bare
 * stand-ins (bench_bare.h). */
typedef struct {
    const char *api, *pub;
    uint64_t base;             /* the total's count before the run */
    bool fleet;                /* the services: replies checked, their CPU read */
    double *cpu_us;            /* fleet: CPU of both services per measurement (may be NULL) */
    size_t reply_len, event_len;   /* out: the largest reply, and (fleet) event, seen */
    uint32_t event_batch;      /* out (fleet): the most events one message carried */
    bool probe;                /* fleet: also read the impact-calculator's events (sizes) */
} s_target_t;

static double s_run(bench_t *b, s_target_t *tg, uint32_t n, uint32_t per, int window);

static double s_chain_cpu(bench_t *b, uint32_t n, uint32_t per, int window, double *cpu_us)
{
    s_target_t tg = { .api = b->f.iapi, .pub = b->f.kpub, .base = b->next_id, .fleet = true,
                      .cpu_us = cpu_us };
    return s_run(b, &tg, n, per, window);
}

static double s_chain(bench_t *b, uint32_t n, uint32_t per, int window)
{
    return s_chain_cpu(b, n, per, window, NULL);
}

static double s_run(bench_t *b, s_target_t *tg, uint32_t n, uint32_t per, int window)
{
    /* CPU per measurement of each service: a figure the machine's noise moves far less
     * than wall-clock rates (it does not count time spent waiting for a core). */
    double cpu0[2] = { s_cpu_s(b->f.proc[E2E_IMP].pid), s_cpu_s(b->f.proc[E2E_KPI].pid) };
    double loop0 = s_loop_cpu_s(b->f.proc[E2E_IMP].pid);
    void *ctx = zmq_ctx_new();
    void *sub = s_sock(ctx, ZMQ_SUB, tg->pub, b->key);
    void *dealer = s_sock(ctx, ZMQ_DEALER, tg->api, NULL);
    void *probe = tg->fleet && tg->probe ? s_sock(ctx, ZMQ_SUB, b->f.ipub, "impact.") : NULL;
    usleep(200000);   /* the subscription reaches the PUB */
    uint64_t base = tg->base, have = 0;
    s_drain_sub(b, sub, 0, NULL);
    uint32_t nreq = (n + per - 1) / per;
    uint8_t **reqs = calloc(nreq, sizeof *reqs);
    size_t *lens = calloc(nreq, sizeof *lens);
    for (uint32_t r = 0; r < nreq; r++)
        lens[r] = s_request(b, r + 1 < nreq ? per : n - r * per, &reqs[r]);
    double self0 = s_cpu_s(getpid());   /* the requests are built before the clock starts */
    size_t errors = 0;
    uint32_t sent = 0, replied = 0;
    int64_t t0 = s_ns(), t_last = t0, t_acked = t0;
    while (replied < nreq || have < base + n) {
        while (sent < nreq && sent - replied < (uint32_t)window) {
            zmq_send(dealer, reqs[sent], lens[sent], 0);
            sent++;
        }
        zmq_pollitem_t it[2] = { { dealer, 0, ZMQ_POLLIN, 0 }, { sub, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(it, 2, 5000) == 0 && s_ns() - t_last > 30000000000LL) {
            fprintf(stderr, "bench_e2e: stuck: %u/%u replies, count %llu of %llu\n", replied,
                    nreq, (unsigned long long)have, (unsigned long long)(base + n));
            break;
        }
        int got = s_drain_replies(dealer, tg->fleet, &errors, &tg->reply_len);
        replied += (uint32_t)got;
        if (got && replied == nreq)
            t_acked = s_ns();
        have = s_drain_sub(b, sub, have, &t_last);
        if (probe)
            s_drain_probe(probe, &tg->event_len, &tg->event_batch);
    }
    printf("  %s acknowledged all %u in %.2f s (%.0f/s); the dashboard total "
           "showed all after %.2f s\n", tg->fleet ? "impact-calculator" : "bare impact stand-in",
           n, (t_acked - t0) / 1e9, n / ((t_acked - t0) / 1e9), (t_last - t0) / 1e9);
    double cpu1[2] = { s_cpu_s(b->f.proc[E2E_IMP].pid), s_cpu_s(b->f.proc[E2E_KPI].pid) };
    if (tg->fleet && cpu0[0] >= 0 && cpu1[0] >= 0 && cpu0[1] >= 0 && cpu1[1] >= 0) {
        double loop1 = s_loop_cpu_s(b->f.proc[E2E_IMP].pid);
        double self1 = s_cpu_s(getpid());
        printf("  CPU per measurement: impact-calculator %.2f us, kpi-aggregator %.2f us, "
               "this client %.2f us; the impact-calculator's loop thread busy %.0f %% of the "
               "run\n", (cpu1[0] - cpu0[0]) * 1e6 / n, (cpu1[1] - cpu0[1]) * 1e6 / n,
               (self1 - self0) * 1e6 / n,
               loop0 >= 0 && loop1 >= 0 ? (loop1 - loop0) * 100 / ((t_last - t0) / 1e9) : -1);
        if (tg->cpu_us)
            *tg->cpu_us = (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) * 1e6 / n;
    }
    double rate = have >= base + n && !errors ? n / ((t_last - t0) / 1e9) : -1;
    for (uint32_t r = 0; r < nreq; r++)
        free(reqs[r]);
    free(reqs);
    free(lens);
    if (probe)
        zmq_close(probe);
    zmq_close(sub);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    return rate;
}

/* The bare chain (bench_bare.h) with the fleet's message sizes: measurements/s, -1. n is
 * rounded down to whole requests (the stand-in takes every request to carry `per`). */
static double s_bare(bench_t *b, const s_target_t *shape, uint32_t n, uint32_t per, int window)
{
    bench_bare_opts_t o = { .key = b->key, .buyer = b->buyer, .reply_len = shape->reply_len,
                            .event_len = shape->event_len, .per = per,
                            .batch = shape->event_batch };
    bench_bare_t *bare = bench_bare_start(&o);
    if (!bare)
        return -1;
    s_target_t tg = { .api = bench_bare_api(bare), .pub = bench_bare_pub(bare) };
    uint32_t save = b->next_id;
    double r = s_run(b, &tg, n / per > 0 ? n / per * per : per, per, window);
    b->next_id = save;   /* the fleet never saw these ids */
    bench_bare_stop(&bare);
    return r;
}

/* ------------------------------------------------------------ latency (open loop) */

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The count of our total now (KpiQuery), 0 when unknown. */
static uint64_t s_query_count(bench_t *b)
{
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.key = b->key;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    req.kpi_query = &q;
    Mvoi__Envelope *r = NULL;
    uint64_t c = 0;
    if (h_request(b->f.kapi, &req, &r, 2000) == 0 && r) {
        if (r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL)
            c = (uint64_t)r->kpi_total->count;
        mvoi__envelope__free_unpacked(r, NULL);
    }
    return c;
}

/* tick_ms > 0: the generator wakes at most every tick_ms (what is due then goes out as one
 * request); intended times stay on the per-measurement schedule. */
/* Sleep until dealer or sub has a message or wait_ns passed. zmq_poll counts in whole
 * milliseconds, so at 1,000/s (a send due every millisecond) it was asked for 0 ms and the
 * generator spun a whole core, taking it from the services it measures. ppoll on the
 * sockets' ZMQ_FD (checked with ZMQ_EVENTS first: the fd only signals changes) sleeps to
 * the nanosecond instead. */
static void s_wait(void *dealer, void *sub, int64_t wait_ns)
{
    void *socks[2] = { dealer, sub };
    struct pollfd p[2];
    for (int i = 0; i < 2; i++) {
        int ev = 0;
        size_t sz = sizeof ev;
        zmq_getsockopt(socks[i], ZMQ_EVENTS, &ev, &sz);
        if (ev & ZMQ_POLLIN)
            return;
        int fd = -1;
        sz = sizeof fd;
        zmq_getsockopt(socks[i], ZMQ_FD, &fd, &sz);
        p[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
    }
    if (wait_ns <= 0)
        return;
    if (wait_ns > 100000000)
        wait_ns = 100000000;
    struct timespec ts = { wait_ns / 1000000000, wait_ns % 1000000000 };
    ppoll(p, 2, &ts, NULL);
}

static void s_latency(bench_t *b, double rate, double seconds, int tick_ms, bench_lat_t *out)
{
    void *ctx = zmq_ctx_new();
    void *sub = s_sock(ctx, ZMQ_SUB, b->f.kpub, b->key);
    void *dealer = s_sock(ctx, ZMQ_DEALER, b->f.iapi, NULL);
    /* per hop: the impact-calculator's reply (after its commit and flush) and its event on
     * the PUB (after the flush, at its publish point), next to the total on the kpi PUB */
    void *isub = s_sock(ctx, ZMQ_SUB, b->f.ipub, "impact.");
    usleep(200000);
    uint64_t have = s_drain_sub(b, sub, 0, NULL);
    uint64_t base = b->next_id;
    for (int i = 0; i < 300 && (have = s_query_count(b)) < base; i++)
        usleep(100000);   /* everything earlier is shown before we start */
    if (have < base)
        fprintf(stderr, "bench_e2e: earlier measurements not all shown (%llu < %llu)\n",
                (unsigned long long)have, (unsigned long long)base);
    uint32_t n = (uint32_t)(rate * seconds);
    int64_t *intended = calloc(n, sizeof *intended), *lat = calloc(n, sizeof *lat);
    hops_t hops;
    hops_init(&hops, n);
    uint32_t done = 0, requests = 0;   /* measurements shown so far (relative to base) */
    size_t errors = 0;
    int64_t period = (int64_t)(1e9 / rate);
    int64_t t0 = s_ns() + 10000000;
    for (uint32_t i = 0; i < n; i++)
        intended[i] = t0 + (int64_t)i * period;
    uint32_t next = 0;
    int64_t last_send = 0;
    int64_t deadline = t0 + (int64_t)(seconds * 1e9) + 30000000000LL;
    while (done < n && s_ns() < deadline) {
        int64_t now = s_ns();
        if (next < n && intended[next] <= now
            && (tick_ms <= 0 || now - last_send >= (int64_t)tick_ms * 1000000)) {
            last_send = now;
            /* everything due goes out now, in requests of at most 500 */
            do {
                uint32_t k = 0;
                while (next + k < n && intended[next + k] <= now && k < 500)
                    k++;
                uint8_t *buf;
                size_t len = s_request(b, k, &buf);
                zmq_send(dealer, buf, len, 0);
                hops_sent(&hops, next, k, s_ns());
                free(buf);
                next += k;
                requests++;
            } while (next < n && intended[next] <= now);
        }
        int64_t wait_ns = next < n ? intended[next] - s_ns() : 100000000;
        if (tick_ms > 0 && next < n) {
            int64_t tick_end = last_send + (int64_t)tick_ms * 1000000 - s_ns();
            if (tick_end > wait_ns)
                wait_ns = tick_end;
        }
        s_wait(dealer, sub, wait_ns);
        size_t reply_len = 0;
        int acked = s_drain_replies(dealer, true, &errors, &reply_len);
        hops_acked(&hops, acked, s_ns());
        hops_events(&hops, isub, s_ns());
        uint64_t h = s_drain_sub(b, sub, have, NULL);
        if (h > have) {
            int64_t t = s_ns();
            for (; done < n && base + done + 1 <= h; done++) {
                lat[done] = t - intended[done];
                hops_shown(&hops, done, t);
            }
            have = h;
        }
    }
    /* drop the first second (warm-up) */
    uint32_t skip = (uint32_t)rate < done ? (uint32_t)rate : 0;
    uint32_t cnt = done - skip;
    qsort(lat + skip, cnt, sizeof *lat, s_cmp64);
#define P(q) (cnt ? lat[skip + (uint32_t)((cnt - 1) * (q))] / 1e6 : -1.0)
    printf("latency @ %7.0f/s offered, tick %d ms (%u requests, %.1f measurements/request): n=%u "
           "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%s\n",
           rate, tick_ms, requests, requests ? (double)next / requests : 0.0, cnt, P(0.5), P(0.9),
           P(0.99), P(0.999), cnt ? lat[skip + cnt - 1] / 1e6 : -1.0,
           done < n ? "  (INCOMPLETE: not every measurement was shown in time)" : "");
    if (errors)
        printf("  %zu errors in replies\n", errors);
    if (out)
        *out = (bench_lat_t){ P(0.5), P(0.9), P(0.99), P(0.999),
                              cnt ? lat[skip + cnt - 1] / 1e6 : -1.0, cnt,
                              done == n && !errors };
#undef P
    hops_print(&hops, intended, skip, done);
    hops_dump(&hops, intended, done, b->run, base);
    hops_fini(&hops);
    fflush(stdout);
    free(intended);
    free(lat);
    zmq_close(isub);
    zmq_close(sub);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* ------------------------------------------------------------ main */

static void s_env_print(void)
{
    char model[512] = "?";
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (fp) {
        char line[512];
        while (fgets(line, sizeof line, fp))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                snprintf(model, sizeof model, "%s", c ? c + 2 : line);
                model[strcspn(model, "\n")] = 0;
                break;
            }
        fclose(fp);
    }
    struct utsname u;
    uname(&u);
    int zmaj, zmin, zpat;
    zmq_version(&zmaj, &zmin, &zpat);
    printf("cpu: %s; nproc %ld; kernel %s %s; libzmq %d.%d.%d; %s; protobuf-c %s; libuv %s\n",
           model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, zmaj, zmin, zpat,
           mdb_version(NULL, NULL, NULL), protobuf_c_version(), uv_version_string());
}

/* ------------------------------------------------------------ the Redis peer */

/* One round's throughput part: both peers at 1 and 100 a request, the bare chain, raw
 * ZeroMQ and the disk back to back. */
static void bench_rounds_thr(bench_t *b, bench_redis_t *r, bench_rounds_t *p, int i, uint32_t n,
                       s_target_t *shape, size_t payload)
{
    uint32_t n1 = n / 5 > 500 ? n / 5 : 500;
    double **m = p->m, **q = p->q, **x = p->x;
    printf("-- round %d: mvoi 1/request\n", i + 1);
    /* 1/request: 256 requests in flight (many clients), the same for both */
    m[PM_THR1][i] = s_chain_cpu(b, n1, 1, 256, &m[PM_CPU1][i]);
    q[PM_THR1][i] = bench_redis_throughput(r, n1, 1, 256, &q[PM_CPU1][i]);
    printf("   redis 1/request: %.0f/s, %.2f us CPU per measurement\n", q[PM_THR1][i],
           q[PM_CPU1][i]);
    printf("-- round %d: mvoi 100/request\n", i + 1);
    m[PM_THR100][i] = s_chain_cpu(b, n, 100, 16, &m[PM_CPU100][i]);
    q[PM_THR100][i] = bench_redis_throughput(r, n, 100, 16, &q[PM_CPU100][i]);
    printf("   redis 100/request: %.0f/s, %.2f us CPU per measurement\n",
           q[PM_THR100][i], q[PM_CPU100][i]);
    x[PX_BARE][i] = s_bare(b, shape, n, 100, 16);
    printf("   bare chain (same messages, no work) 100/request: %.0f/s\n", x[PX_BARE][i]);
    x[PX_RAW][i] = bench_raw_push_pull("ipc", payload < 8 ? 8 : payload, 1000000);
    bench_fdatasync(b->f.dir, 300, 0, &x[PX_F50][i], &x[PX_F99][i]);
    printf("   disk: 4 KiB pwrite+fdatasync p50 %.2f ms p99 %.2f ms\n", x[PX_F50][i],
           x[PX_F99][i]);
    printf("   raw ipc PUSH/PULL %zu B: %.0f msg/s\n", payload, x[PX_RAW][i]);
}

/* One round's latency part: both peers at 1,000/s, then the flush they both pay at that
 * rate (one every 1 ms, the device idle in between). */
static void s_peer_lat(bench_t *b, bench_redis_t *r, bench_rounds_t *p, int i, double lat_s)
{
    bench_lat_t ml, rl;
    printf("-- round %d: latency\n", i + 1);
    s_latency(b, 1000, lat_s, 0, &ml);
    bench_redis_latency(r, 1000, lat_s, &rl);
    printf("   redis latency @ 1000/s: n=%u p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms%s\n",
           rl.n, rl.p50, rl.p99, rl.p999, rl.max, rl.complete ? "" : " (INCOMPLETE)");
    p->m[PM_P50][i] = ml.p50, p->m[PM_P99][i] = ml.p99, p->m[PM_P999][i] = ml.p999;
    p->q[PM_P50][i] = rl.p50, p->q[PM_P99][i] = rl.p99, p->q[PM_P999][i] = rl.p999;
    bench_fdatasync(b->f.dir, 1000, 1000, &p->x[PX_G50][i], &p->x[PX_G99][i]);
    printf("   disk, one flush every 1 ms: 4 KiB pwrite+fdatasync p50 %.2f ms p99 %.2f ms\n",
           p->x[PX_G50][i], p->x[PX_G99][i]);
}

static void s_peer(bench_t *b, uint32_t n, int rounds, double lat_s, size_t payload)
{
    char rdir[256];
    snprintf(rdir, sizeof rdir, "%s/redis", b->f.dir);
    bench_redis_t *r = bench_redis_start(rdir);
    if (!r) {
        printf("== Redis peer not available (redis-server: scripts/bootstrap)\n");
        return;
    }
    const char *only = getenv("E2E_BENCH_ONLY");
    bench_rounds_t p = { .rounds = rounds, .lat_only = only && strcmp(only, "lat") == 0 };
    for (int k = 0; k < PM_N; k++) {
        p.m[k] = calloc((size_t)rounds, sizeof *p.m[k]);
        p.q[k] = calloc((size_t)rounds, sizeof *p.q[k]);
    }
    for (int k = 0; k < PX_N; k++)
        p.x[k] = calloc((size_t)rounds, sizeof *p.x[k]);
    /* the sizes of the fleet's replies and events, for the bare chain (a run of its own:
     * reading every event would load the measured ones) */
    s_target_t shape = { .api = b->f.iapi, .pub = b->f.kpub, .base = b->next_id,
                         .fleet = true, .probe = true };
    if (!p.lat_only)
        s_run(b, &shape, 2000, 100, 16);
    for (int i = 0; i < rounds; i++) {
        if (!p.lat_only)
            bench_rounds_thr(b, r, &p, i, n, &shape, payload);
        s_peer_lat(b, r, &p, i, lat_s);
    }
    bench_rounds_table(&p, payload);
    for (int k = 0; k < PM_N; k++) {
        free(p.m[k]);
        free(p.q[k]);
    }
    for (int k = 0; k < PX_N; k++)
        free(p.x[k]);
    bench_redis_stop(&r);
}

static void s_wait_hint(bench_t *b, const char *phase)
{
    const char *w = getenv("E2E_BENCH_WAIT");
    if (!w)
        return;
    printf("pids before %s: calendar %d impact-calculator %d kpi-aggregator %d; waiting %s s\n",
           phase, b->f.proc[E2E_CAL].pid, b->f.proc[E2E_IMP].pid, b->f.proc[E2E_KPI].pid, w);
    fflush(stdout);
    sleep((unsigned)atoi(w));
}

/* Stop the fleet; traced (MVOI_TRACE_HOPS), gracefully first, so that every service writes
 * its hop records (server_trace.c) before it exits. */
static void s_bring_down(bench_t *b)
{
    const char *tr = getenv("MVOI_TRACE_HOPS");
    for (int w = 2; tr && *tr && w >= 0; w--)
        if (h_signal(&b->f.proc[w], SIGTERM) == 0)
            h_wait(&b->f.proc[w], 10000, NULL);
    e2e_fleet_fini(&b->f, false);
}

/* Start the fleet (CURVE or plain), register the tenders. 0 or 1. */
static int s_bring_up(bench_t *b, bool nosync, bool curve)
{
    free(b->tenders);
    memset(b, 0, sizeof *b);
    e2e_fleet_init(&b->f, nosync);
    b->run = (uint64_t)time(NULL);
    if ((curve && e2e_fleet_curve(&b->f) != 0) || e2e_fleet_up(&b->f, 10000) != 0) {
        fprintf(stderr, "bench_e2e: services did not come up (logs in %s)\n", b->f.dir);
        e2e_fleet_fini(&b->f, true);
        return 1;
    }
    /* E2E_BENCH_TENDERS tenders (default 1); measurements go round-robin over those of the
     * first tender's buyer, so every one still moves kpi.<buyer>.co2.2026 by one, while
     * the per-tender and per-group totals (and the aggregator's working set) spread out. */
    const char *tv = getenv("E2E_BENCH_TENDERS");
    uint32_t nt = tv && atoi(tv) > 0 ? (uint32_t)atoi(tv) : 1;
    e2e_wl_t *w = e2e_wl_new(b->run, nt, 0, 1);
    b->buyer = wl_buyer(w->tenders[1].t.buyer);
    b->tenders = calloc(nt, sizeof *b->tenders);
    for (uint32_t i = 1; i <= nt; i++)
        if (w->tenders[i].t.buyer == w->tenders[1].t.buyer)
            b->tenders[b->ntenders++] = i;
    snprintf(b->key, sizeof b->key, "kpi.%s.co2.2026", b->buyer);
    printf("%s: tenders: %u registered, measurements spread over the %u of buyer %s\n",
           curve ? "CURVE" : "plain", nt, b->ntenders, b->buyer);
    void *ctx = zmq_ctx_new();
    e2e_sender_t *snd = e2e_sender_new(ctx, b->f.capi, 4, 5000);
    char err[256] = "";
    int rc = e2e_sender_run(snd, w, 0, w->first_meas_req, NULL, NULL, 10000, err, sizeof err);
    e2e_sender_destroy(&snd);
    zmq_ctx_term(ctx);
    e2e_wl_destroy(&w);
    if (rc < 0 || e2e_wait_impact_knows_calendar(&b->f, 10000) < 0) {
        fprintf(stderr, "bench_e2e: tender registration: %s\n", err);
        return 1;
    }
    return 0;
}

/* Throughput, closed loop: the median of `triples` ABA triples against raw PUSH/PULL, and
 * beside each chain run the bare chain (the same messages, no work). */
static double s_throughput(bench_t *b, uint32_t n, uint32_t per, int window, int triples,
                           bool nosync, size_t payload, const char *mode)
{
    s_wait_hint(b, "throughput");
    bool plain = strcmp(mode, "plain") == 0;
    /* warm-up, which also reads the sizes of the fleet's replies and events */
    s_target_t shape = { .api = b->f.iapi, .pub = b->f.kpub, .base = b->next_id,
                         .fleet = true, .probe = true };
    double warm = s_run(b, &shape, n / 5 > 1000 ? n / 5 : 1000, per, window);
    printf("warm-up chain: %.0f measurements/s; a reply to %u measurements %zu B, an event "
           "%zu B, up to %u events a message\n", warm, per, shape.reply_len, shape.event_len,
           shape.event_batch);
    double *ratio = calloc((size_t)triples, sizeof *ratio);
    double *chains = calloc((size_t)triples, sizeof *chains);
    double *bares = calloc((size_t)triples, sizeof *bares);
    double *of_bare = calloc((size_t)triples, sizeof *of_bare);
    double raw_prev = bench_raw_push_pull("ipc", payload < 8 ? 8 : payload, 1000000);
    printf("raw  ipc PUSH/PULL %zu B: %9.0f msg/s\n", payload, raw_prev);
    for (int t = 0; t < triples; t++) {
        double c = s_chain(b, n, per, window);
        printf("chain (durable=%s, %s):  %9.0f measurements/s\n", nosync ? "no" : "yes", mode, c);
        /* the stand-ins are plaintext: beside the CURVE fleet there is no bare figure */
        bares[t] = plain ? s_bare(b, &shape, n, per, window) : -1;
        if (plain)
            printf("bare chain (same messages, no work): %9.0f measurements/s\n", bares[t]);
        double raw = bench_raw_push_pull("ipc", payload < 8 ? 8 : payload, 1000000);
        printf("raw  ipc PUSH/PULL %zu B: %9.0f msg/s\n", payload, raw);
        ratio[t] = c / ((raw_prev + raw) / 2);
        of_bare[t] = bares[t] > 0 ? c / bares[t] : -1;
        chains[t] = c;
        raw_prev = raw;
        printf("  triple %d: chain / mean(raw before, raw after) = %.2f %%", t + 1,
               100 * ratio[t]);
        if (plain)
            printf("; chain / bare chain = %.1f %%", 100 * of_bare[t]);
        printf("\n");
    }
    double med_ratio = bench_rounds_median(ratio, triples), med_bare = bench_rounds_median(bares, triples);
    double med_of_bare = bench_rounds_median(of_bare, triples), med = bench_rounds_median(chains, triples);
    free(ratio);
    free(bares);
    free(of_bare);
    free(chains);
    printf("THROUGHPUT (%s): chain median %.0f measurements/s; median ratio to raw %.2f %% "
           "(goal >= 20 %%, floor 10 %%) over %d ABA triples\n", mode, med, 100 * med_ratio,
           triples);
    if (plain)
        printf("BARE CHAIN (%s): median %.0f measurements/s with the same messages and no "
               "work; the chain keeps %.1f %% of it (median of the triples)\n", mode, med_bare,
               100 * med_of_bare);
    return med;
}

int main(int argc, char **argv)
{
    /* bench_e2e peer [N=100000] [ROUNDS=3] [LAT_SECONDS=5]: mvoi against the Redis peer.
     * N measurements at 100/request, N/5 at 1/request. At N = 20000 mvoi's runs lasted
     * 50-100 ms, so connecting and the first turns weighed as much as the steady state (on
     * one machine 1/request went from 2.5x to 3.5x Redis's between N = 20000 and 100000). */
    bool peer = argc > 1 && strcmp(argv[1], "peer") == 0;
    if (peer) {
        argv++;
        argc--;
    }
    uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : peer ? 100000 : 50000;
    bool nosync = argc > 2 && strcmp(argv[2], "nosync") == 0;
    int triples = argc > 3 ? atoi(argv[3]) : 5;
    double lat_s = argc > 4 ? atof(argv[4]) : 10;
    uint32_t per = argc > 5 ? (uint32_t)atol(argv[5]) : 500;
    int window = argc > 6 ? atoi(argv[6]) : 16;
    const char *only = getenv("E2E_BENCH_ONLY");
    /* E2E_BENCH_CURVE: both (default: plain first, then CURVE, and the ratio), on, off.
     * The Redis peer runs against plain mvoi only: Redis has no transport encryption. */
    const char *cm = getenv("E2E_BENCH_CURVE");
    bool want_plain = peer || !cm || strcmp(cm, "on") != 0;
    bool want_curve = !peer && (!cm || strcmp(cm, "off") != 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    s_env_print();
    printf("chain: calendar + impact-calculator + kpi-aggregator, LMDB %s, ipc; %u measurements "
           "per throughput run in requests of %u, window %d\n",
           nosync ? "NOSYNC (not durable)" : "sync on (durable)", n, per, window);

    static bench_t b;
    double thr[2] = { 0, 0 };   /* plain, CURVE */
    for (int mode = 0; mode < 2; mode++) {
        bool curve = mode == 1;
        if ((curve && !want_curve) || (!curve && !want_plain))
            continue;
        if (s_bring_up(&b, nosync, curve) != 0)
            return 1;
        uint8_t *one;
        uint32_t save = b.next_id;
        size_t payload = s_request(&b, 1, &one);
        b.next_id = save;
        free(one);
        printf("payload: one encoded measurement in a request = %zu bytes (raw runs use %zu)\n",
               payload, payload < 8 ? 8 : payload);
        printf("counted: updates of %s on the kpi PUB; KpiTotal.count = measurements shown\n",
               b.key);
        if (peer) {
            s_peer(&b, n, argc > 2 ? atoi(argv[2]) : 3, argc > 3 ? atof(argv[3]) : 5, payload);
            s_bring_down(&b);
            break;
        }
        const char *mname = curve ? "CURVE" : "plain";
        if (!only || strcmp(only, "thr") == 0)
            thr[mode] = s_throughput(&b, n, per, window, triples, nosync, payload, mname);
        if (!only || strcmp(only, "lat") == 0) {
            double best = thr[mode] > 0 ? thr[mode] : argc > 7 ? atof(argv[7]) : 10000;
            s_wait_hint(&b, "latency");
            printf("latency (%s):\n", mname);
            s_latency(&b, 1000, lat_s, 0, NULL);
            s_latency(&b, best / 2, lat_s, 0, NULL);
            s_latency(&b, best / 2, lat_s, 10, NULL);
        }
        s_bring_down(&b);
    }
    if (thr[0] > 0 && thr[1] > 0)
        printf("CURVE COST: chain median %.0f measurements/s with CURVE, %.0f without: "
               "%.1f %% of the plaintext throughput (%.1f %% less; goal: at most 15 %% less)\n",
               thr[1], thr[0], 100 * thr[1] / thr[0], 100 * (1 - thr[1] / thr[0]));
    free(b.tenders);
    return 0;
}
