/* calendar_store: tenders and their publication index in LMDB. See calendar_store.h. */
#include "calendar_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cal_date.h"
#include "mvoi_error.h"
#include "store_undecodable.h"
#include "tender_query.h"
#include "tender_rules.h"

#define S_KEY_MAX 511           /* LMDB's default maximum key size */
#define S_NODATE "~~~~~~~~~~"   /* sorts after every digit: tenders without a date come last */

int calendar_store_init(calendar_store_t *cs, store_t *store)
{
    cs->tenders = store_dbi(store, "tenders");
    cs->by_pub = store_dbi(store, "tenders_pub");
    if (cs->tenders == (MDB_dbi)-1 || cs->by_pub == (MDB_dbi)-1)
        return -ENOENT;
    return 0;
}

/* buyer '\0' id */
static int s_key(char *buf, const char *buyer, const char *id, size_t *len)
{
    size_t b = strlen(buyer), i = strlen(id);
    if (b + 1 + i > S_KEY_MAX)
        return -EINVAL;
    memcpy(buf, buyer, b);
    buf[b] = '\0';
    memcpy(buf + b + 1, id, i);
    *len = b + 1 + i;
    return 0;
}

/* buyer '\0' date[10] id */
static int s_pub_key(char *buf, const char *buyer, const char *date, const char *id, size_t *len)
{
    size_t b = strlen(buyer), i = strlen(id);
    if (b + 11 + i > S_KEY_MAX)
        return -EINVAL;
    memcpy(buf, buyer, b);
    buf[b] = '\0';
    memcpy(buf + b + 1, cal_date_valid(date) ? date : S_NODATE, 10);
    memcpy(buf + b + 11, id, i);
    *len = b + 11 + i;
    return 0;
}

static size_t s_put_str(uint8_t *p, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 255)
        n = 255;
    p[0] = (uint8_t)n;
    if (n)
        memcpy(p + 1, s, n);
    return n + 1;
}

/* The summary the index carries: what tender_query_matches looks at besides the date. */
static size_t s_summary(const Mvoi__Tender *t, uint8_t *buf)
{
    uint8_t mask = 0;
    for (size_t i = 0; i < t->n_themes; i++)
        if (t->themes[i] && t->themes[i]->theme > 0 && t->themes[i]->theme < 8)
            mask |= (uint8_t)(1u << t->themes[i]->theme);
    size_t n = 0;
    buf[n++] = (uint8_t)t->status;
    buf[n++] = (uint8_t)t->procedure;
    buf[n++] = mask;
    n += s_put_str(buf + n, t->purchasing_group);
    n += s_put_str(buf + n, t->project_leader ? t->project_leader->name : NULL);
    n += s_put_str(buf + n, t->project_leader ? t->project_leader->email : NULL);
    return n;
}

int calendar_store_get(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                       const char *id, MDB_val *packed)
{
    char kb[S_KEY_MAX + 1];
    size_t kl;
    if (s_key(kb, buyer, id, &kl) < 0)
        return -ENOENT;
    MDB_val k = { kl, kb };
    int rc = mdb_get(txn, cs->tenders, &k, packed);
    return rc == MDB_NOTFOUND ? -ENOENT : rc;
}

int calendar_store_put(const calendar_store_t *cs, MDB_txn *txn, const Mvoi__Tender *t,
                       const void *packed, size_t len, const Mvoi__Tender *old)
{
    char kb[S_KEY_MAX + 1];
    size_t kl;
    if (!t->buyer || !t->id || s_key(kb, t->buyer, t->id, &kl) < 0)
        return -EINVAL;
    MDB_val k = { kl, kb }, v = { len, (void *)packed };
    int rc = store_put(txn, cs->tenders, &k, &v, 0);
    if (rc != 0)
        return rc;
    char pk[S_KEY_MAX + 1];
    size_t pl;
    if (old) {
        if (s_pub_key(pk, old->buyer, old->planned_publication, old->id, &pl) == 0) {
            MDB_val ok = { pl, pk };
            rc = store_del(txn, cs->by_pub, &ok, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND)
                return rc;
        }
    }
    if (s_pub_key(pk, t->buyer, t->planned_publication, t->id, &pl) < 0)
        return -EINVAL;
    uint8_t sum[3 + 3 * 256];
    MDB_val ik = { pl, pk }, iv = { s_summary(t, sum), sum };
    return store_put(txn, cs->by_pub, &ik, &iv, 0);
}

