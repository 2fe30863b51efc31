/*  nt_send: see nt_send.h. */
#define _GNU_SOURCE   /* memmem */
#include "nt_send.h"
#include "nt_util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "nt_msg.h"

typedef struct s_xfer_t s_xfer_t;

/* The transfers run on a loop of their own, in their own thread, so that the service's
 * commits (fsync) never delay reading a server's answer. The journal gets a line (one
 * write(2), which a kill -9 does not undo) at the moments that matter:
 *   "S <id>"  the transfer starts: whatever lines the copy has above this one are of an
 *             earlier attempt (the journal is emptied only when nothing is in flight), and
 *             say nothing of this one;
 *   "E <id>"  libcurl asks for more body and gets none: everything before the end of DATA
 *             is in the socket, and libcurl writes the end of DATA next, in the same call
 *             (smtp_done), without waiting for anything;
 *   "A <id>"  the server answered 250 to the end of DATA (accepted);
 *   "R <id>"  the server answered the end of DATA with a refusal, or certainly did not
 *             read it (s_eod_not_received): not stored, sent again.
 * Only then is the outcome handed to the service's loop. A copy whose last line is "E" had
 * its end of DATA sent (or about to be, microseconds later) and no answer recorded. */
struct nt_sender_t {
    uv_loop_t *loop;              /* the service's */
    uv_async_t done_async;        /* service loop: outcomes to deliver */
    uv_thread_t thread;
    bool thread_on;
    uv_loop_t tloop;              /* the sender thread's */
    uv_async_t work_async;        /* sender loop: transfers to start, or stop */
    CURLM *multi;
    uv_timer_t timer;
    s_xfer_t *active;             /* sender thread */
    uv_mutex_t mu;
    s_xfer_t *todo, *done;        /* under mu */
    bool stop;                    /* under mu */
    nt_send_opts_t o;
    char *strs[9];
    int journal;
    unsigned inflight;            /* service thread only */
    bool closing;
};

struct s_xfer_t {
    nt_sender_t *s;
    CURL *easy;
    nt_send_cb *cb;
    void *arg;
    char *data;
    size_t len, pos;
    struct curl_slist *rcpts, *headers;
    int64_t retry_after_ms;
    bool webhook;
    char *journal_id;             /* the copy's name in the journal */
    bool eod;                     /* "E" written: the end of DATA goes out next */
    bool need_utf8;               /* an address or header of the mail is not ASCII */
    bool relay_utf8;              /* the relay's EHLO answer offers SMTPUTF8 */
    bool utf8_refused;            /* not sent: it needs SMTPUTF8, the relay lacks it */
    char utf8_what[256];          /* the first address (or header) that needs it */
    curl_socket_t fd;             /* the socket libcurl polls for it (s_socket_cb), or BAD */
    nt_result_t res;
    s_xfer_t *next;               /* todo / done lists */
    s_xfer_t *anext, *aprev;      /* sender thread: transfers on the multi handle */
    char errbuf[CURL_ERROR_SIZE];
    char reply[200];              /* SMTP: the server's last answer line, printable only */
};

typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    nt_sender_t *s;
} s_sock_t;

static void s_check(nt_sender_t *s);

static void s_xfer_free(s_xfer_t *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->rcpts);
    curl_slist_free_all(x->headers);
    free(x->data);
    free(x->journal_id);
    free(x);
}

/* Sender thread: one journal line. A failed write leaves the commit of the outcome as the
 * only record (a resend after a crash, as without a journal). */
static void s_journal(nt_sender_t *s, char tag, const char *id)
{
    if (s->journal < 0 || !id)
        return;
    char line[700];
    int n = snprintf(line, sizeof line, "%c %s\n", tag, id);
    if (n > 0 && (size_t)n < sizeof line && write(s->journal, line, (size_t)n) != n)
        n = -1;
}

