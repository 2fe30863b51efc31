/*  calc: every formula with the worked examples of DOMAIN.md 5, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "impact_fixture.h"

static factors_t *F;
static Mvoi__Measurement M;

static void
s_setup(void)
{
    F = fx_factors();
    fx_envelope(&M);
}

static void
s_teardown(void)
{
    factors_destroy(&F);
}

TestSuite(calc, .init = s_setup, .fini = s_teardown);

static Mvoi__Impact *
s_ok(void)
{
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    int rc = calc_impact(F, &M, &imp, &err);
    cr_assert_eq(rc, 0, "calc_impact: %s", err.message);
    cr_assert_not_null(imp);
    return imp;
}

/* ---- CO2 ---------------------------------------------------------------------------- */

static Mvoi__EnergyUse E;

static void
s_energy(int carrier, int64_t quantity_milli)
{
    mvoi__energy_use__init(&E);
    E.has_carrier = 1;
    E.carrier = carrier;
    E.has_quantity_milli = 1;
    E.quantity_milli = quantity_milli;
    M.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    M.energy = &E;
}

Test(calc, co2_hvo100_instead_of_diesel_b7)
{
    /* DOMAIN.md: 10,000 l x (3.251 - 0.468) kg/l = 10,000 x 2.783 = 27,830 kg
     * = 27,830,000 g. Default reference of HVO100 is diesel B7. */
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 10000 * 1000LL);
    Mvoi__Impact *imp = s_ok();
    cr_assert(imp->has_co2_avoided_g);
    cr_assert_eq(imp->co2_avoided_g, 27830000);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_KLIMAAT);
    cr_assert_eq(imp->n_factors, 1);
    cr_assert_str_eq(imp->factors[0]->table, "co2");
    cr_assert_str_eq(imp->factors[0]->edition, "2026");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "diesel_b7");
    cr_assert_str_eq(imp->factors[0]->source, "CO2emissiefactoren.nl 2026");
    cr_assert(imp->factors[0]->has_unverified);
    cr_assert_not(imp->factors[0]->unverified);
    cr_assert_not(imp->has_nox_avoided_mg, "other quantities stay absent");
    calc_impact_free(&imp);
    cr_assert_null(imp);
}

Test(calc, co2_reference_is_selectable)
{
    /* Against fossil diesel B0: 10,000 x (3.462 - 0.468) = 10,000 x 2.994 = 29,940 kg. */
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 10000 * 1000LL);
    E.has_reference_carrier = 1;
    E.reference_carrier = MVOI__CARRIER__CARRIER_DIESEL_B0;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 29940000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "diesel_b0");
    calc_impact_free(&imp);
}

Test(calc, co2_default_references)
{
    /* bio-CNG vs CNG, 2,000 kg: 2,000 x (2.831 - 0.604) = 2,000 x 2.227 = 4,454 kg. */
    s_energy(MVOI__CARRIER__CARRIER_BIO_CNG, 2000 * 1000LL);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 4454000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "cng");
    calc_impact_free(&imp);
    /* green hydrogen vs grey, 100 kg: 100 x (12.516 - 1.092) = 100 x 11.424 = 1,142.4 kg. */
    s_energy(MVOI__CARRIER__CARRIER_HYDROGEN_GREEN, 100 * 1000LL);
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 1142400);
    calc_impact_free(&imp);
    /* green gas vs natural gas, 5,000 Nm3: 5,000 x (2.134 - 0.305) = 9,145 kg. */
    s_energy(MVOI__CARRIER__CARRIER_GREEN_GAS, 5000 * 1000LL);
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 9145000);
    calc_impact_free(&imp);
    /* renewable electricity vs grey, 50,000 kWh: 50,000 x 0.483 = 24,150 kg. */
    s_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE, 50000 * 1000LL);
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 24150000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "electricity_grey");
    calc_impact_free(&imp);
    /* A fossil carrier is its own reference: nothing avoided. */
    s_energy(MVOI__CARRIER__CARRIER_DIESEL_B7, 10000 * 1000LL);
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 0);
    calc_impact_free(&imp);
}

