/*  impact_error: the error a caller turns into an mvoi.Error reply.
 *
 *  `field` is the dotted path of the offending input ("measurement.energy.quantity_milli")
 *  so that a submitter can fix exactly that field (docs/design.md#bad-input).
 */
#ifndef MVOI_IMPACT_ERROR_H
#define MVOI_IMPACT_ERROR_H

#include "text.h"

typedef struct {
    int code;           /* Mvoi__ErrorCode value (system.proto) */
    char field[96];     /* dotted path, "" when the error is not about one field */
    char message[256];  /* human-readable reason, starts with the field name (English: logs) */
    char message_nl[256]; /* the same in Dutch ("" when not set): the catalogue's text */
} impact_error_t;

/*  Fill *err (when err is not NULL) and return `rc`, so that a check reads
 *  `return impact_error_set(err, -EINVAL, CODE, "measurement.x", "must be > 0");`.
 *  The message becomes "<field>: <formatted text>". Strings are truncated, never overflow.
 *  fmt is English; the catalogue's "impact.err." entry with that English text gives the
 *  Dutch (message_nl), formatted from the same arguments by textfmt (numbers grouped,
 *  dates in words). Without an entry the Dutch is the English: shown, never lost. */
int impact_error_set(impact_error_t *err, int rc, int code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*  The message in lang, "<field>: <text>" (never NULL). */
const char *impact_error_text(const impact_error_t *err, text_lang_t lang);

/*  Reset to "no error" (code 0, empty strings). */
void impact_error_clear(impact_error_t *err);

#endif
