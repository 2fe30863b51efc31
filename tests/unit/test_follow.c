/*  follow: the Clone follower's state machine, each transition on its own, with times and
 *  seqs chosen here (stale 5000 ms, snapshot timeout 300 ms) and the answers worked out by
 *  hand: when a snapshot is late, when a heartbeat is missing, what a gap is. */
#include <criterion/criterion.h>
#include <string.h>

#include "follow.h"

static follow_t *s_fol(void)
{
    follow_opts_t o = { .stale_ms = 5000, .snapshot_timeout_ms = 300,
                        .publisher = "kpi-aggregator",
                        .loading = "loading the KPI totals of buyer %s", .loading_arg = "heerlen" };
    follow_t *f = follow_new(&o);
    cr_assert_not_null(f);
    return f;
}

/* asked at t, ended with epoch e: a live follower */
static follow_t *s_live(uint64_t t, uint64_t epoch, uint64_t incarnation)
{
    follow_t *f = s_fol();
    follow_snapshot_asked(f, t);
    follow_snapshot_end(f, epoch, incarnation != 0, incarnation);
    return f;
}

static follow_beat_t s_beat(uint64_t at, uint64_t head, uint64_t epoch, uint64_t incarnation)
{
    follow_beat_t b = { 0 };
    follow_beat_set(&b, at, head, epoch, incarnation != 0, incarnation);
    return b;
}

Test(follow, loading_until_the_first_snapshot_then_live)
{
    follow_t *f = s_fol();
    follow_beat_t none = { 0 };
    cr_assert_not(follow_live(f));
    cr_assert_not(follow_fresh(f));
    cr_assert_str_eq(follow_why(f), "loading the KPI totals of buyer heerlen");
    cr_assert_eq(follow_tick(f, 0), FOLLOW_RETRY, "a first snapshot is needed at once");
    follow_snapshot_asked(f, 1000);
    cr_assert(follow_snapshot_out(f));
    cr_assert_eq(follow_tick(f, 1000), FOLLOW_WAIT);
    /* a heartbeat before the snapshot is in changes nothing: the snapshot will settle it */
    follow_beat_t b = s_beat(1100, 50, 7, 0);
    cr_assert_eq(follow_heartbeat(f, &b, 0), -1);
    cr_assert_not(follow_judge(f, &none, 1100, 0, NULL), "still not fresh: no change");
    cr_assert(follow_snapshot_end(f, 7, false, 0), "the first snapshot is taken whole");
    cr_assert(follow_live(f));
    cr_assert(follow_settled(f));
    cr_assert_not(follow_snapshot_out(f));
    cr_assert_eq(follow_epoch(f), 7);
    cr_assert(follow_judge(f, &b, 1200, 50, NULL), "fresh now: a change");
    cr_assert(follow_fresh(f));
    cr_assert_str_eq(follow_why(f), "");
    cr_assert_eq(follow_snapshots(f), 1);
    follow_destroy(&f);
    cr_assert_null(f);
    follow_destroy(&f);   /* twice is harmless */
}

Test(follow, same_epoch_snapshot_is_a_catch_up_another_epoch_is_whole)
{
    follow_t *f = s_live(0, 7, 0);
    follow_resync(f, FOLLOW_BEHIND);
    follow_snapshot_asked(f, 10);
    cr_assert_not(follow_snapshot_end(f, 7, false, 0), "same epoch: the changes suffice");
    follow_resync(f, FOLLOW_EPOCH);
    follow_snapshot_asked(f, 20);
    cr_assert(follow_snapshot_end(f, 8, false, 0), "another epoch: taken whole");
    cr_assert_eq(follow_epoch(f), 8);
    cr_assert_eq(follow_resyncs(f, FOLLOW_BEHIND), 1);
    cr_assert_eq(follow_resyncs(f, FOLLOW_EPOCH), 1);
    cr_assert_eq(follow_resyncs(f, FOLLOW_GAP), 0);
    follow_destroy(&f);
}

/* The publisher restarted (another incarnation, same epoch): its store may have been put
 * back to an older copy, whose seqs count again below the old head, so the totals "above
 * the previous head" would leave out what the copy holds otherwise: taken whole. The same
 * incarnation again (a gap) is a catch-up. */
