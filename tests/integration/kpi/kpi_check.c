/*  kpi_check: see kpi_check.h. */
#include "kpi_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "envelope.pb-c.h"
#include "mvoi_curve.h"
#include "mvoi_topic.h"

/* ---------------------------------------------------------------- kmap */

static uint64_t s_fnv(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t s_entry_hash(const kmap_t *m, const kentry_t *e)
{
    bool zero = true;
    for (int i = 0; i < F_N; i++)
        if (e->v[i])
            zero = false;
    if (zero)
        return 0;
    uint64_t h = s_fnv(e->key, strlen(e->key), 1469598103934665603ull);
    h = s_fnv(e->v, sizeof e->v, h);
    if (m->with_seq)
        h = s_fnv(&e->seq, sizeof e->seq, h);
    return h;
}

kmap_t *kmap_new(size_t cap, bool with_seq)
{
    kmap_t *m = calloc(1, sizeof *m);
    m->cap = cap;
    m->e = calloc(cap, sizeof *m->e);
    m->with_seq = with_seq;
    return m;
}

void kmap_destroy(kmap_t **mp)
{
    if (!*mp)
        return;
    free((*mp)->e);
    free(*mp);
    *mp = NULL;
}

void kmap_clear(kmap_t *m)
{
    memset(m->e, 0, m->cap * sizeof *m->e);
    m->n = 0;
    m->digest = 0;
}

kentry_t *kmap_get(kmap_t *m, const char *key, bool create)
{
    size_t i = (size_t)s_fnv(key, strlen(key), 1469598103934665603ull) & (m->cap - 1);
    while (m->e[i].used) {
        if (strcmp(m->e[i].key, key) == 0)
            return &m->e[i];
        i = (i + 1) & (m->cap - 1);
    }
    if (!create || m->n * 10 >= m->cap * 8 || strlen(key) >= sizeof m->e[i].key)
        return NULL;
    m->e[i].used = true;
    strcpy(m->e[i].key, key);
    m->n++;
    return &m->e[i];
}

void kmap_set(kmap_t *m, const char *key, const int64_t v[F_N], uint64_t seq)
{
    kentry_t *e = kmap_get(m, key, true);
    if (!e)
        return;
    m->digest -= s_entry_hash(m, e);
    memcpy(e->v, v, sizeof e->v);
    e->seq = seq;
    m->digest += s_entry_hash(m, e);
}

/* ---------------------------------------------------------------- expected totals */

static const char *s_kpis[] = { "", "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
static const char *s_themes[] = { "", "klimaat", "circulair", "milieu", "isv",
                                  "diversiteit_inclusie", "social_return" };

bool kpi_expect_pilot_year(const char *key)
{
    /* kpi.<buyer>.pilots.YYYY with no window quarter and no dimension */
    mvoi_topic_t t;
    return mvoi_topic_parse(key, &t) == 0 && t.family == MVOI_TOPIC_KPI && t.kpi == 6 &&
           t.quarter == 0 && t.theme == 0 && !t.group[0] && !t.tender[0];
}

size_t kpi_compare(kmap_t *snap, kmap_t *exp, size_t show, size_t *bad, size_t *missing)
{
    size_t checked = 0;
    *bad = *missing = 0;
    for (size_t i = 0; i < snap->cap; i++) {
        kentry_t *e = &snap->e[i];
        if (!e->used)
            continue;
        kentry_t *x = kmap_get(exp, e->key, false);
        int64_t want[F_N] = { 0 };
        if (x)
            memcpy(want, x->v, sizeof want);
        else if (kpi_expect_pilot_year(e->key))
            want[F_TARGET] = 3;   /* the target stands even where nothing was counted */
        if (memcmp(want, e->v, sizeof want) != 0 && (*bad)++ < show)
            fprintf(stderr, "%s: got amb %ld real %ld proj %ld target %ld den %ld count %ld; "
                    "want %ld %ld %ld %ld %ld %ld\n", e->key, (long)e->v[0], (long)e->v[1],
                    (long)e->v[2], (long)e->v[3], (long)e->v[4], (long)e->v[5],
                    (long)want[0], (long)want[1], (long)want[2], (long)want[3],
                    (long)want[4], (long)want[5]);
        checked++;
    }
    for (size_t i = 0; i < exp->cap; i++) {
        kentry_t *x = &exp->e[i];
        if (!x->used)
            continue;
        bool zero = true;
        for (int j = 0; j < F_N; j++)
            if (x->v[j] && !(j == F_TARGET && kpi_expect_pilot_year(x->key) && x->v[j] == 3))
                zero = false;
        if (!zero && !kmap_get(snap, x->key, false) && (*missing)++ < show)
            fprintf(stderr, "missing total %s\n", x->key);
    }
    return checked;
}

/* Add figures to the total named by (kpi, window, buyer, dim). */
static void s_add(kmap_t *m, int kpi, const char *win, const char *buyer, const char *dim,
                  const int64_t d[F_N], int tender, bool project)
{
    char key[80];
    snprintf(key, sizeof key, "kpi.%s.%s.%s%s", buyer, s_kpis[kpi], win, dim);
    kentry_t *e = kmap_get(m, key, true);
    for (int i = 0; i < F_N; i++)
        e->v[i] += d[i];
    if (tender > 0)
        (project ? e->tenders : e->published)[tender / 8] |= (uint8_t)(1u << (tender % 8));
}

/* Every window x dimension of one contribution. */
static void s_spread(kmap_t *m, int kpi, unsigned y, unsigned month, const char *buyer,
                     int theme_mask, int group, int tender, const int64_t d[F_N],
                     bool project)
{
    char wins[2][24], dim[64];
    snprintf(wins[0], 24, "%u", y);
    snprintf(wins[1], 24, "%u-q%u", y, (month - 1) / 3 + 1);
    for (int w = 0; w < 2; w++) {
        s_add(m, kpi, wins[w], buyer, "", d, tender, project);
        for (int t = 1; t <= 6; t++)
            if (theme_mask & (1 << t)) {
                snprintf(dim, sizeof dim, ".theme.%s", s_themes[t]);
                s_add(m, kpi, wins[w], buyer, dim, d, tender, project);
            }
        snprintf(dim, sizeof dim, ".group.G%d", group);
        s_add(m, kpi, wins[w], buyer, dim, d, tender, project);
        snprintf(dim, sizeof dim, ".tender.T%04d", tender);
        s_add(m, kpi, wins[w], buyer, dim, d, tender, project);
    }
}

kmap_t *kpi_expect(const wl_t *w)
{
    kmap_t *m = kmap_new(1u << 17, false);
    /* final tender states */
    wl_tender_t *ts = calloc(w->ntenders + 1, sizeof *ts);
    bool *known = calloc(w->ntenders + 1, sizeof *known);
    for (size_t i = 0; i < w->ntev; i++) {
        ts[w->tev[i].t.idx] = w->tev[i].t;
        known[w->tev[i].t.idx] = true;
    }
    /* final measurement states */
    uint32_t maxid = 0;
    for (size_t i = 0; i < w->niev; i++)
        if (w->iev[i].cur.id > maxid)
            maxid = w->iev[i].cur.id;
    wl_meas_t *ms = calloc(maxid + 1, sizeof *ms);
    bool *live = calloc(maxid + 1, sizeof *live);
    for (size_t i = 0; i < w->niev; i++) {
        const wl_iev_t *e = &w->iev[i];
        ms[e->cur.id] = e->cur;
        live[e->cur.id] = e->kind != 3;   /* IEV_WITHDRAWN */
    }
    for (uint32_t id = 1; id <= maxid; id++) {
        if (!live[id])
            continue;
        const wl_meas_t *x = &ms[id];
        for (int k = 1; k <= 6; k++) {
            if (!(x->fields & (1 << (k - 1))))
                continue;
            int64_t d[F_N] = { 0 };
            d[x->phase == 1 ? F_AMB : F_REAL] = x->v[k];
            d[F_DEN] = k == 1 ? x->v[0] : 0;
            d[F_COUNT] = 1;
            s_spread(m, k, x->year, x->month, wl_buyer(x->buyer), 1 << x->theme, x->group,
                     x->tender, d, true);
        }
    }
    for (uint32_t t = 1; t <= w->ntenders; t++) {
        const wl_tender_t *x = &ts[t];
        if (!known[t] || x->cancelled)
            continue;
        int mask = 0;
        for (int i = 0; i < x->nthemes; i++)
            mask |= 1 << x->themes[i];
        if (x->pilot) {
            int64_t d[F_N] = { [F_AMB] = 1 };
            s_spread(m, 6, x->pub_year, x->pub_month, wl_buyer(x->buyer), mask, x->group, t,
                     d, false);
        }
        if (x->sroi) {
            int64_t d[F_N] = { [F_TARGET] = x->sroi };
            s_spread(m, 2, x->pub_year, x->pub_month, wl_buyer(x->buyer), mask, x->group, t,
                     d, false);
        }
    }
    /* projects: tenders with a measurement there that are not cancelled */
    for (size_t i = 0; i < m->cap; i++) {
        kentry_t *e = &m->e[i];
        if (!e->used)
            continue;
        mvoi_topic_t tp;
        bool sroi = mvoi_topic_parse(e->key, &tp) == 0 && tp.kpi == 2;
        for (uint32_t t = 1; t <= w->ntenders && t < 512; t++) {
            bool proj = (e->tenders[t / 8] >> (t % 8)) & 1;
            bool pub = (e->published[t / 8] >> (t % 8)) & 1;
            if (!proj || (known[t] && ts[t].cancelled))
                continue;
            e->v[F_PROJ]++;
            /* SROI: the obligations of the tenders published here (above) or, not published
             * here, a project here (kpi_sroi.c: the contracts' basis) */
            if (sroi && !pub && known[t])
                e->v[F_TARGET] += ts[t].sroi;
        }
        /* KPI 6 counts distinct pilots: the non-cancelled tenders that reported there */
        if (mvoi_topic_parse(e->key, &tp) == 0 && tp.kpi == 6)
            e->v[F_REAL] = e->v[F_PROJ];
        if (kpi_expect_pilot_year(e->key))
            e->v[F_TARGET] += 3;
        int64_t v[F_N];
        memcpy(v, e->v, sizeof v);
        memset(e->v, 0, sizeof e->v);
        kmap_set(m, e->key, v, 0);   /* for the digest */
    }
    free(ts);
    free(known);
    free(ms);
    free(live);
    return m;
}

/* ---------------------------------------------------------------- Clone client */

struct clone_t {
    void *sub, *dealer;
    kmap_t *map;
    uint64_t seq, epoch, applied;
    int snapshots;
    unsigned reqno;
};

clone_t *clone_new(void *zctx, const char *api, const char *pub)
{
    clone_t *c = calloc(1, sizeof *c);
    c->map = kmap_new(1u << 16, true);
    int zero = 0;
    c->dealer = zmq_socket(zctx, ZMQ_DEALER);
    zmq_setsockopt(c->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->dealer, ZMQ_RCVHWM, &zero, sizeof zero);
    mvoi_curve_client(c->dealer, api);   /* CURVE when the test set a key */
    zmq_connect(c->dealer, api);
    if (pub) {
        /* Subscribe first (Clone): what is published while the snapshot is being read
         * queues here, unbounded, and is sorted out by seq afterwards. */
        c->sub = zmq_socket(zctx, ZMQ_SUB);
        zmq_setsockopt(c->sub, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(c->sub, ZMQ_RCVHWM, &zero, sizeof zero);
        zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "", 0);
        mvoi_curve_client(c->sub, pub);
        zmq_connect(c->sub, pub);
    }
    return c;
}

void clone_destroy(clone_t **cp)
{
    clone_t *c = *cp;
    if (!c)
        return;
    *cp = NULL;
    if (c->sub)
        zmq_close(c->sub);
    zmq_close(c->dealer);
    kmap_destroy(&c->map);
    free(c);
}

static void s_apply_total(kmap_t *m, const Mvoi__KpiTotal *t)
{
    int64_t v[F_N] = { t->ambition, t->realisation, t->projects, t->target, t->denominator,
                       t->count };
    kmap_set(m, t->key ? t->key : "", v, t->seq);
}

int clone_snapshot(clone_t *c, int timeout_ms)
{
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "";
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    char rid[32];
    snprintf(rid, sizeof rid, "snap-%u", ++c->reqno);
    env.request_id = rid;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[128];
    size_t len = mvoi__envelope__pack(&env, buf);
    if (zmq_send(c->dealer, buf, len, 0) < 0)
        return -EIO;
    kmap_clear(c->map);
    for (;;) {
        zmq_pollitem_t it = { c->dealer, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, timeout_ms) <= 0)
            return -ETIMEDOUT;
        zmq_msg_t f[2];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, c->dealer, 0);
            more = zmq_msg_more(&m);
            if (n < 2)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        zmq_msg_t *body = &f[n - 1];
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(body),
                                                    zmq_msg_data(body));
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (!e)
            return -EPROTO;
        int rc = 1;
        if (n == 2 && e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            s_apply_total(c->map, e->kpi_total);
        } else if (n == 1 && e->request_id && strcmp(e->request_id, rid) != 0) {
            /* a late answer to an earlier request */
        } else if (n == 1 && e->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END) {
            c->seq = e->snapshot_end->seq;
            c->epoch = e->snapshot_end->epoch;
            c->snapshots++;
            rc = 0;
        } else if (n == 1) {
            rc = -EPROTO;
        }
        mvoi__envelope__free_unpacked(e, NULL);
        if (rc <= 0)
            return rc;
    }
}

