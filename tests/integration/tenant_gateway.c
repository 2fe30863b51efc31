/*  tenant_gateway: the gateway's tokens file and one token listed twice (gw_auth.c), with
 *  the real gateway before the fake services (tests/integration/gateway/gwt.h).
 *
 *  An operator narrows a token for every buyer to venlo by adding a line for it, and leaves
 *  the old line in place (or the reverse): the same token then has two lists of buyers. The
 *  first line used to win without a word, so the narrowed token still acted for heerlen.
 *  A token listed twice is refused by name, as the key registry refuses a public key listed
 *  twice: on a reload the tokens in force stay (tokens_reload_failed, naming the line), and
 *  at start the gateway does not start (exit 78).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gwt.h"

#define S_TOKEN "venlo-support-token-6"

static gwt_env_t E;

static void s_teardown(void) { gwt_stop(&E); }

TestSuite(tenant_gateway, .fini = s_teardown, .timeout = 60);

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

/* The tokens file: the admin token, then S_TOKEN for every buyer and again for venlo only. */
static void s_write_twice(const char *path)
{
    char ha[65], hs[65];
    gwt_sha256_hex(GWT_TOKEN_ADMIN, ha);
    gwt_sha256_hex(S_TOKEN, hs);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "admin %s adviser buyers=*\n", ha);
    fprintf(f, "reader %s support buyers=*\n", hs);
    fprintf(f, "reader %s support-venlo buyers=venlo\n", hs);
    fclose(f);
}

static int s_get(const char *path, const char *token)
{
    char h[256];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", token);
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, "GET", path, h, NULL, 0, &r, 5000), 0, "%s", path);
    int st = r.status;
    gwt_resp_free(&r);
    return st;
}

Test(tenant_gateway, a_token_listed_twice_is_refused_on_reload_and_the_tokens_in_force_stay)
{
    const char *env[] = { "MVOI_GATEWAY_READ_ACCESS=token", NULL };
    cr_assert_eq(gwt_start(&E, env), 0);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0);
    cr_assert_eq(s_get("/api/buyers?buyer=heerlen", GWT_TOKEN_HRL_SUBMIT), 200);
    cr_assert_eq(s_get("/api/buyers?buyer=heerlen", S_TOKEN), 401, "not yet listed");
    char path[400];
    snprintf(path, sizeof path, "%s/tokens", E.dir);
    s_write_twice(path);
    h_signal(&E.gw, SIGHUP);
    int64_t end = h_now_ms() + 5000;
    while (!s_log_count(E.gw.log, "tokens_reload", NULL) && h_now_ms() < end)
        h_sleep_ms(20);
    cr_expect_eq(s_log_count(E.gw.log, "\"tokens_reload_failed\"", "line 3"), 1,
                 "a token listed twice was not refused naming its second line (%s)", E.gw.log);
    cr_expect_eq(s_log_count(E.gw.log, "tokens_reload_failed", "same token"), 1);
    /* the narrowed token acts for no buyer at all: it is not in force */
    cr_expect_eq(s_get("/api/buyers?buyer=heerlen", S_TOKEN), 401,
                 "the token listed twice acts for heerlen");
    cr_expect_eq(s_get("/api/buyers?buyer=venlo", S_TOKEN), 401);
    /* the tokens loaded before stay in force, with their buyers */
    cr_expect_eq(s_get("/api/buyers?buyer=heerlen", GWT_TOKEN_HRL_SUBMIT), 200);
    cr_expect_eq(s_get("/api/buyers?buyer=venlo", GWT_TOKEN_HRL_SUBMIT), 403);
}

Test(tenant_gateway, a_token_listed_twice_stops_the_start_naming_the_line)
{
    cr_assert_eq(gwt_start(&E, NULL), 0);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0);
    char path[400], var[460];
    snprintf(path, sizeof path, "%s/twice-tokens", E.dir);
    s_write_twice(path);
    snprintf(var, sizeof var, "MVOI_GATEWAY_TOKENS_FILE=%s", path);
    char bin[512];
    h_bin(bin, sizeof bin, "services/gateway/mvoi-gateway");
    char listen[64];
    snprintf(listen, sizeof listen, "MVOI_GATEWAY_LISTEN=127.0.0.1:%d", h_free_tcp_port());
    const char *env[] = { var, listen, NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn(&p, bin, "gateway-twice", E.dir, env), 0);
    int status = 0;
    if (h_wait(&p, 10000, &status) != 0) {
        h_kill9(&p);
        cr_assert_fail("the gateway started with a token listed twice");
    }
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 78, "exit status %d", status);
    cr_expect_geq(s_log_count(p.log, "line 3", "same token"), 1, "no reason naming line 3 in %s",
                  p.log);
}

/* The buyer a request names is ?buyer=, spelled so: every route refuses ?BUYER= as an
 * unknown parameter (gw_query.c). The access check used libmicrohttpd's lookup, which
 * ignores case, so ?BUYER=venlo from a token for heerlen was taken as a request for venlo:
 * 403 buyer-not-allowed, a buyer_refused line and a count in
 * mvoi_gateway_buyer_refused_total for a buyer the request does not name by the API's own
 * rule, while a token that may act for venlo got 400 "unknown query parameter" for the same
 * request. Now both get the 400, and nothing is counted or logged as a refused buyer. */
Test(tenant_gateway, an_upper_case_buyer_parameter_is_unknown_for_every_token)
{
    cr_assert_eq(gwt_start(&E, NULL), 0);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0);
    static const char *const paths[] = { "/api/kpi?BUYER=venlo", "/api/tenders?Buyer=venlo",
                                         "/api/stream?BUYER=venlo", "/api/buyers?bUyer=venlo" };
    static const char *const tokens[] = { GWT_TOKEN_HRL_SUBMIT, GWT_TOKEN_ADMIN };
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        for (int t = 0; t < 2; t++) {
            char h[256];
            snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", tokens[t]);
            gwt_resp_t r;
            cr_assert_eq(gwt_http(E.http_port, "GET", paths[p], h, NULL, 0, &r, 5000), 0);
            cr_expect_eq(r.status, 400, "%s with the %s token: %d %s", paths[p],
                         t ? "every-buyer" : "heerlen", r.status, r.body);
            /* the gateway's own language (Dutch by default; no Accept-Language here) */
            cr_expect(strstr(r.body, "onbekende queryparameter"), "%s: %s", paths[p], r.body);
            gwt_resp_free(&r);
        }
    }
    cr_expect_eq(s_log_count(E.gw.log, "\"buyer_refused\"", NULL), 0,
                 "a request that names no buyer was logged as refused for venlo");
    /* ?buyer= itself is still the buyer, checked */
    cr_expect_eq(s_get("/api/kpi?buyer=venlo", GWT_TOKEN_HRL_SUBMIT), 403);
    cr_expect_eq(s_log_count(E.gw.log, "\"buyer_refused\"", "venlo"), 1);
}
