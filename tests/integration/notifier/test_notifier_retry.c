/*  Temporary and permanent failures between real processes (helpers in nt_it.c): a relay
 *  down for hours is retried, not given up after an hour; one down past the retry lifetime
 *  (5 days) makes dead letters, each reported; a dead letter an operator resends that dies
 *  again is reported again. Two buyers with the same tender id each time; the fake clock
 *  moves the hours. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "inbox.h"
#include "nt_it.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

#define HOUR 3600000LL

/* The reminders of one buyer in one state (0: any). */
static Mvoi__ReminderList *s_list(it_ctx_t *c, const char *buyer, Mvoi__DeliveryState st,
                                  Mvoi__Envelope **keep)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_state = st != 0;
    q.state = st;
    q.has_limit = true;
    q.limit = 1000;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, keep), 0);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    return (*keep)->reminder_list;
}

/* How many of a buyer's copies are in state st (kind 0: any kind). */
static int s_count(it_ctx_t *c, const char *buyer, Mvoi__DeliveryState st,
                   Mvoi__ReminderKind kind)
{
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(c, buyer, st, &keep);
    int n = 0;
    for (size_t i = 0; i < l->n_reminders; i++)
        n += (!kind || l->reminders[i]->kind == kind) &&
             !strcmp(l->reminders[i]->channel, "mail");
    mvoi__envelope__free_unpacked(keep, NULL);
    return n;
}

/* A public tender of each buyer, same id, session on Friday 6 June 2025: five invitations
 * each (leader, budget holder, procurement adviser, policy adviser, coordinator). */
static void s_two_tenders(it_ctx_t *c, const char *id)
{
    Mvoi__Tender t = it_tender(id, true, "2025-06-30", NULL, NULL, false);
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(c, &t, false);
    it_register(c, &v, false);
}

/* The notifier's HealthReply. */
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

/* A gateway polling this notifier; the line `want` on its /metrics (polled up to 15 s). */
static bool s_gateway_shows(it_ctx_t *c, const char *want, char *out, size_t cap)
{
    int port = it_port();
    char bin[512], env[4][400], cmd[200];
    h_bin(bin, sizeof bin, "services/gateway/mvoi-gateway");
    snprintf(env[0], sizeof env[0], "MVOI_GATEWAY_LISTEN=127.0.0.1:%d", port);
    snprintf(env[1], sizeof env[1], "MVOI_GATEWAY_NOTIFIER_API=%s", c->e_nt_api);
    snprintf(env[2], sizeof env[2], "MVOI_GATEWAY_KPI_API=ipc://%s/none.api", c->dir);
    snprintf(env[3], sizeof env[3], "MVOI_GATEWAY_KPI_PUB=ipc://%s/none.pub", c->dir);
    const char *genv[] = { env[0], env[1], env[2], env[3], NULL };
    h_proc_t gw;
    cr_assert_eq(h_spawn(&gw, bin, "gateway", c->dir, genv), 0);
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/metrics", port);
    bool seen = false;
    for (int64_t end = h_now_ms() + 15000; !seen && h_now_ms() < end; h_sleep_ms(200)) {
        FILE *p = popen(cmd, "r");
        cr_assert(p, "%s", cmd);
        size_t got = fread(out, 1, cap - 1, p);
        out[got] = 0;
        cr_assert(fgetc(p) == EOF, "/metrics over %zu bytes", cap - 1);
        pclose(p);
        seen = strstr(out, want) != NULL;
    }
    h_kill9(&gw);
    return seen;
}

/* The fake clock moves from `from` to `to` in steps; at each the notifier tries what is
 * due (connection refused takes a millisecond). */
static void s_walk(it_ctx_t *c, int64_t from, int64_t to, int64_t step)
{
    for (int64_t at = from; at <= to; at += step) {
        it_clock_set(c, at);
        h_sleep_ms(60);
    }
}

/* Nothing listens on the relay's port for five hours (connection refused: a temporary
 * failure). With 12 attempts and a 30-minute cap every copy was dead within about two
 * hours (the caps add up to 103 minutes), and the coordinator got a dead-letter report per
 * copy. Now all ten copies are still retrying after five hours, and each is delivered once
 * when the relay is back. */