Test(calc, co2_grid_electricity_uses_grid_year)
{
    /* 100,000 kWh grid mix 2025 instead of grey: 100,000 x (0.483 - 0.268)
     * = 100,000 x 0.215 = 21,500 kg. */
    s_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 100000 * 1000LL);
    E.has_grid_year = 1;
    E.grid_year = 2025;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 21500000);
    cr_assert_eq(imp->n_factors, 2);
    cr_assert_str_eq(imp->factors[1]->table, "co2_grid_mix");
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2025");
    calc_impact_free(&imp);
    /* 2023: 100,000 x (0.483 - 0.337) = 14,600 kg. */
    E.grid_year = 2023;
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 14600000);
    calc_impact_free(&imp);
    /* No grid_year: the year of period_start (2026): 100,000 x 0.239 = 23,900 kg. */
    E.has_grid_year = 0;
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 23900000);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2026");
    calc_impact_free(&imp);
    /* 2028 has no row yet: the latest year before it (2026). */
    E.has_grid_year = 1;
    E.grid_year = 2028;
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 23900000);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2026");
    calc_impact_free(&imp);
}

Test(calc, co2_rounds_once_half_away_from_zero)
{
    /* 0.5 l HVO100: 0.5 x 2.783 kg = 1,391.5 g -> 1,392 g. */
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 500);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, 1392);
    calc_impact_free(&imp);
    /* Worse than the reference is negative: 0.5 l diesel B0 against HVO100 as
     * reference: 0.5 x (0.468 - 3.462) = -1.497 kg = -1,497 g; and 0.0005 l x -2.994 kg
     * = -1.497 g -> -1 g; 0.0015 l -> -4.491 g -> -4 g. */
    s_energy(MVOI__CARRIER__CARRIER_DIESEL_B0, 500);
    E.has_reference_carrier = 1;
    E.reference_carrier = MVOI__CARRIER__CARRIER_HVO100;
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, -1497);
    calc_impact_free(&imp);
    E.quantity_milli = 1;       /* 0.001 l x -2,994 g/l = -2.994 g -> -3 g */
    imp = s_ok();
    cr_assert_eq(imp->co2_avoided_g, -3);
    calc_impact_free(&imp);
}

Test(calc, co2_errors_name_the_field)
{
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 0);
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.quantity_milli");
    E.quantity_milli = -5;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.quantity_milli");
    E.has_quantity_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.quantity_milli");
    E.has_quantity_milli = 1;
    E.quantity_milli = CALC_MAX_QUANTITY_MILLI + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.quantity_milli");
    E.quantity_milli = 1000;
    E.carrier = 99;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.carrier");
    E.carrier = MVOI__CARRIER__CARRIER_UNSPECIFIED;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.carrier");
    E.has_carrier = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.carrier");
    E.has_carrier = 1;
    E.carrier = MVOI__CARRIER__CARRIER_HVO100;
    E.has_reference_carrier = 1;
    E.reference_carrier = MVOI__CARRIER__CARRIER_CNG;    /* kg against litres */
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.reference_carrier");
    E.reference_carrier = 77;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.reference_carrier");
    E.has_reference_carrier = 0;
    E.has_grid_year = 1;
    E.grid_year = 2025;         /* not grid electricity */
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.grid_year");
    E.carrier = MVOI__CARRIER__CARRIER_ELECTRICITY_GRID;
    E.grid_year = 2019;         /* before the first grid-mix row */
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.grid_year");
    E.grid_year = 1970;
    fx_expect_error(F, &M, -EINVAL, "measurement.energy.grid_year");
}

Test(calc, overflow_is_an_error_not_a_wrong_number)
{
    /* A table with an absurd factor: 9e12 kg/l (stored 9e15) x 1e11 milli-litres
     * = 9e26 > 2^63. */
    char dir[64], err[256] = "";
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "co2-9999.csv", "# table: co2\n# edition: huge\n# valid_from: 2026\n"
             "# source: t\n# unit: kg\n# decimals: 3\nkey,value,unit,source,unverified,reference\n"
             "diesel_b7,9000000000000,l,t,no,diesel_b7\nhvo100,0,l,t,no,diesel_b7\n");
    factors_t *f = factors_new();
    cr_assert_eq(factors_load_dir(f, dir, err, sizeof err), 0, "%s", err);
    s_energy(MVOI__CARRIER__CARRIER_HVO100, CALC_MAX_QUANTITY_MILLI);
    fx_expect_error(f, &M, -EOVERFLOW, "measurement.energy.quantity_milli");
    factors_destroy(&f);
}