/* Sender thread: a transfer failed after its "E" line. Did the server certainly not read
 * the end of DATA? Then it did not store the message, and it is sent again (a transient
 * failure), not held as unconfirmed:
 *  - fewer bytes left than the body has: the body itself did not go out whole (a libcurl
 *    that asked for the body before sending it);
 *  - the send of the end of DATA failed (the connection was already broken);
 *  - the server reset the connection: a TCP peer resets when it closes with data of ours
 *    unread (RFC 1122 4.2.2.13; we send nothing after the end of DATA, so it did not read
 *    that), as a relay that drops a transaction in the middle of DATA does. A relay that
 *    read the end of DATA and then died closes normally (end of file: held, as before),
 *    and a network that breaks gives a timeout (held).
 * A reset from a middlebox, or a relay that aborts with SO_LINGER 0 after storing, is sent
 * again: a duplicate with the same Message-ID, never a loss. */
static bool s_eod_not_received(s_xfer_t *x, CURLcode cc)
{
    curl_off_t up = 0;
    long os_errno = 0;
    curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
    return up < (curl_off_t)x->len || cc == CURLE_SEND_ERROR || os_errno == ECONNRESET;
}

/* An EHLO answer line that offers SMTPUTF8 (RFC 6531 3.1): "250-SMTPUTF8" or, the last
 * line, "250 SMTPUTF8", the keyword in any case, with nothing after it. */
static bool s_offers_smtputf8(const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
        len--;
    return len == 12 && strncmp(line, "250", 3) == 0 && (line[3] == '-' || line[3] == ' ') &&
           strncasecmp(line + 4, "SMTPUTF8", 8) == 0;
}

/* Sender thread: libcurl's debug stream (one server line a call); keeps the server's last
 * answer line (SMTP), and whether its EHLO answer offers SMTPUTF8: libcurl itself sends a
 * non-ASCII address whether the relay offers it or not, only without the SMTPUTF8
 * parameter (7.88 smtp_perform_mail), so a relay that does not speak it gets raw bytes
 * it may refuse or mangle. */
static int s_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)easy;
    s_xfer_t *x = arg;
    if (type == CURLINFO_HEADER_OUT && size >= 4 && strncasecmp(data, "EHLO", 4) == 0)
        x->relay_utf8 = false;   /* the last EHLO's answer counts (after STARTTLS) */
    if (type != CURLINFO_HEADER_IN || !size)
        return 0;
    if (s_offers_smtputf8(data, size))
        x->relay_utf8 = true;
    size_t n = 0;
    for (size_t i = 0; i < size && n + 1 < sizeof x->reply; i++)
        if (data[i] >= 0x20 && data[i] < 0x7f)   /* it goes into mails and logs */
            x->reply[n++] = data[i];
    x->reply[n] = '\0';
    return 0;
}

/* Sender thread: the connection is up and its EHLO answered (a fresh connection: see
 * nt_sender_mail), MAIL FROM not sent yet. A mail that needs SMTPUTF8 goes no further on a
 * relay that does not offer it: nothing of it reaches the relay, and it is a permanent
 * failure (s_finish), a dead letter reported to the coordinator, never sent mangled. */
