/*  GenerateReport requests at the report service's boundary, in-process, with two buyers
 *  that use the same request ids.
 *
 *  1. A job whose gathering cannot even start is answered, not lost. The service starts a
 *     queued job at once when its queue is idle; when that start fails on the spot (here:
 *     upstream endpoints the socket layer refuses, as it refuses every socket once the
 *     process is out of file descriptors), the job is answered and freed inside the call.
 *     The requester used to be recorded on the job only after it, on freed memory: no
 *     answer, and a write after free.
 *  2. Request ids are the client's, and clients are many buyers: venlo's "r-1" is not
 *     heerlen's. Stored replies and jobs in flight were matched by the request id alone,
 *     so venlo's "r-1" got heerlen's report (its buyer, its files) back.
 *  3. A report reads its own writes: it waits until the aggregator has applied what the
 *     calendar and the impact-calculator had acknowledged when it began, and refuses by
 *     name when that does not come, instead of leaving measurements out.
 *  4. A request's files become the period's set all at once or not at all, also when the
 *     process is killed part way (rp_stage.h); a repeat whose files a later request
 *     replaced is refused by name, not answered with paths that now hold other files.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "clock.h"
#include "envelope.pb-c.h"
#include "harness.h"
#include "log.h"
#include "report.h"
#include "report_service.h"
#include "rp_stage.h"

#define S_CLIENTS 2

static const char *s_buyers[S_CLIENTS] = { "heerlen", "venlo" };

typedef struct {
    rp_service_t *svc;
    void *dealer[S_CLIENTS];
    const char *rid[S_CLIENTS];    /* this round's request per client, NULL: none */
    Mvoi__Envelope *reply[S_CLIENTS];
    int64_t deadline;
    bool sent;
    uv_timer_t t;
} s_run_t;

static uint32_t s_quarter = 1;   /* the quarter every GenerateReport of a round asks for */
/* the formats every GenerateReport of a round asks for (0-terminated; none: json) and the
 * Chromium the service prints PDFs with ("": none) */
static Mvoi__ReportFormat s_formats[8];
static const char *s_chromium = "";
static const char *s_lang[S_CLIENTS];   /* each client's Envelope.lang (NULL: none, Dutch) */
static const char *s_glang;   /* GenerateReport.lang of a round (NULL: the service's, nl) */

static void s_send(void *dealer, const char *buyer, const char *rid, const char *lang)
{
    Mvoi__GenerateReport g = MVOI__GENERATE_REPORT__INIT;
    Mvoi__ReportFormat f[1] = { MVOI__REPORT_FORMAT__FMT_JSON };
    g.buyer = (char *)buyer;
    g.has_year = 1;
    g.year = 2026;
    g.has_quarter = 1;
    g.quarter = s_quarter;
    g.n_formats = 1;
    g.formats = f;
    g.lang = (char *)s_glang;
    if (s_formats[0]) {
        for (g.n_formats = 0; g.n_formats < 8 && s_formats[g.n_formats]; g.n_formats++)
            ;
        g.formats = s_formats;
    }
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.buyer = (char *)buyer;
    e.lang = (char *)lang;
    e.body_case = MVOI__ENVELOPE__BODY_GENERATE_REPORT;
    e.generate_report = &g;
    uint8_t b[1024];
    size_t n = mvoi__envelope__get_packed_size(&e);
    cr_assert(n <= sizeof b);
    mvoi__envelope__pack(&e, b);
    cr_assert_eq(zmq_send(dealer, b, n, 0), (int)n);
}

/* Both requests of the round at once (so that both are queued together), then the
 * answers; the loop ends when every client with a request has one, or at the deadline. */
static void s_tick(uv_timer_t *t)
{
    s_run_t *r = t->data;
    if (!r->sent) {
        for (int i = 0; i < S_CLIENTS; i++)
            if (r->rid[i])
                s_send(r->dealer[i], s_buyers[i], r->rid[i], s_lang[i]);
        r->sent = true;
    }
    bool all = true;
    for (int i = 0; i < S_CLIENTS; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (r->rid[i] && !r->reply[i] && zmq_msg_recv(&m, r->dealer[i], ZMQ_DONTWAIT) >= 0)
            r->reply[i] = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        all &= !r->rid[i] || r->reply[i] != NULL;
    }
    if (all || clock_mono_ns() / 1000000 > r->deadline) {
        uv_timer_stop(t);
        uv_close((uv_handle_t *)t, NULL);
        rp_service_stop(r->svc);
    }
}