/* ------------------------------------------------------------------ index scans */

typedef struct {
    Mvoi__Tender t;
    Mvoi__ThemeAmbition ta[8];
    Mvoi__ThemeAmbition *tp[8];
    Mvoi__Person leader;
    char date[11];
    char id[S_KEY_MAX + 1];
    char pg[256], name[256], email[256];
} s_summary_t;

/* One length-prefixed string of an index summary into out (256 bytes); NULL when the
 * summary ends before it does: a damaged entry, never read as a shorter string. */
static const uint8_t *s_get_str(const uint8_t *p, const uint8_t *end, char *out)
{
    if (p >= end || (size_t)(end - p) < 1u + p[0])
        return NULL;
    size_t n = p[0];
    memcpy(out, p + 1, n);
    out[n] = '\0';
    return p + 1 + n;
}

/* Rebuild the filterable part of a tender from an index entry (the counterpart of
 * s_summary). -1 for an entry s_summary did not write (a value short of its status,
 * procedure, themes and three strings, or an id longer than a key): read as partial it
 * would match filters it does not. */
static int s_summary_read(s_summary_t *s, const MDB_val *k, size_t blen, const MDB_val *v)
{
    Mvoi__Tender init = MVOI__TENDER__INIT;
    s->t = init;
    s->id[0] = '\0';
    const char *kp = k->mv_data;
    size_t il = k->mv_size - blen - 11;
    if (il > S_KEY_MAX)
        return -1;
    memcpy(s->date, kp + blen + 1, 10);
    s->date[10] = '\0';
    memcpy(s->id, kp + blen + 11, il);
    s->id[il] = '\0';
    s->t.id = s->id;
    s->t.planned_publication = s->date[0] == '~' ? NULL : s->date;
    const uint8_t *p = v->mv_data, *end = p + v->mv_size;
    if (v->mv_size < 6)   /* status, procedure, themes and three lengths at least */
        return -1;
    s->t.has_status = 1;
    s->t.status = p[0];
    s->t.has_procedure = 1;
    s->t.procedure = p[1];
    uint8_t mask = p[2];
    p += 3;
    size_t n = 0;
    for (int th = 1; th < 8; th++)
        if (mask & (1u << th)) {
            Mvoi__ThemeAmbition a = MVOI__THEME_AMBITION__INIT;
            s->ta[n] = a;
            s->ta[n].has_theme = 1;
            s->ta[n].theme = th;
            s->tp[n] = &s->ta[n];
            n++;
        }
    s->t.n_themes = n;
    s->t.themes = s->tp;
    if (!(p = s_get_str(p, end, s->pg)) || !(p = s_get_str(p, end, s->name)) ||
        !s_get_str(p, end, s->email))
        return -1;
    s->t.purchasing_group = s->pg[0] ? s->pg : NULL;
    if (s->name[0] || s->email[0]) {
        Mvoi__Person pi = MVOI__PERSON__INIT;
        s->leader = pi;
        s->leader.name = s->name[0] ? s->name : NULL;
        s->leader.email = s->email[0] ? s->email : NULL;
        s->t.project_leader = &s->leader;
    }
    return 0;
}

typedef bool (s_match_fn)(const Mvoi__Tender *t, const void *arg);

/* Scan buyer's index entries from date lo (NULL: first) up to date hi (NULL: last) and
 * hand matches in [offset, offset+limit) to fn. */
