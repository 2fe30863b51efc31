/* csv_cells: the cell parsers of the CSV import (dates, amounts, percentages, yes/no) and
 * the checks of the text and its cells (encoding, control characters); the rules are in
 * csv_import.h. Shared by the tender and the measurement import. */
#include "csv_import.h"
#include "csv_utf16.h"
#include "textfmt.h"
#include "cal_date.h"
#include "cal_str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* ---- cell parsers ---------------------------------------------------------------- */

static bool s_digit(char c) { return c >= '0' && c <= '9'; }

static void __attribute__((format(printf, 4, 5)))
s_why(char *why, size_t whylen, text_lang_t lang, const char *fmt, ...);

/* s without its surrounding blanks into dst (cap bytes), whole: -E2BIG when it does not
 * fit. A cell cut to the buffer was read by what was left: "ja" followed by a run of
 * spaces and "nee" became yes, a date followed by spaces and more text that date. */
static int s_copy_whole(char *dst, size_t cap, const char *s)
{
    size_t a = 0, n = strlen(s);
    while (a < n && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' || s[a] == '\n'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n - a >= cap)
        return -E2BIG;
    memcpy(dst, s + a, n - a);
    dst[n - a] = '\0';
    return 0;
}

/* Reads 1..maxd digits; returns count. */
static int s_digits(const char **p, int maxd, int *val)
{
    int n = 0, v = 0;
    while (s_digit(**p) && n < maxd + 1) {
        v = v * 10 + (**p - '0');
        (*p)++, n++;
    }
    *val = v;
    return n > maxd ? -1 : n;
}

/* A time of the day the date names: H:MM or HH:MM, optionally :SS, 00:00 .. 23:59:59. Any
 * run of digits and colons was taken and dropped: "31-12-2026 24:00", midnight at the start
 * of 1 January 2027, was stored as 31 December (another year), "01-03-2025 7" as 1 March. */
static bool s_time_of_day(const char *t)
{
    int h, m, sec = 0;
    int nh = s_digits(&t, 2, &h);
    if (nh <= 0 || *t++ != ':' || s_digits(&t, 2, &m) != 2)
        return false;
    if (*t == ':' && (t++, s_digits(&t, 2, &sec) != 2))
        return false;
    return *t == '\0' && h <= 23 && m <= 59 && sec <= 59;
}

int csv_parse_date_order(const char *s, csv_date_order_t order, char out[11])
{
    char buf[CSV_DATE_CELL_MAX + 1];
    if (!s)
        return -ENODATA;
    if (s_copy_whole(buf, sizeof buf, s) < 0)
        return -E2BIG;   /* by name: its reader says how long a date may be */
    if (!*buf)
        return -ENODATA;
    /* "01-03-2025 00:00" from a spreadsheet: a time of that day carries nothing for a date */
    char *sp = strchr(buf, ' ');
    if (sp) {
        if (!s_time_of_day(sp + 1))
            return -EINVAL;
        *sp = '\0';
    }
    const char *p = buf;
    int a, b, c, y, m, d;
    int na = s_digits(&p, 4, &a);
    if (na <= 0 || !*p)
        return -EINVAL;
    char sep = *p++;
    if (sep != '-' && sep != '/' && sep != '.')
        return -EINVAL;
    int nb = s_digits(&p, 2, &b);
    if (nb <= 0 || *p++ != sep)
        return -EINVAL;
    int nc = s_digits(&p, 4, &c);
    if (nc <= 0 || *p)
        return -EINVAL;
    if (na == 4 && sep == '-' && nc <= 2) {
        y = a, m = b, d = c; /* ISO yyyy-mm-dd */
    } else if (na <= 2 && nc == 4) {
        y = c;
        bool dmy_ok = cal_date_ymd_valid(y, b, a), mdy_ok = cal_date_ymd_valid(y, a, b);
        if (order == CSV_DATE_MDY || (order == CSV_DATE_GUARD && mdy_ok && !dmy_ok))
            m = a, d = b; /* declared m/d/y, or the only reading in a non-Dutch layout */
        else if (order == CSV_DATE_GUARD && dmy_ok && mdy_ok && a != b)
            return -ERANGE; /* 7/1/2025: 7 January or July 1? not ours to guess */
        else
            d = a, m = b; /* Dutch dd-mm-jjjj */
    } else {
        return -EINVAL;
    }
    if (!cal_date_ymd_valid(y, m, d))
        return -EINVAL;
    cal_date_format(out, y, m, d);
    return 0;
}

int csv_parse_date(const char *s, char out[11])
{
    return csv_parse_date_order(s, CSV_DATE_DMY, out);
}

/* Length of the blank at p (space, TAB, U+00A0 no-break space, U+202F narrow no-break
 * space: what spreadsheets group thousands with), 0 if there is none. */
static size_t s_blank(const unsigned char *p)
{
    if (*p == ' ' || *p == '\t')
        return 1;
    if (p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    return p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF ? 3 : 0;
}

/* Are the blanks between digits of s thousands separators ("1 234 567": 1..3 digits, then
 * groups of exactly three)? The cleaners below drop blanks, so "12 5" was read as 125 and
 * "2 5" % as 25 %: a typo became a figure ten times too large, without a word. Blanks
 * next to anything else ("€ 12", "5 %") are decoration and are not judged here. */
static bool s_blank_groups_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;          /* digits since the last non-digit or grouping blank */
    bool grouped = false;    /* run follows a grouping blank: it must be three digits */
    while (*p) {
        size_t b = s_blank(p);
        if (!b && s_digit((char)*p)) {
            run++, p++;
            continue;
        }
        const unsigned char *q = p;
        while ((b = s_blank(q)))
            q += b;
        bool between = q != p && run && s_digit((char)*q);
        if (between && (grouped ? run != 3 : run > 3))
            return false;
        if (!between && grouped && run != 3)
            return false;
        grouped = between;
        run = 0;
        p = q != p ? q : p + 1;
    }
    return !grouped || run == 3;
}

/* Length of a currency mark at p ("€", "EUR" in any case), 0 if there is none. */
static size_t s_currency(const unsigned char *p)
{
    if (p[0] == 0xE2 && p[1] == 0x82 && p[2] == 0xAC)
        return 3;
    return (p[0] == 'E' || p[0] == 'e') && (p[1] == 'U' || p[1] == 'u') &&
                   (p[2] == 'R' || p[2] == 'r')
               ? 3
               : 0;
}

/* Drop everything that decorates an amount: currency, spaces (incl. no-break), ",-". The
 * currency is one mark before or after the number: dropped wherever it stood, "12€50"
 * (twelve euros fifty, as French and some Dutch write it) was read as 1250 euros, and
 * "€€5" or "5 EUR EUR" as 5. -EINVAL for those. */
static int s_amount_clean(const char *s, char *o, size_t olen)
{
    size_t n = 0, c;
    int marks = 0;
    bool closed = false;   /* a mark after the number: nothing of it may follow */
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if ((c = s_blank(p))) {
            p += c;
        } else if ((c = s_currency(p))) {
            if (marks++)
                return -EINVAL;
            closed = n > 0;
            p += c;
        } else {
            if (n + 1 >= olen || closed)
                return -EINVAL;
            o[n++] = (char)*p++;
        }
    }
    o[n] = '\0';
    if (n >= 2 && o[n - 1] == '-' && (o[n - 2] == ',' || o[n - 2] == '.'))
        o[n - 2] = '\0';
    else if (n >= 3 && o[n - 1] == '-' && o[n - 2] == '-' && (o[n - 3] == ',' || o[n - 3] == '.'))
        o[n - 3] = '\0';
    return 0;
}

