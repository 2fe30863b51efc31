/*  vecstate: the upper halves of the CPU's vector registers, put back to unused after a
 *  library routine that leaves them in use.
 *
 *  x86 keeps the upper 128 bits of the YMM registers and the upper 256 of the ZMM
 *  registers as state of their own. Code built for AVX ends with VZEROUPPER to mark them
 *  unused again; code that does not leaves every later legacy-SSE instruction (the 16-byte
 *  struct copies and zeroings the compiler emits all over a service built for baseline
 *  x86-64) paying the CPU's transition penalty, until something clears them. ISA-L's
 *  CRC-32 (crc32_gzip_refl, its AVX-512 carry-less-multiply variant where the CPU has it)
 *  returns with both in use (vecstate_upper_in_use says so after it). One call per WAL
 *  record left a whole batch of the impact-calculator running in that state
 *  (docs/latency.md, eleventh session).
 */
#ifndef MVOI_VECSTATE_H
#define MVOI_VECSTATE_H

/* Mark the upper halves unused (VZEROUPPER) where the CPU has AVX; else nothing. Cheap:
 * call it after each call into such a routine. */
void vecstate_clear(void);

/* 1: the YMM or ZMM upper halves are in use now (XGETBV with ECX=1, XINUSE bits 2 and 6);
 * 0: not; -1: the CPU cannot tell (no XGETBV ECX=1) or is not x86. For tests. */
int vecstate_upper_in_use(void);

#endif
