/*  gw_auth: tokens file, hashed tokens, roles (gw_auth.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gw_auth.h"

typedef struct {
    gw_role_t role;
    uint8_t hash[32];
    char name[64];
} s_entry_t;

struct gw_auth_t {
    s_entry_t *e;
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

gw_auth_t *gw_auth_from_text(const char *text, char *err, size_t errlen)
{
    gw_auth_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    char *copy = strdup(text ? text : "");
    if (!copy) {
        free(self);
        return NULL;
    }
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;   /* counts non-empty lines only: strtok_r skips empty ones */
        char *hash_c = strchr(line, '#');
        if (hash_c)
            *hash_c = '\0';
        char role[32] = "", hex[128] = "", name[64] = "";
        int k = sscanf(line, "%31s %127s %63s", role, hex, name);
        if (k <= 0)
            continue;
        gw_role_t r;
        if (k < 2 || gw_role_parse(role, &r) < 0 || strlen(hex) != 64) {
            snprintf(err, errlen, "line %d: expected `reader|submitter|admin <sha256 hex> [name]`",
                     lineno);
            goto fail;
        }
        s_entry_t e = { .role = r };
        for (int i = 0; i < 32; i++) {
            int hi = s_hex(hex[2 * i]), lo = s_hex(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                snprintf(err, errlen, "line %d: the hash is not 64 hex digits", lineno);
                goto fail;
            }
            e.hash[i] = (uint8_t)(hi << 4 | lo);
        }
        snprintf(e.name, sizeof e.name, "%s", k >= 3 ? name : role);
        s_entry_t *ne = realloc(self->e, (size_t)(self->n + 1) * sizeof *ne);
        if (!ne)
            goto fail;
        self->e = ne;
        self->e[self->n++] = e;
    }
    free(copy);
    return self;
fail:
    free(copy);
    gw_auth_destroy(&self);
    return NULL;
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
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + len, tmp, n);
        len += n;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    gw_auth_t *self = gw_auth_from_text(buf ? buf : "", err, errlen);
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
    free((*self_p)->e);
    free(*self_p);
    *self_p = NULL;
}

int gw_auth_count(gw_auth_t *self) { return self ? self->n : 0; }

gw_role_t gw_auth_check(gw_auth_t *self, const char *token, size_t len, const char **name)
{
    if (!self || !token || len == 0)
        return GW_ROLE_NONE;
    uint8_t h[32];
    gw_sha256(token, len, h);
    gw_role_t role = GW_ROLE_NONE;
    int found = -1;
    for (int i = 0; i < self->n; i++) {   /* every entry, no early exit */
        int eq = gw_ct_compare(h, self->e[i].hash, 32) == 0;
        if (eq && found < 0) {
            found = i;
            role = self->e[i].role;
        }
    }
    if (name)
        *name = found >= 0 ? self->e[found].name : NULL;
    return role;
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
