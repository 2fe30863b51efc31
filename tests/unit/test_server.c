/* Unit tests for common/server.c, one per behaviour: group commit, replies only after the
 * commit, stored replies, storage failure, validation errors, undecodable requests, the
 * publish point (after the commit, also for writes no request caused), replay, heartbeats,
 * health and readiness. In-process: a real LMDB in a temp dir, the server on inproc://
 * endpoints, the test as a raw ZeroMQ DEALER and SUB on the same context, the loop turned
 * by hand. The figures expected are counted by the test (commands sent, events asked
 * for), never read back from the server under test. */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "mvoi_error.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "unit_tmp.h"

#define T_API "inproc://test-server-api"
#define T_PUB "inproc://test-server-pub"
#define T_STORAGE_FAILURE 99   /* TestCommand.count that makes the handler fail on storage */
#define T_INVALID 98           /* ... that makes it refuse the command (validation) */

typedef struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    outbox_t *ob;
    server_t *srv;
    void *dealer, *sub;
    MDB_dbi data;
    int calls;                  /* handler runs (a rerun counts again) */
    bool ready;                 /* what ready_fn answers */
    /* Seen at every commit (store hook): was a reply already waiting, what was published. */
    int commits;
    bool reply_before_commit;
    uint64_t published_at_commit;
} ts_t;

static ts_t T;
static bool s_offloop;          /* s_start: nometasync store + flush_offloop server */
static bool s_wal;              /* s_start: WAL store (two flush lanes) + flush_offloop */

/* TestCommand{count}: writes "cmd:<request id>" and appends `count` TestEvents; answers an
 * Ack with the seq of the last one. */
static int s_on_command(void *arg, server_req_t *req, MDB_txn *txn)
{
    ts_t *t = arg;
    t->calls++;
    const Mvoi__Envelope *rq = server_request(req);
    uint64_t count = rq->test_command->count;
    if (count == T_INVALID)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "test_command.count",
                            "count %d is refused", T_INVALID);
    if (strncmp(rq->request_id, "encbad", 6) == 0) {
        /* an arm given encoded, then refused: the refusal must replace it */
        cr_assert_eq(server_reply_encoded(req, MVOI__ENVELOPE__BODY_ACK, (const uint8_t *)"",
                                          0), 0);
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "test_command",
                            "refused after an encoded reply");
    }
    char key[160];
    snprintf(key, sizeof key, "cmd:%s", rq->request_id);
    MDB_val k = { strlen(key), key }, v = { 1, "x" };
    int rc = store_put(txn, t->data, &k, &v, 0);
    if (rc != 0)
        return rc;
    if (count == T_STORAGE_FAILURE)
        return MDB_CORRUPTED;   /* a raw LMDB failure, as a handler would pass it up */
    uint64_t seq = 0;
    for (uint64_t i = 0; i < count; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = i;
        Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
        ev.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        ev.test_event = &te;
        if ((rc = server_emit(req, txn, "test.event", &ev, &seq)) != 0)
            return rc;
    }
    Mvoi__Ack *ack = server_alloc(req, sizeof *ack);
    mvoi__ack__init(ack);
    ack->has_seq = true;
    ack->seq = seq;
    if (strncmp(rq->request_id, "enc", 3) == 0) {
        /* request ids enc*: the Ack given packed (server_reply_encoded) */
        size_t n = mvoi__ack__get_packed_size(ack);
        uint8_t *b = server_alloc(req, n ? n : 1);
        mvoi__ack__pack(ack, b);
        cr_assert_eq(server_reply_encoded(req, MVOI__ENVELOPE__BODY_ACK, b, n), 0);
        return 0;
    }
    Mvoi__Envelope *rep = server_reply(req);
    rep->body_case = MVOI__ENVELOPE__BODY_ACK;
    rep->ack = ack;
    return 0;
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_TEST_COMMAND, SERVER_COMMAND, s_on_command },
};

static bool s_ready_fn(void *arg) { return ((ts_t *)arg)->ready; }

static void s_hook_commit(void *arg)
{
    ts_t *t = arg;
    t->commits++;
    zmq_pollitem_t it = { t->dealer, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 0) > 0)
        t->reply_before_commit = true;
    server_stats_t st;
    if (t->srv) {
        server_stats(t->srv, &st);
        t->published_at_commit = st.published;
    }
}

