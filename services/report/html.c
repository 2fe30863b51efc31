/*  html: the self-contained, accessible report (no scripts, no external resources).
 *
 *  Semantic tables (caption, th scope), inline SVG charts with <title>/<desc> (role="img"),
 *  every chart followed by its numbers in text, print CSS for A4. Every figure cell carries
 *  its raw integer in data-raw and a stable id, so a reader (or a test) can trace it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "clock.h"
#include "html_int.h"
#include "report.h"

#define T(key) rp_t(r, key)
/* Long tables stop here in HTML/PDF (a printed annex of thousands of rows helps nobody and
 * takes Chromium minutes); every row is in the XLSX, CSV and JSON files. */
#define RP_HTML_ROWS_MAX 500
#define E(s) rp_html_esc(out, s)

static const char *s_css =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;color:#1a1a1a;"
    "max-width:190mm;margin:0 auto;padding:8mm;line-height:1.35}"
    "h1{font-size:18pt;margin:0 0 4pt}h2{font-size:13.5pt;border-bottom:2px solid #00589c;"
    "padding-bottom:2pt;margin-top:16pt}h3{font-size:11pt}"
    "table{border-collapse:collapse;width:100%;margin:6pt 0 10pt;font-size:9pt}"
    "caption{text-align:left;font-weight:bold;padding:2pt 0}"
    "th,td{border:1px solid #9aa5b1;padding:2pt 4pt;vertical-align:top}"
    "thead th{background:#e6eef5}#sroi tbody th,#annex tbody th{white-space:nowrap}"
    /* an id of up to 128 bytes kept on one line pushed the annex's value, status and
     * themes off the A4 page: a long one breaks anywhere, a short one stays whole */
    "#sroi tbody th.long,#annex tbody th.long{white-space:normal;overflow-wrap:anywhere;"
    "min-width:28mm}td.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}.ok{color:#1b6e1b}.behind{color:#a3330b}.muted{color:#555}"
    "dd{white-space:pre-line;margin:0 0 6pt 12pt}dt{font-weight:bold}"
    ".notice{border-left:4px solid #c98a00;background:#fff6e0;padding:4pt 8pt}"
    "figure{margin:6pt 0;break-inside:avoid}figcaption{font-size:9pt;color:#333}"
    ".charts{display:flex;flex-wrap:wrap;gap:6pt}.charts figure{width:88mm}"
    "@page{size:A4;margin:15mm}"
    "@media print{body{padding:0;max-width:none}section{break-inside:auto}"
    "table,figure{break-inside:avoid}h2{break-after:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/* A tender id as a row header: kept on one line up to the length of an id like
 * "HRL-2026-001" and more, allowed to break beyond (the CSS's th.long). */
#define S_ID_WHOLE 24
static const char *s_id_class(const char *id)
{
    return strlen(id) > S_ID_WHOLE ? " class=\"long\"" : "";
}

static void s_num(FILE *out, const rp_report_t *r, int kpi, int64_t raw, const char *id)
{
    char b[48];
    rp_kpi_num(b, sizeof b, kpi, raw, rp_style_text(r->in->lang));
    fprintf(out, "<td class=\"n\"");
    if (id)
        fprintf(out, " id=\"%s\"", id);
    fprintf(out, " data-raw=\"%" PRId64 "\">%s</td>", raw, b);
}

/* A figure nobody measured (rp_unmeasured): "–", muted, with no data-raw, never a 0. */
static void s_dash(FILE *out, const char *id)
{
    fputs("<td class=\"n muted\"", out);
    if (id)
        fprintf(out, " id=\"%s\"", id);
    fputs(" data-raw=\"\">–</td>", out);
}

/* Quantity x of total v of KPI kpi: its figure, or "–" without a measurement. */
static void s_qty(FILE *out, const rp_report_t *r, int kpi, const rp_val_t *v, int64_t x,
                  const char *id)
{
    if (rp_unmeasured(kpi, v, x))
        s_dash(out, id);
    else
        s_num(out, r, kpi, x, id);
}

static void s_int(FILE *out, const rp_report_t *r, int64_t v, const char *id)
{
    char b[48];
    rp_num(b, sizeof b, v, 0, 0, rp_style_text(r->in->lang));
    fprintf(out, "<td class=\"n\"");
    if (id)
        fprintf(out, " id=\"%s\"", id);
    fprintf(out, " data-raw=\"%" PRId64 "\">%s</td>", v, b);
}

/* A count in a sentence, in the report's number style ("1.001", "1,001") as every other
 * figure on the page: %zu had printed "500 / 1001" beside "1.234,567". */
static const char *s_count(char *b, size_t cap, const rp_report_t *r, int64_t n)
{
    rp_num(b, cap, n, 0, 0, rp_style_text(r->in->lang));
    return b;
}

/* A share in tenths of a percent beyond int64 (num / den up to INT64_MAX x 1.000, the
 * realisation a quintillion times its ambition): exact as well, its last ten digits
 * grouped by hand. It had been cast to int64 and wrapped: 10^16 g of 1 g read as a share
 * of -844.674.407.370.955.161,6 %. */
static void s_pct_big(char *b, size_t cap, const rp_report_t *r, bool neg, __int128 q)
{
    bool en = r->in->lang == TEXT_EN;
    char hi[32], sep = en ? ',' : '.', dec = en ? '.' : ',';
    int64_t lo = (int64_t)(q % 10000000000);   /* 9 whole digits and the tenth */
    rp_num(hi, sizeof hi, (int64_t)(q / 10000000000), 0, 0, rp_style_text(r->in->lang));
    snprintf(b, cap, "%s%s%c%03d%c%03d%c%03d%c%d %%", neg ? "-" : "", hi, sep,
             (int)(lo / 10000000), sep, (int)(lo / 10000 % 1000), sep, (int)(lo / 10 % 1000),
             dec, (int)(lo % 10));
}

void rp_html_pct(char *b, size_t cap, const rp_report_t *r, int64_t num, int64_t den)
{
    if (den <= 0) {
        snprintf(b, cap, "–");
        return;
    }
    /* percentage with one decimal: round(num * 1000 / den) / 10, integers only, half away
     * from zero as every rounding in the report. On the magnitude: C's division truncates
     * toward zero, so adding den/2 to a negative numerator had rounded toward plus
     * infinity (a CO2 share of -1/1000 read "0,0 %", -0,15 % read "-0,1 %"). */
    __int128 x = (__int128)num * 1000, m = x < 0 ? -x : x;
    __int128 q128 = (2 * m + den) / (2 * (__int128)den);
    if (q128 > INT64_MAX) {
        s_pct_big(b, cap, r, x < 0, q128);
        return;
    }
    int64_t q = (int64_t)q128;
    if (x < 0)
        q = -q;
    /* A share below the whole never reads as the whole: 9.995 of 10.000 rounded to
     * "100,0 %" beside "achter op ambitie" (and an SROI contract € 5 short of its
     * obligation) read as the target met. As coverage.py shows 100 only when all is
     * covered: 99,9 %. */
    if (num >= 0 && num < den && q >= 1000)
        q = 999;
    /* The mirror: a share that is not nothing never reads as nothing. 1 of 3.000 (0,033 %)
     * rounded to "0,0 %" beside a realisation of 1: a reader saw nothing achieved. It reads
     * "< 0,1 %" ("> -0,1 %" below zero): a bound that is true, not a rounded nothing nor
     * a made-up 0,1; the figures beside it stay exact. The text goes into HTML and SVG
     * as it is, so the sign is written as its entity. */
    const char *bound = q == 0 && num > 0 ? "&lt; " : q == 0 && num < 0 ? "&gt; -" : "";
    int n = snprintf(b, cap, "%s", bound);
    n += rp_num(b + n, cap - (size_t)n, *bound ? 1 : q, 1, 1, rp_style_text(r->in->lang));
    snprintf(b + n, cap - (size_t)n, " %%");
}

const char *rp_html_kpi_label(const rp_report_t *r, int k)
{
    static const char *keys[] = { NULL, "kpi.fairtrade", "kpi.sroi", "kpi.nox",
                                  "kpi.material", "kpi.co2", "kpi.pilots" };
    return T(keys[k]);
}

const char *rp_html_unit(const rp_report_t *r, int k)
{
    static const char *keys[] = { NULL, "report.unit.products", "report.unit.eur",
                                  "report.unit.kg", "report.unit.kg", "report.unit.kg",
                                  "report.unit.pilots" };
    return T(keys[k]);
}

void rp_html_theme_label(FILE *out, const rp_report_t *r, int th)
{
    char key[64];
    snprintf(key, sizeof key, "report.theme.%s", rp_theme_name(th));
    E(T(key));
}

/* "2027-03-15" as "15 maart 2027" (noon UTC: the same day in Amsterdam); unparsable text
 * is shown as it is, and so is a day the month does not have: "2027-02-31" became the day
 * it counts to, "3 maart 2027", a date nobody wrote. */
static void s_iso_words(char *b, size_t cap, const rp_report_t *r, const char *iso)
{
    int y, m, d, ly;
    unsigned lm, ld, lh, lmin;
    char tail;
    if (iso && sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 1900 &&
        m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        int64_t noon = rp_civil_noon_utc(y, (unsigned)m, (unsigned)d);
        rp_ams_local(noon, &ly, &lm, &ld, &lh, &lmin);
        if (ly == y && lm == (unsigned)m && ld == (unsigned)d &&
            rp_date_text(b, cap, noon, false, r->in->lang) >= 0)
            return;
    }
    snprintf(b, cap, "%s", iso ? iso : "");
}

void rp_html_amount(char *b, size_t cap, const rp_report_t *r, int k, int64_t raw)
{
    char v[48];
    rp_kpi_num(v, sizeof v, k, raw, rp_style_text(r->in->lang));
    if (k == 2)
        snprintf(b, cap, "€%s%s", r->in->lang == TEXT_EN ? "" : " ", v);
    else
        snprintf(b, cap, "%s %s", v, rp_html_unit(r, k));
}

static void s_level(FILE *out, const rp_report_t *r, int lv)
{
    if (!lv) {
        fprintf(out, "<td class=\"muted\">%s</td>", T("report.level.unset"));
        return;
    }
    char key[32];
    snprintf(key, sizeof key, "report.level.%d", lv);
    fprintf(out, "<td>%d – ", lv);
    E(T(key));
    fputs("</td>", out);
}

static void s_head(FILE *out, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    char title[200];
    if (in->quarter)
        snprintf(title, sizeof title, T("report.title.quarter"), in->quarter, in->year);
    else
        snprintf(title, sizeof title, T("report.title.annual"), in->year);
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>", text_lang_name(in->lang));
    E(title);
    /* The organisation by its registered display name ("Gemeente Heerlen"), not its id. */
    const char *org = in->buyer_name[0] ? in->buyer_name : in->buyer;
    fputs(" – ", out);
    E(org);
    fprintf(out, "</title><style>%s</style></head>\n<body>\n<header><h1>", s_css);
    E(title);
    fputs("</h1><p>", out);
    char ts[40], from[64], to[64], gen[64];
    clock_format_rfc3339(in->generated_ms, ts, sizeof ts);
    rp_date_text(from, sizeof from, r->period_from_ms, false, in->lang);
    rp_date_text(to, sizeof to, r->period_to_ms - 1, false, in->lang);
    rp_date_text(gen, sizeof gen, in->generated_ms, true, in->lang);
    fprintf(out, "%s: <strong>", T("report.label.buyer"));
    E(org);
    fprintf(out, "</strong> · %s: <span id=\"period\" data-period=\"%s\">%s – %s</span>"
                 " · %s: <time datetime=\"%s\">%s</time></p>",
            T("report.label.period"), r->period, from, to, T("report.label.generated"), ts, gen);
    if (r->provisional) {
        char upto[64];
        rp_date_text(upto, sizeof upto, in->generated_ms, false, in->lang);
        fprintf(out, "<p class=\"notice\" id=\"provisional\"><strong>%s</strong> ",
                T("report.label.provisional"));
        fprintf(out, T("report.notice.provisional"), from, to, upto);
        fputs("</p>", out);
    }
    fputs("</header>\n<main>\n", out);
}

static void s_summary(FILE *out, const rp_report_t *r)
{
    fprintf(out, "<section aria-labelledby=\"h-sum\"><h2 id=\"h-sum\">%s</h2>",
            T("report.section.summary"));
    if (r->empty)
        fprintf(out, "<p class=\"notice\" id=\"empty\">%s</p>", T("report.notice.empty"));
    if (r->nearly) {
        fprintf(out, "<p class=\"notice\" id=\"early-notice\">");
        char n[32];
        fprintf(out, T("report.notice.early_short"),
                s_count(n, sizeof n, r, (int64_t)r->nearly));
        fputs(" <a href=\"#h-early\">", out);
        E(T("report.section.early"));
        fputs("</a></p>", out);
    }
    fprintf(out, "<p>%s</p>", T("report.text.intro"));
    char b[64];
    fputs("<ul>", out);
    rp_num(b, sizeof b, (int64_t)r->nannex, 0, 0, rp_style_text(r->in->lang));
    fprintf(out, "<li>%s: <strong id=\"n-tenders\">%s</strong></li>", T("report.label.tenders"), b);
    rp_num(b, sizeof b, r->cancelled, 0, 0, rp_style_text(r->in->lang));
    fprintf(out, "<li>%s: <strong id=\"n-cancelled\">%s</strong></li>",
            T("report.label.cancelled"), b);
    /* realised pilots against the target, as the pilots section says: the pilot tenders
     * (the ambition) in that place had read "3 / 3" beside a target not met */
    char tg[32], am[32];
    rp_num(b, sizeof b, r->pilots.realisation, 0, 0, rp_style_text(r->in->lang));
    rp_num(tg, sizeof tg, r->pilots.target ? r->pilots.target : RP_PILOT_TARGET, 0, 0,
           rp_style_text(r->in->lang));
    rp_num(am, sizeof am, r->pilots.ambition, 0, 0, rp_style_text(r->in->lang));
    fprintf(out, "<li>%s: <strong id=\"n-pilots\">%s</strong> ",
            T(r->in->quarter ? "report.label.pilots_ytd" : "report.label.pilots_year"), b);
    fprintf(out, T("report.text.pilots_year"), tg, am);
    fputs("</li></ul></section>\n", out);
}

static void s_themes(FILE *out, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    fprintf(out, "<section aria-labelledby=\"h-th\"><h2 id=\"h-th\">%s</h2>"
                 "<table id=\"themes\"><caption>%s</caption><thead><tr>",
            T("report.section.themes"), T("report.caption.themes"));
    fprintf(out, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s 2023</th><th scope=\"col\">%s %u</th>"
                 "<th scope=\"col\">%s 2027</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th></tr></thead><tbody>",
            T("report.label.theme"), T("report.label.kpi"), T("report.label.level"),
            T("report.label.level"), in->year, T("report.label.goal"),
            T("report.label.in_scope"), T("report.label.committed"),
            T("report.label.innovation"), T("kpi.ambition"), T("kpi.realisation"),
            T("report.label.status"));
    for (int th = 1; th < RP_NTHEME; th++) {
        const rp_theme_row_t *row = &r->themes[th];
        char id[64];
        fprintf(out, "<tr id=\"theme-%s\"><th scope=\"row\">", rp_theme_name(th));
        rp_html_theme_label(out, r, th);
        fputs("</th><td>", out);
        E(rp_html_kpi_label(r, row->kpi));
        fprintf(out, " (%s)</td>", rp_html_unit(r, row->kpi));
        s_level(out, r, row->level_baseline);
        s_level(out, r, row->level_year);
        s_level(out, r, row->level_goal);
        s_int(out, r, row->in_scope, NULL);
        s_int(out, r, row->committed, NULL);
        s_int(out, r, row->innovation, NULL);
        snprintf(id, sizeof id, "th-%s-ambition", rp_theme_name(th));
        s_qty(out, r, row->kpi, &row->ytd, row->ytd.ambition, id);
        snprintf(id, sizeof id, "th-%s-realisation", rp_theme_name(th));
        s_qty(out, r, row->kpi, &row->ytd, row->ytd.realisation, id);
        fprintf(out, "<td class=\"%s\">%s</td></tr>",
                row->status == RP_STATUS_ON_TRACK || row->status == RP_STATUS_TARGET_MET ? "ok"
                : row->status == RP_STATUS_BEHIND || row->status == RP_STATUS_TARGET_OPEN
                    ? "behind" : "muted",
                T(rp_status_key(row->status)));
    }
    fputs("</tbody></table>", out);
    /* The adviser's narrative per theme, next to the figures it explains. */
    bool any = false;
    for (int th = 1; th < RP_NTHEME; th++) {
        const char *n = in->narrative[th];
        if (!n || !*n)
            continue;
        if (!any)
            fprintf(out, "<h3>%s</h3><dl id=\"narratives\">", T("report.section.narrative"));
        any = true;
        fputs("<dt>", out);
        rp_html_theme_label(out, r, th);
        fprintf(out, "</dt><dd id=\"narrative-%s\">", rp_theme_name(th));
        E(n);
        fputs("</dd>", out);
    }
    if (any)
        fputs("</dl>", out);
    fputs("</section>\n", out);
}

static void s_kpis(FILE *out, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    fprintf(out, "<section aria-labelledby=\"h-kpi\"><h2 id=\"h-kpi\">%s</h2>"
                 "<table id=\"kpis\"><caption>%s</caption><thead><tr>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "</tr></thead><tbody>",
            T("report.section.kpis"), T("report.caption.kpis"), T("report.label.kpi"),
            T("report.label.measure"), T("report.label.unit"),
            in->quarter ? T("report.col.quarter") : T("report.col.year"), T("report.col.ytd"),
            T("report.col.prev"));
    static const char *cols[] = { "period", "ytd", "prev" };
    for (int k = 1; k < RP_NKPI; k++) {
        static const char *mkeys[] = { "kpi.ambition", "kpi.realisation", "kpi.projects",
                                       "kpi.target", "report.label.denominator" };
        static const char *mnames[] = { "ambition", "realisation", "projects", "target",
                                        "denominator" };
        int nm = k == 1 ? 5 : (k == 2 || k == 6) ? 4 : 3;
        for (int m = 0; m < nm; m++) {
            fputs("<tr>", out);
            if (m == 0) {
                fprintf(out, "<th scope=\"rowgroup\" rowspan=\"%d\">%d. ", nm, k);
                E(rp_html_kpi_label(r, k));
                fputs("</th>", out);
            }
            fprintf(out, "<th scope=\"row\">%s</th><td>%s</td>",
                    T(k == 2 && m == 3 ? "report.label.sroi_target" : mkeys[m]),
                    m == 2 ? T("report.unit.projects") : m == 4 ? rp_html_unit(r, 1) : rp_html_unit(r, k));
            for (int c = 0; c < RP_NCOL; c++) {
                const rp_val_t *v = &r->kpi[k][c];
                char id[64];
                snprintf(id, sizeof id, "k-%s-%s-%s", rp_kpi_info(k)->name, cols[c], mnames[m]);
                switch (m) {
                case 0: s_qty(out, r, k, v, v->ambition, id); break;
                case 1: s_qty(out, r, k, v, v->realisation, id); break;
                case 2: s_int(out, r, v->projects, id); break;
                case 3:
                    if (r->target_na[k][c])
                        fprintf(out, "<td class=\"n muted\" id=\"%s\">–</td>", id);
                    else if (v->target <= 0)   /* SROI with no known obligation in the
                                                * column: no target, not "€ 0,00" that
                                                * any realisation meets */
                        fprintf(out, "<td class=\"n muted\" id=\"%s\" data-raw=\"%" PRId64
                                     "\">%s</td>", id, v->target, T("report.target.none"));
                    else
                        s_num(out, r, k, v->target, id);
                    break;
                case 4:
                    if (rp_unmeasured(k, v, v->denominator))
                        s_dash(out, id);
                    else
                        s_int(out, r, v->denominator, id);
                    break;
                }
            }
            fputs("</tr>", out);
        }
    }
    fputs("</tbody></table>", out);
    /* what a "–" is, where the reader meets it: no measurement, not a 0 */
    fprintf(out, "<p class=\"muted\" id=\"kpi-legend\">%s</p>", T("report.text.dash"));
    /* on which basis the SROI target stands, and why last year's column has none */
    fprintf(out, "<p class=\"muted\" id=\"kpi-sroi-target-note\">%s</p></section>\n",
            T("report.text.sroi_target"));
}

static void s_trends(FILE *out, const rp_report_t *r)
{
    fprintf(out, "<section aria-labelledby=\"h-tr\"><h2 id=\"h-tr\">%s</h2><p>%s</p>"
                 "<div class=\"charts\">", T("report.section.trend"), T("report.text.trend"));
    for (int k = 1; k < RP_NKPI; k++)
        rp_html_trend_chart(out, r, k);
    fputs("</div></section>\n", out);
}

/* A pilots bar of v against max: 0..400 px. In 128 bits: v * 400 wrapped in int64 above
 * 2.3 x 10^16 (bars of garbage widths); a negative v has no bar (a width < 0 is an SVG
 * error), as in the trend charts (html_chart.c). */
static int s_pilot_w(int64_t v, int64_t max)
{
    return v > 0 && max > 0 ? (int)((__int128)v * 400 / max) : 0;
}

static void s_pilots(FILE *out, const rp_report_t *r)
{
    const rp_val_t *p = &r->pilots;
    int64_t target = p->target ? p->target : 3;
    char a[32], b[32], c[32];
    rp_style_t st = rp_style_text(r->in->lang);
    rp_num(a, sizeof a, p->ambition, 0, 0, st);
    rp_num(b, sizeof b, p->realisation, 0, 0, st);
    rp_num(c, sizeof c, target, 0, 0, st);
    int64_t max = p->ambition > target ? p->ambition : target;
    if (p->realisation > max) max = p->realisation;
    int wa = s_pilot_w(p->ambition, max), wr = s_pilot_w(p->realisation, max),
        wt = s_pilot_w(target, max);
    /* Met or not is realised pilots against the target (pilot tenders are the ambition). */
    fprintf(out, "<section aria-labelledby=\"h-pi\"><h2 id=\"h-pi\">%s</h2>"
                 "<p id=\"pilots\" data-ambition=\"%" PRId64 "\" data-realisation=\"%" PRId64
                 "\" data-target=\"%" PRId64 "\">",
            T("report.section.pilots"), p->ambition, p->realisation, target);
    /* a quarterly report: the pilots up to its quarter's end (model_build.c) */
    bool q = r->in->quarter != 0;
    fprintf(out, p->realisation >= target
                     ? T(q ? "report.text.pilots_ok_ytd" : "report.text.pilots_ok")
                     : T(q ? "report.text.pilots_behind_ytd" : "report.text.pilots_behind"),
            b, c);
    fputs("</p>", out);
    fprintf(out, "<figure><svg role=\"img\" aria-labelledby=\"pit pid\" viewBox=\"0 0 560 60\" "
                 "width=\"560\" height=\"60\" xmlns=\"http://www.w3.org/2000/svg\">"
                 "<title id=\"pit\">%s</title><desc id=\"pid\">%s %s, %s %s, %s %s.</desc>"
                 "<rect x=\"120\" y=\"5\" width=\"%d\" height=\"16\" fill=\"#9ec5e8\"/>"
                 "<rect x=\"120\" y=\"28\" width=\"%d\" height=\"16\" fill=\"#00589c\"/>"
                 "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"50\" stroke=\"#a3330b\" "
                 "stroke-width=\"2\" stroke-dasharray=\"4 2\"/>"
                 "<text x=\"0\" y=\"17\" font-size=\"9\">%s: %s</text>"
                 "<text x=\"0\" y=\"40\" font-size=\"9\">%s: %s</text>"
                 "<text x=\"%d\" y=\"58\" font-size=\"8\">%s: %s</text></svg></figure></section>\n",
            T("report.section.pilots"), T("report.label.pilot_tenders"), a, T("kpi.realisation"),
            b, T("kpi.target"), c, wa, wr, 120 + wt, 120 + wt, T("report.label.pilot_tenders"),
            a, T("kpi.realisation"), b, 120 + wt > 480 ? 480 : 124 + wt, T("kpi.target"), c);
}

static void s_sroi(FILE *out, const rp_report_t *r)
{
    fprintf(out, "<section aria-labelledby=\"h-sr\"><h2 id=\"h-sr\">%s</h2>"
                 "<table id=\"sroi\"><caption>%s</caption><thead><tr><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s (€)</th>"
                 "<th scope=\"col\">%s (€)</th><th scope=\"col\">%%</th></tr></thead><tbody>",
            T("report.section.sroi"), T("report.caption.sroi"), T("report.label.tender"),
            T("report.label.title"), T("report.label.obligation"), T("kpi.realisation"));
    if (r->ncontracts == 0)
        fprintf(out, "<tr><td colspan=\"5\">%s</td></tr>", T("report.text.none"));
    for (size_t i = 0; i < r->ncontracts; i++) {
        const rp_contract_t *c = &r->contracts[i];
        char pct[RP_HTML_PCT], id[RP_ID + 16];
        if (i >= RP_HTML_ROWS_MAX) {
            if (i + 1 == r->ncontracts)
                fprintf(out, "<tr><td colspan=\"5\">%s / %s. %s</td></tr>",
                        s_count(pct, sizeof pct, r, RP_HTML_ROWS_MAX),
                        s_count(id, sizeof id, r, (int64_t)r->ncontracts),
                        T("report.text.rows_capped"));
            continue;
        }
        fprintf(out, "<tr><th scope=\"row\"%s>", s_id_class(c->tender));
        E(c->tender);
        fputs("</th><td>", out);
        E(c->t ? c->t->title : "–");
        fputs("</td>", out);
        /* an obligation the calendar does not know (or a cancelled contract's) and a
         * realisation nobody reported are "–", not € 0,00 */
        snprintf(id, sizeof id, "sroi-o-%s", c->tender);
        if (c->obligation > 0)
            s_num(out, r, 2, c->obligation, id);
        else
            s_dash(out, id);
        snprintf(id, sizeof id, "sroi-r-%s", c->tender);
        if (c->realised_count == 0 && c->realised == 0)
            s_dash(out, id);
        else
            s_num(out, r, 2, c->realised, id);
        rp_html_pct(pct, sizeof pct, r, c->realised, c->obligation);
        fprintf(out, "<td class=\"n\">%s</td></tr>", pct);
    }
    char pct[RP_HTML_PCT];
    rp_html_pct(pct, sizeof pct, r, r->sroi_realised, r->sroi_obligation);
    fprintf(out, "</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">%s</th>",
            T("report.label.total_known"));
    s_num(out, r, 2, r->sroi_obligation, "sroi-o-total");
    s_num(out, r, 2, r->sroi_realised, "sroi-r-total");
    fprintf(out, "<td class=\"n\">%s</td></tr>", pct);
    if (r->sroi_other) {
        char n[32];
        fprintf(out, "<tr><th scope=\"row\" colspan=\"2\">%s (%s)</th><td class=\"n\">–</td>",
                T("report.label.total_unknown"), s_count(n, sizeof n, r, r->sroi_other));
        s_num(out, r, 2, r->sroi_realised_other, "sroi-r-other");
        fputs("<td class=\"n\">–</td></tr>", out);
    }
    fputs("</tfoot></table></section>\n", out);
}

/* Realisation counted before the tender's planned publication: kept, but listed. */
static void s_early(FILE *out, const rp_report_t *r)
{
    if (!r->nearly)
        return;
    fprintf(out, "<section aria-labelledby=\"h-early\"><h2 id=\"h-early\">%s</h2>"
                 "<p>%s</p><ul id=\"early\">",
            T("report.section.early"), T("report.notice.early"));
    for (size_t i = 0; i < r->nearly && i < RP_HTML_ROWS_MAX; i++) {
        const rp_early_t *e = &r->early[i];
        char v[96], when[64];
        rp_html_amount(v, sizeof v, r, e->kpi, e->realisation);
        s_iso_words(when, sizeof when, r, e->t->planned);
        fputs("<li>", out);
        E(e->t->id);
        fputs(" (", out);
        E(e->t->title);
        fprintf(out, "): %s %s %s Q%u %u; %s %s</li>", rp_html_kpi_label(r, e->kpi), v,
                T("report.label.in"), e->quarter, r->in->year,
                T("report.label.planned"), when);
    }
    /* a list cut short says so, and where the rest is: it had stopped at 500 without a
     * word beside a summary that counted them all */
    if (r->nearly > RP_HTML_ROWS_MAX) {
        char shown[32], all[32];
        fprintf(out, "<li id=\"early-more\">%s / %s. %s</li>",
                s_count(shown, sizeof shown, r, RP_HTML_ROWS_MAX),
                s_count(all, sizeof all, r, (int64_t)r->nearly), T("report.text.early_capped"));
    }
    fputs("</ul></section>\n", out);
}

static void s_annex(FILE *out, const rp_report_t *r)
{
    rp_style_t st = rp_style_text(r->in->lang);
    fprintf(out, "<section aria-labelledby=\"h-an\"><h2 id=\"h-an\">%s</h2>"
                 "<table id=\"annex\"><caption>%s</caption><thead><tr>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s (€)</th>"
                 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
            T("report.section.annex"), T("report.caption.annex"), T("report.label.tender"),
            T("report.label.title"), T("report.label.planned"), T("report.label.procedure"),
            T("report.label.status"), T("report.label.value"), T("report.label.themes"),
            T("report.label.measurements"));
    if (r->nannex == 0)
        fprintf(out, "<tr><td colspan=\"8\">%s</td></tr>", T("report.text.none"));
    size_t nshow = r->nannex < RP_HTML_ROWS_MAX ? r->nannex : RP_HTML_ROWS_MAX;
    for (size_t i = 0; i < nshow; i++) {
        const rp_annex_row_t *a = &r->annex[i];
        const rp_tender_t *t = a->t;
        char key[64], v[48];
        fprintf(out, "<tr%s><th scope=\"row\"%s>", t->status == 8 ? " class=\"muted\"" : "",
                s_id_class(t->id));
        E(t->id);
        fputs("</th><td>", out);
        E(t->title);
        if (t->pilot)
            fprintf(out, " <em>(%s)</em>", T("report.label.pilot"));
        char when[64];
        s_iso_words(when, sizeof when, r, t->planned);   /* as the rest of the report */
        fputs("</td><td>", out);
        E(when);
        fputs("</td><td>", out);
        snprintf(key, sizeof key, "report.procedure.%s", rp_enum_name('p', t->procedure));
        E(T(key));
        snprintf(key, sizeof key, "report.tstatus.%s", rp_enum_name('s', t->status));
        fputs("</td><td>", out);
        E(T(key));
        if (t->status == 8 && t->cancel_reason[0]) {
            fputs(": ", out);
            E(t->cancel_reason);
        }
        fputs("</td>", out);
        if (t->value_unknown)   /* no estimated value in the calendar */
            s_dash(out, NULL);
        else
            s_num(out, r, 2, t->value_cents, NULL);
        fputs("<td>", out);
        for (int j = 0; j < t->nthemes && j < 8; j++) {
            if (j)
                fputs(", ", out);
            if (t->themes[j].theme > 0 && t->themes[j].theme < RP_NTHEME)
                rp_html_theme_label(out, r, t->themes[j].theme);
            snprintf(key, sizeof key, "report.commit.%s", rp_enum_name('c', t->themes[j].commitment));
            fprintf(out, " (%s)", T(key));
        }
        if (t->sroi_bp) {
            rp_num(v, sizeof v, t->sroi_bp, 2, 2, st);
            fprintf(out, "%sSROI %s %%", t->nthemes ? "; " : "", v);
        }
        fputs("</td><td>", out);
        bool any = false;
        for (int k = 1; k < RP_NKPI; k++) {
            if (!a->count[k])
                continue;
            char amt[96];
            rp_html_amount(amt, sizeof amt, r, k, a->realisation[k]);
            fprintf(out, "%s<span data-kpi=\"%s\" data-raw=\"%" PRId64 "\">", any ? "<br>" : "",
                    rp_kpi_info(k)->name, a->realisation[k]);
            E(rp_html_kpi_label(r, k));
            char n[32];
            fprintf(out, ": %s (%s)</span>", amt, s_count(n, sizeof n, r, a->count[k]));
            any = true;
        }
        if (!any)
            fputs("–", out);
        fputs("</td></tr>", out);
    }
    if (nshow < r->nannex) {
        char a[32], b[32];
        fprintf(out, "<tr><td colspan=\"8\" id=\"annex-more\">%s / %s. %s</td></tr>",
                s_count(a, sizeof a, r, (int64_t)nshow),
                s_count(b, sizeof b, r, (int64_t)r->nannex), T("report.text.rows_capped"));
    }
    fputs("</tbody></table></section>\n", out);
}

static void s_definitions(FILE *out, const rp_report_t *r)
{
    const rp_input_t *in = r->in;
    fprintf(out, "<section aria-labelledby=\"h-de\"><h2 id=\"h-de\">%s</h2><dl>",
            T("report.section.definitions"));
    for (int k = 1; k < RP_NKPI; k++) {
        char key[48];
        snprintf(key, sizeof key, "report.def.%s", rp_kpi_info(k)->name);
        fprintf(out, "<dt>%d. ", k);
        E(rp_html_kpi_label(r, k));
        fputs("</dt><dd>", out);
        E(T(key));
        fputs("</dd>", out);
    }
    fprintf(out, "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>"
                 "<dt>–</dt><dd id=\"def-dash\">%s</dd></dl>",
            T("report.col.ytd"), T("report.def.ytd"), T("report.label.status"),
            T("report.def.status"), T("report.label.rounding"), T("report.def.rounding"),
            T("report.text.dash"));
    fprintf(out, "<h3>%s</h3>", T("report.section.factors"));
    if (!in->factors_ok)
        fprintf(out, "<p class=\"notice\">%s</p>", T("report.notice.factors_unavailable"));
    else {
        fprintf(out, "<table id=\"factors\"><caption>%s</caption><thead><tr>"
                     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
                T("report.section.factors"), T("report.label.table"), T("report.label.edition"),
                T("report.label.source"), T("report.label.rows"), T("report.label.unverified"));
        for (size_t i = 0; i < in->nfactors; i++) {
            const rp_factor_t *f = &in->factors[i];
            fputs("<tr><th scope=\"row\">", out);
            E(f->table);
            fputs("</th><td>", out);
            E(f->edition);
            fputs("</td><td>", out);
            E(f->source);
            fputs("</td>", out);
            s_int(out, r, f->rows, NULL);
            s_int(out, r, f->unverified_rows, NULL);
            fputs("</tr>", out);
        }
        fputs("</tbody></table>", out);
    }
    fprintf(out, "<h3>%s</h3><ul id=\"caveats\">", T("report.section.caveats"));
    if (r->unverified_tables)
        fprintf(out, "<li>%s</li>", T("report.caveat.unverified"));
    if (r->cancelled)
        fprintf(out, "<li>%s</li>", T("report.caveat.cancelled"));
    if (r->nearly)
        fprintf(out, "<li>%s</li>", T("report.notice.early"));
    if (r->empty)
        fprintf(out, "<li>%s</li>", T("report.notice.empty"));
    fprintf(out, "<li>%s</li><li>%s</li><li>%s</li>", T("report.caveat.levels"),
            T("report.caveat.di"), T("report.caveat.window"));
    fputs("</ul>", out);
    fprintf(out, "<h3>%s</h3><p>%s</p><p>%s: %" PRIu64 "</p><ul>", T("report.section.sources"),
            T("report.text.sources"), T("report.label.kpi_seq"), in->kpi_seq);
    for (int k = 1; k < RP_NKPI; k++) {
        char b[32];
        rp_num(b, sizeof b, in->contrib_total[k], 0, 0, rp_style_text(in->lang));
        fputs("<li>", out);
        E(rp_html_kpi_label(r, k));
        fprintf(out, ": %s %s</li>", b, T("report.label.measurements"));
    }
    fputs("</ul></section>\n", out);
}

int rp_render_html(const rp_report_t *r, FILE *out)
{
    s_head(out, r);
    s_summary(out, r);
    s_themes(out, r);
    s_kpis(out, r);
    s_trends(out, r);
    rp_html_amb_real(out, r);
    s_pilots(out, r);
    s_sroi(out, r);
    rp_html_bench(out, r);
    s_early(out, r);
    s_annex(out, r);
    s_definitions(out, r);
    fprintf(out, "</main>\n<footer><p class=\"muted\">%s</p></footer>\n</body></html>\n",
            T("report.text.footer"));
    return ferror(out) ? -EIO : 0;
}
