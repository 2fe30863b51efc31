/*  The notifier re-plans what is not yet sent when a tender changes, between real processes
 *  (helpers in nt_it.c): a new project leader gets the SDG invitations and the webhook's
 *  copies list the recipients of now; a leader who comes back gets the reminders again;
 *  reminders say what is still open when they go out; an SDG session that moves after its
 *  invitation went out is updated. Two buyers with the same tender id each time. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nt_it.h"

/* The reminders of one buyer (it_list asks as heerlen). */
static Mvoi__ReminderList *s_list_of(it_ctx_t *c, const char *buyer, Mvoi__Envelope **keep)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_state = true;
    q.state = MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED;
    q.has_limit = true;
    q.limit = 1000;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, keep), 0);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    return (*keep)->reminder_list;
}

static bool s_lists(char *const *v, size_t n, const char *email)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], email) == 0)
            return true;
    return false;
}

static bool s_invites(const Mvoi__Reminder *r, const char *email)
{
    for (size_t i = 0; i < r->n_attendees; i++)
        if (r->attendees[i]->email && strcmp(r->attendees[i]->email, email) == 0)
            return true;
    return false;
}

/* A pilot (two SDG dialogues: 2 June 2025, the contract start, and halfway) whose leader
 * changes long before anything is due (3 March 2025), with a webhook: nothing planned
 * goes to the old leader any more, not the SDG invitations (they stayed with the old
 * leader), not the webhook's copies (they kept the old recipients and tender), and the
 * invitations of those who stay name the new leader among the attendees. Venlo's tender
 * of the same id keeps its leader. */
Test(notifier_replan, new_leader_gets_the_sdg_invitations_and_the_webhook_copies, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_URL=http://127.0.0.1:%d/hook", it_down_port(&c));
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=*");   /* one URL for every buyer, asked for */
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("L-W", false, NULL, "2025-06-02", "2026-06-01", true);
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(300);
    const char *old = "pl@gemeente.example", *nw = "nieuw.leider@gemeente.example";
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           (char *)nw };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(500);
    Mvoi__Envelope *keep = NULL;
    const Mvoi__ReminderList *l = s_list_of(&c, "heerlen", &keep);
    /* per SDG dialogue: the new leader, the policy adviser and the coordinator (3 mails)
     * and one webhook copy to those three; two dialogues */
    int sdg_mail = 0, sdg_hook = 0, hooks = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        bool hook = r->channel && !strcmp(r->channel, "webhook");
        cr_assert(!s_lists(r->recipients, r->n_recipients, old), "%s still goes to %s", r->id,
                  old);
        cr_assert(r->tender && r->tender->project_leader &&
                  !strcmp(r->tender->project_leader->email, nw), "%s: the old tender", r->id);
        hooks += hook;
        if (r->kind != MVOI__REMINDER_KIND__REM_SDG_DIALOGUE)
            continue;
        cr_assert(s_invites(r, nw) && !s_invites(r, old), "%s: the attendees", r->id);
        char uid[80];
        snprintf(uid, sizeof uid, "sdg%u/heerlen/L-W@gemeente.example", r->ordinal);
        cr_assert_str_eq(r->uid, uid);
        cr_assert_eq(r->n_attendees, 3);
        if (hook) {
            sdg_hook++;
            cr_assert_eq(r->n_recipients, 3, "%s", r->id);
            cr_assert(s_lists(r->recipients, r->n_recipients, nw));
        } else {
            sdg_mail++;
        }
    }
    cr_assert_eq(sdg_mail, 6, "2 dialogues x 3 recipients, got %d", sdg_mail);
    cr_assert_eq(sdg_hook, 2);
    cr_assert_gt(hooks, 2, "the reminders' webhook copies are listed too");
    int n_new_sdg = 0;
    for (size_t i = 0; i < l->n_reminders; i++)
        n_new_sdg += l->reminders[i]->kind == MVOI__REMINDER_KIND__REM_SDG_DIALOGUE &&
                     s_lists(l->reminders[i]->recipients, l->reminders[i]->n_recipients, nw) &&
                     strcmp(l->reminders[i]->channel, "webhook") != 0;
    cr_assert_eq(n_new_sdg, 2, "one invitation per dialogue to the new leader");
    mvoi__envelope__free_unpacked(keep, NULL);
    /* Venlo: the same id, its leader unchanged: its invitations still go to him. */
    l = s_list_of(&c, "venlo", &keep);
    int v_old = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        cr_assert(!s_lists(r->recipients, r->n_recipients, nw), "%s", r->id);
        v_old += r->kind == MVOI__REMINDER_KIND__REM_SDG_DIALOGUE &&
                 s_lists(r->recipients, r->n_recipients, old);
    }
    cr_assert_eq(v_old, 4, "venlo: 2 mails and 2 webhook copies to its leader, got %d", v_old);
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

