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
#include "mvoi_curve.h"

static e2e_fleet_t F;

static void s_up(void)
{
    e2e_fleet_init(&F, true);
    cr_assert_eq(e2e_fleet_curve(&F), 0, "CURVE keys");
    cr_assert_eq(e2e_fleet_up(&F, 15000), 0, "services did not come up (logs in %s)", F.dir);
}

static void s_down(void) { e2e_fleet_fini(&F, false); }

/* When set: the CURVE key file of the next mvoictl (a key the services do not know). */
static const char *s_key_file;

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
        setenv("MVOI_BUYER", "heerlen", 1);   /* the buyer of the commands without --buyer */
        unsetenv("MVOI_CTL_TIMEOUT_MS");
        setenv("MVOI_CALENDAR_API", F.capi, 1);
        setenv("MVOI_IMPACT_API", F.iapi, 1);
        setenv("MVOI_KPI_API", F.kapi, 1);
        setenv("MVOI_KPI_PUB", F.kpub, 1);
        if (s_key_file)
            setenv("MVOI_CURVE_KEY_FILE", s_key_file, 1);
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

/* A measurement right after its tender is stored by the first `measure add`: the
 * calculator used to answer "not known to the calendar" while the tender's event was on its
 * way (exit 65, a wrong final answer), or "retry later" (69). Now it asks the calendar and
 * mvoictl asks again under the same request id; a tender the calendar does not hold is
 * still a final 65 naming --tender, not a 69. Two buyers with the same ids. */
Test(mvoictl_curve, a_measurement_right_after_its_tender_is_stored_at_once)
{
    const char *const buyers[] = { "heerlen", "landgraaf" };
    for (int k = 0; k < 5; k++) {
        for (size_t b = 0; b < 2; b++) {
            char id[16], mid[16];
            snprintf(id, sizeof id, "Q-%d", k);
            snprintf(mid, sizeof mid, "qm-%d", k);
            const char *const add[] = { "--buyer", buyers[b], "tender", "add", "--id", id,
                                        "--title", "Wegen", "--kind", "werken", "--value",
                                        "250.000", "--publication", "2026-03-02", NULL };
            cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, add), 0, "%s", s_err);
            const char *const meas[] = { "--buyer", buyers[b], "measure", "add", "--id", mid,
                                         "--tender", id, "--period", "2026-01-01..2026-03-31",
                                         "--submitter", "Firma", "--kind", "energy",
                                         "--carrier", "hvo100", "--reference", "diesel_b7",
                                         "--quantity", "1000", NULL };
            int rc = s_ctl(s_out, s_err, sizeof s_out, meas);
            cr_assert_eq(rc, 0, "%s %s: exit %d: %s", buyers[b], id, rc, s_err);
        }
    }
    const char *const nope[] = { "--buyer", "landgraaf", "measure", "add", "--id", "qm-x",
                                 "--tender", "NOPE-9", "--period", "2026-01-01..2026-03-31",
                                 "--submitter", "Firma", "--kind", "energy", "--carrier",
                                 "hvo100", "--reference", "diesel_b7", "--quantity", "1000",
                                 NULL };
    int64_t t0 = h_now_ms();
    int rc = s_ctl(s_out, s_err, sizeof s_out, nope);
    cr_expect_eq(rc, 65, "exit %d: %s", rc, s_err);
    cr_expect(strstr(s_err, "error (not found): qm-x: --tender: tender 'NOPE-9' is not "
                     "known to the calendar") != NULL, "%s", s_err);
    cr_expect_lt(h_now_ms() - t0, 3000, "the final answer took %lld ms",
                 (long long)(h_now_ms() - t0));
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

/* A key the services do not know is refused in the handshake: every command says so at once
 * and exits 77 (EX_NOPERM). `kpi watch` waited out its timeout and exited 69 "no snapshot",
 * `system health` 69 "not ready", `tender import` 69 with every row "failed: no answer from
 * the service", `measure import` 69 with the row "unconfirmed: it may or may not be stored". */
