/*  tenant_bus: two buyers with the same ids on the real bus, CURVE on, five real services
 *  (calendar, impact-calculator, kpi-aggregator, notifier, report) on tcp.
 *
 *  heerlen and venlo both have tender T-1 (with measurement M-1, other quantities) and
 *  tender T-2 (a kick-off: invitations by mail). Keys (common/mvoi_auth.h):
 *    bus   service   *        the services' own server key
 *    ops   admin     *        sets the scene, reads "before" and "after"
 *    hrlr  reader    heerlen
 *    hrls  submitter heerlen
 *    vens  submitter venlo
 *  heerlen's keys try to read, change, cancel, resend, export and subscribe to venlo's data:
 *  by the envelope's buyer (every body case of the Envelope to every service), by no buyer,
 *  by a body field or key naming venlo, by venlo's reminder ids, by a SUB on every PUB with
 *  a topic prefix. Each is refused with a named error, and nothing changes: the producers'
 *  heads, venlo's tender, measurement and reminders, the mail files, the report files.
 *  The same ids of the two buyers never meet in reminder ids, iCalendar UIDs, Message-IDs,
 *  mail file names or KPI keys.
 *
 *  Figures by hand (services/impact-calculator/data/co2-2026.csv, CO2emissiefactoren.nl
 *  2026, well-to-wheel): diesel B7 3.251 kg/l, HVO100 0.468 kg/l, so HVO100 instead of diesel
 *  avoids 2.783 kg/l: heerlen 10,000 l -> 27,830 kg, venlo 30,000 l -> 83,490 kg.
 */
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

#define S_NSVC 5
static const char *const s_svc[S_NSVC] = { "calendar", "impact-calculator", "kpi-aggregator",
                                           "notifier", "report" };

static struct {
    char dir[128], keys[192], reg[256];
    char api[S_NSVC][64], pub[S_NSVC][64];
    char env[40][400];
    const char *envp[41];
    h_proc_t proc[S_NSVC];
    int rid;
    int year;   /* next year: T-2's publication, so that its kick-off lies ahead */
} F;

static int s_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static void s_read_key(const char *name, const char *ext, char out[41])
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s.%s", F.keys, name, ext);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    cr_assert_eq(fread(out, 1, 40, f), 40);
    out[40] = 0;
    fclose(f);
}

/* This process's key for h_request and the SUB sockets. */
static void s_as(const char *name)
{
    mvoi_curve_t c = { .on = true };
    s_read_key("bus", "pub", c.server_public);
    s_read_key(name, "key", c.secret);
    s_read_key(name, "pub", c.public_);
    mvoi_curve_set(&c);
}

static void s_env(int *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(F.env[*n], sizeof F.env[0], fmt, ap);
    va_end(ap);
    F.envp[*n] = F.env[*n];
    (*n)++;
    F.envp[*n] = NULL;
}

