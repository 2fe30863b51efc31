/*  outbox: the producer's durable event log (see outbox.h, docs/design.md#outbox).
 *
 *  db "outbox": key be64 seq -> [u16 be topic length][topic][packed Envelope].
 *  db "meta":   "epoch" -> be64, "head" -> be64 (last appended seq, kept on every append so
 *               the head survives a trim that empties the log), "retained_from" -> be64.
 *
 *  The head is mirrored in memory. Appends happen inside the caller's store_write, which may
 *  abort or rerun the transaction (MAP_FULL), so appends advance a pending head; the store
 *  hooks adopt it on commit and drop it on abort: an aborted append's seq is reused.
 *
 *  Functions that take a txn return 0 or a negative code of mvoi_error.h: LMDB's results
 *  are converted where they arise (MVOI_E_MAP_FULL lets store_write grow the map, rerun).
 */
#include "outbox.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define OUTBOX_MAX_TOPIC 0xffffu

struct outbox_t {
    store_t *store;
    char *producer;
    MDB_dbi db_outbox, db_meta;
    uint64_t epoch;
    uint64_t head;           /* last committed seq */
    uint64_t pending;        /* head inside the current write transaction */
    bool in_write;           /* between the begin hook and commit/abort */
    int64_t write_ms;        /* the wall clock when that write began (outbox_write_ms) */
    uint64_t retained_from;
    uint64_t published;
    bool gated;              /* outbox_gate: only events up to `durable` are shown */
    uint64_t durable;
};

static MDB_val s_str(const char *s)
{
    MDB_val v = { strlen(s), (void *)s };
    return v;
}

static int s_meta_get(outbox_t *self, MDB_txn *txn, const char *name, uint64_t *out)
{
    MDB_val k = s_str(name), v;
    int rc = mvoi_mdb_error(mdb_get(txn, self->db_meta, &k, &v));
    if (rc != 0)
        return rc;   /* -ENOENT included */
    if (v.mv_size != 8)
        return -EIO;
    *out = store_get_be64(v.mv_data);
    return 0;
}

static int s_meta_put(outbox_t *self, MDB_txn *txn, const char *name, uint64_t value)
{
    uint8_t b[8];
    store_be64(b, value);
    MDB_val k = s_str(name), v = { 8, b };
    return mvoi_mdb_error(store_put(txn, self->db_meta, &k, &v, 0));
}

/* Head as seen by txn: the last key of the log, or meta "head" if larger (trimmed empty). */
static int s_head_in(outbox_t *self, MDB_txn *txn, uint64_t *head)
{
    uint64_t h = 0, m = 0;
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, self->db_outbox, &c));
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_LAST));
    if (rc == 0 && k.mv_size == 8)
        h = store_get_be64(k.mv_data);
    mdb_cursor_close(c);
    if (rc != 0 && rc != -ENOENT)
        return rc;
    rc = s_meta_get(self, txn, "head", &m);
    if (rc != 0 && rc != -ENOENT)
        return rc;
    *head = h > m ? h : m;
    return 0;
}

/* Oldest stored seq, or head+1 when the log is empty. */
static int s_first_in(outbox_t *self, MDB_txn *txn, uint64_t head, uint64_t *first)
{
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, self->db_outbox, &c));
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_FIRST));
    mdb_cursor_close(c);
    if (rc == -ENOENT) {
        *first = head + 1;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (k.mv_size != 8)
        return -EIO;
    *first = store_get_be64(k.mv_data);
    return 0;
}

typedef struct {
    outbox_t *self;
    bool has_epoch;
} s_load_t;

static int s_load_fn(MDB_txn *txn, void *arg)
{
    s_load_t *l = arg;
    outbox_t *self = l->self;
    int rc = s_meta_get(self, txn, "epoch", &self->epoch);
    if (rc != 0 && rc != -ENOENT)
        return rc;
    l->has_epoch = rc == 0 && self->epoch != 0;
    if ((rc = s_head_in(self, txn, &self->head)) != 0)
        return rc;
    return s_first_in(self, txn, self->head, &self->retained_from);
}

