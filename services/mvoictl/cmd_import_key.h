/*  cmd_import_key: the account of an import whose key the service stopped taking half way
 *  (rows marked by ctl_import_report_key). See cmd_import_key.c. */
#ifndef MVOI_CMD_IMPORT_KEY_H
#define MVOI_CMD_IMPORT_KEY_H

#include <stdio.h>

#include "cmd_import_report.h"
#include "ctl.h"

/* When rep has key-refused rows: on stderr, in --lang, "<service> stopped accepting this
 * connection's key ...: N row(s) stored or already there, M not stored, the first of them
 * <key_word> K (ID). Import the same file again ..." and EX_NOPERM (77); else 0 and
 * nothing said. key_word: "ctl.import.key.row" or "ctl.import.key.process". */
int ctl_import_key_say(const ctl_t *ctl, const ctl_import_report_t *rep, const char *service,
                       const char *key_word);
/* --json: `, "key_refused": {"stored", "not_stored", "first_not_stored": {"row", "id"}}`
 * for the summary document; nothing when no row was refused for the key. */
void ctl_import_key_json(const ctl_import_report_t *rep, FILE *out);

#endif
