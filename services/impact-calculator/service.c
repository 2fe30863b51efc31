/*  impact service: measurements in, impact events out. See impact_service.h. */
#include "impact_service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "explain.h"
#include "factors.h"
#include "feed.h"
#include "inbox.h"
#include "log.h"
#include "measure_rules.h"
#include "outbox.h"
#include "store.h"

#define S_KEY_MAX 400
#define S_ERR_MESSAGES 100     /* per-item error messages per reply; later ones: code+field */
#define S_LIST_DEFAULT 50
#define S_LIST_MAX 1000
#define S_EXPLAIN_MAX 2048

struct impact_svc {
    uv_loop_t *loop;
    bus_ctx_t *bus;
    impact_opts_t opts;
    factors_t *factors;
    store_t *store;
    outbox_t *outbox;
    inbox_t *inbox;
    server_t *server;
    feed_t *feed;
    bus_sock_t *hb;            /* SUB on the calendar's "hb": is the calendar alive? */
    uint64_t cal_heard_ms;
    MDB_dbi tenders, measurements, history, bytender;
};

/* ---------------------------------------------------------------- helpers */

static void *s_pa_alloc(void *d, size_t n) { return server_alloc(d, n ? n : 1); }
static void s_pa_free(void *d, void *p) { (void) d; (void) p; }

/* Unpack bytes into request memory (freed with the reply). */
static ProtobufCMessage *
s_unpack_req(server_req_t *req, const ProtobufCMessageDescriptor *d, const MDB_val *v)
{
    ProtobufCAllocator a = { s_pa_alloc, s_pa_free, req };
    return protobuf_c_message_unpack(d, &a, v->mv_size, v->mv_data);
}

/* A copy of an impact in request memory: plain struct copies and string copies, cheaper
 * than a pack/unpack round trip on the hot path of a batch. */
static Mvoi__Impact *
s_copy_impact(server_req_t *req, const Mvoi__Impact *in)
{
    Mvoi__Impact *out = server_alloc(req, sizeof *out);
    if (!out)
        return NULL;
    *out = *in;
    out->factors = NULL;
    out->n_factors = 0;
    if (in->n_factors) {
        Mvoi__FactorRef *refs = server_alloc(req, in->n_factors * sizeof *refs);
        Mvoi__FactorRef **pp = server_alloc(req, in->n_factors * sizeof *pp);
        if (!refs || !pp)
            return NULL;
        for (size_t i = 0; i < in->n_factors; i++) {
            refs[i] = *in->factors[i];
            refs[i].table = server_strdup(req, in->factors[i]->table);
            refs[i].edition = server_strdup(req, in->factors[i]->edition);
            refs[i].source = server_strdup(req, in->factors[i]->source);
            refs[i].reference_variant = server_strdup(req, in->factors[i]->reference_variant);
            pp[i] = &refs[i];
        }
        out->factors = pp;
        out->n_factors = in->n_factors;
    }
    return out;
}

/* "a\0b[\0c]" */
static size_t
s_key(uint8_t *buf, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), n = 0;
    memcpy(buf, a, la);
    n += la;
    buf[n++] = 0;
    memcpy(buf + n, b, lb);
    n += lb;
    if (c) {
        size_t lc = strlen(c);
        buf[n++] = 0;
        memcpy(buf + n, c, lc);
        n += lc;
    }
    return n;
}

