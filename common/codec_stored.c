/*  codec_stored: a stored record unpacked, telling bytes that are no such message from an
 *  allocation that failed. See codec.h (codec_unpack_stored). */
#include "codec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mvoi_error.h"

typedef struct {
    ProtobufCAllocator *base;   /* NULL: malloc and free, as protobuf-c's default */
    bool oom;                   /* an allocation failed while unpacking */
} s_flagged_t;

static void *s_alloc(void *d, size_t n)
{
    s_flagged_t *f = d;
    void *p = f->base ? f->base->alloc(f->base->allocator_data, n) : malloc(n ? n : 1);
    if (!p)
        f->oom = true;
    return p;
}

static void s_free(void *d, void *p)
{
    s_flagged_t *f = d;
    if (f->base)
        f->base->free(f->base->allocator_data, p);
    else
        free(p);
}

ProtobufCMessage *codec_unpack_stored(const ProtobufCMessageDescriptor *d,
                                      ProtobufCAllocator *base, const void *data, size_t len,
                                      int *rc)
{
    s_flagged_t f = { base, false };
    ProtobufCAllocator a = { s_alloc, s_free, &f };
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &a, len, data);
    *rc = m ? 0 : f.oom ? -ENOMEM : MVOI_E_UNDECODABLE;
    return m;
}
