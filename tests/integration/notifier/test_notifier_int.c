/*  The notifier between real processes (helpers in nt_it.c): invitations, updates and
 *  cancellations over SMTP, retries, dead letters, kill -9, a year on the fake clock,
 *  webhooks, and the real calendar. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nt_it.h"

Test(notifier_int, invitation_update_cancel_over_smtp)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("T-100", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 5, m, 64, 10000);
    h_sleep_ms(300);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 64);
    cr_assert_eq(n, 5, "one invitation per attendee, got %d", n);
    const char *five[] = { "pl@gemeente.example", "bh@gemeente.example", "inkoop@gemeente.example",
                           "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(it_count_to(m, n, "kickoff_invitation", five[i]), 1, "%s", five[i]);
        cr_assert_str_eq(m[i].uid, m[0].uid);
        cr_assert_str_eq(m[i].dtstart, "2025-06-06T10:00");
    }
    cr_assert_str_eq(m[0].kind, "kickoff_invitation");
    cr_assert_str_eq(m[0].status, "ok", "python3-icalendar: %s", m[0].status);
    cr_assert_str_eq(m[0].method, "REQUEST");
    cr_assert_eq(m[0].seq, 0);
    /* 2025-06-30 - 21 days = Whit Monday: Friday 6 June, 10:00 Amsterdam. */
    cr_assert_str_eq(m[0].dtstart, "2025-06-06T10:00");
    icalcomponent *cal = it_ics(&c, 0);
    cr_assert_not_null(cal);
    cr_assert_eq(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
    icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    cr_assert_str_eq(icalcomponent_get_uid(ev), m[0].uid);
    cr_assert_eq(icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY), 5);
    cr_assert_not_null(icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY));
    cr_assert_not_null(icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT));
    cr_assert_eq(icalrestriction_check(cal), 1);
    icalcomponent_free(cal);
    char uid[sizeof m[0].uid];
    snprintf(uid, sizeof uid, "%s", m[0].uid);

    /* Update: publication moves; same UID, SEQUENCE + 1. */
    t.planned_publication = "2025-09-15";
    it_register(&c, &t, true);
    n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 10, m, 64, 10000);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 10);
    int upd = -1, nupd = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(m[i].dtstart, "2025-06-06T10:00") != 0) {
            upd = i;
            nupd++;
        }
    cr_assert_eq(nupd, 5, "the update to each of the five");
    cr_assert_str_eq(m[upd].uid, uid);
    cr_assert_eq(m[upd].seq, 1);
    cr_assert_str_eq(m[upd].status, "ok", "%s", m[upd].status);
    cr_assert_str_eq(m[upd].dtstart, "2025-08-25T10:00");   /* 15 Sep - 21 days, a Monday */
    /* An update that does not touch the session sends nothing. */
    t.value_cents = 123456;
    t.has_value_cents = true;
    it_register(&c, &t, true);
    h_sleep_ms(500);
    cr_assert_eq(it_mails(&c, c.maildir, m, 64), 10);

    /* Cancel: METHOD:CANCEL with the same UID. */
    it_cancel(&c, "T-100");
    n = it_wait_mails(&c, c.maildir, "kickoff_cancelled", 5, m, 64, 10000);
    cr_assert_eq(n, 15);
    for (int i = 0; i < n; i++)
        if (strcmp(m[i].kind, "kickoff_cancelled") == 0) {
            cr_assert_str_eq(m[i].method, "CANCEL");
            cr_assert_str_eq(m[i].uid, uid);
            cr_assert_eq(m[i].seq, 2);
            cr_assert_str_eq(m[i].status, "ok", "%s", m[i].status);
            icalcomponent *cc = it_ics(&c, i);
            cr_assert_eq(icalcomponent_get_method(cc), ICAL_METHOD_CANCEL);
            icalcomponent_free(cc);
        }
    it_teardown(&c);
}

