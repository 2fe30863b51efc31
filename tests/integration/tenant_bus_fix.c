/*  tenant_bus_fix: the fixture of the tenant_bus* tests (tenant_bus.h): keys, the five
 *  services on tcp with CURVE on, the scene of two buyers with the same ids, requests as a
 *  key, and the state a refused request must leave as it was. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "mvoi_curve.h"
#include "pbjson.h"
#include "tenant_bus.h"

const char *const tb_svc[TB_NSVC] = { "calendar", "impact-calculator", "kpi-aggregator",
                                     "notifier", "report" };
tb_fixture_t tb;

void tb_read_key(const char *name, const char *ext, char out[41])
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s.%s", tb.keys, name, ext);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    cr_assert_eq(fread(out, 1, 40, f), 40);
    out[40] = 0;
    fclose(f);
}

/* This process's key for h_request and the SUB sockets. */
void tb_as(const char *name)
{
    mvoi_curve_t c = { .on = true };
    tb_read_key("bus", "pub", c.server_public);
    tb_read_key(name, "key", c.secret);
    tb_read_key(name, "pub", c.public_);
    mvoi_curve_set(&c);
}

static void s_env(int *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tb.env[*n], sizeof tb.env[0], fmt, ap);
    va_end(ap);
    tb.envp[*n] = tb.env[*n];
    (*n)++;
    tb.envp[*n] = NULL;
}

