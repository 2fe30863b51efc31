/*  The national benchmark (common/bm): normalisations, type-7 quartiles, mid-rank
 *  percentiles and quartile places over a class of 12 gemeenten, live moves, class
 *  isolation, the k threshold, and nothing of another buyer in any rendering.
 *
 *  The scenario (all figures worked out by hand below, not by the code under test):
 *  g01..g12, gemeenten of 20.000 inhabitants (g01..g06) and 40.000 (g07..g12), so all in
 *  the class 20.000-50.000; purchasing volume EUR 100 mln (g01..g06) and 200 mln (g07..g12);
 *  CO2 realisation of gNN = NN x 1.000 kg (NN x 1,000,000 g). */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bm.h"
#include "bm_json.h"
#include "buyers.h"

static char g_path[64];
static mvoi_buyers_t *g_reg;
static bm_t *g_bm;

static void s_write_registry(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/mvoi-bm-XXXXXX");
    int fd = mkstemp(g_path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 12; i++)
        fprintf(f, "[g%02d]\nname = Gemeente G%02d\nkind = gemeente\ninhabitants = %d\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n"
                   "purchasing_volume_eur = %d\npurchasing_volume_year = 2024\n"
                   "purchasing_volume_source = test\n",
                i, i, i <= 6 ? 20000 : 40000, i <= 6 ? 100000000 : 200000000);
    /* c1..c5: 50.000-100.000, a class of its own */
    for (int i = 1; i <= 5; i++)
        fprintf(f, "[c%d]\nname = Gemeente C%d\nkind = gemeente\ninhabitants = 60000\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n", i, i);
    /* s1..s5: under 20.000 (s5 joins in one test only) */
    for (int i = 1; i <= 5; i++)
        fprintf(f, "[s%d]\nname = Gemeente S%d\nkind = gemeente\ninhabitants = 9000\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n", i, i);
    fprintf(f, "[nokind]\nname = Zonder soort\n[noinh]\nname = Gemeente Zonder\nkind = gemeente\n");
    fclose(f);
}

static void setup(void)
{
    char err[256];
    s_write_registry();
    g_reg = mvoi_buyers_load(g_path, false, err, sizeof err);
    cr_assert(g_reg, "%s", err);
    g_bm = bm_new(g_reg, 5);
    cr_assert(g_bm);
    char id[8];
    for (int i = 1; i <= 12; i++) {
        snprintf(id, sizeof id, "g%02d", i);
        cr_assert_eq(bm_set(g_bm, id, 5, 2026, (int64_t)i * 1000000), 0);
    }
    for (int i = 1; i <= 5; i++) {
        snprintf(id, sizeof id, "c%d", i);
        cr_assert_eq(bm_set(g_bm, id, 5, 2026, (int64_t)i * 100000), 0);   /* 100..500 kg */
    }
    for (int i = 1; i <= 4; i++) {
        snprintf(id, sizeof id, "s%d", i);
        cr_assert_eq(bm_set(g_bm, id, 5, 2026, (int64_t)i * 7000), 0);
    }
}

static void teardown(void)
{
    bm_destroy(&g_bm);
    mvoi_buyers_destroy(&g_reg);
    unlink(g_path);
}

#define EPS 1e-9
#define NEAR(a, b) cr_assert(fabs((a) - (b)) < EPS, "%.12g != %.12g", (double)(a), (double)(b))

TestSuite(bm, .init = setup, .fini = teardown);

Test(bm, absolute_quartiles_and_percentile)
{
    /* kg: 1000, 2000, ..., 12000; type 7, n = 12:
     * Q1: h = 11 x 0.25 = 2.75 -> 3000 + 0.75 x 1000 = 3750
     * median: h = 5.5 -> 6000 + 0.5 x 1000 = 6500;  Q3: h = 8.25 -> 9000 + 250 = 9250
     * g05 = 5000: 4 below, 1 equal -> 100 x 4.5 / 12 = 37.5; 3750 <= 5000 < 6500 -> 2 */
    bm_pos_t p;
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 12);
    NEAR(p.value, 5000);
    NEAR(p.q1, 3750);
    NEAR(p.median, 6500);
    NEAR(p.q3, 9250);
    NEAR(p.percentile, 37.5);
    cr_assert_eq(p.quartile, 2);
    cr_assert_str_eq(bm_class_id(p.cls), "gemeente.20000-49999");
}

