/*  The plumbing between real processes: mvoi-testprod -> mvoi-testcons over ZeroMQ, each
 *  with its own LMDB file. Every figure checked here is the test's own closed form: the
 *  producer numbers its events 1..N, so the consumer must hold each n exactly once.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "harness.h"

typedef struct {
    char dir[128];
    char papi[192], ppub[192], capi[192];
    char env_p[10][256];
    char env_c[8][256];
    const char *envp_p[11];
    const char *envp_c[9];
    char prod_bin[512], cons_bin[512];
    h_proc_t prod, cons;
} fixture_t;

static void fx_init(fixture_t *f, long emit_total, long emit_rate)
{
    memset(f, 0, sizeof *f);
    h_tmpdir(f->dir, sizeof f->dir);
    cr_assert(f->dir[0], "mkdtemp failed");
    snprintf(f->papi, sizeof f->papi, "ipc://%s/p.api", f->dir);
    snprintf(f->ppub, sizeof f->ppub, "ipc://%s/p.pub", f->dir);
    snprintf(f->capi, sizeof f->capi, "ipc://%s/c.api", f->dir);
    int i = 0;
    snprintf(f->env_p[i++], 256, "MVOI_DATA_DIR=%s", f->dir);
    snprintf(f->env_p[i++], 256, "MVOI_TESTPROD_API=%s", f->papi);
    snprintf(f->env_p[i++], 256, "MVOI_TESTPROD_PUB=%s", f->ppub);
    snprintf(f->env_p[i++], 256, "MVOI_TESTPROD_EMIT_TOTAL=%ld", emit_total);
    snprintf(f->env_p[i++], 256, "MVOI_TESTPROD_EMIT_RATE=%ld", emit_rate);
    snprintf(f->env_p[i++], 256, "MVOI_LOG_LEVEL=warn");
    for (int k = 0; k < i; k++)
        f->envp_p[k] = f->env_p[k];
    i = 0;
    snprintf(f->env_c[i++], 256, "MVOI_DATA_DIR=%s", f->dir);
    snprintf(f->env_c[i++], 256, "MVOI_TESTCONS_API=%s", f->capi);
    snprintf(f->env_c[i++], 256, "MVOI_TESTCONS_PRODUCER_API=%s", f->papi);
    snprintf(f->env_c[i++], 256, "MVOI_TESTCONS_PRODUCER_PUB=%s", f->ppub);
    snprintf(f->env_c[i++], 256, "MVOI_LOG_LEVEL=warn");
    for (int k = 0; k < i; k++)
        f->envp_c[k] = f->env_c[k];
    h_bin(f->prod_bin, sizeof f->prod_bin, "tests/integration/plumbing/mvoi-testprod");
    h_bin(f->cons_bin, sizeof f->cons_bin, "tests/integration/plumbing/mvoi-testcons");
}

static void fx_start_prod(fixture_t *f)
{
    cr_assert_eq(h_spawn(&f->prod, f->prod_bin, "prod", f->dir, f->envp_p), 0);
    cr_assert_eq(h_wait_healthy(f->papi, 10000), 0, "producer did not come up");
}

static void fx_start_cons(fixture_t *f)
{
    cr_assert_eq(h_spawn(&f->cons, f->cons_bin, "cons", f->dir, f->envp_c), 0);
}

static void fx_fini(fixture_t *f)
{
    h_kill9(&f->cons);
    h_kill9(&f->prod);
    h_tmpdir_remove(f->dir);
}

/* ------------------------------------------------------------ reading the consumer */

typedef struct {
    uint64_t epoch, last;        /* inbox cursor of testprod */
    uint64_t keys, total, min, max, twice;
} cons_state_t;