static int
s_put_msg(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const ProtobufCMessage *msg)
{
    MDB_val key = { klen, (void *) k };
    MDB_val v = { protobuf_c_message_get_packed_size(msg), NULL };
    int rc = mdb_put(txn, dbi, &key, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    protobuf_c_message_pack(msg, v.mv_data);
    return 0;
}

static bool
s_calendar_current(impact_svc_t *self)
{
    return feed_caught_up(self->feed)
           && uv_now(self->loop) - self->cal_heard_ms <= self->opts.calendar_stale_ms;
}

/* Ready: the calendar projection is current (see calendar_stale_ms). */
static bool s_ready(void *arg)
{
    impact_svc_t *self = arg;
    return self->feed && s_calendar_current(self);
}

/* "measurement.energy.x" -> "<prefix>.energy.x"; "" or "measurement" -> prefix. */
static void
s_field(char *out, size_t len, const char *prefix, const char *core_field)
{
    const char *rest = "";
    if (strncmp(core_field, "measurement", 11) == 0)
        rest = core_field + 11;
    if (snprintf(out, len, "%s%s", prefix, rest) >= (int)len)
        out[len - 1] = 0;   /* a field path this long is cut, never overflowed */
}

/* The message of an impact_error_t without its "<core field>: " lead. */
static const char *
s_reason(const impact_error_t *e)
{
    size_t n = strlen(e->field);
    if (n && strncmp(e->message, e->field, n) == 0 && strncmp(e->message + n, ": ", 2) == 0)
        return e->message + n + 2;
    return e->message;
}

static int
s_error_code(int code)
{
    return code ? code : MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
}

static Mvoi__Error *
s_item_error(server_req_t *req, int code, const char *field, const char *message, bool with_msg)
{
    Mvoi__Error *e = server_alloc(req, sizeof *e);
    if (!e)
        return NULL;
    mvoi__error__init(e);
    e->has_code = 1;
    e->code = code;
    e->field = server_strdup(req, field);
    if (with_msg) {
        char m[512];
        snprintf(m, sizeof m, "%s: %s", field, message);
        e->message = server_strdup(req, m);
    }
    return e;
}

/* Tender of the projection, unpacked into request memory; NULL if unknown. rc < 0 on an
 * LMDB error (returned in *rc). */
static Mvoi__Tender *
s_tender(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *buyer,
         const char *tender_id, int *rc)
{
    uint8_t k[S_KEY_MAX];
    *rc = 0;
    if (strlen(buyer) + strlen(tender_id) + 2 > sizeof k)
        return NULL;
    MDB_val key = { s_key(k, buyer, tender_id, NULL), k }, v;
    int r = mdb_get(txn, self->tenders, &key, &v);
    if (r == MDB_NOTFOUND)
        return NULL;
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    return (Mvoi__Tender *) s_unpack_req(req, &mvoi__tender__descriptor, &v);
}

/* The current record of buyer/id (malloc'd: free with mvoi__measurement_record__free_unpacked),
 * NULL if none. */
static Mvoi__MeasurementRecord *
s_record(impact_svc_t *self, MDB_txn *txn, const char *buyer, const char *id, int *rc)
{
    uint8_t k[S_KEY_MAX];
    *rc = 0;
    MDB_val key = { s_key(k, buyer, id, NULL), k }, v;
    int r = mdb_get(txn, self->measurements, &key, &v);
    if (r == MDB_NOTFOUND)
        return NULL;
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    Mvoi__MeasurementRecord *rec = mvoi__measurement_record__unpack(NULL, v.mv_size, v.mv_data);
    if (!rec)
        *rc = -EIO;
    return rec;
}

static size_t
s_history_key(uint8_t *k, const char *buyer, const char *id, uint32_t rev)
{
    size_t n = s_key(k, buyer, id, NULL);
    k[n++] = 0;
    store_be32(k + n, rev);
    return n + 4;
}

/* Packed measurement without its revision: the content a duplicate is compared by. */
static uint8_t *
s_content(const Mvoi__Measurement *m, size_t *len)
{
    Mvoi__Measurement c = *m;
    c.has_revision = 0;
    c.revision = 0;
    *len = mvoi__measurement__get_packed_size(&c);
    uint8_t *b = malloc(*len ? *len : 1);
    if (b)
        mvoi__measurement__pack(&c, b);
    return b;
}

/* Is `m` (normalised) the same content as the first revision of `rec`? */
static int
s_same_as_first(impact_svc_t *self, MDB_txn *txn, const Mvoi__MeasurementRecord *rec,
                const Mvoi__Measurement *m, bool *same)
{
    *same = false;
    const Mvoi__Measurement *first = rec->measurement;
    Mvoi__MeasurementRecord *h = NULL;
    if (rec->measurement->revision > 1) {
        uint8_t k[S_KEY_MAX];
        MDB_val key = { s_history_key(k, m->buyer, m->id, 1), k }, v;
        int r = mdb_get(txn, self->history, &key, &v);
        if (r != 0 && r != MDB_NOTFOUND)
            return r;
        if (r == 0 && (h = mvoi__measurement_record__unpack(NULL, v.mv_size, v.mv_data)))
            first = h->measurement;
    }
    size_t la, lb;
    uint8_t *a = s_content(first, &la), *b = s_content(m, &lb);
    *same = a && b && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    if (h)
        mvoi__measurement_record__free_unpacked(h, NULL);
    return 0;
}

static int
s_emit(impact_svc_t *self, server_req_t *req, MDB_txn *txn, Mvoi__ImpactEventKind kind,
       Mvoi__Measurement *m, Mvoi__Impact *imp, Mvoi__Measurement *prev, Mvoi__Impact *prev_imp,
       const Mvoi__Tender *tender, uint64_t *seq)
{
    static const char *topics[] = { [MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED] = "impact.computed",
                                    [MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED] = "impact.corrected",
                                    [MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN] = "impact.withdrawn" };
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = 1;
    ie.kind = kind;
    ie.measurement = m;
    ie.impact = imp;
    ie.previous = prev;
    ie.previous_impact = prev_imp;
    ie.purchasing_group = tender ? tender->purchasing_group : NULL;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    ev.impact_event = &ie;
    ev.buyer = m->buyer;
    (void) self;
    return server_emit(req, txn, topics[kind], &ev, seq);
}

static const char *
s_buyer(server_req_t *req)
{
    const char *b = server_request(req)->buyer;
    return b && *b ? b : NULL;
}

static char *
s_explain(impact_svc_t *self, server_req_t *req, const Mvoi__Measurement *m,
          const Mvoi__Impact *imp, const Mvoi__Tender *t)
{
    char buf[S_EXPLAIN_MAX];
    int n = impact_explain(self->factors, m, imp, buf, sizeof buf);
    if (n < 0)
        return NULL;
    if (m->kind_case == MVOI__MEASUREMENT__KIND_SOCIAL && t && t->has_sroi_obligation_cents
        && t->sroi_obligation_cents > 0) {
        char a[48], b[48], c[48], d[48];
        int64_t pct_milli = imp->sroi_realised_cents * 100000 / t->sroi_obligation_cents;
        snprintf(buf + n, sizeof buf - (size_t) n,
                 "; tender obligation € %s × %s %% = € %s, this measurement covers %s %%",
                 impact_fmt_fixed(a, sizeof a, t->value_cents, 2),
                 impact_fmt_fixed(b, sizeof b, t->sroi_pct_bp, 2),
                 impact_fmt_fixed(c, sizeof c, t->sroi_obligation_cents, 2),
                 impact_fmt_fixed(d, sizeof d, pct_milli, 3));
    }
    return server_strdup(req, buf);
}

/* ---------------------------------------------------------------- submit / what-if */

typedef struct {
    const Mvoi__Tender *tender;    /* cached lookup: a batch is mostly one tender */
    const char *tender_id;
} s_cache_t;

/* One item: fills r. Returns 0 (r says ok or not) or an LMDB error. */
static int
s_submit_one(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *body,
             size_t i, const Mvoi__Measurement *in, const char *buyer, bool store, bool full,
             bool with_msg, s_cache_t *cache, Mvoi__MeasurementResult *r, uint64_t *seq)
{
    char prefix[96], field[256];
    snprintf(prefix, sizeof prefix, "%s.measurements[%zu]", body, i);
    r->id = in->id;   /* request memory lives as long as the reply */
    if (in->buyer && *in->buyer && strcmp(in->buyer, buyer) != 0) {
        snprintf(field, sizeof field, "%s.buyer", prefix);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field,
                                "differs from the envelope's buyer", with_msg);
        return 0;
    }
    Mvoi__Measurement m = *in;
    m.buyer = (char *) buyer;
    m.has_revision = 0;
    m.revision = 0;
    impact_error_t err;
    Mvoi__Impact *imp = NULL;
    int rc = calc_impact(self->factors, &m, &imp, &err);
    if (rc < 0) {
        s_field(field, sizeof field, prefix, err.field);
        r->error = s_item_error(req, s_error_code(err.code), field, s_reason(&err), with_msg);
        return 0;
    }
    if (!store) {
        r->has_ok = r->ok = 1;
        if (full) {
            r->impact = s_copy_impact(req, imp);
            r->explanation = s_explain(self, req, &m, imp, NULL);
        }
        calc_impact_free(&imp);
        return 0;
    }
    const Mvoi__Tender *t = NULL;
    if (cache->tender_id && strcmp(cache->tender_id, m.tender_id) == 0) {
        t = cache->tender;
    }
    else {
        t = s_tender(self, req, txn, buyer, m.tender_id, &rc);
        if (rc != 0)
            goto fail;
        cache->tender = t;
        cache->tender_id = m.tender_id;
    }
    if (!t) {
        snprintf(field, sizeof field, "%s.tender_id", prefix);
        char msg[160];
        snprintf(msg, sizeof msg, "tender '%.64s' is not known to the calendar", m.tender_id);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, field, msg, with_msg);
        goto done;
    }
    if (t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED) {
        snprintf(field, sizeof field, "%s.tender_id", prefix);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, field,
                                "the tender was cancelled", with_msg);
        goto done;
    }
    Mvoi__MeasurementRecord *old = s_record(self, txn, buyer, m.id, &rc);
    if (rc != 0)
        goto fail;
    if (old) {
        bool same = false;
        if (!old->withdrawn && (rc = s_same_as_first(self, txn, old, &m, &same)) != 0) {
            mvoi__measurement_record__free_unpacked(old, NULL);
            goto fail;
        }
        snprintf(field, sizeof field, "%s.id", prefix);
        if (old->withdrawn)
            r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, field,
                                    "this measurement was withdrawn", with_msg);
        else if (!same)
            r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, field,
                                    "a measurement with this id and different content exists; "
                                    "use CorrectMeasurement to change it", with_msg);
        else {
            r->has_ok = r->ok = 1;
            r->has_duplicate = r->duplicate = 1;
            r->has_revision = 1;
            r->revision = old->measurement->revision;
            if (full && old->impact)
                r->impact = s_copy_impact(req, old->impact);
        }
        mvoi__measurement_record__free_unpacked(old, NULL);
        goto done;
    }
    m.has_revision = 1;
    m.revision = 1;
    Mvoi__MeasurementRecord rec = MVOI__MEASUREMENT_RECORD__INIT;
    rec.measurement = &m;
    rec.impact = imp;
    rec.has_withdrawn = 1;
    uint8_t k[S_KEY_MAX];
    size_t kl = s_key(k, buyer, m.id, NULL);
    if ((rc = s_put_msg(txn, self->measurements, k, kl, &rec.base)) != 0)
        goto fail;
    kl = s_key(k, buyer, m.tender_id, m.id);
    MDB_val key = { kl, k }, empty = { 0, "" };
    if ((rc = mdb_put(txn, self->bytender, &key, &empty, 0)) != 0)
        goto fail;
    if ((rc = s_emit(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, &m, imp, NULL, NULL,
                     t, seq)) != 0)
        goto fail;
    r->has_ok = r->ok = 1;
    r->has_revision = 1;
    r->revision = 1;
    if (full)
        r->impact = s_copy_impact(req, imp);
