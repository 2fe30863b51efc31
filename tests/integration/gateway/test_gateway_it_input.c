/*  The gateway's checks of what a request carries (test_gateway_it, fixture gw_it_fx.c):
 *  repeated parameters and NULs, path ids, page parameters, the KPI series' defaults and
 *  keys, NULs in a JSON body. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_it_fx.h"

/* A parameter given twice is refused by name on every route (MHD's lookup took the first,
 * the query decoder the last); a NUL (%00) in a path id or a parameter is refused, not cut. */
Test(gateway_it, repeated_parameters_and_nul_refused)
{
    gi_up(NULL);
    gi_expect("GET", "/api/tenders?year=2025&year=2024", NULL, NULL, 400, "year");
    gi_expect("GET", "/api/tenders?buyer=heerlen&buyer=venlo", NULL, NULL, 400, "buyer");
    gi_expect("GET", "/api/tenders?view=upcoming&view=list", NULL, NULL, 400, "view");
    gi_expect("GET", "/api/kpi?buyer=venlo&buyer=heerlen", NULL, NULL, 400, "buyer");
    gi_expect("GET", "/api/report?year=2026&format=pdf&format=html", NULL, NULL, 400, "format");
    gi_expect("GET", "/?year=2026&year=2025", NULL, NULL, 400, "year");
    gi_expect("GET", "/api/texts?lang=en&lang=nl", NULL, NULL, 400, "lang");
    gi_expect("GET", "/api/kpi?access_token=a&access_token=b", NULL, NULL, 400, "access_token");
    gi_expect("GET", "/api/tenders/T-1%00x", NULL, NULL, 400, "id");
    gi_expect("GET", "/api/measurements/m%00", NULL, NULL, 400, "id");
    gi_expect("GET", "/healthz%00x", NULL, NULL, 400, "path");
    gi_expect("GET", "/api/tenders?title=a%00b", NULL, NULL, 400, "title");
    gi_expect("GET", "/api/kpi?prefix=kpi.heerlen.%00", NULL, NULL, 400, "prefix");
    /* a lone percent sign or %000 text elsewhere is not a NUL in the path */
    gi_expect("GET", "/api/tenders/T-1", NULL, NULL, 200, NULL);
    gi_expect("GET", "/api/tenders?year=2026", NULL, NULL, 200, NULL);
}

/* A path's id is taken whole or refused by name: an id longer than the gateway takes
 * (255 bytes) or holding an encoded '/' (%2F, which MHD decodes into a separator) is 400
 * naming the {} (it was 404 "no such path", as if the route did not exist). A plain extra
 * segment stays "no such path". */
Test(gateway_it, path_ids_whole_or_refused)
{
    gi_up(NULL);
    char path[400], id[301];
    memset(id, 'A', 300);
    id[300] = '\0';
    snprintf(path, sizeof path, "/api/tenders/%s", id);
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", path, NULL, NULL, &r), 400, "%s", r.body);
    cr_expect(strstr(r.body, "\"field\":\"id\"") && strstr(r.body, "(300)"), "%s", r.body);
    gwt_resp_free(&r);
    id[256] = '\0';
    snprintf(path, sizeof path, "/api/measurements/%s", id);
    gi_expect("GET", path, NULL, NULL, 400, "id");
    gi_expect("GET", "/api/tenders/T-1%2Fx", NULL, NULL, 400, "id");
    gi_expect("GET", "/api/tenders/T-1%2f..", NULL, NULL, 400, "id");
    gi_expect("GET", "/api/measurements/..%2Fm", NULL, NULL, 400, "id");
    gi_expect("GET", "/api/kpi/co2%2Fx", NULL, NULL, 400, "kpi");
    gi_expect("GET", "/api/tenders/T-1/x", NULL, NULL, 404, NULL);
    gi_expect("GET", "/api/tenders/T-1", NULL, NULL, 200, NULL);
}

/* The dashboard page refuses what it cannot show: a year it cannot read (it would show
 * zeros as live), a language without texts, a trend KPI that does not exist. */
Test(gateway_it, page_parameters_checked)
{
    gi_up(NULL);
    gi_expect("GET", "/?year=abc", NULL, NULL, 400, "year");
    gi_expect("GET", "/?year=2026x", NULL, NULL, 400, "year");
    gi_expect("GET", "/?year=%202026", NULL, NULL, 400, "year");
    gi_expect("GET", "/?year=1999", NULL, NULL, 400, "year");
    gi_expect("GET", "/?year=", NULL, NULL, 400, "year");
    gi_expect("GET", "/?lang=de", NULL, NULL, 400, "lang");
    gi_expect("GET", "/?trend=happiness", NULL, NULL, 400, "trend");
    gi_expect("GET", "/?quarter=2", NULL, NULL, 400, "quarter");
    gi_expect("GET", "/benchmark?year=abc", NULL, NULL, 400, "year");
    gi_expect("GET", "/benchmark?lang=de", NULL, NULL, 400, "lang");
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/?lang=de", NULL, NULL, &r), 400);
    /* in the gateway's language: Dutch by default (gateway_lang.py: chosen per request) */
    cr_expect(strstr(r.body, "nl of en") != NULL, "names the languages: %s", r.body);
    gwt_resp_free(&r);
    gi_expect("GET", "/?year=2026&lang=en&trend=sroi&buyer=venlo", NULL, NULL, 200, NULL);
    gi_expect("GET", "/?lang=nl", NULL, NULL, 200, NULL);
    gi_expect("GET", "/benchmark?year=2026&lang=en", NULL, NULL, 200, NULL);
}

