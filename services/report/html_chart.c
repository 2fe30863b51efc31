/*  html_chart: the report's charts as inline SVG (see html_int.h).
 *
 *  Every chart has a value axis with its unit, gridlines at round values and the value
 *  written on each realisation bar, so it can be read without the table; role="img" with
 *  <title> and <desc> (every number in words) is its text alternative. Colours keep a
 *  contrast of at least 3:1 against white for bars and 4.5:1 for text.
 */
#include <inttypes.h>
#include <string.h>

#include "html_int.h"

#define T(key) rp_t(r, key)
#define E(s) rp_html_esc(out, s)

/* The smallest 1, 2 or 5 x 10^k (raw units) with 4 steps covering max. (max + 3) / 4
 * overflowed for a max within 3 of INT64_MAX. */
static int64_t s_nice_step(int64_t max)
{
    if (max <= 0)
        return 1;
    int64_t want = max / 4 + (max % 4 != 0), p = 1;
    while (p <= INT64_MAX / 10 && p * 10 <= want)
        p *= 10;
    if (p >= want) return p;
    if (2 * p >= want) return 2 * p;
    if (5 * p >= want) return 5 * p;
    return 10 * p;   /* want <= INT64_MAX / 4 + 1 < 5 x 10^18, so p < 10^18 here */
}

/* The largest step whose axis (4 steps) an int64 holds: 2 x 10^18 raw units, a value axis
 * up to 8 x 10^18 (8.000 Mt CO2 in g, 80.000 bn euro in cents). A total above that has
 * no axis that is both round and an int64 (the next, 4 x 5 x 10^18, is not one); its
 * chart says so by name instead of drawing a wrapped top and bars of garbage heights. */
#define S_STEP_MAX INT64_C(2000000000000000000)

/* Decimals that show a step of `step` raw units exactly. More than the KPI's own when the
 * step is smaller than its last decimal: a NOx axis in steps of 500 mg read "0,000 0,001
 * 0,001 0,002 0,002" at 3 decimals. */
static int s_step_decimals(int64_t step, const rp_kpi_info_t *ki)
{
    int d = ki->scale;
    for (int64_t p = 1; d > 0 && step % (p * 10) == 0; p *= 10)
        d--;
    return d;
}

/* plot area: x 56..336, y 20 (top) .. 130 (zero) */
enum { S_X0 = 56, S_Y0 = 130, S_H = 110 };

/* The chart's <svg>, <title> and <desc>: every quarter's figures in words. */
static void s_trend_head(FILE *out, const rp_report_t *r, int k)
{
    const rp_input_t *in = r->in;
    fprintf(out, "<figure><svg role=\"img\" aria-labelledby=\"tt%d td%d\" viewBox=\"0 0 350 168\" "
                 "width=\"350\" height=\"168\" xmlns=\"http://www.w3.org/2000/svg\" "
                 "font-family=\"DejaVu Sans, Arial, sans-serif\"><title id=\"tt%d\">", k, k, k);
    E(rp_html_kpi_label(r, k));
    fprintf(out, " (%s), %u–%u</title><desc id=\"td%d\">", rp_html_unit(r, k), in->year - 1,
            in->year, k);
    for (int i = 0; i < 8; i++) {
        char a[96], b[96];
        /* a quarter without a measurement is "–" in words too, not "0 kg" */
        const rp_val_t *sv = &in->series[k][i];
        if (rp_unmeasured(k, sv, sv->realisation))
            snprintf(a, sizeof a, "–");
        else
            rp_html_amount(a, sizeof a, r, k, sv->realisation);
        if (rp_unmeasured(k, sv, sv->ambition))
            snprintf(b, sizeof b, "–");
        else
            rp_html_amount(b, sizeof b, r, k, sv->ambition);
        fprintf(out, "%u Q%d: %s %s, %s %s. ", in->year - 1 + (uint32_t)(i / 4), i % 4 + 1,
                T("kpi.realisation"), a, T("kpi.ambition"), b);
    }
    fputs("</desc>", out);
}

/* Gridlines and labels at 0, step .. 4 x step (only 0 when there is nothing above it). */
static void s_trend_axis(FILE *out, const rp_report_t *r, int k, int64_t step, int ngrid, int dec)
{
    for (int g = 0; g <= ngrid; g++) {
        int y = S_Y0 - g * S_H / 4;
        char lab[48];
        rp_num(lab, sizeof lab, step * g, rp_kpi_info(k)->scale, dec, rp_style_text(r->in->lang));
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"330\" y2=\"%d\" stroke=\"%s\" "
                     "stroke-width=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"7\" "
                     "text-anchor=\"end\" fill=\"#333\">%s</text>",
                S_X0, y, y, g ? "#d5dbe1" : "#333", g ? "0.6" : "1", S_X0 - 3, y + 2, lab);
    }
}