Test(calc, missing_table_is_a_failed_precondition)
{
    factors_t *empty = factors_new();
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 1000);
    impact_error_t err;
    Mvoi__Impact *imp = NULL;
    cr_assert_eq(calc_impact(empty, &M, &imp, &err), -ENOENT);
    cr_assert_eq(err.code, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION);
    cr_assert_not_null(strstr(err.message, "co2"));
    factors_destroy(&empty);
}

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
    M.kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
    M.machine = &MU;
}

Test(calc, nox_stage_v_instead_of_iiib)
{
    /* DOMAIN.md: 150 kW x 0.4 x 1,000 h = 60,000 kWh; (2.0 - 0.4) g/kWh x 60,000 kWh
     * = 1.6 x 60,000 = 96,000 g = 96 kg = 96,000,000 mg. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              1000 * 1000LL, 400);
    Mvoi__Impact *imp = s_ok();
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
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 96000000);
    calc_impact_free(&imp);
}

Test(calc, nox_zero_emission_and_bands)
{
    /* Zero-emission at 150 kW where Stage V is required: 0.4 x 60,000 = 24,000 g. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_ZERO_EMISSION, MVOI__EMISSION_STAGE__STAGE_V,
              1000 * 1000LL, 400);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 24000000);
    calc_impact_free(&imp);
    /* 100 kW falls in the 56-130 band: Stage IIIB 3.3; Stage V 0.4.
     * 100 kW x 0.5 x 200 h = 10,000 kWh; (3.3 - 0.4) x 10,000 = 29,000 g. */
    s_machine(100, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              200 * 1000LL, 500);
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 29000000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "stage_iiib[56-129kW]");
    calc_impact_free(&imp);
}

Test(calc, nox_flags_hc_nox_and_unverified_limits)
{
    /* Stage IIIA at 100 kW is HC+NOx 4.7: (4.7 - 0.4) x 10,000 kWh = 43,000 g. */
    s_machine(100, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIA,
              200 * 1000LL, 500);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 43000000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "stage_iiia[37-129kW,hc_nox]");
    calc_impact_free(&imp);
    /* Stage II (unverified) at 100 kW is 6.0: (6.0 - 0.4) x 10,000 = 56,000 g. */
    MU.stage_required = MVOI__EMISSION_STAGE__STAGE_II;
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 56000000);
    cr_assert(imp->factors[0]->unverified);
    calc_impact_free(&imp);
    /* Worse than required counts negative: IIIB actual, V required at 150 kW,
     * 60,000 kWh: (0.4 - 2.0) x 60,000 = -96,000 g. */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_IIIB, MVOI__EMISSION_STAGE__STAGE_V,
              1000 * 1000LL, 400);
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, -96000000);
    calc_impact_free(&imp);
}

Test(calc, nox_rounds_once)
{
    /* 150 kW x 0.333 x 0.001 h = 0.04995 kWh; 1.6 g/kWh x 0.04995 = 0.07992 g = 79.92 mg
     * -> 80 mg (rounding only the final mg). */
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1, 333);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 80);
    calc_impact_free(&imp);
}

Test(calc, nox_machine_errors_name_the_field)
{
    s_machine(150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 400);
    MU.has_stage_required = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.stage_required");
    MU.has_stage_required = 1;
    MU.stage_required = 42;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.stage_required");
    MU.stage_required = MVOI__EMISSION_STAGE__STAGE_IIIB;
    MU.stage_actual = MVOI__EMISSION_STAGE__STAGE_UNSPECIFIED;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.stage_actual");
    MU.stage_actual = MVOI__EMISSION_STAGE__STAGE_V;
    MU.power_kw = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.power_kw");
    MU.power_kw = CALC_MAX_POWER_KW + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.power_kw");
    MU.power_kw = 30;       /* Stage IIIB has no limit below 37 kW */
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.stage_required");
    MU.power_kw = 150;
    MU.has_hours_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.hours_milli");
    MU.has_hours_milli = 1;
    MU.hours_milli = CALC_MAX_HOURS_MILLI + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.hours_milli");
    MU.hours_milli = 1000;
    MU.load_factor_permille = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.load_factor_permille");
    MU.load_factor_permille = 1001;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.load_factor_permille");
    MU.load_factor_permille = 400;
    MU.has_metered_kwh_milli = 1;
    MU.metered_kwh_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.machine.metered_kwh_milli");
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
    M.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
    M.road = &R;
}