static void s_start(uint32_t heartbeat_ms)
{
    memset(&T, 0, sizeof T);
    T.ready = true;
    ut_tmpdir(T.dir, sizeof T.dir, "server");
    cr_assert_eq(uv_loop_init(&T.loop), 0);
    T.ctx = bus_ctx_new();
    cr_assert_not_null(T.ctx);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, "data", NULL };
    store_opts_t so = { .path = T.dir, .dbs = dbs, .nosync = !s_offloop && !s_wal,
                        .nometasync = s_offloop && !s_wal, .wal = s_wal,
                        .wal_size = 1 << 20, .wal_checkpoint_ms = 3600000 };
    int err = 0;
    T.store = store_new(&so, &err);
    cr_assert_not_null(T.store, "store_new: %s", mvoi_strerror(err));
    T.data = store_dbi(T.store, "data");
    T.ob = outbox_new(T.store, "testprod", &err);
    cr_assert_not_null(T.ob);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    server_opts_t o = { .name = "testprod", .api_endpoint = T_API, .pub_endpoint = T_PUB,
                        .store = T.store, .outbox = T.ob, .routes = s_routes, .nroutes = 1,
                        .arg = &T, .heartbeat_ms = heartbeat_ms, .ready_fn = s_ready_fn,
                        .bus_opts = &bo, .flush_offloop = s_offloop || s_wal };
    T.srv = server_new(&T.loop, T.ctx, &o, &err);
    cr_assert_not_null(T.srv, "server_new: %s", mvoi_strerror(err));
    store_hooks_t h = { .commit = s_hook_commit, .arg = &T };
    cr_assert_eq(store_add_hooks(T.store, &h), 0);
    void *z = bus_ctx_zmq(T.ctx);
    T.dealer = zmq_socket(z, ZMQ_DEALER);
    T.sub = zmq_socket(z, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(T.dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(T.sub, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(T.dealer, T_API), 0);
    cr_assert_eq(zmq_setsockopt(T.sub, ZMQ_SUBSCRIBE, "", 0), 0);
    cr_assert_eq(zmq_connect(T.sub, T_PUB), 0);
}

static void s_stop(void)
{
    zmq_close(T.dealer);
    zmq_close(T.sub);
    server_destroy(&T.srv);
    uv_run(&T.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&T.ctx);
    uv_run(&T.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&T.loop), 0);
    outbox_destroy(&T.ob);
    store_destroy(&T.store);
    ut_tmpdir_remove(T.dir);
}

static uint64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --------------------------------------------------------------- the client side */

typedef struct {
    int n;
    char topic[64];
    Mvoi__Envelope *env;
    uint8_t raw[4096];
    size_t rawlen;
} t_msg_t;

static void s_msg_free(t_msg_t *m) { codec_free(&m->env); }

/* Turn the loop until sock has a whole message (or timeout_ms passed): false on timeout. */
static bool s_recv(void *sock, t_msg_t *m, int timeout_ms)
{
    memset(m, 0, sizeof *m);
    uint64_t end = s_ms() + (uint64_t)timeout_ms;
    do {
        uv_run(&T.loop, UV_RUN_NOWAIT);
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            continue;
        }
        for (;;) {
            const void *d = zmq_msg_data(&part);
            size_t len = zmq_msg_size(&part);
            int more = zmq_msg_more(&part);
            if (more && m->n == 0 && len < sizeof m->topic) {
                memcpy(m->topic, d, len);   /* [topic][envelope] */
            } else if (!more) {
                cr_assert_leq(len, sizeof m->raw);
                memcpy(m->raw, d, len);
                m->rawlen = len;
                int err = 0;
                m->env = codec_unpack(d, len, CODEC_DEFAULT_BUDGET, &err);
            }
            m->n++;
            zmq_msg_close(&part);
            if (!more)
                return true;
            zmq_msg_init(&part);
            cr_assert_geq(zmq_msg_recv(&part, sock, 0), 0);
        }
    } while (s_ms() < end);
    return false;
}

static void s_send_env(Mvoi__Envelope *env)
{
    uint8_t buf[1024];
    int64_t len = codec_pack_into(env, buf, sizeof buf);
    cr_assert_gt(len, 0);
    cr_assert_eq(zmq_send(T.dealer, buf, (size_t)len, 0), len);
}

static void s_command(const char *rid, uint64_t count)
{
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = count;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.buyer = "heerlen";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    s_send_env(&env);
}