static void s_setup(void)
{
    memset(&F, 0, sizeof F);
    h_tmpdir(F.dir, sizeof F.dir);
    snprintf(F.keys, sizeof F.keys, "%s/keys", F.dir);
    cr_assert_eq(mkdir(F.keys, 0700), 0);
    snprintf(F.reg, sizeof F.reg, "%s/keys.ini", F.keys);
    static const char *const keys[][3] = { { "bus", "service", "*" }, { "ops", "admin", "*" },
                                           { "hrlr", "reader", "heerlen" },
                                           { "hrls", "submitter", "heerlen" },
                                           { "vens", "submitter", "venlo" } };
    FILE *f = fopen(F.reg, "w");
    cr_assert(f);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char pub[41];
        cr_assert_eq(mvoi_curve_generate(F.keys, keys[i][0], pub), 0, "key %s", keys[i][0]);
        fprintf(f, "[%s]\npublic = %s\nrole = %s\nbuyers = %s\n\n", keys[i][0], pub,
                keys[i][1], keys[i][2]);
    }
    fclose(f);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    F.year = tm.tm_year + 1900 + 1;

    for (int i = 0; i < S_NSVC; i++) {
        snprintf(F.api[i], sizeof F.api[i], "tcp://127.0.0.1:%d", s_port());
        snprintf(F.pub[i], sizeof F.pub[i], "tcp://127.0.0.1:%d", s_port());
    }
    int n = 0;
    s_env(&n, "MVOI_DATA_DIR=%s", F.dir);
    s_env(&n, "MVOI_CURVE=on");
    s_env(&n, "MVOI_CURVE_SERVER_KEY_FILE=%s/bus.key", F.keys);
    s_env(&n, "MVOI_KEYS_FILE=%s", F.reg);
    s_env(&n, "MVOI_INIT=true");
    s_env(&n, "MVOI_LOG_LEVEL=info");
    s_env(&n, "MVOI_CALENDAR_API=%s", F.api[0]);
    s_env(&n, "MVOI_CALENDAR_PUB=%s", F.pub[0]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_API=%s", F.api[1]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_PUB=%s", F.pub[1]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_CALENDAR_API=%s", F.api[0]);
    s_env(&n, "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s", F.pub[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_API=%s", F.api[2]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_PUB=%s", F.pub[2]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_CALENDAR_API=%s", F.api[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_CALENDAR_PUB=%s", F.pub[0]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_IMPACT_API=%s", F.api[1]);
    s_env(&n, "MVOI_KPI_AGGREGATOR_IMPACT_PUB=%s", F.pub[1]);
    s_env(&n, "MVOI_NOTIFIER_API=%s", F.api[3]);
    s_env(&n, "MVOI_NOTIFIER_PUB=%s", F.pub[3]);
    s_env(&n, "MVOI_NOTIFIER_CALENDAR_API=%s", F.api[0]);
    s_env(&n, "MVOI_NOTIFIER_CALENDAR_PUB=%s", F.pub[0]);
    s_env(&n, "MVOI_REPORT_API=%s", F.api[4]);
    s_env(&n, "MVOI_REPORT_PUB=%s", F.pub[4]);
    s_env(&n, "MVOI_REPORT_KPI_API=%s", F.api[2]);
    s_env(&n, "MVOI_REPORT_CALENDAR_API=%s", F.api[0]);
    s_env(&n, "MVOI_REPORT_IMPACT_API=%s", F.api[1]);
    s_env(&n, "MVOI_REPORT_AUTO=false");
    s_env(&n, "MVOI_REPORT_CHROMIUM=");
    s_env(&n, "MVOI_REPORT_LEVELS_FILE=%s/services/report/data/ambition-levels.csv",
          MVOI_SOURCE_DIR);
    s_as("ops");
    for (int i = 0; i < S_NSVC; i++) {
        char bin[512], rel[128];
        snprintf(rel, sizeof rel, "services/%s/mvoi-%s", s_svc[i], s_svc[i]);
        h_bin(bin, sizeof bin, rel);
        cr_assert_eq(h_spawn(&F.proc[i], bin, s_svc[i], F.dir, F.envp), 0, "%s", s_svc[i]);
        cr_assert_eq(h_wait_healthy(F.api[i], 15000), 0, "%s did not come up", s_svc[i]);
    }
}

static void s_teardown(void)
{
    mvoi_curve_set(NULL);
    for (int i = S_NSVC - 1; i >= 0; i--)
        h_kill9(&F.proc[i]);
    h_tmpdir_remove(F.dir);
}

TestSuite(tenant_bus, .init = s_setup, .fini = s_teardown, .timeout = 120);

/* ------------------------------------------------------------------ requests */

/* One request to service svc as key `as`, the envelope given as JSON (printf format); a
 * request id is added when the JSON has none. The reply, or NULL on a timeout. */
static Mvoi__Envelope *s_req(int svc, const char *as, const char *fmt, ...)
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
        snprintf(rid, sizeof rid, "tb-%d-%d", getpid(), ++F.rid);
        json_object_set_new(j, "request_id", json_string(rid));
    }
    ProtobufCMessage *m = NULL;
    pbjson_error_t pe;
    int rc = pbjson_decode(j, &mvoi__envelope__descriptor, &m, &pe);
    json_decref(j);
    cr_assert_eq(rc, 0, "test JSON %s: %s %s", text, pe.field, pe.message);
    s_as(as);
    Mvoi__Envelope *reply = NULL;
    rc = h_request(F.api[svc], (Mvoi__Envelope *)m, &reply, 15000);
    protobuf_c_message_free_unpacked(m, NULL);
    s_as("ops");
    return rc == 0 ? reply : NULL;
}

static void s_free(Mvoi__Envelope **e)
{
    if (*e)
        mvoi__envelope__free_unpacked(*e, NULL);
    *e = NULL;
}

/* The reply is an Error with code and a field that names `field` (a substring). */
static void s_is_error(Mvoi__Envelope *r, Mvoi__ErrorCode code, const char *field,
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

static uint64_t s_head(int svc)
{
    Mvoi__Envelope *r = s_req(svc, "ops", "{\"health\":{}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY, "%s health", s_svc[svc]);
    uint64_t h = r->health_reply->head_seq;
    s_free(&r);
    return h;
}

static int64_t s_co2_total(const char *buyer)
{
    Mvoi__Envelope *r = s_req(2, "ops", "{\"buyer\":\"%s\",\"kpi_query\":{\"key\":"
                              "\"kpi.%s.co2.2026-q1.tender.T-1\"}}", buyer, buyer);
    int64_t v = r && r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL
                    ? r->kpi_total->realisation : -1;
    s_free(&r);
    return v;
}

static int s_count_files(const char *sub, const char *needle)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", F.dir, sub);
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
static char *s_reminders(const char *buyer)
{
    Mvoi__Envelope *r = s_req(3, "ops", "{\"buyer\":\"%s\",\"list_reminders\":{\"tender_id\":"
                              "\"T-2\",\"limit\":1000}}", buyer);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST, "list reminders");
    for (size_t i = 0; i < r->reminder_list->n_reminders; i++)
        r->reminder_list->reminders[i]->tender = NULL;   /* leaked with r: test only */
    char *s = pbjson_dumps(&r->reminder_list->base, 0);
    s_free(&r);
    return s;
}

static void s_tender(const char *buyer, const char *id, int64_t cents, const char *pub)
{
    Mvoi__Envelope *r = s_req(0, "ops",
        "{\"buyer\":\"%s\",\"register_tender\":{\"tender\":{\"id\":\"%s\",\"title\":\"%s %s\","
        "\"kind\":\"werken\",\"value_cents\":%lld,\"planned_publication\":\"%s\","
        "\"project_leader\":{\"name\":\"Lea\",\"email\":\"lea@%s.nl\"},"
        "\"budget_holder\":{\"name\":\"Bob\",\"email\":\"bob@%s.nl\"},"
        "\"procurement_adviser\":{\"name\":\"Ad\",\"email\":\"ad@%s.nl\"}}}}",
        buyer, id, id, buyer, (long long)cents, pub, buyer, buyer, buyer);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY, "register %s %s: %s",
              buyer, id, r && r->error && r->error->message ? r->error->message : "");
    s_free(&r);
}

