/*  kpi_service: wiring of the kpi-aggregator. See kpi_service.h. */
#include "kpi_service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "inbox.h"
#include "kpi_checkpoint.h"
#include "kpi_recover.h"
#include "log.h"
#include "mvoi_error.h"
#include "mvoi_topic.h"
#include "outbox.h"
#include "textfmt.h"
#include "wire_lean.h"

#define KPI_BREAKDOWN_DEFAULT 100
#define KPI_BREAKDOWN_MAX 1000
#define KPI_SERIES_MAX_YEARS 50

struct kpi_service_t {
    uint64_t grace_ms;
    char *data_dir;
    kpi_recover_t recover;       /* what the start found (kpi_recover.h) */
    kpi_checkpoint_t *checkpoint;
    store_t *store;
    outbox_t *outbox;
    inbox_t *inbox;
    kpi_t *kpi;
    server_t *server;
    feed_t *calendar, *impact;
};

/* ---------------------------------------------------------------- feeds */

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    kpi_service_t *self = arg;
    return kpi_apply(self->kpi, txn, topic, ev);
}

static int s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch,
                   uint64_t new_epoch)
{
    kpi_service_t *self = arg;
    return kpi_reset(self->kpi, txn, producer);
}

/* A rebuild by buyer (feed.h): bounded by one buyer's records at national size. */
static int s_reset_buyer(void *arg, MDB_txn *txn, const char *producer, const char *buyer)
{
    kpi_service_t *self = arg;
    return kpi_reset_buyer(self->kpi, txn, producer, buyer);
}

static int s_next_buyer(void *arg, MDB_txn *txn, const char *producer, const char *after,
                        char *buf, size_t cap)
{
    kpi_service_t *self = arg;
    return kpi_next_buyer(self->kpi, txn, producer, after, buf, cap);
}

/* Totals go out through the server: it appends them and publishes them after the commit. */
static int s_emit(void *arg, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                  outbox_stamp_fn *stamp, void *stamp_arg, uint64_t *seq)
{
    kpi_service_t *self = arg;
    return server_emit_txn(self->server, txn, topic, ev, stamp, stamp_arg, seq);
}

/* Each changed total is appended (and published) once per feed batch. */
static void s_batch_begin(void *arg)
{
    kpi_service_t *self = arg;
    kpi_batch_begin(self->kpi);
}

static int s_batch_end(void *arg, MDB_txn *txn)
{
    kpi_service_t *self = arg;
    return kpi_batch_end(self->kpi, txn);
}

/* ---------------------------------------------------------------- queries */

static Mvoi__KpiTotal *s_total_pb(server_req_t *req, const kpi_total_t *t)
{
    kpi_total_t *copy = server_alloc(req, sizeof *copy);
    Mvoi__KpiTotal *pb = server_alloc(req, sizeof *pb);
    if (!copy || !pb)
        return NULL;
    *copy = *t;
    kpi_total_to_pb(copy, pb);
    return pb;
}

/* A refusal in the request's language (server_lang): fmt is the English of a catalogue
 * "kpi.err." entry (its translation has the same conversions); arguments as printf writes
 * them (keys, ids and seqs stay as they are). server_error's return. */
static int __attribute__((format(printf, 4, 5)))
s_refuse(server_req_t *req, Mvoi__ErrorCode code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = server_verror_in(req, code, field, "kpi.err.", fmt, ap);
    va_end(ap);
    return rc;
}

/* Read your own writes (docs/design.md#read-your-writes): 1 when the query may go on, 0
 * after an error or Ack reply, or an LMDB error. */
