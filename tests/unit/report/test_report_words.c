/*  report model: the words and figures a reader sees around the totals. Every expected
 *  figure is worked out here by hand from the scenario, not taken from the model.
 *    SROI per contract: the calendar's obligation whatever year the tender was published;
 *    the total line adds only contracts with a known obligation
 *    status words: one scenario per rule
 *    pilots: realised pilots against the target, not pilot tenders
 *    the running period is provisional, with Dutch dates in the header
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datewords.h"
#include "report.h"

static void s_in(rp_input_t *in, uint32_t year, uint32_t quarter)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "heerlen");
    in->year = year;
    in->quarter = quarter;
    in->generated_ms = 1798758000000LL + 86400000LL * 40;   /* February 2027: all ended */
}

static rp_total_t *s_tot(rp_input_t *in, int kpi, uint32_t q, int theme, const char *tender,
                         int64_t amb, int64_t real, int64_t count)
{
    rp_total_t *t = rp_input_add_total(in);
    t->kpi = kpi;
    t->year = in->year;
    t->quarter = q;
    t->theme = theme;
    if (tender)
        snprintf(t->tender, sizeof t->tender, "%s", tender);
    t->v.ambition = amb;
    t->v.realisation = real;
    t->v.count = count;
    return t;
}

static rp_tender_t *s_tender(rp_input_t *in, const char *id, const char *title,
                             const char *planned, int64_t value_cents, uint32_t bp)
{
    rp_tender_t *t = rp_input_add_tender(in);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->title, sizeof t->title, "%s", title);
    snprintf(t->planned, sizeof t->planned, "%s", planned);
    t->status = 5;
    t->value_cents = value_cents;
    t->sroi_bp = bp;
    t->sroi_obligation_cents = value_cents * bp / 10000;   /* the calendar's rule */
    return t;
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

/* The text of the element with id="id" up to its closing tag (a cell or a paragraph). */
static const char *s_cell(const char *html, const char *id, char *out, size_t cap)
{
    char pat[128];
    snprintf(pat, sizeof pat, "id=\"%s\"", id);
    const char *p = strstr(html, pat);
    cr_assert(p, "no element %s", id);
    p = strchr(p, '>') + 1;
    const char *e = strstr(p, "</");
    snprintf(out, cap, "%.*s", (int)(e - p), p);
    return out;
}

