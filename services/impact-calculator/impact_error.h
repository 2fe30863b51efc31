/*  impact_error: the error a caller turns into an mvoi.Error reply.
 *
 *  `field` is the dotted path of the offending input ("measurement.energy.quantity_milli")
 *  so that a submitter can fix exactly that field (docs/design.md#bad-input).
 */
#ifndef MVOI_IMPACT_ERROR_H
#define MVOI_IMPACT_ERROR_H

typedef struct {
    int code;           /* Mvoi__ErrorCode value (system.proto) */
    char field[96];     /* dotted path, "" when the error is not about one field */
    char message[256];  /* human-readable reason, starts with the field name */
} impact_error_t;

/*  Fill *err (when err is not NULL) and return `rc`, so that a check reads
 *  `return impact_error_set(err, -EINVAL, CODE, "measurement.x", "must be > 0");`.
 *  The message becomes "<field>: <formatted text>". Strings are truncated, never overflow. */
int impact_error_set(impact_error_t *err, int rc, int code, const char *field,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*  Reset to "no error" (code 0, empty strings). */
void impact_error_clear(impact_error_t *err);

#endif
