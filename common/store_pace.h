/*  store_pace: write a file's dirty pages back in small, spaced steps before its flush.
 *
 *  A checkpoint writes a second's (the WAL store) or a few seconds' (the kpi-aggregator)
 *  worth of LMDB pages into the page cache, and one fdatasync then hands them all to the
 *  device at once. Every log flush that the hot path issues meanwhile waits behind that
 *  burst: on a virtual disk a flush costs what the host has to write, so the log's
 *  fdatasync, 0.3 ms alone, took several ms for the commands that came during a
 *  checkpoint, and that was the p99 (docs/latency.md#paced-checkpoint).
 *
 *  store_pace_writeback walks the file in 64 KiB chunks with sync_file_range(2) (start the
 *  writeback of the chunk's dirty pages, wait for it) and, after a chunk that wrote
 *  something, sleeps as long as that chunk took, so the device spends at most about half
 *  its time on the checkpoint and the log's flushes fall into the gaps. The caller's
 *  fdatasync afterwards still decides durability: it writes whatever is left, the meta
 *  page, and flushes the device's cache. The pacer never weakens it; it only moves the
 *  bulk of the writing earlier and spreads it.
 *
 *  Errors. sync_file_range's wait reports a writeback error and advances the descriptor's
 *  error cursor, so the fdatasync after it would not report the same error again: any
 *  error here (-EIO, -ENOSPC) must be taken as the flush's failure. A descriptor that
 *  cannot do it (-EINVAL, -ESPIPE, -ENOSYS) just gets no pacing (0).
 *
 *  The sleeps stop once their sum reaches budget_ms, or as soon as *hurry becomes true
 *  (someone waits for this flush: a graceful stop, a full log).
 */
#ifndef MVOI_STORE_PACE_H
#define MVOI_STORE_PACE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t chunks;         /* sync_file_range calls */
    uint64_t wrote;          /* chunks that took long enough to have written pages */
    int64_t slept_ns;        /* time spent in the gaps */
} store_pace_stats_t;

/* 0, or a negative errno that fails the flush. stats and hurry may be NULL. */
int store_pace_writeback(int fd, uint32_t budget_ms, const bool *hurry,
                         store_pace_stats_t *stats);

#endif
