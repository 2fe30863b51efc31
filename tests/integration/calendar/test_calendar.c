/*  mvoi-calendar and mvoictl as real processes: commands and their errors, the rules at their
 *  boundaries, CSV/OCDS imports through mvoictl (idempotent), restart, late consumer replay.
 *  Each test starts its own service on ipc:// endpoints in a fresh temp directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "cal_it.h"
#include "harness.h"
#include "store.h"

extern char **environ;

#define DEMO_CSV MVOI_SOURCE_DIR "/deploy/demo/calendar.csv"
#define DEMO_OCDS MVOI_SOURCE_DIR "/deploy/demo/ocds"
#define SAMPLE_OCDS MVOI_SOURCE_DIR "/tests/fixtures/ocds"
#define DEMO_ROWS 32

static struct {
    char dir[128];
    char api[192], pub[192];
    char env[8][256];
    const char *envp[9];
    char bin[512], ctl[512];
    h_proc_t proc;
    int rid;
} F;

static void s_start(void)
{
    cr_assert_eq(h_spawn(&F.proc, F.bin, "calendar", F.dir, F.envp), 0);
    cr_assert_eq(h_wait_healthy(F.api, 10000), 0, "mvoi-calendar did not come up");
}

static void s_setup(void)
{
    memset(&F, 0, sizeof F);
    h_tmpdir(F.dir, sizeof F.dir);
    cr_assert(F.dir[0]);
    snprintf(F.api, sizeof F.api, "ipc://%s/api", F.dir);
    snprintf(F.pub, sizeof F.pub, "ipc://%s/pub", F.dir);
    int i = 0;
    snprintf(F.env[i++], 256, "MVOI_DATA_DIR=%s", F.dir);
    snprintf(F.env[i++], 256, "MVOI_CALENDAR_API=%s", F.api);
    snprintf(F.env[i++], 256, "MVOI_CALENDAR_PUB=%s", F.pub);
    snprintf(F.env[i++], 256, "MVOI_LOG_LEVEL=warn");
    snprintf(F.env[i++], 256, "MVOI_BUYER=heerlen");
    for (int k = 0; k < i; k++)
        F.envp[k] = F.env[k];
    h_bin(F.bin, sizeof F.bin, "services/calendar/mvoi-calendar");
    h_bin(F.ctl, sizeof F.ctl, "services/mvoictl/mvoictl");
    s_start();
}

static void s_teardown(void)
{
    h_kill9(&F.proc);
    h_tmpdir_remove(F.dir);
}

TestSuite(calendar, .init = s_setup, .fini = s_teardown, .timeout = 40);

/* ------------------------------------------------------------------ helpers */

