/*  bench_gateway: N concurrent SSE clients (default 500) on the real mvoi-gateway while a fake
 *  kpi-aggregator (tests/integration/gateway/fakekpi.c) publishes R updates/s (default 1000)
 *  for D seconds (default 10). Prints delivered updates/s (summed over clients), the
 *  gateway's CPU use and RSS from /proc.
 *  Usage: bench_gateway [seconds] [clients] [rate]          (run from the build directory) */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "gwt.h"

typedef struct {
    int fd;
    uint64_t events;
    uint64_t bytes;
    char carry[16];
    size_t carry_len;
    bool got_first;
} client_t;

static double s_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* fields after ") ": state(3) ... utime(14) stime(15) */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long s_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static uint64_t s_count(client_t *c, const char *buf, size_t n)
{
    /* count "event: kpi\n" across read boundaries */
    static const char pat[] = "event: kpi\n";
    const size_t pl = sizeof pat - 1;
    char tmp[16 + 65536];
    memcpy(tmp, c->carry, c->carry_len);
    memcpy(tmp + c->carry_len, buf, n);
    size_t len = c->carry_len + n;
    uint64_t k = 0;
    for (const char *p = tmp; (p = memmem(p, (size_t)(tmp + len - p), pat, pl)); p += pl)
        k++;
    size_t keep = len < pl - 1 ? len : pl - 1;
    memcpy(c->carry, tmp + len - keep, keep);
    c->carry_len = keep;
    return k;
}

static void s_pump(int ep, client_t *cl, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, timeout_ms);
    char buf[65536];
    for (int i = 0; i < n; i++) {
        client_t *c = &cl[evs[i].data.u32];
        for (;;) {
            ssize_t k = read(c->fd, buf, sizeof buf);
            if (k <= 0)
                break;
            c->got_first = true;
            c->bytes += (uint64_t)k;
            c->events += s_count(c, buf, (size_t)k);
            if (k < (ssize_t)sizeof buf)
                break;
        }
    }
}

int main(int argc, char **argv)
{
    int secs = argc > 1 ? atoi(argv[1]) : 10;
    int nclients = argc > 2 ? atoi(argv[2]) : 500;
    int rate = argc > 3 ? atoi(argv[3]) : 1000;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    gwt_env_t e;
    /* every client comes from 127.0.0.1: lift the per-address limit (default 64) */
    const char *env[] = { "MVOI_GATEWAY_PER_IP_LIMIT=0", NULL };
    if (gwt_start(&e, env) < 0 || gwt_wait_ready(&e, 10000) < 0) {
        fprintf(stderr, "bench_gateway: cannot start fakekpi + mvoi-gateway (build dir? logs in %s)\n", e.dir);
        gwt_stop(&e);
        return 1;
    }
    int ep = epoll_create1(0);
    client_t *cl = calloc((size_t)nclients, sizeof *cl);
    for (int i = 0; i < nclients; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)e.http_port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            fprintf(stderr, "connect %d: %s\n", i, strerror(errno));
            return 1;
        }
        static const char req[] = "GET /api/stream HTTP/1.0\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
        if (write(fd, req, sizeof req - 1) < 0)
            return 1;
        cl[i].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    int64_t deadline = h_now_ms() + 10000;
    int ready = 0;
    while (h_now_ms() < deadline) {
        s_pump(ep, cl, 50);
        ready = 0;
        for (int i = 0; i < nclients; i++)
            ready += cl[i].got_first;
        if (ready == nclients)
            break;
    }
    for (int i = 0; i < nclients; i++)
        cl[i].events = 0;
    printf("bench_gateway: %d SSE clients connected (%d got their snapshot), %d updates/s for %d s\n",
           nclients, ready, rate, secs);
    double cpu0 = s_cpu_s(e.gw.pid);
    long rss0 = s_rss_kb(e.gw.pid);
    int64_t t0 = h_now_ms();
    uint64_t last = gwt_fake_generate(e.api, (uint32_t)(rate * secs), (uint32_t)rate);
    if (!last) {
        fprintf(stderr, "bench_gateway: the fake did not take the command\n");
        gwt_stop(&e);
        return 1;
    }
    long rss_max = rss0;
    int64_t end = t0 + secs * 1000 + 5000;
    uint64_t want = (uint64_t)rate * (uint64_t)secs;
    while (h_now_ms() < end) {
        s_pump(ep, cl, 50);
        long r = s_rss_kb(e.gw.pid);
        if (r > rss_max)
            rss_max = r;
        uint64_t min = UINT64_MAX;
        for (int i = 0; i < nclients; i++)
            if (cl[i].events < min)
                min = cl[i].events;
        if (min >= want)
            break;
    }
    int64_t t1 = h_now_ms();
    double cpu1 = s_cpu_s(e.gw.pid);
    uint64_t total = 0, min = UINT64_MAX, bytes = 0;
    for (int i = 0; i < nclients; i++) {
        total += cl[i].events;
        bytes += cl[i].bytes;
        if (cl[i].events < min)
            min = cl[i].events;
    }
    double el = (double)(t1 - t0) / 1000.0;
    printf("published        %" PRIu64 " updates (last seq %" PRIu64 ")\n", want, last);
    printf("delivered        %" PRIu64 " events to %d clients in %.2f s = %.0f updates/s "
           "(%.0f per client/s; every client got >= %" PRIu64 ")\n",
           total, nclients, el, (double)total / el, (double)total / el / nclients, min);
    printf("stream bytes     %.1f MB/s\n", (double)bytes / el / 1e6);
    printf("gateway CPU      %.2f s over %.2f s = %.0f %% of one core\n", cpu1 - cpu0, el,
           100.0 * (cpu1 - cpu0) / el);
    printf("gateway RSS      %ld kB before, %ld kB peak\n", rss0, rss_max);
    for (int i = 0; i < nclients; i++)
        close(cl[i].fd);
    free(cl);
    gwt_stop(&e);
    return min >= want ? 0 : 2;
}
