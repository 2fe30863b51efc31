/* tender_diff: field-by-field work on whole tenders, driven by the protobuf descriptor so
 * that a field added to Tender is covered without touching this code.
 *  - tender_merge: an incremental update (OCDS releases carry only what changed): every
 *    field the update sets replaces the stored one as a whole (a person, the theme list),
 *    every field it leaves unset keeps the stored value.
 *  - tender_changed: which fields differ, for the import's "updated (value_cents, status)". */
#ifndef TENDER_DIFF_H
#define TENDER_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.pb-c.h"

/* A new heap tender: base with every field that upd sets taken from upd. NULL on ENOMEM. */
Mvoi__Tender *tender_merge(const Mvoi__Tender *base, const Mvoi__Tender *upd);

/* tender_merge for a source that states its fields (UpsertTenders.stated, a sheet's
 * columns): a field upd sets is upd's; a stated field upd leaves unset is cleared (an empty
 * cell); any other field keeps base's. A person is merged by part: "project_leader.name"
 * and "project_leader.email" each decide their own part, a bare "project_leader" both.
 * NULL on ENOMEM. */
Mvoi__Tender *tender_merge_stated(const Mvoi__Tender *base, const Mvoi__Tender *upd,
                                  char *const *stated, size_t n_stated);

/* Is name a field tender_merge_stated knows? */
bool tender_stated_known(const char *name);

/* A stated person name that replaces (or clears) base's while its e-mail is not stated
 * would leave the old person's address under another name (mails to the wrong person, or
 * to one the sheet removed): 0, or -EINVAL with the person field in *field (static). */
int tender_stated_person_check(const Mvoi__Tender *base, const Mvoi__Tender *upd,
                               char *const *stated, size_t n_stated, const char **field);

/* Names (static, the proto field names) of the fields where a and b differ, ignoring
 * version, created_ms and updated_ms; at most max of them in names. Returns how many differ
 * (may exceed max), or -1 when a message field could not be packed for comparison. */
int tender_changed(const Mvoi__Tender *a, const Mvoi__Tender *b, const char **names, size_t max);

#endif
