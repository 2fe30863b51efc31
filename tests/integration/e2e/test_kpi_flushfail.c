/*  A failed checkpoint flush of the kpi-aggregator, with real processes (calendar,
 *  impact-calculator durable; the aggregator's store flushed only by its checkpoint).
 *
 *  Linux reports a writeback error to one fdatasync and may have dropped the pages, so the
 *  next flush passing says nothing about them: after a failed checkpoint the aggregator's
 *  file cannot be trusted, even by an orderly stop on the same boot, whose own flush
 *  passes. failflush.c (preloaded into the aggregator) fails one fdatasync of its
 *  data.mdb while measurements stream in (or the one of an orderly stop, with checkpoints
 *  off). Health must say so at once (storage_error EIO,
 *  not ready: an operator restarts it), an orderly stop (SIGTERM) must leave the
 *  marker saying so, the next start must start anew (a new outbox epoch: followers
 *  reset) although the boot is the same, and after the rest of the workload every total
 *  equals the closed form (e2e.c, kpi_check.c: independent arithmetic).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "e2e.h"
#include "kpi_check.h"

#define TENDERS 20
#define MEASUREMENTS 4000
#define BATCH 100

static e2e_fleet_t F;
static bool s_done;

/* A failure leaves through criterion's longjmp: keep the services' logs in the output. */
static void s_fini(void)
{
    if (!s_done)
        h_keep_logs();
    e2e_fleet_fini(&F, false);
}

static void s_env_add(e2e_fleet_t *f, int which, const char *kv)
{
    cr_assert_eq(e2e_fleet_env(f, which, kv), 0, "no room for %s", kv);
}

static void s_read(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    if (!fgets(buf, (int)len, fp))
        buf[0] = 0;
    fclose(fp);
    buf[strcspn(buf, "\n")] = 0;
}

/* The aggregator's health after the failed flush: the store not trusted, not ready. */
static void s_expect_untrusted(const char *api)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *r = NULL;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    cr_assert_eq(h_request(api, &e, &r, 5000), 0, "no health reply");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    const Mvoi__HealthReply *h = r->health_reply;
    cr_expect(h->has_storage_ok && !h->storage_ok, "storage_ok after a failed checkpoint");
    cr_expect_str_eq(h->storage_error ? h->storage_error : "", "EIO");
    cr_expect(h->live && !h->ready, "live %d ready %d", h->live, h->ready);
    mvoi__envelope__free_unpacked(r, NULL);
}

