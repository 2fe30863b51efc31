/*  buyers_profile: the benchmark keys of a buyer registry section (kind, inhabitants,
 *  purchasing volume, each figure with its year and public source). Internal to buyers.c. */
#ifndef MVOI_BUYERS_PROFILE_H
#define MVOI_BUYERS_PROFILE_H

#include <stddef.h>
#include "buyers.h"

/* 1 key handled, 0 not a profile key, -1 bad value (why says which and why). */
int mvoi_buyers_profile_key(mvoi_buyer_t *b, const char *key, const char *value,
                            char *why, size_t cap);
/* After the whole section: a figure needs its year and source, and they need the figure. */
int mvoi_buyers_profile_check(const mvoi_buyer_t *b, char *why, size_t cap);

#endif
