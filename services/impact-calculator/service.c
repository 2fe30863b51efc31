/*  impact service: measurements in, impact events out. See impact_service.h.
 *  This file: the routes, the calendar projection and the lifecycle; the handlers are in
 *  service_submit.c, service_correct.c and service_query.c, shared helpers in
 *  service_util.c. */
#include "mvoi_contract.h"
#include "service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factors.h"
#include "feed.h"
#include "inbox.h"
#include "log.h"
#include "outbox.h"
#include "store.h"

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS, SERVER_COMMAND, impact_svc_on_submit,
      impact_svc_prep_submit },
    { MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT, SERVER_COMMAND, impact_svc_on_correct },
    { MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT, SERVER_COMMAND, impact_svc_on_withdraw },
    { MVOI__ENVELOPE__BODY_COMPUTE_IMPACT, SERVER_QUERY, impact_svc_on_compute },
    { MVOI__ENVELOPE__BODY_GET_MEASUREMENT, SERVER_QUERY, impact_svc_on_get },
    { MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS, SERVER_QUERY, impact_svc_on_list },
    { MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES, SERVER_QUERY, impact_svc_on_factors },
};

/* ---------------------------------------------------------------- calendar projection */

static int
s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    impact_svc_t *self = arg;
    if (ev->body_case != MVOI__ENVELOPE__BODY_TENDER_EVENT || !ev->tender_event->tender)
        return 0;
    const Mvoi__Tender *t = ev->tender_event->tender;
    const char *buyer = t->buyer && *t->buyer ? t->buyer : ev->buyer;
    if (!buyer || !*buyer || !t->id || !*t->id || strlen(buyer) > MVOI_ID_BUYER_MAX
        || strlen(t->id) > MVOI_ID_MAX) {
        log_warn("tender_skipped", "tender event without buyer or id (seq %llu)",
                 (unsigned long long) ev->seq);
        return 0;
    }
    /* The minimal tender: what measurements need (status, group, SROI, themes, pilot). */
    Mvoi__Tender m = MVOI__TENDER__INIT;
    m.id = t->id;
    m.buyer = (char *) buyer;
    m.title = t->title;
    m.purchasing_group = t->purchasing_group;
    m.has_status = 1;
    m.status = t->status;
    m.has_value_cents = t->has_value_cents;
    m.value_cents = t->value_cents;
    m.has_sroi_pct_bp = t->has_sroi_pct_bp;
    m.sroi_pct_bp = t->sroi_pct_bp;
    m.has_sroi_obligation_cents = t->has_sroi_obligation_cents;
    m.sroi_obligation_cents = t->sroi_obligation_cents;
    if (!m.has_sroi_obligation_cents && t->has_value_cents && t->has_sroi_pct_bp) {
        m.has_sroi_obligation_cents = 1;   /* pct x value, exact to the cent (truncated) */
        m.sroi_obligation_cents = t->value_cents * (int64_t) t->sroi_pct_bp / 10000;
    }
    m.n_themes = t->n_themes;
    m.themes = t->themes;
    m.has_pilot = t->has_pilot;
    m.pilot = t->pilot;
    uint8_t k[IMPACT_SVC_KEY_MAX];
    size_t kl = impact_svc_key(k, sizeof k, buyer, t->id, NULL);
    impact_tcache_clear(self->tcache);   /* the projection changes */
    return impact_svc_put_msg(txn, self->tenders, k, kl, &m.base);
}

static int
s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch, uint64_t new_epoch)
{
    impact_svc_t *self = arg;
    log_warn("calendar_reset", "the calendar's store was replaced (epoch %llu -> %llu): "
             "rebuilding the tender projection", (unsigned long long) old_epoch,
             (unsigned long long) new_epoch);
    impact_tcache_clear(self->tcache);
    return store_drop(txn, self->tenders, 0);
}

static void
s_on_hb(bus_sock_t *sock, int events, void *arg)
{
    impact_svc_t *self = arg;
    for (int n = 0; n < 64; n++) {
        bus_msg_t msg;
        if (bus_recv(sock, &msg) != 0)
            break;
        bus_msg_close(&msg);
        self->cal_heard_ms = uv_now(self->loop);
    }
}

/* ---------------------------------------------------------------- lifecycle */

