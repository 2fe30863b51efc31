/*  nt_plan: from calendar TenderEvents to planned reminders (who is told what, and when),
 *  inside the feed's transaction; plus the quarterly report reminder and the start-up
 *  transaction that re-plans what was in flight. */
#include "nt_service_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "clock.h"
#include "log.h"

#define NT_SDG_MAX 8   /* SDG dialogues a tender's plan may hold (nt_rules plans two) */

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
    int64_t amb_due;         /* where a first ambition reminder not yet sent belongs; 0 = any */
    bool amb_moved;          /* out: it was cancelled to move */
    uint32_t amb_version;    /* out: its highest schedule version */
    const Mvoi__Tender *t;   /* the tender as it is now */
    /* out: copies not yet sent whose recipient is no longer one (a new project leader),
     * cancelled; made again for whoever it goes to now */
    struct s_moved {
        Mvoi__ReminderKind kind;
        uint32_t ordinal, version, sequence;
        int64_t due_ms, meeting_start, meeting_end;   /* an SDG dialogue's session */
        char *period_start, *period_end, *deadline, *uid;
    } *moved;                /* as many as there are: a contract of years has more
                              * measurement requests than any fixed bound */
    int nmoved, capmoved;
    /* per SDG dialogue (by ordinal): its latest version not cancelled by the plan, and the
     * latest one people hold in their calendars (sent, being sent) with its session */
    struct s_sdg {
        uint32_t ver, held_ver;         /* 0: none */
        int64_t held_start, held_end;
        bool pending;                   /* a copy of ver not sent yet, or being sent */
        uint32_t done_ver;              /* the latest version with copies done (s_done) */
        Mvoi__Person holders[MAX_RCPT]; /* whom done_ver's copies were for, dead or
                                         * cancelled by an operator too: they were
                                         * invited (strdup'ed: s_sdg_free) */
        size_t nholders;
    } sdg[NT_SDG_MAX];
} s_sync_t;

/* Kinds whose recipients follow the tender's people until sent (the kick-off kinds
 * follow them through their own updates and cancellations). An SDG dialogue's invitation
 * not yet sent goes to the project leader of the moment, like a reminder. */
static bool s_follows_people(Mvoi__ReminderKind k)
{
    return k == K(AMBITION_MISSING) || k == K(AMBITION_ESCALATION) ||
           k == K(MEASUREMENT_REQUEST) || k == K(SDG_DIALOGUE);
}

/* A copy not yet sent to someone it no longer goes to (the leader changed)? A withdrawn
 * SDG invitation (a CANCEL) goes to whoever is no longer invited, by design. */
static bool s_gone(nt_service_t *s, const s_sync_t *y, const Mvoi__Reminder *r)
{
    return !y->all_off && s_follows_people(r->kind) && nt_store_active(r->state) &&
           !nt_msg_sdg_withdrawn(r) &&
           !(r->channel && strcmp(r->channel, "webhook") == 0) && r->n_recipients == 1 &&
           !nt_plan_is_recipient(s, y->t, r->kind, r->recipients[0]);
}

static char *s_dup(const char *v) { return v ? strdup(v) : NULL; }

/* Cancel a copy whose recipient is gone; remember what it was, to make it again for the
 * current recipients (s_remake: same kind, ordinal, version and due moment, so the copies
 * of those who stay keep their ids and are not made twice; those and the webhook's copy,
 * not yet sent, were brought up to date by s_update: recipients, attendees, tender). */
static int s_move(nt_service_t *s, MDB_txn *txn, s_sync_t *y, Mvoi__Reminder *r)
{
    if (y->nmoved == y->capmoved) {   /* not remembered, not cancelled: -ENOMEM aborts */
        int cap = y->capmoved ? 2 * y->capmoved : 8;
        struct s_moved *m = realloc(y->moved, (size_t)cap * sizeof *m);
        if (!m)
            return -ENOMEM;
        y->moved = m;
        y->capmoved = cap;
    }
    struct s_moved *m = &y->moved[y->nmoved++];
    *m = (struct s_moved){ r->kind, r->ordinal, r->schedule_version, r->sequence, r->due_ms,
                           r->meeting_start_ms, r->meeting_end_ms, s_dup(r->period_start),
                           s_dup(r->period_end), s_dup(r->deadline), s_dup(r->uid) };
    return nt_store_cancel(s, txn, r, NT_REASON_MOVED);
}

