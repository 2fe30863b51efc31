/*  config: typed settings from MVOI_* environment variables and an optional INI file. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CFG_SHARED_SECTION "mvoi"
#define CFG_SECRET_MAX (64 * 1024)
#define CFG_INI_LINE_MAX 197   /* Debian's libinih r55: INI_MAX_LINE 200 incl. \r\n\0 */
#define CFG_IPC_PATH_MAX 107   /* sun_path minus the terminating NUL */

typedef struct {
    const cfg_spec_t *spec;
    char *value;          /* NULL until a source sets it */
    const char *origin;   /* "env", "file", "ini", "default" */
    int ini_line;         /* line of the INI value, for messages */
    int64_t ival;
    bool bval;
} cfg_entry_t;

struct cfg_t {
    char *service;
    char *ini_path;
    cfg_entry_t *e;
    int n;
};

static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void s_upper(const char *in, char *out, size_t len, size_t *pos)
{
    for (; *in && *pos + 1 < len; in++, (*pos)++) {
        unsigned char c = (unsigned char) *in;
        out[*pos] = isalnum(c) ? (char) toupper(c) : '_';
    }
    out[*pos < len ? *pos : len - 1] = '\0';
}

void cfg_env_name(const char *service, const cfg_spec_t *spec, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    size_t pos = 0;
    s_upper("MVOI_", buf, len, &pos);
    if (!spec->shared && service && *service) {
        s_upper(service, buf, len, &pos);
        s_upper("_", buf, len, &pos);
    }
    s_upper(spec->key, buf, len, &pos);
}

static cfg_entry_t *s_find(cfg_t *self, const char *key)
{
    if (!self || !key)
        return NULL;
    for (int i = 0; i < self->n; i++)
        if (strcmp(self->e[i].spec->key, key) == 0)
            return &self->e[i];
    return NULL;
}

static const char *s_type_name(cfg_type_t t)
{
    switch (t) {
    case CFG_STRING: return "string";
    case CFG_INT: return "integer";
    case CFG_BOOL: return "boolean";
    case CFG_SECRET: return "secret";
    case CFG_ENDPOINT: return "endpoint";
    case CFG_PATH: return "path";
    case CFG_SECRET_URL: return "secret url";
    }
    return "?";
}

/* ---- validation ---------------------------------------------------------------- */

static int s_parse_bool(const char *v, bool *out)
{
    static const char *yes[] = { "true", "yes", "1", "on" };
    static const char *no[] = { "false", "no", "0", "off" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = true; return 0; }
        if (strcasecmp(v, no[i]) == 0) { *out = false; return 0; }
    }
    return -EINVAL;
}

static int s_parse_int(const char *v, int64_t *out)
{
    if (!(isdigit((unsigned char) v[0]) || ((v[0] == '-' || v[0] == '+')
                                            && isdigit((unsigned char) v[1]))))
        return -EINVAL;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *out = x;
    return 0;
}

/* 0 when endpoint is a usable zmq endpoint, else a reason in why. */
static int s_check_endpoint(const char *v, char *why, size_t len)
{
    if (strlen(v) > CFG_ENDPOINT_MAX) {
        /* the services keep endpoints in buffers of this size: a longer one was cut, and
         * a cut in the port connected elsewhere */
        snprintf(why, len, "endpoint longer than %d bytes", CFG_ENDPOINT_MAX);
        return -EINVAL;
    }
    if (strncmp(v, "tcp://", 6) == 0) {
        const char *hp = v + 6;
        const char *colon = strrchr(hp, ':');
        if (!colon || colon == hp) {
            snprintf(why, len, "tcp endpoint needs host:port");
            return -EINVAL;
        }
        if (hp[0] == '[' && colon[-1] != ']') {
            snprintf(why, len, "tcp endpoint needs [ipv6]:port");
            return -EINVAL;
        }
        const char *port = colon + 1;
        if (strcmp(port, "*") == 0)
            return 0;
        int64_t p;
        if (s_parse_int(port, &p) != 0 || p < 1 || p > 65535) {
            snprintf(why, len, "tcp port must be 1-65535 or *");
            return -EINVAL;
        }
        return 0;
    }
    if (strncmp(v, "ipc://", 6) == 0) {
        if (!v[6]) {
            snprintf(why, len, "ipc endpoint needs a path");
            return -EINVAL;
        }
        if (strlen(v + 6) > CFG_IPC_PATH_MAX) {
            snprintf(why, len, "ipc path longer than %d bytes (sun_path limit)",
                     CFG_IPC_PATH_MAX);
            return -EINVAL;
        }
        return 0;
    }
    if (strncmp(v, "inproc://", 9) == 0) {
        if (!v[9]) {
            snprintf(why, len, "inproc endpoint needs a name");
            return -EINVAL;
        }
        return 0;
    }
    snprintf(why, len, "must be a zmq endpoint (tcp://host:port, ipc://path or inproc://name)");
    return -EINVAL;
}