done:
    calc_impact_free(&imp);
    return 0;
fail:
    calc_impact_free(&imp);
    return rc ? rc : -EIO;
}

static int
s_submit(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *body,
         const Mvoi__SubmitMeasurements *sm, bool store)
{
    char field[96];
    snprintf(field, sizeof field, "%s.measurements", body);
    const char *buyer = s_buyer(req);
    if (!buyer)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "the envelope needs a buyer (tenant)");
    if (!sm || sm->n_measurements == 0)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field,
                            "no measurements");
    if (sm->n_measurements > self->opts.max_batch)
        return server_error(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, field,
                            "%zu measurements in one request; at most %u (split the batch)",
                            sm->n_measurements, self->opts.max_batch);
    int rc = 0;
    if (store && !s_calendar_current(self)) {
        /* Pass 1, no writes: an unknown tender while the calendar is not current is not a
         * final answer. Fail the whole request (nothing written, no reply stored). */
        s_cache_t c = { 0 };
        for (size_t i = 0; i < sm->n_measurements; i++) {
            const Mvoi__Measurement *m = sm->measurements[i];
            if (!m->tender_id || !*m->tender_id)
                continue;
            if (c.tender_id && strcmp(c.tender_id, m->tender_id) == 0 && c.tender)
                continue;
            const Mvoi__Tender *t = s_tender(self, req, txn, buyer, m->tender_id, &rc);
            if (rc != 0)
                return rc;
            if (!t) {
                char f[160];
                snprintf(f, sizeof f, "%s[%zu].tender_id", field, i);
                return server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, f,
                                    "tender '%.64s' is unknown and the calendar is not "
                                    "reachable (or not caught up): retry later with the same "
                                    "request id",
                                    m->tender_id);
            }
            c.tender = t;
            c.tender_id = m->tender_id;
        }
    }
    size_t n = sm->n_measurements;
    bool full = n <= IMPACT_FULL_RESULTS;
    Mvoi__MeasurementReply *rep = server_alloc(req, sizeof *rep);
    Mvoi__MeasurementResult *res = server_alloc(req, n * sizeof *res);
    Mvoi__MeasurementResult **resp = server_alloc(req, n * sizeof *resp);
    if (!rep || !res || !resp)
        return -ENOMEM;
    mvoi__measurement_reply__init(rep);
    s_cache_t cache = { 0 };
    uint64_t seq = 0;
    size_t errors = 0;
    for (size_t i = 0; i < n; i++) {
        Mvoi__MeasurementResult *r = &res[i];
        mvoi__measurement_result__init(r);
        resp[i] = r;
        rc = s_submit_one(self, req, txn, body, i, sm->measurements[i], buyer, store, full,
                          errors < S_ERR_MESSAGES, &cache, r, &seq);
        if (rc != 0)
            return rc;
        if (r->error) {
            errors++;
            r->has_ok = 1;
            r->ok = 0;
        }
    }
    rep->n_results = n;
    rep->results = resp;
    if (seq) {
        rep->has_seq = 1;
        rep->seq = seq;
    }
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY;
    reply->measurement_reply = rep;
    return 0;
}

