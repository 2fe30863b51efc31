/*  store_wal: the write-ahead log file of a store in WAL mode (<dir>/wal.mvoi).
 *
 *  A preallocated, zero-filled file of fixed size used as a ring: fdatasync of a file that
 *  neither grows nor has unwritten extents flushes the written pages and no metadata (a
 *  4 KiB overwrite + fdatasync is ~0.12 ms on a fast disk, an append that grows the file
 *  ~0.20 ms, docs/latency.md).
 *
 *  Record (aligned to STORE_WAL_ALIGN bytes), big-endian:
 *    [u32 magic "MVWL"][u32 payload length][u64 lsn][u64 synced][u32 crc][u32 0][payload]
 *  lsn: the record's log sequence number (+1 per record); synced: the highest lsn known
 *  to be on the device when this record was written (a record missing at or below it was
 *  acknowledged: damage, not a torn tail); crc: CRC-32 (zlib's crc32) over the first 24 header
 *  bytes, the store's salt (be64) and the payload. The salt changes at every open (after
 *  recovery), so a record of an earlier incarnation never passes for a current one.
 *  Placement (writer and reader): a record goes at the head; if it does not fit before
 *  the end of the file it goes at STORE_WAL_BASE.
 *
 *  The first STORE_WAL_BASE bytes are the header block, big-endian:
 *    [u32 magic "MVWH"][u32 version 1][u64 confirmed][u32 crc][u32 0]
 *  confirmed: the LMDB transaction id of the last checkpoint known to be whole on the
 *  device (its data.mdb flush returned before this was written). A checkpoint commits
 *  without a flush and is confirmed afterwards, off the loop (store_cpsync.c); after an OS
 *  crash in between, data.mdb's newest meta page may point at pages that never reached
 *  the device, and the store opens the confirmed snapshot instead (store_meta.h).
 *  crc: CRC-32 (zlib's crc32) over the first 16 bytes. One sector: written whole or not at all.
 */
#ifndef MVOI_STORE_WAL_H
#define MVOI_STORE_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_WAL_FILE "wal.mvoi"
#define STORE_WAL_ALIGN 32u
#define STORE_WAL_HDR 32u
#define STORE_WAL_MAGIC 0x4D56574Cu   /* "MVWL" */
#define STORE_WAL_HMAGIC 0x4D565748u  /* "MVWH" */
#define STORE_WAL_BASE 4096u          /* the header block; the ring starts here */

typedef struct store_wal_t store_wal_t;

/* Open <dir>/wal.mvoi if it exists (*exists false and 0 if it does not: nothing opened). */
int store_wal_open(const char *dir, store_wal_t **out, bool *exists);
/* Create it (if open found none) or resize it to size bytes, every byte written (zeros),
 * then fsync the file and the directory. Old records stay (a new salt makes them stale). */
int store_wal_format(const char *dir, store_wal_t **w, uint64_t size);
void store_wal_close(store_wal_t **w);
uint64_t store_wal_size(store_wal_t *w);

/* Recovery: the records lsn, lsn+1, ... of this salt from offset off on; cb gets each
 * (a non-zero return stops the replay with it). *next: the first lsn not found. A record
 * missing while a later one says it was on the device (its synced >= the missing lsn) is
 * damage: -EUCLEAN, *bad gets the missing lsn. */
typedef int (store_wal_cb)(void *arg, uint64_t lsn, const uint8_t *p, size_t len);
int store_wal_replay(store_wal_t *w, uint64_t lsn, uint64_t off, uint64_t salt,
                     store_wal_cb *cb, void *arg, uint64_t *next, uint64_t *bad);

/* The records first..last of this salt from offset off on, each to cb in order: what was
 * logged since the last checkpoint, for a long transaction that had to be dropped (the
 * store re-applies it). Unlike the replay above it leaves the writer's head alone and
 * wants every record: one that is not there is -EUCLEAN. */
int store_wal_reread(store_wal_t *w, uint64_t first, uint64_t last, uint64_t off,
                     uint64_t salt, store_wal_cb *cb, void *arg);
/* The header's confirmed transaction id: 0 and *valid true, or -EUCLEAN and *valid false
 * when it does not check (a file of the old layout, a torn header: only a header write
 * in flight can tear it, and that write comes after its checkpoint's flush); -errno. */
int store_wal_confirmed(store_wal_t *w, uint64_t *txnid);
/* Write the header (pwrite, no flush: the caller flushes with store_wal_sync). */
int store_wal_set_confirmed(store_wal_t *w, uint64_t txnid);

/* Writer. start: the ring is empty, the next record goes at off (STORE_WAL_BASE at least). */
void store_wal_start(store_wal_t *w, uint64_t off);
uint64_t store_wal_head(store_wal_t *w);
/* Bytes (with wrap gaps) still needed: appended since the last released point. */
uint64_t store_wal_live(store_wal_t *w);
/* Append one record (pwrite, no flush). -ENOSPC: it would overwrite records the last
 * checkpoint still needs (checkpoint, then retry); -EFBIG: it does not fit even in an empty
 * ring; -errno of pwrite (a short write is -EIO). */
int store_wal_append(store_wal_t *w, uint64_t lsn, uint64_t synced, uint64_t salt,
                     const uint8_t *p, size_t len);
/* Bytes appended since the last store_wal_start, wrap gaps included (a running count:
 * store_wal_release takes a value of it). */
uint64_t store_wal_appended(store_wal_t *w);
/* A confirmed checkpoint covers what was appended until `appended` (a store_wal_appended
 * taken just before its commit): that space may be reused. */
void store_wal_release(store_wal_t *w, uint64_t appended);
/* Flush lanes: each lane is its own open file description of the log, so that several
 * threads may flush at once and each fdatasync still sees every write-back error since
 * its lane opened (Linux reports such an error once per open file description: on a
 * shared one, the second of two flushers would miss the error the first one took and
 * report success). The first error of any lane is kept: from then on every lane returns
 * it without flushing, since the pages that failed may be gone from the cache and only a
 * restart (which re-applies the log from the last confirmed checkpoint) knows what is on
 * the device. Lane 0 is store_wal_sync's; the lanes open with store_wal_format. */
#ifndef STORE_WAL_LANES
#define STORE_WAL_LANES 4
#define STORE_WAL_LANE_CP 3   /* the checkpoint thread's (store_cpsync.c) */
#endif
/* fdatasync of the file by a lane; safe from other threads while the owner appends. */
int store_wal_sync_lane(store_wal_t *w, unsigned lane);
/* store_wal_sync_lane(w, 0) */
int store_wal_sync(store_wal_t *w);
/* The kept flush error (a negative errno), or 0. */
int store_wal_sync_failed(store_wal_t *w);

#endif
