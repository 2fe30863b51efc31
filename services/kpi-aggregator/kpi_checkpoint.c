/*  kpi_checkpoint: periodic off-loop flush of the aggregator's store (kpi_checkpoint.h). */
#include "kpi_checkpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_recover.h"
#include "log.h"
#include "mvoi_error.h"

struct kpi_checkpoint_t {
    uv_timer_t timer;
    uv_work_t work;
    store_t *store;
    char *dir;               /* the store's directory, for the marker (kpi_recover.h) */
    uint64_t commits_seen;   /* store_commits() at the start of the last flush */
    uint32_t pace_ms;
    int result;              /* of the flush in flight, written by the worker */
    int failed;              /* the first failed flush's error, for health */
    bool in_flight, closed;
};

static void s_maybe_free(kpi_checkpoint_t *self)
{
    if (self->closed && !self->in_flight) {
        free(self->dir);
        free(self);
    }
}

static void s_work(uv_work_t *w)
{
    kpi_checkpoint_t *self = w->data;
    self->result = store_flush_paced(self->store, self->pace_ms);
}

static void s_after(uv_work_t *w, int status)
{
    kpi_checkpoint_t *self = w->data;
    self->in_flight = false;
    if (status == 0 && self->result != 0) {
        /* Linux reports a writeback error once and may drop the pages: the next flush
         * passing would say nothing about them, so the file is no longer trusted. The
         * totals are still served from the running store (the page cache holds what the
         * commits wrote); the next start rebuilds them from the producers. */
        if (!self->failed)
            self->failed = self->result;
        int mrc = kpi_recover_mark_failed(self->dir);
        const char *kv[] = { "error", mvoi_errname(self->result), "marker",
                             mrc ? mvoi_errname(mrc) : "written", NULL };
        log_emit(LOG_ERROR, "checkpoint_failed", kv, "flushing the store failed: %s; its "
                 "file is no longer trusted, the next start rebuilds every total from the "
                 "producers%s", mvoi_strerror(self->result),
                 mrc ? " (but writing that marker failed too)" : "");
        self->commits_seen = 0;   /* the checkpoints go on: they keep dirty pages bounded */
    }
    s_maybe_free(self);
}

static void s_on_timer(uv_timer_t *t)
{
    kpi_checkpoint_t *self = t->data;
    uint64_t c = store_commits(self->store);
    if (self->in_flight || c == self->commits_seen)
        return;
    self->commits_seen = c;
    self->in_flight = true;
    if (uv_queue_work(t->loop, &self->work, s_work, s_after) != 0)
        self->in_flight = false;
}

kpi_checkpoint_t *kpi_checkpoint_new(uv_loop_t *loop, store_t *store, const char *dir,
                                     uint32_t period_ms, uint32_t pace_ms, int *err)
{
    *err = 0;
    if (period_ms == 0)
        return NULL;
    kpi_checkpoint_t *self = calloc(1, sizeof *self);
    if (!self || !(self->dir = strdup(dir))) {
        free(self);
        *err = -ENOMEM;
        return NULL;
    }
    self->store = store;
    self->pace_ms = pace_ms;
    self->work.data = self;
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_start(&self->timer, s_on_timer, period_ms, period_ms);
    return self;
}

static void s_on_close(uv_handle_t *h)
{
    kpi_checkpoint_t *self = h->data;
    self->closed = true;
    s_maybe_free(self);
}

int kpi_checkpoint_failed(const kpi_checkpoint_t *self) { return self ? self->failed : 0; }

void kpi_checkpoint_stop(kpi_checkpoint_t **self_p)
{
    kpi_checkpoint_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    uv_close((uv_handle_t *)&self->timer, s_on_close);
}
