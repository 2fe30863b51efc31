/* tender_cancel_ocds: a cancellation by an OCDS release, said in the reader's language.
 *
 * The import keeps the facts (Tender.cancel_ocds: the release's id and date as written;
 * cancel_reason: the publisher's statusDetails as given, or unset), not a sentence: the
 * English "cancelled in OCDS release <id> (<date>)" it wrote before was English in every
 * Dutch report and mail. The release's date is said as its day in Amsterdam, in words ("20
 * mei 2025"); one that cannot be read, as written. Records stored before with that text, or with "<statusDetails>
 * (OCDS <date>)", are recognised only when the text is exactly that form on a tender whose
 * source is "ocds:..." and the date is a readable one (or "no date"/none, as written then);
 * any other reason is shown as written. tender_cancel.h is the way in. */
#ifndef TENDER_CANCEL_OCDS_H
#define TENDER_CANCEL_OCDS_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.pb-c.h"
#include "text.h"

/* Is t's reason said from an OCDS cancellation (its facts, or a stored English form)? */
bool tender_cancel_ocds_is(const Mvoi__Tender *t);

/* The sentence for t (tender_cancel_ocds_is) in lang into buf (cap bytes). 0, or -ENOSPC
 * when the whole text does not fit (never cut). */
int tender_cancel_ocds_say(const Mvoi__Tender *t, text_lang_t lang, char *buf, size_t cap);

/* Sets t->cancel_ocds (heap, an unpacked tender) to a copy of the release id and date
 * (either may be NULL), or clears it when clear. 0 or -ENOMEM (t unchanged). */
int tender_cancel_ocds_set(Mvoi__Tender *t, bool clear, const char *release_id,
                           const char *release_date);

#endif
