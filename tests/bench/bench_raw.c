/*  bench_raw: raw PUSH/PULL throughput, the ceiling every durable hop is compared with.
 *
 *  The receiver (PULL) binds in the calling process; the sender (PUSH) runs in a child forked
 *  before either side creates its zmq context. The child learns the endpoint over a pipe and
 *  waits, after its last send, for a "received everything" byte on a second pipe before it
 *  closes (linger is not proof of delivery). Two variants:
 *    bus       both sides on a libuv loop through the bus watcher, batches of 1000 per callback
 *    blocking  plain zmq_send() / zmq_msg_recv(), no loop: the absolute baseline
 *  Both use the bus defaults (HWM 100000 per side).
 *
 *  usage: bench_raw [count]            (default 1000000; MVOI_BENCH_QUICK=1: 100000)
 *  Built without main (BENCH_RAW_NO_MAIN) as the mvoi_bench_raw library for other benches.
 */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"

#define BATCH 1000

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool s_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool s_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* ---- sender (child) --------------------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t payload;
    uint64_t count;
    uint64_t sent;
    bool failed;
} tx_t;

static void s_tx_cb(bus_sock_t *s, int events, void *arg)
{
    tx_t *t = arg;
    bus_frame_t f = { t->buf, t->payload };
    for (int i = 0; i < BATCH && t->sent < t->count; i++) {
        memcpy(t->buf, &t->sent, sizeof t->sent);
        int rc = bus_send(s, &f, 1);
        if (rc == -EAGAIN)
            return;
        if (rc != 0) {
            t->failed = true;
            bus_watch(s, 0, NULL, NULL);
            return;
        }
        t->sent++;
    }
    if (t->sent == t->count)
        bus_watch(s, 0, NULL, NULL);
}

static int s_sender(bool blocking, int ep_fd, int done_fd, size_t payload, uint64_t count)
{
    char ep[256];
    uint32_t len;
    if (!s_read_all(ep_fd, &len, sizeof len) || len >= sizeof ep || !s_read_all(ep_fd, ep, len))
        return 2;
    ep[len] = '\0';
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    bus_sock_t *push = bus_sock_new(ctx, &loop, ZMQ_PUSH, &o);
    if (!push || bus_connect(push, ep) != 0)
        return 3;
    tx_t t = { .buf = calloc(1, payload), .payload = payload, .count = count };
    memset(t.buf, 0x5a, payload);
    if (blocking) {
        void *z = bus_sock_zmq(push);
        for (; t.sent < count; t.sent++) {
            memcpy(t.buf, &t.sent, sizeof t.sent);
            if (zmq_send(z, t.buf, payload, 0) != (int)payload)
                return 4;
        }
    } else {
        bus_watch(push, ZMQ_POLLOUT, s_tx_cb, &t);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (t.failed || t.sent != count)
            return 4;
    }
    char c;
    if (!s_read_all(done_fd, &c, 1))   /* the receiver has everything */
        return 5;
    bus_sock_destroy(&push);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(t.buf);
    return 0;
}

/* ---- receiver (caller) ------------------------------------------------------------------ */

typedef struct {
    size_t payload;
    uint64_t count;
    uint64_t got;
    bool bad;
    double t_first;
    double t_last;
} rx_t;

static bool s_rx_one(rx_t *r, const void *data, size_t size)
{
    uint64_t seq;
    if (size != r->payload)
        return false;
    memcpy(&seq, data, sizeof seq);
    if (seq != r->got)
        return false;
    if (r->got == 0)
        r->t_first = s_now();
    if (++r->got == r->count)
        r->t_last = s_now();
    return true;
}

static void s_rx_cb(bus_sock_t *s, int events, void *arg)
{
    rx_t *r = arg;
    for (int i = 0; i < BATCH; i++) {
        bus_msg_t m;
        if (bus_recv(s, &m) != 0)
            return;
        bool ok = m.nparts == 1 && s_rx_one(r, bus_msg_data(&m, 0), bus_msg_size(&m, 0));
        bus_msg_close(&m);
        if (!ok)
            r->bad = true;
        if (!ok || r->got == r->count) {
            bus_watch(s, 0, NULL, NULL);
            return;
        }
    }
}

