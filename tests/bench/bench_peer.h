/*  bench_peer: per-hop timestamps of bench_e2e's open-loop run (point 3 of the latency
 *  work: where the time goes). For every measurement: when the client sent it, when the
 *  impact-calculator's reply came (its commit and flush are done), when its ImpactEvent
 *  arrived on the impact PUB (published after that flush), and when the kpi total that
 *  shows it arrived on the aggregator's PUB.
 */
#ifndef MVOI_BENCH_PEER_H
#define MVOI_BENCH_PEER_H

#include <stdint.h>

#include "bench_redis.h"

typedef struct {
    uint32_t n, nreq, reqs_acked, events;
    int64_t *ack, *ev, *shown;
    uint32_t *req_first, *req_n;
    int64_t *req_sent;
} hops_t;

void hops_init(hops_t *h, uint32_t n);
void hops_fini(hops_t *h);
/* Measurements [first, first + k) went out in one request. */
void hops_sent(hops_t *h, uint32_t first, uint32_t k, int64_t t);
/* `replies` more replies arrived (in request order) at t. */
void hops_acked(hops_t *h, int replies, int64_t t);
/* Drain the impact PUB subscriber: each ImpactEvent is the next measurement's. */
void hops_events(hops_t *h, void *isub, int64_t t);
void hops_shown(hops_t *h, uint32_t i, int64_t t);
/* p50 / p99 of each hop over measurements [skip, done). */
void hops_print(const hops_t *h, const int64_t *intended, uint32_t skip, uint32_t done);

/* With MVOI_TRACE_HOPS set (the services then trace their commands, server_trace.c):
 * one line per measurement to <MVOI_TRACE_HOPS>.client: the request id it went in
 * ("bench-<run>-<last id>"), then intended, sent, reply, ImpactEvent and shown times
 * (CLOCK_MONOTONIC ns), for scripts/hop-table to join with the services' records. */
void hops_dump(const hops_t *h, const int64_t *intended, uint32_t done, uint64_t run,
               uint64_t base);

#endif
