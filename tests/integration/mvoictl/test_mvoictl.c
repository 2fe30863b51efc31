/*  mvoictl: --help for every verb (enumerated from `mvoictl --help`), and `kpi show` in
 *  people's units against a fake kpi-aggregator that answers KpiQuery with known totals.
 *  The expected texts are worked out here from the raw integers (g, mg, cents).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "codec.h"
#include "harness.h"

static int s_run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(mvoictl, help_for_every_verb)
{
    char ctl[512], cmd[1024];
    static char out[1 << 16], verb_out[1 << 14];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "%s --help", ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0);
    int n = 0;
    bool saw_tender_add = false;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char group[32], verb[32];
        if (sscanf(line, "  mvoictl %31s %31s", group, verb) != 2)
            continue;
        n++;
        saw_tender_add |= !strcmp(group, "tender") && !strcmp(verb, "add");
        for (int lang = 0; lang < 2; lang++) {
            snprintf(cmd, sizeof cmd, "%s --lang %s %s %s --help 2>&1", ctl, lang ? "en" : "nl",
                     group, verb);
            int rc = s_run(cmd, verb_out, sizeof verb_out);
            cr_expect_eq(rc, 0, "%s: exit %d: %s", cmd, rc, verb_out);
            char want[96];
            snprintf(want, sizeof want, "%s: mvoictl %s %s", lang ? "usage" : "gebruik", group,
                     verb);
            cr_expect(strncmp(verb_out, want, strlen(want)) == 0, "%s: %s", cmd, verb_out);
        }
    }
    cr_expect_geq(n, 25, "verbs listed: %d", n);
    cr_expect(saw_tender_add);
}

/* `tender add --help` named 8 of its 20 flags: --start, --end (the contract), --budget-holder,
 * --adviser, --sdg, --sroi, --sroi-exempt, --pilot, --procedure and --source were taken but
 * not shown. The list here is the verb's options as a user may type them. */
Test(mvoictl, tender_add_help_names_every_flag)
{
    char ctl[512], cmd[1024];
    static char out[1 << 14];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "%s --lang en tender add --help 2>&1", ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0);
    static const char *const flags[] = {
        "--id ", "--title ", "--kind ", "--value ", "--publication ", "--start ", "--end ",
        "--group ", "--cpv ", "--leader ", "--budget-holder ", "--adviser ", "--theme ",
        "--sdg ", "--sroi ", "--sroi-exempt ", "--pilot ", "--procedure ", "--source ",
        "--json ",
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_expect(strstr(out, flags[i]), "%s missing from: %s", flags[i], out);
}

Test(mvoictl, errors_in_the_chosen_language)
{
    char ctl[512], cmd[1024];
    static char out[4096];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "%s kpi shw 2>&1", ctl);
    cr_expect_eq(s_run(cmd, out, sizeof out), 64);
    cr_expect(strstr(out, "onbekende opdracht 'kpi shw'"), "%s", out);
    snprintf(cmd, sizeof cmd, "%s --lang en kpi show --quarter 7 2>&1", ctl);
    cr_expect_eq(s_run(cmd, out, sizeof out), 64);
    cr_expect(strstr(out, "option --quarter: '7' is not a whole number between 1 and 4"), "%s",
              out);
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=tcp://127.0.0.1:9 %s --timeout 200 kpi show 2>&1",
             ctl);
    cr_expect_eq(s_run(cmd, out, sizeof out), 69);
    cr_expect(strstr(out, "geen antwoord van kpi"), "%s", out);
}

/* ---- a fake kpi-aggregator: KpiQuery{key} -> the total of that key, or NOT_FOUND */

typedef struct { const char *key; int64_t amb, real, proj, target; } s_fix_t;

static const s_fix_t s_fix[] = {
    { "kpi.heerlen.fairtrade.2026", 12, 7, 2, 0 },
    { "kpi.heerlen.sroi.2026", 0, 5000000, 4, 1050000 },    /* cents */
    { "kpi.heerlen.nox.2026", 1500, 96000000, 3, 0 },      /* mg */
    { "kpi.heerlen.material.2026", 0, 1234567, 1, 0 },     /* g */
    { "kpi.heerlen.co2.2026", 1000000, 27830000, 5, 0 },   /* g */
    { "kpi.heerlen.pilots.2026", 3, 1, 1, 3 },
    { "kpi.heerlen.co2.2026-q1", 0, 500, 1, 0 },           /* g, below a tonne */
};

