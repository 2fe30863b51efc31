/*  bench_rounds: the rounds of `bench_e2e peer` (each row's figure for mvoi, for Redis and
 *  for the machine, round by round) and the table printed from them: medians, ratios, and
 *  in how many rounds mvoi was the lower.
 */
#ifndef MVOI_BENCH_ROUNDS_H
#define MVOI_BENCH_ROUNDS_H

#include <stdbool.h>
#include <stddef.h>

/* Per round: mvoi's figure (m) and Redis's (q) of each row, and the machine's own (x). */
enum { PM_THR1, PM_THR100, PM_CPU1, PM_CPU100, PM_P50, PM_P99, PM_P999, PM_N };
enum { PX_RAW, PX_BARE, PX_F50, PX_F99, PX_G50, PX_G99, PX_N };
typedef struct {
    int rounds;
    bool lat_only;     /* E2E_BENCH_ONLY=lat: the latency rounds alone (a latency A/B) */
    double *m[PM_N], *q[PM_N], *x[PX_N];
} bench_rounds_t;

/* The median of n figures in round order, which it leaves as they are. */
double bench_rounds_median(const double *v, int n);
/* The PEER TABLE on stdout (payload: the raw ZeroMQ message's bytes). */
void bench_rounds_table(const bench_rounds_t *p, size_t payload);

#endif
