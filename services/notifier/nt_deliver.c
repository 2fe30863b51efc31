/*  nt_deliver: the tick that takes due reminders (one write transaction), hands them to a
 *  channel and records the outcome (a second transaction): SENT, RETRYING with backoff, or
 *  DEAD; and what a sent reminder sets in motion (the next ambition reminder, the next
 *  quarter). */
#include "mvoi_contract.h"
#include "nt_service_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "feed.h"
#include "log.h"
#include "mvoi_error.h"
#include "nt_idn.h"
#include "nt_retry.h"
#include "server.h"
#include "store.h"

#define PICK_MAX 256

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
        return nt_plan_quarter(s, txn, now);
    Mvoi__NotifierTender *nt = NULL;
    int rc = r->tender_id && *r->tender_id
                 ? nt_store_load_tender(s, txn, r->buyer, r->tender_id, &nt)
                 : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (r->kind == K(KICKOFF_INVITATION)) {
        nt->has_invited = true;
        nt->invited = true;
        rc = nt_store_save_tender(s, txn, nt);
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
        nt_plan_new_t n = { .t = nt->tender, .buyer = r->buyer,
                      .kind = nt_rules_ambition_kind(&s->rules, ord),
                      .ordinal = ord, .version = 1, .due_ms = due, .now = now };
        if (!(rc = nt_plan_create(s, txn, &n))) {
            nt->has_ambition_reminders = true;
            nt->ambition_reminders = ord;
            rc = nt_store_save_tender(s, txn, nt);
        }
    }
    mvoi__notifier_tender__free_unpacked(nt, NULL);
    return rc;
}

/* Chains that go on when a copy is dead: the next ambition reminder and the escalation to
 * the budget holder (a wrong leader's address must not end them: the escalation is how
 * someone else hears of it), and the next quarter's report. A dead invitation does not
 * count as invited. */
static bool s_chain_survives_dead(const Mvoi__Reminder *r)
{
    return r->kind == K(AMBITION_MISSING) || r->kind == K(AMBITION_ESCALATION) ||
           r->kind == K(QUARTERLY_REPORT);
}

/* A temporary failure (no connection, 4xx, HTTP 5xx/429) is retried as a mature MTA does
 * (postfix: maximal_queue_lifetime 5 days, maximal_backoff_time about an hour): backoff
 * with full jitter, capped at retry_max, until retry_lifetime after the copy's first
 * temporary failure, the last attempt on that horizon itself. With 12 attempts and a 30
 * minute cap a relay down for about an hour made every copy a dead letter. max_attempts,
 * when set, bounds the attempts too. true: r is RETRYING; false: it has run out (why). */
static bool s_retry(nt_service_t *s, Mvoi__Reminder *r, const nt_result_t *res, int64_t now,
                    char *why, size_t cap)
{
    if (!r->has_first_failure_ms || r->first_failure_ms > now) {
        r->has_first_failure_ms = true;
        r->first_failure_ms = now;
    }
    int64_t horizon = r->first_failure_ms + s->retry_lifetime;
    double hours = (double)(now - r->first_failure_ms) / 3600000.0;
    if (now >= horizon || (s->max_attempts && r->attempts >= s->max_attempts)) {
        snprintf(why, cap, "%s (temporary failures for %.1f h, %u attempts: given up)",
                 res->error, hours, r->attempts);
        return false;
    }
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
        rnd = (uint64_t)clock_mono_ns();
    int64_t delay = nt_backoff_delay(s->retry_base, s->retry_max, r->attempts, rnd, 10);
    if (res->retry_after_ms >= 0 && res->retry_after_ms > delay)
        delay = res->retry_after_ms < 86400000 ? res->retry_after_ms : 86400000;
    if (delay > horizon - now)
        delay = horizon - now;
    r->state = ST(RETRYING);
    r->has_next_attempt_ms = true;
    r->next_attempt_ms = now + delay;
    return true;
}

static int s_done_txn(MDB_txn *txn, void *arg)
{
    s_done_t *d = arg;
    return nt_deliver_record(d->s, txn, d->id, d->res);
}

