/*  ListMeasurements{recent}: the buyer's measurements latest recorded first (the dashboard's
 *  "Recente metingen"), a correction moving its measurement to the front, bounded pages. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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
static void s_corrupt_in(fx_t *f, const char *db, const char *buyer, const char *id,
                         uint32_t rev)
{
    char path[256], key[128];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    size_t bl = strlen(buyer), il = strlen(id), kl = bl + 1 + il;
    memcpy(key, buyer, bl + 1);
    memcpy(key + bl + 1, id, il);
    if (rev) {   /* a history key: buyer\0id\0 and the revision big-endian */
        uint8_t be[5] = { 0, (uint8_t)(rev >> 24), (uint8_t)(rev >> 16), (uint8_t)(rev >> 8),
                          (uint8_t)rev };
        memcpy(key + kl, be, 5);
        kl += 5;
    }
    cr_assert_eq(h_store_corrupt(path, db, key, kl), 0, "%s %s/%s", db, buyer, id);
}

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

/* landgraaf's own T-KLIMA (the fake calendar has heerlen's) and its m-b, m-c and m-a
 * (recorded in that order): heerlen's ids. */
static void s_landgraaf_m_c(fx_t *f)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-KLIMA";
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
    fx_wait_tenders(f, 5);
    meas_t x[3];
    const char *id[] = { "m-b", "m-c", "m-a" };
    const int64_t ml[] = { 410000, 400000, 420000 };
    Mvoi__Measurement *ms[3];
    for (int i = 0; i < 3; i++) {
        m_base(&x[i], id[i], "T-KLIMA", "2026");
        m_energy(&x[i], MVOI__CARRIER__CARRIER_HVO100, 0, ml[i]);
        ms[i] = &x[i].m;
    }
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 3;
    sm.measurements = ms;
    Mvoi__Envelope se = MVOI__ENVELOPE__INIT;
    se.request_id = "lg-m-c";
    se.buyer = "landgraaf";
    se.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    se.submit_measurements = &sm;
    r = fx_call(f, &se);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY, "body %d", r->body_case);
    for (int i = 0; i < 3; i++)
        cr_assert(r->measurement_reply->results[i]->ok, "landgraaf's %s accepted", id[i]);
    mvoi__envelope__free_unpacked(r, NULL);
}

static Mvoi__Envelope *s_get(fx_t *f, const char *buyer, const char *id)
{
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = (char *)id;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    e.get_measurement = &g;
    return fx_call(f, &e);
}

static void s_expect_undecodable(Mvoi__Envelope *r)
{
    cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "an answer short of a record: "
                 "body %d", r->body_case);
    if (r->body_case != MVOI__ENVELOPE__BODY_ERROR) {   /* the next ones red too */
        mvoi__envelope__free_unpacked(r, NULL);
        return;
    }
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
    cr_expect(r->error->message && strstr(r->error->message, "MVOI_E_UNDECODABLE"), "%s",
              r->error->message ? r->error->message : "(none)");
    mvoi__envelope__free_unpacked(r, NULL);
}

/* Does the calculator's log hold a line of event ev with all three needles? */
static bool s_log_event(fx_t *f, const char *ev, const char *record, const char *buyer,
                        const char *id)
{
    FILE *fp = fopen(f->imp.log, "r");
    cr_assert(fp, "%s", f->imp.log);
    static char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
        found = strstr(line, ev) && strstr(line, record) && strstr(line, buyer)
                && strstr(line, id);
    fclose(fp);
    return found;
}

static bool s_log_names(fx_t *f, const char *record, const char *buyer, const char *id)
{
    return s_log_event(f, "\"event\":\"record_undecodable\"", record, buyer, id);
}

/* landgraaf's list by tender T-KLIMA (heerlen has one of the same id) */
static Mvoi__Envelope *s_list_tender(fx_t *f, const char *buyer, const char *tender)
{
    Mvoi__ListMeasurements l = MVOI__LIST_MEASUREMENTS__INIT;
    l.tender_id = (char *)tender;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS;
    e.list_measurements = &l;
    return fx_call(f, &e);
}

/* In the stopped calculator's file: landgraaf's m-a deleted (its recent and by-tender
 * entries stay), its m-b replaced by a record that decodes, withdrawn, without its
 * measurement. */
static void s_landgraaf_damaged(fx_t *f)
{
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    cr_assert_eq(h_store_set(path, "measurements", "landgraaf\0m-a", 13, NULL, 0), 0);
    Mvoi__MeasurementRecord w = MVOI__MEASUREMENT_RECORD__INIT;
    w.has_withdrawn = w.withdrawn = 1;
    uint8_t buf[16];
    size_t n = mvoi__measurement_record__pack(&w, buf);
    cr_assert_eq(h_store_set(path, "measurements", "landgraaf\0m-b", 13, buf, n), 0);
}

