/*  The whole chain with real processes, every service durable (LMDB sync on):
 *  mvoi-calendar -> mvoi-impact-calculator -> mvoi-kpi-aggregator, and mvoictl on top.
 *
 *  workload_exact_across_kill9: 240 tenders registered through the calendar's API, 100,000
 *  measurements (the sanitizer build: 30,000, E2E_MEASUREMENTS) of all eight kinds and both
 *  phases through the impact-calculator's API (pipelined SubmitMeasurements of 500 with
 *  request ids), ~5 % corrected (some twice), ~2 % withdrawn, 6 tenders cancelled at the
 *  end; seeded (E2E_SEED to replay a run). During it the kpi-aggregator is killed (-9) at
 *  20 random moments and the impact-calculator at 10; the client resends every
 *  unacknowledged request with the same request id. Afterwards every total of a kpi
 *  snapshot equals the closed form computed here (e2e.c: docs/domain.md#formulas
 *  arithmetic per input combination; kpi_check.c: the sums over windows and dimensions),
 *  and every expected total is there: nothing lost, nothing counted twice (the `count` of
 *  every total is compared too).
 *
 *  mvoictl_measure_add_reaches_kpi_watch: `mvoictl measure add` -> a running
 *  `mvoictl kpi watch PREFIX --count 2` prints the new total.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "e2e.h"
#include "kpi_check.h"

#define TENDERS 240
#define MEASUREMENTS 100000   /* E2E_MEASUREMENTS overrides (see s_measurements) */
#define BATCH 500
#define WINDOW 16
#define KPI_KILLS 20
#define IMPACT_KILLS 10

/* ------------------------------------------------------------ kill schedule */

typedef struct {
    e2e_fleet_t *f;
    size_t at[KPI_KILLS + IMPACT_KILLS];
    int who[KPI_KILLS + IMPACT_KILLS];
    int next, n;
    int64_t t0;
} kills_t;

static int s_kill_hook(void *arg, size_t acked)
{
    kills_t *k = arg;
    int restarted = 0;
    while (k->next < k->n && acked >= k->at[k->next]) {
        int who = k->who[k->next++];
        cr_assert_eq(e2e_fleet_kill9_restart(k->f, who), 0);
        if (who == E2E_IMP)
            restarted = 1;
    }
    return restarted;
}

static int s_size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ comparison */

enum { C_ALL_YEAR, C_ALL_QUARTER, C_THEME, C_GROUP, C_TENDER, C_N };
static const char *s_cls[C_N] = { "all x year", "all x quarter", "theme", "group", "tender" };

static int s_class(const char *key)
{
    /* kpi.<buyer>.<kpi>.<window>[.theme.x|.group.x|.tender.x] */
    char seg[6][80] = { { 0 } };
    int n = 0;
    for (const char *p = key; *p && n < 6;) {
        const char *d = strchr(p, '.');
        size_t len = d ? (size_t)(d - p) : strlen(p);
        snprintf(seg[n++], sizeof seg[0], "%.*s", (int)len, p);
        p = d ? d + 1 : p + len;
    }
    if (n == 4)
        return strstr(seg[3], "-q") ? C_ALL_QUARTER : C_ALL_YEAR;
    if (n != 6)
        return -1;
    if (!strcmp(seg[4], "theme"))
        return C_THEME;
    if (!strcmp(seg[4], "group"))
        return C_GROUP;
    if (!strcmp(seg[4], "tender"))
        return C_TENDER;
    return -1;
}

static void s_compare(kmap_t *snap, kmap_t *exp)
{
    size_t bad, missing, per[C_N] = { 0 }, nonzero[C_N] = { 0 };
    size_t checked = kpi_compare(snap, exp, 8, &bad, &missing);
    for (size_t i = 0; i < snap->cap; i++) {   /* what was compared, by kind of total */
        kentry_t *e = &snap->e[i];
        int c = e->used ? s_class(e->key) : -1;
        if (c >= 0) {
            per[c]++;
            if (e->v[F_AMB] || e->v[F_REAL])
                nonzero[c]++;
        }
    }
    for (int c = 0; c < C_N; c++)
        cr_log_info("  %-14s %6zu totals compared (%zu with a non-zero figure)", s_cls[c],
                    per[c], nonzero[c]);
    cr_log_info("%zu totals compared with the closed form, %zu expected", checked, exp->n);
    cr_assert_eq(bad, 0, "%zu totals differ from the closed form", bad);
    cr_assert_eq(missing, 0, "%zu expected totals missing", missing);
    for (int c = 0; c < C_N; c++)
        cr_assert_gt(nonzero[c], 0, "no %s totals", s_cls[c]);
}

