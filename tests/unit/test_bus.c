/*  bus: ZeroMQ sockets on a libuv loop. Every test builds its own loop, zmq context and
 *  mkdtemp() directory for ipc:// endpoints (Criterion runs each test in its own worker). */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"

typedef struct {
    uv_loop_t loop;
    bus_ctx_t *ctx;
    char dir[64];
    char ep[4][128];
    uv_timer_t deadline;
    uint64_t deadline_ms;
} env_t;

static void s_deadline_cb(uv_timer_t *t)
{
    cr_assert_fail("test deadline reached: the loop stalled");
}

static void s_env_init(env_t *e, uint64_t deadline_ms)
{
    memset(e, 0, sizeof *e);
    cr_assert_eq(uv_loop_init(&e->loop), 0);
    e->ctx = bus_ctx_new();
    cr_assert_not_null(e->ctx);
    snprintf(e->dir, sizeof e->dir, "/tmp/mb.XXXXXX");
    cr_assert_not_null(mkdtemp(e->dir));
    for (int i = 0; i < 4; i++)
        snprintf(e->ep[i], sizeof e->ep[i], "ipc://%s/%d", e->dir, i);
    uv_timer_init(&e->loop, &e->deadline);
    e->deadline_ms = deadline_ms;
    uv_timer_start(&e->deadline, s_deadline_cb, deadline_ms, 0);
    uv_unref((uv_handle_t *)&e->deadline);   /* never keeps the loop alive by itself */
}

/* Run the loop until the test's sockets stop watching. The check hook may run right after
 * the deadline woke a stalled loop and finish the test before the timer callback: so the
 * elapsed time is checked too. */
static void s_run(env_t *e)
{
    uv_update_time(&e->loop);
    uint64_t t0 = uv_now(&e->loop);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_update_time(&e->loop);
    cr_assert_lt(uv_now(&e->loop) - t0, e->deadline_ms / 2, "the loop stalled for %llu ms",
                 (unsigned long long)(uv_now(&e->loop) - t0));
}

/* Destroy the context (deferred while sockets are still closing), run the loop until every
 * handle is closed, and check that nothing is left behind. */
static void s_env_done(env_t *e)
{
    uv_close((uv_handle_t *)&e->deadline, NULL);
    bus_ctx_destroy(&e->ctx);
    cr_assert_null(e->ctx);
    cr_assert_eq(uv_run(&e->loop, UV_RUN_DEFAULT), 0);
    cr_assert_eq(uv_loop_close(&e->loop), 0);
    for (int i = 0; i < 4; i++)
        unlink(e->ep[i] + strlen("ipc://"));
    rmdir(e->dir);
}

static bus_opts_t s_opts(void)
{
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    return o;
}

static bus_sock_t *s_sock(env_t *e, int type)
{
    bus_opts_t o = s_opts();
    bus_sock_t *s = bus_sock_new(e->ctx, &e->loop, type, &o);
    cr_assert_not_null(s);
    return s;
}

static int s_send_str(bus_sock_t *s, const char *a, const char *b)
{
    bus_frame_t f[2] = { { a, strlen(a) }, { b, b ? strlen(b) : 0 } };
    return bus_send(s, f, b ? 2 : 1);
}

static bool s_part_is(bus_msg_t *m, int i, const char *str)
{
    return bus_msg_size(m, i) == strlen(str) && memcmp(bus_msg_data(m, i), str, strlen(str)) == 0;
}

/* ---- PUSH/PULL --------------------------------------------------------------------------- */

typedef struct {
    int got;
    int want;
    int calls;
    int budget;          /* max messages per callback, 0 = until EAGAIN */
    uint64_t next_seq;
    bool in_order;
    bus_sock_t **self_p; /* for destroy-from-callback */
    bus_sock_t *other;
} sink_t;

