/* csv_import: dialects, cell parsers and error reporting, on the fixtures beside this file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "cal_test.h"
#include "csv_import.h"

static const csv_import_t *find_err_row(const csv_import_t *r, size_t row, const char *column,
                                        const csv_cell_error_t **out)
{
    for (size_t i = 0; i < r->n_errors; i++) {
        if (r->errors[i].row == row && (!column || strcmp(r->errors[i].column, column) == 0)) {
            *out = &r->errors[i];
            return r;
        }
    }
    *out = NULL;
    return NULL;
}

static const Mvoi__Tender *find_tender(const csv_import_t *r, const char *id)
{
    for (size_t i = 0; i < r->n_tenders; i++)
        if (strcmp(r->tenders[i]->id, id) == 0)
            return r->tenders[i];
    return NULL;
}

Test(csv, dutch_bom_semicolon)
{
    thresholds_t *th = cal_test_thresholds();
    csv_import_opts_t o = {.default_buyer = "heerlen", .thresholds = th, .today = "2025-01-10"};
    csv_import_t r;
    cr_assert_eq(csv_import_file(CAL_FIXTURES "/nl-bom-semicolon.csv", &o, &r), 0);
    cr_assert(r.had_bom);
    cr_assert_eq(r.delimiter, ';');
    for (size_t i = 0; i < r.n_errors; i++)
        cr_log_error("row %zu %s '%s': %s", r.errors[i].row, r.errors[i].column, r.errors[i].value, r.errors[i].reason);
    cr_assert_eq(r.n_errors, 0);
    cr_assert_eq(r.n_tenders, 3);
    cr_assert_eq(r.rows, 3);

    const Mvoi__Tender *t = find_tender(&r, "HRL-2025-001");
    cr_assert_not_null(t);
    cr_assert_str_eq(t->title, "Groot asfalt onderhoud");
    cr_assert_str_eq(t->purchasing_group, "Openbare ruimte");
    cr_assert_eq(t->kind, MVOI__TENDER_KIND__KIND_WERKEN);
    cr_assert_str_eq(t->cpv, "45233141-9");
    cr_assert_eq(t->value_cents, 120000000); /* € 1.200.000,00 */
    cr_assert_str_eq(t->planned_publication, "2025-03-01");
    cr_assert_str_eq(t->contract_start, "2025-06-01");
    cr_assert_str_eq(t->contract_end, "2027-05-31");
    cr_assert_str_eq(t->project_leader->name, "Anja de Vries");
    cr_assert_str_eq(t->project_leader->email, "a.devries@heerlen.nl");
    cr_assert_str_eq(t->budget_holder->name, "Jan Smeets");
    cr_assert_str_eq(t->procurement_adviser->name, "Pieter Janssen");
    cr_assert_eq(t->n_themes, 3);
    cr_assert_eq(t->themes[0]->theme, MVOI__THEME__THEME_KLIMAAT);
    cr_assert_eq(t->themes[0]->commitment, MVOI__COMMITMENT__COMMIT_EIS);
    cr_assert_eq(t->themes[1]->commitment, MVOI__COMMITMENT__COMMIT_GUNNING);
    cr_assert_eq(t->themes[2]->theme, MVOI__THEME__THEME_SOCIAL_RETURN);
    cr_assert_eq(t->sroi_pct_bp, 500);
    cr_assert(t->has_pilot && !t->pilot);
    cr_assert_str_eq(t->buyer, "heerlen");
    cr_assert_str_eq(t->source, "csv");
    /* derived: works 1.2 M -> nationaal openbaar; 5 % of 1,200,000 = 60,000.00 */
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_assert(t->kickoff_required);
    cr_assert(t->ambition_complete);
    cr_assert_eq(t->sroi_obligation_cents, 6000000);

    t = find_tender(&r, "HRL-2025-002");
    cr_assert_eq(t->value_cents, 25000000); /* "250.000" = 250,000 euros */
    cr_assert_str_eq(t->planned_publication, "2025-04-15"); /* 15-4-2025 */
    cr_assert(t->pilot);
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_assert_null(t->budget_holder);

    t = find_tender(&r, "HRL-2025-003");
    cr_assert_str_eq(t->title, "Stadskrant; drukwerk en verspreiding");
    cr_assert_eq(t->value_cents, 21700050); /* "217.000,50" */
    cr_assert_eq(t->sroi_pct_bp, 250);      /* 2,5% */
    cr_assert_str_eq(t->threshold_period, "2026-2027");
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR);
    cr_assert_eq(t->n_themes, 1);
    cr_assert_eq(t->themes[0]->commitment, MVOI__COMMITMENT__COMMIT_UNSPECIFIED);
    csv_import_clear(&r);
    thresholds_destroy(&th);
}

