/*  kpi_core: exact live KPI totals. See kpi_core.h for the semantics.
 *
 *  Databases:
 *    kpi_totals     topic -> [ambition, realisation, projects, target, denominator, count
 *                   (be64, sign-flipped)][seq be64][kpi u8][theme u8][quarter u8][year be16]
 *                   [buyer\0][group\0][tender\0]
 *    kpi_tenders    tender id -> packed Tender (the projected fields only)
 *    kpi_meas       measurement id -> packed ImpactEvent: the current revision we counted
 *                   (measurement, impact, purchasing_group)
 *    kpi_projects   tender id \0 topic -> be64 number of measurements of that tender in
 *                   that total
 *    kpi_breakdown  buyer \0 kpi u8 year be16 quarter u8 tender \0 measurement id ->
 *                   [revision be32][theme u8][ambition be64s][realisation be64s][group]
 */
#include "kpi_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VAL_FIXED (6 * 8 + 8 + 1 + 1 + 1 + 2)

enum { DIM_ALL = 1, DIM_THEME = 2, DIM_GROUP = 4, DIM_TENDER = 8 };

typedef struct {
    char *key;
    bool existed;
    int64_t v[6];
} s_dirty_t;

struct kpi_t {
    store_t *store;
    outbox_t *outbox;
    MDB_dbi totals, tenders, meas, projects, breakdown;
    /* totals touched by the event being applied */
    s_dirty_t *dirty;
    size_t ndirty, capdirty;
    uint32_t *hash;          /* open addressing: index+1 into dirty, 0 = free */
    size_t hashcap;
    /* one-entry cache of "is this tender cancelled" within an event */
    char cache_tender[128];
    bool cache_valid, cache_cancelled;
    kpi_stats_t stats;
};

/* ---------------------------------------------------------------- names */

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

