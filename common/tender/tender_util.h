/* tender_util: building and copying Mvoi__Tender values on the heap so they can be freed
 * with protobuf-c's own free_unpacked (every string, array and sub-message malloc'ed).
 * The importers use these; tests too. */
#ifndef TENDER_UTIL_H
#define TENDER_UTIL_H

#include <stdint.h>

#include "calendar.pb-c.h"

/* A zero-initialised heap tender (MVOI__TENDER__INIT), or NULL. */
Mvoi__Tender *tender_new(void);

/* Free a heap tender and everything it owns; NULL is fine. */
void tender_free(Mvoi__Tender *t);

/* Deep copy through pack/unpack (so the copy is exactly what the wire would carry). */
Mvoi__Tender *tender_dup(const Mvoi__Tender *t);

/* Set *slot to a new Person (replacing any old one); both strings may be NULL/"".
 * Leaves *slot NULL when both are empty. Returns 0 or -ENOMEM. */
int tender_set_person(Mvoi__Person **slot, const char *name, const char *email);

/* Append a theme ambition; returns its index or -ENOMEM. */
int tender_add_theme(Mvoi__Tender *t, Mvoi__Theme theme, Mvoi__Commitment commitment);

/* Append an SDG to the tender; returns 0 or -ENOMEM. */
int tender_add_sdg(Mvoi__Tender *t, uint32_t sdg);

#endif
