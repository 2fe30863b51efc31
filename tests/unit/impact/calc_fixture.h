/*  calc_fixture: the state the calc tests (test_calc*.c, suite "calc") start from. */
#ifndef MVOI_TEST_CALC_FIXTURE_H
#define MVOI_TEST_CALC_FIXTURE_H

#include <stdint.h>

#include "impact_fixture.h"

/* Set by the suite's init before every test: the shipped tables and a valid envelope with
 * no kind (impact_fixture.h); a test sets the kind and computes. */
extern factors_t *tc_f;
extern Mvoi__Measurement tc_m;

/* calc_impact of tc_m, asserting success. Free with calc_impact_free. */
Mvoi__Impact *tc_ok(void);

/* tc_energy makes tc_m an energy-use measurement (tc_e) of this carrier and quantity, with
 * the default reference; a test may then change tc_e. */
extern Mvoi__EnergyUse tc_e;
void tc_energy(int carrier, int64_t quantity_milli);

#endif
