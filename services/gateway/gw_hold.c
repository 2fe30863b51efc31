/*  gw_hold: the buyers being served, each its own Clone view (gw_hold.h); each buyer's
 *  follower rules are follow.h's, the shared stream's continuity follow_stream_t's, the
 *  sockets follow_bus.h's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "follow.h"
#include "bus_monitor.h"
#include "follow_bus.h"
#include "gw_clone.h"
#include "gw_hold.h"
#include "gw_pubready.h"
#include "log.h"
#include "mvoi_contract.h"
#include "mvoi_id.h"

#define S_SLOTS 1024               /* hash chains; a few hundred buyers held at most */
#define S_REPLAY_MAX 10000         /* a larger gap re-snapshots every held buyer */

struct gw_held_t {
    gw_hold_t *hold;
    gw_held_t *chain;              /* same hash slot */
    gw_held_t *prev, *next;        /* every held buyer (timer, resync all) */
    char buyer[MVOI_ID_BUYER_MAX + 1];
    char prefix[MVOI_TOPIC_MAX];   /* its key range (gw_hold_topic_prefix) */
    follow_t *fol;
    bool follows;                  /* the shared stream holds every event after its snapshot */
    bool lost;                     /* an event the stream lost was this buyer's */
    uint64_t gap_upto;             /* its view's head when the gap was seen */
    gw_view_t *view, *staging;
    follow_snap_t *snap;           /* the snapshot asked for, NULL: none */
    uint64_t used;
    int streams;
};

struct gw_hold_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    char api[CFG_ENDPOINT_MAX + 1];   /* config.c bounds it */
    uint32_t stale_ms, snap_timeout_ms, idle_ms;
    gw_hold_cbs_t cbs;
    bus_sock_t *sub, *mon;
    uv_timer_t timer;
    gw_held_t *slots[S_SLOTS];
    gw_held_t all;                 /* list sentinel */
    size_t n;
    follow_beat_t beat;
    gw_pubready_t pub;             /* the aggregator's own account of its totals */
    /* The subscribed stream (the whole "kpi.", gap-free): contiguous from its first to its
     * head since it became known. */
    follow_stream_t stream;
    /* A gap being told apart: the lost events asked again (ReplayRequest from the outbox);
     * the held buyers are not fresh until it is known whose they were. */
    bus_sock_t *rep;
    char rep_rid[64];
    uint64_t rep_from, rep_to, rep_deadline;
    /* The aggregator's histories within one epoch: a store put back to an older copy keeps
     * its epoch and counts its seqs again from the copy's head, under a new incarnation.
     * floor is the highest seq heard of an earlier incarnation of epoch: a client position
     * at or below it may name a total of a history the aggregator no longer has, so it is
     * never served as a delta (s_finish_snapshot: the views' base). */
    struct { uint64_t epoch, incarnation, head, floor; } hist;
    gw_hold_stats_t st;
};

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
bool gw_held_fresh(const gw_held_t *h) { return follow_fresh(h->fol); }
bool gw_held_loading(const gw_held_t *h) { return !follow_live(h->fol); }
const char *gw_held_why(const gw_held_t *h, text_lang_t lang, char *buf, size_t len)
{
    follow_why_say(h->fol, lang, buf, len);
    return buf;
}

uint64_t gw_held_head(const gw_held_t *h)
{
    uint64_t head = gw_view_head(h->view);
    const gw_hold_t *hold = h->hold;
    if (follow_settled(h->fol) && h->follows && hold->stream.known && hold->stream.head > head)
        head = hold->stream.head;
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
    static const textfmt_reason_t lost = {
        .fmt = "updates were lost: asking the kpi-aggregator whose they were" };
    const textfmt_reason_t *hold = self->rep ? &lost : gw_pubready_hold(&self->pub);
    if (!follow_judge(h->fol, &self->beat, uv_now(self->loop), gw_held_head(h), hold))
        return;
    bool fresh = follow_fresh(h->fol);
    if (fresh)
        self->st.fresh++;
    else
        self->st.fresh--;
    if (self->cbs.on_fresh)
        self->cbs.on_fresh(self->cbs.arg, h, fresh);
}

