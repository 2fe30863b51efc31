/*  nt_plan: from calendar TenderEvents to planned reminders (who is told what, and when),
 *  inside the feed's transaction; plus the quarterly report reminder and the start-up
 *  transaction that re-plans what was in flight. */
#include "nt_service_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "log.h"

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

/* Creates the reminder (and its webhook twin); skips an id that already exists. */
int nt_plan_create(nt_service_t *s, MDB_txn *txn, const nt_plan_new_t *n)
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
    snprintf(key, sizeof key, "%s/%s/%u/v%u", *tid ? tid : "_", nt_store_kind_name(n->kind),
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
        rc = nt_store_put(s, txn, &r);
        if (!rc)
            rc = nt_store_emit(s, txn, "notify.scheduled", &r);
        free(subj);
        free(text);
        if (rc)
            return rc;
    }
    return 0;
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
        if (nt_store_active(r->state) || r->state == ST(SENDING))
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
                (y->plan[i].due_ms == r->due_ms || nt_store_final(r->state)) &&
                (r->kind != K(KICKOFF_REMINDER) || r->sequence == y->kickoff_seq)) {
                y->present[i] = true;
                match = true;
            }
        if (!match && nt_store_active(r->state))
            return nt_store_cancel(s, txn, r, "rescheduled");
        return 0;
    }
    if (!nt_store_active(r->state))
        return 0;
    if (y->all_off || (inv && y->kickoff_off) || (amb && y->ambition_off))
        return nt_store_cancel(s, txn, r, y->all_off ? "tender cancelled" : "rescheduled");
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
    int rc = nt_store_load_tender(s, txn, t->id, &old);
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
    rc = nt_store_each_of_tender(s, txn, t->id, s_sync_one, &y);
    if (rc)
        goto out;
    char uid[300];
    snprintf(uid, sizeof uid, "kickoff-%s@%s", t->id, nt_msg_domain(s->organizer));
    if (resched) {
        nt_plan_new_t n = { .t = t, .kind = K(KICKOFF_INVITATION), .ordinal = 1, .version = seq,
                      .due_ms = now, .meeting_start = mstart, .meeting_end = mend, .now = now,
                      .sequence = seq, .uid = uid };
        if ((rc = nt_plan_create(s, txn, &n)))
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
            nt_plan_new_t n = { .t = t, .kind = K(KICKOFF_CANCELLED), .ordinal = 1,
                          .version = st.kickoff_sequence + 1, .due_ms = now,
                          .meeting_start = st.meeting_start_ms,
                          .meeting_end = st.meeting_end_ms, .now = now,
                          .sequence = st.kickoff_sequence + 1, .uid = uid };
            if ((rc = nt_plan_create(s, txn, &n)))
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
        nt_plan_new_t n = { .t = t, .kind = plan[i].kind, .ordinal = plan[i].ordinal,
                      .version = plan[i].kind == K(KICKOFF_REMINDER) ? seq
                                                                      : (t->version ? t->version : 1),
                      .due_ms = plan[i].due_ms, .now = now, .sequence = seq };
        if (plan[i].kind == K(KICKOFF_REMINDER)) {
            n.meeting_start = mstart;
            n.meeting_end = mend;
        }
        if ((rc = nt_plan_create(s, txn, &n)))
            goto out;
    }
    /* The first ambition reminder. */
    if (!cancelled && nt_rules_ambition_open(t) && !y.ambition_active && !y.ambition_sent &&
        st.ambition_reminders == 0) {
        int64_t due = nt_rules_ambition_due(&s->rules, s->cal, st.registered_ms);
        nt_plan_new_t n = { .t = t, .kind = nt_rules_ambition_kind(&s->rules, 1), .ordinal = 1,
                      .version = 1, .due_ms = due, .now = now };
        if ((rc = nt_plan_create(s, txn, &n)))
            goto out;
        st.has_ambition_reminders = true;
        st.ambition_reminders = 1;
    }
    rc = nt_store_save_tender(s, txn, &st);
out:
    if (old)
        mvoi__notifier_tender__free_unpacked(old, NULL);
    return rc;
}

int nt_plan_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    nt_service_t *s = arg;
    if (ev->body_case != MVOI__ENVELOPE__BODY_TENDER_EVENT || !ev->tender_event)
        return 0;
    return s_apply_tender(s, txn, ev->tender_event, ev->has_ts_unix_ms ? ev->ts_unix_ms : 0);
}

/* ------------------------------------------------------------------ periodic reminders */

int nt_plan_quarter(nt_service_t *s, MDB_txn *txn, int64_t after)
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
    nt_plan_new_t n = { .kind = K(QUARTERLY_REPORT), .ordinal = (uint32_t)qid, .version = 1,
                  .due_ms = due, .now = clock_now_ms(), .title = title };
    return nt_plan_create(s, txn, &n);
}

int nt_plan_start_txn(MDB_txn *txn, void *arg)
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
        if (rc == 0 && nt_store_get(s, txn, ids[i], &r) == 0) {
            r->state = ST(RETRYING);
            r->has_next_attempt_ms = true;
            r->next_attempt_ms = now;
            nt_store_set_error(r, "interrupted: outcome unknown, sending again");
            rc = nt_store_put(s, txn, r);
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
        if ((rc = nt_plan_quarter(s, txn, now)) || (rc = mdb_put(txn, s->nmeta, &qk, &one, 0)))
            return rc;
    } else if (rc) {
        return rc;
    }
    return 0;
}
