/*  bus watcher: the wake-up rule (docs/libraries.md#watcher) and what it costs.
 *
 *  ZMQ_FD signals once per edge, and any call into a socket (send, receive, ZMQ_EVENTS) may
 *  consume that edge. The watcher reads ZMQ_EVENTS only when the socket may have changed,
 *  so these tests build the cases where a wrong rule parks a socket for good: a message
 *  whose edge a send consumed (from another socket's callback, and from its own callback
 *  after a drained receive); and they count what the rule costs: ZMQ_EVENTS reads per
 *  callback when many messages are queued, loop turns while nothing is pending.
 *
 *  Every socket has heartbeats off: a PING would bring an edge of its own and hide a missed
 *  wake-up. A missed wake-up shows as the deadline (the loop blocks for good).
 */
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
    char ep[2][128];
    uv_timer_t deadline;
} env_t;

static void s_deadline_cb(uv_timer_t *t)
{
    (void)t;
    cr_assert_fail("deadline: the loop blocked with a message pending (missed wake-up)");
}

static void s_env_init(env_t *e)
{
    memset(e, 0, sizeof *e);
    cr_assert_eq(uv_loop_init(&e->loop), 0);
    e->ctx = bus_ctx_new();
    cr_assert_not_null(e->ctx);
    snprintf(e->dir, sizeof e->dir, "/tmp/mbw.XXXXXX");
    cr_assert_not_null(mkdtemp(e->dir));
    for (int i = 0; i < 2; i++)
        snprintf(e->ep[i], sizeof e->ep[i], "ipc://%s/%d", e->dir, i);
    uv_timer_init(&e->loop, &e->deadline);
    uv_timer_start(&e->deadline, s_deadline_cb, 5000, 0);
    uv_unref((uv_handle_t *)&e->deadline);   /* never keeps the loop alive by itself */
}

static void s_env_done(env_t *e)
{
    uv_close((uv_handle_t *)&e->deadline, NULL);
    bus_ctx_destroy(&e->ctx);
    cr_assert_eq(uv_run(&e->loop, UV_RUN_DEFAULT), 0);
    cr_assert_eq(uv_loop_close(&e->loop), 0);
    for (int i = 0; i < 2; i++)
        unlink(e->ep[i] + strlen("ipc://"));
    rmdir(e->dir);
}

static bus_sock_t *s_sock(env_t *e, int type)
{
    bus_opts_t o;
    bus_opts_default(&o);
    o.linger_ms = 0;
    o.heartbeat_ivl_ms = 0;
    bus_sock_t *s = bus_sock_new(e->ctx, &e->loop, type, &o);
    cr_assert_not_null(s);
    return s;
}

static void *s_raw(env_t *e, int type, const char *ep)
{
    void *z = zmq_socket(bus_ctx_zmq(e->ctx), type);
    int zero = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(z, ep), 0);
    return z;
}

static int s_fd(bus_sock_t *s)
{
    int fd = -1;
    size_t sz = sizeof fd;
    cr_assert_eq(zmq_getsockopt(bus_sock_zmq(s), ZMQ_FD, &fd, &sz), 0);
    return fd;
}

static bool s_readable(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, ms) == 1;
}

/* The peer sends `what` to s; once s's mailbox fd shows it, a bus_send on s (more than the
 * 1 ms command throttle of zmq_send later) processes the command that makes s readable and
 * drains the fd: the edge is gone, the message is not. fd was taken at set-up: asking for
 * it now (bus_sock_zmq) would itself tell the watcher to read again. */
static void s_consume_edge_by_send(bus_sock_t *s, int fd, void *peer, const char *what)
{
    cr_assert_eq(zmq_send(peer, what, strlen(what), 0), (int)strlen(what));
    cr_assert(s_readable(fd, 2000), "the message never reached the socket's mailbox");
    usleep(5000);
    bus_frame_t f = { "pong", 4 };
    cr_assert_eq(bus_send(s, &f, 1), 0);
    cr_assert_not(s_readable(fd, 0), "ZMQ_FD still readable: the edge was not consumed");
}

/* ---- a send from another socket's callback consumes the edge ----------------------------- */

typedef struct {
    bus_sock_t *s;       /* PAIR, bound; its peer is raw */
    bus_sock_t *t;       /* PULL, bound; the trigger */
    void *peer;
    void *tpush;
    int fd;              /* s's ZMQ_FD */
    int phase;           /* 0 warm-up, 1 triggered, 2 done */
} other_t;