static int s_active_mails_to(const Mvoi__ReminderList *l, Mvoi__ReminderKind k, const char *to)
{
    int n = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        n += r->kind == k && strcmp(r->channel, "webhook") != 0 &&
             s_lists(r->recipients, r->n_recipients, to);
    }
    return n;
}

/* The leader changes and changes back before anything is due: the first leader's copies
 * were cancelled as "no longer a recipient", and made again with the same ids, which exist:
 * skipped, so nobody got them (2 SDG invitations, the ambition reminder, 5 measurement
 * requests: periods ending 30 June, 30 September, 31 December 2025, 31 March 2026 and the
 * contract end 1 June 2026). */
Test(notifier_replan, leader_changed_back_gets_the_reminders_again, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_URL=http://127.0.0.1:%d/hook", it_down_port(&c));
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=*");   /* one URL for every buyer, asked for */
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("L-B", false, NULL, "2025-06-02", "2026-06-01", true);
    it_register(&c, &t, false);
    h_sleep_ms(300);
    const char *pl = "pl@gemeente.example", *nw = "nieuw.leider@gemeente.example";
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           (char *)nw };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(300);
    t.project_leader = &it_pl;
    it_register(&c, &t, true);
    h_sleep_ms(500);
    Mvoi__Envelope *keep = NULL;
    const Mvoi__ReminderList *l = s_list_of(&c, "heerlen", &keep);
    for (size_t i = 0; i < l->n_reminders; i++)
        cr_log_info("%s -> %s", l->reminders[i]->id, l->reminders[i]->recipients[0]);
    cr_assert_eq(s_active_mails_to(l, MVOI__REMINDER_KIND__REM_SDG_DIALOGUE, pl), 2);
    cr_assert_eq(s_active_mails_to(l, MVOI__REMINDER_KIND__REM_AMBITION_MISSING, pl), 1);
    cr_assert_eq(s_active_mails_to(l, MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST, pl), 5);
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        cr_assert(!s_lists(r->recipients, r->n_recipients, nw), "%s", r->id);
        cr_assert_str_eq(r->tender->project_leader->email, pl, "%s", r->id);
    }
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* What a recipient reads: the text of the copies of a kind to an address (nt_text.py). */
static void s_text(it_ctx_t *c, const char *kind, const char *rcpt, char *buf, size_t cap)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/nt_text.py %s/nt/notifier/outbox-mail %s %s",
             NT_SCRIPTS, c->dir, kind, rcpt);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    pclose(p);
}

/* The ambition is recorded in part (Klimaat: eis; SDG 8 and 13 chosen) after the reminders
 * were planned and before they are due: the ambition reminder (10 March) names only the
 * theme still open (Circulair) and the SDG dialogue's invitation (10 March, 10 working days
 * before the session on 24 March, the contract start) the SDGs chosen. They rendered the
 * tender as it was when planned: both themes open, no SDG chosen. Venlo's tender of the
 * same id, unchanged, still has both open and none chosen. */
