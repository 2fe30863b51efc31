/*  retention_fx: a producer's server on its own loop, store (nosync) and outbox, for the
 *  tests of the retention passes (test_server_trim.c, test_server_expire.c). Each
 *  uv_run(&fx.loop, UV_RUN_NOWAIT) is one loop turn. */
#ifndef MVOI_RETENTION_FX_H
#define MVOI_RETENTION_FX_H

#include "outbox.h"
#include "server.h"
#include "store.h"

typedef struct {
    char dir[64];
    uv_loop_t loop;
    bus_ctx_t *ctx;
    store_t *store;
    outbox_t *ob;
    server_t *srv;
} rfx_t;

/* The store and its outbox (producer `name`); the server comes with rfx_serve. */
void rfx_open(rfx_t *fx, const char *name);
/* The server with o's retention settings; name, endpoints, store, outbox and bus options
 * are the fixture's. */
void rfx_serve(rfx_t *fx, server_opts_t o);
void rfx_close(rfx_t *fx);
/* CLOCK_MONOTONIC in ms, for the rates the tests print. */
double rfx_now_ms(void);

#endif
