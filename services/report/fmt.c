/*  fmt: the report's number formatting (rp_num, on common/numfmt.c) and small shared
 *  helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "report.h"

/* rp_style_t and numfmt_style_t are the same four styles in the same order. */
_Static_assert(RP_STYLE_NL == (int)NUMFMT_NL && RP_STYLE_EN == (int)NUMFMT_EN &&
                   RP_STYLE_DOT == (int)NUMFMT_DOT && RP_STYLE_COMMA == (int)NUMFMT_COMMA,
               "rp_style_t follows numfmt_style_t");

int rp_num(char *buf, size_t cap, int64_t v, int scale, int decimals, rp_style_t style)
{
    return numfmt_fixed(buf, cap, v, scale, decimals, (numfmt_style_t)style);
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
