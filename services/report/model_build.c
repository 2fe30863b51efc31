/*  model_build: every figure of the report, computed once from what the upstream services
 *  said. One function per part of the report; rp_model_build() calls them in order.
 *
 *  Columns of the KPI table (docs/domain.md#kpis):
 *    period  the quarter's window (quarterly report) or the year's window (annual report)
 *    ytd     year to date: quantities are the exact sum of the quarter windows 1..Q (for an
 *            annual report the year window itself); projects are the distinct, not
 *            cancelled tenders with a measurement in those quarters (distinct counts do not
 *            add up over quarters); so are the realised pilots (KPI 6 counts a pilot once
 *            per window); the pilot target is the year's target (3)
 *    prev    the whole previous year's window
 *
 *  SROI per contract: the obligation is the calendar's (percentage x contract value) for the
 *  whole contract whatever year the tender was published in (the aggregator books it in the
 *  window of the planned publication only, so a 2024 contract measured in 2026 would show
 *  0 there); the realisation is year to date. The total line adds only contracts whose
 *  obligation is known, so it compares like with like; realisation on other contracts is
 *  shown beside it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_names.h"
#include "report.h"

#define S_CANCELLED 8   /* TenderStatus STATUS_CANCELLED */

typedef struct { const char *id; const void *p; } s_idx_t;

static int s_idx_cmp(const void *a, const void *b)
{
    return strcmp(((const s_idx_t *)a)->id, ((const s_idx_t *)b)->id);
}