Test(bm, per_eur_million)
{
    /* kg per EUR mln: gNN <= 06: NN x 1000 / 100 = 10 NN; NN >= 07: NN x 1000 / 200 = 5 NN
     * sorted: 10 20 30 35 40 40 45 50 50 55 60 60
     * Q1: x2 + 0.75 (x3 - x2) = 30 + 3.75 = 33.75; median: (40 + 45) / 2 = 42.5;
     * Q3: x8 + 0.25 (x9 - x8) = 50 + 1.25 = 51.25
     * g05 = 50: 7 below, 2 equal -> 100 x 8 / 12 = 66.67; 42.5 <= 50 < 51.25 -> 3 */
    bm_pos_t p;
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_MEUR, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    NEAR(p.value, 50);
    NEAR(p.q1, 33.75);
    NEAR(p.median, 42.5);
    NEAR(p.q3, 51.25);
    NEAR(p.percentile, 800.0 / 12.0);
    cr_assert_eq(p.quartile, 3);
}

Test(bm, per_inhabitant_and_sentence)
{
    /* kg per inhabitant: NN <= 06: NN x 1000 / 20000 = 0.05 NN; NN >= 07: 0.025 NN:
     * the per-EUR-mln figures / 200: Q1 0.16875, median 0.2125, Q3 0.25625; g05 = 0.25 */
    bm_pos_t p;
    char buf[512];
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_INH, &p), 0);
    NEAR(p.value, 0.25);
    NEAR(p.q1, 0.16875);
    NEAR(p.median, 0.2125);
    NEAR(p.q3, 0.25625);
    cr_assert_eq(p.quartile, 3);
    bm_sentence(g_bm, "g05", 5, BM_NORM_PER_INH, &p, TEXT_NL, buf, sizeof buf);
    cr_assert_str_eq(buf, "G05 staat met 0,250 kg vermeden CO2 per inwoner in het derde kwartiel "
                          "van de gemeenten van 20.000-50.000 inwoners");
    bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_MEUR, &p);
    bm_sentence(g_bm, "g05", 5, BM_NORM_PER_MEUR, &p, TEXT_EN, buf, sizeof buf);
    cr_assert_str_eq(buf, "G05 is, with 50.0 kg of avoided CO2 per € million purchasing volume, "
                          "in the third quartile of the municipalities of 20,000-50,000 "
                          "inhabitants");
}

Test(bm, live_change_moves_only_its_class)
{
    /* g12: 12000 kg -> 500 kg. kg sorted: 500 1000 2000 ... 11000
     * Q1: 2000 + 0.75 x 1000 = 2750; median: (5000 + 6000) / 2 = 5500; Q3: 8000 + 250 = 8250
     * g05 = 5000: 5 below, 1 equal -> 100 x 5.5 / 12 = 45.83; 2750 <= 5000 < 5500 -> 2 */
    cr_assert_eq(bm_set(g_bm, "g12", 5, 2026, 500000), 0);
    cr_assert_leq(bm_last_work(g_bm), 3 * (2 * 12 + 1), "work %llu is not O(class)",
                  (unsigned long long)bm_last_work(g_bm));
    bm_pos_t p;
    bm_position(g_bm, "g05", 5, 2026, BM_NORM_ABS, &p);
    NEAR(p.q1, 2750);
    NEAR(p.median, 5500);
    NEAR(p.q3, 8250);
    NEAR(p.percentile, 550.0 / 12.0);
    cr_assert_eq(p.quartile, 2);
    /* the other class: 100..500 kg, n = 5: Q1 = x1 = 200, median 300, Q3 400 */
    bm_position(g_bm, "c2", 5, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_OK);
    NEAR(p.q1, 200);
    NEAR(p.median, 300);
    NEAR(p.q3, 400);
    NEAR(p.percentile, 30);   /* 1 below, 1 equal: 100 x 1.5 / 5 */
}

