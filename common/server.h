/*  server: a service's API socket (ROUTER) and, for producers, its event stream (PUB).
 *
 *  Requests are drained from the ROUTER a loop turn at a time. Commands of one turn run in
 *  ONE write transaction (group commit) and are answered only after it committed. Events
 *  are published at ONE point: before the loop sleeps (a libuv prepare handle), the server
 *  publishes whatever the commits of the turn appended to the outbox -- its own batches,
 *  a feed's batches, a timer's writes -- so a service only appends (server_emit) and never
 *  publishes (persist, then publish). Every command
 *  carries a request id; its reply is stored with the effect in the same transaction
 *  (db "requests"), so a repeat returns the stored reply and changes nothing
 *  (docs/design.md#idempotent-commands). Queries run in a read transaction.
 *
 *  The server itself answers: HealthRequest, ReplayRequest (from the outbox), SnapshotRequest
 *  (through the service's snapshot callback; see server_snapshot_fn for streams), and
 *  errors for undecodable bytes or unknown bodies. It publishes a Heartbeat with the head
 *  seq on topic "hb" every heartbeat interval.
 *
 *  Frames: a client's DEALER sends [envelope]; replies are [envelope]. Replayed and snapshot
 *  events are [topic][envelope], the same shape as on the PUB socket, so a consumer handles
 *  live and replayed events with one code path.
 */
#ifndef MVOI_SERVER_H
#define MVOI_SERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "bus.h"
#include "codec.h"
#include "store.h"
#include "outbox.h"
#include "buyers.h"
#include "text.h"

#define SERVER_DBS "requests"

typedef struct server_t server_t;
typedef struct server_req_t server_req_t;

typedef enum {
    SERVER_COMMAND = 1,   /* changes state: write transaction, request id required */
    SERVER_QUERY = 2,     /* reads state: read transaction */
} server_kind_t;

/* A handler fills req's reply (server_reply()) and returns 0, or returns a negative value
 * after server_error() (the transaction of a command batch is NOT aborted for that: the
 * handler must validate before it writes). A handler that gets a storage error returns it
 * (a code of mvoi_error.h, or the raw LMDB result, converted here): the whole batch is
 * aborted and re-run (full map) or failed (every command answered "unavailable"). */
typedef int (server_handler_fn)(void *arg, server_req_t *req, MDB_txn *txn);

/* A command's work that needs no store (a calculation), done before its batch: on a
 * worker thread while the loop commits the batch before (opts.stage_bytes), else on the
 * loop. It may read req and what no handler or timer ever changes (tables loaded at
 * start), nothing else of the service; it keeps its results in request memory
 * (server_prep_alloc) and names them with server_prep_set. The handler finds them with
 * server_prep, or does the work itself when they are not there (NULL). */
typedef void (server_prep_fn)(void *arg, server_req_t *req);

typedef struct {
    Mvoi__Envelope__BodyCase body;
    server_kind_t kind;
    server_handler_fn *fn;
    server_prep_fn *prep;        /* commands only; NULL: none */
} server_route_t;

/* Snapshot: call server_snapshot_emit() for each item under prefix, inside txn, and stop
 * (returning its result) when it returns an error. The items are read in that one
 * transaction (exactly the state at SnapshotEnd.seq) and then streamed with flow control
 * (zguide "credit-based flow control", the credit being the peer's queue): on a full
 * queue the stream waits and goes on a moment later, never failing on it
 * (server_snapshot.c). */
typedef int (server_snapshot_fn)(void *arg, server_req_t *req, MDB_txn *txn,
                                 const char *prefix);

