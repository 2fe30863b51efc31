/*  The notifier's dead letters and unconfirmed deliveries as an operator sees them: counted
 *  in HealthReply (in the transaction that sets the state, kept across a restart), shown by
 *  `mvoictl system health` and the gateway's /metrics; and a relay that stores a message
 *  but never answers its end of DATA: the copy is held as unconfirmed, not sent twice
 *  (unless MVOI_NOTIFIER_UNCONFIRMED=resend asks for RFC 5321's duplicate). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_it.h"

static Mvoi__HealthReply s_health(it_ctx_t *c, Mvoi__Envelope **keep)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, keep), 0);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    return *(*keep)->health_reply;
}

/* Records of a state (kick-off invitations only), polled until there are want (or 15 s). */
static int s_wait_state(it_ctx_t *c, Mvoi__DeliveryState st, int want, char ids[][200], int max)
{
    int n = 0;
    for (int64_t end = h_now_ms() + 15000;; h_sleep_ms(100)) {
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = it_list(c, st, &keep);
        n = 0;
        for (size_t i = 0; i < l->n_reminders; i++)
            if (l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION) {
                if (n < max)
                    snprintf(ids[n], 200, "%s", l->reminders[i]->id);
                n++;
            }
        mvoi__envelope__free_unpacked(keep, NULL);
        if (n >= want || h_now_ms() > end)
            return n;
    }
}

static void s_popen(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p, "%s", cmd);
    size_t got = fread(out, 1, cap - 1, p);
    out[got] = 0;
    /* A page that does not fit is a test error, not a missing line (the gateway's /metrics
     * grows with every metric added). */
    bool whole = fgetc(p) == EOF;
    pclose(p);
    cr_assert(whole, "%s: output over %zu bytes", cmd, cap - 1);
}

static int s_command(it_ctx_t *c, Mvoi__Envelope *e, Mvoi__DeliveryState *state)
{
    Mvoi__Envelope *rep = NULL;
    cr_assert_eq(it_call(c, c->e_nt_api, e, &rep), 0);
    int ok = rep->body_case == MVOI__ENVELOPE__BODY_REMINDER;
    if (ok && state)
        *state = rep->reminder->state;
    mvoi__envelope__free_unpacked(rep, NULL);
    return ok;
}

static void s_start_refusing(it_ctx_t *c, const char *handler)
{
    it_setup(c, CLOCK0);
    if (handler)
        it_start_sink_with(c, handler);
    else
        it_start_sink(c, true);   /* 550 to every message */
    it_env(c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c->smtp);
    it_env(c, "MVOI_NOTIFIER_POLICY_ADVISER=");   /* one copy per tender: the leader's */
    it_env(c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(c, "MVOI_NOTIFIER_RETRY_BASE_MS=50");
    it_env(c, "MVOI_NOTIFIER_RETRY_MAX_MS=100");
}

static void s_register(it_ctx_t *c, int n)
{
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "D-%d", i);
        Mvoi__Tender t = it_tender(id, true, "2025-06-30", NULL, NULL, false);
        t.budget_holder = t.procurement_adviser = NULL;
        it_register(c, &t, false);
    }
}

