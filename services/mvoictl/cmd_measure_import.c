/*  mvoictl measure import: a supplier's spreadsheet of measurements, under the rules of the
 *  tender import (csv_import.h): UTF-8 (a bad byte in a UTF-8 file is an error at its row
 *  and column) or, for a file that is not UTF-8 at all, Windows-1252; NUL and control
 *  characters refused at row and column; ';', ',' or TAB as delimiter, or the one a first
 *  line "sep=;" states (not a row); every column a field (an unknown header is an error, not
 *  ignored); an id twice in the file is an error. The delimiter says how numbers and dates
 *  read (ctl_meas_t.delim): a ';' sheet is Dutch ("1.234" = 1234, "25-1-2027"); in a ',' or
 *  TAB sheet "1.234" and "1/2/2027" read two ways and are refused. Reasons in --lang. A file
 *  with any bad cell imports nothing.
 *
 *  Requests of --per rows (default 500), --window requests in flight on one DEALER; request
 *  ids "imp-<run>-<first row>-<hash of the rows>", so the same file with the same --run
 *  (default "1") is answered from the stored replies; the measurement id keeps any run
 *  idempotent (same id, same content: "unchanged"; other content: refused, use correct).
 *  --dry-run sends the same requests with validate_only: the impact-calculator judges every
 *  row as the import would (tender known, not cancelled, duplicate or conflicting id) and
 *  stores nothing. Rows are numbered as records, header = row 1. What the calculator judges
 *  is per row, as in `tender import`: "failed: row N ID: ..." names each row not stored,
 *  rows without an answer are "unconfirmed" (perhaps stored), the rest are counted stored. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <csv.h>

#include "cmd_import_key.h"
#include "cmd_import_report.h"
#include "csv_dates.h"
#include "textfmt.h"
#include "cmd_measure.h"
#include "cmd_tender.h"
#include "codec.h"
#include "csv_import.h"
#include "mvoi_curve.h"
#include "mvoi_id.h"
#include "mvoi_id_text.h"

typedef struct {
    char **header;
    int ncols, col;
    size_t row;             /* record being read, header = 1 */
    ctl_meas_t **rows;      /* each row apart: a ctl_meas_t points into itself */
    size_t *row_no;
    size_t nrows, cap;
    bool check_utf8, oom;
    bool cur_any;           /* the current row has a non-empty cell */
    size_t errors;
    FILE *errout;
    ctl_cell_errs_t *json;  /* --json: the errors collected for the one document */
    text_lang_t lang;       /* of the reasons (--lang) */
    char delim;             /* the file's: how its numbers and dates are read */
    csv_dates_t dates;      /* its dates that depend on an order: the sheet's rule */
} s_csv_t;

/* fmt (the English of a catalogue "ctl.mimport." entry) in lang into why. */
static void __attribute__((format(printf, 4, 5)))
s_why(char *why, size_t len, text_lang_t lang, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(why, len, lang, "ctl.mimport.", fmt, ap);
    va_end(ap);
}

static void s_error(s_csv_t *c, const char *column, const char *value, const char *why)
{
    if (c->json)
        ctl_cell_errs_add(c->json, c->row, column, value, why);
    else   /* quoted where a cell holds ';' or a line break: a script splits on ';' */
        ctl_cell_errs_line(c->errout, c->row, column, value, why);
    c->errors++;
}

/* A new measurement for the row being read. false when out of memory. */
/* The date cell v of column (period_start, period_end, or period "a..b"; any other column
 * is no date) for the sheet's rule (csv_dates.h). 0 or -ENOMEM. */
static int s_note_date(csv_dates_t *d, size_t row, const char *column, const char *v)
{
    if (!strcmp(column, "period_start") || !strcmp(column, "period_end"))
        return csv_dates_add(d, row, column, v, strlen(v));
    const char *dots = strcmp(column, "period") == 0 ? strstr(v, "..") : NULL;
    if (!dots)
        return 0;
    int rc = csv_dates_add(d, row, column, v, (size_t)(dots - v));
    return rc ? rc : csv_dates_add(d, row, column, dots + 2, strlen(dots + 2));
}

static bool s_new_row(s_csv_t *c)
{
    if (c->nrows == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        ctl_meas_t **r = realloc(c->rows, cap * sizeof *r);
        if (r)
            c->rows = r;
        size_t *n = r ? realloc(c->row_no, cap * sizeof *n) : NULL;
        if (!n)
            return false;
        c->row_no = n;
        c->cap = cap;
    }
    c->rows[c->nrows] = malloc(sizeof(ctl_meas_t));
    if (!c->rows[c->nrows])
        return false;
    ctl_meas_init(c->rows[c->nrows]);
    c->rows[c->nrows]->delim = c->delim;
    c->rows[c->nrows]->lang = c->lang;
    c->row_no[c->nrows++] = c->row;
    return true;
}

