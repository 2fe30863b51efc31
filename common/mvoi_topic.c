/*  mvoi_topic: see mvoi_topic.h. */
#include "mvoi_topic.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mvoi_names.h"

/* One table per event family, indexed by kind. */
static const char *s_tender[] = {
    [MVOI__TENDER_EVENT_KIND__TEV_REGISTERED] = "tender.registered",
    [MVOI__TENDER_EVENT_KIND__TEV_UPDATED] = "tender.updated",
    [MVOI__TENDER_EVENT_KIND__TEV_AMBITION_RECORDED] = "tender.ambition_recorded",
    [MVOI__TENDER_EVENT_KIND__TEV_STATUS_CHANGED] = "tender.status_changed",
    [MVOI__TENDER_EVENT_KIND__TEV_CANCELLED] = "tender.cancelled",
};
static const char *s_impact[] = {
    [MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED] = "impact.computed",
    [MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED] = "impact.corrected",
    [MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN] = "impact.withdrawn",
};
static const char *s_notify[] = {
    [MVOI_NOTIFY_SCHEDULED] = "notify.scheduled", [MVOI_NOTIFY_CANCELLED] = "notify.cancelled",
    [MVOI_NOTIFY_SENT] = "notify.sent",           [MVOI_NOTIFY_FAILED] = "notify.failed",
    [MVOI_NOTIFY_DEAD] = "notify.dead",           [MVOI_NOTIFY_UNCONFIRMED] = "notify.unconfirmed",
};
static const char *s_report[] = {
    [MVOI_REPORT_GENERATED] = "report.generated",
};

typedef struct {
    mvoi_topic_family_t family;
    const char *const *names;
    int n;
} s_family_t;

#define S_N(a) ((int)(sizeof(a) / sizeof(a)[0]))
static const s_family_t s_families[] = {
    { MVOI_TOPIC_TENDER, s_tender, S_N(s_tender) },
    { MVOI_TOPIC_IMPACT, s_impact, S_N(s_impact) },
    { MVOI_TOPIC_NOTIFY, s_notify, S_N(s_notify) },
    { MVOI_TOPIC_REPORT, s_report, S_N(s_report) },
};

static const char *s_lookup(const char *const *names, int n, int kind)
{
    return kind > 0 && kind < n ? names[kind] : NULL;
}

const char *mvoi_topic_tender(Mvoi__TenderEventKind k)
{
    return s_lookup(s_tender, S_N(s_tender), (int)k);
}

const char *mvoi_topic_impact(Mvoi__ImpactEventKind k)
{
    return s_lookup(s_impact, S_N(s_impact), (int)k);
}

const char *mvoi_topic_notify(mvoi_notify_event_t k)
{
    return s_lookup(s_notify, S_N(s_notify), (int)k);
}

const char *mvoi_topic_report(mvoi_report_event_t k)
{
    return s_lookup(s_report, S_N(s_report), (int)k);
}

/* ------------------------------------------------------------------------ KPI totals */

static bool s_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

size_t mvoi_topic_enc(char *out, size_t cap, const char *in)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (s_plain(*p)) {
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

static int s_end(s_out_t *o)
{
    if (o->n >= o->len) {
        o->buf[o->len - 1] = 0;
        return -ENAMETOOLONG;
    }
    o->buf[o->n] = 0;
    return 0;
}

/* "kpi.<buyer>." with the buyer encoded: one buyer's totals, a plain prefix. */
static int s_put_buyer(s_out_t *o, const char *buyer)
{
    char eb[MVOI_TOPIC_SEG_MAX];
    if (mvoi_topic_enc(eb, sizeof eb, buyer) >= sizeof eb)
        return -ENAMETOOLONG;
    s_put(o, MVOI_TOPIC_KPI_PREFIX);
    s_put(o, eb);
    s_put(o, ".");
    return 0;
}

/* "<kpi>.<year>[-q<quarter>]" */
static void s_put_window(s_out_t *o, const char *kn, uint32_t year, uint32_t quarter)
{
    s_put(o, kn);
    s_put(o, ".");
    s_put_uint(o, year);
    if (quarter) {
        s_put(o, "-q");
        s_put_uint(o, quarter);
    }
}

int mvoi_topic_kpi(char *buf, size_t len, int kpi, uint32_t year, uint32_t quarter,
                   const char *buyer, int theme, const char *group, const char *tender)
{
    const char *kn = mvoi_kpi_name(kpi);
    if (!kn || !buyer || !*buyer || year == 0 || quarter > 4 || len == 0)
        return -EINVAL;
    if (theme > 0 && !mvoi_theme_key(theme))
        return -EINVAL;
    char ed[MVOI_TOPIC_SEG_MAX];
    const char *dim = NULL, *val = NULL;
    if (theme > 0) {
        dim = ".theme.";
        val = mvoi_theme_key(theme);
    } else if ((group && *group) || (tender && *tender)) {
        bool g = group && *group;
        if (mvoi_topic_enc(ed, sizeof ed, g ? group : tender) >= sizeof ed)
            return -ENAMETOOLONG;
        dim = g ? ".group." : ".tender.";
        val = ed;
    }
    s_out_t o = { buf, len, 0 };
    if (s_put_buyer(&o, buyer) < 0)
        return -ENAMETOOLONG;
    s_put_window(&o, kn, year, quarter);
    if (dim) {
        s_put(&o, dim);
        s_put(&o, val);
    }
    return s_end(&o);
}

int mvoi_topic_kpi_prefix(char *buf, size_t len, const char *buyer, int kpi, uint32_t year)
{
    const char *kn = mvoi_kpi_name(kpi);
    if (!kn || !buyer || !*buyer || year == 0 || len == 0)
        return -EINVAL;
    s_out_t o = { buf, len, 0 };
    if (s_put_buyer(&o, buyer) < 0)
        return -ENAMETOOLONG;
    s_put_window(&o, kn, year, 0);
    return s_end(&o);
}

int mvoi_topic_kpi_buyer_prefix(char *buf, size_t len, const char *buyer)
{
    if (!buyer || !*buyer || len == 0)
        return -EINVAL;
    s_out_t o = { buf, len, 0 };
    if (s_put_buyer(&o, buyer) < 0)
        return -ENAMETOOLONG;
    return s_end(&o);
}

/* ------------------------------------------------------------------------ parsing */

/* The segment of s up to the next '.' (or the end): its length. */
static size_t s_seg(const char *s) { return strcspn(s, "."); }

/* A canonical unsigned decimal (no sign, no leading zero) of n bytes. */
static int s_uint(const char *s, size_t n, uint32_t *out)
{
    if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int s_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode a percent-encoded segment of n bytes; only the encoder's own output is accepted
 * (upper-case hex, plain bytes never encoded, no NUL), so decoding is one-to-one. */
static int s_dec(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 0)
        return -EINVAL;
    if (n >= MVOI_TOPIC_SEG_MAX)
        return -ENAMETOOLONG;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = i + 2 < n ? s_hex(s[i + 1]) : -1, lo = i + 2 < n ? s_hex(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0 || s_plain(c))
                return -EINVAL;
            i += 2;
        } else if (!s_plain(c)) {
            return -EINVAL;
        }
        if (o + 1 >= cap)
            return -ENAMETOOLONG;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 0;
}