static int s_remake(nt_service_t *s, MDB_txn *txn, s_sync_t *y, int64_t now, int rc)
{
    for (int i = 0; i < y->nmoved; i++) {
        nt_plan_new_t n = { .t = y->t, .buyer = y->t->buyer, .kind = y->moved[i].kind,
                            .ordinal = y->moved[i].ordinal, .version = y->moved[i].version,
                            .due_ms = y->moved[i].due_ms, .now = now,
                            .sequence = y->moved[i].sequence,
                            .period_start = y->moved[i].period_start,
                            .period_end = y->moved[i].period_end,
                            .deadline = y->moved[i].deadline, .uid = y->moved[i].uid,
                            .meeting_start = y->moved[i].meeting_start,
                            .meeting_end = y->moved[i].meeting_end, .revive = true };
        if (!rc)
            rc = nt_plan_create(s, txn, &n);
        free(y->moved[i].period_start);
        free(y->moved[i].period_end);
        free(y->moved[i].deadline);
        free(y->moved[i].uid);
    }
    free(y->moved);
    y->moved = NULL;
    y->nmoved = y->capmoved = 0;
    return rc;
}

/* A copy not yet sent that stays goes out as the tender is now: the themes still open, the
 * pilot's SDGs, the title, the people (it rendered the tender as it was planned). */
static int s_update(nt_service_t *s, MDB_txn *txn, const s_sync_t *y, Mvoi__Reminder *r)
{
    if (y->all_off || !s_follows_people(r->kind) || !nt_store_active(r->state) ||
        nt_msg_sdg_withdrawn(r))
        return 0;
    return nt_plan_update(s, txn, r, y->t);
}

static bool s_planned_kind(Mvoi__ReminderKind k)
{
    return k == K(KICKOFF_REMINDER) || k == K(SDG_DIALOGUE) || k == K(MEASUREMENT_REQUEST);
}

/* An SDG invitation made at once (planned late, or an update of one that was sent:
 * s_dated) is still the plan's while its session stays where it was: not cancelled as
 * rescheduled (and then never made again: its id exists). */
static bool s_late_sdg(const nt_due_t *p, const Mvoi__Reminder *r)
{
    return r->kind == K(SDG_DIALOGUE) && r->due_ms == r->created_ms &&
           r->meeting_start_ms == p->start_ms;
}

/* Cancelled by the plan itself ("rescheduled", "rescheduled: ..."): that copy is not the
 * plan's any more, and what replaces it is made again. A copy an operator cancelled, or
 * one of a cancelled tender, still stands for its plan item (not made again). */
static bool s_replanned(const Mvoi__Reminder *r)
{
    return r->state == ST(CANCELLED) && r->last_error &&
           strncmp(r->last_error, "rescheduled", 11) == 0;
}

/* The plan item happened or is happening: sent, being sent, held, dead, or cancelled for
 * a reason other than the plan's. */
static bool s_done(const Mvoi__Reminder *r)
{
    return (nt_store_final(r->state) || r->state == ST(SENDING)) && !s_replanned(r);
}

static void s_sdg_free(struct s_sdg *g)
{
    for (size_t i = 0; i < g->nholders; i++) {
        free(g->holders[i].email);
        free(g->holders[i].name);
    }
    g->nholders = 0;
}

/* Pre-pass over the tender's copies: each SDG dialogue's latest version, and the latest
 * one held with its session. */
static int s_sdg_note(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg)
{
    (void)s;
    (void)txn;
    s_sync_t *y = arg;
    if (r->kind != K(SDG_DIALOGUE) || r->ordinal >= NT_SDG_MAX || s_replanned(r) ||
        (r->channel && strcmp(r->channel, "webhook") == 0))
        return 0;
    struct s_sdg *g = &y->sdg[r->ordinal];
    if (r->schedule_version > g->ver) {
        g->ver = r->schedule_version;
        g->pending = false;
    }
    if (r->schedule_version == g->ver && (nt_store_active(r->state) || r->state == ST(SENDING)))
        g->pending = true;
    if (nt_msg_sdg_withdrawn(r))
        return 0;
    bool held = r->state == ST(SENT) || r->state == ST(UNCONFIRMED) || r->state == ST(SENDING);
    if (held && r->schedule_version > g->held_ver) {
        g->held_ver = r->schedule_version;
        g->held_start = r->meeting_start_ms;
        g->held_end = r->meeting_end_ms;
    }
    if (!s_done(r) || r->schedule_version < g->done_ver)
        return 0;
    if (r->schedule_version > g->done_ver) {
        s_sdg_free(g);
        g->done_ver = r->schedule_version;
    }
    if (g->nholders < MAX_RCPT && r->n_recipients == 1) {
        Mvoi__Person *p = &g->holders[g->nholders++];
        mvoi__person__init(p);
        p->email = strdup(r->recipients[0]);
        p->name = r->recipient_name ? strdup(r->recipient_name) : NULL;
        if (!p->email)
            return -ENOMEM;
    }
    return 0;
}

/* Is r (of a planned kind) the plan's item p? One not yet sent: due as planned. One done:
 * whatever its due (a sent reminder is not sent again), except an SDG invitation, which
 * is the plan's only at the latest version and for the session planned now: when the
 * session moves after the invitation went out, the attendees get the new one. */
