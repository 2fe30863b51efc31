/*  The notifier between real processes: mvoi-fakecal (a "calendar" producer), mvoi-notifier,
 *  an aiosmtpd SMTP sink (Debian's /usr/bin/python3 -m aiosmtpd), a webhook receiver, and
 *  nt_check.py (python3-icalendar) next to libical for the invitations. All processes share a
 *  fake clock file (the MVOI_NOTIFIER_FAKE_CLOCK_FILE test hook), so dates are fixed.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libical/ical.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nt_it.h"

extern char **environ;

/* ------------------------------------------------------------------ helpers */

int it_port(void)
{
    int port = h_free_tcp_port();
    cr_assert_gt(port, 0, "no free port: %s", strerror(-port));
    return port;
}

static int s_hold(int *fd)
{
    int port = h_hold_tcp_port(fd);
    cr_assert_gt(port, 0, "no free port: %s", strerror(-port));
    return port;
}

int it_down_port(it_ctx_t *c)
{
    cr_assert_lt(c->nheld, (int)(sizeof c->held / sizeof c->held[0]), "too many down ports");
    return s_hold(&c->held[c->nheld++]);
}

void it_release_smtp(it_ctx_t *c)
{
    if (c->smtp_hold >= 0)
        close(c->smtp_hold);
    c->smtp_hold = -1;
}

void it_clock_set(it_ctx_t *c, int64_t ms)
{
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->clock);
    FILE *f = fopen(tmp, "w");
    fprintf(f, "%lld\n", (long long)ms);
    fclose(f);
    rename(tmp, c->clock);
}

/* Local Amsterdam wall time (CET/CEST, the EU rule) -> UTC ms; test-side, independent. */
int64_t it_local(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_isdst = -1 };
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
    time_t t = mktime(&tm);
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    return (int64_t)t * 1000;
}

void it_env(it_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->env[c->nenv], sizeof c->env[0], fmt, ap);
    va_end(ap);
    /* A key set again replaces the earlier value (the process would see the first). */
    const char *eq = strchr(c->env[c->nenv], '=');
    size_t kl = eq ? (size_t)(eq - c->env[c->nenv]) + 1 : 0;
    for (int i = 0; kl && i < c->nenv; i++)
        if (strncmp(c->env[i], c->env[c->nenv], kl) == 0) {
            memcpy(c->env[i], c->env[c->nenv], sizeof c->env[0]);
            return;
        }
    cr_assert_lt(c->nenv + 1, (int)(sizeof c->env / sizeof c->env[0]), "too many variables");
    c->envp[c->nenv] = c->env[c->nenv];
    c->nenv++;
    c->envp[c->nenv] = NULL;
}

