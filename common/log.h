/*  log: one JSON object per line on stdout (or text for humans).
 *
 *  Field names follow the OpenTelemetry logs data model: timestamp (RFC 3339 UTC),
 *  severity_text, body, service.name, event, plus key/value attributes.
 *  stdout is line-buffered so that container runtimes get whole lines.
 */
#ifndef MVOI_LOG_H
#define MVOI_LOG_H

typedef enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } log_level_t;

/* format: "json" (default) or "text"; level: "debug", "info", "warn", "error". */
void log_init(const char *service, const char *format, const char *level);
/* Parse a level name; -EINVAL when unknown. */
int log_level_parse(const char *name, log_level_t *out);

/* event: a short snake_case name ("request_rejected"); kv: NULL-terminated list of
 * key, value string pairs (attributes), may be NULL; body: printf format. */
void log_emit(log_level_t level, const char *event, const char *const *kv,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(ev, ...) log_emit(LOG_DEBUG, ev, NULL, __VA_ARGS__)
#define log_info(ev, ...)  log_emit(LOG_INFO, ev, NULL, __VA_ARGS__)
#define log_warn(ev, ...)  log_emit(LOG_WARN, ev, NULL, __VA_ARGS__)
#define log_error(ev, ...) log_emit(LOG_ERROR, ev, NULL, __VA_ARGS__)

#endif
