/*  calc: social return (SROI) with the worked examples of docs/domain.md#sroi, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

/* ---- SROI --------------------------------------------------------------------------- */

static Mvoi__SocialReturn S;

static void
s_social(void)
{
    mvoi__social_return__init(&S);
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    tc_m.social = &S;
}

Test(calc, sroi_worked_examples)
{
    /* docs/domain.md#sroi: 6 FTE-months Participatiewet at EUR 40,000 per FTE-year
     * = 40,000 x 6/12 = EUR 20,000 = 2,000,000 cents. */
    s_social();
    S.target_group = "participatiewet";
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 6000;
    Mvoi__Impact *imp = tc_ok();
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
    imp = tc_ok();
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
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->sroi_realised_cents, 5234567);
    cr_assert_eq(imp->n_factors, 3);
    cr_assert_str_eq(imp->factors[1]->reference_variant, "bonus_50plus");
    calc_impact_free(&imp);
    /* Invoices alone need no catalogue row: EUR 500 = 50,000 cents. */
    s_social();
    S.has_social_enterprise_cents = 1;
    S.social_enterprise_cents = 50000;
    imp = tc_ok();
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
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->sroi_realised_cents, 167);
    calc_impact_free(&imp);
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 1;
    imp = tc_ok();
    cr_assert_eq(imp->sroi_realised_cents, 177);
    calc_impact_free(&imp);
}

Test(calc, sroi_errors_name_the_field)
{
    s_social();
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social");
    S.has_fte_months_milli = 1;
    S.fte_months_milli = 6000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.target_group");
    S.target_group = "onbekend";
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.target_group");
    S.target_group = "bonus_50plus";    /* a row, but not a target group */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.target_group");
    S.target_group = "wia";
    S.fte_months_milli = -1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.fte_months_milli");
    S.fte_months_milli = CALC_MAX_FTE_MONTHS_MILLI + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.fte_months_milli");
    S.has_fte_months_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.fte_months_milli");
    S.target_group = NULL;
    S.has_bonus_50plus = 1;
    S.bonus_50plus = 1;
    S.has_social_project_hours_milli = 1;
    S.social_project_hours_milli = 1000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.bonus_50plus");
    S.has_bonus_50plus = 0;
    S.social_project_hours_milli = -1000;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.social_project_hours_milli");
    S.social_project_hours_milli = 1000;
    S.has_social_enterprise_cents = 1;
    S.social_enterprise_cents = -1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.social.social_enterprise_cents");
}
