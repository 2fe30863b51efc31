/*  CURVE and key roles with a real mvoi-calendar on tcp (common/mvoi_curve.h, mvoi_zap.h,
 *  mvoi_auth.h): who is refused, with which named error, that nothing changed, that it was
 *  logged; a sniffed wire carries no plaintext ids; mvoictl keys generate.
 *
 *  Keys are thrown away with the test's directory. The registry admits:
 *    bus   service   *          (the calendar's own server key)
 *    ops   admin     *
 *    hrlr  reader    heerlen
 *    hrls  submitter heerlen
 *  and "stranger" has a key pair that is in no registry.
 */
#define _GNU_SOURCE   /* memmem */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "mvoi_curve.h"

static struct {
    char dir[128];
    char api[64], pub[64], keys[160], reg[256];
    char env[10][320];
    const char *envp[11];
    char bin[512], ctl[512];
    h_proc_t proc;
    int rid;
} F;

static void s_gen(const char *name)
{
    char pub[41];
    cr_assert_eq(mvoi_curve_generate(F.keys, name, pub), 0, "key %s", name);
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

/* The registry with the given names (each "name role buyers"). */
static void s_registry(const char *const *entries)
{
    FILE *f = fopen(F.reg, "w");
    cr_assert(f);
    for (int i = 0; entries[i]; i++) {
        char name[32], role[32], buyers[64], pub[41];
        cr_assert_eq(sscanf(entries[i], "%31s %31s %63s", name, role, buyers), 3);
        s_read_key(name, "pub", pub);
        fprintf(f, "[%s]\npublic = %s\nrole = %s\nbuyers = %s\n\n", name, pub, role, buyers);
    }
    fclose(f);
}

static const char *const s_full[] = { "bus service *", "ops admin *", "hrlr reader heerlen",
                                      "hrls submitter heerlen", NULL };

static void s_start(bool curve)
{
    int i = 0;
    snprintf(F.env[i++], 320, "MVOI_DATA_DIR=%s", F.dir);
    snprintf(F.env[i++], 320, "MVOI_CALENDAR_API=%s", F.api);
    snprintf(F.env[i++], 320, "MVOI_CALENDAR_PUB=%s", F.pub);
    snprintf(F.env[i++], 320, "MVOI_CURVE=%s", curve ? "on" : "off");
    snprintf(F.env[i++], 320, "MVOI_CURVE_SERVER_KEY_FILE=%s/bus.key", F.keys);
    snprintf(F.env[i++], 320, "MVOI_KEYS_FILE=%s", F.reg);
    snprintf(F.env[i++], 320, "MVOI_INIT=true");
    for (int k = 0; k < i; k++)
        F.envp[k] = F.env[k];
    F.envp[i] = NULL;
    cr_assert_eq(h_spawn(&F.proc, F.bin, "calendar", F.dir, F.envp), 0);
}

/* The test process's own client key for h_request (NULL: plaintext). */
static void s_as(const char *name)
{
    if (!name) {
        mvoi_curve_set(NULL);
        return;
    }
    mvoi_curve_t c = { .on = true };
    s_read_key("bus", "pub", c.server_public);
    s_read_key(name, "key", c.secret);
    s_read_key(name, "pub", c.public_);
    mvoi_curve_set(&c);
}

static void s_wait_up(void)
{
    s_as("ops");
    cr_assert_eq(h_wait_healthy(F.api, 10000), 0, "mvoi-calendar did not come up");
}

static void s_setup(void)
{
    memset(&F, 0, sizeof F);
    h_tmpdir(F.dir, sizeof F.dir);
    snprintf(F.keys, sizeof F.keys, "%s/keys", F.dir);
    cr_assert_eq(mkdir(F.keys, 0700), 0);
    snprintf(F.reg, sizeof F.reg, "%s/keys.ini", F.keys);
    int port[2];
    cr_assert_eq(h_free_tcp_ports(port, 2), 0);
    snprintf(F.api, sizeof F.api, "tcp://127.0.0.1:%d", port[0]);
    snprintf(F.pub, sizeof F.pub, "tcp://127.0.0.1:%d", port[1]);
    h_bin(F.bin, sizeof F.bin, "services/calendar/mvoi-calendar");
    h_bin(F.ctl, sizeof F.ctl, "services/mvoictl/mvoictl");
    const char *names[] = { "bus", "ops", "hrlr", "hrls", "stranger", NULL };
    for (int i = 0; names[i]; i++)
        s_gen(names[i]);
    s_registry(s_full);
}

static void s_teardown(void)
{
    mvoi_curve_set(NULL);
    h_kill9(&F.proc);
    h_tmpdir_remove(F.dir);
}

TestSuite(curve, .init = s_setup, .fini = s_teardown, .timeout = 40);

/* ------------------------------------------------------------------ requests */

static Mvoi__Envelope *s_send(Mvoi__Envelope *req, const char *buyer, int timeout_ms)
{
    char rid[64];
    snprintf(rid, sizeof rid, "sec-%d-%d", getpid(), ++F.rid);
    req->request_id = rid;
    req->buyer = (char *)buyer;
    Mvoi__Envelope *r = NULL;
    int rc = h_request(F.api, req, &r, timeout_ms);
    req->request_id = NULL;
    return rc == 0 ? r : NULL;
}

static Mvoi__Envelope *s_register(const char *buyer, const char *id, int timeout_ms)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.title = "Beveiligde aanbesteding";
    t.has_kind = 1;
    t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.has_value_cents = 1;
    t.value_cents = 5000000;
    t.planned_publication = "2027-03-01";
    Mvoi__Person p = MVOI__PERSON__INIT;
    p.name = "Anja de Vries";
    p.email = "a.devries@heerlen.nl";
    t.project_leader = &p;
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    return s_send(&req, buyer, timeout_ms);
}

