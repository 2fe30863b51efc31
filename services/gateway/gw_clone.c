/*  gw_clone: Clone client of the kpi-aggregator (gw_clone.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "codec.h"
#include "gw_clone.h"
#include "log.h"
#include "mvoi_contract.h"
#include "pbjson.h"

typedef enum { S_IDLE = 0, S_SNAPSHOT, S_LIVE } s_state_t;

struct gw_clone_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    char api[256], pub[256];
    uint32_t stale_ms, snap_timeout_ms, snap_wait_ms;
    bool (*keep)(const Mvoi__KpiTotal *t);
    gw_clone_cbs_t cbs;
    bus_sock_t *sub;
    bus_sock_t *snap;             /* DEALER, one per snapshot attempt */
    bus_sock_t *mon;              /* PAIR: the SUB socket's monitor (reconnections) */
    uv_timer_t timer;
    s_state_t state;
    gw_view_t *view, *staging;
    char snap_rid[48];
    uint64_t snap_deadline, next_try;
    uint64_t last_hb;             /* uv_now of the last heartbeat, 0 = never */
    uint64_t hb_head, hb_epoch;
    bool have_epoch;
    uint64_t incarnation;         /* of the view's snapshot, 0 = unknown */
    bool resyncing;               /* a re-snapshot is under way: the view may be behind */
    bool fresh;
    bool sub_paused;
    char why[128];
    gw_clone_stats_t st;
};

char *gw_clone_total_json(const Mvoi__Envelope *env, size_t *len)
{
    if (env->body_case != MVOI__ENVELOPE__BODY_KPI_TOTAL || !env->kpi_total)
        return NULL;
    Mvoi__KpiTotal t = *env->kpi_total;   /* shallow copy: set seq and buyer for the JSON */
    if (env->has_seq) {
        t.has_seq = true;
        t.seq = env->seq;
    }
    if ((!t.buyer || !*t.buyer) && env->buyer)
        t.buyer = env->buyer;
    char *j = pbjson_dumps(&t.base, 0);
    if (j && len)
        *len = strlen(j);
    return j;
}

static uint64_t s_seq(const Mvoi__Envelope *env)
{
    if (env->has_seq && env->seq)
        return env->seq;
    return env->kpi_total && env->kpi_total->has_seq ? env->kpi_total->seq : 0;
}

static const char *s_buyer(const Mvoi__Envelope *env)
{
    if (env->kpi_total && env->kpi_total->buyer && *env->kpi_total->buyer)
        return env->kpi_total->buyer;
    return env->buyer ? env->buyer : "";
}

static int s_put(gw_clone_t *self, gw_view_t *v, const char *topic, const Mvoi__Envelope *env)
{
    if (self->keep && !self->keep(env->kpi_total)) {
        if (s_seq(env) > gw_view_head(v))
            gw_view_set_head(v, s_seq(env));
        return 0;
    }
    size_t len = 0;
    char *j = gw_clone_total_json(env, &len);
    if (!j)
        return -EPROTO;
    const char *key = env->kpi_total->key && *env->kpi_total->key ? env->kpi_total->key : topic;
    int rc = gw_view_put(v, key, s_buyer(env), s_seq(env), j, len);
    free(j);
    return rc;
}

static void s_set_fresh(gw_clone_t *self)
{
    uint64_t now = uv_now(self->loop);
    bool fresh = false;
    if (self->state == S_LIVE && self->resyncing)
        snprintf(self->why, sizeof self->why, "%s",
                 "catching up with the kpi-aggregator (new snapshot)");
    else if (self->state != S_LIVE)
        snprintf(self->why, sizeof self->why, "%s",
                 self->state == S_SNAPSHOT ? "loading the KPI snapshot" : "no KPI snapshot yet");
    else if (!self->last_hb || now - self->last_hb > self->stale_ms)
        snprintf(self->why, sizeof self->why, "no heartbeat from the kpi-aggregator for %u ms",
                 self->stale_ms);
    else if (self->hb_head > gw_view_head(self->view))
        snprintf(self->why, sizeof self->why, "behind the kpi-aggregator (%" PRIu64 " < %" PRIu64 ")",
                 gw_view_head(self->view), self->hb_head);
    else {
        self->why[0] = '\0';
        fresh = true;
    }
    if (fresh != self->fresh) {
        self->fresh = fresh;
        log_info(fresh ? "kpi_fresh" : "kpi_stale", "KPI view %s%s%s",
                 fresh ? "fresh" : "stale: ", fresh ? "" : self->why, "");
        if (self->cbs.on_fresh)
            self->cbs.on_fresh(self->cbs.arg, fresh);
    }
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg);
static void s_on_snap(bus_sock_t *sock, int events, void *arg);

