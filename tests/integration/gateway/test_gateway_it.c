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
#include "gwt.h"

#define AUTH(t) "Authorization: Bearer " t "\r\n"
#define JSON_CT "Content-Type: application/json\r\n"

static gwt_env_t E;

static void s_up(const char *const *env)
{
    cr_assert_eq(gwt_start(&E, env), 0, "fake + gateway start (logs in %s)", E.dir);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
}

static int s_req(const char *method, const char *path, const char *hdrs, const char *body,
                 gwt_resp_t *r)
{
    int rc = gwt_http(E.http_port, method, path, hdrs, body, body ? strlen(body) : 0, r, 5000);
    cr_assert_eq(rc, 0, "%s %s: no HTTP answer", method, path);
    return r->status;
}

/* status, and for problems the field (may be NULL) and the problem content type */
static void s_expect(const char *method, const char *path, const char *hdrs, const char *body,
                     int status, const char *field)
{
    gwt_resp_t r;
    int st = s_req(method, path, hdrs, body, &r);
    cr_expect_eq(st, status, "%s %s: status %d, want %d: %s", method, path, st, status, r.body);
    if (status >= 400) {
        cr_expect(strncmp(r.ctype, "application/problem+json", 24) == 0, "%s %s: ctype %s",
                  method, path, r.ctype);
        json_t *o = gwt_json(&r);
        cr_expect(o != NULL, "problem body is JSON: %s", r.body);
        cr_expect_eq(json_integer_value(json_object_get(o, "status")), status);
        cr_expect(json_string_value(json_object_get(o, "type")) != NULL);
        cr_expect(json_string_value(json_object_get(o, "title")) != NULL);
        if (field) {
            const char *f = json_string_value(json_object_get(o, "field"));
            cr_expect(f && strcmp(f, field) == 0, "%s %s: field '%s', want '%s'", method, path,
                      f ? f : "(none)", field);
        }
        json_decref(o);
    }
    gwt_resp_free(&r);
}

/* A problem with its status, type (the slug after "urn:mvoi:problem:") and Retry-After
 * ("" for none): what a client acts on (README's table). */
static void s_expect_act(const char *path, const char *hdrs, int status, const char *slug,
                         const char *retry_after)
{
    gwt_resp_t r;
    int st = s_req("GET", path, hdrs, NULL, &r);
    cr_expect_eq(st, status, "GET %s: status %d, want %d: %s", path, st, status, r.body);
    cr_expect_str_eq(r.retry_after, retry_after, "GET %s: Retry-After '%s', want '%s'", path,
                     r.retry_after, retry_after);
    json_t *o = gwt_json(&r);
    const char *t = json_string_value(json_object_get(o, "type"));
    char want[96];
    snprintf(want, sizeof want, "urn:mvoi:problem:%s", slug);
    cr_expect(t && strcmp(t, want) == 0, "GET %s: type '%s', want '%s': %s", path,
              t ? t : "(none)", want, r.body);
    json_decref(o);
    gwt_resp_free(&r);
}

static void s_down(void) { gwt_stop(&E); }

TestSuite(gateway_it, .fini = s_down, .timeout = 60);

