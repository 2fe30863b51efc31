/*  xlsx_int: the workbook's limits and its checked writes (xlsx_check.c), shared by xlsx.c
 *  and xlsx_bench.c. */
#ifndef RP_XLSX_INT_H
#define RP_XLSX_INT_H

#include <stdint.h>
#include <xlsxwriter.h>

#include "report.h"

/* Excel's limits ("Excel specifications and limits"): rows a sheet (the header row
 * included), columns a sheet, characters a cell. */
#define RP_XLSX_ROWS_MAX 1048576u
#define RP_XLSX_COLS_MAX 16384u
#define RP_XLSX_CELL_MAX 32767u
#define RP_XLSX_NSHEETS 6   /* the sheets whose size depends on the data (xlsx.c) */

typedef struct { uint32_t rows, cols, cell; } rp_xlsx_limits_t;
typedef struct { const char *sheet; uint64_t rows, cols; } rp_xlsx_size_t;  /* sheet: key */

/* Internal hook for tests: lower the limits (NULL: Excel's again), so the refusal and its
 * boundary are tested on a small workbook. Not thread-safe; never called by the service. */
void rp_xlsx_set_limits(const rp_xlsx_limits_t *lim);
const rp_xlsx_limits_t *rp_xlsx_limits(void);
/* The rows (header included) and columns of each data sheet of the report. */
void rp_xlsx_sheet_sizes(const rp_report_t *r, rp_xlsx_size_t sz[RP_XLSX_NSHEETS]);
/* Before a file is made: 0, -EFBIG (a sheet over the rows or columns, a text over the
 * characters of a cell) or -EILSEQ (a text that is not UTF-8), with the reason in the
 * report's language in why (the catalogue's report.err.xlsx_*). */
int rp_xlsx_check(const rp_report_t *r, char *why, size_t cap);
/* Its first half: the sheets' rows and columns only (reads the counts, not the rows). */
int rp_xlsx_check_sizes(const rp_report_t *r, char *why, size_t cap);

/* Every worksheet_write_* result goes through rp_xlsx_note (returns rc); the first failure
 * of the render is kept (per thread) and rp_xlsx_note_result refuses the file with it:
 * -EFBIG for a cell out of Excel's range or too long, -EIO otherwise, 0 when none. */
void rp_xlsx_note_reset(void);
lxw_error rp_xlsx_note(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, lxw_error rc);
int rp_xlsx_note_result(const rp_report_t *r, char *why, size_t cap);
#define RP_XW_STR(ws, row, col, s, f) \
    rp_xlsx_note((ws), (lxw_row_t)(row), (lxw_col_t)(col), \
                 worksheet_write_string((ws), (lxw_row_t)(row), (lxw_col_t)(col), (s), (f)))
#define RP_XW_NUM(ws, row, col, v, f) \
    rp_xlsx_note((ws), (lxw_row_t)(row), (lxw_col_t)(col), \
                 worksheet_write_number((ws), (lxw_row_t)(row), (lxw_col_t)(col), (v), (f)))

void rp_xlsx_bench(lxw_workbook *wb, const rp_report_t *r, lxw_format *bold);

#endif