typedef struct {
    char dir[128], data[256], reports[256], api[200], pub[200], up[400];
    char impact[400];   /* the impact-calculator's endpoint; empty: the fake's (up) */
    pid_t fake;
} s_env_t;

/* The fake upstream serving the 2026 data set of nt tenders (dataset.c) and 500 measurements. */
static void s_fake_start(s_env_t *e, const char *nt)
{
    char bin[512];
    h_bin(bin, sizeof bin, "tests/integration/report/mvoi-report-fakeup");
    e->fake = fork();
    if (e->fake == 0) {
        execl(bin, bin, e->up, "2026", nt, "500", (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(h_wait_healthy(e->up, 5000), 0);
}

static void s_env_init(s_env_t *e, bool with_upstream)
{
    log_init("report-test", "text", "error");
    memset(e, 0, sizeof *e);
    h_tmpdir(e->dir, sizeof e->dir);
    snprintf(e->data, sizeof e->data, "%s/data", e->dir);
    snprintf(e->reports, sizeof e->reports, "%s/reports", e->dir);
    snprintf(e->api, sizeof e->api, "ipc://%s/api", e->dir);
    snprintf(e->pub, sizeof e->pub, "ipc://%s/pub", e->dir);
    if (!with_upstream) {
        /* an ipc path longer than a socket address holds: zmq_connect refuses it at once */
        snprintf(e->up, sizeof e->up, "ipc://%s/%0200d", e->dir, 0);
        return;
    }
    snprintf(e->up, sizeof e->up, "ipc://%s/up", e->dir);
    s_fake_start(e, "20");
}

static void s_env_fini(s_env_t *e)
{
    if (e->fake > 0) {
        kill(e->fake, SIGTERM);
        waitpid(e->fake, NULL, 0);
    }
    h_tmpdir_remove(e->dir);
}

/* One service instance: sends this round's requests (rid per client, NULL: none) and
 * collects the answers into reply[] (the caller frees them). Returns reports generated. */
static uint64_t s_round(s_env_t *e, const char *rid[S_CLIENTS], Mvoi__Envelope *reply[S_CLIENTS])
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    rp_service_opts_t o = { .data_dir = e->data, .reports_dir = e->reports, .api = e->api,
                            .pub = e->pub, .kpi_api = e->up, .calendar_api = e->up,
                            .impact_api = e->impact[0] ? e->impact : e->up,
                            .chromium = s_chromium, .lang = TEXT_NL,
                            .nosync = true };
    int err = 0;
    rp_service_t *svc = rp_service_new(&loop, ctx, &o, &err);
    cr_assert(svc, "service: %d", err);
    void *zctx = zmq_ctx_new();
    s_run_t r = { .svc = svc, .deadline = clock_mono_ns() / 1000000 + 10000 };
    for (int i = 0; i < S_CLIENTS; i++) {
        r.rid[i] = rid[i];
        r.dealer[i] = zmq_socket(zctx, ZMQ_DEALER);
        int zero = 0;
        zmq_setsockopt(r.dealer[i], ZMQ_LINGER, &zero, sizeof zero);
        cr_assert_eq(zmq_connect(r.dealer[i], e->api), 0);
    }
    uv_timer_init(&loop, &r.t);
    r.t.data = &r;
    uv_timer_start(&r.t, s_tick, 50, 10);
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int i = 0; i < S_CLIENTS; i++) {
        reply[i] = r.reply[i];
        zmq_close(r.dealer[i]);
    }
    zmq_ctx_term(zctx);
    uint64_t n = rp_service_generated(svc);
    rp_service_destroy(&svc);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return n;
}

static void s_free(Mvoi__Envelope *reply[S_CLIENTS])
{
    for (int i = 0; i < S_CLIENTS; i++)
        if (reply[i])
            mvoi__envelope__free_unpacked(reply[i], NULL);
}

Test(report_requests, a_job_that_cannot_start_is_answered, .timeout = 30)
{
    s_env_t e;
    s_env_init(&e, false);
    const char *rid[S_CLIENTS] = { "r-1", "r-1" };
    Mvoi__Envelope *reply[S_CLIENTS];
    cr_expect_eq(s_round(&e, rid, reply), 0);
    for (int i = 0; i < S_CLIENTS; i++) {
        Mvoi__Envelope *r = reply[i];
        cr_expect(r, "%s: no answer to a report that could not start", s_buyers[i]);
        if (!r)
            continue;
        cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s: body %d", s_buyers[i],
                     (int)r->body_case);
        if (r->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
            cr_expect(r->error->message   /* in Dutch: the requests name no lang */
                      && strstr(r->error->message, "de andere diensten zijn niet bereikbaar"),
                      "%s: %s", s_buyers[i], r->error->message ? r->error->message : "(none)");
        }
        cr_expect_str_eq(r->request_id ? r->request_id : "", "r-1");
        cr_expect_str_eq(r->buyer ? r->buyer : "", s_buyers[i]);
    }
    s_free(reply);
    s_env_fini(&e);
}

