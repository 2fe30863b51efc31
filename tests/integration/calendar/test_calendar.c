/*  mvoi-calendar as a real process: commands and their errors, the rules at their
 *  boundaries (thresholds, SROI, the lifecycle), idempotent request ids. The fixture is
 *  cal_fx.c; the imports and the CLI are test_calendar_cli.c, restart and replay
 *  test_calendar_restart.c.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal_fx.h"
#include "harness.h"

/* Commands with bad or unknown fields: ChangeStatus, CancelTender, RecordAmbition. */
static void s_bad_commands(void)
{
    Mvoi__ChangeStatus cs = MVOI__CHANGE_STATUS__INIT;
    cs.tender_id = "OK-1";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CHANGE_STATUS;
    req.change_status = &cs;
    cf_expect_error(cf_req(&req), INV, "change_status.status");
    cs.has_status = 1;
    cs.status = 42;
    cf_expect_error(cf_req(&req), INV, "change_status.status");
    cs.tender_id = NULL;
    cs.status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    cf_expect_error(cf_req(&req), INV, "change_status.tender_id");
    cs.tender_id = "NOPE-1";
    cf_expect_error(cf_req(&req), MVOI__ERROR_CODE__ERR_NOT_FOUND, "change_status.tender_id");

    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "OK-1";
    Mvoi__Envelope creq = MVOI__ENVELOPE__INIT;
    creq.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    creq.cancel_tender = &ct;
    cf_expect_error(cf_req(&creq), INV, "cancel_tender.reason");
    ct.reason = "budget\r\nBcc: x@example.org";   /* one line of text: it goes into mails */
    cf_expect_error(cf_req(&creq), INV, "cancel_tender.reason");
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
    cf_expect_error(cf_req(&areq), INV, "record_ambition.themes[0].theme");
    a.theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    a.has_commitment = 1;
    a.commitment = MVOI__COMMITMENT__COMMIT_EIS;
    ra.has_sroi_pct_bp = 1;
    ra.sroi_pct_bp = 501;
    cf_expect_error(cf_req(&areq), INV, "record_ambition.sroi_pct_bp");
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
    cf_expect_error(cf_req(&req), INV, "list_tenders.quarter");
    Mvoi__UpcomingTenders u = MVOI__UPCOMING_TENDERS__INIT;
    u.from_date = "2025-02-30";
    Mvoi__Envelope ureq = MVOI__ENVELOPE__INIT;
    ureq.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    ureq.upcoming_tenders = &u;
    cf_expect_error(cf_req(&ureq), INV, "upcoming_tenders.from_date");
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = "NOPE-1";
    Mvoi__Envelope greq = MVOI__ENVELOPE__INIT;
    greq.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    greq.get_tender = &g;
    cf_expect_error(cf_req(&greq), MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_tender.id");
    /* the refusal names the whole id (128 bytes at most), not its first 64 */
    char longid[129];
    memset(longid, 'A', 100);
    memcpy(longid + 100, "-2026-0001", 11);
    g.id = longid;
    Mvoi__Envelope *r = cf_req(&greq);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_not_null(strstr(r->error->message, longid), "the id cut: %s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar, malformed_fields_named_store_unchanged)
{
    cf_tender_t ok;
    cf_tender(&ok, "OK-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2025-03-01");
    mvoi__envelope__free_unpacked(cf_register(&ok.t), NULL);
    uint32_t c0;
    uint64_t v0;
    cf_fingerprint(&c0, &v0);
    uint64_t h0 = cf_head();
    cr_assert_eq(c0, 1);

    cf_tender_t s;
#define BAD(mut, field)                                                                       \
    do {                                                                                      \
        cf_tender(&s, "BAD-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2025-03-01"); \
        mut;                                                                                  \
        cf_expect_error(cf_register(&s.t), INV, field);                                         \
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
    BAD((cf_add_theme(&s, MVOI__THEME__THEME_KLIMAAT, 0), s.th[0].commitment = 77,
         s.th[0].has_commitment = 1), "register_tender.tender.themes[0].commitment");
    BAD((s.sdgs[0] = 18, s.t.sdgs = s.sdgs, s.t.n_sdgs = 1), "register_tender.tender.sdgs[0]");
    BAD((s.t.has_sroi_pct_bp = 1, s.t.sroi_pct_bp = 600), "register_tender.tender.sroi_pct_bp");
    BAD(s.t.buyer = "maastricht", "register_tender.tender.buyer");
#undef BAD
    /* the envelope's buyer */
    {
        cf_tender(&s, "BAD-2", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-03-01");
        Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
        rt.tender = &s.t;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        req.register_tender = &rt;
        req.buyer = "";
        cf_expect_error(cf_req(&req), INV, "buyer");
        Mvoi__RegisterTender empty = MVOI__REGISTER_TENDER__INIT;
        req.register_tender = &empty;
        req.buyer = NULL;
        cf_expect_error(cf_req(&req), INV, "register_tender.tender");
    }
    /* existing, unknown, version conflict */
    cf_tender(&s, "OK-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-03-01");
    cf_expect_error(cf_register(&s.t), MVOI__ERROR_CODE__ERR_ALREADY_EXISTS,
                   "register_tender.tender.id");
    {
        Mvoi__UpdateTender ut = MVOI__UPDATE_TENDER__INIT;
        ut.tender = &s.t;
        ut.has_expected_version = 1;
        ut.expected_version = 7;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_UPDATE_TENDER;
        req.update_tender = &ut;
        cf_expect_error(cf_req(&req), MVOI__ERROR_CODE__ERR_CONFLICT, "update_tender.expected_version");
        s.t.id = "NOPE-1";
        cf_expect_error(cf_req(&req), MVOI__ERROR_CODE__ERR_NOT_FOUND, "update_tender.tender.id");
    }
    s_bad_commands();
    s_bad_queries();
    uint32_t c1;
    uint64_t v1;
    cf_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0, "count changed %u -> %u", c0, c1);
    cr_expect_eq(v1, v0, "versions changed");
    cr_expect_eq(cf_head(), h0, "events were emitted");
}

static Mvoi__Tender *s_reg_ok(cf_tender_t *s, Mvoi__Envelope **keep)
{
    *keep = cf_register(&s->t);
    return cf_ok(*keep);
}

Test(calendar, threshold_boundaries)
{
    cf_tender_t s;
    Mvoi__Envelope *r;
    cf_tender(&s, "TH-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 22100000, "2025-06-01");
    Mvoi__Tender *t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_expect(t->kickoff_required);
    cr_expect_str_eq(t->threshold_period, "2024-2025");
    mvoi__envelope__free_unpacked(r, NULL);

    cf_tender(&s, "TH-2", MVOI__TENDER_KIND__KIND_DIENSTEN, 22099999, "2025-06-01");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_expect(!t->kickoff_required);
    mvoi__envelope__free_unpacked(r, NULL);

    /* € 216,000: below the 2024-2025 EU threshold, at the 2026-2027 one */
    cf_tender(&s, "TH-3", MVOI__TENDER_KIND__KIND_DIENSTEN, 21600000, "2025-12-31");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_expect_str_eq(t->threshold_period, "2024-2025");
    mvoi__envelope__free_unpacked(r, NULL);

    cf_tender(&s, "TH-4", MVOI__TENDER_KIND__KIND_DIENSTEN, 21600000, "2026-01-01");
    t = s_reg_ok(&s, &r);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_expect_str_eq(t->threshold_period, "2026-2027");
    mvoi__envelope__free_unpacked(r, NULL);

    /* works at the EU threshold 2024-2025 */
    cf_tender(&s, "TH-5", MVOI__TENDER_KIND__KIND_WERKEN, 553800000, "2025-06-01");
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
        cf_tender_t s;
        cf_tender(&s, id, MVOI__TENDER_KIND__KIND_WERKEN, 100000000, "2025-06-01");
        cf_add_theme(&s, MVOI__THEME__THEME_SOCIAL_RETURN, MVOI__COMMITMENT__COMMIT_EIS);
        s.t.has_sroi_pct_bp = 1;
        s.t.sroi_pct_bp = bps[i];
        Mvoi__Envelope *r = cf_register(&s.t);
        if (ok[i]) {
            Mvoi__Tender *t = cf_ok(r);
            cr_expect_eq(t->sroi_obligation_cents, 100000000LL * bps[i] / 10000);
            mvoi__envelope__free_unpacked(r, NULL);
        } else {
            cf_expect_error(r, INV, "register_tender.tender.sroi_pct_bp");
        }
    }
    /* outside 2-5 % with an exemption reason */
    cf_tender_t s;
    cf_tender(&s, "SR-EX", MVOI__TENDER_KIND__KIND_WERKEN, 100000000, "2025-06-01");
    s.t.has_sroi_pct_bp = 1;
    s.t.sroi_pct_bp = 100;
    s.t.sroi_exempt_reason = "sociale onderneming";
    Mvoi__Envelope *r = cf_register(&s.t);
    cf_ok(r);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(calendar, status_lifecycle_and_illegal_transitions)
{
    cf_tender_t s;
    Mvoi__Envelope *r;
    cf_tender(&s, "LC-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 30000000, "2025-06-01");   /* public */
    cf_add_theme(&s, MVOI__THEME__THEME_KLIMAAT, 0);
    s_reg_ok(&s, &r);
    mvoi__envelope__free_unpacked(r, NULL);
    uint64_t h0 = cf_head();
    /* skipping the kick-off of a public tender, ambition incomplete */
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_PLANNED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_CANCELLED), INV,
                   "change_status.status");
    cr_expect_eq(cf_head(), h0);
    r = cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED);
    cr_expect_eq(cf_ok(r)->version, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    /* ambition incomplete: ambition_recorded refused */
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED),
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
    r = cf_req(&req);
    Mvoi__Tender *t = cf_ok(r);
    cr_expect(t->ambition_complete);
    cr_expect_eq(t->status, MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED);
    mvoi__envelope__free_unpacked(r, NULL);
    r = cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED);
    cf_ok(r);
    mvoi__envelope__free_unpacked(r, NULL);
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_PUBLISHED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    /* cancel, then nothing more */
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "LC-1";
    ct.reason = "budget ingetrokken";
    Mvoi__Envelope creq = MVOI__ENVELOPE__INIT;
    creq.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    creq.cancel_tender = &ct;
    r = cf_req(&creq);
    cr_expect_eq(cf_ok(r)->status, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    mvoi__envelope__free_unpacked(r, NULL);
    cf_expect_error(cf_status("LC-1", MVOI__TENDER_STATUS__STATUS_AWARDED),
                   MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "change_status.status");
    cf_expect_error(cf_req(&creq), MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, "cancel_tender.status");
    cr_expect_eq(cf_head(), h0 + 4);
}

Test(calendar, idempotent_request_id)
{
    cf_tender_t s;
    cf_tender(&s, "ID-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100, "2025-06-01");
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &s.t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    req.request_id = "same-id";
    Mvoi__Envelope *a = cf_req(&req), *b = cf_req(&req);
    cr_expect_eq(cf_ok(a)->version, 1);
    cr_expect_eq(cf_ok(b)->version, 1);   /* the stored reply, not ALREADY_EXISTS */
    cr_expect_eq(cf_head(), 1);
    mvoi__envelope__free_unpacked(a, NULL);
    mvoi__envelope__free_unpacked(b, NULL);
}
