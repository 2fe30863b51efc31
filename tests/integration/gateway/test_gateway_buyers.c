/*  Gateway tokens scoped by buyer, with the real mvoi-gateway against fakekpi (which logs
 *  every request it is sent, with the envelope's buyer): a token for heerlen presented for
 *  venlo is refused (403 buyer-not-allowed) on every route class and nothing reaches a
 *  service; a token for every buyer works for both; the heerlen token works for heerlen and
 *  is its default even where the gateway's default buyer is venlo. The tokens file is read
 *  again on SIGHUP: a removed token is refused, a broken file keeps the tokens in force, a
 *  stream opened with a token ends.
 *
 *  Tokens (gwt.c): reader/submitter/admin buyers=*, hrl-supplier (submitter) and
 *  hrl-adviser (admin) buyers=heerlen. Reads are open (read_access=open, the default).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "envelope.pb-c.h"
#include "gwt.h"

#define AUTH(t) "Authorization: Bearer " t "\r\n"
#define JSON_CT "Content-Type: application/json\r\n"
#define MEAS(id) "{\"measurements\":[{\"id\":\"" id "\",\"tender_id\":\"T-1\"," \
                 "\"phase\":\"realisation\",\"period_end\":\"2026-05-01\"," \
                 "\"energy\":{\"carrier\":\"hvo100\",\"quantity_milli\":1500000}}]}"

static gwt_env_t E;

static void s_up(void)
{
    /* the gateway's default buyer is venlo: the heerlen token must still mean heerlen.
     * No benchmark rounds: they ask the calendar for every registered buyer's tenders in
     * that buyer's name (gw_bench_cal.c), which the fake logs like a forwarded request;
     * a round that started during a check failed it in CI (ListTenders for venlo). */
    static const char *const env[] = { "MVOI_GATEWAY_BUYER=venlo",
                                       "MVOI_GATEWAY_BENCH_TENDERS_MS=0", NULL };
    gwt_fake_args = "--venlo 1";
    cr_assert_eq(gwt_start(&E, env), 0, "fake + gateway start (logs in %s)", E.dir);
    gwt_fake_args = NULL;
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
}

static void s_down(void) { gwt_stop(&E); }

TestSuite(gateway_buyers, .fini = s_down, .timeout = 60);

/* Lines of a log containing a and (when set) b. */
static int s_log_count(const char *log, const char *a, const char *b)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, a) && (!b || strstr(line, b));
    fclose(f);
    return n;
}

static int s_fake_venlo(void)
{
    int n = s_log_count(E.fake.log, "fake_request", "buyer=venlo") +
            s_log_count(E.fake.log, "fake_request", "mentions_venlo=1");
    if (n)
        h_keep_logs();   /* which request it was, and what the gateway logged meanwhile */
    return n;
}

/* SubmitMeasurements the fake got for buyer, waiting up to 2 s for want of them; the
 * children's logs go into the test's output when the count is not met. */
static int s_submits(const char *buyer, int want)
{
    char what[64], who[80];
    snprintf(what, sizeof what, "fake_request body=%d ", MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS);
    snprintf(who, sizeof who, "buyer=%s ", buyer);
    int n = 0;
    for (int i = 0; i < 200 && (n = s_log_count(E.fake.log, what, who)) != want; i++)
        usleep(10 * 1000);
    if (n != want)
        h_keep_logs();
    return n;
}

/* The status; for a 403 also that it is the named problem with field. */
static int s_call(const char *method, const char *path, const char *hdrs, const char *body,
                  const char *want_field)
{
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, method, path, hdrs, body, body ? strlen(body) : 0, &r,
                          5000), 0, "%s %s: no answer", method, path);
    int st = r.status;
    if (want_field) {
        cr_expect_eq(st, 403, "%s %s: %d %s", method, path, st, r.body);
        cr_expect(strncmp(r.ctype, "application/problem+json", 24) == 0, "%s", r.ctype);
        json_t *o = gwt_json(&r);
        cr_expect_str_eq(json_string_value(json_object_get(o, "type")),
                         "urn:mvoi:problem:buyer-not-allowed", "%s %s: %s", method, path, r.body);
        const char *f = json_string_value(json_object_get(o, "field"));
        cr_expect(f && strcmp(f, want_field) == 0, "%s %s: field %s", method, path, f);
        json_decref(o);
    }
    gwt_resp_free(&r);
    return st;
}

