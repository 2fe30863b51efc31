/*  feed_fx: test_feed's fixture (feed_fx.h). */
#include "feed_fx.h"

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

tf_t F;

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

void tf_feed_start(uint32_t replay_batch, uint32_t stall_ms)
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

void tf_start(uint64_t epoch, uint64_t head)
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

void tf_stop(void)
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

uint64_t tf_ms(void)
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

size_t tf_pack_event(uint8_t *buf, size_t cap, uint64_t epoch, uint64_t seq)
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
    size_t len = tf_pack_event(buf, sizeof buf, epoch, seq);
    if (id)
        zmq_send(sock, zmq_msg_data((zmq_msg_t *)id), zmq_msg_size((zmq_msg_t *)id),
                 ZMQ_SNDMORE);
    zmq_send(sock, "test.event", 10, ZMQ_SNDMORE);
    cr_assert_eq(zmq_send(sock, buf, len, 0), (int)len);
}

void tf_publish(uint64_t seq) { s_send_event(F.pub, NULL, F.epoch, seq); }

/* A heartbeat; incarnation 0: none said. */
void tf_heartbeat_inc(uint64_t epoch, uint64_t head, uint64_t incarnation)
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

void tf_heartbeat(uint64_t epoch, uint64_t head) { tf_heartbeat_inc(epoch, head, 0); }

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
bool tf_until(tf_cond_fn *cond, int timeout_ms)
{
    uint64_t end = tf_ms() + (uint64_t)timeout_ms;
    do {
        uv_run(&F.loop, UV_RUN_NOWAIT);
        s_serve_router();
        if (cond && cond())
            return true;
    } while (tf_ms() < end);
    return cond ? cond() : true;
}

static uint64_t s_want;
static bool s_applied_enough(void) { return (uint64_t)F.napplied >= s_want; }
bool tf_caught_up(void) { return feed_caught_up(F.feed); }
static bool s_primed(void)
{
    feed_stats_t st;
    feed_stats(F.feed, &st);
    return st.decode_errors > 0;
}

void tf_wait_applied(uint64_t n)
{
    s_want = n;
    cr_assert(tf_until(s_applied_enough, 3000), "applied %d, expected %llu", F.napplied,
              (unsigned long long)n);
}

/* Start the feed on a producer with events 1..head and wait until it caught up; then make
 * sure its SUB is attached (a junk message on the PUB was seen), so no live event of the
 * test is lost to the subscription still on its way. */
void tf_caught_up_and_live(void)
{
    tf_feed_start(0, 10000);
    cr_assert(tf_until(tf_caught_up, 3000), "never caught up");
    uint64_t end = tf_ms() + 3000;
    while (!s_primed() && tf_ms() < end) {
        zmq_send(F.pub, "junk", 4, ZMQ_SNDMORE);
        zmq_send(F.pub, "\xff", 1, 0);
        tf_until(s_primed, 10);
    }
    cr_assert(s_primed(), "the feed's SUB never saw the PUB");
}

void tf_cursor(uint64_t *epoch, uint64_t *seq)
{
    cr_assert_eq(inbox_get(F.inbox, NULL, "calendar", epoch, seq), 0);
}

/* --------------------------------------------------------------- tests */

/* 64-bit FNV-1a written out here, independently of feed.c (checked against the published
 * vectors in test_feed.c): the fingerprints already stored in cursors were made with it. */
uint64_t tf_fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
