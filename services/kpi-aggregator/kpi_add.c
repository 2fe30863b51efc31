/*  kpi_add: adding a contribution (kpi_delta_t) to every total it feeds: each window (year,
 *  quarter) and dimension, with the per-tender project counts; and the tender projection
 *  lookups that needs. */
#include "kpi_int.h"
#include "log.h"
#include "mvoi_error.h"
#include "mvoi_names.h"

#include <errno.h>
#include <inttypes.h>
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

int kpi_total_add(kpi_t *self, const kpi_total_t *t, const char *which, int64_t *field,
                  int64_t sign, int64_t v)
{
    int64_t d, sum;
    if (!__builtin_mul_overflow(sign, v, &d) && !__builtin_add_overflow(*field, d, &sum)) {
        *field = sum;
        return 0;
    }
    /* The wrapped sum would be stored and shown as a figure (a negative CO2 total in the
     * council's report): the batch is refused instead, by name, with the total to look at.
     * The feed aborts the transaction and asks again, so the producer's stream stops at
     * this event (README "Totals beyond int64") and health says not ready. */
    self->stats.overflows++;
    const char *kn = mvoi_kpi_name(t->kpi);
    const char *kv[] = { "buyer", t->buyer, "kpi", kn ? kn : "?", "total", which, "key", t->key,
                         "error", mvoi_errname(MVOI_E_OVERFLOW), NULL };
    log_emit(LOG_ERROR, "total_overflow", kv, "the %s of %s would pass the int64 range "
             "(%" PRId64 " %+" PRId64 " x %" PRId64 "): the batch is not applied",
             which, t->key, *field, sign, v);
    return MVOI_E_OVERFLOW;
}

/* The project counter of (tender, total) (kpi_projkey.c), remembered in ms; *flip gets
 * the change of the total's projects (-1, 0, +1). */
