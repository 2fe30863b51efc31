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
 *  their transaction is durable.
 *
 *  A store with flush lanes (WAL mode, store.h) lets a second flush start while the first
 *  runs: a batch committed meanwhile need not wait for the flush in flight to end before
 *  its own begins (at one measurement a request that wait was a third of a command's time
 *  on the loop side). Flushes are accepted in the order they started: a flush that ends
 *  before an earlier one waits for it, so a failure of the earlier one is never overtaken.
 *
 *  A failed flush is final: the store keeps the error (store_wal.h: the pages that failed
 *  may be gone, and a second fdatasync would report success over them), the server refuses
 *  every new command at once (server.c; with or without a write-ahead log) and reports
 *  itself not ready (server_health.c), and the commands held stay unanswered until the
 *  stop answers them "retry" (the restart re-applies what reached the device; a retry with
 *  the same request id is then answered from there). Nothing is acknowledged that the
 *  device did not confirm, and no client waits for an answer that cannot come.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "server_int.h"

#define S_SLOTS STORE_FLUSH_LANES

typedef enum { S_IDLE, S_RUNNING, S_DONE } s_state_t;

typedef struct {
    uv_work_t work;
    struct server_flush *f;
    unsigned lane;
    s_state_t state;
    uint64_t ticket;         /* start order: accepted in it */
    uint64_t head_txn;       /* last transaction the flush covers */
    uint64_t head;           /* committed outbox head the flush covers */
    int rc;
    int64_t t_kick, t_work0, t_work1;   /* hop times when the server traces */
} s_slot_t;

struct server_flush {
    server_t *owner;         /* NULL once the server is gone (the last work frees it) */
    store_t *store;
    unsigned nslots;         /* the store's flush lanes, at most S_SLOTS */
    s_slot_t slot[S_SLOTS];
    uint64_t tickets;
    int failed;              /* the first flush error: final (see above) */
};

int server_flush_init(server_t *self)
{
    struct server_flush *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->owner = self;
    f->store = self->opts.store;
    unsigned lanes = store_flush_lanes(f->store);
    f->nslots = lanes < S_SLOTS ? lanes : S_SLOTS;
    for (unsigned i = 0; i < S_SLOTS; i++) {
        f->slot[i].f = f;
        f->slot[i].lane = i;
        f->slot[i].work.data = &f->slot[i];
    }
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
 * by: the worker's flush that made them so (traced: its times go with them; a command
 * made durable by a later commit keeps 0 there), or NULL. */
