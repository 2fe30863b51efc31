/*  gw_clone: the gateway as a Clone client of the kpi-aggregator (docs/design.md#clone,
 *  zguide chapter 5), of every buyer: the national benchmark's feed (gw_bench.c), keeping
 *  only the totals opts.keep takes. The buyers served have views of their own (gw_hold.h).
 *
 *  Subscribes first (topics "kpi." and "hb"), then asks the aggregator's ROUTER for a
 *  snapshot (SnapshotRequest{prefix "kpi."}: [topic][Envelope{kpi_total}] items, then
 *  Envelope{snapshot_end{seq, epoch}}) while the SUB stays unread, then applies the queued
 *  and live updates with seq above the snapshot's. Every total keeps the seq of its last
 *  change (gw_view.h).
 *
 *  Never silently lagging: the view is "fresh" only when it is live, no re-snapshot is under
 *  way, a heartbeat arrived within stale_ms, and the heartbeat's head_seq is not beyond the
 *  view's head. A new snapshot is taken (and the view is stale until it is in) on: a gap in
 *  the seq (we subscribe to the whole gap-free stream), a heartbeat whose head differs from
 *  the view's (lost updates, or a store that went back), another epoch, another
 *  incarnation (the aggregator restarted), and every (re)connection of the SUB socket
 *  (socket monitor: PUB drops what it publishes while we are away). Totals that changed
 *  meanwhile are handed to on_resync, so live SSE clients catch up without reconnecting.
 */
#ifndef MVOI_GW_CLONE_H
#define MVOI_GW_CLONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "envelope.pb-c.h"
#include "follow.h"
#include "gw_view.h"

typedef struct gw_clone_t gw_clone_t;

typedef struct {
    /* a live update changed total t */
    void (*on_update)(void *arg, const gw_total_t *t);
    /* a snapshot replaced the view: full (first snapshot, new epoch or incarnation: send
     * everything) or the totals whose seq is above the previous head, in seq order */
    void (*on_resync)(void *arg, bool full, const gw_total_t **changed, long n);
    /* freshness changed */
    void (*on_fresh)(void *arg, bool fresh);
    void *arg;
} gw_clone_cbs_t;

typedef struct {
    const char *api;              /* aggregator ROUTER */
    const char *pub;              /* aggregator PUB */
    uint32_t stale_ms;            /* default 5000 */
    uint32_t snapshot_timeout_ms; /* per item once items flow, default 5000 */
    uint32_t snapshot_wait_ms;    /* for the first item, default 60000: the aggregator reads
                                     the whole range before it sends (seconds for every
                                     buyer's totals at 400 buyers); asking again sooner
                                     replaces its stream under way, for ever */
    /* which totals the view keeps (NULL: all); the others only move the head */
    bool (*keep)(const Mvoi__KpiTotal *t);
} gw_clone_opts_t;

gw_clone_t *gw_clone_new(uv_loop_t *loop, bus_ctx_t *ctx, const gw_clone_opts_t *o,
                         const gw_clone_cbs_t *cbs);
void gw_clone_destroy(gw_clone_t **self_p);

gw_view_t *gw_clone_view(gw_clone_t *self);
bool gw_clone_fresh(gw_clone_t *self);
/* Why not fresh, in lang, into buf (returned; "" when fresh): for problem bodies. */
const char *gw_clone_why(gw_clone_t *self, text_lang_t lang, char *buf, size_t len);
/* The kpi-aggregator's HealthReply: not fresh while it says its totals are partial, nor
 * after a restart until it said anything (gw_pubready.h). */
void gw_clone_health(gw_clone_t *self, const Mvoi__HealthReply *h);

typedef struct {
    uint64_t resyncs[FOLLOW_REASONS];   /* by follow_reason_t (never refused: a whole range) */
    uint64_t view_seq, hb_head, epoch;
    int64_t hb_age_ms;            /* -1: never */
    uint64_t updates, dropped, snapshots, snapshot_items;
    uint64_t totals;
    bool live, fresh;
} gw_clone_stats_t;
void gw_clone_stats(gw_clone_t *self, gw_clone_stats_t *out);

/* KpiTotal envelope -> the JSON the gateway serves (KpiTotal with "seq" = the envelope's
 * seq). malloc'ed; NULL on error. Exposed for tests. */
char *gw_clone_total_json(const Mvoi__Envelope *env, size_t *len);

/* A KpiTotal envelope's seq, buyer and key (the topic when the total names none), and the
 * total put into view v (gw_view_put: 1 applied, 0 older, <0 error): shared with gw_hold. */
uint64_t gw_clone_seq(const Mvoi__Envelope *env);
const char *gw_clone_buyer(const Mvoi__Envelope *env);
const char *gw_clone_key(const Mvoi__Envelope *env, const char *topic);
int gw_clone_put(gw_view_t *v, const char *topic, const Mvoi__Envelope *env);

#endif