/* A column that sets a field an earlier column sets ("quantity" twice, "tender" and
 * "tender_id", "period" and "period_start"): which would win is not the sheet's meaning. */
static void s_header_twice(s_csv_t *c, const char *label, const char *v)
{
    char why[192];
    for (int i = 0; i < c->ncols; i++) {
        if (!ctl_meas_same_field(c->header[i], v))
            continue;
        if (strcmp(c->header[i], v) == 0)
            s_why(why, sizeof why, c->lang, "column '%s' appears twice (also column %d)", v,
                  i + 1);
        else
            s_why(why, sizeof why, c->lang, "column '%s' sets the same field as column %d '%s': "
                  "keep one of them", v, i + 1, c->header[i]);
        s_error(c, label, v, why);
        return;
    }
}

/* ctl_meas_done's refusal of one field of the row being closed. */
static void s_bad_field(void *arg, const char *key, const char *text, const char *why)
{
    s_csv_t *c = arg;
    char msg[448];   /* a 64-byte key and the longest reason of ctl_meas_done, in Dutch */
    snprintf(msg, sizeof msg, "%s: %s", key, why);
    s_error(c, key, text ? text : "", msg);
}

static void s_field(void *data, size_t len, void *arg)
{
    s_csv_t *c = arg;
    char why[192], label[32];
    char *v = malloc(len + 1);
    if (!v || (c->row > 1 && c->col == 0 && !s_new_row(c))) {
        c->oom = true;
        free(v);
        return;
    }
    if (len)
        memcpy(v, data, len);
    v[len] = '\0';
    s_why(label, sizeof label, c->lang, "column %d", c->col + 1);
    const char *col = c->row > 1 && c->col < c->ncols ? c->header[c->col] : label;
    bool bad = csv_cell_check_lang(v, len, c->check_utf8, c->lang, why, sizeof why) != 0;
    if (bad)
        s_error(c, col, "", why);
    if (c->row == 1) {
        char **h = realloc(c->header, (size_t)(c->ncols + 1) * sizeof *h);
        if (!h) {
            c->oom = true;
            free(v);
            return;
        }
        c->header = h;   /* realloc moved it: the earlier columns are read from here */
        if (!bad && !ctl_meas_known(v))
            s_error(c, label, v, textfmt_from_en(c->lang, "ctl.mimport.", "unknown column (the "
                                                 "field names of mvoictl measure add)"));
        else if (!bad)
            s_header_twice(c, label, v);
        c->header[c->ncols++] = v;
        c->col++;
        return;
    }
    ctl_meas_t *x = c->rows[c->nrows - 1];
    c->cur_any = c->cur_any || *v;
    if (bad) {
        /* reported above */
    } else if (c->col >= c->ncols) {
        if (*v)
            s_error(c, label, v, textfmt_from_en(c->lang, "ctl.mimport.",
                                                 "more fields than the header"));
    } else {
        if (ctl_meas_set(x, c->header[c->col], v) != 0)
            s_error(c, c->header[c->col], v, x->err);
        if (s_note_date(&c->dates, c->row, c->header[c->col], v) < 0)
            c->oom = true;
    }
    c->col++;
    free(v);
}

static void s_record(int ch, void *arg)
{
    s_csv_t *c = arg;
    (void)ch;
    if (c->row > 1 && c->nrows && c->row_no[c->nrows - 1] == c->row && !c->cur_any) {
        /* spreadsheets export trailing ",,,," rows: not a measurement */
        ctl_meas_fini(c->rows[--c->nrows]);
        free(c->rows[c->nrows]);
    } else if (c->row > 1 && c->nrows && c->row_no[c->nrows - 1] == c->row) {
        /* columns in any order: kind-dependent cells placed now, other kinds' cells refused */
        ctl_meas_done(c->rows[c->nrows - 1], s_bad_field, c);
    }
    c->cur_any = false;
    c->row++;
    c->col = 0;
}

/* The ids of every row under the service's own rule (mvoi_id.h), here: the service checks
 * them for the whole request at once, so one bad id would refuse up to --per rows, each
 * blamed for another row's id. */
