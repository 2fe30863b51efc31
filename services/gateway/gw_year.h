/*  gw_year: the current year as the municipality counts it (Europe/Amsterdam). */
#ifndef MVOI_GW_YEAR_H
#define MVOI_GW_YEAR_H

#include <stdint.h>

/* The year of today's date in Amsterdam at clock_now_ms() (tests install a fixed clock);
 * 0 when the clock is outside 1900..2999 (the caller refuses, it does not guess). Why not
 * the UTC year: from 00:00 to 01:00 on 1 January it is still the old year in UTC. */
uint32_t gw_year_now(void);

#endif