static int s_scan(const calendar_store_t *cs, MDB_txn *txn, const char *buyer, const char *lo,
                  const char *hi, s_match_fn *match, const void *marg, uint32_t offset,
                  uint32_t limit, calendar_store_fn *fn, void *arg, uint32_t *total)
{
    *total = 0;
    size_t blen = strlen(buyer);
    if (blen + 11 > S_KEY_MAX)
        return 0;
    char start[S_KEY_MAX + 1];
    memcpy(start, buyer, blen);
    start[blen] = '\0';
    size_t sl = blen + 1;
    if (lo) {
        memcpy(start + sl, lo, 10);
        sl += 10;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, cs->by_pub, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { sl, start }, v;
    s_summary_t summary;
    s_summary_t *sum = &summary;
    uint32_t matched = 0;
    int stop = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < blen + 11 || memcmp(k.mv_data, buyer, blen) != 0 ||
            ((const char *)k.mv_data)[blen] != '\0')
            break;
        const char *date = (const char *)k.mv_data + blen + 1;
        if (hi && memcmp(date, hi, 10) > 0)
            break;
        int g = 0;
        if (s_summary_read(sum, &k, blen, &v) != 0)
            g = -ENOENT;   /* a damaged entry: whether it matches is not known */
        else if (match && !match(&sum->t, marg))
            continue;
        MDB_val tv;
        if (!g && matched >= offset && matched - offset < limit && !stop &&
            (g = calendar_store_get(cs, txn, buyer, sum->id, &tv)) == 0) {
            stop = fn(arg, &tv);
            if (stop == MVOI_E_UNDECODABLE)   /* which one, for the operator to repair */
                store_log_undecodable_id("tender", buyer, sum->id);
        }
        if (g != 0) {   /* an entry without its tender: never a short page taken as whole */
            mdb_cursor_close(cur);
            if (g != -ENOENT)
                return g;
            store_log_missing_id("tenders_pub", "tender", buyer, sum->id);
            return MVOI_E_UNDECODABLE;
        }
        matched++;
    }
    mdb_cursor_close(cur);
    *total = matched;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return rc;
    return stop < 0 ? stop : 0;
}

static bool s_list_match(const Mvoi__Tender *t, const void *arg)
{
    return tender_query_matches(t, arg);
}

int calendar_store_list(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                        const Mvoi__ListTenders *q, uint32_t offset, uint32_t limit,
                        calendar_store_fn *fn, void *arg, uint32_t *total)
{
    char lo[16], hi[16];
    const char *plo = NULL, *phi = NULL;
    if (q->has_year && q->year) {
        unsigned m1 = 1, m2 = 12;
        if (q->has_quarter && q->quarter) {
            m1 = (q->quarter - 1) * 3 + 1;
            m2 = m1 + 2;
        }
        snprintf(lo, sizeof lo, "%04u-%02u-01", q->year % 10000, m1);
        snprintf(hi, sizeof hi, "%04u-%02u-31", q->year % 10000, m2);
        plo = lo;
        phi = hi;
    }
    return s_scan(cs, txn, buyer, plo, phi, s_list_match, q, offset, limit, fn, arg, total);
}

static bool s_upcoming_match(const Mvoi__Tender *t, const void *arg)
{
    return t->status < MVOI__TENDER_STATUS__STATUS_PUBLISHED;
}

int calendar_store_upcoming(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                            const char *from, const char *to, uint32_t limit,
                            calendar_store_fn *fn, void *arg, uint32_t *total)
{
    return s_scan(cs, txn, buyer, from, to, s_upcoming_match, NULL, 0, limit, fn, arg, total);
}

int calendar_store_each(const calendar_store_t *cs, MDB_txn *txn, calendar_store_fn *fn,
                        void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, cs->tenders, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    int stop = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if ((stop = fn(arg, &v)) != 0)
            break;   /* k stays the record fn stopped at */
    if (stop == MVOI_E_UNDECODABLE)
        store_log_undecodable("tender", k.mv_data, k.mv_size);
    mdb_cursor_close(cur);
    if (stop)
        return stop;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int calendar_store_count(const calendar_store_t *cs, MDB_txn *txn, const char *buyer,
                         uint64_t *n)
{
    uint32_t total = 0;
    int rc = s_scan(cs, txn, buyer, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, &total);
    *n = total;
    return rc;
}
