/*  The national benchmark (common/bm): normalisations, type-7 quartiles, mid-rank
 *  percentiles and quartile places over a class of 12 gemeenten, live moves, class
 *  isolation, the k threshold, one normalisation per class/year/KPI (the others withheld:
 *  public denominators would trace figures to buyers), and nothing of another buyer in any
 *  rendering.
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
    char id[16];
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

/* Gemeenten all have inhabitants: per inhabitant is the shown normalisation, absolute and
 * per EUR mln are withheld (no count, quartiles or percentile); g05's own figure stays:
 * 5000 kg, 5000 / 100 = 50 kg per EUR mln. */
Test(bm, absolute_and_per_eur_million_withheld_own_value_kept)
{
    bm_pos_t p;
    char buf[512];
    for (int n = 0; n < BM_NORMS; n++) {
        if (n == BM_NORM_PER_INH)
            continue;
        cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, (bm_norm_t)n, &p), 0);
        cr_assert_eq(p.status, BM_WITHHELD, "norm %d", n);
        cr_assert_eq(p.shown, BM_NORM_PER_INH);
        cr_assert_eq(p.count, 0);
        cr_assert(p.q1 == 0 && p.median == 0 && p.q3 == 0 && p.percentile == 0
                  && p.quartile == 0);
        cr_assert(p.has_value);
        NEAR(p.value, n == BM_NORM_ABS ? 5000 : 50);
        cr_assert_str_eq(bm_class_id(p.cls), "gemeente.20000-49999");
    }
    bm_position(g_bm, "g05", 5, 2026, BM_NORM_ABS, &p);
    bm_sentence(g_bm, "g05", 5, BM_NORM_ABS, &p, TEXT_NL, buf, sizeof buf);
    cr_assert_str_eq(buf, "niet getoond: samen met de verdeling per inwoner zou deze verdeling "
                          "cijfers van afzonderlijke organisaties herleidbaar maken "
                          "(inwonertallen en inkoopvolumes zijn openbaar)");
    bm_sentence(g_bm, "g05", 5, BM_NORM_ABS, &p, TEXT_EN, buf, sizeof buf);
    cr_assert_str_eq(buf, "withheld: together with the per-inhabitant distribution it would let "
                          "figures be traced to individual organisations (inhabitants and "
                          "purchasing volumes are public)");
    cr_assert_str_eq(bm_status_name(BM_WITHHELD), "withheld");
    cr_assert_str_eq(bm_status_name((bm_status_t)99), "unknown");
    bm_dist_t d;
    cr_assert_eq(bm_distribution(g_bm, p.cls, 5, 2026, BM_NORM_ABS, &d), 0);
    cr_assert_eq(d.status, BM_WITHHELD);
    cr_assert_eq(d.count, 0);
    cr_assert(d.q1 == 0 && d.median == 0 && d.q3 == 0);
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
    cr_assert_eq(p.count, 12);
    NEAR(p.percentile, 800.0 / 12.0);   /* 0.25: 7 below, 2 equal */
    bm_sentence(g_bm, "g05", 5, BM_NORM_PER_INH, &p, TEXT_NL, buf, sizeof buf);
    cr_assert_str_eq(buf, "G05 staat met 0,250 kg vermeden CO2 per inwoner in het derde kwartiel "
                          "van de gemeenten van 20.000-50.000 inwoners");
    bm_sentence(g_bm, "g05", 5, BM_NORM_PER_INH, &p, TEXT_EN, buf, sizeof buf);
    cr_assert_str_eq(buf, "G05 is, with 0.250 kg of avoided CO2 per inhabitant, in the third "
                          "quartile of the municipalities of 20,000-50,000 inhabitants");
}