void tb_setup(void)
{
    memset(&tb, 0, sizeof tb);
    h_tmpdir(tb.dir, sizeof tb.dir);
    snprintf(tb.keys, sizeof tb.keys, "%s/keys", tb.dir);
    cr_assert_eq(mkdir(tb.keys, 0700), 0);
    snprintf(tb.reg, sizeof tb.reg, "%s/keys.ini", tb.keys);
    static const char *const keys[][3] = { { "bus", "service", "*" }, { "ops", "admin", "*" },
                                           { "hrlr", "reader", "heerlen" },
                                           { "hrls", "submitter", "heerlen" },
                                           { "vens", "submitter", "venlo" } };
    FILE *f = fopen(tb.reg, "w");
    cr_assert(f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char pub[41];
        cr_assert_eq(mvoi_curve_generate(tb.keys, keys[i][0], pub), 0, "key %s", keys[i][0]);
        fprintf(f, "[%s]\npublic = %s\nrole = %s\nbuyers = %s\n\n", keys[i][0], pub,
                keys[i][1], keys[i][2]);
    }
    fclose(f);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    tb.year = tm.tm_year + 1900 + 1;

    int port[2 * TB_NSVC];
    cr_assert_eq(h_free_tcp_ports(port, 2 * TB_NSVC), 0);
    for (int i = 0; i < TB_NSVC; i++) {
        snprintf(tb.api[i], sizeof tb.api[i], "tcp://127.0.0.1:%d", port[2 * i]);
        snprintf(tb.pub[i], sizeof tb.pub[i], "tcp://127.0.0.1:%d", port[2 * i + 1]);
    }
    int n = 0;
    s_env(&n, "MVOI_DATA_DIR=%s", tb.dir);
    s_env(&n, "MVOI_CURVE=on");
    s_env(&n, "MVOI_CURVE_SERVER_KEY_FILE=%s/bus.key", tb.keys);
    s_env(&n, "MVOI_KEYS_FILE=%s", tb.reg);
    s_env(&n, "MVOI_INIT=true");
    s_env(&n, "MVOI_LOG_LEVEL=info");
    s_env(&n, "MVOI_CALENDAR_API=%s", tb.api[0]);
    s_env(&n, "MVOI_CALENDAR_PUB=%s", tb.pub[0]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_API=%s", tb.api[1]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_PUB=%s", tb.pub[1]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", tb.api[0]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", tb.pub[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_API=%s", tb.api[2]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_PUB=%s", tb.pub[2]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_CALENDAR_API=%s", tb.api[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_CALENDAR_PUB=%s", tb.pub[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_IMPACT_API=%s", tb.api[1]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_IMPACT_PUB=%s", tb.pub[1]);
    s_env(&n, "MVOI_NOTIFIER_API=%s", tb.api[3]);
    s_env(&n, "MVOI_NOTIFIER_PUB=%s", tb.pub[3]);
    s_env(&n, "MVOI_NOTIFIER_CALENDAR_API=%s", tb.api[0]);
    s_env(&n, "MVOI_NOTIFIER_CALENDAR_PUB=%s", tb.pub[0]);
    s_env(&n, "MVOI_REPORT_API=%s", tb.api[4]);
    s_env(&n, "MVOI_REPORT_PUB=%s", tb.pub[4]);
    s_env(&n, "MVOI_REPORT_KPI_API=%s", tb.api[2]);
    s_env(&n, "MVOI_REPORT_CALENDAR_API=%s", tb.api[0]);
    s_env(&n, "MVOI_REPORT_IMPACT_API=%s", tb.api[1]);
    s_env(&n, "MVOI_REPORT_AUTO=false");
    s_env(&n, "MVOI_REPORT_CHROMIUM=");
    s_env(&n, "MVOI_REPORT_LEVELS_FILE=%s/services/report/data/ambition-levels.csv",
          MVOI_SOURCE_DIR);
    tb_as("ops");
    for (int i = 0; i < TB_NSVC; i++) {
        char bin[512], rel[128];
        snprintf(rel, sizeof rel, "services/%s/mvoi-%s", tb_svc[i], tb_svc[i]);
        h_bin(bin, sizeof bin, rel);
        cr_assert_eq(h_spawn(&tb.proc[i], bin, tb_svc[i], tb.dir, tb.envp), 0, "%s", tb_svc[i]);
        cr_assert_eq(h_wait_healthy(tb.api[i], 15000), 0, "%s did not come up", tb_svc[i]);
    }
}

void tb_teardown(void)
{
    mvoi_curve_set(NULL);
    for (int i = TB_NSVC - 1; i >= 0; i--)
        h_kill9(&tb.proc[i]);
    h_tmpdir_remove(tb.dir);
}


/* ------------------------------------------------------------------ requests */

/* One request to service svc as key `as`, the envelope given as JSON (printf format); a
 * request id is added when the JSON has none. The reply, or NULL on a timeout. */
Mvoi__Envelope *tb_req(int svc, const char *as, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert(j, "bad test JSON %s: %s", text, je.text);
    if (!json_object_get(j, "request_id")) {
        char rid[64];
        snprintf(rid, sizeof rid, "tb-%d-%d", getpid(), ++tb.rid);
        json_object_set_new(j, "request_id", json_string(rid));
    }
    ProtobufCMessage *m = NULL;
    pbjson_error_t pe;
    int rc = pbjson_decode(j, &mvoi__envelope__descriptor, &m, &pe);
    json_decref(j);
    cr_assert_eq(rc, 0, "test JSON %s: %s %s", text, pe.field, pe.message);
    tb_as(as);
    Mvoi__Envelope *reply = NULL;
    rc = h_request(tb.api[svc], (Mvoi__Envelope *)m, &reply, 15000);
    protobuf_c_message_free_unpacked(m, NULL);
    tb_as("ops");
    return rc == 0 ? reply : NULL;
}

void tb_free(Mvoi__Envelope **e)
{
    if (*e)
        mvoi__envelope__free_unpacked(*e, NULL);
    *e = NULL;
}

/* The reply is an Error with code and a field that names `field` (a substring). */
void tb_is_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field,
                       const char *what)
{
    cr_assert(r, "%s: no reply", what);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s: answered with body %d, not "
                 "refused", what, r->body_case);
    cr_assert_eq(r->error->code, code, "%s: error %d (%s), expected %d", what, r->error->code,
                 r->error->message ? r->error->message : "", code);
    cr_assert(r->error->field && strstr(r->error->field, field),
              "%s: field '%s' does not name %s (%s)", what,
              r->error->field ? r->error->field : "", field,
              r->error->message ? r->error->message : "");
    cr_assert(r->error->message && *r->error->message, "%s: no reason given", what);
}

