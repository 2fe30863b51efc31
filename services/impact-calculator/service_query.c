/*  impact service: the queries: GetMeasurement (with history and explanation),
 *  ListMeasurements (by buyer or tender, or latest first: service_recent.c), ListFactorTables. */
#include "service_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "factors.h"
#include "mvoi_error.h"
#include "measure_rules.h"
#include "store_undecodable.h"

#define S_LIST_DEFAULT 50
#define S_LIST_MAX 1000

/* rec's history (buyer\0id\0be32 rev, in revision order) into rec->history; k holds the
 * record's key buyer\0id of kl bytes and room for one more. An entry that does not decode
 * refuses the answer (MVOI_E_UNDECODABLE, logged): a history short of a revision would be
 * taken as the whole audit trail. */
static int s_history(impact_svc_t *self, server_req_t *req, MDB_txn *txn, uint8_t *k,
                     size_t kl, Mvoi__MeasurementRecord *rec)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, self->history, &c);
    if (rc != 0)
        return rc;
    k[kl] = 0;
    MDB_val hk = { kl + 1, k }, hv;
    size_t cap = 0;
    rc = mdb_cursor_get(c, &hk, &hv, MDB_SET_RANGE);
    while (rc == 0 && hk.mv_size == kl + 5 && memcmp(hk.mv_data, k, kl + 1) == 0) {
        Mvoi__MeasurementRecord *h = (Mvoi__MeasurementRecord *) impact_svc_unpack_req(
            req, &mvoi__measurement_record__descriptor, &hv, &rc);
        if (!h || !h->measurement) {
            if (h || rc == MVOI_E_UNDECODABLE) {   /* a revision without its measurement too */
                rc = MVOI_E_UNDECODABLE;
                store_log_undecodable("measurement history", hk.mv_data, hk.mv_size);
            }
            break;
        }
        if (rec->n_history == cap) {
            cap = cap ? cap * 2 : 8;
            Mvoi__Measurement **nh = server_alloc(req, cap * sizeof *nh);
            if (!nh) {
                rc = -ENOMEM;
                break;
            }
            if (rec->n_history)
                memcpy(nh, rec->history, rec->n_history * sizeof *nh);
            rec->history = nh;
        }
        rec->history[rec->n_history++] = h->measurement;
        rc = mdb_cursor_get(c, &hk, &hv, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int
impact_svc_on_get(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__GetMeasurement *g = server_request(req)->get_measurement;
    const char *buyer = impact_svc_buyer(req);
    if (!buyer)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                                 "the envelope needs a buyer (tenant)");
    if (!g->id || !*g->id || strlen(g->id) > MEASURE_ID_MAX)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "get_measurement.id", "missing or longer than %d",
                                 MEASURE_ID_MAX);
    text_lang_t lang;
    if (impact_svc_lang(req, &lang) != 0)   /* refused, not explained in a guessed language */
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "get_measurement.lang", "'%.16s' is not a language: nl or en",
                                 g->lang);
    uint8_t k[IMPACT_SVC_KEY_MAX];
    size_t kl = impact_svc_key(k, sizeof k, buyer, g->id, NULL);
    MDB_val key = { kl, k }, v;
    int rc = mdb_get(txn, self->measurements, &key, &v);
    if (rc == MDB_NOTFOUND)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_measurement.id",
                                 "no measurement '%.64s'", g->id);
    if (rc != 0)
        return rc;
    Mvoi__MeasurementRecord *rec = (Mvoi__MeasurementRecord *) impact_svc_unpack_req(
        req, &mvoi__measurement_record__descriptor, &v, &rc);
    if (!rec) {   /* bytes that are no record are named, not "the query failed" */
        if (rc == MVOI_E_UNDECODABLE)
            store_log_undecodable("measurement", k, kl);
        return rc;
    }
    if ((rc = s_history(self, req, txn, k, kl, rec)) != 0)
        return rc;
    Mvoi__Tender *t = rec->measurement && rec->measurement->tender_id
                          ? impact_svc_tender(self, req, txn, buyer, rec->measurement->tender_id, &rc)
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
    if (rec->withdrawn && !rec->measurement) {   /* no revision, no reason to explain */
        store_log_undecodable("measurement", k, kl);
        return MVOI_E_UNDECODABLE;
    }
    if (rec->withdrawn) {
        char buf[700];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, sizeof buf, text_get(lang, "explain.withdrawn"), rec->measurement->revision,
                 rec->measurement->reason ? rec->measurement->reason : "");
