/*  The notifier per recipient and per buyer, between real processes (helpers in nt_it.c):
 *  a refused address among five, a leader change (CANCEL to the old, REQUEST to the new),
 *  two buyers with the same tender id, ambition reminders that start after the session, a
 *  late kick-off flagged, and data of the previous layout migrated at start. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "inbox.h"
#include "nt_it.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

static const char *s_five[] = { "bh@gemeente.example", "inkoop@gemeente.example",
                                "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };

static Mvoi__ReminderList *s_dead(it_ctx_t *c, Mvoi__Envelope **keep)
{
    return it_list(c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, keep);
}

/* Tender tid, whose leader's address (typo) the relay refuses: that copy alone is dead,
 * the four others are delivered, and the coordinator is told. */
static void s_refused_alone(const char *tid, const char *typo)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink_with(&c, "nt_handlers.RefuseTypo");
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Person leader = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                            (char *)typo };
    Mvoi__Tender t = it_tender(tid, true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &leader;
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_mails_settled(&c, "delivery_failed", 1, m, 64, 15000);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 4, "four of five delivered");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(it_count_to(m, n, "kickoff_invitation", s_five[i]), 1, "%s", s_five[i]);
    cr_assert_eq(it_count_to(m, n, NULL, typo), 0);
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 1,
                 "the coordinator is told");
    cr_assert_eq(n, 5);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_dead(&c, &keep);
    cr_assert_eq(l->n_reminders, 1, "one dead letter: the refused recipient's copy");
    Mvoi__Reminder *r = l->reminders[0];
    cr_assert_eq(r->n_recipients, 1);
    cr_assert_str_eq(r->recipients[0], typo);
    cr_assert_eq(r->attempts, 1, "a 550 is permanent");
    cr_assert(r->last_error && strstr(r->last_error, "550"), "%s", r->last_error);
    mvoi__envelope__free_unpacked(keep, NULL);
    /* The report counted the message's four other recipients, and of them those whose copy
     * was delivered when it was made (its text says "did receive it" only when all were). */
    l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
    int reports = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        Mvoi__Reminder *d = l->reminders[i];
        if (d->kind != MVOI__REMINDER_KIND__REM_DELIVERY_FAILED)
            continue;
        reports++;
        cr_assert_eq(d->n_attendees, 4, "the other recipients");
        for (size_t k = 0; k < d->n_attendees; k++)
            cr_assert_str_neq(d->attendees[k]->email, typo);
        cr_assert_leq(d->n_added, 4);
        cr_log_info("report: %zu of %zu others delivered", d->n_added, d->n_attendees);
    }
    cr_assert_eq(reports, 1);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

Test(notifier_rcpt, refused_recipient_among_five_is_dead_alone)
{
    s_refused_alone("R-1", "typo-pl@gemeente.example");
}

/* The longest tender id (128 bytes) and a long address: the dead copy's id is about 230
 * bytes, and its report to the coordinator was keyed by that id escaped, which did not
 * fit: no report, and no word of it. */
Test(notifier_rcpt, a_dead_copy_with_a_long_id_is_reported_too)
{
    char tid[129];
    memset(tid, 'x', 128);
    memcpy(tid, "R-", 2);
    tid[128] = 0;
    s_refused_alone(tid, "typo-projectleider.verduurzaming@gemeente.example");
}

Test(notifier_rcpt, leader_change_cancels_the_old_and_invites_the_new)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("L-1", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 5, m, 64, 10000);
    cr_assert_eq(n, 5);
    char uid[sizeof m[0].uid];
    snprintf(uid, sizeof uid, "%s", m[0].uid);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "N. Nieuw",
                           "nn@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    n = it_wait_mails(&c, c.maildir, "kickoff_cancelled", 1, m, 64, 10000);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s seq %d", m[i].kind, m[i].method, m[i].rcpt, m[i].seq);
    cr_assert_eq(n, 11, "5 invitations, 1 cancel, 5 updates: %d", n);
    int req1 = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_str_eq(m[i].uid, uid, "one meeting");
        cr_assert_str_eq(m[i].status, "ok", "%s", m[i].status);
        if (!strcmp(m[i].kind, "kickoff_cancelled")) {
            cr_assert_str_eq(m[i].rcpt, "pl@gemeente.example", "CANCEL to the removed leader");
            cr_assert_str_eq(m[i].method, "CANCEL");
            cr_assert_eq(m[i].seq, 1);
        } else if (m[i].seq == 1) {
            cr_assert_str_eq(m[i].method, "REQUEST");
            cr_assert_str_neq(m[i].rcpt, "pl@gemeente.example", "no update to the old leader");
            cr_assert_str_eq(m[i].dtstart, "2025-06-06T10:00", "the session did not move");
            req1++;
        }
    }
    cr_assert_eq(req1, 5);
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", "nn@gemeente.example"), 1);
    it_teardown(&c);
}

