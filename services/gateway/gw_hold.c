/*  gw_hold: the buyers being served, each its own Clone view (gw_hold.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "codec.h"
#include "gw_clone.h"
#include "gw_hold.h"
#include "log.h"
#include "mvoi_contract.h"
#include "mvoi_id.h"

#define S_SLOTS 1024               /* hash chains; a few hundred buyers held at most */
#define S_REPLAY_MAX 10000         /* a larger gap re-snapshots every held buyer */

typedef enum { H_SNAPSHOT = 1, H_LIVE } h_state_t;

struct gw_held_t {
    gw_hold_t *hold;
    gw_held_t *chain;              /* same hash slot */
    gw_held_t *prev, *next;        /* every held buyer (timer, resync all) */
    char buyer[MVOI_ID_BUYER_MAX + 1];
    char prefix[MVOI_TOPIC_MAX];   /* its key range (gw_hold_topic_prefix) */
    h_state_t state;
    bool resyncing, fresh, follows;
    bool lost;                     /* an event the stream lost was this buyer's */
    uint64_t gap_upto;             /* its view's head when the gap was seen */
    gw_view_t *view, *staging;
    bus_sock_t *snap;              /* DEALER, one per snapshot attempt */
    char snap_rid[64];
    uint64_t snap_deadline, next_try, incarnation, used;
    int streams;
    char why[128];
};

struct gw_hold_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    char api[256], pub[256];
    uint32_t stale_ms, snap_timeout_ms, idle_ms;
    gw_hold_cbs_t cbs;
    bus_sock_t *sub, *mon;
    uv_timer_t timer;
    gw_held_t *slots[S_SLOTS];
    gw_held_t all;                 /* list sentinel */
    size_t n;
    uint64_t last_hb, hb_head, hb_epoch, hb_incarnation;
    bool hb_has_incarnation;
    /* The subscribed stream (the whole "kpi.", gap-free): contiguous from stream_first to
     * stream_head since it became known. */
    bool stream_known;
    uint64_t stream_first, stream_head;
    /* A gap being told apart: the lost events asked again (ReplayRequest from the outbox);
     * the held buyers are not fresh until it is known whose they were. */
    bus_sock_t *rep;
    char rep_rid[64];
    uint64_t rep_from, rep_to, rep_deadline;
    gw_hold_stats_t st;
};

const char *const gw_hold_reasons[GW_HOLD_RESYNC_REASONS] = {
    "gap", "behind", "epoch", "incarnation", "reconnect", "refused" };

int gw_hold_topic_prefix(const char *buyer, char *buf, size_t len)
{
    /* Topics lead with the buyer (mvoi_topic.h): one buyer's totals are one key range, so
     * its snapshot reads that buyer's keys only. */
    return mvoi_topic_kpi_buyer_prefix(buf, len, buyer);
}

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

gw_held_t *gw_hold_find(gw_hold_t *self, const char *buyer)
{
    for (gw_held_t *h = self->slots[s_hash(buyer) % S_SLOTS]; h; h = h->chain)
        if (strcmp(h->buyer, buyer) == 0)
            return h;
    return NULL;
}

const char *gw_held_buyer(const gw_held_t *h) { return h->buyer; }
gw_view_t *gw_held_view(gw_held_t *h) { return h->view; }
bool gw_held_fresh(const gw_held_t *h) { return h->fresh; }
bool gw_held_loading(const gw_held_t *h) { return h->state != H_LIVE; }
const char *gw_held_why(const gw_held_t *h) { return h->why; }

uint64_t gw_held_head(const gw_held_t *h)
{
    uint64_t head = gw_view_head(h->view);
    const gw_hold_t *hold = h->hold;
    if (h->state == H_LIVE && !h->resyncing && h->follows && hold->stream_known &&
        hold->stream_head > head)
        head = hold->stream_head;
    return head;
}

void gw_held_streams(gw_held_t *h, int delta)
{
    h->streams += delta;
    if (h->streams < 0)
        h->streams = 0;
    h->used = uv_now(h->hold->loop);
}