/* The reply is this buyer's own: its buyer, and every file under reports/<buyer>/. */
static void s_expect_own(s_env_t *e, const Mvoi__Envelope *r, int who, const char *when)
{
    cr_assert(r, "%s, %s: no answer", when, s_buyers[who]);
    cr_expect_str_eq(r->buyer ? r->buyer : "", s_buyers[who], "%s: the answer is %s's", when,
                     r->buyer ? r->buyer : "(none)");
    if (r->body_case != MVOI__ENVELOPE__BODY_REPORT_REPLY)
        return;   /* a refusal is the buyer's own too (the fake upstream serves heerlen) */
    char prefix[400];
    snprintf(prefix, sizeof prefix, "%s/%s/", e->reports, s_buyers[who]);
    for (size_t f = 0; f < r->report_reply->n_files; f++) {
        const char *p = r->report_reply->files[f]->path;
        cr_expect(p && strncmp(p, prefix, strlen(prefix)) == 0, "%s, %s: a file of another "
                  "buyer: %s", when, s_buyers[who], p ? p : "(none)");
    }
}

Test(report_requests, two_buyers_with_the_same_request_id, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, true);
    Mvoi__Envelope *reply[S_CLIENTS];
    /* heerlen's "r-1" alone: generated and its reply stored */
    const char *first[S_CLIENTS] = { "r-1", NULL };
    cr_assert_eq(s_round(&e, first, reply), 1);
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY,
              "heerlen's report: body %d", reply[0] ? (int)reply[0]->body_case : -1);
    s_expect_own(&e, reply[0], 0, "generated");
    s_free(reply);
    /* venlo's "r-1" after it (a new instance: from the store): not heerlen's stored reply */
    const char *second[S_CLIENTS] = { NULL, "r-1" };
    s_round(&e, second, reply);
    s_expect_own(&e, reply[1], 1, "stored reply");
    s_free(reply);
    /* both send "r-2" at once: the second is not joined to the first's job */
    const char *both[S_CLIENTS] = { "r-2", "r-2" };
    s_round(&e, both, reply);
    s_expect_own(&e, reply[0], 0, "in flight");
    s_expect_own(&e, reply[1], 1, "in flight");
    s_free(reply);
    /* heerlen's "r-1" again: its own stored reply, nothing generated */
    cr_expect_eq(s_round(&e, first, reply), 0, "a repeated request id generated again");
    s_expect_own(&e, reply[0], 0, "repeat");
    s_free(reply);
    s_env_fini(&e);
}

/* A request id used for another report: Q2 under the id Q1 was generated under was
 * answered with the Q1 files, the wrong quarter as success. Refused by name; the same
 * request again still gets its stored reply. */
Test(report_requests, a_request_id_reused_for_another_report_is_refused, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, true);
    Mvoi__Envelope *reply[S_CLIENTS];
    const char *first[S_CLIENTS] = { "r-q", NULL };
    s_quarter = 1;
    cr_assert_eq(s_round(&e, first, reply), 1);
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY);
    s_free(reply);
    s_quarter = 2;                      /* the same id, another quarter */
    cr_expect_eq(s_round(&e, first, reply), 0, "generated under a used id");
    cr_assert(reply[0], "no answer");
    cr_expect_eq(reply[0]->body_case, MVOI__ENVELOPE__BODY_ERROR, "body %d",
                 (int)reply[0]->body_case);
    if (reply[0]->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        cr_expect_eq(reply[0]->error->code, MVOI__ERROR_CODE__ERR_CONFLICT);
        cr_expect_str_eq(reply[0]->error->field, "request_id");
    }
    s_free(reply);
    s_quarter = 1;                      /* a retry of the first: its stored reply */
    cr_expect_eq(s_round(&e, first, reply), 0);
    cr_expect(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY);
    s_free(reply);
    s_env_fini(&e);
}

/* Request ids of up to 128 bytes, as every other service takes them (the report service
 * refused 128), and one byte more refused by name. No upstream here: an accepted request
 * is answered "cannot reach the upstream services". */
