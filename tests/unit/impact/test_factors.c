/*  factors: loading versioned tables, edition selection, strict parsing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "impact_fixture.h"

#define HEADER(table, edition, from) \
    "# table: " table "\n# edition: " edition "\n# valid_from: " from "\n" \
    "# source: test\n# unit: kg CO2-eq per row unit\n# decimals: 3\n"

Test(factors, loads_every_shipped_table)
{
    factors_t *f = fx_factors();
    const char *tables[] = { "co2", "co2_grid_mix", "nox_stage", "nox_road", "r_ladder",
                             "sroi_catalogue", "mki_shadow_prices", "isv_categories" };
    cr_assert_eq(factors_count(f), 8);
    for (size_t i = 0; i < 8; i++) {
        const factors_table_t *t = factors_select_year(f, tables[i], 2026);
        cr_assert_not_null(t, "table %s", tables[i]);
        cr_assert_gt(t->n_rows, 0);
        for (size_t r = 0; r < t->n_rows; r++)
            cr_assert_gt(strlen(t->rows[r].source), 0, "every row has a source");
    }
    factors_destroy(&f);
    cr_assert_null(f, "destroy NULLs the pointer");
}

Test(factors, stores_fixed_point_values)
{
    factors_t *f = fx_factors();
    const factors_table_t *co2 = factors_select(f, "co2", "2026");
    cr_assert_not_null(co2);
    cr_assert_eq(factors_find(co2, "diesel_b7")->value, 3251);     /* 3.251 kg/l = 3251 g/l */
    cr_assert_eq(factors_find(co2, "hvo100")->value, 468);
    cr_assert_eq(factors_find(co2, "hydrogen_grey")->value, 12516);
    cr_assert_str_eq(factors_find(co2, "hvo100")->reference, "diesel_b7");
    cr_assert_str_eq(factors_find(co2, "natural_gas")->unit, "Nm3");

    const factors_table_t *nox = factors_select_year(f, "nox_stage", 2026);
    cr_assert_eq(factors_find_in_range(nox, "stage_v", 150)->value, 400);   /* 0.40 g/kWh */
    cr_assert_eq(factors_find_in_range(nox, "stage_v", 560)->value, 400, "560 kW inclusive");
    cr_assert_eq(factors_find_in_range(nox, "stage_v", 561)->value, 3500);
    cr_assert_eq(factors_find_in_range(nox, "stage_iiib", 129)->value, 3300);
    cr_assert_str_eq(factors_find_in_range(nox, "stage_iiia", 200)->kind, "hc_nox");
    cr_assert_null(factors_find_in_range(nox, "stage_iv", 30), "no Stage IV below 56 kW");
    /* Stage I and II are the only unverified rows (1 + 3 bands). */
    cr_assert_eq(nox->unverified_rows, 4);
    cr_assert(factors_find_in_range(nox, "stage_ii", 100)->unverified);
    cr_assert_not(factors_find_in_range(nox, "stage_v", 100)->unverified);

    const factors_table_t *mki = factors_select(f, "mki_shadow_prices", "set1");
    cr_assert_eq(factors_find(mki, "MAETP")->value, 100);     /* EUR 0.0001 = 100 micro-euro */
    cr_assert_eq(mki->unverified_rows, mki->n_rows, "set 1 is unverified");

    const factors_table_t *sroi = factors_select_year(f, "sroi_catalogue", 2026);
    cr_assert_eq(factors_find(sroi, "participatiewet")->value, 4000000);   /* cents */
    const factors_table_t *grid = factors_select_year(f, "co2_grid_mix", 2026);
    cr_assert_eq(factors_find_in_range(grid, "electricity_grid", 2024)->value, 328);
    factors_destroy(&f);
}

