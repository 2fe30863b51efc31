/*  bus_monitor: the (re)connections of a socket (bus_monitor.h). */
#include <stdio.h>
#include <string.h>
#include <zmq.h>
#include "bus_monitor.h"

#define S_DRAIN_MAX 64   /* events taken per call: the watcher comes back for more */

bus_sock_t *bus_monitor_new(bus_ctx_t *ctx, uv_loop_t *loop, bus_sock_t *sock, bus_fn *fn,
                            void *arg)
{
    char ep[64];
    /* unique while sock lives: its address */
    snprintf(ep, sizeof ep, "inproc://bus-mon-%p", (void *)sock);
    if (zmq_socket_monitor(bus_sock_zmq(sock), ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        return NULL;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bus_sock_t *mon = bus_sock_new(ctx, loop, ZMQ_PAIR, &bo);
    if (!mon || bus_connect(mon, ep) < 0 || bus_watch(mon, ZMQ_POLLIN, fn, arg) < 0) {
        bus_sock_destroy(&mon);
        /* nobody reads the events: libzmq would queue them to an inproc PAIR for as long
         * as sock lives */
        zmq_socket_monitor(bus_sock_zmq(sock), NULL, 0);
    }
    return mon;
}

unsigned bus_monitor_connections(bus_sock_t *mon)
{
    unsigned n = 0;
    for (int i = 0; i < S_DRAIN_MAX; i++) {
        bus_msg_t m;
        if (bus_recv(mon, &m) < 0)
            break;
        /* first part: the event (16 bits) and its value (32 bits); second: the endpoint */
        if (m.nparts >= 1 && bus_msg_size(&m, 0) >= 2) {
            uint16_t ev;
            memcpy(&ev, bus_msg_data(&m, 0), 2);
            n += ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        }
        bus_msg_close(&m);
    }
    return n;
}

bool bus_monitor_reconnected(bus_sock_t *mon, bool *seen)
{
    unsigned n = bus_monitor_connections(mon);
    bool again = n > 1 || (n == 1 && *seen);
    *seen |= n > 0;
    return again;
}
