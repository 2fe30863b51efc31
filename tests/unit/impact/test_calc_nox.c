/*  calc: NOx of machines and road transport with the worked examples of docs/domain.md#nox, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

/* ---- NOx, machines ------------------------------------------------------------------ */

static Mvoi__MachineUse MU;

static void
s_machine(uint32_t kw, int actual, int required, int64_t hours_milli, uint32_t load_permille)
{
    mvoi__machine_use__init(&MU);
    MU.has_power_kw = 1;
    MU.power_kw = kw;
    MU.has_stage_actual = 1;
    MU.stage_actual = actual;
    MU.has_stage_required = 1;
    MU.stage_required = required;
    MU.has_hours_milli = 1;
    MU.hours_milli = hours_milli;
    MU.has_load_factor_permille = 1;
    MU.load_factor_permille = load_permille;
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
    tc_m.machine = &MU;
}

Test(calc, nox_stage_v_instead_of_iiib)
{
    /* docs/domain.md#nox: 150 kW x 0.4 x 1,000 h = 60,000 kWh; (2.0 - 0.4) g/kWh x 60,000 kWh
     * = 1.6 x 60,000 = 96,000 g = 96 kg = 96,000,000 mg. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              1000 * 1000LL, 400);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 96000000);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_MILIEU);
    cr_assert_str_eq(imp->factors[0]->table, "nox_stage");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "stage_iiib[130-560kW]");
    cr_assert_not(imp->factors[0]->unverified);
    calc_impact_free(&imp);
    /* The same energy metered: 60,000 kWh, hours and load ignored. */
    MU.has_metered_kwh_milli = 1;
    MU.metered_kwh_milli = 60000 * 1000LL;
    MU.has_hours_milli = 0;
    MU.has_load_factor_permille = 0;
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 96000000);
    calc_impact_free(&imp);
}

Test(calc, nox_zero_emission_and_bands)
{
    /* Zero-emission at 150 kW where Stage V is required: 0.4 x 60,000 = 24,000 g. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_ZERO_EMISSION, MVOI__EMISSION_STAGE__STAGE_V,
              1000 * 1000LL, 400);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 24000000);
    calc_impact_free(&imp);
    /* 100 kW falls in the 56-130 band: Stage IIIB 3.3; Stage V 0.4.
     * 100 kW x 0.5 x 200 h = 10,000 kWh; (3.3 - 0.4) x 10,000 = 29,000 g. */
    s_machine(100, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              200 * 1000LL, 500);
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 29000000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "stage_iiib[56-129kW]");
    calc_impact_free(&imp);
}

Test(calc, nox_flags_hc_nox_and_unverified_limits)
{
    /* Stage IIIA at 100 kW is HC+NOx 4.7: (4.7 - 0.4) x 10,000 kWh = 43,000 g. */
    s_machine(100, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIA,
              200 * 1000LL, 500);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 43000000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "stage_iiia[37-129kW,hc_nox]");
    calc_impact_free(&imp);
    /* Stage II (unverified) at 100 kW is 6.0: (6.0 - 0.4) x 10,000 = 56,000 g. */
    MU.stage_required = MVOI__EMISSION_STAGE__STAGE_II;
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 56000000);
    cr_assert(imp->factors[0]->unverified);
    calc_impact_free(&imp);
    /* Worse than required counts negative: IIIB actual, V required at 150 kW,
     * 60,000 kWh: (0.4 - 2.0) x 60,000 = -96,000 g. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_IIIB, MVOI__EMISSION_STAGE__STAGE_V,
              1000 * 1000LL, 400);
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, -96000000);
    calc_impact_free(&imp);
}

Test(calc, nox_rounds_once)
{
    /* 150 kW x 0.333 x 0.001 h = 0.04995 kWh; 1.6 g/kWh x 0.04995 = 0.07992 g = 79.92 mg
     * -> 80 mg (rounding only the final mg). */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1, 333);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 80);
    calc_impact_free(&imp);
}