/* GET path on a raw socket: the status; expects `needle` in what arrives within wait_ms.
 * The connection stays open in *fd_out. */
static int s_stream(const char *path, const char *needle, int wait_ms, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)E.http_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream"
                     "\r\n\r\n", path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    static char buf[65536];
    size_t len = 0;
    int64_t end = h_now_ms() + wait_ms;
    while (h_now_ms() < end && len < sizeof buf - 1) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = 0;
        if (strstr(buf, needle))
            break;
    }
    buf[len] = 0;
    int st = 0;
    sscanf(buf, "HTTP/1.%*d %d", &st);
    cr_expect(strstr(buf, needle), "%s: no '%s' in %zu bytes: %.300s", path, needle, len, buf);
    *fd_out = fd;
    return st;
}

/* Whether the stream on fd ends within ms: the connection closes, or the chunked body's
 * last chunk arrives (HTTP/1.1 keeps the connection; EventSource reconnects either way). */
static bool s_closed(int fd, int ms)
{
    static char b[65536];
    size_t len = 0;
    int64_t end = h_now_ms() + ms;
    while (h_now_ms() < end) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        if (len > sizeof b - 4096)
            len = 0;   /* heartbeats only: the end is in what comes next */
        ssize_t k = read(fd, b + len, sizeof b - 1 - len);
        if (k <= 0)
            return true;
        len += (size_t)k;
        b[len] = 0;
        if (strstr(b, "\r\n0\r\n\r\n") || strncmp(b, "0\r\n\r\n", 5) == 0)
            return true;
    }
    return false;
}

Test(gateway_buyers, heerlen_token_on_venlo_refused_on_every_route_class)
{
    s_up();
    json_t *before = gwt_fake_state(E.api, NULL);
    cr_assert(before);
    const char *S = AUTH(GWT_TOKEN_HRL_SUBMIT), *A = AUTH(GWT_TOKEN_HRL_ADMIN);
    char hs[256];
    snprintf(hs, sizeof hs, "%s%s", S, JSON_CT);
    char ha[256];
    snprintf(ha, sizeof ha, "%s%s", A, JSON_CT);
    /* reads: the Clone view, a service query, a drill-down, the benchmark, a report */
    s_call("GET", "/api/kpi?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/kpi?buyer=venlo&access_token=" GWT_TOKEN_HRL_SUBMIT, NULL, NULL,
           "buyer");
    s_call("GET", "/api/kpi/co2?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/tenders?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/tenders/T-1?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/measurements?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/reminders?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/breakdown?buyer=venlo&key=kpi.venlo.co2.2026", S, NULL, "buyer");
    s_call("GET", "/api/benchmark?buyer=venlo", S, NULL, "buyer");
    s_call("GET", "/api/report?buyer=venlo&year=2026&format=csv", A, NULL, "buyer");
    /* the stream (EventSource: the token as ?access_token=) */
    s_call("GET", "/api/stream?buyer=venlo&access_token=" GWT_TOKEN_HRL_SUBMIT, NULL, NULL,
           "buyer");
    /* writes: named by ?buyer=, and by the body's buyer with no ?buyer= */
    s_call("POST", "/api/measurements?buyer=venlo", hs, MEAS("v-1"), "buyer");
    s_call("POST", "/api/measurements", hs,
           "{\"measurements\":[{\"id\":\"v-2\",\"buyer\":\"venlo\",\"tender_id\":\"T-1\"}]}",
           "measurements.buyer");
    s_call("POST", "/api/tenders?buyer=venlo", ha, "{\"tender\":{\"id\":\"T-V\",\"title\":\"x\"}}",
           "buyer");
    s_call("POST", "/api/tenders", ha,
           "{\"tender\":{\"id\":\"T-V\",\"buyer\":\"venlo\",\"title\":\"x\"}}", "tender.buyer");
    s_call("POST", "/api/narratives?buyer=venlo", ha,
           "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\",\"text\":\"x\"}", "buyer");
    /* nothing of venlo reached a service, and the totals are as they were */
    cr_expect_eq(s_fake_venlo(), 0, "a venlo request was forwarded (%s)", E.fake.log);
    json_t *after = gwt_fake_state(E.api, NULL);
    cr_expect(json_equal(before, after), "the fake's totals changed");
    json_decref(before);
    json_decref(after);
    /* logged once per token and buyer (hrl-supplier, hrl-adviser), whatever the count */
    cr_expect_eq(s_log_count(E.gw.log, "\"buyer_refused\"", NULL), 2, "%s", E.gw.log);
    cr_expect_eq(s_log_count(E.gw.log, "\"buyer_refused\"", "\"token\":\"hrl-supplier\""), 1);
    /* counted for the metrics: 16 refusals */
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, "GET", "/metrics", NULL, NULL, 0, &r, 5000), 0);
    cr_expect(strstr(r.body, "mvoi_gateway_buyer_refused_total 16\n"), "%s",
              strstr(r.body, "buyer_refused") ? strstr(r.body, "buyer_refused") : "no counter");
    gwt_resp_free(&r);
}

