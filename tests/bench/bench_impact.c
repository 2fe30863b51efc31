/*  bench_impact: the impact-calculator's two rates.
 *
 *  1. In-process: calc_impact() per second over a mix of kinds (energy, grid electricity,
 *     machine, road, social), with the shipped factor tables. Goal >= 1,000,000/s.
 *  2. Through the running service: mvoi-impact-calculator (real process, fed by
 *     mvoi-impact-fakecal) gets pipelined SubmitMeasurements of `per` measurements each on one
 *     DEALER (window of `window` requests in flight); a SUB counts the impact.computed
 *     events. Against it, in the same run, a raw ZeroMQ baseline: a ROUTER thread that answers
 *     each request of the same bytes and publishes `per` messages of the event's size on a
 *     PUB, with the same DEALER/SUB client. Both rates are measurements (events) per second;
 *     goal: service >= 20 % of raw.
 *
 *  usage: bench_impact [N_CALC] [N_MEASUREMENTS] [PER_REQUEST] [WINDOW] [sync|nosync]
 *  defaults: 2000000 200000 100 32 sync
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "calc.h"
#include "codec.h"
#include "factors.h"
#include "harness.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ measurements */

typedef struct {
    Mvoi__Measurement m;
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__RoadTransport r;
    Mvoi__SocialReturn s;
    char id[48];
} meas_t;

static void s_fill(meas_t *x, uint64_t n, const char *tender, int kind)
{
    memset(x, 0, sizeof *x);
    mvoi__measurement__init(&x->m);
    mvoi__energy_use__init(&x->e);
    mvoi__machine_use__init(&x->mu);
    mvoi__road_transport__init(&x->r);
    mvoi__social_return__init(&x->s);
    snprintf(x->id, sizeof x->id, "b-%llu", (unsigned long long)n);
    x->m.id = x->id;
    x->m.tender_id = (char *)tender;
    x->m.has_phase = 1;
    x->m.phase = MVOI__PHASE__PHASE_REALISATION;
    x->m.period_start = "2026-01-01";
    x->m.period_end = "2026-01-31";
    x->m.submitter = "fuelcard";
    switch (kind % 5) {
    case 0:
    case 1:
        x->m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
        x->m.energy = &x->e;
        x->e.has_carrier = 1;
        x->e.carrier = kind % 5 ? MVOI__CARRIER__CARRIER_ELECTRICITY_GRID
                                : MVOI__CARRIER__CARRIER_HVO100;
        if (kind % 5) {
            x->e.has_reference_carrier = 1;
            x->e.reference_carrier = MVOI__CARRIER__CARRIER_ELECTRICITY_GREY;
        }
        x->e.has_quantity_milli = 1;
        x->e.quantity_milli = 1000 + (int64_t)(n % 100000) * 7;
        break;
    case 2:
        x->m.kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
        x->m.machine = &x->mu;
        x->mu.has_power_kw = x->mu.has_stage_actual = x->mu.has_stage_required = 1;
        x->mu.power_kw = 150;
        x->mu.stage_actual = MVOI__EMISSION_STAGE__STAGE_V;
        x->mu.stage_required = MVOI__EMISSION_STAGE__STAGE_IIIB;
        x->mu.has_hours_milli = x->mu.has_load_factor_permille = 1;
        x->mu.hours_milli = 8000 + (int64_t)(n % 1000);
        x->mu.load_factor_permille = 400;
        break;
    case 3:
        x->m.kind_case = MVOI__MEASUREMENT__KIND_ROAD;
        x->m.road = &x->r;
        x->r.vehicle_class = "car_diesel";
        x->r.euro_class_actual = "euro6";
        x->r.euro_class_required = "euro5";
        x->r.has_km_milli = 1;
        x->r.km_milli = 100000 + (int64_t)(n % 1000);
        break;
    default:
        x->m.kind_case = MVOI__MEASUREMENT__KIND_SOCIAL;
        x->m.social = &x->s;
        x->s.target_group = "participatiewet";
        x->s.has_fte_months_milli = 1;
        x->s.fte_months_milli = 1000;
        break;
    }
}

static double bench_calc(uint64_t n)
{
    factors_t *f = factors_new();
    char err[512];
    if (factors_load_dir(f, MVOI_IMPACT_DATA_DIR_SRC, err, sizeof err) != 0) {
        fprintf(stderr, "factors: %s\n", err);
        return -1;
    }
    enum { MIX = 1000 };
    meas_t *ms = calloc(MIX, sizeof *ms);
    for (int i = 0; i < MIX; i++)
        s_fill(&ms[i], (uint64_t)i, "T", i);
    int64_t sink = 0;
    impact_error_t ie;
    double t0 = s_now();
    for (uint64_t i = 0; i < n; i++) {
        Mvoi__Impact *imp = NULL;
        if (calc_impact(f, &ms[i % MIX].m, &imp, &ie) != 0) {
            fprintf(stderr, "calc failed: %s\n", ie.message);
            return -1;
        }
        sink += imp->co2_avoided_g + imp->nox_avoided_mg + imp->sroi_realised_cents;
        calc_impact_free(&imp);
    }
    double dt = s_now() - t0;
    if (sink == 42)
        printf("(sink)\n");
    free(ms);
    factors_destroy(&f);
    return (double)n / dt;
}

