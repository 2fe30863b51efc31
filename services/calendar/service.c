/* mvoi-calendar: the handlers. See calendar_service.h for the decisions. */
#include "calendar_service.h"
#include "calendar_svc_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal_date.h"
#include "mvoi_contract.h"
#include "cal_str.h"
#include "mvoi_error.h"
#include "mvoi_id.h"
#include "calendar_store.h"
#include "clock.h"
#include "codec.h"
#include "isv_map.h"
#include "log.h"
#include "outbox.h"
#include "store.h"
#include "store_undecodable.h"
#include "tender_query.h"
#include "tender_rules.h"
#include "tender_cancel.h"
#include "tender_cancel_ocds.h"
#include "tender_util.h"
#include "textfmt.h"
#include "datewords.h"
#include "thresholds.h"


/* ------------------------------------------------------------------ helpers */

void calendar_today(int64_t now_ms, char out[11])
{
    int64_t s = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
    int y, m, d;
    cal_date_from_days(datewords_ams_day(s), &y, &m, &d);
    cal_date_format(out, y, m, d);
}

text_lang_t calendar_svc_lang(server_req_t *req) { return server_lang(req); }

int calendar_svc_error(server_req_t *req, text_lang_t lang, int code, const char *field,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(msg, sizeof msg, lang, "tender.err.", fmt, ap);
    va_end(ap);
    return server_error(req, (Mvoi__ErrorCode)code, field, "%s", msg);
}

/* A rule error as the reply, in the request's language, its field prefixed with the body
 * name. */
int calendar_svc_fail(server_req_t *req, const char *body, const tender_error_t *e)
{
    char field[192];
    if (e->field[0])
        snprintf(field, sizeof field, "%s.%s", body, e->field);
    else
        snprintf(field, sizeof field, "%s", body);
    int code = e->code ? e->code : S_INVALID;
    text_lang_t lang = calendar_svc_lang(req);
    if (!e->message[0])
        return calendar_svc_error(req, lang, code, field, "invalid");
    return server_error(req, (Mvoi__ErrorCode)code, field, "%s", tender_error_text(e, lang));
}

const char *calendar_svc_buyer(server_req_t *req)
{
    const Mvoi__Envelope *env = server_request(req);
    text_lang_t lang;
    if (textfmt_env_lang(env->lang, &lang) != 0) {   /* said in the default: Dutch */
        char shown[17];
        textfmt_shown(env->lang, shown);
        calendar_svc_error(req, TEXT_NL, S_INVALID, "lang",
                           "'%.16s' is not a language: nl or en", shown);
        return NULL;
    }
    const char *b = env->buyer;
    if (cal_str_empty(b)) {
        calendar_svc_error(req, lang, S_INVALID, "buyer",
                           "the request names no buyer (organisation)");
        return NULL;
    }
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_str(MVOI_ID_BUYER, b, why, sizeof why) != 0) {
        server_error(req, S_INVALID, "buyer", "%s", why);
        return NULL;
    }
    return b;
}

static void *s_ralloc(void *d, size_t n) { return server_alloc(d, n ? n : 1); }
static void s_rfree(void *d, void *p) { (void)d; (void)p; }

/* Unpack into memory owned by the reply (freed after it is sent); codec_unpack_stored tells
 * bytes that are no Tender from request memory that ran out. */
Mvoi__Tender *calendar_svc_reply_tender(server_req_t *req, const void *data, size_t len,
                                        int *rc)
{
    ProtobufCAllocator a = { s_ralloc, s_rfree, req };
    Mvoi__Tender *t =
        (Mvoi__Tender *)codec_unpack_stored(&mvoi__tender__descriptor, &a, data, len, rc);
    if (!t || !tender_cancel_is_said(t))
        return t;
    /* the source's default reason or an OCDS release's cancellation, said now in the
     * reader's language (stored as facts, or as the English text of records written
     * before) */
    char buf[TENDER_CANCEL_SAY_MAX];
    const char *said = NULL;
    /* -ENOSPC cannot happen: the buffer holds any stored reason, default or OCDS sentence
     * (TENDER_CANCEL_SAY_MAX: their parts are bounded by tender_validate) */
    int say = tender_cancel_reason_say(t, calendar_svc_lang(req), buf, sizeof buf, &said);
    if (say < 0 || !said) {
        *rc = say < 0 ? say : -EINVAL;
        return NULL;
    }
    t->cancel_reason = server_strdup(req, said);
    if (!t->cancel_reason)
        *rc = -ENOMEM;
    return t->cancel_reason ? t : NULL;
}

