/*  feed_int: what feed.c shares with feed_rebuild.c (the rebuild from a producer's
 *  snapshot). Not a public header: consumers use feed.h. */
#ifndef MVOI_FEED_INT_H
#define MVOI_FEED_INT_H

#include "feed.h"
#include "arena.h"

#define FEED_TOPIC_MAX 128
#define FEED_RID_MAX 32
#define FEED_BUYER_MAX 128
/* The wait before a batch the consumer refused is asked again, doubling (feed.c). */
#define FEED_REFUSED_FIRST_MS 100
#define FEED_REFUSED_MAX_MS 30000

typedef enum { ITEM_EVENT, ITEM_MARK } item_kind_t;

typedef struct {
    item_kind_t kind;
    bool replayed;
    char topic[FEED_TOPIC_MAX];
    Mvoi__Envelope *env;       /* ITEM_EVENT */
    uint64_t fp;               /* ITEM_EVENT: fingerprint of its bytes (feed_item_fp), 0 =
                                * not computed yet: only the cursor's event needs it */
    const uint8_t *raw;        /* ITEM_EVENT: a copy of its bytes (in the batch's arena) */
    size_t rawlen;
    uint64_t epoch, head;      /* ITEM_MARK: heartbeat or ReplayEnd */
} item_t;

/* One item of a rebuild's snapshot. */
typedef struct {
    char topic[FEED_TOPIC_MAX];
    Mvoi__Envelope *env;
} feed_snap_item_t;

typedef struct {
    bool active;                  /* a rebuild is under way (not ready) */
    bool inflight;                /* a SnapshotRequest is out */
    feed_rebuild_reason_t reason; /* of the one under way, or the last one */
    char rid[FEED_RID_MAX];       /* request id of the snapshot request out */
    unsigned reqno;
    uint64_t sent_ms, heard_ms;
    bool answered;                /* an item (or the end) of THIS request has come */
    uint64_t from_last;           /* the cursor when it began (for the log) */
    feed_snap_item_t *items;
    uint32_t n, cap;
    uint32_t end_count;           /* SnapshotEnd.count of a snapshot short of items (its log) */
    arena_t *arena;               /* the decoded snapshot items */
    bool too_big;                 /* the snapshot outgrew opts.snapshot_max */
    uint64_t snap_epoch, snap_seq;/* of the SnapshotEnd, inside the transaction */
    /* by buyer (feed_rebuild_buyer.c): the encoded items of the buyer under way */
    uint8_t *gbuf;                /* records [u32 topic len][topic][u32 len][envelope] */
    size_t glen, gcap;
    uint32_t gn;                  /* items in gbuf */
    uint32_t total;               /* items of this snapshot applied so far */
    uint32_t nbuyers;             /* buyers applied so far */
    uint64_t bytes, peak;         /* encoded bytes applied, and the most held at once */
    char cur_buyer[FEED_BUYER_MAX];  /* "" = no buyer under way */
    char done_buyer[FEED_BUYER_MAX]; /* the last one applied or reset ("" = none yet) */
    char absent[FEED_BUYER_MAX];  /* out of a reset-absent transaction */
    int fail;                     /* a named failure of this stream (-EFBIG, -EPROTO, ...) */
    char fail_buyer[FEED_BUYER_MAX];
    arena_t *scratch;             /* one decoded item at a time */
} feed_rebuild_t;

struct feed_t {
    uv_loop_t *loop;
    store_t *store;
    inbox_t *inbox;
    feed_opts_t opts;
    char *producer;
    bus_sock_t *sub;
    bus_sock_t *dealer;
    bus_sock_t *mon;              /* the DEALER's connections (bus_monitor.h) */
    bool connected;               /* the DEALER had its first connection */
    uv_timer_t timer;
    bool timer_started;
    uv_timer_t linger;
    bool linger_armed;
    uint32_t last_batch;          /* events in the last live batch: is the producer busy? */
    int closing;                  /* timers still closing in feed_destroy */

