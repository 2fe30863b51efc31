/* cal_names: the stable lower-case identifiers of the calendar enums (docs/domain.md#themes, #tenders)
 * as used in data files, CSV cells, logs and the CLI, and their parsers. Parsers accept the
 * Dutch id plus common English/Dutch synonyms, case-insensitively; they return 0 or -EINVAL. */
#ifndef CAL_NAMES_H
#define CAL_NAMES_H

#include "calendar.pb-c.h"

const char *cal_theme_name(Mvoi__Theme t);           /* "klimaat"...; "unspecified" */
const char *cal_kind_name(Mvoi__TenderKind k);       /* "leveringen", "diensten", "werken" */
const char *cal_procedure_name(Mvoi__Procedure p);   /* "enkelvoudig_onderhands"... */
const char *cal_commitment_name(Mvoi__Commitment c); /* "eis", "gunning", "innovatie" */
const char *cal_status_name(Mvoi__TenderStatus s);   /* "planned"... "cancelled" */

int cal_theme_parse(const char *s, Mvoi__Theme *out);
int cal_kind_parse(const char *s, Mvoi__TenderKind *out);
int cal_procedure_parse(const char *s, Mvoi__Procedure *out);
int cal_commitment_parse(const char *s, Mvoi__Commitment *out);
int cal_status_parse(const char *s, Mvoi__TenderStatus *out);

#endif