static bool s_is_item(const s_sync_t *y, const nt_due_t *p, const Mvoi__Reminder *r)
{
    if (p->kind != r->kind || p->ordinal != r->ordinal ||
        (r->kind == K(KICKOFF_REMINDER) && r->sequence != y->kickoff_seq))
        return false;
    if (!s_done(r))
        return nt_store_active(r->state) && (p->due_ms == r->due_ms || s_late_sdg(p, r));
    if (r->kind != K(SDG_DIALOGUE) || r->ordinal >= NT_SDG_MAX)
        return true;
    return r->schedule_version == y->sdg[r->ordinal].ver && r->meeting_start_ms == p->start_ms;
}

static int s_sync_one(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg)
{
    s_sync_t *y = arg;
    bool inv = r->kind == K(KICKOFF_INVITATION);
    bool amb = r->kind == K(AMBITION_MISSING) || r->kind == K(AMBITION_ESCALATION);
    if (inv && (r->state == ST(SENT) || r->state == ST(SENDING) || r->state == ST(UNCONFIRMED) ||
                (r->state == ST(RETRYING) && r->attempts > 0)))
        y->invited = true;
    if (amb) {
        if (nt_store_active(r->state) || r->state == ST(SENDING))
            y->ambition_active = true;
        else
            y->ambition_sent = true;
    }
    if (s_planned_kind(r->kind)) {
        bool match = false;
        for (int i = 0; i < y->nplan; i++)
            if (s_is_item(y, &y->plan[i], r)) {
                y->present[i] = true;   /* also while being sent: not made twice */
                match = true;
            }
        if (r->state == ST(SENDING))
            return 0;   /* its outcome will be recorded */
        if (!match && nt_store_active(r->state))
            return nt_store_cancel(s, txn, r, "rescheduled");
        return s_gone(s, y, r) ? s_move(s, txn, y, r) : s_update(s, txn, y, r);
    }
    if (r->state == ST(SENDING))
        return 0;   /* its outcome will be recorded */
    bool gone = s_gone(s, y, r);
    if (amb && r->ordinal == 1 && r->schedule_version > y->amb_version)
        y->amb_version = r->schedule_version;
    if (!nt_store_active(r->state))
        return 0;
    if (amb && r->ordinal == 1 && y->amb_due && r->due_ms != y->amb_due && !y->ambition_off &&
        !y->all_off) {
        y->amb_moved = true;
        return nt_store_cancel(s, txn, r, "rescheduled: the session moved");
    }
    if (y->all_off || (inv && y->kickoff_off) || (amb && y->ambition_off))
        return nt_store_cancel(s, txn, r, y->all_off ? "tender cancelled" : "rescheduled");
    return gone ? s_move(s, txn, y, r) : s_update(s, txn, y, r);
}

/* What places the session: the planned publication (and the title it is known by). */
void nt_plan_fingerprint(const Mvoi__Tender *t, char *buf, size_t len)
{
    nt_buf_t b = { 0 };
    nt_buf_printf(&b, "%s|%s", t->planned_publication ? t->planned_publication : "",
                  t->title ? t->title : "");
    nt_sha256_hex(b.data ? b.data : "", buf, len - 1 < 64 ? len - 1 : 64);
    nt_buf_free(&b);
}

static bool s_has(Mvoi__Person *const *v, size_t n, const char *email)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->email && strcasecmp(v[i]->email, email) == 0)
            return true;
    return false;
}

/* out = the persons of a that are not in b. */
static size_t s_minus(Mvoi__Person *const *a, size_t na, Mvoi__Person *const *b, size_t nb,
                      Mvoi__Person **out)
{
    size_t k = 0;
    for (size_t i = 0; i < na && k < MAX_RCPT; i++)
        if (a[i]->email && !s_has(b, nb, a[i]->email))
            out[k++] = a[i];
    return k;
}

/* The kick-off UID, globally unique (RFC 5545 3.8.4.7): it names the buyer. */
static void s_uid(nt_service_t *s, const char *what, const Mvoi__Tender *t, char *buf,
                  size_t cap)
{
    char b[200], id[200];
    buf[0] = 0;
    if (nt_plan_esc(b, sizeof b, t->buyer && *t->buyer ? t->buyer : "_") ||
        nt_plan_esc(id, sizeof id, t->id))
        return;   /* ids beyond the key limit get no records (see nt_plan_create) */
    int w = snprintf(buf, cap, "%s/%s/%s@%s", what, b, id,
                     nt_msg_domain(nt_people_organizer(s, t->buyer)->email));
    if (w < 0 || (size_t)w >= cap)
        buf[0] = 0;
}

/* What one tender event changes, computed before anything is written. */
typedef struct {
    const Mvoi__Tender *t;
    Mvoi__NotifierTender st;
    int64_t now, mstart, mend;
    uint32_t seq;
    bool cancelled, kickoff, have_inv, slot_changed, att_changed, resched;
    Mvoi__Person abuf[3];
    Mvoi__Person *att[MAX_RCPT], *added[MAX_RCPT], *removed[MAX_RCPT];
    size_t natt, nadded, nremoved;
    char uid[400], fp[65];
} s_apply_t;