/* The impact-calculator knows a tender once the calendar's event reached it: asked again
 * (bounded) while the tender is unknown there. */
static void s_measure(const char *as, const char *buyer, const char *id, long litres)
{
    char why[512] = "no reply";
    for (int64_t until = h_now_ms() + 15000; h_now_ms() < until; h_sleep_ms(100)) {
        Mvoi__Envelope *r = s_req(1, as,
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
        s_free(&r);
        if (ok)
            return;
    }
    cr_assert_fail("submit %s %s: %s", buyer, id, why);
}

/* Both buyers: T-1 (small) with M-1, T-2 (works, 2.5 M EUR, public: a kick-off) for next
 * year; waits until the KPI totals and venlo's invitations are there and the heads rest. */
static void s_scene(void)
{
    char pub[16];
    snprintf(pub, sizeof pub, "%d-06-01", F.year);
    s_tender("heerlen", "T-1", 100000, "2026-03-01");
    s_tender("venlo", "T-1", 300000, "2026-03-01");
    s_tender("heerlen", "T-2", 250000000, pub);
    s_tender("venlo", "T-2", 250000000, pub);
    s_measure("ops", "heerlen", "M-1", 10000);
    s_measure("vens", "venlo", "M-1", 30000);
    int64_t until = h_now_ms() + 30000;
    while ((s_co2_total("heerlen") != 27830000 || s_co2_total("venlo") != 83490000
            || s_count_files("notifier/outbox-mail", "venlo_T-2_kickoff_invitation") < 4
            || s_count_files("notifier/outbox-mail", "heerlen_T-2_kickoff_invitation") < 4)
           && h_now_ms() < until)
        h_sleep_ms(100);
    cr_assert_eq(s_co2_total("heerlen"), 27830000, "heerlen's CO2 of T-1 (10,000 l x 2.783)");
    cr_assert_eq(s_co2_total("venlo"), 83490000, "venlo's CO2 of T-1 (30,000 l x 2.783)");
    cr_assert_eq(s_count_files("notifier/outbox-mail", "venlo_T-2_kickoff_invitation"), 4,
                 "venlo's four kick-off invitations (leader, budget holder, adviser, policy "
                 "adviser) were not written");
}

typedef struct {
    uint64_t head[S_NSVC];
    char *rem;
    int mails, reports;
    char *tender, *meas;
} s_state_t;

static char *s_get_json(int svc, const char *fmt)
{
    Mvoi__Envelope *r = s_req(svc, "ops", fmt);
    cr_assert(r && r->body_case != MVOI__ENVELOPE__BODY_ERROR, "%s", fmt);
    r->request_id = NULL;   /* differs per request */
    r->ts_unix_ms = 0;
    r->has_ts_unix_ms = false;
    char *s = pbjson_dumps(&r->base, 0);
    s_free(&r);
    return s;
}

static void s_state(s_state_t *s)
{
    /* the heads rest: the same twice in a row */
    uint64_t prev[S_NSVC] = { 0 };
    for (int tries = 0; tries < 50; tries++) {
        bool same = true;
        for (int i = 0; i < S_NSVC; i++) {
            s->head[i] = s_head(i);
            same = same && s->head[i] == prev[i];
            prev[i] = s->head[i];
        }
        if (same && tries)
            break;
        h_sleep_ms(200);
    }
    s->rem = s_reminders("venlo");
    s->mails = s_count_files("notifier/outbox-mail", NULL);
    s->reports = s_count_files("report/reports", NULL);
    s->tender = s_get_json(0, "{\"buyer\":\"venlo\",\"get_tender\":{\"id\":\"T-1\"}}");
    s->meas = s_get_json(1, "{\"buyer\":\"venlo\",\"get_measurement\":{\"id\":\"M-1\"}}");
}

static void s_same(const s_state_t *a, const s_state_t *b)
{
    for (int i = 0; i < S_NSVC; i++)
        cr_expect_eq(a->head[i], b->head[i], "%s's outbox head moved from %llu to %llu: a "
                     "refused request changed something", s_svc[i],
                     (unsigned long long)a->head[i], (unsigned long long)b->head[i]);
    cr_expect_str_eq(a->rem, b->rem, "venlo's reminders changed");
    cr_expect_eq(a->mails, b->mails, "mail files: %d before, %d after", a->mails, b->mails);
    cr_expect_eq(a->reports, b->reports, "report directories: %d before, %d after",
                 a->reports, b->reports);
    cr_expect_str_eq(a->tender, b->tender, "venlo's T-1 changed");
    cr_expect_str_eq(a->meas, b->meas, "venlo's M-1 changed");
}

static void s_state_free(s_state_t *s)
{
    free(s->rem);
    free(s->tender);
    free(s->meas);
}

/* ------------------------------------------------------------------ refusals */

/* Every body case of the Envelope (requests, and the replies and events a client might send
 * as requests), empty, to every service, by a key for heerlen: for buyer venlo, and for no
 * buyer. The key's buyers are checked before the body is looked at: ERR_PERMISSION_DENIED,
 * field "buyer". Health is every admitted key's. */
static void s_every_body(const char *as, const char *buyer)
{
    const ProtobufCMessageDescriptor *d = &mvoi__envelope__descriptor;
    int tried = 0;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (strcmp(fd->name, "health") == 0)
            continue;
        for (int svc = 0; svc < S_NSVC; svc++) {
            Mvoi__Envelope *r = buyer ? s_req(svc, as, "{\"buyer\":\"%s\",\"%s\":{}}", buyer,
                                              fd->name)
                                      : s_req(svc, as, "{\"%s\":{}}", fd->name);
            char what[160];
            snprintf(what, sizeof what, "%s as %s for %s to %s", fd->name, as,
                     buyer ? buyer : "no buyer", s_svc[svc]);
            s_is_error(r, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "buyer", what);
            s_free(&r);
            tried++;
        }
    }
    cr_assert_gt(tried, 5 * 40, "only %d requests tried", tried);
}