Test(gateway_it, happy_paths)
{
    s_up(NULL);
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", "/", NULL, NULL, &r), 200);
    cr_expect(strstr(r.ctype, "text/html") != NULL);
    cr_expect(strstr(r.body, "dash.js") != NULL);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/static/dash.js", NULL, NULL, &r), 200);
    cr_expect(strstr(r.ctype, "javascript") != NULL);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/api/texts?lang=en", NULL, NULL, &r), 200);
    json_t *o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "texts"), "kpi.co2")),
                     "Avoided CO2");
    json_decref(o);
    gwt_resp_free(&r);

    cr_assert_eq(s_req("GET", "/api/kpi", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect(json_integer_value(json_object_get(o, "count")) > 30);
    cr_expect(json_integer_value(json_object_get(o, "seq")) > 0);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/api/kpi?prefix=kpi.heerlen.pilots.", NULL, NULL, &r), 200);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(o, "count")), 11, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/api/kpi/co2?from_year=2025&to_year=2026", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect(json_array_size(json_object_get(o, "totals")) >= 5, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);

    s_expect("GET", "/api/tenders?year=2026&limit=10", NULL, NULL, 200, NULL);
    s_expect("GET", "/api/tenders?view=upcoming&days=60", NULL, NULL, 200, NULL);
    cr_assert_eq(s_req("GET", "/api/tenders/T-1", NULL, NULL, &r), 200);
    o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "id")), "T-1");
    json_decref(o);
    gwt_resp_free(&r);
    s_expect("GET", "/api/reminders?state=scheduled", NULL, NULL, 200, NULL);
    s_expect("GET", "/api/measurements?limit=5", NULL, NULL, 200, NULL);

    cr_assert_eq(s_req("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) JSON_CT,
                       "{\"tender\":{\"id\":\"T-9\",\"title\":\"Groenonderhoud\","
                       "\"kind\":\"diensten\",\"value_cents\":5000000,"
                       "\"themes\":[{\"theme\":\"klimaat\",\"commitment\":\"eis\"}]}}", &r), 201,
                 "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/T-9");
    gwt_resp_free(&r);
    s_expect("GET", "/api/tenders/T-9", NULL, NULL, 200, NULL);

    cr_assert_eq(s_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT
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
    s_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_ADMIN) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-2\",\"tender_id\":\"T-2\"}]}", 201, NULL);

    /* The upstream gauges come from the services' health replies, which the gateway polls
     * on a timer: on a loaded machine the first poll may still be on its way. */
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(s_req("GET", "/metrics", NULL, NULL, &r), 200);
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
    s_expect("GET", "/healthz", NULL, NULL, 200, NULL);
    s_expect("GET", "/readyz", NULL, NULL, 200, NULL);
}

