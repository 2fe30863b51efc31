/*  feed: exactly-once consumption of one producer's events. See feed.h.
 *
 *  Live events (SUB) and replayed events (DEALER) go through s_apply_batch(): one write
 *  transaction per batch that checks each event against the inbox cursor, applies it and
 *  advances the cursor. Epoch changes are taken from live events, heartbeats and ReplayEnd
 *  (the producer's word on its current epoch); a replayed event from another epoch is
 *  stale and dropped.
 */
#include "feed_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus_monitor.h"
#include "log.h"
#include "mvoi_error.h"

static uint64_t s_now_ms(feed_t *self) { return uv_now(self->loop); }
uint64_t feed_now_ms(feed_t *self) { return s_now_ms(self); }

uint64_t feed_fingerprint(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;   /* 0 means "unknown" in the inbox */
}

/* The fingerprint of an item, hashed on first use. Hashing every event cost 5 % of the
 * kpi-aggregator (a byte-wise loop over each event) while only the cursor's event of a
 * batch is ever stored or compared. */
static uint64_t s_item_fp(item_t *it)
{
    if (!it->fp)
        it->fp = feed_fingerprint(it->raw, it->rawlen);
    return it->fp;
}

/* The working cursor's fingerprint (of the last event applied in this transaction). */
static uint64_t s_w_fp(feed_t *self)
{
    if (self->w_fp_item) {
        self->w_fp = s_item_fp(self->w_fp_item);
        self->w_fp_item = NULL;
    }
    return self->w_fp;
}
static bool s_failed(feed_t *self, bus_sock_t *sock, int events);

/* ---------------------------------------------------------------- replay requests */

void feed_request_replay(feed_t *self)
{
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = rq.has_max_count = true;
    /* From the cursor's own event: the producer sends it again, and if it is another event
     * the producer went back (docs/design.md#rebuild). A cursor without a fingerprint (set
     * by a rebuild to the snapshot's seq, which names no event we hold) learns it from
     * that event: without it, a producer that went back again and past the cursor before
     * we asked would have its other history applied on top of ours, unnoticed. */
    bool verify = self->last && self->opts.replay_batch > 1;
    rq.from_seq = verify ? self->last : self->last + 1;
    rq.max_count = self->opts.replay_batch;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    char *rid = self->replay_rid;
    snprintf(rid, sizeof self->replay_rid, "replay-%u", ++self->reqno);
    self->replay_cursor = self->last;
    env.request_id = rid;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.has_schema_version = true;
    /* A refusal goes to this service's log, in English as every log line is, and
     * s_replay_refused tells a cursor past the retention from one past the head by it. */
    env.lang = "en";
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    env.replay = &rq;
    uint8_t buf[256];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    if (len < 0)
        return;
    bus_frame_t f = { buf, (size_t)len };
    int rc = bus_send(self->dealer, &f, 1);
    if (rc == 0) {
        self->replay_inflight = true;
        self->replay_sent_ms = s_now_ms(self);
        self->stats.replays++;
    }
}

static void s_maybe_replay(feed_t *self)
{
    /* While the store refuses writes, a replay would only be thrown away: ask again when
     * its backoff has passed (the timer tick comes back here). */
    if (self->replay_inflight || self->rb.active || store_retry_in_ms(self->store) > 0 ||
        s_now_ms(self) < self->apply_retry_ms)
        return;
    if (self->need_replay || self->sync_wanted || self->head_seen > self->last) {
        bool sync = self->sync_wanted;
        self->need_replay = self->sync_wanted = false;
        feed_request_replay(self);
        if (!self->replay_inflight)
            self->sync_wanted = sync;   /* not sent (a full queue): the timer asks again */
    }
}

uint64_t feed_sync(feed_t *self)
{
    uint64_t token = self->reqno;
    /* one in flight was asked before this call: the sync is the one after it */
    self->sync_wanted = true;
    s_maybe_replay(self);
    return token;
}

bool feed_synced(feed_t *self, uint64_t token) { return self->synced > token; }

/* ---------------------------------------------------------------- batches */

