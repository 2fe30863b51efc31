/*  ctl_time: instants as a Dutch reader reads them, whatever the machine's TZ.
 *
 *  The notifier plans its mails in Europe/Amsterdam time (services/notifier/nt_cal.h) and
 *  the calendar's "today" is Dutch (calendar_today): a reminder due at 09:00 was shown as
 *  "07:00" by `mvoictl reminders list` on a server that runs in UTC (localtime_r follows
 *  the machine), with nothing saying which zone. Here the same EU rule as theirs: CET =
 *  UTC+1, CEST = UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of
 *  October 01:00 UTC; no TZ variable or tzdata involved. */
#include <stdio.h>

#include "cal_date.h"
#include "ctl.h"

static int64_t s_floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The last Sunday on or before day (days since 1970-01-01, a Thursday). */
static int64_t s_sunday_before(int64_t day) { return day - ((day % 7 + 7 + 4) % 7); }

/* The offset from UTC in seconds at ms: 3600 (CET) or 7200 (CEST). */
static int s_offset_s(int64_t ms)
{
    int64_t s = s_floor_div(ms, 1000);
    int y, m, d;
    cal_date_from_days(s_floor_div(s, 86400), &y, &m, &d);
    int64_t start = s_sunday_before(cal_date_days(y, 3, 31)) * 86400 + 3600;
    int64_t end = s_sunday_before(cal_date_days(y, 10, 31)) * 86400 + 3600;
    return s >= start && s < end ? 7200 : 3600;
}

void ctl_nl_time(char *buf, size_t len, int64_t ms)
{
    int64_t ls = s_floor_div(ms, 1000) + s_offset_s(ms);
    int64_t day = s_floor_div(ls, 86400), sec = ls - day * 86400;
    int y, m, d;
    cal_date_from_days(day, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", y, m, d, (int)(sec / 3600),
             (int)(sec % 3600 / 60));
}
