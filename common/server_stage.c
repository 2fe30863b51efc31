/*  server_stage: a loop turn's requests decoded and prepared on a worker (opts.stage_bytes).
 *
 *  A write batch on the loop is the decode of its requests, their preparation (the
 *  impact-calculator's calculation: server_prep_fn) and the commit. The first two need no
 *  store, so a turn of many bytes goes to a libuv worker for them (server__decode) while
 *  the loop commits the turn before and reads the next one off the socket: the worker and
 *  the loop overlap, and the loop thread, which bounds the service, does less per request.
 *
 *  Two turns at most: the one on the worker and the one read meanwhile. When the worker
 *  returns a turn, the loop hands it the next one first, then routes the returned one
 *  (server__dispatch: registry, rights, queries answered, commands queued) and commits its
 *  commands, all in arrival order. While the turn being read is full the ROUTER is not
 *  read (the requests wait in ZeroMQ's queue). A turn is full at `batch` requests or
 *  SERVER_STAGE_TURN_BYTES: a client's window of large requests arrives at once, and taken
 *  as one turn it would be computed while the loop waits and then committed while the
 *  worker waits; cut into turns, one turn's commit overlaps the next one's work.
 *
 *  Only a turn of large requests goes to the worker: their size on average at least
 *  stage_bytes (s_large). The hop costs per turn and the prep saves per measurement, so a
 *  turn of one-measurement requests gained nothing on it (bench_e2e 1/request: 0 to -5 %,
 *  +1 us CPU a measurement), while 100 a request gained 10 %. Any other turn, when the
 *  worker is idle, stays on the loop as without a stage: a lone small request pays no
 *  thread hop.
 */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>

typedef struct {
    bus_msg_t *msgs;
    server_req_t **reqs;         /* one per message, from the pool (loop), NULL: none */
    uint32_t n;
    size_t bytes;
    int64_t t_wake;              /* when its first request was read (traced only) */
} s_turn_t;

struct server_stage {
    uv_work_t work;
    server_t *owner;             /* NULL after server_stage_fini: the last s_after frees */
    s_turn_t turn[2];
    int reading;                 /* the turn read now; the other one is the worker's */
    bool busy;                   /* the worker has turn[!reading] */
    bool paused;                 /* the ROUTER is not read: turn[reading] is full */
    uv_mutex_t lock;             /* done, for server_stage_fini */
    uv_cond_t cond;
    bool done;
};

static void s_turn_free(s_turn_t *t)
{
    free(t->msgs);
    free(t->reqs);
}

static void s_free(struct server_stage *st)
{
    s_turn_free(&st->turn[0]);
    s_turn_free(&st->turn[1]);
    uv_cond_destroy(&st->cond);
    uv_mutex_destroy(&st->lock);
    free(st);
}

int server_stage_init(server_t *self)
{
    struct server_stage *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    if (uv_mutex_init(&st->lock) != 0) {
        free(st);
        return -ENOMEM;
    }
    if (uv_cond_init(&st->cond) != 0) {
        uv_mutex_destroy(&st->lock);
        free(st);
        return -ENOMEM;
    }
    st->owner = self;
    st->work.data = st;
    for (int i = 0; i < 2; i++) {
        st->turn[i].msgs = calloc(self->opts.batch, sizeof *st->turn[i].msgs);
        st->turn[i].reqs = calloc(self->opts.batch, sizeof *st->turn[i].reqs);
        if (!st->turn[i].msgs || !st->turn[i].reqs) {
            s_free(st);
            return -ENOMEM;
        }
    }
    self->stage = st;
    return 0;
}

/* Worker: decode and prepare every request of the turn. */
static void s_work(uv_work_t *w)
{
    struct server_stage *st = w->data;
    s_turn_t *t = &st->turn[!st->reading];
    for (uint32_t i = 0; i < t->n; i++)
        if (t->reqs[i])
            server__decode(st->owner, t->reqs[i], &t->msgs[i]);
    uv_mutex_lock(&st->lock);
    st->done = true;
    uv_cond_signal(&st->cond);
    uv_mutex_unlock(&st->lock);
}

static void s_after(uv_work_t *w, int status);

/* A turn of large requests (see above). */
static bool s_large(const server_t *self, const s_turn_t *t)
{
    return t->n && t->bytes >= (size_t)self->opts.stage_bytes * t->n;
}

/* The turn read so far to the worker (idle): false when libuv refused it (it refuses
 * only a work without a callback), the turn then still the one read. */
