/*  gw_upstream: DEALER client with pending-request table and timeouts (gw_upstream.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus_monitor.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "gw_upstream.h"
#include "log.h"
#include "mvoi_id.h"

const double GW_UP_BUCKETS[GW_UP_NBUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5 };

/* A request id as the services take it (at most 128 bytes: common/server_int.h); a longer
 * one is refused here, not cut: a cut id never matches its reply. */
#define S_RID_MAX 128

typedef struct s_pending {
    struct s_pending *next, *prev;
    uint64_t id;
    char rid[S_RID_MAX + 1];
    char buyer[MVOI_ID_BUYER_MAX + 1];   /* with rid, what names the reply (server.c) */
    gw_up_fn *fn;
    void *arg;
    uint64_t deadline, started;
    bool health;
    uint8_t *wire;             /* the request as sent: sent again on a new connection */
    size_t wire_len;
} s_pending_t;

struct gw_upstream_t {
    uv_loop_t *loop;
    bus_sock_t *sock;
    bus_sock_t *mon;           /* sock's connections (bus_monitor) */
    bool connected;            /* the first connection was seen */
    char name[32];
    bool key_refusal_logged;   /* gw_upstream_first_key_refusal */
    char endpoint[CFG_ENDPOINT_MAX + 1];   /* config.c bounds it */
    uint32_t timeout_ms, health_ms;
    uv_timer_t timer;
    s_pending_t head;          /* circular list */
    uint64_t next_id;
    uint64_t last_health_ms;
    uint64_t last_health_sent;
    gw_upstream_stats_t st;
    Mvoi__HealthReply last;
    void (*on_health)(void *arg, const Mvoi__HealthReply *h);
    void *on_health_arg;
    bool closing;
};

static uint64_t s_now(gw_upstream_t *self) { return uv_now(self->loop); }

static void s_unlink(s_pending_t *p)
{
    p->prev->next = p->next;
    p->next->prev = p->prev;
    p->next = p->prev = p;
}

static void s_on_health(void *arg, int rc, Mvoi__Envelope *reply)
{
    gw_upstream_t *self = arg;
    if (rc == 0 && reply->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY) {
        Mvoi__HealthReply *h = reply->health_reply;
        self->last_health_ms = s_now(self);
        self->st.have_health = true;
        self->st.ready = h->ready;
        self->st.head_seq = h->head_seq;
        self->st.outbox_backlog = h->outbox_backlog;
        self->st.auth_refused = h->auth_refused;
        self->st.have_undecodable = h->has_undecodable_records;
        self->st.undecodable = h->undecodable_records;
        self->st.map_size = h->map_size;
        self->st.map_used = h->map_used;
        self->st.storage_ok = !h->has_storage_ok || h->storage_ok;
        self->st.have_deliveries = h->has_dead_letters;
        self->st.dead_letters = h->dead_letters;
        self->st.unconfirmed = h->unconfirmed_deliveries;
        self->st.have_retrying = h->has_retrying_deliveries;
        self->st.retrying = h->retrying_deliveries;
        self->st.nfail = 0;
        for (size_t i = 0; i < h->n_write_failures && i < GW_UP_MAX_REASONS; i++) {
            Mvoi__WriteFailures *w = h->write_failures[i];
            snprintf(self->st.fail[i].reason, sizeof self->st.fail[i].reason, "%s",
                     w->reason ? w->reason : "other");
            self->st.fail[i].count = w->count;
            self->st.nfail++;
        }
        self->st.nlag = 0;
        for (size_t i = 0; i < h->n_inbox && i < GW_UP_MAX_FEEDS; i++) {
            Mvoi__InboxLag *l = h->inbox[i];
            snprintf(self->st.lag[i].producer, sizeof self->st.lag[i].producer, "%s",
                     l->producer ? l->producer : "");
            self->st.lag[i].last = l->last_seq;
            self->st.lag[i].head = l->head_seq;
            self->st.lag[i].resyncs = l->resyncs;
            self->st.lag[i].replays = l->replays;
            self->st.lag[i].rebuilds = l->rebuilds;
            self->st.lag[i].rebuilding = l->rebuilding;
            self->st.nlag++;
        }
        if (self->on_health)
            self->on_health(self->on_health_arg, h);
    }
    codec_free(&reply);
}

/* Packs req into p->wire and sends it. */
static int s_send(gw_upstream_t *self, s_pending_t *p, Mvoi__Envelope *req)
{
    int rc = codec_pack(req, &p->wire, &p->wire_len);
    if (rc < 0)
        return rc;
    bus_frame_t f = { p->wire, p->wire_len };
    return bus_send(self->sock, &f, 1);
}

