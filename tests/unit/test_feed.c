/* Unit tests for common/feed.c, one per behaviour: replay from the cursor at start and in
 * batches until the head, live events applied once and duplicates dropped, a gap asks a
 * replay of what is missing, a heartbeat beyond the cursor asks a replay, a new epoch
 * resets and resynchronises, a storage failure applies nothing and the events come back,
 * readiness follows the producer's heartbeats. The rebuild from a snapshot is tested in
 * test_feed_snapshot.c; the fixture is feed_fx.c.
 *
 * In-process: a real LMDB in a temp dir, the feed on the loop, and a fake producer driven
 * by the test: a raw PUB and ROUTER on inproc:// holding a log of events 1..head of one
 * epoch, which answers ReplayRequests from that log like a real producer. What the test
 * expects (which seqs, from where a replay starts) follows from what it made the producer
 * hold and send, not from the feed. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "feed.h"
#include "feed_int.h"   /* feed_fingerprint */
#include "inbox.h"
#include "mvoi_error.h"
#include "store.h"
#include "unit_tmp.h"
#include "feed_fx.h"

Test(feed, start_replays_from_the_cursor_and_a_restart_resumes_after_it)
{
    tf_start(7, 3);
    tf_feed_start(0, 10000);
    tf_wait_applied(3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    cr_assert_eq(F.replay_from[0], 1);
    cr_assert(tf_until(tf_caught_up, 1000));
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(e, 7);
    cr_assert_eq(q, 3);
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.head = 5;   /* the producer went on while we were away */
    int first = F.nreplays;
    tf_feed_start(0, 10000);
    tf_wait_applied(5);
    cr_assert_eq(F.replay_from[first], 3, "a restart replays from the cursor (its own event "
                 "again, to compare its fingerprint)");
    cr_assert_eq(F.applied[3], 4);
    cr_assert_eq(F.applied[4], 5);
    cr_assert_eq(F.apply_calls, 5, "an event was applied twice");
    tf_stop();
}

Test(feed, replays_in_batches_until_the_head)
{
    tf_start(7, 5);
    tf_feed_start(2, 10000);   /* at most 2 events per ReplayRequest */
    tf_wait_applied(5);
    cr_assert(tf_until(tf_caught_up, 1000));
    cr_assert_geq(F.nreplays, 3);
    cr_assert_eq(F.replay_from[0], 1);
    cr_assert_eq(F.replay_from[1], 2);   /* each from the cursor's own event */
    cr_assert_eq(F.replay_from[2], 3);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    tf_stop();
}

Test(feed, live_events_are_applied_once_and_duplicates_dropped)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    feed_stats_t st0, st;
    feed_stats(F.feed, &st0);
    F.head = 3;
    uint64_t sent[] = { 1, 2, 2, 1, 3 };
    for (int i = 0; i < 5; i++)
        tf_publish(sent[i]);
    tf_wait_applied(3);
    tf_until(NULL, 50);
    cr_assert_eq(F.napplied, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.duplicates - st0.duplicates, 2);
    cr_assert_eq(F.apply_calls, 3);
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(q, 3);
    tf_stop();
}

/* Events from..to published as ONE message, an EventBatch packed by protobuf-c (as
 * server_publish.c sends them); with `cut`, a last element whose length runs past the
 * batch follows them (written by hand: protobuf-c cannot pack it). */
static void s_publish_batch(uint64_t from, uint64_t to, bool cut)
{
    uint8_t ev[8][256];
    ProtobufCBinaryData items[8];
    size_t n = 0;
    for (uint64_t q = from; q <= to && n < 8; q++, n++)
        items[n] = (ProtobufCBinaryData){ tf_pack_event(ev[n], sizeof ev[n], F.epoch, q),
                                          ev[n] };
    Mvoi__EventBatch b = MVOI__EVENT_BATCH__INIT;
    b.n_events = n;
    b.events = items;
    uint8_t inner[4096], outer[4200];
    size_t il = mvoi__event_batch__pack(&b, inner);
    if (cut) {
        inner[il++] = 0x0a;   /* events, length-delimited ... */
        inner[il++] = 0x7f;   /* ... of 127 bytes, none of which follow */
    }
    size_t ol = 0;
    outer[ol++] = 0xea;       /* Envelope.event_batch (29), length-delimited */
    outer[ol++] = 0x01;
    outer[ol++] = (uint8_t)(0x80 | (il & 0x7f));
    outer[ol++] = (uint8_t)(il >> 7);
    memcpy(outer + ol, inner, il);
    ol += il;
    zmq_send(F.pub, "test.event", 10, ZMQ_SNDMORE);
    cr_assert_eq(zmq_send(F.pub, outer, ol, 0), (int)ol);
}

