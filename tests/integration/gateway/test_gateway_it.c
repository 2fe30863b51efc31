/*  The gateway as a real process against a fake kpi-aggregator (fakekpi.c, real protocol):
 *  every endpoint's happy path and errors, staleness, SSE resume with Last-Event-ID during
 *  10,000 updates, promtool on /metrics. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gw_it_fx.h"

TestSuite(gateway_it, .fini = gi_down, .timeout = 60);

Test(gateway_it, happy_paths)
{
    gi_up(NULL);
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/", NULL, NULL, &r), 200);
    cr_expect(strstr(r.ctype, "text/html") != NULL);
    cr_expect(strstr(r.body, "dash.js") != NULL);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/static/dash.js", NULL, NULL, &r), 200);
    cr_expect(strstr(r.ctype, "javascript") != NULL);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/texts?lang=en", NULL, NULL, &r), 200);
    json_t *o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "texts"), "kpi.co2")),
                     "Avoided CO2");
    json_decref(o);
    gwt_resp_free(&r);

    cr_assert_eq(gi_req("GET", "/api/kpi", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect(json_integer_value(json_object_get(o, "count")) > 30);
    cr_expect(json_integer_value(json_object_get(o, "seq")) > 0);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/kpi?prefix=kpi.heerlen.pilots.", NULL, NULL, &r), 200);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(o, "count")), 11, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/kpi/co2?from_year=2025&to_year=2026", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect(json_array_size(json_object_get(o, "totals")) >= 5, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);

    gi_expect("GET", "/api/tenders?year=2026&limit=10", NULL, NULL, 200, NULL);
    gi_expect("GET", "/api/tenders?view=upcoming&days=60", NULL, NULL, 200, NULL);
    cr_assert_eq(gi_req("GET", "/api/tenders/T-1", NULL, NULL, &r), 200);
    o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "id")), "T-1");
    json_decref(o);
    gwt_resp_free(&r);
    gi_expect("GET", "/api/reminders?state=scheduled", NULL, NULL, 200, NULL);
    gi_expect("GET", "/api/measurements?limit=5", NULL, NULL, 200, NULL);

    cr_assert_eq(gi_req("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) JSON_CT,
                       "{\"tender\":{\"id\":\"T-9\",\"title\":\"Groenonderhoud\","
                       "\"kind\":\"diensten\",\"value_cents\":5000000,"
                       "\"themes\":[{\"theme\":\"klimaat\",\"commitment\":\"eis\"}]}}", &r), 201,
                 "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/T-9");
    gwt_resp_free(&r);
    gi_expect("GET", "/api/tenders/T-9", NULL, NULL, 200, NULL);

    cr_assert_eq(gi_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT
                       "Idempotency-Key: m-1\r\n",
                       "{\"measurements\":[{\"id\":\"m-1\",\"tender_id\":\"T-1\","
                       "\"phase\":\"realisation\",\"period_end\":\"2026-05-01\","
                       "\"energy\":{\"carrier\":\"hvo100\",\"quantity_milli\":1500000}}]}", &r),
                 201, "%s", r.body);
    o = gwt_json(&r);
    cr_expect(json_is_true(json_object_get(json_array_get(json_object_get(o, "results"), 0), "ok")));
    json_decref(o);
    gwt_resp_free(&r);
    /* an admin may submit too */
    gi_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_ADMIN) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-2\",\"tender_id\":\"T-2\"}]}", 201, NULL);

    /* The upstream gauges come from the services' health replies, which the gateway polls
     * on a timer: on a loaded machine the first poll may still be on its way. */
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(gi_req("GET", "/metrics", NULL, NULL, &r), 200);
        if (strstr(r.body, "mvoi_gateway_upstream_outbox_backlog{service=\"kpi-aggregator\"}") &&
            strstr(r.body, "mvoi_gateway_upstream_lmdb_map_used_bytes{service=\"calendar\"}"))
            break;
        gwt_resp_free(&r);
        h_sleep_ms(100);
    }
    cr_expect(strstr(r.body, "mvoi_gateway_http_requests_total{route=\"/api/kpi\",method=\"GET\",code=\"200\"}") != NULL);
    cr_expect(strstr(r.body, "mvoi_gateway_upstream_outbox_backlog{service=\"kpi-aggregator\"}") != NULL);
    cr_expect(strstr(r.body, "mvoi_gateway_upstream_lmdb_map_used_bytes{service=\"calendar\"}") != NULL);
    /* each service's HealthReply.undecodable_records (fakekpi: the calendar 3, the others
     * 0): stores that need an operator, which /metrics did not show */
    cr_expect(strstr(r.body, "\nmvoi_gateway_upstream_undecodable_records{service=\"calendar\"} 3\n"),
              "%s", r.body);
    cr_expect(strstr(r.body, "\nmvoi_gateway_upstream_undecodable_records{service=\"kpi-aggregator\"} 0\n"),
              "%s", r.body);
    gwt_resp_free(&r);
    gi_expect("GET", "/healthz", NULL, NULL, 200, NULL);
    gi_expect("GET", "/readyz", NULL, NULL, 200, NULL);
}

