/*  textfmt: a message of the code, in the reader's language. See textfmt.h. */
#include "textfmt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "datewords.h"
#include "numfmt.h"

const char *textfmt_from_en(text_lang_t lang, const char *prefix, const char *en)
{
    if (!en)
        return "";
    size_t pl = prefix ? strlen(prefix) : 0;
    for (int i = 0, n = text_count(); i < n; i++) {
        const char *k = text_key(i);
        if (pl && strncmp(k, prefix, pl) != 0)
            continue;
        if (strcmp(text_at(i, TEXT_EN), en) == 0)
            return text_at(i, lang);
    }
    return en;
}

int textfmt_env_lang(const char *lang, text_lang_t *out)
{
    *out = TEXT_NL;
    if (!lang || !*lang || strcmp(lang, "nl") == 0)
        return 0;
    if (strcmp(lang, "en") == 0) {
        *out = TEXT_EN;
        return 0;
    }
    return -EINVAL;
}

typedef struct {
    char *buf;
    size_t len, used;   /* used: what the whole text needs, as snprintf counts */
} s_out_t;

static void s_put(s_out_t *o, const char *s, size_t n)
{
    if (o->used + 1 < o->len) {
        size_t room = o->len - 1 - o->used;
        memcpy(o->buf + o->used, s, n < room ? n : room);
    }
    o->used += n;
}

/* An ISO date (valid) in words; false when s is not one. */
static bool s_date(const char *s, text_lang_t lang, char *out, size_t cap)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1)
        return false;
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    return datewords_format(out, cap, lang, datewords_days(y, m, d), DATEWORDS_DATE) > 0;
}

/* One integer conversion: grouped when plain (no flags or width) and of five digits or
 * more; else as printf writes it. */
