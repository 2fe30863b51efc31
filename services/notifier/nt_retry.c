/*  nt_retry: see nt_retry.h. */
#include "nt_retry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t nt_backoff_cap(int64_t base_ms, int64_t max_ms, unsigned attempt)
{
    if (attempt == 0)
        attempt = 1;
    int64_t cap = base_ms;
    for (unsigned i = 1; i < attempt && cap < max_ms; i++)
        cap *= 2;
    return cap < max_ms ? cap : max_ms;
}

int64_t nt_backoff_delay(int64_t base_ms, int64_t max_ms, unsigned attempt, uint64_t rnd,
                         int64_t min_ms)
{
    int64_t cap = nt_backoff_cap(base_ms, max_ms, attempt);
    int64_t d = (int64_t)(rnd % (uint64_t)(cap + 1));
    return d < min_ms ? min_ms : d;
}

static const char *s_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int64_t nt_retry_after_parse(const char *v, int64_t now_ms)
{
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return -1;
    if (isdigit((unsigned char)*v)) {
        char *end;
        unsigned long long s = strtoull(v, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (*end || s > 365ull * 86400)
            return -1;
        return (int64_t)s * 1000;
    }
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (the other obsolete forms: rejected). */
    char wd[4], mon[4], tz[4];
    int d, y, hh, mm, ss;
    if (sscanf(v, "%3s, %2d %3s %4d %2d:%2d:%2d %3s", wd, &d, mon, &y, &hh, &mm, &ss, tz) != 8
        || strcmp(tz, "GMT") != 0)
        return -1;
    int m = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, s_months[i]) == 0)
            m = i;
    if (m < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m, .tm_mday = d,
                     .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
    int64_t at = (int64_t)timegm(&tm) * 1000;
    return at > now_ms ? at - now_ms : 0;
}

nt_outcome_t nt_http_outcome(long st)
{
    if (st >= 200 && st < 300)
        return NT_OK;
    if (st == 0 || st == 408 || st == 425 || st == 429 || st >= 500)
        return NT_TRANSIENT;
    return NT_PERMANENT;
}

nt_outcome_t nt_smtp_outcome(long code)
{
    if (code >= 500 && code < 600)
        return NT_PERMANENT;
    return NT_TRANSIENT;
}
