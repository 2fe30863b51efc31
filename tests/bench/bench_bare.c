/*  bench_bare: the chain's messaging without its work (bench_bare.h). */
#define _GNU_SOURCE   /* mkdtemp */
#include "bench_bare.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "envelope.pb-c.h"

#define S_TOPIC "impact.computed"
#define S_TURN 256          /* requests taken per turn, as a service's batch (server.h) */
#define S_POLL_MS 50        /* how soon a stand-in sees the stop flag */

struct bench_bare_t {
    bench_bare_opts_t o;
    char dir[64], api[128], ipub[128], kpub[128];
    void *ictx, *kctx, *router, *ipub_s, *ksub, *kpub_s;
    uint8_t *reply, *event;
    uint32_t batch;               /* events a message carries at most (>= 1) */
    pthread_t ith, kth;
    bool ith_up, kth_up;
    atomic_bool stop;
};

/* HWM 0: nothing is dropped, so the count reaches every measurement (the services' PUBs
 * drop at their HWM and consumers replay; a bare stand-in has nothing to replay from). */
static void *s_sock(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0;
    if (s) {
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    }
    return s;
}

static bool s_wait_in(bench_bare_t *self, void *sock)
{
    zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
    return zmq_poll(&it, 1, S_POLL_MS) > 0 && !atomic_load(&self->stop);
}

/* impact stand-in: a reply and `per` events for every request, reading none of it. */
static void *s_impact(void *arg)
{
    bench_bare_t *self = arg;
    while (!atomic_load(&self->stop)) {
        if (!s_wait_in(self, self->router))
            continue;
        for (int k = 0; k < S_TURN; k++) {
            zmq_msg_t id, body;
            zmq_msg_init(&id);
            if (zmq_msg_recv(&id, self->router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&id);
                break;
            }
            zmq_msg_init(&body);
            zmq_msg_recv(&body, self->router, 0);   /* a DEALER sends one frame */
            zmq_send(self->router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(self->router, self->reply, self->o.reply_len, 0);
            for (uint32_t i = 0, c; i < self->o.per; i += c) {
                c = self->o.per - i < self->batch ? self->o.per - i : self->batch;
                memcpy(self->event, &c, sizeof c);   /* the count, for the kpi stand-in */
                zmq_send(self->ipub_s, S_TOPIC, sizeof S_TOPIC - 1, ZMQ_SNDMORE);
                /* an EventBatch frames each event with a tag and a length: 3 bytes here */
                zmq_send(self->ipub_s, self->event,
                         c == 1 ? self->o.event_len : c * (self->o.event_len + 3) + 16, 0);
            }
            zmq_msg_close(&body);
            zmq_msg_close(&id);
        }
    }
    return NULL;
}

/* One KpiTotal update on the kpi stand-in's PUB. */
static void s_update(bench_bare_t *self, uint64_t count)
{
    Mvoi__KpiTotal t = MVOI__KPI_TOTAL__INIT;
    t.key = (char *)self->o.key;
    t.buyer = (char *)self->o.buyer;
    t.has_count = 1;
    t.count = (int64_t)count;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)self->o.buyer;
    e.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    e.kpi_total = &t;
    uint8_t b[512];
    size_t n = mvoi__envelope__get_packed_size(&e);
    if (n > sizeof b)
        return;
    mvoi__envelope__pack(&e, b);
    zmq_send(self->kpub_s, self->o.key, strlen(self->o.key), ZMQ_SNDMORE);
    zmq_send(self->kpub_s, b, n, 0);
}

/* kpi stand-in: takes what events are there, then publishes the total once. */
static void *s_kpi(void *arg)
{
    bench_bare_t *self = arg;
    uint64_t count = 0;
    while (!atomic_load(&self->stop)) {
        if (!s_wait_in(self, self->ksub))
            continue;
        uint64_t before = count;
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, self->ksub, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            uint32_t k = 0;
            if (!zmq_msg_more(&m) && zmq_msg_size(&m) >= sizeof k) {   /* the events' frame */
                memcpy(&k, zmq_msg_data(&m), sizeof k);
                count += k;
            }
            zmq_msg_close(&m);
        }
        if (count != before)
            s_update(self, count);
    }
    return NULL;
}

