/*  Every id field of every command and query of calendar, impact-calculator and
 *  kpi-aggregator, sent with an overlong id, an id with a NUL inside and an id that is not
 *  UTF-8: a named error (the field path), nothing changed (the producers' heads and the
 *  valid tender's figures), the process alive (it answers health). Real processes. */
#define _GNU_SOURCE   /* memmem */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "mvoi_id.h"

/* A marker packed as part of an id and then turned into "\0..." in the bytes: protobuf-c
 * packs a string by strlen, so a NUL has to be put on the wire by hand. */
#define S_MARK "\x7f\x7e\x7d\x7c"

typedef struct {
    Mvoi__Envelope env;
    Mvoi__Tender t, *tp[1];
    Mvoi__RegisterTender register_tender;
    Mvoi__UpsertTenders upsert_tenders;
    Mvoi__ChangeStatus change_status;
    Mvoi__CancelTender cancel_tender;
    Mvoi__RecordAmbition record_ambition;
    Mvoi__GetTender get_tender;
    Mvoi__Measurement m, *mp[1];
    Mvoi__PilotStatus ps;
    Mvoi__SubmitMeasurements submit_measurements;
    Mvoi__CorrectMeasurement correct_measurement;
    Mvoi__WithdrawMeasurement withdraw_measurement;
    Mvoi__GetMeasurement get_measurement;
    Mvoi__ListMeasurements list_measurements;
    Mvoi__KpiSeriesQuery kpi_series_query;
} s_msg_t;

/* One id field of one body: fill x with valid values and v in that field. */
typedef void (s_fill_fn)(s_msg_t *x, const char *v);

static void s_tender(Mvoi__Tender *t, const char *id)
{
    mvoi__tender__init(t);
    t->id = (char *)id;
    t->title = "bad id";
    t->has_kind = 1;
    t->kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t->has_value_cents = 1;
    t->value_cents = 1000000;
    t->planned_publication = "2026-03-01";
}

static void s_meas(s_msg_t *x, const char *id, const char *tender, const char *buyer)
{
    mvoi__measurement__init(&x->m);
    mvoi__pilot_status__init(&x->ps);
    x->m.id = (char *)id;
    x->m.tender_id = (char *)tender;
    x->m.buyer = (char *)buyer;
    x->m.has_phase = 1;
    x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    x->m.period_start = "2026-01-01";
    x->m.period_end = "2026-01-31";
    x->m.submitter = "test";
    x->ps.has_theme = 1;
    x->ps.theme = MVOI__THEME__THEME_KLIMAAT;
    x->ps.status = "gestart";
    x->m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    x->m.pilot = &x->ps;
    x->mp[0] = &x->m;
}

#define BODY(arm, field, init) \
    x->env.body_case = MVOI__ENVELOPE__BODY_##arm; \
    init(&x->field); \
    x->env.field = &x->field

