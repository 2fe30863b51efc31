/*  tenant_bus_names: the tenant_bus fixture (tenant_bus.h) on the event streams and in
 *  names: a key for one buyer subscribes to no PUB, and the same ids of two buyers never
 *  meet in reminder ids, iCalendar UIDs, Message-IDs, mail files, KPI keys or report paths. */
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

TestSuite(tenant_bus_names, .init = tb_setup, .fini = tb_teardown, .timeout = 120);

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
    tb_read_key(as, "key", sec);
    tb_read_key(as, "pub", pub);
    tb_read_key("bus", "pub", srv);
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
    snprintf(path, sizeof path, "%s/%s.log", tb.dir, svc);
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
Test(tenant_bus_names, a_key_for_some_buyers_cannot_subscribe_to_any_event_stream, .timeout = 120)
{
    void *ctx = zmq_ctx_new();
    static const char *const prefix[] = { "", "kpi.", "kpi.ven", "kpi.heerlen." };
    enum { NS = TB_NSVC * 4 + TB_NSVC };
    s_sub_t s[NS];
    int n = 0;
    for (int svc = 0; svc < TB_NSVC; svc++)
        for (int p = 0; p < 4; p++, n++)
            s_sub_open(ctx, &s[n], p % 2 ? "hrlr" : "hrls", tb.pub[svc], prefix[p], n);
    for (int svc = 0; svc < TB_NSVC; svc++, n++)
        s_sub_open(ctx, &s[n], "ops", tb.pub[svc], "", n);
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
    tb_scene();
    Mvoi__Envelope *r = tb_req(4, "vens", "{\"buyer\":\"venlo\",\"generate_report\":{\"year\":"
                              "2026,\"quarter\":1,\"formats\":[\"json\"]}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_REPORT_REPLY, "venlo's report");
    tb_free(&r);
    until = h_now_ms() + 3000;
    while (h_now_ms() < until) {
        for (int i = 0; i < n; i++)
            s_sub_poll(&s[i]);
        h_sleep_ms(50);
    }
    for (int i = 0; i < TB_NSVC * 4; i++) {
        int svc = i / 4;
        cr_expect_gt(s[i].auth_failed, 0, "%s's PUB: %s subscribing to '%s' was not refused in "
                     "the handshake", tb_svc[svc], i % 2 ? "hrlr" : "hrls", prefix[i % 4]);
        cr_expect_eq(s[i].succeeded, 0, "%s's PUB admitted a key for heerlen only",
                     tb_svc[svc]);
        cr_expect_eq(s[i].msgs, 0, "%s's PUB sent %d events (first %s) to a key for heerlen "
                     "only", tb_svc[svc], s[i].msgs, s[i].first_topic);
    }
    for (int svc = 0; svc < TB_NSVC; svc++) {
        s_sub_t *o = &s[TB_NSVC * 4 + svc];
        cr_expect_gt(o->succeeded, 0, "%s's PUB refused ops (every buyer)", tb_svc[svc]);
        cr_expect_gt(o->msgs, 0, "%s's PUB sent ops nothing", tb_svc[svc]);
        cr_expect_eq(s_log_count(tb_svc[svc], "\"zap_refused\"", "stream_needs_all_buyers"),
                     2, "%s: one zap_refused line per key (hrlr, hrls) and address",
                     tb_svc[svc]);
    }
    for (int i = 0; i < n; i++)
        s_sub_close(&s[i]);
    zmq_ctx_term(ctx);
    /* the ROUTER admits the same key, for its buyer */
    r = tb_req(2, "hrlr", "{\"buyer\":\"heerlen\",\"kpi_query\":{\"key\":"
              "\"kpi.heerlen.co2.2026-q1.tender.T-1\"}}");
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL, "hrlr's own total");
    cr_assert_eq(r->kpi_total->realisation, 27830000);
    tb_free(&r);
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
Test(tenant_bus_names, the_same_ids_of_two_buyers_never_meet_in_names, .timeout = 120)
{
    tb_scene();
    const char *b[2] = { "heerlen", "venlo" };
    Mvoi__Envelope *l[2];
    for (int i = 0; i < 2; i++) {
        l[i] = tb_req(3, "ops", "{\"buyer\":\"%s\",\"list_reminders\":{\"tender_id\":\"T-2\","
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
    tb_free(&l[0]);
    tb_free(&l[1]);
    /* the mail files: one per copy, each naming its own buyer's people only */
    char path[320];
    snprintf(path, sizeof path, "%s/notifier/outbox-mail", tb.dir);
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
    cr_assert_eq(tb_co2_total("heerlen"), 27830000);
    cr_assert_eq(tb_co2_total("venlo"), 83490000);
    /* the report files of the same period: each buyer's own directory and name */
    for (int i = 0; i < 2; i++) {
        Mvoi__Envelope *r = tb_req(4, "ops", "{\"buyer\":\"%s\",\"generate_report\":{\"year\":"
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
        tb_free(&r);
    }
}
