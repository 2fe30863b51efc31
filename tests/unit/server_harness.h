/*  server_harness: one common/server.c under test, in process, for test_server*.c.
 *
 *  A real LMDB in a temp dir, the server on inproc:// endpoints, the test as a raw ZeroMQ
 *  DEALER and SUB on the same context, the loop turned by hand. Its one route is
 *  TestCommand{count}: writes "cmd:<request id>" into the "data" table and appends `count`
 *  TestEvents, answering an Ack with the seq of the last one; count SH_INVALID is refused
 *  (validation), SH_STORAGE_FAILURE fails as LMDB would. Request ids enc* answer the Ack
 *  given packed, encbad* an encoded Ack then a refusal. Its prep (server_prep_fn) leaves
 *  count x 3 and its thread, which the handler counts in SH.prepped and .prepped_off_loop. */
#ifndef MVOI_TEST_SERVER_HARNESS_H
#define MVOI_TEST_SERVER_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "outbox.h"
#include "server.h"
#include "store.h"

#define SH_API "inproc://test-server-api"
#define SH_PUB "inproc://test-server-pub"
#define SH_STORAGE_FAILURE 99   /* TestCommand.count that makes the handler fail on storage */
#define SH_INVALID 98           /* ... that makes it refuse the command (validation) */
#define SH_SLOW_PREP 97         /* ... whose prep sleeps 200 ms (a stop while it runs) */

typedef enum {
    SH_NOSYNC,     /* no flush at all: the tests of what is answered and published when */
    SH_OFFLOOP,    /* nometasync store, the flush on a worker (flush_offloop) */
    SH_WAL         /* WAL store (two flush lanes) + flush_offloop */
} sh_mode_t;

typedef struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    outbox_t *ob;
    server_t *srv;
    void *dealer, *sub;
    MDB_dbi data;
    int calls;                  /* handler runs (a rerun counts again) */
    bool ready;                 /* what ready_fn answers */
    /* Seen at every commit (store hook): was a reply already waiting, what was published. */
    int commits;
    bool reply_before_commit;
    uint64_t published_at_commit;
    pthread_t loop_thread;
    int prepped;                /* handler runs that found their prep's result */
    int prepped_off_loop;       /* ... computed on another thread than the loop's */
} sh_t;

/* The one server under test (a test binary runs one test at a time). */
extern sh_t SH;

/* A message as received: its parts, the topic of a [topic][envelope] event, the envelope
 * decoded (NULL when it is not one) and its bytes. */
typedef struct {
    int n;
    char topic[256];
    Mvoi__Envelope *env;
    uint8_t raw[4096];
    size_t rawlen;
} sh_msg_t;

/* server_opts_t.publish_batch, .stage_bytes and .batch of the next sh_start (0: each event
 * alone, no stage, the default batch). */
extern uint32_t sh_publish_batch, sh_stage_bytes, sh_batch;
/* server_opts_t.buyers of the next sh_start (NULL: every buyer served). */
extern const mvoi_buyers_t *sh_buyers;
void sh_start(uint32_t heartbeat_ms, sh_mode_t mode);
void sh_stop(void);
uint64_t sh_ms(void);
void sh_msg_free(sh_msg_t *m);
/* Turn the loop until sock has a whole message (or timeout_ms passed): false on timeout. */
bool sh_recv(void *sock, sh_msg_t *m, int timeout_ms);
void sh_send_env(Mvoi__Envelope *env);
/* A TestCommand{count} as buyer heerlen with request id rid. */
void sh_command(const char *rid, uint64_t count);
/* The next reply on the DEALER (3 s), an envelope, or the test fails. */
void sh_reply(sh_msg_t *m);
/* Health round trip: the DEALER's and the SUB's pipes are attached afterwards. */
Mvoi__HealthReply sh_health(void);
void sh_settle(void);
/* Rows in the "data" table, read in a transaction of its own. */
int sh_data_count(void);
/* Every event on the SUB until quiet_ms of silence; their seqs into seqs (heartbeats
 * skipped); how many. */
int sh_drain_pub(uint64_t *seqs, int max, int quiet_ms);
/* Something is waiting on sock, now. */
bool sh_pending(void *sock);
/* Turn the loop until a commit after `before` (SH.commits); fails after 100,000 turns. */
void sh_until_commit(int before);
void sh_turn(int n);

#endif