static int s_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port,
                    int local_port)
{
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    s_xfer_t *x = arg;
    if (x->need_utf8 && !x->relay_utf8) {
        x->utf8_refused = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* Sender thread: the outcome is known. */
static void s_finish(s_xfer_t *x, CURLcode cc)
{
    nt_result_t res = { .outcome = NT_OK, .retry_after_ms = x->retry_after_ms };
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    res.code = code;
    if (!x->webhook && x->utf8_refused) {
        res.outcome = NT_PERMANENT;
        snprintf(res.error, sizeof res.error, NT_MSG_SMTPUTF8_REFUSED ", which this mail "
                 "needs (not ASCII: %s): not sent", x->utf8_what);
    } else if (x->webhook) {
        res.outcome = cc == CURLE_OK ? nt_http_outcome(code) : NT_TRANSIENT;
        if (res.outcome != NT_OK)
            snprintf(res.error, sizeof res.error, "webhook: %s (HTTP %ld)",
                     cc == CURLE_OK ? "refused" : (x->errbuf[0] ? x->errbuf
                                                               : curl_easy_strerror(cc)), code);
    } else if (cc != CURLE_OK && x->eod && code < 400 && s_eod_not_received(x, cc)) {
        res.outcome = NT_TRANSIENT;
        snprintf(res.error, sizeof res.error,
                 "smtp: connection broken before the server read the end of DATA: %s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
    } else if (cc != CURLE_OK && x->eod && code < 400) {
        /* The end of DATA went out and no final answer came back (354 is DATA's own
         * reply): the server may have stored the message. */
        res.outcome = NT_UNCONFIRMED;
        snprintf(res.error, sizeof res.error, "smtp: no answer to the end of DATA: %s",
                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
    } else if (cc != CURLE_OK) {
        res.outcome = nt_smtp_outcome(code);
        if (x->reply[0] && code >= 400)
            snprintf(res.error, sizeof res.error, "smtp: %s (the server: \"%s\")",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc), x->reply);
        else
            snprintf(res.error, sizeof res.error, "smtp: %s (reply %ld)",
                     x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc), code);
    }
    nt_sender_t *s = x->s;
    if (!x->webhook && res.outcome == NT_OK)
        s_journal(s, 'A', x->journal_id);
    else if (!x->webhook && x->eod && res.outcome != NT_UNCONFIRMED)
        s_journal(s, 'R', x->journal_id);
    curl_multi_remove_handle(s->multi, x->easy);
    curl_easy_cleanup(x->easy);
    x->easy = NULL;
    x->res = res;
    if (x->aprev)
        x->aprev->anext = x->anext;
    else
        s->active = x->anext;
    if (x->anext)
        x->anext->aprev = x->aprev;
    uv_mutex_lock(&s->mu);
    x->next = s->done;
    s->done = x;
    uv_mutex_unlock(&s->mu);
    uv_async_send(&s->done_async);
}

/* Service thread: hand the outcomes to their callbacks, oldest first. */
static void s_on_done(uv_async_t *a)
{
    nt_sender_t *s = a->data;
    uv_mutex_lock(&s->mu);
    s_xfer_t *l = s->done, *rev = NULL;
    s->done = NULL;
    uv_mutex_unlock(&s->mu);
    while (l) {
        s_xfer_t *n = l->next;
        l->next = rev;
        rev = l;
        l = n;
    }
    while (rev && !s->closing) {
        s_xfer_t *x = rev;
        rev = x->next;
        s->inflight--;
        nt_send_cb *cb = x->cb;
        void *arg = x->arg;
        nt_result_t res = x->res;
        s_xfer_free(x);
        cb(arg, &res);
    }
    while (rev) {   /* closing: dropped (journalled ones are reconciled at the next start) */
        s_xfer_t *x = rev;
        rev = x->next;
        s_xfer_free(x);
    }
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
        /* libcurl reports a socket's removal before it closes it: no transfer keeps a
         * number the system may give to another file (s_break_connection). */
        for (s_xfer_t *x = s->active; x; x = x->anext)
            if (x->fd == fd)
                x->fd = CURL_SOCKET_BAD;
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
        uv_poll_init_socket(&s->tloop, &c->poll, fd);
        c->poll.data = c;
        curl_multi_assign(s->multi, fd, c);
    }
    s_xfer_t *x = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) == CURLE_OK && x)
        x->fd = fd;
    int ev = 0;
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&c->poll, ev, s_on_poll);
    return 0;
}

static void s_close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_POLL ? s_free_handle : NULL);
}

