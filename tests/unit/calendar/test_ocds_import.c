/* ocds_import: the open-contracting samples and our own TenderNed-style packages in
 * tests/fixtures/ocds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cal_test.h"
#include "ocds_import.h"

static const char *files[] = {
    CAL_OCDS_DIR "/ocds-213czf-000-00001-01-planning.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-02-tender.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-03-tenderAmendment.json",
    CAL_OCDS_DIR "/ocds-213czf-000-00001-04-award.json",
};

#define NL_RELEASES CAL_OCDS_DIR "/nl-release-package-heerlen.json"
#define NL_RECORDS CAL_OCDS_DIR "/nl-record-package-heerlen.json"

static const ocds_warning_t *refusal(const ocds_result_t *r, const char *ocid)
{
    for (size_t i = 0; i < r->n_errors; i++)
        if (strcmp(r->errors[i].ocid, ocid) == 0)
            return &r->errors[i];
    return NULL;
}

static const Mvoi__Tender *tender_of(const ocds_result_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_tenders; i++)
        if (strcmp(r->tenders[i]->id, id) == 0)
            return r->tenders[i];
    return NULL;
}

static void compile_files(const char *const *paths, size_t n, const ocds_import_opts_t *o,
                          ocds_result_t *r)
{
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ocds_import_add_file(imp, paths[i], err, sizeof err), 0, "%s", err);
    cr_assert_eq(ocds_import_compile(imp, o, r), 0);
    ocds_import_destroy(&imp);
    cr_assert_null(imp);
}

/* The open-contracting samples are in pounds: refused, not stored as euros. */
Test(ocds, samples_in_gbp_refused_not_taken_as_euros)
{
    ocds_result_t r;
    compile_files(files, 4, NULL, &r);
    cr_assert_eq(r.releases, 4);
    cr_assert_eq(r.n_tenders, 0);
    cr_assert_eq(r.n_errors, 1);
    cr_assert_str_eq(r.errors[0].ocid, "ocds-213czf-000-00001");
    cr_assert_str_eq(r.errors[0].field, "tender.value.currency");
    /* in Dutch: the default language of the refusals */
    cr_assert_str_eq(r.errors[0].message,
                     "valuta 'GBP': alleen bedragen in EUR worden overgenomen (er wordt niets "
                     "omgerekend)");
    ocds_result_clear(&r);
    const char *rec[] = { CAL_OCDS_DIR "/record-ocds-213czf-000-00001.json" };
    compile_files(rec, 1, NULL, &r);
    cr_assert_eq(r.n_tenders, 0);
    cr_assert_eq(r.n_errors, 1);
    ocds_result_clear(&r);
}

/* A TenderNed-style package, releases out of date order: each process compiled by date. */
Test(ocds, dutch_release_package_lifecycle_method_currency)
{
    ocds_result_t r;
    const char *p[] = { NL_RELEASES };
    compile_files(p, 1, NULL, &r);
    cr_assert_eq(r.releases, 8);
    cr_assert_eq(r.n_tenders, 4);
    const ocds_warning_t *e = refusal(&r, "ocds-hrl042-2025-303");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->field, "tender.value.currency");
    cr_assert_str_eq(e->message, "valuta 'USD': alleen bedragen in EUR worden overgenomen (er "
                                 "wordt niets omgerekend)");
    const Mvoi__Tender *t = tender_of(&r, "ocds-hrl042-2025-301");
    cr_assert_not_null(t);
    cr_assert_str_eq(t->title, "Groenonderhoud openbare ruimte 2025-2029");
    cr_assert_str_eq(t->description,
                     "Maaien, snoeien en onkruidbeheer in alle wijken; emissieloos materieel vanaf 2027.");
    cr_assert_eq(t->kind, MVOI__TENDER_KIND__KIND_DIENSTEN);
    cr_assert_eq(t->value_cents, 85000000);
    cr_assert_str_eq(t->planned_publication, "2025-04-01");
    /* the contract release (2025-08-01) is the latest: active contract */
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_IN_EXECUTION);
    cr_assert_str_eq(t->award_date, "2025-07-08");
    cr_assert_str_eq(t->contract_signed, "2025-07-30");
    cr_assert_str_eq(t->contract_start, "2025-09-01");
    cr_assert_str_eq(t->contract_end, "2029-08-31");
    cr_assert_str_eq(t->procurement_method, "open");
    cr_assert_str_eq(t->procurement_method_details, "Europese openbare procedure");
    t = tender_of(&r, "ocds-hrl042-2025-304");
    cr_assert_str_eq(t->procurement_method, "limited");
    cr_assert_eq(t->value_cents, 45000000);
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_PLANNED);
    t = tender_of(&r, "ocds-hrl042-2025-305");
    cr_assert(!t->has_value_cents);
    cr_assert_str_eq(t->procurement_method, "open");
    ocds_result_clear(&r);
}

