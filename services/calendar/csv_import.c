/* csv_import: see csv_import.h for the accepted dialects and the decisions. */
#include "csv_import.h"
#include "cal_date.h"
#include "cal_file.h"
#include "cal_names.h"
#include "cal_str.h"
#include "tender_rules.h"
#include "tender_util.h"

#include <csv.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- cell parsers ---------------------------------------------------------------- */

static bool s_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads 1..maxd digits; returns count. */
static int s_digits(const char **p, int maxd, int *val)
{
    int n = 0, v = 0;
    while (s_digit(**p) && n < maxd + 1) {
        v = v * 10 + (**p - '0');
        (*p)++, n++;
    }
    *val = v;
    return n > maxd ? -1 : n;
}

int csv_parse_date(const char *s, char out[11])
{
    char buf[40];
    if (!s)
        return -ENODATA;
    cal_str_copy(buf, sizeof buf, s);
    cal_str_trim(buf);
    if (!*buf)
        return -ENODATA;
    /* "01-03-2025 00:00" from a spreadsheet: the time part carries nothing for a date */
    char *sp = strchr(buf, ' ');
    if (sp) {
        if (strspn(sp + 1, "0123456789:") != strlen(sp + 1))
            return -EINVAL;
        *sp = '\0';
    }
    const char *p = buf;
    int a, b, c, y, m, d;
    int na = s_digits(&p, 4, &a);
    if (na <= 0 || !*p)
        return -EINVAL;
    char sep = *p++;
    if (sep != '-' && sep != '/' && sep != '.')
        return -EINVAL;
    int nb = s_digits(&p, 2, &b);
    if (nb <= 0 || *p++ != sep)
        return -EINVAL;
    int nc = s_digits(&p, 4, &c);
    if (nc <= 0 || *p)
        return -EINVAL;
    if (na == 4 && sep == '-' && nc <= 2)
        y = a, m = b, d = c; /* ISO yyyy-mm-dd */
    else if (na <= 2 && nc == 4)
        d = a, m = b, y = c; /* Dutch dd-mm-jjjj */
    else
        return -EINVAL;
    if (!cal_date_ymd_valid(y, m, d))
        return -EINVAL;
    cal_date_format(out, y, m, d);
    return 0;
}

/* Drop everything that decorates an amount: currency, spaces (incl. no-break), ",-". */
static int s_amount_clean(const char *s, char *o, size_t olen)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p == ' ' || *p == '\t') {
            p++;
        } else if (p[0] == 0xC2 && p[1] == 0xA0) {
            p += 2; /* U+00A0 no-break space */
        } else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF) {
            p += 3; /* U+202F narrow no-break space (French/Excel grouping) */
        } else if (p[0] == 0xE2 && p[1] == 0x82 && p[2] == 0xAC) {
            p += 3; /* euro sign */
        } else if ((p[0] == 'E' || p[0] == 'e') && (p[1] == 'U' || p[1] == 'u') && (p[2] == 'R' || p[2] == 'r')) {
            p += 3;
        } else {
            if (n + 1 >= olen)
                return -EINVAL;
            o[n++] = (char)*p++;
        }
    }
    o[n] = '\0';
    if (n >= 2 && o[n - 1] == '-' && (o[n - 2] == ',' || o[n - 2] == '.'))
        o[n - 2] = '\0';
    else if (n >= 3 && o[n - 1] == '-' && o[n - 2] == '-' && (o[n - 3] == ',' || o[n - 3] == '.'))
        o[n - 3] = '\0';
    return 0;
}

