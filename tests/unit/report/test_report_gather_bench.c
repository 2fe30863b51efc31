/*  The benchmark's other buyers through gather (gather.c ST_BENCH): an annual report of g05
 *  against an in-process fake kpi-aggregator (and calendar) whose store holds the CO2 year
 *  totals of g05, of seven other gemeenten of its class (g01-g04, g06-g08: 1000 ... 8000 kg)
 *  and of s1 (another class); g09 a total with no measurement behind it (realisation 0,
 *  count 0: absent, not a 0); g10-g12 have none. The segment snapshot carries g05's keys
 *  only, so the distribution must come from point KpiQuery lookups of the others' year
 *  totals: 8 contributors (a buyer without a figure is not a 0), quartiles by type 7 worked
 *  out here, and the aggregator asked no whole-year snapshot and nothing of s1.
 *  The share of tenders with an ambition (ST_BENCH_CAL): the fake calendar gives gNN
 *  (NN 1-8) 4 tenders planned in 2026 of which (NN - 1) mod 5 have klimaat as a
 *  requirement (0 25 50 75 100 0 25 50 %), g09-g12 none (no share, not 0 %); s1 is never
 *  asked. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "bus.h"
#include "codec.h"
#include "gather.h"
#include "mvoi_topic.h"
#include "report.h"

#define KPI_CO2 5
#define YEAR 2026

static char g_path[64];
static mvoi_buyers_t *g_reg;

static void s_registry(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/mvoi-rpgb-XXXXXX");
    int fd = mkstemp(g_path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 12; i++)
        fprintf(f, "[g%02d]\nname = Gemeente G%02d\nkind = gemeente\ninhabitants = 30000\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n", i, i);
    fprintf(f, "[s1]\nname = Gemeente S1\nkind = gemeente\ninhabitants = 9000\n"
               "inhabitants_year = 2024\ninhabitants_source = test\n");
    fclose(f);
    char err[256];
    g_reg = mvoi_buyers_load(g_path, false, err, sizeof err);
    cr_assert(g_reg, "%s", err);
}

static void s_teardown(void)
{
    mvoi_buyers_destroy(&g_reg);
    unlink(g_path);
}

/* The fake's store: CO2 year totals (grams) of g01-g08 and s1. */
static int64_t s_store(const char *buyer)
{
    if (strcmp(buyer, "s1") == 0)
        return 7000;
    if (strcmp(buyer, "g09") == 0)
        return 0;   /* with count 0 (s_total): an ambition at award, not a measured 0 */
    int i = 0;
    if (sscanf(buyer, "g%d", &i) == 1 && i >= 1 && i <= 8)
        return (int64_t)i * 1000000;
    return -1;
}

typedef struct {
    void *sock;
    uv_timer_t poll;
    int nsnap, nsnap_bad;          /* snapshot requests; those not a segment of g05 */
    int nquery, nquery_bench;      /* KpiQuery: all; the other buyers' year totals */
    int nquery_s1, nquery_other;   /* of s1 (other class); of anything unexpected */
    int nlist[13], nlist_s1;       /* ListTenders per buyer gNN (1..12); of s1 */
    const char *own_id, *own_title;   /* set: g05's own list holds this one tender */
    bool done;
    int rc;
    char msg[256];
} s_fake_t;

