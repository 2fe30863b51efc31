/*  UpsertTenders (many upserts in one command) against a real mvoi-calendar: per-item
 *  results naming the refused tender's field while the good ones land, a repeat of the same
 *  request id answered from the stored reply with nothing new in the outbox, content
 *  idempotence under new request ids, terminal tenders, the limits; and the importer
 *  (cal_client, mvoictl tender import) over several commands.
 *  Each test starts its own service on ipc:// endpoints in a fresh temp directory.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cal_client.h"
#include "cal_it.h"
#include "harness.h"

extern char **environ;

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "heerlen"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_batch, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* ------------------------------------------------------------------ helpers */

static Mvoi__Envelope *s_req(Mvoi__Envelope *req, const char *rid, const char *corr)
{
    req->request_id = (char *)rid;
    req->correlation_id = (char *)corr;
    if (!req->buyer)
        req->buyer = "heerlen";
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(F.api, req, &r, 10000), 0, "no reply");
    return r;
}

static uint64_t s_head(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = s_req(&req, NULL, NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    uint64_t h = r->health_reply->head_seq;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

/* The stored version of a tender; 0 when there is none. */
static uint32_t s_version(const char *id)
{
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = (char *)id;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    char rid[64];
    snprintf(rid, sizeof rid, "get-%s", id);
    Mvoi__Envelope *r = s_req(&req, rid, NULL);
    uint32_t v = r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY
                     ? r->tender_reply->tender->version : 0;
    mvoi__envelope__free_unpacked(r, NULL);
    return v;
}

/* Valid tenders on the stack (strings are literals or ids[]). */
typedef struct {
    Mvoi__Tender t[8];
    Mvoi__Tender *tp[8];
    char ids[8][16];
    size_t n;
} s_set_t;

static Mvoi__Tender *s_add(s_set_t *s, const char *id, int64_t cents)
{
    Mvoi__Tender init = MVOI__TENDER__INIT;
    size_t i = s->n++;
    s->t[i] = init;
    snprintf(s->ids[i], sizeof s->ids[i], "%s", id ? id : "");
    s->t[i].id = id ? s->ids[i] : NULL;
    s->t[i].title = "Batchtraject";
    s->t[i].has_kind = 1;
    s->t[i].kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    s->t[i].has_value_cents = 1;
    s->t[i].value_cents = cents;
    s->t[i].planned_publication = "2025-03-01";
    s->tp[i] = &s->t[i];
    return &s->t[i];
}

static Mvoi__Envelope *s_batch(s_set_t *s, const char *rid, const char *corr)
{
    Mvoi__UpsertTenders up = MVOI__UPSERT_TENDERS__INIT;
    up.n_tenders = s->n;
    up.tenders = s->tp;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
    req.upsert_tenders = &up;
    return s_req(&req, rid, corr);
}

static const Mvoi__UpsertTendersReply *s_results(const Mvoi__Envelope *r, size_t n)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_UPSERT_TENDERS_REPLY, "%s: %s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->field : "",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    cr_assert_eq(r->upsert_tenders_reply->n_results, n);
    return r->upsert_tenders_reply;
}

static void s_expect_item_error(const Mvoi__UpsertResult *res, int code, const char *field)
{
    cr_assert(res->error, "expected an error on %s", field);
    cr_expect(!res->has_outcome);
    cr_expect_eq(res->error->code, code, "%s: code %d (%s)", field, res->error->code,
                 res->error->message);
    cr_expect_str_eq(res->error->field, field, "(%s)", res->error->message);
}

static void s_expect_outcome(const Mvoi__UpsertResult *res, Mvoi__UpsertOutcome o,
                             uint32_t version, uint64_t seq)
{
    cr_assert(!res->error, "unexpected error %s: %s", res->error ? res->error->field : "",
              res->error ? res->error->message : "");
    cr_expect_eq(res->outcome, o, "%s: outcome %d, want %d", res->id, res->outcome, o);
    cr_expect_eq(res->version, version, "%s: version %u, want %u", res->id, res->version,
                 version);
    cr_expect_eq(res->seq, seq, "%s: seq %llu, want %llu", res->id,
                 (unsigned long long)res->seq, (unsigned long long)seq);
}

#define INV MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

/* ------------------------------------------------------------------ the command */

Test(calendar_batch, bad_items_named_good_items_land)
{
    s_set_t s = { 0 };
    s_add(&s, "BA-1", 1000000);
    s_add(&s, "BA-2", 1000000)->title = NULL;          /* title required */
    s_add(&s, "BA-3", 1000000);
    s_add(&s, NULL, 1000000);                           /* no id */
    s_add(&s, "BA-5", 1000000)->buyer = "maastricht";   /* another buyer's tender */
    s_add(&s, "BA-6", -5);                              /* negative value */
    Mvoi__Envelope *r = s_batch(&s, "batch-bad-1", "run-1");
    const Mvoi__UpsertTendersReply *rep = s_results(r, 6);
    /* the two good ones are events 1 and 2, in request order */
    s_expect_outcome(rep->results[0], MVOI__UPSERT_OUTCOME__UPSERT_CREATED, 1, 1);
    s_expect_item_error(rep->results[1], INV, "upsert_tenders.tenders[1].title");
    s_expect_outcome(rep->results[2], MVOI__UPSERT_OUTCOME__UPSERT_CREATED, 1, 2);
    s_expect_item_error(rep->results[3], INV, "upsert_tenders.tenders[3].id");
    s_expect_item_error(rep->results[4], INV, "upsert_tenders.tenders[4].buyer");
    s_expect_item_error(rep->results[5], INV, "upsert_tenders.tenders[5].value_cents");
    cr_expect_str_eq(rep->results[0]->id, "BA-1");
    cr_expect_str_eq(rep->results[2]->id, "BA-3");
    cr_expect_eq(rep->seq, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect_eq(s_head(), 2);
    cr_expect_eq(s_version("BA-1"), 1);
    cr_expect_eq(s_version("BA-3"), 1);
    cr_expect_eq(s_version("BA-2"), 0);
    cr_expect_eq(s_version("BA-5"), 0);
    cr_expect_eq(s_version("BA-6"), 0);
}

Test(calendar_batch, same_request_id_answers_stored_reply_new_ids_unchanged)
{
    s_set_t s = { 0 };
    s_add(&s, "BR-1", 1000000);
    s_add(&s, "BR-2", 20000000);
    s_add(&s, "BR-3", 300000000);
    Mvoi__Envelope *a = s_batch(&s, "batch-rep-1", "run-a");
    const Mvoi__UpsertTendersReply *ra = s_results(a, 3);
    for (size_t i = 0; i < 3; i++)
        s_expect_outcome(ra->results[i], MVOI__UPSERT_OUTCOME__UPSERT_CREATED, 1, i + 1);
    cr_expect_eq(s_head(), 3);
    /* a client resend after a timeout (another run even): the stored reply, byte for byte
     * the first one, and nothing new in the outbox */
    Mvoi__Envelope *b = s_batch(&s, "batch-rep-1", "run-b");
    const Mvoi__UpsertTendersReply *rb = s_results(b, 3);
    cr_expect_str_eq(b->correlation_id, "run-a");
    for (size_t i = 0; i < 3; i++)
        s_expect_outcome(rb->results[i], MVOI__UPSERT_OUTCOME__UPSERT_CREATED, 1, i + 1);
    cr_expect_eq(s_head(), 3);
    /* the same content under a new request id: unchanged by content, no events */
    Mvoi__Envelope *c = s_batch(&s, "batch-rep-2", "run-c");
    const Mvoi__UpsertTendersReply *rc = s_results(c, 3);
    for (size_t i = 0; i < 3; i++)
        s_expect_outcome(rc->results[i], MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED, 1, 0);
    cr_expect(!rc->has_seq);
    cr_expect_eq(s_head(), 3);
    /* one changed: updated to version 2, one event */
    s.t[1].title = "Batchtraject, gewijzigd";
    Mvoi__Envelope *d = s_batch(&s, "batch-rep-3", "run-d");
    const Mvoi__UpsertTendersReply *rd = s_results(d, 3);
    s_expect_outcome(rd->results[0], MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED, 1, 0);
    s_expect_outcome(rd->results[1], MVOI__UPSERT_OUTCOME__UPSERT_UPDATED, 2, 4);
    s_expect_outcome(rd->results[2], MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED, 1, 0);
    cr_expect_eq(s_head(), 4);
    cr_expect_eq(s_version("BR-2"), 2);
    mvoi__envelope__free_unpacked(a, NULL);
    mvoi__envelope__free_unpacked(b, NULL);
    mvoi__envelope__free_unpacked(c, NULL);
    mvoi__envelope__free_unpacked(d, NULL);
}

Test(calendar_batch, cancelled_tender_refused_unless_unchanged)
{
    s_set_t s = { 0 };
    s_add(&s, "BC-1", 1000000);
    s_add(&s, "BC-2", 1000000);
    Mvoi__Envelope *r = s_batch(&s, "batch-c-1", NULL);
    s_results(r, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "BC-1";
    ct.reason = "budget ingetrokken";
    Mvoi__Envelope creq = MVOI__ENVELOPE__INIT;
    creq.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    creq.cancel_tender = &ct;
    r = s_req(&creq, "cancel-bc-1", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect_eq(s_head(), 3);
    /* identical content: accepted, unchanged; a change: refused, the other item lands */
    r = s_batch(&s, "batch-c-2", NULL);
    const Mvoi__UpsertTendersReply *rep = s_results(r, 2);
    s_expect_outcome(rep->results[0], MVOI__UPSERT_OUTCOME__UPSERT_UNCHANGED, 2, 0);
    mvoi__envelope__free_unpacked(r, NULL);
    s.t[0].value_cents = 2000000;
    s.t[1].value_cents = 2000000;
    r = s_batch(&s, "batch-c-3", NULL);
    rep = s_results(r, 2);
    s_expect_item_error(rep->results[0], MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                        "upsert_tenders.tenders[0].id");
    s_expect_outcome(rep->results[1], MVOI__UPSERT_OUTCOME__UPSERT_UPDATED, 2, 4);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect_eq(s_head(), 4);
    cr_expect_eq(s_version("BC-1"), 2);
}

Test(calendar_batch, empty_and_oversized_refused_whole)
{
    s_set_t s = { 0 };
    Mvoi__Envelope *r = s_batch(&s, "batch-empty", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, INV);
    cr_expect_str_eq(r->error->field, "upsert_tenders.tenders");
    mvoi__envelope__free_unpacked(r, NULL);
    /* 1001 references to one small tender: over the per-command limit */
    s_add(&s, "BO-1", 1000000);
    Mvoi__Tender **many = calloc(1001, sizeof *many);
    for (size_t i = 0; i < 1001; i++)
        many[i] = &s.t[0];
    Mvoi__UpsertTenders up = MVOI__UPSERT_TENDERS__INIT;
    up.n_tenders = 1001;
    up.tenders = many;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
    req.upsert_tenders = &up;
    r = s_req(&req, "batch-big", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED);
    cr_expect_str_eq(r->error->field, "upsert_tenders.tenders");
    mvoi__envelope__free_unpacked(r, NULL);
    free(many);
    /* no buyer: the whole command is refused */
    Mvoi__Envelope req2 = MVOI__ENVELOPE__INIT;
    up.n_tenders = 1;
    up.tenders = s.tp;
    req2.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
    req2.upsert_tenders = &up;
    req2.buyer = "";
    r = s_req(&req2, "batch-nobuyer", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(r->error->field, "buyer");
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect_eq(s_head(), 0);
}

/* UpsertTenders.lang: the items' refusals in Dutch when unset, in English with "en"; any
 * other language refuses the whole command by name, nothing written. The bad item is one
 * without an id ("tender.id: required"). */
Test(calendar_batch, refusals_in_the_commands_language_unknown_one_refused)
{
    s_set_t s = { 0 };
    s_add(&s, NULL, 1000000);
    Mvoi__UpsertTenders up = MVOI__UPSERT_TENDERS__INIT;
    up.n_tenders = s.n;
    up.tenders = s.tp;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDERS;
    req.upsert_tenders = &up;
    up.lang = "fr";
    Mvoi__Envelope *r = s_req(&req, "lang-fr", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, INV);
    cr_expect_str_eq(r->error->field, "upsert_tenders.lang");
    mvoi__envelope__free_unpacked(r, NULL);
    up.lang = NULL;
    r = s_req(&req, "lang-unset", NULL);
    s_expect_item_error(s_results(r, 1)->results[0], INV, "upsert_tenders.tenders[0].id");
    cr_expect_str_eq(r->upsert_tenders_reply->results[0]->error->message, "verplicht");
    mvoi__envelope__free_unpacked(r, NULL);
    up.lang = "en";
    r = s_req(&req, "lang-en", NULL);
    s_expect_item_error(s_results(r, 1)->results[0], INV, "upsert_tenders.tenders[0].id");
    cr_expect_str_eq(r->upsert_tenders_reply->results[0]->error->message, "required");
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect_eq(s_head(), 0);
}

/* ------------------------------------------------------------------ the importer */

Test(calendar_batch, client_reports_service_refusals_by_row)
{
    s_set_t s = { 0 };
    s_add(&s, "BK-1", 1000000);
    s_add(&s, "BK-2", 1000000)->buyer = "maastricht";   /* only the service knows the buyer */
    s_add(&s, "BK-3", 1000000);
    s_add(&s, "BK-4", 1000000);
    s_add(&s, "BK-5", 1000000)->buyer = "maastricht";
    const size_t rows[] = { 2, 3, 5, 8, 9 };   /* file rows, as csv_import numbers them */
    /* two tenders per command: [2,3] [5,8] [9] */
    cal_import_opts_t io = { .endpoint = F.api, .buyer = "heerlen", .rid_prefix = "imp-test",
                             .run_id = "run-k", .window = 8, .per_request = 2,
                             .timeout_ms = 10000 };
    cal_import_result_t res;
    cr_assert_eq(cal_import_send(&io, s.tp, rows, s.n, &res), 0);
    cr_expect_eq(res.sent, 5);
    cr_expect_eq(res.created, 3);
    cr_expect_eq(res.failed, 2);
    cr_assert_eq(res.n_failures, 2);
    size_t k0 = res.failures[0].key < res.failures[1].key ? 0 : 1;
    cr_expect_eq(res.failures[k0].key, 3);
    cr_expect_eq(res.failures[1 - k0].key, 9);
    cr_expect_str_eq(res.failures[k0].field, "tender.buyer");
    cr_expect_eq(res.failures[k0].code, INV);
    cr_expect_eq(res.last_seq, 3);
    cal_import_result_clear(&res);
    cr_expect_eq(s_head(), 3);
    /* the same run again: every command answered from its stored reply, refusals again */
    io.run_id = "run-k2";
    cr_assert_eq(cal_import_send(&io, s.tp, rows, s.n, &res), 0);
    cr_expect_eq(res.repeated, 3);
    cr_expect_eq(res.unchanged, 3);
    cr_expect_eq(res.created, 0);
    cr_expect_eq(res.failed, 2);
    cal_import_result_clear(&res);
    cr_expect_eq(s_head(), 3);
}

/* Run mvoictl ARGS...; stdout into out. Returns the exit code. */
static int s_ctl(char *out, size_t outlen, const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, out, outlen, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

Test(calendar_batch, mvoictl_import_many_commands_idempotent)
{
    enum { ROWS = 1234 };
    char path[256];
    snprintf(path, sizeof path, "%s/many.csv", F.dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("kenmerk;titel;soort;waarde;publicatie\n", f);
    for (int i = 1; i <= ROWS; i++)
        fprintf(f, "BM-%04d;Traject %d;diensten;%d.000;01-03-2025\n", i, i, 10 + i % 90);
    fclose(f);
    static char out[1 << 16];
    /* window 400: commands of 100 tenders, 13 of them */
    int ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--window", "400",
                                                      path, NULL });
    cr_assert_eq(ex, 0, "%s", out);
    cr_expect(strstr(out, "1234 rij(en): 1234 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt"),
              "%s", out);
    cr_expect_eq(s_head(), ROWS);
    cr_expect_eq(s_version("BM-0001"), 1);
    cr_expect_eq(s_version("BM-1234"), 1);
    /* the same file, same window, in the state the first run made (its stored replies
     * were the verdicts against the empty calendar): new request ids, unchanged by content */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--window", "400",
                                                  path, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "0 aangemaakt, 0 gewijzigd, 1234 ongewijzigd, 0 mislukt"), "%s", out);
    cr_expect(!strstr(out, "al geïmporteerd"), "%s", out);
    /* once more in that same state: the same request ids, the stored replies */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--window", "400",
                                                  path, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "0 aangemaakt, 0 gewijzigd, 1234 ongewijzigd, 0 mislukt"), "%s", out);
    cr_expect(strstr(out, "(1234 van de ongewijzigde waren al geïmporteerd uit precies dit "
                          "bestand)"), "%s", out);
    /* another window (other commands, new request ids): unchanged by content */
    ex = s_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", "--window",
                                                  "4000", path, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "\"unchanged\": 1234"), "%s", out);
    cr_expect(strstr(out, "\"repeated\": 0"), "%s", out);
    cr_expect_eq(s_head(), ROWS);
    cr_expect_eq(s_version("BM-0617"), 1);
}
