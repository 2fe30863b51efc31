/*  mvoi-impact-fakecal: a tiny stand-in for the calendar, for the impact-calculator's tests.
 *
 *  An outbox producer named "calendar" on the common plumbing (ROUTER with replay, PUB with
 *  heartbeats), so the impact-calculator's feed cannot tell it from the real one. It knows
 *  two commands: RegisterTender (stores the tender, emits tender.registered with the whole
 *  tender) and CancelTender (status cancelled, emits tender.cancelled). On a fresh store it
 *  registers the tenders of MVOI_FAKECAL_TENDERS by itself:
 *    "ID|GROUP|VALUE_CENTS|SROI_BP;ID|GROUP|..."   (buyer: MVOI_FAKECAL_BUYER, default heerlen)
 *  The SROI obligation is derived like the calendar does: value x bp / 10000.
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
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "ROUTER endpoint" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "PUB endpoint" },
    { "tenders", CFG_STRING, "", "tenders to register on a fresh store: ID|GROUP|VALUE|BP;..." },
    { "buyer", CFG_STRING, "heerlen", "buyer of the tenders from `tenders`" },
    { "heartbeat_ms", CFG_INT, "200", "heartbeat interval", 10, 60000 },
};

typedef struct {
    store_t *store;
    outbox_t *outbox;
    server_t *server;
    MDB_dbi tenders;
} fake_t;

static int s_emit(fake_t *f, server_req_t *req, MDB_txn *txn, Mvoi__Tender *t,
                  Mvoi__TenderEventKind kind, uint64_t *seq)
{
    Mvoi__TenderEvent te = MVOI__TENDER_EVENT__INIT;
    te.has_kind = 1;
    te.kind = kind;
    te.tender = t;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    ev.tender_event = &te;
    ev.buyer = t->buyer;
    const char *topic = kind == MVOI__TENDER_EVENT_KIND__TEV_CANCELLED ? "tender.cancelled"
                                                                      : "tender.registered";
    size_t kl = strlen(t->buyer) + 1 + strlen(t->id);
    char key[512];
    if (kl >= sizeof key)
        return -EINVAL;
    memcpy(key, t->buyer, strlen(t->buyer) + 1);
    memcpy(key + strlen(t->buyer) + 1, t->id, strlen(t->id));
    MDB_val k = { kl, key }, v = { mvoi__tender__get_packed_size(t), NULL };
    int rc = store_put(txn, f->tenders, &k, &v, MDB_RESERVE);
    if (rc != 0)
        return rc;
    mvoi__tender__pack(t, v.mv_data);
    return req ? server_emit(req, txn, topic, &ev, seq)
               : outbox_append(f->outbox, txn, topic, &ev, seq);
}

static void s_derive(Mvoi__Tender *t)
{
    if (t->has_value_cents && t->has_sroi_pct_bp) {
        t->has_sroi_obligation_cents = 1;
        t->sroi_obligation_cents = t->value_cents * (int64_t)t->sroi_pct_bp / 10000;
    }
    if (!t->has_status) {
        t->has_status = 1;
        t->status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    }
}

static int s_ack(server_req_t *req, uint64_t seq)
{
    Mvoi__Ack *ack = server_alloc(req, sizeof *ack);
    if (!ack)
        return -ENOMEM;
    mvoi__ack__init(ack);
    ack->has_seq = 1;
    ack->seq = seq;
    Mvoi__Envelope *r = server_reply(req);
    r->body_case = MVOI__ENVELOPE__BODY_ACK;
    r->ack = ack;
    return 0;
}

static int s_on_register(void *arg, server_req_t *req, MDB_txn *txn)
{
    fake_t *f = arg;
    const Mvoi__Envelope *e = server_request(req);
    Mvoi__Tender *in = e->register_tender->tender;
    if (!in || !in->id || !*in->id)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                            "register_tender.tender.id", "missing");
    Mvoi__Tender t = *in;
    if (!t.buyer || !*t.buyer)
        t.buyer = e->buyer ? e->buyer : "heerlen";
    s_derive(&t);
    uint64_t seq = 0;
    int rc = s_emit(f, req, txn, &t, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED, &seq);
    return rc ? rc : s_ack(req, seq);
}

static int s_on_cancel(void *arg, server_req_t *req, MDB_txn *txn)
{
    fake_t *f = arg;
    const Mvoi__Envelope *e = server_request(req);
    const char *buyer = e->buyer ? e->buyer : "heerlen";
    const char *id = e->cancel_tender->tender_id ? e->cancel_tender->tender_id : "";
    char key[512];
    size_t kl = strlen(buyer) + 1 + strlen(id);
    if (kl >= sizeof key)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "cancel_tender", "long");
    memcpy(key, buyer, strlen(buyer) + 1);
    memcpy(key + strlen(buyer) + 1, id, strlen(id));
    MDB_val k = { kl, key }, v;
    if (mdb_get(txn, f->tenders, &k, &v) != 0)
        return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "cancel_tender.tender_id",
                            "unknown");
    Mvoi__Tender *t = mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
    if (!t)
        return -EIO;
    t->has_status = 1;
    t->status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    uint64_t seq = 0;
    int rc = s_emit(f, req, txn, t, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED, &seq);
    mvoi__tender__free_unpacked(t, NULL);
    return rc ? rc : s_ack(req, seq);
}

typedef struct {
    fake_t *f;
    const char *spec;
    const char *buyer;
} s_init_t;

/* "ID|GROUP|VALUE|BP;..." */
static int s_initial(MDB_txn *txn, void *arg)
{
    s_init_t *in = arg;
    char *copy = strdup(in->spec), *save = NULL;
    if (!copy)
        return -ENOMEM;
    int rc = 0;
    for (char *item = strtok_r(copy, ";", &save); item && rc == 0;
         item = strtok_r(NULL, ";", &save)) {
        char *fields[4] = { 0 };
        int n = 0;
        for (char *p = item; n < 4; n++) {
            fields[n] = p;
            char *bar = strchr(p, '|');
            if (!bar) {
                n++;
                break;
            }
            *bar = 0;
            p = bar + 1;
        }
        Mvoi__Tender t = MVOI__TENDER__INIT;
        t.id = fields[0];
        t.buyer = (char *)in->buyer;
        t.title = fields[0];
        t.purchasing_group = n > 1 ? fields[1] : NULL;
        if (n > 2 && *fields[2]) {
            t.has_value_cents = 1;
            t.value_cents = atoll(fields[2]);
        }
        if (n > 3 && *fields[3]) {
            t.has_sroi_pct_bp = 1;
            t.sroi_pct_bp = (uint32_t)atol(fields[3]);
        }
        s_derive(&t);
        uint64_t seq;
        rc = s_emit(in->f, NULL, txn, &t, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED, &seq);
    }
    free(copy);
    return rc;
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_REGISTER_TENDER, SERVER_COMMAND, s_on_register },
    { MVOI__ENVELOPE__BODY_CANCEL_TENDER, SERVER_COMMAND, s_on_cancel },
};

