/*  e2e_encode: the workload requests encoded as Envelopes. See e2e.h. */
#include "e2e_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ encoding */

static const char *s_categories[] = { "koffie", "textiel", "bedrijfskleding", "catering",
                                      "elektronica" };

typedef struct {
    Mvoi__Measurement m;
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__RoadTransport r;
    Mvoi__Material mat;
    Mvoi__SocialReturn so;
    Mvoi__FairTrade ft;
    Mvoi__Mki k;
    Mvoi__PilotStatus p;
    char id[16], tender[16], ps[16], pe[16];
} s_mbuf_t;

static void s_fill_energy(s_mbuf_t *b, const e2e_mv_t *x)
{
    const e2e_energy_t *c = &e2e_energy[x->combo];
    mvoi__energy_use__init(&b->e);
    b->e.has_carrier = 1;
    b->e.carrier = c->carrier;
    if (c->reference) {
        b->e.has_reference_carrier = 1;
        b->e.reference_carrier = c->reference;
    }
    if (c->grid_year) {
        b->e.has_grid_year = 1;
        b->e.grid_year = c->grid_year;
    }
    b->e.has_quantity_milli = 1;
    b->e.quantity_milli = (int64_t)x->qty * 1000;
    b->m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    b->m.energy = &b->e;
}

static void s_fill_machine(s_mbuf_t *b, const e2e_mv_t *x)
{
    const e2e_machine_t *c = &e2e_machine[x->combo];
    mvoi__machine_use__init(&b->mu);
    b->mu.has_power_kw = 1;
    b->mu.power_kw = c->power_kw;
    b->mu.has_stage_actual = b->mu.has_stage_required = 1;
    b->mu.stage_actual = c->actual;
    b->mu.stage_required = c->required;
    if (c->load_permille) {
        b->mu.has_load_factor_permille = b->mu.has_hours_milli = 1;
        b->mu.load_factor_permille = c->load_permille;
        b->mu.hours_milli = (int64_t)x->qty * 1000;
    } else {
        b->mu.has_metered_kwh_milli = 1;
        b->mu.metered_kwh_milli = (int64_t)x->qty * 1000;
    }
    b->m.kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
    b->m.machine = &b->mu;
}

static void s_fill_road(s_mbuf_t *b, const e2e_mv_t *x)
{
    const e2e_road_t *c = &e2e_road[x->combo];
    mvoi__road_transport__init(&b->r);
    b->r.vehicle_class = (char *)c->vehicle;
    b->r.euro_class_actual = (char *)c->actual;
    b->r.euro_class_required = (char *)c->required;
    if (c->per_kwh) {
        b->r.has_kwh_milli = 1;
        b->r.kwh_milli = (int64_t)x->qty * 1000;
    } else {
        b->r.has_km_milli = 1;
        b->r.km_milli = (int64_t)x->qty * 1000;
    }
    b->m.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
    b->m.road = &b->r;
}

static void s_fill_material(s_mbuf_t *b, const e2e_mv_t *x)
{
    const e2e_material_t *c = &e2e_material[x->combo];
    mvoi__material__init(&b->mat);
    b->mat.has_mass_g = 1;
    b->mat.mass_g = 4 * (int64_t)x->qty;
    b->mat.has_strategy = 1;
    b->mat.strategy = c->strategy;
    if (c->sharing_milli) {
        b->mat.has_sharing_factor_milli = 1;
        b->mat.sharing_factor_milli = c->sharing_milli;
    }
    if (c->renewable)
        b->mat.has_renewable = b->mat.renewable = 1;
    b->m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    b->m.material = &b->mat;
}

static void s_fill_social(s_mbuf_t *b, const e2e_mv_t *x)
{
    const e2e_social_t *c = &e2e_social[x->combo];
    mvoi__social_return__init(&b->so);
    if (c->group) {
        b->so.target_group = (char *)c->group;
        b->so.has_fte_months_milli = 1;
        b->so.fte_months_milli = (int64_t)x->qty * c->months * 1000;
    }
    if (c->bonus)
        b->so.has_bonus_50plus = b->so.bonus_50plus = 1;
    if (c->hours) {
        b->so.has_social_project_hours_milli = 1;
        b->so.social_project_hours_milli = (int64_t)x->qty * c->hours * 1000;
    }
    if (c->invoice_cents) {
        b->so.has_social_enterprise_cents = 1;
        b->so.social_enterprise_cents = (int64_t)x->qty * c->invoice_cents;
    }
    b->m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    b->m.social = &b->so;
}

