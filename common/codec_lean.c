/*  codec_lean: an Envelope decoded in one pass into an arena, the message protobuf-c builds
 *  from the same bytes, or a refusal to try.
 *
 *  protobuf-c's unpack scans every message twice (once to find its fields, once to parse
 *  them), through a slab of scanned members, with an init per message: a request of 100
 *  measurements cost 3,400 instructions a measurement to decode, the largest share of the
 *  impact-calculator's CPU after LMDB. Here each field is parsed where it is read, driven by
 *  the same descriptors, into the same structs.
 *
 *  It takes only what it reproduces exactly and declines everything else, which
 *  codec_unpack_in then gives to protobuf-c (so every error is protobuf-c's): an unknown
 *  field (protobuf-c keeps those), a wire type that is not the field's, a non-repeated field
 *  or a oneof given twice in one message (protobuf-c replaces scalars and merges messages),
 *  repeated fields other than messages (packed arrays), bytes fields, a varint or tag that
 *  does not end where protobuf-c's would or whose tenth byte has more than its last bit, a
 *  length past the end, nesting beyond 32, and input whose allocations protobuf-c could
 *  bring near the budget. Required fields are not checked: no message of ours has one
 *  (test_codec_lean walks them all). It also says whether every string it read is valid UTF-8 without
 *  a NUL, so that the server's check of the bytes (mvoi_id_msg_check_wire) need not walk
 *  them again. tests/unit/test_codec_lean.c and tests/fuzz/fuzz_codec_lean.c
 *  hold it to protobuf-c: whatever it decodes, protobuf-c decodes to a message that packs to
 *  the same bytes.
 */
#include "codec.h"
#include "mvoi_id.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define S_DEPTH_MAX 32
#define S_FIELDS_MAX 256        /* fields of a message the duplicate check tracks */
#define S_REPEATED_MAX 4        /* repeated fields given in one message */
/* protobuf-c's own allocations beyond the message (its scan slabs, at most two slots of
 * 32 bytes per field read): counted per field, so that the total stays far from the budget */
#define S_SCAN_COST 64

typedef struct {
    arena_t *arena;
    size_t used, budget;        /* bytes allocated (messages, strings, arrays) + scan cost */
    bool strings_ok;            /* every string so far valid UTF-8 without NUL */
} s_lean_t;

static void *s_alloc(s_lean_t *l, size_t n)
{
    if (n > l->budget - l->used)
        return NULL;
    l->used += n;
    return arena_alloc(l->arena, n ? n : 1);
}

/* The field of d numbered num (NULL: none), remembered: descriptors are static, so the pair
 * names a field for good, and protobuf-c's binary search was a quarter of a field's cost.
 * Per thread, so no locking. */
#define S_FIELD_SLOTS 512
static const ProtobufCFieldDescriptor *s_field_of(const ProtobufCMessageDescriptor *d,
                                                  uint32_t num)
{
    static _Thread_local struct {
        const ProtobufCMessageDescriptor *d;
        uint32_t num;
        const ProtobufCFieldDescriptor *f;
    } slot[S_FIELD_SLOTS];
    size_t h = (((uintptr_t)d >> 4) * 31 + num) % S_FIELD_SLOTS;
    if (slot[h].d != d || slot[h].num != num) {
        slot[h].f = protobuf_c_message_descriptor_get_field(d, num);
        slot[h].d = d;
        slot[h].num = num;
    }
    return slot[h].f;
}

/* parse_tag_and_wiretype: at most 5 bytes; the field number comes back 0 when malformed. */
static size_t s_tag(const uint8_t *p, size_t rem, uint32_t *num, unsigned *wt)
{
    uint64_t v = 0;
    size_t max = rem < 5 ? rem : 5;
    for (size_t i = 0; i < max; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *wt = (unsigned)(v & 7);
            *num = (uint32_t)(v >> 3);
            return i + 1;
        }
    }
    *num = 0;
    return 0;
}