static void s_reply(t_msg_t *m)
{
    cr_assert(s_recv(T.dealer, m, 3000), "no reply");
    cr_assert_not_null(m->env, "the reply is not an envelope");
}

/* Health round trip: the DEALER's and the SUB's pipes are attached afterwards. */
static Mvoi__HealthReply s_health(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &hr;
    s_send_env(&env);
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    Mvoi__HealthReply h = *m.env->health_reply;
    h.service = h.version = NULL;
    h.inbox = NULL;
    h.n_inbox = 0;
    s_msg_free(&m);
    return h;
}

static int s_data_count(void)
{
    MDB_txn *txn;
    MDB_stat st;
    cr_assert_eq(mdb_txn_begin(store_env(T.store), NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_stat(txn, T.data, &st), 0);
    mdb_txn_abort(txn);
    return (int)st.ms_entries;
}

/* Every event on the SUB until silence; their seqs into seqs (heartbeats skipped). */
static int s_drain_pub(uint64_t *seqs, int max, int quiet_ms)
{
    int n = 0;
    t_msg_t m;
    while (s_recv(T.sub, &m, quiet_ms)) {
        if (m.env && m.env->body_case == MVOI__ENVELOPE__BODY_TEST_EVENT && n < max)
            seqs[n++] = m.env->seq;
        s_msg_free(&m);
    }
    return n;
}

static void s_settle(void) { (void)s_health(); }

/* --------------------------------------------------------------- commands */

Test(server, group_commit_one_transaction_for_the_commands_of_a_turn)
{
    s_start(3600000);
    s_settle();
    int before = T.commits;
    const char *rids[5] = { "g1", "g2", "g3", "g4", "g5" };
    for (int i = 0; i < 5; i++)
        s_command(rids[i], 1);    /* queued before the loop turns */
    for (int i = 0; i < 5; i++) {
        t_msg_t m;
        s_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "reply %d", i);
        cr_assert_str_eq(m.env->request_id, rids[i]);
        cr_assert_eq(m.env->ack->seq, (uint64_t)i + 1);   /* one event each, in order */
        s_msg_free(&m);
    }
    cr_assert_eq(T.commits - before, 1, "5 commands took %d commits", T.commits - before);
    cr_assert_eq(s_data_count(), 5);
    server_stats_t st;
    server_stats(T.srv, &st);
    cr_assert_eq(st.batches, 1);
    cr_assert_eq(st.commands, 5);
    s_stop();
}

Test(server, replies_and_events_only_after_the_commit)
{
    s_start(3600000);
    s_settle();
    uv_run(&T.loop, UV_RUN_NOWAIT);
    s_command("a1", 3);
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    s_msg_free(&m);
    cr_assert_not(T.reply_before_commit, "a reply was on its way before the commit");
    cr_assert_eq(T.published_at_commit, 0, "events were published before the commit");
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(seqs[i], (uint64_t)i + 1);
    s_stop();
}

Test(server, repeated_request_id_returns_the_stored_reply_and_changes_nothing)
{
    s_start(3600000);
    s_settle();
    s_command("once", 2);
    t_msg_t first, again;
    s_reply(&first);
    cr_assert_eq(first.env->ack->seq, 2);
    s_command("once", 2);
    s_reply(&again);
    cr_assert_eq(again.rawlen, first.rawlen);
    cr_assert_eq(memcmp(again.raw, first.raw, first.rawlen), 0, "not the stored bytes");
    cr_assert_eq(T.calls, 1, "the handler ran again");
    cr_assert_eq(outbox_head(T.ob), 2);
    cr_assert_eq(s_data_count(), 1);
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 2, "the repeat published events");
    server_stats_t st;
    server_stats(T.srv, &st);
    cr_assert_eq(st.duplicates, 1);
    s_msg_free(&first);
    s_msg_free(&again);
    s_stop();
}