Test(gateway_it, errors)
{
    s_up(NULL);
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    /* bad JSON, unknown field, wrong type, not an object */
    s_expect("POST", "/api/tenders", A, "{\"tender\":", 400, NULL);
    s_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"colour\":\"red\"}}", 400,
             "tender.colour");
    s_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"value_cents\":\"lots\"}}",
             400, "tender.value_cents");
    s_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"X\",\"kind\":\"castles\"}}", 400,
             "tender.kind");
    s_expect("POST", "/api/tenders", A, "[1,2]", 400, NULL);
    s_expect("POST", "/api/tenders", A, "{}", 400, "tender");
    s_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m\",\"energy\":{\"quantity_milli\":1.5}}]}", 400,
             "measurements[0].energy.quantity_milli");
    /* too large: 1 MiB + 1 */
    size_t big = (1u << 20) + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    huge[0] = '{';
    huge[big - 1] = '}';
    s_expect("POST", "/api/tenders", A, huge, 413, NULL);
    free(huge);
    /* wrong media type */
    s_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) "Content-Type: text/plain\r\n", "x",
             415, NULL);
    /* no token, unknown token, wrong role */
    gwt_resp_t r;
    cr_assert_eq(s_req("POST", "/api/tenders", JSON_CT, "{\"tender\":{\"id\":\"Z\"}}", &r), 401);
    cr_expect(strstr(r.www_auth, "Bearer") != NULL);
    gwt_resp_free(&r);
    s_expect("POST", "/api/tenders", AUTH("not-a-token") JSON_CT, "{\"tender\":{\"id\":\"Z\"}}",
             401, NULL);
    s_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_SUBMIT) JSON_CT, "{\"tender\":{\"id\":\"Z\"}}",
             403, NULL);
    s_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_READER) JSON_CT,
             "{\"measurements\":[{\"id\":\"m\"}]}", 403, NULL);
    /* the services' errors, mapped */
    s_expect("GET", "/api/tenders/NOPE", NULL, NULL, 404, "id");
    s_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"T-1\"}}", 409, "tender.id");
    s_expect("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"T-8\",\"value_cents\":-5}}", 422,
             "tender.value_cents");
    s_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-x\",\"tender_id\":\"T-404\"}]}", 404,
             "measurements[0].tender_id");
    s_expect("GET", "/api/tenders?limit=5000", NULL, NULL, 400, "limit");
    /* a measurement refused for the gateway's own key (fakekpi: tender T-KEY) is mapped as
     * a refused request is: 502 gateway-key-refused, the other item's 201 in "results"; it
     * was 403 permission-denied, a copy of the mapping that had not learnt the key */
    gwt_resp_t k;
    cr_assert_eq(s_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
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
    s_expect_act("/api/kpi?after_seq=900000001", NULL, 502, "upstream-error", "");
    s_expect_act("/api/kpi?after_seq=900000002", NULL, 502, "gateway-key-refused", "");
    /* query parameters: unknown, wrong type, bad enum */
    s_expect("GET", "/api/tenders?colour=red", NULL, NULL, 400, "colour");
    s_expect("GET", "/api/tenders?year=twenty", NULL, NULL, 400, "year");
    s_expect("GET", "/api/tenders?status=lost", NULL, NULL, 400, "status");
    s_expect("GET", "/api/kpi?x=1", NULL, NULL, 400, "x");
    s_expect("GET", "/api/texts?lang=fr", NULL, NULL, 400, "lang");
    s_expect("GET", "/api/kpi/happiness", NULL, NULL, 404, "kpi");
    s_expect("POST", "/api/tenders", AUTH(GWT_TOKEN_ADMIN) JSON_CT "Idempotency-Key: \x01\r\n",
             "{}", 400, NULL);
    /* paths and methods */
    s_expect("GET", "/nope", NULL, NULL, 404, NULL);
    s_expect("DELETE", "/api/tenders", NULL, NULL, 405, NULL);
    s_expect("GET", "/static/secret.txt", NULL, NULL, 404, NULL);
    cr_assert_eq(s_req("GET", "/api/nothing/../../etc/passwd", NULL, NULL, &r), 404);
    gwt_resp_free(&r);
}

Test(gateway_it, reads_closed_by_configuration)
{
    static const char *const env[] = { "MVOI_GATEWAY_READ_ACCESS=token",
                                       "MVOI_GATEWAY_REPORT_API=", NULL };
    s_up(env);                                           /* /readyz: probes stay open */
    /* no report service configured (REPORT_API empty): asked again, refused again, so 500
     * misconfigured without Retry-After; it was 503 "unavailable", a passing state that
     * never passed */
    s_expect_act("/api/report?year=2026", AUTH(GWT_TOKEN_READER), 500, "misconfigured", "");
    s_expect("GET", "/api/kpi", NULL, NULL, 401, NULL);
    s_expect("GET", "/api/kpi", AUTH("wrong"), NULL, 401, NULL);
    s_expect("GET", "/api/kpi", AUTH(GWT_TOKEN_READER), NULL, 200, NULL);
    s_expect("GET", "/api/kpi?access_token=" GWT_TOKEN_READER, NULL, NULL, 200, NULL);
    s_expect("GET", "/metrics", NULL, NULL, 401, NULL);
    s_expect("GET", "/", NULL, NULL, 200, NULL);         /* the page itself holds no data */
}

