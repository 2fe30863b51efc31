/* Unit tests for common/server_snapshot.c: a snapshot larger than the queues between the
 * server and its client arrives whole, in order, each item once, although the client reads
 * slowly; the server keeps answering other requests meanwhile. In-process: a real LMDB,
 * the server on inproc:// with a send queue of 50 messages, the test as a raw DEALER with
 * a receive queue of 50. The item count is the test's own (what it wrote). Before the
 * stream, the same snapshot stopped at the first full queue and never ended. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "unit_tmp.h"

#define T_API "inproc://test-snap-api"
#define T_HWM 50
#define T_ITEMS 20000          /* 400 times the queue on either side */

static struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    outbox_t *ob;
    server_t *srv;
    void *dealer;
    MDB_dbi data;
} T;

/* Items "item.NNNNNN" of db data under prefix, in key order. */
static int s_snapshot(void *arg, server_req_t *req, MDB_txn *txn, const char *prefix)
{
    (void)arg;
    MDB_cursor *c;
    if (mdb_cursor_open(txn, T.data, &c) != 0)
        return -EIO;
    MDB_val k = { strlen(prefix), (void *)prefix }, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    int out = 0;
    for (; rc == 0 && out == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < strlen(prefix) || memcmp(k.mv_data, prefix, strlen(prefix)) != 0)
            break;
        char topic[64];
        snprintf(topic, sizeof topic, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = strtoull(topic + 5, NULL, 10);
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        env.test_event = &te;
        out = server_snapshot_emit(req, topic, &env);
    }
    mdb_cursor_close(c);
    return out;
}

static int s_fill(MDB_txn *txn, void *arg)
{
    (void)arg;
    for (int i = 0; i < T_ITEMS; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "item.%06d", i);
        MDB_val k = { (size_t)n, key }, v = { 1, "x" };
        int rc = store_put(txn, T.data, &k, &v, 0);
        if (rc != 0)
            return rc;
    }
    MDB_val k = { 9, "other.one" }, v = { 1, "x" };   /* outside the prefix asked */
    return store_put(txn, T.data, &k, &v, 0);
}

static void s_start(void)
{
    memset(&T, 0, sizeof T);
    ut_tmpdir(T.dir, sizeof T.dir, "snapshot");
    cr_assert_eq(uv_loop_init(&T.loop), 0);
    T.ctx = bus_ctx_new();
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, "data", NULL };
    store_opts_t so = { .path = T.dir, .dbs = dbs, .nosync = true };
    int err = 0;
    T.store = store_new(&so, &err);
    cr_assert_not_null(T.store, "store_new: %s", mvoi_strerror(err));
    T.data = store_dbi(T.store, "data");
    T.ob = outbox_new(T.store, "snapprod", &err);
    cr_assert_eq(store_write(T.store, s_fill, NULL), 0);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    bo.sndhwm = T_HWM;
    server_opts_t o = { .name = "snapprod", .api_endpoint = T_API, .store = T.store,
                        .outbox = T.ob, .snapshot = s_snapshot,
                        .heartbeat_ms = 0, .bus_opts = &bo };
    T.srv = server_new(&T.loop, T.ctx, &o, &err);
    cr_assert_not_null(T.srv, "server_new: %s", mvoi_strerror(err));
    T.dealer = zmq_socket(bus_ctx_zmq(T.ctx), ZMQ_DEALER);
    int zero = 0, hwm = T_HWM;
    zmq_setsockopt(T.dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(T.dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
    cr_assert_eq(zmq_connect(T.dealer, T_API), 0);
}

static void s_stop(void)
{
    zmq_close(T.dealer);
    server_destroy(&T.srv);
    uv_run(&T.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&T.ctx);
    uv_run(&T.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&T.loop), 0);
    outbox_destroy(&T.ob);
    store_destroy(&T.store);
    ut_tmpdir_remove(T.dir);
}

