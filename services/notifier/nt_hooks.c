/*  nt_hooks: where a reminder's webhook copy goes, per buyer. See nt_hooks.h. */
#include "nt_hooks.h"

#include <curl/curl.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* Debian's libinih (r55): INI_MAX_LINE 200 with \r\n\0; a longer line would be cut and its
 * rest read as a line of its own, so such a line is refused by number instead. */
#define S_LINE_MAX 197

enum { S_URL = 1, S_SECRET = 2, S_TPL = 4 };

typedef struct {
    char buyer[MVOI_ID_BUYER_MAX + 1];
    nt_hook_t h;
    int line;        /* of its first key */
    unsigned seen;   /* S_* */
} s_entry_t;

struct nt_hooks_t {
    nt_hook_t global;    /* url "" = no webhook_url */
    bool global_all;     /* webhook_buyers = "*", or the registry is one buyer */
    char **listed;       /* webhook_buyers as a list */
    size_t nlisted;
    s_entry_t *e;
    size_t n, cap;
};

static char *s_strdup0(const char *v) { return strdup(v ? v : ""); }

static void s_wipe(const char *secret)
{
    if (secret)
        memset((char *)secret, 0, strlen(secret));
}

int nt_hooks_url_ok(const char *url)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) &&
              host[0];
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(h);
    return ok ? 0 : -EINVAL;
}

int nt_hooks_secret_ok(const char *secret)
{
    char sig[128];
    if (!secret || !*secret)
        return 0;
    /* what delivery does, once here: a key that does not sign would send unsigned copies */
    return nt_webhook_sign(secret, "check", 0, "", 0, sig, sizeof sig) == 0 ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ the webhooks file */

typedef struct {
    nt_hooks_t *h;
    const mvoi_buyers_t *buyers;
    const char *path;
    char dir[4096];          /* of path, for relative url_file / secret_file */
    const char *text;        /* the file, read as a secret */
    size_t pos;
    int line, long_line;
    char why[600];
} s_parse_t;

static int s_fail(s_parse_t *p, const char *section, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_fail(s_parse_t *p, const char *section, const char *fmt, ...)
{
    if (p->why[0])
        return 0;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->why, sizeof p->why, "webhooks_file: %s:%d: %s%.80s%s%s", p->path, p->line,
             section ? "[" : "", section ? section : "", section ? "] " : "", what);
    return 0;
}

/* ini_reader over the text: counts lines, and ends at the first one libinih would cut. */
static char *s_read_line(char *str, int num, void *stream)
{
    s_parse_t *p = stream;
    const char *t = p->text + p->pos;
    if (!*t)
        return NULL;
    size_t len = strcspn(t, "\n");
    size_t body = len && t[len - 1] == '\r' ? len - 1 : len;
    p->line++;
    if (body > S_LINE_MAX) {   /* stop here: its cut part must not be read as a value */
        p->long_line = p->line;
        return NULL;
    }
    size_t take = len < (size_t)num - 2 ? len : (size_t)num - 2;
    memcpy(str, t, take);
    str[take] = '\n';
    str[take + 1] = 0;
    p->pos += len + (t[len] == '\n');
    return str;
}

/* A credential named by a file (url_file, secret_file), checked as every secret file. */
static char *s_from_file(s_parse_t *p, const char *section, const char *key, const char *path)
{
    char full[8192], why[512];
    if (path[0] == '/')
        snprintf(full, sizeof full, "%s", path);
    else
        snprintf(full, sizeof full, "%s/%s", p->dir, path);
    char *v = NULL;
    if (cfg_read_secret(full, &v, why, sizeof why) != 0) {
        s_fail(p, section, "%s: %s", key, why);
        return NULL;
    }
    return v;
}

/* The entry of a section: the last one, or a new one for a buyer of the registry. */
static s_entry_t *s_entry(s_parse_t *p, const char *section)
{
    nt_hooks_t *h = p->h;
    if (h->n && strcmp(h->e[h->n - 1].buyer, section) == 0)
        return &h->e[h->n - 1];
    char why[MVOI_ID_WHY_MAX];
    if (mvoi_id_check_str(MVOI_ID_BUYER, section, why, sizeof why) != 0) {
        s_fail(p, section, "not a buyer id: %s", why);
        return NULL;
    }
    if (!mvoi_buyers_accepts(p->buyers, section)) {
        s_fail(p, section, "buyer '%s' is not in the buyer registry (MVOI_BUYERS_FILE)",
               section);
        return NULL;
    }
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->e[i].buyer, section) == 0) {
            s_fail(p, section, "a second section for this buyer, the first at line %d (one "
                   "buyer, one webhook)", h->e[i].line);
            return NULL;
        }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        s_entry_t *ne = cap <= MVOI_BUYERS_MAX ? realloc(h->e, cap * sizeof *ne) : NULL;
        if (!ne) {
            s_fail(p, section, "out of memory");
            return NULL;
        }
        h->e = ne;
        h->cap = cap;
    }
    s_entry_t *e = &h->e[h->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->buyer, sizeof e->buyer, "%s", section);
    e->line = p->line;
    return e;
}