/* ------------------------------------------------------------ requests */

static uint8_t *s_request(uint64_t r, int per, const char *run, size_t *len)
{
    meas_t *ms = calloc((size_t)per, sizeof *ms);
    Mvoi__Measurement **mp = calloc((size_t)per, sizeof *mp);
    for (int i = 0; i < per; i++) {
        s_fill(&ms[i], r * (uint64_t)per + (uint64_t)i, "T-BENCH", i);
        char id[48];
        snprintf(id, sizeof id, "%s-%llu", run, (unsigned long long)(r * (uint64_t)per + i));
        snprintf(ms[i].id, sizeof ms[i].id, "%s", id);
        mp[i] = &ms[i].m;
    }
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = (size_t)per;
    sm.measurements = mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    char rid[64];
    snprintf(rid, sizeof rid, "%s-r%llu", run, (unsigned long long)r);
    e.request_id = rid;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    *len = mvoi__envelope__get_packed_size(&e);
    uint8_t *b = malloc(*len);
    mvoi__envelope__pack(&e, b);
    free(ms);
    free(mp);
    return b;
}

/* Pipelined client: `reqs` requests, `window` in flight, counting `events` on the SUB.
 * Returns events per second from the first send to the last event. */
static double s_client(const char *api, const char *pub, uint8_t **reqs, size_t *lens,
                       uint64_t nreq, int window, uint64_t events)
{
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER), *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, big = 1000000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &big, sizeof big);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "impact.", 7);
    zmq_connect(sub, pub);
    zmq_connect(d, api);
    h_sleep_ms(300);   /* slow joiner */
    uint64_t sent = 0, replied = 0, got = 0;
    double t0 = s_now(), deadline = t0 + 300;
    while ((got < events || replied < nreq) && s_now() < deadline) {
        while (sent < nreq && sent - replied < (uint64_t)window) {
            zmq_send(d, reqs[sent], lens[sent], 0);
            sent++;
        }
        zmq_pollitem_t it[2] = { { d, 0, ZMQ_POLLIN, 0 }, { sub, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(it, 2, 1000) <= 0)
            continue;
        zmq_msg_t m;
        while (it[0].revents) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, d, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            zmq_msg_close(&m);
            replied++;
        }
        for (int k = 0; k < 100000; k++) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, sub, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            int more = zmq_msg_more(&m);
            codec_slice_t body, ev;
            if (!more && codec_batch_open(zmq_msg_data(&m), zmq_msg_size(&m), &body) == 1)
                while (codec_batch_next(&body, &ev) == 1)   /* an EventBatch */
                    got++;
            else if (!more)
                got++;
            zmq_msg_close(&m);
        }
    }
    double dt = s_now() - t0;
    zmq_close(d);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    if (got < events) {
        fprintf(stderr, "only %llu of %llu events (%llu of %llu replies)\n",
                (unsigned long long)got, (unsigned long long)events,
                (unsigned long long)replied, (unsigned long long)nreq);
        return -1;
    }
    return (double)events / dt;
}

/* ------------------------------------------------------------ raw baseline */

typedef struct {
    void *ctx;
    char api[128], pub[128];
    int per;
    size_t ev_size;
    uint64_t nreq;
} raw_t;

