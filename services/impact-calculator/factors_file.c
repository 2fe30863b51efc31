/*  factors_file: parse one factor-table file (format in data/README.md).
 *
 *  The parser is strict on purpose: a factor table is the basis of every reported
 *  figure, so a typo must stop the service at start-up with "file:line: reason"
 *  rather than silently produce a wrong kilogram.
 */
#include "factors_internal.h"
#include "fixed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_COLUMNS 16

/* Columns a file may have; the first five are mandatory. */
enum { C_KEY, C_VALUE, C_UNIT, C_SOURCE, C_UNVERIFIED, C_MIN, C_MAX, C_KIND, C_REFERENCE,
       C_NOTE, C_COUNT };
static const char *s_column_names[C_COUNT] = {
    "key", "value", "unit", "source", "unverified", "min", "max", "kind", "reference", "note"
};

typedef struct {
    const char *path;
    int line;
    char *errbuf;
    size_t errlen;
} s_ctx_t;

static int
s_fail(s_ctx_t *ctx, int rc, const char *fmt, ...)
{
    if (ctx->errbuf && ctx->errlen) {
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        if (ctx->line > 0)
            snprintf(ctx->errbuf, ctx->errlen, "%s:%d: %s", ctx->path, ctx->line, text);
        else
            snprintf(ctx->errbuf, ctx->errlen, "%s: %s", ctx->path, text);
    }
    return rc;
}

/* Names (table, edition, key, unit, kind, reference) are identifiers that end up in
 * impact records and file names: keep them to a safe, printable set. */
static int
s_is_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '-'
              || c == '%'))
            return 0;
    }
    return 1;
}

/* Free text (source, note, header unit): printable, no control characters. */
static int
s_is_text(const char *s, size_t max)
{
    if (strlen(s) > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Split a CSV line in place. Fields are comma-separated; a field may be quoted with
 * "..." (a doubled "" is a literal quote) so that a source can contain commas.
 * Unquoted fields are trimmed. Returns the field count or -1 on a quoting error. */
static int
s_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            char *w = ++p;
            fields[n++] = w;
            for (;;) {
                if (*p == '\0')
                    return -1;              /* unterminated quote */
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            *w = '\0';
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '\0')
                return n;
            if (*p != ',')
                return -1;                  /* text after the closing quote */
            p++;
        }
        else {
            char *start = p;
            char *comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            if (strchr(start, '"'))
                return -1;                  /* stray quote inside an unquoted field */
            fields[n++] = s_trim(start);
            if (!comma)
                return n;
            p = comma + 1;
        }
    }
}

static int
s_parse_int(const char *s, int64_t *out)
{
    return fixed_parse(s, 0, out);
}

typedef struct {
    char *table, *edition, *source, *unit, *stored_as;
    int valid_from, decimals;
    int have_valid_from, have_decimals;
} s_header_t;

static int
s_header_line(s_ctx_t *ctx, s_header_t *h, char *text)
{
    /* "# name: value"; other comment lines in the header block are prose. */
    char *colon = strchr(text, ':');
    if (!colon)
        return 0;
    *colon = '\0';
    char *name = s_trim(text);
    char *value = s_trim(colon + 1);
    char **slot = NULL;
    if (strcmp(name, "table") == 0)
        slot = &h->table;
    else if (strcmp(name, "edition") == 0)
        slot = &h->edition;
    else if (strcmp(name, "source") == 0)
        slot = &h->source;
    else if (strcmp(name, "unit") == 0)
        slot = &h->unit;
    else if (strcmp(name, "stored_as") == 0)
        slot = &h->stored_as;
    else if (strcmp(name, "valid_from") == 0 || strcmp(name, "decimals") == 0) {
        int64_t v;
        int is_year = name[0] == 'v';
        if (s_parse_int(value, &v) < 0)
            return s_fail(ctx, -EINVAL, "header %s: '%.40s' is not an integer", name, value);
        if (is_year) {
            if (h->have_valid_from)
                return s_fail(ctx, -EINVAL, "header valid_from given twice");
            if (v < 1900 || v > 9999)
                return s_fail(ctx, -EINVAL, "header valid_from: %lld is not a year",
                              (long long) v);
            h->valid_from = (int) v;
            h->have_valid_from = 1;
        }
        else {
            if (h->have_decimals)
                return s_fail(ctx, -EINVAL, "header decimals given twice");
            if (v < 0 || v > 9)
                return s_fail(ctx, -EINVAL, "header decimals: must be 0..9");
            h->decimals = (int) v;
            h->have_decimals = 1;
        }
        return 0;
    }
    else
        return 0;   /* unknown header names are documentation (licence, url...) */
    if (*slot)
        return s_fail(ctx, -EINVAL, "header %s given twice", name);
    if (!s_is_text(value, FACTORS_TEXT_MAX) || !*value)
        return s_fail(ctx, -EINVAL, "header %s: empty, too long or control characters", name);
    if ((slot == &h->table || slot == &h->edition) && !s_is_name(value, FACTORS_NAME_MAX))
        return s_fail(ctx, -EINVAL, "header %s: '%.64s' must be 1..%d of [A-Za-z0-9_.:/+%%-]",
                      name, value, FACTORS_NAME_MAX);
    *slot = strdup(value);
    return *slot ? 0 : s_fail(ctx, -ENOMEM, "out of memory");
}