static void s_check_ids(s_csv_t *st)
{
    static const struct { const char *column; mvoi_id_kind_t kind; size_t at; } ids[] = {
        { "id", MVOI_ID_MEASUREMENT, offsetof(Mvoi__Measurement, id) },
        { "tender", MVOI_ID_TENDER, offsetof(Mvoi__Measurement, tender_id) },
        { "buyer", MVOI_ID_BUYER, offsetof(Mvoi__Measurement, buyer) },
    };
    for (size_t i = 0; i < st->nrows; i++)
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
            const char *v = *(char **)((char *)&st->rows[i]->m + ids[k].at);
            char why[MVOI_ID_WHY_MAX + 64], msg[MVOI_ID_WHY_MAX];
            if (!v || !*v || mvoi_id_check_in(st->lang, ids[k].kind, v, msg, sizeof msg) == 0)
                continue;   /* a missing id is refused by the service, for this row only */
            snprintf(why, sizeof why, "%s %s", mvoi_id_kind_name_in(st->lang, ids[k].kind),
                     msg);
            st->row = st->row_no[i];
            s_error(st, ids[k].column, v, why);
        }
}

/* A date the sheet's order refuses (csv_dates.h), at its row. */
static void s_date_bad(void *arg, size_t row, const char *column, const char *value,
                       const char *why)
{
    s_csv_t *st = arg;
    st->row = row;
    s_error(st, column, value, why);
}

/* A ';' sheet is Dutch: its "1.234" is 1234. A number of it with a decimal point ("2.5",
 * "1,234.5") shows English numbers in the sheet, and then "1.234" may as well be 1,234: a
 * factor of 1000 taken without a word. Each such cell is refused, naming the first number
 * with a decimal point. */
static void s_number_styles(s_csv_t *st)
{
    size_t ev = 0;
    while (ev < st->nrows && !st->rows[ev]->dot_decimal)
        ev++;
    if (ev == st->nrows)
        return;
    const ctl_meas_t *e = st->rows[ev];
    int eb = __builtin_ctzll(e->dot_decimal);
    char why[400];
    s_why(why, sizeof why, st->lang, "reads as thousands in a Dutch (';') sheet, but row %zu "
          "has '%s' in %s, with a decimal point: the sheet mixes number styles; write it "
          "without a separator (1234) or with a decimal comma (1,234)", st->row_no[ev],
          e->text[eb] ? e->text[eb] : "", ctl_meas_key(eb));
    for (size_t i = 0; i < st->nrows; i++)
        for (int b = 0; b < 64; b++)
            if (st->rows[i]->dot_thousands >> b & 1) {
                st->row = st->row_no[i];
                s_error(st, ctl_meas_key(b), st->rows[i]->text[b] ? st->rows[i]->text[b] : "",
                        why);
            }
}

/* A row without a phase is a realisation, as `measure add` without --phase; but in a sheet
 * with a phase column an empty cell is an omission: ambition or realisation moves the
 * figure to another column of the KPIs, so it is refused, not taken as a realisation. */
static void s_phases(s_csv_t *st)
{
    bool column = false;
    for (int i = 0; i < st->ncols; i++)
        column = column || !strcmp(st->header[i], "phase");
    for (size_t i = 0; i < st->nrows; i++) {
        ctl_meas_t *x = st->rows[i];
        if (x->m.has_phase)
            continue;
        if (column) {
            st->row = st->row_no[i];
            s_error(st, "phase", "", textfmt_from_en(st->lang, "ctl.mimport.", "empty, while "
                    "the sheet has a phase column: write ambition or realisation"));
            continue;
        }
        x->m.has_phase = 1;
        x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    }
}

static const s_csv_t *s_sort_st;   /* qsort has no argument: the file being checked */

/* Rows by id, then by position: the first of equal ids is the earliest row. */
static int s_by_id(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    int c = strcmp(s_sort_st->rows[i]->m.id, s_sort_st->rows[k]->m.id);
    return c ? c : (i > k) - (i < k);
}

/* An id twice would make the later row a duplicate or a conflict of the earlier one: each
 * later row refused, in file order. Sorted, not compared pairwise: a file of 100 000 rows is
 * checked at once, not in 5 * 10^9 comparisons. 0, or -ENOMEM. */
static int s_ids_twice(s_csv_t *st)
{
    size_t *ix = malloc((st->nrows ? st->nrows : 1) * sizeof *ix);
    bool *later = calloc(st->nrows ? st->nrows : 1, sizeof *later);
    size_t n = 0;
    if (!ix || !later) {
        free(ix);
        free(later);
        return -ENOMEM;
    }
    for (size_t i = 0; i < st->nrows; i++)
        if (st->rows[i]->m.id)
            ix[n++] = i;
    s_sort_st = st;
    qsort(ix, n, sizeof *ix, s_by_id);
    for (size_t j = 1; j < n; j++)
        later[ix[j]] = strcmp(st->rows[ix[j]]->m.id, st->rows[ix[j - 1]]->m.id) == 0;
    for (size_t i = 0; i < st->nrows; i++)
        if (later[i]) {
            st->row = st->row_no[i];
            s_error(st, "id", st->rows[i]->m.id,
                    textfmt_from_en(st->lang, "ctl.mimport.", "id appears earlier in the file"));
        }
    free(ix);
    free(later);
    return 0;
}

