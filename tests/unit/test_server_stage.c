/* The decode stage (server_stage.c, opts.stage_bytes): a large turn is decoded and
 * prepared on a worker while the loop commits the turn before; the answers and events are
 * those of the loop alone, in arrival order. The harness's prep leaves count x 3 and its
 * thread (server_harness.h). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "server_harness.h"

/* n commands sent at once, their replies read: each the Ack of its own request, in the
 * order sent, with the seq of its one event (the i-th command's event is the i-th). */
static void s_round(int n)
{
    char rid[32];
    for (int i = 0; i < n; i++) {
        snprintf(rid, sizeof rid, "r-%03d", i);
        sh_command(rid, 1);
    }
    for (int i = 0; i < n; i++) {
        sh_msg_t m;
        sh_reply(&m);
        snprintf(rid, sizeof rid, "r-%03d", i);
        cr_assert_str_eq(m.env->request_id, rid, "reply %d", i);
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "reply %d", i);
        cr_assert_eq(m.env->ack->seq, (uint64_t)i + 1, "reply %d", i);
        sh_msg_free(&m);
    }
}

Test(server_stage, large_turns_are_prepared_on_a_worker_and_answered_in_order)
{
    sh_stage_bytes = 1;   /* every turn is large */
    sh_batch = 8;         /* 40 commands: at least 5 turns, read while one is on the worker */
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    s_round(40);
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_expect_geq(st.staged, 5, "turns on the worker: %llu", (unsigned long long)st.staged);
    cr_expect_eq(SH.calls, 40);
    cr_expect_eq(SH.prepped, 40, "handlers that found their prep: %d", SH.prepped);
    cr_expect_eq(SH.prepped_off_loop, 40, "preps off the loop: %d", SH.prepped_off_loop);
    cr_expect_eq(sh_data_count(), 40);
    uint64_t seqs[64];
    int n = sh_drain_pub(seqs, 64, 200);
    cr_assert_eq(n, 40);
    for (int i = 0; i < n; i++)
        cr_expect_eq(seqs[i], (uint64_t)i + 1);
    sh_stop();
}

Test(server_stage, a_durable_store_answers_staged_turns_after_their_flush)
{
    sh_stage_bytes = 1;
    sh_batch = 8;
    sh_start(3600000, SH_WAL);
    sh_settle();
    s_round(40);
    cr_expect_eq(SH.calls, 40);
    cr_expect_eq(SH.prepped_off_loop, 40);
    sh_stop();
}

/* n commands with stage_bytes sb: answered as ever, none staged, each prepared on the loop. */
static void s_on_the_loop(uint32_t sb, int n)
{
    sh_stage_bytes = sb;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    s_round(n);
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_expect_eq(st.staged, 0);
    cr_expect_eq(SH.prepped, n, "the prep runs on the loop then");
    cr_expect_eq(SH.prepped_off_loop, 0);
    sh_stop();
}

Test(server_stage, a_small_turn_stays_on_the_loop)
{
    s_on_the_loop(4096, 1);   /* one command is some 40 bytes */
}

/* Forty commands of some 40 bytes, 1,600 together: small requests, so the turn stays on the
 * loop however many it holds (the hop costs per turn, the prep saves per measurement). */
Test(server_stage, a_turn_of_small_requests_stays_on_the_loop)
{
    s_on_the_loop(100, 40);
}

Test(server_stage, bad_requests_of_a_staged_turn_get_named_errors)
{
    sh_stage_bytes = 1;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    cr_assert_eq(zmq_send(SH.dealer, "\xff\xff\xff", 3, 0), 3);   /* not an Envelope */
    sh_command("", 1);                                            /* no request id */
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;              /* a buyer id refused */
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "r-bad-buyer";
    env.buyer = "heer len";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    sh_send_env(&env);
    sh_command("r-ok", 1);
    sh_msg_t m;
    sh_reply(&m);
    cr_expect_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_DECODE);
    sh_msg_free(&m);
    sh_reply(&m);
    cr_expect_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(m.env->error->field, "request_id");
    sh_msg_free(&m);
    sh_reply(&m);
    cr_expect_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_expect_str_eq(m.env->error->field, "buyer");
    sh_msg_free(&m);
    sh_reply(&m);
    cr_expect_str_eq(m.env->request_id, "r-ok");
    cr_expect_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    sh_msg_free(&m);
    cr_expect_eq(SH.calls, 1);
    cr_expect_eq(sh_data_count(), 1);
    sh_stop();
}

/* A stop while the worker has a turn (its prep sleeps): it waits for the worker, runs
 * nothing of that turn and leaks nothing (ASan's leak check runs at exit). */
Test(server_stage, a_stop_with_a_turn_on_the_worker_drops_it_whole)
{
    sh_stage_bytes = 1;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    char rid[32];
    for (int i = 0; i < 5; i++) {
        snprintf(rid, sizeof rid, "s-%02d", i);
        sh_command(rid, SH_SLOW_PREP);
    }
    server_stats_t st = { 0 };
    for (int i = 0; i < 100000 && st.staged == 0; i++) {
        uv_run(&SH.loop, UV_RUN_NOWAIT);
        server_stats(SH.srv, &st);
    }
    cr_assert_geq(st.staged, 1, "a turn went to the worker");
    sh_stop();
    cr_expect_eq(SH.calls, 0, "a handler ran for a dropped turn");
}

/* A window of large requests arrives at once: it is cut into turns of at most 32 KiB
 * (SERVER_STAGE_TURN_BYTES), so that one turn's commit overlaps the next one's work. Twenty
 * requests of 8 KiB, all queued before the loop turns: at least five turns of four (one
 * turn each time the loop reads, without the cut; three at 64 KiB). */
Test(server_stage, a_window_of_large_requests_is_cut_into_turns)
{
    sh_stage_bytes = 1;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    static uint8_t junk[8192];
    memset(junk, 0xff, sizeof junk);   /* not an Envelope: each is answered ERR_DECODE */
    for (int i = 0; i < 20; i++)
        cr_assert_eq(zmq_send(SH.dealer, junk, sizeof junk, 0), (int)sizeof junk);
    for (int i = 0; i < 20; i++) {
        sh_msg_t m;
        sh_reply(&m);
        cr_expect_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_DECODE, "reply %d", i);
        sh_msg_free(&m);
    }
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_expect_geq(st.staged, 5, "turns: %llu", (unsigned long long)st.staged);
    sh_stop();
}
