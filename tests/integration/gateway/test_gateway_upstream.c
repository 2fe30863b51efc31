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

/* Answers req on the ROUTER as server.c does: buyer and request id as they came. */
static void s_answer(void *router, zmq_msg_t *id, const Mvoi__Envelope *req)
{
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
    zmq_send(router, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE);
    zmq_send(router, b, n, 0);
}

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
            s_answer(f->router, &f->id[i], req);
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

/* Runs the loop for about ms milliseconds (the monitor and replies are read on it). */
static void s_spin(uv_loop_t *loop, int ms)
{
    for (int i = 0; i < ms; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

/* One request from the ROUTER, answered (s_answer) when answer is set. Whether one was
 * there. */
static bool s_take_one(void *router, bool answer)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return false;
    }
    zmq_msg_init(&body);
    zmq_msg_recv(&body, router, 0);
    int err = 0;
    Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body), 0, &err);
    cr_assert(req, "the request does not decode: %d", err);
    if (answer)
        s_answer(router, &id, req);
    codec_free(&req);
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return true;
}

/* A service that took a request and went (a restart; a connection it closed after its
 * heartbeat timed out while it was stopped) never answers it, and the one that comes back
 * does not know it. The gateway waited its whole timeout for that reply, and the client
 * got a 504 from a service that was back. The request under way is sent again on the new
 * connection, with its own id, and answered well within the timeout (10 s here). */
Test(gateway_upstream, a_request_under_way_is_sent_again_on_a_new_connection, .timeout = 30)
{
    log_init("gateway-test", "text", "error");
    char dir[128], ep[256];
    h_tmpdir(dir, sizeof dir);
    snprintf(ep, sizeof ep, "ipc://%s/up", dir);
    void *zctx = zmq_ctx_new();
    int zero = 0;
    void *first = zmq_socket(zctx, ZMQ_ROUTER);
    zmq_setsockopt(first, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(first, ep), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    gw_upstream_opts_t o = { .name = "calendar", .endpoint = ep, .timeout_ms = 10000 };
    gw_upstream_t *up = gw_upstream_new(&loop, ctx, &o);
    cr_assert(up);
    s_spin(&loop, 200);   /* connected, and the monitor has seen it */
    s_got_t got = { 0 };
    cr_assert_eq(s_send(up, "heerlen", "gw:r-9", &got), 0);
    bool taken = false;
    for (int i = 0; i < 2000 && !taken; i++) {
        taken = s_take_one(first, false);   /* taken, never answered */
        s_spin(&loop, 1);
    }
    cr_assert(taken, "the first service never got the request");
    zmq_close(first);
    void *second = zmq_socket(zctx, ZMQ_ROUTER);
    zmq_setsockopt(second, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(second, ep), 0);
    uint64_t t0 = h_now_ms();
    while (!got.called && h_now_ms() - t0 < 9000) {
        s_take_one(second, true);
        s_spin(&loop, 1);
    }
    uint64_t waited = h_now_ms() - t0;
    cr_assert(got.called, "no answer within 9 s");
    cr_expect_eq(got.rc, 0, "%d (-ETIMEDOUT: the request was not sent again)", got.rc);
    cr_expect_lt(waited, 5000, "answered after %llu ms: the request was not sent again on the "
                 "new connection (the timeout is 10 s)", (unsigned long long)waited);
    cr_expect_str_eq(got.rid, "gw:r-9");
    gw_upstream_stats_t st;
    gw_upstream_stats(up, &st);
    cr_expect_eq(st.resent, 1, "resent %llu", (unsigned long long)st.resent);
    gw_upstream_destroy(&up);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    zmq_close(second);
    zmq_ctx_term(zctx);
    h_tmpdir_remove(dir);
}