/* ---------------------------------------------------------------- histories */

/* Something of the aggregator's epoch, incarnation (0: not said, the last one heard) and
 * seq was heard. */
static void s_heard(gw_hold_t *self, uint64_t epoch, uint64_t incarnation, uint64_t seq)
{
    if (epoch != self->hist.epoch) {
        self->hist.epoch = epoch;
        self->hist.incarnation = incarnation;
        self->hist.head = seq;
        self->hist.floor = 0;
        return;
    }
    if (incarnation && incarnation != self->hist.incarnation) {
        if (self->hist.incarnation && self->hist.head > self->hist.floor)
            self->hist.floor = self->hist.head;
        self->hist.incarnation = incarnation;
        self->hist.head = seq;
    } else if (seq > self->hist.head) {
        self->hist.head = seq;
    }
}

/* ---------------------------------------------------------------- snapshots */

static void s_start_snapshot(gw_held_t *h);

/* The snapshot is in: the view is h's, complete up to end->seq. The stream carries on from
 * where it is: h follows it when the stream is known to hold every event after end->seq. */
static void s_finish_snapshot(void *arg, const Mvoi__SnapshotEnd *end)
{
    gw_held_t *h = arg;
    gw_hold_t *self = h->hold;
    gw_view_t *old = h->view, *nv = h->staging;
    h->staging = NULL;
    if (gw_view_head(nv) < end->seq)
        gw_view_set_head(nv, end->seq);
    /* a resume from a position of an earlier history gets the whole view (hist) */
    s_heard(self, end->epoch, end->has_incarnation ? end->incarnation : 0, end->seq);
    gw_view_set_base(nv, self->hist.floor > end->seq ? self->hist.floor : end->seq);
    gw_view_set_epoch(nv, end->epoch);
    gw_view_set_incarnation(nv, end->has_incarnation ? end->incarnation : 0);
    bool full = follow_snapshot_end(h->fol, end->epoch, end->has_incarnation, end->incarnation);
    /* a snapshot may be the first to show a restart (before any heartbeat of it) */
    if (gw_pubready_beat(&self->pub, end->epoch, end->has_incarnation, end->incarnation,
                         uv_now(self->loop)) && self->cbs.on_restart)
        self->cbs.on_restart(self->cbs.arg);
    uint64_t old_head = gw_view_head(old);
    h->view = nv;
    /* whole stream: known from its first event on; before any event, the first one decides
     * (s_update) */
    h->follows = follow_stream_covers(&self->stream, end->seq);
    follow_snap_destroy(&h->snap);
    log_info("kpi_buyer_snapshot", "buyer %s: %zu totals at seq %" PRIu64 " (epoch %" PRIu64
             ")%s", h->buyer, gw_view_count(nv), end->seq, end->epoch, full ? ", full" : "");
    if (self->cbs.on_resync) {
        const gw_total_t **ch = NULL;   /* full: everything, no list */
        long n = full ? 0 : gw_view_since(nv, old_head, NULL, &ch);
        if (n >= 0)
            self->cbs.on_resync(self->cbs.arg, h, full, ch, n);
        free(ch);
    }
    gw_view_destroy(&old);
    if (!h->follows) {
        self->st.resyncs[FOLLOW_GAP]++;
        follow_resync(h->fol, FOLLOW_GAP);
        s_start_snapshot(h);
    }
    s_set_fresh(h);
}

static void s_snap_total(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    gw_held_t *h = arg;
    /* the range may hold other buyers' totals (a wider prefix): keep h's only */
    if (h->staging && strcmp(gw_clone_buyer(env), h->buyer) == 0)
        gw_clone_put(h->staging, topic, env);
}

static void s_snap_refused(void *arg, const char *message)
{
    gw_held_t *h = arg;
    log_warn("kpi_snapshot_error", "buyer %s: snapshot refused: %s", h->buyer, message);
    h->hold->st.resyncs[FOLLOW_REFUSED]++;
    follow_resync(h->fol, FOLLOW_REFUSED);
}