Test(feed, events_of_a_batch_are_taken_one_by_one_as_if_each_came_alone)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    feed_stats_t st0, st;
    feed_stats(F.feed, &st0);
    int replays0 = F.nreplays;
    F.head = 4;
    s_publish_batch(1, 3, false);
    s_publish_batch(3, 4, false);   /* 3 again: a duplicate inside a batch */
    tf_wait_applied(4);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.duplicates - st0.duplicates, 1);
    cr_assert_eq(F.nreplays, replays0, "no gap, so no replay");
    F.head = 7;
    s_publish_batch(6, 7, false);   /* 5 was lost: the batch opens with a gap */
    tf_wait_applied(7);
    cr_assert_gt(F.nreplays, replays0, "a gap inside a batch asks a replay");
    F.head = 9;
    s_publish_batch(8, 8, true);    /* 8, then a cut element: 9 is missing */
    tf_heartbeat(F.epoch, 9);        /* ... and the head says so */
    tf_wait_applied(9);
    for (int i = 0; i < 9; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1, "applied[%d] = %llu", i,
                     (unsigned long long)F.applied[i]);
    cr_assert_eq(F.napplied, 9);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.decode_errors - st0.decode_errors, 1, "the cut batch is one decode error");
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(q, 9);
    tf_stop();
}

/* The fingerprint function must not change (cursors written by earlier versions hold it):
 * the published FNV-1a 64 vectors, and 0 is never a fingerprint (0 = unknown). */
Test(feed, the_fingerprint_is_fnv1a_64_as_stored_in_existing_cursors)
{
    cr_assert_eq(feed_fingerprint("", 0), 0xcbf29ce484222325ull);
    cr_assert_eq(feed_fingerprint("a", 1), 0xaf63dc4c8601ec8cull);
    cr_assert_eq(feed_fingerprint("foobar", 6), 0x85944171f73967e8ull);
    cr_assert_eq(tf_fnv1a((const uint8_t *)"foobar", 6), 0x85944171f73967e8ull);
}

/* Only the last event of a batch has its fingerprint kept (it is hashed on demand): the
 * cursor after a batch of live events holds the hash of exactly that event's bytes. */
Test(feed, the_cursor_holds_the_fingerprint_of_the_last_applied_event)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    F.head = 4;
    for (uint64_t q = 1; q <= 4; q++)
        tf_publish(q);
    tf_wait_applied(4);
    uint64_t e, q, fp;
    cr_assert_eq(inbox_get_fp(F.inbox, NULL, "calendar", &e, &q, &fp), 0);
    cr_assert_eq(q, 4);
    uint8_t buf[256];
    size_t len = tf_pack_event(buf, sizeof buf, 7, 4);
    cr_assert_eq(fp, tf_fnv1a(buf, len), "the cursor's fingerprint is not its event's");
    len = tf_pack_event(buf, sizeof buf, 7, 3);
    cr_assert_neq(fp, tf_fnv1a(buf, len));
    tf_stop();
}

Test(feed, a_gap_asks_a_replay_of_what_is_missing)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    int before = F.nreplays;
    F.head = 3;
    tf_publish(1);
    tf_publish(3);   /* 2 was lost on the way */
    tf_wait_applied(3);
    cr_assert_eq(F.applied[0], 1);
    cr_assert_eq(F.applied[1], 2);
    cr_assert_eq(F.applied[2], 3);
    cr_assert_gt(F.nreplays, before);
    cr_assert_eq(F.replay_from[before], 1, "the replay starts at the cursor's event, just "
                 "before the first missing seq");
    feed_stats_t st;
    feed_stats(F.feed, &st);
    cr_assert_geq(st.gaps, 1);
    cr_assert_eq(F.apply_calls, 3);
    tf_stop();
}

