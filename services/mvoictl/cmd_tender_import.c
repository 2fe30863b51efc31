/*  mvoictl tender import: a CSV calendar or OCDS JSON through the running service (pipelined
 *  UpsertTenders commands of up to 500 tenders, idempotent; --window N tenders in flight,
 *  default 8000). --dry-run is a preview computed by the calendar: the same commands with
 *  validate_only, so every row gets the verdict the import would give (created, updated and
 *  which fields, unchanged, refused and why) and nothing is written.
 *
 *  A CSV changes what its columns say (merge with the header's fields as `stated`,
 *  csv_import.h): an empty cell of a column clears the field, a field of no column keeps its
 *  stored value. OCDS merges what the releases carry.
 *
 *  What the file itself makes impossible is found here first: a CSV with any bad cell
 *  imports nothing (the sheet is fixed and imported again); an OCDS process that cannot be
 *  taken exactly (another currency, a bad date) is refused on its own and the other
 *  processes go on (a feed is not edited by hand).
 *
 *  What the calendar judges is per row, as in `measure import`: each tender is stored or
 *  refused on its own. The account names every row not stored ("failed: row 3 ID: field:
 *  reason" on stderr; "unconfirmed: ..." for a row sent to a calendar that then fell silent,
 *  which may have been stored) and counts the stored ones; --json and --dry-run list every
 *  row. Importing the corrected file again stores exactly what is missing: upserts are by id
 *  and content, so a stored row comes back "unchanged", never twice. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal_client.h"
#include "cal_str.h"
#include "cmd_import_key.h"
#include "cmd_import_report.h"
#include "textfmt.h"
#include "cmd_tender.h"
#include "csv_import.h"
#include "ocds_import.h"

static void s_progress(void *arg, size_t done, size_t total)
{
    const ctl_t *ctl = arg;
    fprintf(stderr, ctl_text(ctl, "ctl.import.progress"), done, total);
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
        if (c == 0xEF && i + 3 < len)   /* BOM */
            return buf[i + 3] == '{' || buf[i + 3] == '[';
        return c == '{' || c == '[';
    }
    return false;
}

/* What the file gave: the tenders to send and what was said about the file. */
typedef struct {
    Mvoi__Tender **tenders;
    const size_t *keys;        /* CSV: file rows; OCDS: NULL (process i + 1) */
    size_t n;
    size_t cell_errors;        /* CSV: bad cells (nothing is sent) */
    bool merge, apply_status;
    const char *const *stated; /* CSV: the fields of the header's columns */
    size_t n_stated;
    const char *key_word;      /* the catalogue key of "row" or "process" */
    csv_import_t ci;
    ocds_import_t *oi;
    ocds_result_t orr;
} s_input_t;

static void s_input_clear(s_input_t *in)
{
    csv_import_clear(&in->ci);
    ocds_result_clear(&in->orr);
    ocds_import_destroy(&in->oi);
}

/* The CSV notes that go with the summary: columns not used, columns missing. */
static void s_csv_notes(const ctl_t *ctl, const csv_import_t *ci, FILE *out, bool json)
{
    if (json) {
        fputs(", \"ignored_columns\": [", out);
        for (size_t i = 0; i < ci->n_ignored; i++) {
            fprintf(out, "%s{\"column\": %zu, \"header\": ", i ? ", " : "", ci->ignored[i].column);
            ctl_json_str(out, ci->ignored[i].header);
            fputc('}', out);
        }
        fprintf(out, "], \"no_value_column\": %s, \"no_date_column\": %s",
                ci->no_value_column ? "true" : "false", ci->no_date_column ? "true" : "false");
        return;
    }
    for (size_t i = 0; i < ci->n_ignored; i++) {
        fprintf(out, ctl_text(ctl, "ctl.import.ignored_column"), ci->ignored[i].column,
                ci->ignored[i].header);
        fputc('\n', out);
    }
    if (ci->no_value_column)
        fprintf(out, "%s\n", ctl_text(ctl, "ctl.import.note_no_value"));
    if (ci->no_date_column)
        fprintf(out, "%s\n", ctl_text(ctl, "ctl.import.note_no_date"));
}

