/*  datewords: a calendar date in words, as the reader says it: "maandag 25 januari 2027" /
 *  "Monday 25 January 2027", or without the weekday "25 januari 2027" / "25 January 2027".
 *
 *  The one formatter of dates for people: the notifier's mails, the report's pages and
 *  mvoictl all use it, so the words are the same everywhere. The names and the order come
 *  from the message catalogue ("date.wday.N", "date.month.N", "date.long", "date.short").
 *  A date is given as days since 1970-01-01 (proleptic Gregorian, negative before). The
 *  result is whole or not at all: a buffer too small gets DATEWORDS_E_NOSPACE and an empty
 *  string, never a cut date (which would read as another date: "25 januari 20").
 *  Under it, the one copy of the civil date arithmetic (days <-> year, month, day) that the
 *  calendar, the notifier and the report use.
 */
#ifndef MVOI_DATEWORDS_H
#define MVOI_DATEWORDS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"

/* The buffer cannot hold the whole text: -ENOSPC of the one error space (mvoi_error.h),
 * named "ENOSPC" by mvoi_errname. */
#define DATEWORDS_E_NOSPACE (-ENOSPC)

/* Enough for any date of years -99999..99999 in either language. */
#define DATEWORDS_MAX 64

/* With or without the weekday. */
typedef enum { DATEWORDS_DATE = 0, DATEWORDS_WEEKDAY = 1 } datewords_form_t;

/* days in words into buf (cap bytes with the terminator). Returns the length written, or
 * DATEWORDS_E_NOSPACE (buf then holds "" when cap > 0), or -EINVAL for a NULL buf or a
 * form not above. */
int datewords_format(char *buf, size_t cap, text_lang_t lang, int64_t days,
                     datewords_form_t form);

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31; not checked against the
 * month: the caller's parser decides what a valid date is). The one copy of this arithmetic
 * (H. Hinnant's days_from_civil): the calendar, the notifier and the report use it too. */
int64_t datewords_days(int64_t y, int m, int d);
/* The inverse: the year, month (1..12) and day (1..31) of days since 1970-01-01. */
void datewords_civil(int64_t days, int64_t *y, int *m, int *d);
/* The weekday of days: 0 Sunday .. 6 Saturday. */
int datewords_wday(int64_t days);
/* Europe/Amsterdam's offset from UTC, in seconds, at the instant utc_s (seconds since
 * 1970-01-01 UTC): 7200 (CEST) from the last Sunday of March 01:00 UTC to the last Sunday of
 * October 01:00 UTC, else 3600 (CET). The EU rule since 1996, without tzdata or TZ (a
 * container may have neither, and localtime_r follows the machine's zone): the one copy
 * that the calendar's "today", the notifier's planning, the report's quarters, the gateway
 * and mvoictl use. */
int datewords_ams_offset_s(int64_t utc_s);
/* The day in Amsterdam (days since 1970-01-01) of the instant utc_s. */
int64_t datewords_ams_day(int64_t utc_s);

#endif
