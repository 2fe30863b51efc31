/*  kpi_totals: the stored totals (db kpi_totals, layout in kpi_core.c) and their KpiTotal
 *  view. Events change totals through the working set (kpi_work.c). */
#include "kpi_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VAL_FIXED (6 * 8 + 8 + 1 + 1 + 1 + 2)

/* ---------------------------------------------------------------- totals */

static void s_put64(uint8_t **p, int64_t v) { store_be64s(*p, v); *p += 8; }

int kpi_total_load(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *t)
{
    MDB_val k = { strlen(key), (void *)key }, v;
    int rc = mdb_get(txn, self->totals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return -ENOENT;
    if (rc != 0)
        return rc;
    if (v.mv_size < VAL_FIXED + 3 || k.mv_size >= KPI_KEY_MAX)
        return -ENOENT;   /* not ours; treated as absent */
    /* key may be t->key itself (a caller that named the total in it): kept before t is
     * cleared, or the series query answered every stored quarter with an empty key */
    char kb[KPI_KEY_MAX];
    memcpy(kb, key, k.mv_size);
    memset(t, 0, sizeof *t);
    memcpy(t->key, kb, k.mv_size);
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
        if (n >= KPI_ID_BUF)
            return -EUCLEAN;   /* longer than any id: not a value this service wrote */
        memcpy(dst[i], s, n);
        dst[i][n] = 0;
        s += strnlen(s, (size_t)(end - s)) + 1;
    }
    return 0;
}

int kpi_total_store(kpi_t *self, MDB_txn *txn, const kpi_total_t *t)
{
    size_t lb = strlen(t->buyer), lg = strlen(t->group), lt = strlen(t->tender);
    uint8_t buf[VAL_FIXED + 3 * KPI_ID_BUF];
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
    return store_put(txn, self->totals, &k, &v, 0);
}

int kpi_get(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *out)
{
    if (!key || !*key || strlen(key) >= KPI_KEY_MAX)
        return -ENOENT;
    return kpi_total_load(self, txn, key, out);
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
    pb->unit = (char *)mvoi_kpi_unit(t->kpi);
}