Test(notifier_retry, relay_down_for_hours_is_retried_then_delivered_once, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025, 11:00 */
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    s_two_tenders(&c, "RT-1");
    h_sleep_ms(300);
    s_walk(&c, CLOCK0, CLOCK0 + 5 * HOUR, 10 * 60000);
    h_sleep_ms(300);
    const Mvoi__DeliveryState retrying = MVOI__DELIVERY_STATE__DELIVERY_RETRYING;
    const Mvoi__DeliveryState dead = MVOI__DELIVERY_STATE__DELIVERY_DEAD;
    const char *buyers[] = { "heerlen", "venlo" };
    for (int b = 0; b < 2; b++) {
        cr_assert_eq(s_count(&c, buyers[b], dead, 0), 0, "%s: no dead letter after 5 h",
                     buyers[b]);
        cr_assert_eq(s_count(&c, buyers[b], retrying,
                             MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION), 5,
                     "%s: five invitations retrying", buyers[b]);
        cr_assert_eq(s_count(&c, buyers[b], retrying, 0), 5, "%s: nothing else", buyers[b]);
    }
    /* An operator sees the outage before the dead letters: 5 invitations x 2 buyers. */
    Mvoi__Envelope *keep = NULL;
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert(h.has_retrying_deliveries);
    cr_assert_eq(h.retrying_deliveries, 10, "%llu", (unsigned long long)h.retrying_deliveries);
    cr_assert_eq(h.dead_letters, 0);
    mvoi__envelope__free_unpacked(keep, NULL);
    static char out[65536];
    cr_assert(s_gateway_shows(&c, "mvoi_gateway_upstream_retrying_deliveries{service=\"notifier\"}"
                              " 10\n", out, sizeof out), "/metrics:\n%.3000s", out);
    it_start_sink(&c, false);
    s_walk(&c, CLOCK0 + 5 * HOUR, CLOCK0 + 7 * HOUR, 20 * 60000);   /* the cap is 1 h */
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 10, m, 64, 10000);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s", m[i].kind, m[i].buyer, m[i].rcpt);
    cr_assert_eq(n, 10, "one invitation per attendee and buyer, got %d", n);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 0);
    for (int b = 0; b < 2; b++) {
        cr_assert_eq(s_count(&c, buyers[b], MVOI__DELIVERY_STATE__DELIVERY_SENT, 0), 5);
        cr_assert_eq(s_count(&c, buyers[b], dead, 0), 0);
    }
    h = s_health(&c, &keep);
    cr_assert_eq(h.retrying_deliveries, 0, "%llu", (unsigned long long)h.retrying_deliveries);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* The relay stays down. At 119 hours after the first failure nothing is dead; past the
 * default lifetime (120 hours) every copy is: 10 dead letters, their last error saying
 * why, and once the relay is back the coordinator has one report per dead copy (5 per
 * buyer, each naming its buyer's copy). A permanent refusal still dies at once
 * (notifier_int/rejected_550_is_a_dead_letter). */
Test(notifier_retry, relay_down_past_the_lifetime_is_a_dead_letter_reported, .timeout = 120)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    s_two_tenders(&c, "RT-2");
    h_sleep_ms(300);
    s_walk(&c, CLOCK0, CLOCK0 + 119 * HOUR, HOUR);
    h_sleep_ms(300);
    const Mvoi__DeliveryState dead = MVOI__DELIVERY_STATE__DELIVERY_DEAD;
    cr_assert_eq(s_count(&c, "heerlen", dead, 0) + s_count(&c, "venlo", dead, 0), 0,
                 "nothing dead within the lifetime");
    s_walk(&c, CLOCK0 + 120 * HOUR + 60000, CLOCK0 + 122 * HOUR, HOUR);
    int64_t end = h_now_ms() + 5000;
    while (s_count(&c, "heerlen", dead, 0) + s_count(&c, "venlo", dead, 0) < 10 &&
           h_now_ms() < end)
        h_sleep_ms(100);
    const char *buyers[] = { "heerlen", "venlo" };
    for (int b = 0; b < 2; b++) {
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = s_list(&c, buyers[b], dead, &keep);
        cr_assert_eq(l->n_reminders, 5, "%s: five dead letters", buyers[b]);
        for (size_t i = 0; i < l->n_reminders; i++) {
            const char *e = l->reminders[i]->last_error;
            const char *f = e ? strstr(e, "temporary failures for ") : NULL;
            cr_assert(f && strstr(e, "given up"), "%s", e);
            double h = strtod(f + strlen("temporary failures for "), NULL);
            cr_assert(h >= 120.0 && h < 123.0, "given up after %.1f h: %s", h, e);
            cr_assert_gt(l->reminders[i]->attempts, 12, "%u", l->reminders[i]->attempts);
        }
        mvoi__envelope__free_unpacked(keep, NULL);
    }
    it_start_sink(&c, false);
    s_walk(&c, CLOCK0 + 122 * HOUR, CLOCK0 + 124 * HOUR, 20 * 60000);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 10, m, 64, 10000);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 64);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 0, "the dead copies are not sent");
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 10,
                 "one report per dead copy, got %d", it_count(m, n, "delivery_failed"));
    int per[2] = { 0, 0 };
    for (int i = 0; i < n; i++)
        per[strcmp(m[i].buyer, "heerlen") != 0]++;
    cr_assert_eq(per[0], 5, "heerlen's reports");
    cr_assert_eq(per[1], 5, "venlo's reports");
    /* each report advises on the relay, not on the address (nt_texts tests the words) */
    for (int b = 0; b < 2; b++) {
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = s_list(&c, buyers[b], MVOI__DELIVERY_STATE__DELIVERY_SENT,
                                       &keep);
        int gave_up = 0;
        for (size_t i = 0; i < l->n_reminders; i++)
            gave_up += l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_DELIVERY_FAILED &&
                       l->reminders[i]->about_gave_up;
        mvoi__envelope__free_unpacked(keep, NULL);
        cr_assert_eq(gave_up, 5, "%s: reports of copies given up", buyers[b]);
    }
    it_teardown(&c);
}

