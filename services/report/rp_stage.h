/*  rp_stage: a request's report files, all of its formats or none.
 *
 *  Every format of a request is written (and the PDF printed) in <period dir>/.staging under
 *  its final name, and moved beside the reports only once all of them are there. A request
 *  that fails part way (the xlsx over Excel's limits after the html, a Chromium that prints
 *  no PDF) leaves nothing in the period's directory: not half a set that could be served
 *  as the report, and not an earlier report's files overwritten. */
#ifndef RP_STAGE_H
#define RP_STAGE_H

#include <stddef.h>

#define RP_STAGE_DIR ".staging"

/* out = <dir>/.staging/<final's last component>; 0, or -ENAMETOOLONG (never cut). */
int rp_stage_path(char *out, size_t cap, const char *dir, const char *final);
/* Creates <dir>/.staging (dir exists); 0 or a negative errno. */
int rp_stage_open(const char *dir);
/* Removes the staged files (and their ".tmp") and the staging directory; what is not there
 * is fine. The service runs one job at a time, so these names are its own. */
void rp_stage_clear(const char *dir, const char *const *staged, size_t n);

#endif