/* landgraaf's lists with an index entry of m-a and no m-a, its withdrawn m-b without a
 * measurement, a submit of its undecodable T-KLIMA: each refused by name (before: an empty
 * recent page and a by-tender page of m-b, m-c answered as whole; a crash; "not known yet,
 * retry" for ever); heerlen's m-a (the same id) reads. */
static void s_refused_landgraaf(fx_t *f)
{
    s_expect_undecodable(list_recent(f, "landgraaf", 0, 10, NULL));
    s_expect_undecodable(s_list_tender(f, "landgraaf", "T-KLIMA"));
    cr_expect(s_log_event(f, "\"event\":\"record_missing\"", "\"index\":\"recent\"",
                          "\"buyer\":\"landgraaf\"", "\"id\":\"m-a\""));
    cr_expect(s_log_event(f, "\"event\":\"record_missing\"", "\"index\":\"bytender\"",
                          "\"buyer\":\"landgraaf\"", "\"id\":\"m-a\""));
    meas_t x;
    m_base(&x, "m-d", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 5000);
    Mvoi__Measurement *ms[] = { &x.m };
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = ms;
    Mvoi__Envelope se = MVOI__ENVELOPE__INIT;
    se.request_id = "lg-m-d";
    se.buyer = "landgraaf";
    se.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    se.submit_measurements = &sm;
    Mvoi__Envelope *r = fx_call(f, &se);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "body %d", r->body_case);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL, "%s", r->error->message);
    cr_expect(strstr(r->error->message, "MVOI_E_UNDECODABLE: het opgeslagen inkooptraject "
                                        "'T-KLIMA' is niet te lezen"), "%s", r->error->message);
    cr_expect_str_eq(r->error->field, "submit_measurements.measurements[0].tender_id");
    mvoi__envelope__free_unpacked(r, NULL);
    /* last: before, it crashed the calculator */
    s_expect_undecodable(s_get(f, "landgraaf", "m-b"));
    cr_expect(s_log_names(f, "\"record\":\"measurement\"", "\"buyer\":\"landgraaf\"",
                          "\"id\":\"m-b\""));
}


/* m-c's record turned into bytes that are no record: the snapshot (its consumers'
 * rebuild) and the list by buyer are refused by name, not sent short of m-c (before: the
 * snapshot was, and the list was a page of 2 with total 3); so are the GetMeasurements that
 * read a record, a history entry or a tender that does not decode, each logged by buyer and
 * id, while a good record beside them reads; health counts all five. */
static void s_refused_without_m_c(fx_t *f)
{
    Mvoi__Envelope *r;
    int st = 0;
    s_landgraaf_m_c(f);
    h_signal(&f->imp, SIGTERM);
    cr_assert_eq(h_wait(&f->imp, 10000, &st), 0);
    s_corrupt(f, "heerlen", "m-c");
    s_corrupt_in(f, "history", "heerlen", "m-b", 1);   /* m-b's revision 1, before the correction */
    s_corrupt_in(f, "tenders", "landgraaf", "T-KLIMA", 0);   /* the projection's */
    s_landgraaf_damaged(f);
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
    /* GetMeasurement: m-c itself (before: "the query failed", no name); m-b with a history
     * short of revision 1 (before: answered with no history, as if whole); landgraaf's m-c
     * of its T-KLIMA (before: answered without its purchasing group) */
    s_expect_undecodable(s_get(f, "heerlen", "m-c"));
    s_expect_undecodable(s_get(f, "heerlen", "m-b"));
    s_expect_undecodable(s_get(f, "landgraaf", "m-c"));
    cr_expect(s_log_names(f, "\"record\":\"measurement\"", "\"buyer\":\"heerlen\"",
                          "\"id\":\"m-c\""));
    cr_expect(s_log_names(f, "\"record\":\"measurement history\"", "\"buyer\":\"heerlen\"",
                          "\"id\":\"m-b\""));
    cr_expect(s_log_names(f, "\"record\":\"tender\"", "\"buyer\":\"landgraaf\"",
                          "\"id\":\"T-KLIMA\""));
    /* the good record beside them: heerlen's m-a of heerlen's T-KLIMA (the same tender id) */
    r = s_get(f, "heerlen", "m-a");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD, "body %d", r->body_case);
    cr_expect_str_eq(r->measurement_record->purchasing_group, "infra");
    cr_expect_eq(r->measurement_record->impact->co2_avoided_g, 834900LL);
    mvoi__envelope__free_unpacked(r, NULL);
    s_refused_landgraaf(f);
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope he = MVOI__ENVELOPE__INIT;
    he.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    he.health = &hr;
    r = fx_call(f, &he);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    /* the five above and landgraaf's recent list, by-tender list and m-b (a write's
     * refusal is not counted: the server counts queries and snapshots) */
    cr_expect_eq(r->health_reply->undecodable_records, 8);
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
