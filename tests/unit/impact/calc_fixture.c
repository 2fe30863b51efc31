/*  calc_fixture: see calc_fixture.h. The suite "calc" is declared here, once for all the
 *  test_calc*.c files (Criterion allows one TestSuite per name in an executable). */
#include "calc_fixture.h"

#include <criterion/criterion.h>

factors_t *tc_f;
Mvoi__Measurement tc_m;

static void
s_setup(void)
{
    tc_f = fx_factors();
    fx_envelope(&tc_m);
}

static void
s_teardown(void)
{
    factors_destroy(&tc_f);
}

TestSuite(calc, .init = s_setup, .fini = s_teardown);

Mvoi__Impact *
tc_ok(void)
{
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    int rc = calc_impact(tc_f, &tc_m, &imp, &err);
    cr_assert_eq(rc, 0, "calc_impact: %s", err.message);
    cr_assert_not_null(imp);
    return imp;
}

Mvoi__EnergyUse tc_e;

void
tc_energy(int carrier, int64_t quantity_milli)
{
    mvoi__energy_use__init(&tc_e);
    tc_e.has_carrier = 1;
    tc_e.carrier = carrier;
    tc_e.has_quantity_milli = 1;
    tc_e.quantity_milli = quantity_milli;
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    tc_m.energy = &tc_e;
}