Test(tenant_bus, every_request_for_another_buyer_is_refused_by_name_and_changes_nothing,
     .timeout = 180)
{
    s_scene();
    s_state_t before, after;
    s_state(&before);
    s_every_body("hrls", "venlo");
    s_every_body("hrlr", "venlo");
    s_every_body("hrls", NULL);
    s_every_body("hrlr", NULL);
    s_state(&after);
    s_same(&before, &after);
    s_state_free(&before);
    s_state_free(&after);
}

/* venlo's reminders by their ids under heerlen's envelope: not found, for every verb; and
 * heerlen's own list by the same tender id holds heerlen's reminders only. */
static void s_reminders_of_venlo_not_found(void)
{
    Mvoi__Envelope *r;
    Mvoi__Envelope *l = s_req(3, "ops", "{\"buyer\":\"venlo\",\"list_reminders\":{\"tender_id\":"
                              "\"T-2\",\"limit\":1000}}");
    cr_assert(l && l->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST
              && l->reminder_list->n_reminders >= 4);
    for (size_t i = 0; i < l->reminder_list->n_reminders; i++) {
        const char *id = l->reminder_list->reminders[i]->id;
        static const char *const verb[] = { "get_reminder", "resend_reminder",
                                            "cancel_reminder" };
        for (int v = 0; v < 3; v++) {
            for (int k = 0; k < 2; k++) {
                const char *as = k ? "hrlr" : "hrls";
                if (k && v)
                    continue;   /* a reader's writes: refused by role (every body, above) */
                r = s_req(3, as, "{\"buyer\":\"heerlen\",\"%s\":{\"id\":\"%s\"}}", verb[v], id);
                char what[400];
                snprintf(what, sizeof what, "%s %s as %s", verb[v], id, as);
                s_is_error(r, MVOI__ERROR_CODE__ERR_NOT_FOUND, "id", what);
                s_free(&r);
            }
        }
    }
    s_free(&l);
    /* heerlen's own list by the same tender id: heerlen's reminders only */
    r = s_req(3, "hrlr", "{\"buyer\":\"heerlen\",\"list_reminders\":{\"tender_id\":\"T-2\","
              "\"limit\":1000}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST);
    cr_assert_geq(r->reminder_list->n_reminders, 4);
    for (size_t i = 0; i < r->reminder_list->n_reminders; i++) {
        Mvoi__Reminder *x = r->reminder_list->reminders[i];
        cr_assert_str_eq(x->buyer, "heerlen", "reminder %s of another buyer listed", x->id);
        cr_assert(strncmp(x->id, "heerlen/", 8) == 0, "reminder id %s", x->id);
    }
    s_free(&r);
}

/* The envelope is heerlen's (the key may act for it), the body names venlo: a buyer field,
 * a KPI key, venlo's reminder ids. Refused by name; nothing of venlo's is read or changed,
 * and no heerlen record appears either. */
Test(tenant_bus, a_body_naming_another_buyer_is_refused_by_name_and_changes_nothing,
     .timeout = 120)
{
    s_scene();
    s_state_t before, after;
    s_state(&before);
    static const char *const inv = "{\"buyer\":\"heerlen\",%s}";
    struct {
        int svc;
        const char *body, *field;
        Mvoi__ErrorCode code;
    } c[] = {
        { 0, "\"register_tender\":{\"tender\":{\"id\":\"T-9\",\"buyer\":\"venlo\",\"title\":"
             "\"x\",\"kind\":\"leveringen\"}}", "buyer", MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT },
        { 0, "\"upsert_tender\":{\"tender\":{\"id\":\"T-1\",\"buyer\":\"venlo\",\"title\":"
             "\"x\",\"kind\":\"leveringen\"}}", "buyer", MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT },
        { 0, "\"update_tender\":{\"tender\":{\"id\":\"T-1\",\"buyer\":\"venlo\",\"title\":"
             "\"x\",\"kind\":\"leveringen\"}}", "buyer", MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT },
        { 1, "\"correct_measurement\":{\"measurement\":{\"id\":\"M-1\",\"buyer\":\"venlo\","
             "\"tender_id\":\"T-1\",\"submitter\":\"tb\",\"phase\":\"realisation\",\"period_start\":\"2026-01-01\","
             "\"period_end\":\"2026-03-31\",\"energy\":{\"carrier\":\"hvo100\","
             "\"quantity_milli\":1000}}}", "buyer", MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT },
        { 2, "\"kpi_query\":{\"key\":\"kpi.venlo.co2.2026-q1.tender.T-1\"}", "key",
             MVOI__ERROR_CODE__ERR_PERMISSION_DENIED },
        { 2, "\"kpi_breakdown_query\":{\"key\":\"kpi.venlo.co2.2026-q1.tender.T-1\"}", "key",
             MVOI__ERROR_CODE__ERR_PERMISSION_DENIED },
        { 2, "\"kpi_series_query\":{\"buyer\":\"venlo\",\"kpi\":\"co2\",\"from_year\":2026}",
             "buyer", MVOI__ERROR_CODE__ERR_PERMISSION_DENIED },
        { 2, "\"kpi_pilot_status_query\":{\"buyer\":\"venlo\",\"year\":2026}", "buyer",
             MVOI__ERROR_CODE__ERR_PERMISSION_DENIED },
        { 4, "\"generate_report\":{\"buyer\":\"venlo\",\"year\":2026,\"quarter\":1,"
             "\"formats\":[\"json\"]}", "buyer", MVOI__ERROR_CODE__ERR_PERMISSION_DENIED },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char fmt[1024];
        snprintf(fmt, sizeof fmt, inv, c[i].body);
        Mvoi__Envelope *r = s_req(c[i].svc, "hrls", fmt, "");
        s_is_error(r, c[i].code, c[i].field, c[i].body);
        s_free(&r);
    }
    /* a measurement naming venlo: refused per item, by name */
    Mvoi__Envelope *r = s_req(1, "hrls",
        "{\"buyer\":\"heerlen\",\"submit_measurements\":{\"measurements\":[{\"id\":\"M-9\","
        "\"buyer\":\"venlo\",\"tender_id\":\"T-1\",\"submitter\":\"tb\",\"phase\":\"realisation\",\"period_start\":"
        "\"2026-01-01\",\"period_end\":\"2026-03-31\",\"energy\":{\"carrier\":\"hvo100\","
        "\"quantity_milli\":1000}}]}}");
    cr_assert(r);
    if (r->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
        cr_assert_eq(r->measurement_reply->n_results, 1);
        Mvoi__MeasurementResult *x = r->measurement_reply->results[0];
        cr_assert(!x->ok && x->error && x->error->field && strstr(x->error->field, "buyer"),
                  "a measurement naming venlo under heerlen's envelope was not refused by name");
    } else {
        s_is_error(r, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer", "submit naming venlo");
    }
    s_free(&r);
    s_reminders_of_venlo_not_found();
    s_state(&after);
    s_same(&before, &after);
    /* nor did a heerlen record appear under the refused ids */
    r = s_req(0, "ops", "{\"buyer\":\"heerlen\",\"get_tender\":{\"id\":\"T-9\"}}");
    s_is_error(r, MVOI__ERROR_CODE__ERR_NOT_FOUND, "id", "heerlen T-9");
    s_free(&r);
    r = s_req(1, "ops", "{\"buyer\":\"heerlen\",\"get_measurement\":{\"id\":\"M-9\"}}");
    s_is_error(r, MVOI__ERROR_CODE__ERR_NOT_FOUND, "id", "heerlen M-9");
    s_free(&r);
    s_state_free(&before);
    s_state_free(&after);
}

/* ------------------------------------------------------------------ event streams */

typedef struct {
    void *sub, *mon;
    int auth_failed, succeeded, msgs;
    char first_topic[128];
} s_sub_t;

static void s_sub_open(void *ctx, s_sub_t *s, const char *as, const char *endpoint,
                       const char *prefix, int n)
{
    char sec[41], pub[41], srv[41], mon[64];
    memset(s, 0, sizeof *s);
    s_read_key(as, "key", sec);
    s_read_key(as, "pub", pub);
    s_read_key("bus", "pub", srv);
    s->sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(s->sub, ZMQ_CURVE_SECRETKEY, sec, 40);
    zmq_setsockopt(s->sub, ZMQ_CURVE_PUBLICKEY, pub, 40);
    zmq_setsockopt(s->sub, ZMQ_CURVE_SERVERKEY, srv, 40);
    int zero = 0;
    zmq_setsockopt(s->sub, ZMQ_LINGER, &zero, sizeof zero);
    snprintf(mon, sizeof mon, "inproc://tb-mon-%d", n);
    cr_assert_eq(zmq_socket_monitor(s->sub, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                     | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 0);
    s->mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(s->mon, mon), 0);
    zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    cr_assert_eq(zmq_connect(s->sub, endpoint), 0);
}

static void s_sub_poll(s_sub_t *s)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        uint16_t ev = 0;
        if (zmq_msg_size(&m) >= 2)
            memcpy(&ev, zmq_msg_data(&m), 2);
        zmq_msg_close(&m);
        char addr[256];
        zmq_recv(s->mon, addr, sizeof addr, 0);   /* the second frame: the address */
        if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            s->auth_failed++;
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            s->succeeded++;
    }
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        if (!s->msgs++)
            snprintf(s->first_topic, sizeof s->first_topic, "%.*s", (int)zmq_msg_size(&m),
                     (const char *)zmq_msg_data(&m));
        int more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        while (more) {
            zmq_msg_init(&m);
            zmq_msg_recv(&m, s->sub, 0);
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
    }
}

