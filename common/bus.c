/*  bus: ZeroMQ sockets inside a libuv loop (docs/libraries.md#watcher).
 *
 *  Each socket owns four libuv handles (the rule: docs/libraries.md#watcher):
 *    poll     on ZMQ_FD, started once for as long as the socket is watched (restarting it
 *             costs two epoll_ctl): the fd signalled, so the socket is marked stale.
 *    check    after the loop wakes: if stale, reads ZMQ_EVENTS (which drains the fd); calls
 *             the user callback only if a wanted event is really set.
 *    prepare  before the loop blocks: if stale, reads ZMQ_EVENTS; if a wanted event is pending
 *             starts the idle handle (so the loop does not block), else stops it.
 *    idle     empty callback: keeps the loop turning while messages are queued.
 *  ZMQ_EVENTS is read at most once per hook and only when the socket is stale: every read
 *  runs libzmq's command processing (getpid, poll, maybe read), and so does every send and
 *  receive, which may consume the fd's edge. So each bus call that enters libzmq marks the
 *  socket stale, and prepare reads it again before the loop blocks: a send or receive from
 *  any callback is always noticed. The one exception: a receive that ended in EAGAIN leaves
 *  the socket known unreadable with the fd drained (s_drained).
 *
 *  Lifetime. bus_sock_destroy() stops the watcher and uv_close()s the four handles; when the
 *  last close callback has run the zmq socket is closed and the struct freed. So destroying a
 *  socket from inside its own callback is safe, and the socket really goes away only once the
 *  loop has run again (uv_run(loop, UV_RUN_DEFAULT) or a few UV_RUN_NOWAIT iterations).
 *  bus_ctx_destroy() terminates the zmq context immediately when no socket is alive; otherwise
 *  termination is deferred until the last socket's handles have closed. Either way the caller
 *  must run the loop until the handles are closed before the process exits.
 */
#include "bus.h"
#include "mvoi_curve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bus_ctx_t {
    void *zctx;
    int live;              /* sockets created and not yet fully closed */
    bool destroy_pending;  /* bus_ctx_destroy() was called while sockets were alive */
};

struct bus_sock_t {
    bus_ctx_t *ctx;
    uv_loop_t *loop;
    void *zsock;
    int type;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    uv_poll_t poll;
    int handles_open;      /* handles not yet through their close callback */
    bool closing;
    int events;            /* wanted ZMQ_POLLIN / ZMQ_POLLOUT */
    int cached;            /* ZMQ_EVENTS as last read; the truth while !stale */
    bool stale;            /* libzmq may have processed commands since that read: the fd
                              signalled, or a call into the socket ran its command processing
                              (which may also have consumed the fd's edge) */
    int error;             /* why ZMQ_EVENTS could not be read; the watcher stopped */
    bus_fn *fn;
    void *arg;
    bus_stats_t stats;
};

static int s_err(void)
{
    int e = zmq_errno();
    return e > 0 ? -e : -EIO;
}

void bus_opts_default(bus_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->sndhwm = 100000;
    opts->rcvhwm = 100000;
    opts->maxmsgsize = 1 << 20;
    opts->linger_ms = 1000;
    opts->heartbeat_ivl_ms = 1000;
    opts->heartbeat_timeout_ms = 3000;
    opts->router_mandatory = true;
    opts->immediate = false;
}

/* ---- context ---------------------------------------------------------------------------- */

bus_ctx_t *bus_ctx_new(void)
{
    bus_ctx_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        free(self);
        return NULL;
    }
    zmq_ctx_set(self->zctx, ZMQ_IO_THREADS, 1);
    return self;
}

static void s_ctx_term(bus_ctx_t *self)
{
    while (zmq_ctx_term(self->zctx) != 0 && zmq_errno() == EINTR)
        ;
    free(self);
}

void bus_ctx_destroy(bus_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_ctx_t *self = *self_p;
    *self_p = NULL;
    if (self->live == 0)
        s_ctx_term(self);
    else
        self->destroy_pending = true;   /* finished by the last socket's close callback */
}

void *bus_ctx_zmq(bus_ctx_t *self)
{
    return self ? self->zctx : NULL;
}

/* ---- watcher ---------------------------------------------------------------------------- */

/* ZMQ_EVENTS, or a negative errno. A failed read is never "no events": the fd edge that
 * would wake us may already be consumed, so taking it for 0 would park the socket forever.
 * Each read runs libzmq's command processing (a getpid() fork check and a poll() of the
 * mailbox fd at least), so the watcher reads only when the state may have changed. */
