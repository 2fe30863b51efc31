/*  nt_api: the notifier's ROUTER: list, get, resend and cancel reminders; readiness. */
#include "mvoi_contract.h"
#include "nt_service_int.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "feed.h"
#include "log.h"
#include "mvoi_error.h"
#include "server.h"

/* The request's buyer, or NULL for an operator's request that names none (server_auth.c
 * lets only a key for every buyer send that). */
static const char *s_buyer(server_req_t *req)
{
    const char *b = server_request(req)->buyer;
    return b && *b ? b : NULL;
}

/* Is r visible to the request? A buyer's request sees that buyer's reminders only (not
 * another buyer's, nor the plan-wide ones of no buyer); an operator's sees every one. */
static bool s_visible(server_req_t *req, const Mvoi__Reminder *r)
{
    const char *b = s_buyer(req);
    return !b || (r->buyer && strcmp(r->buyer, b) == 0);
}

/* Is the record under id, which does not decode, one the request may see? Its buyer is
 * not readable, but its id starts with it (nt_create.c s_key: the buyer %-escaped, "/"):
 * another buyer's damaged record is not this buyer's to be told of, nor its id. */
static bool s_damaged_visible(server_req_t *req, const char *id)
{
    const char *b = s_buyer(req);
    char esc[200];
    if (!b)
        return true;
    size_t el = nt_plan_esc(esc, sizeof esc, b) == 0 ? strlen(esc) : 0;
    return el && strncmp(id, esc, el) == 0 && id[el] == '/';
}

/* A list without a record it should hold would be taken for the whole: a coordinator
 * checking "all reminders of this tender" (mvoictl reminders list --tender, the gateway)
 * would miss one copy with no sign of it, and its state is unreadable too, so no filter can
 * say it is left out rightly. So the list is refused by name (MVOI_E_UNDECODABLE and the
 * id), not answered short with a mark "incomplete": a mark works only where every client
 * shows it, and one that did not would present the short list as whole. With the id the
 * operator restores the record (nt_damaged.c); the list answers again after that. */
static int s_refuse_damaged(server_req_t *req, const char *what, const char *id, bool list)
{
    const char *kv[] = { "request", what, "reminder.id", id, "error",
                         mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "undecodable_refused", kv, "%s refused: the stored reminder %s does "
             "not decode", what, id);
    if (list)
        return server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "id", "%s: the stored "
                            "reminder %s does not decode; a list without it would be "
                            "incomplete", mvoi_errname(MVOI_E_UNDECODABLE), id);
    return server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "id", "%s: the stored reminder "
                        "%s does not decode", mvoi_errname(MVOI_E_UNDECODABLE), id);
}

/* The record a request names: by its id, or by former_id, an id it had before the
 * migration stored it again (nt_migrate_former). */
static int s_req_get(nt_service_t *s, server_req_t *req, MDB_txn *txn, const char *id,
                     const char *former, Mvoi__Reminder **out)
{
    char now[NT_STORE_ID_MAX + 1];
    bool by_former = (!id || !*id) && former && *former;
    int rc = by_former ? nt_migrate_former(s, txn, former, now, sizeof now) : 0;
    if (by_former && rc == 0)
        id = now;
    if (!by_former && (!id || !*id))
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "id", "is required");
    if (rc == 0)
        rc = nt_store_get(s, txn, id, out);
    if (rc == -EIO && s_damaged_visible(req, id))
        return s_refuse_damaged(req, "reminder", id, false);
    if (rc == -EIO)
        rc = MDB_NOTFOUND;   /* another buyer's: as if there were none, as below */
    if (rc == 0 && !s_visible(req, *out)) {
        /* answered as if there were none: another buyer's ids are not this buyer's to probe
         * (nor the id another buyer's record has now) */
        mvoi__reminder__free_unpacked(*out, NULL);
        *out = NULL;
        rc = MDB_NOTFOUND;
    }
    if (rc == MDB_NOTFOUND && by_former)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "former_id",
                            "no reminder was stored again under another id from %s", former);
    if (rc == MDB_NOTFOUND)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "id", "no reminder %s", id);
    return rc;
}

static void *s_req_alloc(void *req, size_t size) { return server_alloc(req, size); }
static void s_req_free(void *req, void *p)
{
    (void)req;
    (void)p;   /* freed with the request */
}

