/*  kpi_impact: ImpactEvents: a measurement's contributions (db kpi_meas holds the revision
 *  we counted) and its breakdown index; kpi_apply and kpi_reset. */
#include "kpi_int.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"
#include "store_undecodable.h"

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

size_t kpi_bd_key(uint8_t *buf, size_t cap, const char *buyer, int kpi, uint32_t year,
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

/* Put (val) or delete (val NULL: MDB_NOTFOUND when absent) a breakdown key of kpi, through
 * the batch's cursor of that KPI (kpi_cursor.c). */
static int s_bd_write(kpi_t *self, MDB_txn *txn, int kpi, MDB_val *key, MDB_val *val)
{
    int rc;
    MDB_cursor *c = kpi_cursor(self, txn, KPI_CUR_MEAS + kpi, &rc);
    if (!c)
        return rc;
    if (val)
        return store_cursor_put(c, key, val, 0);
    MDB_val d;
    rc = mdb_cursor_get(c, key, &d, MDB_SET);
    return rc == 0 ? store_cursor_del(c, 0) : rc;
}

/* Add (sign +1) or remove (-1) a measurement record's contributions. */
static int s_meas_contrib(kpi_t *self, MDB_txn *txn, const Mvoi__ImpactEvent *rec, int sign)
{
    if (!rec || !rec->measurement || !rec->impact)
        return 0;
    const Mvoi__Measurement *m = rec->measurement;
    const Mvoi__Impact *im = rec->impact;
    kpi_delta_t c = { 0 };
    const char *date = m->period_end && *m->period_end ? m->period_end : m->period_start;
    if (kpi_date_window(date, &c.year, &c.quarter) != 0 || !m->buyer || !*m->buyer)
        return 0;
    c.buyer = m->buyer;
    c.tender = m->tender_id ? m->tender_id : "";
    c.group = rec->purchasing_group;
    c.theme = im->has_theme ? (int)im->theme : 0;
    c.count = 1;
    c.project = true;
    c.dims = KPI_DIM_ALL | KPI_DIM_THEME | KPI_DIM_GROUP | KPI_DIM_TENDER;
    bool ambition = m->has_phase && m->phase == MVOI__PHASE__PHASE_AMBITION;
    for (int k = 1; k <= KPI_COUNT; k++) {
        int64_t v = 0, den = 0;
        if (!s_feed(im, k, &v, &den))
            continue;
        c.kpi = k;
        c.ambition = ambition ? v : 0;
        c.realisation = ambition ? 0 : v;
        c.denominator = den;
        int rc = kpi_add_delta(self, txn, &c, sign);
        if (rc != 0)
            return rc;
        uint8_t kb[512];
        size_t kl = kpi_bd_key(kb, sizeof kb, c.buyer, k, c.year, c.quarter, c.tender, m->id);
        if (!kl)
            continue;
        MDB_val key = { kl, kb };
        if (sign < 0) {
            rc = s_bd_write(self, txn, k, &key, NULL);
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
        if ((rc = s_bd_write(self, txn, k, &key, &val)) != 0)
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
    if (m->kind_case == MVOI__MEASUREMENT__KIND_PILOT) {   /* its status: KPI 6's breakdown */
        r->m.kind_case = m->kind_case;
        r->m.pilot = m->pilot;
    }
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

/* Store our record of the revision counted (by hand, kpi_record.c; protobuf-c for a shape
 * that does not take). */
static int s_record_put(MDB_cursor *mc, MDB_val *k, const Mvoi__ImpactEvent *rec)
{
    uint8_t buf[1024];
    MDB_val v = { kpi_record_encode(buf, sizeof buf, rec), buf };
    if (v.mv_size)
        return store_cursor_put(mc, k, &v, 0);
    v.mv_size = mvoi__impact_event__get_packed_size(rec);
    v.mv_data = NULL;
    int rc = store_cursor_put(mc, k, &v, MDB_RESERVE);
    if (rc == 0)
        mvoi__impact_event__pack(rec, v.mv_data);
    return rc;
}

/* An event failed: its transaction is aborted by the caller, so nothing of the batch held
 * in memory may outlive it (the cursors are closed while it is alive). */
static int s_failed(kpi_t *self, int rc)
{
    kpi_work_clear(self);
    kpi_cursor_close(self);
    return rc;
}

int kpi_apply_impact(kpi_t *self, MDB_txn *txn, const Mvoi__ImpactEvent *ie,
                     const char *buyer)
{
    self->cache_valid = false;
    self->stats.impact_events++;
    const Mvoi__Measurement *m = ie ? ie->measurement : NULL;
    const char *by = m && m->buyer && *m->buyer ? m->buyer : buyer;
    if (!m || !kpi_id_fits(m->id, MVOI_ID_MEASUREMENT) || !kpi_id_fits(by, MVOI_ID_BUYER) ||
        (m->tender_id && *m->tender_id && !kpi_id_fits(m->tender_id, MVOI_ID_TENDER)) ||
        (ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED &&
         ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED &&
         ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN)) {
        self->stats.skipped++;
        log_warn("event_skipped", "impact event without a usable measurement id, buyer or "
                 "kind");
        return 0;
    }
    /* Records are the buyer's: heerlen's m-1 is not venlo's m-1. */
    uint8_t kb[MVOI_ID_KEY_MAX];
    MDB_val k = { mvoi_id_key2(kb, sizeof kb, by, m->id), kb }, v;
    Mvoi__ImpactEvent *stored = NULL;
    int rc;
    MDB_cursor *mc = kpi_cursor(self, txn, KPI_CUR_MEAS, &rc);
    if (!mc)
        return s_failed(self, rc);
    rc = mdb_cursor_get(mc, &k, &v, MDB_SET);
    if (rc == 0)
        stored = mvoi__impact_event__unpack(NULL, v.mv_size, v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return s_failed(self, rc);
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
        kpi_cursor_event_end(self);
        return 0;
    }
    s_rec_t nr;
    const Mvoi__ImpactEvent *nw = NULL;
    if (ie->kind != MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN) {
        const char *group = ie->purchasing_group;
        Mvoi__Tender *t = NULL;
        if ((!group || !*group) && m->tender_id) {
            t = kpi_tender_load(self, txn, by, m->tender_id, &rc);
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
        if (rc == 0)
            rc = s_record_put(mc, &k, nw);
        if (t)
            mvoi__tender__free_unpacked(t, NULL);
    } else {
        rc = s_meas_contrib(self, txn, old, -1);
        if (rc == 0 && stored) {   /* (positioned again: cheap on the cursor's page) */
            MDB_val d;
            rc = mdb_cursor_get(mc, &k, &d, MDB_SET);
            rc = rc == 0 ? store_cursor_del(mc, 0) : rc == MDB_NOTFOUND ? 0 : rc;
        }
    }
out:
    if (stored)
        mvoi__impact_event__free_unpacked(stored, NULL);
    if (rc != 0)
        return s_failed(self, rc);
    kpi_cursor_event_end(self);
    return kpi_event_end(self, txn);
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

/* Forget one record of ours (a measurement's contributions, or a tender's counters). */
static int s_forget_one(kpi_t *self, MDB_txn *txn, bool impact, const MDB_val *v)
{
    /* A record that does not decode cannot be taken out of the totals: forgotten anyway,
     * its contributions would stay in them, a wrong figure after a reset reported as done.
     * Refused by name instead (the reset's transaction is undone, the feed says why). */
    int r = 0;
    if (impact) {
        Mvoi__ImpactEvent *rec = mvoi__impact_event__unpack(NULL, v->mv_size, v->mv_data);
        r = rec ? s_meas_contrib(self, txn, rec, -1) : MVOI_E_UNDECODABLE;
        if (rec)
            mvoi__impact_event__free_unpacked(rec, NULL);
    } else {
        Mvoi__Tender *t = mvoi__tender__unpack(NULL, v->mv_size, v->mv_data);
        r = t ? kpi_tender_transition(self, txn, t, NULL) : MVOI_E_UNDECODABLE;
        if (t)
            mvoi__tender__free_unpacked(t, NULL);
    }
    return r;
}

/* Forget every record whose key starts with prefix (plen 0: all of them, then the dbi is
 * emptied at once); by buyer each record goes with its contributions. */
static int s_forget(kpi_t *self, MDB_txn *txn, bool impact, const uint8_t *prefix,
                    size_t plen)
{
    MDB_dbi dbi = impact ? self->meas : self->tenders;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { plen, (void *)prefix }, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) {
            rc = MDB_NOTFOUND;   /* past the buyer */
            break;
        }
        int r = s_forget_one(self, txn, impact, &v);
        if (r == MVOI_E_UNDECODABLE)
            store_log_undecodable(impact ? "measurement" : "tender", k.mv_data,
                                   k.mv_size);
        if (r == 0 && plen)
            r = store_cursor_del(cur, 0);
        if (r != 0) {
            mdb_cursor_close(cur);
            return r;
        }
        /* (after a delete, MDB_NEXT gives the record that followed the deleted one) */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    return plen ? 0 : store_drop(txn, dbi, 0);
}

static int s_producer(const char *producer)
{
    if (strcmp(producer, "impact") == 0)
        return 1;
    return strcmp(producer, "calendar") == 0 ? 0 : -1;
}

int kpi_reset(kpi_t *self, MDB_txn *txn, const char *producer)
{
    self->cache_valid = false;
    int which = s_producer(producer);
    if (which < 0)
        return 0;
    int rc = s_forget(self, txn, which == 1, NULL, 0);
    if (rc != 0)
        return s_failed(self, rc);
    log_warn("kpi_reset", "%s was wiped: removed everything derived from it", producer);
    kpi_cursor_event_end(self);
    return kpi_event_end(self, txn);
}

int kpi_reset_buyer(kpi_t *self, MDB_txn *txn, const char *producer, const char *buyer)
{
    self->cache_valid = false;
    int which = s_producer(producer);
    size_t lb = buyer ? strlen(buyer) : 0;
    if (which < 0 || lb == 0)
        return 0;
    uint8_t pk[MVOI_ID_KEY_MAX];
    if (lb + 1 > sizeof pk)
        return -EINVAL;
    memcpy(pk, buyer, lb + 1);   /* keys are buyer '\0' id */
    int rc = s_forget(self, txn, which == 1, pk, lb + 1);
    if (rc != 0)
        return s_failed(self, rc);
    kpi_cursor_event_end(self);
    return kpi_event_end(self, txn);
}

int kpi_next_buyer(kpi_t *self, MDB_txn *txn, const char *producer, const char *after,
                   char *buf, size_t cap)
{
    int which = s_producer(producer);
    if (which < 0)
        return -ENOENT;
    uint8_t sk[MVOI_ID_KEY_MAX];
    size_t la = after ? strlen(after) : 0;
    if (la + 1 > sizeof sk)
        return -EINVAL;
    /* The first key of a buyer after `after`: every key of `after` is after '\0' ... */
    memcpy(sk, after ? after : "", la);
    sk[la] = 1;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, which == 1 ? self->meas : self->tenders, &cur);
    if (rc != 0)
        return rc;
    MDB_val k = { la ? la + 1 : 0, sk }, v;
    rc = mdb_cursor_get(cur, &k, &v, la ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0) {
        const uint8_t *z = memchr(k.mv_data, 0, k.mv_size);
        size_t lb = z ? (size_t)(z - (const uint8_t *)k.mv_data) : k.mv_size;
        if (lb + 1 > cap) {
            rc = -ENAMETOOLONG;
        } else {
            memcpy(buf, k.mv_data, lb);
            buf[lb] = 0;
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? -ENOENT : rc;
}