Test(mvoictl_curve, a_refused_key_is_77_for_every_command)
{
    char kdir[256], key[320], csv[320], mcsv[320];
    snprintf(kdir, sizeof kdir, "%s/keys", F.dir);
    char pub[41];
    cr_assert_eq(mvoi_curve_generate(kdir, "stranger", pub), 0);
    snprintf(key, sizeof key, "%s/stranger.key", kdir);
    snprintf(csv, sizeof csv, "%s/t.csv", F.dir);
    snprintf(mcsv, sizeof mcsv, "%s/m.csv", F.dir);
    FILE *f = fopen(csv, "w");
    cr_assert(f);
    fputs("id;title;kind\nR-1;Eerste;werken\nR-2;Tweede;diensten\n", f);
    fclose(f);
    f = fopen(mcsv, "w");
    cr_assert(f);
    fputs("id,tender,period,kind,carrier,reference,quantity\n"
          "m-1,R-1,2025-01-01..2025-03-31,energy,hvo100,diesel_b7,100\n", f);
    fclose(f);
    const char *const cmds[][8] = {
        { "--timeout", "20000", "kpi", "watch", "--seconds", "30", NULL },
        { "--timeout", "20000", "system", "health", "calendar", "impact", NULL },
        { "--timeout", "20000", "system", "health", "kpi", NULL },
        { "--timeout", "20000", "tender", "import", csv, NULL },
        { "--timeout", "20000", "tender", "import", "--dry-run", csv, NULL },
        { "--timeout", "20000", "measure", "import", mcsv, NULL },
        { "--timeout", "20000", "kpi", "show", NULL },   /* the control: it was right */
    };
    s_key_file = key;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int64_t t0 = h_now_ms();
        int rc = s_ctl(s_out, s_err, sizeof s_out, cmds[i]);
        int64_t ms = h_now_ms() - t0;
        cr_expect_eq(rc, 77, "%s %s: exit %d: %s", cmds[i][2], cmds[i][3], rc, s_err);
        cr_expect(strstr(s_err, "refused the connection (status 400)") != NULL, "%s %s: %s",
                  cmds[i][2], cmds[i][3], s_err);
        cr_expect(strstr(s_err, "no answer") == NULL && strstr(s_out, "unconfirmed") == NULL &&
                  strstr(s_out, "failed") == NULL, "%s %s: a refusal taken for silence: %s%s",
                  cmds[i][2], cmds[i][3], s_out, s_err);
        cr_expect_lt(ms, 10000, "%s %s: %lld ms: not named at once", cmds[i][2], cmds[i][3],
                     (long long)ms);
    }
    s_key_file = NULL;
    /* Nothing of the file was taken: with the right key the calendar has no R-1. */
    const char *const show[] = { "tender", "show", "R-1", NULL };
    cr_expect_eq(s_ctl(s_out, s_err, sizeof s_out, show), 65, "%s", s_err);
}

/* --json of an import whose file has a bad cell: the "row;column;value;reason" lines were
 * all there was on stdout (a dry run: no JSON) or nothing at all (an import). Now the one
 * document names each cell; nothing is stored. Tenders and measurements alike. */
