/*  The gateway's boundary as raw bytes, against the fake kpi-aggregator (epoch 7):
 *  - a request target over 8192 bytes is 414 and header fields over 16384 bytes (or over 100
 *    of them) are 431, each a problem document like every other refusal, not
 *    libmicrohttpd's HTML page; at the limits exactly the request is served; the detail
 *    names the limit in the reader's language;
 *  - a Last-Event-ID is a position only as "<epoch>-<incarnation>-<seq>" of the current
 *    epoch and incarnation within the view: a bare seq, "<epoch>-<seq>", another epoch or
 *    incarnation, the future, a negative, huge or text id gets the full snapshot; a
 *    position of the current history resumes exactly (no snapshot). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gwt.h"

static gwt_env_t E;

static void s_up(void)
{
    cr_assert_eq(gwt_start(&E, NULL), 0, "fake + gateway start (logs in %s)", E.dir);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
}

static void s_down(void) { gwt_stop(&E); }

TestSuite(gateway_limits, .fini = s_down, .timeout = 60);

/* "GET <target> HTTP/1.1" with Host: x, the extra header lines and Connection: close. */
static char *s_get(const char *target, const char *extra)
{
    size_t n = strlen(target) + (extra ? strlen(extra) : 0) + 128;
    char *req = malloc(n);
    int len = snprintf(req, n, "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
                       target, extra ? extra : "");
    char *out = gwt_raw(E.http_port, req, (size_t)len, 5000, NULL);
    free(req);
    cr_assert(out, "no answer to GET of %zu bytes", strlen(target));
    return out;
}

static int s_status(const char *resp)
{
    int st = 0;
    return sscanf(resp, "HTTP/1.1 %d", &st) == 1 ? st : -1;
}

/* status and, when a refusal, a problem document of that slug */
static void s_expect(const char *resp, int status, const char *slug, const char *what)
{
    cr_expect_eq(s_status(resp), status, "%s: %.200s", what, resp);
    if (!slug)
        return;
    cr_expect(strstr(resp, "\r\nContent-Type: application/problem+json") != NULL,
              "%s: not a problem document: %.300s", what, resp);
    const char *body = strstr(resp, "\r\n\r\n");
    json_t *o = body ? json_loads(body + 4, 0, NULL) : NULL;
    cr_assert(o, "%s: the body is not JSON: %.300s", what, body ? body + 4 : resp);
    char type[96];
    snprintf(type, sizeof type, "urn:mvoi:problem:%s", slug);
    cr_expect_str_eq(json_string_value(json_object_get(o, "type")), type, "%s", what);
    cr_expect_eq(json_integer_value(json_object_get(o, "status")), status, "%s", what);
    json_decref(o);
}

static char *s_repeat(const char *head, char c, size_t n)
{
    size_t h = strlen(head);
    char *s = malloc(h + n + 1);
    memcpy(s, head, h);
    memset(s + h, c, n);
    s[h + n] = '\0';
    return s;
}

Test(gateway_limits, uri_and_headers_over_the_limits_are_named_json)
{
    s_up();
    /* "/healthz?" is 9 bytes: 8183 more make the 8192 taken, one more is over */
    char *t = s_repeat("/healthz?", 'a', 8192 - 9);
    char *r = s_get(t, NULL);
    cr_expect_neq(s_status(r), 414, "8192 bytes refused as too long: %.200s", r);
    free(r);
    free(t);
    t = s_repeat("/healthz?", 'a', 8192 - 9 + 1);
    r = s_get(t, NULL);
    s_expect(r, 414, "uri-too-long", "8193-byte target");
    free(r);
    free(t);
    t = s_repeat("/api/kpi?x=", 'a', 50000);   /* far over, still under MHD's own limit */
    r = s_get(t, NULL);
    s_expect(r, 414, "uri-too-long", "50011-byte target");
    free(r);
    free(t);

    /* Host: x = 4+2+1+2 = 9, Connection: close = 10+2+5+2 = 19, X-Pad: v = 5+2+|v|+2:
     * 37 + |v| bytes of header fields */
    char *h = s_repeat("X-Pad: ", 'v', 16384 - 37);
    h = realloc(h, strlen(h) + 3);
    strcat(h, "\r\n");
    r = s_get("/healthz", h);
    s_expect(r, 200, NULL, "16384 bytes of header fields");
    free(r);
    free(h);
    h = s_repeat("X-Pad: ", 'v', 16384 - 37 + 1);
    h = realloc(h, strlen(h) + 3);
    strcat(h, "\r\n");
    r = s_get("/healthz", h);
    s_expect(r, 431, "header-too-large", "16385 bytes of header fields");
    free(r);
    free(h);
    h = s_repeat("X-Pad: ", 'v', 50000);
    h = realloc(h, strlen(h) + 3);
    strcat(h, "\r\n");
    r = s_get("/api/kpi", h);
    s_expect(r, 431, "header-too-large", "50000-byte header");
    free(r);
    free(h);

    /* Host and Connection and 98 more are 100 fields; 99 more are 101 */
    for (int more = 98; more <= 99; more++) {
        char lines[4096] = "";
        for (int i = 0; i < more; i++)
            snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "X-%d: a\r\n", i);
        r = s_get("/healthz", lines);
        if (more == 98)
            s_expect(r, 200, NULL, "100 header fields");
        else
            s_expect(r, 431, "header-too-large", "101 header fields");
        free(r);
    }
}