/* Where a value came from, for error messages. */
static void s_where(cfg_t *self, cfg_entry_t *e, char *buf, size_t len)
{
    if (strcmp(e->origin, "ini") == 0)
        snprintf(buf, len, " (from %s:%d [%s] %s)", self->ini_path, e->ini_line,
                 e->spec->shared ? CFG_SHARED_SECTION : self->service, e->spec->key);
    else if (strcmp(e->origin, "file") == 0)
        snprintf(buf, len, " (from the _FILE variable)");
    else if (strcmp(e->origin, "default") == 0)
        snprintf(buf, len, " (built-in default)");
    else
        buf[0] = '\0';
}

static int s_validate(cfg_t *self, cfg_entry_t *e, char *err, size_t errlen)
{
    const cfg_spec_t *s = e->spec;
    char name[128], where[512], why[160];
    cfg_env_name(self->service, s, name, sizeof name);
    s_where(self, e, where, sizeof where);
    /* Never echo a secret back in a message. */
    char got[96];
    if (s->type == CFG_SECRET || s->type == CFG_SECRET_URL)
        snprintf(got, sizeof got, "(redacted)");
    else
        snprintf(got, sizeof got, "'%.80s%s'", e->value, strlen(e->value) > 80 ? "..." : "");

    switch (s->type) {
    case CFG_STRING:
    case CFG_SECRET:
        return 0;
    case CFG_SECRET_URL:
        if (e->value[0] && !strstr(e->value, "://")) {
            s_err(err, errlen, "%s: must be a URL (scheme://host...) or empty, got %s%s", name,
                  got, where);
            return -EINVAL;
        }
        return 0;
    case CFG_PATH:
        if (!e->value[0]) {
            s_err(err, errlen, "%s: must be a non-empty path%s", name, where);
            return -EINVAL;
        }
        return 0;
    case CFG_BOOL:
        if (s_parse_bool(e->value, &e->bval) != 0) {
            s_err(err, errlen, "%s: must be a boolean (true/false, yes/no, 1/0, on/off), got %s%s",
                  name, got, where);
            return -EINVAL;
        }
        return 0;
    case CFG_INT: {
        bool bounded = s->min != 0 || s->max != 0;
        if (s_parse_int(e->value, &e->ival) != 0
            || (bounded && (e->ival < s->min || e->ival > s->max))) {
            if (bounded)
                s_err(err, errlen, "%s: must be an integer between %lld and %lld, got %s%s",
                      name, (long long) s->min, (long long) s->max, got, where);
            else
                s_err(err, errlen, "%s: must be an integer, got %s%s", name, got, where);
            return -EINVAL;
        }
        return 0;
    }
    case CFG_ENDPOINT:
        if (s_check_endpoint(e->value, why, sizeof why) != 0) {
            s_err(err, errlen, "%s: %s, got %s%s", name, why, got, where);
            return -EINVAL;
        }
        return 0;
    }
    s_err(err, errlen, "%s: unknown type %d in the spec", name, (int) s->type);
    return -EINVAL;
}

/* ---- sources --------------------------------------------------------------------- */

static int s_set(cfg_entry_t *e, const char *value, const char *origin)
{
    char *v = strdup(value);
    if (!v)
        return -ENOMEM;
    free(e->value);
    e->value = v;
    e->origin = origin;
    return 0;
}