/* A varint of at most 10 bytes whose tenth holds only bit 63: 0 when not that. */
static size_t s_varint(const uint8_t *p, size_t rem, uint64_t *v)
{
    uint64_t r = 0;
    size_t max = rem < 10 ? rem : 10;
    for (size_t i = 0; i < max; i++) {
        if (i == 9 && (p[i] & 0xfe))
            return 0;
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

static bool s_wire_ok(const ProtobufCFieldDescriptor *f, unsigned wt)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_BOOL: case PROTOBUF_C_TYPE_ENUM:
        return wt == 0;
    case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return wt == 1;
    case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_FLOAT:
        return wt == 5;
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return wt == 2;
    default:
        return false;   /* bytes: left to protobuf-c */
    }
}

/* A varint field's value into its member, as parse_required_member converts it. */
static void s_put_varint(const ProtobufCFieldDescriptor *f, void *member, uint64_t v)
{
    uint32_t v32 = (uint32_t)v;
    switch (f->type) {
    case PROTOBUF_C_TYPE_SINT32:
        v32 = (v32 >> 1) ^ (uint32_t)-(int32_t)(v32 & 1);
        /* fall through */
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_ENUM:
        memcpy(member, &v32, 4);
        break;
    case PROTOBUF_C_TYPE_SINT64:
        v = (v >> 1) ^ (uint64_t)-(int64_t)(v & 1);
        /* fall through */
    default:   /* int64, uint64 */
        memcpy(member, &v, 8);
        break;
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean b = v != 0;
        memcpy(member, &b, sizeof b);
        break;
    }
    }
}

typedef struct {
    const ProtobufCFieldDescriptor *f;
    ProtobufCMessage **items;
    size_t n, cap;
} s_rep_t;

static int s_message(s_lean_t *l, ProtobufCMessage *m, const uint8_t *p, size_t len,
                     int depth);

/* A length-delimited field: a string, a message or one element of a repeated message. */
static int s_delimited(s_lean_t *l, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const uint8_t *v, size_t n, s_rep_t *rep, int depth)
{
    char *member = (char *)m + f->offset;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = s_alloc(l, n + 1);
        if (!s)
            return -1;
        memcpy(s, v, n);
        s[n] = 0;
        if (l->strings_ok && mvoi_utf8_valid_prefix(v, n) != n)
            l->strings_ok = false;
        memcpy(member, &s, sizeof s);
        return 0;
    }
    const ProtobufCMessageDescriptor *sd = f->descriptor;
    ProtobufCMessage *sub = s_alloc(l, sd->sizeof_message);
    if (!sub)
        return -1;
    sd->message_init(sub);
    if (s_message(l, sub, v, n, depth + 1) != 0)
        return -1;
    if (!rep) {
        memcpy(member, &sub, sizeof sub);
        return 0;
    }
    if (rep->n == rep->cap) {   /* grows by doubling: the arena keeps the old copy */
        size_t cap = rep->cap ? 2 * rep->cap : 8;
        ProtobufCMessage **items = s_alloc(l, cap * sizeof *items);
        if (!items)
            return -1;
        if (rep->n)
            memcpy(items, rep->items, rep->n * sizeof *items);
        rep->items = items;
        rep->cap = cap;
    }
    rep->items[rep->n++] = sub;
    return 0;
}

/* The collector of repeated field f in reps (a new one when f is not there yet). */
static s_rep_t *s_rep(s_rep_t *reps, size_t *nreps, const ProtobufCFieldDescriptor *f)
{
    for (size_t i = 0; i < *nreps; i++)
        if (reps[i].f == f)
            return &reps[i];
    if (*nreps == S_REPEATED_MAX)
        return NULL;
    reps[*nreps] = (s_rep_t){ f, NULL, 0, 0 };
    return &reps[(*nreps)++];
}