/* The problem document's detail of resp, compared with want. */
static void s_expect_detail(const char *resp, const char *want, const char *what)
{
    const char *body = strstr(resp, "\r\n\r\n");
    json_t *o = body ? json_loads(body + 4, 0, NULL) : NULL;
    cr_assert(o, "%s: the body is not JSON: %.300s", what, body ? body + 4 : resp);
    const char *got = json_string_value(json_object_get(o, "detail"));
    cr_expect_str_eq(got ? got : "(none)", want, "%s: %s", what, got ? got : "(none)");
    json_decref(o);
}

/* The limit is named in the reader's language: Dutch by default, English when asked. */
Test(gateway_limits, a_limit_is_named_in_the_readers_language)
{
    s_up();
    char *t = s_repeat("/healthz?", 'a', 8192 - 9 + 1);
    char *r = s_get(t, NULL);
    s_expect(r, 414, "uri-too-long", "8193-byte target");
    /* numbers of five digits and more grouped as the language writes them */
    s_expect_detail(r, "het adres van het verzoek is 8193 bytes, er worden er hoogstens "
                       "8192 aangenomen", "414, Dutch");
    free(r);
    r = s_get(t, "Accept-Language: en-GB, nl;q=0.5\r\n");
    s_expect_detail(r, "the request target is 8193 bytes, at most 8192 are taken",
                    "414, English");
    free(r);
    free(t);
    char *h = s_repeat("X-Pad: ", 'v', 16384 - 37 + 1);
    h = realloc(h, strlen(h) + 3);
    strcat(h, "\r\n");
    r = s_get("/healthz", h);
    s_expect(r, 431, "header-too-large", "16385 bytes of header fields");
    s_expect_detail(r, "de kopregels zijn samen 16.385 bytes, er worden er hoogstens 16.384 "
                       "aangenomen", "431, Dutch");
    free(r);
    free(h);
    char lines[4096] = "Accept-Language: en\r\n";
    for (int i = 0; i < 98; i++)
        snprintf(lines + strlen(lines), sizeof lines - strlen(lines), "X-%d: a\r\n", i);
    r = s_get("/healthz", lines);
    s_expect(r, 431, "header-too-large", "101 header fields");
    s_expect_detail(r, "the request has 101 header fields, at most 100 are taken",
                    "431, English");
    free(r);
}

/* The first of snapshot / kpi a stream opened with Last-Event-ID lei sends ("" if none). */
static const char *s_first_event(const char *lei)
{
    size_t n = strlen(lei) + 256;
    char *req = malloc(n);
    int len = snprintf(req, n, "GET /api/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: %s\r\n\r\n",
                       lei);
    char *out = gwt_raw(E.http_port, req, (size_t)len, 1500, "\nevent: snapshot\n");
    free(req);
    cr_assert(out);
    const char *snap = strstr(out, "\nevent: snapshot\n"), *kpi = strstr(out, "\nevent: kpi\n");
    const char *first = !snap && !kpi ? "" : !kpi || (snap && snap < kpi) ? "snapshot" : "kpi";
    free(out);
    return first;
}

