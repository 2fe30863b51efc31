/*  nt_cal: Europe/Amsterdam local time and the working-day calendar.
 *
 *  Local time follows the EU rule in force since 1996 (CET = UTC+1; CEST = UTC+2 from the
 *  last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC), computed by
 *  datewords_ams_offset_s so that no TZ environment or tzdata is involved. Working days are
 *  Monday to Friday that are not holidays. The Dutch public holidays are computed for any
 *  year: Nieuwjaarsdag, Goede Vrijdag, Eerste/Tweede Paasdag, Hemelvaartsdag (Easter + 39),
 *  Eerste/Tweede Pinksterdag (+ 49, + 50) from the Gregorian Easter date; Koningsdag 27
 *  April, on a Sunday the Saturday before (Koninginnedag 30 April / Sunday -> Monday before
 *  2014); Bevrijdingsdag 5 May per the municipality's rule (every year, every fifth year,
 *  never); Christmas 25 and 26 December. Only exceptions are data (data/holidays-nl.csv):
 *  "YYYY-MM-DD,name" closes an extra day, "-YYYY-MM-DD,name" opens a computed holiday; #
 *  comments.
 */
#ifndef MVOI_NT_CAL_H
#define MVOI_NT_CAL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nt_cal_t nt_cal_t;

/* Bevrijdingsdag (5 May) as a day without meetings. */
typedef enum { NT_LIB_EVERY_YEAR = 0, NT_LIB_LUSTRUM = 1, NT_LIB_NEVER = 2 } nt_liberation_t;
/* "every_year", "lustrum" (years divisible by 5) or "never"; -EINVAL otherwise. */
int nt_liberation_parse(const char *s, nt_liberation_t *out);

typedef struct {
    int64_t days;
    const char *name;    /* Dutch name, static */
} nt_holiday_t;

/* A local calendar date (days since 1970-01-01) and time of day. */
typedef struct {
    int year, month, day;   /* 1-based month and day */
    int hour, minute;
    int wday;               /* 0 = Sunday */
} nt_local_t;

nt_cal_t *nt_cal_new(void);
void nt_cal_destroy(nt_cal_t **self_p);
/* Load the exceptions from a CSV file; returns the number loaded or a negative errno
 * (-EINVAL for a malformed line: nothing is guessed). */
int nt_cal_load(nt_cal_t *self, const char *path);
int nt_cal_add_holiday(nt_cal_t *self, int year, int month, int day);
int nt_cal_add_working_day(nt_cal_t *self, int year, int month, int day);
void nt_cal_set_liberation(nt_cal_t *self, nt_liberation_t rule);
/* Easter Sunday (days since epoch) of a Gregorian year. */
int64_t nt_easter(int year);
/* The computed public holidays of a year (without exceptions); returns how many (<= 16). */
int nt_cal_holidays_of_year(const nt_cal_t *self, int year, nt_holiday_t *out, int max);

/* Days since epoch of a date, and back. */
int64_t nt_days_from_civil(int y, int m, int d);
void nt_civil_from_days(int64_t z, int *y, int *m, int *d);
/* Parse "YYYY-MM-DD" into days since epoch; -EINVAL if malformed. */
int nt_parse_date(const char *s, int64_t *days);

/* UTC offset of Amsterdam at instant ms, in minutes (60 or 120). */
int nt_ams_offset_min(int64_t utc_ms);
/* Local wall time -> UTC ms (the earlier instant for ambiguous times; gaps move forward). */
int64_t nt_ams_to_utc(int64_t days, int hour, int minute);
void nt_ams_from_utc(int64_t utc_ms, nt_local_t *out);
/* Local calendar day (days since epoch) of an instant. */
int64_t nt_ams_day(int64_t utc_ms);

bool nt_cal_is_holiday(nt_cal_t *self, int64_t days);
bool nt_cal_is_working_day(nt_cal_t *self, int64_t days);
/* The first working day >= days (forward) or <= days (backward). */
int64_t nt_cal_next_working(nt_cal_t *self, int64_t days);
int64_t nt_cal_prev_working(nt_cal_t *self, int64_t days);
/* days moved by n working days (n may be negative); days itself need not be one. */
int64_t nt_cal_add_working(nt_cal_t *self, int64_t days, int n);

#endif
