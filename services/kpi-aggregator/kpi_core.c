/*  kpi_core: exact live KPI totals. See kpi_core.h for the semantics.
 *
 *  Databases:
 *    kpi_totals     topic -> [ambition, realisation, projects, target, denominator, count
 *                   (be64, sign-flipped)][seq be64][kpi u8][theme u8][quarter u8][year be16]
 *                   [buyer\0][group\0][tender\0]
 *    kpi_tenders    buyer \0 tender id -> packed Tender (the projected fields only)
 *    kpi_meas       buyer \0 measurement id -> packed ImpactEvent: the current revision we
 *                   counted (measurement, impact, purchasing_group)
 *    kpi_projects   buyer \0 tender id \0 topic without "kpi.<buyer>." -> be64 number of
 *                   measurements of that tender in that total; none for the totals of the
 *                   tender dimension (kpi_projkey.c)
 *  (every record is the buyer's: two buyers may use the same ids; kpi_migrate.c rewrites
 *  the keys of a data directory made before that)
 *    kpi_breakdown  buyer \0 kpi u8 year be16 quarter u8 tender \0 measurement id ->
 *                   [revision be32][theme u8][ambition be64s][realisation be64s][group]
 *
 *  This file: reading and the lifecycle. kpi_window.c: date windows (names and keys are
 *  the contract's, mvoi_topic.c); kpi_totals.c: stored totals; kpi_work.c: the working set of a transaction; kpi_cursor.c: the cursors a batch keeps;
 *  kpi_add.c: adding to totals;
 *  kpi_tender.c and kpi_impact.c: the two kinds of event.
 */
#include "kpi_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

/* ---------------------------------------------------------------- reading */

/* Which stored total an operator has to repair, and the name the caller returns. */
static int s_undecodable(const MDB_val *k, int why)
{
    char key[KPI_KEY_MAX];
    snprintf(key, sizeof key, "%.*s", (int)(k->mv_size < sizeof key ? k->mv_size
                                                                    : sizeof key - 1),
             (const char *)k->mv_data);
    const char *kv[] = { "key", key, "error", mvoi_errname(MVOI_E_UNDECODABLE), NULL };
    log_emit(LOG_ERROR, "total_undecodable", kv, "the stored total %s does not decode (%s): "
             "no snapshot or list is sent until it is repaired", key, mvoi_errname(why));
    return MVOI_E_UNDECODABLE;
}

int kpi_each(kpi_t *self, MDB_txn *txn, const char *prefix, kpi_total_fn *fn, void *arg)
{
    return kpi_each_after(self, txn, prefix, false, NULL, fn, arg);
}

int kpi_each_after(kpi_t *self, MDB_txn *txn, const char *prefix, bool segment,
                   const char *after, kpi_total_fn *fn, void *arg)
{
    size_t lp = prefix ? strlen(prefix) : 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->totals, &cur);
    if (rc != 0)
        return rc;
    size_t la = after ? strlen(after) : 0;
    MDB_val k = { la ? la : lp, la ? (void *)after : (void *)prefix }, v;
    rc = k.mv_size ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                   : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == 0 && la && k.mv_size == la && memcmp(k.mv_data, after, la) == 0)
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);   /* sent in the pass before */
    int out = 0;
    char dotted[KPI_KEY_MAX + 1];
    /* A prefix that ends with '.' ("kpi.hrl.", mvoi_topic_kpi_buyer_prefix) ends at a
     * segment already. */
    segment = segment && lp && prefix[lp - 1] != '.';
    while (rc == 0) {
        self->stats.keys_read++;
        if (k.mv_size < lp || memcmp(k.mv_data, prefix, lp) != 0)
            break;
        if (segment && k.mv_size > lp && ((const char *)k.mv_data)[lp] != '.') {
            /* Another segment ("hrl-x", "hrl2"): "-" sorts before ".", so seek to prefix"."
             * once; anything after the "." keys is beyond the range. */
            if (((const char *)k.mv_data)[lp] > '.' || lp + 1 >= sizeof dotted)
                break;
            memcpy(dotted, prefix, lp);
            dotted[lp] = '.';
            k = (MDB_val){ lp + 1, dotted };
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            continue;
        }
        /* Every record here is a total kpi_totals.c wrote: one that does not load (a key
         * or value it never writes) is refused by name, never skipped, or the snapshot and
         * the report built from it would be short of that total without a word. */
        kpi_total_t t;
        char key[KPI_KEY_MAX];
        if (k.mv_size >= KPI_KEY_MAX) {
            out = s_undecodable(&k, -ENAMETOOLONG);
            break;
        }
        memcpy(key, k.mv_data, k.mv_size);
        key[k.mv_size] = 0;
        int lr = kpi_total_load(self, txn, key, &t);
        if (lr == -ENOENT || lr == -EUCLEAN) {   /* (the cursor stands on it: not absent) */
            out = s_undecodable(&k, lr);
            break;
        }
        if (lr != 0 || (out = fn(arg, &t)) != 0) {
            out = out ? out : lr;
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
    size_t lp = kpi_bd_key(pre, sizeof pre, t.buyer, t.kpi, t.year, t.quarter, NULL, NULL);
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
                    if (li >= sizeof c.measurement_id || lt >= sizeof c.tender_id) {
                        out = -EUCLEAN;   /* ids are at most 128 bytes: not our key */
                        break;
                    }
                    memcpy(c.measurement_id, tender + lt + 1, li);
                    memcpy(c.tender_id, tender, lt);
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

void kpi_set_emit(kpi_t *self, kpi_emit_fn *fn, void *arg)
{
    self->emit = fn;
    self->emit_arg = arg;
}

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
    kpi_cursor_forget(self);   /* (their transactions ended before) */
    kpi_work_free(self);
    free(self);
}

void kpi_stats(kpi_t *self, kpi_stats_t *out) { *out = self->stats; }