Test(factors, selects_latest_edition_not_after_year)
{
    char dir[64];
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "co2-2024.csv", HEADER("co2", "2024", "2024")
             "key,value,unit,source,unverified\ndiesel_b7,3.262,l,test 2024,no\n");
    fx_write(dir, "co2-2026.csv", HEADER("co2", "2026", "2026")
             "key,value,unit,source,unverified\ndiesel_b7,3.251,l,test 2026,no\n");
    factors_t *f = factors_new();
    char err[256] = "";
    cr_assert_eq(factors_load_dir(f, dir, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(factors_select_year(f, "co2", 2024)->edition, "2024");
    cr_assert_str_eq(factors_select_year(f, "co2", 2025)->edition, "2024", "2026 not yet valid");
    cr_assert_str_eq(factors_select_year(f, "co2", 2026)->edition, "2026");
    cr_assert_str_eq(factors_select_year(f, "co2", 2031)->edition, "2026");
    cr_assert_str_eq(factors_select_year(f, "co2", 2019)->edition, "2024",
                     "before every edition: the earliest one");
    cr_assert_null(factors_select_year(f, "nox_stage", 2026));
    cr_assert_str_eq(factors_select(f, "co2", "2024")->source, "test");
    cr_assert_null(factors_select(f, "co2", "2025"));
    factors_destroy(&f);
}

Test(factors, picks_up_an_added_edition_file)
{
    char dir[64];
    fx_tmpdir(dir, sizeof dir);
    /* Start from the shipped co2 table, then an operator drops in a 2027 list. */
    fx_copy(MVOI_IMPACT_DATA_DIR, "co2-2026.csv", dir);
    fx_copy(MVOI_IMPACT_DATA_DIR, "co2_grid_mix-2026.csv", dir);
    fx_write(dir, "co2-2027.csv", HEADER("co2", "2027", "2027")
             "key,value,unit,source,unverified,reference\n"
             "diesel_b7,3.200,l,test 2027,no,diesel_b7\n"
             "hvo100,0.400,l,test 2027,no,diesel_b7\n");
    factors_t *f = factors_new();
    char err[256] = "";
    cr_assert_eq(factors_load_dir(f, dir, err, sizeof err), 0, "%s", err);
    cr_assert_eq(factors_count(f), 3);

    /* A 2027 measurement is computed with the new edition: 1,000 l HVO100,
     * 1000 x (3.200 - 0.400) kg = 2,800 kg = 2,800,000 g. */
    Mvoi__Measurement m;
    Mvoi__EnergyUse e = MVOI__ENERGY_USE__INIT;
    fx_envelope(&m);
    m.period_start = "2027-02-01";
    m.period_end = "2027-02-28";
    e.has_carrier = 1;
    e.carrier = MVOI__CARRIER__CARRIER_HVO100;
    e.has_quantity_milli = 1;
    e.quantity_milli = 1000 * 1000;
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &e;
    Mvoi__Impact *imp = NULL;
    impact_error_t ie;
    cr_assert_eq(calc_impact(f, &m, &imp, &ie), 0, "%s", ie.message);
    cr_assert_eq(imp->co2_avoided_g, 2800000);
    cr_assert_str_eq(imp->factors[0]->edition, "2027");
    calc_impact_free(&imp);

    /* The same measurement in 2026 still uses the 2026 list: 1000 x 2.783 kg. */
    m.period_start = "2026-02-01";
    m.period_end = "2026-02-28";
    cr_assert_eq(calc_impact(f, &m, &imp, &ie), 0, "%s", ie.message);
    cr_assert_eq(imp->co2_avoided_g, 2783000);
    cr_assert_str_eq(imp->factors[0]->edition, "2026");
    calc_impact_free(&imp);
    factors_destroy(&f);
}

/* Each malformed file must fail with "path:line: reason" naming the right line. */
static void
s_expect_bad(const char *body, int line, const char *reason)
{
    char dir[64], path[128], err[512] = "";
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "bad.csv", body);
    snprintf(path, sizeof path, "%s/bad.csv", dir);
    factors_t *f = factors_new();
    int rc = factors_load_file(f, path, err, sizeof err);
    cr_assert_eq(rc, -EINVAL, "rc %d for: %s", rc, body);
    char prefix[160];
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", path);
    cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "'%s' should start with '%s'", err,
                 prefix);
    cr_assert_not_null(strstr(err, reason), "'%s' should mention '%s'", err, reason);
    cr_assert_eq(factors_count(f), 0, "nothing loaded");
    factors_destroy(&f);
}

#define COLS "key,value,unit,source,unverified\n"

