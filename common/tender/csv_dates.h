/*  csv_dates: the date orders of a sheet as a whole, for the measurement import (mvoictl
 *  measure import) and the tender import (csv_import.c) alike.
 *
 *  Each date cell is read on its own (a ';' sheet is Dutch, dd-mm-jjjj; in a ',' or TAB
 *  sheet a date that reads both ways is refused). What one cell cannot show is
 *  that the sheet mixes orders: a ';' sheet with "12/25/2026" in it (month first: only
 *  that reading is a date) also read "03/04/2026" as 3 April, where its writer may have
 *  meant 4 March; a ',' sheet took "25/12/2026" day-first and "12/25/2026" month-first
 *  side by side. The rule (what a Dutch adviser expects):
 *    - yyyy-mm-dd reads one way in every sheet and is always taken;
 *    - a ';' sheet is dd-mm-jjjj; once one of its dates reads only month-first, every date
 *      of it that reads both ways ("03/04/2026") is refused too, naming that row and cell
 *      (the month-first cell is refused as no date by the cell's own reader);
 *    - in a ',' or TAB sheet the first date that reads only one way sets the order; a date
 *      that reads only the other way is refused, naming that first one.
 *  A date that reads the same both ways ("03/03/2026") follows any order. Refused cells are
 *  reported like any other cell: the file imports nothing. */
#ifndef CSV_DATES_H
#define CSV_DATES_H

#include <stddef.h>

#include "text.h"

typedef struct {
    size_t row;       /* record, header = 1 */
    char column[64];  /* the header's text */
    char text[40];    /* the cell as written (a date has at most 39 bytes) */
    int order;        /* S_BOTH / S_DMY / S_MDY of the .c */
} csv_date_cell_t;

typedef struct {
    csv_date_cell_t *cells;   /* the sheet's dates that depend on an order, in file order */
    size_t n, cap;
} csv_dates_t;

/* The date text (len bytes, not NUL-terminated) of a cell of column at row: kept when its
 * reading depends on an order. 0 or -ENOMEM. */
int csv_dates_add(csv_dates_t *d, size_t row, const char *column, const char *text, size_t len);
/* Refuses every cell the rule above refuses in a sheet of delimiter delim: calls
 * bad(arg, row, column, value, why) with why in lang (the catalogue's "tender.csv.date_*").
 * Returns how many. */
size_t csv_dates_check(const csv_dates_t *d, char delim, text_lang_t lang,
                       void (*bad)(void *arg, size_t row, const char *column,
                                   const char *value, const char *why),
                       void *arg);
void csv_dates_fini(csv_dates_t *d);

#endif
