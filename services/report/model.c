/*  model: every figure of the report, computed once from what the upstream services said.
 *
 *  Columns of the KPI table (docs/domain.md#kpis):
 *    period  the quarter's window (quarterly report) or the year's window (annual report)
 *    ytd     year to date: quantities are the exact sum of the quarter windows 1..Q (for an
 *            annual report the year window itself); projects are the distinct, not
 *            cancelled tenders with a measurement in those quarters (distinct counts do not
 *            add up over quarters); the pilot target is the year's target (3)
 *    prev    the whole previous year's window
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define S_GROW(arr, n, cap)                                                              \
    do {                                                                                 \
        if ((n) == (cap)) {                                                              \
            size_t nc = (cap) ? (cap) * 2 : 64;                                          \
            void *p = realloc((arr), nc * sizeof *(arr));                                \
            if (!p) return NULL;                                                         \
            (arr) = p;                                                                   \
            (cap) = nc;                                                                  \
        }                                                                                \
    } while (0)

void rp_input_init(rp_input_t *in) { memset(in, 0, sizeof *in); }

void rp_input_free(rp_input_t *in)
{
    free(in->totals);
    free(in->tenders);
    free(in->contribs);
    free(in->factors);
    memset(in, 0, sizeof *in);
}

rp_total_t *rp_input_add_total(rp_input_t *in)
{
    S_GROW(in->totals, in->ntotals, in->captotals);
    rp_total_t *t = &in->totals[in->ntotals++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_tender_t *rp_input_add_tender(rp_input_t *in)
{
    S_GROW(in->tenders, in->ntenders, in->captenders);
    rp_tender_t *t = &in->tenders[in->ntenders++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_contrib_t *rp_input_add_contrib(rp_input_t *in)
{
    S_GROW(in->contribs, in->ncontribs, in->capcontribs);
    rp_contrib_t *t = &in->contribs[in->ncontribs++];
    memset(t, 0, sizeof *t);
    return t;
}
rp_factor_t *rp_input_add_factor(rp_input_t *in)
{
    S_GROW(in->factors, in->nfactors, in->capfactors);
    rp_factor_t *t = &in->factors[in->nfactors++];
    memset(t, 0, sizeof *t);
    return t;
}

/* ------------------------------------------------------------------ ambition levels */

/* Plan §4: baseline 2023 all themes at 1, klimaat and circulair at 2, social return at 4;
 * goal 2027 klimaat and circulair at 4, every theme stepping up towards 4. */
static const int s_baseline[RP_NTHEME] = { 0, 2, 2, 1, 1, 1, 4 };
static const int s_goal[RP_NTHEME] = { 0, 4, 4, 4, 4, 4, 4 };
#define S_MAXLEV 256
static struct { int theme; uint32_t year; int level; } s_lev[S_MAXLEV];
static int s_nlev;

int rp_levels_load(const char *path)
{
    s_nlev = 0;
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[256];
    while (fgets(line, sizeof line, f) && s_nlev < S_MAXLEV) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char name[64];
        unsigned y;
        int lv;
        if (sscanf(line, "%63[^;];%u;%d", name, &y, &lv) != 3 || lv < 1 || lv > 5)
            continue;
        for (int t = 1; t < RP_NTHEME; t++)
            if (strcmp(name, rp_theme_name(t)) == 0) {
                s_lev[s_nlev].theme = t;
                s_lev[s_nlev].year = y;
                s_lev[s_nlev++].level = lv;
            }
    }
    fclose(f);
    return s_nlev;
}

int rp_level(int theme, uint32_t year)
{
    for (int i = 0; i < s_nlev; i++)
        if (s_lev[i].theme == theme && s_lev[i].year == year)
            return s_lev[i].level;
    if (theme < 1 || theme >= RP_NTHEME)
        return 0;
    if (year == 2023)
        return s_baseline[theme];
    if (year == 2027)
        return s_goal[theme];
    return 0;
}

/* ------------------------------------------------------------------ model */

static void s_add(rp_val_t *a, const rp_val_t *b)
{
    a->ambition += b->ambition;
    a->realisation += b->realisation;
    a->target += b->target;
    a->denominator += b->denominator;
    a->count += b->count;
}

static const rp_tender_t *s_find_tender(const rp_input_t *in, const char *id)
{
    for (size_t i = 0; i < in->ntenders; i++)
        if (strcmp(in->tenders[i].id, id) == 0)
            return &in->tenders[i];
    return NULL;
}

/* Sorted index of tender ids for the large data sets (5,000 tenders x 6 KPIs lookups). */
typedef struct { const char *id; const rp_tender_t *t; } s_idx_t;
static int s_idx_cmp(const void *a, const void *b)
{
    return strcmp(((const s_idx_t *)a)->id, ((const s_idx_t *)b)->id);
}
static const rp_tender_t *s_lookup(const s_idx_t *idx, size_t n, const char *id)
{
    s_idx_t k = { id, NULL };
    const s_idx_t *f = idx ? bsearch(&k, idx, n, sizeof *idx, s_idx_cmp) : NULL;
    return f ? f->t : NULL;
}