/* Tenders of buyer, counted with the ops key (whatever key the test holds otherwise). */
static size_t s_count(const char *buyer)
{
    s_as("ops");
    Mvoi__ListTenders lt = MVOI__LIST_TENDERS__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &lt;
    Mvoi__Envelope *r = s_send(&req, buyer, 5000);
    cr_assert(r, "no reply to the ops key");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_LIST);
    size_t n = r->tender_list->n_tenders;
    mvoi__envelope__free_unpacked(r, NULL);
    return n;
}

static void s_assert_denied(Mvoi__Envelope *r, const char *field, const char *needle)
{
    cr_assert(r, "no reply");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "expected an error, got body %d",
                 r->body_case);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "code %d: %s",
                 r->error->code, r->error->message);
    cr_assert_str_eq(r->error->field, field);
    cr_assert(strstr(r->error->message, needle), "message: %s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* Lines of the calendar's log containing both a and b. */
static int s_log_count(const char *a, const char *b)
{
    FILE *f = fopen(F.proc.log, "r");
    cr_assert(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, a) && (!b || strstr(line, b)))
            n++;
    fclose(f);
    return n;
}

/* The first handshake event a DEALER with this key (NULL: none) sees, within 2 s:
 * the client's own, named view of a refusal. */
static int s_handshake(const char *name, int *value)
{
    s_as(name);
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER), *mon = zmq_socket(ctx, ZMQ_PAIR);
    int zero = 0, ev = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_socket_monitor(s, "inproc://hs", ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                       | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                       | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    zmq_connect(mon, "inproc://hs");
    cr_assert_eq(mvoi_curve_client(s, F.api), 0);
    zmq_connect(s, F.api);
    zmq_pollitem_t it = { mon, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 2000) == 1) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, mon, 0);
        const uint8_t *d = zmq_msg_data(&m);
        ev = d[0] | d[1] << 8;
        *value = (int)(d[2] | d[3] << 8 | d[4] << 16 | (uint32_t)d[5] << 24);
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        zmq_msg_recv(&m, mon, 0);   /* the address frame */
        zmq_msg_close(&m);
    }
    zmq_socket_monitor(s, NULL, 0);
    zmq_close(mon);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return ev;
}

/* HealthReply.auth_refused, asked with the ops key. */
static uint64_t s_refused(void)
{
    s_as("ops");
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    req.health = &hr;
    Mvoi__Envelope *r = s_send(&req, NULL, 5000);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    cr_assert(r->health_reply->has_auth_refused);
    uint64_t n = r->health_reply->auth_refused;
    mvoi__envelope__free_unpacked(r, NULL);
    return n;
}