static int
s_on_submit(void *arg, server_req_t *req, MDB_txn *txn)
{
    const Mvoi__SubmitMeasurements *sm = server_request(req)->submit_measurements;
    return s_submit(arg, req, txn, "submit_measurements", sm, !(sm->has_what_if && sm->what_if));
}

static int
s_on_compute(void *arg, server_req_t *req, MDB_txn *txn)
{
    return s_submit(arg, req, txn, "compute_impact", server_request(req)->compute_impact, false);
}

/* ---------------------------------------------------------------- correct / withdraw */

static Mvoi__MeasurementReply *
s_single_reply(server_req_t *req, const char *id, uint32_t rev, bool duplicate,
               const Mvoi__Impact *imp, uint64_t seq)
{
    Mvoi__MeasurementReply *rep = server_alloc(req, sizeof *rep);
    Mvoi__MeasurementResult *r = server_alloc(req, sizeof *r);
    Mvoi__MeasurementResult **rp = server_alloc(req, sizeof *rp);
    if (!rep || !r || !rp)
        return NULL;
    mvoi__measurement_reply__init(rep);
    mvoi__measurement_result__init(r);
    r->id = server_strdup(req, id);
    r->has_ok = r->ok = 1;
    r->has_duplicate = 1;
    r->duplicate = duplicate;
    r->has_revision = 1;
    r->revision = rev;
    if (imp)
        r->impact = s_copy_impact(req, imp);
    rp[0] = r;
    rep->n_results = 1;
    rep->results = rp;
    if (seq) {
        rep->has_seq = 1;
        rep->seq = seq;
    }
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY;
    reply->measurement_reply = rep;
    return rep;
}

