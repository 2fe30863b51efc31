/*  gw_pubready: the kpi-aggregator's own account of its totals, for the buyers held.
 *
 *  A heartbeat says how far the aggregator's outbox goes, not whether the totals in it are
 *  complete: an aggregator whose store was wiped starts a new epoch with no totals and
 *  rebuilds them from its producers' outboxes; until then (or while a producer it never
 *  heard from is down) its snapshot is a count of nothing, at head 0, and a follower that
 *  judged by heartbeats alone showed those zeros as live. Its HealthReply says it: not
 *  ready, a feed rebuilding, behind its producer or never heard since the store began.
 *  So a held buyer is not fresh while the last HealthReply says so, nor after a heartbeat
 *  showed a new epoch or incarnation (a restart) until a HealthReply of that epoch came.
 */
#ifndef GW_PUBREADY_H
#define GW_PUBREADY_H

#include <stdbool.h>
#include <stdint.h>
#include "mvoi_contract.h"
#include "textfmt.h"

typedef struct {
    textfmt_reason_t why;     /* fmt set: the last HealthReply said the totals are partial */
    bool have_beat;
    uint64_t epoch, incarnation;          /* of the last heartbeat */
    uint64_t restart_at;      /* loop ms of the heartbeat that showed a restart; 0 = none */
    uint64_t health_at;       /* loop ms of the last HealthReply */
    bool health_has_epoch;
    uint64_t health_epoch;
} gw_pubready_t;

/* A heartbeat; true when it shows a restart (another epoch or incarnation than the last
 * heartbeat's): ask for a HealthReply at once. */
bool gw_pubready_beat(gw_pubready_t *p, uint64_t epoch, bool has_incarnation,
                      uint64_t incarnation, uint64_t now);
/* A HealthReply of the kpi-aggregator, arrived at now (> 0). */
void gw_pubready_health(gw_pubready_t *p, const Mvoi__HealthReply *h, uint64_t now);
/* NULL when nothing holds the buyers back, else why they are not fresh. */
const textfmt_reason_t *gw_pubready_hold(const gw_pubready_t *p);

#endif
