/*  impact service: the handlers of mvoi-impact-calculator (service.c) on the common server.
 *
 *  Producer "impact" (topics impact.computed, impact.corrected, impact.withdrawn, each an
 *  ImpactEvent with the measurement, its impact, the purchasing group of its tender and,
 *  for corrections and withdrawals, the previous measurement and impact). Consumer of the
 *  calendar ("calendar" feed): a projection of its tenders.
 *
 *  LMDB databases:
 *    outbox, meta, requests, inbox  the plumbing (OUTBOX_DBS, SERVER_DBS, INBOX_DBS)
 *    tenders       buyer\0tender_id -> packed minimal Tender (id, buyer, status,
 *                  purchasing_group, value, sroi pct/obligation, themes, pilot)
 *    measurements  buyer\0id -> packed MeasurementRecord (current revision: measurement,
 *                  impact, withdrawn)
 *    history       buyer\0id\0be32 revision -> packed MeasurementRecord of an earlier revision
 *    bytender      buyer\0tender_id\0id -> "" (ListMeasurements by tender)
 *  Measurement ids are per buyer (tenant, Envelope.buyer): two buyers may use the same id.
 *
 *  Decisions (documented in README.md of this directory as well):
 *  - SubmitMeasurements: every item is validated and computed on its own; per-item results.
 *    At most `max_batch` (default 10,000) items per request, else ERR_RESOURCE_EXHAUSTED on
 *    "submit_measurements.measurements" (and 1 MiB per encoded request, the codec's cap).
 *    Results carry the impact only for requests of up to IMPACT_FULL_RESULTS items, so that
 *    the reply of a 10,000-item request stays far below 1 MiB; GetMeasurement has it all.
 *  - A same id with identical content (compared with the first revision, revision field
 *    ignored) is ok + duplicate, no event; different content is ERR_ALREADY_EXISTS on
 *    "...measurements[i].id" (CorrectMeasurement changes a measurement).
 *  - Unknown tender: ERR_NOT_FOUND on "...measurements[i].tender_id" once the calendar has
 *    confirmed it (a sync with the calendar asked after the request was first seen has been
 *    applied: service_await.c). Until then, and while the calendar is not current
 *    (calendar down, or not yet caught up after a start), an unknown tender makes the
 *    WHOLE request fail with ERR_UNAVAILABLE naming that item's tender_id: nothing is written
 *    and no reply is stored, so the same request id can be retried. Tenders the
 *    projection knows are accepted whether the calendar is up or not.
 *  - Cancelled tender: ERR_FAILED_PRECONDITION for new measurements (corrections and
 *    withdrawals of existing ones are still allowed).
 *  - What-if: Envelope arm compute_impact (a SubmitMeasurements body, routed as a QUERY: no
 *    request id, read transaction, nothing stored). SubmitMeasurements.what_if = true does the
 *    same as a command (nothing stored but the reply under its request id). Neither needs the
 *    tender to be known: it is the calculator a supplier uses before stating an ambition.
 *  - CorrectMeasurement: reason required; tender_id may be omitted (kept) but not changed
 *    (withdraw and resubmit to move a measurement); identical content -> ok + duplicate, no
 *    event. A withdrawn measurement cannot be corrected (ERR_FAILED_PRECONDITION).
 *  - WithdrawMeasurement: reason required; the record gets revision + 1, withdrawn = true and
 *    a zero impact; the event carries previous + previous_impact so totals drop by them.
 */
#ifndef MVOI_IMPACT_SERVICE_H
#define MVOI_IMPACT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "server.h"

#define IMPACT_PRODUCER "impact"
#define IMPACT_FULL_RESULTS 100       /* results carry impacts up to this many items */
#define IMPACT_MAX_BATCH_DEFAULT 10000

typedef struct {
    const char *api_endpoint;      /* ROUTER */
    const char *pub_endpoint;      /* PUB */
    const char *calendar_api;      /* the calendar's ROUTER (replay) */
    const mvoi_buyers_t *buyers;   /* the buyers served (NULL: every valid id) */
    const char *calendar_pub;      /* the calendar's PUB */
    const char *state_dir;         /* LMDB environment directory */
    const char *factors_dir;       /* factor tables (*.csv) */
    bool nosync;                   /* LMDB without fsync (benchmarks only) */
    bool wal;                      /* write-ahead log in front of LMDB (store_opts_t.wal);
                                      ignored with nosync */
    uint64_t wal_size, wal_checkpoint_bytes;   /* 0: the store's defaults */
    uint32_t wal_checkpoint_ms;
    uint32_t wal_checkpoint_pace_ms;   /* store_opts_t.checkpoint_pace_ms */
    bool flush_offloop;            /* durable commit's last flush on a worker thread
                                      (server_opts_t.flush_offloop) */
    uint32_t batch;                /* commands per transaction, 0 = server default */
    uint32_t heartbeat_ms;         /* 0 = server default */
    uint64_t retain_events;     /* outbox keeps the newest N events; 0 = all */
    uint32_t publish_batch;     /* events of one topic in one message at most (server.h) */
    uint32_t stage_bytes;       /* turns decoded and computed on a worker (server.h) */
    uint32_t retention_ms;      /* period of the retention pass; 0 = 60000 */
    uint32_t max_batch;            /* measurements per request, 0 = 10,000 */
    uint32_t calendar_stale_ms;    /* calendar silent longer than this = not current */
} impact_opts_t;

typedef struct impact_svc impact_svc_t;

/* Load the factor tables, open the store, bind the sockets, follow the calendar.
 * Returns 0, or -EINVAL/-ENOENT/-EEXIST... when the factor tables cannot be loaded (a
 * configuration error: exit 78; err names the file and line), other negative errno for
 * store/socket failures. */
int impact_svc_new(impact_svc_t **out, uv_loop_t *loop, bus_ctx_t *bus,
                   const impact_opts_t *opts, char *err, size_t errlen);
void impact_svc_stop(impact_svc_t *self);
void impact_svc_destroy(impact_svc_t **self_p);

server_t *impact_svc_server(impact_svc_t *self);
uint64_t impact_svc_head(impact_svc_t *self);
size_t impact_svc_tables(impact_svc_t *self);

#endif
