/*  follow: one follower of a Clone publisher (zguide chapter 5, "Clone"): a view built from
 *  a snapshot and kept current by the publisher's live stream, which must never be silently
 *  behind. This is the state machine only: no sockets, no clock, no view. The caller (the
 *  gateway's follower of every buyer, gw_clone.c, and of each buyer it serves, gw_hold.c)
 *  owns the sockets and the view, hands in what arrived with the time it arrived, and does
 *  what the answers say; so every transition can be tested without a publisher.
 *
 *  A follower is loading until its first snapshot is in, then live. It takes a new snapshot
 *  (resyncing: the view may be behind until it is in) when the caller says why
 *  (follow_resync): a gap in the stream's seq, a heartbeat whose head is beyond the view's,
 *  another epoch or incarnation of the publisher, a reconnection, a refused snapshot. A
 *  snapshot that stops coming for snapshot_timeout_ms (per item: a long stream that keeps
 *  coming is not late) is asked again; one that could not be asked is asked again later.
 *
 *  Fresh = live, not resyncing, nothing else holding it (the caller's reason), a heartbeat
 *  within stale_ms, and the view complete up to the heartbeat's head. Anything else is not
 *  fresh, with the reason in words: follow_why in English for logs, follow_why_say in the
 *  reader's language for problem bodies.
 *
 *  follow_stream_t is the continuity of one subscribed gap-free stream (every event one
 *  seq) that many followers share: it tells a gap in the stream from a first event.
 */
#ifndef MVOI_FOLLOW_H
#define MVOI_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textfmt.h"

/* Why a follower took a new snapshot (metric label follow_reasons[r]). */
typedef enum {
    FOLLOW_GAP = 0,        /* the stream's seq skipped: events were lost */
    FOLLOW_BEHIND,         /* a heartbeat's head beyond the view's */
    FOLLOW_EPOCH,          /* the publisher's epoch changed */
    FOLLOW_INCARNATION,    /* the publisher restarted */
    FOLLOW_RECONNECT,      /* the subscription (re)connected: what it missed is unknown */
    FOLLOW_REFUSED,        /* the snapshot was refused */
    FOLLOW_REASONS
} follow_reason_t;
extern const char *const follow_reasons[FOLLOW_REASONS];

/* What the publisher last said on its heartbeat: one per stream, shared by its followers. */
typedef struct {
    uint64_t at;           /* when it arrived (caller's ms clock); 0 = never */
    uint64_t head, epoch, incarnation;
    bool has_incarnation;
} follow_beat_t;
void follow_beat_set(follow_beat_t *b, uint64_t now, uint64_t head, uint64_t epoch,
                     bool has_incarnation, uint64_t incarnation);

typedef struct follow_t follow_t;

typedef struct {
    uint32_t stale_ms;             /* no heartbeat this long: not fresh (default 5000) */
    uint32_t snapshot_timeout_ms;  /* per snapshot item once items flow (default 5000) */
    uint32_t snapshot_wait_ms;     /* for the first item (default and at least
                                    * snapshot_timeout_ms): a publisher that reads a large
                                    * range before it sends is not late */
    const char *publisher;         /* named in the reasons ("kpi-aggregator") */
    /* the reason while the first snapshot loads: an English format of the catalogue
     * (follow.*; a string literal, kept) taking loading_arg as its %s, if any */
    const char *loading;
    const char *loading_arg;
} follow_opts_t;

/* NULL when out of memory. The follower starts loading, with no snapshot asked. */
follow_t *follow_new(const follow_opts_t *o);
void follow_destroy(follow_t **self_p);

/* ---- the snapshot: the caller sends the request and feeds what comes back */

/* A request was sent (or queued) at now: resyncing, late at now + snapshot_wait_ms. */
void follow_snapshot_asked(follow_t *self, uint64_t now);
/* The request could not be sent: asked again after 200 ms (follow_tick). */
void follow_snapshot_unsent(follow_t *self, uint64_t now);
/* No request could be made (no socket): resyncing, tried again after 500 ms. */
void follow_snapshot_failed(follow_t *self, uint64_t now);
/* An item arrived: the timeout starts again. */
void follow_snapshot_item(follow_t *self, uint64_t now);
/* The publisher refused: asked again after 500 ms. */
void follow_snapshot_refused(follow_t *self, uint64_t now);
/* The end: live, complete up to seq. True when the view is to be taken whole (the first
 * snapshot, another epoch than the previous one's, or another incarnation: perhaps a store
 * put back to an older copy); false: the totals changed since the previous head are all a
 * reader needs. */
