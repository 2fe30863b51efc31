/*  follow_bus: the sockets of a Clone follower (follow.h), the same for every follower of a
 *  publisher's ROUTER (snapshots, replays) and PUB (the live stream + heartbeats):
 *
 *  - one DEALER per request, with a small receive queue: the publisher streams a snapshot
 *    while that queue takes it (its credit), so a large range never sits in our memory;
 *  - one received message: its topic (first part) and its envelope (last part).
 *
 *  A follower also watches its SUB's (re)connections (bus_monitor.h): the PUB dropped
 *  whatever it published while we were away, so the follower cannot trust its seqs.
 */
#ifndef MVOI_FOLLOW_BUS_H
#define MVOI_FOLLOW_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "envelope.pb-c.h"
#include "follow.h"

/* A DEALER connected to api (the request is queued until the connection is up) and
 * watched with fn. NULL when it cannot be made (nothing is left open). */
bus_sock_t *follow_bus_dealer(bus_ctx_t *ctx, uv_loop_t *loop, const char *api, bus_fn *fn,
                              void *arg);
/* SnapshotRequest{prefix, segment} from producer, for buyer (NULL: none). 0, -ENAMETOOLONG
 * (a prefix no topic can have), -EIO. */
int follow_bus_snapshot(bus_sock_t *s, const char *producer, const char *request_id,
                        const char *prefix, bool segment, const char *buyer);
/* ReplayRequest{from_seq, max_count}: the events of the publisher's outbox again. 0, -EIO. */
int follow_bus_replay(bus_sock_t *s, const char *producer, const char *request_id,
                      uint64_t from, uint32_t count);

/* One snapshot request and its stream, on a DEALER of its own: the follower is told what
 * happens (follow_snapshot_asked / _unsent / _failed / _item / _refused); the caller keeps
 * the items and ends the request (follow_snapshot_end, then follow_snap_destroy). */
typedef struct follow_snap_t follow_snap_t;
typedef struct {
    const char *api;               /* the publisher's ROUTER */
    const char *producer;          /* who asks ("gateway") */
    const char *prefix;            /* SnapshotRequest.prefix */
    bool segment;                  /* SnapshotRequest.segment */
    const char *buyer;             /* the envelope's buyer, NULL: none */
} follow_snap_opts_t;
typedef struct {
    /* an item (a total) of this or an earlier request: last write wins by seq */
    void (*item)(void *arg, const char *topic, const Mvoi__Envelope *env);
    /* the end of this request: the snapshot is whole; destroy the request (here or later) */
    void (*end)(void *arg, const Mvoi__SnapshotEnd *end);
    /* the publisher refused (asked again after a pause, by follow_tick) */
    void (*refused)(void *arg, const char *message);
    void *arg;
} follow_snap_cbs_t;
/* NULL when no socket could be made (fol: failed, tried again later). */
follow_snap_t *follow_snap_new(bus_ctx_t *ctx, uv_loop_t *loop, const follow_snap_opts_t *o,
                               follow_t *fol, const follow_snap_cbs_t *cbs);
void follow_snap_destroy(follow_snap_t **self_p);


/* What arrived: topic is the first part when there are two or more, else "". False stops
 * the drain (the socket is gone, or the stream is paused). */
typedef bool (follow_bus_fn)(void *arg, const char *topic, const Mvoi__Envelope *env);
/* Up to budget messages waiting on s, each to fn (the envelope is freed after). A message
 * with fewer than min_parts parts, a topic longer than any topic, or an envelope that does
 * not decode is dropped: a follower hears of a loss by the seq, not by the message. */
void follow_bus_drain(bus_sock_t *s, int min_parts, int budget, follow_bus_fn *fn, void *arg);

#endif