Test(report_requests, request_ids_up_to_128_bytes, .timeout = 30)
{
    s_env_t e;
    s_env_init(&e, false);
    static char rid128[130], rid129[131];
    memset(rid128, 'r', 128);
    memset(rid129, 'r', 129);
    const char *rid[S_CLIENTS] = { rid128, rid129 };
    Mvoi__Envelope *reply[S_CLIENTS];
    s_round(&e, rid, reply);
    cr_assert(reply[0] && reply[1], "no answer");
    cr_assert_eq(reply[0]->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(reply[0]->error->code, MVOI__ERROR_CODE__ERR_INTERNAL, "128 bytes: %s",
                 reply[0]->error->message);
    cr_assert_eq(reply[1]->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(reply[1]->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(reply[1]->error->field, "request_id");
    s_free(reply);
    s_env_fini(&e);
}

/* heerlen's "r-1" alone on a fresh instance; `generated` reports expected; the answer
 * (free with s_free1). */
static Mvoi__Envelope *s_heerlen_r1(s_env_t *e, uint64_t generated)
{
    Mvoi__Envelope *reply[S_CLIENTS];
    const char *rid[S_CLIENTS] = { "r-1", NULL };
    cr_expect_eq(s_round(e, rid, reply), generated);
    cr_assert(reply[0], "no answer");
    return reply[0];
}

static void s_free1(Mvoi__Envelope *r) { mvoi__envelope__free_unpacked(r, NULL); }

/* A fake whose producers' heads are 41 and whose aggregator answers "not yet" for impact's
 * head `times` times (-1: always). */
static void s_lagging_init(s_env_t *e, const char *times)
{
    setenv("FAKEUP_HEAD", "41", 1);
    setenv("FAKEUP_LAG_PRODUCER", "impact", 1);
    setenv("FAKEUP_LAG_TIMES", times, 1);
    s_env_init(e, true);
}

static void s_lagging_fini(s_env_t *e)
{
    s_env_fini(e);
    unsetenv("FAKEUP_HEAD");
    unsetenv("FAKEUP_LAG_PRODUCER");
    unsetenv("FAKEUP_LAG_TIMES");
}

/* The aggregator answers "not yet" three times for impact's head, then applies it: the
 * report waits and is written. */
Test(report_requests, a_report_waits_until_the_totals_hold_every_acknowledged_event,
     .timeout = 30)
{
    s_env_t e;
    s_lagging_init(&e, "3");
    Mvoi__Envelope *r = s_heerlen_r1(&e, 1);
    cr_expect(r->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY, "body %d: %s",
              (int)r->body_case,
              r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    s_free1(r);
    s_lagging_fini(&e);
}

/* The aggregator never gets there: no report, a refusal that says why (in the requester's
 * language: English asked, Dutch by default; the aggregator's own words quoted), and no
 * file. */
Test(report_requests, a_report_the_totals_cannot_catch_up_with_is_refused_by_name,
     .timeout = 60)
{
    const char *langs[2] = { "en", NULL };
    const char *says[2] = { "the kpi-aggregator has not applied every impact event yet",
                            "de kpi-aggregator heeft nog niet elke gebeurtenis van impact "
                            "verwerkt" };
    for (int i = 0; i < 2; i++) {
        s_env_t e;
        s_lagging_init(&e, "-1");
        s_lang[0] = langs[i];
        Mvoi__Envelope *r = s_heerlen_r1(&e, 0);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
        cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
        cr_expect_str_eq(r->error->field, "generate_report");
        cr_expect(r->error->message && strstr(r->error->message, says[i]) &&
                  strstr(r->error->message, "not yet 41"), "lang %s: %s",
                  langs[i] ? langs[i] : "(none)",
                  r->error->message ? r->error->message : "(none)");
        char dir[400];
        snprintf(dir, sizeof dir, "%s/heerlen", e.reports);
        cr_expect_neq(access(dir, F_OK), 0, "files were written for a refused report (%s)",
                      dir);
        s_free1(r);
        s_lagging_fini(&e);
    }
    s_lang[0] = NULL;
}

/* An impact-calculator that does not answer: its head is unknown, so is whether the totals
 * hold every acknowledged measurement; refused by name, not written without them. */
Test(report_requests, a_report_without_the_impact_calculators_head_is_refused_by_name,
     .timeout = 60)
{
    const char *langs[3] = { NULL, "nl", "en" };
    for (int i = 0; i < 3; i++) {
        s_env_t e;
        s_env_init(&e, true);
        snprintf(e.impact, sizeof e.impact, "ipc://%s/nobody", e.dir);
        s_lang[0] = langs[i];
        Mvoi__Envelope *r = s_heerlen_r1(&e, 0);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
        cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
        cr_expect(r->error->message
                  && strstr(r->error->message, i == 2 ? "impact-calculator did not answer "
                                                        "within 2000 ms"
                                                      : "de impact-calculator antwoordde niet "
                                                        "binnen 2000 ms"),
                  "lang %s: %s", langs[i] ? langs[i] : "(none)",
                  r->error->message ? r->error->message : "(none)");
        s_free1(r);
        s_env_fini(&e);
    }
    s_lang[0] = NULL;
}

/* The same request id from two buyers in one round, each answered in its own language
 * (Envelope.lang; none: Dutch); a language the service cannot answer in refused by name,
 * in Dutch. No upstream: an accepted request is refused "cannot reach the upstream
 * services", the code and field as they were. */
Test(report_requests, two_buyers_same_id_each_refused_in_its_language, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, false);
    const char *pairs[3][S_CLIENTS] = { { NULL, "en" }, { "en", "nl" }, { "nl", NULL } };
    const char *rid[S_CLIENTS] = { "r-1", "r-1" };
    Mvoi__Envelope *reply[S_CLIENTS];
    for (int p = 0; p < 3; p++) {
        s_lang[0] = pairs[p][0];
        s_lang[1] = pairs[p][1];
        s_round(&e, rid, reply);
        for (int i = 0; i < S_CLIENTS; i++) {
            Mvoi__Envelope *r = reply[i];
            cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_ERROR, "%s: no refusal",
                      s_buyers[i]);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
            cr_expect_str_eq(r->error->field, "generate_report");
            cr_expect_str_eq(r->buyer ? r->buyer : "", s_buyers[i]);
            bool en = s_lang[i] && !strcmp(s_lang[i], "en");
            cr_expect_str_eq(r->error->message, en ? "cannot reach the upstream services"
                                                   : "de andere diensten zijn niet bereikbaar",
                             "%s, lang %s", s_buyers[i], s_lang[i] ? s_lang[i] : "(none)");
        }
        s_free(reply);
    }
    s_lang[0] = "fr";
    s_lang[1] = "EN";
    s_round(&e, rid, reply);
    for (int i = 0; i < S_CLIENTS; i++) {
        cr_assert(reply[i] && reply[i]->body_case == MVOI__ENVELOPE__BODY_ERROR);
        cr_expect_eq(reply[i]->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
        cr_expect_str_eq(reply[i]->error->field, "lang");
        cr_expect_str_eq(reply[i]->error->message, i == 0 ? "'fr' is geen taal: nl of en"
                                                          : "'EN' is geen taal: nl of en");
    }
    s_free(reply);
    s_lang[0] = s_lang[1] = NULL;
    s_env_fini(&e);
}

/* Out of memory at each allocation of the report's input and model in turn (the first
 * fails, then the second, ... until one round needs no more than it gets): each round is
 * refused by name, with ENOMEM and what was being done, in the requester's language
 * (Dutch by default), no file is written and nothing is stored, so the same request id
 * generates the report at the end. The gathering had skipped the item and gone on (a
 * report without it, answered as written); a failed model build was "out of memory" for
 * any cause, without the error's name. */
Test(report_requests, out_of_memory_while_gathering_is_refused_by_name, .timeout = 120)
{
    s_env_t e;
    s_env_init(&e, true);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/heerlen", e.reports);
    int gathering = 0, building = 0;
    long k = 0;
    for (;; k++) {
        cr_assert_lt(k, 200, "still out of memory after 200 allocations");
        Mvoi__Envelope *reply[S_CLIENTS];
        const char *rid[S_CLIENTS] = { "r-1", NULL };
        rp_input_fail_growth_after(k);
        uint64_t generated = s_round(&e, rid, reply);
        rp_input_fail_growth_after(-1);
        Mvoi__Envelope *r = reply[0];
        cr_assert(r, "no answer");
        cr_expect_eq(generated, r->body_case != MVOI__ENVELOPE__BODY_ERROR);
        if (r->body_case != MVOI__ENVELOPE__BODY_ERROR) {
            cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_REPORT_REPLY, "body %d",
                         (int)r->body_case);
            s_free1(r);
            break;
        }
        const char *m = r->error->message ? r->error->message : "(none)";
        cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "%ld: %s", k, m);
        cr_expect_str_eq(r->error->field, "generate_report");
        bool g = strstr(m, "onvoldoende geheugen bij het verzamelen van") &&
                 strstr(m, "(ENOMEM): er is geen rapport geschreven");
        bool b = strstr(m, "het rapport kon niet worden opgesteld: ENOMEM; er is geen rapport "
                           "geschreven") != NULL;
        cr_expect(g || b, "allocation %ld failed: %s", k, m);
        gathering += g;
        building += b;
        cr_expect_neq(access(dir, F_OK), 0, "files were written for a refused report");
        s_free1(r);
    }
    cr_expect_gt(gathering, 0);
    cr_expect_gt(building, 0);
    s_env_fini(&e);
}

/* A request that cannot be queued (its job's calloc fails) is refused as a passing shortage,
 * ERR_UNAVAILABLE "onvoldoende geheugen" naming generate_report, nothing written; the same
 * request id asked again later generates the report. It was ERR_RESOURCE_EXHAUSTED, which
 * the gateway answers 413 "too large": a request that was not too large, told so. */
Test(report_requests, out_of_memory_queueing_is_unavailable_not_too_large, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, true);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/heerlen", e.reports);
    const char *rid[S_CLIENTS] = { "r-1", NULL };
    Mvoi__Envelope *reply[S_CLIENTS];
    rp_service_fail_enqueue(true);
    uint64_t generated = s_round(&e, rid, reply);
    rp_service_fail_enqueue(false);
    Mvoi__Envelope *r = reply[0];
    cr_assert(r, "no answer");
    cr_expect_eq(generated, 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "body %d", (int)r->body_case);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "code %d", (int)r->error->code);
    cr_expect_str_eq(r->error->field ? r->error->field : "", "generate_report");
    cr_expect_str_eq(r->error->message ? r->error->message : "", "onvoldoende geheugen");
    cr_expect_neq(access(dir, F_OK), 0, "files were written for a refused report");
    s_free1(r);
    generated = s_round(&e, rid, reply);
    cr_assert(reply[0], "no answer");
    cr_expect_eq(generated, 1);
    cr_expect_eq(reply[0]->body_case, MVOI__ENVELOPE__BODY_REPORT_REPLY, "body %d",
                 (int)reply[0]->body_case);
    s_free1(reply[0]);
    s_env_fini(&e);
}

