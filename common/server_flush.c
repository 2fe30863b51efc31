/*  server_flush: the source's durable commit without holding the loop (server.h,
 *  opts.flush_offloop).
 *
 *  The store runs with MDB_NOMETASYNC: mdb_txn_commit writes the transaction's pages and
 *  flushes them (so the data is on the device before the meta page that points to it:
 *  integrity after an OS crash), then writes the new meta page without flushing it. That
 *  last flush -- what makes the commit durable -- runs here, on a libuv worker thread
 *  (store_flush: one fdatasync, no LMDB state), while the loop reads, decodes and commits
 *  the next requests. Commands of a commit are answered, and its events published or
 *  replayed (outbox gate), only when a flush that started after that commit has finished;
 *  one flush covers every commit before it (group flush). A failed flush keeps everything
 *  held and is tried again at the next publish point: nothing is acknowledged that the
 *  device did not confirm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"
#include "server_int.h"

struct server_flush {
    uv_work_t work;
    server_t *owner;         /* NULL once the server is gone (the work frees itself) */
    store_t *store;
    uint64_t head;           /* committed head the flush in flight covers */
    int rc;
    bool in_flight;
    uint64_t failures;
};

int server_flush_init(server_t *self)
{
    struct server_flush *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->owner = self;
    f->store = self->opts.store;
    f->work.data = f;
    self->flush = f;
    /* What an earlier run committed may still lack its meta flush. */
    int rc = store_flush(self->opts.store);
    if (rc == 0 && self->opts.outbox)
        outbox_gate(self->opts.outbox, true);
    return rc;
}

/* Both lists can take need records. */
static int s_reserve(server_t *self, uint32_t need)
{
    if (need <= self->held_cap)
        return 0;
    uint32_t cap = self->held_cap ? self->held_cap : 256;
    while (cap < need)
        cap *= 2;
    server_req_t **n = realloc(self->held, cap * sizeof *n);
    if (n)
        self->held = n;
    server_req_t **m = n ? realloc(self->flushing, cap * sizeof *m) : NULL;
    if (m)
        self->flushing = m;
    if (!n || !m)
        return -ENOMEM;
    self->held_cap = cap;
    return 0;
}

int server_flush_hold(server_t *self, server_req_t *req)
{
    int rc = s_reserve(self, self->nheld + 1);
    if (rc == 0)
        self->held[self->nheld++] = req;
    return rc;
}

static void s_work(uv_work_t *w)
{
    struct server_flush *f = w->data;
    f->rc = store_flush(f->store);
}

static void s_after(uv_work_t *w, int status)
{
    struct server_flush *f = w->data;
    server_t *self = f->owner;
    f->in_flight = false;
    if (!self) {
        free(f);
        return;
    }
    if (status != 0 || f->rc != 0) {
        int e = status != 0 ? status : f->rc;
        if (f->failures++ % 1000 == 0) {
            const char *kv[] = { "error", mvoi_errname(e), NULL };
            log_emit(LOG_ERROR, "flush_failed", kv, "flushing committed commands failed: "
                     "%s; they stay unanswered until a flush succeeds", mvoi_strerror(e));
        }
        /* back to the front of the queue, in order; the next publish point tries again */
        if (s_reserve(self, self->nflushing + self->nheld) == 0) {
            for (uint32_t i = 0; i < self->nheld; i++)
                self->flushing[self->nflushing + i] = self->held[i];
            server_req_t **t = self->held;
            self->held = self->flushing;
            self->flushing = t;
            self->nheld += self->nflushing;
            self->nflushing = 0;
        }
        return;
    }
    if (self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, f->head);
    for (uint32_t i = 0; i < self->nflushing; i++)
        server_reply_free(self, self->flushing[i]);
    self->nflushing = 0;
    server_publish(self);
    server_flush_kick(self);   /* what committed meanwhile */
}

void server_flush_kick(server_t *self)
{
    struct server_flush *f = self->flush;
    if (!f || f->in_flight)
        return;
    uint64_t committed = self->opts.outbox ? outbox_committed(self->opts.outbox) : 0;
    bool unflushed = self->opts.outbox && committed > outbox_head(self->opts.outbox);
    if (self->nheld == 0 && !unflushed)
        return;
    server_req_t **t = self->flushing;
    self->flushing = self->held;
    self->nflushing = self->nheld;
    self->held = t;
    self->nheld = 0;
    f->head = committed;
    f->in_flight = true;
    if (uv_queue_work(self->loop, &f->work, s_work, s_after) != 0) {
        f->in_flight = false;
        f->rc = -EIO;
        s_after(&f->work, 0);
    }
}

void server_flush_fini(server_t *self)
{
    struct server_flush *f = self->flush;
    if (!f)
        return;
    self->flush = NULL;
    /* A graceful stop answers what was committed: flush here, on the loop thread. */
    int rc = store_flush(self->opts.store);
    if (rc == 0 && self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, outbox_committed(self->opts.outbox));
    server_req_t **lists[2] = { self->flushing, self->held };
    uint32_t ns[2] = { self->nflushing, self->nheld };
    for (int l = 0; l < 2; l++)
        for (uint32_t i = 0; i < ns[l]; i++) {
            if (rc != 0) {
                lists[l][i]->packed = lists[l][i]->duplicate = false;
                server_error(lists[l][i], MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                             "the service stopped before its commit was flushed; retry "
                             "with the same request id");
            }
            server_reply_free(self, lists[l][i]);
        }
    self->nflushing = self->nheld = 0;
    free(self->held);
    free(self->flushing);
    self->held = self->flushing = NULL;
    if (f->in_flight)
        f->owner = NULL;   /* s_after frees it */
    else
        free(f);
}