Test(server, a_reply_arm_given_encoded_is_sent_and_stored_as_server_reply_would_pack_it)
{
    s_start(3600000);
    s_settle();
    s_command("enc-1", 2);
    t_msg_t first, again, bad;
    s_reply(&first);
    /* the envelope the test expects, packed by protobuf-c: the request's id and buyer,
     * the producer and schema version, an Ack with the seq of the second event */
    Mvoi__Ack ack = MVOI__ACK__INIT;
    ack.has_seq = true;
    ack.seq = 2;
    Mvoi__Envelope want = MVOI__ENVELOPE__INIT;
    want.has_schema_version = true;
    want.schema_version = CODEC_SCHEMA_VERSION;
    want.producer = "testprod";
    want.request_id = "enc-1";
    want.buyer = "heerlen";
    want.body_case = MVOI__ENVELOPE__BODY_ACK;
    want.ack = &ack;
    uint8_t wb[256];
    size_t wl = mvoi__envelope__pack(&want, wb);
    cr_assert_eq(first.rawlen, wl);
    cr_assert_eq(memcmp(first.raw, wb, wl), 0, "not the bytes protobuf-c packs");
    s_command("enc-1", 2);   /* the stored reply, not a second run */
    s_reply(&again);
    cr_assert_eq(again.rawlen, wl);
    cr_assert_eq(memcmp(again.raw, wb, wl), 0);
    cr_assert_eq(T.calls, 1);
    s_command("encbad-1", 2);   /* a refusal after the encoded arm replaces it */
    s_reply(&bad);
    cr_assert_eq(bad.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(bad.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(bad.env->error->field, "test_command");
    cr_assert_eq(s_data_count(), 1, "only enc-1 wrote");
    s_msg_free(&first);
    s_msg_free(&again);
    s_msg_free(&bad);
    s_stop();
}

Test(server, storage_failure_answers_every_command_unavailable_and_writes_nothing)
{
    s_start(3600000);
    s_settle();
    s_command("f1", 1);
    s_command("f2", T_STORAGE_FAILURE);
    s_command("f3", 1);
    for (int i = 0; i < 3; i++) {
        t_msg_t m;
        s_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "reply %d", i);
        cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "reply %d", i);
        s_msg_free(&m);
    }
    cr_assert_eq(s_data_count(), 0, "a failed batch left writes behind");
    cr_assert_eq(outbox_head(T.ob), 0);
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 0, "events of an aborted batch went out");
    /* Nothing was stored under those ids: a retry with the same id runs and succeeds. */
    s_command("f1", 1);
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(m.env->ack->seq, 1);
    s_msg_free(&m);
    s_stop();
}

Test(server, refused_command_writes_nothing_and_the_batch_goes_on)
{
    s_start(3600000);
    s_settle();
    s_command("v1", 1);
    s_command("v2", T_INVALID);
    s_command("v3", 1);
    Mvoi__Envelope__BodyCase want[3] = { MVOI__ENVELOPE__BODY_ACK, MVOI__ENVELOPE__BODY_ERROR,
                                         MVOI__ENVELOPE__BODY_ACK };
    for (int i = 0; i < 3; i++) {
        t_msg_t m;
        s_reply(&m);
        cr_assert_eq(m.env->body_case, want[i], "reply %d", i);
        if (i == 1) {
            cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
            cr_assert_str_eq(m.env->error->field, "test_command.count");
        }
        s_msg_free(&m);
    }
    cr_assert_eq(s_data_count(), 2);
    cr_assert_eq(outbox_head(T.ob), 2);
    /* A refusal is not stored: the same id runs again. */
    s_command("v2", T_INVALID);
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(T.calls, 4);
    s_msg_free(&m);
    s_stop();
}

Test(server, bad_requests_get_named_errors)
{
    s_start(3600000);
    s_settle();
    cr_assert_eq(zmq_send(T.dealer, "\xff\xff\xff", 3, 0), 3);   /* not an Envelope */
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_DECODE);
    s_msg_free(&m);
    s_command("", 1);                                            /* no request id */
    s_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(m.env->error->field, "request_id");
    s_msg_free(&m);
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;                    /* a body with no route */
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    env.kpi_query = &q;
    s_send_env(&env);
    s_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED);
    s_msg_free(&m);
    cr_assert_eq(T.calls, 0);
    cr_assert_eq(s_data_count(), 0);
    s_stop();
}

/* --------------------------------------------------------------- the publish point */

typedef struct {
    server_t *srv;
    int n;
    bool fail;      /* abort after appending */
} t_emit_t;

static int s_emit_txn(MDB_txn *txn, void *arg)
{
    t_emit_t *e = arg;
    for (int i = 0; i < e->n; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
        ev.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        ev.test_event = &te;
        int rc = server_emit_txn(e->srv, txn, "test.timer", &ev, NULL, NULL, NULL);
        if (rc != 0)
            return rc;
    }
    return e->fail ? -EINVAL : 0;
}

