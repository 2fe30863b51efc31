/*  nt_service: see nt_service.h. */
#include "nt_service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "clock.h"
#include "feed.h"
#include "inbox.h"
#include "log.h"
#include "nt_cal.h"
#include "nt_retry.h"
#include "nt_send.h"
#include "outbox.h"
#include "pbjson.h"
#include "server.h"
#include "store.h"

#define K(x) MVOI__REMINDER_KIND__REM_##x
#define ST(x) MVOI__DELIVERY_STATE__DELIVERY_##x
#define MAX_RCPT 16
#define PICK_MAX 256

const cfg_spec_t nt_config_specs[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7401", "ROUTER endpoint (queries, commands, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7402", "PUB endpoint (notify.* events)" },
    { "calendar_api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "calendar ROUTER (replay)" },
    { "calendar_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "calendar PUB (tender events)" },
    { "smtp_url", CFG_STRING, "", "smtp://host:587 or smtps://host:465; empty = write .eml files to <data_dir>/notifier/outbox-mail" },
    { "smtp_user", CFG_STRING, "", "SMTP AUTH user (empty = no AUTH)" },
    { "smtp_password", CFG_SECRET, "", "SMTP AUTH password (use MVOI_NOTIFIER_SMTP_PASSWORD_FILE)" },
    { "smtp_starttls", CFG_BOOL, "false", "require STARTTLS" },
    { "mail_from", CFG_STRING, "mvoi-noreply@example.org", "sender address (From, MAIL FROM)" },
    { "organizer", CFG_STRING, "mvoi-coordinator@example.org", "ORGANIZER of kick-off invitations" },
    { "policy_adviser", CFG_STRING, "beleidsadviseur-mvoi@example.org", "invited to every kick-off (and SDG dialogues)" },
    { "mvoi_coordinator", CFG_STRING, "mvoi-coordinator@example.org", "invited to every kick-off (and SDG dialogues)" },
    { "core_team", CFG_STRING, "mvoi-kernteam@example.org", "quarterly KPI-report reminder; empty = none" },
    { "location", CFG_STRING, "", "LOCATION of kick-off sessions (e.g. a room or a meeting link)" },
    { "webhook_url", CFG_STRING, "", "also POST every notification here (empty = no webhook)" },
    { "webhook_secret", CFG_SECRET, "", "Standard Webhooks secret (whsec_<base64> or raw)" },
    { "webhook_template", CFG_STRING, "plain", "plain, teams (Workflows Adaptive Card) or slack" },
    { "lang", CFG_STRING, "nl", "language of mails: nl or en" },
    { "holidays", CFG_STRING, "", "holiday CSV; empty = the shipped data/holidays-nl.csv" },
    { "kickoff_lead_days", CFG_INT, "21", "kick-off this many days before planned publication", 0, 365 },
    { "kickoff_hour", CFG_INT, "10", "kick-off start hour (Europe/Amsterdam)", 8, 16 },
    { "kickoff_minutes", CFG_INT, "60", "kick-off duration", 15, 480 },
    { "reminder_days_before", CFG_INT, "2", "kick-off reminder, working days before (0 = none)", 0, 30 },
    { "reminder_hour", CFG_INT, "9", "hour at which reminders go out", 7, 17 },
    { "ambition_reminder_interval_days", CFG_INT, "7", "days between ambition reminders", 1, 365 },
    { "escalation_after_reminders", CFG_INT, "2", "escalate to the budget holder after this many", 0, 100 },
    { "ambition_max_reminders", CFG_INT, "10", "stop ambition reminders after this many", 1, 1000 },
    { "measurement_interval_months", CFG_INT, "3", "measurement period (3 = calendar quarters)", 1, 12 },
    { "alarm_minutes", CFG_INT, "15", "VALARM before the kick-off", 0, 1440 },
    { "retry_base_ms", CFG_INT, "5000", "first retry cap (full jitter, doubling)", 10, 3600000 },
    { "retry_max_ms", CFG_INT, "1800000", "retry cap", 10, 86400000 },
    { "max_attempts", CFG_INT, "12", "attempts before a notification is dead", 1, 1000 },
    { "max_inflight", CFG_INT, "8", "concurrent deliveries", 1, 256 },
    { "tick_ms", CFG_INT, "1000", "how often due reminders are looked for", 10, 60000 },
    { "upstream_grace_ms", CFG_INT, "10000",
      "not ready (--healthcheck=ready fails) when the calendar is silent this long",
      100, 3600000 },
    { "fake_clock_file", CFG_STRING, "", "TEST HOOK: file holding the current time in Unix ms, re-read every 20 ms; never set in production" },
};
const int nt_config_count = sizeof nt_config_specs / sizeof nt_config_specs[0];

struct nt_service_t {
    uint64_t grace_ms;          /* readiness: calendar heard from within this */
    uv_loop_t *loop;
    bus_ctx_t *bus;
    store_t *store;
    outbox_t *outbox;
    inbox_t *inbox;
    server_t *server;
    feed_t *feed;
    nt_sender_t *sender;
    nt_cal_t *cal;
    nt_rules_cfg_t rules;
    nt_msg_cfg_t msg;
    nt_template_t tpl;
    MDB_dbi rem, due, sending, bytender, tenders, nmeta;
    uv_timer_t tick, clock_timer, drain;
    bool clock_timer_on, stopping, closed;
    char *fake_clock;
    int64_t retry_base, retry_max;
    unsigned max_attempts, max_inflight;
    int tick_ms;
    bool webhook;
    char *policy_adviser, *coordinator, *core_team, *mail_from, *organizer, *location;
    char maildir[4096];
};

/* ------------------------------------------------------------------ storage helpers */

static bool s_active(Mvoi__DeliveryState st) { return st == ST(SCHEDULED) || st == ST(RETRYING); }
static bool s_final(Mvoi__DeliveryState st)
{
    return st == ST(SENT) || st == ST(DEAD) || st == ST(CANCELLED);
}

static int64_t s_index_time(const Mvoi__Reminder *r)
{
    return r->has_next_attempt_ms ? r->next_attempt_ms : r->due_ms;
}

static MDB_val s_due_key(uint8_t *buf, size_t cap, int64_t t, const char *id)
{
    size_t n = strlen(id);
    if (n > cap - 8)
        n = cap - 8;
    store_be64s(buf, t);
    memcpy(buf + 8, id, n);
    return (MDB_val){ 8 + n, buf };
}

static MDB_val s_bt_key(char *buf, size_t cap, const char *tender, const char *id)
{
    int n = snprintf(buf, cap, "%s%c%s", tender ? tender : "", 0, id);
    return (MDB_val){ (size_t)n < cap ? (size_t)n : cap - 1, buf };
}

static int s_get(nt_service_t *s, MDB_txn *txn, const char *id, Mvoi__Reminder **out)
{
    MDB_val k = { strlen(id), (void *)id }, v;
    *out = NULL;
    int rc = mdb_get(txn, s->rem, &k, &v);
    if (rc)
        return rc;
    *out = mvoi__reminder__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0 : -EIO;
}

static int s_put(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r)
{
    uint8_t kb[512];
    MDB_val k = { strlen(r->id), r->id }, v;
    Mvoi__Reminder *old = NULL;
    int rc = s_get(s, txn, r->id, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (old) {
        if (s_active(old->state)) {
            MDB_val dk = s_due_key(kb, sizeof kb, s_index_time(old), old->id);
            mdb_del(txn, s->due, &dk, NULL);
        }
        if (old->state == ST(SENDING))
            mdb_del(txn, s->sending, &k, NULL);
        mvoi__reminder__free_unpacked(old, NULL);
    }
    size_t len = mvoi__reminder__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    mvoi__reminder__pack(r, buf);
    v = (MDB_val){ len, buf };
    rc = mdb_put(txn, s->rem, &k, &v, 0);
    free(buf);
    if (rc)
        return rc;
    MDB_val empty = { 0, "" };
    if (s_active(r->state)) {
        MDB_val dk = s_due_key(kb, sizeof kb, s_index_time(r), r->id);
        if ((rc = mdb_put(txn, s->due, &dk, &empty, 0)))
            return rc;
    }
    if (r->state == ST(SENDING) && (rc = mdb_put(txn, s->sending, &k, &empty, 0)))
        return rc;
    char bb[600];
    MDB_val bk = s_bt_key(bb, sizeof bb, r->tender_id, r->id);
    return mdb_put(txn, s->bytender, &bk, &empty, 0);
}

static int s_emit(nt_service_t *s, MDB_txn *txn, const char *topic, Mvoi__Reminder *r)
{
    Mvoi__ReminderEvent re = MVOI__REMINDER_EVENT__INIT;
    re.reminder = r;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_REMINDER_EVENT;
    ev.reminder_event = &re;
    ev.buyer = r->buyer;
    return outbox_append(s->outbox, txn, topic, &ev, NULL);
}

static const char *s_kind_name(Mvoi__ReminderKind k)
{
    const char *n = pbjson_enum_short(&mvoi__reminder_kind__descriptor, (int)k);
    return n ? n : "unknown";
}

static int s_load_tender(nt_service_t *s, MDB_txn *txn, const char *id, Mvoi__NotifierTender **out)
{
    MDB_val k = { strlen(id), (void *)id }, v;
    *out = NULL;
    int rc = mdb_get(txn, s->tenders, &k, &v);
    if (rc)
        return rc;
    *out = mvoi__notifier_tender__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0 : -EIO;
}

static int s_save_tender(nt_service_t *s, MDB_txn *txn, const Mvoi__NotifierTender *nt)
{
    size_t len = mvoi__notifier_tender__get_packed_size(nt);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    mvoi__notifier_tender__pack(nt, buf);
    MDB_val k = { strlen(nt->tender->id), nt->tender->id }, v = { len, buf };
    int rc = mdb_put(txn, s->tenders, &k, &v, 0);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ planning */

typedef struct {
    char *v[MAX_RCPT];
    size_t n;
} s_rcpts_t;

static void s_rcpt(s_rcpts_t *l, const char *email)
{
    if (!email || !*email || !strchr(email, '@') || l->n == MAX_RCPT)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], email) == 0)
            return;
    l->v[l->n++] = (char *)email;
}

static const char *s_email(const Mvoi__Person *p) { return p ? p->email : NULL; }

static void s_rcpts_for(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind k,
                        s_rcpts_t *l)
{
    l->n = 0;
    switch (k) {
    case K(KICKOFF_INVITATION):
    case K(KICKOFF_REMINDER):
    case K(KICKOFF_CANCELLED):
        s_rcpt(l, s_email(t->project_leader));
        s_rcpt(l, s_email(t->budget_holder));
        s_rcpt(l, s_email(t->procurement_adviser));
        s_rcpt(l, s->policy_adviser);
        s_rcpt(l, s->coordinator);
        break;
    case K(AMBITION_ESCALATION):
        s_rcpt(l, s_email(t->budget_holder));
        s_rcpt(l, s_email(t->project_leader));
        break;
    case K(SDG_DIALOGUE):
        s_rcpt(l, s_email(t->project_leader));
        s_rcpt(l, s->policy_adviser);
        s_rcpt(l, s->coordinator);
        break;
    case K(QUARTERLY_REPORT):
        s_rcpt(l, s->core_team);
        break;
    default:   /* ambition missing, measurement requests */
        s_rcpt(l, s_email(t->project_leader));
        if (!l->n)
            s_rcpt(l, s_email(t->procurement_adviser));
    }
}

typedef struct {
    const Mvoi__Tender *t;
    Mvoi__ReminderKind kind;
    uint32_t ordinal, version;
    int64_t due_ms, meeting_start, meeting_end, now;
    uint32_t sequence;
    const char *uid, *title;
} s_new_t;

/* Creates the reminder (and its webhook twin); skips an id that already exists. */
static int s_create(nt_service_t *s, MDB_txn *txn, const s_new_t *n)
{
    s_rcpts_t l;
    if (n->t)
        s_rcpts_for(s, n->t, n->kind, &l);
    else
        s_rcpts_for(s, &(Mvoi__Tender)MVOI__TENDER__INIT, n->kind, &l);
    if (!l.n)
        return 0;   /* nobody to tell */
    const char *tid = n->t && n->t->id ? n->t->id : "";
    char key[512], mid[200];
    snprintf(key, sizeof key, "%s/%s/%u/v%u", *tid ? tid : "_", s_kind_name(n->kind),
             n->ordinal, n->version);
    for (int ch = 0; ch < (s->webhook ? 2 : 1); ch++) {
        char id[540];
        snprintf(id, sizeof id, "%s%s", key, ch ? "#webhook" : "");
        MDB_val k = { strlen(id), id }, v;
        int rc = mdb_get(txn, s->rem, &k, &v);
        if (rc == 0)
            continue;
        if (rc != MDB_NOTFOUND)
            return rc;
        Mvoi__Reminder r = MVOI__REMINDER__INIT;
        r.id = id;
        r.buyer = n->t ? n->t->buyer : NULL;
        r.tender_id = (char *)tid;
        r.has_kind = true;
        r.kind = n->kind;
        r.has_due_ms = true;
        r.due_ms = n->due_ms;
        r.n_recipients = l.n;
        r.recipients = l.v;
        r.has_state = true;
        r.state = ST(SCHEDULED);
        r.has_attempts = true;
        r.has_sequence = true;
        r.sequence = n->sequence;
        r.channel = ch ? "webhook" : "mail";
        r.has_created_ms = true;
        r.created_ms = n->now;
        r.has_ordinal = true;
        r.ordinal = n->ordinal;
        r.has_schedule_version = true;
        r.schedule_version = n->version;
        r.title = (char *)(n->title ? n->title : (n->t && n->t->title ? n->t->title : ""));
        if (n->meeting_start) {
            r.has_meeting_start_ms = r.has_meeting_end_ms = true;
            r.meeting_start_ms = n->meeting_start;
            r.meeting_end_ms = n->meeting_end;
        }
        r.uid = (char *)n->uid;
        nt_msg_message_id(mid, sizeof mid, key, s->mail_from);
        r.message_id = mid;
        char *subj = NULL, *text = NULL;
        if (nt_msg_render(&s->msg, &r, &subj, &text) == 0)
            r.subject = subj;
        rc = s_put(s, txn, &r);
        if (!rc)
            rc = s_emit(s, txn, "notify.scheduled", &r);
        free(subj);
        free(text);
        if (rc)
            return rc;
    }
    return 0;
}

typedef int (s_each_fn)(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg);

/* Calls fn for every reminder of a tender (ids collected first, so fn may write). */
static int s_each_of_tender(nt_service_t *s, MDB_txn *txn, const char *tender, s_each_fn *fn,
                            void *arg)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->bytender, &c);
    if (rc)
        return rc;
    size_t tl = strlen(tender);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    char kb[600];
    memcpy(kb, tender, tl < 500 ? tl : 500);
    kb[tl] = 0;
    MDB_val k = { tl + 1, kb }, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < tl + 1 || memcmp(k.mv_data, tender, tl) != 0 ||
            ((char *)k.mv_data)[tl] != 0)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = realloc(ids, cap * sizeof *ids);
        }
        ids[n++] = strndup((char *)k.mv_data + tl + 1, k.mv_size - tl - 1);
    }
    mdb_cursor_close(c);
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        Mvoi__Reminder *r = NULL;
        if (rc == 0 && s_get(s, txn, ids[i], &r) == 0) {
            rc = fn(s, txn, r, arg);
            mvoi__reminder__free_unpacked(r, NULL);
        }
        free(ids[i]);
    }
    free(ids);
    return rc;
}

