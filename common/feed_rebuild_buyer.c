/*  feed_rebuild_buyer: a rebuild applied buyer by buyer (feed.h, docs/design.md#rebuild).
 *
 *  At national size the impact-calculator's snapshot is millions of items: held whole it
 *  outgrows any sane memory bound, and applied in one write transaction it would dirty
 *  more pages than a transaction should hold. Its store is keyed buyer-first, so its
 *  snapshot comes grouped by buyer, in order. Here only the items of the buyer under way
 *  are held (encoded: smaller than decoded), and when the next buyer begins (or the
 *  SnapshotEnd comes) ONE write transaction forgets what was derived for that buyer
 *  (reset_buyer), applies its items and writes the inbox's rebuild mark. Buyers the
 *  consumer holds that the snapshot no longer has are reset in their own transactions,
 *  found by walking both orders side by side. The cursor moves to the snapshot's seq (and
 *  the mark goes) only after the last buyer. So:
 *  - memory and each transaction are bounded by one buyer's data (snapshot_max bytes of
 *    its encoded items; a larger buyer fails by name, EFBIG, and nothing is lost);
 *  - a follower sees each buyer's totals jump from the old history to the snapshot in one
 *    commit, never a mix within a buyer (buyers differ for the rebuild's duration);
 *  - a crash (or a stream that breaks) in the middle leaves the mark: the next start (or
 *    the re-ask) rebuilds every buyer again from a new snapshot; a buyer done before is
 *    reset and applied again, which is exact because reset_buyer forgets through the
 *    consumer's own records of what it applied. The tail is never replayed onto a mix.
 */
#include "feed_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

bool feed_rbb_enabled(const feed_t *self)
{
    return self->opts.reset_buyer && self->opts.next_buyer;
}

void feed_rbb_drop(feed_t *self)
{
    feed_rebuild_t *rb = &self->rb;
    rb->glen = 0;
    rb->gn = 0;
    rb->total = rb->nbuyers = 0;
    rb->bytes = rb->peak = 0;
    rb->cur_buyer[0] = rb->done_buyer[0] = rb->fail_buyer[0] = 0;
    rb->fail = 0;
    /* A buyer's buffer may have grown to snapshot_max: give it back between rebuilds. */
    if (rb->gcap > (1u << 20)) {
        free(rb->gbuf);
        rb->gbuf = NULL;
        rb->gcap = 0;
    }
}

void feed_rbb_free(feed_t *self)
{
    free(self->rb.gbuf);
    self->rb.gbuf = NULL;
    self->rb.glen = self->rb.gcap = 0;
    arena_destroy(&self->rb.scratch);
}

static void s_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t s_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void s_fail(feed_t *self, int code, const char *buyer)
{
    feed_rebuild_t *rb = &self->rb;
    if (rb->fail)
        return;
    rb->fail = code;
    snprintf(rb->fail_buyer, sizeof rb->fail_buyer, "%s", buyer ? buyer : "");
}

/* ---------------------------------------------------------------- transactions */

/* Re-runnable: the next buyer held (after done_buyer) into rb->absent, reset if it comes
 * before `upto` (NULL: any); rb->absent "" when there is none to reset. */
