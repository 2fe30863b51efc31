/*  log: one JSON object per line on stdout (or text for humans). Loop thread only. */
#include "log.h"
#include "clock.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef MVOI_VERSION
#define MVOI_VERSION "0"
#endif

#define LOG_BODY_MAX 8192   /* longer bodies are cut and end in "...(truncated)" */
#define LOG_TRUNC_MARK "...(truncated)"

static char s_service[64] = "mvoi";
static bool s_text;
static log_level_t s_level = LOG_INFO;

static const char *s_level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

int log_level_parse(const char *name, log_level_t *out)
{
    static const struct { const char *name; log_level_t level; } map[] = {
        { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN },
        { "warning", LOG_WARN }, { "error", LOG_ERROR },
    };
    if (!name)
        return -EINVAL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(name, map[i].name) == 0) {
            if (out)
                *out = map[i].level;
            return 0;
        }
    return -EINVAL;
}

void log_init(const char *service, const char *format, const char *level)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(s_service, sizeof s_service, "%s", service && *service ? service : "mvoi");
    s_text = format && strcasecmp(format, "text") == 0;
    log_level_t l = LOG_INFO;
    if (level && log_level_parse(level, &l) != 0)
        l = LOG_INFO;
    s_level = l;
}

/* json_string() refuses invalid UTF-8; replace offending bytes with '?' instead of
 * losing the whole field. */
static json_t *s_jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_string("?");
    for (unsigned char *p = (unsigned char *) copy; *p; p++) {
        if (*p >= 0x80 || (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r'))
            *p = '?';
    }
    j = json_string(copy);
    free(copy);
    return j ? j : json_string("?");
}

static void s_set(json_t *obj, const char *key, json_t *val)
{
    if (!val)
        return;
    /* An attribute never overwrites a standard field: it is renamed "attr.<key>". */
    if (json_object_get(obj, key)) {
        char alt[128];
        snprintf(alt, sizeof alt, "attr.%s", key);
        json_object_set_new(obj, alt, val);
    }
    else
        json_object_set_new(obj, key, val);
}

static void s_emit_json(const char *ts, log_level_t level, const char *event,
                        const char *const *kv, const char *body)
{
    json_t *o = json_object();
    if (!o)
        return;
    json_object_set_new(o, "timestamp", json_string(ts));
    json_object_set_new(o, "severity_text", json_string(s_level_names[level]));
    json_object_set_new(o, "service.name", s_jstr(s_service));
    json_object_set_new(o, "service.version", json_string(MVOI_VERSION));
    json_object_set_new(o, "event", s_jstr(event ? event : "log"));
    json_object_set_new(o, "body", s_jstr(body));
    for (size_t i = 0; kv && kv[i]; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        s_set(o, k, s_jstr(v ? v : ""));
        if (!v)
            break;
    }
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
    }
}

static void s_text_value(const char *v)
{
    if (v && *v && !strpbrk(v, " \t\n\"=")) {
        fputs(v, stdout);
        return;
    }
    fputc('"', stdout);
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', stdout);
        if (*p == '\n')
            fputs("\\n", stdout);
        else
            fputc(*p, stdout);
    }
    fputc('"', stdout);
}

static void s_emit_text(const char *ts, log_level_t level, const char *event,
                        const char *const *kv, const char *body)
{
    printf("%s %s %s %s:", ts, s_level_names[level], s_service, event ? event : "log");
    if (body && *body) {
        fputc(' ', stdout);
        for (const char *p = body; *p; p++)      /* one record, one line */
            fputc(*p == '\n' ? ' ' : *p, stdout);
    }
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        printf(" %s=", kv[i]);
        s_text_value(kv[i + 1]);
    }
    fputc('\n', stdout);
}

void log_emit(log_level_t level, const char *event, const char *const *kv,
              const char *fmt, ...)
{
    if ((int) level < LOG_DEBUG || level > LOG_ERROR)
        level = LOG_ERROR;
    if (level < s_level)
        return;

    char body[LOG_BODY_MAX];
    body[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(body, sizeof body, fmt, ap);
        va_end(ap);
        if (n < 0)
            snprintf(body, sizeof body, "(unformattable log message)");
        else if ((size_t) n >= sizeof body)
            memcpy(body + sizeof body - sizeof LOG_TRUNC_MARK, LOG_TRUNC_MARK,
                   sizeof LOG_TRUNC_MARK);
    }
    char ts[40];
    clock_format_rfc3339(clock_now_ms(), ts, sizeof ts);
    if (s_text)
        s_emit_text(ts, level, event, kv, body);
    else
        s_emit_json(ts, level, event, kv, body);
}