/* Replace an unpacked reminder's last_error (freed with the message). */
static void s_set_error(Mvoi__Reminder *r, const char *why)
{
    free(r->last_error);
    r->last_error = why ? strdup(why) : NULL;
}

static int s_cancel(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const char *why)
{
    r->state = ST(CANCELLED);
    s_set_error(r, why);
    r->has_next_attempt_ms = false;
    int rc = s_put(s, txn, r);
    return rc ? rc : s_emit(s, txn, "notify.cancelled", r);
}

typedef struct {
    const nt_due_t *plan;
    int nplan;
    bool *present;
    uint32_t kickoff_seq;
    bool kickoff_off;        /* cancel pending invitations / kick-off reminders */
    bool ambition_off;
    bool all_off;
    bool invited;            /* out: some invitation was sent or is being sent */
    bool ambition_active;    /* out */
    bool ambition_sent;      /* out: some ambition reminder reached a final state */
} s_sync_t;

static bool s_planned_kind(Mvoi__ReminderKind k)
{
    return k == K(KICKOFF_REMINDER) || k == K(SDG_DIALOGUE) || k == K(MEASUREMENT_REQUEST);
}

static int s_sync_one(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg)
{
    s_sync_t *y = arg;
    bool inv = r->kind == K(KICKOFF_INVITATION);
    bool amb = r->kind == K(AMBITION_MISSING) || r->kind == K(AMBITION_ESCALATION);
    if (inv && (r->state == ST(SENT) || r->state == ST(SENDING) ||
                (r->state == ST(RETRYING) && r->attempts > 0)))
        y->invited = true;
    if (amb) {
        if (s_active(r->state) || r->state == ST(SENDING))
            y->ambition_active = true;
        else
            y->ambition_sent = true;
    }
    if (r->state == ST(SENDING))
        return 0;   /* its outcome will be recorded */
    if (s_planned_kind(r->kind)) {
        bool match = false;
        for (int i = 0; i < y->nplan; i++)
            if (y->plan[i].kind == r->kind && y->plan[i].ordinal == r->ordinal &&
                (y->plan[i].due_ms == r->due_ms || s_final(r->state)) &&
                (r->kind != K(KICKOFF_REMINDER) || r->sequence == y->kickoff_seq)) {
                y->present[i] = true;
                match = true;
            }
        if (!match && s_active(r->state))
            return s_cancel(s, txn, r, "rescheduled");
        return 0;
    }
    if (!s_active(r->state))
        return 0;
    if (y->all_off || (inv && y->kickoff_off) || (amb && y->ambition_off))
        return s_cancel(s, txn, r, y->all_off ? "tender cancelled" : "rescheduled");
    return 0;
}

