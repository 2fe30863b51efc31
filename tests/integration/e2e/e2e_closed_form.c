/*  e2e_closed_form: the expected impacts, worked out by hand from docs/domain.md#formulas, and the
 *  final states as a wl_t for kpi_expect(). See e2e.h. */
#include "e2e_internal.h"

#include <stdlib.h>

/* ================================================================ closed form
 *
 * Every generated measurement uses one of the input combinations below; its impact is
 * qty x the per-unit result, computed here by hand from docs/domain.md#formulas (the comment
 * on each row is the arithmetic). Quantities are whole units so that nothing rounds. */

const e2e_energy_t e2e_energy[] = {
    /* HVO100 instead of diesel B7 (default reference): 3.251 - 0.468 = 2.783 kg/l */
    { MVOI__CARRIER__CARRIER_HVO100, 0, 0, 2783 },
    /* HVO30 instead of diesel B7: 3.251 - 2.558 = 0.693 kg/l */
    { MVOI__CARRIER__CARRIER_HVO30, 0, 0, 693 },
    /* bio-CNG instead of CNG: 2.831 - 0.604 = 2.227 kg/kg */
    { MVOI__CARRIER__CARRIER_BIO_CNG, 0, 0, 2227 },
    /* green gas instead of natural gas: 2.134 - 0.305 = 1.829 kg/Nm3 */
    { MVOI__CARRIER__CARRIER_GREEN_GAS, 0, 0, 1829 },
    /* wind/solar instead of grey electricity: 0.483 - 0 = 0.483 kg/kWh */
    { MVOI__CARRIER__CARRIER_ELECTRICITY_RENEWABLE, 0, 0, 483 },
    /* green hydrogen instead of grey: 12.516 - 1.092 = 11.424 kg/kg */
    { MVOI__CARRIER__CARRIER_HYDROGEN_GREEN, 0, 0, 11424 },
    /* diesel B7 against an explicit fossil B0 reference: 3.462 - 3.251 = 0.211 kg/l */
    { MVOI__CARRIER__CARRIER_DIESEL_B7, MVOI__CARRIER__CARRIER_DIESEL_B0, 0, 211 },
    /* grid mix 2025 instead of grey: 0.483 - 0.268 = 0.215 kg/kWh */
    { MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 0, 2025, 215 },
    /* grid mix 2023 instead of grey: 0.483 - 0.337 = 0.146 kg/kWh */
    { MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, 0, 2023, 146 },
    /* petrol E10 against an explicit E0 reference: 3.059 - 2.794 = 0.265 kg/l */
    { MVOI__CARRIER__CARRIER_PETROL_E10, MVOI__CARRIER__CARRIER_PETROL_E0, 0, 265 },
};

const e2e_machine_t e2e_machine[] = {
    /* 150 kW, load 0.4 = 60 kWh/h; Stage V 0.40 instead of IIIB (130-560) 2.0 g/kWh:
     * 1.6 g/kWh x 60 = 96 g/h (docs/domain.md#nox example: 1,000 h = 96 kg) */
    { 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 400, 96000 },
    /* 100 kW, load 0.5 = 50 kWh/h; V 0.40 instead of IIIB (56-130) 3.3: 2.9 x 50 = 145 g/h */
    { 100, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 500, 145000 },
    /* 75 kW, load 1.0 = 75 kWh/h; zero emission instead of Stage IV 0.4: 0.4 x 75 = 30 g/h */
    { 75, MVOI__EMISSION_STAGE__STAGE_ZERO_EMISSION, MVOI__EMISSION_STAGE__STAGE_IV, 1000, 30000 },
    /* 200 kW, load 0.3 = 60 kWh/h; Stage IIIA (130-560) 4.0 where V 0.40 was required:
     * (0.40 - 4.0) x 60 = -216 g/h (worse than required counts against the total) */
    { 200, MVOI__EMISSION_STAGE__STAGE_IIIA, MVOI__EMISSION_STAGE__STAGE_V, 300, -216000 },
    /* 40 kW, load 0.5; Stage V (19-56) 4.7 HC+NOx instead of IIIA (37-130) 4.7: 0 */
    { 40, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIA, 500, 0 },
    /* 150 kW metered; V 0.40 instead of IIIB 2.0: 1.6 g per metered kWh */
    { 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 0, 1600 },
};

const e2e_road_t e2e_road[] = {
    /* zero-emission car instead of a Euro 6 diesel car: 0.080 g/km */
    { "car_diesel", "zero_emission", "euro6", false, 80 },
    /* zero-emission car instead of a Euro 6 petrol car: 0.060 g/km */
    { "car_petrol", "zero_emission", "euro6", false, 60 },
    /* zero-emission truck instead of Euro VI heavy duty: 0.4 g/kWh */
    { "heavy_duty", "zero_emission", "euro_vi", true, 400 },
};