Test(calc, nox_road_per_km_and_per_kwh)
{
    /* Diesel car Euro 6 (0.080 g/km) where Euro 4 (0.25, unverified) was allowed,
     * 10,000 km: 0.17 x 10,000 = 1,700 g = 1,700,000 mg. */
    s_road("car_diesel", "euro6", "euro4");
    R.has_km_milli = 1;
    R.km_milli = 10000 * 1000LL;
    Mvoi__Impact *imp = s_ok();
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
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 1200000);
    cr_assert_not(imp->factors[0]->unverified);
    calc_impact_free(&imp);
    /* Heavy duty Euro VI (0.4 g/kWh) where Euro V (2.0) was allowed, 50,000 kWh:
     * 1.6 x 50,000 = 80,000 g. */
    s_road("heavy_duty", "euro_vi", "euro_v");
    R.has_kwh_milli = 1;
    R.kwh_milli = 50000 * 1000LL;
    imp = s_ok();
    cr_assert_eq(imp->nox_avoided_mg, 80000000);
    calc_impact_free(&imp);
}

Test(calc, nox_road_errors_name_the_field)
{
    s_road("car_diesel", "euro6", "euro4");
    fx_expect_error(F, &M, -EINVAL, "measurement.road.km_milli");    /* per-km class */
    R.has_kwh_milli = 1;
    R.kwh_milli = 1000;
    fx_expect_error(F, &M, -EINVAL, "measurement.road.km_milli");    /* kWh is not km */
    s_road("heavy_duty", "euro_vi", "euro_v");
    R.has_km_milli = 1;
    R.km_milli = 1000;
    fx_expect_error(F, &M, -EINVAL, "measurement.road.kwh_milli");
    s_road("car_diesel", "euro9", "euro4");
    R.has_km_milli = 1;
    R.km_milli = 1000;
    fx_expect_error(F, &M, -EINVAL, "measurement.road.euro_class_actual");
    R.euro_class_actual = "euro6";
    R.euro_class_required = "";
    fx_expect_error(F, &M, -EINVAL, "measurement.road.euro_class_required");
    R.euro_class_required = "euro4";
    R.vehicle_class = "Car Diesel";
    fx_expect_error(F, &M, -EINVAL, "measurement.road.vehicle_class");
    R.vehicle_class = NULL;
    fx_expect_error(F, &M, -EINVAL, "measurement.road.vehicle_class");
}

/* ---- Material ----------------------------------------------------------------------- */

static Mvoi__Material MAT;

static void
s_material(int strategy, int64_t mass_g)
{
    mvoi__material__init(&MAT);
    MAT.has_strategy = 1;
    MAT.strategy = strategy;
    MAT.has_mass_g = 1;
    MAT.mass_g = mass_g;
    M.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    M.material = &MAT;
}

Test(calc, material_by_r_strategy)
{
    /* R3 re-use of 2,500 kg of play equipment: the whole mass, 2,500,000 g. */
    s_material(MVOI__RSTRATEGY__R3_REUSE, 2500000);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 2500000);
    cr_assert(imp->has_renewable_g);
    cr_assert_eq(imp->renewable_g, 0);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_CIRCULAIR);
    cr_assert_str_eq(imp->factors[0]->table, "r_ladder");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "r3_reuse");
    cr_assert(imp->factors[0]->unverified, "no official kg formula");
    calc_impact_free(&imp);
    /* R0 refuse and R2 reduce: the whole saved mass. */
    s_material(MVOI__RSTRATEGY__R0_REFUSE, 1234);
    imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 1234);
    calc_impact_free(&imp);
    s_material(MVOI__RSTRATEGY__R2_REDUCE, 777);
    imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 777);
    calc_impact_free(&imp);
    /* R8 recycle: the secondary content given, 300 kg. */
    s_material(MVOI__RSTRATEGY__R8_RECYCLE, 300000);
    imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 300000);
    calc_impact_free(&imp);
    /* R9 recover: zero. */
    s_material(MVOI__RSTRATEGY__R9_RECOVER, 300000);
    imp = s_ok();
    cr_assert(imp->has_primary_material_g);
    cr_assert_eq(imp->primary_material_g, 0);
    calc_impact_free(&imp);
}