static int s_query_after(kpi_service_t *self, server_req_t *req, MDB_txn *txn,
                         const Mvoi__KpiQuery *q)
{
    if (!q->has_after_seq)
        return 1;
    const char *p = q->after_producer && *q->after_producer ? q->after_producer : "impact";
    if (strcmp(p, "impact") != 0 && strcmp(p, "calendar") != 0) {
        s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_query.after_producer",
                 "expected impact or calendar");
        return 0;
    }
    /* While a producer's feed rebuilds (it went back, or asked for a snapshot) the cursor
     * may be a seq of a history the producer no longer has: "applied up to 56" would then
     * promise seq 49 of the producer's current history, which is not in the totals. */
    feed_t *f = strcmp(p, "impact") == 0 ? self->impact : self->calendar;
    if (f && feed_rebuilding(f)) {
        s_refuse(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "kpi_query.after_seq",
                 "%s is being rebuilt from its producer's snapshot: ask again", p);
        return 0;
    }
    /* The seq is of the producer's history under the reply's incarnation: until the feed
     * follows that one and has checked its cursor, "applied up to 56" may be of a history
     * the producer lost (it came back from an older copy and counts 49.. again). */
    if (q->has_after_incarnation && q->after_incarnation && f &&
        !feed_follows(f, q->after_incarnation)) {
        s_refuse(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "kpi_query.after_incarnation",
                 "%s restarted and is not yet followed since: ask again", p);
        return 0;
    }
    uint64_t epoch = 0, last = 0;
    int rc = inbox_get(self->inbox, txn, p, &epoch, &last);
    if (rc < 0)
        return rc;
    if (last < q->after_seq) {
        s_refuse(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "kpi_query.after_seq",
                 "%s applied up to %llu, not yet %llu: ask again", p,
                 (unsigned long long)last, (unsigned long long)q->after_seq);
        return 0;
    }
    if (q->key && *q->key)
        return 1;
    Mvoi__Ack *ack = server_alloc(req, sizeof *ack);
    if (!ack)
        return -ENOMEM;
    mvoi__ack__init(ack);
    ack->has_seq = true;
    ack->seq = last;
    uint64_t head = 0;
    if ((rc = outbox_head_in(self->outbox, txn, &head)) < 0)
        return rc;
    ack->has_publisher_seq = true;
    ack->publisher_seq = head;
    ack->has_publisher_epoch = true;
    ack->publisher_epoch = outbox_epoch(self->outbox);
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_ACK;
    r->ack = ack;
    return 0;
}

/* A query names its buyer in the envelope (what the key's buyers are checked against, in
 * server_auth.c) and may name one in its body too (a key, a buyer field): they must be the
 * same, or a key for one buyer could read another's totals. No envelope buyer: only a key
 * for every buyer gets that far. 0, or the refusal. */
static int s_body_buyer(server_req_t *req, const char *body_buyer, const char *field)
{
    const char *env_buyer = server_request(req)->buyer;
    if (!env_buyer || !*env_buyer || !body_buyer || strcmp(env_buyer, body_buyer) == 0)
        return 0;
    return s_refuse(req, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, field,
                    "the request is made for buyer %s but asks for buyer %s's totals",
                    env_buyer, body_buyer);
}

static int s_on_query(void *arg, server_req_t *req, MDB_txn *txn)
{
    kpi_service_t *self = arg;
    const Mvoi__KpiQuery *q = server_request(req)->kpi_query;
    int after = s_query_after(self, req, txn, q);
    if (after <= 0)
        return after;
    if (!q->key || !*q->key)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_query.key",
                        "a key (topic of a total, e.g. kpi.heerlen.co2.2026) is required");
    if (strlen(q->key) >= KPI_KEY_MAX)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_query.key",
                        "the key is longer than %d bytes", KPI_KEY_MAX - 1);
    mvoi_topic_t tp;
    if (mvoi_topic_parse(q->key, &tp) != 0 || tp.family != MVOI_TOPIC_KPI)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_query.key",
                        "not the key of a KPI total (kpi.<buyer>.<kpi>.<window>...)");
    if ((after = s_body_buyer(req, tp.buyer, "kpi_query.key")) != 0)
        return after;
    kpi_total_t t;
    int rc = kpi_get(self->kpi, txn, q->key, &t);
    if (rc == -ENOENT)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "kpi_query.key",
                        "no total %s (nothing was counted there yet)", q->key);
    if (rc != 0)
        return rc;
    Mvoi__KpiTotal *pb = s_total_pb(req, &t);
    if (!pb)
        return -ENOMEM;
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    r->kpi_total = pb;
    return 0;
}

