/*  cmd_tender: what the files of the mvoictl "tender" group share (not for other groups).
 *
 *  cmd_tender.c: the verbs and the command table; cmd_tender_out.c: calling the calendar
 *  and printing; cmd_tender_flags.c: flags and JSON onto a Tender; cmd_tender_import.c:
 *  import.
 */
#ifndef MVOI_CMD_TENDER_H
#define MVOI_CMD_TENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.pb-c.h"
#include "ctl.h"

#define CTL_TENDER_SVC "calendar"
#define CTL_TENDER_MAX_BYTES (1024u * 1024u * 1024u)

/* getopt_long values of every tender verb's options. */
enum {
    O_ID = 1000, O_TITLE, O_KIND, O_VALUE, O_PUB, O_START, O_END, O_GROUP, O_CPV, O_LEADER,
    O_BUDGET, O_ADVISER, O_THEME, O_SDG, O_SROI, O_EXEMPT, O_PILOT, O_PROC, O_SOURCE, O_JSON,
    O_EXPECTED, O_STATUS, O_REASON, O_YEAR, O_QUARTER, O_LIMIT, O_OFFSET, O_ALL, O_FROM,
    O_DAYS, O_DRY, O_WINDOW, O_FORMAT, O_DATE_ORDER,
};

/* ---- cmd_tender_out.c */

/* Send req to the calendar and check the reply; prints errors. Returns an exit code,
 * *reply on 0 (free with ctl_free). */
int ctl_tender_call(ctl_t *ctl, Mvoi__Envelope *req, Mvoi__Envelope **reply);
/* Print a TenderReply: the tender's fields (outcome on stderr) or JSON. */
int ctl_tender_show_reply(ctl_t *ctl, Mvoi__Envelope *r);
/* Print a TenderList: a table (with its header line if header) or JSON. */
int ctl_tender_print_list(ctl_t *ctl, Mvoi__Envelope *r, bool header);

/* ---- cmd_tender_pages.c: the pages of `list --all --json`, printed as one document */
typedef struct {
    Mvoi__Envelope **pages;   /* the calendar's TenderList replies, owned */
    size_t n, cap, n_tenders;
} ctl_tender_pages_t;
/* Keep the reply *r (a TenderList; *r becomes NULL): 0, or an exit code after the message. */
int ctl_tender_pages_keep(ctl_t *ctl, ctl_tender_pages_t *p, Mvoi__Envelope **r);
/* One TenderList of every kept tender and the last page's total, as JSON on stdout. */
int ctl_tender_pages_print(ctl_t *ctl, const ctl_tender_pages_t *p);
void ctl_tender_pages_clear(ctl_tender_pages_t *p);

/* ---- cmd_tender_flags.c */

/* "mvoictl tender: " + fmt with arg on stderr; returns CTL_EX_USAGE. */
int ctl_tender_usage_err(const char *fmt, const char *arg);
/* A whole file ("-": stdin) of at most CTL_TENDER_MAX_BYTES, NUL-terminated. */
int ctl_tender_read_all(const char *path, char **buf, size_t *len);
/* A Tender from a JSON file ({...} or {"tender": {...}}); NULL with *ex set on error (said
 * on stderr in the chosen language). */
Mvoi__Tender *ctl_tender_from_json(const ctl_t *ctl, const char *path, int *ex);
/* Apply the flags of add/update onto t. Returns 0 or an exit code (a refused flag is named on
 * stderr in the chosen language). */
int ctl_tender_apply_flags(const ctl_t *ctl, Mvoi__Tender *t, int argc, char **argv,
                           const char **json_path, long *expected);

/* ---- cmd_tender_import.c */

int ctl_tender_import(ctl_t *ctl, int argc, char **argv);

#endif
