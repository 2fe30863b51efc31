/*  fuzz_csv_import: a tender CSV as an operator's spreadsheet export may be (any delimiter,
 *  BOM, CP1252, quoting), and the cell parsers on each line of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "csv_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csv_import_opts_t o = { .default_buyer = "heerlen" };
    csv_import_t out;
    csv_import_parse((const char *)data, size, &o, &out);
    csv_import_clear(&out);

    char cell[64];
    size_t n = size < sizeof cell - 1 ? size : sizeof cell - 1;
    memcpy(cell, data, n);
    cell[n] = '\0';
    char date[11];
    int64_t cents;
    uint32_t bp;
    bool b;
    csv_parse_date(cell, date);
    csv_parse_amount_cents(cell, &cents);
    csv_parse_percent_bp(cell, &bp);
    csv_parse_bool(cell, &b);
    return 0;
}
