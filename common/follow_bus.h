/*  follow_bus: the sockets of a Clone follower (follow.h), the same for every follower of a
 *  publisher's ROUTER (snapshots, replays) and PUB (the live stream + heartbeats):
 *
 *  - one DEALER per request, with a small receive queue: the publisher streams a snapshot
 *    while that queue takes it (its credit), so a large range never sits in our memory;
 *  - a monitor of the SUB socket: every (re)connection means the PUB dropped whatever it
 *    published while we were away, so the follower cannot trust its seqs;
 *  - one received message: its topic (first part) and its envelope (last part).
 */
#ifndef MVOI_FOLLOW_BUS_H
#define MVOI_FOLLOW_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "envelope.pb-c.h"

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

/* The monitor of sub's (re)connections, watched with fn. NULL on failure. */
bus_sock_t *follow_bus_monitor(bus_ctx_t *ctx, uv_loop_t *loop, bus_sock_t *sub, bus_fn *fn,
                               void *arg);
/* Drain the monitor: did sub (re)connect? */
bool follow_bus_reconnected(bus_sock_t *mon);

/* One message from s: 1 with *env (NULL when it does not decode, has fewer than min_parts
 * parts, or a topic that does not fit topic_cap) and topic (the first part when there are
 * two or more, else ""); 0 when none is waiting. */
int follow_bus_recv(bus_sock_t *s, int min_parts, char *topic, size_t topic_cap,
                    Mvoi__Envelope **env);

#endif
