/*  mvoi-fakecal: a stand-in for the calendar in the notifier's integration tests.
 *
 *  An outbox producer named "calendar" (the notifier's feed cannot tell it from the real
 *  one): RegisterTender, UpdateTender, RecordAmbition, ChangeStatus and CancelTender take the
 *  tender as given (no rules), bump its version, store it and emit the TenderEvent on the
 *  calendar's topics, answering TenderReply after the commit. created_ms comes from the
 *  (optionally fake) clock: MVOI_FAKECAL_FAKE_CLOCK_FILE, the same test hook as the
 *  notifier's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "server.h"
#include "service.h"
#include "store.h"

static const cfg_spec_t s_config[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "ROUTER endpoint" },
    { "pub", CFG_ENDPOINT, "tcp://127.0.0.1:7102", "PUB endpoint" },
    { "fake_clock_file", CFG_STRING, "", "TEST HOOK: file with the current Unix ms" },
};

typedef struct {
    service_t *svc;
    store_t *store;
    outbox_t *outbox;
    server_t *server;
    MDB_dbi tenders;
    const char *clock_file;
} fc_t;

static void s_clock(const char *path)
{
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "r");
    long long v = 0;
    if (f && fscanf(f, "%lld", &v) == 1 && v > 0)
        clock_set_fixed(v);
    if (f)
        fclose(f);
}

/* Tenders are keyed buyer NUL id (two buyers may use the same id). */
static MDB_val s_key(char *buf, size_t cap, const char *buyer, const char *id)
{
    int n = snprintf(buf, cap, "%s%c%s", buyer ? buyer : "", 0, id);
    return (MDB_val){ n < 0 || (size_t)n >= cap ? cap - 1 : (size_t)n, buf };
}

static int s_load(fc_t *c, MDB_txn *txn, const char *buyer, const char *id, Mvoi__Tender **out)
{
    char kb[512];
    MDB_val k = s_key(kb, sizeof kb, buyer, id), v;
    int rc = mdb_get(txn, c->tenders, &k, &v);
    *out = rc ? NULL : mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
    return rc;
}

static int s_store_emit(fc_t *c, server_req_t *req, MDB_txn *txn, Mvoi__Tender *t,
                        Mvoi__TenderEventKind kind, Mvoi__TenderStatus prev, const char *topic)
{
    size_t len = mvoi__tender__get_packed_size(t);
    uint8_t *buf = malloc(len + 1);
    mvoi__tender__pack(t, buf);
    char kb[512];
    MDB_val k = s_key(kb, sizeof kb, t->buyer, t->id), v = { len, buf };
    int rc = store_put(txn, c->tenders, &k, &v, 0);
    free(buf);
    if (rc)
        return rc;
    Mvoi__TenderEvent te = MVOI__TENDER_EVENT__INIT;
    te.has_kind = true;
    te.kind = kind;
    te.tender = t;
    te.has_previous_status = true;
    te.previous_status = prev;
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    ev.tender_event = &te;
    ev.buyer = t->buyer;
    uint64_t seq = 0;
    if ((rc = server_emit(req, txn, topic, &ev, &seq)))
        return rc;
    Mvoi__TenderReply *r = server_alloc(req, sizeof *r);
    mvoi__tender_reply__init(r);
    r->has_seq = true;
    r->seq = seq;
    Mvoi__Envelope *e = server_reply(req);
    e->body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
    e->tender_reply = r;
    return 0;
}