/* url or url_file: one of them, once, an http(s) URL (never echoed: it may be the
 * credential). */
static int s_key_url(s_parse_t *p, s_entry_t *e, const char *key, const char *value)
{
    if (e->seen & S_URL)
        return s_fail(p, e->buyer, "%s: the url is given twice (url or url_file, once)", key);
    char *v = strcmp(key, "url") == 0 ? s_strdup0(value) : s_from_file(p, e->buyer, key, value);
    if (!v)
        return s_fail(p, e->buyer, "%s: out of memory", key);
    e->seen |= S_URL;
    e->h.url = v;
    if (nt_hooks_url_ok(v) != 0)
        return s_fail(p, e->buyer, "%s: not an http:// or https:// URL with a host", key);
    return 1;
}

static int s_key_secret(s_parse_t *p, s_entry_t *e, const char *key, const char *value)
{
    if (e->seen & S_SECRET)
        return s_fail(p, e->buyer, "%s: the secret is given twice (secret or secret_file, "
                      "once)", key);
    bool inline_ = strcmp(key, "secret") == 0;
    char *v = inline_ ? s_strdup0(value) : s_from_file(p, e->buyer, key, value);
    if (!v)
        return s_fail(p, e->buyer, "%s: out of memory", key);
    e->seen |= S_SECRET;
    e->h.secret = v;
    if ((!inline_ && !*v) || nt_hooks_secret_ok(v) != 0)
        return s_fail(p, e->buyer, "%s: not a usable signing secret (whsec_ and base64, or "
                      "raw; at most 512 bytes)", key);
    return 1;
}

static int s_handler(void *arg, const char *section, const char *key, const char *value)
{
    s_parse_t *p = arg;
    if (p->why[0])
        return 0;   /* the first error only */
    if (!section || !*section)
        return s_fail(p, NULL, "'%s' outside a [buyer] section", key);
    s_entry_t *e = s_entry(p, section);
    if (!e)
        return 0;
    if (strcmp(key, "url") == 0 || strcmp(key, "url_file") == 0)
        return s_key_url(p, e, key, value);
    if (strcmp(key, "secret") == 0 || strcmp(key, "secret_file") == 0)
        return s_key_secret(p, e, key, value);
    if (strcmp(key, "template") == 0) {
        if (e->seen & S_TPL)
            return s_fail(p, section, "template: given twice");
        e->seen |= S_TPL;
        if (nt_template_parse(value, &e->h.tpl) != 0)
            return s_fail(p, section, "template: must be plain, teams or slack, got '%.40s'",
                          value);
        return 1;
    }
    return s_fail(p, section, "unknown key '%.40s' (url, url_file, secret, secret_file, "
                  "template)", key);
}

