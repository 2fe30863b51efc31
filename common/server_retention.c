/*  server_retention: stored replies expire after their TTL and the outbox keeps its newest
 *  events, each a bounded amount per pass so a pass never stalls the loop. See server.h. */
#include "server_int.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "store.h"

/* An expiry pass reads at most this many stored replies (~0.2 ms of the loop): they are
 * keyed by request id, not by age, so finding the old ones means reading them all, and a
 * producer keeps a week of them (millions). One walk over all of them in one pass, once a
 * period, held the loop about 26 ns per stored reply (test_server_expire). */
#define SERVER_EXPIRE_WALK 4096
/* A retention pass removes a quarter of the backlog, at least SERVER_TRIM_MIN events (a
 * pass has a fixed cost: a transaction, its commit), at most trim_max. */
#define SERVER_TRIM_SHARE 4
#define SERVER_TRIM_MIN 1024

typedef struct {
    server_t *self;
    uint64_t expired, walked;
} s_expire_t;

/* Saves the key the cursor stands on as the next pass's start; false when the walk is at
 * the end (or the key does not fit, which LMDB's 511-byte key bound rules out). */
static bool s_expire_mark(server_t *self, MDB_cursor *c)
{
    MDB_val k, v;
    if (mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT) != 0 || k.mv_size > sizeof self->expire_key)
        return false;
    memcpy(self->expire_key, k.mv_data, k.mv_size);
    self->expire_key_len = k.mv_size;
    return true;
}

/* One pass of the sweep: from the saved key on, deletes the stored replies older than the
 * sweep's cutoff among at most SERVER_EXPIRE_WALK. Replies stored since the sweep began
 * are newer than the cutoff, so where they land in key order does not matter. */
static int s_expire_txn(MDB_txn *txn, void *arg)
{
    s_expire_t *e = arg;
    server_t *self = e->self;
    e->expired = e->walked = 0;
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, self->requests_dbi, &c));
    if (rc != 0)
        return rc;
    MDB_val k = { self->expire_key_len, self->expire_key }, v;
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST));
    /* After mdb_cursor_del the cursor already stands on the next item, and LMDB's
     * MDB_NEXT knows that (C_DEL): the loop advances the same way in both cases. */
    while (rc == 0 && e->walked < SERVER_EXPIRE_WALK) {
        e->walked++;
        server_stored_t st;
        if (server__stored_parse(v.mv_data, v.mv_size, &st) == 0 &&
            (uint64_t)st.ms < self->expire_cutoff) {
            if ((rc = mvoi_mdb_error(store_cursor_del(c, 0))) != 0)
                break;
            e->expired++;
        }
        rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_NEXT));
    }
    self->expire_walking = rc == 0 && s_expire_mark(self, c);
    mdb_cursor_close(c);
    return rc == -ENOENT ? 0 : rc;
}

/* Stored replies expire in a sweep that starts once a period and goes on in bounded passes,
 * one a loop turn, like the outbox trimming, so that no pass holds the loop for long
 * whatever the number of stored replies. */
static void s_expire(server_t *self, uint64_t now_uv)
{
    if (!self->expire_walking) {
        if (now_uv < self->expire_at)
            return;
        uint64_t now = (uint64_t)clock_now_ms();
        uint64_t ttl = (uint64_t)self->opts.request_ttl_s * 1000;
        self->expire_cutoff = now > ttl ? now - ttl : 0;
        self->expire_key_len = 0;
        self->expire_swept = 0;
        self->expire_walking = true;
    }
    s_expire_t e = { self, 0, 0 };
    int rc = store_write(self->opts.store, s_expire_txn, &e);
    if (rc != 0) {
        /* a failed pass changed nothing: the sweep starts over at the next period */
        log_warn("replies_expire_failed", "expiring stored replies failed: %s",
                 mvoi_strerror(rc));
        self->expire_walking = false;
    } else {
        self->stats.expired_replies += e.expired;
        self->stats.expire_walked += e.walked;
        self->expire_swept += e.expired;
    }
    if (self->expire_walking)
        return;
    self->expire_at = now_uv + self->opts.maintenance_ms;
    if (self->expire_swept)
        log_info("replies_expired", "removed %llu stored replies older than %u s",
                 (unsigned long long)self->expire_swept, self->opts.request_ttl_s);
}

/* The first seq the retention keeps now, or 0 when nothing is to be trimmed. */
static uint64_t s_due(server_t *self)
{
    outbox_t *ob = self->opts.outbox;
    if (!ob || !self->opts.retain_events)
        return 0;
    uint64_t head = outbox_head(ob);
    if (head <= self->opts.retain_events)
        return 0;
    uint64_t due = head - self->opts.retain_events + 1;   /* keep seq due.. */
    return due > outbox_retained_from(ob) ? due : 0;
}

/* One trimming pass; true when more is due than it removed. */
static bool s_trim(server_t *self)
{
    uint64_t due = s_due(self);
    if (!due)
        return false;
    outbox_t *ob = self->opts.outbox;
    uint64_t from = outbox_retained_from(ob);
    uint64_t below = from + server_trim_batch(due - from, self->opts.trim_max);
    if (outbox_trim(ob, below) != 0)
        return false;
    self->stats.trimmed_events += below - from;
    return below < due;
}

void server_on_maintenance(uv_timer_t *t)
{
    server_t *self = t->data;
    uint64_t now = uv_now(self->loop);
    s_expire(self, now);
    /* More is due than one pass removes (ingest outran the period): the next pass runs at
     * the next loop turn, after the requests and events that came meanwhile, so trimming
     * keeps pace with ingest (a turn appends at most a batch of commands' events, a pass
     * removes up to trim_max) without one transaction holding the writer for the whole
     * backlog. 1 ms, not 0: libuv runs a timer restarted with 0 from its own callback
     * again in the same turn, until nothing is due. */
    self->trim_soon = s_trim(self);
    uint64_t next = self->trim_soon || self->expire_walking ? 1 : self->expire_at - now;
    uv_timer_start(&self->maint_timer, server_on_maintenance, next ? next : 1,
                   self->opts.maintenance_ms);
}

void server_trim_kick(server_t *self)
{
    /* Once the outbox holds a minimum pass beyond its retention, trimming starts at the
     * next turn instead of at the next period: at 400 buyers the aggregator appended
     * ~700,000 events in one period, and passes of trim_max a turn never caught up. */
    if (self->trim_soon || !self->maint_started)
        return;
    uint64_t due = s_due(self);
    if (!due || due - outbox_retained_from(self->opts.outbox) < SERVER_TRIM_MIN)
        return;
    self->trim_soon = true;
    uv_timer_start(&self->maint_timer, server_on_maintenance, 1, self->opts.maintenance_ms);
}

uint64_t server_trim_batch(uint64_t backlog, uint32_t trim_max)
{
    uint64_t b = backlog / SERVER_TRIM_SHARE;
    if (b < SERVER_TRIM_MIN)
        b = SERVER_TRIM_MIN;
    if (b > trim_max)
        b = trim_max;
    return b < backlog ? b : backlog;
}
