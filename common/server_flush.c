/*  server_flush: the source's durable commit without holding the loop (server.h,
 *  opts.flush_offloop).
 *
 *  The store runs with MDB_NOMETASYNC: mdb_txn_commit writes the transaction's pages and
 *  flushes them (so the data is on the device before the meta page that points to it:
 *  integrity after an OS crash), then writes the new meta page without flushing it. A
 *  commit is durable once that meta page is on the device, which happens by whichever
 *  comes first:
 *    - the next commit that writes: its own data flush takes the earlier meta page along
 *      (store_durable_txn), so under a steady stream of commands a command waits for one
 *      device flush, the next batch's, and no worker is involved;
 *    - a flush on a libuv worker thread (store_flush: one fdatasync, no LMDB state),
 *      started at the publish point for whatever is committed and not yet durable, while
 *      the loop reads, decodes and commits the next requests. It covers every commit
 *      before it started (group flush).
 *  Commands are answered, and their events published or replayed (outbox gate), only once
 *  their transaction is durable. A failed flush keeps everything held and is tried again
 *  at the next publish point: nothing is acknowledged that the device did not confirm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "server_int.h"

struct server_flush {
    uv_work_t work;
    server_t *owner;         /* NULL once the server is gone (the work frees itself) */
    store_t *store;
    uint64_t head_txn;       /* last transaction the flush in flight covers */
    uint64_t head;           /* committed outbox head the flush in flight covers */
    int rc;
    bool in_flight;
    uint64_t failures;
    int64_t t_kick, t_work0, t_work1;   /* hop times when the server traces */
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
    if (rc == 0) {
        store_durable_upto(self->opts.store, store_last_txn(self->opts.store));
        if (self->opts.outbox)
            outbox_gate(self->opts.outbox, true);
    }
    return rc;
}

int server_flush_hold(server_t *self, server_req_t *req)
{
    if (self->nheld == self->held_cap) {
        uint32_t cap = self->held_cap ? self->held_cap * 2 : 256;
        server_req_t **n = realloc(self->held, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        self->held = n;
        self->held_cap = cap;
    }
    req->txn = store_last_txn(self->opts.store);
    self->held[self->nheld++] = req;
    return 0;
}

/* Answer the held commands whose transaction is durable (they are in commit order);
 * by_flush: the worker's flush made them so (traced: its times go with them; a command
 * made durable by a later commit keeps 0 there). */
static void s_release(server_t *self, bool by_flush)
{
    uint64_t durable = store_durable_txn(self->opts.store);
    /* Everything committed is durable (a write-ahead log's checkpoint flushes it all at
     * once, also inside the store_write of this batch): so is every committed event, and
     * the outbox must say so before any reply does, or a client that got its answer could
     * still read a head without its event. */
    if (self->opts.outbox && durable >= store_last_txn(self->opts.store))
        outbox_durable_upto(self->opts.outbox, outbox_committed(self->opts.outbox));
    int64_t now = server_trace_now(self->trace);
    struct server_flush *f = self->flush;
    uint32_t k = 0;
    while (k < self->nheld && self->held[k]->txn <= durable) {
        int64_t *tr = self->held[k]->tr;
        if (by_flush && tr[ST_WAKE])
            tr[ST_KICK] = f->t_kick, tr[ST_WORK0] = f->t_work0, tr[ST_WORK1] = f->t_work1;
        tr[ST_AFTER] = tr[ST_WAKE] ? now : 0;
        server_reply_free(self, self->held[k++]);
    }
    if (k) {
        memmove(self->held, self->held + k, (self->nheld - k) * sizeof *self->held);
        self->nheld -= k;
    }
}

void server_flush_before(server_t *self, uint64_t *txn, uint64_t *seq)
{
    *txn = store_last_txn(self->opts.store);
    *seq = self->opts.outbox ? outbox_committed(self->opts.outbox) : 0;
}

void server_flush_after(server_t *self, uint64_t txn, uint64_t seq)
{
    if (!self->flush || store_durable_txn(self->opts.store) < txn)
        return;
    if (self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, seq);
    s_release(self, false);
}

static void s_work(uv_work_t *w)
{
    struct server_flush *f = w->data;
    f->t_work0 = f->t_kick ? clock_mono_ns() : 0;
    f->rc = store_flush(f->store);
    f->t_work1 = f->t_kick ? clock_mono_ns() : 0;
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
        return;   /* all stay held; the next publish point tries again */
    }
    store_durable_upto(f->store, f->head_txn);
    if (self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, f->head);
    s_release(self, true);
    server_publish(self);
    server_flush_kick(self);   /* what committed meanwhile */
}

void server_flush_kick(server_t *self)
{
    struct server_flush *f = self->flush;
    if (!f || f->in_flight)
        return;
    s_release(self, false);   /* what a later commit made durable */
    uint64_t committed = self->opts.outbox ? outbox_committed(self->opts.outbox) : 0;
    bool unflushed = self->opts.outbox && committed > outbox_head(self->opts.outbox);
    if (self->nheld == 0 && !unflushed)
        return;
    f->head_txn = store_last_txn(self->opts.store);
    f->head = committed;
    f->in_flight = true;
    f->t_kick = server_trace_now(self->trace);
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
    for (uint32_t i = 0; i < self->nheld; i++) {
        if (rc != 0) {
            self->held[i]->packed = self->held[i]->duplicate = false;
            server_error(self->held[i], MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                         "the service stopped before its commit was flushed; retry "
                         "with the same request id");
        }
        server_reply_free(self, self->held[i]);
    }
    self->nheld = 0;
    free(self->held);
    self->held = NULL;
    if (f->in_flight)
        f->owner = NULL;   /* s_after frees it */
    else
        free(f);
}