static void f_env_buyer(s_msg_t *x, const char *v)
{
    x->env.buyer = (char *)v;
    BODY(REGISTER_TENDER, register_tender, mvoi__register_tender__init);
    s_tender(&x->t, "OK-2");
    x->register_tender.tender = &x->t;
}
static void f_request_id(s_msg_t *x, const char *v)
{
    f_env_buyer(x, "heerlen");
    x->env.request_id = (char *)v;
}
static void f_register_id(s_msg_t *x, const char *v)
{
    BODY(REGISTER_TENDER, register_tender, mvoi__register_tender__init);
    s_tender(&x->t, v);
    x->register_tender.tender = &x->t;
}
static void f_register_buyer(s_msg_t *x, const char *v)
{
    f_register_id(x, "OK-2");
    x->t.buyer = (char *)v;
}
static void f_upsert_id(s_msg_t *x, const char *v)
{
    BODY(UPSERT_TENDERS, upsert_tenders, mvoi__upsert_tenders__init);
    s_tender(&x->t, v);
    x->tp[0] = &x->t;
    x->upsert_tenders.tenders = x->tp;
    x->upsert_tenders.n_tenders = 1;
}
static void f_status(s_msg_t *x, const char *v)
{
    BODY(CHANGE_STATUS, change_status, mvoi__change_status__init);
    x->change_status.tender_id = (char *)v;
    x->change_status.has_status = 1;
    x->change_status.status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
}
static void f_cancel(s_msg_t *x, const char *v)
{
    BODY(CANCEL_TENDER, cancel_tender, mvoi__cancel_tender__init);
    x->cancel_tender.tender_id = (char *)v;
    x->cancel_tender.reason = "test";
}
static void f_ambition(s_msg_t *x, const char *v)
{
    BODY(RECORD_AMBITION, record_ambition, mvoi__record_ambition__init);
    x->record_ambition.tender_id = (char *)v;
}
static void f_get_tender(s_msg_t *x, const char *v)
{
    BODY(GET_TENDER, get_tender, mvoi__get_tender__init);
    x->get_tender.id = (char *)v;
}
static void f_submit(s_msg_t *x, const char *v, int which)
{
    BODY(SUBMIT_MEASUREMENTS, submit_measurements, mvoi__submit_measurements__init);
    s_meas(x, which == 0 ? v : "m-ok", which == 1 ? v : "OK-1", which == 2 ? v : NULL);
    x->submit_measurements.measurements = x->mp;
    x->submit_measurements.n_measurements = 1;
}
static void f_submit_id(s_msg_t *x, const char *v) { f_submit(x, v, 0); }
static void f_submit_tender(s_msg_t *x, const char *v) { f_submit(x, v, 1); }
static void f_submit_buyer(s_msg_t *x, const char *v) { f_submit(x, v, 2); }
static void f_correct(s_msg_t *x, const char *v)
{
    BODY(CORRECT_MEASUREMENT, correct_measurement, mvoi__correct_measurement__init);
    s_meas(x, v, "OK-1", NULL);
    x->correct_measurement.measurement = &x->m;
}
static void f_withdraw(s_msg_t *x, const char *v)
{
    BODY(WITHDRAW_MEASUREMENT, withdraw_measurement, mvoi__withdraw_measurement__init);
    x->withdraw_measurement.id = (char *)v;
    x->withdraw_measurement.reason = "test";
}
static void f_get_meas(s_msg_t *x, const char *v)
{
    BODY(GET_MEASUREMENT, get_measurement, mvoi__get_measurement__init);
    x->get_measurement.id = (char *)v;
}
static void f_list_meas(s_msg_t *x, const char *v)
{
    BODY(LIST_MEASUREMENTS, list_measurements, mvoi__list_measurements__init);
    x->list_measurements.tender_id = (char *)v;
}
static void f_kpi_series(s_msg_t *x, const char *v)
{
    BODY(KPI_SERIES_QUERY, kpi_series_query, mvoi__kpi_series_query__init);
    x->kpi_series_query.buyer = (char *)v;
}

enum { S_CAL, S_IMP, S_KPI };

static const struct {
    int svc;
    s_fill_fn *fill;
    const char *field;
    mvoi_id_kind_t kind;
} s_cases[] = {
    { S_CAL, f_env_buyer, "buyer", MVOI_ID_BUYER },
    { S_CAL, f_request_id, "request_id", MVOI_ID_REQUEST },
    { S_CAL, f_register_id, "register_tender.tender.id", MVOI_ID_TENDER },
    { S_CAL, f_register_buyer, "register_tender.tender.buyer", MVOI_ID_BUYER },
    { S_CAL, f_upsert_id, "upsert_tenders.tenders[0].id", MVOI_ID_TENDER },
    { S_CAL, f_status, "change_status.tender_id", MVOI_ID_TENDER },
    { S_CAL, f_cancel, "cancel_tender.tender_id", MVOI_ID_TENDER },
    { S_CAL, f_ambition, "record_ambition.tender_id", MVOI_ID_TENDER },
    { S_CAL, f_get_tender, "get_tender.id", MVOI_ID_TENDER },
    { S_IMP, f_env_buyer, "buyer", MVOI_ID_BUYER },
    { S_IMP, f_submit_id, "submit_measurements.measurements[0].id", MVOI_ID_MEASUREMENT },
    { S_IMP, f_submit_tender, "submit_measurements.measurements[0].tender_id",
      MVOI_ID_TENDER },
    { S_IMP, f_submit_buyer, "submit_measurements.measurements[0].buyer", MVOI_ID_BUYER },
    { S_IMP, f_correct, "correct_measurement.measurement.id", MVOI_ID_MEASUREMENT },
    { S_IMP, f_withdraw, "withdraw_measurement.id", MVOI_ID_MEASUREMENT },
    { S_IMP, f_get_meas, "get_measurement.id", MVOI_ID_MEASUREMENT },
    { S_IMP, f_list_meas, "list_measurements.tender_id", MVOI_ID_TENDER },
    { S_KPI, f_kpi_series, "kpi_series_query.buyer", MVOI_ID_BUYER },
};