Test(follow, another_incarnation_of_the_epoch_is_taken_whole)
{
    follow_t *f = s_live(0, 7, 41);
    follow_resync(f, FOLLOW_GAP);
    follow_snapshot_asked(f, 10);
    cr_assert_not(follow_snapshot_end(f, 7, true, 41), "same incarnation: the changes suffice");
    follow_resync(f, FOLLOW_INCARNATION);
    follow_snapshot_asked(f, 20);
    cr_assert(follow_snapshot_end(f, 7, true, 42), "another incarnation: taken whole");
    cr_assert_eq(follow_incarnation(f), 42);
    follow_resync(f, FOLLOW_GAP);
    follow_snapshot_asked(f, 30);
    cr_assert_not(follow_snapshot_end(f, 7, false, 0), "no incarnation said: nothing to compare");
    follow_destroy(&f);
}

Test(follow, epoch_change_on_a_heartbeat_resyncs)
{
    follow_t *f = s_live(0, 7, 0);
    follow_beat_t same = s_beat(100, 40, 7, 0), other = s_beat(100, 40, 8, 0);
    cr_assert_eq(follow_heartbeat(f, &same, 40), -1);
    cr_assert_eq(follow_heartbeat(f, &other, 40), FOLLOW_EPOCH);
    follow_resync(f, FOLLOW_EPOCH);
    cr_assert(follow_resyncing(f));
    cr_assert_not(follow_settled(f));
    cr_assert_eq(follow_heartbeat(f, &other, 40), -1, "judged once: the snapshot settles it");
    follow_beat_t none = { 0 };
    follow_judge(f, &none, 100, 40, NULL);
    cr_assert_str_eq(follow_why(f), "catching up with the kpi-aggregator (new snapshot)");
    follow_destroy(&f);
}

Test(follow, incarnation_change_resyncs_unknown_incarnation_does_not)
{
    follow_t *f = s_live(0, 7, 1111);
    cr_assert_eq(follow_incarnation(f), 1111);
    follow_beat_t same = s_beat(100, 40, 7, 1111), restarted = s_beat(100, 40, 7, 2222);
    follow_beat_t silent = s_beat(100, 40, 7, 0);   /* a heartbeat that names none */
    cr_assert_eq(follow_heartbeat(f, &same, 40), -1);
    cr_assert_eq(follow_heartbeat(f, &silent, 40), -1);
    cr_assert_eq(follow_heartbeat(f, &restarted, 40), FOLLOW_INCARNATION);
    follow_destroy(&f);
    /* a snapshot that named no incarnation cannot tell a restart by it */
    f = s_live(0, 7, 0);
    cr_assert_eq(follow_incarnation(f), 0);
    cr_assert_eq(follow_heartbeat(f, &restarted, 40), -1);
    follow_destroy(&f);
}

Test(follow, heartbeat_beyond_the_head_is_behind_at_or_below_is_not)
{
    follow_t *f = s_live(0, 7, 0);
    follow_beat_t b41 = s_beat(100, 41, 7, 0), b40 = s_beat(100, 40, 7, 0);
    follow_beat_t b39 = s_beat(100, 39, 7, 0);
    cr_assert_eq(follow_heartbeat(f, &b41, 40), FOLLOW_BEHIND, "41 > 40: an update was lost");
    cr_assert_eq(follow_heartbeat(f, &b40, 40), -1);
    cr_assert_eq(follow_heartbeat(f, &b39, 40), -1, "queued before the snapshot");
    /* not fresh while behind, with both seqs in the reason */
    follow_judge(f, &b41, 200, 40, NULL);
    cr_assert_not(follow_fresh(f));
    cr_assert_str_eq(follow_why(f), "behind the kpi-aggregator (40 < 41)");
    follow_destroy(&f);
}