Test(notifier_int, smtp_down_retries_then_exactly_one_delivery)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_RETRY_BASE_MS=100");
    it_env(&c, "MVOI_NOTIFIER_RETRY_MAX_MS=300");
    it_env(&c, "MVOI_NOTIFIER_MAX_ATTEMPTS=1000");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("T-200", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    /* The fake clock moves in real time while the server is down. */
    int64_t t0 = h_now_ms();
    uint32_t attempts = 0;
    while (h_now_ms() - t0 < 2000) {
        it_clock_set(&c, CLOCK0 + (h_now_ms() - t0));
        h_sleep_ms(20);
    }
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_RETRYING, &keep);
    for (size_t i = 0; i < l->n_reminders; i++)
        if (l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION)
            attempts = l->reminders[i]->attempts;
    mvoi__envelope__free_unpacked(keep, NULL);
    cr_assert_geq(attempts, 3, "retries while down: %u", attempts);
    it_start_sink(&c, false);
    static it_mail_t m[16];
    int n = 0;
    int64_t end = h_now_ms() + 10000;
    while (h_now_ms() < end) {
        it_clock_set(&c, CLOCK0 + (h_now_ms() - t0));
        n = it_mails(&c, c.maildir, m, 16);
        if (n >= 5)
            break;
        h_sleep_ms(50);
    }
    h_sleep_ms(800);
    n = it_mails(&c, c.maildir, m, 16);
    cr_log_info("smtp down: %u attempts before the server came back", attempts);
    cr_assert_eq(n, 5, "exactly one delivery per attendee, got %d", n);
    l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
    cr_assert_eq(l->n_reminders, 5);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

Test(notifier_int, rejected_550_is_a_dead_letter)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, true);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");     /* one recipient: the leader */
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("T-300", true, "2025-06-30", NULL, NULL, false);
    t.budget_holder = t.procurement_adviser = NULL;
    it_register(&c, &t, false);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = NULL;
    int64_t end = h_now_ms() + 10000;
    for (;;) {
        l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
        if (l->n_reminders >= 1 || h_now_ms() > end)
            break;
        mvoi__envelope__free_unpacked(keep, NULL);
        h_sleep_ms(100);
    }
    cr_assert_eq(l->n_reminders, 1);
    Mvoi__Reminder *r = l->reminders[0];
    cr_assert_eq(r->kind, MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION);
    cr_assert_eq(r->attempts, 1, "a 550 is permanent: no retries");
    cr_assert(r->last_error && strstr(r->last_error, "550"), "%s", r->last_error);
    /* the server's own words, not only its code ("Weird server reply (reply 550)") */
    cr_expect(strstr(r->last_error, "Message rejected by policy (test)"), "%s", r->last_error);
    char id[200];
    snprintf(id, sizeof id, "%s", r->id);
    mvoi__envelope__free_unpacked(keep, NULL);
    /* mvoictl sees it, and can resend it (it dies again: the server still refuses). */
    char cmd[1200], out[4096] = "";
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl reminders list "
             "--state dead 2>&1", c.e_nt_api, MVOI_BINARY_DIR);
    FILE *p = popen(cmd, "r");
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    int st = pclose(p);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        fprintf(stderr, "note: mvoictl not built: %s\n", out);
    else
        cr_assert(strstr(out, id), "mvoictl reminders list --state dead:\n%s", out);
    /* In Dutch by default, the state asked for in the word the list shows; the columns line
     * up under their headers however long the id (a fixed width of 44 pushed them out). */
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl reminders list "
             "--state mislukt 2>/dev/null", c.e_nt_api, MVOI_BINARY_DIR);
    p = popen(cmd, "r");
    got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    st = pclose(p);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 127)) {
        char *row = strstr(out, id);
        cr_assert(row && strncmp(out, "ID ", 3) == 0, "list --state mislukt:\n%s", out);
        const char *h_state = strstr(out, "STATUS"), *h_kind = strstr(out, "SOORT");
        const char *r_state = strstr(row, "mislukt"), *r_kind = strstr(row, "uitnodiging startsessie");
        cr_assert(h_state && h_kind && r_state && r_kind, "list --state mislukt:\n%s", out);
        cr_expect_eq(h_state - out, r_state - row, "state column:\n%s", out);
        cr_expect_eq(h_kind - out, r_kind - row, "kind column:\n%s", out);
    }
    /* `show`: what finding it at the relay takes, the Message-ID too (only --json had it) */
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl reminders show "
             "'%s' 2>&1", c.e_nt_api, MVOI_BINARY_DIR, id);
    p = popen(cmd, "r");
    got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    st = pclose(p);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 127)) {
        cr_expect(strstr(out, "Message-ID:") && strstr(out, " <") && strstr(out, ".mvoi@"),
                  "show:\n%s", out);
        cr_expect(strstr(out, "Laatste fout:") && strstr(out, "550"), "show:\n%s", out);
        cr_expect(strstr(out, "Ontvanger:"), "show:\n%s", out);
    }
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ResendReminder rr = MVOI__RESEND_REMINDER__INIT;
    rr.id = id;
    e.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER;
    e.resend_reminder = &rr;
    Mvoi__Envelope *rep = NULL;
    cr_assert_eq(it_call(&c, c.e_nt_api, &e, &rep), 0);
    cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_REMINDER, "resend reply %d", rep->body_case);
    cr_assert_eq(rep->reminder->state, MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED);
    mvoi__envelope__free_unpacked(rep, NULL);
    end = h_now_ms() + 10000;
    uint32_t att = 0;
    while (h_now_ms() < end) {
        l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
        att = l->n_reminders ? l->reminders[0]->attempts : 0;
        mvoi__envelope__free_unpacked(keep, NULL);
        if (att == 1 && h_now_ms() > end - 9500)
            break;
        h_sleep_ms(100);
    }
    cr_assert_eq(att, 1, "resent and dead again");
    it_teardown(&c);
}