Test(notifier_dead, counted_in_health_ctl_and_metrics, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, NULL);
    it_start_nt(&c);
    s_register(&c, 3);   /* 3 tenders x 1 recipient, every message refused: 3 dead letters */
    char ids[8][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, 3, ids, 8), 3);
    Mvoi__Envelope *keep = NULL;
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert(h.has_dead_letters);
    cr_assert_eq(h.dead_letters, 3);
    cr_assert_eq(h.unconfirmed_deliveries, 0);
    mvoi__envelope__free_unpacked(keep, NULL);

    char cmd[1200], out[65536];
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl system health "
             "notifier 2>&1", c.e_nt_api, MVOI_BINARY_DIR);
    s_popen(cmd, out, sizeof out);
    cr_assert(strstr(out, " dead_letters=3 unconfirmed=0 retrying=0"), "%s", out);

    /* The gateway asks the notifier for its health every second and exposes the count. */
    int port = it_port();
    char bin[512], env[4][400];
    h_bin(bin, sizeof bin, "services/gateway/mvoi-gateway");
    snprintf(env[0], sizeof env[0], "MVOI_GATEWAY_LISTEN=127.0.0.1:%d", port);
    snprintf(env[1], sizeof env[1], "MVOI_GATEWAY_NOTIFIER_API=%s", c.e_nt_api);
    snprintf(env[2], sizeof env[2], "MVOI_GATEWAY_KPI_API=ipc://%s/none.api", c.dir);
    snprintf(env[3], sizeof env[3], "MVOI_GATEWAY_KPI_PUB=ipc://%s/none.pub", c.dir);
    const char *genv[] = { env[0], env[1], env[2], env[3], NULL };
    h_proc_t gw;
    cr_assert_eq(h_spawn(&gw, bin, "gateway", c.dir, genv), 0);
    const char *want = "mvoi_gateway_upstream_dead_letters{service=\"notifier\"} 3\n";
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/metrics", port);
    for (int64_t end = h_now_ms() + 15000; h_now_ms() < end; h_sleep_ms(200)) {
        s_popen(cmd, out, sizeof out);
        if (strstr(out, want))
            break;
    }
    h_kill9(&gw);
    cr_assert(strstr(out, want), "/metrics:\n%.2000s", out);
    cr_assert(strstr(out, "mvoi_gateway_upstream_unconfirmed_deliveries{service=\"notifier\"} 0\n"));
    /* refused at once (5xx): dead, never retrying */
    cr_assert(strstr(out, "mvoi_gateway_upstream_retrying_deliveries{service=\"notifier\"} 0\n"));

    /* Dismissed by an operator: 2 left; the count survives a restart. */
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__CancelReminder cr = MVOI__CANCEL_REMINDER__INIT;
    cr.id = ids[0];
    cr.reason = "address fixed in the calendar; a new invitation goes out";
    e.body_case = MVOI__ENVELOPE__BODY_CANCEL_REMINDER;
    e.cancel_reminder = &cr;
    cr_assert(s_command(&c, &e, NULL));
    it_stop_nt(&c);
    it_start_nt(&c);
    h = s_health(&c, &keep);
    cr_assert_eq(h.dead_letters, 2);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A relay that stores the message and drops the connection before answering: the copy is
 * held, not sent again, and the mailbox has it exactly once; an operator's resend sends it
 * again (and, the relay still dropping, it is held again). */
Test(notifier_dead, no_answer_to_end_of_data_is_held_not_resent, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, "nt_handlers.StoreNoAnswer");
    it_start_nt(&c);
    s_register(&c, 1);
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED, 1, ids, 4), 1);
    it_clock_set(&c, CLOCK0 + 60000);   /* far past any retry (the clock is the test's) */
    h_sleep_ms(1500);                   /* nothing is sent again */
    static it_mail_t m[16];
    cr_assert_eq(it_mails(&c, c.maildir, m, 16), 1, "stored once, not resent");
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED, &keep);
    cr_assert_eq(l->n_reminders, 1);
    cr_assert(strstr(l->reminders[0]->last_error, "no answer to the end of DATA"), "%s",
              l->reminders[0]->last_error);
    cr_assert_eq(l->reminders[0]->attempts, 1);
    mvoi__envelope__free_unpacked(keep, NULL);
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert_eq(h.unconfirmed_deliveries, 1);
    cr_assert_eq(h.dead_letters, 0);
    mvoi__envelope__free_unpacked(keep, NULL);

    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ResendReminder rr = MVOI__RESEND_REMINDER__INIT;
    rr.id = ids[0];
    e.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER;
    e.resend_reminder = &rr;
    Mvoi__DeliveryState st = 0;
    cr_assert(s_command(&c, &e, &st));
    cr_assert_eq(st, MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED);
    int n = 0;
    for (int64_t end = h_now_ms() + 10000; n < 2 && h_now_ms() < end; h_sleep_ms(100))
        n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 2, "the operator's resend went out");
    cr_assert_str_eq(m[0].mid, m[1].mid, "the same Message-ID");
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED, 1, ids, 4), 1);
    it_teardown(&c);
}

/* MVOI_NOTIFIER_UNCONFIRMED=resend: RFC 5321's rule (no answer is a temporary failure), so
 * the same relay gets the message again: a duplicate with the same Message-ID. */
Test(notifier_dead, resend_policy_sends_again, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, "nt_handlers.StoreNoAnswer");
    it_env(&c, "MVOI_NOTIFIER_UNCONFIRMED=resend");
    it_env(&c, "MVOI_NOTIFIER_MAX_ATTEMPTS=2");
    it_start_nt(&c);
    s_register(&c, 1);
    static it_mail_t m[16];
    int n = it_mails(&c, c.maildir, m, 16);
    for (int64_t end = h_now_ms() + 10000; n < 1 && h_now_ms() < end; h_sleep_ms(100))
        n = it_mails(&c, c.maildir, m, 16);
    it_clock_set(&c, CLOCK0 + 60000);   /* the retry falls due (the clock is the test's) */
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_DEAD, 1, ids, 4), 1);
    n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 2, "2 attempts, each stored by the relay");
    cr_assert_str_eq(m[0].mid, m[1].mid);
    it_teardown(&c);
}

