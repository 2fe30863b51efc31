/*  server_retention: stored replies expire after their TTL and the outbox keeps its newest
 *  events, each a bounded amount per pass so a pass never stalls the loop. See server.h. */
#include "server_int.h"

#include <errno.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "store.h"

#define SERVER_EXPIRE_PER_PASS 10000

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
    if (ob && self->opts.retain_events) {
        uint64_t head = outbox_head(ob);
        if (head > self->opts.retain_events) {
            uint64_t below = head - self->opts.retain_events + 1;
            uint64_t from = outbox_retained_from(ob);
            /* A bounded delete per pass: one huge transaction would stall the loop (and
             * every client waiting on it); the rest goes in the next passes. */
            if (below > from + self->opts.trim_max)
                below = from + self->opts.trim_max;
            if (below > from && outbox_trim(ob, below) == 0) {
                self->stats.trimmed_events += below - from;
                /* More is due than one pass removes (ingest outran the period): the next
                 * pass follows shortly instead of a period later, so the outbox keeps pace
                 * with ingest and stays near retain_events. */
                if (head - self->opts.retain_events + 1 > below)
                    uv_timer_start(&self->maint_timer, server_on_maintenance, 50,
                                   self->opts.maintenance_ms);
            }
        }
    }
}
