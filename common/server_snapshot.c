/*  server_snapshot: SnapshotRequest answered at once or as a stream with flow control
 *  (server.h, server_snapshot_fn). A stream never sends everything in one go: a pass sends
 *  its share, stops where the peer's queue is full, and a timer takes it up after the last
 *  topic sent, so a snapshot of any size reaches a slow client whole, and the loop keeps
 *  serving other requests between passes. */
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
    char prefix[SERVER_SNAP_KEY_MAX];
    char after[SERVER_SNAP_KEY_MAX];  /* the topic last sent */
    size_t afterlen;
    bool started, have_seq, done;
    uint64_t seq;                     /* head of the first pass's transaction */
    uint32_t count, pass_sent;
    bool full;                        /* this pass met a full peer queue */
    uint64_t progress_at;             /* uv_now of the last item the peer took */
    /* the request as the callback sees it in later passes (server_request) */
    Mvoi__Envelope env;
    Mvoi__SnapshotRequest sr;
};

const char *server_snapshot_after(server_req_t *req, size_t *len)
{
    server_snap_t *s = req->snap;
    if (len)
        *len = s && s->started ? s->afterlen : 0;
    return s && s->started ? s->after : NULL;
}

int server_snapshot_emit(server_req_t *req, const char *topic, Mvoi__Envelope *item)
{
    server_snap_t *s = req->snap;
    size_t tl = topic ? strlen(topic) : 0;
    if (s) {
        if (s->pass_sent >= SERVER_SNAP_PASS)
            return -EAGAIN;
        if (tl >= sizeof s->after)
            return -ENAMETOOLONG;   /* could not resume after it: refuse, never skip */
    }
    int rc = server_send_env(req->server, req->id, req->idlen, topic, item);
    if (!s)
        return rc;
    if (rc == -EAGAIN) {
        s->full = true;
        return rc;
    }
    if (rc == 0) {
        memcpy(s->after, topic, tl + 1);
        s->afterlen = tl;
        s->started = true;
        s->count++;
        s->pass_sent++;
        s->progress_at = uv_now(req->server->loop);
    }
    return rc;
}

typedef struct {
    server_t *self;
    server_req_t *req;
    server_snap_t *snap;
    const char *prefix;
    uint64_t *seq_out;                /* no stream: where the head goes */
} s_pass_t;

static int s_pass_txn(MDB_txn *txn, void *arg)
{
    s_pass_t *p = arg;
    server_t *self = p->self;
    server_snap_t *s = p->snap;
    /* The first pass's state and seq come from one read transaction. */
    if (self->opts.outbox && (!s || !s->have_seq)) {
        uint64_t seq = 0;
        int rc = outbox_head_in(self->opts.outbox, txn, &seq);
        if (rc < 0)
            return rc;
        if (s) {
            s->seq = seq;
            s->have_seq = true;
        } else {
            *p->seq_out = seq;
        }
    }
    return self->opts.snapshot(self->opts.arg, p->req, txn, p->prefix);
}

/* One pass: 1 complete, 0 paused (its share sent or the peer full), < 0 failed. */
static int s_pass(server_t *self, server_snap_t *s, server_req_t *req)
{
    req->snap = s;
    if (!req->req)
        req->req = &s->env;       /* a later pass: the request as it came */
    s->pass_sent = 0;
    s->full = false;
    s_pass_t p = { self, req, s, s->prefix, NULL };
    int rc = store_read(self->opts.store, s_pass_txn, &p);
    req->snap = NULL;
    self->stats.snapshot_passes++;
    if (s->full)
        self->stats.snapshot_full++;
    if (rc == 0)
        return 1;
    if (rc == -EAGAIN && (s->full || s->pass_sent >= SERVER_SNAP_PASS))
        return 0;
    return rc;
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

/* Next step of one stream: 1 when it is over (done, failed or abandoned). */
static int s_step(server_t *self, server_snap_t *s, bool *progress)
{
    uint32_t before = s->count;
    if (!s->done) {
        server_req_t *req = server_req_new(self);
        if (!req)
            return 0;    /* out of memory now: try again in a moment */
        memcpy(req->id, s->id, s->idlen);
        req->idlen = s->idlen;
        int rc = s_pass(self, s, req);
        server_req_free(&req);
        if (rc < 0) {
            if (rc != -EHOSTUNREACH)
                log_warn("snapshot_failed", "a snapshot stream stopped after %u items: %s",
                         s->count, mvoi_strerror(rc));
            return 1;    /* the client's per-chunk timeout asks again */
        }
        s->done = rc == 1;
    }
    if (s->count != before)
        *progress = true;
    if (s->done && s_send_end(self, s))
        return 1;
    if (uv_now(self->loop) - s->progress_at > SERVER_SNAP_STALL_MS) {
        log_warn("snapshot_abandoned", "a snapshot peer took nothing for %d ms (%u items sent)",
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
            free(s);
            self->nsnaps--;
        } else {
            pp = &s->next;
        }
    }
    s_schedule(self, progress);
}

/* The callback cannot resume: everything from one transaction in one go. */
static void s_at_once(server_t *self, server_req_t *req, const char *prefix)
{
    uint64_t seq = 0;
    s_pass_t p = { self, req, NULL, prefix, &seq };
    int rc = store_read(self->opts.store, s_pass_txn, &p);
    if (rc < 0) {
        server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "snapshot", "snapshot failed");
        return;
    }
    Mvoi__SnapshotEnd *end = server_alloc(req, sizeof *end);
    if (!end)
        return;
    s_fill_end(self, end, seq, 0);
    end->has_count = false;
    req->reply.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
    req->reply.snapshot_end = end;
}

