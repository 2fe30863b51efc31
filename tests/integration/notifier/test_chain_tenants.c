/*  The whole chain for two buyers with the SAME tender id (X-001) and measurement id (m-1):
 *  calendar -> impact-calculator -> kpi-aggregator -> notifier (real SMTP: aiosmtpd) ->
 *  report -> gateway, every one a real process with its own LMDB.
 *
 *  heerlen reports 10,000 litres of HVO100 instead of diesel B7 on its X-001, venlo 4,000
 *  litres on its own X-001. Avoided CO2 per litre: 3.251 - 0.468 = 2.783 kg (the public
 *  factors; docs/domain.md), so heerlen 10,000 x 2,783 g = 27,830,000 g and venlo
 *  4,000 x 2,783 g = 11,132,000 g. Each buyer's invitation (its own UID and people), its
 *  KPI total, its report and the gateway's figures for it must be exactly its own; nothing
 *  of the other buyer may appear in them.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nt_it.h"

#define G_PER_LITRE 2783   /* 3.251 - 0.468 kg/l, in g */

typedef struct {
    const char *buyer, *name, *other_name, *title, *leader;
    int64_t litres, want_g;
} s_buyer_t;

static s_buyer_t s_b[2] = {
    { "heerlen", "Gemeente Heerlen", "Gemeente Venlo", "Straatverlichting Heerlen-Noord",
      "pl@heerlen.example", 10000, 10000 * G_PER_LITRE },
    { "venlo", "Gemeente Venlo", "Gemeente Heerlen", "Veegdienst Venlo-Blerick",
      "pl@venlo.example", 4000, 4000 * G_PER_LITRE },
};

typedef struct {
    it_ctx_t c;
    char imp_api[300], imp_pub[300], kpi_api[300], kpi_pub[300], rep_api[300];
    char reports[400];
    int http;
    h_proc_t imp, kpi, rep, gw;
} s_chain_t;

static void s_spawn(s_chain_t *x, h_proc_t *p, const char *rel, const char *name,
                    const char *const *env, const char *api)
{
    char bin[512];
    h_bin(bin, sizeof bin, rel);
    cr_assert_eq(h_spawn(p, bin, name, x->c.dir, env), 0);
    if (api)
        cr_assert_eq(h_wait_healthy(api, 30000), 0, "%s did not come up (%s)", name, p->log);
}

