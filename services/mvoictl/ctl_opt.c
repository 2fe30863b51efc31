/*  mvoictl: strict option values and operands. See ctl.h.
 *
 *  atoi() made "abc", "2025x" and "" into 0 or 2025, and 0 meant "the current year" or "no
 *  filter": a typo silently became another period's figures, reported with exit 0. Every
 *  number a user types goes through ctl_opt_int, which accepts a whole number in the range
 *  or names the option and exits 64. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* [-]digits only: no blanks, no '+', no "0x", nothing after the digits. */
static bool s_is_whole(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int ctl_parse_int(const char *text, long min, long max, long *out)
{
    if (!text || !s_is_whole(text))
        return -EINVAL;
    errno = 0;
    long v = strtol(text, NULL, 10);
    if (errno != 0 || v < min || v > max)   /* ERANGE: beyond long, so beyond max */
        return -ERANGE;
    *out = v;
    return 0;
}

int ctl_opt_int(const ctl_t *ctl, const char *name, const char *text, long min, long max,
                long *out)
{
    if (ctl_parse_int(text, min, max, out) != 0)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.opt_int", name, text ? text : "", min, max);
    return CTL_EX_OK;
}

int ctl_opt_u32(const ctl_t *ctl, const char *name, const char *text, long min, long max,
                uint32_t *out)
{
    long v = 0;
    int ex = ctl_opt_int(ctl, name, text, min, max, &v);
    if (ex == CTL_EX_OK)
        *out = (uint32_t)v;   /* min >= 0 and max <= UINT32_MAX at every call site */
    return ex;
}

int ctl_no_operands(const ctl_t *ctl, int argc, char **argv, int first)
{
    if (first < argc)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.extra_arg", argv[first]);
    return CTL_EX_OK;
}

int ctl_this_year(void)
{
    /* the Dutch year (a UTC machine said 2026 until 01:00 on 1 January 2027 in Heerlen) */
    char buf[32];
    ctl_nl_time(buf, sizeof buf, (int64_t)time(NULL) * 1000);
    return (int)strtol(buf, NULL, 10);
}