Test(gateway_limits, last_event_id_is_a_position_of_this_epoch_or_none)
{
    s_up();
    gwt_sse_t *s = gwt_sse_open(E.http_port, NULL);
    cr_assert(s);
    for (int i = 0; i < 3 && gwt_sse_snapshots(s) == 0; i++)
        cr_assert_geq(gwt_sse_read(s, 5000, 0, 1), 1);
    cr_assert_eq(gwt_sse_snapshots(s), 1);
    char snap_id[64];
    snprintf(snap_id, sizeof snap_id, "%s", gwt_sse_last_raw(s));
    uint64_t snap_seq = gwt_sse_last_id(s);
    /* "<epoch 7>-<incarnation>-<seq>": the incarnation is the fake's, minted at its start */
    uint64_t inc = 0;
    char want[64];
    cr_assert_eq(sscanf(snap_id, "7-%" SCNu64 "-", &inc), 1, "snapshot id '%s'", snap_id);
    snprintf(want, sizeof want, "7-%" PRIu64 "-%" PRIu64, inc, snap_seq);
    cr_expect_str_eq(snap_id, want, "the snapshot's id is not <epoch 7>-<incarnation>-<seq>");
    gwt_sse_close(s);                               /* away while 300 updates come */
    uint64_t last = gwt_fake_generate(E.api, 300, 0);
    cr_assert(last > snap_seq);
    uint64_t fseq = 0;
    for (int i = 0; i < 100 && fseq < last; i++) {
        json_decref(gwt_fake_state(E.api, &fseq));
        if (fseq < last)
            usleep(20000);
    }
    /* from the snapshot's position: exactly the totals changed since, no snapshot */
    cr_assert_eq(gwt_sse_reopen(s, E.http_port), 0);
    gwt_sse_read(s, 5000, last, 0);
    cr_expect_eq(gwt_sse_snapshots(s), 1, "a resume of this epoch was answered with a snapshot");
    cr_expect_eq(gwt_sse_last_id(s), last);
    json_t *truth = gwt_fake_state(E.api, &fseq), *mine = gwt_sse_state(s);
    cr_expect(json_equal(truth, mine), "the resumed totals differ from the aggregator's");
    json_decref(truth);
    json_decref(mine);
    gwt_sse_free(s);

    char ids[11][64];
    snprintf(ids[0], 64, "%" PRIu64, snap_seq);               /* a bare seq (before epochs) */
    snprintf(ids[1], 64, "8-%" PRIu64 "-%" PRIu64, inc, snap_seq);    /* another epoch */
    snprintf(ids[2], 64, "7-%" PRIu64 "-%" PRIu64, inc, last + 1000); /* the future */
    snprintf(ids[3], 64, "7-%" PRIu64 "--%" PRIu64, inc, snap_seq);   /* negative */
    snprintf(ids[4], 64, "7-%" PRIu64 "-18446744073709551616", inc);  /* 2^64: over uint64 */
    snprintf(ids[5], 64, "18446744073709551623-%" PRIu64 "-%" PRIu64, inc, snap_seq);
    snprintf(ids[6], 64, "7-%" PRIu64 "-%" PRIu64 "x", inc, snap_seq);   /* text after */
    snprintf(ids[7], 64, "7-%" PRIu64 "-%" PRIu64 ".0", inc, snap_seq);
    /* another start of the aggregator: a history this gateway may never have heard of */
    snprintf(ids[8], 64, "7-%" PRIu64 "-%" PRIu64, inc + 1, snap_seq);
    snprintf(ids[9], 64, "7-%" PRIu64, snap_seq);             /* "<epoch>-<seq>": before it */
    snprintf(ids[10], 64, "7-%" PRIu64 "-%" PRIu64 "-0", inc, snap_seq);
    for (int i = 0; i < 11; i++)
        cr_expect_str_eq(s_first_event(ids[i]), "snapshot", "Last-Event-ID '%s'", ids[i]);
    char *huge = s_repeat("7-", '9', 10000);
    cr_expect_str_eq(s_first_event(huge), "snapshot", "a 10002-byte Last-Event-ID");
    free(huge);
    /* and the position of this epoch still resumes */
    snprintf(want, sizeof want, "7-%" PRIu64 "-%" PRIu64, inc, snap_seq);
    cr_expect_str_eq(s_first_event(want), "kpi", "Last-Event-ID '%s'", want);
}