/* ---------------------------------------------------------------- freshness */

static void s_set_fresh(gw_held_t *h)
{
    gw_hold_t *self = h->hold;
    uint64_t now = uv_now(self->loop), head = gw_held_head(h);
    bool fresh = false;
    if (h->state != H_LIVE)
        snprintf(h->why, sizeof h->why, "loading the KPI totals of buyer %s", h->buyer);
    else if (h->resyncing)
        snprintf(h->why, sizeof h->why, "%s", "catching up with the kpi-aggregator (new snapshot)");
    else if (self->rep)
        snprintf(h->why, sizeof h->why, "%s", "updates were lost: asking the kpi-aggregator whose");
    else if (!self->last_hb || now - self->last_hb > self->stale_ms)
        snprintf(h->why, sizeof h->why, "no heartbeat from the kpi-aggregator for %u ms",
                 self->stale_ms);
    else if (self->hb_head > head)
        snprintf(h->why, sizeof h->why, "behind the kpi-aggregator (%" PRIu64 " < %" PRIu64 ")",
                 head, self->hb_head);
    else {
        h->why[0] = '\0';
        fresh = true;
    }
    if (fresh != h->fresh) {
        h->fresh = fresh;
        if (fresh)
            self->st.fresh++;
        else
            self->st.fresh--;
        if (self->cbs.on_fresh)
            self->cbs.on_fresh(self->cbs.arg, h, fresh);
    }
}

/* ---------------------------------------------------------------- snapshots */

static void s_on_snap(bus_sock_t *sock, int events, void *arg);

/* SnapshotRequest of h's range: its subscription prefix as a segment ("kpi.x." asks
 * "kpi.x" with segment: the keys that equal it or continue with "."). */
