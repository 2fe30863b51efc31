/*  outbox: the producer's durable event log (docs/design.md#outbox).
 *
 *  A producer changes its state and appends the resulting events in ONE write transaction
 *  (outbox_append inside the caller's store_write). Only after the commit are the new
 *  events published (outbox_publish). The log is keyed by big-endian seq in db "outbox";
 *  db "meta" holds the epoch (random, minted when the store is created: a consumer that
 *  sees a new epoch knows the producer was wiped) and the retention floor.
 *
 *  Stored value: [u16 topic length][topic][packed Envelope with producer/epoch/seq/ts set].
 *  Replays and snapshots read with short read transactions, never across loop turns.
 */
#ifndef MVOI_OUTBOX_H
#define MVOI_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"
#include "codec.h"

/* Databases the outbox needs; list them in store_opts_t.dbs. */
#define OUTBOX_DBS "outbox", "meta"

typedef struct outbox_t outbox_t;

/* Reads (or mints) the epoch and the head. The store must have been opened with
 * OUTBOX_DBS. Registers store hooks so that an aborted transaction rolls back the head. */
outbox_t *outbox_new(store_t *store, const char *producer, int *err);
void outbox_destroy(outbox_t **self_p);

/* Inside the caller's write transaction: stamps env (producer, epoch, seq, ts_unix_ms,
 * schema_version) and appends it under the next seq. *seq_out gets the seq. */
/* Called by outbox_append_stamped with the seq the event gets, before it is packed: a body
 * that carries its own seq (KpiTotal.seq) learns it from the one who assigns it instead of
 * guessing it ahead (outbox_next_seq). */
typedef void (outbox_stamp_fn)(void *arg, Mvoi__Envelope *env, uint64_t seq);
int outbox_append_stamped(outbox_t *self, MDB_txn *txn, const char *topic,
                          Mvoi__Envelope *env, outbox_stamp_fn *stamp, void *stamp_arg,
                          uint64_t *seq_out);
int outbox_append(outbox_t *self, MDB_txn *txn, const char *topic, Mvoi__Envelope *env,
                  uint64_t *seq_out);
/* outbox_append of an envelope whose body is already encoded: env has no body set, and
 * body (blen bytes, a packed message) goes in as its field body_field (a body case:
 * MVOI__ENVELOPE__BODY_*), written after env's own fields (codec_field_put). */
int outbox_append_encoded(outbox_t *self, MDB_txn *txn, const char *topic,
                          Mvoi__Envelope *env, uint32_t body_field, const uint8_t *body,
                          size_t blen, uint64_t *seq_out);

uint64_t outbox_head(outbox_t *self);          /* last committed seq (0 = none); with the
                                                  gate on, the last flushed one */
uint64_t outbox_committed(outbox_t *self);     /* last committed seq, flushed or not */
/* The durability gate, for a store whose commits are flushed after the fact
 * (store_opts_t.nometasync, server_opts_t.flush_offloop): while on, an event beyond the
 * seq given to outbox_durable_upto is neither published nor replayed, and outbox_head
 * names the flushed head. Turning it on counts everything committed so far as flushed
 * (the caller flushed the store first). */
void outbox_gate(outbox_t *self, bool on);
void outbox_durable_upto(outbox_t *self, uint64_t seq);
/* The wall-clock time (ms since the epoch) of the write transaction in progress, taken
 * once when it began; outside one, now. Every event appended in that write carries it as
 * its ts_unix_ms: the write's events become visible together, at its commit. One clock
 * read per write instead of one per event: the impact-calculator's two reads a measurement
 * were 1.6 % of its CPU at 100 measurements a request (docs/latency.md). */
int64_t outbox_write_ms(const outbox_t *self);
/* Inside a write transaction: the seq the next outbox_append will assign (pending head + 1),
 * for events that carry their own seq in the body. */
uint64_t outbox_next_seq(outbox_t *self);
/* The head as seen by txn (for a snapshot: state and seq from one read transaction). */
int outbox_head_in(outbox_t *self, MDB_txn *txn, uint64_t *head);
uint64_t outbox_epoch(outbox_t *self);
uint64_t outbox_retained_from(outbox_t *self); /* oldest seq still stored (head+1 if empty) */
const char *outbox_producer(outbox_t *self);

/* One stored event: topic and the packed envelope bytes. */
typedef int (outbox_fn)(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                        const void *env, size_t env_len);

/* Calls fn for seq in [from, from+max) that exist, in order, from one read transaction.
 * Stops early if fn returns non-zero (that value is returned). -ERANGE if from > head+1. */
int outbox_read(outbox_t *self, uint64_t from, uint32_t max, outbox_fn *fn, void *arg);

/* Publish committed events not yet handed to fn (in order). Stops at the first fn error
 * (e.g. -EAGAIN), which is returned; the rest go next time. Call after every commit,
 * e.g. from a uv_prepare hook: persist first, then publish (Redis beforeSleep). */
int outbox_publish(outbox_t *self, outbox_fn *fn, void *arg);
uint64_t outbox_published(outbox_t *self);     /* last seq handed to outbox_publish's fn */

/* Retention: delete events with seq < below (never beyond the head). */
int outbox_trim(outbox_t *self, uint64_t below);

#endif