static int s_request(gw_upstream_t *self, Mvoi__Envelope *req, gw_up_fn *fn, void *arg,
                     uint64_t *id, bool health)
{
    if (self->closing)
        return -ECANCELED;
    s_pending_t *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->id = ++self->next_id;
    char *saved = req->request_id;
    const char *buyer = req->buyer ? req->buyer : "";
    if (strlen(buyer) >= sizeof p->buyer
        || (req->request_id && strlen(req->request_id) >= sizeof p->rid)) {
        free(p);
        return -ENAMETOOLONG;
    }
    memcpy(p->buyer, buyer, strlen(buyer) + 1);
    if (!req->request_id || !*req->request_id) {
        snprintf(p->rid, sizeof p->rid, "gw-%" PRIx64 "-%" PRIu64, clock_now_ms(), p->id);
        req->request_id = p->rid;
    } else {
        memcpy(p->rid, req->request_id, strlen(req->request_id) + 1);
        /* A second in-flight request of the same buyer with the same id would take the
         * first one's reply. Another buyer's is another request: the services key their
         * replies by buyer and id, and answer with both (server.c, report). */
        for (s_pending_t *q = self->head.next; q != &self->head; q = q->next)
            if (strcmp(q->rid, p->rid) == 0 && strcmp(q->buyer, p->buyer) == 0) {
                free(p);
                return -EBUSY;
            }
    }
    if (!req->has_schema_version) {
        req->has_schema_version = true;
        req->schema_version = CODEC_SCHEMA_VERSION;
    }
    if (!req->producer)
        req->producer = "gateway";
    int rc = s_send(self, p, req);
    req->request_id = saved;
    if (rc < 0) {
        free(p->wire);
        free(p);
        if (!health)
            self->st.errors++;
        return rc == -EAGAIN ? -EAGAIN : rc;
    }
    p->fn = fn;
    p->arg = arg;
    p->health = health;
    p->started = s_now(self);
    p->deadline = p->started + self->timeout_ms;
    p->prev = self->head.prev;
    p->next = &self->head;
    self->head.prev->next = p;
    self->head.prev = p;
    if (!health) {
        self->st.requests++;
        self->st.pending++;
    }
    if (id)
        *id = p->id;
    return 0;
}

int gw_upstream_request(gw_upstream_t *self, Mvoi__Envelope *req, gw_up_fn *fn, void *arg,
                        uint64_t *id)
{
    return s_request(self, req, fn, arg, id, false);
}

void gw_upstream_forget(gw_upstream_t *self, uint64_t id)
{
    for (s_pending_t *p = self->head.next; p != &self->head; p = p->next)
        if (p->id == id) {
            p->fn = NULL;
            return;
        }
}

static void s_finish(gw_upstream_t *self, s_pending_t *p, int rc, Mvoi__Envelope *reply)
{
    s_unlink(p);
    if (!p->health) {
        self->st.pending--;
        if (rc == 0) {
            self->st.replies++;
            double s = (double)(s_now(self) - p->started) / 1000.0;
            self->st.latency_sum_s += s;
            for (int i = 0; i < GW_UP_NBUCKETS; i++)
                if (s <= GW_UP_BUCKETS[i])
                    self->st.latency_le[i]++;
        } else if (rc == -ETIMEDOUT) {
            self->st.timeouts++;
        } else {
            self->st.errors++;
        }
    }
    if (p->fn)
        p->fn(p->arg, rc, reply);
    else
        codec_free(&reply);
    free(p->wire);
    free(p);
}

static void s_on_readable(bus_sock_t *sock, int events, void *arg)
{
    gw_upstream_t *self = arg;
    for (int budget = 0; budget < 256; budget++) {
        bus_msg_t m;
        int rc = bus_recv(sock, &m);
        if (rc < 0)
            break;
        int idx = m.nparts - 1;
        int err = 0;
        Mvoi__Envelope *env = codec_unpack(bus_msg_data(&m, idx), bus_msg_size(&m, idx), 0, &err);
        bus_msg_close(&m);
        if (!env)
            continue;
        s_pending_t *p = NULL;
        const char *rbuyer = env->buyer ? env->buyer : "";
        if (env->request_id)
            for (s_pending_t *q = self->head.next; q != &self->head; q = q->next)
                if (strcmp(q->rid, env->request_id) == 0 && strcmp(q->buyer, rbuyer) == 0) {
                    p = q;
                    break;
                }
        if (!p) {            /* late reply after a timeout */
            codec_free(&env);
            continue;
        }
        s_finish(self, p, 0, env);
        if (self->closing)
            break;
    }
}