Test(notifier_replan, reminders_not_yet_sent_say_what_is_still_open_now, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);   /* .eml files */
    Mvoi__ThemeAmbition kl = MVOI__THEME_AMBITION__INIT, ci = MVOI__THEME_AMBITION__INIT;
    kl.has_theme = ci.has_theme = true;
    kl.theme = MVOI__THEME__THEME_KLIMAAT;
    ci.theme = MVOI__THEME__THEME_CIRCULAIR;
    Mvoi__ThemeAmbition *themes[] = { &kl, &ci };
    Mvoi__Tender t = it_tender("A-1", false, NULL, "2025-03-24", "2026-03-23", true);
    t.procurement_adviser = NULL;
    t.n_themes = 2;
    t.themes = themes;
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(300);
    Mvoi__ThemeAmbition kl2 = kl;
    kl2.has_commitment = true;
    kl2.commitment = MVOI__COMMITMENT__COMMIT_EIS;
    Mvoi__ThemeAmbition *themes2[] = { &kl2, &ci };
    uint32_t sdgs[] = { 8, 13 };
    t.themes = themes2;
    t.n_sdgs = 2;
    t.sdgs = sdgs;
    t.title = "Openbare verlichting: LED (pilot)";
    it_register(&c, &t, true);
    h_sleep_ms(300);
    for (int d = 1; d <= 8; d++) {   /* to Tuesday 11 March */
        it_clock_set(&c, CLOCK0 + (int64_t)d * 86400000);
        h_sleep_ms(50);
    }
    h_sleep_ms(500);
    static char txt[32768];
    s_text(&c, "ambition_missing", "pl@gemeente.example", txt, sizeof txt);
    cr_log_info("%s", txt);
    /* one text per buyer, heerlen's and venlo's, in the order of their file names */
    char *venlo = strstr(txt, "=====");
    cr_assert_not_null(venlo);
    *venlo = 0;
    venlo += 5;
    cr_assert(strstr(txt, "--theme circulair:eis") && !strstr(txt, "--theme klimaat:eis"),
              "heerlen: only Circulair is open:\n%s", txt);
    cr_assert(strstr(txt, "\"Openbare verlichting: LED (pilot)\" (A-1)"), "the title now:\n%s",
              txt);
    cr_assert(strstr(venlo, "\"Onderhoud openbare verlichting\" (A-1)"), "%s", venlo);
    cr_assert(strstr(venlo, "--theme klimaat:eis --theme circulair:eis"),
              "venlo: both are open:\n%s", venlo);
    s_text(&c, "sdg_dialogue", "pl@gemeente.example", txt, sizeof txt);
    venlo = strstr(txt, "=====");
    cr_assert_not_null(venlo, "%s", txt);
    *venlo = 0;
    venlo += 5;
    cr_assert(strstr(txt, "SDG 8 Waardig werk") && strstr(txt, "SDG 13 Klimaatactie") &&
              !strstr(txt, "nog niet gekozen"), "heerlen: SDG 8 and 13:\n%s", txt);
    cr_assert(strstr(venlo, "nog niet gekozen") && !strstr(venlo, "SDG 8 "),
              "venlo: none chosen:\n%s", venlo);
    it_teardown(&c);
}

/* The copies of an SDG dialogue's invitation to one address, by SEQUENCE. */
static int s_sdg_mails(it_mail_t *m, int n, const char *uid, const char *rcpt, it_mail_t **out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].kind, "sdg_dialogue") && !strcmp(m[i].uid, uid) &&
            !strcmp(m[i].rcpt, rcpt))
            out[k++] = &m[i];
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && out[j - 1]->seq > out[j]->seq; j--) {
            it_mail_t *x = out[j];
            out[j] = out[j - 1];
            out[j - 1] = x;
        }
    return k;
}

/* SDG dialogue 1 is at the contract start; its invitation goes out on 10 March 2025 for
 * Monday 24 March. The contract start moves to Monday 31 March (after the change to
 * summer time on 30 March: 10.00 is 08:00 UTC, not 09:00), then to Monday 7 April: the
 * attendees get an update at once each time (same UID, a higher SEQUENCE, the new date):
 * the sent invitation had counted as done, and their calendars kept 24 March. SDG
 * dialogue 2 (halfway; not sent yet) moves with it each time: 22 September 2025, then
 * 25 September (178 days after 31 March), then 29 September (175 days after 7 April); after
 * the second move it was cancelled and never made again (its first version, cancelled,
 * had counted as the plan's). Venlo's tender of the same id stays on 24 March. */
