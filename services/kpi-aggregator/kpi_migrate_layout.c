/*  kpi_migrate_layout: totals of the layout before buyer-first topics are rewritten.
 *
 *  That version keyed a total by kpi.<kpi>.<window>.<buyer>[.<dimension>.<value>]; now the
 *  buyer comes first, kpi.<buyer>.<kpi>.<window>[...] (mvoi_topic.h), so that one buyer's
 *  totals are one key range. The topic is the key of kpi_totals (rewritten; a stored total
 *  keeps its buyer, KPI and window in its value, not in its key) and the last part of the
 *  keys of kpi_projects, buyer \0 tender \0 topic, which become today's shorter counter
 *  keys (kpi_projkey.c: the topic without "kpi.<buyer>."); the counters of the tender
 *  dimension are dropped (the all-dimensions counter answers for them).
 *
 *  A key of the old layout never parses under the new grammar (its second segment is a
 *  window, never a KPI name) and a new one never under the old, so a record is recognised
 *  by its key alone and running the migration again changes nothing. It runs in bounded
 *  steps (KPI_LAYOUT_STEP keys examined per transaction: a store of 400 buyers holds
 *  millions of counters, more than one LMDB write transaction may dirty), resuming after
 *  the last key examined; a marker in kpi_breakdown (starting with NUL, like the buyer
 *  scoping's) spares the next starts the scan. The outbox still holds events under the old
 *  topics: the service drops them once something moved (kpi_service.c), so a follower
 *  re-snapshots instead of replaying keys that no longer exist. */
#include "kpi_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_topic.h"

static const char s_marker[] = "\0mvoi:kpi-keys-buyer-first-compact";

int kpi_topic_from_v1(const char *old, size_t n, char *out, size_t cap)
{
    static const char pre[] = MVOI_TOPIC_KPI_PREFIX;
    size_t lp = sizeof pre - 1;
    if (n <= lp || memcmp(old, pre, lp) != 0 || memchr(old, 0, n))
        return -EINVAL;
    const char *seg[3], *p = old + lp, *end = old + n;
    size_t len[3];
    for (int i = 0; i < 3; i++) {
        const char *d = memchr(p, '.', (size_t)(end - p));
        seg[i] = p;
        len[i] = (size_t)((d ? d : end) - p);
        if (len[i] == 0 || (i < 2 && !d))
            return -EINVAL;
        p = d ? d : end;
        if (i < 2)
            p++;
    }
    size_t rest = (size_t)(end - p);   /* "" or ".<dimension>.<value>" */
    if (n + 1 > cap)
        return -ENAMETOOLONG;
    char *o = out;
    memcpy(o, pre, lp);
    o += lp;
    int order[3] = { 2, 0, 1 };        /* buyer, kpi, window */
    for (int i = 0; i < 3; i++) {
        memcpy(o, seg[order[i]], len[order[i]]);
        o += len[order[i]];
        if (i < 2)
            *o++ = '.';
    }
    memcpy(o, p, rest);
    o[rest] = 0;
    mvoi_topic_t tp;
    return mvoi_topic_parse(out, &tp) == 0 && tp.family == MVOI_TOPIC_KPI ? 0 : -EINVAL;
}

/* A project counter buyer \0 tender \0 <whole topic, either layout> as today's key
 * (kpi_projkey.c) into nk; *nlen 0: a counter of the tender dimension, dropped. -EINVAL
 * when the key is today's already. */
static int s_rewrite_project(const MDB_val *k, uint8_t *nk, size_t cap, size_t *nlen)
{
    const char *key = k->mv_data, *end = key + k->mv_size;
    const char *a = memchr(key, 0, k->mv_size);
    const char *b = a ? memchr(a + 1, 0, (size_t)(end - a - 1)) : NULL;
    size_t lt = b ? (size_t)(end - b - 1) : 0;
    if (!b || lt < 4 || lt >= KPI_KEY_MAX || memcmp(b + 1, MVOI_TOPIC_KPI_PREFIX, 4) != 0)
        return -EINVAL;
    char topic[KPI_KEY_MAX], v2[KPI_KEY_MAX];
    memcpy(topic, b + 1, lt);
    topic[lt] = 0;
    const char *now = topic;
    mvoi_topic_t tp;
    if (mvoi_topic_parse(topic, &tp) != 0) {
        if (kpi_topic_from_v1(topic, lt, v2, sizeof v2) != 0 || mvoi_topic_parse(v2, &tp) != 0)
            return -EINVAL;
        now = v2;
    }
    if (tp.tender[0]) {
        *nlen = 0;
        return 0;
    }
    *nlen = kpi_project_key(nk, cap, key, a + 1, now);
    return *nlen ? 0 : -ENAMETOOLONG;
}

