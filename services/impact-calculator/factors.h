/*  factors: versioned factor tables, loaded from data files.
 *
 *  One file holds one table in one edition (services/impact-calculator/data/README.md
 *  documents the format). An operator adds an edition by dropping a new file in the
 *  directory and restarting; nothing is compiled in. All editions stay loaded, because
 *  a correction of a 2024 measurement must still be computed with the 2024 edition.
 *
 *  Values are fixed-point integers: the file's `decimals` header says how many decimals
 *  the published figure has, and the stored value is figure x 10^decimals (3.251 kg/l with
 *  3 decimals is 3251, i.e. grams per litre). See fixed.h.
 *
 *  factors_t is opaque; tables and rows are read-only views that live as long as it.
 */
#ifndef MVOI_IMPACT_FACTORS_H
#define MVOI_IMPACT_FACTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FACTORS_NAME_MAX 64     /* table, edition, key, unit, kind, reference */
#define FACTORS_TEXT_MAX 255    /* source, header unit, note */
#define FACTORS_LINE_MAX 1024   /* longer lines are an error, not silently cut */
#define FACTORS_ROWS_MAX 10000  /* per file */

typedef struct factors_t factors_t;

typedef struct {
    const char *key;        /* "diesel_b7", "stage_v", "car_diesel:euro6", "GWP" ... */
    int64_t value;          /* published figure x 10^table->decimals */
    const char *unit;       /* activity unit the figure is per: "l", "kWh", "km", "FTE-year" */
    const char *source;     /* where this row's figure comes from */
    bool unverified;        /* docs/domain.md#unverified: not confirmed in a primary source */
    bool has_range;         /* min..max given (inclusive integers: kW band, year) */
    int64_t min, max;
    const char *kind;       /* table-specific tag: "hc_nox", "sharing", "target_group"; "" if none */
    const char *reference;  /* default reference variant (co2 table); "" if none */
    const char *note;       /* free text; "" if none */
    int line;               /* line in the file, for messages */
} factors_row_t;

typedef struct {
    const char *table;      /* "co2", "nox_stage", ... */
    const char *edition;    /* "2026", "set1", ... unique per table */
    int valid_from;         /* first year the edition applies to */
    const char *source;     /* the edition's source (rows may be more specific) */
    const char *unit;       /* what `value` measures, e.g. "kg CO2-eq per row unit" */
    const char *stored_as;  /* what the integer means, e.g. "g CO2-eq per row unit" */
    int decimals;           /* value = figure x 10^decimals */
    const char *path;       /* file it came from */
    size_t n_rows;
    const factors_row_t *rows;
    size_t unverified_rows;
} factors_table_t;

/*  Create an empty set. NULL on out-of-memory. */
factors_t *factors_new(void);

/*  Destroy and NULL the caller's pointer. Tables and rows become invalid. */
void factors_destroy(factors_t **self_p);

/*  Load every regular file ending in ".csv" in `dir` (in name order, so that the
 *  first error reported is deterministic). On error returns -EINVAL (bad content),
 *  -EEXIST (same table and edition twice), -ENOMEM, or a negative errno from the file
 *  system, and writes "path:line: reason" into errbuf; the set is then unchanged. */
int factors_load_dir(factors_t *self, const char *dir, char *errbuf, size_t errlen);

/*  Load one file (same errors as factors_load_dir). */
int factors_load_file(factors_t *self, const char *path, char *errbuf, size_t errlen);

/*  Number of loaded tables (all names, all editions) and the i-th, ordered by table
 *  name, then valid_from, then edition. For ListFactorTables. */
size_t factors_count(const factors_t *self);
const factors_table_t *factors_at(const factors_t *self, size_t i);

/*  The edition named `edition` of `table`, or NULL. */
const factors_table_t *factors_select(const factors_t *self, const char *table,
                                      const char *edition);

/*  The edition of `table` that applies to `year`: the one with the greatest
 *  valid_from <= year (ties broken by edition name, greatest wins). When every edition
 *  starts after `year`, the earliest edition: a figure computed with the oldest list we
 *  have, and recorded as such in the impact's FactorRef, beats refusing the measurement
 *  (the 2026 CO2 list is the only one shipped, yet the plan runs from 2024).
 *  NULL only when no edition of `table` is loaded. */
const factors_table_t *factors_select_year(const factors_t *self, const char *table, int year);

/*  factors_find: the first row with `key` (ranged or not).
 *  factors_find_in_range: the row with `key` whose min..max contains `v`, or a row with
 *  `key` and no range. The loader guarantees at most one matches. NULL if none. */
const factors_row_t *factors_find(const factors_table_t *t, const char *key);
const factors_row_t *factors_find_in_range(const factors_table_t *t, const char *key, int64_t v);

#endif
