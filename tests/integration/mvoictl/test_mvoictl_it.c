/* mvoictl as a real process against a fake kpi-aggregator (a ROUTER in this test):
 * --timeout is one deadline for the whole wait, not a silence that every unrelated message
 * restarts; a malformed endpoint is a usage error, not a crash. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zmq.h>

#include "codec.h"
#include "harness.h"

/* Answer every request with a stream of replies to some other request id, every 50 ms,
 * for run_ms: a service busy with an earlier client's late replies. */
static void s_chatter(void *router, int64_t run_ms, int *requests)
{
    int64_t end = h_now_ms() + run_ms;
    zmq_msg_t id;
    zmq_msg_init(&id);
    bool have_peer = false;
    while (h_now_ms() < end) {
        zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 50) > 0) {
            zmq_msg_close(&id);
            zmq_msg_init(&id);
            cr_assert_geq(zmq_msg_recv(&id, router, 0), 0);
            zmq_msg_t body;
            zmq_msg_init(&body);
            cr_assert_geq(zmq_msg_recv(&body, router, 0), 0);
            zmq_msg_close(&body);
            have_peer = true;
            (*requests)++;
        }
        if (!have_peer)
            continue;
        Mvoi__Ack ack = MVOI__ACK__INIT;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.request_id = "someone-else";
        env.body_case = MVOI__ENVELOPE__BODY_ACK;
        env.ack = &ack;
        uint8_t buf[128];
        int64_t len = codec_pack_into(&env, buf, sizeof buf);
        zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(router, buf, (size_t)len, 0);
    }
    zmq_msg_close(&id);
}

Test(mvoictl_it, timeout_is_a_deadline_that_unrelated_replies_do_not_restart)
{
    char dir[128], ep[256], env_ep[300];
    h_tmpdir(dir, sizeof dir);
    snprintf(ep, sizeof ep, "ipc://%s/kpi.api", dir);
    snprintf(env_ep, sizeof env_ep, "MVOI_KPI_API=%s", ep);
    void *z = zmq_ctx_new();
    void *router = zmq_socket(z, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(router, ep), 0);
    char *argv[] = { MVOICTL_BIN, "--timeout", "400", "kpi", "show", "--year", "2026", NULL };
    const char *env[] = { env_ep, NULL };
    h_proc_t p;
    int64_t t0 = h_now_ms();
    cr_assert_eq(h_spawn_argv(&p, argv, "mvoictl", dir, env), 0);
    int requests = 0;
    /* Six times the deadline, never silent for more than 50 ms: with a timeout restarted
     * by every message mvoictl would still be waiting when this ends. */
    s_chatter(router, 2400, &requests);
    int status = 0;
    int rc = h_wait(&p, 0, &status);
    if (rc != 0)
        h_kill9(&p);
    cr_assert_eq(rc, 0, "mvoictl still waiting after %lld ms: the unrelated replies "
                 "restarted its 400 ms timeout", (long long)(h_now_ms() - t0));
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 69, "exit %d, expected EX_UNAVAILABLE",
                 WEXITSTATUS(status));
    cr_assert_eq(requests, 1);
    zmq_close(router);
    zmq_ctx_term(z);
    h_tmpdir_remove(dir);
}

Test(mvoictl_it, malformed_endpoint_is_a_usage_error)
{
    char dir[128];
    h_tmpdir(dir, sizeof dir);
    char *argv[] = { MVOICTL_BIN, "--timeout", "400", "kpi", "show", "--year", "2026", NULL };
    const char *env[] = { "MVOI_KPI_API=nonsense://x", NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn_argv(&p, argv, "mvoictl", dir, env), 0);
    int status = 0;
    cr_assert_eq(h_wait(&p, 3000, &status), 0);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 64, "exit %d, expected EX_USAGE", WEXITSTATUS(status));
    h_tmpdir_remove(dir);
}