void server_snapshot_start(server_t *self, server_req_t *req)
{
    if (!self->opts.snapshot) {
        server_error(req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "snapshot",
                     "%s serves no snapshot", self->opts.name);
        return;
    }
    const char *prefix = req->req->snapshot->prefix ? req->req->snapshot->prefix : "";
    self->stats.snapshots++;
    if (!self->opts.snapshot_resumes) {
        s_at_once(self, req, prefix);
        return;
    }
    const char *rid = req->req->request_id ? req->req->request_id : "";
    if (strlen(prefix) >= SERVER_SNAP_KEY_MAX || strlen(rid) > SERVER_REQID_MAX) {
        server_error(req, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT,
                     strlen(rid) > SERVER_REQID_MAX ? "request_id" : "snapshot.prefix",
                     "longer than %d bytes", strlen(rid) > SERVER_REQID_MAX
                                                 ? SERVER_REQID_MAX : SERVER_SNAP_KEY_MAX - 1);
        return;
    }
    if (self->nsnaps >= SERVER_SNAP_MAX) {
        server_error(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "snapshot",
                     "%d snapshots are under way; ask again shortly", SERVER_SNAP_MAX);
        return;
    }
    server_snap_t *s = calloc(1, sizeof *s);
    if (!s) {
        server_error(req, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "snapshot", "out of memory");
        return;
    }
    memcpy(s->id, req->id, req->idlen);
    s->idlen = req->idlen;
    memcpy(s->rid, rid, strlen(rid) + 1);
    memcpy(s->prefix, prefix, strlen(prefix) + 1);
    mvoi__envelope__init(&s->env);
    s->sr = *req->req->snapshot;
    s->sr.base.unknown_fields = NULL;
    s->sr.base.n_unknown_fields = 0;
    s->sr.prefix = s->prefix;
    s->env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT;
    s->env.snapshot = &s->sr;
    s->env.request_id = s->rid;
    s->progress_at = uv_now(self->loop);
    int rc = s_pass(self, s, req);
    if (rc == 1) {
        Mvoi__SnapshotEnd *end = server_alloc(req, sizeof *end);
        if (end) {
            s_fill_end(self, end, s->seq, s->count);
            req->reply.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
            req->reply.snapshot_end = end;
        }
        free(s);
        return;
    }
    if (rc < 0) {
        free(s);
        if (rc == -EHOSTUNREACH)
            req->no_reply = true;   /* the peer is gone */
        else
            server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "snapshot", "snapshot failed: %s",
                         mvoi_strerror(rc));
        return;
    }
    s->next = self->snaps;
    self->snaps = s;
    self->nsnaps++;
    req->no_reply = true;
    s_schedule(self, s->count > 0);
}

void server_snapshot_drop_all(server_t *self)
{
    while (self->snaps) {
        server_snap_t *n = self->snaps->next;
        free(self->snaps);
        self->snaps = n;
    }
    self->nsnaps = 0;
    if (self->snap_started)
        uv_timer_stop(&self->snap_timer);
}
