/*  kpi_names: the names of KPIs and themes, topic keys, date windows. See kpi_core.h. */
#include "kpi_core.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_kpi_names[] = { NULL, "fairtrade", "sroi", "nox", "material", "co2",
                                     "pilots" };
static const char *s_kpi_units[] = { NULL, "products", "cent", "mg", "g", "g", "pilots" };
static const char *s_theme_names[] = { NULL, "klimaat", "circulair", "milieu", "isv",
                                       "diversiteit_inclusie", "social_return" };

const char *kpi_name(int kpi) { return kpi >= 1 && kpi <= 6 ? s_kpi_names[kpi] : NULL; }
const char *kpi_unit(int kpi) { return kpi >= 1 && kpi <= 6 ? s_kpi_units[kpi] : NULL; }
const char *kpi_theme_name(int t) { return t >= 1 && t <= 6 ? s_theme_names[t] : NULL; }

int kpi_from_name(const char *name)
{
    for (int k = 1; k <= KPI_COUNT; k++)
        if (name && strcmp(name, s_kpi_names[k]) == 0)
            return k;
    return 0;
}

static size_t s_enc(char *out, size_t cap, const char *in)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (plain) {
            if (n + 1 < cap)
                out[n] = (char)*p;
            n++;
        } else {
            if (n + 3 < cap) {
                out[n] = '%';
                out[n + 1] = hex[*p >> 4];
                out[n + 2] = hex[*p & 15];
            }
            n += 3;
        }
    }
    if (cap)
        out[n < cap ? n : cap - 1] = 0;
    return n;
}

/* Appends without snprintf: keys are built for every total an event touches, and the
 * format machinery was a tenth of the aggregator's time. */
typedef struct {
    char *buf;
    size_t len, n;
} s_out_t;

static void s_put(s_out_t *o, const char *s)
{
    size_t l = strlen(s);
    if (o->n + l < o->len)
        memcpy(o->buf + o->n, s, l);
    o->n += l;
}

static void s_put_uint(s_out_t *o, uint32_t v)
{
    char d[11];
    int i = (int)sizeof d - 1;
    d[i] = 0;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    s_put(o, d + i);
}

int kpi_key(char *buf, size_t len, int kpi, uint32_t year, uint32_t quarter,
            const char *buyer, int theme, const char *group, const char *tender)
{
    const char *kn = kpi_name(kpi);
    if (!kn || !buyer || !*buyer || year == 0 || quarter > 4 || len == 0)
        return -EINVAL;
    if (theme > 0 && !kpi_theme_name(theme))
        return -EINVAL;
    char eb[200], ed[200];
    if (s_enc(eb, sizeof eb, buyer) >= sizeof eb)
        return -ENAMETOOLONG;
    const char *dim = NULL, *val = NULL;
    if (theme > 0) {
        dim = ".theme.";
        val = kpi_theme_name(theme);
    } else if ((group && *group) || (tender && *tender)) {
        bool g = group && *group;
        if (s_enc(ed, sizeof ed, g ? group : tender) >= sizeof ed)
            return -ENAMETOOLONG;
        dim = g ? ".group." : ".tender.";
        val = ed;
    }
    s_out_t o = { buf, len, 0 };
    s_put(&o, "kpi.");
    s_put(&o, kn);
    s_put(&o, ".");
    s_put_uint(&o, year);
    if (quarter) {
        s_put(&o, "-q");
        s_put_uint(&o, quarter);
    }
    s_put(&o, ".");
    s_put(&o, eb);
    if (dim) {
        s_put(&o, dim);
        s_put(&o, val);
    }
    if (o.n >= len) {
        buf[len - 1] = 0;
        return -ENAMETOOLONG;
    }
    buf[o.n] = 0;
    return 0;
}

int kpi_date_window(const char *d, uint32_t *year, uint32_t *quarter)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return -EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return -EINVAL;
    unsigned y = (unsigned)atoi(d), m = (unsigned)atoi(d + 5), day = (unsigned)atoi(d + 8);
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || day < 1 || day > 31)
        return -EINVAL;
    *year = y;
    *quarter = (m - 1) / 3 + 1;
    return 0;
}
