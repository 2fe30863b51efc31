/*  explain: Dutch number formatting and the spelled-out calculation; edition pinning. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "explain.h"
#include "impact_fixture.h"

Test(explain, fixed_formatting_is_exact_and_dutch)
{
    char b[48];
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 27830000, 3), "27 830");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 3251, 3), "3,251");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 400, 3), "0,4");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, -123456789, 2), "-1 234 567,89");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 0, 2), "0");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 999, 0), "999");
}

Test(explain, hvo_example_spelled_out_with_source)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__EnergyUse e = MVOI__ENERGY_USE__INIT;
    e.has_carrier = e.has_reference_carrier = e.has_quantity_milli = 1;
    e.carrier = MVOI__CARRIER__CARRIER_HVO100;
    e.reference_carrier = MVOI__CARRIER__CARRIER_DIESEL_B7;
    e.quantity_milli = 10000000;
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &e;
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    cr_assert_eq(calc_impact(f, &m, &imp, &err), 0, "%s", err.message);
    char buf[1024];
    cr_assert_gt(impact_explain(f, &m, imp, buf, sizeof buf), 0);
    cr_assert(strstr(buf, "10 000 l × (3,251 − 0,468) kg CO2-eq/l = 27 830 kg CO2-eq"), "%s", buf);
    cr_assert(strstr(buf, "CO2emissiefactoren.nl 2026"), "%s", buf);
    calc_impact_free(&imp);
    factors_destroy(&f);
}

Test(explain, pinned_edition_unknown_names_measurement_edition)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__EnergyUse e = MVOI__ENERGY_USE__INIT;
    e.has_carrier = e.has_quantity_milli = 1;
    e.carrier = MVOI__CARRIER__CARRIER_HVO100;
    e.quantity_milli = 1000;
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &e;
    m.edition = "1999";
    fx_expect_error(f, &m, -EINVAL, "measurement.edition");
    m.edition = "2026";
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    cr_assert_eq(calc_impact(f, &m, &imp, &err), 0, "%s", err.message);
    cr_assert_str_eq(imp->factors[0]->edition, "2026");
    calc_impact_free(&imp);
    factors_destroy(&f);
}
