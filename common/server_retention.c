/*  server_retention: stored replies expire after their TTL and the outbox keeps its newest
 *  events, each a bounded amount per pass so a pass never stalls the loop. See server.h. */
#include "server_int.h"

#include <errno.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "store.h"

#define SERVER_EXPIRE_PER_PASS 10000
/* A retention pass removes a quarter of the backlog, at least SERVER_TRIM_MIN events (a
 * pass has a fixed cost: a transaction, its commit), at most trim_max. */
#define SERVER_TRIM_SHARE 4
#define SERVER_TRIM_MIN 1024

typedef struct {
    server_t *self;
    uint64_t cutoff_ms;
    uint64_t expired;
} s_expire_t;

/* Deletes stored replies older than the TTL, a bounded number per pass so that one pass
 * never holds the writer for long. */
static int s_expire_txn(MDB_txn *txn, void *arg)
{
    s_expire_t *e = arg;
    e->expired = 0;
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, e->self->requests_dbi, &c));
    if (rc != 0)
        return rc;
    MDB_val k, v;
    /* After mdb_cursor_del the cursor already stands on the next item, and LMDB's
     * MDB_NEXT knows that (C_DEL): the loop advances the same way in both cases. */
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_FIRST));
    while (rc == 0 && e->expired < SERVER_EXPIRE_PER_PASS) {
        if (v.mv_size >= 8 && store_get_be64(v.mv_data) < e->cutoff_ms) {
            if ((rc = mvoi_mdb_error(mdb_cursor_del(c, 0))) != 0)
                break;
            e->expired++;
        }
        rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_NEXT));
    }
    mdb_cursor_close(c);
    return rc == -ENOENT ? 0 : rc;
}

void server_on_maintenance(uv_timer_t *t)
{
    server_t *self = t->data;
    uint64_t now = (uint64_t)clock_now_ms();
    uint64_t ttl = (uint64_t)self->opts.request_ttl_s * 1000;
    s_expire_t e = { self, now > ttl ? now - ttl : 0, 0 };
    int rc = store_write(self->opts.store, s_expire_txn, &e);
    if (rc == 0 && e.expired) {
        self->stats.expired_replies += e.expired;
        log_info("replies_expired", "removed %llu stored replies older than %u s",
                 (unsigned long long)e.expired, self->opts.request_ttl_s);
    }
    outbox_t *ob = self->opts.outbox;
    if (!ob || !self->opts.retain_events)
        return;
    uint64_t head = outbox_head(ob), from = outbox_retained_from(ob);
    if (head <= self->opts.retain_events)
        return;
    uint64_t due = head - self->opts.retain_events + 1;   /* keep seq due.. */
    if (due <= from)
        return;
    uint64_t below = from + server_trim_batch(due - from, self->opts.trim_max);
    if (outbox_trim(ob, below) != 0)
        return;
    self->stats.trimmed_events += below - from;
    /* More is due than one pass removes (ingest outran the period): the next pass runs at
     * the next loop turn, after the requests and events that came meanwhile, so trimming
     * keeps pace with ingest (a turn appends at most a batch of commands' events, a pass
     * removes up to trim_max) without one transaction holding the writer for the whole
     * backlog. 1 ms, not 0: libuv runs a timer restarted with 0 from its own callback
     * again in the same turn, until nothing is due. */
    if (below < due)
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
