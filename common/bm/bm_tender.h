/*  bm_tender: the calendar's tenders into the benchmark's share measures. One buyer's
 *  tenders are counted per year of planned publication (cancelled ones and those without a
 *  date are left out); a tender has an ambition for a theme when the theme is in scope with
 *  a commitment (eis, gunning or innovatie): in scope without one is not yet an ambition.
 *  The gateway, mvoictl and the report count from the tenders they read from the calendar
 *  and hand the counts to bm_set_tenders through bm_tcount_apply. */
#ifndef MVOI_BM_TENDER_H
#define MVOI_BM_TENDER_H

#include "bm.h"
#include "calendar.pb-c.h"

typedef struct {
    unsigned year;
    int64_t tenders, with[BM_THEMES];
} bm_tyear_t;

typedef struct {
    bm_tyear_t y[BM_YEARS_MAX];
    size_t n;
    uint64_t skipped;       /* tenders of a year beyond BM_YEARS_MAX distinct years */
} bm_tcount_t;

/* Count t (of the buyer being counted). */
void bm_tcount_add(bm_tcount_t *c, const Mvoi__Tender *t);
/* The buyer's tender counts are now exactly c: years not in c lose theirs. 0 or as
 * bm_set_tenders. */
int bm_tcount_apply(bm_t *self, const char *buyer, const bm_tcount_t *c);

#endif
