/* cal_date: see cal_date.h. */
#include "cal_date.h"
#include "datewords.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool s_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool cal_date_ymd_valid(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1] + (m == 2 && s_leap(y) ? 1 : 0);
    return d <= max;
}

int cal_date_parse_iso(const char *s, int *y, int *m, int *d)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -EINVAL;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
    }
    int yy = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int mm = (s[5] - '0') * 10 + (s[6] - '0');
    int dd = (s[8] - '0') * 10 + (s[9] - '0');
    if (!cal_date_ymd_valid(yy, mm, dd))
        return -EINVAL;
    if (y) *y = yy;
    if (m) *m = mm;
    if (d) *d = dd;
    return 0;
}

bool cal_date_valid(const char *s) { return cal_date_parse_iso(s, NULL, NULL, NULL) == 0; }

/* The civil date arithmetic is datewords' (exact for the whole proleptic Gregorian calendar). */
int64_t cal_date_days(int y, int m, int d)
{
    return datewords_days(y, m, d);
}

void cal_date_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t yy;
    datewords_civil(z, &yy, m, d);
    *y = (int)yy;
}

void cal_date_format(char out[11], int y, int m, int d)
{
    /* digit by digit: the inputs are valid dates, and this keeps -Wformat-truncation quiet */
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
    out[0] = (char)('0' + uy / 1000), out[1] = (char)('0' + uy / 100 % 10);
    out[2] = (char)('0' + uy / 10 % 10), out[3] = (char)('0' + uy % 10), out[4] = '-';
    out[5] = (char)('0' + um / 10), out[6] = (char)('0' + um % 10), out[7] = '-';
    out[8] = (char)('0' + ud / 10), out[9] = (char)('0' + ud % 10), out[10] = '\0';
}

int cal_date_add_days(const char *s, int64_t n, char out[11])
{
    int y, m, d;
    if (cal_date_parse_iso(s, &y, &m, &d) < 0)
        return -EINVAL;
    cal_date_from_days(cal_date_days(y, m, d) + n, &y, &m, &d);
    if (y < 1900 || y > 2999)
        return -EINVAL;
    cal_date_format(out, y, m, d);
    return 0;
}

int cal_date_cmp(const char *a, const char *b) { return strcmp(a, b); }

/* floor(a / b) for b > 0 */
static int64_t s_floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int cal_date_ams_day(const char *s, char out[11])
{
    int64_t us;
    if (cal_date_instant_us(s, &us) < 0)
        return -EINVAL;
    /* an offset is "Z" or a sign after the time (the date's own '-' are before it). A date
     * alone has no instant, also with a zone after it ("2026-01-15+02:00", XML Schema's
     * xs:date): read as its midnight there, it was 14 January 23:00 here, a day early. */
    const char *t = s + 10;
    bool offset = (*t == 'T' || *t == 't') && strpbrk(t, "+-Zz") != NULL;
    if (!offset) {   /* a date alone, or a wall-clock time: the day as written */
        memcpy(out, s, 10);
        out[10] = '\0';
        return 0;
    }
    int y, m, d;
    cal_date_from_days(datewords_ams_day(s_floor_div(us, 1000000)), &y, &m, &d);
    if (!cal_date_ymd_valid(y, m, d))
        return -EINVAL;
    cal_date_format(out, y, m, d);
    return 0;
}

int cal_date_quarter(const char *s)
{
    int m;
    if (cal_date_parse_iso(s, NULL, &m, NULL) < 0)
        return 0;
    return (m - 1) / 3 + 1;
}

int cal_date_year(const char *s)
{
    int y;
    if (cal_date_parse_iso(s, &y, NULL, NULL) < 0)
        return 0;
    return y;
}

/* n digits at *p into *v; advances *p. false when one is not a digit. */
static bool s_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        x = x * 10 + (**p - '0');
    }
    *v = x;
    return true;
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM", "+HH" or "" (UTC) at p, to seconds east of UTC. */
static int s_offset(const char *p, int64_t *east_s)
{
    int hh, mm;
    *east_s = 0;
    if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0') || (p[0] == 'z' && p[1] == '\0'))
        return 0;
    if (*p != '+' && *p != '-')
        return -EINVAL;
    int sign = *p++ == '-' ? -1 : 1;
    if (!s_digits(&p, 2, &hh))
        return -EINVAL;
    if (*p == '\0') {
        mm = 0;   /* "+01": ISO 8601 allows the hours alone */
    } else {
        if (*p == ':')
            p++;
        if (!s_digits(&p, 2, &mm) || *p != '\0')
            return -EINVAL;
    }
    if (hh > 23 || mm > 59)
        return -EINVAL;
    *east_s = sign * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

int cal_date_instant_us(const char *s, int64_t *us)
{
    int y, mo, d, hh = 0, mi = 0, ss = 0;
    char day[11];
    if (!s || strlen(s) < 10)
        return -EINVAL;
    memcpy(day, s, 10);
    day[10] = '\0';
    if (cal_date_parse_iso(day, &y, &mo, &d) < 0)
        return -EINVAL;
    const char *p = s + 10;
    int64_t frac_us = 0, east = 0;
    if (*p == 'T' || *p == 't') {
        p++;
        if (!s_digits(&p, 2, &hh) || *p++ != ':' || !s_digits(&p, 2, &mi))
            return -EINVAL;
        if (*p == ':') {
            p++;
            if (!s_digits(&p, 2, &ss))
                return -EINVAL;
            if (*p == '.' || *p == ',') {
                p++;
                int n = 0;
                for (; *p >= '0' && *p <= '9'; p++, n++)
                    if (n < 6)
                        frac_us = frac_us * 10 + (*p - '0');
                if (n == 0)
                    return -EINVAL;
                for (int k = n; k < 6; k++)
                    frac_us *= 10;
            }
        }
        /* 23:59:60, a leap second, orders as the next second would */
        if (hh > 23 || mi > 59 || ss > 60)
            return -EINVAL;
    }
    if (s_offset(p, &east) < 0)
        return -EINVAL;
    int64_t secs = cal_date_days(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - east;
    *us = secs * 1000000 + frac_us;
    return 0;
}