/* The DEALER connected again. The connection before it is gone, and with it each request
 * under way on it or its reply: a service drops what it had not answered when it restarts
 * or closes a connection whose heartbeat timed out (it was stopped a few seconds). The
 * client waited timeout_ms for a service that was back within a second, and got a 504.
 * Each request under way is sent again now, as it was: the services keep their replies by
 * buyer and request id (server.h), so a command already done is answered from that store,
 * not done twice, and a reply to the first send that comes after all is the same reply,
 * taken once by its id. The first connection carries what was sent before it. */
static void s_on_mon(bus_sock_t *sock, int events, void *arg)
{
    gw_upstream_t *self = arg;
    (void)events;
    if (!bus_monitor_reconnected(sock, &self->connected))
        return;
    unsigned sent = 0, refused = 0;
    for (s_pending_t *p = self->head.next; p != &self->head; p = p->next) {
        bus_frame_t f = { p->wire, p->wire_len };
        if (bus_send(self->sock, &f, 1) == 0)
            sent++;
        else
            refused++;   /* gone again: the next connection sends it, or it times out */
    }
    self->st.resent += sent;
    if (sent || refused)
        log_info("upstream_resent", "%s (%s) connected again: %u request(s) under way sent "
                 "again, %u not sent", self->name, self->endpoint, sent, refused);
}

static void s_on_timer(uv_timer_t *t)
{
    gw_upstream_t *self = t->data;
    uint64_t now = s_now(self);
    for (s_pending_t *p = self->head.next; p != &self->head;) {
        s_pending_t *next = p->next;
        if (p->deadline <= now)
            s_finish(self, p, -ETIMEDOUT, NULL);
        p = next;
    }
    if (self->health_ms && now - self->last_health_sent >= self->health_ms) {
        bool busy = false;
        for (s_pending_t *p = self->head.next; p != &self->head; p = p->next)
            busy |= p->health;
        if (!busy) {
            Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
            Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
            env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
            env.health = &hr;
            /* not connected yet (ZMQ_IMMEDIATE): try again on the next tick */
            if (s_request(self, &env, s_on_health, self, NULL, true) == 0)
                self->last_health_sent = now;
        }
    }
    self->st.up = self->last_health_ms &&
                  now - self->last_health_ms <= 3ull * (self->health_ms ? self->health_ms : 2000);
}

gw_upstream_t *gw_upstream_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_upstream_opts_t *o)
{
    gw_upstream_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    snprintf(self->name, sizeof self->name, "%s", o->name);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", o->endpoint);
    self->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
    self->health_ms = o->health_ms;
    self->head.next = self->head.prev = &self->head;
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.immediate = true;          /* no queueing towards a service that is not there */
    bo.linger_ms = 0;
    bo.maxmsgsize = 64ll << 20;   /* big snapshots and lists */
    self->sock = bus_sock_new(ctx, loop, ZMQ_DEALER, &bo);
    /* the monitor before the connection, so that its first handshake is seen as the first */
    if (!self->sock || !(self->mon = bus_monitor_new(ctx, loop, self->sock, s_on_mon, self))
        || bus_connect(self->sock, o->endpoint) < 0) {
        bus_sock_destroy(&self->mon);
        bus_sock_destroy(&self->sock);
        free(self);
        return NULL;
    }
    bus_watch(self->sock, ZMQ_POLLIN, s_on_readable, self);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_start(&self->timer, s_on_timer, 10, 50);
    self->st.name = self->name;
    self->st.endpoint = self->endpoint;
    return self;
}

static void s_free_timer(uv_handle_t *h) { free(h->data); }

void gw_upstream_destroy(gw_upstream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_upstream_t *self = *self_p;
    *self_p = NULL;
    self->closing = true;
    while (self->head.next != &self->head)
        s_finish(self, self->head.next, -ECANCELED, NULL);
    bus_sock_destroy(&self->mon);
    bus_sock_destroy(&self->sock);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_free_timer);
}

const char *gw_upstream_name(const gw_upstream_t *self) { return self->name; }

bool gw_upstream_first_key_refusal(gw_upstream_t *self)
{
    bool first = !self->key_refusal_logged;
    self->key_refusal_logged = true;
    return first;
}

void gw_upstream_stats(gw_upstream_t *self, gw_upstream_stats_t *out)
{
    *out = self->st;
    out->up = self->last_health_ms &&
              s_now(self) - self->last_health_ms <= 3ull * (self->health_ms ? self->health_ms : 2000);
}

void gw_upstream_on_health(gw_upstream_t *self,
                           void (*fn)(void *arg, const Mvoi__HealthReply *h), void *arg)
{
    self->on_health = fn;
    self->on_health_arg = arg;
}

void gw_upstream_health_soon(gw_upstream_t *self)
{
    if (self)
        self->last_health_sent = 0;
}