/* Digits of b up to end, thousands separator thou in groups of three, into *v: the one
 * reading of a grouped whole number, for amounts (csv_parse_amount_cents) and fixed-point
 * numbers (csv_parse_fixed) alike. maxd > 0: at most that many digits (-ERANGE beyond).
 * 0, or -EINVAL / -ERANGE with the reason in why (why may be NULL). */
static int s_grouped_int(const char *b, const char *end, char thou, int maxd, int64_t *v,
                         text_lang_t lang, char *why, size_t whylen)
{
    int group = 0, ndig = 0;
    bool grouped = false;
    *v = 0;
    for (const char *p = b; p < end; p++) {
        if (*p == thou) {
            if ((grouped && group != 3) || (!grouped && (group < 1 || group > 3)))
                return s_why(why, whylen, lang, "'%c' is not between groups of three digits",
                             thou), -EINVAL;
            if (!grouped && b[0] == '0')   /* "0.250.000", "0,500.00": never grouped so */
                return s_why(why, whylen, lang, "a number that starts with 0 has no thousands "
                             "separator"), -EINVAL;
            grouped = true, group = 0;
            continue;
        }
        if ((maxd > 0 && ndig >= maxd) || *v > (INT64_MAX - 9) / 10)
            return s_why(why, whylen, lang, "too large"), -ERANGE;
        *v = *v * 10 + (*p - '0');
        group++, ndig++;
    }
    if (ndig == 0 || (grouped && group != 3))
        return s_why(why, whylen, lang, "not a number (digits, '.' or ',')"), -EINVAL;
    return 0;
}

