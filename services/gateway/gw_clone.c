/*  gw_clone: Clone client of the kpi-aggregator (gw_clone.h); the follower's rules are
 *  follow.h's, its sockets follow_bus.h's. */
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
#include "gw_pubready.h"
#include "log.h"
#include "mvoi_contract.h"
#include "pbjson.h"

struct gw_clone_t {
    uv_loop_t *loop;
    bus_ctx_t *ctx;
    char api[CFG_ENDPOINT_MAX + 1];   /* config.c bounds it */
    bool (*keep)(const Mvoi__KpiTotal *t);
    gw_clone_cbs_t cbs;
    bus_sock_t *sub;
    follow_snap_t *snap;          /* the snapshot asked for, NULL: none */
    bus_sock_t *mon;              /* PAIR: the SUB socket's monitor (reconnections) */
    uv_timer_t timer;
    follow_t *fol;
    follow_beat_t beat;
    gw_pubready_t pub;             /* the aggregator's own account of its totals */
    gw_view_t *view, *staging;
    bool sub_paused;
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

uint64_t gw_clone_seq(const Mvoi__Envelope *env)
{
    if (env->has_seq && env->seq)
        return env->seq;
    return env->kpi_total && env->kpi_total->has_seq ? env->kpi_total->seq : 0;
}

const char *gw_clone_buyer(const Mvoi__Envelope *env)
{
    if (env->kpi_total && env->kpi_total->buyer && *env->kpi_total->buyer)
        return env->kpi_total->buyer;
    return env->buyer ? env->buyer : "";
}

const char *gw_clone_key(const Mvoi__Envelope *env, const char *topic)
{
    return env->kpi_total->key && *env->kpi_total->key ? env->kpi_total->key : topic;
}

int gw_clone_put(gw_view_t *v, const char *topic, const Mvoi__Envelope *env)
{
    size_t len = 0;
    char *j = gw_clone_total_json(env, &len);
    if (!j)
        return -EPROTO;
    int rc = gw_view_put(v, gw_clone_key(env, topic), gw_clone_buyer(env), gw_clone_seq(env),
                         j, len);
    free(j);
    return rc;
}

static int s_put(gw_clone_t *self, gw_view_t *v, const char *topic, const Mvoi__Envelope *env)
{
    if (self->keep && !self->keep(env->kpi_total)) {
        if (gw_clone_seq(env) > gw_view_head(v))
            gw_view_set_head(v, gw_clone_seq(env));
        return 0;
    }
    return gw_clone_put(v, topic, env);
}

static void s_set_fresh(gw_clone_t *self)
{
    if (!follow_judge(self->fol, &self->beat, uv_now(self->loop), gw_view_head(self->view),
                      gw_pubready_hold(&self->pub)))
        return;
    bool fresh = follow_fresh(self->fol);
    log_info(fresh ? "kpi_fresh" : "kpi_stale", "KPI view %s%s", fresh ? "fresh" : "stale: ",
             follow_why(self->fol));
    if (self->cbs.on_fresh)
        self->cbs.on_fresh(self->cbs.arg, fresh);
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg);

static void s_pause_sub(gw_clone_t *self, bool pause)
{
    if (pause && !self->sub_paused)
        bus_watch(self->sub, 0, NULL, NULL);
    else if (!pause && self->sub_paused)
        bus_watch(self->sub, ZMQ_POLLIN, s_on_sub, self);
    self->sub_paused = pause;
}

static void s_snap_total(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    gw_clone_t *self = arg;
    if (self->staging)
        s_put(self, self->staging, topic, env);
}

static void s_snap_refused(void *arg, const char *message)
{
    (void)arg;
    log_warn("kpi_snapshot_error", "snapshot refused: %s", message);
}

static void s_finish_snapshot(void *arg, const Mvoi__SnapshotEnd *end)
{
    gw_clone_t *self = arg;
    gw_view_t *old = self->view, *nv = self->staging;
    self->staging = NULL;
    gw_view_set_head(nv, end->seq);
    gw_view_set_base(nv, end->seq);
    gw_view_set_epoch(nv, end->epoch);
    gw_view_set_incarnation(nv, end->has_incarnation ? end->incarnation : 0);
    bool full = follow_snapshot_end(self->fol, end->epoch, end->has_incarnation,
                                    end->incarnation);
    gw_pubready_beat(&self->pub, end->epoch, end->has_incarnation, end->incarnation,
                     uv_now(self->loop));
    uint64_t old_head = gw_view_head(old);
    /* (a store put back to an older copy goes back within its epoch under a new
     * incarnation: full, follow_snapshot_end) */
    self->view = nv;
    self->st.snapshot_items = gw_view_count(nv);
    follow_snap_destroy(&self->snap);
    log_info("kpi_snapshot", "KPI snapshot: %zu totals at seq %" PRIu64 " (epoch %" PRIu64 ")%s",
             gw_view_count(nv), end->seq, end->epoch, full ? ", full" : "");
    if (self->cbs.on_resync) {
        const gw_total_t **ch = NULL;   /* full: everything, no list */
        long n = full ? 0 : gw_view_since(nv, old_head, NULL, &ch);
        if (n >= 0)
            self->cbs.on_resync(self->cbs.arg, full, ch, n);
        free(ch);
    }
    gw_view_destroy(&old);
    s_pause_sub(self, false);
    s_set_fresh(self);
}

static void s_start_snapshot(gw_clone_t *self)
{
    follow_snap_destroy(&self->snap);
    gw_view_destroy(&self->staging);
    if (!(self->staging = gw_view_new())) {
        follow_snapshot_failed(self->fol, uv_now(self->loop));
        return;
    }
    follow_snap_opts_t so = { .api = self->api, .producer = "gateway",
                              .prefix = MVOI_TOPIC_KPI_PREFIX };
    follow_snap_cbs_t cb = { s_snap_total, s_finish_snapshot, s_snap_refused, self };
    self->snap = follow_snap_new(self->ctx, self->loop, &so, self->fol, &cb);
    self->st.snapshots = follow_snapshots(self->fol);
    if (self->snap)
        s_pause_sub(self, true);   /* leave updates queued until the snapshot is in */
}

/* The view may be behind: say so at once (503), then take a new snapshot. */
static void s_resync(gw_clone_t *self, int why)
{
    follow_resync(self->fol, (follow_reason_t)why);
    self->st.resyncs[why] = follow_resyncs(self->fol, (follow_reason_t)why);
    log_info("kpi_resync", "KPI view at seq %" PRIu64 " (heartbeat head %" PRIu64 "): %s, "
             "new snapshot", gw_view_head(self->view), self->beat.head, follow_reasons[why]);
    s_set_fresh(self);
    s_start_snapshot(self);
}

/* A heartbeat: the reason to resync, or -1. */
static int s_heartbeat(gw_clone_t *self, const Mvoi__Heartbeat *hb)
{
    follow_beat_set(&self->beat, uv_now(self->loop), hb->head_seq, hb->epoch,
                    hb->has_incarnation, hb->incarnation);
    gw_pubready_beat(&self->pub, hb->epoch, hb->has_incarnation, hb->incarnation,
                     uv_now(self->loop));
    int why = follow_heartbeat(self->fol, &self->beat, gw_view_head(self->view));
    if (why < 0)
        s_set_fresh(self);
    return why;
}

/* A live update: the reason to resync, or -1. The aggregator's stream is gap-free (every
 * event is one total) and we subscribe to all of it, so seq must follow the view's head. */
static int s_update(gw_clone_t *self, const char *topic, const Mvoi__Envelope *env)
{
    if (!follow_live(self->fol))
        return -1;
    int why = follow_update(self->fol, gw_clone_seq(env), gw_view_head(self->view));
    if (why >= 0)
        return why;
    if (s_put(self, self->view, topic, env) == 1) {
        self->st.updates++;
        const gw_total_t *t = gw_view_get(self->view, gw_clone_key(env, topic));
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
    if (!bus_monitor_connections(sock))
        return;
    if (follow_live(self->fol))
        s_resync(self, FOLLOW_RECONNECT);
    else
        s_start_snapshot(self);   /* a snapshot taken before the SUB was connected may miss */
}

/* One message of the live stream; false when it showed the view behind (the SUB stays
 * paused until the new snapshot is in). */
static bool s_sub_msg(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    gw_clone_t *self = arg;
    int why = env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT && env->heartbeat
                  ? s_heartbeat(self, env->heartbeat)
              : env->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL && env->kpi_total
                  ? s_update(self, topic, env)
                  : -1;
    if (why < 0)
        return true;
    s_resync(self, why);
    return false;
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg)
{
    gw_clone_t *self = arg;
    (void)events;
    if (!self->sub_paused)
        follow_bus_drain(sock, 2, 1000, s_sub_msg, self);
}

static void s_on_timer(uv_timer_t *t)
{
    gw_clone_t *self = t->data;
    follow_tick_t tick = follow_tick(self->fol, uv_now(self->loop));
    if (tick == FOLLOW_LATE)
        log_warn("kpi_snapshot_retry", "no snapshot from %s yet: asking again", self->api);
    if (tick != FOLLOW_WAIT)
        s_start_snapshot(self);
    s_set_fresh(self);
}

static int s_open(gw_clone_t *self, const char *pub)
{
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.rcvhwm = 1000000;           /* queue a lot while a snapshot loads */
    self->sub = bus_sock_new(self->ctx, self->loop, ZMQ_SUB, &bo);
    if (!self->sub || bus_subscribe(self->sub, MVOI_TOPIC_KPI_PREFIX) < 0 ||
        bus_subscribe(self->sub, MVOI_TOPIC_HB) < 0)
        return -EIO;
    self->mon = bus_monitor_new(self->ctx, self->loop, self->sub, s_on_mon, self);
    return self->mon && bus_connect(self->sub, pub) == 0 ? 0 : -EIO;
}

gw_clone_t *gw_clone_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_clone_opts_t *o,
                         const gw_clone_cbs_t *cbs)
{
    gw_clone_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    follow_opts_t fo = { .stale_ms = o->stale_ms, .snapshot_timeout_ms = o->snapshot_timeout_ms,
                         .snapshot_wait_ms = o->snapshot_wait_ms ? o->snapshot_wait_ms : 60000,
                         .publisher = "kpi-aggregator", .loading = "loading the KPI snapshot" };
    self->fol = follow_new(&fo);
    self->view = gw_view_new();
    self->loop = loop;
    self->ctx = ctx;
    snprintf(self->api, sizeof self->api, "%s", o->api);
    self->keep = o->keep;
    if (cbs)
        self->cbs = *cbs;
    if (!self->fol || !self->view || s_open(self, o->pub) < 0) {
        bus_sock_destroy(&self->mon);
        bus_sock_destroy(&self->sub);
        gw_view_destroy(&self->view);
        follow_destroy(&self->fol);
        free(self);
        return NULL;
    }
    self->sub_paused = true;       /* s_start_snapshot keeps it paused until the end */
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_start(&self->timer, s_on_timer, follow_tick_ms(o->stale_ms),
                   follow_tick_ms(o->stale_ms));
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
    follow_snap_destroy(&self->snap);
    bus_sock_destroy(&self->mon);
    bus_sock_destroy(&self->sub);
    gw_view_destroy(&self->view);
    gw_view_destroy(&self->staging);
    follow_destroy(&self->fol);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_free_timer);
}

gw_view_t *gw_clone_view(gw_clone_t *self) { return self->view; }
bool gw_clone_fresh(gw_clone_t *self) { return follow_fresh(self->fol); }
const char *gw_clone_why(gw_clone_t *self, text_lang_t lang, char *buf, size_t len)
{
    follow_why_say(self->fol, lang, buf, len);
    return buf;
}

void gw_clone_health(gw_clone_t *self, const Mvoi__HealthReply *h)
{
    if (!self)
        return;
    gw_pubready_health(&self->pub, h, uv_now(self->loop));
    if (follow_settled(self->fol))
        s_set_fresh(self);
}

void gw_clone_stats(gw_clone_t *self, gw_clone_stats_t *out)
{
    *out = self->st;
    out->view_seq = gw_view_head(self->view);
    out->hb_head = self->beat.head;
    out->epoch = gw_view_epoch(self->view);
    out->hb_age_ms = self->beat.at ? (int64_t)(uv_now(self->loop) - self->beat.at) : -1;
    out->totals = gw_view_count(self->view);
    out->live = follow_live(self->fol);
    out->fresh = follow_fresh(self->fol);
}