/* ------------------------------------------------------------------ refusals */

Test(curve, no_key_is_refused)
{
    s_start(true);
    s_wait_up();
    int v = 0;
    int ev = s_handshake(NULL, &v);
    /* The client learns it from its own handshake: a mechanism mismatch, or (when the
     * server's close comes first) a failure without detail; never a success. */
    cr_assert(ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
              || ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "event %#x", ev);
    if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        cr_assert_eq(v, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "value %#x", v);
    s_as(NULL);
    cr_assert_null(s_register("heerlen", "HRL-NOKEY-1", 800), "a plaintext client was answered");
    cr_assert_eq(s_count("heerlen"), 0);
}

Test(curve, unknown_key_is_refused_and_logged_once)
{
    s_start(true);
    s_wait_up();
    int v = 0;
    cr_assert_eq(s_handshake("stranger", &v), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    cr_assert_eq(v, 400, "ZAP status %d", v);
    s_as("stranger");
    cr_assert_null(s_register("heerlen", "HRL-STRANGER-1", 800), "an unknown key was answered");
    cr_assert_null(s_register("heerlen", "HRL-STRANGER-2", 800));
    cr_assert_eq(s_count("heerlen"), 0);
    char pub[41];
    s_read_key("stranger", "pub", pub);
    /* Four connections were refused (the handshake probe, two requests, their retries):
     * the log names the key once per address. */
    cr_assert_eq(s_log_count("\"zap_refused\"", pub), 1);
    cr_assert_eq(s_log_count("\"zap_refused\"", "unknown_key"), 1);
    /* Every refused handshake is counted (the log names the key once): at least the
     * probe and the two requests. */
    cr_assert_geq(s_refused(), 3);
}

Test(curve, reader_cannot_write)
{
    s_start(true);
    s_wait_up();
    s_as("hrlr");
    /* in Dutch: the request names no language (mvoi_auth.c, messages.def "auth.") */
    s_assert_denied(s_register("heerlen", "HRL-READER-1", 5000), "buyer",
                    "sleutel hrlr heeft de rol reader, die niets mag wijzigen");
    cr_assert_eq(s_count("heerlen"), 0);
    /* Reading its own buyer is what a reader is for. */
    s_as("hrlr");
    Mvoi__ListTenders lt = MVOI__LIST_TENDERS__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_TENDERS;
    req.list_tenders = &lt;
    Mvoi__Envelope *r = s_send(&req, "heerlen", 5000);
    cr_assert(r);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_TENDER_LIST);
    mvoi__envelope__free_unpacked(r, NULL);
    cr_assert_eq(s_log_count("\"request_refused\"", "\"key\":\"hrlr\""), 1);
}

Test(curve, heerlen_key_cannot_touch_venlo)
{
    s_start(true);
    s_wait_up();
    s_as("hrls");
    /* The same tender id for both buyers: only heerlen's is the key's. */
    s_assert_denied(s_register("venlo", "T-1", 5000), "buyer",
                    "sleutel hrls mag niet handelen voor organisatie venlo");
    s_as("hrls");
    Mvoi__Envelope *ok = s_register("heerlen", "T-1", 5000);
    cr_assert(ok);
    cr_assert_eq(ok->body_case, MVOI__ENVELOPE__BODY_TENDER_REPLY);
    mvoi__envelope__free_unpacked(ok, NULL);
    /* Replay streams every buyer's events: not for a key of one buyer. */
    s_as("hrls");
    Mvoi__ReplayRequest rr = MVOI__REPLAY_REQUEST__INIT;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REPLAY;
    req.replay = &rr;
    s_assert_denied(s_send(&req, "heerlen", 5000), "buyer",
                    "herhaling, momentopname en de gebeurtenissenstroom");
    cr_assert_eq(s_count("venlo"), 0);
    cr_assert_eq(s_count("heerlen"), 1);
    cr_assert_eq(s_log_count("\"request_refused\"", "\"buyer\":\"venlo\""), 1);
    /* Counted for the metrics: the venlo command and the replay. */
    cr_assert_eq(s_refused(), 2);
}

