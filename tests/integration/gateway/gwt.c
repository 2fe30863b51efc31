/*  gwt: gateway test helpers (gwt.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>
#include "gwt.h"

static void s_sha256_hex(const char *s, char out[65]);

void gwt_sha256_hex(const char *s, char out[65]) { s_sha256_hex(s, out); }

const char *gwt_fake_args;

/* ---------------------------------------------------------------- processes */

static int s_write_tokens(gwt_env_t *e, char *path, size_t len)
{
    snprintf(path, len, "%s/tokens", e->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    char h[65];
    fprintf(f, "# role sha256 name buyers\n");
    s_sha256_hex(GWT_TOKEN_READER, h);
    fprintf(f, "reader %s dashboard buyers=*\n", h);
    s_sha256_hex(GWT_TOKEN_SUBMIT, h);
    fprintf(f, "submitter %s supplier-a buyers=*\n", h);
    s_sha256_hex(GWT_TOKEN_ADMIN, h);
    fprintf(f, "admin %s adviser buyers=*\n", h);
    s_sha256_hex(GWT_TOKEN_HRL_SUBMIT, h);
    fprintf(f, "submitter %s hrl-supplier buyers=heerlen\n", h);
    s_sha256_hex(GWT_TOKEN_HRL_ADMIN, h);
    fprintf(f, "admin %s hrl-adviser buyers=heerlen\n", h);
    fclose(f);
    return 0;
}

int gwt_start_gateway(gwt_env_t *e, const char *const *gw_env)
{
    char tokens[300], bin[512];
    s_write_tokens(e, tokens, sizeof tokens);
    static char envs[16][400];
    const char *env[32];
    int n = 0;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_LISTEN=127.0.0.1:%d", e->http_port); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_CALENDAR_API=%s", e->cal); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_IMPACT_API=%s", e->imp); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_KPI_API=%s", e->api); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_API=%s", e->api); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_KPI_PUB=%s", e->pub); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_NOTIFIER_API=%s", e->ntf); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_TOKENS_FILE=%s", tokens); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_DATA_DIR=%s", e->dir); env[n] = envs[n]; n++;
    snprintf(envs[n], sizeof envs[n], "MVOI_GATEWAY_UPSTREAM_TIMEOUT_MS=2000"); env[n] = envs[n]; n++;
    int m = n;
    for (int i = 0; gw_env && gw_env[i] && m < 30; i++)
        env[m++] = gw_env[i];
    env[m] = NULL;
    h_bin(bin, sizeof bin, "services/gateway/mvoi-gateway");
    if (h_spawn(&e->gw, bin, "gateway", e->dir, env) < 0)
        return -1;
    e->gw_up = true;
    return 0;
}

int gwt_start(gwt_env_t *e, const char *const *gw_env)
{
    memset(e, 0, sizeof *e);
    signal(SIGPIPE, SIG_IGN);     /* the gateway may answer 413 before reading a body */
    h_tmpdir(e->dir, sizeof e->dir);
    /* ipc:// in the test's own directory and a port the kernel hands out: a port base
     * derived from the pid collided now and then with another test's or an ephemeral
     * port, and the fake never came up (CI, stop 28). */
    snprintf(e->api, sizeof e->api, "ipc://%s/api", e->dir);
    snprintf(e->pub, sizeof e->pub, "ipc://%s/pub", e->dir);
    snprintf(e->cal, sizeof e->cal, "ipc://%s/cal", e->dir);
    snprintf(e->imp, sizeof e->imp, "ipc://%s/imp", e->dir);
    snprintf(e->ntf, sizeof e->ntf, "ipc://%s/ntf", e->dir);
    e->http_port = h_free_tcp_port();
    if (e->http_port < 0)
        return -1;
    char bin[512], extra[128];
    h_bin(bin, sizeof bin, "tests/integration/gateway/fakekpi");
    char *argv[24] = { bin, "--api", e->api, "--pub", e->pub, "--calendar", e->cal,
                       "--impact", e->imp, "--notifier", e->ntf };
    int argc = 11;
    /* gwt_fake_args: more words, split on spaces ("--venlo 1") */
    snprintf(extra, sizeof extra, "%s", gwt_fake_args ? gwt_fake_args : "");
    for (char *save = NULL, *w = strtok_r(extra, " ", &save); w && argc < 23;
         w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    if (h_spawn_argv(&e->fake, argv, "fakekpi", e->dir, NULL) < 0)
        return -1;
    e->fake_up = true;
    /* 15 s: an instrumented (ASan) fake starting beside a parallel suite can need more
     * than 5 s; a healthy one answers in milliseconds, so the bound costs nothing. */
    if (h_wait_healthy(e->api, 15000) < 0)
        return -2;                /* h_wait_healthy has marked the logs to be kept */
    if (gwt_start_gateway(e, gw_env) < 0)
        return -3;
    return 0;
}

void gwt_stop(gwt_env_t *e)
{
    int st;
    if (e->gw_up) {
        h_signal(&e->gw, SIGTERM);
        if (h_wait(&e->gw, 5000, &st) < 0)
            h_kill9(&e->gw);
        e->gw_up = false;
    }
    if (e->fake_up) {
        h_signal(&e->fake, SIGTERM);
        if (h_wait(&e->fake, 3000, &st) < 0)
            h_kill9(&e->fake);
        e->fake_up = false;
    }
    if (!getenv("GWT_KEEP"))
        h_tmpdir_remove(e->dir);
}

int gwt_wait_ready(gwt_env_t *e, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    while (h_now_ms() < end) {
        gwt_resp_t r;
        if (gwt_http(e->http_port, "GET", "/readyz", NULL, NULL, 0, &r, 1000) == 0) {
            int st = r.status;
            gwt_resp_free(&r);
            if (st == 200)
                return 0;
        }
        h_sleep_ms(50);
    }
    h_keep_logs();
    return -ETIMEDOUT;
}

/* ---------------------------------------------------------------- HTTP */

static int s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int s_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void s_header(const char *hdrs, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = hdrs; p && *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e)
            break;
        if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(e - v) < len - 1 ? (size_t)(e - v) : len - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return;
        }
        p = e + 2;
    }
}