static int s_send_request(gw_held_t *h)
{
    char prefix[MVOI_TOPIC_MAX];
    snprintf(prefix, sizeof prefix, "%s", h->prefix);
    size_t pl = strlen(prefix);
    if (pl && prefix[pl - 1] == '.')
        prefix[pl - 1] = '\0';
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = prefix;
    sr.has_segment = true;
    sr.segment = true;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = "gateway";
    env.request_id = h->snap_rid;
    env.buyer = h->buyer;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[MVOI_TOPIC_MAX + 256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    bus_frame_t f = { buf, (size_t)(len > 0 ? len : 0) };
    return len <= 0 || bus_send(h->snap, &f, 1) < 0 ? -EIO : 0;
}

static void s_start_snapshot(gw_held_t *h)
{
    gw_hold_t *self = h->hold;
    uint64_t now = uv_now(self->loop);
    bus_sock_destroy(&h->snap);
    gw_view_destroy(&h->staging);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.immediate = false;          /* queue the request until the connection is up */
    bo.maxmsgsize = 64ll << 20;
    /* the credit: the aggregator sends while this queue takes it, so a large range never
     * sits in the gateway's memory at once */
    bo.rcvhwm = 1000;
    h->snap = bus_sock_new(self->ctx, self->loop, ZMQ_DEALER, &bo);
    h->staging = gw_view_new();
    h->resyncing = true;
    if (!h->snap || !h->staging || bus_connect(h->snap, self->api) < 0) {
        bus_sock_destroy(&h->snap);
        h->next_try = now + 500;
        return;
    }
    bus_watch(h->snap, ZMQ_POLLIN, s_on_snap, h);
    self->st.snapshots++;
    snprintf(h->snap_rid, sizeof h->snap_rid, "gw-snap-%" PRIx64 "-%" PRIu64,
             (uint64_t)clock_now_ms(), self->st.snapshots);
    h->snap_deadline = now + self->snap_timeout_ms;
    if (s_send_request(h) < 0)
        h->snap_deadline = now + 200;   /* retried by the timer */
}

/* The snapshot is in: the view is h's, complete up to end->seq. The stream carries on from
 * where it is: h follows it when the stream is known to hold every event after end->seq. */
static void s_finish_snapshot(gw_held_t *h, const Mvoi__SnapshotEnd *end)
{
    gw_hold_t *self = h->hold;
    gw_view_t *old = h->view, *nv = h->staging;
    h->staging = NULL;
    if (gw_view_head(nv) < end->seq)
        gw_view_set_head(nv, end->seq);
    gw_view_set_base(nv, end->seq);
    gw_view_set_epoch(nv, end->epoch);
    h->incarnation = end->has_incarnation ? end->incarnation : 0;
    bool full = h->state != H_LIVE || end->epoch != gw_view_epoch(old);
    uint64_t old_head = gw_view_head(old);
    h->view = nv;
    h->resyncing = false;
    h->state = H_LIVE;
    /* whole stream: known from stream_first on; before any event, the first one decides
     * (s_stream) */
    h->follows = !self->stream_known || self->stream_first <= end->seq + 1;
    bus_sock_destroy(&h->snap);
    log_info("kpi_buyer_snapshot", "buyer %s: %zu totals at seq %" PRIu64 " (epoch %" PRIu64
             ")%s", h->buyer, gw_view_count(nv), end->seq, end->epoch, full ? ", full" : "");
    if (self->cbs.on_resync) {
        if (full) {
            self->cbs.on_resync(self->cbs.arg, h, true, NULL, 0);
        } else {
            const gw_total_t **ch = NULL;
            long n = gw_view_since(nv, old_head, NULL, &ch);
            if (n >= 0)
                self->cbs.on_resync(self->cbs.arg, h, false, ch, n);
            free(ch);
        }
    }
    gw_view_destroy(&old);
    if (!h->follows) {
        self->st.resyncs[GW_HOLD_RESYNC_GAP]++;
        s_start_snapshot(h);
    }
    s_set_fresh(h);
}

static const char *s_buyer(const Mvoi__Envelope *env)
{
    if (env->kpi_total && env->kpi_total->buyer && *env->kpi_total->buyer)
        return env->kpi_total->buyer;
    return env->buyer ? env->buyer : "";
}

static uint64_t s_seq(const Mvoi__Envelope *env)
{
    if (env->has_seq && env->seq)
        return env->seq;
    return env->kpi_total && env->kpi_total->has_seq ? env->kpi_total->seq : 0;
}

static int s_put(gw_view_t *v, const char *topic, const Mvoi__Envelope *env)
{
    size_t len = 0;
    char *j = gw_clone_total_json(env, &len);
    if (!j)
        return -EPROTO;
    const char *key = env->kpi_total->key && *env->kpi_total->key ? env->kpi_total->key : topic;
    int rc = gw_view_put(v, key, s_buyer(env), s_seq(env), j, len);
    free(j);
    return rc;
}

/* One frame of h's snapshot stream; false when the stream ended (the socket is gone). */
static bool s_snap_item(gw_held_t *h, const char *topic, const Mvoi__Envelope *env)
{
    gw_hold_t *self = h->hold;
    if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && h->staging) {
        /* the range may hold other buyers' totals (a wider prefix): keep h's only */
        if (strcmp(s_buyer(env), h->buyer) == 0)
            s_put(h->staging, topic, env);
        /* the timeout is per item: a long stream that keeps coming is not late */
        h->snap_deadline = uv_now(self->loop) + self->snap_timeout_ms;
    } else if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END && h->staging &&
               env->request_id && strcmp(env->request_id, h->snap_rid) == 0) {
        s_finish_snapshot(h, env->snapshot_end);
        return false;
    } else if (env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        log_warn("kpi_snapshot_error", "buyer %s: snapshot refused: %s", h->buyer,
                 env->error && env->error->message ? env->error->message : "?");
        self->st.resyncs[GW_HOLD_RESYNC_REFUSED]++;
        h->snap_deadline = uv_now(self->loop) + 500;
    }
    return true;
}

