/*  mvoictl against the real calendar, impact-calculator and kpi-aggregator with CURVE on, as
 *  scripts/run deploys them (keys and registry by e2e_fleet_curve): every command's sockets
 *  are CURVE clients. `benchmark show` opened its own DEALER without the client keys and
 *  timed out ("no snapshot of kpi ... within 5000 ms", exit 69) against a ready aggregator.
 *  Also: `--json health` is one JSON document; a tender not found exits 65 naming the
 *  user's field, not the request's internal path. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

static e2e_fleet_t F;

static void s_up(void)
{
    e2e_fleet_init(&F, true);
    cr_assert_eq(e2e_fleet_curve(&F), 0, "CURVE keys");
    cr_assert_eq(e2e_fleet_up(&F, 15000), 0, "services did not come up (logs in %s)", F.dir);
}

static void s_down(void) { e2e_fleet_fini(&F, false); }

TestSuite(mvoictl_curve, .init = s_up, .fini = s_down, .timeout = 90);

/* mvoictl --lang en ARGS with the fleet's endpoints and this process's CURVE key (set in
 * the environment by e2e_fleet_curve); stdout in out, stderr in err. */
static int s_ctl(char *out, char *err, size_t cap, const char *const *args)
{
    char bin[512], po[256], pe[256];
    h_bin(bin, sizeof bin, "services/mvoictl/mvoictl");
    snprintf(po, sizeof po, "%s/ctl.out", F.dir);
    snprintf(pe, sizeof pe, "%s/ctl.err", F.dir);
    const char *argv[32] = { bin, "--lang", "en" };
    int n = 3;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(po, "w", stdout) || !freopen(pe, "w", stderr))
            _exit(126);
        unsetenv("MVOI_BUYER");
        unsetenv("MVOI_CTL_TIMEOUT_MS");
        setenv("MVOI_CALENDAR_API", F.capi, 1);
        setenv("MVOI_IMPACT_API", F.iapi, 1);
        setenv("MVOI_KPI_API", F.kapi, 1);
        setenv("MVOI_KPI_PUB", F.kpub, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    h_proc_t p = { .pid = pid };
    int st = 0;
    cr_assert_eq(h_wait(&p, 30000, &st), 0, "mvoictl hangs");
    const char *paths[2] = { po, pe };
    char *bufs[2] = { out, err };
    for (int i = 0; i < 2; i++) {
        FILE *fp = fopen(paths[i], "r");
        size_t got = fp ? fread(bufs[i], 1, cap - 1, fp) : 0;
        bufs[i][got] = 0;
        if (fp)
            fclose(fp);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char s_out[1 << 16], s_err[1 << 14];

Test(mvoictl_curve, benchmark_show_and_export_over_curve)
{
    /* the control first: a plain request over ctl_call gets through this bus */
    const char *const k[] = { "kpi", "show", "--year", "2025", NULL };
    cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, k), 0, "kpi show: %s", s_err);
    const char *const a[] = { "benchmark", "show", "--year", "2025", NULL };
    int rc = s_ctl(s_out, s_err, sizeof s_out, a);
    cr_expect_eq(rc, 0, "benchmark show: exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "snapshot") == NULL, "%s", s_err);
    cr_expect_neq(s_out[0], 0, "benchmark show printed nothing");
    const char *const b[] = { "benchmark", "export", NULL };
    rc = s_ctl(s_out, s_err, sizeof s_out, b);
    cr_expect_eq(rc, 0, "benchmark export: exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "snapshot") == NULL, "%s", s_err);
}

Test(mvoictl_curve, json_health_is_one_document)
{
    const char *const a[] = { "--json", "health", "calendar", "impact", "kpi", NULL };
    /* The followers become ready a moment after they answer (exit 69 until then): ask
     * until all three are, each answer being one document whatever it says. */
    int rc = -1;
    json_t *j = NULL;
    for (int64_t end = h_now_ms() + 15000; rc != 0 && h_now_ms() < end;) {
        if (j) {
            json_decref(j);
            h_sleep_ms(200);
        }
        rc = s_ctl(s_out, s_err, sizeof s_out, a);
        json_error_t je;
        j = json_loads(s_out, 0, &je);   /* rejects text after the first document */
        cr_assert(j, "not one JSON document: %s at %d: %s", je.text, je.line, s_out);
    }
    cr_expect_eq(rc, 0, "exit %d: %s", rc, s_err);
    cr_assert(json_is_array(j));
    cr_assert_eq(json_array_size(j), 3);
    const char *want[] = { "calendar", "impact", "kpi" };
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(j, i);
        cr_expect_str_eq(json_string_value(json_object_get(e, "service")), want[i]);
        cr_expect(json_is_true(json_object_get(e, "up")), "%s down", want[i]);
        cr_expect(json_is_object(json_object_get(e, "health")), "%s: no health", want[i]);
    }
    json_decref(j);
}

Test(mvoictl_curve, not_found_is_65_with_the_users_field)
{
    const char *const a[] = { "tender", "show", "NOPE-1", NULL };
    int rc = s_ctl(s_out, s_err, sizeof s_out, a);
    cr_expect_eq(rc, 65, "exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "(not found): id: no tender NOPE-1") != NULL, "%s", s_err);
    cr_expect(strstr(s_err, "get_tender") == NULL, "internal path shown: %s", s_err);
}

/* A measurement the calculator refuses: its id, the flag and the reason, not the request's
 * path ("compute_impact.measurements[0].energy.carrier"). */
Test(mvoictl_curve, a_refused_measurement_names_the_flag)
{
    const char *const a[] = { "measure", "whatif", "--id", "m-1", "--tender", "T-1",
                              "--period", "2025-01-01..2025-03-31", "--kind", "energy",
                              "--quantity", "100", NULL };
    int rc = s_ctl(s_out, s_err, sizeof s_out, a);
    cr_expect_eq(rc, 65, "exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "error (invalid input): m-1: --carrier: ") != NULL, "%s", s_err);
    cr_expect(strstr(s_err, "compute_impact") == NULL, "internal path shown: %s", s_err);
}

/* `tender update --expected-version abc` was version 0, "the version just read": the update
 * went through over anyone's change. Now it is refused by name and the tender is unchanged. */
Test(mvoictl_curve, a_bad_expected_version_changes_nothing)
{
    const char *const add[] = { "tender", "add", "--id", "V-1", "--title", "Eerste titel",
                                "--kind", "werken", "--publication", "2026-02-01", NULL };
    cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, add), 0, "%s", s_err);
    const char *const up[] = { "tender", "update", "V-1", "--title", "Tweede titel",
                               "--expected-version", "abc", NULL };
    int rc = s_ctl(s_out, s_err, sizeof s_out, up);
    cr_expect_eq(rc, 64, "exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "option --expected-version: 'abc'") != NULL, "%s", s_err);
    const char *const show[] = { "tender", "show", "V-1", NULL };
    cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, show), 0, "%s", s_err);
    cr_expect(strstr(s_out, "Eerste titel") && !strstr(s_out, "Tweede titel"), "%s", s_out);
}
