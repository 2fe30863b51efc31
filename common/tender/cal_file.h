/* cal_file: reading the calendar's small data files (threshold tables, ISV map) and whole
 * input files (CSV imports). Data files are ';'-separated lines; '#' starts a comment line. */
#ifndef CAL_FILE_H
#define CAL_FILE_H

#include <stddef.h>

/* Read a whole file into a NUL-terminated heap buffer (caller frees). Refuses files over
 * max_bytes with -EFBIG so a wrong path cannot exhaust memory. Returns 0 or -errno. */
int cal_file_read(const char *path, size_t max_bytes, char **buf, size_t *len);

/* Callback per non-empty, non-comment line: fields split on ';' and trimmed.
 * Return 0 to continue, negative to stop (the value is returned by cal_file_lines). */
typedef int (cal_line_fn)(void *arg, int lineno, char **fields, int nfields);

/* Run fn over the lines of a data file. At most 16 fields per line. */
int cal_file_lines(const char *path, cal_line_fn *fn, void *arg);

/* Sorted list of the regular files in dir whose names start with prefix and end with
 * suffix, as full paths (caller frees each and the array). Returns count >= 0 or -errno. */
int cal_file_list(const char *dir, const char *prefix, const char *suffix, char ***paths);

#endif
