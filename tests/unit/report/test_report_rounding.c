/*  The CSV's values add up to their totals: NOx is held in mg and shown in kg with 3
 *  decimals (rounded), so three tenders of 400 mg read 0,000 kg each beside a total of
 *  0,001 kg. The CSV (a machine file) writes every decimal of the raw integer instead:
 *  0.000400 each, 0.001200 in all, the sum of the rows. Two buyers with the same tender ids
 *  and their own amounts (kerkrade 1 mg each: 0.000001, 0.000003 in all). Expected texts
 *  are written out here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

Test(rounding, csv_rows_add_up_to_the_total)
{
    const char *buyers[] = { "heerlen", "kerkrade" };
    const int64_t mg[] = { 400, 1 };
    const char *row[] = { "0.000400", "0.000001" }, *total[] = { "0.001200", "0.000003" };
    for (int b = 0; b < 2; b++) {
        rp_input_t in;
        rp_input_init(&in);
        snprintf(in.buyer, sizeof in.buyer, "%s", buyers[b]);
        in.year = 2026;
        in.quarter = 1;
        in.generated_ms = 1798758000000LL + 86400000LL * 40;
        for (int i = 0; i < 3; i++) {
            rp_tender_t *t = rp_input_add_tender(&in);
            snprintf(t->id, sizeof t->id, "T-%d", i + 1);
            snprintf(t->planned, sizeof t->planned, "2026-02-0%c", (char)('1' + i));
            t->status = 4;
            rp_total_t *x = rp_input_add_total(&in);
            x->kpi = 3;
            x->year = 2026;
            x->quarter = 1;
            snprintf(x->tender, sizeof x->tender, "T-%d", i + 1);
            x->v = (rp_val_t){ .realisation = mg[b], .count = 1 };
        }
        rp_total_t *x = rp_input_add_total(&in);
        x->kpi = 3;
        x->year = 2026;
        x->quarter = 1;
        x->v = (rp_val_t){ .realisation = 3 * mg[b], .count = 3 };
        rp_report_t r;
        cr_assert_eq(rp_model_build(&r, &in), 0);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cr_assert_eq(rp_render_csv(&r, f, false), 0);
        fclose(f);
        char want[160];
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "annex,nox,,T-%d,2026-q1,realisation,%s,kg,%lld,mg\r\n",
                     i + 1, row[b], (long long)mg[b]);
            cr_expect(strstr(buf, want), "%s: %s", want, buf);
        }
        snprintf(want, sizeof want, "kpi,nox,,,2026-q1,realisation,%s,kg,%lld,mg\r\n", total[b],
                 (long long)(3 * mg[b]));
        cr_expect(strstr(buf, want), "%s: %s", want, buf);
        free(buf);
        /* the Dutch dialect the same, with a decimal comma */
        buf = NULL;
        f = open_memstream(&buf, &len);
        cr_assert_eq(rp_render_csv(&r, f, true), 0);
        fclose(f);
        cr_expect(strstr(buf, b ? "kpi;nox;;;2026-q1;realisation;0,000003;kg;3;mg\r\n"
                                : "kpi;nox;;;2026-q1;realisation;0,001200;kg;1200;mg\r\n"), "%s",
                  buf);
        free(buf);
        rp_model_free(&r);
        rp_input_free(&in);
    }
}