static void s_sub_close(s_sub_t *s)
{
    zmq_close(s->sub);
    zmq_close(s->mon);
}

static int s_log_count(const char *svc, const char *a, const char *b)
{
    char path[320], line[4096];
    snprintf(path, sizeof path, "%s/%s.log", F.dir, svc);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, a) && strstr(line, b);
    if (f)
        fclose(f);
    return n;
}

/* Every PUB carries every buyer's events: a key for some buyers is refused in the handshake
 * (ZAP 400, reason stream_needs_all_buyers, logged), whatever prefix it subscribes to
 * ("", "kpi.", "kpi.ven", "kpi.heerlen."), and receives nothing while venlo's events are
 * published; a key for every buyer (ops) is admitted on the same PUB and gets them. The
 * same keys are admitted on the ROUTER (queries for their buyer): the refusal is the
 * stream's. */
Test(tenant_bus, a_key_for_some_buyers_cannot_subscribe_to_any_event_stream, .timeout = 120)
{
    void *ctx = zmq_ctx_new();
    static const char *const prefix[] = { "", "kpi.", "kpi.ven", "kpi.heerlen." };
    enum { NS = S_NSVC * 4 + S_NSVC };
    s_sub_t s[NS];
    int n = 0;
    for (int svc = 0; svc < S_NSVC; svc++)
        for (int p = 0; p < 4; p++, n++)
            s_sub_open(ctx, &s[n], p % 2 ? "hrlr" : "hrls", F.pub[svc], prefix[p], n);
    for (int svc = 0; svc < S_NSVC; svc++, n++)
        s_sub_open(ctx, &s[n], "ops", F.pub[svc], "", n);
    /* venlo's events on every producer: a tender (calendar, notifier: its kick-off), a
     * measurement (impact, kpi), a report (report.generated) */
    int64_t until = h_now_ms() + 5000;
    while (h_now_ms() < until) {
        bool all = true;
        for (int i = 0; i < n; i++) {
            s_sub_poll(&s[i]);
            all = all && (s[i].auth_failed || s[i].succeeded);
        }
        if (all)
            break;
        h_sleep_ms(50);
    }
    s_scene();
    Mvoi__Envelope *r = s_req(4, "vens", "{\"buyer\":\"venlo\",\"generate_report\":{\"year\":"
                              "2026,\"quarter\":1,\"formats\":[\"json\"]}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY, "venlo's report");
    s_free(&r);
    until = h_now_ms() + 3000;
    while (h_now_ms() < until) {
        for (int i = 0; i < n; i++)
            s_sub_poll(&s[i]);
        h_sleep_ms(50);
    }
    for (int i = 0; i < S_NSVC * 4; i++) {
        int svc = i / 4;
        cr_expect_gt(s[i].auth_failed, 0, "%s's PUB: %s subscribing to '%s' was not refused in "
                     "the handshake", s_svc[svc], i % 2 ? "hrlr" : "hrls", prefix[i % 4]);
        cr_expect_eq(s[i].succeeded, 0, "%s's PUB admitted a key for heerlen only",
                     s_svc[svc]);
        cr_expect_eq(s[i].msgs, 0, "%s's PUB sent %d events (first %s) to a key for heerlen "
                     "only", s_svc[svc], s[i].msgs, s[i].first_topic);
    }
    for (int svc = 0; svc < S_NSVC; svc++) {
        s_sub_t *o = &s[S_NSVC * 4 + svc];
        cr_expect_gt(o->succeeded, 0, "%s's PUB refused ops (every buyer)", s_svc[svc]);
        cr_expect_gt(o->msgs, 0, "%s's PUB sent ops nothing", s_svc[svc]);
        cr_expect_eq(s_log_count(s_svc[svc], "\"zap_refused\"", "stream_needs_all_buyers"),
                     2, "%s: one zap_refused line per key (hrlr, hrls) and address",
                     s_svc[svc]);
    }
    for (int i = 0; i < n; i++)
        s_sub_close(&s[i]);
    zmq_ctx_term(ctx);
    /* the ROUTER admits the same key, for its buyer */
    r = s_req(2, "hrlr", "{\"buyer\":\"heerlen\",\"kpi_query\":{\"key\":"
              "\"kpi.heerlen.co2.2026-q1.tender.T-1\"}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL, "hrlr's own total");
    cr_assert_eq(r->kpi_total->realisation, 27830000);
    s_free(&r);
}

/* ------------------------------------------------------------------ same ids */

/* A mail file as text: its header lines and every base64 part decoded (the parts of the
 * notifier's mails are base64), so that an address or UID cannot hide in the encoding. */
static char *s_eml_text(const char *path)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap), line[4096];
    cr_assert(out);
    bool b64part = false, body = false;
    uint32_t acc = 0;
    int bits = 0;
    while (fgets(line, sizeof line, f) && n + sizeof line < cap) {
        if (strncmp(line, "--", 2) == 0) {
            b64part = body = false;
        } else if (strncasecmp(line, "Content-Transfer-Encoding: base64", 33) == 0) {
            b64part = true;
        } else if (b64part && !body && (line[0] == '\r' || line[0] == '\n')) {
            body = true;
            bits = 0;
            continue;
        }
        if (!(b64part && body)) {
            n += (size_t)snprintf(out + n, cap - n, "%s", line);
            continue;
        }
        for (const char *p = line; *p; p++) {
            const char *q = *p ? strchr(b64, *p) : NULL;
            if (!q)
                continue;
            acc = acc << 6 | (uint32_t)(q - b64);
            if ((bits += 6) >= 8) {
                bits -= 8;
                out[n++] = (char)(acc >> bits);
            }
        }
    }
    fclose(f);
    out[n] = 0;
    return out;
}

