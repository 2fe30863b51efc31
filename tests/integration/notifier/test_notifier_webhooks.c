/*  A webhook per buyer, between real processes (helpers in nt_it.c): two buyers with the
 *  same tender id, each with its own HTTP receiver (nt_webhook_recv.py, which checks the
 *  Standard Webhooks signature with the secret it is given): each receives its own buyer's
 *  reminder only, signed with its own secret, in its own template; a third buyer without a
 *  webhook gets none and its mails still go. One URL for every buyer of a registry of
 *  several is refused at start, and so is every bad entry of the webhooks file, by name. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nt_it.h"

/* Standard Webhooks secrets of the two buyers: "whsec_" + base64 of 24 bytes, and a raw one
 * (the receiver takes both forms). */
#define S_HEERLEN_SECRET "whsec_aGVlcmxlbi1vbmx5LXNlY3JldC1rZXktMDE="
#define S_VENLO_SECRET "venlo-raw-secret-not-heerlens"

static const char *s_titles[] = { "Straatverlichting Heerlen", "Groenonderhoud Venlo",
                                  "Schoonmaak Roermond" };

static void s_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, mode), 0);
}

/* A closed registry of three buyers. */
static void s_registry(it_ctx_t *c)
{
    char path[400];
    snprintf(path, sizeof path, "%s/buyers.ini", c->dir);
    s_file(path, "[heerlen]\nname = Gemeente Heerlen\n\n[venlo]\nname = Gemeente Venlo\n\n"
           "[roermond]\nname = Gemeente Roermond\n", 0644);
    it_env(c, "MVOI_BUYERS_FILE=%s", path);
}

/* A receiver on port with secret; its lines in <dir>/<name>.txt, bodies in .body. */
static void s_receiver(it_ctx_t *c, h_proc_t *p, int port, const char *secret,
                       const char *name)
{
    char script[400], ps[16], out[400], body[400];
    snprintf(script, sizeof script, "%s/nt_webhook_recv.py", NT_SCRIPTS);
    snprintf(ps, sizeof ps, "%d", port);
    snprintf(out, sizeof out, "%s/%s.txt", c->dir, name);
    snprintf(body, sizeof body, "%s/%s.body", c->dir, name);
    char *argv[] = { "/usr/bin/python3", script, ps, (char *)secret, out, "0", body, NULL };
    cr_assert_eq(h_spawn_argv(p, argv, name, c->dir, NULL), 0);
    it_wait_listening(port);
}

/* The whole of <dir>/<name>.<ext> ("" when absent). */
static void s_read(it_ctx_t *c, const char *name, const char *ext, char *buf, size_t cap)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s.%s", c->dir, name, ext);
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t k = fread(buf, 1, cap - 1, f);
    buf[k] = 0;
    fclose(f);
}