/* Parses the file into h; 0 or -1 with p->why. */
static int s_load_file(s_parse_t *p)
{
    char why[512];
    char *text = NULL;
    p->line = 0;
    if (cfg_read_secret(p->path, &text, why, sizeof why) != 0) {
        snprintf(p->why, sizeof p->why, "webhooks_file: %s", why);
        return -1;
    }
    const char *slash = strrchr(p->path, '/');
    snprintf(p->dir, sizeof p->dir, "%.*s", slash ? (int)(slash - p->path) : 1,
             slash ? p->path : ".");
    if (slash == p->path)
        snprintf(p->dir, sizeof p->dir, "/");
    p->text = text;
    int rc = ini_parse_stream(s_read_line, p, s_handler, p);
    if (p->long_line && !p->why[0]) {
        p->line = p->long_line;
        s_fail(p, NULL, "line longer than %d characters (libinih's limit; put a long URL "
               "in a file and name it with url_file)", S_LINE_MAX);
    } else if (rc > 0 && !p->why[0]) {
        p->line = rc;
        s_fail(p, NULL, "not an INI line");
    } else if (rc < 0 && !p->why[0]) {
        s_fail(p, NULL, "out of memory");
    }
    s_wipe(text);
    free(text);
    for (size_t i = 0; !p->why[0] && i < p->h->n; i++)
        if (!p->h->e[i].h.url || !*p->h->e[i].h.url) {
            p->line = p->h->e[i].line;
            s_fail(p, p->h->e[i].buyer, "no url (url or url_file)");
        }
    return p->why[0] ? -1 : 0;
}

/* ------------------------------------------------------------------ webhook_url */

/* webhook_buyers: "*", or buyer ids separated by commas (spaces around them allowed). */
static int s_listed(nt_hooks_t *h, const char *list, const mvoi_buyers_t *buyers, char *why,
                    size_t whylen)
{
    if (strcmp(list, "*") == 0) {
        h->global_all = true;
        return 0;
    }
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return -ENOMEM;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ')
            t[--l] = 0;
        if (!mvoi_buyers_accepts(buyers, t)) {
            snprintf(why, whylen, "webhook_buyers: '%.64s' is not a buyer of the buyer "
                     "registry (MVOI_BUYERS_FILE); give \"*\" or buyer ids separated by commas",
                     t);
            rc = -EINVAL;
        } else if (h->nlisted == MVOI_BUYERS_MAX) {
            snprintf(why, whylen, "webhook_buyers: more than %d buyers", MVOI_BUYERS_MAX);
            rc = -EINVAL;
        } else {
            char **nl = realloc(h->listed, (h->nlisted + 1) * sizeof *nl);
            if (nl)
                h->listed = nl;
            if (!nl || !(t = strdup(t)))
                rc = -ENOMEM;
            else
                h->listed[h->nlisted++] = t;
        }
    }
    free(copy);
    if (rc == 0 && !h->nlisted) {
        snprintf(why, whylen, "webhook_buyers: give \"*\" or buyer ids separated by commas");
        rc = -EINVAL;
    }
    return rc;
}

/* webhook_url and whose reminders it receives; 0 or an error with why. */
static int s_global(nt_hooks_t *h, const nt_hooks_opts_t *o, const mvoi_buyers_t *buyers,
                    char *why, size_t whylen)
{
    const char *list = o->buyers ? o->buyers : "";
    if (!o->url || !*o->url) {
        if (*list) {
            snprintf(why, whylen, "webhook_buyers: set, but webhook_url is empty");
            return -EINVAL;
        }
        return 0;
    }
    if (nt_hooks_url_ok(o->url) != 0) {
        snprintf(why, whylen, "webhook_url: not an http:// or https:// URL with a host");
        return -EINVAL;
    }
    if (nt_hooks_secret_ok(o->secret) != 0) {
        snprintf(why, whylen, "webhook_secret: not a usable signing secret (whsec_ and "
                 "base64, or raw; at most 512 bytes)");
        return -EINVAL;
    }
    if (!(h->global.url = s_strdup0(o->url)) || !(h->global.secret = s_strdup0(o->secret)))
        return -ENOMEM;
    if (*list)
        return s_listed(h, list, buyers, why, whylen);
    if (!mvoi_buyers_open(buyers) && mvoi_buyers_count(buyers) == 1) {
        h->global_all = true;   /* the one buyer served: nobody else's reminders exist */
        return 0;
    }
    if (mvoi_buyers_open(buyers))
        snprintf(why, whylen, "webhook_url: the buyer registry is open (any buyer is served), "
                 "and one URL would receive every buyer's reminders: give each buyer its own "
                 "webhook (MVOI_NOTIFIER_WEBHOOKS_FILE), or say whose reminders this URL gets "
                 "(MVOI_NOTIFIER_WEBHOOK_BUYERS: \"*\" or buyer ids)");
    else
        snprintf(why, whylen, "webhook_url: the buyer registry serves %zu buyers, and one URL "
                 "would receive every buyer's reminders: give each buyer its own webhook "
                 "(MVOI_NOTIFIER_WEBHOOKS_FILE), or say whose reminders this URL gets "
                 "(MVOI_NOTIFIER_WEBHOOK_BUYERS: \"*\" or buyer ids)",
                 mvoi_buyers_count(buyers));
    return -EINVAL;
}

