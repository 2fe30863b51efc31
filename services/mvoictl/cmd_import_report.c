/*  cmd_import_report: see cmd_import_report.h. */
#include "cmd_import_report.h"

#include <stdlib.h>
#include <string.h>

static const char *s_outcome(int o)
{
    switch (o) {
    case 1: return "created";
    case 2: return "updated";
    case 3: return "unchanged";
    case 4: return "unconfirmed";
    default: return "refused";
    }
}

const char *ctl_import_outcome_text(int outcome, text_lang_t lang)
{
    char key[48];
    snprintf(key, sizeof key, "ctl.import.outcome.%s", s_outcome(outcome));
    return text_get(lang, key);
}

static char *s_dup(ctl_import_report_t *r, const char *s)
{
    if (!s || !*s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        r->oom = true;
    return d;
}

static const char *s_id_of(const ctl_import_report_t *r, size_t key)
{
    size_t lo = 0, hi = r->n_ids;
    if (!r->keys)
        return key >= 1 && key <= r->n_ids ? r->ids[key - 1] : "?";
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_ids && r->keys[lo] == key ? r->ids[lo] : "?";
}

void ctl_import_report_add(ctl_import_report_t *r, size_t key, const char *id, int outcome,
                           bool repeated, const char *const *changed, size_t n_changed,
                           const char *warning, const char *field, const char *message)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        ctl_import_row_t *n = realloc(r->rows, cap * sizeof *n);
        if (!n) {
            r->oom = true;
            return;
        }
        r->rows = n;
        r->cap = cap;
    }
    ctl_import_row_t *w = &r->rows[r->n++];
    memset(w, 0, sizeof *w);
    w->key = key;
    w->id = s_dup(r, id ? id : s_id_of(r, key));
    w->outcome = outcome;
    w->repeated = repeated;
    if (n_changed) {
        size_t len = 1;
        for (size_t i = 0; i < n_changed; i++)
            len += strlen(changed[i]) + 2;
        w->changed = malloc(len);
        if (w->changed) {
            w->changed[0] = '\0';
            for (size_t i = 0; i < n_changed; i++) {
                if (i)
                    strcat(w->changed, ", ");
                strcat(w->changed, changed[i]);
            }
        } else {
            r->oom = true;
        }
    }
    w->warning = s_dup(r, warning);
    w->field = s_dup(r, field);
    w->message = s_dup(r, message);
    if (outcome == 0)
        r->refused++;
    else if (outcome == 4)
        r->unconfirmed++;
    else if (repeated)
        r->repeated++, r->unchanged++;
    else if (outcome == 1)
        r->created++;
    else if (outcome == 2)
        r->updated++;
    else
        r->unchanged++;
    r->warnings += w->warning != NULL;
}

void ctl_import_report_key(ctl_import_report_t *r, size_t key, const char *id,
                           const char *message)
{
    size_t at = r->n;
    ctl_import_report_add(r, key, id, 0, false, NULL, 0, NULL, "key", message);
    if (r->n == at)   /* no room: r->oom says so */
        return;
    r->rows[at].key_refused = true;
    r->key_refused++;
}

void ctl_import_report_unavailable(ctl_import_report_t *r, size_t key, const char *id,
                                   const char *field, const char *message)
{
    size_t at = r->n;
    ctl_import_report_add(r, key, id, 4, false, NULL, 0, NULL, field, message);
    if (r->n > at)   /* no room: r->oom says so */
        r->unavailable++;
}

void ctl_import_report_unconfirmed(const ctl_import_report_t *r, FILE *out, bool dry,
                                   text_lang_t lang)
{
    size_t silent = r->unconfirmed - r->unavailable;
    if (silent) {
        fprintf(out, text_get(lang, dry ? "ctl.import.no_verdict" : "ctl.import.unconfirmed"),
                silent);
        fputc('\n', out);
    }
    if (r->unavailable) {
        fprintf(out, text_get(lang, dry ? "ctl.import.no_verdict_unavailable"
                                        : "ctl.import.unavailable"), r->unavailable);
        fputc('\n', out);
    }
}

static int s_cmp(const void *a, const void *b)
{
    const ctl_import_row_t *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

void ctl_import_report_print(const ctl_import_report_t *r, FILE *out, const char *key_word,
                             text_lang_t lang)
{
    key_word = text_get(lang, key_word);
    qsort(r->rows, r->n, sizeof *r->rows, s_cmp);
    for (size_t i = 0; i < r->n; i++) {
        const ctl_import_row_t *w = &r->rows[i];
        if (w->key)
            fprintf(out, "%s %zu ", key_word, w->key);
        else   /* refused before it was sent: no row of its own */
            fprintf(out, "%s ", key_word);
        fprintf(out, "%s: %s", w->id ? w->id : "?", ctl_import_outcome_text(w->outcome, lang));
        if (w->changed)
            fprintf(out, " (%s)", w->changed);
        if (w->outcome == 0 || w->outcome == 4)
            fprintf(out, ": %s%s%s", w->field ? w->field : "", w->field ? ": " : "",
                    w->message ? w->message : "");
        if (w->warning)
            fprintf(out, "; %s: %s", text_get(lang, "ctl.import.warning"), w->warning);
        fputc('\n', out);
    }
}

void ctl_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void ctl_import_report_json_rows(const ctl_import_report_t *r, FILE *out)
{
    qsort(r->rows, r->n, sizeof *r->rows, s_cmp);
    fputc('[', out);
    for (size_t i = 0; i < r->n; i++) {
        const ctl_import_row_t *w = &r->rows[i];
        fprintf(out, "%s{\"row\": %zu, \"id\": ", i ? ", " : "", w->key);
        ctl_json_str(out, w->id);
        fprintf(out, ", \"outcome\": \"%s\"", s_outcome(w->outcome));
        if (w->changed) {
            /* "a, b" -> ["a", "b"] */
            fputs(", \"changed\": [", out);
            const char *p = w->changed;
            for (int first = 1; *p; first = 0) {
                size_t n = strcspn(p, ",");
                fprintf(out, "%s\"%.*s\"", first ? "" : ", ", (int)n, p);
                p += n;
                while (*p == ',' || *p == ' ')
                    p++;
            }
            fputc(']', out);
        }
        if (w->outcome == 0 || w->outcome == 4) {
            fputs(", \"field\": ", out);
            ctl_json_str(out, w->field);
            fputs(", \"message\": ", out);
            ctl_json_str(out, w->message);
        }
        if (w->warning) {
            fputs(", \"warning\": ", out);
            ctl_json_str(out, w->warning);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

void ctl_import_report_clear(ctl_import_report_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].id);
        free(r->rows[i].changed);
        free(r->rows[i].warning);
        free(r->rows[i].field);
        free(r->rows[i].message);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}
