/*  nt_util: small helpers of the notifier: base64, SHA-256/HMAC (OpenSSL), a growable
 *  buffer, HTML escaping. */
#ifndef MVOI_NT_UTIL_H
#define MVOI_NT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len, cap;
    int err;          /* sticky -ENOMEM */
} nt_buf_t;

void nt_buf_put(nt_buf_t *b, const void *p, size_t n);
void nt_buf_puts(nt_buf_t *b, const char *s);
void nt_buf_printf(nt_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nt_buf_vprintf(nt_buf_t *b, const char *fmt, va_list ap);
/* Appends s with & < > " ' escaped. */
void nt_buf_html(nt_buf_t *b, const char *s);
/* Appends base64 of p, lines of 76 characters ending in CRLF when wrap is set. */
void nt_buf_base64(nt_buf_t *b, const void *p, size_t n, int wrap);
void nt_buf_free(nt_buf_t *b);

/* Standard base64 decode; returns length or -1. out must hold 3*len/4 bytes. */
long nt_base64_decode(const char *in, size_t len, uint8_t *out);
/* Lowercase hex of SHA-256(s), first hexlen characters (<= 64) into out[hexlen+1]. */
void nt_sha256_hex(const char *s, char *out, size_t hexlen);
/* The file name of a mail written as a file (no SMTP URL): the id's characters outside
 * [A-Za-z0-9._-] as '_', at most NT_FILE_STEM of them, then '-' and 16 hex of SHA-256 of
 * the whole id, then ".eml". The same id always gives the same name (a resend replaces its
 * file); ids that read alike once cleaned or cut ("venlo/x_T0001/..", "venlo_x/T0001/..")
 * do not share one. out holds NT_FILE_NAME_MAX bytes. */
#define NT_FILE_STEM 160
#define NT_FILE_NAME_MAX (NT_FILE_STEM + 1 + 16 + 4 + 1)
void nt_mail_file_name(const char *id, char out[NT_FILE_NAME_MAX]);
/* HMAC-SHA256; out 32 bytes. */
int nt_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                   uint8_t out[32]);

#endif