static int s_events(bus_sock_t *self)
{
    int ev = 0;
    size_t sz = sizeof ev;
    self->stats.event_reads++;
    if (zmq_getsockopt(self->zsock, ZMQ_EVENTS, &ev, &sz) != 0)
        return s_err();
    return ev;
}

/* The events as of now: the last read while nothing can have changed them, else a new one.
 * A failed read leaves the socket stale, so that the next hook tries again. */
static int s_current(bus_sock_t *self)
{
    if (!self->stale)
        return self->cached;
    int ev = s_events(self);
    if (ev < 0)
        return ev;
    self->cached = ev;
    self->stale = false;
    return ev;
}

static void s_stop(bus_sock_t *self);

/* ZMQ_EVENTS failed for good (the socket or its context is gone): stop watching and tell
 * the owner once, with ZMQ_POLLERR; bus_sock_error() says why. */
static void s_fail(bus_sock_t *self, int err)
{
    self->error = err;
    self->stats.event_errors++;
    s_stop(self);
    bus_fn *fn = self->fn;
    if (fn)
        fn(self, ZMQ_POLLERR, self->arg);   /* may destroy self: the struct lives until close */
}

/* ZMQ_FD signalled: commands wait in the socket's mailbox. They are processed (and the fd
 * drained: libuv polls it level-triggered, so it must not stay readable) by the check hook
 * of this same turn. */
static void s_poll_cb(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    ((bus_sock_t *)h->data)->stale = true;
}

static void s_empty_idle_cb(uv_idle_t *h) { (void)h; }

/* Before the loop blocks: if a wanted event is pending, the loop must not block (the fd
 * will not signal it again); the idle handle keeps it turning. */
static void s_prepare_cb(uv_prepare_t *h)
{
    bus_sock_t *self = h->data;
    if (self->closing || !self->fn)
        return;
    int ev = s_current(self);
    /* An error is looked at after the wake-up (check), where the owner may be called; EINTR
     * is simply tried again there. */
    if (ev < 0 || (ev & self->events))
        uv_idle_start(&self->idle, s_empty_idle_cb);
    else
        uv_idle_stop(&self->idle);
}

static void s_check_cb(uv_check_t *h)
{
    bus_sock_t *self = h->data;
    if (self->closing || !self->fn)
        return;
    int ev = s_current(self);
    if (ev == -EINTR)
        return;            /* still stale: prepare reads it again and keeps the loop turning */
    if (ev < 0) {
        s_fail(self, ev);
        return;
    }
    ev &= self->events;
    if (ev) {
        self->stats.wakeups++;
        /* The callback works the socket; whatever it leaves is read again before the block,
         * unless its last receive ended in EAGAIN (bus_recv). */
        self->stale = true;
        self->fn(self, ev, self->arg);   /* may destroy self: the struct lives until close */
    }
}

static void s_stop(bus_sock_t *self)
{
    uv_prepare_stop(&self->prepare);
    uv_check_stop(&self->check);
    uv_idle_stop(&self->idle);
    uv_poll_stop(&self->poll);
}

int bus_watch(bus_sock_t *self, int events, bus_fn *fn, void *arg)
{
    if (!self || self->closing)
        return -EINVAL;
    events &= ZMQ_POLLIN | ZMQ_POLLOUT;
    if (!fn || !events) {
        self->fn = NULL;
        self->arg = NULL;
        self->events = 0;
        s_stop(self);
        return 0;
    }
    self->fn = fn;
    self->arg = arg;
    self->events = events;
    self->stale = true;
    uv_prepare_start(&self->prepare, s_prepare_cb);
    uv_check_start(&self->check, s_check_cb);
    /* Started once for the socket's life: uv_poll_start() on an active handle removes the fd
     * from epoll and adds it again (two epoll_ctl). UV_READABLE even for POLLOUT. */
    if (!uv_is_active((uv_handle_t *)&self->poll)) {
        int rc = uv_poll_start(&self->poll, UV_READABLE, s_poll_cb);
        if (rc != 0) {
            s_stop(self);
            self->fn = NULL;
            return rc;
        }
    }
    return 0;
}

/* ---- socket ----------------------------------------------------------------------------- */

static int s_setint(void *z, int opt, int v)
{
    return zmq_setsockopt(z, opt, &v, sizeof v);
}

/* PUB/SUB carry streams whose consumer may be slower than the producer for minutes (a
 * bulk load): the SUB stops reading its connection at RCVHWM and then cannot see ZMTP
 * PINGs. A heartbeat timeout there cuts a live connection (the publisher's queue for it is
 * lost: a gap to replay) or, on the subscriber, aborts the process inside libzmq: the
 * stalled engine dies, a stale "pipe writable again" reaches the reconnected one,
 * "Assertion failed: _input_stopped (stream_engine_base.cpp)" (zeromq/libzmq#3937, #4767;
 * seen in the kpi-aggregator at 400 buyers). Streams use TCP keepalive instead: the kernel
 * answers its probes whether or not the process reads, so only a dead peer or host is cut;
 * liveness of the producer is the stream's own heartbeat (topic hb). */
