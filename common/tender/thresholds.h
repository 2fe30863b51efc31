/* thresholds: which procedure a tender needs, from kind + estimated value + the threshold
 * table of the period of its planned publication date (docs/domain.md#thresholds).
 *
 * The tables are data, not code: they change every two years and per municipality. They are
 * loaded once at start from a directory (files "thresholds-*.csv", format documented in the
 * shipped data/thresholds-2024-2025.csv). Period selection: the period whose
 * [valid_from, valid_to] contains the date; when none does, the latest period that started on
 * or before the date (a table stays in force until a newer one is shipped); a date before
 * every table is -ENOENT. */
#ifndef THRESHOLDS_H
#define THRESHOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"

typedef struct thresholds thresholds_t;

/* What decided a procedure; strings are owned by the table and live as long as it. */
typedef struct {
    Mvoi__Procedure procedure;
    const char *period;      /* e.g. "2024-2025" */
    int64_t band_from_cents; /* lower bound (inclusive) of the band that applied */
    bool verified;           /* false for bands marked "unverified" in the data */
    const char *source;      /* the data file's source note for that band */
} thresholds_result_t;

/* Load every thresholds-*.csv in dir. On error, err (if given) names file:line and reason.
 * Returns 0, -ENOENT (no directory or no table files), -EINVAL (malformed or inconsistent
 * data: missing kind, band not starting at 0, bounds not increasing, overlapping periods)
 * or -ENOMEM. */
int thresholds_load_dir(const char *dir, thresholds_t **out, char *err, size_t errlen);

void thresholds_destroy(thresholds_t **self_p);

/* Number of periods loaded and the name of period i (in date order). */
size_t thresholds_period_count(const thresholds_t *self);
const char *thresholds_period_name(const thresholds_t *self, size_t i);

/* Derive the procedure. date = planned publication (may be NULL/""); then today is used
 * (caller's clock, "YYYY-MM-DD"). Returns 0, -EINVAL (bad kind, negative value, invalid
 * date/today) or -ENOENT (no table in force at that date). */
int thresholds_derive(const thresholds_t *self, Mvoi__TenderKind kind, int64_t value_cents,
                      const char *date, const char *today, thresholds_result_t *out);

/* The EU threshold (lower bound of the europees_openbaar band) for kind at date, in cents.
 * Returns 0, -EINVAL or -ENOENT (no table, or the table has no europees band for kind). */
int thresholds_eu_cents(const thresholds_t *self, Mvoi__TenderKind kind, const char *date,
                        int64_t *cents);

#endif
