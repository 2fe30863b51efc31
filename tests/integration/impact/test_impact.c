/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar").
 *
 *  Every expected figure is the test's own arithmetic from DOMAIN.md 5, written out next to
 *  the assertion, never a value read back from the code under test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zmq.h>

#include "harness.h"

#define TENDERS "T-KLIMA|infra|100000000|500;T-NOX|groen|50000000|200;" \
                "T-SROI|sociaal|100000000|500;T-CANCEL|infra|1000000|200"

typedef struct {
    char dir[128], api[192], pub[192], capi[192], cpub[192];
    char env_i[12][600];
    const char *envp_i[13];
    char env_c[8][600];
    const char *envp_c[9];
    char imp_bin[512], cal_bin[512];
    h_proc_t imp, cal;
} fx_t;

static void fx_init(fx_t *f, const char *factors_dir)
{
    memset(f, 0, sizeof *f);
    h_tmpdir(f->dir, sizeof f->dir);
    cr_assert(f->dir[0]);
    snprintf(f->api, sizeof f->api, "ipc://%s/i.api", f->dir);
    snprintf(f->pub, sizeof f->pub, "ipc://%s/i.pub", f->dir);
    snprintf(f->capi, sizeof f->capi, "ipc://%s/c.api", f->dir);
    snprintf(f->cpub, sizeof f->cpub, "ipc://%s/c.pub", f->dir);
    int i = 0;
    snprintf(f->env_i[i++], 600, "MVOI_DATA_DIR=%s", f->dir);
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_API=%s", f->api);
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_PUB=%s", f->pub);
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", f->capi);
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", f->cpub);
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_CALENDAR_STALE_MS=1000");
    snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_HEARTBEAT_MS=200");
    snprintf(f->env_i[i++], 600, "MVOI_LOG_LEVEL=warn");
    if (factors_dir)
        snprintf(f->env_i[i++], 600, "MVOI_IMPACT_CALCULATOR_FACTORS_DIR=%s", factors_dir);
    for (int k = 0; k < i; k++)
        f->envp_i[k] = f->env_i[k];
    i = 0;
    snprintf(f->env_c[i++], 600, "MVOI_DATA_DIR=%s", f->dir);
    snprintf(f->env_c[i++], 600, "MVOI_FAKECAL_API=%s", f->capi);
    snprintf(f->env_c[i++], 600, "MVOI_FAKECAL_PUB=%s", f->cpub);
    snprintf(f->env_c[i++], 600, "MVOI_FAKECAL_TENDERS=%s", TENDERS);
    snprintf(f->env_c[i++], 600, "MVOI_LOG_LEVEL=warn");
    for (int k = 0; k < i; k++)
        f->envp_c[k] = f->env_c[k];
    h_bin(f->imp_bin, sizeof f->imp_bin, "services/impact-calculator/mvoi-impact-calculator");
    h_bin(f->cal_bin, sizeof f->cal_bin, "tests/integration/impact/mvoi-impact-fakecal");
}

static void fx_start_cal(fx_t *f)
{
    cr_assert_eq(h_spawn(&f->cal, f->cal_bin, "fakecal", f->dir, f->envp_c), 0);
    cr_assert_eq(h_wait_healthy(f->capi, 10000), 0, "fakecal did not come up");
}

static void fx_start_imp(fx_t *f)
{
    cr_assert_eq(h_spawn(&f->imp, f->imp_bin, "impact", f->dir, f->envp_i), 0);
    cr_assert_eq(h_wait_healthy(f->api, 10000), 0, "impact-calculator did not come up");
}

static int s_count_tenders(void *t, void *arg)
{
    MDB_txn *txn = t;
    MDB_dbi d;
    MDB_stat st;
    *(size_t *)arg = 0;
    if (mdb_dbi_open(txn, "tenders", 0, &d) == 0 && mdb_stat(txn, d, &st) == 0)
        *(size_t *)arg = st.ms_entries;
    return 0;
}

/* Wait until the projection holds n tenders (read from the impact-calculator's LMDB). */
static void fx_wait_tenders(fx_t *f, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    int64_t end = h_now_ms() + 10000;
    size_t got = 0;
    while (h_now_ms() < end) {
        if (h_lmdb_read(path, s_count_tenders, &got) == 0 && got >= n)
            return;
        h_sleep_ms(50);
    }
    cr_assert_fail("projection has %zu tenders, expected %zu", got, n);
}

static void fx_up(fx_t *f, const char *factors_dir)
{
    fx_init(f, factors_dir);
    fx_start_cal(f);
    fx_start_imp(f);
    fx_wait_tenders(f, 4);
    h_sleep_ms(300);   /* a calendar heartbeat: the feed is current */
}

static void fx_fini(fx_t *f)
{
    h_kill9(&f->imp);
    h_kill9(&f->cal);
    h_tmpdir_remove(f->dir);
}