/* Run mvoictl ARGS...; stdout into out (NUL-terminated). Returns the exit code. */
static int s_ctl(char *out, size_t outlen, const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, out, outlen, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static Mvoi__Envelope *s_req(Mvoi__Envelope *req)
{
    char rid[64];
    if (!req->request_id) {
        snprintf(rid, sizeof rid, "t-%d-%d", getpid(), ++F.rid);
        req->request_id = rid;
    }
    if (!req->buyer)
        req->buyer = "heerlen";
    Mvoi__Envelope *r = NULL;
    int rc = h_request(F.api, req, &r, 5000);
    if (req->request_id == rid)
        req->request_id = NULL;
    cr_assert_eq(rc, 0, "no reply: %d", rc);
    return r;
}

static uint64_t s_head(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = s_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    uint64_t h = r->health_reply->head_seq;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

/* Count of tenders and the sum of their versions (a cheap fingerprint of the store). */
static void s_fingerprint(uint32_t *count, uint64_t *versions)
{
    *count = 0;
    *versions = 0;
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_limit = 1;
    q.limit = 1000;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &q;
    Mvoi__Envelope *r = s_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_LIST);
    *count = r->tender_list->total;
    for (size_t i = 0; i < r->tender_list->n_tenders; i++)
        *versions += r->tender_list->tenders[i]->version;
    mvoi__envelope__free_unpacked(r, NULL);
}

/* A valid tender on the stack (strings are literals). */
typedef struct {
    Mvoi__Tender t;
    Mvoi__Person leader;
    Mvoi__ThemeAmbition th[2];
    Mvoi__ThemeAmbition *thp[2];
    uint32_t sdgs[2];
} s_tender_t;

static void s_tender(s_tender_t *s, const char *id, Mvoi__TenderKind kind, int64_t cents,
                     const char *pub)
{
    memset(s, 0, sizeof *s);
    Mvoi__Tender ti = MVOI__TENDER__INIT;
    s->t = ti;
    s->t.id = (char *)id;
    s->t.title = "Testtraject";
    s->t.has_kind = 1;
    s->t.kind = kind;
    s->t.has_value_cents = 1;
    s->t.value_cents = cents;
    s->t.planned_publication = (char *)pub;
    Mvoi__Person p = MVOI__PERSON__INIT;
    s->leader = p;
    s->leader.name = "Anja de Vries";
    s->leader.email = "a.devries@heerlen.nl";
    s->t.project_leader = &s->leader;
}

static void s_add_theme(s_tender_t *s, Mvoi__Theme theme, Mvoi__Commitment c)
{
    Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT;
    size_t i = s->t.n_themes;
    s->th[i] = a;
    s->th[i].has_theme = 1;
    s->th[i].theme = theme;
    if (c) {
        s->th[i].has_commitment = 1;
        s->th[i].commitment = c;
    }
    s->thp[i] = &s->th[i];
    s->t.themes = s->thp;
    s->t.n_themes = i + 1;
}

static Mvoi__Envelope *s_register(Mvoi__Tender *t)
{
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    return s_req(&req);
}

static void s_expect_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "expected an error on %s", field);
    cr_expect_eq(r->error->code, code, "%s: code %d, want %d (%s)", field, r->error->code, code,
                 r->error->message);
    cr_expect_str_eq(r->error->field, field, "field %s, want %s (%s)", r->error->field, field,
                     r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

static Mvoi__Tender *s_ok(Mvoi__Envelope *r)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "error: %s: %s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->field : "",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    return r->tender_reply->tender;
}

static Mvoi__Envelope *s_status(const char *id, Mvoi__TenderStatus st)
{
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = (char *)id;
    cs.has_status = 1;
    cs.status = st;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    return s_req(&req);
}

#define INV MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT

/* ------------------------------------------------------------------ tests */

/* Commands with bad or unknown fields: ChangeStatus, CancelTender, RecordAmbition. */
static void s_bad_commands(void)
{
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = "OK-1";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    s_expect_error(s_req(&req), INV, "change_status.status");
    cs.has_status = 1;
    cs.status = 42;
    s_expect_error(s_req(&req), INV, "change_status.status");
    cs.tender_id = NULL;
    cs.status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    s_expect_error(s_req(&req), INV, "change_status.tender_id");
    cs.tender_id = "NOPE-1";
    s_expect_error(s_req(&req), MVOI__ERROR_CODE__ERR_NOT_FOUND, "change_status.tender_id");

    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "OK-1";
    Mvoi__Envelope creq = MVOI__ENVELOPE__INIT;
    creq.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    creq.cancel_tender = &ct;
    s_expect_error(s_req(&creq), INV, "cancel_tender.reason");
    ct.reason = "budget\r\nBcc: x@example.org";   /* one line of text: it goes into mails */
    s_expect_error(s_req(&creq), INV, "cancel_tender.reason");
    ct.reason = NULL;

    Mvoi__RecordAmbition ra = MVOI__RECORD_AMBITION__INIT;
    Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT, *ap = &a;
    a.has_theme = 1;
    a.theme = 99;
    ra.tender_id = "OK-1";
    ra.n_themes = 1;
    ra.themes = &ap;
    Mvoi__Envelope areq = MVOI__ENVELOPE__INIT;
    areq.body_case = MVOI__ENVELOPE__BODY_RECORD_AMBITION;
    areq.record_ambition = &ra;
    s_expect_error(s_req(&areq), INV, "record_ambition.themes[0].theme");
    a.theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    a.has_commitment = 1;
    a.commitment = MVOI__COMMITMENT__COMMIT_EIS;
    ra.has_sroi_pct_bp = 1;
    ra.sroi_pct_bp = 501;
    s_expect_error(s_req(&areq), INV, "record_ambition.sroi_pct_bp");
}

