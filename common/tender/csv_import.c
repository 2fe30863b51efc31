/* csv_import: see csv_import.h for the accepted dialects and the decisions. */
#include "csv_import.h"
#include "csv_utf16.h"
#include "csv_dates.h"
#include "mvoi_id_text.h"
#include "textfmt.h"
#include "cal_date.h"
#include "cal_file.h"
#include "mvoi_id.h"
#include "mvoi_names.h"
#include "cal_str.h"
#include "csv_columns.h"
#include "tender_rules.h"
#include "tender_util.h"

#include <csv.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the importer --------------------------------------------------------------- */

typedef struct {
    const csv_import_opts_t *opts;
    csv_import_t *out;
    /* current record */
    char **cells;
    size_t *lens;         /* byte length of each cell (a NUL inside makes strlen shorter) */
    size_t n_cells, cap_cells;
    size_t rec_start;     /* line the current record started on */
    size_t pending_start; /* line a record would start on, 0 = unknown */
    size_t line;          /* line being fed */
    bool header_done;
    int col_cell[CSV_C_COUNT]; /* cell index of each column, -1 = absent */
    char **headers;
    size_t n_headers;
    csv_date_order_t order; /* DMY, MDY or GUARD */
    /* GUARD: the first date that reads only day-first / only month-first (row, cell) */
    size_t dmy_row, mdy_row;
    char dmy_cell[40], mdy_cell[40];   /* the date parser reads at most 39 bytes */
    /* a ';' sheet without a declared order: its dates, for the rule of the whole sheet */
    bool dutch;
    csv_dates_t dates;
    /* amounts: the first with a decimal point, and every one read as thousands */
    size_t dec_row;
    char dec_cell[64];
    struct s_thou { size_t row; char cell[64]; } *thou;
    size_t n_thou, cap_thou;
    bool check_utf8;        /* UTF-8 file that is not valid as a whole: check each cell */
    int rc; /* first fatal error */
    /* ids of the rows emitted so far (open addressing; the strings belong to the tenders) */
    const char **ids;
    size_t ids_cap, ids_n;
    size_t cap_tenders; /* allocated length of out->tenders and out->tender_rows */
} s_ctx_t;

static size_t s_id_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool s_id_seen(const s_ctx_t *x, const char *id)
{
    if (!x->ids_cap)
        return false;
    for (size_t i = s_id_hash(id) & (x->ids_cap - 1); x->ids[i]; i = (i + 1) & (x->ids_cap - 1))
        if (strcmp(x->ids[i], id) == 0)
            return true;
    return false;
}

static int s_id_add(s_ctx_t *x, const char *id)
{
    if ((x->ids_n + 1) * 2 > x->ids_cap) {
        size_t cap = x->ids_cap ? x->ids_cap * 2 : 1024;
        const char **n = calloc(cap, sizeof *n);
        if (!n)
            return -ENOMEM;
        for (size_t k = 0; k < x->ids_cap; k++) {
            if (!x->ids[k])
                continue;
            size_t i = s_id_hash(x->ids[k]) & (cap - 1);
            while (n[i])
                i = (i + 1) & (cap - 1);
            n[i] = x->ids[k];
        }
        free(x->ids);
        x->ids = n;
        x->ids_cap = cap;
    }
    size_t i = s_id_hash(id) & (x->ids_cap - 1);
    while (x->ids[i])
        i = (i + 1) & (x->ids_cap - 1);
    x->ids[i] = id;
    x->ids_n++;
    return 0;
}

/* words in a reason, in its language (TEXTFMT_WORD) */
#define S_DAY_FIRST TEXTFMT_WORD "tender.csv.word.day_first"
#define S_MONTH_FIRST TEXTFMT_WORD "tender.csv.word.month_first"

