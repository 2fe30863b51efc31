/*  codec_items: the encoded elements of a repeated message field of a request's body, and
 *  a check for a field at the top level of an encoded message.
 *
 *  The impact-calculator stores each measurement of a SubmitMeasurements and puts it into
 *  its ImpactEvent. Packing it again with protobuf-c (sizing every field, then writing it)
 *  was a tenth of a submit at 100 measurements a request, for bytes the client had already
 *  sent. These functions find those bytes; anything that is not the plain shape (the arm
 *  given twice, which protobuf-c merges; a group; bytes that do not parse) is reported as
 *  -1, so that the caller packs as before. They read only: the bytes were decoded already.
 */
#include "codec.h"

#include <stdbool.h>

/* A varint at *p (below end) into *v; false when it does not fit in 64 bits or runs off. */
static bool s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* One field at *p: its number, and for wire type 2 its payload; moves *p past it. false on
 * malformed bytes and on groups (wire types 3 and 4). */
static bool s_field(const uint8_t **p, const uint8_t *end, uint32_t *num, codec_slice_t *body)
{
    uint64_t tag, n;
    if (!s_varint(p, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return false;
    *num = (uint32_t)(tag >> 3);
    body->data = NULL;
    body->len = 0;
    switch (tag & 7) {
    case 0:
        return s_varint(p, end, &n);
    case 1:
        n = 8;
        break;
    case 5:
        n = 4;
        break;
    case 2:
        if (!s_varint(p, end, &n) || n > (uint64_t)(end - *p))
            return false;
        body->data = *p;
        body->len = (size_t)n;
        break;
    default:
        return false;
    }
    if (n > (uint64_t)(end - *p))
        return false;
    *p += n;
    return true;
}

int codec_arm_bytes(const uint8_t *env, size_t len, uint32_t arm, codec_slice_t *out)
{
    const uint8_t *p = env, *end = env + len;
    codec_slice_t body = { NULL, 0 }, f;
    int arms = 0;
    uint32_t num;
    while (p < end) {
        if (!s_field(&p, end, &num, &f))
            return -1;
        if (num == arm) {
            body = f;
            arms++;
        }
    }
    if (arms != 1 || !body.data)
        return -1;   /* absent, given twice (merged by protobuf-c), or not a message */
    *out = body;
    return 0;
}

int codec_arm_items(const uint8_t *env, size_t len, uint32_t arm, uint32_t field,
                    codec_slice_t *out, size_t cap)
{
    codec_slice_t body, f;
    uint32_t num;
    if (codec_arm_bytes(env, len, arm, &body) != 0)
        return -1;
    const uint8_t *p = body.data, *end = body.data + body.len;
    size_t n = 0;
    while (p < end) {
        if (!s_field(&p, end, &num, &f))
            return -1;
        if (num != field)
            continue;
        if (!f.data || n == cap)
            return -1;   /* not length-delimited: not a message; or more than expected */
        out[n++] = f;
    }
    return (int)n;
}

int codec_top_fields(const uint8_t *msg, size_t len, uint64_t *mask)
{
    const uint8_t *p = msg, *end = msg + len;
    codec_slice_t f;
    uint32_t n;
    *mask = 0;
    while (p < end) {
        if (!s_field(&p, end, &n, &f))
            return -1;
        *mask |= n < 64 ? 1ull << n : 1;
    }
    return 0;
}

int codec_batch_open(const uint8_t *env, size_t len, codec_slice_t *body)
{
    const uint8_t *p = env, *end = env + len;
    codec_slice_t f;
    uint32_t num;
    int arms = 0;
    body->data = NULL;
    body->len = 0;
    while (p < end) {
        if (!s_field(&p, end, &num, &f))
            return -1;
        if (num != MVOI__ENVELOPE__BODY_EVENT_BATCH)
            continue;
        if (!f.data || arms++)
            return -1;   /* not a message, or given twice (protobuf-c would merge them) */
        *body = f;
    }
    return arms;
}

int codec_batch_next(codec_slice_t *body, codec_slice_t *ev)
{
    const uint8_t *p = body->data, *end = body->data + body->len;
    codec_slice_t f;
    uint32_t num;
    while (p < end) {
        if (!s_field(&p, end, &num, &f))
            return -1;
        if (num != 1)
            continue;   /* a field added later: not ours to read */
        if (!f.data)
            return -1;
        body->len -= (size_t)(p - body->data);
        body->data = p;
        *ev = f;
        return 1;
    }
    body->data = end;
    body->len = 0;
    return 0;
}