static void s_stop(void *arg)
{
    fake_t *f = arg;
    server_destroy(&f->server);
}

int main(int argc, char **argv)
{
    static const service_def_t def = { "fakecal", "fake calendar for the impact tests",
                                       s_config, sizeof s_config / sizeof s_config[0] };
    service_t *svc = NULL;
    int rc = service_init(&svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(svc);
    fake_t f = { 0 };
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, "tenders", NULL };
    store_opts_t so = { .path = service_data_dir(svc), .dbs = dbs };
    int err = 0;
    f.store = store_new(&so, &err);
    f.outbox = f.store ? outbox_new(f.store, "calendar", &err) : NULL;
    if (!f.outbox) {
        log_error("start_failed", "store: %s", strerror(-err));
        return 1;
    }
    f.tenders = store_dbi(f.store, "tenders");
    const char *spec = cfg_str(cfg, "tenders");
    if (store_created(f.store) && spec && *spec) {
        s_init_t in = { &f, spec, cfg_str(cfg, "buyer") };
        if ((rc = store_write(f.store, s_initial, &in)) != 0) {
            log_error("start_failed", "initial tenders: %d", rc);
            return 1;
        }
    }
    server_opts_t o = { .name = "calendar", .api_endpoint = cfg_str(cfg, "api"),
                        .pub_endpoint = cfg_str(cfg, "pub"), .store = f.store,
                        .outbox = f.outbox, .routes = s_routes, .nroutes = 2, .arg = &f,
                        .heartbeat_ms = (uint32_t)cfg_int(cfg, "heartbeat_ms") };
    f.server = server_new(service_loop(svc), service_bus(svc), &o, &err);
    if (!f.server) {
        log_error("start_failed", "server: %s", strerror(-err));
        return 1;
    }
    server_set_ready(f.server, true);
    service_on_stop(svc, s_stop, &f);
    rc = service_run(svc);
    outbox_destroy(&f.outbox);
    store_destroy(&f.store);
    service_destroy(&svc);
    return rc;
}
