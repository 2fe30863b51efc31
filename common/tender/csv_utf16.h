/*  csv_utf16: a CSV file saved as UTF-16 with its byte order mark (Excel's "Unicode text",
 *  Notepad's "Unicode"), read as the UTF-8 the readers take. See csv_utf16.c. */
#ifndef MVOI_CSV_UTF16_H
#define MVOI_CSV_UTF16_H

#include <stdbool.h>
#include <stddef.h>

/* CSV_UTF16_LE (FF FE) or CSV_UTF16_BE (FE FF) when data starts with that byte order mark,
 * else 0. */
enum { CSV_UTF16_LE = 1, CSV_UTF16_BE = 2 };
int csv_utf16_bom(const char *data, size_t len);

/* CSV_UTF16_LE or CSV_UTF16_BE when data has no byte order mark but its first line looks
 * like UTF-16 all the same: at least two units, and a NUL in every other byte of at least
 * half its units (the high byte of an ASCII character), never in the other byte; else 0.
 * Text (UTF-8, Windows-1252) has no NUL at all, so the pattern is no guess at a sheet. */
int csv_utf16_unmarked(const char *data, size_t len);

/* The UTF-16 text after the mark (len bytes, order as csv_utf16_bom said) as UTF-8 on the
 * heap (NUL-terminated, *olen bytes; free it), or NULL when out of memory. A unit that is
 * no character (a lone surrogate, an odd last byte) becomes the byte 0xFF, which is never
 * UTF-8, and sets *bad: the cell check then names its row and column, nothing is guessed. */
char *csv_utf16_to_utf8(const char *data, size_t len, int order, size_t *olen, bool *bad);

#endif
