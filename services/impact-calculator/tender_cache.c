/*  tender_cache: the projected tenders one write transaction has read. See tender_cache.h. */
#include "tender_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "mvoi_error.h"
#include "mvoi_id.h"
#include "store_undecodable.h"

#define S_SLOTS 256                 /* direct-mapped: a batch names few tenders */
#define S_BLOCK (16u << 10)
#define S_KEEP (256u << 10)         /* more than this in one transaction: start again */

typedef struct {
    const uint8_t *key;             /* buyer \0 tender id, in mem; NULL: empty slot */
    size_t klen;
    const Mvoi__Tender *tender;     /* NULL: not in the projection */
} s_slot_t;

struct impact_tcache {
    arena_t *mem;                   /* keys and unpacked tenders of this transaction */
    bool bound;
    size_t txn_id;
    unsigned long reads;
    s_slot_t slot[S_SLOTS];
};

impact_tcache_t *impact_tcache_new(void)
{
    impact_tcache_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->mem = arena_new(S_BLOCK, S_KEEP);
    if (!self->mem) {
        free(self);
        return NULL;
    }
    return self;
}

void impact_tcache_destroy(impact_tcache_t **self_p)
{
    impact_tcache_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    arena_destroy(&self->mem);
    free(self);
}

void impact_tcache_clear(impact_tcache_t *self)
{
    if (!self)
        return;
    arena_reset(self->mem);
    memset(self->slot, 0, sizeof self->slot);
    self->bound = false;
}

unsigned long impact_tcache_reads(const impact_tcache_t *self) { return self->reads; }

static void *s_alloc(void *d, size_t n) { return arena_alloc(d, n ? n : 1); }
static void s_free(void *d, void *p) { (void)d; (void)p; }

/* The slot of key, FNV-1a. */
static s_slot_t *s_slot(impact_tcache_t *self, const uint8_t *key, size_t klen)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < klen; i++)
        h = (h ^ key[i]) * 16777619u;
    return &self->slot[h % S_SLOTS];
}

const Mvoi__Tender *impact_tcache_get(impact_tcache_t *self, MDB_txn *txn, MDB_dbi tenders,
                                      const char *buyer, const char *id, int *rc)
{
    *rc = 0;
    size_t tid = mdb_txn_id(txn);
    if (!self->bound || self->txn_id != tid || arena_used(self->mem) > S_KEEP) {
        impact_tcache_clear(self);
        self->bound = true;
        self->txn_id = tid;
    }
    uint8_t k[MVOI_ID_KEY_MAX];
    size_t klen = mvoi_id_key2(k, sizeof k, buyer, id);
    if (!klen)
        return NULL;   /* no valid id is this long: never stored */
    s_slot_t *s = s_slot(self, k, klen);
    if (s->key && s->klen == klen && memcmp(s->key, k, klen) == 0)
        return s->tender;
    self->reads++;
    MDB_val key = { klen, k }, v;
    int r = mdb_get(txn, tenders, &key, &v);
    if (r != 0 && r != MDB_NOTFOUND) {
        *rc = r;
        return NULL;
    }
    Mvoi__Tender *t = NULL;
    if (r == 0) {
        ProtobufCAllocator a = { s_alloc, s_free, self->mem };
        t = (Mvoi__Tender *)codec_unpack_stored(&mvoi__tender__descriptor, &a, v.mv_data,
                                                v.mv_size, rc);
        if (!t) {   /* not "unknown" (a submit retried for ever): named; not kept */
            if (*rc == MVOI_E_UNDECODABLE)
                store_log_undecodable("tender", k, klen);
            return NULL;
        }
    }
    uint8_t *kc = arena_alloc(self->mem, klen);
    if (kc) {
        memcpy(kc, k, klen);
        *s = (s_slot_t){ kc, klen, t };
    }
    return t;
}