bool follow_snapshot_end(follow_t *self, uint64_t epoch, bool has_incarnation,
                         uint64_t incarnation);
/* Is a request out (sent or queued, not yet ended or abandoned)? */
bool follow_snapshot_out(const follow_t *self);

typedef enum {
    FOLLOW_WAIT = 0,       /* nothing to do */
    FOLLOW_LATE,           /* the snapshot stopped coming: ask again */
    FOLLOW_RETRY           /* a snapshot is needed and none is out: ask */
} follow_tick_t;
/* Called by the caller's timer, every follow_tick_ms(stale_ms): often enough to see a
 * heartbeat missing within a quarter of stale_ms, at most 250 ms, at least 10 ms apart. */
follow_tick_t follow_tick(follow_t *self, uint64_t now);
uint32_t follow_tick_ms(uint32_t stale_ms);

/* ---- the live stream */

/* The view may be behind: count why, and take a new snapshot (the caller asks for it). */
void follow_resync(follow_t *self, follow_reason_t why);
/* A heartbeat, seen against the view's head: the reason to resync, or -1. Only a live
 * follower that is not resyncing judges (a snapshot under way will settle it). */
int follow_heartbeat(const follow_t *self, const follow_beat_t *b, uint64_t head);
/* A live update with seq on a stream that carries every event (gap-free): the reason to
 * resync (a gap after head), or -1. */
int follow_update(const follow_t *self, uint64_t seq, uint64_t head);

/* ---- freshness */

/* Judge freshness at now for a view complete up to head. hold: a reason of the caller's
 * not to be fresh (NULL or no fmt: none; its fmt a string literal of the catalogue's
 * follow.* texts). True when freshness changed. */
bool follow_judge(follow_t *self, const follow_beat_t *b, uint64_t now, uint64_t head,
                  const textfmt_reason_t *hold);
bool follow_fresh(const follow_t *self);
const char *follow_why(const follow_t *self);   /* "" when fresh; English, as logged */
/* Why not fresh in lang, for a reader (a problem body); "" when fresh. */
int follow_why_say(const follow_t *self, text_lang_t lang, char *buf, size_t len);
bool follow_live(const follow_t *self);         /* the first snapshot is in */
bool follow_resyncing(const follow_t *self);
bool follow_settled(const follow_t *self);      /* live and not resyncing */
uint64_t follow_epoch(const follow_t *self);    /* of the last snapshot */
uint64_t follow_incarnation(const follow_t *self);   /* of the last snapshot, 0: unknown */
uint64_t follow_resyncs(const follow_t *self, follow_reason_t why);
uint64_t follow_snapshots(const follow_t *self);     /* requests sent */

/* ---- one gap-free stream shared by followers */

typedef struct {
    bool known;            /* an event arrived since the subscription */
    uint64_t first, head;  /* contiguous from first to head */
} follow_stream_t;

typedef enum {
    FOLLOW_STREAM_OK = 0,  /* the next event (or an old one) */
    FOLLOW_STREAM_FIRST,   /* the first since the subscription: a snapshot ending before it
                            * may have missed what came between */
    FOLLOW_STREAM_GAP      /* events *gap_from..seq-1 were lost; known again from seq */
} follow_stream_at_t;
follow_stream_at_t follow_stream_event(follow_stream_t *s, uint64_t seq, uint64_t *gap_from);
/* A heartbeat's head beyond the stream's: the events after it were lost (the heartbeat
 * follows its head on the same pipe). True with *from..head lost; the stream is at head. */
bool follow_stream_beat(follow_stream_t *s, uint64_t head, uint64_t *from);
/* Does the stream hold every event after seq (a snapshot ending at seq can follow it)? */
bool follow_stream_covers(const follow_stream_t *s, uint64_t seq);
/* The subscription ended or reconnected: continuity is unknown again. */
void follow_stream_reset(follow_stream_t *s);

#endif
