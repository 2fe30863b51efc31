/*  codec_lean: whatever it decodes, protobuf-c decodes to the same message (compared as
 *  protobuf-c packs them), and it declines whatever protobuf-c refuses or would build
 *  otherwise. Envelopes are generated from the descriptors (every body arm, every field of
 *  every nested message, seeded), packed by protobuf-c, then decoded whole, cut at every
 *  byte and mutated; the shapes it must decline are written by hand. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"

static uint64_t s_state = 0x2545f4914f6cdd1dull;

static uint64_t s_rand(void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

static const char *s_strs[] = { "", "m-1", "heerlen", "2026-01-31", "h\xc3\xa9t", "T-KLIMA-7" };

static uint64_t s_value(void)
{
    switch (s_rand() % 5) {
    case 0: return 0;
    case 1: return s_rand() % 300;
    case 2: return (uint64_t)-(int64_t)(s_rand() % 5 + 1);   /* negative */
    case 3: return s_rand();
    default: return 1;
    }
}

/* Every field of m set at random (a oneof: one arm), nested messages to depth 4. */
static void s_fill(arena_t *a, ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const ProtobufCMessageDescriptor *sd = f->descriptor;
        if (s_rand() % 3 == 0)
            continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *c = (uint32_t *)(base + f->quantifier_offset);
            if (*c || f->type != PROTOBUF_C_TYPE_MESSAGE || depth >= 4)
                continue;
            *c = f->id;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (f->type != PROTOBUF_C_TYPE_MESSAGE || depth >= 4)
                continue;
            size_t n = s_rand() % 4;
            ProtobufCMessage **arr = arena_alloc(a, (n + 1) * sizeof *arr);
            for (size_t k = 0; k < n; k++) {
                arr[k] = arena_alloc(a, sd->sizeof_message);
                sd->message_init(arr[k]);
                s_fill(a, arr[k], depth + 1);
            }
            memcpy(base + f->quantifier_offset, &n, sizeof n);
            memcpy(base + f->offset, &arr, sizeof arr);
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (depth >= 4 && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                continue;
            ProtobufCMessage *sub = arena_alloc(a, sd->sizeof_message);
            sd->message_init(sub);
            if (depth < 4)
                s_fill(a, sub, depth + 1);
            memcpy(base + f->offset, &sub, sizeof sub);
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = s_strs[s_rand() % 6];
            memcpy(base + f->offset, &s, sizeof s);
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_BYTES)
            continue;
        uint64_t v = s_value();
        size_t w = (f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_UINT64 ||
                    f->type == PROTOBUF_C_TYPE_SINT64 || f->type == PROTOBUF_C_TYPE_FIXED64 ||
                    f->type == PROTOBUF_C_TYPE_SFIXED64 || f->type == PROTOBUF_C_TYPE_DOUBLE)
                       ? 8 : 4;
        if (f->type == PROTOBUF_C_TYPE_BOOL)
            v = v & 1;
        uint32_t v32 = (uint32_t)v;
        memcpy(base + f->offset, w == 8 ? (void *)&v : (void *)&v32, w);
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset) {
            protobuf_c_boolean has = 1;
            memcpy(base + f->quantifier_offset, &has, sizeof has);
        }
    }
}

static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len + 1);
    protobuf_c_message_pack(m, b);
    return b;
}

/* The contract on bytes b: lean declines, or protobuf-c decodes b to a message that packs
 * as lean's does. Returns whether lean decoded. */
static bool s_agrees(const uint8_t *b, size_t len, const char *what, int i)
{
    arena_t *a = arena_new(4096, 0);
    Mvoi__Envelope *lean = codec_lean_unpack(a, b, len, 0, NULL);
    Mvoi__Envelope *pc = mvoi__envelope__unpack(NULL, len, b);
    if (lean) {
        cr_assert_not_null(pc, "%s %d: lean decoded what protobuf-c refuses", what, i);
        size_t la, lb;
        uint8_t *pa = s_pack(&lean->base, &la), *pb = s_pack(&pc->base, &lb);
        cr_assert(la == lb && memcmp(pa, pb, la) == 0, "%s %d: another message", what, i);
        free(pa);
        free(pb);
    }
    if (pc)
        mvoi__envelope__free_unpacked(pc, NULL);
    arena_destroy(&a);
    return lean != NULL;
}

