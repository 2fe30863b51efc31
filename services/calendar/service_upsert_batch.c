/* mvoi-calendar: UpsertTenders, many UpsertTender in one command (imports).
 *
 * Why a batch command: per row, a single UpsertTender costs an envelope decode, a request id
 * lookup, a stored reply carrying the whole tender, a reply message and its allocations; at
 * 100,000 rows that was most of the service's time. Here those costs are paid once per
 * command, and a row costs what its upsert needs: one lookup, the rules, one pack, the tender,
 * its index entry and its event.
 *
 * Each tender is treated exactly as UpsertTender treats it (same rules, same UNCHANGED
 * comparison on the packed bytes, same refusal of changes to completed/cancelled tenders).
 * A refused tender gets an error in its result and writes nothing; the others are written.
 * Everything is in the command's write transaction: a failed commit loses the whole
 * command and nothing of it was acknowledged. The reply (one UpsertResult per tender, in
 * order) is stored under the request id by the server, so a repeat gets it back unchanged. */
#include "calendar_svc_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_names.h"
#include "textfmt.h"
#include "cal_date.h"
#include "cal_str.h"
#include "clock.h"
#include "tender_cancel_ocds.h"
#include "tender_diff.h"
#include "tender_method.h"
#include "tender_util.h"

#define S_BODY "upsert_tenders"

/* A pack buffer that lives as long as the service: no malloc per row. */
static uint8_t *s_pack(calendar_svc_t *self, const Mvoi__Tender *t, size_t *len)
{
    *len = mvoi__tender__get_packed_size(t);
    if (*len > self->scratch_cap) {
        size_t cap = *len * 2 > 4096 ? *len * 2 : 4096;
        uint8_t *b = realloc(self->scratch, cap);
        if (!b)
            return NULL;
        self->scratch = b;
        self->scratch_cap = cap;
    }
    mvoi__tender__pack(t, self->scratch);
    return self->scratch;
}

/* Refuse item i: the error goes into its result, field "upsert_tenders.tenders[i].<rest>"
 * where rest is a rule's field without its "tender." prefix; message is in the command's
 * language already. */