/* The bad cells: lines (on stdout for a dry run, else stderr), or with --json the one
 * document of the command. */
static void s_cell_errors(const ctl_t *ctl, const csv_import_t *ci, bool dry)
{
    ctl_cell_errs_t errs = { 0 };
    for (size_t i = 0; i < ci->n_errors; i++) {
        const csv_cell_error_t *e = &ci->errors[i];
        if (ctl->json)
            ctl_cell_errs_add(&errs, e->row, e->column, e->value, e->reason);
        else
            ctl_cell_errs_line(dry ? stdout : stderr, e->row, e->column, e->value, e->reason);
    }
    if (ctl->json && ci->n_errors)
        ctl_cell_errs_json(&errs, stdout, dry);
    ctl_cell_errs_clear(&errs);
}

static int s_read_csv(ctl_t *ctl, const char *buf, size_t len, csv_date_order_t order,
                      bool dry, s_input_t *in)
{
    csv_import_opts_t co = { .default_buyer = ctl->buyer, .date_order = order,
                             .lang = ctl->tl };
    int rc = csv_import_parse(buf, len, &co, &in->ci);
    if (rc == -ENOMEM)
        return CTL_EX_SOFTWARE;
    /* no buyer from the user and none in the sheet: that, not each row's "buyer: required" */
    if (rc == 0 && !ctl->buyer && !in->ci.has_buyer_column)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.no_buyer_column");
    s_cell_errors(ctl, &in->ci, dry);
    if (rc < 0)
        return CTL_EX_DATAERR;
    in->tenders = in->ci.tenders;
    in->keys = in->ci.tender_rows;
    in->n = in->ci.n_tenders;
    in->cell_errors = in->ci.n_errors;
    in->apply_status = in->ci.has_status_column;
    /* the sheet decides what its columns say, an empty cell clears; a field it has no
     * column for (a leader set with `tender update`) keeps its stored value */
    in->merge = true;
    in->stated = in->ci.stated;
    in->n_stated = in->ci.n_stated;
    in->key_word = "ctl.import.key.row";
    return 0;
}

static int s_read_ocds(ctl_t *ctl, const char *path, const char *buf, size_t len, bool dry,
                       ctl_import_report_t *rep, s_input_t *in)
{
    char err[256];
    if (ocds_import_new(&in->oi) < 0)
        return CTL_EX_SOFTWARE;
    if (ocds_import_add_json_in(in->oi, buf, len, ctl->tl, err, sizeof err) < 0) {
        /* "not OCDS" and "not UTF-8" in the run's language; another JSON syntax error
         * is jansson's own text with line and column */
        const char *t = textfmt_from_en(ctl->tl, "tender.ocds.", err);
        if (t != err)
            snprintf(err, sizeof err, "%s", t);
        fprintf(stderr, "mvoictl: %s: %s\n", path, err);
        if (ctl->json) {   /* the command's one document, as for a CSV with a bad cell */
            ctl_cell_errs_t errs = { 0 };
            ctl_cell_errs_add(&errs, 0, "", "", err);   /* err names line and column */
            ctl_cell_errs_json(&errs, stdout, dry);
            ctl_cell_errs_clear(&errs);
        }
        return CTL_EX_DATAERR;
    }
    ocds_import_opts_t oo = { .default_buyer = ctl->buyer, .lang = ctl->tl };
    if (ocds_import_compile(in->oi, &oo, &in->orr) < 0)
        return CTL_EX_SOFTWARE;
    /* refused here: never sent; key 0 sorts them first in the report */
    for (size_t i = 0; i < in->orr.n_errors; i++) {
        char field[80];
        snprintf(field, sizeof field, "%s", in->orr.errors[i].field);
        ctl_import_report_add(rep, 0, in->orr.errors[i].ocid, 0, false, NULL, 0, NULL, field,
                              in->orr.errors[i].message);
    }
    /* OCDS tenders belong to the publisher's buyer; this import files them under ours */
    for (size_t i = 0; i < in->orr.n_tenders; i++)
        if (cal_str_set(&in->orr.tenders[i]->buyer, ctl->buyer) < 0)
            return CTL_EX_SOFTWARE;
    in->tenders = in->orr.tenders;
    in->n = in->orr.n_tenders;
    in->merge = true;          /* releases carry what they know; the rest stays */
    in->apply_status = true;   /* the lifecycle comes from the source */
    in->key_word = "ctl.import.key.process";
    return 0;
}