/* Move the current record to history and write `rec` as the new current one. */
static int
s_supersede(impact_svc_t *self, MDB_txn *txn, const Mvoi__MeasurementRecord *old,
            const Mvoi__MeasurementRecord *rec)
{
    const Mvoi__Measurement *m = old->measurement;
    uint8_t k[S_KEY_MAX];
    size_t kl = s_history_key(k, m->buyer, m->id, m->revision);
    int rc = s_put_msg(txn, self->history, k, kl, &old->base);
    if (rc != 0)
        return rc;
    kl = s_key(k, m->buyer, m->id, NULL);
    return s_put_msg(txn, self->measurements, k, kl, &rec->base);
}

static int
s_on_correct(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__CorrectMeasurement *cm = server_request(req)->correct_measurement;
    const char *P = "correct_measurement.measurement";
    const char *buyer = s_buyer(req);
    if (!buyer)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "the envelope needs a buyer (tenant)");
    if (!cm->measurement)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, P, "missing");
    const Mvoi__Measurement *in = cm->measurement;
    char field[160];
    if (!in->id || !*in->id)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "correct_measurement.measurement.id", "missing");
    if (in->buyer && *in->buyer && strcmp(in->buyer, buyer) != 0)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "correct_measurement.measurement.buyer",
                            "differs from the envelope's buyer");
    if (!in->reason || !*in->reason)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "correct_measurement.measurement.reason",
                            "a correction needs a reason (audit trail)");
    int rc = 0;
    Mvoi__MeasurementRecord *old = s_record(self, txn, buyer, in->id, &rc);
    if (rc != 0)
        return rc;
    if (!old)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND,
                            "correct_measurement.measurement.id",
                            "no measurement '%.64s' (submit it first)", in->id);
    Mvoi__Measurement m = *in;
    m.buyer = (char *) buyer;
    if (!m.tender_id || !*m.tender_id)
        m.tender_id = old->measurement->tender_id;
    Mvoi__Impact *imp = NULL;
    int ret = 0;
    if (old->withdrawn) {
        ret = server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                           "correct_measurement.measurement.id",
                           "measurement '%.64s' was withdrawn", in->id);
        goto out;
    }
    if (strcmp(m.tender_id, old->measurement->tender_id) != 0) {
        ret = server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                           "correct_measurement.measurement.tender_id",
                           "a correction cannot move a measurement to another tender (was "
                           "'%.64s'): withdraw it and submit a new one",
                           old->measurement->tender_id);
        goto out;
    }
    m.has_revision = 0;
    m.revision = 0;
    impact_error_t err;
    if (calc_impact(self->factors, &m, &imp, &err) < 0) {
        s_field(field, sizeof field, P, err.field);
        ret = server_error(req, s_error_code(err.code), field, "%s: %s", field, s_reason(&err));
        goto out;
    }
    /* Same content as the current revision (reason, submitter aside): nothing to do. */
    {
        Mvoi__Measurement a = m, b = *old->measurement;
        a.reason = b.reason = NULL;
        a.submitter = b.submitter = NULL;
        size_t la, lb;
        uint8_t *pa = s_content(&a, &la), *pb = s_content(&b, &lb);
        bool same = pa && pb && la == lb && memcmp(pa, pb, la) == 0;
        free(pa);
        free(pb);
        if (same) {
            if (!s_single_reply(req, m.id, old->measurement->revision, true, old->impact, 0))
                ret = -ENOMEM;
            goto out;
        }
    }
    Mvoi__Tender *t = s_tender(self, req, txn, buyer, m.tender_id, &rc);
    if (rc != 0) {
        ret = rc;
        goto out;
    }
    m.has_revision = 1;
    m.revision = old->measurement->revision + 1;
    Mvoi__MeasurementRecord rec = MVOI__MEASUREMENT_RECORD__INIT;
    rec.measurement = &m;
    rec.impact = imp;
    rec.has_withdrawn = 1;
    uint64_t seq = 0;
    if ((ret = s_supersede(self, txn, old, &rec)) != 0
        || (ret = s_emit(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED, &m, imp,
                         old->measurement, old->impact, t, &seq)) != 0)
        goto out;
    if (!s_single_reply(req, m.id, m.revision, false, imp, seq))
        ret = -ENOMEM;