static int s_switch_epoch(feed_t *self, MDB_txn *txn, uint64_t epoch)
{
    if (self->w_epoch != 0) {
        log_warn("producer_new_epoch", "%s has a new epoch (store wiped?): resynchronising",
                 self->producer);
        if (self->opts.reset) {
            int rc = self->opts.reset(self->opts.arg, txn, self->producer, self->w_epoch,
                                      epoch);
            if (rc != 0)
                return rc;
        }
        self->w_stats.resets++;
    }
    self->w_epoch = epoch;
    self->w_last = 0;
    self->w_fp = 0;
    self->w_fp_item = NULL;
    self->need_replay = true;
    return inbox_advance(self->inbox, txn, self->producer, epoch, 0);
}

static int s_batch_txn(MDB_txn *txn, void *arg)
{
    feed_t *self = arg;
    /* Re-runnable: start from the committed cursor every time. */
    self->w_epoch = self->epoch;
    self->w_last = self->last;
    self->w_fp = self->fp;
    self->w_fp_item = NULL;
    memset(&self->w_stats, 0, sizeof self->w_stats);
    bool dirty = false;
    if (self->opts.batch_begin)
        self->opts.batch_begin(self->opts.arg);
    for (uint32_t i = 0; i < self->nitems; i++) {
        item_t *it = &self->items[i];
        int rc;
        if (it->kind == ITEM_MARK) {
            if (it->epoch && it->epoch != self->w_epoch) {
                if ((rc = s_switch_epoch(self, txn, it->epoch)) != 0)
                    return rc;
                dirty = true;
            }
            continue;
        }
        const Mvoi__Envelope *ev = it->env;
        uint64_t epoch = ev->epoch, seq = ev->seq;
        if (epoch != self->w_epoch) {
            if (it->replayed && self->w_epoch != 0) {
                self->w_stats.duplicates++;   /* stale: from an epoch we left */
                continue;
            }
            if ((rc = s_switch_epoch(self, txn, epoch)) != 0)
                return rc;
            dirty = true;
        }
        if (seq <= self->w_last) {
            /* The event at the cursor again (a replay starts there): another event under
             * that seq means the producer's store went back; nothing after it counts. A
             * cursor that has no fingerprint yet takes this event's (feed_request_replay). */
            if (seq && seq == self->w_last && !s_w_fp(self)) {
                self->w_fp_item = it;
                dirty = true;
            } else if (seq && seq == self->w_last && s_item_fp(it) != self->w_fp) {
                self->went_back = true;
                break;
            }
            self->w_stats.duplicates++;
            continue;
        }
        if (seq > self->w_last + 1) {
            self->w_stats.gaps++;
            self->need_replay = true;
            continue;
        }
        rc = self->opts.apply(self->opts.arg, txn, it->topic, ev);
        if (rc != 0)
            return rc;
        self->w_last = seq;
        self->w_fp_item = it;
        self->w_stats.applied++;
        dirty = true;
    }
    if (self->opts.batch_end) {
        int rc = self->opts.batch_end(self->opts.arg, txn);
        if (rc != 0)
            return rc;
    }
    if (dirty)
        return inbox_advance_fp(self->inbox, txn, self->producer, self->w_epoch,
                                self->w_last, s_w_fp(self));
    return 0;
}

static void s_clear_items(feed_t *self)
{
    self->nitems = 0;
    if (self->arena)
        arena_reset(self->arena);
}

/* A batch the consumer refused (not the store: a total beyond int64, a record that does
 * not decode). The same events come back by replay and may well be refused again: asked at
 * once, that was a loop of replays and error lines as fast as the producer answered. So
 * the replay waits, 100 ms after the first refusal, doubling to 30 s; a batch applied
 * ends the wait. */
static void s_apply_refused(feed_t *self, int rc)
{
    uint32_t n = self->apply_failures < 9 ? self->apply_failures : 9;
    uint64_t wait = (uint64_t)FEED_REFUSED_FIRST_MS << n;
    if (wait > FEED_REFUSED_MAX_MS)
        wait = FEED_REFUSED_MAX_MS;
    self->apply_failures++;
    self->apply_retry_ms = s_now_ms(self) + wait;
    char in[24];
    snprintf(in, sizeof in, "%llu", (unsigned long long)wait);
    const char *kv[] = { "producer", self->producer, "error", mvoi_errname(rc),
                         "retry_in_ms", in, NULL };
    log_emit(LOG_ERROR, "apply_failed", kv, "applying %u events from %s failed: %s; "
             "will replay in %s ms (refusal %u in a row)", self->nitems, self->producer,
             mvoi_strerror(rc), in, self->apply_failures);
}

