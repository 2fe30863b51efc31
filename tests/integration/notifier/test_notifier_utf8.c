/*  Addresses that are not ASCII (a UTF-8 local part, a domain in U-labels) between real
 *  processes: mvoi-fakecal, mvoi-notifier and a relay that offers SMTPUTF8 (aiosmtpd,
 *  enable_SMTPUTF8) or one that does not (nt_slowrcpt.py, without delay: it takes
 *  whatever bytes come, as a lax old MTA does). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "mvoi_id.h"
#include "nt_it.h"

static Mvoi__Person s_jose = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "José Leider",
                               "josé@gemeente.example" };
static Mvoi__Person s_jan = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Jan Houder",
                              "jan@bücher.example" };

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

/* How many stored messages have a header line "To: ...<addr>" with these very bytes. */
static int s_to_header(it_ctx_t *c, const char *addr)
{
    char cmd[1200], out[64] = "";
    snprintf(cmd, sizeof cmd, "grep -l -a -F -e '<%s>' -r %s/new | xargs -r grep -l -a '^To: ' "
             "| wc -l", addr, c->maildir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, sizeof out, p))
        out[0] = 0;
    pclose(p);
    return atoi(out);
}

static char s_last_id[300];   /* the id of the copy s_copy_state found */

/* The copy of kind k to rcpt: its state, and its last error into err. */
static int s_copy_state(it_ctx_t *c, Mvoi__ReminderKind k, const char *rcpt, char *err,
                        size_t cap)
{
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(c, 0, &keep);
    int st = -1;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        if (r->kind == k && r->n_recipients == 1 && !strcmp(r->recipients[0], rcpt)) {
            st = (int)r->state;
            snprintf(err, cap, "%s", r->last_error ? r->last_error : "");
            snprintf(s_last_id, sizeof s_last_id, "%s", r->id);
        }
    }
    mvoi__envelope__free_unpacked(keep, NULL);
    return st;
}

/* Of a kick-off's five invitations, the four others delivered and the one to dead (its
 * address; not delivered to unsent when given) a dead letter: its copy DEAD, its error
 * into err, the coordinator's report of it delivered. */
static void s_one_dead_four_sent(it_ctx_t *c, const char *dead, const char *unsent, char *err,
                                 size_t cap)
{
    static it_mail_t m[32];
    int n = it_mails_settled(c, "delivery_failed", 1, m, 32, 10000);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 4, "the four others, got %d",
                 it_count(m, n, "kickoff_invitation"));
    if (unsent)
        cr_assert_eq(it_count_to(m, n, "kickoff_invitation", unsent), 0);
    cr_assert_eq(it_count_to(m, n, "delivery_failed", "mvoi-coordinator@gemeente.example"), 1,
                 "the dead letter's report to the coordinator");
    cr_assert_eq(n, 5);
    /* the four were delivered in the batch the dead copy died in: the report says so
     * (it said "0 van 4 have received it", counted at the death, before their outcome) */
    static char text[16384];
    it_mail_text(c, "delivery_failed", "mvoi-coordinator@gemeente.example", text, sizeof text);
    cr_assert(strstr(text, "De andere ontvangers hebben het wel gekregen."), "%s", text);
    int st = s_copy_state(c, MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, dead, err, cap);
    cr_assert_eq(st, MVOI__DELIVERY_STATE__DELIVERY_DEAD, "state %d: %s", st, err);
}

/* A relay that offers SMTPUTF8 gets the invitations of José (UTF-8 local part) with his
 * address as it is, in the envelope and in To:, and Jan's (a domain in U-labels) with the
 * domain's A-label, as any relay gets it; the copies are SENT. */
Test(notifier_utf8, relay_with_smtputf8_gets_utf8_addresses_as_they_are, .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink_smtputf8(&c);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("U-1", true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &s_jose;
    t.budget_holder = &s_jan;
    it_register(&c, &t, false);
    static it_mail_t m[32];
    int n = it_mails_settled(&c, "kickoff_invitation", 5, m, 32, 10000);
    cr_assert_eq(n, 5, "five invitations, got %d", n);
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", "josé@gemeente.example"), 1);
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", "jan@xn--bcher-kva.example"), 1);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(m[i].status, "ok", "%s: %s", m[i].rcpt, m[i].status);
    cr_assert_eq(s_to_header(&c, "josé@gemeente.example"), 1, "To: with the UTF-8 address");
    cr_assert_eq(s_to_header(&c, "jan@xn--bcher-kva.example"), 1, "To: with the A-label");
    char err[600];
    for (int i = 0; i < 2; i++) {
        const char *who = i ? "jan@bücher.example" : "josé@gemeente.example";
        int st = -1;
        for (int k = 0; k < 50 && st != MVOI__DELIVERY_STATE__DELIVERY_SENT; k++, h_sleep_ms(50))
            st = s_copy_state(&c, MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, who, err,
                              sizeof err);
        cr_assert_eq(st, MVOI__DELIVERY_STATE__DELIVERY_SENT, "%s: state %d %s", who, st, err);
    }
    it_teardown(&c);
}

/* How many stored messages have a header line "<field>: <value>" with these very bytes. */
static int s_header_line(it_ctx_t *c, const char *field, const char *value)
{
    char cmd[1200], out[64] = "";
    snprintf(cmd, sizeof cmd, "grep -l -a -x -F -e '%s: %s' -r %s/new | wc -l", field, value,
             c->maildir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, sizeof out, p))
        out[0] = 0;
    pclose(p);
    return atoi(out);
}

