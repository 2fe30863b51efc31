/*  fakekpi: a stand-in kpi-aggregator (and optionally calendar, impact-calculator and
 *  notifier ROUTERs) for the gateway's integration tests and benchmark.
 *
 *  Speaks the real protocol (proto/, docs/design.md#clone):
 *    kpi ROUTER  SnapshotRequest{prefix} -> [topic][Envelope{kpi_total}]... then
 *                Envelope{snapshot_end{seq, epoch}} (request id echoed); HealthRequest;
 *                KpiSeriesQuery; ReplayRequest (the published events from from_seq);
 *                TestCommand{count, payload_size = rate/s (0 = flat out)}
 *                -> publishes count updates with increasing seq, replies Ack{seq} at once.
 *    kpi PUB     [kpi.<...>][Envelope{seq, kpi_total}], heartbeat [hb][Envelope{heartbeat}]
 *    calendar    GetTender, ListTenders, UpcomingTenders, RegisterTender, HealthRequest
 *    impact      SubmitMeasurements (an energy measurement adds quantity_milli grams of CO2
 *                to kpi.<buyer>.co2.<year> and its quarter, published at once),
 *                ListMeasurements, HealthRequest
 *    notifier    ListReminders, HealthRequest
 *    report      GenerateReport (one small file per format under --reports-dir, its text
 *                naming buyer, period and the narratives stored for that buyer),
 *                SetNarrative (kept per buyer, period and theme), HealthRequest
 *  Every request but health and snapshot is logged on stdout (fake_request body= buyer=
 *  mentions_venlo=): what a gateway forwarded.
 *  Usage: fakekpi --api EP --pub EP [--calendar EP] [--impact EP] [--notifier EP]
 *                 [--report EP --reports-dir DIR] [--venlo 1] [--keys N] [--hb-ms N] [--epoch N]
 *                 [--ack-epoch N]
 *  SIGUSR1: the next total that changes is changed but not published (a lost update: the
 *  stream has a gap, a snapshot has the total).
 */
#define _GNU_SOURCE   /* memmem */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>
#include "envelope.pb-c.h"
#include "fake_int.h"

typedef struct {
    char key[160];
    Mvoi__KpiTotal t;
    char buyer[32];
} total_t;

static total_t *g_tot;
static size_t g_n, g_cap;
static uint64_t g_seq, g_epoch = 7;
/* --ack-epoch N: the epoch the read-your-writes barrier's Ack names (default g_epoch), as
 * an aggregator wiped since the gateway's view was taken would */
static uint64_t g_ack_epoch;
static void *g_pub;
static int g_keys = 200;
static int g_venlo;   /* --venlo 1: a second buyer's total too */
/* --cal-pages 1: ListTenders answers by buyer and page (s_cal_page), for the benchmark's
 * round over every buyer's tenders: heerlen has a full first page of 1000 tenders with a
 * klimaat ambition and its second page is refused (UNAVAILABLE); landgraaf has 2 tenders
 * of 2026 without an ambition; every other buyer none. */
static int g_cal_pages;
static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_lose;   /* SIGUSR1: the next update is applied, not sent */
/* The outbox: which total each published seq changed (ReplayRequest sends that total as it
 * is now, with the event's seq: enough to say whose event it was). */
#define G_LOG_MAX 65536
static struct { uint64_t seq; size_t tot; } g_log[G_LOG_MAX];
static size_t g_nlog;
static Mvoi__Tender *g_tenders[64];
static size_t g_ntenders;
static Mvoi__MeasurementRecord *g_meas[256];
#define FAKE_CO2_SOURCE "https://www.co2emissiefactoren.nl/lijst-emissiefactoren/"
static size_t g_nmeas;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the buyer new totals belong to: the submitting request's (SubmitMeasurements) */
static const char *g_buyer = "heerlen";

static total_t *find(const char *key, bool create, int kpi, uint32_t year, uint32_t q,
                     const char *unit)
{
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_tot[i].key, key) == 0)
            return &g_tot[i];
    if (!create)
        return NULL;
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 256;
        total_t *nt = realloc(g_tot, g_cap * sizeof *nt);
        /* pointers into g_tot are fixed up below */
        g_tot = nt;
        for (size_t i = 0; i < g_n; i++) {
            g_tot[i].t.key = g_tot[i].key;
            g_tot[i].t.buyer = g_tot[i].buyer;
        }
    }
    total_t *t = &g_tot[g_n++];
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    snprintf(t->buyer, sizeof t->buyer, "%s", g_buyer);
    mvoi__kpi_total__init(&t->t);
    t->t.key = t->key;
    t->t.buyer = t->buyer;
    t->t.has_kpi = true, t->t.kpi = kpi;
    t->t.has_year = true, t->t.year = year;
    t->t.has_quarter = q > 0, t->t.quarter = q;
    t->t.has_ambition = t->t.has_realisation = t->t.has_projects = t->t.has_seq = true;
    t->t.unit = (char *)unit;
    return t;
}