static void s_int(s_out_t *o, const char *spec, bool plain, bool is_signed, int64_t sv,
                  uint64_t uv, text_lang_t lang)
{
    char tmp[64];
    bool fits = is_signed || uv <= INT64_MAX;
    int64_t v = is_signed ? sv : (int64_t) uv;
    if (plain && fits && (v >= 10000 || v <= -10000)) {
        int n = numfmt_fixed(tmp, sizeof tmp, v, 0, 0, numfmt_style_text(lang));
        s_put(o, tmp, n > 0 ? (size_t) n : 0);
        return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = is_signed ? snprintf(tmp, sizeof tmp, spec, (long long) sv)
                      : snprintf(tmp, sizeof tmp, spec, (unsigned long long) uv);
#pragma GCC diagnostic pop
    s_put(o, tmp, n > 0 ? (size_t) (n < (int) sizeof tmp ? n : (int) sizeof tmp - 1) : 0);
}

/* One conversion at *p (after the '%'); the spec is rebuilt with "ll" for integers so one
 * snprintf type serves every length. Returns false for a conversion it does not know (the
 * rest of the arguments cannot be read safely then). */
static bool s_conv(s_out_t *o, const char **pp, text_lang_t lang, va_list *ap)
{
    const char *p = *pp, *start = p;
    bool plain = true;
    while (*p && strchr("-+ #0", *p))
        p++, plain = false;
    while (*p >= '0' && *p <= '9')
        p++, plain = false;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    size_t flags_len = (size_t)(p - start);
    int lng = 0;   /* 0 int, 1 long, 2 long long, 3 size_t, 4 intmax_t, 5 ptrdiff_t, -1 short */
    if (p[0] == 'h')
        lng = -1, p += p[1] == 'h' ? 2 : 1;
    else if (p[0] == 'l' && p[1] == 'l')
        lng = 2, p += 2;
    else if (p[0] == 'l')
        lng = 1, p++;
    else if (p[0] == 'z')
        lng = 3, p++;
    else if (p[0] == 'j')
        lng = 4, p++;
    else if (p[0] == 't')
        lng = 5, p++;
    char c = *p, spec[32], tmp[256];
    if (!c || flags_len > 20)
        return false;
    *pp = p + 1;
    bool sgn = c == 'd' || c == 'i';
    if (sgn || c == 'u' || c == 'x' || c == 'X' || c == 'o') {
        snprintf(spec, sizeof spec, "%%%.*sll%c", (int) flags_len, start, c);
        int64_t sv = 0;
        uint64_t uv = 0;
        if (sgn)
            sv = lng == 2 ? va_arg(*ap, long long) : lng == 1 ? va_arg(*ap, long)
               : lng == 3 ? (int64_t) va_arg(*ap, size_t) : lng == 4 ? va_arg(*ap, intmax_t)
               : lng == 5 ? va_arg(*ap, ptrdiff_t) : va_arg(*ap, int);
        else
            uv = lng == 2 ? va_arg(*ap, unsigned long long) : lng == 1 ? va_arg(*ap, unsigned long)
               : lng == 3 ? va_arg(*ap, size_t) : lng == 4 ? (uint64_t) va_arg(*ap, uintmax_t)
               : lng == 5 ? (uint64_t) va_arg(*ap, ptrdiff_t) : va_arg(*ap, unsigned);
        s_int(o, spec, plain && c != 'x' && c != 'X' && c != 'o', sgn, sv, uv, lang);
        return true;
    }
    snprintf(spec, sizeof spec, "%%%.*s%c", (int) flags_len, start, c);
    int n;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    if (c == 's') {
        const char *s = va_arg(*ap, const char *);
        if (s && s[0] == TEXTFMT_WORD[0])
            s = text_get(lang, s + 1);
        char words[DATEWORDS_MAX];
        if (s_date(s, lang, words, sizeof words))
            s = words;
        if (flags_len == 0) {   /* a plain %s: whole, whatever its length */
            s_put(o, s ? s : "", s ? strlen(s) : 0);
            return true;
        }
        n = snprintf(tmp, sizeof tmp, spec, s ? s : "");
    }
    else if (c == 'c')
        n = snprintf(tmp, sizeof tmp, spec, va_arg(*ap, int));
    else if (c == 'f' || c == 'e' || c == 'g')
        n = snprintf(tmp, sizeof tmp, spec, va_arg(*ap, double));
    else if (c == 'p')
        n = snprintf(tmp, sizeof tmp, spec, va_arg(*ap, void *));
    else
        return false;
#pragma GCC diagnostic pop
    s_put(o, tmp, n > 0 ? (size_t) (n < (int) sizeof tmp ? n : (int) sizeof tmp - 1) : 0);
    return true;
}

int textfmt_vformat(char *buf, size_t len, text_lang_t lang, const char *fmt, va_list ap)
{
    s_out_t o = { buf, len, 0 };
    va_list aq;
    va_copy(aq, ap);
    for (const char *p = fmt ? fmt : ""; *p;) {
        const char *pc = strchr(p, '%');
        if (!pc) {
            s_put(&o, p, strlen(p));
            break;
        }
        s_put(&o, p, (size_t)(pc - p));
        p = pc + 1;
        if (*p == '%') {
            s_put(&o, "%", 1);
            p++;
        }
        else if (!s_conv(&o, &p, lang, &aq)) {
            s_put(&o, pc, strlen(pc));   /* shown as written: a format this does not know */
            break;
        }
    }
    va_end(aq);
    if (len)
        buf[o.used < len ? o.used : len - 1] = '\0';
    return (int) o.used;
}

int textfmt_vtr(char *buf, size_t len, text_lang_t lang, const char *prefix, const char *en_fmt,
                va_list ap)
{
    return textfmt_vformat(buf, len, lang, textfmt_from_en(lang, prefix, en_fmt), ap);
}

int textfmt_tr(char *buf, size_t len, text_lang_t lang, const char *prefix, const char *en_fmt,
               ...)
{
    va_list ap;
    va_start(ap, en_fmt);
    int n = textfmt_vtr(buf, len, lang, prefix, en_fmt, ap);
    va_end(ap);
    return n;
}

void textfmt_shown(const char *v, char out[17])
{
    size_t n = 0;
    while (v && n < 16 && v[n])
        n++;
    if (v && v[n])   /* cut: drop a last character whose bytes do not all fit */
        while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
            n--;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    out[n] = '\0';
}

void textfmt_reason_set(textfmt_reason_t *r, const char *en_fmt, const char *s,
                        unsigned long long a, unsigned long long b)
{
    r->fmt = en_fmt;
    size_t n = s ? strlen(s) : 0;
    if (n >= sizeof r->s) {   /* cut at a character's start: the text stays valid UTF-8 */
        n = sizeof r->s - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    if (n)
        memcpy(r->s, s, n);
    r->s[n] = '\0';
    r->a = a;
    r->b = b;
}

int textfmt_reason_say(const textfmt_reason_t *r, text_lang_t lang, const char *prefix,
                       char *buf, size_t len)
{
    if (!r->fmt) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    /* the arguments a format does not take are ignored, as printf does (C11 7.21.6.1p2) */
    return textfmt_tr(buf, len, lang, prefix, r->fmt, r->s, r->a, r->b);
}

int textfmt_reason_log(const textfmt_reason_t *r, char *buf, size_t len)
{
    if (!r->fmt) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    return snprintf(buf, len, r->fmt, r->s, r->a, r->b);
}