    uint64_t epoch, last, fp;     /* committed cursor and the fingerprint of its event */
    uint64_t w_epoch, w_last, w_fp; /* working cursor inside a transaction */
    item_t *w_fp_item;            /* w_fp is this item's, not computed yet (feed_w_fp) */
    uint64_t head_seen;
    uint64_t incarnation;         /* the producer's, from its heartbeats (0 = none yet) */
    bool need_replay;             /* set inside a batch: a gap or a head beyond us */
    bool went_back;               /* set inside a batch: the event at the cursor differs */
    bool replay_inflight;
    uint64_t replay_sent_ms;
    uint32_t apply_failures;      /* batches refused in a row, not by the store (feed.c) */
    uint64_t apply_retry_ms;      /* no replay before this: the refusal's backoff */
    uint64_t replay_cursor;       /* our cursor when the last replay was asked ... */
    char replay_rid[FEED_RID_MAX];/* ... and its request id */
    uint64_t last_heard_ms;       /* last message, or last probe sent into the silence */
    uint64_t heard_ms;            /* last message from the producer (readiness) */
    bool caught_up;
    unsigned reqno;               /* replays asked so far: the last one's number */
    unsigned synced;              /* the last replay of ours that ended with all applied */
    bool sync_wanted;             /* feed_sync: ask one more once the one in flight ends */

    item_t *items;
    uint32_t nitems, cap;
    arena_t *arena;               /* the decoded events of the batch (reset with it) */
    feed_stats_t stats, w_stats;
    feed_rebuild_t rb;
};

/* ---- feed.c, for feed_rebuild.c */
uint64_t feed_now_ms(feed_t *self);
/* Ask the producer for events from the cursor (the cursor's own event is asked too: its
 * fingerprint shows whether the producer still has the history we applied). */
void feed_request_replay(feed_t *self);
/* 64-bit FNV-1a of an event's bytes: the same bytes on the PUB and in a replay. */
uint64_t feed_fingerprint(const void *data, size_t len);

/* ---- feed_rebuild.c */
/* A two-frame message on the DEALER while a rebuild is under way: a snapshot item of ours
 * is kept, anything else (a late replay) dropped. */
void feed_rebuild_take(feed_t *self, bus_msg_t *msg);
/* A single-frame reply on the DEALER: true when it belonged to the rebuild (SnapshotEnd
 * or an error to the snapshot request) and was handled. */
bool feed_rebuild_reply(feed_t *self, const Mvoi__Envelope *env);
/* The timer: send the snapshot request, or ask again after a silence. */
void feed_rebuild_tick(feed_t *self);
/* A snapshot request out died with the producer (why: "restarted", a heartbeat of another
 * incarnation) or with the connection that carried it (why: "reconnected"): asked again
 * now. */
void feed_rebuild_reask(feed_t *self, const char *why);
void feed_rebuild_free(feed_t *self);
/* The rebuild's end, whatever its mode: the cursor is (snap_epoch, snap_seq) on disk. */
void feed_rebuild_done(feed_t *self, uint32_t items);
/* Say a failed snapshot by name (log rebuild_failed, stat), to be asked again. */
void feed_rebuild_failed(feed_t *self, int code, const char *buyer);

/* ---- feed_rebuild_buyer.c (opts.reset_buyer set) */
bool feed_rbb_enabled(const feed_t *self);
/* One snapshot item of ours, still encoded (data, len) and decoded (env, in rb.scratch). */
void feed_rbb_take(feed_t *self, const char *topic, size_t tlen, const Mvoi__Envelope *env,
                   const void *data, size_t len);
/* The SnapshotEnd: apply what is left, reset absent buyers, move the cursor; a stream short
 * of the items end counts fails (EBADMSG) and is asked again. */
void feed_rbb_finish(feed_t *self, const Mvoi__SnapshotEnd *end);
void feed_rbb_drop(feed_t *self);
void feed_rbb_free(feed_t *self);

#endif
