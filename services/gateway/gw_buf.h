/*  gw_buf: a growable byte buffer with a read offset (SSE queues, response bodies). */
#ifndef MVOI_GW_BUF_H
#define MVOI_GW_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;    /* bytes written */
    size_t off;    /* bytes already consumed */
    size_t cap;
} gw_buf_t;

int gw_buf_append(gw_buf_t *b, const void *p, size_t n);
int gw_buf_puts(gw_buf_t *b, const char *s);
int gw_buf_printf(gw_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unconsumed bytes. */
static inline size_t gw_buf_avail(const gw_buf_t *b) { return b->len - b->off; }
/* Consume n bytes; compacts when everything was read. */
void gw_buf_consume(gw_buf_t *b, size_t n);
void gw_buf_reset(gw_buf_t *b);
void gw_buf_free(gw_buf_t *b);
/* Take ownership of the NUL-terminated contents (the buffer becomes empty). */
char *gw_buf_take(gw_buf_t *b, size_t *len);

#endif
