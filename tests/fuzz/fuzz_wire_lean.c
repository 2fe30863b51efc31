/*  fuzz_wire_lean: bus bytes -> wire_lean_unpack, held to codec_unpack_in: the same verdict
 *  and error, and (cut down to what wire_lean builds, see wire_lean.h) the same values,
 *  compared as protobuf-c packs them. Any difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "wire_lean.h"

static int s_kept(const ProtobufCMessageDescriptor *d)
{
    return d == &mvoi__envelope__descriptor || d == &mvoi__impact_event__descriptor ||
           d == &mvoi__measurement__descriptor || d == &mvoi__impact__descriptor ||
           d == &mvoi__pilot_status__descriptor;
}

/* What wire_lean does not build: repeated and unknown fields, other message types. */
static void s_strip(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    m->n_unknown_fields = 0;
    m->unknown_fields = NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *base = (char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            *(size_t *)(base + f->quantifier_offset) = 0;
            continue;
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        int oneof = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
        if (oneof && *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        ProtobufCMessage **sub = (ProtobufCMessage **)(base + f->offset);
        if (!s_kept(f->descriptor)) {
            *sub = NULL;
            if (oneof)
                *(uint32_t *)(base + f->quantifier_offset) = 0;
        } else if (*sub) {
            s_strip(*sub);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *a = arena_new(4096, 0), *b = arena_new(4096, 0);
    if (!a || !b)
        abort();
    int ea = 0, eb = 0;
    Mvoi__Envelope *full = codec_unpack_in(a, data, size, 0, &ea);
    Mvoi__Envelope *lean = wire_lean_unpack(b, data, size, 0, &eb);
    if (!full != !lean || ea != eb)
        abort();
    if (full) {
        s_strip(&full->base);
        s_strip(&lean->base);
        uint8_t *pa = NULL, *pb = NULL;
        size_t la = 0, lb = 0;
        if (codec_pack(full, &pa, &la) != 0 || codec_pack(lean, &pb, &lb) != 0 || la != lb ||
            memcmp(pa, pb, la) != 0)
            abort();
        free(pa);
        free(pb);
    }
    arena_destroy(&a);
    arena_destroy(&b);
    return 0;
}
