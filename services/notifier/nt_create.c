/*  nt_create: a planned reminder becomes one record per recipient (so that one refused
 *  address is a dead letter for that recipient only), each carrying everything its text
 *  needs (the tender as planned, the attendees, what changed), so a re-send renders the
 *  same bytes. */
#include "mvoi_contract.h"
#include "nt_service_int.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    Mvoi__Person *v[MAX_RCPT];
    size_t n;
} s_list_t;

static void s_add(s_list_t *l, Mvoi__Person *p, const char *skip)
{
    if (!p || !p->email || !strchr(p->email, '@') || l->n == MAX_RCPT)
        return;
    if (skip && strcasecmp(skip, p->email) == 0)
        return;   /* the organizer is not an attendee */
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i]->email, p->email) == 0)
            return;
    l->v[l->n++] = p;
}

/* A configured person as a Person (pointing into the configuration). */
static Mvoi__Person *s_conf(Mvoi__Person *buf, const nt_who_t *w)
{
    mvoi__person__init(buf);
    buf->name = w->name;
    buf->email = w->email;
    return w->email && *w->email ? buf : NULL;
}

size_t nt_plan_attendees(nt_service_t *s, const Mvoi__Tender *t, Mvoi__Person *buf,
                         Mvoi__Person **out, size_t max)
{
    const nt_who_t *org = nt_people_organizer(s, t->buyer);
    s_list_t l = { .n = 0 };
    s_add(&l, t->project_leader, org->email);
    s_add(&l, t->budget_holder, org->email);
    s_add(&l, t->procurement_adviser, org->email);
    s_add(&l, s_conf(&buf[0], &s->policy), org->email);
    s_add(&l, s_conf(&buf[1], &s->coord), org->email);
    size_t n = l.n < max ? l.n : max;
    memcpy(out, l.v, n * sizeof *out);
    return n;
}

static void s_by_kind(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind k,
                      Mvoi__Person *buf, s_list_t *l)
{
    const char *org = nt_people_organizer(s, t->buyer)->email;
    l->n = 0;
    switch (k) {
    case K(KICKOFF_INVITATION):
    case K(KICKOFF_REMINDER):
    case K(KICKOFF_CANCELLED):
        l->n = nt_plan_attendees(s, t, buf, l->v, MAX_RCPT);
        break;
    case K(AMBITION_ESCALATION):
        s_add(l, t->budget_holder, NULL);
        s_add(l, t->project_leader, NULL);
        break;
    case K(SDG_DIALOGUE):
        s_add(l, t->project_leader, org);
        s_add(l, s_conf(&buf[0], &s->policy), org);
        s_add(l, s_conf(&buf[1], &s->coord), org);
        break;
    case K(QUARTERLY_REPORT):
        s_add(l, s_conf(&buf[2], &s->core), NULL);
        break;
    case K(KICKOFF_LATE):
    case K(DELIVERY_FAILED):
        s_add(l, s_conf(&buf[1], &s->coord), NULL);
        break;
    default:   /* ambition missing, measurement requests */
        s_add(l, t->project_leader, NULL);
        if (!l->n)
            s_add(l, t->procurement_adviser, NULL);
    }
}

int nt_plan_esc(char *buf, size_t cap, const char *part)
{
    size_t k = 0;
    for (const char *p = part ? part : ""; *p; p++) {
        if (k + 4 > cap)
            return -ENAMETOOLONG;
        if (*p == '/' || *p == '%')
            k += (size_t)snprintf(buf + k, cap - k, "%%%02X", (unsigned char)*p);
        else
            buf[k++] = *p;
    }
    if (k + 1 > cap)
        return -ENAMETOOLONG;
    buf[k] = 0;
    return 0;
}

/* The message's key, "buyer/tender/kind/ordinal/v<version>", the part of every copy's id
 * before the recipient's. It leaves room for the hashed recipient part (nt_copy_id.c), so
 * that every copy's id stays within the reminder id's bound (MVOI_ID_REMINDER_MAX): a
 * tender id too long for that once escaped (a 128-byte id, each '/' written "%2F") is
 * named by a hash, "~" and 16 hex. Before, such keys made ids of up to 400 bytes, stored
 * but refused at the door (resend, cancel), or, past 200 escaped bytes, no copy at all. */
