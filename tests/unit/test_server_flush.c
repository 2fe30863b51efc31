/* Unit tests for common/server.c's flush after the commit: off the loop (flush_offloop,
 * nometasync store) and on a WAL store's two log flush lanes, including a log flush that
 * fails. The server and its test command are in server_harness.c. */
#define _GNU_SOURCE   /* RTLD_NEXT */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "server_harness.h"
#include "unit_tmp.h"

/* flush_offloop: a committed command waits for the flush that runs after its commit (on a
 * worker thread, started at the publish point): right after the commit there is neither a
 * reply nor an event; then both come. A graceful stop flushes and answers what is held. */
Test(server, offloop_flush_answers_and_publishes_only_after_the_flush)
{
    sh_start(3600000, SH_OFFLOOP);
    sh_settle();
    int before = SH.commits;
    sh_command("f1", 2);
    sh_until_commit(before);
    server_stats_t st;
    server_stats(SH.srv, &st);
    cr_assert_not(sh_pending(SH.dealer), "answered before the flush");
    cr_assert_eq(st.published, 0, "published before the flush");
    cr_assert_eq(outbox_head(SH.ob), 0, "the head names an unflushed commit");
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(m.env->ack->seq, 2);
    sh_msg_free(&m);
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 200), 2);
    cr_assert_eq(outbox_head(SH.ob), 2);

    before = SH.commits;
    sh_command("f2", 1);
    sh_until_commit(before);
    cr_assert_not(sh_pending(SH.dealer));
    server_destroy(&SH.srv);   /* graceful stop with a command held */
    cr_assert(sh_recv(SH.dealer, &m, 3000), "a held command was not answered at stop");
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_str_eq(m.env->request_id, "f2");
    sh_msg_free(&m);
    sh_stop();
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

/* Every worker of libuv's pool held at s_pool_gate; how many (post that many to free). */
static int s_hold_pool(void)
{
    cr_assert_eq(uv_sem_init(&s_pool_gate, 0), 0);
    const char *tp = getenv("UV_THREADPOOL_SIZE");
    int workers = tp && atoi(tp) > 0 ? atoi(tp) : 4;   /* libuv's default pool */
    for (int i = 0; i < workers; i++)
        cr_assert_eq(uv_queue_work(&SH.loop, calloc(1, sizeof(uv_work_t)), s_pool_block,
                                   s_pool_done), 0);
    return workers;
}

Test(server, offloop_the_next_commit_answers_the_one_before)
{
    sh_start(3600000, SH_OFFLOOP);
    sh_settle();
    int workers = s_hold_pool();
    /* nothing is asserted while the workers are held: a failure would leave them so */
    int before = SH.commits;
    sh_command("n1", 2);
    sh_until_commit(before);
    for (int i = 0; i < 1000; i++)
        uv_run(&SH.loop, UV_RUN_NOWAIT);
    bool early = sh_pending(SH.dealer);
    before = SH.commits;
    sh_command("n2", 1);
    sh_until_commit(before);
    sh_msg_t m;
    bool first = sh_recv(SH.dealer, &m, 3000);
    uint64_t seqs[8];
    int events = sh_drain_pub(seqs, 8, 200);
    bool second_early = sh_pending(SH.dealer);
    for (int i = 0; i < workers; i++)
        uv_sem_post(&s_pool_gate);
    cr_assert_not(early, "answered before anything flushed its commit");
    cr_assert(first && m.env, "the second commit did not answer the first command");
    cr_assert_str_eq(m.env->request_id, "n1");
    cr_assert_eq(m.env->ack->seq, 2);
    sh_msg_free(&m);
    cr_assert_eq(events, 2, "n1's two events, not n2's");
    cr_assert_eq(seqs[1], 2);
    cr_assert_not(second_early, "n2 answered while no flush could run");
    sh_reply(&m);
    cr_assert_str_eq(m.env->request_id, "n2");
    cr_assert_eq(m.env->ack->seq, 3);
    sh_msg_free(&m);
    sh_stop();
    uv_sem_destroy(&s_pool_gate);
}