static int s_mint_fn(MDB_txn *txn, void *arg)
{
    outbox_t *self = arg;
    uint64_t e = 0;
    int rc = s_meta_get(self, txn, "epoch", &e);   /* re-runnable: keep one already there */
    if (rc == 0 && e != 0) {
        self->epoch = e;
        return 0;
    }
    if (rc != 0 && rc != -ENOENT)
        return rc;
    return s_meta_put(self, txn, "epoch", self->epoch);
}

static int s_random_u64(uint64_t *out)
{
    uint64_t v = 0;
    while (v == 0) {
        ssize_t n = getrandom(&v, sizeof v, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof v)
            return n < 0 ? -errno : -EIO;
    }
    *out = v;
    return 0;
}

static void s_hook_begin(void *arg)
{
    outbox_t *self = arg;
    self->pending = self->head;
    self->in_write = true;
    self->write_ms = clock_now_ms();
}

/* Before the commit: record the head once per transaction, not once per append. */
static int s_hook_prepare(void *arg, MDB_txn *txn)
{
    outbox_t *self = arg;
    if (self->pending == self->head)
        return 0;
    return s_meta_put(self, txn, "head", self->pending);
}

static void s_hook_commit(void *arg)
{
    outbox_t *self = arg;
    self->head = self->pending;
    self->in_write = false;
}

static void s_hook_abort(void *arg)
{
    outbox_t *self = arg;
    self->pending = self->head;
    self->in_write = false;
}

outbox_t *outbox_new(store_t *store, const char *producer, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (!store || !producer || !*producer) {
        *err = -EINVAL;
        return NULL;
    }
    outbox_t *self = calloc(1, sizeof *self);
    if (!self || !(self->producer = strdup(producer))) {
        free(self);
        *err = -ENOMEM;
        return NULL;
    }
    self->store = store;
    self->db_outbox = store_dbi(store, "outbox");
    self->db_meta = store_dbi(store, "meta");
    if (self->db_outbox == (MDB_dbi)-1 || self->db_meta == (MDB_dbi)-1) {
        log_error("outbox_misconfigured", "the store was not opened with OUTBOX_DBS");
        *err = -EINVAL;
        goto fail;
    }
    s_load_t l = { self, false };
    if ((*err = store_read(store, s_load_fn, &l)) != 0)
        goto fail;
    if (!l.has_epoch) {
        /* A new epoch tells consumers that this log starts over (the store was wiped). */
        if ((*err = s_random_u64(&self->epoch)) != 0)
            goto fail;
        if ((*err = store_write(store, s_mint_fn, self)) != 0)
            goto fail;
    }
    self->pending = self->head;
    /* Live publishing starts at the head: events committed before a restart are not pushed
     * again. Whoever missed them sees the head in our heartbeats (or a gap) and replays them
     * from the outbox; re-publishing a backlog blindly would only flood subscribers that
     * already have it. */
    self->published = self->head;
    store_hooks_t h = { .begin = s_hook_begin, .prepare = s_hook_prepare,
                        .commit = s_hook_commit, .abort = s_hook_abort, .arg = self };
    if ((*err = store_add_hooks(store, &h)) != 0)
        goto fail;
    return self;

fail:
    free(self->producer);
    free(self);
    return NULL;
}

void outbox_destroy(outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    /* The store hooks still point here: destroy the outbox after its last store_write, or
     * with the store (the usual order: outbox, then store). */
    free((*self_p)->producer);
    free(*self_p);
    *self_p = NULL;
}

int outbox_append(outbox_t *self, MDB_txn *txn, const char *topic, Mvoi__Envelope *env,
                  uint64_t *seq_out)
{
    return outbox_append_stamped(self, txn, topic, env, NULL, NULL, seq_out);
}

/* body != NULL: env's body is not set and `body` (an encoded message) goes in as the
 * envelope's field body_field. */
