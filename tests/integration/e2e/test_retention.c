/*  Bounded history: every producer of the chain (calendar, impact-calculator,
 *  kpi-aggregator) trims its outbox to its newest MVOI_*_RETAIN_EVENTS events on a short
 *  retention period (300, 1,500 and 300 events), while the whole chain runs a workload of 400 tenders and 3,000
 *  measurements (with corrections and withdrawals). The kpi-aggregator is stopped (kill -9)
 *  for the last requests, its producers trim meanwhile, and once restarted it catches up by
 *  replay from what they still hold; afterwards a new Clone follower (snapshot, then the
 *  stream) of the trimmed kpi-aggregator gets every total exactly as the closed form
 *  computed here (e2e.c, kpi_check.c) says. A cursor older than the retention is healed by
 *  the followers' snapshot path (feed.c), not here: this test keeps every consumer within
 *  what its producers retain, and checks that each producer really removed its oldest
 *  events (a replay from seq 1 is refused as removed by retention). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "e2e.h"
#include "kpi_check.h"

#define TENDERS 400
#define MEASUREMENTS 3000
#define BATCH 50
/* Kept per producer: the impact-calculator's margin is the aggregator's lag under load
 * (an ASan build on a busy machine lags by several hundred events while live). */
static const char *const s_retain[3] = { "300", "1500", "300" };
#define TAIL_REQUESTS 3        /* sent while the aggregator is down: <= 150 events */

/* Is seq 1 gone from the producer's outbox (a replay from it refused as out of range)? */
static bool s_trimmed(const char *api, uint64_t *head)
{
    Mvoi__ReplayRequest rr = MVOI__REPLAY_REQUEST__INIT;
    rr.has_from_seq = rr.has_max_count = true;
    rr.from_seq = 1;
    rr.max_count = 1;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    req.replay = &rr;
    Mvoi__Envelope *rep = NULL;
    *head = e2e_head(api, 2000);
    if (h_request(api, &req, &rep, 2000) != 0 || !rep)
        return false;
    bool gone = rep->body_case == MVOI__ENVELOPE__BODY_ERROR &&
                rep->error->code == MVOI__ERROR_CODE__ERR_OUT_OF_RANGE;
    mvoi__envelope__free_unpacked(rep, NULL);
    return gone;
}

Test(retention, every_producer_trims_and_a_consumer_behind_catches_up_exactly,
     .timeout = 240)
{
    uint64_t seed = (uint64_t)h_now_ms();
    cr_log_info("seed %llu", (unsigned long long)seed);
    e2e_wl_t *w = e2e_wl_new(seed, TENDERS, MEASUREMENTS, BATCH);
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    static const char *pre[3] = { "CALENDAR", "IMPACT_CALCULATOR", "KPI_AGGREGATOR" };
    for (int s = 0; s < 3; s++) {
        char kv[96];
        snprintf(kv, sizeof kv, "MVOI_%s_RETAIN_EVENTS=%s", pre[s], s_retain[s]);
        cr_assert_eq(e2e_fleet_env(&f, s, kv), 0);
        snprintf(kv, sizeof kv, "MVOI_%s_RETENTION_MS=100", pre[s]);
        cr_assert_eq(e2e_fleet_env(&f, s, kv), 0);
    }
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    void *zctx = zmq_ctx_new();
    char err[512] = "";
    e2e_sender_t *cal = e2e_sender_new(zctx, f.capi, 64, 5000);
    cr_assert_eq(e2e_sender_run(cal, w, 0, w->first_meas_req, NULL, NULL, 20000, err,
                                sizeof err), 0, "tenders: %s", err);
    cr_assert_eq(e2e_wait_impact_knows_calendar(&f, 20000), 0);
    e2e_sender_t *imp = e2e_sender_new(zctx, f.iapi, 16, 5000);
    size_t tail = w->first_cancel_req - TAIL_REQUESTS;
    cr_assert_eq(e2e_sender_run(imp, w, w->first_meas_req, tail, NULL, NULL, 30000, err,
                                sizeof err), 0, "measurements: %s", err);
    cr_assert_eq(e2e_wait_kpi_caught_up(&f, 60000), 0);

    /* the aggregator falls behind; its producers go on and trim */
    h_kill9(&f.proc[E2E_KPI]);
    cr_assert_eq(e2e_sender_run(imp, w, tail, w->first_cancel_req, NULL, NULL, 30000, err,
                                sizeof err), 0, "the last measurements: %s", err);
    cr_assert_eq(e2e_sender_run(cal, w, w->first_cancel_req, w->nreq, NULL, NULL, 20000, err,
                                sizeof err), 0, "cancellations: %s", err);
    h_sleep_ms(500);    /* five retention periods */
    uint64_t head[3];
    bool trimmed[3] = { s_trimmed(f.capi, &head[0]), s_trimmed(f.iapi, &head[1]), false };
    cr_assert(trimmed[0], "calendar kept seq 1 (head %llu, retain %s)",
              (unsigned long long)head[0], s_retain[0]);
    cr_assert(trimmed[1], "impact-calculator kept seq 1 (head %llu, retain %s)",
              (unsigned long long)head[1], s_retain[1]);

    cr_assert_eq(e2e_fleet_start(&f, E2E_KPI), 0);
    cr_assert_eq(h_wait_healthy(f.kapi, 10000), 0);
    cr_assert_eq(e2e_wait_kpi_caught_up(&f, 60000), 0, "the aggregator did not catch up "
                 "(logs in %s)", f.dir);
    for (int i = 0; i < 50 && !(trimmed[2] = s_trimmed(f.kapi, &head[2])); i++)
        h_sleep_ms(100);
    cr_assert(trimmed[2], "kpi-aggregator kept seq 1 (head %llu)", (unsigned long long)head[2]);
    cr_log_info("heads: calendar %llu, impact %llu, kpi %llu; kept: %s, %s, %s",
                (unsigned long long)head[0], (unsigned long long)head[1],
                (unsigned long long)head[2], s_retain[0], s_retain[1], s_retain[2]);

    /* a follower that starts now: snapshot of the trimmed aggregator, every total exact */
    clone_t *c = clone_new(zctx, f.kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    wl_t *fin = e2e_wl_final(w);
    kmap_t *exp = kpi_expect(fin);
    size_t bad = 0, missing = 0;
    size_t checked = kpi_compare(clone_state(c), exp, 8, &bad, &missing);
    cr_log_info("%zu totals compared with the closed form", checked);
    cr_assert_gt(checked, 1000);
    cr_assert_eq(bad, 0, "%zu totals differ from the closed form", bad);
    cr_assert_eq(missing, 0, "%zu expected totals missing", missing);

    kmap_destroy(&exp);
    wl_destroy(&fin);
    clone_destroy(&c);
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
    zmq_ctx_term(zctx);
    e2e_fleet_fini(&f, false);
    e2e_wl_destroy(&w);
}