/* Read your own writes across a wipe: the aggregator's barrier Ack names the epoch of its
 * head. A view of another epoch has not reached that head, whatever its seq: a wiped
 * aggregator counts its seqs again from 1, and until the gateway's next heartbeat the old
 * view (epoch 7, higher seqs) passed for caught up and served the old totals as holding
 * the write. The fake answers the barrier at once with its head; --ack-epoch 8 makes that
 * head another epoch's. */
Test(gateway_limits, read_your_writes_needs_a_view_of_the_acks_epoch)
{
    s_up();
    char *r = s_get("/api/kpi?after_seq=1&wait_ms=3000", NULL);
    cr_expect_eq(s_status(r), 200, "the same epoch: %s", r);
    free(r);
    gwt_stop(&E);
    gwt_fake_args = "--ack-epoch 8";
    s_up();
    gwt_fake_args = NULL;
    r = s_get("/api/kpi?after_seq=1&wait_ms=600", NULL);
    cr_expect_eq(s_status(r), 504, "a view of epoch 7 against a head of epoch 8: %s", r);
    cr_expect(strstr(r, "not-applied-yet"), "%s", r);
    free(r);
}

/* Reads s until its first snapshot (a status event may come first): true once it came. */
static bool s_snapshot(gwt_sse_t *s)
{
    for (int i = 0; i < 3 && gwt_sse_snapshots(s) == 0; i++)
        if (gwt_sse_read(s, 5000, 0, 1) < 1)
            return false;
    return gwt_sse_snapshots(s) == 1;
}

/* The open metric value of name in /metrics, -1 when absent. */
static long long s_metric(const char *name)
{
    char *m = s_get("/metrics", NULL);
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *at = strstr(m, pat);
    long long v = at ? strtoll(at + strlen(pat), NULL, 10) : -1;
    free(m);
    return v;
}

/* SSE streams are bounded (sse_max_clients, here 2): one more is 503 too-many-streams with
 * Retry-After, named in the reader's language, while the API still answers; a stream that
 * closed makes room. Before, every stream was taken until connection_limit: streams alone
 * could hold every connection, and an API request then got no answer at all. */
Test(gateway_limits, streams_are_bounded_and_the_refusal_is_named)
{
    /* heartbeats every 200 ms: a stream the client closed is seen closed at the next one */
    const char *env[] = { "MVOI_GATEWAY_SSE_MAX_CLIENTS=2", "MVOI_GATEWAY_SSE_HEARTBEAT_MS=200",
                          NULL };
    cr_assert_eq(gwt_start(&E, env), 0, "fake + gateway start (logs in %s)", E.dir);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
    gwt_sse_t *a = gwt_sse_open(E.http_port, NULL), *b = gwt_sse_open(E.http_port, NULL);
    cr_assert(a && b);
    cr_assert(s_snapshot(a), "stream 1");
    cr_assert(s_snapshot(b), "stream 2");

    char *r = s_get("/api/stream", NULL);
    s_expect(r, 503, "too-many-streams", "a third stream");
    cr_expect(strstr(r, "\r\nRetry-After: 5\r\n") != NULL, "no Retry-After: %.300s", r);
    cr_expect(strstr(r, "er zijn 2 stromen open, zoveel als deze gateway bedient") != NULL,
              "not named in Dutch: %.400s", r);
    free(r);
    r = s_get("/api/stream?lang=en", NULL);
    cr_expect(strstr(r, "2 streams are open, as many as this gateway serves") != NULL,
              "not named in English: %.400s", r);
    free(r);
    r = s_get("/api/kpi", NULL);
    s_expect(r, 200, NULL, "the API beside two streams");
    free(r);
    cr_expect_eq(s_metric("mvoi_gateway_stream_refused_total"), 2);

    gwt_sse_free(a);   /* closed: room for one more */
    for (int i = 0; i < 50 && s_metric("mvoi_gateway_stream_clients") != 1; i++)
        usleep(100000);
    cr_assert_eq(s_metric("mvoi_gateway_stream_clients"), 1, "the closed stream is still held");
    gwt_sse_t *c = gwt_sse_open(E.http_port, NULL);
    cr_assert(c);
    cr_expect(s_snapshot(c), "a stream after one closed");
    gwt_sse_free(b);
    gwt_sse_free(c);
}
