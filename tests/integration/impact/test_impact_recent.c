/*  ListMeasurements{recent}: the buyer's measurements latest recorded first (the dashboard's
 *  "Recente metingen"), a correction moving its measurement to the front, bounded pages. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"
#include "store.h"

static Mvoi__Envelope *list_recent(fx_t *f, const char *buyer, uint32_t offset, uint32_t limit,
                                   const char *tender)
{
    Mvoi__ListMeasurements l = MVOI__LIST_MEASUREMENTS__INIT;
    l.has_recent = l.recent = 1;
    l.has_offset = 1;
    l.offset = offset;
    l.has_limit = 1;
    l.limit = limit;
    l.tender_id = (char *)tender;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    e.list_measurements = &l;
    return fx_call(f, &e);
}

/* ids of the page, comma separated, into out */
static void ids(const Mvoi__Envelope *r, char *out, size_t len)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_LIST, "body %d", r->body_case);
    out[0] = 0;
    for (size_t i = 0; i < r->measurement_list->n_records; i++) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", i ? "," : "",
                 r->measurement_list->records[i]->measurement->id);
    }
}

static void submit(fx_t *f, const char *id, int64_t litres)
{
    meas_t x;
    m_base(&x, id, "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, litres * 1000);
    Mvoi__Envelope *keep = NULL;
    fx_expect_ok(f, &x, &keep);
    mvoi__envelope__free_unpacked(keep, NULL);
}

/* Bytes that are no MeasurementRecord stored under buyer/id in the stopped
 * impact-calculator's own file. */
static void s_corrupt(fx_t *f, const char *buyer, const char *id)
{
    char path[256], key[128];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    size_t bl = strlen(buyer), il = strlen(id);
    memcpy(key, buyer, bl + 1);
    memcpy(key + bl + 1, id, il);
    cr_assert_eq(h_store_corrupt(path, "measurements", key, bl + 1 + il), 0,
                 "measurement %s", id);
}

static void s_expect_undecodable(Mvoi__Envelope *r)
{
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "an answer without m-c: body %d",
                 r->body_case);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
    cr_expect(r->error->message && strstr(r->error->message, "MVOI_E_UNDECODABLE"), "%s",
              r->error->message ? r->error->message : "(none)");
    mvoi__envelope__free_unpacked(r, NULL);
}

/* m-c's record turned into bytes that are no record: the snapshot (its consumers'
 * rebuild) and the list by buyer are refused by name, not sent short of m-c (before: the
 * snapshot was, and the list was a page of 2 with total 3); health counts both. */
static void s_refused_without_m_c(fx_t *f)
{
    Mvoi__Envelope *r;
    int st = 0;
    h_signal(&f->imp, SIGTERM);
    cr_assert_eq(h_wait(&f->imp, 10000, &st), 0);
    s_corrupt(f, "heerlen", "m-c");
    fx_start_imp(f);
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "impact.computed";
    Mvoi__Envelope se = MVOI__ENVELOPE__INIT;
    se.request_id = "snap-undecodable";
    se.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    se.snapshot = &sr;
    r = fx_call(f, &se);
    s_expect_undecodable(r);
    Mvoi__ListMeasurements l = MVOI__LIST_MEASUREMENTS__INIT;
    Mvoi__Envelope le = MVOI__ENVELOPE__INIT;
    le.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    le.list_measurements = &l;
    r = fx_call(f, &le);
    s_expect_undecodable(r);
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope he = MVOI__ENVELOPE__INIT;
    he.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    he.health = &hr;
    r = fx_call(f, &he);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    cr_expect_eq(r->health_reply->undecodable_records, 2);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(impact_recent, latest_first_correction_moves_pages_bounded, .timeout = 60)
{
    fx_t f;
    fx_up(&f, NULL);
    /* ids in an order unlike their recording order: by id the list would be a,b,c */
    submit(&f, "m-b", 100);
    submit(&f, "m-c", 200);
    submit(&f, "m-a", 300);
    char got[256];
    Mvoi__Envelope *r = list_recent(&f, NULL, 0, 10, NULL);
    ids(r, got, sizeof got);
    cr_assert_str_eq(got, "m-a,m-c,m-b");
    cr_assert_not(r->measurement_list->has_next_offset);
    Mvoi__MeasurementRecord *first = r->measurement_list->records[0];
    /* 300 l HVO100 x 2,783 kg/l (27.830 kg per 10.000 l, the events test) = 834,9 kg */
    cr_assert_eq(first->impact->co2_avoided_g, 834900LL);
    cr_assert(first->has_seq && first->has_recorded_ms);
    cr_assert_gt(first->seq, r->measurement_list->records[1]->seq);
    mvoi__envelope__free_unpacked(r, NULL);

    /* a correction of the oldest puts it in front, once */
    meas_t x;
    m_base(&x, "m-b", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 150000);
    x.m.reason = "second fuel card";
    Mvoi__CorrectMeasurement cm = MVOI__CORRECT_MEASUREMENT__INIT;
    cm.measurement = &x.m;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "corr-recent";
    e.body_case = MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT;
    e.correct_measurement = &cm;
    r = fx_call(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    mvoi__envelope__free_unpacked(r, NULL);
    r = list_recent(&f, NULL, 0, 10, NULL);
    ids(r, got, sizeof got);
    cr_assert_str_eq(got, "m-b,m-a,m-c");
    cr_assert_eq(r->measurement_list->records[0]->measurement->revision, 2);
    mvoi__envelope__free_unpacked(r, NULL);

    /* pages of two */
    r = list_recent(&f, NULL, 0, 2, NULL);
    ids(r, got, sizeof got);
    cr_assert_str_eq(got, "m-b,m-a");
    cr_assert(r->measurement_list->has_next_offset);
    cr_assert_eq(r->measurement_list->next_offset, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    r = list_recent(&f, NULL, 2, 2, NULL);
    ids(r, got, sizeof got);
    cr_assert_str_eq(got, "m-c");
    cr_assert_not(r->measurement_list->has_next_offset);
    mvoi__envelope__free_unpacked(r, NULL);

    /* other buyers see none of it: a registered one an empty list; a prefix of heerlen and
     * an unregistered one are refused on the buyer (the registry) or empty, never heerlen's */
    const char *others[] = { "landgraaf", "heer", "heerlen2" };
    for (int i = 0; i < 3; i++) {
        r = list_recent(&f, others[i], 0, 10, NULL);
        if (i > 0 && r->body_case == MVOI__ENVELOPE__BODY_ERROR) {
            cr_assert_str_eq(r->error->field, "buyer", "%s", others[i]);
        } else {
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_LIST, "%s", others[i]);
            cr_assert_eq(r->measurement_list->n_records, 0, "%s", others[i]);
        }
        mvoi__envelope__free_unpacked(r, NULL);
    }
    /* recent is per buyer, not per tender: a named error */
    r = list_recent(&f, NULL, 0, 10, "T-KLIMA");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(r->error->field, "list_measurements.recent");
    mvoi__envelope__free_unpacked(r, NULL);

    s_refused_without_m_c(&f);
    fx_fini(&f);
}