Test(gateway_it, stale_view_is_never_served)
{
    static const char *const env[] = { "MVOI_GATEWAY_STALE_MS=600", NULL };
    s_up(env);
    s_expect("GET", "/api/kpi", NULL, NULL, 200, NULL);
    kill(E.fake.pid, SIGSTOP);          /* the aggregator hangs: no heartbeats */
    h_sleep_ms(1200);
    /* a view behind catches up within seconds: 503 stale says when to ask again (it had no
     * Retry-After, though README's table promises one with every 503) */
    s_expect_act("/api/kpi", NULL, 503, "stale", "1");
    s_expect_act("/readyz", NULL, 503, "stale", "1");
    s_expect_act("/api/benchmark", NULL, 503, "stale", "1");
    /* read your writes while the aggregator does not answer: its silence is said (504
     * upstream-timeout); it was 504 not-applied-yet "the kpi-aggregator has not applied
     * impact seq 1 yet", a state the aggregator had not told */
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", "/api/kpi?after_seq=1&wait_ms=100", NULL, NULL, &r), 504);
    cr_expect(strstr(r.body, "\"type\":\"urn:mvoi:problem:upstream-timeout\""), "%s", r.body);
    cr_expect(strstr(r.body, "de kpi-aggregator antwoordde niet op tijd"), "%s", r.body);
    cr_expect_str_eq(r.retry_after, "");
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/metrics", NULL, NULL, &r), 200);
    cr_expect(strstr(r.body, "mvoi_gateway_kpi_fresh 0") != NULL);
    gwt_resp_free(&r);
    kill(E.fake.pid, SIGCONT);
    cr_assert_eq(gwt_wait_ready(&E, 5000), 0);
    s_expect("GET", "/api/kpi", NULL, NULL, 200, NULL);
}

/* A service that is not reachable (no one at the report API's endpoint) is 503 with
 * Retry-After, as every passing shortage of the gateway: it had none, and a client following
 * README's rule "a 503 says when" had no when. */