static int s_on_cmd(void *arg, server_req_t *req, MDB_txn *txn)
{
    fc_t *c = arg;
    s_clock(c->clock_file);
    const Mvoi__Envelope *in = server_request(req);
    Mvoi__Tender *cur = NULL, *t = NULL;
    const char *id = NULL;
    int rc = 0;
    switch (in->body_case) {
    case MVOI__ENVELOPE__BODY_REGISTER_TENDER: t = in->register_tender->tender; break;
    case MVOI__ENVELOPE__BODY_UPDATE_TENDER: t = in->update_tender->tender; break;
    case MVOI__ENVELOPE__BODY_RECORD_AMBITION: id = in->record_ambition->tender_id; break;
    case MVOI__ENVELOPE__BODY_CHANGE_STATUS: id = in->change_status->tender_id; break;
    case MVOI__ENVELOPE__BODY_CANCEL_TENDER: id = in->cancel_tender->tender_id; break;
    default: break;
    }
    if (t)
        id = t->id;
    if (!id || !*id)
        return server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "tender.id",
                            "is required");
    rc = s_load(c, txn, t && t->buyer ? t->buyer : in->buyer, id, &cur);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    Mvoi__TenderStatus prev = cur && cur->has_status ? cur->status
                                                     : MVOI__TENDER_STATUS__STATUS_PLANNED;
    uint32_t version = cur ? cur->version : 0;
    int64_t created = cur && cur->has_created_ms ? cur->created_ms : clock_now_ms();
    Mvoi__Tender work;
    Mvoi__TenderEventKind kind;
    const char *topic;
    if (t) {
        if (in->body_case == MVOI__ENVELOPE__BODY_REGISTER_TENDER && cur) {
            mvoi__tender__free_unpacked(cur, NULL);
            return server_error(req, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, "tender.id",
                                "exists");
        }
        work = *t;
        kind = cur ? MVOI__TENDER_EVENT_KIND__TEV_UPDATED : MVOI__TENDER_EVENT_KIND__TEV_REGISTERED;
        topic = cur ? "tender.updated" : "tender.registered";
        if (!work.has_status) {
            work.has_status = true;
            work.status = prev;
        }
    } else {
        if (!cur)
            return server_error(req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "tender_id", "unknown");
        work = *cur;
        if (in->body_case == MVOI__ENVELOPE__BODY_RECORD_AMBITION) {
            work.has_ambition_complete = true;
            work.ambition_complete = true;
            work.has_status = true;
            work.status = MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED;
            kind = MVOI__TENDER_EVENT_KIND__TEV_AMBITION_RECORDED;
            topic = "tender.ambition_recorded";
        } else if (in->body_case == MVOI__ENVELOPE__BODY_CHANGE_STATUS) {
            work.has_status = true;
            work.status = in->change_status->status;
            kind = MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED;
            topic = "tender.status_changed";
        } else {
            work.has_status = true;
            work.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
            work.cancel_reason = in->cancel_tender->reason;
            kind = MVOI__TENDER_EVENT_KIND__TEV_CANCELLED;
            topic = "tender.cancelled";
        }
    }
    work.has_version = true;
    work.version = version + 1;
    work.has_created_ms = true;
    work.created_ms = created;
    work.has_updated_ms = true;
    work.updated_ms = clock_now_ms();
    rc = s_store_emit(c, req, txn, &work, kind, prev, topic);
    if (cur)
        mvoi__tender__free_unpacked(cur, NULL);
    return rc;
}

static void s_stop(void *arg)
{
    fc_t *c = arg;
    server_destroy(&c->server);
}

static const server_route_t s_routes[] = {
    { MVOI__ENVELOPE__BODY_REGISTER_TENDER, SERVER_COMMAND, s_on_cmd },
    { MVOI__ENVELOPE__BODY_UPDATE_TENDER, SERVER_COMMAND, s_on_cmd },
    { MVOI__ENVELOPE__BODY_RECORD_AMBITION, SERVER_COMMAND, s_on_cmd },
    { MVOI__ENVELOPE__BODY_CHANGE_STATUS, SERVER_COMMAND, s_on_cmd },
    { MVOI__ENVELOPE__BODY_CANCEL_TENDER, SERVER_COMMAND, s_on_cmd },
};

int main(int argc, char **argv)
{
    static const service_def_t def = { "fakecal", "calendar stand-in for notifier tests",
                                       s_config, sizeof s_config / sizeof s_config[0] };
    fc_t c = { 0 };
    int rc = service_init(&c.svc, &def, argc, argv);
    if (rc >= 0)
        return rc;
    cfg_t *cfg = service_cfg(c.svc);
    c.clock_file = cfg_str(cfg, "fake_clock_file");
    s_clock(c.clock_file);
    static const char *const dbs[] = { OUTBOX_DBS, SERVER_DBS, "tenders", NULL };
    store_opts_t so = { .path = service_data_dir(c.svc), .dbs = dbs };
    int err = 0;
    c.store = store_new(&so, &err);
    c.outbox = c.store ? outbox_new(c.store, "calendar", &err) : NULL;
    if (!c.outbox)
        return 1;
    c.tenders = store_dbi(c.store, "tenders");
    server_opts_t o = { .name = "calendar", .api_endpoint = cfg_str(cfg, "api"),
                        .pub_endpoint = cfg_str(cfg, "pub"), .store = c.store,
                        .outbox = c.outbox, .routes = s_routes, .nroutes = 5, .arg = &c,
                        .heartbeat_ms = 200 };
    c.server = server_new(service_loop(c.svc), service_bus(c.svc), &o, &err);
    if (!c.server) {
        log_error("start_failed", "cannot start: %s", strerror(-err));
        return 1;
    }
    server_set_ready(c.server, true);
    service_on_stop(c.svc, s_stop, &c);
    rc = service_run(c.svc);
    outbox_destroy(&c.outbox);
    store_destroy(&c.store);
    service_destroy(&c.svc);
    return rc;
}
