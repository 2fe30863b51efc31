/*  impact service: SubmitMeasurements (stored, per-item results), its preview
 *  (SubmitMeasurements.validate_only: judged like the import, nothing stored) and what-if
 *  (ComputeImpact, or SubmitMeasurements.what_if: computed, nothing stored). */
#include "service_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "textfmt.h"

#define S_ERR_MESSAGES 100     /* per-item error messages per reply; later ones: code+field */

/* An item's refusal, "<field>: <text>", the text in the request's language (fmt is the
 * English of a catalogue "impact.err." entry, see textfmt.h). */
static Mvoi__Error * __attribute__((format(printf, 5, 6)))
s_item_error(server_req_t *req, int code, const char *field, bool with_msg, const char *fmt, ...)
{
    Mvoi__Error *e = server_alloc(req, sizeof *e);
    if (!e)
        return NULL;
    mvoi__error__init(e);
    e->has_code = 1;
    e->code = code;
    e->field = server_strdup(req, field);
    if (with_msg) {
        text_lang_t lang;
        if (impact_svc_lang(req, &lang) != 0)   /* refused by s_submit before: not reached */
            lang = TEXT_NL;
        char m[512];
        int n = snprintf(m, sizeof m, "%s: ", field);
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t) n < sizeof m)
            textfmt_vtr(m + n, sizeof m - (size_t) n, lang, "impact.err.", fmt, ap);
        va_end(ap);
        e->message = server_strdup(req, m);
    }
    return e;
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
        uint8_t k[IMPACT_SVC_KEY_MAX];
        MDB_val key = { impact_svc_history_key(k, sizeof k, m->buyer, m->id, 1), k }, v;
        int r = mdb_get(txn, self->history, &key, &v);
        if (r != 0 && r != MDB_NOTFOUND)
            return r;
        if (r == 0 && (h = mvoi__measurement_record__unpack(NULL, v.mv_size, v.mv_data)))
            first = h->measurement;
    }
    size_t la, lb;
    uint8_t *a = impact_svc_content(first, &la), *b = impact_svc_content(m, &lb);
    *same = a && b && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    if (h)
        mvoi__measurement_record__free_unpacked(h, NULL);
    return 0;
}

/* Tender lookups of a submit: through the write transaction's cache (tender_cache.h), so
 * that a batch of one-measurement requests of one tender reads and unpacks it once. */
static const Mvoi__Tender *
s_tender(impact_svc_t *self, MDB_txn *txn, const char *buyer, const char *id, int *rc)
{
    return impact_tcache_get(self->tcache, txn, self->tenders, buyer, id, rc);
}

/* An item whose id is stored already (old): the same content as its first revision is a
 * duplicate (ok), anything else is refused on field. 0 or an LMDB error. */
static int s_existing(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *field,
                      const Mvoi__MeasurementRecord *old, const Mvoi__Measurement *m,
                      bool full, bool with_msg, Mvoi__MeasurementResult *r)
{
    bool same = false;
    int rc;
    if (!old->withdrawn && (rc = s_same_as_first(self, txn, old, m, &same)) != 0)
        return rc;
    if (old->withdrawn)
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, field, with_msg,
                                "this measurement was withdrawn");
    else if (!same)
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, field, with_msg,
                                "a measurement with this id and different content exists; "
                                "use CorrectMeasurement to change it");
    else {
        r->has_ok = r->ok = 1;
        r->has_duplicate = r->duplicate = 1;
        r->has_revision = 1;
        r->revision = old->measurement->revision;
        if (full && old->impact)
            r->impact = impact_svc_copy_impact(req, old->impact);
    }
    return 0;
}

/* Store m as revision 1 with its impact (imp, or packed by the prep: pimp), index it by
 * tender, emit it (seq: its event's). 0 or an LMDB error. The record itself is written by
 * impact_svc_recent_put, with its seq. ienc (may be NULL): gets the impact as packed for
 * them (request memory), for the reply. */
static int s_store_new(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *buyer,
                       Mvoi__Measurement *m, Mvoi__Impact *imp, const codec_slice_t *pimp,
                       const Mvoi__Tender *t, const codec_slice_t *item, uint64_t *seq,
                       codec_slice_t *ienc)
{
    m->has_revision = 1;
    m->revision = 1;
    Mvoi__MeasurementRecord rec = MVOI__MEASUREMENT_RECORD__INIT;
    rec.measurement = m;
    rec.impact = imp;
    rec.has_withdrawn = 1;
    uint8_t k[IMPACT_SVC_KEY_MAX];
    int rc;
    size_t kl = impact_svc_key(k, sizeof k, buyer, m->tender_id, m->id);
    MDB_val key = { kl, k }, empty = { 0, "" };
    if ((rc = impact_svc_put(self, txn, IMPACT_CUR_BYTENDER, &key, &empty, 0)) != 0)
        return rc;
    impact_svc_enc_t enc;
    rc = imp ? impact_svc_encode(self, m, imp, item, &enc)
             : impact_svc_encode_packed(self, m, pimp, item, &enc);
    if (rc != 0)
        return rc;
    if (ienc && enc.has_impact) {
        uint8_t *b = server_alloc(req, enc.il ? enc.il : 1);
        if (!b)
            return -ENOMEM;
        memcpy(b, self->enc + enc.ml, enc.il);
        *ienc = (codec_slice_t){ b, enc.il };
    }
    if ((rc = impact_svc_emit_enc(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED, buyer,
                                  &enc, t, seq)) != 0)
        return rc;
    return impact_svc_recent_put(self, txn, 0, *seq, &rec, &enc);
}

