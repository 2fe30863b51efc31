/*  impact_error: filling the field-naming error of the impact calculator. */
#include "impact_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
impact_error_set(impact_error_t *err, int rc, int code, const char *field, const char *fmt, ...)
{
    if (!err)
        return rc;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    /* "<field>: <text>", written in two steps so that a long text is truncated
     * instead of the field name. */
    size_t n = 0;
    err->message[0] = '\0';
    if (err->field[0]) {
        int w = snprintf(err->message, sizeof err->message, "%s: ", err->field);
        n = w < 0 ? 0 : (size_t) w;
        if (n >= sizeof err->message)
            n = sizeof err->message - 1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - n, fmt, ap);
    va_end(ap);
    return rc;
}

void
impact_error_clear(impact_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