int csv_parse_amount_cents(const char *s, int64_t *cents)
{
    char b[64];
    if (!s)
        return -ENODATA;
    if (s_amount_clean(s, b, sizeof b) < 0)
        return -EINVAL;
    if (!*b)
        return -ENODATA;
    size_t n = strlen(b);
    int dots = 0, commas = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '.')
            dots++;
        else if (b[i] == ',')
            commas++;
        else if (!s_digit(b[i]))
            return -EINVAL; /* signs, letters: not an amount (negative values are refused) */
    }
    char dec = 0; /* decimal separator, 0 = none */
    if (dots && commas) {
        dec = strrchr(b, '.') > strrchr(b, ',') ? '.' : ',';
        if ((dec == '.' ? dots : commas) != 1)
            return -EINVAL;
    } else if (dots + commas == 1) {
        char sep = dots ? '.' : ',';
        const char *at = strchr(b, sep);
        size_t before = (size_t)(at - b), after = n - before - 1;
        dec = (after == 3 && before >= 1 && before <= 3) ? 0 : sep;
    }
    char thou = dec ? (dec == '.' ? ',' : '.') : (dots ? '.' : ',');
    /* integer part: digits with optional thousands separators in groups of three */
    const char *p = b, *end = dec ? strrchr(b, dec) : b + n;
    int64_t euros = 0;
    int group = 0, ndig = 0;
    bool grouped = false;
    for (; p < end; p++) {
        if (*p == thou) {
            if ((grouped && group != 3) || (!grouped && (group < 1 || group > 3)))
                return -EINVAL;
            grouped = true, group = 0;
            continue;
        }
        if (++ndig > 13)
            return -EINVAL; /* beyond any plausible contract value; keeps int64 safe */
        euros = euros * 10 + (*p - '0');
        group++;
    }
    if (ndig == 0 || (grouped && group != 3))
        return -EINVAL;
    int64_t c = euros * 100;
    if (dec) {
        const char *f = end + 1;
        size_t nf = strlen(f);
        if (nf == 0 || strchr(f, thou))
            return -EINVAL;
        int64_t frac2 = 0;
        for (size_t i = 0; i < 2; i++)
            frac2 = frac2 * 10 + (i < nf ? f[i] - '0' : 0);
        /* the one rounding rule of the calendar: half up on cents */
        if (nf > 2 && f[2] >= '5')
            frac2++;
        c += frac2;
    }
    *cents = c;
    return 0;
}

int csv_parse_percent_bp(const char *s, uint32_t *bp)
{
    char b[32];
    size_t n = 0;
    if (!s)
        return -ENODATA;
    for (; *s && n + 1 < sizeof b; s++)
        if (*s != ' ' && *s != '%')
            b[n++] = *s;
    if (*s)
        return -EINVAL;
    b[n] = '\0';
    if (!n)
        return -ENODATA;
    uint32_t whole = 0, frac = 0;
    int nw = 0, nf = 0;
    const char *p = b;
    for (; s_digit(*p); p++, nw++)
        if (nw < 4)
            whole = whole * 10 + (uint32_t)(*p - '0');
    if (*p == ',' || *p == '.')
        for (p++; s_digit(*p); p++, nf++)
            if (nf < 2)
                frac = frac * 10 + (uint32_t)(*p - '0');
    if (*p || nw == 0 || nw > 3 || nf > 2)
        return -EINVAL;
    if (nf == 1)
        frac *= 10;
    uint32_t v = whole * 100 + frac;
    if (v > 10000)
        return -EINVAL;
    *bp = v;
    return 0;
}

int csv_parse_bool(const char *s, bool *v)
{
    static const char *yes[] = {"ja", "j", "yes", "y", "true", "waar", "1", "x", NULL};
    static const char *no[] = {"nee", "n", "no", "false", "onwaar", "0", "-", NULL};
    char b[16];
    if (!s)
        return -ENODATA;
    cal_str_copy(b, sizeof b, s);
    cal_str_trim(b);
    if (!*b)
        return -ENODATA;
    for (int i = 0; yes[i]; i++)
        if (cal_str_ieq(b, yes[i]))
            return *v = true, 0;
    for (int i = 0; no[i]; i++)
        if (cal_str_ieq(b, no[i]))
            return *v = false, 0;
    return -EINVAL;
}

/* ---- columns ---------------------------------------------------------------------- */

enum {
    C_ID, C_TITLE, C_GROUP, C_KIND, C_CPV, C_VALUE, C_PUB, C_START, C_END,
    C_PL, C_PL_EMAIL, C_BH, C_BH_EMAIL, C_ADV, C_ADV_EMAIL,
    C_THEMES, C_SDGS, C_SROI, C_SROI_EXEMPT, C_PILOT, C_BUYER, C_STATUS, C_COUNT
};

