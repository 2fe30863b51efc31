/*  The benchmark's calendar and registry measures (common/bm): the share of tenders with an
 *  ambition per theme and the Manifest ambition level per theme, over 12 gemeenten of one
 *  class, with the test's own arithmetic; counting tenders (cancelled, undated, uncommitted,
 *  a theme twice), a live move, the k gate, and nothing of another buyer in the renderings.
 *
 *  g01..g12: 20.000 (g01..g06) / 40.000 (g07..g12) inhabitants: class 20.000-50.000.
 *  Tenders planned in 2026: gNN has 10 (NN <= 06) or 20 (NN >= 07), of which NN have an
 *  ambition for klimaat. Shares: g01..g06 10 20 30 40 50 60 %, g07..g12 35 40 45 50 55 60 %.
 *  Levels for klimaat (registry, 2026): gNN = (NN - 1) mod 5 + 1: 1 2 3 4 5 1 2 3 4 5 1 2.
 *  c1..c5 (60.000 inhabitants) have tenders too; c5 joins in one test only. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bm.h"
#include "bm_json.h"
#include "bm_tender.h"
#include "buyers.h"

static char g_path[64];
static mvoi_buyers_t *g_reg;
static bm_t *g_bm;

#define EPS 1e-9
#define NEAR(a, b) cr_assert(fabs((a) - (b)) < EPS, "%.12g != %.12g", (double)(a), (double)(b))

static void s_registry(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/mvoi-bma-XXXXXX");
    int fd = mkstemp(g_path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i <= 12; i++)
        fprintf(f, "[g%02d]\nname = Gemeente G%02d\nkind = gemeente\ninhabitants = %d\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n"
                   "ambition_level.klimaat = %d\nambition_level_year = 2026\n"
                   "ambition_level_source = test\n",
                i, i, i <= 6 ? 20000 : 40000, (i - 1) % 5 + 1);
    for (int i = 1; i <= 5; i++)
        fprintf(f, "[c%d]\nname = Gemeente C%d\nkind = gemeente\ninhabitants = 60000\n"
                   "inhabitants_year = 2024\ninhabitants_source = test\n", i, i);
    fclose(f);
}

/* One tender: date, cancelled or not, themes as (theme, commitment) pairs. */
static void s_tender(bm_tcount_t *c, const char *date, bool cancelled, int n, const int *tc)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    Mvoi__ThemeAmbition a[4], *ap[4];
    for (int i = 0; i < n; i++) {
        mvoi__theme_ambition__init(&a[i]);
        a[i].has_theme = true;
        a[i].theme = tc[2 * i];
        a[i].has_commitment = tc[2 * i + 1] != 0;
        a[i].commitment = tc[2 * i + 1];
        ap[i] = &a[i];
    }
    t.n_themes = (size_t)n;
    t.themes = ap;
    t.planned_publication = (char *)date;
    t.has_status = cancelled;
    t.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    bm_tcount_add(c, &t);
}

/* buyer's 2026 tenders: total, of which with klimaat committed; the others have klimaat in
 * scope without a commitment (not an ambition) or only social return */
static void s_buyer(const char *buyer, int total, int with)
{
    bm_tcount_t c = { 0 };
    static const int eis[] = { 1, 1, 1, 1 };                  /* klimaat twice: counts once */
    static const int scope[] = { 1, 0, 6, 0 };                /* in scope, no commitment */
    for (int i = 0; i < total; i++)
        s_tender(&c, "2026-03-01", false, 2, i < with ? eis : scope);
    s_tender(&c, "2026-05-01", true, 1, eis);                 /* cancelled: left out */
    s_tender(&c, "", false, 1, eis);                          /* no date: left out */
    s_tender(&c, "2025-12-31", false, 1, eis);                /* another year */
    cr_assert_eq(bm_tcount_apply(g_bm, buyer, &c), 0);
}

