/*  gw_view: Clone view of the KPI totals (gw_view.h). Open addressing on FNV-1a, by key
 *  and by buyer: a request for one buyer walks that buyer's totals only, so its cost does
 *  not grow with the number of buyers the view holds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gw_view.h"

typedef struct {
    char *buyer;
    const gw_total_t **items;   /* this buyer's totals, insertion order */
    size_t n, cap;
} s_bucket_t;

struct gw_view_t {
    gw_total_t **items;   /* insertion order */
    size_t n, cap;
    size_t *slots;        /* index + 1 into items; 0 = empty */
    size_t nslots;
    s_bucket_t *buckets;  /* one per buyer */
    size_t nbuckets, capbuckets;
    size_t *bslots;       /* index + 1 into buckets; 0 = empty */
    size_t nbslots;
    uint64_t head, base, epoch;
    uint64_t incarnation;   /* of the snapshot the view was taken from (gw_sse_frame.h) */
};

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

gw_view_t *gw_view_new(void)
{
    gw_view_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->nslots = 64;
    self->slots = calloc(self->nslots, sizeof *self->slots);
    self->nbslots = 16;
    self->bslots = calloc(self->nbslots, sizeof *self->bslots);
    if (!self->slots || !self->bslots) {
        free(self->slots);
        free(self->bslots);
        free(self);
        return NULL;
    }
    return self;
}

static void s_total_free(gw_total_t *t)
{
    if (!t)
        return;
    free(t->key);
    free(t->buyer);
    free(t->json);
    free(t);
}

void gw_view_destroy(gw_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_view_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_total_free(self->items[i]);
    for (size_t i = 0; i < self->nbuckets; i++) {
        free(self->buckets[i].buyer);
        free(self->buckets[i].items);
    }
    free(self->buckets);
    free(self->bslots);
    free(self->items);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

static size_t *s_find(gw_view_t *self, const char *key)
{
    size_t mask = self->nslots - 1;
    for (size_t i = s_hash(key) & mask;; i = (i + 1) & mask) {
        size_t *s = &self->slots[i];
        if (*s == 0 || strcmp(self->items[*s - 1]->key, key) == 0)
            return s;
    }
}

static int s_grow(gw_view_t *self)
{
    size_t ns = self->nslots * 2;
    size_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    free(self->slots);
    self->slots = slots;
    self->nslots = ns;
    for (size_t i = 0; i < self->n; i++)
        *s_find(self, self->items[i]->key) = i + 1;
    return 0;
}

static size_t *s_bfind(gw_view_t *self, const char *buyer)
{
    size_t mask = self->nbslots - 1;
    for (size_t i = s_hash(buyer) & mask;; i = (i + 1) & mask) {
        size_t *s = &self->bslots[i];
        if (*s == 0 || strcmp(self->buckets[*s - 1].buyer, buyer) == 0)
            return s;
    }
}

static s_bucket_t *s_bucket(gw_view_t *self, const char *buyer)
{
    size_t *s = s_bfind(self, buyer ? buyer : "");
    return *s ? &self->buckets[*s - 1] : NULL;
}

/* Files t under its buyer (a new bucket for a new buyer). */
static int s_bucket_add(gw_view_t *self, const gw_total_t *t)
{
    size_t *slot = s_bfind(self, t->buyer);
    if (!*slot) {
        if ((self->nbuckets + 1) * 4 > self->nbslots * 3) {
            size_t ns = self->nbslots * 2;
            size_t *bs = calloc(ns, sizeof *bs);
            if (!bs)
                return -ENOMEM;
            free(self->bslots);
            self->bslots = bs;
            self->nbslots = ns;
            for (size_t i = 0; i < self->nbuckets; i++)
                *s_bfind(self, self->buckets[i].buyer) = i + 1;
            slot = s_bfind(self, t->buyer);
        }
        if (self->nbuckets == self->capbuckets) {
            size_t cap = self->capbuckets ? self->capbuckets * 2 : 8;
            s_bucket_t *b = realloc(self->buckets, cap * sizeof *b);
            if (!b)
                return -ENOMEM;
            self->buckets = b;
            self->capbuckets = cap;
        }
        s_bucket_t *b = &self->buckets[self->nbuckets];
        memset(b, 0, sizeof *b);
        if (!(b->buyer = strdup(t->buyer)))
            return -ENOMEM;
        *slot = ++self->nbuckets;
    }
    s_bucket_t *b = &self->buckets[*slot - 1];
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        const gw_total_t **it = realloc(b->items, cap * sizeof *it);
        if (!it)
            return -ENOMEM;
        b->items = it;
        b->cap = cap;
    }
    b->items[b->n++] = t;
    return 0;
}