/* Pack into a malloc'ed buffer. */
static uint8_t *s_pack(const Mvoi__Tender *t, size_t *len)
{
    *len = mvoi__tender__get_packed_size(t);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        mvoi__tender__pack(t, buf);
    return buf;
}

int calendar_svc_set_reply(server_req_t *req, Mvoi__Tender *t, Mvoi__UpsertOutcome outcome,
                           uint64_t seq)
{
    Mvoi__TenderReply *r = server_alloc(req, sizeof *r);
    if (!r)
        return -ENOMEM;
    mvoi__tender_reply__init(r);
    r->tender = t;
    if (outcome) {
        r->has_outcome = 1;
        r->outcome = outcome;
    }
    if (seq) {
        r->has_seq = 1;
        r->seq = seq;
    }
    Mvoi__Envelope *env = server_reply(req);
    env->body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
    env->tender_reply = r;
    return 0;
}

int calendar_svc_load(calendar_svc_t *self, MDB_txn *txn, const char *buyer, const char *id,
                      Mvoi__Tender **out, MDB_val *packed)
{
    *out = NULL;
    MDB_val v;
    int rc = calendar_store_get(&self->cs, txn, buyer, id, &v);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    *out = (Mvoi__Tender *)codec_unpack_stored(&mvoi__tender__descriptor, NULL, v.mv_data,
                                               v.mv_size, &rc);
    if (rc == MVOI_E_UNDECODABLE)   /* storage corruption: named, for the operator to repair */
        store_log_undecodable_id("tender", buyer, id);
    if (!*out)
        return rc;
    if (packed)
        *packed = v;
    return 0;
}

/* Write t (new version of old, or new when old is NULL), emit the event, reply.
 * If old_packed is given and t packs to the same bytes, nothing is written (UNCHANGED). */
static int s_commit(calendar_svc_t *self, server_req_t *req, MDB_txn *txn, Mvoi__Tender *t,
                    const Mvoi__Tender *old, const MDB_val *old_packed,
                    Mvoi__TenderEventKind kind, Mvoi__UpsertOutcome outcome)
{
    size_t len;
    uint8_t *buf;
    if (old && old_packed) {
        /* compare with the stored bytes (version and stamps were copied from old) */
        t->has_version = old->has_version;
        t->version = old->version;
        t->has_created_ms = old->has_created_ms;
        t->created_ms = old->created_ms;
        t->has_updated_ms = old->has_updated_ms;
        t->updated_ms = old->updated_ms;
        buf = s_pack(t, &len);
        if (!buf)
            return -ENOMEM;
        bool same = len == old_packed->mv_size && memcmp(buf, old_packed->mv_data, len) == 0;
        free(buf);
        if (same) {
            int rc;
            Mvoi__Tender *rt = calendar_svc_reply_tender(req, old_packed->mv_data,
                                                         old_packed->mv_size, &rc);
            if (!rt)
                return rc;
            return calendar_svc_set_reply(req, rt, MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED, 0);
        }
    }
    int64_t now = clock_now_ms();
    t->has_version = 1;
    t->version = old ? old->version + 1 : 1;
    t->has_created_ms = 1;
    t->created_ms = old && old->has_created_ms ? old->created_ms : now;
    t->has_updated_ms = 1;
    t->updated_ms = now;
    buf = s_pack(t, &len);
    if (!buf)
        return -ENOMEM;
    int rc = calendar_store_put(&self->cs, txn, t, buf, len, old);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    uint64_t seq = 0;
    rc = calendar_svc_emit(req, txn, kind, t, old, &seq);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    Mvoi__Tender *rt = calendar_svc_reply_tender(req, buf, len, &rc);
    free(buf);
    if (!rt)
        return rc;
    return calendar_svc_set_reply(req, rt, outcome, seq);
}

int calendar_svc_emit(server_req_t *req, MDB_txn *txn, Mvoi__TenderEventKind kind,
                      Mvoi__Tender *t, const Mvoi__Tender *old, uint64_t *seq)
{
    Mvoi__TenderEvent te = MVOI__TENDER_EVENT__INIT;
    te.has_kind = 1;
    te.kind = kind;
    te.tender = t;
    if (old) {
        te.has_previous_status = 1;
        te.previous_status = old->status;
    }
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    ev.tender_event = &te;
    ev.buyer = t->buyer;
    const char *topic = mvoi_topic_tender(kind);
    if (!topic)
        return -EINVAL;
    return server_emit(req, txn, topic, &ev, seq);
}