/* The sum of the numbers the notifier logged with `what` at its restarts (its journal's
 * decisions), read from the logs of every run in the test dir. */
static int s_log_sum(it_ctx_t *c, const char *what)
{
    int sum = 0;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cat %s/*.log* 2>/dev/null | grep -o '\"body\":\"[0-9]* "
             "deliveries %s' | grep -o '[0-9][0-9]*'", c->dir, what);
    FILE *jp = popen(cmd, "r");
    for (int v; jp && fscanf(jp, "%d", &v) == 1;)
        sum += v;
    if (jp)
        pclose(jp);
    return sum;
}

/* How each invitation is recorded: SENT (the 250 was journalled or committed) or UNCONFIRMED
 * (its end of DATA went out before a kill, no answer recorded: held, not resent); waits up
 * to 5 s for the rest to settle. */
/* The invitations' delivery states; *held_uids gets the UIDs of the held (unconfirmed) ones,
 * each followed by '\n'. */
static void s_invitation_states(it_ctx_t *c, int *sent, int *held, int *other,
                                char *held_uids, size_t cap)
{
    Mvoi__Envelope *keep = NULL;
    for (int64_t until = h_now_ms() + 5000;; h_sleep_ms(100)) {
        Mvoi__ReminderList *l = it_list(c, 0, &keep);
        *sent = *held = *other = 0;
        held_uids[0] = 0;
        for (size_t i = 0; i < l->n_reminders; i++) {
            if (l->reminders[i]->kind != MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION)
                continue;   /* the kick-off reminders are due later */
            Mvoi__DeliveryState st = l->reminders[i]->state;
            *sent += st == MVOI__DELIVERY_STATE__DELIVERY_SENT;
            *held += st == MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED;
            *other += st != MVOI__DELIVERY_STATE__DELIVERY_SENT &&
                      st != MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED;
            if (st == MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED && l->reminders[i]->uid) {
                size_t used = strlen(held_uids), need = strlen(l->reminders[i]->uid) + 2;
                cr_assert(used + need <= cap, "held UIDs over %zu bytes", cap);
                snprintf(held_uids + used, cap - used, "%s\n", l->reminders[i]->uid);
            }
        }
        mvoi__envelope__free_unpacked(keep, NULL);
        keep = NULL;
        if (*other == 0 || h_now_ms() > until)
            return;
    }
}

/* 200 public tenders; the notifier is killed with SIGKILL at random moments and restarted. */
Test(notifier_int, kill9_during_200_tenders_loses_nothing)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=");     /* one copy per tender: the leader's */
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_start_nt(&c);
    srand((unsigned)getpid());
    int kills = 0;
    int64_t next_kill = h_now_ms() + 100 + rand() % 300;
    static Mvoi__Tender ts[200];
    static char ids[200][16];
    for (int i = 0; i < 200; i++) {
        snprintf(ids[i], sizeof ids[i], "K-%03d", i);
        ts[i] = it_tender(ids[i], true, "2025-06-30", NULL, NULL, false);
        ts[i].budget_holder = ts[i].procurement_adviser = NULL;
        it_register(&c, &ts[i], false);
        if (h_now_ms() >= next_kill) {
            h_kill9(&c.nt);
            kills++;
            it_start_nt(&c);
            next_kill = h_now_ms() + 100 + rand() % 300;
        }
    }
    /* A few more kills while the backlog drains. */
    for (int k = 0; k < 6; k++) {
        h_sleep_ms(50 + rand() % 200);   /* while the backlog is being sent */
        h_kill9(&c.nt);
        kills++;
        it_start_nt(&c);
    }
    static it_mail_t m[1024];
    int n = 0, distinct = 0, dups = 0;
    int64_t end = h_now_ms() + 40000;
    do {   /* until every UID arrived (duplicates do not count) */
        h_sleep_ms(200);
        n = it_mails(&c, c.maildir, m, 1024);
        distinct = 0;
        for (int i = 0; i < n && i < 1024; i++) {
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
                seen = strcmp(m[i].uid, m[j].uid) == 0 && m[i].seq == m[j].seq;
            distinct += !seen;
        }
    } while (distinct < 200 && h_now_ms() < end);
    h_sleep_ms(300);
    n = it_mails(&c, c.maildir, m, 1024);
    distinct = 0;
    /* Distinct UIDs and duplicates. */
    for (int i = 0; i < n && i < 1024; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            if (strcmp(m[i].uid, m[j].uid) == 0 && m[i].seq == m[j].seq) {
                seen = true;
                cr_assert_str_eq(m[i].mid, m[j].mid, "a duplicate carries the same Message-ID");
            }
        if (seen)
            dups++;
        else
            distinct++;
        cr_assert_str_eq(m[i].status, "ok", "%s", m[i].status);
    }
    int sent, held, other;
    static char held_uids[200 * 160];
    s_invitation_states(&c, &sent, &held, &other, held_uids, sizeof held_uids);
    int saved = s_log_sum(&c, "the server had accepted");
    int held_log = s_log_sum(&c, "had their end of DATA sent");
    /* A mail missing from the mailbox is lost only if its copy is not held for the operator:
     * a kill right after the end of DATA went out can take it with the connection (the kernel
     * resets a socket closed with unread replies, and the server may drop what it had not
     * read yet). That is exactly the copy the notifier holds as unconfirmed. */
    int missing = 0, missing_held = 0;
    for (int i = 0; i < 200; i++) {
        char tail[32];   /* a UID is kickoff/<buyer>/<tender>@<domain> */
        snprintf(tail, sizeof tail, "/%.16s@", ids[i]);
        bool in_box = false;
        for (int j = 0; j < n && j < 1024 && !in_box; j++)
            in_box = strstr(m[j].uid, tail) != NULL;
        if (in_box)
            continue;
        missing++;
        missing_held += strstr(held_uids, tail) != NULL;
    }
    fprintf(stderr, "MEASURED kill9: kills=%d mails=%d distinct=%d duplicates=%d missing=%d "
            "missing_but_held=%d sent=%d unconfirmed=%d other=%d journal_accepted=%d "
            "journal_unconfirmed=%d\n", kills, n, distinct, dups, missing, missing_held, sent,
            held, other, saved, held_log);
    cr_assert_eq(missing, missing_held, "no invitation lost silently: every mail missing from "
                 "the mailbox is held as unconfirmed for the operator");
    cr_assert_eq(distinct + missing, 200);
    cr_assert_eq(dups, 0, "no invitation sent twice (UID + SEQUENCE)");
    cr_assert_eq(other, 0, "every copy settled");
    cr_assert_eq(sent + held, 200);
    it_teardown(&c);
}