/* Header aliases, normalised: lower-case ASCII letters and digits only. */
static const struct {
    int col;
    const char *names;
} s_columns[] = {
    {C_ID, "|id|kenmerk|nummer|referentie|tenderid|"},
    {C_TITLE, "|titel|title|omschrijving|naam|name|"},
    {C_GROUP, "|inkoopgroep|purchasinggroup|categorie|category|"},
    {C_KIND, "|soort|kind|soortopdracht|opdrachtsoort|type|"},
    {C_CPV, "|cpv|cpvcode|"},
    {C_VALUE, "|waarde|value|waardeeur|valueeur|geraamdewaarde|raming|bedrag|estimatedvalue|waardeexclbtw|"},
    {C_PUB, "|publicatie|publicatiedatum|geplandepublicatie|plannedpublication|publication|publicationdate|"},
    {C_START, "|start|contractstart|startdatum|ingangsdatum|begindatum|startdate|"},
    {C_END, "|einde|contractend|einddatum|contracteinde|end|enddate|"},
    {C_PL, "|projectleider|projectleader|"},
    {C_PL_EMAIL, "|projectleideremail|emailprojectleider|projectleaderemail|email|emailadres|"},
    {C_BH, "|budgethouder|budgetholder|"},
    {C_BH_EMAIL, "|budgethouderemail|emailbudgethouder|budgetholderemail|"},
    {C_ADV, "|adviseur|inkoopadviseur|procurementadviser|procurementadvisor|adviser|advisor|"},
    {C_ADV_EMAIL, "|adviseuremail|emailadviseur|inkoopadviseuremail|procurementadviseremail|"
                  "procurementadvisoremail|adviseremail|advisoremail|"},
    {C_THEMES, "|themas|themes|thema|theme|"},
    {C_SDGS, "|sdgs|sdg|"},
    {C_SROI, "|sroi|sroipct|sroipercentage|socialreturn|"},
    {C_SROI_EXEMPT, "|sroiuitzondering|sroivrijstelling|sroiexemptreason|sroiexempt|"},
    {C_PILOT, "|pilot|"},
    {C_BUYER, "|buyer|organisatie|organisation|organization|opdrachtgever|"},
    {C_STATUS, "|status|"},
};

/* Canonical names, used when a field has no column of its own. */
static const char *s_colname[C_COUNT] = {
    "id", "title", "purchasing_group", "kind", "cpv", "value", "planned_publication",
    "contract_start", "contract_end", "project_leader", "project_leader_email",
    "budget_holder", "budget_holder_email", "procurement_adviser", "procurement_adviser_email",
    "themes", "sdgs", "sroi", "sroi_exempt_reason", "pilot", "buyer", "status",
};

static int s_column_of(const char *header)
{
    char key[72];
    size_t n = 1;
    key[0] = '|';
    for (const char *p = header; *p && n + 2 < sizeof key; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            key[n++] = c;
    }
    key[n++] = '|';
    key[n] = '\0';
    if (n == 2)
        return -1;
    for (size_t i = 0; i < sizeof s_columns / sizeof s_columns[0]; i++)
        if (strstr(s_columns[i].names, key))
            return s_columns[i].col;
    return -1;
}

/* ---- the importer --------------------------------------------------------------- */

