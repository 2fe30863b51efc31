/*  Unit tests of the gateway's logic: tokens and hashing, the Clone view, problem mapping,
 *  SSE framing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "gw_auth.h"
#include "gw_jsonnul.h"
#include "gw_problem.h"
#include "gw_sse_frame.h"
#include "gw_view.h"
#include "gw_year.h"
#include "clock.h"
#include <time.h>

static void s_hex(const uint8_t *h, char *out)
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

Test(gw_auth, sha256_vectors)
{
    uint8_t h[32];
    char x[65];
    cr_assert_eq(gw_sha256("", 0, h), 0);
    s_hex(h, x);
    cr_expect_str_eq(x, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_eq(gw_sha256("abc", 3, h), 0);
    s_hex(h, x);
    cr_expect_str_eq(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";   /* 56 bytes */
    cr_assert_eq(gw_sha256(m, strlen(m), h), 0);
    s_hex(h, x);
    cr_expect_str_eq(x, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char big[1000];
    memset(big, 'a', sizeof big);
    cr_assert_eq(gw_sha256(big, sizeof big, h), 0);
    s_hex(h, x);
    cr_expect_str_eq(x, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

Test(gw_auth, tokens_roles_and_hashes)
{
    char text[512], e[128] = "";
    /* sha256("r"), sha256("s"), sha256("a") */
    snprintf(text, sizeof text,
             "# comment\n"
             "reader 454349e422f05297191ead13e21d3db520e5abef52055e4964b82fb213f593a1 dash buyers=heerlen\n"
             "submitter 043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89 buyers=*\n"
             "admin CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB adviser buyers=* # upper case\n");
    gw_auth_t *a = gw_auth_from_text(text, e, sizeof e);
    cr_assert(a, "%s", e);
    cr_expect_eq(gw_auth_count(a), 3);
    const char *name = NULL;
    cr_expect_eq(gw_auth_check(a, "r", 1, &name), GW_ROLE_READER);
    cr_expect_str_eq(name, "dash");
    cr_expect_eq(gw_auth_check(a, "s", 1, &name), GW_ROLE_SUBMITTER);
    cr_expect_str_eq(name, "submitter");
    cr_expect_eq(gw_auth_check(a, "a", 1, NULL), GW_ROLE_ADMIN);
    cr_expect_eq(gw_auth_check(a, "x", 1, &name), GW_ROLE_NONE);
    cr_expect_null(name);
    cr_expect_eq(gw_auth_check(a, "", 0, NULL), GW_ROLE_NONE);
    gw_auth_destroy(&a);
    cr_expect_null(a);
}

#define H_R "454349e422f05297191ead13e21d3db520e5abef52055e4964b82fb213f593a1"
#define H_S "043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89"

Test(gw_auth, token_buyers)
{
    char e[256] = "";
    gw_auth_t *a = gw_auth_from_text("reader " H_R " hrl buyers=heerlen\n"
                                     "\n"
                                     "submitter " H_S " two buyers=venlo,heerlen\n", e, sizeof e);
    cr_assert(a, "%s", e);
    const gw_token_t *t = gw_auth_find(a, "r", 1);
    cr_assert(t);
    cr_expect_str_eq(t->name, "hrl");
    cr_expect(gw_token_allows(t, "heerlen"));
    cr_expect_not(gw_token_allows(t, "venlo"));
    cr_expect_not(gw_token_allows(t, "heer"), "a prefix of an allowed id");
    cr_expect_not(gw_token_allows(t, "heerlenx"));
    cr_expect_str_eq(gw_token_default_buyer(t), "heerlen");
    t = gw_auth_find(a, "s", 1);
    cr_assert(t);
    cr_expect_eq(t->nbuyers, 2);
    cr_expect(gw_token_allows(t, "venlo") && gw_token_allows(t, "heerlen"));
    cr_expect_not(gw_token_allows(t, "maastricht"));
    cr_expect_null(gw_token_default_buyer(t), "two buyers: no default of the token's own");
    cr_expect_null(gw_auth_find(a, "x", 1));
    gw_auth_destroy(&a);
}

static bool s_only_heerlen(void *arg, const char *b)
{
    (void)arg;
    return strcmp(b, "heerlen") == 0;
}

Test(gw_auth, token_buyers_refused_with_the_line)
{
    char e[256] = "";
    /* a line from before buyers=: the operator says which, nothing is guessed */
    cr_expect_null(gw_auth_from_text("# tokens\n\nreader " H_R " dash\n", e, sizeof e));
    cr_expect(strstr(e, "line 3") && strstr(e, "buyers=*"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R "\n", e, sizeof e));
    cr_expect(strstr(e, "line 1") && strstr(e, "buyers="), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " buyers=\n", e, sizeof e));
    cr_expect(strstr(e, "empty"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " buyers=heerlen,\n", e, sizeof e));
    cr_expect(strstr(e, "comma"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " buyers=heerlen,heerlen\n", e, sizeof e));
    cr_expect(strstr(e, "twice"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " buyers=Heer/len\n", e, sizeof e));
    cr_expect(strstr(e, "Heer/len"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " x y buyers=*\n", e, sizeof e));
    cr_expect(strstr(e, "expected"), "%s", e);
    cr_expect_null(gw_auth_from_text("reader " H_R " Bad!Name buyers=*\n", e, sizeof e));
    cr_expect(strstr(e, "name"), "%s", e);
    /* a buyer the registry does not serve: named with the token */
    gw_auth_t *a = gw_auth_from_text("reader " H_R " hrl buyers=heerlen,venlo\n", e, sizeof e);
    cr_assert(a, "%s", e);
    cr_expect_eq(gw_auth_check_buyers(a, s_only_heerlen, NULL, e, sizeof e), -ENOENT);
    cr_expect(strstr(e, "token hrl") && strstr(e, "'venlo'"), "%s", e);
    gw_auth_destroy(&a);
}

Test(gw_auth, bad_files_name_the_line)
{
    char e[256] = "";
    cr_expect_null(gw_auth_from_text("root abc\n", e, sizeof e));
    cr_expect(strstr(e, "line 1") != NULL, "%s", e);
    cr_expect_null(gw_auth_from_text("reader zz49e422f05297191ead13e21d3db520e5abef52055e4964b82fb213f593a1 buyers=*\n", e, sizeof e));
    cr_expect(strstr(e, "hex") != NULL, "%s", e);
    gw_auth_t *a = gw_auth_from_text("", e, sizeof e);
    cr_expect_eq(gw_auth_count(a), 0);
    gw_auth_destroy(&a);
    cr_expect_null(gw_auth_new("/nonexistent/tokens", e, sizeof e));
}

Test(gw_auth, bearer_header)
{
    size_t n = 0;
    const char *t = gw_auth_bearer("Bearer abc ", &n);
    cr_assert(t);
    cr_expect_eq(n, 3);
    cr_expect(strncmp(t, "abc", 3) == 0);
    cr_expect_null(gw_auth_bearer("Basic abc", &n));
    cr_expect_null(gw_auth_bearer("Bearer   ", &n));
    cr_expect_null(gw_auth_bearer(NULL, &n));
    uint8_t x[4] = { 1, 2, 3, 4 }, y[4] = { 1, 2, 3, 5 };
    cr_expect_eq(gw_ct_compare(x, x, 4), 0);
    cr_expect_neq(gw_ct_compare(x, y, 4), 0);
}

Test(gw_view, last_write_wins_by_seq)
{
    gw_view_t *v = gw_view_new();
    cr_expect_eq(gw_view_put(v, "kpi.h.co2.2026", "h", 5, "{\"a\":5}", 7), 1);
    cr_expect_eq(gw_view_put(v, "kpi.h.co2.2026", "h", 4, "{\"a\":4}", 7), 0);   /* older */
    cr_expect_eq(gw_view_put(v, "kpi.h.co2.2026", "h", 5, "{\"a\":5}", 7), 0);   /* same */
    cr_expect_eq(gw_view_put(v, "kpi.h.co2.2026", "h", 9, "{\"a\":9}", 7), 1);
    cr_expect_str_eq(gw_view_get(v, "kpi.h.co2.2026")->json, "{\"a\":9}");
    cr_expect_eq(gw_view_head(v), 9);
    cr_expect_eq(gw_view_count(v), 1);
    gw_view_destroy(&v);
}

Test(gw_view, many_keys_and_since)
{
    gw_view_t *v = gw_view_new();
    char key[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "kpi.%s.co2.2026.tender.T%d", i % 2 ? "a" : "b", i);
        cr_assert_eq(gw_view_put(v, key, i % 2 ? "a" : "b", (uint64_t)(5000 - i), "{}", 2), 1);
    }
    cr_expect_eq(gw_view_count(v), 5000);
    snprintf(key, sizeof key, "kpi.b.co2.2026.tender.T%d", 100);
    cr_expect_eq(gw_view_get(v, key)->seq, 4900);
    const gw_total_t **out = NULL;
    long n = gw_view_since(v, 4990, NULL, &out);
    cr_assert_eq(n, 10);
    for (long i = 1; i < n; i++)
        cr_expect_lt(out[i - 1]->seq, out[i]->seq, "sorted by seq");
    free(out);
    n = gw_view_since(v, 4990, "a", &out);
    cr_expect_eq(n, 5);
    free(out);
    gw_view_destroy(&v);
}

