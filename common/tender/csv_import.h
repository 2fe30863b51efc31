/* csv_import: a tender calendar exported from a spreadsheet (Excel/LibreOffice, Dutch or
 * English) into Mvoi__Tender values, for `mvoictl tender import [--dry-run]`.
 *
 * A sheet changes what its columns say, nothing else: out->stated lists the Tender fields of
 * the header's columns, and the import sends them as UpsertTenders.stated with merge. A
 * column the sheet has decides (a value sets the field; an empty cell clears it: the
 * calendar stores it unset, as never given); a field of no column (a project leader set
 * with `tender update`) keeps its stored value. A person is merged by part (name column,
 * e-mail column); a new name without an e-mail column is refused by the calendar when an
 * address is stored (it would be the previous person's). A new tender is the sheet's fields.
 *
 * Accepted input (decisions documented here, tested in tests/unit/calendar and
 * tests/integration/calendar). The rule over all of them: a cell is stored exactly, or the
 * row is refused with its row and column; nothing is dropped or guessed without a word.
 *  - encoding: a BOM, or any well-formed UTF-8 character, makes the file UTF-8; an invalid
 *    byte in such a file is an error at its row and column (a UTF-8 sheet with one pasted
 *    Windows-1252 byte is not re-read as Windows-1252: that would mangle every "ö" of it).
 *    Only a file that is not UTF-8 at all is read as Windows-1252 (what Excel writes for
 *    "CSV (gescheiden door lijstscheidingsteken)") and converted.
 *  - NUL and control characters (other than TAB and the line breaks of a quoted cell) are
 *    errors at their row and column, never cut or kept.
 *  - delimiter ';', ',' or TAB, whichever occurs most in the header line (outside quotes),
 *    or the one a first line "sep=;" states (Excel's marker: Excel does not show that line
 *    and neither do the row numbers, the header stays row 1);
 *    RFC 4180 quoting (strict: a malformed quote fails the file, naming the line).
 *  - header names: see csv_columns.h (the alias list for Dutch municipal and TenderNed
 *    sheets). Required: id/kenmerk, titel/title (or omschrijving alone), soort/kind. Every
 *    other header is either mapped or listed in `ignored`; a file without a value or a
 *    publication date column is flagged (no_value_column, no_date_column).
 *  - dates dd-mm-jjjj (also d-m-jjjj, with '/' or '.'), or ISO yyyy-mm-dd; a trailing time
 *    of that day ("01-03-2025 00:00": H:MM or HH:MM, optionally :SS, at most 23:59:59) is
 *    ignored, anything else after the date refuses it ("31-12-2026 24:00" is 1 January). The day comes first in a Dutch layout (';'). In
 *    another layout (',' or TAB: an English or US Excel), a date that reads both ways
 *    (7/1/2025: both parts <= 12 and different) is refused unless the order is declared
 *    (opts.date_order); a date that reads only one way is read that way (13/1/2025), unless
 *    the file also has one that reads only the other way (1/13/2025): such a file
 *    contradicts itself, and the later of the two is refused, naming the earlier.
 *  - amounts in euros: optional "€"/"EUR" (one, before or after the number: "12€50" is
 *    refused, not 1250), spaces, thousands separators and ",-"; a space
 *    between digits separates groups of three ("1 234 567") or the amount is refused ("12 5"
 *    was 125; in a percentage "2 5" was 25 %). With both
 *    '.' and ',' the last one is the decimal separator; with one separator occurring once,
 *    it is a thousands separator when exactly 3 digits follow and 1..3 digits not starting
 *    with 0 precede ("1.234" = 1234, "1,234" = 1234), otherwise a decimal one ("1234,5",
 *    "1234567.89", "0,500" = 0,50, "0.250" = 0.25: a group of thousands never follows a
 *    leading 0); a number that starts with 0 and is grouped or reads both ways
 *    ("0.250.000", "01.234") is refused. More than 2 decimals are rounded half up to cents.
 *  - sroi as a percentage ("5%", "5", "2,5") -> basis points; pilot ja/nee/yes/no/x.
 *  - themes: "klimaat|circulair" or "klimaat, circulair", each optionally ":eis",
 *    ":gunning" or ":innovatie" for its commitment; sdgs: "8, 10, 12".
 *  - status (gepland, gepubliceerd, gegund, in uitvoering, afgerond, geannuleerd...): the
 *    status the sheet states; the import sends it with UpsertTenders.apply_status, so it
 *    moves the stored tender where the lifecycle allows and refuses the row where not.
 *  - procedure ("Europees openbaar", "meervoudig onderhands"...): the procedure the sheet
 *    states, sent as procurement method (tender_method.h: stored, warned when the
 *    thresholds disagree).
 *  - a non-empty cell beyond the header's columns (an unquoted ';' in a cell shifts the row)
 *    is an error at its row and column; empty ones (";;" at the end) are nothing.
 *  - rows are numbered as lines in the file (header = row 1); a quoted cell spanning lines
 *    takes the number of the line it starts on. Empty rows (only delimiters) are skipped.
 *  - every row is checked with tender_validate (and, given thresholds, tender_derive);
 *    a row with any error is not emitted; all its cell errors are reported. A repeated id
 *    is an error on the later row. source is set to "csv".
 *  - an iCalendar file (first line BEGIN:VCALENDAR) is refused at row 1 as one: there is no
 *    iCalendar import (its TZID, floating times, RRULE, UID would each be a guess). */
