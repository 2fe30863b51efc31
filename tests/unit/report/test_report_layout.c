/*  report_core: the printed report stays on the A4 page. A tender id may be 128 bytes
 *  without a space; kept on one line it pushed the annex's value, status and themes (and
 *  the SROI table's figures) off the page. The HTML is printed by the same Chromium the
 *  service uses and every word's box (pdftotext -bbox) must lie within the page width. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define S_LONG_ID "VENLO-2026-RAAMOVEREENKOMST-OPENBARE-VERLICHTING-EN-" \
                  "VERKEERSREGELINSTALLATIES-PERCEEL-NOORD-0001"

static void s_input(rp_input_t *in)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "venlo");
    snprintf(in->buyer_name, sizeof in->buyer_name, "Gemeente Venlo");
    in->year = 2026;
    in->quarter = 1;
    const char *ids[] = { "HRL-2026-001", S_LONG_ID };
    for (int i = 0; i < 2; i++) {
        rp_tender_t *t = rp_input_add_tender(in);
        snprintf(t->id, sizeof t->id, "%s", ids[i]);
        snprintf(t->title, sizeof t->title, "Openbare verlichting perceel %d", i + 1);
        snprintf(t->planned, sizeof t->planned, "2026-03-02");
        t->status = 1;
        t->value_cents = 40000000;
        t->sroi_bp = 400;
        t->sroi_obligation_cents = 1600000;
        t->nthemes = 1;
        t->themes[0] = (rp_ttheme_t){ 6, 1 };
        rp_total_t *r = rp_input_add_total(in);
        r->kpi = 2;
        r->year = 2026;
        r->quarter = 1;
        snprintf(r->tender, sizeof r->tender, "%s", ids[i]);
        r->v.realisation = 1000000;
        r->v.count = 1;
    }
}

static char *s_html(const rp_report_t *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(rp_render_html(r, f), 0);
    fclose(f);
    return buf;
}

Test(layout, a_long_tender_id_may_break_a_short_one_stays_whole)
{
    rp_input_t in;
    s_input(&in);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *html = s_html(&r);
    cr_expect(strstr(html, "<th scope=\"row\" class=\"long\">" S_LONG_ID "</th>"), "annex/sroi");
    cr_expect(strstr(html, "<th scope=\"row\">HRL-2026-001</th>"));
    free(html);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(layout, the_printed_annex_stays_within_the_page, .timeout = 90)
{
    const char *chromium = "/usr/bin/chromium";
    if (access(chromium, X_OK) != 0 || system("command -v pdftotext >/dev/null 2>&1") != 0)
        cr_skip_test("needs chromium and pdftotext");
    rp_input_t in;
    s_input(&in);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char dir[] = "/tmp/rp-layout-XXXXXX";
    cr_assert(mkdtemp(dir));
    char hp[64], pp[64], cmd[256];
    snprintf(hp, sizeof hp, "%s/r.html", dir);
    snprintf(pp, sizeof pp, "%s/r.pdf", dir);
    FILE *f = fopen(hp, "w");
    cr_assert(f);
    cr_assert_eq(rp_render_html(&r, f), 0);
    fclose(f);
    cr_assert_eq(rp_pdf_print(chromium, hp, pp, 60000), 0);
    snprintf(cmd, sizeof cmd, "pdftotext -bbox '%s' -", pp);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char line[1024];
    double width = 0, worst = 0;
    int words = 0;
    bool value_seen = false;
    while (fgets(line, sizeof line, p)) {
        const char *w = strstr(line, "<page width=\"");
        if (w)
            width = strtod(w + 13, NULL);
        const char *x = strstr(line, "xMax=\"");
        if (!x)
            continue;
        double xmax = strtod(x + 6, NULL);
        words++;
        if (xmax > worst)
            worst = xmax;
        if (strstr(line, ">400.000,00<"))   /* the annex's value column */
            value_seen = true;
    }
    pclose(p);
    cr_assert_gt(width, 500, "A4 is 595 pt wide");
    cr_assert_gt(words, 100);
    cr_expect(worst <= width, "a word ends at %.1f pt on a page %.1f pt wide", worst, width);
    cr_expect(value_seen, "the annex's value column is printed");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    rp_model_free(&r);
    rp_input_free(&in);
}

/* CO2 can be negative (diesel where HVO100 was the reference: 10.000 l x (0,468 - 3,251)
 * = -27.830 kg). The trend chart said "geen ambitie of realisatie in deze acht kwartalen"
 * beside a realisation of -27.830 kg and drew a bar of negative height; it now writes the
 * value on the zero line and draws no bar. */
Test(layout, a_negative_realisation_is_no_empty_chart)
{
    rp_input_t in;
    rp_input_init(&in);
    snprintf(in.buyer, sizeof in.buyer, "venlo");
    in.year = 2026;
    in.quarter = 1;
    in.series[5][4].realisation = -27830000;   /* 2026 Q1, g */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *h = s_html(&r);
    const char *co2 = strstr(h, "<title id=\"tt5\">");
    cr_assert(co2);
    char *chart = strndup(co2, (size_t)(strstr(co2, "</svg>") - co2));
    cr_expect(!strstr(chart, "geen ambitie of realisatie"), "%s", chart);
    cr_expect(strstr(chart, ">-27.830,000</text>"), "%s", chart);
    cr_expect(!strstr(chart, "height=\"-"), "%s", chart);
    free(chart);
    /* the CO2 chart of a buyer with nothing at all still says so */
    const char *nox = strstr(h, "<title id=\"tt3\">");
    cr_assert(nox);
    cr_expect(strstr(nox, "geen ambitie of realisatie in deze acht kwartalen"));
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}
