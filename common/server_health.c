/*  server_health: the HealthReply of a service (liveness, readiness, outbox head, store
 *  usage and failures, each feed's position), and the refusal of an answer that a stored
 *  record which does not decode would leave incomplete (counted here). See server.h. */
#include "mvoi_zap.h"
#include "server_int.h"

#include <errno.h>

#include "log.h"
#include "mvoi_error.h"
#include "store.h"

/* A store that refuses writes makes the service not ready: it cannot take commands or
 * apply events, and a balancer or an operator should see that, not a live process. */
static void s_health_storage(server_t *self, server_req_t *req, Mvoi__HealthReply *h)
{
    int err = 0;
    h->has_auth_refused = true;
    h->auth_refused = self->stats.auth_refused + mvoi_zap_refused_total();
    h->has_undecodable_records = true;
    h->undecodable_records = self->stats.undecodable;
    h->has_storage_ok = true;
    h->storage_ok = !store_failing(self->opts.store, &err);
    if (h->storage_ok && (err = server_flush_failed(self)) != 0)
        h->storage_ok = false;   /* a failed flush: no writes until a restart */
    if (h->storage_ok && self->opts.storage_fn && (err = self->opts.storage_fn(self->opts.arg)))
        h->storage_ok = false;
    if (!h->storage_ok) {
        h->ready = false;
        h->storage_error = (char *)mvoi_errname(err);
    }
    uint64_t failed[STORE_NREASONS];
    store_failures(self->opts.store, failed);
    h->write_failures = server_alloc(req, STORE_NREASONS * sizeof *h->write_failures);
    Mvoi__WriteFailures *wf = server_alloc(req, STORE_NREASONS * sizeof *wf);
    if (!h->write_failures || !wf)
        return;
    for (int r = 0; r < STORE_NREASONS; r++) {
        mvoi__write_failures__init(&wf[r]);
        wf[r].reason = (char *)store_reason_name((store_reason_t)r);
        wf[r].has_count = true;
        wf[r].count = failed[r];
        h->write_failures[h->n_write_failures++] = &wf[r];
    }
}

static void s_health_inbox(server_t *self, server_req_t *req, Mvoi__HealthReply *h)
{
    if (!self->nfeeds)
        return;
    h->inbox = server_alloc(req, (size_t)self->nfeeds * sizeof *h->inbox);
    Mvoi__InboxLag *lag = server_alloc(req, (size_t)self->nfeeds * sizeof *lag);
    if (!h->inbox || !lag)
        return;
    for (int i = 0; i < self->nfeeds; i++) {
        feed_t *f = self->feeds[i];
        feed_stats_t fs;
        feed_stats(f, &fs);
        mvoi__inbox_lag__init(&lag[i]);
        lag[i].producer = (char *)feed_producer(f);
        lag[i].has_epoch = lag[i].has_last_seq = lag[i].has_head_seq = true;
        lag[i].epoch = feed_epoch(f);
        lag[i].last_seq = feed_last_seq(f);
        lag[i].head_seq = feed_head_seen(f);
        lag[i].has_resyncs = lag[i].has_replays = true;
        lag[i].resyncs = fs.resets;
        lag[i].replays = fs.replays;
        lag[i].has_rebuilds = lag[i].has_rebuilding = lag[i].has_lag = true;
        lag[i].rebuilds = fs.rebuilds;
        lag[i].rebuilding = feed_rebuilding(f);
        lag[i].has_rebuild_failures = true;
        lag[i].rebuild_failures = fs.rebuild_failures;
        lag[i].lag = lag[i].head_seq > lag[i].last_seq ? lag[i].head_seq - lag[i].last_seq : 0;
        if (feed_rebuild_reason(f) != FEED_REBUILD_NONE)
            lag[i].rebuild_reason = (char *)feed_rebuild_reason_name(feed_rebuild_reason(f));
        h->inbox[h->n_inbox++] = &lag[i];
    }
}

/* A snapshot or an answer without a record the store holds would be taken as the whole
 * state: a follower rebuilt from it, a list or a total lacked the record without a word.
 * So it is refused by name: a follower keeps its state and asks again; the operator sees
 * the log line (the service logged which record) and health's undecodable_records. */
void server__undecodable(server_t *self, server_req_t *req, const char *what)
{
    self->stats.undecodable++;
    const char *kv[] = { "request", what, "error", mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "undecodable_refused", kv, "%s refused a %s: a stored record does "
             "not decode, the answer would be incomplete", self->opts.name, what);
    server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, what, "%s: a stored record does not "
                 "decode; an answer without it would be incomplete, so none is sent",
                 mvoi_errname(MVOI_E_UNDECODABLE));
}

int server_add_feed(server_t *self, feed_t *feed)
{
    if (!feed || self->nfeeds >= SERVER_MAX_FEEDS)
        return -EINVAL;
    self->feeds[self->nfeeds++] = feed;
    return 0;
}

void server_health(server_t *self, server_req_t *req)
{
    Mvoi__HealthReply *h = server_alloc(req, sizeof *h);
    if (!h)
        return;
    mvoi__health_reply__init(h);
    h->service = (char *)self->opts.name;
    h->version = MVOI_VERSION;
    h->has_live = h->live = true;
    h->has_ready = true;
    h->ready = self->ready && (!self->opts.ready_fn || self->opts.ready_fn(self->opts.arg));
    if (self->opts.outbox) {
        outbox_t *ob = self->opts.outbox;
        h->has_head_seq = true;
        h->head_seq = outbox_head(ob);
        h->has_epoch = true;
        h->epoch = outbox_epoch(ob);
        h->has_outbox_backlog = true;
        uint64_t from = outbox_retained_from(ob);
        h->outbox_backlog = h->head_seq + 1 > from ? h->head_seq + 1 - from : 0;
    }
    uint64_t size = 0, used = 0;
    if (store_usage(self->opts.store, &size, &used) == 0) {
        h->has_map_size = h->has_map_used = true;
        h->map_size = size;
        h->map_used = used;
    }
    s_health_storage(self, req, h);
    s_health_inbox(self, req, h);
    if (self->opts.health_fn)
        self->opts.health_fn(self->opts.arg, h);
    req->reply.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
    req->reply.health_reply = h;
}