/* "<year>[-q<1..4>]" of n bytes. */
static int s_window(const char *s, size_t n, uint32_t *year, uint32_t *quarter)
{
    const char *q = memchr(s, '-', n);
    size_t yn = q ? (size_t)(q - s) : n;
    if (s_uint(s, yn, year) < 0 || *year == 0)
        return -EINVAL;
    *quarter = 0;
    if (!q)
        return 0;
    if (n - yn != 3 || q[1] != 'q' || q[2] < '1' || q[2] > '4')
        return -EINVAL;
    *quarter = (uint32_t)(q[2] - '0');
    return 0;
}

/* "theme.<t>" | "group.<g>" | "tender.<id>", the rest of a KPI topic after its window. */
static int s_dimension(const char *s, mvoi_topic_t *out)
{
    size_t n = s_seg(s);
    const char *v = s + n + 1;
    if (s[n] != '.' || strchr(v, '.'))
        return -EINVAL;
    if (n == 5 && memcmp(s, "theme", 5) == 0) {
        for (int t = MVOI__THEME__THEME_KLIMAAT; t <= MVOI__THEME__THEME_SOCIAL_RETURN; t++)
            if (strcmp(v, mvoi_theme_key(t)) == 0) {
                out->theme = t;
                return 0;
            }
        return -EINVAL;
    }
    if (n == 5 && memcmp(s, "group", 5) == 0)
        return s_dec(v, strlen(v), out->group, sizeof out->group);
    if (n == 6 && memcmp(s, "tender", 6) == 0)
        return s_dec(v, strlen(v), out->tender, sizeof out->tender);
    return -EINVAL;
}

static int s_parse_kpi(const char *s, mvoi_topic_t *out)
{
    size_t n = s_seg(s);
    int rc = s_dec(s, n, out->buyer, sizeof out->buyer);
    if (rc < 0 || s[n] != '.')
        return rc < 0 ? rc : -EINVAL;
    s += n + 1;
    char name[16];
    n = s_seg(s);
    if (s[n] != '.' || n >= sizeof name)
        return -EINVAL;
    memcpy(name, s, n);
    name[n] = 0;
    if (mvoi_kpi_parse(name, &out->kpi) < 0)
        return -EINVAL;
    s += n + 1;
    n = s_seg(s);
    if (s_window(s, n, &out->year, &out->quarter) < 0)
        return -EINVAL;
    if (!s[n])
        return 0;
    return s_dimension(s + n + 1, out);
}

int mvoi_topic_parse(const char *topic, mvoi_topic_t *out)
{
    memset(out, 0, sizeof *out);
    if (!topic)
        return -EINVAL;
    if (strlen(topic) >= MVOI_TOPIC_MAX)
        return -ENAMETOOLONG;
    if (strcmp(topic, MVOI_TOPIC_HB) == 0) {
        out->family = MVOI_TOPIC_HEARTBEAT;
        return 0;
    }
    if (strncmp(topic, MVOI_TOPIC_KPI_PREFIX, strlen(MVOI_TOPIC_KPI_PREFIX)) == 0) {
        int rc = s_parse_kpi(topic + strlen(MVOI_TOPIC_KPI_PREFIX), out);
        if (rc < 0) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        out->family = MVOI_TOPIC_KPI;
        return 0;
    }
    for (int f = 0; f < S_N(s_families); f++)
        for (int k = 1; k < s_families[f].n; k++)
            if (s_families[f].names[k] && strcmp(topic, s_families[f].names[k]) == 0) {
                out->family = s_families[f].family;
                out->kind = k;
                return 0;
            }
    return -EINVAL;
}