/* The new key of an old record of db (0 totals, 1 projects) into nk; 0 when the key is
 * of an old layout. */
static int s_rewrite(int db, const MDB_val *k, uint8_t *nk, size_t cap, size_t *nlen)
{
    if (db == 1)
        return s_rewrite_project(k, nk, cap, nlen);
    int rc = kpi_topic_from_v1(k->mv_data, k->mv_size, (char *)nk, cap);
    if (rc == 0)
        *nlen = strlen((char *)nk);
    return rc;
}

static int s_move(MDB_txn *txn, MDB_dbi dbi, const MDB_val *ok, const uint8_t *nk,
                  size_t nlen)
{
    MDB_val k = *ok, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? 0 : rc;
    /* The value's bytes belong to the map: copy before the delete may reuse its page. */
    void *val = malloc(v.mv_size ? v.mv_size : 1);
    if (!val)
        return -ENOMEM;
    memcpy(val, v.mv_data, v.mv_size);
    MDB_val nkv = { nlen, (void *)nk }, nv = { v.mv_size, val };
    rc = nlen ? store_put(txn, dbi, &nkv, &nv, 0) : 0;   /* nlen 0: dropped */
    if (rc == 0)
        rc = store_del(txn, dbi, &k, NULL);
    free(val);
    return rc;
}

typedef struct {
    uint8_t *old, *nw;
    uint16_t olen, nlen;
} s_pair_t;

/* Up to KPI_LAYOUT_STEP keys of db after st->after: their old-layout ones collected into
 * pairs (the map is not changed while a cursor walks it). *end when the db is done. */
static int s_collect(MDB_txn *txn, MDB_dbi dbi, kpi_layout_mig_t *st, s_pair_t *pairs,
                     size_t *np, bool *end)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { st->alen, st->after }, v;
    rc = st->alen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                  : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == 0 && st->alen && k.mv_size == st->alen && memcmp(k.mv_data, st->after, st->alen) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    size_t seen = 0, step = st->step ? st->step : KPI_LAYOUT_STEP;
    uint8_t nk[KPI_KEY_MAX + MVOI_ID_BUYER_MAX + MVOI_ID_MAX + 2];
    for (; rc == 0 && seen < step; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        seen++;
        if (k.mv_size > sizeof st->after)
            continue;   /* not a key this version writes */
        memcpy(st->after, k.mv_data, k.mv_size);
        st->alen = k.mv_size;
        size_t nlen = 0;
        if (s_rewrite(st->db, &k, nk, sizeof nk, &nlen) != 0)
            continue;
        s_pair_t *p = &pairs[*np];
        if (!(p->old = malloc(k.mv_size)) || !(p->nw = malloc(nlen ? nlen : 1))) {
            free(p->old);
            rc = -ENOMEM;
            break;
        }
        memcpy(p->old, k.mv_data, p->olen = (uint16_t)k.mv_size);
        memcpy(p->nw, nk, p->nlen = (uint16_t)nlen);
        (*np)++;
    }
    mdb_cursor_close(cur);
    *end = rc == MDB_NOTFOUND;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int kpi_migrate_layout(kpi_t *self, MDB_txn *txn, kpi_layout_mig_t *st)
{
    MDB_val mk = { sizeof s_marker - 1, (void *)s_marker }, mv;
    int rc = mdb_get(txn, self->breakdown, &mk, &mv);
    if (rc == 0 || st->db >= 2) {
        st->db = 2;
        return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc;
    }
    if (rc != MDB_NOTFOUND)
        return rc;
    MDB_dbi dbi = st->db == 0 ? self->totals : self->projects;
    s_pair_t *pairs = calloc(st->step ? st->step : KPI_LAYOUT_STEP, sizeof *pairs);
    if (!pairs)
        return -ENOMEM;
    size_t n = 0;
    bool end = false;
    rc = s_collect(txn, dbi, st, pairs, &n, &end);
    for (size_t i = 0; i < n; i++) {
        MDB_val ok = { pairs[i].olen, pairs[i].old };
        if (rc == 0 && (rc = s_move(txn, dbi, &ok, pairs[i].nw, pairs[i].nlen)) == 0)
            st->moved++;
        free(pairs[i].old);
        free(pairs[i].nw);
    }
    free(pairs);
    self->cache_valid = false;
    if (rc == 0 && end) {
        st->db++;
        st->alen = 0;
        if (st->db == 2) {
            MDB_val one = { 1, "1" };
            rc = store_put(txn, self->breakdown, &mk, &one, 0);
        }
    }
    return rc;
}
