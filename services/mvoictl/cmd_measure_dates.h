/*  cmd_measure_dates: the date orders of a measurement sheet as a whole.
 *
 *  Each date cell is read on its own by ctl_meas_set (a ';' sheet is Dutch, dd-mm-jjjj; in a
 *  ',' or TAB sheet a date that reads both ways is refused). What one cell cannot show is
 *  that the sheet mixes orders: a ';' sheet with "12/25/2026" in it (month first: only
 *  that reading is a date) also read "03/04/2026" as 3 April, where its writer may have
 *  meant 4 March; a ',' sheet took "25/12/2026" day-first and "12/25/2026" month-first
 *  side by side. The rule (what a Dutch adviser expects):
 *    - yyyy-mm-dd reads one way in every sheet and is always taken;
 *    - a ';' sheet is dd-mm-jjjj; once one of its dates reads only month-first, every date
 *      of it that reads both ways ("03/04/2026") is refused too, naming that row and cell
 *      (the month-first cell is refused as no date by ctl_meas_set);
 *    - in a ',' or TAB sheet the first date that reads only one way sets the order; a date
 *      that reads only the other way is refused, naming that first one.
 *  A date that reads the same both ways ("03/03/2026") follows any order. Refused cells are
 *  reported like any other cell: the file imports nothing. */
#ifndef CMD_MEASURE_DATES_H
#define CMD_MEASURE_DATES_H

#include <stddef.h>

#include "text.h"

typedef struct {
    size_t row;       /* record, header = 1 */
    char column[64];  /* the header's text */
    char text[40];    /* the cell as written (a date has at most 39 bytes) */
    int order;        /* S_BOTH / S_DMY / S_MDY of the .c */
} ctl_date_cell_t;

typedef struct {
    ctl_date_cell_t *cells;   /* the sheet's dates that depend on an order, in file order */
    size_t n, cap;
} ctl_dates_t;

/* The date cell v of column (period_start, period_end, or period "a..b"; any other column
 * is no date and ignored) at row. 0 or -ENOMEM. */
int ctl_dates_note(ctl_dates_t *d, size_t row, const char *column, const char *v);
/* Refuses every cell the rule above refuses in a sheet of delimiter delim: calls
 * bad(arg, row, column, value, why) with why in lang. Returns how many. */
size_t ctl_dates_check(const ctl_dates_t *d, char delim, text_lang_t lang,
                       void (*bad)(void *arg, size_t row, const char *column,
                                   const char *value, const char *why),
                       void *arg);
void ctl_dates_fini(ctl_dates_t *d);

#endif
