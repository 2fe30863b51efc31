/*  mvoi_auth: the key registry and the role/buyer rule. See mvoi_auth.h. */
#include "mvoi_auth.h"

#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "mvoi_id.h"
#include "textfmt.h"

struct mvoi_auth {
    mvoi_key_t *k;
    size_t n, cap;
};

typedef struct {
    mvoi_auth_t *self;
    char why[200];
    bool seen_public, seen_role, seen_buyers;   /* of the last section */
} s_parse_t;

static const char *const s_roles[] = { NULL, "service", "admin", "submitter", "reader",
                                       "dashboard" };

const char *mvoi_role_name(mvoi_role_t role)
{
    return role >= MVOI_ROLE_SERVICE && role <= MVOI_ROLE_DASHBOARD ? s_roles[role] : "none";
}

int mvoi_role_parse(const char *name, mvoi_role_t *out)
{
    for (int r = MVOI_ROLE_SERVICE; r <= MVOI_ROLE_DASHBOARD; r++)
        if (name && strcmp(name, s_roles[r]) == 0) {
            *out = (mvoi_role_t)r;
            return 0;
        }
    return -EINVAL;
}

static int s_fail(s_parse_t *p, const char *fmt, const char *what)
{
    if (!p->why[0])
        snprintf(p->why, sizeof p->why, fmt, what ? what : "");
    return 0;
}

static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MVOI_AUTH_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'
              || *s == '.'))
            return false;
    return true;
}

/* A Z85 public key: 40 characters that decode to 32 bytes. */
static bool s_key_ok(const char *z85)
{
    uint8_t bin[32];
    return strlen(z85) == MVOI_Z85_KEY_LEN && zmq_z85_decode(bin, z85) != NULL;
}

/* Before a new section starts and at the end: the previous one must be complete. */
static bool s_complete(s_parse_t *p)
{
    mvoi_auth_t *self = p->self;
    if (self->n == 0)
        return true;
    const char *name = self->k[self->n - 1].name;
    if (!p->seen_public)
        return s_fail(p, "key %s has no public =", name), false;
    if (!p->seen_role)
        return s_fail(p, "key %s has no role =", name), false;
    if (!p->seen_buyers)
        return s_fail(p, "key %s has no buyers = (\"*\" or buyer ids)", name), false;
    return true;
}

static mvoi_key_t *s_add(s_parse_t *p, const char *name)
{
    mvoi_auth_t *self = p->self;
    if (!s_complete(p))
        return NULL;
    if (!s_name_ok(name))
        return s_fail(p, "key name '%.64s' is not [a-z0-9_.-]{1,64}", name), NULL;
    if (mvoi_auth_find_name(self, name))
        return s_fail(p, "duplicate key name %s", name), NULL;
    if (self->n == MVOI_AUTH_KEYS_MAX)
        return s_fail(p, "too many keys%s", NULL), NULL;
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        mvoi_key_t *nk = realloc(self->k, cap * sizeof *nk);
        if (!nk)
            return s_fail(p, "out of memory%s", NULL), NULL;
        self->k = nk;
        self->cap = cap;
    }
    mvoi_key_t *k = &self->k[self->n++];
    memset(k, 0, sizeof *k);
    memcpy(k->name, name, strlen(name) + 1);
    p->seen_public = p->seen_role = p->seen_buyers = false;
    return k;
}

static int s_buyers(s_parse_t *p, mvoi_key_t *k, const char *v)
{
    if (strcmp(v, "*") == 0) {
        k->all_buyers = true;
        return 1;
    }
    char buf[MVOI_AUTH_BUYERS_MAX * (MVOI_AUTH_NAME_MAX + 2)];
    if (strlen(v) >= sizeof buf)
        return s_fail(p, "buyers of key %s: list too long (use \"*\")", k->name);
    memcpy(buf, v, strlen(v) + 1);
    for (char *save = NULL, *t = strtok_r(buf, " ,\t", &save); t;
         t = strtok_r(NULL, " ,\t", &save)) {
        if (mvoi_id_check_str(MVOI_ID_BUYER, t, NULL, 0) != 0)
            return s_fail(p, "buyers: '%.64s' is not a buyer id", t);
        if (k->nbuyers == MVOI_AUTH_BUYERS_MAX)
            return s_fail(p, "buyers of key %s: more than 64 (use \"*\")", k->name);
        memcpy(k->buyers[k->nbuyers++], t, strlen(t) + 1);
    }
    if (k->nbuyers == 0)
        return s_fail(p, "buyers of key %s: empty (\"*\" or buyer ids)", k->name);
    return 1;
}

