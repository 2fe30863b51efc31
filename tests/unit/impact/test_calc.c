/*  calc: what holds for every kind: limits, missing tables, the envelope checked first,
 *  memory, enum keys. The formulas per kind are in test_calc_<kind>.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "calc_fixture.h"
#include "calc_internal.h"

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
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, CALC_MAX_QUANTITY_MILLI);
    fx_expect_error(f, &tc_m, -EOVERFLOW, "measurement.energy.quantity_milli");
    factors_destroy(&f);
}

Test(calc, missing_table_is_a_failed_precondition)
{
    factors_t *empty = factors_new();
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 1000);
    impact_error_t err;
    Mvoi__Impact *imp = NULL;
    cr_assert_eq(calc_impact(empty, &tc_m, &imp, &err), -ENOENT);
    cr_assert_eq(err.code, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION);
    cr_assert_not_null(strstr(err.message, "co2"));
    factors_destroy(&empty);
}

/* ---- Envelope and memory ------------------------------------------------------------ */

Test(calc, validates_the_envelope_first)
{
    tc_energy(MVOI__CARRIER__CARRIER_HVO100, 1000);
    tc_m.id = "no spaces";
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.id");
    fx_envelope(&tc_m);
    fx_expect_error(tc_f, &tc_m, -EINVAL, "measurement.kind");
}

Test(calc, impact_survives_pack_and_unpack)
{
    /* Everything calc_impact allocates is a normal protobuf-c message: it packs, and
     * the unpacked copy is equal. */
    tc_energy(MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 1000 * 1000LL);
    Mvoi__Impact *imp = tc_ok();
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
    const factors_table_t *co2 = factors_select(tc_f, "co2", "2026");
    for (int c = 1; c <= MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE; c++)
        cr_assert_not_null(factors_find(co2, calc_carrier_key(c)), "carrier %d", c);
}

Test(calc, sources_of_two_rows_joined_once_and_cut_never_overflowed)
{
    char b[16];
    cr_assert_str_eq(calc_sources(b, sizeof b, "RVO", "RVO"), "RVO");
    cr_assert_str_eq(calc_sources(b, sizeof b, "CE Delft", "RVO"), "CE Delft; RVO");
    cr_assert_str_eq(calc_sources(b, sizeof b, "", "RVO"), "; RVO");
    /* 8 + 2 + 9 = 19 bytes into 16: the first 15 and the terminator, as snprintf cuts */
    memset(b, 'x', sizeof b);
    cr_assert_str_eq(calc_sources(b, sizeof b, "CE Delft", "RVO 2026a"), "CE Delft; RVO 2");
    char one[1] = { 'x' };
    cr_assert_str_eq(calc_sources(one, sizeof one, "a", "b"), "");
}

/* An Impact's references live in its block while they fit (calc_alloc.c): more of them
 * than the room, and a text longer than it, go to the heap; every string stays whole,
 * and a freed block serves the next Impact from the start (ASan in CI sees any overlap,
 * overrun or leak). */
Test(calc, references_beyond_the_block_stay_whole)
{
    for (int round = 0; round < 3; round++) {
        Mvoi__Impact *imp = calc_impact_alloc();
        cr_assert_not_null(imp);
        cr_assert_eq(imp->n_factors, 0, "a reused block starts empty");
        char want[9][2100];
        for (int i = 0; i < 9; i++) {
            size_t len = i == 2 ? 2000 : (size_t)(40 + 100 * i + round);   /* 2: too long */
            memset(want[i], 'a' + i, len);
            want[i][len] = 0;
            char *p;
            Mvoi__FactorRef *ref = calc_impact_ref(imp, len + 1, &p);
            cr_assert_not_null(ref);
            ref->source = memcpy(p, want[i], len + 1);
        }
        cr_assert_eq(imp->n_factors, 9);
        for (int i = 0; i < 9; i++)
            cr_assert_str_eq(imp->factors[i]->source, want[i], "reference %d", i);
        calc_impact_free(&imp);
        cr_assert_null(imp);
    }
}
