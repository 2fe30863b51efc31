/*  mvoi-calendar across its restarts: everything kept, a late consumer's replay, the
 *  snapshot refused for a stored tender that does not decode, a bad data directory
 *  (fixture: cal_fx.c).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cal_fx.h"
#include "harness.h"
#include "store.h"

/* Raw DEALER: replay from 1, collect [topic][envelope] items until ReplayEnd. */
static size_t s_replay_all(uint64_t *last_seq, size_t *registered)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(s, F.api), 0);
    size_t n = 0;
    uint64_t from = 1, expect = 1;
    *registered = 0;
    for (;;) {
        Mvoi__ReplayRequest rr = MVOI__REPLAY_REQUEST__INIT;
        rr.has_from_seq = 1;
        rr.from_seq = from;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_REPLAY;
        req.replay = &rr;
        req.request_id = "replay";
        uint8_t buf[256];
        size_t len = mvoi__envelope__pack(&req, buf);
        zmq_send(s, buf, len, 0);
        bool end = false;
        uint64_t head = 0;
        while (!end) {
            zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
            cr_assert_gt(zmq_poll(&it, 1, 5000), 0, "replay stalled");
            zmq_msg_t parts[2];
            int np = 0, more = 1;
            while (more && np < 2) {
                zmq_msg_init(&parts[np]);
                zmq_msg_recv(&parts[np], s, 0);
                more = zmq_msg_more(&parts[np]);
                np++;
            }
            zmq_msg_t *em = &parts[np - 1];
            Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(em), zmq_msg_data(em));
            cr_assert(e);
            if (e->body_case == MVOI__ENVELOPE__BODY_REPLAY_END) {
                head = e->replay_end->head_seq;
                end = true;
            } else if (e->body_case == MVOI__ENVELOPE__BODY_TENDER_EVENT) {
                cr_expect_eq(e->seq, expect, "seq %llu, want %llu", (unsigned long long)e->seq,
                             (unsigned long long)expect);
                cr_expect_str_eq(e->producer, "calendar");
                cr_expect(e->tender_event->tender && e->tender_event->tender->id);
                if (e->tender_event->kind == MVOI__TENDER_EVENT_KIND__TEV_REGISTERED)
                    (*registered)++;
                expect = e->seq + 1;
                n++;
            }
            mvoi__envelope__free_unpacked(e, NULL);
            for (int i = 0; i < np; i++)
                zmq_msg_close(&parts[i]);
        }
        from = expect;
        if (from > head)
            break;
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    *last_seq = expect - 1;
    return n;
}

/* The reply that ends a SnapshotRequest for tender.snapshot (its items are skipped). */
static Mvoi__Envelope *s_snapshot(void)
{
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "tender.snapshot";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    req.snapshot = &sr;
    return cf_req(&req);
}

/* Bytes that are no Tender stored under buyer/id in the stopped calendar's own file. */
static void s_corrupt(const char *buyer, const char *id)
{
    char path[256], key[128];
    snprintf(path, sizeof path, "%s/calendar", F.dir);
    size_t bl = strlen(buyer), il = strlen(id);
    memcpy(key, buyer, bl + 1);
    memcpy(key + bl + 1, id, il);
    cr_assert_eq(h_store_corrupt(path, "tenders", key, bl + 1 + il), 0, "tender %s", id);
}

/* In the stopped calendar's file: landgraaf's HRL-2025-001 deleted (its index entry
 * stays), and the index summary of its HRL-2025-002 cut to 2 bytes (status, procedure). */
static void s_landgraaf_index_damaged(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/calendar", F.dir);
    cr_assert_eq(h_store_set(path, "tenders", "landgraaf\0HRL-2025-001", 22, NULL, 0), 0);
    cr_assert_eq(h_store_set(path, "tenders_pub", "landgraaf\0" "2027-03-01HRL-2025-002", 32,
                             "\x01\x01", 2), 0);
}

/* The calendar's log lines with event ev, needle and buyer. */
static int s_log_event(const char *ev, const char *needle, const char *buyer)
{
    FILE *fp = fopen(F.proc.log, "r");
    cr_assert(fp, "%s", F.proc.log);
    static char line[8192];
    char b[64];
    snprintf(b, sizeof b, "\"buyer\":\"%s\"", buyer);
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n += strstr(line, ev) && strstr(line, needle) && strstr(line, b);
    fclose(fp);
    return n;
}

