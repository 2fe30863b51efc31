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

#endif