static int s_read_cons(void *t, void *arg)
{
    MDB_txn *txn = t;
    cons_state_t *s = arg;
    memset(s, 0, sizeof *s);
    MDB_dbi inbox, applied;
    if (mdb_dbi_open(txn, "inbox", 0, &inbox) != 0 ||
        mdb_dbi_open(txn, "applied", 0, &applied) != 0)
        return 0;
    MDB_val k = { 8, "testprod" }, v;
    if (mdb_get(txn, inbox, &k, &v) == 0 && v.mv_size >= 16) {
        const uint8_t *b = v.mv_data;
        for (int i = 0; i < 8; i++) {
            s->epoch = (s->epoch << 8) | b[i];
            s->last = (s->last << 8) | b[8 + i];
        }
    }
    MDB_cursor *c;
    mdb_cursor_open(txn, applied, &c);
    s->min = UINT64_MAX;
    int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
        const uint8_t *kb = k.mv_data, *vb = v.mv_data;
        uint64_t n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | kb[i];
        uint32_t cnt = ((uint32_t)vb[0] << 24) | ((uint32_t)vb[1] << 16) |
                       ((uint32_t)vb[2] << 8) | vb[3];
        s->keys++;
        s->total += cnt;
        if (cnt != 1)
            s->twice++;
        if (n < s->min)
            s->min = n;
        if (n > s->max)
            s->max = n;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return 0;
}

static int read_cons(fixture_t *f, cons_state_t *s)
{
    char path[256];
    snprintf(path, sizeof path, "%s/testcons", f->dir);
    memset(s, 0, sizeof *s);
    return h_lmdb_read(path, s_read_cons, s);
}

static uint64_t prod_head(fixture_t *f)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    Mvoi__Envelope *r = NULL;
    uint64_t head = 0;
    if (h_request(f->papi, &e, &r, 2000) == 0) {
        if (r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY)
            head = r->health_reply->head_seq;
        mvoi__envelope__free_unpacked(r, NULL);
    }
    return head;
}

/* Wait until the consumer's cursor reaches n (read from its LMDB file). */
static int wait_cons(fixture_t *f, uint64_t n, int timeout_ms, cons_state_t *s)
{
    int64_t end = h_now_ms() + timeout_ms;
    while (h_now_ms() < end) {
        if (read_cons(f, s) == 0 && s->last >= n)
            return 0;
        h_sleep_ms(50);
    }
    return -ETIMEDOUT;
}

static void assert_exactly_once(const cons_state_t *s, uint64_t n)
{
    cr_assert_eq(s->last, n, "cursor %lu, expected %lu", (unsigned long)s->last,
                 (unsigned long)n);
    cr_assert_eq(s->keys, n, "%lu distinct events applied, expected %lu",
                 (unsigned long)s->keys, (unsigned long)n);
    cr_assert_eq(s->total, n, "%lu applications, expected %lu", (unsigned long)s->total,
                 (unsigned long)n);
    cr_assert_eq(s->twice, 0, "%lu events applied more than once", (unsigned long)s->twice);
    cr_assert_eq(s->min, 1);
    cr_assert_eq(s->max, n);
}

/* ------------------------------------------------------------ tests */

/* 100,000 events; the consumer is killed with SIGKILL at 20 random moments and restarted
 * each time. Every event must end up applied exactly once. */
