/* thresholds: see thresholds.h. */
#include "thresholds.h"
#include "cal_date.h"
#include "cal_file.h"
#include "mvoi_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_BANDS 16
#define S_KINDS 4 /* indexed by Mvoi__TenderKind; 0 unused */

typedef struct {
    int64_t from_cents;
    Mvoi__Procedure procedure;
    bool verified;
    char source[160];
} s_band_t;

typedef struct {
    char name[32];
    char from[11], to[11];
    s_band_t bands[S_KINDS][S_MAX_BANDS];
    int n_bands[S_KINDS];
} s_period_t;

struct thresholds {
    s_period_t *periods;
    size_t n;
};

typedef struct {
    thresholds_t *self;
    s_period_t *cur; /* the period of the file being read */
    const char *path;
    char *err;
    size_t errlen;
} s_load_t;

static int s_fail(s_load_t *L, int lineno, const char *why)
{
    if (L->err && L->errlen)
        snprintf(L->err, L->errlen, "%s:%d: %s", L->path, lineno, why);
    return -EINVAL;
}

/* Whole euros only: a threshold with cents would be a typo in the data file. */
static int s_parse_euros(const char *s, int64_t *cents)
{
    if (!*s || strlen(s) > 12)
        return -EINVAL;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    *cents = v * 100;
    return 0;
}

static int s_line(void *arg, int lineno, char **f, int nf)
{
    s_load_t *L = arg;
    if (strcmp(f[0], "period") == 0) {
        if (L->cur)
            return s_fail(L, lineno, "second 'period' line (one period per file)");
        if (nf != 4 || !*f[1] || strlen(f[1]) >= sizeof L->cur->name)
            return s_fail(L, lineno, "expected period;<name>;<valid_from>;<valid_to>");
        if (!cal_date_valid(f[2]) || !cal_date_valid(f[3]) || strcmp(f[2], f[3]) > 0)
            return s_fail(L, lineno, "valid_from/valid_to must be ISO dates, from <= to");
        s_period_t *np = realloc(L->self->periods, (L->self->n + 1) * sizeof *np);
        if (!np)
            return -ENOMEM;
        L->self->periods = np;
        L->cur = &np[L->self->n++];
        memset(L->cur, 0, sizeof *L->cur);
        snprintf(L->cur->name, sizeof L->cur->name, "%s", f[1]);
        memcpy(L->cur->from, f[2], 11);
        memcpy(L->cur->to, f[3], 11);
        return 0;
    }
    if (strcmp(f[0], "band") == 0) {
        if (!L->cur)
            return s_fail(L, lineno, "'band' before 'period'");
        if (nf < 5 || nf > 6)
            return s_fail(L, lineno, "expected band;<kind>;<from_eur>;<procedure>;<verified|unverified>;<source>");
        Mvoi__TenderKind kind;
        Mvoi__Procedure proc;
        int64_t from;
        if (mvoi_kind_parse(f[1], &kind) < 0)
            return s_fail(L, lineno, "unknown kind (leveringen, diensten, werken)");
        if (s_parse_euros(f[2], &from) < 0)
            return s_fail(L, lineno, "from_eur must be whole euros (digits only)");
        if (mvoi_procedure_parse(f[3], &proc) < 0)
            return s_fail(L, lineno, "unknown procedure");
        if (strcmp(f[4], "verified") != 0 && strcmp(f[4], "unverified") != 0)
            return s_fail(L, lineno, "status must be 'verified' or 'unverified'");
        int *nb = &L->cur->n_bands[kind];
        if (*nb == S_MAX_BANDS)
            return s_fail(L, lineno, "too many bands for this kind");
        if (*nb == 0 && from != 0)
            return s_fail(L, lineno, "the first band of a kind must start at 0");
        if (*nb > 0 && from <= L->cur->bands[kind][*nb - 1].from_cents)
            return s_fail(L, lineno, "bands of a kind must have increasing lower bounds");
        s_band_t *b = &L->cur->bands[kind][(*nb)++];
        b->from_cents = from;
        b->procedure = proc;
        b->verified = strcmp(f[4], "verified") == 0;
        snprintf(b->source, sizeof b->source, "%s", nf == 6 ? f[5] : "");
        return 0;
    }
    return s_fail(L, lineno, "unknown record type (expected 'period' or 'band')");
}