Test(server, events_no_request_caused_are_published_before_the_loop_sleeps)
{
    s_start(3600000);
    s_settle();
    t_emit_t e = { T.srv, 3 };
    cr_assert_eq(store_write(T.store, s_emit_txn, &e), 0);
    server_stats_t st;
    server_stats(T.srv, &st);
    cr_assert_eq(st.published, 0, "published inside the write");
    uv_run(&T.loop, UV_RUN_NOWAIT);   /* one turn: the prepare hook runs before the poll */
    server_stats(T.srv, &st);
    cr_assert_eq(st.published, 3);
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 3);
    cr_assert_eq(seqs[0], 1);
    cr_assert_eq(seqs[2], 3);
    /* An aborted write leaves nothing that could go out; its seqs are given again. */
    e.n = 2;
    e.fail = true;
    cr_assert_eq(store_write(T.store, s_emit_txn, &e), -EINVAL);
    uv_run(&T.loop, UV_RUN_NOWAIT);
    server_stats(T.srv, &st);
    cr_assert_eq(st.published, 3);
    e.fail = false;
    cr_assert_eq(store_write(T.store, s_emit_txn, &e), 0);
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 2);
    cr_assert_eq(seqs[0], 4);
    cr_assert_eq(seqs[1], 5);
    s_stop();
}

Test(server, heartbeat_never_announces_a_head_that_was_not_sent)
{
    s_start(20);
    s_settle();
    for (int round = 0; round < 5; round++) {
        t_emit_t e = { T.srv, 2 };
        cr_assert_eq(store_write(T.store, s_emit_txn, &e), 0);
        uv_sleep(30);   /* the heartbeat is due when the loop turns next: timers run first */
        uv_run(&T.loop, UV_RUN_NOWAIT);
    }
    uint64_t sent = 0;
    int beats = 0;
    t_msg_t m;
    /* Heartbeats keep coming while the loop runs, so the drain has a deadline of its own,
     * not only a quiet period (on an idle machine there is never 100 ms without a beat). */
    uint64_t until = s_ms() + 2000;
    while ((sent < 10 || beats < 5) && s_ms() < until && s_recv(T.sub, &m, 100)) {
        cr_assert_not_null(m.env);
        if (m.env->body_case == MVOI__ENVELOPE__BODY_TEST_EVENT) {
            cr_assert_eq(m.env->seq, sent + 1);
            sent = m.env->seq;
        } else if (m.env->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT) {
            cr_assert_str_eq(m.topic, "hb");
            cr_assert_leq(m.env->heartbeat->head_seq, sent,
                          "heartbeat head %llu before event %llu was sent",
                          (unsigned long long)m.env->heartbeat->head_seq,
                          (unsigned long long)sent);
            cr_assert_eq(m.env->heartbeat->epoch, outbox_epoch(T.ob));
            beats++;
        }
        s_msg_free(&m);
    }
    cr_assert_eq(sent, 10);
    cr_assert_geq(beats, 5);
    s_stop();
}

/* --------------------------------------------------------------- replay, health */

static void s_replay_request(uint64_t from, uint32_t max)
{
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = rq.has_max_count = true;
    rq.from_seq = from;
    rq.max_count = max;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "replay";
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    env.replay = &rq;
    s_send_env(&env);
}

Test(server, replay_sends_the_asked_range_then_replay_end)
{
    s_start(3600000);
    s_settle();
    s_command("r", 5);
    t_msg_t m;
    s_reply(&m);
    s_msg_free(&m);
    s_replay_request(2, 2);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        s_reply(&m);
        cr_assert_eq(m.n, 2, "a replayed event is [topic][envelope]");
        cr_assert_str_eq(m.topic, "test.event");
        cr_assert_eq(m.env->seq, seq);
        cr_assert_eq(m.env->epoch, outbox_epoch(T.ob));
        s_msg_free(&m);
    }
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_REPLAY_END);
    cr_assert_eq(m.env->replay_end->last_sent_seq, 3);
    cr_assert_eq(m.env->replay_end->head_seq, 5);
    cr_assert_eq(m.env->replay_end->retained_from, 1);
    s_msg_free(&m);
    s_replay_request(7, 10);   /* beyond the head */
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE);
    s_msg_free(&m);
    s_stop();
}

