/*  One SubmitMeasurements of many measurements (the path that keeps one LMDB cursor per db
 *  for the request, service_cursor.c): every item is stored once with its own figures,
 *  found again by its id, its tender and the recent list; a repeat later in the same
 *  request sees the earlier item (a duplicate when it is the same, refused when not); two
 *  buyers with the same ids and tender ids stay apart. All of it alike whether the requests
 *  are decoded and computed on the loop or on the decode stage's worker (server_stage.c,
 *  MVOI_IMPACT_CALCULATOR_STAGE_BYTES). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"

#define N_NEW 50      /* new ids per buyer */
#define N_REP 10      /* repeats of earlier ids in the same request: 5 same, 5 different */
#define G_PER_L 2783  /* HVO100: 27.830 kg per 10.000 l (the events test) = 2,783 g per l */

static void register_landgraaf_klima(fx_t *f)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-KLIMA";   /* heerlen's tender id, another buyer's tender */
    t.purchasing_group = "lg-infra";
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "reg-lg-klima";
    e.buyer = "landgraaf";
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* litres of item i of buyer b (0 heerlen, 1 landgraaf): different per buyer and item */
static int64_t s_litres(int b, int i) { return (b ? 1000 : 10) + i; }

/* The request of buyer b: ids b-00..b-49 new, then 5 repeats of b-00..b-04 with the same
 * content and 5 of b-05..b-09 with other litres. */
static Mvoi__Envelope *s_submit(fx_t *f, int b, meas_t *x, meas_t **pp)
{
    for (int i = 0; i < N_NEW + N_REP; i++) {
        int id = i < N_NEW ? i : i - N_NEW;
        char s[16];
        snprintf(s, sizeof s, "b-%02d", id);
        m_base(&x[i], s, "T-KLIMA", "2026");
        int64_t l = s_litres(b, id) + (i >= N_NEW + N_REP / 2 ? 1 : 0);
        m_energy(&x[i], MVOI__CARRIER__CARRIER_HVO100, 0, l * 1000);
        pp[i] = &x[i];
    }
    Mvoi__Measurement *ms[N_NEW + N_REP];
    for (int i = 0; i < N_NEW + N_REP; i++)
        ms[i] = &pp[i]->m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = N_NEW + N_REP;
    sm.measurements = ms;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = b ? "batch-lg" : "batch-hl";
    e.buyer = b ? "landgraaf" : "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    return fx_call(f, &e);
}

static void s_check_reply(const Mvoi__Envelope *r, int b)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY, "body %d", r->body_case);
    const Mvoi__MeasurementReply *rep = r->measurement_reply;
    cr_assert_eq(rep->n_results, N_NEW + N_REP);
    for (int i = 0; i < N_NEW + N_REP; i++) {
        const Mvoi__MeasurementResult *res = rep->results[i];
        int id = i < N_NEW ? i : i - N_NEW;
        if (i >= N_NEW + N_REP / 2) {
            cr_assert_not(res->ok, "buyer %d item %d: a changed repeat was accepted", b, i);
            cr_assert_eq(res->error->code, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS);
            char field[64];
            snprintf(field, sizeof field, "submit_measurements.measurements[%d].id", i);
            cr_assert_str_eq(res->error->field, field);
            continue;
        }
        cr_assert(res->ok, "buyer %d item %d refused: %s", b, i,
                  res->error && res->error->message ? res->error->message : "");
        cr_assert_eq(res->duplicate, i >= N_NEW, "buyer %d item %d duplicate %d", b, i,
                     res->duplicate);
        cr_assert_eq(res->revision, 1);
        cr_assert_eq(res->impact->co2_avoided_g, G_PER_L * s_litres(b, id), "buyer %d item %d",
                     b, i);
    }
}

static Mvoi__Envelope *s_list(fx_t *f, const char *buyer, bool recent)
{
    Mvoi__ListMeasurements l = MVOI__LIST_MEASUREMENTS__INIT;
    if (recent)
        l.has_recent = l.recent = 1;
    else
        l.tender_id = "T-KLIMA";
    l.has_limit = 1;
    l.limit = 100;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    e.list_measurements = &l;
    return fx_call(f, &e);
}

/* Both listings of buyer b: the N_NEW records, by tender in id order, recent latest first,
 * each with its own figures. */
