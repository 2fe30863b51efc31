/*  mvoi-kpi-testprod: plays "calendar" or "impact" for the kpi-aggregator tests.
 *
 *  A real producer on the common plumbing (outbox, ROUTER replay, PUB, heartbeats) whose
 *  producer name is its role. It emits the role's events of the seeded workload
 *  (kpi_workload.h) at `rate` per second in group-committed batches; after a restart it
 *  continues from its outbox head (event i has seq i+1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_workload.h"
#include "log.h"
#include "outbox.h"
#include "server.h"
#include "service.h"
#include "store.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7611", "ROUTER endpoint (replay)" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7612", "PUB endpoint (events)" },
    { "role", CFG_STRING, "impact", "calendar or impact" },
    { "seed", CFG_INT, "1", "workload seed", 0, 0 },
    { "tenders", CFG_INT, "240", "tenders in the workload", 1, 9999 },
    { "measurements", CFG_INT, "100000", "measurements in the workload", 0, 900000 },
    { "rate", CFG_INT, "20000", "events per second", 1, 10000000 },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync" },
};

typedef struct {
    service_t *svc;
    store_t *store;
    outbox_t *outbox;
    server_t *server;
    uv_timer_t timer;
    wl_t *wl;
    bool impact;
    size_t total, per_tick, n;
} prod_t;

static int s_emit_txn(MDB_txn *txn, void *arg)
{
    prod_t *p = arg;
    size_t i = (size_t)outbox_head(p->outbox);
    size_t end = i + p->n;
    for (; i < end; i++) {
        static wl_env_t e;
        if (p->impact)
            wl_impact_env(p->wl, i, &e);
        else
            wl_calendar_env(p->wl, i, &e);
        const char *topic = p->impact ? "impact.computed" : "tender.updated";
        int rc = outbox_append(p->outbox, txn, topic, &e.env, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void s_on_timer(uv_timer_t *t)
{
    prod_t *p = t->data;
    size_t head = (size_t)outbox_head(p->outbox);
    if (head >= p->total || service_stopping(p->svc)) {
        uv_timer_stop(t);
        return;
    }
    p->n = p->total - head < p->per_tick ? p->total - head : p->per_tick;
    int rc = store_write(p->store, s_emit_txn, p);
    if (rc != 0)
        log_error("emit_failed", "emitting failed: %d", rc);
}

static void s_stop(void *arg)
{
    prod_t *p = arg;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, NULL);
    server_destroy(&p->server);
}

int main(int argc, char **argv)
{
    static const service_def_t def = { "kpi-testprod", "calendar/impact stand-in for tests",
                                       s_config, sizeof s_config / sizeof s_config[0] };
    prod_t p = { 0 };
    int rc = service_init(&p.svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(p.svc);
    const char *role = cfg_str(cfg, "role");
    p.impact = strcmp(role, "impact") == 0;
    if (!p.impact && strcmp(role, "calendar") != 0) {
        log_error("bad_config", "role must be calendar or impact");
        return SERVICE_EX_CONFIG;
    }
    p.wl = wl_new((uint64_t)cfg_int(cfg, "seed"), (uint32_t)cfg_int(cfg, "tenders"),
                  (uint32_t)cfg_int(cfg, "measurements"));
    p.total = p.impact ? p.wl->niev : p.wl->ntev;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cfg_str(cfg, "data_dir"), role);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, NULL };
    store_opts_t so = { .path = path, .dbs = dbs, .nosync = cfg_bool(cfg, "nosync") };
    int err = 0;
    p.store = store_new(&so, &err);
    p.outbox = p.store ? outbox_new(p.store, role, &err) : NULL;
    server_opts_t o = { .name = role, .api_endpoint = cfg_str(cfg, "api"),
                        .pub_endpoint = cfg_str(cfg, "pub"), .store = p.store,
                        .outbox = p.outbox, .arg = &p, .heartbeat_ms = 200 };
    p.server = p.outbox ? server_new(service_loop(p.svc), service_bus(p.svc), &o, &err) : NULL;
    if (!p.server) {
        log_error("start_failed", "cannot start: %s", strerror(-err));
        return 1;
    }
    p.per_tick = (size_t)cfg_int(cfg, "rate") / 100;
    if (p.per_tick < 1)
        p.per_tick = 1;
    uv_timer_init(service_loop(p.svc), &p.timer);
    p.timer.data = &p;
    uv_timer_start(&p.timer, s_on_timer, 10, 10);
    service_on_stop(p.svc, s_stop, &p);
    rc = service_run(p.svc);
    outbox_destroy(&p.outbox);
    store_destroy(&p.store);
    wl_destroy(&p.wl);
    service_destroy(&p.svc);
    return rc;
}