void it_setup_with(it_ctx_t *c, int64_t clock_ms, bool real_calendar)
{
    memset(c, 0, sizeof *c);
    h_tmpdir(c->dir, sizeof c->dir);
    cr_assert(c->dir[0]);
    snprintf(c->clock, sizeof c->clock, "%s/clock", c->dir);
    snprintf(c->maildir, sizeof c->maildir, "%s/sink", c->dir);
    snprintf(c->icsdir, sizeof c->icsdir, "%s/ics", c->dir);
    it_clock_set(c, clock_ms);
    /* The relay is down until a test starts it, often after hours of fake time (seconds):
     * the port stays held meanwhile. ZeroMQ is on ipc:// in the test's own directory, so
     * no other port can be taken by another test between choosing it and binding it. */
    c->smtp = s_hold(&c->smtp_hold);
    snprintf(c->e_nt_api, sizeof c->e_nt_api, "ipc://%s/nt.api", c->dir);
    snprintf(c->e_cal_api, sizeof c->e_cal_api, "ipc://%s/cal.api", c->dir);
    snprintf(c->e_cal_pub, sizeof c->e_cal_pub, "ipc://%s/cal.pub", c->dir);
    char bin[512];
    char e1[400], e2[400], e3[400], e4[400];
    if (real_calendar) {   /* the real mvoi-calendar, with its own rules and clock */
        h_bin(bin, sizeof bin, "services/calendar/mvoi-calendar");
        snprintf(e1, sizeof e1, "MVOI_CALENDAR_API=%s", c->e_cal_api);
        snprintf(e2, sizeof e2, "MVOI_CALENDAR_PUB=%s", c->e_cal_pub);
        snprintf(e3, sizeof e3, "MVOI_LOG_LEVEL=warn");
    } else {
        h_bin(bin, sizeof bin, "tests/integration/notifier/mvoi-fakecal");
        snprintf(e1, sizeof e1, "MVOI_FAKECAL_API=%s", c->e_cal_api);
        snprintf(e2, sizeof e2, "MVOI_FAKECAL_PUB=%s", c->e_cal_pub);
        snprintf(e3, sizeof e3, "MVOI_FAKECAL_FAKE_CLOCK_FILE=%s", c->clock);
    }
    snprintf(e4, sizeof e4, "MVOI_DATA_DIR=%s/cal", c->dir);
    const char *env[] = { e1, e2, e3, e4, NULL };
    cr_assert_eq(h_spawn(&c->cal, bin, real_calendar ? "calendar" : "fakecal", c->dir, env),
                 0);
    cr_assert_eq(h_wait_healthy(c->e_cal_api, 30000), 0);
    /* The notifier's environment; tests add their own keys before it_start_nt. */
    it_env(c, "MVOI_NOTIFIER_API=%s", c->e_nt_api);
    it_env(c, "MVOI_NOTIFIER_PUB=ipc://%s/nt.pub", c->dir);
    it_env(c, "MVOI_NOTIFIER_CALENDAR_API=%s", c->e_cal_api);
    it_env(c, "MVOI_NOTIFIER_CALENDAR_PUB=%s", c->e_cal_pub);
    it_env(c, "MVOI_NOTIFIER_FAKE_CLOCK_FILE=%s", c->clock);
    it_env(c, "MVOI_NOTIFIER_MAIL_FROM=mvoi@gemeente.example");
    it_env(c, "MVOI_NOTIFIER_ORGANIZER=MVOI-coördinator <mvoi-organisatie@gemeente.example>");
    it_env(c, "MVOI_NOTIFIER_POLICY_ADVISER=beleid@gemeente.example");
    it_env(c, "MVOI_NOTIFIER_MVOI_COORDINATOR=mvoi-coordinator@gemeente.example");
    it_env(c, "MVOI_NOTIFIER_CORE_TEAM=kernteam@gemeente.example");
    it_env(c, "MVOI_NOTIFIER_TICK_MS=10");
    it_env(c, "MVOI_DATA_DIR=%s/nt", c->dir);
    it_env(c, "MVOI_LOG_LEVEL=info");
}

void it_setup(it_ctx_t *c, int64_t clock_ms)
{
    it_setup_with(c, clock_ms, false);
}

void it_start_nt(it_ctx_t *c)
{
    char bin[512];
    h_bin(bin, sizeof bin, "services/notifier/mvoi-notifier");
    cr_assert_eq(h_spawn(&c->nt, bin, "notifier", c->dir, c->envp), 0);
    cr_assert_eq(h_wait_healthy(c->e_nt_api, 30000), 0, "notifier did not come up (%s)", c->nt.log);
}

void it_stop_nt(it_ctx_t *c)
{
    if (c->nt.pid > 0) {
        h_signal(&c->nt, SIGTERM);
        if (h_wait(&c->nt, 10000, NULL) != 0)
            h_kill9(&c->nt);
    }
}

void it_start_sink(it_ctx_t *c, bool reject)
{
    it_start_sink_with(c, reject ? "nt_reject550.Reject550" : NULL);
}