Test(bm, live_change_moves_only_its_class)
{
    /* g12: 12000 kg -> 500 kg, per inhabitant 500 / 40000 = 0.0125. kg per inhabitant
     * sorted: 0.0125 0.05 0.10 0.15 0.175 0.20 0.20 0.225 0.25 0.25 0.275 0.30
     * Q1: 0.10 + 0.75 x 0.05 = 0.1375; median: (0.20 + 0.20) / 2 = 0.20; Q3: 0.25 + 0 = 0.25
     * g05 = 0.25: 8 below, 2 equal -> 100 x 9 / 12 = 75; 0.25 >= Q3 -> 4 */
    cr_assert_eq(bm_set(g_bm, "g12", 5, 2026, 500000), 0);
    cr_assert_leq(bm_last_work(g_bm), 3 * (2 * 12 + 1), "work %llu is not O(class)",
                  (unsigned long long)bm_last_work(g_bm));
    bm_pos_t p;
    bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_INH, &p);
    NEAR(p.q1, 0.1375);
    NEAR(p.median, 0.20);
    NEAR(p.q3, 0.25);
    NEAR(p.percentile, 75);
    cr_assert_eq(p.quartile, 4);
    /* the other class: 100..500 kg / 60000, n = 5: Q1 = x1 = 200 / 60000, median 300 /
     * 60000, Q3 400 / 60000 */
    bm_position(g_bm, "c2", 5, 2026, BM_NORM_PER_INH, &p);
    cr_assert_eq(p.status, BM_OK);
    NEAR(p.q1, 200.0 / 60000);
    NEAR(p.median, 300.0 / 60000);
    NEAR(p.q3, 400.0 / 60000);
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
    /* the fifth buyer: 7 14 21 28 35 kg, all 9000 inhabitants -> per inhabitant shown,
     * median 21 / 9000; absolute now withheld */
    cr_assert_eq(bm_set(g_bm, "s5", 5, 2026, 35000), 0);
    bm_position(g_bm, "s1", 5, 2026, BM_NORM_PER_INH, &p);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 5);
    NEAR(p.median, 21.0 / 9000);
    bm_position(g_bm, "s1", 5, 2026, BM_NORM_ABS, &p);
    cr_assert_eq(p.status, BM_WITHHELD);
    cr_assert_eq(p.count, 0);
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
    /* co2 (the fifth measure): absolute and per EUR mln withheld with the own value only,
     * per inhabitant with its quartiles */
    json_t *norms = json_object_get(json_array_get(json_object_get(o, "kpis"), 4), "norms");
    for (int n = 0; n < 3; n++) {
        json_t *x = json_array_get(norms, (size_t)n);
        const char *st = json_string_value(json_object_get(x, "status"));
        cr_assert_str_eq(st, n == BM_NORM_PER_INH ? "ok" : "withheld");
        cr_assert(json_object_get(x, "value"));
        cr_assert_eq(json_object_get(x, "q1") != NULL, n == BM_NORM_PER_INH);
        cr_assert_eq(json_object_get(x, "count") != NULL, n == BM_NORM_PER_INH);
        cr_assert_eq(json_object_get(x, "percentile") != NULL, n == BM_NORM_PER_INH);
    }
    NEAR(json_real_value(json_object_get(json_array_get(norms, BM_NORM_PER_INH), "q1")), 0.16875);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    cr_assert(strstr(s, "\"value\": 5000") || strstr(s, "\"value\":5000"), "%s", s);
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
    /* 2026: one normalisation (per inhabitant) of the 12-class and of the 5-class; the
     * under-20.000 class has 4 < k and is absent */
    cr_assert_eq(json_array_size(rows), 2);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        cr_assert_geq(json_integer_value(json_object_get(r, "count")), 5);
        cr_assert_null(json_object_get(r, "buyer"));
        cr_assert_str_neq(json_string_value(json_object_get(r, "class")), "gemeente.0-19999");
        cr_assert_str_eq(json_string_value(json_object_get(r, "normalisation")), "per_inhabitant");
    }
    cr_assert(json_object_get(json_object_get(o, "definitions"), "q1"));
    json_decref(o);
    size_t len = 0;
    char *csv = bm_csv_open_data(g_bm, TEXT_NL, &len);
    cr_assert(csv);
    cr_assert(strncmp(csv, "year,class,kpi,normalisation,unit,count,q1,median,q3\r\n", 54) == 0);
    cr_assert(strstr(csv, "2026,\"gemeente.20000-49999\",\"co2\",\"per_inhabitant\",\"kg per inwoner\",12,"),
              "%s", csv);
    cr_assert_null(strstr(csv, "\"absolute\""), "%s", csv);
    cr_assert_null(strstr(csv, "\"per_eur_million\""), "%s", csv);
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
 * Q1 = x[1], median = x[2], Q3 = x[3] (the absolute row is withheld). Per
 * inhabitant, the shortest decimals that read back as the doubles (Python's repr of
 * 398624640/1000/60000 etc.): 6.643744, 14.964213333333333, 15. */
