/*  qtime: Europe/Amsterdam quarters without tzdata (the offset: datewords_ams_offset_s).
 *
 *  A quarter starts at local midnight of its first day, which is always in CET (1 Jan) or
 *  CEST (1 Apr, 1 Jul, 1 Oct).
 */
#include <errno.h>
#include <stdio.h>

#include "datewords.h"
#include "report.h"

/* The calendar arithmetic is datewords'; these keep the report's unsigned months and days. */
static int64_t s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    return datewords_days(y, (int)m, (int)d);
}

static void s_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int mm, dd;
    datewords_civil(z, y, &mm, &dd);
    *m = (unsigned)mm;
    *d = (unsigned)dd;
}

int64_t rp_civil_noon_utc(int year, unsigned month, unsigned day)
{
    return (s_days_from_civil(year, month, day) * 86400 + 12 * 3600) * 1000;
}

int rp_ams_offset_min(int64_t utc_ms)
{
    int64_t s = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
    return datewords_ams_offset_s(s) / 60;
}

void rp_ams_quarter(int64_t utc_ms, uint32_t *year, uint32_t *quarter)
{
    int64_t local = utc_ms + (int64_t)rp_ams_offset_min(utc_ms) * 60000;
    int64_t days = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
    int64_t y; unsigned m, d;
    s_civil_from_days(days, &y, &m, &d);
    *year = (uint32_t)y;
    *quarter = (m - 1) / 3 + 1;
}

int64_t rp_quarter_start_utc(uint32_t year, uint32_t quarter)
{
    if (quarter > 4) { year += (quarter - 1) / 4; quarter = (quarter - 1) % 4 + 1; }
    if (quarter == 0) quarter = 1;
    int64_t days = s_days_from_civil(year, (quarter - 1) * 3 + 1, 1);
    /* Jan starts in CET (+1); Apr, Jul and Oct in CEST (+2): summer time ends on the last
     * Sunday of October, after 1 October. */
    int off = quarter == 1 ? 1 : 2;
    return (days * 86400 - off * 3600) * 1000;
}

int rp_date_quarter(const char *date, uint32_t *year, uint32_t *quarter)
{
    unsigned y, m, d;
    if (!date || sscanf(date, "%4u-%2u-%2u", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return -EINVAL;
    *year = y;
    *quarter = (m - 1) / 3 + 1;
    return 0;
}

void rp_ams_local(int64_t utc_ms, int *year, unsigned *month, unsigned *day, unsigned *hour,
                  unsigned *minute)
{
    int64_t local = utc_ms + (int64_t)rp_ams_offset_min(utc_ms) * 60000;
    int64_t days = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
    int64_t y;
    s_civil_from_days(days, &y, month, day);
    *year = (int)y;
    int64_t ms = local - days * 86400000;
    *hour = (unsigned)(ms / 3600000);
    *minute = (unsigned)(ms / 60000 % 60);
}

int rp_date_text(char *buf, size_t cap, int64_t utc_ms, bool with_time, text_lang_t lang)
{
    int y;
    unsigned m, d, hh, mi;
    rp_ams_local(utc_ms, &y, &m, &d, &hh, &mi);
    int n = datewords_format(buf, cap, lang, datewords_days(y, (int)m, (int)d), DATEWORDS_DATE);
    if (n < 0 || !with_time)
        return n;
    int t = snprintf(buf + n, cap - (size_t)n, ", %02u:%02u", hh, mi);
    if (t < 0 || (size_t)t >= cap - (size_t)n) {
        buf[0] = '\0';   /* whole or nothing, as the date itself */
        return DATEWORDS_E_NOSPACE;
    }
    return n + t;
}
