/*  gw_sse: SSE clients (gw_sse.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw_buf.h"
#include "gw_sse.h"

struct gw_sse_client_t {
    gw_sse_client_t *next, *prev;
    gw_sse_t *sse;
    struct MHD_Connection *conn;
    gw_buf_t q;
    char buyer[128];
    bool suspended;
    bool closing;
    bool waiting;
    bool tokened;              /* opened with a token: ended when the tokens are reloaded */
    gw_sse_pos_t pos;          /* while waiting: where it resumes from */
};

struct gw_sse_t {
    uv_loop_t *loop;
    gw_http_t *http;
    gw_sse_client_t head;
    uv_timer_t hb;
    size_t max_queue;
    bool closing;
    gw_sse_stats_t st;
    gw_sse_close_fn *on_close;
    void *on_close_arg;
};

static void s_wake(gw_sse_client_t *c)
{
    if (c->suspended) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
        gw_http_kick(c->sse->http);
    }
}

static ssize_t s_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    gw_sse_client_t *c = cls;
    size_t avail = gw_buf_avail(&c->q);
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(buf, c->q.data + c->q.off, n);
        gw_buf_consume(&c->q, n);
        c->sse->st.bytes += n;
        return (ssize_t)n;
    }
    if (c->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    c->suspended = true;
    MHD_suspend_connection(c->conn);
    return 0;
}

static void s_free(void *cls)
{
    gw_sse_client_t *c = cls;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->sse->st.clients--;
    c->sse->st.closed++;
    if (c->sse->on_close)
        c->sse->on_close(c->sse->on_close_arg, c->buyer);
    gw_buf_free(&c->q);
    free(c);
}

int gw_sse_append(gw_sse_client_t *c, const char *data, size_t len)
{
    if (c->closing)
        return -EPIPE;
    if (gw_buf_avail(&c->q) + len > c->sse->max_queue) {
        /* a reader that does not keep up: end its stream; it resumes with Last-Event-ID */
        c->sse->st.dropped_slow++;
        c->closing = true;
        gw_buf_reset(&c->q);
        s_wake(c);
        return -ENOBUFS;
    }
    int rc = gw_buf_append(&c->q, data, len);
    s_wake(c);
    return rc;
}

const char *gw_sse_client_buyer(gw_sse_client_t *c) { return c->buyer; }

void gw_sse_set_tokened(gw_sse_client_t *c) { c->tokened = true; }

bool gw_sse_end_tokened(gw_sse_client_t *c)
{
    if (!c->tokened || c->closing)
        return false;
    c->closing = true;
    s_wake(c);
    return true;
}

void gw_sse_set_waiting(gw_sse_client_t *c, bool waiting, const gw_sse_pos_t *pos)
{
    c->waiting = waiting;
    c->pos = pos ? *pos : (gw_sse_pos_t){ 0 };
}

bool gw_sse_waiting(gw_sse_client_t *c, gw_sse_pos_t *pos)
{
    if (pos)
        *pos = c->pos;
    return c->waiting;
}

void gw_sse_broadcast(gw_sse_t *self, const char *buyer, const char *data, size_t len)
{
    for (gw_sse_client_t *c = self->head.next, *n; c != &self->head; c = n) {
        n = c->next;
        if (c->waiting || c->closing)
            continue;
        if (buyer && c->buyer[0] && strcmp(buyer, c->buyer) != 0)
            continue;
        gw_sse_append(c, data, len);
    }
}

void gw_sse_each(gw_sse_t *self, gw_sse_fn *fn, void *arg)
{
    for (gw_sse_client_t *c = self->head.next, *n; c != &self->head; c = n) {
        n = c->next;
        fn(arg, c);
    }
}

void gw_sse_count_event(gw_sse_t *self, uint64_t n) { self->st.events += n; }

void gw_sse_on_close(gw_sse_t *self, gw_sse_close_fn *fn, void *arg)
{
    self->on_close = fn;
    self->on_close_arg = arg;
}

static void s_on_hb(uv_timer_t *t)
{
    gw_sse_t *self = t->data;
    static const char hb[] = ": hb\n\n";
    for (gw_sse_client_t *c = self->head.next, *n; c != &self->head; c = n) {
        n = c->next;
        if (!c->closing)
            gw_sse_append(c, hb, sizeof hb - 1);
    }
}

gw_sse_t *gw_sse_new(uv_loop_t *loop, gw_http_t *http, uint32_t heartbeat_ms, size_t max_queue)
{
    gw_sse_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->http = http;
    self->max_queue = max_queue ? max_queue : (8u << 20);
    self->head.next = self->head.prev = &self->head;
    uv_timer_init(loop, &self->hb);
    self->hb.data = self;
    uint32_t ivl = heartbeat_ms ? heartbeat_ms : 15000;
    uv_timer_start(&self->hb, s_on_hb, ivl, ivl);
    return self;
}

struct MHD_Response *gw_sse_open(gw_sse_t *self, struct MHD_Connection *conn, const char *buyer,
                                 gw_sse_client_t **out)
{
    if (self->closing)
        return NULL;
    gw_sse_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sse = self;
    c->conn = conn;
    snprintf(c->buyer, sizeof c->buyer, "%s", buyer ? buyer : "");
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, s_reader, c, s_free);
    if (!r) {
        free(c);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache, no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    c->prev = self->head.prev;
    c->next = &self->head;
    self->head.prev->next = c;
    self->head.prev = c;
    self->st.clients++;
    self->st.opened++;
    *out = c;
    return r;
}

void gw_sse_close_all(gw_sse_t *self)
{
    self->closing = true;
    for (gw_sse_client_t *c = self->head.next, *n; c != &self->head; c = n) {
        n = c->next;
        c->closing = true;
        s_wake(c);
    }
}

static void s_free_timer(uv_handle_t *h) { free(h->data); }

void gw_sse_destroy(gw_sse_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_sse_t *self = *self_p;
    *self_p = NULL;
    /* remaining clients are freed by MHD (s_free) when the daemon stops; detach them */
    for (gw_sse_client_t *c = self->head.next; c != &self->head; c = c->next)
        c->closing = true;
    uv_timer_stop(&self->hb);
    uv_close((uv_handle_t *)&self->hb, s_free_timer);
}

void gw_sse_stats(gw_sse_t *self, gw_sse_stats_t *out) { *out = self->st; }
