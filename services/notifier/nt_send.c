/*  nt_send: see nt_send.h. */
#include "nt_send.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "nt_msg.h"

struct nt_sender_t {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    nt_send_opts_t o;
    char *strs[8];
    unsigned inflight;
    bool closing;
};

typedef struct {
    nt_sender_t *s;
    CURL *easy;
    nt_send_cb *cb;
    void *arg;
    char *data;
    size_t len, pos;
    struct curl_slist *rcpts, *headers;
    int64_t retry_after_ms;
    bool webhook;
    char errbuf[CURL_ERROR_SIZE];
} s_xfer_t;

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    nt_sender_t *s;
} s_sock_t;

static void s_check(nt_sender_t *s);

static void s_finish(s_xfer_t *x, CURLcode cc)
{
    nt_result_t res = { .outcome = NT_OK, .retry_after_ms = x->retry_after_ms };
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    res.code = code;
    if (x->webhook) {
        res.outcome = cc == CURLE_OK ? nt_http_outcome(code) : NT_TRANSIENT;
        if (res.outcome != NT_OK)
            snprintf(res.error, sizeof res.error, "webhook: %s (HTTP %ld)",
                     cc == CURLE_OK ? "refused" : (x->errbuf[0] ? x->errbuf
                                                               : curl_easy_strerror(cc)), code);
    } else if (cc != CURLE_OK) {
        res.outcome = nt_smtp_outcome(code);
        snprintf(res.error, sizeof res.error, "smtp: %s (reply %ld)",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc), code);
    }
    curl_multi_remove_handle(x->s->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->rcpts);
    curl_slist_free_all(x->headers);
    free(x->data);
    x->s->inflight--;
    nt_send_cb *cb = x->cb;
    void *arg = x->arg;
    free(x);
    cb(arg, &res);
}

static void s_check(nt_sender_t *s)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        s_xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        s_finish(x, m->data.result);
    }
}

static void s_on_poll(uv_poll_t *h, int status, int events)
{
    s_sock_t *c = h->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    nt_sender_t *s = c->s;
    curl_multi_socket_action(s->multi, c->fd, flags, &running);
    s_check(s);
}

static void s_on_timeout(uv_timer_t *t)
{
    nt_sender_t *s = t->data;
    int running;
    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    s_check(s);
}

static int s_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    nt_sender_t *s = userp;
    if (s->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&s->timer);
    else
        uv_timer_start(&s->timer, s_on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static void s_free_handle(uv_handle_t *h) { free(h->data); }

static int s_socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    nt_sender_t *s = userp;
    s_sock_t *c = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (c) {
            uv_poll_stop(&c->poll);
            uv_close((uv_handle_t *)&c->poll, s_free_handle);
            curl_multi_assign(s->multi, fd, NULL);
        }
        return 0;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return -1;
        c->fd = fd;
        c->s = s;
        uv_poll_init_socket(s->loop, &c->poll, fd);
        c->poll.data = c;
        curl_multi_assign(s->multi, fd, c);
    }
    int ev = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&c->poll, ev, s_on_poll);
    return 0;
}

static char *s_dup(nt_sender_t *s, int i, const char *v)
{
    s->strs[i] = strdup(v ? v : "");
    return s->strs[i];
}

nt_sender_t *nt_sender_new(uv_loop_t *loop, const nt_send_opts_t *o, int *err)
{
    static bool inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    nt_sender_t *s = calloc(1, sizeof *s);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    s->loop = loop;
    s->o = *o;
    s->o.smtp_url = s_dup(s, 0, o->smtp_url);
    s->o.smtp_user = s_dup(s, 1, o->smtp_user);
    s->o.smtp_password = s_dup(s, 2, o->smtp_password);
    s->o.mail_from = s_dup(s, 3, o->mail_from);
    s->o.maildir = s_dup(s, 4, o->maildir);
    s->o.webhook_url = s_dup(s, 5, o->webhook_url);
    s->o.webhook_secret = s_dup(s, 6, o->webhook_secret);
    if (!s->o.timeout_ms)
        s->o.timeout_ms = 30000;
    if (!s->o.connect_timeout_ms)
        s->o.connect_timeout_ms = 5000;
    s->multi = curl_multi_init();
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    if (!s->o.smtp_url[0]) {
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s/tmp", s->o.maildir);
        mkdir(s->o.maildir, 0750);
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
            *err = -errno;
            nt_sender_destroy(&s);
            return NULL;
        }
    }
    return s;
}

static void s_timer_closed(uv_handle_t *h) { free(h->data); }

void nt_sender_destroy(nt_sender_t **self_p)
{
    nt_sender_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    /* Transfers still in flight are dropped without their callbacks: the service waits
     * (bounded) for them before it destroys the sender, and what is left stays "sending"
     * in LMDB and is sent again after the restart. */
    s->closing = true;
    uv_timer_stop(&s->timer);
    curl_multi_cleanup(s->multi);
    for (int i = 0; i < 8; i++)
        free(s->strs[i]);
    s->timer.data = s;
    uv_close((uv_handle_t *)&s->timer, s_timer_closed);
}