Test(server, health_reports_head_and_readiness)
{
    s_start(3600000);
    Mvoi__HealthReply h = s_health();
    cr_assert(h.live);
    cr_assert(h.ready);
    cr_assert_eq(h.head_seq, 0);
    s_command("h", 4);
    t_msg_t m;
    s_reply(&m);
    s_msg_free(&m);
    h = s_health();
    cr_assert_eq(h.head_seq, 4);
    cr_assert_eq(h.epoch, outbox_epoch(T.ob));
    server_set_ready(T.srv, false);   /* the service's own readiness */
    cr_assert_not(s_health().ready);
    server_set_ready(T.srv, true);
    T.ready = false;                  /* the ready_fn's (e.g. upstream feeds) */
    cr_assert_not(s_health().ready);
    T.ready = true;
    cr_assert(s_health().ready);
    s_stop();
}

/* flush_offloop: a committed command waits for the flush that runs after its commit (on a
 * worker thread, started at the publish point): right after the commit there is neither a
 * reply nor an event; then both come. A graceful stop flushes and answers what is held. */
static bool s_pending(void *sock)
{
    zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
    return zmq_poll(&it, 1, 0) > 0;
}

static void s_until_commit(int before)
{
    for (int i = 0; i < 100000 && T.commits == before; i++)
        uv_run(&T.loop, UV_RUN_NOWAIT);
    cr_assert_gt(T.commits, before, "no commit");
}

Test(server, offloop_flush_answers_and_publishes_only_after_the_flush)
{
    s_offloop = true;
    s_start(3600000);
    s_offloop = false;
    s_settle();
    int before = T.commits;
    s_command("f1", 2);
    s_until_commit(before);
    server_stats_t st;
    server_stats(T.srv, &st);
    cr_assert_not(s_pending(T.dealer), "answered before the flush");
    cr_assert_eq(st.published, 0, "published before the flush");
    cr_assert_eq(outbox_head(T.ob), 0, "the head names an unflushed commit");
    t_msg_t m;
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(m.env->ack->seq, 2);
    s_msg_free(&m);
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 200), 2);
    cr_assert_eq(outbox_head(T.ob), 2);

    before = T.commits;
    s_command("f2", 1);
    s_until_commit(before);
    cr_assert_not(s_pending(T.dealer));
    server_destroy(&T.srv);   /* graceful stop with a command held */
    cr_assert(s_recv(T.dealer, &m, 3000), "a held command was not answered at stop");
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_str_eq(m.env->request_id, "f2");
    s_msg_free(&m);
    s_stop();
}

/* flush_offloop: a commit that wrote flushed the file before its own meta page, so the
 * commit after a command's makes it durable and answers it without any flush of the
 * worker. Every thread-pool worker is held here, so no flush can run: the first command is
 * answered when the second commits, and its event published; the second only once the
 * workers are free again. */
static uv_sem_t s_pool_gate;
static void s_pool_block(uv_work_t *w)
{
    (void)w;
    uv_sem_wait(&s_pool_gate);
}
static void s_pool_done(uv_work_t *w, int status)
{
    (void)status;
    free(w);
}

Test(server, offloop_the_next_commit_answers_the_one_before)
{
    s_offloop = true;
    s_start(3600000);
    s_offloop = false;
    s_settle();
    cr_assert_eq(uv_sem_init(&s_pool_gate, 0), 0);
    const char *tp = getenv("UV_THREADPOOL_SIZE");
    int workers = tp && atoi(tp) > 0 ? atoi(tp) : 4;   /* libuv's default pool */
    for (int i = 0; i < workers; i++)
        cr_assert_eq(uv_queue_work(&T.loop, calloc(1, sizeof(uv_work_t)), s_pool_block,
                                   s_pool_done), 0);
    /* nothing is asserted while the workers are held: a failure would leave them so */
    int before = T.commits;
    s_command("n1", 2);
    s_until_commit(before);
    for (int i = 0; i < 1000; i++)
        uv_run(&T.loop, UV_RUN_NOWAIT);
    bool early = s_pending(T.dealer);
    before = T.commits;
    s_command("n2", 1);
    s_until_commit(before);
    t_msg_t m;
    bool first = s_recv(T.dealer, &m, 3000);
    uint64_t seqs[8];
    int events = s_drain_pub(seqs, 8, 200);
    bool second_early = s_pending(T.dealer);
    for (int i = 0; i < workers; i++)
        uv_sem_post(&s_pool_gate);
    cr_assert_not(early, "answered before anything flushed its commit");
    cr_assert(first && m.env, "the second commit did not answer the first command");
    cr_assert_str_eq(m.env->request_id, "n1");
    cr_assert_eq(m.env->ack->seq, 2);
    s_msg_free(&m);
    cr_assert_eq(events, 2, "n1's two events, not n2's");
    cr_assert_eq(seqs[1], 2);
    cr_assert_not(second_early, "n2 answered while no flush could run");
    s_reply(&m);
    cr_assert_str_eq(m.env->request_id, "n2");
    cr_assert_eq(m.env->ack->seq, 3);
    s_msg_free(&m);
    s_stop();
    uv_sem_destroy(&s_pool_gate);
}

