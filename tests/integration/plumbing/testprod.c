/*  mvoi-testprod: the producer used only by the plumbing tests.
 *
 *  A real service on the common plumbing: ROUTER API (TestCommand appends `count`
 *  TestEvents and answers with the last seq, after commit), outbox, PUB stream,
 *  heartbeats. With emit_total > 0 it also emits events by itself at emit_rate per second,
 *  in group-committed batches, so that tests can kill consumers in the middle of a stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbox.h"
#include "server.h"
#include "service.h"
#include "store.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7601", "ROUTER endpoint (commands, replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7602", "PUB endpoint (events)" },
    { "emit_total", CFG_INT, "0", "events to emit by itself", 0, 100000000 },
    { "emit_rate", CFG_INT, "20000", "self-emitted events per second", 1, 10000000 },
    { "payload", CFG_INT, "16", "payload bytes per self-emitted event", 0, 65536 },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync (benchmarks only)" },
    { "retain_events", CFG_INT, "0", "outbox retention (0 = keep all)", 0, 1000000000 },
    { "request_ttl_s", CFG_INT, "604800", "stored replies kept this long", 1, 100000000 },
    { "maintenance_ms", CFG_INT, "60000", "retention pass period", 10, 86400000 },
    { "trim_max", CFG_INT, "0", "events a retention pass removes at most (0 = default)", 0,
      100000000 },
};

typedef struct {
    service_t *svc;
    store_t *store;
    outbox_t *outbox;
    server_t *server;
    uv_timer_t emit;
    int64_t emit_left;
    int64_t per_tick;
    size_t payload;
    uint8_t *buf;
} prod_t;

typedef struct {
    prod_t *p;
    uint64_t count;
    size_t payload;
    uint64_t last;
    server_req_t *req;
} emit_t;

static int s_emit_n(prod_t *p, MDB_txn *txn, server_req_t *req, uint64_t count,
                    size_t payload, uint64_t *last)
{
    for (uint64_t i = 0; i < count; i++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_n = true;
        /* n is the seq this event gets: the tests check the applied set against 1..N. */
        te.n = outbox_next_seq(p->outbox);
        te.has_payload = true;
        te.payload.len = payload;
        te.payload.data = p->buf;
        Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
        ev.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;
        ev.test_event = &te;
        int rc = req ? server_emit(req, txn, "test.event", &ev, last)
                     : outbox_append(p->outbox, txn, "test.event", &ev, last);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int s_emit_txn(MDB_txn *txn, void *arg)
{
    emit_t *e = arg;
    return s_emit_n(e->p, txn, NULL, e->count, e->payload, &e->last);
}

static void s_on_emit(uv_timer_t *t)
{
    prod_t *p = t->data;
    if (p->emit_left <= 0 || service_stopping(p->svc)) {
        uv_timer_stop(t);
        return;
    }
    emit_t e = { p, (uint64_t)(p->emit_left < p->per_tick ? p->emit_left : p->per_tick),
                 p->payload, 0, NULL };
    int rc = store_write(p->store, s_emit_txn, &e);
    if (rc != 0) {
        log_error("emit_failed", "emitting failed: %d", rc);
        return;
    }
    p->emit_left -= (int64_t)e.count;
}

static int s_on_command(void *arg, server_req_t *req, MDB_txn *txn)
{
    prod_t *p = arg;
    const Mvoi__TestCommand *c = server_request(req)->test_command;
    if (!c->has_count || c->count == 0 || c->count > 100000)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "test_command.count", "must be between 1 and 100000");
    if (c->payload_size > 65536)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "test_command.payload_size", "must be at most 65536");
    uint64_t last = 0;
    int rc = s_emit_n(p, txn, req, c->count, c->payload_size, &last);
    if (rc != 0)
        return rc;
    Mvoi__Ack *ack = server_alloc(req, sizeof *ack);
    if (!ack)
        return -ENOMEM;
    mvoi__ack__init(ack);
    ack->has_seq = true;
    ack->seq = last;
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_ACK;
    r->ack = ack;
    return 0;
}

static void s_stop(void *arg)
{
    prod_t *p = arg;
    uv_timer_stop(&p->emit);
    uv_close((uv_handle_t *)&p->emit, NULL);
    server_destroy(&p->server);
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_TEST_COMMAND, SERVER_COMMAND, s_on_command },
};

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "testprod", "test producer for the plumbing tests", s_config,
        sizeof s_config / sizeof s_config[0] };
    prod_t p = { 0 };
    int rc = service_init(&p.svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(p.svc);
    char path[4096];
    snprintf(path, sizeof path, "%s/testprod", cfg_str(cfg, "data_dir"));
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t so = { .path = path, .dbs = dbs, .nosync = cfg_bool(cfg, "nosync") };
    int err = 0;
    p.store = store_new(&so, &err);
    p.outbox = p.store ? outbox_new(p.store, "testprod", &err) : NULL;
    p.payload = (size_t)cfg_int(cfg, "payload");
    p.buf = calloc(1, 65536);
    server_opts_t o = {
        .name = "testprod", .api_endpoint = cfg_str(cfg, "api"),
        .pub_endpoint = cfg_str(cfg, "pub"), .store = p.store, .outbox = p.outbox,
        .routes = s_routes, .nroutes = 1, .arg = &p, .heartbeat_ms = 200,
        .retain_events = (uint64_t)cfg_int(cfg, "retain_events"),
        .request_ttl_s = (uint32_t)cfg_int(cfg, "request_ttl_s"),
        .maintenance_ms = (uint32_t)cfg_int(cfg, "maintenance_ms"),
        .trim_max = (uint32_t)cfg_int(cfg, "trim_max"),
    };
    p.server = p.outbox ? server_new(service_loop(p.svc), service_bus(p.svc), &o, &err)
                        : NULL;
    if (!p.server) {
        log_error("start_failed", "cannot start: %s", strerror(-err));
        return 1;
    }
    p.emit_left = cfg_int(cfg, "emit_total");
    p.per_tick = cfg_int(cfg, "emit_rate") / 100;
    if (p.per_tick < 1)
        p.per_tick = 1;
    uv_timer_init(service_loop(p.svc), &p.emit);
    p.emit.data = &p;
    uv_timer_start(&p.emit, s_on_emit, 10, 10);
    service_on_stop(p.svc, s_stop, &p);
    log_info("started", "testprod on %s / %s, head %llu", server_api_endpoint(p.server),
             server_pub_endpoint(p.server), (unsigned long long)outbox_head(p.outbox));
    rc = service_run(p.svc);
    outbox_destroy(&p.outbox);
    store_destroy(&p.store);
    free(p.buf);
    service_destroy(&p.svc);
    return rc;
}