Test(gw_view, render_filters_and_sorts)
{
    gw_view_t *v = gw_view_new();
    gw_view_put(v, "kpi.h.nox.2026", "h", 2, "{\"k\":\"nox\"}", 11);
    gw_view_put(v, "kpi.h.co2.2026", "h", 3, "{\"k\":\"co2\"}", 11);
    gw_view_put(v, "kpi.x.co2.2026", "x", 4, "{\"k\":\"x\"}", 9);
    gw_view_set_epoch(v, 7);
    gw_buf_t b = { 0 };
    cr_assert_eq(gw_view_render(v, "h", NULL, &b), 0);
    cr_expect_str_eq(b.data, "{\"seq\":4,\"epoch\":7,\"count\":2,\"totals\":[{\"k\":\"co2\"},{\"k\":\"nox\"}]}");
    gw_buf_reset(&b);
    cr_assert_eq(gw_view_render(v, "h", "kpi.h.nox.", &b), 0);
    cr_expect(strstr(b.data, "\"count\":1") != NULL);
    gw_buf_free(&b);
    gw_view_destroy(&v);
}

/* Every code of the error space, from a service and from the gateway, with and without
 * request content: the status RFC 9110 gives it (services/gateway/README.md, "Errors"). */
Test(gw_problem, mapping)
{
    static const struct {
        Mvoi__ErrorCode code;
        int own, up_get, up_post;   /* the gateway's; a service's without / with content */
    } want[] = {
        { MVOI__ERROR_CODE__ERR_UNSPECIFIED, 502, 502, 502 },
        { MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, 400, 422, 422 },
        { MVOI__ERROR_CODE__ERR_NOT_FOUND, 404, 404, 404 },
        { MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, 409, 409, 409 },
        { MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, 409, 409, 409 },
        { MVOI__ERROR_CODE__ERR_CONFLICT, 409, 409, 409 },
        { MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, 400, 400, 400 },
        /* a service refusing the gateway's credentials: not a 401 without a challenge */
        { MVOI__ERROR_CODE__ERR_UNAUTHENTICATED, 401, 502, 502 },
        { MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, 403, 403, 403 },
        /* over a bound: the content (413), or what a GET asked cannot be produced (422: a
         * report too large; 413 asked to shrink a body that was not sent) */
        { MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, 422, 422, 413 },
        { MVOI__ERROR_CODE__ERR_UNAVAILABLE, 503, 503, 503 },
        { MVOI__ERROR_CODE__ERR_INTERNAL, 502, 502, 502 },
        /* a service older than the gateway: 502, not 501 (cacheable, "the gateway lacks
         * the method") */
        { MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, 502, 502, 502 },
        { MVOI__ERROR_CODE__ERR_DECODE, 502, 502, 502 },
    };
    cr_assert_eq(sizeof want / sizeof want[0], mvoi__error_code__descriptor.n_values);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        Mvoi__ErrorCode c = want[i].code;
        cr_expect_eq(gw_problem_status(c, false, false), want[i].own, "code %d", (int)c);
        cr_expect_eq(gw_problem_status(c, true, false), want[i].up_get, "code %d", (int)c);
        cr_expect_eq(gw_problem_status(c, true, true), want[i].up_post, "code %d", (int)c);
        /* RFC 9110 10.2.3: only the 503 of a passing shortage says when to ask again */
        cr_expect_eq(gw_problem_retry_after(c), c == MVOI__ERROR_CODE__ERR_UNAVAILABLE ? 2u : 0u,
                     "code %d", (int)c);
    }
    cr_expect_not(gw_problem_detail_public(MVOI__ERROR_CODE__ERR_INTERNAL));
    char f[64] = "register_tender.tender.value_cents";
    gw_problem_field_strip(f, "register_tender");
    cr_expect_str_eq(f, "tender.value_cents");
    strcpy(f, "buyer");
    gw_problem_field_strip(f, "register_tender");
    cr_expect_str_eq(f, "buyer");
    json_t *o = gw_problem_new(422, "invalid-argument", "must not be negative", "tender.value_cents");
    char *s = json_dumps(o, JSON_COMPACT);
    cr_expect_str_eq(s, "{\"type\":\"urn:mvoi:problem:invalid-argument\",\"title\":\"Unprocessable Content\","
                        "\"status\":422,\"detail\":\"must not be negative\",\"field\":\"tender.value_cents\"}");
    free(s);
    json_decref(o);
}