Test(gateway_it, upstream_down_is_503_or_504)
{
    static char api[200];
    snprintf(api, sizeof api, "MVOI_GATEWAY_REPORT_API=ipc:///tmp/gwt-nobody-%d", (int)getpid());
    const char *env[] = { api, NULL };
    s_up(env);
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
    int st = s_req("GET", "/api/tenders/T-1", NULL, NULL, &r);
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
    cr_assert_eq(s_req("GET", "/api/kpi?after_seq=1&wait_ms=300", NULL, NULL, &r), 503, "%s",
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
    s_up(NULL);
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
    s_up(NULL);
    gwt_resp_t r;
    s_req("GET", "/api/kpi", NULL, NULL, &r);
    gwt_resp_free(&r);
    s_req("GET", "/nope", NULL, NULL, &r);
    gwt_resp_free(&r);
    gwt_sse_t *s = gwt_sse_open(E.http_port, NULL);
    gwt_sse_read(s, 2000, 0, 1);
    h_sleep_ms(2500);                 /* a health round with every service */
    cr_assert_eq(s_req("GET", "/metrics", NULL, NULL, &r), 200);
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
    s_up(NULL);
    gwt_resp_t r;
    const char *body = "{\"measurements\":[{\"id\":\"drill-1\",\"tender_id\":\"T-1\","
                       "\"phase\":\"realisation\",\"energy\":{\"carrier\":\"hvo100\","
                       "\"quantity_milli\":1500000}}]}";
    cr_assert_eq(s_req("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT, body, &r),
                 201, "%s", r.body);
    gwt_resp_free(&r);

    cr_assert_eq(s_req("GET", "/api/measurements/drill-1", NULL, NULL, &r), 200, "%s", r.body);
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
    cr_assert_eq(s_req("GET", "/api/measurements/drill-1?lang=en", NULL, NULL, &r), 200, "%s",
                 r.body);
    o = gwt_json(&r);
    x = json_string_value(json_object_get(o, "explanation"));
    cr_expect(x && strstr(x, " lang=en"), "%s", x);
    json_decref(o);
    gwt_resp_free(&r);
    s_expect("GET", "/api/measurements/drill-1?lang=de", NULL, NULL, 400, "lang");
    s_expect("GET", "/api/measurements/nope", NULL, NULL, 404, "id");
    s_expect("GET", "/api/measurements/drill-1?x=1", NULL, NULL, 400, "x");

    cr_assert_eq(s_req("GET", "/api/factors", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(o, "tables"), 0),
                                                    "rows")), 31, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);

    /* 1.500 l -> the fake's 1 g/ml: 1.500.000 g behind the tender's total */
    cr_assert_eq(s_req("GET", "/api/breakdown?key=kpi.heerlen.co2.2026.tender.T-1", NULL, NULL,
                       &r), 200, "%s", r.body);
    o = gwt_json(&r);
    json_t *it = json_array_get(json_object_get(o, "items"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(it, "measurement_id")), "drill-1");
    cr_expect_eq(json_integer_value(json_object_get(it, "realisation")), 1500000, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    /* another tenant's key, a key no total has, no key, an unknown parameter */
    s_expect("GET", "/api/breakdown?key=kpi.maastricht.co2.2026", NULL, NULL, 404, "key");
    s_expect("GET", "/api/breakdown?key=kpi.heerlen.co2.2026.tender.NOPE", NULL, NULL, 404, "key");
    s_expect("GET", "/api/breakdown", NULL, NULL, 400, "key");
    s_expect("GET", "/api/breakdown?key=kpi.heerlen.co2.2026&buyer_x=1", NULL, NULL, 400, "buyer_x");

    cr_assert_eq(s_req("GET", "/favicon.ico", NULL, NULL, &r), 200);
    cr_expect(strncmp(r.ctype, "image/svg+xml", 13) == 0, "%s", r.ctype);
    cr_expect(strstr(r.body, "<svg") != NULL);
    gwt_resp_free(&r);
}

/* One gateway, many buyers: ?buyer= chooses whose totals are served (the fake holds only
 * heerlen's), a bad id is 400, an unregistered buyer 404, /api/buyers lists the registry. */
Test(gateway_it, chosen_buyer_served_others_refused)
{
    s_up(NULL);
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", "/api/kpi?buyer=heerlen", NULL, NULL, &r), 200, "%s", r.body);
    json_t *o = gwt_json(&r);
    json_int_t heerlen = json_integer_value(json_object_get(o, "count"));
    cr_expect(heerlen > 30, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/api/kpi?buyer=landgraaf", NULL, NULL, &r), 200, "%s", r.body);
    o = gwt_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(o, "count")), 0,
                 "landgraaf sees heerlen's totals: %s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    s_expect("GET", "/api/kpi?buyer=Heerlen", NULL, NULL, 400, "buyer");
    s_expect("GET", "/api/kpi?buyer=heer%00len", NULL, NULL, 400, "buyer");
    s_expect("GET", "/api/kpi?buyer=atlantis", NULL, NULL, 404, "buyer");
    s_expect("GET", "/api/kpi/co2?buyer=atlantis", NULL, NULL, 404, "buyer");
    cr_assert_eq(s_req("GET", "/api/buyers", NULL, NULL, &r), 200, "%s", r.body);
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
    cr_assert_eq(s_req("GET", path, NULL, NULL, &r), 200, "%s", r.body);
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
    cr_assert_eq(s_req("POST", path, hdr, body, &r), 201, "%s: %s", buyer, r.body);
    gwt_resp_free(&r);
}

/* One gateway process, two buyers with the same measurement ids, requests interleaved:
 * each sees its own figures and nothing of the other's. The fake aggregator adds
 * quantity_milli grams of CO2 per energy measurement to the submitting buyer's
 * kpi.<buyer>.co2.2026: heerlen gets 1,500,000 + 250,000 on top of what it had, landgraaf
 * (nothing before) 700,000 + 40,000. */
Test(gateway_it, two_buyers_at_once_right_figures_for_each)
{
    s_up(NULL);
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
    cr_assert_eq(s_req("GET", "/metrics", NULL, NULL, &r), 200);
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
    s_up(NULL);
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
        int st = s_req("GET", "/api/kpi?buyer=heerlen", NULL, NULL, &r);
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
    s_up(NULL);
    gwt_resp_t r;
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    cr_assert_eq(s_req("POST", "/api/tenders?buyer=venlo", A,
                       "{\"tender\":{\"id\":\"GWT-9\",\"title\":\"Groenonderhoud Venlo\"}}", &r),
                 201, "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-9?buyer=venlo");
    char loc[256];
    snprintf(loc, sizeof loc, "%s", r.location);
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", loc, NULL, NULL, &r), 200, "GET %s: %s", loc, r.body);
    json_t *o = gwt_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(o, "id")), "GWT-9");
    cr_expect_str_eq(json_string_value(json_object_get(o, "buyer")), "venlo");
    json_decref(o);
    gwt_resp_free(&r);
    s_expect("GET", "/api/tenders/GWT-9", NULL, NULL, 404, "id");   /* heerlen has none */
    /* the default buyer's tender: the plain path still resolves */
    cr_assert_eq(s_req("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"GWT-10\"}}", &r), 201,
                 "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-10");
    gwt_resp_free(&r);
    /* naming the default buyer keeps it in the Location: a reader with another default
     * resolves it the same */
    cr_assert_eq(s_req("POST", "/api/tenders?buyer=heerlen", A,
                       "{\"tender\":{\"id\":\"GWT-11\"}}", &r), 201, "%s", r.body);
    cr_expect_str_eq(r.location, "/api/tenders/GWT-11?buyer=heerlen");
    gwt_resp_free(&r);
}