/* mvoictl reminders resend ID: the output and exit status. */
static int s_resend(it_ctx_t *c, const char *buyer, const char *id, char *out, size_t cap)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl --buyer %s "
             "reminders resend '%s' 2>&1", c->e_nt_api, MVOI_BINARY_DIR, buyer, id);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(out, 1, cap - 1, p);
    out[got] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A notifier whose relay refuses typo-pl@ (550 5.1.1), without the core team's copies. */
static void s_start_refusing_typo(it_ctx_t *c)
{
    it_setup(c, CLOCK0);
    it_start_sink_with(c, "nt_handlers.RefuseTypo");
    it_env(c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c->smtp);
    it_env(c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(c);
}

/* Each buyer's tender RD-1 has a leader the relay refuses (550 5.1.1): one dead copy per
 * buyer, one report each. An operator resends heerlen's copy (mvoictl); the relay refuses
 * it again: that second death is reported too (3 reports: heerlen 2, venlo 1). The second
 * report was keyed like the first and not made: nobody heard of it. */
Test(notifier_retry, resent_dead_letter_that_dies_again_is_reported_again, .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing_typo(&c);
    Mvoi__Person typo = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                          "typo-pl@gemeente.example" };
    Mvoi__Tender t = it_tender("RD-1", true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &typo;
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 2, m, 64, 15000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 2, "one report per buyer");
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
    cr_assert_eq(l->n_reminders, 1);
    char id[400];
    snprintf(id, sizeof id, "%s", l->reminders[0]->id);
    mvoi__envelope__free_unpacked(keep, NULL);
    char out[4096];
    int ex = s_resend(&c, "heerlen", id, out, sizeof out);
    cr_assert_eq(ex, 0, "mvoictl reminders resend: %s", out);
    n = it_wait_mails(&c, c.maildir, "delivery_failed", 3, m, 64, 10000);
    h_sleep_ms(800);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s", m[i].kind, m[i].buyer, m[i].rcpt);
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 3,
                 "two deaths of heerlen's copy, one of venlo's: got %d",
                 it_count(m, n, "delivery_failed"));
    int heer = 0;
    for (int i = 0; i < n; i++)
        heer += !strcmp(m[i].kind, "delivery_failed") && !strcmp(m[i].buyer, "heerlen");
    cr_assert_eq(heer, 2, "heerlen's copy died twice");
    /* both reports name the copy (about_id), and the copy is dead again after one attempt */
    l = s_list(&c, "heerlen", MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
    int about = 0;
    for (size_t i = 0; i < l->n_reminders; i++)
        about += l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_DELIVERY_FAILED &&
                 l->reminders[i]->about_id && !strcmp(l->reminders[i]->about_id, id) &&
                 !strcmp(l->reminders[i]->channel, "mail") &&
                 !l->reminders[i]->about_gave_up;   /* a 550: the address's advice */
    mvoi__envelope__free_unpacked(keep, NULL);
    cr_assert_eq(about, 2);
    l = s_list(&c, "heerlen", MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
    cr_assert_eq(l->n_reminders, 1);
    cr_assert_eq(l->reminders[0]->attempts, 1, "a 550 is permanent");
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* Lateness: a tender registered late (publication Friday 14 March 2025) has its session on
 * the first working day after registration, Tuesday 4 March 2025, 10.00. The relay is down
 * from the start until after the session: the invitations, retried all along, are not sent
 * late, and not cancelled without a word as "expired" either (they never reached anyone):
 * each is a dead letter, reported to the coordinator once the relay is back (5 per buyer). */
Test(notifier_retry, invitation_failing_until_its_session_is_a_dead_letter, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025, 11:00 */
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("RL-1", true, "2025-03-14", NULL, NULL, false);
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(300);
    int64_t session = it_local(2025, 3, 4, 10, 0);
    s_walk(&c, CLOCK0, session + 2 * HOUR, HOUR / 2);
    h_sleep_ms(300);
    const Mvoi__ReminderKind inv = MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION;
    const char *buyers[] = { "heerlen", "venlo" };
    for (int b = 0; b < 2; b++) {
        Mvoi__Envelope *keep = NULL;
        Mvoi__ReminderList *l = s_list(&c, buyers[b], MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
        int dead = 0;
        for (size_t i = 0; i < l->n_reminders; i++) {
            const Mvoi__Reminder *r = l->reminders[i];
            if (r->kind != inv || strcmp(r->channel, "mail"))
                continue;
            dead++;
            cr_assert_eq(r->meeting_start_ms, session);
            cr_assert(r->last_error && strstr(r->last_error, "before the session started") &&
                      strstr(r->last_error, "connect"), "%s", r->last_error);
        }
        mvoi__envelope__free_unpacked(keep, NULL);
        cr_assert_eq(dead, 5, "%s: five invitations dead, got %d", buyers[b], dead);
        cr_assert_eq(s_count(&c, buyers[b], MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, inv), 0,
                     "%s: none cancelled as expired", buyers[b]);
    }
    it_start_sink(&c, false);
    s_walk(&c, session + 2 * HOUR, session + 4 * HOUR, 20 * 60000);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 10, m, 64, 10000);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s", m[i].kind, m[i].buyer, m[i].rcpt);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 0, "not sent after the session");
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 10,
                 "one report per invitation, got %d", it_count(m, n, "delivery_failed"));
    it_teardown(&c);
}

/* The previous version: "counted" (dead and unconfirmed copies counted) but no
 * "n_retrying" or "counted_retrying". "counted" must be there, or this would test the
 * first count instead. */
static int s_forget_retrying_txn(MDB_txn *txn, void *arg)
{
    MDB_dbi meta = store_dbi(arg, "nmeta");
    MDB_val ck = { 7, "counted" }, v;
    cr_assert_eq(mdb_get(txn, meta, &ck, &v), 0, "the store has the \"counted\" marker");
    MDB_val rk = { 10, "n_retrying" }, mk = { 16, "counted_retrying" };
    cr_assert_eq(store_del(txn, meta, &rk, NULL), 0);
    return store_del(txn, meta, &mk, NULL);
}

/* A store of the version before retrying copies were counted, with copies retrying (the
 * relay is down): they are counted once at start, 5 invitations x 2 buyers, and counted
 * on from there (0 once delivered). Counted under the old "counted" marker they were
 * never counted: retrying_deliveries stayed 0 during the whole outage. */
Test(notifier_retry, retrying_copies_of_an_older_store_are_counted_at_start, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    s_two_tenders(&c, "RT-5");
    h_sleep_ms(300);
    s_walk(&c, CLOCK0, CLOCK0 + 2 * HOUR, 10 * 60000);
    h_sleep_ms(300);
    const Mvoi__DeliveryState retrying = MVOI__DELIVERY_STATE__DELIVERY_RETRYING;
    cr_assert_eq(s_count(&c, "heerlen", retrying, 0) + s_count(&c, "venlo", retrying, 0), 10);
    it_stop_nt(&c);

    char path[400];
    snprintf(path, sizeof path, "%s/nt/notifier", c.dir);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "rem", "due",
                                       "sending", "bytender", "tenders", "nmeta", NULL };
    store_opts_t so = { .path = path, .dbs = dbs };
    int err = 0;
    store_t *st = store_new(&so, &err);
    cr_assert_not_null(st, "%d", err);
    cr_assert_eq(store_write(st, s_forget_retrying_txn, st), 0);
    store_destroy(&st);

    it_start_nt(&c);
    Mvoi__Envelope *keep = NULL;
    Mvoi__HealthReply h = s_health(&c, &keep);
    cr_assert_eq(h.retrying_deliveries, 10, "%llu", (unsigned long long)h.retrying_deliveries);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_start_sink(&c, false);
    s_walk(&c, CLOCK0 + 2 * HOUR, CLOCK0 + 4 * HOUR, 20 * 60000);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 10, m, 64, 10000);
    cr_assert_eq(n, 10, "one invitation per attendee and buyer, got %d", n);
    h_sleep_ms(300);
    h = s_health(&c, &keep);
    cr_assert_eq(h.retrying_deliveries, 0, "%llu", (unsigned long long)h.retrying_deliveries);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* A tender id with '/' in it (allowed: "RD/2025/1") is written "%2F" inside its copies'
 * ids, and the address's own characters ('o'hara') go into the id as they are. The dead
 * letter's report says "mvoictl reminders resend ID"; the operator who did so was refused
 * at the service's door (a reminder id may not hold '%' or '\''), so the dead letter could
 * be neither resent nor cancelled. */