static int s_add_error(csv_import_t *out, size_t row, const char *column, const char *value,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* fmt (a catalogue "tender.csv." English text) in lang into out. */
static void __attribute__((format(printf, 4, 5)))
s_text(char *out, size_t len, text_lang_t lang, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(out, len, lang, "tender.csv.", fmt, ap);
    va_end(ap);
}

static int s_add_error(csv_import_t *out, size_t row, const char *column, const char *value,
                       const char *fmt, ...)
{
    csv_cell_error_t *ne = realloc(out->errors, (out->n_errors + 1) * sizeof *ne);
    if (!ne)
        return -ENOMEM;
    out->errors = ne;
    csv_cell_error_t *e = &ne[out->n_errors++];
    e->row = row;
    cal_str_copy(e->column, sizeof e->column, column ? column : "");
    cal_str_copy(e->value, sizeof e->value, value ? value : "");
    va_list ap;
    va_start(ap, fmt);   /* fmt: the English of a catalogue "tender.csv." entry */
    textfmt_vtr(e->reason, sizeof e->reason, out->lang, "tender.csv.", fmt, ap);
    va_end(ap);
    return 0;
}

static const char *s_cell(s_ctx_t *x, int col)
{
    int i = x->col_cell[col];
    return (i >= 0 && (size_t)i < x->n_cells) ? x->cells[i] : "";
}

static const char *s_col_label(s_ctx_t *x, int col)
{
    int i = x->col_cell[col];
    return i >= 0 ? x->headers[i] : csv_column_name(col);
}

static void s_free_cells(s_ctx_t *x)
{
    for (size_t i = 0; i < x->n_cells; i++)
        free(x->cells[i]);
    x->n_cells = 0;
}

static int s_add_ignored(csv_import_t *out, size_t column, const char *header)
{
    csv_ignored_t *n = realloc(out->ignored, (out->n_ignored + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    out->ignored = n;
    n[out->n_ignored].column = column;
    cal_str_copy(n[out->n_ignored].header, sizeof n->header, header);
    out->n_ignored++;
    return 0;
}

/* One cell as read: a NUL, a control character or (in a UTF-8 file that is not valid as a
 * whole) an invalid byte is an error at row/column. Returns 0, 1 (reported) or -ENOMEM. */
static int s_check_cell(s_ctx_t *x, size_t i, size_t row, const char *column)
{
    char label[80], why[192];
    if (csv_cell_check_lang(x->cells[i], x->lens[i], x->check_utf8, x->out->lang, why,
                            sizeof why) == 0)
        return 0;
    if (!*column && x->headers && i < x->n_headers)
        column = x->headers[i];
    if (!*column) {
        s_text(label, sizeof label, x->out->lang, "column %zu", i + 1);
        column = label;
    }
    int rc = s_add_error(x->out, row, column, "", "%s", why);
    return rc < 0 ? rc : 1;
}

/* Is the first line an iCalendar file's ("BEGIN:VCALENDAR", RFC 5545: names are
 * case-insensitive)? Such a file (an exported agenda, a kick-off invitation) read as a
 * sheet was refused for a missing id column, which named the wrong thing. */
static bool s_is_icalendar(char *first)
{
    cal_str_trim(first);
    return strcasecmp(first, "BEGIN:VCALENDAR") == 0;
}

static int s_header(s_ctx_t *x, size_t row)
{
    for (int c = 0; c < CSV_C_COUNT; c++)
        x->col_cell[c] = -1;
    int bad = 0;
    for (size_t i = 0; i < x->n_cells; i++)
        if ((bad = s_check_cell(x, i, row, "")) != 0)
            return bad < 0 ? bad : -EINVAL;
    x->headers = x->cells;
    x->n_headers = x->n_cells;
    x->cells = NULL;
    x->n_cells = x->cap_cells = 0;
    if (x->n_headers == 1 && s_is_icalendar(x->headers[0])) {
        /* there is no iCalendar import: said so, not "required column missing (id)" */
        s_add_error(x->out, row, x->headers[0], x->headers[0],
                    "an iCalendar file (.ics), not a sheet: tenders are imported from CSV or "
                    "OCDS JSON");
        return -EINVAL;
    }
    for (size_t i = 0; i < x->n_headers; i++) {
        cal_str_trim(x->headers[i]);
        int c = csv_column_of(x->headers[i]);
        if (c < 0) {
            /* not mapped: said in the summary, never silently dropped */
            int rc = s_add_ignored(x->out, i + 1, x->headers[i]);
            if (rc < 0)
                return rc;
            continue;
        }
        if (x->col_cell[c] >= 0) {
            s_add_error(x->out, row, x->headers[i], x->headers[i],
                        "column '%s' appears twice (also '%s')", csv_column_name(c), x->headers[x->col_cell[c]]);
            return -EINVAL;
        }
        x->col_cell[c] = (int)i;
    }
    if (x->col_cell[CSV_C_TITLE] < 0 && x->col_cell[CSV_C_DESC] >= 0) {
        /* "Omschrijving" as the only name of the opdracht: it is the title */
        x->col_cell[CSV_C_TITLE] = x->col_cell[CSV_C_DESC];
        x->col_cell[CSV_C_DESC] = -1;
    }
    for (int c = 0; c < CSV_C_COUNT; c++)
        if (x->col_cell[c] >= 0 && csv_column_field(c))
            x->out->stated[x->out->n_stated++] = csv_column_field(c);
    if (x->col_cell[CSV_C_PROC] >= 0)   /* the procedure is both method fields */
        x->out->stated[x->out->n_stated++] = "procurement_method_details";
    x->out->no_value_column = x->col_cell[CSV_C_VALUE] < 0;
    x->out->no_date_column = x->col_cell[CSV_C_PUB] < 0;
    x->out->has_status_column = x->col_cell[CSV_C_STATUS] >= 0;
    x->out->has_buyer_column = x->col_cell[CSV_C_BUYER] >= 0;
    static const int required[] = {CSV_C_ID, CSV_C_TITLE, CSV_C_KIND};
    for (size_t i = 0; i < 3; i++) {
        if (x->col_cell[required[i]] < 0) {
            s_add_error(x->out, row, csv_column_name(required[i]), "",
                        "required column missing (e.g. %s)",
                        required[i] == CSV_C_ID      ? TEXTFMT_WORD "tender.csv.word.id"
                        : required[i] == CSV_C_TITLE ? TEXTFMT_WORD "tender.csv.word.title"
                                                     : TEXTFMT_WORD "tender.csv.word.kind");
            return -EINVAL;
        }
    }
    return 0;
}

/* "klimaat:eis | circulair" -> themes with commitments. */
static int s_themes(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    char *s = strdup(s_cell(x, CSV_C_THEMES));
    int errs = 0;
    if (!s)
        return -ENOMEM;
    char *save = NULL;
    for (char *tok = strtok_r(s, ",|;/", &save); tok; tok = strtok_r(NULL, ",|;/", &save)) {
        cal_str_trim(tok);
        if (!*tok)
            continue;
        char *colon = strpbrk(tok, ":=");
        Mvoi__Commitment commit = MVOI__COMMITMENT__COMMIT_UNSPECIFIED;
        if (colon) {
            *colon = '\0';
            char *cm = cal_str_trim(colon + 1);
            cal_str_trim(tok);
            if (*cm && mvoi_commitment_parse(cm, &commit) < 0) {
                s_add_error(x->out, row, s_col_label(x, CSV_C_THEMES), cm,
                            "unknown commitment (eis, gunning, innovatie)");
                errs++;
                continue;
            }
        }
        Mvoi__Theme th;
        if (mvoi_theme_parse(tok, &th) < 0) {
            s_add_error(x->out, row, s_col_label(x, CSV_C_THEMES), tok,
                        "unknown theme (klimaat, circulair, milieu, isv, diversiteit_inclusie, social_return)");
            errs++;
            continue;
        }
        if (tender_add_theme(t, th, commit) < 0) {
            free(s);
            return -ENOMEM;
        }
    }
    free(s);
    return errs;
}

static int s_sdgs(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    char *s = strdup(s_cell(x, CSV_C_SDGS));
    int errs = 0;
    if (!s)
        return -ENOMEM;
    char *save = NULL;
    for (char *tok = strtok_r(s, ",|; ", &save); tok; tok = strtok_r(NULL, ",|; ", &save)) {
        char *p = tok;
        if (strncasecmp(p, "sdg", 3) == 0)
            p += 3;
        char *end;
        long v = strtol(p, &end, 10);
        if (!*p || *end || v < 1 || v > 17) {
            s_add_error(x->out, row, s_col_label(x, CSV_C_SDGS), tok, "not an SDG number 1..17");
            errs++;
            continue;
        }
        if (tender_add_sdg(t, (uint32_t)v) < 0) {
            free(s);
            return -ENOMEM;
        }
    }
    free(s);
    return errs;
}

/* A file whose layout does not say the order (GUARD) reads each date that reads only one
 * way that way: 13/1/2027 day-first, 1/13/2027 month-first. Both kinds in one file are a
 * contradiction (one of them is a typo, or two sheets were pasted together): which order
 * the other dates follow is then a guess, so the later one is refused. Notes the first of
 * each kind; true when v contradicts an earlier one (*v_dmy: v reads only day-first). */
static bool s_date_mixed(s_ctx_t *x, const char *v, size_t row, bool *v_dmy)
{
    char a[11], b[11];
    bool dmy = csv_parse_date_order(v, CSV_DATE_DMY, a) == 0;
    bool mdy = csv_parse_date_order(v, CSV_DATE_MDY, b) == 0;
    *v_dmy = dmy;
    if (dmy == mdy)
        return false;   /* ISO, or the same date both ways (12/12/2026) */
    size_t *mine = dmy ? &x->dmy_row : &x->mdy_row;
    char *cell = dmy ? x->dmy_cell : x->mdy_cell;
    if (!*mine) {
        *mine = row;
        cal_str_copy(cell, sizeof x->dmy_cell, v);
    }
    return (dmy ? x->mdy_row : x->dmy_row) != 0;
}

static int s_date_cell(s_ctx_t *x, int col, char **slot, size_t row, int *errs)
{
    char d[11];
    const char *v = s_cell(x, col);
    /* every cell, also one no date by itself: "12/25/2026" shows the sheet's other order */
    if (x->dutch && *v && csv_dates_add(&x->dates, row, s_col_label(x, col), v, strlen(v)) < 0)
        return -ENOMEM;
    int rc = csv_parse_date_order(v, x->order, d);
    if (rc == -ENODATA)
        return 0;
    if (rc == -ERANGE) {
        (*errs)++;
        return s_add_error(x->out, row, s_col_label(x, col), v,
                           "ambiguous date: day-month or month-day? (a '%c'-separated sheet is not "
                           "Dutch; declare the order: --date-order dmy or mdy)",
                           x->out->delimiter == '\t' ? 'T' : x->out->delimiter);
    }
    if (rc == -E2BIG) {
        (*errs)++;
        return s_add_error(x->out, row, s_col_label(x, col), v,
                           "longer than %d bytes: not a date (dd-mm-jjjj or yyyy-mm-dd)",
                           CSV_DATE_CELL_MAX);
    }
    if (rc < 0) {
        (*errs)++;
        return s_add_error(x->out, row, s_col_label(x, col), v,
                           "not a date (dd-mm-jjjj or yyyy-mm-dd) or no such day");
    }
    bool dmy;
    if (x->order == CSV_DATE_GUARD && s_date_mixed(x, v, row, &dmy)) {
        (*errs)++;
        return s_add_error(x->out, row, s_col_label(x, col), v,
                           "reads only %s, but row %zu has '%s', which reads only %s: the sheet "
                           "mixes date orders; declare it: --date-order dmy or mdy",
                           dmy ? S_DAY_FIRST : S_MONTH_FIRST, dmy ? x->mdy_row : x->dmy_row,
                           dmy ? x->mdy_cell : x->dmy_cell, dmy ? S_MONTH_FIRST : S_DAY_FIRST);
    }
    return cal_str_set(slot, d);
}

/* "Europees openbaar": the procedure the sheet states, as the procurement method it is
 * (tender_method.h). Returns 0, 1 (cell error) or -ENOMEM. */
static int s_procedure(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    const char *v = s_cell(x, CSV_C_PROC);
    Mvoi__Procedure p;
    if (!*v)
        return 0;
    if (mvoi_procedure_parse(v, &p) < 0) {
        int rc = s_add_error(x->out, row, s_col_label(x, CSV_C_PROC), v,
                             "unknown procedure (enkelvoudig onderhands, meervoudig onderhands, "
                             "nationaal openbaar, europees openbaar)");
        return rc < 0 ? rc : 1;
    }
    const char *method = tender_procedure_is_public(p) ? "open"
                         : p == MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS ? "limited" : "direct";
    if (cal_str_set(&t->procurement_method, method) < 0 ||
        cal_str_set(&t->procurement_method_details, mvoi_procedure_name(p)) < 0)
        return -ENOMEM;
    return 0;
}

/* The cells whole (s_row trimmed them): a copy into 256 bytes cut a longer address at a
 * character boundary, below the rules' 254, and the cut address was taken as another. */
static int s_person(s_ctx_t *x, Mvoi__Person **slot, int cname, int cemail)
{
    return tender_set_person(slot, s_cell(x, cname), s_cell(x, cemail));
}

/* The buyer cell, else the default buyer. The cell must be a buyer id as mvoi_id.h defines
 * it: the calendar refuses a whole command (every row of it) over one bad id, so a name
 * such as "Gemeente Leudal" is refused here, on its own row. 0, 1 (cell error), -ENOMEM. */
static int s_buyer(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    const char *v = s_cell(x, CSV_C_BUYER);
    char why[MVOI_ID_WHY_MAX];
    if (*v && mvoi_id_check_in(x->opts->lang, MVOI_ID_BUYER, v, why, sizeof why) != 0) {
        const char *eg = x->opts->default_buyer;
        if (!eg || mvoi_id_check_str(MVOI_ID_BUYER, eg, NULL, 0) != 0)
            eg = "heerlen";
        int rc = s_add_error(x->out, row, s_col_label(x, CSV_C_BUYER), v,
                             "not a buyer id: %s; the column must hold the buyer's id such as "
                             "'%s' (or be empty), not an organisation or department name",
                             why, eg);
        return rc < 0 ? rc : 1;
    }
    return cal_str_set(&t->buyer, *v ? v : x->opts->default_buyer);
}

/* The kind and value cells of a row: the number of errors. */
/* An amount read (v, at row) for the sheet's number styles: the first one with a decimal
 * point, each one read as thousands. 0 or -ENOMEM. */
static int s_note_amount(s_ctx_t *x, const char *v, size_t row)
{
    csv_dot_style_t st = csv_amount_dot_style(v);
    if (st == CSV_DOT_DECIMAL && !x->dec_row) {
        x->dec_row = row;
        cal_str_copy(x->dec_cell, sizeof x->dec_cell, v);
    }
    if (st != CSV_DOT_THOUSANDS)
        return 0;
    if (x->n_thou == x->cap_thou) {
        size_t cap = x->cap_thou ? x->cap_thou * 2 : 64;
        struct s_thou *n = realloc(x->thou, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        x->thou = n;
        x->cap_thou = cap;
    }
    x->thou[x->n_thou].row = row;
    cal_str_copy(x->thou[x->n_thou++].cell, sizeof x->thou->cell, v);
    return 0;
}

static int s_kind_value(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    int errs = 0, rc;
    const char *v;
    v = s_cell(x, CSV_C_KIND);
    if (*v) {
        if (mvoi_kind_parse(v, &t->kind) == 0)
            t->has_kind = 1;
        else
            errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_KIND), v,
                                "unknown kind (leveringen, diensten, werken / supplies, services, works)");
    }

    v = s_cell(x, CSV_C_VALUE);
    rc = csv_parse_amount_cents(v, &t->value_cents);
    if (rc == 0 && s_note_amount(x, v, row) < 0)
        return -ENOMEM;
    if (rc == 0)
        t->has_value_cents = 1;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_VALUE), v,
                            "not an amount in euros (e.g. 1.234.567,89 or 1234567.89)");
    return errs;
}