int clone_pump(clone_t *c, int max)
{
    for (int i = 0; i < max; i++) {
        zmq_msg_t t, b;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, c->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&t);
            return 0;
        }
        zmq_msg_init(&b);
        zmq_msg_recv(&b, c->sub, 0);
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&b), zmq_msg_data(&b));
        zmq_msg_close(&t);
        zmq_msg_close(&b);
        if (!e)
            continue;
        int need = 0;
        if (e->body_case == MVOI__ENVELOPE__BODY_HEARTBEAT) {
            if (e->heartbeat->head_seq > c->seq || e->heartbeat->epoch != c->epoch)
                need = 1;   /* the head is beyond what we have: we missed something */
        } else if (e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            if (e->seq == c->seq + 1) {
                s_apply_total(c->map, e->kpi_total);
                c->seq = e->seq;
                c->applied++;
            } else if (e->seq > c->seq + 1) {
                need = 1;   /* a gap */
            }               /* else: at or below the snapshot, already in it */
        }
        mvoi__envelope__free_unpacked(e, NULL);
        if (need)
            return 1;
    }
    return 0;
}

void *clone_sub(clone_t *c) { return c->sub; }
kmap_t *clone_state(clone_t *c) { return c->map; }
uint64_t clone_seq(clone_t *c) { return c->seq; }
uint64_t clone_epoch(clone_t *c) { return c->epoch; }
int clone_snapshots(clone_t *c) { return c->snapshots; }
uint64_t clone_applied(clone_t *c) { return c->applied; }