Test(gateway_it, errors)
{
    gi_up(NULL);
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    /* bad JSON, unknown field, wrong type, not an object */
    gi_expect("POST", "/api/tenders", A, "{\"tender\":", 400, NULL);
    gi_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"colour\":\"red\"}}", 400,
             "tender.colour");
    gi_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"value_cents\":\"lots\"}}",
             400, "tender.value_cents");
    gi_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"kind\":\"castles\"}}", 400,
             "tender.kind");
    gi_expect("POST", "/api/tenders", A, "[1,2]", 400, NULL);
    gi_expect("POST", "/api/tenders", A, "{}", 400, "tender");
    gi_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m\",\"energy\":{\"quantity_milli\":1.5}}]}", 400,
             "measurements[0].energy.quantity_milli");
    /* too large: 1 MiB + 1 */
    size_t big = (1u << 20) + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    huge[0] = '{';
    huge[big - 1] = '}';
    gi_expect("POST", "/api/tenders", A, huge, 413, NULL);
    free(huge);
    /* wrong media type */
    gi_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) "Content-Type: text/plain\r\n", "x",
             415, NULL);
    /* no token, unknown token, wrong role */
    gwt_resp_t r;
    cr_assert_eq(gi_req("POST", "/api/tenders", JSON_CT, "{\"tender\":{\"id\":\"Z\"}}", &r), 401);
    cr_expect(strstr(r.www_auth, "Bearer") != NULL);
    gwt_resp_free(&r);
    gi_expect("POST", "/api/tenders", AUTH("not-a-token") JSON_CT, "{\"tender\":{\"id\":\"Z\"}}",
             401, NULL);
    gi_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_SUBMIT) JSON_CT, "{\"tender\":{\"id\":\"Z\"}}",
             403, NULL);
    gi_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_READER) JSON_CT,
             "{\"measurements\":[{\"id\":\"m\"}]}", 403, NULL);
    /* the services' errors, mapped */
    gi_expect("GET", "/api/tenders/NOPE", NULL, NULL, 404, "id");
    gi_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"T-1\"}}", 409, "tender.id");
    gi_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"T-8\",\"value_cents\":-5}}", 422,
             "tender.value_cents");
    gi_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-x\",\"tender_id\":\"T-404\"}]}", 404,
             "measurements[0].tender_id");
    gi_expect("GET", "/api/tenders?limit=5000", NULL, NULL, 400, "limit");
    /* a measurement refused for the gateway's own key (fakekpi: tender T-KEY) is mapped as
     * a refused request is: 502 gateway-key-refused, the other item's 201 in "results"; it
     * was 403 permission-denied, a copy of the mapping that had not learnt the key */
    gwt_resp_t k;
    cr_assert_eq(gi_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
                       "{\"measurements\":[{\"id\":\"m-ok\",\"tender_id\":\"T-1\"},"
                       "{\"id\":\"m-key\",\"tender_id\":\"T-KEY\"}]}", &k), 502, "%s", k.body);
    cr_expect(strstr(k.body, "\"type\":\"urn:mvoi:problem:gateway-key-refused\""), "%s", k.body);
    cr_expect(strstr(k.body, "de dienst impact-calculator weigerde de eigen sleutel van de "
                             "gateway"), "%s", k.body);
    cr_expect(strstr(k.body, "\"accepted\":1"), "%s", k.body);
    cr_expect_str_eq(k.retry_after, "");
    gwt_resp_free(&k);
    /* read your writes refused by the aggregator for what is no fault of the request
     * (fakekpi: after_seq 900000001 its store failing, 900000002 the gateway's key
     * refused): 502, as any service's refusal with that code; it was 400 on after_producer,
     * a parameter the gateway had checked and the client could not make right */
    gi_expect_act("/api/kpi?after_seq=900000001", NULL, 502, "upstream-error", "");
    gi_expect_act("/api/kpi?after_seq=900000002", NULL, 502, "gateway-key-refused", "");
    /* query parameters: unknown, wrong type, bad enum */
    gi_expect("GET", "/api/tenders?colour=red", NULL, NULL, 400, "colour");
    gi_expect("GET", "/api/tenders?year=twenty", NULL, NULL, 400, "year");
    gi_expect("GET", "/api/tenders?status=lost", NULL, NULL, 400, "status");
    gi_expect("GET", "/api/kpi?x=1", NULL, NULL, 400, "x");
    gi_expect("GET", "/api/texts?lang=fr", NULL, NULL, 400, "lang");
    gi_expect("GET", "/api/kpi/happiness", NULL, NULL, 404, "kpi");
    gi_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) JSON_CT "Idempotency-Key: \x01\r\n",
             "{}", 400, NULL);
    /* paths and methods */
    gi_expect("GET", "/nope", NULL, NULL, 404, NULL);
    gi_expect("DELETE", "/api/tenders", NULL, NULL, 405, NULL);
    gi_expect("GET", "/static/secret.txt", NULL, NULL, 404, NULL);
    cr_assert_eq(gi_req("GET", "/api/nothing/../../etc/passwd", NULL, NULL, &r), 404);
    gwt_resp_free(&r);
}

