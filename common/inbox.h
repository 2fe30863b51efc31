/*  inbox: per-producer cursors of a consumer (docs/design.md#inbox).
 *
 *  db "inbox": producer name -> (epoch be64, last_seq be64, fingerprint be64). The
 *  fingerprint identifies the event at last_seq (a hash of its bytes, 0 = unknown): a
 *  producer restored from an older copy may give that seq to another event, and the feed
 *  compares (docs/design.md#rebuild). A cursor of 16 bytes (the version before) reads with
 *  fingerprint 0. A consumer applies an event
 *  and advances the cursor in the SAME write transaction, so after a crash the cursor and
 *  the derived state agree; duplicates (seq <= last_seq) are dropped.
 */
#ifndef MVOI_INBOX_H
#define MVOI_INBOX_H

#include <stdint.h>
#include "store.h"

#define INBOX_DBS "inbox"

typedef struct inbox_t inbox_t;

typedef enum {
    INBOX_APPLY = 0,      /* seq == last_seq + 1 in the same epoch: apply it */
    INBOX_DUPLICATE = 1,  /* seq <= last_seq: drop */
    INBOX_GAP = 2,        /* seq > last_seq + 1: something was missed, replay */
    INBOX_NEW_EPOCH = 3,  /* the producer's store was wiped (or first contact): resync */
} inbox_verdict_t;

inbox_t *inbox_new(store_t *store, int *err);
void inbox_destroy(inbox_t **self_p);

/* Verdict for an incoming event, reading the cursor inside txn (sees its own writes).
 * A producer never seen before has cursor (0, 0): its first event gives NEW_EPOCH. */
int inbox_check(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                uint64_t seq);
/* Set the cursor to (epoch, seq) inside txn. */
int inbox_advance(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                  uint64_t seq);
/* The same with the fingerprint of the event at seq (0 = unknown). */
int inbox_advance_fp(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t epoch,
                     uint64_t seq, uint64_t fp);
/* Read the cursor; txn may be NULL to use a fresh read transaction. (0,0) if unknown. */
int inbox_get(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t *epoch,
              uint64_t *seq);
int inbox_get_fp(inbox_t *self, MDB_txn *txn, const char *producer, uint64_t *epoch,
                 uint64_t *seq, uint64_t *fp);

/* A rebuild applied buyer by buyer (docs/design.md#rebuild) leaves the derived state of
 * some buyers at the snapshot and of others at the cursor until it ends: the mark, written
 * in the same transaction as the first buyer's and removed with the cursor's move, says so
 * to the next start, which resumes the rebuild instead of replaying from the cursor.
 * Stored under "<producer>\0rebuild" (no producer name holds a NUL). reason: the feed's. */
int inbox_rebuild_mark(inbox_t *self, MDB_txn *txn, const char *producer, uint32_t reason);
/* 1 and *reason when marked, 0 when not; txn may be NULL (a fresh read transaction). */
int inbox_rebuild_marked(inbox_t *self, MDB_txn *txn, const char *producer,
                         uint32_t *reason);
int inbox_rebuild_clear(inbox_t *self, MDB_txn *txn, const char *producer);

#endif
