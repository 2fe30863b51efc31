/*  gw_auth: tokens file, hashed tokens, roles and buyers (gw_auth.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gw_auth.h"

struct gw_auth_t {
    gw_token_t *e;
    int n;
};

const char *gw_role_name(gw_role_t r)
{
    switch (r) {
    case GW_ROLE_READER: return "reader";
    case GW_ROLE_SUBMITTER: return "submitter";
    case GW_ROLE_ADMIN: return "admin";
    default: return "none";
    }
}

int gw_role_parse(const char *s, gw_role_t *out)
{
    for (int r = GW_ROLE_READER; r <= GW_ROLE_ADMIN; r++)
        if (strcmp(s, gw_role_name(r)) == 0) {
            *out = r;
            return 0;
        }
    return -EINVAL;
}

static int s_hex(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int s_fail(char *err, size_t errlen, int lineno, const char *why)
{
    snprintf(err, errlen, "line %d: %s", lineno, why);
    return -EINVAL;
}

static int s_parse_hash(const char *hex, uint8_t out[32])
{
    if (strlen(hex) != 64)
        return -EINVAL;
    for (int i = 0; i < 32; i++) {
        int hi = s_hex(hex[2 * i]), lo = s_hex(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > GW_AUTH_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' ||
              *s == '.' || *s == '-'))
            return false;
    return true;
}

/* "buyers=*" or "buyers=a,b": every id by the id rule, none twice. */
static int s_parse_buyers(const char *list, gw_token_t *t, char *why, size_t cap)
{
    if (strcmp(list, "*") == 0) {
        t->all_buyers = true;
        return 0;
    }
    if (!*list) {
        snprintf(why, cap, "buyers= is empty (a buyer id, ids separated by commas, or *)");
        return -EINVAL;
    }
    if (!(t->buyers = strdup(list)))
        return -ENOMEM;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char idwhy[MVOI_ID_WHY_MAX];
        if (mvoi_id_check(MVOI_ID_BUYER, p, n, idwhy, sizeof idwhy) != 0) {
            snprintf(why, cap, "buyer '%.*s' %s", (int)(n < 64 ? n : 64), p, idwhy);
            return -EINVAL;
        }
        char one[MVOI_ID_BUYER_MAX + 1];
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        if (gw_token_allows(t, one)) {   /* t->nbuyers: the ids before this one */
            snprintf(why, cap, "buyer '%s' is listed twice", one);
            return -EINVAL;
        }
        if (++t->nbuyers > GW_AUTH_BUYERS_MAX) {
            snprintf(why, cap, "more than %d buyers: use buyers=*", GW_AUTH_BUYERS_MAX);
            return -EINVAL;
        }
        p += n;
        if (*p == ',' && !*++p) {
            snprintf(why, cap, "buyers= ends with a comma");
            return -EINVAL;
        }
    }
    return 0;
}

static const char s_usage[] = "expected `reader|submitter|admin <sha256 hex> [name] buyers=*|id,id...`";

/* One line (comment stripped) into *t; 1 when it holds a token, 0 when blank, or -errno. */
static int s_parse_line(char *line, int lineno, gw_token_t *t, char *err, size_t errlen)
{
    char *f[5];
    int k = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        if (k == 4)
            return s_fail(err, errlen, lineno, s_usage);
        f[k++] = w;
    }
    if (k == 0)
        return 0;
    memset(t, 0, sizeof *t);
    if (k < 2 || gw_role_parse(f[0], &t->role) < 0)
        return s_fail(err, errlen, lineno, s_usage);
    if (s_parse_hash(f[1], t->hash) < 0)
        return s_fail(err, errlen, lineno, "the hash is not 64 hex digits (sha256sum)");
    const char *name = k >= 3 && strncmp(f[2], "buyers=", 7) != 0 ? f[2] : NULL;
    const char *buyers = strncmp(f[k - 1], "buyers=", 7) == 0 ? f[k - 1] + 7 : NULL;
    if (!buyers)
        return s_fail(err, errlen, lineno,
                      "which buyers may this token act for? add buyers=* (every buyer) or "
                      "buyers=heerlen,venlo (tokens from before buyers= are not guessed at)");
    if (k == 4 && !name)
        return s_fail(err, errlen, lineno, s_usage);
    if (name && !s_name_ok(name))
        return s_fail(err, errlen, lineno, "the name is 1 to 64 of [a-z0-9_.-]");
    snprintf(t->name, sizeof t->name, "%s", name ? name : gw_role_name(t->role));
    char why[200];
    int rc = s_parse_buyers(buyers, t, why, sizeof why);
    if (rc < 0) {
        free(t->buyers);
        t->buyers = NULL;
        return rc == -ENOMEM ? rc : s_fail(err, errlen, lineno, why);
    }
    return 1;
}

/* A token listed twice would have two roles or two lists of buyers, and the first line would
 * win without a word: a line added to narrow a token (buyers=venlo below an old buyers=*)
 * would leave it acting for every buyer. Refused by name, as the key registry refuses a
 * public key listed twice (mvoi_auth.c). Load time only: no secret is compared here. */