/* Sender thread: a transfer is dropped at the stop; break its connection first, so that
 * nothing more goes out on it. libcurl runs the protocol's "done" step even for a transfer
 * removed before its end, and SMTP's (smtp_done, libcurl 7.88, told "no error") finishes
 * the transaction whatever its state: it sends an end of DATA with no body (and DATA, as
 * the relay's answers come: a relay stored an empty mail) and waits, blocking, for the
 * relay's answers (a stop as long as the relay is slow, past the drain's 5 s). On a shut-down
 * socket those writes fail at once, and a relay stores nothing of a transaction whose
 * connection closed before its end of DATA; the copy, journalled without "E", stays
 * SENDING and is sent again after the restart, whole.
 * No copy in flight here has its "E" line: it is written from the read callback in the very
 * curl_multi_socket_action call that sends the end of DATA, waits for the answer (in
 * smtp_done) and ends the transfer (s_finish takes it off the list), all before this loop
 * can run again. Were one ever to have it, its socket is left alone: the end of DATA goes
 * out as journalled, and the "E" line holds the copy as unconfirmed at the restart.
 * Webhooks: HTTP's "done" step sends nothing, a removal closes the connection anyway (a
 * receiver sees a request cut short, or took it whole and gets it again after the restart
 * with the same webhook-id), so the shutdown changes nothing there but is as safe. */
static void s_break_connection(s_xfer_t *x)
{
    /* The socket as s_socket_cb saw it: CURLINFO_ACTIVESOCKET is of no use here, libcurl
     * 7.88 sets it only when a transfer is done (CURL_SOCKET_BAD in the middle of one).
     * None yet (resolving): nothing was sent. */
    if (!x->eod && x->fd != CURL_SOCKET_BAD)
        shutdown(x->fd, SHUT_RDWR);
}

/* Sender thread: stop: drop what is in flight, close every handle of the thread's loop. */
static void s_thread_stop(nt_sender_t *s)
{
    while (s->active) {
        s_xfer_t *x = s->active;
        s->active = x->anext;
        s_break_connection(x);
        curl_multi_remove_handle(s->multi, x->easy);
        s_xfer_free(x);
    }
    uv_timer_stop(&s->timer);
    curl_multi_cleanup(s->multi);
    s->multi = NULL;
    uv_walk(&s->tloop, s_close_any, NULL);
}

/* Sender thread: start what was submitted (in submission order). */
static void s_on_work(uv_async_t *a)
{
    nt_sender_t *s = a->data;
    uv_mutex_lock(&s->mu);
    s_xfer_t *l = s->todo, *rev = NULL;
    s->todo = NULL;
    bool stop = s->stop;
    uv_mutex_unlock(&s->mu);
    while (l) {
        s_xfer_t *n = l->next;
        l->next = rev;
        rev = l;
        l = n;
    }
    while (rev) {
        s_xfer_t *x = rev;
        rev = x->next;
        x->next = NULL;
        if (stop) {
            s_xfer_free(x);
            continue;
        }
        if (!x->webhook)
            s_journal(s, 'S', x->journal_id);   /* ends what an earlier attempt wrote */
        x->anext = s->active;
        x->aprev = NULL;
        if (s->active)
            s->active->aprev = x;
        s->active = x;
        if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK)
            s_finish(x, CURLE_FAILED_INIT);
    }
    if (stop)
        s_thread_stop(s);
}

static void s_thread(void *arg)
{
    nt_sender_t *s = arg;
    uv_run(&s->tloop, UV_RUN_DEFAULT);
}