Test(bm, fewer_than_k_shows_nothing)
{
    bm_pos_t p;
    char buf[512];
    cr_assert_eq(bm_position(g_bm, "s1", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_TOO_FEW);
    cr_assert_eq(p.count, 0);
    cr_assert(p.q1 == 0 && p.median == 0 && p.q3 == 0 && p.percentile == 0 && p.quartile == 0);
    cr_assert(p.has_value);   /* its own figure it may see */
    NEAR(p.value, 7);
    bm_sentence(g_bm, "s1", 5, BM_NORM_ABS, &p, TEXT_NL, buf, sizeof buf);
    cr_assert(strstr(buf, "te weinig gemeenten van minder dan 20.000 inwoners"), "%s", buf);
    bm_dist_t d;
    cr_assert_eq(bm_distribution(g_bm, bm_class_of(mvoi_buyers_find(g_reg, "s1")), 5, 2026,
                                 BM_NORM_ABS, &d), 0);
    cr_assert_eq(d.status, BM_TOO_FEW);
    cr_assert_eq(d.count, 0);
    /* the fifth buyer: 7 14 21 28 35 kg -> shown, median 21 */
    cr_assert_eq(bm_set(g_bm, "s5", 5, 2026, 35000), 0);
    bm_position(g_bm, "s1", 5, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 5);
    NEAR(p.median, 21);
}

Test(bm, no_class_no_volume_no_value)
{
    bm_pos_t p;
    cr_assert_eq(bm_set(g_bm, "nokind", 5, 2026, 1000), 0);
    bm_position(g_bm, "nokind", 5, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_NO_CLASS);
    cr_assert_eq(p.count, 0);
    bm_position(g_bm, "noinh", 5, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_NO_CLASS);
    bm_position(g_bm, "c1", 5, 2026, BM_NORM_PER_MEUR, &p);
    cr_assert_eq(p.status, BM_NO_DENOMINATOR);
    bm_position(g_bm, "g01", 3, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_NO_VALUE);
    cr_assert_eq(bm_position(g_bm, "unknown", 5, 2026, BM_NORM_ABS, &p), -ENOENT);
    cr_assert_eq(bm_set(g_bm, "unknown", 5, 2026, 1), -ENOENT);
    cr_assert_eq(bm_set(g_bm, "g01", 7, 2026, 1), -EINVAL);
}

/* No rendering for g05 holds another buyer's figure or id: every other gNN's own kg,
 * kg per EUR mln and kg per inhabitant is absent (g12 has the distinctive 12000). */
Test(bm, json_for_one_buyer_has_no_other_buyer)
{
    json_t *o = bm_json_buyer(g_bm, "g05", 2026, TEXT_NL);
    cr_assert(o);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    cr_assert(strstr(s, "\"value\": 5000") || strstr(s, "\"value\":5000"), "%s", s);
    cr_assert(strstr(s, "\"q1\":3750.0"), "%s", s);
    for (int i = 1; i <= 12; i++) {
        char id[16], v[32];
        if (i == 5)
            continue;
        snprintf(id, sizeof id, "\"g%02d\"", i);
        cr_assert_null(strstr(s, id), "%s in %s", id, s);
        snprintf(id, sizeof id, "G%02d", i);
        cr_assert_null(strstr(s, id), "%s in %s", id, s);
        snprintf(v, sizeof v, ":%d.0", i * 1000);
        cr_assert_null(strstr(s, v), "%s in %s", v, s);
    }
    cr_assert_null(strstr(s, ":12000"));
    free(s);
}

Test(bm, open_data_only_shown_classes)
{
    json_t *o = bm_json_open_data(g_bm, TEXT_NL);
    json_t *rows = json_object_get(o, "distributions");
    /* 2026: the 12-class x 3 norms + the 5-class x 2 norms (no volume: no per EUR mln);
     * the under-20.000 class has 4 < k and is absent */
    cr_assert_eq(json_array_size(rows), 5);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        cr_assert_geq(json_integer_value(json_object_get(r, "count")), 5);
        cr_assert_null(json_object_get(r, "buyer"));
        cr_assert_str_neq(json_string_value(json_object_get(r, "class")), "gemeente.0-19999");
    }
    cr_assert(json_object_get(json_object_get(o, "definitions"), "q1"));
    json_decref(o);
    size_t len = 0;
    char *csv = bm_csv_open_data(g_bm, TEXT_NL, &len);
    cr_assert(csv);
    cr_assert(strncmp(csv, "year,class,kpi,normalisation,unit,count,q1,median,q3\r\n", 54) == 0);
    cr_assert(strstr(csv, "2026,\"gemeente.20000-49999\",\"co2\",\"absolute\",\"kg\",12,3750,6500,9250\r\n"),
              "%s", csv);
    cr_assert_null(strstr(csv, "g0"));
    free(csv);
}

Test(bm_num, dutch_and_english)
{
    char b[64];
    cr_assert_str_eq(bm_num(12345.6, TEXT_NL, b, sizeof b), "12.346");
    cr_assert_str_eq(bm_num(12345.6, TEXT_EN, b, sizeof b), "12,346");
    cr_assert_str_eq(bm_num(1.234, TEXT_NL, b, sizeof b), "1,23");
    cr_assert_str_eq(bm_num(0.0123, TEXT_NL, b, sizeof b), "0,0123");
    cr_assert_str_eq(bm_num(0, TEXT_NL, b, sizeof b), "0");
    cr_assert_str_eq(bm_num(-1500, TEXT_NL, b, sizeof b), "-1.500");
}