/* A year of reminders in seconds: the fake clock steps a day at a time (12:00 Amsterdam). */
Test(notifier_int, fake_clock_drives_a_year_of_reminders)
{
    it_ctx_t c;
    int64_t day0 = it_local(2025, 1, 6, 12, 0);
    it_setup(&c, day0);
    char out[400];
    snprintf(out, sizeof out, "%s/nt/notifier/outbox-mail", c.dir);
    it_start_nt(&c);   /* no smtp_url: .eml files */
    Mvoi__Tender a = it_tender("Y-A", true, "2025-03-03", "2025-04-01", "2025-12-31", true);
    Mvoi__Tender b = it_tender("Y-B", false, NULL, NULL, NULL, false);
    it_register(&c, &a, false);
    it_register(&c, &b, false);
    h_sleep_ms(300);
    bool killed = false;
    for (int d = 1; d <= 365; d++) {
        int64_t now = day0 + (int64_t)d * 86400000;
        /* keep 12:00 local across DST */
        time_t tt = (time_t)(now / 1000);
        struct tm tm;
        setenv("TZ", "Europe/Amsterdam", 1);
        tzset();
        localtime_r(&tt, &tm);
        unsetenv("TZ");
        tzset();
        now = it_local(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 12, 0);
        if (!killed && tm.tm_mon + 1 == 6 && tm.tm_mday == 2) {
            /* Down from 2 June to 15 October: what fell due is sent once at the restart. */
            h_sleep_ms(200);
            h_kill9(&c.nt);
            killed = true;
            now = it_local(2025, 10, 15, 12, 0);
            d = (int)((now - day0) / 86400000);
            it_clock_set(&c, now);
            it_start_nt(&c);
            h_sleep_ms(300);
            continue;
        }
        it_clock_set(&c, now);
        h_sleep_ms(25);
        if (tm.tm_mon + 1 == 1 && tm.tm_mday == 16)
            it_ambition(&c, "Y-B");
        if (tm.tm_mon + 1 == 2 && tm.tm_mday == 12)
            it_ambition(&c, "Y-A");
    }
    h_sleep_ms(500);
    static it_mail_t m[128];
    int n = it_mails(&c, out, m, 128);
    /* Y-A's session is Monday 10 February (3 March - 21 days); its ambition, recorded on
     * 12 February, would only have been asked for a week after the session: no reminders.
     * Y-B has no session: counted from registration. SDG dialogue 1 (session Tuesday 1
     * April) is invited 10 working days before; dialogue 2 (Monday 18 August) fell in the
     * outage and its session had passed at the restart: dropped, not sent late. */
    struct {
        const char *kind, *tender, *due;
        int copies;
    } want[] = {
        { "kickoff_invitation", "Y-A", "2025-01-06T12:00", 5 },
        { "ambition_missing", "Y-B", "2025-01-13T09:00", 1 },
        { "kickoff_reminder", "Y-A", "2025-02-06T09:00", 5 },
        { "sdg_dialogue", "Y-A", "2025-03-18T09:00", 3 },
        { "quarterly_report", "-", "2025-04-01T09:00", 1 },
        /* down 2 June .. 15 October: the quarterly report once (its next is planned from
         * the restart); the measurement requests of both missed periods, each its own:
         * Q2 (1 April .. Monday 30 June, due Tuesday 1 July) and Q3 (1 July .. Tuesday 30
         * September, due Wednesday 1 October). Q2's was cancelled as "superseded" by Q3's,
         * and nobody was asked for Q2's figures. */
        { "quarterly_report", "-", "2025-07-01T09:00", 1 },
        { "measurement_request", "Y-A", "2025-07-01T09:00", 1 },
        { "measurement_request", "Y-A", "2025-10-01T09:00", 1 },
        { "measurement_request", "Y-A", "2026-01-02T09:00", 1 },
        { "quarterly_report", "-", "2026-01-02T09:00", 1 },
    };
    int nw = sizeof want / sizeof want[0], total = 0;
    for (int i = 0; i < n; i++)
        fprintf(stderr, "mail %s %s %s %s\n", m[i].kind, m[i].tender, m[i].due, m[i].rcpt);
    for (int w = 0; w < nw; w++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(m[i].kind, want[w].kind) && !strcmp(m[i].tender, want[w].tender) &&
                !strcmp(m[i].due, want[w].due))
                found++;
        cr_expect_eq(found, want[w].copies, "%s %s due %s: %d mails", want[w].kind,
                     want[w].tender, want[w].due, found);
        total += want[w].copies;
    }
    cr_assert_eq(n, total, "exactly the expected mails, got %d", n);
    it_teardown(&c);
}