static void total_env(total_t *t, Mvoi__Envelope *env)
{
    mvoi__envelope__init(env);
    env->has_schema_version = true, env->schema_version = 1;
    env->producer = "kpi";
    env->has_epoch = true, env->epoch = g_epoch;
    env->has_seq = true, env->seq = t->t.seq;
    env->buyer = t->buyer;
    env->body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    env->kpi_total = &t->t;
}

static void publish(total_t *t)
{
    t->t.seq = ++g_seq;
    t->t.count++;
    t->t.has_count = true;
    if (g_nlog < G_LOG_MAX) {
        g_log[g_nlog].seq = g_seq;
        g_log[g_nlog++].tot = (size_t)(t - g_tot);
    }
    if (g_lose) {   /* lost on the way (a full queue): the stream has a gap */
        g_lose = 0;
        return;
    }
    Mvoi__Envelope env;
    total_env(t, &env);
    fake_send(g_pub, NULL, 0, t->key, &env);
}

static void on_usr1(int sig)
{
    (void)sig;
    g_lose = 1;
}

static void heartbeat(void)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__Heartbeat hb = MVOI__HEARTBEAT__INIT;
    hb.has_head_seq = hb.has_epoch = true;
    hb.head_seq = g_seq;
    hb.epoch = g_epoch;
    env.producer = "kpi";
    env.body_case = MVOI__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    fake_send(g_pub, NULL, 0, "hb", &env);
}

static const char *s_kpis[] = { "", "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
static const char *s_units[] = { "", "products", "cent", "mg", "g", "g", "pilots" };

static void seed(void)
{
    char key[160];
    for (int k = 1; k <= 6; k++) {
        snprintf(key, sizeof key, "kpi.heerlen.%s.2026", s_kpis[k]);
        total_t *t = find(key, true, k, 2026, 0, s_units[k]);
        t->t.ambition = k == 6 ? 2 : 1000000 * k;
        t->t.realisation = k == 6 ? 1 : 250000 * k;
        t->t.projects = k;
        if (k == 6)
            t->t.has_target = true, t->t.target = 3;
        t->t.seq = ++g_seq;
        for (int q = 1; q <= 4; q++) {
            snprintf(key, sizeof key, "kpi.heerlen.%s.2026-q%d", s_kpis[k], q);
            t = find(key, true, k, 2026, (uint32_t)q, s_units[k]);
            t->t.realisation = 50000 * k * q;
            t->t.seq = ++g_seq;
        }
        for (int th = 1; th <= 6; th++) {
            static const char *names[] = { "", "klimaat", "circulair", "milieu", "isv",
                                           "diversiteit_inclusie", "social_return" };
            snprintf(key, sizeof key, "kpi.heerlen.%s.2026.theme.%s", s_kpis[k], names[th]);
            t = find(key, true, k, 2026, 0, s_units[k]);
            t->t.has_theme = true, t->t.theme = th;
            t->t.ambition = 100 * th * k;
            t->t.realisation = 60 * th * k;
            if (k == 2 && th == 6) {
                /* SROI: the obligation (pct x contract value) is the target; no ambition
                 * is recorded for it (docs/domain.md, plan 5f) */
                t->t.ambition = 0;
                t->t.has_target = true, t->t.target = 1000000;
                t->t.realisation = 600000;
            }
            t->t.seq = ++g_seq;
        }
    }
    if (!g_venlo)
        return;
    /* a second buyer with its own CO2 total: the dashboard of one never shows the other's */
    total_t *v = find("kpi.venlo.co2.2026", true, 5, 2026, 0, s_units[5]);
    snprintf(v->buyer, sizeof v->buyer, "venlo");
    v->t.ambition = 2000000, v->t.realisation = 777000, v->t.projects = 1, v->t.seq = ++g_seq;
    /* and a total whose tenders committed no ambition: the tile says so in words */
    v = find("kpi.venlo.fairtrade.2026", true, 1, 2026, 0, s_units[1]);
    snprintf(v->buyer, sizeof v->buyer, "venlo");
    v->t.ambition = 0, v->t.realisation = 1200, v->t.projects = 1, v->t.seq = ++g_seq;
}

/* Update n: one of g_keys tender totals of KPI co2, realisation += n-dependent amount. */
static void update(uint64_t n)
{
    char key[160];
    snprintf(key, sizeof key, "kpi.heerlen.co2.2026.tender.T%" PRIu64, n % (uint64_t)g_keys);
    total_t *t = find(key, true, 5, 2026, 0, "g");
    t->t.realisation += 1 + (int64_t)(n % 7);
    t->t.tender_id = NULL;
    publish(t);
}

void fake_health(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req, const char *name)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
    h.service = (char *)name;
    h.has_live = h.has_ready = h.has_head_seq = h.has_outbox_backlog = true;
    h.has_map_size = h.has_map_used = h.has_epoch = true;
    h.live = h.ready = true;
    h.head_seq = g_seq;
    h.outbox_backlog = g_seq;
    h.map_size = 1u << 30;
    h.map_used = 65536 + 128 * g_seq;
    h.epoch = g_epoch;
    /* the calendar has 3 stored records that do not decode (test_gateway_it promtool) */
    h.has_undecodable_records = true;
    h.undecodable_records = strcmp(name, "calendar") == 0 ? 3 : 0;
    env.request_id = req->request_id;
    env.buyer = req->buyer;   /* as server.c answers: the request's buyer */
    env.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
    env.health_reply = &h;
    fake_send(sock, zmq_msg_data(id), zmq_msg_size(id), NULL, &env);
}

