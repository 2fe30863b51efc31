/*  e2e: see e2e.h. */
#include "e2e.h"

#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* ================================================================ fleet */

static const char *s_names[3] = { "calendar", "impact-calculator", "kpi-aggregator" };
static const char *s_bins[3] = { "services/calendar/mvoi-calendar",
                                 "services/impact-calculator/mvoi-impact-calculator",
                                 "services/kpi-aggregator/mvoi-kpi-aggregator" };

const char *e2e_fleet_name(int which) { return s_names[which]; }

void e2e_fleet_init(e2e_fleet_t *f, bool nosync)
{
    memset(f, 0, sizeof *f);
    h_tmpdir(f->dir, sizeof f->dir);
    snprintf(f->capi, 192, "ipc://%s/c.api", f->dir);
    snprintf(f->cpub, 192, "ipc://%s/c.pub", f->dir);
    snprintf(f->iapi, 192, "ipc://%s/i.api", f->dir);
    snprintf(f->ipub, 192, "ipc://%s/i.pub", f->dir);
    snprintf(f->kapi, 192, "ipc://%s/k.api", f->dir);
    snprintf(f->kpub, 192, "ipc://%s/k.pub", f->dir);
    const char *ns = nosync ? "true" : "false";
    char dir[128];
    snprintf(dir, sizeof dir, "%s", f->dir);
    int n[3] = { 0 };
#define P(w, ...) snprintf(f->env[w][n[w]++], 256, __VA_ARGS__)
    for (int w = 0; w < 3; w++) {
        P(w, "MVOI_DATA_DIR=%s", dir);
        P(w, "MVOI_LOG_LEVEL=warn");
    }
    P(E2E_CAL, "MVOI_CALENDAR_API=%s", f->capi);
    P(E2E_CAL, "MVOI_CALENDAR_PUB=%s", f->cpub);
    P(E2E_CAL, "MVOI_CALENDAR_HEARTBEAT_MS=200");
    P(E2E_CAL, "MVOI_CALENDAR_NOSYNC=%s", ns);
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_API=%s", f->iapi);
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_PUB=%s", f->ipub);
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", f->capi);
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", f->cpub);
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_HEARTBEAT_MS=200");
    P(E2E_IMP, "MVOI_IMPACT_CALCULATOR_NOSYNC=%s", ns);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_API=%s", f->kapi);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_PUB=%s", f->kpub);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_CALENDAR_API=%s", f->capi);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_CALENDAR_PUB=%s", f->cpub);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_IMPACT_API=%s", f->iapi);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_IMPACT_PUB=%s", f->ipub);
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_HEARTBEAT_MS=200");
    P(E2E_KPI, "MVOI_KPI_AGGREGATOR_NOSYNC=%s", ns);
#undef P
    for (int w = 0; w < 3; w++) {
        for (int i = 0; i < n[w]; i++)
            f->envp[w][i] = f->env[w][i];
        f->envp[w][n[w]] = NULL;
        h_bin(f->bin[w], sizeof f->bin[w], s_bins[w]);
    }
}

int e2e_fleet_start(e2e_fleet_t *f, int which)
{
    return h_spawn(&f->proc[which], f->bin[which], s_names[which], f->dir, f->envp[which]);
}

static const char *s_api(e2e_fleet_t *f, int which)
{
    return which == E2E_CAL ? f->capi : which == E2E_IMP ? f->iapi : f->kapi;
}

int e2e_fleet_up(e2e_fleet_t *f, int timeout_ms)
{
    for (int w = 0; w < 3; w++) {
        int rc = e2e_fleet_start(f, w);
        if (rc < 0)
            return rc;
    }
    for (int w = 0; w < 3; w++)
        if (h_wait_healthy(s_api(f, w), timeout_ms) != 0)
            return -ETIMEDOUT;
    return 0;
}

int e2e_fleet_kill9_restart(e2e_fleet_t *f, int which)
{
    h_kill9(&f->proc[which]);
    f->restarts[which]++;
    return e2e_fleet_start(f, which);
}

void e2e_fleet_fini(e2e_fleet_t *f, bool keep)
{
    for (int w = 2; w >= 0; w--)
        h_kill9(&f->proc[w]);
    if (!keep && f->dir[0])
        h_tmpdir_remove(f->dir);
}

