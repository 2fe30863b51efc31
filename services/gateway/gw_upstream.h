/*  gw_upstream: asynchronous requests to one service's ROUTER over a DEALER on the loop.
 *
 *  A request gets a unique request id (or the caller's, for an idempotent command), is sent
 *  without blocking, and its callback runs exactly once: with the reply, or with -ETIMEDOUT
 *  after timeout_ms, or -EAGAIN when the request could not be queued (no connection),
 *  or -ECANCELED at shutdown. A HealthRequest every health_ms keeps the service's last
 *  HealthReply for /metrics and /readyz.
 */
#ifndef MVOI_GW_UPSTREAM_H
#define MVOI_GW_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "envelope.pb-c.h"

typedef struct gw_upstream_t gw_upstream_t;

/* rc 0: reply (owned by the callee: free with codec_free); rc < 0: no reply. */
typedef void (gw_up_fn)(void *arg, int rc, Mvoi__Envelope *reply);

typedef struct {
    const char *name;        /* "calendar" */
    const char *endpoint;    /* tcp://127.0.0.1:7101 */
    uint32_t timeout_ms;     /* default 5000 */
    uint32_t health_ms;      /* default 2000; 0 = off */
} gw_upstream_opts_t;

gw_upstream_t *gw_upstream_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_upstream_opts_t *o);
/* Fails every pending request with -ECANCELED (callbacks run), closes the socket. */
void gw_upstream_destroy(gw_upstream_t **self_p);

/* Sends req (request_id is set here when NULL). Returns 0 or a negative errno; on error
 * the callback is NOT called. *id (may be NULL) gets a handle for gw_upstream_forget. */
int gw_upstream_request(gw_upstream_t *self, Mvoi__Envelope *req, gw_up_fn *fn, void *arg,
                        uint64_t *id);
/* "calendar" */
const char *gw_upstream_name(const gw_upstream_t *self);
/* True the first time this service refused the gateway's own key (once in the log, not
 * once per request). */
bool gw_upstream_first_key_refusal(gw_upstream_t *self);
/* The caller no longer wants the answer: its callback will not run. */
void gw_upstream_forget(gw_upstream_t *self, uint64_t id);

/* fn(arg, reply) for every HealthReply (the kpi-aggregator's says whether its totals are
 * complete, gw_pubready.h). */
void gw_upstream_on_health(gw_upstream_t *self,
                           void (*fn)(void *arg, const Mvoi__HealthReply *h), void *arg);
/* Ask for a HealthReply on the next tick instead of after health_ms (a restart was seen). */
void gw_upstream_health_soon(gw_upstream_t *self);

#define GW_UP_MAX_REASONS 8
#define GW_UP_MAX_FEEDS 4

typedef struct {
    const char *name;
    const char *endpoint;
    bool up;                       /* a HealthReply within 3 health intervals */
    bool ready;
    uint64_t requests, replies, timeouts, errors, pending;
    uint64_t resent;               /* requests under way sent again on a new connection */
    double latency_sum_s;          /* over replies */
    uint64_t latency_le[8];        /* cumulative buckets, see GW_UP_BUCKETS */
    bool have_health;
    uint64_t head_seq, outbox_backlog, map_size, map_used;
    uint64_t auth_refused;   /* HealthReply.auth_refused: CURVE keys refused */
    /* HealthReply.undecodable_records: snapshots and reads refused since the service's start
     * because a stored record does not decode (not 0: its store needs an operator); only
     * from a service that reports it (have_undecodable), never a 0 it did not say */
    bool have_undecodable;
    uint64_t undecodable;
    bool storage_ok;               /* false while the service's store refuses writes */
    int nfail;                     /* failed write attempts by reason */
    struct { char reason[16]; uint64_t count; } fail[GW_UP_MAX_REASONS];
    int nlag;                      /* a consumer's feeds: cursor against head seen */
    struct {
        char producer[32];
        uint64_t last, head, resyncs, replays, rebuilds;
        bool rebuilding;
    } lag[GW_UP_MAX_FEEDS];
    bool have_deliveries;          /* the notifier: dead letters, unconfirmed, retrying now */
    uint64_t dead_letters, unconfirmed;
    bool have_retrying;            /* a notifier of a version that counts retrying copies */
    uint64_t retrying;
} gw_upstream_stats_t;

#define GW_UP_NBUCKETS 8
extern const double GW_UP_BUCKETS[GW_UP_NBUCKETS];   /* seconds */
void gw_upstream_stats(gw_upstream_t *self, gw_upstream_stats_t *out);

#endif