/* The SROI, pilot, status cells and the id's uniqueness: the number of errors. */
static int s_sroi_pilot_status(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    int errs = 0, rc;
    const char *v;
    v = s_cell(x, CSV_C_SROI);
    rc = csv_parse_percent_bp(v, &t->sroi_pct_bp);
    if (rc == 0)
        t->has_sroi_pct_bp = 1;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_SROI), v, "not a percentage (e.g. 5%% or 2,5)");

    bool b;
    v = s_cell(x, CSV_C_PILOT);
    rc = csv_parse_bool(v, &b);
    if (rc == 0)
        t->has_pilot = 1, t->pilot = b;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_PILOT), v, "not ja/nee/yes/no");

    v = s_cell(x, CSV_C_STATUS);
    if (*v) {
        if (mvoi_status_parse(v, &t->status) == 0)
            t->has_status = 1;
        else
            errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_STATUS), v, "unknown status");
    }

    /* repeated ids would silently overwrite each other in an upsert import */
    if (!cal_str_empty(t->id)) {
        if (s_id_seen(x, t->id))
            errs++, s_add_error(x->out, row, s_col_label(x, CSV_C_ID), t->id, "id appears earlier in the file");
    }
    return errs;
}

/* The tender's own rules (and derived fields, with thresholds): 0, 1 error or -ENOMEM. */
static int s_validate(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    tender_error_t te;
    int rc = tender_validate(t, &te);
    if (rc == 0 && x->opts->thresholds)
        rc = tender_derive(t, x->opts->thresholds, x->opts->isv, x->opts->today, &te);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0) {
        int col = csv_field_column(te.field);
        const char *label = col >= 0 && x->col_cell[col] >= 0 ? x->headers[x->col_cell[col]] : te.field;
        s_add_error(x->out, row, label, col >= 0 ? s_cell(x, col) : "", "%s",
                    tender_error_text(&te, x->opts->lang));
        return 1;
    }
    return 0;
}

