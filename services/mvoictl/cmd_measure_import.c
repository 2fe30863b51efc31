/*  mvoictl measure import: a supplier's spreadsheet of measurements, under the rules of the
 *  tender import (csv_import.h): UTF-8 (a bad byte in a UTF-8 file is an error at its row
 *  and column) or, for a file that is not UTF-8 at all, Windows-1252; NUL and control
 *  characters refused at row and column; ';', ',' or TAB as delimiter; every column a field
 *  (an unknown header is an error, not ignored); an id twice in the file is an error. A file
 *  with any bad cell imports nothing.
 *
 *  Requests of --per rows (default 500), --window requests in flight on one DEALER; request
 *  ids "imp-<run>-<first row>-<hash of the rows>", so the same file with the same --run
 *  (default "1") is answered from the stored replies; the measurement id keeps any run
 *  idempotent (same id, same content: "unchanged"; other content: refused, use correct).
 *  --dry-run sends the same requests with validate_only: the impact-calculator judges every
 *  row as the import would (tender known, not cancelled, duplicate or conflicting id) and
 *  stores nothing. Rows are numbered as records, header = row 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <csv.h>

#include "cmd_import_report.h"
#include "cmd_measure.h"
#include "cmd_tender.h"
#include "codec.h"
#include "csv_import.h"
#include "mvoi_curve.h"

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
} s_csv_t;

static void s_error(s_csv_t *c, const char *column, const char *value, const char *why)
{
    fprintf(c->errout, "%zu;%s;%s;%s\n", c->row, column, value, why);
    c->errors++;
}

/* A new measurement for the row being read. false when out of memory. */
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
    c->row_no[c->nrows++] = c->row;
    return true;
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
    snprintf(label, sizeof label, "column %d", c->col + 1);
    const char *col = c->row > 1 && c->col < c->ncols ? c->header[c->col] : label;
    bool bad = csv_cell_check(v, len, c->check_utf8, why, sizeof why) != 0;
    if (bad)
        s_error(c, col, "", why);
    if (c->row == 1) {
        char **h = realloc(c->header, (size_t)(c->ncols + 1) * sizeof *h);
        if (!h) {
            c->oom = true;
            free(v);
            return;
        }
        if (!bad && !ctl_meas_known(v))
            s_error(c, label, v, "unknown column (the field names of mvoictl measure add)");
        c->header = h;
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
            s_error(c, label, v, "more fields than the header");
    } else if (ctl_meas_set(x, c->header[c->col], v) != 0) {
        s_error(c, c->header[c->col], v, x->err);
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
    }
    c->cur_any = false;
    c->row++;
    c->col = 0;
}

/* The file into rows; errors printed as row;column;value;reason. 0 or an exit code. */
static int s_parse(const char *buf, size_t len, s_csv_t *st)
{
    const char *text = buf;
    char *conv = NULL;
    bool bom;
    if (csv_text_prepare(&text, &len, &conv, &bom, &st->check_utf8) < 0)
        return CTL_EX_SOFTWARE;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(conv);
        return CTL_EX_SOFTWARE;
    }
    csv_set_delim(&p, (unsigned char)csv_detect_delimiter(text, len));
    st->row = 1;
    int ex = 0;
    if (csv_parse(&p, text, len, s_field, s_record, st) != len ||
        csv_fini(&p, s_field, s_record, st) != 0) {
        fprintf(stderr, "mvoictl: row %zu: malformed CSV (%s)\n", st->row, csv_strerror(csv_error(&p)));
        ex = CTL_EX_DATAERR;
    }
    csv_free(&p);
    free(conv);
    if (st->oom)
        return CTL_EX_SOFTWARE;
    /* an id twice would make the second a duplicate or a conflict of the first */
    for (size_t i = 0; i < st->nrows; i++) {
        ctl_meas_t *x = st->rows[i];
        if (!x->m.has_phase) {
            x->m.has_phase = 1;
            x->m.phase = MVOI__PHASE__PHASE_REALISATION;
        }
        for (size_t k = 0; k < i && x->m.id; k++)
            if (st->rows[k]->m.id && strcmp(st->rows[k]->m.id, x->m.id) == 0) {
                st->row = st->row_no[i];
                s_error(st, "id", x->m.id, "id appears earlier in the file");
                break;
            }
    }
    return ex ? ex : st->errors ? CTL_EX_DATAERR : 0;
}