Test(notifier_replan, sdg_session_that_moves_after_the_invitation_is_updated, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);   /* .eml files */
    Mvoi__Tender t = it_tender("S-1", false, NULL, "2025-03-24", "2026-03-23", true);
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(300);
    it_clock_set(&c, it_local(2025, 3, 10, 9, 30));   /* the invitations fall due */
    h_sleep_ms(800);
    t.contract_start = "2025-03-31";
    it_register(&c, &t, true);
    h_sleep_ms(800);
    t.contract_start = "2025-04-07";
    it_register(&c, &t, true);
    h_sleep_ms(800);
    char out[400];
    snprintf(out, sizeof out, "%s/nt/notifier/outbox-mail", c.dir);
    static it_mail_t m[64];
    int n = it_mails(&c, out, m, 64);
    it_mail_t *h[8], *w[8];
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s seq %d %s %s", m[i].kind, m[i].buyer, m[i].rcpt, m[i].uid,
                    m[i].seq, m[i].dtstart, m[i].status);
    int nh = s_sdg_mails(m, n, "sdg1/heerlen/S-1@gemeente.example", "pl@gemeente.example", h);
    cr_assert_eq(nh, 3, "the invitation and two updates, got %d", nh);
    const char *when[] = { "2025-03-24T10:00", "2025-03-31T10:00", "2025-04-07T10:00" };
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(h[i]->status, "ok", "%s", h[i]->status);
        cr_assert_str_eq(h[i]->method, "REQUEST");
        cr_assert_str_eq(h[i]->dtstart, when[i]);
        if (i)
            cr_assert_gt(h[i]->seq, h[i - 1]->seq, "SEQUENCE goes up");
    }
    int nw = s_sdg_mails(m, n, "sdg1/venlo/S-1@gemeente.example", "pl@gemeente.example", w);
    cr_assert_eq(nw, 1);
    cr_assert_str_eq(w[0]->dtstart, "2025-03-24T10:00");
    /* 10.00 in Amsterdam: 09:00 UTC in winter time, 08:00 UTC in summer time */
    static char txt[32768];
    s_text(&c, "sdg_dialogue", "pl@gemeente.example", txt, sizeof txt);
    cr_assert(strstr(txt, "was maandag 24 maart 2025, 10.00-11.00 uur, wordt maandag 31 maart "
                          "2025, 10.00-11.00 uur"), "%s", txt);
    /* SDG dialogue 2, not sent yet, planned for the session as it is now */
    Mvoi__Envelope *keep = NULL;
    const Mvoi__ReminderList *l = s_list_of(&c, "heerlen", &keep);
    int sdg2 = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        if (r->kind != MVOI__REMINDER_KIND__REM_SDG_DIALOGUE || r->ordinal != 2 ||
            strcmp(r->channel, "mail") != 0 || strcmp(r->recipients[0], "pl@gemeente.example"))
            continue;
        sdg2++;
        cr_assert_eq(r->meeting_start_ms, it_local(2025, 9, 29, 10, 0), "%s", r->id);
    }
    cr_assert_eq(sdg2, 1, "SDG dialogue 2 is still planned, once");
    mvoi__envelope__free_unpacked(keep, NULL);
    it_teardown(&c);
}

/* SDG dialogue 1's invitation went out on 10 March 2025 (for 24 March) to the leader, the
 * policy adviser and the coordinator; then the leader changes. Everyone invited now gets
 * it again at once (same UID, a higher SEQUENCE, who was added and who removed), and the
 * old leader a CANCEL: the new leader had no invitation and the old one kept theirs.
 * Venlo's tender of the same id keeps its one invitation per person. */
