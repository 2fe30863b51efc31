/* Unit tests for common/feed.c, one per behaviour: replay from the cursor at start and in
 * batches until the head, live events applied once and duplicates dropped, a gap asks a
 * replay of what is missing, a heartbeat beyond the cursor asks a replay, a new epoch
 * resets and resynchronises, a storage failure applies nothing and the events come back,
 * readiness follows the producer's heartbeats.
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

#define F_API "inproc://test-feed-api"
#define F_PUB "inproc://test-feed-pub"
#define F_MAX 64

typedef struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    inbox_t *inbox;
    feed_t *feed;
    MDB_dbi data;
    /* the fake producer */
    void *pub, *router;
    char api[64];                 /* where the router is bound (F_API unless a test moves it) */
    uint64_t epoch, head;
    bool answer;                  /* answers ReplayRequests */
    int nreplays;
    uint64_t replay_from[F_MAX];
    /* the consumer: what was applied and committed, in order */
    uint64_t applied[F_MAX], applied_epoch[F_MAX];
    int napplied;
    uint64_t pending[F_MAX], pending_epoch[F_MAX];
    int npending;
    int apply_calls;
    bool fail_apply;
    int resets;
    uint64_t reset_old, reset_new;
    uint8_t gen;                  /* >0: the producer's history after a restore (other bytes) */
    int nsnapshots;               /* SnapshotRequests served */
    bool snap_silent;             /* SnapshotRequests go unanswered (a producer that dies) */
    int snap_asked;               /* SnapshotRequests received */
    bool snap_drop_once;          /* the next snapshot loses its item 2 on the way */
} tf_t;

static tf_t F;

/* --------------------------------------------------------------- the consumer */

static void s_batch_begin(void *arg) { ((tf_t *)arg)->npending = 0; }

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    tf_t *f = arg;
    f->apply_calls++;
    cr_assert_str_eq(topic, "test.event");
    /* A snapshot item has no seq (it is state, not an event): its number is in the body. */
    uint64_t seq = ev->seq ? ev->seq : ev->test_event->n;
    uint8_t k[8];
    store_be64(k, seq);
    MDB_val key = { 8, k }, val = { 8, NULL };
    uint8_t e[8];
    store_be64(e, ev->epoch);
    val.mv_data = e;
    int rc = store_put(txn, f->data, &key, &val, 0);
    if (rc != 0)
        return rc;
    if (f->fail_apply)
        return MVOI_E_CORRUPTED;
    cr_assert_lt(f->npending, F_MAX);
    f->pending[f->npending] = seq;
    f->pending_epoch[f->npending++] = ev->epoch;
    return 0;
}

static void s_committed(void *arg)
{
    tf_t *f = arg;
    for (int i = 0; i < f->npending && f->napplied < F_MAX; i++) {
        f->applied[f->napplied] = f->pending[i];
        f->applied_epoch[f->napplied++] = f->pending_epoch[i];
    }
    f->npending = 0;
}

static int s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch,
                   uint64_t new_epoch)
{
    tf_t *f = arg;
    cr_assert_str_eq(producer, "calendar");
    f->resets++;
    f->reset_old = old_epoch;
    f->reset_new = new_epoch;
    return mvoi_mdb_error(store_drop(txn, f->data, 0));   /* forget the old epoch's state */
}

static void s_feed_start(uint32_t replay_batch, uint32_t stall_ms)
{
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    feed_opts_t o = { .producer = "calendar", .pub_endpoint = F_PUB, .api_endpoint = F.api,
                      .apply = s_apply, .reset = s_reset, .committed = s_committed,
                      .batch_begin = s_batch_begin, .arg = &F, .replay_batch = replay_batch,
                      .stall_ms = stall_ms, .bus_opts = &bo };
    int err = 0;
    F.feed = feed_new(&F.loop, F.ctx, F.store, F.inbox, &o, &err);
    cr_assert_not_null(F.feed, "feed_new: %s", mvoi_strerror(err));
}