static uint64_t s_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Pack the requests of `per` rows each. 0 or an exit code. */
static int s_pack(ctl_t *ctl, const s_csv_t *st, const char *run, size_t per, bool dry,
                  uint8_t **reqs, size_t *lens, char (*rids)[96], size_t nreq)
{
    for (size_t r = 0; r < nreq; r++) {
        size_t from = r * per, cnt = st->nrows - from < per ? st->nrows - from : per;
        Mvoi__Measurement **mp = calloc(cnt, sizeof *mp);
        if (!mp)
            return CTL_EX_SOFTWARE;
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < cnt; i++) {
            mp[i] = &st->rows[from + i]->m;
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
        snprintf(rids[r], sizeof rids[r], "%s-%.32s-%zu-%016llx", dry ? "dry" : "imp", run,
                 from + 1, (unsigned long long)h);
        Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
        sm.n_measurements = cnt;
        sm.measurements = mp;
        sm.has_validate_only = sm.validate_only = dry;
        Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
        e.schema_version = CODEC_SCHEMA_VERSION;
        e.has_schema_version = 1;
        e.request_id = rids[r];
        e.buyer = (char *)ctl->buyer;
        e.producer = "mvoictl";
        e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
        e.submit_measurements = &sm;
        int rc = codec_pack(&e, &reqs[r], &lens[r]);
        free(mp);
        if (rc != 0) {
            return ctl_fail(ctl, CTL_EX_DATAERR, "ctl.err.rows_too_large", st->row_no[from],
                            st->row_no[from + cnt - 1]);
        }
    }
    return 0;
}

/* One reply: each result into the report under its row. */
static void s_account(ctl_t *ctl, const s_csv_t *st, size_t first, size_t cnt,
                      const Mvoi__Envelope *r, ctl_import_report_t *rep)
{
    for (size_t i = 0; i < cnt; i++) {
        size_t k = first + i;
        const char *id = st->rows[k]->m.id;
        if (r->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            ctl_import_report_add(rep, st->row_no[k], id, 0, false, NULL, 0, NULL,
                                  r->error->field, r->error->message);
            continue;
        }
        const Mvoi__MeasurementReply *mr = r->measurement_reply;
        const Mvoi__MeasurementResult *x = mr && i < mr->n_results ? mr->results[i] : NULL;
        if (!x || !x->ok)
            ctl_import_report_add(rep, st->row_no[k], id, 0, false, NULL, 0, NULL,
                                  x && x->error ? x->error->field : "",
                                  x && x->error ? x->error->message : "unexpected reply");
        else
            ctl_import_report_add(rep, st->row_no[k], id, x->duplicate ? 3 : 1, false, NULL, 0,
                                  NULL, NULL, NULL);
    }
    (void)ctl;
}

/* Send the requests, `window` in flight; replies matched by request id. 0 or an exit code. */
static int s_send(ctl_t *ctl, const s_csv_t *st, size_t per, size_t window, uint8_t **reqs,
                  size_t *lens, char (*rids)[96], size_t nreq, ctl_import_report_t *rep)
{
    void *zctx = zmq_ctx_new(), *d = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0, ex = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    mvoi_curve_client(d, ctl_endpoint("impact"));
    zmq_connect(d, ctl_endpoint("impact"));
    size_t sent = 0, done = 0;
    while (done < nreq) {
        while (sent < nreq && sent - done < window)
            zmq_send(d, reqs[sent], lens[sent], 0), sent++;
        zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, ctl->timeout_ms) <= 0) {
            ex = ctl_fail(ctl, CTL_EX_UNAVAILABLE, "ctl.err.import_stalled", ctl->timeout_ms,
                          done, nreq);
            break;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, d, 0);
        int err = 0;
        Mvoi__Envelope *r = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &err);
        zmq_msg_close(&m);
        if (!r)
            continue;
        for (size_t q = 0; q < nreq; q++) {
            if (r->request_id && strcmp(r->request_id, rids[q]) == 0) {
                size_t first = q * per, cnt = st->nrows - first < per ? st->nrows - first : per;
                s_account(ctl, st, first, cnt, r, rep);
                done++;
                break;
            }
        }
        codec_free(&r);
    }
    zmq_close(d);
    zmq_ctx_term(zctx);
    return ex;
}