static void s_on_snap(bus_sock_t *sock, int events, void *arg)
{
    gw_held_t *h = arg;
    (void)events;
    for (int budget = 0; budget < 4096; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            return;
        int idx = m.nparts - 1, err = 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, idx), bus_msg_size(&m, idx), 0, &err);
        char topic[MVOI_TOPIC_MAX] = "";
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
        bool more = s_snap_item(h, topic, env);
        codec_free(&env);
        if (!more)
            return;
    }
}

/* h's view may be behind: say so at once (503), then take a new snapshot of h only. */
static void s_resync(gw_held_t *h, int why)
{
    gw_hold_t *self = h->hold;
    self->st.resyncs[why]++;
    log_info("kpi_buyer_resync", "buyer %s at seq %" PRIu64 " (heartbeat head %" PRIu64 "): "
             "%s, new snapshot", h->buyer, gw_held_head(h), self->hb_head, gw_hold_reasons[why]);
    h->resyncing = true;
    s_set_fresh(h);
    s_start_snapshot(h);
}

static void s_resync_all(gw_hold_t *self, int why)
{
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        if (h->state == H_LIVE && !h->resyncing)
            s_resync(h, why);
}


/* ---------------------------------------------------------------- gaps: whose events? */

static void s_each_fresh(gw_hold_t *self)
{
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        s_set_fresh(h);
}

static void s_rep_done(gw_hold_t *self)
{
    bus_sock_destroy(&self->rep);
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        h->lost = false;
    s_each_fresh(self);
}

/* The replay could not say whose the lost events were: every held buyer re-snapshots. */
static void s_rep_fail(gw_hold_t *self, const char *why)
{
    log_warn("kpi_gap_replay", "lost updates %" PRIu64 "..%" PRIu64 ": %s: every held buyer "
             "re-snapshots", self->rep_from, self->rep_to, why);
    s_rep_done(self);
    s_resync_all(self, GW_HOLD_RESYNC_GAP);
}

/* The replay is whole: the buyers whose events were lost re-snapshot, the others go on. */
static void s_rep_end(gw_hold_t *self, const Mvoi__ReplayEnd *end)
{
    if (!end || end->last_sent_seq < self->rep_to) {
        s_rep_fail(self, "the kpi-aggregator did not replay them all");
        return;
    }
    size_t n = 0;
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        if (h->lost && h->state == H_LIVE && !h->resyncing) {
            h->lost = false;
            s_resync(h, GW_HOLD_RESYNC_GAP);
            n++;
        }
    log_info("kpi_gap_replay", "lost updates %" PRIu64 "..%" PRIu64 ": %zu held buyer(s) "
             "re-snapshot", self->rep_from, self->rep_to, n);
    s_rep_done(self);
}

static void s_on_rep(bus_sock_t *sock, int events, void *arg)
{
    gw_hold_t *self = arg;
    (void)events;
    for (int budget = 0; budget < 4096 && self->rep; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            return;
        int idx = m.nparts - 1, err = 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, idx), bus_msg_size(&m, idx), 0, &err);
        bus_msg_close(&m);
        if (!env)
            continue;
        bool mine = env->request_id && strcmp(env->request_id, self->rep_rid) == 0;
        if (mine && env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && env->kpi_total) {
            uint64_t seq = s_seq(env);
            gw_held_t *h = gw_hold_find(self, s_buyer(env));
            /* a buyer whose view already had this seq did not lose it */
            if (h && seq >= self->rep_from && seq <= self->rep_to && seq > h->gap_upto)
                h->lost = true;
        } else if (mine && env->body_case == MVOI__ENVELOPE__BODY_REPLAY_END) {
            s_rep_end(self, env->replay_end);
        } else if (mine && env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            s_rep_fail(self, env->error && env->error->message ? env->error->message
                                                               : "replay refused");
        }
        codec_free(&env);
    }
}

/* Events from..to never arrived. The aggregator's outbox still has them (unless retention
 * took them): asked again, they say whose they were, and only those buyers re-snapshot. */
