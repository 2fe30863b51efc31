/*  nt_cal: Amsterdam local time and working days. See nt_cal.h. */
#include "nt_cal.h"
#include "datewords.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nt_cal_t {
    int64_t *days;     /* exceptions: extra closed days, sorted */
    size_t n, cap;
    int64_t *open;     /* exceptions: computed holidays that are working days, sorted */
    size_t nopen, capopen;
    nt_liberation_t liberation;
};

nt_cal_t *nt_cal_new(void) { return calloc(1, sizeof(nt_cal_t)); }

void nt_cal_destroy(nt_cal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->days);
    free((*self_p)->open);
    free(*self_p);
    *self_p = NULL;
}

/* The civil date arithmetic is datewords' (one copy for the services). */
int64_t nt_days_from_civil(int y, int m, int d)
{
    return datewords_days(y, m, d);
}

void nt_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t yy;
    datewords_civil(z, &yy, m, d);
    *y = (int)yy;
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

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int s_wday(int64_t days) { return (int)(((days % 7) + 11) % 7); } /* 1970-01-01 Thu */

int nt_ams_offset_min(int64_t utc_ms)
{
    int64_t s = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
    return datewords_ams_offset_s(s) / 60;
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


static int s_push(int64_t **arr, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        int64_t *p = realloc(*arr, c * sizeof *p);
        if (!p)
            return -ENOMEM;
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    qsort(*arr, *n, sizeof **arr, s_cmp64);
    return 0;
}

int nt_cal_add_holiday(nt_cal_t *self, int year, int month, int day)
{
    return s_push(&self->days, &self->n, &self->cap, nt_days_from_civil(year, month, day));
}

int nt_cal_add_working_day(nt_cal_t *self, int year, int month, int day)
{
    return s_push(&self->open, &self->nopen, &self->capopen,
                  nt_days_from_civil(year, month, day));
}

void nt_cal_set_liberation(nt_cal_t *self, nt_liberation_t rule) { self->liberation = rule; }

int nt_liberation_parse(const char *s, nt_liberation_t *out)
{
    if (!s || !*s || strcmp(s, "every_year") == 0)
        *out = NT_LIB_EVERY_YEAR;
    else if (strcmp(s, "lustrum") == 0)
        *out = NT_LIB_LUSTRUM;
    else if (strcmp(s, "never") == 0)
        *out = NT_LIB_NEVER;
    else
        return -EINVAL;
    return 0;
}

/* Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
int64_t nt_easter(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
    int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return nt_days_from_civil(y, month, day);
}

int nt_cal_holidays_of_year(const nt_cal_t *self, int y, nt_holiday_t *out, int max)
{
    int n = 0;
#define ADD(d, nm)                                                                         \
    do {                                                                                   \
        if (n < max) {                                                                     \
            out[n].days = (d);                                                             \
            out[n].name = (nm);                                                            \
        }                                                                                  \
        n++;                                                                               \
    } while (0)
    int64_t easter = nt_easter(y);
    ADD(nt_days_from_civil(y, 1, 1), "Nieuwjaarsdag");
    ADD(easter - 2, "Goede Vrijdag");
    ADD(easter, "Eerste Paasdag");
    ADD(easter + 1, "Tweede Paasdag");
    if (y >= 2014) {   /* Koningsdag: 27 April, on a Sunday the Saturday before */
        int64_t k = nt_days_from_civil(y, 4, 27);
        ADD(s_wday(k) == 0 ? k - 1 : k, "Koningsdag");
    } else {           /* Koninginnedag: 30 April, on a Sunday the Monday after */
        int64_t k = nt_days_from_civil(y, 4, 30);
        ADD(s_wday(k) == 0 ? k + 1 : k, "Koninginnedag");
    }
    if (self->liberation == NT_LIB_EVERY_YEAR ||
        (self->liberation == NT_LIB_LUSTRUM && y % 5 == 0))
        ADD(nt_days_from_civil(y, 5, 5), "Bevrijdingsdag");
    ADD(easter + 39, "Hemelvaartsdag");
    ADD(easter + 49, "Eerste Pinksterdag");
    ADD(easter + 50, "Tweede Pinksterdag");
    ADD(nt_days_from_civil(y, 12, 25), "Eerste Kerstdag");
    ADD(nt_days_from_civil(y, 12, 26), "Tweede Kerstdag");
#undef ADD
    return n;
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
        bool open = line[0] == '-';
        const char *p = open ? line + 1 : line;
        if (strlen(p) < 10 || (p[10] != ',' && p[10] != '\n' && p[10] != '\r' && p[10])) {
            rc = -EINVAL;
            break;
        }
        memcpy(date, p, 10);
        date[10] = 0;
        if (nt_parse_date(date, &z) != 0) {
            rc = -EINVAL;
            break;
        }
        int y, m, d;
        nt_civil_from_days(z, &y, &m, &d);
        if ((rc = open ? nt_cal_add_working_day(self, y, m, d)
                       : nt_cal_add_holiday(self, y, m, d)) != 0)
            break;
        n++;
    }
    fclose(f);
    return rc ? rc : n;
}

bool nt_cal_is_holiday(nt_cal_t *self, int64_t days)
{
    if (!self)
        return false;
    if (self->n && bsearch(&days, self->days, self->n, sizeof *self->days, s_cmp64))
        return true;
    if (self->nopen && bsearch(&days, self->open, self->nopen, sizeof *self->open, s_cmp64))
        return false;
    int y, m, d;
    nt_civil_from_days(days, &y, &m, &d);
    nt_holiday_t h[16];
    int n = nt_cal_holidays_of_year(self, y, h, 16);
    for (int i = 0; i < n && i < 16; i++)
        if (h[i].days == days)
            return true;
    return false;
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