int nt_deliver_record(nt_service_t *s, MDB_txn *txn, const char *id, const nt_result_t *res)
{
    Mvoi__Reminder *r = NULL;
    int rc = nt_store_get(s, txn, id, &r);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    int64_t now = clock_now_ms();
    const char *topic;
    char err[700];
    nt_outcome_t outcome = res->outcome;
    if (outcome == NT_UNCONFIRMED && s->unconfirmed_resend)
        outcome = NT_TRANSIENT;   /* RFC 5321 6.1: a duplicate rather than a loss */
    if (outcome == NT_UNCONFIRMED) {
        /* Held: the server has it unless it refused after the end of DATA; sending it
         * again would duplicate what it stored. The plan goes on as if sent. */
        r->state = ST(UNCONFIRMED);
        r->has_sent_ms = true;
        r->sent_ms = now;
        r->has_next_attempt_ms = false;
        nt_store_set_error(r, res->error);
        topic = mvoi_topic_notify(MVOI_NOTIFY_UNCONFIRMED);
    } else if (outcome == NT_OK) {
        r->state = ST(SENT);
        r->has_sent_ms = true;
        r->sent_ms = now;
        r->has_next_attempt_ms = false;
        nt_store_set_error(r, NULL);
        topic = mvoi_topic_notify(MVOI_NOTIFY_SENT);
    } else if (outcome == NT_TRANSIENT && s_retry(s, r, res, now, err, sizeof err)) {
        nt_store_set_error(r, res->error);
        topic = mvoi_topic_notify(MVOI_NOTIFY_FAILED);
    } else {
        r->state = ST(DEAD);
        r->has_next_attempt_ms = false;
        nt_store_set_error(r, outcome == NT_TRANSIENT ? err : res->error);
        topic = mvoi_topic_notify(MVOI_NOTIFY_DEAD);
    }
    if (r->state != ST(RETRYING))
        r->has_first_failure_ms = false;   /* a resend starts a lifetime of its own */
    rc = nt_store_put(s, txn, r);
    if (!rc)
        rc = nt_store_emit(s, txn, topic, r);
    if (!rc && (outcome == NT_OK || outcome == NT_UNCONFIRMED ||
                (r->state == ST(DEAD) && s_chain_survives_dead(r))))
        rc = s_after_sent(s, txn, r, now);
    if (!rc && r->state == ST(DEAD))
        rc = nt_dead_report(s, txn, r, now, outcome == NT_TRANSIENT);
    /* failing for an hour or more (postfix's delay_warning_time): a warning, since the
     * dead letter that reports it comes only after retry_lifetime_hours */
    bool delayed = r->state == ST(RETRYING) && now - r->first_failure_ms >= 3600000;
    if (!rc && outcome != NT_OK)
        log_emit(r->state == ST(RETRYING) && !delayed ? LOG_INFO : LOG_WARN,
                 r->state == ST(DEAD) ? "notification_dead"
                 : r->state == ST(UNCONFIRMED) ? "notification_unconfirmed"
                 : delayed ? "notification_delayed" : "notification_retry",
                 (const char *const[]){ "reminder.id", r->id, NULL }, "%s", res->error);
    mvoi__reminder__free_unpacked(r, NULL);
    return rc;
}

static void s_on_sent(void *arg, const nt_result_t *res)
{
    s_inflight_t *f = arg;
    nt_service_t *s = f->s;
    s_done_t d = { s, f->id, res };
    int rc = store_write(s->store, s_done_txn, &d);
    if (rc) {
        const char *kv[] = { "error", mvoi_errname(rc), "delivery", f->id, NULL };
        log_emit(LOG_ERROR, "record_failed", kv, "cannot record the outcome of %s: %s (it "
                 "stays in flight and is sent again after a restart)", f->id, mvoi_strerror(rc));
    }
    else
        nt_sender_journal_reset(s->sender);   /* when nothing else is in flight */
    free(f->id);
    free(f);
    if (s->stopping)
        nt_service_maybe_close(s);
    else
        nt_deliver_kick(s);
}

typedef struct {
    nt_service_t *s;
    unsigned free_slots;
    Mvoi__Reminder *picked[PICK_MAX];
    unsigned npicked;
} s_pick_t;

/* Kinds whose ordinals are different messages, not repeats of one: an SDG dialogue's
 * ordinal is its session, with its own UID; a measurement request's is its period (the
 * quarter whose figures it asks for, its dates, deadline and "--period" command line).
 * Of two due at once, the earlier is not "superseded": collapsing them cancelled
 * dialogue 1's invitation, and after an outage Q1's measurement request when Q2's was due
 * too, so nobody was asked for Q1's figures. Each period's request goes out as its own
 * mail rather than one mail naming every missed period: a project leader reports one
 * measurement per period (mvoictl measure add --period), each with its own deadline, and
 * a mail per period keeps a delivery state per period (a dead letter or a resend names
 * exactly the period that did not arrive). Repeats of one reminder (an ambition nagging,
 * ordinal 1, 2, ...) still collapse into the latest. */
