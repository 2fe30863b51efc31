/*  nt_dead: the report of a dead letter to the coordinator. It is made when a copy dies
 *  (nt_dead_report) and names what the message's other recipients got; those counts are
 *  taken again when the report goes out (nt_dead_refresh), after the copies still being
 *  handed to the relay have their outcome. Made at the death alone, a report said "0 of 4
 *  have received it" of four invitations delivered a moment later, in the same batch. */
#include "mvoi_contract.h"
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K(x) MVOI__REMINDER_KIND__REM_##x

/* How long a report waits for the other copies in flight: they have their outcome within
 * the sender's timeouts; past this the report goes out with what is known then. */
#define S_WAIT_MS (10 * 60 * 1000)

/* The other copies of a dead copy's message (same tender, kind, ordinal and version, by
 * mail, not cancelled): who they were for, which were delivered (SENT; an unconfirmed
 * one is not known to be), and how many are being handed over now or are due to be
 * (their outcome is a moment away). */
typedef struct {
    const Mvoi__Reminder *dead;
    int64_t now;
    Mvoi__Person p[MAX_RCPT], *all[MAX_RCPT], *ok[MAX_RCPT];
    size_t n_all, n_ok, n_busy;
} s_siblings_t;

static bool s_busy(const Mvoi__Reminder *r, int64_t now)
{
    return r->state == ST(SENDING) ||
           (r->state == ST(SCHEDULED) && r->has_due_ms && r->due_ms <= now) ||
           (r->state == ST(RETRYING) && r->has_next_attempt_ms && r->next_attempt_ms <= now);
}

static int s_sibling(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg)
{
    (void)s;
    (void)txn;
    s_siblings_t *sb = arg;
    const Mvoi__Reminder *d = sb->dead;
    if (strcmp(r->id, d->id) == 0 || r->kind != d->kind || r->ordinal != d->ordinal ||
        r->schedule_version != d->schedule_version || r->state == ST(CANCELLED) ||
        (r->channel && strcmp(r->channel, "webhook") == 0) || !r->n_recipients ||
        sb->n_all == MAX_RCPT)
        return 0;
    Mvoi__Person *p = &sb->p[sb->n_all];
    mvoi__person__init(p);
    p->email = strdup(r->recipients[0]);
    p->name = r->recipient_name ? strdup(r->recipient_name) : NULL;
    if (!p->email || (r->recipient_name && !p->name)) {
        free(p->email);
        free(p->name);
        return -ENOMEM;
    }
    sb->all[sb->n_all++] = p;
    if (r->state == ST(SENT))
        sb->ok[sb->n_ok++] = p;
    if (s_busy(r, sb->now))
        sb->n_busy++;
    return 0;
}

static void s_siblings_free(s_siblings_t *sb)
{
    for (size_t i = 0; i < sb->n_all; i++) {
        free(sb->p[i].email);
        free(sb->p[i].name);
    }
    free(sb);
}

static s_siblings_t *s_siblings(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *dead,
                                int64_t now, int *rc)
{
    s_siblings_t *sb = calloc(1, sizeof *sb);
    if (!sb) {
        *rc = -ENOMEM;
        return NULL;
    }
    sb->dead = dead;
    sb->now = now;
    *rc = nt_store_each_of_tender(s, txn, dead->buyer, dead->tender_id, s_sibling, sb);
    if (*rc) {
        s_siblings_free(sb);
        return NULL;
    }
    return sb;
}

static int s_count_one(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r, void *arg)
{
    (void)s;
    (void)txn;
    (void)r;
    ++*(unsigned *)arg;
    return 0;
}

/* The key of the report of one death of a copy: "dead-<hash of its id>" for its first
 * death, "dead-<hash>-<n>" for the n-th (a copy an operator resent that died again). The
 * report's id is made of it, and an id that exists is not made again: keyed by the copy
 * alone, the second death of a resent copy found the first report's id and told nobody. */
#define S_DEATHS_MAX 100000u
static int s_report_tid(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r, char *tid,
                        size_t cap)
{
    char hex[33];
    nt_sha256_hex(r->id, hex, 32);
    for (unsigned n = 1; n <= S_DEATHS_MAX; n++) {
        if (n == 1)
            snprintf(tid, cap, "dead-%s", hex);
        else
            snprintf(tid, cap, "dead-%s-%u", hex, n);
        unsigned found = 0;
        int rc = nt_store_each_of_tender(s, txn, r->buyer, tid, s_count_one, &found);
        if (rc || !found)
            return rc;
    }
    return -EOVERFLOW;   /* a bound on the loop, never reached by hand */
}