static int s_cmp_period(const void *a, const void *b)
{
    return strcmp(((const s_period_t *)a)->from, ((const s_period_t *)b)->from);
}

int thresholds_load_dir(const char *dir, thresholds_t **out, char *err, size_t errlen)
{
    char **paths = NULL;
    if (err && errlen)
        err[0] = '\0';
    int np = cal_file_list(dir, "thresholds-", ".csv", &paths);
    if (np < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read directory (%s)", dir, strerror(-np));
        return np;
    }
    thresholds_t *self = calloc(1, sizeof *self);
    int rc = self ? 0 : -ENOMEM;
    if (rc == 0 && np == 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no thresholds-*.csv files", dir);
        rc = -ENOENT;
    }
    for (int i = 0; i < np && rc == 0; i++) {
        s_load_t L = {.self = self, .path = paths[i], .err = err, .errlen = errlen};
        rc = cal_file_lines(paths[i], s_line, &L);
        if (rc == 0 && !L.cur)
            rc = s_fail(&L, 0, "no 'period' line");
        for (int k = 1; rc == 0 && k < S_KINDS; k++)
            if (L.cur->n_bands[k] == 0)
                rc = s_fail(&L, 0, "a kind has no bands (need leveringen, diensten and werken)");
        if (rc < 0 && err && errlen && !err[0])
            snprintf(err, errlen, "%s: %s", paths[i], strerror(-rc));
    }
    for (int i = 0; i < np; i++)
        free(paths[i]);
    free(paths);
    if (rc == 0) {
        qsort(self->periods, self->n, sizeof *self->periods, s_cmp_period);
        for (size_t i = 1; i < self->n; i++) {
            if (strcmp(self->periods[i].from, self->periods[i - 1].to) <= 0) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: periods %s and %s overlap", dir,
                             self->periods[i - 1].name, self->periods[i].name);
                rc = -EINVAL;
                break;
            }
        }
    }
    if (rc < 0) {
        thresholds_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void thresholds_destroy(thresholds_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->periods);
    free(*self_p);
    *self_p = NULL;
}

size_t thresholds_period_count(const thresholds_t *self) { return self ? self->n : 0; }

const char *thresholds_period_name(const thresholds_t *self, size_t i)
{
    return (self && i < self->n) ? self->periods[i].name : NULL;
}

/* Periods are sorted and disjoint, so the last one starting on or before date is either
 * the one containing it or the most recent one before it (still in force). */
static const s_period_t *s_period_at(const thresholds_t *self, const char *date)
{
    const s_period_t *best = NULL;
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->periods[i].from, date) <= 0)
            best = &self->periods[i];
    return best;
}

int thresholds_derive(const thresholds_t *self, Mvoi__TenderKind kind, int64_t value_cents,
                      const char *date, const char *today, thresholds_result_t *out)
{
    if (!self || !out || value_cents < 0 || kind < MVOI__TENDER_KIND__KIND_LEVERINGEN ||
        kind > MVOI__TENDER_KIND__KIND_WERKEN)
        return -EINVAL;
    const char *when = (date && *date) ? date : today;
    if (!cal_date_valid(when))
        return -EINVAL;
    const s_period_t *p = s_period_at(self, when);
    if (!p)
        return -ENOENT;
    const s_band_t *band = &p->bands[kind][0];
    for (int i = 1; i < p->n_bands[kind]; i++)
        if (value_cents >= p->bands[kind][i].from_cents)
            band = &p->bands[kind][i];
    out->procedure = band->procedure;
    out->period = p->name;
    out->band_from_cents = band->from_cents;
    out->verified = band->verified;
    out->source = band->source;
    return 0;
}

int thresholds_eu_cents(const thresholds_t *self, Mvoi__TenderKind kind, const char *date,
                        int64_t *cents)
{
    if (!self || !cents || kind < 1 || kind >= S_KINDS || !cal_date_valid(date))
        return -EINVAL;
    const s_period_t *p = s_period_at(self, date);
    if (!p)
        return -ENOENT;
    for (int i = 0; i < p->n_bands[kind]; i++) {
        if (p->bands[kind][i].procedure == MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR) {
            *cents = p->bands[kind][i].from_cents;
            return 0;
        }
    }
    return -ENOENT;
}
