/*  bench_retention: how long the expiry of stored replies holds a producer's loop.
 *
 *  A server (common/server.c, in process, inproc:// endpoints, nosync LMDB) whose store
 *  holds N stored replies of two buyers with the same request ids, one buyer's a day old
 *  (the TTL is an hour). Measured in the same run:
 *  - baseline: one walk over every stored reply in one read transaction, a lower bound of
 *    what each expiry pass held before the sweep (which walked them all in a write
 *    transaction, deleting up to 10,000): the replies are keyed by request id, so every
 *    one is read to find the old ones;
 *  - the sweep: the server's own maintenance, turn by turn (uv_run NOWAIT), until it has
 *    read all N: the longest loop turn, the 99th percentile of the turns, the passes and
 *    the sweep's wall time.
 *  Prints figures and the ratio baseline / longest turn; no pass/fail.
 *  Usage: bench_retention [N=1000000] [ROUNDS=3]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "mvoi_error.h"
#include "mvoi_id.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

static double s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct {
    MDB_dbi dbi;
    const char *buyer;
    uint64_t from, to, at_ms, read;
} s_job_t;

static int s_put(MDB_txn *txn, void *arg)
{
    s_job_t *j = arg;
    for (uint64_t i = j->from; i < j->to; i++) {
        char rid[32];
        uint8_t kb[MVOI_ID_BUYER_MAX + 1 + MVOI_ID_MAX], val[48] = { 0 };
        snprintf(rid, sizeof rid, "r-%08llu", (unsigned long long)i);
        MDB_val k = { mvoi_id_key2(kb, sizeof kb, j->buyer, rid), kb }, v = { sizeof val, val };
        store_be64(val, j->at_ms);   /* [be64 stored-at ms][reply], as server.c stores */
        int rc = store_put(txn, j->dbi, &k, &v, 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The baseline: every stored reply read, its stored-at looked at, in one transaction. */
static int s_walk(MDB_txn *txn, void *arg)
{
    s_job_t *j = arg;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, j->dbi, &c);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    uint64_t old = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        j->read++;
        old += v.mv_size >= 8 && store_get_be64(v.mv_data) < j->at_ms;
    }
    mdb_cursor_close(c);
    j->from = old;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int s_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One round in a fresh directory; 0 or an error. */
static int s_round(uint64_t n, int round)
{
    char dir[] = "/tmp/mvoi-bench-retention-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t so = { .path = dir, .dbs = dbs, .nosync = true };
    int err = 0;
    store_t *store = store_new(&so, &err);
    outbox_t *ob = store ? outbox_new(store, "retprod", &err) : NULL;
    if (!ob) {
        fprintf(stderr, "store: %s\n", mvoi_strerror(err));
        return -1;
    }
    MDB_dbi dbi = store_dbi(store, "requests");
    uint64_t now = (uint64_t)clock_now_ms(), hour = 3600000;
    const char *buyers[2] = { "venlo", "heerlen" };
    for (int b = 0; b < 2; b++)
        for (uint64_t i = 0; i < n / 2; i += 100000) {
            s_job_t j = { dbi, buyers[b], i, i + 100000 < n / 2 ? i + 100000 : n / 2,
                          b ? now : now - 24 * hour, 0 };
            if ((err = store_write(store, s_put, &j)) != 0)
                return err;
        }
    s_job_t w = { dbi, NULL, 0, 0, now - hour, 0 };
    double t0 = s_ms();
    if ((err = store_read(store, s_walk, &w)) != 0)
        return err;
    double walk = s_ms() - t0;

    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    server_opts_t o = { .name = "retprod", .api_endpoint = "inproc://ret-api",
                        .pub_endpoint = "inproc://ret-pub", .store = store, .outbox = ob,
                        .bus_opts = &bo, .request_ttl_s = 3600, .maintenance_ms = 1 };
    server_t *srv = server_new(&loop, ctx, &o, &err);
    if (!srv)
        return err;
    double *turns = calloc(n / 1000 + 64, sizeof *turns);
    size_t nt = 0;
    server_stats_t st = { 0 };
    t0 = s_ms();
    while (st.expire_walked < w.read && s_ms() - t0 < 60000) {
        uint64_t before = st.expire_walked;
        double a = s_ms();
        uv_run(&loop, UV_RUN_NOWAIT);
        double turn = s_ms() - a;
        server_stats(srv, &st);
        if (st.expire_walked > before && nt < n / 1000 + 64)
            turns[nt++] = turn;
    }
    double sweep = s_ms() - t0;
    qsort(turns, nt, sizeof *turns, s_dcmp);
    double longest = nt ? turns[nt - 1] : 0, p99 = nt ? turns[nt * 99 / 100] : 0;
    printf("round %d: %llu stored replies (%llu expired); one walk %.1f ms; sweep %zu passes "
           "in %.0f ms, turn p99 %.2f ms, longest %.2f ms (%.0fx shorter than the walk); "
           "removed %llu\n", round, (unsigned long long)w.read, (unsigned long long)w.from,
           walk, nt, sweep, p99, longest, longest > 0 ? walk / longest : 0,
           (unsigned long long)st.expired_replies);
    free(turns);
    server_destroy(&srv);
    uv_run(&loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&ctx);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    outbox_destroy(&ob);
    store_destroy(&store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 2 || rounds < 1) {
        fprintf(stderr, "usage: bench_retention [N>=2] [ROUNDS>=1]\n");
        return 2;
    }
    log_init("bench_retention", "text", "warn");   /* the figures, not each store's start */
    printf("# bench_retention: expiry of N stored replies (half of them a day old, TTL an hour), "
           "one walk in one transaction against the sweep of bounded passes\n");
    for (int r = 1; r <= rounds; r++) {
        int rc = s_round(n, r);
        if (rc != 0) {
            fprintf(stderr, "round %d failed: %s\n", r, mvoi_strerror(rc));
            return 1;
        }
    }
    return 0;
}