static void s_fingerprint(nt_service_t *s, const Mvoi__Tender *t, char *buf, size_t len)
{
    s_rcpts_t l;
    s_rcpts_for(s, t, K(KICKOFF_INVITATION), &l);
    nt_buf_t b = { 0 };
    nt_buf_printf(&b, "%s|%s", t->planned_publication ? t->planned_publication : "",
                  t->title ? t->title : "");
    for (size_t i = 0; i < l.n; i++)
        nt_buf_printf(&b, "|%s", l.v[i]);
    nt_sha256_hex(b.data ? b.data : "", buf, len - 1 < 64 ? len - 1 : 64);
    nt_buf_free(&b);
}

static int s_apply_tender(nt_service_t *s, MDB_txn *txn, const Mvoi__TenderEvent *te,
                          int64_t ev_ms)
{
    const Mvoi__Tender *t = te->tender;
    if (!t || !t->id || !*t->id)
        return 0;
    int64_t now = clock_now_ms();
    Mvoi__NotifierTender *old = NULL;
    int rc = s_load_tender(s, txn, t->id, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    Mvoi__NotifierTender st = MVOI__NOTIFIER_TENDER__INIT;
    if (old)
        st = *old;
    st.tender = (Mvoi__Tender *)t;
    if (!st.has_registered_ms) {
        st.has_registered_ms = true;
        st.registered_ms = t->has_created_ms && t->created_ms ? t->created_ms
                           : ev_ms                           ? ev_ms
                                                             : now;
    }
    bool cancelled = te->kind == MVOI__TENDER_EVENT_KIND__TEV_CANCELLED ||
                     (t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED);
    bool kickoff = nt_rules_kickoff_required(t) && !cancelled;
    char fp[65];
    s_fingerprint(s, t, fp, sizeof fp);
    bool have_inv = st.has_kickoff_sequence && !st.kickoff_cancelled;
    bool resched = kickoff && (!have_inv || !st.meeting_fingerprint ||
                               strcmp(st.meeting_fingerprint, fp) != 0);

    /* First pass: what exists, and cancel what is obsolete. */
    nt_due_t plan[64];
    bool present[64] = { 0 };
    int64_t mstart = 0, mend = 0;
    uint32_t seq = st.kickoff_sequence;
    if (resched) {
        int64_t base = have_inv ? (now > st.registered_ms ? now : st.registered_ms)
                                : st.registered_ms;
        nt_rules_kickoff_slot(&s->rules, s->cal, t, base, &mstart, &mend);
        if (have_inv || st.kickoff_cancelled)
            seq = st.kickoff_sequence + 1;
    } else if (kickoff) {
        mstart = st.meeting_start_ms;
        mend = st.meeting_end_ms;
    }
    int nplan = nt_rules_plan(&s->rules, s->cal, t, kickoff ? mstart : 0,
                              resched ? now : 0, plan, 64);
    s_sync_t y = { .plan = plan, .nplan = nplan, .present = present, .kickoff_seq = seq,
                   .kickoff_off = resched || !kickoff, .ambition_off =
                   !nt_rules_ambition_open(t), .all_off = cancelled };
    rc = s_each_of_tender(s, txn, t->id, s_sync_one, &y);
    if (rc)
        goto out;
    char uid[300];
    snprintf(uid, sizeof uid, "kickoff-%s@%s", t->id, nt_msg_domain(s->organizer));
    if (resched) {
        s_new_t n = { .t = t, .kind = K(KICKOFF_INVITATION), .ordinal = 1, .version = seq,
                      .due_ms = now, .meeting_start = mstart, .meeting_end = mend, .now = now,
                      .sequence = seq, .uid = uid };
        if ((rc = s_create(s, txn, &n)))
            goto out;
        st.has_kickoff_sequence = true;
        st.kickoff_sequence = seq;
        st.has_meeting_start_ms = st.has_meeting_end_ms = true;
        st.meeting_start_ms = mstart;
        st.meeting_end_ms = mend;
        st.meeting_fingerprint = fp;
        st.has_kickoff_cancelled = true;
        st.kickoff_cancelled = false;
    } else if (!kickoff && have_inv) {
        /* The session is off: tell whoever may have the invitation. */
        if (y.invited || st.invited) {
            s_new_t n = { .t = t, .kind = K(KICKOFF_CANCELLED), .ordinal = 1,
                          .version = st.kickoff_sequence + 1, .due_ms = now,
                          .meeting_start = st.meeting_start_ms,
                          .meeting_end = st.meeting_end_ms, .now = now,
                          .sequence = st.kickoff_sequence + 1, .uid = uid };
            if ((rc = s_create(s, txn, &n)))
                goto out;
            st.kickoff_sequence++;
        }
        st.has_kickoff_cancelled = true;
        st.kickoff_cancelled = true;
    }
    /* Dated reminders not there yet (and not in the past). */
    for (int i = 0; i < nplan; i++) {
        if (present[i] || plan[i].due_ms < now - 3600000)
            continue;
        s_new_t n = { .t = t, .kind = plan[i].kind, .ordinal = plan[i].ordinal,
                      .version = plan[i].kind == K(KICKOFF_REMINDER) ? seq
                                                                      : (t->version ? t->version : 1),
                      .due_ms = plan[i].due_ms, .now = now, .sequence = seq };
        if (plan[i].kind == K(KICKOFF_REMINDER)) {
            n.meeting_start = mstart;
            n.meeting_end = mend;
        }
        if ((rc = s_create(s, txn, &n)))
            goto out;
    }
    /* The first ambition reminder. */
    if (!cancelled && nt_rules_ambition_open(t) && !y.ambition_active && !y.ambition_sent &&
        st.ambition_reminders == 0) {
        int64_t due = nt_rules_ambition_due(&s->rules, s->cal, st.registered_ms);
        s_new_t n = { .t = t, .kind = nt_rules_ambition_kind(&s->rules, 1), .ordinal = 1,
                      .version = 1, .due_ms = due, .now = now };
        if ((rc = s_create(s, txn, &n)))
            goto out;
        st.has_ambition_reminders = true;
        st.ambition_reminders = 1;
    }
    rc = s_save_tender(s, txn, &st);
out:
    if (old)
        mvoi__notifier_tender__free_unpacked(old, NULL);
    return rc;
}

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    nt_service_t *s = arg;
    if (ev->body_case != MVOI__ENVELOPE__BODY_TENDER_EVENT || !ev->tender_event)
        return 0;
    return s_apply_tender(s, txn, ev->tender_event, ev->has_ts_unix_ms ? ev->ts_unix_ms : 0);
}