/* pending generation: count left and rate */
static uint64_t g_gen_left, g_gen_done;
static uint32_t g_gen_rate;
static int64_t g_gen_start;

/* ReplayRequest: the logged events from from_seq, then ReplayEnd. */
static void replay(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    uint64_t from = req->replay->has_from_seq ? req->replay->from_seq : 1, last = 0;
    uint32_t max = req->replay->max_count ? req->replay->max_count : 1000, sent = 0;
    for (size_t i = 0; i < g_nlog && sent < max; i++) {
        if (g_log[i].seq < from)
            continue;
        Mvoi__Envelope item;
        total_env(&g_tot[g_log[i].tot], &item);
        item.seq = last = g_log[i].seq;
        item.request_id = req->request_id;
        fake_send(sock, zmq_msg_data(id), zmq_msg_size(id), g_tot[g_log[i].tot].key, &item);
        sent++;
    }
    Mvoi__ReplayEnd end = MVOI__REPLAY_END__INIT;
    end.has_epoch = end.has_last_sent_seq = end.has_head_seq = true;
    end.epoch = g_epoch;
    end.last_sent_seq = last;
    end.head_seq = g_seq;
    env.body_case = MVOI__ENVELOPE__BODY_REPLAY_END;
    env.replay_end = &end;
    fake_reply(sock, id, req, &env);
}

/* A KpiSeriesQuery, answered as the aggregator does. */
static void series(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    /* as kpi_service.c answers: from_year required (1900..2999), to_year defaults to it,
     * the quarters dense, every one with its key */
    const Mvoi__KpiSeriesQuery *sq = req->kpi_series_query;
    uint32_t from = sq->from_year, to = sq->to_year ? sq->to_year : sq->from_year;
    if (!sq->has_kpi || sq->kpi < 1 || sq->kpi > 6) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_series_query.kpi",
              "kpi must be 1..6");
        return;
    }
    if (from < 1900 || from > 2999) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
              "kpi_series_query.from_year", "from_year must be 1900..2999");
        return;
    }
    if (to < from || to > 2999 || to - from >= 50) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
              "kpi_series_query.to_year", "to_year must be from_year..2999");
        return;
    }
    const char *b = sq->buyer && *sq->buyer ? sq->buyer : req->buyer;
    size_t n = (size_t)(to - from + 1) * 4;
    Mvoi__KpiTotal *v = calloc(n, sizeof *v);
    Mvoi__KpiTotal **pv = calloc(n, sizeof *pv);
    char (*keys)[160] = calloc(n, sizeof *keys);
    Mvoi__KpiSeries s = MVOI__KPI_SERIES__INIT;
    for (uint32_t y = from; y <= to; y++)
        for (uint32_t q = 1; q <= 4; q++) {
            size_t i = s.n_totals++;
            snprintf(keys[i], sizeof keys[i], "kpi.%s.%s.%u-q%u", b, s_kpis[sq->kpi], y, q);
            total_t *t = find(keys[i], false, 0, 0, 0, NULL);
            if (t) {
                v[i] = t->t;
            } else {
                mvoi__kpi_total__init(&v[i]);
                v[i].key = keys[i];
                v[i].buyer = (char *)b;
                v[i].has_kpi = v[i].has_year = v[i].has_quarter = true;
                v[i].kpi = sq->kpi, v[i].year = y, v[i].quarter = q;
            }
            pv[i] = &v[i];
        }
    s.totals = pv;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_SERIES;
    env.kpi_series = &s;
    fake_reply(sock, id, req, &env);
    free(v);
    free(pv);
    free(keys);
}

