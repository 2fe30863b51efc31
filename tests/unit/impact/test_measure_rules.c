/*  measure_rules: envelope validation and impact differences. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "impact_fixture.h"

static Mvoi__Measurement M;
static Mvoi__PilotStatus P = MVOI__PILOT_STATUS__INIT;

static void
s_setup(void)
{
    fx_envelope(&M);
    M.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    M.pilot = &P;
}

TestSuite(measure, .init = s_setup);

static void
s_bad(const char *field)
{
    impact_error_t err;
    cr_assert_eq(measure_validate(&M, &err), -EINVAL, "expected an error on %s", field);
    cr_assert_str_eq(err.field, field, "%s", err.message);
    cr_assert_eq(err.code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_eq(strncmp(err.message, field, strlen(field)), 0, "%s", err.message);
    fx_envelope(&M);
    M.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    M.pilot = &P;
}

Test(measure, accepts_a_valid_envelope)
{
    impact_error_t err;
    cr_assert_eq(measure_validate(&M, &err), 0, "%s", err.message);
    M.id = "leverancier-x/2026.Q1:regel_7";
    M.period_start = "2024-02-29";              /* leap day */
    M.period_end = "2024-02-29";                /* one-day period: end == start */
    M.buyer = "Gemeente Heerlen";
    M.reason = "correctie na controle";
    cr_assert_eq(measure_validate(&M, &err), 0, "%s", err.message);
    char id[MEASURE_ID_MAX + 1];
    memset(id, 'a', MEASURE_ID_MAX);
    id[MEASURE_ID_MAX] = '\0';
    M.id = id;
    cr_assert_eq(measure_validate(&M, &err), 0, "64 characters is the limit, inclusive");
}

Test(measure, rejects_bad_ids)
{
    char id[MEASURE_ID_MAX + 2];
    memset(id, 'a', MEASURE_ID_MAX + 1);
    id[MEASURE_ID_MAX + 1] = '\0';
    M.id = id;
    s_bad("measurement.id");
    M.id = NULL;
    s_bad("measurement.id");
    M.id = "";
    s_bad("measurement.id");
    M.id = "with space";
    s_bad("measurement.id");
    M.id = "m\xc3\xa9";                         /* non-ASCII */
    s_bad("measurement.id");
    M.id = "a\nb";
    s_bad("measurement.id");
}

Test(measure, rejects_missing_or_bad_fields)
{
    M.tender_id = NULL;
    s_bad("measurement.tender_id");
    M.tender_id = "";
    s_bad("measurement.tender_id");
    M.has_phase = 0;
    s_bad("measurement.phase");
    M.phase = MVOI__PHASE__PHASE_UNSPECIFIED;
    s_bad("measurement.phase");
    M.phase = 7;
    s_bad("measurement.phase");
    M.submitter = NULL;
    s_bad("measurement.submitter");
    M.submitter = "a\tb";
    s_bad("measurement.submitter");
    M.buyer = "x\x7f";
    s_bad("measurement.buyer");
}

Test(measure, rejects_bad_periods)
{
    M.period_start = NULL;
    s_bad("measurement.period_start");
    M.period_start = "2026-1-01";
    s_bad("measurement.period_start");
    M.period_start = "2026-02-30";
    s_bad("measurement.period_start");
    M.period_start = "2025-02-29";              /* 2025 is not a leap year */
    s_bad("measurement.period_start");
    M.period_start = "2026-13-01";
    s_bad("measurement.period_start");
    M.period_start = "1999-12-31";              /* outside 2000..2100 */
    s_bad("measurement.period_start");
    M.period_end = "2026/03/31";
    s_bad("measurement.period_end");
    M.period_end = "2025-12-31";                /* before start 2026-01-01 */
    s_bad("measurement.period_end");
    M.period_end = "";
    s_bad("measurement.period_end");
}