static void s_kick(nt_service_t *s);

static void s_committed(void *arg)
{
    nt_service_t *s = arg;
    server_flush(s->server);
    s_kick(s);
}

/* ------------------------------------------------------------------ periodic reminders */

static int s_schedule_quarter(nt_service_t *s, MDB_txn *txn, int64_t after)
{
    if (!s->core_team || !*s->core_team)
        return 0;
    int qid = 0;
    int64_t due = nt_rules_quarter_due(&s->rules, s->cal, after, &qid);
    if (due < 0)
        return 0;
    int y = qid / 10, q = qid % 10 - 1;   /* report on the quarter before */
    if (q == 0) {
        q = 4;
        y--;
    }
    char title[32];
    snprintf(title, sizeof title, "%d-Q%d", y, q);
    s_new_t n = { .kind = K(QUARTERLY_REPORT), .ordinal = (uint32_t)qid, .version = 1,
                  .due_ms = due, .now = clock_now_ms(), .title = title };
    return s_create(s, txn, &n);
}

static int s_start_txn(MDB_txn *txn, void *arg)
{
    nt_service_t *s = arg;
    /* Reminders that were being sent when the process stopped: send them again (the
     * documented at-least-once window). */
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->sending, &c);
    if (rc)
        return rc;
    char **ids = NULL;
    size_t n = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        ids = realloc(ids, (n + 1) * sizeof *ids);
        ids[n++] = strndup(k.mv_data, k.mv_size);
    }
    mdb_cursor_close(c);
    int64_t now = clock_now_ms();
    rc = 0;
    for (size_t i = 0; i < n; i++) {
        Mvoi__Reminder *r = NULL;
        if (rc == 0 && s_get(s, txn, ids[i], &r) == 0) {
            r->state = ST(RETRYING);
            r->has_next_attempt_ms = true;
            r->next_attempt_ms = now;
            s_set_error(r, "interrupted: outcome unknown, sending again");
            rc = s_put(s, txn, r);
            log_warn("resend_after_restart", "%s was in flight when the notifier stopped; "
                     "sending it again (same Message-ID)", r->id);
            mvoi__reminder__free_unpacked(r, NULL);
        }
        free(ids[i]);
    }
    free(ids);
    if (rc)
        return rc;
    /* The quarterly report reminder, once. */
    MDB_val qk = { 2, "qr" };
    rc = mdb_get(txn, s->nmeta, &qk, &v);
    if (rc == MDB_NOTFOUND) {
        MDB_val one = { 1, "1" };
        if ((rc = s_schedule_quarter(s, txn, now)) || (rc = mdb_put(txn, s->nmeta, &qk, &one, 0)))
            return rc;
    } else if (rc) {
        return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ sending */

typedef struct {
    nt_service_t *s;
    char *id;
} s_inflight_t;

typedef struct {
    nt_service_t *s;
    const char *id;
    const nt_result_t *res;
} s_done_t;

static int s_after_sent(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, int64_t now)
{
    if (r->channel && strcmp(r->channel, "webhook") == 0)
        return 0;   /* the mail twin drives the chain */
    if (r->kind == K(QUARTERLY_REPORT))
        return s_schedule_quarter(s, txn, now);
    Mvoi__NotifierTender *nt = NULL;
    int rc = r->tender_id && *r->tender_id ? s_load_tender(s, txn, r->tender_id, &nt) : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (r->kind == K(KICKOFF_INVITATION)) {
        nt->has_invited = true;
        nt->invited = true;
        rc = s_save_tender(s, txn, nt);
    } else if ((r->kind == K(AMBITION_MISSING) || r->kind == K(AMBITION_ESCALATION)) &&
               nt->tender && nt_rules_ambition_open(nt->tender) &&
               !(nt->tender->has_status &&
                 nt->tender->status == MVOI__TENDER_STATUS__STATUS_CANCELLED) &&
               r->ordinal < (uint32_t)s->rules.ambition_max && r->ordinal >= nt->ambition_reminders) {
        uint32_t ord = r->ordinal + 1;
        /* Interval days after the previous one was due; after an outage, from now (one
         * catch-up reminder, not a burst). */
        int64_t due = nt_rules_ambition_due(&s->rules, s->cal, r->due_ms);
        if (due <= now)
            due = nt_rules_ambition_due(&s->rules, s->cal, now);
        s_new_t n = { .t = nt->tender, .kind = nt_rules_ambition_kind(&s->rules, ord),
                      .ordinal = ord, .version = 1, .due_ms = due, .now = now };
        if (!(rc = s_create(s, txn, &n))) {
            nt->has_ambition_reminders = true;
            nt->ambition_reminders = ord;
            rc = s_save_tender(s, txn, nt);
        }
    }
    mvoi__notifier_tender__free_unpacked(nt, NULL);
    return rc;
}

static int s_done_txn(MDB_txn *txn, void *arg)
{
    s_done_t *d = arg;
    nt_service_t *s = d->s;
    Mvoi__Reminder *r = NULL;
    int rc = s_get(s, txn, d->id, &r);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    int64_t now = clock_now_ms();
    const nt_result_t *res = d->res;
    const char *topic;
    char err[700];
    if (res->outcome == NT_OK) {
        r->state = ST(SENT);
        r->has_sent_ms = true;
        r->sent_ms = now;
        r->has_next_attempt_ms = false;
        s_set_error(r, NULL);
        topic = "notify.sent";
    } else if (res->outcome == NT_TRANSIENT && r->attempts < s->max_attempts) {
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
            rnd = (uint64_t)clock_mono_ns();
        int64_t delay = nt_backoff_delay(s->retry_base, s->retry_max, r->attempts, rnd, 10);
        if (res->retry_after_ms >= 0 && res->retry_after_ms > delay)
            delay = res->retry_after_ms < 86400000 ? res->retry_after_ms : 86400000;
        r->state = ST(RETRYING);
        r->has_next_attempt_ms = true;
        r->next_attempt_ms = now + delay;
        s_set_error(r, res->error);
        topic = "notify.failed";
    } else {
        r->state = ST(DEAD);
        r->has_next_attempt_ms = false;
        snprintf(err, sizeof err, "%s%s", res->error,
                 res->outcome == NT_TRANSIENT ? " (attempts exhausted)" : "");
        s_set_error(r, err);
        topic = "notify.dead";
    }
    rc = s_put(s, txn, r);
    if (!rc)
        rc = s_emit(s, txn, topic, r);
    if (!rc && res->outcome == NT_OK)
        rc = s_after_sent(s, txn, r, now);
    if (!rc && res->outcome != NT_OK)
        log_emit(res->outcome == NT_TRANSIENT && r->state == ST(RETRYING) ? LOG_INFO : LOG_WARN,
                 r->state == ST(DEAD) ? "notification_dead" : "notification_retry",
                 (const char *const[]){ "reminder.id", r->id, NULL }, "%s", res->error);
    mvoi__reminder__free_unpacked(r, NULL);
    return rc;
}

static void s_maybe_close(nt_service_t *s);

static void s_on_sent(void *arg, const nt_result_t *res)
{
    s_inflight_t *f = arg;
    nt_service_t *s = f->s;
    s_done_t d = { s, f->id, res };
    int rc = store_write(s->store, s_done_txn, &d);
    if (rc)
        log_error("record_failed", "cannot record the outcome of %s: %d (it stays in flight "
                  "and is sent again after a restart)", f->id, rc);
    free(f->id);
    free(f);
    if (s->server)
        server_flush(s->server);
    if (s->stopping)
        s_maybe_close(s);
    else
        s_kick(s);
}

typedef struct {
    nt_service_t *s;
    unsigned free_slots;
    Mvoi__Reminder *picked[PICK_MAX];
    unsigned npicked;
} s_pick_t;

static bool s_same_group(const Mvoi__Reminder *a, const Mvoi__Reminder *b)
{
    bool amb_a = a->kind == K(AMBITION_MISSING) || a->kind == K(AMBITION_ESCALATION);
    bool amb_b = b->kind == K(AMBITION_MISSING) || b->kind == K(AMBITION_ESCALATION);
    return strcmp(a->tender_id ? a->tender_id : "", b->tender_id ? b->tender_id : "") == 0 &&
           strcmp(a->channel ? a->channel : "", b->channel ? b->channel : "") == 0 &&
           (a->kind == b->kind || (amb_a && amb_b)) && a->kind != K(KICKOFF_CANCELLED);
}

static int s_pick_txn(MDB_txn *txn, void *arg)
{
    s_pick_t *p = arg;
    nt_service_t *s = p->s;
    p->npicked = 0;
    int64_t now = clock_now_ms();
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->due, &c);
    if (rc)
        return rc;
    Mvoi__Reminder *cand[PICK_MAX];
    unsigned nc = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && nc < PICK_MAX;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || store_get_be64s(k.mv_data) > now)
            break;
        char id[600];
        size_t il = k.mv_size - 8 < sizeof id - 1 ? k.mv_size - 8 : sizeof id - 1;
        memcpy(id, (char *)k.mv_data + 8, il);
        id[il] = 0;
        Mvoi__Reminder *r = NULL;
        if (s_get(s, txn, id, &r) == 0)
            cand[nc++] = r;
    }
    mdb_cursor_close(c);
    rc = 0;
    /* Catch-up collapses missed ticks: of several due reminders of one tender and kind,
     * only the latest goes out; expired kick-off mails are dropped. */
    for (unsigned i = 0; i < nc && rc == 0; i++) {
        Mvoi__Reminder *r = cand[i];
        if (!r)
            continue;
        bool ko = r->kind == K(KICKOFF_INVITATION) || r->kind == K(KICKOFF_REMINDER);
        if (ko && r->has_meeting_start_ms && r->meeting_start_ms <= now) {
            rc = s_cancel(s, txn, r, "expired: the session has started");
            mvoi__reminder__free_unpacked(r, NULL);
            cand[i] = NULL;
            continue;
        }
        for (unsigned j = i + 1; j < nc; j++)
            if (cand[j] && s_same_group(r, cand[j]) && r->kind != K(KICKOFF_INVITATION)) {
                rc = s_cancel(s, txn, r, "superseded: a later reminder of this kind was due");
                mvoi__reminder__free_unpacked(r, NULL);
                cand[i] = NULL;
                break;
            }
    }
    for (unsigned i = 0; i < nc; i++) {
        Mvoi__Reminder *r = cand[i];
        if (!r)
            continue;
        if (rc == 0 && p->npicked < p->free_slots) {
            r->state = ST(SENDING);
            r->attempts++;
            r->has_attempts = true;
            if ((rc = s_put(s, txn, r)) == 0) {
                p->picked[p->npicked++] = r;
                continue;
            }
        }
        mvoi__reminder__free_unpacked(r, NULL);
    }
    if (rc) {
        for (unsigned i = 0; i < p->npicked; i++)
            mvoi__reminder__free_unpacked(p->picked[i], NULL);
        p->npicked = 0;
    }
    return rc;
}