/* ------------------------------------------------------------ tests */

/* When (request index) and whom to kill: KPI_KILLS aggregator and IMPACT_KILLS
 * impact-calculator kills at random moments of the nmreq measurement requests. */
static void s_plan_kills(kills_t *k, size_t nmreq, uint64_t seed)
{
    srand((unsigned)seed);
    for (int i = 0; i < k->n; i++) {
        k->at[i] = nmreq / 50 + (size_t)rand() % (nmreq - nmreq / 25);
        k->who[i] = i < KPI_KILLS ? E2E_KPI : E2E_IMP;
    }
    for (int i = k->n - 1; i > 0; i--) {   /* who is killed when: shuffled */
        int j = rand() % (i + 1), t = k->who[i];
        k->who[i] = k->who[j];
        k->who[j] = t;
    }
    qsort(k->at, (size_t)k->n, sizeof k->at[0], s_size_cmp);
}

/* The workload's size: MEASUREMENTS, or E2E_MEASUREMENTS (10,000..1,000,000). The sanitizer
 * build's registration sets 30,000 (tests/integration/e2e/CMakeLists.txt): the same kills at
 * random moments over the same kinds of request, in a third of the time under ASan. */
static uint32_t s_measurements(void)
{
    const char *v = getenv("E2E_MEASUREMENTS");
    if (!v || !*v)
        return MEASUREMENTS;
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    cr_assert(*end == 0 && n >= 10000 && n <= 1000000,
              "E2E_MEASUREMENTS=%s: a whole number 10000..1000000", v);
    return (uint32_t)n;
}