/* The session (re)planned: REQUEST to everyone invited now, CANCEL to whoever was removed,
 * the coordinator told when it is too close to the publication. */
static int s_invite(nt_service_t *s, MDB_txn *txn, s_apply_t *a)
{
    const Mvoi__Tender *t = a->t;
    nt_plan_new_t n = { .t = t, .buyer = t->buyer, .kind = K(KICKOFF_INVITATION), .ordinal = 1,
                        .version = a->seq, .due_ms = a->now, .meeting_start = a->mstart,
                        .meeting_end = a->mend, .now = a->now, .sequence = a->seq,
                        .uid = a->uid, .added = a->added, .n_added = a->nadded,
                        .removed = a->removed, .n_removed = a->nremoved };
    if (a->have_inv && (a->st.meeting_start_ms != a->mstart || a->st.meeting_end_ms != a->mend)) {
        n.prev_start = a->st.meeting_start_ms;
        n.prev_end = a->st.meeting_end_ms;
    }
    int rc = nt_plan_create(s, txn, &n);
    if (!rc && a->nremoved) {
        nt_plan_new_t c = { .t = t, .buyer = t->buyer, .kind = K(KICKOFF_CANCELLED),
                            .ordinal = 2, .version = a->seq, .due_ms = a->now,
                            .meeting_start = a->st.meeting_start_ms,
                            .meeting_end = a->st.meeting_end_ms, .now = a->now,
                            .sequence = a->seq, .uid = a->uid, .to = a->removed,
                            .n_to = a->nremoved, .reason = "removed" };
        rc = nt_plan_create(s, txn, &c);
    }
    if (!rc && nt_rules_kickoff_late(&s->rules, t, a->mstart)) {
        nt_plan_new_t l = { .t = t, .buyer = t->buyer, .kind = K(KICKOFF_LATE), .ordinal = 1,
                            .version = a->seq, .due_ms = a->now, .meeting_start = a->mstart,
                            .meeting_end = a->mend, .now = a->now, .sequence = a->seq };
        rc = nt_plan_create(s, txn, &l);
    }
    a->st.has_kickoff_sequence = true;
    a->st.kickoff_sequence = a->seq;
    a->st.has_meeting_start_ms = a->st.has_meeting_end_ms = true;
    a->st.meeting_start_ms = a->mstart;
    a->st.meeting_end_ms = a->mend;
    a->st.meeting_fingerprint = a->fp;
    a->st.has_kickoff_cancelled = true;
    a->st.kickoff_cancelled = false;
    a->st.n_attendees = a->natt;
    a->st.attendees = a->att;
    return rc;
}

/* When a planned reminder goes out, or -1: not at all. What was due more than an hour ago
 * is dropped, except an SDG-dialogue invitation whose session is still ahead: it goes out
 * at once (nt_rules.h; it was never planned when its moment had passed). */
static int64_t s_due_or_drop(const nt_due_t *p, int64_t now)
{
    if (p->due_ms >= now - 3600000)
        return p->due_ms;
    if (p->kind == K(SDG_DIALOGUE) && p->start_ms > now)
        return now;
    return -1;
}

/* An SDG invitation made again: a version above every earlier one (their ids exist). When
 * the attendees hold an earlier one for another session, this is its update: it goes out
 * at once (not 10 working days before the new session: until then their calendars would
 * show the old one), says what changed, and its SEQUENCE is above the one they hold. */
static void s_sdg_again(const s_sync_t *y, const nt_due_t *p, nt_plan_new_t *n)
{
    if (p->ordinal >= NT_SDG_MAX || !y->sdg[p->ordinal].ver)
        return;
    const struct s_sdg *g = &y->sdg[p->ordinal];
    if (n->version <= g->ver) {
        n->version = g->ver + 1;
        n->sequence = n->version;
    }
    if (g->held_ver && g->held_start != p->start_ms) {
        n->due_ms = n->now;
        n->prev_start = g->held_start;
        n->prev_end = g->held_end;
    }
}

/* Who holds an SDG invitation (g->holders) and who is invited now: those added and those
 * removed (the latter get a CANCEL of the session they hold). */
typedef struct {
    Mvoi__Person conf[3], *now[MAX_RCPT], *added[MAX_RCPT], *removed[MAX_RCPT];
    size_t nnow, nadd, nrem;
} s_sdg_diff_t;