static void s_deliver(nt_service_t *s, Mvoi__Reminder *r)
{
    s_inflight_t *f = calloc(1, sizeof *f);
    f->s = s;
    f->id = strdup(r->id);
    int rc;
    if (r->channel && strcmp(r->channel, "webhook") == 0) {
        char *body = NULL;
        rc = nt_msg_webhook_body(&s->msg, s->tpl, r, &body);
        char key[600];
        snprintf(key, sizeof key, "%s", r->id);
        char *hash = strchr(key, '#');
        if (hash)
            *hash = 0;
        if (!rc)
            rc = nt_sender_webhook(s->sender, key, body, s_on_sent, f);
        free(body);
    } else {
        nt_buf_t mail = { 0 };
        rc = nt_msg_mail(&s->msg, r, &mail);
        const char *rc_list[MAX_RCPT + 1];
        size_t n = 0;
        for (size_t i = 0; i < r->n_recipients && n < MAX_RCPT; i++)
            rc_list[n++] = r->recipients[i];
        rc_list[n] = NULL;
        if (!rc)
            rc = nt_sender_mail(s->sender, r->id, rc_list, mail.data, mail.len, s_on_sent, f);
        nt_buf_free(&mail);
    }
    if (rc) {
        nt_result_t res = { .outcome = NT_TRANSIENT, .retry_after_ms = -1 };
        snprintf(res.error, sizeof res.error, "cannot start delivery: %s", strerror(-rc));
        s_on_sent(f, &res);
    }
}