/* Queries with bad arguments. */
static void s_bad_queries(void)
{
    Mvoi__ListTenders q = MVOI__LIST_TENDERS__INIT;
    q.has_quarter = 1;
    q.quarter = 5;
    q.has_year = 1;
    q.year = 2025;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &q;
    s_expect_error(s_req(&req), INV, "list_tenders.quarter");
    Mvoi__UpcomingTenders u = MVOI__UPCOMING_TENDERS__INIT;
    u.from_date = "2025-02-30";
    Mvoi__Envelope ureq = MVOI__ENVELOPE__INIT;
    ureq.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    ureq.upcoming_tenders = &u;
    s_expect_error(s_req(&ureq), INV, "upcoming_tenders.from_date");
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = "NOPE-1";
    Mvoi__Envelope greq = MVOI__ENVELOPE__INIT;
    greq.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    greq.get_tender = &g;
    s_expect_error(s_req(&greq), MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_tender.id");
    /* the refusal names the whole id (128 bytes at most), not its first 64 */
    char longid[129];
    memset(longid, 'A', 100);
    memcpy(longid + 100, "-2026-0001", 11);
    g.id = longid;
    Mvoi__Envelope *r = s_req(&greq);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_not_null(strstr(r->error->message, longid), "the id cut: %s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar, malformed_fields_named_store_unchanged)
{
    s_tender_t ok;
    s_tender(&ok, "OK-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2025-03-01");
    mvoi__envelope__free_unpacked(s_register(&ok.t), NULL);
    uint32_t c0;
    uint64_t v0;
    s_fingerprint(&c0, &v0);
    uint64_t h0 = s_head();
    cr_assert_eq(c0, 1);

    s_tender_t s;
#define BAD(mut, field)                                                                       \
    do {                                                                                      \
        s_tender(&s, "BAD-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2025-03-01"); \
        mut;                                                                                  \
        s_expect_error(s_register(&s.t), INV, field);                                         \
    } while (0)
    BAD(s.t.id = "", "register_tender.tender.id");
    BAD(s.t.id = "bad id with spaces", "register_tender.tender.id");
    BAD(s.t.title = NULL, "register_tender.tender.title");
    BAD(s.t.has_kind = 0, "register_tender.tender.kind");
    BAD(s.t.kind = 9, "register_tender.tender.kind");
    BAD(s.t.value_cents = -1, "register_tender.tender.value_cents");
    BAD(s.t.cpv = "4523", "register_tender.tender.cpv");
    BAD(s.t.planned_publication = "31-02-2025", "register_tender.tender.planned_publication");
    BAD((s.t.contract_start = "2026-06-01", s.t.contract_end = "2026-01-01"),
        "register_tender.tender.contract_end");
    BAD(s.leader.email = "not-an-address", "register_tender.tender.project_leader.email");
    BAD((s_add_theme(&s, MVOI__THEME__THEME_KLIMAAT, 0), s.th[0].commitment = 77,
         s.th[0].has_commitment = 1), "register_tender.tender.themes[0].commitment");
    BAD((s.sdgs[0] = 18, s.t.sdgs = s.sdgs, s.t.n_sdgs = 1), "register_tender.tender.sdgs[0]");
    BAD((s.t.has_sroi_pct_bp = 1, s.t.sroi_pct_bp = 600), "register_tender.tender.sroi_pct_bp");
    BAD(s.t.buyer = "maastricht", "register_tender.tender.buyer");
#undef BAD
    /* the envelope's buyer */
    {
        s_tender(&s, "BAD-2", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-03-01");
        Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
        rt.tender = &s.t;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        req.register_tender = &rt;
        req.buyer = "";
        s_expect_error(s_req(&req), INV, "buyer");
        Mvoi__RegisterTender empty = MVOI__REGISTER_TENDER__INIT;
        req.register_tender = &empty;
        req.buyer = NULL;
        s_expect_error(s_req(&req), INV, "register_tender.tender");
    }
    /* existing, unknown, version conflict */
    s_tender(&s, "OK-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-03-01");
    s_expect_error(s_register(&s.t), MVOI__ERROR_CODE__ERR_ALREADY_EXISTS,
                   "register_tender.tender.id");
    {
        Mvoi__UpdateTender ut = MVOI__UPDATE_TENDER__INIT;
        ut.tender = &s.t;
        ut.has_expected_version = 1;
        ut.expected_version = 7;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_UPDATE_TENDER;
        req.update_tender = &ut;
        s_expect_error(s_req(&req), MVOI__ERROR_CODE__ERR_CONFLICT, "update_tender.expected_version");
        s.t.id = "NOPE-1";
        s_expect_error(s_req(&req), MVOI__ERROR_CODE__ERR_NOT_FOUND, "update_tender.tender.id");
    }
    s_bad_commands();
    s_bad_queries();
    uint32_t c1;
    uint64_t v1;
    s_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0, "count changed %u -> %u", c0, c1);
    cr_expect_eq(v1, v0, "versions changed");
    cr_expect_eq(s_head(), h0, "events were emitted");
}

static Mvoi__Tender *s_reg_ok(s_tender_t *s, Mvoi__Envelope **keep)
{
    *keep = s_register(&s->t);
    return s_ok(*keep);
}

Test(calendar, threshold_boundaries)
{
    s_tender_t s;
    Mvoi__Envelope *r;
    s_tender(&s, "TH-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 22100000, "2025-06-01");
    Mvoi__Tender *t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_expect(t->kickoff_required);
    cr_expect_str_eq(t->threshold_period, "2024-2025");
    mvoi__envelope__free_unpacked(r, NULL);

    s_tender(&s, "TH-2", MVOI__TENDER_KIND__KIND_DIENSTEN, 22099999, "2025-06-01");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_expect(!t->kickoff_required);
    mvoi__envelope__free_unpacked(r, NULL);

    /* € 216,000: below the 2024-2025 EU threshold, at the 2026-2027 one */
    s_tender(&s, "TH-3", MVOI__TENDER_KIND__KIND_DIENSTEN, 21600000, "2025-12-31");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_expect_str_eq(t->threshold_period, "2024-2025");
    mvoi__envelope__free_unpacked(r, NULL);

    s_tender(&s, "TH-4", MVOI__TENDER_KIND__KIND_DIENSTEN, 21600000, "2026-01-01");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_expect_str_eq(t->threshold_period, "2026-2027");
    mvoi__envelope__free_unpacked(r, NULL);

    /* works at the EU threshold 2024-2025 */
    s_tender(&s, "TH-5", MVOI__TENDER_KIND__KIND_WERKEN, 553800000, "2025-06-01");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar, sroi_boundaries)
{
    uint32_t bps[] = { 199, 200, 500, 501 };
    bool ok[] = { false, true, true, false };
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "SR-%u", bps[i]);
        s_tender_t s;
        s_tender(&s, id, MVOI__TENDER_KIND__KIND_WERKEN, 100000000, "2025-06-01");
        s_add_theme(&s, MVOI__THEME__THEME_SOCIAL_RETURN, MVOI__COMMITMENT__COMMIT_EIS);
        s.t.has_sroi_pct_bp = 1;
        s.t.sroi_pct_bp = bps[i];
        Mvoi__Envelope *r = s_register(&s.t);
        if (ok[i]) {
            Mvoi__Tender *t = s_ok(r);
            cr_expect_eq(t->sroi_obligation_cents, 100000000LL * bps[i] / 10000);
            mvoi__envelope__free_unpacked(r, NULL);
        } else {
            s_expect_error(r, INV, "register_tender.tender.sroi_pct_bp");
        }
    }
    /* outside 2-5 % with an exemption reason */
    s_tender_t s;
    s_tender(&s, "SR-EX", MVOI__TENDER_KIND__KIND_WERKEN, 100000000, "2025-06-01");
    s.t.has_sroi_pct_bp = 1;
    s.t.sroi_pct_bp = 100;
    s.t.sroi_exempt_reason = "sociale onderneming";
    Mvoi__Envelope *r = s_register(&s.t);
    s_ok(r);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar, status_lifecycle_and_illegal_transitions)
{
    s_tender_t s;
    Mvoi__Envelope *r;
    s_tender(&s, "LC-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 30000000, "2025-06-01");   /* public */
    s_add_theme(&s, MVOI__THEME__THEME_KLIMAAT, 0);
    s_reg_ok(&s, &r);
    mvoi__envelope__free_unpacked(r, NULL);
    uint64_t h0 = s_head();
    /* skipping the kick-off of a public tender, ambition incomplete */
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_PLANNED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_CANCELLED), INV,
                   "change_status.status");
    cr_expect_eq(s_head(), h0);
    r = s_status("LC-1", MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED);
    cr_expect_eq(s_ok(r)->version, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    /* ambition incomplete: ambition_recorded refused */
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    /* recording a complete ambition moves it on by itself */
    Mvoi__RecordAmbition ra = MVOI__RECORD_AMBITION__INIT;
    Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT, *ap = &a;
    a.has_theme = 1;
    a.theme = MVOI__THEME__THEME_KLIMAAT;
    a.has_commitment = 1;
    a.commitment = MVOI__COMMITMENT__COMMIT_GUNNING;
    ra.tender_id = "LC-1";
    ra.n_themes = 1;
    ra.themes = &ap;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_RECORD_AMBITION;
    req.record_ambition = &ra;
    r = s_req(&req);
    Mvoi__Tender *t = s_ok(r);
    cr_expect(t->ambition_complete);
    cr_expect_eq(t->status, MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED);
    mvoi__envelope__free_unpacked(r, NULL);
    r = s_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED);
    s_ok(r);
    mvoi__envelope__free_unpacked(r, NULL);
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    /* cancel, then nothing more */
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "LC-1";
    ct.reason = "budget ingetrokken";
    Mvoi__Envelope creq = MVOI__ENVELOPE__INIT;
    creq.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    creq.cancel_tender = &ct;
    r = s_req(&creq);
    cr_expect_eq(s_ok(r)->status, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    mvoi__envelope__free_unpacked(r, NULL);
    s_expect_error(s_status("LC-1", MVOI__TENDER_STATUS__STATUS_AWARDED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    s_expect_error(s_req(&creq), MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "cancel_tender.status");
    cr_expect_eq(s_head(), h0 + 4);
}

Test(calendar, idempotent_request_id)
{
    s_tender_t s;
    s_tender(&s, "ID-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-06-01");
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &s.t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    req.request_id = "same-id";
    Mvoi__Envelope *a = s_req(&req), *b = s_req(&req);
    cr_expect_eq(s_ok(a)->version, 1);
    cr_expect_eq(s_ok(b)->version, 1);   /* the stored reply, not ALREADY_EXISTS */
    cr_expect_eq(s_head(), 1);
    mvoi__envelope__free_unpacked(a, NULL);
    mvoi__envelope__free_unpacked(b, NULL);
}

static size_t s_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(calendar, demo_csv_import_reimport_unchanged)
{
    static char out[1 << 20];
    int ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL });
    cr_assert_eq(ex, 0, "import: %s", out);
    cr_expect(strstr(out, "32 aangemaakt"), "%s", out);
    uint32_t c;
    uint64_t v;
    s_fingerprint(&c, &v);
    cr_expect_eq(c, DEMO_ROWS);
    uint64_t h = s_head();
    cr_expect_eq(h, DEMO_ROWS);
    /* listed through mvoictl too: a header and one line per tender */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "list", "--all", NULL });
    cr_expect_eq(ex, 0);
    cr_expect_eq(s_lines(out), DEMO_ROWS + 1, "%s", out);
    /* the same file again: stored replies, nothing happens */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "0 aangemaakt, 0 gewijzigd, 32 ongewijzigd, 0 mislukt"), "%s", out);
    cr_expect_eq(s_head(), h);
    /* the same content in other bytes (new request ids): unchanged by content */
    char copy[256], cmd[600];
    snprintf(copy, sizeof copy, "%s/copy.csv", F.dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && printf '\\n\\n' >> '%s'", DEMO_CSV, copy, copy);
    cr_assert_eq(system(cmd), 0);
    ex = s_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", copy, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "\"unchanged\": 32"), "%s", out);
    cr_expect(strstr(out, "\"repeated\": 0"), "%s", out);
    cr_expect_eq(s_head(), h);
    s_fingerprint(&c, &v);
    cr_expect_eq(v, DEMO_ROWS);   /* every tender still at version 1 */
}

