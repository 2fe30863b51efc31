/*  follow_bus: the sockets of a Clone follower (follow_bus.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "codec.h"
#include "follow_bus.h"

#define S_REQ_MAX 1024             /* a request envelope: ids and one prefix */

bus_sock_t *follow_bus_dealer(bus_ctx_t *ctx, uv_loop_t *loop, const char *api, bus_fn *fn,
                              void *arg)
{
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.immediate = false;          /* queue the request until the connection is up */
    bo.maxmsgsize = 64ll << 20;
    /* the credit: the publisher sends while this queue takes it, so a large snapshot never
     * sits in our memory at once */
    bo.rcvhwm = 1000;
    bus_sock_t *s = bus_sock_new(ctx, loop, ZMQ_DEALER, &bo);
    if (!s || bus_connect(s, api) < 0 || bus_watch(s, ZMQ_POLLIN, fn, arg) < 0) {
        bus_sock_destroy(&s);
        return NULL;
    }
    return s;
}

static int s_send(bus_sock_t *s, Mvoi__Envelope *env, const char *producer, const char *rid)
{
    env->has_schema_version = true;
    env->schema_version = CODEC_SCHEMA_VERSION;
    env->producer = (char *)producer;
    env->request_id = (char *)rid;
    uint8_t buf[S_REQ_MAX];
    int64_t len = codec_pack_into(env, buf, sizeof buf);
    if (len <= 0)
        return -EIO;
    bus_frame_t f = { buf, (size_t)len };
    return bus_send(s, &f, 1) < 0 ? -EIO : 0;
}

int follow_bus_snapshot(bus_sock_t *s, const char *producer, const char *request_id,
                        const char *prefix, bool segment, const char *buyer)
{
    if (strlen(prefix) >= S_REQ_MAX / 2)
        return -ENAMETOOLONG;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = (char *)prefix;
    if (segment) {
        sr.has_segment = true;
        sr.segment = true;
    }
    env.buyer = (char *)buyer;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    return s_send(s, &env, producer, request_id);
}

int follow_bus_replay(bus_sock_t *s, const char *producer, const char *request_id,
                      uint64_t from, uint32_t count)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = rq.has_max_count = true;
    rq.from_seq = from;
    rq.max_count = count;
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    env.replay = &rq;
    return s_send(s, &env, producer, request_id);
}

bus_sock_t *follow_bus_monitor(bus_ctx_t *ctx, uv_loop_t *loop, bus_sock_t *sub, bus_fn *fn,
                               void *arg)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://follow-mon-%p", (void *)sub);
    if (zmq_socket_monitor(bus_sock_zmq(sub), ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        return NULL;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bus_sock_t *mon = bus_sock_new(ctx, loop, ZMQ_PAIR, &bo);
    if (!mon || bus_connect(mon, ep) < 0 || bus_watch(mon, ZMQ_POLLIN, fn, arg) < 0) {
        bus_sock_destroy(&mon);
        return NULL;
    }
    return mon;
}

bool follow_bus_reconnected(bus_sock_t *mon)
{
    bool connected = false;
    for (int budget = 0; budget < 64; budget++) {
        bus_msg_t m;
        if (bus_recv(mon, &m) < 0)
            break;
        if (m.nparts >= 1 && bus_msg_size(&m, 0) >= 2) {
            uint16_t ev;
            memcpy(&ev, bus_msg_data(&m, 0), 2);
            connected |= ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        }
        bus_msg_close(&m);
    }
    return connected;
}

int follow_bus_recv(bus_sock_t *s, int min_parts, char *topic, size_t topic_cap,
                    Mvoi__Envelope **env)
{
    *env = NULL;
    topic[0] = '\0';
    bus_msg_t m;
    if (bus_recv(s, &m) < 0)
        return 0;
    if (m.nparts >= min_parts && m.nparts >= 1) {
        size_t tl = m.nparts >= 2 ? bus_msg_size(&m, 0) : 0;
        int idx = m.nparts - 1, err = 0;
        if (tl < topic_cap) {
            memcpy(topic, bus_msg_data(&m, 0), tl);
            topic[tl] = '\0';
            *env = codec_unpack(bus_msg_data(&m, idx), bus_msg_size(&m, idx), 0, &err);
        }
    }
    bus_msg_close(&m);
    return 1;
}
