/*  calc_alloc: the memory of one computed Impact (calc.h: calc_impact, calc_impact_free).
 *
 *  An Impact, its factor array and its factor references (each with its four strings) were
 *  three to five mallocs and as many frees per measurement, a tenth of the calculation's
 *  time and most of its cache misses (perf, 100 measurements a request). They now share
 *  one block with room for CALC_INLINE_REFS references and their text, and the block of
 *  the last Impact freed is kept for the next (one per thread: the loop computes one Impact
 *  at a time). A reference beyond the room, or a longer text, is malloc'ed as before.
 */
#include "calc_internal.h"

#include <stdlib.h>
#include <string.h>

#define CALC_INLINE_REFS 4
#define CALC_INLINE_TEXT 1536

typedef struct {
    Mvoi__Impact impact;          /* first: the block is known by its Impact */
    Mvoi__FactorRef *ptrs[CALC_INLINE_REFS];
    Mvoi__FactorRef refs[CALC_INLINE_REFS];
    size_t text_used;
    char text[CALC_INLINE_TEXT];
} s_block_t;

static __thread s_block_t *s_spare;

Mvoi__Impact *calc_impact_alloc(void)
{
    s_block_t *b = s_spare;
    s_spare = NULL;
    if (!b && !(b = malloc(sizeof *b)))
        return NULL;
    mvoi__impact__init(&b->impact);
    b->text_used = 0;
    return &b->impact;
}

static bool s_inline(const s_block_t *b, const Mvoi__FactorRef *ref)
{
    return ref >= b->refs && ref < b->refs + CALC_INLINE_REFS;
}

Mvoi__FactorRef *calc_impact_ref(Mvoi__Impact *imp, size_t text, char **text_out)
{
    s_block_t *b = (s_block_t *) imp;
    size_t n = imp->n_factors;
    if (n == 0)
        imp->factors = b->ptrs;
    if (imp->factors == b->ptrs && n == CALC_INLINE_REFS) {
        Mvoi__FactorRef **a = malloc((n + 1) * sizeof *a);   /* beyond the room */
        if (!a)
            return NULL;
        memcpy(a, b->ptrs, n * sizeof *a);
        imp->factors = a;
    } else if (imp->factors != b->ptrs) {
        Mvoi__FactorRef **a = realloc(imp->factors, (n + 1) * sizeof *a);
        if (!a)
            return NULL;
        imp->factors = a;
    }
    Mvoi__FactorRef *ref;
    if (n < CALC_INLINE_REFS && text <= CALC_INLINE_TEXT - b->text_used) {
        ref = &b->refs[n];
        *text_out = b->text + b->text_used;
        b->text_used += text;
    } else {
        if (!(ref = malloc(sizeof *ref + text)))
            return NULL;
        *text_out = (char *) (ref + 1);
    }
    mvoi__factor_ref__init(ref);
    imp->factors[imp->n_factors++] = ref;   /* owned by the impact from here on */
    return ref;
}

void calc_impact_free(Mvoi__Impact **impact_p)
{
    if (!impact_p || !*impact_p)
        return;
    s_block_t *b = (s_block_t *) *impact_p;
    for (size_t i = 0; i < b->impact.n_factors; i++)
        if (!s_inline(b, b->impact.factors[i]))
            free(b->impact.factors[i]);   /* with its strings */
    if (b->impact.factors != b->ptrs)
        free(b->impact.factors);
    if (!s_spare)
        s_spare = b;
    else
        free(b);
    *impact_p = NULL;
}
