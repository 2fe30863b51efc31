/*  bus: ZeroMQ sockets inside a libuv loop.
 *
 *  One zmq context per process (bus_ctx_t). A bus_sock_t joins the loop with the
 *  prepare/check/idle/poll watcher of docs/libraries.md#watcher: ZMQ_FD is edge-triggered, so
 *  ZMQ_EVENTS is read again before the loop blocks whenever the fd signalled or a bus call
 *  worked the socket since the last read, and the loop keeps turning (idle) while messages
 *  are queued; the check hook calls the user's callback only when the wanted events are
 *  really set. Callbacks drain with bus_recv() until -EAGAIN or their own budget; whatever
 *  is left is seen before the next block. Sends never block: -EAGAIN is backpressure.
 *
 *  Messages are multipart: bus_msg_t holds up to BUS_MAX_PARTS frames. PUB: [topic][body].
 *  ROUTER receives [identity][body] and replies the same way; DEALER sends [body].
 *  Only the loop thread may touch a socket.
 */
#ifndef MVOI_BUS_H
#define MVOI_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <uv.h>
#include <zmq.h>

#define BUS_MAX_PARTS 4

typedef struct bus_ctx_t bus_ctx_t;
typedef struct bus_sock_t bus_sock_t;

/* Socket defaults (docs/libraries.md#socket-options); bus_opts_default() fills them. */
typedef struct {
    int sndhwm;              /* default 100000 */
    int rcvhwm;              /* default 100000 */
    int64_t maxmsgsize;      /* default 1 MiB: caps protobuf input at the transport */
    int linger_ms;           /* default 1000; tests use 0 */
    int heartbeat_ivl_ms;    /* ZMTP PING interval, default 1000; 0 = off. PUB/SUB get TCP
                                keepalive instead (idle = timeout, interval = ivl, 3 probes):
                                a slow subscriber must not be cut (bus.c s_is_stream) */
    int heartbeat_timeout_ms;/* default 3000 */
    bool router_mandatory;   /* ROUTER: unknown peer -> EHOSTUNREACH (default true) */
    bool immediate;          /* PUSH/DEALER: queue only on completed connections (default false) */
} bus_opts_t;

void bus_opts_default(bus_opts_t *opts);

bus_ctx_t *bus_ctx_new(void);
/* Closes the context; every socket must have been destroyed first. Sockets close
 * asynchronously (their uv handles close on the next loop iteration), so if some are still
 * closing, zmq_ctx_term() is deferred to the last socket's close callback: the caller must run
 * the loop until the handles are closed, e.g. uv_run(loop, UV_RUN_DEFAULT) afterwards. */
void bus_ctx_destroy(bus_ctx_t **self_p);
void *bus_ctx_zmq(bus_ctx_t *self);

/* type: ZMQ_PUB, ZMQ_SUB, ZMQ_PUSH, ZMQ_PULL, ZMQ_ROUTER, ZMQ_DEALER, ZMQ_REQ...
 * opts may be NULL for the defaults. Returns NULL on failure. */
bus_sock_t *bus_sock_new(bus_ctx_t *ctx, uv_loop_t *loop, int type, const bus_opts_t *opts);
/* Stops the watcher (uv handles are closed; the zmq socket is closed with its linger once
 * all four handles have closed, i.e. when the loop runs next; the struct is freed then).
 * Safe to call from inside the socket's own callback; no callback runs after it. */
void bus_sock_destroy(bus_sock_t **self_p);

int bus_bind(bus_sock_t *self, const char *endpoint);
int bus_connect(bus_sock_t *self, const char *endpoint);
int bus_disconnect(bus_sock_t *self, const char *endpoint);
/* Actual address after bind("tcp://127.0.0.1:*"). */
int bus_last_endpoint(bus_sock_t *self, char *buf, size_t len);
int bus_subscribe(bus_sock_t *self, const char *prefix);
/* The raw socket, for what bus.h does not offer (e.g. a ZAP handler's many frames). Take it
 * afresh right before the raw calls, after this turn's last bus_recv(): the call tells the
 * watcher to read ZMQ_EVENTS again before the loop blocks, since a raw send or receive may
 * consume the ZMQ_FD edge that would have woken it. */
void *bus_sock_zmq(bus_sock_t *self);

/* Callback when the socket has the wanted events (ZMQ_POLLIN and/or ZMQ_POLLOUT).
 * Passing fn == NULL stops watching. When ZMQ_EVENTS cannot be read (EINTR is retried; any
 * other error means the socket or its context is gone, e.g. ETERM) the watcher stops and
 * fn is called once more with events == ZMQ_POLLERR, so that the owner learns it instead
 * of a socket that silently never wakes again; bus_sock_error() gives the error. */
typedef void (bus_fn)(bus_sock_t *sock, int events, void *arg);
int bus_watch(bus_sock_t *self, int events, bus_fn *fn, void *arg);
/* 0, or the negative errno that stopped the watcher. */
int bus_sock_error(bus_sock_t *self);

typedef struct {
    zmq_msg_t part[BUS_MAX_PARTS];
    int nparts;
} bus_msg_t;

/* Non-blocking receive of one whole multipart message. 0, -EAGAIN when nothing is queued,
 * -EPROTO when it has more than BUS_MAX_PARTS frames (the message is consumed and dropped),
 * other negative errno on failure. On 0 the caller must bus_msg_close(). */
int bus_recv(bus_sock_t *self, bus_msg_t *msg);
void bus_msg_close(bus_msg_t *msg);
static inline const void *bus_msg_data(bus_msg_t *m, int i) { return zmq_msg_data(&m->part[i]); }
static inline size_t bus_msg_size(bus_msg_t *m, int i) { return zmq_msg_size(&m->part[i]); }

typedef struct {
    const void *data;
    size_t size;
} bus_frame_t;

/* Non-blocking send of n frames as one message. 0, -EAGAIN at HWM (nothing was sent),
 * -EHOSTUNREACH for a ROUTER peer that is gone, other negative errno. */
int bus_send(bus_sock_t *self, const bus_frame_t *frames, int n);

/* Counters, for metrics and tests. */
typedef struct {
    uint64_t received;
    uint64_t sent;
    uint64_t send_eagain;
    uint64_t dropped_bad;     /* messages with too many parts */
    uint64_t wakeups;
    uint64_t event_errors;    /* ZMQ_EVENTS reads that failed for good (watcher stopped) */
    uint64_t event_reads;     /* ZMQ_EVENTS reads by the watcher (each a pass through libzmq's
                                 command processing: at least a getpid() and a poll()) */
} bus_stats_t;
void bus_stats(bus_sock_t *self, bus_stats_t *out);

#endif
