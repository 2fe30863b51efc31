/* tender_method: see tender_method.h. */
#include "tender_method.h"
#include "mvoi_names.h"
#include "tender_rules.h"
#include "textfmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* case-insensitive substring (ASCII) */
static bool s_has(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; s && *s; s++)
        if (strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

static Mvoi__Procedure s_from_details(const char *d)
{
    if (s_has(d, "europe"))
        return MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
    if (s_has(d, "nationa"))
        return MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR;
    if (s_has(d, "meervoudig"))
        return MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS;
    if (s_has(d, "enkelvoudig"))
        return MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS;
    return MVOI__PROCEDURE__PROC_UNSPECIFIED;
}

/* fmt (a catalogue "tender.err." English text) in lang into out. */
static void __attribute__((format(printf, 4, 5)))
s_text(char *out, size_t len, text_lang_t lang, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(out, len, lang, "tender.err.", fmt, ap);
    va_end(ap);
}

int tender_method_procedure(const char *method, const char *details, Mvoi__Procedure derived,
                            Mvoi__Procedure *out, char *warn, size_t warnlen)
{
    return tender_method_procedure_lang(method, details, derived, out, TEXT_EN, warn, warnlen);
}

int tender_method_procedure_lang(const char *method, const char *details,
                                 Mvoi__Procedure derived, Mvoi__Procedure *out,
                                 text_lang_t lang, char *warn, size_t warnlen)
{
    Mvoi__Procedure p;
    bool public_ = false, onderhands = false;
    if (warn && warnlen)
        warn[0] = '\0';
    if (!method)
        return -EINVAL;
    if (strcmp(method, "open") == 0 || strcmp(method, "selective") == 0)
        public_ = true;
    else if (strcmp(method, "limited") == 0)
        onderhands = true;
    else if (strcmp(method, "direct") != 0)
        return -EINVAL;
    p = s_from_details(details);
    if (p == MVOI__PROCEDURE__PROC_UNSPECIFIED) {
        if (public_)
            p = tender_procedure_is_public(derived) ? derived : MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR;
        else if (onderhands)
            p = derived == MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS ||
                        derived == MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS
                    ? derived
                    : MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS;
        else
            p = MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS;
    }
    if (out)
        *out = p;
    if (warn && warnlen && derived != MVOI__PROCEDURE__PROC_UNSPECIFIED && p != derived)
        s_text(warn, warnlen, lang,
               "procedure %s as stated by the source (%s%s%.80s); the thresholds give %s",
               mvoi_procedure_name(p), method, details && *details ? ", " : "",
               details ? details : "", mvoi_procedure_name(derived));
    return 0;
}
