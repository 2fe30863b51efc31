/*  feed_rebuild: heal a consumer whose producer went back, or whose cursor is older than
 *  the producer's retention, from the producer's snapshot and the tail of its outbox (the
 *  zguide "Clone" pattern between services). See feed.h and docs/design.md#rebuild.
 *
 *  Whole (a consumer without reset_buyer): the snapshot's items are kept (decoded, in an
 *  arena) until its SnapshotEnd has come; then ONE write transaction forgets what was
 *  derived from the producer (the consumer's reset), applies every item and sets the
 *  cursor to the snapshot's seq. A consumer's derived state therefore never mixes the old
 *  history with the new, a crash in the middle leaves the old state and cursor (and the
 *  rebuild starts again, detected anew), and a consumer that publishes per batch publishes
 *  every changed total once. By buyer: feed_rebuild_buyer.c (memory and transactions of
 *  one buyer, for producers too large to hold whole).
 */
#include "feed_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

static const char *const s_reason_names[FEED_REBUILD_REASONS] = {
    "none", "went_back", "retention", "requested",
};

const char *feed_rebuild_reason_name(feed_rebuild_reason_t r)
{
    return r < FEED_REBUILD_REASONS ? s_reason_names[r] : "unknown";
}

bool feed_rebuilding(feed_t *self) { return self->rb.active; }
feed_rebuild_reason_t feed_rebuild_reason(feed_t *self) { return self->rb.reason; }

static void s_drop_items(feed_t *self)
{
    self->rb.n = 0;
    self->rb.too_big = false;
    if (self->rb.arena)
        arena_reset(self->rb.arena);
    feed_rbb_drop(self);
}

void feed_rebuild_free(feed_t *self)
{
    free(self->rb.items);
    self->rb.items = NULL;
    self->rb.n = self->rb.cap = 0;
    arena_destroy(&self->rb.arena);
    feed_rbb_free(self);
}

static void s_send(feed_t *self)
{
    feed_rebuild_t *rb = &self->rb;
    if (store_retry_in_ms(self->store) > 0)
        return;   /* the store refuses writes: the tick asks once it takes them again */
    s_drop_items(self);
    if (!rb->arena && !(rb->arena = arena_new(64u << 10, 1u << 20)))
        return;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = (char *)self->opts.snapshot_prefix;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    snprintf(rb->rid, sizeof rb->rid, "rebuild-%u", ++rb->reqno);
    env.request_id = rb->rid;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.has_schema_version = true;
    env.lang = "en";   /* a refusal goes to this service's log, in English as every line */
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[512];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len < 0)
        return;
    bus_frame_t f = { buf, (size_t)len };
    if (bus_send(self->dealer, &f, 1) == 0) {
        rb->inflight = true;
        rb->answered = false;
        rb->sent_ms = rb->heard_ms = feed_now_ms(self);
    }
}

int feed_rebuild(feed_t *self, feed_rebuild_reason_t reason)
{
    if (!self || reason == FEED_REBUILD_NONE || reason >= FEED_REBUILD_REASONS)
        return -EINVAL;
    if (self->rb.active)
        return 0;
    self->rb.active = true;
    self->rb.inflight = false;
    self->rb.reason = reason;
    self->rb.from_last = self->last;
    self->caught_up = false;
    const char *kv[] = { "producer", self->producer, "reason", s_reason_names[reason], NULL };
    log_emit(LOG_WARN, "feed_rebuild", kv, "rebuilding what was derived from %s from its "
             "snapshot and the tail of its outbox (%s; cursor was %llu, epoch %llu)",
             self->producer, s_reason_names[reason], (unsigned long long)self->last,
             (unsigned long long)self->epoch);
    s_send(self);
    return 0;
}

/* By buyer: decode one item at a time (to see its request id and buyer), keep it encoded. */
static void s_take_by_buyer(feed_t *self, bus_msg_t *msg)
{
    feed_rebuild_t *rb = &self->rb;
    if (!rb->scratch && !(rb->scratch = arena_new(16u << 10, 1u << 20)))
        return;
    arena_reset(rb->scratch);
    int err = 0;
    const void *data = bus_msg_data(msg, 1);
    size_t len = bus_msg_size(msg, 1);
    Mvoi__Envelope *env = codec_unpack_in(rb->scratch, data, len, CODEC_DEFAULT_BUDGET, &err);
    if (!env || !env->request_id || strcmp(env->request_id, rb->rid) != 0)
        return;   /* a late replay's event: the tail brings it again */
    rb->answered = true;
    size_t tlen = bus_msg_size(msg, 0);
    if (tlen >= FEED_TOPIC_MAX) {
        self->stats.decode_errors++;
        return;
    }
    feed_rbb_take(self, bus_msg_data(msg, 0), tlen, env, data, len);
}

