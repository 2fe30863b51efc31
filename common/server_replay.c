/*  server_replay: a ReplayRequest, answered with the outbox's events from from_seq (at
 *  most max_count, bounded by opts.replay_max), each sent as [topic][envelope] on the
 *  ROUTER, then a ReplayEnd with the epoch, the last seq sent, the head and what retention
 *  kept. A consumer whose cursor is older than what is kept is told to resynchronise from a
 *  snapshot (docs/design.md#rebuild). */
#include "server_int.h"

#include "outbox.h"

typedef struct {
    server_t *self;
    server_req_t *req;
    uint64_t last;
    uint32_t sent;
    int err;
} s_replay_t;

static int s_replay_one(void *arg, uint64_t seq, const char *topic, size_t topic_len,
                        const void *env, size_t env_len)
{
    s_replay_t *r = arg;
    bus_frame_t f[3] = { { r->req->id, r->req->idlen }, { topic, topic_len },
                         { env, env_len } };
    int rc = bus_send(r->self->router, f, 3);
    if (rc < 0) {
        r->err = rc;   /* peer gone or full: stop; the consumer asks again */
        return rc;
    }
    r->last = seq;
    r->sent++;
    return 0;
}

void server_replay(server_t *self, server_req_t *req)
{
    outbox_t *ob = self->opts.outbox;
    if (!ob) {
        server_error(req, MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "replay",
                     "%s produces no events", self->opts.name);
        return;
    }
    const Mvoi__ReplayRequest *rq = req->req->replay;
    uint64_t from = rq->has_from_seq ? rq->from_seq : 1;
    uint64_t head = outbox_head(ob);
    uint32_t max = rq->has_max_count && rq->max_count ? rq->max_count : 1000;
    if (max > self->opts.replay_max)
        max = self->opts.replay_max;
    if (from == 0)
        from = 1;
    if (from > head + 1) {
        server_error(req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, "replay.from_seq",
                     "from_seq %llu is beyond the head %llu", (unsigned long long)from,
                     (unsigned long long)head);
        return;
    }
    uint64_t retained = outbox_retained_from(ob);
    if (from < retained) {
        server_error(req, MVOI__ERROR_CODE__ERR_OUT_OF_RANGE, "replay.from_seq",
                     "events before %llu were removed by retention; resynchronise from a "
                     "snapshot", (unsigned long long)retained);
        return;
    }
    s_replay_t r = { self, req, 0, 0, 0 };
    int rc = outbox_read(ob, from, max, s_replay_one, &r);
    self->stats.replays++;
    if (rc < 0 && r.err == 0) {
        server_error(req, MVOI__ERROR_CODE__ERR_INTERNAL, "replay", "outbox read failed");
        return;
    }
    Mvoi__ReplayEnd *end = server_alloc(req, sizeof *end);
    if (!end)
        return;
    mvoi__replay_end__init(end);
    end->has_epoch = end->has_last_sent_seq = end->has_head_seq = true;
    end->has_retained_from = true;
    end->epoch = outbox_epoch(ob);
    end->last_sent_seq = r.last;
    end->head_seq = outbox_head(ob);
    end->retained_from = retained;
    req->reply.body_case = MVOI__ENVELOPE__BODY_REPLAY_END;
    req->reply.replay_end = end;
}