int gwt_http(int port, const char *method, const char *path, const char *headers,
             const char *body, size_t body_len, gwt_resp_t *out, int timeout_ms)
{
    memset(out, 0, sizeof *out);
    int fd = s_connect(port);
    if (fd < 0)
        return -ECONNREFUSED;
    char head[4096];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s", method, path,
                     headers ? headers : "");
    if (body)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    if (s_write_all(fd, head, (size_t)n) < 0 || (body && s_write_all(fd, body, body_len) < 0)) {
        /* the server may answer before reading the body (413): read what it said */
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(end - h_now_ms());
        if (left <= 0)
            break;
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, left) <= 0)
            break;
        if (len + 4096 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t k = read(fd, buf + len, cap - len - 1);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/%*s %d", &out->status) != 1) {
        free(buf);
        return -EPROTO;
    }
    sep[2] = '\0';
    s_header(buf, "Content-Type", out->ctype, sizeof out->ctype);
    s_header(buf, "Location", out->location, sizeof out->location);
    s_header(buf, "WWW-Authenticate", out->www_auth, sizeof out->www_auth);
    s_header(buf, "Retry-After", out->retry_after, sizeof out->retry_after);
    out->len = len - (size_t)(sep + 4 - buf);
    out->body = malloc(out->len + 1);
    memcpy(out->body, sep + 4, out->len);
    out->body[out->len] = '\0';
    free(buf);
    return 0;
}

