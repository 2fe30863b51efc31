/*  gw_http: libmicrohttpd driven by libuv (gw_http.h). */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "gw_http.h"
#include "log.h"
#include "textfmt.h"

/* One open connection, for the request deadline. MHD's own timeout is an idle timer that
 * every byte resets, so a client sending a header line every few seconds would hold its
 * connection (and a slot of the connection limit) forever; this one runs from the moment the
 * connection opens (or its previous response completed) until the whole request arrived. */
typedef struct gw_conn_t {
    struct gw_conn_t *prev, *next;
    struct MHD_Connection *conn;
    uint64_t since_ms;
    int arrived;      /* the whole request is in: the deadline no longer applies (SSE, upstream) */
    int cut;
    int path_nul;     /* the current request's raw path holds %00 (gw_http_path_nul) */
    int path_slash;   /* ... holds %2F (gw_http_path_slash) */
    size_t uri_len;   /* ... its raw request target's length (gw_http_request_limits) */
} gw_conn_t;

struct gw_http_t {
    uv_loop_t *loop;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    uv_timer_t deadline;
    gw_http_opts_t o;
    gw_conn_t *conns;
    uint64_t deadline_cut;
    int closing;
    int handles;
    int in_run;
    int rerun;
    MHD_socket quiesced;
    int have_quiesced;
};

static void s_reschedule(gw_http_t *self);

static void s_run(gw_http_t *self)
{
    if (!self->d)
        return;
    if (self->in_run) {       /* a callback inside MHD_run asked for another pass */
        self->rerun = 1;
        return;
    }
    self->in_run = 1;
    int passes = 0;
    do {
        self->rerun = 0;
        unsigned before = gw_http_connections(self);
        MHD_run(self->d);
        /* At the connection limit MHD takes its listen socket out of its epoll set and puts
         * it back only at the start of a later MHD_run, once connections closed. Without
         * that pass nothing wakes the loop (the waiting clients sit in the kernel's backlog,
         * invisible to epoll): the gateway would stay locked after a burst of slow clients. */
        if (gw_http_connections(self) < before && passes++ < 2)
            self->rerun = 1;
    } while (self->rerun);
    self->in_run = 0;
    s_reschedule(self);
}

static void s_on_timer(uv_timer_t *t) { s_run(t->data); }

static void s_on_poll(uv_poll_t *p, int status, int events) { s_run(p->data); }

static void s_reschedule(gw_http_t *self)
{
    if (self->closing || !self->d)
        return;
    MHD_UNSIGNED_LONG_LONG to = 0;
    /* Also without a timeout of MHD's own: a pass a second at least, so that no state of
     * MHD that epoll cannot signal (see s_run) outlasts a second. */
    if (MHD_get_timeout(self->d, &to) != MHD_YES || to > 1000)
        to = 1000;
    uv_timer_start(&self->timer, s_on_timer, (uint64_t)to, 0);
}

void gw_http_kick(gw_http_t *self)
{
    if (self && !self->closing && self->d) {
        if (self->in_run)
            self->rerun = 1;
        else
            uv_timer_start(&self->timer, s_on_timer, 0, 0);
    }
}

static int s_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sl)
{
    char host[256];
    const char *port;
    if (listen[0] == '[') {
        const char *e = strchr(listen, ']');
        if (!e || e[1] != ':' || (size_t)(e - listen - 1) >= sizeof host)
            return -EINVAL;
        memcpy(host, listen + 1, (size_t)(e - listen - 1));
        host[e - listen - 1] = '\0';
        port = e + 2;
    } else {
        const char *c = strrchr(listen, ':');
        if (!c || (size_t)(c - listen) >= sizeof host)
            return -EINVAL;
        memcpy(host, listen, (size_t)(c - listen));
        host[c - listen] = '\0';
        port = c + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return -EINVAL;
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                              .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(*host ? host : NULL, port, &hints, &res) != 0 || !res)
        return -EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void s_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_emit(LOG_DEBUG, "http_lib", NULL, "%s", msg);
}

/* ---------------------------------------------------------------- request deadline */