Test(e2e, workload_exact_across_kill9, .timeout = 300)
{
    const uint32_t nmeas = s_measurements();
    const char *se = getenv("E2E_SEED");
    uint64_t seed = se ? strtoull(se, NULL, 0) : (uint64_t)h_now_ms();
    cr_log_info("seed %llu (E2E_SEED=%llu to replay)", (unsigned long long)seed,
                (unsigned long long)seed);
    int64_t t0 = h_now_ms();
    e2e_wl_t *w = e2e_wl_new(seed, TENDERS, nmeas, BATCH);
    cr_log_info("workload: %u tenders, %u measurements (energy %zu machine %zu road %zu "
                "material %zu social %zu fairtrade %zu mki %zu pilot %zu), %zu corrections, "
                "%zu withdrawals, %zu cancellations, %zu requests",
                w->ntenders, w->nmeas, w->per_kind[K_ENERGY], w->per_kind[K_MACHINE],
                w->per_kind[K_ROAD], w->per_kind[K_MATERIAL], w->per_kind[K_SOCIAL],
                w->per_kind[K_FAIRTRADE], w->per_kind[K_MKI], w->per_kind[K_PILOT],
                w->corrections, w->withdrawals, w->cancels, w->nreq);
    for (int k = 0; k < K_N; k++)
        cr_assert_gt(w->per_kind[k], 0);
    cr_assert_geq(w->corrections, nmeas / 25);
    cr_assert_geq(w->withdrawals, nmeas / 60);

    e2e_fleet_t f;
    e2e_fleet_init(&f, false);
    cr_assert_eq(e2e_fleet_curve(&f), 0, "CURVE keys");   /* authenticated, as deployed */
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    void *zctx = zmq_ctx_new();
    char err[512] = "";

    /* tenders through the calendar */
    e2e_sender_t *cal = e2e_sender_new(zctx, f.capi, 64, 5000);
    int rc = e2e_sender_run(cal, w, 0, w->first_meas_req, NULL, NULL, 20000, err, sizeof err);
    cr_assert_eq(rc, 0, "registering tenders: %s", err);
    cr_assert_eq(e2e_wait_impact_knows_calendar(&f, 20000), 0);
    int64_t t1 = h_now_ms();

    /* measurements through the impact-calculator, with kills at random moments */
    kills_t k = { .f = &f, .n = KPI_KILLS + IMPACT_KILLS };
    size_t nmreq = w->first_cancel_req - w->first_meas_req;
    s_plan_kills(&k, nmreq, seed);
    e2e_sender_t *imp = e2e_sender_new(zctx, f.iapi, WINDOW, 5000);
    rc = e2e_sender_run(imp, w, w->first_meas_req, w->first_cancel_req, s_kill_hook, &k, 30000,
                        err, sizeof err);
    cr_assert_eq(rc, 0, "measurements: %s (logs in %s)", err, f.dir);
    cr_assert_eq(k.next, k.n, "not every kill happened");
    int64_t t2 = h_now_ms();

    /* cancellations through the calendar */
    rc = e2e_sender_run(cal, w, w->first_cancel_req, w->nreq, NULL, NULL, 20000, err,
                        sizeof err);
    cr_assert_eq(rc, 0, "cancelling: %s", err);

    rc = e2e_wait_kpi_caught_up(&f, 90000);
    uint64_t cc, ic;
    e2e_kpi_cursors(&f, &cc, &ic);
    cr_assert_eq(rc, 0, "kpi-aggregator stuck at calendar %llu/%llu impact %llu/%llu",
                 (unsigned long long)cc, (unsigned long long)e2e_head(f.capi, 2000),
                 (unsigned long long)ic, (unsigned long long)e2e_head(f.iapi, 2000));
    int64_t t3 = h_now_ms();
    cr_log_info("timings: tenders %ld ms; measurements %ld ms (%.0f/s submitted, %zu "
                "requests resent, %zu duplicate items, kills: kpi %d impact %d); "
                "aggregator caught up %ld ms later; impact head %llu, calendar head %llu",
                (long)(t1 - t0), (long)(t2 - t1), nmeas * 1000.0 / (double)(t2 - t1),
                e2e_sender_resent(imp), e2e_sender_duplicates(imp), f.restarts[E2E_KPI],
                f.restarts[E2E_IMP], (long)(t3 - t2), (unsigned long long)ic,
                (unsigned long long)cc);
    cr_assert_eq(f.restarts[E2E_KPI], KPI_KILLS);
    cr_assert_eq(f.restarts[E2E_IMP], IMPACT_KILLS);

    /* every total of a snapshot against the closed form */
    clone_t *c = clone_new(zctx, f.kapi, NULL);
    rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    wl_t *fin = e2e_wl_final(w);
    kmap_t *exp = kpi_expect(fin);
    s_compare(clone_state(c), exp);
    cr_log_info("snapshot seq %llu; total %ld ms", (unsigned long long)clone_seq(c),
                (long)(h_now_ms() - t0));

    kmap_destroy(&exp);
    wl_destroy(&fin);
    clone_destroy(&c);
    e2e_sender_destroy(&imp);
    e2e_sender_destroy(&cal);
    zmq_ctx_term(zctx);
    /* graceful stop of the aggregator still works after all that */
    h_signal(&f.proc[E2E_KPI], SIGTERM);
    int st = 0;
    cr_expect_eq(h_wait(&f.proc[E2E_KPI], 5000, &st), 0);
    e2e_fleet_fini(&f, false);
    e2e_wl_destroy(&w);
}

/* ------------------------------------------------------------ mvoictl */

static void s_ctl_env(const e2e_fleet_t *f, char env[6][256], const char *envp[7])
{
    snprintf(env[0], 256, "MVOI_CALENDAR_API=%s", f->capi);
    snprintf(env[1], 256, "MVOI_IMPACT_API=%s", f->iapi);
    snprintf(env[2], 256, "MVOI_KPI_API=%s", f->kapi);
    snprintf(env[3], 256, "MVOI_KPI_PUB=%s", f->kpub);
    snprintf(env[4], 256, "MVOI_BUYER=heerlen");
    snprintf(env[5], 256, "USER=e2e");
    for (int i = 0; i < 6; i++)
        envp[i] = env[i];
    envp[6] = NULL;
}