uint64_t e2e_head(const char *api, int timeout_ms)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *rep = NULL;
    uint64_t head = 0;
    if (h_request(api, &req, &rep, timeout_ms) == 0 && rep) {
        if (rep->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY)
            head = rep->health_reply->head_seq;
        mvoi__envelope__free_unpacked(rep, NULL);
    }
    return head;
}

typedef struct {
    const char *names[2];
    uint64_t seq[2];
} s_cursors_t;

static int s_read_cursors(void *t, void *arg)
{
    s_cursors_t *c = arg;
    MDB_dbi dbi;
    if (mdb_dbi_open(t, "inbox", 0, &dbi) != 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        if (!c->names[i])
            continue;
        MDB_val k = { strlen(c->names[i]), (void *)c->names[i] }, v;
        if (mdb_get(t, dbi, &k, &v) == 0 && v.mv_size == 16) {
            const uint8_t *b = v.mv_data;
            uint64_t x = 0;
            for (int j = 8; j < 16; j++)
                x = (x << 8) | b[j];
            c->seq[i] = x;
        }
    }
    return 0;
}

void e2e_kpi_cursors(e2e_fleet_t *f, uint64_t *cal, uint64_t *imp)
{
    char path[256];
    snprintf(path, sizeof path, "%s/kpi-aggregator", f->dir);
    s_cursors_t c = { { "calendar", "impact" }, { 0, 0 } };
    h_lmdb_read(path, s_read_cursors, &c);
    *cal = c.seq[0];
    *imp = c.seq[1];
}

int e2e_wait_kpi_caught_up(e2e_fleet_t *f, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    uint64_t ch = e2e_head(f->capi, 5000), ih = e2e_head(f->iapi, 5000);
    for (;;) {
        uint64_t c, i;
        e2e_kpi_cursors(f, &c, &i);
        if (ch && ih && c >= ch && i >= ih)
            return 0;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(50);
    }
}

int e2e_wait_impact_knows_calendar(e2e_fleet_t *f, int timeout_ms)
{
    char path[256];
    snprintf(path, sizeof path, "%s/impact-calculator", f->dir);
    int64_t end = h_now_ms() + timeout_ms;
    uint64_t ch = e2e_head(f->capi, 5000);
    for (;;) {
        s_cursors_t c = { { "calendar", NULL }, { 0, 0 } };
        h_lmdb_read(path, s_read_cursors, &c);
        if (ch && c.seq[0] >= ch)
            return 0;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(20);
    }
}

/* ================================================================ closed form
 *
 * Every generated measurement uses one of the input combinations below; its impact is
 * qty x the per-unit result, computed here by hand from DOMAIN.md section 5 (the comment
 * on each row is the arithmetic). Quantities are whole units so that nothing rounds. */

typedef struct {
    int carrier, reference;   /* Mvoi__Carrier; reference 0 = the table's default */
    unsigned grid_year;       /* 0 = none */
    int64_t g_per_unit;       /* g CO2 avoided per litre / kg / Nm3 / kWh */
} s_energy_t;