/* The bars of an axis up to top, each with its value (values: false, no bars either: an
 * empty chart or one too large to draw), and the quarters under them. */
static void s_trend_bars(FILE *out, const rp_report_t *r, int k, int64_t top, int dec,
                         bool values)
{
    const rp_input_t *in = r->in;
    for (int i = 0; i < 8; i++) {
        int x = S_X0 + 4 + i * 34;
        int64_t re = in->series[k][i].realisation, am = in->series[k][i].ambition;
        /* bars rise from 0; a negative value has no bar (an SVG height < 0 is an error)
         * and its value is written on the zero line */
        int hr = values && re > 0 ? (int)((double)re / (double)top * S_H) : 0,
            ha = values && am > 0 ? (int)((double)am / (double)top * S_H) : 0;
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"13\" height=\"%d\" fill=\"#8fb8dc\"/>"
                     "<rect x=\"%d\" y=\"%d\" width=\"13\" height=\"%d\" fill=\"%s\"/>",
                x, S_Y0 - ha, ha, x + 14, S_Y0 - hr, hr, i >= 4 ? "#00589c" : "#4f6f8a");
        /* on the bar: its value; a measured 0 says 0, a quarter nobody measured "–" */
        if (values) {
            char v[48];
            if (rp_unmeasured(k, &in->series[k][i], re))
                snprintf(v, sizeof v, "–");
            else
                rp_num(v, sizeof v, re, rp_kpi_info(k)->scale, dec, rp_style_text(in->lang));
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"6.5\" text-anchor=\"middle\" "
                         "fill=\"#1a1a1a\">%s</text>", x + 20, S_Y0 - hr - 2, v);
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"7.5\" text-anchor=\"middle\" "
                     "fill=\"#333\">Q%d</text>", x + 14, S_Y0 + 10, i % 4 + 1);
    }
}

void rp_html_trend_chart(FILE *out, const rp_report_t *r, int k)
{
    const rp_input_t *in = r->in;
    int64_t max = 0;
    bool any = false;   /* a value other than 0: a negative one too (CO2 worse than the
                         * reference) is a result, not "no data" */
    for (int i = 0; i < 8; i++) {
        if (in->series[k][i].realisation > max) max = in->series[k][i].realisation;
        if (in->series[k][i].ambition > max) max = in->series[k][i].ambition;
        any = any || in->series[k][i].realisation || in->series[k][i].ambition;
    }
    int64_t step = s_nice_step(max);
    bool drawable = step <= S_STEP_MAX;
    /* no value above 0, no step to show: the KPI's own decimals, as in the tables (the
     * step of 1 raw unit had NOx read "0,000000" and a quarter of -1,5 kg "-1,500000") */
    int dec = max > 0 ? s_step_decimals(step, rp_kpi_info(k)) : rp_kpi_info(k)->decimals;
    s_trend_head(out, r, k);
    fprintf(out, "<text x=\"2\" y=\"12\" font-size=\"8\" fill=\"#333\">%s</text>",
            rp_html_unit(r, k));
    /* no axis to read: say so, not "0,000" five times; an axis no int64 holds: say so,
     * the desc (words), XLSX, CSV and JSON have every figure */
    if (!any || !drawable)
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\" "
                     "fill=\"#333\">%s</text>", S_X0 + 140, S_Y0 - S_H / 2,
                T(any ? "report.chart.too_large" : "report.chart.no_data"));
    if (drawable)
        s_trend_axis(out, r, k, step, max ? 4 : 0, dec);
    s_trend_bars(out, r, k, step * (drawable ? 4 : 0), dec, any && drawable);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\">%u</text>"
                 "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\">%u</text>",
            S_X0 + 70, S_Y0 + 21, in->year - 1, S_X0 + 210, S_Y0 + 21, in->year);
    fprintf(out, "<rect x=\"%d\" y=\"4\" width=\"8\" height=\"8\" fill=\"#8fb8dc\"/>"
                 "<text x=\"%d\" y=\"11\" font-size=\"8\">%s</text>"
                 "<rect x=\"%d\" y=\"4\" width=\"8\" height=\"8\" fill=\"#00589c\"/>"
                 "<text x=\"%d\" y=\"11\" font-size=\"8\">%s</text></svg>",
            S_X0 + 40, S_X0 + 51, T("kpi.ambition"), S_X0 + 130, S_X0 + 141, T("kpi.realisation"));
    fputs("<figcaption>", out);
    E(rp_html_kpi_label(r, k));
    fprintf(out, " (%s)</figcaption></figure>", rp_html_unit(r, k));
}

/* Realisation as a share of the ambition per theme: units differ per theme, percentages do
 * not. Pilots (diversiteit_inclusie) against the year's target. */
static bool s_share(const rp_report_t *r, int th, int64_t *num, int64_t *den)
{
    const rp_theme_row_t *row = &r->themes[th];
    *num = row->ytd.realisation;
    *den = row->kpi == 6 ? r->pilots.target : row->ytd.ambition;
    return *den > 0;
}