/* Keep a good tender of row (the result owns it on success). 0 or -ENOMEM. */
static int s_append(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    if (x->out->n_tenders == x->cap_tenders) {
        /* doubling: two arrays growing a row at a time would copy each other around */
        size_t cap = x->cap_tenders ? x->cap_tenders * 2 : 256;
        Mvoi__Tender **nt = realloc(x->out->tenders, cap * sizeof *nt);
        if (nt)
            x->out->tenders = nt;
        size_t *nr = nt ? realloc(x->out->tender_rows, cap * sizeof *nr) : NULL;
        if (!nr)
            return -ENOMEM;
        x->out->tender_rows = nr;
        x->cap_tenders = cap;
    }
    if (s_id_add(x, t->id) < 0)
        return -ENOMEM;
    x->out->tender_rows[x->out->n_tenders] = row;
    x->out->tenders[x->out->n_tenders++] = t;
    return 0;
}

/* Non-empty cells beyond the header's columns (trimmed cells): each an error. Their value
 * was dropped without a word: "Dak; goot" unquoted in a ';' sheet shifts the rest of the
 * row, and a free-text cell at the end lost its tail. Empty ones (";;;" exported by a
 * spreadsheet) are nothing. Returns the count, or -ENOMEM. */
static int s_extra_cells(s_ctx_t *x, size_t row)
{
    int errs = 0;
    for (size_t i = x->n_headers; i < x->n_cells; i++) {
        if (!x->cells[i][0])
            continue;
        char label[32];
        s_text(label, sizeof label, x->out->lang, "column %zu", i + 1);
        if (s_add_error(x->out, row, label, x->cells[i], "more cells than the header has "
                        "columns (%zu): a separator inside a cell needs quotes", x->n_headers) < 0)
            return -ENOMEM;
        errs++;
    }
    return errs;
}