/* The report and the rows to send again: a refusal answered from a stored reply is the
 * verdict of an earlier run against an earlier state (the tender did not exist yet, say);
 * it is asked again under a fresh request id rather than repeated. */
typedef struct {
    ctl_import_report_t *rep;
    size_t *again;
    size_t n_again;
    bool oom;
} s_rows_t;

static void s_on_row(void *arg, const cal_import_row_t *row)
{
    s_rows_t *rs = arg;
    ctl_import_report_t *rep = rs->rep;
    if (row->repeated && row->outcome == 0 && row->code != MVOI__ERROR_CODE__ERR_UNAVAILABLE) {
        size_t *n = realloc(rs->again, (rs->n_again + 1) * sizeof *n);
        if (!n) {
            rs->oom = true;
            return;
        }
        rs->again = n;
        rs->again[rs->n_again++] = row->key;
        return;
    }
    if (row->outcome == 0 && row->code == MVOI__ERROR_CODE__ERR_PERMISSION_DENIED &&
        row->field && strcmp(row->field, "key") == 0) {   /* revoked mid-import: 77 */
        ctl_import_report_key(rep, row->key, NULL, row->message);
        return;
    }
    int outcome = row->repeated && row->outcome ? 3 : row->outcome;
    /* No answer is no verdict: a command sent before the calendar fell silent may have been
     * applied. "failed" told the user those rows were not stored. */
    if (row->outcome == 0 && row->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE && !row->unsent)
        outcome = 4;
    if (outcome == 4 && !row->silent) {   /* answered: not "no answer in time" */
        ctl_import_report_unavailable(rep, row->key, NULL, row->field, row->message);
        return;
    }
    ctl_import_report_add(rep, row->key, NULL, outcome, row->repeated, row->changed,
                          row->repeated ? 0 : row->n_changed, row->warning, row->field,
                          row->message);
}

/* The human account of a real import: every row that was not stored, by row (CSV) and id
 * with the reason, on stderr; the rest were stored (created, updated, or already so) and
 * are counted on stdout (--json and --dry-run list every row). */
static void s_not_stored(const ctl_t *ctl, const s_input_t *in, const ctl_import_report_t *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const ctl_import_row_t *w = &rep->rows[i];
        if ((w->outcome == 0 && !w->key_refused) || w->outcome == 4) {   /* the key's: once */
            fprintf(stderr, "%s: ", ctl_text(ctl, w->outcome ? "ctl.import.outcome.unconfirmed"
                                                             : "ctl.import.outcome.failed"));
            if (in->keys && w->key)   /* a CSV row; an OCDS process is named by its id */
                fprintf(stderr, "%s %zu ", ctl_text(ctl, "ctl.import.key.row"), w->key);
            fprintf(stderr, "%s: %s%s%s\n", w->id ? w->id : "?", w->field ? w->field : "",
                    w->field ? ": " : "", w->message ? w->message : "");
        }
        if (w->warning)
            fprintf(stderr, "%s: %s: %s\n", ctl_text(ctl, "ctl.import.warning"),
                    w->id ? w->id : "?", w->warning);
    }
}

