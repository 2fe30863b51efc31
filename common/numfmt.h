/*  numfmt: the one place where integers become text for people (reports, mvoictl).
 *
 *  Figures are exact integers in a fixed unit (grams, cents); numfmt_fixed shows
 *  v / 10^scale with `decimals` decimals. Rounding happens here and only here: half away
 *  from zero. No floating point, so INT64_MIN..INT64_MAX print exactly.
 */
#ifndef MVOI_NUMFMT_H
#define MVOI_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

typedef enum {
    NUMFMT_NL = 0,      /* 1.234,567  (Dutch text) */
    NUMFMT_EN = 1,      /* 1,234.567  (English text) */
    NUMFMT_DOT = 2,     /* 1234.567   (machine: RFC 4180 CSV, JSON strings) */
    NUMFMT_COMMA = 3,   /* 1234,567   (Dutch Excel CSV) */
} numfmt_style_t;

/* v / 10^scale (scale 0..9) with decimals 0..9 (decimals <= scale: rounded half away from
 * zero; decimals > scale: zero-padded), grouped per style. Returns the length written
 * (snprintf's: buf is always terminated; cap >= 32 is always enough). */
int numfmt_fixed(char *buf, size_t cap, int64_t v, int scale, int decimals,
                 numfmt_style_t style);
/* The grouping of running text in a language. */
numfmt_style_t numfmt_style_text(text_lang_t lang);

#endif
