/*  bench_benchmark: what one buyer's changed total costs the national benchmark (common/bm).
 *
 *  400 gemeenten in five size classes of 25, 50, 75, 100 and 150 buyers; then the same 400
 *  in one class. For each class: the mean time of bm_set (remove the buyer's old figure and
 *  insert the new one in its class's three distributions) plus bm_position (quartiles and
 *  its percentile), and the entries touched (bm_last_work). The cost follows the class's
 *  size, not the number of buyers. Baseline: recomputing everything from scratch after a
 *  change (bm_clear and setting all 400 again), what a design without live upkeep would do.
 *  Usage: bench_benchmark [updates per class, default 20000]. Never fails on a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bm.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* size classes: < 20.000, 20.000-50.000, 50.000-100.000, 100.000-250.000, >= 250.000 */
static const int s_sizes[5] = { 25, 50, 75, 100, 150 };
static const int s_inh[5] = { 10000, 30000, 70000, 150000, 400000 };

static void s_registry(const char *path, bool one_class)
{
    FILE *f = fopen(path, "w");
    int n = 0;
    for (int c = 0; c < 5; c++)
        for (int i = 0; i < s_sizes[c]; i++, n++)
            fprintf(f, "[b%03d]\nname = Gemeente B%03d\nkind = gemeente\ninhabitants = %d\n"
                       "inhabitants_year = 2024\ninhabitants_source = bench\n"
                       "purchasing_volume_eur = %d\npurchasing_volume_year = 2024\n"
                       "purchasing_volume_source = bench\n",
                    n, n, one_class ? 30000 : s_inh[c] + i, 50000000 + 100000 * i);
    fclose(f);
}

static void s_fill(bm_t *b)
{
    char id[16];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "b%03d", i);
        bm_set(b, id, 5, 2026, (int64_t)(rand() % 100000000));
    }
}

/* mean ns of bm_set + bm_position over buyers first..first+n-1, and mean entries touched */
static void s_measure(bm_t *b, int first, int n, long rounds, double *ns, double *work)
{
    char id[16];
    bm_pos_t p;
    double w = 0, t0 = s_now();
    for (long r = 0; r < rounds; r++) {
        snprintf(id, sizeof id, "b%03d", first + (int)(r % n));
        bm_set(b, id, 5, 2026, (int64_t)(rand() % 100000000));
        w += (double)bm_last_work(b);
        bm_position(b, id, 5, 2026, BM_NORM_PER_INH, &p);
    }
    *ns = (s_now() - t0) / (double)rounds * 1e9;
    *work = w / (double)rounds;
}

/* the same for one buyer's tender counts (bm_set_tenders: its six share measures) */
static void s_measure_tenders(bm_t *b, int first, int n, long rounds, double *ns, double *work)
{
    char id[16];
    bm_pos_t p;
    double w = 0, t0 = s_now();
    for (long r = 0; r < rounds; r++) {
        int64_t with[BM_THEMES];
        for (int t = 0; t < BM_THEMES; t++)
            with[t] = rand() % 21;
        snprintf(id, sizeof id, "b%03d", first + (int)(r % n));
        bm_set_tenders(b, id, 2026, 20, with);
        w += (double)bm_last_work(b);
        bm_position(b, id, BM_M_SHARE(1), 2026, BM_NORM_ABS, &p);
    }
    *ns = (s_now() - t0) / (double)rounds * 1e9;
    *work = w / (double)rounds;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    char path[] = "/tmp/mvoi-bench-bm-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || rounds <= 0)
        return 2;
    close(fd);
    srand(42);
    char err[256];
    printf("bench_benchmark: 400 gemeenten, %ld updates per class (bm_set + bm_position, "
           "3 normalisations)\n", rounds);
    printf("%-28s %8s %14s %16s %12s\n", "layout", "class n", "ns/update", "entries touched",
           "ns/entry");
    double full_ns = 0;
    for (int layout = 0; layout < 2; layout++) {
        s_registry(path, layout == 1);
        mvoi_buyers_t *reg = mvoi_buyers_load(path, false, err, sizeof err);
        bm_t *b = reg ? bm_new(reg, 5) : NULL;
        if (!b) {
            fprintf(stderr, "bench_benchmark: %s\n", err);
            return 1;
        }
        s_fill(b);
        int first = 0;
        for (int c = 0; c < (layout ? 1 : 5); c++) {
            int n = layout ? 400 : s_sizes[c];
            double ns, work;
            s_measure(b, first, n, rounds, &ns, &work);
            printf("%-28s %8d %14.0f %16.1f %12.2f\n", layout ? "400 in one class" :
                   "400 in 5 size classes", n, ns, work, ns / work);
            s_measure_tenders(b, first, n, rounds, &ns, &work);
            printf("%-28s %8d %14.0f %16.1f %12.2f\n", "  tender counts (6 shares)", n, ns,
                   work, ns / work);
            first += n;
        }
        if (layout == 0) {
            /* baseline: everything recomputed after one change */
            long fr = rounds / 50 > 0 ? rounds / 50 : 1;
            double t0 = s_now();
            for (long r = 0; r < fr; r++) {
                bm_clear(b);
                s_fill(b);
            }
            full_ns = (s_now() - t0) / (double)fr * 1e9;
            printf("%-28s %8d %14.0f %16s\n", "baseline: full recompute", 400, full_ns, "-");
        }
        bm_destroy(&b);
        mvoi_buyers_destroy(&reg);
    }
    unlink(path);
    printf("one change re-sorts only its class: cost grows with the class (25 -> 400 "
           "buyers), not with all buyers; the full recompute is the baseline above\n");
    return 0;
}
