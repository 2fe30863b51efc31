/* tender_cancel: the reason of a cancellation as a reader sees it (tender_cancel.h). */
#include "tender_cancel.h"

#include <errno.h>
#include <string.h>

#include "cal_str.h"
#include "tender_cancel_ocds.h"
#include "textfmt.h"

/* The English default the calendar wrote as text before the fact was kept; its Dutch is
 * the catalogue's under "tender.cancel.". */
#define S_DEFAULT_EN "cancelled by the source (%s)"
#define S_PREFIX "cancelled by the source ("

/* The name a default says: the tender's source, "import" for none (as it was written). */
static const char *s_name(const Mvoi__Tender *t)
{
    return cal_str_empty(t->source) ? "import" : t->source;
}

/* The name inside a stored English default, when t's reason is one exactly: the tender's
 * source, or "import" (an upsert row without a source wrote that while the tender took
 * "api"). NULL otherwise: the reason is someone's own words. */
static const char *s_legacy_name(const Mvoi__Tender *t, size_t *len)
{
    const char *r = t->cancel_reason;
    size_t pl = strlen(S_PREFIX);
    if (cal_str_empty(r) || strncmp(r, S_PREFIX, pl) != 0)
        return NULL;
    const char *name = r + pl;
    size_t n = strlen(name);
    if (n < 2 || name[n - 1] != ')')
        return NULL;
    n--;
    const char *src = s_name(t);
    if ((strlen(src) == n && memcmp(name, src, n) == 0) ||
        (n == 6 && memcmp(name, "import", 6) == 0)) {
        *len = n;
        return name;
    }
    return NULL;
}

bool tender_cancel_is_default(const Mvoi__Tender *t)
{
    size_t n;
    return (t->has_cancel_without_reason && t->cancel_without_reason &&
            cal_str_empty(t->cancel_reason)) || s_legacy_name(t, &n) != NULL;
}

bool tender_cancel_is_said(const Mvoi__Tender *t)
{
    return tender_cancel_ocds_is(t) || tender_cancel_is_default(t);
}

int tender_cancel_reason_say(const Mvoi__Tender *t, text_lang_t lang, char *buf, size_t cap,
                             const char **out)
{
    *out = NULL;
    if (tender_cancel_ocds_is(t)) {
        int rc = tender_cancel_ocds_say(t, lang, buf, cap);
        if (rc == 0)
            *out = buf;
        return rc;
    }
    if (!tender_cancel_is_default(t)) {
        *out = cal_str_empty(t->cancel_reason) ? NULL : t->cancel_reason;
        return 0;
    }
    size_t n;
    const char *legacy = s_legacy_name(t, &n);
    char name[256];
    if (legacy) {
        if (n >= sizeof name)
            return -ENOSPC;
        memcpy(name, legacy, n);
        name[n] = '\0';
    } else if (strlen(s_name(t)) >= sizeof name) {
        return -ENOSPC;
    } else {
        strcpy(name, s_name(t));
    }
    if (cap == 0)
        return -ENOSPC;
    int w = textfmt_tr(buf, cap, lang, "tender.cancel.", S_DEFAULT_EN, name);
    if (w < 0 || (size_t)w >= cap)
        return -ENOSPC;
    *out = buf;
    return 0;
}

bool tender_cancel_reason_same(const Mvoi__Tender *t, const char *reason)
{
    if (cal_str_empty(reason))
        return false;
    if (!cal_str_empty(t->cancel_reason) && strcmp(reason, t->cancel_reason) == 0)
        return true;
    if (!tender_cancel_is_said(t))
        return false;
    char buf[TENDER_CANCEL_SAY_MAX];
    const char *said;
    for (int l = 0; l < 2; l++) {
        text_lang_t lang = l ? TEXT_EN : TEXT_NL;
        if (tender_cancel_reason_say(t, lang, buf, sizeof buf, &said) == 0 && said &&
            strcmp(said, reason) == 0)
            return true;
    }
    return false;
}
