/* Unit tests for common/outbox.c: seq assignment under abort/rerun, reopen, epoch, reads,
 * publishing, retention, stored bytes. Each test uses its own mkdtemp directory. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "outbox.h"
#include "unit_tmp.h"

static char s_dir[64];
static const char *const s_dbs[] = { OUTBOX_DBS, "state", NULL };

static void s_setup(void) { ut_tmpdir(s_dir, sizeof s_dir, "outbox"); }

static void s_teardown(void) { ut_tmpdir_remove(s_dir); }

TestSuite(outbox, .init = s_setup, .fini = s_teardown);

typedef struct {
    store_t *s;
    outbox_t *ob;
} box_t;

static box_t s_open_at(const char *dir, size_t map_size)
{
    store_opts_t o = { .path = dir, .map_size = map_size, .dbs = s_dbs };
    int err = 1;
    box_t b;
    b.s = store_new(&o, &err);
    cr_assert_not_null(b.s, "store_new: %d", err);
    b.ob = outbox_new(b.s, "calendar", &err);
    cr_assert_not_null(b.ob, "outbox_new: %d", err);
    cr_assert_eq(err, 0);
    return b;
}

static box_t s_open(void) { return s_open_at(s_dir, 0); }

static void s_close(box_t *b)
{
    outbox_destroy(&b->ob);
    cr_assert_null(b->ob);
    store_destroy(&b->s);
}

/* A write transaction that changes "state" and appends `count` events, then returns ret. */
typedef struct {
    box_t *b;
    int count;
    uint64_t first_n;     /* TestEvent.n of the first event */
    size_t payload;       /* bytes of TestEvent.payload */
    int ret;
    int runs;
    uint64_t seqs[64];
    uint64_t next_seq_seen;
} app_t;

static int s_append_fn(MDB_txn *txn, void *arg)
{
    app_t *a = arg;
    a->runs++;
    a->next_seq_seen = outbox_next_seq(a->b->ob);
    uint8_t *payload = a->payload ? calloc(1, a->payload) : NULL;
    int rc = 0;
    for (int i = 0; i < a->count && rc == 0; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        te.n = a->first_n + (uint64_t)i;
        if (payload) {
            te.has_payload = true;
            te.payload.data = payload;
            te.payload.len = a->payload;
        }
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        env.test_event = &te;
        MDB_val k = { 4, "last" }, v = { 8, &te.n };
        rc = store_put(txn, store_dbi(a->b->s, "state"), &k, &v, 0);
        if (rc == 0)
            rc = outbox_append(a->b->ob, txn, "test.event", &env, &a->seqs[i]);
    }
    free(payload);
    return rc != 0 ? rc : a->ret;
}

static int s_append(box_t *b, int count, uint64_t first_n)
{
    app_t a = { .b = b, .count = count, .first_n = first_n };
    return store_write(b->s, s_append_fn, &a);
}

/* Collects what outbox_read / outbox_publish hand out. */
typedef struct {
    int n;
    uint64_t seqs[256];
    uint64_t ns[256];
    int fail_at;          /* return -EAGAIN on this call (1-based), 0 = never */
    int calls;
} col_t;

static int s_collect(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                     const void *env, size_t env_len)
{
    col_t *c = arg;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at)
        return -EAGAIN;
    cr_assert_eq(topic_len, strlen("test.event"));
    cr_assert_eq(memcmp(topic, "test.event", topic_len), 0);
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, env_len, env);
    cr_assert_not_null(e, "stored envelope does not decode");
    cr_assert_eq(e->seq, seq);
    cr_assert_eq(e->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
    cr_assert_lt(c->n, 256);
    c->seqs[c->n] = seq;
    c->ns[c->n] = e->test_event->n;
    c->n++;
    mvoi__envelope__free_unpacked(e, NULL);
    return 0;
}

