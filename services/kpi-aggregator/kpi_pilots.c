/*  kpi_pilots: KPI 6's status breakdown (docs/domain.md#pilots).
 *
 *  KPI 6 counts distinct pilots: a pilot is its tender, counted once per window whatever
 *  the number of its reports. The breakdown puts each such pilot under the furthest stage
 *  it reported in the window (gestart < lopend < afgerond; a report without a status is
 *  "unspecified", below gestart), so its parts add up to KPI 6's realisation. Read from
 *  the measurement records the aggregator keeps (kpi_meas, buyer \0 id -> the revision it
 *  counted), the buyer's range only: the cost is that buyer's measurements.
 */
#include "kpi_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_error.h"

typedef struct {
    char tender[MVOI_ID_MAX + 1];
    int stage;                /* 0 unspecified, 1 gestart, 2 lopend, 3 afgerond */
} s_rep_t;

static int s_stage(const char *status)
{
    if (!status)
        return 0;
    if (strcmp(status, "gestart") == 0)
        return 1;
    if (strcmp(status, "lopend") == 0)
        return 2;
    if (strcmp(status, "afgerond") == 0)
        return 3;
    return 0;
}

static int s_cmp(const void *a, const void *b)
{
    return strcmp(((const s_rep_t *)a)->tender, ((const s_rep_t *)b)->tender);
}

/* One stored record: a pilot report of the window on a live tender? Appended to *reps. */
static int s_take(kpi_t *self, MDB_txn *txn, const char *buyer, uint32_t year,
                  uint32_t quarter, const MDB_val *v, s_rep_t **reps, size_t *n, size_t *cap)
{
    Mvoi__ImpactEvent *rec = mvoi__impact_event__unpack(NULL, v->mv_size, v->mv_data);
    if (!rec)   /* skipped, KPI 6's breakdown would be short of its pilot without a word */
        return MVOI_E_UNDECODABLE;
    const Mvoi__Measurement *m = rec->measurement;
    int rc = 0;
    uint32_t y, q;
    const char *date = m ? (m->period_end && *m->period_end ? m->period_end : m->period_start)
                         : NULL;
    /* what feeds KPI 6 (a record of the version before kept no status: unspecified) */
    if (!m || !rec->impact || !rec->impact->has_pilots || !kpi_id_fits(m->tender_id, MVOI_ID_TENDER) ||
        kpi_date_window(date, &y, &q) != 0 || y != year || (quarter && q != quarter))
        goto out;
    Mvoi__Tender *t = kpi_tender_load(self, txn, buyer, m->tender_id, &rc);
    bool cancelled = t && kpi_tender_cancelled(t);
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
    if (rc != 0 || cancelled)
        goto out;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        s_rep_t *nr = realloc(*reps, nc * sizeof *nr);
        if (!nr) {
            rc = -ENOMEM;
            goto out;
        }
        *reps = nr;
        *cap = nc;
    }
    s_rep_t *r = &(*reps)[(*n)++];
    snprintf(r->tender, sizeof r->tender, "%s", m->tender_id);
    r->stage = s_stage(m->kind_case == MVOI__MEASUREMENT__KIND_PILOT && m->pilot
                       ? m->pilot->status : NULL);
out:
    if (rec)
        mvoi__impact_event__free_unpacked(rec, NULL);
    return rc;
}

int kpi_pilot_status(kpi_t *self, MDB_txn *txn, const char *buyer, uint32_t year,
                     uint32_t quarter, kpi_pilot_status_t *out)
{
    memset(out, 0, sizeof *out);
    size_t lb = strlen(buyer);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->meas, &cur);
    if (rc != 0)
        return rc;
    s_rep_t *reps = NULL;
    size_t n = 0, cap = 0;
    MDB_val k = { lb + 1, (void *)buyer }, v;   /* the buyer's range: buyer \0 id */
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size > lb && memcmp(k.mv_data, buyer, lb + 1) == 0) {
        if ((rc = s_take(self, txn, buyer, year, quarter, &v, &reps, &n, &cap)) != 0)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        free(reps);
        return rc;
    }
    if (n)   /* qsort(NULL, 0) is undefined */
        qsort(reps, n, sizeof *reps, s_cmp);
    out->reports = (int64_t)n;
    for (size_t i = 0; i < n;) {
        int stage = reps[i].stage;
        size_t j = i + 1;
        for (; j < n && strcmp(reps[j].tender, reps[i].tender) == 0; j++)
            if (reps[j].stage > stage)
                stage = reps[j].stage;
        out->pilots++;
        out->by_stage[stage]++;
        i = j;
    }
    free(reps);
    return 0;
}
