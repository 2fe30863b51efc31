/* tender_cancel: the reason of a cancellation as a reader sees it.
 *
 * A source (a sheet, a feed) that reports a tender cancelled without saying why leaves the
 * fact (Tender.cancel_without_reason), not a text: a default written as text was English in
 * every Dutch report and mail. The text is the catalogue's ("tender.cancel.by_source"),
 * said at output in the reader's language. Records stored before kept the English default
 * "cancelled by the source (<source>)" as their reason; one that matches it exactly (with
 * the tender's own source) is said the same way. Any other reason is the person's or the
 * publisher's own words and shown as written. A cancellation by an OCDS release is said
 * from its facts the same way (tender_cancel_ocds.h). */
#ifndef TENDER_CANCEL_H
#define TENDER_CANCEL_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.pb-c.h"
#include "tender_rules.h"

/* Room for any said reason: a stored one (TENDER_CANCEL_REASON_MAX), the default with a
 * source (200 bytes at most, tender_validate), or an OCDS release's sentence with the
 * publisher's statusDetails, release id and date (tender_cancel_ocds.h), in either
 * language: the catalogue's words around them are under 128 bytes. */
#define TENDER_CANCEL_SAY_MAX                                                                   \
    (TENDER_CANCEL_REASON_MAX + TENDER_OCDS_RELEASE_ID_MAX + TENDER_OCDS_RELEASE_DATE_MAX + 128)

/* Is t's reason the source's default: the fact, or a stored English default recognised? */
bool tender_cancel_is_default(const Mvoi__Tender *t);

/* Is t's reason said from facts (the source's default, an OCDS release's cancellation:
 * tender_cancel_ocds.h), not someone's words shown as written? */
bool tender_cancel_is_said(const Mvoi__Tender *t);

/* The reason of t for a reader of lang: *out = t->cancel_reason as written, the default or
 * the OCDS cancellation said into buf (cap bytes), or NULL when t has none. 0, or -ENOSPC when buf is too small
 * for the whole text (never cut). */
int tender_cancel_reason_say(const Mvoi__Tender *t, text_lang_t lang, char *buf, size_t cap,
                             const char **out);

/* Does reason say what t's reason says, in either language (a client that sends back what
 * it read)? Empty reason: no. */
bool tender_cancel_reason_same(const Mvoi__Tender *t, const char *reason);

#endif