static const void *s_lookup(const s_idx_t *idx, size_t n, const char *id)
{
    s_idx_t k = { id, NULL };
    const s_idx_t *f = idx ? bsearch(&k, idx, n, sizeof *idx, s_idx_cmp) : NULL;
    return f ? f->p : NULL;
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

static int s_early_cmp(const void *a, const void *b)
{
    const rp_early_t *x = a, *y = b;
    int c = strcmp(x->t->id, y->t->id);
    if (c) return c;
    if (x->kpi != y->kpi) return x->kpi - y->kpi;
    return (int)x->quarter - (int)y->quarter;
}

static void s_add(rp_val_t *a, const rp_val_t *b)
{
    a->ambition += b->ambition;
    a->realisation += b->realisation;
    a->target += b->target;
    a->denominator += b->denominator;
    a->count += b->count;
}

/* Scratch indexes of one build. */
typedef struct {
    s_idx_t *tenders;   /* all tenders by id -> rp_tender_t */
    size_t ntenders;
    s_idx_t *annex;     /* annex rows by tender id -> rp_annex_row_t */
    s_seen_t *seen;     /* (tender, kpi) with a measurement in quarters 1..Q */
    size_t nseen;
    bool any_measured;
} s_work_t;

static void s_work_free(s_work_t *w)
{
    free(w->tenders);
    free(w->annex);
    free(w->seen);
}

static void s_period(rp_report_t *r, const rp_input_t *in, int64_t now_ms)
{
    uint32_t Q = in->quarter;
    r->ytd_quarters = Q ? Q : 4;
    if (Q)
        snprintf(r->period, sizeof r->period, "%u-q%u", in->year, Q);
    else
        snprintf(r->period, sizeof r->period, "%u", in->year);
    snprintf(r->period_prev, sizeof r->period_prev, "%u", in->year - 1);
    r->period_from_ms = rp_quarter_start_utc(in->year, Q ? Q : 1);
    r->period_to_ms = rp_quarter_start_utc(in->year, Q ? Q + 1 : 5);
    r->provisional = now_ms < r->period_to_ms;
}

/* The period's tenders (planned publication in the quarter or the year), by date. */
static int s_annex(rp_report_t *r, const rp_input_t *in, s_work_t *w)
{
    r->annex = rp__calloc(in->ntenders ? in->ntenders : 1, sizeof *r->annex);
    w->tenders = rp__calloc(in->ntenders + 1, sizeof *w->tenders);
    if (!r->annex || !w->tenders)
        return -ENOMEM;
    w->ntenders = in->ntenders;
    for (size_t i = 0; i < in->ntenders; i++) {
        const rp_tender_t *t = &in->tenders[i];
        w->tenders[i] = (s_idx_t){ t->id, t };
        uint32_t y = 0, q = 0;
        if (rp_date_quarter(t->planned, &y, &q) != 0 || y != in->year ||
            (in->quarter && q != in->quarter))
            continue;
        r->annex[r->nannex++].t = t;
        if (t->status == S_CANCELLED)
            r->cancelled++;
    }
    qsort(w->tenders, w->ntenders, sizeof *w->tenders, s_idx_cmp);
    qsort(r->annex, r->nannex, sizeof *r->annex, s_annex_cmp);
    w->annex = rp__calloc(r->nannex + 1, sizeof *w->annex);
    if (!w->annex)
        return -ENOMEM;
    for (size_t i = 0; i < r->nannex; i++)
        w->annex[i] = (s_idx_t){ r->annex[i].t->id, &r->annex[i] };
    qsort(w->annex, r->nannex, sizeof *w->annex, s_idx_cmp);
    return 0;
}

/* Realisation in a quarter that ended before the planned publication ("YYYY-MM-DD" strings
 * compare as dates). */
static bool s_before_publication(const rp_tender_t *t, uint32_t year, uint32_t quarter)
{
    static const char *const ends[] = { "", "03-31", "06-30", "09-30", "12-31" };
    char end[16];
    snprintf(end, sizeof end, "%04u-%s", year, ends[quarter]);
    return t->planned[0] && strcmp(t->planned, end) > 0;
}

/* One tender total: projects seen, the annex row's measurements, early realisation. */
static void s_tender_total(rp_report_t *r, const rp_input_t *in, s_work_t *w,
                           const rp_total_t *t, bool in_period, bool in_ytd)
{
    const rp_tender_t *tt = s_lookup(w->tenders, w->ntenders, t->tender);
    if (tt && t->quarter >= 1 && t->quarter <= r->ytd_quarters && t->v.realisation &&
        s_before_publication(tt, t->year, t->quarter))
        r->early[r->nearly++] = (rp_early_t){ tt, t->kpi, t->quarter, t->v.realisation };
    if (in_ytd && in->quarter && t->v.count > 0 && !(tt && tt->status == S_CANCELLED))
        w->seen[w->nseen++] = (s_seen_t){ t->tender, t->kpi };
    if (in_period) {
        rp_annex_row_t *ar = (rp_annex_row_t *)s_lookup(w->annex, r->nannex, t->tender);
        if (ar) {
            ar->realisation[t->kpi] = t->v.realisation;
            ar->count[t->kpi] = t->v.count;
        }
    }
}

/* The KPI columns, the theme figures and the per-tender figures from the totals. */
static void s_totals(rp_report_t *r, const rp_input_t *in, s_work_t *w)
{
    uint32_t Q = in->quarter;
    for (size_t i = 0; i < in->ntotals; i++) {
        const rp_total_t *t = &in->totals[i];
        if (t->kpi < 1 || t->kpi >= RP_NKPI || t->year != in->year)
            continue;
        bool in_period = Q ? t->quarter == Q : t->quarter == 0;
        bool in_ytd = Q ? (t->quarter >= 1 && t->quarter <= Q) : t->quarter == 0;
        if (!t->theme && !t->group[0] && !t->tender[0]) {
            if (in_period) {
                r->kpi[t->kpi][RP_COL_PERIOD] = t->v;
                if (t->v.count)
                    w->any_measured = true;
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
            s_tender_total(r, in, w, t, in_period, in_ytd);
        }
    }
    if (Q) {
        /* Distinct projects per KPI over quarters 1..Q. */
        qsort(w->seen, w->nseen, sizeof *w->seen, s_seen_cmp);
        for (size_t i = 0; i < w->nseen; i++)
            if (i == 0 || s_seen_cmp(&w->seen[i], &w->seen[i - 1]) != 0)
                r->kpi[w->seen[i].kpi][RP_COL_YTD].projects++;
        /* KPI 6 counts distinct pilots, its realisation is its projects (a pilot is its
         * tender, once per window: kpi_work.c), so its year to date is not the sum of the
         * quarters: a pilot that reported in three of them is one. And a quarterly report
         * speaks as of its quarter's end: the year's pilots so far, not those after it. */
        r->kpi[6][RP_COL_YTD].realisation = r->kpi[6][RP_COL_YTD].projects;
        r->pilots.realisation = r->kpi[6][RP_COL_YTD].projects;
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
    /* No target where the plan sets none (mvoi_kpi_has_target: SROI and pilots only), and
     * none for a quarter of the pilots' yearly 3: "–", as mvoictl kpi show says, not a
     * target of 0 ("Doel 0 producten" read as a target met by any count). */
    for (int k = 1; k < RP_NKPI; k++)
        for (int c = 0; c < RP_NCOL; c++)
            r->target_na[k][c] = !mvoi_kpi_has_target(k);
    r->target_na[6][RP_COL_PERIOD] = Q != 0;
}

/* SROI per contract: tenders of the year to date with an obligation, and every tender with
 * social return realised this year to date, whatever year it was published in. */
static int s_contracts(rp_report_t *r, const rp_input_t *in, const s_work_t *w)
{
    /* Rows per tender and per realised total first, then sorted by tender and merged:
     * O(n log n) over the 5,000-contract year of the benchmark. */
    rp_contract_t *c = rp__calloc(in->ntotals + in->ntenders + 1, sizeof *c);
    if (!c)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < in->ntenders; i++) {
        const rp_tender_t *t = &in->tenders[i];
        uint32_t y = 0, q = 0;
        if (t->status == S_CANCELLED || t->sroi_obligation_cents <= 0 ||
            rp_date_quarter(t->planned, &y, &q) != 0 || y != in->year || q > r->ytd_quarters)
            continue;
        snprintf(c[n].tender, RP_ID, "%s", t->id);
        c[n].in_period = !in->quarter || q == in->quarter;
        c[n++].t = t;
    }
    uint32_t Q = in->quarter;
    for (size_t i = 0; i < in->ntotals; i++) {
        const rp_total_t *t = &in->totals[i];
        bool in_ytd = Q ? (t->quarter >= 1 && t->quarter <= Q) : t->quarter == 0;
        /* realised on there: a realisation other than 0 (a tender total's count holds its
         * ambition measurements too, so a 0 with a count is no sign of a realisation; the
         * target's basis counts contracts realised on). A contract listed without one has
         * realised_count 0: "–", not € 0,00. */
        if (t->kpi != 2 || !t->tender[0] || t->year != in->year || !in_ytd ||
            !t->v.realisation)
            continue;
        snprintf(c[n].tender, RP_ID, "%s", t->tender);
        c[n].t = s_lookup(w->tenders, w->ntenders, t->tender);
        c[n].in_period = !Q || t->quarter == Q;
        c[n].realised_count = t->v.count;
        c[n++].realised = t->v.realisation;
    }
    qsort(c, n, sizeof *c, s_contract_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && strcmp(c[u - 1].tender, c[i].tender) == 0) {
            c[u - 1].realised += c[i].realised;
            c[u - 1].realised_count += c[i].realised_count;
            c[u - 1].in_period |= c[i].in_period;
            continue;
        }
        c[u] = c[i];
        /* the calendar's obligation for the whole contract; none when cancelled */
        c[u].obligation = c[u].t && c[u].t->status != S_CANCELLED
                              ? c[u].t->sroi_obligation_cents : 0;
        u++;
    }
    r->contracts = c;
    r->ncontracts = u;
    int64_t period_obligation = 0;
    for (size_t i = 0; i < u; i++) {
        if (c[i].obligation > 0) {
            r->sroi_obligation += c[i].obligation;
            r->sroi_realised += c[i].realised;
            if (c[i].in_period)
                period_obligation += c[i].obligation;
        } else {
            r->sroi_realised_other += c[i].realised;
            r->sroi_other++;
        }
    }
    /* The KPI table's SROI target stands on the basis the theme section and the contract
     * table measure against: the obligation of the contracts realised or published in the
     * window. The aggregator's target is the obligation of the contracts published in the
     * window only, beside a realisation on every contract: a quarter with € 391.250
     * realised mostly on older contracts read as far over a € 30.400 target. */
    r->kpi[2][RP_COL_YTD].target = r->sroi_obligation;
    r->kpi[2][RP_COL_PERIOD].target = period_obligation;
    r->target_na[2][RP_COL_PREV] = true;
    return 0;
}

rp_status_t rp_status_rule(int kpi, const rp_val_t *v, uint32_t committed, int64_t target)
{
    if (kpi == 6)
        return v->realisation >= target ? RP_STATUS_TARGET_MET : RP_STATUS_TARGET_OPEN;
    if (v->count == 0 && v->realisation == 0)
        return committed || v->ambition ? RP_STATUS_NOT_MEASURED : RP_STATUS_NO_AMBITION;
    if (v->ambition <= 0)
        return RP_STATUS_UNCOMMITTED;
    return v->realisation >= v->ambition ? RP_STATUS_ON_TRACK : RP_STATUS_BEHIND;
}

/* Themes: the year's tenders (not cancelled) with their commitments, and the status. */
static void s_themes(rp_report_t *r, const rp_input_t *in)
{
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
        if (t->status == S_CANCELLED || rp_date_quarter(t->planned, &y, &q) != 0 ||
            y != in->year || q > r->ytd_quarters)
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
        /* Diversity and inclusion has no measure of its own: it is followed through the
         * pilots, all of them (a pilot need not carry the theme). */
        if (row->kpi == 6)
            row->ytd = r->kpi[6][RP_COL_YTD];
        /* Social return's quantified ambition is its obligation, percentage x contract
         * value (plan §5f): without an ambition measured, the row showed "geen ambitie"
         * beside a known obligation. On the contract table's basis, like with like: the
         * obligations of the contracts realised or published this year to date against
         * what was realised on those. (The theme's obligations of this year's tenders
         * alone had made € 391.250 realised mostly on older contracts "op koers" against
         * € 30.400 while the contract table said 53,9 %.) No known obligation: the
         * theme's own figures, "gemeten, geen ambitie vastgelegd". */
        if (row->kpi == 2 && row->ytd.ambition <= 0 && r->sroi_obligation > 0) {
            row->ytd.ambition = row->ytd.target = r->sroi_obligation;
            row->ytd.realisation = r->sroi_realised;
        }
        row->status = rp_status_rule(row->kpi, &row->ytd, row->committed, r->pilots.target);
    }
}

int rp_model_build(rp_report_t *r, const rp_input_t *in)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    s_period(r, in, in->generated_ms);
    s_work_t w = { 0 };
    w.seen = rp__calloc(in->ntotals ? in->ntotals : 1, sizeof *w.seen);
    r->early = rp__calloc(in->ntotals ? in->ntotals : 1, sizeof *r->early);
    int rc = w.seen && r->early ? s_annex(r, in, &w) : -ENOMEM;
    if (rc == 0) {
        s_totals(r, in, &w);
        rc = s_contracts(r, in, &w);
    }
    if (rc != 0) {
        s_work_free(&w);
        rp_model_free(r);
        return rc;
    }
    s_themes(r, in);
    qsort(r->early, r->nearly, sizeof *r->early, s_early_cmp);
    for (size_t i = 0; i < in->nfactors; i++)
        if (in->factors[i].unverified_rows)
            r->unverified_tables++;
    r->empty = r->nannex == 0 && !w.any_measured;
    s_work_free(&w);
    return 0;
}
