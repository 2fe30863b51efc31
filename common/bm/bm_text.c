/*  bm_text: numbers, units and the sentence of a buyer's position, from the message
 *  catalogue (bench.*). See bm.h. */
#include "bm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimals for magnitude a: three significant digits below 100, whole numbers above. */
static int s_dec(double a)
{
    int dec = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a == 0 ? 0 : 2 - (int)floor(log10(a));
    return dec > 9 ? 9 : dec;
}

/* a (finite, >= 0) rounded half away from zero to dec decimals, as "12345.68" in out (at
 * least BM_NUM_RAW bytes). What is rounded is the decimal the double reads as (its
 * shortest form that gives it back, as Python's repr): 0.1235 is 0,124 as people round
 * it, and 100.5 is 101, as every rounding in the reports (numfmt.h). printf rounds the
 * binary value instead (0.1235 is 0.12349...: "0.123") and an exact half to even ("100",
 * 1.125 -> "1.12"), so the benchmark's figures rounded otherwise than the report beside
 * them. */
#define BM_NUM_RAW 352   /* DBL_MAX: 309 digits, a point and 9 decimals */
static void s_round(double a, int dec, char *out)
{
    static const uint64_t p10[] = { 1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
                                    1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
                                    10000000000ULL, 100000000000ULL, 1000000000000ULL,
                                    10000000000000ULL, 100000000000000ULL,
                                    1000000000000000ULL, 10000000000000000ULL,
                                    100000000000000000ULL };
    char e[40];
    int p = 15;   /* significant digits: 17 always give the double back */
    for (; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, a);
        if (strtod(e, NULL) == a)
            break;
    }
    snprintf(e, sizeof e, "%.*e", p - 1, a);   /* d.ddde+XX */
    uint64_t n = (uint64_t)(e[0] - '0');
    for (int i = 2; i <= p; i++)
        n = n * 10 + (uint64_t)(e[i] - '0');
    /* a = n x 10^(x - p + 1); a x 10^dec = n x 10^sh */
    int sh = atoi(e + p + 2) - p + 1 + dec;
    uint64_t q = n;
    if (sh < 0 && -sh > p) {
        q = 0;   /* n < 10^p, less than half of 10^-sh */
    } else if (sh < 0) {
        q = n / p10[-sh];
        if (n % p10[-sh] * 2 >= p10[-sh])
            q++;
    }
    int len = snprintf(out, BM_NUM_RAW, "%llu", (unsigned long long)q);
    for (; sh > 0; sh--)
        out[len++] = '0';
    int lead = dec + 1 - len;   /* "0.05" from "5" */
    if (lead > 0) {
        memmove(out + lead, out, (size_t)len);
        memset(out, '0', (size_t)lead);
        len += lead;
    }
    if (dec) {
        memmove(out + len - dec + 1, out + len - dec, (size_t)dec);
        out[len - dec] = '.';
        len++;
    }
    out[len] = 0;
}

const char *bm_num(double v, text_lang_t lang, char *buf, size_t cap)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "–");
        return buf;
    }
    double a = fabs(v);
    int dec = s_dec(a);
    char raw[BM_NUM_RAW];
    s_round(a, dec, raw);
    /* rounding can carry into the next magnitude (99,96 -> "100,0", 9,996 -> "10,00"):
     * the decimals are those of the rounded figure, as for any other 100 or 10 */
    int dec2 = s_dec(strtod(raw, NULL));
    if (dec2 < dec)
        s_round(a, dec2, raw);
    char thou = lang == TEXT_EN ? ',' : '.', point = lang == TEXT_EN ? '.' : ',';
    const char *dot = strchr(raw, '.');
    size_t intlen = dot ? (size_t)(dot - raw) : strlen(raw), o = 0;
    char out[BM_NUM_RAW + BM_NUM_RAW / 3];
    if (v < 0 && strspn(raw, "0.") != strlen(raw))
        out[o++] = '-';
    for (size_t i = 0; i < intlen; i++) {
        if (i && (intlen - i) % 3 == 0)
            out[o++] = thou;
        out[o++] = raw[i];
    }
    if (dot) {
        out[o++] = point;
        for (const char *c = dot + 1; *c; c++)
            out[o++] = *c;
    }
    out[o] = 0;
    /* a figure cut to fit is a wrong one: one that does not fit is no figure ("–") */
    snprintf(buf, cap, "%s", o < cap ? out : "–");
    return buf;
}

static const char *const s_theme_keys[BM_THEMES + 1] = {
    "", "theme.klimaat", "theme.circulair", "theme.milieu", "theme.isv",
    "theme.diversiteit_inclusie", "theme.social_return"
};

const char *bm_kpi_label(int kpi, text_lang_t lang, char *buf, size_t cap)
{
    int th = bm_kpi_theme(kpi);
    char key[48];
    if (th) {
        snprintf(buf, cap, text_get(lang, kpi < BM_M_LEVEL(1) ? "bench.share" : "bench.level"),
                 text_get(lang, s_theme_keys[th]));
        return buf;
    }
    snprintf(key, sizeof key, "kpi.%s", bm_kpi_name(kpi) ? bm_kpi_name(kpi) : "");
    snprintf(buf, cap, "%s", text_get(lang, key));
    return buf;
}