Test(curve, revoked_key_is_refused_after_restart)
{
    s_start(true);
    s_wait_up();
    s_as("hrls");
    Mvoi__Envelope *ok = s_register("heerlen", "HRL-REV-1", 5000);
    cr_assert(ok && ok->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY);
    mvoi__envelope__free_unpacked(ok, NULL);
    /* Revoke: the key leaves the registry; the service reads it at start. */
    const char *revoked[] = { "bus service *", "ops admin *", "hrlr reader heerlen", NULL };
    s_registry(revoked);
    h_signal(&F.proc, SIGTERM);
    int st = 0;
    cr_assert_eq(h_wait(&F.proc, 10000, &st), 0);
    s_start(true);
    s_wait_up();
    int v = 0;
    cr_assert_eq(s_handshake("hrls", &v), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    cr_assert_eq(v, 400);
    s_as("hrls");
    cr_assert_null(s_register("heerlen", "HRL-REV-2", 800), "a revoked key was answered");
    cr_assert_eq(s_count("heerlen"), 1);
}

/* One request on an open DEALER (a connection that outlives a reload); the reply or NULL. */
static Mvoi__Envelope *s_on(void *d, Mvoi__Envelope *req, const char *buyer)
{
    char rid[64];
    snprintf(rid, sizeof rid, "sec-open-%d-%d", getpid(), ++F.rid);
    req->request_id = rid;
    req->buyer = (char *)buyer;
    size_t len = mvoi__envelope__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    mvoi__envelope__pack(req, buf);
    req->request_id = NULL;
    cr_assert_eq(zmq_send(d, buf, len, 0), (int)len);
    free(buf);
    zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 5000) != 1)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, d, 0);
    Mvoi__Envelope *r = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return r;
}

static Mvoi__Envelope *s_register_on(void *d, const char *id)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.title = "Ingetrokken sleutel";
    t.has_kind = 1;
    t.kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
    t.planned_publication = "2027-03-01";
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    req.register_tender = &rt;
    return s_on(d, &req, "heerlen");
}

static void s_hup(const char *event, int n)
{
    h_signal(&F.proc, SIGHUP);
    int64_t end = h_now_ms() + 5000;
    while (s_log_count(event, NULL) < n && h_now_ms() < end)
        h_sleep_ms(20);
    cr_assert_eq(s_log_count(event, NULL), n, "no %s after SIGHUP", event);
}

Test(curve, revoked_key_is_refused_after_sighup)
{
    s_start(true);
    s_wait_up();
    /* a connection the key opens before it is revoked, and keeps */
    s_as("hrls");
    void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(mvoi_curve_client(d, F.api), 0);
    cr_assert_eq(zmq_connect(d, F.api), 0);
    Mvoi__Envelope *ok = s_register_on(d, "HRL-HUP-1");
    cr_assert(ok && ok->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY, "before the revocation");
    mvoi__envelope__free_unpacked(ok, NULL);
    const char *revoked[] = { "bus service *", "ops admin *", "hrlr reader heerlen", NULL };
    s_registry(revoked);
    s_hup("\"keys_reloaded\"", 1);
    cr_assert_eq(s_log_count("\"keys_reloaded\"", "\"keys\":\"3\""), 1);
    /* the open connection: its next request is refused by name */
    Mvoi__Envelope *r = s_register_on(d, "HRL-HUP-2");
    /* in Dutch: the request names no lang */
    s_assert_denied(r, "key", "staat niet meer in het sleutelregister (ingetrokken)");
    zmq_close(d);
    zmq_ctx_term(ctx);
    /* a new connection: the handshake is refused */
    int v = 0;
    cr_assert_eq(s_handshake("hrls", &v), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    cr_assert_eq(v, 400);
    s_as("hrls");
    cr_assert_null(s_register("heerlen", "HRL-HUP-3", 800), "a revoked key was answered");
    cr_assert_eq(s_count("heerlen"), 1, "only the tender from before the revocation");
    /* a registry that does not load: logged, the keys in force stay (ops, hrlr; not hrls) */
    FILE *f = fopen(F.reg, "w");
    cr_assert(f);
    fputs("[ops]\npublic = not-a-key\nrole = admin\nbuyers = *\n", f);
    fclose(f);
    s_hup("\"keys_reload_failed\"", 1);
    cr_assert_eq(s_log_count("\"keys_reload_failed\"", "keys loaded before stay in force"), 1);
    cr_assert_eq(s_count("heerlen"), 1, "the ops key no longer works");
    cr_assert_eq(s_handshake("hrls", &v), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
}

/* ------------------------------------------------------------------ the wire */

typedef struct {
    int lfd, port;                 /* port: the calendar's, where bytes go on */
    char *cap;
    size_t len, capn;
    pthread_mutex_t mu;
} proxy_t;

/* One client connection through: every byte both ways is recorded. */
static void *s_proxy_run(void *arg)
{
    proxy_t *p = arg;
    int c = accept(p->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    int u = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)p->port) };
    if (connect(u, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c);
        close(u);
        return NULL;
    }
    char buf[65536];
    for (;;) {
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(c, &rs);
        FD_SET(u, &rs);
        if (select((c > u ? c : u) + 1, &rs, NULL, NULL, NULL) <= 0)
            break;
        int from = FD_ISSET(c, &rs) ? c : u, to = from == c ? u : c;
        ssize_t n = read(from, buf, sizeof buf);
        if (n <= 0 || write(to, buf, (size_t)n) != n)
            break;
        pthread_mutex_lock(&p->mu);
        if (p->len + (size_t)n <= p->capn) {
            memcpy(p->cap + p->len, buf, (size_t)n);
            p->len += (size_t)n;
        }
        pthread_mutex_unlock(&p->mu);
    }
    close(c);
    close(u);
    return NULL;
}

