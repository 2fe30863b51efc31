/*  Shared helpers of the impact_core tests. */
#ifndef MVOI_TEST_IMPACT_FIXTURE_H
#define MVOI_TEST_IMPACT_FIXTURE_H

#include "calc.h"
#include "factors.h"
#include "impact.pb-c.h"
#include "impact_error.h"
#include "measure_rules.h"
#include "system.pb-c.h"

/*  The shipped tables (services/impact-calculator/data); aborts the test on error. */
factors_t *fx_factors(void);

/*  A valid envelope (id, tender, phase realisation, 2026-01-01..2026-03-31, submitter)
 *  with no kind set. */
void fx_envelope(Mvoi__Measurement *m);

/*  A fresh directory under /tmp; and a file written into it. */
void fx_tmpdir(char *out, size_t len);
void fx_write(const char *dir, const char *name, const char *text);
void fx_copy(const char *from_dir, const char *name, const char *to_dir);

/*  Compute and expect failure with this return code and field; the message must
 *  start with the field name. */
void fx_expect_error(const factors_t *f, const Mvoi__Measurement *m, int rc,
                     const char *field);

#endif
