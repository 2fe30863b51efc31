/*  numfmt: see numfmt.h. */
#include "numfmt.h"

#include <stdbool.h>
#include <stdio.h>

static const int64_t s_pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                   100000000, 1000000000 };

int numfmt_fixed(char *buf, size_t cap, int64_t v, int scale, int decimals,
                 numfmt_style_t style)
{
    if (scale < 0) scale = 0;
    if (scale > 9) scale = 9;
    if (decimals < 0) decimals = 0;
    if (decimals > 9) decimals = 9;
    /* Work on the magnitude in unsigned arithmetic so INT64_MIN is fine. */
    bool neg = v < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t ip, fp;     /* integer part and `decimals` digits of fraction */
    if (decimals >= scale) {
        ip = mag / (uint64_t)s_pow10[scale];
        fp = (mag % (uint64_t)s_pow10[scale]) * (uint64_t)s_pow10[decimals - scale];
    } else {
        /* Rounding happens here and only here: half away from zero. */
        uint64_t div = (uint64_t)s_pow10[scale - decimals];
        uint64_t q = mag / div, rem = mag % div;
        if (rem * 2 >= div)
            q++;
        ip = q / (uint64_t)s_pow10[decimals];
        fp = q % (uint64_t)s_pow10[decimals];
    }
    if (ip == 0 && fp == 0)
        neg = false;
    char sep = 0, dec = '.';
    switch (style) {
    case NUMFMT_NL: sep = '.'; dec = ','; break;
    case NUMFMT_EN: sep = ','; dec = '.'; break;
    case NUMFMT_DOT: break;
    case NUMFMT_COMMA: dec = ','; break;
    }
    char digits[24], tmp[48];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)ip);
    int n = 0;
    if (neg)
        tmp[n++] = '-';
    for (int i = 0; i < nd; i++) {
        tmp[n++] = digits[i];
        int left = nd - 1 - i;
        if (sep && left > 0 && left % 3 == 0)
            tmp[n++] = sep;
    }
    if (decimals > 0) {
        tmp[n++] = dec;
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%0*llu", decimals, (unsigned long long)fp);
    }
    tmp[n] = 0;
    return snprintf(buf, cap, "%s", tmp);
}

numfmt_style_t numfmt_style_text(text_lang_t lang)
{
    return lang == TEXT_EN ? NUMFMT_EN : NUMFMT_NL;
}