/* A buyer listed in webhook_buyers with a section of its own: which one was meant? */
static int s_overlap(const nt_hooks_t *h, const char *file, char *why, size_t whylen)
{
    for (size_t i = 0; i < h->nlisted; i++)
        for (size_t j = 0; j < h->n; j++)
            if (strcmp(h->listed[i], h->e[j].buyer) == 0) {
                snprintf(why, whylen, "webhook_buyers: '%s' also has a webhook of its own in "
                         "%s:%d [%s] (one buyer, one webhook)", h->listed[i], file,
                         h->e[j].line, h->e[j].buyer);
                return -EINVAL;
            }
    return 0;
}

nt_hooks_t *nt_hooks_new(const nt_hooks_opts_t *o, const mvoi_buyers_t *buyers, char *why,
                         size_t whylen)
{
    nt_hooks_t *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(why, whylen, "webhooks: out of memory");
        return NULL;
    }
    nt_template_t tpl = NT_TPL_PLAIN;
    int rc = 0;
    if (nt_template_parse(o->template_name ? o->template_name : "plain", &tpl) != 0) {
        snprintf(why, whylen, "webhook_template: must be plain, teams or slack");
        rc = -EINVAL;
    }
    h->global.tpl = tpl;
    if (!rc)
        rc = s_global(h, o, buyers, why, whylen);
    if (!rc && o->file && *o->file) {
        s_parse_t p = { .h = h, .buyers = buyers, .path = o->file };
        if (s_load_file(&p) != 0) {
            snprintf(why, whylen, "%s", p.why);
            rc = -EINVAL;
        }
        for (size_t i = 0; i < h->n; i++) {
            if (!(h->e[i].seen & S_TPL))
                h->e[i].h.tpl = tpl;   /* a section without one: webhook_template */
            if (!h->e[i].h.secret && !(h->e[i].h.secret = strdup("")))
                rc = -ENOMEM;
        }
        if (!rc)
            rc = s_overlap(h, o->file, why, whylen);
    }
    if (rc == -ENOMEM)
        snprintf(why, whylen, "webhooks: out of memory");
    if (rc)
        nt_hooks_destroy(&h);
    return h;
}

void nt_hooks_destroy(nt_hooks_t **self_p)
{
    nt_hooks_t *h = *self_p;
    if (!h)
        return;
    *self_p = NULL;
    s_wipe(h->global.secret);
    s_wipe(h->global.url);
    free((char *)h->global.url);
    free((char *)h->global.secret);
    for (size_t i = 0; i < h->nlisted; i++)
        free(h->listed[i]);
    free(h->listed);
    for (size_t i = 0; i < h->n; i++) {
        s_wipe(h->e[i].h.secret);
        s_wipe(h->e[i].h.url);
        free((char *)h->e[i].h.url);
        free((char *)h->e[i].h.secret);
    }
    free(h->e);
    free(h);
}

const nt_hook_t *nt_hooks_for(const nt_hooks_t *h, const char *buyer)
{
    if (!h)
        return NULL;
    bool none = !buyer || !*buyer;
    for (size_t i = 0; !none && i < h->n; i++)
        if (strcmp(h->e[i].buyer, buyer) == 0)
            return h->e[i].h.url ? &h->e[i].h : NULL;
    if (!h->global.url || !*h->global.url)
        return NULL;
    if (none || h->global_all)
        return &h->global;
    for (size_t i = 0; i < h->nlisted; i++)
        if (strcmp(h->listed[i], buyer) == 0)
            return &h->global;
    return NULL;
}

size_t nt_hooks_count(const nt_hooks_t *h) { return h ? h->n : 0; }
