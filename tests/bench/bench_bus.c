/*  bench_bus: what the bus watcher (common/bus.c) costs per message, on its own.
 *
 *  One libuv loop, a ROUTER and a DEALER on ipc://, WINDOW requests in flight: the DEALER
 *  sends, the ROUTER echoes, the DEALER sends the next when a reply comes, N replies in
 *  all. Every message crosses the zmq I/O thread and wakes the loop through ZMQ_FD, so the
 *  figures are the watcher's wake-ups, ZMQ_EVENTS reads and epoll work per message plus
 *  libzmq's own. Prints wall time and CPU time per round trip; run it under
 *  `perf stat -e 'syscalls:sys_enter_*'` or `valgrind --tool=callgrind` (two sizes, the
 *  difference) for syscalls and instructions per round trip. Never fails on a time.
 *
 *  usage: bench_bus [N=100000] [WINDOW=1]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"

typedef struct {
    bus_sock_t *router;
    bus_sock_t *dealer;
    long n;
    long sent;
    long replies;
    long echoed;
    int failed;
} pp_t;

static void s_send_next(pp_t *p)
{
    char body[64];
    memset(body, 'm', sizeof body);
    bus_frame_t f = { body, sizeof body };
    if (bus_send(p->dealer, &f, 1) == 0)
        p->sent++;
    else
        p->failed++;
}

static void s_on_router(bus_sock_t *s, int events, void *arg)
{
    pp_t *p = arg;
    (void)events;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0) {
        bus_frame_t f[2] = { { bus_msg_data(&m, 0), bus_msg_size(&m, 0) },
                             { bus_msg_data(&m, 1), bus_msg_size(&m, 1) } };
        if (m.nparts != 2 || bus_send(s, f, 2) != 0)
            p->failed++;
        bus_msg_close(&m);
        if (++p->echoed == p->n)
            bus_watch(s, 0, NULL, NULL);
    }
}

static void s_on_dealer(bus_sock_t *s, int events, void *arg)
{
    pp_t *p = arg;
    (void)events;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0) {
        bus_msg_close(&m);
        p->replies++;
        if (p->sent < p->n)
            s_send_next(p);
    }
    if (p->replies == p->n || p->failed)
        bus_watch(s, 0, NULL, NULL);
}

static double s_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double s_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    long window = argc > 2 ? atol(argv[2]) : 1;
    if (n <= 0 || window <= 0 || window > n) {
        fprintf(stderr, "usage: bench_bus [N>0] [WINDOW 1..N]\n");
        return 2;
    }
    char dir[] = "/tmp/mvoi-bench-bus.XXXXXX", ep[128];
    if (!mkdtemp(dir))
        return 1;
    snprintf(ep, sizeof ep, "ipc://%s/rr", dir);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    o.heartbeat_ivl_ms = 0;
    pp_t p = { .n = n };
    p.router = bus_sock_new(ctx, &loop, ZMQ_ROUTER, &o);
    p.dealer = bus_sock_new(ctx, &loop, ZMQ_DEALER, &o);
    if (!p.router || !p.dealer || bus_bind(p.router, ep) != 0 || bus_connect(p.dealer, ep) != 0)
        return 1;
    bus_watch(p.router, ZMQ_POLLIN, s_on_router, &p);
    bus_watch(p.dealer, ZMQ_POLLIN, s_on_dealer, &p);
    double t0 = s_now_s(), c0 = s_cpu_s();
    for (long i = 0; i < window; i++)
        s_send_next(&p);
    uv_run(&loop, UV_RUN_DEFAULT);
    double t1 = s_now_s(), c1 = s_cpu_s();
    bus_stats_t sr, sd;
    bus_stats(p.router, &sr);
    bus_stats(p.dealer, &sd);
    printf("bench_bus: %ld round trips, window %ld: %.0f/s, wall %.2f us, CPU %.2f us per round "
           "trip; callbacks per round trip %.2f; failed %d\n", p.replies, window,
           p.replies / (t1 - t0), (t1 - t0) * 1e6 / n, (c1 - c0) * 1e6 / n,
           (double)(sr.wakeups + sd.wakeups) / (double)n, p.failed);
    bus_sock_destroy(&p.router);
    bus_sock_destroy(&p.dealer);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    unlink(ep + strlen("ipc://"));
    rmdir(dir);
    return p.replies == n && !p.failed ? 0 : 1;
}
