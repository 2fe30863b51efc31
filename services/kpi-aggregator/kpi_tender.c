/*  kpi_tender: TenderEvents: the tender projection (db kpi_tenders) and its own
 *  contributions (pilots ambition, SROI target), and cancellations moving project counts. */
#include "kpi_int.h"
#include "mvoi_topic.h"

#include <errno.h>
#include <string.h>

#include "log.h"

/* The tender projection's own contributions: pilots ambition, SROI target. */
static int s_tender_contrib(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *t, int sign)
{
    if (!t || kpi_tender_cancelled(t) || !t->buyer || !*t->buyer)
        return 0;
    kpi_delta_t c = { 0 };
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
        c.dims = KPI_DIM_ALL | KPI_DIM_GROUP | KPI_DIM_TENDER;
        c.theme = 0;
        if ((rc = kpi_add_delta(self, txn, &c, sign)) != 0)
            return rc;
        /* each distinct theme in scope */
        for (size_t i = 0; i < t->n_themes; i++) {
            int th = t->themes[i]->has_theme ? (int)t->themes[i]->theme : 0;
            bool seen = false;
            for (size_t j = 0; j < i; j++)
                if (t->themes[j]->has_theme && (int)t->themes[j]->theme == th)
                    seen = true;
            if (seen || !mvoi_theme_key(th))
                continue;
            c.dims = KPI_DIM_THEME;
            c.theme = th;
            if ((rc = kpi_add_delta(self, txn, &c, sign)) != 0)
                return rc;
        }
    }
    return 0;
}

typedef struct {
    kpi_t *self;
    MDB_txn *txn;
    int sign;
} s_flip_t;

/* One total the tender counts in: its projects moved by sign. */
static int s_projects_add(void *arg, const char *key, const mvoi_topic_t *tp)
{
    (void)tp;
    s_flip_t *f = arg;
    int r;
    kpi_total_t *t = kpi_work_total(f->self, f->txn, key, false, NULL, &r);
    if (t)
        t->projects += f->sign;
    return t || r == -ENOENT ? 0 : r;
}

int kpi_tender_transition(kpi_t *self, MDB_txn *txn, const Mvoi__Tender *old,
                               const Mvoi__Tender *nw)
{
    int rc;
    if ((rc = s_tender_contrib(self, txn, old, -1)) != 0 ||
        (rc = s_tender_contrib(self, txn, nw, +1)) != 0)
        return rc;
    bool was = kpi_tender_cancelled(old), is = kpi_tender_cancelled(nw);
    const Mvoi__Tender *t = nw ? nw : old;
    s_flip_t f = { self, txn, is ? -1 : +1 };   /* its cancelled flag flipped */
    if (t && t->id && t->buyer && was != is &&
        (rc = kpi_project_each(self, txn, t->buyer, t->id, s_projects_add, &f)) != 0)
        return rc;
    if ((rc = kpi_sroi_transition(self, txn, old, nw)) != 0)   /* where it is a project */
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
    const char *by = in && in->buyer && *in->buyer ? in->buyer : buyer;
    if (!in || !kpi_id_fits(in->id, MVOI_ID_TENDER) || !kpi_id_fits(by, MVOI_ID_BUYER)) {
        self->stats.skipped++;
        log_warn("event_skipped", "tender event without a usable tender id or buyer");
        return 0;
    }
    /* The projection: only what the KPIs use. */
    Mvoi__Tender nw = MVOI__TENDER__INIT;
    nw.id = in->id;
    nw.buyer = (char *)by;
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
    Mvoi__Tender *old = kpi_tender_load(self, txn, by, in->id, &rc);
    if (rc != 0)
        return rc;
    rc = kpi_tender_transition(self, txn, old, &nw);
    if (old)
        mvoi__tender__free_unpacked(old, NULL);
    if (rc != 0) {
        kpi_work_clear(self);
        return rc;
    }
    size_t len = mvoi__tender__get_packed_size(&nw);
    uint8_t kb[MVOI_ID_KEY_MAX];
    MDB_val k = { mvoi_id_key2(kb, sizeof kb, by, in->id), kb }, v = { len, NULL };
    if ((rc = store_put(txn, self->tenders, &k, &v, MDB_RESERVE)) != 0) {
        kpi_work_clear(self);
        return rc;
    }
    mvoi__tender__pack(&nw, v.mv_data);
    return kpi_event_end(self, txn);
}
