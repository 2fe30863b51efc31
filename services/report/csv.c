/*  csv: the report's figures as one tidy table, one figure per row.
 *
 *  RFC 4180: ',' separator, '.' decimals, CRLF, fields quoted when they hold a separator,
 *  quote or line break (quotes doubled). The Dutch Excel dialect: UTF-8 BOM, ';' separator,
 *  decimal comma, CRLF. Columns (same in both):
 *    section,kpi,theme,tender,column,measure,value,unit,raw,raw_unit
 *  value is in the shown unit (kg, EUR...) without thousands separators, exact (all the
 *  decimals of the raw integer: NOx in kg with 6); raw is the exact integer the value comes
 *  from, in raw_unit (g, mg, cent...).
 *
 *  Spreadsheets run a cell that starts with = + - @ (or TAB, CR) as a formula (OWASP "CSV
 *  injection"), and a tender id may start with any of = + - @ (common/mvoi_id.h). So a text
 *  field starting with one of them gets a leading apostrophe and is quoted: "'=1+1". No id
 *  or name starts with an apostrophe (not an id character), so a reader that drops one
 *  leading apostrophe before such a character has the exact id back; the JSON file has it
 *  as is. Figures (value, raw) are numbers and are written as they are, sign and all.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "report.h"

typedef struct {
    FILE *out;
    char sep;
    rp_style_t style;
} s_csv_t;

/* A text field a spreadsheet would run as a formula (see the top of the file). */
static bool s_formula_like(const char *s)
{
    return s[0] && strchr("=+-@\t\r", s[0]);
}

static void s_put(s_csv_t *c, const char *s, bool last, bool text)
{
    s = s ? s : "";
    char special[5] = { c->sep, '"', '\r', '\n', 0 };
    bool guard = text && s_formula_like(s);
    if (guard || strpbrk(s, special)) {
        fputc('"', c->out);
        if (guard)
            fputc('\'', c->out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', c->out);
            fputc(*s, c->out);
        }
        fputc('"', c->out);
    } else
        fputs(s, c->out);
    if (last)
        fputs("\r\n", c->out);
    else
        fputc(c->sep, c->out);
}

static void s_field(s_csv_t *c, const char *s, bool last) { s_put(c, s, last, true); }
static void s_number(s_csv_t *c, const char *s, bool last) { s_put(c, s, last, false); }

static void s_row(s_csv_t *c, const char *section, int kpi, int theme, const char *tender,
                  const char *column, const char *measure, int64_t raw, int value_kpi)
{
    char value[48], rawb[32];
    const rp_kpi_info_t *ki = rp_kpi_info(value_kpi);
    /* exact: every decimal of the raw integer (NOx: kg with 6 decimals, = mg), never
     * rounded to the 3 a reader sees, so that the rows add up to their total in a
     * spreadsheet as the raw integers do (rounded, 3 x 0,0004 kg read 0,000 each beside a
     * total of 0,001) */
    if (ki)
        rp_num(value, sizeof value, raw, ki->scale, ki->scale, c->style);
    else
        rp_num(value, sizeof value, raw, 0, 0, c->style);
    snprintf(rawb, sizeof rawb, "%" PRId64, raw);
    s_field(c, section, false);
    s_field(c, kpi ? rp_kpi_info(kpi)->name : "", false);
    s_field(c, theme ? rp_theme_name(theme) : "", false);
    s_field(c, tender, false);
    s_field(c, column, false);
    s_field(c, measure, false);
    s_number(c, value, false);
    s_field(c, ki ? ki->unit_shown : "count", false);
    s_number(c, rawb, false);
    s_field(c, ki ? ki->unit_raw : "count", true);
}