/* The names in a directory, sorted and joined by spaces ("" when it is empty or missing). */
static void s_listing(const char *dir, char *out, size_t cap)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s' 2>/dev/null | tr '\\n' ' '", dir);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = '\0';
    if (p)
        pclose(p);
}

/* A request's formats are all written or none: html + csv + pdf with a Chromium that prints
 * nothing is refused, and the period's directory is as the request before left it (its
 * html the same file, no csv, no pdf, no staging directory). The html and csv had been
 * written in place before the PDF failed: a half set beside the reports, the earlier
 * report's html replaced. */
Test(report_requests, a_request_that_fails_part_way_leaves_no_files, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, true);
    const char *rid[S_CLIENTS] = { "r-html", NULL };
    Mvoi__Envelope *reply[S_CLIENTS];
    s_formats[0] = MVOI__REPORT_FORMAT__FMT_HTML;
    s_formats[1] = 0;
    cr_expect_eq(s_round(&e, rid, reply), 1);
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY &&
              reply[0]->report_reply->n_files == 1, "the html report was not written");
    char html[4200], dir[4200];
    snprintf(html, sizeof html, "%s", reply[0]->report_reply->files[0]->path);
    snprintf(dir, sizeof dir, "%s", html);
    *strrchr(dir, '/') = '\0';
    s_free1(reply[0]);
    struct stat before;
    cr_assert_eq(stat(html, &before), 0);
    char was[1024];
    s_listing(dir, was, sizeof was);

    rid[0] = "r-all";
    s_formats[0] = MVOI__REPORT_FORMAT__FMT_HTML;
    s_formats[1] = MVOI__REPORT_FORMAT__FMT_CSV;
    s_formats[2] = MVOI__REPORT_FORMAT__FMT_PDF;
    s_formats[3] = 0;
    s_chromium = "/bin/false";   /* starts, prints no PDF */
    cr_expect_eq(s_round(&e, rid, reply), 0);
    s_chromium = "";
    s_formats[0] = 0;
    cr_assert(reply[0], "no answer");
    cr_expect_eq(reply[0]->body_case, MVOI__ENVELOPE__BODY_ERROR, "body %d",
                 (int)reply[0]->body_case);
    s_free1(reply[0]);
    char now[1024];
    s_listing(dir, now, sizeof now);
    cr_expect_str_eq(now, was, "the period's files changed: '%s', were '%s'", now, was);
    struct stat after;
    cr_assert_eq(stat(html, &after), 0, "the earlier html is gone");
    cr_expect_eq(after.st_ino, before.st_ino, "the earlier html was replaced");
    s_env_fini(&e);
}

