/*  csv_dates: see csv_dates.h. */
#include "csv_dates.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_import.h"
#include "textfmt.h"

enum { S_BOTH = 1, S_DMY, S_MDY };

/* How text reads: S_BOTH (two different dates), S_DMY / S_MDY (only that way), or 0 (one
 * date either way: ISO, "03/03/2026"; or no date at all, which the cell's reader refuses). */
static int s_order(const char *text)
{
    char a[11], b[11];
    bool dmy = csv_parse_date_order(text, CSV_DATE_DMY, a) == 0;
    bool mdy = csv_parse_date_order(text, CSV_DATE_MDY, b) == 0;
    if (dmy && mdy)
        return strcmp(a, b) != 0 ? S_BOTH : 0;
    return dmy ? S_DMY : mdy ? S_MDY : 0;
}

int csv_dates_add(csv_dates_t *d, size_t row, const char *column, const char *text, size_t len)
{
    char cell[CSV_DATE_CELL_MAX + 1];
    if (len >= sizeof cell)
        return 0;   /* no date: the cell's reader refuses it */
    memcpy(cell, text, len);
    cell[len] = '\0';
    int order = s_order(cell);
    if (!order)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        csv_date_cell_t *c = realloc(d->cells, cap * sizeof *c);
        if (!c)
            return -ENOMEM;
        d->cells = c;
        d->cap = cap;
    }
    csv_date_cell_t *c = &d->cells[d->n++];
    c->row = row;
    snprintf(c->column, sizeof c->column, "%s", column);
    memcpy(c->text, cell, len + 1);
    c->order = order;
    return 0;
}

static const csv_date_cell_t *s_first(const csv_dates_t *d, int order)
{
    for (size_t i = 0; i < d->n; i++)
        if (order ? d->cells[i].order == order : d->cells[i].order != S_BOTH)
            return &d->cells[i];
    return NULL;
}

size_t csv_dates_check(const csv_dates_t *d, char delim, text_lang_t lang,
                       void (*bad)(void *arg, size_t row, const char *column,
                                   const char *value, const char *why),
                       void *arg)
{
    char why[320];
    size_t n = 0;
    /* a Dutch sheet: day first, unless one of its dates can only be month first */
    const csv_date_cell_t *m = delim == ';' ? s_first(d, S_MDY) : NULL;
    /* another sheet: its first one-way date sets the order (a two-way one is refused) */
    const csv_date_cell_t *f = delim == ';' ? NULL : s_first(d, 0);
    for (size_t i = 0; i < d->n; i++) {
        const csv_date_cell_t *c = &d->cells[i];
        if (m && c->order == S_BOTH)
            textfmt_tr(why, sizeof why, lang, "tender.csv.",
                       "reads as day-month and as month-day, and row %zu has '%s', which reads "
                       "only month-first: the sheet mixes date orders; write the dates as "
                       "dd-mm-yyyy or yyyy-mm-dd", m->row, m->text);
        else if (f && c->order != S_BOTH && c->order != f->order)
            textfmt_tr(why, sizeof why, lang, "tender.csv.",
                       c->order == S_DMY
                           ? "reads only day-first, but row %zu has '%s', which reads only "
                             "month-first: the sheet mixes date orders; write the dates as "
                             "yyyy-mm-dd"
                           : "reads only month-first, but row %zu has '%s', which reads only "
                             "day-first: the sheet mixes date orders; write the dates as "
                             "yyyy-mm-dd",
                       f->row, f->text);
        else
            continue;
        bad(arg, c->row, c->column, c->text, why);
        n++;
    }
    return n;
}

void csv_dates_fini(csv_dates_t *d)
{
    free(d->cells);
    memset(d, 0, sizeof *d);
}
