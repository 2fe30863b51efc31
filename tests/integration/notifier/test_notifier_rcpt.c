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

#include "nt_it.h"

static const char *s_five[] = { "bh@gemeente.example", "inkoop@gemeente.example",
                                "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };

static Mvoi__ReminderList *s_dead(it_ctx_t *c, Mvoi__Envelope **keep)
{
    return it_list(c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, keep);
}

Test(notifier_rcpt, refused_recipient_among_five_is_dead_alone)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink_with(&c, "nt_handlers.RefuseTypo");
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Person typo = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                          "typo-pl@gemeente.example" };
    Mvoi__Tender t = it_tender("R-1", true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &typo;
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 1, m, 64, 15000);
    h_sleep_ms(300);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s seq %d", m[i].kind, m[i].rcpt, m[i].seq);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 4, "four of five delivered");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(it_count_to(m, n, "kickoff_invitation", s_five[i]), 1, "%s", s_five[i]);
    cr_assert_eq(it_count_to(m, n, NULL, "typo-pl@gemeente.example"), 0);
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 1,
                 "the coordinator is told");
    cr_assert_eq(n, 5);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_dead(&c, &keep);
    cr_assert_eq(l->n_reminders, 1, "one dead letter: the refused recipient's copy");
    Mvoi__Reminder *r = l->reminders[0];
    cr_assert_eq(r->n_recipients, 1);
    cr_assert_str_eq(r->recipients[0], "typo-pl@gemeente.example");
    cr_assert_eq(r->attempts, 1, "a 550 is permanent");
    cr_assert(r->last_error && strstr(r->last_error, "550"), "%s", r->last_error);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
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
    char uid[128];
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

/* The case: registered in November, session Monday 22 February 2027 (publication
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