/* An incremental release alone carries only what changed: a partial tender (the service
 * merges it with the stored one), never skipped for the fields it does not repeat. */
Test(ocds, cancellation_alone_is_a_partial_tender)
{
    ocds_result_t r;
    const char *p[] = { CAL_OCDS_DIR "/nl-302-2-cancellation.json" };
    compile_files(p, 1, NULL, &r);
    cr_assert_eq(r.n_errors, 0);
    cr_assert_eq(r.n_tenders, 1);
    const Mvoi__Tender *t = r.tenders[0];
    cr_assert_str_eq(t->id, "ocds-hrl042-2025-302");
    cr_assert_null(t->title);
    cr_assert(!t->has_kind && !t->has_value_cents);
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    /* the facts, not an English sentence: the publisher's words as given, the release */
    cr_assert_str_eq(t->cancel_reason, "Ingetrokken: geen geldige inschrijvingen");
    cr_assert_not_null(t->cancel_ocds);
    cr_expect_str_eq(t->cancel_ocds->release_id, "ocds-hrl042-2025-302-tenderCancellation-1");
    cr_expect_str_eq(t->cancel_ocds->release_date, "2025-05-20T16:00:00+02:00");
    ocds_result_clear(&r);
    /* after its tender release, in the same run: one tender, cancelled, title kept */
    const char *both[] = { CAL_OCDS_DIR "/nl-302-2-cancellation.json",
                           CAL_OCDS_DIR "/nl-302-1-tender.json" };
    compile_files(both, 2, NULL, &r);
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_str_eq(r.tenders[0]->title, "Leerlingenvervoer 2025-2027");
    cr_assert_eq(r.tenders[0]->status, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    cr_assert_eq(r.tenders[0]->value_cents, 125000000);
    ocds_result_clear(&r);
}

/* A cancellation's facts are kept whole: the publisher's statusDetails as given (500 bytes
 * the calendar keeps), the release's id (200) and date (64). The reason was cut to 300
 * bytes: the rest was lost while the import said it was taken, and a cut inside "é"
 * (bytes 299-300 here) left invalid UTF-8. One byte more than the calendar keeps refuses
 * the process by its OCDS path; without statusDetails the reason stays unset (no English
 * sentence: the release's facts are said at output, tender_cancel_ocds.h). */
Test(ocds, a_cancellation_reason_is_whole_or_refused)
{
    static char json[8192], det[4][700], want[1200];
    const size_t nx[4] = { 286, 500, 501, 201 };
    for (int i = 0; i < 4; i++) {
        memset(det[i], 'x', nx[i]);
        det[i][nx[i]] = '\0';
    }
    /* "Ingetrokken: " (13 bytes) + 286 x: the "é" is bytes 299 and 300 */
    snprintf(want, sizeof want, "Ingetrokken: %s\xc3\xa9 door de raad", det[0]);
    size_t n = (size_t)snprintf(json, sizeof json, "{\"releases\":[");
    /* 1: with the é, 2: 500 bytes, 3: 501 bytes, 4: an id of 201 bytes, 5: nothing but
     * the release */
    const char *detail[5] = { want, det[1], det[2], "ok", NULL };
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"ocid\":\"ocds-c-%d\",\"id\":\"%s\",\"date\":"
                              "\"2026-02-02T10:00:00+01:00\",\"tag\":[\"tenderCancellation\"],"
                              "\"tender\":{\"status\":\"cancelled\"%s%s%s}}",
                              i ? "," : "", i + 1, i == 3 ? det[3] : "r-1",
                              detail[i] ? ",\"statusDetails\":\"" : "",
                              detail[i] ? detail[i] : "", detail[i] ? "\"" : "");
    snprintf(json + n, sizeof json - n, "]}");
    ocds_import_t *imp;
    char err[256] = "";
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_json(imp, json, strlen(json), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    ocds_import_opts_t o = {.default_buyer = "heerlen"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    const Mvoi__Tender *t = tender_of(&r, "ocds-c-1");
    cr_assert_not_null(t);
    cr_expect_str_eq(t->cancel_reason, want);
    cr_expect_eq(strlen(t->cancel_reason), (size_t)13 + 286 + 2 + 13);
    t = tender_of(&r, "ocds-c-2");
    cr_assert_not_null(t);
    cr_expect_str_eq(t->cancel_reason, det[1]);
    cr_expect_null(tender_of(&r, "ocds-c-3"), "a reason of 501 bytes was taken");
    const ocds_warning_t *e = refusal(&r, "ocds-c-3");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->field, "tender.statusDetails");
    cr_expect_str_eq(e->message, "de reden van de annulering is 501 bytes, meer dan de 500 die "
                                 "de kalender bewaart");
    cr_expect_null(tender_of(&r, "ocds-c-4"), "a release id of 201 bytes was taken");
    e = refusal(&r, "ocds-c-4");
    cr_assert_not_null(e);
    cr_expect_str_eq(e->field, "id");
    cr_expect_str_eq(e->message, "het id van de release die annuleert is 201 bytes, meer dan "
                                 "de 200 die de kalender bewaart");
    t = tender_of(&r, "ocds-c-5");
    cr_assert_not_null(t);
    cr_expect_null(t->cancel_reason, "%s", t->cancel_reason);
    cr_assert_not_null(t->cancel_ocds);
    cr_expect_str_eq(t->cancel_ocds->release_id, "r-1");
    cr_expect_str_eq(t->cancel_ocds->release_date, "2026-02-02T10:00:00+01:00");
    cr_expect_eq(r.n_errors, 2);
    ocds_result_clear(&r);
    ocds_import_destroy(&imp);
}

Test(ocds, dutch_record_package)
{
    ocds_result_t r;
    thresholds_t *th = cal_test_thresholds();
    ocds_import_opts_t o = {.thresholds = th, .today = "2025-01-01"};
    const char *p[] = { NL_RECORDS };
    compile_files(p, 1, &o, &r);
    cr_assert_eq(r.n_errors, 0);
    cr_assert_eq(r.n_tenders, 2);
    const Mvoi__Tender *t = tender_of(&r, "ocds-hrl042-2024-118");
    /* compiled release: the only contract terminated -> completed */
    cr_assert_eq(t->status, MVOI__TENDER_STATUS__STATUS_COMPLETED);
    cr_assert_str_eq(t->award_date, "2024-04-12");
    cr_assert_str_eq(t->contract_signed, "2024-04-30");
    /* 260,000 supplies in 2024: the thresholds agree with the stated European procedure */
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    /* no compiled release: the embedded releases, the later one changes only the value */
    t = tender_of(&r, "ocds-hrl042-2025-310");
    cr_assert_str_eq(t->title, "Catering stadhuis (fairtrade)");
    cr_assert_eq(t->value_cents, 9850050);
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS);
    ocds_result_clear(&r);
    thresholds_destroy(&th);
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

/* A UTF-8 byte order mark in front (a feed saved by Notepad or PowerShell) is no syntax
 * error: it was "line 1 column 1: '[' or '{' expected near ..." and nothing imported. Its
 * release is read as without it; the BOM is not part of the first key or value. */
Test(ocds, utf8_bom_in_front_is_skipped)
{
    ocds_import_t *imp;
    char err[256] = "";
    cr_assert_eq(ocds_import_new(&imp), 0);
    const char *bom = "\xEF\xBB\xBF{\"releases\":[{\"ocid\":\"ocds-x-8\",\"date\":"
                      "\"2025-01-01T00:00:00Z\",\"tender\":{\"title\":\"Bom\"}}]}";
    cr_assert_eq(ocds_import_add_json(imp, bom, strlen(bom), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    ocds_import_opts_t o = {.default_buyer = "heerlen"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    cr_expect_str_eq(r.tenders[0]->id, "ocds-x-8");
    cr_expect_str_eq(r.tenders[0]->title, "Bom");
    ocds_result_clear(&r);
    /* a BOM anywhere else is no BOM: a syntax error at its place, as before */
    const char *late = " \xEF\xBB\xBF{}";
    cr_expect_eq(ocds_import_add_json(imp, late, strlen(late), err, sizeof err), -EINVAL);
    ocds_import_destroy(&imp);
}

/* A feed that is not UTF-8 (Windows-1252 "caf\xE9") is refused in the reader's language
 * with the byte, its offset in the file (from 0; a BOM counts) and its line and character;
 * it was jansson's English "unable to decode byte 0xe9 near ..." in every language. The
 * figures: line 2 is two spaces and `"releases": [{"ocid": "caf` (28 characters), so the
 * byte is character 29 of line 2, at offset 2 + 28 = 30, or 33 behind a BOM. */
Test(ocds, not_utf8_is_refused_with_its_place_in_the_readers_language)
{
    ocds_import_t *imp;
    char err[256] = "";
    cr_assert_eq(ocds_import_new(&imp), 0);
    const char *doc = "{\n  \"releases\": [{\"ocid\": \"caf\xE9\"}]}";
    cr_expect_eq(ocds_import_add_json_in(imp, doc, strlen(doc), TEXT_NL, err, sizeof err),
                 -EINVAL);
    cr_expect_str_eq(err, "geen UTF-8: byte 0xE9 op positie 30 (regel 2, teken 29): sla het "
                     "bestand op als UTF-8");
    cr_expect_eq(ocds_import_add_json_in(imp, doc, strlen(doc), TEXT_EN, err, sizeof err),
                 -EINVAL);
    cr_expect_str_eq(err, "not UTF-8: byte 0xE9 at offset 30 (line 2, character 29): save the "
                     "file as UTF-8");
    const char *bom = "\xEF\xBB\xBF{\n  \"releases\": [{\"ocid\": \"caf\xE9\"}]}";
    cr_expect_eq(ocds_import_add_json_in(imp, bom, strlen(bom), TEXT_EN, err, sizeof err),
                 -EINVAL);
    cr_expect_str_eq(err, "not UTF-8: byte 0xE9 at offset 33 (line 2, character 29): save the "
                     "file as UTF-8");
    ocds_import_destroy(&imp);
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
    /* one amount twice: neither is guessed to be the value (the last was taken) */
    const char *twice = "{\"releases\":[{\"ocid\":\"ocds-x-9\",\"date\":\"2025-01-01T00:00:00Z\","
                        "\"tender\":{\"title\":\"Twee\",\"mainProcurementCategory\":\"services\","
                        "\"value\":{\"amount\":250000,\"amount\":25000000,\"currency\":\"EUR\"}}}]}";
    cr_assert_eq(ocds_import_add_json(imp, twice, strlen(twice), err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "duplicate object key") != NULL, "%s", err);
    /* a release without a title is a partial tender here (the service judges it after
     * merging with what it has); checked whole (thresholds given), it is refused by name */
    const char *two = "{\"releases\":["
                      "{\"ocid\":\"ocds-x-1\",\"date\":\"2025-01-01T00:00:00Z\",\"tender\":{\"mainProcurementCategory\":\"services\"}},"
                      "{\"ocid\":\"ocds-x-2\",\"date\":\"2025-01-01T00:00:00Z\",\"buyer\":{\"name\":\"Heerlen\"},"
                      "\"tender\":{\"title\":\"Geldautomaten\",\"mainProcurementCategory\":\"services\","
                      "\"value\":{\"amount\":250000.5,\"currency\":\"EUR\"},\"tenderPeriod\":{\"startDate\":\"2025-03-01T09:00:00+01:00\"}}},"
                      "{\"ocid\":\"ocds-x-3\",\"date\":\"2025-01-01T00:00:00Z\",\"tender\":{\"title\":\"X\","
                      "\"mainProcurementCategory\":\"services\",\"tenderPeriod\":{\"startDate\":\"2025-02-30\"}}}]}";
    cr_assert_eq(ocds_import_add_json(imp, two, strlen(two), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    ocds_import_opts_t o = {.default_buyer = "heerlen"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    cr_assert_eq(r.n_tenders, 2);
    cr_assert_str_eq(r.tenders[0]->id, "ocds-x-1");
    cr_assert_null(r.tenders[0]->title);
    cr_assert_str_eq(r.tenders[1]->id, "ocds-x-2");
    cr_assert_eq(r.tenders[1]->kind, MVOI__TENDER_KIND__KIND_DIENSTEN);
    cr_assert_eq(r.tenders[1]->value_cents, 25000050);
    cr_assert_str_eq(r.tenders[1]->planned_publication, "2025-03-01");
    cr_assert_eq(r.tenders[1]->status, MVOI__TENDER_STATUS__STATUS_UNSPECIFIED);
    /* a date that does not exist refuses its process; it is not dropped */
    cr_assert_eq(r.n_errors, 1);
    cr_assert_str_eq(r.errors[0].ocid, "ocds-x-3");
    cr_assert_str_eq(r.errors[0].field, "tender.tenderPeriod.startDate");
    cr_assert_str_eq(r.errors[0].message, "'2025-02-30' is geen datum");
    ocds_result_clear(&r);
    thresholds_t *th = cal_test_thresholds();
    ocds_import_opts_t whole = {.default_buyer = "heerlen", .thresholds = th, .today = "2025-01-01"};
    cr_assert_eq(ocds_import_compile(imp, &whole, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    const ocds_warning_t *e = refusal(&r, "ocds-x-1");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->field, "tender.title");
    cr_assert_str_eq(e->message, "verplicht");   /* the tender rule's, in the default nl */
    ocds_result_clear(&r);
    whole.lang = TEXT_EN;
    cr_assert_eq(ocds_import_compile(imp, &whole, &r), 0);
    e = refusal(&r, "ocds-x-1");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->message, "required");
    ocds_result_clear(&r);
    thresholds_destroy(&th);
    ocds_import_destroy(&imp);
}

/* An ocid of 128 bytes, the longest tender id: the tender's source keeps it whole ("ocds:"
 * and the ocid, 133 bytes; it was cut to 127). The cancellation fixture with its ocid
 * replaced. */
Test(ocds, the_longest_ocid_is_whole_in_the_source)
{
    FILE *f = fopen(CAL_OCDS_DIR "/nl-302-2-cancellation.json", "r");
    cr_assert(f);
    static char text[65536], out[70000];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char ocid[MVOI_ID_MAX + 1];
    memset(ocid, 'o', MVOI_ID_MAX);
    memcpy(ocid, "ocds-", 5);
    ocid[MVOI_ID_MAX] = 0;
    const char *old = "ocds-hrl042-2025-302";
    size_t o = 0;
    for (const char *p = text; *p;) {
        const char *hit = strstr(p, old);
        size_t take = hit ? (size_t)(hit - p) : strlen(p);
        memcpy(out + o, p, take);
        o += take;
        p += take;
        if (hit) {
            memcpy(out + o, ocid, MVOI_ID_MAX);
            o += MVOI_ID_MAX;
            p += strlen(old);
        }
    }
    out[o] = 0;
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_json(imp, out, o, err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    cr_assert_eq(ocds_import_compile(imp, NULL, &r), 0);
    ocds_import_destroy(&imp);
    const Mvoi__Tender *t = tender_of(&r, ocid);
    cr_assert(t, "no tender of the 128-byte ocid (%zu refused)", r.n_errors);
    char want[sizeof "ocds:" + MVOI_ID_MAX];
    snprintf(want, sizeof want, "ocds:%s", ocid);
    cr_expect_str_eq(t->source, want);
    ocds_result_clear(&r);
}

/* An ocid the calendar cannot take as a tender id (a space; 129 bytes) refuses that process
 * alone, named by its ocid: sent, it made the calendar refuse every process of the command. */
Test(ocds, ocid_that_is_no_tender_id_refused_alone)
{
    char long_ocid[MVOI_ID_MAX + 2];
    memset(long_ocid, 'o', MVOI_ID_MAX + 1);
    memcpy(long_ocid, "ocds-", 5);
    long_ocid[MVOI_ID_MAX + 1] = 0;
    static char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"releases\": ["
             "{\"ocid\": \"ocds-a-1\", \"id\": \"r1\", \"date\": \"2029-01-01\", \"tender\": {\"title\": \"A\"}},"
             "{\"ocid\": \"ocds a 2\", \"id\": \"r2\", \"date\": \"2029-01-01\", \"tender\": {\"title\": \"B\"}},"
             "{\"ocid\": \"%s\", \"id\": \"r3\", \"date\": \"2029-01-01\", \"tender\": {\"title\": \"C\"}},"
             "{\"ocid\": \"ocds-a-4\", \"id\": \"r4\", \"date\": \"2029-01-01\", \"tender\": {\"title\": \"D\"}}]}",
             long_ocid);
    ocds_import_t *imp;
    char err[256];
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_json(imp, doc, strlen(doc), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    cr_assert_eq(ocds_import_compile(imp, NULL, &r), 0);
    ocds_import_destroy(&imp);
    cr_expect_eq(r.n_tenders, 2);
    cr_expect(tender_of(&r, "ocds-a-1"));
    cr_expect(tender_of(&r, "ocds-a-4"));
    cr_assert_eq(r.n_errors, 2);
    const ocds_warning_t *w = refusal(&r, "ocds a 2");
    cr_assert(w);
    cr_expect_str_eq(w->field, "ocid");
    cr_expect_str_eq(w->message, "'ocds a 2' kan geen id van een inkooptraject zijn: teken 5 "
                                 "(U+0020) mag niet in een kenmerk");
    cr_expect(strstr(r.errors[1].message, "is langer dan 128 bytes"), "%s", r.errors[1].message);
    ocds_result_clear(&r);
}

/* OCDS dates are days in Amsterdam. An instant with "Z" or an offset is the day it is in
 * Heerlen (CET = UTC+1; CEST = UTC+2 from 29 March 2026 01:00 UTC to 25 October 2026
 * 01:00 UTC), a date alone or a wall-clock time without an offset the day as written. The
 * first ten characters were taken: "2026-12-31T23:00:00Z", 1 January 2027 00:00 in Heerlen,
 * was 31 December (another year and quarter of the calendar), and "2026-05-04junk" was
 * 4 May. A date alone is that day, also with a zone after it ("2026-01-15+02:00"): it has no
 * instant to move. The expected days are worked out by hand from the offsets above. */
Test(ocds, dates_are_days_in_amsterdam)
{
    static const struct {
        const char *ocid, *date, *day;
    } c[] = {
        { "ocds-d-1", "2026-03-28T23:00:00Z", "2026-03-29" },      /* CET: 00:00 on the 29th */
        { "ocds-d-2", "2026-03-29T00:59:00Z", "2026-03-29" },      /* CET: 01:59 */
        { "ocds-d-3", "2026-03-29T21:59:00Z", "2026-03-29" },      /* CEST: 23:59 */
        { "ocds-d-4", "2026-03-29T22:00:00Z", "2026-03-30" },      /* CEST: 00:00 on the 30th */
        { "ocds-d-5", "2026-06-30T22:00:00Z", "2026-07-01" },      /* CEST: Q3, not Q2 */
        { "ocds-d-6", "2026-10-24T22:00:00Z", "2026-10-25" },      /* CEST: 00:00 on the 25th */
        { "ocds-d-7", "2026-10-25T22:59:00Z", "2026-10-25" },      /* CET again: 23:59 */
        { "ocds-d-8", "2026-10-25T23:00:00Z", "2026-10-26" },      /* CET: 00:00 on the 26th */
        { "ocds-d-9", "2026-12-31T23:00:00Z", "2027-01-01" },      /* CET: another year */
        { "ocds-d-10", "2026-07-01T00:30:00+02:00", "2026-07-01" }, /* written in Amsterdam */
        { "ocds-d-11", "2026-03-01T09:00:00+01:00", "2026-03-01" },
        { "ocds-d-12", "2026-05-04", "2026-05-04" },                /* a date alone */
        { "ocds-d-13", "2026-05-04T23:30", "2026-05-04" },          /* no offset: as written */
        /* a date alone with its zone (XML Schema's xs:date): that day wherever it is; read
         * as midnight at +02:00 it was 14 January 23:00 in Heerlen, and a day too early */
        { "ocds-d-14", "2026-01-15+02:00", "2026-01-15" },
        { "ocds-d-15", "2026-07-01+05:30", "2026-07-01" },         /* CEST: 30 June 20:30 */
        { "ocds-d-16", "2027-01-01+03:00", "2027-01-01" },         /* 31 Dec. 22:00: a year */
        { "ocds-d-17", "2026-12-31-10:00", "2026-12-31" },         /* 31 Dec. 11:00 */
        { "ocds-d-18", "2026-04-01Z", "2026-04-01" },
    };
    char json[8192];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"releases\":[");
    for (size_t i = 0; i < sizeof c / sizeof c[0] + 1; i++) {
        const char *ocid = i < sizeof c / sizeof c[0] ? c[i].ocid : "ocds-d-junk";
        const char *date = i < sizeof c / sizeof c[0] ? c[i].date : "2026-05-04junk";
        n += (size_t)snprintf(json + n, sizeof json - n,
                              "%s{\"ocid\":\"%s\",\"date\":\"2026-01-01T00:00:00Z\",\"tender\":"
                              "{\"title\":\"X\",\"mainProcurementCategory\":\"services\","
                              "\"tenderPeriod\":{\"startDate\":\"%s\"}}}", i ? "," : "", ocid,
                              date);
    }
    snprintf(json + n, sizeof json - n, "]}");
    ocds_import_t *imp;
    char err[256] = "";
    cr_assert_eq(ocds_import_new(&imp), 0);
    cr_assert_eq(ocds_import_add_json(imp, json, strlen(json), err, sizeof err), 0, "%s", err);
    ocds_result_t r;
    ocds_import_opts_t o = {.default_buyer = "heerlen"};
    cr_assert_eq(ocds_import_compile(imp, &o, &r), 0);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const Mvoi__Tender *t = tender_of(&r, c[i].ocid);
        cr_assert_not_null(t, "%s (%s) was refused", c[i].ocid, c[i].date);
        cr_expect_str_eq(t->planned_publication, c[i].day, "%s: %s", c[i].ocid, c[i].date);
    }
    const ocds_warning_t *e = refusal(&r, "ocds-d-junk");
    cr_assert_not_null(e, "2026-05-04junk was taken as a date");
    cr_expect_str_eq(e->field, "tender.tenderPeriod.startDate");
    cr_expect_null(tender_of(&r, "ocds-d-junk"));
    ocds_result_clear(&r);
    ocds_import_destroy(&imp);
}