Test(gateway_it, reads_closed_by_configuration)
{
    static const char *const env[] = { "MVOI_GATEWAY_READ_ACCESS=token",
                                       "MVOI_GATEWAY_REPORT_API=", NULL };
    gi_up(env);                                           /* /readyz: probes stay open */
    /* no report service configured (REPORT_API empty): asked again, refused again, so 500
     * misconfigured without Retry-After; it was 503 "unavailable", a passing state that
     * never passed */
    gi_expect_act("/api/report?year=2026", AUTH(GWT_TOKEN_READER), 500, "misconfigured", "");
    gi_expect("GET", "/api/kpi", NULL, NULL, 401, NULL);
    gi_expect("GET", "/api/kpi", AUTH("wrong"), NULL, 401, NULL);
    gi_expect("GET", "/api/kpi", AUTH(GWT_TOKEN_READER), NULL, 200, NULL);
    gi_expect("GET", "/api/kpi?access_token=" GWT_TOKEN_READER, NULL, NULL, 200, NULL);
    gi_expect("GET", "/metrics", NULL, NULL, 401, NULL);
    gi_expect("GET", "/", NULL, NULL, 200, NULL);         /* the page itself holds no data */
}

Test(gateway_it, stale_view_is_never_served)
{
    static const char *const env[] = { "MVOI_GATEWAY_STALE_MS=600", NULL };
    gi_up(env);
    gi_expect("GET", "/api/kpi", NULL, NULL, 200, NULL);
    kill(E.fake.pid, SIGSTOP);          /* the aggregator hangs: no heartbeats */
    h_sleep_ms(1200);
    /* a view behind catches up within seconds: 503 stale says when to ask again (it had no
     * Retry-After, though README's table promises one with every 503) */
    gi_expect_act("/api/kpi", NULL, 503, "stale", "1");
    gi_expect_act("/readyz", NULL, 503, "stale", "1");
    gi_expect_act("/api/benchmark", NULL, 503, "stale", "1");
    /* read your writes while the aggregator does not answer: its silence is said (504
     * upstream-timeout); it was 504 not-applied-yet "the kpi-aggregator has not applied
     * impact seq 1 yet", a state the aggregator had not told */
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/api/kpi?after_seq=1&wait_ms=100", NULL, NULL, &r), 504);
    cr_expect(strstr(r.body, "\"type\":\"urn:mvoi:problem:upstream-timeout\""), "%s", r.body);
    cr_expect(strstr(r.body, "de kpi-aggregator antwoordde niet op tijd"), "%s", r.body);
    cr_expect_str_eq(r.retry_after, "");
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/metrics", NULL, NULL, &r), 200);
    cr_expect(strstr(r.body, "mvoi_gateway_kpi_fresh 0") != NULL);
    gwt_resp_free(&r);
    kill(E.fake.pid, SIGCONT);
    cr_assert_eq(gwt_wait_ready(&E, 5000), 0);
    gi_expect("GET", "/api/kpi", NULL, NULL, 200, NULL);
}

/* A service that is not reachable (no one at the report API's endpoint) is 503 with
 * Retry-After, as every passing shortage of the gateway: it had none, and a client following
 * README's rule "a 503 says when" had no when. */
Test(gateway_it, upstream_down_is_503_or_504)
{
    static char api[200];
    snprintf(api, sizeof api, "MVOI_GATEWAY_REPORT_API=ipc:///tmp/gwt-nobody-%d", (int)getpid());
    const char *env[] = { api, NULL };
    gi_up(env);
    static const char req[] = "GET /api/report?year=2026&format=csv HTTP/1.0\r\n"
                              AUTH(GWT_TOKEN_ADMIN) "\r\n";
    char *raw = gwt_raw(E.http_port, req, sizeof req - 1, 5000, NULL);
    cr_assert(raw, "no answer");
    cr_expect(strstr(raw, " 503 "), "%s", raw);
    cr_expect(strstr(raw, "\r\nRetry-After: 2\r\n"), "%s", raw);
    cr_expect(strstr(raw, "de dienst is niet bereikbaar"), "%s", raw);
    free(raw);
    kill(E.fake.pid, SIGSTOP);          /* connected but silent: timeout */
    gwt_resp_t r;
    int st = gi_req("GET", "/api/tenders/T-1", NULL, NULL, &r);
    cr_expect(st == 504, "status %d: %s", st, r.body);
    gwt_resp_free(&r);
    kill(E.fake.pid, SIGCONT);
    /* read your writes with the kpi-aggregator gone (the fake ended, its socket closed):
     * no request can be sent, so past wait_ms it is 503 with Retry-After, the service not
     * reachable; not 504 "did not answer", which says it was asked */
    h_signal(&E.fake, SIGTERM);
    int fst;
    cr_assert_eq(h_wait(&E.fake, 3000, &fst), 0, "the fake ends");
    E.fake_up = false;
    h_sleep_ms(200);                    /* the gateway sees the connection closed */
    cr_assert_eq(gi_req("GET", "/api/kpi?after_seq=1&wait_ms=300", NULL, NULL, &r), 503, "%s",
                 r.body);
    cr_expect_str_eq(r.retry_after, "2");
    cr_expect(strstr(r.body, "\"type\":\"urn:mvoi:problem:unavailable\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"detail\":\"de dienst is niet bereikbaar\""), "%s", r.body);
    gwt_resp_free(&r);
}