/* The file into rows; errors printed as row;column;value;reason. 0 or an exit code. */
static int s_parse(const char *buf, size_t len, s_csv_t *st)
{
    const char *text = buf;
    char *conv = NULL;
    bool bom;
    int prc = csv_text_prepare(&text, &len, &conv, &bom, &st->check_utf8);
    if (prc == -EILSEQ) {   /* UTF-16 without its mark: said once, not a NUL in every cell */
        st->row = 1;
        s_error(st, "", "", textfmt_from_en(st->lang, "tender.csv.", CSV_UTF16_NO_BOM));
        return CTL_EX_DATAERR;
    }
    if (prc < 0)
        return CTL_EX_SOFTWARE;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(conv);
        return CTL_EX_SOFTWARE;
    }
    /* "sep=;" (Excel's marker) states the delimiter; the header is then the second record */
    size_t sep_len = csv_sep_line(text, len, &st->delim);
    if (sep_len)
        text += sep_len, len -= sep_len;
    else
        st->delim = csv_detect_delimiter(text, len);
    csv_set_delim(&p, (unsigned char)st->delim);
    st->row = 1;
    int ex = 0;
    if (csv_parse(&p, text, len, s_field, s_record, st) != len ||
        csv_fini(&p, s_field, s_record, st) != 0) {
        char why[128];
        s_why(why, sizeof why, st->lang, "malformed CSV (%s): nothing of the file is read",
              csv_strerror(csv_error(&p)));
        s_error(st, "", "", why);
        ex = CTL_EX_DATAERR;
    }
    csv_free(&p);
    free(conv);
    if (st->oom)
        return CTL_EX_SOFTWARE;
    if (!ex && st->ncols == 0) {
        st->row = 1;
        s_error(st, "", "", textfmt_from_en(st->lang, "ctl.mimport.",
                                            "empty file: no header line"));
        ex = CTL_EX_DATAERR;
    }
    s_check_ids(st);
    csv_dates_check(&st->dates, st->delim, st->lang, s_date_bad, st);
    s_number_styles(st);
    s_phases(st);
    if (s_ids_twice(st) < 0)
        return CTL_EX_SOFTWARE;
    return ex ? ex : st->errors ? CTL_EX_DATAERR : 0;
}

static uint64_t s_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* One pass over some rows of the file: idx[k] indexes st->rows; requests of `per` of them.
 * The first pass sends every row; a second one the rows an earlier run's stored reply
 * refused. */
typedef struct {
    const s_csv_t *st;
    size_t *idx, n, per, nreq;
    const char *kind;      /* "imp", "dry" or "again": the request ids' first word */
    const char *run;       /* --run, or this run's id for "again" */
    const char *corr;      /* this run's id: a reply carrying another one was stored before */
    uint8_t **reqs;
    size_t *lens;
    char (*rids)[128];
    bool *answered;
    size_t sent;           /* requests sent: the rest were not when the service fell silent */
    size_t *again;         /* rows (indexes) to send once more */
    size_t n_again;
} s_pass_t;

static size_t s_req_rows(const s_pass_t *ps, size_t r)
{
    size_t from = r * ps->per;
    return ps->n - from < ps->per ? ps->n - from : ps->per;
}

/* Pack request r of the pass. 0 or an exit code. */
static int s_pack_one(ctl_t *ctl, s_pass_t *ps, size_t r, bool dry)
{
    size_t from = r * ps->per, cnt = s_req_rows(ps, r);
    Mvoi__Measurement **mp = calloc(cnt, sizeof *mp);
    if (!mp)
        return CTL_EX_SOFTWARE;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < cnt; i++) {
        mp[i] = &ps->st->rows[ps->idx[from + i]]->m;
        size_t l = mvoi__measurement__get_packed_size(mp[i]);
        uint8_t *b = malloc(l ? l : 1);
        if (!b) {
            free(mp);
            return CTL_EX_SOFTWARE;
        }
        mvoi__measurement__pack(mp[i], b);
        h = s_fnv(h, b, l);
        free(b);
    }
    /* a stored reply is in the language of its run: another language, another id (nl's
     * stay those of the runs before there was a choice) */
    if (ctl->tl != TEXT_NL)
        h = s_fnv(h, text_lang_name(ctl->tl), 2);
    /* the same rows under the same --run: the same id, so the service answers from the reply
     * it stored and stores nothing twice */
    snprintf(ps->rids[r], sizeof ps->rids[r], "%s-%.48s-%zu-%016llx", ps->kind, ps->run,
             ps->st->row_no[ps->idx[from]], (unsigned long long)h);
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = cnt;
    sm.measurements = mp;
    sm.has_validate_only = sm.validate_only = dry;
    sm.lang = (char *)text_lang_name(ctl->tl);   /* the rows' refusals */
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.schema_version = CODEC_SCHEMA_VERSION;
    e.has_schema_version = 1;
    e.request_id = ps->rids[r];
    e.correlation_id = (char *)ps->corr;
    e.buyer = (char *)ctl->buyer;
    e.producer = "mvoictl";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    int rc = codec_pack(&e, &ps->reqs[r], &ps->lens[r]);
    free(mp);
    if (rc != 0)
        return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.rows_too_large",
                        ps->st->row_no[ps->idx[from]], ps->st->row_no[ps->idx[from + cnt - 1]]);
    return 0;
}