static int s_refuse(server_req_t *req, Mvoi__UpsertResult *r, size_t i, int code,
                    const char *field, const char *message)
{
    char path[192];
    const char *rest = field ? field : "";
    if (strncmp(rest, "tender.", 7) == 0)
        rest += 7;
    else if (strcmp(rest, "tender") == 0)
        rest = "";
    snprintf(path, sizeof path, "%s.tenders[%zu]%s%s", S_BODY, i, *rest ? "." : "", rest);
    Mvoi__Error *e = server_alloc(req, sizeof *e);
    if (!e)
        return -ENOMEM;
    mvoi__error__init(e);
    e->has_code = 1;
    e->code = (Mvoi__ErrorCode)(code ? code : MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    e->field = server_strdup(req, path);
    e->message = server_strdup(req, message && *message ? message : "invalid");
    if (!e->field || !e->message)
        return -ENOMEM;
    r->error = e;
    r->has_outcome = 0;
    return 0;
}

/* s_refuse with the text of fmt (the English of a catalogue "tender.err." entry) in lang. */
static int __attribute__((format(printf, 7, 8)))
s_refusef(server_req_t *req, text_lang_t lang, Mvoi__UpsertResult *r, size_t i, int code,
          const char *field, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(msg, sizeof msg, lang, "tender.err.", fmt, ap);
    va_end(ap);
    return s_refuse(req, r, i, code, field, msg);
}

/* fmt (a catalogue "tender.err." English text) in lang into out. */
static void __attribute__((format(printf, 4, 5)))
s_text(char *out, size_t len, text_lang_t lang, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(out, len, lang, "tender.err.", fmt, ap);
    va_end(ap);
}

typedef struct {
    calendar_svc_t *self;
    server_req_t *req;
    MDB_txn *txn;
    const char *buyer;
    char today[11];
    int64_t now_ms;
    uint64_t last_seq;
    bool merge, apply_status, validate_only;
    text_lang_t lang;      /* UpsertTenders.lang: of the refusals and warnings */
    char *const *stated;   /* UpsertTenders.stated: with merge, unset = cleared */
    size_t n_stated;
} s_batch_t;

/* The event of an upsert: a status the source moved is a status change (or a cancellation,
 * which the notifier and the KPIs act on), anything else an update. */
static Mvoi__TenderEventKind s_kind(const Mvoi__Tender *t, const Mvoi__Tender *old)
{
    if (!old)
        return MVOI__TENDER_EVENT_KIND__TEV_REGISTERED;
    if (t->status == old->status)
        return MVOI__TENDER_EVENT_KIND__TEV_UPDATED;
    return t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED ? MVOI__TENDER_EVENT_KIND__TEV_CANCELLED
                                                              : MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED;
}

/* Write t (new, or the next version of old) and append its event. */
static int s_write(s_batch_t *b, Mvoi__Tender *t, const Mvoi__Tender *old,
                   Mvoi__UpsertResult *r)
{
    t->has_version = 1;
    t->version = old ? old->version + 1 : 1;
    t->has_created_ms = 1;
    t->created_ms = old && old->has_created_ms ? old->created_ms : b->now_ms;
    t->has_updated_ms = 1;
    t->updated_ms = b->now_ms;
    r->has_outcome = 1;
    r->outcome = old ? MVOI__UPSERT_OUTCOME__UPSERT_UPDATED : MVOI__UPSERT_OUTCOME__UPSERT_CREATED;
    r->has_version = 1;
    r->version = t->version;
    if (old) {
        /* the field names are static strings of the descriptor: nothing to copy */
        const char *names[40];
        int nc = tender_changed(old, t, names, 40);
        if (nc < 0)
            return -ENOMEM;
        r->changed = server_alloc(b->req, (size_t)(nc ? nc : 1) * sizeof(char *));
        if (!r->changed)
            return -ENOMEM;
        r->n_changed = nc < 40 ? (size_t)nc : 40;
        memcpy(r->changed, names, r->n_changed * sizeof(char *));
    }
    if (b->validate_only)
        return 0;   /* a preview: judged like the import, nothing written */
    size_t len;
    uint8_t *buf = s_pack(b->self, t, &len);
    if (!buf)
        return -ENOMEM;
    int rc = calendar_store_put(&b->self->cs, b->txn, t, buf, len, old);
    if (rc != 0)
        return rc;
    uint64_t seq = 0;
    rc = calendar_svc_emit(b->req, b->txn, s_kind(t, old), t, old, &seq);
    if (rc != 0)
        return rc;
    r->has_seq = 1;
    r->seq = seq;
    b->last_seq = seq;
    return 0;
}

/* The source's status (apply_status) moves the stored tender; t is the prepared new
 * content. A status equal to the stored one is no move. The source reports what happened,
 * so only the structural rules refuse: a completed or cancelled tender stays so, and a
 * tender never goes back. The plan's own conditions (kick-off before the ambition, the
 * ambition before publication: tender_transition_allowed) are not a reason to ignore what
 * TenderNed or the sheet says; when the move skips them, *warn says so. Returns 0, -EINVAL
 * with e (field tender.status) or -ENOMEM. */
static int s_apply_status(const Mvoi__Tender *in, const Mvoi__Tender *old, Mvoi__Tender *t,
                          tender_error_t *e, text_lang_t lang, char *warn, size_t warnlen)
{
    const int pre = MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION;
    if (!old || !in->has_status || in->status == MVOI__TENDER_STATUS__STATUS_UNSPECIFIED ||
        in->status == old->status)
        return 0;
    /* kickoff_scheduled and ambition_recorded are the calendar's own stages of a tender not
     * yet published; no sheet or TenderNed knows them, so their "planned" says the same thing
     * (not published) and is no move back: the row's other fields still count */
    if (in->status == MVOI__TENDER_STATUS__STATUS_PLANNED &&
        (old->status == MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED ||
         old->status == MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED))
        return 0;
    if (tender_status_terminal(old->status))
        return tender_error_set(e, -EINVAL, pre, "tender.status",
                                "the source says %s, but the tender is %s: no further changes",
                                tender_status_word(in->status), tender_status_word(old->status));
    if (in->status < old->status && in->status != MVOI__TENDER_STATUS__STATUS_CANCELLED)
        return tender_error_set(e, -EINVAL, pre, "tender.status",
                                "the source says %s, but the tender is already %s: a tender does "
                                "not go back", tender_status_word(in->status),
                                tender_status_word(old->status));
    tender_error_t cond = { 0 };
    if (tender_transition_allowed(old->status, in->status, t, &cond) < 0)
        s_text(warn, warnlen, lang, "%s -> %s by the source, although %.180s",
               tender_status_word(old->status), tender_status_word(in->status),
               tender_error_text(&cond, lang));
    t->has_status = 1;
    t->status = in->status;
    if (in->status == MVOI__TENDER_STATUS__STATUS_CANCELLED) {
        /* without the source's reason the fact is kept, not an English text: readers say
         * it in their language (tender_cancel.h) */
        bool none = cal_str_empty(in->cancel_reason);
        if (cal_str_set(&t->cancel_reason, none ? NULL : in->cancel_reason) < 0)
            return -ENOMEM;
        t->has_cancel_without_reason = none;
        t->cancel_without_reason = none;
        /* an OCDS release's facts (its id and date), said at output like the fact above */
        const Mvoi__OcdsCancellation *o = in->cancel_ocds;
        if (tender_cancel_ocds_set(t, !o, o ? o->release_id : NULL,
                                   o ? o->release_date : NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* The result's warning: a. the status move's (warn, may be ""), b. a stated procedure that
 * the thresholds contradict. */
static int s_warn(s_batch_t *b, const Mvoi__Tender *t, const char *warn, Mvoi__UpsertResult *r)
{
    thresholds_result_t tr;
    char pw[256] = "", all[520];
    if (!cal_str_empty(t->procurement_method) && !t->procedure_override && t->has_value_cents &&
        t->has_kind && thresholds_derive(b->self->th, t->kind, t->value_cents,
                                         t->planned_publication, b->today, &tr) == 0)
        tender_method_procedure_lang(t->procurement_method, t->procurement_method_details,
                                     tr.procedure, NULL, b->lang, pw, sizeof pw);
    if (!warn[0] && !pw[0])
        return 0;
    snprintf(all, sizeof all, "%s%s%s", warn, warn[0] && pw[0] ? "; " : "", pw);
    r->warning = server_strdup(b->req, all);
    return r->warning ? 0 : -ENOMEM;
}


/* Is t's source release older than the one the stored tender was taken from? Then it
 * would undo what the newer one says (a feed downloaded last month, imported after this
 * month's: its value and title were taken back, "updated"). Both dates were validated. */
static bool s_older_release(const Mvoi__Tender *t, const Mvoi__Tender *old)
{
    int64_t at, old_at;
    return !cal_str_empty(t->source_release_date) && !cal_str_empty(old->source_release_date) &&
           cal_date_instant_us(t->source_release_date, &at) == 0 &&
           cal_date_instant_us(old->source_release_date, &old_at) == 0 && at < old_at;
}

/* t (the prepared new content) against the stored tender old: 0 to write t; 1 when it is
 * done, r holding UNCHANGED or the refusal; -ENOMEM. Compared without the source release
 * date: a newer release that changes nothing is no change (not written, no event; a
 * cancelled or completed tender stays untouched), and an older one that changes nothing is
 * harmless. An older release that would change the tender is refused. */
static int s_against_stored(s_batch_t *b, size_t i, Mvoi__Tender *t, const Mvoi__Tender *old,
                            const MDB_val *old_packed, Mvoi__UpsertResult *r)
{
    /* compare with the stored bytes, version and stamps copied from old */
    t->has_version = old->has_version;
    t->version = old->version;
    t->has_created_ms = old->has_created_ms;
    t->created_ms = old->created_ms;
    t->has_updated_ms = old->has_updated_ms;
    t->updated_ms = old->updated_ms;
    char *release = t->source_release_date;
    t->source_release_date = old->source_release_date;   /* borrowed for the compare */
    size_t len;
    uint8_t *buf = s_pack(b->self, t, &len);
    t->source_release_date = release;
    if (!buf)
        return -ENOMEM;
    if (len == old_packed->mv_size && memcmp(buf, old_packed->mv_data, len) == 0) {
        r->has_outcome = 1;
        r->outcome = MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED;
        r->has_version = 1;
        r->version = old->version;
        return 1;
    }
    int rc = 0;
    if (s_older_release(t, old))
        rc = s_refusef(b->req, b->lang, r, i, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                       "tender.source_release_date", "the source's release of %s is older than "
                       "the one the tender was taken from (%s): it would undo what that one "
                       "says", t->source_release_date, old->source_release_date);
    else if (tender_status_terminal(old->status))
        /* the whole id: ids are bounded (MVOI_ID_MAX), s_refusef's text holds them */
        rc = s_refusef(b->req, b->lang, r, i, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                       "tender.id", "tender %s is %s: no further changes", t->id,
                       tender_status_word(old->status));
    else
        return 0;
    return rc < 0 ? rc : 1;
}

/* One tender. Returns 0 (done or refused in r->error) or a storage error / -ENOMEM, which
 * aborts the whole command. */
static int s_item(s_batch_t *b, size_t i, const Mvoi__Tender *in, Mvoi__UpsertResult *r)
{
    server_req_t *req = b->req;
    if (!in || cal_str_empty(in->id))
        return s_refusef(req, b->lang, r, i, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "tender.id",
                         "required");
    r->id = in->id;   /* the request outlives its packed reply */
    Mvoi__Tender *old = NULL;
    MDB_val old_packed = { 0, NULL };
    int rc = calendar_svc_load(b->self, b->txn, b->buyer, in->id, &old, &old_packed);
    if (rc != 0)
        return rc;
    tender_error_t e = { 0 };
    Mvoi__Tender *t = NULL, *merged = NULL;
    if (b->merge && old) {
        const char *pf = NULL;
        if (tender_stated_person_check(old, in, b->stated, b->n_stated, &pf) < 0) {
            char field[64];
            snprintf(field, sizeof field, "tender.%s.email", pf);
            tender_free(old);
            return s_refusef(req, b->lang, r, i, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                             field, "the source names another %s but states no e-mail: "
                             "the stored address belongs to the previous one", pf);
        }
        /* the stored tender's own derived fields are recomputed by prepare */
        merged = b->n_stated ? tender_merge_stated(old, in, b->stated, b->n_stated)
                             : tender_merge(old, in);
        if (!merged) {
            tender_free(old);
            return -ENOMEM;
        }
    }
    char warn[256] = "";
    rc = calendar_svc_prepare(b->self, b->buyer, merged ? merged : in, old, b->today, true,
                              &t, &e);
    if (rc == 0 && b->apply_status)
        rc = s_apply_status(in, old, t, &e, b->lang, warn, sizeof warn);
    /* a row must not undo a recorded ambition (a sheet without the themes column), unless
     * it cancels the tender: the source's cancellation is taken as it comes */
    if (rc == 0 && t->status != MVOI__TENDER_STATUS__STATUS_CANCELLED &&
        tender_ambition_kept(old, t, &e) < 0)
        rc = -EINVAL;
    tender_free(merged);
    if (rc == -EINVAL) {
        tender_free(t);
        tender_free(old);
        return s_refuse(req, r, i, e.code, e.field, tender_error_text(&e, b->lang));
    }
    if (rc < 0 || (rc = s_warn(b, t, warn, r)) < 0) {
        tender_free(t);
        tender_free(old);
        return rc;
    }
    if (old && (rc = s_against_stored(b, i, t, old, &old_packed, r)) != 0) {
        rc = rc < 0 ? rc : 0;   /* 1: unchanged or refused, in r */
        goto out;
    }
    rc = s_write(b, t, old, r);
out:
    tender_free(t);
    tender_free(old);
    return rc;
}

int calendar_svc_on_upsert_batch(void *arg, server_req_t *req, MDB_txn *txn)
{
    calendar_svc_t *self = arg;
    const Mvoi__UpsertTenders *m = server_request(req)->upsert_tenders;
    const char *buyer = calendar_svc_buyer(req);
    if (!buyer)
        return -EINVAL;
    /* the body's lang wins over the envelope's (proto/envelope.proto); refused by name,
     * never guessed (as SubmitMeasurements) */
    text_lang_t lang = calendar_svc_lang(req);
    if (m && m->lang && *m->lang && text_lang_parse(m->lang, &lang) != 0) {
        char shown[17];
        textfmt_shown(m->lang, shown);
        return calendar_svc_error(req, calendar_svc_lang(req),
                                  MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, S_BODY ".lang",
                                  "'%.16s' is not a language: nl or en", shown);
    }
    char msg[160];
    size_t n = m ? m->n_tenders : 0;
    if (n == 0) {
        s_text(msg, sizeof msg, lang, "required: 1 to %d tenders", CALENDAR_UPSERT_BATCH_MAX);
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, S_BODY ".tenders",
                            "%s", msg);
    }
    if (n > CALENDAR_UPSERT_BATCH_MAX) {
        s_text(msg, sizeof msg, lang, "%zu tenders; at most %d per command", n,
               CALENDAR_UPSERT_BATCH_MAX);
        return server_error(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, S_BODY ".tenders",
                            "%s", msg);
    }
    for (size_t i = 0; i < m->n_stated; i++)   /* a name not known would be kept, not cleared */
        if (!tender_stated_known(m->stated[i])) {
            s_text(msg, sizeof msg, lang, "'%.64s' is not a tender field",
                   m->stated[i] ? m->stated[i] : "");
            return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, S_BODY ".stated",
                                "%s", msg);
        }
    /* one allocation for the reply's results: it is freed after the reply was sent */
    Mvoi__UpsertTendersReply *rep = server_alloc(req, sizeof *rep + n * sizeof(void *) +
                                                          n * sizeof(Mvoi__UpsertResult));
    if (!rep)
        return -ENOMEM;
    mvoi__upsert_tenders_reply__init(rep);
    rep->results = (Mvoi__UpsertResult **)(rep + 1);
    Mvoi__UpsertResult *res = (Mvoi__UpsertResult *)(rep->results + n);
    s_batch_t b = { .self = self, .req = req, .txn = txn, .buyer = buyer,
                    .merge = m->has_merge && m->merge,
                    .apply_status = m->has_apply_status && m->apply_status,
                    .validate_only = m->has_validate_only && m->validate_only,
                    .lang = lang,
                    .stated = m->stated, .n_stated = m->n_stated };
    b.now_ms = clock_now_ms();
    calendar_today(b.now_ms, b.today);
    for (size_t i = 0; i < n; i++) {
        mvoi__upsert_result__init(&res[i]);
        rep->results[i] = &res[i];
        int rc = s_item(&b, i, m->tenders[i], &res[i]);
        if (rc != 0)
            return rc;
    }
    rep->n_results = n;
    if (b.last_seq) {
        rep->has_seq = 1;
        rep->seq = b.last_seq;
    }
    Mvoi__Envelope *env = server_reply(req);
    env->body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS_REPLY;
    env->upsert_tenders_reply = rep;
    return 0;
}