int
impact_svc_new(impact_svc_t **out, uv_loop_t *loop, bus_ctx_t *bus, const impact_opts_t *o,
               char *err, size_t errlen)
{
    *out = NULL;
    impact_svc_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    self->loop = loop;
    self->bus = bus;
    self->opts = *o;
    if (!self->opts.max_batch)
        self->opts.max_batch = IMPACT_MAX_BATCH_DEFAULT;
    if (!self->opts.calendar_stale_ms)
        self->opts.calendar_stale_ms = 3000;
    int rc = -ENOMEM;
    self->factors = factors_new();
    if (!self->factors)
        goto fail;
    rc = factors_load_dir(self->factors, o->factors_dir, err, errlen);
    if (rc == 0 && factors_count(self->factors) == 0) {
        snprintf(err, errlen, "%s: no factor tables (*.csv) in this directory", o->factors_dir);
        rc = -ENOENT;
    }
    if (rc < 0) {
        rc = rc == -ENOMEM ? rc : (rc == -ENOENT ? -ENOENT : -EINVAL);
        goto fail_cfg;
    }
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "tenders",
                                       "measurements", "history", "bytender", "recent", NULL };
    /* With the log, a command is durable once its record is flushed: that flush runs on a
     * worker thread and gates replies and events like the meta flush (server_flush.c). */
    bool wal = o->wal && !o->nosync;
    bool offloop = (o->flush_offloop || wal) && !o->nosync;
    store_opts_t so = { .path = o->state_dir, .dbs = dbs, .nosync = o->nosync,
                        .nometasync = offloop, .wal = wal, .wal_size = o->wal_size,
                        .wal_checkpoint_bytes = o->wal_checkpoint_bytes,
                        .wal_checkpoint_ms = o->wal_checkpoint_ms,
                        .checkpoint_pace_ms = o->wal_checkpoint_pace_ms };
    self->store = store_new(&so, &rc);
    if (!self->store)
        goto fail;
    self->outbox = outbox_new(self->store, IMPACT_PRODUCER, &rc);
    self->inbox = self->outbox ? inbox_new(self->store, &rc) : NULL;
    if (!self->inbox)
        goto fail;
    self->tenders = store_dbi(self->store, "tenders");
    self->tcache = impact_tcache_new();
    if (!self->tcache) {
        rc = -ENOMEM;
        goto fail;
    }
    self->measurements = store_dbi(self->store, "measurements");
    self->history = store_dbi(self->store, "history");
    self->bytender = store_dbi(self->store, "bytender");
    self->recent = store_dbi(self->store, "recent");
    server_opts_t sv = {
        .name = "impact-calculator", .api_endpoint = o->api_endpoint,
        .pub_endpoint = o->pub_endpoint, .store = self->store, .outbox = self->outbox,
        .routes = s_routes, .nroutes = sizeof s_routes / sizeof s_routes[0], .arg = self,
        .snapshot = impact_svc_snapshot, .batch = o->batch, .heartbeat_ms = o->heartbeat_ms,
        .retain_events = o->retain_events, .maintenance_ms = o->retention_ms,
        .ready_fn = impact_svc_ready, .buyers = o->buyers, .flush_offloop = offloop,
        .keep_request_bytes = true,   /* a submit stores its measurements as sent */
        .publish_batch = o->publish_batch, .stage_bytes = o->stage_bytes,
    };
    self->server = server_new(loop, bus, &sv, &rc);
    if (!self->server)
        goto fail;
    self->hb = bus_sock_new(bus, loop, ZMQ_SUB, NULL);
    if (!self->hb || bus_subscribe(self->hb, MVOI_TOPIC_HB) != 0
        || bus_connect(self->hb, o->calendar_pub) != 0
        || bus_watch(self->hb, ZMQ_POLLIN, s_on_hb, self) != 0) {
        rc = -EIO;
        snprintf(err, errlen, "cannot connect to the calendar's PUB %s", o->calendar_pub);
        goto fail;
    }
    feed_opts_t fo = { .producer = "calendar", .pub_endpoint = o->calendar_pub,
                       .api_endpoint = o->calendar_api, .apply = s_apply, .reset = s_reset,
                       .arg = self, .stall_ms = 2000 };
    self->feed = feed_new(loop, bus, self->store, self->inbox, &fo, &rc);
    if (!self->feed)
        goto fail;
    server_add_feed(self->server, self->feed);
    server_set_ready(self->server, true);
    *out = self;
    return 0;
fail:
    if (err && errlen && !err[0])
        snprintf(err, errlen, "%s", strerror(-rc));
fail_cfg:
    impact_svc_destroy(&self);
    return rc;
}

void
impact_svc_stop(impact_svc_t *self)
{
    if (!self)
        return;
    feed_destroy(&self->feed);
    bus_sock_destroy(&self->hb);
    server_destroy(&self->server);
}

void
impact_svc_destroy(impact_svc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    impact_svc_t *self = *self_p;
    impact_svc_stop(self);
    inbox_destroy(&self->inbox);
    outbox_destroy(&self->outbox);
    store_destroy(&self->store);
    factors_destroy(&self->factors);
    impact_tcache_destroy(&self->tcache);
    free(self->enc);
    free(self);
    *self_p = NULL;
}

server_t *impact_svc_server(impact_svc_t *self) { return self->server; }
uint64_t impact_svc_head(impact_svc_t *self) { return outbox_head(self->outbox); }
size_t impact_svc_tables(impact_svc_t *self) { return factors_count(self->factors); }
