/*  kpi_checkpoint: the periodic flush of the aggregator's unsynced store (kpi_recover.h).
 *
 *  Commits do not flush; every period_ms, if anything was committed since the last
 *  checkpoint, data.mdb is flushed on a libuv worker thread (store_flush_paced: its pages
 *  written back in spaced steps, then one fdatasync), so the loop never waits for the
 *  device and the producers' log flushes on the same disk do not queue behind a burst. It keeps the kernel's dirty pages of the store
 *  bounded and written steadily. It is not what makes the totals right after an OS crash:
 *  that is the rebuild (kpi_recover.h), since LMDB under NOSYNC gives no write order.
 */
#ifndef MVOI_KPI_CHECKPOINT_H
#define MVOI_KPI_CHECKPOINT_H

#include <stdint.h>
#include <uv.h>

#include "store.h"

typedef struct kpi_checkpoint_t kpi_checkpoint_t;

/* period_ms 0: no checkpoints (NULL is returned, and is a valid argument below);
 * pace_ms: store_flush_paced's budget; dir: the store's directory, whose marker a failed
 * flush turns into a request to rebuild (kpi_recover_mark_failed). */
kpi_checkpoint_t *kpi_checkpoint_new(uv_loop_t *loop, store_t *store, const char *dir,
                                     uint32_t period_ms, uint32_t pace_ms, int *err);
/* The first error of a checkpoint's flush since start (0: none); the store's file is not
 * trusted after it (kpi_recover_mark_failed). NULL: 0. */
int kpi_checkpoint_failed(const kpi_checkpoint_t *self);
/* Stops the timer; the object frees itself once a flush in flight has finished (the
 * loop must run for that). *self_p is set to NULL. */
void kpi_checkpoint_stop(kpi_checkpoint_t **self_p);

#endif