static void s_up(s_chain_t *x)
{
    it_ctx_t *c = &x->c;
    it_setup_with(c, (int64_t)time(NULL) * 1000, true);   /* the real calendar */
    it_start_sink(c, false);                                 /* aiosmtpd */
    const char *d = c->dir;
    snprintf(x->imp_api, sizeof x->imp_api, "ipc://%s/imp.api", d);
    snprintf(x->imp_pub, sizeof x->imp_pub, "ipc://%s/imp.pub", d);
    snprintf(x->kpi_api, sizeof x->kpi_api, "ipc://%s/kpi.api", d);
    snprintf(x->kpi_pub, sizeof x->kpi_pub, "ipc://%s/kpi.pub", d);
    snprintf(x->rep_api, sizeof x->rep_api, "ipc://%s/rep.api", d);
    snprintf(x->reports, sizeof x->reports, "%s/rep/report/reports", d);
    x->http = it_port();
    static char e[4][12][512];
    const char *ep[4][13];
    int n[4] = { 0 };
#define P(w, ...) snprintf(e[w][n[w]++], 512, __VA_ARGS__)
    P(0, "MVOI_DATA_DIR=%s/imp", d);
    P(0, "MVOI_IMPACT_CALCULATOR_API=%s", x->imp_api);
    P(0, "MVOI_IMPACT_CALCULATOR_PUB=%s", x->imp_pub);
    P(0, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", c->e_cal_api);
    P(0, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", c->e_cal_pub);
    P(1, "MVOI_DATA_DIR=%s/kpi", d);
    P(1, "MVOI_KPI_AGGREGATOR_API=%s", x->kpi_api);
    P(1, "MVOI_KPI_AGGREGATOR_PUB=%s", x->kpi_pub);
    P(1, "MVOI_KPI_AGGREGATOR_CALENDAR_API=%s", c->e_cal_api);
    P(1, "MVOI_KPI_AGGREGATOR_CALENDAR_PUB=%s", c->e_cal_pub);
    P(1, "MVOI_KPI_AGGREGATOR_IMPACT_API=%s", x->imp_api);
    P(1, "MVOI_KPI_AGGREGATOR_IMPACT_PUB=%s", x->imp_pub);
    P(2, "MVOI_DATA_DIR=%s/rep", d);
    P(2, "MVOI_REPORT_API=%s", x->rep_api);
    P(2, "MVOI_REPORT_PUB=ipc://%s/rep.pub", d);
    P(2, "MVOI_REPORT_KPI_API=%s", x->kpi_api);
    P(2, "MVOI_REPORT_CALENDAR_API=%s", c->e_cal_api);
    P(2, "MVOI_REPORT_IMPACT_API=%s", x->imp_api);
    P(2, "MVOI_REPORT_AUTO=false");
    P(2, "MVOI_REPORT_CHROMIUM=");
    P(3, "MVOI_DATA_DIR=%s/gw", d);
    P(3, "MVOI_GATEWAY_LISTEN=127.0.0.1:%d", x->http);
    P(3, "MVOI_GATEWAY_CALENDAR_API=%s", c->e_cal_api);
    P(3, "MVOI_GATEWAY_IMPACT_API=%s", x->imp_api);
    P(3, "MVOI_GATEWAY_KPI_API=%s", x->kpi_api);
    P(3, "MVOI_GATEWAY_KPI_PUB=%s", x->kpi_pub);
    P(3, "MVOI_GATEWAY_NOTIFIER_API=%s", c->e_nt_api);
    P(3, "MVOI_GATEWAY_REPORT_API=%s", x->rep_api);
    P(3, "MVOI_GATEWAY_REPORTS_DIR=%s", x->reports);
    /* an adviser's token (role admin) for the narratives: sha256 of "chain-admin" */
    char tokens[400];
    snprintf(tokens, sizeof tokens, "%s/tokens", d);
    FILE *tf = fopen(tokens, "w");
    cr_assert(tf);
    fputs("admin 2ff55108520cb8c53ca4a64788c769dfdb856e4547a5a459c77577721b0d0c4c adviser buyers=*\n", tf);
    fclose(tf);
    P(3, "MVOI_GATEWAY_TOKENS_FILE=%s", tokens);
#undef P
    for (int w = 0; w < 4; w++) {
        snprintf(e[w][n[w]++], 512, "MVOI_LOG_LEVEL=warn");
        for (int i = 0; i < n[w]; i++)
            ep[w][i] = e[w][i];
        ep[w][n[w]] = NULL;
    }
    /* the notifier: real SMTP; only the project leader is invited (no configured people) */
    it_env(c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c->smtp);
    it_env(c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
    it_env(c, "MVOI_NOTIFIER_CORE_TEAM=");
    it_start_nt(c);
    s_spawn(x, &x->imp, "services/impact-calculator/mvoi-impact-calculator", "impact", ep[0],
            x->imp_api);
    s_spawn(x, &x->kpi, "services/kpi-aggregator/mvoi-kpi-aggregator", "kpi", ep[1], x->kpi_api);
    s_spawn(x, &x->rep, "services/report/mvoi-report", "report", ep[2], x->rep_api);
    s_spawn(x, &x->gw, "services/gateway/mvoi-gateway", "gateway", ep[3], NULL);
}

static void s_down(s_chain_t *x)
{
    h_proc_t *ps[] = { &x->gw, &x->rep, &x->kpi, &x->imp };
    for (size_t i = 0; i < 4; i++)
        h_kill9(ps[i]);
    it_teardown(&x->c);
}

/* GET (or, with a body, POST as the adviser) http://127.0.0.1:<port><path>: the status and
 * the body (malloc'd) */
static char *s_http(s_chain_t *x, const char *path, const char *post, int *status)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys,urllib.request,urllib.error\n"
             "d=sys.argv[2].encode() if len(sys.argv)>2 else None\n"
             "q=urllib.request.Request(sys.argv[1],data=d,headers={\"Content-Type\":\"application/json\","
             "\"Authorization\":\"Bearer chain-admin\"} if d else {})\n"
             "try:\n r=urllib.request.urlopen(q,timeout=60); s=r.status; b=r.read()\n"
             "except urllib.error.HTTPError as e:\n s=e.code; b=e.read()\n"
             "sys.stdout.write(str(s)+\"\\n\"); sys.stdout.flush(); sys.stdout.buffer.write(b)' "
             "'http://127.0.0.1:%d%s'%s%s%s", x->http, path, post ? " '" : "", post ? post : "",
             post ? "'" : "");
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - 1 - n, p)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert(buf);
        }
    }
    buf[n] = 0;
    pclose(p);
    *status = atoi(buf);
    char *nl = strchr(buf, '\n');
    char *body = strdup(nl ? nl + 1 : "");
    free(buf);
    return body;
}

static char *s_get(s_chain_t *x, const char *path, int *status)
{
    return s_http(x, path, NULL, status);
}