uint64_t tb_head(int svc)
{
    Mvoi__Envelope *r = tb_req(svc, "ops", "{\"health\":{}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY, "%s health", tb_svc[svc]);
    uint64_t h = r->health_reply->head_seq;
    tb_free(&r);
    return h;
}

int64_t tb_co2_total(const char *buyer)
{
    Mvoi__Envelope *r = tb_req(2, "ops", "{\"buyer\":\"%s\",\"kpi_query\":{\"key\":"
                              "\"kpi.%s.co2.2026-q1.tender.T-1\"}}", buyer, buyer);
    int64_t v = r && r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL
                    ? r->kpi_total->realisation : -1;
    tb_free(&r);
    return v;
}

int tb_count_files(const char *sub, const char *needle)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", tb.dir, sub);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && (!needle || strstr(e->d_name, needle)))
            n++;
    closedir(d);
    return n;
}

/* venlo's reminders of T-2 as JSON text (ids, states, attempts: what a change would show). */
char *tb_reminders(const char *buyer)
{
    Mvoi__Envelope *r = tb_req(3, "ops", "{\"buyer\":\"%s\",\"list_reminders\":{\"tender_id\":"
                              "\"T-2\",\"limit\":1000}}", buyer);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST, "list reminders");
    for (size_t i = 0; i < r->reminder_list->n_reminders; i++) {   /* not compared */
        Mvoi__Reminder *x = r->reminder_list->reminders[i];
        if (x->tender)
            protobuf_c_message_free_unpacked(&x->tender->base, NULL);
        x->tender = NULL;
    }
    char *s = pbjson_dumps(&r->reminder_list->base, 0);
    tb_free(&r);
    return s;
}

void tb_tender(const char *buyer, const char *id, int64_t cents, const char *pub)
{
    Mvoi__Envelope *r = tb_req(0, "ops",
        "{\"buyer\":\"%s\",\"register_tender\":{\"tender\":{\"id\":\"%s\",\"title\":\"%s %s\","
        "\"kind\":\"werken\",\"value_cents\":%lld,\"planned_publication\":\"%s\","
        "\"project_leader\":{\"name\":\"Lea\",\"email\":\"lea@%s.nl\"},"
        "\"budget_holder\":{\"name\":\"Bob\",\"email\":\"bob@%s.nl\"},"
        "\"procurement_adviser\":{\"name\":\"Ad\",\"email\":\"ad@%s.nl\"}}}}",
        buyer, id, id, buyer, (long long)cents, pub, buyer, buyer, buyer);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY, "register %s %s: %s",
              buyer, id, r && r->error && r->error->message ? r->error->message : "");
    tb_free(&r);
}

/* The impact-calculator knows a tender once the calendar's event reached it: asked again
 * (bounded) while the tender is unknown there. */
void tb_measure(const char *as, const char *buyer, const char *id, long litres)
{
    char why[512] = "no reply";
    for (int64_t until = h_now_ms() + 15000; h_now_ms() < until; h_sleep_ms(100)) {
        Mvoi__Envelope *r = tb_req(1, as,
            "{\"buyer\":\"%s\",\"submit_measurements\":{\"measurements\":[{\"id\":\"%s\","
            "\"tender_id\":\"T-1\",\"submitter\":\"tb\",\"phase\":\"realisation\",\"period_start\":\"2026-01-01\","
            "\"period_end\":\"2026-03-31\",\"energy\":{\"carrier\":\"hvo100\","
            "\"quantity_milli\":%ld}}]}}", buyer, id, litres * 1000);
        bool ok = r && r->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY
                  && r->measurement_reply->n_results == 1
                  && r->measurement_reply->results[0]->ok;
        const Mvoi__Error *e = !r ? NULL : r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error
                               : r->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY
                                         && r->measurement_reply->n_results == 1
                                     ? r->measurement_reply->results[0]->error : NULL;
        if (e)
            snprintf(why, sizeof why, "%s: %s", e->field ? e->field : "",
                     e->message ? e->message : "");
        tb_free(&r);
        if (ok)
            return;
    }
    cr_assert_fail("submit %s %s: %s", buyer, id, why);
}