/* Register a tender through the proxy; returns the bytes seen on the wire. */
static size_t s_sniff(const char *key, const char *id, char *cap, size_t capn)
{
    proxy_t p = { .cap = cap, .capn = capn, .mu = PTHREAD_MUTEX_INITIALIZER,
                  .port = atoi(strrchr(F.api, ':') + 1) };
    p.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    cr_assert_eq(bind(p.lfd, (struct sockaddr *)&a, sizeof a), 0);
    listen(p.lfd, 1);
    getsockname(p.lfd, (struct sockaddr *)&a, &l);
    pthread_t th;
    pthread_create(&th, NULL, s_proxy_run, &p);
    char saved[64], via[64];
    snprintf(saved, sizeof saved, "%s", F.api);
    snprintf(via, sizeof via, "tcp://127.0.0.1:%d", ntohs(a.sin_port));
    s_as(key);
    snprintf(F.api, sizeof F.api, "%s", via);
    Mvoi__Envelope *r = s_register("heerlen", id, 5000);
    snprintf(F.api, sizeof F.api, "%s", saved);
    cr_assert(r && r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY, "no reply via the proxy");
    mvoi__envelope__free_unpacked(r, NULL);
    shutdown(p.lfd, SHUT_RDWR);
    close(p.lfd);
    pthread_join(th, NULL);
    return p.len;
}

static bool s_has(const char *cap, size_t n, const char *needle)
{
    return memmem(cap, n, needle, strlen(needle)) != NULL;
}

Test(curve, sniffed_wire_has_no_plaintext_ids)
{
    static char cap[1 << 20];
    /* Control: without CURVE the sniffer sees the ids, so it does look at the bytes. */
    s_start(false);
    s_as(NULL);
    cr_assert_eq(h_wait_healthy(F.api, 10000), 0);
    size_t n = s_sniff(NULL, "HRL-SNIFF-PLAIN-4711", cap, sizeof cap);
    cr_assert(s_has(cap, n, "HRL-SNIFF-PLAIN-4711"), "the control saw no plaintext (%zu bytes)",
              n);
    cr_assert(s_has(cap, n, "heerlen"));
    h_kill9(&F.proc);

    s_start(true);
    s_wait_up();
    n = s_sniff("ops", "HRL-SNIFF-CURVE-4711", cap, sizeof cap);
    cr_assert_gt(n, 200, "only %zu bytes seen", n);
    cr_assert_not(s_has(cap, n, "HRL-SNIFF-CURVE-4711"), "the tender id crossed in clear");
    cr_assert_not(s_has(cap, n, "heerlen"), "the buyer id crossed in clear");
    cr_assert_not(s_has(cap, n, "Beveiligde"), "the title crossed in clear");
    cr_assert(s_has(cap, n, "CURVE"), "not a CURVE greeting");
}