int rp_render_csv(const rp_report_t *r, FILE *out, bool dutch)
{
    s_csv_t c = { out, dutch ? ';' : ',', dutch ? RP_STYLE_COMMA : RP_STYLE_DOT };
    const rp_input_t *in = r->in;
    if (dutch)
        fputs("\xEF\xBB\xBF", out);
    const char *hdr[] = { "section", "kpi", "theme", "tender", "column", "measure", "value",
                          "unit", "raw", "raw_unit" };
    for (int i = 0; i < 10; i++)
        s_field(&c, hdr[i], i == 9);
    char period[16];
    snprintf(period, sizeof period, "%s", r->period);
    /* 1: the period has not ended, its figures can still move (the HTML's "Voorlopig") */
    s_row(&c, "report", 0, 0, "", period, "provisional", r->provisional, 0);
    /* 1: no tender and no measurement in the period, so its zeros are no result (the
     * HTML's notice) */
    s_row(&c, "report", 0, 0, "", period, "empty", r->empty, 0);
    const char *cols[RP_NCOL] = { period, "ytd", r->period_prev };
    /* A figure nobody measured has no row (rp_unmeasured: count 0 and value 0), as a
     * target without a figure: its count row (0 measurements) stays, and a row with 0 is
     * a measured 0. The denominator is fair trade's alone: no row for another KPI. */
    for (int k = 1; k < RP_NKPI; k++)
        for (int col = 0; col < RP_NCOL; col++) {
            const rp_val_t *v = &r->kpi[k][col];
            if (!rp_unmeasured(k, v, v->ambition))
                s_row(&c, "kpi", k, 0, "", cols[col], "ambition", v->ambition, k);
            if (!rp_unmeasured(k, v, v->realisation))
                s_row(&c, "kpi", k, 0, "", cols[col], "realisation", v->realisation, k);
            s_row(&c, "kpi", k, 0, "", cols[col], "projects", v->projects, 0);
            /* no row where the target has no figure (model_build.c: a KPI without a
             * target, a quarter of the pilots' yearly one, the previous year's SROI
             * obligation): a 0 there would read as a target of nothing */
            if (!r->target_na[k][col])
                s_row(&c, "kpi", k, 0, "", cols[col], "target", v->target, k);
            if (!rp_denominator_na(k) && !rp_unmeasured(k, v, v->denominator))
                s_row(&c, "kpi", k, 0, "", cols[col], "denominator", v->denominator, 0);
            s_row(&c, "kpi", k, 0, "", cols[col], "count", v->count, 0);
        }
    for (int th = 1; th < RP_NTHEME; th++) {
        const rp_theme_row_t *t = &r->themes[th];
        if (!rp_unmeasured(t->kpi, &t->ytd, t->ytd.ambition))
            s_row(&c, "theme", t->kpi, th, "", "ytd", "ambition", t->ytd.ambition, t->kpi);
        if (!rp_unmeasured(t->kpi, &t->ytd, t->ytd.realisation))
            s_row(&c, "theme", t->kpi, th, "", "ytd", "realisation", t->ytd.realisation,
                  t->kpi);
        s_row(&c, "theme", t->kpi, th, "", "ytd", "in_scope", t->in_scope, 0);
        s_row(&c, "theme", t->kpi, th, "", "ytd", "committed", t->committed, 0);
        s_row(&c, "theme", t->kpi, th, "", "ytd", "innovation", t->innovation, 0);
        /* no row for a level that is not set (0, model.c): a 0 would read as a level
         * below the lowest (the HTML and XLSX say it in words, the JSON null) */
        if (t->level_year)
            s_row(&c, "theme", t->kpi, th, "", "year", "level", t->level_year, 0);
        /* the status word is the measure, flagged 1 (as provisional and empty): its enum
         * number as a value read as a count ("target_open,6,count") */
        s_row(&c, "theme", t->kpi, th, "", "ytd", rp_status_key(t->status) + 14, 1, 0);
    }
    for (int k = 1; k < RP_NKPI; k++)
        for (int i = 0; i < 8; i++) {
            char q[16];
            snprintf(q, sizeof q, "%u-q%d", in->year - 1 + (uint32_t)(i / 4), i % 4 + 1);
            const rp_val_t *v = &in->series[k][i];
            if (!rp_unmeasured(k, v, v->ambition))
                s_row(&c, "series", k, 0, "", q, "ambition", v->ambition, k);
            if (!rp_unmeasured(k, v, v->realisation))
                s_row(&c, "series", k, 0, "", q, "realisation", v->realisation, k);
        }
    char year[8];
    snprintf(year, sizeof year, "%u", in->year);
    s_row(&c, "pilots", 6, 0, "", year, "ambition", r->pilots.ambition, 6);
    s_row(&c, "pilots", 6, 0, "", year, "realisation", r->pilots.realisation, 6);
    s_row(&c, "pilots", 6, 0, "", year, "target", r->pilots.target ? r->pilots.target : 3, 6);
    /* an obligation the calendar does not know, a realisation nobody reported: no row */
    for (size_t i = 0; i < r->ncontracts; i++) {
        const rp_contract_t *ct = &r->contracts[i];
        if (ct->obligation > 0)
            s_row(&c, "sroi_contract", 2, 0, ct->tender, "ytd", "obligation", ct->obligation, 2);
        if (ct->realised_count || ct->realised)
            s_row(&c, "sroi_contract", 2, 0, ct->tender, "ytd", "realised", ct->realised, 2);
    }
    for (size_t i = 0; i < r->nannex; i++) {
        const rp_annex_row_t *a = &r->annex[i];
        if (!a->t->value_unknown)   /* no estimated value: no row, never € 0 */
            s_row(&c, "annex", 0, 0, a->t->id, period, "value", a->t->value_cents, 2);
        for (int k = 1; k < RP_NKPI; k++)
            if (a->count[k]) {
                s_row(&c, "annex", k, 0, a->t->id, period, "realisation", a->realisation[k], k);
                s_row(&c, "annex", k, 0, a->t->id, period, "count", a->count[k], 0);
            }
    }
    return ferror(out) ? -EIO : 0;
}
