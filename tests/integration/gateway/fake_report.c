/*  fake_report: the notifier's and the report service's stand-ins of fakekpi (fakekpi.c):
 *  health, the reminders the gateway lists, report generation into --reports-dir and the
 *  advisers' narratives.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "envelope.pb-c.h"
#include "fake_int.h"

void on_notifier(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    if (req->body_case == MVOI__ENVELOPE__BODY_HEALTH) {
        fake_health(sock, id, req, "notifier");
        return;
    }
    if (req->body_case != MVOI__ENVELOPE__BODY_LIST_REMINDERS) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
        return;
    }
    Mvoi__Reminder rm = MVOI__REMINDER__INIT, *prm = &rm;
    rm.id = "T-1|kickoff_invitation|1";
    rm.tender_id = "T-1";
    rm.title = "Herinrichting Pancratiusplein";
    rm.has_kind = true, rm.kind = MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION;
    rm.has_state = true, rm.state = MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED;
    rm.has_due_ms = true, rm.due_ms = 1780000000000;
    Mvoi__ReminderList l = MVOI__REMINDER_LIST__INIT;
    l.reminders = &prm;
    l.n_reminders = 1;
    l.has_total = true, l.total = 1;
    env.body_case = MVOI__ENVELOPE__BODY_REMINDER_LIST;
    env.reminder_list = &l;
    fake_reply(sock, id, req, &env);
}

/* ---- report: narratives kept per buyer|year|quarter|theme; a report file per request */
const char *g_reports_dir;
static struct { char key[96]; char text[4096]; } g_narr[32];
static size_t g_nnarr;

/* path replaced by a UNIX socket (left on disk when closed); 0 or -1 */
static int s_socket_at(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int rc = fd >= 0 && unlink(path) == 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0
                 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

void on_report(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    const char *buyer = req->buyer ? req->buyer : "";
    if (req->body_case == MVOI__ENVELOPE__BODY_HEALTH) {
        fake_health(sock, id, req, "report");
        return;
    }
    if (req->body_case == MVOI__ENVELOPE__BODY_SET_NARRATIVE) {
        const Mvoi__SetNarrative *m = req->set_narrative;
        char key[96];
        snprintf(key, sizeof key, "%.40s|%u|%u|%u", buyer, m->year, m->quarter, m->theme);
        size_t i = 0;
        while (i < g_nnarr && strcmp(g_narr[i].key, key) != 0)
            i++;
        if (i == g_nnarr && g_nnarr < 32)
            g_nnarr++;
        snprintf(g_narr[i].key, sizeof g_narr[i].key, "%s", key);
        snprintf(g_narr[i].text, sizeof g_narr[i].text, "%s", m->text ? m->text : "");
        Mvoi__Narrative n = MVOI__NARRATIVE__INIT;
        n.has_year = n.has_quarter = n.has_theme = true;
        n.year = m->year, n.quarter = m->quarter, n.theme = m->theme, n.text = m->text;
        env.body_case = MVOI__ENVELOPE__BODY_NARRATIVE;
        env.narrative = &n;
        fake_reply(sock, id, req, &env);
        return;
    }
    if (req->body_case != MVOI__ENVELOPE__BODY_GENERATE_REPORT || !req->generate_report->n_formats) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
        return;
    }
    const Mvoi__GenerateReport *g = req->generate_report;
    /* the report service's refusals the gateway maps (test_gateway_it): 2098 a request over
     * a bound, 2099 a passing shortage (its job could not be queued) */
    if (g->year == 2098) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "generate_report",
                   "te groot");
        return;
    }
    if (g->year == 2099) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "generate_report",
                   "onvoldoende geheugen");
        return;
    }
    static const char *ext[] = { "", "html", "pdf", "xlsx", "csv", "csv", "json", "csv" };
    int f = g->formats[0] >= 1 && g->formats[0] <= 7 ? (int)g->formats[0] : 1;
    char path[1024];
    snprintf(path, sizeof path, "%s/mvoi-report-%s-%u-q%u.%s.%s", g_reports_dir, buyer, g->year,
             g->quarter, g->lang ? g->lang : "nl", ext[f]);
    /* 2096: written outside the reports directory, beside it (a report service with another
     * directory than the gateway's); 2095: the file gone before the gateway reads it */
    if (g->year == 2096)
        snprintf(path, sizeof path, "%s-elsewhere.csv", g_reports_dir);
    FILE *out = fopen(path, "w");
    if (!out) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INTERNAL, "", "cannot write");
        return;
    }
    fprintf(out, "<!DOCTYPE html><html><body><h1>Rapport %s %u Q%u</h1>", buyer, g->year, g->quarter);
    char pre[64];
    snprintf(pre, sizeof pre, "%.40s|%u|%u|", buyer, g->year, g->quarter);
    for (size_t i = 0; i < g_nnarr; i++)
        if (strncmp(g_narr[i].key, pre, strlen(pre)) == 0 && g_narr[i].text[0])
            fprintf(out, "<p class=\"narrative\">%s</p>", g_narr[i].text);
    fputs("</body></html>\n", out);
    /* 2097: a report file one byte over the gateway's 64 MiB (sparse: no disk, no time) */
    if (g->year == 2097 && (fflush(out) != 0 || ftruncate(fileno(out), (64l << 20) + 1) != 0)) {
        fclose(out);
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INTERNAL, "", "cannot write");
        return;
    }
    fseek(out, 0, SEEK_END);
    long bytes = ftell(out);
    fclose(out);
    if (g->year == 2095)
        unlink(path);
    /* 2094: in its place a socket, which no open() reads (ENXIO): a file the gateway cannot
     * read for a reason that is neither gone nor refused permission */
    if (g->year == 2094 && s_socket_at(path) != 0) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INTERNAL, "", "cannot make a socket");
        return;
    }
    Mvoi__ReportFile rf = MVOI__REPORT_FILE__INIT, *prf = &rf;
    rf.has_format = rf.has_bytes = true;
    rf.format = (Mvoi__ReportFormat)f, rf.path = path, rf.bytes = (uint64_t)bytes;
    Mvoi__ReportReply rr = MVOI__REPORT_REPLY__INIT;
    rr.files = &prf, rr.n_files = 1;
    env.body_case = MVOI__ENVELOPE__BODY_REPORT_REPLY;
    env.report_reply = &rr;
    fake_reply(sock, id, req, &env);
}
