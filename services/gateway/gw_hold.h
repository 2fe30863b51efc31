/*  gw_hold: the buyers the gateway is serving right now, each a Clone client of its own
 *  slice of the kpi-aggregator's totals (docs/design.md#clone, zguide chapter 5).
 *
 *  A buyer is held from its first request on: its key range (gw_hold_topic_prefix, the one
 *  place here that knows the KPI key layout) is snapshotted (SnapshotRequest{prefix,
 *  segment}) into a view of that buyer only; until the snapshot is in, the buyer is not
 *  fresh (the routes wait, then answer 503 + Retry-After; streams wait). Live updates come
 *  on one SUB socket subscribed to the whole "kpi." stream while any buyer is held (ZeroMQ
 *  counts the subscriptions) and are routed by buyer: a buyer that is not held costs one
 *  lookup, never memory. A buyer with no request for idle_ms and no stream open is dropped
 *  (freed); its next request loads it again. So memory and request time depend on the
 *  buyers served, not on the buyers the aggregator holds.
 *
 *  Why the whole stream and not one buyer's topics: the stream is gap-free (every event one
 *  total), so a loss shows as a gap in the seq; a subscription to some topics has holes by
 *  design and a loss there would be invisible.
 *
 *  Never silently lagging, per buyer: a buyer's view is fresh only when its snapshot is in,
 *  a heartbeat arrived within stale_ms, and the view is complete up to the heartbeat's
 *  head. A buyer re-snapshots (its own range) when its snapshot is refused or late, on
 *  another epoch or incarnation of the aggregator, on a reconnection of the SUB socket, and
 *  on a gap: the lost events are asked again from the aggregator's outbox (ReplayRequest) to
 *  learn whose they were, and only those held buyers re-snapshot (the held buyers are not
 *  fresh meanwhile). When the outbox no longer has them (retention), or the gap is large, or
 *  the replay fails, every held buyer re-snapshots; a buyer not held stays unloaded.
 */
#ifndef MVOI_GW_HOLD_H
#define MVOI_GW_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "follow.h"
#include "gw_view.h"

typedef struct gw_hold_t gw_hold_t;
typedef struct gw_held_t gw_held_t;

typedef struct {
    /* a live update changed total t of buyer h */
    void (*on_update)(void *arg, gw_held_t *h, const gw_total_t *t);
    /* h's view was replaced by a snapshot: full (first load, new epoch or incarnation) or
     * the totals whose seq is above the previous head, in seq order */
    void (*on_resync)(void *arg, gw_held_t *h, bool full, const gw_total_t **changed, long n);
    /* h's freshness changed */
    void (*on_fresh)(void *arg, gw_held_t *h, bool fresh);
    void *arg;
    /* a heartbeat showed the aggregator restarted (may be NULL): ask for its HealthReply */
    void (*on_restart)(void *arg);
} gw_hold_cbs_t;

typedef struct {
    const char *api;              /* aggregator ROUTER */
    const char *pub;              /* aggregator PUB */
    uint32_t stale_ms;            /* default 5000 */
    uint32_t snapshot_timeout_ms; /* per item, default 5000 */
    uint32_t idle_ms;             /* drop a buyer unused this long (no stream open) */
} gw_hold_opts_t;

gw_hold_t *gw_hold_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_hold_opts_t *o,
                       const gw_hold_cbs_t *cbs);
void gw_hold_destroy(gw_hold_t **self_p);

/* The key prefix of one buyer's totals into buf, ending at a segment ("kpi.x." or the
 * whole "kpi."); the snapshot asks for it without the final '.' as a segment and keeps the
 * buyer's totals. -ENAMETOOLONG. */
int gw_hold_topic_prefix(const char *buyer, char *buf, size_t len);

/* The buyer's state, loading it when not held (subscribe + snapshot); marks it used now.
 * NULL when out of memory. */
gw_held_t *gw_hold_get(gw_hold_t *self, const char *buyer);
/* Without loading or touching; NULL when not held. */
gw_held_t *gw_hold_find(gw_hold_t *self, const char *buyer);

const char *gw_held_buyer(const gw_held_t *h);
gw_view_t *gw_held_view(gw_held_t *h);
bool gw_held_fresh(const gw_held_t *h);
bool gw_held_loading(const gw_held_t *h);   /* its first snapshot is not in yet */
/* Why not fresh, in lang, into buf (returned; "" when fresh): for problem bodies. */
const char *gw_held_why(const gw_held_t *h, text_lang_t lang, char *buf, size_t len);
/* The aggregator seq up to which h's view is complete (read your own writes). */
uint64_t gw_held_head(const gw_held_t *h);
/* Streams open on h (+1 / -1): a buyer with a stream is never dropped. */
void gw_held_streams(gw_held_t *h, int delta);


typedef struct {
    uint64_t held, fresh;         /* buyers held now, of which fresh */
    uint64_t loads, drops;        /* buyers loaded (first request) and dropped (idle) */
    uint64_t snapshots;           /* snapshot requests sent, all buyers */
    uint64_t resyncs[FOLLOW_REASONS];   /* per buyer re-snapshot, by follow_reason_t */
    uint64_t updates;             /* applied to a held buyer */
    uint64_t unheld;              /* updates of buyers not held (not kept) */
    uint64_t totals;              /* totals held, all buyers */
} gw_hold_stats_t;
void gw_hold_stats(gw_hold_t *self, gw_hold_stats_t *out);

/* The kpi-aggregator's HealthReply: while it says its totals are partial (rebuilding, a new
 * store, catching up), or after a restart until it has said anything, no held buyer is
 * fresh (gw_pubready.h). */
void gw_hold_health(gw_hold_t *self, const Mvoi__HealthReply *h);

#endif
