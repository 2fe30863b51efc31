/*  mvoictl report: monitoring reports (services/report).
 *
 *  generate  GenerateReport for --buyer: --year Y [--quarter Q] (0 or absent = annual)
 *            [--format html,pdf,xlsx,csv,csv-nl,json,mvi]... [--lang nl|en]; prints the paths
 *            of the written files (or the reply as JSON with --json). Report generation
 *            gathers data from the kpi-aggregator and the calendar and may print a PDF with
 *            Chromium, so the default timeout is raised to 120 s (override with --timeout).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static const char *s_fmt_names[] = { NULL, "html", "pdf", "xlsx", "csv", "csv-nl", "json", "mvi" };

static int s_generate(ctl_t *ctl, int argc, char **argv)
{
    int year = 0, quarter = 0;
    bool json = ctl->json;
    const char *lang = ctl->lang;
    Mvoi__ReportFormat formats[8];
    size_t nf = 0;
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "quarter", required_argument, NULL, 'q' },
        { "format", required_argument, NULL, 'f' }, { "lang", required_argument, NULL, 'l' },
        { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "y:q:f:l:j", opts, NULL)) != -1) {
        switch (c) {
        case 'y': year = atoi(optarg); break;
        case 'q': quarter = atoi(optarg); break;
        case 'l': lang = optarg; break;
        case 'j': json = true; break;
        case 'f': {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int k = 0;
                for (int i = 1; i < 8; i++)
                    if (strcmp(t, s_fmt_names[i]) == 0)
                        k = i;
                if (!k || nf >= 8) {
                    fprintf(stderr, "mvoictl: unknown format '%s' (html pdf xlsx csv csv-nl json mvi)\n", t);
                    return CTL_EX_USAGE;
                }
                formats[nf++] = (Mvoi__ReportFormat)k;
            }
            break;
        }
        default: return CTL_EX_USAGE;
        }
    }
    if (!year) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        year = tm.tm_year + 1900;
    }
    if (year < 2000 || year > 2999 || quarter < 0 || quarter > 4) {
        fprintf(stderr, "mvoictl: --year must be 2000..2999 and --quarter 0..4\n");
        return CTL_EX_USAGE;
    }
    Mvoi__GenerateReport g = MVOI__GENERATE_REPORT__INIT;
    g.buyer = (char *)ctl->buyer;
    g.has_year = g.has_quarter = true;
    g.year = (uint32_t)year;
    g.quarter = (uint32_t)quarter;
    g.n_formats = nf;
    g.formats = formats;
    g.lang = (char *)lang;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GENERATE_REPORT;
    req.generate_report = &g;
    if (ctl->timeout_ms < 120000 && !getenv("MVOI_CTL_TIMEOUT_MS"))
        ctl->timeout_ms = 120000;
    Mvoi__Envelope *rep = NULL;
    int rc = ctl_call(ctl, "report", &req, &rep);
    if (rc)
        return rc;
    if ((rc = ctl_check_error(ctl, rep)) != 0) {
        ctl_free(&rep);
        return rc;
    }
    if (rep->body_case != MVOI__ENVELOPE__BODY_REPORT_REPLY) {
        fprintf(stderr, "mvoictl: unexpected reply\n");
        ctl_free(&rep);
        return CTL_EX_SOFTWARE;
    }
    if (json)
        ctl_print_json(stdout, &rep->report_reply->base);
    else
        for (size_t i = 0; i < rep->report_reply->n_files; i++) {
            const Mvoi__ReportFile *f = rep->report_reply->files[i];
            printf("%-7s %10" PRIu64 "  %s\n",
                   f->format > 0 && f->format < 8 ? s_fmt_names[f->format] : "?", f->bytes,
                   f->path);
        }
    ctl_free(&rep);
    return CTL_EX_OK;
}

const ctl_cmd_t ctl_report_cmds[] = {
    { "generate", "--year Y [--quarter Q] [--format F,...] [--lang nl|en]",
      "write the monitoring report (quarter 0 = annual) and print the files", s_generate },
    { NULL },
};