/* The barrier (after_seq, no key): applied at once, Ack with the head and its epoch. */
static void kpi_barrier(void *sock, zmq_msg_t *id, const Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    const Mvoi__KpiQuery *q = req->kpi_query;
    if (!q || !q->has_after_seq || (q->key && *q->key)) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
        return;
    }
    /* the aggregator's refusals that are not the request's (test_gateway_it errors) */
    if (q->after_seq == 900000001) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INTERNAL, "",
                   "mdb_get: MDB_CORRUPTED");
        return;
    }
    if (q->after_seq == 900000002) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "key",
                   "this key is not in the registry");
        return;
    }
    Mvoi__Ack ack = MVOI__ACK__INIT;
    ack.has_seq = ack.has_publisher_seq = ack.has_publisher_epoch = true;
    ack.seq = q->after_seq;
    ack.publisher_seq = g_seq;
    ack.publisher_epoch = g_ack_epoch ? g_ack_epoch : g_epoch;
    env.body_case = MVOI__ENVELOPE__BODY_ACK;
    env.ack = &ack;
    fake_reply(sock, id, req, &env);
}

static void on_kpi(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    switch (req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH:
        fake_health(sock, id, req, "kpi-aggregator");
        return;
    case MVOI__ENVELOPE__BODY_REPLAY:
        replay(sock, id, req);
        return;
    case MVOI__ENVELOPE__BODY_SNAPSHOT: {
        const char *prefix = req->snapshot->prefix ? req->snapshot->prefix : "";
        uint32_t count = 0;
        for (size_t i = 0; i < g_n; i++) {
            if (strncmp(g_tot[i].key, prefix, strlen(prefix)) != 0)
                continue;
            Mvoi__Envelope item;
            total_env(&g_tot[i], &item);
            fake_send(sock, zmq_msg_data(id), zmq_msg_size(id), g_tot[i].key, &item);
            count++;
        }
        Mvoi__SnapshotEnd end = MVOI__SNAPSHOT_END__INIT;
        end.has_seq = end.has_epoch = end.has_count = true;
        end.seq = g_seq;
        end.epoch = g_epoch;
        end.count = count;
        env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
        env.snapshot_end = &end;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_TEST_COMMAND: {
        g_gen_left += req->test_command->count;
        g_gen_rate = req->test_command->payload_size;
        g_gen_done = 0;
        g_gen_start = now_ms();
        Mvoi__Ack ack = MVOI__ACK__INIT;
        ack.has_seq = true;
        ack.seq = g_seq + g_gen_left;
        env.body_case = MVOI__ENVELOPE__BODY_ACK;
        env.ack = &ack;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY: {
        /* every measurement counts towards the CO2 totals (as on submit below) */
        Mvoi__KpiBreakdown b = MVOI__KPI_BREAKDOWN__INIT;
        Mvoi__KpiContribution c[256], *pc[256];
        const char *key = req->kpi_breakdown_query->key;
        const char *tp = strstr(key, ".tender.");
        for (size_t i = 0; i < g_nmeas && strstr(key, ".co2.") != NULL; i++) {
            Mvoi__Measurement *m = g_meas[i]->measurement;
            if (tp && strcmp(tp + 8, m->tender_id) != 0)
                continue;
            mvoi__kpi_contribution__init(&c[b.n_items]);
            c[b.n_items].measurement_id = m->id;
            c[b.n_items].tender_id = m->tender_id;
            c[b.n_items].has_realisation = true;
            c[b.n_items].realisation = g_meas[i]->impact->co2_avoided_g;
            pc[b.n_items] = &c[b.n_items];
            b.n_items++;
        }
        b.items = pc;
        b.has_total = true, b.total = (uint32_t)b.n_items;
        env.body_case = MVOI__ENVELOPE__BODY_KPI_BREAKDOWN;
        env.kpi_breakdown = &b;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY:
        series(sock, id, req);
        return;
    case MVOI__ENVELOPE__BODY_KPI_QUERY:
        kpi_barrier(sock, id, req);
        return;
    default:
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
    }
}

static Mvoi__Tender *tender_find(const char *id)
{
    for (size_t i = 0; i < g_ntenders; i++)
        if (id && strcmp(g_tenders[i]->id, id) == 0)
            return g_tenders[i];
    return NULL;
}

/* As the calendar: a tender id is one buyer's (two buyers may use the same id). */
static Mvoi__Tender *tender_find_of(const char *buyer, const char *id)
{
    const char *b = buyer && *buyer ? buyer : "heerlen";
    for (size_t i = 0; i < g_ntenders; i++)
        if (id && strcmp(g_tenders[i]->id, id) == 0 && g_tenders[i]->buyer &&
            strcmp(g_tenders[i]->buyer, b) == 0)
            return g_tenders[i];
    return NULL;
}

static Mvoi__Tender *tender_copy(const Mvoi__Tender *t)
{
    size_t len = mvoi__tender__get_packed_size(t);
    uint8_t *buf = malloc(len ? len : 1);
    mvoi__tender__pack(t, buf);
    Mvoi__Tender *c = mvoi__tender__unpack(NULL, len, buf);
    free(buf);
    return c;
}

static void seed_tenders(void)
{
    static const char *ids[] = { "T-1", "T-2" };
    static const char *titles[] = { "Herinrichting Pancratiusplein", "Elektrische veegmachines" };
    static const char *dates[] = { "2026-03-01", "2026-05-15" };
    for (int i = 0; i < 2; i++) {
        Mvoi__Tender t = MVOI__TENDER__INIT;
        t.id = (char *)ids[i];
        t.buyer = "heerlen";
        t.title = (char *)titles[i];
        t.planned_publication = (char *)dates[i];
        t.has_status = true, t.status = MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED;
        t.has_value_cents = true, t.value_cents = 125000000 * (i + 1);
        g_tenders[g_ntenders++] = tender_copy(&t);
    }
}

/* One page of ListTenders in the --cal-pages mode (g_cal_pages above). */
static void s_cal_page(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    static Mvoi__ThemeAmbition klimaat = MVOI__THEME_AMBITION__INIT;
    static Mvoi__ThemeAmbition *themes[1] = { &klimaat };
    static Mvoi__Tender with = MVOI__TENDER__INIT, without = MVOI__TENDER__INIT;
    static Mvoi__Tender *page[1000];
    klimaat.has_theme = true, klimaat.theme = MVOI__THEME__THEME_KLIMAAT;
    klimaat.has_commitment = true, klimaat.commitment = MVOI__COMMITMENT__COMMIT_EIS;
    with.id = "P-1", with.buyer = "heerlen", with.planned_publication = "2026-04-01";
    with.themes = themes, with.n_themes = 1;
    without.id = "P-2", without.buyer = "landgraaf", without.planned_publication = "2026-04-01";
    uint32_t offset = req->list_tenders->has_offset ? req->list_tenders->offset : 0;
    const char *b = req->buyer ? req->buyer : "";
    Mvoi__TenderList l = MVOI__TENDER_LIST__INIT;
    if (strcmp(b, "heerlen") == 0 && offset > 0) {
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "", "try again later");
        return;
    }
    if (strcmp(b, "heerlen") == 0) {
        for (size_t i = 0; i < 1000; i++)
            page[i] = &with;
        l.tenders = page, l.n_tenders = 1000;
        l.has_next_offset = true, l.next_offset = 1000;
    } else if (strcmp(b, "landgraaf") == 0 && offset == 0) {
        page[0] = page[1] = &without;
        l.tenders = page, l.n_tenders = 2;
    }
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
    env.tender_list = &l;
    fake_reply(sock, id, req, &env);
}

static void on_calendar(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    switch (req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH:
        fake_health(sock, id, req, "calendar");
        return;
    case MVOI__ENVELOPE__BODY_GET_TENDER: {
        Mvoi__Tender *t = tender_find_of(req->buyer, req->get_tender->id);
        if (!t) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_tender.id", "no such tender");
            return;
        }
        Mvoi__TenderReply r = MVOI__TENDER_REPLY__INIT;
        r.tender = t;
        env.body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
        env.tender_reply = &r;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_LIST_TENDERS:
    case MVOI__ENVELOPE__BODY_UPCOMING_TENDERS: {
        if (g_cal_pages && req->body_case == MVOI__ENVELOPE__BODY_LIST_TENDERS) {
            s_cal_page(sock, id, req);
            return;
        }
        if (req->body_case == MVOI__ENVELOPE__BODY_LIST_TENDERS && req->list_tenders->has_limit &&
            req->list_tenders->limit > 1000) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, "list_tenders.limit", "at most 1000");
            return;
        }
        Mvoi__TenderList l = MVOI__TENDER_LIST__INIT;
        l.tenders = g_tenders;
        l.n_tenders = g_ntenders;
        l.has_total = true, l.total = (uint32_t)g_ntenders;
        env.body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
        env.tender_list = &l;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_REGISTER_TENDER: {
        Mvoi__Tender *in = req->register_tender->tender;
        if (!req->request_id || !*req->request_id) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "request_id", "required");
            return;
        }
        if (!in || !in->id || !*in->id) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "register_tender.tender.id",
                  "a tender needs an id");
            return;
        }
        if (in->has_value_cents && in->value_cents < 0) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                  "register_tender.tender.value_cents", "must not be negative");
            return;
        }
        if (tender_find_of(req->buyer, in->id)) {
            fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, "register_tender.tender.id",
                  "a tender with this id exists");
            return;
        }
        if (g_ntenders < 64) {
            char *ob = in->buyer;
            in->buyer = req->buyer;
            g_tenders[g_ntenders++] = tender_copy(in);
            in->buyer = ob;
        }
        Mvoi__TenderReply r = MVOI__TENDER_REPLY__INIT;
        r.tender = g_tenders[g_ntenders - 1];
        r.has_outcome = true, r.outcome = MVOI__UPSERT_OUTCOME__UPSERT_CREATED;
        env.body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
        env.tender_reply = &r;
        fake_reply(sock, id, req, &env);
        return;
    }
    default:
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
    }
}