void it_start_sink_with(it_ctx_t *c, const char *handler)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", c->smtp);
    bool reject = handler && strstr(handler, "Reject550");
    char *argv[] = { "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", listen, "-c",
                     handler ? (char *)handler : "aiosmtpd.handlers.Mailbox",
                     reject ? NULL : c->maildir, NULL };
    const char *env[] = { "PYTHONPATH=" NT_SCRIPTS, NULL };
    it_release_smtp(c);
    cr_assert_eq(h_spawn_argv(&c->sink, argv, "aiosmtpd", c->dir, env), 0);
    it_wait_listening(c->smtp);
}

void it_start_sink_smtputf8(it_ctx_t *c)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", c->smtp);
    char *argv[] = { "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-u", "-l", listen, "-c",
                     "aiosmtpd.handlers.Mailbox", c->maildir, NULL };
    it_release_smtp(c);
    cr_assert_eq(h_spawn_argv(&c->sink, argv, "aiosmtpd", c->dir, NULL), 0);
    it_wait_listening(c->smtp);
}

void it_wait_listening(int port)
{
    for (int i = 0; i < 400; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return;
        h_sleep_ms(25);
    }
    cr_assert_fail("nothing listens on port %d", port);
}

void it_teardown(it_ctx_t *c)
{
    it_stop_nt(c);
    it_release_smtp(c);
    while (c->nheld > 0)
        close(c->held[--c->nheld]);
    h_kill9(&c->sink);
    h_kill9(&c->hook);
    h_signal(&c->cal, SIGTERM);
    if (h_wait(&c->cal, 5000, NULL) != 0)
        h_kill9(&c->cal);
    h_tmpdir_remove(c->dir);
}

/* ---- calendar commands ---- */

Mvoi__Person it_pl = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider", "pl@gemeente.example" };
Mvoi__Person it_bh = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "B. Houder", "bh@gemeente.example" };
Mvoi__Person it_ad = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "I. Adviseur", "inkoop@gemeente.example" };

Mvoi__Tender it_tender(const char *id, bool public_, const char *pub, const char *cs,
                             const char *ce, bool pilot)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.buyer = "heerlen";
    t.title = "Onderhoud openbare verlichting";
    t.has_procedure = true;
    t.procedure = public_ ? MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR
                          : MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS;
    t.has_kickoff_required = true;
    t.kickoff_required = public_;
    t.planned_publication = (char *)pub;
    t.contract_start = (char *)cs;
    t.contract_end = (char *)ce;
    t.has_pilot = true;
    t.pilot = pilot;
    t.project_leader = &it_pl;
    t.budget_holder = &it_bh;
    t.procurement_adviser = &it_ad;
    return t;
}

int it_call(it_ctx_t *c, const char *ep, Mvoi__Envelope *req, Mvoi__Envelope **out)
{
    static int n;
    char rid[64];
    snprintf(rid, sizeof rid, "t-%d-%d-%lld", getpid(), ++n, (long long)h_now_ms());
    req->request_id = rid;
    if (!req->buyer)
        req->buyer = "heerlen";   /* the real calendar files every tender under a buyer */
    Mvoi__Envelope *r = NULL;
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)   /* same request id: idempotent retries */
        rc = h_request(ep, req, &r, 3000);
    if (rc == 0 && r->body_case == MVOI__ENVELOPE__BODY_ERROR)
        fprintf(stderr, "note: error reply: %s: %s\n", r->error->field, r->error->message);
    if (out)
        *out = r;
    else if (r)
        mvoi__envelope__free_unpacked(r, NULL);
    return rc;
}

void it_register(it_ctx_t *c, Mvoi__Tender *t, bool update)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    Mvoi__UpdateTender ut = MVOI__UPDATE_TENDER__INIT;
    rt.tender = ut.tender = t;
    if (update) {
        e.body_case = MVOI__ENVELOPE__BODY_UPDATE_TENDER;
        e.update_tender = &ut;
    } else {
        e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        e.register_tender = &rt;
    }
    e.buyer = t->buyer;
    cr_assert_eq(it_call(c, c->e_cal_api, &e, NULL), 0);
}

