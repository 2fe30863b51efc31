/*  kpi_totals: the stored totals (db kpi_totals, layout in kpi_core.c) and the dirty set:
 *  every total an event touches, so that the changed ones are published once, after the
 *  event, in the same transaction. */
#include "kpi_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VAL_FIXED (6 * 8 + 8 + 1 + 1 + 1 + 2)

/* ---------------------------------------------------------------- totals */

static void s_put64(uint8_t **p, int64_t v) { store_be64s(*p, v); *p += 8; }

int kpi_total_load(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *t)
{
    MDB_val k = { strlen(key), (void *)key }, v;
    int rc = mdb_get(txn, self->totals, &k, &v);
    if (rc == MDB_NOTFOUND)
        return -ENOENT;
    if (rc != 0)
        return rc;
    if (v.mv_size < VAL_FIXED + 3 || k.mv_size >= KPI_KEY_MAX)
        return -ENOENT;   /* not ours; treated as absent */
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, k.mv_size);
    const uint8_t *p = v.mv_data;
    int64_t *f[6] = { &t->ambition, &t->realisation, &t->projects, &t->target,
                      &t->denominator, &t->count };
    for (int i = 0; i < 6; i++, p += 8)
        *f[i] = store_get_be64s(p);
    t->seq = store_get_be64(p);
    p += 8;
    t->kpi = p[0];
    t->theme = p[1];
    t->quarter = p[2];
    t->year = ((uint32_t)p[3] << 8) | p[4];
    p += 5;
    const char *s = (const char *)p, *end = (const char *)v.mv_data + v.mv_size;
    char *dst[3] = { t->buyer, t->group, t->tender };
    for (int i = 0; i < 3 && s < end; i++) {
        size_t n = strnlen(s, (size_t)(end - s));
        if (n >= 128)
            n = 127;
        memcpy(dst[i], s, n);
        dst[i][n] = 0;
        s += strnlen(s, (size_t)(end - s)) + 1;
    }
    return 0;
}

int kpi_total_store(kpi_t *self, MDB_txn *txn, const kpi_total_t *t)
{
    size_t lb = strlen(t->buyer), lg = strlen(t->group), lt = strlen(t->tender);
    uint8_t buf[VAL_FIXED + 3 * 128];
    uint8_t *p = buf;
    s_put64(&p, t->ambition);
    s_put64(&p, t->realisation);
    s_put64(&p, t->projects);
    s_put64(&p, t->target);
    s_put64(&p, t->denominator);
    s_put64(&p, t->count);
    store_be64(p, t->seq);
    p += 8;
    *p++ = (uint8_t)t->kpi;
    *p++ = (uint8_t)t->theme;
    *p++ = (uint8_t)t->quarter;
    *p++ = (uint8_t)(t->year >> 8);
    *p++ = (uint8_t)t->year;
    memcpy(p, t->buyer, lb + 1);
    p += lb + 1;
    memcpy(p, t->group, lg + 1);
    p += lg + 1;
    memcpy(p, t->tender, lt + 1);
    p += lt + 1;
    MDB_val k = { strlen(t->key), (void *)t->key }, v = { (size_t)(p - buf), buf };
    return mdb_put(txn, self->totals, &k, &v, 0);
}

int kpi_get(kpi_t *self, MDB_txn *txn, const char *key, kpi_total_t *out)
{
    if (!key || !*key || strlen(key) >= KPI_KEY_MAX)
        return -ENOENT;
    return kpi_total_load(self, txn, key, out);
}

void kpi_total_to_pb(const kpi_total_t *t, Mvoi__KpiTotal *pb)
{
    mvoi__kpi_total__init(pb);
    pb->key = (char *)t->key;
    pb->buyer = (char *)t->buyer;
    pb->has_kpi = pb->has_year = pb->has_quarter = true;
    pb->kpi = (Mvoi__Kpi)t->kpi;
    pb->year = t->year;
    pb->quarter = t->quarter;
    if (t->theme) {
        pb->has_theme = true;
        pb->theme = (Mvoi__Theme)t->theme;
    }
    if (t->group[0])
        pb->purchasing_group = (char *)t->group;
    if (t->tender[0])
        pb->tender_id = (char *)t->tender;
    pb->has_ambition = pb->has_realisation = pb->has_projects = pb->has_target = true;
    pb->has_seq = pb->has_denominator = pb->has_count = true;
    pb->ambition = t->ambition;
    pb->realisation = t->realisation;
    pb->projects = t->projects;
    pb->target = t->target;
    pb->seq = t->seq;
    pb->denominator = t->denominator;
    pb->count = t->count;
    pb->unit = (char *)kpi_unit(t->kpi);
}