static int s_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(notifier_webhooks, each_buyer_to_its_own_webhook_none_without_one, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    s_registry(&c);
    int ph = it_port(), pv = it_port();
    h_proc_t venlo = { 0 };
    s_receiver(&c, &c.hook, ph, S_HEERLEN_SECRET, "hook-heerlen");
    s_receiver(&c, &venlo, pv, S_VENLO_SECRET, "hook-venlo");
    char path[400], secret[400], text[1200];
    snprintf(secret, sizeof secret, "%s/venlo-secret", c.dir);
    s_file(secret, S_VENLO_SECRET "\n", 0600);
    /* venlo's secret by a path relative to the webhooks file; roermond has no section */
    snprintf(text, sizeof text,
             "[heerlen]\nurl = http://127.0.0.1:%d/heerlen\nsecret = " S_HEERLEN_SECRET "\n\n"
             "[venlo]\nurl = http://127.0.0.1:%d/venlo\nsecret_file = venlo-secret\n"
             "template = teams\n", ph, pv);
    snprintf(path, sizeof path, "%s/webhooks.ini", c.dir);
    s_file(path, text, 0640);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOKS_FILE=%s", path);
    it_start_nt(&c);
    const char *buyers[] = { "heerlen", "venlo", "roermond" };
    for (int i = 0; i < 3; i++) {   /* the same tender id at every buyer */
        Mvoi__Tender t = it_tender("W-1", true, "2025-06-30", NULL, NULL, false);
        t.buyer = (char *)buyers[i];
        t.title = (char *)s_titles[i];
        it_register(&c, &t, false);
    }
    /* Each registration plans one kick-off invitation (due at once) to its five attendees:
     * 15 mails, and one webhook copy per buyer that has a webhook. */
    static it_mail_t m[64];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 15, m, 64, 20000);
    char h[4096], v[4096];
    for (int64_t end = h_now_ms() + 10000; h_now_ms() < end; h_sleep_ms(50)) {
        s_read(&c, "hook-heerlen", "txt", h, sizeof h);
        s_read(&c, "hook-venlo", "txt", v, sizeof v);
        if (s_lines(h) >= 1 && s_lines(v) >= 1)
            break;
    }
    h_sleep_ms(500);   /* nothing else may follow */
    n = it_mails(&c, c.maildir, m, 64);
    cr_assert_eq(n, 15, "five invitations per buyer, got %d", n);
    int per[3] = { 0 };
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 3; b++)
            per[b] += strcmp(m[i].buyer, buyers[b]) == 0;
    cr_expect_eq(per[2], 5, "roermond, without a webhook, still gets its mails: %d", per[2]);
    s_read(&c, "hook-heerlen", "txt", h, sizeof h);
    s_read(&c, "hook-venlo", "txt", v, sizeof v);
    /* "ok": signed with the receiver's own secret; the id names the buyer */
    cr_expect_str_eq(h, "ok heerlen/W-1/kickoff_invitation/1/v0 plain\n", "heerlen got:\n%s", h);
    cr_expect_str_eq(v, "ok venlo/W-1/kickoff_invitation/1/v0 teams\n", "venlo got:\n%s", v);
    char hb[16384], vb[16384];
    s_read(&c, "hook-heerlen", "body", hb, sizeof hb);
    s_read(&c, "hook-venlo", "body", vb, sizeof vb);
    cr_expect(strstr(hb, s_titles[0]) && !strstr(hb, s_titles[1]) && !strstr(hb, s_titles[2]),
              "heerlen's body:\n%s", hb);
    cr_expect(strstr(vb, s_titles[1]) && !strstr(vb, s_titles[0]) && !strstr(vb, s_titles[2]),
              "venlo's body:\n%s", vb);
    h_kill9(&venlo);
    it_teardown(&c);
}

/* The reminders of buyer in state st (the caller frees *keep). */
static Mvoi__ReminderList *s_list(it_ctx_t *c, const char *buyer, Mvoi__DeliveryState st,
                                  Mvoi__Envelope **keep)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_state = true;
    q.state = st;
    q.has_limit = true;
    q.limit = 1000;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    e.buyer = (char *)buyer;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, keep), 0);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    return (*keep)->reminder_list;
}

/* venlo's webhook copy of st, or NULL (*keep freed by the caller either way) */
static Mvoi__Reminder *s_venlo_hook(it_ctx_t *c, Mvoi__DeliveryState st, Mvoi__Envelope **keep)
{
    Mvoi__ReminderList *l = s_list(c, "venlo", st, keep);
    for (size_t i = 0; i < l->n_reminders; i++)
        if (l->reminders[i]->channel && strcmp(l->reminders[i]->channel, "webhook") == 0)
            return l->reminders[i];
    return NULL;
}

/* A copy planned while venlo had a webhook (its endpoint down: the copy waits to be tried
 * again), and venlo's section gone at the restart, while one URL serves heerlen: the copy
 * is cancelled when due, by name, not sent to heerlen's endpoint. */
Test(notifier_webhooks, pending_copy_of_a_buyer_without_a_webhook_now_is_cancelled, .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    s_registry(&c);
    int down = it_down_port(&c), ph = it_port();
    char path[400], text[400];
    snprintf(text, sizeof text, "[venlo]\nurl = http://127.0.0.1:%d/venlo\n", down);
    snprintf(path, sizeof path, "%s/webhooks.ini", c.dir);
    s_file(path, text, 0600);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOKS_FILE=%s", path);
    it_start_nt(&c);
    Mvoi__Tender t = it_tender("W-1", true, "2025-06-30", NULL, NULL, false);
    t.buyer = "venlo";
    it_register(&c, &t, false);
    Mvoi__Envelope *keep = NULL;
    bool waiting = false;   /* refused connection: retried later (the fake clock stands) */
    for (int64_t end = h_now_ms() + 10000; !waiting && h_now_ms() < end; h_sleep_ms(50)) {
        waiting = s_venlo_hook(&c, MVOI__DELIVERY_STATE__DELIVERY_RETRYING, &keep) != NULL;
        mvoi__envelope__free_unpacked(keep, NULL);
    }
    cr_assert(waiting, "venlo's webhook copy is not waiting for a retry");
    it_stop_nt(&c);
    s_file(path, "", 0600);
    s_receiver(&c, &c.hook, ph, S_HEERLEN_SECRET, "hook-heerlen");
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_URL=http://127.0.0.1:%d/heerlen", ph);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_SECRET=" S_HEERLEN_SECRET);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=heerlen");
    it_start_nt(&c);
    it_clock_set(&c, CLOCK0 + 3600 * 1000);   /* past any retry's backoff (5 s, doubling) */
    bool cancelled = false;
    for (int64_t end = h_now_ms() + 10000; !cancelled && h_now_ms() < end; h_sleep_ms(50)) {
        Mvoi__Reminder *r = s_venlo_hook(&c, MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, &keep);
        if ((cancelled = r != NULL))
            cr_expect(r->last_error && strstr(r->last_error, "no webhook for this buyer"),
                      "reason: %s", r->last_error ? r->last_error : "(none)");
        mvoi__envelope__free_unpacked(keep, NULL);
    }
    cr_expect(cancelled, "venlo's copy was not cancelled");
    h_sleep_ms(300);
    char h[4096];
    s_read(&c, "hook-heerlen", "txt", h, sizeof h);
    cr_expect_str_eq(h, "", "heerlen's endpoint got:\n%s", h);
    it_teardown(&c);
}