/* The two buyers' T-2 reminders, the files and KPI keys of their same ids: never the same
 * name twice, and each mail carries its own buyer's people only. */
Test(tenant_bus, the_same_ids_of_two_buyers_never_meet_in_names, .timeout = 120)
{
    s_scene();
    const char *b[2] = { "heerlen", "venlo" };
    Mvoi__Envelope *l[2];
    for (int i = 0; i < 2; i++) {
        l[i] = s_req(3, "ops", "{\"buyer\":\"%s\",\"list_reminders\":{\"tender_id\":\"T-2\","
                     "\"limit\":1000}}", b[i]);
        cr_assert(l[i] && l[i]->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST);
        cr_assert_geq(l[i]->reminder_list->n_reminders, 4);
    }
    int invitations = 0;
    for (size_t i = 0; i < l[0]->reminder_list->n_reminders; i++) {
        Mvoi__Reminder *x = l[0]->reminder_list->reminders[i];
        cr_assert(strncmp(x->id, "heerlen/", 8) == 0, "%s", x->id);
        for (size_t j = 0; j < l[1]->reminder_list->n_reminders; j++) {
            Mvoi__Reminder *y = l[1]->reminder_list->reminders[j];
            cr_assert(strncmp(y->id, "venlo/", 6) == 0, "%s", y->id);
            cr_assert_str_neq(x->id, y->id);
            cr_assert(!x->message_id || !y->message_id || strcmp(x->message_id, y->message_id),
                      "Message-ID %s of %s and %s", x->message_id, x->id, y->id);
            if (x->uid && *x->uid && y->uid && *y->uid) {
                cr_assert_str_neq(x->uid, y->uid, "iCalendar UID of %s and %s", x->id, y->id);
                invitations++;
            }
        }
    }
    cr_assert_gt(invitations, 0, "no kick-off invitation with a UID to compare");
    s_free(&l[0]);
    s_free(&l[1]);
    /* the mail files: one per copy, each naming its own buyer's people only */
    char path[320];
    snprintf(path, sizeof path, "%s/notifier/outbox-mail", F.dir);
    DIR *d = opendir(path);
    cr_assert(d);
    int files[2] = { 0, 0 };
    for (struct dirent *e; (e = readdir(d));) {
        int k = strncmp(e->d_name, "heerlen_T-2_", 12) == 0 ? 0
                : strncmp(e->d_name, "venlo_T-2_", 10) == 0 ? 1 : -1;
        if (k < 0)
            continue;
        files[k]++;
        char fp[640];
        snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
        char *text = s_eml_text(fp);
        char other[32], uid[64];
        snprintf(other, sizeof other, "@%s.nl", b[1 - k]);
        snprintf(uid, sizeof uid, "UID:kickoff/%s/T-2@", b[k]);
        cr_assert(!strstr(text, other), "%s mentions %s", e->d_name, other);
        cr_assert(strstr(text, b[k]), "%s never names %s", e->d_name, b[k]);
        cr_assert(strstr(text, uid) || !strstr(e->d_name, "kickoff_invitation"),
                  "%s: no %s line", e->d_name, uid);
        free(text);
    }
    closedir(d);
    cr_assert_geq(files[0], 4, "heerlen's T-2 mails");
    cr_assert_geq(files[1], 4, "venlo's T-2 mails");
    /* the KPI keys of the same tender id: each buyer's own figure */
    cr_assert_eq(s_co2_total("heerlen"), 27830000);
    cr_assert_eq(s_co2_total("venlo"), 83490000);
    /* the report files of the same period: each buyer's own directory and name */
    for (int i = 0; i < 2; i++) {
        Mvoi__Envelope *r = s_req(4, "ops", "{\"buyer\":\"%s\",\"generate_report\":{\"year\":"
                                  "2026,\"quarter\":1,\"formats\":[\"json\"]}}", b[i]);
        cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY
                  && r->report_reply->n_files == 1, "%s's report", b[i]);
        const char *p = r->report_reply->files[0]->path;
        char want[64];
        snprintf(want, sizeof want, "/%s/2026-q1/", b[i]);
        cr_assert(strstr(p, want), "%s's report at %s", b[i], p);
        FILE *f = fopen(p, "r");
        cr_assert(f, "%s", p);
        json_error_t je;
        json_t *j = json_loadf(f, 0, &je);
        fclose(f);
        cr_assert(j, "%s: %s", p, je.text);
        cr_assert_str_eq(json_string_value(json_object_get(j, "buyer")), b[i], "%s", p);
        json_decref(j);
        s_free(&r);
    }
}