static void s_gap(gw_hold_t *self, uint64_t from, uint64_t to)
{
    if (self->rep || self->n == 0 || to < from || to - from >= S_REPLAY_MAX) {
        s_resync_all(self, GW_HOLD_RESYNC_GAP);
        return;
    }
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.immediate = false;
    bo.maxmsgsize = 64ll << 20;
    bo.rcvhwm = 1000;
    self->rep = bus_sock_new(self->ctx, self->loop, ZMQ_DEALER, &bo);
    if (!self->rep || bus_connect(self->rep, self->api) < 0 ||
        bus_watch(self->rep, ZMQ_POLLIN, s_on_rep, self) < 0) {
        bus_sock_destroy(&self->rep);
        s_resync_all(self, GW_HOLD_RESYNC_GAP);
        return;
    }
    self->rep_from = from;
    self->rep_to = to;
    self->rep_deadline = uv_now(self->loop) + self->snap_timeout_ms;
    snprintf(self->rep_rid, sizeof self->rep_rid, "gw-gap-%" PRIx64 "-%" PRIu64,
             (uint64_t)clock_now_ms(), from);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = rq.has_max_count = true;
    rq.from_seq = from;
    rq.max_count = (uint32_t)(to - from + 1);
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = "gateway";
    env.request_id = self->rep_rid;
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    env.replay = &rq;
    uint8_t buf[256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    bus_frame_t f = { buf, (size_t)(len > 0 ? len : 0) };
    if (len <= 0 || bus_send(self->rep, &f, 1) < 0) {
        s_rep_fail(self, "cannot ask the kpi-aggregator");
        return;
    }
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        h->gap_upto = gw_view_head(h->view);   /* before the update that showed the gap */
    s_each_fresh(self);   /* not fresh until it is known whose the lost events were */
}

/* ---------------------------------------------------------------- the shared stream */

/* Stream continuity: the reason to resync, or -1. */
static int s_stream(gw_hold_t *self, uint64_t seq)
{
    if (!seq)
        return -1;
    if (!self->stream_known) {
        /* the first event since the subscription: a buyer whose snapshot ends before it
         * may have missed what came between; asked again, those events say whose */
        self->stream_known = true;
        self->stream_first = self->stream_head = seq;
        uint64_t low = seq;
        for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
            if (h->state == H_LIVE && !h->resyncing && gw_view_head(h->view) + 1 < low)
                low = gw_view_head(h->view) + 1;
        if (low < seq)
            s_gap(self, low, seq - 1);
        return -1;
    }
    if (seq > self->stream_head + 1) {
        /* events lost, of buyers unknown: the stream is known again from here */
        self->stream_first = self->stream_head = seq;
        return GW_HOLD_RESYNC_GAP;
    }
    if (seq > self->stream_head)
        self->stream_head = seq;
    return -1;
}

/* A live update: to the held buyer it belongs to (its staging while it loads). */
static void s_update(gw_hold_t *self, const char *topic, const Mvoi__Envelope *env)
{
    uint64_t before = self->stream_head;
    int why = s_stream(self, s_seq(env));
    if (why == GW_HOLD_RESYNC_GAP)
        s_gap(self, before + 1, s_seq(env) - 1);
    else if (why >= 0)
        s_resync_all(self, why);
    gw_held_t *h = gw_hold_find(self, s_buyer(env));
    if (!h) {
        self->st.unheld++;
        return;
    }
    if (h->resyncing || h->state != H_LIVE) {
        /* last write wins by seq: the snapshot and the stream may overlap */
        if (h->staging)
            s_put(h->staging, topic, env);
        return;
    }
    if (s_put(h->view, topic, env) != 1)
        return;
    self->st.updates++;
    const char *key = env->kpi_total->key && *env->kpi_total->key ? env->kpi_total->key : topic;
    const gw_total_t *t = gw_view_get(h->view, key);
    if (t && self->cbs.on_update)
        self->cbs.on_update(self->cbs.arg, h, t);
}

static void s_heartbeat(gw_hold_t *self, const Mvoi__Heartbeat *hb)
{
    self->last_hb = uv_now(self->loop);
    self->hb_head = hb->head_seq;
    self->hb_epoch = hb->epoch;
    self->hb_has_incarnation = hb->has_incarnation;
    self->hb_incarnation = hb->incarnation;
    if (self->stream_known && self->n > 0 && self->hb_head > self->stream_head &&
        gw_view_epoch(self->all.next->view) == self->hb_epoch) {
        /* the heartbeat follows its head on the pipe: the events after stream_head were
         * lost; asked again, they say whose they were (s_gap accounts for them) */
        uint64_t from = self->stream_head + 1;
        self->stream_head = self->hb_head;
        s_gap(self, from, self->hb_head);
    }
    for (gw_held_t *h = self->all.next, *next; h != &self->all; h = next) {
        next = h->next;
        if (h->state != H_LIVE || h->resyncing)
            continue;
        if (gw_view_epoch(h->view) != self->hb_epoch)
            s_resync(h, GW_HOLD_RESYNC_EPOCH);
        else if (hb->has_incarnation && h->incarnation && hb->incarnation != h->incarnation)
            s_resync(h, GW_HOLD_RESYNC_INCARNATION);
        else if (self->hb_head > gw_held_head(h))
            s_resync(h, GW_HOLD_RESYNC_BEHIND);
        else
            s_set_fresh(h);
    }
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg)
{
    gw_hold_t *self = arg;
    (void)events;
    for (int budget = 0; budget < 1000; budget++) {
        bus_msg_t m;
        if (bus_recv(sock, &m) < 0)
            return;
        if (m.nparts < 2) {
            bus_msg_close(&m);
            continue;
        }
        char topic[MVOI_TOPIC_MAX];
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
        if (env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT && env->heartbeat)
            s_heartbeat(self, env->heartbeat);
        else if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && env->kpi_total)
            s_update(self, topic, env);
        codec_free(&env);
    }
}