int nt_dead_report(nt_service_t *s, MDB_txn *txn, const Mvoi__Reminder *r, int64_t now,
                   bool gave_up)
{
    if (r->kind == K(DELIVERY_FAILED) || (r->channel && strcmp(r->channel, "webhook") == 0))
        return 0;
    Mvoi__Person who = MVOI__PERSON__INIT;
    who.name = r->recipient_name;
    who.email = r->n_recipients ? r->recipients[0] : NULL;
    Mvoi__Person *removed[1] = { &who };
    nt_plan_new_t n = { .t = r->tender, .buyer = r->buyer, .kind = K(DELIVERY_FAILED),
                        .ordinal = r->kind, .version = r->schedule_version, .due_ms = now,
                        .now = now, .title = r->subject, .about_id = r->id,
                        .about_error = r->last_error, .about_gave_up = gave_up,
                        .removed = removed,
                        .n_removed = who.email ? 1 : 0 };
    Mvoi__Tender none = MVOI__TENDER__INIT;
    /* The dead copy keys the report, one per dead copy, by a hash of its id: the id itself
     * (buyer/tender/kind/ordinal/version/address, up to about 400 bytes) did not fit a
     * key once escaped, and the report was then not made, without a word. The report
     * names the copy in full (about_id). */
    char tid[48];
    int rc = s_report_tid(s, txn, r, tid, sizeof tid);
    if (rc)
        return rc;
    none.buyer = r->buyer;
    none.id = tid;
    none.title = r->tender && r->tender->title ? r->tender->title : r->title;
    n.t = &none;
    s_siblings_t *sb = s_siblings(s, txn, r, now, &rc);
    if (!sb)
        return rc;
    n.others = sb->all;
    n.n_others = sb->n_all;
    n.added = sb->ok;
    n.n_added = sb->n_ok;
    rc = nt_plan_create(s, txn, &n);
    s_siblings_free(sb);
    return rc;
}

/* A person as the record's own allocation (protobuf-c's free_unpacked frees it with
 * free()); NULL when out of memory. */
static Mvoi__Person *s_person_dup(const Mvoi__Person *p)
{
    Mvoi__Person *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    mvoi__person__init(c);
    c->email = strdup(p->email);
    c->name = p->name ? strdup(p->name) : NULL;
    if (!c->email || (p->name && !c->name)) {
        mvoi__person__free_unpacked(c, NULL);
        return NULL;
    }
    return c;
}

/* *out: n copies of v, NULL when n is 0; -ENOMEM with nothing left allocated. */
static int s_people_dup(Mvoi__Person *const *v, size_t n, Mvoi__Person ***out)
{
    *out = NULL;
    if (!n)
        return 0;
    Mvoi__Person **a = calloc(n, sizeof *a);
    if (!a)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(a[i] = s_person_dup(v[i]))) {
            while (i--)
                mvoi__person__free_unpacked(a[i], NULL);
            free(a);
            return -ENOMEM;
        }
    *out = a;
    return 0;
}

static void s_people_free(Mvoi__Person **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mvoi__person__free_unpacked(v[i], NULL);
    free(v);
}

int nt_dead_refresh(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *rep, int64_t now,
                    bool *wait)
{
    *wait = false;
    if (rep->kind != K(DELIVERY_FAILED) || !rep->about_id)
        return 0;
    Mvoi__Reminder *dead = NULL;
    int rc = nt_store_get(s, txn, rep->about_id, &dead);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;   /* purged: the counts made at the death */
    s_siblings_t *sb = s_siblings(s, txn, dead, now, &rc);
    mvoi__reminder__free_unpacked(dead, NULL);
    if (!sb)
        return rc;
    if (sb->n_busy && rep->has_due_ms && now < rep->due_ms + S_WAIT_MS) {
        *wait = true;
        s_siblings_free(sb);
        return 0;
    }
    Mvoi__Person **all = NULL, **ok = NULL;
    rc = s_people_dup(sb->all, sb->n_all, &all);
    if (!rc && (rc = s_people_dup(sb->ok, sb->n_ok, &ok)) != 0)
        s_people_free(all, sb->n_all);
    if (!rc) {
        s_people_free(rep->attendees, rep->n_attendees);
        s_people_free(rep->added, rep->n_added);
        rep->attendees = all;
        rep->n_attendees = sb->n_all;
        rep->added = ok;
        rep->n_added = sb->n_ok;
    }
    s_siblings_free(sb);
    return rc;
}