static int s_append(outbox_t *self, MDB_txn *txn, const char *topic, Mvoi__Envelope *env,
                    outbox_stamp_fn *stamp, void *stamp_arg, uint32_t body_field,
                    const uint8_t *body, size_t blen, uint64_t *seq_out)
{
    if (!self || !txn || !topic || !env || (body && env->body_case))
        return -EINVAL;
    if (!self->in_write)
        return -EINVAL;   /* only inside store_write: the hooks keep the head consistent */
    size_t tlen = strlen(topic);
    if (tlen == 0 || tlen > OUTBOX_MAX_TOPIC)
        return -EINVAL;
    uint64_t seq = self->pending + 1;
    if (stamp)
        stamp(stamp_arg, env, seq);

    /* Stamp. The producer string is ours: it is put back after packing so that an env from
     * codec_unpack can still be freed with codec_free. The scalar stamps stay set. */
    char *caller_producer = env->producer;
    env->producer = self->producer;
    env->has_schema_version = true;
    env->schema_version = CODEC_SCHEMA_VERSION;
    env->has_epoch = true;
    env->epoch = self->epoch;
    env->has_seq = true;
    env->seq = seq;
    env->has_ts_unix_ms = true;
    env->ts_unix_ms = self->write_ms;

    int rc = 0;
    codec_env_size_t esz;
    size_t hlen = codec_envelope_size(env, &esz);
    size_t elen = hlen + (body ? codec_field_size(body_field, blen) : 0);
    if (elen > CODEC_MAX_BYTES) {
        rc = -EMSGSIZE;
        goto out;
    }
    uint8_t k[8];
    store_be64(k, seq);
    MDB_val key = { 8, k }, val = { 2 + tlen + elen, NULL };
    /* Reserve the value in the page and pack straight into it: no intermediate buffer. */
    rc = mvoi_mdb_error(store_put(txn, self->db_outbox, &key, &val, MDB_APPEND | MDB_RESERVE));
    if (rc != 0)
        goto out;   /* MVOI_E_MAP_FULL goes back to store_write, which grows and reruns */
    uint8_t *p = val.mv_data;
    p[0] = (uint8_t)(tlen >> 8);
    p[1] = (uint8_t)tlen;
    memcpy(p + 2, topic, tlen);
    if (codec_envelope_pack(env, &esz, p + 2 + tlen) != hlen) {
        rc = -EIO;
        goto out;
    }
    if (body)
        codec_field_put(p + 2 + tlen + hlen, body_field, body, blen);
    self->pending = seq;   /* meta "head" is written once, in the prepare hook */
    if (seq_out)
        *seq_out = seq;
out:
    env->producer = caller_producer;
    return rc;
}

int outbox_append_stamped(outbox_t *self, MDB_txn *txn, const char *topic,
                          Mvoi__Envelope *env, outbox_stamp_fn *stamp, void *stamp_arg,
                          uint64_t *seq_out)
{
    return s_append(self, txn, topic, env, stamp, stamp_arg, 0, NULL, 0, seq_out);
}

int outbox_append_encoded(outbox_t *self, MDB_txn *txn, const char *topic,
                          Mvoi__Envelope *env, uint32_t body_field, const uint8_t *body,
                          size_t blen, uint64_t *seq_out)
{
    if (!body || !body_field)
        return -EINVAL;
    return s_append(self, txn, topic, env, NULL, NULL, body_field, body, blen, seq_out);
}

/* What may leave the process: every committed event, or with the gate on the flushed ones. */
static uint64_t s_visible(const outbox_t *self)
{
    return self->gated && self->durable < self->head ? self->durable : self->head;
}

uint64_t outbox_head(outbox_t *self) { return s_visible(self); }
uint64_t outbox_committed(outbox_t *self) { return self->head; }

void outbox_gate(outbox_t *self, bool on)
{
    self->gated = on;
    self->durable = self->head;
}

void outbox_durable_upto(outbox_t *self, uint64_t seq)
{
    if (seq > self->durable)
        self->durable = seq > self->head ? self->head : seq;
}
uint64_t outbox_epoch(outbox_t *self) { return self->epoch; }
uint64_t outbox_retained_from(outbox_t *self) { return self->retained_from; }
const char *outbox_producer(outbox_t *self) { return self->producer; }
uint64_t outbox_published(outbox_t *self) { return self->published; }

int64_t outbox_write_ms(const outbox_t *self)
{
    return self && self->in_write ? self->write_ms : clock_now_ms();
}

uint64_t outbox_next_seq(outbox_t *self)
{
    return (self->in_write ? self->pending : self->head) + 1;
}

int outbox_head_in(outbox_t *self, MDB_txn *txn, uint64_t *head)
{
    if (!self || !txn || !head)
        return -EINVAL;
    return s_head_in(self, txn, head);
}

/* ---- reading ---- */

