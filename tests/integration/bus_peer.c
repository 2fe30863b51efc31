/*  bus_peer: the sending side of the bus stream tests (bus_stream.c), in its own process.
 *
 *    bus_peer push <data-endpoint> <back-endpoint> <count>
 *        PUSH connects to <data-endpoint> and sends <count> messages with sequence numbers
 *        0..count-1, as fast as the bus lets it (-EAGAIN at HWM = wait for POLLOUT).
 *    bus_peer pub <data-endpoint> <back-endpoint> <count>
 *        PUB connects to <data-endpoint> and publishes "probe" until the subscriber says READY
 *        (its subscription is effective), then <count> "data" messages, never more than
 *        WINDOW ahead of the subscriber's last CREDIT.
 *
 *  Both bind a PULL back-channel on <back-endpoint> and exit 0 only after the receiver sent
 *  DONE: closing right after the last send is not proof of delivery (docs/libraries.md#zmq-loss).
 *  Payload: 16 bytes, seq (u64, host order) then ~seq.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"

#define WINDOW 50000
#define BATCH 1000

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "bus_peer: %s:%d: %s\n", __FILE__, __LINE__, #c); exit(2); } } while (0)

typedef struct {
    bool pub;
    uint64_t n;
    uint64_t sent;
    uint64_t credit;      /* subscriber has received this many data messages */
    bool ready;
    bool done;
    bool sending;         /* POLLOUT watch is on */
    bus_sock_t *data;
    bus_sock_t *back;
    uv_timer_t probe;
} peer_t;

static void s_out_cb(bus_sock_t *s, int events, void *arg);

static void s_start_sending(peer_t *p)
{
    if (!p->sending && p->sent < p->n) {
        p->sending = true;
        CHECK(bus_watch(p->data, ZMQ_POLLOUT, s_out_cb, p) == 0);
    }
}

static void s_out_cb(bus_sock_t *s, int events, void *arg)
{
    peer_t *p = arg;
    for (int i = 0; i < BATCH && p->sent < p->n; i++) {
        if (p->pub && p->sent - p->credit >= WINDOW)
            break;
        uint64_t pl[2] = { p->sent, ~p->sent };
        bus_frame_t f[2] = { { "data", 4 }, { pl, sizeof pl } };
        int rc = p->pub ? bus_send(s, f, 2) : bus_send(s, &f[1], 1);
        if (rc == -EAGAIN)
            return;   /* backpressure: the next prepare waits for POLLOUT */
        CHECK(rc == 0);
        p->sent++;
    }
    if (p->sent == p->n || (p->pub && p->sent - p->credit >= WINDOW)) {
        bus_watch(s, 0, NULL, NULL);   /* resumed by a credit */
        p->sending = false;
    }
}

static void s_probe_cb(uv_timer_t *t)
{
    peer_t *p = t->data;
    bus_frame_t f[2] = { { "probe", 5 }, { "", 0 } };
    CHECK(bus_send(p->data, f, 2) == 0);
}

static void s_back_cb(bus_sock_t *s, int events, void *arg)
{
    peer_t *p = arg;
    bus_msg_t m;
    int rc;
    while ((rc = bus_recv(s, &m)) == 0) {
        const char *d = bus_msg_data(&m, 0);
        size_t n = bus_msg_size(&m, 0);
        if (n == 5 && memcmp(d, "READY", 5) == 0) {
            if (!p->ready) {
                p->ready = true;
                uv_timer_stop(&p->probe);
                s_start_sending(p);
            }
        } else if (n == 1 + sizeof(uint64_t) && d[0] == 'C') {
            memcpy(&p->credit, d + 1, sizeof p->credit);
            if (p->ready)
                s_start_sending(p);
        } else if (n == 4 && memcmp(d, "DONE", 4) == 0) {
            p->done = true;
            bus_watch(p->data, 0, NULL, NULL);
            bus_watch(p->back, 0, NULL, NULL);
            uv_timer_stop(&p->probe);
        } else {
            CHECK(!"unknown back-channel message");
        }
        bus_msg_close(&m);
        if (p->done)
            return;
    }
    CHECK(rc == -EAGAIN);
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "push") && strcmp(argv[1], "pub"))) {
        fprintf(stderr, "usage: bus_peer push|pub <data-endpoint> <back-endpoint> <count>\n");
        return 64;
    }
    alarm(120);   /* never outlive a broken test */
    peer_t p = { .pub = strcmp(argv[1], "pub") == 0, .n = strtoull(argv[4], NULL, 10) };
    uv_loop_t loop;
    CHECK(uv_loop_init(&loop) == 0);
    bus_ctx_t *ctx = bus_ctx_new();
    CHECK(ctx);
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    if (p.pub)
        o.sndhwm = o.rcvhwm = 0;   /* the credit window bounds memory instead */
    p.data = bus_sock_new(ctx, &loop, p.pub ? ZMQ_PUB : ZMQ_PUSH, &o);
    p.back = bus_sock_new(ctx, &loop, ZMQ_PULL, &o);
    CHECK(p.data && p.back);
    CHECK(bus_bind(p.back, argv[3]) == 0);
    CHECK(bus_connect(p.data, argv[2]) == 0);
    CHECK(bus_watch(p.back, ZMQ_POLLIN, s_back_cb, &p) == 0);
    uv_timer_init(&loop, &p.probe);
    p.probe.data = &p;
    if (p.pub)
        uv_timer_start(&p.probe, s_probe_cb, 0, 2);
    else {
        p.ready = true;
        s_start_sending(&p);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(p.done);
    CHECK(p.sent == p.n);
    uv_close((uv_handle_t *)&p.probe, NULL);
    bus_sock_destroy(&p.data);
    bus_sock_destroy(&p.back);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    return 0;
}