Test(words, sroi_obligation_of_an_earlier_year_and_a_like_for_like_total)
{
    rp_input_t in;
    s_in(&in, 2026, 2);
    /* 2024 contract: 5 % of EUR 210,000 = EUR 10,500 (1,050,000 cents); the calendar sends it
     * because social return was realised on it in 2026 (gather: GetTender). */
    s_tender(&in, "HRL-2024-003", "Groenonderhoud wijken", "2024-05-01", 21000000, 500);
    /* 2026 contract: 4 % of EUR 100,000 = EUR 4,000 (400,000 cents) */
    s_tender(&in, "HRL-2026-001", "Schoonmaak stadhuis", "2026-02-01", 10000000, 400);
    s_tot(&in, 2, 1, 0, "HRL-2024-003", 0, 300000, 1);
    s_tot(&in, 2, 2, 0, "HRL-2024-003", 0, 200000, 1);
    s_tot(&in, 2, 3, 0, "HRL-2024-003", 0, 999999, 1);   /* after Q2: not year to date */
    s_tot(&in, 2, 1, 0, "HRL-2026-001", 0, 100000, 1);
    s_tot(&in, 2, 1, 0, "ONBEKEND-1", 0, 50000, 1);      /* the calendar does not know it */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_assert_eq(r.ncontracts, 3);
    cr_expect_eq(r.contracts[0].obligation, 1050000);
    cr_expect_eq(r.contracts[0].realised, 500000);
    cr_expect_eq(r.contracts[1].obligation, 400000);
    cr_expect_eq(r.contracts[1].realised, 100000);
    cr_expect_eq(r.contracts[2].obligation, 0);
    cr_expect_eq(r.sroi_obligation, 1050000 + 400000);
    cr_expect_eq(r.sroi_realised, 500000 + 100000);
    cr_expect_eq(r.sroi_realised_other, 50000);
    cr_expect_eq(r.sroi_other, 1);
    char *h = s_html(&r), c[256];
    cr_expect_str_eq(s_cell(h, "sroi-o-HRL-2024-003", c, sizeof c), "10.500,00");
    cr_expect_str_eq(s_cell(h, "sroi-r-HRL-2024-003", c, sizeof c), "5.000,00");
    cr_expect(strstr(h, "Groenonderhoud wijken"));
    cr_expect_str_eq(s_cell(h, "sroi-o-total", c, sizeof c), "14.500,00");
    cr_expect_str_eq(s_cell(h, "sroi-r-total", c, sizeof c), "6.000,00");
    /* 6,000 / 14,500 = 41.38 % */
    cr_expect(strstr(h, "<td class=\"n\">41,4 %</td>"), "%s", strstr(h, "sroi-r-total"));
    cr_expect_str_eq(s_cell(h, "sroi-r-other", c, sizeof c), "500,00");
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, status_word_per_rule)
{
    rp_input_t in;
    s_in(&in, 2026, 0);
    /* klimaat (co2): nothing committed, nothing measured */
    /* circulair (material): a commitment, no measurement */
    rp_tender_t *t = s_tender(&in, "HRL-2026-002", "Sloop school", "2026-03-01", 0, 0);
    t->nthemes = 1;
    t->themes[0].theme = 2;
    t->themes[0].commitment = 1;
    s_tot(&in, 3, 0, 3, NULL, 0, 1000, 1);     /* milieu (nox): measured, ambition 0 */
    s_tot(&in, 1, 0, 4, NULL, 10, 12, 2);      /* isv (fairtrade): 12 >= 10 */
    s_tot(&in, 2, 0, 6, NULL, 500, 100, 1);    /* social return: 100 < 500 */
    s_tot(&in, 6, 0, 0, NULL, 3, 1, 1);        /* pilots: 3 pilot tenders, 1 realised */
    s_tot(&in, 6, 0, 5, NULL, 3, 1, 1);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.themes[1].status, RP_STATUS_NO_AMBITION);
    cr_expect_eq(r.themes[2].status, RP_STATUS_NOT_MEASURED);
    cr_expect_eq(r.themes[3].status, RP_STATUS_UNCOMMITTED);
    cr_expect_eq(r.themes[4].status, RP_STATUS_ON_TRACK);
    cr_expect_eq(r.themes[6].status, RP_STATUS_BEHIND);
    cr_expect_eq(r.themes[5].status, RP_STATUS_TARGET_OPEN);
    char *h = s_html(&r);
    const char *want[][2] = {
        { "theme-klimaat", "geen ambitie vastgelegd" },
        { "theme-circulair", "nog geen metingen" },
        { "theme-milieu", "gemeten, geen ambitie vastgelegd" },
        { "theme-isv", "op koers" },
        { "theme-social_return", "achter op ambitie" },
        { "theme-diversiteit_inclusie", "doel nog niet gehaald" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "id=\"%s\"", want[i][0]);
        const char *row = strstr(h, pat);
        cr_assert(row, "%s", want[i][0]);
        const char *end = strstr(row, "</tr>");
        char cell[128];
        snprintf(cell, sizeof cell, ">%s</td></tr>", want[i][1]);
        const char *hit = strstr(row, cell);
        cr_expect(hit && hit < end, "%s: want %s in %.*s", want[i][0], want[i][1],
                  (int)(end - row), row);
    }
    /* "1 of 3" pilots: the target is not met although 3 pilot tenders exist */
    char c[256];
    cr_expect_str_eq(s_cell(h, "pilots", c, sizeof c),
                     "1 van de 3 pilots van dit jaar zijn gerealiseerd: het doel is nog niet "
                     "gehaald.");
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, pilots_met_when_realised_reaches_target)
{
    rp_input_t in;
    s_in(&in, 2026, 0);
    s_tot(&in, 6, 0, 0, NULL, 1, 3, 3);   /* 1 pilot tender, 3 realised pilots */
    s_tot(&in, 6, 0, 5, NULL, 1, 3, 3);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect_eq(r.themes[5].status, RP_STATUS_TARGET_MET);
    char *h = s_html(&r), c[256];
    cr_expect_str_eq(s_cell(h, "pilots", c, sizeof c),
                     "3 van de 3 pilots van dit jaar zijn gerealiseerd: het doel is gehaald.");
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, running_quarter_is_provisional_with_dutch_dates)
{
    rp_input_t in;
    s_in(&in, 2026, 4);
    in.generated_ms = 1796395178570LL;   /* 2026-12-04T14:39:38.570Z = 15:39 in Amsterdam */
    in.kpi_seq = 1047;
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect(r.provisional);
    char *h = s_html(&r), c[512];
    const char *hdr_end = strstr(h, "</header>");
    cr_assert(hdr_end);
    size_t hdr_len = (size_t)(hdr_end - h);
    cr_expect_str_eq(s_cell(h, "period", c, sizeof c), "1 oktober 2026 – 31 december 2026");
    cr_expect(strstr(h, ">4 december 2026, 15:39</time>"));
    cr_expect(strstr(s_cell(h, "provisional", c, sizeof c), "Voorlopig."), "%s", c);
    cr_expect(strstr(h, "De periode 1 oktober 2026 – 31 december 2026 loopt nog; de cijfers zijn "
                        "de stand van 4 december 2026"));
    char *hdr = strndup(h, hdr_len);
    cr_expect(!strstr(hdr, "volgnummer"), "header shows the sequence number");
    cr_expect(!strstr(hdr, ">2026-q4"), "header shows the raw period");
    cr_expect(!strstr(hdr, ">2026-12-04T"), "header shows an ISO timestamp");
    free(hdr);
    free(h);
    rp_model_free(&r);

    /* The same instant: Q3 has ended (1 July - 30 September), nothing provisional. */
    in.quarter = 3;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect(!r.provisional);
    h = s_html(&r);
    cr_expect_str_eq(s_cell(h, "period", c, sizeof c), "1 juli 2026 – 30 september 2026");
    cr_expect(!strstr(h, "id=\"provisional\""));
    free(h);
    rp_model_free(&r);
    /* The annual report of a year that has not ended is provisional too. */
    in.quarter = 0;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_expect(r.provisional);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, english_dates)
{
    char b[64];
    rp_date_text(b, sizeof b, 1796395178570LL, false, TEXT_EN);
    cr_expect_str_eq(b, "4 December 2026");
    rp_date_text(b, sizeof b, 1782900000000LL, true, TEXT_NL);   /* 2026-07-01T10:00Z */
    cr_expect_str_eq(b, "1 juli 2026, 12:00");                   /* CEST */
}