Test(mvoictl_curve, json_import_of_a_bad_file_is_one_document)
{
    char tcsv[320], mcsv[320];
    snprintf(tcsv, sizeof tcsv, "%s/bad-t.csv", F.dir);
    snprintf(mcsv, sizeof mcsv, "%s/bad-m.csv", F.dir);
    FILE *f = fopen(tcsv, "w");
    cr_assert(f);
    fputs("Kenmerk;Titel;Soort;Waarde\nJ-1;Dak;werken;12O\nJ-2;\"Gevel; oost\";werken;100\n", f);
    fclose(f);
    f = fopen(mcsv, "w");
    cr_assert(f);
    fputs("id,tender,period,kind,carrier,reference,quantity\n"
          "m-9,J-1,2025-01-01..2025-03-31,energy,hvo100,diesel_b7,1O0\n", f);
    fclose(f);
    const char *const cmds[][7] = {
        { "--json", "tender", "import", tcsv, NULL },
        { "--json", "tender", "import", "--dry-run", tcsv, NULL },
        { "--json", "measure", "import", mcsv, NULL },
        { "--json", "measure", "import", "--dry-run", mcsv, NULL },
    };
    const char *const col[] = { "Waarde", "Waarde", "quantity", "quantity" };
    const char *const val[] = { "12O", "12O", "1O0", "1O0" };
    for (size_t i = 0; i < 4; i++) {
        int rc = s_ctl(s_out, s_err, sizeof s_out, cmds[i]);
        cr_expect_eq(rc, 65, "%s %s: exit %d: %s", cmds[i][1], cmds[i][2], rc, s_err);
        json_error_t je;
        json_t *j = json_loads(s_out, 0, &je);   /* rejects text after the first document */
        cr_assert(j, "%s %s: not one JSON document: %s: '%s'", cmds[i][1], cmds[i][2], je.text,
                  s_out);
        cr_expect(json_is_false(json_object_get(j, "imported")), "%s", s_out);
        cr_expect_eq(json_is_true(json_object_get(j, "dry_run")), i % 2 == 1, "%s", s_out);
        json_t *errs = json_object_get(j, "errors");
        cr_assert_eq(json_array_size(errs), 1, "%s", s_out);
        json_t *e = json_array_get(errs, 0);
        cr_expect_eq(json_integer_value(json_object_get(e, "row")), 2, "%s", s_out);
        cr_expect_str_eq(json_string_value(json_object_get(e, "column")), col[i]);
        cr_expect_str_eq(json_string_value(json_object_get(e, "value")), val[i]);
        cr_expect_neq(json_string_length(json_object_get(e, "reason")), 0);
        json_decref(j);
    }
    const char *const show[] = { "tender", "show", "J-2", NULL };
    cr_expect_eq(s_ctl(s_out, s_err, sizeof s_out, show), 65, "nothing stored: %s", s_out);
    /* an OCDS file that is no JSON: the same document, the reason naming line and column */
    char ocds[320];
    snprintf(ocds, sizeof ocds, "%s/bad.json", F.dir);
    f = fopen(ocds, "w");
    cr_assert(f);
    fputs("{\"releases\": [ {\"ocid\": ", f);
    fclose(f);
    const char *const oc[] = { "--json", "tender", "import", ocds, NULL };
    cr_expect_eq(s_ctl(s_out, s_err, sizeof s_out, oc), 65, "%s", s_err);
    json_error_t je;
    json_t *j = json_loads(s_out, 0, &je);
    cr_assert(j, "OCDS: not one JSON document: %s: '%s'", je.text, s_out);
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    cr_expect(e && strstr(json_string_value(json_object_get(e, "reason")), "line 1 column"),
              "%s", s_out);
    json_decref(j);
}

/* `kpi watch` printed "KEY ambition=... seq=..." lines whatever --json said, and refused
 * `kpi watch --json` after the verb (as `kpi show --json` takes it). Now with --json each
 * change is one JSON object on one line (JSON Lines: a stream has no one document). */
Test(mvoictl_curve, kpi_watch_json_is_a_json_object_per_line)
{
    const char *const add[] = { "tender", "add", "--id", "W-1", "--title", "Wegen",
                                "--kind", "werken", "--value", "250.000",
                                "--publication", "2026-03-02", "--theme", "klimaat:eis", NULL };
    cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, add), 0, "%s", s_err);
    const char *const meas[] = { "measure", "add", "--id", "wm-1", "--tender", "W-1",
                                 "--period", "2026-01-01..2026-03-31", "--submitter", "Firma",
                                 "--kind", "energy", "--carrier", "hvo100", "--reference",
                                 "diesel_b7", "--quantity", "1000", NULL };
    /* right after the tender: the calculator asks the calendar, mvoictl asks again */
    cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, meas), 0, "%s", s_err);
    const char *const forms[][6] = {
        { "--json", "kpi", "watch", "--seconds", "1", NULL },
        { "kpi", "watch", "--json", "--seconds", "1", NULL },
    };
    for (size_t f = 0; f < 2; f++) {
        size_t lines = 0;
        for (int64_t end = h_now_ms() + 15000; lines == 0 && h_now_ms() < end;) {
            int rc = s_ctl(s_out, s_err, sizeof s_out, forms[f]);
            cr_assert_eq(rc, 0, "form %zu: exit %d: %s", f, rc, s_err);
            for (char *line = strtok(s_out, "\n"); line; line = strtok(NULL, "\n")) {
                json_error_t je;
                json_t *j = json_loads(line, 0, &je);
                cr_assert(j, "form %zu: not a JSON line: %s: '%s'", f, je.text, line);
                cr_expect_str_eq(json_string_value(json_object_get(j, "buyer")), "heerlen");
                const char *key = json_string_value(json_object_get(j, "key"));
                cr_expect(key && strncmp(key, "kpi.heerlen.", 12) == 0, "%s", line);
                cr_expect(json_is_integer(json_object_get(j, "seq")), "%s", line);
                json_decref(j);
                lines++;
            }
        }
        cr_expect_gt(lines, 0, "form %zu: no totals in 15 s", f);
    }
}