/* A parameter given twice is refused by name on every route (MHD's lookup took the first,
 * the query decoder the last); a NUL (%00) in a path id or a parameter is refused, not cut. */
Test(gateway_it, repeated_parameters_and_nul_refused)
{
    s_up(NULL);
    s_expect("GET", "/api/tenders?year=2025&year=2024", NULL, NULL, 400, "year");
    s_expect("GET", "/api/tenders?buyer=heerlen&buyer=venlo", NULL, NULL, 400, "buyer");
    s_expect("GET", "/api/tenders?view=upcoming&view=list", NULL, NULL, 400, "view");
    s_expect("GET", "/api/kpi?buyer=venlo&buyer=heerlen", NULL, NULL, 400, "buyer");
    s_expect("GET", "/api/report?year=2026&format=pdf&format=html", NULL, NULL, 400, "format");
    s_expect("GET", "/?year=2026&year=2025", NULL, NULL, 400, "year");
    s_expect("GET", "/api/texts?lang=en&lang=nl", NULL, NULL, 400, "lang");
    s_expect("GET", "/api/kpi?access_token=a&access_token=b", NULL, NULL, 400, "access_token");
    s_expect("GET", "/api/tenders/T-1%00x", NULL, NULL, 400, "id");
    s_expect("GET", "/api/measurements/m%00", NULL, NULL, 400, "id");
    s_expect("GET", "/healthz%00x", NULL, NULL, 400, "path");
    s_expect("GET", "/api/tenders?title=a%00b", NULL, NULL, 400, "title");
    s_expect("GET", "/api/kpi?prefix=kpi.heerlen.%00", NULL, NULL, 400, "prefix");
    /* a lone percent sign or %000 text elsewhere is not a NUL in the path */
    s_expect("GET", "/api/tenders/T-1", NULL, NULL, 200, NULL);
    s_expect("GET", "/api/tenders?year=2026", NULL, NULL, 200, NULL);
}

/* A path's id is taken whole or refused by name: an id longer than the gateway takes
 * (255 bytes) or holding an encoded '/' (%2F, which MHD decodes into a separator) is 400
 * naming the {} (it was 404 "no such path", as if the route did not exist). A plain extra
 * segment stays "no such path". */
