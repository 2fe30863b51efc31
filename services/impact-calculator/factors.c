/*  factors: the set of loaded factor tables, all editions, and edition selection. */
#include "factors_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct factors_t {
    factors_owned_t **tables;   /* sorted: table, valid_from, edition */
    size_t n, cap;
};

factors_t *
factors_new(void)
{
    return calloc(1, sizeof(factors_t));
}

void
factors_destroy(factors_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    factors_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        factors_file_free(&self->tables[i]);
    free(self->tables);
    free(self);
    *self_p = NULL;
}

static int
s_compare(const void *a, const void *b)
{
    const factors_table_t *x = &(*(factors_owned_t *const *) a)->pub;
    const factors_table_t *y = &(*(factors_owned_t *const *) b)->pub;
    int c = strcmp(x->table, y->table);
    if (c)
        return c;
    if (x->valid_from != y->valid_from)
        return x->valid_from < y->valid_from ? -1 : 1;
    return strcmp(x->edition, y->edition);
}

/* Add parsed tables all-or-nothing: a half-loaded directory would let some
 * measurements use an old edition only because the new file came later in the
 * listing. */
static int
s_add(factors_t *self, factors_owned_t **fresh, size_t n, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const factors_table_t *t = &fresh[i]->pub;
        const factors_table_t *dup = factors_select(self, t->table, t->edition);
        for (size_t j = 0; !dup && j < i; j++)
            if (strcmp(fresh[j]->pub.table, t->table) == 0
                && strcmp(fresh[j]->pub.edition, t->edition) == 0)
                dup = &fresh[j]->pub;
        if (dup) {
            if (errbuf && errlen)
                snprintf(errbuf, errlen, "%s: table %s edition %s already loaded from %s",
                         t->path, t->table, t->edition, dup->path);
            return -EEXIST;
        }
    }
    if (self->n + n > self->cap) {
        size_t ncap = self->cap ? self->cap : 8;
        while (ncap < self->n + n)
            ncap *= 2;
        factors_owned_t **nt = realloc(self->tables, ncap * sizeof *nt);
        if (!nt) {
            if (errbuf && errlen)
                snprintf(errbuf, errlen, "out of memory");
            return -ENOMEM;
        }
        self->tables = nt;
        self->cap = ncap;
    }
    memcpy(self->tables + self->n, fresh, n * sizeof *fresh);
    self->n += n;
    qsort(self->tables, self->n, sizeof *self->tables, s_compare);
    return 0;
}

int
factors_load_file(factors_t *self, const char *path, char *errbuf, size_t errlen)
{
    if (!self || !path)
        return -EINVAL;
    factors_owned_t *t = NULL;
    int rc = factors_file_parse(path, &t, errbuf, errlen);
    if (rc == 0 && (rc = s_add(self, &t, 1, errbuf, errlen)) < 0)
        factors_file_free(&t);
    return rc;
}

static int
s_is_csv(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 4 && strcmp(e->d_name + n - 4, ".csv") == 0;
}

int
factors_load_dir(factors_t *self, const char *dir, char *errbuf, size_t errlen)
{
    if (!self || !dir)
        return -EINVAL;
    struct dirent **names = NULL;
    int n = scandir(dir, &names, s_is_csv, alphasort);
    if (n < 0) {
        int rc = -errno;
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: %s", dir, strerror(-rc));
        return rc;
    }
    factors_owned_t **fresh = calloc(n ? (size_t) n : 1, sizeof *fresh);
    int rc = fresh ? 0 : -ENOMEM;
    size_t loaded = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >= (int) sizeof path) {
            rc = -ENAMETOOLONG;
            if (errbuf && errlen)
                snprintf(errbuf, errlen, "%s/%s: path too long", dir, names[i]->d_name);
            break;
        }
        rc = factors_file_parse(path, &fresh[loaded], errbuf, errlen);
        if (rc == 0)
            loaded++;
    }
    if (rc == 0)
        rc = s_add(self, fresh, loaded, errbuf, errlen);
    if (rc < 0)
        for (size_t i = 0; fresh && i < loaded; i++)
            factors_file_free(&fresh[i]);
    free(fresh);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

size_t
factors_count(const factors_t *self)
{
    return self ? self->n : 0;
}

const factors_table_t *
factors_at(const factors_t *self, size_t i)
{
    return self && i < self->n ? &self->tables[i]->pub : NULL;
}

const factors_table_t *
factors_select(const factors_t *self, const char *table, const char *edition)
{
    if (!self || !table || !edition)
        return NULL;
    for (size_t i = 0; i < self->n; i++) {
        const factors_table_t *t = &self->tables[i]->pub;
        if (strcmp(t->table, table) == 0 && strcmp(t->edition, edition) == 0)
            return t;
    }
    return NULL;
}

const factors_table_t *
factors_select_year(const factors_t *self, const char *table, int year)
{
    if (!self || !table)
        return NULL;
    /* Tables are sorted by (table, valid_from, edition): the last applicable entry
     * is the newest edition in force, the first entry is the earliest fallback. */
    const factors_table_t *earliest = NULL, *best = NULL;
    for (size_t i = 0; i < self->n; i++) {
        const factors_table_t *t = &self->tables[i]->pub;
        if (strcmp(t->table, table) != 0)
            continue;
        if (!earliest)
            earliest = t;
        if (t->valid_from <= year)
            best = t;
    }
    return best ? best : earliest;
}

const factors_row_t *
factors_find(const factors_table_t *t, const char *key)
{
    if (!t || !key)
        return NULL;
    for (size_t i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].key, key) == 0)
            return &t->rows[i];
    return NULL;
}

const factors_row_t *
factors_find_in_range(const factors_table_t *t, const char *key, int64_t v)
{
    if (!t || !key)
        return NULL;
    for (size_t i = 0; i < t->n_rows; i++) {
        const factors_row_t *r = &t->rows[i];
        if (strcmp(r->key, key) == 0 && (!r->has_range || (v >= r->min && v <= r->max)))
            return r;
    }
    return NULL;
}