/* A SnapshotRequest of h's range: its subscription prefix as a segment ("kpi.x." asks
 * "kpi.x" with segment: the keys that equal it or continue with "."). */
static void s_start_snapshot(gw_held_t *h)
{
    gw_hold_t *self = h->hold;
    follow_snap_destroy(&h->snap);
    gw_view_destroy(&h->staging);
    if (!(h->staging = gw_view_new())) {
        follow_snapshot_failed(h->fol, uv_now(self->loop));
        return;
    }
    char prefix[MVOI_TOPIC_MAX];
    snprintf(prefix, sizeof prefix, "%s", h->prefix);
    size_t pl = strlen(prefix);
    if (pl && prefix[pl - 1] == '.')
        prefix[pl - 1] = '\0';
    follow_snap_opts_t so = { .api = self->api, .producer = "gateway", .prefix = prefix,
                              .segment = true, .buyer = h->buyer };
    follow_snap_cbs_t cb = { s_snap_total, s_finish_snapshot, s_snap_refused, h };
    if ((h->snap = follow_snap_new(self->ctx, self->loop, &so, h->fol, &cb)))
        self->st.snapshots++;
}

/* h's view may be behind: say so at once (503), then take a new snapshot of h only. */
static void s_resync(gw_held_t *h, int why)
{
    gw_hold_t *self = h->hold;
    self->st.resyncs[why]++;
    log_info("kpi_buyer_resync", "buyer %s at seq %" PRIu64 " (heartbeat head %" PRIu64 "): "
             "%s, new snapshot", h->buyer, gw_held_head(h), self->beat.head, follow_reasons[why]);
    follow_resync(h->fol, (follow_reason_t)why);
    s_set_fresh(h);
    s_start_snapshot(h);
}

static void s_resync_all(gw_hold_t *self, int why)
{
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        if (follow_settled(h->fol))
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
    s_resync_all(self, FOLLOW_GAP);
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
        if (h->lost && follow_settled(h->fol)) {
            h->lost = false;
            s_resync(h, FOLLOW_GAP);
            n++;
        }
    log_info("kpi_gap_replay", "lost updates %" PRIu64 "..%" PRIu64 ": %zu held buyer(s) "
             "re-snapshot", self->rep_from, self->rep_to, n);
    s_rep_done(self);
}

/* One frame of the replay; false when it is over (the socket is gone). */
static bool s_rep_item(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    gw_hold_t *self = arg;
    (void)topic;
    bool mine = env->request_id && strcmp(env->request_id, self->rep_rid) == 0;
    if (mine && env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && env->kpi_total) {
        uint64_t seq = gw_clone_seq(env);
        gw_held_t *h = gw_hold_find(self, gw_clone_buyer(env));
        /* a buyer whose view already had this seq did not lose it */
        if (h && seq >= self->rep_from && seq <= self->rep_to && seq > h->gap_upto)
            h->lost = true;
    } else if (mine && env->body_case == MVOI__ENVELOPE__BODY_REPLAY_END) {
        s_rep_end(self, env->replay_end);
    } else if (mine && env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        s_rep_fail(self, env->error && env->error->message ? env->error->message
                                                           : "replay refused");
    }
    return self->rep != NULL;
}

static void s_on_rep(bus_sock_t *sock, int events, void *arg)
{
    (void)events;
    follow_bus_drain(sock, 1, 4096, s_rep_item, arg);
}

/* Events from..to never arrived. The aggregator's outbox still has them (unless retention
 * took them): asked again, they say whose they were, and only those buyers re-snapshot. */
