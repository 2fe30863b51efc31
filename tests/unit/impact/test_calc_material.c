/*  calc: material (R-strategies) with the worked examples of docs/domain.md#material, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

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
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    tc_m.material = &MAT;
}

Test(calc, material_by_r_strategy)
{
    /* R3 re-use of 2,500 kg of play equipment: the whole mass, 2,500,000 g. */
    s_material(MVOI__RSTRATEGY__R3_REUSE, 2500000);
    Mvoi__Impact *imp = tc_ok();
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
    imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 1234);
    calc_impact_free(&imp);
    s_material(MVOI__RSTRATEGY__R2_REDUCE, 777);
    imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 777);
    calc_impact_free(&imp);
    /* R8 recycle: the secondary content given, 300 kg. */
    s_material(MVOI__RSTRATEGY__R8_RECYCLE, 300000);
    imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 300000);
    calc_impact_free(&imp);
    /* R9 recover: zero. */
    s_material(MVOI__RSTRATEGY__R9_RECOVER, 300000);
    imp = tc_ok();
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
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 900000);
    calc_impact_free(&imp);
    /* 1,000 g shared by 3: 1,000 x 2/3 = 666.67 g -> 667 g. */
    MAT.mass_g = 1000;
    MAT.sharing_factor_milli = 3000;
    imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 667);
    calc_impact_free(&imp);
    /* Sharing factor 1: nothing shared, nothing avoided. */
    MAT.sharing_factor_milli = 1000;
    imp = tc_ok();
    cr_assert_eq(imp->primary_material_g, 0);
    calc_impact_free(&imp);
}

Test(calc, material_renewable_is_reported_separately)
{
    /* 800 kg biobased (R3) replacing finite material: 800,000 g renewable, 0 primary. */
    s_material(MVOI__RSTRATEGY__R3_REUSE, 800000);
    MAT.has_renewable = 1;
    MAT.renewable = 1;
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->renewable_g, 800000);
    cr_assert(imp->has_primary_material_g);
    cr_assert_eq(imp->primary_material_g, 0);
    calc_impact_free(&imp);
}

Test(calc, material_errors_name_the_field)
{
    s_material(MVOI__RSTRATEGY__R3_REUSE, 0);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = -10;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = CALC_MAX_MASS_G + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.mass_g");
    MAT.mass_g = 1000;
    MAT.has_strategy = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.strategy");
    MAT.has_strategy = 1;
    MAT.strategy = 11;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.strategy");
    MAT.strategy = MVOI__RSTRATEGY__R3_REUSE;
    MAT.has_sharing_factor_milli = 1;
    MAT.sharing_factor_milli = 2000;    /* only for R1 */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.sharing_factor_milli");
    MAT.strategy = MVOI__RSTRATEGY__R1_RETHINK;
    MAT.sharing_factor_milli = 999;     /* fewer than one user */
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.sharing_factor_milli");
    MAT.has_sharing_factor_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.material.sharing_factor_milli");
}