/* GET /api/kpi/{kpi}: both years optional (the current year by default, to_year alone is
 * that year), and every total of the series carries its key, the stored ones too. */
Test(gateway_it, kpi_series_defaults_and_keys)
{
    gi_up(NULL);
    gwt_resp_t r;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int this_year = tm.tm_year + 1900;
    struct { const char *path; int from, to; } c[] = {
        { "/api/kpi/co2", this_year, this_year },
        { "/api/kpi/co2?to_year=2026", 2026, 2026 },
        { "/api/kpi/co2?from_year=2025", 2025, 2025 },
        { "/api/kpi/co2?from_year=2025&to_year=2026", 2025, 2026 },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cr_assert_eq(gi_req("GET", c[i].path, NULL, NULL, &r), 200, "%s: %s", c[i].path, r.body);
        json_t *o = gwt_json(&r);
        json_t *tots = json_object_get(o, "totals");
        cr_expect_eq(json_array_size(tots), (size_t)(c[i].to - c[i].from + 1) * 4, "%s: %s",
                     c[i].path, r.body);
        size_t j;
        json_t *t;
        json_array_foreach(tots, j, t) {
            char want[96];
            int y = c[i].from + (int)j / 4, q = (int)j % 4 + 1;
            snprintf(want, sizeof want, "kpi.heerlen.co2.%d-q%d", y, q);
            const char *k = json_string_value(json_object_get(t, "key"));
            cr_expect(k && strcmp(k, want) == 0, "%s total %zu: key '%s', want '%s'", c[i].path,
                      j, k ? k : "(none)", want);
        }
        json_decref(o);
        gwt_resp_free(&r);
    }
    /* a stored quarter keeps its figure under its key: Q2 2026 of the fake is 50000*5*2 */
    cr_assert_eq(gi_req("GET", "/api/kpi/co2?from_year=2026", NULL, NULL, &r), 200);
    json_t *o = gwt_json(&r);
    json_t *q2 = json_array_get(json_object_get(o, "totals"), 1);
    json_t *re = json_object_get(q2, "realisation");
    long long v = json_is_string(re) ? atoll(json_string_value(re)) : json_integer_value(re);
    cr_expect_eq(v, 500000, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    /* an explicit bad year still is the service's refusal */
    gi_expect("GET", "/api/kpi/co2?from_year=0", NULL, NULL, 422, "from_year");
    gi_expect("GET", "/api/kpi/co2?from_year=2026&to_year=2025", NULL, NULL, 422, "to_year");
}

/* "\u0000" in any string of a JSON body is refused with 400 naming the field: a narrative's
 * theme "klimaat\u0000..." was taken as klimaat (the rest dropped, the upstream asked), and
 * a command body's NUL was a bad-json 400 naming only a column. Nothing reaches a service:
 * no report service runs here, so a request let through would be 503/504, not 400. */
Test(gateway_it, nul_in_json_body_refused_by_field)
{
    gi_up(NULL);
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    gi_expect("POST", "/api/narratives?buyer=venlo", A,
             "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\\u0000x\",\"text\":\"t\"}", 400,
             "theme");
    gi_expect("POST", "/api/narratives", A,
             "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\",\"text\":\"voor\\u0000na\"}", 400,
             "text");
    gi_expect("POST", "/api/tenders?buyer=venlo", A,
             "{\"tender\":{\"id\":\"GWT-N\",\"title\":\"Groen\\u0000onderhoud\"}}", 400,
             "tender.title");
    gi_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-1\",\"tender_id\":\"T-1\"},"
             "{\"id\":\"m-2\\u0000\",\"tender_id\":\"T-1\"}]}", 400, "measurements[1].id");
    /* the same tender without the NUL is taken: the refusal was the NUL's */
    gi_expect("POST", "/api/tenders?buyer=venlo", A,
             "{\"tender\":{\"id\":\"GWT-N\",\"title\":\"Groenonderhoud\"}}", 201, NULL);
    /* the detail says why, in the default language (Dutch) */
    gwt_resp_t r;
    cr_assert_eq(gi_req("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"a\\u0000\"}}", &r), 400);
    cr_expect(strstr(r.body, "NUL-teken"), "%s", r.body);
    gwt_resp_free(&r);
}
