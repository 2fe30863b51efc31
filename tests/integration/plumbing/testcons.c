/*  mvoi-testcons: the consumer used only by the plumbing tests.
 *
 *  Follows mvoi-testprod through a feed. Applying a TestEvent increments a counter under
 *  key n in db "applied" in the same transaction as the inbox cursor, so the test can read
 *  the LMDB file afterwards and check that every n was applied exactly once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "inbox.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "store.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7603", "ROUTER endpoint (health)" },
    { "producer_api", CFG_ENDPOINT, "tcp://127.0.0.1:7601", "producer ROUTER" },
    { "producer_pub", CFG_ENDPOINT, "tcp://127.0.0.1:7602", "producer PUB" },
    { "nosync", CFG_BOOL, "false", "LMDB without fsync (benchmarks only)" },
    { "linger_ms", CFG_INT, "0", "gather live events up to this long per commit", 0, 60000 },
    { "stall_ms", CFG_INT, "1000", "re-ask a replay after this silence", 100, 600000 },
};

typedef struct {
    service_t *svc;
    store_t *store;
    inbox_t *inbox;
    feed_t *feed;
    server_t *server;
    MDB_dbi applied;
} cons_t;

static int s_apply(void *arg, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    cons_t *c = arg;
    if (ev->body_case != MVOI__ENVELOPE__BODY_TEST_EVENT)
        return 0;
    uint8_t key[8];
    store_be64(key, ev->test_event->n);
    MDB_val k = { 8, key }, v;
    uint32_t count = 0;
    int rc = mdb_get(txn, c->applied, &k, &v);
    if (rc == 0 && v.mv_size == 4)
        count = store_get_be32(v.mv_data);
    else if (rc != MDB_NOTFOUND && rc != 0)
        return rc;
    uint8_t val[4];
    store_be32(val, count + 1);
    v.mv_size = 4;
    v.mv_data = val;
    return store_put(txn, c->applied, &k, &v, 0);
}

/* The producer was wiped: what we derived from its old epoch is void. */
static int s_reset(void *arg, MDB_txn *txn, const char *producer, uint64_t old_epoch,
                   uint64_t new_epoch)
{
    cons_t *c = arg;
    return store_drop(txn, c->applied, 0);
}

static void s_stop(void *arg)
{
    cons_t *c = arg;
    feed_destroy(&c->feed);
    server_destroy(&c->server);
}

int main(int argc, char **argv)
{
    static const service_def_t def = {
        "testcons", "test consumer for the plumbing tests", s_config,
        sizeof s_config / sizeof s_config[0] };
    cons_t c = { 0 };
    int rc = service_init(&c.svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(c.svc);
    char path[4096];
    snprintf(path, sizeof path, "%s/testcons", cfg_str(cfg, "data_dir"));
    static const char *const dbs[] = { INBOX_DBS, SERVER_DBS, "applied", NULL };
    store_opts_t so = { .path = path, .dbs = dbs, .nosync = cfg_bool(cfg, "nosync") };
    int err = 0;
    c.store = store_new(&so, &err);
    c.inbox = c.store ? inbox_new(c.store, &err) : NULL;
    if (!c.inbox) {
        log_error("start_failed", "cannot open the store: %s", strerror(-err));
        return 1;
    }
    c.applied = store_dbi(c.store, "applied");
    server_opts_t so2 = { .name = "testcons", .api_endpoint = cfg_str(cfg, "api"),
                          .store = c.store, .arg = &c };
    c.server = server_new(service_loop(c.svc), service_bus(c.svc), &so2, &err);
    feed_opts_t fo = { .producer = "testprod", .pub_endpoint = cfg_str(cfg, "producer_pub"),
                       .api_endpoint = cfg_str(cfg, "producer_api"), .apply = s_apply,
                       .reset = s_reset, .arg = &c,
                       .stall_ms = (uint32_t)cfg_int(cfg, "stall_ms"),
                       .linger_ms = (uint32_t)cfg_int(cfg, "linger_ms") };
    c.feed = c.server ? feed_new(service_loop(c.svc), service_bus(c.svc), c.store, c.inbox,
                                 &fo, &err)
                      : NULL;
    if (!c.feed) {
        log_error("start_failed", "cannot start: %s", strerror(-err));
        return 1;
    }
    service_on_stop(c.svc, s_stop, &c);
    rc = service_run(c.svc);
    inbox_destroy(&c.inbox);
    store_destroy(&c.store);
    service_destroy(&c.svc);
    return rc;
}