/* m's impact: computed before the batch (prep, service_prep.c) or here (*imp). NULL, or
 * why it cannot be computed. */
static const impact_error_t *s_compute(impact_svc_t *self, const impact_svc_prep_t *prep,
                                       const Mvoi__Measurement *m, Mvoi__Impact **imp,
                                       impact_error_t *err)
{
    if (prep && (prep->ok || prep->err))
        return prep->err;
    return calc_impact(self->factors, m, imp, err) < 0 ? err : NULL;
}

/* One item: fills r, and for a new measurement with full results ienc (its impact packed,
 * taken by the reply in place of r->impact). Returns 0 (r says ok or not) or an LMDB
 * error. */
static int
s_submit_one(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *body,
             size_t i, const Mvoi__Measurement *in, const char *buyer, bool store, bool full,
             bool with_msg, bool preview, const codec_slice_t *item,
             const impact_svc_prep_t *prep, Mvoi__MeasurementResult *r, codec_slice_t *ienc,
             uint64_t *seq)
{
    /* The item's field path, for error replies only: formatting it for every item of a
     * 10,000-item batch showed in the profile. */
#define S_PREFIX() snprintf(prefix, sizeof prefix, "%s.measurements[%zu]", body, i)
    char prefix[96], field[256];
    r->id = in->id;   /* request memory lives as long as the reply */
    Mvoi__Measurement m;
    if (!impact_svc_submitted(in, buyer, &m)) {
        S_PREFIX();
        snprintf(field, sizeof field, "%s.buyer", prefix);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field, with_msg,
                                "differs from the envelope's buyer");
        return 0;
    }
    impact_error_t err;
    Mvoi__Impact *imp = NULL;
    const impact_error_t *e = s_compute(self, prep, &m, &imp, &err);
    int rc = 0;
    if (e) {
        S_PREFIX();
        impact_svc_field(field, sizeof field, prefix, e->field);
        r->error = s_item_error(req, impact_svc_error_code(e->code), field, with_msg, "%s",
                                impact_svc_reason_in(req, e));
        return 0;
    }
    if (!store) {
        r->has_ok = r->ok = 1;
        if (full) {
            r->impact = impact_svc_copy_impact(req, imp);
            r->explanation = impact_svc_explain(self, req, &m, imp, NULL);
        }
        calc_impact_free(&imp);
        return 0;
    }
    const Mvoi__Tender *t = s_tender(self, txn, buyer, m.tender_id, &rc);
    if (rc != 0)
        goto fail;
    if (!t) {
        S_PREFIX();
        snprintf(field, sizeof field, "%s.tender_id", prefix);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, field, with_msg,
                                "tender '%.64s' is not known to the calendar", m.tender_id);
        goto done;
    }
    if (t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED) {
        S_PREFIX();
        snprintf(field, sizeof field, "%s.tender_id", prefix);
        r->error = s_item_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, field, with_msg,
                                "the tender was cancelled");
        goto done;
    }
    Mvoi__MeasurementRecord *old = impact_svc_record(self, txn, buyer, m.id, &rc);
    if (rc != 0)
        goto fail;
    if (old) {
        S_PREFIX();
        snprintf(field, sizeof field, "%s.id", prefix);
        rc = s_existing(self, req, txn, field, old, &m, full, with_msg, r);
        mvoi__measurement_record__free_unpacked(old, NULL);
        if (rc != 0)
            goto fail;
        goto done;
    }
    if (preview) {
        /* judged like the import up to here; the import would store revision 1 */
        r->has_ok = r->ok = 1;
        r->has_revision = 1;
        r->revision = 1;
        goto done;
    }
    if ((rc = s_store_new(self, req, txn, buyer, &m, imp, imp ? NULL : &prep->impact, t, item,
                          seq, full ? ienc : NULL)) != 0)
        goto fail;
    r->has_ok = r->ok = 1;
    r->has_revision = 1;
    r->revision = 1;
    if (full && !ienc->data)
        r->impact = impact_svc_copy_impact(req, imp);