Test(factors, rejects_malformed_rows_with_file_and_line)
{
    /* Header is lines 1-6, columns line 7, rows from line 8. */
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel_b7,3.251,l,src,no\nhvo100,0.4685,l,src,no\n",
                 9, "more than 3 decimals");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel_b7,3,251,l,src,no\n", 8, "6 fields");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel_b7,abc,l,src,no\n", 8,
                 "not a decimal number");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel_b7,1,l,src,maybe\n", 8,
                 "unverified 'maybe'");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel_b7,1,l,,no\n", 8, "source");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "diesel b7,1,l,src,no\n", 8, "key");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "a,1,l,src,no\n\n# c\na,2,l,src,no\n", 11,
                 "already on line 8");
    s_expect_bad(HEADER("co2", "x", "2026") COLS "a,1,l,\"src, unterminated,no\n", 8,
                 "bad quoting");
    s_expect_bad(HEADER("co2", "x", "2026") "key,value,unit,source,unverified,min,max\n"
                 "s,1,kWh,src,no,56,560\ns,2,kWh,src,no,100,200\n", 9, "overlaps line 8");
    s_expect_bad(HEADER("co2", "x", "2026") "key,value,unit,source,unverified,min,max\n"
                 "s,1,kWh,src,no,560,56\n", 8, "min 560 > max 56");
    s_expect_bad(HEADER("co2", "x", "2026") "key,value,colour,source,unverified\n", 7,
                 "unknown column 'colour'");
    s_expect_bad(HEADER("co2", "x", "2026") "key,value,unit,source\n", 7,
                 "missing column 'unverified'");
    s_expect_bad("# table: co2\n# edition: x\n# source: s\n# unit: u\n# decimals: 3\n" COLS, 6,
                 "valid_from");
    s_expect_bad("# table: co2\n# edition: x\n# valid_from: 20x6\n", 3, "not an integer");
    s_expect_bad(HEADER("co2", "x", "2026") COLS, 0, "no rows");
    s_expect_bad(HEADER("co2", "x", "2026"), 0, "no column line");
}

Test(factors, quoted_fields_may_hold_commas)
{
    char dir[64], path[128], err[256] = "";
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "q.csv", HEADER("q", "1", "2026") COLS
             "a,1.5,l,\"Source, with comma and \"\"quote\"\"\",yes\r\n");
    snprintf(path, sizeof path, "%s/q.csv", dir);
    factors_t *f = factors_new();
    cr_assert_eq(factors_load_file(f, path, err, sizeof err), 0, "%s", err);
    const factors_row_t *r = factors_find(factors_select(f, "q", "1"), "a");
    cr_assert_str_eq(r->source, "Source, with comma and \"quote\"");
    cr_assert_eq(r->value, 1500);
    cr_assert(r->unverified);
    factors_destroy(&f);
}

Test(factors, a_bad_file_loads_nothing_from_the_directory)
{
    char dir[64], err[512] = "";
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "a-good.csv", HEADER("a", "1", "2026") COLS "k,1,l,src,no\n");
    fx_write(dir, "b-bad.csv", HEADER("b", "1", "2026") COLS "k,1,l,src\n");
    fx_write(dir, "notes.txt", "not a table");
    factors_t *f = factors_new();
    cr_assert_eq(factors_load_dir(f, dir, err, sizeof err), -EINVAL);
    cr_assert_not_null(strstr(err, "b-bad.csv:8: "), "%s", err);
    cr_assert_eq(factors_count(f), 0);
    factors_destroy(&f);
}

Test(factors, the_same_edition_twice_is_an_error)
{
    char dir[64], err[512] = "";
    fx_tmpdir(dir, sizeof dir);
    fx_write(dir, "co2-2026.csv", HEADER("co2", "2026", "2026") COLS "k,1,l,src,no\n");
    fx_write(dir, "co2-copy.csv", HEADER("co2", "2026", "2026") COLS "k,2,l,src,no\n");
    factors_t *f = factors_new();
    cr_assert_eq(factors_load_dir(f, dir, err, sizeof err), -EEXIST);
    cr_assert_not_null(strstr(err, "edition 2026 already loaded"), "%s", err);
    cr_assert_eq(factors_count(f), 0);
    /* Loading the shipped directory twice into one set is the same mistake. */
    cr_assert_eq(factors_load_dir(f, MVOI_IMPACT_DATA_DIR, err, sizeof err), 0, "%s", err);
    cr_assert_eq(factors_load_dir(f, MVOI_IMPACT_DATA_DIR, err, sizeof err), -EEXIST);
    cr_assert_eq(factors_count(f), 8);
    factors_destroy(&f);
}

Test(factors, missing_directory_is_reported)
{
    factors_t *f = factors_new();
    char err[256] = "";
    cr_assert_eq(factors_load_dir(f, "/nonexistent/mvoi", err, sizeof err), -ENOENT);
    cr_assert_not_null(strstr(err, "/nonexistent/mvoi"));
    factors_destroy(&f);
}

Test(factors, overlong_line_is_an_error_not_a_cut)
{
    char body[2048];
    int n = snprintf(body, sizeof body, HEADER("co2", "x", "2026") COLS "k,1,l,");
    memset(body + n, 's', 1100);
    strcpy(body + n + 1100, ",no\n");
    s_expect_bad(body, 8, "longer than 1024");
}