enum { BAD_LONG, BAD_NUL, BAD_UTF8, BAD_N };
static const char *s_bad_names[BAD_N] = { "overlong", "NUL inside", "not UTF-8" };
/* in Dutch, as the requests name no language; the reasons are mvoi_id's ("id.err.") */
static const char *s_bad_why[BAD_N] = { "is langer dan", "bevat een NUL-byte",
                                        "is geen geldige UTF-8" };

/* The request's bytes with the bad value in the case's field. */
static uint8_t *s_encode(int c, int bad, size_t *len)
{
    s_msg_t x;
    memset(&x, 0, sizeof x);
    mvoi__envelope__init(&x.env);
    x.env.buyer = "heerlen";
    static int n;
    char rid[32];
    snprintf(rid, sizeof rid, "bad-%d", ++n);
    x.env.request_id = rid;
    char v[MVOI_ID_REMINDER_MAX + 2];
    if (bad == BAD_LONG) {
        size_t l = mvoi_id_max(s_cases[c].kind) + 1;
        memset(v, 'a', l);
        v[l] = 0;
    } else {
        snprintf(v, sizeof v, bad == BAD_NUL ? "A" S_MARK "-other" : "A\xc3\x28-other");
    }
    s_cases[c].fill(&x, v);
    *len = mvoi__envelope__get_packed_size(&x.env);
    uint8_t *buf = malloc(*len);
    mvoi__envelope__pack(&x.env, buf);
    if (bad == BAD_NUL) {
        uint8_t *p = memmem(buf, *len, S_MARK, 4);
        cr_assert(p);
        *p = 0;
    }
    return buf;
}

static const char *s_api(e2e_fleet_t *f, int svc)
{
    return svc == S_CAL ? f->capi : svc == S_IMP ? f->iapi : f->kapi;
}

/* A valid tender OK-1 (heerlen) with one measurement: state the bad requests must not move. */
static void s_seed(e2e_fleet_t *f)
{
    s_msg_t x;
    memset(&x, 0, sizeof x);
    mvoi__envelope__init(&x.env);
    x.env.buyer = "heerlen";
    x.env.request_id = "seed-1";
    f_register_id(&x, "OK-1");
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &x.env, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "%s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    mvoi__envelope__free_unpacked(r, NULL);
    cr_assert_eq(e2e_wait_impact_knows_calendar(f, 10000), 0);
    x.env.request_id = "seed-2";
    f_submit_id(&x, "m-1");
    cr_assert_eq(h_request(f->iapi, &x.env, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert(r->measurement_reply->results[0]->ok, "%s",
              r->measurement_reply->results[0]->error
                  ? r->measurement_reply->results[0]->error->message : "");
    mvoi__envelope__free_unpacked(r, NULL);
    cr_assert_eq(e2e_wait_kpi_caught_up(f, 10000), 0);
}

Test(tenant_ids, every_id_field_bad_three_ways_named_nothing_changed, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    s_seed(&f);
    uint64_t heads[3] = { e2e_head(f.capi, 2000), e2e_head(f.iapi, 2000),
                          e2e_head(f.kapi, 2000) };
    size_t n = 0;
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        for (int bad = 0; bad < BAD_N; bad++) {
            size_t len;
            uint8_t *buf = s_encode((int)c, bad, &len);
            Mvoi__Envelope *r = NULL;
            const char *api = s_api(&f, s_cases[c].svc);
            cr_assert_eq(h_request_raw(api, buf, len, &r, 5000), 0, "%s %s: no answer",
                         s_cases[c].field, s_bad_names[bad]);
            free(buf);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s %s: accepted",
                         s_cases[c].field, s_bad_names[bad]);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
            cr_expect_str_eq(r->error->field, s_cases[c].field, "%s %s: field %s (%s)",
                             s_cases[c].field, s_bad_names[bad], r->error->field,
                             r->error->message);
            cr_expect(strstr(r->error->message, s_bad_why[bad]) != NULL, "%s %s: %s",
                      s_cases[c].field, s_bad_names[bad], r->error->message);
            if (n++ < 3 || bad == BAD_NUL)
                cr_log_info("%s, %s: %s", s_cases[c].field, s_bad_names[bad],
                            r->error->message);
            mvoi__envelope__free_unpacked(r, NULL);
            /* alive, and nothing was published (every change is an event) */
            cr_assert_eq(e2e_head(api, 2000), heads[s_cases[c].svc], "%s %s changed state",
                         s_cases[c].field, s_bad_names[bad]);
        }
    }
    for (int s = 0; s < 3; s++)
        cr_assert_eq(e2e_head(s_api(&f, s), 2000), heads[s]);
    cr_log_info("%zu bad requests refused, heads unchanged", n);
    e2e_fleet_fini(&f, false);
}