Test(follow, gap_in_the_seq_resyncs)
{
    follow_t *f = s_fol();
    cr_assert_eq(follow_update(f, 99, 40), -1, "loading: the snapshot decides");
    follow_snapshot_asked(f, 0);
    follow_snapshot_end(f, 7, false, 0);
    cr_assert_eq(follow_update(f, 41, 40), -1, "the next one");
    cr_assert_eq(follow_update(f, 40, 40), -1, "one already in");
    cr_assert_eq(follow_update(f, 12, 40), -1, "an old one (overlap with the snapshot)");
    cr_assert_eq(follow_update(f, 42, 40), FOLLOW_GAP, "41 was lost");
    follow_destroy(&f);
}

Test(follow, heartbeat_loss_after_stale_ms_then_back)
{
    follow_t *f = s_live(0, 7, 0);
    follow_beat_t b = s_beat(1000, 40, 7, 0);
    cr_assert(follow_judge(f, &b, 1000, 40, NULL));
    cr_assert(follow_fresh(f));
    cr_assert_not(follow_judge(f, &b, 6000, 40, NULL), "5000 ms old: not yet too old");
    cr_assert(follow_fresh(f));
    cr_assert(follow_judge(f, &b, 6001, 40, NULL), "5001 ms: stale, a change");
    cr_assert_not(follow_fresh(f));
    cr_assert_str_eq(follow_why(f), "no heartbeat from the kpi-aggregator for 5000 ms");
    cr_assert_not(follow_judge(f, &b, 9000, 40, NULL), "still stale: no second change");
    follow_beat_set(&b, 9100, 40, 7, false, 0);
    cr_assert(follow_judge(f, &b, 9100, 40, NULL), "a heartbeat again: fresh");
    cr_assert(follow_fresh(f));
    /* never a heartbeat at all */
    follow_beat_t none = { 0 };
    cr_assert(follow_judge(f, &none, 9200, 40, NULL));
    cr_assert_not(follow_fresh(f));
    follow_destroy(&f);
}

Test(follow, a_reason_of_the_callers_holds_freshness)
{
    follow_t *f = s_live(0, 7, 0);
    follow_beat_t b = s_beat(1000, 40, 7, 0);
    textfmt_reason_t lost = { .fmt = "updates were lost: asking the kpi-aggregator whose they were" };
    follow_judge(f, &b, 1000, 40, &lost);
    cr_assert_not(follow_fresh(f));
    cr_assert_str_eq(follow_why(f), "updates were lost: asking the kpi-aggregator whose they were");
    cr_assert(follow_judge(f, &b, 1000, 40, NULL));
    cr_assert(follow_fresh(f));
    follow_destroy(&f);
}

Test(follow, stalled_snapshot_is_asked_again_per_item_timeout)
{
    follow_t *f = s_fol();
    follow_snapshot_asked(f, 1000);
    cr_assert_eq(follow_tick(f, 1299), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 1300), FOLLOW_LATE, "1000 + 300: nothing came");
    /* a long stream that keeps coming is not late: every item restarts the 300 ms */
    follow_snapshot_asked(f, 2000);
    for (uint64_t t = 2250; t <= 4000; t += 250) {
        follow_snapshot_item(f, t);
        cr_assert_eq(follow_tick(f, t + 299), FOLLOW_WAIT, "at %llu", (unsigned long long)t);
    }
    cr_assert_eq(follow_tick(f, 4000 + 300), FOLLOW_LATE, "the stream stopped at 4000");
    cr_assert_eq(follow_snapshots(f), 2);
    follow_destroy(&f);
}

Test(follow, refused_unsent_and_failed_snapshots_are_retried_later)
{
    follow_t *f = s_fol();
    follow_snapshot_asked(f, 1000);
    follow_snapshot_refused(f, 1100);
    cr_assert_eq(follow_tick(f, 1599), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 1600), FOLLOW_LATE, "refused at 1100: again at 1100 + 500");
    follow_snapshot_asked(f, 2000);
    follow_snapshot_unsent(f, 2000);
    cr_assert_eq(follow_tick(f, 2199), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 2200), FOLLOW_LATE, "not sent at 2000: again at 2000 + 200");
    follow_snapshot_failed(f, 3000);
    cr_assert_not(follow_snapshot_out(f));
    cr_assert_eq(follow_tick(f, 3499), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 3500), FOLLOW_RETRY, "no socket at 3000: again at 3000 + 500");
    follow_destroy(&f);
}

