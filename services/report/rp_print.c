/*  rp_print: a report's PDF, printed from its HTML by Chromium as a child process of the
 *  loop, with a deadline (service_int.h, rp_print_start). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "report.h"
#include "service_int.h"

static void s_pdf_closed(uv_handle_t *h)
{
    rp_job_t *j = h->data;
    j->pdf_running = false;
    if (!j->pdf_timer_on)
        j->printed(j);
}

static void s_pdf_timer_closed(uv_handle_t *h)
{
    rp_job_t *j = h->data;
    j->pdf_timer_on = false;
    if (!j->pdf_running)
        j->printed(j);
}

static void s_pdf_exit(uv_process_t *p, int64_t status, int sig)
{
    rp_job_t *j = p->data;
    if (status != 0 || sig != 0)
        log_warn("pdf_failed", "chromium exited with %" PRId64 " (signal %d)", status, sig);
    uv_timer_stop(&j->pdf_timer);
    uv_close((uv_handle_t *)&j->pdf_timer, s_pdf_timer_closed);
    uv_close((uv_handle_t *)p, s_pdf_closed);
}

static void s_pdf_timeout(uv_timer_t *t)
{
    rp_job_t *j = t->data;
    log_warn("pdf_timeout", "chromium took longer than %u ms; killed", j->svc->o.pdf_timeout_ms);
    uv_process_kill(&j->proc, SIGKILL);
}

int rp_print_start(rp_job_t *j, void (*printed)(rp_job_t *))
{
    rp_service_t *self = j->svc;
    static char url[3 * 4200 + 8], outarg[4400], tmp[4300];
    char *argv[RP_PDF_ARGC + 1];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->stage[MVOI__REPORT_FORMAT__FMT_PDF]);
    remove(tmp);   /* printed beside its name; rp_disk_commit_pdf checks and renames it */
    if (rp_pdf_argv(self->o.chromium, j->stage[MVOI__REPORT_FORMAT__FMT_HTML], tmp, url,
                    sizeof url, outarg, sizeof outarg, argv) != 0)
        return -ENAMETOOLONG;
    uv_stdio_container_t stdio[3] = { { UV_IGNORE }, { UV_IGNORE }, { UV_IGNORE } };
    uv_process_options_t po = { 0 };
    po.file = self->o.chromium;
    po.args = argv;
    po.exit_cb = s_pdf_exit;
    po.stdio = stdio;
    po.stdio_count = 3;
    po.flags = UV_PROCESS_DETACHED;   /* own process group: the kill takes its children */
    j->proc.data = j;
    j->printed = printed;
    int rc = uv_spawn(self->loop, &j->proc, &po);
    if (rc != 0) {
        uv_close((uv_handle_t *)&j->proc, NULL);
        return rc;
    }
    j->pdf_running = true;
    uv_timer_init(self->loop, &j->pdf_timer);
    j->pdf_timer.data = j;
    j->pdf_timer_on = true;
    uv_timer_start(&j->pdf_timer, s_pdf_timeout, self->o.pdf_timeout_ms, 0);
    return 0;
}