static void s_sdg_diff(nt_service_t *s, const Mvoi__Tender *t, const struct s_sdg *g,
                       s_sdg_diff_t *d)
{
    d->nnow = nt_plan_recipients(s, t, K(SDG_DIALOGUE), d->conf, d->now);
    d->nadd = d->nrem = 0;
    for (size_t i = 0; i < g->nholders; i++)
        if (!nt_plan_is_recipient(s, t, K(SDG_DIALOGUE), g->holders[i].email))
            d->removed[d->nrem++] = (Mvoi__Person *)&g->holders[i];
    for (size_t i = 0; i < d->nnow; i++) {
        bool holds = false;
        for (size_t k = 0; k < g->nholders && !holds; k++)
            holds = strcasecmp(g->holders[k].email, d->now[i]->email) == 0;
        if (!holds)
            d->added[d->nadd++] = d->now[i];
    }
}

/* An SDG invitation made again for a session that moved (s_sdg_again: an update at once)
 * while the people changed too (a new project leader in the same event): whoever holds the
 * old session and is no longer invited gets a CANCEL of it (same UID, the update's
 * SEQUENCE), and the update says who was added and who removed. Without it the old leader
 * got nothing and kept the old session in their calendar. */
static int s_sdg_moved_people(nt_service_t *s, MDB_txn *txn, const s_sync_t *y,
                              const nt_due_t *p, nt_plan_new_t *n)
{
    if (p->ordinal >= NT_SDG_MAX || y->all_off)
        return nt_plan_create(s, txn, n);
    const struct s_sdg *g = &y->sdg[p->ordinal];
    if (!g->held_ver || g->held_start == p->start_ms || g->held_start <= n->now)
        return nt_plan_create(s, txn, n);
    s_sdg_diff_t *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    s_sdg_diff(s, n->t, g, d);
    n->added = d->added;
    n->n_added = d->nadd;
    n->removed = d->removed;
    n->n_removed = d->nrem;
    int rc = nt_plan_create(s, txn, n);
    if (!rc && d->nrem) {
        nt_plan_new_t c = *n;
        c.to = d->removed;
        c.n_to = d->nrem;
        c.reason = "removed";
        c.meeting_start = g->held_start;   /* the session they hold */
        c.meeting_end = g->held_end;
        c.prev_start = c.prev_end = 0;
        c.added = c.removed = NULL;
        c.n_added = c.n_removed = 0;
        rc = nt_plan_create(s, txn, &c);
    }
    n->added = n->removed = NULL;
    n->n_added = n->n_removed = 0;
    free(d);
    return rc;
}

/* An SDG invitation everyone holds (sent, its session ahead and as planned) whose people
 * changed (a new project leader): the invitation again at once to everyone invited now,
 * saying who was added and who removed (same UID, a higher SEQUENCE), and a CANCEL to
 * whoever is no longer invited, as for the kick-off. */
static int s_sdg_people(nt_service_t *s, MDB_txn *txn, s_apply_t *a, const nt_due_t *p,
                        const s_sync_t *y)
{
    const struct s_sdg *g = &y->sdg[p->ordinal];
    if (y->all_off || !g->held_ver || g->held_ver != g->ver || g->done_ver != g->ver ||
        g->pending || g->held_start != p->start_ms || p->start_ms <= a->now)
        return 0;
    s_sdg_diff_t d;
    s_sdg_diff(s, a->t, g, &d);
    size_t nadd = d.nadd, nrem = d.nrem;
    Mvoi__Person **added = d.added, **removed = d.removed;
    if (!nadd && !nrem)
        return 0;
    char what[16], uid[400];
    snprintf(what, sizeof what, "sdg%u", p->ordinal);
    s_uid(s, what, a->t, uid, sizeof uid);
    nt_plan_new_t n = { .t = a->t, .buyer = a->t->buyer, .kind = K(SDG_DIALOGUE),
                        .ordinal = p->ordinal, .version = g->ver + 1, .due_ms = a->now,
                        .now = a->now, .sequence = g->ver + 1, .uid = uid,
                        .meeting_start = p->start_ms, .meeting_end = p->end_ms,
                        .added = added, .n_added = nadd, .removed = removed, .n_removed = nrem };
    int rc = nt_plan_create(s, txn, &n);
    if (!rc && nrem) {
        nt_plan_new_t c = n;
        c.to = removed;
        c.n_to = nrem;
        c.reason = "removed";
        c.added = c.removed = NULL;
        c.n_added = c.n_removed = 0;
        rc = nt_plan_create(s, txn, &c);
    }
    return rc;
}