/* ---------------------------------------------------------------- one run's set */

/* The data set's tenders planned in Q1 2026, counted from dataset.c's rules (year: i % 6
 * != 5, quarter 1 + (i / 2) % 4), not by the report. */
static int x_q1_tenders(int nt)
{
    int n = 0;
    for (int i = 0; i < nt; i++)
        n += i % 6 != 5 && (i / 2) % 4 == 0;
    return n;
}

/* The file's text, until the next call (the test's files are small). */
static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int s_count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* What a reader of the period sees: the number of the period's tenders in the html (its
 * summary), the csv (annex value rows) and the json (annex entries); -1: no such file. */
static void s_view(char path[3][4200], int n[3])
{
    const char *h = s_slurp(path[0]);
    const char *m = h ? strstr(h, "id=\"n-tenders\">") : NULL;
    n[0] = h ? (m ? atoi(m + strlen("id=\"n-tenders\">")) : -2) : -1;
    const char *c = s_slurp(path[1]);
    n[1] = -1;
    if (c) {   /* annex rows whose measure is the tender's value: one per tender */
        n[1] = 0;
        for (const char *p = c; (p = strstr(p, "\nannex,")); p++) {
            const char *eol = strchr(p + 1, '\n');
            const char *v = strstr(p, ",value,");
            n[1] += v && (!eol || v < eol);
        }
    }
    const char *j = s_slurp(path[2]);
    n[2] = j ? s_count(j, "\"sroi_pct_bp\"") : -1;
}

