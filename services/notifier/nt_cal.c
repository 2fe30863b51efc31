/*  nt_cal: Amsterdam local time and working days. See nt_cal.h. */
#include "nt_cal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nt_cal_t {
    int64_t *days;     /* sorted */
    size_t n, cap;
};

nt_cal_t *nt_cal_new(void) { return calloc(1, sizeof(nt_cal_t)); }

void nt_cal_destroy(nt_cal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->days);
    free(*self_p);
    *self_p = NULL;
}

/* Howard Hinnant's civil date algorithms. */
int64_t nt_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void nt_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int nt_parse_date(const char *s, int64_t *days)
{
    int y, m, d, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return -EINVAL;
    int64_t z = nt_days_from_civil(y, m, d);
    int yy, mm, dd;
    nt_civil_from_days(z, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return -EINVAL;   /* 2025-02-30 */
    *days = z;
    return 0;
}

static int s_wday(int64_t days) { return (int)(((days % 7) + 11) % 7); } /* 1970-01-01 Thu */

static int64_t s_last_sunday(int y, int m)
{
    int64_t first_next = m == 12 ? nt_days_from_civil(y + 1, 1, 1)
                                 : nt_days_from_civil(y, m + 1, 1);
    int64_t last = first_next - 1;
    return last - s_wday(last);
}

int nt_ams_offset_min(int64_t utc_ms)
{
    int64_t days = utc_ms >= 0 ? utc_ms / 86400000 : (utc_ms - 86399999) / 86400000;
    int y, m, d;
    nt_civil_from_days(days, &y, &m, &d);
    int64_t start = s_last_sunday(y, 3) * 86400000 + 3600000;   /* 01:00 UTC */
    int64_t end = s_last_sunday(y, 10) * 86400000 + 3600000;
    return utc_ms >= start && utc_ms < end ? 120 : 60;
}

int64_t nt_ams_to_utc(int64_t days, int hour, int minute)
{
    int64_t wall = days * 86400000 + (int64_t)hour * 3600000 + (int64_t)minute * 60000;
    /* Try winter time first (earlier instant for the ambiguous October hour is summer). */
    int64_t s = wall - 120 * 60000;
    if (nt_ams_offset_min(s) == 120)
        return s;
    int64_t w = wall - 60 * 60000;
    return w;   /* in the March gap this is the instant one hour later in wall terms */
}

void nt_ams_from_utc(int64_t utc_ms, nt_local_t *out)
{
    int64_t wall = utc_ms + (int64_t)nt_ams_offset_min(utc_ms) * 60000;
    int64_t days = wall >= 0 ? wall / 86400000 : (wall - 86399999) / 86400000;
    int64_t rem = wall - days * 86400000;
    nt_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600000);
    out->minute = (int)(rem % 3600000 / 60000);
    out->wday = s_wday(days);
}

int64_t nt_ams_day(int64_t utc_ms)
{
    nt_local_t l;
    nt_ams_from_utc(utc_ms, &l);
    return nt_days_from_civil(l.year, l.month, l.day);
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int nt_cal_add_holiday(nt_cal_t *self, int year, int month, int day)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        int64_t *p = realloc(self->days, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        self->days = p;
        self->cap = cap;
    }
    self->days[self->n++] = nt_days_from_civil(year, month, day);
    qsort(self->days, self->n, sizeof *self->days, s_cmp64);
    return 0;
}

int nt_cal_load(nt_cal_t *self, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[256];
    int n = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n' || line[0] == '\r')
            continue;
        int64_t z;
        char date[11];
        memcpy(date, line, 10);
        date[10] = 0;
        if (strlen(line) < 10 || nt_parse_date(date, &z) != 0) {
            rc = -EINVAL;
            break;
        }
        int y, m, d;
        nt_civil_from_days(z, &y, &m, &d);
        if ((rc = nt_cal_add_holiday(self, y, m, d)) != 0)
            break;
        n++;
    }
    fclose(f);
    return rc ? rc : n;
}

int nt_cal_first_year(nt_cal_t *self)
{
    if (!self->n)
        return 0;
    int y, m, d;
    nt_civil_from_days(self->days[0], &y, &m, &d);
    return y;
}

int nt_cal_last_year(nt_cal_t *self)
{
    if (!self->n)
        return 0;
    int y, m, d;
    nt_civil_from_days(self->days[self->n - 1], &y, &m, &d);
    return y;
}

bool nt_cal_is_holiday(nt_cal_t *self, int64_t days)
{
    return self && self->n &&
           bsearch(&days, self->days, self->n, sizeof *self->days, s_cmp64) != NULL;
}

bool nt_cal_is_working_day(nt_cal_t *self, int64_t days)
{
    int w = s_wday(days);
    return w != 0 && w != 6 && !nt_cal_is_holiday(self, days);
}

int64_t nt_cal_next_working(nt_cal_t *self, int64_t days)
{
    while (!nt_cal_is_working_day(self, days))
        days++;
    return days;
}

int64_t nt_cal_prev_working(nt_cal_t *self, int64_t days)
{
    while (!nt_cal_is_working_day(self, days))
        days--;
    return days;
}

int64_t nt_cal_add_working(nt_cal_t *self, int64_t days, int n)
{
    while (n > 0) {
        days++;
        if (nt_cal_is_working_day(self, days))
            n--;
    }
    while (n < 0) {
        days--;
        if (nt_cal_is_working_day(self, days))
            n++;
    }
    return days;
}