static bool s_is_stream(int type)
{
    return type == ZMQ_PUB || type == ZMQ_SUB || type == ZMQ_XPUB || type == ZMQ_XSUB;
}

static int s_secs(int ms)
{
    return ms >= 1000 ? (ms + 999) / 1000 : 1;
}

static int s_apply_opts(void *z, int type, const bus_opts_t *o)
{
    int64_t maxmsg = o->maxmsgsize;
    if (s_setint(z, ZMQ_SNDHWM, o->sndhwm) || s_setint(z, ZMQ_RCVHWM, o->rcvhwm)
        || zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg)
        || s_setint(z, ZMQ_LINGER, o->linger_ms))
        return s_err();
    if (o->heartbeat_ivl_ms > 0 && s_is_stream(type)) {
        if (s_setint(z, ZMQ_TCP_KEEPALIVE, 1)
            || s_setint(z, ZMQ_TCP_KEEPALIVE_IDLE, s_secs(o->heartbeat_timeout_ms))
            || s_setint(z, ZMQ_TCP_KEEPALIVE_INTVL, s_secs(o->heartbeat_ivl_ms))
            || s_setint(z, ZMQ_TCP_KEEPALIVE_CNT, 3))
            return s_err();
    } else if (o->heartbeat_ivl_ms > 0) {
        if (s_setint(z, ZMQ_HEARTBEAT_IVL, o->heartbeat_ivl_ms)
            || s_setint(z, ZMQ_HEARTBEAT_TIMEOUT, o->heartbeat_timeout_ms)
            || s_setint(z, ZMQ_HEARTBEAT_TTL, o->heartbeat_timeout_ms))
            return s_err();
    }
    if (type == ZMQ_ROUTER && o->router_mandatory && s_setint(z, ZMQ_ROUTER_MANDATORY, 1))
        return s_err();
    if ((type == ZMQ_PUSH || type == ZMQ_DEALER) && o->immediate && s_setint(z, ZMQ_IMMEDIATE, 1))
        return s_err();
    return 0;
}

static void s_close_cb(uv_handle_t *h)
{
    bus_sock_t *self = h->data;
    if (--self->handles_open > 0)
        return;
    bus_ctx_t *ctx = self->ctx;
    zmq_close(self->zsock);
    free(self);
    if (--ctx->live == 0 && ctx->destroy_pending)
        s_ctx_term(ctx);
}

bus_sock_t *bus_sock_new(bus_ctx_t *ctx, uv_loop_t *loop, int type, const bus_opts_t *opts)
{
    if (!ctx || !loop)
        return NULL;
    bus_opts_t def;
    if (!opts) {
        bus_opts_default(&def);
        opts = &def;
    }
    void *z = zmq_socket(ctx->zctx, type);
    if (!z)
        return NULL;
    if (s_apply_opts(z, type, opts) != 0) {
        zmq_close(z);
        return NULL;
    }
    int fd = -1;
    size_t sz = sizeof fd;
    if (zmq_getsockopt(z, ZMQ_FD, &fd, &sz) != 0) {
        zmq_close(z);
        return NULL;
    }
    bus_sock_t *self = calloc(1, sizeof *self);
    if (!self) {
        zmq_close(z);
        return NULL;
    }
    self->ctx = ctx;
    self->loop = loop;
    self->zsock = z;
    self->type = type;
    if (uv_poll_init(loop, &self->poll, fd) != 0) {
        zmq_close(z);
        free(self);
        return NULL;
    }
    uv_prepare_init(loop, &self->prepare);
    uv_check_init(loop, &self->check);
    uv_idle_init(loop, &self->idle);
    self->prepare.data = self->check.data = self->idle.data = self->poll.data = self;
    self->handles_open = 4;
    ctx->live++;
    return self;
}

void bus_sock_destroy(bus_sock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_sock_t *self = *self_p;
    *self_p = NULL;
    if (self->closing)
        return;
    self->closing = true;
    self->fn = NULL;
    s_stop(self);
    uv_close((uv_handle_t *)&self->prepare, s_close_cb);
    uv_close((uv_handle_t *)&self->check, s_close_cb);
    uv_close((uv_handle_t *)&self->idle, s_close_cb);
    uv_close((uv_handle_t *)&self->poll, s_close_cb);
}