Test(bm, csv_numbers_shortest_exact)
{
    static const int64_t g[5] = { 322102400, 398624640, 897852800, 900000000, 1000000000 };
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "c%d", i + 1);
        cr_assert_eq(bm_set(g_bm, id, 5, 2025, g[i]), 0);
    }
    size_t len = 0;
    char *csv = bm_csv_open_data(g_bm, TEXT_NL, &len);
    cr_assert(csv);
    cr_assert_null(strstr(csv, "2025,\"gemeente.50000-99999\",\"co2\",\"absolute\""), "%s", csv);
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

/* bm_num rounds half away from zero, as the report beside it does (numfmt.h), and rounds
 * the decimal a double reads as: printf had rounded an exact half to even (100,5 -> "100",
 * 1,125 -> "1,12", 10,25 -> "10,2") and 0,1235 by its binary value 0,12349... ("0,123").
 * Worked out by hand: three significant digits below 100, whole numbers above. */
Test(bm_num, halves_round_away_from_zero)
{
    static const struct { double v; text_lang_t l; const char *want; } c[] = {
        { 100.5, TEXT_NL, "101" },       { 102.5, TEXT_NL, "103" },
        { -100.5, TEXT_NL, "-101" },     { 12344.5, TEXT_NL, "12.345" },
        { 1000.5, TEXT_EN, "1,001" },    { 1.125, TEXT_NL, "1,13" },
        { 10.25, TEXT_NL, "10,3" },      { -10.25, TEXT_NL, "-10,3" },
        { 2.345, TEXT_NL, "2,35" },      { -2.345, TEXT_EN, "-2.35" },
        { 0.1235, TEXT_NL, "0,124" },    { 9.995, TEXT_NL, "10,0" },
        { 2.344, TEXT_NL, "2,34" },      { 0.5, TEXT_NL, "0,500" },
        { -0.0004, TEXT_NL, "-0,000400" }, { 1500000000000000.5, TEXT_NL, "1.500.000.000.000.001" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char b[64];
        cr_expect_str_eq(bm_num(c[i].v, c[i].l, b, sizeof b), c[i].want, "%.17g", c[i].v);
    }
}

/* Large values are whole and exact as far as the double is (2^53 = 9.007.199.254.740.992);
 * one whose text does not fit the buffer is "–", not a figure cut short: 10^50 has 51
 * digits and 16 separators, 67 bytes, and had been cut to its first 63. */
Test(bm_num, large_values_whole_or_no_figure)
{
    char b[64], big[128];
    cr_expect_str_eq(bm_num(9007199254740992.0, TEXT_NL, b, sizeof b), "9.007.199.254.740.992");
    cr_expect_str_eq(bm_num(1e20, TEXT_EN, b, sizeof b), "100,000,000,000,000,000,000");
    cr_expect_str_eq(bm_num(-1e20, TEXT_NL, b, sizeof b), "-100.000.000.000.000.000.000");
    cr_expect_str_eq(bm_num(1e50, TEXT_NL, b, sizeof b), "–");
    cr_expect_str_eq(bm_num(1e50, TEXT_NL, big, sizeof big),
                     "100.000.000.000.000.000.000.000.000.000.000.000.000.000.000.000.000");
    cr_expect_str_eq(bm_num(12345.6, TEXT_NL, b, 6), "–");   /* "12.346" needs 7 */
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
 * g12 (12000 kg) becomes such a total: kg per inhabitant (the shown normalisation)
 * 0.05 0.10 0.15 0.175 0.20 0.20 0.225 0.25 0.25 0.275 0.30, n = 11, type 7:
 *   Q1 h = 2.5 -> 0.15 + 0.5 x 0.025 = 0.1625; median h = 5 -> 0.20; Q3 h = 7.5 -> 0.25;
 *   g05 = 0.25: 7 below, 2 equal -> 100 x 8 / 11 = 72.7272...
 * Then g12 measures a real zero (count 3, realisation 0): 0 joins, n = 12:
 *   Q1 h = 2.75 -> 0.10 + 0.75 x 0.05 = 0.1375; median h = 5.5 -> 0.20; Q3 h = 8.25 -> 0.25;
 *   g05: 8 below, 2 equal -> 100 x 9 / 12 = 75; g12: 0 below, 1 equal -> 4.1666... */
Test(bm, total_without_measurement_is_absent)
{
    bm_pos_t p;
    cr_assert_eq(bm_set_total(g_bm, "g12", 5, 2026, 0, 0), 0);
    cr_assert_eq(bm_position(g_bm, "g12", 5, 2026, BM_NORM_PER_INH, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE);
    cr_assert_not(p.has_value);
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_INH, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 11);
    NEAR(p.q1, 0.1625);
    NEAR(p.median, 0.20);
    NEAR(p.q3, 0.25);
    NEAR(p.percentile, 100.0 * 8 / 11);

    cr_assert_eq(bm_set_total(g_bm, "g12", 5, 2026, 0, 3), 0);
    cr_assert_eq(bm_position(g_bm, "g05", 5, 2026, BM_NORM_PER_INH, &p), 0);
    cr_assert_eq(p.count, 12);
    NEAR(p.q1, 0.1375);
    NEAR(p.median, 0.20);
    NEAR(p.q3, 0.25);
    NEAR(p.percentile, 75);
    cr_assert_eq(bm_position(g_bm, "g12", 5, 2026, BM_NORM_PER_INH, &p), 0);
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

/* The leak: m1..m5, gemeenten of 51.000, 62.000, 73.000, 84.000 and 95.000 inhabitants
 * (EUR 100..500 mln), CO2 2026 of 100.000 .. 500.000 kg: the same order absolute and per
 * inhabitant. n = 5 = 4 x 1 + 1, type 7: Q1 = x[1], one member's figure in either
 * normalisation, so absolute Q1 / per-inhabitant Q1 = 200000 / (200000 / 62000) = 62.000:
 * m2's public inhabitants, and 200.000 kg is m2's figure. Published: one normalisation per
 * (class, year, KPI) and no ratio of two published quartiles is a registered denominator. */
static mvoi_buyers_t *s_leak_registry(char *path, size_t cap)
{
    char err[256];
    snprintf(path, cap, "/tmp/mvoi-bmleak-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 5; i++)
        fprintf(f, "[m%d]\nname = Gemeente M%d\nkind = gemeente\ninhabitants = %d\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n"
                   "purchasing_volume_eur = %d\npurchasing_volume_year = 2024\n"
                   "purchasing_volume_source = test\n", i, i, 40000 + i * 11000, i * 100000000);
    fclose(f);
    mvoi_buyers_t *r = mvoi_buyers_load(path, false, err, sizeof err);
    cr_assert(r, "%s", err);
    return r;
}

/* Is x (a ratio of two published quartiles) one of the registered denominators? */
static bool s_is_denominator(const mvoi_buyers_t *r, double x)
{
    for (size_t i = 0; i < mvoi_buyers_count(r); i++) {
        const mvoi_buyer_t *b = mvoi_buyers_at(r, i);
        double den[] = { (double)b->inhabitants, (double)b->volume_eur / 1e6,
                         (double)b->inhabitants / ((double)b->volume_eur / 1e6) };
        for (int d = 0; d < 3; d++)
            if (den[d] > 0 && fabs(x - den[d]) < 1e-6 * den[d])
                return true;
    }
    return false;
}

Test(bm_leak, one_normalisation_per_class_year_kpi)
{
    char path[64];
    mvoi_buyers_t *r = s_leak_registry(path, sizeof path);
    bm_t *b = bm_new(r, 5);
    cr_assert(b);
    char id[16];
    for (int i = 1; i <= 5; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cr_assert_eq(bm_set(b, id, 5, 2026, (int64_t)i * 100000 * 1000), 0);   /* g */
        cr_assert_eq(bm_set(b, id, 1, 2026, (int64_t)i * 7), 0);              /* fairtrade */
    }
    int cls = bm_class_of(mvoi_buyers_find(r, "m1"));
    for (int k = 1; k <= BM_MEASURES; k++) {
        int shown = 0;
        for (int n = 0; n < BM_NORMS; n++) {
            bm_dist_t d;
            if (!bm_kpi_has_norm(k, (bm_norm_t)n))
                continue;
            cr_assert_eq(bm_distribution(b, cls, k, 2026, (bm_norm_t)n, &d), 0);
            shown += d.status == BM_OK;
            if (d.status != BM_OK)
                cr_assert(d.count == 0 && d.q1 == 0 && d.median == 0 && d.q3 == 0);
            for (int i = 1; i <= 5; i++) {   /* each member's own view: the same one */
                bm_pos_t p;
                snprintf(id, sizeof id, "m%d", i);
                cr_assert_eq(bm_position(b, id, k, 2026, (bm_norm_t)n, &p), 0);
                cr_assert_eq(p.status == BM_OK || p.status == BM_NO_VALUE ? d.status : p.status,
                             d.status, "%s kpi %d norm %d", id, k, n);
                if (p.status != BM_OK)
                    cr_assert(p.percentile == 0 && p.quartile == 0);
            }
        }
        cr_assert_leq(shown, 1, "kpi %d: %d normalisations published", k, shown);
    }
    bm_dist_t d;
    bm_distribution(b, cls, 5, 2026, BM_NORM_PER_INH, &d);
    cr_assert_eq(d.status, BM_OK);
    NEAR(d.q1, 200000.0 / 62000);   /* the per-inhabitant one is the shown one */
    bm_distribution(b, cls, 5, 2026, BM_NORM_ABS, &d);
    cr_assert_eq(d.status, BM_WITHHELD);
    bm_distribution(b, cls, 5, 2026, BM_NORM_PER_MEUR, &d);
    cr_assert_eq(d.status, BM_WITHHELD);
    bm_destroy(&b);
    mvoi_buyers_destroy(&r);
    unlink(path);
}

/* The attack itself over the open data: for every two rows of one (year, class, kpi), no
 * ratio of their quartiles is a registered inhabitants count or volume. */
Test(bm_leak, open_data_ratio_names_no_member)
{
    char path[64];
    mvoi_buyers_t *r = s_leak_registry(path, sizeof path);
    bm_t *b = bm_new(r, 5);
    char id[16];
    for (int i = 1; i <= 5; i++) {
        snprintf(id, sizeof id, "m%d", i);
        cr_assert_eq(bm_set(b, id, 5, 2026, (int64_t)i * 100000 * 1000), 0);
    }
    json_t *o = bm_json_open_data(b, TEXT_NL);
    json_t *rows = json_object_get(o, "distributions");
    cr_assert_gt(json_array_size(rows), 0);
    static const char *const q[] = { "q1", "median", "q3" };
    for (size_t i = 0; i < json_array_size(rows); i++)
        for (size_t j = i + 1; j < json_array_size(rows); j++) {
            json_t *a = json_array_get(rows, i), *c = json_array_get(rows, j);
            bool same = json_integer_value(json_object_get(a, "year"))
                            == json_integer_value(json_object_get(c, "year"))
                && json_equal(json_object_get(a, "class"), json_object_get(c, "class"))
                && json_equal(json_object_get(a, "kpi"), json_object_get(c, "kpi"));
            for (int x = 0; same && x < 3; x++) {
                double u = json_real_value(json_object_get(a, q[x]));
                double v = json_real_value(json_object_get(c, q[x]));
                cr_assert_not(v != 0 && s_is_denominator(r, u / v), "%s ratio %g", q[x], u / v);
                cr_assert_not(u != 0 && s_is_denominator(r, v / u), "%s ratio %g", q[x], v / u);
            }
            cr_assert_not(same, "two normalisations of one class/year/kpi: %s and %s",
                          json_string_value(json_object_get(a, "normalisation")),
                          json_string_value(json_object_get(c, "normalisation")));
        }
    json_decref(o);
    bm_destroy(&b);
    mvoi_buyers_destroy(&r);
    unlink(path);
}

/* k below 5 is refused: with k = 3 a member that knows its own figure and its rank among
 * x0 <= x1 <= x2 reads the other two off Q1 = (x0 + x1) / 2 and Q3 = (x1 + x2) / 2. */
Test(bm_leak, k_below_five_refused)
{
    char path[64];
    mvoi_buyers_t *r = s_leak_registry(path, sizeof path);
    for (unsigned k = 1; k < 5; k++)
        cr_assert_null(bm_new(r, k), "k %u accepted", k);
    bm_t *b = bm_new(r, 5);
    cr_assert(b);
    cr_assert_eq(bm_k(b), 5);
    bm_destroy(&b);
    b = bm_new(r, 0);   /* 0: the default */
    cr_assert_eq(bm_k(b), BM_K_DEFAULT);
    bm_destroy(&b);
    mvoi_buyers_destroy(&r);
    unlink(path);
}
