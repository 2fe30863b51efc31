/* isv_map: see isv_map.h. A linear scan is fine: the table has tens of rules and lookups
 * happen once per tender change. */
#include "isv_map.h"
#include "cal_file.h"
#include "cal_str.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool is_cpv;
    char pattern[64];
    char group[64];
} s_rule_t;

struct isv_map {
    s_rule_t *rules;
    size_t n;
};

typedef struct {
    isv_map_t *self;
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

static int s_line(void *arg, int lineno, char **f, int nf)
{
    s_load_t *L = arg;
    if (nf != 3 || !*f[1] || !*f[2])
        return s_fail(L, lineno, "expected keyword|cpv;<pattern>;<risk group>");
    bool is_cpv = strcmp(f[0], "cpv") == 0;
    if (!is_cpv && strcmp(f[0], "keyword") != 0)
        return s_fail(L, lineno, "first field must be 'keyword' or 'cpv'");
    if (strlen(f[1]) >= 64 || strlen(f[2]) >= 64)
        return s_fail(L, lineno, "pattern or group longer than 63 bytes");
    if (is_cpv && strspn(f[1], "0123456789") != strlen(f[1]))
        return s_fail(L, lineno, "a cpv prefix is digits only");
    s_rule_t *nr = realloc(L->self->rules, (L->self->n + 1) * sizeof *nr);
    if (!nr)
        return -ENOMEM;
    L->self->rules = nr;
    s_rule_t *r = &nr[L->self->n++];
    r->is_cpv = is_cpv;
    snprintf(r->pattern, sizeof r->pattern, "%s", f[1]);
    snprintf(r->group, sizeof r->group, "%s", f[2]);
    return 0;
}

int isv_map_load_file(const char *path, isv_map_t **out, char *err, size_t errlen)
{
    isv_map_t *self = calloc(1, sizeof *self);
    if (!self)
        return -ENOMEM;
    s_load_t L = {.self = self, .path = path, .err = err, .errlen = errlen};
    int rc = cal_file_lines(path, s_line, &L);
    if (rc < 0) {
        if (rc != -EINVAL && err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        isv_map_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int isv_map_load_dir(const char *dir, isv_map_t **out, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/isv-risk-groups.csv", dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    return isv_map_load_file(path, out, err, errlen);
}

void isv_map_destroy(isv_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rules);
    free(*self_p);
    *self_p = NULL;
}

size_t isv_map_size(const isv_map_t *self) { return self ? self->n : 0; }

const char *isv_map_lookup(const isv_map_t *self, const char *purchasing_group, const char *cpv)
{
    if (!self)
        return NULL;
    if (!cal_str_empty(purchasing_group))
        for (size_t i = 0; i < self->n; i++)
            if (!self->rules[i].is_cpv && cal_str_icontains(purchasing_group, self->rules[i].pattern))
                return self->rules[i].group;
    if (cal_str_empty(cpv))
        return NULL;
    /* only the digits count: "45233141-9" and "45233141" are the same code */
    char digits[16];
    size_t nd = 0;
    for (const char *p = cpv; *p && *p != '-' && nd + 1 < sizeof digits; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    digits[nd] = '\0';
    const s_rule_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < self->n; i++) {
        const s_rule_t *r = &self->rules[i];
        size_t lp = strlen(r->pattern);
        if (r->is_cpv && lp <= nd && lp > best_len && strncmp(digits, r->pattern, lp) == 0)
            best = r, best_len = lp;
    }
    return best ? best->group : NULL;
}
