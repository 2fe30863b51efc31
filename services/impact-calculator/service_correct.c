/*  impact service: CorrectMeasurement and WithdrawMeasurement: a new revision, the old one
 *  moved to history, an event carrying the previous values. */
#include "service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "measure_rules.h"

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
        r->impact = impact_svc_copy_impact(req, imp);
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

/* Copy the current record to history; the new current one is written over it by
 * impact_svc_recent_put, once its event's seq is known. */
static int
s_supersede(impact_svc_t *self, MDB_txn *txn, const Mvoi__MeasurementRecord *old)
{
    const Mvoi__Measurement *m = old->measurement;
    uint8_t k[IMPACT_SVC_KEY_MAX];
    size_t kl = impact_svc_history_key(k, sizeof k, m->buyer, m->id, m->revision);
    return impact_svc_put_msg(txn, self->history, k, kl, &old->base);
}

/* Does m say what cur says, reason and submitter aside? */
static bool s_same_content(const Mvoi__Measurement *m, const Mvoi__Measurement *cur)
{
    Mvoi__Measurement a = *m, b = *cur;
    a.reason = b.reason = NULL;
    a.submitter = b.submitter = NULL;
    size_t la, lb;
    uint8_t *pa = impact_svc_content(&a, &la), *pb = impact_svc_content(&b, &lb);
    bool same = pa && pb && la == lb && memcmp(pa, pb, la) == 0;
    free(pa);
    free(pb);
    return same;
}

int
impact_svc_on_correct(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__CorrectMeasurement *cm = server_request(req)->correct_measurement;
    const char *P = "correct_measurement.measurement";
    const char *buyer = impact_svc_buyer(req);
    if (!buyer)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                                 "the envelope needs a buyer (tenant)");
    if (!cm->measurement)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, P, "missing");
    const Mvoi__Measurement *in = cm->measurement;
    char field[160];
    if (!in->id || !*in->id)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "correct_measurement.measurement.id", "missing");
    if (in->buyer && *in->buyer && strcmp(in->buyer, buyer) != 0)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "correct_measurement.measurement.buyer",
                                 "differs from the envelope's buyer");
    if (!in->reason || !*in->reason)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "correct_measurement.measurement.reason",
                                 "a correction needs a reason (audit trail)");
    int rc = 0;
    Mvoi__MeasurementRecord *old = impact_svc_record(self, txn, buyer, in->id, &rc);
    if (rc != 0)
        return rc;
    if (!old)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_NOT_FOUND,
                                 "correct_measurement.measurement.id",
                                 "no measurement '%.64s' (submit it first)", in->id);
    Mvoi__Measurement m = *in;
    m.buyer = (char *) buyer;
    if (!m.tender_id || !*m.tender_id)
        m.tender_id = old->measurement->tender_id;
    Mvoi__Impact *imp = NULL;
    int ret = 0;
    if (old->withdrawn) {
        ret = impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "correct_measurement.measurement.id",
                                "measurement '%.64s' was withdrawn", in->id);
        goto out;
    }
    if (strcmp(m.tender_id, old->measurement->tender_id) != 0) {
        ret = impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
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
        impact_svc_field(field, sizeof field, P, err.field);
        ret = server_error(req, impact_svc_error_code(err.code), field, "%s: %s", field,
                           impact_svc_reason_in(req, &err));
        goto out;
    }
    /* Same content as the current revision (reason, submitter aside): nothing to do. */
    if (s_same_content(&m, old->measurement)) {
        if (!s_single_reply(req, m.id, old->measurement->revision, true, old->impact, 0))
            ret = -ENOMEM;
        goto out;
    }
    Mvoi__Tender *t = impact_svc_tender(self, req, txn, buyer, m.tender_id, &rc);
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
    if ((ret = s_supersede(self, txn, old)) != 0
        || (ret = impact_svc_emit(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED, &m, imp,
                         old->measurement, old->impact, t, &seq)) != 0
        || (ret = impact_svc_recent_put(self, txn, old->seq, seq, &rec, NULL)) != 0)
        goto out;
    if (!s_single_reply(req, m.id, m.revision, false, imp, seq))
        ret = -ENOMEM;
out:
    calc_impact_free(&imp);
    mvoi__measurement_record__free_unpacked(old, NULL);
    return ret;
}

int
impact_svc_on_withdraw(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__WithdrawMeasurement *w = server_request(req)->withdraw_measurement;
    const char *buyer = impact_svc_buyer(req);
    if (!buyer)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                                 "the envelope needs a buyer (tenant)");
    if (!w->id || !*w->id)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "withdraw_measurement.id", "missing");
    if (!w->reason || !*w->reason)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "withdraw_measurement.reason", "a withdrawal needs a reason");
    if (strlen(w->reason) > MEASURE_REASON_MAX)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "withdraw_measurement.reason", "longer than %d bytes",
                                 MEASURE_REASON_MAX);
    if (w->submitter && strlen(w->submitter) > MEASURE_NAME_MAX)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "withdraw_measurement.submitter", "longer than %d bytes",
                                 MEASURE_NAME_MAX);
    int rc = 0;
    Mvoi__MeasurementRecord *old = impact_svc_record(self, txn, buyer, w->id, &rc);
    if (rc != 0)
        return rc;
    if (!old)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "withdraw_measurement.id",
                                 "no measurement '%.64s'", w->id);
    int ret = 0;
    if (old->withdrawn) {
        ret = impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                                "withdraw_measurement.id",
                                "measurement '%.64s' is already withdrawn", w->id);
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
    Mvoi__Tender *t = impact_svc_tender(self, req, txn, buyer, m.tender_id, &rc);
    uint64_t seq = 0;
    if ((ret = rc) != 0 || (ret = s_supersede(self, txn, old)) != 0
        || (ret = impact_svc_emit(self, req, txn, MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN, &m, &zero,
                         old->measurement, old->impact, t, &seq)) != 0
        || (ret = impact_svc_recent_put(self, txn, old->seq, seq, &rec, NULL)) != 0)
        goto out;
    if (!s_single_reply(req, m.id, m.revision, false, NULL, seq))
        ret = -ENOMEM;
out:
    mvoi__measurement_record__free_unpacked(old, NULL);
    return ret;
}