/* One data row -> tender, or cell errors. Returns 0 or -ENOMEM. */
static int s_row(s_ctx_t *x, size_t row)
{
    bool any = false;
    int errs = 0, rc = 0;
    for (size_t i = 0; i < x->n_cells; i++) {
        if ((rc = s_check_cell(x, i, row, "")) < 0)   /* on the bytes as read, before trimming */
            return rc;
        errs += rc;
        cal_str_trim(x->cells[i]);
        any = any || x->cells[i][0];
    }
    if (!any && !errs)
        return 0; /* spreadsheets export trailing ";;;;" rows */
    x->out->rows++;
    if ((rc = s_extra_cells(x, row)) < 0)
        return rc;
    errs += rc;
    if (errs)
        return 0; /* a cell that is not text: nothing of this row is read */

    Mvoi__Tender *t = tender_new();
    if (!t)
        return -ENOMEM;

    if ((rc = cal_str_set(&t->id, s_cell(x, CSV_C_ID))) < 0 || (rc = cal_str_set(&t->title, s_cell(x, CSV_C_TITLE))) < 0 ||
        (rc = cal_str_set(&t->purchasing_group, s_cell(x, CSV_C_GROUP))) < 0 ||
        (rc = cal_str_set(&t->cpv, s_cell(x, CSV_C_CPV))) < 0 ||
        (rc = cal_str_set(&t->sroi_exempt_reason, s_cell(x, CSV_C_SROI_EXEMPT))) < 0 ||
        (rc = cal_str_set(&t->description, s_cell(x, CSV_C_DESC))) < 0 ||
        (rc = cal_str_set(&t->source, "csv")) < 0)
        goto fail;
    if ((rc = s_buyer(x, t, row)) < 0)
        goto fail;
    errs += rc;
    if ((rc = s_procedure(x, t, row)) < 0)
        goto fail;
    errs += rc;

    errs += s_kind_value(x, t, row);

    if ((rc = s_date_cell(x, CSV_C_PUB, &t->planned_publication, row, &errs)) < 0 ||
        (rc = s_date_cell(x, CSV_C_START, &t->contract_start, row, &errs)) < 0 ||
        (rc = s_date_cell(x, CSV_C_END, &t->contract_end, row, &errs)) < 0)
        goto fail;

    if ((rc = s_person(x, &t->project_leader, CSV_C_PL, CSV_C_PL_EMAIL)) < 0 ||
        (rc = s_person(x, &t->budget_holder, CSV_C_BH, CSV_C_BH_EMAIL)) < 0 ||
        (rc = s_person(x, &t->procurement_adviser, CSV_C_ADV, CSV_C_ADV_EMAIL)) < 0)
        goto fail;

    if ((rc = s_themes(x, t, row)) < 0)
        goto fail;
    errs += rc;
    if ((rc = s_sdgs(x, t, row)) < 0)
        goto fail;
    errs += rc;

    errs += s_sroi_pilot_status(x, t, row);

    if (errs == 0) {
        if ((rc = s_validate(x, t, row)) < 0)
            goto fail;
        errs += rc;
    }
    if (errs) {
        tender_free(t);
        return 0;
    }
    if ((rc = s_append(x, t, row)) < 0)
        goto fail;
    return 0;
fail:
    tender_free(t);
    return rc;
}