Test(notifier_replan, sdg_invitation_sent_follows_a_new_leader, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);   /* .eml files */
    Mvoi__Tender t = it_tender("S-2", false, NULL, "2025-03-24", "2026-03-23", true);
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(300);
    it_clock_set(&c, it_local(2025, 3, 10, 9, 30));   /* the invitations fall due */
    h_sleep_ms(800);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           "nieuw.leider@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(800);
    char out[400];
    snprintf(out, sizeof out, "%s/nt/notifier/outbox-mail", c.dir);
    static it_mail_t m[64];
    int n = it_mails(&c, out, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s %s seq %d %s %s", m[i].kind, m[i].buyer, m[i].rcpt,
                    m[i].uid, m[i].method, m[i].seq, m[i].dtstart, m[i].status);
    const char *uid = "sdg1/heerlen/S-2@gemeente.example";
    it_mail_t *h[8];
    const char *stay[] = { "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };
    for (int k = 0; k < 2; k++) {   /* the first invitation and its update */
        cr_assert_eq(s_sdg_mails(m, n, uid, stay[k], h), 2, "%s", stay[k]);
        cr_assert_str_eq(h[1]->method, "REQUEST");
        cr_assert_gt(h[1]->seq, h[0]->seq);
        cr_assert_str_eq(h[1]->dtstart, "2025-03-24T10:00");
    }
    int seq = h[1]->seq;
    cr_assert_eq(s_sdg_mails(m, n, uid, "nieuw.leider@gemeente.example", h), 1);
    cr_assert_str_eq(h[0]->method, "REQUEST");
    cr_assert_eq(h[0]->seq, seq);
    cr_assert_str_eq(h[0]->status, "ok", "%s", h[0]->status);
    cr_assert_eq(s_sdg_mails(m, n, uid, "pl@gemeente.example", h), 2);
    cr_assert_str_eq(h[0]->method, "REQUEST");
    cr_assert_str_eq(h[1]->method, "CANCEL", "the old leader's invitation is withdrawn");
    cr_assert_eq(h[1]->seq, seq);
    cr_assert_str_eq(h[1]->status, "ok", "%s", h[1]->status);
    cr_assert_eq(s_sdg_mails(m, n, "sdg1/venlo/S-2@gemeente.example", "pl@gemeente.example", h),
                 1, "venlo's leader did not change");
    static char txt[32768];
    s_text(&c, "sdg_dialogue", "beleid@gemeente.example", txt, sizeof txt);
    cr_assert(strstr(txt, "Nieuw uitgenodigd: Nieuwe Leider"), "%s", txt);
    cr_assert(strstr(txt, "Niet meer uitgenodigd: P. Leider"), "%s", txt);
    s_text(&c, "sdg_dialogue", "pl@gemeente.example", txt, sizeof txt);
    cr_assert(strstr(txt, "U bent niet meer uitgenodigd voor SDG-dialoog 1"), "%s", txt);
    it_teardown(&c);
}

/* The policy adviser's address is refused (550): that copy of SDG dialogue 1's invitation
 * is dead. Later events of the tender (a new title; the same people) send nothing more:
 * a dead copy's person was invited too (counting them as "added" would send everyone the
 * invitation again at every event). A leader change then sends one round. */
Test(notifier_replan, dead_sdg_copy_does_not_send_the_invitation_again, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025 */
    it_start_sink_with(&c, "nt_handlers.RefuseTypo");
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_POLICY_ADVISER=typo-beleid@gemeente.example");
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("S-3", false, NULL, "2025-03-24", "2026-03-23", true);
    it_register(&c, &t, false);
    h_sleep_ms(300);
    it_clock_set(&c, it_local(2025, 3, 10, 9, 30));   /* the invitations fall due */
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "delivery_failed", 1, m, 64, 10000);
    t.title = "Onderhoud openbare verlichting (LED)";
    it_register(&c, &t, true);
    h_sleep_ms(800);
    n = it_mails(&c, c.maildir, m, 64);
    cr_assert_eq(it_count(m, n, "sdg_dialogue"), 2, "the leader and the coordinator, once");
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           "nieuw.leider@gemeente.example" };
    t.project_leader = &nieuw;
    it_register(&c, &t, true);
    h_sleep_ms(800);
    t.title = "Onderhoud openbare verlichting (LED, fase 2)";
    it_register(&c, &t, true);
    h_sleep_ms(800);
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s seq %d", m[i].kind, m[i].rcpt, m[i].method, m[i].seq);
    /* one round: the coordinator's update, the new leader's invitation, the old leader's
     * CANCEL (the adviser's copy refused again) */
    cr_assert_eq(it_count(m, n, "sdg_dialogue"), 5, "got %d", it_count(m, n, "sdg_dialogue"));
    cr_assert_eq(it_count_to(m, n, "sdg_dialogue", "mvoi-coordinator@gemeente.example"), 2);
    cr_assert_eq(it_count_to(m, n, "sdg_dialogue", "nieuw.leider@gemeente.example"), 1);
    cr_assert_eq(it_count_to(m, n, "sdg_dialogue", "pl@gemeente.example"), 2);
    it_teardown(&c);
}

#if NT_HAVE_CALENDAR
/* One calendar event both replaces the project leader and moves the session (the real
 * calendar, the real notifier, aiosmtpd). Publication Monday 22 March 2027 puts the session
 * 21 days before: Monday 1 March 2027, 10.00; publication Monday 26 April 2027: Monday 5
 * April 2027, 10.00 (Easter Monday is 29 March). The old leader holds the invitation of 1
 * March and must get a CANCEL of it (same UID, SEQUENCE 1); the new leader and those who
 * stay the invitation of 5 April (SEQUENCE 1). The CANCEL was lost. Venlo's tender of the
 * same id changes nothing: its five invitations only. */