/* "submit_measurements.measurements[7].tender_id" -> "measurement.tender_id": the user
 * knows the row, not its index in a request; the service's message repeats its field
 * ("<field>: why"), which goes, so the report says the field once. */
static void s_item_error(const char *field, const char *message, char *fout, size_t fcap,
                         const char **mout)
{
    static const char pfx[] = "submit_measurements.measurements[";
    const char *f = field ? field : "", *m = message ? message : "";
    size_t fl = strlen(f);
    if (fl && strncmp(m, f, fl) == 0 && m[fl] == ':' && m[fl + 1] == ' ')
        m += fl + 2;
    const char *close = strncmp(f, pfx, sizeof pfx - 1) == 0 ? strchr(f, ']') : NULL;
    if (close)
        snprintf(fout, fcap, "measurement%s", close + 1);
    else
        snprintf(fout, fcap, "%s", f);
    *mout = m;
}

/* A refusal: in the report, or, when it is the stored verdict of an earlier run (against
 * what was stored then), to be asked again under a fresh request id. */
static void s_refused(s_pass_t *ps, ctl_import_report_t *rep, size_t k, bool repeated,
                      int code, const char *field, const char *message)
{
    if (repeated && code != MVOI__ERROR_CODE__ERR_UNAVAILABLE && ps->again) {
        ps->again[ps->n_again++] = k;
        return;
    }
    char f[128];
    const char *m;
    s_item_error(field, message, f, sizeof f, &m);
    if (code == MVOI__ERROR_CODE__ERR_PERMISSION_DENIED && field && !strcmp(field, "key")) {
        /* the key revoked mid-import: 77 and where to resume, not a row to correct */
        ctl_import_report_key(rep, ps->st->row_no[k], ps->st->rows[k]->m.id, m);
        return;
    }
    /* ERR_UNAVAILABLE is no verdict on the row ("storage failure ... retry", "stopped before
     * its commit was flushed"): unconfirmed and exit 69, as `tender import` says it. As a
     * refusal it was "failed" with exit 65, the code of a sheet to correct, not to retry. */
    if (code == MVOI__ERROR_CODE__ERR_UNAVAILABLE)
        ctl_import_report_unavailable(rep, ps->st->row_no[k], ps->st->rows[k]->m.id, f, m);
    else
        ctl_import_report_add(rep, ps->st->row_no[k], ps->st->rows[k]->m.id, 0, false, NULL, 0,
                              NULL, f, m);
}

/* One reply to request q: each result into the report under its row. */
static void s_account(s_pass_t *ps, size_t q, const Mvoi__Envelope *r, ctl_import_report_t *rep)
{
    bool repeated = !r->correlation_id || strcmp(r->correlation_id, ps->corr) != 0;
    const Mvoi__MeasurementReply *mr = r->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY
                                           ? r->measurement_reply : NULL;
    for (size_t i = 0, cnt = s_req_rows(ps, q); i < cnt; i++) {
        size_t k = ps->idx[q * ps->per + i];
        if (r->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            s_refused(ps, rep, k, repeated, r->error->code, r->error->field, r->error->message);
            continue;
        }
        const Mvoi__MeasurementResult *x = mr && i < mr->n_results ? mr->results[i] : NULL;
        if (!x)
            s_refused(ps, rep, k, false, 0, "", "unexpected reply");
        else if (!x->ok)
            s_refused(ps, rep, k, repeated, x->error ? (int)x->error->code : 0,
                      x->error ? x->error->field : "", x->error ? x->error->message : "");
        else   /* repeated: what an earlier run stored, not a fresh "stored" */
            ctl_import_report_add(rep, ps->st->row_no[k], ps->st->rows[k]->m.id,
                                  repeated || x->duplicate ? 3 : 1, repeated, NULL, 0, NULL,
                                  NULL, NULL);
    }
}