static void s_cb_field(void *s, size_t len, void *data)
{
    s_ctx_t *x = data;
    if (x->rc)
        return;
    if (x->n_cells == 0)
        x->rec_start = x->pending_start ? x->pending_start : x->line;
    if (x->n_cells == x->cap_cells) {
        size_t nc = x->cap_cells ? x->cap_cells * 2 : 32;
        if (nc > 4096) {
            x->rc = -E2BIG;
            return;
        }
        char **n = realloc(x->cells, nc * sizeof *n);
        if (n)
            x->cells = n;
        size_t *nl = n ? realloc(x->lens, nc * sizeof *nl) : NULL;
        if (!nl) {
            x->rc = -ENOMEM;
            return;
        }
        x->lens = nl, x->cap_cells = nc;
    }
    char *c = malloc(len + 1);
    if (!c) {
        x->rc = -ENOMEM;
        return;
    }
    if (len)
        memcpy(c, s, len);
    c[len] = '\0';
    x->lens[x->n_cells] = len;
    x->cells[x->n_cells++] = c;
}

static void s_cb_record(int term, void *data)
{
    s_ctx_t *x = data;
    (void)term;
    if (x->rc)
        return;
    size_t row = x->rec_start ? x->rec_start : x->line;
    if (!x->header_done) {
        x->header_done = true;
        x->rc = s_header(x, row);
    } else {
        x->rc = s_row(x, row);
        s_free_cells(x);
    }
    x->pending_start = 0;
    x->rec_start = 0;
}