Test(calc, material_r1_sharing_factor)
{
    /* 1,200 kg shared by 4: 1,200 x (1 - 1/4) = 900 kg = 900,000 g. */
    s_material(MVOI__RSTRATEGY__R1_RETHINK, 1200000);
    MAT.has_sharing_factor_milli = 1;
    MAT.sharing_factor_milli = 4000;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 900000);
    calc_impact_free(&imp);
    /* 1,000 g shared by 3: 1,000 x 2/3 = 666.67 g -> 667 g. */
    MAT.mass_g = 1000;
    MAT.sharing_factor_milli = 3000;
    imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 667);
    calc_impact_free(&imp);
    /* Sharing factor 1: nothing shared, nothing avoided. */
    MAT.sharing_factor_milli = 1000;
    imp = s_ok();
    cr_assert_eq(imp->primary_material_g, 0);
    calc_impact_free(&imp);
}

Test(calc, material_renewable_is_reported_separately)
{
    /* 800 kg biobased (R3) replacing finite material: 800,000 g renewable, 0 primary. */
    s_material(MVOI__RSTRATEGY__R3_REUSE, 800000);
    MAT.has_renewable = 1;
    MAT.renewable = 1;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->renewable_g, 800000);
    cr_assert(imp->has_primary_material_g);
    cr_assert_eq(imp->primary_material_g, 0);
    calc_impact_free(&imp);
}

Test(calc, material_errors_name_the_field)
{
    s_material(MVOI__RSTRATEGY__R3_REUSE, 0);
    fx_expect_error(F, &M, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = -10;
    fx_expect_error(F, &M, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = CALC_MAX_MASS_G + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = 1000;
    MAT.has_strategy = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.material.strategy");
    MAT.has_strategy = 1;
    MAT.strategy = 11;
    fx_expect_error(F, &M, -EINVAL, "measurement.material.strategy");
    MAT.strategy = MVOI__RSTRATEGY__R3_REUSE;
    MAT.has_sharing_factor_milli = 1;
    MAT.sharing_factor_milli = 2000;    /* only for R1 */
    fx_expect_error(F, &M, -EINVAL, "measurement.material.sharing_factor_milli");
    MAT.strategy = MVOI__RSTRATEGY__R1_RETHINK;
    MAT.sharing_factor_milli = 999;     /* fewer than one user */
    fx_expect_error(F, &M, -EINVAL, "measurement.material.sharing_factor_milli");
    MAT.has_sharing_factor_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.material.sharing_factor_milli");
}

/* ---- SROI --------------------------------------------------------------------------- */

static Mvoi__SocialReturn S;

static void
s_social(void)
{
    mvoi__social_return__init(&S);
    M.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    M.social = &S;
}

Test(calc, sroi_worked_examples)
{
    /* DOMAIN.md: 6 FTE-months Participatiewet at EUR 40,000 per FTE-year
     * = 40,000 x 6/12 = EUR 20,000 = 2,000,000 cents. */
    s_social();
    S.target_group = "participatiewet";
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 6000;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 2000000);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_SOCIAL_RETURN);
    cr_assert_eq(imp->n_factors, 1);
    cr_assert_str_eq(imp->factors[0]->table, "sroi_catalogue");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "participatiewet");
    calc_impact_free(&imp);
    /* 150 h social projects at EUR 100/h = EUR 15,000 = 1,500,000 cents. */
    s_social();
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 150000;
    imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 1500000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "social_project_hour");
    calc_impact_free(&imp);
}