static bool s_ordinal_is_item(Mvoi__ReminderKind k)
{
    return k == K(SDG_DIALOGUE) || k == K(MEASUREMENT_REQUEST);
}

static bool s_same_group(const Mvoi__Reminder *a, const Mvoi__Reminder *b)
{
    bool amb_a = a->kind == K(AMBITION_MISSING) || a->kind == K(AMBITION_ESCALATION);
    bool amb_b = b->kind == K(AMBITION_MISSING) || b->kind == K(AMBITION_ESCALATION);
    if (s_ordinal_is_item(a->kind) && a->ordinal != b->ordinal)
        return false;
    const char *ra = a->n_recipients ? a->recipients[0] : "";
    const char *rb = b->n_recipients ? b->recipients[0] : "";
    return strcmp(a->tender_id ? a->tender_id : "", b->tender_id ? b->tender_id : "") == 0 &&
           strcmp(a->buyer ? a->buyer : "", b->buyer ? b->buyer : "") == 0 &&
           strcmp(ra, rb) == 0 &&
           strcmp(a->channel ? a->channel : "", b->channel ? b->channel : "") == 0 &&
           (a->kind == b->kind || (amb_a && amb_b)) && a->kind != K(KICKOFF_CANCELLED);
}

/* A kick-off or SDG mail whose session has started is not sent late. One never tried (the
 * notifier was down) is cancelled as expired; an invitation that was failing until then
 * (a relay down for days: it is retried that long now) never reached its recipient, which
 * is a dead letter, reported to the coordinator, not a quiet cancellation. */
static int s_expire(nt_service_t *s, MDB_txn *txn, Mvoi__Reminder *r)
{
    bool invitation = (r->kind == K(KICKOFF_INVITATION) || r->kind == K(SDG_DIALOGUE)) &&
                      !nt_msg_sdg_withdrawn(r);
    if (!invitation || r->state != ST(RETRYING) || !r->attempts)
        return nt_store_cancel(s, txn, r, "expired: the session has started");
    nt_result_t res = { .outcome = NT_PERMANENT, .retry_after_ms = -1 };
    snprintf(res.error, sizeof res.error, "not delivered before the session started; "
             "last error: %.500s", r->last_error ? r->last_error : "");
    return nt_deliver_record(s, txn, r->id, &res);
}

/* A due entry whose reminder does not decode (-EIO) or is gone (MDB_NOTFOUND) was skipped
 * at every tick, its mail never sent and nothing said. Now it leaves the "due" index in
 * this write transaction (so it is named once, not at every tick, and never spun on); an
 * undecodable record stays in "rem" for repair, is logged (record_undecodable) and counted
 * in "nmeta" n_undecodable, which health shows as undecodable_records: a counter in the
 * store, not in memory, since the entry is logged only once and a restart must not hide it
 * (nt_count.c). Those damaged before the start never get here: nt_damaged.c took them out
 * and counted them then, so this one, damaged since, is added once. A record that is gone
 * has nothing to repair or send: logged only. */
