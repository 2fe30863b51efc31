/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar"):
 *  kill -9 while pipelining loses nothing and counts once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"

#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

/* ------------------------------------------------------------ kill -9 while pipelining */

#define KR 120    /* requests */
#define KM 50     /* measurements per request */

static void build_req(int r, uint8_t **buf, size_t *len)
{
    static meas_t ms[KM];
    Mvoi__Measurement *mp[KM];
    for (int i = 0; i < KM; i++) {
        char id[48];
        snprintf(id, sizeof id, "kill-%d-%d", r, i);
        m_base(&ms[i], id, "T-KLIMA", "2026");
        m_energy(&ms[i], MVOI__CARRIER__CARRIER_HVO100, 0, 1000 + i);
        mp[i] = &ms[i].m;
    }
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = KM;
    sm.measurements = mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    char rid[32];
    snprintf(rid, sizeof rid, "kreq-%d", r);
    e.request_id = rid;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    *len = mvoi__envelope__get_packed_size(&e);
    *buf = malloc(*len);
    mvoi__envelope__pack(&e, *buf);
}

/* Send every request at once on one DEALER; collect acknowledgements until `stop_after`
 * (then return early) or all came back. */
static int pipeline(const char *ep, bool *acked, int stop_after, int timeout_ms)
{
    void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(d, ep);
    for (int r = 0; r < KR; r++) {
        uint8_t *b;
        size_t l;
        build_req(r, &b, &l);
        zmq_send(d, b, l, 0);
        free(b);
    }
    int got = 0;
    int64_t end = h_now_ms() + timeout_ms;
    while (got < KR && got < stop_after && h_now_ms() < end) {
        zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, d, 0);
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (e && e->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
            int r = atoi(e->request_id + 5);
            bool all = true;
            for (size_t i = 0; i < e->measurement_reply->n_results; i++)
                all = all && e->measurement_reply->results[i]->ok;
            if (all && r >= 0 && r < KR && !acked[r]) {
                acked[r] = true;
                got++;
            }
        }
        if (e)
            mvoi__envelope__free_unpacked(e, NULL);
    }
    zmq_close(d);
    zmq_ctx_term(ctx);
    return got;
}

typedef struct {
    size_t n;
    const bool *acked;
    int missing;
} s_check_t;

static int s_check_kill(void *t, void *arg)
{
    MDB_txn *txn = t;
    s_check_t *c = arg;
    MDB_dbi d;
    MDB_stat st;
    if (mdb_dbi_open(txn, "measurements", 0, &d) != 0)
        return 0;
    mdb_stat(txn, d, &st);
    c->n = st.ms_entries;
    for (int r = 0; r < KR; r++) {
        if (!c->acked[r])
            continue;
        for (int i = 0; i < KM; i++) {
            char key[64];
            int kl = snprintf(key, sizeof key, "heerlen%ckill-%d-%d", 0, r, i);
            MDB_val k = { (size_t)kl, key }, v;
            if (mdb_get(txn, d, &k, &v) != 0)
                c->missing++;
        }
    }
    return 0;
}

/* data.mdb holds what the last checkpoint committed (the write-ahead log the rest, for at
 * most wal_checkpoint_ms): read it until it holds `want` measurements. */
static void s_read_until(const char *path, s_check_t *c, size_t want)
{
    int64_t end = h_now_ms() + 10000;
    do {
        c->n = 0;
        c->missing = 0;
        cr_assert_eq(h_lmdb_read(path, s_check_kill, c), 0);
        if (c->n >= want && c->missing == 0)
            return;
        h_sleep_ms(100);
    } while (h_now_ms() < end);
}

static bool s_file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* With the write-ahead log (the default): killed at a random moment of a pipelined load,
 * the restart re-applies the log (its wal_recovered line), every acknowledged measurement
 * is there, and resubmitting everything stores each once. */