/* A generated envelope with body arm `arm` (0: whatever the fill picks). */
static uint8_t *s_envelope(arena_t *a, size_t *len)
{
    Mvoi__Envelope *env = arena_alloc(a, sizeof *env);
    mvoi__envelope__init(env);
    s_fill(a, &env->base, 0);
    return s_pack(&env->base, len);
}

Test(codec_lean, generated_envelopes_decode_to_what_they_were_packed_from)
{
    int decoded = 0;
    for (int i = 0; i < 3000; i++) {
        arena_t *a = arena_new(4096, 0);
        size_t len;
        uint8_t *b = s_envelope(a, &len);
        /* packed by protobuf-c from a message without unknown fields: lean takes it, and
         * packing what it built gives the same bytes back */
        arena_t *la = arena_new(4096, 0);
        bool ok = false;
        Mvoi__Envelope *lean = codec_lean_unpack(la, b, len, 0, &ok);
        cr_assert_not_null(lean, "envelope %d (%zu bytes) declined", i, len);
        cr_assert(ok, "envelope %d: its strings are valid, yet not said so", i);
        size_t l2;
        uint8_t *b2 = s_pack(&lean->base, &l2);
        cr_assert(l2 == len && memcmp(b, b2, len) == 0, "envelope %d: other bytes", i);
        decoded += s_agrees(b, len, "whole", i);
        free(b2);
        free(b);
        arena_destroy(&la);
        arena_destroy(&a);
    }
    cr_assert_eq(decoded, 3000);
}

Test(codec_lean, every_cut_and_mutation_agrees_with_protobuf_c_or_is_declined)
{
    for (int i = 0; i < 300; i++) {
        arena_t *a = arena_new(4096, 0);
        size_t len;
        uint8_t *b = s_envelope(a, &len);
        for (size_t cut = 0; cut < len; cut++)
            s_agrees(b, cut, "cut", i);
        uint8_t *m = malloc(len + 1);
        for (int k = 0; k < 40 && len; k++) {
            memcpy(m, b, len);
            for (int j = 0; j < 1 + k % 3; j++)
                m[s_rand() % len] = (uint8_t)s_rand();
            s_agrees(m, len, "mutation", i);
        }
        free(m);
        free(b);
        arena_destroy(&a);
    }
}

/* A SubmitMeasurements of one energy measurement {id "m-1"} followed by extra bytes. */
static size_t s_with(uint8_t *out, const uint8_t *extra, size_t n)
{
    /* measurement: 0a 03 "m-1" then extra; submit: 0a len; envelope: field 200 */
    uint8_t meas[64] = { 0x0a, 0x03, 'm', '-', '1' };
    memcpy(meas + 5, extra, n);
    size_t ml = 5 + n;
    uint8_t sm[80] = { 0x0a, (uint8_t)ml };
    memcpy(sm + 2, meas, ml);
    size_t sl = 2 + ml;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
        &mvoi__envelope__descriptor, "submit_measurements");
    size_t at = 0;
    uint32_t tag = f->id << 3 | 2;
    for (; tag >= 0x80; tag >>= 7)
        out[at++] = (uint8_t)(tag | 0x80);
    out[at++] = (uint8_t)tag;
    out[at++] = (uint8_t)sl;
    memcpy(out + at, sm, sl);
    return at + sl;
}