/* ------------------------------------------------------------ measurements */

typedef struct {
    Mvoi__Measurement m;
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__RoadTransport r;
    Mvoi__Material mat;
    Mvoi__SocialReturn s;
    Mvoi__FairTrade ft;
    Mvoi__Mki k;
    Mvoi__MkiImpact ki[4];
    Mvoi__MkiImpact *kip[4];
    Mvoi__PilotStatus p;
    char id[64];
} meas_t;

static void m_base(meas_t *x, const char *id, const char *tender, const char *year)
{
    memset(x, 0, sizeof *x);
    mvoi__measurement__init(&x->m);
    mvoi__energy_use__init(&x->e);
    mvoi__machine_use__init(&x->mu);
    mvoi__road_transport__init(&x->r);
    mvoi__material__init(&x->mat);
    mvoi__social_return__init(&x->s);
    mvoi__fair_trade__init(&x->ft);
    mvoi__mki__init(&x->k);
    mvoi__pilot_status__init(&x->p);
    snprintf(x->id, sizeof x->id, "%s", id);
    static char starts[8][16], ends[8][16];
    static int slot;
    slot = (slot + 1) % 8;
    snprintf(starts[slot], 16, "%s-01-01", year);
    snprintf(ends[slot], 16, "%s-03-31", year);
    x->m.id = x->id;
    x->m.tender_id = (char *)tender;
    x->m.has_phase = 1;
    x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    x->m.period_start = starts[slot];
    x->m.period_end = ends[slot];
    x->m.submitter = "leverancier-bv";
}

static void m_energy(meas_t *x, int carrier, int ref, int64_t qmilli)
{
    x->m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    x->m.energy = &x->e;
    x->e.has_carrier = 1;
    x->e.carrier = carrier;
    if (ref) {
        x->e.has_reference_carrier = 1;
        x->e.reference_carrier = ref;
    }
    x->e.has_quantity_milli = 1;
    x->e.quantity_milli = qmilli;
}

static void m_machine(meas_t *x, uint32_t kw, int act, int req, int64_t hours_milli,
                      uint32_t load_permille)
{
    x->m.kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
    x->m.machine = &x->mu;
    x->mu.has_power_kw = 1;
    x->mu.power_kw = kw;
    x->mu.has_stage_actual = 1;
    x->mu.stage_actual = act;
    x->mu.has_stage_required = 1;
    x->mu.stage_required = req;
    x->mu.has_hours_milli = 1;
    x->mu.hours_milli = hours_milli;
    x->mu.has_load_factor_permille = 1;
    x->mu.load_factor_permille = load_permille;
}

static Mvoi__Envelope *call(fx_t *f, Mvoi__Envelope *e)
{
    if (!e->buyer)
        e->buyer = "heerlen";
    e->has_schema_version = 1;
    e->schema_version = 1;
    Mvoi__Envelope *r = NULL;
    int rc = h_request(f->api, e, &r, 10000);
    cr_assert_eq(rc, 0, "no reply from the impact-calculator (%d)", rc);
    return r;
}

static Mvoi__Envelope *submit(fx_t *f, const char *rid, meas_t **items, size_t n)
{
    Mvoi__Measurement **ms = calloc(n, sizeof *ms);
    for (size_t i = 0; i < n; i++)
        ms[i] = &items[i]->m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = n;
    sm.measurements = ms;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = (char *)rid;
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    Mvoi__Envelope *r = call(f, &e);
    free(ms);
    return r;
}

/* Submit one measurement and return its result (asserting the reply shape). */
static Mvoi__MeasurementResult *submit1(fx_t *f, meas_t *x, Mvoi__Envelope **keep)
{
    char rid[96];
    snprintf(rid, sizeof rid, "r-%s-%lld", x->id, (long long)h_now_ms());
    *keep = submit(f, rid, &x, 1);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY,
                 "reply body %d (%s)", (*keep)->body_case,
                 (*keep)->body_case == MVOI__ENVELOPE__BODY_ERROR ? (*keep)->error->message : "");
    cr_assert_eq((*keep)->measurement_reply->n_results, 1);
    return (*keep)->measurement_reply->results[0];
}

static Mvoi__Impact *expect_ok(fx_t *f, meas_t *x, Mvoi__Envelope **keep)
{
    Mvoi__MeasurementResult *r = submit1(f, x, keep);
    cr_assert(r->ok, "%s refused: %s", x->id, r->error && r->error->message ? r->error->message : "");
    cr_assert_not_null(r->impact);
    return r->impact;
}