static void s_tender(s_chain_t *x, const s_buyer_t *b)
{
    Mvoi__Person pl = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "Projectleider",
                        (char *)b->leader };
    Mvoi__Tender t = it_tender("X-001", true, "2027-03-15", NULL, NULL, false);
    t.buyer = (char *)b->buyer;
    t.title = (char *)b->title;
    t.project_leader = &pl;
    t.budget_holder = t.procurement_adviser = NULL;
    /* services of EUR 500,000: a European open procedure, so a kick-off (the plan's rule) */
    t.has_kind = true, t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.has_value_cents = true, t.value_cents = 50000000;
    t.purchasing_group = "Openbare ruimte";
    it_register(&x->c, &t, false);
}

/* m-1: litres of HVO100 in October 2026, retried until the impact-calculator knows X-001 */
static void s_measure(s_chain_t *x, const s_buyer_t *b)
{
    Mvoi__EnergyUse en = MVOI__ENERGY_USE__INIT;
    en.has_carrier = true, en.carrier = MVOI__CARRIER__CARRIER_HVO100;
    en.has_quantity_milli = true, en.quantity_milli = b->litres * 1000;
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT, *pm = &m;
    m.id = "m-1";
    m.buyer = (char *)b->buyer;
    m.tender_id = "X-001";
    m.submitter = (char *)b->leader;
    m.has_phase = true, m.phase = MVOI__PHASE__PHASE_REALISATION;
    m.period_start = "2026-10-01";
    m.period_end = "2026-10-31";
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &en;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.measurements = &pm, sm.n_measurements = 1;
    for (int i = 0; i < 100; i++) {
        Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *rep = NULL;
        e.buyer = (char *)b->buyer;
        e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
        e.submit_measurements = &sm;
        cr_assert_eq(it_call(&x->c, x->imp_api, &e, &rep), 0);
        bool ok = rep->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY &&
                  rep->measurement_reply->n_results == 1 &&
                  rep->measurement_reply->results[0]->ok;
        if (!ok && i % 20 == 19)
            cr_log_warn("%s m-1: %s", b->buyer,
                        rep->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY &&
                        rep->measurement_reply->n_results &&
                        rep->measurement_reply->results[0]->error
                            ? rep->measurement_reply->results[0]->error->message
                            : rep->body_case == MVOI__ENVELOPE__BODY_ERROR ? rep->error->message
                                                                            : "?");
        mvoi__envelope__free_unpacked(rep, NULL);
        if (ok)
            return;
        h_sleep_ms(100);
    }
    cr_assert_fail("%s m-1 not accepted", b->buyer);
}

/* the realisation of key in the gateway's /api/kpi of buyer, -1 when absent */
static int64_t s_gw_total(s_chain_t *x, const char *buyer, const char *key, size_t *nkeys,
                          bool *foreign)
{
    char path[256];
    snprintf(path, sizeof path, "/api/kpi?buyer=%s", buyer);
    int st = 0;
    char *body = s_get(x, path, &st);
    int64_t v = -1;
    *nkeys = 0;
    *foreign = false;
    if (st == 200) {
        /* the epoch is a uint64 beyond jansson's integers: numbers as doubles (the totals
         * here are far below 2^53, so exact) */
        json_t *o = json_loads(body, JSON_DECODE_INT_AS_REAL, NULL);
        json_t *tot = json_object_get(o, "totals");
        size_t i;
        json_t *t;
        json_array_foreach(tot, i, t) {
            const char *k = json_string_value(json_object_get(t, "key"));
            const char *bk = json_string_value(json_object_get(t, "buyer"));
            (*nkeys)++;
            *foreign |= !bk || strcmp(bk, buyer) != 0;
            if (k && strcmp(k, key) == 0) {
                json_t *r = json_object_get(t, "realisation");
                v = json_is_string(r) ? strtoll(json_string_value(r), NULL, 10)
                                      : (int64_t)json_number_value(r);
            }
        }
        if (!*nkeys)
            cr_log_warn("gateway /api/kpi?buyer=%s: 200 %.300s", buyer, body);
        json_decref(o);
    } else {
        cr_log_warn("gateway /api/kpi?buyer=%s: %d %.200s", buyer, st, body);
    }
    free(body);
    return v;
}