/* A date that does not fit its buffer is not cut ("1 juli 2026, 1" is another time): the
 * named error and nothing. "1 juli 2026, 12:00" is 18 bytes: 19 with the terminator. */
Test(words, a_date_too_long_for_its_buffer_is_refused_whole)
{
    char b[64];
    cr_expect_eq(rp_date_text(b, 19, 1782900000000LL, true, TEXT_NL), 18);
    cr_expect_str_eq(b, "1 juli 2026, 12:00");
    cr_expect_eq(rp_date_text(b, 18, 1782900000000LL, true, TEXT_NL), DATEWORDS_E_NOSPACE);
    cr_expect_str_eq(b, "");
    cr_expect_eq(rp_date_text(b, 11, 1782900000000LL, false, TEXT_NL), DATEWORDS_E_NOSPACE);
    cr_expect_str_eq(b, "");
    cr_expect_eq(rp_date_text(b, 12, 1782900000000LL, false, TEXT_NL), 11);   /* "1 juli 2026" */
}

/* A planned publication on a day its month does not have is shown as written, not as the
 * day it counts on to ("2027-02-31" is not "3 maart 2027"); 2028-02-29 exists (leap year). */
Test(words, an_impossible_planned_date_is_shown_as_written)
{
    rp_input_t in;
    s_in(&in, 2025, 0);
    s_tender(&in, "HRL-2027-005", "Sporthal", "2027-02-31", 90000000, 500);
    s_tender(&in, "HRL-2028-001", "Brug", "2028-02-29", 0, 0);
    s_tot(&in, 2, 3, 0, "HRL-2027-005", 0, 8100000, 1);
    s_tot(&in, 2, 3, 0, "HRL-2028-001", 0, 100, 1);
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *h = s_html(&r);
    cr_expect(strstr(h, "Geplande publicatie 2027-02-31</li>"), "%s", strstr(h, "id=\"early\""));
    cr_expect(!strstr(h, "3 maart 2027"), "%s", strstr(h, "id=\"early\""));
    cr_expect(strstr(h, "Geplande publicatie 29 februari 2028</li>"), "%s",
              strstr(h, "id=\"early\""));
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, charts_have_a_value_axis_values_and_shares_of_the_ambition)
{
    rp_input_t in;
    s_in(&in, 2026, 0);
    in.series[5][4].realisation = 27830000;   /* 2026 Q1: 27,830 kg CO2 */
    in.series[5][4].ambition = 5000000;
    s_tot(&in, 1, 0, 4, NULL, 10, 12, 2);     /* isv: 12 / 10 products = 120.0 % */
    s_tot(&in, 2, 0, 6, NULL, 400000, 100000, 1);   /* social return: 1,000 / 4,000 = 25.0 % */
    s_tot(&in, 6, 0, 0, NULL, 3, 1, 1);       /* pilots: 1 of 3 = 33.3 % */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *h = s_html(&r);
    /* CO2 trend: max 27,830 kg -> 4 steps of 10,000 kg (the smallest 1-2-5 step that covers
     * it: 5,000 x 4 = 20,000 does not); labels and the value on the bar */
    const char *co2 = strstr(h, "<title id=\"tt5\">");
    cr_assert(co2);
    const char *co2_end = strstr(co2, "</svg>");
    char *chart = strndup(co2, (size_t)(co2_end - co2));
    cr_expect(strstr(chart, ">kg</text>"), "%s", chart);
    cr_expect(strstr(chart, ">10.000</text>") && strstr(chart, ">40.000</text>"), "%s", chart);
    cr_expect(strstr(chart, ">27.830</text>"), "%s", chart);
    free(chart);
    /* shares of the ambition */
    const char *ar = strstr(h, "<desc id=\"ard\">");
    cr_assert(ar);
    cr_expect(strstr(ar, "Internationale Sociale Voorwaarden: 120,0 %."), "%.400s", ar);
    cr_expect(strstr(ar, "Social Return: 25,0 %."), "%.400s", ar);
    cr_expect(strstr(ar, "Diversiteit en Inclusie: 33,3 %."), "%.400s", ar);
    cr_expect(strstr(ar, "Klimaat: geen ambitie vastgelegd."), "%.400s", ar);
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}