/* mass_g = 4 x qty so that R1's 3/4 is exact. */
const e2e_material_t e2e_material[] = {
    { MVOI__RSTRATEGY__R2_REDUCE, 0, false, 1, 1 },      /* R2: the whole saved mass */
    { MVOI__RSTRATEGY__R3_REUSE, 0, false, 1, 1 },       /* R3: the reused mass */
    { MVOI__RSTRATEGY__R8_RECYCLE, 0, false, 1, 1 },     /* R8: the secondary content */
    { MVOI__RSTRATEGY__R1_RETHINK, 4000, false, 3, 4 },  /* R1, 4 users: 1 - 1/4 */
    { MVOI__RSTRATEGY__R9_RECOVER, 0, false, 0, 1 },     /* R9: nothing avoided */
    { MVOI__RSTRATEGY__R0_REFUSE, 0, true, 0, 1 },       /* biobased: renewable, not avoided */
};

const e2e_social_t e2e_social[] = {
    /* Participatiewet EUR 40,000 per FTE-year x 6 months = EUR 20,000 */
    { "participatiewet", 6, false, 0, 0, 2000000 },
    /* doelgroepregister EUR 50,000 + bonus 50+ EUR 10,000, x 6 months = EUR 30,000 */
    { "doelgroepregister", 6, true, 0, 0, 3000000 },
    /* social projects: EUR 100 per hour */
    { NULL, 0, false, 1, 0, 10000 },
    /* invoices at social enterprises: the invoiced cents */
    { NULL, 0, false, 0, 12345, 12345 },
    /* WIA EUR 40,000 x 6 months + 1 hour x EUR 100 = EUR 20,100 */
    { "wia", 6, false, 1, 0, 2010000 },
};

const unsigned e2e_ncombos[K_N] = {
    sizeof e2e_energy / sizeof e2e_energy[0], sizeof e2e_machine / sizeof e2e_machine[0],
    sizeof e2e_road / sizeof e2e_road[0], sizeof e2e_material / sizeof e2e_material[0],
    sizeof e2e_social / sizeof e2e_social[0], 5, 1, 1 };

int e2e_expected(const e2e_mv_t *m, int64_t *amount, int64_t *risk)
{
    *amount = 0;
    *risk = 0;
    switch (m->kind) {
    case K_ENERGY: *amount = (int64_t)m->qty * e2e_energy[m->combo].g_per_unit; return 5;
    case K_MACHINE: *amount = (int64_t)m->qty * e2e_machine[m->combo].mg_per_unit; return 3;
    case K_ROAD: *amount = (int64_t)m->qty * e2e_road[m->combo].mg_per_unit; return 3;
    case K_MATERIAL:
        *amount = 4 * (int64_t)m->qty * e2e_material[m->combo].num / e2e_material[m->combo].den;
        return 4;
    case K_SOCIAL: *amount = (int64_t)m->qty * e2e_social[m->combo].cents_per_unit; return 2;
    case K_FAIRTRADE:
        *amount = (int64_t)m->qty * m->combo / 4;   /* products_fair as generated */
        *risk = m->qty;
        return 1;
    case K_MKI: return 0;   /* MKI (euro) is not one of the six KPIs */
    case K_PILOT: *amount = 1; return 6;
    }
    return 0;
}

wl_t *e2e_wl_final(const e2e_wl_t *w)
{
    wl_t *x = calloc(1, sizeof *x);
    x->ntenders = w->ntenders;
    x->tev = calloc(w->ntenders, sizeof *x->tev);
    for (uint32_t t = 1; t <= w->ntenders; t++)
        x->tev[x->ntev++] = (wl_tev_t){ w->tenders[t].t.cancelled
                                            ? MVOI__TENDER_EVENT_KIND__TEV_CANCELLED
                                            : MVOI__TENDER_EVENT_KIND__TEV_REGISTERED,
                                        w->tenders[t].t };
    x->iev = calloc(w->nmeas, sizeof *x->iev);
    for (uint32_t id = 1; id <= w->nmeas; id++) {
        const e2e_mv_t *m = &w->mv[w->final[id]];
        wl_iev_t *e = &x->iev[x->niev++];
        e->kind = w->withdrawn[id] ? MVOI__IMPACT_EVENT_KIND__IEV_WITHDRAWN
                                   : MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
        wl_meas_t *c = &e->cur;
        c->id = id;
        c->tender = m->tender;
        c->buyer = m->buyer;
        c->group = m->group;
        c->phase = m->phase;
        c->year = m->year;
        c->month = m->month;
        c->day = m->day;
        c->theme = m->theme;
        int64_t amount, risk;
        int k = e2e_expected(m, &amount, &risk);
        if (k > 0) {
            c->fields = (uint8_t)(1u << (k - 1));
            c->v[k] = amount;
            c->v[0] = risk;
        }
    }
    return x;
}