/* The measurement as the drill-down reads it back (the first 256). */
static void s_keep_record(const Mvoi__Measurement *m, int64_t g)
{
    if (g_nmeas >= 256)
        return;
    Mvoi__MeasurementRecord *rec = calloc(1, sizeof *rec);
    mvoi__measurement_record__init(rec);
    size_t len = mvoi__measurement__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    mvoi__measurement__pack(m, buf);
    rec->measurement = mvoi__measurement__unpack(NULL, len, buf);
    free(buf);
    /* the impact with its factor reference, as the drill-down reads it */
    rec->impact = calloc(1, sizeof *rec->impact);
    mvoi__impact__init(rec->impact);
    rec->impact->has_co2_avoided_g = true, rec->impact->co2_avoided_g = g;
    Mvoi__FactorRef *fr = calloc(1, sizeof *fr);
    mvoi__factor_ref__init(fr);
    fr->table = strdup("co2"), fr->edition = strdup("2026");
    fr->source = strdup(FAKE_CO2_SOURCE), fr->reference_variant = strdup("diesel_b7");
    rec->impact->factors = calloc(1, sizeof *rec->impact->factors);
    rec->impact->factors[0] = fr, rec->impact->n_factors = 1;
    rec->explanation = strdup("CO2: 1 g per millilitre (fake)");
    g_meas[g_nmeas++] = rec;
}