/* A flush that fails. This file defines fdatasync (the dynamic linker binds it for the
 * whole process, liblmdb too); every call but the armed one goes to the real one. Armed,
 * the next fdatasync of the file named s_fail_file, made by a thread other than the test's
 * own when s_fail_worker is set (a worker's flush, not the commit's own on the loop),
 * waits for s_wal_gate when s_wal_hold is set, then fails with EIO, once: as Linux
 * reports a write-back error once per descriptor, a flush after it would succeed. */
static volatile int s_wal_armed, s_wal_hold, s_wal_failed, s_fail_worker;
static const char *s_fail_file = "/wal.mvoi";
static pthread_t s_test_thread;
static uv_sem_t s_wal_gate;

static bool s_fail_this(int fd)
{
    if (!ut_fd_is(fd, s_fail_file))
        return false;
    if (__atomic_load_n(&s_fail_worker, __ATOMIC_ACQUIRE)
        && pthread_equal(pthread_self(), s_test_thread))
        return false;
    return __atomic_exchange_n(&s_wal_armed, 0, __ATOMIC_ACQ_REL);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (s_fail_this(fd)) {
        if (__atomic_load_n(&s_wal_hold, __ATOMIC_ACQUIRE))
            uv_sem_wait(&s_wal_gate);
        __atomic_add_fetch(&s_wal_failed, 1, __ATOMIC_RELEASE);
        errno = EIO;
        return -1;
    }
    return real(fd);
}

static void s_wal_start(void)
{
    sh_start(3600000, SH_WAL);
    sh_settle();
    sh_msg_t m;
    sh_command("w0", 1);   /* flushed: answered */
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "w0");
    sh_msg_free(&m);
    (void)sh_drain_pub((uint64_t[4]){ 0 }, 4, 100);
}

/* After a failed flush: w refused now (the service takes no more writes), the service not
 * ready, then at the stop every held command answered "retry", none acknowledged, no
 * event of theirs published. */
static void s_wal_final(const char *w, const char *const *held, int nheld)
{
    sh_msg_t m;
    sh_command(w, 1);
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s taken after the failure", w);
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    /* in Dutch, the default (sh_command names no lang) */
    cr_assert(strstr(m.env->error->message, "tot een herstart"), "%s", m.env->error->message);
    sh_msg_free(&m);
    uint64_t seqs[8];
    cr_assert_eq(sh_drain_pub(seqs, 8, 100), 0, "an event of an unflushed command went out");
    Mvoi__HealthReply h = sh_health();
    cr_assert_not(h.ready, "ready after a failed flush");
    cr_assert(h.has_storage_ok && !h.storage_ok);
    server_destroy(&SH.srv);
    for (int i = 0; i < nheld; i++) {
        cr_assert(sh_recv(SH.dealer, &m, 3000), "a held command was not answered at stop");
        cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s acknowledged",
                     m.env->request_id);
        cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
        cr_assert_str_eq(m.env->request_id, held[i]);
        cr_assert(strstr(m.env->error->message, "probeer het opnieuw"), "%s",
                  m.env->error->message);   /* in Dutch, the default */
        sh_msg_free(&m);
    }
    sh_stop();
}

Test(server, wal_a_failed_log_flush_is_final_even_when_the_next_would_pass)
{
    s_wal_start();
    __atomic_store_n(&s_wal_armed, 1, __ATOMIC_RELEASE);
    int before = SH.commits;
    sh_command("w1", 1);
    sh_until_commit(before);
    for (int i = 0; i < 200 && !__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE); i++) {
        sh_turn(100);
        usleep(1000);
    }
    cr_assert_eq(__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE), 1, "no flush failed");
    sh_turn(1000);
    cr_assert_not(sh_pending(SH.dealer), "w1 answered after its flush failed");
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
    int before = SH.commits;
    sh_command("a1", 1);
    sh_until_commit(before);
    for (int i = 0; i < 200 && __atomic_load_n(&s_wal_armed, __ATOMIC_ACQUIRE); i++) {
        sh_turn(10);
        usleep(1000);
    }
    bool held = !__atomic_load_n(&s_wal_armed, __ATOMIC_ACQUIRE);   /* a1's flush waits */
    before = SH.commits;
    sh_command("a2", 1);
    sh_until_commit(before);
    for (int i = 0; i < 300; i++) {   /* a2's flush runs on the second lane and ends */
        sh_turn(10);
        usleep(1000);
    }
    bool early = sh_pending(SH.dealer);
    uv_sem_post(&s_wal_gate);   /* a1's flush fails now */
    for (int i = 0; i < 200 && !__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE); i++) {
        sh_turn(10);
        usleep(1000);
    }
    sh_turn(1000);
    bool late = sh_pending(SH.dealer);
    __atomic_store_n(&s_wal_hold, 0, __ATOMIC_RELEASE);
    cr_assert(held, "a1's flush never started");
    cr_assert_not(early, "answered while the earlier flush was still running");
    cr_assert_not(late, "a2 answered by its own flush although a1's failed");
    s_wal_final("a3", (const char *const[]){ "a1", "a2" }, 2);
    uv_sem_destroy(&s_wal_gate);
    __atomic_store_n(&s_wal_failed, 0, __ATOMIC_RELEASE);
}

