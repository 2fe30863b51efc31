/*  server_publish: with publish_batch, the events of one publish pass go out as one
 *  message per run of one topic (an EventBatch of at most publish_batch events), in seq
 *  order, a lone event as itself; read here with protobuf-c, not with the feed's reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "server_harness.h"

typedef struct {
    server_t *srv;
    const char *topics[4];
    int counts[4];
} t_runs_t;

/* One write transaction: counts[i] TestEvents under topics[i], in that order. */
static int s_emit_runs(MDB_txn *txn, void *arg)
{
    t_runs_t *r = arg;
    for (int i = 0; i < 4 && r->topics[i]; i++)
        for (int k = 0; k < r->counts[i]; k++) {
            Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
            Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
            ev.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
            ev.test_event = &te;
            int rc = server_emit_txn(r->srv, txn, r->topics[i], &ev, NULL, NULL, NULL);
            if (rc != 0)
                return rc;
        }
    return 0;
}

/* The next message must be on topic with the events first..first+n-1 (n == 1: the event
 * alone, not a batch of one). */
static void s_expect(const char *topic, uint64_t first, size_t n)
{
    sh_msg_t m;
    cr_assert(sh_recv(SH.sub, &m, 2000), "no message for seqs %llu..", (unsigned long long)first);
    cr_assert_str_eq(m.topic, topic);
    Mvoi__Envelope *b = mvoi__envelope__unpack(NULL, m.rawlen, m.raw);
    cr_assert_not_null(b);
    if (n == 1) {
        cr_assert_eq(b->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT, "a lone event in a batch");
        cr_assert_eq(b->seq, first);
    } else {
        cr_assert_eq(b->body_case, MVOI__ENVELOPE__BODY_EVENT_BATCH);
        cr_assert_str_eq(b->producer, "testprod");
        cr_assert_eq(b->event_batch->n_events, n, "%zu events, not %zu",
                     b->event_batch->n_events, n);
        for (size_t i = 0; i < n; i++) {
            ProtobufCBinaryData d = b->event_batch->events[i];
            Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, d.len, d.data);
            cr_assert_not_null(e);
            cr_assert_eq(e->body_case, MVOI__ENVELOPE__BODY_TEST_EVENT);
            cr_assert_eq(e->seq, first + i);
            cr_assert_str_eq(e->producer, "testprod");
            mvoi__envelope__free_unpacked(e, NULL);
        }
    }
    mvoi__envelope__free_unpacked(b, NULL);
    sh_msg_free(&m);
}

/* The SUB's subscription reaches the PUB at some send after it connected (the slow
 * joiner): lone events go out until one arrives, and the outbox head after them. */
static uint64_t s_joined(void)
{
    sh_msg_t m;
    t_runs_t r = { SH.srv, { "test.join", NULL }, { 1 } };
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(store_write(SH.store, s_emit_runs, &r), 0);
        if (sh_recv(SH.sub, &m, 100)) {
            sh_msg_free(&m);
            while (sh_recv(SH.sub, &m, 50))
                sh_msg_free(&m);
            return outbox_head(SH.ob);
        }
    }
    cr_assert_fail("the SUB never received an event");
    return 0;
}

/* The server up with publish_batch `batch`, its SUB joined; the outbox head then. */
static uint64_t s_up(uint32_t batch)
{
    sh_publish_batch = batch;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    return s_joined();
}

Test(server_publish, a_pass_sends_each_run_of_a_topic_as_batches_of_at_most_the_limit)
{
    uint64_t q = s_up(4);
    server_stats_t st0, st;
    server_stats(SH.srv, &st0);
    t_runs_t r = { SH.srv, { "test.a", "test.b", "test.a", NULL }, { 3, 2, 9 } };
    cr_assert_eq(store_write(SH.store, s_emit_runs, &r), 0);
    uv_run(&SH.loop, UV_RUN_NOWAIT);   /* one turn: one publish pass */
    s_expect("test.a", q + 1, 3);
    s_expect("test.b", q + 4, 2);
    s_expect("test.a", q + 6, 4);
    s_expect("test.a", q + 10, 4);
    s_expect("test.a", q + 14, 1);
    sh_msg_t m;
    cr_assert_not(sh_recv(SH.sub, &m, 100), "more than the 14 events went out");
    server_stats(SH.srv, &st);
    cr_assert_eq(st.published - st0.published, 14);
    cr_assert_eq(st.messages - st0.messages, 5);
    sh_stop();
}

/* A topic longer than the batch's room goes alone, and only after the batch before it:
 * the order of seqs on the PUB is the outbox's. */
Test(server_publish, a_long_topic_goes_alone_in_its_place)
{
    uint64_t q = s_up(8);
    char longt[201];
    memset(longt, 'x', sizeof longt - 1);
    longt[sizeof longt - 1] = 0;
    memcpy(longt, "test.", 5);
    t_runs_t r = { SH.srv, { "test.a", longt, "test.a", NULL }, { 2, 1, 1 } };
    cr_assert_eq(store_write(SH.store, s_emit_runs, &r), 0);
    uv_run(&SH.loop, UV_RUN_NOWAIT);
    s_expect("test.a", q + 1, 2);
    s_expect(longt, q + 3, 1);
    s_expect("test.a", q + 4, 1);
    sh_stop();
}

Test(server_publish, without_a_limit_every_event_goes_alone)
{
    uint64_t q = s_up(0);
    server_stats_t st0, st;
    server_stats(SH.srv, &st0);
    t_runs_t r = { SH.srv, { "test.a", NULL }, { 3 } };
    cr_assert_eq(store_write(SH.store, s_emit_runs, &r), 0);
    uv_run(&SH.loop, UV_RUN_NOWAIT);
    for (uint64_t i = 1; i <= 3; i++)
        s_expect("test.a", q + i, 1);
    server_stats(SH.srv, &st);
    cr_assert_eq(st.messages - st0.messages, 3);
    sh_stop();
}
