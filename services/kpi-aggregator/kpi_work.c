/*  kpi_work: the working set of one write transaction: every total and project counter the
 *  events of a batch touched, held in memory as it is now, with what it was in LMDB before.
 *
 *  Why: one measurement feeds about eight totals (2 windows x 4 dimensions), each with a
 *  project counter, and a batch of a busy feed is thousands of measurements of a few
 *  tenders. Reading and writing every total in LMDB per event cost most of the aggregator's
 *  time; now a total is read once per batch and written (and published) once, at the flush,
 *  if its figures moved. Entries live in fixed chunks, so a pointer handed out stays valid
 *  until the set is cleared.
 */
#include "kpi_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define WORK_CHUNK 512

/* Eight bytes a step (keys are 30-90 bytes and every measurement looks up ~16 of them:
 * a byte-wise hash showed in the profile); the kind is mixed in so that a total and a
 * project counter never share a chain by construction. */
static uint64_t s_hash(const void *key, size_t len, int kind)
{
    const uint8_t *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)kind << 56) ^ len;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static kpi_work_t *s_at(kpi_t *self, size_t i)
{
    return &self->chunks[i / WORK_CHUNK][i % WORK_CHUNK];
}

void kpi_work_clear(kpi_t *self)
{
    self->work_gen++;   /* kpi_add_delta's memo pointed into the set */
    self->nwork = 0;
    if (self->hash)
        memset(self->hash, 0, self->hashcap * sizeof *self->hash);
}

void kpi_work_free(kpi_t *self)
{
    self->work_gen++;
    for (size_t i = 0; i < self->nchunks; i++)
        free(self->chunks[i]);
    free(self->chunks);
    free(self->hash);
    self->chunks = NULL;
    self->hash = NULL;
    self->nchunks = self->nwork = self->hashcap = 0;
}

size_t kpi_work_size(kpi_t *self) { return self->nwork; }

static kpi_work_t *s_find(kpi_t *self, int kind, const void *key, size_t len, uint64_t h)
{
    if (!self->hashcap)
        return NULL;
    size_t m = self->hashcap - 1;
    for (size_t i = (size_t)h & m; self->hash[i]; i = (i + 1) & m) {
        kpi_work_t *w = s_at(self, self->hash[i] - 1);
        if (w->hash == h && w->kind == kind && w->klen == len &&
            memcmp(w->t.key, key, len) == 0)
            return w;
    }
    return NULL;
}

static void s_index(kpi_t *self, size_t idx, uint64_t h)
{
    size_t m = self->hashcap - 1, i = (size_t)h & m;
    while (self->hash[i])
        i = (i + 1) & m;
    self->hash[i] = (uint32_t)idx + 1;
}

/* A new, zeroed entry for key (indexed), or NULL when memory ran out. */
static kpi_work_t *s_add(kpi_t *self, int kind, const void *key, size_t len, uint64_t h)
{
    if ((self->nwork + 1) * 2 > self->hashcap) {
        size_t cap = self->hashcap ? self->hashcap * 2 : 1024;
        uint32_t *n = calloc(cap, sizeof *n);
        if (!n)
            return NULL;
        free(self->hash);
        self->hash = n;
        self->hashcap = cap;
        for (size_t i = 0; i < self->nwork; i++)
            s_index(self, i, s_at(self, i)->hash);
    }
    if (self->nwork == self->nchunks * WORK_CHUNK) {
        kpi_work_t **c = realloc(self->chunks, (self->nchunks + 1) * sizeof *c);
        if (!c)
            return NULL;
        self->chunks = c;
        if (!(c[self->nchunks] = malloc(WORK_CHUNK * sizeof **c)))
            return NULL;
        self->nchunks++;
    }
    kpi_work_t *w = s_at(self, self->nwork);
    memset(w, 0, sizeof *w);
    w->kind = (uint8_t)kind;
    w->klen = (uint16_t)len;
    w->hash = h;
    memcpy(w->t.key, key, len);
    w->t.key[len] = 0;
    s_index(self, self->nwork, h);
    self->nwork++;
    return w;
}

static void s_figures(const kpi_total_t *t, int64_t v[6])
{
    v[0] = t->ambition;
    v[1] = t->realisation;
    v[2] = t->projects;
    v[3] = t->target;
    v[4] = t->denominator;
    v[5] = t->count;
}

kpi_total_t *kpi_work_total(kpi_t *self, MDB_txn *txn, const char *key, bool create,
                            bool *fresh, int *rc)
{
    *rc = 0;
    if (fresh)
        *fresh = false;
    size_t len = strlen(key);
    if (len >= KPI_KEY_MAX) {
        *rc = -ENAMETOOLONG;
        return NULL;
    }
    uint64_t h = s_hash(key, len, KPI_W_TOTAL);
    kpi_work_t *w = s_find(self, KPI_W_TOTAL, key, len, h);
    if (w)
        return &w->t;
    kpi_total_t t;
    int r = kpi_total_load(self, txn, key, &t);
    if (r != 0 && r != -ENOENT) {
        *rc = r;
        return NULL;
    }
    if (r == -ENOENT && !create) {
        *rc = -ENOENT;
        return NULL;
    }
    if (!(w = s_add(self, KPI_W_TOTAL, key, len, h))) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (r == 0) {
        w->t = t;
        w->existed = true;
        s_figures(&t, w->orig);
    } else if (fresh) {
        *fresh = true;
    }
    return &w->t;
}

