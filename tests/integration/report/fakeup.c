/*  mvoi-report-fakeup: a ROUTER that plays the kpi-aggregator (snapshot, KpiQuery, series,
 *  breakdown), the calendar (ListTenders) and the impact-calculator (ListFactorTables) for
 *  the report tests, from the generated data set (dataset.h), aggregated the way the
 *  kpi-aggregator README describes.
 *
 *  mvoi-report-fakeup ENDPOINT YEAR NTENDERS NMEAS
 *
 *  Read your own writes (the report's first step): FAKEUP_HEAD=N is the head_seq its
 *  HealthReply gives (calendar and impact alike; unset: none); the aggregator's barrier
 *  (KpiQuery{after_producer, after_seq}, no key) answers ERR_UNAVAILABLE for producer
 *  FAKEUP_LAG_PRODUCER the first FAKEUP_LAG_TIMES times (-1: always), an Ack otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "dataset.h"

typedef struct {
    char *key;
    int kpi;
    uint32_t year, quarter;
    int theme;
    const char *group, *tender;
    int64_t ambition, realisation, target, denominator, count, projects;
    uint8_t *seen;            /* bitmap of tenders with a measurement (non-tender dims) */
    uint32_t *items;          /* all-dims totals: measurement indices (breakdown) */
    uint32_t nitems, capitems;
} s_tot_t;

