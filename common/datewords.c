/*  datewords: see datewords.h. */
#include "datewords.h"

#include <stdio.h>

int64_t datewords_days(int64_t y, int m, int d)
{
    /* H. Hinnant's days_from_civil: exact for every year, no table, no floating point. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void datewords_civil(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int datewords_wday(int64_t days)
{
    return (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
}

static int64_t s_floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* 01:00 UTC of the last Sunday of month m of year y, in seconds since 1970. */
static int64_t s_last_sunday_1utc(int64_t y, int m)
{
    int64_t last = (m == 12 ? datewords_days(y + 1, 1, 1) : datewords_days(y, m + 1, 1)) - 1;
    return (last - datewords_wday(last)) * 86400 + 3600;
}

int datewords_ams_offset_s(int64_t utc_s)
{
    int64_t y;
    int m, d;
    datewords_civil(s_floor_div(utc_s, 86400), &y, &m, &d);
    return utc_s >= s_last_sunday_1utc(y, 3) && utc_s < s_last_sunday_1utc(y, 10) ? 7200 : 3600;
}

int64_t datewords_ams_day(int64_t utc_s)
{
    return s_floor_div(utc_s + datewords_ams_offset_s(utc_s), 86400);
}

/* The catalogue's texts are printf formats (the catalogue test checks that both
 * translations carry the same conversions). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int datewords_format(char *buf, size_t cap, text_lang_t lang, int64_t days,
                     datewords_form_t form)
{
    if (!buf || (form != DATEWORDS_DATE && form != DATEWORDS_WEEKDAY))
        return -EINVAL;
    int64_t y;
    int m, d;
    datewords_civil(days, &y, &m, &d);
    char mk[24], wk[24];
    snprintf(mk, sizeof mk, "date.month.%d", m);
    snprintf(wk, sizeof wk, "date.wday.%d", datewords_wday(days));
    int n = form == DATEWORDS_WEEKDAY
                ? snprintf(buf, cap, text_get(lang, "date.long"), text_get(lang, wk), d,
                           text_get(lang, mk), (long long)y)
                : snprintf(buf, cap, text_get(lang, "date.short"), d, text_get(lang, mk),
                           (long long)y);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';   /* a cut date reads as another date: nothing instead */
        return n < 0 ? -EINVAL : DATEWORDS_E_NOSPACE;
    }
    return n;
}
#pragma GCC diagnostic pop