int kpi_key(char *buf, size_t len, int kpi, uint32_t year, uint32_t quarter,
            const char *buyer, int theme, const char *group, const char *tender)
{
    const char *kn = kpi_name(kpi);
    if (!kn || !buyer || !*buyer || year == 0 || quarter > 4)
        return -EINVAL;
    char eb[200], ed[200];
    if (s_enc(eb, sizeof eb, buyer) >= sizeof eb)
        return -ENAMETOOLONG;
    char win[16];
    if (quarter)
        snprintf(win, sizeof win, "%u-q%u", year, quarter);
    else
        snprintf(win, sizeof win, "%u", year);
    int n;
    if (theme > 0) {
        if (!kpi_theme_name(theme))
            return -EINVAL;
        n = snprintf(buf, len, "kpi.%s.%s.%s.theme.%s", kn, win, eb, kpi_theme_name(theme));
    } else if (group && *group) {
        if (s_enc(ed, sizeof ed, group) >= sizeof ed)
            return -ENAMETOOLONG;
        n = snprintf(buf, len, "kpi.%s.%s.%s.group.%s", kn, win, eb, ed);
    } else if (tender && *tender) {
        if (s_enc(ed, sizeof ed, tender) >= sizeof ed)
            return -ENAMETOOLONG;
        n = snprintf(buf, len, "kpi.%s.%s.%s.tender.%s", kn, win, eb, ed);
    } else {
        n = snprintf(buf, len, "kpi.%s.%s.%s", kn, win, eb);
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
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

/* ---------------------------------------------------------------- totals */

static void s_put64(uint8_t **p, int64_t v) { store_be64s(*p, v); *p += 8; }

static int s_total_get(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *t)
{
    MDB_val k = { strlen(key), (void *)key }, v;
    int rc = mdb_get(txn, self->totals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return -ENOENT;
    if (rc != 0)
        return rc;
    if (v.mv_size < VAL_FIXED + 3 || k.mv_size >= KPI_KEY_MAX)
        return -ENOENT;   /* not ours; treated as absent */
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, k.mv_size);
    const uint8_t *p = v.mv_data;
    int64_t *f[6] = { &t->ambition, &t->realisation, &t->projects, &t->target,
                      &t->denominator, &t->count };
    for (int i = 0; i < 6; i++, p += 8)
        *f[i] = store_get_be64s(p);
    t->seq = store_get_be64(p);
    p += 8;
    t->kpi = p[0];
    t->theme = p[1];
    t->quarter = p[2];
    t->year = ((uint32_t)p[3] << 8) | p[4];
    p += 5;
    const char *s = (const char *)p, *end = (const char *)v.mv_data + v.mv_size;
    char *dst[3] = { t->buyer, t->group, t->tender };
    for (int i = 0; i < 3 && s < end; i++) {
        size_t n = strnlen(s, (size_t)(end - s));
        if (n >= 128)
            n = 127;
        memcpy(dst[i], s, n);
        dst[i][n] = 0;
        s += strnlen(s, (size_t)(end - s)) + 1;
    }
    return 0;
}

static int s_total_put(kpi_t *self, MDB_txn *txn, const kpi_total_t *t)
{
    size_t lb = strlen(t->buyer), lg = strlen(t->group), lt = strlen(t->tender);
    uint8_t buf[VAL_FIXED + 3 * 128];
    uint8_t *p = buf;
    s_put64(&p, t->ambition);
    s_put64(&p, t->realisation);
    s_put64(&p, t->projects);
    s_put64(&p, t->target);
    s_put64(&p, t->denominator);
    s_put64(&p, t->count);
    store_be64(p, t->seq);
    p += 8;
    *p++ = (uint8_t)t->kpi;
    *p++ = (uint8_t)t->theme;
    *p++ = (uint8_t)t->quarter;
    *p++ = (uint8_t)(t->year >> 8);
    *p++ = (uint8_t)t->year;
    memcpy(p, t->buyer, lb + 1);
    p += lb + 1;
    memcpy(p, t->group, lg + 1);
    p += lg + 1;
    memcpy(p, t->tender, lt + 1);
    p += lt + 1;
    MDB_val k = { strlen(t->key), (void *)t->key }, v = { (size_t)(p - buf), buf };
    return mdb_put(txn, self->totals, &k, &v, 0);
}

int kpi_get(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *out)
{
    if (!key || !*key || strlen(key) >= KPI_KEY_MAX)
        return -ENOENT;
    return s_total_get(self, txn, key, out);
}

void kpi_total_to_pb(const kpi_total_t *t, Mvoi__KpiTotal *pb)
{
    mvoi__kpi_total__init(pb);
    pb->key = (char *)t->key;
    pb->buyer = (char *)t->buyer;
    pb->has_kpi = pb->has_year = pb->has_quarter = true;
    pb->kpi = (Mvoi__Kpi)t->kpi;
    pb->year = t->year;
    pb->quarter = t->quarter;
    if (t->theme) {
        pb->has_theme = true;
        pb->theme = (Mvoi__Theme)t->theme;
    }
    if (t->group[0])
        pb->purchasing_group = (char *)t->group;
    if (t->tender[0])
        pb->tender_id = (char *)t->tender;
    pb->has_ambition = pb->has_realisation = pb->has_projects = pb->has_target = true;
    pb->has_seq = pb->has_denominator = pb->has_count = true;
    pb->ambition = t->ambition;
    pb->realisation = t->realisation;
    pb->projects = t->projects;
    pb->target = t->target;
    pb->seq = t->seq;
    pb->denominator = t->denominator;
    pb->count = t->count;
    pb->unit = (char *)kpi_unit(t->kpi);
}

/* ---------------------------------------------------------------- dirty set */

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void s_dirty_clear(kpi_t *self)
{
    for (size_t i = 0; i < self->ndirty; i++)
        free(self->dirty[i].key);
    self->ndirty = 0;
    if (self->hash)
        memset(self->hash, 0, self->hashcap * sizeof *self->hash);
}

static int s_hash_insert(kpi_t *self, const char *key, size_t idx)
{
    size_t m = self->hashcap - 1, i = (size_t)s_hash(key) & m;
    while (self->hash[i])
        i = (i + 1) & m;
    self->hash[i] = (uint32_t)idx + 1;
    return 0;
}

static s_dirty_t *s_dirty_find(kpi_t *self, const char *key)
{
    if (!self->hashcap)
        return NULL;
    size_t m = self->hashcap - 1, i = (size_t)s_hash(key) & m;
    while (self->hash[i]) {
        s_dirty_t *d = &self->dirty[self->hash[i] - 1];
        if (strcmp(d->key, key) == 0)
            return d;
        i = (i + 1) & m;
    }
    return NULL;
}

/* Remember a total's value before this event touched it (first touch only). */
static int s_dirty_mark(kpi_t *self, const kpi_total_t *t, bool existed)
{
    if (s_dirty_find(self, t->key))
        return 0;
    if (self->ndirty == self->capdirty) {
        size_t cap = self->capdirty ? self->capdirty * 2 : 64;
        s_dirty_t *n = realloc(self->dirty, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        self->dirty = n;
        self->capdirty = cap;
    }
    if ((self->ndirty + 1) * 2 > self->hashcap) {
        size_t cap = self->hashcap ? self->hashcap * 2 : 256;
        while ((self->ndirty + 1) * 2 > cap)
            cap *= 2;
        uint32_t *h = calloc(cap, sizeof *h);
        if (!h)
            return -ENOMEM;
        free(self->hash);
        self->hash = h;
        self->hashcap = cap;
        for (size_t i = 0; i < self->ndirty; i++)
            s_hash_insert(self, self->dirty[i].key, i);
    }
    s_dirty_t *d = &self->dirty[self->ndirty];
    d->key = strdup(t->key);
    if (!d->key)
        return -ENOMEM;
    d->existed = existed;
    int64_t v[6] = { t->ambition, t->realisation, t->projects, t->target, t->denominator,
                     t->count };
    memcpy(d->v, v, sizeof v);
    s_hash_insert(self, d->key, self->ndirty);
    self->ndirty++;
    return 0;
}

/* Append every total this event changed to the outbox, stamped with its seq. */
static int s_dirty_flush(kpi_t *self, MDB_txn *txn)
{
    int rc = 0;
    for (size_t i = 0; i < self->ndirty && rc == 0; i++) {
        s_dirty_t *d = &self->dirty[i];
        kpi_total_t t;
        rc = s_total_get(self, txn, d->key, &t);
        if (rc != 0)
            break;
        int64_t v[6] = { t.ambition, t.realisation, t.projects, t.target, t.denominator,
                         t.count };
        if (d->existed && memcmp(v, d->v, sizeof v) == 0)
            continue;   /* touched, but back where it was: nothing to publish */
        if (!self->outbox)
            continue;
        t.seq = outbox_next_seq(self->outbox);
        if ((rc = s_total_put(self, txn, &t)) != 0)
            break;
        Mvoi__KpiTotal pb;
        kpi_total_to_pb(&t, &pb);
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
        env.kpi_total = &pb;
        env.buyer = t.buyer;
        uint64_t seq = 0;
        rc = outbox_append(self->outbox, txn, t.key, &env, &seq);
        if (rc == 0 && seq != t.seq) {
            log_error("kpi_seq_mismatch", "outbox gave seq %llu, expected %llu",
                      (unsigned long long)seq, (unsigned long long)t.seq);
            rc = -EIO;
        }
        self->stats.emitted++;
    }
    s_dirty_clear(self);
    return rc;
}

/* ---------------------------------------------------------------- tender projection */

static Mvoi__Tender *s_tender_load(kpi_t *self, MDB_txn *txn, const char *id, int *rc)
{
    *rc = 0;
    if (!id || !*id)
        return NULL;
    MDB_val k = { strlen(id), (void *)id }, v;
    int r = mdb_get(txn, self->tenders, &k, &v);
    if (r != 0) {
        if (r != MDB_NOTFOUND)
            *rc = r;
        return NULL;
    }
    return mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
}

static bool s_cancelled(const Mvoi__Tender *t)
{
    return t && t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED;
}

static int s_is_cancelled(kpi_t *self, MDB_txn *txn, const char *tender, bool *out)
{
    if (self->cache_valid && strcmp(self->cache_tender, tender) == 0) {
        *out = self->cache_cancelled;
        return 0;
    }
    int rc;
    Mvoi__Tender *t = s_tender_load(self, txn, tender, &rc);
    if (rc != 0)
        return rc;
    *out = s_cancelled(t);
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
    if (strlen(tender) < sizeof self->cache_tender) {
        strcpy(self->cache_tender, tender);
        self->cache_cancelled = *out;
        self->cache_valid = true;
    }
    return 0;
}

/* ---------------------------------------------------------------- adding to totals */

typedef struct {
    int kpi;
    uint32_t year, quarter;
    const char *buyer;
    int theme;
    const char *group;
    const char *tender;
    int64_t ambition, realisation, denominator, count, target;
    bool project;            /* counts the tender in projects */
    int dims;                /* DIM_* */
} s_contrib_t;

static int s_projects_bump(kpi_t *self, MDB_txn *txn, const char *tender, const char *key,
                           int sign, int64_t *projects)
{
    size_t lt = strlen(tender), lk = strlen(key);
    char pk[128 + KPI_KEY_MAX + 2];
    if (lt + lk + 1 > sizeof pk || lt + lk + 1 > 511)
        return 0;
    memcpy(pk, tender, lt);
    pk[lt] = 0;
    memcpy(pk + lt + 1, key, lk);
    MDB_val k = { lt + 1 + lk, pk }, v;
    int64_t n = 0;
    int rc = mdb_get(txn, self->projects, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        n = store_get_be64s(v.mv_data);
    else if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    int64_t m = n + sign;
    if (m <= 0) {
        rc = mdb_del(txn, self->projects, &k, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND)
            return rc;
        m = 0;
    } else {
        uint8_t b[8];
        store_be64s(b, m);
        v.mv_size = 8;
        v.mv_data = b;
        if ((rc = mdb_put(txn, self->projects, &k, &v, 0)) != 0)
            return rc;
    }
    if ((n == 0) != (m == 0)) {
        bool cancelled = false;
        if ((rc = s_is_cancelled(self, txn, tender, &cancelled)) != 0)
            return rc;
        if (!cancelled)
            *projects += m > 0 ? 1 : -1;
    }
    return 0;
}

static int s_bump(kpi_t *self, MDB_txn *txn, const s_contrib_t *c, uint32_t quarter,
                  int dim, int sign)
{
    kpi_total_t t;
    int theme = dim == DIM_THEME ? c->theme : 0;
    const char *group = dim == DIM_GROUP ? c->group : NULL;
    const char *tender = dim == DIM_TENDER ? c->tender : NULL;
    char key[KPI_KEY_MAX];
    if (kpi_key(key, sizeof key, c->kpi, c->year, quarter, c->buyer, theme, group, tender)
        != 0)
        return 0;   /* e.g. an absurdly long id: not a total we can name */
    int rc = s_total_get(self, txn, key, &t);
    bool existed = rc == 0;
    if (rc == -ENOENT) {
        memset(&t, 0, sizeof t);
        strcpy(t.key, key);
        snprintf(t.buyer, sizeof t.buyer, "%s", c->buyer);
        if (group)
            snprintf(t.group, sizeof t.group, "%s", group);
        if (tender)
            snprintf(t.tender, sizeof t.tender, "%s", tender);
        t.kpi = c->kpi;
        t.year = c->year;
        t.quarter = quarter;
        t.theme = theme;
        if (c->kpi == MVOI__KPI__KPI_PILOTS && quarter == 0 && dim == DIM_ALL)
            t.target = KPI_PILOT_TARGET;
    } else if (rc != 0) {
        return rc;
    }
    if ((rc = s_dirty_mark(self, &t, existed)) != 0)
        return rc;
    t.ambition += sign * c->ambition;
    t.realisation += sign * c->realisation;
    t.denominator += sign * c->denominator;
    t.count += sign * c->count;
    t.target += sign * c->target;
    if (c->project && c->tender && *c->tender &&
        (rc = s_projects_bump(self, txn, c->tender, key, sign, &t.projects)) != 0)
        return rc;
    return s_total_put(self, txn, &t);
}

static int s_add(kpi_t *self, MDB_txn *txn, const s_contrib_t *c, int sign)
{
    if (!c->buyer || !*c->buyer || !c->year)
        return 0;
    uint32_t windows[2] = { 0, c->quarter };
    for (int w = 0; w < 2; w++) {
        if (w == 1 && !c->quarter)
            break;
        int rc;
        if ((c->dims & DIM_ALL) && (rc = s_bump(self, txn, c, windows[w], DIM_ALL, sign)))
            return rc;
        if ((c->dims & DIM_THEME) && c->theme > 0 && kpi_theme_name(c->theme) &&
            (rc = s_bump(self, txn, c, windows[w], DIM_THEME, sign)))
            return rc;
        if ((c->dims & DIM_GROUP) && c->group && *c->group &&
            (rc = s_bump(self, txn, c, windows[w], DIM_GROUP, sign)))
            return rc;
        if ((c->dims & DIM_TENDER) && c->tender && *c->tender &&
            (rc = s_bump(self, txn, c, windows[w], DIM_TENDER, sign)))
            return rc;
    }
    return 0;
}

/* The tender projection's own contributions: pilots ambition, SROI target. */
static int s_tender_contrib(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *t, int sign)
{
    if (!t || s_cancelled(t) || !t->buyer || !*t->buyer)
        return 0;
    s_contrib_t c = { 0 };
    if (kpi_date_window(t->planned_publication, &c.year, &c.quarter) != 0)
        return 0;
    c.buyer = t->buyer;
    c.group = t->purchasing_group;
    c.tender = t->id;
    int rc;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) {
            if (!t->pilot)
                continue;
            c.kpi = MVOI__KPI__KPI_PILOTS;
            c.ambition = 1;
            c.target = 0;
        } else {
            if (!t->has_sroi_obligation_cents || t->sroi_obligation_cents == 0)
                continue;
            c.kpi = MVOI__KPI__KPI_SROI;
            c.ambition = 0;
            c.target = t->sroi_obligation_cents;
        }
        c.dims = DIM_ALL | DIM_GROUP | DIM_TENDER;
        c.theme = 0;
        if ((rc = s_add(self, txn, &c, sign)) != 0)
            return rc;
        /* each distinct theme in scope */
        for (size_t i = 0; i < t->n_themes; i++) {
            int th = t->themes[i]->has_theme ? (int)t->themes[i]->theme : 0;
            bool seen = false;
            for (size_t j = 0; j < i; j++)
                if (t->themes[j]->has_theme && (int)t->themes[j]->theme == th)
                    seen = true;
            if (seen || !kpi_theme_name(th))
                continue;
            c.dims = DIM_THEME;
            c.theme = th;
            if ((rc = s_add(self, txn, &c, sign)) != 0)
                return rc;
        }
    }
    return 0;
}

/* A tender's cancelled flag flipped: adjust every project count it is part of. */
static int s_tender_projects(kpi_t *self, MDB_txn *txn, const char *id, int sign)
{
    size_t li = strlen(id);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->projects, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { li + 1, (void *)id }, v;   /* id and its NUL: the prefix */
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        if (k.mv_size <= li + 1 || memcmp(k.mv_data, id, li + 1) != 0)
            break;
        int64_t n = v.mv_size == 8 ? store_get_be64s(v.mv_data) : 0;
        if (n > 0) {
            char key[KPI_KEY_MAX];
            size_t lk = k.mv_size - li - 1;
            if (lk < sizeof key) {
                memcpy(key, (char *)k.mv_data + li + 1, lk);
                key[lk] = 0;
                kpi_total_t t;
                int r = s_total_get(self, txn, key, &t);
                if (r == 0) {
                    if ((r = s_dirty_mark(self, &t, true)) != 0 ||
                        (t.projects += sign, r = s_total_put(self, txn, &t)) != 0) {
                        mdb_cursor_close(cur);
                        return r;
                    }
                } else if (r != -ENOENT) {
                    mdb_cursor_close(cur);
                    return r;
                }
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

static int s_tender_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                               const Mvoi__Tender *nw)
{
    int rc;
    if ((rc = s_tender_contrib(self, txn, old, -1)) != 0 ||
        (rc = s_tender_contrib(self, txn, nw, +1)) != 0)
        return rc;
    bool was = s_cancelled(old), is = s_cancelled(nw);
    const char *id = nw ? nw->id : old ? old->id : NULL;
    if (id && was != is && (rc = s_tender_projects(self, txn, id, is ? -1 : +1)) != 0)
        return rc;
    self->cache_valid = false;
    return 0;
}

int kpi_apply_tender(kpi_t *self, MDB_txn *txn, const Mvoi__TenderEvent *te,
                     const char *buyer)
{
    self->cache_valid = false;
    self->stats.tender_events++;
    const Mvoi__Tender *in = te ? te->tender : NULL;
    if (!in || !in->id || !*in->id || strlen(in->id) >= 128) {
        self->stats.skipped++;
        log_warn("event_skipped", "tender event without a usable tender id");
        return 0;
    }
    /* The projection: only what the KPIs use. */
    Mvoi__Tender nw = MVOI__TENDER__INIT;
    nw.id = in->id;
    nw.buyer = in->buyer && *in->buyer ? in->buyer : (char *)buyer;
    nw.purchasing_group = in->purchasing_group;
    nw.planned_publication = in->planned_publication;
    nw.has_pilot = true;
    nw.pilot = in->has_pilot && in->pilot;
    nw.has_status = in->has_status;
    nw.status = in->status;
    if (te->kind == MVOI__TENDER_EVENT_KIND__TEV_CANCELLED) {
        nw.has_status = true;
        nw.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    }
    nw.has_sroi_obligation_cents = in->has_sroi_obligation_cents;
    nw.sroi_obligation_cents = in->sroi_obligation_cents;
    Mvoi__ThemeAmbition ta[16], *tap[16];
    size_t nt = 0;
    for (size_t i = 0; i < in->n_themes && nt < 16; i++) {
        if (!in->themes[i] || !in->themes[i]->has_theme)
            continue;
        mvoi__theme_ambition__init(&ta[nt]);
        ta[nt].has_theme = true;
        ta[nt].theme = in->themes[i]->theme;
        tap[nt] = &ta[nt];
        nt++;
    }
    nw.n_themes = nt;
    nw.themes = tap;

    int rc;
    Mvoi__Tender *old = s_tender_load(self, txn, in->id, &rc);
    if (rc != 0)
        return rc;
    rc = s_tender_transition(self, txn, old, &nw);
    if (old)
        mvoi__tender__free_unpacked(old, NULL);
    if (rc != 0) {
        s_dirty_clear(self);
        return rc;
    }
    size_t len = mvoi__tender__get_packed_size(&nw);
    MDB_val k = { strlen(in->id), in->id }, v = { len, NULL };
    if ((rc = mdb_put(txn, self->tenders, &k, &v, MDB_RESERVE)) != 0) {
        s_dirty_clear(self);
        return rc;
    }
    mvoi__tender__pack(&nw, v.mv_data);
    return s_dirty_flush(self, txn);
}

/* ---------------------------------------------------------------- measurements */

/* Which Impact field feeds which KPI. */
static bool s_feed(const Mvoi__Impact *im, int kpi, int64_t *v, int64_t *den)
{
    *den = 0;
    switch (kpi) {
    case MVOI__KPI__KPI_FAIRTRADE:
        if (!im->has_fairtrade_products && !im->has_risk_products)
            return false;
        *v = im->fairtrade_products;
        *den = im->risk_products;
        return true;
    case MVOI__KPI__KPI_SROI: *v = im->sroi_realised_cents; return im->has_sroi_realised_cents;
    case MVOI__KPI__KPI_NOX: *v = im->nox_avoided_mg; return im->has_nox_avoided_mg;
    case MVOI__KPI__KPI_MATERIAL: *v = im->primary_material_g; return im->has_primary_material_g;
    case MVOI__KPI__KPI_CO2: *v = im->co2_avoided_g; return im->has_co2_avoided_g;
    case MVOI__KPI__KPI_PILOTS: *v = im->pilots; return im->has_pilots;
    }
    return false;
}

static size_t s_bd_key(uint8_t *buf, size_t cap, const char *buyer, int kpi, uint32_t year,
                       uint32_t quarter, const char *tender, const char *id)
{
    size_t lb = strlen(buyer), lt = tender ? strlen(tender) : 0, li = id ? strlen(id) : 0;
    size_t n = lb + 1 + 4 + lt + 1 + li;
    if (n > cap || n > 511)
        return 0;
    uint8_t *p = buf;
    memcpy(p, buyer, lb + 1);
    p += lb + 1;
    *p++ = (uint8_t)kpi;
    *p++ = (uint8_t)(year >> 8);
    *p++ = (uint8_t)year;
    *p++ = (uint8_t)quarter;
    if (!tender)
        return (size_t)(p - buf);   /* the prefix up to the quarter */
    memcpy(p, tender, lt + 1);
    p += lt + 1;
    memcpy(p, id, li);
    return n;
}

/* Add (sign +1) or remove (-1) a measurement record's contributions. */
static int s_meas_contrib(kpi_t *self, MDB_txn *txn, const Mvoi__ImpactEvent *rec, int sign)
{
    if (!rec || !rec->measurement || !rec->impact)
        return 0;
    const Mvoi__Measurement *m = rec->measurement;
    const Mvoi__Impact *im = rec->impact;
    s_contrib_t c = { 0 };
    const char *date = m->period_end && *m->period_end ? m->period_end : m->period_start;
    if (kpi_date_window(date, &c.year, &c.quarter) != 0 || !m->buyer || !*m->buyer)
        return 0;
    c.buyer = m->buyer;
    c.tender = m->tender_id ? m->tender_id : "";
    c.group = rec->purchasing_group;
    c.theme = im->has_theme ? (int)im->theme : 0;
    c.count = 1;
    c.project = true;
    c.dims = DIM_ALL | DIM_THEME | DIM_GROUP | DIM_TENDER;
    bool ambition = m->has_phase && m->phase == MVOI__PHASE__PHASE_AMBITION;
    for (int k = 1; k <= KPI_COUNT; k++) {
        int64_t v = 0, den = 0;
        if (!s_feed(im, k, &v, &den))
            continue;
        c.kpi = k;
        c.ambition = ambition ? v : 0;
        c.realisation = ambition ? 0 : v;
        c.denominator = den;
        int rc = s_add(self, txn, &c, sign);
        if (rc != 0)
            return rc;
        uint8_t kb[512];
        size_t kl = s_bd_key(kb, sizeof kb, c.buyer, k, c.year, c.quarter, c.tender, m->id);
        if (!kl)
            continue;
        MDB_val key = { kl, kb };
        if (sign < 0) {
            rc = mdb_del(txn, self->breakdown, &key, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND)
                return rc;
            continue;
        }
        size_t lg = c.group ? strlen(c.group) : 0;
        uint8_t vb[4 + 1 + 16 + 128];
        if (lg > 128)
            lg = 128;
        store_be32(vb, m->revision);
        vb[4] = (uint8_t)c.theme;
        store_be64s(vb + 5, c.ambition);
        store_be64s(vb + 13, c.realisation);
        if (lg)
            memcpy(vb + 21, c.group, lg);
        MDB_val val = { 21 + lg, vb };
        if ((rc = mdb_put(txn, self->breakdown, &key, &val, 0)) != 0)
            return rc;
    }
    return 0;
}

/* Our record of a measurement revision: only the fields the KPIs use. */
typedef struct {
    Mvoi__ImpactEvent ev;
    Mvoi__Measurement m;
    Mvoi__Impact im;
} s_rec_t;

static void s_rec_build(s_rec_t *r, const Mvoi__Measurement *m, const Mvoi__Impact *im,
                        const char *buyer, const char *group)
{
    mvoi__impact_event__init(&r->ev);
    mvoi__measurement__init(&r->m);
    mvoi__impact__init(&r->im);
    r->m.id = m->id;
    r->m.buyer = m->buyer && *m->buyer ? m->buyer : (char *)buyer;
    r->m.tender_id = m->tender_id;
    r->m.has_phase = m->has_phase;
    r->m.phase = m->phase;
    r->m.period_start = m->period_start;
    r->m.period_end = m->period_end;
    r->m.has_revision = m->has_revision;
    r->m.revision = m->revision;
    if (im) {
        r->im = *im;
        r->im.base.unknown_fields = NULL;
        r->im.base.n_unknown_fields = 0;
        r->im.n_factors = 0;
        r->im.factors = NULL;
    }
    r->ev.measurement = &r->m;
    r->ev.impact = im ? &r->im : NULL;
    r->ev.purchasing_group = group && *group ? (char *)group : NULL;
}

int kpi_apply_impact(kpi_t *self, MDB_txn *txn, const Mvoi__ImpactEvent *ie,
                     const char *buyer)
{
    self->cache_valid = false;
    self->stats.impact_events++;
    const Mvoi__Measurement *m = ie ? ie->measurement : NULL;
    if (!m || !m->id || !*m->id || strlen(m->id) >= 128 ||
        (m->tender_id && strlen(m->tender_id) >= 128) ||
        (ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED &&
         ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED &&
         ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN)) {
        self->stats.skipped++;
        log_warn("event_skipped", "impact event without a measurement id or known kind");
        return 0;
    }
    MDB_val k = { strlen(m->id), m->id }, v;
    Mvoi__ImpactEvent *stored = NULL;
    int rc = mdb_get(txn, self->meas, &k, &v);
    if (rc == 0)
        stored = mvoi__impact_event__unpack(NULL, v.mv_size, v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return rc;
    s_rec_t prev;
    const Mvoi__ImpactEvent *old = stored;
    if (!old && ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED && ie->previous &&
        ie->previous_impact) {
        s_rec_build(&prev, ie->previous, ie->previous_impact, buyer, ie->purchasing_group);
        old = &prev.ev;
    }
    if (stored && ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN &&
        stored->measurement && stored->measurement->revision > m->revision &&
        m->has_revision) {
        /* An older revision than the one we hold: nothing to do. */
        mvoi__impact_event__free_unpacked(stored, NULL);
        self->stats.skipped++;
        return 0;
    }
    s_rec_t nr;
    const Mvoi__ImpactEvent *nw = NULL;
    if (ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN) {
        const char *group = ie->purchasing_group;
        Mvoi__Tender *t = NULL;
        if ((!group || !*group) && m->tender_id) {
            t = s_tender_load(self, txn, m->tender_id, &rc);
            if (rc != 0)
                goto out;
            if (t)
                group = t->purchasing_group;
        }
        s_rec_build(&nr, m, ie->impact, buyer, group);
        nw = &nr.ev;
        rc = s_meas_contrib(self, txn, old, -1);
        if (rc == 0)
            rc = s_meas_contrib(self, txn, nw, +1);
        if (rc == 0) {
            size_t len = mvoi__impact_event__get_packed_size(nw);
            v.mv_size = len;
            v.mv_data = NULL;
            rc = mdb_put(txn, self->meas, &k, &v, MDB_RESERVE);
            if (rc == 0)
                mvoi__impact_event__pack(nw, v.mv_data);
        }
        if (t)
            mvoi__tender__free_unpacked(t, NULL);
    } else {
        rc = s_meas_contrib(self, txn, old, -1);
        if (rc == 0 && stored) {
            rc = mdb_del(txn, self->meas, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
    }
out:
    if (stored)
        mvoi__impact_event__free_unpacked(stored, NULL);
    if (rc != 0) {
        s_dirty_clear(self);
        return rc;
    }
    return s_dirty_flush(self, txn);
}

int kpi_apply(kpi_t *self, MDB_txn *txn, const char *topic, const Mvoi__Envelope *ev)
{
    self->stats.events++;
    if (ev->body_case == MVOI__ENVELOPE__BODY_TENDER_EVENT)
        return kpi_apply_tender(self, txn, ev->tender_event, ev->buyer);
    if (ev->body_case == MVOI__ENVELOPE__BODY_IMPACT_EVENT)
        return kpi_apply_impact(self, txn, ev->impact_event, ev->buyer);
    return 0;   /* not for us */
}

int kpi_reset(kpi_t *self, MDB_txn *txn, const char *producer)
{
    self->cache_valid = false;
    bool impact = strcmp(producer, "impact") == 0;
    if (!impact && strcmp(producer, "calendar") != 0)
        return 0;
    MDB_dbi dbi = impact ? self->meas : self->tenders;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        int r;
        if (impact) {
            Mvoi__ImpactEvent *rec = mvoi__impact_event__unpack(NULL, v.mv_size, v.mv_data);
            r = s_meas_contrib(self, txn, rec, -1);
            if (rec)
                mvoi__impact_event__free_unpacked(rec, NULL);
        } else {
            Mvoi__Tender *t = mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
            r = t ? s_tender_transition(self, txn, t, NULL) : 0;
            if (t)
                mvoi__tender__free_unpacked(t, NULL);
        }
        if (r != 0) {
            mdb_cursor_close(cur);
            s_dirty_clear(self);
            return r;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        s_dirty_clear(self);
        return rc;
    }
    if ((rc = mdb_drop(txn, dbi, 0)) != 0) {
        s_dirty_clear(self);
        return rc;
    }
    log_warn("kpi_reset", "%s was wiped: removed everything derived from it", producer);
    return s_dirty_flush(self, txn);
}

/* ---------------------------------------------------------------- reading */

int kpi_each(kpi_t *self, MDB_txn *txn, const char *prefix, kpi_total_fn *fn, void *arg)
{
    size_t lp = prefix ? strlen(prefix) : 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->totals, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { lp, (void *)prefix }, v;
    rc = lp ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
            : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    int out = 0;
    while (rc == 0) {
        if (k.mv_size < lp || memcmp(k.mv_data, prefix, lp) != 0)
            break;
        if (k.mv_size < KPI_KEY_MAX) {
            char key[KPI_KEY_MAX];
            memcpy(key, k.mv_data, k.mv_size);
            key[k.mv_size] = 0;
            kpi_total_t t;
            if (s_total_get(self, txn, key, &t) == 0 && (out = fn(arg, &t)) != 0)
                break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (out)
        return out;
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

int kpi_breakdown(kpi_t *self, MDB_txn *txn, const char *key, uint32_t offset,
                  uint32_t limit, kpi_contrib_fn *fn, void *arg, uint32_t *total)
{
    kpi_total_t t;
    int rc = kpi_get(self, txn, key, &t);
    if (rc != 0)
        return rc;
    uint8_t pre[512];
    size_t lp = s_bd_key(pre, sizeof pre, t.buyer, t.kpi, t.year, t.quarter, NULL, NULL);
    if (!t.quarter)
        lp--;   /* every quarter of the year */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, self->breakdown, &cur)) != 0)
        return rc;
    MDB_val k = { lp, pre }, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    uint32_t n = 0;
    int out = 0;
    while (rc == 0) {
        if (k.mv_size < lp || memcmp(k.mv_data, pre, lp) != 0)
            break;
        const char *kb = k.mv_data;
        size_t base = strlen(t.buyer) + 1 + 4;
        if (k.mv_size > base && v.mv_size >= 21) {
            const char *tender = kb + base;
            size_t lt = strnlen(tender, k.mv_size - base);
            const uint8_t *vb = v.mv_data;
            size_t lg = v.mv_size - 21;
            bool match = lt < k.mv_size - base;
            if (match && t.tender[0])
                match = strlen(t.tender) == lt && memcmp(t.tender, tender, lt) == 0;
            if (match && t.theme)
                match = vb[4] == t.theme;
            if (match && t.group[0])
                match = strlen(t.group) == lg && memcmp(t.group, vb + 21, lg) == 0;
            if (match) {
                if (n >= offset && n - offset < limit) {
                    kpi_contrib_t c = { 0 };
                    size_t li = k.mv_size - base - lt - 1;
                    if (li >= sizeof c.measurement_id)
                        li = sizeof c.measurement_id - 1;
                    memcpy(c.measurement_id, tender + lt + 1, li);
                    memcpy(c.tender_id, tender, lt < 127 ? lt : 127);
                    c.revision = store_get_be32(vb);
                    c.ambition = store_get_be64s(vb + 5);
                    c.realisation = store_get_be64s(vb + 13);
                    if (fn && (out = fn(arg, &c)) != 0)
                        break;
                }
                n++;
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (out)
        return out;
    if (total)
        *total = n;
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* ---------------------------------------------------------------- lifecycle */

kpi_t *kpi_new(store_t *store, outbox_t *outbox, int *err)
{
    kpi_t *self = calloc(1, sizeof *self);
    if (!self) {
        if (err)
            *err = -ENOMEM;
        return NULL;
    }
    self->store = store;
    self->outbox = outbox;
    self->totals = store_dbi(store, "kpi_totals");
    self->tenders = store_dbi(store, "kpi_tenders");
    self->meas = store_dbi(store, "kpi_meas");
    self->projects = store_dbi(store, "kpi_projects");
    self->breakdown = store_dbi(store, "kpi_breakdown");
    if (self->totals == (MDB_dbi)-1 || self->tenders == (MDB_dbi)-1 ||
        self->meas == (MDB_dbi)-1 || self->projects == (MDB_dbi)-1 ||
        self->breakdown == (MDB_dbi)-1) {
        free(self);
        if (err)
            *err = -EINVAL;
        return NULL;
    }
    return self;
}

void kpi_destroy(kpi_t **self_p)
{
    kpi_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    s_dirty_clear(self);
    free(self->dirty);
    free(self->hash);
    free(self);
}

void kpi_stats(kpi_t *self, kpi_stats_t *out) { *out = self->stats; }