typedef struct {
    const char *name;            /* service name for HealthReply */
    const char *api_endpoint;    /* ROUTER bind */
    const char *pub_endpoint;    /* PUB bind; NULL for services that produce no events */
    store_t *store;              /* opened with SERVER_DBS (+ OUTBOX_DBS if producing) */
    outbox_t *outbox;            /* NULL for services that produce no events */
    const server_route_t *routes;
    int nroutes;
    server_snapshot_fn *snapshot;
    void *arg;                   /* passed to handlers */
    uint32_t batch;              /* max requests per loop turn, default 256 */
    uint32_t heartbeat_ms;       /* default 1000; 0 = off */
    uint32_t replay_max;         /* cap on ReplayRequest.max_count, default 5000 */
    uint64_t retain_events;      /* outbox retention: keep at least the newest N events;
                                    0 = keep everything (consumers can always replay) */
    uint32_t request_ttl_s;      /* stored replies of commands are kept this long, so a
                                    client may retry within it; default 7 days. They are
                                    removed by a sweep that starts once a maintenance
                                    period and reads 4096 of them a loop turn */
    uint32_t maintenance_ms;     /* period of the retention pass, default 60000; the outbox
                                    trimming also starts at the next loop turn once the
                                    events beyond retain_events make a minimum pass (1024),
                                    so it keeps pace with a bulk load */
    uint32_t trim_max;           /* outbox events one pass removes at most (a quarter of
                                    the backlog, at least 1024), default 10000; while more
                                    is due the next pass runs at the next loop turn */
    bool (*ready_fn)(void *arg); /* readiness asked at every HealthRequest (e.g. upstream
                                    feeds caught up and alive); NULL = server_set_ready */
    void (*health_fn)(void *arg, Mvoi__HealthReply *h); /* a service's own figures (the
                                    notifier's dead letters); NULL = none */
    int (*storage_fn)(void *arg); /* a storage failure the store does not see (0: none;
                                    the kpi-aggregator's failed checkpoint flush): health
                                    reports it as storage_error and not ready */
    const bus_opts_t *bus_opts;  /* NULL = defaults */
    bool flush_offloop;          /* the store was opened with nometasync: its commits are
                                    flushed on a worker thread while the loop goes on (the
                                    next requests, the next commit); a command is answered
                                    and its events published or replayed only after the
                                    flush that covers its commit (group flush) */
    const mvoi_buyers_t *buyers; /* requests naming a buyer it does not accept are refused
                                    (field "buyer"); NULL = every valid buyer id */
    bool keep_request_bytes;     /* keep each request's encoded bytes for its handler
                                    (server_request_bytes); off: not copied */
    uint32_t publish_batch;      /* consecutive events of one topic published as one
                                    message (an EventBatch) at most; 0 or 1: each alone.
                                    Every consumer of this PUB must read batches
                                    (feed.c, codec_batch_open) */
    uint32_t stage_bytes;        /* a loop turn of requests of at least this many bytes
                                    on average is decoded and prepared (server_prep_fn) on
                                    a worker while the loop commits the turn before, so
                                    the two overlap (server_stage.c); other turns, when
                                    nothing is staged, stay on the loop (no thread hop
                                    for small requests). 0: every turn on the loop */
} server_opts_t;

server_t *server_new(uv_loop_t *loop, bus_ctx_t *ctx, const server_opts_t *opts, int *err);
/* Stops taking requests; what is in flight was already committed and answered. */
void server_destroy(server_t **self_p);

/* A consumer's feed, reported in HealthReply.inbox (cursor, head seen, resyncs): the
 * consumer lag an operator watches. At most SERVER_MAX_FEEDS. */
#define SERVER_MAX_FEEDS 4
typedef struct feed_t feed_t;
int server_add_feed(server_t *self, feed_t *feed);

/* Readiness reported in HealthReply (e.g. after the service's own replay finished). */
void server_set_ready(server_t *self, bool ready);
/* Endpoints actually bound (useful with tcp://127.0.0.1:*). */
const char *server_api_endpoint(server_t *self);
const char *server_pub_endpoint(server_t *self);
/* Random, new at every start; sent in heartbeats and SnapshotEnd (docs/design.md#clone). */
uint64_t server_incarnation(server_t *self);

/* --- inside a handler --- */
const Mvoi__Envelope *server_request(server_req_t *req);
/* The language of the texts for people in the reply (Envelope.lang, textfmt_env_lang):
 * Dutch when the request names none, or names one that is not "nl" or "en" (the server
 * refuses those by name before any handler runs; an undecoded request is answered in
 * Dutch). A body's own lang field, where a service has one, is the service's to read. */
text_lang_t server_lang(server_req_t *req);
/* The bytes server_request was decoded from (request memory), with keep_request_bytes;
 * else NULL. A handler may take parts of them as they are instead of packing them again. */
