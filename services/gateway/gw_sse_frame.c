/*  gw_sse_frame: the wire form of one Server-Sent Event (gw_sse_frame.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "gw_buf.h"
#include "gw_sse_frame.h"

int gw_sse_format(char **out, size_t *len, uint64_t id, const char *event, const char *data,
                  size_t data_len)
{
    gw_buf_t b = { 0 };
    int rc = 0;
    if (id)
        rc |= gw_buf_printf(&b, "id: %" PRIu64 "\n", id);
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
