/*  arena: alignment, zeroing, growth past a block, reset and reuse, huge requests. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

Test(arena, pieces_are_aligned_zeroed_and_disjoint)
{
    arena_t *a = arena_new(256, 4096);
    cr_assert_not_null(a);
    uint8_t *prev = NULL;
    size_t prev_len = 0;
    for (size_t n = 1; n < 200; n += 13) {
        uint8_t *p = arena_alloc(a, n);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0, "piece of %zu not aligned", n);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(p[i], 0, "byte %zu of a piece of %zu is not zero", i, n);
        memset(p, 0xAB, n);            /* must not reach the previous piece */
        if (prev)
            for (size_t i = 0; i < prev_len; i++)
                cr_assert_eq(prev[i], 0xCD);
        memset(p, 0xCD, n);
        prev = p;
        prev_len = n;
    }
    arena_destroy(&a);
    cr_assert_null(a);
}

Test(arena, grows_past_a_block_and_counts_use)
{
    arena_t *a = arena_new(128, 1 << 20);
    size_t want = 0;
    for (int i = 0; i < 1000; i++) {
        cr_assert_not_null(arena_alloc(a, 100));
        want += (100 + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) *
                _Alignof(max_align_t);
    }
    cr_assert_eq(arena_used(a), want);
    uint8_t *big = arena_alloc(a, 100000);   /* larger than a block: a block of its own */
    cr_assert_not_null(big);
    big[99999] = 1;
    arena_destroy(&a);
}

Test(arena, reset_reuses_memory_and_zeroes_again)
{
    arena_t *a = arena_new(4096, 1 << 20);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 300; i++) {     /* ~300 x 64 B: several 4 KiB blocks */
            uint8_t *p = arena_alloc(a, 64);
            cr_assert_not_null(p);
            for (int k = 0; k < 64; k++)
                cr_assert_eq(p[k], 0, "round %d: stale byte after reset", round);
            memset(p, 0xFF, 64);
        }
        arena_reset(a);
        cr_assert_eq(arena_used(a), 0);
    }
    arena_destroy(&a);
}

Test(arena, zero_size_and_overflow)
{
    arena_t *a = arena_new(64, 64);
    cr_assert_not_null(arena_alloc(a, 0), "a zero-size piece is a valid pointer");
    cr_assert_null(arena_alloc(a, SIZE_MAX - 3), "a size that overflows is refused");
    arena_reset(a);
    arena_destroy(&a);
    arena_destroy(&a);   /* a second destroy of the NULLed pointer is harmless */
}

/* arena_alloc_raw hands out the same aligned, disjoint pieces without the memset; a later
 * arena_alloc over the same (dirtied) memory is still zeroed. */
Test(arena, raw_pieces_share_the_blocks_and_zeroed_ones_stay_zeroed)
{
    arena_t *a = arena_new(4096, 1 << 20);
    cr_assert_not_null(a);
    uint8_t *r = arena_alloc_raw(a, 100), *z = arena_alloc(a, 100);
    cr_assert_not_null(r);
    cr_assert_not_null(z);
    cr_assert_eq((uintptr_t)r % _Alignof(max_align_t), 0);
    cr_assert_eq((uintptr_t)z % _Alignof(max_align_t), 0);
    cr_assert(z >= r + 100, "a raw piece and the next overlap");
    cr_assert_eq(arena_used(a), 2 * ((100 + _Alignof(max_align_t) - 1) &
                                     ~(_Alignof(max_align_t) - 1)));
    memset(r, 0xFF, 100);
    memset(z, 0xFF, 100);
    arena_reset(a);
    uint8_t *again = arena_alloc(a, 200);   /* the same block, dirtied by both */
    cr_assert_eq(again, r, "the block is not reused after a reset");
    for (int k = 0; k < 200; k++)
        cr_assert_eq(again[k], 0, "byte %d of a zeroed piece over raw memory", k);
    cr_assert_null(arena_alloc_raw(a, SIZE_MAX - 3), "a size that overflows is refused");
    arena_destroy(&a);
}