void feed_rebuild_take(feed_t *self, bus_msg_t *msg)
{
    feed_rebuild_t *rb = &self->rb;
    if (!rb->inflight || !rb->arena)
        return;
    rb->heard_ms = feed_now_ms(self);
    if (feed_rbb_enabled(self)) {
        s_take_by_buyer(self, msg);
        return;
    }
    if (rb->too_big)
        return;
    int err = 0;
    Mvoi__Envelope *env = codec_unpack_in(rb->arena, bus_msg_data(msg, 1),
                                          bus_msg_size(msg, 1), CODEC_DEFAULT_BUDGET, &err);
    /* Not ours: a replay's event that arrives late; the tail replay brings it again. */
    if (!env || !env->request_id || strcmp(env->request_id, rb->rid) != 0)
        return;
    rb->answered = true;
    size_t tlen = bus_msg_size(msg, 0);
    if (tlen >= FEED_TOPIC_MAX) {
        self->stats.decode_errors++;
        return;
    }
    if (arena_used(rb->arena) > self->opts.snapshot_max) {
        rb->too_big = true;
        return;
    }
    if (rb->n == rb->cap) {
        uint32_t cap = rb->cap ? rb->cap * 2 : 1024;
        feed_snap_item_t *n = realloc(rb->items, cap * sizeof *n);
        if (!n) {
            rb->too_big = true;
            return;
        }
        rb->items = n;
        rb->cap = cap;
    }
    feed_snap_item_t *it = &rb->items[rb->n++];
    memcpy(it->topic, bus_msg_data(msg, 0), tlen);
    it->topic[tlen] = 0;
    it->env = env;
}

/* Re-runnable: forget, apply every item, set the cursor. */
static int s_rebuild_txn(MDB_txn *txn, void *arg)
{
    feed_t *self = arg;
    feed_rebuild_t *rb = &self->rb;
    const feed_opts_t *o = &self->opts;
    if (o->batch_begin)
        o->batch_begin(o->arg);
    int rc;
    if (o->reset && (rc = o->reset(o->arg, txn, self->producer, self->epoch,
                                   rb->snap_epoch)) != 0)
        return rc;
    for (uint32_t i = 0; i < rb->n; i++) {
        Mvoi__Envelope *env = rb->items[i].env;
        env->producer = self->producer;
        env->has_epoch = true;
        env->epoch = rb->snap_epoch;
        env->has_seq = false;
        env->seq = 0;
        if ((rc = o->apply(o->arg, txn, rb->items[i].topic, env)) != 0)
            return rc;
    }
    if (o->batch_end && (rc = o->batch_end(o->arg, txn)) != 0)
        return rc;
    /* (a mark of an interrupted rebuild by buyer: this one redid everything) */
    if ((rc = inbox_rebuild_clear(self->inbox, txn, self->producer)) != 0)
        return rc;
    return inbox_advance_fp(self->inbox, txn, self->producer, rb->snap_epoch, rb->snap_seq, 0);
}

void feed_rebuild_failed(feed_t *self, int code, const char *buyer)
{
    self->stats.rebuild_failures++;
    const char *kv[] = { "producer", self->producer, "error", mvoi_errname(code),
                         "buyer", buyer && *buyer ? buyer : "", NULL };
    if (code == -EFBIG && buyer && *buyer)
        log_emit(LOG_ERROR, "rebuild_failed", kv, "the snapshot of %s holds more than %zu "
                 "bytes (snapshot_max) for buyer %s: cannot rebuild; will ask again",
                 self->producer, self->opts.snapshot_max, buyer);
    else if (code == -EFBIG)
        log_emit(LOG_ERROR, "rebuild_failed", kv, "the snapshot of %s is larger than %zu "
                 "bytes (snapshot_max): cannot rebuild; will ask again", self->producer,
                 self->opts.snapshot_max);
    else if (code == -EBADMSG)
        log_emit(LOG_ERROR, "rebuild_failed", kv, "the snapshot of %s ended with a count of "
                 "%u items but %u arrived: not applied; will ask again", self->producer,
                 self->rb.end_count, feed_rbb_enabled(self) ? self->rb.total : self->rb.n);
    else if (code == -EPROTO)
        log_emit(LOG_ERROR, "rebuild_failed", kv, "the snapshot of %s is not grouped by "
                 "buyer in order, or an item has no buyer (at buyer \"%s\"): cannot "
                 "rebuild by buyer; will ask again", self->producer, buyer ? buyer : "");
    else
        log_emit(LOG_ERROR, "rebuild_failed", kv, "rebuilding from the snapshot of %s "
                 "failed: %s; will ask again", self->producer, mvoi_strerror(code));
}

