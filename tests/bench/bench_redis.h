/*  bench_redis: the peer an engineer would otherwise build the measurement -> dashboard path
 *  on, for bench_e2e's `peer` mode: Redis 7 (Debian's redis-server) with appendonly yes and
 *  appendfsync always, one Lua function per measurement (FUNCTION LOAD, FCALL) that
 *  computes the avoided CO2 (HVO100 instead of diesel B7: 2,783 g per litre, the figure
 *  mvoi's factor table gives), records the measurement idempotently (HSETNX on its id: a
 *  repeat changes nothing and returns the first result), XADDs it to the buyer's stream,
 *  HINCRBYs the 8 totals it feeds (year and quarter x all / theme / group / tender; and the
 *  year total's count) and PUBLISHes them in one message led by that count, which the
 *  client's subscriber reads like the mvoi bench reads KpiTotal.count.
 *
 *  The server runs on a unix socket of its own (mvoi's services talk over ipc://) in a data
 *  directory of its own, started and stopped here.
 */
#ifndef MVOI_BENCH_REDIS_H
#define MVOI_BENCH_REDIS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct bench_redis bench_redis_t;

/* Start redis-server in dir (created) and load the function; NULL (reason on stderr) when
 * redis-server is missing or does not come up. */
bench_redis_t *bench_redis_start(const char *dir);
void bench_redis_stop(bench_redis_t **self_p);
pid_t bench_redis_pid(bench_redis_t *self);

/* Closed loop: n measurements as requests of `per` pipelined FCALLs, `window` requests in
 * flight; measurements/s until the subscriber saw the last count (-1 on error). *cpu_us
 * gets the server's CPU microseconds per measurement. */
double bench_redis_throughput(bench_redis_t *self, uint32_t n, uint32_t per, int window,
                              double *cpu_us);

typedef struct {
    double p50, p90, p99, p999, max;   /* ms */
    uint32_t n;
    bool complete;
} bench_lat_t;

/* Open loop at `rate` measurements/s for `seconds` (first second not counted): latency of
 * measurement i = arrival of the first published count >= i minus its intended send time. */
int bench_redis_latency(bench_redis_t *self, double rate, double seconds, bench_lat_t *out);

/* The disk under dir: 4 KiB pwrite + fdatasync over a written file, `rounds` times; p50
 * and p99 in ms. gap_us 0: back to back (the device's best case); else one every gap_us
 * (open loop), the device idle in between as it is at a low request rate. */
int bench_fdatasync(const char *dir, int rounds, int gap_us, double *p50, double *p99);

#endif