Test(notifier_replan, leader_change_with_a_moved_session_cancels_the_old_leaders_copy,
     .timeout = 90)
{
    it_ctx_t c;
    it_setup_with(&c, (int64_t)time(NULL) * 1000, true);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "LM-1";
    t.buyer = "heerlen";
    t.title = "Onderhoud openbare verlichting";
    t.has_kind = true;
    t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.has_value_cents = true;
    t.value_cents = 30000000;   /* EUR 300,000 > EUR 216,000: europees, a kick-off */
    t.planned_publication = "2027-03-22";
    t.project_leader = &it_pl;
    t.budget_holder = &it_bh;
    t.procurement_adviser = &it_ad;
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 10, m, 64, 15000);
    cr_assert_eq(n, 10, "five invitations per buyer, got %d", n);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "N. Nieuw",
                           "nn@gemeente.example" };
    t.project_leader = &nieuw;
    t.planned_publication = "2027-04-26";
    it_register(&c, &t, true);
    n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 15, m, 64, 15000);
    it_wait_mails(&c, c.maildir, "kickoff_cancelled", 1, m, 64, 3000);
    h_sleep_ms(500);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s %s seq %d %s", m[i].kind, m[i].buyer, m[i].rcpt,
                    m[i].uid, m[i].method, m[i].seq, m[i].dtstart);
    const char *uid = "kickoff/heerlen/LM-1@gemeente.example";
    int cancels = 0, updates = 0, venlo = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_str_eq(m[i].status, "ok", "%s", m[i].status);
        if (!strcmp(m[i].buyer, "venlo")) {
            cr_assert_eq(m[i].seq, 0, "venlo's tender did not change");
            cr_assert_str_eq(m[i].dtstart, "2027-03-01T10:00");
            venlo++;
            continue;
        }
        cr_assert_str_eq(m[i].uid, uid, "one meeting");
        if (m[i].seq == 0) {
            cr_assert_str_eq(m[i].dtstart, "2027-03-01T10:00");
            cr_assert_str_neq(m[i].rcpt, "nn@gemeente.example");
        } else if (!strcmp(m[i].method, "CANCEL")) {
            cr_assert_str_eq(m[i].rcpt, "pl@gemeente.example", "CANCEL to the removed leader");
            cr_assert_eq(m[i].seq, 1);
            cr_assert_str_eq(m[i].dtstart, "2027-03-01T10:00", "the session they hold");
            cancels++;
        } else {
            cr_assert_str_eq(m[i].method, "REQUEST");
            cr_assert_eq(m[i].seq, 1);
            cr_assert_str_eq(m[i].dtstart, "2027-04-05T10:00", "the session moved");
            cr_assert_str_neq(m[i].rcpt, "pl@gemeente.example", "no update to the old leader");
            updates++;
        }
    }
    cr_assert_eq(venlo, 5, "venlo: five invitations, got %d", venlo);
    cr_assert_eq(cancels, 1, "the old leader's CANCEL, got %d", cancels);
    cr_assert_eq(updates, 5, "four who stay and the new leader, got %d", updates);
    cr_assert_eq(it_count_to(m, n, "kickoff_invitation", "nn@gemeente.example"), 1);
    cr_assert_eq(n, 16, "10 + 5 updates + 1 cancel, got %d", n);
    it_teardown(&c);
}
#endif

#if NT_HAVE_CALENDAR
/* The same for an SDG dialogue (the real calendar, aiosmtpd): one event gives the pilot a
 * new project leader and moves the contract start, and with it SDG dialogue 1, from Monday
 * 1 March 2027 to Monday 8 March 2027 (10.00). Its invitation went out on 15 February 2027
 * (10 working days before) to the leader, the policy adviser and the coordinator. The
 * adviser and the coordinator get the update at once (8 March, a higher SEQUENCE), the new
 * leader the invitation of 8 March, and the old leader a CANCEL of the session they hold
 * (1 March, the update's SEQUENCE): it was lost, and their calendar kept 1 March. Venlo's
 * tender of the same id changes nothing. */