static void s_start(uint64_t epoch, uint64_t head)
{
    memset(&F, 0, sizeof F);
    F.epoch = epoch;
    F.head = head;
    F.answer = true;
    ut_tmpdir(F.dir, sizeof F.dir, "feed");
    cr_assert_eq(uv_loop_init(&F.loop), 0);
    F.ctx = bus_ctx_new();
    cr_assert_not_null(F.ctx);
    static const char *const dbs[] = { INBOX_DBS, "data", NULL };
    store_opts_t so = { .path = F.dir, .dbs = dbs, .nosync = true };
    int err = 0;
    F.store = store_new(&so, &err);
    cr_assert_not_null(F.store, "store_new: %s", mvoi_strerror(err));
    F.data = store_dbi(F.store, "data");
    F.inbox = inbox_new(F.store, &err);
    cr_assert_not_null(F.inbox);
    void *z = bus_ctx_zmq(F.ctx);
    F.pub = zmq_socket(z, ZMQ_PUB);
    F.router = zmq_socket(z, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(F.pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(F.router, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(F.pub, F_PUB), 0);
    cr_assert_eq(zmq_bind(F.router, F_API), 0);
    snprintf(F.api, sizeof F.api, "%s", F_API);
}

static void s_stop(void)
{
    feed_destroy(&F.feed);
    zmq_close(F.pub);
    zmq_close(F.router);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&F.ctx);
    uv_run(&F.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&F.loop), 0);
    inbox_destroy(&F.inbox);
    store_destroy(&F.store);
    ut_tmpdir_remove(F.dir);
}

static uint64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --------------------------------------------------------------- the fake producer */

static size_t s_pack_item(uint8_t *buf, size_t cap, uint64_t epoch, uint64_t seq,
                          const char *rid)
{
    Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
    te.has_n = true;
    te.n = seq;
    if (F.gen) {   /* the same seq, another event */
        te.has_payload = true;
        te.payload.len = 1;
        te.payload.data = &F.gen;
    }
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.producer = "calendar";
    env.has_epoch = env.has_seq = true;
    env.epoch = epoch;
    env.seq = seq;
    env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
    env.test_event = &te;
    int64_t len = codec_pack_into(&env, buf, cap);
    cr_assert_gt(len, 0);
    return (size_t)len;
}

static size_t s_pack_event(uint8_t *buf, size_t cap, uint64_t epoch, uint64_t seq)
{
    return s_pack_item(buf, cap, epoch, seq, NULL);
}

/* A SnapshotRequest, answered as server.c does: every item (here: events 1..head as state,
 * with the request id), then SnapshotEnd{seq = head, epoch, count = head}. */
static void s_serve_snapshot(zmq_msg_t *id, const char *rid)
{
    F.nsnapshots++;
    bool drop = F.snap_drop_once;
    F.snap_drop_once = false;
    for (uint64_t n = 1; n <= F.head; n++) {
        if (drop && n == 2)
            continue;
        uint8_t buf[256];
        size_t len = s_pack_item(buf, sizeof buf, F.epoch, n, rid);
        zmq_send(F.router, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE);
        zmq_send(F.router, "test.event", 10, ZMQ_SNDMORE);
        zmq_send(F.router, buf, len, 0);
    }
    Mvoi__SnapshotEnd end = MVOI__SNAPSHOT_END__INIT;
    end.has_seq = end.has_epoch = end.has_count = true;
    end.seq = F.head;
    end.epoch = F.epoch;
    end.count = (uint32_t)F.head;   /* what the producer sent, as server_snapshot.c counts */
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.producer = "calendar";
    env.request_id = (char *)rid;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    uint8_t buf[128];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    zmq_send(F.router, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE);
    zmq_send(F.router, buf, (size_t)len, 0);
}

/* Sends [topic][event] on sock; with id (a ROUTER peer) in front. */
static void s_send_event(void *sock, const zmq_msg_t *id, uint64_t epoch, uint64_t seq)
{
    uint8_t buf[256];
    size_t len = s_pack_event(buf, sizeof buf, epoch, seq);
    if (id)
        zmq_send(sock, zmq_msg_data((zmq_msg_t *)id), zmq_msg_size((zmq_msg_t *)id),
                 ZMQ_SNDMORE);
    zmq_send(sock, "test.event", 10, ZMQ_SNDMORE);
    cr_assert_eq(zmq_send(sock, buf, len, 0), (int)len);
}

