/* A feed's rebuild from a real server's snapshot that is larger than the queues between
 * them and slower to read than the feed's stall_ms (the scale run: the impact-calculator
 * needed seconds to read 2 M measurements; the kpi-aggregator asked again after 3 s of
 * silence, each new request id made the stream under way worthless, and the producer built
 * yet another stream into the same full queue, so the rebuild never ended and the refusals
 * of the extra streams were lost to EAGAIN). In-process: two LMDB stores, the real server
 * (send queue 50) and the real feed (receive queue 50) on one loop; the item count and
 * their sum are the test's own arithmetic. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "feed.h"
#include "inbox.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "unit_tmp.h"

#define R_API "inproc://test-rbflow-api"
#define R_PUB "inproc://test-rbflow-pub"
#define R_HWM 50
#define R_ITEMS 5000          /* 100 times the queue on either side */
#define R_STALL_MS 150        /* the feed's silence before it asks again */
#define R_BUILD_MS 400        /* the producer's read of its state: longer than that */

static struct {
    char pdir[64], cdir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *pstore, *cstore;
    outbox_t *ob;
    server_t *srv;
    inbox_t *inbox;
    feed_t *feed;
    uint64_t napplied, sum;
    int resets;
} R;

static void s_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The producer's state: items 1..R_ITEMS, read slowly (as 2 M records are). */
static int s_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    (void)arg;
    (void)txn;
    (void)prefix;
    s_sleep_ms(R_BUILD_MS);
    for (uint64_t n = 1; n <= R_ITEMS; n++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = n;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        env.test_event = &te;
        int rc = server_snapshot_emit(req, "test.item", &env);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    (void)arg;
    (void)txn;
    (void)topic;
    cr_assert_eq(ev->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
    R.napplied++;
    R.sum += ev->test_event->n;
    return 0;
}

static int s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch,
                   uint64_t new_epoch)
{
    (void)arg;
    (void)txn;
    (void)producer;
    (void)old_epoch;
    (void)new_epoch;
    R.resets++;
    R.napplied = R.sum = 0;   /* what was derived is forgotten */
    return 0;
}

static uint64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void s_start(void)
{
    memset(&R, 0, sizeof R);
    ut_tmpdir(R.pdir, sizeof R.pdir, "rbflow-p");
    ut_tmpdir(R.cdir, sizeof R.cdir, "rbflow-c");
    cr_assert_eq(uv_loop_init(&R.loop), 0);
    R.ctx = bus_ctx_new();
    int err = 0;
    static const char *const pdbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t po = { .path = R.pdir, .dbs = pdbs, .nosync = true };
    R.pstore = store_new(&po, &err);
    cr_assert_not_null(R.pstore, "store_new: %s", mvoi_strerror(err));
    R.ob = outbox_new(R.pstore, "rbprod", &err);
    cr_assert_not_null(R.ob);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.sndhwm = bo.rcvhwm = R_HWM;
    server_opts_t so = { .name = "rbprod", .api_endpoint = R_API, .pub_endpoint = R_PUB,
                         .store = R.pstore, .outbox = R.ob, .snapshot = s_snapshot,
                         .heartbeat_ms = 0, .bus_opts = &bo };
    R.srv = server_new(&R.loop, R.ctx, &so, &err);
    cr_assert_not_null(R.srv, "server_new: %s", mvoi_strerror(err));
    static const char *const cdbs[] = { INBOX_DBS, NULL };
    store_opts_t co = { .path = R.cdir, .dbs = cdbs, .nosync = true };
    R.cstore = store_new(&co, &err);
    cr_assert_not_null(R.cstore, "store_new: %s", mvoi_strerror(err));
    R.inbox = inbox_new(R.cstore, &err);
    cr_assert_not_null(R.inbox);
    feed_opts_t fo = { .producer = "rbprod", .pub_endpoint = R_PUB, .api_endpoint = R_API,
                       .apply = s_apply, .reset = s_reset, .arg = &R,
                       .stall_ms = R_STALL_MS, .snapshot_prefix = "test.",
                       .bus_opts = &bo };
    R.feed = feed_new(&R.loop, R.ctx, R.cstore, R.inbox, &fo, &err);
    cr_assert_not_null(R.feed, "feed_new: %s", mvoi_strerror(err));
}

static void s_stop(void)
{
    feed_destroy(&R.feed);
    server_destroy(&R.srv);
    uv_run(&R.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&R.ctx);
    uv_run(&R.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&R.loop), 0);
    inbox_destroy(&R.inbox);
    outbox_destroy(&R.ob);
    store_destroy(&R.cstore);
    store_destroy(&R.pstore);
    ut_tmpdir_remove(R.pdir);
    ut_tmpdir_remove(R.cdir);
}

static bool s_rebuilt(void)
{
    feed_stats_t st;
    feed_stats(R.feed, &st);
    return st.rebuilds > 0 && !feed_rebuilding(R.feed);
}

static bool s_run_until(bool (*cond)(void), int timeout_ms)
{
    uint64_t end = s_ms() + (uint64_t)timeout_ms;
    while (!cond() && s_ms() < end)
        uv_run(&R.loop, UV_RUN_NOWAIT);
    return cond();
}

static bool s_caught_up(void) { return feed_caught_up(R.feed); }

Test(feed_rebuild_flow, a_slow_snapshot_larger_than_the_queues_rebuilds_whole)
{
    s_start();
    cr_assert(s_run_until(s_caught_up, 3000), "the feed did not start");
    cr_assert_eq(feed_rebuild(R.feed, FEED_REBUILD_REQUESTED), 0);
    /* Ten reads of the state at most; before the fix every read was asked for again. */
    cr_assert(s_run_until(s_rebuilt, 10 * R_BUILD_MS + 2000),
              "the rebuild did not finish (%llu items applied)",
              (unsigned long long)R.napplied);
    cr_assert_eq(R.resets, 1, "one reset, one rebuild");
    cr_assert_eq(R.napplied, R_ITEMS, "every item once");
    cr_assert_eq(R.sum, (uint64_t)R_ITEMS * (R_ITEMS + 1) / 2);
    server_stats_t st;
    server_stats(R.srv, &st);
    cr_assert_gt(st.snapshot_full, 0, "the queues were full on the way");
    cr_assert_eq(st.snapshots, 1, "the feed waited for the slow read instead of asking again");
    s_stop();
}
