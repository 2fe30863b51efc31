/*  retention_fx: see retention_fx.h. */
#include "retention_fx.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <time.h>

#include "mvoi_error.h"
#include "unit_tmp.h"

static char s_name[32], s_api[64], s_pub[64];

void rfx_open(rfx_t *fx, const char *name)
{
    ut_tmpdir(fx->dir, sizeof fx->dir, name);
    cr_assert_eq(uv_loop_init(&fx->loop), 0);
    fx->ctx = bus_ctx_new();
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t so = { .path = fx->dir, .dbs = dbs, .nosync = true };
    int err = 0;
    fx->store = store_new(&so, &err);
    cr_assert_not_null(fx->store, "%s", mvoi_strerror(err));
    snprintf(s_name, sizeof s_name, "%sprod", name);
    fx->ob = outbox_new(fx->store, s_name, &err);
    cr_assert_not_null(fx->ob, "%s", mvoi_strerror(err));
    fx->srv = NULL;
}

void rfx_serve(rfx_t *fx, server_opts_t o)
{
    static bus_opts_t bo;
    bus_opts_default(&bo);
    bo.linger_ms = 0;
    snprintf(s_api, sizeof s_api, "inproc://%s-api", s_name);
    snprintf(s_pub, sizeof s_pub, "inproc://%s-pub", s_name);
    o.name = s_name;
    o.api_endpoint = s_api;
    o.pub_endpoint = s_pub;
    o.store = fx->store;
    o.outbox = fx->ob;
    o.bus_opts = &bo;
    int err = 0;
    fx->srv = server_new(&fx->loop, fx->ctx, &o, &err);
    cr_assert_not_null(fx->srv, "%s", mvoi_strerror(err));
}

void rfx_close(rfx_t *fx)
{
    server_destroy(&fx->srv);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    bus_ctx_destroy(&fx->ctx);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&fx->loop), 0);
    outbox_destroy(&fx->ob);
    store_destroy(&fx->store);
    ut_tmpdir_remove(fx->dir);
}

double rfx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