static int s_log_names(const char *needle, const char *buyer)
{
    return s_log_event("\"event\":\"record_undecodable\"", needle, buyer);
}

/* GetTender id of buyer. */
static Mvoi__Envelope *s_get(const char *buyer, const char *id)
{
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = (char *)id;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.buyer = (char *)buyer;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    return cf_req(&req);
}

/* ListTenders of buyer, the first page; status: a filter (0: none). */
static Mvoi__Envelope *s_list_st(const char *buyer, Mvoi__TenderStatus status)
{
    Mvoi__ListTenders l = MVOI__LIST_TENDERS__INIT;
    l.has_status = status != 0;
    l.status = status;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.buyer = (char *)buyer;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &l;
    return cf_req(&req);
}

static Mvoi__Envelope *s_list(const char *buyer) { return s_list_st(buyer, 0); }

/* UpcomingTenders of buyer from from, 30 days. */
static Mvoi__Envelope *s_upcoming(const char *buyer, const char *from)
{
    Mvoi__UpcomingTenders u = MVOI__UPCOMING_TENDERS__INIT;
    u.from_date = (char *)from;
    u.has_days = 1;
    u.days = 30;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.buyer = (char *)buyer;
    req.body_case = MVOI__ENVELOPE__BODY_UPCOMING_TENDERS;
    req.upcoming_tenders = &u;
    return cf_req(&req);
}

/* Refused by name: a stored tender does not decode (before: "the query failed"). */
static void s_expect_undecodable(Mvoi__Envelope *r, const char *what)
{
    cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s without a tender: %d", what,
                 r->body_case);
    if (r->body_case != MVOI__ENVELOPE__BODY_ERROR) {   /* the next ones red too */
        mvoi__envelope__free_unpacked(r, NULL);
        return;
    }
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
    cr_expect(r->error->message && strstr(r->error->message, "MVOI_E_UNDECODABLE"), "%s: %s",
              what, r->error->message ? r->error->message : "(none)");
    mvoi__envelope__free_unpacked(r, NULL);
}

/* heerlen's HRL-2025-002 undecodable in the store: its GetTender and heerlen's lists are
 * refused by name, each logged with buyer and id (before: both answered "the query failed",
 * an out of memory, and logged nothing); heerlen's HRL-2025-001 and landgraaf's
 * HRL-2025-002 (the same id) read. */
static void s_reads_refused_by_name(void)
{
    s_expect_undecodable(s_get("heerlen", "HRL-2025-002"), "GetTender");
    s_expect_undecodable(s_list("heerlen"), "ListTenders");
    /* HRL-2025-002 is planned for 14-04-2025 */
    s_expect_undecodable(s_upcoming(NULL, "2025-04-01"), "UpcomingTenders");
    cr_expect_eq(s_log_names("\"id\":\"HRL-2025-002\"", "heerlen"), 4,
                 "the snapshot, the get and the two lists each name the record to repair");
    cr_expect_eq(s_log_names("", "landgraaf"), 0);
    Mvoi__Envelope *r = s_get("heerlen", "HRL-2025-001");
    cr_expect_str_eq(cf_ok(r)->id, "HRL-2025-001");
    mvoi__envelope__free_unpacked(r, NULL);
    r = s_get("landgraaf", "HRL-2025-002");
    cr_expect_str_eq(cf_ok(r)->title, "Testtraject");
    mvoi__envelope__free_unpacked(r, NULL);
}

/* landgraaf's index out of step with its tenders (s_landgraaf_index_damaged): its lists
 * are refused by name, never answered short (before: ListTenders status planned was an
 * empty page of total 0, its HRL-2025-002 read as status 0 from 2 bytes; UpcomingTenders
 * from 15-05-2027 an empty page of total 1; ListTenders a page of 1 of total 2), and each
 * entry is logged with buyer and id. */
static void s_index_out_of_step_refused(void)
{
    s_expect_undecodable(s_list_st("landgraaf", MVOI__TENDER_STATUS__STATUS_PLANNED),
                         "ListTenders status");
    s_expect_undecodable(s_upcoming("landgraaf", "2027-05-15"), "UpcomingTenders");
    s_expect_undecodable(s_list("landgraaf"), "ListTenders");
    const char *ev = "\"event\":\"record_missing\"";
    cr_expect_eq(s_log_event(ev, "\"id\":\"HRL-2025-002\"", "landgraaf"), 2);
    cr_expect_eq(s_log_event(ev, "\"id\":\"HRL-2025-001\"", "landgraaf"), 1);
    cr_expect_eq(s_log_event(ev, "", "heerlen"), 0);
}