/* ------------------------------------------------------------------ keys generate */

Test(curve, keys_generate_writes_0600_and_never_overwrites)
{
    char out[1024], path[320], kdir[256];
    snprintf(kdir, sizeof kdir, "%s/gen", F.dir);
    mkdir(kdir, 0700);
    const char *env[] = { "MVOI_LANG=en", NULL };
    const char *argv1[] = { F.ctl, "keys", "generate", "dash1", "--dir", kdir, "--role",
                            "dashboard", "--buyers", "heerlen,venlo", NULL };
    h_proc_t p;
    snprintf(path, sizeof path, "%s/gen", F.dir);
    cr_assert_eq(h_spawn_argv(&p, (char *const *)argv1, "gen1", F.dir, env), 0);
    int st = -1;
    cr_assert_eq(h_wait(&p, 10000, &st), 0);
    cr_assert_eq(WEXITSTATUS(st), 0);
    snprintf(path, sizeof path, "%s/dash1.key", kdir);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
    char sec[41], pub[41], derived[41];
    FILE *f = fopen(path, "r");
    cr_assert_eq(fread(sec, 1, 40, f), 40);
    fclose(f);
    sec[40] = 0;
    snprintf(path, sizeof path, "%s/dash1.pub", kdir);
    f = fopen(path, "r");
    cr_assert_eq(fread(pub, 1, 40, f), 40);
    fclose(f);
    pub[40] = 0;
    cr_assert_eq(zmq_curve_public(derived, sec), 0);
    cr_assert_str_eq(derived, pub, "the .pub is not the public half of the .key");
    /* The registry stanza on stdout names the same public key and role. */
    snprintf(path, sizeof path, "%s/gen1.log", F.dir);
    f = fopen(path, "r");
    size_t n = fread(out, 1, sizeof out - 1, f);
    fclose(f);
    out[n] = 0;
    cr_assert(strstr(out, pub) && strstr(out, "role = dashboard")
              && strstr(out, "buyers = heerlen,venlo"), "%s", out);
    /* Again: refused, and the secret is unchanged. */
    cr_assert_eq(h_spawn_argv(&p, (char *const *)argv1, "gen2", F.dir, env), 0);
    cr_assert_eq(h_wait(&p, 10000, &st), 0);
    cr_assert_eq(WEXITSTATUS(st), 1);
    char again[41];
    snprintf(path, sizeof path, "%s/dash1.key", kdir);
    f = fopen(path, "r");
    cr_assert_eq(fread(again, 1, 40, f), 40);
    fclose(f);
    again[40] = 0;
    cr_assert_str_eq(again, sec);
}

Test(curve, service_without_keys_does_not_start)
{
    const char *env[] = { "MVOI_CURVE=on", "MVOI_DATA_DIR=/tmp", NULL };
    h_proc_t p;
    cr_assert_eq(h_spawn(&p, F.bin, "nokeys", F.dir, env), 0);
    int st = -1;
    cr_assert_eq(h_wait(&p, 10000, &st), 0);
    cr_assert_eq(WEXITSTATUS(st), 78);
    /* A key file others may read is refused like every secret file. */
    char path[320], e1[400], e2[400];
    snprintf(path, sizeof path, "%s/bus.key", F.keys);
    chmod(path, 0644);
    snprintf(e1, sizeof e1, "MVOI_CURVE_SERVER_KEY_FILE=%s", path);
    snprintf(e2, sizeof e2, "MVOI_KEYS_FILE=%s", F.reg);
    const char *env2[] = { "MVOI_CURVE=on", e1, e2, "MVOI_DATA_DIR=/tmp", NULL };
    cr_assert_eq(h_spawn(&p, F.bin, "badmode", F.dir, env2), 0);
    cr_assert_eq(h_wait(&p, 10000, &st), 0);
    cr_assert_eq(WEXITSTATUS(st), 78);
    char log[512], line[2048];
    snprintf(log, sizeof log, "%s/badmode.log", F.dir);
    FILE *f = fopen(log, "r");
    bool named = false;
    while (f && fgets(line, sizeof line, f))
        named |= strstr(line, "secret_file_permissions") != NULL;
    if (f)
        fclose(f);
    cr_assert(named, "the refusal does not name secret_file_permissions");
}