static gw_conn_t *s_conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void s_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
    gw_http_t *self = cls;
    gw_conn_t *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c = calloc(1, sizeof *c);
        if (!c)
            return;           /* untracked: only MHD's idle timeout applies to it */
        c->conn = conn;
        c->since_ms = uv_now(self->loop);
        c->next = self->conns;
        if (c->next)
            c->next->prev = c;
        self->conns = c;
        *socket_context = c;
    } else if (c) {
        if (c->prev)
            c->prev->next = c->next;
        else
            self->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        free(c);
        *socket_context = NULL;
    }
}

/* A request without a body is complete when its headers are: that is when MHD first calls. */
static int s_has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version,
                                const char *upload_data, size_t *upload_data_size,
                                void **con_cls)
{
    gw_http_t *self = cls;
    gw_conn_t *c = s_conn_of(conn);
    if (c && !c->arrived
        && (*con_cls == NULL ? !s_has_body(conn) : *upload_data_size == 0))
        c->arrived = 1;
    return self->o.handler(self->o.handler_cls, conn, url, method, version, upload_data,
                           upload_data_size, con_cls);
}

/* MHD hands the access handler the path percent-decoded as a C string: "/api/tenders/A%00x"
 * arrives as "/api/tenders/A", indistinguishable from a request for A. The raw request
 * line is seen only here, before decoding, so the NUL is noted here (per request: a kept-
 * alive connection's next request is looked at anew). */
static void *s_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    gw_conn_t *c = s_conn_of(conn);
    if (c) {
        size_t path_len = strcspn(uri, "?");
        c->uri_len = strlen(uri);
        c->path_nul = c->path_slash = 0;
        for (size_t i = 0; i + 2 < path_len; i++) {
            if (uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
                c->path_nul = 1;
            if (uri[i] == '%' && uri[i + 1] == '2' && (uri[i + 2] == 'F' || uri[i + 2] == 'f'))
                c->path_slash = 1;
        }
    }
    return NULL;      /* *con_cls stays NULL: the handler makes its request object */
}

int gw_http_path_nul(struct MHD_Connection *conn)
{
    gw_conn_t *c = s_conn_of(conn);
    return c ? c->path_nul : 0;
}

int gw_http_path_slash(struct MHD_Connection *conn)
{
    gw_conn_t *c = s_conn_of(conn);
    return c ? c->path_slash : 0;
}

typedef struct {
    size_t bytes, count;
} s_hdr_sum_t;

static enum MHD_Result s_hdr_sum(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    (void)key;
    (void)value;
    s_hdr_sum_t *sum = cls;
    sum->bytes += key_len + value_len + 4;   /* as on the wire: ": " and CRLF */
    sum->count++;
    return MHD_YES;
}

int gw_http_request_limits(struct MHD_Connection *conn, text_lang_t lang, char *detail,
                           size_t len)
{
    gw_conn_t *c = s_conn_of(conn);
    if (c && c->uri_len > GW_HTTP_URI_MAX) {
        textfmt_tr(detail, len, lang, "gw.",
                   "the request target is %zu bytes, at most %u are taken", c->uri_len,
                   GW_HTTP_URI_MAX);
        return 414;
    }
    s_hdr_sum_t sum = { 0, 0 };
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, s_hdr_sum, &sum);
    if (sum.bytes > GW_HTTP_HEADERS_MAX) {
        textfmt_tr(detail, len, lang, "gw.",
                   "the header fields are %zu bytes, at most %u are taken", sum.bytes,
                   GW_HTTP_HEADERS_MAX);
        return 431;
    }
    if (sum.count > GW_HTTP_HEADER_COUNT_MAX) {
        textfmt_tr(detail, len, lang, "gw.",
                   "the request has %zu header fields, at most %u are taken", sum.count,
                   GW_HTTP_HEADER_COUNT_MAX);
        return 431;
    }
    return 0;
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    gw_http_t *self = cls;
    if (self->o.completed)
        self->o.completed(self->o.completed_cls, conn, con_cls, toe);
    gw_conn_t *c = s_conn_of(conn);
    if (c) {                  /* keep-alive: the next request gets a deadline of its own */
        c->arrived = 0;
        c->since_ms = uv_now(self->loop);
    }
}