static const s_energy_t s_energy[] = {
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

typedef struct {
    unsigned power_kw;
    int actual, required;     /* Mvoi__EmissionStage */
    unsigned load_permille;   /* 0 = metered kWh (qty is kWh) */
    int64_t mg_per_unit;      /* mg NOx avoided per hour (or per metered kWh) */
} s_machine_t;

static const s_machine_t s_machine[] = {
    /* 150 kW, load 0.4 = 60 kWh/h; Stage V 0.40 instead of IIIB (130-560) 2.0 g/kWh:
     * 1.6 g/kWh x 60 = 96 g/h (DOMAIN.md's example: 1,000 h = 96 kg) */
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

typedef struct {
    const char *vehicle, *actual, *required;
    bool per_kwh;
    int64_t mg_per_unit;
} s_road_t;

static const s_road_t s_road[] = {
    /* zero-emission car instead of a Euro 6 diesel car: 0.080 g/km */
    { "car_diesel", "zero_emission", "euro6", false, 80 },
    /* zero-emission car instead of a Euro 6 petrol car: 0.060 g/km */
    { "car_petrol", "zero_emission", "euro6", false, 60 },
    /* zero-emission truck instead of Euro VI heavy duty: 0.4 g/kWh */
    { "heavy_duty", "zero_emission", "euro_vi", true, 400 },
};

typedef struct {
    int strategy;             /* Mvoi__RStrategy */
    unsigned sharing_milli;   /* R1 only */
    bool renewable;
    int64_t num, den;         /* avoided primary g = mass_g x num / den */
} s_material_t;

/* mass_g = 4 x qty so that R1's 3/4 is exact. */
static const s_material_t s_material[] = {
    { MVOI__RSTRATEGY__R2_REDUCE, 0, false, 1, 1 },      /* R2: the whole saved mass */
    { MVOI__RSTRATEGY__R3_REUSE, 0, false, 1, 1 },       /* R3: the reused mass */
    { MVOI__RSTRATEGY__R8_RECYCLE, 0, false, 1, 1 },     /* R8: the secondary content */
    { MVOI__RSTRATEGY__R1_RETHINK, 4000, false, 3, 4 },  /* R1, 4 users: 1 - 1/4 */
    { MVOI__RSTRATEGY__R9_RECOVER, 0, false, 0, 1 },     /* R9: nothing avoided */
    { MVOI__RSTRATEGY__R0_REFUSE, 0, true, 0, 1 },       /* biobased: renewable, not avoided */
};

typedef struct {
    const char *group;        /* target group, NULL = none */
    unsigned months;          /* FTE-months per qty */
    bool bonus;
    unsigned hours;           /* social-project hours per qty */
    int64_t invoice_cents;    /* invoices at social enterprises per qty */
    int64_t cents_per_unit;
} s_social_t;

static const s_social_t s_social[] = {
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

static const char *s_categories[] = { "koffie", "textiel", "bedrijfskleding", "catering",
                                      "elektronica" };
static const unsigned s_ncombos[K_N] = {
    sizeof s_energy / sizeof s_energy[0], sizeof s_machine / sizeof s_machine[0],
    sizeof s_road / sizeof s_road[0], sizeof s_material / sizeof s_material[0],
    sizeof s_social / sizeof s_social[0], 5, 1, 1 };
static const unsigned s_maxqty[K_N] = { 20000, 2000, 50000, 500000, 12, 500, 100000, 1 };
static const uint8_t s_kind_theme[K_N] = { 1, 3, 3, 2, 6, 4, 3, 0 };

int e2e_expected(const e2e_mv_t *m, int64_t *amount, int64_t *risk)
{
    *amount = 0;
    *risk = 0;
    switch (m->kind) {
    case K_ENERGY: *amount = (int64_t)m->qty * s_energy[m->combo].g_per_unit; return 5;
    case K_MACHINE: *amount = (int64_t)m->qty * s_machine[m->combo].mg_per_unit; return 3;
    case K_ROAD: *amount = (int64_t)m->qty * s_road[m->combo].mg_per_unit; return 3;
    case K_MATERIAL:
        *amount = 4 * (int64_t)m->qty * s_material[m->combo].num / s_material[m->combo].den;
        return 4;
    case K_SOCIAL: *amount = (int64_t)m->qty * s_social[m->combo].cents_per_unit; return 2;
    case K_FAIRTRADE:
        *amount = (int64_t)m->qty * m->combo / 4;   /* products_fair as generated */
        *risk = m->qty;
        return 1;
    case K_MKI: return 0;   /* MKI (euro) is not one of the six KPIs */
    case K_PILOT: *amount = 1; return 6;
    }
    return 0;
}

/* ================================================================ workload */

static uint64_t s_next(uint64_t *s)   /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t s_rnd(uint64_t *s, uint32_t n) { return (uint32_t)(s_next(s) % n); }

static void s_inputs(uint64_t *s, e2e_mv_t *m)
{
    m->combo = (uint8_t)s_rnd(s, s_ncombos[m->kind]);
    m->qty = 1 + s_rnd(s, s_maxqty[m->kind]);
    m->theme = m->kind == K_PILOT ? (uint8_t)(1 + s_rnd(s, 6)) : s_kind_theme[m->kind];
}

static void s_date(uint64_t *s, e2e_mv_t *m)
{
    m->year = (uint16_t)(2025 + s_rnd(s, 2));
    m->month = (uint8_t)(1 + s_rnd(s, 12));
    m->day = (uint8_t)(1 + s_rnd(s, 28));
}

typedef struct {
    uint32_t due, seq;
    uint32_t id;
    uint8_t what;   /* R_CORRECT or R_WITHDRAW */
} s_follow_t;

static int s_follow_cmp(const void *a, const void *b)
{
    const s_follow_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

e2e_wl_t *e2e_wl_new(uint64_t seed, uint32_t ntenders, uint32_t nmeas, uint32_t batch)
{
    e2e_wl_t *w = calloc(1, sizeof *w);
    uint64_t s = seed;
    w->seed = seed;
    w->ntenders = ntenders;
    w->nmeas = nmeas;
    w->tenders = calloc(ntenders + 1, sizeof *w->tenders);
    for (uint32_t i = 1; i <= ntenders; i++) {
        e2e_tender_t *x = &w->tenders[i];
        wl_tender_t *t = &x->t;
        t->idx = (uint16_t)i;
        t->buyer = s_rnd(&s, 100) < 85 ? 0 : 1;
        t->group = (uint8_t)(1 + s_rnd(&s, 8));
        t->pub_year = (uint16_t)(2025 + s_rnd(&s, 2));
        t->pub_month = (uint8_t)(1 + s_rnd(&s, 12));
        t->pub_day = (uint8_t)(1 + s_rnd(&s, 28));
        t->pilot = s_rnd(&s, 100) < 12;
        uint8_t nth = (uint8_t)s_rnd(&s, 4);
        for (int k = 0; k < nth; k++) {
            uint8_t th = (uint8_t)(1 + s_rnd(&s, 6));
            bool dup = false;
            for (int j = 0; j < t->nthemes; j++)
                dup |= t->themes[j] == th;
            if (!dup)
                t->themes[t->nthemes++] = th;
        }
        bool social = false;
        for (int j = 0; j < t->nthemes; j++)
            social |= t->themes[j] == 6;
        x->kind = (uint8_t)(1 + s_rnd(&s, 3));
        /* a multiple of 100 euro, so that the obligation pct x value is exact */
        x->value_cents = (int64_t)(1 + s_rnd(&s, 50000)) * 10000;
        x->sroi_bp = social || s_rnd(&s, 100) < 50 ? 200 + s_rnd(&s, 301) : 0;
        t->sroi = x->value_cents / 10000 * x->sroi_bp;
    }

    /* originals, then batches per buyer (a request has one buyer) */
    size_t cap_mv = (size_t)nmeas * 2 + 64;
    w->mv = calloc(cap_mv, sizeof *w->mv);
    for (uint32_t i = 0; i < nmeas; i++) {
        e2e_mv_t *m = &w->mv[i];
        m->id = i + 1;
        const wl_tender_t *t = &w->tenders[1 + s_rnd(&s, ntenders)].t;
        m->tender = t->idx;
        m->buyer = t->buyer;
        m->group = t->group;
        m->phase = s_rnd(&s, 100) < 30 ? 1 : 2;
        /* every kind; pilots and MKI rarer */
        uint32_t r = s_rnd(&s, 100);
        m->kind = r < 2 ? K_PILOT : r < 6 ? K_MKI : (uint8_t)(r % 6);
        w->per_kind[m->kind]++;
        s_inputs(&s, m);
        s_date(&s, m);
    }
    w->nmv = nmeas;
    w->items = calloc(nmeas, sizeof *w->items);
    uint32_t *batch_of = calloc(nmeas + 1, sizeof *batch_of);   /* by id */
    size_t nbatches = 0;
    size_t cap_req = ntenders * 2 + nmeas / (batch ? batch : 1) + nmeas / 5 + 64;
    w->req = calloc(cap_req, sizeof *w->req);
    /* batch boundaries, computed first so that follow-ups can be scheduled by batch */
    typedef struct { uint32_t off, n; uint8_t buyer; } s_batch_t;
    s_batch_t *batches = calloc(nmeas / (batch ? batch : 1) + 4, sizeof *batches);
    {
        uint32_t *pend[2];
        uint32_t npend[2] = { 0, 0 };
        pend[0] = malloc(batch * sizeof(uint32_t));
        pend[1] = malloc(batch * sizeof(uint32_t));
        for (uint32_t i = 0; i <= nmeas; i++) {
            for (int b = 0; b < 2; b++) {
                bool flush = npend[b] == batch || (i == nmeas && npend[b] > 0);
                if (!flush)
                    continue;
                batches[nbatches] = (s_batch_t){ (uint32_t)w->nitems, npend[b], (uint8_t)b };
                for (uint32_t k = 0; k < npend[b]; k++) {
                    w->items[w->nitems++] = pend[b][k];
                    batch_of[pend[b][k] + 1] = (uint32_t)nbatches;
                }
                nbatches++;
                npend[b] = 0;
            }
            if (i < nmeas)
                pend[w->mv[i].buyer][npend[w->mv[i].buyer]++] = i;
        }
        free(pend[0]);
        free(pend[1]);
    }
    /* follow-ups: ~5 % corrected (some twice, some then withdrawn), ~2 % withdrawn */
    s_follow_t *fu = calloc(nmeas / 4 + 16, sizeof *fu);
    size_t nfu = 0;
    for (uint32_t id = 1; id <= nmeas; id++) {
        uint32_t r = s_rnd(&s, 1000);
        uint32_t due = batch_of[id] + 2 + s_rnd(&s, 24);
        if (r < 50) {
            fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_CORRECT };
            nfu++;
            if (s_rnd(&s, 100) < 15) {
                due += 1 + s_rnd(&s, 8);
                fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_CORRECT };
                nfu++;
            }
            if (s_rnd(&s, 100) < 8) {
                due += 1 + s_rnd(&s, 8);
                fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_WITHDRAW };
                nfu++;
            }
        } else if (r < 70) {
            fu[nfu] = (s_follow_t){ due, (uint32_t)nfu, id, R_WITHDRAW };
            nfu++;
        }
    }
    qsort(fu, nfu, sizeof *fu, s_follow_cmp);

    w->final = calloc(nmeas + 1, sizeof *w->final);
    w->withdrawn = calloc(nmeas + 1, sizeof *w->withdrawn);
    int32_t *last_req = calloc(nmeas + 1, sizeof *last_req);
    for (uint32_t t = 1; t <= ntenders; t++)
        w->req[w->nreq++] = (e2e_req_t){ R_TENDER, w->tenders[t].t.buyer, t, 0, -1 };
    w->first_meas_req = w->nreq;
    size_t f = 0;
    for (size_t b = 0; b <= nbatches; b++) {
        if (b < nbatches) {
            int32_t ri = (int32_t)w->nreq;
            w->req[w->nreq++] = (e2e_req_t){ R_SUBMIT, batches[b].buyer, batches[b].off,
                                             batches[b].n, -1 };
            for (uint32_t k = 0; k < batches[b].n; k++) {
                uint32_t mi = w->items[batches[b].off + k];
                last_req[w->mv[mi].id] = ri;
                w->final[w->mv[mi].id] = mi;
            }
        }
        while (f < nfu && (fu[f].due <= b || b == nbatches)) {
            const s_follow_t *x = &fu[f++];
            if (w->withdrawn[x->id])
                continue;
            const e2e_mv_t *cur = &w->mv[w->final[x->id]];
            int32_t ri = (int32_t)w->nreq;
            if (x->what == R_CORRECT) {
                e2e_mv_t *m = &w->mv[w->nmv];
                *m = *cur;
                s_inputs(&s, m);
                if (s_rnd(&s, 100) < 30)
                    m->phase = m->phase == 1 ? 2 : 1;
                if (s_rnd(&s, 100) < 30)
                    s_date(&s, m);
                w->req[w->nreq++] = (e2e_req_t){ R_CORRECT, m->buyer, (uint32_t)w->nmv, 1,
                                                 last_req[x->id] };
                w->final[x->id] = (uint32_t)w->nmv++;
                w->corrections++;
            } else {
                w->req[w->nreq++] = (e2e_req_t){ R_WITHDRAW, cur->buyer, w->final[x->id], 1,
                                                 last_req[x->id] };
                w->withdrawn[x->id] = true;
                w->withdrawals++;
            }
            last_req[x->id] = ri;
        }
    }
    /* a few tenders are cancelled at the end: they leave the project counts */
    w->first_cancel_req = w->nreq;
    for (int k = 0; k < 6 && ntenders > 12; k++) {
        uint32_t t = 1 + s_rnd(&s, ntenders);
        if (w->tenders[t].t.cancelled)
            continue;
        w->tenders[t].t.cancelled = true;
        w->req[w->nreq++] = (e2e_req_t){ R_CANCEL, w->tenders[t].t.buyer, t, 0, -1 };
        w->cancels++;
    }
    free(fu);
    free(last_req);
    free(batch_of);
    free(batches);
    return w;
}

void e2e_wl_destroy(e2e_wl_t **self_p)
{
    e2e_wl_t *w = *self_p;
    if (!w)
        return;
    *self_p = NULL;
    free(w->tenders);
    free(w->mv);
    free(w->items);
    free(w->req);
    free(w->final);
    free(w->withdrawn);
    free(w);
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

/* ================================================================ encoding */

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
    case K_ENERGY: {
        const s_energy_t *c = &s_energy[x->combo];
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
        break;
    }
    case K_MACHINE: {
        const s_machine_t *c = &s_machine[x->combo];
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
        break;
    }
    case K_ROAD: {
        const s_road_t *c = &s_road[x->combo];
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
        break;
    }
    case K_MATERIAL: {
        const s_material_t *c = &s_material[x->combo];
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
        break;
    }
    case K_SOCIAL: {
        const s_social_t *c = &s_social[x->combo];
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
        break;
    }
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
    snprintf(rid, ridlen, "e2e-%llx-%zu", (unsigned long long)w->seed, i);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = rid;
    env.buyer = (char *)wl_buyer(r->buyer);
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

/* ================================================================ sender */

struct e2e_sender {
    void *zctx, *sock;
    char endpoint[256];
    int window, retry_ms;
    size_t resent, duplicates;
};

static void *s_dealer(void *zctx, const char *ep)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_connect(s, ep);
    return s;
}

e2e_sender_t *e2e_sender_new(void *zctx, const char *endpoint, int window, int retry_ms)
{
    e2e_sender_t *s = calloc(1, sizeof *s);
    s->zctx = zctx;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    s->window = window;
    s->retry_ms = retry_ms;
    s->sock = s_dealer(zctx, endpoint);
    return s;
}

void e2e_sender_destroy(e2e_sender_t **self_p)
{
    e2e_sender_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    zmq_close(s->sock);
    free(s);
}

size_t e2e_sender_resent(const e2e_sender_t *s) { return s->resent; }
size_t e2e_sender_duplicates(const e2e_sender_t *s) { return s->duplicates; }

static int s_send(e2e_sender_t *s, const e2e_wl_t *w, size_t i)
{
    char rid[64];
    size_t len;
    uint8_t *buf = e2e_encode(w, i, &len, rid, sizeof rid);
    int rc = zmq_send(s->sock, buf, len, 0);
    free(buf);
    return rc < 0 ? -errno : 0;
}

/* 1 ok, 0 retry later (ERR_UNAVAILABLE), -EPROTO failure (err set). */
static int s_check(const e2e_wl_t *w, size_t i, const Mvoi__Envelope *e, size_t *dups,
                   char *err, size_t errlen)
{
    const e2e_req_t *r = &w->req[i];
    if (e->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        if (e->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE)
            return 0;
        snprintf(err, errlen, "request %zu (kind %d): error %d %s: %s", i, r->kind,
                 e->error->code, e->error->field ? e->error->field : "",
                 e->error->message ? e->error->message : "");
        return -EPROTO;
    }
    if (r->kind == R_TENDER || r->kind == R_CANCEL) {
        if (e->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY) {
            snprintf(err, errlen, "request %zu: unexpected reply %d", i, e->body_case);
            return -EPROTO;
        }
        return 1;
    }
    if (e->body_case != MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY
        || e->measurement_reply->n_results != (r->kind == R_SUBMIT ? r->n : 1)) {
        snprintf(err, errlen, "request %zu: unexpected reply %d", i, e->body_case);
        return -EPROTO;
    }
    for (size_t k = 0; k < e->measurement_reply->n_results; k++) {
        const Mvoi__MeasurementResult *x = e->measurement_reply->results[k];
        if (!x->ok) {
            snprintf(err, errlen, "request %zu item %zu (%s): %s: %s", i, k,
                     x->id ? x->id : "", x->error && x->error->field ? x->error->field : "",
                     x->error && x->error->message ? x->error->message : "");
            return -EPROTO;
        }
        if (x->duplicate) {
            (*dups)++;
            if (getenv("E2E_DEBUG"))
                fprintf(stderr, "e2e: request %zu (kind %d, %zu items) item %zu %s: duplicate\n",
                        i, r->kind, e->measurement_reply->n_results, k, x->id ? x->id : "");
        }
    }
    return 1;
}

int e2e_sender_run(e2e_sender_t *s, const e2e_wl_t *w, size_t from, size_t to,
                   e2e_hook_fn *hook, void *arg, int timeout_ms, char *err, size_t errlen)
{
    size_t n = to - from;
    uint8_t *st = calloc(n, 1);              /* 0 pending, 1 in flight, 2 acked */
    int64_t *sent = calloc(n, sizeof *sent);
    size_t next = 0, acked = 0, inflight = 0;
    int64_t progress = h_now_ms();
    int rc = 0;
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "e2e-%llx-", (unsigned long long)w->seed);
    while (acked < n) {
        /* send what the window and the dependencies allow, in order */
        while (next < n && inflight < (size_t)s->window) {
            int32_t d = w->req[from + next].dep;
            if (d >= 0 && (size_t)d >= from && st[d - from] != 2)
                break;
            if ((rc = s_send(s, w, from + next)) < 0)
                goto out;
            st[next] = 1;
            sent[next] = h_now_ms();
            inflight++;
            next++;
        }
        zmq_pollitem_t it = { s->sock, 0, ZMQ_POLLIN, 0 };
        int p = zmq_poll(&it, 1, 50);
        int64_t now = h_now_ms();
        bool restarted = false;
        if (p > 0) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) >= 0) {
                Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m),
                                                           zmq_msg_data(&m));
                zmq_msg_close(&m);
                size_t i;
                if (e && e->request_id && strncmp(e->request_id, prefix, (size_t)plen) == 0
                    && sscanf(e->request_id + plen, "%zu", &i) == 1 && i >= from && i < to
                    && st[i - from] == 1) {
                    int c = s_check(w, i, e, &s->duplicates, err, errlen);
                    if (c < 0) {
                        mvoi__envelope__free_unpacked(e, NULL);
                        rc = c;
                        goto out;
                    }
                    if (c == 0) {
                        sent[i - from] = now - s->retry_ms + 200;   /* retry in 200 ms */
                    } else {
                        st[i - from] = 2;
                        inflight--;
                        acked++;
                        progress = now;
                        if (hook && hook(arg, acked))
                            restarted = true;
                    }
                }
                if (e)
                    mvoi__envelope__free_unpacked(e, NULL);
            } else {
                zmq_msg_close(&m);
            }
        }
        if (restarted) {
            /* the server restarted: what was in flight may be lost; a new connection,
             * and every unacknowledged request again with the same request id */
            zmq_close(s->sock);
            s->sock = s_dealer(s->zctx, s->endpoint);
            for (size_t k = 0; k < next; k++)
                if (st[k] == 1) {
                    if ((rc = s_send(s, w, from + k)) < 0)
                        goto out;
                    sent[k] = now;
                    s->resent++;
                    if (getenv("E2E_DEBUG"))
                        fprintf(stderr, "e2e: resend %zu after restart\n", from + k);
                }
        } else {
            for (size_t k = 0; k < next; k++)
                if (st[k] == 1 && now - sent[k] > s->retry_ms) {
                    if ((rc = s_send(s, w, from + k)) < 0)
                        goto out;
                    sent[k] = now;
                    s->resent++;
                    if (getenv("E2E_DEBUG"))
                        fprintf(stderr, "e2e: resend %zu after timeout\n", from + k);
                }
        }
        if (now - progress > timeout_ms) {
            snprintf(err, errlen, "no progress for %d ms (%zu of %zu acknowledged)",
                     timeout_ms, acked, n);
            rc = -ETIMEDOUT;
            goto out;
        }
    }
out:
    free(st);
    free(sent);
    return rc;
}