Test(outbox, aborted_append_leaves_head_and_seq_is_reused)
{
    box_t b = s_open();
    cr_assert_eq(outbox_head(b.ob), 0);
    cr_assert_eq(outbox_next_seq(b.ob), 1);

    app_t a = { .b = &b, .count = 3, .first_n = 100, .ret = -ECANCELED };
    cr_assert_eq(store_write(b.s, s_append_fn, &a), -ECANCELED);
    cr_assert_eq(a.seqs[0], 1);
    cr_assert_eq(a.seqs[2], 3);
    cr_assert_eq(outbox_head(b.ob), 0);
    cr_assert_eq(outbox_next_seq(b.ob), 1);
    col_t c = { 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 10, s_collect, &c), 0);
    cr_assert_eq(c.n, 0);

    app_t a2 = { .b = &b, .count = 1, .first_n = 7 };
    cr_assert_eq(store_write(b.s, s_append_fn, &a2), 0);
    cr_assert_eq(a2.next_seq_seen, 1);
    cr_assert_eq(a2.seqs[0], 1);
    cr_assert_eq(outbox_head(b.ob), 1);
    cr_assert_eq(outbox_read(b.ob, 1, 10, s_collect, &c), 0);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.ns[0], 7);

    /* Outside store_write the hooks cannot track the head: refused. */
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(store_env(b.s), NULL, 0, &txn), 0);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    cr_assert_eq(outbox_append(b.ob, txn, "test.event", &env, NULL), -EINVAL);
    mdb_txn_abort(txn);
    s_close(&b);
}

Test(outbox, map_full_rerun_keeps_seqs_dense)
{
    box_t b = s_open_at(s_dir, 64 << 10);
    app_t a = { .b = &b, .count = 4, .first_n = 1, .payload = 200 << 10 };
    cr_assert_eq(store_write(b.s, s_append_fn, &a), 0);
    cr_assert_gt(a.runs, 1, "expected MAP_FULL reruns");
    cr_assert_gt(store_grows(b.s), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(a.seqs[i], (uint64_t)i + 1);
    cr_assert_eq(outbox_head(b.ob), 4);
    col_t c = { 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 100, s_collect, &c), 0);
    cr_assert_eq(c.n, 4);
    s_close(&b);
}

Test(outbox, seqs_dense_across_reopen)
{
    box_t b = s_open();
    for (int i = 0; i < 10; i++)
        cr_assert_eq(s_append(&b, 1, (uint64_t)i + 1), 0);
    cr_assert_eq(s_append(&b, 5, 11), 0);
    cr_assert_eq(outbox_head(b.ob), 15);
    s_close(&b);

    b = s_open();
    cr_assert_eq(outbox_head(b.ob), 15);
    cr_assert_eq(outbox_retained_from(b.ob), 1);
    cr_assert_eq(s_append(&b, 5, 16), 0);
    cr_assert_eq(outbox_head(b.ob), 20);
    col_t c = { 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 1000, s_collect, &c), 0);
    cr_assert_eq(c.n, 20);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(c.seqs[i], (uint64_t)i + 1);
        cr_assert_eq(c.ns[i], (uint64_t)i + 1);
    }
    s_close(&b);
}

Test(outbox, epoch_stable_across_reopen_new_for_new_dir)
{
    box_t b = s_open();
    uint64_t e1 = outbox_epoch(b.ob);
    cr_assert_neq(e1, 0);
    cr_assert_str_eq(outbox_producer(b.ob), "calendar");
    s_close(&b);
    b = s_open();
    cr_assert_eq(outbox_epoch(b.ob), e1);
    s_close(&b);

    char other[96];
    snprintf(other, sizeof other, "%s/other", s_dir);
    b = s_open_at(other, 0);
    cr_assert_neq(outbox_epoch(b.ob), 0);
    cr_assert_neq(outbox_epoch(b.ob), e1);
    s_close(&b);
}