Test(csv, english_comma)
{
    csv_import_opts_t o = {.default_buyer = "gemeente-heerlen"};
    csv_import_t r;
    cr_assert_eq(csv_import_file(CAL_FIXTURES "/en-comma.csv", &o, &r), 0);
    cr_assert(!r.had_bom);
    cr_assert_eq(r.delimiter, ',');
    cr_assert_eq(r.n_errors, 0, "first error: %s", r.n_errors ? r.errors[0].reason : "");
    cr_assert_eq(r.n_tenders, 2);
    const Mvoi__Tender *t = r.tenders[0];
    cr_assert_str_eq(t->id, "T-100");
    cr_assert_eq(t->kind, MVOI__TENDER_KIND__KIND_LEVERINGEN);
    cr_assert_eq(t->value_cents, 123456789); /* "1,234,567.89" */
    cr_assert_str_eq(t->planned_publication, "2025-09-01");
    cr_assert_eq(t->n_themes, 2);
    cr_assert_eq(t->themes[0]->theme, MVOI__THEME__THEME_CIRCULAIR);
    cr_assert_eq(t->themes[0]->commitment, MVOI__COMMITMENT__COMMIT_INNOVATIE);
    cr_assert_eq(t->themes[1]->theme, MVOI__THEME__THEME_DIVERSITEIT_INCLUSIE);
    cr_assert_eq(t->n_sdgs, 2);
    cr_assert_eq(t->sdgs[0], 12);
    cr_assert_eq(t->sdgs[1], 10);
    cr_assert_eq(t->sroi_pct_bp, 300);
    cr_assert(t->pilot);
    cr_assert_str_eq(t->buyer, "heerlen");
    /* no thresholds given: nothing derived */
    cr_assert_eq(t->procedure, MVOI__PROCEDURE__PROC_UNSPECIFIED);
    t = r.tenders[1];
    cr_assert_str_eq(t->id, "T-101");
    cr_assert_eq(t->value_cents, 21500000);
    cr_assert_str_eq(t->buyer, "gemeente-heerlen"); /* empty cell: default buyer */
    cr_assert(t->has_pilot && !t->pilot);
    csv_import_clear(&r);
}

Test(csv, bad_cells_reported)
{
    csv_import_opts_t o = {.default_buyer = "heerlen", .lang = TEXT_EN};
    csv_import_t r;
    const csv_cell_error_t *e;
    cr_assert_eq(csv_import_file(CAL_FIXTURES "/bad-cells.csv", &o, &r), 0);
    for (size_t i = 0; i < r.n_errors; i++)
        cr_log_info("row %zu %s '%s': %s", r.errors[i].row, r.errors[i].column, r.errors[i].value, r.errors[i].reason);
    /* only the first OK-1 survives */
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_str_eq(r.tenders[0]->id, "OK-1");
    cr_assert_eq(r.tenders[0]->value_cents, 1000000);
    cr_assert_eq(r.rows, 8);

    cr_assert_not_null(find_err_row(&r, 3, "publicatie", &e));
    cr_assert_str_eq(e->value, "31-02-2025");
    cr_assert(strstr(e->reason, "date") != NULL);

    cr_assert_not_null(find_err_row(&r, 4, "waarde", &e));
    cr_assert_str_eq(e->value, "12,34,5");

    cr_assert_not_null(find_err_row(&r, 5, "soort", &e));
    cr_assert_str_eq(e->value, "bouw");
    cr_assert(strstr(e->reason, "kind") != NULL);

    /* two bad cells in one row: both reported */
    cr_assert_not_null(find_err_row(&r, 6, "waarde", &e));
    cr_assert_str_eq(e->value, "abc");
    cr_assert_not_null(find_err_row(&r, 6, "publicatie", &e));
    cr_assert_str_eq(e->value, "2025-13-01");

    /* a rule violation across cells is reported on the column to fix */
    cr_assert_not_null(find_err_row(&r, 7, "einde", &e));
    cr_assert_str_eq(e->value, "01-01-2026");

    cr_assert_not_null(find_err_row(&r, 8, "sroi", &e));
    cr_assert_str_eq(e->value, "1%");
    cr_assert(strstr(e->reason, "2-5") != NULL);

    cr_assert_not_null(find_err_row(&r, 9, "kenmerk", &e));
    cr_assert_str_eq(e->value, "OK-1");
    cr_assert_eq(r.n_errors, 8);
    csv_import_clear(&r);
}