/* Cut the stream twice during 10,000 updates and resume with Last-Event-ID: the client ends
 * with exactly the aggregator's totals. */
Test(gateway_it, sse_resume_loses_nothing)
{
    gi_up(NULL);
    gwt_sse_t *s = gwt_sse_open(E.http_port, NULL);
    cr_assert(s);
    /* the snapshot (after a status event fresh:false while the buyer's totals load) */
    for (int i = 0; i < 3 && gwt_sse_snapshots(s) == 0; i++)
        cr_assert_geq(gwt_sse_read(s, 5000, 0, 1), 1);
    cr_assert_eq(gwt_sse_snapshots(s), 1);
    uint64_t last = gwt_fake_generate(E.api, 10000, 5000);
    cr_assert(last > 0);
    gwt_sse_read(s, 5000, 0, 2500);
    gwt_sse_close(s);                                     /* cut */
    h_sleep_ms(300);                                      /* updates go on meanwhile */
    cr_assert_eq(gwt_sse_reopen(s, E.http_port), 0);
    gwt_sse_read(s, 5000, 0, 2000);
    gwt_sse_close(s);                                     /* cut again */
    h_sleep_ms(200);
    cr_assert_eq(gwt_sse_reopen(s, E.http_port), 0);
    gwt_sse_read(s, 20000, last, 0);
    cr_expect_geq(gwt_sse_last_id(s), last, "last id %" PRIu64 " < %" PRIu64, gwt_sse_last_id(s), last);
    cr_expect_eq(gwt_sse_snapshots(s), 1, "resumes were served as deltas, not snapshots");
    uint64_t fseq = 0;
    json_t *truth = gwt_fake_state(E.api, &fseq);
    json_t *mine = gwt_sse_state(s);
    cr_assert(truth && mine);
    cr_expect_eq(json_object_size(truth), json_object_size(mine), "%zu totals vs %zu",
                 json_object_size(truth), json_object_size(mine));
    const char *k;
    json_t *v;
    size_t diff = 0;
    json_object_foreach(truth, k, v) {
        json_t *m = json_object_get(mine, k);
        if (!m || !json_equal(m, v))
            diff++;
    }
    cr_expect_eq(diff, 0, "%zu totals differ from the aggregator's", diff);
    /* a resume from an id the gateway cannot vouch for gets a full snapshot */
    gwt_sse_t *s2 = gwt_sse_open(E.http_port, "999999999");
    cr_assert(s2);
    cr_expect_geq(gwt_sse_read(s2, 3000, 0, 1), 1);
    cr_expect_eq(gwt_sse_snapshots(s2), 1);
    gwt_sse_free(s2);
    json_decref(truth);
    json_decref(mine);
    gwt_sse_free(s);
}

Test(gateway_it, promtool_accepts_metrics)
{
    if (access("/usr/bin/promtool", X_OK) != 0) {
        cr_skip_test("promtool not installed (Debian package prometheus): skipped");
    }
    gi_up(NULL);
    gwt_resp_t r;
    gi_req("GET", "/api/kpi", NULL, NULL, &r);
    gwt_resp_free(&r);
    gi_req("GET", "/nope", NULL, NULL, &r);
    gwt_resp_free(&r);
    gwt_sse_t *s = gwt_sse_open(E.http_port, NULL);
    gwt_sse_read(s, 2000, 0, 1);
    h_sleep_ms(2500);                 /* a health round with every service */
    cr_assert_eq(gi_req("GET", "/metrics", NULL, NULL, &r), 200);
    char path[300];
    snprintf(path, sizeof path, "%s/metrics.txt", E.dir);
    FILE *f = fopen(path, "w");
    fwrite(r.body, 1, r.len, f);
    fclose(f);
    cr_expect(strstr(r.body, "mvoi_gateway_stream_clients 1") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "\n# TYPE mvoi_gateway_upstream_undecodable_records gauge\n"),
              "%s", r.body);
    cr_expect(strstr(r.body, "\nmvoi_gateway_upstream_undecodable_records{service=\"calendar\"} 3\n"),
              "%s", r.body);
    gwt_resp_free(&r);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s > %s/promtool.out 2>&1", path, E.dir);
    int rc = system(cmd);
    char out[4096] = "";
    snprintf(cmd, sizeof cmd, "%s/promtool.out", E.dir);
    f = fopen(cmd, "r");
    if (f) {
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    cr_expect_eq(rc, 0, "promtool: %s", out);
    gwt_sse_free(s);
}