Test(impact_it, wal_kill9_at_random_moment_recovers_every_acknowledged_once, .timeout = 120)
{
    fx_t f;
    fx_up(&f, NULL);
    /* Restarted (gracefully) without checkpoints before the kill: a large batch or a slow
     * build could otherwise reach one and leave nothing to re-apply. What is acknowledged
     * from here on is only in the log. */
    const char *const vars[] = { "MVOI_IMPACT_CALCULATOR_WAL_CHECKPOINT_MS=3600000",
                                 "MVOI_IMPACT_CALCULATOR_WAL_CHECKPOINT_MB=48", NULL };
    fx_restart_imp_with(&f, vars);
    srand((unsigned)h_now_ms());
    int stop = 1 + rand() % (KR / 2);
    bool acked[KR] = { 0 };
    int got = pipeline(f.api, acked, stop, 30000);
    h_kill9(&f.imp);
    cr_assert_geq(got, 1, "nothing was acknowledged before the kill");
    char path[256], wal[300];
    snprintf(path, sizeof path, "%s/impact-calculator", f.dir);
    snprintf(wal, sizeof wal, "%s/wal.mvoi", path);
    cr_assert_eq(access(wal, F_OK), 0, "the impact-calculator runs with its log");
    fx_start_imp(&f);
    cr_assert(s_file_has(f.imp.log, "wal_recovered"), "no replay logged in %s", f.imp.log);
    s_check_t c = { 0, acked, 0 };
    cr_assert_eq(h_lmdb_read(path, s_check_kill, &c), 0);   /* recovery checkpointed */
    cr_assert_eq(c.missing, 0, "%d acknowledged measurements lost (kill after %d)",
                 c.missing, got);
    cr_assert_geq(c.n, (size_t)got * KM);
    h_sleep_ms(1500);
    bool acked2[KR] = { 0 };
    int all = pipeline(f.api, acked2, KR, 60000);
    cr_assert_eq(all, KR, "only %d of %d requests acknowledged after restart", all, KR);
    cr_assert_eq(fx_head(&f), (uint64_t)KR * KM, "one event per measurement");
    /* This run checkpoints only at its stop (the settings above): stop it, then read. */
    int st = 0;
    h_signal(&f.imp, SIGTERM);
    cr_assert_eq(h_wait(&f.imp, 10000, &st), 0);
    s_check_t c2 = { 0, acked2, 0 };
    cr_assert_eq(h_lmdb_read(path, s_check_kill, &c2), 0);
    cr_assert_eq(c2.missing, 0);
    cr_assert_eq(c2.n, (size_t)KR * KM, "every measurement once");
    fx_fini(&f);
}

Test(impact_it, kill9_during_pipelined_submission_loses_nothing_counts_once, .timeout = 120)
{
    fx_t f;
    fx_up(&f, NULL);
    bool acked[KR] = { 0 };
    int got = pipeline(f.api, acked, 20, 30000);
    h_kill9(&f.imp);
    cr_assert_geq(got, 1, "nothing was acknowledged before the kill");
    fx_start_imp(&f);
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f.dir);
    s_check_t c = { 0, acked, 0 };
    cr_assert_eq(h_lmdb_read(path, s_check_kill, &c), 0);
    cr_assert_eq(c.missing, 0, "%d acknowledged measurements lost", c.missing);
    cr_assert_geq(c.n, (size_t)got * KM);
    /* Resubmit everything with the same request ids: every measurement once. */
    h_sleep_ms(1500);   /* the feed catches up with the calendar after the restart */
    bool acked2[KR] = { 0 };
    int all = pipeline(f.api, acked2, KR, 60000);
    cr_assert_eq(all, KR, "only %d of %d requests acknowledged after restart", all, KR);
    s_check_t c2 = { 0, acked2, 0 };
    s_read_until(path, &c2, (size_t)KR * KM);
    cr_assert_eq(c2.missing, 0);
    cr_assert_eq(c2.n, (size_t)KR * KM);
    cr_assert_eq(fx_head(&f), (uint64_t)KR * KM, "events: %lu, measurements %d",
                 (unsigned long)fx_head(&f), KR * KM);
    fx_fini(&f);
}