static void *s_raw_server(void *arg)
{
    raw_t *r = arg;
    void *router = zmq_socket(r->ctx, ZMQ_ROUTER), *pub = zmq_socket(r->ctx, ZMQ_PUB);
    int big = 1000000, zero = 0;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &big, sizeof big);
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_bind(router, r->api);
    zmq_bind(pub, r->pub);
    uint8_t *ev = calloc(1, r->ev_size);
    uint8_t reply[64] = { 0 };
    for (uint64_t n = 0; n < r->nreq; n++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, router, 0) < 0 || zmq_msg_recv(&body, router, 0) < 0)
            break;
        for (int i = 0; i < r->per; i++) {
            zmq_send(pub, "impact.computed", 15, ZMQ_SNDMORE);
            zmq_send(pub, ev, r->ev_size, 0);
        }
        zmq_msg_send(&id, router, ZMQ_SNDMORE);
        zmq_send(router, reply, sizeof reply, 0);
        zmq_msg_close(&body);
    }
    h_sleep_ms(200);
    free(ev);
    zmq_close(router);
    zmq_close(pub);
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t ncalc = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    uint64_t nmeas = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
    int per = argc > 3 ? atoi(argv[3]) : 100;
    int window = argc > 4 ? atoi(argv[4]) : 32;
    int nosync = argc > 5 && strcmp(argv[5], "nosync") == 0;
    uint64_t nreq = nmeas / (uint64_t)per;
    nmeas = nreq * (uint64_t)per;

    double calc = bench_calc(ncalc);
    printf("in-process calc_impact: %.0f computations/s (%llu, mix of 5 kinds; goal >= 1,000,000)\n",
           calc, (unsigned long long)ncalc);

    uint8_t **reqs = calloc(nreq, sizeof *reqs);
    size_t *lens = calloc(nreq, sizeof *lens);
    char run[32];
    snprintf(run, sizeof run, "b%lld", (long long)h_now_ms());
    for (uint64_t r = 0; r < nreq; r++)
        reqs[r] = s_request(r, per, run, &lens[r]);

    /* the service */
    char dir[128];
    h_tmpdir(dir, sizeof dir);
    char env[12][512];
    const char *envp[13] = { 0 };
    int i = 0;
    char api[192], pub[192], capi[192], cpub[192];
    snprintf(api, sizeof api, "ipc://%s/i.api", dir);
    snprintf(pub, sizeof pub, "ipc://%s/i.pub", dir);
    snprintf(capi, sizeof capi, "ipc://%s/c.api", dir);
    snprintf(cpub, sizeof cpub, "ipc://%s/c.pub", dir);
    snprintf(env[i++], 512, "MVOI_DATA_DIR=%s", dir);
    snprintf(env[i++], 512, "MVOI_IMPACT_CALCULATOR_API=%s", api);
    snprintf(env[i++], 512, "MVOI_IMPACT_CALCULATOR_PUB=%s", pub);
    snprintf(env[i++], 512, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", capi);
    snprintf(env[i++], 512, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", cpub);
    snprintf(env[i++], 512, "MVOI_IMPACT_CALCULATOR_NOSYNC=%s", nosync ? "true" : "false");
    snprintf(env[i++], 512, "MVOI_LOG_LEVEL=warn");
    for (int k = 0; k < i; k++)
        envp[k] = env[k];
    char cenv[5][512];
    const char *cenvp[6] = { 0 };
    snprintf(cenv[0], 512, "MVOI_DATA_DIR=%s", dir);
    snprintf(cenv[1], 512, "MVOI_FAKECAL_API=%s", capi);
    snprintf(cenv[2], 512, "MVOI_FAKECAL_PUB=%s", cpub);
    snprintf(cenv[3], 512, "MVOI_FAKECAL_TENDERS=T-BENCH|bench|100000000|500");
    snprintf(cenv[4], 512, "MVOI_LOG_LEVEL=warn");
    for (int k = 0; k < 5; k++)
        cenvp[k] = cenv[k];
    char bin[512], cbin[512];
    h_bin(bin, sizeof bin, "services/impact-calculator/mvoi-impact-calculator");
    h_bin(cbin, sizeof cbin, "tests/integration/impact/mvoi-impact-fakecal");
    h_proc_t cal, imp;
    if (h_spawn(&cal, cbin, "fakecal", dir, cenvp) != 0 || h_wait_healthy(capi, 10000) != 0
        || h_spawn(&imp, bin, "impact", dir, envp) != 0 || h_wait_healthy(api, 10000) != 0) {
        fprintf(stderr, "cannot start the services (logs in %s)\n", dir);
        return 1;
    }
    h_sleep_ms(1500);   /* the projection has T-BENCH */
    double svc = s_client(api, pub, reqs, lens, nreq, window, nmeas);
    h_kill9(&imp);
    h_kill9(&cal);
    h_tmpdir_remove(dir);

    /* the raw baseline: same requests, same fan-out, event-sized messages */
    raw_t raw = { .ctx = zmq_ctx_new(), .per = per, .ev_size = 260, .nreq = nreq };
    char rdir[128];
    h_tmpdir(rdir, sizeof rdir);
    if (snprintf(raw.api, sizeof raw.api, "ipc://%s/r.api", rdir) >= (int)sizeof raw.api ||
        snprintf(raw.pub, sizeof raw.pub, "ipc://%s/r.pub", rdir) >= (int)sizeof raw.pub)
        return 1;   /* h_tmpdir paths are short; this cannot happen */
    pthread_t th;
    pthread_create(&th, NULL, s_raw_server, &raw);
    h_sleep_ms(100);
    double rawr = s_client(raw.api, raw.pub, reqs, lens, nreq, window, nmeas);
    pthread_join(th, NULL);
    zmq_ctx_term(raw.ctx);
    h_tmpdir_remove(rdir);

    printf("service submit -> impact event: %.0f measurements/s (%llu in requests of %d, "
           "window %d, %s)\n", svc, (unsigned long long)nmeas, per, window,
           nosync ? "nosync" : "durable fsync per group commit");
    printf("raw DEALER/ROUTER + PUB baseline: %.0f messages/s\n", rawr);
    printf("ratio: %.1f %% (goal >= 20 %%)\n", svc > 0 && rawr > 0 ? 100.0 * svc / rawr : -1.0);
    for (uint64_t r = 0; r < nreq; r++)
        free(reqs[r]);
    free(reqs);
    free(lens);
    return svc > 0 && rawr > 0 ? 0 : 1;
}