static int s_drop_due(nt_service_t *s, MDB_txn *txn, MDB_cursor *c, const char *id, int why)
{
    int rc = store_cursor_del(c, 0);
    if (!rc && why == -EIO)
        rc = nt_count_undecodable(s, txn);
    if (rc)
        return rc;
    const char *kv[] = { "record", "reminder", "reminder.id", id, "error",
                         why == -EIO ? mvoi_errname(MVOI_E_UNDECODABLE) : "MDB_NOTFOUND", NULL };
    if (why == -EIO)
        log_emit(LOG_ERROR, "record_undecodable", kv, "the stored reminder %s does not decode: "
                 "taken out of the due index, its mail is not sent; the record stays for "
                 "repair", id);
    else
        log_emit(LOG_ERROR, "due_record_missing", kv, "a due entry names reminder %s, which "
                 "is not stored: taken out of the due index", id);
    return 0;
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
    int drc = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && nc < PICK_MAX;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || store_get_be64s(k.mv_data) > now)
            break;
        /* every id a due key holds fits whole (an LMDB key is at most 511 bytes): a cut
         * one would name another record, or none */
        char id[600];
        _Static_assert(sizeof id > 511 - 8, "a due key's id fits whole");
        size_t il = k.mv_size - 8;
        if (il >= sizeof id) {
            char len[24];
            snprintf(len, sizeof len, "%zu", il);
            const char *kv[] = { "bytes", len, NULL };
            log_emit(LOG_ERROR, "due_key_too_long", kv, "a due entry's id of %zu bytes is "
                     "longer than %zu: not taken", il, sizeof id - 1);
            continue;
        }
        memcpy(id, (char *)k.mv_data + 8, il);
        id[il] = 0;
        Mvoi__Reminder *r = NULL;
        int grc = nt_store_get(s, txn, id, &r);
        if (grc == 0)
            cand[nc++] = r;
        else if ((grc == -EIO || grc == MDB_NOTFOUND) && (drc = s_drop_due(s, txn, c, id, grc)))
            break;
    }
    mdb_cursor_close(c);
    rc = drc;   /* a failed drop fails the transaction whole: nothing is picked, all freed */
    /* Catch-up collapses missed ticks: of several due reminders of one tender and kind,
     * only the latest goes out; expired kick-off mails are dropped. */
    for (unsigned i = 0; i < nc && rc == 0; i++) {
        Mvoi__Reminder *r = cand[i];
        if (!r)
            continue;
        bool ko = r->kind == K(KICKOFF_INVITATION) || r->kind == K(KICKOFF_REMINDER) ||
                  r->kind == K(SDG_DIALOGUE);
        if (ko && r->has_meeting_start_ms && r->meeting_start_ms <= now) {
            rc = s_expire(s, txn, r);
            mvoi__reminder__free_unpacked(r, NULL);
            cand[i] = NULL;
            continue;
        }
        if (r->channel && strcmp(r->channel, "webhook") == 0 &&
            !nt_hooks_for(s->hooks, r->buyer)) {
            /* planned under an earlier configuration: never to another buyer's endpoint */
            rc = nt_store_cancel(s, txn, r, "no webhook for this buyer (webhooks_file, "
                                 "webhook_buyers)");
            mvoi__reminder__free_unpacked(r, NULL);
            cand[i] = NULL;
            continue;
        }
        for (unsigned j = i + 1; j < nc; j++)
            if (cand[j] && s_same_group(r, cand[j]) && r->kind != K(KICKOFF_INVITATION)) {
                rc = nt_store_cancel(s, txn, r, "superseded: a later reminder of this kind was due");
                mvoi__reminder__free_unpacked(r, NULL);
                cand[i] = NULL;
                break;
            }
    }
    for (unsigned i = 0; i < nc; i++) {
        Mvoi__Reminder *r = cand[i];
        if (!r)
            continue;
        bool wait = false;   /* a dead letter's report waiting for its siblings' outcome */
        if (rc == 0 && p->npicked < p->free_slots)
            rc = nt_dead_refresh(s, txn, r, now, &wait);
        if (rc == 0 && !wait && p->npicked < p->free_slots) {
            r->state = ST(SENDING);
            r->attempts++;
            r->has_attempts = true;
            if ((rc = nt_store_put(s, txn, r)) == 0) {
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

/* A mail's recipients as the envelope (RCPT TO) and To: carry them: their domains in
 * A-labels (nt_idn), so "jan@bücher.nl" goes to a relay without SMTPUTF8 as
 * "jan@xn--bcher-kva.nl"; the record keeps the address as it was given. */
typedef struct {
    char addr[MAX_RCPT][NT_IDN_ADDR_MAX];
    char *list[MAX_RCPT + 1];
} s_wire_rcpts_t;

/* 0; -ENOMEM; or a permanent outcome in res (a domain with no A-label form is never sent
 * raw, more recipients than a mail takes are never cut) and its error. */
static int s_wire_rcpts(const Mvoi__Reminder *r, s_wire_rcpts_t *w, nt_result_t *res)
{
    char why[NT_IDN_WHY_MAX] = "";
    int rc = 0;
    if (r->n_recipients > MAX_RCPT) {
        snprintf(why, sizeof why, "%zu recipients, more than a mail takes (%d)",
                 r->n_recipients, MAX_RCPT);
        rc = -E2BIG;
    }
    for (size_t i = 0; i < r->n_recipients && rc == 0; i++) {
        rc = nt_idn_address(r->recipients[i], w->addr[i], sizeof w->addr[i], why, sizeof why);
        if (rc == -ENOSPC)
            snprintf(why, sizeof why, "a recipient's address is longer than %d bytes with "
                     "its domain in A-labels", NT_IDN_ADDR_MAX - 1);
        w->list[i] = w->addr[i];
        w->list[i + 1] = NULL;
    }
    if (r->n_recipients == 0)
        w->list[0] = NULL;
    if (rc && rc != -ENOMEM) {
        *res = (nt_result_t){ .outcome = NT_PERMANENT, .retry_after_ms = -1 };
        snprintf(res->error, sizeof res->error, "address: %s: not sent", why);
    }
    return rc;
}

/* The organizer ("Name <address>" or an address) as From: and ORGANIZER carry it: its
 * domain in A-labels, as the recipients', so a relay without SMTPUTF8 takes the mail. One
 * with no A-label form (or too long for buf) stays as given: the mail then needs SMTPUTF8,
 * and the sender refuses it on a relay without (a named dead letter), never sends it raw. */
static const char *s_wire_organizer(const char *org, char *buf, size_t cap)
{
    if (!org)
        return NULL;
    const char *lt = strchr(org, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    const char *a = lt && gt ? lt + 1 : org;
    size_t alen = lt && gt ? (size_t)(gt - a) : strlen(org);
    char addr[NT_IDN_ADDR_MAX], wire[NT_IDN_ADDR_MAX], why[NT_IDN_WHY_MAX];
    if (alen >= sizeof addr)
        return org;
    memcpy(addr, a, alen);
    addr[alen] = '\0';
    if (nt_idn_address(addr, wire, sizeof wire, why, sizeof why) != 0 || !strcmp(addr, wire))
        return org;
    int n = snprintf(buf, cap, "%.*s%s%s", (int)(a - org), org, wire, lt && gt ? gt : "");
    return n > 0 && (size_t)n < cap ? buf : org;
}

/* One mail: its recipients in their wire form (s_wire_rcpts), the message with them in
 * To:, handed to the sender. A permanent refusal is recorded here (0); another error is
 * the caller's (a transient one). */
static int s_deliver_mail(nt_service_t *s, const Mvoi__Reminder *r, s_inflight_t *f)
{
    s_wire_rcpts_t *w = malloc(sizeof *w);
    if (!w)
        return -ENOMEM;
    nt_result_t res;
    int rc = s_wire_rcpts(r, w, &res);
    if (rc && rc != -ENOMEM) {
        free(w);
        s_on_sent(f, &res);
        return 0;
    }
    nt_buf_t mail = { 0 };
    /* the record as it goes out: only its recipients' and organizer's domains differ */
    Mvoi__Reminder wire = *r;
    char org[800];
    wire.recipients = w->list;
    wire.organizer = (char *)s_wire_organizer(r->organizer, org, sizeof org);
    if (!rc)
        rc = nt_msg_mail(&s->msg, &wire, clock_now_ms(), &mail);
    if (!rc)
        rc = nt_sender_mail(s->sender, r->id, (const char *const *)w->list, mail.data,
                            mail.len, s_on_sent, f);
    nt_buf_free(&mail);
    free(w);
    return rc;
}

static void s_deliver(nt_service_t *s, Mvoi__Reminder *r)
{
    s_inflight_t *f = calloc(1, sizeof *f);
    f->s = s;
    f->id = strdup(r->id);
    int rc;
    if (r->channel && strcmp(r->channel, "webhook") == 0) {
        const nt_hook_t *hook = nt_hooks_for(s->hooks, r->buyer);
        char *body = NULL;
        rc = hook ? nt_msg_webhook_body(&s->msg, hook->tpl, r, &body) : -ENOENT;
        char key[600];
        nt_webhook_id(r->id, key, sizeof key);
        if (!rc)
            rc = nt_sender_webhook(s->sender, hook->url, hook->secret, key, body, s_on_sent, f);
        free(body);
    } else {
        rc = s_deliver_mail(s, r, f);
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
    /* A storage failure is logged by the store, once per attempt of its backoff. */
    if (rc && !store_failing(s->store, NULL)) {
        const char *kv[] = { "error", mvoi_errname(rc), NULL };
        log_emit(LOG_ERROR, "pick_failed", kv, "cannot take due reminders: %s",
                 mvoi_strerror(rc));
    }
    for (unsigned i = 0; i < p->npicked; i++) {
        s_deliver(s, p->picked[i]);
        mvoi__reminder__free_unpacked(p->picked[i], NULL);
    }
    bool more = p->npicked == p->free_slots;
    free(p);
    if (more && !s->stopping && nt_sender_inflight(s->sender) < s->max_inflight)
        nt_deliver_kick(s);
}

void nt_deliver_kick(nt_service_t *s)
{
    if (!s->stopping && !s->closed)
        uv_timer_start(&s->tick, s_on_tick, 0, (uint64_t)s->tick_ms);
}