static double s_run(const char *transport, size_t payload, uint64_t count, bool blocking)
{
    if (payload < sizeof(uint64_t) || count < 2)
        return -1;
    bool ipc = strcmp(transport, "ipc") == 0;
    if (!ipc && strcmp(transport, "tcp") != 0)
        return -1;
    char dir[] = "/tmp/mvoi-bench.XXXXXX";
    if (ipc && !mkdtemp(dir))
        return -1;
    int ep_pipe[2], done_pipe[2];
    if (pipe(ep_pipe) != 0 || pipe(done_pipe) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(ep_pipe[1]);
        close(done_pipe[1]);
        alarm(600);
        _exit(s_sender(blocking, ep_pipe[0], done_pipe[0], payload, count));
    }
    close(ep_pipe[0]);
    close(done_pipe[0]);

    double rate = -1;
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    bus_sock_t *pull = bus_sock_new(ctx, &loop, ZMQ_PULL, &o);
    char ep[256];
    if (ipc)
        snprintf(ep, sizeof ep, "ipc://%s/s", dir);
    else
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:*");
    rx_t r = { .payload = payload, .count = count };
    if (pull && bus_bind(pull, ep) == 0 && bus_last_endpoint(pull, ep, sizeof ep) == 0) {
        uint32_t len = (uint32_t)strlen(ep);
        s_write_all(ep_pipe[1], &len, sizeof len);
        s_write_all(ep_pipe[1], ep, len);
        if (blocking) {
            void *z = bus_sock_zmq(pull);
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (r.got < count) {
                if (zmq_msg_recv(&m, z, 0) < 0 || !s_rx_one(&r, zmq_msg_data(&m), zmq_msg_size(&m))) {
                    r.bad = true;
                    break;
                }
            }
            zmq_msg_close(&m);
        } else {
            bus_watch(pull, ZMQ_POLLIN, s_rx_cb, &r);
            uv_run(&loop, UV_RUN_DEFAULT);
        }
        if (!r.bad && r.got == count && r.t_last > r.t_first)
            rate = (double)(count - 1) / (r.t_last - r.t_first);
    }
    s_write_all(done_pipe[1], "x", 1);
    close(ep_pipe[1]);
    close(done_pipe[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_raw: sender failed (status 0x%x)\n", status);
        rate = -1;
    }
    bus_sock_destroy(&pull);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (ipc) {
        char path[64];
        snprintf(path, sizeof path, "%s/s", dir);
        unlink(path);
        rmdir(dir);
    }
    return rate;
}

double bench_raw_push_pull(const char *transport, size_t payload, uint64_t count)
{
    return s_run(transport, payload, count, false);
}

double bench_raw_push_pull_blocking(const char *transport, size_t payload, uint64_t count)
{
    return s_run(transport, payload, count, true);
}

#ifndef BENCH_RAW_NO_MAIN
int main(int argc, char **argv)
{
    uint64_t count = 1000000;
    const char *quick = getenv("MVOI_BENCH_QUICK");
    if (quick && *quick && strcmp(quick, "0") != 0)
        count = 100000;
    if (argc > 1)
        count = strtoull(argv[1], NULL, 10);
    if (count < 2) {
        fprintf(stderr, "usage: bench_raw [count >= 2]\n");
        return 64;
    }
    signal(SIGPIPE, SIG_IGN);
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("# bench_raw: PUSH/PULL, %llu messages per run, libzmq %d.%d.%d, libuv %s, %ld cores\n",
           (unsigned long long)count, major, minor, patch, uv_version_string(),
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-10s %-9s %8s %14s %10s\n", "transport", "variant", "payload", "msgs/s", "MB/s");
    const size_t sizes[] = { 64, 1024 };
    int rc = 0;
    for (size_t k = 0; k < 2; k++) {
        for (int blocking = 0; blocking < 2; blocking++) {
            double r = blocking ? bench_raw_push_pull_blocking("tcp", sizes[k], count)
                                : bench_raw_push_pull("tcp", sizes[k], count);
            if (r < 0)
                rc = 1;
            printf("%-10s %-9s %8zu %14.0f %10.1f\n", "tcp", blocking ? "blocking" : "bus",
                   sizes[k], r, r * sizes[k] / 1e6);
            fflush(stdout);
        }
    }
    return rc;
}
#endif