out:
    calc_impact_free(&imp);
    mvoi__measurement_record__free_unpacked(old, NULL);
    return ret;
}

static int
s_on_withdraw(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__WithdrawMeasurement *w = server_request(req)->withdraw_measurement;
    const char *buyer = s_buyer(req);
    if (!buyer)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "the envelope needs a buyer (tenant)");
    if (!w->id || !*w->id)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "withdraw_measurement.id", "missing");
    if (!w->reason || !*w->reason)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "withdraw_measurement.reason", "a withdrawal needs a reason");
    if (strlen(w->reason) > MEASURE_REASON_MAX)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "withdraw_measurement.reason", "longer than %d bytes",
                            MEASURE_REASON_MAX);
    if (w->submitter && strlen(w->submitter) > MEASURE_NAME_MAX)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "withdraw_measurement.submitter", "longer than %d bytes",
                            MEASURE_NAME_MAX);
    int rc = 0;
    Mvoi__MeasurementRecord *old = s_record(self, txn, buyer, w->id, &rc);
    if (rc != 0)
        return rc;
    if (!old)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "withdraw_measurement.id",
                            "no measurement '%.64s'", w->id);
    int ret = 0;
    if (old->withdrawn) {
        ret = server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                           "withdraw_measurement.id", "measurement '%.64s' is already withdrawn",
                           w->id);
        goto out;
    }
    Mvoi__Measurement m = *old->measurement;
    m.revision = old->measurement->revision + 1;
    m.reason = w->reason;
    if (w->submitter && *w->submitter)
        m.submitter = w->submitter;
    Mvoi__Impact zero = MVOI__IMPACT__INIT;
    if (old->impact && old->impact->has_theme) {
        zero.has_theme = 1;
        zero.theme = old->impact->theme;
    }
    Mvoi__MeasurementRecord rec = MVOI__MEASUREMENT_RECORD__INIT;
    rec.measurement = &m;
    rec.impact = &zero;
    rec.has_withdrawn = rec.withdrawn = 1;
    Mvoi__Tender *t = s_tender(self, req, txn, buyer, m.tender_id, &rc);
    uint64_t seq = 0;
    if ((ret = rc) != 0 || (ret = s_supersede(self, txn, old, &rec)) != 0
        || (ret = s_emit(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN, &m, &zero,
                         old->measurement, old->impact, t, &seq)) != 0)
        goto out;
    if (!s_single_reply(req, m.id, m.revision, false, NULL, seq))
        ret = -ENOMEM;
out:
    mvoi__measurement_record__free_unpacked(old, NULL);
    return ret;
}

/* ---------------------------------------------------------------- queries */