done:
    calc_impact_free(&imp);
    return 0;
fail:
    calc_impact_free(&imp);
    return rc ? rc : -EIO;
#undef S_PREFIX
}

/* The request's measurements as the client encoded them, one per item (request memory), or
 * NULL when the bytes are not at hand or not that plain shape: then each is packed. */
static const codec_slice_t *s_items(server_req_t *req, size_t n)
{
    size_t len;
    const uint8_t *raw = server_request_bytes(req, &len);
    static const ProtobufCFieldDescriptor *f;   /* found once: the loop's thread only */
    if (!f)
        f = protobuf_c_message_descriptor_get_field_by_name(
            &mvoi__submit_measurements__descriptor, "measurements");
    codec_slice_t *items = raw && f ? server_alloc(req, n * sizeof *items) : NULL;
    if (!items || codec_arm_items(raw, len, (uint32_t)server_request(req)->body_case, f->id,
                                  items, n) != (int)n)
        return NULL;
    return items;
}

static int
s_submit(impact_svc_t *self, server_req_t *req, MDB_txn *txn, const char *body,
         const Mvoi__SubmitMeasurements *sm, bool store)
{
    /* the field of the errors below, spelt only when one is answered */
#define S_FIELD() snprintf(field, sizeof field, "%s.measurements", body)
    char field[96];
    const char *buyer = impact_svc_buyer(req);
    if (!buyer)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                                 "the envelope needs a buyer (tenant)");
    text_lang_t lang;   /* of the explanations (what_if): refused by name, never guessed */
    if (impact_svc_lang(req, &lang) != 0) {
        snprintf(field, sizeof field, "%s.lang", body);
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field,
                                 "'%.16s' is not a language: nl or en", sm ? sm->lang : "");
    }
    if (!sm || sm->n_measurements == 0) {
        S_FIELD();
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field,
                                 "no measurements");
    }
    if (sm->n_measurements > self->opts.max_batch) {
        S_FIELD();
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, field,
                                 "%zu measurements in one request; at most %u (split the "
                                 "batch)", sm->n_measurements, self->opts.max_batch);
    }
    int rc = 0;
    if (store) {
        S_FIELD();
        if ((rc = impact_svc_tenders_known(self, req, txn, buyer, field, sm)) != 0)
            return rc;
    }
    size_t n = sm->n_measurements;
    bool full = n <= IMPACT_FULL_RESULTS;
    Mvoi__MeasurementReply *rep = server_alloc(req, sizeof *rep);
    Mvoi__MeasurementResult *res = server_alloc(req, n * sizeof *res);
    Mvoi__MeasurementResult **resp = server_alloc(req, n * sizeof *resp);
    codec_slice_t *ienc = server_alloc(req, n * sizeof *ienc);   /* zeroed */
    if (!rep || !res || !resp || !ienc)
        return -ENOMEM;
    mvoi__measurement_reply__init(rep);
    const codec_slice_t *items = store ? s_items(req, n) : NULL;
    const impact_svc_prep_t *prep = store ? server_prep(req) : NULL;
    uint64_t seq = 0;
    size_t errors = 0;
    for (size_t i = 0; i < n; i++) {
        Mvoi__MeasurementResult *r = &res[i];
        mvoi__measurement_result__init(r);
        resp[i] = r;
        rc = s_submit_one(self, req, txn, body, i, sm->measurements[i], buyer, store, full,
                          errors < S_ERR_MESSAGES,
                          store && sm->has_validate_only && sm->validate_only,
                          items ? &items[i] : NULL, prep ? &prep[i] : NULL, r, &ienc[i],
                          &seq);
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
    /* Packed here, the new measurements' impacts as packed for their records and events:
     * the same bytes as protobuf-c's packing of rep with each impact set. */
    size_t *sz = server_alloc(req, 3 * n * sizeof *sz);
    if (!sz)
        return -ENOMEM;
    size_t len = impact_svc_reply_size(rep, ienc, sz);
    uint8_t *b = server_alloc(req, len);
    if (!b)
        return -ENOMEM;
    return server_reply_encoded(req, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY, b,
                                impact_svc_reply_pack(rep, ienc, sz, b));
#undef S_FIELD
}

int
impact_svc_on_submit(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__SubmitMeasurements *sm = server_request(req)->submit_measurements;
    impact_svc_cursors_begin(self, txn, sm ? sm->n_measurements : 0);
    int rc = s_submit(self, req, txn, "submit_measurements", sm,
                      !(sm && sm->has_what_if && sm->what_if));
    impact_svc_cursors_end(self);
    return rc;
}

int
impact_svc_on_compute(void *arg, server_req_t *req, MDB_txn *txn)
{
    return s_submit(arg, req, txn, "compute_impact", server_request(req)->compute_impact, false);
}