/* The reply's request, or -1 when it is none of this pass's. */
static long s_reply_req(const s_pass_t *ps, const Mvoi__Envelope *r)
{
    for (size_t q = 0; r->request_id && q < ps->nreq; q++)
        if (!ps->answered[q] && strcmp(r->request_id, ps->rids[q]) == 0)
            return (long)q;
    return -1;
}

/* Send the pass's requests, `window` in flight; replies matched by request id. 0 or
 * CTL_EX_UNAVAILABLE (ps->answered says which were answered), or EX_NOPERM (key refused). */
static int s_send(ctl_t *ctl, s_pass_t *ps, size_t window, ctl_import_report_t *rep)
{
    /* ctl_dealer_open: CURVE client and the handshake monitor, so that a refused key is
     * named at once (77) instead of looking like a calculator that stopped answering (69,
     * "unconfirmed" rows that were never taken). */
    ctl_dealer_t dl;
    int ex = ctl_dealer_open(ctl, "impact", &dl);
    if (ex != CTL_EX_OK)
        return ex;
    void *d = dl.sock;
    size_t sent = 0, done = 0;
    ctl_settle_t settle = { 0 };   /* requests the calculator asks to send again */
    while (done < ps->nreq) {
        while (sent < ps->nreq && sent - done < window)
            zmq_send(d, ps->reqs[sent], ps->lens[sent], 0), sent++;
        zmq_pollitem_t it[2] = { { d, 0, ZMQ_POLLIN, 0 }, { dl.mon, 0, ZMQ_POLLIN, 0 } };
        int pn = zmq_poll(it, dl.mon ? 2 : 1, ctl->timeout_ms);
        if (pn > 0 && (ex = ctl_dealer_refused(ctl, "impact", &dl, &it[1])) != 0)
            break;
        if (pn <= 0) {
            ex = ctl_fail(ctl, CTL_EX_UNAVAILABLE, "ctl.err.import_stalled", ctl->timeout_ms,
                          done, ps->nreq);
            break;
        }
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, d, 0);
        int err = 0;
        Mvoi__Envelope *r = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &err);
        zmq_msg_close(&m);
        long q = r ? s_reply_req(ps, r) : -1;
        if (q >= 0 && ctl_tender_pending(r) && ctl_settle_pause(ctl, &settle)) {
            /* a tender the calendar may have just registered: the same request again */
            zmq_send(d, ps->reqs[q], ps->lens[q], 0);
        } else if (q >= 0) {
            s_account(ps, (size_t)q, r, rep);
            ps->answered[q] = true;
            done++;
        }
        codec_free(&r);
    }
    ps->sent = sent;
    ctl_dealer_close(&dl);
    return ex;
}

/* The rows of the pass whose request was not answered, into the report as `tender import`
 * has them: sent, "unconfirmed" (stored or not, unknown); not sent, "failed" (not stored).
 * They were only counted: --json's results and the lines on stderr left them out, so a
 * script reading the results found no trace of a row the import may not have stored. */
static void s_unanswered(const ctl_t *ctl, const s_pass_t *ps, ctl_import_report_t *rep)
{
    for (size_t q = 0; ps->answered && q < ps->nreq; q++) {
        if (ps->answered[q])
            continue;
        bool sent = q < ps->sent;
        const char *why = textfmt_from_en(ctl->tl, "ctl.mimport.", sent ? "no answer from the "
                                          "service" : "not sent: the service had stopped "
                                          "answering");
        for (size_t i = 0, cnt = s_req_rows(ps, q); i < cnt; i++) {
            size_t k = ps->idx[q * ps->per + i];
            ctl_import_report_add(rep, ps->st->row_no[k], ps->st->rows[k]->m.id, sent ? 4 : 0,
                                  false, NULL, 0, NULL, "", why);
        }
    }
}

/* A pass whose connection the calculator refused at the handshake (EX_NOPERM: the second
 * one, after the first was taken): its rows were not taken, for the key, as a key revoked
 * mid-import. It was 77 with no summary at all, the rows the first pass stored unreported. */
static void s_key_refused(const ctl_t *ctl, s_pass_t *ps, ctl_import_report_t *rep)
{
    for (size_t q = 0; ps->answered && q < ps->nreq; q++) {
        if (ps->answered[q])
            continue;
        for (size_t i = 0, cnt = s_req_rows(ps, q); i < cnt; i++) {
            size_t k = ps->idx[q * ps->per + i];
            ctl_import_report_key(rep, ps->st->row_no[k], ps->st->rows[k]->m.id,
                                  ctl_text(ctl, "ctl.import.key_refused_again"));
        }
        ps->answered[q] = true;   /* accounted for: not "no answer" */
    }
}

