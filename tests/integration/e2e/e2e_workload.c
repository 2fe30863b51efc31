/*  e2e_workload: the seeded tenders, measurements, corrections, withdrawals and
 *  cancels, and their order as requests. See e2e.h. */
#include "e2e_internal.h"

#include <stdlib.h>

/* ================================================================ workload */

static const unsigned s_maxqty[K_N] = { 20000, 2000, 50000, 500000, 12, 500, 100000, 1 };
static const uint8_t s_kind_theme[K_N] = { 1, 3, 3, 2, 6, 4, 3, 0 };

static uint64_t s_next(uint64_t *s)   /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t s_rnd(uint64_t *s, uint32_t n) { return (uint32_t)(s_next(s) % n); }

static void s_inputs(uint64_t *s, e2e_mv_t *m)
{
    m->combo = (uint8_t)s_rnd(s, e2e_ncombos[m->kind]);
    m->qty = 1 + s_rnd(s, s_maxqty[m->kind]);
    m->theme = m->kind == K_PILOT ? (uint8_t)(1 + s_rnd(s, 6)) : s_kind_theme[m->kind];
}

static void s_date(uint64_t *s, e2e_mv_t *m)
{
    m->year = (uint16_t)(2025 + s_rnd(s, 2));
    m->month = (uint8_t)(1 + s_rnd(s, 12));
    m->day = (uint8_t)(1 + s_rnd(s, 28));
}

typedef struct {
    uint32_t due, seq;
    uint32_t id;
    uint8_t what;   /* R_CORRECT or R_WITHDRAW */
} s_follow_t;