/* The drill-down reads: a measurement with its factor references, the factor tables, the
 * contributions behind one of this gateway's totals; every other key refused before any
 * service is asked; the favicon. */
Test(gateway_it, drill_down_reads)
{
    gi_up(NULL);
    gwt_resp_t r;
    const char *body = "{\"measurements\":[{\"id\":\"drill-1\",\"tender_id\":\"T-1\","
                       "\"phase\":\"realisation\",\"energy\":{\"carrier\":\"hvo100\","
                       "\"quantity_milli\":1500000}}]}";
    cr_assert_eq(gi_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT, body, &r),
                 201, "%s", r.body);
    gwt_resp_free(&r);

    cr_assert_eq(gi_req("GET", "/api/measurements/drill-1", NULL, NULL, &r), 200, "%s", r.body);
    json_t *o = gwt_json(&r);
    json_t *f = json_array_get(json_object_get(json_object_get(o, "impact"), "factors"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(f, "table")), "co2");
    cr_expect_str_eq(json_string_value(json_object_get(f, "edition")), "2026");
    cr_expect(strncmp(json_string_value(json_object_get(f, "source")), "https://", 8) == 0);
    /* the calculation spelled out in the page's language (the service renders it; the
     * fake says what it was asked for): the gateway's own, Dutch, unless ?lang=en */
    const char *x = json_string_value(json_object_get(o, "explanation"));
    cr_expect(x && strstr(x, " lang=nl"), "%s", x);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/measurements/drill-1?lang=en", NULL, NULL, &r), 200, "%s",
                 r.body);
    o = gwt_json(&r);
    x = json_string_value(json_object_get(o, "explanation"));
    cr_expect(x && strstr(x, " lang=en"), "%s", x);
    json_decref(o);
    gwt_resp_free(&r);
    gi_expect("GET", "/api/measurements/drill-1?lang=de", NULL, NULL, 400, "lang");
    gi_expect("GET", "/api/measurements/nope", NULL, NULL, 404, "id");
    gi_expect("GET", "/api/measurements/drill-1?x=1", NULL, NULL, 400, "x");

    cr_assert_eq(gi_req("GET", "/api/factors", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(o, "tables"), 0),
                                                    "rows")), 31, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);

    /* 1.500 l -> the fake's 1 g/ml: 1.500.000 g behind the tender's total */
    cr_assert_eq(gi_req("GET", "/api/breakdown?key=kpi.heerlen.co2.2026.tender.T-1", NULL, NULL,
                       &r), 200, "%s", r.body);
    o = gwt_json(&r);
    json_t *it = json_array_get(json_object_get(o, "items"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(it, "measurement_id")), "drill-1");
    cr_expect_eq(json_integer_value(json_object_get(it, "realisation")), 1500000, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    /* another tenant's key, a key no total has, no key, an unknown parameter */
    gi_expect("GET", "/api/breakdown?key=kpi.maastricht.co2.2026", NULL, NULL, 404, "key");
    gi_expect("GET", "/api/breakdown?key=kpi.heerlen.co2.2026.tender.NOPE", NULL, NULL, 404, "key");
    gi_expect("GET", "/api/breakdown", NULL, NULL, 400, "key");
    gi_expect("GET", "/api/breakdown?key=kpi.heerlen.co2.2026&buyer_x=1", NULL, NULL, 400, "buyer_x");

    cr_assert_eq(gi_req("GET", "/favicon.ico", NULL, NULL, &r), 200);
    cr_expect(strncmp(r.ctype, "image/svg+xml", 13) == 0, "%s", r.ctype);
    cr_expect(strstr(r.body, "<svg") != NULL);
    gwt_resp_free(&r);
}

/* One gateway, many buyers: ?buyer= chooses whose totals are served (the fake holds only
 * heerlen's), a bad id is 400, an unregistered buyer 404, /api/buyers lists the registry. */