/* A WAL store's log flush that fails. This file defines fdatasync (the dynamic linker binds
 * it for the whole process, liblmdb too); every call but the armed one goes to the real
 * one. Armed, the next fdatasync of wal.mvoi waits for s_wal_gate when s_wal_hold is set,
 * then fails with EIO, once: as Linux reports a write-back error once per descriptor, a
 * flush after it would succeed. */
static volatile int s_wal_armed, s_wal_hold, s_wal_failed;
static uv_sem_t s_wal_gate;

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (ut_fd_is(fd, "/wal.mvoi") && __atomic_exchange_n(&s_wal_armed, 0, __ATOMIC_ACQ_REL)) {
        if (__atomic_load_n(&s_wal_hold, __ATOMIC_ACQUIRE))
            uv_sem_wait(&s_wal_gate);
        __atomic_add_fetch(&s_wal_failed, 1, __ATOMIC_RELEASE);
        errno = EIO;
        return -1;
    }
    return real(fd);
}

static void s_turn(int n)
{
    for (int i = 0; i < n; i++)
        uv_run(&T.loop, UV_RUN_NOWAIT);
}

static void s_wal_start(void)
{
    s_wal = true;
    s_start(3600000);
    s_wal = false;
    s_settle();
    t_msg_t m;
    s_command("w0", 1);   /* flushed: answered */
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "w0");
    s_msg_free(&m);
    (void)s_drain_pub((uint64_t[4]){ 0 }, 4, 100);
}

/* After a failed flush: w refused now (the store takes no more writes), then at the stop
 * every held command answered "retry", none acknowledged, no event of theirs published. */
static void s_wal_final(const char *w, const char *const *held, int nheld)
{
    t_msg_t m;
    s_command(w, 1);
    s_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s taken after the failure", w);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    s_msg_free(&m);
    uint64_t seqs[8];
    cr_assert_eq(s_drain_pub(seqs, 8, 100), 0, "an event of an unflushed command went out");
    server_destroy(&T.srv);
    for (int i = 0; i < nheld; i++) {
        cr_assert(s_recv(T.dealer, &m, 3000), "a held command was not answered at stop");
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s acknowledged",
                     m.env->request_id);
        cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
        cr_assert_str_eq(m.env->request_id, held[i]);
        cr_assert(strstr(m.env->error->message, "retry"), "%s", m.env->error->message);
        s_msg_free(&m);
    }
    s_stop();
}

Test(server, wal_a_failed_log_flush_is_final_even_when_the_next_would_pass)
{
    s_wal_start();
    __atomic_store_n(&s_wal_armed, 1, __ATOMIC_RELEASE);
    int before = T.commits;
    s_command("w1", 1);
    s_until_commit(before);
    for (int i = 0; i < 200 && !__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE); i++) {
        s_turn(100);
        usleep(1000);
    }
    cr_assert_eq(__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE), 1, "no flush failed");
    s_turn(1000);
    cr_assert_not(s_pending(T.dealer), "w1 answered after its flush failed");
    s_wal_final("w2", (const char *const[]){ "w1" }, 1);
    __atomic_store_n(&s_wal_failed, 0, __ATOMIC_RELEASE);
}

/* Two flushes in flight: the later one succeeds first, the earlier one then fails. The
 * later one's commands must not be answered: its success came first in time, not in
 * order, and says nothing of the pages the earlier one lost. */