static int s_bind(void *sock, char *ep, size_t len, const char *dir, const char *name)
{
    snprintf(ep, len, "ipc://%s/%s", dir, name);
    return sock ? zmq_bind(sock, ep) : -1;
}

bench_bare_t *bench_bare_start(const bench_bare_opts_t *opts)
{
    bench_bare_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->o = *opts;
    snprintf(self->dir, sizeof self->dir, "/tmp/mvoi-bare-XXXXXX");
    self->reply = calloc(1, opts->reply_len ? opts->reply_len : 1);
    self->batch = opts->batch > 1 ? opts->batch : 1;
    if (self->o.event_len < sizeof(uint32_t))
        self->o.event_len = sizeof(uint32_t);   /* room for the count */
    self->event = calloc(1, self->batch * (self->o.event_len + 3) + 16);
    self->ictx = zmq_ctx_new();
    self->kctx = zmq_ctx_new();
    bool ok = self->reply && self->event && self->ictx && self->kctx && mkdtemp(self->dir);
    if (ok) {
        /* bound and connected here, then handed to their threads (pthread_create is the
         * full barrier a socket needs to change threads) */
        self->router = s_sock(self->ictx, ZMQ_ROUTER);
        self->ipub_s = s_sock(self->ictx, ZMQ_PUB);
        self->ksub = s_sock(self->kctx, ZMQ_SUB);
        self->kpub_s = s_sock(self->kctx, ZMQ_PUB);
        ok = s_bind(self->router, self->api, sizeof self->api, self->dir, "api") == 0
             && s_bind(self->ipub_s, self->ipub, sizeof self->ipub, self->dir, "ipub") == 0
             && s_bind(self->kpub_s, self->kpub, sizeof self->kpub, self->dir, "kpub") == 0
             && self->ksub && zmq_setsockopt(self->ksub, ZMQ_SUBSCRIBE, "", 0) == 0
             && zmq_connect(self->ksub, self->ipub) == 0;
    }
    if (ok) {
        self->ith_up = pthread_create(&self->ith, NULL, s_impact, self) == 0;
        self->kth_up = pthread_create(&self->kth, NULL, s_kpi, self) == 0;
        ok = self->ith_up && self->kth_up;
    }
    if (!ok) {
        fprintf(stderr, "bench_bare: the stand-ins did not start: %s\n", zmq_strerror(errno));
        bench_bare_stop(&self);
        return NULL;
    }
    usleep(100000);   /* the stand-ins' subscription reaches the impact stand-in's PUB */
    return self;
}

const char *bench_bare_api(bench_bare_t *self) { return self->api; }
const char *bench_bare_pub(bench_bare_t *self) { return self->kpub; }

static void s_close(void **s)
{
    if (*s)
        zmq_close(*s);
    *s = NULL;
}

void bench_bare_stop(bench_bare_t **self_p)
{
    bench_bare_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    atomic_store(&self->stop, true);
    if (self->ith_up)
        pthread_join(self->ith, NULL);
    if (self->kth_up)
        pthread_join(self->kth, NULL);
    s_close(&self->router);
    s_close(&self->ipub_s);
    s_close(&self->ksub);
    s_close(&self->kpub_s);
    if (self->ictx)
        zmq_ctx_term(self->ictx);
    if (self->kctx)
        zmq_ctx_term(self->kctx);
    const char *names[] = { "api", "ipub", "kpub" };
    for (int i = 0; i < 3 && self->dir[0] && strstr(self->dir, "XXXXXX") == NULL; i++) {
        char p[96];
        snprintf(p, sizeof p, "%s/%s", self->dir, names[i]);
        unlink(p);
    }
    if (strstr(self->dir, "XXXXXX") == NULL)
        rmdir(self->dir);
    free(self->reply);
    free(self->event);
    free(self);
}
