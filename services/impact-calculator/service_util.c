/*  impact service: what the handlers share: LMDB keys and records, request memory, error
 *  fields, events and explanations. See service_int.h. */
#include "mvoi_contract.h"
#include "service_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "codec.h"
#include "factors.h"
#include "feed.h"
#include "mvoi_error.h"
#include "store.h"
#include "store_undecodable.h"
#include "textfmt.h"

static void *s_pa_alloc(void *d, size_t n) { return server_alloc(d, n ? n : 1); }
static void s_pa_free(void *d, void *p) { (void) d; (void) p; }

/* Unpack bytes into request memory (freed with the reply); codec_unpack_stored tells bytes
 * that are no d (MVOI_E_UNDECODABLE) from request memory that ran out (-ENOMEM). */
ProtobufCMessage *
impact_svc_unpack_req(server_req_t *req, const ProtobufCMessageDescriptor *d, const MDB_val *v,
                      int *rc)
{
    ProtobufCAllocator a = { s_pa_alloc, s_pa_free, req };
    return codec_unpack_stored(d, &a, v->mv_data, v->mv_size, rc);
}

/* A copy of an impact in request memory: plain struct copies and string copies, cheaper
 * than a pack/unpack round trip on the hot path of a batch. */
Mvoi__Impact *
impact_svc_copy_impact(server_req_t *req, const Mvoi__Impact *in)
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

/* "a\0b[\0c]"; 0 when it does not fit in cap (never cut). */
size_t
impact_svc_key(uint8_t *buf, size_t cap, const char *a, const char *b, const char *c)
{
    return c ? mvoi_id_key3(buf, cap, a, b, c) : mvoi_id_key2(buf, cap, a, b);
}

