/*  ctl_time: instants as a Dutch reader reads them, whatever the machine's TZ.
 *
 *  The notifier plans its mails in Europe/Amsterdam time (services/notifier/nt_cal.h) and
 *  the calendar's "today" is Dutch (calendar_today): a reminder due at 09:00 was shown as
 *  "07:00" by `mvoictl reminders list` on a server that runs in UTC (localtime_r follows
 *  the machine), with nothing saying which zone. Here the same EU rule as theirs, the one
 *  copy in datewords_ams_offset_s; no TZ variable or tzdata involved. */
#include <stdio.h>

#include "cal_date.h"
#include "datewords.h"
#include "ctl.h"

static int64_t s_floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void ctl_nl_time(char *buf, size_t len, int64_t ms)
{
    int64_t utc_s = s_floor_div(ms, 1000), ls = utc_s + datewords_ams_offset_s(utc_s);
    int64_t day = s_floor_div(ls, 86400), sec = ls - day * 86400;
    int y, m, d;
    cal_date_from_days(day, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", y, m, d, (int)(sec / 3600),
             (int)(sec % 3600 / 60));
}