Test(notifier_rcpt, two_buyers_same_tender_id_stay_apart)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_BUYER_ORGANIZERS=heerlen=MVOI Heerlen <mvoi@heerlen.example>;"
               "venlo=MVOI Venlo <mvoi@venlo.example>");
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_start_nt(&c);
    Mvoi__Person ph = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Heerlens Leider",
                        "pl@heerlen.example" };
    Mvoi__Person pv = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Venlose Leider",
                        "pl@venlo.example" };
    Mvoi__Tender h = it_tender("X-001", true, "2025-09-30", NULL, NULL, false);
    Mvoi__Tender v = h, h2, v2;
    h.project_leader = &ph;
    h.budget_holder = h.procurement_adviser = NULL;
    v.buyer = "venlo";
    v.project_leader = &pv;
    v.budget_holder = v.procurement_adviser = NULL;
    h2 = it_tender("X-002", false, NULL, NULL, NULL, false);   /* no session: reminders */
    h2.project_leader = &ph;
    h2.budget_holder = h2.procurement_adviser = NULL;
    v2 = h2;
    v2.buyer = "venlo";
    v2.project_leader = &pv;
    it_register(&c, &h, false);
    it_register(&c, &v, false);
    it_register(&c, &h2, false);
    it_register(&c, &v2, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 2, m, 64, 10000);
    /* A week later (Monday 10 March, 12:00): the first ambition reminder of X-002. */
    it_clock_set(&c, CLOCK0 + 7LL * 86400000 + 3600000);
    n = it_wait_mails(&c, c.maildir, "ambition_missing", 2, m, 64, 10000);
    h_sleep_ms(300);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "mail %s %s %s %s %s seq %d\n", m[i].kind, m[i].buyer, m[i].tender, m[i].uid,
                    m[i].rcpt, m[i].seq);
    cr_assert_eq(n, 4);
    int hi = -1, vi = -1;
    for (int i = 0; i < n; i++) {
        bool heer = !strcmp(m[i].rcpt, "pl@heerlen.example");
        cr_assert(heer || !strcmp(m[i].rcpt, "pl@venlo.example"), "%s", m[i].rcpt);
        cr_assert_str_eq(m[i].buyer, heer ? "heerlen" : "venlo", "right people per buyer");
        if (!strcmp(m[i].kind, "kickoff_invitation")) {
            cr_assert_eq(m[i].seq, 0, "a first invitation, not an update of the other's");
            cr_assert_str_eq(m[i].method, "REQUEST");
            *(heer ? &hi : &vi) = i;
        } else {
            cr_assert_str_eq(m[i].kind, "ambition_missing");
            cr_assert_str_eq(m[i].tender, "X-002");
        }
    }
    cr_assert(hi >= 0 && vi >= 0);
    cr_assert_str_eq(m[hi].uid, "kickoff/heerlen/X-001@heerlen.example");
    cr_assert_str_eq(m[vi].uid, "kickoff/venlo/X-001@venlo.example");
    it_teardown(&c);
}

/* The issue's case: registered in November, session Monday 22 February 2027 (publication
 * 15 March - 21 days). The first ambition reminder a week after the session, escalation to
 * the budget holder after two; nothing before the session. */