static int s_on_series(void *arg, server_req_t *req, MDB_txn *txn)
{
    kpi_service_t *self = arg;
    const Mvoi__Envelope *env = server_request(req);
    const Mvoi__KpiSeriesQuery *q = env->kpi_series_query;
    const char *buyer = q->buyer && *q->buyer ? q->buyer : env->buyer;
    if (!buyer || !*buyer)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_series_query.buyer", "a buyer is required");
    int brc = s_body_buyer(req, buyer, "kpi_series_query.buyer");
    if (brc != 0)
        return brc;
    if (!q->has_kpi || !mvoi_kpi_name((int)q->kpi))
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_series_query.kpi", "kpi must be 1..6");
    if (q->from_year < 1900 || q->from_year > 2999)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_series_query.from_year", "from_year must be 1900..2999");
    uint32_t to = q->to_year ? q->to_year : q->from_year;
    if (to < q->from_year || to > 2999)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_series_query.to_year", "to_year must be from_year..2999");
    if (to - q->from_year >= KPI_SERIES_MAX_YEARS)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_series_query.to_year", "at most %d years",
                        KPI_SERIES_MAX_YEARS);
    size_t n = (size_t)(to - q->from_year + 1) * 4;
    Mvoi__KpiSeries *s = server_alloc(req, sizeof *s);
    Mvoi__KpiTotal **items = server_alloc(req, n * sizeof *items);
    if (!s || !items)
        return -ENOMEM;
    mvoi__kpi_series__init(s);
    for (uint32_t y = q->from_year; y <= to; y++) {
        for (uint32_t qq = 1; qq <= 4; qq++) {
            kpi_total_t t;
            memset(&t, 0, sizeof t);
            if (mvoi_topic_kpi(t.key, sizeof t.key, (int)q->kpi, y, qq, buyer, 0, NULL, NULL) != 0)
                return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                "kpi_series_query.buyer", "buyer too long");
            int rc = kpi_get(self->kpi, txn, t.key, &t);
            if (rc == -ENOENT) {   /* dense series: an empty quarter is zero */
                snprintf(t.buyer, sizeof t.buyer, "%s", buyer);
                t.kpi = (int)q->kpi;
                t.year = y;
                t.quarter = qq;
            } else if (rc != 0) {
                return rc;
            }
            if (!(items[s->n_totals++] = s_total_pb(req, &t)))
                return -ENOMEM;
        }
    }
    s->totals = items;
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_KPI_SERIES;
    r->kpi_series = s;
    return 0;
}

typedef struct {
    server_req_t *req;
    Mvoi__KpiContribution **items;
    size_t n;
} s_bd_t;

static int s_bd_one(void *arg, const kpi_contrib_t *c)
{
    s_bd_t *b = arg;
    Mvoi__KpiContribution *it = server_alloc(b->req, sizeof *it);
    if (!it)
        return -ENOMEM;
    mvoi__kpi_contribution__init(it);
    it->measurement_id = server_strdup(b->req, c->measurement_id);
    it->tender_id = c->tender_id[0] ? server_strdup(b->req, c->tender_id) : NULL;
    it->has_revision = it->has_ambition = it->has_realisation = true;
    it->revision = c->revision;
    it->ambition = c->ambition;
    it->realisation = c->realisation;
    b->items[b->n++] = it;
    return 0;
}

