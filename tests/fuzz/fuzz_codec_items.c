/*  fuzz_codec_items: bus bytes -> codec_arm_items, held to codec_unpack_in. Whenever the
 *  bytes decode to an Envelope whose body is SubmitMeasurements and codec_arm_items gives a
 *  count, the count is the decoded number of measurements and every slice decodes to the
 *  measurement protobuf-c decoded at that place (compared as protobuf-c packs them); and the
 *  impact-calculator's stored form (the slice, then buyer and revision, when the slice has
 *  neither, as codec_top_fields says in agreement with protobuf-c) decodes to that
 *  measurement with buyer and revision set. On any bytes neither
 *  function reads outside them (ASan). Any difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"

static uint8_t *s_pack(const Mvoi__Measurement *m, size_t *len)
{
    *len = mvoi__measurement__get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    if (!b)
        abort();
    mvoi__measurement__pack(m, b);
    return b;
}

/* The slice as the impact-calculator stores it decodes to m with buyer and revision 1. */
static void s_stored(const Mvoi__Measurement *m, const codec_slice_t *s)
{
    uint64_t top;
    if (codec_top_fields(s->data, s->len, &top) != 0 || (top & (1ull << 2 | 1ull << 8)))
        return;
    uint8_t *b = malloc(s->len + 16);
    if (!b)
        abort();
    memcpy(b, s->data, s->len);
    uint8_t *q = codec_field_put(b + s->len, 2, "heerlen", 7);
    q[0] = 8 << 3;
    q[1] = 1;
    Mvoi__Measurement *got = mvoi__measurement__unpack(NULL, (size_t)(q + 2 - b), b);
    if (!got)
        abort();
    Mvoi__Measurement want = *m;
    want.buyer = "heerlen";
    want.has_revision = 1;
    want.revision = 1;
    size_t la, lb;
    uint8_t *pa = s_pack(&want, &la), *pb = s_pack(got, &lb);
    if (la != lb || memcmp(pa, pb, la) != 0)
        abort();
    free(pa);
    free(pb);
    mvoi__measurement__free_unpacked(got, NULL);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    codec_slice_t items[64];
    int n = codec_arm_items(data, size, MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS, 1, items, 64);
    uint64_t top;
    (void)codec_top_fields(data, size, &top);
    arena_t *a = arena_new(4096, 0);
    if (!a)
        abort();
    int err = 0;
    Mvoi__Envelope *e = codec_unpack_in(a, data, size, 0, &err);
    if (e && e->body_case == MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS && n >= 0) {
        const Mvoi__SubmitMeasurements *sm = e->submit_measurements;
        if ((size_t)n != sm->n_measurements)
            abort();
        for (int i = 0; i < n; i++) {
            Mvoi__Measurement *m =
                mvoi__measurement__unpack(NULL, items[i].len, items[i].data);
            if (!m)
                abort();
            size_t la, lb;
            uint8_t *pa = s_pack(m, &la), *pb = s_pack(sm->measurements[i], &lb);
            if (la != lb || memcmp(pa, pb, la) != 0)
                abort();
            free(pa);
            free(pb);
            /* the mask says what protobuf-c found: buyer (2) and revision (8) present. A
             * refusal (-1) is a permitted answer: the caller then packs the measurement.
             * protobuf-c keeps the low 32 bits of a five-byte tag; codec_top_fields refuses
             * such a tag rather than guess the field it names. */
            uint64_t top;
            if (codec_top_fields(items[i].data, items[i].len, &top) == 0 &&
                (!(top & (1ull << 2)) != !sm->measurements[i]->buyer ||
                 !(top & (1ull << 8)) != !sm->measurements[i]->has_revision))
                abort();
            s_stored(sm->measurements[i], &items[i]);
            mvoi__measurement__free_unpacked(m, NULL);
        }
    }
    arena_destroy(&a);
    return 0;
}