Test(notifier_retry, a_dead_letter_whose_id_holds_escapes_can_be_resent, .timeout = 60)
{
    it_ctx_t c;
    s_start_refusing_typo(&c);
    Mvoi__Person typo = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                          "typo-pl@gemeente.example" };
    Mvoi__Tender t = it_tender("RD/2025/1", true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &typo;
    it_register(&c, &t, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 1, m, 64, 15000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 1);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
    cr_assert_eq(l->n_reminders, 1);
    char id[400];
    snprintf(id, sizeof id, "%s", l->reminders[0]->id);
    mvoi__envelope__free_unpacked(keep, NULL);
    cr_assert(strstr(id, "RD%2F2025%2F1"), "%s", id);
    char out[4096];
    int ex = s_resend(&c, "heerlen", id, out, sizeof out);
    cr_assert_eq(ex, 0, "mvoictl reminders resend %s: %s", id, out);
    n = it_wait_mails(&c, c.maildir, "delivery_failed", 2, m, 64, 10000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 2, "resent, refused again, reported");
    it_teardown(&c);
}

/* "typo-" and '.'-separated labels of 'd' up to "@...example": an address of exactly len
 * bytes (len >= 20). */
static void s_address_of(char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len + 1, "typo-pl@");
    while (n < len - 8) {
        out[n] = (n % 40 == 39 && n + 1 < len - 8) ? '.' : 'd';
        n++;
    }
    snprintf(out + n, 9, ".example");
}