static void s_pause_sub(gw_clone_t *self, bool pause)
{
    if (pause && !self->sub_paused)
        bus_watch(self->sub, 0, NULL, NULL);
    else if (!pause && self->sub_paused)
        bus_watch(self->sub, ZMQ_POLLIN, s_on_sub, self);
    self->sub_paused = pause;
}

static void s_start_snapshot(gw_clone_t *self)
{
    uint64_t now = uv_now(self->loop);
    bus_sock_destroy(&self->snap);
    gw_view_destroy(&self->staging);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.immediate = false;          /* queue the request until the connection is up */
    bo.maxmsgsize = 64ll << 20;
    /* the credit: the aggregator's snapshot stream waits while this queue is full, so a
     * snapshot of every buyer never sits in the gateway's memory at once */
    bo.rcvhwm = 1000;
    self->snap = bus_sock_new(self->ctx, self->loop, ZMQ_DEALER, &bo);
    self->staging = gw_view_new();
    if (!self->snap || !self->staging || bus_connect(self->snap, self->api) < 0) {
        self->next_try = now + 500;
        return;
    }
    bus_watch(self->snap, ZMQ_POLLIN, s_on_snap, self);
    s_pause_sub(self, true);       /* leave updates queued until the snapshot is in */
    self->resyncing = true;
    if (self->state != S_LIVE)
        self->state = S_SNAPSHOT;
    self->st.snapshots++;
    snprintf(self->snap_rid, sizeof self->snap_rid, "gw-snap-%" PRIx64 "-%" PRIu64,
             (uint64_t)clock_now_ms(), self->st.snapshots);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = MVOI_TOPIC_KPI_PREFIX;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = "gateway";
    env.request_id = self->snap_rid;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    self->snap_deadline = now + self->snap_wait_ms;   /* then per item: s_on_snap */
    uint8_t buf[256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    bus_frame_t f = { buf, (size_t)(len > 0 ? len : 0) };
    if (len <= 0 || bus_send(self->snap, &f, 1) < 0)
        self->snap_deadline = now + 200;   /* retried by the timer */
}

static void s_finish_snapshot(gw_clone_t *self, const Mvoi__SnapshotEnd *end)
{
    gw_view_t *old = self->view, *nv = self->staging;
    self->staging = NULL;
    gw_view_set_head(nv, end->seq);
    gw_view_set_base(nv, end->seq);
    gw_view_set_epoch(nv, end->epoch);
    self->incarnation = end->has_incarnation ? end->incarnation : 0;
    self->resyncing = false;
    bool full = !self->have_epoch || end->epoch != gw_view_epoch(old);
    uint64_t old_head = gw_view_head(old);
    /* A snapshot never goes back in time within one epoch; if it did (a replica?), keep the
     * per-total rule: a client id above the new head will get a full snapshot. */
    self->view = nv;
    self->have_epoch = true;
    self->st.snapshot_items = gw_view_count(nv);
    bus_sock_destroy(&self->snap);
    self->state = S_LIVE;
    log_info("kpi_snapshot", "KPI snapshot: %zu totals at seq %" PRIu64 " (epoch %" PRIu64 ")%s",
             gw_view_count(nv), end->seq, end->epoch, full ? ", full" : "");
    if (self->cbs.on_resync) {
        if (full) {
            self->cbs.on_resync(self->cbs.arg, true, NULL, 0);
        } else {
            const gw_total_t **ch = NULL;
            long n = gw_view_since(nv, old_head, NULL, &ch);
            if (n >= 0)
                self->cbs.on_resync(self->cbs.arg, false, ch, n);
            free(ch);
        }
    }
    gw_view_destroy(&old);
    s_pause_sub(self, false);
    s_set_fresh(self);
}

static void s_on_snap(bus_sock_t *sock, int events, void *arg)
{
    gw_clone_t *self = arg;
    for (int budget = 0; budget < 4096; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            return;
        int idx = m.nparts - 1, err = 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, idx), bus_msg_size(&m, idx), 0, &err);
        char topic[512] = "";
        if (m.nparts >= 2) {
            size_t tl = bus_msg_size(&m, 0);
            if (tl >= sizeof topic)
                tl = sizeof topic - 1;
            memcpy(topic, bus_msg_data(&m, 0), tl);
            topic[tl] = '\0';
        }
        bus_msg_close(&m);
        if (!env)
            continue;
        if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && self->staging) {
            s_put(self, self->staging, topic, env);
            /* the timeout is per item: a long stream that keeps coming is not late */
            self->snap_deadline = uv_now(self->loop) + self->snap_timeout_ms;
        } else if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END && self->staging &&
                   env->request_id && strcmp(env->request_id, self->snap_rid) == 0) {
            s_finish_snapshot(self, env->snapshot_end);
            codec_free(&env);
            return;              /* the socket is gone */
        } else if (env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            log_warn("kpi_snapshot_error", "snapshot refused: %s",
                     env->error->message ? env->error->message : "?");
            self->snap_deadline = uv_now(self->loop) + 500;
        }
        codec_free(&env);
    }
}