/* The lines of out (each ends in '\n'). */
static size_t s_lines(const char *out)
{
    size_t n = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        n++;
    return n;
}

/* `kpi watch --count N` counted only the changes after the first snapshot: the snapshot's
 * lines were all printed, then it waited for N more (with a snapshot of 5 totals and
 * --count 1: 5 lines, then a wait for a change that may never come). N is the number of
 * lines in all. Landgraaf stores the same tender and measurement ids: its totals are on the
 * stream too, and are neither printed nor counted under Heerlen's prefix. */
Test(mvoictl_curve, kpi_watch_count_limits_the_snapshot_too)
{
    const char *const add[] = { "tender", "add", "--id", "C-1", "--title", "Wegen",
                                "--kind", "werken", "--value", "250.000",
                                "--publication", "2026-03-02", "--theme", "klimaat:eis", NULL };
    const char *const meas[] = { "measure", "add", "--id", "cm-1", "--tender", "C-1",
                                 "--period", "2026-01-01..2026-03-31", "--submitter", "Firma",
                                 "--kind", "energy", "--carrier", "hvo100", "--reference",
                                 "diesel_b7", "--quantity", "1000", NULL };
    const char *const buyers[] = { "heerlen", "landgraaf" };
    for (size_t b = 0; b < 2; b++) {
        const char *ba[32] = { "--buyer", buyers[b] };
        size_t n = 2;
        for (size_t i = 0; add[i]; i++)
            ba[n++] = add[i];
        ba[n] = NULL;
        cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, ba), 0, "%s: %s", buyers[b], s_err);
        n = 2;
        for (size_t i = 0; meas[i]; i++)
            ba[n++] = meas[i];
        ba[n] = NULL;
        cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, ba), 0, "%s: %s", buyers[b], s_err);
    }
    /* The whole snapshot of Heerlen: at least two totals (so that --count 1 cuts it). */
    const char *const all[] = { "kpi", "watch", "--seconds", "1", NULL };
    size_t total = 0;
    for (int64_t end = h_now_ms() + 15000; total < 2 && h_now_ms() < end;) {
        cr_assert_eq(s_ctl(s_out, s_err, sizeof s_out, all), 0, "%s", s_err);
        total = s_lines(s_out);
        if (total < 2)
            h_sleep_ms(200);
    }
    cr_assert_geq(total, 2, "snapshot of %zu totals: %s", total, s_out);
    /* --seconds 20 is a bound, not the end: --count alone must end it, long before */
    const char *counts[] = { "1", "2" };
    for (size_t c = 0; c < 2; c++) {
        for (int json = 0; json < 2; json++) {
            const char *const w[] = { "kpi", "watch", "--count", counts[c], "--seconds", "20",
                                      json ? "--json" : NULL, NULL };
            int64_t t0 = h_now_ms();
            int rc = s_ctl(s_out, s_err, sizeof s_out, w);
            cr_expect_eq(rc, 0, "--count %s: exit %d: %s", counts[c], rc, s_err);
            cr_expect_eq(s_lines(s_out), c + 1, "--count %s json %d: %zu lines:\n%s",
                         counts[c], json, s_lines(s_out), s_out);
            cr_expect_lt(h_now_ms() - t0, 15000, "--count %s waited for more", counts[c]);
            cr_expect(strstr(s_out, "landgraaf") == NULL, "%s", s_out);
        }
    }
}