static void s_on_tick(uv_timer_t *t)
{
    nt_service_t *s = t->data;
    if (s->stopping)
        return;
    if (s->feed && feed_caught_up(s->feed))
        server_set_ready(s->server, true);
    unsigned inflight = nt_sender_inflight(s->sender);
    if (inflight >= s->max_inflight)
        return;
    s_pick_t *p = calloc(1, sizeof *p);
    p->s = s;
    p->free_slots = s->max_inflight - inflight;
    int rc = store_write(s->store, s_pick_txn, p);
    if (rc)
        log_error("pick_failed", "cannot take due reminders: %d", rc);
    server_flush(s->server);
    for (unsigned i = 0; i < p->npicked; i++) {
        s_deliver(s, p->picked[i]);
        mvoi__reminder__free_unpacked(p->picked[i], NULL);
    }
    bool more = p->npicked == p->free_slots;
    free(p);
    if (more && !s->stopping && nt_sender_inflight(s->sender) < s->max_inflight)
        s_kick(s);
}

static void s_kick(nt_service_t *s)
{
    if (!s->stopping && !s->closed)
        uv_timer_start(&s->tick, s_on_tick, 0, (uint64_t)s->tick_ms);
}

/* ------------------------------------------------------------------ test clock */

static void s_read_clock(nt_service_t *s)
{
    FILE *f = fopen(s->fake_clock, "r");
    if (!f)
        return;
    long long v = 0;
    if (fscanf(f, "%lld", &v) == 1 && v > 0)
        clock_set_fixed(v);
    fclose(f);
}

static void s_on_clock(uv_timer_t *t) { s_read_clock(t->data); }

/* ------------------------------------------------------------------ ROUTER */

static int s_req_get(nt_service_t *s, server_req_t *req, MDB_txn *txn, const char *id,
                     Mvoi__Reminder **out)
{
    if (!id || !*id)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "id", "is required");
    int rc = s_get(s, txn, id, out);
    if (rc == MDB_NOTFOUND)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "id", "no reminder %s", id);
    return rc;
}

static void s_reply_reminder(server_req_t *req, Mvoi__Reminder *r)
{
    Mvoi__Envelope *e = server_reply(req);
    /* A shallow copy whose strings live in the request's memory (freed after the reply). */
    Mvoi__Reminder *c = server_alloc(req, sizeof *c);
    *c = *r;
    c->id = server_strdup(req, r->id);
    c->buyer = r->buyer ? server_strdup(req, r->buyer) : NULL;
    c->tender_id = r->tender_id ? server_strdup(req, r->tender_id) : NULL;
    c->last_error = r->last_error ? server_strdup(req, r->last_error) : NULL;
    c->channel = r->channel ? server_strdup(req, r->channel) : NULL;
    c->subject = r->subject ? server_strdup(req, r->subject) : NULL;
    c->uid = r->uid ? server_strdup(req, r->uid) : NULL;
    c->message_id = r->message_id ? server_strdup(req, r->message_id) : NULL;
    c->title = r->title ? server_strdup(req, r->title) : NULL;
    c->recipients = server_alloc(req, (r->n_recipients + 1) * sizeof(char *));
    for (size_t i = 0; i < r->n_recipients; i++)
        c->recipients[i] = server_strdup(req, r->recipients[i]);
    c->base.unknown_fields = NULL;
    c->base.n_unknown_fields = 0;
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
    int rc = s_req_get(s, req, txn, g->id, &r);
    if (rc)
        return rc;
    s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    return 0;
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
    size_t tl = by_tender ? strlen(q->tender_id) : 0;
    char kb[600];
    MDB_val k = { 0, NULL }, v;
    MDB_cursor_op op = MDB_FIRST;
    if (by_tender) {
        snprintf(kb, sizeof kb, "%s", q->tender_id);
        k = (MDB_val){ tl + 1, kb };
        op = MDB_SET_RANGE;
    }
    uint32_t matched = 0;
    for (rc = mdb_cursor_get(c, &k, &v, op); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Mvoi__Reminder *r = NULL;
        if (by_tender) {
            if (k.mv_size < tl + 1 || memcmp(k.mv_data, q->tender_id, tl) != 0 ||
                ((char *)k.mv_data)[tl] != 0)
                break;
            char id[600];
            size_t il = k.mv_size - tl - 1 < sizeof id - 1 ? k.mv_size - tl - 1 : sizeof id - 1;
            memcpy(id, (char *)k.mv_data + tl + 1, il);
            id[il] = 0;
            if (s_get(s, txn, id, &r) != 0)
                continue;
        } else {
            r = mvoi__reminder__unpack(NULL, v.mv_size, v.mv_data);
            if (!r)
                continue;
        }
        bool ok = !(q->has_state && q->state && r->state != q->state);
        if (ok) {
            if (matched >= offset && l->n_reminders < limit)
                s_reply_reminder(req, r);
            matched++;
        }
        mvoi__reminder__free_unpacked(r, NULL);
    }
    mdb_cursor_close(c);
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
    int rc = s_req_get(s, req, txn, q->id, &r);
    if (rc)
        return rc;
    if (r->state != ST(DEAD) && r->state != ST(CANCELLED)) {
        mvoi__reminder__free_unpacked(r, NULL);
        return server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "id",
                            "only dead or cancelled reminders can be resent");
    }
    r->state = ST(SCHEDULED);
    r->attempts = 0;
    r->has_next_attempt_ms = true;
    r->next_attempt_ms = clock_now_ms();
    if (!(rc = s_put(s, txn, r)) && !(rc = s_emit_req(req, txn, "notify.scheduled", r)))
        s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    s_kick(s);
    return rc;
}