static void s_reply_reminder(server_req_t *req, Mvoi__Reminder *r)
{
    Mvoi__Envelope *e = server_reply(req);
    /* A deep copy in the request's memory (freed after the reply): the record nests the
     * tender, attendees and changes. */
    size_t len = mvoi__reminder__get_packed_size(r);
    uint8_t *buf = server_alloc(req, len ? len : 1);
    mvoi__reminder__pack(r, buf);
    ProtobufCAllocator al = { s_req_alloc, s_req_free, req };
    Mvoi__Reminder *c = mvoi__reminder__unpack(&al, len, buf);
    if (!c)
        return;
    if (e->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST) {
        Mvoi__ReminderList *l = e->reminder_list;
        l->reminders[l->n_reminders++] = c;
    } else {
        e->body_case = MVOI__ENVELOPE__BODY_REMINDER;
        e->reminder = c;
    }
}

static int s_on_get(void *arg, server_req_t *req, MDB_txn *txn)
{
    nt_service_t *s = arg;
    const Mvoi__GetReminder *g = server_request(req)->get_reminder;
    Mvoi__Reminder *r = NULL;
    int rc = s_req_get(s, req, txn, g->id, g->former_id, &r);
    if (rc)
        return rc;
    s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    return 0;
}

/* The record at a list's cursor: of the "bytender" key k after its prefix of pl bytes
 * (pl > 0), else of the "rem" entry k, v. 0 with *r; 1 to pass over (another buyer's
 * damaged record, an index entry whose record is gone); else the list fails: refused by
 * name (s_refuse_damaged) or out of memory, never a record left out without a word. */
static int s_list_record(nt_service_t *s, server_req_t *req, MDB_txn *txn, size_t pl,
                         const MDB_val *k, const MDB_val *v, Mvoi__Reminder **r)
{
    char id[512];
    _Static_assert(sizeof id > 511, "every key's id fits whole (LMDB: 511 bytes at most)");
    const MDB_val *ik = k;
    MDB_val part;
    if (pl) {
        part = (MDB_val){ k->mv_size - pl, (char *)k->mv_data + pl };
        ik = &part;
    }
    if (ik->mv_size >= sizeof id)
        return -ENAMETOOLONG;
    memcpy(id, ik->mv_data, ik->mv_size);
    id[ik->mv_size] = 0;
    int rc = pl ? nt_store_get(s, txn, id, r) : nt_store_unpack(v, r);
    /* by tender, the key names the request's buyer: a damaged record there is its own */
    if (rc == -EIO && (pl || s_damaged_visible(req, id)))
        return s_refuse_damaged(req, "list_reminders", id, true);
    return rc == -EIO || rc == MDB_NOTFOUND ? 1 : rc;
}

static int s_on_list(void *arg, server_req_t *req, MDB_txn *txn)
{
    nt_service_t *s = arg;
    const Mvoi__ListReminders *q = server_request(req)->list_reminders;
    uint32_t limit = q->has_limit && q->limit ? q->limit : 50;
    if (limit > 1000)
        limit = 1000;
    uint32_t offset = q->has_offset ? q->offset : 0;
    bool by_tender = q->tender_id && *q->tender_id;
    /* Tender ids are per buyer, and the index is buyer NUL tender: without a buyer the
     * range would be empty, a silent wrong answer for a tender every buyer may have. */
    if (by_tender && !s_buyer(req))
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                            "tender ids are per buyer: name the buyer whose tender %.128s "
                            "is meant", q->tender_id);
    Mvoi__Envelope *e = server_reply(req);
    Mvoi__ReminderList *l = server_alloc(req, sizeof *l);
    mvoi__reminder_list__init(l);
    l->reminders = server_alloc(req, limit * sizeof *l->reminders);
    e->body_case = MVOI__ENVELOPE__BODY_REMINDER_LIST;
    e->reminder_list = l;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, by_tender ? s->bytender : s->rem, &c);
    if (rc)
        return rc;
    /* By tender: the key range buyer NUL tender NUL of the request's buyer. */
    const char *buyer = server_request(req)->buyer ? server_request(req)->buyer : "";
    size_t bl = strlen(buyer), tl = by_tender ? strlen(q->tender_id) : 0;
    char kb[600];
    MDB_val k = { 0, NULL }, v;
    MDB_cursor_op op = MDB_FIRST;
    if (by_tender) {
        if (bl + tl + 2 > sizeof kb) {
            mdb_cursor_close(c);
            return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "tender_id",
                                "buyer and tender id together exceed %zu bytes", sizeof kb - 2);
        }
        memcpy(kb, buyer, bl);
        kb[bl] = 0;
        memcpy(kb + bl + 1, q->tender_id, tl);
        kb[bl + 1 + tl] = 0;
        tl = bl + 1 + tl;   /* the prefix without its final NUL */
        k = (MDB_val){ tl + 1, kb };
        op = MDB_SET_RANGE;
    }
    uint32_t matched = 0;
    for (rc = mdb_cursor_get(c, &k, &v, op); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Mvoi__Reminder *r = NULL;
        if (by_tender && (k.mv_size < tl + 1 || memcmp(k.mv_data, kb, tl + 1) != 0))
            break;
        int lrc = s_list_record(s, req, txn, by_tender ? tl + 1 : 0, &k, &v, &r);
        if (lrc == 1)
            continue;
        if (lrc) {
            rc = lrc;
            break;
        }
        bool ok = !(q->has_state && q->state && r->state != q->state) && s_visible(req, r);
        if (ok) {
            if (matched >= offset && l->n_reminders < limit)
                s_reply_reminder(req, r);
            matched++;
        }
        mvoi__reminder__free_unpacked(r, NULL);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return rc;   /* refused by name, or failed: never a list short of a record */
    l->has_total = true;
    l->total = matched;
    l->has_next_offset = true;
    l->next_offset = offset + l->n_reminders < matched ? offset + (uint32_t)l->n_reminders : 0;
    return 0;
}

