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
    long year = ctl_this_year(), quarter = 0;   /* quarter 0: the annual report */
    bool json = ctl->json;
    const char *lang = ctl->lang;
    Mvoi__ReportFormat formats[8];
    size_t nf = 0;
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "quarter", required_argument, NULL, 'q' },
        { "format", required_argument, NULL, 'f' }, { "lang", required_argument, NULL, 'l' },
        { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 0;
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, "y:q:f:l:j", opts, NULL)) != -1) {
        switch (c) {
        case 'y': ex = ctl_opt_int(ctl, "year", optarg, 2000, 2999, &year); break;
        case 'q': ex = ctl_opt_int(ctl, "quarter", optarg, 0, 4, &quarter); break;
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
                    return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.report_format", t);
                }
                formats[nf++] = (Mvoi__ReportFormat)k;
            }
            break;
        }
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bad_option");
        }
    }
    if (ex != CTL_EX_OK || (ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
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
        ctl_fail(ctl, 0, "ctl.err.unexpected");
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

static const char *s_themes[] = { NULL, "klimaat", "circulair", "milieu", "isv",
                                   "diversiteit_inclusie", "social_return" };

/* Read the narrative from FILE or "-" (stdin) into buf; 0 or an exit code. */
static int s_read_text(const ctl_t *ctl, const char *path, char *buf, size_t cap)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return ctl_fail(ctl, CTL_EX_NOINPUT, "ctl.err.no_file", path);
    size_t n = fread(buf, 1, cap - 1, f);
    bool more = fgetc(f) != EOF;
    if (f != stdin)
        fclose(f);
    buf[n] = 0;
    if (more)   /* longer than the service accepts: say so rather than cut it */
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.narrative_long");
    return 0;
}

static int s_narrative(ctl_t *ctl, int argc, char **argv)
{
    long year = 0, quarter = 0;   /* year 0: not given (required) */
    int theme = 0;
    const char *text = NULL, *file = NULL;
    static char buf[4096 + 2];
    static const struct option opts[] = {
        { "year", required_argument, NULL, 'y' }, { "quarter", required_argument, NULL, 'q' },
        { "theme", required_argument, NULL, 't' }, { "text", required_argument, NULL, 'x' },
        { "file", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 0;
    while (ex == CTL_EX_OK && (c = getopt_long(argc, argv, "y:q:t:x:f:", opts, NULL)) != -1) {
        switch (c) {
        case 'y': ex = ctl_opt_int(ctl, "year", optarg, 2000, 2999, &year); break;
        case 'q': ex = ctl_opt_int(ctl, "quarter", optarg, 0, 4, &quarter); break;
        case 'x': text = optarg; break;
        case 'f': file = optarg; break;
        case 't':
            for (int i = 1; i < 7; i++)
                if (strcmp(optarg, s_themes[i]) == 0)
                    theme = i;
            if (!theme)
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.theme", optarg);
            break;
        default: return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.bad_option");
        }
    }
    if (ex != CTL_EX_OK || (ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    if (!year || !theme || (!text && !file) || (text && file))
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.narrative_usage");
    if (file) {
        ex = s_read_text(ctl, file, buf, sizeof buf);
        if (ex)
            return ex;
        text = buf;
    }
    Mvoi__SetNarrative m = MVOI__SET_NARRATIVE__INIT;
    m.has_year = m.has_quarter = m.has_theme = true;
    m.year = (uint32_t)year;
    m.quarter = (uint32_t)quarter;
    m.theme = (uint32_t)theme;
    m.text = (char *)text;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_SET_NARRATIVE;
    req.set_narrative = &m;
    Mvoi__Envelope *rep = NULL;
    int rc = ctl_call(ctl, "report", &req, &rep);
    if (rc)
        return rc;
    if ((rc = ctl_check_error(ctl, rep)) != 0 || rep->body_case != MVOI__ENVELOPE__BODY_NARRATIVE) {
        if (!rc)
            rc = ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
        ctl_free(&rep);
        return rc;
    }
    if (ctl->json)
        ctl_print_json(stdout, &rep->narrative->base);
    else
        printf(ctl_text(ctl, *text ? "ctl.report.narrative_saved" : "ctl.report.narrative_removed"),
               s_themes[theme], (int)year, (int)quarter);
    if (!ctl->json)
        putchar('\n');
    ctl_free(&rep);
    return CTL_EX_OK;
}

const ctl_cmd_t ctl_report_cmds[] = {
    { "generate", "--year Y [--quarter Q] [--format F,...] [--lang nl|en]",
      "write the monitoring report (quarter 0 = annual) and print the files", s_generate },
    { "narrative", "--year Y [--quarter Q] --theme THEME (--text TEXT | --file FILE|-)",
      "the adviser's narrative for a theme of a report period (empty text removes it)",
      s_narrative },
    { NULL },
};
