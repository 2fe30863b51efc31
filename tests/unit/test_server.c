/* Unit tests for common/server.c, one per behaviour: group commit, replies only after the
 * commit, stored replies, storage failure, validation errors, undecodable requests, the
 * publish point (after the commit, also for writes no request caused), replay, heartbeats,
 * health and readiness, the hop trace, the request records' pool. The server and its test
 * command are in server_harness.c; the flush (off the loop, the WAL's lanes, a failed flush)
 * in test_server_flush.c. The figures expected are counted by the test (commands sent,
 * events asked for), never read back from the server under test. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvoi_error.h"
#include "server_harness.h"

/* --------------------------------------------------------------- commands */

Test(server, group_commit_one_transaction_for_the_commands_of_a_turn)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    int before = SH.commits;
    const char *rids[5] = { "g1", "g2", "g3", "g4", "g5" };
    for (int i = 0; i < 5; i++)
        sh_command(rids[i], 1);    /* queued before the loop turns */
    for (int i = 0; i < 5; i++) {
        sh_msg_t m;
        sh_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "reply %d", i);
        cr_assert_str_eq(m.env->request_id, rids[i]);
        cr_assert_eq(m.env->ack->seq, (uint64_t)i + 1);   /* one event each, in order */
        sh_msg_free(&m);
    }
    cr_assert_eq(SH.commits - before, 1, "5 commands took %d commits", SH.commits - before);
    cr_assert_eq(sh_data_count(), 5);
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_assert_eq(st.batches, 1);
    cr_assert_eq(st.commands, 5);
    sh_stop();
}

Test(server, replies_and_events_only_after_the_commit)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    uv_run(&SH.loop, UV_RUN_NOWAIT);
    sh_command("a1", 3);
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    sh_msg_free(&m);
    cr_assert_not(SH.reply_before_commit, "a reply was on its way before the commit");
    cr_assert_eq(SH.published_at_commit, 0, "events were published before the commit");
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(seqs[i], (uint64_t)i + 1);
    sh_stop();
}

Test(server, repeated_request_id_returns_the_stored_reply_and_changes_nothing)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("once", 2);
    sh_msg_t first, again;
    sh_reply(&first);
    cr_assert_eq(first.env->ack->seq, 2);
    sh_command("once", 2);
    sh_reply(&again);
    cr_assert_eq(again.rawlen, first.rawlen);
    cr_assert_eq(memcmp(again.raw, first.raw, first.rawlen), 0, "not the stored bytes");
    cr_assert_eq(SH.calls, 1, "the handler ran again");
    cr_assert_eq(outbox_head(SH.ob), 2);
    cr_assert_eq(sh_data_count(), 1);
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 2, "the repeat published events");
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_assert_eq(st.duplicates, 1);
    sh_msg_free(&first);
    sh_msg_free(&again);
    sh_stop();
}

/* The gateway's Idempotency-Key sent again with another body: the second request used to
 * get the first one's stored success while it was never run (data lost, reported stored).
 * A retry of the same request, whatever else of its envelope differs, still gets the
 * stored reply. */