static void s_apply_batch(feed_t *self)
{
    self->last_batch = self->nitems;
    if (self->nitems == 0 || self->rb.active) {
        /* (undecodable messages may still hold arena memory; while a rebuild is under way
         * live events are dropped: the tail replay after the snapshot brings them) */
        s_clear_items(self);
        return;
    }
    self->went_back = false;
    /* s_batch_txn only ever sets need_replay (a gap, a new epoch), so a transaction that
     * was re-run or aborted can leave it set, never clear it: at worst one extra replay. */
    int rc = store_write(self->store, s_batch_txn, self);
    if (rc == 0) {
        self->epoch = self->w_epoch;
        self->last = self->w_last;
        self->fp = self->w_fp;
        self->stats.applied += self->w_stats.applied;
        self->stats.duplicates += self->w_stats.duplicates;
        self->stats.gaps += self->w_stats.gaps;
        self->stats.resets += self->w_stats.resets;
        self->stats.batches++;
        if (self->opts.committed)
            self->opts.committed(self->opts.arg);
        self->apply_failures = 0;
        self->apply_retry_ms = 0;
    } else {
        /* Nothing was applied; the events come back through a replay. A storage failure
         * was logged by the store, once per attempt (its backoff bounds the rate). */
        if (!store_failing(self->store, NULL))
            s_apply_refused(self, rc);
        self->need_replay = true;
    }
    s_clear_items(self);
    if (self->went_back)
        feed_rebuild(self, FEED_REBUILD_WENT_BACK);
}

static item_t *s_push(feed_t *self)
{
    if (self->nitems == self->cap) {
        uint32_t cap = self->cap ? self->cap * 2 : 256;
        item_t *n = realloc(self->items, cap * sizeof *n);
        if (!n)
            return NULL;
        self->items = n;
        self->cap = cap;
    }
    item_t *it = &self->items[self->nitems++];
    memset(it, 0, sizeof *it);
    return it;
}

/* Decode one event's envelope (data, len) of topic into the batch. Heartbeats become
 * marks. */
static void s_take_one(feed_t *self, const void *topic, size_t tlen, const uint8_t *data,
                       size_t len, bool replayed)
{
    int err = 0;
    feed_decode_fn *decode = self->opts.decode ? self->opts.decode : codec_unpack_in;
    Mvoi__Envelope *env = decode(self->arena, data, len, CODEC_DEFAULT_BUDGET, &err);
    if (!env) {
        self->stats.decode_errors++;
        log_warn("event_dropped", "undecodable event from %s: %s", self->producer,
                 mvoi_strerror(err));
        return;
    }
    if (!env->producer || strcmp(env->producer, self->producer) != 0) {
        self->stats.decode_errors++;
        log_warn("event_dropped", "event from producer '%s' on the feed of %s",
                 env->producer ? env->producer : "", self->producer);
        return;
    }
    if (env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT) {
        uint64_t head = env->heartbeat->head_seq;
        uint64_t epoch = env->heartbeat->epoch;
        uint64_t inc = env->heartbeat->incarnation;
        /* A restarted producer (new incarnation) may have come back from an older copy of
         * its store, and a head below our cursor says so outright; either way a replay
         * from the cursor's event checks (a heartbeat may also just be older than a
         * replay we took: the replay's answer decides, not the heartbeat). */
        if ((inc && inc != self->incarnation) || (epoch == self->epoch && head < self->last))
            self->need_replay = true;
        if (inc && self->incarnation && inc != self->incarnation)
            feed_rebuild_reask(self, "restarted");
        if (inc)
            self->incarnation = inc;
        item_t *it = s_push(self);
        if (!it)
            return;
        it->kind = ITEM_MARK;
        it->epoch = epoch;
        it->head = head;
        if (epoch == self->epoch || self->epoch == 0) {
            if (head > self->head_seen)
                self->head_seen = head;
        } else {
            self->head_seen = head;   /* a new epoch's head */
        }
        return;
    }
    item_t *it = s_push(self);
    if (!it)
        return;
    it->kind = ITEM_EVENT;
    it->replayed = replayed;
    it->env = env;
    /* The bytes are kept (a copy costs far less than hashing them) for the fingerprint. */
    it->rawlen = len;
    uint8_t *raw = arena_alloc(self->arena, it->rawlen ? it->rawlen : 1);
    if (!raw) {
        self->nitems--;   /* no memory: dropped like an undecodable event (a replay brings it) */
        self->stats.decode_errors++;
        return;
    }
    memcpy(raw, data, it->rawlen);
    it->raw = raw;
    if (tlen >= FEED_TOPIC_MAX)
        tlen = FEED_TOPIC_MAX - 1;
    memcpy(it->topic, topic, tlen);
    it->topic[tlen] = 0;
    if (!replayed && env->seq > self->head_seen)
        self->head_seen = env->seq;
}