Test(notifier_replan, sdg_session_moved_with_a_new_leader_cancels_the_old_leaders_copy,
     .timeout = 90)
{
    it_ctx_t c;
    it_setup_with(&c, (int64_t)time(NULL) * 1000, true);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_env(&c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("SM-1", false, NULL, "2027-03-01", "2028-02-28", true);
    t.has_procedure = t.has_kickoff_required = false;   /* the calendar derives them */
    t.has_kind = true;
    t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.has_value_cents = true;
    t.value_cents = 5000000;   /* EUR 50,000 */
    Mvoi__Tender v = t;
    v.buyer = "venlo";
    it_register(&c, &t, false);
    it_register(&c, &v, false);
    h_sleep_ms(500);
    it_clock_set(&c, it_local(2027, 2, 15, 9, 30));   /* the invitations fall due */
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "sdg_dialogue", 6, m, 64, 15000);
    Mvoi__Person nieuw = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Nieuwe Leider",
                           "nieuw.leider@gemeente.example" };
    t.project_leader = &nieuw;
    t.contract_start = "2027-03-08";
    it_register(&c, &t, true);
    n = it_wait_mails(&c, c.maildir, "sdg_dialogue", 10, m, 64, 15000);
    h_sleep_ms(800);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 64);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s %s %s %s seq %d %s %s", m[i].kind, m[i].buyer, m[i].rcpt,
                    m[i].uid, m[i].method, m[i].seq, m[i].dtstart, m[i].status);
    cr_assert_eq(it_count(m, n, "sdg_dialogue"), 10, "3 + 3 invitations, 3 updates, 1 CANCEL");
    const char *uid = "sdg1/heerlen/SM-1@gemeente.example";
    it_mail_t *h[8];
    const char *stay[] = { "beleid@gemeente.example", "mvoi-coordinator@gemeente.example" };
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(s_sdg_mails(m, n, uid, stay[k], h), 2, "%s", stay[k]);
        cr_assert_str_eq(h[0]->dtstart, "2027-03-01T10:00");
        cr_assert_str_eq(h[1]->method, "REQUEST");
        cr_assert_str_eq(h[1]->dtstart, "2027-03-08T10:00");
        cr_assert_gt(h[1]->seq, h[0]->seq);
    }
    int seq = h[1]->seq;
    cr_assert_eq(s_sdg_mails(m, n, uid, "nieuw.leider@gemeente.example", h), 1);
    cr_assert_str_eq(h[0]->method, "REQUEST");
    cr_assert_str_eq(h[0]->dtstart, "2027-03-08T10:00");
    cr_assert_eq(h[0]->seq, seq);
    cr_assert_eq(s_sdg_mails(m, n, uid, "pl@gemeente.example", h), 2, "invitation and CANCEL");
    cr_assert_str_eq(h[0]->method, "REQUEST");
    cr_assert_str_eq(h[1]->method, "CANCEL", "the old leader's invitation is withdrawn");
    cr_assert_str_eq(h[1]->dtstart, "2027-03-01T10:00", "the session they hold");
    cr_assert_eq(h[1]->seq, seq);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(m[i].status, "ok", "%s", m[i].status);
    cr_assert_eq(s_sdg_mails(m, n, "sdg1/venlo/SM-1@gemeente.example", "pl@gemeente.example", h),
                 1, "venlo's leader and session did not change");
    cr_assert_str_eq(h[0]->dtstart, "2027-03-01T10:00");
    /* the adviser's update says who was added and who removed */
    Mvoi__Envelope *keep = NULL;
    Mvoi__ReminderList *l = it_list(&c, MVOI__DELIVERY_STATE__DELIVERY_SENT, &keep);
    int said = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        const Mvoi__Reminder *r = l->reminders[i];
        if (r->kind == MVOI__REMINDER_KIND__REM_SDG_DIALOGUE && r->sequence == (uint32_t)seq &&
            !r->reason && !strcmp(r->recipients[0], "beleid@gemeente.example")) {
            cr_assert_eq(r->n_removed, 1);
            cr_assert_str_eq(r->removed[0]->email, "pl@gemeente.example");
            cr_assert_eq(r->n_added, 1);
            cr_assert_str_eq(r->added[0]->email, "nieuw.leider@gemeente.example");
            said++;
        }
    }
    mvoi__envelope__free_unpacked(keep, NULL);
    cr_assert_eq(said, 1);
    it_teardown(&c);
}
#endif
