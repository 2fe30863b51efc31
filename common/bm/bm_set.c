/*  bm_set: the live benchmark set. See bm.h.
 *
 *  Per (year, class, measure, normalisation) one distribution: the contributing buyers' figures
 *  in ascending order beside their registry index. A change of one buyer's total removes its
 *  old figure and inserts the new one in each of its class's three distributions (a shift of
 *  at most the class's size each), so the quartiles are always current and reading them is
 *  O(1); its percentile is one pass over the class. Nothing is recomputed for other classes.
 *  Of a class's normalisations of one measure and year only one is handed out
 *  (bm_shown_norm): see bm.h for why.
 */
#include "bm.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t n, cap;
    double *v;          /* ascending */
    uint32_t *who;      /* registry index of v[i] */
} s_dist_t;

#define S_TC (1 + BM_THEMES)   /* tender counts per buyer: tenders, with[theme] */

typedef struct {
    unsigned year;
    double *raw;        /* [buyer * BM_MEASURES + m-1]: the absolute figure, display unit */
    uint8_t *has;
    int64_t *tc;        /* [buyer * S_TC + i]: tender counts as set (bm_set_tenders) */
    uint8_t *thas;      /* [buyer] */
    s_dist_t d[BM_CLASSES][BM_MEASURES][BM_NORMS];
} s_year_t;

struct bm {
    const mvoi_buyers_t *reg;
    unsigned k;
    size_t nb;
    int *cls;                    /* per buyer, -1 none */
    uint32_t *by_id;             /* registry indexes in id order: a lookup is O(log n) */
    double *den;                 /* per buyer x norm; 0 = no denominator */
    s_year_t *years[BM_YEARS_MAX];
    size_t nyears;
    uint64_t work;
};

static const double s_scale[BM_KPIS + 1] = { 1, 1, 100, 1e6, 1000, 1000, 1 };

static const mvoi_buyers_t *s_sort_reg;   /* qsort has no context argument */

static int s_cmp_id(const void *a, const void *b)
{
    return strcmp(mvoi_buyers_at(s_sort_reg, *(const uint32_t *)a)->id,
                  mvoi_buyers_at(s_sort_reg, *(const uint32_t *)b)->id);
}

bm_t *bm_new(const mvoi_buyers_t *reg, unsigned k)
{
    if (k != 0 && k < BM_K_MIN)   /* no caller may weaken the anonymity (bm.h) */
        return NULL;
    bm_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->reg = reg;
    self->k = k ? k : BM_K_DEFAULT;
    self->nb = mvoi_buyers_count(reg);
    self->cls = calloc(self->nb + 1, sizeof *self->cls);
    self->den = calloc((self->nb + 1) * BM_NORMS, sizeof *self->den);
    self->by_id = calloc(self->nb + 1, sizeof *self->by_id);
    if (!self->cls || !self->den || !self->by_id) {
        bm_destroy(&self);
        return NULL;
    }
    for (size_t i = 0; i < self->nb; i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(reg, i);
        self->cls[i] = bm_class_of(b);
        self->den[i * BM_NORMS + BM_NORM_ABS] = 1;
        self->den[i * BM_NORMS + BM_NORM_PER_MEUR] = (double)b->volume_eur / 1e6;
        self->den[i * BM_NORMS + BM_NORM_PER_INH] = (double)b->inhabitants;
        self->by_id[i] = (uint32_t)i;
    }
    s_sort_reg = reg;
    qsort(self->by_id, self->nb, sizeof *self->by_id, s_cmp_id);
    return self;
}

static void s_year_free(s_year_t **y_p)
{
    s_year_t *y = *y_p;
    if (!y)
        return;
    for (int c = 0; c < BM_CLASSES; c++)
        for (int k = 0; k < BM_MEASURES; k++)
            for (int n = 0; n < BM_NORMS; n++) {
                free(y->d[c][k][n].v);
                free(y->d[c][k][n].who);
            }
    free(y->raw);
    free(y->has);
    free(y->tc);
    free(y->thas);
    free(y);
    *y_p = NULL;
}

/* The KPI totals go; shares and levels stay (their sources are the calendar and the
 * registry, not the KPI stream that is being resnapshotted). */
void bm_clear(bm_t *self)
{
    for (size_t i = 0; i < self->nyears; i++) {
        s_year_t *y = self->years[i];
        for (size_t b = 0; b < self->nb; b++)
            memset(&y->has[b * BM_MEASURES], 0, BM_KPIS);
        for (int c = 0; c < BM_CLASSES; c++)
            for (int k = 0; k < BM_KPIS; k++)
                for (int n = 0; n < BM_NORMS; n++)
                    y->d[c][k][n].n = 0;
    }
}