Test(follow, superseded_snapshot_counts_from_the_newest_request)
{
    /* a reason to resync while a snapshot is out: the caller asks again; the newest
     * request's deadline counts, and the follower stays resyncing until an end */
    follow_t *f = s_live(0, 7, 0);
    follow_resync(f, FOLLOW_BEHIND);
    follow_snapshot_asked(f, 1000);
    follow_resync(f, FOLLOW_RECONNECT);
    follow_snapshot_asked(f, 1200);
    cr_assert_eq(follow_tick(f, 1300), FOLLOW_WAIT, "the first request's deadline is gone");
    cr_assert_eq(follow_tick(f, 1500), FOLLOW_LATE);
    cr_assert(follow_resyncing(f));
    cr_assert_not(follow_snapshot_end(f, 7, false, 0));
    cr_assert(follow_settled(f));
    cr_assert_eq(follow_tick(f, 99999), FOLLOW_WAIT, "live and settled: nothing to ask");
    cr_assert_eq(follow_snapshots(f), 3);
    follow_destroy(&f);
}

Test(follow, tick_interval_is_a_quarter_of_stale_within_10_and_250_ms)
{
    cr_assert_eq(follow_tick_ms(400), 100);
    cr_assert_eq(follow_tick_ms(5000), 250);
    cr_assert_eq(follow_tick_ms(0), 250, "the default stale 5000 ms");
    cr_assert_eq(follow_tick_ms(20), 10);
}

Test(follow, reasons_have_their_metric_labels)
{
    cr_assert_str_eq(follow_reasons[FOLLOW_GAP], "gap");
    cr_assert_str_eq(follow_reasons[FOLLOW_BEHIND], "behind");
    cr_assert_str_eq(follow_reasons[FOLLOW_EPOCH], "epoch");
    cr_assert_str_eq(follow_reasons[FOLLOW_INCARNATION], "incarnation");
    cr_assert_str_eq(follow_reasons[FOLLOW_RECONNECT], "reconnect");
    cr_assert_str_eq(follow_reasons[FOLLOW_REFUSED], "refused");
}

/* ---------------------------------------------------------------- one shared stream */

Test(follow_stream, first_next_old_and_gap)
{
    follow_stream_t s = { 0 };
    uint64_t from = 0;
    cr_assert(follow_stream_covers(&s, 3), "unknown: the first event decides");
    cr_assert_eq(follow_stream_event(&s, 0, &from), FOLLOW_STREAM_OK, "no seq: ignored");
    cr_assert_eq(follow_stream_event(&s, 10, &from), FOLLOW_STREAM_FIRST);
    cr_assert_eq(follow_stream_event(&s, 11, &from), FOLLOW_STREAM_OK);
    cr_assert_eq(follow_stream_event(&s, 9, &from), FOLLOW_STREAM_OK, "an old one");
    cr_assert_eq(s.head, 11);
    cr_assert(follow_stream_covers(&s, 9), "9 + 1 = 10, the first event");
    cr_assert_not(follow_stream_covers(&s, 8), "9 may have been lost");
    cr_assert_eq(follow_stream_event(&s, 15, &from), FOLLOW_STREAM_GAP);
    cr_assert_eq(from, 12, "12..14 were lost");
    cr_assert_eq(s.first, 15);
    cr_assert_eq(s.head, 15);
    cr_assert_not(follow_stream_covers(&s, 12), "known again only from 15");
    cr_assert(follow_stream_covers(&s, 14));
}

Test(follow_stream, heartbeat_beyond_the_stream_and_reset)
{
    follow_stream_t s = { 0 };
    uint64_t from = 0;
    cr_assert_not(follow_stream_beat(&s, 50, &from), "unknown stream: nothing to say");
    follow_stream_event(&s, 20, &from);
    cr_assert_not(follow_stream_beat(&s, 20, &from));
    cr_assert_not(follow_stream_beat(&s, 18, &from));
    cr_assert(follow_stream_beat(&s, 23, &from));
    cr_assert_eq(from, 21, "21..23 were lost");
    cr_assert_eq(s.head, 23);
    cr_assert_eq(follow_stream_event(&s, 24, &from), FOLLOW_STREAM_OK, "carries on from 23");
    follow_stream_reset(&s);
    cr_assert_not(s.known);
    cr_assert_eq(follow_stream_event(&s, 90, &from), FOLLOW_STREAM_FIRST);
}

