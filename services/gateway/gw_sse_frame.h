/*  gw_sse_frame: one Server-Sent Event as bytes, formatted once for every client (pure: the
 *  streams themselves are gw_sse.h), and the event id a client resumes from.
 *
 *  An event id is "<epoch>-<seq>": the aggregator's epoch and its seq. A seq alone names a
 *  position in one history only; after the aggregator's store is wiped (a new epoch) the
 *  same numbers count again from the start, and a resume from an old seq would skip the new
 *  history's totals up to it. With the epoch in the id a resume from another epoch is seen
 *  and answered with a full snapshot.
 */
#ifndef MVOI_GW_SSE_FRAME_H
#define MVOI_GW_SSE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest id: two 20-digit numbers and the '-'. */
#define GW_SSE_ID_MAX 41

/* A position in the aggregator's history, as the client sent it (have: well-formed). */
typedef struct {
    uint64_t epoch, seq;
    bool have;
} gw_sse_pos_t;

/* Format one event: "id: <epoch>-<seq>\nevent: <event>\ndata: <data>\n\n"; the id line is
 * left out when pos is NULL, the event line when event is NULL. */
int gw_sse_format(char **out, size_t *len, const gw_sse_pos_t *pos, const char *event,
                  const char *data, size_t data_len);

/* Parse a Last-Event-ID: exactly "<digits>-<digits>", each a uint64 without sign, spaces or
 * overflow. 0 and *pos filled (have = true), or -EINVAL and *pos = none: an id that is not
 * one of ours (a bare seq from before, a negative or huge number, text) is no position. */
int gw_sse_id_parse(const char *s, gw_sse_pos_t *pos);

#endif