Test(words, realisation_before_publication_is_flagged)
{
    rp_input_t in;
    s_in(&in, 2025, 0);
    /* a 2027 tender with EUR 81,000 social return realised in Q3 2025 (the calendar sends it
     * because it was measured: gather's GetTender) */
    s_tender(&in, "HRL-2027-004", "Zwembad renovatie", "2027-03-15", 90000000, 500);
    /* published 2025-08-01: Q3 realisation (ends 30 September) is after it, Q2 is not */
    s_tender(&in, "HRL-2025-010", "Wegonderhoud", "2025-08-01", 0, 0);
    s_tot(&in, 2, 3, 0, "HRL-2027-004", 0, 8100000, 1);
    s_tot(&in, 5, 2, 0, "HRL-2025-010", 0, 5000, 1);
    s_tot(&in, 5, 3, 0, "HRL-2025-010", 0, 7000, 1);
    s_tot(&in, 5, 2, 0, "HRL-2025-010", 3000, 0, 1);   /* ambition only: not a realisation */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_assert_eq(r.nearly, 2);
    cr_expect_str_eq(r.early[0].t->id, "HRL-2025-010");
    cr_expect_eq(r.early[0].quarter, 2);
    cr_expect_eq(r.early[0].realisation, 5000);
    cr_expect_str_eq(r.early[1].t->id, "HRL-2027-004");
    cr_expect_eq(r.early[1].realisation, 8100000);
    char *h = s_html(&r);
    cr_expect(strstr(h, "<li>HRL-2027-004 (Zwembad renovatie): Social Return € 81.000,00 in Q3 "
                        "2025; Geplande publicatie 15 maart 2027</li>"), "%s", strstr(h, "id=\"early\""));
    free(h);
    rp_model_free(&r);
    rp_input_free(&in);
}