Test(gateway_it, path_ids_whole_or_refused)
{
    s_up(NULL);
    char path[400], id[301];
    memset(id, 'A', 300);
    id[300] = '\0';
    snprintf(path, sizeof path, "/api/tenders/%s", id);
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", path, NULL, NULL, &r), 400, "%s", r.body);
    cr_expect(strstr(r.body, "\"field\":\"id\"") && strstr(r.body, "(300)"), "%s", r.body);
    gwt_resp_free(&r);
    id[256] = '\0';
    snprintf(path, sizeof path, "/api/measurements/%s", id);
    s_expect("GET", path, NULL, NULL, 400, "id");
    s_expect("GET", "/api/tenders/T-1%2Fx", NULL, NULL, 400, "id");
    s_expect("GET", "/api/tenders/T-1%2f..", NULL, NULL, 400, "id");
    s_expect("GET", "/api/measurements/..%2Fm", NULL, NULL, 400, "id");
    s_expect("GET", "/api/kpi/co2%2Fx", NULL, NULL, 400, "kpi");
    s_expect("GET", "/api/tenders/T-1/x", NULL, NULL, 404, NULL);
    s_expect("GET", "/api/tenders/T-1", NULL, NULL, 200, NULL);
}

/* The dashboard page refuses what it cannot show: a year it cannot read (it would show
 * zeros as live), a language without texts, a trend KPI that does not exist. */
Test(gateway_it, page_parameters_checked)
{
    s_up(NULL);
    s_expect("GET", "/?year=abc", NULL, NULL, 400, "year");
    s_expect("GET", "/?year=2026x", NULL, NULL, 400, "year");
    s_expect("GET", "/?year=%202026", NULL, NULL, 400, "year");
    s_expect("GET", "/?year=1999", NULL, NULL, 400, "year");
    s_expect("GET", "/?year=", NULL, NULL, 400, "year");
    s_expect("GET", "/?lang=de", NULL, NULL, 400, "lang");
    s_expect("GET", "/?trend=happiness", NULL, NULL, 400, "trend");
    s_expect("GET", "/?quarter=2", NULL, NULL, 400, "quarter");
    s_expect("GET", "/benchmark?year=abc", NULL, NULL, 400, "year");
    s_expect("GET", "/benchmark?lang=de", NULL, NULL, 400, "lang");
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", "/?lang=de", NULL, NULL, &r), 400);
    /* in the gateway's language: Dutch by default (gateway_lang.py: chosen per request) */
    cr_expect(strstr(r.body, "nl of en") != NULL, "names the languages: %s", r.body);
    gwt_resp_free(&r);
    s_expect("GET", "/?year=2026&lang=en&trend=sroi&buyer=venlo", NULL, NULL, 200, NULL);
    s_expect("GET", "/?lang=nl", NULL, NULL, 200, NULL);
    s_expect("GET", "/benchmark?year=2026&lang=en", NULL, NULL, 200, NULL);
}

/* GET /api/kpi/{kpi}: both years optional (the current year by default, to_year alone is
 * that year), and every total of the series carries its key, the stored ones too. */
Test(gateway_it, kpi_series_defaults_and_keys)
{
    s_up(NULL);
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
        cr_assert_eq(s_req("GET", c[i].path, NULL, NULL, &r), 200, "%s: %s", c[i].path, r.body);
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
    cr_assert_eq(s_req("GET", "/api/kpi/co2?from_year=2026", NULL, NULL, &r), 200);
    json_t *o = gwt_json(&r);
    json_t *q2 = json_array_get(json_object_get(o, "totals"), 1);
    json_t *re = json_object_get(q2, "realisation");
    long long v = json_is_string(re) ? atoll(json_string_value(re)) : json_integer_value(re);
    cr_expect_eq(v, 500000, "%s", r.body);
    json_decref(o);
    gwt_resp_free(&r);
    /* an explicit bad year still is the service's refusal */
    s_expect("GET", "/api/kpi/co2?from_year=0", NULL, NULL, 422, "from_year");
    s_expect("GET", "/api/kpi/co2?from_year=2026&to_year=2025", NULL, NULL, 422, "to_year");
}