static int
s_on_get(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__GetMeasurement *g = server_request(req)->get_measurement;
    const char *buyer = s_buyer(req);
    if (!buyer)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "the envelope needs a buyer (tenant)");
    if (!g->id || !*g->id || strlen(g->id) > MEASURE_ID_MAX)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "get_measurement.id",
                            "missing or longer than %d", MEASURE_ID_MAX);
    uint8_t k[S_KEY_MAX];
    size_t kl = s_key(k, buyer, g->id, NULL);
    MDB_val key = { kl, k }, v;
    int rc = mdb_get(txn, self->measurements, &key, &v);
    if (rc == MDB_NOTFOUND)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_measurement.id",
                            "no measurement '%.64s'", g->id);
    if (rc != 0)
        return rc;
    Mvoi__MeasurementRecord *rec =
        (Mvoi__MeasurementRecord *) s_unpack_req(req, &mvoi__measurement_record__descriptor, &v);
    if (!rec)
        return -EIO;
    /* History: buyer\0id\0be32 rev, in revision order. */
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, self->history, &c)) != 0)
        return rc;
    k[kl] = 0;
    MDB_val hk = { kl + 1, k }, hv;
    size_t cap = 0;
    rc = mdb_cursor_get(c, &hk, &hv, MDB_SET_RANGE);
    while (rc == 0 && hk.mv_size == kl + 5 && memcmp(hk.mv_data, k, kl + 1) == 0) {
        Mvoi__MeasurementRecord *h = (Mvoi__MeasurementRecord *) s_unpack_req(
            req, &mvoi__measurement_record__descriptor, &hv);
        if (h && h->measurement) {
            if (rec->n_history == cap) {
                cap = cap ? cap * 2 : 8;
                Mvoi__Measurement **nh = server_alloc(req, cap * sizeof *nh);
                if (!nh) {
                    mdb_cursor_close(c);
                    return -ENOMEM;
                }
                if (rec->n_history)
                    memcpy(nh, rec->history, rec->n_history * sizeof *nh);
                rec->history = nh;
            }
            rec->history[rec->n_history++] = h->measurement;
        }
        rc = mdb_cursor_get(c, &hk, &hv, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    Mvoi__Tender *t = rec->measurement && rec->measurement->tender_id
                          ? s_tender(self, req, txn, buyer, rec->measurement->tender_id, &rc)
                          : NULL;
    if (rc != 0)
        return rc;
    if (t) {
        rec->purchasing_group = t->purchasing_group;
        if (t->has_sroi_obligation_cents) {
            rec->has_sroi_obligation_cents = 1;
            rec->sroi_obligation_cents = t->sroi_obligation_cents;
        }
    }
    if (rec->withdrawn) {
        char buf[700];
        snprintf(buf, sizeof buf, "withdrawn at revision %u: %s", rec->measurement->revision,
                 rec->measurement->reason ? rec->measurement->reason : "");
        rec->explanation = server_strdup(req, buf);
    }
    else if (rec->measurement && rec->impact) {
        rec->explanation = s_explain(self, req, rec->measurement, rec->impact, t);
    }
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD;
    reply->measurement_record = rec;
    return 0;
}

static int
s_on_list(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__ListMeasurements *l = server_request(req)->list_measurements;
    const char *buyer = s_buyer(req);
    if (!buyer)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "the envelope needs a buyer (tenant)");
    uint32_t limit = l->has_limit && l->limit ? l->limit : S_LIST_DEFAULT;
    if (limit > S_LIST_MAX)
        return server_error(req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, "list_measurements.limit",
                            "at most %d", S_LIST_MAX);
    bool by_tender = l->tender_id && *l->tender_id;
    if (by_tender && strlen(l->tender_id) > MEASURE_REF_MAX)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "list_measurements.tender_id", "longer than %d", MEASURE_REF_MAX);
    uint8_t pfx[S_KEY_MAX];
    size_t pl = by_tender ? s_key(pfx, buyer, l->tender_id, "") : s_key(pfx, buyer, "", NULL);
    /* s_key wrote "buyer\0tender\0" or "buyer\0". */
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, by_tender ? self->bytender : self->measurements, &c);
    if (rc != 0)
        return rc;
    Mvoi__MeasurementList *out = server_alloc(req, sizeof *out);
    Mvoi__MeasurementRecord **recs = server_alloc(req, limit * sizeof *recs);
    if (!out || !recs) {
        mdb_cursor_close(c);
        return -ENOMEM;
    }
    mvoi__measurement_list__init(out);
    out->records = recs;
    uint32_t offset = l->has_offset ? l->offset : 0, total = 0;
    MDB_val k = { pl, pfx }, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= pl && memcmp(k.mv_data, pfx, pl) == 0) {
        if (total >= offset && out->n_records < limit) {
            MDB_val rv = v;
            if (by_tender) {
                /* bytender key -> the measurement id after the prefix */
                uint8_t mk[S_KEY_MAX];
                size_t bl = strlen(buyer) + 1, il = k.mv_size - pl;
                memcpy(mk, buyer, bl);
                memcpy(mk + bl, (uint8_t *) k.mv_data + pl, il);
                MDB_val key2 = { bl + il, mk };
                rc = mdb_get(txn, self->measurements, &key2, &rv);
                if (rc != 0 && rc != MDB_NOTFOUND)
                    break;
                if (rc == MDB_NOTFOUND) {
                    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
                    continue;
                }
            }
            Mvoi__MeasurementRecord *r = (Mvoi__MeasurementRecord *) s_unpack_req(
                req, &mvoi__measurement_record__descriptor, &rv);
            if (r)
                recs[out->n_records++] = r;
        }
        total++;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    out->has_total = 1;
    out->total = total;
    if (offset + out->n_records < total) {
        out->has_next_offset = 1;
        out->next_offset = offset + out->n_records;
    }
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_LIST;
    reply->measurement_list = out;
    return 0;
}

