/* The pieces of the import rules on their own: date order, header aliases, cell checks, the
 * stated procedure, merging and the changed fields. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "csv_columns.h"
#include "csv_import.h"
#include "tender_diff.h"
#include "tender_method.h"

Test(import_rules, date_order)
{
    char d[11];
    cr_assert_eq(csv_parse_date_order("7/1/2025", CSV_DATE_GUARD, d), -ERANGE);
    cr_assert_eq(csv_parse_date_order("7/1/2025", CSV_DATE_DMY, d), 0);
    cr_assert_str_eq(d, "2025-01-07");
    cr_assert_eq(csv_parse_date_order("7/1/2025", CSV_DATE_MDY, d), 0);
    cr_assert_str_eq(d, "2025-07-01");
    cr_assert_eq(csv_parse_date_order("13/1/2025", CSV_DATE_GUARD, d), 0);
    cr_assert_str_eq(d, "2025-01-13");
    cr_assert_eq(csv_parse_date_order("1/13/2025", CSV_DATE_GUARD, d), 0);
    cr_assert_str_eq(d, "2025-01-13");
    cr_assert_eq(csv_parse_date_order("5/5/2025", CSV_DATE_GUARD, d), 0);
    cr_assert_str_eq(d, "2025-05-05");
    cr_assert_eq(csv_parse_date_order("2025-07-01", CSV_DATE_GUARD, d), 0);
    cr_assert_str_eq(d, "2025-07-01");
    cr_assert_eq(csv_parse_date_order("13/1/2025", CSV_DATE_MDY, d), -EINVAL);
}

Test(import_rules, dutch_header_aliases)
{
    static const struct {
        const char *header;
        int col;
    } cases[] = {
        {"Geraamde waarde (excl. btw)", CSV_C_VALUE}, {"Geplande publicatiedatum", CSV_C_PUB},
        {"Omschrijving", CSV_C_DESC}, {"Titel", CSV_C_TITLE}, {"Naam opdracht", CSV_C_TITLE},
        {"Zaaknummer", CSV_C_ID}, {"Soort opdracht", CSV_C_KIND}, {"Einddatum contract", CSV_C_END},
        {"E-mail inkoopadviseur", CSV_C_ADV_EMAIL}, {"Aanbestedingsprocedure", CSV_C_PROC},
        {"Fase", CSV_C_STATUS}, {"Opmerkingen", -1}, {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(csv_column_of(cases[i].header), cases[i].col, "%s", cases[i].header);
}

Test(import_rules, cell_checks)
{
    char why[192];
    cr_assert_eq(csv_cell_check("Co\xC3\xB6rdinatie", 12, true, why, sizeof why), 0);
    cr_assert_eq(csv_cell_check("Co\xF6rdinatie", 11, true, why, sizeof why), -EINVAL);
    cr_assert(strstr(why, "byte 0xF6 at character 3 is not UTF-8"), "%s", why);
    cr_assert_eq(csv_cell_check("Co\xF6rdinatie", 11, false, why, sizeof why), 0);
    cr_assert_eq(csv_cell_check("a\0b", 3, false, why, sizeof why), -EINVAL);
    cr_assert_str_eq(why, "control character 0x00 at character 2 (NUL or a control code: not text)");
    cr_assert_eq(csv_cell_check("twee\nregels\tmet tab", 19, false, why, sizeof why), 0);
    /* the text: BOM + bad byte stays UTF-8 (checked per cell); no UTF-8 at all is cp1252 */
    const char *t = "\xEF\xBB\xBF" "a\xF6";
    size_t len = 5;
    char *conv;
    bool bom, check;
    cr_assert_eq(csv_text_prepare(&t, &len, &conv, &bom, &check), 0);
    cr_assert(bom && check && !conv && len == 2);
    t = "K\xF6ln \x80";
    len = 6;
    cr_assert_eq(csv_text_prepare(&t, &len, &conv, &bom, &check), 0);
    cr_assert(!bom && !check && conv);
    cr_assert_str_eq(t, "K\xC3\xB6ln \xE2\x82\xAC");
    free(conv);
}

/* A UTF-16 file that lost its byte order mark (NUL in every other byte of the header) is
 * refused once by name, in either byte order and in the reader's language; before, it was
 * taken for Windows-1252 and every cell was "stuurteken 0x00". Text without a NUL is not
 * taken for it. */