Test(curve, mvoictl_names_a_refused_key)
{
    s_start(true);
    s_wait_up();
    char e1[128], e2[400], e3[400], log[400], line[1024];
    snprintf(e1, sizeof e1, "MVOI_CALENDAR_API=%s", F.api);
    snprintf(e2, sizeof e2, "MVOI_CURVE_SERVER_PUBLIC_FILE=%s/bus.pub", F.keys);
    snprintf(e3, sizeof e3, "MVOI_CURVE_KEY_FILE=%s/stranger.key", F.keys);
    const char *env[] = { "MVOI_CURVE=on", "MVOI_LANG=en", e1, e2, e3, NULL };
    const char *argv[] = { F.ctl, "--timeout", "20000", "tender", "list", NULL };
    h_proc_t p;
    int64_t t0 = h_now_ms();
    cr_assert_eq(h_spawn_argv(&p, (char *const *)argv, "ctl-stranger", F.dir, env), 0);
    int st = -1;
    cr_assert_eq(h_wait(&p, 15000, &st), 0);
    /* Named at once (not after the 20 s timeout): EX_NOPERM and the reason. */
    cr_assert_eq(WEXITSTATUS(st), 77);
    cr_assert_lt(h_now_ms() - t0, 10000);
    snprintf(log, sizeof log, "%s/ctl-stranger.log", F.dir);
    FILE *f = fopen(log, "r");
    bool named = false;
    while (f && fgets(line, sizeof line, f))
        named |= strstr(line, "refused the connection (status 400)") != NULL;
    if (f)
        fclose(f);
    cr_assert(named, "mvoictl did not name the refusal");
}

/* What a person with a reader's key sees when mvoictl writes: the refusal in Dutch by
 * default (the request's language), in English with --lang en, and exit 1 ("refused by the
 * service", mvoictl --help; 77 is a key refused at the handshake). */
static void s_ctl_as_reader(const char *lang, const char *want)
{
    char e1[128], e2[400], e3[400], json[300], log[400], line[1024], name[32];
    snprintf(e1, sizeof e1, "MVOI_CALENDAR_API=%s", F.api);
    snprintf(e2, sizeof e2, "MVOI_CURVE_SERVER_PUBLIC_FILE=%s/bus.pub", F.keys);
    snprintf(e3, sizeof e3, "MVOI_CURVE_KEY_FILE=%s/hrlr.key", F.keys);
    snprintf(json, sizeof json, "%s/t-%s.json", F.dir, lang);
    FILE *j = fopen(json, "w");
    cr_assert(j);
    fprintf(j, "{\"id\":\"HRL-CTL-1\",\"title\":\"Schoonmaak\",\"kind\":\"diensten\","
               "\"value_cents\":100000}\n");
    fclose(j);
    const char *env[] = { "MVOI_CURVE=on", e1, e2, e3, NULL };
    const char *argv[] = { F.ctl, "--lang", lang, "--buyer", "heerlen", "tender", "add",
                           "--json", json, NULL };
    snprintf(name, sizeof name, "ctl-reader-%s", lang);
    h_proc_t p;
    cr_assert_eq(h_spawn_argv(&p, (char *const *)argv, name, F.dir, env), 0);
    int st = -1;
    cr_assert_eq(h_wait(&p, 15000, &st), 0);
    cr_expect_eq(WEXITSTATUS(st), 1, "exit %d", WEXITSTATUS(st));
    snprintf(log, sizeof log, "%s/%s.log", F.dir, name);
    FILE *f = fopen(log, "r");
    bool said = false;
    while (f && fgets(line, sizeof line, f)) {
        said |= strstr(line, want) != NULL;
        cr_log_info("mvoictl --lang %s: %s", lang, line);
    }
    if (f)
        fclose(f);
    cr_assert(said, "mvoictl --lang %s did not say \"%s\" (its output is above)", lang, want);
}

Test(curve, mvoictl_shows_a_refused_role_in_the_readers_language)
{
    s_start(true);
    s_wait_up();
    s_ctl_as_reader("nl", "sleutel hrlr heeft de rol reader, die niets mag wijzigen");
    s_ctl_as_reader("en", "key hrlr has role reader, which may not change anything");
    cr_assert_eq(s_count("heerlen"), 0);
}