/* A domain in U-labels with an ASCII local part needs no SMTPUTF8: a relay without it
 * (aiosmtpd in its strict ASCII mode) gets "RCPT TO:<jan@xn--bcher-kva.example>" and the
 * same in To:, and the mail_from "noreply@bücher.example" as MAIL FROM's A-label; the copy
 * is SENT. The A-label is Punycode (RFC 3492) of "bücher", as Python's codec writes it.
 * Before, the copy needed SMTPUTF8 and was a dead letter on such a relay (and every mail,
 * with that mail_from). */
Test(notifier_utf8, an_idn_domain_goes_to_a_relay_without_smtputf8_as_an_a_label,
     .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_MAIL_FROM=noreply@bücher.example");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("U-3", true, "2025-06-30", NULL, NULL, false);
    t.budget_holder = &s_jan;
    it_register(&c, &t, false);
    static it_mail_t m[32];
    int n = it_mails_settled(&c, "kickoff_invitation", 5, m, 32, 10000);
    cr_assert_eq(n, 5, "five invitations, got %d", n);
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", "jan@xn--bcher-kva.example"), 1);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(m[i].status, "ok", "%s: %s", m[i].rcpt, m[i].status);
    cr_assert_eq(s_to_header(&c, "jan@xn--bcher-kva.example"), 1, "To: with the A-label");
    cr_assert_eq(s_header_line(&c, "X-MailFrom", "noreply@xn--bcher-kva.example"), 5,
                 "MAIL FROM with the A-label");
    cr_assert_eq(s_header_line(&c, "Sender", "noreply@xn--bcher-kva.example"), 5);
    char err[600];
    int st = -1;
    for (int k = 0; k < 50 && st != MVOI__DELIVERY_STATE__DELIVERY_SENT; k++, h_sleep_ms(50))
        st = s_copy_state(&c, MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION,
                          "jan@bücher.example", err, sizeof err);
    cr_assert_eq(st, MVOI__DELIVERY_STATE__DELIVERY_SENT, "state %d: %s", st, err);
    it_teardown(&c);
}

/* The organizer's domain too: From: and ORGANIZER carry it as an A-label, so a relay
 * without SMTPUTF8 takes the invitations ("inkoop@bücher.example" ->
 * "inkoop@xn--bcher-kva.example", Punycode of "bücher" as Python's codec writes it).
 * Before, From: held the raw UTF-8, the mail needed SMTPUTF8 and every invitation was a
 * dead letter on such a relay. */
Test(notifier_utf8, an_idn_organizer_goes_to_a_relay_without_smtputf8_as_an_a_label,
     .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_ORGANIZER=Inkoop <inkoop@bücher.example>");
    it_env(&c, "MVOI_BUYERS_OPEN=true");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("U-4", true, "2025-06-30", NULL, NULL, false);
    it_register(&c, &t, false);
    static it_mail_t m[32];
    int n = it_mails_settled(&c, "kickoff_invitation", 4, m, 32, 10000);
    cr_assert_geq(n, 1, "invitations, got %d", n);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(m[i].status, "ok", "%s: %s", m[i].rcpt, m[i].status);
    cr_assert_eq(s_header_line(&c, "From", "Inkoop <inkoop@xn--bcher-kva.example>"), n,
                 "From: with the A-label");
    it_teardown(&c);
}

/* A domain that has no A-label form (U+2603 is DISALLOWED in IDNA2008) is never sent raw:
 * the copy is a dead letter naming the domain and why, before any relay sees it, and the
 * coordinator gets the report; the four others are delivered. Before, it went as a mail
 * that needs SMTPUTF8 (a relay offering it got the raw bytes). */