static int
s_columns(s_ctx_t *ctx, char *line, int *map, int *n_cols)
{
    char *fields[S_MAX_COLUMNS];
    int n = s_split(line, fields, S_MAX_COLUMNS);
    if (n < 0)
        return s_fail(ctx, -EINVAL, "column line: bad quoting or more than %d columns",
                      S_MAX_COLUMNS);
    int seen[C_COUNT] = { 0 };
    for (int i = 0; i < n; i++) {
        int c;
        for (c = 0; c < C_COUNT; c++)
            if (strcmp(fields[i], s_column_names[c]) == 0)
                break;
        if (c == C_COUNT)
            return s_fail(ctx, -EINVAL, "unknown column '%.40s' (known: key, value, unit, source, "
                          "unverified, min, max, kind, reference, note)", fields[i]);
        if (seen[c])
            return s_fail(ctx, -EINVAL, "column '%s' given twice", s_column_names[c]);
        seen[c] = 1;
        map[i] = c;
    }
    for (int c = C_KEY; c <= C_UNVERIFIED; c++)
        if (!seen[c])
            return s_fail(ctx, -EINVAL, "missing column '%s'", s_column_names[c]);
    if (seen[C_MIN] != seen[C_MAX])
        return s_fail(ctx, -EINVAL, "columns min and max go together");
    *n_cols = n;
    return 0;
}