Test(gateway_buyers, own_buyer_and_every_buyer_tokens_work)
{
    s_up();
    char hs[256];
    snprintf(hs, sizeof hs, "%s%s", AUTH(GWT_TOKEN_HRL_SUBMIT), JSON_CT);
    /* no ?buyer=: the token's only buyer, not the gateway's default (venlo) */
    cr_expect_eq(s_call("POST", "/api/measurements", hs, MEAS("h-1"), NULL), 201);
    cr_expect_eq(s_submits("heerlen", 1), 1);
    cr_expect_eq(s_call("POST", "/api/measurements?buyer=heerlen", hs, MEAS("h-2"), NULL), 201);
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, "GET", "/api/kpi", AUTH(GWT_TOKEN_HRL_SUBMIT), NULL, 0,
                          &r, 5000), 0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect(strstr(r.body, "kpi.heerlen.co2.2026") && !strstr(r.body, "venlo"),
              "heerlen's view: %.300s", r.body);
    gwt_resp_free(&r);
    /* /api/buyers lists the token's buyers only */
    cr_assert_eq(gwt_http(E.http_port, "GET", "/api/buyers", AUTH(GWT_TOKEN_HRL_SUBMIT), NULL,
                          0, &r, 5000), 0);
    json_t *o = gwt_json(&r);
    cr_expect_eq(json_array_size(json_object_get(o, "buyers")), 1, "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(o, "default")), "heerlen");
    json_decref(o);
    gwt_resp_free(&r);
    int fd;
    cr_expect_eq(s_stream("/api/stream?access_token=" GWT_TOKEN_HRL_SUBMIT, "event: snapshot",
                          5000, &fd), 200);
    close(fd);
    cr_expect_eq(s_fake_venlo(), 0);
    /* a token for every buyer: both, venlo by name and by the gateway's default */
    char ha[256];
    snprintf(ha, sizeof ha, "%s%s", AUTH(GWT_TOKEN_ADMIN), JSON_CT);
    cr_expect_eq(s_call("POST", "/api/measurements?buyer=venlo", ha, MEAS("v-1"), NULL), 201);
    cr_expect_eq(s_call("POST", "/api/measurements", ha, MEAS("v-2"), NULL), 201);
    cr_expect_eq(s_call("POST", "/api/measurements?buyer=heerlen", ha, MEAS("h-3"), NULL), 201);
    cr_expect_eq(s_submits("venlo", 2), 2);
    cr_expect_eq(s_submits("heerlen", 3), 3);
    cr_assert_eq(gwt_http(E.http_port, "GET", "/api/kpi?buyer=venlo", AUTH(GWT_TOKEN_ADMIN),
                          NULL, 0, &r, 5000), 0);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "kpi.venlo.co2.2026"), "%.300s", r.body);
    gwt_resp_free(&r);
    /* reads stay open without a token (read_access=open), for either buyer */
    cr_expect_eq(s_call("GET", "/api/kpi?buyer=venlo", NULL, NULL, NULL), 200);
    /* but a token that is presented is checked: an unknown one is not ignored */
    cr_expect_eq(s_call("GET", "/api/kpi?buyer=venlo", AUTH("no-such-token"), NULL, NULL), 401);
}