int csv_parse_amount_cents(const char *s, int64_t *cents)
{
    char b[64];
    if (!s)
        return -ENODATA;
    if (!s_blank_groups_ok(s) || s_amount_clean(s, b, sizeof b) < 0)
        return -EINVAL;
    if (!*b)
        return -ENODATA;
    size_t n = strlen(b);
    int dots = 0, commas = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '.')
            dots++;
        else if (b[i] == ',')
            commas++;
        else if (!s_digit(b[i]))
            return -EINVAL; /* signs, letters: not an amount (negative values are refused) */
    }
    char dec = 0; /* decimal separator, 0 = none */
    if (dots && commas) {
        dec = strrchr(b, '.') > strrchr(b, ',') ? '.' : ',';
        if ((dec == '.' ? dots : commas) != 1)
            return -EINVAL;
    } else if (dots + commas == 1) {
        char sep = dots ? '.' : ',';
        const char *at = strchr(b, sep);
        size_t before = (size_t)(at - b), after = n - before - 1;
        /* a leading group never starts with 0: "0,500" and "0.250" hold no thousands group,
         * they are 0,50 and 0.25; "01.234" reads neither way for sure: refused */
        if (after == 3 && before >= 2 && before <= 3 && b[0] == '0')
            return -EINVAL;
        dec = (after == 3 && before >= 1 && before <= 3 && b[0] != '0') ? 0 : sep;
    }
    char thou = dec ? (dec == '.' ? ',' : '.') : (dots ? '.' : ',');
    /* integer part: digits with optional thousands separators in groups of three; 13
     * digits at most: beyond any plausible contract value, and euros * 100 fits an int64 */
    const char *end = dec ? strrchr(b, dec) : b + n;
    int64_t euros = 0;
    if (s_grouped_int(b, end, thou, 13, &euros, TEXT_EN, NULL, 0) < 0)
        return -EINVAL;
    int64_t c = euros * 100;
    if (dec) {
        const char *f = end + 1;
        size_t nf = strlen(f);
        if (nf == 0 || strchr(f, thou))
            return -EINVAL;
        int64_t frac2 = 0;
        for (size_t i = 0; i < 2; i++)
            frac2 = frac2 * 10 + (i < nf ? f[i] - '0' : 0);
        /* the one rounding rule of the calendar: half up on cents */
        if (nf > 2 && f[2] >= '5')
            frac2++;
        c += frac2;
    }
    *cents = c;
    return 0;
}

