/*  calc: fair trade and pilots with the worked examples of docs/domain.md#fairtrade, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

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
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_FAIRTRADE;
    tc_m.fairtrade = &FT;
}

Test(calc, fairtrade_counts)
{
    /* 45 of 120 work-wear products fair trade: share 37.5 %, kept as counts. */
    s_fair("bedrijfskleding", 120, 45);
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->fairtrade_products, 45);
    cr_assert_eq(imp->risk_products, 120);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_ISV);
    cr_assert_str_eq(imp->factors[0]->table, "isv_categories");
    cr_assert_str_eq(imp->factors[0]->reference_variant, "bedrijfskleding");
    calc_impact_free(&imp);
    s_fair("natuursteen", 10, 10);      /* a category the action plan adds (5d) */
    imp = tc_ok();
    cr_assert_eq(imp->fairtrade_products, 10);
    calc_impact_free(&imp);
}

Test(calc, fairtrade_errors_name_the_field)
{
    s_fair("bedrijfskleding", 10, 11);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.products_fair");
    s_fair("bananen", 10, 5);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.category");
    s_fair(NULL, 10, 5);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.category");
    s_fair("catering", 0, 0);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.products_total");
    s_fair("catering", CALC_MAX_PRODUCTS + 1, 0);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.products_total");
    s_fair("catering", 10, 5);
    FT.has_products_fair = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.fairtrade.products_fair");
}

/* ---- Pilot -------------------------------------------------------------------------- */

Test(calc, pilot_counts_once_under_its_theme)
{
    Mvoi__PilotStatus p = MVOI__PILOT_STATUS__INIT;
    p.has_theme = 1;
    p.theme = MVOI__THEME__THEME_CIRCULAIR;
    p.status = "lopend";
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    tc_m.pilot = &p;
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->pilots, 1);
    cr_assert_eq(imp->theme, MVOI__THEME__THEME_CIRCULAIR);
    cr_assert_eq(imp->n_factors, 0);
    calc_impact_free(&imp);
    p.status = "klaar";
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.pilot.status");
    p.status = NULL;
    p.theme = 9;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.pilot.theme");
    p.has_theme = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.pilot.theme");
}
