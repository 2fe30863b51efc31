/*  feed_fx: the fixture of test_feed (test_feed.c, test_feed_snapshot.c): a real LMDB in a
 *  temp dir, the feed on the loop, and a fake producer driven by the test (a raw PUB and
 *  ROUTER on inproc:// holding a log of events 1..head of one epoch), with the consumer's
 *  record of what was applied. */
#ifndef MVOI_FEED_FX_H
#define MVOI_FEED_FX_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <zmq.h>

#include "bus.h"
#include "feed.h"
#include "inbox.h"
#include "store.h"

#define F_API "inproc://test-feed-api"
#define F_PUB "inproc://test-feed-pub"
#define F_MAX 64

typedef struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    inbox_t *inbox;
    feed_t *feed;
    MDB_dbi data;
    /* the fake producer */
    void *pub, *router;
    char api[64];                 /* where the router is bound (F_API unless a test moves it) */
    uint64_t epoch, head;
    bool answer;                  /* answers ReplayRequests */
    int nreplays;
    uint64_t replay_from[F_MAX];
    /* the consumer: what was applied and committed, in order */
    uint64_t applied[F_MAX], applied_epoch[F_MAX];
    int napplied;
    uint64_t pending[F_MAX], pending_epoch[F_MAX];
    int npending;
    int apply_calls;
    bool fail_apply;
    int resets;
    uint64_t reset_old, reset_new;
    uint8_t gen;                  /* >0: the producer's history after a restore (other bytes) */
    int nsnapshots;               /* SnapshotRequests served */
    bool snap_silent;             /* SnapshotRequests go unanswered (a producer that dies) */
    int snap_asked;               /* SnapshotRequests received */
    bool snap_drop_once;          /* the next snapshot loses its item 2 on the way */
} tf_t;

/* The fixture's one state (tests run one at a time in their own process). */
extern tf_t F;

typedef bool (tf_cond_fn)(void);
void tf_caught_up_and_live(void);
bool tf_caught_up(void);
void tf_cursor(uint64_t *epoch, uint64_t *seq);
void tf_feed_start(uint32_t replay_batch, uint32_t stall_ms);
void tf_heartbeat_inc(uint64_t epoch, uint64_t head, uint64_t incarnation);
void tf_heartbeat(uint64_t epoch, uint64_t head);
uint64_t tf_ms(void);
size_t tf_pack_event(uint8_t *buf, size_t cap, uint64_t epoch, uint64_t seq);
void tf_publish(uint64_t seq);
void tf_start(uint64_t epoch, uint64_t head);
void tf_stop(void);
bool tf_until(tf_cond_fn *cond, int timeout_ms);
void tf_wait_applied(uint64_t n);
/* 64-bit FNV-1a, written out independently of feed.c (the cursors' fingerprint). */
uint64_t tf_fnv1a(const uint8_t *p, size_t n);

#endif