static void *s_router;
static volatile int s_stop;

static void *s_serve(void *arg)
{
    (void)arg;
    while (!s_stop) {
        zmq_pollitem_t it = { s_router, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, s_router, 0);
        zmq_msg_recv(&body, s_router, 0);
        int err = 0;
        Mvoi__Envelope *req = codec_unpack(zmq_msg_data(&body), zmq_msg_size(&body),
                                           CODEC_DEFAULT_BUDGET, &err);
        Mvoi__Envelope rep = MVOI__ENVELOPE__INIT;
        Mvoi__KpiTotal t = MVOI__KPI_TOTAL__INIT;
        Mvoi__Error e = MVOI__ERROR__INIT;
        rep.request_id = req ? req->request_id : NULL;
        rep.body_case = MVOI__ENVELOPE__BODY_ERROR;
        rep.error = &e;
        e.has_code = true;
        e.code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
        e.message = "no such total";
        for (size_t i = 0; req && req->body_case == MVOI__ENVELOPE__BODY_KPI_QUERY &&
                           i < sizeof s_fix / sizeof s_fix[0]; i++) {
            if (strcmp(s_fix[i].key, req->kpi_query->key) != 0)
                continue;
            t.key = (char *)s_fix[i].key;
            t.has_ambition = t.has_realisation = t.has_projects = t.has_target = true;
            t.ambition = s_fix[i].amb;
            t.realisation = s_fix[i].real;
            t.projects = s_fix[i].proj;
            t.target = s_fix[i].target;
            rep.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
            rep.kpi_total = &t;
        }
        /* ComputeImpact (measure whatif): one result with every impact field set */
        Mvoi__MeasurementReply mr = MVOI__MEASUREMENT_REPLY__INIT;
        Mvoi__MeasurementResult res = MVOI__MEASUREMENT_RESULT__INIT, *resp = &res;
        Mvoi__Impact imp = MVOI__IMPACT__INIT;
        if (req && req->body_case == MVOI__ENVELOPE__BODY_COMPUTE_IMPACT) {
            res.id = "w1";
            res.has_ok = true;
            res.ok = true;
            res.impact = &imp;
            imp.has_co2_avoided_g = imp.has_nox_avoided_mg = imp.has_sroi_realised_cents = true;
            imp.co2_avoided_g = 27830000;       /* g */
            imp.nox_avoided_mg = 1208500;       /* mg */
            imp.sroi_realised_cents = 100050;   /* cents */
            mr.n_results = 1;
            mr.results = &resp;
            rep.body_case = MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY;
            rep.measurement_reply = &mr;
        }
        /* SubmitMeasurements (measure import): the calculator's answer when its store
         * failed, a whole request unavailable, under the run's correlation id */
        if (req && req->body_case == MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS) {
            rep.correlation_id = req->correlation_id;
            e.code = MVOI__ERROR_CODE__ERR_UNAVAILABLE;
            e.message = "storage failure; nothing was changed, retry with the same request id";
        }
        uint8_t buf[4096];
        int64_t len = codec_pack_into(&rep, buf, sizeof buf);
        zmq_send(s_router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(s_router, buf, len > 0 ? (size_t)len : 0, 0);
        codec_free(&req);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
    return NULL;
}

static void *s_zctx;
static pthread_t s_thr;
static char s_ep[256];

static void s_fake_start(void)
{
    s_zctx = zmq_ctx_new();
    s_router = zmq_socket(s_zctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(s_router, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_bind(s_router, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof s_ep;
    zmq_getsockopt(s_router, ZMQ_LAST_ENDPOINT, s_ep, &len);
    s_stop = 0;
    pthread_create(&s_thr, NULL, s_serve, NULL);
}

static void s_fake_stop(void)
{
    s_stop = 1;
    pthread_join(s_thr, NULL);
    zmq_close(s_router);
    zmq_ctx_term(s_zctx);
}

/* The row of a KPI label in the human table, squeezed to single spaces. */
static const char *s_row(const char *out, const char *label, char *row, size_t cap)
{
    const char *p = strstr(out, label);
    cr_assert(p, "no row %s in:\n%s", label, out);
    size_t n = 0;
    bool space = false;
    for (; *p && *p != '\n' && n + 1 < cap; p++) {
        if (*p == ' ') {
            space = true;
            continue;
        }
        if (space && n)
            row[n++] = ' ';
        space = false;
        row[n++] = *p;
    }
    row[n] = 0;
    return row;
}

/* The column (in characters, not bytes) at which needle ends in the row of label. */
static int s_col_end(const char *out, const char *label, const char *needle)
{
    const char *p = strstr(out, label);
    cr_assert(p, "no row %s in:\n%s", label, out);
    const char *eol = strchr(p, '\n'), *n = strstr(p, needle);
    cr_assert(n && (!eol || n < eol), "no %s in the row %s:\n%s", needle, label, out);
    int col = 0;
    for (const char *q = p; q < n + strlen(needle); q++)
        col += ((unsigned char)*q & 0xC0) != 0x80;
    return col;
}

Test(mvoictl, kpi_show_in_human_units, .init = s_fake_start, .fini = s_fake_stop)
{
    char ctl[512], cmd[1024], row[256];
    static char out[1 << 14];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s kpi show --year 2026 2>&1", s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "KPI's van heerlen, 2026"), "%s", out);
    /* columns: ambition, realisation, projects, target, unit */
    /* t: 27,830,000 g = 27.830 t; 1,000,000 g = 1.000 t */
    cr_expect_str_eq(s_row(out, "Vermeden CO2", row, sizeof row),
                     "Vermeden CO2 1,000 27,830 5 – t");   /* no target: not a target of 0 */
    /* t, rounded half away from zero: 1,234,567 g = 1.234567 t -> 1.235 */
    cr_expect_str_eq(s_row(out, "Vermeden primaire grondstoffen", row, sizeof row),
                     "Vermeden primaire grondstoffen 0,000 1,235 1 – t");
    /* kg: 96,000,000 mg = 96.000 kg; 1,500 mg = 0.0015 kg -> 0.002 */
    cr_expect_str_eq(s_row(out, "Vermeden NOx", row, sizeof row),
                     "Vermeden NOx 0,002 96,000 3 – kg");
    /* euros: 5,000,000 cents = 50,000.00; 1,050,000 cents = 10,500.00 */
    cr_expect_str_eq(s_row(out, "Social Return", row, sizeof row),
                     "Social Return € 0,00 € 50.000,00 4 € 10.500,00");
    /* counts */
    cr_expect_str_eq(s_row(out, "Fairtrade-producten", row, sizeof row),
                     "Fairtrade-producten 12 7 2 – producten");
    cr_expect_str_eq(s_row(out, "Pilots", row, sizeof row), "Pilots 3 1 1 3 pilots");
    cr_expect(!strstr(out, "27830000"), "%s", out);
    /* the euro sign and the dash are one character each: the columns line up */
    cr_expect_eq(s_col_end(out, "Social Return", "50.000,00"),
                 s_col_end(out, "Vermeden CO2", "27,830"), "%s", out);
    cr_expect_eq(s_col_end(out, "Social Return", "10.500,00"),
                 s_col_end(out, "Vermeden CO2", "–"), "%s", out);

    /* below a tonne the mass is in kg: 500 g = 0.500 kg */
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s kpi show --year 2026 --quarter 1", s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "KPI's van heerlen, Q1 2026"), "%s", out);
    cr_expect_str_eq(s_row(out, "Vermeden CO2", row, sizeof row),
                     "Vermeden CO2 0,000 0,500 1 – kg");
    /* the pilots' target is a year's (3): a quarter has none, not one of 0 */
    cr_expect_str_eq(s_row(out, "Pilots", row, sizeof row), "Pilots 0 0 0 – pilots");

    /* English grouping */
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s --lang en kpi show --year 2026", s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_row(out, "Social return", row, sizeof row),
                     "Social return €0.00 €50,000.00 4 €10,500.00");
    cr_expect_str_eq(s_row(out, "Avoided CO2", row, sizeof row),
                     "Avoided CO2 1.000 27.830 5 – t");

    /* --raw: the stored integers with their units; no target is "-" (it was 0) */
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s kpi show --year 2026 --raw", s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(s_row(out, "co2 ", row, sizeof row), "co2 1000000 27830000 5 - g");
    cr_expect_str_eq(s_row(out, "nox ", row, sizeof row), "nox 1500 96000000 3 - mg");
    cr_expect_str_eq(s_row(out, "sroi ", row, sizeof row), "sroi 0 5000000 4 1050000 cent");
    /* --json: no target is null, not a target of 0 that any figure meets */
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s --json kpi show --year 2026", s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "{\"kpi\": \"co2\", \"key\": \"kpi.heerlen.co2.2026\", \"ambition\": "
                          "1000000, \"realisation\": 27830000, \"projects\": 5, \"target\": null, "
                          "\"unit\": \"g\"}"), "%s", out);
    cr_expect(strstr(out, "\"realisation\": 1, \"projects\": 1, \"target\": 3, "
                          "\"unit\": \"pilots\"}\n]\n"), "%s", out);
    /* a quarter's pilots: the plan's target is a year's, the quarter has none */
    snprintf(cmd, sizeof cmd, "MVOI_KPI_API=%s %s --json kpi show --year 2026 --quarter 1",
             s_ep, ctl);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "{\"kpi\": \"pilots\", \"key\": \"kpi.heerlen.pilots.2026-q1\", "
                          "\"ambition\": 0, \"realisation\": 0, \"projects\": 0, \"target\": "
                          "null, \"unit\": \"pilots\"}"), "%s", out);
}

/* measure whatif prints the impact in one number style, exactly as the calculation text
 * beside it (trailing zeros dropped, money with its cents): 27,830,000 g = 27.830 kg;
 * 1,208,500 mg = 1,2085 kg; 100,050 cents = EUR 1.000,50. A what-if stores nothing: no
 * revision. */
Test(mvoictl, impact_in_human_units, .init = s_fake_start, .fini = s_fake_stop)
{
    char ctl[512], cmd[1024];
    static char out[1 << 14];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    const char *args = "measure whatif --id w1 --tender T --phase realisation --period "
                       "2026-01-01..2026-03-31 --kind energy --carrier hvo100 --quantity 10000";
    snprintf(cmd, sizeof cmd, "MVOI_IMPACT_API=%s %s %s 2>&1", s_ep, ctl, args);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "w1 CO2 27.830 kg NOx 1,2085 kg SROI € 1.000,50\n"), "%s", out);
    snprintf(cmd, sizeof cmd, "MVOI_IMPACT_API=%s %s --lang en %s 2>&1", s_ep, ctl, args);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "w1 CO2 27,830 kg NOx 1.2085 kg SROI € 1,000.50\n"), "%s", out);
    snprintf(cmd, sizeof cmd, "MVOI_IMPACT_API=%s %s --raw %s 2>&1", s_ep, ctl, args);
    cr_assert_eq(s_run(cmd, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "w1 rev 0 CO2 27830000 g NOx 1208500 mg SROI 100050 cent\n"), "%s", out);
}

