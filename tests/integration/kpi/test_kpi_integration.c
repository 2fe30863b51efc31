/*  kpi-aggregator between real processes: two stand-in producers (mvoi-kpi-testprod as
 *  "calendar" and as "impact") play a seeded workload of 240 tenders and 100,000
 *  measurements (the kill -9 test in the sanitizer build: 50,000, KPI_IT_MEASUREMENTS;
 *  the dashboards 30,000, there 15,000, KPI_IT_DASH_MEASUREMENTS) with 5% corrections and
 *  2% withdrawals; the expected totals are computed here from the same generator's final
 *  states (kpi_check.c), independently of kpi_core, and compared with every total of a
 *  Clone snapshot.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "kpi_check.h"
#include "kpi_workload.h"

#define TENDERS 240
#define MEASUREMENTS 100000   /* KPI_IT_MEASUREMENTS overrides (see s_measurements) */
#define IMPACT_RATE 20000
#define CALENDAR_RATE 200
#define DASH_MEASUREMENTS 30000
#define DASH_RATE 8000

typedef struct {
    char dir[128];
    char capi[192], cpub[192], iapi[192], ipub[192], kapi[192], kpub[192];
    char env_c[10][256], env_i[10][256], env_k[12][256];
    const char *envp_c[11], *envp_i[11], *envp_k[13];
    char prod_bin[512], kpi_bin[512];
    h_proc_t cal, imp, kpi;
    uint64_t seed;
    wl_t *wl;
} fx_t;

static void fx_init(fx_t *f, uint64_t seed, int measurements, int rate)
{
    memset(f, 0, sizeof *f);
    f->seed = seed;
    h_tmpdir(f->dir, sizeof f->dir);
    cr_assert(f->dir[0]);
    snprintf(f->capi, 192, "ipc://%s/c.api", f->dir);
    snprintf(f->cpub, 192, "ipc://%s/c.pub", f->dir);
    snprintf(f->iapi, 192, "ipc://%s/i.api", f->dir);
    snprintf(f->ipub, 192, "ipc://%s/i.pub", f->dir);
    snprintf(f->kapi, 192, "ipc://%s/k.api", f->dir);
    snprintf(f->kpub, 192, "ipc://%s/k.pub", f->dir);
    int n = 0;
#define P(arr, ...) snprintf(arr[n++], 256, __VA_ARGS__)
    P(f->env_c, "MVOI_DATA_DIR=%s", f->dir);
    P(f->env_c, "MVOI_KPI_TESTPROD_ROLE=calendar");
    P(f->env_c, "MVOI_KPI_TESTPROD_API=%s", f->capi);
    P(f->env_c, "MVOI_KPI_TESTPROD_PUB=%s", f->cpub);
    P(f->env_c, "MVOI_KPI_TESTPROD_SEED=%llu", (unsigned long long)seed);
    P(f->env_c, "MVOI_KPI_TESTPROD_TENDERS=%d", TENDERS);
    P(f->env_c, "MVOI_KPI_TESTPROD_MEASUREMENTS=%d", measurements);
    P(f->env_c, "MVOI_KPI_TESTPROD_RATE=%d", CALENDAR_RATE);
    P(f->env_c, "MVOI_LOG_LEVEL=warn");
    for (int i = 0; i < n; i++) {
        f->envp_c[i] = f->env_c[i];
        strcpy(f->env_i[i], f->env_c[i]);
        f->envp_i[i] = f->env_i[i];
    }
    strcpy(f->env_i[1], "MVOI_KPI_TESTPROD_ROLE=impact");
    snprintf(f->env_i[2], 256, "MVOI_KPI_TESTPROD_API=%s", f->iapi);
    snprintf(f->env_i[3], 256, "MVOI_KPI_TESTPROD_PUB=%s", f->ipub);
    snprintf(f->env_i[7], 256, "MVOI_KPI_TESTPROD_RATE=%d", rate);
    n = 0;
    P(f->env_k, "MVOI_DATA_DIR=%s", f->dir);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_API=%s", f->kapi);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_PUB=%s", f->kpub);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_CALENDAR_API=%s", f->capi);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_CALENDAR_PUB=%s", f->cpub);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_IMPACT_API=%s", f->iapi);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_IMPACT_PUB=%s", f->ipub);
    P(f->env_k, "MVOI_KPI_AGGREGATOR_HEARTBEAT_MS=200");
    P(f->env_k, "MVOI_LOG_LEVEL=warn");
    for (int i = 0; i < n; i++)
        f->envp_k[i] = f->env_k[i];