static int s_on_breakdown(void *arg, server_req_t *req, MDB_txn *txn)
{
    kpi_service_t *self = arg;
    const Mvoi__KpiBreakdownQuery *q = server_request(req)->kpi_breakdown_query;
    if (!q->key || !*q->key)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_breakdown_query.key", "a key is required");
    mvoi_topic_t tp;
    if (mvoi_topic_parse(q->key, &tp) != 0 || tp.family != MVOI_TOPIC_KPI)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_breakdown_query.key",
                        "not the key of a KPI total (kpi.<buyer>.<kpi>.<window>...)");
    int brc = s_body_buyer(req, tp.buyer, "kpi_breakdown_query.key");
    if (brc != 0)
        return brc;
    uint32_t limit = q->has_limit && q->limit ? q->limit : KPI_BREAKDOWN_DEFAULT;
    if (limit > KPI_BREAKDOWN_MAX)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_breakdown_query.limit", "limit must be at most %d",
                        KPI_BREAKDOWN_MAX);
    s_bd_t b = { req, server_alloc(req, limit * sizeof(Mvoi__KpiContribution *)), 0 };
    Mvoi__KpiBreakdown *bd = server_alloc(req, sizeof *bd);
    if (!b.items || !bd)
        return -ENOMEM;
    uint32_t total = 0;
    int rc = kpi_breakdown(self->kpi, txn, q->key, q->offset, limit, s_bd_one, &b, &total);
    if (rc == -ENOENT)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "kpi_breakdown_query.key",
                        "no total %s", q->key);
    if (rc != 0)
        return rc;
    mvoi__kpi_breakdown__init(bd);
    bd->items = b.items;
    bd->n_items = b.n;
    bd->has_total = bd->has_next_offset = true;
    bd->total = total;
    bd->next_offset = q->offset + b.n < total ? q->offset + (uint32_t)b.n : 0;
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_KPI_BREAKDOWN;
    r->kpi_breakdown = bd;
    return 0;
}

/* KPI 6's status breakdown: the distinct pilots of the buyer's window by stage. */
static int s_on_pilot_status(void *arg, server_req_t *req, MDB_txn *txn)
{
    kpi_service_t *self = arg;
    const Mvoi__Envelope *env = server_request(req);
    const Mvoi__KpiPilotStatusQuery *q = env->kpi_pilot_status_query;
    const char *buyer = q->buyer && *q->buyer ? q->buyer : env->buyer;
    if (!buyer || !*buyer)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_pilot_status_query.buyer", "a buyer is required");
    int brc = s_body_buyer(req, buyer, "kpi_pilot_status_query.buyer");
    if (brc != 0)
        return brc;
    if (q->year < 1900 || q->year > 2999)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_pilot_status_query.year", "year must be 1900..2999");
    if (q->quarter > 4)
        return s_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                        "kpi_pilot_status_query.quarter", "quarter must be 0..4");
    kpi_pilot_status_t st;
    int rc = kpi_pilot_status(self->kpi, txn, buyer, q->year, q->quarter, &st);
    if (rc != 0)
        return rc;
    Mvoi__KpiPilotStatus *ps = server_alloc(req, sizeof *ps);
    if (!ps)
        return -ENOMEM;
    mvoi__kpi_pilot_status__init(ps);
    ps->has_pilots = ps->has_reports = ps->has_unspecified = true;
    ps->has_gestart = ps->has_lopend = ps->has_afgerond = true;
    ps->pilots = st.pilots;
    ps->reports = st.reports;
    ps->unspecified = st.by_stage[0];
    ps->gestart = st.by_stage[1];
    ps->lopend = st.by_stage[2];
    ps->afgerond = st.by_stage[3];
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_KPI_PILOT_STATUS;
    r->kpi_pilot_status = ps;
    return 0;
}

/* ---------------------------------------------------------------- snapshot */

static int s_snap_one(void *arg, const kpi_total_t *t)
{
    server_req_t *req = arg;
    Mvoi__KpiTotal pb;
    kpi_total_to_pb(t, &pb);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = "kpi";
    env.has_seq = true;
    env.seq = t->seq;
    env.buyer = (char *)t->buyer;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    env.kpi_total = &pb;
    int rc = server_snapshot_emit(req, t->key, &env);
    return rc < 0 ? rc : 0;
}

static int s_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    kpi_service_t *self = arg;
    const Mvoi__SnapshotRequest *sr = server_request(req)->snapshot;
    return kpi_each_after(self->kpi, txn, prefix, sr->has_segment && sr->segment,
                          NULL, s_snap_one, req);
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_KPI_QUERY, SERVER_QUERY, s_on_query },
    { MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY, SERVER_QUERY, s_on_series },
    { MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY, SERVER_QUERY, s_on_breakdown },
    { MVOI__ENVELOPE__BODY_KPI_PILOT_STATUS_QUERY, SERVER_QUERY, s_on_pilot_status },
};