static void s_summary(ctl_t *ctl, const s_input_t *in, const ctl_import_report_t *rep, bool dry)
{
    size_t rows = in->n + in->orr.n_errors;
    if (ctl->json) {
        printf("{\"dry_run\": %s, \"rows\": %zu, \"created\": %zu, \"updated\": %zu, "
               "\"unchanged\": %zu, \"repeated\": %zu, \"failed\": %zu, "
               "\"unconfirmed\": %zu, \"warnings\": %zu",
               dry ? "true" : "false", rows, rep->created, rep->updated, rep->unchanged,
               rep->repeated, rep->refused, rep->unconfirmed, rep->warnings);
        if (!in->oi)
            s_csv_notes(ctl, &in->ci, stdout, true);
        ctl_import_key_json(rep, stdout);
        fputs(", \"results\": ", stdout);
        ctl_import_report_json_rows(rep, stdout);
        fputs("}\n", stdout);
        return;
    }
    if (dry) {
        ctl_import_report_print(rep, stdout, in->key_word, ctl->tl);
        printf(ctl_text(ctl, "ctl.import.tender.dry"), rows, rep->created, rep->updated,
               rep->unchanged, rep->refused);
        putchar('\n');
        ctl_import_report_unconfirmed(rep, stdout, true, ctl->tl);
    } else {
        s_not_stored(ctl, in, rep);
        printf(ctl_text(ctl, "ctl.import.tender.done"), rows, rep->created, rep->updated,
               rep->unchanged, rep->refused);
        putchar('\n');
        if (rep->repeated) {
            printf(ctl_text(ctl, "ctl.import.tender.repeated"), rep->repeated);
            putchar('\n');
        }
        ctl_import_report_unconfirmed(rep, stdout, false, ctl->tl);   /* as `measure import` */
    }
    if (!in->oi)
        s_csv_notes(ctl, &in->ci, stdout, false);
}

static int s_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Send the rows of rs->again once more under a prefix of this run. Returns cal_import_send's
 * code; the verdicts go to the report. */
static int s_send_again(const cal_import_opts_t *io0, const s_input_t *in, s_rows_t *rs,
                        cal_import_result_t *res)
{
    cal_import_opts_t io = *io0;
    char prefix[96];
    size_t n = rs->n_again;
    Mvoi__Tender **t = calloc(n, sizeof *t);
    size_t *k = calloc(n, sizeof *k);
    int rc = -ENOMEM;
    if (!t || !k)
        goto out;
    qsort(rs->again, n, sizeof *rs->again, s_cmp_size);
    for (size_t i = 0; i < n; i++) {
        size_t key = rs->again[i], idx = key - 1;
        if (in->keys) {
            size_t *hit = bsearch(&key, in->keys, in->n, sizeof *in->keys, s_cmp_size);
            idx = hit ? (size_t)(hit - in->keys) : 0;
        }
        t[i] = in->tenders[idx];
        k[i] = key;
    }
    snprintf(prefix, sizeof prefix, "%s-again", io.run_id);
    io.rid_prefix = prefix;
    rs->n_again = 0;
    rc = cal_import_send(&io, t, k, n, res);
out:
    free(t);
    free(k);
    return rc;
}

/* The request ids of a real import: from the file and the stored state of its tenders as
 * read now (cal_client.h). A stored reply is the verdict against the state it met; keyed
 * by the file alone, a re-import after `tender update` was answered "unchanged" from the
 * earlier run's reply and changed nothing, while the dry run said "update". When the state
 * cannot be read, prefix keeps this run's own id: new ids, and upserts are idempotent by
 * content, so nothing is applied twice. */
static void s_import_prefix(const ctl_t *ctl, const cal_import_opts_t *io, const s_input_t *in,
                            const char *buf, size_t len, char *prefix, size_t cap)
{
    int rc = cal_import_state_prefix(io, in->tenders, in->n, buf, len, prefix, cap);
    if (rc < 0 && rc != -EACCES)   /* a refused key: the send names it (77) */
        ctl_fail(ctl, 0, "ctl.import.state_unread", strerror(-rc));
}