static int s_on_cancel(void *arg, server_req_t *req, MDB_txn *txn)
{
    nt_service_t *s = arg;
    const Mvoi__CancelReminder *q = server_request(req)->cancel_reminder;
    Mvoi__Reminder *r = NULL;
    int rc = s_req_get(s, req, txn, q->id, &r);
    if (rc)
        return rc;
    if (!s_active(r->state) && r->state != ST(DEAD)) {
        mvoi__reminder__free_unpacked(r, NULL);
        return server_error(req, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "id",
                            "only scheduled, retrying or dead reminders can be cancelled");
    }
    r->state = ST(CANCELLED);
    r->has_next_attempt_ms = false;
    s_set_error(r, q->reason && *q->reason ? q->reason : "cancelled by an operator");
    if (!(rc = s_put(s, txn, r)) && !(rc = s_emit_req(req, txn, "notify.cancelled", r)))
        s_reply_reminder(req, r);
    mvoi__reminder__free_unpacked(r, NULL);
    return rc;
}

/* Ready: the calendar feed caught up and heard from within the grace. */
static bool s_ready(void *arg)
{
    nt_service_t *s = arg;
    return s->feed && feed_ready(s->feed, s->grace_ms);
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_LIST_REMINDERS, SERVER_QUERY, s_on_list },
    { MVOI__ENVELOPE__BODY_GET_REMINDER, SERVER_QUERY, s_on_get },
    { MVOI__ENVELOPE__BODY_RESEND_REMINDER, SERVER_COMMAND, s_on_resend },
    { MVOI__ENVELOPE__BODY_CANCEL_REMINDER, SERVER_COMMAND, s_on_cancel },
};

/* ------------------------------------------------------------------ lifecycle */

static char *s_cfgdup(cfg_t *cfg, const char *key) { return strdup(cfg_str(cfg, key)); }