#ifndef CSV_IMPORT_H
#define CSV_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"
#include "csv_columns.h"
#include "isv_map.h"
#include "text.h"
#include "thresholds.h"

typedef struct {
    size_t row;       /* line in the file, header = 1 */
    char column[64];  /* header text as in the file (or the field path when no column) */
    char value[128];  /* the offending cell, truncated */
    char reason[256]; /* room for the longest reason with a 64-byte buyer id in it */
} csv_cell_error_t;

/* How d-m-y / m-d-y dates are read (see above). */
typedef enum {
    CSV_DATE_AUTO = 0, /* the file's layout decides: ';' day first, else ambiguous refused */
    CSV_DATE_DMY,      /* declared: day first */
    CSV_DATE_MDY,      /* declared: month first (US) */
    CSV_DATE_GUARD,    /* refuse a date that reads both ways (what AUTO is outside ';') */
} csv_date_order_t;

/* A column the import does not map: its 1-based position and header text. */
typedef struct {
    size_t column;
    char header[64];
} csv_ignored_t;

typedef struct {
    const char *default_buyer;      /* when there is no buyer column or the cell is empty */
    csv_date_order_t date_order;
    const thresholds_t *thresholds; /* optional: also derive procedure, kick-off, SROI... */
    const isv_map_t *isv;           /* optional, with thresholds */
    const char *today;              /* "YYYY-MM-DD", needed with thresholds */
    text_lang_t lang;               /* of the tender rules' reasons (default nl) */
} csv_import_opts_t;

typedef struct {
    Mvoi__Tender **tenders; /* heap, valid rows in file order */
    size_t *tender_rows;    /* the row of tenders[i] (ascending) */
    size_t n_tenders;
    csv_cell_error_t *errors;
    size_t n_errors;
    text_lang_t lang;       /* of errors[].reason: csv_import_opts_t.lang */
    size_t rows;          /* non-empty data rows read */
    char delimiter;       /* detected */
    bool had_bom;
    bool converted_cp1252;
    bool utf16;           /* read from UTF-16 (its byte order mark): csv_utf16.h */
    csv_ignored_t *ignored;   /* columns not mapped, in file order */
    size_t n_ignored;
    bool no_value_column;     /* nothing to derive a procedure from */
    bool no_date_column;      /* no planned publication column */
    bool has_status_column;   /* the rows state their status (apply it) */
    bool has_buyer_column;    /* the rows may name their buyer (else: default_buyer) */
    /* The Tender fields the header's columns state (csv_column_field, static strings), for
     * UpsertTenders.stated: an empty cell of one of them clears the stored field, a field
     * of no column keeps it. */
    const char *stated[CSV_C_COUNT + 1];
    size_t n_stated;
} csv_import_t;

/* Parse a whole CSV text. out is initialised here. Returns 0 when the file could be read
 * (check out->n_errors for rejected rows), -EINVAL when it cannot be used at all (empty, no
 * required column, duplicate column, malformed quoting: one error in out->errors says why),
 * or -ENOMEM. Release out with csv_import_clear in every case. */
int csv_import_parse(const char *data, size_t len, const csv_import_opts_t *opts, csv_import_t *out);

/* Same, reading path (at most 16 MiB). -errno when the file cannot be read. */
int csv_import_file(const char *path, const csv_import_opts_t *opts, csv_import_t *out);

/* Free the tenders and errors and zero out. */
void csv_import_clear(csv_import_t *out);

/* The text of a CSV file as the import reads it: a UTF-16 file with its byte order mark is
 * converted to UTF-8 into *conv (csv_utf16.h; *had_bom); a UTF-8 BOM is dropped (*had_bom);
 * valid UTF-8
 * is taken as is; UTF-8 with invalid bytes (a BOM, or any well-formed UTF-8 character) is
 * taken as is with *check_utf8 set (csv_cell_check names each bad cell); anything else is
 * Windows-1252, converted into *conv (heap, free it; *data points into it). 0, -ENOMEM, or
 * -EILSEQ for UTF-16 without its byte order mark (csv_utf16_unmarked): the caller refuses
 * the file with CSV_UTF16_NO_BOM (the English of "tender.csv.utf16_no_bom"), reads nothing. */
#define CSV_UTF16_NO_BOM "UTF-16 without byte order mark: save as UTF-8 or UTF-16 with BOM"

