/*  follow_bus: one snapshot request against a real ROUTER on a libuv loop. The publisher
 *  here answers by hand: two totals, then what must not end or break the request (a
 *  message that does not decode, a topic longer than any topic, an end for another
 *  request), then the end; or a refusal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "follow_bus.h"

typedef struct {
    uv_loop_t loop;
    bus_ctx_t *ctx;
    bus_sock_t *router;
    char dir[64], ep[128];
    follow_t *fol;
    follow_snap_t *snap;
    bool refuse;                   /* answer with an Error */
    char rid[64], prefix[64], buyer[32];
    bool segment;
    int items, ends, refusals;
    char keys[4][64];
    uint64_t end_seq;
    char refused_msg[64];
} env_t;

static void s_send_env(env_t *e, const bus_msg_t *from, const char *topic, Mvoi__Envelope *env)
{
    uint8_t buf[2048];
    int64_t len = codec_pack_into(env, buf, sizeof buf);
    cr_assert_gt(len, 0);
    bus_frame_t f[3] = { { bus_msg_data((bus_msg_t *)from, 0), bus_msg_size((bus_msg_t *)from, 0) } };
    int n = 1;
    if (topic)
        f[n++] = (bus_frame_t){ topic, strlen(topic) };
    f[n++] = (bus_frame_t){ buf, (size_t)len };
    cr_assert_eq(bus_send(e->router, f, n), 0);
}

static void s_total(env_t *e, const bus_msg_t *from, const char *topic, uint64_t seq)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__KpiTotal t = MVOI__KPI_TOTAL__INIT;
    t.key = (char *)topic;
    t.buyer = "heerlen";
    env.has_seq = true;
    env.seq = seq;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    env.kpi_total = &t;
    s_send_env(e, from, topic, &env);
}

static void s_end(env_t *e, const bus_msg_t *from, const char *rid, uint64_t seq)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SnapshotEnd end = MVOI__SNAPSHOT_END__INIT;
    end.has_seq = end.has_epoch = true;
    end.seq = seq;
    end.epoch = 3;
    env.request_id = (char *)rid;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    s_send_env(e, from, NULL, &env);
}

/* The publisher: reads the request, answers it. */
static void s_on_router(bus_sock_t *sock, int events, void *arg)
{
    env_t *e = arg;
    (void)events;
    bus_msg_t m;
    while (bus_recv(sock, &m) == 0) {
        int err = 0;
        Mvoi__Envelope *rq = codec_unpack(bus_msg_data(&m, m.nparts - 1),
                                          bus_msg_size(&m, m.nparts - 1), 0, &err);
        cr_assert_not_null(rq);
        cr_assert_eq(rq->body_case, MVOI__ENVELOPE__BODY_SNAPSHOT);
        snprintf(e->rid, sizeof e->rid, "%s", rq->request_id);
        snprintf(e->prefix, sizeof e->prefix, "%s", rq->snapshot->prefix);
        snprintf(e->buyer, sizeof e->buyer, "%s", rq->buyer ? rq->buyer : "");
        e->segment = rq->snapshot->has_segment && rq->snapshot->segment;
        codec_free(&rq);
        if (e->refuse) {
            Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
            Mvoi__Error er = MVOI__ERROR__INIT;
            er.message = "busy";
            env.request_id = e->rid;
            env.body_case = MVOI__ENVELOPE__BODY_ERROR;
            env.error = &er;
            s_send_env(e, &m, NULL, &env);
        } else {
            s_total(e, &m, "kpi.heerlen.co2.2026", 11);
            s_total(e, &m, "kpi.heerlen.nox.2026", 12);
            bus_frame_t junk[3] = { { bus_msg_data(&m, 0), bus_msg_size(&m, 0) },
                                    { "kpi.x", 5 }, { "\xff\xff\xff", 3 } };
            cr_assert_eq(bus_send(e->router, junk, 3), 0);       /* does not decode */
            char longtopic[600];
            memset(longtopic, 'k', sizeof longtopic - 1);
            longtopic[sizeof longtopic - 1] = '\0';
            s_total(e, &m, longtopic, 13);                       /* no topic is this long */
            s_end(e, &m, "someone-elses-request", 99);           /* not ours: goes on */
            s_end(e, &m, e->rid, 12);
        }
        bus_msg_close(&m);
    }
}

static void s_item(void *arg, const char *topic, const Mvoi__Envelope *env)
{
    env_t *e = arg;
    cr_assert_lt(e->items, 4);
    cr_assert_str_eq(env->kpi_total->key, topic);
    snprintf(e->keys[e->items++], sizeof e->keys[0], "%s", topic);
}

static void s_stop(env_t *e)
{
    follow_snap_destroy(&e->snap);
    bus_sock_destroy(&e->router);
}

static void s_ended(void *arg, const Mvoi__SnapshotEnd *end)
{
    env_t *e = arg;
    e->ends++;
    e->end_seq = end->seq;
    follow_snapshot_end(e->fol, end->epoch, end->has_incarnation, end->incarnation);
    s_stop(e);   /* as the gateway does: from inside the request's own callback */
}