int calendar_svc_prepare(calendar_svc_t *self, const char *buyer, const Mvoi__Tender *in,
                         const Mvoi__Tender *old, const char *today, bool by_source,
                         Mvoi__Tender **out, tender_error_t *e)
{
    *out = NULL;
    if (!cal_str_empty(in->buyer) && strcmp(in->buyer, buyer) != 0)
        return tender_error_set(e, -EINVAL, S_INVALID, "tender.buyer",
                                "'%.60s' is not the buyer of this request (%.60s)", in->buyer,
                                buyer);
    Mvoi__Tender tmp = *in;   /* shallow: tender_dup copies deeply */
    tmp.buyer = (char *)buyer;
    if (cal_str_empty(tmp.source))
        tmp.source = old && !cal_str_empty(old->source) ? old->source : "api";
    /* the fact "cancelled without a reason" is the calendar's, never the caller's; an OCDS
     * release's cancellation comes only from an import (a client that sends back what it
     * read is not one) */
    tmp.has_cancel_without_reason = tmp.cancel_without_reason = 0;
    tmp.cancel_ocds = by_source && tmp.has_status &&
                              tmp.status == MVOI__TENDER_STATUS__STATUS_CANCELLED
                          ? in->cancel_ocds
                          : NULL;
    if (old) {
        tmp.has_status = old->has_status;
        tmp.status = old->status;
        tmp.cancel_reason = old->cancel_reason;
        tmp.has_cancel_without_reason = old->has_cancel_without_reason;
        tmp.cancel_without_reason = old->cancel_without_reason;
        tmp.cancel_ocds = old->cancel_ocds;
    } else if (tmp.has_status && tmp.status != MVOI__TENDER_STATUS__STATUS_CANCELLED) {
        tmp.cancel_reason = NULL;
    } else if (tmp.has_status && cal_str_empty(tmp.cancel_reason)) {
        /* a new tender that arrives cancelled: a cancellation always has its reason (as
         * cancel_tender demands) or, from an import, the fact that its source gave none
         * (said at output in the reader's language: tender_cancel.h); a caller must give one */
        if (!by_source)
            return tender_error_set(e, -EINVAL, S_INVALID, "tender.cancel_reason",
                                    "required: a tender registered as cancelled needs the "
                                    "reason of the cancellation");
        tmp.cancel_reason = NULL;
        tmp.has_cancel_without_reason = tmp.cancel_without_reason = 1;
    }
    /* derived fields never come from the caller */
    tmp.isv_risk_group = NULL;
    tmp.threshold_period = NULL;
    tmp.has_kickoff_required = tmp.has_ambition_complete = tmp.has_sroi_obligation_cents = 0;
    tmp.kickoff_required = tmp.ambition_complete = 0;
    tmp.sroi_obligation_cents = 0;
    if (!tmp.procedure_override) {
        tmp.has_procedure = 0;
        tmp.procedure = 0;
    }
    tmp.has_version = tmp.has_created_ms = tmp.has_updated_ms = 0;
    Mvoi__Tender *t = tender_dup(&tmp);
    if (!t)
        return -ENOMEM;
    int r = tender_prepare(t, self->th, self->isv, today, e);
    if (r < 0) {
        tender_free(t);
        return r == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    *out = t;
    return 0;
}

/* calendar_svc_prepare with "today" from the clock; NULL after an error reply (*rc set). */
static Mvoi__Tender *s_prepare(calendar_svc_t *self, server_req_t *req, const char *body,
                               const char *buyer, const Mvoi__Tender *in,
                               const Mvoi__Tender *old, int *rc)
{
    tender_error_t e = { 0 };
    char today[11];
    calendar_today(clock_now_ms(), today);
    Mvoi__Tender *t = NULL;
    *rc = calendar_svc_prepare(self, buyer, in, old, today, false, &t, &e);
    if (*rc == -EINVAL)
        calendar_svc_fail(req, body, &e);
    return t;
}

/* The buyer of a Register/Update/Upsert with its tender and the tender's id there; NULL
 * after an error reply. The language and the buyer are checked first (every later refusal
 * is in that language). */
static const char *s_write_buyer(server_req_t *req, const char *body, const void *msg,
                                 const Mvoi__Tender *t)
{
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return NULL;
    char field[64];
    if (!msg || !t) {
        snprintf(field, sizeof field, "%s.tender", body);
        S_ERR(req, S_INVALID, field, "required");
        return NULL;
    }
    if (cal_str_empty(t->id)) {
        snprintf(field, sizeof field, "%s.tender.id", body);
        S_ERR(req, S_INVALID, field, "required");
        return NULL;
    }
    return buyer;
}

/* ------------------------------------------------------------------ commands */

typedef enum { S_REGISTER, S_UPDATE, S_UPSERT } s_write_t;

/* Update/Upsert keep the stored status and cancel reason: those move only through
 * ChangeStatus/CancelTender. A request that states another one was answered "updated" with
 * the status it asked for silently not taken (`tender update ID --json` with "status":
 * "awarded" left it planned); refused by name instead. The stored values again (what
 * `tender update` sends after reading the tender) are fine. True after the error reply. */
static bool s_lifecycle_field_given(server_req_t *req, const char *body, const Mvoi__Tender *in,
                                    const Mvoi__Tender *old)
{
    char field[96];
    if (in->has_status && in->status != MVOI__TENDER_STATUS__STATUS_UNSPECIFIED &&
        in->status != old->status) {
        snprintf(field, sizeof field, "%s.tender.status", body);
        S_ERR(req, S_PRECOND, field, "the tender is %s; a status moves only with "
              "change_status or cancel_tender, not with %s", tender_status_word(old->status),
              body);
        return true;
    }
    /* the stored reason as the reader got it (a source's default in their language) */
    if (!cal_str_empty(in->cancel_reason) && !tender_cancel_reason_same(old, in->cancel_reason)) {
        snprintf(field, sizeof field, "%s.tender.cancel_reason", body);
        S_ERR(req, S_PRECOND, field, "the cancel reason is set only by cancel_tender, "
              "not by %s", body);
        return true;
    }
    return false;
}

static int s_write(calendar_svc_t *self, server_req_t *req, MDB_txn *txn, const char *body,
                   const char *buyer, const Mvoi__Tender *in, s_write_t mode, bool has_expected,
                   uint32_t expected)
{
    char field[96];
    Mvoi__Tender *old = NULL;
    MDB_val old_packed;
    int rc = calendar_svc_load(self, txn, buyer, in->id, &old, &old_packed);
    if (rc != 0)
        return rc;
    if (mode == S_REGISTER && old) {
        tender_free(old);
        snprintf(field, sizeof field, "%s.tender.id", body);
        return S_ERR(req, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, field,
                     "tender %s already exists", in->id);
    }
    if (mode == S_UPDATE && !old) {
        snprintf(field, sizeof field, "%s.tender.id", body);
        return S_ERR(req, S_NOTFOUND, field, "no tender %s", in->id);
    }
    if (mode == S_UPDATE && has_expected && expected != 0 && expected != old->version) {
        uint32_t v = old->version;
        tender_free(old);
        snprintf(field, sizeof field, "%s.expected_version", body);
        return S_ERR(req, MVOI__ERROR_CODE__ERR_CONFLICT, field,
                     "the tender is at version %u, not %u", v, expected);
    }
    if (old && s_lifecycle_field_given(req, body, in, old)) {
        tender_free(old);
        return -EINVAL;
    }
    Mvoi__Tender *t = s_prepare(self, req, body, buyer, in, old, &rc);
    if (!t) {
        tender_free(old);
        return rc == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    tender_error_t ke = { 0 };
    if (tender_ambition_kept(old, t, &ke) < 0) {
        tender_free(t);
        tender_free(old);
        return calendar_svc_fail(req, body, &ke);
    }
    if (old && tender_status_terminal(old->status)) {
        /* only an identical re-send is accepted */
        t->has_version = old->has_version; t->version = old->version;
        t->has_created_ms = old->has_created_ms; t->created_ms = old->created_ms;
        t->has_updated_ms = old->has_updated_ms; t->updated_ms = old->updated_ms;
        size_t len;
        uint8_t *buf = s_pack(t, &len);
        bool same = buf && len == old_packed.mv_size &&
                    memcmp(buf, old_packed.mv_data, len) == 0;
        free(buf);
        if (!same) {
            snprintf(field, sizeof field, "%s.tender.id", body);
            S_ERR(req, S_PRECOND, field, "tender %s is %s: no further changes",
                  in->id, tender_status_word(old->status));
            tender_free(t);
            tender_free(old);
            return -EINVAL;
        }
    }
    rc = s_commit(self, req, txn, t, old, old ? &old_packed : NULL,
                  old ? MVOI__TENDER_EVENT_KIND__TEV_UPDATED
                      : MVOI__TENDER_EVENT_KIND__TEV_REGISTERED,
                  old ? MVOI__UPSERT_OUTCOME__UPSERT_UPDATED
                      : MVOI__UPSERT_OUTCOME__UPSERT_CREATED);
    tender_free(t);
    tender_free(old);
    return rc;
}

static int s_on_register(void *arg, server_req_t *req, MDB_txn *txn)
{
    const Mvoi__RegisterTender *m = server_request(req)->register_tender;
    const char *buyer = s_write_buyer(req, "register_tender", m, m ? m->tender : NULL);
    if (!buyer)
        return -EINVAL;
    return s_write(arg, req, txn, "register_tender", buyer, m->tender, S_REGISTER, false, 0);
}

static int s_on_update(void *arg, server_req_t *req, MDB_txn *txn)
{
    const Mvoi__UpdateTender *m = server_request(req)->update_tender;
    const char *buyer = s_write_buyer(req, "update_tender", m, m ? m->tender : NULL);
    if (!buyer)
        return -EINVAL;
    return s_write(arg, req, txn, "update_tender", buyer, m->tender, S_UPDATE,
                   m->has_expected_version, m->expected_version);
}

static int s_on_upsert(void *arg, server_req_t *req, MDB_txn *txn)
{
    const Mvoi__UpsertTender *m = server_request(req)->upsert_tender;
    const char *buyer = s_write_buyer(req, "upsert_tender", m, m ? m->tender : NULL);
    if (!buyer)
        return -EINVAL;
    return s_write(arg, req, txn, "upsert_tender", buyer, m->tender, S_UPSERT, false, 0);
}

/* Load the tender of buyer a command names by tender_id; NULL after an error reply (*rc). */
static Mvoi__Tender *s_target(calendar_svc_t *self, server_req_t *req, MDB_txn *txn,
                              const char *body, const char *buyer, const void *msg,
                              const char *id, MDB_val *packed, int *rc)
{
    char field[96];
    *rc = -EINVAL;
    snprintf(field, sizeof field, "%s.tender_id", body);
    if (!msg || cal_str_empty(id)) {
        S_ERR(req, S_INVALID, field, "required");
        return NULL;
    }
    Mvoi__Tender *old = NULL;
    int r = calendar_svc_load(self, txn, buyer, id, &old, packed);
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    if (!old) {
        S_ERR(req, S_NOTFOUND, field, "no tender %s", id);
        return NULL;
    }
    *rc = 0;
    return old;
}

/* "tender.x" -> "<body>.x" for rule errors on fields a command sets directly. */
static int s_fail_cmd(server_req_t *req, const char *body, tender_error_t *e)
{
    if (strncmp(e->field, "tender.", 7) == 0)
        memmove(e->field, e->field + 7, strlen(e->field + 7) + 1);
    return calendar_svc_fail(req, body, e);
}

static int s_on_ambition(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const char *body = "record_ambition";
    const Mvoi__RecordAmbition *m = server_request(req)->record_ambition;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    MDB_val packed;
    int rc;
    Mvoi__Tender *old = s_target(self, req, txn, body, buyer, m, m ? m->tender_id : NULL,
                                 &packed, &rc);
    if (!old)
        return rc;
    if (tender_status_terminal(old->status)) {
        /* the same rule and words as an update's (s_write) */
        S_ERR(req, S_PRECOND, "record_ambition.tender_id", "tender %s is %s: no further changes",
              old->id, tender_status_word(old->status));
        tender_free(old);
        return -EINVAL;
    }
    Mvoi__Tender tmp = *old;
    if (m->n_themes) {
        tmp.n_themes = m->n_themes;
        tmp.themes = m->themes;
    }
    if (m->n_sdgs) {
        tmp.n_sdgs = m->n_sdgs;
        tmp.sdgs = m->sdgs;
    }
    if (m->has_sroi_pct_bp) {
        tmp.has_sroi_pct_bp = 1;
        tmp.sroi_pct_bp = m->sroi_pct_bp;
    }
    if (m->sroi_exempt_reason)
        tmp.sroi_exempt_reason = *m->sroi_exempt_reason ? m->sroi_exempt_reason : NULL;
    if (m->has_pilot_flag) {   /* proto2 bool: "pilot" alone cannot tell false from absent */
        tmp.has_pilot = 1;
        tmp.pilot = m->pilot;
    }
    Mvoi__Tender *t = tender_dup(&tmp);
    if (!t) {
        tender_free(old);
        return -ENOMEM;
    }
    tender_error_t e = { 0 };
    char today[11];
    calendar_today(clock_now_ms(), today);
    rc = tender_prepare(t, self->th, self->isv, today, &e);
    if (rc == 0)
        rc = tender_ambition_kept(old, t, &e);
    if (rc < 0) {
        tender_free(t);
        tender_free(old);
        if (rc == -ENOMEM)
            return -ENOMEM;
        return s_fail_cmd(req, body, &e);
    }
    if (t->ambition_complete && (t->status == MVOI__TENDER_STATUS__STATUS_PLANNED ||
                                 t->status == MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED) &&
        tender_transition_allowed(t->status, MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED, t,
                                  NULL) == 0)
        t->status = MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED;
    rc = s_commit(self, req, txn, t, old, &packed, MVOI__TENDER_EVENT_KIND__TEV_AMBITION_RECORDED,
                  MVOI__UPSERT_OUTCOME__UPSERT_UPDATED);
    tender_free(t);
    tender_free(old);
    return rc;
}

static int s_on_status(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const char *body = "change_status";
    const Mvoi__ChangeStatus *m = server_request(req)->change_status;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    if (m && !cal_str_empty(m->tender_id) &&
        (!m->has_status || m->status == MVOI__TENDER_STATUS__STATUS_UNSPECIFIED))
        return S_ERR(req, S_INVALID, "change_status.status", "required");
    if (m && m->status == MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return S_ERR(req, S_INVALID, "change_status.status",
                     "use cancel_tender: cancelling needs a reason");
    MDB_val packed;
    int rc;
    Mvoi__Tender *old = s_target(self, req, txn, body, buyer, m, m ? m->tender_id : NULL,
                                 &packed, &rc);
    if (!old)
        return rc;
    tender_error_t e = { 0 };
    if (tender_transition_allowed(old->status, m->status, old, &e) < 0) {
        tender_free(old);
        return s_fail_cmd(req, body, &e);
    }
    Mvoi__Tender *t = tender_dup(old);
    if (!t) {
        tender_free(old);
        return -ENOMEM;
    }
    t->has_status = 1;
    t->status = m->status;
    rc = s_commit(self, req, txn, t, old, NULL, MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED,
                  MVOI__UPSERT_OUTCOME__UPSERT_UPDATED);
    tender_free(t);
    tender_free(old);
    return rc;
}

static int s_on_cancel(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const char *body = "cancel_tender";
    const Mvoi__CancelTender *m = server_request(req)->cancel_tender;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    if (m && !cal_str_empty(m->tender_id)) {
        char *reason = m->reason;
        if (cal_str_empty(reason))
            return S_ERR(req, S_INVALID, "cancel_tender.reason", "required");
        /* one line: it goes into the CANCEL's mail and calendar text (a CR LF in it showed
         * as a stray "Bcc:" line in the body) */
        tender_error_t e = { 0 };
        if (tender_check_line(reason, 500, "reason", &e) < 0)
            return calendar_svc_fail(req, body, &e);
    }
    MDB_val packed;
    int rc;
    Mvoi__Tender *old = s_target(self, req, txn, body, buyer, m, m ? m->tender_id : NULL,
                                 &packed, &rc);
    if (!old)
        return rc;
    tender_error_t e = { 0 };
    if (tender_transition_allowed(old->status, MVOI__TENDER_STATUS__STATUS_CANCELLED, old, &e) < 0) {
        tender_free(old);
        return s_fail_cmd(req, body, &e);
    }
    Mvoi__Tender *t = tender_dup(old);
    if (!t || cal_str_set(&t->cancel_reason, m->reason) < 0) {
        tender_free(t);
        tender_free(old);
        return -ENOMEM;
    }
    t->has_status = 1;
    t->status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    t->has_cancel_without_reason = t->cancel_without_reason = 0;   /* a reason was given */
    tender_cancel_ocds_set(t, true, NULL, NULL);                    /* clearing: never fails */
    rc = s_commit(self, req, txn, t, old, NULL, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED,
                  MVOI__UPSERT_OUTCOME__UPSERT_UPDATED);
    tender_free(t);
    tender_free(old);
    return rc;
}

/* ------------------------------------------------------------------ lifecycle */

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_REGISTER_TENDER, SERVER_COMMAND, s_on_register },
    { MVOI__ENVELOPE__BODY_UPDATE_TENDER, SERVER_COMMAND, s_on_update },
    { MVOI__ENVELOPE__BODY_UPSERT_TENDER, SERVER_COMMAND, s_on_upsert },
    { MVOI__ENVELOPE__BODY_UPSERT_TENDERS, SERVER_COMMAND, calendar_svc_on_upsert_batch },
    { MVOI__ENVELOPE__BODY_RECORD_AMBITION, SERVER_COMMAND, s_on_ambition },
    { MVOI__ENVELOPE__BODY_CHANGE_STATUS, SERVER_COMMAND, s_on_status },
    { MVOI__ENVELOPE__BODY_CANCEL_TENDER, SERVER_COMMAND, s_on_cancel },
    { MVOI__ENVELOPE__BODY_GET_TENDER, SERVER_QUERY, calendar_svc_on_get },
    { MVOI__ENVELOPE__BODY_LIST_TENDERS, SERVER_QUERY, calendar_svc_on_list },
    { MVOI__ENVELOPE__BODY_UPCOMING_TENDERS, SERVER_QUERY, calendar_svc_on_upcoming },
};

int calendar_svc_new(calendar_svc_t **out, uv_loop_t *loop, bus_ctx_t *bus,
                     const calendar_opts_t *o, char *err, size_t errlen)
{
    *out = NULL;
    calendar_svc_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    int rc = thresholds_load_dir(o->data_files, &self->th, err, errlen);
    if (rc == 0)
        rc = isv_map_load_dir(o->data_files, &self->isv, err, errlen);
    if (rc < 0) {
        calendar_svc_destroy(&self);
        return rc == -ENOMEM ? rc : (rc == -ENOENT ? -ENOENT : -EINVAL);
    }
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, CALENDAR_STORE_DBS, NULL };
    store_opts_t so = { .path = o->state_dir, .dbs = dbs, .nosync = o->nosync };
    int e = 0;
    self->store = store_new(&so, &e);
    if (!self->store) {
        snprintf(err, errlen, "cannot open the store in %s: %s", o->state_dir, strerror(-e));
        calendar_svc_destroy(&self);
        return e ? e : -EIO;
    }
    calendar_store_init(&self->cs, self->store);
    self->outbox = outbox_new(self->store, CALENDAR_PRODUCER, &e);
    if (!self->outbox) {
        snprintf(err, errlen, "cannot open the outbox: %s", strerror(-e));
        calendar_svc_destroy(&self);
        return e ? e : -EIO;
    }
    server_opts_t so2 = {
        .name = "calendar", .api_endpoint = o->api_endpoint, .pub_endpoint = o->pub_endpoint,
        .store = self->store, .outbox = self->outbox, .routes = s_routes,
        .nroutes = (int)(sizeof s_routes / sizeof s_routes[0]), .snapshot = calendar_svc_snapshot,
        .arg = self, .batch = o->batch, .heartbeat_ms = o->heartbeat_ms,
        .retain_events = o->retain_events, .maintenance_ms = o->retention_ms,
        .buyers = o->buyers,
    };
    self->server = server_new(loop, bus, &so2, &e);
    if (!self->server) {
        snprintf(err, errlen, "cannot bind %s / %s: %s", o->api_endpoint, o->pub_endpoint,
                 strerror(-e));
        calendar_svc_destroy(&self);
        return e ? e : -EIO;
    }
    server_set_ready(self->server, true);
    *out = self;
    return 0;
}

void calendar_svc_stop(calendar_svc_t *self)
{
    if (self)
        server_destroy(&self->server);
}

void calendar_svc_destroy(calendar_svc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    calendar_svc_t *self = *self_p;
    server_destroy(&self->server);
    outbox_destroy(&self->outbox);
    store_destroy(&self->store);
    thresholds_destroy(&self->th);
    isv_map_destroy(&self->isv);
    free(self->scratch);
    free(self);
    *self_p = NULL;
}

server_t *calendar_svc_server(calendar_svc_t *self) { return self->server; }
uint64_t calendar_svc_head(calendar_svc_t *self) { return outbox_head(self->outbox); }
