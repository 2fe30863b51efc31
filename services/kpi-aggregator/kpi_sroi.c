/*  kpi_sroi: the Social Return target of a total, on the contracts' basis.
 *
 *  An SROI obligation (percentage x contract value) is the whole contract's. A total's
 *  target is the sum of the obligations of the non-cancelled tenders that were published in
 *  its window and dimension (kpi_tender.c adds those) OR are a project there: realised (or
 *  measured) on in that window, whatever year they were published. Published-only, a
 *  quarter with EUR 391.250 realised mostly on older contracts read as far over a target of
 *  EUR 30.400 (the dashboard's "Social Return 231 %"), while the report's table per
 *  contract said 53,9 % of EUR 725.800: the report measures on this basis too.
 *
 *  The second half, obligation x project x not published there, is kept here: when a
 *  tender becomes or stops being a project of an SROI total (kpi_add.c), and when its
 *  projection changes (obligation, publication, group, themes, cancellation), for every
 *  total it is a project of (its counters, kpi_projkey.c). */
#include "kpi_int.h"
#include "mvoi_topic.h"

#include <errno.h>
#include <string.h>

#include "mvoi_error.h"
#include "store_undecodable.h"

/* Was t published in the window and dimension of total x? */
static bool s_published_in(const Mvoi__Tender *t, const mvoi_topic_t *x)
{
    uint32_t y, q;
    if (kpi_date_window(t->planned_publication, &y, &q) != 0 || y != x->year ||
        (x->quarter && q != x->quarter))
        return false;
    if (x->group[0] && strcmp(x->group, t->purchasing_group ? t->purchasing_group : "") != 0)
        return false;
    if (x->tender[0] && strcmp(x->tender, t->id ? t->id : "") != 0)
        return false;
    if (!x->theme)
        return true;
    for (size_t i = 0; i < t->n_themes; i++)
        if (t->themes[i]->has_theme && (int)t->themes[i]->theme == x->theme)
            return true;
    return false;
}

/* What t adds to the target of x, an SROI total it is a project of, beyond its
 * publication: its obligation when it was not published there. */
static int64_t s_beyond(const Mvoi__Tender *t, const mvoi_topic_t *x)
{
    if (!t || kpi_tender_cancelled(t) || !t->has_sroi_obligation_cents ||
        t->sroi_obligation_cents <= 0 || s_published_in(t, x))
        return 0;
    return t->sroi_obligation_cents;
}

int kpi_sroi_project_flip(kpi_t *self, MDB_txn *txn, const char *buyer, const char *tender,
                          kpi_total_t *tot, int flip)
{
    mvoi_topic_t x;
    if (!flip || mvoi_topic_parse(tot->key, &x) != 0 || x.kpi != MVOI__KPI__KPI_SROI)
        return 0;
    int rc;
    Mvoi__Tender *t = kpi_tender_load(self, txn, buyer, tender, &rc);
    if (rc != 0)
        return rc;
    rc = kpi_total_add(self, tot, "target", &tot->target, flip, s_beyond(t, &x));
    if (t)
        mvoi__tender__free_unpacked(t, NULL);
    return rc;
}

typedef struct {
    kpi_t *self;
    MDB_txn *txn;
    const Mvoi__Tender *old, *nw;
} s_move_t;

/* One total the tender is a project of: the difference between what the old and the new
 * projection add to its target beyond their publication. */
static int s_move(void *arg, const char *key, const mvoi_topic_t *x)
{
    s_move_t *m = arg;
    if (x->kpi != MVOI__KPI__KPI_SROI)
        return 0;
    int64_t d = s_beyond(m->nw, x) - s_beyond(m->old, x);
    if (!d)
        return 0;
    int rc;
    kpi_total_t *t = kpi_work_total(m->self, m->txn, key, false, NULL, &rc);
    if (t)
        return kpi_total_add(m->self, t, "target", &t->target, 1, d);
    return rc == -ENOENT ? 0 : rc;
}

static int64_t s_obligation(const Mvoi__Tender *t)
{
    return t && t->has_sroi_obligation_cents ? t->sroi_obligation_cents : 0;
}

int kpi_sroi_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                        const Mvoi__Tender *nw)
{
    const Mvoi__Tender *t = nw ? nw : old;
    if (!t || !t->id || !t->buyer)
        return 0;
    if (s_obligation(old) == 0 && s_obligation(nw) == 0)
        return 0;   /* no obligation before or after: nothing beyond the publication */
    s_move_t m = { self, txn, old, nw };
    return kpi_project_each(self, txn, t->buyer, t->id, s_move, &m);
}

/* A store of the version before this basis held only the publication half: once, every
 * tender with an obligation adds what it is beyond its publication in the totals it is a
 * project of. A marker in kpi_breakdown (starting with NUL, as kpi_migrate.c's) records it
 * done, also for a new store, whose totals follow the basis from the first event. */
static const char s_marker[] = "\0mvoi:kpi-sroi-contracts-basis";

int kpi_migrate_sroi(kpi_t *self, MDB_txn *txn, size_t *tenders)
{
    *tenders = 0;
    MDB_val mk = { sizeof s_marker - 1, (void *)s_marker }, k, v;
    int rc = mdb_get(txn, self->breakdown, &mk, &v);
    if (rc != MDB_NOTFOUND)
        return rc;   /* 0: done before */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, self->tenders, &cur)) != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        Mvoi__Tender *t = mvoi__tender__unpack(NULL, v.mv_size, v.mv_data);
        /* skipped, its obligation would be missing from the targets for good (the marker
         * says done): refused by name, the migration runs again once it is repaired */
        int r = t ? kpi_sroi_transition(self, txn, NULL, t) : MVOI_E_UNDECODABLE;
        if (!t)
            store_log_undecodable("tender", k.mv_data, k.mv_size);
        *tenders += r == 0 && s_obligation(t) > 0;
        if (t)
            mvoi__tender__free_unpacked(t, NULL);
        if (r != 0) {
            rc = r;
            break;
        }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        rc = kpi_work_flush(self, txn);   /* the totals that moved, to the outbox too */
    if (rc != 0) {
        kpi_work_clear(self);
        return rc;
    }
    MDB_val one = { 1, "1" };
    return store_put(txn, self->breakdown, &mk, &one, 0);
}