static s_tot_t *s_tab;
static size_t s_cap = 1u << 18, s_n;
static ds_t s_ds;
static const char *s_kn[] = { NULL, "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
static const char *s_tn[] = { NULL, "klimaat", "circulair", "milieu", "isv",
                              "diversiteit_inclusie", "social_return" };
static const char *s_units[] = { NULL, "products", "cent", "mg", "g", "g", "pilots" };

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static s_tot_t *s_find(const char *key, bool create)
{
    size_t i = s_hash(key) & (s_cap - 1);
    while (s_tab[i].key) {
        if (strcmp(s_tab[i].key, key) == 0)
            return &s_tab[i];
        i = (i + 1) & (s_cap - 1);
    }
    if (!create)
        return NULL;
    s_tab[i].key = strdup(key);
    s_n++;
    return &s_tab[i];
}

/* dim: 0 all, 1 theme, 2 group, 3 tender */
static s_tot_t *s_get(int kpi, uint32_t year, uint32_t q, int dim, uint32_t ti, int theme)
{
    char key[160], w[16];
    if (q)
        snprintf(w, sizeof w, "%u-q%u", year, q);
    else
        snprintf(w, sizeof w, "%u", year);
    const ds_tender_t *t = &s_ds.t[ti];
    switch (dim) {
    case 0: snprintf(key, sizeof key, "kpi.%s.%s.%s", DS_BUYER, s_kn[kpi], w); break;
    case 1: snprintf(key, sizeof key, "kpi.%s.%s.%s.theme.%s", DS_BUYER, s_kn[kpi], w, s_tn[theme]); break;
    case 2: snprintf(key, sizeof key, "kpi.%s.%s.%s.group.%s", DS_BUYER, s_kn[kpi], w, t->group); break;
    default: snprintf(key, sizeof key, "kpi.%s.%s.%s.tender.%s", DS_BUYER, s_kn[kpi], w, t->id); break;
    }
    s_tot_t *x = s_find(key, true);
    if (!x->kpi) {
        x->kpi = kpi;
        x->year = year;
        x->quarter = q;
        x->theme = dim == 1 ? theme : 0;
        x->group = dim == 2 ? t->group : NULL;
        x->tender = dim == 3 ? t->id : NULL;
        if (dim != 3)
            x->seen = calloc(s_ds.ntenders / 8 + 1, 1);
        if (kpi == 6 && q == 0 && dim == 0)
            x->target = 3;
    }
    return x;
}

static void s_build(void)
{
    s_tab = calloc(s_cap, sizeof *s_tab);
    for (uint32_t j = 0; j < s_ds.nmeas; j++) {
        const ds_meas_t *m = &s_ds.m[j];
        const ds_tender_t *t = &s_ds.t[m->tender];
        bool cancelled = t->status == 8;
        for (int w = 0; w < 2; w++)
            for (int dim = 0; dim < 4; dim++) {
                s_tot_t *x = s_get(m->kpi, m->year, w ? m->quarter : 0, dim, m->tender,
                                   ds_kpi_theme(m->kpi));
                if (m->ambition)
                    x->ambition += m->amount;
                else
                    x->realisation += m->amount;
                x->denominator += m->denominator;
                x->count++;
                if (!cancelled) {
                    if (dim == 3)
                        x->projects = 1;
                    else if (!(x->seen[m->tender / 8] & (1 << (m->tender % 8)))) {
                        x->seen[m->tender / 8] |= (uint8_t)(1 << (m->tender % 8));
                        x->projects++;
                    }
                }
                if (dim == 0) {
                    if (x->nitems == x->capitems) {
                        x->capitems = x->capitems ? x->capitems * 2 : 64;
                        x->items = realloc(x->items, x->capitems * sizeof *x->items);
                    }
                    x->items[x->nitems++] = j;
                }
            }
    }
    /* KPI 6 counts distinct pilots: its realisation is its projects, as the aggregator
     * has it (kpi_work.c), not the sum of the reports */
    for (uint32_t i = 0; i < s_cap; i++)
        if (s_tab[i].key && s_tab[i].kpi == 6)
            s_tab[i].realisation = s_tab[i].projects;
    /* tender projection: pilots ambition and SROI obligation (not cancelled) */
    for (uint32_t i = 0; i < s_ds.ntenders; i++) {
        const ds_tender_t *t = &s_ds.t[i];
        if (t->status == 8)
            continue;
        for (int w = 0; w < 2; w++) {
            uint32_t q = w ? t->quarter : 0;
            for (int dim = 0; dim < 4; dim++) {
                int nth = dim == 1 ? t->nthemes : 1;
                for (int k = 0; k < nth; k++) {
                    if (dim == 1 && k == 1 && t->theme[1] == t->theme[0])
                        continue;
                    if (t->pilot)
                        s_get(6, t->year, q, dim, i, t->theme[k])->ambition += 1;
                    if (t->obligation_cents)
                        s_get(2, t->year, q, dim, i, t->theme[k])->target += t->obligation_cents;
                }
            }
        }
    }
}

static void *s_sock;

static void s_send(zmq_msg_t *id, const char *topic, Mvoi__Envelope *env, bool more_after)
{
    uint8_t *buf;
    size_t len;
    env->producer = env->producer ? env->producer : "fakeup";
    if (codec_pack(env, &buf, &len) != 0)
        return;
    zmq_send(s_sock, zmq_msg_data(id), zmq_msg_size(id), ZMQ_SNDMORE);
    if (topic)
        zmq_send(s_sock, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(s_sock, buf, len, 0);
    free(buf);
    (void)more_after;
}

static void s_fill(Mvoi__KpiTotal *k, const s_tot_t *x)
{
    mvoi__kpi_total__init(k);
    k->key = x->key;
    k->buyer = DS_BUYER;
    k->has_kpi = k->has_year = k->has_quarter = k->has_theme = true;
    k->kpi = (Mvoi__Kpi)x->kpi;
    k->year = x->year;
    k->quarter = x->quarter;
    k->theme = (Mvoi__Theme)x->theme;
    k->purchasing_group = (char *)x->group;
    k->tender_id = (char *)x->tender;
    k->has_ambition = k->has_realisation = k->has_projects = k->has_target = true;
    k->has_denominator = k->has_count = k->has_seq = true;
    k->ambition = x->ambition;
    k->realisation = x->realisation;
    k->projects = x->projects;
    k->target = x->target;
    k->denominator = x->denominator;
    k->count = x->count;
    k->seq = 42;
    k->unit = (char *)s_units[x->kpi];
}

static void s_error(zmq_msg_t *id, Mvoi__Envelope *rep, Mvoi__ErrorCode code, const char *field)
{
    codec_error_t es;
    codec_set_error(rep, &es, code, field, "fake: %s", field);
    s_send(id, NULL, rep, false);
}

static int s_tender_cmp(const void *a, const void *b)
{
    return strcmp((*(const ds_tender_t *const *)a)->id, (*(const ds_tender_t *const *)b)->id);
}

/* One dataset tender as the calendar sends it (ta/tap: 2 theme slots, reason: 16 bytes). */
static void s_fill_tender(Mvoi__Tender *o, Mvoi__ThemeAmbition *ta, Mvoi__ThemeAmbition **tap,
                          char *reason, const ds_tender_t *t)
{
    mvoi__tender__init(o);
    o->id = (char *)t->id;
    o->buyer = DS_BUYER;
    o->title = (char *)t->title;
    o->purchasing_group = (char *)t->group;
    o->has_kind = o->has_procedure = o->has_status = o->has_value_cents = true;
    o->kind = (Mvoi__TenderKind)t->kind;
    o->procedure = (Mvoi__Procedure)t->procedure;
    o->status = (Mvoi__TenderStatus)t->status;
    o->value_cents = t->value_cents;
    o->planned_publication = (char *)t->planned;
    o->has_sroi_pct_bp = o->has_sroi_obligation_cents = o->has_pilot = true;
    o->sroi_pct_bp = t->sroi_bp;
    o->sroi_obligation_cents = t->obligation_cents;
    o->pilot = t->pilot;
    if (t->status == 8) {
        snprintf(reason, 16, "budget");
        o->cancel_reason = reason;
    }
    o->n_themes = (size_t)t->nthemes;
    o->themes = tap;
    for (int k = 0; k < t->nthemes; k++) {
        mvoi__theme_ambition__init(&ta[k]);
        ta[k].has_theme = ta[k].has_commitment = true;
        ta[k].theme = (Mvoi__Theme)t->theme[k];
        ta[k].commitment = (Mvoi__Commitment)t->commitment[k];
        tap[k] = &ta[k];
    }
}

static void s_on_snapshot(zmq_msg_t *id, Mvoi__Envelope *req, Mvoi__Envelope *rep)
{
    const char *p = req->snapshot->prefix ? req->snapshot->prefix : "";
    size_t pl = strlen(p);
    uint32_t n = 0;
    for (size_t i = 0; i < s_cap; i++) {
        if (!s_tab[i].key || strncmp(s_tab[i].key, p, pl) != 0)
            continue;
        /* a segment ends at a '.': kpi.b.co2.2026 is not kpi.b.co2.2026-q1 */
        char next = s_tab[i].key[pl];
        if (req->snapshot->segment && pl && p[pl - 1] != '.' && next && next != '.')
            continue;
        Mvoi__KpiTotal k;
        s_fill(&k, &s_tab[i]);
        Mvoi__Envelope it = MVOI__ENVELOPE__INIT;
        it.buyer = DS_BUYER;
        it.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
        it.kpi_total = &k;
        s_send(id, s_tab[i].key, &it, true);
        n++;
    }
    Mvoi__SnapshotEnd e = MVOI__SNAPSHOT_END__INIT;
    e.has_seq = e.has_count = true;
    e.seq = 42;
    e.count = n;
    rep->body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    rep->snapshot_end = &e;
    s_send(id, NULL, rep, false);
}

static void s_on_kpi_series_query(zmq_msg_t *id, Mvoi__Envelope *req, Mvoi__Envelope *rep)
{
    const Mvoi__KpiSeriesQuery *q = req->kpi_series_query;
    Mvoi__KpiTotal ks[400], *kp[400];
    s_tot_t zero[400];
    size_t n = 0;
    for (uint32_t y = q->from_year; y <= q->to_year && n + 4 <= 400; y++)
        for (uint32_t qq = 1; qq <= 4; qq++) {
            char key[128];
            snprintf(key, sizeof key, "kpi.%s.%s.%u-q%u", DS_BUYER, s_kn[q->kpi], y, qq);
            s_tot_t *x = s_find(key, false);
            if (!x) {
                memset(&zero[n], 0, sizeof zero[n]);
                zero[n].kpi = q->kpi;
                zero[n].year = y;
                zero[n].quarter = qq;
                x = &zero[n];
            }
            s_fill(&ks[n], x);
            kp[n] = &ks[n];
            n++;
        }
    Mvoi__KpiSeries s = MVOI__KPI_SERIES__INIT;
    s.n_totals = n;
    s.totals = kp;
    rep->body_case = MVOI__ENVELOPE__BODY_KPI_SERIES;
    rep->kpi_series = &s;
    s_send(id, NULL, rep, false);
}

static void s_on_kpi_breakdown_query(zmq_msg_t *id, Mvoi__Envelope *req, Mvoi__Envelope *rep)
{
    const Mvoi__KpiBreakdownQuery *q = req->kpi_breakdown_query;
    s_tot_t *x = q->key ? s_find(q->key, false) : NULL;
    if (!x) {
        s_error(id, rep, MVOI__ERROR_CODE__ERR_NOT_FOUND, "kpi_breakdown_query.key");
        return;
    }
    uint32_t limit = q->has_limit && q->limit ? q->limit : 100;
    if (limit > 1000) {
        s_error(id, rep, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "kpi_breakdown_query.limit");
        return;
    }
    static Mvoi__KpiContribution cs[1000];
    static Mvoi__KpiContribution *cp[1000];
    static char ids[1000][16];
    uint32_t n = 0, off = q->offset;
    for (uint32_t i = off; i < x->nitems && n < limit; i++, n++) {
        const ds_meas_t *m = &s_ds.m[x->items[i]];
        mvoi__kpi_contribution__init(&cs[n]);
        ds_meas_id(ids[n], x->items[i]);
        cs[n].measurement_id = ids[n];
        cs[n].tender_id = s_ds.t[m->tender].id;
        cs[n].has_revision = cs[n].has_ambition = cs[n].has_realisation = true;
        cs[n].revision = 1;
        cs[n].ambition = m->ambition ? m->amount : 0;
        cs[n].realisation = m->ambition ? 0 : m->amount;
        cp[n] = &cs[n];
    }
    Mvoi__KpiBreakdown b = MVOI__KPI_BREAKDOWN__INIT;
    b.n_items = n;
    b.items = cp;
    b.has_total = b.has_next_offset = true;
    b.total = x->nitems;
    b.next_offset = off + n < x->nitems ? off + n : 0;
    rep->body_case = MVOI__ENVELOPE__BODY_KPI_BREAKDOWN;
    rep->kpi_breakdown = &b;
    s_send(id, NULL, rep, false);
}

static void s_on_list_tenders(zmq_msg_t *id, Mvoi__Envelope *req, Mvoi__Envelope *rep)
{
    const Mvoi__ListTenders *q = req->list_tenders;
    uint32_t limit = q->has_limit && q->limit ? q->limit : 50;
    if (limit > 1000)
        limit = 1000;
    const ds_tender_t **match = calloc(s_ds.ntenders + 1, sizeof *match);
    uint32_t nm = 0;
    for (uint32_t i = 0; i < s_ds.ntenders; i++)
        if ((!q->has_year || !q->year || s_ds.t[i].year == q->year) &&
            (!q->quarter || s_ds.t[i].quarter == q->quarter) &&
            (!q->has_status || !q->status || (int)q->status == s_ds.t[i].status))
            match[nm++] = &s_ds.t[i];
    qsort(match, nm, sizeof *match, s_tender_cmp);
    uint32_t off = q->offset, n = 0;
    Mvoi__Tender *ts = calloc(limit, sizeof *ts), **tp = calloc(limit, sizeof *tp);
    Mvoi__ThemeAmbition *ta = calloc(limit * 2, sizeof *ta), **tap = calloc(limit * 2, sizeof *tap);
    char (*reasons)[16] = calloc(limit, 16);
    for (uint32_t i = off; i < nm && n < limit; i++, n++) {
        const ds_tender_t *t = match[i];
        Mvoi__Tender *o = &ts[n];
        s_fill_tender(o, &ta[n * 2], &tap[n * 2], reasons[n], t);
        tp[n] = o;
    }
    Mvoi__TenderList l = MVOI__TENDER_LIST__INIT;
    l.n_tenders = n;
    l.tenders = tp;
    l.has_total = l.has_next_offset = true;
    l.total = nm;
    l.next_offset = off + n < nm ? off + n : 0;
    rep->body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
    rep->tender_list = &l;
    s_send(id, NULL, rep, false);
    free(match);
    free(ts);
    free(tp);
    free(ta);
    free(tap);
    free(reasons);
}

static void s_on_list_factor_tables(zmq_msg_t *id, Mvoi__Envelope *req, Mvoi__Envelope *rep)
{
    Mvoi__FactorTableInfo a = MVOI__FACTOR_TABLE_INFO__INIT, b = MVOI__FACTOR_TABLE_INFO__INIT;
    a.table = "co2";
    a.edition = "2026";
    a.source = "co2emissiefactoren.nl";
    a.has_rows = a.has_unverified_rows = true;
    a.rows = 18;
    b.table = "nox_stage";
    b.edition = "2026";
    b.source = "EU 2016/1628";
    b.has_rows = b.has_unverified_rows = true;
    b.rows = 14;
    b.unverified_rows = 3;
    Mvoi__FactorTableInfo *ft[2] = { &a, &b };
    Mvoi__FactorTableList fl = MVOI__FACTOR_TABLE_LIST__INIT;
    fl.n_tables = 2;
    fl.tables = ft;
    rep->body_case = MVOI__ENVELOPE__BODY_FACTOR_TABLE_LIST;
    rep->factor_table_list = &fl;
    s_send(id, NULL, rep, false);
}

/* The barrier of a KpiQuery with after_seq and no key (see the file's comment). */
static void s_barrier(zmq_msg_t *id, const Mvoi__KpiQuery *q, Mvoi__Envelope *rep)
{
    static long refused;
    const char *lag = getenv("FAKEUP_LAG_PRODUCER"), *times = getenv("FAKEUP_LAG_TIMES");
    long n = times ? atol(times) : 0;
    if (lag && q->after_producer && strcmp(lag, q->after_producer) == 0 &&
        (n < 0 || refused < n)) {
        refused++;
        codec_error_t es;
        codec_set_error(rep, &es, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "kpi_query.after_seq",
                        "%s applied up to %llu, not yet %llu: ask again", lag,
                        (unsigned long long)q->after_seq - 1, (unsigned long long)q->after_seq);
        s_send(id, NULL, rep, false);
        return;
    }
    Mvoi__Ack a = MVOI__ACK__INIT;
    a.has_seq = true;
    a.seq = q->after_seq;
    rep->body_case = MVOI__ENVELOPE__BODY_ACK;
    rep->ack = &a;
    s_send(id, NULL, rep, false);
}

static void s_handle(zmq_msg_t *id, Mvoi__Envelope *req)
{
    Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
    rep.request_id = req->request_id;
    switch (req->body_case) {
    case MVOI__ENVELOPE__BODY_HEALTH: {
        Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
        h.service = "fakeup";
        h.has_live = h.live = h.has_ready = h.ready = true;
        if (getenv("FAKEUP_HEAD")) {
            h.has_head_seq = true;
            h.head_seq = strtoull(getenv("FAKEUP_HEAD"), NULL, 10);
        }
        rep.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
        rep.health_reply = &h;
        s_send(id, NULL, &rep, false);
        return;
    }
    case MVOI__ENVELOPE__BODY_SNAPSHOT:
        s_on_snapshot(id, req, &rep);
        return;
    case MVOI__ENVELOPE__BODY_KPI_QUERY: {
        if (req->kpi_query->has_after_seq && !(req->kpi_query->key && *req->kpi_query->key)) {
            s_barrier(id, req->kpi_query, &rep);
            return;
        }
        s_tot_t *x = req->kpi_query->key ? s_find(req->kpi_query->key, false) : NULL;
        if (!x) {
            s_error(id, &rep, MVOI__ERROR_CODE__ERR_NOT_FOUND, "kpi_query.key");
            return;
        }
        Mvoi__KpiTotal k;
        s_fill(&k, x);
        rep.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
        rep.kpi_total = &k;
        s_send(id, NULL, &rep, false);
        return;
    }
    case MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY:
        s_on_kpi_series_query(id, req, &rep);
        return;
    case MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY:
        s_on_kpi_breakdown_query(id, req, &rep);
        return;
    case MVOI__ENVELOPE__BODY_LIST_TENDERS:
        s_on_list_tenders(id, req, &rep);
        return;
    case MVOI__ENVELOPE__BODY_GET_TENDER: {
        const char *want = req->get_tender->id ? req->get_tender->id : "";
        for (uint32_t i = 0; i < s_ds.ntenders; i++) {
            if (strcmp(s_ds.t[i].id, want) != 0)
                continue;
            Mvoi__Tender o;
            Mvoi__ThemeAmbition ta[2], *tap[2];
            char reason[16];
            s_fill_tender(&o, ta, tap, reason, &s_ds.t[i]);
            Mvoi__TenderReply tr = MVOI__TENDER_REPLY__INIT;
            tr.tender = &o;
            rep.body_case = MVOI__ENVELOPE__BODY_TENDER_REPLY;
            rep.tender_reply = &tr;
            s_send(id, NULL, &rep, false);
            return;
        }
        s_error(id, &rep, MVOI__ERROR_CODE__ERR_NOT_FOUND, "get_tender.id");
        return;
    }
    case MVOI__ENVELOPE__BODY_LIST_FACTOR_TABLES:
        s_on_list_factor_tables(id, req, &rep);
        return;
    default:
        s_error(id, &rep, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "body");
    }
}

static volatile sig_atomic_t s_stop;
static void s_on_sig(int sig) { (void)sig; s_stop = 1; }

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s ENDPOINT YEAR NTENDERS NMEAS\n", argv[0]);
        return 64;
    }
    ds_generate(&s_ds, (uint32_t)atoi(argv[2]), (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]));
    s_build();
    signal(SIGTERM, s_on_sig);
    signal(SIGINT, s_on_sig);
    void *ctx = zmq_ctx_new();
    s_sock = zmq_socket(ctx, ZMQ_ROUTER);
    int hwm = 1000000, linger = 0, rcvto = 200;
    zmq_setsockopt(s_sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s_sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s_sock, ZMQ_RCVTIMEO, &rcvto, sizeof rcvto);
    if (zmq_bind(s_sock, argv[1]) != 0) {
        fprintf(stderr, "fakeup: bind %s: %s\n", argv[1], zmq_strerror(errno));
        return 1;
    }
    fprintf(stderr, "fakeup: %zu totals, %u tenders, %u measurements on %s\n", s_n,
            s_ds.ntenders, s_ds.nmeas, argv[1]);
    while (!s_stop) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, s_sock, 0) < 0) {
            zmq_msg_close(&id);
            continue;
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, s_sock, 0);
        int err = 0;
        Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body), 0, &err);
        if (req) {
            s_handle(&id, req);
            codec_free(&req);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
    zmq_close(s_sock);
    zmq_ctx_term(ctx);
    return 0;
}