Test(feed, a_heartbeat_beyond_the_cursor_asks_a_replay)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    int before = F.nreplays;
    F.head = 2;                 /* two events whose live messages never came */
    tf_heartbeat(7, 2);
    tf_wait_applied(2);
    cr_assert_eq(F.replay_from[before], 1);
    cr_assert_eq(F.applied[0], 1);
    cr_assert_eq(F.applied[1], 2);
    tf_stop();
}

/* Read your writes: the producer acknowledged events 3 and 4, whose live messages are
 * still on the way (never published here), and no heartbeat says so yet. The feed counts
 * as caught up; a sync must still bring them in before it says "synced". A second sync
 * asked while the first is in flight needs a replay asked after it. */
static uint64_t s_token;
static bool s_synced(void) { return feed_synced(F.feed, s_token); }

Test(feed, a_sync_applies_what_the_producer_acknowledged_before_it)
{
    tf_start(7, 2);
    tf_caught_up_and_live();
    tf_wait_applied(2);
    cr_assert(feed_caught_up(F.feed));
    F.head = 4;                 /* acknowledged, not yet heard of */
    int before = F.nreplays;
    s_token = feed_sync(F.feed);
    cr_assert_not(feed_synced(F.feed, s_token), "synced before the producer answered");
    uint64_t first = s_token;
    s_token = feed_sync(F.feed);   /* asked while the first is in flight */
    cr_assert(tf_until(s_synced, 3000), "never synced");
    cr_assert(feed_synced(F.feed, first));
    cr_assert_eq(F.napplied, 4, "events 3 and 4 are applied by the sync");
    cr_assert_eq(F.applied[2], 3);
    cr_assert_eq(F.applied[3], 4);
    cr_assert_eq(F.nreplays, before + 2, "the second sync asked again after the first");
    /* nothing new at the producer: a later sync still needs an answer after it */
    s_token = feed_sync(F.feed);
    cr_assert_not(feed_synced(F.feed, s_token));
    cr_assert(tf_until(s_synced, 3000), "the third sync never ended");
    cr_assert_eq(F.apply_calls, 4, "nothing applied twice");
    tf_stop();
}

Test(feed, a_new_epoch_resets_and_resynchronises)
{
    tf_start(7, 3);
    tf_caught_up_and_live();
    tf_wait_applied(3);
    /* The producer's store was wiped: a new epoch with a log of its own. */
    F.epoch = 9;
    F.head = 2;
    tf_heartbeat(9, 2);
    tf_wait_applied(5);
    cr_assert_eq(F.resets, 1);
    cr_assert_eq(F.reset_old, 7);
    cr_assert_eq(F.reset_new, 9);
    cr_assert_eq(F.applied[3], 1);
    cr_assert_eq(F.applied_epoch[3], 9);
    cr_assert_eq(F.applied[4], 2);
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(e, 9);
    cr_assert_eq(q, 2);
    feed_stats_t st;
    feed_stats(F.feed, &st);
    cr_assert_eq(st.resets, 1);
    tf_stop();
}

static int s_count_fn(MDB_txn *txn, void *arg)
{
    MDB_stat st;
    int rc = mdb_stat(txn, F.data, &st);
    *(int *)arg = (int)st.ms_entries;
    return rc;
}

Test(feed, a_storage_failure_applies_nothing_and_the_events_come_back)
{
    tf_start(7, 0);
    tf_caught_up_and_live();
    F.fail_apply = true;
    F.head = 2;
    int replays = F.nreplays;
    tf_publish(1);
    tf_publish(2);
    tf_until(NULL, 500);
    /* a refused batch is asked again after 100, 200, 400 ms ... (before: at once, as fast
     * as the producer answered, an error line each time): the live batch, then at most
     * the replays at 100 and 300 ms, and one more for slack */
    cr_assert_leq(F.nreplays - replays, 4, "%d replays of a refused batch in 500 ms",
                  F.nreplays - replays);
    int rows = -1;
    cr_assert_eq(store_read(F.store, s_count_fn, &rows), 0);
    cr_assert_eq(rows, 0, "a failed batch left writes behind");
    cr_assert_eq(F.napplied, 0);
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(q, 0, "the cursor moved past events that were not applied");
    F.fail_apply = false;   /* the store recovers: the events come back through a replay */
    tf_heartbeat(7, 2);
    tf_wait_applied(2);
    cr_assert_eq(F.applied[0], 1);
    cr_assert_eq(F.applied[1], 2);
    cr_assert_eq(store_read(F.store, s_count_fn, &rows), 0);
    cr_assert_eq(rows, 2);
    tf_stop();
}

