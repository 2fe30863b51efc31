/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar"):
 *  golden figures. Every expected figure is the test's own arithmetic from docs/domain.md#formulas, written
 *  out next to the assertion, never a value read back from the code under test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"

Test(impact_it, golden_worked_examples_of_domain_5)
{
    fx_t f;
    fx_up(&f, NULL);
    Mvoi__Envelope *k1, *k2, *k3;
    meas_t a, b, c;

    /* 10,000 l HVO100 instead of diesel B7: 10,000 x (3.251 - 0.468) = 27,830 kg. */
    m_base(&a, "gold-hvo", "T-KLIMA", "2026");
    m_energy(&a, MVOI__CARRIER__CARRIER_HVO100, MVOI__CARRIER__CARRIER_DIESEL_B7, 10000000);
    Mvoi__Impact *i1 = fx_expect_ok(&f, &a, &k1);
    cr_assert_eq(i1->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(i1->factors[0]->edition, "2026");
    cr_assert_str_eq(i1->factors[0]->reference_variant, "diesel_b7");

    /* 150 kW x 0.4 x 1,000 h = 60,000 kWh; (2.0 - 0.4) g/kWh x 60,000 = 96 kg NOx. */
    m_base(&b, "gold-nox", "T-NOX", "2026");
    m_machine(&b, 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              1000000, 400);
    Mvoi__Impact *i2 = fx_expect_ok(&f, &b, &k2);
    cr_assert_eq(i2->nox_avoided_mg, 96000000LL);

    /* SROI: EUR 1,000,000 x 5 % = EUR 50,000 obligation; one FTE-year Participatiewet
     * (EUR 40,000) + the 50+ bonus (EUR 10,000) = EUR 50,000: covered exactly. */
    m_base(&c, "gold-sroi", "T-SROI", "2026");
    c.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    c.m.social = &c.s;
    c.s.target_group = "participatiewet";
    c.s.has_fte_months_milli = 1;
    c.s.fte_months_milli = 12000;
    c.s.has_bonus_50plus = c.s.bonus_50plus = 1;
    Mvoi__Impact *i3 = fx_expect_ok(&f, &c, &k3);
    cr_assert_eq(i3->sroi_realised_cents, 5000000LL);
    Mvoi__Envelope *g = fx_get(&f, "gold-sroi");
    cr_assert_eq(g->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    cr_assert_eq(g->measurement_record->sroi_obligation_cents, 100000000LL * 500 / 10000);
    cr_assert_eq(g->measurement_record->sroi_obligation_cents, 5000000LL);
    cr_assert_str_eq(g->measurement_record->purchasing_group, "sociaal");
    mvoi__envelope__free_unpacked(g, NULL);

    /* show spells it out with its source. */
    g = fx_get(&f, "gold-hvo");
    const char *ex = g->measurement_record->explanation;
    cr_assert(ex && strstr(ex, "10.000 l × (3,251 − 0,468) kg CO2-eq/l = 27.830 kg CO2-eq"),
              "explanation: %s", ex ? ex : "(none)");
    cr_assert(strstr(ex, "CO2emissiefactoren.nl"), "explanation: %s", ex);
    mvoi__envelope__free_unpacked(g, NULL);
    mvoi__envelope__free_unpacked(k1, NULL);
    mvoi__envelope__free_unpacked(k2, NULL);
    mvoi__envelope__free_unpacked(k3, NULL);
    fx_fini(&f);
}

/* One more per kind, each figure worked out by hand. */
/* Energy, machine and road, by hand. */
static void s_golden_energy_machine_road(fx_t *f)
{
    Mvoi__Envelope *k;
    meas_t x;
    /* energy, grid electricity 2024 instead of grey: 10,000 kWh x (0.483 - 0.328) = 1,550 kg */
    m_base(&x, "k-grid", "T-KLIMA", "2024");
    m_energy(&x, MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, MVOI__CARRIER__CARRIER_ELECTRICITY_GREY,
             10000000);
    cr_assert_eq(fx_expect_ok(f, &x, &k)->co2_avoided_g, 1550000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* energy, green gas for natural gas (default reference): 2,000 Nm3 x (2.134 - 0.305)
     * = 3,658 kg */
    m_base(&x, "k-gas", "T-KLIMA", "2025");
    m_energy(&x, MVOI__CARRIER__CARRIER_GREEN_GAS, 0, 2000000);
    cr_assert_eq(fx_expect_ok(f, &x, &k)->co2_avoided_g, 3658000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* machine, metered: 80 kW band 56-129: Stage V 0.40 vs IIIB 3.3: 5,000 kWh x 2.9 g
     * = 14.5 kg */
    m_base(&x, "k-metered", "T-NOX", "2026");
    m_machine(&x, 80, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 500);
    x.mu.has_hours_milli = 0;
    x.mu.has_load_factor_permille = 0;
    x.mu.has_metered_kwh_milli = 1;
    x.mu.metered_kwh_milli = 5000000;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->nox_avoided_mg, 14500000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* road: diesel car Euro 6 (0.080 g/km) where Euro 5 (0.180) was allowed, 10,000 km:
     * 10,000 x 0.1 g = 1 kg */
    m_base(&x, "k-road", "T-NOX", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
    x.m.road = &x.r;
    x.r.vehicle_class = "car_diesel";
    x.r.euro_class_actual = "euro6";
    x.r.euro_class_required = "euro5";
    x.r.has_km_milli = 1;
    x.r.km_milli = 10000000;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->nox_avoided_mg, 1000000LL);
    mvoi__envelope__free_unpacked(k, NULL);
}

/* Material and social return, by hand. */
static void s_golden_material_social(fx_t *f)
{
    Mvoi__Envelope *k;
    meas_t x;
    /* material: R1 rethink, 1,000 kg shared by 4: 1,000 x (1 - 1/4) = 750 kg */
    m_base(&x, "k-share", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    x.m.material = &x.mat;
    x.mat.has_mass_g = 1;
    x.mat.mass_g = 1000000;
    x.mat.has_strategy = 1;
    x.mat.strategy = MVOI__RSTRATEGY__R1_RETHINK;
    x.mat.has_sharing_factor_milli = 1;
    x.mat.sharing_factor_milli = 4000;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->primary_material_g, 750000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* material: R3 re-use of 1,200 kg counts whole */
    m_base(&x, "k-reuse", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    x.m.material = &x.mat;
    x.mat.has_mass_g = 1;
    x.mat.mass_g = 1200000;
    x.mat.has_strategy = 1;
    x.mat.strategy = MVOI__RSTRATEGY__R3_REUSE;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->primary_material_g, 1200000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* social: 200 h at social projects x EUR 100 + EUR 1,234.56 invoices = EUR 21,234.56 */
    m_base(&x, "k-hours", "T-SROI", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    x.m.social = &x.s;
    x.s.has_social_project_hours_milli = 1;
    x.s.social_project_hours_milli = 200000;
    x.s.has_social_enterprise_cents = 1;
    x.s.social_enterprise_cents = 123456;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->sroi_realised_cents, 2123456LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* social: 6 FTE-months WW (EUR 20,000 per FTE-year) = EUR 10,000 */
    m_base(&x, "k-ww", "T-SROI", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    x.m.social = &x.s;
    x.s.target_group = "ww";
    x.s.has_fte_months_milli = 1;
    x.s.fte_months_milli = 6000;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->sroi_realised_cents, 1000000LL);
    mvoi__envelope__free_unpacked(k, NULL);
}

/* Fair trade, MKI and pilot, by hand. */
static void s_golden_trade_mki_pilot(fx_t *f)
{
    Mvoi__Envelope *k;
    meas_t x;
    /* fair trade: 3 of 10 coffee products */
    m_base(&x, "k-koffie", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_FAIRTRADE;
    x.m.fairtrade = &x.ft;
    x.ft.category = "koffie";
    x.ft.has_products_total = x.ft.has_products_fair = 1;
    x.ft.products_total = 10;
    x.ft.products_fair = 3;
    Mvoi__Impact *ii = fx_expect_ok(f, &x, &k);
    cr_assert_eq(ii->fairtrade_products, 3);
    cr_assert_eq(ii->risk_products, 10);
    mvoi__envelope__free_unpacked(k, NULL);

    /* MKI by LCA impacts: GWP (1,000 - 400) kg x EUR 0.05 = EUR 30 */
    m_base(&x, "k-mki", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    x.m.mki = &x.k;
    for (int i = 0; i < 2; i++) {
        mvoi__mki_impact__init(&x.ki[i]);
        x.ki[i].category = "GWP";
        x.ki[i].has_amount_milli = 1;
        x.ki[i].amount_milli = i == 0 ? 1000000 : 400000;
        x.kip[i] = &x.ki[i];
    }
    x.k.n_reference_impacts = x.k.n_offered_impacts = 1;
    x.k.reference_impacts = &x.kip[0];
    x.k.offered_impacts = &x.kip[1];
    cr_assert_eq(fx_expect_ok(f, &x, &k)->mki_avoided_cents, 3000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* MKI by totals: EUR 12,000 - EUR 9,500 = EUR 2,500 */
    m_base(&x, "k-mki2", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    x.m.mki = &x.k;
    x.k.has_reference_mki_cents = x.k.has_offered_mki_cents = 1;
    x.k.reference_mki_cents = 1200000;
    x.k.offered_mki_cents = 950000;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->mki_avoided_cents, 250000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* pilot: counts 1 */
    m_base(&x, "k-pilot", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    x.m.pilot = &x.p;
    x.p.has_theme = 1;
    x.p.theme = MVOI__THEME__THEME_CIRCULAIR;
    x.p.status = "lopend";
    cr_assert_eq(fx_expect_ok(f, &x, &k)->pilots, 1);
    mvoi__envelope__free_unpacked(k, NULL);
}

Test(impact_it, golden_one_more_per_kind)
{
    fx_t f;
    fx_up(&f, NULL);
    s_golden_energy_machine_road(&f);
    s_golden_material_social(&f);
    s_golden_trade_mki_pilot(&f);
    fx_fini(&f);
}

/* An operator drops a new edition into factors_dir: measurements of its years use it, older
 * ones keep theirs, and a pinned edition wins over the year. */
Test(impact_it, golden_per_edition_added_by_dropping_a_file)
{
    char fdir[256];
    h_tmpdir(fdir, sizeof fdir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/services/impact-calculator/data/*.csv %s/", MVOI_SOURCE_DIR,
             fdir);
    cr_assert_eq(system(cmd), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/co2-2027test.csv", fdir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("# table: co2\n# edition: 2027test\n# valid_from: 2027\n# source: test edition\n"
          "# unit: kg CO2-eq per row unit\n# decimals: 3\n"
          "key,value,unit,source,unverified,reference\n"
          "diesel_b7,3.300,l,test 2027,no,diesel_b7\n"
          "hvo100,0.500,l,test 2027,no,diesel_b7\n", fp);
    fclose(fp);
    fx_t f;
    fx_up(&f, fdir);
    Mvoi__Envelope *k;
    meas_t x;
    /* 2027: 10,000 l x (3.300 - 0.500) = 28,000 kg with the new edition */
    m_base(&x, "ed-2027", "T-KLIMA", "2027");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    Mvoi__Impact *i = fx_expect_ok(&f, &x, &k);
    cr_assert_eq(i->co2_avoided_g, 28000000LL);
    cr_assert_str_eq(i->factors[0]->edition, "2027test");
    mvoi__envelope__free_unpacked(k, NULL);
    /* 2027 pinned to 2026: 27,830 kg */
    m_base(&x, "ed-pinned", "T-KLIMA", "2027");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    x.m.edition = "2026";
    i = fx_expect_ok(&f, &x, &k);
    cr_assert_eq(i->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(i->factors[0]->edition, "2026");
    mvoi__envelope__free_unpacked(k, NULL);
    /* 2026 still with the 2026 list */
    m_base(&x, "ed-2026", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    cr_assert_eq(fx_expect_ok(&f, &x, &k)->co2_avoided_g, 27830000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* unknown edition: an error naming the field */
    m_base(&x, "ed-unknown", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    x.m.edition = "1999";
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".edition");
    fx_expect_absent(&f, "ed-unknown");
    fx_fini(&f);
    h_tmpdir_remove(fdir);
}

Test(impact_it, bad_factors_dir_exits_78_naming_it)
{
    fx_t f;
    fx_init(&f, "/nonexistent/factors");
    cr_assert_eq(h_spawn(&f.imp, f.imp_bin, "impact", f.dir, f.envp_i), 0);
    int st = 0;
    cr_assert_eq(h_wait(&f.imp, 10000, &st), 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 78, "status %d", st);
    char log[600], buf[4096] = "";
    snprintf(log, sizeof log, "%s/impact.log", f.dir);
    FILE *fp = fopen(log, "r");
    cr_assert_not_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    cr_assert(strstr(buf, "/nonexistent/factors"), "log: %s", buf);
    fx_fini(&f);
}