static int s_follow_cmp(const void *a, const void *b)
{
    const s_follow_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Tender i (1..ntenders) of the workload: buyer, group, dates, themes, value, SROI. */
static void s_gen_tenders(e2e_wl_t *w, uint64_t *rs)
{
    uint64_t s = *rs;
    uint32_t ntenders = w->ntenders;
    for (uint32_t i = 1; i <= ntenders; i++) {
        e2e_tender_t *x = &w->tenders[i];
        wl_tender_t *t = &x->t;
        t->idx = (uint16_t)i;
        t->buyer = s_rnd(&s, 100) < 85 ? 0 : 1;
        t->group = (uint8_t)(1 + s_rnd(&s, 8));
        t->pub_year = (uint16_t)(2025 + s_rnd(&s, 2));
        t->pub_month = (uint8_t)(1 + s_rnd(&s, 12));
        t->pub_day = (uint8_t)(1 + s_rnd(&s, 28));
        t->pilot = s_rnd(&s, 100) < 12;
        uint8_t nth = (uint8_t)s_rnd(&s, 4);
        for (int k = 0; k < nth; k++) {
            uint8_t th = (uint8_t)(1 + s_rnd(&s, 6));
            bool dup = false;
            for (int j = 0; j < t->nthemes; j++)
                dup |= t->themes[j] == th;
            if (!dup)
                t->themes[t->nthemes++] = th;
        }
        bool social = false;
        for (int j = 0; j < t->nthemes; j++)
            social |= t->themes[j] == 6;
        x->kind = (uint8_t)(1 + s_rnd(&s, 3));
        /* a multiple of 100 euro, so that the obligation pct x value is exact */
        x->value_cents = (int64_t)(1 + s_rnd(&s, 50000)) * 10000;
        x->sroi_bp = social || s_rnd(&s, 100) < 50 ? 200 + s_rnd(&s, 301) : 0;
        t->sroi = x->value_cents / 10000 * x->sroi_bp;
    }
    *rs = s;
}

/* The original measurements (ids 1..nmeas) on random tenders, every kind. */
static void s_gen_meas(e2e_wl_t *w, uint64_t *rs)
{
    uint64_t s = *rs;
    uint32_t nmeas = w->nmeas, ntenders = w->ntenders;
    size_t cap_mv = (size_t)nmeas * 2 + 64;
    w->mv = calloc(cap_mv, sizeof *w->mv);
    for (uint32_t i = 0; i < nmeas; i++) {
        e2e_mv_t *m = &w->mv[i];
        m->id = i + 1;
        const wl_tender_t *t = &w->tenders[1 + s_rnd(&s, ntenders)].t;
        m->tender = t->idx;
        m->buyer = t->buyer;
        m->group = t->group;
        m->phase = s_rnd(&s, 100) < 30 ? 1 : 2;
        /* every kind; pilots and MKI rarer */
        uint32_t r = s_rnd(&s, 100);
        m->kind = r < 2 ? K_PILOT : r < 6 ? K_MKI : (uint8_t)(r % 6);
        w->per_kind[m->kind]++;
        s_inputs(&s, m);
        s_date(&s, m);
    }
    *rs = s;
}

typedef struct { uint32_t off, n; uint8_t buyer; } s_batch_t;

/* Batch boundaries per buyer (a request has one buyer), computed first so that follow-ups
 * can be scheduled by batch: fills w->items, batch_of (by id) and batches; their number. */
static size_t s_gen_batches(e2e_wl_t *w, uint32_t batch, uint32_t *batch_of, s_batch_t *batches)
{
    uint32_t nmeas = w->nmeas;
    size_t nbatches = 0;
    uint32_t *pend[2];
    uint32_t npend[2] = { 0, 0 };
    pend[0] = malloc(batch * sizeof(uint32_t));
    pend[1] = malloc(batch * sizeof(uint32_t));
    for (uint32_t i = 0; i <= nmeas; i++) {
        for (int b = 0; b < 2; b++) {
            bool flush = npend[b] == batch || (i == nmeas && npend[b] > 0);
            if (!flush)
                continue;
            batches[nbatches] = (s_batch_t){ (uint32_t)w->nitems, npend[b], (uint8_t)b };
            for (uint32_t k = 0; k < npend[b]; k++) {
                w->items[w->nitems++] = pend[b][k];
                batch_of[pend[b][k] + 1] = (uint32_t)nbatches;
            }
            nbatches++;
            npend[b] = 0;
        }
        if (i < nmeas)
            pend[w->mv[i].buyer][npend[w->mv[i].buyer]++] = i;
    }
    free(pend[0]);
    free(pend[1]);
    return nbatches;
}

/* Follow-ups by due batch: ~5 % corrected (some twice, some then withdrawn), ~2 %
 * withdrawn. Sorted by due batch, then order of creation. */
static s_follow_t *s_gen_follow(uint64_t *rs, uint32_t nmeas, const uint32_t *batch_of,
                                size_t *nfu_out)
{
    uint64_t s = *rs;
    /* follow-ups: ~5 % corrected (some twice, some then withdrawn), ~2 % withdrawn */
    s_follow_t *fu = calloc(nmeas / 4 + 16, sizeof *fu);
    size_t nfu = 0;
    for (uint32_t id = 1; id <= nmeas; id++) {
        uint32_t r = s_rnd(&s, 1000);
        uint32_t due = batch_of[id] + 2 + s_rnd(&s, 24);
        if (r < 50) {
            fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_CORRECT };
            nfu++;
            if (s_rnd(&s, 100) < 15) {
                due += 1 + s_rnd(&s, 8);
                fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_CORRECT };
                nfu++;
            }
            if (s_rnd(&s, 100) < 8) {
                due += 1 + s_rnd(&s, 8);
                fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_WITHDRAW };
                nfu++;
            }
        } else if (r < 70) {
            fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_WITHDRAW };
            nfu++;
        }
    }
    qsort(fu, nfu, sizeof *fu, s_follow_cmp);
    *nfu_out = nfu;
    *rs = s;
    return fu;
}

