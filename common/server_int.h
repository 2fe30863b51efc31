/*  server_int: what server.c shares with its satellites (server_health.c: the health
 *  reply; server_retention.c: expiry of stored replies and outbox trimming). Not a public
 *  header: services use server.h. */
#ifndef MVOI_SERVER_INT_H
#define MVOI_SERVER_INT_H

#include "server.h"
#include "feed.h"
#include "mvoi_id.h"

#define SERVER_DEFAULT_BATCH 256
#define SERVER_DEFAULT_REPLAY 5000
#define SERVER_ID_MAX 256
#define SERVER_REQID_MAX 128
#define SERVER_POOL 32              /* request records kept for reuse, whatever they hold */
/* More records are kept while their arenas are small (one SERVER_ARENA_BLOCK each): with
 * the off-loop flush a window of commands waits for its flush, so at one measurement per
 * request a few hundred records are in flight; a pool of 32 had most of them calloc'ed and
 * freed with their arenas each time (7 % of the impact-calculator's CPU). Bounded by
 * twice the batch, at most SERVER_POOL_SMALL. */
#define SERVER_POOL_SMALL 1024
#define SERVER_ARENA_BLOCK (8u << 10)
/* Envelope.incarnation appended to a reply as it is sent (server.c): a tag and a varint. */
#define SERVER_STAMP_MAX 11
#define SERVER_ARENA_KEEP (256u << 10)
#define SERVER_SNAP_MAX 64          /* snapshot streams under way at once */
#define SERVER_SNAP_BYTES_MAX (512u << 20)  /* their buffers together, at most */
#define SERVER_SNAP_STALL_MS 30000  /* a stream whose peer takes nothing this long is dropped */
#define SERVER_BATCH_BYTES (64u << 10)   /* events' bytes in one published EventBatch */
#define SERVER_BATCH_TOPIC 128           /* topics batched (longer ones go alone) */
/* A staged turn's requests, at most (server_stage.c; a single larger request goes alone):
 * about 4 requests of 100 measurements. Against one turn for the whole window, bench_e2e
 * at 100 a request measured +10 % with 64 KiB (docs/latency.md "Ninth session"); once the
 * WAL's CRC no longer slowed the loop, 32 KiB was faster again than 64 (6 of 8 pairs,
 * "Eleventh session"): a smaller commit's flush and replies overlap more of the next. */
#define SERVER_STAGE_TURN_BYTES (32u << 10)

typedef struct server_snap_t server_snap_t;

/* Hop times of a traced command (server_trace.c), CLOCK_MONOTONIC ns: the loop turn that
 * read it, its commit (page writes and, with flush_offloop, the data flush on the loop),
 * the flush that covered it (started at the publish point; run by a worker; seen back on
 * the loop), its reply sent. */
enum { ST_WAKE, ST_COMMIT0, ST_COMMIT1, ST_KICK, ST_WORK0, ST_WORK1, ST_AFTER, ST_REPLY,
       ST_N };
#define SERVER_TRACE_RID 64
typedef struct server_trace server_trace_t;

struct server_req_t {
    server_t *server;
    struct server_req_t *next_free;
    /* Request memory comes from two arenas, both kept with the record for the next
     * request: `in` holds the decoded request, `out` what the handler builds for the reply
     * (server_alloc) and the packed reply; `out` is emptied when a transaction re-runs. */
    arena_t *in, *out;
    size_t idlen;
    Mvoi__Envelope *req;           /* decoded request (in `in`) */
    Mvoi__Envelope reply;
    const server_route_t *route;
    bool failed;                   /* handler returned an error reply */
    bool duplicate;                /* stored reply found */
    bool packed;                   /* stored holds this reply, packed once for LMDB */
    uint8_t *stored;               /* packed reply: the stored one (duplicate) or ours,
                                      with SERVER_STAMP_MAX bytes of room after it */
    size_t stored_len;
    server_snap_t *snap;           /* the snapshot stream its callback fills */
    bool no_reply;                 /* answered later (a snapshot stream under way) */
    int64_t tr[ST_N];              /* hop times, when the server traces (else zero) */
    uint64_t txn;                  /* the transaction that committed it (held commands) */
    const uint8_t *raw;            /* the request's bytes (in `in`), keep_request_bytes */
    size_t raw_len;
    uint64_t fp;                   /* a command's fingerprint (server_stored.c), 0 unknown */
    /* server_reply_encoded: the reply's body arm as the handler packed it (request memory);
     * reply.body_case is then not set. reply_arm 0: none. */
    uint32_t reply_arm;
    const uint8_t *reply_body;
    size_t reply_body_len;
    /* What server__decode found, for server__dispatch to act on (on the loop) */
    bool dropped;                  /* not a DEALER's one frame: not answered */
    int decode_err;                /* req == NULL: why */
    const char *refused_field;     /* a string or id the rules refuse (in `in`), or NULL */
    const char *refused_why;       /* in English, for the log */
    mvoi_id_why_t refused_wy;      /* the same, said in the request's language */
    const void *prep;              /* server_prep_set */
    /* Not cleared for a new request (server_req_new clears only what is above): idlen says
     * how much of id holds, codec_set_error fills errstore before its use. */
    uint8_t id[SERVER_ID_MAX];     /* ROUTER identity of the peer */
    codec_error_t errstore;
};