static void s_send(s_fake_t *f, zmq_msg_t *id, const char *topic, Mvoi__Envelope *env)
{
    uint8_t *buf;
    size_t len;
    env->producer = "fake";
    cr_assert_eq(codec_pack(env, &buf, &len), 0);
    zmq_send(f->sock, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE);
    if (topic)
        zmq_send(f->sock, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(f->sock, buf, len, 0);
    free(buf);
}

static void s_total(s_fake_t *f, zmq_msg_t *id, const char *topic, Mvoi__Envelope *rep,
                    const char *key, const char *buyer, int64_t v)
{
    Mvoi__KpiTotal k = MVOI__KPI_TOTAL__INIT;
    k.key = (char *)key;
    k.buyer = (char *)buyer;
    k.has_kpi = k.has_year = k.has_realisation = k.has_count = true;
    k.kpi = KPI_CO2;
    k.year = YEAR;
    k.realisation = v;
    k.count = v != 0;
    rep->body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    rep->kpi_total = &k;
    s_send(f, id, topic, rep);
}

static void s_on_snapshot(s_fake_t *f, zmq_msg_t *id, const Mvoi__SnapshotRequest *s,
                          Mvoi__Envelope *rep)
{
    char own[MVOI_TOPIC_MAX];
    f->nsnap++;
    const char *p = s->prefix ? s->prefix : "";
    size_t pl = strlen(p);
    if (!s->segment || pl < 8 || strncmp(p, "kpi.g05.", 8) != 0)
        f->nsnap_bad++;
    cr_assert_eq(mvoi_topic_kpi(own, sizeof own, KPI_CO2, YEAR, 0, "g05", 0, NULL, NULL), 0);
    if (strcmp(p, own) == 0) {
        Mvoi__Envelope it = MVOI__ENVELOPE__INIT;
        s_total(f, id, own, &it, own, "g05", s_store("g05"));
    }
    Mvoi__SnapshotEnd e = MVOI__SNAPSHOT_END__INIT;
    e.has_seq = true;
    e.seq = 42;
    rep->body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    rep->snapshot_end = &e;
    s_send(f, id, NULL, rep);
}

static void s_not_found(s_fake_t *f, zmq_msg_t *id, Mvoi__Envelope *rep)
{
    codec_error_t es;
    codec_set_error(rep, &es, MVOI__ERROR_CODE__ERR_NOT_FOUND, "key", "fake: not found");
    s_send(f, id, NULL, rep);
}

/* A KpiQuery: the previous year of g05 (none), or a year total of another buyer. */
static void s_on_query(s_fake_t *f, zmq_msg_t *id, const char *key, Mvoi__Envelope *rep)
{
    char want[MVOI_TOPIC_MAX];
    f->nquery++;
    for (size_t i = 0; i < mvoi_buyers_count(g_reg); i++) {
        const char *b = mvoi_buyers_at(g_reg, i)->id;
        for (int k = 1; k <= 6; k++) {
            cr_assert_eq(mvoi_topic_kpi(want, sizeof want, k, YEAR, 0, b, 0, NULL, NULL), 0);
            if (!key || strcmp(key, want) != 0)
                continue;
            f->nquery_bench++;
            f->nquery_s1 += strcmp(b, "s1") == 0;
            f->nquery_other += strcmp(b, "g05") == 0;
            if (k == KPI_CO2 && s_store(b) >= 0)
                s_total(f, id, NULL, rep, key, b, s_store(b));
            else
                s_not_found(f, id, rep);
            return;
        }
    }
    bool prev = false;
    for (int k = 1; k <= 6; k++) {
        cr_assert_eq(mvoi_topic_kpi(want, sizeof want, k, YEAR - 1, 0, "g05", 0, NULL, NULL), 0);
        prev = prev || (key && strcmp(key, want) == 0);
    }
    f->nquery_other += !prev;
    s_not_found(f, id, rep);
}

static void s_fake_handle(s_fake_t *f, zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
    rep.request_id = req->request_id;
    switch (req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH: {   /* the report's first question: no head, no wait */
        Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
        rep.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
        rep.health_reply = &h;
        s_send(f, id, NULL, &rep);
        return;
    }
    case MVOI__ENVELOPE__BODY_SNAPSHOT:
        s_on_snapshot(f, id, req->snapshot, &rep);
        return;
    case MVOI__ENVELOPE__BODY_KPI_QUERY:
        s_on_query(f, id, req->kpi_query->key, &rep);
        return;
    case MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY: {
        Mvoi__KpiSeries s = MVOI__KPI_SERIES__INIT;
        rep.body_case = MVOI__ENVELOPE__BODY_KPI_SERIES;
        rep.kpi_series = &s;
        s_send(f, id, NULL, &rep);
        return;
    }
    case MVOI__ENVELOPE__BODY_LIST_TENDERS: {
        /* gNN (1..8): 4 tenders of 2026, (NN - 1) mod 5 with klimaat as a requirement */
        Mvoi__TenderList l = MVOI__TENDER_LIST__INIT;
        Mvoi__Tender t[4], *tp[4];
        Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT, *ap[1] = { &a };
        a.has_theme = a.has_commitment = true;
        a.theme = MVOI__THEME__THEME_KLIMAAT;
        a.commitment = MVOI__COMMITMENT__COMMIT_EIS;
        int nn = 0;
        const char *b = req->buyer ? req->buyer : "";
        f->nlist_s1 += strcmp(b, "s1") == 0;
        if (sscanf(b, "g%d", &nn) == 1 && nn >= 1 && nn <= 12)
            f->nlist[nn]++;
        bool bench = req->list_tenders->has_year && nn >= 1 && nn <= 8 && nn != 5;
        for (int i = 0; bench && i < 4; i++) {
            mvoi__tender__init(&t[i]);
            t[i].planned_publication = "2026-05-01";
            t[i].n_themes = i < (nn - 1) % 5;
            t[i].themes = ap;
            tp[i] = &t[i];
        }
        l.n_tenders = bench ? 4 : 0;
        l.tenders = tp;
        if (nn == 5 && f->own_id) {
            mvoi__tender__init(&t[0]);
            t[0].id = (char *)f->own_id;
            t[0].title = (char *)f->own_title;
            t[0].planned_publication = "2026-05-01";
            tp[0] = &t[0];
            l.n_tenders = 1;
        }
        rep.body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
        rep.tender_list = &l;
        s_send(f, id, NULL, &rep);
        return;
    }
    default:   /* breakdowns, tenders: none */
        s_not_found(f, id, &rep);
        return;
    }
}

static void s_fake_poll(uv_timer_t *t)
{
    s_fake_t *f = t->data;
    for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, f->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return;
        }
        zmq_msg_init(&body);
        cr_assert(zmq_msg_recv(&body, f->sock, 0) >= 0);
        int err = 0;
        Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body), 1 << 20,
                                           &err);
        if (req) {
            s_fake_handle(f, &id, req);
            codec_free(&req);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
}

