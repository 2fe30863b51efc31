/*  bench_hop: the durable outbox -> inbox hop against raw PUSH/PULL, in one run.
 *
 *  For 64-byte and 1 KiB payloads: raw PUSH/PULL over tcp loopback (bench_raw), then
 *  mvoi-testprod emitting N events through its LMDB outbox (sync on, group commit) to
 *  mvoi-testcons applying them through its inbox cursor (sync on, group commit), then raw
 *  again (A-B-A: the machines are noisy, so the ratio uses the mean of both raw runs).
 *  Prints the figures and the ratio hop/raw. Never fails on a time.
 *
 *  usage: bench_hop [N_hop] [N_raw]     (MVOI_BENCH_QUICK=1 for a short run)
 */
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"
#include "harness.h"

typedef struct {
    uint64_t last;
} cursor_t;

static int s_read_cursor(void *t, void *arg)
{
    MDB_txn *txn = t;
    cursor_t *c = arg;
    MDB_dbi inbox;
    if (mdb_dbi_open(txn, "inbox", 0, &inbox) != 0)
        return 0;
    MDB_val k = { 8, "testprod" }, v;
    if (mdb_get(txn, inbox, &k, &v) == 0 && v.mv_size >= 16) {
        const uint8_t *b = (const uint8_t *)v.mv_data + 8;
        uint64_t s = 0;
        for (int i = 0; i < 8; i++)
            s = (s << 8) | b[i];
        c->last = s;
    }
    return 0;
}

/* Events per second through producer outbox -> consumer inbox, both durable. */
static double s_hop(uint64_t n, size_t payload, bool nosync)
{
    char dir[128];
    h_tmpdir(dir, sizeof dir);
    char papi[192], ppub[192], capi[192];
    snprintf(papi, sizeof papi, "ipc://%s/p.api", dir);
    snprintf(ppub, sizeof ppub, "ipc://%s/p.pub", dir);
    snprintf(capi, sizeof capi, "ipc://%s/c.api", dir);
    char e[12][256];
    int i = 0;
    snprintf(e[i++], 256, "MVOI_DATA_DIR=%s", dir);
    snprintf(e[i++], 256, "MVOI_TESTPROD_API=%s", papi);
    snprintf(e[i++], 256, "MVOI_TESTPROD_PUB=%s", ppub);
    snprintf(e[i++], 256, "MVOI_TESTPROD_EMIT_TOTAL=%lu", (unsigned long)n);
    snprintf(e[i++], 256, "MVOI_TESTPROD_EMIT_RATE=%d", 2000000);
    snprintf(e[i++], 256, "MVOI_TESTPROD_PAYLOAD=%zu", payload);
    snprintf(e[i++], 256, "MVOI_TESTPROD_NOSYNC=%s", nosync ? "true" : "false");
    snprintf(e[i++], 256, "MVOI_LOG_LEVEL=warn");
    const char *penv[16] = { 0 };
    for (int k = 0; k < i; k++)
        penv[k] = e[k];
    char c[6][256];
    int j = 0;
    snprintf(c[j++], 256, "MVOI_DATA_DIR=%s", dir);
    snprintf(c[j++], 256, "MVOI_TESTCONS_API=%s", capi);
    snprintf(c[j++], 256, "MVOI_TESTCONS_PRODUCER_API=%s", papi);
    snprintf(c[j++], 256, "MVOI_TESTCONS_PRODUCER_PUB=%s", ppub);
    snprintf(c[j++], 256, "MVOI_TESTCONS_NOSYNC=%s", nosync ? "true" : "false");
    snprintf(c[j++], 256, "MVOI_LOG_LEVEL=warn");
    const char *cenv[8] = { 0 };
    for (int k = 0; k < j; k++)
        cenv[k] = c[k];
    char pbin[512], cbin[512], cpath[256];
    h_bin(pbin, sizeof pbin, "tests/integration/plumbing/mvoi-testprod");
    h_bin(cbin, sizeof cbin, "tests/integration/plumbing/mvoi-testcons");
    snprintf(cpath, sizeof cpath, "%s/testcons", dir);

    h_proc_t cons, prod;
    double rate = 0;
    if (h_spawn(&cons, cbin, "cons", dir, cenv) != 0 || h_wait_healthy(capi, 10000) != 0)
        goto out;
    int64_t t0 = h_now_ms();
    if (h_spawn(&prod, pbin, "prod", dir, penv) != 0)
        goto out;
    cursor_t cur = { 0 };
    int64_t end = t0 + 300000;
    while (h_now_ms() < end) {
        h_lmdb_read(cpath, s_read_cursor, &cur);
        if (cur.last >= n)
            break;
        h_sleep_ms(2);
    }
    int64_t t1 = h_now_ms();
    if (cur.last >= n && t1 > t0)
        rate = (double)n * 1000.0 / (double)(t1 - t0);
    h_signal(&prod, SIGTERM);
    h_wait(&prod, 5000, NULL);
    h_kill9(&prod);
out:
    h_signal(&cons, SIGTERM);
    h_wait(&cons, 5000, NULL);
    h_kill9(&cons);
    h_tmpdir_remove(dir);
    return rate;
}

int main(int argc, char **argv)
{
    bool quick = getenv("MVOI_BENCH_QUICK") != NULL;
    uint64_t nhop = argc > 1 ? strtoull(argv[1], NULL, 10) : (quick ? 50000 : 300000);
    uint64_t nraw = argc > 2 ? strtoull(argv[2], NULL, 10) : (quick ? 200000 : 2000000);
    struct utsname u;
    uname(&u);
    printf("# bench_hop: %s %s, %ld cores; libzmq %d.%d.%d, LMDB %s\n", u.sysname, u.release,
           sysconf(_SC_NPROCESSORS_ONLN), ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR,
           ZMQ_VERSION_PATCH, MDB_VERSION_STRING);
    printf("# hop = producer LMDB outbox -> ZeroMQ -> consumer LMDB inbox, %lu events,\n"
           "#       each side durable (fsync per group commit); raw = PUSH/PULL tcp, %lu msgs\n",
           (unsigned long)nhop, (unsigned long)nraw);
    printf("%-8s %14s %14s %14s %14s %8s %14s\n", "payload", "raw_a msg/s", "hop ev/s",
           "raw_b msg/s", "hop_nosync", "ratio", "ratio_nosync");
    const size_t sizes[] = { 64, 1024 };
    for (int k = 0; k < 2; k++) {
        double a = bench_raw_push_pull("tcp", sizes[k], nraw);
        double hop = s_hop(nhop, sizes[k], false);
        double b = bench_raw_push_pull("tcp", sizes[k], nraw);
        double hop_ns = s_hop(nhop, sizes[k], true);
        double raw = (a + b) / 2;
        printf("%-8zu %14.0f %14.0f %14.0f %14.0f %7.1f%% %13.1f%%\n", sizes[k], a, hop, b,
               hop_ns, raw > 0 ? 100.0 * hop / raw : 0, raw > 0 ? 100.0 * hop_ns / raw : 0);
        fflush(stdout);
    }
    return 0;
}
