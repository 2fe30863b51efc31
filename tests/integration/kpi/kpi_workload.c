/*  kpi_workload: see kpi_workload.h. */
#include "kpi_workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_next(uint64_t *s)   /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t s_rnd(uint64_t *s, uint32_t n) { return (uint32_t)(s_next(s) % n); }

const char *wl_buyer(uint8_t b) { return b ? "landgraaf" : "heerlen"; }
void wl_tender_id(char *buf, size_t len, uint16_t idx) { snprintf(buf, len, "T%04u", idx); }
void wl_group(char *buf, size_t len, uint8_t g) { snprintf(buf, len, "G%u", g); }
void wl_meas_id(char *buf, size_t len, uint32_t id) { snprintf(buf, len, "M%06u", id); }

static void s_values(uint64_t *s, wl_meas_t *m)
{
    memset(m->v, 0, sizeof m->v);
    for (int k = 1; k <= 6; k++) {
        if (!(m->fields & (1u << (k - 1))))
            continue;
        switch (k) {
        case 1: m->v[1] = s_rnd(s, 50); m->v[0] = m->v[1] + s_rnd(s, 50); break;
        case 2: m->v[2] = s_rnd(s, 10000000); break;
        case 3: m->v[3] = (int64_t)s_rnd(s, 100000000) * 7; break;
        case 4: m->v[4] = s_rnd(s, 10000000); break;
        case 5: m->v[5] = (int64_t)s_rnd(s, 30000000) * 3; break;
        case 6: m->v[6] = s_rnd(s, 2); break;
        }
    }
}

static void s_date(uint64_t *s, wl_meas_t *m)
{
    m->year = (uint16_t)(2025 + s_rnd(s, 2));
    m->month = (uint8_t)(1 + s_rnd(s, 12));
    m->day = (uint8_t)(1 + s_rnd(s, 28));
}

static void s_on_tender(wl_meas_t *m, const wl_tender_t *t)
{
    m->tender = t->idx;
    m->buyer = t->buyer;
    m->group = t->group;
}

/* The tenders' events: registrations, then updates, cancellations and a few reopenings
 * (ts holds each tender's current state). */
static void s_gen_tender_events(wl_t *w, uint64_t *rs, wl_tender_t *ts, size_t cap)
{
    uint64_t s = *rs;
    uint32_t ntenders = w->ntenders;
    for (uint32_t i = 0; i < ntenders; i++) {
        wl_tender_t *t = &ts[i];
        t->idx = (uint16_t)(i + 1);
        t->buyer = s_rnd(&s, 100) < 85 ? 0 : 1;
        t->group = (uint8_t)(1 + s_rnd(&s, 8));
        t->pub_year = (uint16_t)(2025 + s_rnd(&s, 2));
        t->pub_month = (uint8_t)(1 + s_rnd(&s, 12));
        t->pub_day = (uint8_t)(1 + s_rnd(&s, 28));
        t->pilot = s_rnd(&s, 100) < 12;
        t->sroi = s_rnd(&s, 100) < 60 ? (int64_t)s_rnd(&s, 5000000) * 10 : 0;
        t->nthemes = (uint8_t)s_rnd(&s, 4);
        for (int k = 0; k < t->nthemes; k++)
            t->themes[k] = (uint8_t)(1 + s_rnd(&s, 6));
        w->tev[w->ntev++] = (wl_tev_t){ MVOI__TENDER_EVENT_KIND__TEV_REGISTERED, *t };
    }
    /* updates, cancellations and a few reopenings */
    uint32_t nupd = ntenders / 3;
    for (uint32_t i = 0; i < nupd && w->ntev < cap; i++) {
        wl_tender_t *t = &ts[s_rnd(&s, ntenders)];
        uint32_t r = s_rnd(&s, 100);
        uint8_t kind = MVOI__TENDER_EVENT_KIND__TEV_UPDATED;
        if (r < 20 && !t->cancelled) {
            t->cancelled = true;
            kind = MVOI__TENDER_EVENT_KIND__TEV_CANCELLED;
        } else if (r < 25 && t->cancelled) {
            t->cancelled = false;
            kind = MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED;
        } else if (r < 50) {
            t->pilot = !t->pilot;
            kind = MVOI__TENDER_EVENT_KIND__TEV_AMBITION_RECORDED;
        } else if (r < 75) {
            t->pub_year = (uint16_t)(2025 + s_rnd(&s, 2));
            t->pub_month = (uint8_t)(1 + s_rnd(&s, 12));
        } else {
            t->sroi = (int64_t)s_rnd(&s, 5000000) * 10;
        }
        w->tev[w->ntev++] = (wl_tev_t){ kind, *t };
    }
    *rs = s;
}

