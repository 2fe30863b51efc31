/*  measure_rules: envelope-level validation of a Measurement, and impact differences.
 *
 *  The kind-specific checks (quantities, carriers, stages...) live with the formulas in
 *  calc_*.c; this module checks what every measurement has in common, so that the
 *  service can reject a malformed one before it touches state (docs/design.md#bad-input).
 */
#ifndef MVOI_IMPACT_MEASURE_RULES_H
#define MVOI_IMPACT_MEASURE_RULES_H

#include "impact.pb-c.h"
#include "mvoi_id.h"
#include "impact_error.h"

#define MEASURE_ID_MAX MVOI_ID_MAX  /* id and tender_id: the one id rule of mvoi_id.h */
#define MEASURE_REF_MAX MVOI_ID_MAX
#define MEASURE_NAME_MAX 128        /* submitter, buyer */
#define MEASURE_REASON_MAX 512      /* reason */
#define MEASURE_YEAR_MIN 2000       /* dates outside these years are typos, not history */
#define MEASURE_YEAR_MAX 2100

/*  Check id, tender_id, phase, period_start/period_end (valid YYYY-MM-DD calendar dates,
 *  end >= start, years MEASURE_YEAR_MIN..MAX), submitter, optional buyer and reason, and
 *  that exactly one kind is set. Returns 0, or -EINVAL with *err naming the field
 *  ("measurement.period_end") and code MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT. */
int measure_validate(const Mvoi__Measurement *m, impact_error_t *err);

/*  Parse a strict YYYY-MM-DD date (leap years honoured). Returns 0 or -EINVAL.
 *  Any of year/month/day may be NULL. */
int measure_parse_date(const char *text, int *year, int *month, int *day);

/*  The year of the measurement's period_start (the year whose factor editions apply),
 *  or -EINVAL when period_start is missing or malformed. */
int measure_year(const Mvoi__Measurement *m);

/*  out = now - before, field by field, for a correction (totals move by the difference)
 *  or a withdrawal (now = NULL: out = -before) or a first computation (before = NULL:
 *  out = now). A quantity field is present in out when present in either side; theme
 *  is now's (else before's); factors[] stays empty: a difference has no single source.
 *  out is initialised here (do not pass one that owns memory).
 *  Returns 0, -EINVAL (out NULL), -EOVERFLOW (a difference does not fit int64). */
int impact_diff(const Mvoi__Impact *now, const Mvoi__Impact *before, Mvoi__Impact *out);

#endif