static int s_handler(void *arg, const char *section, const char *key, const char *value)
{
    s_parse_t *p = arg;
    if (p->why[0])
        return 0;
    if (!section || !*section)
        return s_fail(p, "a key outside a [name] section: %s", key);
    mvoi_auth_t *self = p->self;
    mvoi_key_t *k = self->n ? &self->k[self->n - 1] : NULL;
    if (!k || strcmp(k->name, section) != 0) {
        if (!(k = s_add(p, section)))
            return 0;
    }
    if (strcmp(key, "public") == 0) {
        if (p->seen_public)
            return s_fail(p, "public given twice (a duplicate section %s?)", section);
        if (!s_key_ok(value))
            return s_fail(p, "public of key %s is not a 40-character Z85 key", section);
        const mvoi_key_t *o = mvoi_auth_find_pub(self, value);
        if (o && o != k)
            return s_fail(p, "the public key of %s is listed twice", section);
        memcpy(k->pub, value, MVOI_Z85_KEY_LEN + 1);
        p->seen_public = true;
        return 1;
    }
    if (strcmp(key, "role") == 0) {
        if (p->seen_role || mvoi_role_parse(value, &k->role) != 0)
            return s_fail(p, "role must be one of service, admin, submitter, reader, "
                             "dashboard (key %s)", section);
        p->seen_role = true;
        return 1;
    }
    if (strcmp(key, "buyers") == 0) {
        if (p->seen_buyers)
            return s_fail(p, "buyers given twice (key %s)", section);
        p->seen_buyers = true;
        return s_buyers(p, k, value);
    }
    return s_fail(p, "unknown field %s", key);
}

mvoi_auth_t *mvoi_auth_load(const char *path, char *err, size_t cap)
{
    err[0] = 0;
    mvoi_auth_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    FILE *f = path && *path ? fopen(path, "r") : NULL;
    if (!f) {
        snprintf(err, cap, "%s: %s", path && *path ? path : "(no file)",
                 path && *path ? strerror(errno) : "not configured");
        mvoi_auth_destroy(&self);
        return NULL;
    }
    /* The registry decides who gets in: one that others may change is no allowlist. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 022)) {
        snprintf(err, cap, "keys_file_permissions: '%s' has mode %04o, which lets %s change "
                 "who is admitted; chmod 0644 or stricter", path,
                 (unsigned)(st.st_mode & 07777), (st.st_mode & 002) ? "every user" : "its group");
        fclose(f);
        mvoi_auth_destroy(&self);
        return NULL;
    }
    s_parse_t p = { .self = self };
    int rc = ini_parse_file(f, s_handler, &p);
    fclose(f);
    if (rc == 0 && !p.why[0])
        s_complete(&p);
    if (rc != 0 || p.why[0])
        snprintf(err, cap, "%s:%d: %s", path, rc, p.why[0] ? p.why : "not an INI line");
    else if (self->n == 0)
        snprintf(err, cap, "%s: no keys", path);
    if (err[0])
        mvoi_auth_destroy(&self);
    return self;
}

void mvoi_auth_destroy(mvoi_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->k);
    free(*self_p);
    *self_p = NULL;
}

const mvoi_key_t *mvoi_auth_find_pub(const mvoi_auth_t *self, const char *z85)
{
    for (size_t i = 0; self && z85 && i < self->n; i++)
        if (strcmp(self->k[i].pub, z85) == 0)
            return &self->k[i];
    return NULL;
}

const mvoi_key_t *mvoi_auth_find_name(const mvoi_auth_t *self, const char *name)
{
    for (size_t i = 0; self && name && i < self->n; i++)
        if (strcmp(self->k[i].name, name) == 0)
            return &self->k[i];
    return NULL;
}

size_t mvoi_auth_count(const mvoi_auth_t *self) { return self ? self->n : 0; }

static bool s_for_buyer(const mvoi_key_t *k, const char *buyer)
{
    if (k->all_buyers)
        return true;
    for (int i = 0; buyer && i < k->nbuyers; i++)
        if (strcmp(k->buyers[i], buyer) == 0)
            return true;
    return false;
}

int mvoi_auth_allow(const mvoi_key_t *k, mvoi_act_t act, const char *buyer, text_lang_t lang,
                    char *why, size_t cap)
{
    if (!k) {
        textfmt_tr(why, cap, lang, "auth.", "the connection carries no admitted key");
        return -EACCES;
    }
    if (act == MVOI_ACT_HEALTH)
        return 0;
    if (act == MVOI_ACT_STREAM) {
        if (k->all_buyers)
            return 0;
        textfmt_tr(why, cap, lang, "auth.", "key %s (%s) is for some buyers only; replay, "
                   "snapshot and the event stream carry every buyer's events", k->name,
                   mvoi_role_name(k->role));
        return -EACCES;
    }
    if (act == MVOI_ACT_COMMAND && k->role != MVOI_ROLE_SERVICE && k->role != MVOI_ROLE_ADMIN
        && k->role != MVOI_ROLE_SUBMITTER) {
        textfmt_tr(why, cap, lang, "auth.", "key %s has role %s, which may not change anything",
                   k->name, mvoi_role_name(k->role));
        return -EACCES;
    }
    bool named = buyer && *buyer;
    if (!named && !k->all_buyers) {
        textfmt_tr(why, cap, lang, "auth.", "key %s is for some buyers only and the request "
                   "names none", k->name);
        return -EACCES;
    }
    if (named && !s_for_buyer(k, buyer)) {
        textfmt_tr(why, cap, lang, "auth.", "key %s may not act for buyer %.64s", k->name,
                   buyer);
        return -EACCES;
    }
    return 0;
}