static void expect_field(fx_t *f, meas_t *x, int code, const char *field_suffix)
{
    Mvoi__Envelope *keep;
    Mvoi__MeasurementResult *r = submit1(f, x, &keep);
    cr_assert(!r->ok, "%s accepted, expected an error on %s", x->id, field_suffix);
    cr_assert_not_null(r->error);
    cr_assert_eq(r->error->code, code, "%s: code %d, expected %d (%s)", x->id, r->error->code,
                 code, r->error->message);
    size_t lf = strlen(r->error->field), ls = strlen(field_suffix);
    cr_assert(lf >= ls && strcmp(r->error->field + lf - ls, field_suffix) == 0,
              "%s: field '%s', expected ...'%s'", x->id, r->error->field, field_suffix);
    cr_assert(strstr(r->error->field, "submit_measurements.measurements[0]") != NULL);
    mvoi__envelope__free_unpacked(keep, NULL);
}

static Mvoi__Envelope *get(fx_t *f, const char *id)
{
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = (char *)id;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    e.get_measurement = &g;
    return call(f, &e);
}

static uint64_t head(fx_t *f)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    Mvoi__Envelope *r = call(f, &e);
    uint64_t h = r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY ? r->health_reply->head_seq : 0;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

static void expect_absent(fx_t *f, const char *id)
{
    Mvoi__Envelope *r = get(f, id);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s was stored", id);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------ golden figures */

Test(impact_it, golden_worked_examples_of_domain_5)
{
    fx_t f;
    fx_up(&f, NULL);
    Mvoi__Envelope *k1, *k2, *k3;
    meas_t a, b, c;

    /* 10,000 l HVO100 instead of diesel B7: 10,000 x (3.251 - 0.468) = 27,830 kg. */
    m_base(&a, "gold-hvo", "T-KLIMA", "2026");
    m_energy(&a, MVOI__CARRIER__CARRIER_HVO100, MVOI__CARRIER__CARRIER_DIESEL_B7, 10000000);
    Mvoi__Impact *i1 = expect_ok(&f, &a, &k1);
    cr_assert_eq(i1->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(i1->factors[0]->edition, "2026");
    cr_assert_str_eq(i1->factors[0]->reference_variant, "diesel_b7");

    /* 150 kW x 0.4 x 1,000 h = 60,000 kWh; (2.0 - 0.4) g/kWh x 60,000 = 96 kg NOx. */
    m_base(&b, "gold-nox", "T-NOX", "2026");
    m_machine(&b, 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB,
              1000000, 400);
    Mvoi__Impact *i2 = expect_ok(&f, &b, &k2);
    cr_assert_eq(i2->nox_avoided_mg, 96000000LL);

    /* SROI: EUR 1,000,000 x 5 % = EUR 50,000 obligation; one FTE-year Participatiewet
     * (EUR 40,000) + the 50+ bonus (EUR 10,000) = EUR 50,000: covered exactly. */
    m_base(&c, "gold-sroi", "T-SROI", "2026");
    c.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    c.m.social = &c.s;
    c.s.target_group = "participatiewet";
    c.s.has_fte_months_milli = 1;
    c.s.fte_months_milli = 12000;
    c.s.has_bonus_50plus = c.s.bonus_50plus = 1;
    Mvoi__Impact *i3 = expect_ok(&f, &c, &k3);
    cr_assert_eq(i3->sroi_realised_cents, 5000000LL);
    Mvoi__Envelope *g = get(&f, "gold-sroi");
    cr_assert_eq(g->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    cr_assert_eq(g->measurement_record->sroi_obligation_cents, 100000000LL * 500 / 10000);
    cr_assert_eq(g->measurement_record->sroi_obligation_cents, 5000000LL);
    cr_assert_str_eq(g->measurement_record->purchasing_group, "sociaal");
    mvoi__envelope__free_unpacked(g, NULL);

    /* show spells it out with its source. */
    g = get(&f, "gold-hvo");
    const char *ex = g->measurement_record->explanation;
    cr_assert(ex && strstr(ex, "10 000 l × (3,251 − 0,468) kg CO2-eq/l = 27 830 kg CO2-eq"),
              "explanation: %s", ex ? ex : "(none)");
    cr_assert(strstr(ex, "CO2emissiefactoren.nl"), "explanation: %s", ex);
    mvoi__envelope__free_unpacked(g, NULL);
    mvoi__envelope__free_unpacked(k1, NULL);
    mvoi__envelope__free_unpacked(k2, NULL);
    mvoi__envelope__free_unpacked(k3, NULL);
    fx_fini(&f);
}

/* One more per kind, each figure worked out by hand. */
Test(impact_it, golden_one_more_per_kind)
{
    fx_t f;
    fx_up(&f, NULL);
    Mvoi__Envelope *k;
    meas_t x;

    /* energy, grid electricity 2024 instead of grey: 10,000 kWh x (0.483 - 0.328) = 1,550 kg */
    m_base(&x, "k-grid", "T-KLIMA", "2024");
    m_energy(&x, MVOI__CARRIER__CARRIER_ELECTRICITY_GRID, MVOI__CARRIER__CARRIER_ELECTRICITY_GREY,
             10000000);
    cr_assert_eq(expect_ok(&f, &x, &k)->co2_avoided_g, 1550000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* energy, green gas for natural gas (default reference): 2,000 Nm3 x (2.134 - 0.305)
     * = 3,658 kg */
    m_base(&x, "k-gas", "T-KLIMA", "2025");
    m_energy(&x, MVOI__CARRIER__CARRIER_GREEN_GAS, 0, 2000000);
    cr_assert_eq(expect_ok(&f, &x, &k)->co2_avoided_g, 3658000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* machine, metered: 80 kW band 56-129: Stage V 0.40 vs IIIB 3.3: 5,000 kWh x 2.9 g
     * = 14.5 kg */
    m_base(&x, "k-metered", "T-NOX", "2026");
    m_machine(&x, 80, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 500);
    x.mu.has_hours_milli = 0;
    x.mu.has_load_factor_permille = 0;
    x.mu.has_metered_kwh_milli = 1;
    x.mu.metered_kwh_milli = 5000000;
    cr_assert_eq(expect_ok(&f, &x, &k)->nox_avoided_mg, 14500000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* road: diesel car Euro 6 (0.080 g/km) where Euro 5 (0.180) was allowed, 10,000 km:
     * 10,000 x 0.1 g = 1 kg */
    m_base(&x, "k-road", "T-NOX", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
    x.m.road = &x.r;
    x.r.vehicle_class = "car_diesel";
    x.r.euro_class_actual = "euro6";
    x.r.euro_class_required = "euro5";
    x.r.has_km_milli = 1;
    x.r.km_milli = 10000000;
    cr_assert_eq(expect_ok(&f, &x, &k)->nox_avoided_mg, 1000000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* material: R1 rethink, 1,000 kg shared by 4: 1,000 x (1 - 1/4) = 750 kg */
    m_base(&x, "k-share", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    x.m.material = &x.mat;
    x.mat.has_mass_g = 1;
    x.mat.mass_g = 1000000;
    x.mat.has_strategy = 1;
    x.mat.strategy = MVOI__RSTRATEGY__R1_RETHINK;
    x.mat.has_sharing_factor_milli = 1;
    x.mat.sharing_factor_milli = 4000;
    cr_assert_eq(expect_ok(&f, &x, &k)->primary_material_g, 750000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* material: R3 re-use of 1,200 kg counts whole */
    m_base(&x, "k-reuse", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    x.m.material = &x.mat;
    x.mat.has_mass_g = 1;
    x.mat.mass_g = 1200000;
    x.mat.has_strategy = 1;
    x.mat.strategy = MVOI__RSTRATEGY__R3_REUSE;
    cr_assert_eq(expect_ok(&f, &x, &k)->primary_material_g, 1200000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* social: 200 h at social projects x EUR 100 + EUR 1,234.56 invoices = EUR 21,234.56 */
    m_base(&x, "k-hours", "T-SROI", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    x.m.social = &x.s;
    x.s.has_social_project_hours_milli = 1;
    x.s.social_project_hours_milli = 200000;
    x.s.has_social_enterprise_cents = 1;
    x.s.social_enterprise_cents = 123456;
    cr_assert_eq(expect_ok(&f, &x, &k)->sroi_realised_cents, 2123456LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* social: 6 FTE-months WW (EUR 20,000 per FTE-year) = EUR 10,000 */
    m_base(&x, "k-ww", "T-SROI", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
    x.m.social = &x.s;
    x.s.target_group = "ww";
    x.s.has_fte_months_milli = 1;
    x.s.fte_months_milli = 6000;
    cr_assert_eq(expect_ok(&f, &x, &k)->sroi_realised_cents, 1000000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* fair trade: 3 of 10 coffee products */
    m_base(&x, "k-koffie", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_FAIRTRADE;
    x.m.fairtrade = &x.ft;
    x.ft.category = "koffie";
    x.ft.has_products_total = x.ft.has_products_fair = 1;
    x.ft.products_total = 10;
    x.ft.products_fair = 3;
    Mvoi__Impact *ii = expect_ok(&f, &x, &k);
    cr_assert_eq(ii->fairtrade_products, 3);
    cr_assert_eq(ii->risk_products, 10);
    mvoi__envelope__free_unpacked(k, NULL);

    /* MKI by LCA impacts: GWP (1,000 - 400) kg x EUR 0.05 = EUR 30 */
    m_base(&x, "k-mki", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    x.m.mki = &x.k;
    for (int i = 0; i < 2; i++) {
        mvoi__mki_impact__init(&x.ki[i]);
        x.ki[i].category = "GWP";
        x.ki[i].has_amount_milli = 1;
        x.ki[i].amount_milli = i == 0 ? 1000000 : 400000;
        x.kip[i] = &x.ki[i];
    }
    x.k.n_reference_impacts = x.k.n_offered_impacts = 1;
    x.k.reference_impacts = &x.kip[0];
    x.k.offered_impacts = &x.kip[1];
    cr_assert_eq(expect_ok(&f, &x, &k)->mki_avoided_cents, 3000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* MKI by totals: EUR 12,000 - EUR 9,500 = EUR 2,500 */
    m_base(&x, "k-mki2", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_MKI;
    x.m.mki = &x.k;
    x.k.has_reference_mki_cents = x.k.has_offered_mki_cents = 1;
    x.k.reference_mki_cents = 1200000;
    x.k.offered_mki_cents = 950000;
    cr_assert_eq(expect_ok(&f, &x, &k)->mki_avoided_cents, 250000LL);
    mvoi__envelope__free_unpacked(k, NULL);

    /* pilot: counts 1 */
    m_base(&x, "k-pilot", "T-KLIMA", "2026");
    x.m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
    x.m.pilot = &x.p;
    x.p.has_theme = 1;
    x.p.theme = MVOI__THEME__THEME_CIRCULAIR;
    x.p.status = "lopend";
    cr_assert_eq(expect_ok(&f, &x, &k)->pilots, 1);
    mvoi__envelope__free_unpacked(k, NULL);
    fx_fini(&f);
}

/* An operator drops a new edition into factors_dir: measurements of its years use it, older
 * ones keep theirs, and a pinned edition wins over the year. */
Test(impact_it, golden_per_edition_added_by_dropping_a_file)
{
    char fdir[256];
    h_tmpdir(fdir, sizeof fdir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/services/impact-calculator/data/*.csv %s/", MVOI_SOURCE_DIR,
             fdir);
    cr_assert_eq(system(cmd), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/co2-2027test.csv", fdir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs("# table: co2\n# edition: 2027test\n# valid_from: 2027\n# source: test edition\n"
          "# unit: kg CO2-eq per row unit\n# decimals: 3\n"
          "key,value,unit,source,unverified,reference\n"
          "diesel_b7,3.300,l,test 2027,no,diesel_b7\n"
          "hvo100,0.500,l,test 2027,no,diesel_b7\n", fp);
    fclose(fp);
    fx_t f;
    fx_up(&f, fdir);
    Mvoi__Envelope *k;
    meas_t x;
    /* 2027: 10,000 l x (3.300 - 0.500) = 28,000 kg with the new edition */
    m_base(&x, "ed-2027", "T-KLIMA", "2027");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    Mvoi__Impact *i = expect_ok(&f, &x, &k);
    cr_assert_eq(i->co2_avoided_g, 28000000LL);
    cr_assert_str_eq(i->factors[0]->edition, "2027test");
    mvoi__envelope__free_unpacked(k, NULL);
    /* 2027 pinned to 2026: 27,830 kg */
    m_base(&x, "ed-pinned", "T-KLIMA", "2027");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    x.m.edition = "2026";
    i = expect_ok(&f, &x, &k);
    cr_assert_eq(i->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(i->factors[0]->edition, "2026");
    mvoi__envelope__free_unpacked(k, NULL);
    /* 2026 still with the 2026 list */
    m_base(&x, "ed-2026", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    cr_assert_eq(expect_ok(&f, &x, &k)->co2_avoided_g, 27830000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* unknown edition: an error naming the field */
    m_base(&x, "ed-unknown", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    x.m.edition = "1999";
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".edition");
    expect_absent(&f, "ed-unknown");
    fx_fini(&f);
    h_tmpdir_remove(fdir);
}

Test(impact_it, bad_factors_dir_exits_78_naming_it)
{
    fx_t f;
    fx_init(&f, "/nonexistent/factors");
    cr_assert_eq(h_spawn(&f.imp, f.imp_bin, "impact", f.dir, f.envp_i), 0);
    int st = 0;
    cr_assert_eq(h_wait(&f.imp, 10000, &st), 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 78, "status %d", st);
    char log[600], buf[4096] = "";
    snprintf(log, sizeof log, "%s/impact.log", f.dir);
    FILE *fp = fopen(log, "r");
    cr_assert_not_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    cr_assert(strstr(buf, "/nonexistent/factors"), "log: %s", buf);
    fx_fini(&f);
}

/* ------------------------------------------------------------ bad input */

Test(impact_it, bad_input_names_the_field_and_stores_nothing)
{
    fx_t f;
    fx_up(&f, NULL);
    Mvoi__Envelope *k;
    meas_t x;
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    expect_ok(&f, &x, &k);
    mvoi__envelope__free_unpacked(k, NULL);
    uint64_t h0 = head(&f);
    cr_assert_eq(h0, 1);

    m_base(&x, "bad-neg", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, -5000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.quantity_milli");
    expect_absent(&f, "bad-neg");

    m_base(&x, "bad-absurd", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 900000000000000LL);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.quantity_milli");
    expect_absent(&f, "bad-absurd");

    m_base(&x, "bad-carrier", "T-KLIMA", "2026");
    m_energy(&x, 77, 0, 1000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.carrier");
    expect_absent(&f, "bad-carrier");

    /* a unit that does not fit: litres of HVO against kilograms of CNG */
    m_base(&x, "bad-unit", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, MVOI__CARRIER__CARRIER_CNG, 1000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.reference_carrier");
    expect_absent(&f, "bad-unit");

    m_base(&x, "bad-stage", "T-NOX", "2026");
    m_machine(&x, 150, 42, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 400);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.stage_actual");
    expect_absent(&f, "bad-stage");

    /* Stage IV has no limit below 56 kW */
    m_base(&x, "bad-band", "T-NOX", "2026");
    m_machine(&x, 30, MVOI__EMISSION_STAGE__STAGE_IV, MVOI__EMISSION_STAGE__STAGE_IIIA, 1000, 400);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.stage_actual");

    m_base(&x, "bad-load", "T-NOX", "2026");
    m_machine(&x, 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 1500);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.load_factor_permille");

    m_base(&x, "bad-edition", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    x.m.edition = "2031";
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".edition");

    m_base(&x, "bad-date", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    x.m.period_end = "2025-02-30";
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".period_end");

    m_base(&x, "bad-tender", "T-NOPE", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_NOT_FOUND, ".tender_id");
    expect_absent(&f, "bad-tender");

    /* same id, different content */
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 2000000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, "measurements[0].id");
    /* same id, same content: ok + duplicate, no event */
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    Mvoi__MeasurementResult *r = submit1(&f, &x, &k);
    cr_assert(r->ok && r->duplicate);
    mvoi__envelope__free_unpacked(k, NULL);

    /* cancelled tender */
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "T-CANCEL";
    ct.reason = "test";
    Mvoi__Envelope ce = MVOI__ENVELOPE__INIT;
    ce.request_id = "cancel-1";
    ce.buyer = "heerlen";
    ce.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    ce.cancel_tender = &ct;
    Mvoi__Envelope *cr = NULL;
    cr_assert_eq(h_request(f.capi, &ce, &cr, 5000), 0);
    mvoi__envelope__free_unpacked(cr, NULL);
    h_sleep_ms(500);
    m_base(&x, "bad-cancelled", "T-CANCEL", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, ".tender_id");
    expect_absent(&f, "bad-cancelled");

    /* a batch over the limit */
    size_t n = 10001;
    meas_t *many = calloc(n, sizeof *many);
    meas_t **pp = calloc(n, sizeof *pp);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "big-%zu", i);
        m_base(&many[i], id, "T-KLIMA", "2026");
        m_energy(&many[i], MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
        pp[i] = &many[i];
    }
    Mvoi__Envelope *big = submit(&f, "big-1", pp, n);
    cr_assert_eq(big->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(big->error->code, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED);
    cr_assert_str_eq(big->error->field, "submit_measurements.measurements");
    mvoi__envelope__free_unpacked(big, NULL);
    expect_absent(&f, "big-0");
    free(many);
    free(pp);

    cr_assert_eq(head(&f), h0, "the outbox moved: %lu", (unsigned long)head(&f));
    fx_fini(&f);
}

/* ------------------------------------------------------------ calendar timing */

static void register_tender(fx_t *f, const char *id, const char *group)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.purchasing_group = (char *)group;
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    char rid[64];
    snprintf(rid, sizeof rid, "reg-%s", id);
    e.request_id = rid;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(impact_it, tender_registered_after_start_is_accepted)
{
    fx_t f;
    fx_up(&f, NULL);
    meas_t x;
    m_base(&x, "late-1", "T-LATE", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    expect_field(&f, &x, MVOI__ERROR_CODE__ERR_NOT_FOUND, ".tender_id");
    register_tender(&f, "T-LATE", "late-group");
    fx_wait_tenders(&f, 5);
    Mvoi__Envelope *k;
    cr_assert_eq(expect_ok(&f, &x, &k)->co2_avoided_g, 2783000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    fx_fini(&f);
}

Test(impact_it, calendar_down_known_accepted_unknown_unavailable_then_retried)
{
    fx_t f;
    fx_up(&f, NULL);
    h_kill9(&f.cal);
    h_sleep_ms(1500);   /* > calendar_stale_ms */
    Mvoi__Envelope *k;
    meas_t x, y;
    /* known tender: accepted while the calendar is down */
    m_base(&x, "down-known", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    cr_assert_eq(expect_ok(&f, &x, &k)->co2_avoided_g, 2783000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* unknown tender: the whole request is ERR_UNAVAILABLE, nothing stored */
    uint64_t h0 = head(&f);
    m_base(&y, "down-unknown", "T-NEW", "2026");
    m_energy(&y, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    meas_t *pp[2] = { &x, &y };
    Mvoi__Envelope *r = submit(&f, "down-req", pp, 2);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    cr_assert_str_eq(r->error->field, "submit_measurements.measurements[1].tender_id");
    mvoi__envelope__free_unpacked(r, NULL);
    expect_absent(&f, "down-unknown");
    cr_assert_eq(head(&f), h0);
    /* the calendar comes back, registers the tender: the same request id now succeeds */
    fx_start_cal(&f);
    register_tender(&f, "T-NEW", "nieuw");
    fx_wait_tenders(&f, 5);
    h_sleep_ms(400);
    r = submit(&f, "down-req", pp, 2);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert(r->measurement_reply->results[0]->ok && r->measurement_reply->results[0]->duplicate);
    cr_assert(r->measurement_reply->results[1]->ok && !r->measurement_reply->results[1]->duplicate);
    mvoi__envelope__free_unpacked(r, NULL);
    r = get(&f, "down-unknown");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    cr_assert_str_eq(r->measurement_record->purchasing_group, "nieuw");
    mvoi__envelope__free_unpacked(r, NULL);
    fx_fini(&f);
}

/* ------------------------------------------------------------ corrections, events */

static Mvoi__Envelope *recv_event(void *sub, char *topic, size_t tlen)
{
    zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 5000) <= 0)
        return NULL;
    int n = zmq_recv(sub, topic, tlen - 1, 0);
    topic[n < 0 ? 0 : (n < (int)tlen ? n : (int)tlen - 1)] = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, sub, 0);
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return e;
}

Test(impact_it, correction_and_withdrawal_carry_previous_values)
{
    fx_t f;
    fx_up(&f, NULL);
    void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "impact.", 7);
    zmq_connect(sub, f.pub);
    h_sleep_ms(300);
    Mvoi__Envelope *k;
    meas_t x;
    m_base(&x, "corr-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    expect_ok(&f, &x, &k);
    mvoi__envelope__free_unpacked(k, NULL);
    char topic[64];
    Mvoi__Envelope *ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.computed");
    cr_assert_str_eq(ev->producer, "impact");
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(ev->impact_event->purchasing_group, "infra");
    mvoi__envelope__free_unpacked(ev, NULL);

    /* correction: 20,000 l -> 55,660 kg; previous 27,830 kg travels with it */
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 20000000);
    x.m.reason = "second fuel card";
    Mvoi__CorrectMeasurement cm = MVOI__CORRECT_MEASUREMENT__INIT;
    cm.measurement = &x.m;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "corr-req";
    e.body_case = MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT;
    e.correct_measurement = &cm;
    Mvoi__Envelope *r = call(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert_eq(r->measurement_reply->results[0]->revision, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.corrected");
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 55660000LL);
    cr_assert_eq(ev->impact_event->previous_impact->co2_avoided_g, 27830000LL);
    cr_assert_eq(ev->impact_event->previous->energy->quantity_milli, 10000000LL);
    cr_assert_eq(ev->impact_event->measurement->revision, 2);
    mvoi__envelope__free_unpacked(ev, NULL);

    /* withdrawal: reason required */
    Mvoi__WithdrawMeasurement w = MVOI__WITHDRAW_MEASUREMENT__INIT;
    w.id = "corr-1";
    Mvoi__Envelope we = MVOI__ENVELOPE__INIT;
    we.request_id = "wd-0";
    we.body_case = MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT;
    we.withdraw_measurement = &w;
    r = call(&f, &we);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_str_eq(r->error->field, "withdraw_measurement.reason");
    mvoi__envelope__free_unpacked(r, NULL);
    w.reason = "double counted";
    we.request_id = "wd-1";
    r = call(&f, &we);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    mvoi__envelope__free_unpacked(r, NULL);
    ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.withdrawn");
    cr_assert_eq(ev->impact_event->previous_impact->co2_avoided_g, 55660000LL);
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 0);
    mvoi__envelope__free_unpacked(ev, NULL);

    /* audit trail */
    r = get(&f, "corr-1");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    Mvoi__MeasurementRecord *rec = r->measurement_record;
    cr_assert(rec->withdrawn);
    cr_assert_eq(rec->measurement->revision, 3);
    cr_assert_eq(rec->n_history, 2);
    cr_assert_eq(rec->history[0]->revision, 1);
    cr_assert_eq(rec->history[0]->energy->quantity_milli, 10000000LL);
    cr_assert_eq(rec->history[1]->revision, 2);
    cr_assert_str_eq(rec->history[1]->reason, "second fuel card");
    mvoi__envelope__free_unpacked(r, NULL);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    fx_fini(&f);
}

Test(impact_it, what_if_computes_and_stores_nothing)
{
    fx_t f;
    fx_up(&f, NULL);
    meas_t x;
    m_base(&x, "wi-1", "T-ANY", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    Mvoi__Measurement *mp = &x.m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_COMPUTE_IMPACT;
    e.compute_impact = &sm;
    Mvoi__Envelope *r = call(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert(r->measurement_reply->results[0]->ok);
    cr_assert_eq(r->measurement_reply->results[0]->impact->co2_avoided_g, 27830000LL);
    cr_assert(strstr(r->measurement_reply->results[0]->explanation, "27 830"));
    mvoi__envelope__free_unpacked(r, NULL);
    expect_absent(&f, "wi-1");
    cr_assert_eq(head(&f), 0);
    fx_fini(&f);
}

/* ------------------------------------------------------------ kill -9 while pipelining */

#define KR 120    /* requests */
#define KM 50     /* measurements per request */

static void build_req(int r, uint8_t **buf, size_t *len)
{
    static meas_t ms[KM];
    Mvoi__Measurement *mp[KM];
    for (int i = 0; i < KM; i++) {
        char id[48];
        snprintf(id, sizeof id, "kill-%d-%d", r, i);
        m_base(&ms[i], id, "T-KLIMA", "2026");
        m_energy(&ms[i], MVOI__CARRIER__CARRIER_HVO100, 0, 1000 + i);
        mp[i] = &ms[i].m;
    }
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = KM;
    sm.measurements = mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    char rid[32];
    snprintf(rid, sizeof rid, "kreq-%d", r);
    e.request_id = rid;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    *len = mvoi__envelope__get_packed_size(&e);
    *buf = malloc(*len);
    mvoi__envelope__pack(&e, *buf);
}

/* Send every request at once on one DEALER; collect acknowledgements until `stop_after`
 * (then return early) or all came back. */
static int pipeline(const char *ep, bool *acked, int stop_after, int timeout_ms)
{
    void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(d, ep);
    for (int r = 0; r < KR; r++) {
        uint8_t *b;
        size_t l;
        build_req(r, &b, &l);
        zmq_send(d, b, l, 0);
        free(b);
    }
    int got = 0;
    int64_t end = h_now_ms() + timeout_ms;
    while (got < KR && got < stop_after && h_now_ms() < end) {
        zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, d, 0);
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (e && e->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
            int r = atoi(e->request_id + 5);
            bool all = true;
            for (size_t i = 0; i < e->measurement_reply->n_results; i++)
                all = all && e->measurement_reply->results[i]->ok;
            if (all && r >= 0 && r < KR && !acked[r]) {
                acked[r] = true;
                got++;
            }
        }
        if (e)
            mvoi__envelope__free_unpacked(e, NULL);
    }
    zmq_close(d);
    zmq_ctx_term(ctx);
    return got;
}

typedef struct {
    size_t n;
    const bool *acked;
    int missing;
} s_check_t;

static int s_check_kill(void *t, void *arg)
{
    MDB_txn *txn = t;
    s_check_t *c = arg;
    MDB_dbi d;
    MDB_stat st;
    if (mdb_dbi_open(txn, "measurements", 0, &d) != 0)
        return 0;
    mdb_stat(txn, d, &st);
    c->n = st.ms_entries;
    for (int r = 0; r < KR; r++) {
        if (!c->acked[r])
            continue;
        for (int i = 0; i < KM; i++) {
            char key[64];
            int kl = snprintf(key, sizeof key, "heerlen%ckill-%d-%d", 0, r, i);
            MDB_val k = { (size_t)kl, key }, v;
            if (mdb_get(txn, d, &k, &v) != 0)
                c->missing++;
        }
    }
    return 0;
}

Test(impact_it, kill9_during_pipelined_submission_loses_nothing_counts_once, .timeout = 120)
{
    fx_t f;
    fx_up(&f, NULL);
    bool acked[KR] = { 0 };
    int got = pipeline(f.api, acked, 20, 30000);
    h_kill9(&f.imp);
    cr_assert_geq(got, 1, "nothing was acknowledged before the kill");
    fx_start_imp(&f);
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f.dir);
    s_check_t c = { 0, acked, 0 };
    cr_assert_eq(h_lmdb_read(path, s_check_kill, &c), 0);
    cr_assert_eq(c.missing, 0, "%d acknowledged measurements lost", c.missing);
    cr_assert_geq(c.n, (size_t)got * KM);
    /* Resubmit everything with the same request ids: every measurement once. */
    h_sleep_ms(1500);   /* the feed catches up with the calendar after the restart */
    bool acked2[KR] = { 0 };
    int all = pipeline(f.api, acked2, KR, 60000);
    cr_assert_eq(all, KR, "only %d of %d requests acknowledged after restart", all, KR);
    s_check_t c2 = { 0, acked2, 0 };
    cr_assert_eq(h_lmdb_read(path, s_check_kill, &c2), 0);
    cr_assert_eq(c2.missing, 0);
    cr_assert_eq(c2.n, (size_t)KR * KM);
    cr_assert_eq(head(&f), (uint64_t)KR * KM, "events: %lu, measurements %d",
                 (unsigned long)head(&f), KR * KM);
    fx_fini(&f);
}