static void s_send(Mvoi__Envelope *env)
{
    uint8_t buf[512];
    int64_t len = codec_pack_into(env, buf, sizeof buf);
    cr_assert_gt(len, 0);
    cr_assert_eq(zmq_send(T.dealer, buf, (size_t)len, 0), len);
}

static void s_ask_snapshot(const char *rid)
{
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "item.";
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    s_send(&env);
}

typedef struct {
    int items;            /* [topic][envelope] messages */
    int in_order;         /* items whose n is the one expected next */
    bool end, health, error;
    uint32_t end_count;
    const char *only;     /* count the items and the end of this request id only */
    int others, other_ends;
} t_seen_t;

/* Reads at most one message (the slow client), turning the loop once. */
static void s_read_one(t_seen_t *s)
{
    uv_run(&T.loop, UV_RUN_NOWAIT);
    zmq_msg_t p[2];
    zmq_msg_init(&p[0]);
    if (zmq_msg_recv(&p[0], T.dealer, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&p[0]);
        return;
    }
    int n = 1;
    if (zmq_msg_more(&p[0])) {
        zmq_msg_init(&p[1]);
        cr_assert_geq(zmq_msg_recv(&p[1], T.dealer, 0), 0);
        n = 2;
    }
    zmq_msg_t *body = &p[n - 1];
    int err = 0;
    Mvoi__Envelope *env = codec_unpack(zmq_msg_data(body), zmq_msg_size(body),
                                       CODEC_DEFAULT_BUDGET, &err);
    cr_assert_not_null(env);
    if (s->only && (!env->request_id || strcmp(env->request_id, s->only) != 0)) {
        if (n == 2)
            s->others++;
        else
            s->other_ends++;
    } else if (n == 2) {
        cr_assert_eq(env->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
        if ((int)env->test_event->n == s->items)
            s->in_order++;
        s->items++;
    } else if (env->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END) {
        s->end = true;
        s->end_count = env->snapshot_end->count;
    } else if (env->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY) {
        s->health = true;
    } else {
        s->error = true;
    }
    codec_free(&env);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&p[i]);
}

Test(server_snapshot, larger_than_the_send_queue_arrives_whole_in_order)
{
    s_start();
    s_ask_snapshot("snap-1");
    t_seen_t s = { 0 };
    for (long turns = 0; !s.end && !s.error && turns < 10 * 1000 * 1000; turns++)
        s_read_one(&s);
    cr_assert(s.end, "no SnapshotEnd after %d items", s.items);
    cr_assert_eq(s.items, T_ITEMS, "items %d, written %d", s.items, T_ITEMS);
    cr_assert_eq(s.in_order, T_ITEMS, "every item once, in key order");
    cr_assert_eq(s.end_count, T_ITEMS);
    server_stats_t st;
    server_stats(T.srv, &st);
    /* the queues were full on the way: the stream waited rather than failed */
    cr_assert_gt(st.snapshot_full, 0);
    cr_assert_eq(st.snapshot_passes, 1, "one stream had to wait");
    s_stop();
}