Test(notifier_rcpt, ambition_reminders_start_after_the_session)
{
    it_ctx_t c;
    int64_t day0 = it_local(2026, 11, 2, 12, 0);
    it_setup(&c, day0);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    char out[400];
    snprintf(out, sizeof out, "%s/nt/notifier/outbox-mail", c.dir);
    it_start_nt(&c);   /* .eml files */
    Mvoi__Tender t = it_tender("S-1", true, "2027-03-15", NULL, NULL, false);
    t.procurement_adviser = NULL;
    it_register(&c, &t, false);
    h_sleep_ms(300);
    for (int d = 1; d <= 140; d++) {
        time_t tt = (time_t)((day0 + (int64_t)d * 86400000) / 1000);
        struct tm tm;
        gmtime_r(&tt, &tm);
        it_clock_set(&c, it_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 12, 0));
        h_sleep_ms(20);
    }
    h_sleep_ms(500);
    static it_mail_t m[128];
    int n = it_mails(&c, out, m, 128);
    struct {
        const char *kind, *due, *rcpt;
    } want[] = {
        { "kickoff_invitation", "2026-11-02T12:00", "pl@gemeente.example" },
        { "kickoff_invitation", "2026-11-02T12:00", "bh@gemeente.example" },
        { "kickoff_reminder", "2027-02-18T09:00", "pl@gemeente.example" },
        { "kickoff_reminder", "2027-02-18T09:00", "bh@gemeente.example" },
        { "ambition_missing", "2027-03-01T09:00", "pl@gemeente.example" },
        { "ambition_missing", "2027-03-08T09:00", "pl@gemeente.example" },
        { "ambition_escalation", "2027-03-15T09:00", "pl@gemeente.example" },
        { "ambition_escalation", "2027-03-15T09:00", "bh@gemeente.example" },
    };
    int nw = sizeof want / sizeof want[0];
    for (int i = 0; i < n; i++) {
        cr_log_info("mail %s %s %s", m[i].kind, m[i].due, m[i].rcpt);
        if (!strncmp(m[i].kind, "ambition", 8))
            cr_assert_gt(strcmp(m[i].due, "2027-02-22T10:00"), 0, "before the session: %s",
                         m[i].due);
    }
    for (int w = 0; w < nw; w++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found += !strcmp(m[i].kind, want[w].kind) && !strcmp(m[i].due, want[w].due) &&
                     !strcmp(m[i].rcpt, want[w].rcpt);
        cr_expect_eq(found, 1, "%s %s %s: %d", want[w].kind, want[w].due, want[w].rcpt, found);
    }
    /* 2027-03-22, -29, 04-05 (Easter Monday 29 March moves one to the 30th)... up to the
     * 10th reminder at most; here only count that later ones are escalations. */
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].kind, "ambition_missing"))
            cr_assert(strcmp(m[i].due, "2027-03-08T09:00") <= 0, "%s", m[i].due);
    it_teardown(&c);
}

Test(notifier_rcpt, kickoff_too_close_to_publication_is_flagged)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    /* Publication Friday 7 March: the session can only be Tuesday 4 March. */
    Mvoi__Tender t = it_tender("F-1", true, "2025-03-07", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_late", 1, m, 64, 10000);
    cr_assert_eq(it_count_to(m, n, "kickoff_late", "mvoi-coordinator@gemeente.example"), 1);
    it_teardown(&c);
}

/* ---- data of the previous layout (keys by tender id only, one record for all recipients) */

static void s_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };
    cr_assert_eq(store_put(txn, dbi, &key, &val, 0), 0);
}

static void s_put_rem(store_t *st, MDB_txn *txn, Mvoi__Reminder *r)
{
    uint8_t buf[4096];
    size_t n = mvoi__reminder__pack(r, buf);
    s_put(txn, store_dbi(st, "rem"), r->id, strlen(r->id), buf, n);
    char bk[200];
    int bl = snprintf(bk, sizeof bk, "%s%c%s", r->tender_id, 0, r->id);
    s_put(txn, store_dbi(st, "bytender"), bk, (size_t)bl, "", 0);
    if (r->state == MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED) {
        uint8_t dk[200];
        store_be64s(dk, r->due_ms);
        memcpy(dk + 8, r->id, strlen(r->id));
        s_put(txn, store_dbi(st, "due"), dk, 8 + strlen(r->id), "", 0);
    }
}

typedef struct {
    store_t *st;
    Mvoi__Tender *t;
} s_old_t;

