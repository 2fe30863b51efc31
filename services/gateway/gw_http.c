/*  gw_http: libmicrohttpd driven by libuv (gw_http.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "gw_http.h"
#include "log.h"

struct gw_http_t {
    uv_loop_t *loop;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
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
    do {
        self->rerun = 0;
        MHD_run(self->d);
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
    if (MHD_get_timeout(self->d, &to) == MHD_YES)
        uv_timer_start(&self->timer, s_on_timer, to > 60000 ? 60000 : (uint64_t)to, 0);
    else
        uv_timer_stop(&self->timer);
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
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->d = MHD_start_daemon(flags, 0, NULL, NULL, o->handler, o->handler_cls,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, o->connection_limit ? o->connection_limit : 4096u,
        MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 60u,
        MHD_OPTION_NOTIFY_COMPLETED, o->completed, o->completed_cls,
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
    self->handles = 2;
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
    if (self->d) {
        MHD_stop_daemon(self->d);
        self->d = NULL;
    }
    if (self->have_quiesced)
        close(self->quiesced);   /* MHD hands the listen socket back on quiesce */
    uv_close((uv_handle_t *)&self->poll, s_on_close);
    uv_close((uv_handle_t *)&self->timer, s_on_close);
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