/* One field at p: its bytes consumed, 0 to decline. */
static size_t s_field(s_lean_t *l, ProtobufCMessage *m, const uint8_t *p, size_t rem,
                      uint64_t *seen, s_rep_t *reps, size_t *nreps, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    uint32_t num;
    unsigned wt;
    size_t tl = s_tag(p, rem, &num, &wt);
    const ProtobufCFieldDescriptor *f =
        num ? s_field_of(d, num) : NULL;
    if (!tl || !f || !s_wire_ok(f, wt))
        return 0;
    size_t fi = (size_t)(f - d->fields);
    bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    if (repeated ? f->type != PROTOBUF_C_TYPE_MESSAGE : (seen[fi / 64] >> (fi % 64)) & 1)
        return 0;
    seen[fi / 64] |= 1ull << (fi % 64);
    char *base = (char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *oneof_case = (uint32_t *)(base + f->quantifier_offset);
        if (*oneof_case)
            return 0;   /* another arm of it given before */
        *oneof_case = f->id;
    } else if (!repeated && f->quantifier_offset) {
        protobuf_c_boolean has = 1;   /* has_<field> of a proto2 optional scalar */
        memcpy(base + f->quantifier_offset, &has, sizeof has);
    }
    p += tl;
    rem -= tl;
    l->used += S_SCAN_COST;
    if (l->used > l->budget)
        return 0;
    uint64_t v;
    size_t n;
    if (wt == 0)
        return (n = s_varint(p, rem, &v)) ? (s_put_varint(f, base + f->offset, v), tl + n) : 0;
    if (wt == 1 || wt == 5) {
        n = wt == 1 ? 8 : 4;
        if (rem < n)
            return 0;
        memcpy(base + f->offset, p, n);   /* little-endian, as protobuf-c copies it */
        return tl + n;
    }
    if (!(n = s_varint(p, rem < 5 ? rem : 5, &v)) || v > INT_MAX || v > rem - n)
        return 0;
    s_rep_t *rep = repeated ? s_rep(reps, nreps, f) : NULL;
    if ((repeated && !rep) ||
        s_delimited(l, m, f, p + n, (size_t)v, rep, depth) != 0)
        return 0;
    return tl + n + (size_t)v;
}

static int s_message(s_lean_t *l, ProtobufCMessage *m, const uint8_t *p, size_t len,
                     int depth)
{
    if (depth > S_DEPTH_MAX || m->descriptor->n_fields > S_FIELDS_MAX)
        return -1;
    uint64_t seen[S_FIELDS_MAX / 64] = { 0 };
    s_rep_t reps[S_REPEATED_MAX];
    size_t nreps = 0;
    while (len) {
        size_t n = s_field(l, m, p, len, seen, reps, &nreps, depth);
        if (!n)
            return -1;
        p += n;
        len -= n;
    }
    for (size_t i = 0; i < nreps; i++) {
        char *base = (char *)m;
        memcpy(base + reps[i].f->quantifier_offset, &reps[i].n, sizeof(size_t));
        memcpy(base + reps[i].f->offset, &reps[i].items, sizeof reps[i].items);
    }
    return 0;
}

Mvoi__Envelope *codec_lean_unpack(arena_t *arena, const void *data, size_t len, size_t budget,
                                  bool *strings_ok)
{
    if (strings_ok)
        *strings_ok = false;
    if (!arena || (!data && len) || len > CODEC_MAX_BYTES)
        return NULL;
    /* half the budget: protobuf-c's own allocations are counted at most, not exactly */
    s_lean_t l = { arena, 0, (budget ? budget : CODEC_DEFAULT_BUDGET) / 2, true };
    Mvoi__Envelope *env = s_alloc(&l, sizeof *env);
    if (!env)
        return NULL;
    mvoi__envelope__init(env);
    if (s_message(&l, &env->base, data, len, 0) != 0)
        return NULL;
    if (strings_ok)
        *strings_ok = l.strings_ok;
    return env;
}
