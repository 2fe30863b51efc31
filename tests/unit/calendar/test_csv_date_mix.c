/* A ',' sheet (US or English Excel) that does not declare its date order reads each date that
 * reads only one way that way. One with 13/1/2027 (only day-first) and 1/13/2027 (only
 * month-first) contradicts itself: before, both were taken, so every other date of it was
 * read by a rule the sheet itself breaks. Now the later one is refused, naming the earlier. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cal_test.h"
#include "csv_import.h"

TestSuite(csv_date_mix);

static void s_parse(const char *csv, csv_date_order_t order, csv_import_t *out)
{
    /* the reasons in English (the import's language is test_csv_import.c's subject) */
    csv_import_opts_t o = { .default_buyer = "heerlen", .date_order = order, .lang = TEXT_EN };
    cr_assert_eq(csv_import_parse(csv, strlen(csv), &o, out), 0);
}

Test(csv_date_mix, day_first_and_month_first_in_one_sheet_refused)
{
    const char *csv = "id,title,kind,publication\n"
                      "M-1,Eerste,diensten,13/1/2027\n"     /* only 13 January */
                      "M-2,Tweede,diensten,12/12/2027\n"    /* both ways the same day */
                      "M-3,Derde,diensten,1/14/2027\n";     /* only 14 January, month first */
    csv_import_t r;
    s_parse(csv, CSV_DATE_AUTO, &r);
    cr_expect_eq(r.n_tenders, 2);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 4);
    cr_expect_str_eq(r.errors[0].value, "1/14/2027");
    cr_expect_str_eq(r.errors[0].reason,
                     "reads only month-first, but row 2 has '13/1/2027', which reads only "
                     "day-first: the sheet mixes date orders; declare it: --date-order dmy or mdy");
    csv_import_clear(&r);

    /* declared: month first, 13/1/2027 is no date; day first, 1/14/2027 is none */
    s_parse(csv, CSV_DATE_MDY, &r);
    cr_expect_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 2);
    csv_import_clear(&r);
    s_parse(csv, CSV_DATE_DMY, &r);
    cr_expect_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 4);
    csv_import_clear(&r);
}

Test(csv_date_mix, one_order_throughout_and_dutch_sheets_unchanged)
{
    /* only month-first evidence (1/13, 2/28) and ISO: all taken, 2027-01-13 and 2027-02-28 */
    const char *us = "id,title,kind,publication,start\n"
                     "U-1,Een,diensten,1/13/2027,2027-03-01\n"
                     "U-2,Twee,diensten,2/28/2027,\n";
    csv_import_t r;
    s_parse(us, CSV_DATE_AUTO, &r);
    cr_assert_eq(r.n_errors, 0, "%s", r.n_errors ? r.errors[0].reason : "");
    cr_assert_eq(r.n_tenders, 2);
    cr_expect_str_eq(r.tenders[0]->planned_publication, "2027-01-13");
    cr_expect_str_eq(r.tenders[1]->planned_publication, "2027-02-28");
    csv_import_clear(&r);

    /* the same contradiction within one row: publication day-first, start month-first */
    const char *row = "id,title,kind,publication,start\n"
                      "R-1,Een,diensten,28/2/2027,3/15/2027\n";
    s_parse(row, CSV_DATE_AUTO, &r);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 2);
    cr_expect(strstr(r.errors[0].reason, "row 2 has '28/2/2027'"), "%s", r.errors[0].reason);
    csv_import_clear(&r);

    /* a ';' sheet is Dutch (day first): 13/1/2027 fine, 1/14/2027 no date, no mixing rule */
    const char *nl = "id;title;kind;publication\n"
                     "N-1;Een;diensten;13/1/2027\n"
                     "N-2;Twee;diensten;1/14/2027\n";
    s_parse(nl, CSV_DATE_AUTO, &r);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_str_eq(r.errors[0].reason, "not a date (dd-mm-jjjj or yyyy-mm-dd) or no such day");
    csv_import_clear(&r);
}

/* The first error of row, or NULL. */
static const csv_cell_error_t *s_err_at(const csv_import_t *r, size_t row)
{
    for (size_t i = 0; i < r->n_errors; i++)
        if (r->errors[i].row == row)
            return &r->errors[i];
    return NULL;
}

