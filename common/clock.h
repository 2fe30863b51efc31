/*  clock: wall-clock time that tests can replace.
 *
 *  Everything that depends on "now" (event stamps, reminders, quarter boundaries) asks
 *  clock_now_ms(). Tests install a fixed or manually advanced clock.
 */
#ifndef MVOI_CLOCK_H
#define MVOI_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t (clock_fn)(void *arg);

int64_t clock_now_ms(void);          /* Unix ms, UTC */
int64_t clock_mono_ns(void);         /* CLOCK_MONOTONIC, for durations only */
/* Install a source; fn == NULL restores the system clock. */
void clock_set_source(clock_fn *fn, void *arg);
/* A fixed clock that only moves through clock_advance_ms(). */
void clock_set_fixed(int64_t now_ms);
void clock_advance_ms(int64_t delta_ms);
/* RFC 3339 UTC with milliseconds: "2026-11-28T05:28:13.123Z"; buf >= 32 bytes. */
void clock_format_rfc3339(int64_t ms, char *buf, size_t len);

#endif