Test(calendar, ocds_samples_and_own_documents)
{
    static char out[1 << 16];
    const char *files[] = {
        SAMPLE_OCDS "/ocds-213czf-000-00001-01-planning.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-02-tender.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-03-tenderAmendment.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-04-award.json",
        SAMPLE_OCDS "/record-ocds-213czf-000-00001.json",
        DEMO_OCDS "/release-package-heerlen.json",
        DEMO_OCDS "/record-package-heerlen.json",
    };
    /* the samples are in pounds: refused by name, nothing stored as euros (the award
     * release alone carries no tender value: it registers the process, in status awarded,
     * without a value); the demo release package holds one planning notice without a title:
     * refused by name, the rest lands */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int ex = s_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", files[i], NULL });
        cr_expect_eq(ex, i == 6 || i == 3 ? 0 : 65, "%s: %s", files[i], out);
        if (i < 5 && i != 3)
            cr_expect(strstr(out, "\"id\": \"ocds-213czf-000-00001\", \"outcome\": \"refused\", "
                                  "\"field\": \"tender.value.currency\", \"message\": \"valuta "
                                  "'GBP': alleen bedragen in EUR worden overgenomen (er wordt "
                                  "niets omgerekend)\""),
                      "%s", out);
    }
    cr_expect(strstr(out, "\"created\": 2"), "%s", out);
    int ex = s_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", files[5], NULL });
    cr_expect(strstr(out, "\"id\": \"ocds-hrl001-2026-012\", \"outcome\": \"refused\", "
                          "\"field\": \"tender.title\", \"message\": \"verplicht\""), "%s", out);
    cr_expect_eq(ex, 65);
    uint32_t c;
    uint64_t v;
    s_fingerprint(&c, &v);
    cr_expect_eq(c, 1 + 3 + 2, "the sample (no value) + 3 + 2 own (one refused for no title)");
    uint64_t h = s_head();
    /* own documents: Dutch buyer, EUR, CPV of the plan, missing value/date */
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = "ocds-hrl001-2025-003";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    Mvoi__Envelope *r = s_req(&req);
    Mvoi__Tender *t = s_ok(r);
    cr_expect_eq(t->kind, MVOI__TENDER_KIND__KIND_WERKEN);
    cr_expect_eq(t->value_cents, 240000000);
    cr_expect_str_eq(t->cpv, "45233141");
    cr_expect_str_eq(t->planned_publication, "2025-06-02");
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_expect_str_eq(t->source, "ocds:ocds-hrl001-2025-003");
    mvoi__envelope__free_unpacked(r, NULL);
    g.id = "ocds-hrl001-2025-009";   /* no value: procedure not derived */
    r = s_req(&req);
    t = s_ok(r);
    cr_expect(!t->has_value_cents);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_UNSPECIFIED);
    mvoi__envelope__free_unpacked(r, NULL);
    g.id = "ocds-hrl001-2025-008";   /* record package, releases compiled: latest value wins */
    r = s_req(&req);
    t = s_ok(r);
    cr_expect_eq(t->value_cents, 320000050);
    cr_expect_str_eq(t->planned_publication, "2025-12-01");
    mvoi__envelope__free_unpacked(r, NULL);
    /* re-import: nothing moves */
    for (size_t i = 5; i < sizeof files / sizeof files[0]; i++)
        cr_expect_eq(s_ctl(out, sizeof out, (const char *[]){ "tender", "import", files[i], NULL }),
                     i == 5 ? 65 : 0);
    cr_expect_eq(s_head(), h);
}