/* The "aggregator" reacts: absolute totals with a new seq. */
/* The totals of the submitting buyer (g_buyer) an energy measurement moves. */
static void s_publish_totals(const char *tender_id, int64_t g)
{
    char k[4][200];
    snprintf(k[0], sizeof k[0], "kpi.%s.co2.2026", g_buyer);
    snprintf(k[1], sizeof k[1], "kpi.%s.co2.2026-q2", g_buyer);
    snprintf(k[2], sizeof k[2], "kpi.%s.co2.2026.theme.klimaat", g_buyer);
    snprintf(k[3], sizeof k[3], "kpi.%.32s.co2.2026.tender.%.128s", g_buyer, tender_id);
    for (int i = 0; i < 4; i++) {
        total_t *t = find(k[i], true, 5, 2026, i == 1 ? 2 : 0, "g");
        t->t.realisation += g;
        publish(t);
    }
}

/* SubmitMeasurements: each item against the tenders known; T-KEY refused for the key */
static void s_submit(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SubmitMeasurements *sm = req->submit_measurements;
    Mvoi__MeasurementReply r = MVOI__MEASUREMENT_REPLY__INIT;
    Mvoi__MeasurementResult res[16], *pres[16];
    Mvoi__Error errs[16];
    Mvoi__Impact imps[16];
    char fields[16][96];
    size_t n = sm->n_measurements < 16 ? sm->n_measurements : 16;
    for (size_t i = 0; i < n; i++) {
        Mvoi__Measurement *m = sm->measurements[i];
        mvoi__measurement_result__init(&res[i]);
        pres[i] = &res[i];
        res[i].id = m->id;
        res[i].has_ok = true;
        /* T-KEY: the item refused for the gateway's own key (code PERMISSION_DENIED on
         * "key", as common/server_auth.c says it), test_gateway_it errors */
        if (m->tender_id && strcmp(m->tender_id, "T-KEY") == 0) {
            mvoi__error__init(&errs[i]);
            errs[i].has_code = true, errs[i].code = MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
            errs[i].field = "key";
            errs[i].message = "this key is not in the registry";
            res[i].error = &errs[i];
            continue;
        }
        if (!tender_find(m->tender_id)) {
            mvoi__error__init(&errs[i]);
            errs[i].has_code = true, errs[i].code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
            snprintf(fields[i], sizeof fields[i], "submit_measurements.measurements[%zu].tender_id", i);
            errs[i].field = fields[i];
            errs[i].message = "no such tender";
            res[i].error = &errs[i];
            continue;
        }
        res[i].ok = true;
        mvoi__impact__init(&imps[i]);
        int64_t g = m->kind_case == MVOI__MEASUREMENT__KIND_ENERGY ? m->energy->quantity_milli : 0;
        imps[i].has_co2_avoided_g = true, imps[i].co2_avoided_g = g;
        res[i].impact = &imps[i];
        g_buyer = req->buyer && *req->buyer ? req->buyer : "heerlen";
        s_keep_record(m, g);
        s_publish_totals(m->tender_id, g);
        g_buyer = "heerlen";
    }
    r.results = pres;
    r.n_results = n;
    r.has_seq = true, r.seq = g_seq;
    env.body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY;
    env.measurement_reply = &r;
    fake_reply(sock, id, req, &env);
}