int gw_view_put(gw_view_t *self, const char *key, const char *buyer, uint64_t seq,
                const char *json, size_t json_len)
{
    size_t *slot = s_find(self, key);
    if (*slot) {
        gw_total_t *t = self->items[*slot - 1];
        if (seq <= t->seq)
            return 0;
        char *j = malloc(json_len + 1);
        if (!j)
            return -ENOMEM;
        memcpy(j, json, json_len);
        j[json_len] = '\0';
        free(t->json);
        t->json = j;
        t->json_len = json_len;
        t->seq = seq;
        if (seq > self->head)
            self->head = seq;
        return 1;
    }
    if ((self->n + 1) * 4 > self->nslots * 3) {
        if (s_grow(self) < 0)
            return -ENOMEM;
        slot = s_find(self, key);
    }
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        gw_total_t **it = realloc(self->items, cap * sizeof *it);
        if (!it)
            return -ENOMEM;
        self->items = it;
        self->cap = cap;
    }
    gw_total_t *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->key = strdup(key);
    t->buyer = strdup(buyer ? buyer : "");
    t->json = malloc(json_len + 1);
    if (!t->key || !t->buyer || !t->json) {
        s_total_free(t);
        return -ENOMEM;
    }
    memcpy(t->json, json, json_len);
    t->json[json_len] = '\0';
    t->json_len = json_len;
    t->seq = seq;
    if (s_bucket_add(self, t) < 0) {
        s_total_free(t);
        return -ENOMEM;
    }
    self->items[self->n++] = t;
    *slot = self->n;
    if (seq > self->head)
        self->head = seq;
    return 1;
}

const gw_total_t *gw_view_get(gw_view_t *self, const char *key)
{
    size_t *slot = s_find(self, key);
    return *slot ? self->items[*slot - 1] : NULL;
}

size_t gw_view_count(gw_view_t *self) { return self->n; }
const gw_total_t *gw_view_at(gw_view_t *self, size_t i) { return i < self->n ? self->items[i] : NULL; }
uint64_t gw_view_head(gw_view_t *self) { return self->head; }
void gw_view_set_head(gw_view_t *self, uint64_t head) { self->head = head; }
uint64_t gw_view_base(gw_view_t *self) { return self->base; }
void gw_view_set_base(gw_view_t *self, uint64_t base) { self->base = base; }
uint64_t gw_view_epoch(gw_view_t *self) { return self->epoch; }
void gw_view_set_epoch(gw_view_t *self, uint64_t epoch) { self->epoch = epoch; }
uint64_t gw_view_incarnation(gw_view_t *self) { return self->incarnation; }
void gw_view_set_incarnation(gw_view_t *self, uint64_t inc) { self->incarnation = inc; }

bool gw_total_match(const gw_total_t *t, const char *buyer, const char *prefix)
{
    if (buyer && *buyer && strcmp(t->buyer, buyer) != 0)
        return false;
    if (prefix && *prefix && strncmp(t->key, prefix, strlen(prefix)) != 0)
        return false;
    return true;
}

static int s_by_seq(const void *a, const void *b)
{
    const gw_total_t *x = *(const gw_total_t *const *)a, *y = *(const gw_total_t *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int s_by_key(const void *a, const void *b)
{
    const gw_total_t *x = *(const gw_total_t *const *)a, *y = *(const gw_total_t *const *)b;
    return strcmp(x->key, y->key);
}

/* The totals a request for buyer has to look at: its bucket, or all without a buyer. */
static const gw_total_t *const *s_scope(gw_view_t *self, const char *buyer, size_t *n)
{
    if (!buyer || !*buyer) {
        *n = self->n;
        return (const gw_total_t *const *)self->items;
    }
    s_bucket_t *b = s_bucket(self, buyer);
    *n = b ? b->n : 0;
    return b ? b->items : NULL;
}

long gw_view_since(gw_view_t *self, uint64_t after, const char *buyer,
                   const gw_total_t ***out)
{
    size_t n = 0;
    const gw_total_t *const *in = s_scope(self, buyer, &n);
    const gw_total_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i]->seq > after)
            v[k++] = in[i];
    qsort(v, (size_t)k, sizeof *v, s_by_seq);
    *out = v;
    return k;
}

int gw_view_render(gw_view_t *self, const char *buyer, const char *prefix, gw_buf_t *out)
{
    size_t n = 0;
    const gw_total_t *const *in = s_scope(self, buyer, &n);
    const gw_total_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (gw_total_match(in[i], NULL, prefix))
            v[k++] = in[i];
    qsort(v, k, sizeof *v, s_by_key);
    int rc = gw_buf_printf(out, "{\"seq\":%llu,\"epoch\":%llu,\"count\":%zu,\"totals\":[",
                           (unsigned long long)self->head, (unsigned long long)self->epoch, k);
    for (size_t i = 0; rc == 0 && i < k; i++) {
        if (i)
            rc = gw_buf_append(out, ",", 1);
        if (rc == 0)
            rc = gw_buf_append(out, v[i]->json, v[i]->json_len);
    }
    if (rc == 0)
        rc = gw_buf_puts(out, "]}");
    free(v);
    return rc;
}