/* The journal's path, and the id of the first copy whose end of DATA went out ("E id"),
 * waited for up to 15 s. */
static void s_journal_end(it_ctx_t *c, char *journal, size_t jcap, char *held, size_t hcap)
{
    char line[800];
    snprintf(journal, jcap, "%s/nt/notifier/sent.journal", c->dir);
    held[0] = 0;
    for (int64_t end = h_now_ms() + 15000; !held[0] && h_now_ms() < end; h_sleep_ms(50)) {
        FILE *f = fopen(journal, "r");
        while (f && fgets(line, sizeof line, f))
            if (line[0] == 'E' && line[1] == ' ')
                snprintf(held, hcap, "%.*s", (int)strcspn(line + 2, "\n"), line + 2);
        if (f)
            fclose(f);
    }
    cr_assert(held[0], "an end of DATA journalled");
}

/* The start after a kill -9 settles each copy still SENDING by its last journal line. The
 * relay stores the first copy and never answers it (libcurl waits for that answer, so the
 * other two stay queued, SENDING without a line); the notifier is killed; the test then
 * writes the others' lines: "E" then "R" (the relay refused it: sent again) and "E" then a
 * bare id (the format before "E": accepted, SENT). The first keeps only its "E": held. */
Test(notifier_dead, restart_settles_each_copy_by_its_last_journal_line, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, "nt_handlers.StoreHang");
    it_start_nt(&c);
    s_register(&c, 3);
    char journal[400], held[200];
    s_journal_end(&c, journal, sizeof journal, held, sizeof held);
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_SENDING, 3, ids, 4), 3);
    h_kill9(&c.nt);
    char refused[200] = "", accepted[200] = "";
    for (int i = 0; i < 3; i++)
        if (strcmp(ids[i], held) != 0)
            memcpy(refused[0] ? accepted : refused, ids[i], sizeof refused);
    cr_assert(refused[0] && accepted[0]);
    FILE *f = fopen(journal, "a");
    cr_assert(f);
    fprintf(f, "E %s\nR %s\nE %s\n%s\n", refused, refused, accepted, accepted);
    fclose(f);
    h_kill9(&c.sink);   /* the hanging relay goes; a normal one takes the resend */
    it_start_sink(&c, false);
    it_start_nt(&c);
    static it_mail_t m[16];
    int n = 0;
    for (int64_t end = h_now_ms() + 10000; n < 2 && h_now_ms() < end; h_sleep_ms(100))
        n = it_mails(&c, c.maildir, m, 16);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 2, "the held copy stored before the kill, the refused one sent again: %d",
                 n);
    struct { const char *id; Mvoi__DeliveryState want; } w[] = {
        { held, MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED },
        { refused, MVOI__DELIVERY_STATE__DELIVERY_SENT },
        { accepted, MVOI__DELIVERY_STATE__DELIVERY_SENT },
    };
    for (int i = 0; i < 3; i++) {
        Mvoi__Envelope g = MVOI__ENVELOPE__INIT, *rep = NULL;
        Mvoi__GetReminder gr = MVOI__GET_REMINDER__INIT;
        gr.id = (char *)w[i].id;
        g.body_case = MVOI__ENVELOPE__BODY_GET_REMINDER;
        g.get_reminder = &gr;
        cr_assert_eq(it_call(&c, c.e_nt_api, &g, &rep), 0);
        cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_REMINDER);
        cr_assert_eq(rep->reminder->state, w[i].want, "%s: state %d", w[i].id,
                     rep->reminder->state);
        cr_assert_eq(rep->reminder->attempts, i == 1 ? 2 : 1, "%s", w[i].id);
        mvoi__envelope__free_unpacked(rep, NULL);
    }
    Mvoi__Envelope *keep = NULL;
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert_eq(h.unconfirmed_deliveries, 1);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A relay that breaks the connection in the middle of DATA (nt_dropmid.py: it reads part of
 * the message and closes, the end of DATA unread) never had the message: the copy is a
 * temporary failure and sent again, not held as unconfirmed. The second attempt is stored,
 * once. */