Test(gateway_it, chosen_buyer_served_others_refused)
{
    gi_up(NULL);
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/api/kpi?buyer=heerlen", NULL, NULL, &r), 200, "%s", r.body);
    json_t *o = gwt_json(&r);
    json_int_t heerlen = json_integer_value(json_object_get(o, "count"));
    cr_expect(heerlen > 30, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/kpi?buyer=landgraaf", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(o, "count")), 0,
                 "landgraaf sees heerlen's totals: %s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    gi_expect("GET", "/api/kpi?buyer=Heerlen", NULL, NULL, 400, "buyer");
    gi_expect("GET", "/api/kpi?buyer=heer%00len", NULL, NULL, 400, "buyer");
    gi_expect("GET", "/api/kpi?buyer=atlantis", NULL, NULL, 404, "buyer");
    gi_expect("GET", "/api/kpi/co2?buyer=atlantis", NULL, NULL, 404, "buyer");
    cr_assert_eq(gi_req("GET", "/api/buyers", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "default")), "heerlen");
    cr_expect_str_eq(json_string_value(json_object_get(o, "default_name")), "Gemeente Heerlen");
    cr_expect(json_array_size(json_object_get(o, "buyers")) >= 2, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
}

/* The realisation of one total as /api/kpi serves it to buyer (-1: absent). */
static long long s_realisation(const char *buyer, const char *key)
{
    char path[256];
    snprintf(path, sizeof path, "/api/kpi?buyer=%s&prefix=%s", buyer, key);
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", path, NULL, NULL, &r), 200, "%s", r.body);
    json_t *o = gwt_json(&r);
    long long v = -1;
    json_t *tot;
    size_t i;
    json_array_foreach(json_object_get(o, "totals"), i, tot) {
        const char *k = json_string_value(json_object_get(tot, "key"));
        const char *b = json_string_value(json_object_get(tot, "buyer"));
        cr_assert(b && strcmp(b, buyer) == 0, "%s got a total of %s", buyer, b ? b : "?");
        if (k && strcmp(k, key) == 0) {
            json_t *x = json_object_get(tot, "realisation");
            v = json_is_string(x) ? atoll(json_string_value(x)) : (long long)json_integer_value(x);
        }
    }
    json_decref(o);
    gwt_resp_free(&r);
    return v;
}

static void s_submit(const char *buyer, const char *id, long long milli)
{
    char path[96], body[512], hdr[256];
    snprintf(path, sizeof path, "/api/measurements?buyer=%s", buyer);
    snprintf(hdr, sizeof hdr, AUTH(GWT_TOKEN_ADMIN) JSON_CT "Idempotency-Key: %s-%s\r\n",
             buyer, id);
    snprintf(body, sizeof body,
             "{\"measurements\":[{\"id\":\"%s\",\"tender_id\":\"T-1\",\"phase\":\"realisation\","
             "\"period_end\":\"2026-05-01\",\"energy\":{\"carrier\":\"hvo100\","
             "\"quantity_milli\":%lld}}]}", id, milli);
    gwt_resp_t r;
    cr_assert_eq(gi_req("POST", path, hdr, body, &r), 201, "%s: %s", buyer, r.body);
    gwt_resp_free(&r);
}

/* One gateway process, two buyers with the same measurement ids, requests interleaved:
 * each sees its own figures and nothing of the other's. The fake aggregator adds
 * quantity_milli grams of CO2 per energy measurement to the submitting buyer's
 * kpi.<buyer>.co2.2026: heerlen gets 1,500,000 + 250,000 on top of what it had, landgraaf
 * (nothing before) 700,000 + 40,000. */
Test(gateway_it, two_buyers_at_once_right_figures_for_each)
{
    gi_up(NULL);
    long long h0 = s_realisation("heerlen", "kpi.heerlen.co2.2026");
    cr_assert_geq(h0, 0, "heerlen's total is there from the start");
    cr_assert_eq(s_realisation("landgraaf", "kpi.landgraaf.co2.2026"), -1);
    s_submit("heerlen", "m-1", 1500000);
    s_submit("landgraaf", "m-1", 700000);
    s_submit("landgraaf", "m-2", 40000);
    s_submit("heerlen", "m-2", 250000);
    long long h = -1, l = -1;
    for (int i = 0; i < 100 && (h != h0 + 1750000 || l != 740000); i++) {
        h = s_realisation("heerlen", "kpi.heerlen.co2.2026");
        l = s_realisation("landgraaf", "kpi.landgraaf.co2.2026");
        if (h != h0 + 1750000 || l != 740000)
            h_sleep_ms(50);
    }
    cr_assert_eq(h, h0 + 1750000, "heerlen %lld, want %lld", h, h0 + 1750000);
    cr_assert_eq(l, 740000, "landgraaf %lld, want 740000", l);
    /* neither sees the other's key, even when asking for it */
    cr_assert_eq(s_realisation("heerlen", "kpi.landgraaf.co2.2026"), -1);
    cr_assert_eq(s_realisation("landgraaf", "kpi.heerlen.co2.2026"), -1);
}

/* The value of one metric line ("name{labels}") in /metrics, -1 when absent. */
static long long s_metric(const char *line)
{
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/metrics", NULL, NULL, &r), 200);
    char pat[160];
    snprintf(pat, sizeof pat, "\n%s ", line);
    const char *p = strstr(r.body, pat);
    long long v = p ? atoll(p + strlen(pat)) : -1;
    gwt_resp_free(&r);
    return v;
}

/* An update of heerlen is lost (the fake applies it but does not publish it): the next one
 * shows the gap. The gateway asks the aggregator's outbox for the lost event (ReplayRequest):
 * it was heerlen's, so heerlen alone re-snapshots (1 snapshot; landgraaf, also held, none; no
 * buyer loaded), and afterwards heerlen's figures are exact: 1,500,000 + 250,000 g on top of
 * what it had. */
Test(gateway_it, gap_resnapshots_only_the_buyer_it_hit)
{
    gi_up(NULL);
    long long h0 = s_realisation("heerlen", "kpi.heerlen.co2.2026");
    cr_assert_geq(h0, 0);
    cr_assert_eq(s_realisation("landgraaf", "kpi.landgraaf.co2.2026"), -1);
    cr_assert_eq(s_metric("mvoi_gateway_buyers_held"), 2);
    long long snaps = s_metric("mvoi_gateway_buyer_snapshots_total");
    cr_assert_eq(snaps, 2, "one snapshot per buyer loaded");
    cr_assert_eq(s_metric("mvoi_gateway_buyer_resyncs_total{reason=\"gap\"}"), 0);
    kill(E.fake.pid, SIGUSR1);
    h_sleep_ms(50);
    s_submit("heerlen", "m-gap", 1500000);   /* its first total is lost, the rest shows it */
    s_submit("heerlen", "m-gap2", 250000);
    /* while it catches up the view is refused (503 stale), never served behind */
    int stale = 0;
    for (int i = 0; i < 100; i++) {
        gwt_resp_t r;
        int st = gi_req("GET", "/api/kpi?buyer=heerlen", NULL, NULL, &r);
        gwt_resp_free(&r);
        if (st == 200 && s_realisation("heerlen", "kpi.heerlen.co2.2026") == h0 + 1750000)
            break;
        cr_assert(st == 200 || st == 503, "status %d", st);
        stale += st == 503;
        h_sleep_ms(50);
    }
    long long h = s_realisation("heerlen", "kpi.heerlen.co2.2026");
    cr_assert_eq(h, h0 + 1750000, "heerlen %lld, want %lld (%d stale answers)", h,
                 h0 + 1750000, stale);
    cr_expect_eq(s_metric("mvoi_gateway_buyer_resyncs_total{reason=\"gap\"}"), 1,
                 "heerlen only");
    cr_expect_eq(s_metric("mvoi_gateway_buyer_snapshots_total"), snaps + 1);
    cr_expect_eq(s_metric("mvoi_gateway_buyer_loads_total"), 2, "no other buyer was loaded");
    cr_expect_eq(s_realisation("landgraaf", "kpi.landgraaf.co2.2026"), -1);
}

/* A tender created for another buyer than the default: its Location names the buyer, and
 * GETting that Location finds it (the same id without the buyer is the default buyer's:
 * not there). Without ?buyer= the Location stays the plain path. */
Test(gateway_it, created_location_names_the_buyer)
{
    gi_up(NULL);
    gwt_resp_t r;
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    cr_assert_eq(gi_req("POST", "/api/tenders?buyer=venlo", A,
                       "{\"tender\":{\"id\":\"GWT-9\",\"title\":\"Groenonderhoud Venlo\"}}", &r),
                 201, "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-9?buyer=venlo");
    char loc[256];
    snprintf(loc, sizeof loc, "%s", r.location);
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", loc, NULL, NULL, &r), 200, "GET %s: %s", loc, r.body);
    json_t *o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "id")), "GWT-9");
    cr_expect_str_eq(json_string_value(json_object_get(o, "buyer")), "venlo");
    json_decref(o);
    gwt_resp_free(&r);
    gi_expect("GET", "/api/tenders/GWT-9", NULL, NULL, 404, "id");   /* heerlen has none */
    /* the default buyer's tender: the plain path still resolves */
    cr_assert_eq(gi_req("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"GWT-10\"}}", &r), 201,
                 "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-10");
    gwt_resp_free(&r);
    /* naming the default buyer keeps it in the Location: a reader with another default
     * resolves it the same */
    cr_assert_eq(gi_req("POST", "/api/tenders?buyer=heerlen", A,
                       "{\"tender\":{\"id\":\"GWT-11\"}}", &r), 201, "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-11?buyer=heerlen");
    gwt_resp_free(&r);
}