/* A SubmitMeasurements answered ERR_UNAVAILABLE (the calculator's store failed: retry) is no
 * verdict on its rows. The import called them "failed" and exited 65, the code of a sheet to
 * correct, where `tender import` and every other command say 69 (retry) and the rows
 * "unconfirmed". Two rows, both unconfirmed, none failed, exit 69. */
Test(mvoictl, import_answered_unavailable_is_unconfirmed_69, .init = s_fake_start,
     .fini = s_fake_stop)
{
    char ctl[512], cmd[1400], dir[128], path[256];
    static char out[1 << 14];
    h_bin(ctl, sizeof ctl, "services/mvoictl/mvoictl");
    h_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.csv", dir);
    FILE *fp = fopen(path, "w");
    cr_assert(fp);
    fputs("id;tender;kind;carrier;quantity\nm1;T-1;energy;hvo100;10\nm2;T-1;energy;hvo100;20\n",
          fp);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "MVOI_IMPACT_API=%s %s --lang en --timeout 2000 measure import "
             "%s 2>&1", s_ep, ctl, path);
    int rc = s_run(cmd, out, sizeof out);
    cr_expect_eq(rc, 69, "exit %d: %s", rc, out);
    cr_expect(strstr(out, "unconfirmed: row 2 m1: storage failure") != NULL, "%s", out);
    cr_expect(strstr(out, "unconfirmed: row 3 m2: storage failure") != NULL, "%s", out);
    cr_expect(strstr(out, "failed:") == NULL, "%s", out);
    cr_expect(strstr(out, "0 refused") != NULL, "%s", out);
    cr_expect(strstr(out, "2 row(s) unconfirmed") != NULL, "%s", out);
    snprintf(cmd, sizeof cmd, "MVOI_IMPACT_API=%s %s --json --timeout 2000 measure import %s",
             s_ep, ctl, path);
    rc = s_run(cmd, out, sizeof out);
    cr_expect_eq(rc, 69, "exit %d: %s", rc, out);
    cr_expect(strstr(out, "\"unconfirmed\": 2, \"failed\": 0") != NULL, "%s", out);
    h_tmpdir_remove(dir);
}