static int s_old_txn(MDB_txn *txn, void *arg)
{
    s_old_t *o = arg;
    Mvoi__NotifierTender nt = MVOI__NOTIFIER_TENDER__INIT;
    nt.tender = o->t;
    nt.has_kickoff_sequence = nt.has_meeting_start_ms = nt.has_meeting_end_ms = true;
    nt.meeting_start_ms = it_local(2025, 6, 6, 10, 0);
    nt.meeting_end_ms = nt.meeting_start_ms + 3600000;
    nt.meeting_fingerprint = "an-old-fingerprint-over-the-recipients";
    nt.has_invited = nt.invited = true;
    nt.has_registered_ms = true;
    nt.registered_ms = CLOCK0 - 86400000;
    nt.has_ambition_reminders = true;
    nt.ambition_reminders = 1;
    uint8_t buf[4096];
    size_t n = mvoi__notifier_tender__pack(&nt, buf);
    s_put(txn, store_dbi(o->st, "tenders"), "M-1", 3, buf, n);
    char *all[] = { "pl@gemeente.example", "bh@gemeente.example", "inkoop@gemeente.example",
                    "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    r.id = "M-1/kickoff_invitation/1/v0";
    r.buyer = "heerlen";
    r.tender_id = "M-1";
    r.has_kind = r.has_state = r.has_due_ms = true;
    r.kind = MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION;
    r.state = MVOI__DELIVERY_STATE__DELIVERY_SENT;
    r.due_ms = CLOCK0 - 86400000;
    r.recipients = all;
    r.n_recipients = 5;
    r.uid = "kickoff-M-1@gemeente.example";
    r.channel = "mail";
    s_put_rem(o->st, txn, &r);
    /* An ambition reminder still to go, to the leader and (say) the adviser. */
    r.id = "M-1/ambition_missing/1/v1";
    r.kind = MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
    r.state = MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED;
    r.due_ms = CLOCK0 + 3600000;
    r.has_ordinal = r.has_schedule_version = true;
    r.ordinal = 1;
    r.schedule_version = 1;
    r.n_recipients = 2;
    r.recipients = (char *[]){ "pl@gemeente.example", "inkoop@gemeente.example" };
    r.uid = NULL;
    s_put_rem(o->st, txn, &r);
    return 0;
}

Test(notifier_rcpt, data_of_the_previous_layout_is_migrated_at_start)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    char path[400];
    snprintf(path, sizeof path, "%s/nt", c.dir);
    mkdir(path, 0750);
    snprintf(path, sizeof path, "%s/nt/notifier", c.dir);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "rem", "due",
                                       "sending", "bytender", "tenders", "nmeta", NULL };
    store_opts_t so = { .path = path, .dbs = dbs };
    int err = 0;
    store_t *st = store_new(&so, &err);
    cr_assert_not_null(st, "%d", err);
    Mvoi__Tender t = it_tender("M-1", true, "2025-06-30", NULL, NULL, false);
    s_old_t o = { st, &t };
    cr_assert_eq(store_write(st, s_old_txn, &o), 0);
    store_destroy(&st);

    it_start_nt(&c);
    /* The pending reminder goes out per recipient, an hour later. */
    it_clock_set(&c, CLOCK0 + 2 * 3600000);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "ambition_missing", 2, m, 64, 10000);
    cr_assert_eq(it_count_to(m, n, "ambition_missing", "pl@gemeente.example"), 1);
    cr_assert_eq(it_count_to(m, n, "ambition_missing", "inkoop@gemeente.example"), 1);
    /* The calendar's event of the same tender changes nothing (same session, same people). */
    it_register(&c, &t, false);
    h_sleep_ms(500);
    cr_assert_eq(it_mails(&c, c.maildir, m, 64), 2, "no spurious update after migration");
    /* A leader change updates the meeting people have: the old UID, SEQUENCE 1. */
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "N. Nieuw",
                           "nn@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 5, m, 64, 10000);
    h_sleep_ms(300);
    n = it_mails(&c, c.maildir, m, 64);
    int req = 0, can = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(m[i].kind, "kickoff_invitation")) {
            cr_assert_str_eq(m[i].uid, "kickoff-M-1@gemeente.example");
            cr_assert_eq(m[i].seq, 1);
            req++;
        } else if (!strcmp(m[i].kind, "kickoff_cancelled")) {
            cr_assert_str_eq(m[i].uid, "kickoff-M-1@gemeente.example");
            cr_assert_str_eq(m[i].rcpt, "pl@gemeente.example");
            can++;
        }
    }
    cr_assert_eq(req, 5);
    cr_assert_eq(can, 1);
    /* The old pending record is cancelled as migrated. */
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, &keep);
    bool found = false;
    for (size_t i = 0; i < l->n_reminders; i++)
        if (!strcmp(l->reminders[i]->id, "M-1/ambition_missing/1/v1")) {
            found = true;
            cr_assert(strstr(l->reminders[i]->last_error, "migrated"));
        }
    cr_assert(found);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A dead ambition reminder (the relay refuses the leader's address) does not end the
 * chain: the next reminder is planned, and the escalation reaches the budget holder. */
Test(notifier_rcpt, dead_ambition_reminder_goes_on_to_the_escalation, .timeout = 90)
{
    it_ctx_t c;
    int64_t day0 = it_local(2026, 11, 2, 12, 0);
    it_setup(&c, day0);
    it_start_sink_with(&c, "nt_handlers.RefuseTypo");
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    Mvoi__Person leader = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                            "typo-pl@gemeente.example" };
    Mvoi__Tender t = it_tender("S-2", true, "2027-03-15", NULL, NULL, false);
    t.project_leader = &leader;
    t.procurement_adviser = NULL;
    it_register(&c, &t, false);
    h_sleep_ms(300);
    for (int d = 1; d <= 140; d++) {
        time_t tt = (time_t)((day0 + (int64_t)d * 86400000) / 1000);
        struct tm tm;
        gmtime_r(&tt, &tm);
        it_clock_set(&c, it_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 12, 0));
        h_sleep_ms(40);
    }
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "ambition_escalation", 1, m, 64, 10000);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s", m[i].kind, m[i].due, m[i].rcpt);
    cr_assert_eq(it_count_to(m, n, NULL, "typo-pl@gemeente.example"), 0);
    cr_assert_geq(it_count_to(m, n, "ambition_escalation", "bh@gemeente.example"), 1,
                  "the budget holder hears of it although every reminder to the leader died");
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
    int dead_amb = 0;
    for (size_t i = 0; i < l->n_reminders; i++)
        dead_amb += l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
    cr_assert_geq(dead_amb, 2, "the first reminder died and the next was still planned");
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A pilot registered after its first SDG dialogue's invitation moment (10 working days
 * before the session) but before the session: the invitation goes out at once, and a
 * later event of the tender does not cancel it while it waits for a relay that is down. */