/* One run's figures in every file of the set, and which run: want_a or want_b tenders. */
static int s_one_run(char path[3][4200], int want_a, int want_b, const char *when)
{
    int n[3];
    s_view(path, n);
    cr_expect(n[0] == n[1] && n[1] == n[2] && (n[0] == want_a || n[0] == want_b),
              "%s: the reader sees html %d, csv %d, json %d tenders (one run: %d or %d)", when,
              n[0], n[1], n[2], want_a, want_b);
    return n[0];
}

/* A repeat of "r-a" (Dutch html, csv, json) after "r-d" removed its html and csv and
 * replaced its json: refused by name, nothing generated. Its stored reply had named those
 * paths: a 503 at the gateway, or r-d's json under r-a's answer. The English "r-e" again
 * gets its stored reply: its json (en_json) was linked over into r-d's set, still the file
 * it wrote. */
static void s_repeats_after_a_later_set(s_env_t *e, const Mvoi__ReportFormat want[3],
                                        const char *en_json)
{
    const char *rid[S_CLIENTS] = { "r-a", NULL };
    Mvoi__Envelope *reply[S_CLIENTS];
    for (int i = 0; i < 3; i++)
        s_formats[i] = want[i];
    cr_expect_eq(s_round(e, rid, reply), 0, "a repeat generated again");
    cr_assert(reply[0], "no answer to the repeat of r-a");
    cr_expect_eq(reply[0]->body_case, MVOI__ENVELOPE__BODY_ERROR, "r-a's repeat: body %d",
                 (int)reply[0]->body_case);
    if (reply[0]->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        cr_expect_eq(reply[0]->error->code, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION);
        cr_expect_str_eq(reply[0]->error->field, "request_id");
        cr_expect(strstr(reply[0]->error->message, "verzoek-id r-a zijn sindsdien vervangen of "
                         "verwijderd door een later rapport van deze periode (html)"),
                  "%s", reply[0]->error->message);
    }
    s_free1(reply[0]);
    rid[0] = "r-e";
    s_glang = "en";
    s_formats[0] = MVOI__REPORT_FORMAT__FMT_JSON;
    s_formats[1] = 0;
    cr_expect_eq(s_round(e, rid, reply), 0, "a repeat generated again");
    s_glang = NULL;
    cr_expect(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY &&
                  strcmp(reply[0]->report_reply->files[0]->path, en_json) == 0,
              "r-e's repeat: body %d", reply[0] ? (int)reply[0]->body_case : -1);
    s_free1(reply[0]);
    s_formats[0] = 0;
}

/* A request's set appears whole or not at all, also when the process is killed part way
 * through making it the period's and started again. Q1 2026 is written from 20 tenders,
 * then from 60: the second run is killed (SIGKILL, as kill -9) at the second step of its
 * promote, a restart then fails its promote at the first step, and a last request goes
 * through. After each, html, csv and json hold the same number of the period's tenders,
 * that of one run (counted from the data set's rules). Then the English json alone leaves
 * the Dutch set as it was, and the Dutch json alone, from 20 tenders again, leaves no
 * earlier html or csv (60 tenders) beside it, the English json as it was. The formats had been renamed into
 * place one by one: killed after the first, the new html (14 tenders) stood beside the
 * earlier csv and json (5), each looking like the quarter's report. Last, the repeats of
 * an earlier request id (s_repeats_after_a_later_set). */