Test(outbox, read_ranges)
{
    box_t b = s_open();
    cr_assert_eq(s_append(&b, 10, 1), 0);
    col_t c = { 0 };
    cr_assert_eq(outbox_read(b.ob, 5, 3, s_collect, &c), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.seqs[0], 5);
    cr_assert_eq(c.seqs[2], 7);

    c = (col_t){ 0 };
    cr_assert_eq(outbox_read(b.ob, 0, 2, s_collect, &c), 0);   /* 0 means from the start */
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.seqs[0], 1);

    c = (col_t){ 0 };
    cr_assert_eq(outbox_read(b.ob, 8, UINT32_MAX, s_collect, &c), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_eq(c.seqs[2], 10);

    c = (col_t){ 0 };
    cr_assert_eq(outbox_read(b.ob, 11, 5, s_collect, &c), 0);   /* head+1: empty, fine */
    cr_assert_eq(c.n, 0);
    cr_assert_eq(outbox_read(b.ob, 12, 5, s_collect, &c), -ERANGE);
    cr_assert_eq(outbox_read(b.ob, UINT64_MAX, 5, s_collect, &c), -ERANGE);

    /* fn's non-zero result stops the read and comes back verbatim. */
    c = (col_t){ .fail_at = 2 };
    cr_assert_eq(outbox_read(b.ob, 1, 10, s_collect, &c), -EAGAIN);
    cr_assert_eq(c.n, 1);

    /* The head seen by a transaction. */
    uint64_t h = 0;
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(store_env(b.s), NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(outbox_head_in(b.ob, txn, &h), 0);
    mdb_txn_abort(txn);
    cr_assert_eq(h, 10);
    s_close(&b);
}

Test(outbox, publish_in_order_and_resume_after_eagain)
{
    box_t b = s_open();
    col_t c = { 0 };
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.calls, 0);

    cr_assert_eq(s_append(&b, 5, 1), 0);
    c.fail_at = 3;
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), -EAGAIN);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(outbox_published(b.ob), 2);

    c.fail_at = 0;
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(c.seqs[i], (uint64_t)i + 1);
    cr_assert_eq(outbox_published(b.ob), 5);

    /* Nothing new: nothing handed out. An aborted append publishes nothing either. */
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 5);
    app_t a = { .b = &b, .count = 2, .first_n = 99, .ret = -ECANCELED };
    cr_assert_eq(store_write(b.s, s_append_fn, &a), -ECANCELED);
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 5);

    cr_assert_eq(s_append(&b, 2, 6), 0);
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 7);
    cr_assert_eq(c.seqs[5], 6);
    cr_assert_eq(c.ns[6], 7);
    s_close(&b);

    /* After a restart, live publishing starts at the head (consumers replay the rest). */
    b = s_open();
    cr_assert_eq(outbox_published(b.ob), 7);
    col_t c2 = { 0 };
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c2), 0);
    cr_assert_eq(c2.n, 0);
    s_close(&b);
}

Test(outbox, trim)
{
    box_t b = s_open();
    cr_assert_eq(s_append(&b, 10, 1), 0);
    cr_assert_eq(outbox_retained_from(b.ob), 1);
    cr_assert_eq(outbox_trim(b.ob, 6), 0);
    cr_assert_eq(outbox_retained_from(b.ob), 6);
    col_t c = { 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 100, s_collect, &c), 0);
    cr_assert_eq(c.n, 5);
    cr_assert_eq(c.seqs[0], 6);
    cr_assert_eq(outbox_trim(b.ob, 3), 0);   /* below the floor: no-op */
    cr_assert_eq(outbox_retained_from(b.ob), 6);
    s_close(&b);

    b = s_open();
    cr_assert_eq(outbox_retained_from(b.ob), 6);
    cr_assert_eq(outbox_head(b.ob), 10);
    /* Trim everything (clamped to head+1): the head survives, the next seq follows it. */
    cr_assert_eq(outbox_trim(b.ob, 1000), 0);
    cr_assert_eq(outbox_retained_from(b.ob), 11);
    c = (col_t){ 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 100, s_collect, &c), 0);
    cr_assert_eq(c.n, 0);
    s_close(&b);

    b = s_open();
    cr_assert_eq(outbox_head(b.ob), 10);
    cr_assert_eq(outbox_retained_from(b.ob), 11);
    cr_assert_eq(s_append(&b, 1, 11), 0);
    cr_assert_eq(outbox_head(b.ob), 11);
    cr_assert_eq(outbox_read(b.ob, 1, 100, s_collect, &c), 0);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.seqs[0], 11);
    s_close(&b);
}

typedef struct {
    Mvoi__Envelope *env;
    char topic[64];
} got_t;