Test(calc, sroi_all_building_blocks_together)
{
    /* 6 FTE-months Participatiewet with the 50+ bonus: (40,000 + 10,000) x 0.5 = 25,000
     * + 150 h x 100 = 15,000 + invoices EUR 12,345.67 = EUR 52,345.67 = 5,234,567 cents. */
    s_social();
    S.target_group = "participatiewet";
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 6000;
    S.has_bonus_50plus = 1;
    S.bonus_50plus = 1;
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 150000;
    S.has_social_enterprise_cents = 1;
    S.social_enterprise_cents = 1234567;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 5234567);
    cr_assert_eq(imp->n_factors, 3);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "bonus_50plus");
    calc_impact_free(&imp);
    /* Invoices alone need no catalogue row: EUR 500 = 50,000 cents. */
    s_social();
    S.has_social_enterprise_cents = 1;
    S.social_enterprise_cents = 50000;
    imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 50000);
    cr_assert_eq(imp->n_factors, 0);
    calc_impact_free(&imp);
}

Test(calc, sroi_rounds_once)
{
    /* 0.001 FTE-month WW (EUR 20,000/FTE-year) = 20,000 x 0.001 / 12 = EUR 1.6667
     * = 166.67 cents -> 167. Adding 0.001 h x EUR 100 = 10 cents gives 176.67 -> 177. */
    s_social();
    S.target_group = "ww";
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 1;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 167);
    calc_impact_free(&imp);
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 1;
    imp = s_ok();
    cr_assert_eq(imp->sroi_realised_cents, 177);
    calc_impact_free(&imp);
}

Test(calc, sroi_errors_name_the_field)
{
    s_social();
    fx_expect_error(F, &M, -EINVAL, "measurement.social");
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 6000;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.target_group");
    S.target_group = "onbekend";
    fx_expect_error(F, &M, -EINVAL, "measurement.social.target_group");
    S.target_group = "bonus_50plus";    /* a row, but not a target group */
    fx_expect_error(F, &M, -EINVAL, "measurement.social.target_group");
    S.target_group = "wia";
    S.fte_months_milli = -1;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.fte_months_milli");
    S.fte_months_milli = CALC_MAX_FTE_MONTHS_MILLI + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.fte_months_milli");
    S.has_fte_months_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.fte_months_milli");
    S.target_group = NULL;
    S.has_bonus_50plus = 1;
    S.bonus_50plus = 1;
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 1000;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.bonus_50plus");
    S.has_bonus_50plus = 0;
    S.social_project_hours_milli = -1000;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.social_project_hours_milli");
    S.social_project_hours_milli = 1000;
    S.has_social_enterprise_cents = 1;
    S.social_enterprise_cents = -1;
    fx_expect_error(F, &M, -EINVAL, "measurement.social.social_enterprise_cents");
}

/* ---- Fair trade --------------------------------------------------------------------- */

static Mvoi__FairTrade FT;

static void
s_fair(char *category, uint32_t total, uint32_t fair)
{
    mvoi__fair_trade__init(&FT);
    FT.category = category;
    FT.has_products_total = 1;
    FT.products_total = total;
    FT.has_products_fair = 1;
    FT.products_fair = fair;
    M.kind_case = MVOI__MEASUREMENT__KIND_FAIRTRADE;
    M.fairtrade = &FT;
}

Test(calc, fairtrade_counts)
{
    /* 45 of 120 work-wear products fair trade: share 37.5 %, kept as counts. */
    s_fair("bedrijfskleding", 120, 45);
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->fairtrade_products, 45);
    cr_assert_eq(imp->risk_products, 120);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_ISV);
    cr_assert_str_eq(imp->factors[0]->table, "isv_categories");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "bedrijfskleding");
    calc_impact_free(&imp);
    s_fair("natuursteen", 10, 10);      /* a category the action plan adds (5d) */
    imp = s_ok();
    cr_assert_eq(imp->fairtrade_products, 10);
    calc_impact_free(&imp);
}

Test(calc, fairtrade_errors_name_the_field)
{
    s_fair("bedrijfskleding", 10, 11);
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.products_fair");
    s_fair("bananen", 10, 5);
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.category");
    s_fair(NULL, 10, 5);
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.category");
    s_fair("catering", 0, 0);
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.products_total");
    s_fair("catering", CALC_MAX_PRODUCTS + 1, 0);
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.products_total");
    s_fair("catering", 10, 5);
    FT.has_products_fair = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.fairtrade.products_fair");
}

