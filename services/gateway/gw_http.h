/*  gw_http: libmicrohttpd inside the service's libuv loop.
 *
 *  MHD runs without a thread of its own (MHD_USE_EPOLL, external polling): its epoll fd is
 *  watched by a uv_poll_t, MHD_run() is called when it is readable, and a uv_timer_t set
 *  from MHD_get_timeout() calls it when MHD has work pending without fd activity (data
 *  buffered in its edge-triggered ready list, resumed connections, timeouts). Every MHD
 *  callback therefore runs on the loop thread, like the ZeroMQ callbacks, and a handler may
 *  suspend a connection and resume it from any other callback of the loop.
 *
 *  Slow clients: a connection must deliver its whole request (headers and body) within
 *  request_deadline_ms of opening (or of its previous response); otherwise it is closed.
 *  Once a request has arrived the deadline no longer applies, so SSE streams and requests
 *  waiting for a service live on. Each client address may hold per_ip_limit connections.
 */
#ifndef MVOI_GW_HTTP_H
#define MVOI_GW_HTTP_H

#include <microhttpd.h>
#include <uv.h>
#include "text.h"

typedef struct gw_http_t gw_http_t;

/* The gateway's own request limits, answered as problem documents (414 uri-too-long, 431
 * header-too-large) by the handler. libmicrohttpd's own limit (its per-connection memory
 * pool, GW_HTTP_POOL_BYTES) answers with an HTML page it does not let us replace, so it is
 * set well above these: a request over the gateway's limits still arrives whole and gets
 * the named JSON error. Only a request over the pool itself (about 60 KiB of request line
 * and headers) gets MHD's page. */
#define GW_HTTP_URI_MAX 8192u             /* request target, raw, with the query */
#define GW_HTTP_HEADERS_MAX 16384u        /* header fields: name + ": " + value + CRLF each */
#define GW_HTTP_HEADER_COUNT_MAX 100u     /* header fields */
#define GW_HTTP_POOL_BYTES (64u * 1024u)  /* MHD_OPTION_CONNECTION_MEMORY_LIMIT */

typedef struct {
    const char *listen;                 /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" */
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    unsigned connection_limit;          /* default 4096 */
    unsigned timeout_s;                 /* idle connection timeout, default 60 */
    unsigned per_ip_limit;              /* connections per client address, 0 = no limit */
    unsigned request_deadline_ms;       /* a whole request must arrive within, default 10000 */
} gw_http_opts_t;

gw_http_t *gw_http_new(uv_loop_t *loop, const gw_http_opts_t *o, int *err);
/* Stop accepting new connections (graceful stop, first step). */
void gw_http_quiesce(gw_http_t *self);
/* Stops the daemon (every suspended connection must have been resumed), closes handles. */
void gw_http_destroy(gw_http_t **self_p);
/* Run MHD soon (after resuming connections from a non-MHD callback). */
void gw_http_kick(gw_http_t *self);
unsigned gw_http_port(gw_http_t *self);
unsigned gw_http_connections(gw_http_t *self);
struct MHD_Daemon *gw_http_daemon(gw_http_t *self);
/* Whether the current request's path (before '?') held "%00": MHD gives the handler the
 * decoded path cut at that NUL, so the handler must refuse it rather than serve the cut. */
int gw_http_path_nul(struct MHD_Connection *conn);
/* 1 when the current request's raw path holds %2F: an encoded '/' that MHD decodes into a
 * path separator, so "/api/tenders/A%2FB" would route as a path that does not exist. */
int gw_http_path_slash(struct MHD_Connection *conn);
/* The current request against the gateway's limits: 0 within them, else 414 or 431 with
 * a detail naming the limit, in lang. */
int gw_http_request_limits(struct MHD_Connection *conn, text_lang_t lang, char *detail,
                           size_t len);
/* Connections closed because their request did not arrive within the deadline. */
uint64_t gw_http_deadline_cut(gw_http_t *self);

#endif
