/*  csv_utf16: see csv_utf16.h. Such a file was taken for Windows-1252 (it is not UTF-8):
 *  "ÿþ" and a NUL after every ASCII letter, refused as "control character 0x00" in every
 *  cell, which told the adviser nothing about the file's encoding. Its mark states the
 *  encoding, so it is read as what it says it is. */
#include "csv_utf16.h"

#include <stdint.h>
#include <stdlib.h>

int csv_utf16_bom(const char *data, size_t len)
{
    const unsigned char *c = (const unsigned char *)data;
    if (len < 2)
        return 0;
    if (c[0] == 0xFF && c[1] == 0xFE)
        return CSV_UTF16_LE;
    if (c[0] == 0xFE && c[1] == 0xFF)
        return CSV_UTF16_BE;
    return 0;
}

/* Such a file without its mark was taken for Windows-1252 and refused as "control character
 * 0x00" in every cell. It is recognised (and refused by name, csv_text_prepare), not read:
 * the byte order would be inferred from the header's letters, and a file whose mark was
 * lost may have lost more on its way; saving it again as UTF-8 or with its BOM is cheap. */
int csv_utf16_unmarked(const char *data, size_t len)
{
    const unsigned char *c = (const unsigned char *)data;
    size_t units = 0, hi_nul = 0, lo_nul = 0;   /* NUL in the odd byte, in the even byte */
    for (size_t i = 0; i + 1 < len && units < 256; i += 2) {
        if ((c[i] == '\n' && c[i + 1] == 0) || (c[i] == 0 && c[i + 1] == '\n'))
            break;   /* the first line's end, in either order */
        units++;
        hi_nul += c[i + 1] == 0;
        lo_nul += c[i] == 0;
    }
    if (units < 2)
        return 0;
    if (lo_nul == 0 && hi_nul * 2 >= units)
        return CSV_UTF16_LE;
    if (hi_nul == 0 && lo_nul * 2 >= units)
        return CSV_UTF16_BE;
    return 0;
}

static size_t s_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *csv_utf16_to_utf8(const char *data, size_t len, int order, size_t *olen, bool *bad)
{
    const unsigned char *c = (const unsigned char *)data;
    size_t units = len / 2, n = 0;
    /* a unit is at most 3 bytes; a pair (two units) 4; the odd byte 1; the NUL */
    char *o = malloc(units * 3 + 2);
    *bad = false;
    if (!o)
        return NULL;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = order == CSV_UTF16_LE ? c[2 * i] | (uint32_t)c[2 * i + 1] << 8
                                           : (uint32_t)c[2 * i] << 8 | c[2 * i + 1];
        uint32_t v = 0;
        if (i + 1 < units)
            v = order == CSV_UTF16_LE ? c[2 * i + 2] | (uint32_t)c[2 * i + 3] << 8
                                      : (uint32_t)c[2 * i + 2] << 8 | c[2 * i + 3];
        if (u >= 0xD800 && u <= 0xDBFF && v >= 0xDC00 && v <= 0xDFFF) {
            n += s_put(o + n, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
            i++;
        } else if (u >= 0xD800 && u <= 0xDFFF) {
            o[n++] = (char)0xFF;
            *bad = true;
        } else {
            n += s_put(o + n, u);
        }
    }
    if (len % 2) {
        o[n++] = (char)0xFF;
        *bad = true;
    }
    o[n] = '\0';
    *olen = n;
    return o;
}
