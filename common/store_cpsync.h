/*  store_cpsync: a WAL-mode checkpoint's flush, on a thread of its own (store_int.h).
 *
 *  The loop commits a checkpoint without a flush and hands its transaction id here; this
 *  thread flushes data.mdb (pages and meta page), then writes the id into the log's header
 *  and flushes the log: from then on the checkpoint is confirmed, the records before it
 *  may be overwritten, and the next checkpoint may commit (store_meta.h says why it must
 *  wait). The loop never waits for a device here, except store_cpsync_now, for the rare
 *  checkpoint that cannot wait (a graceful stop, a full log, a checkpoint due before the
 *  previous one was confirmed).
 *
 *  A failed flush is final for this process: after a failed fdatasync Linux may already
 *  have dropped the pages, so a later successful one proves nothing about them. The
 *  checkpoint then stays unconfirmed (store_cpsync_failed), the store refuses writes, and
 *  the next start falls back to the confirmed snapshot and replays the log.
 */
#ifndef MVOI_STORE_CPSYNC_H
#define MVOI_STORE_CPSYNC_H

#include <stdint.h>
#include "store_wal.h"

typedef struct store_cpsync_t store_cpsync_t;

/* data_fd: data.mdb's descriptor (mdb_env_get_fd); confirmed: the header's id now;
 * pace_ms: the thread's flushes write data.mdb back paced (store_pace.h) with this budget
 * of sleeps, 0 for one plain fdatasync. store_cpsync_now never paces. */
int store_cpsync_new(store_cpsync_t **out, int data_fd, store_wal_t *wal, uint64_t confirmed,
                     uint32_t pace_ms);
/* Stops and joins the thread (a flush in progress finishes first). */
void store_cpsync_destroy(store_cpsync_t **self_p);

/* Loop: checkpoint txnid committed; flush and confirm it. */
void store_cpsync_request(store_cpsync_t *self, uint64_t txnid);
/* Any thread: the last confirmed id (an atomic read, no lock). */
uint64_t store_cpsync_confirmed(store_cpsync_t *self);
/* The first flush error (negative errno), or 0. */
int store_cpsync_failed(store_cpsync_t *self);
/* Confirm txnid on the caller's thread, waiting for a flush in progress. 0 or the error. */
int store_cpsync_now(store_cpsync_t *self, uint64_t txnid);

#endif