/* A service's passing shortage (ERR_UNAVAILABLE: the report service could not queue the job,
 * out of memory) is 503 "unavailable" with Retry-After (RFC 9110 10.2.3), the service's
 * reason as the detail; a report over a bound (ERR_RESOURCE_EXHAUSTED of a GET: a sheet
 * over Excel's limits) is 422 with no Retry-After: asking again the same is refused the
 * same. The 503 had no Retry-After; the report was 413 "content too large", for a request
 * without content. */
Test(gateway_it, upstream_shortage_is_503_with_retry_after)
{
    char dir[] = "/tmp/gwt-rep-XXXXXX";
    cr_assert(mkdtemp(dir));
    static char fake[160], api[200], rdir[200];
    snprintf(fake, sizeof fake, "--report ipc://%s/rep --reports-dir %s", dir, dir);
    snprintf(api, sizeof api, "MVOI_GATEWAY_REPORT_API=ipc://%s/rep", dir);
    snprintf(rdir, sizeof rdir, "MVOI_GATEWAY_REPORTS_DIR=%s", dir);
    const char *env[] = { api, rdir, NULL };
    gwt_fake_args = fake;
    gi_up(env);
    gwt_fake_args = NULL;
    gi_expect("GET", "/api/report?year=2099&format=csv", AUTH(GWT_TOKEN_ADMIN), NULL, 503,
             "generate_report");
    static const char req[] = "GET /api/report?year=2099&format=csv HTTP/1.0\r\n"
                              AUTH(GWT_TOKEN_ADMIN) "\r\n";
    char *raw = gwt_raw(E.http_port, req, sizeof req - 1, 5000, NULL);
    cr_assert(raw, "no answer");
    cr_expect(strstr(raw, " 503 "), "%s", raw);
    cr_expect(strstr(raw, "\r\nRetry-After: 2\r\n"), "%s", raw);
    cr_expect(strstr(raw, "\"type\":\"urn:mvoi:problem:unavailable\""), "%s", raw);
    cr_expect(strstr(raw, "onvoldoende geheugen"), "%s", raw);
    free(raw);
    static const char big[] = "GET /api/report?year=2098&format=csv HTTP/1.0\r\n"
                              AUTH(GWT_TOKEN_ADMIN) "\r\n";
    raw = gwt_raw(E.http_port, big, sizeof big - 1, 5000, NULL);
    cr_assert(raw, "no answer");
    cr_expect(strstr(raw, " 422 Unprocessable Content\r\n"), "%s", raw);
    cr_expect(strstr(raw, "\"type\":\"urn:mvoi:problem:too-large\""), "%s", raw);
    cr_expect(!strstr(raw, "Retry-After"), "%s", raw);
    free(raw);
    /* a written report file over the gateway's 64 MiB (fake_report: 67.108.865 bytes) is
     * 422 naming the limit and the size, no Retry-After; it was 503 "the report file cannot
     * be read" with Retry-After, as if asking again could help */
    static const char huge[] = "GET /api/report?year=2097&format=csv HTTP/1.0\r\n"
                               AUTH(GWT_TOKEN_ADMIN) "\r\n";
    raw = gwt_raw(E.http_port, huge, sizeof huge - 1, 5000, NULL);
    cr_assert(raw, "no answer");
    cr_expect(strstr(raw, " 422 Unprocessable Content\r\n"), "%s", raw);
    cr_expect(strstr(raw, "\"type\":\"urn:mvoi:problem:too-large\""), "%s", raw);
    cr_expect(strstr(raw, "het rapportbestand is 67.108.865 bytes, de gateway levert er "
                          "hoogstens 67.108.864 (64 MiB)"), "%s", raw);
    cr_expect(!strstr(raw, "Retry-After"), "%s", raw);
    free(raw);
    /* the report written outside the gateway's reports directory (fakekpi 2096: beside it,
     * a sibling whose name begins with the directory's): the two directories differ, for an
     * operator: 500 misconfigured, no Retry-After. The file gone between the reply and the
     * read (2095: a later run promoted the period without it): ask again, 503 + Retry-After.
     * Both were 503 without Retry-After. */
    gi_expect_act("/api/report?year=2096&format=csv", AUTH(GWT_TOKEN_ADMIN), 500,
                 "misconfigured", "");
    gi_expect_act("/api/report?year=2095&format=csv", AUTH(GWT_TOKEN_ADMIN), 503, "unavailable",
                 "2");
    /* a file the gateway cannot open for another reason (2094: a socket in its place,
     * ENXIO): 500 misconfigured naming the condition in the reader's language, with the
     * number the log explains; it was the C library's English ("No such device or address")
     * inside the Dutch detail */
    gwt_resp_t r;
    cr_assert_eq(gi_req("GET", "/api/report?year=2094&format=csv", AUTH(GWT_TOKEN_ADMIN), NULL,
                       &r), 500, "%s", r.body);
    cr_expect(strstr(r.body, "\"type\":\"urn:mvoi:problem:misconfigured\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"detail\":\"de gateway kan het rapportbestand niet lezen "
                             "(systeemfout 6; zie het logboek van de gateway)\""),
              "%s", r.body);
    cr_expect_str_eq(r.retry_after, "");
    gwt_resp_free(&r);
    cr_assert_eq(gi_req("GET", "/api/report?year=2094&format=csv&lang=en",
                       AUTH(GWT_TOKEN_ADMIN), NULL, &r), 500, "%s", r.body);
    cr_expect(strstr(r.body, "\"detail\":\"the gateway cannot read the report file (system "
                             "error 6; see the gateway's log)\""), "%s", r.body);
    gwt_resp_free(&r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-elsewhere.csv'", dir, dir);
    cr_expect_eq(system(cmd), 0);
}
