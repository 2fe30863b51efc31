/*  The JSON's quarterly series says "no target" as the rest of the file does: null where
 *  the plan sets none (only SROI and the pilots have a target, mvoi_kpi_has_target) and
 *  for a quarter of the pilots' yearly 3. The aggregator holds 0 in those totals; the
 *  series wrote it as "target": 0 beside a period/ytd/previous_year "target": null, a
 *  target of nothing to a script reading the quarters. SROI's quarters keep their figure
 *  (here 12.345 cents, as given).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rp_test.h"

static json_t *s_json(rp_input_t *in)
{
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, in), 0);
    char *buf = rp_test_render(&r, rp_render_json);
    json_error_t err;
    json_t *root = json_loads(buf, 0, &err);
    cr_assert(root, "%s", err.text);
    free(buf);
    rp_model_free(&r);
    return root;
}

Test(series_target, null_where_the_plan_sets_none)
{
    rp_input_t in;
    rp_test_input(&in, "heerlen", 2026, 2);
    for (int k = 1; k < RP_NKPI; k++)
        for (int i = 0; i < 8; i++) {
            in.series[k][i].realisation = 7;
            in.series[k][i].count = 1;
            in.series[k][i].target = k == 2 ? 12345 : 0;   /* the aggregator's */
        }
    json_t *root = s_json(&in);
    json_t *kpis = json_object_get(root, "kpis");
    cr_assert_eq(json_array_size(kpis), 6);
    for (int k = 1; k < RP_NKPI; k++) {
        json_t *series = json_object_get(json_array_get(kpis, (size_t)k - 1), "series");
        cr_assert_eq(json_array_size(series), 8);
        for (size_t i = 0; i < 8; i++) {
            json_t *t = json_object_get(json_array_get(series, i), "target");
            cr_assert(t, "kpi %d quarter %zu: no target key", k, i);
            if (k == 2)
                cr_expect(json_is_integer(t) && json_integer_value(t) == 12345,
                          "sroi quarter %zu: target 12345", i);
            else
                cr_expect(json_is_null(t), "kpi %d quarter %zu: target %s, want null", k, i,
                          json_is_integer(t) ? "a number" : "other");
        }
    }
    json_decref(root);
    rp_input_free(&in);
}