static void s_sink_cb(bus_sock_t *s, int events, void *arg)
{
    sink_t *k = arg;
    cr_assert(events & ZMQ_POLLIN);
    k->calls++;
    for (int n = 0; k->budget == 0 || n < k->budget; n++) {
        bus_msg_t m;
        int rc = bus_recv(s, &m);
        if (rc == -EAGAIN)
            break;
        cr_assert_eq(rc, 0);
        if (bus_msg_size(&m, 0) == sizeof(uint64_t)) {
            uint64_t seq;
            memcpy(&seq, bus_msg_data(&m, 0), sizeof seq);
            if (seq != k->next_seq)
                k->in_order = false;
            k->next_seq = seq + 1;
        }
        bus_msg_close(&m);
        if (++k->got == k->want) {
            bus_watch(s, 0, NULL, NULL);
            if (k->self_p)
                bus_sock_destroy(k->self_p);
            break;
        }
    }
}

Test(bus, push_pull_round_trip)
{
    env_t e;
    s_env_init(&e, 10000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    bus_sock_t *push = s_sock(&e, ZMQ_PUSH);
    cr_assert_eq(bus_bind(pull, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    cr_assert_eq(bus_last_endpoint(pull, ep, sizeof ep), 0);
    cr_assert(strncmp(ep, "tcp://127.0.0.1:", 16) == 0, "%s", ep);
    cr_assert_eq(bus_connect(push, ep), 0);

    sink_t k = { .want = 3, .in_order = true };
    cr_assert_eq(bus_watch(pull, ZMQ_POLLIN, s_sink_cb, &k), 0);
    for (uint64_t i = 0; i < 3; i++) {
        bus_frame_t f = { &i, sizeof i };
        cr_assert_eq(bus_send(push, &f, 1), 0);
    }
    s_run(&e);
    cr_assert_eq(k.got, 3);
    cr_assert(k.in_order);
    bus_stats_t st;
    bus_stats(push, &st);
    cr_assert_eq(st.sent, 3);
    bus_stats(pull, &st);
    cr_assert_eq(st.received, 3);
    cr_assert_geq(st.wakeups, 1);
    bus_sock_destroy(&pull);
    bus_sock_destroy(&push);
    cr_assert_null(pull);
    s_env_done(&e);
}

/* The callback reads at most 10 messages per call; the rest must still arrive, woken by the
 * idle handle rather than by a new fd edge. */
Test(bus, drain_with_budget_never_stalls)
{
    env_t e;
    s_env_init(&e, 20000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    bus_sock_t *push = s_sock(&e, ZMQ_PUSH);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    cr_assert_eq(bus_connect(push, e.ep[0]), 0);
    for (uint64_t i = 0; i < 10000; i++) {
        bus_frame_t f = { &i, sizeof i };
        cr_assert_eq(bus_send(push, &f, 1), 0);   /* 10,000 < SNDHWM */
    }
    sink_t k = { .want = 10000, .budget = 10, .in_order = true };
    bus_watch(pull, ZMQ_POLLIN, s_sink_cb, &k);
    s_run(&e);
    cr_assert_eq(k.got, 10000);
    cr_assert(k.in_order);
    cr_assert_geq(k.calls, 1000);
    bus_sock_destroy(&pull);
    bus_sock_destroy(&push);
    s_env_done(&e);
}

/* A message is pending but ZMQ_FD has no edge left (zmq_poll consumed it): the prepare hook
 * must still see ZMQ_POLLIN and run the callback. */
Test(bus, pending_message_without_fd_edge)
{
    env_t e;
    s_env_init(&e, 5000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    void *raw = zmq_socket(bus_ctx_zmq(e.ctx), ZMQ_PUSH);
    int zero = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(raw, e.ep[0]), 0);
    cr_assert_eq(zmq_send(raw, "x", 1, 0), 1);

    zmq_pollitem_t it = { bus_sock_zmq(pull), 0, ZMQ_POLLIN, 0 };
    cr_assert_eq(zmq_poll(&it, 1, 5000), 1);
    int fd;
    size_t sz = sizeof fd;
    zmq_getsockopt(bus_sock_zmq(pull), ZMQ_FD, &fd, &sz);
    struct pollfd pfd = { fd, POLLIN, 0 };
    cr_assert_eq(poll(&pfd, 1, 0), 0, "ZMQ_FD still readable: precondition not met");

    sink_t k = { .want = 1 };
    bus_watch(pull, ZMQ_POLLIN, s_sink_cb, &k);
    s_run(&e);
    cr_assert_eq(k.got, 1);
    zmq_close(raw);
    bus_sock_destroy(&pull);
    s_env_done(&e);
}

/* ---- ping-pong in one loop: every send may consume the edge of the next receive -------- */

typedef struct {
    int rounds;
    int want;
    bus_sock_t *dealer;
    bus_sock_t *router;
} pp_t;

static void s_router_echo(bus_sock_t *s, int events, void *arg)
{
    for (;;) {
        bus_msg_t m;
        if (bus_recv(s, &m) != 0)
            break;
        cr_assert_eq(m.nparts, 2);   /* [identity][body] */
        bus_frame_t f[2] = { { bus_msg_data(&m, 0), bus_msg_size(&m, 0) },
                             { bus_msg_data(&m, 1), bus_msg_size(&m, 1) } };
        cr_assert_eq(bus_send(s, f, 2), 0);
        bus_msg_close(&m);
    }
}

static void s_dealer_cb(bus_sock_t *s, int events, void *arg)
{
    pp_t *p = arg;
    for (;;) {
        bus_msg_t m;
        if (bus_recv(s, &m) != 0)
            break;
        cr_assert_eq(m.nparts, 1);
        cr_assert(s_part_is(&m, 0, "ping"));
        bus_msg_close(&m);
        if (++p->rounds == p->want) {
            bus_watch(p->dealer, 0, NULL, NULL);
            bus_watch(p->router, 0, NULL, NULL);
            return;
        }
        cr_assert_eq(s_send_str(s, "ping", NULL), 0);
    }
}

Test(bus, router_dealer_ping_pong)
{
    env_t e;
    s_env_init(&e, 20000);
    pp_t p = { .want = 2000 };
    p.router = s_sock(&e, ZMQ_ROUTER);
    p.dealer = s_sock(&e, ZMQ_DEALER);
    cr_assert_eq(bus_bind(p.router, e.ep[0]), 0);
    cr_assert_eq(bus_connect(p.dealer, e.ep[0]), 0);
    bus_watch(p.router, ZMQ_POLLIN, s_router_echo, &p);
    bus_watch(p.dealer, ZMQ_POLLIN, s_dealer_cb, &p);
    cr_assert_eq(s_send_str(p.dealer, "ping", NULL), 0);
    s_run(&e);
    cr_assert_eq(p.rounds, 2000);

    /* ROUTER_MANDATORY: an unknown identity is an error, not a silent drop. */
    cr_assert_eq(s_send_str(p.router, "nobody", "x"), -EHOSTUNREACH);
    bus_sock_destroy(&p.router);
    bus_sock_destroy(&p.dealer);
    s_env_done(&e);
}

/* ---- PUB/SUB ----------------------------------------------------------------------------- */

typedef struct {
    bus_sock_t *pub;
    bus_sock_t *sub;
    uv_timer_t tick;
    int got;
    int wrong_topic;
} ps_t;

static void s_pub_tick(uv_timer_t *t)
{
    ps_t *p = t->data;
    /* Probes until the subscription has reached the publisher (slow joiner). */
    cr_assert_eq(s_send_str(p->pub, "other.topic", "no"), 0);
    cr_assert_eq(s_send_str(p->pub, "t.event", "yes"), 0);
}

static void s_sub_cb(bus_sock_t *s, int events, void *arg)
{
    ps_t *p = arg;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0) {
        cr_assert_eq(m.nparts, 2);
        if (!s_part_is(&m, 0, "t.event") || !s_part_is(&m, 1, "yes"))
            p->wrong_topic++;
        bus_msg_close(&m);
        if (++p->got == 5) {
            bus_watch(s, 0, NULL, NULL);
            uv_timer_stop(&p->tick);
            return;
        }
    }
}

Test(bus, pub_sub_round_trip)
{
    env_t e;
    s_env_init(&e, 10000);
    ps_t p = { 0 };
    p.pub = s_sock(&e, ZMQ_PUB);
    p.sub = s_sock(&e, ZMQ_SUB);
    cr_assert_eq(bus_bind(p.pub, e.ep[0]), 0);
    cr_assert_eq(bus_connect(p.sub, e.ep[0]), 0);
    cr_assert_eq(bus_subscribe(p.sub, "t."), 0);
    bus_watch(p.sub, ZMQ_POLLIN, s_sub_cb, &p);
    uv_timer_init(&e.loop, &p.tick);
    p.tick.data = &p;
    uv_timer_start(&p.tick, s_pub_tick, 0, 5);
    s_run(&e);
    cr_assert_eq(p.got, 5);
    cr_assert_eq(p.wrong_topic, 0);
    uv_close((uv_handle_t *)&p.tick, NULL);
    bus_sock_destroy(&p.pub);
    bus_sock_destroy(&p.sub);
    s_env_done(&e);
}

/* ---- lifetime ---------------------------------------------------------------------------- */

Test(bus, destroy_from_inside_callback)
{
    env_t e;
    s_env_init(&e, 5000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    bus_sock_t *push = s_sock(&e, ZMQ_PUSH);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    cr_assert_eq(bus_connect(push, e.ep[0]), 0);
    for (uint64_t i = 0; i < 5; i++) {
        bus_frame_t f = { &i, sizeof i };
        cr_assert_eq(bus_send(push, &f, 1), 0);
    }
    sink_t k = { .want = 2, .budget = 1, .self_p = &pull, .in_order = true };
    bus_watch(pull, ZMQ_POLLIN, s_sink_cb, &k);
    s_run(&e);
    cr_assert_null(pull);
    cr_assert_eq(k.got, 2);   /* no callback after destroy, though 3 more were queued */
    /* The context outlives the closing socket: its term is deferred to the last close. */
    bus_sock_destroy(&push);
    s_env_done(&e);
}

Test(bus, ctx_destroy_without_sockets)
{
    bus_ctx_t *ctx = bus_ctx_new();
    cr_assert_not_null(ctx);
    cr_assert_not_null(bus_ctx_zmq(ctx));
    int n = zmq_ctx_get(bus_ctx_zmq(ctx), ZMQ_IO_THREADS);
    cr_assert_eq(n, 1);
    bus_ctx_destroy(&ctx);
    cr_assert_null(ctx);
    bus_ctx_destroy(&ctx);
}

/* ---- backpressure and bad input ----------------------------------------------------------- */

Test(bus, push_eagain_at_hwm)
{
    env_t e;
    s_env_init(&e, 5000);
    bus_opts_t o = s_opts();
    o.sndhwm = 10;
    bus_sock_t *lonely = bus_sock_new(e.ctx, &e.loop, ZMQ_PUSH, &o);
    cr_assert_not_null(lonely);
    /* No connection at all: nowhere to queue. */
    cr_assert_eq(s_send_str(lonely, "x", NULL), -EAGAIN);

    /* Connected to an endpoint nobody binds: the pipe fills to the HWM, then -EAGAIN. */
    bus_sock_t *push = bus_sock_new(e.ctx, &e.loop, ZMQ_PUSH, &o);
    cr_assert_eq(bus_connect(push, e.ep[1]), 0);
    int sent = 0, rc = 0;
    while (sent < 100000 && (rc = s_send_str(push, "x", NULL)) == 0)
        sent++;
    cr_assert_eq(rc, -EAGAIN);
    cr_assert_geq(sent, 1);
    cr_assert_leq(sent, 10);
    bus_stats_t st;
    bus_stats(push, &st);
    cr_assert_eq(st.send_eagain, 1);
    cr_assert_eq(st.sent, (uint64_t)sent);
    bus_sock_destroy(&lonely);
    bus_sock_destroy(&push);
    s_env_done(&e);
}

typedef struct {
    env_t *e;
    bus_sock_t *pull;
    void *mon;
    void *good;
    uv_timer_t tick;
    bool disconnected;
    int good_sent;
    int got;
    int oversize;
} big_t;

static void s_big_tick(uv_timer_t *t)
{
    big_t *b = t->data;
    if (!b->disconnected) {
        zmq_msg_t ev;
        zmq_msg_init(&ev);
        while (zmq_msg_recv(&ev, b->mon, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_size(&ev) == 6) {
                uint16_t id;
                memcpy(&id, zmq_msg_data(&ev), 2);
                if (id == ZMQ_EVENT_DISCONNECTED)
                    b->disconnected = true;
            }
        }
        zmq_msg_close(&ev);
        return;
    }
    if (b->good_sent < 10) {
        char s[16];
        int n = snprintf(s, sizeof s, "good-%d", b->good_sent);
        cr_assert_eq(zmq_send(b->good, s, (size_t)n, 0), n);
        b->good_sent++;
    }
}

static void s_big_cb(bus_sock_t *s, int events, void *arg)
{
    big_t *b = arg;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0) {
        if (bus_msg_size(&m, 0) > 1024)
            b->oversize++;
        else {
            char want[16];
            snprintf(want, sizeof want, "good-%d", b->got);
            cr_assert(s_part_is(&m, 0, want), "unexpected message %d", b->got);
        }
        bus_msg_close(&m);
        if (++b->got == 10) {
            bus_watch(s, 0, NULL, NULL);
            uv_timer_stop(&b->tick);
        }
    }
}

/* A peer that sends a frame over ZMQ_MAXMSGSIZE is disconnected; the message is never
 * delivered and the socket keeps serving a good peer. */
Test(bus, oversize_frame_drops_peer)
{
    env_t e;
    s_env_init(&e, 10000);
    bus_opts_t o = s_opts();
    o.maxmsgsize = 1024;
    big_t b = { .e = &e };
    b.pull = bus_sock_new(e.ctx, &e.loop, ZMQ_PULL, &o);
    cr_assert_not_null(b.pull);
    cr_assert_eq(bus_bind(b.pull, e.ep[0]), 0);
    void *z = bus_ctx_zmq(e.ctx);
    cr_assert_eq(zmq_socket_monitor(bus_sock_zmq(b.pull), "inproc://mon", ZMQ_EVENT_DISCONNECTED), 0);
    b.mon = zmq_socket(z, ZMQ_PAIR);
    cr_assert_eq(zmq_connect(b.mon, "inproc://mon"), 0);

    int zero = 0;
    void *bad = zmq_socket(z, ZMQ_PUSH);
    b.good = zmq_socket(z, ZMQ_PUSH);
    zmq_setsockopt(bad, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(b.good, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(b.good, e.ep[0]), 0);
    cr_assert_eq(zmq_connect(bad, e.ep[0]), 0);
    char big[2048];
    memset(big, 'B', sizeof big);
    cr_assert_eq(zmq_send(bad, big, sizeof big, 0), (int)sizeof big);

    bus_watch(b.pull, ZMQ_POLLIN, s_big_cb, &b);
    uv_timer_init(&e.loop, &b.tick);
    b.tick.data = &b;
    uv_timer_start(&b.tick, s_big_tick, 1, 2);
    s_run(&e);
    cr_assert(b.disconnected);
    cr_assert_eq(b.oversize, 0);
    cr_assert_eq(b.got, 10);

    uv_close((uv_handle_t *)&b.tick, NULL);
    zmq_close(bad);
    zmq_close(b.good);
    zmq_socket_monitor(bus_sock_zmq(b.pull), NULL, 0);
    zmq_close(b.mon);
    bus_sock_destroy(&b.pull);
    s_env_done(&e);
}

typedef struct {
    int results[2];
    int n;
} mp_t;

static void s_mp_cb(bus_sock_t *s, int events, void *arg)
{
    mp_t *p = arg;
    for (;;) {
        bus_msg_t m;
        int rc = bus_recv(s, &m);
        if (rc == -EAGAIN)
            break;
        if (rc == 0) {
            cr_assert_eq(m.nparts, 2);
            cr_assert(s_part_is(&m, 0, "ok"));
            cr_assert(s_part_is(&m, 1, "fine"));
            bus_msg_close(&m);
        }
        p->results[p->n++] = rc;
        if (p->n == 2) {
            bus_watch(s, 0, NULL, NULL);
            break;
        }
    }
}

Test(bus, too_many_parts_is_eproto)
{
    env_t e;
    s_env_init(&e, 5000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    bus_sock_t *push = s_sock(&e, ZMQ_PUSH);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    cr_assert_eq(bus_connect(push, e.ep[0]), 0);
    bus_frame_t f[BUS_MAX_PARTS + 2];
    for (int i = 0; i < BUS_MAX_PARTS + 2; i++)
        f[i] = (bus_frame_t){ "p", 1 };
    cr_assert_eq(bus_send(push, f, BUS_MAX_PARTS + 2), 0);
    cr_assert_eq(s_send_str(push, "ok", "fine"), 0);
    mp_t p = { 0 };
    bus_watch(pull, ZMQ_POLLIN, s_mp_cb, &p);
    s_run(&e);
    cr_assert_eq(p.n, 2);
    cr_assert_eq(p.results[0], -EPROTO);
    cr_assert_eq(p.results[1], 0);
    bus_stats_t st;
    bus_stats(pull, &st);
    cr_assert_eq(st.dropped_bad, 1);
    cr_assert_eq(st.received, 1);

    /* Exactly BUS_MAX_PARTS frames is still fine. */
    cr_assert_eq(bus_send(push, f, BUS_MAX_PARTS), 0);
    zmq_pollitem_t it = { bus_sock_zmq(pull), 0, ZMQ_POLLIN, 0 };
    cr_assert_eq(zmq_poll(&it, 1, 5000), 1);
    bus_msg_t m;
    cr_assert_eq(bus_recv(pull, &m), 0);
    cr_assert_eq(m.nparts, BUS_MAX_PARTS);
    bus_msg_close(&m);
    cr_assert_eq(bus_recv(pull, &m), -EAGAIN);
    bus_sock_destroy(&pull);
    bus_sock_destroy(&push);
    s_env_done(&e);
}

/* ---- a failed ZMQ_EVENTS read is surfaced, not taken for "no events" ----------------------- */

typedef struct {
    int calls, errs;
    int last_events;
} fail_t;

static void s_fail_cb(bus_sock_t *s, int events, void *arg)
{
    fail_t *f = arg;
    f->calls++;
    f->last_events = events;
    if (events & ZMQ_POLLERR)
        f->errs++;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0)
        bus_msg_close(&m);
}

Test(bus, failed_events_read_stops_the_watcher_and_tells_the_owner)
{
    env_t e;
    s_env_init(&e, 5000);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    fail_t f = { 0 };
    cr_assert_eq(bus_watch(pull, ZMQ_POLLIN, s_fail_cb, &f), 0);
    uv_run(&e.loop, UV_RUN_NOWAIT);
    cr_assert_eq(f.calls, 0);
    cr_assert_eq(bus_sock_error(pull), 0);
    /* The context shuts down under the socket: every ZMQ_EVENTS read now fails (ETERM). */
    cr_assert_eq(zmq_ctx_shutdown(bus_ctx_zmq(e.ctx)), 0);
    s_run(&e);   /* returns: the watcher stopped instead of parking on the fd forever */
    cr_assert_eq(f.errs, 1, "the owner was told %d times", f.errs);
    cr_assert_eq(f.last_events, ZMQ_POLLERR);
    cr_assert_eq(bus_sock_error(pull), -ETERM);
    bus_stats_t st;
    bus_stats(pull, &st);
    cr_assert_eq(st.event_errors, 1);
    bus_sock_destroy(&pull);
    s_env_done(&e);
}
