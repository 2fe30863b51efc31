/*  factors_internal: what factors.c and factors_file.c share; not a public API. */
#ifndef MVOI_IMPACT_FACTORS_INTERNAL_H
#define MVOI_IMPACT_FACTORS_INTERNAL_H

#include "factors.h"

/*  An owned table: the public view plus the storage it points into. Every string
 *  of the view and of its rows is a separate heap copy owned by the table. */
typedef struct {
    factors_table_t pub;
    factors_row_t *rows;
} factors_owned_t;

/*  Parse one file. On error returns a negative errno and writes "path:line: reason". */
int factors_file_parse(const char *path, factors_owned_t **out, char *errbuf, size_t errlen);

/*  Free an owned table and everything it points to; NULLs the caller's pointer. */
void factors_file_free(factors_owned_t **self_p);

#endif
