/*  fuzz_codec_lean: bus bytes -> codec_lean_unpack, held to protobuf-c on the same bytes.
 *  Whenever the lean decoder builds an envelope, codec_unpack (protobuf-c alone) decodes the
 *  bytes too, to a message that packs to the same bytes, and codec_unpack_in (which tries
 *  the lean decoder first) gives the same verdict and error as codec_unpack on any input;
 *  when it says every string is valid, mvoi_id_msg_check_wire finds none that is not. On
 *  any bytes it reads nothing outside them (ASan). Any difference aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "mvoi_id_msg.h"

static uint8_t *s_pack(const Mvoi__Envelope *e, size_t *len)
{
    *len = mvoi__envelope__get_packed_size(e);
    uint8_t *b = malloc(*len ? *len : 1);
    if (!b)
        abort();
    mvoi__envelope__pack(e, b);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t *a = arena_new(4096, 0);
    if (!a)
        abort();
    int perr = 0, err = 0;
    Mvoi__Envelope *pc = codec_unpack(data, size, 0, &perr);
    bool ok = false;
    Mvoi__Envelope *lean = codec_lean_unpack(a, data, size, 0, &ok);
    char field[MVOI_ID_FIELD_MAX], why[128];
    if (ok && mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, data, size, field,
                                     sizeof field, why, sizeof why, NULL) != 0)
        abort();   /* said valid, yet the check of the bytes finds a bad string */
    if (lean) {
        if (!pc && perr != -ENOMSG)
            abort();   /* lean took what protobuf-c refuses */
        Mvoi__Envelope *ref = pc ? pc : mvoi__envelope__unpack(NULL, size, data);
        if (!ref)
            abort();
        size_t la, lb;
        uint8_t *pa = s_pack(lean, &la), *pb = s_pack(ref, &lb);
        if (la != lb || memcmp(pa, pb, la) != 0)
            abort();
        free(pa);
        free(pb);
        if (ref != pc)
            mvoi__envelope__free_unpacked(ref, NULL);
    }
    Mvoi__Envelope *in = codec_unpack_in(a, data, size, 0, &err);
    if ((in != NULL) != (pc != NULL) || err != perr)
        abort();
    codec_free(&pc);
    arena_destroy(&a);
    return 0;
}