Test(csv, structural_errors)
{
    csv_import_t r;
    const char *no_kind = "id;titel\nA;B\n";
    cr_assert_eq(csv_import_parse(no_kind, strlen(no_kind), NULL, &r), -EINVAL);
    cr_assert_eq(r.n_errors, 1);
    cr_assert_str_eq(r.errors[0].column, "kind");
    cr_assert_eq(r.errors[0].row, 1);
    csv_import_clear(&r);

    const char *dup = "id;kenmerk;titel;soort\n";
    cr_assert_eq(csv_import_parse(dup, strlen(dup), NULL, &r), -EINVAL);
    csv_import_clear(&r);

    const char *quote = "id;titel;soort\nA;\"open quote;diensten\n";
    cr_assert_eq(csv_import_parse(quote, strlen(quote), NULL, &r), -EINVAL);
    cr_assert_eq(r.n_errors, 1);
    csv_import_clear(&r);

    cr_assert_eq(csv_import_parse("", 0, NULL, &r), -EINVAL);
    csv_import_clear(&r);
    cr_assert_eq(csv_import_file("/nonexistent.csv", NULL, &r), -ENOENT);
}

/* An iCalendar file (an exported agenda, a kick-off invitation) given to the tender import:
 * refused at row 1 as what it is, in the reader's language; it was "required column
 * missing (e.g. id or kenmerk)", which sent the user looking for a column. Nothing of it is
 * taken (its DTSTART;TZID= lines would be rows of a ';' sheet). */
Test(csv, an_icalendar_file_is_refused_as_one)
{
    const char *ics = "begin:vcalendar\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@b\r\n"
                      "DTSTART;TZID=Europe/Amsterdam:20270101T100000\r\nEND:VEVENT\r\n"
                      "END:VCALENDAR\r\n";
    csv_import_opts_t o = { .default_buyer = "heerlen", .lang = TEXT_NL };
    csv_import_t r;
    cr_assert_eq(csv_import_parse(ics, strlen(ics), &o, &r), -EINVAL);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.n_tenders, 0);
    cr_expect_eq(r.errors[0].row, 1);
    cr_expect_str_eq(r.errors[0].column, "begin:vcalendar");
    cr_expect_str_eq(r.errors[0].reason, "een iCalendar-bestand (.ics), geen tabel: "
                                         "inkooptrajecten worden ge\xc3\xafmporteerd uit CSV of OCDS-JSON");
    csv_import_clear(&r);
    o.lang = TEXT_EN;
    cr_assert_eq(csv_import_parse(ics, strlen(ics), &o, &r), -EINVAL);
    cr_expect_str_eq(r.errors[0].reason, "an iCalendar file (.ics), not a sheet: tenders are "
                                         "imported from CSV or OCDS JSON");
    csv_import_clear(&r);
}

Test(csv, row_numbers_follow_lines)
{
    /* CRLF, a blank line, and a quoted cell spanning two lines (a description may; a
     * title is one line of text: it goes into mail subjects, tender_rules.c) */
    const char *s = "id;titel;omschrijving;soort;publicatie\r\n"
                    "A;Een;\"twee\r\nregels\";diensten;01-01-2025\r\n"
                    "\r\n"
                    "B;Fout;;diensten;32-01-2025\r\n"
                    "C;\"twee\r\nregels\";;diensten;01-01-2025\r\n";
    csv_import_opts_t o = {.default_buyer = "heerlen"};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_str_eq(r.tenders[0]->description, "twee\r\nregels");
    cr_assert_eq(r.n_errors, 2);
    cr_assert_eq(r.errors[0].row, 5);
    cr_assert_eq(r.errors[1].row, 6);
    /* the tender rule's reason in the import's language: Dutch by default */
    cr_expect(strstr(r.errors[1].reason, "teken 5 is een stuurteken (U+000D)"), "%s",
              r.errors[1].reason);
    csv_import_clear(&r);
    o.lang = TEXT_EN;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_expect(strstr(r.errors[1].reason, "character 5 is a control character (U+000D)"), "%s",
              r.errors[1].reason);
    csv_import_clear(&r);
}