void it_cancel(it_ctx_t *c, const char *id)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = (char *)id;
    ct.reason = "test";
    e.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    e.cancel_tender = &ct;
    cr_assert_eq(it_call(c, c->e_cal_api, &e, NULL), 0);
}

void it_ambition(it_ctx_t *c, const char *id)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__RecordAmbition ra = MVOI__RECORD_AMBITION__INIT;
    ra.tender_id = (char *)id;
    e.body_case = MVOI__ENVELOPE__BODY_RECORD_AMBITION;
    e.record_ambition = &ra;
    cr_assert_eq(it_call(c, c->e_cal_api, &e, NULL), 0);
}

/* ---- what arrived ---- */



int it_mails(it_ctx_t *c, const char *dir, it_mail_t *out, int max)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/nt_check.py %s %s 2>&1", NT_SCRIPTS, dir,
             c->icsdir);
    FILE *p = popen(cmd, "r");
    char line[4096];
    int n = 0;
    while (p && fgets(line, sizeof line, p)) {
        it_mail_t m = { 0 };
        int end = 0;
        if (sscanf(line, "%39s %159s %23s %399s %15s %d %23s %319s %159s %255s %79s%n", m.kind,
                   m.tender, m.due, m.uid, m.method, &m.seq, m.dtstart, m.mid, m.status, m.rcpt,
                   m.buyer, &end) != 11 || (line[end] && line[end] != '\n')) {
            cr_log_error("nt_check.py: %s", line);
            continue;
        }
        if (n < max)
            out[n] = m;
        n++;
    }
    if (p)
        pclose(p);
    return n;
}

int it_count_to(it_mail_t *m, int n, const char *kind, const char *rcpt)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if ((!kind || strcmp(m[i].kind, kind) == 0) && (!rcpt || strcmp(m[i].rcpt, rcpt) == 0))
            k++;
    return k;
}

int it_count(it_mail_t *m, int n, const char *kind)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!kind || strcmp(m[i].kind, kind) == 0)
            k++;
    return k;
}

int it_wait_mails(it_ctx_t *c, const char *dir, const char *kind, int want, it_mail_t *m,
                        int max, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    int n = 0;
    do {
        n = it_mails(c, dir, m, max);
        if (it_count(m, n < max ? n : max, kind) >= want)
            break;
        h_sleep_ms(100);
    } while (h_now_ms() < end);
    return n;
}

Mvoi__ReminderList *it_list(it_ctx_t *c, Mvoi__DeliveryState st, Mvoi__Envelope **keep)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    if (st) {
        q.has_state = true;
        q.state = st;
    }
    q.has_limit = true;
    q.limit = 1000;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, keep), 0);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    return (*keep)->reminder_list;
}

icalcomponent *it_ics(it_ctx_t *c, int i)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%d.ics", c->icsdir, i);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return icalparser_parse_string(buf);
}

/* ------------------------------------------------------------------ tests */

int it_mails_settled(it_ctx_t *c, const char *kind, int want, it_mail_t *m, int max,
                     int timeout_ms)
{
    it_wait_mails(c, c->maildir, kind, want, m, max, timeout_ms);
    h_sleep_ms(300);
    int n = it_mails(c, c->maildir, m, max);
    for (int i = 0; i < n; i++)
        cr_log_info("mail %s %s seq %d", m[i].kind, m[i].rcpt, m[i].seq);
    return n;
}

size_t it_mail_text(it_ctx_t *c, const char *kind, const char *rcpt, char *buf, size_t cap)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/nt_text.py '%s' '%s' '%s'", NT_SCRIPTS,
             c->maildir, kind, rcpt);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "%s", cmd);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    cr_assert_lt(n, cap - 1, "the text of %s to %s is longer than %zu bytes", kind, rcpt,
                 cap - 1);
    return n;
}
