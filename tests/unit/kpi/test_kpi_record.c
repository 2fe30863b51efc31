/*  kpi_record: the hand-written encoding of our measurement records must be protobuf-c's,
 *  byte for byte (records written before it are read by the same unpack), for every shape
 *  s_rec_build makes: fields present or absent, empty strings, negative enums and amounts,
 *  a pilot status. Shapes it does not take give 0 (the caller packs with protobuf-c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kpi_int.h"

static const char *s_pick(const char *const *opts, int n) { return opts[rand() % n]; }

static int64_t s_amount(void)
{
    switch (rand() % 4) {
    case 0: return 0;
    case 1: return rand() % 1000;
    case 2: return -(int64_t)(rand() % 100000) - 1;
    default: return (int64_t)rand() << 31 | rand();
    }
}

Test(kpi_record, encodes_every_record_shape_as_protobuf_c_packs_it)
{
    static const char *const strs[] = { NULL, "", "m-1", "heerlen", "2026-03-31",
                                        "inkoop-zuid-limburg-centraal", "lopend" };
    srand(29);
    for (int iter = 0; iter < 20000; iter++) {
        Mvoi__PilotStatus ps = MVOI__PILOT_STATUS__INIT;
        Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
        Mvoi__Impact im = MVOI__IMPACT__INIT;
        Mvoi__ImpactEvent ev = MVOI__IMPACT_EVENT__INIT;
        m.id = (char *)s_pick(strs, 7);
        m.buyer = (char *)s_pick(strs, 7);
        m.tender_id = (char *)s_pick(strs, 7);
        m.period_start = (char *)s_pick(strs, 7);
        m.period_end = (char *)s_pick(strs, 7);
        m.has_phase = rand() % 2;
        m.phase = (Mvoi__Phase)(rand() % 4 - 1);   /* -1: a negative enum on the wire */
        m.has_revision = rand() % 2;
        m.revision = rand() % 3 ? (uint32_t)(rand() % 5) : 0xffffffffu;
        if (rand() % 3 == 0) {
            ps.has_theme = rand() % 2;
            ps.theme = (Mvoi__Theme)(rand() % 8);
            ps.status = (char *)s_pick(strs, 7);
            m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
            m.pilot = &ps;
        }
        protobuf_c_boolean *has[] = { &im.has_co2_avoided_g, &im.has_nox_avoided_mg,
                                      &im.has_primary_material_g, &im.has_renewable_g,
                                      &im.has_sroi_realised_cents, &im.has_fairtrade_products,
                                      &im.has_risk_products, &im.has_mki_avoided_cents,
                                      &im.has_pilots, &im.has_theme };
        int64_t *val[] = { &im.co2_avoided_g, &im.nox_avoided_mg, &im.primary_material_g,
                           &im.renewable_g, &im.sroi_realised_cents, &im.fairtrade_products,
                           &im.risk_products, &im.mki_avoided_cents, &im.pilots };
        for (int i = 0; i < 10; i++)
            *has[i] = rand() % 2;
        for (int i = 0; i < 9; i++)
            *val[i] = s_amount();
        im.theme = (Mvoi__Theme)(rand() % 7);
        ev.measurement = rand() % 10 ? &m : NULL;
        ev.impact = rand() % 10 ? &im : NULL;
        ev.purchasing_group = (char *)s_pick(strs, 7);
        ev.has_kind = rand() % 4 == 0;
        ev.kind = MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED;

        uint8_t want[1024], got[1024];
        size_t wl = mvoi__impact_event__get_packed_size(&ev);
        cr_assert_leq(wl, sizeof want);
        mvoi__impact_event__pack(&ev, want);
        size_t gl = kpi_record_encode(got, sizeof got, &ev);
        cr_assert_eq(gl, wl, "iteration %d: %zu bytes, protobuf-c %zu", iter, gl, wl);
        cr_assert(memcmp(got, want, wl) == 0, "iteration %d: other bytes", iter);
        if (wl > 0)
            cr_assert_eq(kpi_record_encode(got, wl - 1, &ev), 0, "does not fit: 0");
    }
}

Test(kpi_record, leaves_other_shapes_to_protobuf_c)
{
    Mvoi__EnergyUse en = MVOI__ENERGY_USE__INIT;
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT, prev = MVOI__MEASUREMENT__INIT;
    Mvoi__FactorRef f = MVOI__FACTOR_REF__INIT;
    Mvoi__FactorRef *fs[1] = { &f };
    Mvoi__Impact im = MVOI__IMPACT__INIT;
    Mvoi__ImpactEvent ev = MVOI__IMPACT_EVENT__INIT;
    uint8_t buf[1024];
    m.id = "m-1";
    ev.measurement = &m;
    ev.impact = &im;
    cr_assert_gt(kpi_record_encode(buf, sizeof buf, &ev), 0);
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &en;
    cr_assert_eq(kpi_record_encode(buf, sizeof buf, &ev), 0, "a kind other than pilot");
    m.kind_case = MVOI__MEASUREMENT__KIND__NOT_SET;
    im.n_factors = 1;
    im.factors = fs;
    cr_assert_eq(kpi_record_encode(buf, sizeof buf, &ev), 0, "factors");
    im.n_factors = 0;
    ev.previous = &prev;
    cr_assert_eq(kpi_record_encode(buf, sizeof buf, &ev), 0, "a previous revision");
}