Test(measure, requires_exactly_one_kind)
{
    M.kind_case = MVOI__MEASUREMENT__KIND__NOT_SET;
    M.pilot = NULL;
    s_bad("measurement.kind");
    M.kind_case = 99;                           /* an arm this build does not know */
    s_bad("measurement.kind");
    M.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    M.energy = NULL;
    s_bad("measurement.kind");
}

Test(measure, parses_dates_and_years)
{
    int y, m, d;
    cr_assert_eq(measure_parse_date("2000-02-29", &y, &m, &d), 0);   /* 400-year leap */
    cr_assert_eq(y * 10000 + m * 100 + d, 20000229);
    cr_assert_eq(measure_parse_date("1900-02-29", NULL, NULL, NULL), -EINVAL);
    cr_assert_eq(measure_parse_date("2026-04-31", NULL, NULL, NULL), -EINVAL);
    cr_assert_eq(measure_parse_date("2026-04-30x", NULL, NULL, NULL), -EINVAL);
    cr_assert_eq(measure_parse_date(NULL, NULL, NULL, NULL), -EINVAL);
    cr_assert_eq(measure_year(&M), 2026);
    M.period_start = "garbage";
    cr_assert_eq(measure_year(&M), -EINVAL);
}

Test(measure, diff_of_a_correction)
{
    /* First 20,000 kg CO2 reported, corrected to 27,830 kg: totals move by +7,830 kg. */
    Mvoi__Impact before = MVOI__IMPACT__INIT, now = MVOI__IMPACT__INIT, d;
    before.has_co2_avoided_g = 1;
    before.co2_avoided_g = 20000000;
    before.has_theme = 1;
    before.theme = MVOI__THEME__THEME_KLIMAAT;
    now = before;
    now.co2_avoided_g = 27830000;
    cr_assert_eq(impact_diff(&now, &before, &d), 0);
    cr_assert(d.has_co2_avoided_g);
    cr_assert_eq(d.co2_avoided_g, 7830000);
    cr_assert_not(d.has_nox_avoided_mg, "absent on both sides stays absent");
    cr_assert_eq(d.theme, MVOI__THEME__THEME_KLIMAAT);
    cr_assert_eq(d.n_factors, 0);
}

Test(measure, diff_of_first_computation_and_withdrawal)
{
    Mvoi__Impact imp = MVOI__IMPACT__INIT, d;
    imp.has_sroi_realised_cents = 1;
    imp.sroi_realised_cents = 2000000;
    imp.has_pilots = 1;
    imp.pilots = 1;
    imp.has_theme = 1;
    imp.theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    cr_assert_eq(impact_diff(&imp, NULL, &d), 0);          /* first: + everything */
    cr_assert_eq(d.sroi_realised_cents, 2000000);
    cr_assert_eq(d.pilots, 1);
    cr_assert_eq(impact_diff(NULL, &imp, &d), 0);          /* withdrawal: - everything */
    cr_assert_eq(d.sroi_realised_cents, -2000000);
    cr_assert_eq(d.pilots, -1);
    cr_assert_eq(d.theme, MVOI__THEME__THEME_SOCIAL_RETURN);
    /* A field present only in the new revision: difference is its value. */
    Mvoi__Impact now = imp;
    now.has_mki_avoided_cents = 1;
    now.mki_avoided_cents = 5;
    cr_assert_eq(impact_diff(&now, &imp, &d), 0);
    cr_assert(d.has_mki_avoided_cents);
    cr_assert_eq(d.mki_avoided_cents, 5);
    cr_assert_eq(d.sroi_realised_cents, 0);
    cr_assert(d.has_sroi_realised_cents);
}

Test(measure, diff_overflow_is_reported)
{
    Mvoi__Impact a = MVOI__IMPACT__INIT, b = MVOI__IMPACT__INIT, d;
    a.has_co2_avoided_g = 1;
    a.co2_avoided_g = INT64_MAX;
    b.has_co2_avoided_g = 1;
    b.co2_avoided_g = -1;
    cr_assert_eq(impact_diff(&a, &b, &d), -EOVERFLOW);
    cr_assert_eq(impact_diff(&a, &b, NULL), -EINVAL);
}
