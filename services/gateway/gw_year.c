/*  gw_year: the current year in Amsterdam (gw_year.h). */
#include "gw_year.h"
#include "cal_date.h"
#include "clock.h"

uint32_t gw_year_now(void)
{
    /* the instant as RFC 3339 "...Z", its day in Amsterdam by the project's one rule
     * (cal_date_ams_day: CET/CEST without tzdata), not a copy of it here */
    char at[40], day[11];
    clock_format_rfc3339(clock_now_ms(), at, sizeof at);
    if (cal_date_ams_day(at, day) != 0)
        return 0;
    int y = cal_date_year(day);
    return y >= 1900 && y <= 2999 ? (uint32_t)y : 0;
}
