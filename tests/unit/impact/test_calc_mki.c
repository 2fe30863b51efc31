/*  calc: MKI (environmental cost indicator) with the worked examples of docs/domain.md#mki, and every error path.
 *  Expected values are worked out by hand in the comments, independently of the code. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"

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
    tc_m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    tc_m.mki = &K;
}

Test(calc, mki_from_totals)
{
    /* Reference design EUR 10,000, offered EUR 8,500: EUR 1,500 = 150,000 cents. */
    s_mki();
    K.has_reference_mki_cents = 1;
    K.reference_mki_cents = 1000000;
    K.has_offered_mki_cents = 1;
    K.offered_mki_cents = 850000;
    Mvoi__Impact *imp = tc_ok();
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
    Mvoi__Impact *imp = tc_ok();
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
    Mvoi__Impact *imp = tc_ok();
    cr_assert_eq(imp->mki_avoided_cents, 1);
    calc_impact_free(&imp);
    /* Alone, MAETP 50 kg = 0.5 cent -> 1 (half away from zero); 49 kg -> 0. */
    K.n_reference_impacts = 1;
    KREF[0] = s_ki(0, "MAETP", 50000);
    imp = tc_ok();
    cr_assert_eq(imp->mki_avoided_cents, 1);
    calc_impact_free(&imp);
    KI[0].amount_milli = 49000;
    imp = tc_ok();
    cr_assert_eq(imp->mki_avoided_cents, 0);
    calc_impact_free(&imp);
}

Test(calc, mki_errors_name_the_field)
{
    s_mki();
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki");
    K.has_reference_mki_cents = 1;
    K.reference_mki_cents = 100;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.offered_mki_cents");
    K.has_offered_mki_cents = 1;
    K.offered_mki_cents = -1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.offered_mki_cents");
    K.offered_mki_cents = 50;
    KREF[0] = s_ki(0, "GWP", 1000);
    K.n_reference_impacts = 1;
    K.reference_impacts = KREF;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki");      /* both forms */
    s_mki();
    KREF[0] = s_ki(0, "GWP", 1000);
    K.n_reference_impacts = 1;
    K.reference_impacts = KREF;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.offered_impacts");
    KOFF[0] = s_ki(1, "XYZ", 1000);
    K.n_offered_impacts = 1;
    K.offered_impacts = KOFF;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.offered_impacts[0].category");
    KOFF[0] = s_ki(1, "GWP", 1000);
    KOFF[1] = s_ki(2, "GWP", 5);
    K.n_offered_impacts = 2;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.offered_impacts[1].category");
    K.n_offered_impacts = 1;
    KI[0].amount_milli = CALC_MAX_MKI_AMOUNT_MILLI + 1;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.reference_impacts[0].amount_milli");
    KI[0].has_amount_milli = 0;
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.mki.reference_impacts[0].amount_milli");
}
