/*  feed: a consumer's exactly-once view of one producer (docs/design.md#inbox, #replay).
 *
 *  Subscribes to the producer's PUB first, then asks its ROUTER for a replay from the inbox
 *  cursor + 1; live and replayed events go through one path: in one write transaction per
 *  batch, each event is checked against the inbox cursor, applied by the consumer's
 *  callback and the cursor advanced. Duplicates are dropped; a gap (or a heartbeat whose
 *  head is beyond the cursor) starts a replay; a new epoch (the producer's store was wiped)
 *  calls the reset callback and replays from 1.
 *
 *  A producer that went back (its store restored from an older copy: same epoch, but the
 *  event at the cursor is not the one applied, or its head is below the cursor) and a
 *  cursor older than the producer's retention are healed by a rebuild (feed_rebuild):
 *  the producer's snapshot (its current state and the seq it stands for) replaces what was
 *  derived from it, in one write transaction (or one per buyer, for a consumer that can
 *  forget one buyer: opts.reset_buyer), then the tail of its outbox follows
 *  (docs/design.md#rebuild). The feed is not ready while it rebuilds.
 */
#ifndef MVOI_FEED_H
#define MVOI_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "codec.h"
#include "store.h"
#include "inbox.h"

typedef struct feed_t feed_t;

/* Apply one event inside txn. Return 0, or a negative code of mvoi_error.h (or the raw
 * LMDB result) to abort the batch (it is retried later). Events the consumer does not care about just return 0. */
typedef int (feed_apply_fn)(void *arg, MDB_txn *txn, const char *topic,
                            const Mvoi__Envelope *ev);
/* The producer was wiped (new epoch), or a rebuild begins (old_epoch may equal new_epoch):
 * forget state derived from the producer. A consumer without one (NULL) takes a rebuild's
 * snapshot items as upserts over what it holds. */
typedef int (feed_reset_fn)(void *arg, MDB_txn *txn, const char *producer,
                            uint64_t old_epoch, uint64_t new_epoch);
/* A rebuild by buyer (docs/design.md#rebuild): forget what was derived from the producer
 * for ONE buyer, inside txn. */
typedef int (feed_reset_buyer_fn)(void *arg, MDB_txn *txn, const char *producer,
                                  const char *buyer);
/* The first buyer after `after` (NULL: the first of all), in strcmp order, for which state
 * derived from the producer is held: copied into buf (cap bytes) and 0; -ENOENT when there
 * is none; another negative code on failure. */
typedef int (feed_next_buyer_fn)(void *arg, MDB_txn *txn, const char *producer,
                                 const char *after, char *buf, size_t cap);
/* After each committed batch (e.g. to publish derived events). */
typedef void (feed_committed_fn)(void *arg);
/* Around each batch, inside its transaction: begin runs first (also when a transaction is
 * re-run after the map grew), end last, before the cursor moves; end may write (derived
 * events of the whole batch at once) and returns 0 or an error that aborts the batch. */
typedef void (feed_batch_begin_fn)(void *arg);
typedef int (feed_batch_end_fn)(void *arg, MDB_txn *txn);
/* Decodes a live or replayed event into the batch's arena, with codec_unpack_in's contract
 * (codec.h); a consumer that reads few fields may build less (wire_lean.h). */
typedef Mvoi__Envelope *(feed_decode_fn)(arena_t *arena, const void *data, size_t len,
                                         size_t budget, int *err);

typedef struct {
    const char *producer;        /* producer name, key of the inbox cursor */
    const char *pub_endpoint;    /* producer's PUB */
    const char *api_endpoint;    /* producer's ROUTER (replay) */
    feed_apply_fn *apply;
    feed_reset_fn *reset;        /* may be NULL */
    feed_committed_fn *committed;/* may be NULL */
    feed_batch_begin_fn *batch_begin; /* may be NULL */
    feed_batch_end_fn *batch_end;     /* may be NULL */
    feed_decode_fn *decode;      /* NULL: codec_unpack_in */
    void *arg;
    uint32_t replay_batch;       /* default 2000 */
    uint32_t batch;              /* max live events per transaction, default 5000 */
    uint32_t stall_ms;           /* re-ask a replay after this silence, default 3000 */
    uint32_t linger_ms;          /* hold a live batch smaller than `batch` up to this long,
                                    so that one commit (one fsync) takes more events and
                                    derived totals change once per batch; 0 = at once */
    uint32_t linger_min;         /* ... but only when the last batch or the current drain
                                    has at least this many events (default 8): a trickle
                                    is committed at once */
    /* Both set: the rebuild goes buyer by buyer (the producer's snapshot must come grouped
     * by envelope buyer, in strcmp order: its store's keys are buyer-first), holding one
     * buyer's items at a time and writing one transaction per buyer. Both NULL: the whole
     * snapshot is held and applied in one transaction. */
    feed_reset_buyer_fn *reset_buyer;
    feed_next_buyer_fn *next_buyer;
    const char *snapshot_prefix; /* what a rebuild asks the producer's snapshot for ("") */
    size_t snapshot_max;         /* bytes of snapshot a rebuild may hold (by buyer: of one
                                    buyer, encoded), default 256 MiB; beyond it the rebuild
                                    fails by name (EFBIG) and is asked again */
    uint32_t snapshot_wait_ms;   /* a rebuild waits this long for the first answer to its
                                    snapshot request (the producer reads its whole state
                                    first: seconds at scale) before it asks again; once
                                    items flow, stall_ms applies per item. Default 60000 */
    const bus_opts_t *bus_opts;
} feed_opts_t;