nt_service_t *nt_service_new(uv_loop_t *loop, bus_ctx_t *bus, cfg_t *cfg, const char *data_dir,
                             int *err, char *why, size_t whylen)
{
    nt_service_t *s = calloc(1, sizeof *s);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->bus = bus;
    *err = -EINVAL;
    nt_rules_defaults(&s->rules);
    s->rules.kickoff_lead_days = (int)cfg_int(cfg, "kickoff_lead_days");
    s->rules.kickoff_hour = (int)cfg_int(cfg, "kickoff_hour");
    s->rules.kickoff_minutes = (int)cfg_int(cfg, "kickoff_minutes");
    s->rules.reminder_days_before = (int)cfg_int(cfg, "reminder_days_before");
    s->rules.reminder_hour = (int)cfg_int(cfg, "reminder_hour");
    s->rules.ambition_interval_days = (int)cfg_int(cfg, "ambition_reminder_interval_days");
    s->rules.escalation_after = (int)cfg_int(cfg, "escalation_after_reminders");
    s->rules.ambition_max = (int)cfg_int(cfg, "ambition_max_reminders");
    s->rules.measurement_months = (int)cfg_int(cfg, "measurement_interval_months");
    if (text_lang_parse(cfg_str(cfg, "lang"), &s->msg.lang) != 0) {
        snprintf(why, whylen, "lang: must be nl or en");
        goto fail;
    }
    if (nt_template_parse(cfg_str(cfg, "webhook_template"), &s->tpl) != 0) {
        snprintf(why, whylen, "webhook_template: must be plain, teams or slack");
        goto fail;
    }
    s->mail_from = s_cfgdup(cfg, "mail_from");
    s->organizer = s_cfgdup(cfg, "organizer");
    s->location = s_cfgdup(cfg, "location");
    s->policy_adviser = s_cfgdup(cfg, "policy_adviser");
    s->coordinator = s_cfgdup(cfg, "mvoi_coordinator");
    s->core_team = s_cfgdup(cfg, "core_team");
    if (!strchr(s->mail_from, '@') || !strchr(s->organizer, '@')) {
        snprintf(why, whylen, "mail_from/organizer: must be e-mail addresses");
        goto fail;
    }
    s->msg.mail_from = s->mail_from;
    s->msg.organizer = s->organizer;
    s->msg.location = s->location;
    s->msg.alarm_minutes = (int)cfg_int(cfg, "alarm_minutes");
    s->retry_base = cfg_int(cfg, "retry_base_ms");
    s->retry_max = cfg_int(cfg, "retry_max_ms");
    s->max_attempts = (unsigned)cfg_int(cfg, "max_attempts");
    s->max_inflight = (unsigned)cfg_int(cfg, "max_inflight");
    s->tick_ms = (int)cfg_int(cfg, "tick_ms");
    s->grace_ms = (uint64_t)cfg_int(cfg, "upstream_grace_ms");
    s->webhook = cfg_str(cfg, "webhook_url")[0] != 0;

    const char *fc = cfg_str(cfg, "fake_clock_file");
    if (fc && *fc) {
        s->fake_clock = strdup(fc);
        log_warn("fake_clock", "TEST HOOK: the clock is read from %s", fc);
        s_read_clock(s);
        uv_timer_init(loop, &s->clock_timer);
        s->clock_timer.data = s;
        uv_timer_start(&s->clock_timer, s_on_clock, 20, 20);
        s->clock_timer_on = true;
    }

    s->cal = nt_cal_new();
    const char *hol = cfg_str(cfg, "holidays");
    char holpath[4096];
    snprintf(holpath, sizeof holpath, "%s", hol && *hol ? hol : MVOI_NOTIFIER_DATA_DIR_SRC "/holidays-nl.csv");
    int nh = nt_cal_load(s->cal, holpath);
    if (nh < 0 && !(hol && *hol)) {
        snprintf(holpath, sizeof holpath, "%s", MVOI_NOTIFIER_DATA_DIR_INSTALL "/holidays-nl.csv");
        nh = nt_cal_load(s->cal, holpath);
    }
    if (nh < 0) {
        snprintf(why, whylen, "holidays: cannot read %s: %s", holpath, strerror(-nh));
        goto fail;
    }
    nt_local_t now_l;
    nt_ams_from_utc(clock_now_ms(), &now_l);
    if (now_l.year + 1 > nt_cal_last_year(s->cal))
        log_warn("holidays_ending", "the holiday data (%s) ends in %d: extend it", holpath,
                 nt_cal_last_year(s->cal));

    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "rem", "due", "sending",
                                       "bytender", "tenders", "nmeta", NULL };
    store_opts_t so = { .path = data_dir, .dbs = dbs };
    s->store = store_new(&so, err);
    if (!s->store) {
        snprintf(why, whylen, "data_dir: cannot open %s", data_dir);
        goto fail;
    }
    s->rem = store_dbi(s->store, "rem");
    s->due = store_dbi(s->store, "due");
    s->sending = store_dbi(s->store, "sending");
    s->bytender = store_dbi(s->store, "bytender");
    s->tenders = store_dbi(s->store, "tenders");
    s->nmeta = store_dbi(s->store, "nmeta");
    s->outbox = outbox_new(s->store, "notifier", err);
    s->inbox = s->outbox ? inbox_new(s->store, err) : NULL;
    if (!s->inbox) {
        snprintf(why, whylen, "data_dir: cannot open the outbox/inbox");
        goto fail;
    }
    snprintf(s->maildir, sizeof s->maildir, "%s/outbox-mail", data_dir);
    nt_send_opts_t sopts = {
        .smtp_url = cfg_str(cfg, "smtp_url"), .smtp_user = cfg_str(cfg, "smtp_user"),
        .smtp_password = cfg_str(cfg, "smtp_password"),
        .smtp_starttls = cfg_bool(cfg, "smtp_starttls"), .mail_from = s->mail_from,
        .maildir = s->maildir, .webhook_url = cfg_str(cfg, "webhook_url"),
        .webhook_secret = cfg_str(cfg, "webhook_secret"),
    };
    s->sender = nt_sender_new(loop, &sopts, err);
    if (!s->sender) {
        snprintf(why, whylen, "smtp_url: cannot set up delivery (%s)", s->maildir);
        goto fail;
    }
    if ((*err = store_write(s->store, s_start_txn, s)) != 0) {
        snprintf(why, whylen, "data_dir: start-up transaction failed");
        goto fail;
    }
    server_opts_t o = { .name = "notifier", .api_endpoint = cfg_str(cfg, "api"),
                        .pub_endpoint = cfg_str(cfg, "pub"), .store = s->store,
                        .outbox = s->outbox, .routes = s_routes,
                        .nroutes = sizeof s_routes / sizeof s_routes[0], .arg = s,
                        .heartbeat_ms = 1000, .ready_fn = s_ready };
    s->server = server_new(loop, bus, &o, err);
    if (!s->server) {
        snprintf(why, whylen, "api: cannot bind %s / %s", o.api_endpoint, o.pub_endpoint);
        goto fail;
    }
    feed_opts_t fo = { .producer = "calendar", .pub_endpoint = cfg_str(cfg, "calendar_pub"),
                       .api_endpoint = cfg_str(cfg, "calendar_api"), .apply = s_apply,
                       .committed = s_committed, .arg = s, .stall_ms = 1000 };
    s->feed = feed_new(loop, bus, s->store, s->inbox, &fo, err);
    if (!s->feed) {
        snprintf(why, whylen, "calendar_api: cannot follow the calendar");
        goto fail;
    }
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    uv_timer_init(loop, &s->drain);
    s->drain.data = s;
    s_kick(s);
    log_info("started", "notifier on %s / %s, mail via %s%s, %d holidays (%d-%d)",
             server_api_endpoint(s->server), server_pub_endpoint(s->server),
             nt_sender_uses_smtp(s->sender) ? "SMTP" : "files in ",
             nt_sender_uses_smtp(s->sender) ? "" : s->maildir, nh, nt_cal_first_year(s->cal),
             nt_cal_last_year(s->cal));
    *err = 0;
    return s;
fail:
    if (*err == 0)
        *err = -EINVAL;
    nt_service_stop(s);
    nt_service_destroy(&s);
    return NULL;
}

static void s_close_all(nt_service_t *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->tick.data) {
        uv_timer_stop(&s->tick);
        uv_close((uv_handle_t *)&s->tick, NULL);
        uv_timer_stop(&s->drain);
        uv_close((uv_handle_t *)&s->drain, NULL);
    }
    if (s->clock_timer_on) {
        uv_timer_stop(&s->clock_timer);
        uv_close((uv_handle_t *)&s->clock_timer, NULL);
        s->clock_timer_on = false;
    }
    nt_sender_destroy(&s->sender);
    feed_destroy(&s->feed);
    server_destroy(&s->server);
}

static void s_maybe_close(nt_service_t *s)
{
    if (!s->sender || nt_sender_inflight(s->sender) == 0)
        s_close_all(s);
}

static void s_on_drain(uv_timer_t *t)
{
    nt_service_t *s = t->data;
    log_warn("drain_timeout", "%u deliveries still in flight at stop; they are sent again "
             "after the restart", s->sender ? nt_sender_inflight(s->sender) : 0);
    s_close_all(s);
}

void nt_service_stop(nt_service_t *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = true;
    feed_destroy(&s->feed);   /* stop taking events */
    if (s->tick.data)
        uv_timer_stop(&s->tick);
    if (s->sender && nt_sender_inflight(s->sender) > 0 && s->drain.data) {
        uv_timer_start(&s->drain, s_on_drain, 5000, 0);
        return;
    }
    s_close_all(s);
}

void nt_service_destroy(nt_service_t **self_p)
{
    nt_service_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    outbox_destroy(&s->outbox);
    inbox_destroy(&s->inbox);
    store_destroy(&s->store);
    nt_cal_destroy(&s->cal);
    free(s->fake_clock);
    free(s->mail_from);
    free(s->organizer);
    free(s->location);
    free(s->policy_adviser);
    free(s->coordinator);
    free(s->core_team);
    free(s);
}