/* ---------------------------------------------------------------- lifecycle */

/* Ready: both upstreams caught up and heard from within the grace, and no event refused
 * as beyond int64 (MVOI_E_OVERFLOW, logged total_overflow): its feed stopped there, so
 * every total it would have moved is behind until an operator acts (README). */
static bool s_ready(void *arg)
{
    kpi_service_t *self = arg;
    kpi_stats_t st;
    kpi_stats(self->kpi, &st);
    return self->calendar && self->impact && st.overflows == 0 &&
           feed_ready(self->calendar, self->grace_ms) && feed_ready(self->impact, self->grace_ms);
}

/* A failed checkpoint: the totals are still served, but health says the store is not
 * trusted and the service not ready, so that an operator or a supervisor restarts it
 * (the restart rebuilds, kpi_recover.h). */
static int s_storage(void *arg)
{
    kpi_service_t *self = arg;
    return kpi_checkpoint_failed(self->checkpoint);
}

/* Keys of a data directory made before buyer scoping are rewritten at start. */
static int s_migrate(MDB_txn *txn, void *arg)
{
    kpi_service_t *self = arg;
    size_t moved = 0;
    int rc = kpi_migrate(self->kpi, txn, &moved);
    if (rc == 0 && moved)
        log_info("migrated", "%zu records rewritten to buyer-scoped keys", moved);
    return rc;
}

static int s_migrate_sroi(MDB_txn *txn, void *arg)
{
    kpi_service_t *self = arg;
    size_t n = 0;
    int rc = kpi_migrate_sroi(self->kpi, txn, &n);
    if (rc == 0 && n)
        log_info("migrated", "SROI targets of %zu tenders with an obligation brought to the "
                 "contracts' basis", n);
    return rc;
}

static int s_layout_step(MDB_txn *txn, void *arg)
{
    kpi_service_t *self = ((void **)arg)[0];
    return kpi_migrate_layout(self->kpi, txn, ((void **)arg)[1]);
}

/* Totals keyed by the topic layout before buyer-first are rewritten in bounded steps. The
 * outbox then still holds their events under the old topics: they are dropped (every
 * follower behind the head re-snapshots) rather than replayed under keys that are gone. */
static int s_migrate_layout(kpi_service_t *self)
{
    kpi_layout_mig_t *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    void *args[2] = { self, st };
    int rc = 0;
    while (rc == 0 && st->db < 2)
        rc = store_write(self->store, s_layout_step, args);
    if (rc == 0 && st->moved) {
        log_info("migrated", "%zu totals and project counters rewritten to buyer-first keys",
                 st->moved);
        rc = outbox_trim(self->outbox, outbox_head(self->outbox) + 1);
    }
    free(st);
    return rc;
}

