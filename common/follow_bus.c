/*  follow_bus: the sockets of a Clone follower (follow_bus.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "codec.h"
#include "follow_bus.h"
#include "mvoi_topic.h"

#define S_REQ_MAX 1024             /* a request envelope: ids and one prefix */

/* A socket of type connected to ep and watched with fn; NULL, with nothing left open. */
static bus_sock_t *s_sock(bus_ctx_t *ctx, uv_loop_t *loop, int type, const bus_opts_t *bo,
                          const char *ep, bus_fn *fn, void *arg)
{
    bus_sock_t *s = bus_sock_new(ctx, loop, type, bo);
    if (!s || bus_connect(s, ep) < 0 || bus_watch(s, ZMQ_POLLIN, fn, arg) < 0)
        bus_sock_destroy(&s);
    return s;
}

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
    return s_sock(ctx, loop, ZMQ_DEALER, &bo, api, fn, arg);
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

/* One message: 1 with *env (NULL when it is dropped), 0 when none is waiting. */
static int s_recv(bus_sock_t *s, int min_parts, char *topic, size_t topic_cap,
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

void follow_bus_drain(bus_sock_t *s, int min_parts, int budget, follow_bus_fn *fn, void *arg)
{
    char topic[MVOI_TOPIC_MAX];
    Mvoi__Envelope *env;
    for (int i = 0; i < budget; i++) {
        if (!s_recv(s, min_parts, topic, sizeof topic, &env))
            return;
        if (!env)
            continue;
        bool more = fn(arg, topic, env);
        codec_free(&env);
        if (!more)
            return;
    }
}

/* ---------------------------------------------------------------- one snapshot request */

struct follow_snap_t {
    bus_sock_t *sock;
    uv_loop_t *loop;
    follow_t *fol;
    follow_snap_cbs_t cbs;
    char rid[64];
};

static bool s_snap_frame(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    follow_snap_t *self = arg;
    if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
        self->cbs.item(self->cbs.arg, topic, env);
        /* the timeout is per item: a long stream that keeps coming is not late */
        follow_snapshot_item(self->fol, uv_now(self->loop));
    } else if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END && env->snapshot_end &&
               env->request_id && strcmp(env->request_id, self->rid) == 0) {
        self->cbs.end(self->cbs.arg, env->snapshot_end);
        return false;              /* the request may be gone */
    } else if (env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        follow_snapshot_refused(self->fol, uv_now(self->loop));
        if (self->cbs.refused)
            self->cbs.refused(self->cbs.arg, env->error && env->error->message
                                                 ? env->error->message : "?");
    }
    return true;
}

static void s_on_snap(bus_sock_t *sock, int events, void *arg)
{
    (void)events;
    follow_bus_drain(sock, 1, 4096, s_snap_frame, arg);
}

follow_snap_t *follow_snap_new(bus_ctx_t *ctx, uv_loop_t *loop, const follow_snap_opts_t *o,
                               follow_t *fol, const follow_snap_cbs_t *cbs)
{
    uint64_t now = uv_now(loop);
    follow_snap_t *self = calloc(1, sizeof *self);
    if (self)
        self->sock = follow_bus_dealer(ctx, loop, o->api, s_on_snap, self);
    if (!self || !self->sock) {
        free(self);
        follow_snapshot_failed(fol, now);
        return NULL;
    }
    self->loop = loop;
    self->fol = fol;
    self->cbs = *cbs;
    follow_snapshot_asked(fol, now);
    snprintf(self->rid, sizeof self->rid, "%.16s-snap-%" PRIx64 "-%" PRIu64, o->producer,
             (uint64_t)clock_now_ms(), follow_snapshots(fol));
    if (follow_bus_snapshot(self->sock, o->producer, self->rid, o->prefix, o->segment,
                            o->buyer) < 0)
        follow_snapshot_unsent(fol, now);   /* asked again by follow_tick */
    return self;
}

void follow_snap_destroy(follow_snap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_sock_destroy(&(*self_p)->sock);
    free(*self_p);
    *self_p = NULL;
}