Test(notifier_dead, connection_broken_mid_data_is_sent_again, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, NULL);
    h_kill9(&c.sink);   /* this test's relay instead */
    char port[16], script[400];
    snprintf(port, sizeof port, "%d", c.smtp);
    snprintf(script, sizeof script, "%s/nt_dropmid.py", NT_SCRIPTS);
    char *argv[] = { "/usr/bin/python3", script, port, c.maildir, "1", "1000", NULL };
    cr_assert_eq(h_spawn_argv(&c.sink, argv, "dropmid", c.dir, NULL), 0);
    it_wait_listening(c.smtp);
    it_start_nt(&c);
    s_register(&c, 1);
    static it_mail_t m[16];
    int n = 0;
    for (int k = 1, end = 150; n < 1 && k < end; k++, h_sleep_ms(100)) {
        it_clock_set(&c, CLOCK0 + 60000 * k);   /* a retry falls due at once */
        n = it_mails(&c, c.maildir, m, 16);
    }
    cr_assert_eq(n, 1, "the copy the relay never had was sent again and stored");
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, 1, ids, 4), 1);
    Mvoi__Envelope g = MVOI__ENVELOPE__INIT, *rep = NULL;
    Mvoi__GetReminder gr = MVOI__GET_REMINDER__INIT;
    gr.id = ids[0];
    g.body_case = MVOI__ENVELOPE__BODY_GET_REMINDER;
    g.get_reminder = &gr;
    cr_assert_eq(it_call(&c, c.e_nt_api, &g, &rep), 0);
    cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_REMINDER);
    cr_assert_eq(rep->reminder->attempts, 2, "dropped once, then stored");
    mvoi__envelope__free_unpacked(rep, NULL);
    Mvoi__Envelope *keep = NULL;
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert_eq(h.unconfirmed_deliveries, 0);
    mvoi__envelope__free_unpacked(keep, NULL);
    char drops[400], line[64] = "";
    snprintf(drops, sizeof drops, "%s/dropmid.drops", c.dir);
    FILE *f = fopen(drops, "r");
    cr_assert(f && fgets(line, sizeof line, f), "the relay dropped a transaction");
    fclose(f);
    /* The first attempt was a retry that says why. */
    char cmd[800], out[4096];
    snprintf(cmd, sizeof cmd, "grep -h notification_ %s/notifier.log", c.dir);
    s_popen(cmd, out, sizeof out);
    cr_assert(strstr(out, "\"notification_retry\""), "%s", out);
    cr_assert(strstr(out, "connection broken before the server read the end of DATA"), "%s", out);
    cr_assert(!strstr(out, "notification_unconfirmed"), "%s", out);
    it_teardown(&c);
}

/* A file's whole text (at most cap - 1 bytes; "" when there is none). */
static void s_slurp(const char *path, char *out, size_t cap)
{
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t got = fread(out, 1, cap - 1, f);
    out[got] = 0;
    fclose(f);
}

/* A stop (SIGTERM) while a transfer waits for the relay (nt_slowrcpt.py answers RCPT TO
 * only after 15 s): the drain gives up after 5 s and the copy is dropped, and dropping it
 * must send nothing more. libcurl's SMTP "done" step, run when a transfer is removed before
 * its end, would otherwise finish the transaction (DATA and an end of DATA with no body:
 * an empty mail stored by the relay) and wait for the relay to do so (a stop of 15 s, not
 * 5). The copy, never journalled, is sent again after the restart: delivered once, whole. */