/* A service refusing the gateway's own key (PERMISSION_DENIED on "key", server_auth.c) is
 * the gateway's configuration, not the client's token: 502, named. It was 403 "your token
 * may not". What the service says about the request's buyer (field "buyer", a body's buyer
 * such as kpi_query.key or generate_report.buyer) stays 403. */
Test(gw_problem, the_gateways_key_refused_is_502_a_buyer_403)
{
    const Mvoi__ErrorCode pd = MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
    cr_expect(gw_problem_gateway_key(pd, "key"));
    cr_expect_eq(gw_problem_upstream_status(pd, "key", false), 502);
    cr_expect_eq(gw_problem_upstream_status(pd, "key", true), 502);
    const char *const buyers[] = { "buyer", "kpi_query.key", "generate_report.buyer",
                                   "kpi_series_query.buyer", "", NULL };
    for (size_t i = 0; i < sizeof buyers / sizeof buyers[0]; i++) {
        cr_expect_not(gw_problem_gateway_key(pd, buyers[i]), "%s", buyers[i] ? buyers[i] : "-");
        cr_expect_eq(gw_problem_upstream_status(pd, buyers[i], true), 403, "%s",
                     buyers[i] ? buyers[i] : "-");
    }
    /* "key" with another code is the request's (a KPI key that is not valid) */
    cr_expect_not(gw_problem_gateway_key(MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "key"));
    cr_expect_eq(gw_problem_upstream_status(MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "key", false),
                 422);
}