/* ---- MKI ---------------------------------------------------------------------------- */

static Mvoi__Mki K;
static Mvoi__MkiImpact KI[4];
static Mvoi__MkiImpact *KREF[2], *KOFF[2];

static Mvoi__MkiImpact *
s_ki(int i, char *category, int64_t amount_milli)
{
    mvoi__mki_impact__init(&KI[i]);
    KI[i].category = category;
    KI[i].has_amount_milli = 1;
    KI[i].amount_milli = amount_milli;
    return &KI[i];
}

static void
s_mki(void)
{
    mvoi__mki__init(&K);
    M.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    M.mki = &K;
}

Test(calc, mki_from_totals)
{
    /* Reference design EUR 10,000, offered EUR 8,500: EUR 1,500 = 150,000 cents. */
    s_mki();
    K.has_reference_mki_cents = 1;
    K.reference_mki_cents = 1000000;
    K.has_offered_mki_cents = 1;
    K.offered_mki_cents = 850000;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->mki_avoided_cents, 150000);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_MILIEU);
    cr_assert_eq(imp->n_factors, 0, "no table used");
    calc_impact_free(&imp);
}

Test(calc, mki_from_impacts_and_shadow_prices)
{
    /* GWP 100,000 kg vs 60,000 kg at EUR 0.05 = 40,000 x 0.05 = EUR 2,000;
     * MAETP 1,000 kg vs 0 at EUR 0.0001 = EUR 0.10. Total EUR 2,000.10 = 200,010 cents. */
    s_mki();
    KREF[0] = s_ki(0, "GWP", 100000 * 1000LL);
    KREF[1] = s_ki(1, "MAETP", 1000 * 1000LL);
    KOFF[0] = s_ki(2, "GWP", 60000 * 1000LL);
    K.n_reference_impacts = 2;
    K.reference_impacts = KREF;
    K.n_offered_impacts = 1;
    K.offered_impacts = KOFF;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->mki_avoided_cents, 200010);
    cr_assert_eq(imp->n_factors, 2);
    cr_assert_str_eq(imp->factors[0]->table, "mki_shadow_prices");
    cr_assert_str_eq(imp->factors[0]->edition, "set1");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "GWP");
    cr_assert_str_eq(imp->factors[1]->reference_variant, "MAETP");
    cr_assert(imp->factors[0]->unverified);
    calc_impact_free(&imp);
}

Test(calc, mki_rounds_the_sum_once)
{
    /* GWP 0.1 kg x EUR 0.05 = 0.5 cent; MAETP 50 kg x EUR 0.0001 = 0.5 cent.
     * The sum is exactly 1 cent; rounding each term would give 2. */
    s_mki();
    KREF[0] = s_ki(0, "GWP", 100);
    KREF[1] = s_ki(1, "MAETP", 50000);
    KOFF[0] = s_ki(2, "GWP", 0);
    K.n_reference_impacts = 2;
    K.reference_impacts = KREF;
    K.n_offered_impacts = 1;
    K.offered_impacts = KOFF;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->mki_avoided_cents, 1);
    calc_impact_free(&imp);
    /* Alone, MAETP 50 kg = 0.5 cent -> 1 (half away from zero); 49 kg -> 0. */
    K.n_reference_impacts = 1;
    KREF[0] = s_ki(0, "MAETP", 50000);
    imp = s_ok();
    cr_assert_eq(imp->mki_avoided_cents, 1);
    calc_impact_free(&imp);
    KI[0].amount_milli = 49000;
    imp = s_ok();
    cr_assert_eq(imp->mki_avoided_cents, 0);
    calc_impact_free(&imp);
}