/* n of d (d > 0) in whole percent toward zero, held to -1..401: the scale ends at 400 %,
 * a bar beyond it is as long as one at 400 % and a negative one has none; the text beside
 * the bar has the share itself. n * 100 in int64 wrapped above 9,2 x 10^16 (92.000 t NOx in
 * mg, 922 bn euro in cents): a share of 1.000 % drew as a negative one. */
static int64_t s_pct_bar(int64_t n, int64_t d)
{
    __int128 p = (__int128)n * 100 / d;
    return p > 401 ? 401 : p < -1 ? -1 : (int64_t)p;
}

void rp_html_amb_real(FILE *out, const rp_report_t *r)
{
    rp_style_t st = rp_style_text(r->in->lang);
    /* scale: 0..200 % unless a theme goes further (capped at 400 %) */
    int64_t maxpct = 200;
    for (int th = 1; th < RP_NTHEME; th++) {
        int64_t n, d;
        if (s_share(r, th, &n, &d) && s_pct_bar(n, d) > maxpct)
            maxpct = s_pct_bar(n, d) > 400 ? 400 : (s_pct_bar(n, d) + 49) / 50 * 50;
    }
    /* labels right-aligned up to X0, bars X0..X0+W, the figures in a column after that */
    const int X0 = 196, W = 250, Y = 26, ROW = 32;
    int height = Y + 6 * ROW + 8;
    fprintf(out, "<section aria-labelledby=\"h-ar\"><h2 id=\"h-ar\">%s</h2>"
                 "<figure><svg role=\"img\" aria-labelledby=\"art ard\" viewBox=\"0 0 640 %d\" "
                 "width=\"640\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" "
                 "font-family=\"DejaVu Sans, Arial, sans-serif\">"
                 "<title id=\"art\">%s</title><desc id=\"ard\">",
            T("report.section.amb_real"), height, height, T("report.section.amb_real"));
    for (int th = 1; th < RP_NTHEME; th++) {
        int64_t n, d;
        char pct[RP_HTML_PCT];
        rp_html_theme_label(out, r, th);
        if (s_share(r, th, &n, &d)) {
            rp_html_pct(pct, sizeof pct, r, n, d);
            fprintf(out, ": %s. ", pct);
        } else {
            fprintf(out, ": %s. ", T(rp_status_key(r->themes[th].status)));
        }
    }
    fputs("</desc>", out);
    for (int g = 0; g <= maxpct; g += 50) {
        int x = X0 + (int)(g * W / maxpct);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                     "stroke-width=\"%s\"%s/><text x=\"%d\" y=\"%d\" font-size=\"8\" "
                     "text-anchor=\"middle\" fill=\"#333\">%d %%</text>",
                x, Y - 4, x, Y + 6 * ROW, g == 100 ? "#a3330b" : g ? "#d5dbe1" : "#333",
                g == 100 ? "1.5" : g ? "0.6" : "1", g == 100 ? " stroke-dasharray=\"4 2\"" : "",
                x, Y - 8, g);
    }
    for (int th = 1; th < RP_NTHEME; th++) {
        const rp_theme_row_t *row = &r->themes[th];
        int y = Y + (th - 1) * ROW + 6;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"end\">", X0 - 6,
                y + 12);
        rp_html_theme_label(out, r, th);
        fputs("</text>", out);
        int64_t n, d;
        if (!s_share(r, th, &n, &d)) {
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"8.5\" fill=\"#555\">%s</text>",
                    X0 + 6, y + 12, T(rp_status_key(row->status)));
            continue;
        }
        int64_t p = s_pct_bar(n, d);
        int w = (int)((p > maxpct ? maxpct : p) * W / maxpct);
        char pct[RP_HTML_PCT], a[96], b[96];
        rp_html_pct(pct, sizeof pct, r, n, d);
        if (row->kpi == 2)   /* money: "€ 1.000,00 / € 10.500,00" */
            rp_html_amount(a, sizeof a, r, row->kpi, n);
        else
            rp_kpi_num(a, sizeof a, row->kpi, n, st);
        rp_html_amount(b, sizeof b, r, row->kpi, d);
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"%s\"/>"
                     "<text x=\"%d\" y=\"%d\" font-size=\"9\" font-weight=\"bold\" "
                     "fill=\"#1a1a1a\">%s</text><text x=\"%d\" y=\"%d\" font-size=\"7.5\" "
                     "fill=\"#333\">%s / %s</text>",
                X0 + 1, y, w > 0 ? w : 1, n >= d ? "#1b6e1b" : "#00589c", X0 + W + 8, y + 9,
                pct, X0 + W + 8, y + 19, a, b);
    }
    fprintf(out, "</svg><figcaption>%s</figcaption></figure></section>\n",
            T("report.text.amb_real"));
}
