/*  gw_sse_frame: one Server-Sent Event as bytes, formatted once for every client (pure: the
 *  streams themselves are gw_sse.h), and the event id a client resumes from.
 *
 *  An event id is "<epoch>-<incarnation>-<seq>": the aggregator's epoch, the incarnation
 *  the view was taken from, and the seq. A seq alone names a position in one history only:
 *  after the aggregator's store is wiped (a new epoch) the same numbers count again from the
 *  start, and after it is put back to an older copy (same epoch, a new incarnation) they
 *  count again from the copy's head. A resume from an old seq would then skip the new
 *  history's totals up to it. The gateway tells an earlier history within its own life
 *  (gw_hold.c, hist.floor), but a gateway started after the restore has never heard the old
 *  one: the incarnation in the id lets it see that the position is from another start of
 *  the aggregator, and such a resume is answered with a full snapshot. (An incarnation is
 *  minted at every start, so a resume across a mere restart gets a snapshot too: a few
 *  hundred bytes, against a page that keeps a total the aggregator no longer has.)
 */
#ifndef MVOI_GW_SSE_FRAME_H
#define MVOI_GW_SSE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest id: three 20-digit numbers and two '-'. */
#define GW_SSE_ID_MAX 62

/* A position in the aggregator's history, as the client sent it (have: well-formed). */
typedef struct {
    uint64_t epoch, incarnation, seq;
    bool have;
} gw_sse_pos_t;

/* Format one event: "id: <epoch>-<incarnation>-<seq>\nevent: <event>\ndata: <data>\n\n"; the id line is
 * left out when pos is NULL, the event line when event is NULL. */
int gw_sse_format(char **out, size_t *len, const gw_sse_pos_t *pos, const char *event,
                  const char *data, size_t data_len);

/* Parse a Last-Event-ID: exactly "<digits>-<digits>-<digits>", each a uint64 without sign,
 * spaces or overflow. 0 and *pos filled (have = true), or -EINVAL and *pos = none: an id
 * that is not one of ours (a bare seq or "<epoch>-<seq>" from before, a negative or huge
 * number, text) is no position. */
int gw_sse_id_parse(const char *s, gw_sse_pos_t *pos);

#endif