Test(chain_tenants, two_buyers_same_ids_whole_chain, .timeout = 180)
{
    s_chain_t x;
    memset(&x, 0, sizeof x);
    s_up(&x);
    for (int i = 0; i < 2; i++)
        s_tender(&x, &s_b[i]);
    for (int i = 0; i < 2; i++)
        s_measure(&x, &s_b[i]);

    /* the notifier: one invitation per buyer, its own UID, to its own people */
    static it_mail_t m[32];
    int n = it_wait_mails(&x.c, x.c.maildir, "kickoff_invitation", 2, m, 32, 30000);
    h_sleep_ms(300);
    n = it_mails(&x.c, x.c.maildir, m, 32);
    cr_assert_eq(it_count(m, n, "kickoff_invitation"), 2, "%d mails", n);
    for (int i = 0; i < n; i++) {
        int b = strcmp(m[i].rcpt, s_b[0].leader) == 0 ? 0 : 1;
        cr_assert_str_eq(m[i].rcpt, s_b[b].leader, "a mail to someone else: %s", m[i].rcpt);
        cr_expect_str_eq(m[i].buyer, s_b[b].buyer, "%s got a mail of %s", m[i].rcpt, m[i].buyer);
        if (!strcmp(m[i].kind, "kickoff_invitation")) {
            char uid[128];
            snprintf(uid, sizeof uid, "kickoff/%s/X-001@", s_b[b].buyer);
            cr_expect(strncmp(m[i].uid, uid, strlen(uid)) == 0, "UID %s", m[i].uid);
            cr_expect_eq(m[i].seq, 0, "a first invitation, not an update of the other's");
        }
    }

    /* the kpi-aggregator through the gateway: each buyer its own total, only its own keys */
    for (int b = 0; b < 2; b++) {
        char key[96];
        snprintf(key, sizeof key, "kpi.co2.2026.%s", s_b[b].buyer);
        int64_t got = -1;
        size_t nk = 0;
        bool foreign = false;
        /* until the totals have gone calendar -> impact -> kpi -> gateway (a deadline, not a
         * count of tries: under ASan beside a parallel suite one try can take a second) */
        int64_t until = h_now_ms() + 60000;
        while (got != s_b[b].want_g && h_now_ms() < until) {
            got = s_gw_total(&x, s_b[b].buyer, key, &nk, &foreign);
            if (got != s_b[b].want_g)
                h_sleep_ms(200);
        }
        cr_expect_eq(got, s_b[b].want_g, "gateway %s: %lld g, want %lld g (%zu totals; logs in %s)",
                     key, (long long)got, (long long)s_b[b].want_g, nk, x.c.dir);
        if (got != s_b[b].want_g) {   /* what the gateway and the aggregator said */
            char cmd[4096];
            snprintf(cmd, sizeof cmd, "tail -n 4 '%s' '%s' '%s' >&2", x.gw.log, x.kpi.log, x.imp.log);
            if (system(cmd) != 0)
                cr_log_warn("no logs");
            int ms = 0;
            char *met = s_get(&x, "/metrics", &ms);
            for (char *l = strtok(met, "\n"); l; l = strtok(NULL, "\n"))
                if (strstr(l, "mvoi_gateway_kpi_") && l[0] != '#')
                    fprintf(stderr, "metrics: %s\n", l);
            free(met);
        }
                cr_expect(!foreign, "the gateway's view of %s holds another buyer's total", s_b[b].buyer);
        cr_log_info("gateway %s = %lld g (%zu totals of %s)", key, (long long)got, nk,
                    s_b[b].buyer);
    }

    /* heerlen's adviser writes a narrative for klimaat through the gateway (report
     * SetNarrative); a bad theme is refused by name */
    int st = 0;
    char *r = s_http(&x, "/api/narratives?buyer=heerlen",
                     "{\"year\":2026,\"quarter\":0,\"theme\":\"klimaat\","
                     "\"text\":\"HVO100 bij de straatverlichting.\"}", &st);
    cr_expect_eq(st, 200, "narrative: %d %s", st, r);
    free(r);
    r = s_http(&x, "/api/narratives?buyer=heerlen",
               "{\"year\":2026,\"theme\":\"weer\",\"text\":\"x\"}", &st);
    cr_expect(st == 400 && strstr(r, "\"field\":\"theme\""), "bad theme: %d %s", st, r);
    free(r);

    /* the report through the gateway: the buyer's name and figures, nothing of the other */
    for (int b = 0; b < 2; b++) {
        char path[256], cell[160];
        snprintf(path, sizeof path, "/api/report?buyer=%s&year=2026&quarter=0&format=html",
                 s_b[b].buyer);
        char *html = s_get(&x, path, &st);
        cr_assert_eq(st, 200, "%s: %d %.300s", path, st, html);
        snprintf(cell, sizeof cell, "id=\"k-co2-period-realisation\" data-raw=\"%lld\"",
                 (long long)s_b[b].want_g);
        cr_expect(strstr(html, cell), "%s report lacks %s", s_b[b].buyer, cell);
        cr_expect(strstr(html, s_b[b].name), "%s report lacks its name", s_b[b].buyer);
        cr_expect(strstr(html, s_b[b].title), "%s report lacks its tender", s_b[b].buyer);
        cr_expect(!strstr(html, s_b[b].other_name), "%s report names the other buyer",
                  s_b[b].buyer);
        cr_expect(!strstr(html, s_b[1 - b].title), "%s report shows the other's tender",
                  s_b[b].buyer);
        cr_expect((strstr(html, "HVO100 bij de straatverlichting.") != NULL) == (b == 0),
                  "the narrative belongs in heerlen's report only (%s)", s_b[b].buyer);
        free(html);
    }
    s_down(&x);
}