static int s_listed_before(const gw_auth_t *self, const gw_token_t *t)
{
    for (int i = 0; i < self->n; i++)
        if (memcmp(self->e[i].hash, t->hash, sizeof t->hash) == 0)
            return i;
    return -1;
}

static int s_add(gw_auth_t *self, const gw_token_t *t)
{
    gw_token_t *ne = realloc(self->e, (size_t)(self->n + 1) * sizeof *ne);
    if (!ne)
        return -ENOMEM;
    self->e = ne;
    self->e[self->n++] = *t;
    return 0;
}

gw_auth_t *gw_auth_from_text(const char *text, char *err, size_t errlen)
{
    gw_auth_t *self = calloc(1, sizeof *self);
    char *copy = strdup(text ? text : "");
    if (!self || !copy) {
        free(self);
        free(copy);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int lineno = 0, rc = 0;
    for (char *line = copy, *next; line && rc >= 0; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strlen(line) > GW_AUTH_LINE_MAX) {
            rc = s_fail(err, errlen, lineno, "longer than 65536 characters");
            break;
        }
        char *hash_c = strchr(line, '#');
        if (hash_c)
            *hash_c = '\0';
        gw_token_t t;
        rc = s_parse_line(line, lineno, &t, err, errlen);
        int dup = rc > 0 ? s_listed_before(self, &t) : -1;
        if (dup >= 0) {
            char why[200];
            snprintf(why, sizeof why, "the same token (sha256) as token %s above: a token has "
                     "one role and one list of buyers; remove one of the lines",
                     self->e[dup].name);
            free(t.buyers);
            rc = s_fail(err, errlen, lineno, why);
            break;
        }
        if (rc > 0 && (rc = s_add(self, &t)) < 0)
            free(t.buyers);
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory");
    }
    free(copy);
    if (rc < 0)
        gw_auth_destroy(&self);
    return self;
}

gw_auth_t *gw_auth_new(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return gw_auth_from_text("", err, errlen);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + len, tmp, n);
        len += n;
    }
    bool bad = ferror(f);
    fclose(f);
    if (buf)
        buf[len] = '\0';
    gw_auth_t *self = NULL;
    if (bad)
        snprintf(err, errlen, "cannot read: %s", strerror(EIO));
    else
        self = gw_auth_from_text(buf ? buf : "", err, errlen);
    if (buf) {
        memset(buf, 0, len);
        free(buf);
    }
    return self;
}

void gw_auth_destroy(gw_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int i = 0; i < (*self_p)->n; i++)
        free((*self_p)->e[i].buyers);
    free((*self_p)->e);
    free(*self_p);
    *self_p = NULL;
}

int gw_auth_count(gw_auth_t *self) { return self ? self->n : 0; }

const gw_token_t *gw_auth_find(gw_auth_t *self, const char *token, size_t len)
{
    if (!self || !token || len == 0)
        return NULL;
    uint8_t h[32];
    if (gw_sha256(token, len, h) != 0)
        return NULL;
    int found = -1;
    for (int i = 0; i < self->n; i++) {   /* every entry, no early exit */
        int eq = gw_ct_compare(h, self->e[i].hash, 32) == 0;
        if (eq && found < 0)
            found = i;
    }
    return found >= 0 ? &self->e[found] : NULL;
}

gw_role_t gw_auth_check(gw_auth_t *self, const char *token, size_t len, const char **name)
{
    const gw_token_t *t = gw_auth_find(self, token, len);
    if (name)
        *name = t ? t->name : NULL;
    return t ? t->role : GW_ROLE_NONE;
}

bool gw_token_allows(const gw_token_t *t, const char *buyer)
{
    if (!t || !buyer)
        return false;
    if (t->all_buyers)
        return true;
    size_t bl = strlen(buyer);
    const char *p = t->buyers;
    for (int i = 0; p && i < t->nbuyers; i++) {
        size_t n = strcspn(p, ",");
        if (n == bl && memcmp(p, buyer, n) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

const char *gw_token_default_buyer(const gw_token_t *t)
{
    return t && !t->all_buyers && t->nbuyers == 1 ? t->buyers : NULL;
}

int gw_auth_check_buyers(gw_auth_t *self, bool (*accepts)(void *arg, const char *buyer),
                         void *arg, char *err, size_t errlen)
{
    for (int i = 0; self && i < self->n; i++) {
        const char *p = self->e[i].buyers;
        for (int j = 0; p && j < self->e[i].nbuyers; j++) {
            size_t n = strcspn(p, ",");
            char one[MVOI_ID_BUYER_MAX + 1];
            snprintf(one, sizeof one, "%.*s", (int)n, p);
            if (!accepts(arg, one)) {
                snprintf(err, errlen, "token %s: buyer '%s' is not served here (not in the "
                         "buyer registry)", self->e[i].name, one);
                return -ENOENT;
            }
            p += n + (p[n] == ',');
        }
    }
    return 0;
}

const char *gw_auth_bearer(const char *header, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    if (!n)
        return NULL;
    *len = n;
    return t;
}