static int s_projects_bump(kpi_t *self, MDB_txn *txn, const char *buyer, const char *tender,
                           const char *key, int sign, int64_t *projects, int *flip,
                           kpi_memo_slot_t *ms)
{
    int rc;
    if (!ms->proj_done) {
        uint8_t pk[KPI_KEY_MAX];
        size_t pl = kpi_project_key(pk, sizeof pk, buyer, tender, key);
        if (pl) {
            if (!(ms->proj = kpi_work_project(self, txn, pk, pl, &rc)))
                return rc;
        } else {
            /* Ids are checked where they enter (mvoi_id.h), so this does not happen; if it
             * did, the total stays right and only its project count misses this tender. */
            log_warn("project_key_too_long", "no project counter for tender %.64s", tender);
            ms->proj = NULL;
        }
        ms->proj_done = true;
    }
    int64_t *cnt = ms->proj;
    if (!cnt)
        return 0;
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

/* The working total of c in (quarter, dim), looked up once per memo: NULL with *rc 0 when
 * it has no name (e.g. an absurdly long id). */
static kpi_total_t *s_total(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, uint32_t quarter,
                            int dim, kpi_memo_slot_t *ms, int *rc)
{
    *rc = 0;
    if (ms->done)
        return ms->t;
    int theme = dim == KPI_DIM_THEME ? c->theme : 0;
    const char *group = dim == KPI_DIM_GROUP ? c->group : NULL;
    const char *tender = dim == KPI_DIM_TENDER ? c->tender : NULL;
    char key[KPI_KEY_MAX];
    kpi_total_t *t = NULL;
    bool fresh = false;
    if (mvoi_topic_kpi(key, sizeof key, c->kpi, c->year, quarter, c->buyer, theme, group,
                       tender) == 0 &&
        !(t = kpi_work_total(self, txn, key, true, &fresh, rc)))
        return NULL;
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
    ms->t = t;
    ms->done = true;
    return t;
}

/* One total of c. *flip: for the all-dimensions total, set to its change of projects; for
 * the tender's total, when c also feeds all dimensions, applied instead of a counter of
 * its own (the two counts are the same, kpi_projkey.c). */
static int s_bump(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, uint32_t quarter,
                  int dim, int sign, int *flip, kpi_memo_slot_t *ms)
{
    int rc;
    kpi_total_t *t = s_total(self, txn, c, quarter, dim, ms, &rc);
    if (!t)
        return rc;
    if ((rc = kpi_total_add(self, t, "ambition", &t->ambition, sign, c->ambition)) != 0 ||
        (rc = kpi_total_add(self, t, "realisation", &t->realisation, sign,
                            c->realisation)) != 0 ||
        (rc = kpi_total_add(self, t, "denominator", &t->denominator, sign,
                            c->denominator)) != 0 ||
        (rc = kpi_total_add(self, t, "count", &t->count, sign, c->count)) != 0 ||
        (rc = kpi_total_add(self, t, "target", &t->target, sign, c->target)) != 0)
        return rc;
    if (!c->project || !c->tender || !*c->tender)
        return 0;
    if (dim == KPI_DIM_TENDER && (c->dims & KPI_DIM_ALL)) {
        t->projects += *flip;
        return *flip && c->kpi == MVOI__KPI__KPI_SROI
                   ? kpi_sroi_project_flip(self, txn, c->buyer, c->tender, t, *flip) : 0;
    }
    int mine = 0;
    rc = s_projects_bump(self, txn, c->buyer, c->tender, t->key, sign, &t->projects, &mine, ms);
    if (dim == KPI_DIM_ALL)
        *flip = mine;
    if (rc == 0 && mine && c->kpi == MVOI__KPI__KPI_SROI)
        rc = kpi_sroi_project_flip(self, txn, c->buyer, c->tender, t, mine);
    return rc;
}

static void s_copy(char *dst, const char *src)
{
    strcpy(dst, src ? src : "");   /* lengths checked by s_memo_for */
}

static bool s_same(const char *memo, const char *s)
{
    return strcmp(memo, s ? s : "") == 0;
}

/* The memo for c's dimensions: the last one when c has them too, else a fresh one (or, when
 * an id does not fit the memo, scratch: then nothing is remembered past this call). */
static kpi_memo_t *s_memo_for(kpi_t *self, const kpi_delta_t *c, kpi_memo_t *scratch)
{
    kpi_memo_t *m = &self->memo;
    if (m->gen == self->work_gen + 1 && m->kpi == c->kpi && m->year == c->year &&
        m->quarter == c->quarter && m->theme == c->theme && m->dims == c->dims &&
        m->project == c->project && s_same(m->buyer, c->buyer) &&
        s_same(m->tender, c->tender) && s_same(m->group, c->group))
        return m;
    bool fits = strlen(c->buyer) < sizeof m->buyer &&
                (!c->tender || strlen(c->tender) < sizeof m->tender) &&
                (!c->group || strlen(c->group) < sizeof m->group);
    if (!fits)
        m = scratch;
    memset(m, 0, sizeof *m);
    m->gen = fits ? self->work_gen + 1 : 0;
    m->kpi = c->kpi;
    m->year = c->year;
    m->quarter = c->quarter;
    m->theme = c->theme;
    m->dims = c->dims;
    m->project = c->project;
    if (fits) {
        s_copy(m->buyer, c->buyer);
        s_copy(m->tender, c->tender);
        s_copy(m->group, c->group);
    }
    return m;
}

int kpi_add_delta(kpi_t *self, MDB_txn *txn, const kpi_delta_t *c, int sign)
{
    if (!c->buyer || !*c->buyer || !c->year)
        return 0;
    kpi_memo_t scratch;
    kpi_memo_t *memo = s_memo_for(self, c, &scratch);
    uint32_t windows[2] = { 0, c->quarter };
    for (int w = 0; w < 2; w++) {
        if (w == 1 && !c->quarter)
            break;
        int rc, flip = 0, x = 0;
        uint32_t q = windows[w];
        kpi_memo_slot_t *ms = memo->slot[w];
        if ((c->dims & KPI_DIM_ALL) &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_ALL, sign, &flip, &ms[0])))
            return rc;
        if ((c->dims & KPI_DIM_THEME) && c->theme > 0 && mvoi_theme_key(c->theme) &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_THEME, sign, &x, &ms[1])))
            return rc;
        if ((c->dims & KPI_DIM_GROUP) && c->group && *c->group &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_GROUP, sign, &x, &ms[2])))
            return rc;
        if ((c->dims & KPI_DIM_TENDER) && c->tender && *c->tender &&
            (rc = s_bump(self, txn, c, q, KPI_DIM_TENDER, sign, &flip, &ms[3])))
            return rc;
    }
    return 0;
}