Test(notifier_int, webhook_signed_retried_after_503)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    int port = it_port();
    char hook_out[400], ps[16];
    snprintf(hook_out, sizeof hook_out, "%s/hook.txt", c.dir);
    snprintf(ps, sizeof ps, "%d", port);
    const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    char script[400];
    snprintf(script, sizeof script, "%s/nt_webhook_recv.py", NT_SCRIPTS);
    char *argv[] = { "/usr/bin/python3", script, ps, (char *)secret, hook_out, "1", NULL };
    cr_assert_eq(h_spawn_argv(&c.hook, argv, "webhook", c.dir, NULL), 0);
    it_wait_listening(port);   /* a refused first attempt would count as one */
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_URL=http://127.0.0.1:%d/hook", port);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=*");   /* one URL for every buyer, asked for */
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_SECRET=%s", secret);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_TEMPLATE=teams");
    it_env(&c, "MVOI_NOTIFIER_RETRY_BASE_MS=50");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("W-1", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    int64_t t0 = h_now_ms();
    char buf[4096] = "";
    while (h_now_ms() - t0 < 8000) {
        it_clock_set(&c, CLOCK0 + (h_now_ms() - t0));
        FILE *f = fopen(hook_out, "r");
        if (f) {
            size_t k = fread(buf, 1, sizeof buf - 1, f);
            buf[k] = 0;
            fclose(f);
        }
        if (strstr(buf, "ok heerlen/W-1/kickoff_invitation"))
            break;
        h_sleep_ms(50);
    }
    cr_assert(strstr(buf, "retry heerlen/W-1/kickoff_invitation/1/v0 teams"), "%s", buf);
    cr_assert(strstr(buf, "ok heerlen/W-1/kickoff_invitation/1/v0 teams"), "%s", buf);
    cr_assert(!strstr(buf, "bad"), "%s", buf);
    /* Retry-After: 1 was honoured: the second attempt is at least 1 s (fake) later. */
    /* The receiver answered; the SENT commit follows (poll for it). */
    bool hook_sent = false;
    for (int64_t end = h_now_ms() + 5000; !hook_sent && h_now_ms() < end; h_sleep_ms(50)) {
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
        for (size_t i = 0; i < l->n_reminders; i++)
            if (l->reminders[i]->channel && !strcmp(l->reminders[i]->channel, "webhook")) {
                hook_sent = true;
                cr_assert_eq(l->reminders[i]->attempts, 2);
                cr_assert_geq(l->reminders[i]->sent_ms - l->reminders[i]->created_ms, 1000);
            }
        mvoi__envelope__free_unpacked(keep, NULL);
    }
    cr_assert(hook_sent);
    it_teardown(&c);
}

