/* csv_import: a tender calendar exported from a spreadsheet (Excel/LibreOffice, Dutch or
 * English) into Mvoi__Tender values, for `mvoictl calendar import [--dry-run]`.
 *
 * Accepted input (decisions documented here, tested in tests/unit/calendar):
 *  - UTF-8 with or without BOM; a file that is not valid UTF-8 is read as Windows-1252 (what
 *    Excel writes for "CSV (gescheiden door lijstscheidingsteken)") and converted.
 *  - delimiter ';', ',' or TAB, whichever occurs most in the header line (outside quotes);
 *    RFC 4180 quoting (strict: a malformed quote fails the file, naming the line).
 *  - header names in Dutch or English, matched case-insensitively on their letters and
 *    digits only ("Thema's", "E-mail projectleider", "Waarde (EUR)"): see s_columns in
 *    csv_import.c. Required: id/kenmerk, titel/title, soort/kind. Unknown columns are ignored.
 *  - dates dd-mm-jjjj (also d-m-jjjj, with '/' or '.'), or ISO yyyy-mm-dd; a trailing time
 *    ("01-03-2025 00:00") is ignored.
 *  - amounts in euros: optional "€"/"EUR", spaces, thousands separators and ",-". With both
 *    '.' and ',' the last one is the decimal separator; with one separator occurring once,
 *    it is a thousands separator when exactly 3 digits follow and at most 3 precede
 *    ("1.234" = 1234, "1,234" = 1234), otherwise a decimal one ("1234,5", "1234567.89");
 *    more than 2 decimals are rounded half up to cents.
 *  - sroi as a percentage ("5%", "5", "2,5") -> basis points; pilot ja/nee/yes/no/x.
 *  - themes: "klimaat|circulair" or "klimaat, circulair", each optionally ":eis",
 *    ":gunning" or ":innovatie" for its commitment; sdgs: "8, 10, 12".
 *  - rows are numbered as lines in the file (header = row 1); a quoted cell spanning lines
 *    takes the number of the line it starts on. Empty rows (only delimiters) are skipped.
 *  - every row is checked with tender_validate (and, given thresholds, tender_derive);
 *    a row with any error is not emitted; all its cell errors are reported. A repeated id
 *    is an error on the later row. source is set to "csv". */
#ifndef CSV_IMPORT_H
#define CSV_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"
#include "isv_map.h"
#include "thresholds.h"

typedef struct {
    size_t row;       /* line in the file, header = 1 */
    char column[64];  /* header text as in the file (or the field path when no column) */
    char value[128];  /* the offending cell, truncated */
    char reason[192];
} csv_cell_error_t;

typedef struct {
    const char *default_buyer;      /* when there is no buyer column or the cell is empty */
    const thresholds_t *thresholds; /* optional: also derive procedure, kick-off, SROI... */
    const isv_map_t *isv;           /* optional, with thresholds */
    const char *today;              /* "YYYY-MM-DD", needed with thresholds */
} csv_import_opts_t;

typedef struct {
    Mvoi__Tender **tenders; /* heap, valid rows in file order */
    size_t n_tenders;
    csv_cell_error_t *errors;
    size_t n_errors;
    size_t rows;          /* non-empty data rows read */
    char delimiter;       /* detected */
    bool had_bom;
    bool converted_cp1252;
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

/* The cell parsers, public for the CLI and tests. Each returns 0 or -EINVAL; an empty
 * cell is -ENODATA so the caller can treat it as "absent". */
int csv_parse_date(const char *s, char out[11]);
int csv_parse_amount_cents(const char *s, int64_t *cents);
int csv_parse_percent_bp(const char *s, uint32_t *bp);
int csv_parse_bool(const char *s, bool *v);

#endif