/* Without a write-ahead log (nometasync store): the worker's flush of data.mdb fails after
 * the commit's own flush passed. The command is not answered, the next one is refused at
 * once (before, it was committed and then held without an answer until the stop). */
Test(server, offloop_a_failed_flush_refuses_the_next_commands_at_once)
{
    sh_start(3600000, SH_OFFLOOP);
    sh_settle();
    s_test_thread = pthread_self();
    s_fail_file = "/data.mdb";
    __atomic_store_n(&s_fail_worker, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&s_wal_armed, 1, __ATOMIC_RELEASE);
    int before = SH.commits;
    sh_command("o1", 1);
    sh_until_commit(before);
    for (int i = 0; i < 200 && !__atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE); i++) {
        sh_turn(100);
        usleep(1000);
    }
    bool failed = __atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE) == 1;
    __atomic_store_n(&s_wal_armed, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&s_fail_worker, 0, __ATOMIC_RELEASE);
    s_fail_file = "/wal.mvoi";
    cr_assert(failed, "no flush failed");
    sh_turn(1000);
    cr_assert_not(sh_pending(SH.dealer), "o1 answered after its flush failed");
    s_wal_final("o2", (const char *const[]){ "o1" }, 1);
    __atomic_store_n(&s_wal_failed, 0, __ATOMIC_RELEASE);
}

/* Without a write-ahead log, a commit's own data flush fails while an earlier command waits
 * for its meta page (the worker's flush of it cannot run: every pool worker is held). That
 * failed flush may have dropped the meta page, and the worker's flush that runs afterwards
 * succeeds on the same file: the earlier command must still not be answered. */
Test(server, offloop_a_failed_commit_is_final_even_when_a_later_flush_passes)
{
    sh_start(3600000, SH_OFFLOOP);
    sh_settle();
    int workers = s_hold_pool();
    /* nothing is asserted while the workers are held: a failure would leave them so */
    int before = SH.commits;
    sh_command("c1", 1);
    sh_until_commit(before);
    s_fail_file = "/data.mdb";
    __atomic_store_n(&s_wal_armed, 1, __ATOMIC_RELEASE);
    sh_command("c2", 1);   /* its commit's flush fails */
    sh_msg_t m;
    bool c2 = sh_recv(SH.dealer, &m, 3000);
    bool failed = __atomic_load_n(&s_wal_failed, __ATOMIC_ACQUIRE) == 1;
    __atomic_store_n(&s_wal_armed, 0, __ATOMIC_RELEASE);
    s_fail_file = "/wal.mvoi";
    for (int i = 0; i < workers; i++)
        uv_sem_post(&s_pool_gate);
    for (int i = 0; i < 300; i++) {   /* c1's worker flush runs now, and passes */
        sh_turn(10);
        usleep(1000);
    }
    cr_assert(failed, "no flush failed");
    cr_assert(c2 && m.env, "c2 not answered");
    cr_assert_str_eq(m.env->request_id, "c2");
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "c2 acknowledged");
    cr_assert_eq(m.env->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    sh_msg_free(&m);
    cr_assert_not(sh_pending(SH.dealer), "c1 answered by a flush after the failed one");
    s_wal_final("c3", (const char *const[]){ "c1" }, 1);
    uv_sem_destroy(&s_pool_gate);
    __atomic_store_n(&s_wal_failed, 0, __ATOMIC_RELEASE);
}