Test(calendar, dry_run_reports_bad_cells_imports_nothing)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bad.csv", F.dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("kenmerk;titel;soort;waarde;publicatie;sroi;thema's\n"
          "A-1;Goed;diensten;€ 10.000;01-03-2025;;klimaat\n"
          "A-2;Datum fout;diensten;10.000;31-02-2025;;\n"
          "A-3;Soort fout;bouw;10.000;01-03-2025;;\n"
          "A-4;Bedrag fout;werken;12,34,5;01-03-2025;;\n"
          "A-5;SROI fout;werken;1.000.000;01-03-2025;5,01%;social_return:eis\n", f);
    fclose(f);
    static char out[1 << 16];
    int ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--dry-run", path, NULL });
    cr_expect_eq(ex, 65);
    cr_expect(strstr(out, "3;publicatie;31-02-2025;"), "%s", out);
    cr_expect(strstr(out, "4;soort;bouw;"), "%s", out);
    cr_expect(strstr(out, "5;waarde;12,34,5;"), "%s", out);
    cr_expect(strstr(out, "6;sroi;5,01%;"), "%s", out);
    cr_expect_eq(s_lines(out), 4, "%s", out);
    /* a real import of a file with errors imports nothing either */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", path, NULL });
    cr_expect_eq(ex, 65);
    uint32_t c;
    uint64_t v;
    s_fingerprint(&c, &v);
    cr_expect_eq(c, 0);
    cr_expect_eq(s_head(), 0);
    /* the good demo file dry-runs clean */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--dry-run", DEMO_CSV, NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect_eq(s_head(), 0);
}

