/* tender_method: the procedure a source states (OCDS procurementMethod and
 * procurementMethodDetails, as TenderNed fills them) instead of the one the thresholds give.
 *
 * Decisions:
 *  - details naming a procedure win: "...europe..." -> europees_openbaar, "...nationa..." ->
 *    nationaal_openbaar, "...meervoudig..." -> meervoudig_onderhands, "...enkelvoudig..." ->
 *    enkelvoudig_onderhands (case-insensitive; TenderNed's "Europese openbare procedure",
 *    "Nationale openbare procedure", "Meervoudig onderhandse procedure", ...);
 *  - otherwise the method: "open" and "selective" state a public procedure: the thresholds'
 *    procedure when that is public, else nationaal_openbaar (a public tender below the EU
 *    threshold is national; also when there is no value to derive from); "limited" states an
 *    onderhandse procedure: the thresholds' when that is onderhands, else
 *    meervoudig_onderhands; "direct" states enkelvoudig_onderhands;
 *  - the stated procedure is what is stored (and decides the kick-off); when the thresholds
 *    give another one, a warning says so (the source may have chosen a heavier procedure, or
 *    the value is wrong: a person should look). */
#ifndef TENDER_METHOD_H
#define TENDER_METHOD_H

#include <stddef.h>

#include "calendar.pb-c.h"
#include "text.h"

/* derived: the thresholds' procedure (UNSPECIFIED when unknown). *out (may be NULL) gets the
 * stated procedure; warn (may be NULL) a sentence when it differs from derived, else "".
 * Returns 0, or -EINVAL when method is none of open, selective, limited, direct. */
int tender_method_procedure(const char *method, const char *details, Mvoi__Procedure derived,
                            Mvoi__Procedure *out, char *warn, size_t warnlen);
/* The same with the warning in lang (tender_method_procedure's is English). */
int tender_method_procedure_lang(const char *method, const char *details,
                                 Mvoi__Procedure derived, Mvoi__Procedure *out,
                                 text_lang_t lang, char *warn, size_t warnlen);

#endif