static void s_gap(gw_hold_t *self, uint64_t from, uint64_t to)
{
    if (self->rep || self->n == 0 || to < from || to - from >= S_REPLAY_MAX) {
        s_resync_all(self, FOLLOW_GAP);
        return;
    }
    self->rep = follow_bus_dealer(self->ctx, self->loop, self->api, s_on_rep, self);
    if (!self->rep) {
        s_resync_all(self, FOLLOW_GAP);
        return;
    }
    self->rep_from = from;
    self->rep_to = to;
    self->rep_deadline = uv_now(self->loop) + self->snap_timeout_ms;
    snprintf(self->rep_rid, sizeof self->rep_rid, "gw-gap-%" PRIx64 "-%" PRIu64,
             (uint64_t)clock_now_ms(), from);
    if (follow_bus_replay(self->rep, "gateway", self->rep_rid, from,
                          (uint32_t)(to - from + 1)) < 0) {
        s_rep_fail(self, "cannot ask the kpi-aggregator");
        return;
    }
    for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
        h->gap_upto = gw_view_head(h->view);   /* before the update that showed the gap */
    s_each_fresh(self);   /* not fresh until it is known whose the lost events were */
}

/* ---------------------------------------------------------------- the shared stream */

/* A live update: its place in the stream (a gap asks whose the lost events were), then to
 * the held buyer it belongs to (its staging while it loads). */
static void s_update(gw_hold_t *self, const char *topic, const Mvoi__Envelope *env)
{
    uint64_t seq = gw_clone_seq(env), from = 0;
    if (env->epoch)   /* (every published total carries it) */
        s_heard(self, env->epoch, 0, seq);
    switch (follow_stream_event(&self->stream, seq, &from)) {
    case FOLLOW_STREAM_FIRST: {
        /* the first event since the subscription: a buyer whose snapshot ends before it
         * may have missed what came between; asked again, those events say whose */
        uint64_t low = seq;
        for (gw_held_t *h = self->all.next; h != &self->all; h = h->next)
            if (follow_settled(h->fol) && gw_view_head(h->view) + 1 < low)
                low = gw_view_head(h->view) + 1;
        if (low < seq)
            s_gap(self, low, seq - 1);
        break;
    }
    case FOLLOW_STREAM_GAP:   /* events lost, of buyers unknown */
        s_gap(self, from, seq - 1);
        break;
    case FOLLOW_STREAM_OK:
        break;
    }
    gw_held_t *h = gw_hold_find(self, gw_clone_buyer(env));
    if (!h) {
        self->st.unheld++;
        return;
    }
    if (!follow_settled(h->fol)) {
        /* last write wins by seq: the snapshot and the stream may overlap */
        if (h->staging)
            gw_clone_put(h->staging, topic, env);
        return;
    }
    if (gw_clone_put(h->view, topic, env) != 1)
        return;
    self->st.updates++;
    const gw_total_t *t = gw_view_get(h->view, gw_clone_key(env, topic));
    if (t && self->cbs.on_update)
        self->cbs.on_update(self->cbs.arg, h, t);
}

static void s_heartbeat(gw_hold_t *self, const Mvoi__Heartbeat *hb)
{
    follow_beat_set(&self->beat, uv_now(self->loop), hb->head_seq, hb->epoch,
                    hb->has_incarnation, hb->incarnation);
    s_heard(self, hb->epoch, hb->has_incarnation ? hb->incarnation : 0, hb->head_seq);
    if (gw_pubready_beat(&self->pub, hb->epoch, hb->has_incarnation, hb->incarnation,
                         uv_now(self->loop)) && self->cbs.on_restart)
        self->cbs.on_restart(self->cbs.arg);
    uint64_t from = 0;
    /* the heartbeat follows its head on the pipe: the events after the stream's head were
     * lost; asked again, they say whose they were (s_gap accounts for them) */
    if (self->n > 0 && gw_view_epoch(self->all.next->view) == self->beat.epoch &&
        follow_stream_beat(&self->stream, self->beat.head, &from))
        s_gap(self, from, self->beat.head);
    for (gw_held_t *h = self->all.next, *next; h != &self->all; h = next) {
        next = h->next;
        int why = follow_heartbeat(h->fol, &self->beat, gw_held_head(h));
        if (why >= 0)
            s_resync(h, why);
        else if (follow_settled(h->fol))
            s_set_fresh(h);
    }
}

