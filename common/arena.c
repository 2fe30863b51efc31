/*  arena: a bump allocator. See arena.h.
 *
 *  Blocks form a list, newest first; allocation takes from the newest. A reset frees every
 *  block but one: when one round needed several blocks, the kept block is replaced by one
 *  as large as that whole round (up to keep), so a steady load settles on a single block
 *  and no malloc at all.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer the unused part of a block is poisoned, so a use of arena memory
 * after arena_reset (or past the end of a piece's block) is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define S_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define S_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define S_POISON(p, n) ((void)(p), (void)(n))
#define S_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct s_block {
    struct s_block *next;
    size_t size, used;
    max_align_t data[];
} s_block_t;

struct arena_t {
    s_block_t *head;
    size_t block, keep;
    size_t used;        /* handed out this round */
};

#define ALIGN (_Alignof(max_align_t))

static s_block_t *s_block_new(size_t size)
{
    s_block_t *b = malloc(sizeof *b + size);
    if (b) {
        b->next = NULL;
        b->size = size;
        b->used = 0;
        S_POISON(b->data, size);
    }
    return b;
}

arena_t *arena_new(size_t block, size_t keep)
{
    arena_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->block = block ? block : 4096;
    self->keep = keep > self->block ? keep : self->block;
    return self;
}

static void s_free_blocks(s_block_t *b)
{
    while (b) {
        s_block_t *n = b->next;
        S_UNPOISON(b->data, b->size);
        free(b);
        b = n;
    }
}

void arena_destroy(arena_t **self_p)
{
    arena_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    s_free_blocks(self->head);
    free(self);
}

void *arena_alloc_raw(arena_t *self, size_t size)
{
    size_t need = (size + ALIGN - 1) & ~(ALIGN - 1);
    if (need < size)
        return NULL;   /* overflow */
    if (need == 0)
        need = ALIGN;
    s_block_t *b = self->head;
    if (!b || b->size - b->used < need) {
        size_t bs = need > self->block ? need : self->block;
        s_block_t *n = s_block_new(bs);
        if (!n)
            return NULL;
        n->next = b;
        self->head = b = n;
    }
    void *p = (uint8_t *)b->data + b->used;
    b->used += need;
    self->used += need;
    S_UNPOISON(p, size);
    return p;
}

void *arena_alloc(arena_t *self, size_t size)
{
    void *p = arena_alloc_raw(self, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void arena_reset(arena_t *self)
{
    s_block_t *b = self->head;
    if (!b)
        return;
    if (!b->next) {
        S_POISON(b->data, b->size);
        b->used = 0;
    } else {
        /* This round needed several blocks: one block of the round's size next time. */
        size_t want = self->used > self->keep ? self->keep : self->used;
        if (want < self->block)
            want = self->block;
        s_free_blocks(b);
        self->head = s_block_new(want);   /* NULL is fine: the next alloc retries */
    }
    if (self->head && self->head->size > self->keep) {
        s_free_blocks(self->head);
        self->head = NULL;
    }
    self->used = 0;
}

size_t arena_used(const arena_t *self) { return self->used; }

size_t arena_held(const arena_t *self)
{
    size_t n = 0;
    for (const s_block_t *b = self->head; b; b = b->next)
        n += b->size;
    return n;
}