static void s_summary(ctl_t *ctl, const s_csv_t *st, ctl_import_report_t *rep, bool dry,
                      size_t unconfirmed)
{
    size_t unchanged = rep->unchanged - rep->repeated;
    if (ctl->json) {
        printf("{\"dry_run\": %s, \"rows\": %zu, \"created\": %zu, \"unchanged\": %zu, ",
               dry ? "true" : "false", st->nrows, rep->created, unchanged);
        if (rep->repeated)
            printf("\"imported_earlier\": %zu, ", rep->repeated);
        if (unconfirmed)
            printf("\"unconfirmed\": %zu, ", unconfirmed);
        printf("\"failed\": %zu", rep->refused);
        ctl_import_key_json(rep, stdout);
        fputs(", \"results\": ", stdout);
        ctl_import_report_json_rows(rep, stdout);
        fputs("}\n", stdout);
        return;
    }
    if (dry) {
        ctl_import_report_print(rep, stdout, "ctl.import.key.row", ctl->tl);
        printf(ctl_text(ctl, "ctl.import.measure.dry"), st->nrows, rep->created, unchanged,
               rep->refused);
        putchar('\n');
        ctl_import_report_unconfirmed(rep, stdout, true, ctl->tl);
        return;
    }
    for (size_t i = 0; i < rep->n; i++) {
        const ctl_import_row_t *w = &rep->rows[i];
        if ((w->outcome == 0 && !w->key_refused) || w->outcome == 4)   /* the key's: once */
            fprintf(stderr, "%s: %s %zu %s: %s%s%s\n",
                    ctl_text(ctl, w->outcome ? "ctl.import.outcome.unconfirmed"
                                             : "ctl.import.outcome.failed"),
                    ctl_text(ctl, "ctl.import.key.row"), w->key, w->id ? w->id : "?",
                    w->field ? w->field : "", w->field && *w->field ? ": " : "",
                    w->message ? w->message : "");
    }
    printf(ctl_text(ctl, "ctl.import.measure.done"), st->nrows, rep->created, unchanged);
    if (rep->repeated)   /* the stored answer of that run: whether it is still there, unknown */
        printf(ctl_text(ctl, "ctl.import.measure.earlier"), rep->repeated);
    printf(ctl_text(ctl, "ctl.import.measure.refused"), rep->refused);
    putchar('\n');
    ctl_import_report_unconfirmed(rep, stdout, false, ctl->tl);
}

/* Allocate, pack and send one pass. 0 or an exit code. */
static int s_pass(ctl_t *ctl, s_pass_t *ps, size_t window, bool dry, bool want_again,
                  ctl_import_report_t *rep)
{
    ps->nreq = (ps->n + ps->per - 1) / ps->per;
    size_t nr = ps->nreq ? ps->nreq : 1;
    ps->reqs = calloc(nr, sizeof *ps->reqs);
    ps->lens = calloc(nr, sizeof *ps->lens);
    ps->rids = calloc(nr, sizeof *ps->rids);
    ps->answered = calloc(nr, sizeof *ps->answered);
    ps->again = want_again ? calloc(ps->n ? ps->n : 1, sizeof *ps->again) : NULL;
    if (!ps->reqs || !ps->lens || !ps->rids || !ps->answered || (want_again && !ps->again))
        return CTL_EX_SOFTWARE;
    for (size_t r = 0; r < ps->nreq; r++) {
        int ex = s_pack_one(ctl, ps, r, dry);
        if (ex)
            return ex;
    }
    return s_send(ctl, ps, window, rep);
}

static void s_pass_free(s_pass_t *ps)
{
    for (size_t r = 0; ps->reqs && r < ps->nreq; r++)
        free(ps->reqs[r]);
    free(ps->reqs);
    free(ps->lens);
    free(ps->rids);
    free(ps->answered);
    free(ps->again);
}

/* Send every row, then once more (fresh request ids) the rows that only an earlier run's
 * stored reply refused: their cause may have been fixed since. Summary and exit code. */