int64_t *kpi_work_project(kpi_t *self, MDB_txn *txn, const void *key, size_t len, int *rc)
{
    *rc = 0;
    if (len >= KPI_KEY_MAX) {
        *rc = -ENAMETOOLONG;
        return NULL;
    }
    uint64_t h = s_hash(key, len, KPI_W_PROJECT);
    kpi_work_t *w = s_find(self, KPI_W_PROJECT, key, len, h);
    if (w)
        return &w->t.count;
    MDB_val k = { len, (void *)key }, v;
    int r = mdb_get(txn, self->projects, &k, &v);
    if (r != 0 && r != MDB_NOTFOUND) {
        *rc = r;
        return NULL;
    }
    if (!(w = s_add(self, KPI_W_PROJECT, key, len, h))) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (r == 0 && v.mv_size == 8) {
        w->existed = true;
        w->orig[0] = w->t.count = store_get_be64s(v.mv_data);
    }
    return &w->t.count;
}

static int s_write_project(kpi_t *self, MDB_txn *txn, kpi_work_t *w)
{
    if (w->t.count == w->orig[0] && (w->existed || w->t.count <= 0))
        return 0;
    MDB_val k = { w->klen, w->t.key };
    int rc;
    if (w->t.count <= 0) {
        rc = store_del(txn, self->projects, &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        w->existed = false;
        w->t.count = 0;
    } else {
        uint8_t b[8];
        store_be64s(b, w->t.count);
        MDB_val v = { 8, b };
        rc = store_put(txn, self->projects, &k, &v, 0);
        w->existed = true;
    }
    w->orig[0] = w->t.count;
    return rc;
}

int kpi_work_sync_projects(kpi_t *self, MDB_txn *txn)
{
    for (size_t i = 0; i < self->nwork; i++) {
        kpi_work_t *w = s_at(self, i);
        int rc;
        if (w->kind == KPI_W_PROJECT && (rc = s_write_project(self, txn, w)) != 0)
            return rc;
    }
    return 0;
}

/* The seq the outbox gives the event is the total's: in the event's body and stored. */
static void s_stamp_total(void *arg, Mvoi__Envelope *env, uint64_t seq)
{
    kpi_total_t *t = arg;
    t->seq = seq;
    env->kpi_total->seq = seq;
}

/* A total whose figures moved (or that is new) is appended as an event and stored with the
 * seq that event got; one that came back to where it was is left alone. */
static int s_write_total(kpi_t *self, MDB_txn *txn, kpi_work_t *w)
{
    /* KPI 6 counts distinct pilots (docs/domain.md#pilots): a pilot is its tender, and the
     * project counter already counts each tender once per window and total, whatever the
     * number of reports (gestart, lopend, afgerond) and whichever path moved it (a report,
     * a correction, a cancellation). `count` keeps the number of reports. */
    if (w->t.kpi == MVOI__KPI__KPI_PILOTS)
        w->t.realisation = w->t.projects;
    int64_t v[6];
    s_figures(&w->t, v);
    if (w->existed && memcmp(v, w->orig, sizeof v) == 0)
        return 0;
    if (!self->outbox && !self->emit)
        return kpi_total_store(self, txn, &w->t);
    kpi_total_t *t = &w->t;
    Mvoi__KpiTotal pb;
    kpi_total_to_pb(t, &pb);
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    env.kpi_total = &pb;
    env.buyer = t->buyer;
    int rc = self->emit ? self->emit(self->emit_arg, txn, t->key, &env, s_stamp_total, t, NULL)
                        : outbox_append_stamped(self->outbox, txn, t->key, &env,
                                                s_stamp_total, t, NULL);
    if (rc != 0)
        return rc;
    self->stats.emitted++;
    return kpi_total_store(self, txn, t);
}

int kpi_work_flush(kpi_t *self, MDB_txn *txn)
{
    int rc = 0;
    for (size_t i = 0; i < self->nwork && rc == 0; i++) {
        kpi_work_t *w = s_at(self, i);
        rc = w->kind == KPI_W_PROJECT ? s_write_project(self, txn, w)
                                      : s_write_total(self, txn, w);
    }
    kpi_work_clear(self);
    return rc;
}

/* End of one event: flush its changes, unless they wait for the batch's end; a batch that
 * touched very many distinct totals is flushed early to bound the memory it holds. */
int kpi_event_end(kpi_t *self, MDB_txn *txn)
{
    if (self->batch_flush && self->nwork < KPI_WORK_MAX)
        return 0;
    return kpi_work_flush(self, txn);
}

void kpi_set_batch_flush(kpi_t *self, bool on) { self->batch_flush = on; }

/* A transaction may be re-run (the map grew): start every attempt with a clean set. The
 * cursors of an earlier attempt died with its transaction (kpi_cursor.c). */
void kpi_batch_begin(kpi_t *self)
{
    kpi_work_clear(self);
    kpi_cursor_forget(self);
    self->in_batch = true;
}

int kpi_batch_end(kpi_t *self, MDB_txn *txn)
{
    int rc = kpi_work_flush(self, txn);
    kpi_cursor_close(self);
    self->in_batch = false;
    return rc;
}
