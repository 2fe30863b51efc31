/*  gw_sse: Server-Sent Events clients on suspended libmicrohttpd connections.
 *
 *  Each client has its own output queue. The response is a content-reader callback of
 *  unknown size (chunked): it hands out what is queued, and when the queue is empty it
 *  suspends the connection and returns 0; appending to the queue resumes it. So an idle
 *  stream costs no CPU, and one update is formatted once and appended to every matching
 *  client. A client whose queue grows beyond max_queue (a reader that does not keep up) is
 *  disconnected; its EventSource reconnects with Last-Event-ID and loses nothing. A comment
 *  line every heartbeat_ms keeps proxies from closing idle streams and detects dead peers
 *  (a suspended connection does not notice a disconnect until it writes).
 */
#ifndef MVOI_GW_SSE_H
#define MVOI_GW_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "gw_http.h"
#include "gw_sse_frame.h"

typedef struct gw_sse_t gw_sse_t;
typedef struct gw_sse_client_t gw_sse_client_t;

gw_sse_t *gw_sse_new(uv_loop_t *loop, gw_http_t *http, uint32_t heartbeat_ms, size_t max_queue);
/* Ends every stream (graceful stop); the connections finish on the next MHD run. */
void gw_sse_close_all(gw_sse_t *self);
void gw_sse_destroy(gw_sse_t **self_p);

/* A new client for connection conn; the returned response must be queued by the caller
 * (and destroyed after queueing). buyer filters the totals it receives. */
struct MHD_Response *gw_sse_open(gw_sse_t *self, struct MHD_Connection *conn, const char *buyer,
                                 gw_sse_client_t **out);

int gw_sse_append(gw_sse_client_t *c, const char *data, size_t len);
const char *gw_sse_client_buyer(gw_sse_client_t *c);
/* The stream was opened with a token; gw_sse_end_tokened ends such a stream (the tokens were
 * reloaded: the browser reconnects with Last-Event-ID and its token is checked again).
 * true when it was ended. */
void gw_sse_set_tokened(gw_sse_client_t *c);
bool gw_sse_end_tokened(gw_sse_client_t *c);
/* A client waits for its first event (the view was not fresh when it connected); pos is
 * where it resumes from (NULL: nowhere, it gets a snapshot). */
void gw_sse_set_waiting(gw_sse_client_t *c, bool waiting, const gw_sse_pos_t *pos);
bool gw_sse_waiting(gw_sse_client_t *c, gw_sse_pos_t *pos);

/* Append to every client whose buyer equals buyer (NULL: all), except waiting ones. */
void gw_sse_broadcast(gw_sse_t *self, const char *buyer, const char *data, size_t len);
typedef void (gw_sse_fn)(void *arg, gw_sse_client_t *c);
void gw_sse_each(gw_sse_t *self, gw_sse_fn *fn, void *arg);

/* Called when a client's stream ends (its buyer), e.g. to let an idle buyer go. */
typedef void (gw_sse_close_fn)(void *arg, const char *buyer);
void gw_sse_on_close(gw_sse_t *self, gw_sse_close_fn *fn, void *arg);

typedef struct {
    uint64_t clients, opened, closed, dropped_slow, events, bytes;
} gw_sse_stats_t;
void gw_sse_stats(gw_sse_t *self, gw_sse_stats_t *out);
/* Count one logical event (for metrics). */
void gw_sse_count_event(gw_sse_t *self, uint64_t n);

#endif
