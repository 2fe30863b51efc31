/*  html_int: what html.c and html_chart.c share (not part of report_core's interface). */
#ifndef MVOI_REPORT_HTML_INT_H
#define MVOI_REPORT_HTML_INT_H

#include <stdio.h>
#include "report.h"

/* Room for any share rp_html_pct writes: "-922.337.203.685.477.580.800,0 %" is 33 bytes
 * with its NUL (INT64_MIN of 1), "&gt; -0,1 %" fewer. */
#define RP_HTML_PCT 48
/* "41,4 %" (one decimal, integers only, exact over all of int64) or "–" when den <= 0. */
void rp_html_pct(char *b, size_t cap, const rp_report_t *r, int64_t num, int64_t den);
const char *rp_html_kpi_label(const rp_report_t *r, int k);
const char *rp_html_unit(const rp_report_t *r, int k);
/* a figure with its unit as a reader writes it: "€ 10.500,00" (money: the sign first),
 * "1.234,567 kg", "3 pilots" */
void rp_html_amount(char *b, size_t cap, const rp_report_t *r, int k, int64_t raw);
void rp_html_theme_label(FILE *out, const rp_report_t *r, int th);

/* html_chart.c: inline SVG charts with a value axis, gridlines and values on the bars; the
 * numbers are also in the SVG's <desc> and in the tables next to them. */
void rp_html_trend_chart(FILE *out, const rp_report_t *r, int k);
void rp_html_amb_real(FILE *out, const rp_report_t *r);

/* html_bench.c: the national benchmark section (annual report) */
void rp_html_bench(FILE *out, const rp_report_t *r);

#endif