Test(notifier_utf8, a_domain_with_no_a_label_form_is_a_named_dead_letter, .timeout = 60)
{
    static Mvoi__Person snow = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor),
                                 "Sneeuw Pop", "pop@b☃.example" };
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink_smtputf8(&c);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("U-4", true, "2025-06-30", NULL, NULL, false);
    t.budget_holder = &snow;
    it_register(&c, &t, false);
    char err[600];
    s_one_dead_four_sent(&c, "pop@b☃.example", NULL, err, sizeof err);
    cr_assert(strstr(err, "the domain \"b☃.example\" has no A-label form"), "%s", err);
    it_teardown(&c);
}

/* A relay that does not offer SMTPUTF8 (EHLO: 8BITMIME only) and takes whatever comes:
 * José's copy reached it with the raw bytes in RCPT TO, without SMTPUTF8, was stored and
 * counted as sent. It is a permanent failure now, named, before MAIL FROM: nothing of it
 * reaches the relay, the copy is DEAD and the coordinator gets the dead letter's report;
 * the four others are delivered. */
Test(notifier_utf8, relay_without_smtputf8_makes_a_utf8_address_a_dead_letter, .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    char port[16], script[400], log[400], text[16384];
    snprintf(port, sizeof port, "%d", c.smtp);
    snprintf(script, sizeof script, "%s/nt_slowrcpt.py", NT_SCRIPTS);
    snprintf(log, sizeof log, "%s/relay.cmds", c.dir);
    char *argv[] = { "/usr/bin/python3", script, port, c.maildir, log, "0", NULL };
    const char *env[] = { "PYTHONPATH=" NT_SCRIPTS, NULL };
    it_release_smtp(&c);
    cr_assert_eq(h_spawn_argv(&c.sink, argv, "lax-relay", c.dir, env), 0);
    it_wait_listening(c.smtp);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("U-2", true, "2025-06-30", NULL, NULL, false);
    t.project_leader = &s_jose;
    it_register(&c, &t, false);
    char err[600];
    s_one_dead_four_sent(&c, "josé@gemeente.example", "josé@gemeente.example", err,
                         sizeof err);
    s_slurp(log, text, sizeof text);
    cr_assert_null(strstr(text, "jos"), "nothing of José's copy reached the relay:\n%s", text);
    cr_assert(strstr(err, "does not offer SMTPUTF8") && strstr(err, "josé@gemeente.example"),
              "a named reason: %s", err);
    /* the dead letter's "mvoictl reminders resend ID" names an id the door takes: the
     * address is not ASCII, so the copy's id holds its hash, not the address */
    char why[MVOI_ID_WHY_MAX];
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_REMINDER, s_last_id, why, sizeof why), 0,
                 "%s: %s", s_last_id, why);
    cr_assert(strstr(s_last_id, "/kickoff_invitation/1/v0/~"), "%s", s_last_id);
    /* the coordinator reads the report as it arrived: the advice is the relay's SMTPUTF8
     * (or an ASCII address), not to check the address in the tender */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/nt_text.py %s delivery_failed "
             "mvoi-coordinator@gemeente.example", NT_SCRIPTS, c.maildir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(text, 1, sizeof text - 1, p);
    text[got] = 0;
    pclose(p);
    cr_assert(strstr(text, "Dit bericht kan alleen worden bezorgd via een mailserver die "
                           "SMTPUTF8 (RFC 6531) ondersteunt"), "%s", text);
    cr_assert(strstr(text, "Anders: laat SMTPUTF8 aanzetten op de mailserver en stuur het "
                           "bericht daarna opnieuw met: mvoictl --buyer "), "%s", text);
    cr_assert(strstr(text, s_last_id), "the resend names the copy: %s", text);
    cr_assert_null(strstr(text, "Controleer het adres"), "%s", text);
    it_teardown(&c);
}

/* Addresses enter by the configuration too: one of bytes that are not UTF-8 ("beleid",
 * 0xFF, "@...") passed the notifier's own check (an '@' and a few characters) and would
 * have gone to the relay as it was. It is refused by the one address rule
 * (mvoi_id_address_why), naming why, and the notifier does not start with it. */
Test(notifier_utf8, a_configured_address_that_is_not_utf8_stops_the_start, .timeout = 60)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=beleid\xff@gemeente.example");
    char bin[512], text[16384];
    h_bin(bin, sizeof bin, "services/notifier/mvoi-notifier");
    cr_assert_eq(h_spawn(&c.nt, bin, "notifier", c.dir, c.envp), 0);
    int status = -1;
    cr_assert_eq(h_wait(&c.nt, 10000, &status), 0, "the notifier started with the address");
    c.nt.pid = 0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "status %d", status);
    s_slurp(c.nt.log, text, sizeof text);
    cr_assert(strstr(text, "is not valid UTF-8 at byte 6"), "%s", text);
    cr_assert(strstr(text, "policy_adviser"), "the setting named: %s", text);
    it_teardown(&c);
}