/* Take a [topic][envelope] message: one event, or each event of an EventBatch in order
 * (server_publish.c). Returns how many events it held (at least 1, for the caller's
 * bound on a drain). */
static uint32_t s_take_event(feed_t *self, bus_msg_t *msg, bool replayed)
{
    const void *topic = bus_msg_data(msg, 0);
    size_t tlen = bus_msg_size(msg, 0);
    const uint8_t *data = bus_msg_data(msg, 1);
    size_t len = bus_msg_size(msg, 1);
    codec_slice_t body, ev;
    int rc = codec_batch_open(data, len, &body);
    if (rc == 0) {
        s_take_one(self, topic, tlen, data, len, replayed);
        return 1;
    }
    uint32_t n = 0;
    while (rc > 0 && (rc = codec_batch_next(&body, &ev)) > 0) {
        s_take_one(self, topic, tlen, ev.data, ev.len, replayed);
        n++;
    }
    if (rc < 0) {
        /* what came before the fault was taken; the rest is missing: a gap, so a replay */
        self->stats.decode_errors++;
        log_warn("event_dropped", "malformed event batch from %s", self->producer);
    }
    return n ? n : 1;
}

static void s_on_linger(uv_timer_t *t)
{
    feed_t *self = t->data;
    self->linger_armed = false;
    s_apply_batch(self);
    s_maybe_replay(self);
}

static void s_on_sub(bus_sock_t *sock, int events, void *arg)
{
    feed_t *self = arg;
    if (s_failed(self, sock, events))
        return;
    self->last_heard_ms = self->heard_ms = s_now_ms(self);
    for (uint32_t n = 0; n < self->opts.batch;) {
        bus_msg_t msg;
        int rc = bus_recv(sock, &msg);
        if (rc == -EAGAIN)
            break;
        n++;
        if (rc < 0)
            continue;
        if (msg.nparts == 2)
            n += s_take_event(self, &msg, false) - 1;
        else
            self->stats.decode_errors++;
        bus_msg_close(&msg);
    }
    /* Group commit across loop turns, only under load: when the last batch or this drain
     * already held several events, more are coming and waiting a little for them saves
     * commits (and, in consumers that publish per batch, updates). A trickle is committed
     * at once: holding a lone event would only add the linger to its latency. */
    bool busy = self->nitems >= self->opts.linger_min || self->last_batch >= self->opts.linger_min;
    if (self->opts.linger_ms && busy && self->nitems < self->opts.batch) {
        if (!self->linger_armed) {
            self->linger_armed = true;
            uv_timer_start(&self->linger, s_on_linger, self->opts.linger_ms, 0);
        }
        return;
    }
    if (self->linger_armed) {
        uv_timer_stop(&self->linger);
        self->linger_armed = false;
    }
    s_apply_batch(self);
    s_maybe_replay(self);
}

static bool s_ours(feed_t *self, const Mvoi__Envelope *env)
{
    return env->request_id && strcmp(env->request_id, self->replay_rid) == 0;
}

/* The end of a replay batch. The producer's head is never below what we held when we
 * asked (everything we held it had committed before), unless its store went back. True
 * when it answers our latest request. */
