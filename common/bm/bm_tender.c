/*  bm_tender: counting a buyer's tenders for the share measures. See bm_tender.h. */
#include "bm_tender.h"

#include <string.h>

/* "2026-03-01" -> 2026; 0 when it is no date */
static unsigned s_year(const char *d)
{
    if (!d || strlen(d) < 10 || d[4] != '-')
        return 0;
    unsigned y = 0;
    for (int i = 0; i < 4; i++) {
        if (d[i] < '0' || d[i] > '9')
            return 0;
        y = y * 10 + (unsigned)(d[i] - '0');
    }
    return y >= 1900 && y <= 2999 ? y : 0;
}

void bm_tcount_add(bm_tcount_t *c, const Mvoi__Tender *t)
{
    if (!t || (t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED))
        return;
    unsigned year = s_year(t->planned_publication);
    if (!year)
        return;
    bm_tyear_t *y = NULL;
    for (size_t i = 0; i < c->n && !y; i++)
        if (c->y[i].year == year)
            y = &c->y[i];
    if (!y) {
        if (c->n == BM_YEARS_MAX) {
            c->skipped++;
            return;
        }
        y = &c->y[c->n++];
        memset(y, 0, sizeof *y);
        y->year = year;
    }
    y->tenders++;
    bool seen[BM_THEMES + 1] = { false };   /* a theme listed twice counts once */
    for (size_t i = 0; i < t->n_themes; i++) {
        const Mvoi__ThemeAmbition *a = t->themes[i];
        if (!a || !a->has_theme || a->theme < 1 || a->theme > BM_THEMES || seen[a->theme])
            continue;
        if (!a->has_commitment || a->commitment == MVOI__COMMITMENT__COMMIT_UNSPECIFIED)
            continue;
        seen[a->theme] = true;
        y->with[a->theme - 1]++;
    }
}

int bm_tcount_apply(bm_t *self, const char *buyer, const bm_tcount_t *c)
{
    /* first the years that are gone (no tender left), then the current counts */
    unsigned years[BM_YEARS_MAX];
    size_t ny = bm_years(self, years, BM_YEARS_MAX);
    static const int64_t none[BM_THEMES];
    for (size_t i = 0; i < ny; i++) {
        bool still = false;
        for (size_t j = 0; j < c->n; j++)
            still = still || c->y[j].year == years[i];
        int rc = still ? 0 : bm_set_tenders(self, buyer, years[i], 0, none);
        if (rc)
            return rc;
    }
    for (size_t j = 0; j < c->n; j++) {
        int rc = bm_set_tenders(self, buyer, c->y[j].year, c->y[j].tenders, c->y[j].with);
        if (rc)
            return rc;
    }
    return 0;
}