#undef P
    h_bin(f->prod_bin, sizeof f->prod_bin, "tests/integration/kpi/mvoi-kpi-testprod");
    h_bin(f->kpi_bin, sizeof f->kpi_bin, "services/kpi-aggregator/mvoi-kpi-aggregator");
    f->wl = wl_new(seed, TENDERS, (uint32_t)measurements);
    cr_assert_geq(f->wl->niev, (size_t)measurements);
    cr_log_info("seed %llu: %zu tender events, %zu impact events", (unsigned long long)seed,
                f->wl->ntev, f->wl->niev);
}

static void fx_start_kpi(fx_t *f)
{
    cr_assert_eq(h_spawn(&f->kpi, f->kpi_bin, "kpi", f->dir, f->envp_k), 0);
}

static void fx_start(fx_t *f)
{
    fx_start_kpi(f);
    cr_assert_eq(h_spawn(&f->cal, f->prod_bin, "calendar", f->dir, f->envp_c), 0);
    cr_assert_eq(h_spawn(&f->imp, f->prod_bin, "impact", f->dir, f->envp_i), 0);
    cr_assert_eq(h_wait_healthy(f->kapi, 10000), 0, "the aggregator did not come up");
}

static void fx_fini(fx_t *f)
{
    h_kill9(&f->kpi);
    h_kill9(&f->cal);
    h_kill9(&f->imp);
    wl_destroy(&f->wl);
    h_tmpdir_remove(f->dir);
}

/* ------------------------------------------------------------ aggregator state on disk */

typedef struct {
    uint64_t cal, imp;
} cursors_t;

static int s_read_cursors(void *t, void *arg)
{
    cursors_t *c = arg;
    MDB_dbi dbi;
    if (mdb_dbi_open(t, "inbox", 0, &dbi) != 0)
        return 0;
    const char *names[2] = { "calendar", "impact" };
    uint64_t *out[2] = { &c->cal, &c->imp };
    for (int i = 0; i < 2; i++) {
        MDB_val k = { strlen(names[i]), (void *)names[i] }, v;
        if (mdb_get(t, dbi, &k, &v) == 0 && v.mv_size >= 16) {
            const uint8_t *b = v.mv_data;
            uint64_t x = 0;
            for (int j = 8; j < 16; j++)
                x = (x << 8) | b[j];
            *out[i] = x;
        }
    }
    return 0;
}

static int wait_applied(fx_t *f, int timeout_ms, cursors_t *c)
{
    char path[256];
    snprintf(path, sizeof path, "%s/kpi-aggregator", f->dir);
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        memset(c, 0, sizeof *c);
        h_lmdb_read(path, s_read_cursors, c);
        if (c->cal == f->wl->ntev && c->imp == f->wl->niev)
            return 0;
        if (h_now_ms() >= end)
            return -ETIMEDOUT;
        h_sleep_ms(100);
    }
}

/* Every total of the snapshot equals the expected one, and every expected non-zero
 * total is there. */
static void assert_totals(kmap_t *snap, kmap_t *exp)
{
    size_t bad, missing;
    size_t checked = kpi_compare(snap, exp, 5, &bad, &missing);
    cr_log_info("%zu totals compared, %zu expected", checked, exp->n);
    cr_assert_eq(bad, 0, "%zu totals differ", bad);
    cr_assert_eq(missing, 0, "%zu totals missing", missing);
    cr_assert_gt(checked, 5000);
}

static void final_snapshot(fx_t *f, void *zctx, kmap_t **out, uint64_t *seq, uint64_t *digest)
{
    clone_t *c = clone_new(zctx, f->kapi, NULL);
    int rc = -1;
    for (int i = 0; i < 5 && rc != 0; i++)
        rc = clone_snapshot(c, 10000);
    cr_assert_eq(rc, 0, "snapshot failed: %d", rc);
    *seq = clone_seq(c);
    *digest = clone_state(c)->digest;
    if (out) {
        kmap_t *m = clone_state(c);
        *out = kmap_new(m->cap, false);
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].used)
                kmap_set(*out, m->e[i].key, m->e[i].v, 0);
    }
    clone_destroy(&c);
}