Test(plumbing, exactly_once_across_kill9)
{
    const uint64_t N = 100000;
    fixture_t f;
    fx_init(&f, (long)N, 25000);   /* ~4 s of emission */
    fx_start_cons(&f);             /* the consumer first: it must cope with no producer */
    fx_start_prod(&f);
    unsigned seed = (unsigned)h_now_ms();
    srand(seed);
    for (int k = 0; k < 20; k++) {
        h_sleep_ms(30 + rand() % 220);
        h_kill9(&f.cons);
        fx_start_cons(&f);
    }
    cons_state_t s;
    int rc = wait_cons(&f, N, 60000, &s);
    cr_assert_eq(prod_head(&f), N, "the producer emitted %lu", (unsigned long)prod_head(&f));
    cr_assert_eq(rc, 0, "consumer stuck at %lu of %lu (seed %u)", (unsigned long)s.last,
                 (unsigned long)N, seed);
    h_signal(&f.cons, SIGTERM);
    int st = 0;
    cr_assert_eq(h_wait(&f.cons, 5000, &st), 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_eq(read_cons(&f, &s), 0);
    assert_exactly_once(&s, N);
    fx_fini(&f);
}

/* A consumer that starts after 10,000 events were published catches up by replay. */
Test(plumbing, late_consumer_catches_up)
{
    const uint64_t N = 10000;
    fixture_t f;
    fx_init(&f, (long)N, 1000000);
    fx_start_prod(&f);
    int64_t end = h_now_ms() + 20000;
    while (prod_head(&f) < N && h_now_ms() < end)
        h_sleep_ms(20);
    cr_assert_eq(prod_head(&f), N);
    fx_start_cons(&f);
    cons_state_t s;
    cr_assert_eq(wait_cons(&f, N, 20000, &s), 0, "consumer at %lu", (unsigned long)s.last);
    h_signal(&f.cons, SIGTERM);
    cr_assert_eq(h_wait(&f.cons, 5000, NULL), 0);
    cr_assert_eq(read_cons(&f, &s), 0);
    assert_exactly_once(&s, N);
    fx_fini(&f);
}

/* The producer's store is wiped: it comes back with a new epoch and new events 1..M; the
 * consumer drops what it derived from the old epoch and follows the new one. */
Test(plumbing, wiped_producer_new_epoch_resync)
{
    fixture_t f;
    fx_init(&f, 3000, 1000000);
    fx_start_prod(&f);
    fx_start_cons(&f);
    cons_state_t s;
    cr_assert_eq(wait_cons(&f, 3000, 20000, &s), 0);
    uint64_t old_epoch = s.epoch;
    cr_assert_neq(old_epoch, 0);

    h_signal(&f.prod, SIGTERM);
    cr_assert_eq(h_wait(&f.prod, 5000, NULL), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/testprod'", f.dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(f.env_p[3], 256, "MVOI_TESTPROD_EMIT_TOTAL=%d", 1200);
    fx_start_prod(&f);

    int64_t end = h_now_ms() + 20000;
    while (h_now_ms() < end) {
        if (read_cons(&f, &s) == 0 && s.epoch != old_epoch && s.last == 1200)
            break;
        h_sleep_ms(50);
    }
    cr_assert_neq(s.epoch, old_epoch, "the consumer never saw the new epoch");
    h_signal(&f.cons, SIGTERM);
    cr_assert_eq(h_wait(&f.cons, 5000, NULL), 0);
    cr_assert_eq(read_cons(&f, &s), 0);
    assert_exactly_once(&s, 1200);
    fx_fini(&f);
}

/* ------------------------------------------------------------ bad input */

static Mvoi__Envelope *request_body(fixture_t *f, Mvoi__Envelope *e)
{
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->papi, e, &r, 3000), 0, "no reply");
    return r;
}

/* TestCommand{count} under request id rid; the reply (free it). */
static Mvoi__Envelope *test_command(fixture_t *f, const char *rid, uint32_t count)
{
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = count;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    e.test_command = &tc;
    return request_body(f, &e);
}