static int s_emit_req(server_req_t *req, MDB_txn *txn, const char *topic, Mvoi__Reminder *r)
{
    Mvoi__ReminderEvent re = MVOI__REMINDER_EVENT__INIT;
    re.reminder = r;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_REMINDER_EVENT;
    ev.reminder_event = &re;
    ev.buyer = r->buyer;
    return server_emit(req, txn, topic, &ev, NULL);
}

static int s_on_resend(void *arg, server_req_t *req, MDB_txn *txn)
{
    nt_service_t *s = arg;
    const Mvoi__ResendReminder *q = server_request(req)->resend_reminder;
    Mvoi__Reminder *r = NULL;
    int rc = s_req_get(s, req, txn, q->id, q->former_id, &r);
    if (rc)
        return rc;
    if (r->state != ST(DEAD) && r->state != ST(CANCELLED) && r->state != ST(UNCONFIRMED)) {
        mvoi__reminder__free_unpacked(r, NULL);
        return server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "id",
                            "only dead, unconfirmed or cancelled reminders can be resent");
    }
    r->state = ST(SCHEDULED);
    r->attempts = 0;
    r->has_first_failure_ms = false;   /* its retry lifetime starts again */
    r->has_next_attempt_ms = true;
    r->next_attempt_ms = clock_now_ms();
    if (!(rc = nt_store_put(s, txn, r)) && !(rc = s_emit_req(req, txn, mvoi_topic_notify(MVOI_NOTIFY_SCHEDULED), r)))
        s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    nt_deliver_kick(s);
    return rc;
}

static int s_on_cancel(void *arg, server_req_t *req, MDB_txn *txn)
{
    nt_service_t *s = arg;
    const Mvoi__CancelReminder *q = server_request(req)->cancel_reminder;
    Mvoi__Reminder *r = NULL;
    int rc = s_req_get(s, req, txn, q->id, q->former_id, &r);
    if (rc)
        return rc;
    if (!nt_store_active(r->state) && r->state != ST(DEAD) && r->state != ST(UNCONFIRMED)) {
        mvoi__reminder__free_unpacked(r, NULL);
        return server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "id",
                            "only scheduled, retrying, dead or unconfirmed reminders can be "
                            "cancelled");
    }
    r->state = ST(CANCELLED);
    r->has_next_attempt_ms = false;
    nt_store_set_error(r, q->reason && *q->reason ? q->reason : "cancelled by an operator");
    if (!(rc = nt_store_put(s, txn, r)) && !(rc = s_emit_req(req, txn, mvoi_topic_notify(MVOI_NOTIFY_CANCELLED), r)))
        s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    return rc;
}

/* Ready: the calendar feed caught up and heard from within the grace. */
bool nt_api_ready(void *arg)
{
    nt_service_t *s = arg;
    return s->feed && feed_ready(s->feed, s->grace_ms);
}

const server_route_t nt_api_routes[] = {
    { MVOI__ENVELOPE__BODY_LIST_REMINDERS, SERVER_QUERY, s_on_list },
    { MVOI__ENVELOPE__BODY_GET_REMINDER, SERVER_QUERY, s_on_get },
    { MVOI__ENVELOPE__BODY_RESEND_REMINDER, SERVER_COMMAND, s_on_resend },
    { MVOI__ENVELOPE__BODY_CANCEL_REMINDER, SERVER_COMMAND, s_on_cancel },
};
const size_t nt_api_nroutes = sizeof nt_api_routes / sizeof nt_api_routes[0];