/* The boundary of a copy's id (a reminder id, at most 256 bytes: mvoi_id). A copy's id is
 * "heerlen/<tender>/kickoff_invitation/1/v0/<address>": with a 100-byte tender id that is
 * 8 + 100 + 24 + 1 = 133 bytes and the address. An address of 123 bytes makes 256: kept as
 * it is. One of 124 makes 257: the address is named by its hash instead ("/~" and 16 hex,
 * 150 bytes). Before, ids of up to 400 bytes were stored, and the dead letter's "mvoictl
 * reminders resend ID" was refused at the door ("longer than 256 bytes"): it could be
 * neither resent nor cancelled. Both dead letters can be resent now. */
Test(notifier_retry, a_copy_id_of_257_bytes_is_hashed_and_both_sides_can_be_resent,
     .timeout = 90)
{
    it_ctx_t c;
    s_start_refusing_typo(&c);
    char tid[2][101], addr[2][130], want[300];
    Mvoi__Person pl[2];
    for (int i = 0; i < 2; i++) {
        memset(tid[i], 'A' + i, 100);
        tid[i][100] = 0;
        s_address_of(addr[i], 123 + (size_t)i);
        cr_assert_eq(strlen(addr[i]), 123 + (size_t)i);
        pl[i] = (Mvoi__Person){ PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                                addr[i] };
        Mvoi__Tender t = it_tender(tid[i], true, "2025-06-30", NULL, NULL, false);
        t.project_leader = &pl[i];
        it_register(&c, &t, false);
    }
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 2, m, 64, 15000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 2, "both refused and reported");
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", MVOI__DELIVERY_STATE__DELIVERY_DEAD, &keep);
    cr_assert_eq(l->n_reminders, 2);
    char id[2][300] = { "", "" };
    for (size_t k = 0; k < l->n_reminders; k++) {
        const Mvoi__Reminder *r = l->reminders[k];
        int i = !strcmp(r->recipients[0], addr[1]);
        snprintf(id[i], sizeof id[i], "%s", r->id);
    }
    mvoi__envelope__free_unpacked(keep, NULL);
    snprintf(want, sizeof want, "heerlen/%s/kickoff_invitation/1/v0/%s", tid[0], addr[0]);
    cr_assert_eq(strlen(want), 256);
    cr_assert_str_eq(id[0], want, "256 bytes: the address as it is");
    snprintf(want, sizeof want, "heerlen/%s/kickoff_invitation/1/v0/~", tid[1]);
    cr_assert_eq(strncmp(id[1], want, strlen(want)), 0, "257 would be: hashed: %s", id[1]);
    cr_assert_eq(strlen(id[1]), strlen(want) + 16, "%s", id[1]);
    for (int i = 0; i < 2; i++) {
        char out[4096];
        int ex = s_resend(&c, "heerlen", id[i], out, sizeof out);
        cr_assert_eq(ex, 0, "mvoictl reminders resend %s: %s", id[i], out);
    }
    n = it_wait_mails(&c, c.maildir, "delivery_failed", 4, m, 64, 10000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 4, "both resent, refused, reported");
    it_teardown(&c);
}

