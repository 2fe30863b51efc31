/* tender_query: the pure part of ListTenders and UpcomingTenders: filter, sort, page over
 * tenders the service has read (from one LMDB read transaction). Results borrow the input
 * tenders; only the pointer array is allocated.
 *
 * Decisions: order is planned publication date, then id (tenders without a date sort last);
 * year/quarter refer to the planned publication date (no date: never matches a year);
 * purchasing_group matches case-insensitively and exactly; project_leader matches a
 * case-insensitive (ASCII) substring of the project leader's name or e-mail; limit 0 means
 * 50 and more than 1000 is clamped to 1000. Upcoming lists tenders that are not yet published
 * (status planned, kickoff_scheduled, ambition_recorded) with planned publication in
 * [from, from + days], days default 90 and at most 3660. */
#ifndef TENDER_QUERY_H
#define TENDER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.pb-c.h"
#include "tender_rules.h"

#define TENDER_QUERY_DEFAULT_LIMIT 50
#define TENDER_QUERY_MAX_LIMIT 1000
#define TENDER_UPCOMING_DEFAULT_DAYS 90
#define TENDER_UPCOMING_MAX_DAYS 3660

typedef struct {
    const Mvoi__Tender **items; /* borrowed tenders, in order; free with tender_page_clear */
    size_t n;
    uint32_t total;       /* matches before paging */
    uint32_t next_offset; /* 0 when this page is the last */
} tender_page_t;

/* Sort order: planned publication (empty last), then id. */
int tender_query_compare(const Mvoi__Tender *a, const Mvoi__Tender *b);

/* Check a ListTenders request: quarter 1..4 and only with a year, enums known.
 * Returns 0 or -EINVAL (field named "quarter", "status", ...). */
int tender_query_check(const Mvoi__ListTenders *q, tender_error_t *err);

/* Does t match every filter set in q (offset/limit ignored)? q must have passed the check. */
bool tender_query_matches(const Mvoi__Tender *t, const Mvoi__ListTenders *q);

/* Filter, sort, page. Returns 0, -EINVAL (bad request) or -ENOMEM. */
int tender_query_list(const Mvoi__Tender *const *all, size_t n, const Mvoi__ListTenders *q,
                      tender_page_t *page, tender_error_t *err);

/* Upcoming publications from q->from_date (or today when empty) for q->days days
 * (inclusive both ends), sorted, at most q->limit (default 50, max 1000).
 * Returns 0, -EINVAL or -ENOMEM. */
int tender_query_upcoming(const Mvoi__Tender *const *all, size_t n, const Mvoi__UpcomingTenders *q,
                          const char *today, tender_page_t *page, tender_error_t *err);

void tender_page_clear(tender_page_t *page);

#endif