/* Tender ids are per buyer: T-2 is heerlen's and venlo's. A key for every buyer that asks
 * for the reminders of T-2 without naming a buyer used to get an empty list (the key range
 * "<no buyer> NUL T-2" holds nothing), a silent wrong answer where both buyers have eight.
 * Refused by name; with a buyer it is that buyer's list. */
Test(tenant_bus, a_list_by_tender_without_a_buyer_is_refused_by_name, .timeout = 120)
{
    s_scene();
    Mvoi__Envelope *r = s_req(3, "ops", "{\"list_reminders\":{\"tender_id\":\"T-2\"}}");
    s_is_error(r, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
               "list_reminders of T-2 without a buyer");
    cr_expect(strstr(r->error->message, "T-2"), "%s", r->error->message);
    s_free(&r);
    for (int i = 0; i < 2; i++) {
        const char *b = i ? "venlo" : "heerlen";
        r = s_req(3, "ops", "{\"buyer\":\"%s\",\"list_reminders\":{\"tender_id\":\"T-2\"}}", b);
        cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST);
        cr_expect_geq(r->reminder_list->n_reminders, 4, "%s's T-2 reminders", b);
        for (size_t k = 0; k < r->reminder_list->n_reminders; k++)
            cr_expect_str_eq(r->reminder_list->reminders[k]->buyer, b);
        s_free(&r);
    }
}

