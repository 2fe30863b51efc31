/*  impact_error: filling the field-naming error of the impact calculator. */
#include "impact_error.h"
#include "textfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* "<field>: " then the text of fmt in lang, written in two steps so that a long text is
 * truncated instead of the field name. */
static void
s_message(char *out, size_t len, const char *field, text_lang_t lang, const char *fmt, va_list ap)
{
    size_t n = 0;
    out[0] = '\0';
    if (field[0]) {
        int w = snprintf(out, len, "%s: ", field);
        n = w < 0 ? 0 : (size_t) w;
        if (n >= len)
            n = len - 1;
    }
    textfmt_vtr(out + n, len - n, lang, "impact.err.", fmt, ap);
}

int
impact_error_set(impact_error_t *err, int rc, int code, const char *field, const char *fmt, ...)
{
    if (!err)
        return rc;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    s_message(err->message, sizeof err->message, err->field, TEXT_EN, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    s_message(err->message_nl, sizeof err->message_nl, err->field, TEXT_NL, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
impact_error_text(const impact_error_t *err, text_lang_t lang)
{
    if (!err)
        return "";
    return lang == TEXT_NL && err->message_nl[0] ? err->message_nl : err->message;
}

void
impact_error_clear(impact_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