Test(gw_sse, framing)
{
    char *ev = NULL;
    size_t len = 0;
    gw_sse_pos_t at = { 7, 5, 42, true };
    cr_assert_eq(gw_sse_format(&ev, &len, &at, "kpi", "{\"a\":1}", 7), 0);
    cr_expect_str_eq(ev, "id: 7-5-42\nevent: kpi\ndata: {\"a\":1}\n\n");
    cr_expect_eq(len, strlen(ev));
    free(ev);
    /* a new epoch's empty snapshot still names its position (seq 0) */
    at = (gw_sse_pos_t){ 9, 18446744073709551615ull, 0, true };
    cr_assert_eq(gw_sse_format(&ev, &len, &at, "snapshot", "{}", 2), 0);
    cr_expect_str_eq(ev, "id: 9-18446744073709551615-0\nevent: snapshot\ndata: {}\n\n");
    free(ev);
    cr_assert_eq(gw_sse_format(&ev, &len, NULL, NULL, "a\nb", 3), 0);
    cr_expect_str_eq(ev, "data: a\ndata: b\n\n");
    free(ev);
}

/* A Last-Event-ID is a position only when it is exactly "<epoch>-<incarnation>-<seq>" in
 * uint64s; "<epoch>-<seq>" (the ids before the incarnation was in them) is none. */
