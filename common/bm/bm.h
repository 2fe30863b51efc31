/*  bm: the national benchmark. Each buyer's KPI realisation per year, normalised (absolute,
 *  per EUR million of yearly purchasing volume, per inhabitant), placed in the distribution
 *  of the buyers of its class (kind x size class, bm_class.c), kept live: a change of one
 *  buyer's total re-sorts only its class's distributions (O(buyers in the class)).
 *
 *  Anonymity is part of the interface, not of its callers: a position or distribution is
 *  handed out only when at least k buyers contribute (else status BM_TOO_FEW and no
 *  figures, not even the count), and no call returns another buyer's value or id.
 *  Per (class, year, measure) at most ONE normalisation's distribution is handed out (the
 *  first of per inhabitant, absolute, per EUR million that reaches k; the others are
 *  BM_WITHHELD): every buyer's inhabitants and volume are public, so two normalisations of
 *  the same figures divide into a member's denominator (with n = 4m+1 a type-7 quartile is
 *  one member's figure) and name it. k is at least BM_K_MIN (bm_new refuses less).
 *  Definitions (quantiles, percentile, quartile, who contributes): docs/domain.md#benchmark.
 */
#ifndef MVOI_BM_H
#define MVOI_BM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buyers.h"
#include "text.h"

#define BM_KPIS 6          /* KPI numbers 1..6 as in kpi.proto */
#define BM_THEMES 6        /* the Manifest's themes 1..6 as in calendar.proto */
/* Measures: 1..6 the KPIs; then per theme (1..6) the share of tenders with an ambition for
 * the theme (percent, from the calendar's tenders) and the buyer's Manifest ambition level
 * for the theme (1..5, from the registry). Shares and levels are normalised already: they
 * have the absolute "normalisation" only. Every call below that takes a kpi takes any
 * measure 1..BM_MEASURES. */
#define BM_M_SHARE(theme) (BM_KPIS + (theme))
#define BM_M_LEVEL(theme) (BM_KPIS + BM_THEMES + (theme))
#define BM_MEASURES (BM_KPIS + 2 * BM_THEMES)
#define BM_K_DEFAULT 5
/* With k 2..4 a member's own figure and its rank (its percentile) solve the other members'
 * figures from the quartiles: no smaller k is accepted anywhere. */
#define BM_K_MIN 5
#define BM_YEARS_MAX 16    /* distinct years held; the oldest is dropped beyond */

typedef enum { BM_NORM_ABS = 0, BM_NORM_PER_MEUR, BM_NORM_PER_INH, BM_NORMS } bm_norm_t;

typedef enum {
    BM_OK = 0,
    BM_NO_CLASS,        /* the buyer has no kind or (gemeente) no inhabitants */
    BM_NO_DENOMINATOR,  /* per EUR million without a registered volume */
    BM_NO_VALUE,        /* the buyer has no total for this KPI and year */
    BM_TOO_FEW,         /* fewer than k buyers contribute: nothing is shown */
    BM_WITHHELD         /* another normalisation of the same class, year and measure is
                         * shown: this one would make members traceable (no figures) */
} bm_status_t;
/* "ok", "no_class", "no_volume", "no_value", "too_few", "withheld"; "unknown" otherwise. */
const char *bm_status_name(bm_status_t s);

/* classes: kind x size class */
#define BM_SIZES 5
#define BM_CLASSES (4 * BM_SIZES)
/* The buyer's class, -1 when it has none. */
int bm_class_of(const mvoi_buyer_t *b);
/* "gemeente.50000-99999", "provincie.alle" (stable ids for the open data) */
const char *bm_class_id(int cls);
/* "gemeenten van 50.000-100.000 inwoners" (nl) / "municipalities of ..." (en) */
const char *bm_class_label(int cls, text_lang_t lang);

/* statistics (bm_stat.c), over ascending x[0..n-1] */
/* Hyndman & Fan type 7 (R's default, Excel QUARTILE.INC): h = (n-1)p, linear between
 * x[floor h] and x[floor h + 1]. n >= 1. */
double bm_quantile(const double *x, size_t n, double p);
/* mid-rank percentile of v: 100 * (#below + #equal / 2) / n */
double bm_percentile(const double *x, size_t n, double v);
/* 1 if v < Q1, 2 if v < median, 3 if v < Q3, else 4 (4 = the highest quarter) */
int bm_quartile(double v, double q1, double med, double q3);

/* the measures (display unit and scale from the KPI's integer unit) */
/* "co2" ..., "share.klimaat" ..., "level.klimaat" ...; NULL outside 1..BM_MEASURES */
const char *bm_kpi_name(int kpi);
int bm_kpi_parse(const char *name);           /* 1..BM_MEASURES, -1 */
/* Does measure kpi have normalisation n (shares and levels: absolute only)? */
bool bm_kpi_has_norm(int kpi, bm_norm_t n);
/* The theme (1..6) of a share or level measure, 0 for a KPI. */
int bm_kpi_theme(int kpi);
const char *bm_norm_name(bm_norm_t n);        /* "absolute", "per_eur_million", "per_inhabitant" */
int bm_norm_parse(const char *name);

