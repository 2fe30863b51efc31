/*  clock: wall-clock time that tests can replace. Used from the loop thread only. */
#include "clock.h"

#include <stdio.h>
#include <time.h>

static clock_fn *s_fn;
static void *s_arg;
static int64_t s_fixed_ms;

static int64_t s_fixed(void *arg)
{
    (void) arg;
    return s_fixed_ms;
}

int64_t clock_now_ms(void)
{
    if (s_fn)
        return s_fn(s_arg);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void clock_set_source(clock_fn *fn, void *arg)
{
    s_fn = fn;
    s_arg = arg;
}

void clock_set_fixed(int64_t now_ms)
{
    s_fixed_ms = now_ms;
    clock_set_source(s_fixed, NULL);
}

/* Moves the fixed clock; without a fixed clock installed it does nothing. */
void clock_advance_ms(int64_t delta_ms)
{
    if (s_fn == s_fixed)
        s_fixed_ms += delta_ms;
}

void clock_format_rfc3339(int64_t ms, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    /* Floor division so that times before 1970 format correctly too. */
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec -= 1;
    }
    time_t t = (time_t) sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "invalid-time");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) rem);
}