static void s_on_deadline(uv_timer_t *t)
{
    gw_http_t *self = t->data;
    uint64_t now = uv_now(self->loop);
    int cut = 0;
    for (gw_conn_t *c = self->conns; c; c = c->next) {
        if (c->arrived || c->cut || now - c->since_ms < self->o.request_deadline_ms)
            continue;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            continue;
        /* MHD sees the end of the stream on its next pass and closes the connection. */
        shutdown(ci->connect_fd, SHUT_RDWR);
        c->cut = 1;
        cut++;
    }
    if (cut) {
        self->deadline_cut += (uint64_t)cut;
        log_emit(LOG_DEBUG, "http_request_deadline", NULL,
                 "%d connection(s) did not deliver a whole request within %u ms", cut,
                 self->o.request_deadline_ms);
        gw_http_kick(self);
    }
}

uint64_t gw_http_deadline_cut(gw_http_t *self) { return self ? self->deadline_cut : 0; }

/* ---------------------------------------------------------------- daemon */

gw_http_t *gw_http_new(uv_loop_t *loop, const gw_http_opts_t *o, int *err)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    if (s_parse_listen(o->listen, &ss, &sl) < 0) {
        *err = -EINVAL;
        return NULL;
    }
    gw_http_t *self = calloc(1, sizeof *self);
    if (!self) {
        *err = -ENOMEM;
        return NULL;
    }
    self->loop = loop;
    self->o = *o;
    if (!self->o.request_deadline_ms)
        self->o.request_deadline_ms = 10000;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->d = MHD_start_daemon(flags, 0, NULL, NULL, s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, o->connection_limit ? o->connection_limit : 4096u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 60u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_HTTP_POOL_BYTES,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_NOTIFY_CONNECTION, s_notify, self,
        MHD_OPTION_URI_LOG_CALLBACK, s_uri, self,
        MHD_OPTION_END);
    if (!self->d) {
        free(self);
        *err = -EADDRINUSE;
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di) {
        MHD_stop_daemon(self->d);
        free(self);
        *err = -ENOTSUP;
        return NULL;
    }
    uv_poll_init(loop, &self->poll, di->epoll_fd);
    self->poll.data = self;
    uv_poll_start(&self->poll, UV_READABLE, s_on_poll);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_init(loop, &self->deadline);
    self->deadline.data = self;
    uint64_t tick = self->o.request_deadline_ms / 8;
    tick = tick < 50 ? 50 : tick > 500 ? 500 : tick;
    uv_timer_start(&self->deadline, s_on_deadline, tick, tick);
    self->handles = 3;
    s_reschedule(self);
    return self;
}

void gw_http_quiesce(gw_http_t *self)
{
    if (self && self->d && !self->have_quiesced) {
        self->quiesced = MHD_quiesce_daemon(self->d);
        self->have_quiesced = self->quiesced != MHD_INVALID_SOCKET;
    }
}

static void s_on_close(uv_handle_t *h)
{
    gw_http_t *self = h->data;
    if (--self->handles == 0)
        free(self);
}

void gw_http_destroy(gw_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_http_t *self = *self_p;
    *self_p = NULL;
    self->closing = 1;
    uv_poll_stop(&self->poll);
    uv_timer_stop(&self->timer);
    uv_timer_stop(&self->deadline);
    if (self->d) {
        MHD_stop_daemon(self->d);
        self->d = NULL;
    }
    if (self->have_quiesced)
        close(self->quiesced);   /* MHD hands the listen socket back on quiesce */
    uv_close((uv_handle_t *)&self->poll, s_on_close);
    uv_close((uv_handle_t *)&self->timer, s_on_close);
    uv_close((uv_handle_t *)&self->deadline, s_on_close);
}

unsigned gw_http_port(gw_http_t *self)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

unsigned gw_http_connections(gw_http_t *self)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return di ? di->num_connections : 0;
}

struct MHD_Daemon *gw_http_daemon(gw_http_t *self) { return self->d; }
