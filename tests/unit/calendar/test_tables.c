/* thresholds + isv_map: the shipped data files and the loaders' error handling. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cal_date.h"
#include "mvoi_names.h"
#include "cal_test.h"

Test(thresholds, shipped_tables_load)
{
    thresholds_t *th = cal_test_thresholds();
    cr_assert_not_null(th);
    cr_assert_eq(thresholds_period_count(th), 2);
    cr_assert_str_eq(thresholds_period_name(th, 0), "2024-2025");
    cr_assert_str_eq(thresholds_period_name(th, 1), "2026-2027");
    int64_t c;
    cr_assert_eq(thresholds_eu_cents(th, MVOI__TENDER_KIND__KIND_DIENSTEN, "2025-06-30", &c), 0);
    cr_assert_eq(c, 22100000);
    cr_assert_eq(thresholds_eu_cents(th, MVOI__TENDER_KIND__KIND_LEVERINGEN, "2027-12-31", &c), 0);
    cr_assert_eq(c, 21600000);
    cr_assert_eq(thresholds_eu_cents(th, MVOI__TENDER_KIND__KIND_WERKEN, "2024-01-01", &c), 0);
    cr_assert_eq(c, 553800000);
    cr_assert_eq(thresholds_eu_cents(th, MVOI__TENDER_KIND__KIND_WERKEN, "2026-01-01", &c), 0);
    cr_assert_eq(c, 540400000);
    thresholds_destroy(&th);
    cr_assert_null(th);
}

Test(thresholds, derive_reports_band_and_verification)
{
    thresholds_t *th = cal_test_thresholds();
    thresholds_result_t r;
    /* services 100,000 in 2025: the municipal meervoudig band, marked unverified */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_DIENSTEN, 10000000, "2025-04-01", NULL, &r), 0);
    cr_assert_eq(r.procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    cr_assert(!r.verified);
    cr_assert_eq(r.band_from_cents, 5000000);
    cr_assert_str_eq(r.period, "2024-2025");
    /* EU band is verified and names its regulation */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_DIENSTEN, 30000000, "2026-04-01", NULL, &r), 0);
    cr_assert(r.verified);
    cr_assert(strstr(r.source, "2025/2152") != NULL);
    /* no date: the caller's today decides */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_DIENSTEN, 21700000, "", "2026-05-05", &r), 0);
    cr_assert_str_eq(r.period, "2026-2027");
    cr_assert_eq(r.procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    /* after the last table: it stays in force */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_WERKEN, 100000, "2029-01-01", NULL, &r), 0);
    cr_assert_str_eq(r.period, "2026-2027");
    /* before the first: no table */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_WERKEN, 100000, "2023-12-31", NULL, &r), -ENOENT);
    /* bad input */
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_UNSPECIFIED, 1, "2025-01-01", NULL, &r), -EINVAL);
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_WERKEN, -1, "2025-01-01", NULL, &r), -EINVAL);
    cr_assert_eq(thresholds_derive(th, MVOI__TENDER_KIND__KIND_WERKEN, 1, NULL, NULL, &r), -EINVAL);
    thresholds_destroy(&th);
}