static void s_write_tokens(const char *text)
{
    char path[400], tmp[400];
    snprintf(path, sizeof path, "%s/tokens", E.dir);
    snprintf(tmp, sizeof tmp, "%s/tokens.new", E.dir);
    FILE *f = fopen(tmp, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

static void s_hup_and_wait(const char *event, int n)
{
    h_signal(&E.gw, SIGHUP);
    int64_t end = h_now_ms() + 5000;
    while (s_log_count(E.gw.log, event, NULL) < n && h_now_ms() < end)
        h_sleep_ms(20);
    cr_assert_eq(s_log_count(E.gw.log, event, NULL), n, "no %s in %s", event, E.gw.log);
}

Test(gateway_buyers, revoked_token_refused_after_sighup)
{
    s_up();
    char hs[256];
    snprintf(hs, sizeof hs, "%s%s", AUTH(GWT_TOKEN_HRL_SUBMIT), JSON_CT);
    cr_expect_eq(s_call("POST", "/api/measurements", hs, MEAS("r-1"), NULL), 201);
    int fd;
    cr_expect_eq(s_stream("/api/stream?access_token=" GWT_TOKEN_HRL_SUBMIT, "event: snapshot",
                          5000, &fd), 200);
    int fd_open;   /* an open stream without a token stays */
    cr_expect_eq(s_stream("/api/stream?buyer=heerlen", "event: snapshot", 5000, &fd_open), 200);
    /* revoke: only the admin token stays */
    char h[65], text[256];
    gwt_sha256_hex(GWT_TOKEN_ADMIN, h);
    snprintf(text, sizeof text, "admin %s adviser buyers=*\n", h);
    s_write_tokens(text);
    s_hup_and_wait("\"tokens_reloaded\"", 1);
    int forwarded = s_log_count(E.fake.log, "fake_request", NULL);
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, "POST", "/api/measurements", hs, MEAS("r-2"),
                          strlen(MEAS("r-2")), &r, 5000), 0);
    cr_expect_eq(r.status, 401, "%s", r.body);
    cr_expect(strstr(r.body, "unknown token"), "%s", r.body);
    gwt_resp_free(&r);
    cr_expect_eq(s_log_count(E.fake.log, "fake_request", NULL), forwarded, "forwarded");
    cr_expect(s_closed(fd, 3000), "the revoked token's stream is still open");
    cr_expect_not(s_closed(fd_open, 300), "a stream without a token was ended");
    close(fd);
    close(fd_open);
    cr_expect_eq(s_call("GET", "/api/kpi", AUTH(GWT_TOKEN_HRL_SUBMIT), NULL, NULL), 401);
    /* a broken file: logged, and the tokens in force stay */
    s_write_tokens("admin 1234 adviser\n");
    s_hup_and_wait("\"tokens_reload_failed\"", 1);
    cr_expect_eq(s_log_count(E.gw.log, "tokens_reload_failed", "line 1"), 1);
    char ha[256];
    snprintf(ha, sizeof ha, "%s%s", AUTH(GWT_TOKEN_ADMIN), JSON_CT);
    cr_expect_eq(s_call("POST", "/api/measurements", ha, MEAS("r-3"), NULL), 201);
    cr_expect_eq(s_call("GET", "/api/kpi", AUTH(GWT_TOKEN_HRL_SUBMIT), NULL, NULL), 401);
    /* the gateway is still serving after both reloads */
    cr_expect_eq(s_call("GET", "/readyz", NULL, NULL, NULL), 200);
}

Test(gateway_buyers, token_line_without_buyers_stops_the_start)
{
    s_up();
    /* a tokens file from before buyers=: the gateway names the line and does not start */
    char path[400], h[65];
    snprintf(path, sizeof path, "%s/old-tokens", E.dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    gwt_sha256_hex("old", h);
    fprintf(f, "# old\nadmin %s adviser\n", h);
    fclose(f);
    char bin[512], ev[480], dd[300];
    h_bin(bin, sizeof bin, "services/gateway/mvoi-gateway");
    snprintf(ev, sizeof ev, "MVOI_GATEWAY_TOKENS_FILE=%s", path);
    snprintf(dd, sizeof dd, "MVOI_DATA_DIR=%s", E.dir);
    const char *env[] = { ev, dd, "MVOI_GATEWAY_LISTEN=127.0.0.1:0", NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn(&p, bin, "oldtokens", E.dir, env), 0);
    int st = -1;
    cr_assert_eq(h_wait(&p, 10000, &st), 0);
    cr_expect_eq(WEXITSTATUS(st), 78);
    cr_expect_eq(s_log_count(p.log, "line 2", "buyers=*"), 1, "%s", p.log);
}