Test(bm_stat, type7_small_cases)
{
    double one[] = { 4 }, two[] = { 1, 3 };
    NEAR(bm_quantile(one, 1, 0.25), 4);
    NEAR(bm_quantile(two, 2, 0.25), 1.5);    /* h = 0.25 */
    NEAR(bm_quantile(two, 2, 0.75), 2.5);
    NEAR(bm_percentile(two, 2, 3), 75);       /* 1 below + 1/2 equal of 2 */
    cr_assert_eq(bm_quartile(5, 1, 2, 3), 4);
    cr_assert_eq(bm_quartile(0, 1, 2, 3), 1);
}

/* The registry's benchmark keys: figures need their year and source; named errors. */
static const char *s_load_err(const char *text, char *err, size_t cap)
{
    char path[] = "/tmp/mvoi-bmreg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    mvoi_buyers_t *r = mvoi_buyers_load(path, false, err, cap);
    unlink(path);
    if (r) {
        mvoi_buyers_destroy(&r);
        return NULL;
    }
    return err;
}

Test(bm_registry, profile_keys_checked)
{
    char err[256];
    cr_assert_null(s_load_err("[a]\nname = A\nkind = gemeente\ninhabitants = 5\n"
                              "inhabitants_year = 2024\ninhabitants_source = CBS\n", err, sizeof err));
    cr_assert(strstr(s_load_err("[a]\nname = A\nkind = stad\n", err, sizeof err), "kind must be"));
    cr_assert(strstr(s_load_err("[a]\nname = A\ninhabitants = 12a\ninhabitants_year = 2024\n"
                                "inhabitants_source = x\n", err, sizeof err), "not a whole number"));
    cr_assert(strstr(s_load_err("[a]\nname = A\ninhabitants = 12\n", err, sizeof err),
                     "inhabitants needs inhabitants_year and inhabitants_source"));
    cr_assert(strstr(s_load_err("[a]\nname = A\npurchasing_volume_eur = 0\n", err, sizeof err),
                     "out of range"));
    cr_assert(strstr(s_load_err("[a]\nname = A\npurchasing_volume_year = 2024\n", err, sizeof err),
                     "purchasing_volume_eur needs"));
}

Test(bm_registry, shipped_registry_has_classes)
{
    char err[256];
    mvoi_buyers_t *r = mvoi_buyers_load(MVOI_SOURCE_DIR "/common/data/buyers.ini", false, err,
                                        sizeof err);
    cr_assert(r, "%s", err);
    const mvoi_buyer_t *h = mvoi_buyers_find(r, "heerlen");
    cr_assert_eq(h->kind, MVOI_BUYER_KIND_GEMEENTE);
    cr_assert_eq(h->volume_eur, 400000000);
    cr_assert_str_eq(bm_class_id(bm_class_of(h)), "gemeente.50000-99999");
    /* at least 12 classified gemeenten, and Heerlen's class reaches k = 5 */
    int classified = 0, heerlens = 0;
    for (size_t i = 0; i < mvoi_buyers_count(r); i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(r, i);
        classified += bm_class_of(b) >= 0;
        heerlens += bm_class_of(b) == bm_class_of(h);
        if (b->inhabitants)
            cr_assert(b->inhabitants_source[0] && b->inhabitants_year >= 2019, "%s", b->id);
    }
    cr_assert_geq(classified, 12);
    cr_assert_geq(heerlens, 5);
    mvoi_buyers_destroy(&r);
}

/* The open data's CSV has the figures the JSON has, not %.17g's binary noise: 322102,4 kg
 * was "322102.40000000002". c1..c5 (60.000 inhabitants) get CO2 2025 of 322.102,4,
 * 398.624,64, 897.852,8, 900.000 and 1.000.000 kg. n = 5, type 7: h = 1, 2, 3, so
 * Q1 = x[1] = 398624.64, median = x[2] = 897852.8, Q3 = x[3] = 900000 (by hand). Per
 * inhabitant, the shortest decimals that read back as the doubles (Python's repr of
 * 398624640/1000/60000 etc.): 6.643744, 14.964213333333333, 15. */
Test(bm, csv_numbers_shortest_exact)
{
    static const int64_t g[5] = { 322102400, 398624640, 897852800, 900000000, 1000000000 };
    char id[8];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "c%d", i + 1);
        cr_assert_eq(bm_set(g_bm, id, 5, 2025, g[i]), 0);
    }
    size_t len = 0;
    char *csv = bm_csv_open_data(g_bm, TEXT_NL, &len);
    cr_assert(csv);
    cr_assert(strstr(csv, "2025,\"gemeente.50000-99999\",\"co2\",\"absolute\",\"kg\",5,"
                          "398624.64,897852.8,900000\r\n"), "%s", csv);
    cr_assert(strstr(csv, "2025,\"gemeente.50000-99999\",\"co2\",\"per_inhabitant\","
                          "\"kg per inwoner\",5,6.643744,14.964213333333333,15\r\n"), "%s", csv);
    free(csv);
}