static void on_impact(void *sock, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    switch (req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH:
        fake_health(sock, id, req, "impact-calculator");
        return;
    case MVOI__ENVELOPE__BODY_LIST_MEASUREMENTS: {
        Mvoi__MeasurementList l = MVOI__MEASUREMENT_LIST__INIT;
        Mvoi__MeasurementRecord *rev[256];
        for (size_t i = 0; i < g_nmeas; i++)   /* recent: latest first */
            rev[i] = g_meas[g_nmeas - 1 - i];
        l.records = req->list_measurements->recent ? rev : g_meas;
        l.n_records = g_nmeas;
        l.has_total = true, l.total = (uint32_t)g_nmeas;
        env.body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_LIST;
        env.measurement_list = &l;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_GET_MEASUREMENT: {
        for (size_t i = 0; i < g_nmeas; i++)
            if (strcmp(g_meas[i]->measurement->id, req->get_measurement->id) == 0) {
                /* the explanation says which language was asked for (the real service
                 * renders it in that language): the gateway must pass the page's on */
                char x[96], *keep = g_meas[i]->explanation;
                snprintf(x, sizeof x, "%s lang=%s", keep,
                         req->get_measurement->lang ? req->get_measurement->lang : "(none)");
                g_meas[i]->explanation = x;
                env.body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD;
                env.measurement_record = g_meas[i];
                fake_reply(sock, id, req, &env);
                g_meas[i]->explanation = keep;
                return;
            }
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_measurement.id", "no such measurement");
        return;
    }
    case MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES: {
        Mvoi__FactorTableInfo f = MVOI__FACTOR_TABLE_INFO__INIT, *pf = &f;
        f.table = "co2", f.edition = "2026", f.source = FAKE_CO2_SOURCE;
        f.has_rows = true, f.rows = 31;
        Mvoi__FactorTableList l = MVOI__FACTOR_TABLE_LIST__INIT;
        l.tables = &pf, l.n_tables = 1;
        env.body_case = MVOI__ENVELOPE__BODY_FACTOR_TABLE_LIST;
        env.factor_table_list = &l;
        fake_reply(sock, id, req, &env);
        return;
    }
    case MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS:
        s_submit(sock, id, req);
        return;
    default:
        fake_error(sock, id, req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "", "not handled");
    }
}

typedef void (handler_fn)(void *sock, zmq_msg_t *id, Mvoi__Envelope *req);

static void serve(void *sock, handler_fn *fn)
{
    for (int k = 0; k < 100; k++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return;
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, sock, 0);
        while (zmq_msg_more(&body)) {   /* keep the last frame */
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            zmq_msg_recv(&body, sock, 0);
        }
        Mvoi__Envelope *req = mvoi__envelope__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
        if (req && req->body_case != MVOI__ENVELOPE__BODY_HEALTH &&
            req->body_case != MVOI__ENVELOPE__BODY_SNAPSHOT) {
            /* what reached the services, for the tests that check what a gateway forwards */
            printf("fake_request body=%d buyer=%s mentions_venlo=%d\n", (int)req->body_case,
                   req->buyer ? req->buyer : "", memmem(zmq_msg_data(&body), zmq_msg_size(&body),
                                                        "venlo", 5) != NULL);
            fflush(stdout);
        }
        if (req) {
            fn(sock, &id, req);
            mvoi__envelope__free_unpacked(req, NULL);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
}

static void on_sig(int s) { g_stop = 1; }

static void *router(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    int z = 0, one = 1;
    zmq_setsockopt(s, ZMQ_LINGER, &z, sizeof z);
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    int hwm = 0;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(s, ep) < 0) {
        fprintf(stderr, "fakekpi: bind %s: %s\n", ep, zmq_strerror(errno));
        exit(2);
    }
    return s;
}

int main(int argc, char **argv)
{
    const char *api = NULL, *pub = NULL, *cal = NULL, *imp = NULL, *ntf = NULL, *rep = NULL;
    int hb_ms = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--api")) api = argv[i + 1];
        else if (!strcmp(argv[i], "--pub")) pub = argv[i + 1];
        else if (!strcmp(argv[i], "--calendar")) cal = argv[i + 1];
        else if (!strcmp(argv[i], "--impact")) imp = argv[i + 1];
        else if (!strcmp(argv[i], "--notifier")) ntf = argv[i + 1];
        else if (!strcmp(argv[i], "--report")) rep = argv[i + 1];
        else if (!strcmp(argv[i], "--venlo")) g_venlo = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--cal-pages")) g_cal_pages = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reports-dir")) g_reports_dir = argv[i + 1];
        else if (!strcmp(argv[i], "--keys")) g_keys = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--hb-ms")) hb_ms = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--epoch")) g_epoch = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--ack-epoch")) g_ack_epoch = strtoull(argv[i + 1], NULL, 10);
    }
    if (!api || !pub || g_keys < 1 || (rep && !g_reports_dir)) {
        fprintf(stderr, "usage: fakekpi --api EP --pub EP [--calendar EP] [--impact EP] "
                        "[--notifier EP] [--report EP --reports-dir DIR] [--keys N] [--hb-ms N] "
                        "[--epoch N] [--ack-epoch N]\n");
        return 64;
    }
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    signal(SIGUSR1, on_usr1);
    seed();
    seed_tenders();
    void *ctx = zmq_ctx_new();
    void *s_api = router(ctx, api), *s_cal = cal ? router(ctx, cal) : NULL;
    void *s_imp = imp ? router(ctx, imp) : NULL, *s_ntf = ntf ? router(ctx, ntf) : NULL;
    void *s_rep = rep ? router(ctx, rep) : NULL;
    g_pub = zmq_socket(ctx, ZMQ_PUB);
    int z = 0, hwm = 0;
    zmq_setsockopt(g_pub, ZMQ_LINGER, &z, sizeof z);
    zmq_setsockopt(g_pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(g_pub, pub) < 0) {
        fprintf(stderr, "fakekpi: bind %s: %s\n", pub, zmq_strerror(errno));
        return 2;
    }
    fprintf(stderr, "fakekpi: up (api %s, pub %s)\n", api, pub);
    int64_t next_hb = now_ms();
    while (!g_stop) {
        zmq_pollitem_t items[5];
        void *socks[5];
        handler_fn *fns[5];
        int n = 0;
        if (s_api) items[n] = (zmq_pollitem_t){ s_api, 0, ZMQ_POLLIN, 0 }, socks[n] = s_api, fns[n++] = on_kpi;
        if (s_cal) items[n] = (zmq_pollitem_t){ s_cal, 0, ZMQ_POLLIN, 0 }, socks[n] = s_cal, fns[n++] = on_calendar;
        if (s_imp) items[n] = (zmq_pollitem_t){ s_imp, 0, ZMQ_POLLIN, 0 }, socks[n] = s_imp, fns[n++] = on_impact;
        if (s_ntf) items[n] = (zmq_pollitem_t){ s_ntf, 0, ZMQ_POLLIN, 0 }, socks[n] = s_ntf, fns[n++] = on_notifier;
        if (s_rep) items[n] = (zmq_pollitem_t){ s_rep, 0, ZMQ_POLLIN, 0 }, socks[n] = s_rep, fns[n++] = on_report;
        long timeout = g_gen_left ? 1 : 20;
        if (zmq_poll(items, n, timeout) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN)
                serve(socks[i], fns[i]);
        if (g_gen_left) {
            /* how many should be out by now at the requested rate */
            uint64_t due = g_gen_left;
            if (g_gen_rate) {
                uint64_t should = (uint64_t)(now_ms() - g_gen_start) * g_gen_rate / 1000 + 1;
                due = should > g_gen_done ? should - g_gen_done : 0;
                if (due > g_gen_left)
                    due = g_gen_left;
            }
            if (due > 2000)
                due = 2000;
            for (uint64_t k = 0; k < due; k++)
                update(g_seq);
            g_gen_left -= due;
            g_gen_done += due;
        }
        if (now_ms() >= next_hb) {
            heartbeat();
            next_hb = now_ms() + hb_ms;
        }
    }
    zmq_close(s_api);
    if (s_cal) zmq_close(s_cal);
    if (s_imp) zmq_close(s_imp);
    if (s_ntf) zmq_close(s_ntf);
    if (s_rep) zmq_close(s_rep);
    zmq_close(g_pub);
    zmq_ctx_term(ctx);
    return 0;
}
