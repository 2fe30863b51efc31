/*  server retention keeps pace: a backlog of outbox events far beyond retain_events is
 *  trimmed in bounded passes, one per loop turn while more is due (not one pass a period,
 *  nor one pass that holds the writer for the whole backlog), each pass a share of the
 *  backlog, never more than trim_max. Each uv_run(NOWAIT) is one turn: it runs the due
 *  timers once, so a turn that trimmed more than trim_max would have run two passes. The figures are the test's own: events appended,
 *  retain_events and trim_max as set; the rate is printed (cr_log_info), not asserted.
 *  And trimming starts with the growth, not with the period: events appended at every turn
 *  under a period of a minute keep the outbox within a few turns' events of its retention. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "retention_fx.h"

#define N_EVENTS 60000
#define RETAIN 1000
#define TRIM_MAX 4000

typedef struct {
    outbox_t *ob;
    uint64_t n;
} s_app_t;

static int s_append(MDB_txn *txn, void *arg)
{
    s_app_t *a = arg;
    for (uint64_t i = 0; i < a->n; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = i;
        Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
        ev.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        ev.test_event = &te;
        int rc = outbox_append(a->ob, txn, "test.event", &ev, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

Test(server_trim, a_backlog_goes_in_bounded_passes_one_per_loop_turn)
{
    rfx_t fx;
    rfx_open(&fx, "trim");
    outbox_t *ob = fx.ob;
    for (int i = 0; i < N_EVENTS / 10000; i++) {
        s_app_t a = { ob, 10000 };
        cr_assert_eq(store_write(fx.store, s_append, &a), 0);
    }
    cr_assert_eq(outbox_head(ob), N_EVENTS);
    rfx_serve(&fx, (server_opts_t){ .retain_events = RETAIN, .maintenance_ms = 1,
                                    .trim_max = TRIM_MAX });

    /* the outbox keeps its newest RETAIN: seq N_EVENTS - RETAIN + 1 on */
    const uint64_t want_from = N_EVENTS - RETAIN + 1, due = want_from - 1;
    uint64_t before = 0, passes = 0, max_pass = 0;
    int turns = 0;
    double t0 = rfx_now_ms();
    /* NOWAIT: one run of the due timers per call, as one turn of a running loop */
    while (outbox_retained_from(ob) < want_from && rfx_now_ms() - t0 < 20000) {
        uv_run(&fx.loop, UV_RUN_NOWAIT);
        turns++;
        server_stats_t st;
        server_stats(fx.srv, &st);
        if (st.trimmed_events > before) {
            uint64_t pass = st.trimmed_events - before;
            cr_assert_leq(pass, TRIM_MAX, "a pass of %llu events", (unsigned long long)pass);
            max_pass = pass > max_pass ? pass : max_pass;
            passes++;
            before = st.trimmed_events;
        }
    }
    double ms = rfx_now_ms() - t0;
    cr_assert_eq(outbox_retained_from(ob), want_from);
    cr_assert_eq(before, due, "trimmed %llu of %llu", (unsigned long long)before,
                 (unsigned long long)due);
    /* at most TRIM_MAX a pass: at least due / TRIM_MAX passes (15); a share of the backlog
     * each, so a few more for the tail, not one pass per event */
    cr_assert_geq(passes, (due + TRIM_MAX - 1) / TRIM_MAX);
    cr_assert_leq(passes, (due + TRIM_MAX - 1) / TRIM_MAX + 12, "%llu passes",
                  (unsigned long long)passes);
    cr_assert_eq(max_pass, TRIM_MAX);
    cr_log_info("trimmed %llu events in %llu passes, %d loop turns, %.1f ms: %.0f events/s",
                (unsigned long long)due, (unsigned long long)passes, turns, ms,
                ms > 0 ? (double)due / ms * 1000.0 : 0.0);
    fprintf(stderr, "server_trim: %llu events, %llu passes of at most %d, %.1f ms, %.0f events/s\n",
            (unsigned long long)due, (unsigned long long)passes, TRIM_MAX, ms,
            ms > 0 ? (double)due / ms * 1000.0 : 0.0);

    rfx_close(&fx);
}

/* A producer under a bulk load: every turn commits APPEND_TURN events; the maintenance
 * period is a minute, so only the publish point's kick can start a pass. A pass removes a
 * quarter of what is due (at least 1024, at most TRIM_MAX), so what is due beyond the
 * retention settles near four turns' appends: the bound below is six. */
#define APPEND_TURN 2000
#define TURNS 40

Test(server_trim, trimming_keeps_pace_with_appends_without_waiting_for_the_period)
{
    rfx_t fx;
    rfx_open(&fx, "pace");
    outbox_t *ob = fx.ob;
    rfx_serve(&fx, (server_opts_t){ .retain_events = RETAIN, .maintenance_ms = 60000,
                                    .trim_max = TRIM_MAX });
    uint64_t most = 0;
    for (int turn = 0; turn < TURNS; turn++) {
        s_app_t a = { ob, APPEND_TURN };
        cr_assert_eq(store_write(fx.store, s_append, &a), 0);
        struct timespec ms = { 0, 2 * 1000 * 1000 };
        nanosleep(&ms, NULL);             /* the 1 ms pass is due at the next turn */
        uv_run(&fx.loop, UV_RUN_NOWAIT);
        uint64_t held = outbox_head(ob) - outbox_retained_from(ob) + 1;
        most = held > most ? held : most;
    }
    cr_assert_eq(outbox_head(ob), (uint64_t)TURNS * APPEND_TURN);
    cr_assert_leq(most, RETAIN + 6 * APPEND_TURN, "the outbox held %llu events (retention %d, "
                  "%d appended a turn): trimming waited for its period",
                  (unsigned long long)most, RETAIN, APPEND_TURN);
    for (int turn = 0; turn < 40 && outbox_retained_from(ob) + RETAIN <= outbox_head(ob);
         turn++) {
        struct timespec ms = { 0, 2 * 1000 * 1000 };
        nanosleep(&ms, NULL);
        uv_run(&fx.loop, UV_RUN_NOWAIT);
    }
    cr_assert_eq(outbox_retained_from(ob), (uint64_t)TURNS * APPEND_TURN - RETAIN + 1);
    cr_log_info("most held during the load: %llu", (unsigned long long)most);

    rfx_close(&fx);
}