Test(server, a_request_id_reused_for_a_different_request_is_refused_not_answered)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("k1", 2);
    sh_msg_t first, other, retry;
    sh_reply(&first);
    cr_assert_eq(first.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    sh_command("k1", 3);                   /* the same id, another request */
    sh_reply(&other);
    cr_assert_eq(other.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(other.env->error->code, MVOI__ERROR_CODE__ERR_CONFLICT);
    cr_expect_str_eq(other.env->error->field, "request_id");
    cr_expect(strstr(other.env->error->message, "voor een ander verzoek"), "%s",
              other.env->error->message);   /* in Dutch: the request names no lang */
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;   /* the first one, resent */
    tc.has_count = true;
    tc.count = 2;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "k1";
    env.correlation_id = "a-new-correlation-id";
    env.buyer = "heerlen";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    sh_send_env(&env);
    sh_reply(&retry);
    cr_assert_eq(retry.rawlen, first.rawlen);
    cr_expect_eq(memcmp(retry.raw, first.raw, first.rawlen), 0, "not the stored reply");
    cr_expect_eq(SH.calls, 1, "the handler ran again");
    cr_expect_eq(sh_data_count(), 1);
    cr_expect_eq(outbox_head(SH.ob), 2, "the refused request wrote events");
    sh_msg_free(&first);
    sh_msg_free(&other);
    sh_msg_free(&retry);
    sh_stop();
}

/* A reply stored under the bare request id, as before the key had the buyer: venlo's. */
static int s_put_bare(MDB_txn *txn, void *arg)
{
    (void)arg;
    Mvoi__Ack a = MVOI__ACK__INIT;
    a.has_seq = true;
    a.seq = 77;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "r-1";
    e.buyer = "venlo";
    e.body_case = MVOI__ENVELOPE__BODY_ACK;
    e.ack = &a;
    uint8_t b[256];
    size_t n = mvoi__envelope__get_packed_size(&e);
    cr_assert(n + 8 <= sizeof b);
    store_be64(b, (uint64_t)sh_ms());
    mvoi__envelope__pack(&e, b + 8);
    MDB_val k = { 3, "r-1" }, v = { n + 8, b };
    return store_put(txn, store_dbi(SH.store, "requests"), &k, &v, 0);
}

/* Stored replies are keyed buyer \0 request id; one stored under the bare id before that is
 * still found, but only by the buyer it answered: heerlen's "r-1" used to get venlo's
 * reply back, and heerlen's command was never run. */
Test(server, a_reply_stored_under_the_bare_id_answers_only_its_own_buyer)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    cr_assert_eq(store_write(SH.store, s_put_bare, NULL), 0);
    sh_command("r-1", 2);   /* heerlen's */
    sh_msg_t h, v;
    sh_reply(&h);
    cr_assert_eq(h.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_expect_eq(h.env->ack->seq, 2, "heerlen got seq %llu: venlo's stored reply",
                 (unsigned long long)h.env->ack->seq);
    cr_expect_str_eq(h.env->buyer, "heerlen");
    cr_expect_eq(SH.calls, 1, "heerlen's command did not run");
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = 2;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "r-1";
    env.buyer = "venlo";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    sh_send_env(&env);   /* venlo's repeat: its stored reply, nothing run */
    sh_reply(&v);
    cr_assert_eq(v.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_expect_eq(v.env->ack->seq, 77);
    cr_expect_str_eq(v.env->buyer, "venlo");
    cr_expect_eq(SH.calls, 1, "venlo's repeat ran again");
    sh_msg_free(&h);
    sh_msg_free(&v);
    sh_stop();
}

Test(server, a_reply_arm_given_encoded_is_sent_and_stored_as_server_reply_would_pack_it)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("enc-1", 2);
    sh_msg_t first, again, bad;
    sh_reply(&first);
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
    /* and, appended as it is sent, Envelope.incarnation (11): the server's, on the stored
     * reply sent again too */
    cr_assert(first.env->has_incarnation, "the reply names no incarnation");
    cr_expect_eq(first.env->incarnation, server_incarnation(SH.srv));
    wl = (size_t)(codec_num_put(wb + wl, 11, true, server_incarnation(SH.srv)) - wb);
    cr_assert_eq(first.rawlen, wl);
    cr_assert_eq(memcmp(first.raw, wb, wl), 0, "not the bytes protobuf-c packs");
    sh_command("enc-1", 2);   /* the stored reply, not a second run */
    sh_reply(&again);
    cr_assert_eq(again.rawlen, wl);
    cr_assert_eq(memcmp(again.raw, wb, wl), 0);
    cr_assert_eq(SH.calls, 1);
    sh_command("encbad-1", 2);   /* a refusal after the encoded arm replaces it */
    sh_reply(&bad);
    cr_assert_eq(bad.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(bad.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(bad.env->error->field, "test_command");
    cr_assert_eq(sh_data_count(), 1, "only enc-1 wrote");
    sh_msg_free(&first);
    sh_msg_free(&again);
    sh_msg_free(&bad);
    sh_stop();
}

Test(server, storage_failure_answers_every_command_unavailable_and_writes_nothing)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("f1", 1);
    sh_command("f2", SH_STORAGE_FAILURE);
    sh_command("f3", 1);
    for (int i = 0; i < 3; i++) {
        sh_msg_t m;
        sh_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "reply %d", i);
        cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "reply %d", i);
        sh_msg_free(&m);
    }
    cr_assert_eq(sh_data_count(), 0, "a failed batch left writes behind");
    cr_assert_eq(outbox_head(SH.ob), 0);
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 0, "events of an aborted batch went out");
    /* Nothing was stored under those ids: a retry with the same id runs and succeeds. */
    sh_command("f1", 1);
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(m.env->ack->seq, 1);
    sh_msg_free(&m);
    sh_stop();
}