static int
s_on_factors(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    size_t n = factors_count(self->factors);
    Mvoi__FactorTableList *out = server_alloc(req, sizeof *out);
    Mvoi__FactorTableInfo *infos = server_alloc(req, (n ? n : 1) * sizeof *infos);
    Mvoi__FactorTableInfo **pp = server_alloc(req, (n ? n : 1) * sizeof *pp);
    if (!out || !infos || !pp)
        return -ENOMEM;
    mvoi__factor_table_list__init(out);
    for (size_t i = 0; i < n; i++) {
        const factors_table_t *t = factors_at(self->factors, i);
        Mvoi__FactorTableInfo *f = &infos[i];
        mvoi__factor_table_info__init(f);
        f->table = (char *) t->table;
        f->edition = (char *) t->edition;
        f->source = (char *) t->source;
        f->has_rows = f->has_unverified_rows = 1;
        f->rows = (uint32_t) t->n_rows;
        f->unverified_rows = (uint32_t) t->unverified_rows;
        pp[i] = f;
    }
    out->n_tables = n;
    out->tables = pp;
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_FACTOR_TABLE_LIST;
    reply->factor_table_list = out;
    return 0;
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS, SERVER_COMMAND, s_on_submit },
    { MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT, SERVER_COMMAND, s_on_correct },
    { MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT, SERVER_COMMAND, s_on_withdraw },
    { MVOI__ENVELOPE__BODY_COMPUTE_IMPACT, SERVER_QUERY, s_on_compute },
    { MVOI__ENVELOPE__BODY_GET_MEASUREMENT, SERVER_QUERY, s_on_get },
    { MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS, SERVER_QUERY, s_on_list },
    { MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES, SERVER_QUERY, s_on_factors },
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
    if (!buyer || !*buyer || !t->id || !*t->id
        || strlen(buyer) + strlen(t->id) + 2 > S_KEY_MAX) {
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
    uint8_t k[S_KEY_MAX];
    size_t kl = s_key(k, buyer, t->id, NULL);
    return s_put_msg(txn, self->tenders, k, kl, &m.base);
}

static int
s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch, uint64_t new_epoch)
{
    impact_svc_t *self = arg;
    log_warn("calendar_reset", "the calendar's store was replaced (epoch %llu -> %llu): "
             "rebuilding the tender projection", (unsigned long long) old_epoch,
             (unsigned long long) new_epoch);
    return mdb_drop(txn, self->tenders, 0);
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
                                       "measurements", "history", "bytender", NULL };
    store_opts_t so = { .path = o->state_dir, .dbs = dbs, .nosync = o->nosync };
    self->store = store_new(&so, &rc);
    if (!self->store)
        goto fail;
    self->outbox = outbox_new(self->store, IMPACT_PRODUCER, &rc);
    self->inbox = self->outbox ? inbox_new(self->store, &rc) : NULL;
    if (!self->inbox)
        goto fail;
    self->tenders = store_dbi(self->store, "tenders");
    self->measurements = store_dbi(self->store, "measurements");
    self->history = store_dbi(self->store, "history");
    self->bytender = store_dbi(self->store, "bytender");
    server_opts_t sv = {
        .name = "impact-calculator", .api_endpoint = o->api_endpoint,
        .pub_endpoint = o->pub_endpoint, .store = self->store, .outbox = self->outbox,
        .routes = s_routes, .nroutes = sizeof s_routes / sizeof s_routes[0], .arg = self,
        .batch = o->batch, .heartbeat_ms = o->heartbeat_ms,
        .ready_fn = s_ready,
    };
    self->server = server_new(loop, bus, &sv, &rc);
    if (!self->server)
        goto fail;
    self->hb = bus_sock_new(bus, loop, ZMQ_SUB, NULL);
    if (!self->hb || bus_subscribe(self->hb, "hb") != 0
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
    free(self);
    *self_p = NULL;
}

server_t *impact_svc_server(impact_svc_t *self) { return self->server; }
uint64_t impact_svc_head(impact_svc_t *self) { return outbox_head(self->outbox); }
size_t impact_svc_tables(impact_svc_t *self) { return factors_count(self->factors); }