/* ------------------------------------------------------------------ refused starts */

/* Starts the notifier (log <dir>/<name>.log), which must stop with 78 (a configuration
 * error) and log every one of want (NULL-terminated) on one line, and never leak. */
static void s_refused(it_ctx_t *c, const char *name, const char *const *want, const char *leak)
{
    char bin[512];
    h_bin(bin, sizeof bin, "services/notifier/mvoi-notifier");
    h_proc_t p = { 0 };
    cr_assert_eq(h_spawn(&p, bin, name, c->dir, c->envp), 0);
    int st = 0;
    if (h_wait(&p, 10000, &st) != 0) {   /* a refusal takes milliseconds */
        h_kill9(&p);
        cr_expect_fail("%s: the notifier started anyway (%s)", name, p.log);
        return;   /* the next case still runs: each is reported on its own */
    }
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 78, "%s: exit %d (want 78)", name,
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    FILE *lf = fopen(p.log, "r");
    cr_assert(lf);
    char line[4096];
    bool named = false, leaked = false;
    while (fgets(line, sizeof line, lf)) {
        bool all = strstr(line, "start_failed") != NULL;
        for (int i = 0; want[i]; i++)
            all = all && strstr(line, want[i]);
        named |= all;
        leaked |= leak && strstr(line, leak);
    }
    fclose(lf);
    cr_expect(named, "%s: no refusal naming all of it in %s", name, p.log);
    cr_expect(!leaked, "%s: the log shows a credential (%s)", name, p.log);
}

/* The webhooks file <dir>/webhooks.ini with text (mode), named in the environment. */
static void s_hooks_file(it_ctx_t *c, const char *text, mode_t mode, char *path, size_t cap)
{
    snprintf(path, cap, "%s/webhooks.ini", c->dir);
    s_file(path, text, mode);
    it_env(c, "MVOI_NOTIFIER_WEBHOOKS_FILE=%s", path);
}

Test(notifier_webhooks, one_url_for_several_buyers_is_refused, .timeout = 120)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    s_registry(&c);
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_URL=https://hooks.example.org/T0/s3cr3tpath");
    const char *many[] = { "webhook_url: the buyer registry serves 3 buyers",
                           "MVOI_NOTIFIER_WEBHOOKS_FILE", "MVOI_NOTIFIER_WEBHOOK_BUYERS", NULL };
    s_refused(&c, "global-many", many, "s3cr3tpath");
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=heerlen, maastricht");
    const char *unknown[] = { "webhook_buyers: 'maastricht' is not a buyer of the buyer "
                              "registry", NULL };
    s_refused(&c, "global-unknown", unknown, "s3cr3tpath");
    /* a buyer both listed for the one URL and with a webhook of its own: which was meant? */
    char path[400];
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=heerlen,venlo");
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/hook\n", 0600, path, sizeof path);
    char where[500];
    snprintf(where, sizeof where, "'venlo' also has a webhook of its own in %s:2 [venlo]", path);
    const char *both[] = { "webhook_buyers: ", where, NULL };
    s_refused(&c, "global-both", both, "s3cr3tpath");
    /* the same URL with the opt-in starts (the fan-out is asked for, not guessed) */
    it_env(&c, "MVOI_NOTIFIER_WEBHOOKS_FILE=");
    it_env(&c, "MVOI_NOTIFIER_WEBHOOK_BUYERS=*");
    it_start_nt(&c);
    it_teardown(&c);
}

