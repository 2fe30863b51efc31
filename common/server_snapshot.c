/*  server_snapshot: SnapshotRequest answered as a stream with flow control (server.h,
 *  server_snapshot_fn). The state is read in ONE read transaction, so it is exactly the
 *  state at SnapshotEnd.seq, and packed into the stream's buffer; the buffer is then sent
 *  while the peer's queue takes it (zguide "credit-based flow control", the credit being
 *  the peer's queue): on a full queue (EAGAIN) the stream waits and a timer goes on where
 *  it stopped, so a snapshot of any size reaches a slow client whole and the loop keeps
 *  serving everyone else meanwhile. No read transaction stays open across loop turns
 *  (it would pin pages and block the map's growth). */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mvoi_error.h"

struct server_snap_t {
    server_snap_t *next;
    uint8_t id[SERVER_ID_MAX];        /* the peer's ROUTER identity */
    size_t idlen;
    char rid[SERVER_REQID_MAX + 1];   /* its request id, echoed in SnapshotEnd */
    char *prefix;                     /* what it asked for */
    uint8_t *buf;                     /* records [u32 topic len][topic][u32 len][envelope] */
    size_t len, cap, off;             /* off: the first record not sent yet */
    uint64_t seq;                     /* head of the read transaction */
    uint32_t count;
    uint64_t progress_at;             /* uv_now of the last item the peer took */
};

static size_t s_buffered;             /* bytes in every stream's buffer (process-wide) */

static void s_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t s_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int server_snapshot_emit(server_req_t *req, const char *topic, Mvoi__Envelope *item)
{
    /* Items carry the request id: a consumer's DEALER also receives replayed events of the
     * same shape, and a rebuild must take only its snapshot's items (feed_rebuild.c). */
    if (!item->request_id && req->req)
        item->request_id = req->req->request_id;
    server_snap_t *s = req->snap;
    if (!s)
        return server_send_env(req->server, req->id, req->idlen, topic, item);
    size_t tl = topic ? strlen(topic) : 0, el = mvoi__envelope__get_packed_size(item);
    size_t need = 8 + tl + el;
    if (tl > UINT32_MAX || el > UINT32_MAX)
        return -EMSGSIZE;
    if (s->len + need > s->cap) {
        size_t cap = s->cap ? s->cap : 64u << 10;
        while (cap < s->len + need)
            cap *= 2;
        if (s_buffered - s->cap + cap > SERVER_SNAP_BYTES_MAX)
            return -ENOBUFS;      /* answered as resource exhausted: ask again shortly */
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb)
            return -ENOMEM;
        s_buffered += cap - s->cap;
        s->buf = nb;
        s->cap = cap;
    }
    uint8_t *p = s->buf + s->len;
    s_put32(p, (uint32_t)tl);
    memcpy(p + 4, topic, tl);
    s_put32(p + 4 + tl, (uint32_t)el);
    mvoi__envelope__pack(item, p + 8 + tl);
    s->len += need;
    s->count++;
    return 0;
}

static void s_free(server_snap_t *s)
{
    s_buffered -= s->cap;
    free(s->buf);
    free(s->prefix);
    free(s);
}

/* Send what the peer's queue takes: 1 all sent, 0 its queue is full, < 0 failed. */
static int s_drain(server_t *self, server_snap_t *s)
{
    while (s->off < s->len) {
        const uint8_t *p = s->buf + s->off;
        uint32_t tl = s_get32(p), el = s_get32(p + 4 + tl);
        bus_frame_t f[3] = { { s->id, s->idlen }, { p + 4, tl }, { p + 8 + tl, el } };
        int rc = bus_send(self->router, f, 3);
        if (rc == -EAGAIN) {
            self->stats.snapshot_full++;
            return 0;
        }
        if (rc < 0)
            return rc;
        s->off += 8 + (size_t)tl + el;
        s->progress_at = uv_now(self->loop);
    }
    return 1;
}

static void s_fill_end(server_t *self, Mvoi__SnapshotEnd *end, uint64_t seq, uint32_t count)
{
    mvoi__snapshot_end__init(end);
    end->has_seq = end->has_epoch = end->has_count = end->has_incarnation = true;
    end->seq = seq;
    end->epoch = self->opts.outbox ? outbox_epoch(self->opts.outbox) : 0;
    end->count = count;
    end->incarnation = self->incarnation;
}

/* The stream's end: 1 sent (or the peer is gone), 0 its queue is still full. */
static int s_send_end(server_t *self, server_snap_t *s)
{
    Mvoi__SnapshotEnd end;
    s_fill_end(self, &end, s->seq, s->count);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.has_schema_version = true;
    env.schema_version = CODEC_SCHEMA_VERSION;
    env.producer = (char *)self->opts.name;
    env.request_id = s->rid[0] ? s->rid : NULL;
    env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    int rc = server_send_env(self, s->id, s->idlen, NULL, &env);
    if (rc == -EAGAIN)
        return 0;
    if (rc < 0 && rc != -EHOSTUNREACH)
        log_warn("snapshot_end_failed", "could not end a snapshot stream: %s",
                 mvoi_strerror(rc));
    return 1;
}

/* Next step of one stream: 1 when it is over (sent, failed or abandoned). */
static int s_step(server_t *self, server_snap_t *s, bool *progress)
{
    size_t before = s->off;
    int rc = s_drain(self, s);
    if (s->off != before)
        *progress = true;
    if (rc < 0) {
        if (rc != -EHOSTUNREACH)
            log_warn("snapshot_failed", "a snapshot stream stopped: %s", mvoi_strerror(rc));
        return 1;        /* the client's per-item timeout asks again */
    }
    if (rc == 1 && s_send_end(self, s))
        return 1;
    if (uv_now(self->loop) - s->progress_at > SERVER_SNAP_STALL_MS) {
        log_warn("snapshot_abandoned", "a snapshot peer took nothing for %d ms (%u items)",
                 SERVER_SNAP_STALL_MS, s->count);
        return 1;
    }
    return 0;
}