static int s_read_secret(const char *path, char **out, char *why, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "cannot read '%s': %s", path, strerror(errno));
        return -errno;
    }
    struct stat st;   /* of the file opened, not of the name: no race with a swap */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 027)) {
        snprintf(why, len, "secret_file_permissions: '%s' has mode %04o, which lets %s; "
                 "chmod 0600 (or 0640 for a group of the service) and replace the secret",
                 path, (unsigned) (st.st_mode & 07777),
                 (st.st_mode & 007) ? "other users read or change it" : "its group change it");
        fclose(f);
        return -EACCES;
    }
    char *buf = malloc(CFG_SECRET_MAX + 1);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n = fread(buf, 1, CFG_SECRET_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        snprintf(why, len, "cannot read '%s'", path);
        free(buf);
        return -EIO;
    }
    if (n > CFG_SECRET_MAX) {
        snprintf(why, len, "'%s' is larger than %d bytes", path, CFG_SECRET_MAX);
        free(buf);
        return -EFBIG;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        snprintf(why, len, "'%s' contains a NUL byte", path);
        free(buf);
        return -EINVAL;
    }
    /* Remove one trailing newline (what `echo` and most editors add). */
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    *out = buf;
    return 0;
}

int cfg_read_secret(const char *path, char **out, char *why, size_t len)
{
    return s_read_secret(path, out, why, len);
}

typedef struct {
    cfg_t *cfg;
    int line;            /* current line, counted by our reader */
    char err[512];
    int err_line;
    char *seen;          /* per entry: already set from the INI */
} ini_ctx_t;

static int s_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *ctx = user;
    cfg_t *self = ctx->cfg;
    bool own = strcmp(section, self->service) == 0;
    bool shared = strcmp(section, CFG_SHARED_SECTION) == 0;
    if (!own && !shared)
        return 1;            /* another service's section of a shared file */
    if (ctx->err[0])
        return 0;            /* report only the first error */

    cfg_entry_t *e = s_find(self, name);
    if (!e) {
        snprintf(ctx->err, sizeof ctx->err, "unknown key '%s' in section [%s]", name, section);
        ctx->err_line = ctx->line;
        return 0;
    }
    if (e->spec->shared != shared) {
        snprintf(ctx->err, sizeof ctx->err, "key '%s' belongs in section [%s], not [%s]",
                 name, e->spec->shared ? CFG_SHARED_SECTION : self->service, section);
        ctx->err_line = ctx->line;
        return 0;
    }
    int idx = (int) (e - self->e);
    if (ctx->seen[idx]) {
        snprintf(ctx->err, sizeof ctx->err,
                 "key '%s' in section [%s] is set twice (or continued on an indented line)",
                 name, section);
        ctx->err_line = ctx->line;
        return 0;
    }
    ctx->seen[idx] = 1;
    if (s_set(e, value, "ini") != 0) {
        snprintf(ctx->err, sizeof ctx->err, "out of memory");
        ctx->err_line = ctx->line;
        return 0;
    }
    e->ini_line = ctx->line;
    return 1;
}

/* fgets-style reader that counts lines and catches lines that libinih would cut. */
typedef struct {
    FILE *f;
    ini_ctx_t *ctx;
    int long_line;
} ini_reader_t;

static char *s_ini_read(char *str, int num, void *stream)
{
    ini_reader_t *r = stream;
    char *s = fgets(str, num, r->f);
    if (!s)
        return NULL;
    r->ctx->line++;
    size_t n = strlen(s);
    bool complete = n > 0 && s[n - 1] == '\n';
    if (!complete && !feof(r->f)) {
        /* Swallow the rest so that line numbers stay right; only real content past the
         * buffer (not just the line end) counts as a cut line. */
        int c, extra = 0;
        while ((c = fgetc(r->f)) != EOF && c != '\n')
            if (c != '\r')
                extra++;
        if (extra && !r->long_line)
            r->long_line = r->ctx->line;
    }
    return s;
}