/* The what-if (a query, nothing stored) of a measurement naming venlo under heerlen's
 * envelope: it would compute with venlo's tender (its group, its themes). Refused by name. */
Test(tenant_bus, a_what_if_naming_another_buyer_is_refused_by_name, .timeout = 120)
{
    s_scene();
    Mvoi__Envelope *r = s_req(1, "hrlr",
        "{\"buyer\":\"heerlen\",\"compute_impact\":{\"measurements\":[{\"id\":\"M-1\","
        "\"buyer\":\"venlo\",\"tender_id\":\"T-1\",\"submitter\":\"tb\",\"phase\":"
        "\"realisation\",\"period_start\":\"2026-01-01\",\"period_end\":\"2026-03-31\","
        "\"energy\":{\"carrier\":\"hvo100\",\"quantity_milli\":1000}}]}}");
    cr_assert(r);
    if (r->body_case == MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY) {
        cr_assert_eq(r->measurement_reply->n_results, 1);
        Mvoi__MeasurementResult *x = r->measurement_reply->results[0];
        cr_assert(!x->ok && x->error && x->error->field && strstr(x->error->field, "buyer"),
                  "a what-if naming venlo under heerlen's envelope was computed");
    } else {
        s_is_error(r, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer", "what-if naming venlo");
    }
    s_free(&r);
}

/* GenerateReport whose envelope names venlo and whose body names heerlen, from a key for
 * heerlen only. Every other service refuses a body whose buyer differs from the envelope's
 * (design.md#access); the report service checked the key against the body's buyer and
 * wrote heerlen's report under a request that says venlo. Now refused by name (field
 * generate_report.buyer, as the kpi-aggregator refuses a body asking for another buyer's
 * totals), no file written. */
Test(tenant_bus, a_report_whose_envelope_and_body_name_two_buyers_is_refused, .timeout = 120)
{
    s_scene();
    int before = s_count_files("report/reports", NULL);
    Mvoi__Envelope *r = s_req(4, "hrls", "{\"buyer\":\"venlo\",\"generate_report\":{\"buyer\":"
                              "\"heerlen\",\"year\":2026,\"quarter\":1,\"formats\":[\"json\"]}}");
    s_is_error(r, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "generate_report.buyer",
               "generate_report for heerlen in an envelope for venlo");
    s_free(&r);
    cr_expect_eq(s_count_files("report/reports", NULL), before, "a report directory was made");
}
