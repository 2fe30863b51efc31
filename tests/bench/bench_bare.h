/*  bench_bare: the chain's messaging without its work, the second baseline of bench_e2e.
 *
 *  bench_e2e compares the chain with one PUSH/PULL hop of 87-byte messages, the issue's
 *  yardstick. That hop sends one message per measurement one way; the chain sends a
 *  request and a reply per batch, an event per measurement on a PUB, and an update per
 *  aggregator turn, through two services. To tell what the chain's shape costs from what
 *  its work costs, the bare chain runs the same shape with no work: two stand-ins in
 *  threads of the calling process, each with its own zmq context (so its own I/O thread,
 *  as a service process has), on ipc endpoints, with the measured services' message sizes:
 *
 *    impact stand-in   ROUTER: for each request, a reply of reply_len bytes to its sender,
 *                      then `per` events of event_len bytes under topic "impact.computed"
 *                      on its PUB, `batch` to a message (as the service's EventBatch
 *                      carries them; 1: each alone). It does not read the request: every
 *                      request is taken to carry `per` measurements.
 *    kpi stand-in      SUB on that PUB: every turn it takes the events that are there (a
 *                      message's first four bytes say how many it carries) and
 *                      publishes one KpiTotal (key, buyer, count: events taken so far) on
 *                      its PUB under `key`, as the aggregator publishes a changed total
 *                      once per transaction.
 *
 *  The client is bench_e2e's own closed loop, pointed at api and pub.
 */
#ifndef MVOI_BENCH_BARE_H
#define MVOI_BENCH_BARE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key, *buyer;      /* the counted total's topic and buyer */
    size_t reply_len, event_len;  /* bytes of a reply to `per` measurements, of an event */
    uint32_t per;                 /* measurements a request carries */
    uint32_t batch;               /* events in one message at most (0 or 1: each alone) */
} bench_bare_opts_t;

typedef struct bench_bare_t bench_bare_t;

/* Both stand-ins running and bound; NULL (and a line on stderr) when they could not be. */
bench_bare_t *bench_bare_start(const bench_bare_opts_t *opts);
const char *bench_bare_api(bench_bare_t *self);   /* the ROUTER's endpoint */
const char *bench_bare_pub(bench_bare_t *self);   /* the kpi stand-in's PUB */
/* Stop and join both threads, remove the endpoints' directory. */
void bench_bare_stop(bench_bare_t **self_p);

#endif
