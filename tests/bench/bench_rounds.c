/*  bench_rounds: the rounds of `bench_e2e peer` and their table (bench_rounds.h). */
#include "bench_rounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of a row's rounds, sorted in a copy: the rows stay in round order, which
 * s_lower pairs (sorted in place, "mvoi lower in N of M rounds" compared the k-th smallest
 * of each peer, not the two of one round). */
double bench_rounds_median(const double *v, int n)
{
    double *c = malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    if (!c) {
        fprintf(stderr, "bench_e2e: out of memory\n");
        exit(1);
    }
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, s_dcmp);
    double m = c[n / 2];
    free(c);
    return m;
}

/* In how many rounds a was below b: a median ratio near 1 says little on its own. */
static int s_lower(const double *a, const double *b, int rounds)
{
    int n = 0;
    for (int i = 0; i < rounds; i++)
        n += a[i] < b[i];
    return n;
}

void bench_rounds_table(const bench_rounds_t *p, size_t payload)
{
    int n = p->rounds;
    double M[PM_N], Q[PM_N], X[PX_N];
    for (int k = 0; k < PM_N; k++)
        M[k] = bench_rounds_median(p->m[k], n), Q[k] = bench_rounds_median(p->q[k], n);
    for (int k = 0; k < PX_N; k++)
        X[k] = bench_rounds_median(p->x[k], n);
    printf("\nPEER TABLE (medians of %d interleaved rounds; disk: 4 KiB pwrite+fdatasync "
           "back to back p50 %.2f ms, p99 %.2f ms; one every 1 ms p50 %.2f ms, p99 %.2f ms)\n",
           n, X[PX_F50], X[PX_F99], X[PX_G50], X[PX_G99]);
    printf("| | mvoi | Redis 7 (AOF fsync always, Lua function) | mvoi / Redis |\n"
           "|---|---|---|---|\n");
    if (!p->lat_only) {
        printf("| whole job, 1 measurement/request, measurements/s | %.0f | %.0f | %.2fx |\n",
               M[PM_THR1], Q[PM_THR1], M[PM_THR1] / Q[PM_THR1]);
        printf("| whole job, 100/request, measurements/s | %.0f | %.0f | %.2fx |\n",
               M[PM_THR100], Q[PM_THR100], M[PM_THR100] / Q[PM_THR100]);
        printf("| CPU us per measurement, 1/request | %.1f | %.1f | %.2fx |\n", M[PM_CPU1],
               Q[PM_CPU1], M[PM_CPU1] / Q[PM_CPU1]);
        printf("| CPU us per measurement, 100/request | %.1f | %.1f | %.2fx |\n", M[PM_CPU100],
               Q[PM_CPU100], M[PM_CPU100] / Q[PM_CPU100]);
    }
    static const char *const lat_name[3] = { "p50", "p99", "p99.9" };
    for (int k = PM_P50; k <= PM_P999; k++)
        printf("| latency at 1,000/s open loop, %s ms | %.2f | %.2f | %.2fx (mvoi lower in %d "
               "of %d rounds) |\n", lat_name[k - PM_P50], M[k], Q[k], M[k] / Q[k],
               s_lower(p->m[k], p->q[k], n), n);
    if (p->lat_only)
        return;
    printf("| raw ZeroMQ ipc PUSH/PULL, %zu B, msg/s | %.0f | | chain 100/request = %.1f %% "
           "of raw, 1/request = %.1f %% |\n", payload, X[PX_RAW], 100 * M[PM_THR100] / X[PX_RAW],
           100 * M[PM_THR1] / X[PX_RAW]);
    printf("| bare chain: the same messages and hops, no work, 100/request, measurements/s | "
           "%.0f | | chain 100/request = %.1f %% of bare, bare = %.1f %% of raw |\n",
           X[PX_BARE], 100 * M[PM_THR100] / X[PX_BARE], 100 * X[PX_BARE] / X[PX_RAW]);
}

/* mvoi and Redis on the same workload, interleaved round by round (the machine's noise
 * hits both), medians over the rounds; with the disk's fdatasync and raw ZeroMQ. */
