/*  gw_lang: Accept-Language (gw_lang.h). Parsed in place, without allocation: a header is
 *  at most GW_HTTP_HEADERS_MAX bytes (gw_http.h), each step moves forward. */
#include <stddef.h>
#include <strings.h>
#include "gw_lang.h"

#define S_NLANG 2            /* TEXT_NL, TEXT_EN */
static const char *const s_names[S_NLANG] = { "nl", "en" };   /* by text_lang_t */

typedef struct {
    int q[S_NLANG];          /* 0..1000, -1: not named */
    int first[S_NLANG];      /* position of the first range naming it */
    int star_q, star_first;  /* "*" */
} s_acc_t;

static bool s_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool s_digit(char c) { return c >= '0' && c <= '9'; }
static const char *s_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* language-range: 1*8ALPHA *("-" 1*8alphanum) / "*". The end, or NULL. */
static const char *s_range(const char *p, size_t *primary)
{
    if (*p == '*') {
        *primary = 0;
        return p + 1;
    }
    size_t n = 0;
    while (s_alpha(p[n]) && n < 9)
        n++;
    if (n == 0 || n > 8)
        return NULL;
    *primary = n;
    p += n;
    while (*p == '-') {
        size_t m = 0;
        while ((s_alpha(p[1 + m]) || s_digit(p[1 + m])) && m < 9)
            m++;
        if (m == 0 || m > 8)
            return NULL;
        p += 1 + m;
    }
    return p;
}

/* weight: ";" OWS "q=" ( "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3"0" ] ), p after the OWS
 * before ';'. The end, or NULL; *q in thousandths. */
static const char *s_weight(const char *p, int *q)
{
    p = s_ows(p + 1);
    if ((*p != 'q' && *p != 'Q') || p[1] != '=')
        return NULL;
    p += 2;
    if (*p != '0' && *p != '1')
        return NULL;
    int whole = *p++ - '0', frac = 0, digits = 0;
    if (*p == '.') {
        for (p++; s_digit(*p) && digits < 4; p++, digits++)
            frac = frac * 10 + (*p - '0');
        if (digits > 3)
            return NULL;
    }
    for (int d = digits; d < 3; d++)
        frac *= 10;
    if (whole == 1 && frac != 0)
        return NULL;
    *q = whole * 1000 + frac;
    return p;
}

static void s_note(s_acc_t *a, const char *range, size_t primary, int q, int pos)
{
    if (primary == 0) {
        if (a->star_q < 0)
            a->star_first = pos;
        a->star_q = q > a->star_q ? q : a->star_q;
        return;
    }
    for (int l = 0; l < S_NLANG; l++) {
        if (primary != 2 || strncasecmp(range, s_names[l], 2) != 0)
            continue;
        if (a->q[l] < 0)
            a->first[l] = pos;
        a->q[l] = q > a->q[l] ? q : a->q[l];
    }
}

/* 0 and every range noted, or -1: not an Accept-Language value */
static int s_parse(const char *p, s_acc_t *a)
{
    for (int pos = 0;; pos++) {
        p = s_ows(p);
        if (*p == ',') {          /* empty list elements are allowed (RFC 9110 §5.6.1) */
            p++;
            continue;
        }
        if (*p == '\0')
            return 0;
        size_t primary;
        const char *range = p;
        p = s_range(p, &primary);
        if (!p)
            return -1;
        int q = 1000;
        p = s_ows(p);
        if (*p == ';' && !(p = s_weight(p, &q)))
            return -1;
        p = s_ows(p);
        if (*p != ',' && *p != '\0')
            return -1;
        s_note(a, range, primary, q, pos);
    }
}

text_lang_t gw_lang_accept(const char *header, text_lang_t dflt, bool *malformed)
{
    s_acc_t a = { { -1, -1 }, { 0, 0 }, -1, 0 };
    if (malformed)
        *malformed = false;
    if (!header)
        return dflt;
    if (s_parse(header, &a) < 0) {
        if (malformed)
            *malformed = true;
        return dflt;
    }
    int best = -1, best_q = 0, best_pos = 0;
    for (int l = 0; l < S_NLANG; l++) {
        int q = a.q[l] >= 0 ? a.q[l] : a.star_q;
        int pos = a.q[l] >= 0 ? a.first[l] : a.star_first;
        if (q <= 0)
            continue;
        /* a tie: the range listed first, then (both by "*") the default */
        if (q > best_q || (q == best_q && (pos < best_pos ||
                                           (pos == best_pos && (text_lang_t)l == dflt)))) {
            best = l;
            best_q = q;
            best_pos = pos;
        }
    }
    return best >= 0 ? (text_lang_t)best : dflt;
}