Test(server, refused_command_writes_nothing_and_the_batch_goes_on)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("v1", 1);
    sh_command("v2", SH_INVALID);
    sh_command("v3", 1);
    Mvoi__Envelope__BodyCase want[3] = { MVOI__ENVELOPE__BODY_ACK, MVOI__ENVELOPE__BODY_ERROR,
                                         MVOI__ENVELOPE__BODY_ACK };
    for (int i = 0; i < 3; i++) {
        sh_msg_t m;
        sh_reply(&m);
        cr_assert_eq(m.env->body_case, want[i], "reply %d", i);
        if (i == 1) {
            cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
            cr_assert_str_eq(m.env->error->field, "test_command.count");
        }
        sh_msg_free(&m);
    }
    cr_assert_eq(sh_data_count(), 2);
    cr_assert_eq(outbox_head(SH.ob), 2);
    /* A refusal is not stored: the same id runs again. */
    sh_command("v2", SH_INVALID);
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(SH.calls, 4);
    sh_msg_free(&m);
    sh_stop();
}

Test(server, bad_requests_get_named_errors)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    cr_assert_eq(zmq_send(SH.dealer, "\xff\xff\xff", 3, 0), 3);   /* not an Envelope */
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_DECODE);
    sh_msg_free(&m);
    sh_command("", 1);                                            /* no request id */
    sh_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(m.env->error->field, "request_id");
    sh_msg_free(&m);
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;                    /* a body with no route */
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    env.kpi_query = &q;
    sh_send_env(&env);
    sh_reply(&m);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED);
    sh_msg_free(&m);
    cr_assert_eq(SH.calls, 0);
    cr_assert_eq(sh_data_count(), 0);
    sh_stop();
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
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    t_emit_t e = { SH.srv, 3 };
    cr_assert_eq(store_write(SH.store, s_emit_txn, &e), 0);
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_assert_eq(st.published, 0, "published inside the write");
    uv_run(&SH.loop, UV_RUN_NOWAIT);   /* one turn: the prepare hook runs before the poll */
    server_stats(SH.srv, &st);
    cr_assert_eq(st.published, 3);
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 3);
    cr_assert_eq(seqs[0], 1);
    cr_assert_eq(seqs[2], 3);
    /* An aborted write leaves nothing that could go out; its seqs are given again. */
    e.n = 2;
    e.fail = true;
    cr_assert_eq(store_write(SH.store, s_emit_txn, &e), -EINVAL);
    uv_run(&SH.loop, UV_RUN_NOWAIT);
    server_stats(SH.srv, &st);
    cr_assert_eq(st.published, 3);
    e.fail = false;
    cr_assert_eq(store_write(SH.store, s_emit_txn, &e), 0);
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 2);
    cr_assert_eq(seqs[0], 4);
    cr_assert_eq(seqs[1], 5);
    sh_stop();
}