wl_t *wl_new(uint64_t seed, uint32_t ntenders, uint32_t nmeas)
{
    wl_t *w = calloc(1, sizeof *w);
    uint64_t s = seed;
    w->ntenders = ntenders;
    wl_tender_t *ts = calloc(ntenders, sizeof *ts);
    size_t cap = ntenders * 2 + 16;
    w->tev = calloc(cap, sizeof *w->tev);
    s_gen_tender_events(w, &s, ts, cap);
    /* measurements: computed, ~5% corrections, ~2% withdrawals */
    uint32_t ncorr = nmeas / 20, nwd = nmeas / 50;
    w->iev = calloc(nmeas + ncorr + nwd, sizeof *w->iev);
    wl_meas_t *cur = calloc(nmeas + 1, sizeof *cur);
    uint32_t *live = calloc(nmeas + 1, sizeof *live);
    uint32_t nlive = 0, made = 0, c = 0, wd = 0;
    while (made < nmeas || c < ncorr || wd < nwd) {
        uint32_t left = (nmeas - made) + (ncorr - c) + (nwd - wd);
        uint32_t r = s_rnd(&s, left);
        wl_iev_t *e = &w->iev[w->niev];
        if (r < nmeas - made || nlive == 0) {
            if (made == nmeas)
                break;
            wl_meas_t *m = &cur[++made];
            m->id = made;
            s_on_tender(m, &ts[s_rnd(&s, ntenders)]);
            m->phase = s_rnd(&s, 100) < 15 ? 1 : 2;
            s_date(&s, m);
            m->revision = 1;
            m->theme = (uint8_t)(1 + s_rnd(&s, 6));
            uint32_t k = s_rnd(&s, 100);
            m->fields = k < 15 ? 1 : k < 30 ? 2 : k < 45 ? 4 : k < 60 ? 8 : k < 85 ? 16
                      : k < 90 ? 32 : (4 | 16);
            s_values(&s, m);
            live[nlive++] = m->id;
            e->kind = MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
            e->cur = *m;
        } else if (r < nmeas - made + ncorr - c) {
            c++;
            wl_meas_t *m = &cur[live[s_rnd(&s, nlive)]];
            e->prev = *m;
            m->revision++;
            if (s_rnd(&s, 100) < 30)
                s_date(&s, m);
            if (s_rnd(&s, 100) < 10) {
                /* to another tender of the same buyer: a measurement is its buyer's (the
                 * impact-calculator keys it by buyer and id) */
                uint32_t ti = s_rnd(&s, ntenders);
                for (uint32_t step = 0; step < ntenders; step++)
                    if (ts[(ti + step) % ntenders].buyer == m->buyer) {
                        s_on_tender(m, &ts[(ti + step) % ntenders]);
                        break;
                    }
            }
            s_values(&s, m);
            e->kind = MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED;
            e->cur = *m;
        } else {
            wd++;
            uint32_t li = s_rnd(&s, nlive);
            wl_meas_t *m = &cur[live[li]];
            live[li] = live[--nlive];
            e->prev = *m;
            e->cur = *m;
            e->kind = MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN;
        }
        w->niev++;
    }
    free(cur);
    free(live);
    free(ts);
    return w;
}

void wl_destroy(wl_t **self_p)
{
    wl_t *w = *self_p;
    if (!w)
        return;
    *self_p = NULL;
    free(w->tev);
    free(w->iev);
    free(w);
}