static const char *const s_reasons[GW_CLONE_RESYNC_REASONS] = {
    "gap", "behind", "epoch", "incarnation", "reconnect" };

/* The view may be behind: say so at once (503), then take a new snapshot. */
static void s_resync(gw_clone_t *self, int why)
{
    self->st.resyncs[why]++;
    log_info("kpi_resync", "KPI view at seq %" PRIu64 " (heartbeat head %" PRIu64 "): %s, "
             "new snapshot", gw_view_head(self->view), self->hb_head, s_reasons[why]);
    self->resyncing = true;
    s_set_fresh(self);
    s_start_snapshot(self);
}

/* A heartbeat: the reason to resync, or -1. */
static int s_heartbeat(gw_clone_t *self, const Mvoi__Envelope *env)
{
    const Mvoi__Heartbeat *hb = env->heartbeat;
    self->last_hb = uv_now(self->loop);
    self->hb_head = hb->head_seq;
    self->hb_epoch = hb->epoch;
    if (self->state != S_LIVE || self->resyncing) {
        s_set_fresh(self);
        return -1;
    }
    if (self->have_epoch && self->hb_epoch != gw_view_epoch(self->view))
        return GW_CLONE_RESYNC_EPOCH;
    if (hb->has_incarnation && self->incarnation && hb->incarnation != self->incarnation)
        return GW_CLONE_RESYNC_INCARNATION;
    /* Beyond our head: something was lost. (A heartbeat below it may be one queued before
     * the snapshot; a store that went back comes with a new incarnation.) */
    if (self->hb_head > gw_view_head(self->view))
        return GW_CLONE_RESYNC_BEHIND;
    s_set_fresh(self);
    return -1;
}

/* A live update: the reason to resync, or -1. The aggregator's stream is gap-free (every
 * event is one total) and we subscribe to all of it, so seq must follow the view's head. */
static int s_update(gw_clone_t *self, const char *topic, const Mvoi__Envelope *env)
{
    if (self->state != S_LIVE)
        return -1;
    uint64_t seq = s_seq(env);
    if (seq > gw_view_head(self->view) + 1)
        return GW_CLONE_RESYNC_GAP;
    int rc = s_put(self, self->view, topic, env);
    if (rc == 1) {
        self->st.updates++;
        const char *key = env->kpi_total->key && *env->kpi_total->key ? env->kpi_total->key
                                                                        : topic;
        const gw_total_t *t = gw_view_get(self->view, key);
        if (t && self->cbs.on_update)
            self->cbs.on_update(self->cbs.arg, t);
    } else {
        self->st.dropped++;
    }
    return -1;
}

/* The SUB socket (re)connected: whatever was published while it was away is lost (PUB
 * drops for absent peers), so the view may be behind whatever the seqs say. */
static void s_on_mon(bus_sock_t *sock, int events, void *arg)
{
    gw_clone_t *self = arg;
    (void)events;
    bool connected = false;
    for (int budget = 0; budget < 64; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            break;
        if (m.nparts >= 1 && bus_msg_size(&m, 0) >= 2) {
            uint16_t ev;
            memcpy(&ev, bus_msg_data(&m, 0), 2);
            connected |= ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        }
        bus_msg_close(&m);
    }
    if (connected && self->state == S_LIVE)
        s_resync(self, GW_CLONE_RESYNC_RECONNECT);
    else if (connected)
        s_start_snapshot(self);   /* a snapshot taken before the SUB was connected may miss */
}