Test(codec_lean, what_protobuf_c_would_build_otherwise_is_declined)
{
    static const struct {
        const char *why;
        uint8_t b[16];
        size_t n;
    } cases[] = {
        { "plain", { 0 }, 0 },
        { "id given twice (protobuf-c keeps the last)", { 0x0a, 0x01, 'x' }, 3 },
        { "unknown field 15 (kept as unknown)", { 0x78, 0x01 }, 2 },
        { "id as a varint (wrong wire type)", { 0x08, 0x01 }, 2 },
        { "revision in 11 bytes", { 0x40, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                    0x80, 0x80, 0x01 }, 12 },
        { "revision with a tenth byte of 2", { 0x40, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                               0x80, 0x80, 0x02 }, 11 },
        { "a string past the end", { 0x12, 0x05, 'a' }, 3 },
        { "field number 0 in two bytes", { 0x80, 0x00, 0x00 }, 3 },
        { "two arms of kind (energy, then machine)", { 0xa2, 0x01, 0x00, 0xaa, 0x01, 0x00 },
          6 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[128];
        size_t n = s_with(b, cases[i].b, cases[i].n);
        arena_t *a = arena_new(4096, 0);
        Mvoi__Envelope *lean = codec_lean_unpack(a, b, n, 0, NULL);
        if (i == 0) {
            cr_assert_not_null(lean, "the plain request was declined");
            cr_assert_str_eq(lean->submit_measurements->measurements[0]->id, "m-1");
        } else {
            cr_assert_null(lean, "%s: not declined", cases[i].why);
        }
        /* and codec_unpack_in answers as codec_unpack (protobuf-c alone) does */
        int err = 0, perr = 0;
        Mvoi__Envelope *got = codec_unpack_in(a, b, n, 0, &err);
        Mvoi__Envelope *pc = codec_unpack(b, n, 0, &perr);
        cr_assert_eq(got != NULL, pc != NULL, "%s: another verdict", cases[i].why);
        cr_assert_eq(err, perr, "%s: error %d, protobuf-c's %d", cases[i].why, err, perr);
        codec_free(&pc);
        arena_destroy(&a);
    }
}

Test(codec_lean, a_budget_too_small_for_the_message_is_declined)
{
    static const uint8_t none[1];
    uint8_t b[128];
    size_t n = s_with(b, none, 0);
    arena_t *a = arena_new(4096, 0);
    cr_assert_null(codec_lean_unpack(a, b, n, 64, NULL));
    cr_assert_not_null(codec_lean_unpack(a, b, n, 0, NULL));
    arena_destroy(&a);
}

Test(codec_lean, a_string_with_a_nul_or_not_utf8_is_decoded_and_said_not_valid)
{
    static const uint8_t extra[][4] = { { 0x12, 0x02, 'a', 0x00 }, { 0x12, 0x02, 'a', 0xff },
                                        { 0x12, 0x02, 0xc3, 0xa9 } };
    for (int i = 0; i < 3; i++) {
        uint8_t b[128];
        size_t n = s_with(b, extra[i], 4);
        arena_t *a = arena_new(4096, 0);
        bool ok = true;
        cr_assert_not_null(codec_lean_unpack(a, b, n, 0, &ok), "case %d declined", i);
        cr_assert_eq(ok, i == 2, "case %d: strings said %s", i, ok ? "valid" : "not valid");
        arena_destroy(&a);
    }
}

/* codec_lean does not check that required fields are present (protobuf-c refuses a message
 * without one): it may only see messages that have none. Every message reachable from the
 * Envelope is walked; a proto change that adds a required field must teach it first. */
static int s_required(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor **seen,
                      size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (seen[i] == d)
            return 0;
    cr_assert_lt(*n, 512);
    seen[(*n)++] = d;
    int found = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
            cr_log_error("%s.%s is required", d->name, f->name);
            found++;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            found += s_required(f->descriptor, seen, n);
    }
    return found;
}

Test(codec_lean, no_message_it_decodes_has_a_required_field)
{
    static const ProtobufCMessageDescriptor *seen[512];
    size_t n = 0;
    cr_assert_eq(s_required(&mvoi__envelope__descriptor, seen, &n), 0);
    cr_assert_gt(n, 20, "only %zu messages reached from the Envelope", n);
}