int csv_parse_percent_bp(const char *s, uint32_t *bp)
{
    char b[32];
    size_t n = 0;
    if (!s)
        return -ENODATA;
    if (!s_blank_groups_ok(s))   /* "2 5": 2,5 % or 25 %? (a percentage has no groups) */
        return -EINVAL;
    bool pct = false;   /* one '%', after the number: "2%5" was read as 25 % */
    for (; *s && n + 1 < sizeof b; s++) {
        if (*s == ' ')
            continue;
        if (pct)
            return -EINVAL;
        if (*s == '%')
            pct = true;
        else
            b[n++] = *s;
    }
    if (*s || (pct && !n))
        return -EINVAL;
    b[n] = '\0';
    if (!n)
        return -ENODATA;
    uint32_t whole = 0, frac = 0;
    int nw = 0, nf = 0;
    const char *p = b;
    for (; s_digit(*p); p++, nw++)
        if (nw < 4)
            whole = whole * 10 + (uint32_t)(*p - '0');
    if (*p == ',' || *p == '.')
        for (p++; s_digit(*p); p++, nf++)
            if (nf < 2)
                frac = frac * 10 + (uint32_t)(*p - '0');
    if (*p || nw == 0 || nw > 3 || nf > 2)
        return -EINVAL;
    if (nf == 1)
        frac *= 10;
    uint32_t v = whole * 100 + frac;
    if (v > 10000)
        return -EINVAL;
    *bp = v;
    return 0;
}

int csv_parse_bool(const char *s, bool *v)
{
    static const char *yes[] = {"ja", "j", "yes", "y", "true", "waar", "1", "x", NULL};
    static const char *no[] = {"nee", "n", "no", "false", "onwaar", "0", "-", NULL};
    char b[16];
    if (!s)
        return -ENODATA;
    if (s_copy_whole(b, sizeof b, s) < 0)
        return -EINVAL;   /* no yes or no is that long */
    if (!*b)
        return -ENODATA;
    for (int i = 0; yes[i]; i++)
        if (cal_str_ieq(b, yes[i]))
            return *v = true, 0;
    for (int i = 0; no[i]; i++)
        if (cal_str_ieq(b, no[i]))
            return *v = false, 0;
    return -EINVAL;
}


/* ---- the text as a whole and each cell as read ----------------------------------- */

/* Length of the well-formed UTF-8 sequence at c (n bytes left), 0 when there is none. */
static size_t s_utf8_seq(const unsigned char *c, size_t n)
{
    size_t need;
    if (c[0] < 0x80)
        return 1;
    if (c[0] >= 0xC2 && c[0] <= 0xDF)
        need = 1;
    else if (c[0] >= 0xE0 && c[0] <= 0xEF)
        need = 2;
    else if (c[0] >= 0xF0 && c[0] <= 0xF4)
        need = 3;
    else
        return 0;
    if (n < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++)
        if ((c[i] & 0xC0) != 0x80)
            return 0;
    if ((c[0] == 0xE0 && c[1] < 0xA0) || (c[0] == 0xED && c[1] > 0x9F) ||
        (c[0] == 0xF0 && c[1] < 0x90) || (c[0] == 0xF4 && c[1] > 0x8F))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return need + 1;
}

/* Does the text hold at least one well-formed multi-byte UTF-8 character? */
static bool s_any_utf8(const char *d, size_t len)
{
    const unsigned char *c = (const unsigned char *)d;
    for (size_t k = 0; k < len; k++)
        if (c[k] >= 0x80 && s_utf8_seq(c + k, len - k) > 1)
            return true;
    return false;
}

/* Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined ones. 0xA0..0xFF = Latin-1. */
static const unsigned short s_cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static char *s_from_cp1252(const char *in, size_t len, size_t *olen)
{
    char *o = malloc(len * 3 + 1);
    size_t n = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)in[i];
        if (c < 0x80) {
            o[n++] = (char)c;
            continue;
        }
        unsigned cp = c < 0xA0 ? s_cp1252[c - 0x80] : c;
        if (!cp)
            cp = 0xFFFD;
        if (cp < 0x800) {
            o[n++] = (char)(0xC0 | (cp >> 6));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[n++] = (char)(0xE0 | (cp >> 12));
            o[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            o[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    o[n] = '\0';
    *olen = n;
    return o;
}

/* The delimiter that occurs most in the first line outside quotes (ties: ';' then ','). */
char csv_detect_delimiter(const char *s, size_t len)
{
    size_t semi = 0, comma = 0, tab = 0;
    bool q = false;
    for (size_t i = 0; i < len && s[i] != '\n'; i++) {
        if (s[i] == '"')
            q = !q;
        else if (!q && s[i] == ';')
            semi++;
        else if (!q && s[i] == ',')
            comma++;
        else if (!q && s[i] == '\t')
            tab++;
    }
    if (tab > semi && tab > comma)
        return '\t';
    return semi >= comma && semi > 0 ? ';' : ',';
}


int csv_text_prepare(const char **data, size_t *len, char **conv, bool *had_bom, bool *check_utf8)
{
    *conv = NULL;
    *had_bom = *check_utf8 = false;
    int order = csv_utf16_bom(*data, *len);
    if (order) {   /* UTF-16 says so: read as such, not taken for Windows-1252 */
        *had_bom = true;
        *conv = csv_utf16_to_utf8(*data + 2, *len - 2, order, len, check_utf8);
        if (!*conv)
            return -ENOMEM;
        *data = *conv;
        return 0;
    }
    if (csv_utf16_unmarked(*data, *len))   /* not Windows-1252 with a NUL in every cell */
        return -EILSEQ;
    if (*len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
        *data += 3, *len -= 3;
        *had_bom = true;
    }
    if (cal_utf8_valid(*data, *len))
        return 0;
    if (*had_bom || s_any_utf8(*data, *len)) {
        *check_utf8 = true; /* UTF-8 with bad bytes: each bad cell is named */
        return 0;
    }
    *conv = s_from_cp1252(*data, *len, len);
    if (!*conv)
        return -ENOMEM;
    *data = *conv;
    return 0;
}

/* fmt (a catalogue "tender.csv." English text) in lang into why. */
static void __attribute__((format(printf, 4, 5)))
s_why(char *why, size_t whylen, text_lang_t lang, const char *fmt, ...)
{
    if (!why || !whylen)
        return;   /* the amounts ask only whether, not why */
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(why, whylen, lang, "tender.csv.", fmt, ap);
    va_end(ap);
}

int csv_cell_check(const char *cell, size_t len, bool check_utf8, char *why, size_t whylen)
{
    return csv_cell_check_lang(cell, len, check_utf8, TEXT_EN, why, whylen);
}

int csv_cell_check_lang(const char *cell, size_t len, bool check_utf8, text_lang_t lang,
                        char *why, size_t whylen)
{
    const unsigned char *c = (const unsigned char *)cell;
    size_t chars = 0;
    for (size_t k = 0; k < len; k++) {
        if ((c[k] & 0xC0) != 0x80)
            chars++;
        if (c[k] == 0 || (c[k] < 0x20 && c[k] != '\t' && c[k] != '\r' && c[k] != '\n') || c[k] == 0x7F) {
            s_why(why, whylen, lang, "control character 0x%02X at character %zu (NUL or a "
                  "control code: not text)", c[k], chars);
            return -EINVAL;
        }
    }
    if (!check_utf8)
        return 0;
    size_t at = 1;
    for (size_t k = 0; k < len; at++) {
        size_t n = s_utf8_seq(c + k, len - k);
        if (n == 0) {
            s_why(why, whylen, lang, "byte 0x%02X at character %zu is not UTF-8 (the file is "
                  "UTF-8: it has a BOM or other UTF-8 characters); save the sheet as UTF-8 again",
                  c[k], at);
            return -EINVAL;
        }
        k += n;
    }
    return 0;
}


/* ---- quantities in a fixed unit (the measurement import) -------------------------- */

/* The separators of the amounts above, for numbers that carry up to `dec` decimals and are
 * never rounded: a measurement of "10.000" litres is ten thousand litres, as an amount of
 * "10.000" euros is. Where the amount rule and the Dutch decimal comma disagree, the number
 * is refused instead of read one of the two ways. See csv_import.h. */

/* Copy s without its spaces (incl. no-break ones: spreadsheet grouping). -EINVAL if long. */
static int s_fixed_clean(const char *s, char *o, size_t olen)
{
    size_t n = 0, b;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if ((b = s_blank(p))) {
            p += b;
        } else {
            if (n + 1 >= olen)
                return -EINVAL;
            o[n++] = (char)*p++;
        }
    }
    o[n] = '\0';
    return 0;
}

/* The decimal separator of b (digits, '.' and ','), 0 for none, or -EDOM (a ',' before
 * three digits), -EPROTO (a '.' before three digits in a sheet that is not Dutch), -EILSEQ or
 * -EINVAL. */
static int s_fixed_decimal_sep(const char *b, int dots, int commas, char delim)
{
    if (dots && commas) {
        char dec = strrchr(b, '.') > strrchr(b, ',') ? '.' : ',';
        return (dec == '.' ? dots : commas) == 1 ? dec : -EINVAL;
    }
    if (dots + commas != 1)
        return 0;   /* none, or one kind repeated: thousands ("1.234.567") */
    char sep = dots ? '.' : ',';
    size_t before = (size_t)(strchr(b, sep) - b), after = strlen(b) - before - 1;
    if (after == 3 && before >= 2 && before <= 3 && b[0] == '0')
        return -EILSEQ;   /* "01.234": as the amounts, read neither way */
    if (after != 3 || before < 1 || before > 3 || b[0] == '0')
        return sep;   /* "1234,5", "1234.567", "0,500": no thousands group can be meant */
    /* "1,500" is 1500 by the amount rule but 1,5 in Dutch: not ours to pick. "1.500" is 1500
     * in a Dutch sheet (';', as Excel nl writes and reads it); in a ',' or TAB sheet (an
     * English export, where the same file's "2.5" is two and a half) it is 1.5 as often */
    if (sep == ',')
        return -EDOM;
    return delim == ',' || delim == '\t' ? -EPROTO : 0;
}

int csv_parse_fixed(const char *s, int dec, int64_t *out, char *why, size_t whylen)
{
    return csv_parse_fixed_in(s, dec, 0, TEXT_EN, out, why, whylen);
}

/* The refusal of s_fixed_decimal_sep's verdict sep (< 0) into why. */
static int s_fixed_refuse(int sep, text_lang_t lang, char *why, size_t whylen)
{
    if (sep == -EDOM)
        return s_why(why, whylen, lang, "ambiguous: ',' before three digits is a thousands "
                     "separator or a decimal comma; write it without separator (1500) or "
                     "with '.' for thousands (1.500), or 1,5 for the decimal"), -EDOM;
    if (sep == -EPROTO)
        return s_why(why, whylen, lang, "ambiguous in a ','- or TAB-separated sheet: '.' "
                     "before three digits is a thousands separator (Dutch) or a decimal point "
                     "(English); write it without separator (1234), or with a fourth decimal "
                     "(1.2340) for the decimal"), -EDOM;
    if (sep == -EILSEQ)
        return s_why(why, whylen, lang, "a number that starts with 0 has no thousands "
                     "separator"), -EINVAL;
    return s_why(why, whylen, lang, "not a number: more than one decimal separator"), -EINVAL;
}

int csv_parse_fixed_in(const char *s, int dec, char delim, text_lang_t lang, int64_t *out,
                       char *why, size_t whylen)
{
    char b[64];
    if (!s)
        return -ENODATA;
    if (!s_blank_groups_ok(s))
        return s_why(why, whylen, lang, "a space between digits that does not separate groups "
                     "of three (1 234 567)"), -EINVAL;
    if (s_fixed_clean(s, b, sizeof b) < 0)
        return s_why(why, whylen, lang, "too long for a number"), -EINVAL;
    if (!*b)
        return -ENODATA;
    bool neg = b[0] == '-';
    char *d = b + (b[0] == '-' || b[0] == '+');
    int dots = 0, commas = 0;
    for (const char *p = d; *p; p++) {
        dots += *p == '.', commas += *p == ',';
        if (*p != '.' && *p != ',' && !s_digit(*p))
            return s_why(why, whylen, lang, "not a number (digits, '.' or ',')"), -EINVAL;
    }
    int sep = s_fixed_decimal_sep(d, dots, commas, delim);
    if (sep < 0)
        return s_fixed_refuse(sep, lang, why, whylen);
    char thou = sep ? (sep == '.' ? ',' : '.') : (dots ? '.' : ',');
    const char *end = sep ? strrchr(d, sep) : d + strlen(d);
    int64_t v;
    int rc = s_grouped_int(d, end, thou, 0, &v, lang, why, whylen);
    if (rc < 0)
        return rc;
    const char *f = sep ? end + 1 : "";
    if (sep && (!*f || strchr(f, thou)))
        return s_why(why, whylen, lang, "not a number (digits after the decimal separator)"),
               -EINVAL;
    for (int i = 0; i < dec; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return s_why(why, whylen, lang, "too large"), -ERANGE;
        v = v * 10 + (*f ? *f++ - '0' : 0);
    }
    for (; *f; f++) {  /* exact: a further decimal is accepted only when it is 0 */
        if (*f != '0' && dec)
            return s_why(why, whylen, lang, "more than %d decimals", dec), -ERANGE;
        if (*f != '0')
            return s_why(why, whylen, lang, "not a whole number"), -ERANGE;
    }
    *out = neg ? -v : v;
    return 0;
}

csv_dot_style_t csv_number_dot_style(const char *s)
{
    char b[64];
    if (!s || !s_blank_groups_ok(s) || s_fixed_clean(s, b, sizeof b) < 0)
        return CSV_DOT_NONE;
    const char *d = b + (b[0] == '-' || b[0] == '+');
    int dots = 0, commas = 0;
    for (const char *p = d; *p; p++) {
        dots += *p == '.', commas += *p == ',';
        if (*p != '.' && *p != ',' && !s_digit(*p))
            return CSV_DOT_NONE;
    }
    if (!dots)
        return CSV_DOT_NONE;
    int sep = s_fixed_decimal_sep(d, dots, commas, ';');
    if (sep == '.')
        return CSV_DOT_DECIMAL;
    /* the Dutch rule's thousands: one '.', no ',' (more dots read one way: thousands) */
    return sep == 0 && dots == 1 && !commas ? CSV_DOT_THOUSANDS : CSV_DOT_NONE;
}

csv_dot_style_t csv_amount_dot_style(const char *s)
{
    char b[64];
    if (!s || !s_blank_groups_ok(s) || s_amount_clean(s, b, sizeof b) < 0)
        return CSV_DOT_NONE;
    int dots = 0, commas = 0;
    for (const char *p = b; *p; p++) {
        dots += *p == '.', commas += *p == ',';
        if (*p != '.' && *p != ',' && !s_digit(*p))
            return CSV_DOT_NONE;
    }
    if (!dots)
        return CSV_DOT_NONE;
    if (commas)   /* "1,234.56" decimal point, "1.234,56" decimal comma: one reading each */
        return strrchr(b, '.') > strrchr(b, ',') ? CSV_DOT_DECIMAL : CSV_DOT_NONE;
    if (dots > 1)
        return CSV_DOT_NONE;   /* "1.234.567": thousands, the only reading */
    /* one '.': a thousands group exactly when csv_parse_amount_cents reads it so */
    size_t before = (size_t)(strchr(b, '.') - b), after = strlen(b) - before - 1;
    return after == 3 && before >= 1 && before <= 3 && b[0] != '0' ? CSV_DOT_THOUSANDS
                                                                      : CSV_DOT_DECIMAL;
}

size_t csv_sep_line(const char *s, size_t len, char *delim)
{
    if (len < 5 || strncasecmp(s, "sep=", 4) != 0 || !s[4] || !strchr(";,\t", s[4]))
        return 0;
    size_t n = 5;
    if (n < len && s[n] == '\r')
        n++;
    if (n < len && s[n] != '\n')
        return 0;   /* "sep=;x": a header that happens to start so, not the marker */
    *delim = s[4];
    return n < len ? n + 1 : n;
}