/* "Dak; goot" unquoted in a ';' sheet: the row has more cells than the header. The cell
 * beyond the last column was dropped without a word (here the description's tail " meer
 * tekst"); now it is an error at its row and column and the row is not emitted. Empty
 * cells beyond the header (";;" a spreadsheet exports) are nothing. */
Test(csv, cells_beyond_the_header_are_refused)
{
    const char *s = "Kenmerk;Titel;Soort;Waarde;Omschrijving\n"
                    "A-1;Dak;werken;100;tekst; meer tekst\n"
                    "A-2;Gevel;werken;200;kort;;\n";
    csv_import_opts_t o = {.default_buyer = "heerlen", .lang = TEXT_EN};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 2);
    cr_expect_str_eq(r.errors[0].column, "column 6");
    cr_expect_str_eq(r.errors[0].value, "meer tekst");
    cr_expect(strstr(r.errors[0].reason, "more cells than the header has columns (5)"), "%s",
              r.errors[0].reason);
    cr_assert_eq(r.n_tenders, 1);
    cr_expect_str_eq(r.tenders[0]->id, "A-2");
    cr_expect_str_eq(r.tenders[0]->description, "kort");
    cr_expect_eq(r.tenders[0]->value_cents, 20000);   /* 200 euros */
    csv_import_clear(&r);
}

Test(csv, windows1252_converted)
{
    /* "Caf\xe9" in Windows-1252, euro sign 0x80 before the amount */
    const char *s = "id;titel;soort;waarde\nA;Caf\xe9 catering;diensten;\x80 1.500\n";
    csv_import_opts_t o = {.default_buyer = "heerlen"};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_assert(r.converted_cp1252);
    cr_assert_eq(r.n_tenders, 1);
    cr_assert_str_eq(r.tenders[0]->title, "Caf\xc3\xa9 catering");
    cr_assert_eq(r.tenders[0]->value_cents, 150000);
    csv_import_clear(&r);
}

/* s (ASCII and the code points written out below) as UTF-16 with its mark into buf. */
static size_t s_utf16(const uint16_t *units, size_t n, bool le, char *buf)
{
    buf[0] = (char)(le ? 0xFF : 0xFE);
    buf[1] = (char)(le ? 0xFE : 0xFF);
    for (size_t i = 0; i < n; i++) {
        buf[2 + 2 * i] = (char)(le ? units[i] & 0xFF : units[i] >> 8);
        buf[3 + 2 * i] = (char)(le ? units[i] >> 8 : units[i] & 0xFF);
    }
    return 2 + 2 * n;
}

/* Excel's "Unicode text": UTF-16LE with its mark, TAB between cells. It was taken for
 * Windows-1252 ("\xC3\xBF\xC3\xBE" in front) and every cell refused for "control
 * character 0x00". Read as UTF-16: "Caf\u00e9" (00E9) and a character outside the BMP, the
 * pair D83D DE9A (U+1F69A, UTF-8 F0 9F 9A 9A), come out as their UTF-8; the same text
 * big-endian alike. A lone surrogate is no character: its cell is refused by name. */