static int s_absent_txn(MDB_txn *txn, void *arg)
{
    feed_t *self = arg;
    feed_rebuild_t *rb = &self->rb;
    const feed_opts_t *o = &self->opts;
    const char *upto = rb->cur_buyer[0] ? rb->cur_buyer : NULL;
    rb->absent[0] = 0;
    int rc = o->next_buyer(o->arg, txn, self->producer,
                           rb->done_buyer[0] ? rb->done_buyer : NULL, rb->absent,
                           sizeof rb->absent);
    if (rc == -ENOENT) {
        rb->absent[0] = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (upto && strcmp(rb->absent, upto) >= 0) {
        rb->absent[0] = 0;   /* the next one held is the snapshot's own, or after it */
        return 0;
    }
    if (o->batch_begin)
        o->batch_begin(o->arg);
    if ((rc = inbox_rebuild_mark(self->inbox, txn, self->producer, rb->reason)) != 0 ||
        (rc = o->reset_buyer(o->arg, txn, self->producer, rb->absent)) != 0)
        return rc;
    return o->batch_end ? o->batch_end(o->arg, txn) : 0;
}

/* Reset, one transaction each, the buyers held between done_buyer and cur_buyer (or the
 * end when there is none): the producer's snapshot does not have them any more. */
static int s_reset_absent(feed_t *self)
{
    feed_rebuild_t *rb = &self->rb;
    for (;;) {
        int rc = store_write(self->store, s_absent_txn, self);
        if (rc != 0)
            return rc;
        if (!rb->absent[0])
            return 0;
        memcpy(rb->done_buyer, rb->absent, sizeof rb->done_buyer);
    }
}

/* Re-runnable: forget cur_buyer, apply its items (decoded anew on every run). */
static int s_buyer_txn(MDB_txn *txn, void *arg)
{
    feed_t *self = arg;
    feed_rebuild_t *rb = &self->rb;
    const feed_opts_t *o = &self->opts;
    if (o->batch_begin)
        o->batch_begin(o->arg);
    int rc;
    if ((rc = inbox_rebuild_mark(self->inbox, txn, self->producer, rb->reason)) != 0 ||
        (rc = o->reset_buyer(o->arg, txn, self->producer, rb->cur_buyer)) != 0)
        return rc;
    char topic[FEED_TOPIC_MAX];
    for (size_t off = 0; off < rb->glen;) {
        uint32_t tl = s_get32(rb->gbuf + off);
        memcpy(topic, rb->gbuf + off + 4, tl);
        topic[tl] = 0;
        uint32_t el = s_get32(rb->gbuf + off + 4 + tl);
        const uint8_t *data = rb->gbuf + off + 8 + tl;
        off += 8 + tl + el;
        arena_reset(rb->scratch);
        int err = 0;
        Mvoi__Envelope *env = codec_unpack_in(rb->scratch, data, el, CODEC_DEFAULT_BUDGET,
                                              &err);
        if (!env)
            return err ? err : -EPROTO;   /* it decoded when it came: memory */
        env->producer = self->producer;
        env->has_epoch = false;
        env->epoch = 0;
        env->has_seq = false;
        env->seq = 0;
        if ((rc = o->apply(o->arg, txn, topic, env)) != 0)
            return rc;
    }
    return o->batch_end ? o->batch_end(o->arg, txn) : 0;
}

/* The buyer under way is whole: reset the absent ones before it, then apply it. */
static int s_flush(feed_t *self)
{
    feed_rebuild_t *rb = &self->rb;
    if (!rb->cur_buyer[0])
        return 0;
    int rc = s_reset_absent(self);
    if (rc == 0)
        rc = store_write(self->store, s_buyer_txn, self);
    if (rc != 0)
        return rc;
    rb->total += rb->gn;
    rb->nbuyers++;
    rb->bytes += rb->glen;
    if (rb->glen > rb->peak)
        rb->peak = rb->glen;
    memcpy(rb->done_buyer, rb->cur_buyer, sizeof rb->done_buyer);
    rb->cur_buyer[0] = 0;
    rb->glen = 0;
    rb->gn = 0;
    if (self->opts.committed)
        self->opts.committed(self->opts.arg);
    return 0;
}

/* ---------------------------------------------------------------- the stream */

static int s_append(feed_t *self, const char *topic, size_t tlen, const void *data,
                    size_t len)
{
    feed_rebuild_t *rb = &self->rb;
    size_t need = 8 + tlen + len;
    if (len > UINT32_MAX || rb->glen + need > self->opts.snapshot_max)
        return -EFBIG;
    if (rb->glen + need > rb->gcap) {
        size_t cap = rb->gcap ? rb->gcap : 64u << 10;
        while (cap < rb->glen + need)
            cap *= 2;
        uint8_t *nb = realloc(rb->gbuf, cap);
        if (!nb)
            return -ENOMEM;
        rb->gbuf = nb;
        rb->gcap = cap;
    }
    uint8_t *p = rb->gbuf + rb->glen;
    s_put32(p, (uint32_t)tlen);
    memcpy(p + 4, topic, tlen);
    s_put32(p + 4 + tlen, (uint32_t)len);
    memcpy(p + 8 + tlen, data, len);
    rb->glen += need;
    rb->gn++;
    return 0;
}

void feed_rbb_take(feed_t *self, const char *topic, size_t tlen, const Mvoi__Envelope *env,
                   const void *data, size_t len)
{
    feed_rebuild_t *rb = &self->rb;
    if (rb->fail)
        return;   /* the rest of a failed stream: its SnapshotEnd says so by name */
    if (!env->buyer || !*env->buyer || strlen(env->buyer) >= FEED_BUYER_MAX) {
        s_fail(self, -EPROTO, env->buyer);
        return;
    }
    /* A copy: applying the buyer before reuses the scratch arena env lives in. */
    char buyer[FEED_BUYER_MAX];
    memcpy(buyer, env->buyer, strlen(env->buyer) + 1);
    int rc = 0;
    if (rb->cur_buyer[0] && strcmp(buyer, rb->cur_buyer) != 0)
        rc = s_flush(self);
    if (rc != 0) {
        s_fail(self, rc, rb->cur_buyer);
        return;
    }
    if (!rb->cur_buyer[0]) {
        if (rb->done_buyer[0] && strcmp(buyer, rb->done_buyer) <= 0) {
            s_fail(self, -EPROTO, buyer);   /* a buyer again, or out of order */
            return;
        }
        memcpy(rb->cur_buyer, buyer, strlen(buyer) + 1);
    }
    if ((rc = s_append(self, topic, tlen, data, len)) != 0)
        s_fail(self, rc, buyer);
}

/* Last: the cursor moves to the snapshot and the mark goes, in one transaction. */
static int s_end_txn(MDB_txn *txn, void *arg)
{
    feed_t *self = arg;
    feed_rebuild_t *rb = &self->rb;
    int rc = inbox_rebuild_clear(self->inbox, txn, self->producer);
    if (rc != 0)
        return rc;
    return inbox_advance_fp(self->inbox, txn, self->producer, rb->snap_epoch, rb->snap_seq,
                            0);
}

void feed_rbb_finish(feed_t *self, const Mvoi__SnapshotEnd *end)
{
    feed_rebuild_t *rb = &self->rb;
    int rc = rb->fail;
    const char *who = rb->fail_buyer;
    if (rc == 0 && (rc = s_flush(self)) != 0)
        who = rb->cur_buyer;
    /* Fewer items than the producer counted (one lost on the way, or one not decodable and
     * so not known as ours): as after any failure here, the buyers applied stay (each
     * whole), the mark and the cursor stay, and the next snapshot does them all again.
     * Taken as whole, the state would lack the item for good (as feed_rebuild.c's s_finish
     * says for the whole snapshot). A producer of before SnapshotEnd.count sends none. */
    if (rc == 0 && end->has_count && end->count != rb->total) {
        rb->end_count = end->count;
        rc = -EBADMSG;
        who = "";
    }
    if (rc == 0 && (rc = s_reset_absent(self)) != 0)
        who = "";
    if (rc == 0 && (rc = store_write(self->store, s_end_txn, self)) != 0)
        who = "";
    if (rc != 0) {
        /* Buyers applied so far stay applied (each whole) and the mark stays: the next
         * snapshot does them all again. */
        feed_rebuild_failed(self, rc, who);
        feed_rbb_drop(self);
        return;
    }
    uint32_t items = rb->total;
    const char *kv[] = { "producer", self->producer, NULL };
    log_emit(LOG_INFO, "feed_rebuilt_by_buyer", kv, "the snapshot of %s applied buyer by "
             "buyer: %u buyers, %u items, %llu bytes; at most %llu bytes held (one buyer; "
             "snapshot_max %zu)", self->producer, rb->nbuyers, items,
             (unsigned long long)rb->bytes, (unsigned long long)rb->peak,
             self->opts.snapshot_max);
    feed_rbb_drop(self);
    feed_rebuild_done(self, items);
}