Test(calendar, restart_keeps_everything_late_consumer_replays)
{
    static char out[1 << 16];
    cr_assert_eq(cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL }), 0);
    cr_assert_eq(cf_ctl(out, sizeof out, (const char *[]){ "tender", "status", "HRL-2025-001",
                                                          "kickoff_scheduled", NULL }), 0);
    uint32_t c0;
    uint64_t v0;
    cf_fingerprint(&c0, &v0);
    uint64_t h0 = cf_head();
    cr_assert_eq(h0, DEMO_ROWS + 1);
    /* graceful stop, restart */
    int st = 0;
    h_signal(&F.proc, SIGTERM);
    cr_assert_eq(h_wait(&F.proc, 5000, &st), 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cf_start();
    uint32_t c1;
    uint64_t v1;
    cf_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0);
    cr_expect_eq(v1, v0);
    cr_expect_eq(cf_head(), h0);
    /* kill -9 and back: still all there */
    h_kill9(&F.proc);
    cf_start();
    cf_fingerprint(&c1, &v1);
    cr_expect_eq(c1, c0);
    /* a consumer that starts now receives every event */
    uint64_t last = 0;
    size_t registered = 0;
    size_t n = s_replay_all(&last, &registered);
    cr_expect_eq(n, h0);
    cr_expect_eq(last, h0);
    cr_expect_eq(registered, DEMO_ROWS);
    /* the snapshot holds every tender; with one of them undecodable in the store it is
     * refused by name, not sent as a complete snapshot of DEMO_ROWS - 1 (before: it was) */
    Mvoi__Envelope *r = s_snapshot();
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_SNAPSHOT_END);
    cr_expect_eq(r->snapshot_end->count, DEMO_ROWS);
    mvoi__envelope__free_unpacked(r, NULL);
    /* landgraaf's own HRL-2025-002: heerlen's id, another buyer's tender */
    cf_tender_t lg;
    cf_tender(&lg, "HRL-2025-002", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2027-03-01");
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &lg.t;
    Mvoi__Envelope lreq = MVOI__ENVELOPE__INIT;
    lreq.buyer = "landgraaf";
    lreq.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    lreq.register_tender = &rt;
    r = cf_req(&lreq);
    cr_assert_str_eq(cf_ok(r)->buyer, "landgraaf");
    mvoi__envelope__free_unpacked(r, NULL);
    cf_tender(&lg, "HRL-2025-001", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000 * 100, "2027-06-01");
    r = cf_req(&lreq);
    cr_assert_str_eq(cf_ok(r)->buyer, "landgraaf");
    mvoi__envelope__free_unpacked(r, NULL);
    h_kill9(&F.proc);
    s_corrupt("heerlen", "HRL-2025-002");
    s_landgraaf_index_damaged();
    cf_start();
    r = s_snapshot();
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "a snapshot without a tender: %d",
                 r->body_case);
    cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_INTERNAL);
    cr_expect(r->error->message && strstr(r->error->message, "MVOI_E_UNDECODABLE"), "%s",
              r->error->message ? r->error->message : "(none)");
    mvoi__envelope__free_unpacked(r, NULL);
    s_reads_refused_by_name();
    s_index_out_of_step_refused();
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    r = cf_req(&req);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    cr_expect_eq(r->health_reply->undecodable_records, 7);   /* 4 + landgraaf's 3 lists */
    mvoi__envelope__free_unpacked(r, NULL);
    /* and the operator's view of it */
    cf_ctl(out, sizeof out, (const char *[]){ "system", "health", "calendar", NULL });
    cr_expect(strstr(out, " undecodable=7"), "%s", out);
}

Test(calendar, bad_data_dir_exits_78)
{
    h_kill9(&F.proc);
    char env[256];
    snprintf(env, sizeof env, "MVOI_CALENDAR_DATA_FILES=%s/nonexistent", F.dir);
    const char *envp[] = { F.envp[0], F.envp[1], F.envp[2], F.envp[3], env, NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn(&p, F.bin, "calendar-bad", F.dir, envp), 0);
    int st = 0;
    cr_assert_eq(h_wait(&p, 5000, &st), 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 78, "status %d", st);
}