/* RegisterTender OK-9 for buyer b on the calendar: the reply. */
static Mvoi__Envelope *s_register_for(e2e_fleet_t *f, const char *b)
{
    s_msg_t x;
    memset(&x, 0, sizeof x);
    mvoi__envelope__init(&x.env);
    x.env.buyer = (char *)b;
    x.env.request_id = "reg-9";
    f_register_id(&x, "OK-9");
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &x.env, &r, 5000), 0);
    return r;
}

Test(tenant_ids, unknown_buyer_refused_known_served, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    uint64_t head = e2e_head(f.capi, 2000);
    Mvoi__Envelope *r = s_register_for(&f, "atlantis");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "an unknown buyer was served");
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    cr_expect_str_eq(r->error->field, "buyer");
    cr_expect(strstr(r->error->message, "organisatie 'atlantis' wordt hier niet bediend"),
              "%s", r->error->message);   /* in Dutch: the request names no lang */
    cr_log_info("atlantis: %s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_assert_eq(e2e_head(f.capi, 2000), head, "state changed");
    /* the impact-calculator and the aggregator refuse it too (queries included) */
    s_msg_t x;
    memset(&x, 0, sizeof x);
    mvoi__envelope__init(&x.env);
    x.env.buyer = "atlantis";
    f_kpi_series(&x, "atlantis");
    cr_assert_eq(h_request(f.kapi, &x.env, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    mvoi__envelope__free_unpacked(r, NULL);
    f_get_meas(&x, "m-1");
    cr_assert_eq(h_request(f.iapi, &x.env, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    mvoi__envelope__free_unpacked(r, NULL);
    /* a registered buyer is served */
    r = s_register_for(&f, "kerkrade");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "%s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    mvoi__envelope__free_unpacked(r, NULL);
    e2e_fleet_fini(&f, false);
}

Test(tenant_ids, open_registry_serves_any_valid_buyer, .timeout = 60)
{
    setenv("MVOI_BUYERS_OPEN", "true", 1);   /* this test's own process: the fleet inherits */
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    Mvoi__Envelope *r = s_register_for(&f, "atlantis");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY, "%s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    mvoi__envelope__free_unpacked(r, NULL);
    /* open is not lax: an id that breaks the rule is still refused */
    r = s_register_for(&f, "Atlantis City");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_str_eq(r->error->field, "buyer");
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    mvoi__envelope__free_unpacked(r, NULL);
    e2e_fleet_fini(&f, false);
}

/* A query made for one buyer (the envelope's buyer, what the key's buyers are checked
 * against) that names another buyer in its body, a total's key or a buyer field, is refused:
 * otherwise a key for heerlen could read venlo's totals. Made for venlo, it is served. */
Test(tenant_ids, query_for_one_buyer_cannot_read_another, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    static const struct { const char *env_buyer; int want_error; } cases[] = {
        { "heerlen", 1 }, { "venlo", 0 } };
    for (int i = 0; i < 2; i++) {
        Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
        q.key = "kpi.venlo.co2.2026";
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.buyer = (char *)cases[i].env_buyer;
        req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
        req.kpi_query = &q;
        Mvoi__Envelope *r = NULL;
        cr_assert_eq(h_request(f.kapi, &req, &r, 5000), 0);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
        if (cases[i].want_error) {
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "%s",
                         r->error->message);
            cr_expect_str_eq(r->error->field, "kpi_query.key");
        } else {   /* served: nothing counted for venlo yet */
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND, "%s",
                         r->error->message);
        }
        mvoi__envelope__free_unpacked(r, NULL);
    }
    s_msg_t x;
    memset(&x, 0, sizeof x);
    mvoi__envelope__init(&x.env);
    x.env.buyer = "heerlen";
    f_kpi_series(&x, "venlo");
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f.kapi, &x.env, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "%s",
                 r->error->message);
    cr_expect_str_eq(r->error->field, "kpi_series_query.buyer");
    mvoi__envelope__free_unpacked(r, NULL);
    e2e_fleet_fini(&f, false);
}

/* The aggregator's and the impact-calculator's refusals in the request's language
 * (Envelope.lang; none: Dutch), for two buyers asking with the same key and id: the code,
 * the field and the ids inside the text as they were. */
Test(tenant_ids, refusals_of_the_aggregator_and_impact_in_the_requests_language, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    const char *langs[3] = { NULL, "nl", "en" };
    const char *buyers[2] = { "heerlen", "venlo" };
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++) {
            const char *lang = langs[(i + b) % 3];
            bool en = lang && !strcmp(lang, "en");
            char key[64], want[160];
            /* a total nothing was counted for: each buyer its own key, the same year */
            snprintf(key, sizeof key, "kpi.%s.co2.2031", buyers[b]);
            Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
            q.key = key;
            Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
            req.buyer = (char *)buyers[b];
            req.lang = (char *)lang;
            req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
            req.kpi_query = &q;
            Mvoi__Envelope *r = NULL;
            cr_assert_eq(h_request(f.kapi, &req, &r, 5000), 0);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
            cr_expect_str_eq(r->error->field, "kpi_query.key");
            snprintf(want, sizeof want, en ? "no total %s (nothing was counted there yet)"
                                           : "geen totaal %s (daar is nog niets geteld)", key);
            cr_expect_str_eq(r->error->message, want, "%s, lang %s", buyers[b],
                             lang ? lang : "(none)");
            mvoi__envelope__free_unpacked(r, NULL);
            /* the other buyer's total: refused, in the same language */
            snprintf(key, sizeof key, "kpi.%s.co2.2031", buyers[!b]);
            cr_assert_eq(h_request(f.kapi, &req, &r, 5000), 0);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
            snprintf(want, sizeof want,
                     en ? "the request is made for buyer %s but asks for buyer %s's totals"
                        : "het verzoek komt van organisatie %s maar vraagt om de totalen van "
                          "organisatie %s", buyers[b], buyers[!b]);
            cr_expect_str_eq(r->error->message, want);
            mvoi__envelope__free_unpacked(r, NULL);
            /* a measurement neither has: the same id, each its own refusal */
            Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
            g.id = "m-none-1";
            Mvoi__Envelope gr = MVOI__ENVELOPE__INIT;
            gr.buyer = (char *)buyers[b];
            gr.lang = (char *)lang;
            gr.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
            gr.get_measurement = &g;
            cr_assert_eq(h_request(f.iapi, &gr, &r, 5000), 0);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
            cr_expect_str_eq(r->error->field, "get_measurement.id");
            cr_expect_str_eq(r->error->message, en ? "no measurement 'm-none-1'"
                                                   : "geen meting 'm-none-1'");
            mvoi__envelope__free_unpacked(r, NULL);
        }
    e2e_fleet_fini(&f, false);
}