Test(calc, nox_machine_errors_name_the_field)
{
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 400);
    MU.has_stage_required = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.stage_required");
    MU.has_stage_required = 1;
    MU.stage_required = 42;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.stage_required");
    MU.stage_required = MVOI__EMISSION_STAGE__STAGE_IIIB;
    MU.stage_actual = MVOI__EMISSION_STAGE__STAGE_UNSPECIFIED;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.stage_actual");
    MU.stage_actual = MVOI__EMISSION_STAGE__STAGE_V;
    MU.power_kw = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.power_kw");
    MU.power_kw = CALC_MAX_POWER_KW + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.power_kw");
    MU.power_kw = 30;       /* Stage IIIB has no limit below 37 kW */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.stage_required");
    MU.power_kw = 150;
    MU.has_hours_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.hours_milli");
    MU.has_hours_milli = 1;
    MU.hours_milli = CALC_MAX_HOURS_MILLI + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.hours_milli");
    MU.hours_milli = 1000;
    MU.load_factor_permille = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.load_factor_permille");
    MU.load_factor_permille = 1001;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.load_factor_permille");
    MU.load_factor_permille = 400;
    MU.has_metered_kwh_milli = 1;
    MU.metered_kwh_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.machine.metered_kwh_milli");
}

/* ---- NOx, road ---------------------------------------------------------------------- */

static Mvoi__RoadTransport R;

static void
s_road(char *cls, char *actual, char *required)
{
    mvoi__road_transport__init(&R);
    R.vehicle_class = cls;
    R.euro_class_actual = actual;
    R.euro_class_required = required;
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
    tc_m.road = &R;
}

Test(calc, nox_road_per_km_and_per_kwh)
{
    /* Diesel car Euro 6 (0.080 g/km) where Euro 4 (0.25, unverified) was allowed,
     * 10,000 km: 0.17 x 10,000 = 1,700 g = 1,700,000 mg. */
    s_road("car_diesel", "euro6", "euro4");
    R.has_km_milli = 1;
    R.km_milli = 10000 * 1000LL;
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 1700000);
    cr_assert_str_eq(imp->factors[0]->table, "nox_road");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "car_diesel:euro4");
    cr_assert(imp->factors[0]->unverified);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_MILIEU);
    calc_impact_free(&imp);
    /* Zero-emission car where Euro 6 petrol (0.060) is required, 20,000 km: 1,200 g. */
    s_road("car_petrol", "zero_emission", "euro6");
    R.has_km_milli = 1;
    R.km_milli = 20000 * 1000LL;
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 1200000);
    cr_assert_not(imp->factors[0]->unverified);
    calc_impact_free(&imp);
    /* Heavy duty Euro VI (0.4 g/kWh) where Euro V (2.0) was allowed, 50,000 kWh:
     * 1.6 x 50,000 = 80,000 g. */
    s_road("heavy_duty", "euro_vi", "euro_v");
    R.has_kwh_milli = 1;
    R.kwh_milli = 50000 * 1000LL;
    imp = tc_ok();
    cr_assert_eq(imp->nox_avoided_mg, 80000000);
    calc_impact_free(&imp);
}

Test(calc, nox_road_errors_name_the_field)
{
    s_road("car_diesel", "euro6", "euro4");
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.km_milli");    /* per-km class */
    R.has_kwh_milli = 1;
    R.kwh_milli = 1000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.km_milli");    /* kWh is not km */
    s_road("heavy_duty", "euro_vi", "euro_v");
    R.has_km_milli = 1;
    R.km_milli = 1000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.kwh_milli");
    s_road("car_diesel", "euro9", "euro4");
    R.has_km_milli = 1;
    R.km_milli = 1000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.euro_class_actual");
    R.euro_class_actual = "euro6";
    R.euro_class_required = "";
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.euro_class_required");
    R.euro_class_required = "euro4";
    R.vehicle_class = "Car Diesel";
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.vehicle_class");
    R.vehicle_class = NULL;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.road.vehicle_class");
}