e2e_wl_t *e2e_wl_new(uint64_t seed, uint32_t ntenders, uint32_t nmeas, uint32_t batch)
{
    e2e_wl_t *w = calloc(1, sizeof *w);
    uint64_t s = seed;
    w->seed = seed;
    w->rid_seed = seed;
    w->ntenders = ntenders;
    w->nmeas = nmeas;
    w->tenders = calloc(ntenders + 1, sizeof *w->tenders);
    s_gen_tenders(w, &s);
    /* originals, then batches per buyer (a request has one buyer) */
    s_gen_meas(w, &s);
    w->nmv = nmeas;
    w->items = calloc(nmeas, sizeof *w->items);
    uint32_t *batch_of = calloc(nmeas + 1, sizeof *batch_of);   /* by id */
    size_t nbatches = 0;
    size_t cap_req = ntenders * 2 + nmeas / (batch ? batch : 1) + nmeas / 5 + 64;
    w->req = calloc(cap_req, sizeof *w->req);
    /* batch boundaries, computed first so that follow-ups can be scheduled by batch */
    s_batch_t *batches = calloc(nmeas / (batch ? batch : 1) + 4, sizeof *batches);
    nbatches = s_gen_batches(w, batch, batch_of, batches);
    size_t nfu = 0;
    s_follow_t *fu = s_gen_follow(&s, nmeas, batch_of, &nfu);

    w->final = calloc(nmeas + 1, sizeof *w->final);
    w->withdrawn = calloc(nmeas + 1, sizeof *w->withdrawn);
    int32_t *last_req = calloc(nmeas + 1, sizeof *last_req);
    for (uint32_t t = 1; t <= ntenders; t++)
        w->req[w->nreq++] = (e2e_req_t){ R_TENDER, w->tenders[t].t.buyer, t, 0, -1 };
    w->first_meas_req = w->nreq;
    size_t f = 0;
    for (size_t b = 0; b <= nbatches; b++) {
        if (b < nbatches) {
            int32_t ri = (int32_t)w->nreq;
            w->req[w->nreq++] = (e2e_req_t){ R_SUBMIT, batches[b].buyer, batches[b].off,
                                             batches[b].n, -1 };
            for (uint32_t k = 0; k < batches[b].n; k++) {
                uint32_t mi = w->items[batches[b].off + k];
                last_req[w->mv[mi].id] = ri;
                w->final[w->mv[mi].id] = mi;
            }
        }
        while (f < nfu && (fu[f].due <= b || b == nbatches)) {
            const s_follow_t *x = &fu[f++];
            if (w->withdrawn[x->id])
                continue;
            const e2e_mv_t *cur = &w->mv[w->final[x->id]];
            int32_t ri = (int32_t)w->nreq;
            if (x->what == R_CORRECT) {
                e2e_mv_t *m = &w->mv[w->nmv];
                *m = *cur;
                s_inputs(&s, m);
                if (s_rnd(&s, 100) < 30)
                    m->phase = m->phase == 1 ? 2 : 1;
                if (s_rnd(&s, 100) < 30)
                    s_date(&s, m);
                w->req[w->nreq++] = (e2e_req_t){ R_CORRECT, m->buyer, (uint32_t)w->nmv, 1,
                                                 last_req[x->id] };
                w->final[x->id] = (uint32_t)w->nmv++;
                w->corrections++;
            } else {
                w->req[w->nreq++] = (e2e_req_t){ R_WITHDRAW, cur->buyer, w->final[x->id], 1,
                                                 last_req[x->id] };
                w->withdrawn[x->id] = true;
                w->withdrawals++;
            }
            last_req[x->id] = ri;
        }
    }
    /* a few tenders are cancelled at the end: they leave the project counts */
    w->first_cancel_req = w->nreq;
    for (int k = 0; k < 6 && ntenders > 12; k++) {
        uint32_t t = 1 + s_rnd(&s, ntenders);
        if (w->tenders[t].t.cancelled)
            continue;
        w->tenders[t].t.cancelled = true;
        w->req[w->nreq++] = (e2e_req_t){ R_CANCEL, w->tenders[t].t.buyer, t, 0, -1 };
        w->cancels++;
    }
    free(fu);
    free(last_req);
    free(batch_of);
    free(batches);
    return w;
}

void e2e_wl_destroy(e2e_wl_t **self_p)
{
    e2e_wl_t *w = *self_p;
    if (!w)
        return;
    *self_p = NULL;
    free(w->tenders);
    free(w->mv);
    free(w->items);
    free(w->req);
    free(w->final);
    free(w->withdrawn);
    free(w);
}