static void s_release(server_t *self, const s_slot_t *by)
{
    /* After a failed flush nothing is answered, whatever flushed later (a commit's own
     * data flush too): the error was reported once, to the flush that failed. */
    if (self->flush->failed)
        return;
    uint64_t durable = store_durable_txn(self->opts.store);
    /* Everything committed is durable (a write-ahead log's checkpoint flushes it all at
     * once, also inside the store_write of this batch): so is every committed event, and
     * the outbox must say so before any reply does, or a client that got its answer could
     * still read a head without its event. */
    if (self->opts.outbox && durable >= store_last_txn(self->opts.store))
        outbox_durable_upto(self->opts.outbox, outbox_committed(self->opts.outbox));
    int64_t now = server_trace_now(self->trace);
    uint32_t k = 0;
    while (k < self->nheld && self->held[k]->txn <= durable) {
        int64_t *tr = self->held[k]->tr;
        if (by && tr[ST_WAKE])
            tr[ST_KICK] = by->t_kick, tr[ST_WORK0] = by->t_work0, tr[ST_WORK1] = by->t_work1;
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
    if (!self->flush || self->flush->failed || store_durable_txn(self->opts.store) < txn)
        return;
    if (self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, seq);
    s_release(self, NULL);
}

static void s_work(uv_work_t *w)
{
    s_slot_t *sl = w->data;
    sl->t_work0 = sl->t_kick ? clock_mono_ns() : 0;
    sl->rc = store_flush_lane(sl->f->store, sl->lane);
    sl->t_work1 = sl->t_kick ? clock_mono_ns() : 0;
}

/* The slot not idle that started first, or NULL. */
static s_slot_t *s_oldest(struct server_flush *f)
{
    s_slot_t *o = NULL;
    for (unsigned i = 0; i < f->nslots; i++)
        if (f->slot[i].state != S_IDLE && (!o || f->slot[i].ticket < o->ticket))
            o = &f->slot[i];
    return o;
}

/* A work of ours is queued or running (it holds f). */
static bool s_running(struct server_flush *f)
{
    for (unsigned i = 0; i < f->nslots; i++)
        if (f->slot[i].state == S_RUNNING)
            return true;
    return false;
}

/* One finished flush, in start order: its commands are durable, or the error is kept. */
static void s_accept(server_t *self, struct server_flush *f, s_slot_t *sl)
{
    sl->state = S_IDLE;
    if (sl->rc == 0)
        sl->rc = store_sync_failed(f->store);   /* a commit's own flush failed meanwhile */
    if (sl->rc != 0) {
        if (!f->failed) {
            f->failed = sl->rc;
            const char *kv[] = { "error", mvoi_errname(sl->rc), NULL };
            log_emit(LOG_ERROR, "flush_failed", kv, "flushing committed commands failed: "
                     "%s; %u commands stay unanswered, writes are refused until a restart "
                     "re-applies what reached the device", mvoi_strerror(sl->rc), self->nheld);
        }
        return;
    }
    if (f->failed)
        return;   /* a later flush proves nothing about the pages an earlier one lost */
    store_durable_upto(f->store, sl->head_txn);
    if (self->opts.outbox)
        outbox_durable_upto(self->opts.outbox, sl->head);
    s_release(self, sl);
}

static void s_after(uv_work_t *w, int status)
{
    s_slot_t *sl = w->data;
    struct server_flush *f = sl->f;
    server_t *self = f->owner;
    sl->state = S_DONE;
    if (status != 0 && sl->rc == 0)
        sl->rc = status;
    if (!self) {
        if (!s_running(f))
            free(f);
        return;
    }
    bool accepted = false;
    for (s_slot_t *o; (o = s_oldest(f)) && o->state == S_DONE; accepted = true)
        s_accept(self, f, o);
    if (!accepted)
        return;   /* an earlier flush still runs: this one waits for it */
    server_publish(self);
    server_flush_kick(self);   /* what committed meanwhile */
}

/* Start a flush on an idle slot when something committed is neither durable nor covered
 * by a flush in flight. */
void server_flush_kick(server_t *self)
{
    struct server_flush *f = self->flush;
    if (!f || f->failed)
        return;
    s_slot_t *sl = NULL;
    uint64_t covered = 0;
    for (unsigned i = 0; i < f->nslots; i++) {
        if (f->slot[i].state == S_IDLE)
            sl = sl ? sl : &f->slot[i];
        else if (f->slot[i].head_txn > covered)
            covered = f->slot[i].head_txn;
    }
    if (!sl)
        return;
    s_release(self, NULL);   /* what a later commit made durable */
    uint64_t committed = self->opts.outbox ? outbox_committed(self->opts.outbox) : 0;
    bool unflushed = self->opts.outbox && committed > outbox_head(self->opts.outbox);
    if (self->nheld == 0 && !unflushed)
        return;
    uint64_t head_txn = store_last_txn(self->opts.store);
    if (covered && head_txn <= covered)
        return;   /* the flush in flight covers all of it */
    sl->head_txn = head_txn;
    sl->head = committed;
    sl->state = S_RUNNING;
    sl->ticket = ++f->tickets;
    sl->rc = 0;
    sl->t_kick = server_trace_now(self->trace);
    if (uv_queue_work(self->loop, &sl->work, s_work, s_after) != 0) {
        sl->rc = -EIO;
        s_after(&sl->work, 0);
    }
}

int server_flush_sync(server_t *self)
{
    struct server_flush *f = self->flush;
    if (f->failed)
        return f->failed;
    int rc = store_flush(self->opts.store);
    if (rc != 0)
        f->failed = rc;
    return rc;
}

int server_flush_failed(server_t *self)
{
    if (!self->flush)
        return 0;
    return self->flush->failed ? self->flush->failed : store_sync_failed(self->opts.store);
}

void server_flush_fini(server_t *self)
{
    struct server_flush *f = self->flush;
    if (!f)
        return;
    self->flush = NULL;
    /* A graceful stop answers what was committed: flush here, on the loop thread (after
     * a failed flush, a new one would prove nothing). */
    int rc = f->failed ? f->failed : store_flush(self->opts.store);
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
    if (s_running(f))
        f->owner = NULL;   /* the last s_after frees it */
    else
        free(f);
}