static bool s_replay_end(feed_t *self, const Mvoi__Envelope *env)
{
    const Mvoi__ReplayEnd *re = env->replay_end;
    if (s_ours(self, env) && re->epoch == self->epoch && self->epoch &&
        re->head_seq < self->replay_cursor) {
        const char *kv[] = { "producer", self->producer, NULL };
        log_emit(LOG_WARN, "producer_went_back", kv, "%s's head %llu is below our cursor "
                 "%llu in the same epoch: its store went back", self->producer,
                 (unsigned long long)re->head_seq, (unsigned long long)self->last);
        feed_rebuild(self, FEED_REBUILD_WENT_BACK);
        return false;
    }
    item_t *it = s_push(self);
    if (it) {
        it->kind = ITEM_MARK;
        it->epoch = re->epoch;
        it->head = re->head_seq;
        /* The answer to our latest request is the producer's committed head now: a
         * higher head heard before came from a history it no longer has. */
        if (it->epoch != self->epoch || it->head > self->head_seen || s_ours(self, env))
            self->head_seen = it->head;
    }
    return it && s_ours(self, env);
}

/* A replay refused. Out of range is a cursor beyond the producer's head (its store went
 * back) or before its retention (the events we miss are gone): both heal by a rebuild.
 * The server says which in its message (asked in English: feed_request_replay); the error
 * code is the same. */
static void s_replay_refused(feed_t *self, const Mvoi__Envelope *env)
{
    const Mvoi__Error *e = env->error;
    log_warn("replay_refused", "%s refused a replay: %s (%s)", self->producer,
             e->message ? e->message : "", e->field ? e->field : "");
    if (!s_ours(self, env) || e->code != MVOI__ERROR_CODE__ERR_OUT_OF_RANGE)
        return;
    bool retention = e->message && strstr(e->message, "retention");
    feed_rebuild(self, retention ? FEED_REBUILD_RETENTION : FEED_REBUILD_WENT_BACK);
}

static void s_on_dealer(bus_sock_t *sock, int events, void *arg)
{
    feed_t *self = arg;
    if (s_failed(self, sock, events))
        return;
    self->last_heard_ms = self->heard_ms = s_now_ms(self);
    bool ended = false, ours = false;
    uint32_t budget = self->opts.replay_batch + 16;
    for (uint32_t n = 0; n < budget; n++) {
        bus_msg_t msg;
        int rc = bus_recv(sock, &msg);
        if (rc == -EAGAIN)
            break;
        if (rc < 0)
            continue;
        if (msg.nparts == 2) {
            if (self->rb.active)
                feed_rebuild_take(self, &msg);
            else
                s_take_event(self, &msg, true);
        } else if (msg.nparts == 1) {
            int err = 0;
            Mvoi__Envelope *env = codec_unpack(bus_msg_data(&msg, 0), bus_msg_size(&msg, 0),
                                               CODEC_DEFAULT_BUDGET, &err);
            if (env && feed_rebuild_reply(self, env)) {
                /* the rebuild's SnapshotEnd or its refusal */
            } else if (env && env->body_case == MVOI__ENVELOPE__BODY_REPLAY_END) {
                ours = s_replay_end(self, env);
                ended = true;
            } else if (env && env->body_case == MVOI__ENVELOPE__BODY_ERROR) {
                s_replay_refused(self, env);
                ended = true;
            } else {
                self->stats.decode_errors++;
            }
            codec_free(&env);
        }
        bus_msg_close(&msg);
    }
    s_apply_batch(self);
    if (ended) {
        self->replay_inflight = false;
        if (self->last >= self->head_seen && !self->need_replay && !self->rb.active) {
            self->caught_up = true;
            /* all the producer held when it answered our latest request is applied */
            if (ours)
                self->synced = self->reqno;
        }
    }
    s_maybe_replay(self);
}

/* Re-ask when a replay went unanswered (the producer restarted) or when the producer has
 * been silent: a heartbeat missing for stall_ms means we may be missing more. */
static void s_on_timer(uv_timer_t *t)
{
    feed_t *self = t->data;
    uint64_t now = s_now_ms(self);
    if (self->rb.active) {
        feed_rebuild_tick(self);
    } else if (store_retry_in_ms(self->store) > 0 || now < self->apply_retry_ms) {
        /* the store backs off, or a refused batch waits: s_maybe_replay asks after it */
    } else if (self->replay_inflight && now - self->replay_sent_ms > self->opts.stall_ms) {
        self->replay_inflight = false;
        feed_request_replay(self);
    } else if (!self->replay_inflight && now - self->last_heard_ms > self->opts.stall_ms) {
        self->last_heard_ms = now;
        feed_request_replay(self);
    } else if (!self->linger_armed) {
        /* (While a linger holds live events, head_seen is ahead of the cursor by exactly
         * those: no replay; s_on_linger applies them and checks for gaps then.) */
        s_maybe_replay(self);
    }
}