Test(notifier_rcpt, late_sdg_invitation_goes_out_at_once_while_the_session_is_ahead,
     .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);   /* nothing there yet */
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_env(&c, "MVOI_NOTIFIER_RETRY_BASE_MS=50");
    it_env(&c, "MVOI_NOTIFIER_RETRY_MAX_MS=100");
    it_start_nt(&c);
    /* Session 1: Monday 10 March 2025 (the contract start), invitation due 24 February. */
    Mvoi__Tender t = it_tender("P-1", false, NULL, "2025-03-10", "2026-03-09", true);
    it_register(&c, &t, false);
    h_sleep_ms(500);
    t.title = "Onderhoud openbare verlichting (pilot)";
    it_register(&c, &t, true);   /* another event of the tender while the copy waits */
    h_sleep_ms(500);
    it_start_sink(&c, false);
    static it_mail_t m[32];
    int n = 0;
    for (int k = 1; k < 100 && it_count(m, n < 32 ? n : 32, "sdg_dialogue") < 1; k++) {
        it_clock_set(&c, CLOCK0 + 60000 * k);   /* the retry falls due */
        h_sleep_ms(100);
        n = it_mails(&c, c.maildir, m, 32);
    }
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 32);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s", m[i].kind, m[i].due, m[i].rcpt, m[i].uid);
    cr_assert_eq(it_count_to(m, n, "sdg_dialogue", "pl@gemeente.example"), 1,
                 "the first SDG dialogue's invitation, once");
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].kind, "sdg_dialogue"))
            cr_assert_str_eq(m[i].due, "2025-03-03T11:00", "due at once, when registered");
    /* Held by the plan through the second event: not cancelled as rescheduled. */
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, &keep);
    for (size_t i = 0; i < l->n_reminders; i++)
        cr_assert_neq(l->reminders[i]->kind, MVOI__REMINDER_KIND__REM_SDG_DIALOGUE, "%s: %s",
                      l->reminders[i]->id, l->reminders[i]->last_error);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A new project leader (`mvoictl tender update ID --leader ...`): the ambition reminders and
 * measurement requests not yet sent go to the new leader, not the old one. */
