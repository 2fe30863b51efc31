/*  fmt: the one place where integers become text (rp_num), and small shared helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const int64_t s_pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                   100000000, 1000000000 };

int rp_num(char *buf, size_t cap, int64_t v, int scale, int decimals, rp_style_t style)
{
    if (scale < 0) scale = 0;
    if (scale > 9) scale = 9;
    if (decimals < 0) decimals = 0;
    if (decimals > 9) decimals = 9;
    /* Work on the magnitude in unsigned arithmetic so INT64_MIN is fine. */
    bool neg = v < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip, fp;     /* integer part and `decimals` digits of fraction */
    if (decimals >= scale) {
        ip = mag / (uint64_t)s_pow10[scale];
        fp = (mag % (uint64_t)s_pow10[scale]) * (uint64_t)s_pow10[decimals - scale];
    } else {
        /* Rounding happens here and only here: half away from zero. */
        uint64_t div = (uint64_t)s_pow10[scale - decimals];
        uint64_t q = mag / div, rem = mag % div;
        if (rem * 2 >= div)
            q++;
        ip = q / (uint64_t)s_pow10[decimals];
        fp = q % (uint64_t)s_pow10[decimals];
    }
    if (ip == 0 && fp == 0)
        neg = false;
    char sep = 0, dec = '.';
    switch (style) {
    case RP_STYLE_NL: sep = '.'; dec = ','; break;
    case RP_STYLE_EN: sep = ','; dec = '.'; break;
    case RP_STYLE_DOT: break;
    case RP_STYLE_COMMA: dec = ','; break;
    }
    char digits[24], tmp[48];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)ip);
    int n = 0;
    if (neg)
        tmp[n++] = '-';
    for (int i = 0; i < nd; i++) {
        tmp[n++] = digits[i];
        int left = nd - 1 - i;
        if (sep && left > 0 && left % 3 == 0)
            tmp[n++] = sep;
    }
    if (decimals > 0) {
        tmp[n++] = dec;
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%0*llu", decimals, (unsigned long long)fp);
    }
    tmp[n] = 0;
    return snprintf(buf, cap, "%s", tmp);
}

rp_style_t rp_style_text(text_lang_t lang) { return lang == TEXT_EN ? RP_STYLE_EN : RP_STYLE_NL; }

static const rp_kpi_info_t s_kpis[RP_NKPI] = {
    { NULL, NULL, NULL, 0, 0 },
    { "fairtrade", "products", "products", 0, 0 },
    { "sroi", "cent", "EUR", 2, 2 },
    { "nox", "mg", "kg", 6, 3 },
    { "material", "g", "kg", 3, 3 },
    { "co2", "g", "kg", 3, 3 },
    { "pilots", "pilots", "pilots", 0, 0 },
};

const rp_kpi_info_t *rp_kpi_info(int kpi)
{
    return kpi >= 1 && kpi < RP_NKPI ? &s_kpis[kpi] : NULL;
}

int rp_kpi_num(char *buf, size_t cap, int kpi, int64_t raw, rp_style_t style)
{
    const rp_kpi_info_t *k = rp_kpi_info(kpi);
    return rp_num(buf, cap, raw, k ? k->scale : 0, k ? k->decimals : 0, style);
}

static const char *s_themes[RP_NTHEME] = { NULL, "klimaat", "circulair", "milieu", "isv",
                                           "diversiteit_inclusie", "social_return" };
/* klimaat: CO2; circulair: material; milieu: NOx; isv: fair trade; D&I: pilots (no method
 * yet, plan §5e); social return: SROI. */
static const int s_theme_kpi[RP_NTHEME] = { 0, 5, 4, 3, 1, 6, 2 };

const char *rp_theme_name(int theme)
{
    return theme >= 1 && theme < RP_NTHEME ? s_themes[theme] : NULL;
}
int rp_theme_kpi(int theme) { return theme >= 1 && theme < RP_NTHEME ? s_theme_kpi[theme] : 0; }

void rp_html_esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

const char *rp_t(const rp_report_t *r, const char *key) { return text_get(r->in->lang, key); }

const char *rp_enum_name(int which, int value)
{
    static const char *kind[] = { "-", "leveringen", "diensten", "werken" };
    static const char *proc[] = { "-", "enkelvoudig_onderhands", "meervoudig_onderhands",
                                  "nationaal_openbaar", "europees_openbaar" };
    static const char *status[] = { "-", "planned", "kickoff_scheduled", "ambition_recorded",
                                    "published", "awarded", "in_execution", "completed",
                                    "cancelled" };
    static const char *commit[] = { "-", "eis", "gunning", "innovatie" };
    switch (which) {
    case 'k': return value >= 0 && value < 4 ? kind[value] : "?";
    case 'p': return value >= 0 && value < 5 ? proc[value] : "?";
    case 's': return value >= 0 && value < 9 ? status[value] : "?";
    case 'c': return value >= 0 && value < 4 ? commit[value] : "?";
    }
    return "?";
}
