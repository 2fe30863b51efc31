/*  bus: a subscriber that stops reading for much longer than the heartbeat timeout (its
 *  queue full, as the kpi-aggregator behind a bulk load) keeps its connection and loses
 *  nothing that the queues held. With ZMTP heartbeats on PUB/SUB the publisher's timeout
 *  cut the connection (its queued messages lost) or libzmq aborted the subscriber
 *  (zeromq/libzmq#3937). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"

#define N_MSG 3000
#define MSG_BYTES 1024

static bus_opts_t s_opts(int rcvhwm)
{
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    o.heartbeat_ivl_ms = 100;       /* a timeout the stall below outlasts five times */
    o.heartbeat_timeout_ms = 300;
    o.sndhwm = 2 * N_MSG;           /* the publisher never drops at its own HWM here */
    o.rcvhwm = rcvhwm;
    return o;
}

/* Publishes "p" until the subscriber hears one (the subscription has reached the PUB). */
static void s_join(void *pub, void *sub)
{
    int tmo = 50;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    char buf[8];
    for (int i = 0; i < 100; i++) {
        zmq_send(pub, "p", 1, 0);
        if (zmq_recv(sub, buf, sizeof buf, 0) == 1) {
            while (zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
                ;
            return;
        }
    }
    cr_assert_fail("the subscription never reached the publisher");
}

Test(bus_stall, a_subscriber_stalled_past_the_heartbeat_timeout_keeps_every_message)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t po = s_opts(1000), so = s_opts(10);
    bus_sock_t *pub = bus_sock_new(ctx, &loop, ZMQ_PUB, &po);
    bus_sock_t *sub = bus_sock_new(ctx, &loop, ZMQ_SUB, &so);
    cr_assert(pub && sub);
    char ep[128];
    cr_assert_eq(bus_bind(pub, "tcp://127.0.0.1:*"), 0);
    cr_assert_eq(bus_last_endpoint(pub, ep, sizeof ep), 0);
    cr_assert_eq(bus_connect(sub, ep), 0);
    cr_assert_eq(bus_subscribe(sub, ""), 0);
    void *zp = bus_sock_zmq(pub), *zs = bus_sock_zmq(sub);
    s_join(zp, zs);

    /* 3 MB: far more than the subscriber's queue (10) and the kernel's socket buffers, so
     * most of it waits in the publisher's queue for this connection */
    static char msg[MSG_BYTES];
    for (int i = 0; i < N_MSG; i++) {
        snprintf(msg, sizeof msg, "%d", i);
        cr_assert_eq(zmq_send(zp, msg, sizeof msg, ZMQ_DONTWAIT), (int)sizeof msg);
    }
    usleep(1500 * 1000);            /* the subscriber reads nothing for 5x the timeout */

    int tmo = 2000, next = 0;
    zmq_setsockopt(zs, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    while (next < N_MSG && zmq_recv(zs, msg, sizeof msg, 0) == (int)sizeof msg) {
        cr_assert_eq(atoi(msg), next, "message %d arrived as %d: the stream has a gap",
                     next, atoi(msg));
        next++;
    }
    cr_expect_eq(next, N_MSG, "%d of %d messages arrived: the connection was cut while the "
                 "subscriber was behind", next, N_MSG);

    bus_sock_destroy(&sub);
    bus_sock_destroy(&pub);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}