/* A ';' sheet is Dutch, day first. One of its dates that reads only month first
 * ("12/25/2026", refused as no date) shows that its writer wrote month first: its
 * "03/04/2026" had still been read as 3 April where 4 March may be meant, a guess taken
 * without a word (the mixing rule ran only for ',' and TAB sheets). Now, as in the
 * measurement import (csv_dates.h), every date of it that reads both ways is refused,
 * naming that row, and its row's tender is not emitted; a one-way or ISO date stays. */
Test(csv_date_mix, a_dutch_sheet_with_a_month_first_date_refuses_its_two_way_dates)
{
    const char *nl = "id;title;kind;publication;start\n"
                     "D-1;Een;diensten;03/04/2026;2026-05-01\n"   /* 3 April or 4 March */
                     "D-2;Twee;diensten;13/04/2026;\n"            /* only 13 April */
                     "D-3;Drie;diensten;12/25/2026;\n"            /* only 25 December */
                     "D-4;Vier;diensten;05/05/2026;06/07/2026\n"; /* one day; two days */
    static const char why[] =
        "reads as day-month and as month-day, and row 4 has '12/25/2026', which reads only "
        "month-first: the sheet mixes date orders; write the dates as dd-mm-yyyy or yyyy-mm-dd";
    csv_import_t r;
    s_parse(nl, CSV_DATE_AUTO, &r);
    cr_expect_eq(r.n_errors, 3);
    const csv_cell_error_t *e = s_err_at(&r, 2);
    cr_assert(e, "row 2 (03/04/2026) not refused");
    cr_expect_str_eq(e->column, "publication");
    cr_expect_str_eq(e->value, "03/04/2026");
    cr_expect_str_eq(e->reason, why);
    cr_assert((e = s_err_at(&r, 5)), "row 5 (06/07/2026) not refused");
    cr_expect_str_eq(e->column, "start");
    cr_expect_str_eq(e->value, "06/07/2026");
    cr_expect_str_eq(e->reason, why);
    cr_assert((e = s_err_at(&r, 4)));
    cr_expect_str_eq(e->reason, "not a date (dd-mm-jjjj or yyyy-mm-dd) or no such day");
    cr_assert_eq(r.n_tenders, 1, "only D-2 is emitted");
    cr_expect_str_eq(r.tenders[0]->id, "D-2");
    cr_expect_str_eq(r.tenders[0]->planned_publication, "2026-04-13");
    cr_expect_eq(r.tender_rows[0], 3);
    csv_import_clear(&r);

    /* in Dutch, the reader's language */
    csv_import_opts_t o = { .default_buyer = "heerlen", .lang = TEXT_NL };
    cr_assert_eq(csv_import_parse(nl, strlen(nl), &o, &r), 0);
    cr_assert((e = s_err_at(&r, 2)));
    cr_expect(strstr(e->reason, "leest als dag-maand en als maand-dag, en rij 4 heeft "
                                "'12/25/2026'"), "%s", e->reason);
    csv_import_clear(&r);

    /* declared day first: the writer said so; only 12/25/2026 is refused (no date) */
    s_parse(nl, CSV_DATE_DMY, &r);
    cr_expect_eq(r.n_errors, 1);
    cr_assert_eq(r.n_tenders, 3);
    cr_expect_str_eq(r.tenders[0]->planned_publication, "2026-04-03");
    csv_import_clear(&r);
}

/* A tender sheet's amount "€ 85.000" is read as 85,000 euros (a thousands group). Beside
 * "2.50" (a decimal point) in the same sheet it may as well be 85 euros: a factor of 1000,
 * imported without a word, as the measurement import no longer does. Each such amount is
 * refused, naming the first amount with a decimal point; its tender is not emitted. A
 * sheet whose amounts read one way only is imported as before. */
