/*  gw_upstream, the gateway's client of a service, against a ROUTER in this test that
 *  answers only once every request is in (in reverse order), with two buyers that use the
 *  same request id, and answers as server.c does: the request id and buyer as they came.
 *
 *  - Request ids are the client's (the HTTP Idempotency-Key) and clients are many buyers:
 *    venlo's "gw:r-1" while heerlen's is in flight is another request, and each gets its
 *    own reply. They were matched by the id alone: venlo was refused with 409 "a request
 *    with this Idempotency-Key is in flight", which was heerlen's.
 *  - A request id of the longest key the gateway takes ("gw:" + 100 characters) gets its
 *    reply. The pending entry held 47 bytes of it, so the reply never matched: the
 *    command was done and the client got a timeout, at every retry.
 *  - The same buyer with the same id twice in flight is still refused (-EBUSY).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "codec.h"
#include "gw_upstream.h"
#include "harness.h"
#include "log.h"

#define S_REQS 3

typedef struct {
    int rc;
    bool called;
    char buyer[80], rid[160];
} s_got_t;

static void s_on_reply(void *arg, int rc, Mvoi__Envelope *reply)
{
    s_got_t *g = arg;
    g->called = true;
    g->rc = rc;
    if (rc == 0) {
        snprintf(g->buyer, sizeof g->buyer, "%s", reply->buyer ? reply->buyer : "");
        snprintf(g->rid, sizeof g->rid, "%s", reply->request_id ? reply->request_id : "");
        codec_free(&reply);
    }
}

typedef struct {
    void *router;
    zmq_msg_t id[S_REQS], body[S_REQS];
    int n, expect;             /* requests in, requests gw_upstream took */
    bool answered;
    s_got_t *got;
    const bool *taken;
    uv_timer_t t;
} s_fake_t;

/* The fake service: collects the requests, then answers each (buyer and request id as it
 * came, the way server.c answers), the last one first. */
static void s_tick(uv_timer_t *t)
{
    s_fake_t *f = t->data;
    while (f->n < f->expect) {
        zmq_msg_init(&f->id[f->n]);
        if (zmq_msg_recv(&f->id[f->n], f->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f->id[f->n]);
            break;
        }
        zmq_msg_init(&f->body[f->n]);
        zmq_msg_recv(&f->body[f->n], f->router, 0);
        f->n++;
    }
    if (f->n == f->expect && !f->answered) {
        for (int i = f->n - 1; i >= 0; i--) {
            int err = 0;
            Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&f->body[i]),
                                               zmq_msg_size(&f->body[i]), 0, &err);
            cr_assert(req, "request %d does not decode: %d", i, err);
            Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
            Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
            rep.request_id = req->request_id;
            rep.buyer = req->buyer;
            rep.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
            rep.health_reply = &h;
            uint8_t b[1024];
            size_t n = mvoi__envelope__get_packed_size(&rep);
            cr_assert(n <= sizeof b);
            mvoi__envelope__pack(&rep, b);
            zmq_send(f->router, zmq_msg_data(&f->id[i]), zmq_msg_size(&f->id[i]), ZMQ_SNDMORE);
            zmq_send(f->router, b, n, 0);
            codec_free(&req);
            zmq_msg_close(&f->id[i]);
            zmq_msg_close(&f->body[i]);
        }
        f->answered = true;
    }
    bool all = true;   /* every request taken has its callback (reply or timeout) */
    for (int i = 0; i < S_REQS; i++)
        all &= !f->taken[i] || f->got[i].called;
    if (all) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        uv_stop(t->loop);
    }
}

static int s_send(gw_upstream_t *up, const char *buyer, const char *rid, s_got_t *got)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    env.buyer = (char *)buyer;
    env.request_id = (char *)rid;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &hr;
    return gw_upstream_request(up, &env, s_on_reply, got, NULL);
}

Test(gateway_upstream, replies_by_buyer_and_whole_request_id, .timeout = 30)
{
    log_init("gateway-test", "text", "error");
    char dir[128], ep[256], longid[160];
    h_tmpdir(dir, sizeof dir);
    snprintf(ep, sizeof ep, "ipc://%s/up", dir);
    snprintf(longid, sizeof longid, "gw:%0100d", 7);   /* the longest Idempotency-Key */
    void *zctx = zmq_ctx_new();
    s_fake_t f = { .router = zmq_socket(zctx, ZMQ_ROUTER) };
    cr_assert_eq(zmq_bind(f.router, ep), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    gw_upstream_opts_t o = { .name = "kpi", .endpoint = ep, .timeout_ms = 3000 };
    gw_upstream_t *up = gw_upstream_new(&loop, ctx, &o);
    cr_assert(up);
    usleep(200000);   /* connected: before that a send is refused (-EAGAIN, no peer) */
    s_got_t got[S_REQS] = { { 0 } }, dup = { 0 };
    bool taken[S_REQS];
    f.got = got;
    f.taken = taken;
    taken[0] = s_send(up, "heerlen", "gw:r-1", &got[0]) == 0;
    taken[1] = s_send(up, "venlo", "gw:r-1", &got[1]) == 0;
    taken[2] = s_send(up, "heerlen", longid, &got[2]) == 0;
    cr_expect(taken[0] && taken[2]);
    cr_expect(taken[1], "venlo's request was refused because heerlen's has the same id");
    for (int i = 0; i < S_REQS; i++)
        f.expect += taken[i];
    cr_expect_eq(s_send(up, "heerlen", "gw:r-1", &dup), -EBUSY,
                 "the same buyer's second request with the same id was let through");
    uv_timer_init(&loop, &f.t);
    f.t.data = &f;
    uv_timer_start(&f.t, s_tick, 10, 10);
    uv_run(&loop, UV_RUN_DEFAULT);
    const char *buyer[S_REQS] = { "heerlen", "venlo", "heerlen" };
    const char *rid[S_REQS] = { "gw:r-1", "gw:r-1", longid };
    for (int i = 0; i < S_REQS; i++) {
        if (!taken[i])
            continue;
        cr_expect_eq(got[i].rc, 0, "request %d: %d (-ETIMEDOUT: its reply was not matched)", i,
                     got[i].rc);
        cr_expect_str_eq(got[i].buyer, buyer[i], "request %d got %s's reply", i, got[i].buyer);
        cr_expect_str_eq(got[i].rid, rid[i]);
    }
    cr_expect(!dup.called);
    gw_upstream_destroy(&up);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    for (int i = f.answered ? f.n : 0; i < f.n; i++) {
        zmq_msg_close(&f.id[i]);
        zmq_msg_close(&f.body[i]);
    }
    zmq_close(f.router);
    zmq_ctx_term(zctx);
    h_tmpdir_remove(dir);
}
