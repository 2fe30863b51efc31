/*  vecstate: see vecstate.h. */
#include "vecstate.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

/* Built for AVX on its own: the rest of the library stays baseline x86-64, and this runs
 * only where __builtin_cpu_supports found AVX (VZEROUPPER faults without it). */
__attribute__((target("avx"))) static void s_zeroupper(void)
{
    _mm256_zeroupper();
}

void vecstate_clear(void)
{
    if (__builtin_cpu_supports("avx"))
        s_zeroupper();
}

int vecstate_upper_in_use(void)
{
    unsigned a, b, c, d;
    /* XGETBV needs OSXSAVE (CPUID 1: ECX bit 27); ECX=1 needs CPUID 0xD.1: EAX bit 2. */
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)))
        return -1;
    if (__get_cpuid_max(0, NULL) < 0xd)
        return -1;
    __cpuid_count(0xd, 1, a, b, c, d);
    if (!(a & (1u << 2)))
        return -1;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
    return (lo & ((1u << 2) | (1u << 6))) != 0;
}
#else
void vecstate_clear(void) {}
int vecstate_upper_in_use(void) { return -1; }
#endif