/* The end of the physical line at pos: after "\n", after "\r\n", or after a lone "\r" (a
 * sheet saved with old Mac line ends, which libcsv reads as records too: split at '\n' only,
 * the whole file was line 1 and every row was reported as row 1). */
static size_t s_line_end(const char *data, size_t len, size_t pos)
{
    for (size_t i = pos; i < len; i++) {
        if (data[i] == '\n')
            return i + 1;
        if (data[i] == '\r')
            return i + 1 < len && data[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return len;
}

/* Row's tender, if emitted (the row had no other error), taken back: a later check of the
 * sheet as a whole refused a cell of it. */
static void s_take_back(csv_import_t *out, size_t row)
{
    for (size_t i = 0; i < out->n_tenders; i++)
        if (out->tender_rows[i] == row) {
            tender_free(out->tenders[i]);
            memmove(&out->tenders[i], &out->tenders[i + 1],
                    (out->n_tenders - i - 1) * sizeof *out->tenders);
            memmove(&out->tender_rows[i], &out->tender_rows[i + 1],
                    (out->n_tenders - i - 1) * sizeof *out->tender_rows);
            out->n_tenders--;
            return;
        }
}

/* A date the sheet's rule refuses (csv_dates.h; why is in the reader's language): an
 * error at its row, whose tender is taken back. */
static void s_date_refused(void *arg, size_t row, const char *column, const char *value,
                           const char *why)
{
    s_ctx_t *x = arg;
    if (s_add_error(x->out, row, column, value, "%s", why) < 0)
        x->rc = -ENOMEM;
    else
        s_take_back(x->out, row);
}

/* The sheet's amounts: with one written with a decimal point ("2.50"), each "1.234" it
 * read as 1234 euros may as well be 1,234: a factor of 1000, as in the measurement import.
 * Each such cell is refused, naming the first amount with a decimal point. */
static int s_amount_styles(s_ctx_t *x)
{
    for (size_t i = 0; x->dec_row && i < x->n_thou; i++) {
        if (s_add_error(x->out, x->thou[i].row, s_col_label(x, CSV_C_VALUE), x->thou[i].cell,
                        "reads as thousands, but row %zu has '%s', with a decimal point: the "
                        "sheet mixes number styles; write the amount without a separator (1234) "
                        "or with cents (1.234,00)", x->dec_row, x->dec_cell) < 0)
            return -ENOMEM;
        s_take_back(x->out, x->thou[i].row);
    }
    return 0;
}

int csv_import_parse(const char *data, size_t len, const csv_import_opts_t *opts, csv_import_t *out)
{
    static const csv_import_opts_t no_opts = {0};
    memset(out, 0, sizeof *out);
    if (!data)
        return -EINVAL;
    if (!opts)
        opts = &no_opts;
    out->lang = opts->lang;
    char *conv = NULL;
    bool check_utf8 = false;
    out->utf16 = csv_utf16_bom(data, len) != 0;
    int prc = csv_text_prepare(&data, &len, &conv, &out->had_bom, &check_utf8);
    if (prc == -EILSEQ)   /* the file, once, not "control character 0x00" in every cell */
        return s_add_error(out, 1, "", "", CSV_UTF16_NO_BOM) < 0 ? -ENOMEM : -EINVAL;
    if (prc < 0)
        return prc;
    out->converted_cp1252 = conv != NULL && !out->utf16;
    /* "sep=;": the delimiter stated; the line is not counted, as Excel does not show it */
    size_t sep_len = csv_sep_line(data, len, &out->delimiter);
    if (sep_len)
        data += sep_len, len -= sep_len;
    else
        out->delimiter = csv_detect_delimiter(data, len);

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(conv);
        return -ENOMEM;
    }
    csv_set_delim(&p, (unsigned char)out->delimiter);
    s_ctx_t x = {.opts = opts, .out = out, .check_utf8 = check_utf8};
    x.order = opts->date_order != CSV_DATE_AUTO ? opts->date_order
              : out->delimiter == ';'         ? CSV_DATE_DMY
                                              : CSV_DATE_GUARD;
    x.dutch = opts->date_order == CSV_DATE_AUTO && out->delimiter == ';';
    for (int c = 0; c < CSV_C_COUNT; c++)
        x.col_cell[c] = -1;

    /* Feed one physical line at a time so every record knows the line it starts on. */
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0 && x.rc == 0) {
        size_t end = s_line_end(data, len, pos);
        x.line++;
        if (x.n_cells == 0 && x.pending_start == 0)
            x.pending_start = x.line;
        size_t fed = csv_parse(&p, data + pos, end - pos, s_cb_field, s_cb_record, &x);
        if (fed != end - pos) {
            s_add_error(out, x.line, "", "", "malformed CSV (%s) on line %zu",
                        csv_strerror(csv_error(&p)), x.line);
            rc = -EINVAL;
        }
        /* a blank line is skipped by libcsv: the next record starts after it */
        if (x.pending_start == x.line && x.n_cells == 0) {
            bool blank = true;
            for (size_t i = pos; i < end; i++)
                if (data[i] != '\r' && data[i] != '\n')
                    blank = false;
            if (blank)
                x.pending_start = 0;
        }
        pos = end;
    }
    if (rc == 0 && x.rc == 0 && csv_fini(&p, s_cb_field, s_cb_record, &x) != 0) {
        s_add_error(out, x.rec_start ? x.rec_start : x.line, "", "",
                    "malformed CSV: unterminated quoted cell");
        rc = -EINVAL;
    }
    csv_free(&p);
    if (rc == 0 && x.rc == -E2BIG) {
        s_add_error(out, x.rec_start, "", "", "more than 4096 cells in a row");
        rc = -EINVAL;
    } else if (rc == 0 && x.rc) {
        rc = x.rc;
    }
    if (rc == 0 && !x.header_done) {
        s_add_error(out, 1, "", "", "empty file: no header line");
        rc = -EINVAL;
    }
    if (rc == 0 && x.dutch) {   /* as the measurement import: the sheet as a whole */
        csv_dates_check(&x.dates, ';', out->lang, s_date_refused, &x);
        rc = x.rc;
    }
    if (rc == 0)
        rc = s_amount_styles(&x);
    csv_dates_fini(&x.dates);
    free(x.thou);
    s_free_cells(&x);
    free(x.cells);
    free(x.lens);
    free(x.ids);
    for (size_t i = 0; i < x.n_headers; i++)
        free(x.headers[i]);
    free(x.headers);
    free(conv);
    return rc;
}

int csv_import_file(const char *path, const csv_import_opts_t *opts, csv_import_t *out)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    int rc = cal_file_read(path, 16u << 20, &buf, &len);
    if (rc < 0)
        return rc;
    rc = csv_import_parse(buf, len, opts, out);
    free(buf);
    return rc;
}

void csv_import_clear(csv_import_t *out)
{
    if (!out)
        return;
    for (size_t i = 0; i < out->n_tenders; i++)
        tender_free(out->tenders[i]);
    free(out->tenders);
    free(out->tender_rows);
    free(out->errors);
    free(out->ignored);
    memset(out, 0, sizeof *out);
}
