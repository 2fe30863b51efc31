/*  mvoi_id: the id rule and bounded NUL-joined keys. See mvoi_id.h. */
#include "mvoi_id.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t mvoi_id_max(mvoi_id_kind_t kind)
{
    switch (kind) {
    case MVOI_ID_BUYER:
        return MVOI_ID_BUYER_MAX;
    case MVOI_ID_REMINDER:
        return MVOI_ID_REMINDER_MAX;
    default:
        return MVOI_ID_MAX;
    }
}

const char *mvoi_id_kind_name(mvoi_id_kind_t kind)
{
    static const char *names[] = { "buyer", "tender id", "measurement id", "request id",
                                   "reminder id" };
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "id";
}

/* Length of the UTF-8 sequence at s (at most len bytes) and its code point; 0 if invalid. */
static size_t s_utf8_one(const uint8_t *s, size_t len, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

size_t mvoi_utf8_valid_prefix(const uint8_t *s, size_t len)
{
    size_t i = 0;
    /* Eight ASCII bytes without a NUL at a time: every string of every request comes
     * through here, and nearly all of them are plain ASCII. */
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w & 0x8080808080808080ull) ||
            ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
            break;   /* a byte >= 0x80 or a NUL among them: byte by byte */
        i += 8;
    }
    while (i < len) {
        uint32_t cp;
        size_t n = s_utf8_one(s + i, len - i, &cp);
        if (n == 0 || cp == 0)
            return i;
        i += n;
    }
    return len;
}

/* Every reason's format takes two size_t (as many as it uses): a reader's language is
 * found for it by its English text (mvoi_id_text.c). */
static int s_why(mvoi_id_why_t *w, const char *fmt, size_t a, size_t b)
{
    *w = (mvoi_id_why_t){ fmt, a, b };
    return -EINVAL;
}

/* The character at byte of s as people count it: from 1, a character whatever its bytes
 * ("a$b": '$' is character 2; the tender rules count so too). Counted from 0 as a byte
 * offset, "teken 1" named the second character. */
static size_t s_char_no(const char *s, size_t byte)
{
    size_t n = 1;
    for (size_t i = 0; i < byte; i++)
        n += ((uint8_t)s[i] & 0xc0) != 0x80;
    return n;
}

static bool s_buyer_char(uint8_t c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (!first && (c == '-' || c == '_'));
}

static bool s_id_ascii(uint8_t c)
{
    switch (c) {
    case '.': case '_': case ':': case '/': case '|': case '@': case '+': case '=': case '~':
    case '#': case '-':
        return true;
    default:
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}

/* A reminder id (the notifier's) embeds an address as it is, and writes '/' and '%' of its
 * parts as "%2F" and "%25": besides the id characters it holds '%' and the other
 * characters an address's local part may (RFC 5322 atext). Refused, the ids a dead letter's
 * report tells the operator to resend ("heerlen/RD%2F2025%2F1/...", "...o'hara@...")
 * could be neither resent nor cancelled. */
static bool s_reminder_char(uint8_t c)
{
    return s_id_ascii(c) || (c != 0 && memchr("%!$&'*?^`{}", c, 11) != NULL);
}

static bool s_kind_char(mvoi_id_kind_t kind, uint8_t c, bool first)
{
    if (kind == MVOI_ID_BUYER)
        return s_buyer_char(c, first);
    return kind == MVOI_ID_REMINDER ? s_reminder_char(c) : s_id_ascii(c);
}

int mvoi_id_why(mvoi_id_kind_t kind, const char *s, size_t len, mvoi_id_why_t *w)
{
    if (!s || len == 0)
        return s_why(w, "missing", 0, 0);
    size_t max = mvoi_id_max(kind);
    if (len > max)
        return s_why(w, "longer than %zu bytes (%zu)", max, len);
    const uint8_t *p = (const uint8_t *)s;
    /* Every character allowed (the common case): all ASCII, so no NUL and valid UTF-8, and
     * none of the checks below, which find and name the first bad one, is needed. */
    size_t fine = 0;
    while (fine < len && s_kind_char(kind, p[fine], fine == 0))
        fine++;
    if (fine == len)
        return 0;
    if (memchr(p, 0, len))
        return s_why(w, "contains a NUL byte at byte %zu",
                     (size_t)((const uint8_t *)memchr(p, 0, len) - p), 0);
    size_t ok = mvoi_utf8_valid_prefix(p, len);
    if (ok != len)
        return s_why(w, "is not valid UTF-8 at byte %zu", ok, 0);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = s_utf8_one(p + i, len - i, &cp);
        bool good = s_kind_char(kind, p[i], i == 0);
        if (!good) {
            if (kind == MVOI_ID_BUYER)
                return s_why(w, "character %zu is not one of [a-z0-9_-] (a letter or digit "
                             "first)", s_char_no((const char *)p, i), 0);
            return s_why(w, "character %zu (U+%04zX) is not allowed in an id",
                         s_char_no((const char *)p, i), cp);
        }
        i += n;
    }
    return 0;
}