void feed_rebuild_done(feed_t *self, uint32_t items)
{
    feed_rebuild_t *rb = &self->rb;
    /* The producer's head now; a higher one heard before came from the history it lost. */
    self->head_seen = rb->snap_seq;
    self->epoch = rb->snap_epoch;
    self->last = rb->snap_seq;
    self->fp = 0;
    self->stats.rebuilds++;
    rb->active = false;
    self->caught_up = false;
    const char *kv[] = { "producer", self->producer, "reason", s_reason_names[rb->reason],
                         NULL };
    log_emit(LOG_INFO, "feed_rebuilt", kv, "rebuilt from the snapshot of %s: %u items as of "
             "seq %llu (cursor was %llu); the tail follows", self->producer, items,
             (unsigned long long)rb->snap_seq, (unsigned long long)rb->from_last);
    if (self->opts.committed)
        self->opts.committed(self->opts.arg);
    feed_request_replay(self);
}

static void s_finish(feed_t *self, const Mvoi__SnapshotEnd *end)
{
    feed_rebuild_t *rb = &self->rb;
    rb->inflight = false;
    rb->snap_epoch = end->epoch;
    rb->snap_seq = end->seq;
    if (feed_rbb_enabled(self)) {
        feed_rbb_finish(self, end);
        return;
    }
    if (rb->too_big) {
        feed_rebuild_failed(self, -EFBIG, NULL);
        s_drop_items(self);
        return;
    }
    /* Fewer items than the producer sent (one lost on the way, or one we could not decode
     * and so could not know as ours): applied, the state would lack it for good and the
     * rebuild be logged as whole. (A producer of before SnapshotEnd.count sends none.) */
    if (end->has_count && end->count != rb->n) {
        rb->end_count = end->count;
        feed_rebuild_failed(self, -EBADMSG, NULL);
        s_drop_items(self);
        return;
    }
    int rc = store_write(self->store, s_rebuild_txn, self);
    uint32_t items = rb->n;
    s_drop_items(self);
    if (rc != 0) {
        feed_rebuild_failed(self, rc, NULL);
        return;
    }
    feed_rebuild_done(self, items);
}

bool feed_rebuild_reply(feed_t *self, const Mvoi__Envelope *env)
{
    feed_rebuild_t *rb = &self->rb;
    if (!rb->active || !env->request_id || strcmp(env->request_id, rb->rid) != 0)
        return false;
    if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END && rb->inflight) {
        s_finish(self, env->snapshot_end);
    } else if (env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        const Mvoi__Error *e = env->error;
        const char *kv[] = { "producer", self->producer, NULL };
        log_emit(LOG_WARN, "rebuild_refused", kv, "%s refused the snapshot: %s (%s); will "
                 "ask again", self->producer, e->message ? e->message : "",
                 e->field ? e->field : "");
        rb->inflight = false;
        rb->sent_ms = feed_now_ms(self);   /* the tick asks again after stall_ms */
        s_drop_items(self);
    }
    return true;
}

void feed_rebuild_reask(feed_t *self, const char *why)
{
    feed_rebuild_t *rb = &self->rb;
    /* Unanswered, it would wait snapshot_wait_ms (a minute) for a process that is gone;
     * a stream under way stopped too. Items of a buyer held so far go with s_send. */
    if (!rb->active || !rb->inflight)
        return;
    const char *kv[] = { "producer", self->producer, NULL };
    log_emit(LOG_INFO, "rebuild_reasked", kv, "%s %s while its snapshot was asked for: "
             "asking again", self->producer, why);
    rb->inflight = false;
    s_send(self);
}

void feed_rebuild_tick(feed_t *self)
{
    feed_rebuild_t *rb = &self->rb;
    uint64_t now = feed_now_ms(self);
    uint64_t since = rb->heard_ms > rb->sent_ms ? rb->heard_ms : rb->sent_ms;
    /* Until the first item of this request, the producer may still be reading its state
     * (one read transaction, seconds for millions of records, its loop busy): asking again
     * after stall_ms would make the stream it is about to send worthless (another request
     * id) and start another read, for ever. So the first answer gets snapshot_wait_ms;
     * then every item must follow within stall_ms. */
    uint64_t limit = rb->inflight && !rb->answered ? self->opts.snapshot_wait_ms
                                                   : self->opts.stall_ms;
    if (rb->inflight && !rb->answered)
        since = rb->sent_ms;
    if (now - since <= limit)
        return;
    /* No snapshot, or a snapshot that stopped halfway (the producer restarted, or its
     * queue to us was full and it gave up): ask again from the start. */
    rb->inflight = false;
    s_send(self);
}
