/* tender_cancel_ocds: an OCDS release's cancellation said (tender_cancel_ocds.h). */
#include "tender_cancel_ocds.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cal_date.h"
#include "cal_str.h"
#include "textfmt.h"

/* The catalogue's English formats (under "tender.cancel."): the import wrote the first,
 * the second and S_DETAILS before, with the release's date as written; the date is said
 * now as a day in words. */
#define S_REL "cancelled in OCDS release %s (%s)"
#define S_REL_NO_DATE "cancelled in OCDS release %s (no date)"
#define S_NO_REL "cancelled in an OCDS release without an id (%s)"
#define S_NO_REL_NO_DATE "cancelled in an OCDS release without an id or a date"
#define S_DETAILS "%s (OCDS %s)"
#define S_DETAILS_NO_DATE "%s (OCDS, no date)"

#define S_OLD_REL "cancelled in OCDS release "
#define S_OLD_NO_DATE "no date"
#define S_OLD_DETAILS " (OCDS "

/* One cancellation's parts, each a slice (p, n) of a stored text; p NULL: absent. */
typedef struct {
    const char *p;
    size_t n;
} s_slice_t;

typedef struct {
    s_slice_t details, rel, date;
} s_parts_t;

static bool s_from_ocds(const Mvoi__Tender *t)
{
    return t->source && strncmp(t->source, "ocds:", 5) == 0;
}

/* A date the old import wrote: readable as a date or an instant (the release's "date"). */
static bool s_old_date(const char *p, size_t n)
{
    char d[80];
    int64_t us;
    if (n == 0 || n >= sizeof d)
        return false;
    memcpy(d, p, n);
    d[n] = '\0';
    return cal_date_valid(d) || cal_date_instant_us(d, &us) == 0;
}

/* "cancelled in OCDS release R (D)", D "no date" or a date: R and D. */
static bool s_old_rel(const char *r, size_t len, s_parts_t *o)
{
    size_t pl = strlen(S_OLD_REL);
    if (len < pl + 4 || strncmp(r, S_OLD_REL, pl) != 0 || r[len - 1] != ')')
        return false;
    /* the last " (": neither form of D holds one, R may */
    const char *open = NULL;
    for (const char *q = r + pl; q + 1 < r + len; q++)
        if (q[0] == ' ' && q[1] == '(')
            open = q;
    if (!open || open == r + pl)
        return false;
    const char *d = open + 2;
    size_t dn = (size_t)(r + len - 1 - d);
    bool none = dn == strlen(S_OLD_NO_DATE) && memcmp(d, S_OLD_NO_DATE, dn) == 0;
    if (!none && !s_old_date(d, dn))
        return false;
    o->rel = (s_slice_t){ r + pl, (size_t)(open - (r + pl)) };
    o->date = none ? (s_slice_t){ NULL, 0 } : (s_slice_t){ d, dn };
    return true;
}

/* "X (OCDS D)" or "X (OCDS )" (no date): X and D. */
static bool s_old_details(const char *r, size_t len, s_parts_t *o)
{
    size_t sl = strlen(S_OLD_DETAILS);
    if (len < sl + 2 || r[len - 1] != ')')
        return false;
    const char *open = NULL;
    for (const char *q = r + 1; q + sl <= r + len; q++)
        if (memcmp(q, S_OLD_DETAILS, sl) == 0)
            open = q;
    if (!open)
        return false;
    const char *d = open + sl;
    size_t dn = (size_t)(r + len - 1 - d);
    if (dn != 0 && !s_old_date(d, dn))
        return false;
    o->details = (s_slice_t){ r, (size_t)(open - r) };
    o->date = dn ? (s_slice_t){ d, dn } : (s_slice_t){ NULL, 0 };
    return true;
}

static s_slice_t s_str(const char *s)
{
    return cal_str_empty(s) ? (s_slice_t){ NULL, 0 } : (s_slice_t){ s, strlen(s) };
}

/* t's parts: from its facts, or from a stored English text of before. */
static bool s_parts(const Mvoi__Tender *t, s_parts_t *o)
{
    memset(o, 0, sizeof *o);
    if (t->cancel_ocds) {
        o->details = s_str(t->cancel_reason);
        o->rel = s_str(t->cancel_ocds->release_id);
        o->date = s_str(t->cancel_ocds->release_date);
        return true;
    }
    if (!s_from_ocds(t) || cal_str_empty(t->cancel_reason))
        return false;
    size_t len = strlen(t->cancel_reason);
    return s_old_rel(t->cancel_reason, len, o) || s_old_details(t->cancel_reason, len, o);
}

bool tender_cancel_ocds_is(const Mvoi__Tender *t)
{
    s_parts_t p;
    return s_parts(t, &p);
}

/* A slice as a string in its own buffer; -ENOSPC when it does not fit. */
static int s_copy(char *dst, size_t cap, s_slice_t s)
{
    if (s.n >= cap)
        return -ENOSPC;
    memcpy(dst, s.p ? s.p : "", s.n);
    dst[s.n] = '\0';
    return 0;
}

int tender_cancel_ocds_say(const Mvoi__Tender *t, text_lang_t lang, char *buf, size_t cap)
{
    s_parts_t p;
    /* the parts as stored are bounded (tender_validate): these hold any of them */
    char details[1024], rel[256], date[128];
    if (!s_parts(t, &p))
        return -EINVAL;
    if (cap == 0 || s_copy(details, sizeof details, p.details) < 0 ||
        s_copy(rel, sizeof rel, p.rel) < 0 || s_copy(date, sizeof date, p.date) < 0)
        return -ENOSPC;
    /* the release's instant as the day it was in Amsterdam, which the catalogue's text
     * says in words ("20 mei 2025"); a date that cannot be read, as written */
    char day[11];
    const char *when = p.date.p && cal_date_ams_day(date, day) == 0 ? day : date;
    int w;
    if (p.details.p)
        w = p.date.p ? textfmt_tr(buf, cap, lang, "tender.cancel.", S_DETAILS, details, when)
                     : textfmt_tr(buf, cap, lang, "tender.cancel.", S_DETAILS_NO_DATE, details);
    else if (p.rel.p)
        w = p.date.p ? textfmt_tr(buf, cap, lang, "tender.cancel.", S_REL, rel, when)
                     : textfmt_tr(buf, cap, lang, "tender.cancel.", S_REL_NO_DATE, rel);
    else
        w = p.date.p ? textfmt_tr(buf, cap, lang, "tender.cancel.", S_NO_REL, when)
                     : textfmt_tr(buf, cap, lang, "tender.cancel.", S_NO_REL_NO_DATE);
    return w < 0 || (size_t)w >= cap ? -ENOSPC : 0;
}

int tender_cancel_ocds_set(Mvoi__Tender *t, bool clear, const char *release_id,
                           const char *release_date)
{
    Mvoi__OcdsCancellation *o = NULL;
    if (!clear) {
        o = malloc(sizeof *o);
        if (!o)
            return -ENOMEM;
        mvoi__ocds_cancellation__init(o);
        if (cal_str_set(&o->release_id, release_id) < 0 ||
            cal_str_set(&o->release_date, release_date) < 0) {
            mvoi__ocds_cancellation__free_unpacked(o, NULL);
            return -ENOMEM;
        }
    }
    if (t->cancel_ocds)
        mvoi__ocds_cancellation__free_unpacked(t->cancel_ocds, NULL);
    t->cancel_ocds = o;
    return 0;
}
