/* Unit tests for common/feed.c's rebuild from a producer's snapshot (test_feed.c has the
 * replay and live tests, feed_fx.c their fixture): a producer that went back is rebuilt, a
 * requested rebuild takes the snapshot once, a snapshot short of its count is asked again,
 * a rebuilt cursor learns its fingerprint, a rebuild asks again after a producer restart. */
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

static bool s_rebuilt(void)
{
    feed_stats_t st;
    feed_stats(F.feed, &st);
    return st.rebuilds > 0 && feed_caught_up(F.feed);
}

/* The producer was put back to an older copy (same epoch) and went on past our cursor: the
 * event at our cursor is another one now. The feed notices it in the replay from its
 * cursor, forgets what it derived (reset with the same epoch), takes the snapshot and sets
 * its cursor to the snapshot's seq, in one transaction; it is not ready until then. */
Test(feed, a_producer_that_went_back_is_rebuilt_from_its_snapshot)
{
    tf_start(7, 5);
    tf_feed_start(0, 10000);
    tf_wait_applied(5);
    cr_assert(tf_until(tf_caught_up, 1000));
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.gen = 1;      /* the restored producer: events 1..8 of another history */
    F.head = 8;
    int first = F.nreplays;
    tf_feed_start(0, 10000);
    cr_assert(tf_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.replay_from[first], 5, "the replay starts at the cursor's own event");
    cr_assert_eq(F.nsnapshots, 1);
    cr_assert_eq(F.resets, 1, "what was derived was forgotten once");
    cr_assert_eq(F.reset_old, 7);
    cr_assert_eq(F.reset_new, 7);
    cr_assert_eq(feed_rebuild_reason(F.feed), FEED_REBUILD_WENT_BACK);
    cr_assert_str_eq(feed_rebuild_reason_name(feed_rebuild_reason(F.feed)), "went_back");
    uint64_t e, q;
    tf_cursor(&e, &q);
    cr_assert_eq(e, 7);
    cr_assert_eq(q, 8, "the cursor is the snapshot's seq");
    /* the batch of the rebuild applied the snapshot's 8 items, after the 5 of before */
    cr_assert_eq(F.napplied, 5 + 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(F.applied[5 + i], (uint64_t)i + 1);
    tf_stop();
}

/* Without a fingerprint check (the mutation this test guards), events 6..8 of the other
 * history would have been applied on top of the old 1..5. A consumer can also ask for a
 * rebuild itself (after an unclean stop), and a second call while one runs is one rebuild. */
Test(feed, a_requested_rebuild_takes_the_snapshot_once)
{
    tf_start(3, 4);
    tf_feed_start(0, 10000);
    tf_wait_applied(4);
    cr_assert(tf_until(tf_caught_up, 1000));
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(feed_rebuilding(F.feed));
    cr_assert_not(feed_ready(F.feed, 100000), "ready while rebuilding");
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_NONE), -EINVAL);
    cr_assert(tf_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 1);
    cr_assert_eq(F.resets, 1);
    cr_assert_eq(F.napplied, 4 + 4);
    cr_assert_not(feed_rebuilding(F.feed));
    cr_assert_eq(feed_rebuild_reason(F.feed), FEED_REBUILD_REQUESTED);
    tf_stop();
}

/* A snapshot that arrives short of an item its SnapshotEnd counts (lost on the way, or not
 * decodable and so not known as ours) is not applied: it fails by name and is asked again;
 * the second, whole, is applied. Before, the first was applied without item 2 and the
 * rebuild logged as done: 3 items where the producer holds 4, for good. */
Test(feed, a_snapshot_short_of_its_count_is_not_applied_and_asked_again)
{
    tf_start(3, 4);
    tf_feed_start(0, 200);
    tf_wait_applied(4);
    cr_assert(tf_until(tf_caught_up, 1000));
    F.snap_drop_once = true;
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(tf_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 2, "the short one was applied");
    cr_assert_eq(F.napplied, 4 + 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(F.applied[4 + i], (uint64_t)i + 1);
    feed_stats_t st;
    feed_stats(F.feed, &st);
    cr_assert_eq(st.rebuild_failures, 1);
    tf_stop();
}

/* A rebuild sets the cursor to the snapshot's seq, which names no event the consumer has
 * seen: the replay after it starts at that seq, and the event there gives the cursor its
 * fingerprint. So a producer that goes back once more and past the cursor (here while the
 * consumer was stopped) is noticed again. Without it the replay went on from seq + 1 and
 * events 6..8 of the third history were applied on top of the second's 1..5. */
Test(feed, a_cursor_set_by_a_rebuild_learns_its_fingerprint)
{
    tf_start(3, 5);
    tf_feed_start(0, 10000);
    tf_wait_applied(5);
    cr_assert(tf_until(tf_caught_up, 1000));
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(tf_until(s_rebuilt, 3000), "no rebuild");
    /* (caught up again: the replay after the rebuild was the last one answered) */
    cr_assert_eq(F.replay_from[F.nreplays - 1], 5, "the replay after a rebuild starts at "
                 "the snapshot's seq");
    uint64_t e, q, fp;
    cr_assert_eq(inbox_get_fp(F.inbox, NULL, "calendar", &e, &q, &fp), 0);
    uint8_t buf[256];
    size_t len = tf_pack_event(buf, sizeof buf, 3, 5);
    cr_assert_eq(q, 5);
    cr_assert_eq(fp, tf_fnv1a(buf, len), "the cursor did not learn its event's fingerprint");
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.gen = 2;      /* back to an older copy, then on to 8: 1..8 of another history */
    F.head = 8;
    int applied = F.napplied, resets = F.resets;
    tf_feed_start(0, 10000);
    cr_assert(tf_until(s_rebuilt, 3000), "the second going back was not noticed");
    cr_assert_eq(F.resets, resets + 1);
    tf_cursor(&e, &q);
    cr_assert_eq(q, 8);
    cr_assert_eq(F.napplied, applied + 8, "the new history's 8 items, nothing on top");
    for (int i = 0; i < 8; i++)
        cr_assert_eq(F.applied[applied + i], (uint64_t)i + 1);
    tf_stop();
}

static bool s_asked_twice(void) { return F.snap_asked >= 2; }

/* The producer dies after a rebuild asked for its snapshot and before it sent anything:
 * the request died with it. Its next incarnation's heartbeat says so; the snapshot is asked
 * again at once, not after snapshot_wait_ms (60 s: the time a large snapshot may take to
 * read), which had kept the consumer rebuilding, and not ready, for a minute. */
Test(feed, a_rebuild_asks_again_when_the_producer_restarted)
{
    tf_start(3, 4);
    tf_feed_start(0, 300);
    tf_wait_applied(4);
    cr_assert(tf_until(tf_caught_up, 1000));
    tf_heartbeat_inc(3, 4, 11);
    tf_until(NULL, 100);
    F.snap_silent = true;
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    tf_until(NULL, 100);
    cr_assert_eq(F.snap_asked, 1);
    F.snap_silent = false;
    tf_heartbeat_inc(3, 4, 12);   /* restarted, with the same store */
    cr_assert(tf_until(s_asked_twice, 2000), "the snapshot was not asked again after the "
              "producer restarted (asked %d times)", F.snap_asked);
    cr_assert(tf_until(s_rebuilt, 2000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 1, "only the second request was answered");
    tf_stop();
}

/* The producer's ROUTER anew at ep (a loopback port: the previous listener may take a
 * moment to let it go). Every connection to the old one is closed. */