static int s_take(bus_sock_t *s, const char *want)
{
    int n = 0;
    bus_msg_t m;
    while (bus_recv(s, &m) == 0) {
        cr_assert_eq(bus_msg_size(&m, 0), strlen(want));
        cr_assert_eq(memcmp(bus_msg_data(&m, 0), want, strlen(want)), 0);
        bus_msg_close(&m);
        n++;
    }
    return n;
}

static void s_other_s_cb(bus_sock_t *s, int events, void *arg)
{
    other_t *o = arg;
    cr_assert_eq(events, ZMQ_POLLIN);
    if (o->phase == 0) {
        cr_assert_eq(s_take(s, "warm"), 1);   /* drained to EAGAIN: the pipe's reader sleeps */
        o->phase = 1;
        cr_assert_eq(zmq_send(o->tpush, "go", 2, 0), 2);
        return;
    }
    cr_assert_eq(o->phase, 1, "a message before the trigger");
    int n = s_take(s, "data");
    cr_assert_eq(n, 1);
    o->phase = 2;
    bus_watch(o->s, 0, NULL, NULL);
    bus_watch(o->t, 0, NULL, NULL);
}

static void s_other_t_cb(bus_sock_t *t, int events, void *arg)
{
    other_t *o = arg;
    (void)events;
    bus_msg_t m;
    while (bus_recv(t, &m) == 0)
        bus_msg_close(&m);
    s_consume_edge_by_send(o->s, o->fd, o->peer, "data");
}

Test(bus_wake, a_send_from_another_sockets_callback_that_consumes_the_edge)
{
    env_t e;
    s_env_init(&e);
    other_t o = { .s = s_sock(&e, ZMQ_PAIR), .t = s_sock(&e, ZMQ_PULL) };
    cr_assert_eq(bus_bind(o.s, e.ep[0]), 0);
    cr_assert_eq(bus_bind(o.t, e.ep[1]), 0);
    o.peer = s_raw(&e, ZMQ_PAIR, e.ep[0]);
    o.tpush = s_raw(&e, ZMQ_PUSH, e.ep[1]);
    o.fd = s_fd(o.s);
    cr_assert_eq(bus_watch(o.s, ZMQ_POLLIN, s_other_s_cb, &o), 0);
    cr_assert_eq(bus_watch(o.t, ZMQ_POLLIN, s_other_t_cb, &o), 0);
    cr_assert_eq(zmq_send(o.peer, "warm", 4, 0), 4);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    cr_assert_eq(o.phase, 2);
    char buf[8];
    cr_assert_eq(zmq_recv(o.peer, buf, sizeof buf, 0), 4, "the pong never left");
    zmq_close(o.peer);
    zmq_close(o.tpush);
    bus_sock_destroy(&o.s);
    bus_sock_destroy(&o.t);
    s_env_done(&e);
}

/* ---- the same inside the socket's own callback, after a receive that ended in EAGAIN ---- */

typedef struct {
    bus_sock_t *s;
    void *peer;
    int fd;
    int calls;
    int got;
} own_t;

static void s_own_cb(bus_sock_t *s, int events, void *arg)
{
    own_t *o = arg;
    (void)events;
    o->calls++;
    o->got += s_take(s, "data");   /* ends in EAGAIN: the socket counts as known unreadable */
    if (o->got == 1)
        s_consume_edge_by_send(s, o->fd, o->peer, "data");   /* ... until this send */
    else if (o->got == 2)
        bus_watch(s, 0, NULL, NULL);
}

Test(bus_wake, a_send_after_a_drained_receive_in_the_own_callback_that_consumes_the_edge)
{
    env_t e;
    s_env_init(&e);
    own_t o = { .s = s_sock(&e, ZMQ_PAIR) };
    cr_assert_eq(bus_bind(o.s, e.ep[0]), 0);
    o.peer = s_raw(&e, ZMQ_PAIR, e.ep[0]);
    o.fd = s_fd(o.s);
    cr_assert_eq(bus_watch(o.s, ZMQ_POLLIN, s_own_cb, &o), 0);
    cr_assert_eq(zmq_send(o.peer, "data", 4, 0), 4);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    cr_assert_eq(o.got, 2);
    cr_assert_eq(o.calls, 2);
    zmq_close(o.peer);
    bus_sock_destroy(&o.s);
    s_env_done(&e);
}

