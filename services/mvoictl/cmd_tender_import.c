/*  mvoictl tender import: a CSV calendar or OCDS JSON through the running service (pipelined
 *  UpsertTenders commands of up to 500 tenders, idempotent; --window N tenders in flight,
 *  default 8000); --dry-run checks every cell and imports nothing. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cal_client.h"
#include "cal_date.h"
#include "cal_str.h"
#include "cmd_tender.h"
#include "csv_import.h"
#include "isv_map.h"
#include "ocds_import.h"
#include "tender_rules.h"
#include "thresholds.h"

/* a cell for "row;column;value;reason" output: quoted when it holds ';', '"' or a newline */
static void s_cell(FILE *out, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ";\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p == '\r' || *p == '\n' ? ' ' : *p, out);
    }
    fputc('"', out);
}

static void s_progress(void *arg, size_t done, size_t total)
{
    (void)arg;
    fprintf(stderr, "\rimporting %zu/%zu", done, total);
    if (done == total)
        fputc('\n', stderr);
}

static bool s_looks_json(const char *path, const char *buf, size_t len)
{
    size_t pl = strlen(path);
    if (pl > 5 && strcmp(path + pl - 5, ".json") == 0)
        return true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == 0xEF && i + 2 < len)   /* BOM */
            return buf[i + 3] == '{' || buf[i + 3] == '[';
        return c == '{' || c == '[';
    }
    return false;
}

