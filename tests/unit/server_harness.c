/* server_harness: see server_harness.h. The figures the tests expect are counted by the
 * tests (commands sent, events asked for), never read back from here. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mvoi_error.h"
#include "server_harness.h"
#include "unit_tmp.h"

sh_t SH;

/* The prep of TestCommand (server_prep_fn): count x 3, and the thread it ran on. */
typedef struct {
    uint64_t tripled;
    pthread_t thread;
} s_prep_t;

static void s_prep(void *arg, server_req_t *req)
{
    (void)arg;   /* the test's sh_t is the loop's: a prep may not touch it */
    s_prep_t *p = server_prep_alloc(req, sizeof *p);
    if (!p)
        return;
    p->tripled = server_request(req)->test_command->count * 3;
    if (server_request(req)->test_command->count == SH_SLOW_PREP)
        nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
    p->thread = pthread_self();
    server_prep_set(req, p);
}

/* What the handler found of its prep: counted in SH (the loop's). */
static void s_saw_prep(sh_t *t, server_req_t *req)
{
    const s_prep_t *p = server_prep(req);
    if (!p)
        return;
    if (p->tripled == server_request(req)->test_command->count * 3)
        t->prepped++;
    if (!pthread_equal(p->thread, t->loop_thread))
        t->prepped_off_loop++;
}

/* TestCommand{count}: writes "cmd:<request id>" and appends `count` TestEvents; answers an
 * Ack with the seq of the last one. */
static int s_on_command(void *arg, server_req_t *req, MDB_txn *txn)
{
    sh_t *t = arg;
    t->calls++;
    s_saw_prep(t, req);
    const Mvoi__Envelope *rq = server_request(req);
    uint64_t count = rq->test_command->count;
    if (count == SH_INVALID)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "test_command.count",
                            "count %d is refused", SH_INVALID);
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
    if (count == SH_STORAGE_FAILURE)
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
    { MVOI__ENVELOPE__BODY_TEST_COMMAND, SERVER_COMMAND, s_on_command, s_prep },
};

static bool s_ready_fn(void *arg) { return ((sh_t *)arg)->ready; }