static int s_load_ini(cfg_t *self, char *err, size_t errlen)
{
    FILE *f = fopen(self->ini_path, "r");
    if (!f) {
        s_err(err, errlen, "%s: cannot open: %s", self->ini_path, strerror(errno));
        return -errno;
    }
    ini_ctx_t ctx = { .cfg = self };
    ctx.seen = calloc((size_t) self->n + 1, 1);
    ini_reader_t r = { .f = f, .ctx = &ctx };
    int rc = ctx.seen ? ini_parse_stream(s_ini_read, &r, s_ini_handler, &ctx) : -2;
    fclose(f);
    free(ctx.seen);
    if (r.long_line) {
        s_err(err, errlen, "%s:%d: line longer than %d characters (libinih limit)",
              self->ini_path, r.long_line, CFG_INI_LINE_MAX);
        return -EINVAL;
    }
    if (ctx.err[0]) {
        s_err(err, errlen, "%s:%d: %s", self->ini_path, ctx.err_line, ctx.err);
        return -EINVAL;
    }
    if (rc == -2) {
        s_err(err, errlen, "%s: out of memory", self->ini_path);
        return -ENOMEM;
    }
    if (rc != 0) {
        s_err(err, errlen, "%s:%d: syntax error", self->ini_path, rc);
        return -EINVAL;
    }
    return 0;
}

static bool s_key_ok(const char *k)
{
    if (!k || !*k)
        return false;
    for (; *k; k++)
        if (!(islower((unsigned char) *k) || isdigit((unsigned char) *k) || *k == '_'))
            return false;
    return true;
}

cfg_t *cfg_new(const char *service, const cfg_spec_t *specs, int nspecs,
               const char *ini_path, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!service || !*service || nspecs < 0 || (nspecs > 0 && !specs)) {
        s_err(err, errlen, "config: invalid arguments");
        return NULL;
    }
    for (int i = 0; i < nspecs; i++) {
        if (!s_key_ok(specs[i].key)) {
            s_err(err, errlen, "config spec: invalid key '%s'", specs[i].key ? specs[i].key : "");
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(specs[i].key, specs[j].key) == 0) {
                s_err(err, errlen, "config spec: duplicate key '%s'", specs[i].key);
                return NULL;
            }
    }
    cfg_t *self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    self->service = strdup(service);
    self->e = calloc((size_t) nspecs + 1, sizeof *self->e);
    if (!self->service || !self->e)
        goto nomem;
    self->n = nspecs;
    for (int i = 0; i < nspecs; i++)
        self->e[i].spec = &specs[i];

    /* Lowest precedence first; each later source overwrites. */
    for (int i = 0; i < nspecs; i++)
        if (specs[i].def && s_set(&self->e[i], specs[i].def, "default") != 0)
            goto nomem;
    if (ini_path && *ini_path) {
        self->ini_path = strdup(ini_path);
        if (!self->ini_path)
            goto nomem;
        if (s_load_ini(self, err, errlen) != 0)
            goto fail;
    }
    for (int i = 0; i < nspecs; i++) {
        cfg_entry_t *e = &self->e[i];
        char name[128];
        cfg_env_name(service, e->spec, name, sizeof name);
        const char *v = getenv(name);
        if (v) {
            if (s_set(e, v, "env") != 0)
                goto nomem;
            continue;
        }
        if (e->spec->type != CFG_SECRET && e->spec->type != CFG_SECRET_URL)
            continue;
        char fname[160];
        snprintf(fname, sizeof fname, "%s_FILE", name);
        const char *path = getenv(fname);
        if (!path)
            continue;
        char *secret = NULL, why[512];
        if (s_read_secret(path, &secret, why, sizeof why) != 0) {
            s_err(err, errlen, "%s: %s", fname, why);
            goto fail;
        }
        free(e->value);
        e->value = secret;
        e->origin = "file";
    }
    for (int i = 0; i < nspecs; i++) {
        cfg_entry_t *e = &self->e[i];
        if (!e->value) {
            char name[128];
            cfg_env_name(service, e->spec, name, sizeof name);
            bool secret = e->spec->type == CFG_SECRET || e->spec->type == CFG_SECRET_URL;
            s_err(err, errlen, "%s: required, not set (set %s%s%s%s or [%s] %s in the INI file)",
                  name, name, secret ? ", " : "", secret ? name : "", secret ? "_FILE" : "",
                  e->spec->shared ? CFG_SHARED_SECTION : service, e->spec->key);
            goto fail;
        }
        if (s_validate(self, e, err, errlen) != 0)
            goto fail;
    }
    return self;

nomem:
    s_err(err, errlen, "config: out of memory");