static void setup(void)
{
    char err[256], id[16];
    s_registry();
    g_reg = mvoi_buyers_load(g_path, false, err, sizeof err);
    cr_assert(g_reg, "%s", err);
    g_bm = bm_new(g_reg, 5);
    cr_assert(g_bm);
    cr_assert_eq(bm_load_levels(g_bm), 0);
    for (int i = 1; i <= 12; i++) {
        snprintf(id, sizeof id, "g%02d", i);
        s_buyer(id, i <= 6 ? 10 : 20, i);
    }
    for (int i = 1; i <= 4; i++) {
        snprintf(id, sizeof id, "c%d", i);
        s_buyer(id, 4, i);
    }
}

static void teardown(void)
{
    bm_destroy(&g_bm);
    mvoi_buyers_destroy(&g_reg);
    unlink(g_path);
}

TestSuite(bma, .init = setup, .fini = teardown);

Test(bma, counts_of_one_buyer)
{
    /* g05: 10 tenders in 2026 (the cancelled and undated ones left out), 5 with klimaat;
     * social return and circulair only in scope: no ambition; 2025: 1 of 1 */
    int64_t n = 0, with[BM_THEMES];
    cr_assert_eq(bm_tenders(g_bm, "g05", 2026, &n, with), 0);
    cr_assert_eq(n, 10);
    cr_assert_eq(with[0], 5);
    cr_assert_eq(with[1], 0);
    cr_assert_eq(with[5], 0);
    cr_assert_eq(bm_tenders(g_bm, "g05", 2025, &n, with), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(with[0], 1);
    cr_assert_eq(bm_tenders(g_bm, "g05", 2024, &n, with), -ENOENT);
}

Test(bma, share_quartiles_and_percentile)
{
    /* sorted: 10 20 30 35 40 40 45 50 50 55 60 60, type 7, n = 12:
     * Q1 h = 2.75: 30 + 0.75 x 5 = 33.75; median h = 5.5: (40 + 45) / 2 = 42.5;
     * Q3 h = 8.25: 50 + 0.25 x 5 = 51.25. g05 = 50: 7 below, 2 equal -> 100 x 8 / 12;
     * 42.5 <= 50 < 51.25: third quartile */
    bm_pos_t p;
    int m = BM_M_SHARE(1);
    cr_assert_eq(bm_position(g_bm, "g05", m, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 12);
    NEAR(p.value, 50);
    NEAR(p.q1, 33.75);
    NEAR(p.median, 42.5);
    NEAR(p.q3, 51.25);
    NEAR(p.percentile, 800.0 / 12.0);
    cr_assert_eq(p.quartile, 3);
    /* circulair: every buyer 0 % -> all quartiles 0, g05 at 50 (12 equal / 2) */
    cr_assert_eq(bm_position(g_bm, "g05", BM_M_SHARE(2), 2026, BM_NORM_ABS, &p), 0);
    NEAR(p.value, 0);
    NEAR(p.median, 0);
    NEAR(p.percentile, 50);
    char why[512];
    cr_assert_str_eq(bm_sentence(g_bm, "g05", BM_M_SHARE(2), BM_NORM_ABS, &p, TEXT_NL, why,
                                 sizeof why),
                     "G05 staat met 0% van de aanbestedingen met een ambitie voor Circulair "
                     "gelijk aan de mediaan van de gemeenten van 20.000-50.000 inwoners (Q1, "
                     "mediaan en Q3 zijn gelijk)");
    /* shares have no other normalisation */
    cr_assert_eq(bm_position(g_bm, "g05", m, 2026, BM_NORM_PER_INH, &p), -EINVAL);
    char buf[512];
    cr_assert_eq(bm_position(g_bm, "g05", m, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_str_eq(bm_sentence(g_bm, "g05", m, BM_NORM_ABS, &p, TEXT_NL, buf, sizeof buf),
                     "G05 staat met 50,0% van de aanbestedingen met een ambitie voor Klimaat in "
                     "het derde kwartiel van de gemeenten van 20.000-50.000 inwoners");
}

Test(bma, level_quartiles_and_percentile)
{
    /* levels sorted: 1 1 1 2 2 2 3 3 4 4 5 5: Q1 h = 2.75: 1 + 0.75 x 1 = 1.75;
     * median h = 5.5: (2 + 3) / 2 = 2.5; Q3 h = 8.25: 4 + 0.25 x 0 = 4.
     * g05 = 5: 10 below, 2 equal -> 100 x 11 / 12; >= Q3: fourth quartile.
     * g06 = 1: 0 below, 3 equal -> 100 x 1.5 / 12 = 12.5; < Q1: first quartile */
    bm_pos_t p;
    int m = BM_M_LEVEL(1);
    cr_assert_eq(bm_position(g_bm, "g05", m, 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 12);
    NEAR(p.value, 5);
    NEAR(p.q1, 1.75);
    NEAR(p.median, 2.5);
    NEAR(p.q3, 4);
    NEAR(p.percentile, 1100.0 / 12.0);
    cr_assert_eq(p.quartile, 4);
    cr_assert_eq(bm_position(g_bm, "g06", m, 2026, BM_NORM_ABS, &p), 0);
    NEAR(p.percentile, 12.5);
    cr_assert_eq(p.quartile, 1);
    /* no level declared for circulair: no value */
    cr_assert_eq(bm_position(g_bm, "g05", BM_M_LEVEL(2), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE);
    cr_assert_eq(p.count, 0);
}

Test(bma, a_tender_gains_an_ambition_live)
{
    /* g03: 3 -> 4 of 10 with klimaat = 40 %. sorted: 10 20 35 40 40 40 45 50 50 55 60 60:
     * Q1 = 35 + 0.75 x 5 = 38.75, median (40 + 45) / 2 = 42.5, Q3 51.25; g03 now 40:
     * 3 below, 3 equal -> 100 x 4.5 / 12 = 37.5, second quartile */
    s_buyer("g03", 10, 4);
    bm_pos_t p;
    cr_assert_eq(bm_position(g_bm, "g03", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    NEAR(p.value, 40);
    NEAR(p.q1, 38.75);
    NEAR(p.median, 42.5);
    NEAR(p.q3, 51.25);
    NEAR(p.percentile, 37.5);
    cr_assert_eq(p.quartile, 2);
    /* the cost of the change is bounded by the class (12 buyers, 6 themes), not the set */
    cr_assert_leq(bm_last_work(g_bm), 6 * 2 * 12 + 6);
    /* its tenders all cancelled: it leaves the distribution (11 left) */
    bm_tcount_t none = { 0 };
    cr_assert_eq(bm_tcount_apply(g_bm, "g03", &none), 0);
    cr_assert_eq(bm_position(g_bm, "g05", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.count, 11);
    cr_assert_eq(bm_position(g_bm, "g03", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE);
    /* a resnapshot of the KPI totals keeps the calendar's shares and the levels */
    bm_clear(g_bm);
    cr_assert_eq(bm_position(g_bm, "g05", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.count, 11);
    cr_assert_eq(bm_position(g_bm, "g05", BM_M_LEVEL(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.count, 12);
}

Test(bma, fewer_than_k_shows_nothing)
{
    /* c1..c4: 4 < k = 5 buyers with tenders: no count, no quartiles, no percentile */
    bm_pos_t p;
    cr_assert_eq(bm_position(g_bm, "c2", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_TOO_FEW);
    cr_assert(p.has_value);
    NEAR(p.value, 50);                    /* its own 2 of 4 */
    cr_assert_eq(p.count, 0);
    cr_assert_eq(p.quartile, 0);
    bm_dist_t d;
    cr_assert_eq(bm_distribution(g_bm, p.cls, BM_M_SHARE(1), 2026, BM_NORM_ABS, &d), 0);
    cr_assert_eq(d.status, BM_TOO_FEW);
    cr_assert_eq(d.count, 0);
    /* c5 joins with 5 of 4? refused; 4 of 4 = 100 %: 25 50 75 100 100 -> median 75 */
    int64_t bad[BM_THEMES] = { 5 };
    cr_assert_eq(bm_set_tenders(g_bm, "c5", 2026, 4, bad), -EINVAL);
    s_buyer("c5", 4, 4);
    cr_assert_eq(bm_position(g_bm, "c2", BM_M_SHARE(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_OK);
    cr_assert_eq(p.count, 5);
    NEAR(p.median, 75);
    NEAR(p.q1, 50);
    NEAR(p.q3, 100);
    /* their levels: none declared, so none shown */
    cr_assert_eq(bm_position(g_bm, "c2", BM_M_LEVEL(1), 2026, BM_NORM_ABS, &p), 0);
    cr_assert_eq(p.status, BM_NO_VALUE);
}

Test(bma, renderings_hold_no_other_buyer)
{
    json_t *o = bm_json_buyer(g_bm, "g05", 2026, TEXT_NL);
    cr_assert(o);
    json_t *k = json_array_get(json_object_get(o, "kpis"), BM_M_SHARE(1) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(k, "kpi")), "share.klimaat");
    cr_assert_eq(json_integer_value(json_object_get(k, "tenders")), 10);
    cr_assert_eq(json_integer_value(json_object_get(k, "with_ambition")), 5);
    cr_assert_eq(json_array_size(json_object_get(k, "norms")), 1);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    for (int i = 1; i <= 12; i++) {
        char id[16];
        if (i == 5)
            continue;
        snprintf(id, sizeof id, "\"g%02d\"", i);
        cr_assert_null(strstr(s, id), "%s in %s", id, s);
        snprintf(id, sizeof id, "G%02d", i);
        cr_assert_null(strstr(s, id), "%s in %s", id, s);
    }
    /* the maxima (60 %, level 5 belongs to g05 itself) and another's 35 % never appear */
    cr_assert_null(strstr(s, ":60.0"), "%s", s);
    cr_assert_null(strstr(s, ":35.0"), "%s", s);
    free(s);
    size_t len = 0;
    char *csv = bm_csv_open_data(g_bm, TEXT_NL, &len);
    cr_assert(csv);
    cr_assert(strstr(csv, "2026,\"gemeente.20000-49999\",\"share.klimaat\",\"absolute\","
                          "\"procent van de aanbestedingen\",12,33.75,42.5,51.25\r\n"), "%s", csv);
    cr_assert(strstr(csv, "2026,\"gemeente.20000-49999\",\"level.klimaat\",\"absolute\","
                          "\"niveau (1-5)\",12,1.75,2.5,4\r\n"), "%s", csv);
    cr_assert_null(strstr(csv, "gemeente.50000-99999"), "4 < k: %s", csv);
    cr_assert_null(strstr(csv, "share.klimaat\",\"per_"), "%s", csv);
    free(csv);
}

Test(bma_registry, level_keys_checked)
{
    static const char *const bad[] = {
        "ambition_level.klimaat = 6\nambition_level_year = 2026\nambition_level_source = x\n",
        "ambition_level.klimaat = 0\nambition_level_year = 2026\nambition_level_source = x\n",
        "ambition_level.weer = 2\nambition_level_year = 2026\nambition_level_source = x\n",
        "ambition_level.klimaat = 2\nambition_level_year = 2026\n",
        "ambition_level_year = 2026\nambition_level_source = x\n",
        "ambition_level.klimaat = 2\nambition_level.klimaat = 3\nambition_level_year = 2026\n"
        "ambition_level_source = x\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char path[64], err[256];
        snprintf(path, sizeof path, "/tmp/mvoi-bmr-XXXXXX");
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w");
        fprintf(f, "[x]\nname = X\nkind = gemeente\n%s", bad[i]);
        fclose(f);
        mvoi_buyers_t *r = mvoi_buyers_load(path, false, err, sizeof err);
        unlink(path);
        cr_assert_null(r, "accepted: %s", bad[i]);
        cr_assert(strstr(err, "ambition_level"), "%s: %s", bad[i], err);
    }
}
