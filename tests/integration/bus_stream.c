/*  bus streams between processes: 1,000,000 messages through PUSH/PULL and through PUB/SUB,
 *  sender (bus_peer) and receiver (this test) each on its own libuv loop. The receiver checks
 *  that every sequence number 0..N-1 arrives exactly once and in order.
 *
 *  PUB/SUB has two ways to lose messages, both closed here: the slow joiner (the subscriber
 *  answers a probe with READY, so data starts only once the subscription is effective) and
 *  HWM drops (HWM 0 on both sides plus a credit window that bounds the queues).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"

#ifndef BUS_PEER
#error "BUS_PEER (path of the bus_peer helper) must be defined by the build"
#endif

#define N 1000000ULL
#define CREDIT_EVERY 10000
#define BATCH 1000

extern char **environ;

typedef struct {
    bool sub;
    uint64_t next;
    uint64_t bad;
    uint64_t probes;
    bool ready_sent;
    bool done;
    bus_sock_t *data;
    bus_sock_t *back;
    uv_timer_t deadline;
} rx_t;

static void s_back_send(rx_t *r, const void *data, size_t size)
{
    bus_frame_t f = { data, size };
    /* The back-channel PUSH connected (its pipe exists at once), and these messages are few
     * and far below the HWM: a send cannot meet -EAGAIN. */
    cr_assert_eq(bus_send(r->back, &f, 1), 0);
}

static void s_rx_cb(bus_sock_t *s, int events, void *arg)
{
    rx_t *r = arg;
    for (int i = 0; i < BATCH; i++) {
        bus_msg_t m;
        int rc = bus_recv(s, &m);
        if (rc == -EAGAIN)
            return;
        cr_assert_eq(rc, 0);
        int body = 0;
        if (r->sub) {
            cr_assert_eq(m.nparts, 2);
            if (bus_msg_size(&m, 0) == 5 && memcmp(bus_msg_data(&m, 0), "probe", 5) == 0) {
                r->probes++;
                if (!r->ready_sent) {
                    /* "data" was subscribed before "probe", on the same pipe: it is effective too. */
                    r->ready_sent = true;
                    s_back_send(r, "READY", 5);
                }
                bus_msg_close(&m);
                continue;
            }
            cr_assert_eq(bus_msg_size(&m, 0), 4);
            body = 1;
        } else {
            cr_assert_eq(m.nparts, 1);
        }
        uint64_t pl[2];
        cr_assert_eq(bus_msg_size(&m, body), sizeof pl);
        memcpy(pl, bus_msg_data(&m, body), sizeof pl);
        bus_msg_close(&m);
        if (pl[0] != r->next || pl[1] != ~pl[0]) {
            r->bad++;
            cr_assert_fail("expected seq %llu, got %llu", (unsigned long long)r->next,
                           (unsigned long long)pl[0]);
        }
        r->next++;
        if (r->sub && r->next % CREDIT_EVERY == 0) {
            char c[1 + sizeof(uint64_t)] = { 'C' };
            memcpy(c + 1, &r->next, sizeof r->next);
            s_back_send(r, c, sizeof c);
        }
        if (r->next == N) {
            s_back_send(r, "DONE", 4);
            r->done = true;
            bus_watch(s, 0, NULL, NULL);
            uv_timer_stop(&r->deadline);
            return;
        }
    }
}

static void s_deadline_cb(uv_timer_t *t)
{
    rx_t *r = t->data;
    cr_assert_fail("deadline: %llu of %llu received", (unsigned long long)r->next,
                   (unsigned long long)N);
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void s_stream(const char *mode)
{
    char dir[] = "/tmp/mbi.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char data_ep[64], back_ep[64], count[32];
    snprintf(data_ep, sizeof data_ep, "ipc://%s/d", dir);
    snprintf(back_ep, sizeof back_ep, "ipc://%s/b", dir);
    snprintf(count, sizeof count, "%llu", (unsigned long long)N);

    rx_t r = { .sub = strcmp(mode, "pub") == 0 };
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    if (r.sub)
        o.sndhwm = o.rcvhwm = 0;
    r.data = bus_sock_new(ctx, &loop, r.sub ? ZMQ_SUB : ZMQ_PULL, &o);
    r.back = bus_sock_new(ctx, &loop, ZMQ_PUSH, &o);
    cr_assert(r.data && r.back);
    int ivl = 10;   /* the peer binds the back-channel a little later: retry quickly */
    zmq_setsockopt(bus_sock_zmq(r.back), ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    cr_assert_eq(bus_bind(r.data, data_ep), 0);
    if (r.sub) {
        cr_assert_eq(bus_subscribe(r.data, "data"), 0);
        cr_assert_eq(bus_subscribe(r.data, "probe"), 0);
    }
    cr_assert_eq(bus_connect(r.back, back_ep), 0);
    cr_assert_eq(bus_watch(r.data, ZMQ_POLLIN, s_rx_cb, &r), 0);
    uv_timer_init(&loop, &r.deadline);
    r.deadline.data = &r;
    uv_timer_start(&r.deadline, s_deadline_cb, 50000, 0);

    pid_t pid;
    char *argv[] = { BUS_PEER, (char *)mode, data_ep, back_ep, count, NULL };
    double t0 = s_now();
    cr_assert_eq(posix_spawn(&pid, BUS_PEER, NULL, NULL, argv, environ), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    double secs = s_now() - t0;
    cr_assert(r.done);
    cr_assert_eq(r.next, N);
    cr_assert_eq(r.bad, 0);

    /* The peer exits 0 once it has our DONE; keep the back-channel open until then. */
    int status = 0;
    for (int i = 0; i < 1000; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        cr_assert_eq(w, 0);
        usleep(10000);
        if (i == 999) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "bus_peer status 0x%x", status);
    cr_log_info("%s: %llu messages in %.2f s (%.0f msg/s), %llu probes", mode,
                (unsigned long long)N, secs, N / secs, (unsigned long long)r.probes);
    fprintf(stderr, "%s: %llu messages in %.2f s (%.0f msg/s)\n", mode, (unsigned long long)N,
            secs, N / secs);

    uv_close((uv_handle_t *)&r.deadline, NULL);
    bus_sock_destroy(&r.data);
    bus_sock_destroy(&r.back);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
    char path[96];
    snprintf(path, sizeof path, "%s/d", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/b", dir);
    unlink(path);
    rmdir(dir);
}

Test(bus_stream, push_pull_1m)
{
    s_stream("push");
}

Test(bus_stream, pub_sub_1m)
{
    s_stream("pub");
}
