/*  Realisation before publication is listed whole somewhere. The HTML lists at most 500
 *  (RP_HTML_ROWS_MAX) and stopped there without a word, while the summary counted them
 *  all, and no other file had the list: 501 early realisations showed 500. Now the HTML
 *  says "500 / 501" and where the rest is, and the JSON has every one ("early").
 *  501 tenders T-000..T-500 planned 2026-12-01, each with CO2 realised in 2026 Q1 (ended
 *  31 March, before the planned publication): 501 entries, counted here.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rp_test.h"

#define S_N 501

Test(early_list, every_early_realisation_is_listed_somewhere)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 1);
    for (int i = 0; i < S_N; i++) {
        rp_tender_t *t = rp_input_add_tender(&in);
        snprintf(t->id, sizeof t->id, "T-%03d", i);
        snprintf(t->planned, sizeof t->planned, "2026-12-01");
        t->status = 4;
        rp_total_t *x = rp_input_add_total(&in);
        x->kpi = 5;
        x->year = 2026;
        x->quarter = 1;
        snprintf(x->tender, sizeof x->tender, "T-%03d", i);
        x->v = (rp_val_t){ .realisation = 1000 + i, .count = 1 };
    }
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    cr_assert_eq(r.nearly, S_N);
    char *html = rp_test_render(&r, rp_render_html);
    const char *more = strstr(html, "id=\"early-more\"");
    cr_expect(more, "no notice that the early list stops at 500");
    if (more)
        cr_expect(strstr(more, "500 / 501."), "%.200s", more);
    free(html);
    char *js = rp_test_render(&r, rp_render_json);
    json_error_t err;
    json_t *root = json_loads(js, 0, &err);
    cr_assert(root, "%s", err.text);
    json_t *early = json_object_get(root, "early");
    cr_expect_eq(json_array_size(early), S_N);
    json_t *last = json_array_get(early, S_N - 1);
    cr_expect_str_eq(json_string_value(json_object_get(last, "tender")), "T-500");
    cr_expect_str_eq(json_string_value(json_object_get(last, "kpi")), "co2");
    cr_expect_eq(json_integer_value(json_object_get(last, "quarter")), 1);
    cr_expect_eq(json_integer_value(json_object_get(last, "realisation")), 1500);
    json_decref(root);
    free(js);
    rp_model_free(&r);
    rp_input_free(&in);
}