static char *make_dir(const char *body)
{
    char *dir = strdup("/tmp/mvoi-thr-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/thresholds-x.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(body, f);
    fclose(f);
    return dir;
}

static void rm_dir(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/thresholds-x.csv", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

Test(thresholds, loader_rejects_bad_data)
{
    const char *bodies[] = {
        /* bands not increasing */
        "period;p;2024-01-01;2025-12-31\nband;werken;0;enkelvoudig;unverified;x\nband;werken;0;meervoudig;unverified;x\n"
        "band;leveringen;0;enkelvoudig;unverified;x\nband;diensten;0;enkelvoudig;unverified;x\n",
        /* missing kind */
        "period;p;2024-01-01;2025-12-31\nband;werken;0;enkelvoudig;unverified;x\n",
        /* first band not at 0 */
        "period;p;2024-01-01;2025-12-31\nband;werken;10;enkelvoudig;unverified;x\n",
        /* bad date */
        "period;p;2024-02-30;2025-12-31\n",
        /* unknown procedure */
        "period;p;2024-01-01;2025-12-31\nband;werken;0;onderhands;unverified;x\n",
        NULL,
    };
    for (int i = 0; bodies[i]; i++) {
        char *dir = make_dir(bodies[i]);
        thresholds_t *th = NULL;
        char err[256] = "";
        cr_assert_eq(thresholds_load_dir(dir, &th, err, sizeof err), -EINVAL, "body %d", i);
        cr_assert_null(th);
        cr_assert(strstr(err, "thresholds-x.csv") != NULL, "error names the file: %s", err);
        rm_dir(dir);
    }
    thresholds_t *th = NULL;
    char err[256];
    cr_assert_eq(thresholds_load_dir("/nonexistent/mvoi", &th, err, sizeof err), -ENOENT);
}

Test(isv, shipped_map)
{
    isv_map_t *m = NULL;
    char err[256];
    cr_assert_eq(isv_map_load_dir(CAL_DATA_DIR, &m, err, sizeof err), 0, "%s", err);
    cr_assert_gt(isv_map_size(m), 20);
    /* keyword on purchasing group, case-insensitive */
    cr_assert_str_eq(isv_map_lookup(m, "Bedrijfskleding buitendienst", NULL), "bedrijfskleding");
    cr_assert_str_eq(isv_map_lookup(m, "ICT Werkomgeving", NULL), "ict werkomgeving");
    cr_assert_str_eq(isv_map_lookup(m, "Natuursteen en bestrating", "45233141-9"), "natuursteen");
    /* CPV prefix: 18100000 occupational clothing, 55520000 catering, 30213000 computers */
    cr_assert_str_eq(isv_map_lookup(m, "Facilitair", "18100000-0"), "bedrijfskleding");
    cr_assert_str_eq(isv_map_lookup(m, NULL, "55520000-1"), "catering");
    cr_assert_str_eq(isv_map_lookup(m, NULL, "30213000"), "ict werkomgeving");
    /* longest prefix wins: 30197600 (paper) is under 3019 too, both werkplekomgeving */
    cr_assert_str_eq(isv_map_lookup(m, NULL, "30197600-2"), "werkplekomgeving");
    /* no risk group: road works */
    cr_assert_null(isv_map_lookup(m, "Openbare ruimte", "45233141-9"));
    cr_assert_null(isv_map_lookup(m, NULL, NULL));
    isv_map_destroy(&m);
    cr_assert_null(m);
}

Test(names, parse_and_name)
{
    Mvoi__Theme th;
    cr_assert_eq(mvoi_theme_parse("Diversiteit en Inclusie", &th), 0);
    cr_assert_eq(th, MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE);
    cr_assert_eq(mvoi_theme_parse("social-return", &th), 0);
    cr_assert_eq(th, MVOI__THEME__THEME_SOCIAL_RETURN);
    cr_assert_eq(mvoi_theme_parse("klimaatx", &th), -EINVAL);
    Mvoi__TenderKind k;
    cr_assert_eq(mvoi_kind_parse("Works", &k), 0);
    cr_assert_eq(k, MVOI__TENDER_KIND__KIND_WERKEN);
    cr_assert_str_eq(mvoi_kind_name(MVOI__TENDER_KIND__KIND_LEVERINGEN), "leveringen");
    cr_assert_str_eq(mvoi_procedure_name(MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR), "europees_openbaar");
    cr_assert_str_eq(mvoi_status_name(MVOI__TENDER_STATUS__STATUS_IN_EXECUTION), "in_execution");
}

Test(dates, arithmetic)
{
    char out[11];
    cr_assert_eq(cal_date_add_days("2024-02-28", 1, out), 0);
    cr_assert_str_eq(out, "2024-02-29");
    cr_assert_eq(cal_date_add_days("2025-12-31", 90, out), 0);
    cr_assert_str_eq(out, "2026-03-31");
    cr_assert_eq(cal_date_quarter("2025-04-01"), 2);
    cr_assert_eq(cal_date_quarter("2025-12-31"), 4);
    cr_assert(!cal_date_valid("1900-02-29"));
    cr_assert(cal_date_valid("2000-02-29"));
}