Test(calendar, cli_add_update_status_show)
{
    static char out[1 << 16];
    int ex = s_ctl(out, sizeof out, (const char *[]){
        "tender", "add", "--id", "CLI-1", "--title", "Bebording", "--kind", "leveringen",
        "--value", "€ 221.000,00", "--publication", "01-06-2025", "--leader",
        "Kees Bos <k.bos@heerlen.nl>", "--theme", "klimaat:eis", "--sdg", "12,13", NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect(strstr(out, "Europees openbaar"), "%s", out);   /* the procedure, in Dutch */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "update", "CLI-1", "--value",
                                                  "220999.99", NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect(strstr(out, "meervoudig onderhands"), "%s", out);
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "status", "CLI-1", "published", NULL });
    cr_expect_eq(ex, 0, "%s", out);   /* not public any more: no kick-off needed */
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "status", "CLI-1", "planned", NULL });
    cr_expect_eq(ex, 65);
    ex = s_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "show", "CLI-1", NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "\"status\": \"published\""), "%s", out);
    cr_expect(strstr(out, "\"version\": 3"), "%s", out);
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "show", "NOPE", NULL });
    cr_expect_eq(ex, 65);
    /* JSON in */
    char path[256];
    snprintf(path, sizeof path, "%s/t.json", F.dir);
    FILE *f = fopen(path, "w");
    fputs("{\"id\": \"CLI-2\", \"title\": \"Stadskrant\", \"kind\": \"diensten\", "
          "\"value_cents\": 14000000, \"planned_publication\": \"2025-11-03\"}\n", f);
    fclose(f);
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "add", "--json", path, NULL });
    cr_expect_eq(ex, 0, "%s", out);
    ex = s_ctl(out, sizeof out, (const char *[]){ "tender", "upcoming", "--from", "2025-10-01",
                                                  "--days", "60", NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "CLI-2"), "%s", out);
    /* unreachable service: 69 */
    h_kill9(&F.proc);
    ex = s_ctl(out, sizeof out, (const char *[]){ "--timeout", "300", "tender", "show", "CLI-1", NULL });
    cr_expect_eq(ex, 69);
}