static int s_key(char *key, size_t cap, const nt_plan_new_t *n, const char *tid)
{
    char b[200], t[400];
    if (nt_plan_esc(b, sizeof b, n->buyer && *n->buyer ? n->buyer : "_") ||
        nt_plan_esc(t, sizeof t, *tid ? tid : "_"))
        return -ENAMETOOLONG;
    const char *kind = nt_store_kind_name(n->kind);
    int w = snprintf(key, cap, "%s/%s/%s/%u/v%u", b, t, kind, n->ordinal, n->version);
    if (w >= 0 && (size_t)w < cap && (size_t)w + NT_COPY_PART_MAX <= MVOI_ID_REMINDER_MAX)
        return 0;
    char hex[17];
    nt_sha256_hex(*tid ? tid : "_", hex, 16);
    w = snprintf(key, cap, "%s/~%s/%s/%u/v%u", b, hex, kind, n->ordinal, n->version);
    return w < 0 || (size_t)w >= cap ? -ENAMETOOLONG : 0;
}

int nt_plan_record_id(const Mvoi__Reminder *r, char *id, size_t cap)
{
    nt_plan_new_t n = { .buyer = r->buyer, .kind = r->kind, .ordinal = r->ordinal,
                        .version = r->schedule_version };
    const char *tid = r->tender_id ? r->tender_id : "";
    char key[420];
    if (s_key(key, sizeof key, &n, tid))
        return -ENAMETOOLONG;
    if (r->channel && strcmp(r->channel, "webhook") == 0)
        return (size_t)snprintf(id, cap, "%s" NT_WEBHOOK_SUFFIX, key) < cap &&
                       nt_store_id_fits(r->buyer, tid, id)
                   ? 0
                   : -ENAMETOOLONG;
    return nt_plan_copy_id(id, cap, key, r->n_recipients ? r->recipients[0] : "", r->buyer,
                           tid);
}

static void s_fill(nt_service_t *s, Mvoi__Reminder *r, const nt_plan_new_t *n, const char *tid)
{
    r->buyer = (char *)n->buyer;
    r->tender_id = (char *)tid;
    r->has_kind = r->has_due_ms = r->has_state = r->has_attempts = r->has_sequence = true;
    r->kind = n->kind;
    r->due_ms = n->due_ms;
    r->state = ST(SCHEDULED);
    r->sequence = n->sequence;
    r->has_created_ms = r->has_ordinal = r->has_schedule_version = true;
    r->created_ms = n->now;
    r->ordinal = n->ordinal;
    r->schedule_version = n->version;
    r->title = (char *)(n->title ? n->title : (n->t && n->t->title ? n->t->title : ""));
    if (n->meeting_start) {
        r->has_meeting_start_ms = r->has_meeting_end_ms = true;
        r->meeting_start_ms = n->meeting_start;
        r->meeting_end_ms = n->meeting_end;
    }
    if (n->prev_start) {
        r->has_prev_meeting_start_ms = r->has_prev_meeting_end_ms = true;
        r->prev_meeting_start_ms = n->prev_start;
        r->prev_meeting_end_ms = n->prev_end;
    }
    r->uid = (char *)n->uid;
    r->tender = (Mvoi__Tender *)n->t;
    r->reason = (char *)n->reason;
    r->period_start = (char *)n->period_start;
    r->period_end = (char *)n->period_end;
    r->deadline = (char *)n->deadline;
    r->about_id = (char *)n->about_id;
    r->about_error = (char *)n->about_error;
    r->has_about_gave_up = n->about_gave_up;
    r->about_gave_up = n->about_gave_up;
    r->n_added = n->n_added;
    r->added = (Mvoi__Person **)n->added;
    r->n_removed = n->n_removed;
    r->removed = (Mvoi__Person **)n->removed;
}

/* Is the copy's packed form the same as before (nothing to write)? */
static bool s_same(const Mvoi__Reminder *r, const uint8_t *was, size_t wlen)
{
    size_t len = mvoi__reminder__get_packed_size(r);
    if (!was || len != wlen)
        return false;
    uint8_t *now = malloc(len ? len : 1);
    if (!now)
        return false;
    mvoi__reminder__pack(r, now);
    bool same = memcmp(now, was, len) == 0;
    free(now);
    return same;
}