int
impact_svc_put_msg(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const ProtobufCMessage *msg)
{
    if (klen == 0)
        return MDB_BAD_VALSIZE;   /* a key that did not fit: ids are checked before this */
    MDB_val key = { klen, (void *) k };
    MDB_val v = { protobuf_c_message_get_packed_size(msg), NULL };
    int rc = store_put(txn, dbi, &key, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    protobuf_c_message_pack(msg, v.mv_data);
    return 0;
}

bool
impact_svc_calendar_current(impact_svc_t *self)
{
    return feed_caught_up(self->feed)
           && uv_now(self->loop) - self->cal_heard_ms <= self->opts.calendar_stale_ms;
}

/* Ready: the calendar projection is current (see calendar_stale_ms). */
bool impact_svc_ready(void *arg)
{
    impact_svc_t *self = arg;
    return self->feed && impact_svc_calendar_current(self);
}

/* "measurement.energy.x" -> "<prefix>.energy.x"; "" or "measurement" -> prefix. */
void
impact_svc_field(char *out, size_t len, const char *prefix, const char *core_field)
{
    const char *rest = "";
    if (strncmp(core_field, "measurement", 11) == 0)
        rest = core_field + 11;
    if (snprintf(out, len, "%s%s", prefix, rest) >= (int)len)
        out[len - 1] = 0;   /* a field path this long is cut, never overflowed */
}

/* The message of an impact_error_t without its "<core field>: " lead. */
const char *
impact_svc_reason(const impact_error_t *e)
{
    size_t n = strlen(e->field);
    if (n && strncmp(e->message, e->field, n) == 0 && strncmp(e->message + n, ": ", 2) == 0)
        return e->message + n + 2;
    return e->message;
}

int
impact_svc_error_code(int code)
{
    return code ? code : MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
}
/* Tender of the projection, unpacked into request memory; NULL if unknown. rc < 0 on an
 * LMDB error (returned in *rc). */
Mvoi__Tender *
impact_svc_tender(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *buyer,
         const char *tender_id, int *rc)
{
    uint8_t k[IMPACT_SVC_KEY_MAX];
    *rc = 0;
    MDB_val key = { impact_svc_key(k, sizeof k, buyer, tender_id, NULL), k }, v;
    if (!key.mv_size)
        return NULL;   /* no valid id is this long: never stored */
    int r = mdb_get(txn, self->tenders, &key, &v);
    if (r == MDB_NOTFOUND)
        return NULL;
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    Mvoi__Tender *t = (Mvoi__Tender *) impact_svc_unpack_req(req, &mvoi__tender__descriptor,
                                                             &v, rc);
    if (*rc == MVOI_E_UNDECODABLE)   /* not "unknown": an answer without its group and SROI */
        store_log_undecodable("tender", key.mv_data, key.mv_size);
    return t;
}

/* The current record of buyer/id (malloc'd: free with mvoi__measurement_record__free_unpacked),
 * NULL if none. */
Mvoi__MeasurementRecord *
impact_svc_record(impact_svc_t *self, MDB_txn *txn, const char *buyer, const char *id, int *rc)
{
    uint8_t k[IMPACT_SVC_KEY_MAX];
    *rc = 0;
    MDB_val key = { impact_svc_key(k, sizeof k, buyer, id, NULL), k }, v;
    if (!key.mv_size)
        return NULL;   /* no valid id is this long: never stored */
    int r = impact_svc_get(self, txn, IMPACT_CUR_MEAS, &key, &v);
    if (r == MDB_NOTFOUND)
        return NULL;
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    Mvoi__MeasurementRecord *rec = (Mvoi__MeasurementRecord *) codec_unpack_stored(
        &mvoi__measurement_record__descriptor, NULL, v.mv_data, v.mv_size, rc);
    if (*rc == MVOI_E_UNDECODABLE)
        store_log_undecodable("measurement", key.mv_data, key.mv_size);
    return rec;
}

size_t
impact_svc_history_key(uint8_t *k, size_t cap, const char *buyer, const char *id, uint32_t rev)
{
    size_t n = impact_svc_key(k, cap, buyer, id, NULL);
    if (n == 0 || cap - n < 5)
        return 0;
    k[n++] = 0;
    store_be32(k + n, rev);
    return n + 4;
}

/* Packed measurement without its revision: the content a duplicate is compared by. */
uint8_t *
impact_svc_content(const Mvoi__Measurement *m, size_t *len)
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
int
impact_svc_emit(impact_svc_t *self, server_req_t *req, MDB_txn *txn, Mvoi__ImpactEventKind kind,
       Mvoi__Measurement *m, Mvoi__Impact *imp, Mvoi__Measurement *prev, Mvoi__Impact *prev_imp,
       const Mvoi__Tender *tender, uint64_t *seq)
{
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
    const char *topic = mvoi_topic_impact(kind);
    if (!topic)
        return -EINVAL;
    return server_emit(req, txn, topic, &ev, seq);
}

const char *
impact_svc_buyer(server_req_t *req)
{
    const char *b = server_request(req)->buyer;
    return b && *b ? b : NULL;
}

int
impact_svc_lang(server_req_t *req, text_lang_t *out)
{
    const Mvoi__Envelope *e = server_request(req);
    const char *l = NULL;
    if (e->body_case == MVOI__ENVELOPE__BODY_GET_MEASUREMENT && e->get_measurement)
        l = e->get_measurement->lang;
    else if (e->body_case == MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS && e->submit_measurements)
        l = e->submit_measurements->lang;
    else if (e->body_case == MVOI__ENVELOPE__BODY_COMPUTE_IMPACT && e->compute_impact)
        l = e->compute_impact->lang;
    *out = TEXT_NL;
    if (l && *l)
        return text_lang_parse(l, out);
    *out = server_lang(req);   /* none in the body: the envelope's (Envelope.lang) */
    return 0;
}

int
impact_svc_refuse(server_req_t *req, int code, const char *field, const char *fmt, ...)
{
    text_lang_t lang;
    if (impact_svc_lang(req, &lang) != 0)
        lang = TEXT_NL;
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(m, sizeof m, lang, "impact.err.", fmt, ap);
    va_end(ap);
    return server_error(req, (Mvoi__ErrorCode) code, field, "%s", m);
}

const char *
impact_svc_reason_in(server_req_t *req, const impact_error_t *e)
{
    text_lang_t lang;
    if (impact_svc_lang(req, &lang) != 0)
        lang = TEXT_NL;
    const char *m = impact_error_text(e, lang);
    size_t n = strlen(e->field);
    if (n && strncmp(m, e->field, n) == 0 && strncmp(m + n, ": ", 2) == 0)
        return m + n + 2;
    return m;
}

char *
impact_svc_explain(impact_svc_t *self, server_req_t *req, const Mvoi__Measurement *m,
          const Mvoi__Impact *imp, const Mvoi__Tender *t)
{
    char buf[IMPACT_SVC_EXPLAIN_MAX];
    text_lang_t lang;
    if (impact_svc_lang(req, &lang) != 0)   /* refused by the handler before: not reached */
        return NULL;
    int n = impact_explain(self->factors, m, imp, lang, buf, sizeof buf);
    if (n < 0)
        return NULL;
    if (m->kind_case == MVOI__MEASUREMENT__KIND_SOCIAL && t && t->has_sroi_obligation_cents
        && t->sroi_obligation_cents > 0) {
        char a[48], b[48], c[48], d[48];
        int64_t pct_milli = imp->sroi_realised_cents * 100000 / t->sroi_obligation_cents;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf + n, sizeof buf - (size_t) n, text_get(lang, "explain.sroi_obligation"),
                 impact_fmt_cents(a, sizeof a, t->value_cents, lang),
                 impact_fmt_fixed_lang(b, sizeof b, t->sroi_pct_bp, 2, lang),
                 impact_fmt_cents(c, sizeof c, t->sroi_obligation_cents, lang),
                 impact_fmt_fixed_lang(d, sizeof d, pct_milli, 3, lang));
#pragma GCC diagnostic pop
    }
    return server_strdup(req, buf);
}