static char *
s_dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int
s_row(s_ctx_t *ctx, char *line, const int *map, int n_cols, int decimals, factors_row_t *row)
{
    char *fields[S_MAX_COLUMNS];
    int n = s_split(line, fields, S_MAX_COLUMNS);
    if (n < 0)
        return s_fail(ctx, -EINVAL, "bad quoting");
    if (n != n_cols)
        return s_fail(ctx, -EINVAL, "%d fields, the column line has %d", n, n_cols);
    const char *col[C_COUNT] = { NULL };
    for (int i = 0; i < n; i++)
        col[map[i]] = fields[i];

    if (!s_is_name(col[C_KEY], FACTORS_NAME_MAX))
        return s_fail(ctx, -EINVAL, "key '%.64s' must be 1..%d of [A-Za-z0-9_.:/+%%-]",
                      col[C_KEY], FACTORS_NAME_MAX);
    int rc = fixed_parse(col[C_VALUE], decimals, &row->value);
    if (rc == -ERANGE)
        return s_fail(ctx, -EINVAL, "value '%.40s' has more than %d decimals or is too large",
                      col[C_VALUE], decimals);
    if (rc < 0)
        return s_fail(ctx, -EINVAL, "value '%.40s' is not a decimal number (use '.', no "
                      "thousands separator)", col[C_VALUE]);
    if (!s_is_name(col[C_UNIT], FACTORS_NAME_MAX))
        return s_fail(ctx, -EINVAL, "unit '%.64s' must be 1..%d of [A-Za-z0-9_.:/+%%-]",
                      col[C_UNIT], FACTORS_NAME_MAX);
    if (!*col[C_SOURCE] || !s_is_text(col[C_SOURCE], FACTORS_TEXT_MAX))
        return s_fail(ctx, -EINVAL, "source: empty, longer than %d or control characters",
                      FACTORS_TEXT_MAX);
    if (strcmp(col[C_UNVERIFIED], "yes") == 0)
        row->unverified = true;
    else if (strcmp(col[C_UNVERIFIED], "no") == 0)
        row->unverified = false;
    else
        return s_fail(ctx, -EINVAL, "unverified '%.20s' must be yes or no", col[C_UNVERIFIED]);
    if (col[C_MIN] && (*col[C_MIN] || *col[C_MAX])) {
        if (s_parse_int(col[C_MIN], &row->min) < 0 || s_parse_int(col[C_MAX], &row->max) < 0)
            return s_fail(ctx, -EINVAL, "min/max '%.20s'..'%.20s' must both be integers",
                          col[C_MIN], col[C_MAX]);
        if (row->min > row->max)
            return s_fail(ctx, -EINVAL, "min %lld > max %lld", (long long) row->min,
                          (long long) row->max);
        row->has_range = true;
    }
    const char *names[2] = { col[C_KIND], col[C_REFERENCE] };
    for (int i = 0; i < 2; i++)
        if (names[i] && *names[i] && !s_is_name(names[i], FACTORS_NAME_MAX))
            return s_fail(ctx, -EINVAL, "%s '%.64s' must be 1..%d of [A-Za-z0-9_.:/+%%-]",
                          i ? "reference" : "kind", names[i], FACTORS_NAME_MAX);
    if (col[C_NOTE] && !s_is_text(col[C_NOTE], FACTORS_TEXT_MAX))
        return s_fail(ctx, -EINVAL, "note: longer than %d or control characters",
                      FACTORS_TEXT_MAX);
    row->key = strdup(col[C_KEY]);
    row->unit = strdup(col[C_UNIT]);
    row->source = strdup(col[C_SOURCE]);
    row->kind = s_dup_or_empty(col[C_KIND]);
    row->reference = s_dup_or_empty(col[C_REFERENCE]);
    row->note = s_dup_or_empty(col[C_NOTE]);
    row->line = ctx->line;
    if (!row->key || !row->unit || !row->source || !row->kind || !row->reference || !row->note)
        return s_fail(ctx, -ENOMEM, "out of memory");
    return 0;
}

/* One key may appear on several rows only when every such row has a range and the
 * ranges do not overlap (power bands); otherwise a lookup would be ambiguous. */
static int
s_check_duplicate(s_ctx_t *ctx, const factors_row_t *rows, size_t n, const factors_row_t *r)
{
    for (size_t i = 0; i < n; i++) {
        const factors_row_t *o = &rows[i];
        if (strcmp(o->key, r->key) != 0)
            continue;
        if (!o->has_range || !r->has_range)
            return s_fail(ctx, -EINVAL, "key '%s' already on line %d", r->key, o->line);
        if (r->min <= o->max && o->min <= r->max)
            return s_fail(ctx, -EINVAL, "key '%s' range %lld..%lld overlaps line %d", r->key,
                          (long long) r->min, (long long) r->max, o->line);
    }
    return 0;
}

static void
s_free_row(factors_row_t *r)
{
    free((char *) r->key);
    free((char *) r->unit);
    free((char *) r->source);
    free((char *) r->kind);
    free((char *) r->reference);
    free((char *) r->note);
}

void
factors_file_free(factors_owned_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    factors_owned_t *self = *self_p;
    for (size_t i = 0; i < self->pub.n_rows; i++)
        s_free_row(&self->rows[i]);
    free(self->rows);
    free((char *) self->pub.table);
    free((char *) self->pub.edition);
    free((char *) self->pub.source);
    free((char *) self->pub.unit);
    free((char *) self->pub.stored_as);
    free((char *) self->pub.path);
    free(self);
    *self_p = NULL;
}