/* ------------------------------------------------------------ tests */

/* A workload's size: DEF, or the environment variable NAME (10,000..1,000,000). The
 * sanitizer build's registration sets smaller ones (tests/integration/kpi/CMakeLists.txt). */
static int s_measurements(const char *name, int def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    cr_assert(*end == 0 && n >= 10000 && n <= 1000000, "%s=%s: a whole number 10000..1000000",
              name, v);
    return (int)n;
}

Test(kpi_integration, totals_exact_across_kill9, .timeout = 120)
{
    fx_t f;
    uint64_t seed = (uint64_t)h_now_ms();
    /* KPI_IT_MEASUREMENTS: the ASan aggregator applies slower than the producer sends, so
     * with 50,000 its 20 kills still land while it applies (logged below), in half the time. */
    fx_init(&f, seed, s_measurements("KPI_IT_MEASUREMENTS", MEASUREMENTS), IMPACT_RATE);
    int64_t t0 = h_now_ms();
    fx_start(&f);
    srand((unsigned)seed);
    for (int k = 0; k < 20; k++) {
        h_sleep_ms(60 + rand() % 200);
        h_kill9(&f.kpi);
        fx_start_kpi(&f);
    }
    cursors_t c;
    (void)wait_applied(&f, 0, &c);   /* how far it was at the last kill: mid-work, not done */
    cr_log_info("at the last kill the aggregator had applied %lu of %zu impact events",
                (unsigned long)c.imp, f.wl->niev);
    int rc = wait_applied(&f, 60000, &c);
    cr_assert_eq(rc, 0, "aggregator stuck at calendar %lu/%zu impact %lu/%zu (seed %llu)",
                 (unsigned long)c.cal, f.wl->ntev, (unsigned long)c.imp, f.wl->niev,
                 (unsigned long long)seed);
    int64_t t1 = h_now_ms();
    void *zctx = zmq_ctx_new();
    kmap_t *snap = NULL;
    uint64_t seq = 0, digest = 0;
    final_snapshot(&f, zctx, &snap, &seq, &digest);
    kmap_t *exp = kpi_expect(f.wl);
    assert_totals(snap, exp);
    cr_log_info("applied %zu events with 20 kills in %ld ms; %zu totals, seq %lu",
                f.wl->ntev + f.wl->niev, (long)(t1 - t0), snap->n, (unsigned long)seq);
    /* graceful stop */
    h_signal(&f.kpi, SIGTERM);
    int st = 0;
    cr_assert_eq(h_wait(&f.kpi, 5000, &st), 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    kmap_destroy(&snap);
    kmap_destroy(&exp);
    zmq_ctx_term(zctx);
    fx_fini(&f);
}

/* ---- 100 dashboards join during the load */

#define JOINS 100
#define TO_THE_END 5

typedef struct {
    clone_t *c;
    int64_t join_at, leave_at;
    bool done;
    uint64_t seq, digest;
    int snapshots;
} dash_t;

typedef struct {
    dash_t *d;
    int n;
    size_t next;          /* next dashboard (by seq) to check */
    kmap_t *m;
    uint64_t last;
    int checked, bad;
} replay_t;

static int s_cmp_seq(const void *a, const void *b)
{
    const dash_t *x = *(dash_t *const *)a, *y = *(dash_t *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The state at seq S is the last value of each total among outbox events 1..S: replay the
 * aggregator's outbox and compare each dashboard's digest when the replay reaches its seq. */
static int s_replay_outbox(void *t, void *arg)
{
    replay_t *r = arg;
    dash_t **order = calloc((size_t)r->n, sizeof *order);
    for (int i = 0; i < r->n; i++)
        order[i] = &r->d[i];
    qsort(order, (size_t)r->n, sizeof *order, s_cmp_seq);
    MDB_dbi dbi;
    if (mdb_dbi_open(t, "outbox", 0, &dbi) != 0)
        return -1;
    MDB_cursor *cur;
    mdb_cursor_open(t, dbi, &cur);
    MDB_val k, v;
    size_t i = 0;
    while (i < (size_t)r->n && order[i]->seq == 0) {
        r->checked++;   /* joined nothing yet: empty state */
        if (order[i]->digest != 0)
            r->bad++;
        i++;
    }
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && i < (size_t)r->n) {
        const uint8_t *b = k.mv_data, *p = v.mv_data;
        uint64_t seq = 0;
        for (int j = 0; j < 8; j++)
            seq = (seq << 8) | b[j];
        size_t tl = ((size_t)p[0] << 8) | p[1];
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, v.mv_size - 2 - tl, p + 2 + tl);
        if (e && e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            const Mvoi__KpiTotal *kt = e->kpi_total;
            int64_t vals[F_N] = { kt->ambition, kt->realisation, kt->projects, kt->target,
                                  kt->denominator, kt->count };
            kmap_set(r->m, kt->key, vals, kt->seq);
        }
        if (e)
            mvoi__envelope__free_unpacked(e, NULL);
        while (i < (size_t)r->n && order[i]->seq == seq) {
            r->checked++;
            if (order[i]->digest != r->m->digest)
                r->bad++;
            i++;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    free(order);
    return 0;
}

/* One dashboard's turn: join when due, take what arrived (re-snapshot when told), leave
 * when due or at the final seq. Whether it is still listening. */
static bool s_dash_step(dash_t *x, void *zctx, const fx_t *f, int64_t now, uint64_t final_seq,
                        int *joined, int *resnaps)
{
    if (x->done)
        return false;
    if (!x->c && now >= x->join_at) {
        x->c = clone_new(zctx, f->kapi, f->kpub);
        if (clone_snapshot(x->c, 5000) != 0)
            x->snapshots--;   /* retried below */
        (*joined)++;
    }
    if (!x->c)
        return false;
    int need = clone_pump(x->c, 50000);
    if (need) {
        (*resnaps)++;
        clone_snapshot(x->c, 5000);
        clone_pump(x->c, 50000);
    }
    bool end = now >= x->leave_at || (final_seq && clone_seq(x->c) == final_seq);
    if (end) {
        x->seq = clone_seq(x->c);
        x->digest = clone_state(x->c)->digest;
        x->snapshots = clone_snapshots(x->c);
        x->done = true;
        clone_destroy(&x->c);
        return false;
    }
    return true;
}

Test(kpi_integration, dashboards_join_during_load_and_converge, .timeout = 120)
{
    fx_t f;
    uint64_t seed = (uint64_t)h_now_ms() ^ 0x5a5a;
    /* A smaller workload than the kill -9 test: every dashboard decodes the whole stream
     * from its join on (~9 KpiTotal events per input event), all in this one process.
     * KPI_IT_DASH_MEASUREMENTS (the sanitizer build: 15,000, where this process's decoding
     * was the slow part) scales the rate with it: the load lasts as long, over the joins. */
    int dm = s_measurements("KPI_IT_DASH_MEASUREMENTS", DASH_MEASUREMENTS);
    fx_init(&f, seed, dm, (int)((int64_t)DASH_RATE * dm / DASH_MEASUREMENTS));
    void *zctx = zmq_ctx_new();
    fx_start(&f);
    static dash_t d[JOINS];
    memset(d, 0, sizeof d);
    int64_t t0 = h_now_ms();
    for (int i = 0; i < JOINS; i++) {
        d[i].join_at = t0 + 50 + i * 55;
        d[i].leave_at = i >= JOINS - TO_THE_END ? INT64_MAX : d[i].join_at + 300;
    }
    int joined = 0, resnaps = 0;
    cursors_t cur;
    bool applied = false;
    uint64_t final_seq = 0, final_digest = 0;
    int64_t deadline = t0 + 90000;
    for (;;) {
        int64_t now = h_now_ms();
        cr_assert_lt(now, deadline, "dashboards did not converge (seed %llu)",
                     (unsigned long long)seed);
        zmq_pollitem_t items[JOINS];
        int n = 0;
        for (int i = 0; i < JOINS; i++)
            if (s_dash_step(&d[i], zctx, &f, now, final_seq, &joined, &resnaps))
                items[n++] = (zmq_pollitem_t){ clone_sub(d[i].c), 0, ZMQ_POLLIN, 0 };
        if (joined == JOINS && n == 0)
            break;
        static int64_t last_check;
        if (joined == JOINS && last_check == 0) {   /* how far the load was at the last join */
            (void)wait_applied(&f, 0, &cur);
            cr_log_info("at the last join the aggregator had applied %lu of %zu impact events",
                        (unsigned long)cur.imp, f.wl->niev);
        }
        if (!applied && joined == JOINS && now - last_check > 250 &&
            (last_check = now, wait_applied(&f, 0, &cur) == 0)) {
            applied = true;
            final_snapshot(&f, zctx, NULL, &final_seq, &final_digest);
            cr_log_info("workload applied after %ld ms, final seq %lu", (long)(now - t0),
                        (unsigned long)final_seq);
        }
        if (n)
            zmq_poll(items, n, 20);
        else
            h_sleep_ms(20);
    }
    int64_t t1 = h_now_ms();
    /* the ones that stayed reached the final state exactly */
    for (int i = JOINS - TO_THE_END; i < JOINS; i++) {
        cr_assert_eq(d[i].seq, final_seq, "dashboard %d at seq %lu, final %lu", i,
                     (unsigned long)d[i].seq, (unsigned long)final_seq);
        cr_assert_eq(d[i].digest, final_digest, "dashboard %d differs from the snapshot", i);
    }
    /* every dashboard's state at its last seq equals the aggregator's state at that seq */
    replay_t r = { d, JOINS, 0, kmap_new(1u << 17, true), 0, 0, 0 };
    char path[256];
    snprintf(path, sizeof path, "%s/kpi-aggregator", f.dir);
    cr_assert_eq(h_lmdb_read(path, s_replay_outbox, &r), 0);
    cr_assert_eq(r.checked, JOINS);
    cr_assert_eq(r.bad, 0, "%d of %d dashboards disagree with the outbox", r.bad, JOINS);
    cr_assert_eq(r.m->digest, final_digest, "outbox replay != final snapshot");
    /* and the totals themselves are exact */
    kmap_t *snap = NULL;
    uint64_t s2, dg2;
    final_snapshot(&f, zctx, &snap, &s2, &dg2);
    kmap_t *exp = kpi_expect(f.wl);
    assert_totals(snap, exp);
    cr_log_info("%d dashboards joined during load, %d re-snapshots, done in %ld ms", JOINS,
                resnaps, (long)(t1 - t0));
    kmap_destroy(&r.m);
    kmap_destroy(&snap);
    kmap_destroy(&exp);
    zmq_ctx_term(zctx);
    fx_fini(&f);
}

/* ---- mvoictl kpi show/watch and examples/dashboard_client.py against a live aggregator */

static int s_run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A watch without an end on a full disk (/dev/full) stops at its first line and says why,
 * 74. It went on printing nothing, silently, until killed (here by timeout: 124 after
 * 20 s). */
static void s_watch_on_a_full_disk(const char *env, const char *ctl)
{
    char cmd[2048], out[1024];
    snprintf(cmd, sizeof cmd, "env %s timeout 20 %s kpi watch kpi.heerlen.co2.2026 "
             "2>&1 >/dev/full", env, ctl);
    cr_expect_eq(s_run(cmd, out, sizeof out), 74, "%s", out);
    cr_expect(strstr(out, "mvoictl: de uitvoer kon niet worden geschreven: No space left "
                          "on device;"), "%s", out);
}

/* --raw: the header is the catalogue's, Dutch by default (it was English, outside the
 * catalogue), with the window as a script writes it. A year without totals is answered. */
static void s_show_raw_and_unknown(const char *env, const char *ctl)
{
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "env %s %s kpi show --year 2026 --quarter 1 --raw", env, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    static const char head[] = "KPI's van heerlen, 2026-q1\n";
    cr_expect(strncmp(out, head, sizeof head - 1) == 0, "%s", out);
    snprintf(cmd, sizeof cmd, "env %s %s kpi show --year 1999 2>&1", env, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
}

Test(kpi_integration, mvoictl_and_python_dashboard, .timeout = 120)
{
    fx_t f;
    fx_init(&f, 42, 3000, 3000);
    fx_start(&f);
    cursors_t c;
    cr_assert_eq(wait_applied(&f, 30000, &c), 0);
    void *zctx = zmq_ctx_new();
    kmap_t *snap = NULL;
    uint64_t seq, dg;
    final_snapshot(&f, zctx, &snap, &seq, &dg);
    kentry_t *co2 = kmap_get(snap, "kpi.heerlen.co2.2026", false);
    cr_assert(co2);
    char ctl[512], env[1024], cmd[4096];
    static char out[1 << 20];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(env, sizeof env, "MVOI_KPI_API=%s MVOI_KPI_PUB=%s MVOI_BUYER=heerlen", f.kapi,
             f.kpub);
    /* show: the table carries the totals of the snapshot */
    snprintf(cmd, sizeof cmd, "env %s %s kpi show --year 2026 --json", env, ctl);
    if (access(ctl, X_OK) == 0) {
        cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
        char want[128];
        snprintf(want, sizeof want, "\"realisation\": %lld", (long long)co2->v[F_REAL]);
        cr_assert(strstr(out, want), "%s not in %s", want, out);
        s_show_raw_and_unknown(env, ctl);
        /* watch: the snapshot lines, then stops after --count changes */
        snprintf(cmd, sizeof cmd, "env %s timeout 20 %s kpi watch kpi.heerlen.co2.2026 --count 3",
                 env, ctl);
        cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
        cr_assert(strstr(out, "kpi.heerlen.co2.2026 ambition="), "%s", out);
        s_watch_on_a_full_disk(env, ctl);
    } else {
        cr_log_warn("mvoictl not built: skipping its part");
    }
    /* the Python dashboard: snapshot count equals ours */
    char py[1024];
    snprintf(py, sizeof py, "%s/examples/dashboard_client.py", MVOI_SOURCE_DIR);
    if (system("command -v protoc >/dev/null && /usr/bin/python3 -c 'import zmq, "
               "google.protobuf' 2>/dev/null") == 0) {
        snprintf(cmd, sizeof cmd, "timeout 60 /usr/bin/python3 %s --api %s --pub %s "
                 "--seconds 1", py, f.kapi, f.kpub);
        cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
        char want[64];
        snprintf(want, sizeof want, "snapshot %zu totals seq %lu", snap->n,
                 (unsigned long)seq);
        cr_assert(strstr(out, want), "'%s' not in %s", want, out);
        cr_log_info("python: %.*s", (int)strcspn(out, "\n"), out);
    } else {
        cr_log_warn("protoc or python3-zmq/python3-protobuf missing: skipping the Python part");
    }
    /* ROUTER errors name the field */
    Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
    q.key = "kpi.nobody.co2.1999";
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
    e.kpi_query = &q;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f.kapi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
    cr_assert_str_eq(r->error->field, "kpi_query.key");
    mvoi__envelope__free_unpacked(r, NULL);
    Mvoi__KpiBreakdownQuery bq = MVOI__KPI_BREAKDOWN_QUERY__INIT;
    bq.key = "kpi.heerlen.co2.2026";
    bq.has_limit = true;
    bq.limit = 1001;
    e.body_case = MVOI__ENVELOPE__BODY_KPI_BREAKDOWN_QUERY;
    e.kpi_breakdown_query = &bq;
    cr_assert_eq(h_request(f.kapi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_str_eq(r->error->field, "kpi_breakdown_query.limit");
    mvoi__envelope__free_unpacked(r, NULL);
    bq.limit = 1000;
    cr_assert_eq(h_request(f.kapi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_KPI_BREAKDOWN);
    cr_assert_eq((int64_t)r->kpi_breakdown->total, co2->v[F_COUNT]);
    mvoi__envelope__free_unpacked(r, NULL);
    Mvoi__KpiSeriesQuery sq = MVOI__KPI_SERIES_QUERY__INIT;
    sq.buyer = "heerlen";
    sq.has_kpi = sq.has_from_year = sq.has_to_year = true;
    sq.kpi = MVOI__KPI__KPI_CO2;
    sq.from_year = 2025;
    sq.to_year = 2026;
    e.body_case = MVOI__ENVELOPE__BODY_KPI_SERIES_QUERY;
    e.kpi_series_query = &sq;
    cr_assert_eq(h_request(f.kapi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_KPI_SERIES);
    cr_assert_eq(r->kpi_series->n_totals, 8);
    int64_t sum = 0;
    for (size_t i = 4; i < 8; i++)
        sum += r->kpi_series->totals[i]->realisation;
    cr_assert_eq(sum, co2->v[F_REAL]);
    mvoi__envelope__free_unpacked(r, NULL);
    kmap_destroy(&snap);
    zmq_ctx_term(zctx);
    fx_fini(&f);
}