Test(import_rules, utf16_without_bom_is_refused_by_name)
{
    static const char le[] = "K\0e\0n\0m\0e\0r\0k\0;\0T\0i\0t\0e\0l\0\n\0"
                             "T\0-\0""1\0;\0D\0a\0k\0\n\0";
    static const char be[] = "\0K\0e\0n\0m\0e\0r\0k\0;\0T\0i\0t\0e\0l\0\n"
                             "\0T\0-\0""1\0;\0D\0a\0k\0\n";
    const char *t = le;
    size_t len = sizeof le - 1;
    char *conv = NULL;
    bool bom, check;
    cr_expect_eq(csv_text_prepare(&t, &len, &conv, &bom, &check), -EILSEQ);
    cr_expect_null(conv);
    t = be;
    len = sizeof be - 1;
    cr_expect_eq(csv_text_prepare(&t, &len, &conv, &bom, &check), -EILSEQ);
    t = "Kenmerk;Titel\nT-1;D\xE9k\n";   /* Windows-1252: still read */
    len = strlen(t);
    cr_expect_eq(csv_text_prepare(&t, &len, &conv, &bom, &check), 0);
    free(conv);
    const text_lang_t langs[] = { TEXT_NL, TEXT_EN };
    const char *const why[] = {
        "UTF-16 zonder byte order mark: sla op als UTF-8 of UTF-16 met BOM",
        "UTF-16 without byte order mark: save as UTF-8 or UTF-16 with BOM",
    };
    for (size_t i = 0; i < 2; i++) {
        csv_import_opts_t o = { .lang = langs[i] };
        csv_import_t ci;
        cr_expect_eq(csv_import_parse(le, sizeof le - 1, &o, &ci), -EINVAL);
        cr_expect_eq(ci.n_errors, 1);
        cr_expect_eq(ci.n_tenders, 0);
        if (ci.n_errors)
            cr_expect_str_eq(ci.errors[0].reason, why[i]);
        csv_import_clear(&ci);
    }
}

Test(import_rules, stated_procedure)
{
    Mvoi__Procedure p;
    char w[256];
    const Mvoi__Procedure U = MVOI__PROCEDURE__PROC_UNSPECIFIED, E = MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR,
                          N = MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR, M = MVOI__PROCEDURE__PROC_MEERVOUDIG_ONDERHANDS,
                          K = MVOI__PROCEDURE__PROC_ENKELVOUDIG_ONDERHANDS;
    cr_assert_eq(tender_method_procedure("open", NULL, U, &p, w, sizeof w), 0);
    cr_assert_eq(p, N);
    cr_assert_str_eq(w, "");
    cr_assert_eq(tender_method_procedure("open", NULL, E, &p, w, sizeof w), 0);
    cr_assert_eq(p, E);
    cr_assert_eq(tender_method_procedure("open", NULL, M, &p, w, sizeof w), 0);
    cr_assert_eq(p, N);
    cr_assert_str_eq(w, "procedure nationaal_openbaar as stated by the source (open); the thresholds give "
                        "meervoudig_onderhands");
    cr_assert_eq(tender_method_procedure("limited", NULL, K, &p, NULL, 0), 0);
    cr_assert_eq(p, K);
    cr_assert_eq(tender_method_procedure("limited", NULL, E, &p, NULL, 0), 0);
    cr_assert_eq(p, M);
    cr_assert_eq(tender_method_procedure("selective", "Europese niet-openbare procedure", U, &p, NULL, 0), 0);
    cr_assert_eq(p, E);
    cr_assert_eq(tender_method_procedure("direct", NULL, U, &p, NULL, 0), 0);
    cr_assert_eq(p, K);
    cr_assert_eq(tender_method_procedure("negotiated", NULL, U, &p, NULL, 0), -EINVAL);
}

Test(import_rules, merge_and_changed_fields)
{
    Mvoi__Tender *old = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 100000, "2025-03-01");
    cr_assert_eq(tender_add_theme(old, MVOI__THEME__THEME_KLIMAAT, MVOI__COMMITMENT__COMMIT_EIS), 0);
    Mvoi__Tender *upd = tender_new();
    cal_str_set(&upd->id, "T-1");
    upd->has_status = 1;
    upd->status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    upd->has_value_cents = 1;
    upd->value_cents = 0;   /* set to zero is set, not absent */
    Mvoi__Tender *m = tender_merge(old, upd);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->title, "Testtraject");
    cr_assert_eq(m->n_themes, 1);
    cr_assert_eq(m->value_cents, 0);
    cr_assert_eq(m->status, MVOI__TENDER_STATUS__STATUS_CANCELLED);
    const char *names[8];
    cr_assert_eq(tender_changed(old, m, names, 8), 2);
    cr_assert_str_eq(names[0], "value_cents");
    cr_assert_str_eq(names[1], "status");
    m->version = 7;
    m->has_version = 1;
    cr_assert_eq(tender_changed(old, m, names, 8), 2, "version is bookkeeping");
    tender_free(m);
    tender_free(upd);
    tender_free(old);
}
