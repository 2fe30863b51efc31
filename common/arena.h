/*  arena: a bump allocator for memory that dies together (one decoded message, one batch).
 *
 *  Decoding a protobuf-c message mallocs every string, submessage and array separately;
 *  with thousands of small messages a second that was the largest cost of the services
 *  after the disk. An arena hands out zeroed, max_align_t-aligned pieces of a few large
 *  blocks and takes everything back at once with arena_reset(). Not thread-safe.
 */
#ifndef MVOI_ARENA_H
#define MVOI_ARENA_H

#include <stddef.h>

typedef struct arena_t arena_t;

/* block: the size of the first block (the arena grows by blocks of at least this size);
 * keep: how much an arena may hold on to across resets (larger use is given back). */
arena_t *arena_new(size_t block, size_t keep);
void arena_destroy(arena_t **self_p);

/* size zeroed bytes, or NULL when the system allocator fails. Valid until arena_reset. */
void *arena_alloc(arena_t *self, size_t size);
/* The same without the zeroing, for a caller that writes every byte itself (a decoder
 * that initialises the message or copies the string): the memset was a tenth of a
 * decode. */
void *arena_alloc_raw(arena_t *self, size_t size);
/* Everything handed out is gone; memory is kept for the next round (up to keep). */
void arena_reset(arena_t *self);
/* Bytes handed out since the last reset. */
size_t arena_used(const arena_t *self);
/* Bytes of the blocks the arena holds now (what keeping it costs). */
size_t arena_held(const arena_t *self);

#endif
