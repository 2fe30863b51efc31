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

/* The smallest 1, 2 or 5 x 10^k (raw units) with 4 steps covering max. */
static int64_t s_nice_step(int64_t max)
{
    if (max <= 0)
        return 1;
    int64_t want = (max + 3) / 4, p = 1;
    while (p <= INT64_MAX / 10 && p * 10 <= want)
        p *= 10;
    if (p >= want) return p;
    if (2 * p >= want) return 2 * p;
    if (5 * p >= want) return 5 * p;
    return 10 * p;
}

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

void rp_html_trend_chart(FILE *out, const rp_report_t *r, int k)
{
    const rp_input_t *in = r->in;
    const rp_kpi_info_t *ki = rp_kpi_info(k);
    rp_style_t st = rp_style_text(in->lang);
    int64_t max = 0;
    bool any = false;   /* a value other than 0: a negative one too (CO2 worse than the
                         * reference) is a result, not "no data" */
    for (int i = 0; i < 8; i++) {
        if (in->series[k][i].realisation > max) max = in->series[k][i].realisation;
        if (in->series[k][i].ambition > max) max = in->series[k][i].ambition;
        any = any || in->series[k][i].realisation || in->series[k][i].ambition;
    }
    int64_t step = s_nice_step(max), top = step * 4;
    int dec = s_step_decimals(step, ki);
    /* plot area: x 56..336, y 20 (top) .. 130 (zero) */
    const int X0 = 56, Y0 = 130, H = 110;
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
    /* value axis: unit, gridlines and labels at 0, step .. 4 x step */
    fprintf(out, "<text x=\"2\" y=\"12\" font-size=\"8\" fill=\"#333\">%s</text>",
            rp_html_unit(r, k));
    if (!any)   /* no axis to read: say so, not "0,000" five times */
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\" "
                     "fill=\"#333\">%s</text>", X0 + 140, Y0 - H / 2, T("report.chart.no_data"));
    for (int g = 0; g <= (max ? 4 : 0); g++) {
        int y = Y0 - g * H / 4;
        char lab[48];
        rp_num(lab, sizeof lab, step * g, ki->scale, dec, st);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"330\" y2=\"%d\" stroke=\"%s\" "
                     "stroke-width=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"7\" "
                     "text-anchor=\"end\" fill=\"#333\">%s</text>",
                X0, y, y, g ? "#d5dbe1" : "#333", g ? "0.6" : "1", X0 - 3, y + 2, lab);
    }
    for (int i = 0; i < 8; i++) {
        int x = X0 + 4 + i * 34;
        int64_t re = in->series[k][i].realisation, am = in->series[k][i].ambition;
        /* bars rise from 0; a negative value has no bar (an SVG height < 0 is an error)
         * and its value is written on the zero line */
        int hr = re > 0 ? (int)((double)re / (double)top * H) : 0,
            ha = am > 0 ? (int)((double)am / (double)top * H) : 0;
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"13\" height=\"%d\" fill=\"#8fb8dc\"/>"
                     "<rect x=\"%d\" y=\"%d\" width=\"13\" height=\"%d\" fill=\"%s\"/>",
                x, Y0 - ha, ha, x + 14, Y0 - hr, hr, i >= 4 ? "#00589c" : "#4f6f8a");
        /* on the bar: its value; a measured 0 says 0, a quarter nobody measured "–" */
        bool none = rp_unmeasured(k, &in->series[k][i], re);
        if (any) {
            char v[48];
            if (none)
                snprintf(v, sizeof v, "–");
            else
                rp_num(v, sizeof v, re, ki->scale, dec, st);
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"6.5\" text-anchor=\"middle\" "
                         "fill=\"#1a1a1a\">%s</text>", x + 20, Y0 - hr - 2, v);
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"7.5\" text-anchor=\"middle\" "
                     "fill=\"#333\">Q%d</text>", x + 14, Y0 + 10, i % 4 + 1);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\">%u</text>"
                 "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"middle\">%u</text>",
            X0 + 70, Y0 + 21, in->year - 1, X0 + 210, Y0 + 21, in->year);
    fprintf(out, "<rect x=\"%d\" y=\"4\" width=\"8\" height=\"8\" fill=\"#8fb8dc\"/>"
                 "<text x=\"%d\" y=\"11\" font-size=\"8\">%s</text>"
                 "<rect x=\"%d\" y=\"4\" width=\"8\" height=\"8\" fill=\"#00589c\"/>"
                 "<text x=\"%d\" y=\"11\" font-size=\"8\">%s</text></svg>",
            X0 + 40, X0 + 51, T("kpi.ambition"), X0 + 130, X0 + 141, T("kpi.realisation"));
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

void rp_html_amb_real(FILE *out, const rp_report_t *r)
{
    rp_style_t st = rp_style_text(r->in->lang);
    /* scale: 0..200 % unless a theme goes further (capped at 400 %) */
    int64_t maxpct = 200;
    for (int th = 1; th < RP_NTHEME; th++) {
        int64_t n, d;
        if (s_share(r, th, &n, &d) && n * 100 / d > maxpct)
            maxpct = n * 100 / d > 400 ? 400 : (n * 100 / d + 49) / 50 * 50;
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
        char pct[32];
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
        int64_t p = n * 100 / d;
        int w = (int)((p > maxpct ? maxpct : p) * W / maxpct);
        char pct[32], a[96], b[96];
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
