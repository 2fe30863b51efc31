/*  e2e_fleet: the three services as real processes (start, health, kill -9, stop). See e2e.h. */
#include "e2e.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mvoi_curve.h"

extern char **environ;

/* ================================================================ fleet */

static const char *s_names[3] = { "calendar", "impact-calculator", "kpi-aggregator" };
static const char *s_bins[3] = { "services/calendar/mvoi-calendar",
                                 "services/impact-calculator/mvoi-impact-calculator",
                                 "services/kpi-aggregator/mvoi-kpi-aggregator" };

const char *e2e_fleet_name(int which) { return s_names[which]; }

/* Has the environment built for service w a value for the variable of kv ("NAME=...")? */
static bool s_has(const e2e_fleet_t *f, int w, const char *kv)
{
    size_t nl = strcspn(kv, "=");
    for (int i = 0; f->envp[w][i]; i++)
        if (strncmp(f->envp[w][i], kv, nl + 1) == 0)
            return true;
    return false;
}

/* The caller's settings of each service (MVOI_<SERVICE>_*: the A/B runs of the benchmarks)
 * reach it, but for what the fleet set itself (endpoints, data dir, heartbeat, sync), and
 * LD_PRELOAD reaches all three (allocator experiments). The services get only the
 * environment built here; a list of names passed through had silently dropped two
 * settings that an A/B named as its switch. A variable without room is fatal: a run
 * without the setting it asked for would measure something else. */
static void s_pass_through(e2e_fleet_t *f)
{
    static const char *const prefix[3] = { "MVOI_CALENDAR_", "MVOI_IMPACT_CALCULATOR_",
                                           "MVOI_KPI_AGGREGATOR_" };
    for (char **e = environ; *e; e++)
        for (int w = 0; w < 3; w++) {
            bool ours = strncmp(*e, prefix[w], strlen(prefix[w])) == 0
                        || strncmp(*e, "LD_PRELOAD=", 11) == 0;
            if (!ours || s_has(f, w, *e))
                continue;
            if (e2e_fleet_env(f, w, *e) != 0) {
                fprintf(stderr, "e2e fleet: no room for %.64s in the %s's environment\n", *e,
                        s_names[w]);
                exit(2);
            }
        }
}

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
        P(w, "MVOI_CURVE=off");   /* explicitly plain (warned); e2e_fleet_curve turns it on */
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
    s_pass_through(f);
}

int e2e_fleet_env(e2e_fleet_t *f, int which, const char *kv)
{
    int n = 0;
    while (f->envp[which][n])
        n++;
    if (n >= E2E_ENV_MAX || strlen(kv) >= sizeof f->env[which][n])
        return -E2BIG;
    snprintf(f->env[which][n], sizeof f->env[which][n], "%s", kv);
    f->envp[which][n] = f->env[which][n];
    f->envp[which][n + 1] = NULL;
    return 0;
}

int e2e_fleet_curve(e2e_fleet_t *f)
{
    char keys[160], reg[200], pub[41], cpub[41], path[320];
    snprintf(keys, sizeof keys, "%s/keys", f->dir);
    if (mkdir(keys, 0700) != 0)
        return -errno;
    int rc = mvoi_curve_generate(keys, "bus", pub);
    if (rc == 0)
        rc = mvoi_curve_generate(keys, "client", cpub);
    if (rc != 0)
        return rc;
    snprintf(reg, sizeof reg, "%s/keys.ini", keys);
    FILE *fp = fopen(reg, "w");
    if (!fp)
        return -errno;
    fprintf(fp, "[bus]\npublic = %s\nrole = service\nbuyers = *\n\n"
                "[client]\npublic = %s\nrole = admin\nbuyers = *\n", pub, cpub);
    fclose(fp);
    for (int w = 0; w < 3; w++) {
        for (int i = 0; f->envp[w][i]; i++)
            if (strcmp(f->env[w][i], "MVOI_CURVE=off") == 0)
                snprintf(f->env[w][i], 256, "MVOI_CURVE=on");
        char kv[2][256];
        snprintf(kv[0], sizeof kv[0], "MVOI_CURVE_SERVER_KEY_FILE=%s/bus.key", keys);
        snprintf(kv[1], sizeof kv[1], "MVOI_KEYS_FILE=%s", reg);
        if ((rc = e2e_fleet_env(f, w, kv[0])) != 0 || (rc = e2e_fleet_env(f, w, kv[1])) != 0 ||
            (rc = e2e_fleet_env(f, w, "MVOI_CURVE_KEY=")) != 0)   /* not the test's key */
            return rc;
    }
    snprintf(path, sizeof path, "%s/client.key", keys);
    setenv("MVOI_CURVE", "on", 1);
    setenv("MVOI_CURVE_SERVER_PUBLIC", pub, 1);
    setenv("MVOI_CURVE_KEY_FILE", path, 1);
    static mvoi_curve_t c;
    char err[256];
    if (mvoi_curve_from_env(&c, err, sizeof err) != 0)
        return -EINVAL;
    mvoi_curve_set(&c);
    return 0;
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
    if (mvoi_curve_get()) {   /* e2e_fleet_curve: the next fleet starts plain */
        mvoi_curve_set(NULL);
        unsetenv("MVOI_CURVE_SERVER_PUBLIC");
        unsetenv("MVOI_CURVE_KEY_FILE");
        setenv("MVOI_CURVE", "off", 1);
    }
    if (!keep && f->dir[0])
        h_tmpdir_remove(f->dir);
}
