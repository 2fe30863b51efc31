/*  mvoi_zap: the ZAP handler on the service's loop. See mvoi_zap.h. */
#include "mvoi_zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"

#define ZAP_FRAMES_MAX 8
#define ZAP_LOGGED 256      /* refusals remembered so that each key+address is logged once */

struct mvoi_zap {
    bus_sock_t *sock;
    const mvoi_auth_t *auth;
    mvoi_zap_stats_t stats;
    uint64_t logged[ZAP_LOGGED];
    unsigned nlogged;
};

typedef struct {
    zmq_msg_t f[ZAP_FRAMES_MAX];
    int n;
    bool overflow;
} zap_req_t;

static uint64_t s_hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *a; a++)
        h = (h ^ (uint8_t)*a) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (; *b; b++)
        h = (h ^ (uint8_t)*b) * 1099511628211ULL;
    return h;
}

/* Once per key and address: a client retrying every second must not flood the log. */
static bool s_first_time(mvoi_zap_t *self, const char *key, const char *addr)
{
    uint64_t h = s_hash(key, addr);
    for (unsigned i = 0; i < self->nlogged && i < ZAP_LOGGED; i++)
        if (self->logged[i] == h)
            return false;
    self->logged[self->nlogged++ % ZAP_LOGGED] = h;
    return true;
}

static void s_frame_str(zap_req_t *r, int i, char *out, size_t cap)
{
    size_t n = i < r->n ? zmq_msg_size(&r->f[i]) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, zmq_msg_data(&r->f[i]), n);
    out[n] = 0;
    for (size_t k = 0; k < n; k++)     /* printable only: it goes into a log line */
        if ((unsigned char)out[k] < 0x20 || (unsigned char)out[k] > 0x7e)
            out[k] = '?';
}

static void s_reply(mvoi_zap_t *self, zap_req_t *r, const char *code, const char *text,
                    const char *user)
{
    void *z = bus_sock_zmq(self->sock);
    const void *rid = r->n > 1 ? zmq_msg_data(&r->f[1]) : "";
    size_t ridlen = r->n > 1 ? zmq_msg_size(&r->f[1]) : 0;
    /* A REP socket in the same context, inproc: these sends do not block. */
    zmq_send(z, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, rid, ridlen, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, code, strlen(code), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, user, strlen(user), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, "", 0, ZMQ_DONTWAIT);
}

static uint64_t s_refused_total;

uint64_t mvoi_zap_refused_total(void) { return s_refused_total; }

static void s_refuse(mvoi_zap_t *self, zap_req_t *r, const char *reason, const char *key,
                     const char *text)
{
    s_refused_total++;
    char addr[64], domain[16];
    s_frame_str(r, 3, addr, sizeof addr);
    s_frame_str(r, 2, domain, sizeof domain);
    if (s_first_time(self, key, addr)) {
        const char *kv[] = { "reason", reason, "key", key, "address", addr, "domain", domain,
                             NULL };
        log_emit(LOG_WARN, "zap_refused", kv, "connection refused (%s): %s", reason, text);
    }
    s_reply(self, r, "400", text, "");
}

static void s_decide(mvoi_zap_t *self, zap_req_t *r)
{
    char mech[16], domain[16], z85[41] = "";
    s_frame_str(r, 5, mech, sizeof mech);
    s_frame_str(r, 2, domain, sizeof domain);
    if (r->overflow || r->n != 7 || strcmp(mech, "CURVE") != 0 || zmq_msg_size(&r->f[6]) != 32) {
        self->stats.refused_other++;
        s_refuse(self, r, "not_curve", "", "only CURVE with a client key is accepted");
        return;
    }
    zmq_z85_encode(z85, zmq_msg_data(&r->f[6]), 32);
    const mvoi_key_t *k = mvoi_auth_find_pub(self->auth, z85);
    if (!k) {
        self->stats.refused_unknown++;
        s_refuse(self, r, "unknown_key", z85, "the client key is not in the key registry");
        return;
    }
    char why[256];
    if (strcmp(domain, "pub") == 0 && mvoi_auth_allow(k, MVOI_ACT_STREAM, NULL, TEXT_EN,
                                                      why, sizeof why) != 0) {
        self->stats.refused_stream++;
        s_refuse(self, r, "stream_needs_all_buyers", k->name, why);
        return;
    }
    self->stats.admitted++;
    /* The public key, not the name: a key replaced under the same name in a reload must
     * not carry the old connection's rights over (server_auth.c looks it up per request). */
    s_reply(self, r, "200", "OK", k->pub);
}

static void s_on_request(bus_sock_t *sock, int events, void *arg)
{
    mvoi_zap_t *self = arg;
    if (!(events & ZMQ_POLLIN))
        return;
    void *z = bus_sock_zmq(sock);
    for (int budget = 0; budget < 256; budget++) {
        zap_req_t r = { .n = 0 };
        bool more = true;
        zmq_msg_t spill;
        while (more) {
            zmq_msg_t *m = r.n < ZAP_FRAMES_MAX ? &r.f[r.n] : &spill;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, z, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(m);
                for (int i = 0; i < r.n; i++)
                    zmq_msg_close(&r.f[i]);
                return;     /* EAGAIN: drained */
            }
            more = zmq_msg_more(m);
            if (m == &spill) {
                r.overflow = true;
                zmq_msg_close(m);
            } else
                r.n++;
        }
        s_decide(self, &r);
        for (int i = 0; i < r.n; i++)
            zmq_msg_close(&r.f[i]);
    }
}

mvoi_zap_t *mvoi_zap_new(bus_ctx_t *ctx, uv_loop_t *loop, const mvoi_auth_t *auth, int *err)
{
    mvoi_zap_t *self = calloc(1, sizeof *self);
    bus_opts_t o;
    bus_opts_default(&o);
    o.heartbeat_ivl_ms = 0;
    o.linger_ms = 0;
    if (!self || !auth) {
        free(self);
        *err = -EINVAL;
        return NULL;
    }
    self->auth = auth;
    self->sock = bus_sock_new(ctx, loop, ZMQ_REP, &o);
    int rc = self->sock ? bus_bind(self->sock, MVOI_ZAP_ENDPOINT) : -ENOMEM;
    if (rc == 0)
        rc = bus_watch(self->sock, ZMQ_POLLIN, s_on_request, self);
    if (rc != 0) {
        *err = rc;
        mvoi_zap_destroy(&self);
        return NULL;
    }
    return self;
}

void mvoi_zap_destroy(mvoi_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_sock_destroy(&(*self_p)->sock);
    free(*self_p);
    *self_p = NULL;
}

void mvoi_zap_stats(const mvoi_zap_t *self, mvoi_zap_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (self)
        *out = self->stats;
}

void mvoi_zap_set_auth(mvoi_zap_t *self, const mvoi_auth_t *auth)
{
    if (self && auth)
        self->auth = auth;
}