typedef struct {
    const char *id, *tid, *addr;
} s_long_t;

/* What an earlier version stored: a dead copy under a 300-byte id, in the current layout. */
static int s_long_txn(MDB_txn *txn, void *arg)
{
    s_long_t *o = arg;
    MDB_dbi rem, bytender, nmeta;
    cr_assert_eq(mdb_dbi_open(txn, "rem", 0, &rem), 0);
    cr_assert_eq(mdb_dbi_open(txn, "bytender", 0, &bytender), 0);
    cr_assert_eq(mdb_dbi_open(txn, "nmeta", 0, &nmeta), 0);
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    r.id = (char *)o->id;
    r.buyer = "heerlen";
    r.tender_id = (char *)o->tid;
    r.has_kind = r.has_state = r.has_due_ms = r.has_ordinal = r.has_schedule_version = true;
    r.kind = MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
    r.state = MVOI__DELIVERY_STATE__DELIVERY_DEAD;
    r.last_error = "smtp: 550 (test)";
    r.due_ms = CLOCK0 - 86400000;
    r.ordinal = 1;
    r.schedule_version = 1;
    r.recipients = (char *[]){ (char *)o->addr };
    r.n_recipients = 1;
    r.channel = "mail";
    uint8_t buf[4096], bk[600];
    size_t n = mvoi__reminder__pack(&r, buf);
    MDB_val k = { strlen(o->id), (void *)o->id }, v = { n, buf }, e = { 0, "" };
    cr_assert_eq(store_put(txn, rem, &k, &v, 0), 0);
    int bl = snprintf((char *)bk, sizeof bk, "heerlen%c%s%c%s", 0, o->tid, 0, o->id);
    MDB_val b = { (size_t)bl, bk }, lk = { 6, "layout" }, two = { 1, "2" };
    cr_assert_eq(store_put(txn, bytender, &b, &e, 0), 0);
    return store_put(txn, nmeta, &lk, &two, 0);
}