Test(report_requests, a_set_killed_part_way_is_one_runs_set_after_restart, .timeout = 60)
{
    s_env_t e;
    s_env_init(&e, true);
    int a = x_q1_tenders(20), b = x_q1_tenders(60);
    cr_assert(a != b && a > 0);
    const char *rid[S_CLIENTS] = { "r-a", NULL };
    Mvoi__Envelope *reply[S_CLIENTS];
    Mvoi__ReportFormat want[3] = { MVOI__REPORT_FORMAT__FMT_HTML, MVOI__REPORT_FORMAT__FMT_CSV,
                                   MVOI__REPORT_FORMAT__FMT_JSON };
    for (int i = 0; i < 3; i++)
        s_formats[i] = want[i];
    s_formats[3] = 0;
    cr_assert_eq(s_round(&e, rid, reply), 1);
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY &&
              reply[0]->report_reply->n_files == 3, "the first report was not written");
    char path[3][4200];
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 3; k++)
            if (reply[0]->report_reply->files[k]->format == want[i])
                snprintf(path[i], sizeof path[i], "%s", reply[0]->report_reply->files[k]->path);
    s_free1(reply[0]);
    cr_expect_eq(s_one_run(path, a, a, "first run"), a);

    kill(e.fake, SIGTERM);   /* the data change: 60 tenders */
    waitpid(e.fake, NULL, 0);
    s_fake_start(&e, "60");
    pid_t p = fork();
    if (p == 0) {
        rid[0] = "r-b";
        rp_stage_fault(2, true);
        s_round(&e, rid, reply);
        _exit(0);
    }
    int st = 0;
    cr_assert_eq(waitpid(p, &st, 0), p);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the promote was not killed");
    s_one_run(path, a, b, "killed part way");

    rid[0] = "r-c";   /* restarted; its promote fails at the first step */
    rp_stage_fault(1, false);
    s_round(&e, rid, reply);
    rp_stage_fault(0, false);
    cr_assert(reply[0], "no answer");
    bool failed = reply[0]->body_case == MVOI__ENVELOPE__BODY_ERROR;
    s_free1(reply[0]);
    int seen = s_one_run(path, a, b, "failed after the restart");
    cr_expect(!failed || seen != -1, "a failed promote removed the set");

    /* the English json alone: the Dutch set, another document, stays (linked over) */
    rid[0] = "r-e";
    s_glang = "en";
    s_formats[0] = MVOI__REPORT_FORMAT__FMT_JSON;
    s_formats[1] = 0;
    cr_expect_eq(s_round(&e, rid, reply), 1);
    s_glang = NULL;
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY);
    char en[3][4200];
    snprintf(en[0], sizeof en[0], "%s/none.html", e.dir);
    snprintf(en[1], sizeof en[1], "%s/none.csv", e.dir);
    snprintf(en[2], sizeof en[2], "%s", reply[0]->report_reply->files[0]->path);
    s_free1(reply[0]);
    int n[3];
    s_view(en, n);
    cr_expect_eq(n[2], b, "the English json: %d tenders", n[2]);
    s_one_run(path, b, b, "beside the English json");

    /* the Dutch json alone, from 20 tenders again: the html and csv of the run before (60)
     * go, they are not its figures; the English json stays */
    kill(e.fake, SIGTERM);
    waitpid(e.fake, NULL, 0);
    s_fake_start(&e, "20");
    rid[0] = "r-d";
    cr_expect_eq(s_round(&e, rid, reply), 1);
    cr_assert(reply[0] && reply[0]->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY);
    s_free1(reply[0]);
    s_view(path, n);
    cr_expect(n[0] == -1 && n[1] == -1 && n[2] == a,
              "the Dutch json alone: html %d, csv %d, json %d tenders (want -1, -1, %d)", n[0],
              n[1], n[2], a);
    s_view(en, n);
    cr_expect_eq(n[2], b, "the English json after the Dutch one: %d tenders", n[2]);
    char buyer[4200], ls[1024];   /* no staging directory left beside the period */
    snprintf(buyer, sizeof buyer, "%s", path[0]);
    *strrchr(buyer, '/') = '\0';
    *strrchr(buyer, '/') = '\0';
    s_listing(buyer, ls, sizeof ls);
    cr_expect_str_eq(ls, "2026-q1 ", "beside the period: '%s'", ls);

    s_repeats_after_a_later_set(&e, want, en[2]);
    s_formats[0] = 0;
    s_env_fini(&e);
}