static bool s_ready_200(void) { return feed_ready(F.feed, 200); }
static bool s_not_ready_200(void) { return !feed_ready(F.feed, 200); }

/* Heartbeats every 50 ms while waiting for cond, as a live producer sends them. */
static bool s_beating_until(tf_cond_fn *cond, int timeout_ms)
{
    uint64_t end = tf_ms() + (uint64_t)timeout_ms;
    while (tf_ms() < end) {
        tf_heartbeat(F.epoch, F.head);
        if (tf_until(cond, 50))
            return true;
    }
    return false;
}

Test(feed, readiness_follows_the_producers_heartbeats)
{
    tf_start(7, 4);
    F.answer = false;           /* the producer does not answer yet */
    tf_feed_start(0, 300);       /* an unanswered replay is asked again after 300 ms */
    tf_until(NULL, 100);
    cr_assert_not(feed_ready(F.feed, 200), "ready before the replay reached the head");
    F.answer = true;
    cr_assert(s_beating_until(s_ready_200, 3000), "not ready after catching up");
    cr_assert_eq(F.napplied, 4);
    F.answer = false;           /* the producer falls silent: no heartbeats, no answers */
    cr_assert(tf_until(s_not_ready_200, 3000), "still ready after the producer fell silent");
    cr_assert(s_beating_until(s_ready_200, 3000), "not ready again after heartbeats");
    tf_stop();
}

static void s_router_at(const char *ep)
{
    int zero = 0;
    zmq_close(F.router);
    F.router = zmq_socket(bus_ctx_zmq(F.ctx), ZMQ_ROUTER);
    zmq_setsockopt(F.router, ZMQ_LINGER, &zero, sizeof zero);
    uint64_t end = tf_ms() + 3000;
    while (zmq_bind(F.router, ep) != 0) {
        cr_assert(tf_ms() < end, "cannot bind %s again: %s", ep, zmq_strerror(zmq_errno()));
        tf_until(NULL, 20);
    }
    size_t len = sizeof F.api;
    cr_assert_eq(zmq_getsockopt(F.router, ZMQ_LAST_ENDPOINT, F.api, &len), 0);
}

static int s_nreplays_want;
static bool s_replays_enough(void) { return F.nreplays >= s_nreplays_want; }

/* The connection to the producer goes while a sync's replay is out (a calendar stopped a
 * few seconds closed it unread): the feed asks again once connected anew, not after
 * stall_ms (10 s here; gateway_settle failed so). The first connection asks nothing twice. */
Test(feed, a_replay_under_way_is_asked_again_on_a_new_connection)
{
    tf_start(7, 2);
    s_router_at("tcp://127.0.0.1:*");
    tf_feed_start(0, 10000);
    tf_wait_applied(2);
    cr_assert(tf_until(tf_caught_up, 3000));
    tf_until(NULL, 200);
    /* each from the cursor's event (1, then 2 once 1..2 are in): one from 1 again would
     * be the first connection asking twice */
    for (int i = 1; i < F.nreplays && i < F_MAX; i++)
        cr_assert_gt(F.replay_from[i], F.replay_from[i - 1], "the first connection asked "
                     "again: replay %d from %llu after one from %llu", i,
                     (unsigned long long)F.replay_from[i], (unsigned long long)F.replay_from[i - 1]);
    int before = F.nreplays;
    F.answer = false;           /* a producer that stops reading */
    F.head = 4;
    s_token = feed_sync(F.feed);
    s_nreplays_want = before + 1;
    cr_assert(tf_until(s_replays_enough, 3000), "the sync asked no replay");
    char ep[sizeof F.api];
    memcpy(ep, F.api, sizeof ep);
    F.answer = true;
    uint64_t t0 = tf_ms();
    s_router_at(ep);            /* the connection is gone with the request */
    cr_assert(tf_until(s_synced, 3000), "no sync within 3 s of the new connection (stall_ms "
              "is 10 s): the lost replay was not asked again (%d asked)", F.nreplays);
    cr_assert(F.napplied == 4 && F.applied[3] == 4, "events 3 and 4 come with the sync");
    cr_log_info("synced %llu ms after the new listener", (unsigned long long)(tf_ms() - t0));
    tf_stop();
}