Test(notifier_dead, stop_during_transfer_sends_nothing_and_resends_after_restart,
     .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, NULL);
    h_kill9(&c.sink);   /* this test's relay instead */
    char port[16], script[400], log[400], text[8192];
    snprintf(port, sizeof port, "%d", c.smtp);
    snprintf(script, sizeof script, "%s/nt_slowrcpt.py", NT_SCRIPTS);
    snprintf(log, sizeof log, "%s/slowrcpt.cmds", c.dir);
    char *argv[] = { "/usr/bin/python3", script, port, c.maildir, log, "15", NULL };
    cr_assert_eq(h_spawn_argv(&c.sink, argv, "slowrcpt", c.dir, NULL), 0);
    it_wait_listening(c.smtp);
    it_start_nt(&c);
    s_register(&c, 1);
    for (int64_t end = h_now_ms() + 10000; h_now_ms() < end; h_sleep_ms(50)) {
        s_slurp(log, text, sizeof text);
        if (strstr(text, "C> RCPT TO:"))
            break;
    }
    cr_assert(strstr(text, "C> RCPT TO:"), "the relay saw no RCPT: %s", text);

    int64_t t0 = h_now_ms();
    cr_assert_eq(h_signal(&c.nt, SIGTERM), 0);
    int st = 0;
    cr_assert_eq(h_wait(&c.nt, 25000, &st), 0, "the notifier did not stop");
    int64_t took = h_now_ms() - t0;
    /* The closed connection reaches the relay at once (it reads while its answer waits). */
    for (int64_t end = h_now_ms() + 3000; h_now_ms() < end; h_sleep_ms(50)) {
        s_slurp(log, text, sizeof text);
        if (strstr(text, "\neof\n"))
            break;
    }
    cr_assert(!strstr(text, "C> DATA") && !strstr(text, "C> .\n") && !strstr(text, "stored"),
              "something was sent after the stop:\n%s", text);
    cr_assert(strstr(text, "\neof\n"), "the connection was not closed:\n%s", text);
    cr_assert_lt(took, 10000, "the stop took %lld ms (drain: 5 s)", (long long)took);
    static it_mail_t m[16];
    cr_assert_eq(it_mails(&c, c.maildir, m, 16), 0, "the relay stored a message");

    h_kill9(&c.sink);   /* a normal relay takes the copy sent again */
    it_start_sink(&c, false);
    it_start_nt(&c);
    it_wait_mails(&c, c.maildir, "kickoff_invitation", 1, m, 16, 10000);
    h_sleep_ms(500);   /* a second copy would be there by now */
    int n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 1, "delivered once after the restart: %d", n);
    cr_assert_str_eq(m[0].status, "ok", "the whole invitation (its iCalendar checked)");
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, 1, ids, 4), 1);
    it_teardown(&c);
}

/* The journal is emptied only when nothing is in flight, so under load a copy's lines of
 * an earlier attempt are still there when it is sent again. A copy held as unconfirmed
 * ("E", no answer) that an operator resends, killed while that resend waits at RCPT TO,
 * was settled at the start by the old attempt's "E": held again as "interrupted after the
 * end of DATA went out", though the resend never reached DATA, and not sent. The test
 * leaves that old line as the load would (the start empties the journal; nothing else is
 * in flight here), resends, kills the notifier while the relay (nt_slowrcpt.py) holds the
 * RCPT TO, and starts it again with a normal relay: the copy is sent again (SENT), two
 * mails in all (the one the first relay stored, and the resend). */
Test(notifier_dead, an_old_journal_line_does_not_settle_a_resend_in_flight, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing(&c, "nt_handlers.StoreHang");
    it_start_nt(&c);
    s_register(&c, 1);
    char journal[400], held[200];
    s_journal_end(&c, journal, sizeof journal, held, sizeof held);
    h_kill9(&c.nt);
    h_kill9(&c.sink);
    char port[16], script[400], log[400], text[8192];
    snprintf(port, sizeof port, "%d", c.smtp);
    snprintf(script, sizeof script, "%s/nt_slowrcpt.py", NT_SCRIPTS);
    snprintf(log, sizeof log, "%s/slowrcpt.cmds", c.dir);
    char *argv[] = { "/usr/bin/python3", script, port, c.maildir, log, "15", NULL };
    cr_assert_eq(h_spawn_argv(&c.sink, argv, "slowrcpt", c.dir, NULL), 0);
    it_wait_listening(c.smtp);
    it_start_nt(&c);
    char ids[4][200];
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_UNCONFIRMED, 1, ids, 4), 1);
    cr_assert_str_eq(ids[0], held);
    FILE *f = fopen(journal, "a");   /* the first attempt's line, as a busy notifier keeps it */
    cr_assert(f);
    fprintf(f, "E %s\n", held);
    fclose(f);
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ResendReminder rr = MVOI__RESEND_REMINDER__INIT;
    rr.id = held;
    e.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER;
    e.resend_reminder = &rr;
    cr_assert(s_command(&c, &e, NULL), "resend");
    for (int64_t end = h_now_ms() + 10000; h_now_ms() < end; h_sleep_ms(50)) {
        s_slurp(log, text, sizeof text);
        if (strstr(text, "C> RCPT TO:"))
            break;
    }
    cr_assert(strstr(text, "C> RCPT TO:"), "the relay saw no RCPT: %s", text);
    h_kill9(&c.nt);
    h_kill9(&c.sink);
    it_start_sink(&c, false);
    it_start_nt(&c);
    cr_assert_eq(s_wait_state(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, 1, ids, 4), 1,
                 "the resend was held again instead of sent");
    static it_mail_t m[16];
    int n = it_mails(&c, c.maildir, m, 16);
    cr_assert_eq(n, 2, "the first relay's copy and the resend: %d", n);
    cr_assert_str_eq(m[0].mid, m[1].mid, "the same message");
    it_teardown(&c);
}
