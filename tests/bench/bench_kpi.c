/*  bench_kpi: events/s applied by the kpi-aggregator's core (kpi_core) with durable LMDB
 *  commits (default sync), in group-committed batches of 1000 events as the feed applies
 *  them, and the time of a full snapshot (every total read in one read transaction).
 *  Two runs: per-event flush (each event publishes the totals it changed) and batch flush
 *  (what the service does: the working set of a batch is written and published once).
 *  In-process (decode-free): ImpactEvents from the seeded test workload (kpi_workload.h).
 *  Prints figures; no pass/fail.  Usage: bench_kpi [MEASUREMENTS] [DIR] [--nosync]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kpi_core.h"
#include "kpi_workload.h"
#include "outbox.h"
#include "store.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
    kpi_t *kpi;
    wl_t *wl;
    size_t from, n;
    bool calendar, batch_mode;
} batch_t;

static int s_batch(MDB_txn *txn, void *arg)
{
    batch_t *b = arg;
    static wl_env_t e;
    if (b->batch_mode)
        kpi_batch_begin(b->kpi);
    for (size_t i = b->from; i < b->from + b->n; i++) {
        if (b->calendar)
            wl_calendar_env(b->wl, i, &e);
        else
            wl_impact_env(b->wl, i, &e);
        int rc = kpi_apply(b->kpi, txn, "", &e.env);
        if (rc)
            return rc;
    }
    return b->batch_mode ? kpi_batch_end(b->kpi, txn) : 0;
}

static int s_count(void *arg, const kpi_total_t *t)
{
    (*(size_t *)arg)++;
    return 0;
}

typedef struct {
    kpi_t *kpi;
    size_t n;
} snap_t;

static int s_snap(MDB_txn *txn, void *arg)
{
    snap_t *s = arg;
    return kpi_each(s->kpi, txn, "", s_count, &s->n);
}

static int s_run(uint32_t nmeas, const char *base, bool nosync, bool batch_mode)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench-kpi-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    static const char *const dbs[] = { OUTBOX_DBS, KPI_DBS, NULL };
    store_opts_t so = { .path = dir, .dbs = dbs, .nosync = nosync,
                        .map_size = 1ull << 30 };
    int err = 0;
    store_t *st = store_new(&so, &err);
    outbox_t *ob = st ? outbox_new(st, "kpi", &err) : NULL;
    kpi_t *kpi = ob ? kpi_new(st, ob, &err) : NULL;
    if (!kpi) {
        fprintf(stderr, "cannot open %s: %d\n", dir, err);
        return 1;
    }
    kpi_set_batch_flush(kpi, batch_mode);
    wl_t *wl = wl_new(7, 240, nmeas);
    batch_t b = { kpi, wl, 0, wl->ntev, true, batch_mode };
    store_write(st, s_batch, &b);
    const size_t batch = 1000;
    double t0 = s_now();
    size_t commits = 0;
    for (size_t i = 0; i < wl->niev; i += batch) {
        b = (batch_t){ kpi, wl, i, wl->niev - i < batch ? wl->niev - i : batch, false,
                       batch_mode };
        if (store_write(st, s_batch, &b) != 0) {
            fprintf(stderr, "apply failed\n");
            return 1;
        }
        commits++;
    }
    double t1 = s_now();
    kpi_stats_t ks;
    kpi_stats(kpi, &ks);
    printf("%s flush: applied %zu impact events in %zu commits of %zu: %.3f s, %.0f events/s, "
           "%.0f KpiTotal events/s (%lu emitted, %.1f per event)\n",
           batch_mode ? "batch" : "per-event", wl->niev, commits, batch, t1 - t0,
           wl->niev / (t1 - t0), ks.emitted / (t1 - t0), (unsigned long)ks.emitted,
           (double)ks.emitted / (double)(wl->niev + wl->ntev));
    for (int r = 0; batch_mode && r < 5; r++) {
        snap_t s = { kpi, 0 };
        double a = s_now();
        store_read(st, s_snap, &s);
        double z = s_now();
        printf("snapshot (read) of %zu totals: %.2f ms\n", s.n, (z - a) * 1e3);
    }
    uint64_t size = 0, used = 0;
    store_usage(st, &size, &used);
    printf("  LMDB used %.1f MiB\n", used / 1048576.0);
    kpi_destroy(&kpi);
    outbox_destroy(&ob);
    store_destroy(&st);
    wl_destroy(&wl);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    uint32_t nmeas = argc > 1 ? (uint32_t)atoi(argv[1]) : 100000;
    const char *base = argc > 2 ? argv[2] : "/var/tmp";
    bool nosync = argc > 3 && strcmp(argv[3], "--nosync") == 0;
    struct utsname u;
    uname(&u);
    printf("bench_kpi: %s %s, %ld cpus, LMDB %s, dir %s (%s)\n", u.sysname, u.release,
           sysconf(_SC_NPROCESSORS_ONLN), MDB_VERSION_STRING, base,
           nosync ? "MDB_NOSYNC" : "durable: fsync per commit");
    int rc = s_run(nmeas, base, nosync, false);
    return rc ? rc : s_run(nmeas, base, nosync, true);
}