char *gwt_raw(int port, const char *req, size_t len, int timeout_ms, const char *until)
{
    int fd = s_connect(port);
    if (fd < 0)
        return NULL;
    /* the server may answer and close before it read all: no SIGPIPE, read what it said */
    for (size_t off = 0; off < len;) {
        ssize_t k = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    int64_t end = h_now_ms() + timeout_ms;
    while (!until || !strstr(buf, until)) {
        int left = (int)(end - h_now_ms());
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        if (got + 4096 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t k = read(fd, buf + got, cap - got - 1);
        if (k <= 0)
            break;
        got += (size_t)k;
        buf[got] = '\0';
    }
    close(fd);
    return buf;
}

void gwt_resp_free(gwt_resp_t *r)
{
    free(r->body);
    r->body = NULL;
}

json_t *gwt_json(const gwt_resp_t *r)
{
    return r->body ? json_loads(r->body, 0, NULL) : NULL;
}

/* ---------------------------------------------------------------- SSE client */

struct gwt_sse_t {
    int fd;
    char *buf;
    size_t len, cap;
    bool in_body;
    char ev[32];
    char id[64];
    char *data;
    size_t dlen, dcap;
    uint64_t last_id;      /* the seq of the last id ("<epoch>-<incarnation>-<seq>") */
    char last_raw[64];     /* the last id as sent: what a resume sends back */
    long snapshots, updates;
    json_t *state;   /* key -> {"r":realisation,"s":seq} */
};

static int s_sse_connect(gwt_sse_t *s, int port, const char *lei)
{
    s->fd = s_connect(port);
    if (s->fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /api/stream HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                     "%s%s%s\r\n", lei ? "Last-Event-ID: " : "", lei ? lei : "", lei ? "\r\n" : "");
    s->len = 0;
    s->in_body = false;
    s->ev[0] = s->id[0] = '\0';
    s->dlen = 0;
    return s_write_all(s->fd, req, (size_t)n);
}

gwt_sse_t *gwt_sse_open(int port, const char *last_event_id)
{
    gwt_sse_t *s = calloc(1, sizeof *s);
    s->cap = 1 << 16;
    s->buf = malloc(s->cap);
    s->dcap = 1 << 16;
    s->data = malloc(s->dcap);
    s->state = json_object();
    if (s_sse_connect(s, port, last_event_id) < 0) {
        gwt_sse_free(s);
        return NULL;
    }
    return s;
}

static void s_apply_total(gwt_sse_t *s, json_t *t)
{
    const char *key = json_string_value(json_object_get(t, "key"));
    if (!key)
        return;
    json_t *cur = json_object_get(s->state, key);
    json_int_t seq = json_integer_value(json_object_get(t, "seq"));
    if (cur && json_integer_value(json_object_get(cur, "s")) > seq)
        return;
    json_object_set_new(s->state, key,
                        json_pack("{s:I, s:I}", "r",
                                  json_integer_value(json_object_get(t, "realisation")), "s", seq));
}

static void s_dispatch(gwt_sse_t *s)
{
    if (s->id[0]) {
        const char *dash = strrchr(s->id, '-');   /* "<epoch>-<incarnation>-<seq>" */
        s->last_id = strtoull(dash ? dash + 1 : s->id, NULL, 10);
        snprintf(s->last_raw, sizeof s->last_raw, "%s", s->id);
    }
    if (s->dlen == 0)
        return;
    s->data[s->dlen] = '\0';
    json_t *o = json_loads(s->data, 0, NULL);
    if (o && strcmp(s->ev, "snapshot") == 0) {
        json_object_clear(s->state);
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(o, "totals"), i, t)
            s_apply_total(s, t);
        s->snapshots++;
    } else if (o && strcmp(s->ev, "kpi") == 0) {
        s_apply_total(s, o);
        s->updates++;
    }
    json_decref(o);
}

/* Handle one complete line of the body. Returns 1 when an event was dispatched. */
static int s_line(gwt_sse_t *s, const char *line, size_t n)
{
    if (n == 0) {
        int had = s->dlen > 0 || s->id[0];
        if (had)
            s_dispatch(s);
        s->ev[0] = s->id[0] = '\0';
        s->dlen = 0;
        return had;
    }
    if (line[0] == ':')
        return 0;
    const char *colon = memchr(line, ':', n);
    size_t fl = colon ? (size_t)(colon - line) : n;
    const char *v = colon ? colon + 1 : line + n;
    if (v < line + n && *v == ' ')
        v++;
    size_t vl = (size_t)(line + n - v);
    if (fl == 5 && !strncmp(line, "event", 5)) {
        snprintf(s->ev, sizeof s->ev, "%.*s", (int)vl, v);
    } else if (fl == 2 && !strncmp(line, "id", 2)) {
        snprintf(s->id, sizeof s->id, "%.*s", (int)vl, v);
    } else if (fl == 4 && !strncmp(line, "data", 4)) {
        if (s->dlen + vl + 2 > s->dcap) {
            while (s->dlen + vl + 2 > s->dcap)
                s->dcap *= 2;
            s->data = realloc(s->data, s->dcap);
        }
        if (s->dlen)
            s->data[s->dlen++] = '\n';
        memcpy(s->data + s->dlen, v, vl);
        s->dlen += vl;
    }
    return 0;
}

long gwt_sse_read(gwt_sse_t *s, int timeout_ms, uint64_t stop_seq, long max_events)
{
    long handled = 0;
    int64_t end = h_now_ms() + timeout_ms;
    if (s->fd < 0)
        return -1;
    for (;;) {
        /* consume complete lines */
        size_t start = 0;
        for (;;) {
            char *nl = memchr(s->buf + start, '\n', s->len - start);
            if (!nl)
                break;
            size_t n = (size_t)(nl - (s->buf + start));
            char *line = s->buf + start;
            if (n && line[n - 1] == '\r')
                n--;
            if (!s->in_body) {
                if (n == 0)
                    s->in_body = true;
            } else {
                handled += s_line(s, line, n);
            }
            start = (size_t)(nl - s->buf) + 1;
            if ((stop_seq && s->last_id >= stop_seq) || (max_events && handled >= max_events))
                break;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
        if ((stop_seq && s->last_id >= stop_seq) || (max_events && handled >= max_events))
            return handled;
        int left = (int)(end - h_now_ms());
        if (left <= 0)
            return handled;
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (poll(&p, 1, left) <= 0)
            return handled;
        if (s->len + 65536 > s->cap)
            s->buf = realloc(s->buf, s->cap *= 2);
        ssize_t k = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (k <= 0)
            return handled ? handled : -1;
        s->len += (size_t)k;
    }
}

void gwt_sse_close(gwt_sse_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int gwt_sse_reopen(gwt_sse_t *s, int port)
{
    gwt_sse_close(s);
    return s_sse_connect(s, port, s->last_raw[0] ? s->last_raw : NULL);
}

const char *gwt_sse_last_raw(gwt_sse_t *s) { return s->last_raw; }

uint64_t gwt_sse_last_id(gwt_sse_t *s) { return s->last_id; }
long gwt_sse_snapshots(gwt_sse_t *s) { return s->snapshots; }
long gwt_sse_updates(gwt_sse_t *s) { return s->updates; }
json_t *gwt_sse_state(gwt_sse_t *s) { return json_incref(s->state); }

void gwt_sse_free(gwt_sse_t *s)
{
    if (!s)
        return;
    gwt_sse_close(s);
    json_decref(s->state);
    free(s->buf);
    free(s->data);
    free(s);
}

/* ---------------------------------------------------------------- the fake, directly */

static void *s_dealer(void *ctx, const char *api)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int z = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &z, sizeof z);
    zmq_connect(d, api);
    return d;
}

json_t *gwt_fake_state(const char *api, uint64_t *seq)
{
    void *ctx = zmq_ctx_new();
    void *d = s_dealer(ctx, api);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__SnapshotRequest sr = MVOI__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "kpi.";
    env.request_id = "gwt-snap";
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    env.snapshot = &sr;
    uint8_t buf[256];
    size_t len = mvoi__envelope__pack(&env, buf);
    zmq_send(d, buf, len, 0);
    json_t *state = json_object();
    for (;;) {
        zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 5000) <= 0) {
            json_decref(state);
            state = NULL;
            break;
        }
        zmq_msg_t parts[2];
        int np = 0;
        int more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, d, 0);
            more = zmq_msg_more(&m);
            if (np < 2)
                parts[np++] = m;
            else
                zmq_msg_close(&m);
        }
        zmq_msg_t *body = &parts[np - 1];
        Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(body), zmq_msg_data(body));
        for (int i = 0; i < np; i++)
            zmq_msg_close(&parts[i]);
        if (!e)
            continue;
        bool done = false;
        if (e->body_case == MVOI__ENVELOPE__BODY_KPI_TOTAL) {
            json_object_set_new(state, e->kpi_total->key,
                                json_pack("{s:I, s:I}", "r", (json_int_t)e->kpi_total->realisation,
                                          "s", (json_int_t)e->seq));
        } else if (e->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT_END) {
            if (seq)
                *seq = e->snapshot_end->seq;
            done = true;
        }
        mvoi__envelope__free_unpacked(e, NULL);
        if (done)
            break;
    }
    zmq_close(d);
    zmq_ctx_term(ctx);
    return state;
}

uint64_t gwt_fake_generate(const char *api, uint32_t count, uint32_t rate)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT, *reply = NULL;
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = tc.has_payload_size = true;
    tc.count = count;
    tc.payload_size = rate;
    env.request_id = "gwt-gen";
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    if (h_request(api, &env, &reply, 5000) < 0 || !reply)
        return 0;
    uint64_t seq = reply->body_case == MVOI__ENVELOPE__BODY_ACK ? reply->ack->seq : 0;
    mvoi__envelope__free_unpacked(reply, NULL);
    return seq;
}

/* ---------------------------------------------------------------- sha256 via the gateway's */

#include "gw_auth.h"
static void s_sha256_hex(const char *s, char out[65])
{
    uint8_t h[32];
    gw_sha256(s, strlen(s), h);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}