Test(gw_sse, id_parse)
{
    gw_sse_pos_t p;
    cr_assert_eq(gw_sse_id_parse("2274369421770233783-9113926373110611021-2445", &p), 0);
    cr_expect(p.have);
    cr_expect_eq(p.epoch, 2274369421770233783ull);
    cr_expect_eq(p.incarnation, 9113926373110611021ull);
    cr_expect_eq(p.seq, 2445);
    cr_assert_eq(gw_sse_id_parse("18446744073709551615-18446744073709551615-"
                                 "18446744073709551615", &p), 0);
    cr_expect_eq(p.epoch, UINT64_MAX);
    cr_expect_eq(p.incarnation, UINT64_MAX);
    cr_expect_eq(p.seq, UINT64_MAX);
    cr_assert_eq(gw_sse_id_parse("0-0-0", &p), 0);
    cr_expect(p.have && p.epoch == 0 && p.incarnation == 0 && p.seq == 0);
    static const char *const bad[] = {
        "", "42", "-42", "7-42", "7--1", "7-1-", "-7-1", "7-4x-1", "7-1-4x", " 7-1-42",
        "7-1-42 ", "+7-1-42", "7-+1-42", "7-1-+42", "7-1-18446744073709551616",
        "7-18446744073709551616-1", "18446744073709551616-1-1", "7-1-42-1", "x-1-1", "7 -1-42",
        "7-1-999999999999999999999999999999999999", "0x7-1-42", "7--", "--", "7-1--42",
        "18446744073709551615-18446744073709551615-184467440737095516150", NULL,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = (gw_sse_pos_t){ 1, 1, 1, true };
        cr_expect_eq(gw_sse_id_parse(bad[i], &p), -EINVAL, "'%s' taken as a position",
                     bad[i] ? bad[i] : "(null)");
        cr_expect(!p.have, "'%s' left a position", bad[i] ? bad[i] : "(null)");
    }
}

/* A string holding a NUL is found at any depth and named by its path; a path too long for
 * the bound names the enclosing field that fits, never a cut part of a name. */
Test(gw_jsonnul, finds_and_names)
{
    char path[GW_JSONNUL_PATH_MAX];
    json_error_t je;
    json_t *o = json_loads("{\"a\":\"x\",\"b\":[1,{\"c\":\"ok\"},{\"d\":\"y\\u0000z\"}]}",
                           JSON_ALLOW_NUL, &je);
    cr_assert(o, "%s", je.text);
    cr_expect(gw_jsonnul_find(o, path));
    cr_expect_str_eq(path, "b[2].d");
    json_decref(o);
    o = json_loads("{\"a\":\"x\",\"b\":[\"\",{\"c\":\"ok\"}]}", JSON_ALLOW_NUL, &je);
    cr_expect_not(gw_jsonnul_find(o, path));
    cr_expect_str_eq(path, "");
    json_decref(o);
    o = json_stringn("\0", 1);
    cr_expect(gw_jsonnul_find(o, path));
    cr_expect_str_eq(path, "");
    json_decref(o);
    /* {"k":{"<300 x>":"\u0000"}}: the inner key does not fit, "k" is named */
    char key[301];
    memset(key, 'x', 300);
    key[300] = '\0';
    o = json_pack("{s:{s:s#}}", "k", key, "\0", (int)1);
    cr_assert(o);
    cr_expect(gw_jsonnul_find(o, path));
    cr_expect_str_eq(path, "k");
    json_decref(o);
}

/* Unix ms of a UTC wall time, by libc's timegm (not the code under test). */
static int64_t s_utc_ms(int y, int mon, int d, int h, int mi, int sec)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = sec };
    return (int64_t)timegm(&tm) * 1000;
}

/* The default year of /api/kpi/{kpi} is Amsterdam's: 31 December 23:30 UTC is 00:30 on
 * 1 January in Amsterdam (CET, +1), already the new year; it was the UTC year, a year
 * behind for that hour. */
Test(gw_year, amsterdam_new_year)
{
    clock_set_fixed(s_utc_ms(2026, 12, 31, 23, 30, 0));
    cr_expect_eq(gw_year_now(), 2027);
    clock_set_fixed(s_utc_ms(2026, 12, 31, 23, 0, 0));     /* 00:00 in Amsterdam */
    cr_expect_eq(gw_year_now(), 2027);
    clock_set_fixed(s_utc_ms(2026, 12, 31, 22, 59, 59));   /* 23:59:59 in Amsterdam */
    cr_expect_eq(gw_year_now(), 2026);
    clock_set_fixed(s_utc_ms(2027, 1, 1, 0, 30, 0));
    cr_expect_eq(gw_year_now(), 2027);
    clock_set_fixed(s_utc_ms(2027, 7, 1, 12, 0, 0));
    cr_expect_eq(gw_year_now(), 2027);
    clock_set_fixed(s_utc_ms(3100, 1, 1, 0, 0, 0));        /* outside 1900..2999: refused */
    cr_expect_eq(gw_year_now(), 0);
    clock_set_source(NULL, NULL);
}