typedef struct {
    const csv_import_opts_t *opts;
    csv_import_t *out;
    /* current record */
    char **cells;
    size_t n_cells, cap_cells;
    size_t rec_start;     /* line the current record started on */
    size_t pending_start; /* line a record would start on, 0 = unknown */
    size_t line;          /* line being fed */
    bool header_done;
    int col_cell[C_COUNT]; /* cell index of each column, -1 = absent */
    char **headers;
    size_t n_headers;
    int rc; /* first fatal error */
    /* ids of the rows emitted so far (open addressing; the strings belong to the tenders) */
    const char **ids;
    size_t ids_cap, ids_n;
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

static int s_add_error(csv_import_t *out, size_t row, const char *column, const char *value,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
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
    return i >= 0 ? x->headers[i] : s_colname[col];
}

static void s_free_cells(s_ctx_t *x)
{
    for (size_t i = 0; i < x->n_cells; i++)
        free(x->cells[i]);
    x->n_cells = 0;
}

static int s_header(s_ctx_t *x, size_t row)
{
    for (int c = 0; c < C_COUNT; c++)
        x->col_cell[c] = -1;
    x->headers = x->cells;
    x->n_headers = x->n_cells;
    x->cells = NULL;
    x->n_cells = x->cap_cells = 0;
    for (size_t i = 0; i < x->n_headers; i++) {
        cal_str_trim(x->headers[i]);
        int c = s_column_of(x->headers[i]);
        if (c < 0)
            continue; /* unknown columns (notes, colours...) are the spreadsheet's business */
        if (x->col_cell[c] >= 0) {
            s_add_error(x->out, row, x->headers[i], x->headers[i],
                        "column '%s' appears twice (also '%s')", s_colname[c], x->headers[x->col_cell[c]]);
            return -EINVAL;
        }
        x->col_cell[c] = (int)i;
    }
    static const int required[] = {C_ID, C_TITLE, C_KIND};
    for (size_t i = 0; i < 3; i++) {
        if (x->col_cell[required[i]] < 0) {
            s_add_error(x->out, row, s_colname[required[i]], "",
                        "required column missing (e.g. %s)",
                        required[i] == C_ID ? "id or kenmerk" : required[i] == C_TITLE ? "titel or title" : "soort or kind");
            return -EINVAL;
        }
    }
    return 0;
}

/* Map a tender_rules field path back to the column the user should fix. */
static int s_field_column(const char *field)
{
    static const struct {
        const char *prefix;
        int col;
    } map[] = {
        {"tender.id", C_ID}, {"tender.title", C_TITLE}, {"tender.buyer", C_BUYER},
        {"tender.purchasing_group", C_GROUP}, {"tender.kind", C_KIND}, {"tender.cpv", C_CPV},
        {"tender.value_cents", C_VALUE}, {"tender.planned_publication", C_PUB},
        {"tender.contract_start", C_START}, {"tender.contract_end", C_END},
        {"tender.project_leader.email", C_PL_EMAIL}, {"tender.project_leader", C_PL},
        {"tender.budget_holder.email", C_BH_EMAIL}, {"tender.budget_holder", C_BH},
        {"tender.procurement_adviser.email", C_ADV_EMAIL}, {"tender.procurement_adviser", C_ADV},
        {"tender.themes", C_THEMES}, {"tender.sdgs", C_SDGS}, {"tender.sroi_pct_bp", C_SROI},
        {"tender.sroi_exempt_reason", C_SROI_EXEMPT}, {"tender.status", C_STATUS},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(field, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].col;
    return -1;
}

/* "klimaat:eis | circulair" -> themes with commitments. */
static int s_themes(s_ctx_t *x, Mvoi__Tender *t, size_t row)
{
    char *s = strdup(s_cell(x, C_THEMES));
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
            if (*cm && cal_commitment_parse(cm, &commit) < 0) {
                s_add_error(x->out, row, s_col_label(x, C_THEMES), cm,
                            "unknown commitment (eis, gunning, innovatie)");
                errs++;
                continue;
            }
        }
        Mvoi__Theme th;
        if (cal_theme_parse(tok, &th) < 0) {
            s_add_error(x->out, row, s_col_label(x, C_THEMES), tok,
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
    char *s = strdup(s_cell(x, C_SDGS));
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
            s_add_error(x->out, row, s_col_label(x, C_SDGS), tok, "not an SDG number 1..17");
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

static int s_date_cell(s_ctx_t *x, int col, char **slot, size_t row, int *errs)
{
    char d[11];
    const char *v = s_cell(x, col);
    int rc = csv_parse_date(v, d);
    if (rc == -ENODATA)
        return 0;
    if (rc < 0) {
        (*errs)++;
        return s_add_error(x->out, row, s_col_label(x, col), v,
                           "not a date (dd-mm-jjjj or yyyy-mm-dd) or no such day");
    }
    return cal_str_set(slot, d);
}

static int s_person(s_ctx_t *x, Mvoi__Person **slot, int cname, int cemail)
{
    char name[256], email[256];
    cal_str_copy(name, sizeof name, s_cell(x, cname));
    cal_str_copy(email, sizeof email, s_cell(x, cemail));
    cal_str_trim(name);
    cal_str_trim(email);
    return tender_set_person(slot, name, email);
}

/* One data row -> tender, or cell errors. Returns 0 or -ENOMEM. */
static int s_row(s_ctx_t *x, size_t row)
{
    bool any = false;
    for (size_t i = 0; i < x->n_cells; i++) {
        cal_str_trim(x->cells[i]);
        any = any || x->cells[i][0];
    }
    if (!any)
        return 0; /* spreadsheets export trailing ";;;;" rows */
    x->out->rows++;

    Mvoi__Tender *t = tender_new();
    if (!t)
        return -ENOMEM;
    int errs = 0, rc = 0;
    const char *v;

    if ((rc = cal_str_set(&t->id, s_cell(x, C_ID))) < 0 || (rc = cal_str_set(&t->title, s_cell(x, C_TITLE))) < 0 ||
        (rc = cal_str_set(&t->purchasing_group, s_cell(x, C_GROUP))) < 0 ||
        (rc = cal_str_set(&t->cpv, s_cell(x, C_CPV))) < 0 ||
        (rc = cal_str_set(&t->sroi_exempt_reason, s_cell(x, C_SROI_EXEMPT))) < 0 ||
        (rc = cal_str_set(&t->source, "csv")) < 0)
        goto fail;
    v = s_cell(x, C_BUYER);
    if ((rc = cal_str_set(&t->buyer, *v ? v : x->opts->default_buyer)) < 0)
        goto fail;

    v = s_cell(x, C_KIND);
    if (*v) {
        if (cal_kind_parse(v, &t->kind) == 0)
            t->has_kind = 1;
        else
            errs++, s_add_error(x->out, row, s_col_label(x, C_KIND), v,
                                "unknown kind (leveringen, diensten, werken / supplies, services, works)");
    }

    v = s_cell(x, C_VALUE);
    rc = csv_parse_amount_cents(v, &t->value_cents);
    if (rc == 0)
        t->has_value_cents = 1;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, C_VALUE), v,
                            "not an amount in euros (e.g. 1.234.567,89 or 1234567.89)");

    if ((rc = s_date_cell(x, C_PUB, &t->planned_publication, row, &errs)) < 0 ||
        (rc = s_date_cell(x, C_START, &t->contract_start, row, &errs)) < 0 ||
        (rc = s_date_cell(x, C_END, &t->contract_end, row, &errs)) < 0)
        goto fail;

    if ((rc = s_person(x, &t->project_leader, C_PL, C_PL_EMAIL)) < 0 ||
        (rc = s_person(x, &t->budget_holder, C_BH, C_BH_EMAIL)) < 0 ||
        (rc = s_person(x, &t->procurement_adviser, C_ADV, C_ADV_EMAIL)) < 0)
        goto fail;

    if ((rc = s_themes(x, t, row)) < 0)
        goto fail;
    errs += rc;
    if ((rc = s_sdgs(x, t, row)) < 0)
        goto fail;
    errs += rc;

    v = s_cell(x, C_SROI);
    rc = csv_parse_percent_bp(v, &t->sroi_pct_bp);
    if (rc == 0)
        t->has_sroi_pct_bp = 1;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, C_SROI), v, "not a percentage (e.g. 5%% or 2,5)");

    bool b;
    v = s_cell(x, C_PILOT);
    rc = csv_parse_bool(v, &b);
    if (rc == 0)
        t->has_pilot = 1, t->pilot = b;
    else if (rc != -ENODATA)
        errs++, s_add_error(x->out, row, s_col_label(x, C_PILOT), v, "not ja/nee/yes/no");

    v = s_cell(x, C_STATUS);
    if (*v) {
        if (cal_status_parse(v, &t->status) == 0)
            t->has_status = 1;
        else
            errs++, s_add_error(x->out, row, s_col_label(x, C_STATUS), v, "unknown status");
    }

    /* repeated ids would silently overwrite each other in an upsert import */
    if (!cal_str_empty(t->id)) {
        if (s_id_seen(x, t->id))
            errs++, s_add_error(x->out, row, s_col_label(x, C_ID), t->id, "id appears earlier in the file");
    }

    if (errs == 0) {
        tender_error_t te;
        rc = tender_validate(t, &te);
        if (rc == 0 && x->opts->thresholds)
            rc = tender_derive(t, x->opts->thresholds, x->opts->isv, x->opts->today, &te);
        if (rc == -ENOMEM)
            goto fail;
        if (rc < 0) {
            int col = s_field_column(te.field);
            const char *label = col >= 0 && x->col_cell[col] >= 0 ? x->headers[x->col_cell[col]] : te.field;
            s_add_error(x->out, row, label, col >= 0 ? s_cell(x, col) : "", "%s", te.message);
            errs++;
        }
    }
    if (errs) {
        tender_free(t);
        return 0;
    }
    Mvoi__Tender **nt = realloc(x->out->tenders, (x->out->n_tenders + 1) * sizeof *nt);
    if (!nt) {
        rc = -ENOMEM;
        goto fail;
    }
    x->out->tenders = nt;
    if (s_id_add(x, t->id) < 0) {
        rc = -ENOMEM;
        goto fail;
    }
    nt[x->out->n_tenders++] = t;
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
        if (!n) {
            x->rc = -ENOMEM;
            return;
        }
        x->cells = n, x->cap_cells = nc;
    }
    char *c = malloc(len + 1);
    if (!c) {
        x->rc = -ENOMEM;
        return;
    }
    if (len)
        memcpy(c, s, len);
    c[len] = '\0';
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

/* Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined ones. 0xA0..0xFF = Latin-1. */
static const unsigned short s_cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static char *s_from_cp1252(const char *in, size_t len, size_t *olen)
{
    char *o = malloc(len * 3 + 1);
    size_t n = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)in[i];
        if (c < 0x80) {
            o[n++] = (char)c;
            continue;
        }
        unsigned cp = c < 0xA0 ? s_cp1252[c - 0x80] : c;
        if (!cp)
            cp = 0xFFFD;
        if (cp < 0x800) {
            o[n++] = (char)(0xC0 | (cp >> 6));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[n++] = (char)(0xE0 | (cp >> 12));
            o[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    o[n] = '\0';
    *olen = n;
    return o;
}

/* The delimiter that occurs most in the first line outside quotes (ties: ';' then ','). */
static char s_detect_delim(const char *s, size_t len)
{
    size_t semi = 0, comma = 0, tab = 0;
    bool q = false;
    for (size_t i = 0; i < len && s[i] != '\n'; i++) {
        if (s[i] == '"')
            q = !q;
        else if (!q && s[i] == ';')
            semi++;
        else if (!q && s[i] == ',')
            comma++;
        else if (!q && s[i] == '\t')
            tab++;
    }
    if (tab > semi && tab > comma)
        return '\t';
    return semi >= comma && semi > 0 ? ';' : ',';
}

int csv_import_parse(const char *data, size_t len, const csv_import_opts_t *opts, csv_import_t *out)
{
    static const csv_import_opts_t no_opts = {0};
    memset(out, 0, sizeof *out);
    if (!data)
        return -EINVAL;
    if (!opts)
        opts = &no_opts;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3, len -= 3;
        out->had_bom = true;
    }
    char *conv = NULL;
    if (!cal_utf8_valid(data, len)) {
        conv = s_from_cp1252(data, len, &len);
        if (!conv)
            return -ENOMEM;
        data = conv;
        out->converted_cp1252 = true;
    }
    out->delimiter = s_detect_delim(data, len);

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(conv);
        return -ENOMEM;
    }
    csv_set_delim(&p, (unsigned char)out->delimiter);
    s_ctx_t x = {.opts = opts, .out = out};
    for (int c = 0; c < C_COUNT; c++)
        x.col_cell[c] = -1;

    /* Feed one physical line at a time so every record knows the line it starts on. */
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0 && x.rc == 0) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) + 1 : len;
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
    s_free_cells(&x);
    free(x.cells);
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
    free(out->errors);
    memset(out, 0, sizeof *out);
}