Test(server, heartbeat_never_announces_a_head_that_was_not_sent)
{
    sh_start(20, SH_NOSYNC);
    sh_settle();
    for (int round = 0; round < 5; round++) {
        t_emit_t e = { SH.srv, 2 };
        cr_assert_eq(store_write(SH.store, s_emit_txn, &e), 0);
        uv_sleep(30);   /* the heartbeat is due when the loop turns next: timers run first */
        uv_run(&SH.loop, UV_RUN_NOWAIT);
    }
    uint64_t sent = 0;
    int beats = 0;
    sh_msg_t m;
    /* Heartbeats keep coming while the loop runs, so the drain has a deadline of its own,
     * not only a quiet period (on an idle machine there is never 100 ms without a beat). */
    uint64_t until = sh_ms() + 2000;
    while ((sent < 10 || beats < 5) && sh_ms() < until && sh_recv(SH.sub, &m, 100)) {
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
            cr_assert_eq(m.env->heartbeat->epoch, outbox_epoch(SH.ob));
            beats++;
        }
        sh_msg_free(&m);
    }
    cr_assert_eq(sent, 10);
    cr_assert_geq(beats, 5);
    sh_stop();
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
    sh_send_env(&env);
}

Test(server, replay_sends_the_asked_range_then_replay_end)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    sh_command("r", 5);
    sh_msg_t m;
    sh_reply(&m);
    sh_msg_free(&m);
    s_replay_request(2, 2);
    for (uint64_t seq = 2; seq <= 3; seq++) {
        sh_reply(&m);
        cr_assert_eq(m.n, 2, "a replayed event is [topic][envelope]");
        cr_assert_str_eq(m.topic, "test.event");
        cr_assert_eq(m.env->seq, seq);
        cr_assert_eq(m.env->epoch, outbox_epoch(SH.ob));
        sh_msg_free(&m);
    }
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_REPLAY_END);
    cr_assert_eq(m.env->replay_end->last_sent_seq, 3);
    cr_assert_eq(m.env->replay_end->head_seq, 5);
    cr_assert_eq(m.env->replay_end->retained_from, 1);
    sh_msg_free(&m);
    s_replay_request(7, 10);   /* beyond the head */
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE);
    sh_msg_free(&m);
    sh_stop();
}

Test(server, health_reports_head_and_readiness)
{
    sh_start(3600000, SH_NOSYNC);
    Mvoi__HealthReply h = sh_health();
    cr_assert(h.live);
    cr_assert(h.ready);
    cr_assert_eq(h.head_seq, 0);
    sh_command("h", 4);
    sh_msg_t m;
    sh_reply(&m);
    sh_msg_free(&m);
    h = sh_health();
    cr_assert_eq(h.head_seq, 4);
    cr_assert_eq(h.epoch, outbox_epoch(SH.ob));
    server_set_ready(SH.srv, false);   /* the service's own readiness */
    cr_assert_not(sh_health().ready);
    server_set_ready(SH.srv, true);
    SH.ready = false;                  /* the ready_fn's (e.g. upstream feeds) */
    cr_assert_not(sh_health().ready);
    SH.ready = true;
    cr_assert(sh_health().ready);
    sh_stop();
}

/* MVOI_TRACE_HOPS: a stopped server leaves one line per command -- its request id and the
 * eight hop times, in the order they happen (a command answered by the worker's flush has
 * all eight) -- in <file>.<pid>; a query leaves none. */
Test(server, trace_hops_writes_a_line_per_command_in_time_order)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "/tmp/mvoi-trace-%ld", (long)getpid());
    setenv("MVOI_TRACE_HOPS", prefix, 1);
    sh_start(3600000, SH_OFFLOOP);
    unsetenv("MVOI_TRACE_HOPS");
    sh_settle();
    sh_command("t1", 1);
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_str_eq(m.env->request_id, "t1");
    sh_msg_free(&m);
    sh_stop();
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
        sh_command(rid, 1);
    }
    for (int i = 0; i < n; i++) {
        sh_msg_t m;
        sh_reply(&m);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
        sh_msg_free(&m);
    }
}

Test(server, a_second_window_of_commands_reuses_the_request_records)
{
    sh_start(3600000, SH_OFFLOOP);
    sh_settle();
    s_window("w1", 200);
    server_stats_t a, b;
    server_stats(SH.srv, &a);
    cr_assert_geq(a.records_made, 1);
    s_window("w2", 200);
    server_stats(SH.srv, &b);
    cr_assert_eq(b.commands - a.commands, 200);
    cr_assert_eq(b.records_made, a.records_made, "%llu records allocated for the second window",
                 (unsigned long long)(b.records_made - a.records_made));
    sh_stop();
}