/* The live set. */
typedef struct bm bm_t;
/* k 0 is BM_K_DEFAULT; NULL for k below BM_K_MIN (or no memory). */
bm_t *bm_new(const mvoi_buyers_t *reg, unsigned k);
void bm_destroy(bm_t **self_p);
unsigned bm_k(const bm_t *self);
const mvoi_buyers_t *bm_registry(const bm_t *self);
/* Buyer's realisation of kpi in year is now value (the KPI's integer unit: g, mg, cent,
 * products, pilots). 0, or -ENOENT (buyer not registered), -EINVAL (kpi, year). */
int bm_set(bm_t *self, const char *buyer, int kpi, unsigned year, int64_t value);
/* A KPI total as the aggregator holds it: realisation and count, the measurements behind it.
 * A total with no measurement (count 0 and realisation 0: an ambition committed at award, a
 * year not yet measured, every measurement withdrawn) is no figure: the buyer leaves the
 * distributions ("absent, not zero"); else as bm_set. Every reader of KpiTotals uses this. */
int bm_set_total(bm_t *self, const char *buyer, int kpi, unsigned year, int64_t realisation,
                 int64_t count);
/* Buyer's tenders planned in year: tenders (not cancelled) and, per theme 1..6 (with[0] is
 * klimaat), those with an ambition for it. Sets the share measures; tenders == 0 removes
 * them (no tender, no share). 0, -ENOENT, -EINVAL (year, or with outside 0..tenders). */
int bm_set_tenders(bm_t *self, const char *buyer, unsigned year, int64_t tenders,
                   const int64_t with[BM_THEMES]);
/* Buyer's tender counts of year as last set: 0, or -ENOENT when none are held. */
int bm_tenders(const bm_t *self, const char *buyer, unsigned year, int64_t *tenders,
               int64_t with[BM_THEMES]);
/* Forget buyer's tender counts of every year (before its tenders are counted anew). */
void bm_clear_tenders(bm_t *self, const char *buyer);
/* Buyer's Manifest ambition level (1..5) for theme in year; 0 removes it. */
int bm_set_level(bm_t *self, const char *buyer, unsigned year, int theme, int level);
/* Every level the registry holds (mvoi_buyer_t.level) into self. */
int bm_load_levels(bm_t *self);
/* Forget every total (before a full resnapshot): KPI totals only, not tender counts or
 * levels (they have sources of their own). */
void bm_clear(bm_t *self);
/* The years with at least one total, ascending; returns the count (<= cap). */
size_t bm_years(const bm_t *self, unsigned *out, size_t cap);
/* Entries compared by the last bm_set (the cost of the last change): for the benchmark. */
uint64_t bm_last_work(const bm_t *self);

typedef struct {
    bm_status_t status;
    int cls;                 /* -1: none */
    bool has_value;
    double value;            /* this buyer's own figure, display unit (valid with has_value) */
    unsigned count;          /* buyers contributing (0 unless BM_OK) */
    double q1, median, q3;   /* display unit (BM_OK only) */
    double percentile;       /* 0..100 (BM_OK only) */
    int quartile;            /* 1..4 (BM_OK only) */
    bm_norm_t shown;         /* the normalisation of the class/year/measure that is shown,
                              * BM_NORMS when none reaches k (the reason of BM_WITHHELD) */
} bm_pos_t;
/* Where buyer stands; -ENOENT for an unknown buyer, -EINVAL for kpi/norm. */
int bm_position(const bm_t *self, const char *buyer, int kpi, unsigned year, bm_norm_t norm,
                bm_pos_t *out);

typedef struct {
    bm_status_t status;      /* BM_OK, BM_TOO_FEW or BM_WITHHELD */
    unsigned count;
    double q1, median, q3;
    bm_norm_t shown;         /* as in bm_pos_t */
} bm_dist_t;
/* The one normalisation of (cls, kpi, year) whose distribution is handed out: the first of
 * per inhabitant, absolute, per EUR million that kpi has and that reaches k; BM_NORMS when
 * none does (or cls/kpi out of range). */
bm_norm_t bm_shown_norm(const bm_t *self, int cls, int kpi, unsigned year);
/* The anonymous distribution of a class (for the open-data export). */
int bm_distribution(const bm_t *self, int cls, int kpi, unsigned year, bm_norm_t norm,
                    bm_dist_t *out);

/* text (bm_text.c) */
/* The measure's name for people: "Vermeden CO2", "Aanbestedingen met ambitie: Klimaat". */
const char *bm_kpi_label(int kpi, text_lang_t lang, char *buf, size_t cap);
/* The display unit of kpi under norm: "kg", "kg per EUR mln" in lang. */
const char *bm_unit_label(int kpi, bm_norm_t norm, text_lang_t lang, char *buf, size_t cap);
/* A number as people read it in lang: "12.345", "1,23" (nl); "12,345", "1.23" (en); three
 * significant digits below 100, whole numbers above, rounded half away from zero as the
 * reports round ("100,5" -> "101"). "–" when v is not finite or its text does not fit cap
 * (64 holds every value below 10^47): never a figure cut short. */
const char *bm_num(double v, text_lang_t lang, char *buf, size_t cap);
/* "Heerlen staat met 12,3 kg vermeden CO2 per inwoner in het tweede kwartiel van de
 * gemeenten van 50.000-100.000 inwoners" or why there is no position. Returns buf. */
const char *bm_sentence(const bm_t *self, const char *buyer, int kpi, bm_norm_t norm,
                        const bm_pos_t *pos, text_lang_t lang, char *buf, size_t cap);

#endif