/* One message of the shared stream: a heartbeat, or a total of some buyer. */
static bool s_sub_msg(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    gw_hold_t *self = arg;
    if (env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT && env->heartbeat)
        s_heartbeat(self, env->heartbeat);
    else if (env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && env->kpi_total)
        s_update(self, topic, env);
    return true;
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg)
{
    (void)events;
    follow_bus_drain(sock, 2, 1000, s_sub_msg, arg);
}

/* The SUB socket (re)connected: whatever was published while it was away is lost (PUB
 * drops for absent peers). */
static void s_on_mon(bus_sock_t *sock, int events, void *arg)
{
    gw_hold_t *self = arg;
    (void)events;
    if (!bus_monitor_connections(sock))
        return;
    follow_stream_reset(&self->stream);
    s_resync_all(self, FOLLOW_RECONNECT);
}

/* ---------------------------------------------------------------- holding and dropping */

static void s_free(gw_held_t *h)
{
    follow_snap_destroy(&h->snap);
    gw_view_destroy(&h->view);
    gw_view_destroy(&h->staging);
    follow_destroy(&h->fol);
    free(h);
}

/* A new held buyer, not yet linked: NULL when out of memory or a bad buyer. */
static gw_held_t *s_held_new(gw_hold_t *self, const char *buyer)
{
    gw_held_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->hold = self;
    snprintf(h->buyer, sizeof h->buyer, "%s", buyer);
    follow_opts_t fo = { .stale_ms = self->stale_ms, .snapshot_timeout_ms = self->snap_timeout_ms,
                         .publisher = "kpi-aggregator",
                         .loading = "loading the KPI totals of buyer %s", .loading_arg = h->buyer };
    h->fol = follow_new(&fo);
    h->view = gw_view_new();
    if (!h->fol || !h->view || strlen(buyer) >= sizeof h->buyer ||
        gw_hold_topic_prefix(buyer, h->prefix, sizeof h->prefix) < 0 ||
        bus_subscribe(self->sub, MVOI_TOPIC_KPI_PREFIX) < 0) {
        s_free(h);
        return NULL;
    }
    return h;
}

gw_held_t *gw_hold_get(gw_hold_t *self, const char *buyer)
{
    gw_held_t *h = gw_hold_find(self, buyer);
    if (h) {
        h->used = uv_now(self->loop);
        return h;
    }
    if (!(h = s_held_new(self, buyer)))
        return NULL;
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
        follow_stream_reset(&self->stream);   /* "kpi." is no longer subscribed */
    if (follow_fresh(h->fol))
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
        follow_tick_t tick = follow_tick(h->fol, now);
        if (tick == FOLLOW_LATE)
            log_warn("kpi_snapshot_retry", "buyer %s: no snapshot from %s yet: asking again",
                     h->buyer, self->api);
        if (tick != FOLLOW_WAIT)
            s_start_snapshot(h);
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
    if (self->sub && bus_subscribe(self->sub, MVOI_TOPIC_HB) == 0)
        self->mon = bus_monitor_new(ctx, loop, self->sub, s_on_mon, self);
    if (!self->mon || bus_connect(self->sub, o->pub) < 0 ||
        bus_watch(self->sub, ZMQ_POLLIN, s_on_sub, self) < 0) {
        bus_sock_destroy(&self->mon);
        bus_sock_destroy(&self->sub);
        free(self);
        return NULL;
    }
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_start(&self->timer, s_on_timer, follow_tick_ms(self->stale_ms),
                   follow_tick_ms(self->stale_ms));
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

void gw_hold_health(gw_hold_t *self, const Mvoi__HealthReply *h)
{
    if (!self)
        return;
    gw_pubready_health(&self->pub, h, uv_now(self->loop));
    for (gw_held_t *b = self->all.next; b != &self->all; b = b->next)
        if (follow_settled(b->fol))
            s_set_fresh(b);
}