/* ---------------------------------------------------------------- dirty set */

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

void kpi_dirty_clear(kpi_t *self)
{
    for (size_t i = 0; i < self->ndirty; i++)
        free(self->dirty[i].key);
    self->ndirty = 0;
    if (self->hash)
        memset(self->hash, 0, self->hashcap * sizeof *self->hash);
}

static int s_hash_insert(kpi_t *self, const char *key, size_t idx)
{
    size_t m = self->hashcap - 1, i = (size_t)s_hash(key) & m;
    while (self->hash[i])
        i = (i + 1) & m;
    self->hash[i] = (uint32_t)idx + 1;
    return 0;
}

static kpi_dirty_t *s_dirty_find(kpi_t *self, const char *key)
{
    if (!self->hashcap)
        return NULL;
    size_t m = self->hashcap - 1, i = (size_t)s_hash(key) & m;
    while (self->hash[i]) {
        kpi_dirty_t *d = &self->dirty[self->hash[i] - 1];
        if (strcmp(d->key, key) == 0)
            return d;
        i = (i + 1) & m;
    }
    return NULL;
}

/* Remember a total's value before this event touched it (first touch only). */
int kpi_dirty_mark(kpi_t *self, const kpi_total_t *t, bool existed)
{
    if (s_dirty_find(self, t->key))
        return 0;
    if (self->ndirty == self->capdirty) {
        size_t cap = self->capdirty ? self->capdirty * 2 : 64;
        kpi_dirty_t *n = realloc(self->dirty, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        self->dirty = n;
        self->capdirty = cap;
    }
    if ((self->ndirty + 1) * 2 > self->hashcap) {
        size_t cap = self->hashcap ? self->hashcap * 2 : 256;
        while ((self->ndirty + 1) * 2 > cap)
            cap *= 2;
        uint32_t *h = calloc(cap, sizeof *h);
        if (!h)
            return -ENOMEM;
        free(self->hash);
        self->hash = h;
        self->hashcap = cap;
        for (size_t i = 0; i < self->ndirty; i++)
            s_hash_insert(self, self->dirty[i].key, i);
    }
    kpi_dirty_t *d = &self->dirty[self->ndirty];
    d->key = strdup(t->key);
    if (!d->key)
        return -ENOMEM;
    d->existed = existed;
    int64_t v[6] = { t->ambition, t->realisation, t->projects, t->target, t->denominator,
                     t->count };
    memcpy(d->v, v, sizeof v);
    s_hash_insert(self, d->key, self->ndirty);
    self->ndirty++;
    return 0;
}

/* Append every total this event changed to the outbox, stamped with its seq. */
int kpi_dirty_flush(kpi_t *self, MDB_txn *txn)
{
    int rc = 0;
    for (size_t i = 0; i < self->ndirty && rc == 0; i++) {
        kpi_dirty_t *d = &self->dirty[i];
        kpi_total_t t;
        rc = kpi_total_load(self, txn, d->key, &t);
        if (rc != 0)
            break;
        int64_t v[6] = { t.ambition, t.realisation, t.projects, t.target, t.denominator,
                         t.count };
        if (d->existed && memcmp(v, d->v, sizeof v) == 0)
            continue;   /* touched, but back where it was: nothing to publish */
        if (!self->outbox)
            continue;
        t.seq = outbox_next_seq(self->outbox);
        if ((rc = kpi_total_store(self, txn, &t)) != 0)
            break;
        Mvoi__KpiTotal pb;
        kpi_total_to_pb(&t, &pb);
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
        env.kpi_total = &pb;
        env.buyer = t.buyer;
        uint64_t seq = 0;
        rc = outbox_append(self->outbox, txn, t.key, &env, &seq);
        if (rc == 0 && seq != t.seq) {
            log_error("kpi_seq_mismatch", "outbox gave seq %llu, expected %llu",
                      (unsigned long long)seq, (unsigned long long)t.seq);
            rc = -EIO;
        }
        self->stats.emitted++;
    }
    kpi_dirty_clear(self);
    return rc;
}

int kpi_event_end(kpi_t *self, MDB_txn *txn)
{
    return self->batch_flush ? 0 : kpi_dirty_flush(self, txn);
}

void kpi_set_batch_flush(kpi_t *self, bool on) { self->batch_flush = on; }

/* A transaction may be re-run (the map grew): start every attempt with a clean set. */
void kpi_batch_begin(kpi_t *self) { kpi_dirty_clear(self); }

int kpi_batch_end(kpi_t *self, MDB_txn *txn)
{
    return self->batch_flush ? kpi_dirty_flush(self, txn) : 0;
}