Test(csv, utf16_with_its_mark_is_read_as_utf16)
{
    static const char *text = "id\ttitel\tsoort\nA\tCaf\x01 \x02\tdiensten\n";
    uint16_t u[64];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\x01')
            u[n++] = 0x00E9;
        else if (*p == '\x02')
            u[n++] = 0xD83D, u[n++] = 0xDE9A;
        else
            u[n++] = (uint16_t)*p;
    }
    char buf[160];
    csv_import_opts_t o = {.default_buyer = "heerlen"};
    for (int le = 1; le >= 0; le--) {
        csv_import_t r;
        size_t len = s_utf16(u, n, le, buf);
        cr_assert_eq(csv_import_parse(buf, len, &o, &r), 0);
        cr_expect(r.utf16 && r.had_bom && !r.converted_cp1252);
        cr_expect_eq(r.delimiter, '\t');
        cr_assert_eq(r.n_errors, 0, "%s", r.n_errors ? r.errors[0].reason : "");
        cr_assert_eq(r.n_tenders, 1);
        cr_expect_str_eq(r.tenders[0]->id, "A");
        cr_expect_str_eq(r.tenders[0]->title, "Caf\xc3\xa9 \xf0\x9f\x9a\x9a");
        csv_import_clear(&r);
    }
    /* the pair's second half gone: D83D alone, then ' ' */
    for (size_t i = 0; i < n; i++)
        if (u[i] == 0xDE9A)
            u[i] = ' ';
    csv_import_t r;
    size_t len = s_utf16(u, n, true, buf);
    cr_assert_eq(csv_import_parse(buf, len, &o, &r), 0);
    cr_assert_eq(r.n_tenders, 0);
    cr_assert_geq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 2);
    cr_expect(strstr(r.errors[0].reason, "0xFF"), "%s", r.errors[0].reason);
    csv_import_clear(&r);
}

Test(csv, amounts)
{
    struct {
        const char *in;
        long long cents;
    } ok[] = {
        {"1.234.567,89", 123456789}, {"1234567.89", 123456789}, {"€ 1.234.567,89", 123456789},
        {"€1234567,89", 123456789},  {"1,234,567.89", 123456789}, {"250.000", 25000000},
        {"250,000", 25000000},        {"1234,5", 123450},          {"12.50", 1250},
        {"€ 250.000,-", 25000000},    {"0", 0},                    {"1 234 567,89", 123456789},
        {"1234.565", 123457},         {"1234.564", 123456},        {"EUR 99", 9900},
        {"1234", 123400},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t c = -1;
        cr_assert_eq(csv_parse_amount_cents(ok[i].in, &c), 0, "%s", ok[i].in);
        cr_assert_eq(c, ok[i].cents, "%s -> %lld", ok[i].in, (long long)c);
    }
    const char *bad[] = {"12,34,5", "-100", "1.2.3,4,5", "abc", "1.23.456", "12a", ",50", "1,234.567,8", NULL};
    for (int i = 0; bad[i]; i++) {
        int64_t c;
        cr_assert_eq(csv_parse_amount_cents(bad[i], &c), -EINVAL, "%s", bad[i]);
    }
    int64_t c;
    cr_assert_eq(csv_parse_amount_cents("  ", &c), -ENODATA);
}

/* The currency is one mark before or after the amount. It was dropped wherever it stood:
 * "12€50" (twelve euros fifty, as French and some Dutch write it) became 1250 euros, and a
 * doubled mark passed. Cents by hand: € 12,50 = 1250; 12,50 EUR = 1250; 250,- EUR = 25000. */