static bool s_ship(server_t *self)
{
    struct server_stage *st = self->stage;
    s_turn_t *t = &st->turn[st->reading];
    for (uint32_t i = 0; i < t->n; i++)
        t->reqs[i] = server_req_new(self);   /* the pool is the loop's */
    st->reading = !st->reading;
    st->busy = true;
    st->done = false;
    if (uv_queue_work(self->loop, &st->work, s_work, s_after) == 0) {
        self->stats.staged++;
        return true;
    }
    st->busy = false;
    st->reading = !st->reading;
    for (uint32_t i = 0; i < t->n; i++)
        server_req_free(&t->reqs[i]);
    return false;
}

/* The turn read so far: to the worker when it is large, else handled here at once. The
 * worker is idle. */
static void s_start(server_t *self)
{
    struct server_stage *st = self->stage;
    s_turn_t *t = &st->turn[st->reading];
    if (t->n == 0 || (s_large(self, t) && s_ship(self)))
        return;
    self->t_wake = t->t_wake;
    for (uint32_t i = 0; i < t->n; i++) {
        server__handle(self, &t->msgs[i]);
        bus_msg_close(&t->msgs[i]);
    }
    t->n = 0;
    t->bytes = 0;
}

/* Loop: the worker's turn is decoded. A large next turn goes to the worker before this
 * one is routed and committed, so that both run at once; a small one is handled here after
 * it, in arrival order. */
static void s_after(uv_work_t *w, int status)
{
    (void)status;   /* s_work cannot be cancelled: nothing calls uv_cancel */
    struct server_stage *st = w->data;
    server_t *self = st->owner;
    if (!self) {
        s_free(st);   /* server_stage_fini dropped the turn */
        return;
    }
    st->busy = false;
    /* This turn's arrays stay as they are until it is routed below: nothing reads the
     * socket meanwhile, and s_start gives the worker the other pair. */
    s_turn_t done = st->turn[!st->reading];
    st->turn[!st->reading].n = 0;
    st->turn[!st->reading].bytes = 0;
    bool shipped = s_large(self, &st->turn[st->reading]) && s_ship(self);
    self->t_wake = done.t_wake;   /* the hop trace's "read" of these commands */
    for (uint32_t i = 0; i < done.n; i++) {
        if (done.reqs[i])
            server__dispatch(self, done.reqs[i], &done.msgs[i]);
        else
            self->stats.requests++;   /* no record for it: not answered, as server__handle */
        done.reqs[i] = NULL;
        bus_msg_close(&done.msgs[i]);
    }
    if (!shipped)
        s_start(self);
    server__run_batch(self);
    if (st->paused) {
        st->paused = false;
        server__watch(self, true);
    }
}

void server_stage_read(server_t *self, bus_sock_t *sock)
{
    struct server_stage *st = self->stage;
    s_turn_t *t = &st->turn[st->reading];
    if (t->n == 0)
        t->t_wake = self->t_wake;
    while (t->n < self->opts.batch && t->bytes < SERVER_STAGE_TURN_BYTES) {
        bus_msg_t *m = &t->msgs[t->n];
        int rc = bus_recv(sock, m);
        if (rc == -EAGAIN)
            break;
        if (rc < 0) {
            self->stats.decode_errors++;
            continue;     /* e.g. too many frames: dropped by the bus */
        }
        t->bytes += m->nparts > 1 ? bus_msg_size(m, 1) : 0;
        t->n++;
    }
    if (st->busy) {
        if ((t->n == self->opts.batch || t->bytes >= SERVER_STAGE_TURN_BYTES) && !st->paused) {
            st->paused = true;   /* read on when the worker returns */
            server__watch(self, false);
        }
        return;
    }
    s_start(self);
    server__run_batch(self);
}

void server_stage_fini(server_t *self)
{
    struct server_stage *st = self->stage;
    if (!st)
        return;
    self->stage = NULL;
    if (st->busy) {
        uv_mutex_lock(&st->lock);
        while (!st->done)
            uv_cond_wait(&st->cond, &st->lock);
        uv_mutex_unlock(&st->lock);
    }
    for (int k = 0; k < 2; k++) {
        s_turn_t *t = &st->turn[k];
        for (uint32_t i = 0; i < t->n; i++) {
            server_req_free(&t->reqs[i]);
            bus_msg_close(&t->msgs[i]);
        }
        t->n = 0;
    }
    if (st->busy)
        st->owner = NULL;   /* s_after, still to come on the loop, frees it */
    else
        s_free(st);
}