static void s_publish(uint64_t seq) { s_send_event(F.pub, NULL, F.epoch, seq); }

/* A heartbeat; incarnation 0: none said. */
static void s_heartbeat_inc(uint64_t epoch, uint64_t head, uint64_t incarnation)
{
    Mvoi__Heartbeat hb = MVOI__HEARTBEAT__INIT;
    hb.has_head_seq = hb.has_epoch = true;
    hb.head_seq = head;
    hb.epoch = epoch;
    hb.has_incarnation = incarnation != 0;
    hb.incarnation = incarnation;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.producer = "calendar";
    env.has_epoch = true;
    env.epoch = epoch;
    env.body_case = MVOI__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t buf[128];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    zmq_send(F.pub, "hb", 2, ZMQ_SNDMORE);
    zmq_send(F.pub, buf, (size_t)len, 0);
}

static void s_heartbeat(uint64_t epoch, uint64_t head) { s_heartbeat_inc(epoch, head, 0); }

/* A ReplayRequest from the feed, answered from the log: from..head, at most max_count,
 * then ReplayEnd -- what server.c does. */
static void s_serve_router(void)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, F.router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return;
    }
    zmq_msg_init(&body);
    cr_assert_geq(zmq_msg_recv(&body, F.router, 0), 0);
    int err = 0;
    Mvoi__Envelope *rq = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body),
                                      CODEC_DEFAULT_BUDGET, &err);
    cr_assert_not_null(rq);
    if (rq->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT) {
        F.snap_asked++;
        if (!F.snap_silent)
            s_serve_snapshot(&id, rq->request_id);
        codec_free(&rq);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return;
    }
    cr_assert_eq(rq->body_case, MVOI__ENVELOPE__BODY_REPLAY);
    uint64_t from = rq->replay->from_seq;
    uint32_t max = rq->replay->max_count;
    char rid[64];   /* echoed in the reply, as server.c does */
    snprintf(rid, sizeof rid, "%s", rq->request_id ? rq->request_id : "");
    codec_free(&rq);
    if (F.nreplays < F_MAX)
        F.replay_from[F.nreplays] = from;
    F.nreplays++;
    if (F.answer) {
        uint64_t last = 0;
        for (uint64_t seq = from; seq <= F.head && seq < from + max; seq++) {
            s_send_event(F.router, &id, F.epoch, seq);
            last = seq;
        }
        Mvoi__ReplayEnd end = MVOI__REPLAY_END__INIT;
        end.has_epoch = end.has_head_seq = end.has_last_sent_seq = true;
        end.epoch = F.epoch;
        end.head_seq = F.head;
        end.last_sent_seq = last;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.producer = "calendar";
        env.request_id = rid;
        env.body_case = MVOI__ENVELOPE__BODY_REPLAY_END;
        env.replay_end = &end;
        uint8_t buf[128];
        int64_t len = codec_pack_into(&env, buf, sizeof buf);
        zmq_send(F.router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(F.router, buf, (size_t)len, 0);
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

/* Turn the loop (and serve replays) until cond holds or timeout_ms passed. */
typedef bool (t_cond_fn)(void);
static bool s_until(t_cond_fn *cond, int timeout_ms)
{
    uint64_t end = s_ms() + (uint64_t)timeout_ms;
    do {
        uv_run(&F.loop, UV_RUN_NOWAIT);
        s_serve_router();
        if (cond && cond())
            return true;
    } while (s_ms() < end);
    return cond ? cond() : true;
}

static uint64_t s_want;
static bool s_applied_enough(void) { return (uint64_t)F.napplied >= s_want; }
static bool s_caught_up(void) { return feed_caught_up(F.feed); }
static bool s_primed(void)
{
    feed_stats_t st;
    feed_stats(F.feed, &st);
    return st.decode_errors > 0;
}

static void s_wait_applied(uint64_t n)
{
    s_want = n;
    cr_assert(s_until(s_applied_enough, 3000), "applied %d, expected %llu", F.napplied,
              (unsigned long long)n);
}

/* Start the feed on a producer with events 1..head and wait until it caught up; then make
 * sure its SUB is attached (a junk message on the PUB was seen), so no live event of the
 * test is lost to the subscription still on its way. */
static void s_caught_up_and_live(void)
{
    s_feed_start(0, 10000);
    cr_assert(s_until(s_caught_up, 3000), "never caught up");
    uint64_t end = s_ms() + 3000;
    while (!s_primed() && s_ms() < end) {
        zmq_send(F.pub, "junk", 4, ZMQ_SNDMORE);
        zmq_send(F.pub, "\xff", 1, 0);
        s_until(s_primed, 10);
    }
    cr_assert(s_primed(), "the feed's SUB never saw the PUB");
}

static void s_cursor(uint64_t *epoch, uint64_t *seq)
{
    cr_assert_eq(inbox_get(F.inbox, NULL, "calendar", epoch, seq), 0);
}

/* --------------------------------------------------------------- tests */

Test(feed, start_replays_from_the_cursor_and_a_restart_resumes_after_it)
{
    s_start(7, 3);
    s_feed_start(0, 10000);
    s_wait_applied(3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    cr_assert_eq(F.replay_from[0], 1);
    cr_assert(s_until(s_caught_up, 1000));
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(e, 7);
    cr_assert_eq(q, 3);
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.head = 5;   /* the producer went on while we were away */
    int first = F.nreplays;
    s_feed_start(0, 10000);
    s_wait_applied(5);
    cr_assert_eq(F.replay_from[first], 3, "a restart replays from the cursor (its own event "
                 "again, to compare its fingerprint)");
    cr_assert_eq(F.applied[3], 4);
    cr_assert_eq(F.applied[4], 5);
    cr_assert_eq(F.apply_calls, 5, "an event was applied twice");
    s_stop();
}

Test(feed, replays_in_batches_until_the_head)
{
    s_start(7, 5);
    s_feed_start(2, 10000);   /* at most 2 events per ReplayRequest */
    s_wait_applied(5);
    cr_assert(s_until(s_caught_up, 1000));
    cr_assert_geq(F.nreplays, 3);
    cr_assert_eq(F.replay_from[0], 1);
    cr_assert_eq(F.replay_from[1], 2);   /* each from the cursor's own event */
    cr_assert_eq(F.replay_from[2], 3);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    s_stop();
}

Test(feed, live_events_are_applied_once_and_duplicates_dropped)
{
    s_start(7, 0);
    s_caught_up_and_live();
    feed_stats_t st0, st;
    feed_stats(F.feed, &st0);
    F.head = 3;
    uint64_t sent[] = { 1, 2, 2, 1, 3 };
    for (int i = 0; i < 5; i++)
        s_publish(sent[i]);
    s_wait_applied(3);
    s_until(NULL, 50);
    cr_assert_eq(F.napplied, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.duplicates - st0.duplicates, 2);
    cr_assert_eq(F.apply_calls, 3);
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(q, 3);
    s_stop();
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
        items[n] = (ProtobufCBinaryData){ s_pack_event(ev[n], sizeof ev[n], F.epoch, q),
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
    s_start(7, 0);
    s_caught_up_and_live();
    feed_stats_t st0, st;
    feed_stats(F.feed, &st0);
    int replays0 = F.nreplays;
    F.head = 4;
    s_publish_batch(1, 3, false);
    s_publish_batch(3, 4, false);   /* 3 again: a duplicate inside a batch */
    s_wait_applied(4);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.duplicates - st0.duplicates, 1);
    cr_assert_eq(F.nreplays, replays0, "no gap, so no replay");
    F.head = 7;
    s_publish_batch(6, 7, false);   /* 5 was lost: the batch opens with a gap */
    s_wait_applied(7);
    cr_assert_gt(F.nreplays, replays0, "a gap inside a batch asks a replay");
    F.head = 9;
    s_publish_batch(8, 8, true);    /* 8, then a cut element: 9 is missing */
    s_heartbeat(F.epoch, 9);        /* ... and the head says so */
    s_wait_applied(9);
    for (int i = 0; i < 9; i++)
        cr_assert_eq(F.applied[i], (uint64_t)i + 1, "applied[%d] = %llu", i,
                     (unsigned long long)F.applied[i]);
    cr_assert_eq(F.napplied, 9);
    feed_stats(F.feed, &st);
    cr_assert_eq(st.decode_errors - st0.decode_errors, 1, "the cut batch is one decode error");
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(q, 9);
    s_stop();
}

/* 64-bit FNV-1a written out here, independently of feed.c (checked against the published
 * vectors below): the fingerprints already stored in cursors were made with it. */
static uint64_t s_fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The fingerprint function must not change (cursors written by earlier versions hold it):
 * the published FNV-1a 64 vectors, and 0 is never a fingerprint (0 = unknown). */
Test(feed, the_fingerprint_is_fnv1a_64_as_stored_in_existing_cursors)
{
    cr_assert_eq(feed_fingerprint("", 0), 0xcbf29ce484222325ull);
    cr_assert_eq(feed_fingerprint("a", 1), 0xaf63dc4c8601ec8cull);
    cr_assert_eq(feed_fingerprint("foobar", 6), 0x85944171f73967e8ull);
    cr_assert_eq(s_fnv1a((const uint8_t *)"foobar", 6), 0x85944171f73967e8ull);
}

/* Only the last event of a batch has its fingerprint kept (it is hashed on demand): the
 * cursor after a batch of live events holds the hash of exactly that event's bytes. */
Test(feed, the_cursor_holds_the_fingerprint_of_the_last_applied_event)
{
    s_start(7, 0);
    s_caught_up_and_live();
    F.head = 4;
    for (uint64_t q = 1; q <= 4; q++)
        s_publish(q);
    s_wait_applied(4);
    uint64_t e, q, fp;
    cr_assert_eq(inbox_get_fp(F.inbox, NULL, "calendar", &e, &q, &fp), 0);
    cr_assert_eq(q, 4);
    uint8_t buf[256];
    size_t len = s_pack_event(buf, sizeof buf, 7, 4);
    cr_assert_eq(fp, s_fnv1a(buf, len), "the cursor's fingerprint is not its event's");
    len = s_pack_event(buf, sizeof buf, 7, 3);
    cr_assert_neq(fp, s_fnv1a(buf, len));
    s_stop();
}

Test(feed, a_gap_asks_a_replay_of_what_is_missing)
{
    s_start(7, 0);
    s_caught_up_and_live();
    int before = F.nreplays;
    F.head = 3;
    s_publish(1);
    s_publish(3);   /* 2 was lost on the way */
    s_wait_applied(3);
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
    s_stop();
}

Test(feed, a_heartbeat_beyond_the_cursor_asks_a_replay)
{
    s_start(7, 0);
    s_caught_up_and_live();
    int before = F.nreplays;
    F.head = 2;                 /* two events whose live messages never came */
    s_heartbeat(7, 2);
    s_wait_applied(2);
    cr_assert_eq(F.replay_from[before], 1);
    cr_assert_eq(F.applied[0], 1);
    cr_assert_eq(F.applied[1], 2);
    s_stop();
}

/* Read your writes: the producer acknowledged events 3 and 4, whose live messages are
 * still on the way (never published here), and no heartbeat says so yet. The feed counts
 * as caught up; a sync must still bring them in before it says "synced". A second sync
 * asked while the first is in flight needs a replay asked after it. */
static uint64_t s_token;
static bool s_synced(void) { return feed_synced(F.feed, s_token); }

Test(feed, a_sync_applies_what_the_producer_acknowledged_before_it)
{
    s_start(7, 2);
    s_caught_up_and_live();
    s_wait_applied(2);
    cr_assert(feed_caught_up(F.feed));
    F.head = 4;                 /* acknowledged, not yet heard of */
    int before = F.nreplays;
    s_token = feed_sync(F.feed);
    cr_assert_not(feed_synced(F.feed, s_token), "synced before the producer answered");
    uint64_t first = s_token;
    s_token = feed_sync(F.feed);   /* asked while the first is in flight */
    cr_assert(s_until(s_synced, 3000), "never synced");
    cr_assert(feed_synced(F.feed, first));
    cr_assert_eq(F.napplied, 4, "events 3 and 4 are applied by the sync");
    cr_assert_eq(F.applied[2], 3);
    cr_assert_eq(F.applied[3], 4);
    cr_assert_eq(F.nreplays, before + 2, "the second sync asked again after the first");
    /* nothing new at the producer: a later sync still needs an answer after it */
    s_token = feed_sync(F.feed);
    cr_assert_not(feed_synced(F.feed, s_token));
    cr_assert(s_until(s_synced, 3000), "the third sync never ended");
    cr_assert_eq(F.apply_calls, 4, "nothing applied twice");
    s_stop();
}

Test(feed, a_new_epoch_resets_and_resynchronises)
{
    s_start(7, 3);
    s_caught_up_and_live();
    s_wait_applied(3);
    /* The producer's store was wiped: a new epoch with a log of its own. */
    F.epoch = 9;
    F.head = 2;
    s_heartbeat(9, 2);
    s_wait_applied(5);
    cr_assert_eq(F.resets, 1);
    cr_assert_eq(F.reset_old, 7);
    cr_assert_eq(F.reset_new, 9);
    cr_assert_eq(F.applied[3], 1);
    cr_assert_eq(F.applied_epoch[3], 9);
    cr_assert_eq(F.applied[4], 2);
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(e, 9);
    cr_assert_eq(q, 2);
    feed_stats_t st;
    feed_stats(F.feed, &st);
    cr_assert_eq(st.resets, 1);
    s_stop();
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
    s_start(7, 0);
    s_caught_up_and_live();
    F.fail_apply = true;
    F.head = 2;
    s_publish(1);
    s_publish(2);
    s_until(NULL, 200);
    int rows = -1;
    cr_assert_eq(store_read(F.store, s_count_fn, &rows), 0);
    cr_assert_eq(rows, 0, "a failed batch left writes behind");
    cr_assert_eq(F.napplied, 0);
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(q, 0, "the cursor moved past events that were not applied");
    F.fail_apply = false;   /* the store recovers: the events come back through a replay */
    s_heartbeat(7, 2);
    s_wait_applied(2);
    cr_assert_eq(F.applied[0], 1);
    cr_assert_eq(F.applied[1], 2);
    cr_assert_eq(store_read(F.store, s_count_fn, &rows), 0);
    cr_assert_eq(rows, 2);
    s_stop();
}

static bool s_ready_200(void) { return feed_ready(F.feed, 200); }
static bool s_not_ready_200(void) { return !feed_ready(F.feed, 200); }

/* Heartbeats every 50 ms while waiting for cond, as a live producer sends them. */
static bool s_beating_until(t_cond_fn *cond, int timeout_ms)
{
    uint64_t end = s_ms() + (uint64_t)timeout_ms;
    while (s_ms() < end) {
        s_heartbeat(F.epoch, F.head);
        if (s_until(cond, 50))
            return true;
    }
    return false;
}

Test(feed, readiness_follows_the_producers_heartbeats)
{
    s_start(7, 4);
    F.answer = false;           /* the producer does not answer yet */
    s_feed_start(0, 300);       /* an unanswered replay is asked again after 300 ms */
    s_until(NULL, 100);
    cr_assert_not(feed_ready(F.feed, 200), "ready before the replay reached the head");
    F.answer = true;
    cr_assert(s_beating_until(s_ready_200, 3000), "not ready after catching up");
    cr_assert_eq(F.napplied, 4);
    F.answer = false;           /* the producer falls silent: no heartbeats, no answers */
    cr_assert(s_until(s_not_ready_200, 3000), "still ready after the producer fell silent");
    cr_assert(s_beating_until(s_ready_200, 3000), "not ready again after heartbeats");
    s_stop();
}

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
    s_start(7, 5);
    s_feed_start(0, 10000);
    s_wait_applied(5);
    cr_assert(s_until(s_caught_up, 1000));
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.gen = 1;      /* the restored producer: events 1..8 of another history */
    F.head = 8;
    int first = F.nreplays;
    s_feed_start(0, 10000);
    cr_assert(s_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.replay_from[first], 5, "the replay starts at the cursor's own event");
    cr_assert_eq(F.nsnapshots, 1);
    cr_assert_eq(F.resets, 1, "what was derived was forgotten once");
    cr_assert_eq(F.reset_old, 7);
    cr_assert_eq(F.reset_new, 7);
    cr_assert_eq(feed_rebuild_reason(F.feed), FEED_REBUILD_WENT_BACK);
    cr_assert_str_eq(feed_rebuild_reason_name(feed_rebuild_reason(F.feed)), "went_back");
    uint64_t e, q;
    s_cursor(&e, &q);
    cr_assert_eq(e, 7);
    cr_assert_eq(q, 8, "the cursor is the snapshot's seq");
    /* the batch of the rebuild applied the snapshot's 8 items, after the 5 of before */
    cr_assert_eq(F.napplied, 5 + 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(F.applied[5 + i], (uint64_t)i + 1);
    s_stop();
}

/* Without a fingerprint check (the mutation this test guards), events 6..8 of the other
 * history would have been applied on top of the old 1..5. A consumer can also ask for a
 * rebuild itself (after an unclean stop), and a second call while one runs is one rebuild. */
Test(feed, a_requested_rebuild_takes_the_snapshot_once)
{
    s_start(3, 4);
    s_feed_start(0, 10000);
    s_wait_applied(4);
    cr_assert(s_until(s_caught_up, 1000));
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(feed_rebuilding(F.feed));
    cr_assert_not(feed_ready(F.feed, 100000), "ready while rebuilding");
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_NONE), -EINVAL);
    cr_assert(s_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 1);
    cr_assert_eq(F.resets, 1);
    cr_assert_eq(F.napplied, 4 + 4);
    cr_assert_not(feed_rebuilding(F.feed));
    cr_assert_eq(feed_rebuild_reason(F.feed), FEED_REBUILD_REQUESTED);
    s_stop();
}

/* A snapshot that arrives short of an item its SnapshotEnd counts (lost on the way, or not
 * decodable and so not known as ours) is not applied: it fails by name and is asked again;
 * the second, whole, is applied. Before, the first was applied without item 2 and the
 * rebuild logged as done: 3 items where the producer holds 4, for good. */
Test(feed, a_snapshot_short_of_its_count_is_not_applied_and_asked_again)
{
    s_start(3, 4);
    s_feed_start(0, 200);
    s_wait_applied(4);
    cr_assert(s_until(s_caught_up, 1000));
    F.snap_drop_once = true;
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_until(s_rebuilt, 3000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 2, "the short one was applied");
    cr_assert_eq(F.napplied, 4 + 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(F.applied[4 + i], (uint64_t)i + 1);
    feed_stats_t st;
    feed_stats(F.feed, &st);
    cr_assert_eq(st.rebuild_failures, 1);
    s_stop();
}

/* A rebuild sets the cursor to the snapshot's seq, which names no event the consumer has
 * seen: the replay after it starts at that seq, and the event there gives the cursor its
 * fingerprint. So a producer that goes back once more and past the cursor (here while the
 * consumer was stopped) is noticed again. Without it the replay went on from seq + 1 and
 * events 6..8 of the third history were applied on top of the second's 1..5. */
Test(feed, a_cursor_set_by_a_rebuild_learns_its_fingerprint)
{
    s_start(3, 5);
    s_feed_start(0, 10000);
    s_wait_applied(5);
    cr_assert(s_until(s_caught_up, 1000));
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    cr_assert(s_until(s_rebuilt, 3000), "no rebuild");
    /* (caught up again: the replay after the rebuild was the last one answered) */
    cr_assert_eq(F.replay_from[F.nreplays - 1], 5, "the replay after a rebuild starts at "
                 "the snapshot's seq");
    uint64_t e, q, fp;
    cr_assert_eq(inbox_get_fp(F.inbox, NULL, "calendar", &e, &q, &fp), 0);
    uint8_t buf[256];
    size_t len = s_pack_event(buf, sizeof buf, 3, 5);
    cr_assert_eq(q, 5);
    cr_assert_eq(fp, s_fnv1a(buf, len), "the cursor did not learn its event's fingerprint");
    feed_destroy(&F.feed);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    F.gen = 2;      /* back to an older copy, then on to 8: 1..8 of another history */
    F.head = 8;
    int applied = F.napplied, resets = F.resets;
    s_feed_start(0, 10000);
    cr_assert(s_until(s_rebuilt, 3000), "the second going back was not noticed");
    cr_assert_eq(F.resets, resets + 1);
    s_cursor(&e, &q);
    cr_assert_eq(q, 8);
    cr_assert_eq(F.napplied, applied + 8, "the new history's 8 items, nothing on top");
    for (int i = 0; i < 8; i++)
        cr_assert_eq(F.applied[applied + i], (uint64_t)i + 1);
    s_stop();
}

static bool s_asked_twice(void) { return F.snap_asked >= 2; }

/* The producer dies after a rebuild asked for its snapshot and before it sent anything:
 * the request died with it. Its next incarnation's heartbeat says so; the snapshot is asked
 * again at once, not after snapshot_wait_ms (60 s: the time a large snapshot may take to
 * read), which had kept the consumer rebuilding, and not ready, for a minute. */
Test(feed, a_rebuild_asks_again_when_the_producer_restarted)
{
    s_start(3, 4);
    s_feed_start(0, 300);
    s_wait_applied(4);
    cr_assert(s_until(s_caught_up, 1000));
    s_heartbeat_inc(3, 4, 11);
    s_until(NULL, 100);
    F.snap_silent = true;
    cr_assert_eq(feed_rebuild(F.feed, FEED_REBUILD_REQUESTED), 0);
    s_until(NULL, 100);
    cr_assert_eq(F.snap_asked, 1);
    F.snap_silent = false;
    s_heartbeat_inc(3, 4, 12);   /* restarted, with the same store */
    cr_assert(s_until(s_asked_twice, 2000), "the snapshot was not asked again after the "
              "producer restarted (asked %d times)", F.snap_asked);
    cr_assert(s_until(s_rebuilt, 2000), "no rebuild");
    cr_assert_eq(F.nsnapshots, 1, "only the second request was answered");
    s_stop();
}

/* The producer's ROUTER anew at ep (a loopback port: the previous listener may take a
 * moment to let it go). Every connection to the old one is closed. */
static void s_router_at(const char *ep)
{
    int zero = 0;
    zmq_close(F.router);
    F.router = zmq_socket(bus_ctx_zmq(F.ctx), ZMQ_ROUTER);
    zmq_setsockopt(F.router, ZMQ_LINGER, &zero, sizeof zero);
    uint64_t end = s_ms() + 3000;
    while (zmq_bind(F.router, ep) != 0) {
        cr_assert(s_ms() < end, "cannot bind %s again: %s", ep, zmq_strerror(zmq_errno()));
        s_until(NULL, 20);
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
    s_start(7, 2);
    s_router_at("tcp://127.0.0.1:*");
    s_feed_start(0, 10000);
    s_wait_applied(2);
    cr_assert(s_until(s_caught_up, 3000));
    s_until(NULL, 200);
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
    cr_assert(s_until(s_replays_enough, 3000), "the sync asked no replay");
    char ep[sizeof F.api];
    memcpy(ep, F.api, sizeof ep);
    F.answer = true;
    uint64_t t0 = s_ms();
    s_router_at(ep);            /* the connection is gone with the request */
    cr_assert(s_until(s_synced, 3000), "no sync within 3 s of the new connection (stall_ms "
              "is 10 s): the lost replay was not asked again (%d asked)", F.nreplays);
    cr_assert(F.napplied == 4 && F.applied[3] == 4, "events 3 and 4 come with the sync");
    cr_log_info("synced %llu ms after the new listener", (unsigned long long)(s_ms() - t0));
    s_stop();
}
