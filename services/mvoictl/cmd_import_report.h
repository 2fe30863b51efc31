/*  cmd_import_report: the per-row verdicts of an import or its dry run (tenders and
 *  measurements alike), collected from the service's replies and printed the same way for
 *  both, so that a preview and the import it previews can be compared line by line.
 */
#ifndef MVOI_CMD_IMPORT_REPORT_H
#define MVOI_CMD_IMPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "text.h"

typedef struct {
    size_t key;          /* the row in the file (CSV) or the process number (OCDS) */
    char *id;            /* tender or measurement id */
    int outcome;         /* 1 created, 2 updated, 3 unchanged, 0 refused, 4 unconfirmed:
                            sent, the service stopped answering: stored or not, unknown */
    bool repeated;       /* answered from a stored reply of an earlier run */
    char *changed;       /* updated: "value_cents, status" */
    char *warning;
    char *field, *message;
    bool key_refused;    /* refused (outcome 0) because the service no longer took the
                            connection's key (revoked mid-import): ctl_import_report_key */
} ctl_import_row_t;

typedef struct {
    ctl_import_row_t *rows;
    size_t n, cap;
    bool oom;
    const size_t *keys;  /* keys[i] is the key of ids[i], ascending; NULL: i + 1 */
    const char *const *ids;
    size_t n_ids;
    size_t created, updated, unchanged, repeated, refused, unconfirmed, warnings;
    size_t key_refused;  /* of refused: the rows refused for the connection's key */
    size_t unavailable;  /* of unconfirmed: the rows the service answered ERR_UNAVAILABLE
                            (a storage failure ...), not the rows it left without answer */
} ctl_import_report_t;

/* Add one row's verdict (copies the strings). id NULL: looked up from keys/ids. */
void ctl_import_report_add(ctl_import_report_t *r, size_t key, const char *id, int outcome,
                           bool repeated, const char *const *changed, size_t n_changed,
                           const char *warning, const char *field, const char *message);

/* A row the service refused because it no longer took the connection's key
 * (PERMISSION_DENIED on "key", ctl_key_refused: revoked from its registry after the
 * handshake): a refused row (outcome 0, field "key") that the human account does not list
 * one by one; cmd_import_key.c says what was stored and where to resume instead. */
void ctl_import_report_key(ctl_import_report_t *r, size_t key, const char *id,
                           const char *message);

/* A row the service answered ERR_UNAVAILABLE: unconfirmed (outcome 4), counted apart from
 * the rows without an answer so that the summary says what happened to each kind. */
void ctl_import_report_unavailable(ctl_import_report_t *r, size_t key, const char *id,
                                   const char *field, const char *message);

/* The lines of the unconfirmed rows under a summary (nothing when none), on out: those
 * without an answer ("ctl.import.unconfirmed", or "ctl.import.no_verdict" for a dry run)
 * and those answered unavailable ("ctl.import.unavailable", "ctl.import.no_verdict_
 * unavailable"): one text for both said "no answer in time" of rows that were answered. */
void ctl_import_report_unconfirmed(const ctl_import_report_t *r, FILE *out, bool dry,
                                   text_lang_t lang);

/* Sort by key; print one line per row for people in lang ("rij 3 HRL-1: gewijzigd
 * (value_cents)", "row 3 HRL-1: updated (value_cents)"), refusals with their field and
 * reason, and warnings. key_word: the catalogue key of the row's word ("ctl.import.key.row"
 * or "ctl.import.key.process"). */
void ctl_import_report_print(const ctl_import_report_t *r, FILE *out, const char *key_word,
                             text_lang_t lang);
/* The people's word of an outcome in lang ("aangemaakt", "created"); the JSON keeps the
 * English names (a script's, in every language). */
const char *ctl_import_outcome_text(int outcome, text_lang_t lang);

/* The rows as a JSON array (no newline). */
void ctl_import_report_json_rows(const ctl_import_report_t *r, FILE *out);

/* A JSON string literal. */
void ctl_json_str(FILE *out, const char *s);

void ctl_import_report_clear(ctl_import_report_t *r);

/* The cells that make a file unimportable (nothing is sent): cmd_import_errors.c. */
typedef struct {
    size_t row;          /* the record, header = 1 */
    char *column, *value, *reason;
} ctl_cell_err_t;

typedef struct {
    ctl_cell_err_t *v;
    size_t n, cap;
    bool oom;
} ctl_cell_errs_t;

void ctl_cell_errs_add(ctl_cell_errs_t *e, size_t row, const char *column, const char *value,
                       const char *reason);
/* One "row;column;value;reason" line, each cell quoted when it holds ';', '"' or a newline. */
void ctl_cell_errs_line(FILE *out, size_t row, const char *column, const char *value,
                        const char *reason);
/* --json: the command's one document, {"dry_run", "imported": false, "errors": [{"row",
 * "column", "value", "reason"}]}, and a newline. */
void ctl_cell_errs_json(const ctl_cell_errs_t *e, FILE *out, bool dry);
void ctl_cell_errs_clear(ctl_cell_errs_t *e);

/* A CSV cell for the lines above. */
void ctl_csv_cell(FILE *out, const char *s);

#endif
