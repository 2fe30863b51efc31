/*  A failed log flush in a running impact-calculator (real process; failflush.c preloaded
 *  makes one fdatasync of wal.mvoi fail with EIO). Two buyers use the same measurement
 *  ids. The command whose flush failed is never acknowledged; every command after it is
 *  refused at once with a reason that names the restart; the health says not ready, with
 *  the storage error; after a restart the same request id is answered, and each buyer
 *  holds exactly its own measurements. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impact_it.h"

static Mvoi__Envelope *s_submit(fx_t *f, const char *buyer, const char *rid, const char *id,
                                int timeout_ms, int *rc)
{
    meas_t x;
    m_base(&x, id, "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    Mvoi__Measurement *mp = &x.m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.buyer = (char *)buyer;
    e.has_schema_version = 1;
    e.schema_version = 1;
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    Mvoi__Envelope *r = NULL;
    *rc = h_request(f->api, &e, &r, timeout_ms);
    return r;
}

/* Submitted and acknowledged: one result, ok. */
static void s_expect_ok(fx_t *f, const char *buyer, const char *rid, const char *id)
{
    int rc;
    Mvoi__Envelope *r = s_submit(f, buyer, rid, id, 10000, &rc);
    cr_assert_eq(rc, 0, "%s/%s: no reply (%d)", buyer, id, rc);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY, "%s/%s: %s", buyer, id,
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    cr_assert(r->measurement_reply->n_results == 1 && r->measurement_reply->results[0]->ok);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* Refused UNAVAILABLE, with a message that says why and that a restart is needed. */
static void s_expect_refused(fx_t *f, const char *buyer, const char *rid, const char *id)
{
    int rc;
    Mvoi__Envelope *r = s_submit(f, buyer, rid, id, 5000, &rc);
    cr_assert_eq(rc, 0, "%s/%s: no answer after the failed flush (%d)", buyer, id, rc);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s/%s taken after the failed "
                 "flush", buyer, id);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    /* in Dutch, the default: the request names no lang */
    cr_assert(strstr(r->error->message, "het wegschrijven naar de opslag is mislukt") &&
              strstr(r->error->message, "tot een herstart"), "%s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

static Mvoi__HealthReply *s_health(fx_t *f, Mvoi__Envelope **keep)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    *keep = fx_call(f, &e);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    return (*keep)->health_reply;
}

/* The calculator knows measurement id of buyer (GetMeasurement; NOT_FOUND otherwise). */
static bool s_known(fx_t *f, const char *buyer, const char *id)
{
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = (char *)id;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.buyer = (char *)buyer;
    e.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    e.get_measurement = &g;
    Mvoi__Envelope *r = fx_call(f, &e);
    bool known = r->body_case != MVOI__ENVELOPE__BODY_ERROR;
    if (!known)
        cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND, "%s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
    return known;
}

static void s_register_venlo(fx_t *f)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-KLIMA";   /* heerlen has a tender of that id too */
    t.buyer = "venlo";
    t.purchasing_group = "infra";
    t.has_value_cents = 1;
    t.value_cents = 100000000;
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "venlo-klima";
    e.buyer = "venlo";
    e.has_schema_version = 1;
    e.schema_version = 1;
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &e, &r, 10000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
}

static fx_t F;
static bool s_passed;

/* Runs after the test, also when an assertion ended it: then the children's logs go into
 * the test's output before the directory is removed. */
static void s_fini(void)
{
    if (!s_passed)
        h_keep_logs();
    fx_fini(&F);
}

Test(impact_flushfail, a_failed_log_flush_acknowledges_nothing_and_refuses_what_follows,
     .fini = s_fini, .timeout = 90)
{
    fx_init(&F, NULL);
    char so[512], arm[256], asan[700], pre[600];
    h_bin(so, sizeof so, "tests/integration/plumbing/libmvoi_failflush.so");
    cr_assert_eq(access(so, R_OK), 0, "%s not built", so);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", so);
    snprintf(arm, sizeof arm, "MVOI_FAILFLUSH_ARM=%s/arm", F.dir);
    /* a sanitizer build: the preloaded library comes before the ASan runtime */
    const char *ao = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", ao ? ao : "",
             ao && *ao ? ":" : "");
    fx_env_imp(&F, (const char *const[]){ pre, arm, "MVOI_FAILFLUSH_FILE=/wal.mvoi", asan,
                                          NULL });
    fx_start_cal(&F);
    s_register_venlo(&F);
    fx_start_imp(&F);
    fx_wait_tenders(&F, 5);
    h_sleep_ms(300);   /* a calendar heartbeat: the feed is current */

    const char *ids[] = { "M-1", "M-2", "M-3" };
    char rid[64];
    for (int i = 0; i < 3; i++) {
        snprintf(rid, sizeof rid, "h-%s", ids[i]);
        s_expect_ok(&F, "heerlen", rid, ids[i]);
        snprintf(rid, sizeof rid, "v-%s", ids[i]);
        s_expect_ok(&F, "venlo", rid, ids[i]);
    }

    /* Armed: heerlen's M-4 is committed, its flush fails. */
    char armfile[256];
    snprintf(armfile, sizeof armfile, "%s/arm", F.dir);
    FILE *fp = fopen(armfile, "w");
    cr_assert_not_null(fp);
    fclose(fp);
    int rc;
    Mvoi__Envelope *r = s_submit(&F, "heerlen", "h-M-4", "M-4", 3000, &rc);
    cr_assert_eq(access(armfile, F_OK), -1, "no flush failed");
    cr_assert(rc != 0 || r->body_case == MVOI__ENVELOPE__BODY_ERROR,
              "M-4 acknowledged although its flush failed");
    if (r)
        mvoi__envelope__free_unpacked(r, NULL);

    /* Everything after it: refused at once, whatever the buyer. */
    s_expect_refused(&F, "venlo", "v-M-4", "M-4");
    s_expect_refused(&F, "heerlen", "h-M-5", "M-5");
    Mvoi__Envelope *keep;
    Mvoi__HealthReply *h = s_health(&F, &keep);
    cr_assert_not(h->ready, "ready after a failed flush");
    cr_assert(h->has_storage_ok && !h->storage_ok);
    cr_assert_str_eq(h->storage_error, "EIO");
    mvoi__envelope__free_unpacked(keep, NULL);

    /* A restart (the arm is gone): the same request ids are answered, nothing counted
     * twice, nothing mixed between the buyers. */
    fx_restart_imp_with(&F, (const char *const[]){ NULL });
    s_expect_ok(&F, "heerlen", "h-M-4", "M-4");
    s_expect_ok(&F, "venlo", "v-M-4", "M-4");
    cr_assert_not(s_known(&F, "heerlen", "M-5"), "a refused measurement was stored");
    cr_assert_not(s_known(&F, "venlo", "M-5"));
    for (int i = 0; i < 3; i++)
        cr_assert(s_known(&F, "heerlen", ids[i]) && s_known(&F, "venlo", ids[i]), "%s", ids[i]);
    /* one event per accepted measurement: 4 per buyer */
    cr_assert_eq(fx_head(&F), 8);
    h = s_health(&F, &keep);
    cr_assert(h->ready && h->storage_ok);
    mvoi__envelope__free_unpacked(keep, NULL);
    s_passed = true;
}