Test(csv_date_mix, a_sheet_that_mixes_number_styles_refuses_its_thousands)
{
    const char *mixed = "id;title;kind;value\n"
                        "A-1;Een;diensten;€ 85.000\n"      /* 85000.00, or 85.000 */
                        "A-2;Twee;diensten;2.50\n"         /* 2.50: a decimal point */
                        "A-3;Drie;diensten;1.234.567,89\n" /* one reading only */
                        "A-4;Vier;diensten;€ 1.234\n";
    csv_import_t r;
    s_parse(mixed, CSV_DATE_AUTO, &r);
    cr_expect_eq(r.n_errors, 2);
    static const char why[] = "reads as thousands, but row 3 has '2.50', with a decimal point: "
                              "the sheet mixes number styles; write the amount without a "
                              "separator (1234) or with cents (1.234,00)";
    const csv_cell_error_t *e = s_err_at(&r, 2);
    cr_assert(e, "row 2 (€ 85.000) not refused");
    cr_expect_str_eq(e->column, "value");
    cr_expect_str_eq(e->value, "€ 85.000");
    cr_expect_str_eq(e->reason, why);
    cr_assert((e = s_err_at(&r, 5)), "row 5 (€ 1.234) not refused");
    cr_expect_str_eq(e->reason, why);
    cr_assert_eq(r.n_tenders, 2);
    cr_expect_str_eq(r.tenders[0]->id, "A-2");
    cr_expect_eq(r.tenders[0]->value_cents, 250);
    cr_expect_str_eq(r.tenders[1]->id, "A-3");
    cr_expect_eq(r.tenders[1]->value_cents, 123456789);
    csv_import_clear(&r);

    csv_import_opts_t o = { .default_buyer = "heerlen", .lang = TEXT_NL };
    cr_assert_eq(csv_import_parse(mixed, strlen(mixed), &o, &r), 0);
    cr_assert((e = s_err_at(&r, 2)));
    cr_expect(strstr(e->reason, "leest als duizendtallen, maar rij 3 heeft '2.50'"), "%s",
              e->reason);
    csv_import_clear(&r);

    /* one style: "€ 85.000" is 85,000 euros */
    const char *one = "id;title;kind;value\nB-1;Een;diensten;€ 85.000\nB-2;Twee;diensten;2,50\n";
    s_parse(one, CSV_DATE_AUTO, &r);
    cr_assert_eq(r.n_errors, 0, "%s", r.n_errors ? r.errors[0].reason : "");
    cr_assert_eq(r.n_tenders, 2);
    cr_expect_eq(r.tenders[0]->value_cents, 8500000);
    cr_expect_eq(r.tenders[1]->value_cents, 250);
    csv_import_clear(&r);
}

/* A date cell is read whole or not at all: one longer than the reader's 39 bytes was
 * refused as "not a date ... or no such day", as if its text had been read and found
 * wrong. It is refused by its length, named (the cell itself is kept in the error). */
Test(csv_date_mix, an_over_long_date_cell_is_refused_by_its_length)
{
    const char *csv = "id;title;kind;publication\n"
                      "L-1;Een;diensten;01-03-2025 00:00:00:00:00:00:00:00:00:00:00\n"
                      "L-2;Twee;diensten;01-03-2025 00:00\n";
    csv_import_t r;
    s_parse(csv, CSV_DATE_AUTO, &r);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_eq(r.errors[0].row, 2);
    cr_expect_str_eq(r.errors[0].value, "01-03-2025 00:00:00:00:00:00:00:00:00:00:00");
    cr_expect_str_eq(r.errors[0].reason,
                     "longer than 39 bytes: not a date (dd-mm-jjjj or yyyy-mm-dd)");
    cr_assert_eq(r.n_tenders, 1);
    cr_expect_str_eq(r.tenders[0]->planned_publication, "2025-03-01");
    csv_import_clear(&r);
    csv_import_opts_t o = { .default_buyer = "heerlen", .lang = TEXT_NL };
    cr_assert_eq(csv_import_parse(csv, strlen(csv), &o, &r), 0);
    cr_assert_eq(r.n_errors, 1);
    cr_expect_str_eq(r.errors[0].reason,
                     "langer dan 39 bytes: geen datum (dd-mm-jjjj of jjjj-mm-dd)");
    csv_import_clear(&r);
}