static void s_fill(s_mbuf_t *b, const e2e_mv_t *x)
{
    memset(b, 0, sizeof *b);
    mvoi__measurement__init(&b->m);
    wl_meas_id(b->id, sizeof b->id, x->id);
    wl_tender_id(b->tender, sizeof b->tender, x->tender);
    snprintf(b->ps, sizeof b->ps, "%04u-%02u-01", x->year, x->month);
    snprintf(b->pe, sizeof b->pe, "%04u-%02u-%02u", x->year, x->month, x->day);
    b->m.id = b->id;
    b->m.tender_id = b->tender;
    b->m.has_phase = 1;
    b->m.phase = x->phase;
    b->m.period_start = b->ps;
    b->m.period_end = b->pe;
    b->m.submitter = "e2e";
    switch (x->kind) {
    case K_ENERGY:
        s_fill_energy(b, x);
        break;
    case K_MACHINE:
        s_fill_machine(b, x);
        break;
    case K_ROAD:
        s_fill_road(b, x);
        break;
    case K_MATERIAL:
        s_fill_material(b, x);
        break;
    case K_SOCIAL:
        s_fill_social(b, x);
        break;
    case K_FAIRTRADE:
        mvoi__fair_trade__init(&b->ft);
        b->ft.category = (char *)s_categories[x->combo];
        b->ft.has_products_total = b->ft.has_products_fair = 1;
        b->ft.products_total = x->qty;
        b->ft.products_fair = x->qty * x->combo / 4;
        b->m.kind_case = MVOI__MEASUREMENT__KIND_FAIRTRADE;
        b->m.fairtrade = &b->ft;
        break;
    case K_MKI:
        mvoi__mki__init(&b->k);
        b->k.has_reference_mki_cents = b->k.has_offered_mki_cents = 1;
        b->k.reference_mki_cents = (int64_t)x->qty * 100 + 50000;
        b->k.offered_mki_cents = (int64_t)x->qty * 37;
        b->m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
        b->m.mki = &b->k;
        break;
    case K_PILOT:
        mvoi__pilot_status__init(&b->p);
        b->p.has_theme = 1;
        b->p.theme = x->theme;
        b->p.status = "lopend";
        b->m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
        b->m.pilot = &b->p;
        break;
    }
}

static uint8_t *s_pack(const Mvoi__Envelope *env, size_t *len)
{
    *len = mvoi__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*len ? *len : 1);
    mvoi__envelope__pack(env, buf);
    return buf;
}

size_t e2e_pack_submit(const e2e_mv_t *const *mv, size_t n, const char *buyer,
                       const char *rid, uint8_t **out)
{
    s_mbuf_t *b = calloc(n, sizeof *b);
    Mvoi__Measurement **mp = calloc(n, sizeof *mp);
    for (size_t i = 0; i < n; i++) {
        s_fill(&b[i], mv[i]);
        mp[i] = &b[i].m;
    }
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.measurements = mp;
    sm.n_measurements = n;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.buyer = (char *)buyer;
    env.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    env.submit_measurements = &sm;
    size_t len;
    *out = s_pack(&env, &len);
    free(mp);
    free(b);
    return len;
}

uint8_t *e2e_encode(const e2e_wl_t *w, size_t i, size_t *len, char *rid, size_t ridlen)
{
    const e2e_req_t *r = &w->req[i];
    snprintf(rid, ridlen, "e2e-%llx-%zu", (unsigned long long)w->rid_seed, i);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = rid;
    env.buyer = (char *)(w->buyers[r->buyer & 1] ? w->buyers[r->buyer & 1]
                                                 : wl_buyer(r->buyer));
    uint8_t *out = NULL;
    switch (r->kind) {
    case R_TENDER: {
        const e2e_tender_t *x = &w->tenders[r->off];
        char id[16], group[16], pub[16];
        wl_tender_id(id, sizeof id, x->t.idx);
        wl_group(group, sizeof group, x->t.group);
        snprintf(pub, sizeof pub, "%04u-%02u-%02u", x->t.pub_year, x->t.pub_month,
                 x->t.pub_day);
        Mvoi__Tender t = MVOI__TENDER__INIT;
        t.id = id;
        t.buyer = env.buyer;
        t.title = "e2e tender";
        t.purchasing_group = group;
        t.has_kind = 1;
        t.kind = x->kind;
        t.has_value_cents = 1;
        t.value_cents = x->value_cents;
        t.planned_publication = pub;
        Mvoi__ThemeAmbition ta[3], *tap[3];
        for (int k = 0; k < x->t.nthemes; k++) {
            mvoi__theme_ambition__init(&ta[k]);
            ta[k].has_theme = 1;
            ta[k].theme = x->t.themes[k];
            tap[k] = &ta[k];
        }
        t.themes = tap;
        t.n_themes = x->t.nthemes;
        if (x->sroi_bp) {
            t.has_sroi_pct_bp = 1;
            t.sroi_pct_bp = x->sroi_bp;
        }
        if (x->t.pilot)
            t.has_pilot = t.pilot = 1;
        Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
        rt.tender = &t;
        env.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
        env.register_tender = &rt;
        out = s_pack(&env, len);
        break;
    }
    case R_CANCEL: {
        char id[16];
        wl_tender_id(id, sizeof id, (uint16_t)r->off);
        Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
        ct.tender_id = id;
        ct.reason = "e2e: cancelled";
        env.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
        env.cancel_tender = &ct;
        out = s_pack(&env, len);
        break;
    }
    case R_SUBMIT: {
        const e2e_mv_t **mv = calloc(r->n, sizeof *mv);
        for (uint32_t k = 0; k < r->n; k++)
            mv[k] = &w->mv[w->items[r->off + k]];
        *len = e2e_pack_submit(mv, r->n, env.buyer, rid, &out);
        free(mv);
        break;
    }
    case R_CORRECT: {
        s_mbuf_t b;
        s_fill(&b, &w->mv[r->off]);
        b.m.reason = "e2e: corrected";
        Mvoi__CorrectMeasurement cm = MVOI__CORRECT_MEASUREMENT__INIT;
        cm.measurement = &b.m;
        env.body_case = MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT;
        env.correct_measurement = &cm;
        out = s_pack(&env, len);
        break;
    }
    case R_WITHDRAW: {
        char id[16];
        wl_meas_id(id, sizeof id, w->mv[r->off].id);
        Mvoi__WithdrawMeasurement wm = MVOI__WITHDRAW_MEASUREMENT__INIT;
        wm.id = id;
        wm.reason = "e2e: withdrawn";
        wm.submitter = "e2e";
        env.body_case = MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT;
        env.withdraw_measurement = &wm;
        out = s_pack(&env, len);
        break;
    }
    }
    return out;
}