static void s_refused(void *arg, const char *message)
{
    env_t *e = arg;
    e->refusals++;
    snprintf(e->refused_msg, sizeof e->refused_msg, "%s", message);
    s_stop(e);
}

static void s_run(env_t *e, bool refuse, const follow_snap_opts_t *so)
{
    memset(e, 0, sizeof *e);
    e->refuse = refuse;
    cr_assert_eq(uv_loop_init(&e->loop), 0);
    e->ctx = bus_ctx_new();
    snprintf(e->dir, sizeof e->dir, "/tmp/mfb.XXXXXX");
    cr_assert_not_null(mkdtemp(e->dir));
    snprintf(e->ep, sizeof e->ep, "ipc://%s/api", e->dir);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    e->router = bus_sock_new(e->ctx, &e->loop, ZMQ_ROUTER, &bo);
    cr_assert_eq(bus_bind(e->router, e->ep), 0);
    cr_assert_eq(bus_watch(e->router, ZMQ_POLLIN, s_on_router, e), 0);
    follow_opts_t fo = { .stale_ms = 5000, .snapshot_timeout_ms = 3000 };
    e->fol = follow_new(&fo);
    follow_snap_opts_t o = *so;
    o.api = e->ep;
    follow_snap_cbs_t cb = { s_item, s_ended, s_refused, e };
    e->snap = follow_snap_new(e->ctx, &e->loop, &o, e->fol, &cb);
    cr_assert_not_null(e->snap);
    cr_assert(follow_snapshot_out(e->fol));
    cr_assert_eq(follow_snapshots(e->fol), 1);
    uv_run(&e->loop, UV_RUN_DEFAULT);   /* until both sockets are gone */
}

static void s_done(env_t *e)
{
    follow_destroy(&e->fol);
    bus_ctx_destroy(&e->ctx);
    cr_assert_eq(uv_run(&e->loop, UV_RUN_DEFAULT), 0);
    cr_assert_eq(uv_loop_close(&e->loop), 0);
    char p[160];
    snprintf(p, sizeof p, "%s/api", e->dir);
    unlink(p);
    rmdir(e->dir);
}

Test(follow_bus, snapshot_arrives_whole_and_only_its_own_end_ends_it)
{
    env_t e;
    follow_snap_opts_t so = { .producer = "gateway", .prefix = "kpi.heerlen", .segment = true,
                              .buyer = "heerlen" };
    s_run(&e, false, &so);
    cr_assert_str_eq(e.prefix, "kpi.heerlen");
    cr_assert(e.segment);
    cr_assert_str_eq(e.buyer, "heerlen");
    cr_assert_eq(strncmp(e.rid, "gateway-snap-", 13), 0, "request id %s", e.rid);
    cr_assert_eq(e.items, 2, "the two totals; the undecodable and the overlong dropped");
    cr_assert_str_eq(e.keys[0], "kpi.heerlen.co2.2026");
    cr_assert_str_eq(e.keys[1], "kpi.heerlen.nox.2026");
    cr_assert_eq(e.ends, 1, "another request's end did not end it");
    cr_assert_eq(e.end_seq, 12);
    cr_assert(follow_live(e.fol));
    cr_assert_not(follow_snapshot_out(e.fol));
    s_done(&e);
}

Test(follow_bus, refused_snapshot_is_said_and_asked_again_after_a_pause)
{
    env_t e;
    follow_snap_opts_t so = { .producer = "gateway", .prefix = "kpi." };
    s_run(&e, true, &so);
    cr_assert_eq(e.refusals, 1);
    cr_assert_str_eq(e.refused_msg, "busy");
    cr_assert_not(e.segment);
    cr_assert_str_eq(e.buyer, "");
    cr_assert_not(follow_live(e.fol));
    uint64_t now = uv_now(&e.loop);
    /* refused: asked again 500 ms after the refusal (not the 3000 ms item timeout) */
    cr_assert_eq(follow_tick(e.fol, now + 600), FOLLOW_LATE);
    s_done(&e);
}

Test(follow_bus, no_socket_no_request_and_a_retry_later)
{
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    bus_ctx_t *ctx = bus_ctx_new();
    follow_t *fol = follow_new(NULL);
    follow_snap_opts_t so = { .api = "not-an-endpoint", .producer = "gateway", .prefix = "kpi." };
    follow_snap_cbs_t cb = { s_item, s_ended, s_refused, NULL };
    follow_snap_t *snap = follow_snap_new(ctx, &loop, &so, fol, &cb);
    cr_assert_null(snap, "a bad endpoint makes no request");
    cr_assert_not(follow_snapshot_out(fol));
    uint64_t now = uv_now(&loop);
    cr_assert_eq(follow_tick(fol, now + 499), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(fol, now + 500), FOLLOW_RETRY);
    follow_destroy(&fol);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}