Test(notifier_webhooks, bad_webhooks_file_is_refused_by_file_line_and_section, .timeout = 120)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    s_registry(&c);
    char path[400], where[1200];
    /* a section for a buyer the registry does not hold (named at its first key, line 5) */
    s_hooks_file(&c, "[heerlen]\nurl = https://heerlen.example/hook\n\n[maastricht]\n"
                 "url = https://maastricht.example/hook\n", 0600, path, sizeof path);
    snprintf(where, sizeof where, "webhooks_file: %s:5: [maastricht] buyer 'maastricht' is "
             "not in the buyer registry", path);
    const char *unknown[] = { where, NULL };
    s_refused(&c, "file-unknown-buyer", unknown, NULL);
    /* a URL without a scheme (line 3), never echoed: it may be the credential */
    s_hooks_file(&c, "[heerlen]\nsecret = abc\nurl = hooks.example.org/T0/s3cr3tpath\n", 0600,
                 path, sizeof path);
    snprintf(where, sizeof where, "%s:3: [heerlen] url: not an http:// or https:// URL", path);
    const char *url[] = { where, NULL };
    s_refused(&c, "file-bad-url", url, "s3cr3tpath");
    /* a template that does not exist */
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/hook\ntemplate = teamz\n", 0600,
                 path, sizeof path);
    snprintf(where, sizeof where, "%s:3: [venlo] template: must be plain, teams or slack, "
             "got 'teamz'", path);
    const char *tpl[] = { where, NULL };
    s_refused(&c, "file-bad-template", tpl, NULL);
    /* a secret file others may read */
    char secret[400];
    snprintf(secret, sizeof secret, "%s/venlo-secret", c.dir);
    s_file(secret, "s3cr3tkey\n", 0644);
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/hook\nsecret_file = venlo-secret\n",
                 0600, path, sizeof path);
    snprintf(where, sizeof where, "%s:3: [venlo] secret_file: secret_file_permissions: '%s' "
             "has mode 0644", path, secret);
    const char *loose[] = { where, NULL };
    s_refused(&c, "file-loose-secret", loose, "s3cr3tkey");
    /* the webhooks file itself others may read (it holds URLs and secrets) */
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/s3cr3tpath\n", 0644, path,
                 sizeof path);
    snprintf(where, sizeof where, "webhooks_file: secret_file_permissions: '%s' has mode 0644",
             path);
    const char *file[] = { where, NULL };
    s_refused(&c, "file-loose-file", file, "s3cr3tpath");
    /* a Teams Workflows URL (about 300 characters) on the line: libinih would cut it */
    char text[1200];
    snprintf(text, sizeof text, "[venlo]\ntemplate = teams\nurl = https://prod-01.westeurope."
             "logic.azure.com:443/workflows/%032d/triggers/manual/paths/invoke?api-version="
             "2016-06-01&sp=%%2Ftriggers%%2Fmanual%%2Frun&sv=1.0&sig=s3cr3tsig%0140d\n", 0, 0);
    s_hooks_file(&c, text, 0600, path, sizeof path);
    snprintf(where, sizeof where, "%s:3: line longer than 197 characters", path);
    const char *longline[] = { where, "url_file", NULL };
    s_refused(&c, "file-long-line", longline, "s3cr3tsig");
    /* a buyer twice, and a section without a url */
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/a\n\n[heerlen]\n"
                 "url = https://heerlen.example/b\n\n[venlo]\nurl = https://venlo.example/c\n",
                 0600, path, sizeof path);
    snprintf(where, sizeof where, "%s:8: [venlo] a second section for this buyer, the first at "
             "line 2", path);
    const char *twice[] = { where, NULL };
    s_refused(&c, "file-buyer-twice", twice, NULL);
    s_hooks_file(&c, "[venlo]\ntemplate = slack\n", 0600, path, sizeof path);
    snprintf(where, sizeof where, "%s:2: [venlo] no url", path);
    const char *nourl[] = { where, NULL };
    s_refused(&c, "file-no-url", nourl, NULL);
    /* a secret that cannot sign: copies would go out unsigned */
    s_hooks_file(&c, "[venlo]\nurl = https://venlo.example/hook\nsecret = whsec_not*base64\n",
                 0600, path, sizeof path);
    snprintf(where, sizeof where, "%s:3: [venlo] secret: not a usable signing secret", path);
    const char *sign[] = { where, NULL };
    s_refused(&c, "file-bad-secret", sign, "not*base64");
    it_teardown(&c);
}
