/*  Counts in the HTML's sentences are numbers in the report's style, as every figure:
 *  "1.001" in Dutch, "1,001" in English. The lists' "500 / N" lines, the summary's count of
 *  realisation before publication, the SROI line of contracts without a known obligation
 *  and a tender's number of measurements were printed with %zu / %u ("500 / 1001",
 *  "(1234)") beside "1.234,567" in the same page.
 *  Input: 1001 tenders planned 2026-02-01 (annex rows and SROI contracts of Q1) and 1001
 *  planned 2026-12-01 realised in Q1 (realisation before publication), 1001 realised SROI
 *  contracts the calendar does not know; one tender with 1234 measurements. Counted here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rp_test.h"

static rp_total_t *s_tot(rp_input_t *in, int kpi, const char *tender, int64_t real,
                         int64_t count)
{
    rp_total_t *x = rp_input_add_total(in);
    x->kpi = kpi;
    x->year = 2026;
    x->quarter = 1;
    snprintf(x->tender, sizeof x->tender, "%s", tender);
    x->v = (rp_val_t){ .realisation = real, .count = count };
    return x;
}

static char *s_html(text_lang_t lang)
{
    rp_input_t *in = calloc(1, sizeof *in);
    rp_test_input(in, "heerlen", 2026, 1);
    in->lang = lang;
    char id[32];
    for (int i = 0; i < 1001; i++) {
        rp_tender_t *t = rp_input_add_tender(in);
        snprintf(t->id, sizeof t->id, "A-%04d", i);
        snprintf(t->planned, sizeof t->planned, "2026-02-01");
        t->status = 4;
        t->sroi_obligation_cents = 10000;
        t = rp_input_add_tender(in);
        snprintf(t->id, sizeof t->id, "E-%04d", i);
        snprintf(t->planned, sizeof t->planned, "2026-12-01");
        t->status = 4;
        snprintf(id, sizeof id, "E-%04d", i);
        s_tot(in, 5, id, 1000, 1);
        snprintf(id, sizeof id, "X-%04d", i);   /* not in the calendar */
        s_tot(in, 2, id, 500, 1);
    }
    s_tot(in, 4, "A-0000", 5000, 1234);
    char *buf = rp_test_html(in);
    rp_input_free(in);
    free(in);
    return buf;
}

Test(counts, counts_in_sentences_have_the_reports_number_style)
{
    char *nl = s_html(TEXT_NL);
    cr_expect(strstr(nl, "id=\"annex-more\">500 / 1.001."), "annex: 500 / 1.001");
    cr_expect(strstr(nl, "<td colspan=\"5\">500 / 2.002."), "sroi: 500 / 2.002");
    cr_expect(strstr(nl, "Let op: 1.001 realisatietotalen"), "early: 1.001");
    cr_expect(strstr(nl, "bekend (1.001)</th>") || strstr(nl, "(1.001)</th>"),
              "sroi other: (1.001)");
    cr_expect(strstr(nl, " (1.234)</span>"), "annex measurements: (1.234)");
    free(nl);
    char *en = s_html(TEXT_EN);
    cr_expect(strstr(en, "id=\"annex-more\">500 / 1,001."), "annex: 500 / 1,001");
    cr_expect(strstr(en, "Note: 1,001 realisation totals"), "early: 1,001");
    cr_expect(strstr(en, " (1,234)</span>"), "annex measurements: (1,234)");
    free(en);
}