fail:
    cfg_destroy(&self);
    return NULL;
}

void cfg_destroy(cfg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cfg_t *self = *self_p;
    for (int i = 0; self->e && i < self->n; i++) {
        cfg_type_t t = self->e[i].spec->type;
        if (self->e[i].value && (t == CFG_SECRET || t == CFG_SECRET_URL))
            memset(self->e[i].value, 0, strlen(self->e[i].value));
        free(self->e[i].value);
    }
    free(self->e);
    free(self->service);
    free(self->ini_path);
    free(self);
    *self_p = NULL;
}

const char *cfg_str(cfg_t *self, const char *key)
{
    cfg_entry_t *e = s_find(self, key);
    return e ? e->value : NULL;
}

int64_t cfg_int(cfg_t *self, const char *key)
{
    cfg_entry_t *e = s_find(self, key);
    return e && e->spec->type == CFG_INT ? e->ival : 0;
}

bool cfg_bool(cfg_t *self, const char *key)
{
    cfg_entry_t *e = s_find(self, key);
    return e && e->spec->type == CFG_BOOL ? e->bval : false;
}

const char *cfg_origin(cfg_t *self, const char *key)
{
    cfg_entry_t *e = s_find(self, key);
    return e ? e->origin : NULL;
}

void cfg_redact_url(const char *url, char *out, size_t len)
{
    if (!out || len == 0)
        return;
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!url || !*url) {
        snprintf(out, len, "%s", "");
        return;
    }
    if (!sep || sep == url) {
        snprintf(out, len, "(redacted)");
        return;
    }
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;     /* the last '@' of the authority ends the user info */
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    const char *host = at ? at + 1 : auth;
    int n = snprintf(out, len, "%.*s://%s%.*s%s", (int) (sep - url), url,
                     at ? "(redacted)@" : "", (int) (auth + alen - host), host,
                     auth[alen] ? "/(redacted)" : "");
    if (n < 0 || (size_t) n >= len)    /* never a cut URL that might end inside a secret */
        snprintf(out, len, "(redacted)");
}

void cfg_print(cfg_t *self, FILE *out)
{
    if (!self || !out)
        return;
    for (int i = 0; i < self->n; i++) {
        cfg_entry_t *e = &self->e[i];
        char name[128], url[512];
        cfg_env_name(self->service, e->spec, name, sizeof name);
        const char *shown = e->value;
        if (e->spec->type == CFG_SECRET)
            shown = "(redacted)";
        else if (e->spec->type == CFG_SECRET_URL) {
            cfg_redact_url(e->value, url, sizeof url);
            shown = url;
        }
        fprintf(out, "%s=%s  # %s\n", name, shown, e->origin);
    }
}

void cfg_print_help(const char *service, const cfg_spec_t *specs, int nspecs, FILE *out)
{
    if (!out)
        return;
    fprintf(out, "Configuration (first match wins: environment variable, *_FILE for secrets,\n"
                 "INI file section [%s] or [%s] for shared keys, default).\n"
                 "A *_FILE that other users may read or change, or its group change\n"
                 "(mode & 027), is refused at start (secret_file_permissions): chmod 0600, or\n"
                 "0640 with the service's group. Secret URLs print as scheme://host:port.\n",
            service, CFG_SHARED_SECTION);
    for (int i = 0; i < nspecs; i++) {
        const cfg_spec_t *s = &specs[i];
        char name[128];
        cfg_env_name(service, s, name, sizeof name);
        fprintf(out, "  %-34s %s", name, s_type_name(s->type));
        if (s->type == CFG_INT && (s->min || s->max))
            fprintf(out, " %lld..%lld", (long long) s->min, (long long) s->max);
        bool secret = s->type == CFG_SECRET || s->type == CFG_SECRET_URL;
        if (s->def)
            fprintf(out, ", default %s", secret && *s->def ? "(redacted)"
                                         : *s->def ? s->def : "\"\"");
        else
            fprintf(out, ", required");
        if (secret)
            fprintf(out, ", or %s_FILE (mode 0600/0640)", name);
        fprintf(out, "\n      %s [%s] %s\n", s->help ? s->help : "",
                s->shared ? CFG_SHARED_SECTION : service, s->key);
    }
}