void wl_calendar_env(const wl_t *w, size_t i, wl_env_t *o)
{
    const wl_tev_t *e = &w->tev[i];
    mvoi__envelope__init(&o->env);
    mvoi__tender_event__init(&o->te);
    mvoi__tender__init(&o->t);
    wl_tender_id(o->s[0], 32, e->t.idx);
    wl_group(o->s[1], 32, e->t.group);
    snprintf(o->s[2], 32, "%04u-%02u-%02u", e->t.pub_year, e->t.pub_month, e->t.pub_day);
    o->t.id = o->s[0];
    o->t.buyer = (char *)wl_buyer(e->t.buyer);
    o->t.purchasing_group = o->s[1];
    o->t.planned_publication = o->s[2];
    o->t.has_pilot = true;
    o->t.pilot = e->t.pilot;
    o->t.has_status = true;
    o->t.status = e->t.cancelled ? MVOI__TENDER_STATUS__STATUS_CANCELLED
                                 : MVOI__TENDER_STATUS__STATUS_PLANNED;
    if (e->t.sroi) {
        o->t.has_sroi_obligation_cents = true;
        o->t.sroi_obligation_cents = e->t.sroi;
    }
    for (int k = 0; k < e->t.nthemes; k++) {
        mvoi__theme_ambition__init(&o->ta[k]);
        o->ta[k].has_theme = true;
        o->ta[k].theme = e->t.themes[k];
        o->tap[k] = &o->ta[k];
    }
    o->t.n_themes = e->t.nthemes;
    o->t.themes = o->tap;
    o->te.has_kind = true;
    o->te.kind = e->kind;
    o->te.tender = &o->t;
    o->env.buyer = o->t.buyer;
    o->env.body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    o->env.tender_event = &o->te;
}

static void s_fill(const wl_meas_t *x, Mvoi__Measurement *m, Mvoi__Impact *im, char *sid,
                   char *stid, char *sdate)
{
    mvoi__measurement__init(m);
    mvoi__impact__init(im);
    wl_meas_id(sid, 32, x->id);
    wl_tender_id(stid, 32, x->tender);
    snprintf(sdate, 32, "%04u-%02u-%02u", x->year, x->month, x->day);
    m->id = sid;
    m->buyer = (char *)wl_buyer(x->buyer);
    m->tender_id = stid;
    m->has_phase = true;
    m->phase = x->phase;
    m->period_end = sdate;
    m->has_revision = true;
    m->revision = x->revision;
    im->has_theme = true;
    im->theme = x->theme;
    if (x->fields & 1) {
        im->has_fairtrade_products = im->has_risk_products = true;
        im->fairtrade_products = x->v[1];
        im->risk_products = x->v[0];
    }
    if (x->fields & 2) { im->has_sroi_realised_cents = true; im->sroi_realised_cents = x->v[2]; }
    if (x->fields & 4) { im->has_nox_avoided_mg = true; im->nox_avoided_mg = x->v[3]; }
    if (x->fields & 8) { im->has_primary_material_g = true; im->primary_material_g = x->v[4]; }
    if (x->fields & 16) { im->has_co2_avoided_g = true; im->co2_avoided_g = x->v[5]; }
    if (x->fields & 32) { im->has_pilots = true; im->pilots = x->v[6]; }
}

void wl_impact_env(const wl_t *w, size_t i, wl_env_t *o)
{
    const wl_iev_t *e = &w->iev[i];
    mvoi__envelope__init(&o->env);
    mvoi__impact_event__init(&o->ie);
    s_fill(&e->cur, &o->m, &o->im, o->s[0], o->s[1], o->s[2]);
    o->ie.has_kind = true;
    o->ie.kind = e->kind;
    o->ie.measurement = &o->m;
    if (e->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN)
        o->ie.impact = &o->im;
    if (e->kind != MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED) {
        s_fill(&e->prev, &o->pm, &o->pim, o->s[3], o->s[4], o->s[5]);
        o->ie.previous = &o->pm;
        o->ie.previous_impact = &o->pim;
    }
    wl_group(o->s[6], 32, e->cur.group);
    o->ie.purchasing_group = o->s[6];
    o->env.buyer = o->m.buyer;
    o->env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    o->env.impact_event = &o->ie;
}
