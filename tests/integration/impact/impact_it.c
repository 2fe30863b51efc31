/*  impact_it: the fixture of the impact-calculator integration tests (test_impact_*.c): the
 *  real binary and mvoi-impact-fakecal in a fresh directory, measurement builders, and calls
 *  with their assertions. */
#include "impact_it.h"

#include <criterion/criterion.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TENDERS "T-KLIMA|infra|100000000|500;T-NOX|groen|50000000|200;" \
                "T-SROI|sociaal|100000000|500;T-CANCEL|infra|1000000|200"



void fx_init(fx_t *f, const char *factors_dir)
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

void fx_start_cal(fx_t *f)
{
    cr_assert_eq(h_spawn(&f->cal, f->cal_bin, "fakecal", f->dir, f->envp_c), 0);
    cr_assert_eq(h_wait_healthy(f->capi, 10000), 0, "fakecal did not come up");
}

void fx_start_imp(fx_t *f)
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
void fx_wait_tenders(fx_t *f, size_t n)
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

void fx_up(fx_t *f, const char *factors_dir)
{
    fx_init(f, factors_dir);
    fx_start_cal(f);
    fx_start_imp(f);
    fx_wait_tenders(f, 4);
    h_sleep_ms(300);   /* a calendar heartbeat: the feed is current */
}

void fx_env_imp(fx_t *f, const char *const *vars)
{
    size_t e = 0, cap = sizeof f->env_i / sizeof f->env_i[0];
    while (f->envp_i[e])
        e++;
    for (; *vars; vars++, e++) {
        cr_assert_lt(e, cap, "no room for %s in the environment", *vars);
        snprintf(f->env_i[e], sizeof f->env_i[e], "%s", *vars);
        f->envp_i[e] = f->env_i[e];
    }
    f->envp_i[e] = NULL;
}

void fx_restart_imp_with(fx_t *f, const char *const *vars)
{
    int st = 0;
    h_signal(&f->imp, SIGTERM);
    cr_assert_eq(h_wait(&f->imp, 10000, &st), 0);
    fx_env_imp(f, vars);
    fx_start_imp(f);
    h_sleep_ms(300);   /* a calendar heartbeat: the feed is current */
}

void fx_fini(fx_t *f)
{
    h_kill9(&f->imp);
    h_kill9(&f->cal);
    h_tmpdir_remove(f->dir);
}

/* ---- measurements */


void m_base(meas_t *x, const char *id, const char *tender, const char *year)
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

void m_energy(meas_t *x, int carrier, int ref, int64_t qmilli)
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

void m_machine(meas_t *x, uint32_t kw, int act, int req, int64_t hours_milli,
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

Mvoi__Envelope *fx_call(fx_t *f, Mvoi__Envelope *e)
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

Mvoi__Envelope *fx_submit(fx_t *f, const char *rid, meas_t **items, size_t n)
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
    Mvoi__Envelope *r = fx_call(f, &e);
    free(ms);
    return r;
}

bool fx_tender_pending(const Mvoi__Envelope *r)
{
    if (r->body_case != MVOI__ENVELOPE__BODY_ERROR ||
        r->error->code != MVOI__ERROR_CODE__ERR_UNAVAILABLE || !r->error->field)
        return false;
    size_t n = strlen(r->error->field);
    return n >= 10 && strcmp(r->error->field + n - 10, ".tender_id") == 0;
}

Mvoi__Envelope *fx_submit_settled(fx_t *f, const char *rid, meas_t **items, size_t n,
                                  int *asked)
{
    int64_t end = h_now_ms() + 5000;
    for (int k = 1;; k++) {
        Mvoi__Envelope *r = fx_submit(f, rid, items, n);
        if (asked)
            *asked = k;
        if (!fx_tender_pending(r) || h_now_ms() >= end)
            return r;
        mvoi__envelope__free_unpacked(r, NULL);
        h_sleep_ms(20);
    }
}

/* Submit one measurement and return its result (asserting the reply shape). */
Mvoi__MeasurementResult *fx_submit1(fx_t *f, meas_t *x, Mvoi__Envelope **keep)
{
    /* A request id per call: two submits of one measurement id in the same millisecond
     * (a fast machine) were one request id, and the second got the first's stored reply. */
    static unsigned n;
    char rid[96];
    snprintf(rid, sizeof rid, "r-%s-%lld-%u", x->id, (long long)h_now_ms(), ++n);
    *keep = fx_submit_settled(f, rid, &x, 1, NULL);
    cr_assert_eq((*keep)->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY,
                 "reply body %d (%s)", (*keep)->body_case,
                 (*keep)->body_case == MVOI__ENVELOPE__BODY_ERROR ? (*keep)->error->message : "");
    cr_assert_eq((*keep)->measurement_reply->n_results, 1);
    return (*keep)->measurement_reply->results[0];
}

Mvoi__Impact *fx_expect_ok(fx_t *f, meas_t *x, Mvoi__Envelope **keep)
{
    Mvoi__MeasurementResult *r = fx_submit1(f, x, keep);
    cr_assert(r->ok, "%s refused: %s", x->id, r->error && r->error->message ? r->error->message : "");
    cr_assert_not_null(r->impact);
    return r->impact;
}

void fx_expect_field(fx_t *f, meas_t *x, int code, const char *field_suffix)
{
    Mvoi__Envelope *keep;
    Mvoi__MeasurementResult *r = fx_submit1(f, x, &keep);
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

Mvoi__Envelope *fx_get(fx_t *f, const char *id)
{
    Mvoi__GetMeasurement g = MVOI__GET_MEASUREMENT__INIT;
    g.id = (char *)id;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_GET_MEASUREMENT;
    e.get_measurement = &g;
    return fx_call(f, &e);
}

uint64_t fx_head(fx_t *f)
{
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    Mvoi__Envelope *r = fx_call(f, &e);
    uint64_t h = r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY ? r->health_reply->head_seq : 0;
    mvoi__envelope__free_unpacked(r, NULL);
    return h;
}

void fx_expect_absent(fx_t *f, const char *id)
{
    Mvoi__Envelope *r = fx_get(f, id);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s was stored", id);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
    mvoi__envelope__free_unpacked(r, NULL);
}