struct server_t {
    uv_loop_t *loop;
    server_opts_t opts;
    bus_sock_t *router;
    bus_sock_t *pub;
    uv_timer_t hb_timer;
    bool hb_started;
    uv_timer_t maint_timer;
    bool maint_started;
    bool trim_soon;                /* a trimming pass runs at the next turn */
    uint64_t expire_at;            /* uv_now of the next expiry of stored replies */
    bool expire_walking;           /* a sweep is under way: its next pass at the next turn */
    uint64_t expire_cutoff;        /* the sweep removes replies stored before (clock ms) */
    uint64_t expire_swept;         /* replies the sweep removed so far */
    uint8_t expire_key[512];       /* the sweep's next key (LMDB keys are at most 511) */
    size_t expire_key_len;         /* 0: from the first */
    uv_prepare_t publisher;        /* the publish point: runs before the loop sleeps */
    bool publisher_started;
    int closing;                   /* uv handles still closing in server_destroy */
    bool ready;
    feed_t *feeds[SERVER_MAX_FEEDS];   /* reported in HealthReply.inbox */
    int nfeeds;
    char api_ep[256];
    char pub_ep[256];
    MDB_dbi requests_dbi;
    uint64_t incarnation;          /* minted at every start (server_incarnation) */
    uint64_t last_published_at;    /* seq published when the last heartbeat was sent */
    server_stats_t stats;
    /* events of one topic waiting to go out as one message (server_publish.c) */
    codec_batch_t *batch;
    char batch_topic[SERVER_BATCH_TOPIC];
    size_t batch_tlen;
    /* batch under construction */
    server_req_t **cmds;
    uint32_t ncmds;
    server_req_t *free_reqs;       /* records to reuse, with their arenas */
    uint32_t nfree;
    uint32_t pool_max;             /* records kept when small (SERVER_POOL_SMALL) */
    /* snapshot streams under way (server_snapshot.c) */
    server_snap_t *snaps;
    uint32_t nsnaps;
    uv_timer_t snap_timer;
    bool snap_started;
    /* off-loop flush (opts.flush_offloop, server_flush.c): committed commands wait in
     * `held`, in commit order, until their transaction is durable */
    struct server_flush *flush;
    server_req_t **held;
    uint32_t nheld, held_cap;
    server_trace_t *trace;         /* MVOI_TRACE_HOPS: hop times per command, else NULL */
    int64_t t_wake;                /* when the current ROUTER turn began (traced only) */
    struct server_stage *stage;    /* opts.stage_bytes: turns decoded on a worker */
};

/* A request from the ROUTER in two steps (server.c). decode: the envelope, the checks of
 * its strings and ids, the route's prep; it touches only req, msg and what never changes
 * after server_new, so it may run on a worker (server_stage.c). dispatch, on the loop:
 * answers what decode refused, the buyer registry, the key's rights, then routes (a
 * command joins the batch, self->cmds). handle: both at once. */
void server__decode(server_t *self, server_req_t *req, bus_msg_t *msg);
void server__dispatch(server_t *self, server_req_t *req, bus_msg_t *msg);
void server__handle(server_t *self, bus_msg_t *msg);
/* Take the ROUTER's requests (on), or leave them queued in it (off). */
void server__watch(server_t *self, bool on);
/* Send req's reply (stored, encoded or packed here), stamped with the incarnation. */
void server__reply(server_t *self, server_req_t *req);
/* Commit the commands of self->cmds in one transaction and answer or hold them. */
void server__run_batch(server_t *self);
/* server_stage.c: set up (opts.stage_bytes), take a readable ROUTER's messages, and at
 * destroy wait for the worker and drop what is staged (unanswered: nothing of it was
 * committed, and the client retries with the same request id). */
int server_stage_init(server_t *self);
void server_stage_read(server_t *self, bus_sock_t *sock);
void server_stage_fini(server_t *self);

/* Send req's reply and return the record to the pool (server.c). */
void server_reply_free(server_t *self, server_req_t *req);
/* Answer a ReplayRequest (server_replay.c). */
void server_replay(server_t *self, server_req_t *req);
/* Publish what may be published now (server_publish.c); its batch writer, when
 * opts.publish_batch asks for one. */