kpi_service_t *kpi_service_new(uv_loop_t *loop, bus_ctx_t *ctx, const kpi_service_opts_t *o,
                               int *err)
{
    int e = -ENOMEM;
    kpi_service_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, KPI_DBS, NULL };
    /* Derived state: no flush per commit; an OS crash is detected at the next start and
     * the store rebuilt from the producers (kpi_recover.h). */
    store_opts_t so = { .path = o->data_dir, .dbs = dbs, .nosync = true,
                        .before_open = kpi_recover_before_open,
                        .before_open_arg = &self->recover };
    if (!(self->data_dir = strdup(o->data_dir)) || !(self->store = store_new(&so, &e)) ||
        !(self->outbox = outbox_new(self->store, "kpi", &e)) ||
        !(self->inbox = inbox_new(self->store, &e)) ||
        !(self->kpi = kpi_new(self->store, self->outbox, &e))) {
        log_error("start_failed", "cannot open the store in %s: %s", o->data_dir,
                  strerror(-e));
        goto fail;
    }
    if ((e = store_write(self->store, s_migrate, self)) != 0 ||
        (e = s_migrate_layout(self)) != 0 ||
        (e = store_write(self->store, s_migrate_sroi, self)) != 0) {
        const char *kv[] = { "error", mvoi_errname(e), NULL };
        log_emit(LOG_ERROR, "start_failed", kv, "cannot migrate the store in %s: %s",
                 o->data_dir, mvoi_strerror(e));
        goto fail;
    }
    kpi_set_batch_flush(self->kpi, true);
    if (self->recover.state == KPI_RECOVER_REBUILD)
        log_info("rebuild_started", "rebuilding from seq 1 of calendar and impact (new epoch "
                 "%llu: followers re-snapshot)", (unsigned long long)outbox_epoch(self->outbox));
    if (!o->nosync && (self->checkpoint = kpi_checkpoint_new(loop, self->store, o->data_dir,
                                                             o->checkpoint_ms,
                                                             o->checkpoint_pace_ms, &e)) == NULL
        && e != 0)
        goto fail;
    self->grace_ms = o->upstream_grace_ms ? o->upstream_grace_ms : 10000;
    server_opts_t sv = {
        .ready_fn = s_ready, .storage_fn = s_storage,
        .name = "kpi-aggregator", .api_endpoint = o->api, .pub_endpoint = o->pub,
        .store = self->store, .outbox = self->outbox, .routes = s_routes,
        .nroutes = sizeof s_routes / sizeof s_routes[0], .snapshot = s_snapshot,
        .arg = self, .heartbeat_ms = o->heartbeat_ms, .retain_events = o->retain_events,
        .maintenance_ms = o->retention_ms,
        .buyers = o->buyers,
    };
    if (!(self->server = server_new(loop, ctx, &sv, &e)))
        goto fail;
    kpi_set_emit(self->kpi, s_emit, self);
    feed_opts_t fc = { .producer = "calendar", .pub_endpoint = o->calendar_pub,
                       .api_endpoint = o->calendar_api, .apply = s_apply, .reset = s_reset,
                       .arg = self, .stall_ms = o->stall_ms,
                       .linger_ms = o->linger_ms, .batch_begin = s_batch_begin,
                       .batch_end = s_batch_end, .reset_buyer = s_reset_buyer,
                       .next_buyer = s_next_buyer, .snapshot_max = o->snapshot_max };
    feed_opts_t fi = fc;
    fi.producer = "impact";
    fi.pub_endpoint = o->impact_pub;
    fi.api_endpoint = o->impact_api;
    fi.decode = wire_lean_unpack;   /* builds only what kpi_impact.c reads */
    if (!(self->calendar = feed_new(loop, ctx, self->store, self->inbox, &fc, &e)) ||
        !(self->impact = feed_new(loop, ctx, self->store, self->inbox, &fi, &e))) {
        log_error("start_failed", "cannot start the feeds: %s", strerror(-e));
        goto fail;
    }
    server_add_feed(self->server, self->calendar);
    server_add_feed(self->server, self->impact);
    log_info("started", "kpi-aggregator on %s / %s, head %llu",
             server_api_endpoint(self->server), server_pub_endpoint(self->server),
             (unsigned long long)outbox_head(self->outbox));
    return self;
fail:
    if (err)
        *err = e ? e : -EIO;
    if (self) {
        kpi_service_stop(self);
        kpi_service_destroy(&self);
    }
    return NULL;
}

void kpi_service_stop(kpi_service_t *self)
{
    kpi_checkpoint_stop(&self->checkpoint);
    feed_destroy(&self->calendar);
    feed_destroy(&self->impact);
    server_destroy(&self->server);
}

void kpi_service_destroy(kpi_service_t **self_p)
{
    kpi_service_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    kpi_service_stop(self);
    kpi_destroy(&self->kpi);
    inbox_destroy(&self->inbox);
    outbox_destroy(&self->outbox);
    /* Nothing writes any more: flush, then say the stop was orderly. */
    if (self->store)
        kpi_recover_clean_stop(self->store, self->data_dir);
    store_destroy(&self->store);
    free(self->data_dir);
    free(self);
}

server_t *kpi_service_server(kpi_service_t *self) { return self->server; }
kpi_t *kpi_service_core(kpi_service_t *self) { return self->kpi; }
kpi_recover_state_t kpi_service_recovered(kpi_service_t *self) { return self->recover.state; }