/* Raw DEALER: replay from 1, collect [topic][envelope] items until ReplayEnd. */
static size_t s_replay_all(uint64_t *last_seq, size_t *registered)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(s, F.api), 0);
    size_t n = 0;
    uint64_t from = 1, expect = 1;
    *registered = 0;
    for (;;) {
        Mvoi__ReplayRequest rr = MVOI__REPLAY_REQUEST__INIT;
        rr.has_from_seq = 1;
        rr.from_seq = from;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_REPLAY;
        req.replay = &rr;
        req.request_id = "replay";
        uint8_t buf[256];
        size_t len = mvoi__envelope__pack(&req, buf);
        zmq_send(s, buf, len, 0);
        bool end = false;
        uint64_t head = 0;
        while (!end) {
            zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
            cr_assert_gt(zmq_poll(&it, 1, 5000), 0, "replay stalled");
            zmq_msg_t parts[2];
            int np = 0, more = 1;
            while (more && np < 2) {
                zmq_msg_init(&parts[np]);
                zmq_msg_recv(&parts[np], s, 0);
                more = zmq_msg_more(&parts[np]);
                np++;
            }
            zmq_msg_t *em = &parts[np - 1];
            Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(em), zmq_msg_data(em));
            cr_assert(e);
            if (e->body_case == MVOI__ENVELOPE__BODY_REPLAY_END) {
                head = e->replay_end->head_seq;
                end = true;
            } else if (e->body_case == MVOI__ENVELOPE__BODY_TENDER_EVENT) {
                cr_expect_eq(e->seq, expect, "seq %llu, want %llu", (unsigned long long)e->seq,
                             (unsigned long long)expect);
                cr_expect_str_eq(e->producer, "calendar");
                cr_expect(e->tender_event->tender && e->tender_event->tender->id);
                if (e->tender_event->kind == MVOI__TENDER_EVENT_KIND__TEV_REGISTERED)
                    (*registered)++;
                expect = e->seq + 1;
                n++;
            }
            mvoi__envelope__free_unpacked(e, NULL);
            for (int i = 0; i < np; i++)
                zmq_msg_close(&parts[i]);
        }
        from = expect;
        if (from > head)
            break;
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    *last_seq = expect - 1;
    return n;
}