static void s_hook_commit(void *arg)
{
    sh_t *t = arg;
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

uint32_t sh_publish_batch, sh_stage_bytes, sh_batch;
const mvoi_buyers_t *sh_buyers;

void sh_start(uint32_t heartbeat_ms, sh_mode_t mode)
{
    memset(&SH, 0, sizeof SH);
    SH.ready = true;
    SH.loop_thread = pthread_self();
    ut_tmpdir(SH.dir, sizeof SH.dir, "server");
    cr_assert_eq(uv_loop_init(&SH.loop), 0);
    SH.ctx = bus_ctx_new();
    cr_assert_not_null(SH.ctx);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, "data", NULL };
    store_opts_t so = { .path = SH.dir, .dbs = dbs, .nosync = mode == SH_NOSYNC,
                        .nometasync = mode == SH_OFFLOOP, .wal = mode == SH_WAL,
                        .wal_size = 1 << 20, .wal_checkpoint_ms = 3600000 };
    int err = 0;
    SH.store = store_new(&so, &err);
    cr_assert_not_null(SH.store, "store_new: %s", mvoi_strerror(err));
    SH.data = store_dbi(SH.store, "data");
    SH.ob = outbox_new(SH.store, "testprod", &err);
    cr_assert_not_null(SH.ob);
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    server_opts_t o = { .name = "testprod", .api_endpoint = SH_API, .pub_endpoint = SH_PUB,
                        .store = SH.store, .outbox = SH.ob, .routes = s_routes, .nroutes = 1,
                        .arg = &SH, .heartbeat_ms = heartbeat_ms, .ready_fn = s_ready_fn,
                        .bus_opts = &bo, .flush_offloop = mode != SH_NOSYNC,
                        .publish_batch = sh_publish_batch, .stage_bytes = sh_stage_bytes,
                        .batch = sh_batch, .buyers = sh_buyers };
    SH.srv = server_new(&SH.loop, SH.ctx, &o, &err);
    cr_assert_not_null(SH.srv, "server_new: %s", mvoi_strerror(err));
    store_hooks_t h = { .commit = s_hook_commit, .arg = &SH };
    cr_assert_eq(store_add_hooks(SH.store, &h), 0);
    void *z = bus_ctx_zmq(SH.ctx);
    SH.dealer = zmq_socket(z, ZMQ_DEALER);
    SH.sub = zmq_socket(z, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(SH.dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(SH.sub, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(SH.dealer, SH_API), 0);
    cr_assert_eq(zmq_setsockopt(SH.sub, ZMQ_SUBSCRIBE, "", 0), 0);
    cr_assert_eq(zmq_connect(SH.sub, SH_PUB), 0);
}

void sh_stop(void)
{
    zmq_close(SH.dealer);
    zmq_close(SH.sub);
    server_destroy(&SH.srv);
    uv_run(&SH.loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&SH.ctx);
    uv_run(&SH.loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&SH.loop), 0);
    outbox_destroy(&SH.ob);
    store_destroy(&SH.store);
    ut_tmpdir_remove(SH.dir);
}

uint64_t sh_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --------------------------------------------------------------- the client side */

void sh_msg_free(sh_msg_t *m) { codec_free(&m->env); }

bool sh_recv(void *sock, sh_msg_t *m, int timeout_ms)
{
    memset(m, 0, sizeof *m);
    uint64_t end = sh_ms() + (uint64_t)timeout_ms;
    do {
        uv_run(&SH.loop, UV_RUN_NOWAIT);
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
    } while (sh_ms() < end);
    return false;
}

void sh_send_env(Mvoi__Envelope *env)
{
    uint8_t buf[1024];
    int64_t len = codec_pack_into(env, buf, sizeof buf);
    cr_assert_gt(len, 0);
    cr_assert_eq(zmq_send(SH.dealer, buf, (size_t)len, 0), len);
}

void sh_command(const char *rid, uint64_t count)
{
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = count;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.buyer = "heerlen";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    sh_send_env(&env);
}

void sh_reply(sh_msg_t *m)
{
    cr_assert(sh_recv(SH.dealer, m, 3000), "no reply");
    cr_assert_not_null(m->env, "the reply is not an envelope");
}

Mvoi__HealthReply sh_health(void)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    env.health = &hr;
    sh_send_env(&env);
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    Mvoi__HealthReply h = *m.env->health_reply;
    h.service = h.version = NULL;
    h.inbox = NULL;
    h.n_inbox = 0;
    sh_msg_free(&m);
    return h;
}

int sh_data_count(void)
{
    MDB_txn *txn;
    MDB_stat st;
    cr_assert_eq(mdb_txn_begin(store_env(SH.store), NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_stat(txn, SH.data, &st), 0);
    mdb_txn_abort(txn);
    return (int)st.ms_entries;
}

int sh_drain_pub(uint64_t *seqs, int max, int quiet_ms)
{
    int n = 0;
    sh_msg_t m;
    while (sh_recv(SH.sub, &m, quiet_ms)) {
        if (m.env && m.env->body_case == MVOI__ENVELOPE__BODY_TEST_EVENT && n < max)
            seqs[n++] = m.env->seq;
        sh_msg_free(&m);
    }
    return n;
}

void sh_settle(void) { (void)sh_health(); }

bool sh_pending(void *sock)
{
    zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
    return zmq_poll(&it, 1, 0) > 0;
}

void sh_until_commit(int before)
{
    for (int i = 0; i < 100000 && SH.commits == before; i++)
        uv_run(&SH.loop, UV_RUN_NOWAIT);
    cr_assert_gt(SH.commits, before, "no commit");
}

void sh_turn(int n)
{
    for (int i = 0; i < n; i++)
        uv_run(&SH.loop, UV_RUN_NOWAIT);
}