/* Send the tenders (validate_only for a dry run) and report. Returns the exit code. */
static int s_send(ctl_t *ctl, const char *buf, size_t len, unsigned window, bool dry,
                  s_input_t *in, ctl_import_report_t *rep)
{
    char prefix[64], run[64];
    ctl_request_id(run, sizeof run, dry ? "dry" : "import");
    snprintf(prefix, sizeof prefix, "%s", run);   /* a preview: never a stored reply */
    s_rows_t rs = { .rep = rep };
    cal_import_opts_t io = {
        .endpoint = ctl_endpoint(CTL_TENDER_SVC), .buyer = ctl->buyer, .rid_prefix = prefix,
        .run_id = run, .window = window, .timeout_ms = ctl->timeout_ms,
        .progress = isatty(2) && !dry ? s_progress : NULL, .progress_arg = ctl,
        .merge = in->merge, .apply_status = in->apply_status, .validate_only = dry,
        .stated = in->stated, .n_stated = in->n_stated,
        .lang = text_lang_name(ctl->tl),   /* the rows' refusals and warnings */
        .on_row = s_on_row, .row_arg = &rs,
    };
    cal_import_result_t res = { 0 }, res2 = { 0 };
    int rc = 0;
    if (!dry && in->n)
        s_import_prefix(ctl, &io, in, buf, len, prefix, sizeof prefix);
    char **ids = calloc(in->n ? in->n : 1, sizeof *ids);
    if (!ids)
        return CTL_EX_SOFTWARE;
    for (size_t i = 0; i < in->n; i++)
        ids[i] = in->tenders[i]->id;
    rep->keys = in->keys;
    rep->ids = (const char *const *)ids;
    rep->n_ids = in->n;
    if (in->n)
        rc = cal_import_send(&io, in->tenders, in->keys, in->n, &res);
    size_t n_again = rs.n_again;   /* s_send_again empties the count, keeps the rows */
    if (rc == 0 && n_again)
        rc = s_send_again(&io, in, &rs, &res2);
    if (rc == -EACCES && n_again) {
        /* refused at the second pass's handshake: the first pass's rows were taken, so
         * the account of a key revoked mid-import (77 with what was stored), not 77 alone */
        ctl_fail(ctl, 0, "ctl.err.key_refused", "calendar", io.endpoint, res2.key_refused);
        for (size_t i = 0; i < n_again; i++)
            ctl_import_report_key(rep, rs.again[i], NULL,
                                  ctl_text(ctl, "ctl.import.key_refused_again"));
        rc = 0;
    }
    if (rc == -EACCES) {
        /* The calendar refused our key: no row was taken or judged, so no row summary
         * ("failed: no answer" for each was false); 77 as every command. */
        ctl_fail(ctl, 0, "ctl.err.key_refused", "calendar", io.endpoint,
                 res.key_refused ? res.key_refused : res2.key_refused);
        cal_import_result_clear(&res);
        cal_import_result_clear(&res2);
        free(rs.again);
        free(ids);
        return EX_NOPERM;
    }
    /* a row answered ERR_UNAVAILABLE ("storage failure ... retry") is unconfirmed as much
     * as one sent to a calendar that fell silent: 69, never 0 (as `measure import`) */
    bool unconfirmed = res.unavailable || res2.unavailable || rep->unconfirmed;
    int ex = rep->key_refused                                           ? EX_NOPERM
             : rc == -EHOSTUNREACH || unconfirmed                       ? CTL_EX_UNAVAILABLE
             : rc < 0 || rep->oom || rs.oom                             ? CTL_EX_SOFTWARE
             : rep->refused                                             ? CTL_EX_DATAERR
                                                                        : CTL_EX_OK;
    s_summary(ctl, in, rep, dry);
    if (res.unavailable || res2.unavailable)
        ctl_fail(ctl, 0, "ctl.import.calendar_silent", io.endpoint);
    ctl_import_key_say(ctl, rep, CTL_TENDER_SVC, in->key_word);
    cal_import_result_clear(&res);
    cal_import_result_clear(&res2);
    free(rs.again);
    free(ids);
    return ex;
}