const uint8_t *server_request_bytes(server_req_t *req, size_t *len);
/* The reply envelope to fill; body_case and body pointer. Memory for sub-messages comes
 * from server_alloc(): zeroed, freed after the reply is sent. */
Mvoi__Envelope *server_reply(server_req_t *req);
/* The reply's body arm `body` given already packed (bytes in request memory, or anything
 * that outlives the reply): the server writes the envelope's header fields and this arm
 * around it, as for server_reply's, without protobuf-c sizing and packing the body. A
 * later server_error replaces it. 0, or -EINVAL for an arm that is not a message. */
int server_reply_encoded(server_req_t *req, Mvoi__Envelope__BodyCase body,
                         const uint8_t *bytes, size_t len);
void *server_alloc(server_req_t *req, size_t size);
/* For a prep function (server_prep_fn): request memory that lives as long as the request
 * (zeroed; a batch that runs again keeps it), and the results it leaves the handler. */
void *server_prep_alloc(server_req_t *req, size_t size);
void server_prep_set(server_req_t *req, const void *prep);
const void *server_prep(server_req_t *req);
char *server_strdup(server_req_t *req, const char *s);
/* Fill an error reply naming the field; returns -EINVAL for convenience. A format that is
 * the English of a catalogue entry under "server.err." (the common layer's own refusals)
 * is said in the request's language (server_lang); any other is printed as given (a
 * service's text already in its language). Arguments as printf writes them: ids and
 * numbers stay machine-readable. */
int server_error(server_req_t *req, Mvoi__ErrorCode code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* server_error with the catalogue entries under a service's prefix ("kpi.err."): fmt in
 * the request's language if one's English is fmt, else as given. For a service's own
 * printf-checked wrapper. */
int server_verror_in(server_req_t *req, Mvoi__ErrorCode code, const char *field,
                     const char *prefix, const char *fmt, va_list ap);
/* Append an event to the outbox within the handler's write transaction; *seq (may be
 * NULL) gets its seq. The event inherits the request's buyer and correlation. It is
 * published by the server after the commit; a service never publishes itself. */
int server_emit(server_req_t *req, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                uint64_t *seq);
/* server_emit with the body already encoded (outbox_append_encoded): ev has no body set;
 * body is the packed message of its field body_field. */
int server_emit_encoded(server_req_t *req, MDB_txn *txn, const char *topic,
                        Mvoi__Envelope *ev, uint32_t body_field, const uint8_t *body,
                        size_t blen, uint64_t *seq);
/* The same for an event no request caused (a feed's batch, a timer's write), within any
 * write transaction of the server's store; stamp (may be NULL) is called with the event's
 * seq before it is packed (see outbox_append_stamped). */
int server_emit_txn(server_t *self, MDB_txn *txn, const char *topic, Mvoi__Envelope *ev,
                    outbox_stamp_fn *stamp, void *stamp_arg, uint64_t *seq);
/* Add one snapshot item (a [topic][envelope] message) from a snapshot callback; -ENOBUFS
 * when the snapshots under way hold too much (the client is told to ask again). */
int server_snapshot_emit(server_req_t *req, const char *topic, Mvoi__Envelope *item);

typedef struct {
    uint64_t requests, commands, queries, duplicates, errors, decode_errors;
    uint64_t batches, replays, snapshots, published;
    uint64_t messages;           /* published messages (an EventBatch counts once) */
    uint64_t snapshot_passes, snapshot_full; /* snapshots that had to wait for the peer;
                                                sends a full peer queue refused */
    uint64_t snapshot_superseded;  /* streams dropped: their peer asked again */
    uint64_t undecodable;    /* snapshots and queries refused: a stored record did not decode */
    uint64_t trimmed_events, expired_replies;
    uint64_t expire_walked;  /* stored replies read by the expiry sweeps */
    uint64_t auth_refused;   /* requests refused for their key's role or buyers */
    uint64_t records_made;   /* request records allocated: the record pool's misses */
    uint64_t staged;         /* loop turns decoded and prepared on a worker */
} server_stats_t;
void server_stats(server_t *self, server_stats_t *out);

#endif
