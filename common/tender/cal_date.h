/* cal_date: ISO calendar dates ("YYYY-MM-DD") as the calendar's wire format, and the
 * arithmetic the rules need (ordering, adding days, quarters). No clock here on purpose:
 * "today" is always passed in by the caller so tests and replays are deterministic. */
#ifndef CAL_DATE_H
#define CAL_DATE_H

#include <stdbool.h>
#include <stdint.h>

/* Parse a strict ISO date "YYYY-MM-DD" that exists in the Gregorian calendar
 * (2025-02-29 is rejected). Years 1900..2999. Returns 0 or -EINVAL. Outputs may be NULL. */
int cal_date_parse_iso(const char *s, int *y, int *m, int *d);

/* True when s is a valid ISO date as above. */
bool cal_date_valid(const char *s);

/* True when y-m-d exists (month 1..12, day within the month, leap years). */
bool cal_date_ymd_valid(int y, int m, int d);

/* Days since 1970-01-01 of a valid y-m-d (proleptic Gregorian; negative before 1970). */
int64_t cal_date_days(int y, int m, int d);

/* Inverse of cal_date_days. */
void cal_date_from_days(int64_t days, int *y, int *m, int *d);

/* Write "YYYY-MM-DD" into out (at least 11 bytes). */
void cal_date_format(char out[11], int y, int m, int d);

/* out = s + n days; returns 0 or -EINVAL when s is not a valid ISO date. */
int cal_date_add_days(const char *s, int64_t n, char out[11]);

/* strcmp-like ordering of two valid ISO dates (lexicographic order is date order). */
int cal_date_cmp(const char *a, const char *b);

/* A point in time as OCDS (RFC 3339) writes it, in microseconds since 1970-01-01T00:00Z:
 * "YYYY-MM-DD", or that with "THH:MM[:SS[.fraction]]" and "Z" or an offset "+HH:MM" /
 * "-HH:MM" ("+HHMM" and "+HH" too). A date alone is its midnight UTC; a time without an
 * offset is read as UTC. Fraction digits beyond the sixth do not order (ties keep the
 * caller's order).
 * Returns 0 or -EINVAL (anything else, a day that does not exist, 24:00, trailing text).
 * Why not strcmp: "...T00:30:00+02:00" is before "...T23:00:00Z" of the day before, and
 * "...T10:00:00.5Z" after "...T10:00:00Z", both the other way round as text. */
int cal_date_instant_us(const char *s, int64_t *us);

/* The Europe/Amsterdam calendar day "YYYY-MM-DD" of an OCDS date (as cal_date_instant_us
 * reads it): a date alone is that day (also with a zone after it: "2026-01-15+02:00" is
 * 15 January, not the day its midnight there falls on here); a date and time with "Z" or
 * an offset is the instant, and its day is the day in Amsterdam (CET, CEST from the last
 * Sunday of March to the last Sunday of October, 01:00 UTC: the EU rule since 1996, no
 * tzdata); a time without an offset
 * is the publisher's wall clock, its day as written. 0 or -EINVAL. Why: the first ten
 * characters are the day in the offset it was written in, so "2026-12-31T23:00:00Z"
 * (1 January 2027, 00:00 in Heerlen) was 31 December, another year and quarter. */
int cal_date_ams_day(const char *s, char out[11]);

/* Quarter 1..4 of a valid ISO date, 0 when invalid. */
int cal_date_quarter(const char *s);

/* Year of a valid ISO date, 0 when invalid. */
int cal_date_year(const char *s);

#endif