typedef struct {
    outbox_t *self;
    uint64_t from;
    uint64_t end;        /* exclusive */
    outbox_fn *fn;
    void *arg;
    int fn_rc;           /* fn's own result, passed back verbatim */
    uint64_t last;       /* last seq handed to fn */
} s_read_t;

static int s_read_fn(MDB_txn *txn, void *arg)
{
    s_read_t *r = arg;
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, r->self->db_outbox, &c));
    if (rc != 0)
        return rc;
    uint8_t kb[8];
    store_be64(kb, r->from);
    MDB_val k = { 8, kb }, v;
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE));
    while (rc == 0) {
        if (k.mv_size != 8) {
            rc = -EIO;
            break;
        }
        uint64_t seq = store_get_be64(k.mv_data);
        if (seq >= r->end)
            break;
        const uint8_t *p = v.mv_data;
        if (v.mv_size < 2 || (size_t)2 + ((size_t)p[0] << 8 | p[1]) > v.mv_size) {
            log_error("outbox_corrupt", "corrupt event at seq %llu", (unsigned long long)seq);
            rc = -EIO;
            break;
        }
        size_t tlen = (size_t)p[0] << 8 | p[1];
        int f = r->fn(r->arg, seq, (const char *)p + 2, tlen, p + 2 + tlen,
                      v.mv_size - 2 - tlen);
        if (f != 0) {
            r->fn_rc = f;
            rc = 0;
            break;
        }
        r->last = seq;
        rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_NEXT));
    }
    mdb_cursor_close(c);
    return rc == -ENOENT ? 0 : rc;
}

int outbox_read(outbox_t *self, uint64_t from, uint32_t max, outbox_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    if (from == 0)
        from = 1;
    uint64_t vis = s_visible(self);
    if (from > vis + 1)
        return -ERANGE;
    if (max == 0)
        return 0;
    uint64_t end = from + max < from || from + max > vis + 1 ? vis + 1 : from + max;
    s_read_t r = { self, from, end, fn, arg, 0, 0 };
    int rc = store_read(self->store, s_read_fn, &r);
    return rc != 0 ? rc : r.fn_rc;
}

int outbox_publish(outbox_t *self, outbox_fn *fn, void *arg)
{
    if (!self || !fn)
        return -EINVAL;
    uint64_t vis = s_visible(self);
    if (self->published >= vis)
        return 0;
    /* Only committed events: the read transaction cannot see an open write, and the end is
     * the committed head (the flushed one with the gate on). */
    s_read_t r = { self, self->published + 1, vis + 1, fn, arg, 0, 0 };
    int rc = store_read(self->store, s_read_fn, &r);
    if (r.last > self->published)
        self->published = r.last;
    if (rc == 0 && r.fn_rc == 0)
        self->published = r.end - 1;   /* also skips events trimmed before publication */
    return rc != 0 ? rc : r.fn_rc;
}

/* ---- retention ---- */

typedef struct {
    outbox_t *self;
    uint64_t below;
} s_trim_t;

static int s_trim_fn(MDB_txn *txn, void *arg)
{
    s_trim_t *t = arg;
    MDB_cursor *c;
    int rc = mvoi_mdb_error(mdb_cursor_open(txn, t->self->db_outbox, &c));
    if (rc != 0)
        return rc;
    MDB_val k, v;
    /* After mdb_cursor_del the cursor stands on the next event and MDB_NEXT returns it
     * (LMDB's C_DEL): MDB_FIRST again would descend the tree for every event. */
    rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_FIRST));
    while (rc == 0) {
        if (k.mv_size != 8 || store_get_be64(k.mv_data) >= t->below)
            break;
        if ((rc = mvoi_mdb_error(store_cursor_del(c, 0))) != 0)
            break;
        rc = mvoi_mdb_error(mdb_cursor_get(c, &k, &v, MDB_NEXT));
    }
    mdb_cursor_close(c);
    if (rc != 0 && rc != -ENOENT)
        return rc;
    return s_meta_put(t->self, txn, "retained_from", t->below);
}

int outbox_trim(outbox_t *self, uint64_t below)
{
    if (!self)
        return -EINVAL;
    if (below > self->head + 1)
        below = self->head + 1;   /* never beyond the head */
    if (below <= self->retained_from)
        return 0;
    s_trim_t t = { self, below };
    int rc = store_write(self->store, s_trim_fn, &t);
    if (rc == 0)
        self->retained_from = below;
    return rc;
}