Test(follow, first_item_may_take_snapshot_wait_then_per_item_timeout)
{
    /* a publisher that reads a large range before it sends: 2000 ms for the first item,
     * then 300 ms per item */
    follow_opts_t o = { .snapshot_timeout_ms = 300, .snapshot_wait_ms = 2000 };
    follow_t *f = follow_new(&o);
    follow_snapshot_asked(f, 1000);
    cr_assert_eq(follow_tick(f, 1300), FOLLOW_WAIT, "not the item timeout yet");
    cr_assert_eq(follow_tick(f, 2999), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 3000), FOLLOW_LATE, "1000 + 2000");
    follow_snapshot_asked(f, 4000);
    follow_snapshot_item(f, 4500);
    cr_assert_eq(follow_tick(f, 4799), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 4800), FOLLOW_LATE, "4500 + 300 once items flow");
    follow_destroy(&f);
    /* a wait shorter than the item timeout is the item timeout */
    follow_opts_t short_wait = { .snapshot_timeout_ms = 300, .snapshot_wait_ms = 100 };
    f = follow_new(&short_wait);
    follow_snapshot_asked(f, 0);
    cr_assert_eq(follow_tick(f, 299), FOLLOW_WAIT);
    cr_assert_eq(follow_tick(f, 300), FOLLOW_LATE);
    follow_destroy(&f);
}

/* The reason in the reader's language (the gateway's 503 bodies), the log's in English with
 * plain numbers; each of the follower's reasons has its Dutch text. */
Test(follow, the_reason_is_said_in_the_readers_language)
{
    char nl[320], en[320];
    follow_t *f = s_fol();
    follow_why_say(f, TEXT_NL, nl, sizeof nl);
    follow_why_say(f, TEXT_EN, en, sizeof en);
    cr_assert_str_eq(nl, "de KPI-totalen van organisatie heerlen worden geladen");
    cr_assert_str_eq(en, "loading the KPI totals of buyer heerlen");
    cr_assert_str_eq(follow_why(f), en);
    follow_destroy(&f);

    f = s_live(0, 7, 0);
    follow_beat_t b = s_beat(100, 123456, 7, 0);
    follow_judge(f, &b, 200, 123400, NULL);
    follow_why_say(f, TEXT_NL, nl, sizeof nl);
    follow_why_say(f, TEXT_EN, en, sizeof en);
    cr_assert_str_eq(nl, "loopt achter bij de kpi-aggregator (123.400 < 123.456)");
    cr_assert_str_eq(en, "behind the kpi-aggregator (123,400 < 123,456)");
    cr_assert_str_eq(follow_why(f), "behind the kpi-aggregator (123400 < 123456)");
    follow_judge(f, &b, 5101, 123456, NULL);
    follow_why_say(f, TEXT_NL, nl, sizeof nl);
    cr_assert_str_eq(nl, "geen hartslag van de kpi-aggregator in de afgelopen 5000 ms");
    textfmt_reason_t rebuilding;
    textfmt_reason_set(&rebuilding, "the kpi-aggregator is rebuilding its totals (from %s)",
                       "impact", 0, 0);
    follow_judge(f, &b, 5101, 123456, &rebuilding);
    follow_why_say(f, TEXT_NL, nl, sizeof nl);
    cr_assert_str_eq(nl, "de kpi-aggregator bouwt zijn totalen opnieuw op (uit impact)");
    follow_beat_set(&b, 5101, 123456, 7, false, 0);
    follow_judge(f, &b, 5101, 123456, NULL);
    cr_assert(follow_fresh(f));
    follow_why_say(f, TEXT_NL, nl, sizeof nl);
    cr_assert_str_eq(nl, "");
    cr_assert_str_eq(follow_why(f), "");
    follow_destroy(&f);
}