Test(csv, amounts_currency_only_around_the_number)
{
    struct {
        const char *in;
        long long cents;
    } ok[] = {
        {"\xE2\x82\xAC 12,50", 1250}, {"12,50 \xE2\x82\xAC", 1250}, {"12,50 EUR", 1250},
        {"EUR12,50", 1250},             {"250,- EUR", 25000},         {"eur 250,-", 25000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t c = -1;
        cr_expect_eq(csv_parse_amount_cents(ok[i].in, &c), 0, "%s", ok[i].in);
        cr_expect_eq(c, ok[i].cents, "%s -> %lld", ok[i].in, (long long)c);
    }
    const char *bad[] = {"12\xE2\x82\xAC" "50", "12 EUR 50", "1EUR000",
                         "\xE2\x82\xAC\xE2\x82\xAC 5", "5 EUR EUR", "EUR 5 \xE2\x82\xAC", NULL};
    for (int i = 0; bad[i]; i++) {
        int64_t c = -1;
        cr_expect_eq(csv_parse_amount_cents(bad[i], &c), -EINVAL, "%s taken as %lld cents",
                     bad[i], (long long)c);
    }
}

/* A leading 0 is never a group of thousands: "0,500" is half a euro (decimal comma), not
 * 500 euros; figures: 0,500 EUR = 50 cents, 0.250 = 25 cents, 0,0045 -> 0.45 ct half up
 * = 0 cents, 0,005 -> 0.5 ct half up = 1 cent. */
Test(csv, amounts_leading_zero_is_not_a_thousands_group)
{
    struct {
        const char *in;
        long long cents;
    } ok[] = {
        {"0,500", 50}, {"0.250", 25}, {"€ 0,500", 50}, {"0,005", 1}, {"0,0045", 0},
        {"0,50", 50},  {"1,500", 150000}, {"1.500", 150000}, {"10.000,00", 1000000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t c = -1;
        cr_assert_eq(csv_parse_amount_cents(ok[i].in, &c), 0, "%s", ok[i].in);
        cr_assert_eq(c, ok[i].cents, "%s -> %lld", ok[i].in, (long long)c);
    }
    /* grouped after a leading 0, or 01.234 (1234 or 1.234?): refused, never a guess */
    const char *bad[] = {"0.250.000", "0,500.00", "0.500,00", "01.234", "00,500", "012,345", NULL};
    for (int i = 0; bad[i]; i++) {
        int64_t c = -1;
        cr_assert_eq(csv_parse_amount_cents(bad[i], &c), -EINVAL, "%s -> %lld", bad[i], (long long)c);
    }
}

Test(csv, dates_percent_bool)
{
    char d[11];
    cr_assert_eq(csv_parse_date("01-03-2025", d), 0);
    cr_assert_str_eq(d, "2025-03-01");
    cr_assert_eq(csv_parse_date("1/3/2025", d), 0);
    cr_assert_str_eq(d, "2025-03-01");
    cr_assert_eq(csv_parse_date("2025-03-01", d), 0);
    cr_assert_str_eq(d, "2025-03-01");
    cr_assert_eq(csv_parse_date("29-02-2024 00:00", d), 0);
    cr_assert_str_eq(d, "2024-02-29");
    /* a time of that day is dropped; anything else after the date refuses it: 24:00 is the
     * next day (31-12-2026 24:00 was stored as 31 December, another year), "7" no time */
    cr_expect_eq(csv_parse_date("31-12-2026 23:59:59", d), 0);
    cr_expect_str_eq(d, "2026-12-31");
    cr_expect_eq(csv_parse_date("1-3-2025 9:30", d), 0);
    cr_expect_str_eq(d, "2025-03-01");
    const char *not_a_time[] = { "31-12-2026 24:00", "01-03-2025 7", "01-03-2025 12:60",
                                 "01-03-2025 10:00:60", "01-03-2025 :", "01-03-2025 123:00",
                                 "01-03-2025 10:5", "01-03-2025 10:00:" };
    for (size_t i = 0; i < sizeof not_a_time / sizeof *not_a_time; i++)
        cr_expect_eq(csv_parse_date(not_a_time[i], d), -EINVAL, "'%s' taken as %s",
                     not_a_time[i], d);
    cr_assert_eq(csv_parse_date("29-02-2025", d), -EINVAL);
    cr_assert_eq(csv_parse_date("2025-03-01x", d), -EINVAL);
    cr_assert_eq(csv_parse_date("01-03-25", d), -EINVAL);
    cr_assert_eq(csv_parse_date("", d), -ENODATA);

    uint32_t bp;
    cr_assert_eq(csv_parse_percent_bp("5%", &bp), 0);
    cr_assert_eq(bp, 500);
    cr_assert_eq(csv_parse_percent_bp("2,5 %", &bp), 0);
    cr_assert_eq(bp, 250);
    cr_assert_eq(csv_parse_percent_bp("3.75", &bp), 0);
    cr_assert_eq(bp, 375);
    cr_assert_eq(csv_parse_percent_bp("101", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp("1.234", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp("vijf", &bp), -EINVAL);
    /* the sign ends the number: "2%5" is no 25 %, "%5" no 5 %, "5%%" no 5 % */
    cr_assert_eq(csv_parse_percent_bp("2%5", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp("%5", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp("5%%", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp("%", &bp), -EINVAL);
    cr_assert_eq(csv_parse_percent_bp(" 7 % ", &bp), 0);
    cr_assert_eq(bp, 700);

    bool b;
    cr_assert_eq(csv_parse_bool("Ja", &b), 0);
    cr_assert(b);
    cr_assert_eq(csv_parse_bool("no", &b), 0);
    cr_assert(!b);
    cr_assert_eq(csv_parse_bool("misschien", &b), -EINVAL);
}

Test(csv, demo_calendar_is_clean)
{
    thresholds_t *th = cal_test_thresholds();
    isv_map_t *isv = NULL;
    char err[256];
    cr_assert_eq(isv_map_load_dir(CAL_DATA_DIR, &isv, err, sizeof err), 0);
    csv_import_opts_t o = {.thresholds = th, .isv = isv, .today = "2025-01-01"};
    csv_import_t r;
    cr_assert_eq(csv_import_file(MVOI_SOURCE_DIR "/deploy/demo/calendar.csv", &o, &r), 0);
    for (size_t i = 0; i < r.n_errors; i++)
        cr_log_error("row %zu %s '%s': %s", r.errors[i].row, r.errors[i].column, r.errors[i].value, r.errors[i].reason);
    cr_assert_eq(r.n_errors, 0);
    cr_assert_geq(r.n_tenders, 20);
    size_t pub = 0, isvn = 0;
    for (size_t i = 0; i < r.n_tenders; i++) {
        cr_assert_str_eq(r.tenders[i]->buyer, "heerlen");
        pub += r.tenders[i]->kickoff_required;
        isvn += r.tenders[i]->isv_risk_group != NULL;
    }
    cr_assert_geq(pub, 3, "some public tenders need a kick-off");
    cr_assert_geq(isvn, 3, "some tenders are in an ISV risk group");
    csv_import_clear(&r);
    /* the benchmark demo's other gemeenten (scripts/run imports it per buyer) */
    cr_assert_eq(csv_import_file(MVOI_SOURCE_DIR "/deploy/demo/benchmark-calendar.csv", &o, &r), 0);
    for (size_t i = 0; i < r.n_errors; i++)
        cr_log_error("row %zu %s '%s': %s", r.errors[i].row, r.errors[i].column, r.errors[i].value, r.errors[i].reason);
    cr_assert_eq(r.n_errors, 0);
    cr_assert_eq(r.n_tenders, 69);
    csv_import_clear(&r);
    isv_map_destroy(&isv);
    thresholds_destroy(&th);
}

/* The buyer cell holds an id (mvoi_id.h), as the calendar checks it where a request enters:
 * a name there made it refuse the whole command, every row blamed for it. Refused on its
 * own row and column, with what belongs there; an empty cell is the import's buyer. */
Test(csv, buyer_cell_must_be_a_buyer_id)
{
    const char *s = "kenmerk;titel;soort;organisatie\n"
                    "O-1;Een;diensten;leudal\n"
                    "O-2;Twee;diensten;Gemeente Leudal\n"
                    "O-3;Drie;diensten;\n"
                    "O-4;Vier;diensten;leudal.nl\n";
    csv_import_opts_t o = {.default_buyer = "leudal", .lang = TEXT_EN};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_assert_eq(r.n_tenders, 2);
    cr_expect_eq(r.tender_rows[0], 2);
    cr_expect_eq(r.tender_rows[1], 4);
    cr_expect_str_eq(r.tenders[1]->buyer, "leudal");
    cr_assert_eq(r.n_errors, 2);
    cr_expect_eq(r.errors[0].row, 3);
    cr_expect_str_eq(r.errors[0].column, "organisatie");
    cr_expect_str_eq(r.errors[0].value, "Gemeente Leudal");
    cr_expect_str_eq(r.errors[0].reason,
                     "not a buyer id: character 1 is not one of [a-z0-9_-] (a letter or digit "
                     "first); the column must hold the buyer's id such as 'leudal' (or be "
                     "empty), not an organisation or department name");
    cr_expect_eq(r.errors[1].row, 5);
    cr_expect(strstr(r.errors[1].reason, "character 7 is not one of"), "%s", r.errors[1].reason);
    csv_import_clear(&r);
}

/* A first line "sep=;" (Excel's delimiter marker) is not the header: the calendar of a sheet
 * with it is read as without it, rows numbered as Excel shows them (header = row 1). */
Test(csv, sep_line_is_the_delimiter_not_the_header)
{
    const char *s = "sep=;\r\nid;titel;soort;waarde\r\nA;Caf\xe9;diensten;\x80 1.500,50\r\n"
                    "B;Brug;werken;x\r\n";
    csv_import_opts_t o = {.default_buyer = "heerlen"};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_expect_eq(r.delimiter, ';');
    cr_assert_eq(r.n_tenders, 1);
    cr_expect_str_eq(r.tenders[0]->id, "A");
    cr_expect_str_eq(r.tenders[0]->title, "Caf\xc3\xa9");
    cr_expect_eq(r.tenders[0]->value_cents, 150050);
    cr_expect_eq(r.tender_rows[0], 2);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 3);
    cr_expect_str_eq(r.errors[0].column, "waarde");
    csv_import_clear(&r);
}

/* A cell is read whole or refused. The bool, date and person cells were copied into fixed
 * buffers (16, 40, 256 bytes) and read by what was left: "ja", 14 spaces and "nee" was a
 * pilot (yes), a date followed by 36 spaces and "x" that date, and a 256-byte address
 * (over the rules' 254) was cut at a character boundary to 254 bytes and taken as another
 * address. */
Test(csv, cells_read_whole_or_refused)
{
    bool b = false;
    char d[11];
    cr_expect_eq(csv_parse_bool("ja              nee", &b), -EINVAL);
    cr_expect_eq(csv_parse_bool("  nee  ", &b), 0);
    cr_expect(!b);
    /* longer than a date can be: refused by its length (-E2BIG), not read cut */
    cr_expect_eq(csv_parse_date("01-03-2026                                    x", d), -E2BIG);
    cr_expect_eq(csv_parse_date("  01-03-2026  ", d), 0);
    cr_expect_str_eq(d, "2026-03-01");

    char email[300] = "a@x.";   /* 4 + 126 x 2 bytes = 256 */
    for (int i = 0; i < 126; i++)
        strcat(email, "\xc3\xa9");
    cr_assert_eq(strlen(email), 256);
    char s[1024];
    snprintf(s, sizeof s, "Kenmerk;Titel;Soort;Waarde;Pilot;Projectleider;E-mail projectleider\n"
             "W-1;Dak;werken;100;ja              nee;;\n"
             "W-2;Gevel;werken;200;nee;Anja;%s\n"
             "W-3;Goot;werken;300;nee;Kees;k@x.nl\n", email);
    csv_import_opts_t o = {.default_buyer = "heerlen", .lang = TEXT_EN};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    const csv_cell_error_t *e;
    cr_expect(find_err_row(&r, 2, "Pilot", &e), "the pilot cell of row 2 was taken");
    cr_expect(find_err_row(&r, 3, NULL, &e), "the 256-byte address of row 3 was taken");
    if (e)
        cr_expect(strstr(e->reason, "254"), "%s", e->reason);
    cr_expect_null(find_tender(&r, "W-1"));
    cr_expect_null(find_tender(&r, "W-2"));
    const Mvoi__Tender *t = find_tender(&r, "W-3");
    cr_assert_not_null(t);
    cr_expect_str_eq(t->project_leader->email, "k@x.nl");
    csv_import_clear(&r);
}

/* Old Mac line ends (a lone CR): each row is its own line. The file was fed to the parser
 * split at LF only, so it was one line and every row and refusal was "row 1". */
Test(csv, row_numbers_follow_cr_line_ends)
{
    const char *s = "id;titel;soort;publicatie\r"
                    "A;Een;diensten;01-01-2025\r"
                    "\r"
                    "B;Fout;diensten;32-01-2025\r"
                    "C;Twee;diensten;02-01-2025\r";
    csv_import_opts_t o = {.default_buyer = "heerlen"};
    csv_import_t r;
    cr_assert_eq(csv_import_parse(s, strlen(s), &o, &r), 0);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 4, "the bad date of B is on line 4, not %zu", r.errors[0].row);
    cr_assert_eq(r.n_tenders, 2);
    cr_expect_eq(r.tender_rows[0], 2);
    cr_expect_eq(r.tender_rows[1], 5);
    csv_import_clear(&r);
}