/* Start mvoictl ARGS... with stdout and stderr to out_path. */
static pid_t s_ctl_start(e2e_fleet_t *f, const char *out_path, const char *const *args)
{
    char bin[512], env[6][256];
    const char *envp[7];
    h_bin(bin, sizeof bin, "services/mvoictl/mvoictl");
    s_ctl_env(f, env, envp);
    const char *argv[32] = { bin };
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        FILE *o = freopen(out_path, "w", stdout);
        (void)o;
        dup2(fileno(stdout), 2);
        for (int i = 0; envp[i]; i++)
            putenv((char *)envp[i]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Run mvoictl to completion; returns its exit status (or -1). */
static int s_ctl(e2e_fleet_t *f, const char *out_path, const char *const *args)
{
    pid_t pid = s_ctl_start(f, out_path, args);
    h_proc_t p = { .pid = pid };
    int st = 0;
    if (h_wait(&p, 20000, &st) != 0) {
        h_kill9(&p);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *s_slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return strdup("");
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static int s_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(e2e, mvoictl_measure_add_reaches_kpi_watch, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, false);
    cr_assert_eq(e2e_fleet_curve(&f), 0, "CURVE keys");   /* authenticated, as deployed */
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    char out[256], wout[256];
    snprintf(out, sizeof out, "%s/ctl.out", f.dir);
    snprintf(wout, sizeof wout, "%s/watch.out", f.dir);

    const char *tender[] = { "tender", "add", "--id", "E2E-1", "--title", "Groot asfalt onderhoud",
                             "--kind", "werken", "--publication", "2026-02-01", "--group", "GWW",
                             NULL };
    int rc = s_ctl(&f, out, tender);
    char *o = s_slurp(out);
    cr_assert_eq(rc, 0, "mvoictl tender add: %d: %s", rc, o);
    free(o);
    cr_assert_eq(e2e_wait_impact_knows_calendar(&f, 10000), 0);

    /* 10,000 l HVO100 instead of diesel B7: 10,000 x (3.251 - 0.468) = 27,830 kg CO2 */
    const char *add1[] = { "measure", "add", "--id", "E2E-M1", "--tender", "E2E-1", "--period",
                           "2026-01-01..2026-01-31", "--kind", "energy", "--carrier", "hvo100",
                           "--quantity", "10000", NULL };
    rc = s_ctl(&f, out, add1);
    o = s_slurp(out);
    cr_assert_eq(rc, 0, "mvoictl measure add: %d: %s", rc, o);
    cr_log_info("mvoictl measure add: %s", o);
    free(o);

    /* the watcher: snapshot (1 line: the total with M1 once it is applied), then live */
    const char *key = "kpi.heerlen.co2.2026-q1.tender.E2E-1";
    int64_t end = h_now_ms() + 10000;
    for (;;) {   /* the first measurement is in the aggregator before the watcher starts */
        Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
        q.key = (char *)key;
        Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
        req.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
        req.kpi_query = &q;
        Mvoi__Envelope *r = NULL;
        bool ok = h_request(f.kapi, &req, &r, 2000) == 0 && r
                  && r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL
                  && r->kpi_total->realisation == 27830000;
        if (r)
            mvoi__envelope__free_unpacked(r, NULL);
        if (ok)
            break;
        cr_assert_lt(h_now_ms(), end, "the first measurement never reached the aggregator");
        h_sleep_ms(50);
    }
    const char *watch[] = { "kpi", "watch", key, "--count", "2", "--seconds", "30", NULL };
    pid_t wp = s_ctl_start(&f, wout, watch);
    end = h_now_ms() + 10000;
    for (;;) {
        char *w = s_slurp(wout);
        int lines = s_lines(w);
        free(w);
        if (lines >= 1)
            break;
        cr_assert_lt(h_now_ms(), end, "kpi watch printed no snapshot");
        h_sleep_ms(20);
    }
    /* 5,000 l more: + 13,915 kg; the total becomes 41,745 kg = 41,745,000 g */
    int64_t t_add = h_now_ms();
    const char *add2[] = { "measure", "add", "--id", "E2E-M2", "--tender", "E2E-1", "--period",
                           "2026-02-01..2026-02-28", "--kind", "energy", "--carrier", "hvo100",
                           "--quantity", "5000", NULL };
    rc = s_ctl(&f, out, add2);
    o = s_slurp(out);
    cr_assert_eq(rc, 0, "mvoictl measure add: %d: %s", rc, o);
    free(o);
    h_proc_t p = { .pid = wp };
    int st = 0;
    cr_assert_eq(h_wait(&p, 15000, &st), 0, "kpi watch did not print the change");
    int64_t t_seen = h_now_ms();
    char *w = s_slurp(wout);
    cr_log_info("mvoictl kpi watch (%ld ms from measure add to the watcher's exit):\n%s",
                (long)(t_seen - t_add), w);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kpi watch exit %d: %s", st, w);
    char want1[160], want2[160];
    snprintf(want1, sizeof want1, "%s ambition=0 realisation=27830000 projects=1 ", key);
    snprintf(want2, sizeof want2, "%s ambition=0 realisation=41745000 projects=1 ", key);
    char *l1 = strstr(w, want1), *l2 = strstr(w, want2);
    cr_assert(l1, "snapshot line missing:\n%s", w);
    cr_assert(l2 && l2 > l1, "the new total was not printed:\n%s", w);
    free(w);
    e2e_fleet_fini(&f, false);
}

/* How many entries of a service's environment start with s. */
static int s_env_count(const char *const *envp, const char *s)
{
    int n = 0;
    for (int i = 0; envp[i]; i++)
        n += strncmp(envp[i], s, strlen(s)) == 0;
    return n;
}

/* A benchmark's A/B switch is a variable in the caller's environment: every
 * MVOI_<SERVICE>_* reaches that service (and only it), and none overrides what the fleet
 * sets itself. The fleet used to pass a list of names, and dropped two switches. */
Test(e2e_fleet, the_callers_settings_of_a_service_reach_it_and_not_over_the_fleets_own)
{
    setenv("MVOI_IMPACT_CALCULATOR_STAGE_BYTES", "7", 1);
    setenv("MVOI_KPI_AGGREGATOR_LINGER_MS", "3", 1);
    setenv("MVOI_IMPACT_CALCULATOR_API", "ipc:///nowhere", 1);
    e2e_fleet_t *f = calloc(1, sizeof *f);
    cr_assert_not_null(f);
    e2e_fleet_init(f, false);
    unsetenv("MVOI_IMPACT_CALCULATOR_STAGE_BYTES");
    unsetenv("MVOI_KPI_AGGREGATOR_LINGER_MS");
    unsetenv("MVOI_IMPACT_CALCULATOR_API");
    cr_assert_eq(s_env_count(f->envp[E2E_IMP], "MVOI_IMPACT_CALCULATOR_STAGE_BYTES=7"), 1);
    cr_assert_eq(s_env_count(f->envp[E2E_KPI], "MVOI_KPI_AGGREGATOR_LINGER_MS=3"), 1);
    cr_assert_eq(s_env_count(f->envp[E2E_KPI], "MVOI_IMPACT_CALCULATOR_"), 0);
    cr_assert_eq(s_env_count(f->envp[E2E_CAL], "MVOI_KPI_AGGREGATOR_"), 0);
    cr_assert_eq(s_env_count(f->envp[E2E_IMP], "MVOI_IMPACT_CALCULATOR_API="), 1);
    char own[256];
    snprintf(own, sizeof own, "MVOI_IMPACT_CALCULATOR_API=%s", f->iapi);
    cr_assert_eq(s_env_count(f->envp[E2E_IMP], own), 1, "the fleet's endpoint was replaced");
    e2e_fleet_fini(f, false);
    free(f);
}