/* Rounding that carries into the next magnitude takes that magnitude's decimals, as a
 * figure that was 100 or 10 to begin with: 99,96 is "100" (not "100,0"), 9,996 is "10,0"
 * (not "10,00"), 0,09996 is "0,100" (not "0,1000"). */
Test(bm_num, rounding_carries_into_next_magnitude)
{
    char b[64];
    cr_assert_str_eq(bm_num(99.96, TEXT_NL, b, sizeof b), "100");
    cr_assert_str_eq(bm_num(-99.96, TEXT_NL, b, sizeof b), "-100");
    cr_assert_str_eq(bm_num(9.996, TEXT_NL, b, sizeof b), "10,0");
    cr_assert_str_eq(bm_num(0.09996, TEXT_EN, b, sizeof b), "0.100");
    cr_assert_str_eq(bm_num(99.94, TEXT_NL, b, sizeof b), "99,9");
    cr_assert_str_eq(bm_num(999.6, TEXT_EN, b, sizeof b), "1,000");
}

/* Open data: every field of a published row is defined ("unit" and "class_label" were not). */
Test(bm, open_data_every_field_defined)
{
    json_t *o = bm_json_open_data(g_bm, TEXT_EN);
    json_t *defs = json_object_get(o, "definitions");
    json_t *rows = json_object_get(o, "distributions");
    cr_assert_gt(json_array_size(rows), 0);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        const char *key;
        json_t *v;
        json_object_foreach(r, key, v)
            cr_assert(json_is_string(json_object_get(defs, key)), "no definition of %s", key);
    }
    json_decref(o);
}

/* A KPI total with no measurement behind it (count 0, realisation 0: the aggregator holds
 * one from an ambition at award, or after every measurement was withdrawn) is no figure:
 * the buyer is absent, not a 0 that drags the class down and tells it "0 kg".
 * g12 (12000 kg) becomes such a total: kg 1000 .. 11000, n = 11, type 7:
 *   Q1 h = 2.5 -> 3000 + 0.5 x 1000 = 3500; median h = 5 -> 6000; Q3 h = 7.5 -> 8500;
 *   g05 = 5000: 4 below, 1 equal -> 100 x 4.5 / 11 = 40.9090...
 * Then g12 measures a real zero (count 3, realisation 0): 0, 1000 .. 11000, n = 12:
 *   Q1 h = 2.75 -> 2000 + 750 = 2750; median h = 5.5 -> 5500; Q3 h = 8.25 -> 8250;
 *   g05: 5 below, 1 equal -> 100 x 5.5 / 12 = 45.8333...; g12: 0 below, 1 equal -> 4.1666... */
Test(bm, total_without_measurement_is_absent)
{
    bm_pos_t p;
    cr_assert_eq(bm_set_total(g_bm, "g12", 5, 2026, 0, 0), 0);
    cr_assert_eq(bm_position(g_bm, "g12", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE);
    cr_assert_not(p.has_value);
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 11);
    NEAR(p.q1, 3500);
    NEAR(p.median, 6000);
    NEAR(p.q3, 8500);
    NEAR(p.percentile, 100.0 * 4.5 / 11);

    cr_assert_eq(bm_set_total(g_bm, "g12", 5, 2026, 0, 3), 0);
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.count, 12);
    NEAR(p.q1, 2750);
    NEAR(p.median, 5500);
    NEAR(p.q3, 8250);
    NEAR(p.percentile, 100.0 * 5.5 / 12);
    cr_assert_eq(bm_position(g_bm, "g12", 5, 2026, BM_NORM_ABS, &p), 0);
    cr_assert(p.has_value);
    NEAR(p.value, 0);
    NEAR(p.percentile, 100.0 * 0.5 / 12);

    /* a year nobody measured is not made by an empty total (the page's year list) */
    unsigned ys[BM_YEARS_MAX];
    cr_assert_eq(bm_set_total(g_bm, "g01", 5, 2030, 0, 0), 0);
    cr_assert_eq(bm_years(g_bm, ys, BM_YEARS_MAX), 1);
    cr_assert_eq(bm_set_total(g_bm, "nobody", 5, 2026, 0, 0), -ENOENT);
    cr_assert_eq(bm_set_total(g_bm, "g01", 7, 2026, 0, 0), -EINVAL);
}
