/*  explain: number formatting per language and the spelled-out calculation in Dutch (the
 *  default) and English; edition pinning. The text was English words around figures
 *  grouped with a space ("6 610 kg bio_cng instead of cng ... = 14 720,47 kg"), beside
 *  mvoictl's Dutch "14.720,470 kg": two separators and two languages in one screen. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "explain.h"
#include "impact_fixture.h"

Test(explain, fixed_formatting_is_exact_and_dutch)
{
    char b[48];
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 27830000, 3), "27.830");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 3251, 3), "3,251");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 400, 3), "0,4");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, -123456789, 2), "-1.234.567,89");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 0, 2), "0");
    cr_assert_str_eq(impact_fmt_fixed(b, sizeof b, 999, 0), "999");
    cr_assert_str_eq(impact_fmt_fixed_lang(b, sizeof b, 14720470, 3, TEXT_NL), "14.720,47");
}

Test(explain, fixed_formatting_in_english)
{
    char b[48];
    cr_assert_str_eq(impact_fmt_fixed_lang(b, sizeof b, 27830000, 3, TEXT_EN), "27,830");
    cr_assert_str_eq(impact_fmt_fixed_lang(b, sizeof b, 3251, 3, TEXT_EN), "3.251");
    cr_assert_str_eq(impact_fmt_fixed_lang(b, sizeof b, -123456789, 2, TEXT_EN),
                     "-1,234,567.89");
    cr_assert_str_eq(impact_fmt_fixed_lang(b, sizeof b, 14720470, 3, TEXT_EN), "14,720.47");
}

/* 6 610 kg bio-CNG instead of CNG, with the 2026 table's factors cng 2,831 and bio_cng
 * 0,604 kg CO2-eq/kg: 6 610 × (2,831 − 0,604) = 6 610 × 2,227 = 13 220 + 1 500,47
 * = 14 720,47 kg (6 610 × 2 = 13 220; 6 610 × 0,227 = 1 500,47). */
static void s_bio_cng(text_lang_t lang, const char *want)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__EnergyUse e = MVOI__ENERGY_USE__INIT;
    e.has_carrier = e.has_reference_carrier = e.has_quantity_milli = 1;
    e.carrier = MVOI__CARRIER__CARRIER_BIO_CNG;
    e.reference_carrier = MVOI__CARRIER__CARRIER_CNG;
    e.quantity_milli = 6610000;
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &e;
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    cr_assert_eq(calc_impact(f, &m, &imp, &err), 0, "%s", err.message);
    cr_assert_eq(imp->co2_avoided_g, 14720470);
    char buf[1024];
    cr_assert_eq(impact_explain(f, &m, imp, lang, buf, sizeof buf), (int)strlen(want));
    cr_assert_str_eq(buf, want);
    calc_impact_free(&imp);
    factors_destroy(&f);
}

Test(explain, bio_cng_in_dutch_throughout)
{
    s_bio_cng(TEXT_NL, "6.610 kg bio_cng in plaats van cng: 6.610 kg × (2,831 − 0,604) kg "
                       "CO2-eq/kg = 14.720,47 kg CO2-eq — CO2emissiefactoren.nl 2026 (tabel "
                       "co2, editie 2026: cng)");
}

Test(explain, bio_cng_in_english_throughout)
{
    s_bio_cng(TEXT_EN, "6,610 kg bio_cng instead of cng: 6,610 kg × (2.831 − 0.604) kg "
                       "CO2-eq/kg = 14,720.47 kg CO2-eq — CO2emissiefactoren.nl 2026 (table "
                       "co2, edition 2026: cng)");
}

Test(explain, a_language_not_known_is_refused)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__Impact imp = MVOI__IMPACT__INIT;
    char buf[64];
    cr_assert_eq(impact_explain(f, &m, &imp, (text_lang_t)7, buf, sizeof buf), -EINVAL);
    factors_destroy(&f);
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
    cr_assert_gt(impact_explain(f, &m, imp, TEXT_NL, buf, sizeof buf), 0);
    cr_assert(strstr(buf, "10.000 l × (3,251 − 0,468) kg CO2-eq/l = 27.830 kg CO2-eq"), "%s", buf);
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

/* Money keeps its cents, as mvoictl prints it beside the text ("MKI € 97.258,00"): the
 * text said "€ 298.715 − ... = € 97.258". */