/* The domain of an address from its first byte (after the '@'): labels joined by '.'. */
static int s_domain_why(const char *dom, size_t at, size_t at_char, mvoi_id_why_t *w)
{
    size_t n = strlen(dom);
    if (!n || !strchr(dom, '.'))
        return s_why(w, "the domain after byte %zu is not two labels or more joined by '.'",
                     at, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)dom[i];
        bool edge = i == 0 || i + 1 == n || dom[i - 1] == '.' || dom[i + 1] == '.';
        bool ok = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                  (c >= 'A' && c <= 'Z') || (c == '-' && i != 0 && dom[i - 1] != '.') ||
                  (c == '.' && !edge);
        if (!ok)
            return s_why(w, "character %zu of the domain is not a letter, digit or '-' of a "
                         "label", at_char + s_char_no(dom, i), 0);
    }
    return 0;
}

int mvoi_id_address_why(const char *s, mvoi_id_why_t *w)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0)
        return s_why(w, "missing", 0, 0);
    if (len > MVOI_ADDRESS_MAX)
        return s_why(w, "longer than %zu bytes (%zu)", MVOI_ADDRESS_MAX, len);
    size_t ok = mvoi_utf8_valid_prefix((const uint8_t *)s, len);
    if (ok != len)
        return s_why(w, "is not valid UTF-8 at byte %zu", ok, 0);
    const char *at = strchr(s, '@');
    if (!at || at == s)
        return s_why(w, "has no local part and '@' before a domain", 0, 0);
    if (strchr(at + 1, '@'))
        return s_why(w, "has a second '@' at byte %zu", (size_t)(strchr(at + 1, '@') - s), 0);
    if ((size_t)(at - s) > 64)
        return s_why(w, "its local part is longer than 64 bytes (%zu)", (size_t)(at - s), 0);
    for (const char *p = s; *p; p++) {
        uint8_t c = (uint8_t)*p;
        if (c <= ' ' || c == 0x7f || (c == 0xc2 && (uint8_t)p[1] <= 0x9f) ||
            (p < at && strchr("<>()[],;:\"\\", c)))
            return s_why(w, "character %zu is a blank, a control character or one of "
                         "<>()[],;:\"\\ (not in an address)", s_char_no(s, (size_t)(p - s)), 0);
    }
    return s_domain_why(at + 1, (size_t)(at - s), s_char_no(s, (size_t)(at - s)), w);
}

int mvoi_id_why_format(char *buf, size_t cap, const char *fmt, const mvoi_id_why_t *w)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    /* fmt is w->fmt or its translation: the same conversions, two size_t at most */
    return snprintf(buf, cap, fmt, w->a, w->b);
#pragma GCC diagnostic pop
}

int mvoi_id_check(mvoi_id_kind_t kind, const char *s, size_t len, char *why, size_t cap)
{
    mvoi_id_why_t w;
    int rc = mvoi_id_why(kind, s, len, &w);
    if (rc != 0 && why && cap)
        mvoi_id_why_format(why, cap, w.fmt, &w);
    return rc;
}

int mvoi_id_check_str(mvoi_id_kind_t kind, const char *s, char *why, size_t cap)
{
    return mvoi_id_check(kind, s, s ? strlen(s) : 0, why, cap);
}

size_t mvoi_id_key(uint8_t *buf, size_t cap, int n, const char *const parts[])
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = parts[i] ? strlen(parts[i]) : 0;
        size_t need = l + (i > 0 ? 1 : 0);
        if (need > cap - len)
            return 0;
        if (i > 0)
            buf[len++] = 0;
        memcpy(buf + len, parts[i] ? parts[i] : "", l);
        len += l;
    }
    return len;
}

size_t mvoi_id_key2(uint8_t *buf, size_t cap, const char *a, const char *b)
{
    const char *p[] = { a, b };
    return mvoi_id_key(buf, cap, 2, p);
}

size_t mvoi_id_key3(uint8_t *buf, size_t cap, const char *a, const char *b, const char *c)
{
    const char *p[] = { a, b, c };
    return mvoi_id_key(buf, cap, 3, p);
}