/* Both buyers: T-1 (small) with M-1, T-2 (works, 2.5 M EUR, public: a kick-off) for next
 * year; waits until the KPI totals and venlo's invitations are there and the heads rest. */
void tb_scene(void)
{
    char pub[16];
    snprintf(pub, sizeof pub, "%d-06-01", tb.year);
    tb_tender("heerlen", "T-1", 100000, "2026-03-01");
    tb_tender("venlo", "T-1", 300000, "2026-03-01");
    tb_tender("heerlen", "T-2", 250000000, pub);
    tb_tender("venlo", "T-2", 250000000, pub);
    tb_measure("ops", "heerlen", "M-1", 10000);
    tb_measure("vens", "venlo", "M-1", 30000);
    int64_t until = h_now_ms() + 30000;
    while ((tb_co2_total("heerlen") != 27830000 || tb_co2_total("venlo") != 83490000
            || tb_count_files("notifier/outbox-mail", "venlo_T-2_kickoff_invitation") < 4
            || tb_count_files("notifier/outbox-mail", "heerlen_T-2_kickoff_invitation") < 4)
           && h_now_ms() < until)
        h_sleep_ms(100);
    cr_assert_eq(tb_co2_total("heerlen"), 27830000, "heerlen's CO2 of T-1 (10,000 l x 2.783)");
    cr_assert_eq(tb_co2_total("venlo"), 83490000, "venlo's CO2 of T-1 (30,000 l x 2.783)");
    cr_assert_eq(tb_count_files("notifier/outbox-mail", "venlo_T-2_kickoff_invitation"), 4,
                 "venlo's four kick-off invitations (leader, budget holder, adviser, policy "
                 "adviser) were not written");
}


char *tb_get_json(int svc, const char *fmt)
{
    Mvoi__Envelope *r = tb_req(svc, "ops", fmt);
    cr_assert(r && r->body_case != MVOI__ENVELOPE__BODY_ERROR, "%s", fmt);
    free(r->request_id);   /* differs per request */
    r->request_id = NULL;
    r->ts_unix_ms = 0;
    r->has_ts_unix_ms = false;
    char *s = pbjson_dumps(&r->base, 0);
    tb_free(&r);
    return s;
}

void tb_state(tb_state_t *s)
{
    /* the heads rest: the same twice in a row */
    uint64_t prev[TB_NSVC] = { 0 };
    for (int tries = 0; tries < 50; tries++) {
        bool same = true;
        for (int i = 0; i < TB_NSVC; i++) {
            s->head[i] = tb_head(i);
            same = same && s->head[i] == prev[i];
            prev[i] = s->head[i];
        }
        if (same && tries)
            break;
        h_sleep_ms(200);
    }
    s->rem = tb_reminders("venlo");
    s->mails = tb_count_files("notifier/outbox-mail", NULL);
    s->reports = tb_count_files("report/reports", NULL);
    s->tender = tb_get_json(0, "{\"buyer\":\"venlo\",\"get_tender\":{\"id\":\"T-1\"}}");
    s->meas = tb_get_json(1, "{\"buyer\":\"venlo\",\"get_measurement\":{\"id\":\"M-1\"}}");
}

void tb_same(const tb_state_t *a, const tb_state_t *b)
{
    for (int i = 0; i < TB_NSVC; i++)
        cr_expect_eq(a->head[i], b->head[i], "%s's outbox head moved from %llu to %llu: a "
                     "refused request changed something", tb_svc[i],
                     (unsigned long long)a->head[i], (unsigned long long)b->head[i]);
    cr_expect_str_eq(a->rem, b->rem, "venlo's reminders changed");
    cr_expect_eq(a->mails, b->mails, "mail files: %d before, %d after", a->mails, b->mails);
    cr_expect_eq(a->reports, b->reports, "report directories: %d before, %d after",
                 a->reports, b->reports);
    cr_expect_str_eq(a->tender, b->tender, "venlo's T-1 changed");
    cr_expect_str_eq(a->meas, b->meas, "venlo's M-1 changed");
}

void tb_state_free(tb_state_t *s)
{
    free(s->rem);
    free(s->tender);
    free(s->meas);
}