unsigned nt_sender_inflight(nt_sender_t *self) { return self->inflight; }
bool nt_sender_uses_smtp(nt_sender_t *self) { return self->o.smtp_url[0] != 0; }

static size_t s_read(char *buf, size_t size, size_t n, void *arg)
{
    s_xfer_t *x = arg;
    size_t want = size * n, left = x->len - x->pos;
    if (want > left)
        want = left;
    memcpy(buf, x->data + x->pos, want);
    x->pos += want;
    return want;
}

static size_t s_header(char *buf, size_t size, size_t n, void *arg)
{
    s_xfer_t *x = arg;
    size_t len = size * n;
    if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        char v[128];
        size_t vl = len - 12 < sizeof v - 1 ? len - 12 : sizeof v - 1;
        memcpy(v, buf + 12, vl);
        v[vl] = 0;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            *--e = 0;
        x->retry_after_ms = nt_retry_after_parse(v, clock_now_ms());
    }
    return len;
}

static size_t s_discard(char *p, size_t s, size_t n, void *a) { return s * n; }

static int s_start(nt_sender_t *s, s_xfer_t *x)
{
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, s->o.timeout_ms);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, s->o.connect_timeout_ms);
    if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->rcpts);
        curl_slist_free_all(x->headers);
        free(x->data);
        free(x);
        return -EIO;
    }
    s->inflight++;
    return 0;
}

static int s_maildir(nt_sender_t *s, const char *name, const char *data, size_t len,
                     nt_send_cb *cb, void *arg)
{
    char tmp[4400], dst[4400], safe[256];
    size_t k = 0;
    for (const char *p = name; *p && k < sizeof safe - 1; p++)
        safe[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
                                   *p == '_'
                               ? *p
                               : '_');
    safe[k] = 0;
    snprintf(tmp, sizeof tmp, "%s/tmp/%s.eml", s->o.maildir, safe);
    snprintf(dst, sizeof dst, "%s/%s.eml", s->o.maildir, safe);
    nt_result_t res = { .outcome = NT_OK, .retry_after_ms = -1 };
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0)
            ok = false;
        else
            off += (size_t)w;
    }
    if (ok && fsync(fd) != 0)
        ok = false;
    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, dst) != 0)
        ok = false;
    if (!ok) {
        res.outcome = NT_TRANSIENT;
        snprintf(res.error, sizeof res.error, "maildir %.300s: %s", dst, strerror(errno));
    }
    cb(arg, &res);
    return 0;
}

int nt_sender_mail(nt_sender_t *s, const char *name, const char *const *rcpts,
                   const char *data, size_t len, nt_send_cb *cb, void *arg)
{
    if (s->closing)
        return -ECANCELED;
    if (!s->o.smtp_url[0])
        return s_maildir(s, name, data, len, cb, arg);
    s_xfer_t *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    x->s = s;
    x->cb = cb;
    x->arg = arg;
    x->retry_after_ms = -1;
    x->data = malloc(len ? len : 1);
    memcpy(x->data, data, len);
    x->len = len;
    x->easy = curl_easy_init();
    for (size_t i = 0; rcpts[i]; i++)
        x->rcpts = curl_slist_append(x->rcpts, rcpts[i]);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->o.smtp_url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, s->o.mail_from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpts);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(e, CURLOPT_READDATA, x);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    if (s->o.smtp_starttls)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (s->o.smtp_user[0]) {
        curl_easy_setopt(e, CURLOPT_USERNAME, s->o.smtp_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, s->o.smtp_password);
    }
    return s_start(s, x);
}

int nt_sender_webhook(nt_sender_t *s, const char *msg_id, const char *body, nt_send_cb *cb,
                      void *arg)
{
    if (s->closing)
        return -ECANCELED;
    s_xfer_t *x = calloc(1, sizeof *x);
    if (!x)
        return -ENOMEM;
    x->s = s;
    x->cb = cb;
    x->arg = arg;
    x->webhook = true;
    x->retry_after_ms = -1;
    x->data = strdup(body);
    x->len = strlen(body);
    x->easy = curl_easy_init();
    int64_t ts = clock_now_ms() / 1000;
    char h[700], sig[128];
    x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
    snprintf(h, sizeof h, "webhook-id: %s", msg_id);
    x->headers = curl_slist_append(x->headers, h);
    snprintf(h, sizeof h, "webhook-timestamp: %lld", (long long)ts);
    x->headers = curl_slist_append(x->headers, h);
    if (s->o.webhook_secret[0] &&
        nt_webhook_sign(s->o.webhook_secret, msg_id, ts, body, x->len, sig, sizeof sig) == 0) {
        snprintf(h, sizeof h, "webhook-signature: %s", sig);
        x->headers = curl_slist_append(x->headers, h);
    }
    snprintf(h, sizeof h, "Idempotency-Key: \"%s\"", msg_id);
    x->headers = curl_slist_append(x->headers, h);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->o.webhook_url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    return s_start(s, x);
}
