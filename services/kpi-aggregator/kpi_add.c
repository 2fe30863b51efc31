/*  kpi_add: adding a contribution (kpi_delta_t) to every total it feeds: each window (year,
 *  quarter) and dimension, with the per-tender project counts; and the tender projection
 *  lookups that needs. */
#include "kpi_int.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- tender projection */

Mvoi__Tender *kpi_tender_load(kpi_t *self, MDB_txn *txn, const char *buyer, const char *id,
                              int *rc)
{
    *rc = 0;
    if (!id || !*id || !buyer || !*buyer)
        return NULL;
    uint8_t kb[MVOI_ID_KEY_MAX];
    MDB_val k = { mvoi_id_key2(kb, sizeof kb, buyer, id), kb }, v;
    if (!k.mv_size)
        return NULL;   /* longer than any valid id: never stored */
    int r = mdb_get(txn, self->tenders, &k, &v);
    if (r != 0) {
        if (r != MDB_NOTFOUND)
            *rc = r;
        return NULL;
    }
    return mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
}

bool kpi_tender_cancelled(const Mvoi__Tender *t)
{
    return t && t->has_status && t->status == MVOI__TENDER_STATUS__STATUS_CANCELLED;
}

static int s_is_cancelled(kpi_t *self, MDB_txn *txn, const char *buyer, const char *tender,
                          bool *out)
{
    uint8_t kb[sizeof self->cache_key];
    size_t kl = mvoi_id_key2(kb, sizeof kb, buyer, tender);
    if (self->cache_valid && kl && kl == self->cache_klen &&
        memcmp(self->cache_key, kb, kl) == 0) {
        *out = self->cache_cancelled;
        return 0;
    }
    int rc;
    Mvoi__Tender *t = kpi_tender_load(self, txn, buyer, tender, &rc);
    if (rc != 0)
        return rc;
    *out = kpi_tender_cancelled(t);
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
    if (kl) {
        memcpy(self->cache_key, kb, kl);
        self->cache_klen = kl;
        self->cache_cancelled = *out;
        self->cache_valid = true;
    }
    return 0;
}

/* ---------------------------------------------------------------- adding to totals */

/* The project counter of (tender, total) (kpi_projkey.c); *flip gets the change of the
 * total's projects (-1, 0, +1). */
static int s_projects_bump(kpi_t *self, MDB_txn *txn, const char *buyer, const char *tender,
                           const char *key, int sign, int64_t *projects, int *flip)
{
    uint8_t pk[KPI_KEY_MAX];
    size_t pl = kpi_project_key(pk, sizeof pk, buyer, tender, key);
    if (!pl) {
        /* Ids are checked where they enter (mvoi_id.h), so this does not happen; if it
         * did, the total stays right and only its project count misses this tender. */
        log_warn("project_key_too_long", "no project counter for tender %.64s", tender);
        return 0;
    }
    int rc;
    int64_t *cnt = kpi_work_project(self, txn, pk, pl, &rc);
    if (!cnt)
        return rc;
    int64_t n = *cnt, m = n + sign;
    if (m < 0)
        m = 0;
    *cnt = m;
    if ((n == 0) != (m == 0)) {
        bool cancelled = false;
        if ((rc = s_is_cancelled(self, txn, buyer, tender, &cancelled)) != 0)
            return rc;
        if (!cancelled)
            *projects += (*flip = m > 0 ? 1 : -1);
    }
    return 0;
}

/* One total of c. *flip: for the all-dimensions total, set to its change of projects; for
 * the tender's total, when c also feeds all dimensions, applied instead of a counter of
 * its own (the two counts are the same, kpi_projkey.c). */
static int s_bump(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, uint32_t quarter,
                  int dim, int sign, int *flip)
{
    int theme = dim == KPI_DIM_THEME ? c->theme : 0;
    const char *group = dim == KPI_DIM_GROUP ? c->group : NULL;
    const char *tender = dim == KPI_DIM_TENDER ? c->tender : NULL;
    char key[KPI_KEY_MAX];
    if (mvoi_topic_kpi(key, sizeof key, c->kpi, c->year, quarter, c->buyer, theme, group, tender)
        != 0)
        return 0;   /* e.g. an absurdly long id: not a total we can name */
    int rc;
    bool fresh;
    kpi_total_t *t = kpi_work_total(self, txn, key, true, &fresh, &rc);
    if (!t)
        return rc;
    if (fresh) {
        snprintf(t->buyer, sizeof t->buyer, "%s", c->buyer);
        if (group)
            snprintf(t->group, sizeof t->group, "%s", group);
        if (tender)
            snprintf(t->tender, sizeof t->tender, "%s", tender);
        t->kpi = c->kpi;
        t->year = c->year;
        t->quarter = quarter;
        t->theme = theme;
        if (c->kpi == MVOI__KPI__KPI_PILOTS && quarter == 0 && dim == KPI_DIM_ALL)
            t->target = KPI_PILOT_TARGET;
    }
    t->ambition += sign * c->ambition;
    t->realisation += sign * c->realisation;
    t->denominator += sign * c->denominator;
    t->count += sign * c->count;
    t->target += sign * c->target;
    if (!c->project || !c->tender || !*c->tender)
        return 0;
    if (dim == KPI_DIM_TENDER && (c->dims & KPI_DIM_ALL)) {
        t->projects += *flip;
        return 0;
    }
    int mine = 0;
    rc = s_projects_bump(self, txn, c->buyer, c->tender, key, sign, &t->projects, &mine);
    if (dim == KPI_DIM_ALL)
        *flip = mine;
    return rc;
}

int kpi_add_delta(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, int sign)
{
    if (!c->buyer || !*c->buyer || !c->year)
        return 0;
    uint32_t windows[2] = { 0, c->quarter };
    for (int w = 0; w < 2; w++) {
        if (w == 1 && !c->quarter)
            break;
        int rc, flip = 0, x = 0;
        uint32_t q = windows[w];
        if ((c->dims & KPI_DIM_ALL) && (rc = s_bump(self, txn, c, q, KPI_DIM_ALL, sign, &flip)))
            return rc;
        if ((c->dims & KPI_DIM_THEME) && c->theme > 0 && mvoi_theme_key(c->theme) &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_THEME, sign, &x)))
            return rc;
        if ((c->dims & KPI_DIM_GROUP) && c->group && *c->group &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_GROUP, sign, &x)))
            return rc;
        if ((c->dims & KPI_DIM_TENDER) && c->tender && *c->tender &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_TENDER, sign, &flip)))
            return rc;
    }
    return 0;
}
