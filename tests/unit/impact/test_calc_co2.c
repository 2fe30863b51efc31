/*  calc: CO2 (energy use) with the worked examples of docs/domain.md#co2, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

Test(calc, co2_hvo100_instead_of_diesel_b7)
{
    /* docs/domain.md#co2: 10,000 l x (3.251 - 0.468) kg/l = 10,000 x 2.783 = 27,830 kg
     * = 27,830,000 g. Default reference of HVO100 is diesel B7. */
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 10000 * 1000LL);
    Mvoi__Impact *imp = tc_ok();
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
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 10000 * 1000LL);
    tc_e.has_reference_carrier = 1;
    tc_e.reference_carrier = MVOI__CARRIER__CARRIER_DIESEL_B0;
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 29940000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "diesel_b0");
    calc_impact_free(&imp);
}

Test(calc, co2_default_references)
{
    /* bio-CNG vs CNG, 2,000 kg: 2,000 x (2.831 - 0.604) = 2,000 x 2.227 = 4,454 kg. */
    tc_energy(MVOI__CARRIER__CARRIER_BIO_CNG, 2000 * 1000LL);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 4454000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "cng");
    calc_impact_free(&imp);
    /* green hydrogen vs grey, 100 kg: 100 x (12.516 - 1.092) = 100 x 11.424 = 1,142.4 kg. */
    tc_energy(MVOI__CARRIER__CARRIER_HYDROGEN_GREEN, 100 * 1000LL);
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 1142400);
    calc_impact_free(&imp);
    /* green gas vs natural gas, 5,000 Nm3: 5,000 x (2.134 - 0.305) = 9,145 kg. */
    tc_energy(MVOI__CARRIER__CARRIER_GREEN_GAS, 5000 * 1000LL);
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 9145000);
    calc_impact_free(&imp);
    /* renewable electricity vs grey, 50,000 kWh: 50,000 x 0.483 = 24,150 kg. */
    tc_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE, 50000 * 1000LL);
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 24150000);
    cr_assert_str_eq(imp->factors[0]->reference_variant, "electricity_grey");
    calc_impact_free(&imp);
    /* A fossil carrier is its own reference: nothing avoided. */
    tc_energy(MVOI__CARRIER__CARRIER_DIESEL_B7, 10000 * 1000LL);
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 0);
    calc_impact_free(&imp);
}

Test(calc, co2_grid_electricity_uses_grid_year)
{
    /* 100,000 kWh grid mix 2025 instead of grey: 100,000 x (0.483 - 0.268)
     * = 100,000 x 0.215 = 21,500 kg. */
    tc_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 100000 * 1000LL);
    tc_e.has_grid_year = 1;
    tc_e.grid_year = 2025;
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 21500000);
    cr_assert_eq(imp->n_factors, 2);
    cr_assert_str_eq(imp->factors[1]->table, "co2_grid_mix");
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2025");
    calc_impact_free(&imp);
    /* 2023: 100,000 x (0.483 - 0.337) = 14,600 kg. */
    tc_e.grid_year = 2023;
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 14600000);
    calc_impact_free(&imp);
    /* No grid_year: the year of period_start (2026): 100,000 x 0.239 = 23,900 kg. */
    tc_e.has_grid_year = 0;
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 23900000);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2026");
    calc_impact_free(&imp);
    /* 2028 has no row yet: the latest year before it (2026). */
    tc_e.has_grid_year = 1;
    tc_e.grid_year = 2028;
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 23900000);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "electricity_grid@2026");
    calc_impact_free(&imp);
}

Test(calc, co2_rounds_once_half_away_from_zero)
{
    /* 0.5 l HVO100: 0.5 x 2.783 kg = 1,391.5 g -> 1,392 g. */
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 500);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, 1392);
    calc_impact_free(&imp);
    /* Worse than the reference is negative: 0.5 l diesel B0 against HVO100 as
     * reference: 0.5 x (0.468 - 3.462) = -1.497 kg = -1,497 g; and 0.0005 l x -2.994 kg
     * = -1.497 g -> -1 g; 0.0015 l -> -4.491 g -> -4 g. */
    tc_energy(MVOI__CARRIER__CARRIER_DIESEL_B0, 500);
    tc_e.has_reference_carrier = 1;
    tc_e.reference_carrier = MVOI__CARRIER__CARRIER_HVO100;
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, -1497);
    calc_impact_free(&imp);
    tc_e.quantity_milli = 1;       /* 0.001 l x -2,994 g/l = -2.994 g -> -3 g */
    imp = tc_ok();
    cr_assert_eq(imp->co2_avoided_g, -3);
    calc_impact_free(&imp);
}

Test(calc, co2_errors_name_the_field)
{
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 0);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.quantity_milli");
    tc_e.quantity_milli = -5;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.quantity_milli");
    tc_e.has_quantity_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.quantity_milli");
    tc_e.has_quantity_milli = 1;
    tc_e.quantity_milli = CALC_MAX_QUANTITY_MILLI + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.quantity_milli");
    tc_e.quantity_milli = 1000;
    tc_e.carrier = 99;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.carrier");
    tc_e.carrier = MVOI__CARRIER__CARRIER_UNSPECIFIED;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.carrier");
    tc_e.has_carrier = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.carrier");
    tc_e.has_carrier = 1;
    tc_e.carrier = MVOI__CARRIER__CARRIER_HVO100;
    tc_e.has_reference_carrier = 1;
    tc_e.reference_carrier = MVOI__CARRIER__CARRIER_CNG;    /* kg against litres */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.reference_carrier");
    tc_e.reference_carrier = 77;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.reference_carrier");
    tc_e.has_reference_carrier = 0;
    tc_e.has_grid_year = 1;
    tc_e.grid_year = 2025;         /* not grid electricity */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.grid_year");
    tc_e.carrier = MVOI__CARRIER__CARRIER_ELECTRICITY_GRID;
    tc_e.grid_year = 2019;         /* before the first grid-mix row */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.grid_year");
    tc_e.grid_year = 1970;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.energy.grid_year");
}