/* The SUB socket (re)connected: whatever was published while it was away is lost (PUB
 * drops for absent peers). */
static void s_on_mon(bus_sock_t *sock, int events, void *arg)
{
    gw_hold_t *self = arg;
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
    if (!connected)
        return;
    self->stream_known = false;
    s_resync_all(self, GW_HOLD_RESYNC_RECONNECT);
}

static int s_monitor(gw_hold_t *self)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://gw-hold-mon-%p", (void *)self);
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

/* ---------------------------------------------------------------- holding and dropping */

gw_held_t *gw_hold_get(gw_hold_t *self, const char *buyer)
{
    gw_held_t *h = gw_hold_find(self, buyer);
    if (h) {
        h->used = uv_now(self->loop);
        return h;
    }
    if (!(h = calloc(1, sizeof *h)))
        return NULL;
    h->hold = self;
    snprintf(h->buyer, sizeof h->buyer, "%s", buyer);
    h->view = gw_view_new();
    if (!h->view || strlen(buyer) >= sizeof h->buyer ||
        gw_hold_topic_prefix(buyer, h->prefix, sizeof h->prefix) < 0 ||
        bus_subscribe(self->sub, MVOI_TOPIC_KPI_PREFIX) < 0) {
        gw_view_destroy(&h->view);
        free(h);
        return NULL;
    }
    h->state = H_SNAPSHOT;
    h->used = uv_now(self->loop);
    gw_held_t **slot = &self->slots[s_hash(buyer) % S_SLOTS];
    h->chain = *slot;
    *slot = h;
    h->prev = self->all.prev;
    h->next = &self->all;
    self->all.prev->next = h;
    self->all.prev = h;
    self->n++;
    self->st.loads++;
    log_info("kpi_buyer_load", "buyer %s: loading its KPI totals (%zu held)", buyer, self->n);
    s_start_snapshot(h);
    s_set_fresh(h);
    return h;
}

static void s_free(gw_held_t *h)
{
    bus_sock_destroy(&h->snap);
    gw_view_destroy(&h->view);
    gw_view_destroy(&h->staging);
    free(h);
}