void server_publish(server_t *self);
int server_publish_init(server_t *self);
/* server_flush.c: set up (flush the store once, gate the outbox), hold a committed
 * command until its flush, start a flush when something committed is not flushed (the
 * publish point calls it), and at destroy flush and answer everything held. */
int server_flush_init(server_t *self);
int server_flush_hold(server_t *self, server_req_t *req);
void server_flush_kick(server_t *self);
/* A flush here, on the loop (a command that could not be held): 0, or the error (also an
 * earlier flush's: a failure is final). */
int server_flush_sync(server_t *self);
/* The error of a flush that failed (final: no command is taken after it), or 0. */
int server_flush_failed(server_t *self);
/* Around a batch's commit: what was committed before it (txn, outbox seq), and after it
 * answers what that commit made durable (its own data flush covered the earlier meta
 * pages; store.h). */
void server_flush_before(server_t *self, uint64_t *txn, uint64_t *seq);
void server_flush_after(server_t *self, uint64_t txn, uint64_t seq);
void server_flush_fini(server_t *self);

/* server_trace.c: NULL unless MVOI_TRACE_HOPS names a file; now() is 0 when self is NULL;
 * add() keeps one command's times; destroy() writes them to <file>.<pid>. */
server_trace_t *server_trace_new(void);
int64_t server_trace_now(const server_trace_t *self);
void server_trace_add(server_trace_t *self, const char *rid, const int64_t *t);
void server_trace_destroy(server_trace_t **self_p);
void server_trace_wal(server_trace_t *self, bool on);   /* the store logs (store_wal) */
/* The WAL checkpoints' loop stall, written with the trace (scripts/hop-table prints it). */
void server_trace_checkpoints(server_trace_t *self, uint64_t n, int64_t p50_ns,
                              int64_t max_ns);

/* req's reply envelope packed (server_reply.c): its header, then the body arm set in it
 * or given encoded (server_reply_encoded). size fills *sz for pack. */
size_t server__reply_size(server_req_t *req, codec_env_size_t *sz);
size_t server__reply_pack(server_req_t *req, const codec_env_size_t *sz, uint8_t *out);

/* A stored reply's record in the "requests" db (server_stored.c): when it was stored, the
 * fingerprint of the request it answered (0: unknown), and the reply's bytes. */
#define SERVER_STORED_HEAD 16
typedef struct {
    int64_t ms;
    uint64_t fp;
    const uint8_t *reply;
    size_t reply_len;
} server_stored_t;
/* The fingerprint of the body arm `arm` of the encoded request env (as the client
 * encoded it); 0 when it is not in the plain shape. */
uint64_t server__request_fp(const uint8_t *env, size_t len, uint32_t arm);
/* Writes a record's head (SERVER_STORED_HEAD bytes) to b; the reply follows it. */
size_t server__stored_head(uint8_t *b, int64_t ms, uint64_t fp);
/* Reads a record (also one written before fingerprints): 0, or -1 when too short. */
int server__stored_parse(const void *data, size_t len, server_stored_t *out);

/* Fills req's reply with the HealthReply of this service (server_health.c). */
void server_health(server_t *self, server_req_t *req);
/* Refuse req (what: "snapshot", "query") because a stored record did not decode
 * (MVOI_E_UNDECODABLE): counted for health, logged, answered with that name. */
void server__undecodable(server_t *self, server_req_t *req, const char *what);
/* The key's role and buyers (server_auth.c): 0, or -1 with req's error reply filled. */
int server_auth_check(server_t *self, server_req_t *req, bus_msg_t *msg);
/* Request records from the pool (server.c). */
server_req_t *server_req_new(server_t *self);
void server_req_free(server_req_t **req_p);
/* Send [id][topic][envelope] (topic may be NULL) on the ROUTER; bus_send's result. */
int server_send_env(server_t *self, const uint8_t *id, size_t idlen, const char *topic,
                    const Mvoi__Envelope *env);
/* Answers a SnapshotRequest: at once, or as a stream continued by a timer; sets
 * req->no_reply when the answer comes later (server_snapshot.c). */
void server_snapshot_start(server_t *self, server_req_t *req);
/* Drops the streams under way (server_destroy). */
void server_snapshot_drop_all(server_t *self);
/* The maintenance timer: expires stored replies, trims the outbox (server_retention.c). */
void server_on_maintenance(uv_timer_t *t);
/* After a commit was published: when the outbox has grown a minimum pass beyond its
 * retention, the next trimming pass runs at the next turn (server_retention.c). */
void server_trim_kick(server_t *self);
/* Events one retention pass removes of a backlog: a share of it, bounded by trim_max. */
uint64_t server_trim_batch(uint64_t backlog, uint32_t trim_max);

#endif