/* A notifier started on a store of the earlier version that holds a dead copy under the
 * 300-byte id old ("heerlen/<100 x C>/ambition_missing/1/v1/<169-byte address>"); want: the
 * id it is stored again under, "<key>/~" and the first 16 hex of the address's SHA-256
 * (worked out by sha256sum), hex those 16. */
typedef struct {
    char tid[101], addr[200], old[400], want[300], hex[80];
} s_migrated_t;

static void s_start_with_a_long_id(it_ctx_t *c, s_migrated_t *m)
{
    memset(m, 0, sizeof *m);
    it_setup(c, CLOCK0);
    it_start_sink_with(c, "nt_handlers.RefuseTypo");
    it_env(c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c->smtp);
    it_env(c, "MVOI_NOTIFIER_CORE_TEAM=");
    memset(m->tid, 'C', 100);
    s_address_of(m->addr, 169);
    snprintf(m->old, sizeof m->old, "heerlen/%s/ambition_missing/1/v1/%s", m->tid, m->addr);
    cr_assert_eq(strlen(m->old), 300);
    char path[400];
    snprintf(path, sizeof path, "%s/nt", c->dir);
    mkdir(path, 0750);
    snprintf(path, sizeof path, "%s/nt/notifier", c->dir);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, INBOX_DBS, "rem", "due",
                                       "sending", "bytender", "tenders", "nmeta", NULL };
    store_opts_t so = { .path = path, .dbs = dbs };
    int err = 0;
    store_t *st = store_new(&so, &err);
    cr_assert_not_null(st, "%d", err);
    s_long_t o = { m->old, m->tid, m->addr };
    cr_assert_eq(store_write(st, s_long_txn, &o), 0);
    store_destroy(&st);
    it_start_nt(c);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", m->addr);
    FILE *p = popen(cmd, "r");
    cr_assert(p && fgets(m->hex, sizeof m->hex, p));
    pclose(p);
    m->hex[16] = 0;
    snprintf(m->want, sizeof m->want, "heerlen/%s/ambition_missing/1/v1/~%s", m->tid, m->hex);
}

/* A store of the earlier version holds a dead copy under a 300-byte id (the store took up
 * to 400): the door refuses it (256), so it could be neither resent nor cancelled. At
 * start it is stored again under the id it would be made with now: the key and the
 * address's hash, "heerlen/<tender>/ambition_missing/1/v1/~" and the first 16 hex of the
 * address's SHA-256 (sha256sum here), 148 bytes; an operator can resend it (the relay
 * refuses typo-pl@: a dead letter, reported). */
Test(notifier_retry, a_stored_id_over_256_bytes_is_stored_again_under_a_valid_one,
     .timeout = 60)
{
    it_ctx_t c;
    s_migrated_t mg;
    s_start_with_a_long_id(&c, &mg);
    const char *addr = mg.addr, *want = mg.want;

    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", 0, &keep);
    cr_assert_eq(l->n_reminders, 1);
    cr_assert_str_eq(l->reminders[0]->id, want);
    cr_assert_eq(l->reminders[0]->state, MVOI__DELIVERY_STATE__DELIVERY_DEAD, "its state kept");
    cr_assert_str_eq(l->reminders[0]->recipients[0], addr);
    mvoi__envelope__free_unpacked(keep, NULL);
    char out[4096];
    int ex = s_resend(&c, "heerlen", want, out, sizeof out);
    cr_assert_eq(ex, 0, "mvoictl reminders resend %s: %s", want, out);
    static it_mail_t m[16];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 1, m, 16, 10000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 1, "resent, refused, reported");
    it_teardown(&c);
}

/* mvoictl reminders ACTION ID as BUYER: its exit status, its output into out. */
static int s_ctl_reminders(it_ctx_t *c, const char *buyer, const char *action, const char *id,
                           char *out, size_t cap)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "MVOI_NOTIFIER_API=%s %s/services/mvoictl/mvoictl --buyer %s "
             "reminders %s '%s' 2>&1", c->e_nt_api, MVOI_BINARY_DIR, buyer, action, id);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(out, 1, cap - 1, p);
    out[got] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The dead letter reports sent before the migration name the old 300-byte id ("mvoictl
 * reminders resend <old id>"), which no longer exists after it: the door refused it as a
 * reminder id, and the record is under "<key>/~<16 hex>" now. mvoictl sends an id the
 * door refuses as former_id; the notifier finds the record it was stored again under
 * (nmeta "former"): resend, show and cancel of the old id act on it and show its id now.
 * Another buyer's resend of it finds nothing (the record is heerlen's). */
