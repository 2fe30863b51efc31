/*  rp_test: see rp_test.h. */
#include "rp_test.h"

#include <criterion/criterion.h>
#include <stdlib.h>

void rp_test_input(rp_input_t *in, const char *buyer, uint32_t year, uint32_t quarter)
{
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "%s", buyer);
    in->year = year;
    in->quarter = quarter;
    in->generated_ms = 1798758000000LL + 86400000LL * 40;   /* February 2027 */
}

char *rp_test_render(const rp_report_t *r, int (*fn)(const rp_report_t *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(fn(r, f), 0);
    fclose(f);
    return buf;
}

char *rp_test_html(rp_input_t *in)
{
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, in), 0);
    char *buf = rp_test_render(&r, rp_render_html);
    rp_model_free(&r);
    return buf;
}
