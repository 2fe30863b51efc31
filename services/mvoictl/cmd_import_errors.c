/*  cmd_import_errors: the cells that make a file unimportable (see cmd_import_report.h),
 *  printed as "row;column;value;reason" lines or, under --json, as the command's one JSON
 *  document: the lines alone were no JSON at all (a dry run) or nothing (an import), which
 *  a script reading --json could not tell from a crash. */
#include "cmd_import_report.h"

#include <stdlib.h>
#include <string.h>

void ctl_csv_cell(FILE *out, const char *s)
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

static char *s_dup(ctl_cell_errs_t *e, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        e->oom = true;
    return d;
}

void ctl_cell_errs_add(ctl_cell_errs_t *e, size_t row, const char *column, const char *value,
                       const char *reason)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        ctl_cell_err_t *v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            e->oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    ctl_cell_err_t *x = &e->v[e->n++];
    x->row = row;
    x->column = s_dup(e, column);
    x->value = s_dup(e, value);
    x->reason = s_dup(e, reason);
}

void ctl_cell_errs_line(FILE *out, size_t row, const char *column, const char *value,
                        const char *reason)
{
    fprintf(out, "%zu;", row);
    ctl_csv_cell(out, column);
    fputc(';', out);
    ctl_csv_cell(out, value);
    fputc(';', out);
    ctl_csv_cell(out, reason);
    fputc('\n', out);
}

void ctl_cell_errs_json(const ctl_cell_errs_t *e, FILE *out, bool dry)
{
    fprintf(out, "{\"dry_run\": %s, \"imported\": false, \"errors\": [", dry ? "true" : "false");
    for (size_t i = 0; i < e->n; i++) {
        const ctl_cell_err_t *x = &e->v[i];
        fprintf(out, "%s{\"row\": %zu, \"column\": ", i ? ", " : "", x->row);
        ctl_json_str(out, x->column);
        fputs(", \"value\": ", out);
        ctl_json_str(out, x->value);
        fputs(", \"reason\": ", out);
        ctl_json_str(out, x->reason);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

void ctl_cell_errs_clear(ctl_cell_errs_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].column);
        free(e->v[i].value);
        free(e->v[i].reason);
    }
    free(e->v);
    memset(e, 0, sizeof *e);
}
