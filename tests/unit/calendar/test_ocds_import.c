/* ocds_import: the open-contracting sample files in ../shared/data/ocds. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "ocds_import.h"

static const char *files[] = {
    CAL_OCDS_DIR "/ocds-213czf-000-00001-01-planning.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-02-tender.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-03-tenderAmendment.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-04-award.json",
};

static bool has_warning(const ocds_result_t *r, const char *field)
{
    for (size_t i = 0; i < r->n_warnings; i++)
        if (strcmp(r->warnings[i].field, field) == 0)
            return true;
    return false;
}

static void check_common(const Mvoi__Tender *t)
{
    cr_assert_str_eq(t->id, "ocds-213czf-000-00001");
    cr_assert_str_eq(t->title, "Planned cycle lane improvements");
    cr_assert_str_eq(t->buyer, "London Borough of Barnet");
    cr_assert_eq(t->kind, MVOI__TENDER_KIND__KIND_WERKEN);
    /* 1,000,000 in the planning release, 1,100,000 from the tender release on */
    cr_assert_eq(t->value_cents, 110000000);
    cr_assert_str_eq(t->cpv, "45233130"); /* "45233130.0" in the sample */
    cr_assert_str_eq(t->contract_start, "2010-07-01");
    cr_assert_str_eq(t->contract_end, "2011-06-30");
    cr_assert_str_eq(t->source, "ocds:ocds-213czf-000-00001");
}

Test(ocds, single_planning_release)
{
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_file(imp, files[0], err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    cr_assert_eq(ocds_import_compile(imp, NULL, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    const Mvoi__Tender *t = r.tenders[0];
    cr_assert_eq(t->value_cents, 100000000);
    cr_assert_str_eq(t->planned_publication, "2010-02-01");
    cr_assert_str_eq(t->contract_start, "2010-06-01");
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_PLANNED);
    cr_assert(has_warning(&r, "tender.value.currency"), "GBP is reported");
    ocds_result_clear(&r);
    ocds_import_destroy(&imp);
    cr_assert_null(imp);
}

Test(ocds, releases_merge_into_compiled)
{
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    /* added out of order on purpose: the release date decides, not the file order */
    for (int i = 3; i >= 0; i--)
        cr_assert_eq(ocds_import_add_file(imp, files[i], err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    cr_assert_eq(ocds_import_compile(imp, NULL, &r), 0);
    cr_assert_eq(r.releases, 4);
    cr_assert_eq(r.n_tenders, 1);
    const Mvoi__Tender *t = r.tenders[0];
    check_common(t);
    /* tenderPeriod.startDate 2010-02-01 (planning) replaced by 2010-03-01 (tender) */
    cr_assert_str_eq(t->planned_publication, "2010-03-01");
    /* the award release: tender complete, award still pending -> awarded */
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_AWARDED);
    cr_assert_eq(r.n_warnings, 1);
    ocds_result_clear(&r);
    ocds_import_destroy(&imp);
}

Test(ocds, record_package)
{
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_file(imp, CAL_OCDS_DIR "/record-ocds-213czf-000-00001.json", err, sizeof err), 0,
                 "%s", err);
    ocds_result_t r;
    thresholds_t *th = cal_test_thresholds();
    ocds_import_opts_t o = {.thresholds = th, .today = "2025-01-01"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    const Mvoi__Tender *t = r.tenders[0];
    check_common(t);
    cr_assert_str_eq(t->planned_publication, "2010-03-01");
    /* compiled release has an active contract */
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_IN_EXECUTION);
    /* 2010 predates every threshold table: procedure left open, not guessed */
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_UNSPECIFIED);
    ocds_result_clear(&r);
    /* the releases and the record together still give one tender; the compiled release
     * (dated 2011-01-10) is the latest */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(ocds_import_add_file(imp, files[i], err, sizeof err), 0);
    cr_assert_eq(ocds_import_compile(imp, NULL, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_eq(r.tenders[0]->status, MVOI__TENDER_STATUS__STATUS_IN_EXECUTION);
    ocds_result_clear(&r);
    thresholds_destroy(&th);
    ocds_import_destroy(&imp);
}

Test(ocds, amounts_exact)
{
    struct {
        const char *json;
        long long cents;
    } cases[] = {
        {"1100000", 110000000}, {"1234.56", 123456}, {"1234.565", 123457}, {"0.1", 10},
        {"0.005", 1},           {"0.0049", 0},       {"\"2500.5\"", 250050}, {"1e6", 100000000},
        {"216000.00", 21600000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t je;
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, &je);
        cr_assert_not_null(v, "%s", cases[i].json);
        int64_t c = -1;
        cr_assert_eq(ocds_amount_cents(v, &c), 0, "%s", cases[i].json);
        cr_assert_eq(c, cases[i].cents, "%s -> %lld", cases[i].json, (long long)c);
        json_decref(v);
    }
    const char *bad[] = {"-1", "\"abc\"", "null", "1e12", NULL};
    for (int i = 0; bad[i]; i++) {
        json_error_t je;
        json_t *v = json_loads(bad[i], JSON_DECODE_ANY, &je);
        int64_t c;
        cr_assert_eq(ocds_amount_cents(v, &c), -EINVAL, "%s", bad[i]);
        json_decref(v);
    }
}

Test(ocds, unusable_input)
{
    ocds_import_t *imp;
    char err[256] = "";
    cr_assert_eq(ocds_import_new(&imp), 0);
    const char *broken = "{\"releases\": [";
    cr_assert_eq(ocds_import_add_json(imp, broken, strlen(broken), err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "line") != NULL);
    const char *other = "{\"hello\": 1}";
    cr_assert_eq(ocds_import_add_json(imp, other, strlen(other), err, sizeof err), -EINVAL);
    /* a release without a title is skipped with a warning, the valid one is kept */
    const char *two = "{\"releases\":["
                      "{\"ocid\":\"ocds-x-1\",\"date\":\"2025-01-01T00:00:00Z\",\"tender\":{\"mainProcurementCategory\":\"services\"}},"
                      "{\"ocid\":\"ocds-x-2\",\"date\":\"2025-01-01T00:00:00Z\",\"buyer\":{\"name\":\"Heerlen\"},"
                      "\"tender\":{\"title\":\"Geldautomaten\",\"mainProcurementCategory\":\"services\","
                      "\"value\":{\"amount\":250000.5,\"currency\":\"EUR\"},\"tenderPeriod\":{\"startDate\":\"2025-03-01T09:00:00+01:00\"}}}]}";
    cr_assert_eq(ocds_import_add_json(imp, two, strlen(two), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    ocds_import_opts_t o = {.default_buyer = "heerlen"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_str_eq(r.tenders[0]->id, "ocds-x-2");
    cr_assert_eq(r.tenders[0]->kind, MVOI__TENDER_KIND__KIND_DIENSTEN);
    cr_assert_eq(r.tenders[0]->value_cents, 25000050);
    cr_assert_str_eq(r.tenders[0]->planned_publication, "2025-03-01");
    cr_assert_eq(r.tenders[0]->status, MVOI__TENDER_STATUS__STATUS_UNSPECIFIED);
    cr_assert_eq(r.n_warnings, 1);
    cr_assert_str_eq(r.warnings[0].ocid, "ocds-x-1");
    cr_assert_str_eq(r.warnings[0].field, "tender.title");
    ocds_result_clear(&r);
    ocds_import_destroy(&imp);
}