/* The DEALER connected again. The connection before it is gone, and with it the request
 * it carried or that request's answer: a producer drops what it had not read when it
 * closes a connection (its ZMTP heartbeat timed out while it was stopped a few seconds, a
 * restart), and a reply to a peer that left cannot be routed. Waiting stall_ms for that
 * answer kept a measurement's new tender unconfirmed, and refused as a retry, for seconds
 * after the calendar was back: the replay and the snapshot under way are asked again now.
 * (An answer that comes after all is taken or dropped by its request id, as after a
 * stall.) The first connection carries what was queued before it. */
static void s_on_mon(bus_sock_t *sock, int events, void *arg)
{
    feed_t *self = arg;
    (void)events;
    if (!bus_monitor_reconnected(sock, &self->connected))
        return;
    if (self->replay_inflight) {
        log_info("replay_reasked", "%s reconnected while a replay was asked for: asking "
                 "again", self->producer);
        self->replay_inflight = false;
        feed_request_replay(self);
    }
    feed_rebuild_reask(self, "reconnected");
}

/* A socket of the feed stopped for good (bus_watch's ZMQ_POLLERR): say so, by name. */
static bool s_failed(feed_t *self, bus_sock_t *sock, int events)
{
    if (!(events & ZMQ_POLLERR))
        return false;
    int e = bus_sock_error(sock);
    const char *kv[] = { "error", mvoi_errname(e), "producer", self->producer, NULL };
    log_emit(LOG_ERROR, "socket_failed", kv, "a socket of the feed of %s stopped: %s",
             self->producer, mvoi_strerror(e));
    return true;
}

/* ---------------------------------------------------------------- lifecycle */

/* A rebuild by buyer that a crash interrupted left its mark: some buyers stand at a
 * snapshot, others at the cursor; replaying the tail from the cursor would add to the
 * former what their snapshot already holds. Rebuild again first. 1 when resumed. */
static int s_resume_rebuild(feed_t *self)
{
    uint32_t reason = 0;
    int rc = inbox_rebuild_marked(self->inbox, NULL, self->producer, &reason);
    if (rc <= 0)
        return rc;
    if (reason == FEED_REBUILD_NONE || reason >= FEED_REBUILD_REASONS)
        reason = FEED_REBUILD_REQUESTED;
    const char *kv[] = { "producer", self->producer, NULL };
    log_emit(LOG_WARN, "feed_rebuild_resumed", kv, "a rebuild from the snapshot of %s was "
             "under way when the service stopped: rebuilding again", self->producer);
    return feed_rebuild(self, (feed_rebuild_reason_t)reason) == 0 ? 1 : -EINVAL;
}