int csv_text_prepare(const char **data, size_t *len, char **conv, bool *had_bom, bool *check_utf8);

/* One cell as read (len bytes): 0, or -EINVAL with why ("control character 0x00 at
 * character 5 ...", "byte 0xF6 at character 3 is not UTF-8 ..."). */
int csv_cell_check(const char *cell, size_t len, bool check_utf8, char *why, size_t whylen);
/* The same with why in lang (csv_cell_check's is English). */
int csv_cell_check_lang(const char *cell, size_t len, bool check_utf8, text_lang_t lang,
                        char *why, size_t whylen);

/* ';', ',' or TAB: the one that occurs most in the first line outside quotes (ties: ';'). */
char csv_detect_delimiter(const char *s, size_t len);

/* The cell parsers, public for the CLI and tests. Each returns 0 or -EINVAL; an empty
 * cell is -ENODATA so the caller can treat it as "absent". */
int csv_parse_date(const char *s, char out[11]);   /* day first */
/* order DMY, MDY or GUARD; GUARD returns -ERANGE for a date that reads both ways. A cell
 * longer than CSV_DATE_CELL_MAX bytes (blanks around it aside) is -E2BIG, read whole or not
 * at all: the longest date with a time ("31-12-2026 23:59:59" and room) is far shorter. */
#define CSV_DATE_CELL_MAX 39
int csv_parse_date_order(const char *s, csv_date_order_t order, char out[11]);
int csv_parse_amount_cents(const char *s, int64_t *cents);
int csv_parse_percent_bp(const char *s, uint32_t *bp);
int csv_parse_bool(const char *s, bool *v);
/* A number in a fixed unit (the measurement import: "10.000" litres, "1,5" kg) as value x
 * 10^dec, exactly. The separators of the amounts above: with both '.' and ',' the last one
 * is the decimal separator; one kind repeated is a thousands separator ("1.234.567"); one
 * separator once is a thousands separator when 1..3 digits (not starting with 0) precede and
 * exactly 3 follow, otherwise a decimal one ("1.234" = 1234, "1234,5", "0,500" = 0,5,
 * "2.5"). "1,234" is refused (-EDOM): 1234 by the amount rule, 1,234 with a Dutch decimal
 * comma. Never rounded: decimals beyond dec must be 0 (-ERANGE). A space between digits
 * groups thousands ("1 234 567") or the number is refused ("12 5"); other spaces are
 * ignored. A leading '-' makes the value negative (the caller checks the range). 0, -ENODATA (empty),
 * -EINVAL, -EDOM or -ERANGE with why (whylen bytes) saying what is wrong. */
int csv_parse_fixed(const char *s, int dec, int64_t *out, char *why, size_t whylen);
/* The same in a file's layout, why in lang. delim ';' (a Dutch sheet, as Excel nl writes
 * it): "1.234" is 1234, as above. delim ',' or TAB (an English export, or a Dutch one with
 * quoted cells): "1.234" is as likely 1,234 as 1234 and is refused (-EDOM) like "1,234";
 * "1.234,5", "1,234.5", "1.234.567", "2.5" and "1,5" read one way only and are taken.
 * delim 0: csv_parse_fixed's rule (a flag, no file). */
int csv_parse_fixed_in(const char *s, int dec, char delim, text_lang_t lang, int64_t *out,
                       char *why, size_t whylen);
/* What a number's '.' says of the sheet (s as csv_parse_fixed_in takes it, without its
 * currency): CSV_DOT_DECIMAL when the '.' can only be a decimal point ("2.5", "1,234.5",
 * "1.2345"), CSV_DOT_THOUSANDS when it is a thousands separator only by the Dutch sheet's
 * rule, while it is a decimal point in English ("1.234": 1234 or 1,234), else CSV_DOT_NONE
 * (no '.', "1.234.567", "1.234,5", or no number). A ';' sheet with both kinds mixes the
 * styles: its "1.234" is then a guess, a factor of 1000 (cmd_measure_import refuses it). */
typedef enum { CSV_DOT_NONE = 0, CSV_DOT_DECIMAL, CSV_DOT_THOUSANDS } csv_dot_style_t;
csv_dot_style_t csv_number_dot_style(const char *s);
/* The same for an amount as csv_parse_amount_cents reads it, in any sheet: "€ 1.234" is a
 * thousands group (1234 euros), "2.50" and "1,234.56" a decimal point, "1.234,56" and
 * "1.234.567" neither. A sheet with both makes its "1.234" a guess (csv_import refuses it). */
csv_dot_style_t csv_amount_dot_style(const char *s);
/* A first line "sep=X" (X ';', ',' or TAB), which Excel reads as the file's delimiter and
 * some exports write: its length with the line break (the header follows), *delim = X; 0
 * when the text has none. */
size_t csv_sep_line(const char *s, size_t len, char *delim);

#endif