Test(explain, money_keeps_its_cents)
{
    char b[48];
    cr_assert_str_eq(impact_fmt_cents(b, sizeof b, 3004900, TEXT_NL), "30.049,00");
    cr_assert_str_eq(impact_fmt_cents(b, sizeof b, 3004900, TEXT_EN), "30,049.00");
    cr_assert_str_eq(impact_fmt_cents(b, sizeof b, 5, TEXT_NL), "0,05");
    cr_assert_str_eq(impact_fmt_cents(b, sizeof b, 0, TEXT_NL), "0,00");
    cr_assert_str_eq(impact_fmt_cents(b, sizeof b, -123450, TEXT_NL), "-1.234,50");
}

/* MKI of the reference design € 298.715,00, of the offered € 201.457,00: avoided
 * 298 715 − 201 457 = € 97.258,00. */
static void s_mki(text_lang_t lang, const char *want)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__Mki k = MVOI__MKI__INIT;
    k.has_reference_mki_cents = k.has_offered_mki_cents = 1;
    k.reference_mki_cents = 29871500;
    k.offered_mki_cents = 20145700;
    m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    m.mki = &k;
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    cr_assert_eq(calc_impact(f, &m, &imp, &err), 0, "%s", err.message);
    cr_assert_eq(imp->mki_avoided_cents, 9725800);
    char buf[512];
    cr_assert_gt(impact_explain(f, &m, imp, lang, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, want);
    calc_impact_free(&imp);
    factors_destroy(&f);
}

Test(explain, mki_in_both_languages)
{
    s_mki(TEXT_NL, "MKI referentieontwerp € 298.715,00 − aangeboden ontwerp € 201.457,00 = "
                   "€ 97.258,00 vermeden");
    s_mki(TEXT_EN, "MKI reference design € 298,715.00 − offered design € 201,457.00 = "
                   "€ 97,258.00 avoided");
}

/* 6 FTE-months of a WW target group (€ 20.000 per FTE-year) with the 50+ bonus (€ 10.000
 * per FTE-year): 6 × 30.000 / 12 = € 15.000; 10 h of social projects × € 100 = € 1.000;
 * € 1.000 invoiced by social enterprises: € 15.000 + € 1.000 + € 1.000 = € 17.000,00. */
static void s_social(text_lang_t lang, const char *want)
{
    factors_t *f = fx_factors();
    Mvoi__Measurement m;
    fx_envelope(&m);
    Mvoi__SocialReturn so = MVOI__SOCIAL_RETURN__INIT;
    so.target_group = "ww";
    so.has_fte_months_milli = so.has_social_project_hours_milli = 1;
    so.has_social_enterprise_cents = so.has_bonus_50plus = 1;
    so.fte_months_milli = 6000;
    so.social_project_hours_milli = 10000;
    so.social_enterprise_cents = 100000;
    so.bonus_50plus = 1;
    m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    m.social = &so;
    Mvoi__Impact *imp = NULL;
    impact_error_t err;
    cr_assert_eq(calc_impact(f, &m, &imp, &err), 0, "%s", err.message);
    cr_assert_eq(imp->sroi_realised_cents, 1700000);
    char buf[1024];
    cr_assert_gt(impact_explain(f, &m, imp, lang, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, want);
    calc_impact_free(&imp);
    factors_destroy(&f);
}

Test(explain, social_return_in_both_languages)
{
    s_social(TEXT_NL, "6 fte-maanden × (€ 20.000,00 ww + € 10.000,00 bonus 50+) per fte-jaar "
                      "/ 12 + 10 uur sociale projecten × € 100,00 + € 1.000,00 gefactureerd "
                      "door sociale ondernemingen = € 17.000,00 social return — SROI catalogue "
                      "Utrecht (example) (tabel sroi_catalogue, editie utrecht: ww)");
    s_social(TEXT_EN, "6 FTE-months × (€ 20,000.00 ww + € 10,000.00 bonus 50+) per FTE-year "
                      "/ 12 + 10 h social projects × € 100.00 + € 1,000.00 invoiced by social "
                      "enterprises = € 17,000.00 social return — SROI catalogue Utrecht "
                      "(example) (table sroi_catalogue, edition utrecht: ww)");
}