static int s_thread_start(nt_sender_t *s)
{
    int rc;
    if ((rc = uv_mutex_init(&s->mu)) != 0)
        return rc;
    if ((rc = uv_loop_init(&s->tloop)) != 0) {
        uv_mutex_destroy(&s->mu);
        return rc;
    }
    s->multi = curl_multi_init();
    uv_timer_init(&s->tloop, &s->timer);
    s->timer.data = s;
    uv_async_init(&s->tloop, &s->work_async, s_on_work);
    s->work_async.data = s;
    uv_async_init(s->loop, &s->done_async, s_on_done);
    s->done_async.data = s;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    if ((rc = uv_thread_create(&s->thread, s_thread, s)) != 0) {
        s_thread_stop(s);
        uv_run(&s->tloop, UV_RUN_DEFAULT);
        uv_loop_close(&s->tloop);
        uv_mutex_destroy(&s->mu);
        return rc;
    }
    s->thread_on = true;
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
    if (!s->o.timeout_ms)
        s->o.timeout_ms = 30000;
    if (!s->o.connect_timeout_ms)
        s->o.connect_timeout_ms = 5000;
    s->journal = -1;
    if (o->journal && *o->journal) {
        s->o.journal = s_dup(s, 7, o->journal);
        s->journal = open(s->o.journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (s->journal < 0) {
            *err = -errno;
            nt_sender_destroy(&s);
            return NULL;
        }
    }
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
    if ((*err = s_thread_start(s)) != 0) {
        nt_sender_destroy(&s);
        return NULL;
    }
    return s;
}

static void s_free_sender(uv_handle_t *h)
{
    nt_sender_t *s = h->data;
    s_xfer_t *x = s->done;
    while (x) {
        s_xfer_t *n = x->next;
        s_xfer_free(x);
        x = n;
    }
    for (int i = 0; i < 9; i++)
        free(s->strs[i]);
    free(s);
}

void nt_sender_destroy(nt_sender_t **self_p)
{
    nt_sender_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    /* Transfers still in flight are dropped without their callbacks: the service waits
     * (bounded) for them before it destroys the sender, and what is left stays "sending"
     * in LMDB: sent again after the restart, unless the journal shows it was accepted. */
    s->closing = true;
    if (s->thread_on) {
        uv_mutex_lock(&s->mu);
        s->stop = true;
        uv_mutex_unlock(&s->mu);
        uv_async_send(&s->work_async);
        uv_thread_join(&s->thread);
        uv_loop_close(&s->tloop);
        uv_mutex_destroy(&s->mu);
    }
    if (s->journal >= 0)
        close(s->journal);
    if (s->done_async.data) {
        uv_close((uv_handle_t *)&s->done_async, s_free_sender);
        return;
    }
    s_free_sender(&(uv_handle_t){ .data = s });
}

int nt_sender_journal_reset(nt_sender_t *self)
{
    if (self->journal < 0 || self->inflight)
        return 0;
    return ftruncate(self->journal, 0) == 0 ? 0 : -errno;
}

unsigned nt_sender_inflight(nt_sender_t *self) { return self->inflight; }
bool nt_sender_uses_smtp(nt_sender_t *self) { return self->o.smtp_url[0] != 0; }

static size_t s_read(char *buf, size_t size, size_t n, void *arg)
{
    s_xfer_t *x = arg;
    size_t want = size * n, left = x->len - x->pos;
    if (want > left)
        want = left;
    if (want == 0 && !x->eod) {
        /* The last call: the body is in the socket and the end of DATA follows. */
        x->eod = true;
        s_journal(x->s, 'E', x->journal_id);
    }
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
    uv_mutex_lock(&s->mu);
    x->next = s->todo;
    s->todo = x;
    uv_mutex_unlock(&s->mu);
    s->inflight++;
    uv_async_send(&s->work_async);
    return 0;
}

static bool s_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    int e = errno;
    close(fd);
    errno = e;
    return ok;
}

