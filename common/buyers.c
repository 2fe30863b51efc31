/*  buyers: the buyer registry as data. See buyers.h. */
#include "buyers.h"
#include "buyers_profile.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mvoi_buyers {
    mvoi_buyer_t *b;
    size_t n, cap;
    bool open;
};

typedef struct {
    mvoi_buyers_t *self;
    char why[160];             /* the first error; ini_parse_file gives its line */
} s_parse_t;

static int s_fail(s_parse_t *p, const char *why, const char *what)
{
    if (!p->why[0])
        snprintf(p->why, sizeof p->why, "%s%s", why, what ? what : "");
    return 0;
}

static mvoi_buyer_t *s_add(s_parse_t *p, const char *id)
{
    mvoi_buyers_t *self = p->self;
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_str(MVOI_ID_BUYER, id, why, sizeof why) != 0) {
        s_fail(p, "buyer id ", why);
        return NULL;
    }
    if (mvoi_buyers_find(self, id)) {
        s_fail(p, "duplicate buyer ", id);
        return NULL;
    }
    if (self->n == MVOI_BUYERS_MAX) {
        s_fail(p, "too many buyers", NULL);
        return NULL;
    }
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        mvoi_buyer_t *nb = realloc(self->b, cap * sizeof *nb);
        if (!nb) {
            s_fail(p, "out of memory", NULL);
            return NULL;
        }
        self->b = nb;
        self->cap = cap;
    }
    mvoi_buyer_t *b = &self->b[self->n++];
    memset(b, 0, sizeof *b);
    snprintf(b->id, sizeof b->id, "%s", id);
    return b;
}

static int s_set(s_parse_t *p, char *dst, size_t cap, const char *key, const char *v)
{
    if (dst[0])   /* inih cannot tell a repeated [section] from its continuation */
        return s_fail(p, "given twice (a duplicate section?): ", key);
    if (strlen(v) >= cap)
        return s_fail(p, "value too long: ", key);
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return s_fail(p, "control character in ", key);
    if (mvoi_utf8_valid_prefix((const uint8_t *)v, strlen(v)) != strlen(v))
        return s_fail(p, "not UTF-8: ", key);
    memcpy(dst, v, strlen(v) + 1);
    return 1;
}

static int s_handler(void *arg, const char *section, const char *key, const char *value)
{
    s_parse_t *p = arg;
    if (p->why[0])
        return 0;   /* report the first error only */
    if (!section || !*section)
        return s_fail(p, "a key outside a [buyer] section: ", key);
    mvoi_buyer_t *b = p->self->n ? &p->self->b[p->self->n - 1] : NULL;
    if (!b || strcmp(b->id, section) != 0) {
        if (!(b = s_add(p, section)))
            return 0;
    }
    if (strcmp(key, "name") == 0)
        return s_set(p, b->name, sizeof b->name, key, value);
    if (strcmp(key, "organizer") == 0) {
        if (*value && !strchr(value, '@'))
            return s_fail(p, "organizer must be a mail address", NULL);
        return s_set(p, b->organizer, sizeof b->organizer, key, value);
    }
    if (strcmp(key, "domain") == 0)
        return s_set(p, b->domain, sizeof b->domain, key, value);
    if (strcmp(key, "oin") == 0)
        return s_set(p, b->oin, sizeof b->oin, key, value);
    if (strcmp(key, "kvk") == 0)
        return s_set(p, b->kvk, sizeof b->kvk, key, value);
    char why[160];
    int prc = mvoi_buyers_profile_key(b, key, value, why, sizeof why);
    if (prc < 0)
        return s_fail(p, why, NULL);
    if (prc > 0)
        return 1;
    return s_fail(p, "unknown key ", key);
}

mvoi_buyers_t *mvoi_buyers_load(const char *path, bool open, char *err, size_t cap)
{
    mvoi_buyers_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    self->open = open;
    err[0] = 0;
    s_parse_t p = { self, "" };
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        mvoi_buyers_destroy(&self);
        return NULL;
    }
    int rc = ini_parse_file(f, s_handler, &p);
    fclose(f);
    if (rc != 0)
        snprintf(err, cap, "%s:%d: %s", path, rc, p.why[0] ? p.why : "not an INI line");
    for (size_t i = 0; !err[0] && i < self->n; i++) {
        char why[160];
        if (!self->b[i].name[0])
            snprintf(err, cap, "%s: buyer %s has no name", path, self->b[i].id);
        else if (mvoi_buyers_profile_check(&self->b[i], why, sizeof why) != 0)
            snprintf(err, cap, "%s: buyer %s: %s", path, self->b[i].id, why);
    }
    if (err[0])
        mvoi_buyers_destroy(&self);
    return self;
}

mvoi_buyers_t *mvoi_buyers_from_cfg(cfg_t *cfg, char *err, size_t cap)
{
    const char *path = cfg_str(cfg, "buyers_file");
    if (!path) {
        snprintf(err, cap, "buyers_file: not configured");
        return NULL;
    }
    return mvoi_buyers_load(path, cfg_bool(cfg, "buyers_open"), err, cap);
}

void mvoi_buyers_destroy(mvoi_buyers_t **self_p)
{
    if (!*self_p)
        return;
    free((*self_p)->b);
    free(*self_p);
    *self_p = NULL;
}

const mvoi_buyer_t *mvoi_buyers_find(const mvoi_buyers_t *self, const char *id)
{
    /* A few dozen buyers per deployment: a scan is cheaper than keeping an index. */
    for (size_t i = 0; self && id && i < self->n; i++)
        if (strcmp(self->b[i].id, id) == 0)
            return &self->b[i];
    return NULL;
}

bool mvoi_buyers_accepts(const mvoi_buyers_t *self, const char *id)
{
    if (mvoi_id_check_str(MVOI_ID_BUYER, id, NULL, 0) != 0)
        return false;
    return !self || self->open || mvoi_buyers_find(self, id) != NULL;
}

bool mvoi_buyers_open(const mvoi_buyers_t *self) { return !self || self->open; }

const char *mvoi_buyers_name(const mvoi_buyers_t *self, const char *id)
{
    const mvoi_buyer_t *b = mvoi_buyers_find(self, id);
    return b ? b->name : id;
}

size_t mvoi_buyers_count(const mvoi_buyers_t *self) { return self ? self->n : 0; }

const mvoi_buyer_t *mvoi_buyers_at(const mvoi_buyers_t *self, size_t i)
{
    return self && i < self->n ? &self->b[i] : NULL;
}