/* Dated reminders not there yet (and not in the past). */
static int s_dated(nt_service_t *s, MDB_txn *txn, s_apply_t *a, const nt_due_t *plan,
                   int nplan, const bool *present, const s_sync_t *y)
{
    const Mvoi__Tender *t = a->t;
    int rc = 0;
    for (int i = 0; i < nplan && rc == 0; i++) {
        int64_t due = s_due_or_drop(&plan[i], a->now);
        if (present[i] && plan[i].kind == K(SDG_DIALOGUE) && plan[i].ordinal < NT_SDG_MAX)
            rc = s_sdg_people(s, txn, a, &plan[i], y);
        if (present[i] || due < 0)
            continue;
        bool kr = plan[i].kind == K(KICKOFF_REMINDER);
        nt_plan_new_t n = { .t = t, .buyer = t->buyer, .kind = plan[i].kind,
                            .ordinal = plan[i].ordinal,
                            .version = kr ? a->seq : (t->version ? t->version : 1),
                            .due_ms = due, .now = a->now, .sequence = a->seq };
        char uid[400], ps[11], pe[11], dl[11];
        if (kr) {
            n.meeting_start = a->mstart;
            n.meeting_end = a->mend;
        } else if (plan[i].kind == K(SDG_DIALOGUE)) {
            char what[16];
            snprintf(what, sizeof what, "sdg%u", plan[i].ordinal);
            s_uid(s, what, t, uid, sizeof uid);
            n.uid = uid;
            n.sequence = t->version;
            n.meeting_start = plan[i].start_ms;
            n.meeting_end = plan[i].end_ms;
            s_sdg_again(y, &plan[i], &n);
            rc = s_sdg_moved_people(s, txn, y, &plan[i], &n);
            continue;
        } else if (plan[i].kind == K(MEASUREMENT_REQUEST)) {
            nt_text_date_iso(ps, sizeof ps, plan[i].period_start);
            nt_text_date_iso(pe, sizeof pe, plan[i].period_end);
            nt_text_date_iso(dl, sizeof dl, plan[i].deadline);
            n.period_start = ps;
            n.period_end = pe;
            n.deadline = dl;
        }
        rc = nt_plan_create(s, txn, &n);
    }
    return rc;
}

static void s_prepare(nt_service_t *s, s_apply_t *a, const Mvoi__TenderEvent *te)
{
    const Mvoi__Tender *t = a->t;
    a->cancelled = te->kind == MVOI__TENDER_EVENT_KIND__TEV_CANCELLED ||
                   (t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED);
    a->kickoff = nt_rules_kickoff_required(t) && !a->cancelled;
    nt_plan_fingerprint(t, a->fp, sizeof a->fp);
    a->natt = nt_plan_attendees(s, t, a->abuf, a->att, MAX_RCPT);
    a->have_inv = a->st.has_kickoff_sequence && !a->st.kickoff_cancelled;
    a->slot_changed = !a->st.meeting_fingerprint || strcmp(a->st.meeting_fingerprint, a->fp);
    if (a->have_inv) {
        a->nadded = s_minus(a->att, a->natt, a->st.attendees, a->st.n_attendees, a->added);
        a->nremoved = s_minus(a->st.attendees, a->st.n_attendees, a->att, a->natt, a->removed);
    }
    a->att_changed = a->nadded || a->nremoved;
    a->resched = a->kickoff && (!a->have_inv || a->slot_changed || a->att_changed);
    a->seq = a->st.kickoff_sequence;
    if (a->resched && (!a->have_inv || a->slot_changed)) {
        int64_t base = a->have_inv ? (a->now > a->st.registered_ms ? a->now : a->st.registered_ms)
                                   : a->st.registered_ms;
        nt_rules_kickoff_slot(&s->rules, s->cal, t, base, &a->mstart, &a->mend);
    } else if (a->kickoff) {
        a->mstart = a->st.meeting_start_ms;
        a->mend = a->st.meeting_end_ms;
    }
    if (a->resched && (a->have_inv || a->st.kickoff_cancelled))
        a->seq = a->st.kickoff_sequence + 1;
    if (a->st.uid && *a->st.uid)
        snprintf(a->uid, sizeof a->uid, "%s", a->st.uid);
    else
        s_uid(s, "kickoff", t, a->uid, sizeof a->uid);
    a->st.uid = a->uid;
}

/* The first ambition reminder, counted from the session (or registration). */
static int s_ambition_first(nt_service_t *s, MDB_txn *txn, s_apply_t *a, const s_sync_t *y)
{
    const Mvoi__Tender *t = a->t;
    if (a->cancelled || !nt_rules_ambition_open(t) || y->ambition_sent)
        return 0;
    if (y->ambition_active && !y->amb_moved)
        return 0;
    if (!y->amb_moved && a->st.ambition_reminders != 0)
        return 0;
    int64_t from = nt_rules_ambition_from(&s->rules, a->kickoff ? a->mstart : 0,
                                          a->st.registered_ms);
    nt_plan_new_t n = { .t = t, .buyer = t->buyer, .kind = nt_rules_ambition_kind(&s->rules, 1),
                        .ordinal = 1, .version = y->amb_version + 1,
                        .due_ms = nt_rules_ambition_due(&s->rules, s->cal, from), .now = a->now };
    if (n.version == 0)
        n.version = 1;
    a->st.has_ambition_reminders = true;
    a->st.ambition_reminders = 1;
    return nt_plan_create(s, txn, &n);
}