static int s_maildir(nt_sender_t *s, const char *name, const char *data, size_t len,
                     nt_send_cb *cb, void *arg)
{
    char tmp[4400], dst[4400], file[NT_FILE_NAME_MAX];
    nt_mail_file_name(name, file);
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", s->o.maildir, file);
    snprintf(dst, sizeof dst, "%s/%s", s->o.maildir, file);
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
    /* The rename is in the directory, not in the file: until the directory is flushed a
     * power loss may undo it, and the mail recorded as sent would be gone. */
    if (ok && !s_fsync_dir(s->o.maildir))
        ok = false;
    if (!ok) {
        res.outcome = NT_TRANSIENT;
        snprintf(res.error, sizeof res.error, "maildir %.300s: %s", dst, strerror(errno));
    }
    cb(arg, &res);
    return 0;
}

static bool s_is_ascii(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] >= 0x80)
            return false;
    return true;
}

/* Does the mail need SMTPUTF8 (RFC 6531 3.4, RFC 6532)? An envelope address that is not
 * ASCII (a UTF-8 local part, or a domain in U-labels: libcurl turns it into an A-label
 * only with libidn2 and a UTF-8 locale, so a service in the C locale sends it raw), or
 * a header that is not. The body is MIME-encoded (nt_msg). */
static void s_need_utf8(s_xfer_t *x, const char *from, const char *const *rcpts)
{
    const char *what = NULL;
    if (!s_is_ascii(from, strlen(from)))
        what = from;
    for (size_t i = 0; rcpts[i] && !what; i++)
        if (!s_is_ascii(rcpts[i], strlen(rcpts[i])))
            what = rcpts[i];
    const char *end = memmem(x->data, x->len, "\r\n\r\n", 4);
    if (!what && !s_is_ascii(x->data, end ? (size_t)(end - x->data) : x->len))
        what = "a header";
    x->need_utf8 = what != NULL;
    snprintf(x->utf8_what, sizeof x->utf8_what, "%s", what ? what : "");
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
    x->fd = CURL_SOCKET_BAD;
    x->data = malloc(len ? len : 1);
    memcpy(x->data, data, len);
    x->len = len;
    x->easy = curl_easy_init();
    x->journal_id = strdup(name);
    for (size_t i = 0; rcpts[i]; i++)
        x->rcpts = curl_slist_append(x->rcpts, rcpts[i]);
    s_need_utf8(x, s->o.mail_from, rcpts);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->o.smtp_url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, s->o.mail_from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpts);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    /* the server's own words for a refusal ("550 5.1.1 <x@y>: Recipient address rejected"):
     * libcurl's message has only its code; its debug stream is the one way to the text */
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, s_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, x);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt(e, CURLOPT_READDATA, x);
    /* No CURLOPT_INFILESIZE: libcurl then reads until the callback returns 0, the moment
     * the "E" line is written, right before it sends the end of DATA. */
    if (x->need_utf8) {
        /* the EHLO answer must be this transfer's own to be seen (s_debug): a reused
         * connection's was read by another handle */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, s_prereq);
        curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
    }
    if (s->o.smtp_starttls)
        curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (s->o.smtp_user[0]) {
        curl_easy_setopt(e, CURLOPT_USERNAME, s->o.smtp_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, s->o.smtp_password);
    }
    return s_start(s, x);
}

int nt_sender_webhook(nt_sender_t *s, const char *url, const char *secret, const char *msg_id,
                      const char *body, nt_send_cb *cb, void *arg)
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
    x->fd = CURL_SOCKET_BAD;
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
    if (secret && secret[0]) {
        /* the secret was checked at start (nt_hooks_secret_ok): a failure here is memory,
         * and a copy is never sent unsigned when it should be signed */
        if (nt_webhook_sign(secret, msg_id, ts, body, x->len, sig, sizeof sig) != 0) {
            s_xfer_free(x);
            return -ENOMEM;
        }
        snprintf(h, sizeof h, "webhook-signature: %s", sig);
        x->headers = curl_slist_append(x->headers, h);
    }
    snprintf(h, sizeof h, "Idempotency-Key: \"%s\"", msg_id);
    x->headers = curl_slist_append(x->headers, h);
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    return s_start(s, x);
}