int ctl_tender_import(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = {
        { "dry-run", no_argument, NULL, O_DRY },
        { "window", required_argument, NULL, O_WINDOW },
        { "format", required_argument, NULL, O_FORMAT },
        { NULL, 0, NULL, 0 },
    };
    bool dry = false;
    unsigned window = 8000;   /* tenders in flight (cal_client.h): ~4 commands of 500 */
    const char *format = NULL;
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_DRY: dry = true; break;
        case O_WINDOW: window = (unsigned)atoi(optarg); break;
        case O_FORMAT: format = optarg; break;
        case ':': return ctl_tender_usage_err("option %s needs a value", argv[optind - 1]);
        default: return ctl_tender_usage_err("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return ctl_tender_usage_err("%s", "usage: tender import FILE.csv|FILE.json|- [--dry-run]");
    const char *path = argv[optind];
    char *buf = NULL;
    size_t len = 0;
    int rc = ctl_tender_read_all(path, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "mvoictl: cannot read %s: %s\n", path, strerror(-rc));
        return CTL_EX_NOINPUT;
    }
    bool json = format ? strcmp(format, "ocds") == 0 || strcmp(format, "json") == 0
                       : s_looks_json(path, buf, len);

    /* threshold tables: a dry run also derives, so that it reports what the service would */
    const char *dir = getenv("MVOI_CALENDAR_DATA_FILES");
    if (!dir || !*dir)
        dir = MVOI_CALENDAR_DATA_DIR_SRC;
    thresholds_t *th = NULL;
    isv_map_t *isv = NULL;
    char today[11];
    {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        cal_date_format(today, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    if (dry) {
        char err[256];
        if (thresholds_load_dir(dir, &th, err, sizeof err) < 0)
            th = NULL;
        else if (isv_map_load_dir(dir, &isv, err, sizeof err) < 0)
            isv = NULL;
    }

    Mvoi__Tender **tenders = NULL;
    size_t n = 0, nerr = 0, rows = 0;
    csv_import_t ci = { 0 };
    ocds_import_t *oi = NULL;
    ocds_result_t orr = { 0 };
    int ex = 0;
    FILE *errout = dry ? stdout : stderr;
    if (!json) {
        csv_import_opts_t co = { .default_buyer = ctl->buyer, .thresholds = th, .isv = isv,
                                 .today = today };
        rc = csv_import_parse(buf, len, &co, &ci);
        if (rc == -ENOMEM) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        for (size_t i = 0; i < ci.n_errors; i++) {
            const csv_cell_error_t *e = &ci.errors[i];
            fprintf(errout, "%zu;", e->row);
            s_cell(errout, e->column);
            fputc(';', errout);
            s_cell(errout, e->value);
            fputc(';', errout);
            s_cell(errout, e->reason);
            fputc('\n', errout);
        }
        if (rc < 0) {
            fprintf(stderr, "mvoictl: %s cannot be imported\n", path);
            ex = CTL_EX_DATAERR;
            goto done;
        }
        tenders = ci.tenders;
        n = ci.n_tenders;
        nerr = ci.n_errors;
        rows = ci.rows;
    } else {
        char err[256];
        if (ocds_import_new(&oi) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        rc = ocds_import_add_json(oi, buf, len, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "mvoictl: %s: %s\n", path, err);
            ex = CTL_EX_DATAERR;
            goto done;
        }
        ocds_import_opts_t oo = { .default_buyer = ctl->buyer, .thresholds = th, .isv = isv,
                                  .today = today };
        if (ocds_import_compile(oi, &oo, &orr) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
        for (size_t i = 0; i < orr.n_warnings; i++)
            fprintf(stderr, "warning: %s: %s: %s\n", orr.warnings[i].ocid, orr.warnings[i].field,
                    orr.warnings[i].message);
        /* the service checks each tender again; check here so that a dry run says it */
        for (size_t i = 0; i < orr.n_tenders; i++) {
            tender_error_t te = { 0 };
            Mvoi__Tender *t = orr.tenders[i];
            if (!cal_str_empty(t->buyer) && strcmp(t->buyer, ctl->buyer) != 0 &&
                cal_str_set(&t->buyer, ctl->buyer) < 0) {
                ex = CTL_EX_SOFTWARE;
                goto done;
            }
            if (tender_validate(t, &te) < 0) {
                fprintf(errout, "%zu;", i + 1);
                s_cell(errout, te.field);
                fputc(';', errout);
                s_cell(errout, t->id);
                fputc(';', errout);
                s_cell(errout, te.message);
                fputc('\n', errout);
                nerr++;
            }
        }
        tenders = orr.tenders;
        n = orr.n_tenders;
        rows = orr.n_tenders;
    }
    if (dry) {
        fprintf(stderr, "%zu row(s), %zu valid, %zu error(s); nothing imported (dry run)\n", rows,
                n, nerr);
        ex = nerr ? CTL_EX_DATAERR : CTL_EX_OK;
        goto done;
    }
    if (nerr) {
        fprintf(stderr, "mvoictl: %zu error(s) in %s (row;column;value;reason above); nothing "
                        "imported\n", nerr, path);
        ex = CTL_EX_DATAERR;
        goto done;
    }
    /* OCDS tenders belong to the publisher's buyer; this import files them under ours */
    for (size_t i = 0; json && i < n; i++)
        if (cal_str_set(&tenders[i]->buyer, ctl->buyer) < 0) {
            ex = CTL_EX_SOFTWARE;
            goto done;
        }
    char prefix[48], run[64];
    cal_import_prefix(ctl->buyer, buf, len, prefix, sizeof prefix);
    ctl_request_id(run, sizeof run, "import");
    cal_import_opts_t io = {
        .endpoint = ctl_endpoint(CTL_TENDER_SVC), .buyer = ctl->buyer, .rid_prefix = prefix,
        .run_id = run, .window = window, .timeout_ms = ctl->timeout_ms,
        .progress = isatty(2) ? s_progress : NULL,
    };
    cal_import_result_t res;
    rc = cal_import_send(&io, tenders, NULL, n, &res);
    for (size_t i = 0; i < res.n_failures; i++) {
        const cal_import_failure_t *f = &res.failures[i];
        const char *id = f->key >= 1 && f->key <= n ? tenders[f->key - 1]->id : "?";
        fprintf(stderr, "failed: %s: %s%s%s\n", id ? id : "?", f->field, f->field[0] ? ": " : "",
                f->message);
    }
    if (ctl->json) {
        printf("{\"rows\": %zu, \"created\": %zu, \"updated\": %zu, \"unchanged\": %zu, "
               "\"repeated\": %zu, \"failed\": %zu}\n", n, res.created, res.updated,
               res.unchanged, res.repeated, res.failed);
    } else {
        printf("%zu row(s): %zu created, %zu updated, %zu unchanged, %zu failed\n", n,
               res.created, res.updated, res.unchanged, res.failed);
        if (res.repeated)
            printf("(%zu of the unchanged were already imported from this very file)\n",
                   res.repeated);
    }
    ex = rc == -EHOSTUNREACH || res.unavailable ? CTL_EX_UNAVAILABLE
         : rc < 0                               ? CTL_EX_SOFTWARE
         : res.failed                           ? CTL_EX_DATAERR
                                                : CTL_EX_OK;
    if (res.unavailable)
        fprintf(stderr, "mvoictl: the calendar at %s stopped answering\n", io.endpoint);
    cal_import_result_clear(&res);
done:
    csv_import_clear(&ci);
    ocds_result_clear(&orr);
    ocds_import_destroy(&oi);
    thresholds_destroy(&th);
    isv_map_destroy(&isv);
    free(buf);
    return ex;
}