static int
s_parse_stream(s_ctx_t *ctx, FILE *f, factors_owned_t *t)
{
    s_header_t h = { 0 };
    int map[S_MAX_COLUMNS];
    int n_cols = 0, have_columns = 0, rc = 0;
    size_t cap = 0;
    char buf[FACTORS_LINE_MAX + 2];

    while (fgets(buf, sizeof buf, f)) {
        ctx->line++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] == '\n')
            buf[--len] = '\0';
        else if (!feof(f)) {
            rc = s_fail(ctx, -EINVAL, "line longer than %d bytes", FACTORS_LINE_MAX);
            goto done;
        }
        if (len && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len != strlen(buf)) {
            rc = s_fail(ctx, -EINVAL, "NUL byte in line");
            goto done;
        }
        char *line = s_trim(buf);
        if (*line == '\0')
            continue;
        if (*line == '#') {
            if (!have_columns && (rc = s_header_line(ctx, &h, line + 1)) < 0)
                goto done;
            continue;
        }
        if (!have_columns) {
            const char *missing = !h.table ? "table" : !h.edition ? "edition"
                : !h.have_valid_from ? "valid_from" : !h.source ? "source"
                : !h.unit ? "unit" : !h.have_decimals ? "decimals" : NULL;
            if (missing) {
                rc = s_fail(ctx, -EINVAL, "header '# %s: ...' missing before the column line",
                            missing);
                goto done;
            }
            if ((rc = s_columns(ctx, line, map, &n_cols)) < 0)
                goto done;
            have_columns = 1;
            continue;
        }
        if (t->pub.n_rows == FACTORS_ROWS_MAX) {
            rc = s_fail(ctx, -EINVAL, "more than %d rows", FACTORS_ROWS_MAX);
            goto done;
        }
        if (t->pub.n_rows == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            factors_row_t *nrows = realloc(t->rows, ncap * sizeof *nrows);
            if (!nrows) {
                rc = s_fail(ctx, -ENOMEM, "out of memory");
                goto done;
            }
            t->rows = nrows;
            t->pub.rows = nrows;
            cap = ncap;
        }
        factors_row_t *row = &t->rows[t->pub.n_rows];
        memset(row, 0, sizeof *row);
        rc = s_row(ctx, line, map, n_cols, h.decimals, row);
        if (rc == 0)
            rc = s_check_duplicate(ctx, t->rows, t->pub.n_rows, row);
        if (rc < 0) {
            s_free_row(row);
            goto done;
        }
        t->pub.n_rows++;
        if (row->unverified)
            t->pub.unverified_rows++;
    }
    if (ferror(f)) {
        rc = s_fail(ctx, -EIO, "read error");
        goto done;
    }
    ctx->line = 0;      /* the remaining errors are about the whole file */
    if (!have_columns) {
        rc = s_fail(ctx, -EINVAL, "no column line (key,value,unit,source,unverified,...)");
        goto done;
    }
    if (t->pub.n_rows == 0) {
        rc = s_fail(ctx, -EINVAL, "no rows");
        goto done;
    }
done:
    t->pub.table = h.table;
    t->pub.edition = h.edition;
    t->pub.source = h.source;
    t->pub.unit = h.unit;
    t->pub.stored_as = h.stored_as ? h.stored_as : strdup("");
    t->pub.valid_from = h.valid_from;
    t->pub.decimals = h.decimals;
    if (rc == 0 && !t->pub.stored_as)
        rc = s_fail(ctx, -ENOMEM, "out of memory");
    return rc;
}

int
factors_file_parse(const char *path, factors_owned_t **out, char *errbuf, size_t errlen)
{
    s_ctx_t ctx = { path, 0, errbuf, errlen };
    FILE *f = fopen(path, "r");
    if (!f)
        return s_fail(&ctx, -errno, "%s", strerror(errno));
    factors_owned_t *t = calloc(1, sizeof *t);
    if (!t) {
        fclose(f);
        return s_fail(&ctx, -ENOMEM, "out of memory");
    }
    int rc = s_parse_stream(&ctx, f, t);
    fclose(f);
    if (rc == 0 && !(t->pub.path = strdup(path)))
        rc = s_fail(&ctx, -ENOMEM, "out of memory");
    if (rc < 0) {
        factors_file_free(&t);
        return rc;
    }
    *out = t;
    return 0;
}