static void s_drop(gw_hold_t *self, gw_held_t *h)
{
    gw_held_t **p = &self->slots[s_hash(h->buyer) % S_SLOTS];
    while (*p != h)
        p = &(*p)->chain;
    *p = h->chain;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    self->n--;
    if (self->n == 0)
        self->stream_known = false;   /* "kpi." is no longer subscribed: continuity ends */
    if (h->fresh)
        self->st.fresh--;
    self->st.drops++;
    /* ZeroMQ counts subscriptions: the stream stays while another buyer is held */
    zmq_setsockopt(bus_sock_zmq(self->sub), ZMQ_UNSUBSCRIBE, MVOI_TOPIC_KPI_PREFIX,
                   strlen(MVOI_TOPIC_KPI_PREFIX));
    log_info("kpi_buyer_drop", "buyer %s: idle, dropped (%zu held)", h->buyer, self->n);
    s_free(h);
}

static void s_on_timer(uv_timer_t *t)
{
    gw_hold_t *self = t->data;
    uint64_t now = uv_now(self->loop);
    if (self->rep && now >= self->rep_deadline)
        s_rep_fail(self, "no replay within the snapshot timeout");
    for (gw_held_t *h = self->all.next, *next; h != &self->all; h = next) {
        next = h->next;
        if (h->streams == 0 && now - h->used >= self->idle_ms) {
            s_drop(self, h);
            continue;
        }
        if (h->snap && now >= h->snap_deadline) {
            log_warn("kpi_snapshot_retry", "buyer %s: no snapshot from %s yet: asking again",
                     h->buyer, self->api);
            s_start_snapshot(h);
        } else if (!h->snap && (h->state != H_LIVE || h->resyncing) && now >= h->next_try) {
            s_start_snapshot(h);
        }
        s_set_fresh(h);
    }
}

gw_hold_t *gw_hold_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_hold_opts_t *o,
                       const gw_hold_cbs_t *cbs)
{
    gw_hold_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->ctx = ctx;
    snprintf(self->api, sizeof self->api, "%s", o->api);
    snprintf(self->pub, sizeof self->pub, "%s", o->pub);
    self->stale_ms = o->stale_ms ? o->stale_ms : 5000;
    self->snap_timeout_ms = o->snapshot_timeout_ms ? o->snapshot_timeout_ms : 5000;
    self->idle_ms = o->idle_ms ? o->idle_ms : 600000;
    if (cbs)
        self->cbs = *cbs;
    self->all.prev = self->all.next = &self->all;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.rcvhwm = 1000000;           /* queue a lot while the loop is busy */
    self->sub = bus_sock_new(ctx, loop, ZMQ_SUB, &bo);
    if (!self->sub || bus_subscribe(self->sub, MVOI_TOPIC_HB) < 0 || s_monitor(self) < 0 ||
        bus_connect(self->sub, o->pub) < 0 || bus_watch(self->sub, ZMQ_POLLIN, s_on_sub, self) < 0) {
        bus_sock_destroy(&self->mon);
        bus_sock_destroy(&self->sub);
        free(self);
        return NULL;
    }
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uint32_t tick = self->stale_ms / 4;
    tick = tick > 250 ? 250 : tick < 10 ? 10 : tick;
    uv_timer_start(&self->timer, s_on_timer, tick, tick);
    return self;
}

static void s_free_timer(uv_handle_t *h) { free(h->data); }

void gw_hold_destroy(gw_hold_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_hold_t *self = *self_p;
    *self_p = NULL;
    while (self->all.next != &self->all) {
        gw_held_t *h = self->all.next;
        h->prev->next = h->next;
        h->next->prev = h->prev;
        s_free(h);
    }
    bus_sock_destroy(&self->rep);
    bus_sock_destroy(&self->mon);
    bus_sock_destroy(&self->sub);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_free_timer);
}

void gw_hold_stats(gw_hold_t *self, gw_hold_stats_t *out)
{
    *out = self->st;
    out->held = self->n;
    out->totals = 0;
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        out->totals += gw_view_count(h->view);
}