typedef struct { const char *id; int kpi; } s_seen_t;
static int s_seen_cmp(const void *a, const void *b)
{
    const s_seen_t *x = a, *y = b;
    if (x->kpi != y->kpi) return x->kpi - y->kpi;
    return strcmp(x->id, y->id);
}

static int s_annex_cmp(const void *a, const void *b)
{
    const rp_annex_row_t *x = a, *y = b;
    int c = strcmp(x->t->planned, y->t->planned);
    return c ? c : strcmp(x->t->id, y->t->id);
}

static int s_contract_cmp(const void *a, const void *b)
{
    return strcmp(((const rp_contract_t *)a)->tender, ((const rp_contract_t *)b)->tender);
}

const char *rp_status_key(rp_status_t s)
{
    switch (s) {
    case RP_STATUS_ON_TRACK: return "report.status.on_track";
    case RP_STATUS_BEHIND: return "report.status.behind";
    case RP_STATUS_UNCOMMITTED: return "report.status.uncommitted";
    default: return "report.status.no_data";
    }
}

int rp_model_build(rp_report_t *r, const rp_input_t *in)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    uint32_t Q = in->quarter;
    r->ytd_quarters = Q ? Q : 4;
    if (Q)
        snprintf(r->period, sizeof r->period, "%u-q%u", in->year, Q);
    else
        snprintf(r->period, sizeof r->period, "%u", in->year);
    snprintf(r->period_prev, sizeof r->period_prev, "%u", in->year - 1);

    size_t nidx = in->ntenders;
    s_idx_t *idx = nidx ? calloc(nidx, sizeof *idx) : NULL;
    if (nidx && !idx)
        return -ENOMEM;
    for (size_t i = 0; i < nidx; i++)
        idx[i] = (s_idx_t){ in->tenders[i].id, &in->tenders[i] };
    if (idx)
        qsort(idx, nidx, sizeof *idx, s_idx_cmp);

    /* Annex: the period's tenders (planned publication in the quarter or the year). */
    r->annex = calloc(in->ntenders ? in->ntenders : 1, sizeof *r->annex);
    s_seen_t *seen = calloc(in->ntotals ? in->ntotals : 1, sizeof *seen);
    size_t nseen = 0;
    r->contracts = calloc(in->ntotals + in->ntenders + 1, sizeof *r->contracts);
    if (!r->annex || !seen || !r->contracts) {
        free(idx);
        free(seen);
        rp_model_free(r);
        return -ENOMEM;
    }
    for (size_t i = 0; i < in->ntenders; i++) {
        const rp_tender_t *t = &in->tenders[i];
        uint32_t y = 0, q = 0;
        if (rp_date_quarter(t->planned, &y, &q) != 0 || y != in->year || (Q && q != Q))
            continue;
        r->annex[r->nannex++].t = t;
        if (t->status == 8)
            r->cancelled++;
    }
    qsort(r->annex, r->nannex, sizeof *r->annex, s_annex_cmp);

    /* Index of annex rows by tender id, for the per-tender measurements. */
    s_idx_t *aidx = calloc(r->nannex + 1, sizeof *aidx);
    if (!aidx) {
        free(idx);
        free(seen);
        rp_model_free(r);
        return -ENOMEM;
    }
    for (size_t i = 0; i < r->nannex; i++)
        aidx[i] = (s_idx_t){ r->annex[i].t->id, (const rp_tender_t *)&r->annex[i] };
    qsort(aidx, r->nannex, sizeof *aidx, s_idx_cmp);

    bool any_measured = false;
    for (size_t i = 0; i < in->ntotals; i++) {
        const rp_total_t *t = &in->totals[i];
        if (t->kpi < 1 || t->kpi >= RP_NKPI || t->year != in->year)
            continue;
        bool in_period = Q ? t->quarter == Q : t->quarter == 0;
        bool in_ytd = Q ? (t->quarter >= 1 && t->quarter <= Q) : t->quarter == 0;
        bool all = !t->theme && !t->group[0] && !t->tender[0];
        if (all) {
            if (in_period) {
                r->kpi[t->kpi][RP_COL_PERIOD] = t->v;
                if (t->v.count)
                    any_measured = true;
            }
            if (in_ytd)
                s_add(&r->kpi[t->kpi][RP_COL_YTD], &t->v);
            if (t->quarter == 0) {
                if (!Q)
                    r->kpi[t->kpi][RP_COL_YTD].projects = t->v.projects;
                if (t->kpi == 6)
                    r->pilots = t->v;
            }
        } else if (t->theme && in_ytd) {
            if (t->theme < RP_NTHEME && rp_theme_kpi(t->theme) == t->kpi)
                s_add(&r->themes[t->theme].ytd, &t->v);
        } else if (t->tender[0]) {
            const rp_tender_t *tt = s_lookup(idx, nidx, t->tender);
            if (in_ytd && Q && t->v.count > 0 && !(tt && tt->status == 8))
                seen[nseen++] = (s_seen_t){ t->tender, t->kpi };
            if (in_period) {
                const rp_annex_row_t *ar = (const rp_annex_row_t *)s_lookup(aidx, r->nannex,
                                                                            t->tender);
                if (ar) {
                    rp_annex_row_t *w = (rp_annex_row_t *)ar;
                    w->realisation[t->kpi] = t->v.realisation;
                    w->count[t->kpi] = t->v.count;
                }
            }
            if (t->kpi == 2 && in_ytd && (t->v.target || t->v.realisation)) {
                size_t k;
                for (k = 0; k < r->ncontracts; k++)
                    if (strcmp(r->contracts[k].tender, t->tender) == 0)
                        break;
                if (k == r->ncontracts) {
                    snprintf(r->contracts[k].tender, RP_ID, "%s", t->tender);
                    r->contracts[k].t = tt;
                    r->ncontracts++;
                }
                r->contracts[k].obligation += t->v.target;
                r->contracts[k].realised += t->v.realisation;
            }
        }
    }
    if (Q) {
        /* Distinct projects per KPI over quarters 1..Q. */
        qsort(seen, nseen, sizeof *seen, s_seen_cmp);
        for (size_t i = 0; i < nseen; i++)
            if (i == 0 || s_seen_cmp(&seen[i], &seen[i - 1]) != 0)
                r->kpi[seen[i].kpi][RP_COL_YTD].projects++;
    }
    for (int k = 1; k < RP_NKPI; k++)
        r->kpi[k][RP_COL_PREV] = in->prev[k];
    /* The plan's pilot target is 3 a year whether or not the aggregator holds a total. */
    if (!r->pilots.target)
        r->pilots.target = RP_PILOT_TARGET;
    if (!r->kpi[6][RP_COL_PREV].target)
        r->kpi[6][RP_COL_PREV].target = RP_PILOT_TARGET;
    r->kpi[6][RP_COL_YTD].target = r->pilots.target;
    if (!Q)
        r->kpi[6][RP_COL_PERIOD].target = r->pilots.target;
    qsort(r->contracts, r->ncontracts, sizeof *r->contracts, s_contract_cmp);

    /* Themes: the year's tenders (not cancelled) with their commitments, and the status. */
    for (int th = 1; th < RP_NTHEME; th++) {
        rp_theme_row_t *row = &r->themes[th];
        row->theme = th;
        row->kpi = rp_theme_kpi(th);
        row->level_baseline = rp_level(th, 2023);
        row->level_year = rp_level(th, in->year);
        row->level_goal = rp_level(th, 2027);
    }
    for (size_t i = 0; i < in->ntenders; i++) {
        const rp_tender_t *t = &in->tenders[i];
        uint32_t y = 0, q = 0;
        if (t->status == 8 || rp_date_quarter(t->planned, &y, &q) != 0 || y != in->year ||
            q > r->ytd_quarters)
            continue;
        for (int j = 0; j < t->nthemes && j < 8; j++) {
            int th = t->themes[j].theme;
            if (th < 1 || th >= RP_NTHEME)
                continue;
            r->themes[th].in_scope++;
            if (t->themes[j].commitment)
                r->themes[th].committed++;
            if (t->themes[j].commitment == 3)
                r->themes[th].innovation++;
        }
    }
    for (int th = 1; th < RP_NTHEME; th++) {
        rp_theme_row_t *row = &r->themes[th];
        const rp_val_t *v = &row->ytd;
        if (v->ambition == 0 && v->realisation == 0 && v->count == 0 && row->committed == 0)
            row->status = RP_STATUS_NO_DATA;
        else if (v->ambition == 0 && row->committed == 0)
            row->status = RP_STATUS_UNCOMMITTED;
        else if (v->realisation >= v->ambition)
            row->status = RP_STATUS_ON_TRACK;
        else
            row->status = RP_STATUS_BEHIND;
    }
    for (size_t i = 0; i < in->nfactors; i++)
        if (in->factors[i].unverified_rows)
            r->unverified_tables++;
    r->empty = r->nannex == 0 && !any_measured;
    (void)s_find_tender;
    free(idx);
    free(aidx);
    free(seen);
    return 0;
}

void rp_model_free(rp_report_t *r)
{
    free(r->annex);
    free(r->contracts);
    r->annex = NULL;
    r->contracts = NULL;
}
