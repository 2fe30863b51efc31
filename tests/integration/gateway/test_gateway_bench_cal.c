/*  The benchmark's share measures (gw_bench_cal.c) when the calendar refuses a page of one
 *  buyer's tenders in the middle of a round. The fake calendar (fakekpi --cal-pages 1)
 *  gives heerlen a full first page of 1000 tenders of 2026, each with a klimaat ambition,
 *  then refuses its second page (UNAVAILABLE); landgraaf, the next buyer of the registry,
 *  has 2 tenders of 2026, neither with an ambition.
 *
 *  landgraaf's own counts are then 2 tenders, 0 with a klimaat ambition (counted here from
 *  what the fake serves). Before, the refused page left the round's offset (1000) and
 *  heerlen's counts of its first page in place: landgraaf was asked from offset 1000 (its
 *  own tenders skipped) and given heerlen's counts, 1000 tenders, 1000 with an ambition:
 *  another buyer's figures shown as its own, as a share of 100 %.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "gwt.h"

static gwt_env_t E;

static void s_down(void) { gwt_stop(&E); }

TestSuite(gateway_bench_cal, .fini = s_down, .timeout = 60);

/* landgraaf's share.klimaat entry of /api/benchmark for 2026 once it has tender counts:
 * *tenders and *with, true; false when there are none yet. */
static bool s_share(long long *tenders, long long *with)
{
    gwt_resp_t r;
    if (gwt_http(E.http_port, "GET", "/api/benchmark?buyer=landgraaf&year=2026", NULL, NULL, 0,
                 &r, 5000) < 0)
        return false;
    json_t *o = r.status == 200 ? gwt_json(&r) : NULL;
    gwt_resp_free(&r);
    bool found = false;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(o, "kpis"), i, k) {
        const char *name = json_string_value(json_object_get(k, "kpi"));
        json_t *n = json_object_get(k, "tenders");
        if (name && strcmp(name, "share.klimaat") == 0 && json_is_integer(n)) {
            *tenders = json_integer_value(n);
            *with = json_integer_value(json_object_get(k, "with_ambition"));
            found = true;
        }
    }
    json_decref(o);
    return found;
}

Test(gateway_bench_cal, a_refused_page_leaves_nothing_to_the_next_buyer)
{
    gwt_fake_args = "--cal-pages 1";
    const char *env[] = { "MVOI_GATEWAY_BENCH_TENDERS_MS=200", NULL };
    int rc = gwt_start(&E, env);
    gwt_fake_args = NULL;
    cr_assert_eq(rc, 0, "start: %d", rc);
    cr_assert_eq(gwt_wait_ready(&E, 15000), 0, "gateway not ready (%s)", E.gw.log);
    long long tenders = -1, with = -1;
    bool seen = false;
    /* rounds every 200 ms: a few rounds have run within 2 s of the first counts */
    for (int i = 0; i < 100 && !seen; i++) {
        seen = s_share(&tenders, &with);
        if (!seen)
            usleep(100000);
    }
    cr_assert(seen, "no tender counts for landgraaf (%s)", E.gw.log);
    usleep(2000000);
    cr_assert(s_share(&tenders, &with));
    cr_expect_eq(tenders, 2, "landgraaf's tenders of 2026: %lld, expected its own 2", tenders);
    cr_expect_eq(with, 0, "landgraaf's tenders with a klimaat ambition: %lld, expected 0", with);
}
