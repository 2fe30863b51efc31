/*  nt_util: see nt_util.h. */
#include "nt_util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static int s_grow(nt_buf_t *b, size_t more)
{
    if (b->err)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->err = -ENOMEM;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void nt_buf_put(nt_buf_t *b, const void *p, size_t n)
{
    if (s_grow(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void nt_buf_puts(nt_buf_t *b, const char *s) { nt_buf_put(b, s, strlen(s)); }

void nt_buf_vprintf(nt_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || s_grow(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void nt_buf_printf(nt_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void nt_buf_html(nt_buf_t *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': nt_buf_puts(b, "&amp;"); break;
        case '<': nt_buf_puts(b, "&lt;"); break;
        case '>': nt_buf_puts(b, "&gt;"); break;
        case '"': nt_buf_puts(b, "&quot;"); break;
        case '\'': nt_buf_puts(b, "&#39;"); break;
        default: nt_buf_put(b, s, 1);
        }
    }
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void nt_buf_base64(nt_buf_t *b, const void *p, size_t n, int wrap)
{
    const uint8_t *s = p;
    int col = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = { s_b64[v >> 18 & 63], s_b64[v >> 12 & 63],
                      i + 1 < n ? s_b64[v >> 6 & 63] : '=', i + 2 < n ? s_b64[v & 63] : '=' };
        nt_buf_put(b, q, 4);
        col += 4;
        if (wrap && col >= 76) {
            nt_buf_puts(b, "\r\n");
            col = 0;
        }
    }
    if (wrap && col)
        nt_buf_puts(b, "\r\n");
}

void nt_buf_free(nt_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

long nt_base64_decode(const char *in, size_t len, uint8_t *out)
{
    uint32_t v = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '=' || c == '\r' || c == '\n')
            continue;
        const char *p = strchr(s_b64, c);
        if (!p || !c)
            return -1;
        v = v << 6 | (uint32_t)(p - s_b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(v >> bits);
        }
    }
    return n;
}

void nt_sha256_hex(const char *s, char *out, size_t hexlen)
{
    uint8_t md[32];
    SHA256((const unsigned char *)s, strlen(s), md);
    if (hexlen > 64)
        hexlen = 64;
    for (size_t i = 0; i < hexlen; i++)
        out[i] = "0123456789abcdef"[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[hexlen] = 0;
}

int nt_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                   uint8_t out[32])
{
    unsigned int ol = 32;
    return HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &ol) ? 0 : -EIO;
}

void nt_mail_file_name(const char *id, char out[NT_FILE_NAME_MAX])
{
    size_t k = 0;
    for (const char *p = id; *p && k < NT_FILE_STEM; p++) {
        char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_';
        out[k++] = keep ? c : '_';
    }
    char hex[17];
    nt_sha256_hex(id, hex, 16);
    snprintf(out + k, NT_FILE_NAME_MAX - k, "-%s.eml", hex);
}