/* ---- many queued messages: all arrive, one ZMQ_EVENTS read per callback ----------------- */

typedef struct {
    int got;
    int calls;
    int budget;
    int want;
} many_t;

static void s_many_cb(bus_sock_t *s, int events, void *arg)
{
    many_t *k = arg;
    (void)events;
    k->calls++;
    for (int n = 0; n < k->budget; n++) {
        bus_msg_t m;
        if (bus_recv(s, &m) != 0)
            break;
        bus_msg_close(&m);
        if (++k->got == k->want) {
            bus_watch(s, 0, NULL, NULL);
            return;
        }
    }
}

Test(bus_wake, many_queued_messages_cost_one_events_read_per_callback)
{
    env_t e;
    s_env_init(&e);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    void *push = s_raw(&e, ZMQ_PUSH, e.ep[0]);
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(zmq_send(push, &i, sizeof i, 0), (int)sizeof i);
    usleep(100000);   /* most of them reach the PULL's pipe before it is watched */
    many_t k = { .budget = 10, .want = 5000 };
    cr_assert_eq(bus_watch(pull, ZMQ_POLLIN, s_many_cb, &k), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    cr_assert_eq(k.got, 5000);
    cr_assert_geq(k.calls, 500);   /* 5000 / budget 10: the loop kept turning by itself */
    bus_stats_t st;
    bus_stats(pull, &st);
    /* Each turn: the callback receives (stale), prepare reads once, check trusts that read.
     * A tenth more for the start and for fd edges of pipe activations; two per
     * callback, the rule of reading in both hooks, fails. */
    cr_assert_leq(st.event_reads, (uint64_t)k.calls + (uint64_t)k.calls / 10, "%llu ZMQ_EVENTS reads for %d callbacks",
                  (unsigned long long)st.event_reads, k.calls);
    zmq_close(push);
    bus_sock_destroy(&pull);
    s_env_done(&e);
}

/* ---- nothing pending: the loop blocks ------------------------------------------------------ */

typedef struct {
    int turns;
    int calls;
} idle_t;

static void s_turn_cb(uv_prepare_t *h) { ((idle_t *)h->data)->turns++; }
static void s_never_cb(bus_sock_t *s, int events, void *arg)
{
    (void)s;
    (void)events;
    ((idle_t *)arg)->calls++;
}
static void s_stop_cb(uv_timer_t *t) { uv_stop(t->loop); }

Test(bus_wake, a_socket_with_nothing_pending_does_not_spin)
{
    env_t e;
    s_env_init(&e);
    bus_sock_t *pull = s_sock(&e, ZMQ_PULL);
    bus_sock_t *dealer = s_sock(&e, ZMQ_DEALER);
    cr_assert_eq(bus_bind(pull, e.ep[0]), 0);
    void *push = s_raw(&e, ZMQ_PUSH, e.ep[0]);   /* a live connection, silent */
    idle_t c = { 0 };
    cr_assert_eq(bus_watch(pull, ZMQ_POLLIN, s_never_cb, &c), 0);
    cr_assert_eq(bus_watch(dealer, ZMQ_POLLIN, s_never_cb, &c), 0);
    /* Let the connection settle (its attach commands wake the loop a few times). */
    uv_timer_t stop;
    uv_timer_init(&e.loop, &stop);
    uv_timer_start(&stop, s_stop_cb, 100, 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    bus_stats_t st0;
    bus_stats(pull, &st0);

    uv_prepare_t turn;
    uv_prepare_init(&e.loop, &turn);
    turn.data = &c;
    uv_prepare_start(&turn, s_turn_cb);
    uv_timer_start(&stop, s_stop_cb, 200, 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    bus_stats_t st1;
    bus_stats(pull, &st1);
    cr_assert_eq(c.calls, 0);
    /* One turn to block, one for the timer; a spinning watcher makes thousands. */
    cr_assert_leq(c.turns, 5, "%d loop turns in 200 ms with nothing pending", c.turns);
    cr_assert_leq(st1.event_reads - st0.event_reads, 2, "%llu ZMQ_EVENTS reads while idle",
                  (unsigned long long)(st1.event_reads - st0.event_reads));
    uv_close((uv_handle_t *)&turn, NULL);
    uv_close((uv_handle_t *)&stop, NULL);
    zmq_close(push);
    bus_sock_destroy(&pull);
    bus_sock_destroy(&dealer);
    s_env_done(&e);
}