/* "\u0000" in any string of a JSON body is refused with 400 naming the field: a narrative's
 * theme "klimaat\u0000..." was taken as klimaat (the rest dropped, the upstream asked), and
 * a command body's NUL was a bad-json 400 naming only a column. Nothing reaches a service:
 * no report service runs here, so a request let through would be 503/504, not 400. */
Test(gateway_it, nul_in_json_body_refused_by_field)
{
    s_up(NULL);
    const char *A = AUTH(GWT_TOKEN_ADMIN) JSON_CT;
    s_expect("POST", "/api/narratives?buyer=venlo", A,
             "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\\u0000x\",\"text\":\"t\"}", 400,
             "theme");
    s_expect("POST", "/api/narratives", A,
             "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\",\"text\":\"voor\\u0000na\"}", 400,
             "text");
    s_expect("POST", "/api/tenders?buyer=venlo", A,
             "{\"tender\":{\"id\":\"GWT-N\",\"title\":\"Groen\\u0000onderhoud\"}}", 400,
             "tender.title");
    s_expect("POST", "/api/measurements", AUTH(GWT_TOKEN_SUBMIT) JSON_CT,
             "{\"measurements\":[{\"id\":\"m-1\",\"tender_id\":\"T-1\"},"
             "{\"id\":\"m-2\\u0000\",\"tender_id\":\"T-1\"}]}", 400, "measurements[1].id");
    /* the same tender without the NUL is taken: the refusal was the NUL's */
    s_expect("POST", "/api/tenders?buyer=venlo", A,
             "{\"tender\":{\"id\":\"GWT-N\",\"title\":\"Groenonderhoud\"}}", 201, NULL);
    /* the detail says why, in the default language (Dutch) */
    gwt_resp_t r;
    cr_assert_eq(s_req("POST", "/api/tenders", A, "{\"tender\":{\"id\":\"a\\u0000\"}}", &r), 400);
    cr_expect(strstr(r.body, "NUL-teken"), "%s", r.body);
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
    s_up(env);
    gwt_fake_args = NULL;
    s_expect("GET", "/api/report?year=2099&format=csv", AUTH(GWT_TOKEN_ADMIN), NULL, 503,
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
    s_expect_act("/api/report?year=2096&format=csv", AUTH(GWT_TOKEN_ADMIN), 500,
                 "misconfigured", "");
    s_expect_act("/api/report?year=2095&format=csv", AUTH(GWT_TOKEN_ADMIN), 503, "unavailable",
                 "2");
    /* a file the gateway cannot open for another reason (2094: a socket in its place,
     * ENXIO): 500 misconfigured naming the condition in the reader's language, with the
     * number the log explains; it was the C library's English ("No such device or address")
     * inside the Dutch detail */
    gwt_resp_t r;
    cr_assert_eq(s_req("GET", "/api/report?year=2094&format=csv", AUTH(GWT_TOKEN_ADMIN), NULL,
                       &r), 500, "%s", r.body);
    cr_expect(strstr(r.body, "\"type\":\"urn:mvoi:problem:misconfigured\""), "%s", r.body);
    cr_expect(strstr(r.body, "\"detail\":\"de gateway kan het rapportbestand niet lezen "
                             "(systeemfout 6: het logboek van de gateway noemt haar)\""),
              "%s", r.body);
    cr_expect_str_eq(r.retry_after, "");
    gwt_resp_free(&r);
    cr_assert_eq(s_req("GET", "/api/report?year=2094&format=csv&lang=en",
                       AUTH(GWT_TOKEN_ADMIN), NULL, &r), 500, "%s", r.body);
    cr_expect(strstr(r.body, "\"detail\":\"the gateway cannot read the report file (system "
                             "error 6: the gateway's log names it)\""), "%s", r.body);
    gwt_resp_free(&r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-elsewhere.csv'", dir, dir);
    cr_expect_eq(system(cmd), 0);
}