Test(calc, mki_errors_name_the_field)
{
    s_mki();
    fx_expect_error(F, &M, -EINVAL, "measurement.mki");
    K.has_reference_mki_cents = 1;
    K.reference_mki_cents = 100;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.offered_mki_cents");
    K.has_offered_mki_cents = 1;
    K.offered_mki_cents = -1;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.offered_mki_cents");
    K.offered_mki_cents = 50;
    KREF[0] = s_ki(0, "GWP", 1000);
    K.n_reference_impacts = 1;
    K.reference_impacts = KREF;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki");      /* both forms */
    s_mki();
    KREF[0] = s_ki(0, "GWP", 1000);
    K.n_reference_impacts = 1;
    K.reference_impacts = KREF;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.offered_impacts");
    KOFF[0] = s_ki(1, "XYZ", 1000);
    K.n_offered_impacts = 1;
    K.offered_impacts = KOFF;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.offered_impacts[0].category");
    KOFF[0] = s_ki(1, "GWP", 1000);
    KOFF[1] = s_ki(2, "GWP", 5);
    K.n_offered_impacts = 2;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.offered_impacts[1].category");
    K.n_offered_impacts = 1;
    KI[0].amount_milli = CALC_MAX_MKI_AMOUNT_MILLI + 1;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.reference_impacts[0].amount_milli");
    KI[0].has_amount_milli = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.mki.reference_impacts[0].amount_milli");
}

/* ---- Pilot -------------------------------------------------------------------------- */

Test(calc, pilot_counts_once_under_its_theme)
{
    Mvoi__PilotStatus p = MVOI__PILOT_STATUS__INIT;
    p.has_theme = 1;
    p.theme = MVOI__THEME__THEME_CIRCULAIR;
    p.status = "lopend";
    M.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    M.pilot = &p;
    Mvoi__Impact *imp = s_ok();
    cr_assert_eq(imp->pilots, 1);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_CIRCULAIR);
    cr_assert_eq(imp->n_factors, 0);
    calc_impact_free(&imp);
    p.status = "klaar";
    fx_expect_error(F, &M, -EINVAL, "measurement.pilot.status");
    p.status = NULL;
    p.theme = 9;
    fx_expect_error(F, &M, -EINVAL, "measurement.pilot.theme");
    p.has_theme = 0;
    fx_expect_error(F, &M, -EINVAL, "measurement.pilot.theme");
}

/* ---- Envelope and memory ------------------------------------------------------------ */

Test(calc, validates_the_envelope_first)
{
    s_energy(MVOI__CARRIER__CARRIER_HVO100, 1000);
    M.id = "no spaces";
    fx_expect_error(F, &M, -EINVAL, "measurement.id");
    fx_envelope(&M);
    fx_expect_error(F, &M, -EINVAL, "measurement.kind");
}

Test(calc, impact_survives_pack_and_unpack)
{
    /* Everything calc_impact allocates is a normal protobuf-c message: it packs, and
     * the unpacked copy is equal. */
    s_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 1000 * 1000LL);
    Mvoi__Impact *imp = s_ok();
    uint8_t buf[1024];
    size_t n = mvoi__impact__get_packed_size(imp);
    cr_assert_lt(n, sizeof buf);
    mvoi__impact__pack(imp, buf);
    Mvoi__Impact *back = mvoi__impact__unpack(NULL, n, buf);
    cr_assert_not_null(back);
    cr_assert_eq(back->co2_avoided_g, imp->co2_avoided_g);
    cr_assert_eq(back->n_factors, 2);
    cr_assert_str_eq(back->factors[1]->reference_variant, "electricity_grid@2026");
    mvoi__impact__free_unpacked(back, NULL);
    calc_impact_free(&imp);
}

Test(calc, enum_keys)
{
    cr_assert_str_eq(calc_carrier_key(MVOI__CARRIER__CARRIER_HVO100), "hvo100");
    cr_assert_null(calc_carrier_key(0));
    cr_assert_null(calc_carrier_key(19));
    cr_assert_null(calc_carrier_key(-1));
    cr_assert_str_eq(calc_stage_key(MVOI__EMISSION_STAGE__STAGE_IIIB), "stage_iiib");
    cr_assert_str_eq(calc_strategy_key(MVOI__RSTRATEGY__R9_RECOVER), "r9_recover");
    /* Every carrier of the enum has a row in the shipped co2 table. */
    const factors_table_t *co2 = factors_select(F, "co2", "2026");
    for (int c = 1; c <= MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE; c++)
        cr_assert_not_null(factors_find(co2, calc_carrier_key(c)), "carrier %d", c);
}