/* The reply that ends a SnapshotRequest for tender.snapshot (its items are skipped). */
static Mvoi__Envelope *s_snapshot(void)
{
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "tender.snapshot";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    req.snapshot = &sr;
    return s_req(&req);
}

/* Bytes that are no Tender stored under buyer/id in the stopped calendar's own file. */
static void s_corrupt(const char *buyer, const char *id)
{
    char path[256], key[128];
    snprintf(path, sizeof path, "%s/calendar", F.dir);
    size_t bl = strlen(buyer), il = strlen(id);
    memcpy(key, buyer, bl + 1);
    memcpy(key + bl + 1, id, il);
    cr_assert_eq(h_store_corrupt(path, "tenders", key, bl + 1 + il), 0, "tender %s", id);
}

/* Does the calendar's log hold a record_undecodable line with needle? */
static bool s_log_names(const char *needle)
{
    FILE *fp = fopen(F.proc.log, "r");
    cr_assert(fp, "%s", F.proc.log);
    static char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
        found = strstr(line, "\"event\":\"record_undecodable\"") && strstr(line, needle);
    fclose(fp);
    return found;
}

Test(calendar, restart_keeps_everything_late_consumer_replays)
{
    static char out[1 << 16];
    cr_assert_eq(s_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL }), 0);
    cr_assert_eq(s_ctl(out, sizeof out, (const char *[]){ "tender", "status", "HRL-2025-001",
                                                          "kickoff_scheduled", NULL }), 0);
    uint32_t c0;
    uint64_t v0;
    s_fingerprint(&c0, &v0);
    uint64_t h0 = s_head();
    cr_assert_eq(h0, DEMO_ROWS + 1);
    /* graceful stop, restart */
    int st = 0;
    h_signal(&F.proc, SIGTERM);
    cr_assert_eq(h_wait(&F.proc, 5000, &st), 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    s_start();
    uint32_t c1;
    uint64_t v1;
    s_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0);
    cr_expect_eq(v1, v0);
    cr_expect_eq(s_head(), h0);
    /* kill -9 and back: still all there */
    h_kill9(&F.proc);
    s_start();
    s_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0);
    /* a consumer that starts now receives every event */
    uint64_t last = 0;
    size_t registered = 0;
    size_t n = s_replay_all(&last, &registered);
    cr_expect_eq(n, h0);
    cr_expect_eq(last, h0);
    cr_expect_eq(registered, DEMO_ROWS);
    /* the snapshot holds every tender; with one of them undecodable in the store it is
     * refused by name, not sent as a complete snapshot of DEMO_ROWS - 1 (before: it was) */
    Mvoi__Envelope *r = s_snapshot();
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_SNAPSHOT_END);
    cr_expect_eq(r->snapshot_end->count, DEMO_ROWS);
    mvoi__envelope__free_unpacked(r, NULL);
    h_kill9(&F.proc);
    s_corrupt("heerlen", "HRL-2025-002");
    s_start();
    r = s_snapshot();
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "a snapshot without a tender: %d",
                 r->body_case);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
    cr_expect(r->error->message && strstr(r->error->message, "MVOI_E_UNDECODABLE"), "%s",
              r->error->message ? r->error->message : "(none)");
    mvoi__envelope__free_unpacked(r, NULL);
    cr_expect(s_log_names("\"id\":\"HRL-2025-002\""), "the log names the record to repair");
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    r = s_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    cr_expect_eq(r->health_reply->undecodable_records, 1);
    mvoi__envelope__free_unpacked(r, NULL);
    /* and the operator's view of it */
    s_ctl(out, sizeof out, (const char *[]){ "system", "health", "calendar", NULL });
    cr_expect(strstr(out, " undecodable=1"), "%s", out);
}

Test(calendar, bad_data_dir_exits_78)
{
    h_kill9(&F.proc);
    char env[256];
    snprintf(env, sizeof env, "MVOI_CALENDAR_DATA_FILES=%s/nonexistent", F.dir);
    const char *envp[] = { F.envp[0], F.envp[1], F.envp[2], F.envp[3], env, NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn(&p, F.bin, "calendar-bad", F.dir, envp), 0);
    int st = 0;
    cr_assert_eq(h_wait(&p, 5000, &st), 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 78, "status %d", st);
}