#if NT_HAVE_CALENDAR
/* The real chain: mvoi-calendar derives the procedure itself (a service above the EU
 * threshold is europees_openbaar, so a kick-off is required) and the notifier invites once. */
Test(notifier_int, real_calendar_public_tender_one_invitation)
{
    it_ctx_t c;
    it_setup_with(&c, (int64_t)time(NULL) * 1000, true);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "REAL-1";
    t.buyer = "heerlen";
    t.title = "Onderhoud openbare verlichting";
    t.has_kind = true;
    t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.has_value_cents = true;
    t.value_cents = 30000000;   /* EUR 300,000 > EUR 216,000 (2026-2027): europees */
    t.planned_publication = "2027-03-22";   /* a Monday */
    t.project_leader = &it_pl;
    t.budget_holder = &it_bh;
    t.procurement_adviser = &it_ad;
    it_register(&c, &t, false);
    static it_mail_t m[16];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 5, m, 16, 15000);
    h_sleep_ms(500);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 5, "one invitation per attendee, got %d", n);
    cr_assert_str_eq(m[0].kind, "kickoff_invitation");
    cr_assert_str_eq(m[0].method, "REQUEST");
    cr_assert_str_eq(m[0].status, "ok", "python3-icalendar: %s", m[0].status);
    /* 22 March 2027 - 21 days = Monday 1 March 2027, 10:00 in Amsterdam. */
    cr_assert_str_eq(m[0].dtstart, "2027-03-01T10:00");
    it_teardown(&c);
}
#endif