static void s_summary(ctl_t *ctl, const s_csv_t *st, ctl_import_report_t *rep, bool dry)
{
    if (ctl->json) {
        printf("{\"dry_run\": %s, \"rows\": %zu, \"created\": %zu, \"unchanged\": %zu, "
               "\"failed\": %zu, \"results\": ", dry ? "true" : "false", st->nrows,
               rep->created, rep->unchanged, rep->refused);
        ctl_import_report_json_rows(rep, stdout);
        fputs("}\n", stdout);
        return;
    }
    if (dry) {
        ctl_import_report_print(rep, stdout, "row");
        printf("%zu row(s): would store %zu, leave %zu unchanged (already there), refuse %zu "
               "(dry run: nothing stored)\n", st->nrows, rep->created, rep->unchanged, rep->refused);
        return;
    }
    for (size_t i = 0; i < rep->n; i++)
        if (rep->rows[i].outcome == 0)
            fprintf(stderr, "failed: row %zu %s: %s%s%s\n", rep->rows[i].key,
                    rep->rows[i].id ? rep->rows[i].id : "?", rep->rows[i].field ? rep->rows[i].field : "",
                    rep->rows[i].field ? ": " : "", rep->rows[i].message ? rep->rows[i].message : "");
    printf("%zu row(s): %zu stored, %zu unchanged (already there), %zu refused\n", st->nrows,
           rep->created, rep->unchanged, rep->refused);
}

static int s_import(ctl_t *ctl, const char *path, const char *run, size_t per, size_t window,
                    bool dry)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = ctl_tender_read_all(path, &buf, &len);
    if (rc < 0) {
        return ctl_fail(ctl, CTL_EX_NOINPUT, "ctl.err.no_file", path);
    }
    s_csv_t st = { .errout = dry ? stdout : stderr };
    ctl_import_report_t rep = { 0 };
    int ex = s_parse(buf, len, &st);
    if (ex == CTL_EX_DATAERR)
        fprintf(stderr, "mvoictl: %zu error(s) in %s (row;column;value;reason); nothing %s\n",
                st.errors, path, dry ? "would be stored" : "stored");
    size_t nreq = (st.nrows + per - 1) / per;
    uint8_t **reqs = calloc(nreq ? nreq : 1, sizeof *reqs);
    size_t *lens = calloc(nreq ? nreq : 1, sizeof *lens);
    char (*rids)[96] = calloc(nreq ? nreq : 1, sizeof *rids);
    if (!ex && (!reqs || !lens || !rids))
        ex = CTL_EX_SOFTWARE;
    if (!ex)
        ex = s_pack(ctl, &st, run, per, dry, reqs, lens, rids, nreq);
    if (!ex)
        ex = s_send(ctl, &st, per, window, reqs, lens, rids, nreq, &rep);
    if (!ex || ex == CTL_EX_UNAVAILABLE) {
        s_summary(ctl, &st, &rep, dry);
        if (!ex && rep.refused)
            ex = CTL_EX_DATAERR;
    }
    for (size_t r = 0; reqs && r < nreq; r++)
        free(reqs[r]);
    free(reqs);
    free(lens);
    free(rids);
    ctl_import_report_clear(&rep);
    for (size_t i = 0; i < st.nrows; i++) {
        ctl_meas_fini(st.rows[i]);
        free(st.rows[i]);
    }
    free(st.rows);
    free(st.row_no);
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
    int per = 500, window = 16, c;
    bool dry = false;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
        if (c == 'r') run = optarg;
        else if (c == 'p') per = atoi(optarg);
        else if (c == 'w') window = atoi(optarg);
        else if (c == 'n') dry = true;
        else return CTL_EX_USAGE;
    }
    if (optind >= argc || per < 1 || per > 10000 || window < 1) {
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.measure_import_usage");
    }
    char dry_run[64];
    if (dry) {   /* a preview is never answered from a stored reply */
        ctl_request_id(dry_run, sizeof dry_run, "p");
        run = dry_run;
    }
    return s_import(ctl, argv[optind], run, (size_t)per, (size_t)window, dry);
}