static int s_submit(ctl_t *ctl, const s_csv_t *st, const char *run, size_t per,
                    size_t window, bool dry)
{
    char corr[64];
    ctl_request_id(corr, sizeof corr, "run");
    ctl_import_report_t rep = { 0 };
    s_pass_t p1 = { .st = st, .n = st->nrows, .per = per, .kind = dry ? "dry" : "imp",
                    .run = run, .corr = corr };
    s_pass_t p2 = { .st = st, .per = per, .kind = "again", .run = corr, .corr = corr };
    int ex = CTL_EX_SOFTWARE;
    p1.idx = calloc(st->nrows ? st->nrows : 1, sizeof *p1.idx);
    if (p1.idx) {
        for (size_t i = 0; i < st->nrows; i++)
            p1.idx[i] = i;
        ex = s_pass(ctl, &p1, window, dry, true, &rep);
    }
    if (!ex && p1.n_again) {
        p2.idx = p1.again;
        p2.n = p1.n_again;
        ex = s_pass(ctl, &p2, window, dry, false, &rep);
        if (ex == EX_NOPERM) {   /* said by ctl_dealer_refused; the rows and the summary */
            s_key_refused(ctl, &p2, &rep);
            ex = 0;
        }
    }
    if (!ex || ex == CTL_EX_UNAVAILABLE) {
        s_unanswered(ctl, &p1, &rep);
        s_unanswered(ctl, &p2, &rep);
        for (size_t i = 0; !p2.answered && i < p1.n_again; i++) {   /* not asked again */
            size_t k = p1.again[i];
            ctl_import_report_add(&rep, st->row_no[k], st->rows[k]->m.id, 0, false, NULL, 0,
                                  NULL, "", textfmt_from_en(ctl->tl, "ctl.mimport.", "not sent: "
                                  "the service had stopped answering"));
        }
        s_summary(ctl, st, &rep, dry, rep.unconfirmed);
        if (rep.key_refused)
            ex = ctl_import_key_say(ctl, &rep, "impact", "ctl.import.key.row");
        else if (!ex && rep.unconfirmed)
            ex = CTL_EX_UNAVAILABLE;
        else if (!ex && rep.refused)
            ex = CTL_EX_DATAERR;
    }
    p2.idx = NULL;
    s_pass_free(&p1);
    s_pass_free(&p2);
    free(p1.idx);
    ctl_import_report_clear(&rep);
    return ex;
}

/* Row i's buyer cell (ctl_sheet_buyer_fn). */
static const char *s_row_buyer(const void *arg, size_t i, size_t *row)
{
    const s_csv_t *st = arg;
    *row = st->row_no[i];
    return st->rows[i]->m.buyer;
}

static int s_import(ctl_t *ctl, const char *path, const char *run, size_t per, size_t window,
                    bool dry)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = ctl_tender_read_all(path, &buf, &len);
    if (rc < 0)   /* why, as `tender import` says it: missing, too large, a read error */
        return ctl_fail(ctl, CTL_EX_NOINPUT, "ctl.import.cannot_read", path, strerror(-rc));
    ctl_cell_errs_t errs = { 0 };
    s_csv_t st = { .errout = dry ? stdout : stderr, .json = ctl->json ? &errs : NULL,
                   .lang = ctl->tl };
    int ex = s_parse(buf, len, &st);
    if (ctl->json && st.errors)
        ctl_cell_errs_json(&errs, stdout, dry);
    ctl_cell_errs_clear(&errs);
    if (ex == CTL_EX_DATAERR)
        ctl_fail(ctl, 0, dry ? "ctl.import.measure.cell_errors_dry"
                             : "ctl.import.measure.cell_errors", st.errors, path);
    if (!ex)   /* --buyer, MVOI_BUYER or the sheet's one buyer; else nothing sent */
        ex = ctl_buyer_of_sheet(ctl, s_row_buyer, &st, st.nrows);
    if (!ex)
        ex = s_submit(ctl, &st, run, per, window, dry);
    for (size_t i = 0; i < st.nrows; i++) {
        ctl_meas_fini(st.rows[i]);
        free(st.rows[i]);
    }
    free(st.rows);
    free(st.row_no);
    csv_dates_fini(&st.dates);
    for (int i = 0; i < st.ncols; i++)
        free(st.header[i]);
    free(st.header);
    free(buf);
    return ex;
}

int ctl_measure_import(ctl_t *ctl, int argc, char **argv)
{
    static const struct option o[] = { { "run", 1, 0, 'r' }, { "per", 1, 0, 'p' },
                                       { "window", 1, 0, 'w' }, { "dry-run", 0, 0, 'n' },
                                       { 0, 0, 0, 0 } };
    const char *run = "1";
    long per = 500, window = 16;
    int c, rc = 0;
    bool dry = false;
    optind = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 'r') run = optarg;
        else if (c == 'p') rc = ctl_opt_int(ctl, "per", optarg, 1, 10000, &per);
        else if (c == 'w') rc = ctl_opt_int(ctl, "window", optarg, 1, 1024, &window);
        else if (c == 'n') dry = true;
        else return CTL_EX_USAGE;
    }
    if (rc != 0)
        return rc;
    if (optind >= argc) {
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.measure_import_usage");
    }
    char dry_run[64];
    if (dry) {   /* a preview is never answered from a stored reply */
        ctl_request_id(dry_run, sizeof dry_run, "p");
        run = dry_run;
    }
    return s_import(ctl, argv[optind], run, (size_t)per, (size_t)window, dry);
}