static int s_keep(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                  const void *env, size_t env_len)
{
    got_t *g = arg;
    cr_assert_lt(topic_len, sizeof g->topic);
    memcpy(g->topic, topic, topic_len);
    g->topic[topic_len] = '\0';
    g->env = mvoi__envelope__unpack(NULL, env_len, env);
    return 0;
}

static int s_stamp_fn(MDB_txn *txn, void *arg)
{
    box_t *b = arg;
    Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
    te.has_n = true;
    te.n = 4242;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
    env.test_event = &te;
    env.correlation_id = "corr-1";
    env.producer = "caller's own";
    uint64_t seq = 0;
    int rc = outbox_append(b->ob, txn, "tender.registered", &env, &seq);
    if (rc != 0)
        return rc;
    /* The producer pointer is given back; the scalar stamps stay. */
    cr_assert_str_eq(env.producer, "caller's own");
    cr_assert_eq(env.seq, seq);
    cr_assert_eq(env.epoch, outbox_epoch(b->ob));
    return 0;
}

Test(outbox, stored_envelope_is_stamped)
{
    clock_set_fixed(1764307693123LL);
    box_t b = s_open();
    cr_assert_eq(s_append(&b, 2, 1), 0);
    cr_assert_eq(store_write(b.s, s_stamp_fn, &b), 0);
    got_t g = { 0 };
    cr_assert_eq(outbox_read(b.ob, 3, 1, s_keep, &g), 0);
    cr_assert_not_null(g.env);
    cr_assert_str_eq(g.topic, "tender.registered");
    cr_assert_str_eq(g.env->producer, "calendar");
    cr_assert(g.env->has_epoch);
    cr_assert_eq(g.env->epoch, outbox_epoch(b.ob));
    cr_assert(g.env->has_seq);
    cr_assert_eq(g.env->seq, 3);
    cr_assert(g.env->has_ts_unix_ms);
    cr_assert_eq(g.env->ts_unix_ms, 1764307693123LL);
    cr_assert(g.env->has_schema_version);
    cr_assert_eq(g.env->schema_version, CODEC_SCHEMA_VERSION);
    cr_assert_str_eq(g.env->correlation_id, "corr-1");
    cr_assert_eq(g.env->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
    cr_assert_eq(g.env->test_event->n, 4242);
    mvoi__envelope__free_unpacked(g.env, NULL);
    s_close(&b);
    clock_set_source(NULL, NULL);
}

/* A clock that moves a second every time it is read. */
static int64_t s_ticking(void *arg)
{
    int64_t *t = arg;
    return *t += 1000;
}

static int s_write_ms_fn(MDB_txn *txn, void *arg)
{
    app_t *a = arg;
    int64_t at = outbox_write_ms(a->b->ob);
    int rc = s_append_fn(txn, arg);
    cr_assert_eq(outbox_write_ms(a->b->ob), at, "one time for the whole write");
    return rc;
}

/* Every event of one write carries the time the write began (they become visible together,
 * at its commit), read once: a clock that moves between reads must not show between them. */
Test(outbox, the_events_of_one_write_carry_its_time)
{
    int64_t t = 1764307693000LL;
    clock_set_source(s_ticking, &t);
    box_t b = s_open();
    app_t a = { .b = &b, .count = 3, .first_n = 1 };
    cr_assert_eq(store_write(b.s, s_write_ms_fn, &a), 0);
    app_t a2 = { .b = &b, .count = 2, .first_n = 4 };
    cr_assert_eq(store_write(b.s, s_write_ms_fn, &a2), 0);
    int64_t ts[5];
    for (uint64_t seq = 1; seq <= 5; seq++) {
        got_t g = { 0 };
        cr_assert_eq(outbox_read(b.ob, seq, 1, s_keep, &g), 0);
        cr_assert_not_null(g.env);
        ts[seq - 1] = g.env->ts_unix_ms;
        mvoi__envelope__free_unpacked(g.env, NULL);
    }
    cr_assert(ts[0] > 1764307693000LL, "a time from the clock");
    cr_assert(ts[0] == ts[1] && ts[1] == ts[2], "one write, one time: %lld %lld %lld",
              (long long)ts[0], (long long)ts[1], (long long)ts[2]);
    cr_assert(ts[3] == ts[4], "the second write's own time");
    cr_assert(ts[3] > ts[2], "a later write, a later time");
    int64_t now = outbox_write_ms(b.ob);
    cr_assert_eq(now, t, "outside a write: now (a fresh read)");
    s_close(&b);
    clock_set_source(NULL, NULL);
}

Test(outbox, needs_outbox_dbs)
{
    static const char *const dbs[] = { "outbox", NULL };
    store_opts_t o = { .path = s_dir, .dbs = dbs };
    store_t *s = store_new(&o, NULL);
    cr_assert_not_null(s);
    int err = 0;
    cr_assert_null(outbox_new(s, "x", &err));
    cr_assert_eq(err, -EINVAL);
    store_destroy(&s);
}

/* The durability gate (a store whose commits are flushed after the fact): events of
 * commits not yet flushed are neither published nor replayed, and the head names the
 * flushed one; each outbox_durable_upto lets exactly the flushed events out. */
Test(outbox, durability_gate_holds_back_publish_and_replay)
{
    box_t b = s_open();
    cr_assert_eq(s_append(&b, 3, 1), 0);     /* seqs 1..3, before the gate: flushed */
    outbox_gate(b.ob, true);
    cr_assert_eq(s_append(&b, 4, 4), 0);     /* seqs 4..7, committed, not flushed */
    cr_assert_eq(outbox_committed(b.ob), 7);
    cr_assert_eq(outbox_head(b.ob), 3);
    col_t c = { 0 };
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 3, "published %d events, 3 were flushed", c.n);
    cr_assert_eq(c.seqs[2], 3);
    c = (col_t){ 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 100, s_collect, &c), 0);
    cr_assert_eq(c.n, 3, "replayed %d events, 3 were flushed", c.n);
    cr_assert_eq(outbox_read(b.ob, 5, 1, s_collect, &c), -ERANGE);

    outbox_durable_upto(b.ob, 5);           /* a flush that covered the commit of 4..5 */
    c = (col_t){ 0 };
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.seqs[0], 4);
    cr_assert_eq(c.seqs[1], 5);
    outbox_durable_upto(b.ob, 99);          /* never beyond what committed */
    cr_assert_eq(outbox_head(b.ob), 7);
    c = (col_t){ 0 };
    cr_assert_eq(outbox_publish(b.ob, s_collect, &c), 0);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(outbox_published(b.ob), 7);
    s_close(&b);
}