int nt_plan_update(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const Mvoi__Tender *t)
{
    Mvoi__Person conf[3];
    s_list_t l = { .n = 0 };
    s_by_kind(s, t, r->kind, conf, &l);
    char *all[MAX_RCPT];
    for (size_t i = 0; i < l.n; i++)
        all[i] = l.v[i]->email;
    size_t wlen = mvoi__reminder__get_packed_size(r);
    uint8_t *was = malloc(wlen ? wlen : 1);
    if (was)
        mvoi__reminder__pack(r, was);
    /* borrowed for the write; the unpacked originals are put back before returning */
    char **orc = r->recipients, *osubj = r->subject, *oname = r->recipient_name;
    char *otitle = r->title;
    size_t onr = r->n_recipients, onatt = r->n_attendees;
    Mvoi__Person **oatt = r->attendees;
    Mvoi__Tender *ot = r->tender;
    bool hook = r->channel && strcmp(r->channel, "webhook") == 0;
    if (hook && l.n) {   /* nobody at all (no leader, no adviser): left as it was */
        r->recipients = all;
        r->n_recipients = l.n;
    }
    for (size_t i = 0; !hook && r->n_recipients == 1 && i < l.n; i++)
        if (strcasecmp(l.v[i]->email, r->recipients[0]) == 0)
            r->recipient_name = l.v[i]->name;   /* "Beste ..." as the person is known now */
    if (r->kind == K(SDG_DIALOGUE) && l.n) {
        r->attendees = l.v;
        r->n_attendees = l.n;
    }
    r->tender = (Mvoi__Tender *)t;
    if (t->title && *t->title)
        r->title = t->title;
    char *subj = NULL, *text = NULL;
    if (nt_msg_render(&s->msg, r, &subj, &text) == 0)
        r->subject = subj;
    int rc = s_same(r, was, wlen) ? 0 : nt_store_put(s, txn, r);
    free(was);
    free(subj);
    free(text);
    r->recipients = orc;
    r->n_recipients = onr;
    r->attendees = oatt;
    r->n_attendees = onatt;
    r->tender = ot;
    r->subject = osubj;
    r->recipient_name = oname;
    r->title = otitle;
    return rc;
}

/* A copy that exists when its message is made again after the people changed: one
 * cancelled because its recipient no longer was one (never delivered) is planned again,
 * as the message is now: the person is a recipient again (a leader changed and changed
 * back), and its id is the one a new copy would get. Any other is left as it is (one not
 * yet sent was brought up to date by the plan: nt_plan_update). */
static int s_revive(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r, const char *id)
{
    Mvoi__Reminder *o = NULL;
    int rc = nt_store_get(s, txn, id, &o);
    if (rc || o->state != ST(CANCELLED) || !o->last_error ||
        strcmp(o->last_error, NT_REASON_MOVED) != 0) {
        mvoi__reminder__free_unpacked(o, NULL);
        return rc;
    }
    o->state = ST(SCHEDULED);
    o->due_ms = r->due_ms;
    o->attempts = 0;
    o->has_first_failure_ms = false;
    o->has_next_attempt_ms = false;
    nt_store_set_error(o, NULL);
    rc = nt_plan_update(s, txn, o, r->tender);
    if (!rc)
        rc = nt_store_put(s, txn, o);   /* the state, when the text was the same */
    if (!rc)
        rc = nt_store_emit(s, txn, mvoi_topic_notify(MVOI_NOTIFY_SCHEDULED), o);
    mvoi__reminder__free_unpacked(o, NULL);
    return rc;
}

/* One record: id, recipients, the stored subject; skipped when it exists (planned again
 * when it was cancelled for a recipient who is one again: s_revive). */
static int s_put_one(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, const char *id,
                     char **rcpts, size_t nr, const char *name, const char *channel,
                     bool revive)
{
    MDB_val k = { strlen(id), (void *)id }, v;
    int rc = mdb_get(txn, s->rem, &k, &v);
    if (rc == 0 && revive)
        return s_revive(s, txn, r, id);
    if (rc != MDB_NOTFOUND)
        return rc;   /* 0: exists (the idempotency key) */
    char mid[NT_MSG_ID_MAX];
    r->id = (char *)id;
    r->recipients = rcpts;
    r->n_recipients = nr;
    r->recipient_name = (char *)name;
    r->channel = (char *)channel;
    nt_msg_message_id(mid, sizeof mid, id, s->mail_from);
    r->message_id = mid;
    char *subj = NULL, *text = NULL;
    if (nt_msg_render(&s->msg, r, &subj, &text) == 0)
        r->subject = subj;
    rc = nt_store_put(s, txn, r);
    if (!rc)
        rc = nt_store_emit(s, txn, mvoi_topic_notify(MVOI_NOTIFY_SCHEDULED), r);
    r->subject = NULL;
    free(subj);
    free(text);
    return rc;
}

size_t nt_plan_recipients(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind kind,
                          Mvoi__Person *conf, Mvoi__Person **out)
{
    s_list_t l = { .n = 0 };
    s_by_kind(s, t, kind, conf, &l);
    memcpy(out, l.v, l.n * sizeof *out);
    return l.n;
}