feed_t *feed_new(uv_loop_t *loop, bus_ctx_t *ctx, store_t *store, inbox_t *inbox,
                 const feed_opts_t *opts, int *err);
void feed_destroy(feed_t **self_p);

/* True once a replay reached the producer's head (caught up). */
bool feed_caught_up(feed_t *self);
/* Caught up, heard from the producer within grace_ms, and the store takes writes: what a
 * consumer's readiness depends on. */
bool feed_ready(feed_t *self, uint64_t grace_ms);
uint64_t feed_last_seq(feed_t *self);
uint64_t feed_head_seen(feed_t *self);
uint64_t feed_epoch(feed_t *self);
const char *feed_producer(feed_t *self);
/* True when the cursor is known to be of the producer's history under incarnation inc
 * (Heartbeat.incarnation, Envelope.incarnation of its replies): the feed has heard inc, and
 * has checked its cursor since (the replay from the cursor's event that a new incarnation
 * asks for was answered, no rebuild under way). Until then a seq of the cursor may be of a
 * history the producer lost. */
bool feed_follows(feed_t *self, uint64_t inc);

/* Read your writes across the feed, for a consumer that must not answer "unknown" for what
 * the producer acknowledged a moment ago, while its event is still on the way: feed_sync
 * asks the producer now (a replay from the cursor, which ends with the head the producer
 * holds at that instant) and returns a token; feed_synced(token) is true once a replay
 * asked after the token ended with everything up to that head applied. Everything the
 * producer acknowledged before feed_sync was called is then applied. Cheap to call often:
 * while a sync is in flight a call only makes sure one more follows it. */
uint64_t feed_sync(feed_t *self);
bool feed_synced(feed_t *self, uint64_t token);

typedef struct {
    uint64_t applied, duplicates, gaps, replays, resets, batches, decode_errors;
    uint64_t rebuilds;           /* rebuilds completed (snapshot + tail) */
    uint64_t rebuild_failures;   /* snapshots that could not be applied (log rebuild_failed:
                                    EFBIG beyond snapshot_max, EPROTO not grouped by buyer,
                                    or the store's error); each is asked again */
} feed_stats_t;
void feed_stats(feed_t *self, feed_stats_t *out);

/* ---- rebuild (docs/design.md#rebuild) */
typedef enum {
    FEED_REBUILD_NONE = 0,
    FEED_REBUILD_WENT_BACK,      /* same epoch, the producer's store is older than our cursor */
    FEED_REBUILD_RETENTION,      /* our cursor is older than the producer's retention */
    FEED_REBUILD_REQUESTED,      /* the consumer asked (feed_rebuild), e.g. after an unclean
                                    stop that left its derived state in doubt */
} feed_rebuild_reason_t;
#define FEED_REBUILD_REASONS 4

/* Rebuild what was derived from the producer: ask for its snapshot (opts.snapshot_prefix);
 * when it has arrived whole, in ONE write transaction: batch_begin, reset(old epoch, the
 * snapshot's epoch), apply() for every snapshot item (the producer's events of its current
 * state, with producer and epoch set and seq 0), batch_end, and the cursor set to
 * (snapshot epoch, snapshot seq); then the tail is replayed from there as usual.
 * By buyer (opts.reset_buyer): as each buyer's items have come, one write transaction per
 * buyer: batch_begin, the inbox's rebuild mark, reset_buyer, apply() for its items (seq 0,
 * no epoch: the SnapshotEnd has not come yet), batch_end; buyers held but absent from the
 * snapshot are reset the same way; at SnapshotEnd the cursor moves and the mark goes. A
 * start that finds the mark rebuilds again before anything else. Until the
 * tail is caught up feed_ready() is false. Idempotent while one is under way; a snapshot
 * that fails or stalls is asked again. The feed calls it itself when it detects a producer
 * that went back or a cursor older than the retention. Returns 0, or -EINVAL. */
int feed_rebuild(feed_t *self, feed_rebuild_reason_t reason);
bool feed_rebuilding(feed_t *self);
/* The reason of the last rebuild started (NONE if there was none). */
feed_rebuild_reason_t feed_rebuild_reason(feed_t *self);
const char *feed_rebuild_reason_name(feed_rebuild_reason_t r);   /* "went_back", ... */

#endif