/* Copies of the old leader moved to the new one, however many: a contract of six years
 * has 24 quarterly measurement requests (a list of 16 had cancelled the rest unremade). */
static int s_active_to(const Mvoi__ReminderList *l, Mvoi__ReminderKind k, const char *rcpt)
{
    int n = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        if (r->kind == k && r->n_recipients == 1 && strcmp(r->recipients[0], rcpt) == 0 &&
            r->state == MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED)
            n++;
    }
    return n;
}

Test(notifier_rcpt, a_long_contract_moves_every_unsent_request_to_the_new_leader, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("L-6", false, NULL, "2025-01-01", "2030-12-31", false);
    it_register(&c, &t, false);
    h_sleep_ms(300);
    Mvoi__Envelope *keep = NULL;
    int before = s_active_to(it_list(&c, 0, &keep), MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST,
                             "pl@gemeente.example");
    mvoi__envelope__free_unpacked(keep, NULL);
    cr_assert_gt(before, 16, "the contract should plan more than 16 requests, has %d", before);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           "nieuw.leider@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(500);
    const Mvoi__ReminderList *l = it_list(&c, 0, &keep);
    cr_expect_eq(s_active_to(l, MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST, "pl@gemeente.example"),
                 0, "requests left with the old leader");
    cr_expect_eq(s_active_to(l, MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST,
                             "nieuw.leider@gemeente.example"), before, "requests of the new leader");
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

Test(notifier_rcpt, new_leader_gets_the_reminders_not_yet_sent, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    char out[400];
    snprintf(out, sizeof out, "%s/nt/notifier/outbox-mail", c.dir);
    it_start_nt(&c);   /* .eml files */
    /* No session: ambition reminders from registration (10 March, 17 March, then the
     * escalation); a measurement request after the first quarter (1 April). */
    Mvoi__Tender t = it_tender("L-1", false, NULL, "2025-01-01", "2025-09-30", false);
    t.procurement_adviser = NULL;
    it_register(&c, &t, false);
    h_sleep_ms(300);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           "nieuw.leider@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(300);
    for (int d = 1; d <= 40; d++) {
        it_clock_set(&c, CLOCK0 + (int64_t)d * 86400000);
        h_sleep_ms(25);
    }
    h_sleep_ms(500);
    static it_mail_t m[64];
    int n = it_mails(&c, out, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s", m[i].kind, m[i].due, m[i].rcpt);
    cr_assert_eq(it_count_to(m, n, NULL, "pl@gemeente.example"), 0, "nothing to the old leader");
    cr_assert_geq(it_count_to(m, n, "ambition_missing", "nieuw.leider@gemeente.example"), 2);
    cr_assert_eq(it_count_to(m, n, "measurement_request", "nieuw.leider@gemeente.example"), 1);
    cr_assert_geq(it_count_to(m, n, "ambition_escalation", "nieuw.leider@gemeente.example"), 1);
    cr_assert_geq(it_count_to(m, n, "ambition_escalation", "bh@gemeente.example"), 1);
    it_teardown(&c);
}

/* A tender id of 128 bytes with '/' in it (each written "%2F" in the record's id) and a
 * leader's address of 210 bytes (both valid: ids up to 128, addresses up to 254): the
 * leader's copy's id, <buyer>/<tender>/<kind>/<ordinal>/v<version>/<address>, is longer
 * than the store keeps (8 + 170 + 24 + 1 + 210 = 413 bytes against 400). Its record was
 * refused inside the event's transaction, the refusal taken for "ids refused upstream"
 * and the event committed as handled: no invitation for the leader, and no word of it. */
Test(notifier_rcpt, a_long_tender_id_and_a_long_address_still_get_their_invitation)
{
    char tid[129], leader_mail[256];
    for (int i = 0; i < 128; i++)
        tid[i] = i % 6 == 5 ? '/' : 'a' + i % 6;   /* 21 slashes: 128 + 2 * 21 escaped */
    memcpy(tid, "NL", 2);
    tid[128] = 0;
    /* a 64-byte local part, a 145-byte domain of labels under 63 */
    snprintf(leader_mail, sizeof leader_mail, "%.64s@%s",
             "projectleider.maatschappelijk.verantwoord.opdrachtgeven.heerlen1",
             "afdeling-inkoop-en-aanbesteding-en-contractmanagement.sector-bedrijfsvoering."
             "dienst-ruimte-en-openbare-orde.cluster-zuid.gemeente-heerlen.example");
    cr_assert_eq(strlen(leader_mail), 64 + 1 + 145, "%zu", strlen(leader_mail));
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Person leader = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                            leader_mail };
    Mvoi__Tender t = it_tender(tid, true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &leader;
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_mails_settled(&c, "kickoff_invitation", 5, m, 64, 10000);
    /* the leader, the budget holder, the adviser, inkoop and beleid, the coordinator: as
     * refused_recipient_among_five_is_dead_alone with the leader's copy delivered */
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", leader_mail), 1, "the leader's");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(it_count_to(m, n, "kickoff_invitation", s_five[i]), 1, "%s", s_five[i]);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 5);
    /* The leader's copy is named by a hash of the address: "heerlen/" (8), the tender
     * escaped (128 + 2 * 21 = 170), "/kickoff_invitation/1/v0" (24, under 40) and "/~" with
     * 16 hex: far under 400, and the record holds the address whole. */
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
    int found = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        Mvoi__Reminder *r = l->reminders[i];
        if (r->n_recipients != 1 || strcmp(r->recipients[0], leader_mail) != 0)
            continue;
        found++;
        cr_assert_leq(strlen(r->id), 8 + 170 + 1 + 40 + 2 + 16, "%s", r->id);
        cr_assert(strstr(r->id, "/~"), "%s", r->id);
    }
    cr_assert_eq(found, 1, "one record for the leader's copy");
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A pilot with a short contract registered late: Monday 10 to Thursday 20 March 2025, so
 * SDG dialogue 1 on 10 March and dialogue 2 halfway, Saturday 15 March, so Monday 17 March.
 * Both invitation moments (10 working days before) have passed and both sessions are
 * ahead: both invitations are due at once, to the same people. The pick took the two for
 * "several due reminders of one kind" and cancelled dialogue 1's as superseded: two
 * meetings, two UIDs, one invitation. */
Test(notifier_rcpt, two_sdg_dialogues_due_at_once_are_both_sent, .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("P-2", false, NULL, "2025-03-10", "2025-03-20", true);
    it_register(&c, &t, false);
    static it_mail_t m[32];
    int n = it_wait_mails(&c, c.maildir, "sdg_dialogue", 2, m, 32, 5000);
    h_sleep_ms(300);
    n = it_mails(&c, c.maildir, m, 32);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s", m[i].kind, m[i].dtstart, m[i].rcpt, m[i].uid);
    int s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(m[i].kind, "sdg_dialogue") != 0 || strcmp(m[i].rcpt, "pl@gemeente.example"))
            continue;
        s1 += strncmp(m[i].uid, "sdg1/heerlen/P-2@", 17) == 0;
        s2 += strncmp(m[i].uid, "sdg2/heerlen/P-2@", 17) == 0;
    }
    cr_assert_eq(s1, 1, "dialogue 1's invitation to the leader");
    cr_assert_eq(s2, 1, "dialogue 2's invitation to the leader");
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, &keep);
    for (size_t i = 0; i < l->n_reminders; i++)
        cr_assert_neq(l->reminders[i]->kind, MVOI__REMINDER_KIND__REM_SDG_DIALOGUE, "%s: %s",
                      l->reminders[i]->id, l->reminders[i]->last_error);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}
