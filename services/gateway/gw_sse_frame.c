/*  gw_sse_frame: the wire form of one Server-Sent Event (gw_sse_frame.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "gw_buf.h"
#include "gw_sse_frame.h"

int gw_sse_format(char **out, size_t *len, const gw_sse_pos_t *pos, const char *event,
                  const char *data, size_t data_len)
{
    gw_buf_t b = { 0 };
    int rc = 0;
    if (pos)
        rc |= gw_buf_printf(&b, "id: %" PRIu64 "-%" PRIu64 "-%" PRIu64 "\n", pos->epoch,
                            pos->incarnation, pos->seq);
    if (event)
        rc |= gw_buf_printf(&b, "event: %s\n", event);
    /* data never contains a newline here (compact JSON); split defensively anyway */
    const char *p = data, *end = data + data_len;
    do {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        rc |= gw_buf_puts(&b, "data: ");
        rc |= gw_buf_append(&b, p, (size_t)(e - p));
        rc |= gw_buf_puts(&b, "\n");
        p = nl ? nl + 1 : end;
    } while (p < end);
    rc |= gw_buf_puts(&b, "\n");
    if (rc) {
        gw_buf_free(&b);
        return -ENOMEM;
    }
    *out = gw_buf_take(&b, len);
    return 0;
}

/* One uint64 of decimal digits, s[0..n). No sign, no space, no overflow; at least a digit. */
static int s_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int gw_sse_id_parse(const char *s, gw_sse_pos_t *pos)
{
    *pos = (gw_sse_pos_t){ 0 };
    size_t n = s ? strnlen(s, GW_SSE_ID_MAX + 1) : 0;
    if (n == 0 || n > GW_SSE_ID_MAX)
        return -EINVAL;
    const char *d1 = memchr(s, '-', n);
    const char *d2 = d1 ? memchr(d1 + 1, '-', n - (size_t)(d1 + 1 - s)) : NULL;
    if (!d2)
        return -EINVAL;
    const char *end = s + n;
    gw_sse_pos_t p = { .have = true };
    if (s_u64(s, (size_t)(d1 - s), &p.epoch) < 0 ||
        s_u64(d1 + 1, (size_t)(d2 - d1 - 1), &p.incarnation) < 0 ||
        s_u64(d2 + 1, (size_t)(end - d2 - 1), &p.seq) < 0)   /* a third '-' is no digit */
        return -EINVAL;
    *pos = p;
    return 0;
}