/* Row i's buyer cell (ctl_sheet_buyer_fn): the tender's buyer, which the CSV reader took
 * from the cell alone when no --buyer or MVOI_BUYER was given. */
static const char *s_row_buyer(const void *arg, size_t i, size_t *row)
{
    const csv_import_t *ci = arg;
    *row = ci->tender_rows[i];
    return ci->tenders[i]->buyer;
}

int ctl_tender_import(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = {
        { "dry-run", no_argument, NULL, O_DRY },
        { "window", required_argument, NULL, O_WINDOW },
        { "format", required_argument, NULL, O_FORMAT },
        { "date-order", required_argument, NULL, O_DATE_ORDER },
        { NULL, 0, NULL, 0 },
    };
    bool dry = false;
    unsigned window = 8000;   /* tenders in flight (cal_client.h): ~4 commands of 500 */
    const char *format = NULL;
    csv_date_order_t order = CSV_DATE_AUTO;
    int c;
    opterr = 0;
    optind = 0;   /* glibc: full re-initialisation (main parsed with "+") */
    while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
        switch (c) {
        case O_DRY: dry = true; break;
        case O_WINDOW: {
            uint32_t w;
            int rc = ctl_opt_u32(ctl, "window", optarg, 1, 1000000, &w);
            if (rc != 0)
                return rc;
            window = w;
            break;
        }
        case O_FORMAT:   /* "xml" was taken for csv: the file read as something it is not */
            if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "ocds") != 0 &&
                strcmp(optarg, "json") != 0)
                return ctl_tender_usage_err("--format is csv or ocds, not %s", optarg);
            format = optarg;
            break;
        case O_DATE_ORDER:
            if (strcmp(optarg, "dmy") == 0)
                order = CSV_DATE_DMY;
            else if (strcmp(optarg, "mdy") == 0)
                order = CSV_DATE_MDY;
            else
                return ctl_tender_usage_err("--date-order is dmy or mdy, not %s", optarg);
            break;
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
        return ctl_fail(ctl, CTL_EX_NOINPUT, "ctl.import.cannot_read", path, strerror(-rc));
    }
    bool json = format ? strcmp(format, "ocds") == 0 || strcmp(format, "json") == 0
                       : s_looks_json(path, buf, len);
    s_input_t in = { 0 };
    ctl_import_report_t rep = { 0 };
    /* an OCDS release's buyer is its publisher, not ours: only the user names ours */
    int ex = json ? ctl_buyer_required(ctl) : 0;
    if (ex == 0)
        ex = json ? s_read_ocds(ctl, path, buf, len, dry, &rep, &in)
                  : s_read_csv(ctl, buf, len, order, dry, &in);
    if (ex == CTL_EX_DATAERR && !json)
        ctl_fail(ctl, 0, "ctl.import.not_importable", path);
    if (ex == 0 && in.cell_errors)
        ex = ctl_fail(ctl, CTL_EX_DATAERR, dry ? "ctl.import.tender.cell_errors_dry"
                                               : "ctl.import.tender.cell_errors",
                      in.cell_errors, path);
    if (ex == 0 && !json)   /* --buyer, MVOI_BUYER or the sheet's one buyer; else nothing sent */
        ex = ctl_buyer_of_sheet(ctl, s_row_buyer, &in.ci, in.n);
    if (ex == 0)
        ex = s_send(ctl, buf, len, window, dry, &in, &rep);
    ctl_import_report_clear(&rep);
    s_input_clear(&in);
    free(buf);
    return ex;
}