static void s_done(void *arg, int rc, const char *message)
{
    s_fake_t *f = arg;
    f->done = true;
    f->rc = rc;
    snprintf(f->msg, sizeof f->msg, "%s", message ? message : "");
}

/* Type 7 quantile of ascending x[0..n-1], the test's own. */
static double s_q7(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    return lo + 1 < n ? x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]) : x[lo];
}

TestSuite(report_gather_bench, .init = s_registry, .fini = s_teardown, .timeout = 30);

/* One gathering of g05's annual report against the fake, on loop; f->rc and f->msg say
 * how it ended. The caller closes f->sock, ctx and loop, and frees in. */
static void s_gather_g05(s_fake_t *f, rp_input_t *in, uv_loop_t *loop, bus_ctx_t *ctx)
{
    f->sock = zmq_socket(bus_ctx_zmq(ctx), ZMQ_ROUTER);
    cr_assert(f->sock);
    int zero = 0;
    zmq_setsockopt(f->sock, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(f->sock, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t epl = sizeof ep;
    cr_assert_eq(zmq_getsockopt(f->sock, ZMQ_LAST_ENDPOINT, ep, &epl), 0);
    uv_timer_init(loop, &f->poll);
    f->poll.data = f;
    uv_timer_start(&f->poll, s_fake_poll, 1, 1);
    rp_input_init(in);
    snprintf(in->buyer, sizeof in->buyer, "g05");
    in->year = YEAR;
    in->quarter = 0;
    in->bench = bm_new(g_reg, 5);
    rp_gather_opts_t o = { .kpi_api = ep, .calendar_api = ep, .timeout_ms = 5000 };
    rp_gather_t *g = rp_gather_start(loop, ctx, &o, in, s_done, f);
    cr_assert(g);
    while (!f->done)
        uv_run(loop, UV_RUN_ONCE);
    rp_gather_destroy(&g);
    uv_close((uv_handle_t *)&f->poll, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
}

Test(report_gather_bench, other_buyers_by_point_queries)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    bus_ctx_t *ctx = bus_ctx_new();
    cr_assert(ctx);
    s_fake_t f = { 0 };
    rp_input_t in;
    s_gather_g05(&f, &in, &loop, ctx);
    cr_assert_eq(f.rc, 0, "gather: %d %s", f.rc, f.msg);

    /* the distribution of g05's class: g01-g08 (kg per inhabitant, 30.000 each: the shown
     * normalisation), g09 (no measurement) and g10-g12 not counted; absolute withheld */
    double x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (double)(i + 1) * 1000.0 / 30000.0;
    bm_pos_t p;
    cr_assert_eq(bm_position(in.bench, "g05", KPI_CO2, YEAR, BM_NORM_PER_INH, &p), 0);
    cr_assert_eq(p.status, BM_OK, "status %d", p.status);
    cr_assert_eq(p.count, 8);
    cr_assert_float_eq(p.value, 5000.0 / 30000.0, 1e-12);
    cr_assert_float_eq(p.q1, s_q7(x, 8, 0.25), 1e-12);        /* 2750 / 30000 */
    cr_assert_float_eq(p.median, s_q7(x, 8, 0.5), 1e-12);     /* 4500 / 30000 */
    cr_assert_float_eq(p.q3, s_q7(x, 8, 0.75), 1e-12);        /* 6250 / 30000 */
    cr_assert_float_eq(p.percentile, 100.0 * 4.5 / 8.0, 1e-9);
    cr_assert_eq(p.quartile, 3);
    cr_assert_eq(bm_position(in.bench, "g09", KPI_CO2, YEAR, BM_NORM_PER_INH, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE, "g09's empty total is a figure: status %d", p.status);
    cr_assert_eq(bm_position(in.bench, "g05", KPI_CO2, YEAR, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_WITHHELD, "status %d", p.status);
    cr_assert_float_eq(p.value, 5000.0, 1e-9);

    /* and the report's section says so, not "too few" */
    rp_report_t r;
    cr_assert_eq(rp_model_build(&r, &in), 0);
    char *h = NULL;
    size_t hl = 0;
    FILE *mf = open_memstream(&h, &hl);
    cr_assert_eq(rp_render_html(&r, mf), 0);
    fclose(mf);
    /* 5000 / 30000 = 0,167; 2750 / 30000 = 0,0917; 4500 / 30000 = 0,150; 6250 / 30000 =
     * 0,208 (three significant digits) */
    const char *row = strstr(h, "id=\"bench-co2-per_inhabitant\"");
    cr_assert(row, "no CO2 row in the benchmark section");
    cr_assert(strstr(row, "<td class=\"num\">0,167</td><td class=\"num\">0,0917</td>"
                          "<td class=\"num\">0,150</td><td class=\"num\">0,208</td>"),
              "%.400s", row);
    cr_assert_null(strstr(h, "G07"), "another buyer named in the report");
    free(h);
    rp_model_free(&r);

    /* the aggregator: segment snapshots of g05 only; one point query per KPI and other
     * buyer of the class (g01-g12 but g05), none of s1 or of g05's own year */
    cr_assert_gt(f.nsnap, 0);
    cr_assert_eq(f.nsnap_bad, 0, "%d snapshot(s) not a segment of g05", f.nsnap_bad);
    cr_assert_eq(f.nquery_bench, 6 * 11, "%d benchmark queries", f.nquery_bench);
    cr_assert_eq(f.nquery_s1, 0);
    cr_assert_eq(f.nquery_other, 0);
    cr_assert_eq(f.nquery, 6 * 11 + 6, "%d KpiQuery in all", f.nquery);
    /* the share for klimaat: g05 (its own tenders, as the report's: none listed here, so it
     * has no share) and the 7 others of g01-g08: 0 25 50 75 0 25 50 -> sorted
     * 0 0 25 25 50 50 75: type 7 by the test's own quantile */
    double sh[7] = { 0, 0, 25, 25, 50, 50, 75 };
    bm_dist_t d;
    int cls = bm_class_of(mvoi_buyers_find(g_reg, "g05"));
    cr_assert_eq(bm_distribution(in.bench, cls, BM_M_SHARE(1), YEAR, BM_NORM_ABS, &d), 0);
    cr_assert_eq(d.status, BM_OK);
    cr_assert_eq(d.count, 7);
    cr_assert_float_eq(d.q1, s_q7(sh, 7, 0.25), 1e-9);       /* 12.5 */
    cr_assert_float_eq(d.median, s_q7(sh, 7, 0.5), 1e-9);    /* 25 */
    cr_assert_float_eq(d.q3, s_q7(sh, 7, 0.75), 1e-9);       /* 50 */
    /* every buyer of the class asked for its tenders (g05 also by the report's own
     * steps), s1 never */
    for (int i = 1; i <= 12; i++)
        cr_assert_geq(f.nlist[i], 1, "g%02d not asked", i);
    cr_assert_eq(f.nlist_s1, 0);
    rp_input_free(&in);
    zmq_close(f.sock);
    bus_ctx_destroy(&ctx);
    uv_loop_close(&loop);
}

/* The longest values the calendar accepts reach the report whole: a tender id of 128
 * bytes (mvoi_id.h) and a title of 300 four-byte characters. The report held 95 bytes of
 * an id (so it looked up, joined and printed another id) and 199 of a title (cut inside a
 * character, which dropped the tender from the JSON annex). One byte more than the
 * contract allows fails the report with the field named: nothing is cut. */
Test(report_gather_bench, the_longest_ids_and_titles_whole_and_longer_refused)
{
    char id[200], title[1300];
    memset(id, 'T', 128);
    id[128] = 0;
    title[0] = 0;
    for (int i = 0; i < 300; i++)
        strcat(title, "\xF0\x9F\x8C\xB3");   /* U+1F333, deciduous tree: 4 bytes */
    for (int over = 0; over < 2; over++) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        bus_ctx_t *ctx = bus_ctx_new();
        s_fake_t f = { 0 };
        if (over)
            strcat(id, "X");   /* 129 bytes */
        f.own_id = id;
        f.own_title = title;
        rp_input_t in;
        s_gather_g05(&f, &in, &loop, ctx);
        if (!over) {
            cr_assert_eq(f.rc, 0, "gather: %d %s", f.rc, f.msg);
            cr_assert_eq(in.ntenders, 1);
            cr_expect_str_eq(in.tenders[0].id, id);
            cr_expect_eq(strlen(in.tenders[0].title), 1200);
            cr_expect_str_eq(in.tenders[0].title, title);
        } else {
            cr_expect_eq(f.rc, -EOVERFLOW, "a 129-byte id: %d %s", f.rc, f.msg);
            cr_expect(strstr(f.msg, "tender.id"), "%s", f.msg);
        }
        rp_input_free(&in);
        zmq_close(f.sock);
        bus_ctx_destroy(&ctx);
        uv_loop_close(&loop);
    }
}

/* Out of memory for an item of the input fails the whole gathering with -ENOMEM, naming
 * what it was gathering: it had skipped the item and ended with 0 (a total or a tender
 * missing from a report presented as whole). g05's gathering grows the input twice (its
 * CO2 total from the snapshot, then its one tender); each growth fails in turn, then none. */
Test(report_gather_bench, out_of_memory_for_an_item_fails_the_report)
{
    static const char *const what[2] = { "kpi_total", "tender" };
    for (long k = 0; k <= 2; k++) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        bus_ctx_t *ctx = bus_ctx_new();
        s_fake_t f = { 0 };
        f.own_id = "T-1";
        f.own_title = "Schoonmaak";
        rp_input_t in;
        rp_input_fail_growth_after(k);
        s_gather_g05(&f, &in, &loop, ctx);
        rp_input_fail_growth_after(-1);
        if (k < 2) {
            cr_expect_eq(f.rc, -ENOMEM, "growth %ld failed: rc %d (%s), %zu totals, %zu "
                         "tenders", k, f.rc, f.msg, in.ntotals, in.ntenders);
            cr_expect(strstr(f.msg, "ENOMEM") && strstr(f.msg, what[k]), "%s", f.msg);
        } else {
            cr_expect_eq(f.rc, 0, "gather: %d %s", f.rc, f.msg);
            cr_expect_eq(in.ntotals, 1);
            cr_expect_eq(in.ntenders, 1);
        }
        rp_input_free(&in);
        zmq_close(f.sock);
        bus_ctx_destroy(&ctx);
        uv_loop_close(&loop);
    }
}