static int s_encoded_fn(MDB_txn *txn, void *arg)
{
    box_t *b = arg;
    Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
    te.has_n = true;
    te.n = 777;
    uint8_t body[32];
    size_t bl = mvoi__test_event__pack(&te, body);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.correlation_id = "corr-2";
    uint64_t seq = 0;
    int rc = outbox_append_encoded(b->ob, txn, "test.encoded", &env,
                                   MVOI__ENVELOPE__BODY_TEST_EVENT, body, bl, &seq);
    if (rc != 0)
        return rc;
    cr_assert_eq(seq, 1);
    /* an envelope that has a body of its own is refused: two bodies is no envelope */
    env.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
    env.test_event = &te;
    cr_assert_eq(outbox_append_encoded(b->ob, txn, "test.encoded", &env,
                                       MVOI__ENVELOPE__BODY_TEST_EVENT, body, bl, &seq),
                 -EINVAL);
    return 0;
}

Test(outbox, encoded_body_is_stored_in_a_stamped_envelope)
{
    box_t b = s_open();
    cr_assert_eq(store_write(b.s, s_encoded_fn, &b), 0);
    got_t g = { 0 };
    cr_assert_eq(outbox_read(b.ob, 1, 1, s_keep, &g), 0);
    cr_assert_not_null(g.env);
    cr_assert_str_eq(g.topic, "test.encoded");
    cr_assert_str_eq(g.env->producer, "calendar");
    cr_assert_eq(g.env->seq, 1);
    cr_assert_str_eq(g.env->correlation_id, "corr-2");
    cr_assert_eq(g.env->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
    cr_assert_eq(g.env->test_event->n, 777);
    cr_assert_eq(outbox_committed(b.ob), 1);
    mvoi__envelope__free_unpacked(g.env, NULL);
    s_close(&b);
}