Test(notifier_retry, an_old_id_from_before_the_migration_still_resends_and_cancels,
     .timeout = 60)
{
    it_ctx_t c;
    s_migrated_t mg;
    s_start_with_a_long_id(&c, &mg);
    const char *old = mg.old, *want = mg.want, *hex = mg.hex;

    static char out[8192];
    int ex = s_ctl_reminders(&c, "venlo", "resend", old, out, sizeof out);
    cr_assert_neq(ex, 0, "another buyer's resend of the old id: %s", out);
    cr_assert(strstr(out, "er is geen herinnering opnieuw opgeslagen onder een ander id "
                          "vanaf heerlen/"), "%s", out);
    cr_assert_null(strstr(out, hex), "heerlen's id now is not venlo's to learn: %s", out);
    ex = s_ctl_reminders(&c, "heerlen", "show", old, out, sizeof out);
    cr_assert_eq(ex, 0, "show of the old id: %s", out);
    cr_assert(strstr(out, want), "its id now is shown: %s", out);
    ex = s_ctl_reminders(&c, "heerlen", "resend", old, out, sizeof out);
    cr_assert_eq(ex, 0, "resend of the old id: %s", out);
    cr_assert(strstr(out, want), "%s", out);
    static it_mail_t m[16];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 1, m, 16, 10000);
    cr_assert_eq(it_count(m, n, "delivery_failed"), 1, "resent, refused, reported");
    ex = s_ctl_reminders(&c, "heerlen", "cancel", old, out, sizeof out);
    cr_assert_eq(ex, 0, "cancel of the old id: %s", out);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", 0, &keep);
    int cancelled = 0;   /* the copy, beside the report of its death */
    for (size_t i = 0; i < l->n_reminders; i++)
        if (!strcmp(l->reminders[i]->id, want))
            cancelled += l->reminders[i]->state == MVOI__DELIVERY_STATE__DELIVERY_CANCELLED;
    cr_assert_eq(cancelled, 1, "the copy under its id now is cancelled");
    mvoi__envelope__free_unpacked(keep, NULL);
    ex = s_ctl_reminders(&c, "heerlen", "resend", "heerlen/never/ambition_missing/1/v1/"
                         "jos\xc3\xa9@heerlen.example", out, sizeof out);
    cr_assert_neq(ex, 0, "an old id never stored again: %s", out);
    cr_assert(strstr(out, "former_id: er is geen herinnering"), "%s", out);
    it_teardown(&c);
}

/* A 128-byte tender id with 42 '/' (allowed) is 212 bytes once escaped ("%2F"): no copy's
 * id with it fits 256, and the key did not even fit its own buffer: none of the five
 * invitations was planned (one "reminder_not_planned" line in the log, no mail). The key
 * names such a tender by its hash ("~" and 16 hex of SHA-256 of the id): the five go out,
 * each copy's id within the bound and resendable. */
Test(notifier_retry, a_tender_id_too_long_once_escaped_still_gets_its_invitations,
     .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    char tid[129];
    for (int i = 0; i < 128; i++)
        tid[i] = i % 3 == 2 ? '/' : 'R';
    tid[128] = 0;
    Mvoi__Tender t = it_tender(tid, true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[16];
    int n = it_mails_settled(&c, "kickoff_invitation", 5, m, 16, 10000);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 5, "five invitations, got %d", n);
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = s_list(&c, "heerlen", 0, &keep);
    int inv = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {   /* the invitations and what follows */
        inv += l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION;
        cr_assert_leq(strlen(l->reminders[i]->id), 256, "%s", l->reminders[i]->id);
        cr_assert_eq(strncmp(l->reminders[i]->id, "heerlen/~", 9), 0, "%s", l->reminders[i]->id);
        cr_assert_str_eq(l->reminders[i]->tender_id, tid);
    }
    cr_assert_eq(inv, 5);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}