bool nt_plan_is_recipient(nt_service_t *s, const Mvoi__Tender *t, Mvoi__ReminderKind kind,
                          const char *email)
{
    Mvoi__Person conf[3];
    s_list_t l = { .n = 0 };
    s_by_kind(s, t, kind, conf, &l);
    for (size_t i = 0; i < l.n; i++)
        if (email && l.v[i]->email && strcasecmp(l.v[i]->email, email) == 0)
            return true;
    return false;
}

/* A copy whose id the store cannot hold is not planned, and says so: never skipped
 * without a word (the ids are bounded upstream so that this does not happen). */
static void s_not_planned(const nt_plan_new_t *n, const char *tid, const char *to)
{
    const char *kv[] = { "buyer", n->buyer ? n->buyer : "", "kind",
                         nt_store_kind_name(n->kind), NULL };
    log_emit(LOG_ERROR, "reminder_not_planned", kv, "a %s reminder of tender %.64s... to "
             "%.64s... was not planned: its id does not fit the store's keys (%d bytes, and 511 "
             "with buyer and tender)", nt_store_kind_name(n->kind), tid, to, NT_STORE_ID_MAX);
}

int nt_plan_create(nt_service_t *s, MDB_txn *txn, const nt_plan_new_t *n)
{
    Mvoi__Tender none = MVOI__TENDER__INIT;
    const Mvoi__Tender *t = n->t ? n->t : &none;
    Mvoi__Person conf[3], abuf[3];
    s_list_t l = { .n = 0 };
    if (n->to) {
        for (size_t i = 0; i < n->n_to; i++)
            s_add(&l, n->to[i], NULL);
    } else {
        s_by_kind(s, t, n->kind, conf, &l);
    }
    if (!l.n)
        return 0;   /* nobody to tell */
    const char *tid = t->id ? t->id : "";
    char key[420];
    if (s_key(key, sizeof key, n, tid)) {
        /* ids beyond the key limit are refused upstream; never truncated, never silent */
        const char *kv[] = { "buyer", n->buyer ? n->buyer : "", "kind",
                             nt_store_kind_name(n->kind), NULL };
        log_emit(LOG_ERROR, "reminder_not_planned", kv, "a %s reminder of tender %.64s... "
                 "was not planned: its key would be longer than %zu bytes",
                 nt_store_kind_name(n->kind), tid, sizeof key - 1);
        return 0;
    }
    const nt_who_t *org = nt_people_organizer(s, n->buyer);
    char orgs[600];
    snprintf(orgs, sizeof orgs, "%s%s<%s>", org->name ? org->name : "", org->name ? " " : "",
             org->email);
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    s_fill(s, &r, n, tid);
    r.organizer = orgs;
    Mvoi__Person *att[MAX_RCPT];
    if (n->to && n->kind == K(KICKOFF_CANCELLED)) {   /* whoever holds the invitation */
        r.n_attendees = l.n;
        r.attendees = l.v;
    } else if (n->kind == K(KICKOFF_INVITATION) || n->kind == K(KICKOFF_CANCELLED) ||
               n->kind == K(KICKOFF_REMINDER)) {
        r.n_attendees = nt_plan_attendees(s, t, abuf, att, MAX_RCPT);
        r.attendees = att;
    } else if (n->kind == K(SDG_DIALOGUE)) {
        r.n_attendees = l.n;
        r.attendees = l.v;
    } else if (n->kind == K(DELIVERY_FAILED)) {
        r.n_attendees = n->n_others;
        r.attendees = (Mvoi__Person **)n->others;
    }
    int rc = 0;
    char id[512];
    char *all[MAX_RCPT];
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        all[i] = l.v[i]->email;
        if (nt_plan_copy_id(id, sizeof id, key, l.v[i]->email, n->buyer, tid) == 0)
            rc = s_put_one(s, txn, &r, id, &all[i], 1, l.v[i]->name, "mail", n->revive);
        else
            s_not_planned(n, tid, l.v[i]->email);
    }
    if (rc == 0 && nt_hooks_for(s->hooks, n->buyer)) {   /* the buyer's own webhook only */
        if ((size_t)snprintf(id, sizeof id, "%s" NT_WEBHOOK_SUFFIX, key) < sizeof id &&
            nt_store_id_fits(n->buyer, tid, id))
            rc = s_put_one(s, txn, &r, id, all, l.n, NULL, "webhook", n->revive);
        else
            s_not_planned(n, tid, "webhook");
    }
    return rc;
}