const char *bm_unit_label(int kpi, bm_norm_t norm, text_lang_t lang, char *buf, size_t cap)
{
    char key[48];
    if (bm_kpi_theme(kpi)) {
        snprintf(buf, cap, "%s", text_get(lang, kpi < BM_M_LEVEL(1) ? "bench.unit.share"
                                                                    : "bench.unit.level"));
        return buf;
    }
    snprintf(key, sizeof key, "bench.unit.%s", bm_kpi_name(kpi) ? bm_kpi_name(kpi) : "");
    snprintf(key + strlen(key), sizeof key - strlen(key), "%s",
             norm == BM_NORM_PER_MEUR ? ".meur" : norm == BM_NORM_PER_INH ? ".inh" : "");
    snprintf(buf, cap, "%s", text_get(lang, key));
    return buf;
}

const char *bm_status_name(bm_status_t s)
{
    switch (s) {
    case BM_OK: return "ok";
    case BM_NO_CLASS: return "no_class";
    case BM_NO_DENOMINATOR: return "no_volume";
    case BM_NO_VALUE: return "no_value";
    case BM_TOO_FEW: return "too_few";
    case BM_WITHHELD: return "withheld";
    }
    return "unknown";   /* a value no enumerator has: a name, never an index out of bounds */
}

/* "Heerlen" for "Gemeente Heerlen": the sentence names the class's kind already. */
static const char *s_short(const char *name)
{
    static const char *const pre[] = { "Gemeente ", "Provincie ", "Waterschap ", NULL };
    for (int i = 0; pre[i]; i++)
        if (strncmp(name, pre[i], strlen(pre[i])) == 0 && name[strlen(pre[i])])
            return name + strlen(pre[i]);
    return name;
}

const char *bm_sentence(const bm_t *self, const char *buyer, int kpi, bm_norm_t norm,
                        const bm_pos_t *pos, text_lang_t lang, char *buf, size_t cap)
{
    const char *name = s_short(mvoi_buyers_name(bm_registry(self), buyer));
    char num[64], key[48], what[160], k[16];
    switch (pos->status) {
    case BM_NO_CLASS:
        snprintf(buf, cap, text_get(lang, "bench.why.no_class"), name);
        return buf;
    case BM_NO_DENOMINATOR:
        snprintf(buf, cap, text_get(lang, "bench.why.no_volume"), name);
        return buf;
    case BM_NO_VALUE:
        snprintf(buf, cap, text_get(lang, bm_kpi_theme(kpi) >= 1 && kpi < BM_M_LEVEL(1)
                                              ? "bench.why.no_tenders"
                                          : bm_kpi_theme(kpi) ? "bench.why.no_level"
                                                              : "bench.why.no_value"), name);
        return buf;
    case BM_TOO_FEW:
        snprintf(k, sizeof k, "%u", bm_k(self));
        snprintf(buf, cap, text_get(lang, "bench.why.too_few"),
                 bm_class_label(pos->cls, lang), k);
        return buf;
    case BM_WITHHELD:
        snprintf(key, sizeof key, "bench.dist.%s", bm_norm_name(pos->shown));
        snprintf(buf, cap, text_get(lang, "bench.why.withheld"),
                 pos->shown < BM_NORMS ? text_get(lang, key) : "");
        return buf;
    case BM_OK:
        break;
    }
    int th = bm_kpi_theme(kpi);
    if (th) {
        if (kpi >= BM_M_LEVEL(1))   /* a level is a whole number: "niveau 3", not "3,00" */
            snprintf(num, sizeof num, "%.0f", pos->value);
        else
            bm_num(pos->value, lang, num, sizeof num);
        snprintf(what, sizeof what, text_get(lang, kpi < BM_M_LEVEL(1) ? "bench.what.share"
                                                                       : "bench.what.level"),
                 num, text_get(lang, s_theme_keys[th]));
    } else {
        snprintf(key, sizeof key, "bench.what.%s", bm_kpi_name(kpi) ? bm_kpi_name(kpi) : "");
        snprintf(what, sizeof what, text_get(lang, key),
                 bm_num(pos->value, lang, num, sizeof num),
                 norm == BM_NORM_PER_MEUR ? text_get(lang, "bench.per.meur")
                 : norm == BM_NORM_PER_INH ? text_get(lang, "bench.per.inh") : "");
    }
    if (pos->q1 == pos->q3 && pos->value == pos->median) {
        /* no spread and the buyer on it: "fourth (highest)" by the rule, but not above
         * anyone; say where it is */
        snprintf(buf, cap, text_get(lang, "bench.sentence.median"), name, what,
                 bm_class_label(pos->cls, lang));
        return buf;
    }
    snprintf(key, sizeof key, "bench.quartile.%d", pos->quartile);
    snprintf(buf, cap, text_get(lang, "bench.sentence"), name, what, text_get(lang, key),
             bm_class_label(pos->cls, lang));
    return buf;
}