Test(server, wal_flushes_are_accepted_in_the_order_they_started)
{
    s_wal_start();
    cr_assert_eq(uv_sem_init(&s_wal_gate, 0), 0);
    __atomic_store_n(&s_wal_hold, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&s_wal_armed, 1, __ATOMIC_RELEASE);
    int before = T.commits;
    s_command("a1", 1);
    s_until_commit(before);
    for (int i = 0; i < 200 && __atomic_load_n(&s_wal_armed, __ATOMIC_ACQUIRE); i++) {
        s_turn(10);
        usleep(1000);
    }
    bool held = !__atomic_load_n(&s_wal_armed, __ATOMIC_ACQUIRE);   /* a1's flush waits */
    before = T.commits;
    s_command("a2", 1);
    s_until_commit(before);
    for (int i = 0; i < 300; i++) {   /* a2's flush runs on the second lane and ends */
        s_turn(10);
        usleep(1000);
    }
    bool early = s_pending(T.dealer);
    uv_sem_post(&s_wal_gate);   /* a1's flush fails now */
    for (int i = 0; i < 200 && !__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE); i++) {
        s_turn(10);
        usleep(1000);
    }
    s_turn(1000);
    bool late = s_pending(T.dealer);
    __atomic_store_n(&s_wal_hold, 0, __ATOMIC_RELEASE);
    cr_assert(held, "a1's flush never started");
    cr_assert_not(early, "answered while the earlier flush was still running");
    cr_assert_not(late, "a2 answered by its own flush although a1's failed");
    s_wal_final("a3", (const char *const[]){ "a1", "a2" }, 2);
    uv_sem_destroy(&s_wal_gate);
    __atomic_store_n(&s_wal_failed, 0, __ATOMIC_RELEASE);
}

/* MVOI_TRACE_HOPS: a stopped server leaves one line per command -- its request id and the
 * eight hop times, in the order they happen (a command answered by the worker's flush has
 * all eight) -- in <file>.<pid>; a query leaves none. */
Test(server, trace_hops_writes_a_line_per_command_in_time_order)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "/tmp/mvoi-trace-%ld", (long)getpid());
    setenv("MVOI_TRACE_HOPS", prefix, 1);
    s_offloop = true;
    s_start(3600000);
    s_offloop = false;
    unsetenv("MVOI_TRACE_HOPS");
    s_settle();
    s_command("t1", 1);
    t_msg_t m;
    s_reply(&m);
    cr_assert_str_eq(m.env->request_id, "t1");
    s_msg_free(&m);
    s_stop();
    char path[128], rid[64];
    snprintf(path, sizeof path, "%s.%ld", prefix, (long)getpid());
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "no trace in %s", path);
    long long t[8];
    int n = fscanf(fp, "%63s %lld %lld %lld %lld %lld %lld %lld %lld", rid, &t[0], &t[1],
                   &t[2], &t[3], &t[4], &t[5], &t[6], &t[7]);
    int more = fgetc(fp) == '\n' ? fgetc(fp) : 0;
    fclose(fp);
    remove(path);
    cr_assert_eq(n, 9);
    cr_assert_str_eq(rid, "t1");
    cr_assert_eq(more, EOF, "one command, one line (the health query leaves none)");
    for (int i = 0; i < 8; i++)
        cr_assert_gt(t[i], 0, "hop %d has no time", i);
    for (int i = 1; i < 8; i++)
        cr_assert_geq(t[i], t[i - 1], "hop %d before hop %d", i, i - 1);
}

/* A window of commands in flight (held for their flush, or waiting in one batch) takes
 * its request records from the pool once it has seen such a window: a second window of
 * the same size allocates none. 200 is above the 32 records kept whatever their size and
 * below twice the default batch (256). */
static void s_window(const char *prefix, int n)
{
    char rid[32];
    for (int i = 0; i < n; i++) {
        snprintf(rid, sizeof rid, "%s-%d", prefix, i);
        s_command(rid, 1);
    }
    for (int i = 0; i < n; i++) {
        t_msg_t m;
        s_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
        s_msg_free(&m);
    }
}

Test(server, a_second_window_of_commands_reuses_the_request_records)
{
    s_offloop = true;
    s_start(3600000);
    s_offloop = false;
    s_settle();
    s_window("w1", 200);
    server_stats_t a, b;
    server_stats(T.srv, &a);
    cr_assert_geq(a.records_made, 1);
    s_window("w2", 200);
    server_stats(T.srv, &b);
    cr_assert_eq(b.commands - a.commands, 200);
    cr_assert_eq(b.records_made, a.records_made, "%llu records allocated for the second window",
                 (unsigned long long)(b.records_made - a.records_made));
    s_stop();
}