int bus_bind(bus_sock_t *self, const char *endpoint)
{
    self->stale = true;   /* zmq_bind processes the socket's commands */
    int rc = mvoi_curve_server(self->zsock, endpoint);   /* CURVE when the process has it */
    if (rc != 0)
        return rc;
    return zmq_bind(self->zsock, endpoint) == 0 ? 0 : s_err();
}

int bus_connect(bus_sock_t *self, const char *endpoint)
{
    self->stale = true;
    int rc = mvoi_curve_client(self->zsock, endpoint);
    if (rc != 0)
        return rc;
    return zmq_connect(self->zsock, endpoint) == 0 ? 0 : s_err();
}

int bus_disconnect(bus_sock_t *self, const char *endpoint)
{
    self->stale = true;
    return zmq_disconnect(self->zsock, endpoint) == 0 ? 0 : s_err();
}

int bus_last_endpoint(bus_sock_t *self, char *buf, size_t len)
{
    size_t sz = len;
    if (!buf || len == 0)
        return -EINVAL;
    if (zmq_getsockopt(self->zsock, ZMQ_LAST_ENDPOINT, buf, &sz) != 0)
        return s_err();
    buf[len - 1] = '\0';
    return 0;
}

int bus_subscribe(bus_sock_t *self, const char *prefix)
{
    if (!prefix)
        prefix = "";
    self->stale = true;
    return zmq_setsockopt(self->zsock, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) == 0 ? 0 : s_err();
}

void *bus_sock_zmq(bus_sock_t *self)
{
    if (!self)
        return NULL;
    self->stale = true;   /* the caller is about to work the socket behind the watcher's back */
    return self->zsock;
}

/* ---- messages --------------------------------------------------------------------------- */

/* A non-blocking receive that ends in EAGAIN has just done what a ZMQ_EVENTS read does for
 * POLLIN (libzmq's socket_base_t::recv: xrecv fails, process_commands(0), xrecv fails
 * again): every pending command is processed, the mailbox fd is drained, and the socket is
 * not readable. So a watcher that wants only POLLIN needs no read before the block: the next
 * message signals the fd. Saves one getpid() and one poll() per drained turn. */
static void s_drained(bus_sock_t *self)
{
    self->cached &= ~ZMQ_POLLIN;
    if (!(self->events & ZMQ_POLLOUT))
        self->stale = false;
}

int bus_recv(bus_sock_t *self, bus_msg_t *msg)
{
    msg->nparts = 0;
    self->stale = true;
    for (;;) {
        zmq_msg_t *p = &msg->part[msg->nparts];
        zmq_msg_init(p);
        if (zmq_msg_recv(p, self->zsock, ZMQ_DONTWAIT) < 0) {
            int rc = s_err();
            zmq_msg_close(p);
            bus_msg_close(msg);
            if (rc == -EAGAIN && msg->nparts == 0)
                s_drained(self);
            return rc;   /* -EAGAIN on the first frame; later frames arrive atomically */
        }
        msg->nparts++;
        if (!zmq_msg_more(p))
            break;
        if (msg->nparts == BUS_MAX_PARTS) {
            /* Too many frames: consume the rest of this message and drop it whole. */
            zmq_msg_t rest;
            zmq_msg_init(&rest);
            bool more = true;
            while (more) {
                if (zmq_msg_recv(&rest, self->zsock, ZMQ_DONTWAIT) < 0)
                    break;
                more = zmq_msg_more(&rest);
            }
            zmq_msg_close(&rest);
            bus_msg_close(msg);
            self->stats.dropped_bad++;
            return -EPROTO;
        }
    }
    self->stats.received++;
    return 0;
}

void bus_msg_close(bus_msg_t *msg)
{
    for (int i = 0; i < msg->nparts; i++)
        zmq_msg_close(&msg->part[i]);
    msg->nparts = 0;
}

int bus_send(bus_sock_t *self, const bus_frame_t *frames, int n)
{
    if (!self || self->closing || n <= 0 || !frames)
        return -EINVAL;
    self->stale = true;   /* a send may process commands: e.g. the one that makes us readable */
    for (int i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i < n - 1 ? ZMQ_SNDMORE : 0);
        if (zmq_send(self->zsock, frames[i].data, frames[i].size, flags) < 0) {
            /* libzmq rolls back the parts already queued when a later part fails. */
            int rc = s_err();
            if (rc == -EAGAIN)
                self->stats.send_eagain++;
            return rc;
        }
    }
    self->stats.sent++;
    return 0;
}

void bus_stats(bus_sock_t *self, bus_stats_t *out)
{
    *out = self->stats;
}

int bus_sock_error(bus_sock_t *self) { return self ? self->error : -EINVAL; }