feed_t *feed_new(uv_loop_t *loop, bus_ctx_t *ctx, store_t *store, inbox_t *inbox,
                 const feed_opts_t *opts, int *err)
{
    int e = -ENOMEM;
    feed_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    self->loop = loop;
    self->store = store;
    self->inbox = inbox;
    self->opts = *opts;
    if (!self->opts.replay_batch)
        self->opts.replay_batch = 2000;
    if (!self->opts.batch)
        self->opts.batch = 5000;
    if (!self->opts.stall_ms)
        self->opts.stall_ms = 3000;
    if (!self->opts.linger_min)
        self->opts.linger_min = 8;
    if (!self->opts.snapshot_max)
        self->opts.snapshot_max = (size_t)256 << 20;
    if (!self->opts.snapshot_wait_ms)
        self->opts.snapshot_wait_ms = 60000;
    if (self->opts.snapshot_wait_ms < self->opts.stall_ms)
        self->opts.snapshot_wait_ms = self->opts.stall_ms;
    if (!self->opts.snapshot_prefix)
        self->opts.snapshot_prefix = "";
    self->producer = strdup(opts->producer);
    self->arena = arena_new(64u << 10, 8u << 20);
    if (!self->producer || !self->arena)
        goto fail;
    if ((e = inbox_get_fp(inbox, NULL, self->producer, &self->epoch, &self->last,
                          &self->fp)) < 0)
        goto fail;
    e = -EIO;
    /* Subscribe first, then replay: whatever is published meanwhile is either in the
     * replay or arrives live; the cursor drops what comes twice. Every topic of the
     * producer is taken, since a prefix filter would make gaps normal. */
    self->sub = bus_sock_new(ctx, loop, ZMQ_SUB, opts->bus_opts);
    self->dealer = bus_sock_new(ctx, loop, ZMQ_DEALER, opts->bus_opts);
    /* the monitor before the connection, so that its first handshake is seen as the first */
    if (!self->sub || !self->dealer
        || !(self->mon = bus_monitor_new(ctx, loop, self->dealer, s_on_mon, self)))
        goto fail;
    if ((e = bus_subscribe(self->sub, "")) < 0 ||
        (e = bus_connect(self->sub, opts->pub_endpoint)) < 0 ||
        (e = bus_connect(self->dealer, opts->api_endpoint)) < 0)
        goto fail;
    bus_watch(self->sub, ZMQ_POLLIN, s_on_sub, self);
    bus_watch(self->dealer, ZMQ_POLLIN, s_on_dealer, self);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_init(loop, &self->linger);
    self->linger.data = self;
    self->timer_started = true;
    uint64_t tick = self->opts.stall_ms / 3 ? self->opts.stall_ms / 3 : 1;
    uv_timer_start(&self->timer, s_on_timer, tick, tick);
    self->last_heard_ms = s_now_ms(self);
    if ((e = s_resume_rebuild(self)) < 0)
        goto fail;
    if (e == 0)
        feed_request_replay(self);
    log_info("feed_started", "consuming %s from seq %llu (epoch %llu)", self->producer,
             (unsigned long long)self->last + 1, (unsigned long long)self->epoch);
    return self;
fail:
    if (err)
        *err = e;
    feed_destroy(&self);
    return NULL;
}

static void s_free_on_close(uv_handle_t *h)
{
    feed_t *self = h->data;
    if (--self->closing == 0)
        free(self);
}

void feed_destroy(feed_t **self_p)
{
    feed_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    /* A graceful stop commits what a linger was holding; nothing else is in flight. */
    if (self->nitems && self->inbox)
        s_apply_batch(self);
    s_clear_items(self);
    feed_rebuild_free(self);
    free(self->items);
    free(self->producer);
    arena_destroy(&self->arena);
    bus_sock_destroy(&self->sub);
    bus_sock_destroy(&self->mon);
    bus_sock_destroy(&self->dealer);
    if (self->timer_started) {
        uv_timer_t *timers[2] = { &self->timer, &self->linger };
        for (int i = 0; i < 2; i++)
            if (!uv_is_closing((uv_handle_t *)timers[i])) {
                uv_timer_stop(timers[i]);
                self->closing++;
            }
        if (self->closing) {
            for (int i = 0; i < 2; i++)
                if (!uv_is_closing((uv_handle_t *)timers[i]))
                    uv_close((uv_handle_t *)timers[i], s_free_on_close);
            return;
        }
    }
    free(self);
}

bool feed_caught_up(feed_t *self) { return self->caught_up; }

bool feed_ready(feed_t *self, uint64_t grace_ms)
{
    /* Heartbeats arrive every second or so; silence longer than the grace means the
     * producer (or the way to it) is gone, and what we serve may be falling behind. */
    return self->caught_up && !self->rb.active && self->heard_ms && s_now_ms(self) - self->heard_ms <= grace_ms
           && !store_failing(self->store, NULL);
}
bool feed_follows(feed_t *self, uint64_t inc)
{
    return inc && self->incarnation == inc && !self->need_replay && !self->replay_inflight &&
           !self->rb.active;
}

uint64_t feed_last_seq(feed_t *self) { return self->last; }
uint64_t feed_head_seen(feed_t *self) { return self->head_seen; }
uint64_t feed_epoch(feed_t *self) { return self->epoch; }
const char *feed_producer(feed_t *self) { return self->producer; }
void feed_stats(feed_t *self, feed_stats_t *out) { *out = self->stats; }