static int s_monitor(gw_clone_t *self)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://gw-clone-mon-%p", (void *)self);
    if (zmq_socket_monitor(bus_sock_zmq(self->sub), ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        return -errno;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    self->mon = bus_sock_new(self->ctx, self->loop, ZMQ_PAIR, &bo);
    if (!self->mon || bus_connect(self->mon, ep) < 0)
        return -EIO;
    return bus_watch(self->mon, ZMQ_POLLIN, s_on_mon, self);
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg)
{
    gw_clone_t *self = arg;
    for (int budget = 0; budget < 1000; budget++) {
        if (self->sub_paused)
            return;
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            return;
        if (m.nparts < 2) {
            bus_msg_close(&m);
            continue;
        }
        char topic[512];
        size_t tl = bus_msg_size(&m, 0);
        if (tl >= sizeof topic)
            tl = sizeof topic - 1;
        memcpy(topic, bus_msg_data(&m, 0), tl);
        topic[tl] = '\0';
        int err = 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, 1), bus_msg_size(&m, 1), 0, &err);
        bus_msg_close(&m);
        if (!env)
            continue;
        int why = env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT ? s_heartbeat(self, env)
                  : env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL   ? s_update(self, topic, env)
                                                                      : -1;
        codec_free(&env);
        if (why >= 0) {
            s_resync(self, why);
            return;              /* the SUB stays paused until the snapshot is in */
        }
        continue;
        codec_free(&env);
    }
}

static void s_on_timer(uv_timer_t *t)
{
    gw_clone_t *self = t->data;
    uint64_t now = uv_now(self->loop);
    if (self->snap && now >= self->snap_deadline) {
        log_warn("kpi_snapshot_retry", "no snapshot from %s yet: asking again", self->api);
        s_start_snapshot(self);
    } else if (!self->snap && (self->state != S_LIVE || self->resyncing) &&
               now >= self->next_try) {
        s_start_snapshot(self);
    }
    s_set_fresh(self);
}

gw_clone_t *gw_clone_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_clone_opts_t *o,
                         const gw_clone_cbs_t *cbs)
{
    gw_clone_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->ctx = ctx;
    snprintf(self->api, sizeof self->api, "%s", o->api);
    snprintf(self->pub, sizeof self->pub, "%s", o->pub);
    self->stale_ms = o->stale_ms ? o->stale_ms : 5000;
    self->snap_timeout_ms = o->snapshot_timeout_ms ? o->snapshot_timeout_ms : 5000;
    self->snap_wait_ms = o->snapshot_wait_ms ? o->snapshot_wait_ms : 60000;
    if (self->snap_wait_ms < self->snap_timeout_ms)
        self->snap_wait_ms = self->snap_timeout_ms;
    self->keep = o->keep;
    if (cbs)
        self->cbs = *cbs;
    self->view = gw_view_new();
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.rcvhwm = 1000000;           /* queue a lot while a snapshot loads */
    self->sub = bus_sock_new(ctx, loop, ZMQ_SUB, &bo);
    if (!self->view || !self->sub || bus_subscribe(self->sub, MVOI_TOPIC_KPI_PREFIX) < 0 ||
        bus_subscribe(self->sub, MVOI_TOPIC_HB) < 0 || s_monitor(self) < 0 ||
        bus_connect(self->sub, o->pub) < 0) {
        bus_sock_destroy(&self->mon);
        gw_view_destroy(&self->view);
        bus_sock_destroy(&self->sub);
        free(self);
        return NULL;
    }
    self->sub_paused = true;       /* s_start_snapshot keeps it paused until the end */
    snprintf(self->why, sizeof self->why, "no KPI snapshot yet");
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uint32_t tick = self->stale_ms / 4;
    if (tick > 250)
        tick = 250;
    if (tick < 10)
        tick = 10;
    uv_timer_start(&self->timer, s_on_timer, tick, tick);
    self->state = S_SNAPSHOT;
    s_start_snapshot(self);
    return self;
}

static void s_free_timer(uv_handle_t *h) { free(h->data); }

void gw_clone_destroy(gw_clone_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_clone_t *self = *self_p;
    *self_p = NULL;
    bus_sock_destroy(&self->snap);
    bus_sock_destroy(&self->mon);
    bus_sock_destroy(&self->sub);
    gw_view_destroy(&self->view);
    gw_view_destroy(&self->staging);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_free_timer);
}

gw_view_t *gw_clone_view(gw_clone_t *self) { return self->view; }
bool gw_clone_fresh(gw_clone_t *self) { return self->fresh; }
const char *gw_clone_why(gw_clone_t *self) { return self->why; }

void gw_clone_stats(gw_clone_t *self, gw_clone_stats_t *out)
{
    *out = self->st;
    out->view_seq = gw_view_head(self->view);
    out->hb_head = self->hb_head;
    out->epoch = gw_view_epoch(self->view);
    out->hb_age_ms = self->last_hb ? (int64_t)(uv_now(self->loop) - self->last_hb) : -1;
    out->totals = gw_view_count(self->view);
    out->live = self->state == S_LIVE;
    out->fresh = self->fresh;
}