Test(plumbing, bad_input_is_answered_and_changes_nothing)
{
    fixture_t f;
    fx_init(&f, 100, 1000000);
    fx_start_prod(&f);
    int64_t end = h_now_ms() + 10000;
    while (prod_head(&f) < 100 && h_now_ms() < end)
        h_sleep_ms(20);
    cr_assert_eq(prod_head(&f), 100);

    /* random bytes */
    uint8_t junk[512];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rand();
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request_raw(f.papi, junk, sizeof junk, &r, 3000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert(r->error->code == MVOI__ERROR_CODE__ERR_DECODE ||
              r->error->code == MVOI__ERROR_CODE__ERR_UNIMPLEMENTED);
    mvoi__envelope__free_unpacked(r, NULL);

    /* an envelope whose body this version does not know: field 999, varint 1 */
    const uint8_t unknown[] = { 0x08, 0x01, 0xb8, 0x3e, 0x01 };
    cr_assert_eq(h_request_raw(f.papi, unknown, sizeof unknown, &r, 3000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED);
    cr_assert_str_eq(r->error->field, "body");
    mvoi__envelope__free_unpacked(r, NULL);

    /* a replay beyond the head */
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = true;
    rq.from_seq = 5000;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    e.replay = &rq;
    r = request_body(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE);
    cr_assert_str_eq(r->error->field, "replay.from_seq");
    mvoi__envelope__free_unpacked(r, NULL);

    /* a command without request id, and one with a bad argument */
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = 5;
    e.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    e.test_command = &tc;
    r = request_body(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_str_eq(r->error->field, "request_id");
    mvoi__envelope__free_unpacked(r, NULL);
    e.request_id = "bad-1";
    tc.count = 0;
    r = request_body(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(r->error->field, "test_command.count");
    mvoi__envelope__free_unpacked(r, NULL);

    /* a frame over ZMQ_MAXMSGSIZE (1 MiB): the peer is dropped, nothing is answered */
    size_t big = 2u << 20;
    uint8_t *huge = calloc(1, big);
    cr_assert_eq(h_request_raw(f.papi, huge, big, &r, 1000), -ETIMEDOUT);
    free(huge);

    /* the process keeps serving, and its state is unchanged */
    cr_assert_eq(prod_head(&f), 100);
    cr_assert_eq(h_signal(&f.prod, 0), 0, "the producer died");
    fx_fini(&f);
}

/* ------------------------------------------------------------ commands */

static int send_cmd(void *sock, const char *rid, uint64_t count)
{
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = count;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    e.test_command = &tc;
    uint8_t buf[256];
    size_t len = mvoi__envelope__pack(&e, buf);
    return zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
}

Test(plumbing, repeated_request_returns_stored_reply)
{
    fixture_t f;
    fx_init(&f, 0, 1);
    fx_start_prod(&f);
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = 3;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "same-id";
    e.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    e.test_command = &tc;
    Mvoi__Envelope *r1 = request_body(&f, &e);
    Mvoi__Envelope *r2 = request_body(&f, &e);
    cr_assert_eq(r1->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(r2->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(r1->ack->seq, 3);
    cr_assert_eq(r2->ack->seq, 3, "the repeat must return the stored reply");
    cr_assert_eq(prod_head(&f), 3, "the repeat must change nothing");
    mvoi__envelope__free_unpacked(r1, NULL);
    mvoi__envelope__free_unpacked(r2, NULL);
    fx_fini(&f);
}

/* The feed's linger only holds events back under load: a lone event is applied at once,
 * even with a linger far longer than the test waits (the old rule held every small batch
 * for the whole linger, adding it to the latency of a trickle). */
Test(plumbing, trickle_is_not_held_by_the_linger)
{
    fixture_t f;
    fx_init(&f, 0, 1);
    snprintf(f.env_c[5], 256, "MVOI_TESTCONS_LINGER_MS=60000");
    snprintf(f.env_c[6], 256, "MVOI_TESTCONS_STALL_MS=60000");   /* no rescue by replay */
    f.envp_c[5] = f.env_c[5];
    f.envp_c[6] = f.env_c[6];
    fx_start_prod(&f);
    fx_start_cons(&f);
    cr_assert_eq(h_wait_healthy(f.capi, 10000), 0, "consumer did not come up");
    h_sleep_ms(1500);   /* its first replay (of nothing) is answered; events now come live */
    for (int i = 1; i <= 3; i++) {
        char rid[32];
        snprintf(rid, sizeof rid, "trickle-%d", i);
        Mvoi__Envelope *r = test_command(&f, rid, 1);
        cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
        mvoi__envelope__free_unpacked(r, NULL);
        cons_state_t s;
        cr_assert_eq(wait_cons(&f, (uint64_t)i, 15000, &s), 0,
                     "event %d not applied within 15 s (linger 60 s): cursor %lu", i,
                     (unsigned long)s.last);
    }
    cons_state_t s;
    cr_assert_eq(read_cons(&f, &s), 0);
    assert_exactly_once(&s, 3);
    fx_fini(&f);
}

/* SIGTERM in the middle of a burst of commands: exit 0 within 2 s, and every command that
 * was acknowledged is still there after a restart (its repeat returns the same seq). */
Test(plumbing, sigterm_during_burst_keeps_acknowledged)
{
    fixture_t f;
    fx_init(&f, 0, 1);
    fx_start_prod(&f);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(s, f.papi), 0);
    enum { NCMD = 3000 };
    static uint64_t acked[NCMD + 1];
    memset(acked, 0, sizeof acked);
    char rid[32];
    for (int i = 1; i <= NCMD; i++) {
        snprintf(rid, sizeof rid, "burst-%d", i);
        cr_assert_eq(send_cmd(s, rid, 10), 0);
    }
    int nacked = 0;
    bool termed = false;
    int64_t t_term = 0;
    zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
    int64_t end = h_now_ms() + 20000;
    while (h_now_ms() < end) {
        if (!termed && nacked >= 200) {
            h_signal(&f.prod, SIGTERM);
            termed = true;
            t_term = h_now_ms();
        }
        if (zmq_poll(&it, 1, 50) <= 0) {
            if (termed)
                break;
            continue;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, s, 0);
        Mvoi__Envelope *r = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (r && r->body_case == MVOI__ENVELOPE__BODY_ACK && r->request_id) {
            int i = atoi(r->request_id + 6);
            if (i >= 1 && i <= NCMD) {
                acked[i] = r->ack->seq;
                nacked++;
            }
        }
        if (r)
            mvoi__envelope__free_unpacked(r, NULL);
    }
    cr_assert(termed, "only %d acks came back before the burst ended", nacked);
    int st = 0;
    cr_assert_eq(h_wait(&f.prod, 2000 - (int)(h_now_ms() - t_term) + 50, &st), 0,
                 "no exit within 2 s of SIGTERM");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
    zmq_close(s);
    zmq_ctx_term(ctx);

    fx_start_prod(&f);
    uint64_t head = prod_head(&f);
    int checked = 0;
    for (int i = 1; i <= NCMD; i++) {
        if (!acked[i])
            continue;
        cr_assert(acked[i] <= head, "acked seq %lu beyond the head %lu after restart",
                  (unsigned long)acked[i], (unsigned long)head);
        if (i % 20 == 0) {   /* the repeat returns the stored reply with the same seq */
            snprintf(rid, sizeof rid, "burst-%d", i);
            Mvoi__Envelope *r = test_command(&f, rid, 10);
            cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
            cr_assert_eq(r->ack->seq, acked[i]);
            mvoi__envelope__free_unpacked(r, NULL);
            checked++;
        }
    }
    cr_assert_eq(prod_head(&f), head, "repeats must not append");
    cr_assert(nacked >= 200 && checked > 0);
    fx_fini(&f);
}

/* ------------------------------------------------------------ retention */

static uint64_t prod_backlog(fixture_t *f)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    Mvoi__Envelope *r = NULL;
    uint64_t b = UINT64_MAX;
    if (h_request(f->papi, &e, &r, 2000) == 0) {
        if (r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY)
            b = r->health_reply->outbox_backlog;
        mvoi__envelope__free_unpacked(r, NULL);
    }
    return b;
}

/* The outbox keeps the newest N events; older ones are refused for replay with a reason,
 * and stored replies expire after their TTL (a repeat then counts as a new command). */
/* Retained-from as the producer reports it (ReplayEnd of a replay from its head). */
static uint64_t prod_retained_from(fixture_t *f, uint64_t head)
{
    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = rq.has_max_count = true;
    rq.from_seq = head;
    rq.max_count = 1;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    e.replay = &rq;
    Mvoi__Envelope *r = request_body(f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_REPLAY_END);
    uint64_t from = r->replay_end->retained_from;
    mvoi__envelope__free_unpacked(r, NULL);
    return from;
}

/* A retention pass removes a bounded number of events (one huge delete transaction would
 * stall the service): with 1000 events, retention 100 and at most 300 per pass, the oldest
 * retained event goes 1 -> 301 -> 601 -> 901, never anything in between. */
Test(plumbing, retention_removes_a_bounded_number_per_pass)
{
    fixture_t f;
    fx_init(&f, 1000, 1000000);
    snprintf(f.env_p[6], 256, "MVOI_TESTPROD_RETAIN_EVENTS=100");
    snprintf(f.env_p[7], 256, "MVOI_TESTPROD_MAINTENANCE_MS=400");
    snprintf(f.env_p[8], 256, "MVOI_TESTPROD_TRIM_MAX=300");
    for (int i = 6; i <= 8; i++)
        f.envp_p[i] = f.env_p[i];
    fx_start_prod(&f);
    int64_t end = h_now_ms() + 15000, first = 0;
    uint64_t from = 0;
    while (from != 901 && h_now_ms() < end) {
        if (prod_head(&f) < 1000) {
            h_sleep_ms(5);
            continue;
        }
        uint64_t now = prod_retained_from(&f, 1000);
        cr_assert(now == 1 || now == 301 || now == 601 || now == 901,
                  "retained from %lu: not a whole number of bounded passes of 300",
                  (unsigned long)now);
        cr_assert_geq(now, from, "retention went backwards");
        if (now > 1 && !first)
            first = h_now_ms();
        from = now;
        h_sleep_ms(10);
    }
    cr_assert_eq(from, 901, "retention did not reach the newest 100 events");
    /* the passes after the first follow at the next loop turns, not a period (400 ms)
     * apart: all three within the period that began with the first */
    cr_assert_lt(h_now_ms() - first, 400, "the follow-up passes waited for the period");
    cr_assert_eq(prod_head(&f), 1000);
    fx_fini(&f);
}

Test(plumbing, retention_of_events_and_replies)
{
    fixture_t f;
    fx_init(&f, 1000, 1000000);
    snprintf(f.env_p[6], 256, "MVOI_TESTPROD_RETAIN_EVENTS=100");
    snprintf(f.env_p[7], 256, "MVOI_TESTPROD_MAINTENANCE_MS=100");
    f.envp_p[6] = f.env_p[6];
    f.envp_p[7] = f.env_p[7];
    static char ttl[64] = "MVOI_TESTPROD_REQUEST_TTL_S=1";
    f.envp_p[8] = ttl;
    fx_start_prod(&f);
    int64_t end = h_now_ms() + 10000;
    while ((prod_head(&f) < 1000 || prod_backlog(&f) != 100) && h_now_ms() < end)
        h_sleep_ms(50);
    cr_assert_eq(prod_head(&f), 1000);
    cr_assert_eq(prod_backlog(&f), 100, "backlog %lu", (unsigned long)prod_backlog(&f));

    Mvoi__ReplayRequest rq = MVOI__REPLAY_REQUEST__INIT;
    rq.has_from_seq = true;
    rq.from_seq = 1;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    e.replay = &rq;
    e.lang = "en";   /* the refusal's text in English (Dutch by default) */
    Mvoi__Envelope *r = request_body(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE);
    cr_assert(strstr(r->error->message, "retention"), "%s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
    rq.from_seq = 901;
    r = request_body(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_REPLAY_END);
    cr_assert_eq(r->replay_end->last_sent_seq, 1000);
    cr_assert_eq(r->replay_end->retained_from, 901);
    mvoi__envelope__free_unpacked(r, NULL);

    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = 1;
    Mvoi__Envelope c = MVOI__ENVELOPE__INIT;
    c.request_id = "ttl-1";
    c.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    c.test_command = &tc;
    r = request_body(&f, &c);
    cr_assert_eq(r->ack->seq, 1001);
    mvoi__envelope__free_unpacked(r, NULL);
    r = request_body(&f, &c);
    cr_assert_eq(r->ack->seq, 1001, "within the TTL the stored reply comes back");
    mvoi__envelope__free_unpacked(r, NULL);
    h_sleep_ms(2300);
    r = request_body(&f, &c);
    cr_assert_eq(r->ack->seq, 1002, "after the TTL the request is new again");
    mvoi__envelope__free_unpacked(r, NULL);
    fx_fini(&f);
}