static int s_apply_tender(nt_service_t *s, MDB_txn *txn, const Mvoi__TenderEvent *te,
                          int64_t ev_ms)
{
    const Mvoi__Tender *t = te->tender;
    if (!t || !t->id || !*t->id)
        return 0;
    s_apply_t *a = calloc(1, sizeof *a);
    if (!a)
        return -ENOMEM;
    a->t = t;
    a->now = clock_now_ms();
    Mvoi__NotifierTender *old = NULL;
    int rc = nt_store_load_tender(s, txn, t->buyer, t->id, &old);
    if (rc && rc != MDB_NOTFOUND) {
        free(a);
        return rc == -ENAMETOOLONG ? 0 : rc;   /* ids the key cannot hold are refused upstream */
    }
    mvoi__notifier_tender__init(&a->st);
    if (old)
        a->st = *old;
    a->st.tender = (Mvoi__Tender *)t;
    a->st.has_layout = true;
    a->st.layout = 2;
    if (!a->st.has_registered_ms) {
        a->st.has_registered_ms = true;
        a->st.registered_ms = t->has_created_ms && t->created_ms ? t->created_ms
                              : ev_ms                            ? ev_ms
                                                                 : a->now;
    }
    s_prepare(s, a, te);
    nt_due_t plan[64];
    bool present[64] = { 0 };
    int nplan = nt_rules_plan(&s->rules, s->cal, t, a->kickoff ? a->mstart : 0,
                              a->resched ? a->now : 0, plan, 64);
    s_sync_t y = { .plan = plan, .nplan = nplan, .present = present, .kickoff_seq = a->seq,
                   .kickoff_off = a->resched || !a->kickoff,
                   .ambition_off = !nt_rules_ambition_open(t), .all_off = a->cancelled,
                   .t = t };
    if (a->st.ambition_reminders <= 1)
        y.amb_due = nt_rules_ambition_due(&s->rules, s->cal, nt_rules_ambition_from(
                        &s->rules, a->kickoff ? a->mstart : 0, a->st.registered_ms));
    rc = nt_store_each_of_tender(s, txn, t->buyer, t->id, s_sdg_note, &y);
    if (!rc)
        rc = nt_store_each_of_tender(s, txn, t->buyer, t->id, s_sync_one, &y);
    rc = s_remake(s, txn, &y, a->now, rc);   /* also frees what was remembered */
    if (!rc && a->resched) {
        rc = s_invite(s, txn, a);
    } else if (!rc && !a->kickoff && a->have_inv) {
        /* The session is off: tell whoever holds the invitation, with the reason. */
        if (y.invited || a->st.invited) {
            nt_plan_new_t n = { .t = t, .buyer = t->buyer, .kind = K(KICKOFF_CANCELLED),
                                .ordinal = 1, .version = a->st.kickoff_sequence + 1,
                                .due_ms = a->now, .meeting_start = a->st.meeting_start_ms,
                                .meeting_end = a->st.meeting_end_ms, .now = a->now,
                                .sequence = a->st.kickoff_sequence + 1, .uid = a->uid,
                                .to = a->st.attendees, .n_to = a->st.n_attendees,
                                .reason = a->cancelled ? t->cancel_reason : NULL };
            if (!n.n_to)
                n.to = NULL;
            rc = nt_plan_create(s, txn, &n);
            a->st.kickoff_sequence++;
        }
        a->st.has_kickoff_cancelled = true;
        a->st.kickoff_cancelled = true;
    }
    if (!rc)
        rc = s_dated(s, txn, a, plan, nplan, present, &y);
    if (!rc)
        rc = s_ambition_first(s, txn, a, &y);
    if (!rc)
        rc = nt_store_save_tender(s, txn, &a->st);
    for (int i = 0; i < NT_SDG_MAX; i++)
        s_sdg_free(&y.sdg[i]);
    if (old)
        mvoi__notifier_tender__free_unpacked(old, NULL);
    free(a);
    return rc == -ENAMETOOLONG ? 0 : rc;
}

int nt_plan_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    nt_service_t *s = arg;
    if (ev->body_case != MVOI__ENVELOPE__BODY_TENDER_EVENT || !ev->tender_event)
        return 0;
    const Mvoi__Tender *t = ev->tender_event->tender;
    if (t && s->buyers && !mvoi_buyers_accepts(s->buyers, t->buyer ? t->buyer : "")) {
        /* a buyer this deployment does not serve (the calendar in open mode, or the registry
         * changed): nobody is mailed on its behalf; the event is consumed, counted, logged */
        s->refused_events++;
        log_warn("buyer_refused", "tender event of buyer '%.64s' (tender '%.64s') ignored: not "
                 "in the buyer registry (MVOI_BUYERS_FILE)", t->buyer ? t->buyer : "",
                 t->id ? t->id : "");
        return 0;
    }
    return s_apply_tender(s, txn, ev->tender_event, ev->has_ts_unix_ms ? ev->ts_unix_ms : 0);
}