static void s_on_timer(uv_timer_t *t);

static void s_schedule(server_t *self, bool progress)
{
    /* At once while the peers take items; a short pause while every queue is full. */
    if (self->snaps)
        uv_timer_start(&self->snap_timer, s_on_timer, progress ? 0 : 2, 0);
}

static void s_on_timer(uv_timer_t *t)
{
    server_t *self = t->data;
    bool progress = false;
    for (server_snap_t **pp = &self->snaps; *pp;) {
        server_snap_t *s = *pp;
        if (s_step(self, s, &progress)) {
            *pp = s->next;
            s_free(s);
            self->nsnaps--;
        } else {
            pp = &s->next;
        }
    }
    s_schedule(self, progress);
}

typedef struct {
    server_t *self;
    server_req_t *req;
    const char *prefix;
    uint64_t seq;
} s_read_t;

static int s_read_txn(MDB_txn *txn, void *arg)
{
    s_read_t *r = arg;
    /* The state and the seq it corresponds to come from the same read transaction. */
    if (r->self->opts.outbox) {
        int rc = outbox_head_in(r->self->opts.outbox, txn, &r->seq);
        if (rc < 0)
            return rc;
    }
    return r->self->opts.snapshot(r->self->opts.arg, r->req, txn, r->prefix);
}

/* A peer that asks again for the same prefix gave up on the stream under way (its items
 * carry the old request id, which it now drops): that stream goes, so that a peer has one
 * stream per prefix in its queue and the snapshots' memory is not held for nothing. Else
 * every re-ask of a slow rebuild added a stream behind the others in the same full queue
 * until the budget refused them, and the refusals themselves met that full queue (EAGAIN). */
static void s_drop_superseded(server_t *self, const server_req_t *req, const char *prefix)
{
    for (server_snap_t **pp = &self->snaps; *pp;) {
        server_snap_t *s = *pp;
        if (s->idlen == req->idlen && memcmp(s->id, req->id, req->idlen) == 0 &&
            strcmp(s->prefix, prefix) == 0) {
            *pp = s->next;
            s_free(s);
            self->nsnaps--;
            self->stats.snapshot_superseded++;
        } else {
            pp = &s->next;
        }
    }
}

void server_snapshot_start(server_t *self, server_req_t *req)
{
    if (!self->opts.snapshot) {
        server_error(req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "snapshot",
                     "%s serves no snapshot", self->opts.name);
        return;
    }
    const char *prefix = req->req->snapshot->prefix ? req->req->snapshot->prefix : "";
    const char *rid = req->req->request_id ? req->req->request_id : "";
    self->stats.snapshots++;
    if (strlen(rid) > SERVER_REQID_MAX) {
        server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "request_id",
                     "longer than %d bytes", SERVER_REQID_MAX);
        return;
    }
    s_drop_superseded(self, req, prefix);
    /* the three refusals below pass: ERR_UNAVAILABLE (ask again; the gateway's 503 with
     * Retry-After), not ERR_RESOURCE_EXHAUSTED, a request over a bound (413 too-large) */
    if (self->nsnaps >= SERVER_SNAP_MAX) {
        server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "snapshot",
                     "%d snapshots are under way; ask again shortly", SERVER_SNAP_MAX);
        return;
    }
    server_snap_t *s = calloc(1, sizeof *s);
    if (s && !(s->prefix = strdup(prefix))) {
        free(s);
        s = NULL;
    }
    if (!s) {
        server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "snapshot", "out of memory");
        return;
    }
    memcpy(s->id, req->id, req->idlen);
    s->idlen = req->idlen;
    memcpy(s->rid, rid, strlen(rid) + 1);
    s->progress_at = uv_now(self->loop);
    req->snap = s;
    s_read_t r = { self, req, prefix, 0 };
    int rc = store_read(self->opts.store, s_read_txn, &r);
    req->snap = NULL;
    s->seq = r.seq;
    if (rc == 0)
        rc = s_drain(self, s);
    if (rc == 1) {        /* all taken at once: the end is the request's reply */
        Mvoi__SnapshotEnd *end = server_alloc(req, sizeof *end);
        if (end) {
            s_fill_end(self, end, s->seq, s->count);
            req->reply.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
            req->reply.snapshot_end = end;
        }
        s_free(s);
        return;
    }
    if (rc < 0) {
        s_free(s);
        if (rc == -EHOSTUNREACH)
            req->no_reply = true;   /* the peer is gone */
        else if (rc == -ENOBUFS)
            server_error(req, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "snapshot",
                         "snapshots under way hold %d MiB; ask again shortly",
                         SERVER_SNAP_BYTES_MAX >> 20);
        else if (rc == MVOI_E_UNDECODABLE)   /* never a snapshot short of a record */
            server__undecodable(self, req, "snapshot");
        else
            server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "snapshot", "snapshot failed: %s",
                         mvoi_strerror(rc));
        return;
    }
    self->stats.snapshot_passes++;    /* streams that had to wait for the peer */
    s->next = self->snaps;
    self->snaps = s;
    self->nsnaps++;
    req->no_reply = true;
    s_schedule(self, s->off > 0);
}

void server_snapshot_drop_all(server_t *self)
{
    while (self->snaps) {
        server_snap_t *n = self->snaps->next;
        s_free(self->snaps);
        self->snaps = n;
    }
    self->nsnaps = 0;
    if (self->snap_started)
        uv_timer_stop(&self->snap_timer);
}
