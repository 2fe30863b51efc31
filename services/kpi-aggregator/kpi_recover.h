/*  kpi_recover: the aggregator's store is derived, so it is not flushed per batch.
 *
 *  Everything the kpi-aggregator keeps (totals, tender projections, measurement records,
 *  inbox cursors, its own outbox of KpiTotal events) follows from the events of the
 *  calendar and the impact-calculator, which are durable where they are produced. So its
 *  LMDB runs with MDB_NOSYNC: a commit costs no device flush, a process crash (kill -9)
 *  loses nothing (the committed pages are in the kernel's page cache), and an OS crash may
 *  leave data.mdb older than the last commit or torn (LMDB's integrity under NOSYNC relies
 *  on a write order the filesystem does not promise).
 *
 *  Which of the two happened is told by a marker, <dir>/KPI_RECOVER_MARK, holding the
 *  kernel's boot id (/proc/sys/kernel/random/boot_id):
 *  - written (and flushed, with its directory) before LMDB maps anything at start;
 *  - removed at an orderly stop, after data.mdb was flushed (kpi_recover_clean_stop);
 *  - found at start with the boot id of the running kernel: the process died, the page
 *    cache still holds every commit, the store is used as it is;
 *  - found with another (or no readable) boot id: the machine went down with unflushed
 *    pages, the file cannot be trusted. data.mdb, lock.mdb and the store mark are removed
 *    before LMDB maps them, the store starts anew with a new outbox epoch (followers of the
 *    aggregator reset and re-snapshot), and the feeds rebuild every total from the
 *    producers' streams, from seq 1 (the calendar and the impact-calculator keep their
 *    whole outbox; with a trimmed producer the feed's snapshot + tail would be the path).
 *
 *  - found holding KPI_RECOVER_FLUSH_FAILED instead of a boot id: a flush of data.mdb
 *    failed while the service ran (kpi_recover_mark_failed). Linux reports a writeback
 *    error once and may have dropped the pages, so a later flush that passes proves
 *    nothing about them: the store starts anew as after a reboot, also when the machine
 *    kept running, and an orderly stop leaves this marker in place.
 *
 *  No marker (an orderly stop, or a store of a version that flushed every commit) means the
 *  file on disk is complete.
 */
#ifndef MVOI_KPI_RECOVER_H
#define MVOI_KPI_RECOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define KPI_RECOVER_MARK "kpi.unsynced"
#define KPI_RECOVER_FLUSH_FAILED "flush-failed"   /* the marker's line instead of a boot id */

typedef enum {
    KPI_RECOVER_CLEAN = 0,      /* no marker: the last stop was orderly (or a new store) */
    KPI_RECOVER_PROCESS = 1,    /* marker of this boot: the process died, nothing lost */
    KPI_RECOVER_REBUILD = 2,    /* marker of another boot (or unreadable): started anew */
} kpi_recover_state_t;

typedef struct {
    kpi_recover_state_t state;  /* what the last start found */
    char found_boot[64];        /* the boot id in the marker found ("" if none) */
} kpi_recover_t;

/* store_opts_t.before_open (arg: a kpi_recover_t, filled in): decides as above, removes
 * the files when the store cannot be trusted, writes the marker of this boot. 0 or -errno
 * (a marker that cannot be written stops the start: without it a later OS crash would go
 * unnoticed). */
int kpi_recover_before_open(const char *dir, void *arg);

/* Orderly stop: flush data.mdb, then remove the marker (and flush the directory). When
 * this flush or an earlier one failed, the marker says so and stays: the next start
 * rebuilds. 0 or -errno. Call after the last write, before store_destroy. */
int kpi_recover_clean_stop(store_t *store, const char *dir);

/* A flush of data.mdb failed: the marker now asks the next start to rebuild, whatever
 * the boot. 0 or -errno (then the marker of this boot is still there). */
int kpi_recover_mark_failed(const char *dir);

/* The running kernel's boot id into buf ("" when unknown); 0 or -errno. */
int kpi_recover_boot_id(char *buf, size_t len);

const char *kpi_recover_state_name(kpi_recover_state_t s);

#endif