/* ------------------------------------------------------------------ periodic reminders */

int nt_plan_quarter(nt_service_t *s, MDB_txn *txn, int64_t after)
{
    if (!s->core.email || !*s->core.email)
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

/* The journal (nt_send.c): per copy, its last line says how far it got. "A" (or a bare id,
 * the format before the "E" line): the server accepted it: SENT. "E": its end of DATA went
 * out and no answer was recorded: UNCONFIRMED (held) or sent again (unconfirmed=resend).
 * "R", "S" (the attempt in flight started and got no further), or no line: the server has
 * no complete copy: sent again below. Without "S", an operator's resend of a held copy,
 * killed before its end of DATA, was settled by the held attempt's "E" (a busy notifier
 * keeps it) and held again, unsent. Lines of copies no longer SENDING are old (their
 * outcome was committed). */
typedef struct {
    char **lines;
    size_t n;
} s_journal_t;

static void s_journal_free(s_journal_t *j)
{
    for (size_t i = 0; i < j->n; i++)
        free(j->lines[i]);
    free(j->lines);
}

static int s_journal_read(const char *path, s_journal_t *j)
{
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    char line[700];
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (!l || line[l - 1] != '\n')
            continue;   /* a torn last line: as if not written */
        line[l - 1] = 0;
        if (l == 1)
            continue;
        if (j->n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(j->lines, cap * sizeof *p);
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            j->lines = p;
        }
        if (!(j->lines[j->n] = strdup(line)))
            rc = -ENOMEM;
        else
            j->n++;
    }
    fclose(f);
    return rc;
}

static int s_reconcile(nt_service_t *s, MDB_txn *txn)
{
    s_journal_t j = { 0 };
    int rc = s_journal_read(s->journal, &j);
    int accepted = 0, unconfirmed = 0;
    /* Newest line first: the first line seen of a copy is its last. */
    for (size_t i = j.n; rc == 0 && i-- > 0;) {
        char *line = j.lines[i];
        if (!line[0])
            continue;   /* an older line of a copy decided below */
        bool tagged = line[1] == ' ' && strchr("AERS", line[0]);
        char tag = tagged ? line[0] : 'A';
        const char *id = tagged ? line + 2 : line;
        MDB_val key = { strlen(id), (void *)id }, v;
        if (mdb_get(txn, s->sending, &key, &v) != 0)
            continue;
        if (tag == 'R' || tag == 'S') {
            /* Refused, or started and no further: sent again with the others below; its
             * older lines do not count. */
            for (size_t k = 0; k < i; k++) {
                char *o = j.lines[k];
                bool ot = o[0] && o[1] == ' ' && strchr("AERS", o[0]);
                if (o[0] && strcmp(ot ? o + 2 : o, id) == 0)
                    o[0] = 0;
            }
            continue;
        }
        nt_result_t res = { .outcome = tag == 'A' ? NT_OK : NT_UNCONFIRMED,
                            .retry_after_ms = -1 };
        if (tag == 'E')
            snprintf(res.error, sizeof res.error, "interrupted after the end of DATA went out, "
                     "before the server's answer");
        if ((rc = nt_deliver_record(s, txn, id, &res)) == 0) {
            accepted += tag == 'A';
            unconfirmed += tag == 'E';
        }
    }
    s_journal_free(&j);
    if (accepted)
        log_info("journal_reconciled", "%d deliveries the server had accepted before the "
                 "stop recorded as sent (not sent again)", accepted);
    if (unconfirmed)
        log_warn("journal_unconfirmed", "%d deliveries had their end of DATA sent and no answer "
                 "recorded before the stop: %s", unconfirmed, s->unconfirmed_resend
                 ? "sent again (unconfirmed=resend)"
                 : "held as unconfirmed (mvoictl reminders list --state unconfirmed)");
    return rc;
}

int nt_plan_start_txn(MDB_txn *txn, void *arg)
{
    nt_service_t *s = arg;
    int mrc = nt_migrate(s, txn);   /* data of an older version: keys scoped by buyer */
    if (mrc || (mrc = nt_count_init(s, txn)))
        return mrc;
    /* Records that do not decode out of "due" and "sending" before anything below reads
     * them; restored ones a dead letter (nt_damaged.c) */
    if ((mrc = nt_damaged_start(s, txn)))
        return mrc;
    /* Reminders that were being sent when the process stopped: the journal says which the
     * server accepted (SENT) and which had their end of DATA sent (UNCONFIRMED); the others
     * never reached a server whole and are sent again. */
    if ((mrc = s_reconcile(s, txn)))
        return mrc;
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
        if ((rc = nt_plan_quarter(s, txn, now)) || (rc = store_put(txn, s->nmeta, &qk, &one, 0)))
            return rc;
    } else if (rc) {
        return rc;
    }
    return 0;
}