void bm_destroy(bm_t **self_p)
{
    bm_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nyears; i++)
        s_year_free(&self->years[i]);
    free(self->cls);
    free(self->den);
    free(self->by_id);
    free(self);
    *self_p = NULL;
}

unsigned bm_k(const bm_t *self) { return self->k; }
const mvoi_buyers_t *bm_registry(const bm_t *self) { return self->reg; }
uint64_t bm_last_work(const bm_t *self) { return self->work; }

static long s_index(const bm_t *self, const char *buyer)
{
    size_t lo = 0, hi = self->nb;
    while (buyer && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(buyer, mvoi_buyers_at(self->reg, self->by_id[mid])->id);
        if (c == 0)
            return self->by_id[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static s_year_t *s_year(const bm_t *self, unsigned year)
{
    for (size_t i = 0; i < self->nyears; i++)
        if (self->years[i]->year == year)
            return self->years[i];
    return NULL;
}

/* The year's slot, made on first use; the oldest year gives way when all are taken. */
static s_year_t *s_year_make(bm_t *self, unsigned year)
{
    s_year_t *y = s_year(self, year);
    if (y)
        return y;
    size_t at = self->nyears;
    if (at == BM_YEARS_MAX) {
        size_t old = 0;
        for (size_t i = 1; i < at; i++)
            if (self->years[i]->year < self->years[old]->year)
                old = i;
        if (self->years[old]->year > year)
            return NULL;
        s_year_free(&self->years[old]);
        self->years[old] = self->years[--self->nyears];
        at = self->nyears;
    }
    y = calloc(1, sizeof *y);
    if (!y)
        return NULL;
    y->year = year;
    y->raw = calloc(self->nb * BM_MEASURES + 1, sizeof *y->raw);
    y->has = calloc(self->nb * BM_MEASURES + 1, 1);
    y->tc = calloc(self->nb * S_TC + 1, sizeof *y->tc);
    y->thas = calloc(self->nb + 1, 1);
    if (!y->raw || !y->has || !y->tc || !y->thas) {
        s_year_free(&y);
        return NULL;
    }
    self->years[at] = y;
    self->nyears++;
    return y;
}

static void s_remove(s_dist_t *d, uint32_t who, uint64_t *work)
{
    for (uint32_t i = 0; i < d->n; i++) {
        (*work)++;
        if (d->who[i] != who)
            continue;
        memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof *d->v);
        memmove(&d->who[i], &d->who[i + 1], (d->n - i - 1) * sizeof *d->who);
        d->n--;
        *work += d->n - i;
        return;
    }
}

static int s_insert(s_dist_t *d, uint32_t who, double v, uint64_t *work)
{
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 8;
        double *nv = realloc(d->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        d->v = nv;
        uint32_t *nw = realloc(d->who, cap * sizeof *nw);
        if (!nw)
            return -ENOMEM;
        d->who = nw;
        d->cap = cap;
    }
    uint32_t i = d->n;
    while (i > 0 && d->v[i - 1] > v) {   /* insertion from the top: a shift, no re-sort */
        d->v[i] = d->v[i - 1];
        d->who[i] = d->who[i - 1];
        i--;
        (*work)++;
    }
    d->v[i] = v;
    d->who[i] = who;
    d->n++;
    (*work)++;
    return 0;
}

/* Measure m of buyer b in year y is now v (absolute, display unit), or absent (!present):
 * its figure leaves and enters its class's distributions of every normalisation m has. */
static int s_put(bm_t *self, s_year_t *y, long b, int m, bool present, double v)
{
    size_t slot = (size_t)b * BM_MEASURES + (size_t)(m - 1);
    y->raw[slot] = v;
    y->has[slot] = present;
    int cls = self->cls[b];
    if (cls < 0)
        return 0;
    for (int n = 0; n < BM_NORMS; n++) {
        double den = self->den[b * BM_NORMS + n];
        if (den <= 0 || !bm_kpi_has_norm(m, (bm_norm_t)n))
            continue;
        s_dist_t *d = &y->d[cls][m - 1][n];
        s_remove(d, (uint32_t)b, &self->work);
        int rc = present ? s_insert(d, (uint32_t)b, v / den, &self->work) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

int bm_set(bm_t *self, const char *buyer, int kpi, unsigned year, int64_t value)
{
    if (kpi < 1 || kpi > BM_KPIS || year < 1900 || year > 2999)
        return -EINVAL;
    long b = s_index(self, buyer);
    if (b < 0)
        return -ENOENT;
    s_year_t *y = s_year_make(self, year);
    if (!y)
        return -ENOMEM;
    self->work = 0;
    return s_put(self, y, b, kpi, true, (double)value / s_scale[kpi]);
}

int bm_set_total(bm_t *self, const char *buyer, int kpi, unsigned year, int64_t realisation,
                 int64_t count)
{
    if (count != 0 || realisation != 0)
        return bm_set(self, buyer, kpi, year, realisation);
    if (kpi < 1 || kpi > BM_KPIS || year < 1900 || year > 2999)
        return -EINVAL;
    long b = s_index(self, buyer);
    if (b < 0)
        return -ENOENT;
    s_year_t *y = s_year(self, year);   /* no slot: nothing to take out */
    self->work = 0;
    return y ? s_put(self, y, b, kpi, false, 0) : 0;
}

int bm_set_tenders(bm_t *self, const char *buyer, unsigned year, int64_t tenders,
                   const int64_t with[BM_THEMES])
{
    if (year < 1900 || year > 2999 || tenders < 0)
        return -EINVAL;
    for (int t = 0; t < BM_THEMES; t++)
        if (with[t] < 0 || with[t] > tenders)
            return -EINVAL;
    long b = s_index(self, buyer);
    if (b < 0)
        return -ENOENT;
    s_year_t *y = tenders ? s_year_make(self, year) : s_year(self, year);
    if (!y)
        return tenders ? -ENOMEM : 0;
    self->work = 0;
    y->thas[b] = tenders > 0;
    y->tc[b * S_TC] = tenders;
    for (int t = 0; t < BM_THEMES; t++) {
        y->tc[b * S_TC + 1 + t] = with[t];
        double share = tenders ? 100.0 * (double)with[t] / (double)tenders : 0;
        int rc = s_put(self, y, b, BM_M_SHARE(t + 1), tenders > 0, share);
        if (rc)
            return rc;
    }
    return 0;
}

int bm_tenders(const bm_t *self, const char *buyer, unsigned year, int64_t *tenders,
               int64_t with[BM_THEMES])
{
    long b = s_index(self, buyer);
    s_year_t *y = b < 0 ? NULL : s_year(self, year);
    if (!y || !y->thas[b])
        return -ENOENT;
    *tenders = y->tc[b * S_TC];
    for (int t = 0; t < BM_THEMES; t++)
        with[t] = y->tc[b * S_TC + 1 + t];
    return 0;
}

void bm_clear_tenders(bm_t *self, const char *buyer)
{
    static const int64_t none[BM_THEMES];
    unsigned years[BM_YEARS_MAX];
    size_t ny = bm_years(self, years, BM_YEARS_MAX);
    for (size_t i = 0; i < ny; i++)
        bm_set_tenders(self, buyer, years[i], 0, none);
}

int bm_set_level(bm_t *self, const char *buyer, unsigned year, int theme, int level)
{
    if (year < 1900 || year > 2999 || theme < 1 || theme > BM_THEMES || level < 0 || level > 5)
        return -EINVAL;
    long b = s_index(self, buyer);
    if (b < 0)
        return -ENOENT;
    s_year_t *y = level ? s_year_make(self, year) : s_year(self, year);
    if (!y)
        return level ? -ENOMEM : 0;
    self->work = 0;
    return s_put(self, y, b, BM_M_LEVEL(theme), level > 0, level);
}

int bm_load_levels(bm_t *self)
{
    for (size_t i = 0; i < self->nb; i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(self->reg, i);
        for (int t = 1; t <= BM_THEMES && b->level_year; t++) {
            int rc = b->level[t] ? bm_set_level(self, b->id, b->level_year, t, b->level[t]) : 0;
            if (rc)
                return rc;
        }
    }
    return 0;
}

size_t bm_years(const bm_t *self, unsigned *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < self->nyears && n < cap; i++)
        out[n++] = self->years[i]->year;
    for (size_t i = 1; i < n; i++)   /* a handful: insertion sort */
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            unsigned t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static const s_dist_t *s_dist(const bm_t *self, unsigned year, int cls, int kpi, bm_norm_t n)
{
    s_year_t *y = s_year(self, year);
    return y && cls >= 0 ? &y->d[cls][kpi - 1][n] : NULL;
}

/* Quartiles of d when at least k buyers contribute: the one gate of every figure. */
static bool s_stats(const bm_t *self, const s_dist_t *d, unsigned *count, double *q1,
                    double *med, double *q3)
{
    if (!d || d->n < self->k)
        return false;
    *count = d->n;
    *q1 = bm_quantile(d->v, d->n, 0.25);
    *med = bm_quantile(d->v, d->n, 0.5);
    *q3 = bm_quantile(d->v, d->n, 0.75);
    return true;
}

/* Per inhabitant first (it compares buyers of different size best), then absolute, then per
 * EUR million (the volume is registered for the fewest). */
static const bm_norm_t s_pref[BM_NORMS] = { BM_NORM_PER_INH, BM_NORM_ABS, BM_NORM_PER_MEUR };

bm_norm_t bm_shown_norm(const bm_t *self, int cls, int kpi, unsigned year)
{
    if (cls < 0 || cls >= BM_CLASSES || kpi < 1 || kpi > BM_MEASURES)
        return BM_NORMS;
    for (int i = 0; i < BM_NORMS; i++) {
        const s_dist_t *d = bm_kpi_has_norm(kpi, s_pref[i])
                                ? s_dist(self, year, cls, kpi, s_pref[i]) : NULL;
        if (d && d->n >= self->k)
            return s_pref[i];
    }
    return BM_NORMS;
}

/* The distribution of norm if it is the shown one (status BM_OK), else why not: BM_TOO_FEW
 * when it has fewer than k buyers itself or none of the class's reaches k, BM_WITHHELD when
 * another normalisation of the class's is shown. Nothing is filled in but for BM_OK. */
static bm_status_t s_gate(const bm_t *self, int cls, int kpi, unsigned year, bm_norm_t norm,
                          bm_norm_t *shown, unsigned *count, double *q1, double *med,
                          double *q3, const s_dist_t **dp)
{
    const s_dist_t *d = s_dist(self, year, cls, kpi, norm);
    *shown = bm_shown_norm(self, cls, kpi, year);
    *dp = d;
    if (!d || d->n < self->k || *shown == BM_NORMS)
        return BM_TOO_FEW;
    if (*shown != norm)
        return BM_WITHHELD;
    return s_stats(self, d, count, q1, med, q3) ? BM_OK : BM_TOO_FEW;
}

int bm_position(const bm_t *self, const char *buyer, int kpi, unsigned year, bm_norm_t norm,
                bm_pos_t *out)
{
    memset(out, 0, sizeof *out);
    out->cls = -1;
    out->shown = BM_NORMS;
    if (kpi < 1 || kpi > BM_MEASURES || norm >= BM_NORMS || !bm_kpi_has_norm(kpi, norm))
        return -EINVAL;
    long b = s_index(self, buyer);
    if (b < 0)
        return -ENOENT;
    out->cls = self->cls[b];
    double den = self->den[b * BM_NORMS + norm];
    s_year_t *y = s_year(self, year);
    size_t slot = (size_t)b * BM_MEASURES + (size_t)(kpi - 1);
    if (y && y->has[slot] && den > 0) {
        /* the buyer's own figure, in every normalisation: it is not secret to itself */
        out->has_value = true;
        out->value = y->raw[slot] / den;
    }
    if (out->cls < 0) {
        out->status = BM_NO_CLASS;
        return 0;
    }
    out->shown = bm_shown_norm(self, out->cls, kpi, year);
    if (den <= 0) {
        out->status = BM_NO_DENOMINATOR;
        return 0;
    }
    const s_dist_t *d = NULL;
    bm_status_t st = s_gate(self, out->cls, kpi, year, norm, &out->shown, &out->count,
                            &out->q1, &out->median, &out->q3, &d);
    out->status = out->has_value ? st : BM_NO_VALUE;
    if (st != BM_OK || !out->has_value)
        return 0;
    out->percentile = bm_percentile(d->v, d->n, out->value);
    out->quartile = bm_quartile(out->value, out->q1, out->median, out->q3);
    return 0;
}

int bm_distribution(const bm_t *self, int cls, int kpi, unsigned year, bm_norm_t norm,
                    bm_dist_t *out)
{
    memset(out, 0, sizeof *out);
    out->shown = BM_NORMS;
    if (cls < 0 || cls >= BM_CLASSES || kpi < 1 || kpi > BM_MEASURES || norm >= BM_NORMS
        || !bm_kpi_has_norm(kpi, norm))
        return -EINVAL;
    const s_dist_t *d = NULL;
    out->status = s_gate(self, cls, kpi, year, norm, &out->shown, &out->count, &out->q1,
                         &out->median, &out->q3, &d);
    return 0;
}