static uint64_t s_epoch(void *zctx, e2e_fleet_t *f, kmap_t *exp)
{
    clone_t *c = clone_new(zctx, f->kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    if (exp) {
        size_t bad = 0, missing = 0;
        kpi_compare(clone_state(c), exp, 8, &bad, &missing);
        cr_assert_eq(bad, 0, "%zu totals differ from the closed form", bad);
        cr_assert_eq(missing, 0, "%zu expected totals missing", missing);
    }
    uint64_t e = clone_epoch(c);
    clone_destroy(&c);
    return e;
}

/* The fleet with failflush.c preloaded into the aggregator; checkpoint_ms "0": none. */
static void s_fleet(const char *checkpoint_ms, char *arm, size_t armlen)
{
    e2e_fleet_init(&F, false);
    char so[512], kv[600];
    h_bin(so, sizeof so, "tests/integration/plumbing/libmvoi_failflush.so");
    snprintf(kv, sizeof kv, "LD_PRELOAD=%s", so);
    s_env_add(&F, E2E_KPI, kv);
    snprintf(arm, armlen, "%s/arm", F.dir);
    snprintf(kv, sizeof kv, "MVOI_FAILFLUSH_ARM=%s", arm);
    s_env_add(&F, E2E_KPI, kv);
    s_env_add(&F, E2E_KPI, "MVOI_FAILFLUSH_FILE=/kpi-aggregator/data.mdb");
    const char *ao = getenv("ASAN_OPTIONS");
    snprintf(kv, sizeof kv, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", ao ? ao : "",
             ao && *ao ? ":" : "");
    s_env_add(&F, E2E_KPI, kv);
    snprintf(kv, sizeof kv, "MVOI_KPI_AGGREGATOR_CHECKPOINT_MS=%s", checkpoint_ms);
    s_env_add(&F, E2E_KPI, kv);
    cr_assert_eq(e2e_fleet_up(&F, 10000), 0, "services did not come up");
}

static void s_arm(const char *arm)
{
    FILE *fp = fopen(arm, "w");
    cr_assert_not_null(fp);
    fclose(fp);
}

/* The first half of the workload; one data.mdb flush fails during it (at_stop false: a
 * checkpoint's) or at the orderly stop after it (true). Then the marker must say so, the
 * restart on the same boot must start anew, and with the rest of the workload every
 * total must equal the closed form. */
static void s_run(bool at_stop)
{
    const char *se = getenv("E2E_SEED");
    uint64_t seed = se ? strtoull(se, NULL, 0) : (uint64_t)h_now_ms();
    cr_log_info("seed %llu (E2E_SEED=%llu to replay)", (unsigned long long)seed,
                (unsigned long long)seed);
    e2e_wl_t *w = e2e_wl_new(seed, TENDERS, MEASUREMENTS, BATCH);
    char arm[256], mark[256], found[64], err[512] = "";
    s_fleet(at_stop ? "0" : "50", arm, sizeof arm);
    snprintf(mark, sizeof mark, "%s/kpi-aggregator/kpi.unsynced", F.dir);
    void *zctx = zmq_ctx_new();
    e2e_sender_t *cal = e2e_sender_new(zctx, F.capi, 64, 5000);
    int rc = e2e_sender_run(cal, w, 0, w->first_meas_req, NULL, NULL, 20000, err, sizeof err);
    cr_assert_eq(rc, 0, "registering tenders: %s", err);
    cr_assert_eq(e2e_wait_impact_knows_calendar(&F, 20000), 0);
    uint64_t epoch0 = s_epoch(zctx, &F, NULL);

    if (!at_stop)
        s_arm(arm);
    size_t half = (w->first_cancel_req - w->first_meas_req) / 2;
    e2e_sender_t *imp = e2e_sender_new(zctx, F.iapi, 8, 5000);
    rc = e2e_sender_run(imp, w, w->first_meas_req, w->first_meas_req + half, NULL, NULL,
                        30000, err, sizeof err);
    cr_assert_eq(rc, 0, "measurements: %s", err);
    cr_assert_eq(e2e_wait_kpi_caught_up(&F, 30000), 0);
    if (at_stop) {
        s_arm(arm);
    } else {
        for (int i = 0; i < 200 && access(arm, F_OK) == 0; i++)
            h_sleep_ms(25);
        cr_assert_neq(access(arm, F_OK), 0, "no checkpoint flushed data.mdb in 5 s");
        h_sleep_ms(50);   /* the worker's failure reaches the loop */
        s_expect_untrusted(F.kapi);
    }

    /* an orderly stop: the marker must stay and say so (after a failed checkpoint the
     * stop's own flush would pass) */
    cr_assert_eq(h_signal(&F.proc[E2E_KPI], SIGTERM), 0);
    int st = 0;
    cr_assert_eq(h_wait(&F.proc[E2E_KPI], 10000, &st), 0);
    cr_assert_neq(access(arm, F_OK), 0, "no flush of data.mdb failed");
    s_read(mark, found, sizeof found);
    cr_assert_str_eq(found, "flush-failed", "the marker after the stop: \"%s\"", found);

    /* the same boot: started anew all the same, then the rest of the workload */
    cr_assert_eq(e2e_fleet_start(&F, E2E_KPI), 0);
    cr_assert_eq(h_wait_healthy(F.kapi, 20000), 0, "no restart after the failed flush");
    rc = e2e_sender_run(imp, w, w->first_meas_req + half, w->first_cancel_req, NULL, NULL,
                        30000, err, sizeof err);
    cr_assert_eq(rc, 0, "measurements after the restart: %s", err);
    rc = e2e_sender_run(cal, w, w->first_cancel_req, w->nreq, NULL, NULL, 20000, err,
                        sizeof err);
    cr_assert_eq(rc, 0, "cancelling: %s", err);
    cr_assert_eq(e2e_wait_kpi_caught_up(&F, 60000), 0, "no catch-up");
    wl_t *fin = e2e_wl_final(w);
    kmap_t *exp = kpi_expect(fin);
    uint64_t epoch1 = s_epoch(zctx, &F, exp);
    cr_assert_neq(epoch1, epoch0, "the aggregator kept a store whose flush had failed");
    s_read(mark, found, sizeof found);
    cr_assert_str_neq(found, "flush-failed", "the new store is still marked untrusted");

    kmap_destroy(&exp);
    wl_destroy(&fin);
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
    zmq_ctx_term(zctx);
    e2e_wl_destroy(&w);
    s_done = true;
}

Test(kpi_flushfail, a_failed_checkpoint_makes_the_next_start_rebuild, .fini = s_fini,
     .timeout = 180)
{
    s_run(false);
}

Test(kpi_flushfail, a_failed_flush_at_the_stop_makes_the_next_start_rebuild, .fini = s_fini,
     .timeout = 180)
{
    s_run(true);
}