Test(server_snapshot, other_clients_are_answered_while_a_stream_waits)
{
    s_start();
    s_ask_snapshot("snap-2");
    /* Let the first pass fill the queues; another client's health request is answered
     * while the snapshot's client has not read anything yet. */
    for (int i = 0; i < 20; i++)
        uv_run(&T.loop, UV_RUN_NOWAIT);
    void *other = zmq_socket(bus_ctx_zmq(T.ctx), ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(other, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(other, T_API), 0);
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &hr;
    uint8_t buf[64];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    cr_assert_eq(zmq_send(other, buf, (size_t)len, 0), len);
    bool answered = false;
    for (int i = 0; i < 2000000 && !answered; i++) {
        uv_run(&T.loop, UV_RUN_NOWAIT);
        answered = zmq_recv(other, buf, sizeof buf, ZMQ_DONTWAIT) >= 0 ||
                   errno == EMSGSIZE;
    }
    zmq_close(other);
    cr_assert(answered, "the other client was answered during the stream");
    t_seen_t s = { 0 };
    for (long turns = 0; !s.end && !s.error && turns < 10 * 1000 * 1000; turns++)
        s_read_one(&s);
    cr_assert(s.end);
    cr_assert_eq(s.items, T_ITEMS);
    s_stop();
}

/* A client that asks again for the same prefix (its rebuild timed out) gave up on the
 * stream under way: that stream goes and the new one arrives whole. Before, both streams
 * went on into the same full queue (and their memory counted against every snapshot). */
Test(server_snapshot, asking_again_replaces_the_stream_under_way)
{
    s_start();
    s_ask_snapshot("snap-old");
    for (int i = 0; i < 20; i++)
        uv_run(&T.loop, UV_RUN_NOWAIT);
    s_ask_snapshot("snap-new");
    t_seen_t s = { .only = "snap-new" };
    for (long turns = 0; !s.end && !s.error && turns < 10 * 1000 * 1000; turns++)
        s_read_one(&s);
    cr_assert(s.end, "no SnapshotEnd of the new request after %d items", s.items);
    cr_assert_eq(s.items, T_ITEMS, "the new stream whole");
    cr_assert_eq(s.in_order, T_ITEMS);
    /* Half a second more of reading: the old stream, had it gone on, ends meanwhile. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        s_read_one(&s);
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
    /* what the old stream had queued before the new request (at most both queues) */
    cr_assert_lt(s.others, T_ITEMS / 10, "the old stream went on: %d items", s.others);
    cr_assert_eq(s.other_ends, 0, "the old stream never ends");
    server_stats_t st;
    server_stats(T.srv, &st);
    cr_assert_eq(st.snapshot_superseded, 1);
    s_stop();
}

/* SERVER_SNAP_MAX streams wait on a client that does not read; one more is refused as
 * ERR_UNAVAILABLE ("ask again shortly": the gateway's 503 with Retry-After), not as
 * ERR_RESOURCE_EXHAUSTED, which means a request over a bound (413 too-large) and which the
 * same request repeated later would have been refused with again. */
Test(server_snapshot, one_stream_too_many_is_unavailable_not_too_large)
{
    s_start();
    char rid[32], prefix[32];
    for (int i = 0; i < 64; i++) {   /* SERVER_SNAP_MAX (server_int.h) */
        snprintf(rid, sizeof rid, "snap-%d", i);
        /* the first fills the queues and waits; the others wait behind it */
        snprintf(prefix, sizeof prefix, i ? "item.%04d" : "item.", i);
        Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
        sr.prefix = prefix;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.request_id = rid;
        env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
        env.snapshot = &sr;
        s_send(&env);
        for (int t = 0; t < 20; t++)
            uv_run(&T.loop, UV_RUN_NOWAIT);
    }
    /* one more, from another client (the first one's queue is full: no reply would fit) */
    void *other = zmq_socket(bus_ctx_zmq(T.ctx), ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(other, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(other, T_API), 0);
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "item.";
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "snap-65";
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[512];
    int64_t len = codec_pack_into(&env, buf, sizeof buf);
    cr_assert_eq(zmq_send(other, buf, (size_t)len, 0), len);
    Mvoi__Envelope *rep = NULL;
    for (int i = 0; i < 2000000 && !rep; i++) {
        uv_run(&T.loop, UV_RUN_NOWAIT);
        int n = zmq_recv(other, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n > 0) {
            int err = 0;
            rep = codec_unpack(buf, (size_t)n, CODEC_DEFAULT_BUDGET, &err);
        }
    }
    zmq_close(other);
    cr_assert_not_null(rep, "the 65th stream was not answered");
    cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(rep->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "code %d",
                 rep->error->code);
    cr_expect_str_eq(rep->error->field, "snapshot");
    codec_free(&rep);
    s_stop();
}