#pragma GCC diagnostic pop
        rec->explanation = server_strdup(req, buf);
    }
    else if (rec->measurement && rec->impact) {
        rec->explanation = impact_svc_explain(self, req, rec->measurement, rec->impact, t);
    }
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD;
    reply->measurement_record = rec;
    return 0;
}

/* ListMeasurements{recent}: the page of service_recent.c as the reply. */
static int s_list_recent(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                         const char *buyer, uint32_t offset, uint32_t limit)
{
    Mvoi__MeasurementList *out = server_alloc(req, sizeof *out);
    Mvoi__MeasurementRecord **recs = server_alloc(req, limit * sizeof *recs);
    if (!out || !recs)
        return -ENOMEM;
    mvoi__measurement_list__init(out);
    out->records = recs;
    int rc = impact_svc_list_recent(self, req, txn, buyer, offset, limit, out);
    if (rc != 0)
        return rc;
    Mvoi__Envelope *reply = server_reply(req);
    reply->body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_LIST;
    reply->measurement_list = out;
    return 0;
}

int
impact_svc_on_list(void *arg, server_req_t *req, MDB_txn *txn)
{
    impact_svc_t *self = arg;
    const Mvoi__ListMeasurements *l = server_request(req)->list_measurements;
    const char *buyer = impact_svc_buyer(req);
    if (!buyer)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                                 "the envelope needs a buyer (tenant)");
    uint32_t limit = l->has_limit && l->limit ? l->limit : S_LIST_DEFAULT;
    if (limit > S_LIST_MAX)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE,
                                 "list_measurements.limit", "at most %d", S_LIST_MAX);
    bool by_tender = l->tender_id && *l->tender_id;
    if (l->has_recent && l->recent) {
        if (by_tender)
            return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                     "list_measurements.recent",
                                     "lists the buyer's measurements: leave tender_id out");
        return s_list_recent(self, req, txn, buyer, l->has_offset ? l->offset : 0, limit);
    }
    if (by_tender && strlen(l->tender_id) > MEASURE_REF_MAX)
        return impact_svc_refuse(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                                 "list_measurements.tender_id", "longer than %d", MEASURE_REF_MAX);
    uint8_t pfx[IMPACT_SVC_KEY_MAX];
    size_t pl = by_tender ? impact_svc_key(pfx, sizeof pfx, buyer, l->tender_id, "")
                          : impact_svc_key(pfx, sizeof pfx, buyer, "", NULL);
    /* impact_svc_key wrote "buyer\0tender\0" or "buyer\0". */
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
            MDB_val rv = v, rk = k;   /* rk: the record's key buyer\0id, for its log line */
            if (by_tender) {
                /* bytender key -> the measurement id after the prefix */
                uint8_t mk[IMPACT_SVC_KEY_MAX];
                size_t bl = strlen(buyer) + 1, il = k.mv_size - pl;
                if (bl + il > sizeof mk) {   /* not a key we wrote: a page short of one */
                    store_log_missing("bytender", "measurement", k.mv_data, k.mv_size);
                    rc = MVOI_E_UNDECODABLE;
                    break;
                }
                memcpy(mk, buyer, bl);
                memcpy(mk + bl, (uint8_t *) k.mv_data + pl, il);
                rk = (MDB_val){ bl + il, mk };
                rc = mdb_get(txn, self->measurements, &rk, &rv);
                if (rc == MDB_NOTFOUND) {   /* not skipped: a short page taken as whole */
                    store_log_missing("bytender", "measurement", rk.mv_data, rk.mv_size);
                    rc = MVOI_E_UNDECODABLE;
                }
                if (rc != 0)
                    break;
            }
            Mvoi__MeasurementRecord *r = (Mvoi__MeasurementRecord *) impact_svc_unpack_req(
                req, &mvoi__measurement_record__descriptor, &rv, &rc);
            if (!r) {   /* skipped, the page would be short of it while total counts it */
                if (rc == MVOI_E_UNDECODABLE)
                    store_log_undecodable("measurement", rk.mv_data, rk.mv_size);
                break;
            }
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

int
impact_svc_on_factors(void *arg, server_req_t *req, MDB_txn *txn)
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