static void s_check_lists(fx_t *f, int b)
{
    const char *buyer = b ? "landgraaf" : "heerlen";
    for (int recent = 0; recent < 2; recent++) {
        Mvoi__Envelope *r = s_list(f, buyer, recent);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_LIST, "%s %d", buyer,
                     recent);
        const Mvoi__MeasurementList *l = r->measurement_list;
        cr_assert_eq(l->n_records, N_NEW, "%s recent=%d: %zu records", buyer, recent,
                     l->n_records);
        for (int k = 0; k < N_NEW; k++) {
            int id = recent ? N_NEW - 1 - k : k;
            char s[16];
            snprintf(s, sizeof s, "b-%02d", id);
            const Mvoi__MeasurementRecord *rec = l->records[k];
            cr_assert_str_eq(rec->measurement->id, s, "%s recent=%d at %d", buyer, recent, k);
            cr_assert_str_eq(rec->measurement->buyer, buyer);
            cr_assert_eq(rec->impact->co2_avoided_g, G_PER_L * s_litres(b, id));
        }
        mvoi__envelope__free_unpacked(r, NULL);
    }
}

/* fx_up with the impact-calculator's decode stage set: "0" every turn on the loop, "1"
 * every turn on the worker. */
static void s_up(fx_t *f, const char *stage_bytes)
{
    char v[64];
    snprintf(v, sizeof v, "MVOI_IMPACT_CALCULATOR_STAGE_BYTES=%s", stage_bytes);
    const char *vars[] = { v, NULL };
    fx_init(f, NULL);
    fx_env_imp(f, vars);
    fx_start_cal(f);
    fx_start_imp(f);
    fx_wait_tenders(f, 4);
    h_sleep_ms(300);   /* a calendar heartbeat: the feed is current */
}

static void s_two_buyers(const char *stage_bytes)
{
    fx_t f;
    s_up(&f, stage_bytes);
    register_landgraaf_klima(&f);
    fx_wait_tenders(&f, 5);
    uint64_t h0 = fx_head(&f);
    static meas_t x[N_NEW + N_REP];
    meas_t *pp[N_NEW + N_REP];
    for (int b = 0; b < 2; b++) {
        Mvoi__Envelope *r = s_submit(&f, b, x, pp);
        s_check_reply(r, b);
        mvoi__envelope__free_unpacked(r, NULL);
    }
    /* one event per new measurement, none for the repeats */
    cr_assert_eq(fx_head(&f), h0 + 2 * N_NEW, "head %lu from %lu", (unsigned long)fx_head(&f),
                 (unsigned long)h0);
    for (int b = 0; b < 2; b++)
        s_check_lists(&f, b);
    /* the same request again is answered from the stored reply: nothing new */
    Mvoi__Envelope *r = s_submit(&f, 0, x, pp);
    s_check_reply(r, 0);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_assert_eq(fx_head(&f), h0 + 2 * N_NEW);
    fx_fini(&f);
}

Test(impact_batch, many_measurements_one_request_two_buyers_same_ids, .timeout = 60)
{
    s_two_buyers("0");
}

Test(impact_batch, the_same_on_the_decode_stage, .timeout = 60)
{
    s_two_buyers("1");
}

/* A measurement the calculation refuses, among good ones, computed on the worker: refused
 * on its own field as on the loop, the others stored with their figures. */
Test(impact_batch, a_refused_item_of_a_staged_request_names_its_field, .timeout = 60)
{
    fx_t f;
    s_up(&f, "1");
    static meas_t x[3];
    meas_t *pp[3];
    const char *ids[] = { "s-0", "s-bad", "s-2" };
    for (int i = 0; i < 3; i++) {
        m_base(&x[i], ids[i], "T-KLIMA", "2026");
        m_energy(&x[i], MVOI__CARRIER__CARRIER_HVO100, 0, i == 1 ? -5000 : 10000);
        pp[i] = &x[i];
    }
    Mvoi__Envelope *r = fx_submit(&f, "staged-bad", pp, 3);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    const Mvoi__MeasurementReply *rep = r->measurement_reply;
    cr_assert_eq(rep->n_results, 3);
    for (int i = 0; i < 3; i += 2) {
        cr_assert(rep->results[i]->ok, "item %d refused", i);
        cr_assert_eq(rep->results[i]->impact->co2_avoided_g, G_PER_L * 10, "item %d", i);
    }
    const Mvoi__MeasurementResult *bad = rep->results[1];
    cr_assert_not(bad->ok);
    cr_assert_eq(bad->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert(strstr(bad->error->field, "submit_measurements.measurements[1].") == bad->error->field,
              "field %s", bad->error->field);
    cr_assert(strstr(bad->error->field, "quantity"), "field %s", bad->error->field);
    mvoi__envelope__free_unpacked(r, NULL);
    fx_expect_absent(&f, "s-bad");
    fx_fini(&f);
}
