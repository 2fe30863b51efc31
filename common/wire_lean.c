/*  wire_lean: one pass over an ImpactEvent envelope, checked as protobuf-c checks it, built
 *  only where its consumer reads. See wire_lean.h for the contract.
 *
 *  The checks follow protobuf-c 1.4's protobuf_c_message_unpack field by field (the names
 *  in the comments are its functions); tests/unit/test_wire_lean.c and
 *  tests/fuzz/fuzz_wire_lean.c hold it to codec_unpack_in on valid, mutated and random
 *  bytes: the same verdict, the same error, the same values in what is built.
 */
#include "wire_lean.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"

enum { S_FALLBACK = 1 };        /* not an error: decode with codec_unpack_in */
#define S_DEPTH_MAX 64          /* codec's nesting bound */
/* protobuf-c allocates at most this many bytes per input byte (a message struct, its share
 * of the scan slabs, an unknown field record for each >= 2 bytes; test_wire_lean checks
 * the largest struct against it): smaller input cannot exhaust the codec's budget. */
#define S_AMPLIFY 1024
#define S_FIELDS_MAX 256        /* fields per message the duplicate check tracks */

/* Atomic: a server's decode stage (server_stage.c) decodes on a worker while the loop
 * decodes a feed's events. */
static unsigned long s_fallbacks;

unsigned long wire_lean_fallbacks(void) { return __atomic_load_n(&s_fallbacks, __ATOMIC_RELAXED); }

/* The messages that are built; every other one is only checked. */
static bool s_kept(const ProtobufCMessageDescriptor *d)
{
    return d == &mvoi__envelope__descriptor || d == &mvoi__impact_event__descriptor ||
           d == &mvoi__measurement__descriptor || d == &mvoi__impact__descriptor ||
           d == &mvoi__pilot_status__descriptor;
}

/* parse_tag_and_wiretype: at most 5 bytes, and a first byte with field bits. */
static size_t s_tag(const uint8_t *p, size_t rem, uint32_t *tag, unsigned *wt)
{
    unsigned max = rem > 5 ? 5 : (unsigned)rem;
    if ((p[0] & 0xf8) == 0)
        return 0;
    *wt = p[0] & 7;
    uint32_t t = (uint32_t)(p[0] & 0x7f) >> 3;
    if (!(p[0] & 0x80)) {
        *tag = t;
        return 1;
    }
    unsigned shift = 4;
    for (unsigned i = 1; i < max; i++) {
        if (p[i] & 0x80) {
            t |= (uint32_t)(p[i] & 0x7f) << shift;
            shift += 7;
        } else {
            t |= (uint32_t)p[i] << shift;
            *tag = t;
            return i + 1;
        }
    }
    return 0;
}

/* scan_varint: the bytes of one varint (at most 10), 0 when it does not end. */
static size_t s_varint_len(const uint8_t *p, size_t rem)
{
    size_t max = rem < 10 ? rem : 10;
    for (size_t i = 0; i < max; i++)
        if (!(p[i] & 0x80))
            return i + 1;
    return 0;
}

/* scan_length_prefixed_data: prefix + payload bytes, 0 when malformed or past the end. */
static size_t s_prefixed(const uint8_t *p, size_t rem, size_t *pref)
{
    size_t max = rem < 5 ? rem : 5, i;
    uint64_t val = 0;
    unsigned shift = 0;
    for (i = 0; i < max; i++) {
        val |= (uint64_t)(p[i] & 0x7f) << shift;
        shift += 7;
        if (!(p[i] & 0x80))
            break;
    }
    if (i == max)
        return 0;
    *pref = i + 1;
    if (val > INT_MAX || *pref + val > rem)
        return 0;
    return *pref + (size_t)val;
}

/* parse_uint32 / parse_uint64 / parse_boolean, bit for bit (long varints wrap the same). */
static uint32_t s_u32(const uint8_t *p, size_t n)
{
    uint32_t v = p[0] & 0x7f;
    if (n > 1)
        v |= (uint32_t)(p[1] & 0x7f) << 7;
    if (n > 2)
        v |= (uint32_t)(p[2] & 0x7f) << 14;
    if (n > 3)
        v |= (uint32_t)(p[3] & 0x7f) << 21;
    if (n > 4)
        v |= (uint32_t)p[4] << 28;
    return v;
}

static uint64_t s_u64(const uint8_t *p, size_t n)
{
    if (n < 5)
        return s_u32(p, n);
    uint64_t v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 |
                 (uint64_t)(p[2] & 0x7f) << 14 | (uint64_t)(p[3] & 0x7f) << 21;
    unsigned shift = 28;
    for (size_t i = 4; i < n; i++, shift += 7)
        v |= (uint64_t)(p[i] & 0x7f) << shift;
    return v;
}

static uint64_t s_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The wire type a field of each type takes (the packed form aside), by ProtobufCType: a
 * table, not a switch, since it is asked once or twice per field. */
static const uint8_t s_wire[PROTOBUF_C_TYPE_MESSAGE + 1] = {
    [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    /* every other type: 0, PROTOBUF_C_WIRE_TYPE_VARINT */
};

static unsigned s_wire_of(ProtobufCType t)
{
    return (unsigned)t <= PROTOBUF_C_TYPE_MESSAGE ? s_wire[t] : PROTOBUF_C_WIRE_TYPE_VARINT;
}

/* Does protobuf-c take a field of type t given in wire type wt? Its parse_required_member
 * checks the wire type of every type but bool, which it reads from whatever bytes came. */
static bool s_wire_ok(ProtobufCType t, unsigned wt)
{
    return t == PROTOBUF_C_TYPE_BOOL || s_wire_of(t) == wt;
}

/* count_packed_elements + parse_packed_repeated_member: a packed array's payload. */
static int s_packed(ProtobufCType t, const uint8_t *p, size_t n)
{
    unsigned w = s_wire_of(t);
    if (w == PROTOBUF_C_WIRE_TYPE_32BIT)
        return n % 4 ? -EPROTO : 0;
    if (w == PROTOBUF_C_WIRE_TYPE_64BIT)
        return n % 8 ? -EPROTO : 0;
    while (n > 0) {
        size_t l = s_varint_len(p, n);
        if (!l)
            return -EPROTO;
        p += l;
        n -= l;
    }
    return 0;
}

/* parse_required_member for a scalar: its value into member (wire type checked before). */
static void s_scalar(ProtobufCType t, const uint8_t *p, size_t n, void *member)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_ENUM: case PROTOBUF_C_TYPE_UINT32: {
        uint32_t v = s_u32(p, n);
        memcpy(member, &v, 4);
        break;
    }
    case PROTOBUF_C_TYPE_SINT32: {
        uint32_t u = s_u32(p, n);
        int32_t v = (int32_t)(-(u & 1) ^ (u >> 1));
        memcpy(member, &v, 4);
        break;
    }
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64: {
        uint64_t v = s_u64(p, n);
        memcpy(member, &v, 8);
        break;
    }
    case PROTOBUF_C_TYPE_SINT64: {
        uint64_t u = s_u64(p, n);
        int64_t v = (int64_t)(-(u & 1) ^ (u >> 1));
        memcpy(member, &v, 8);
        break;
    }
    case PROTOBUF_C_TYPE_BOOL: {   /* (n: every byte after the tag, a prefix too) */
        protobuf_c_boolean v = 0;
        for (size_t i = 0; i < n && !v; i++)
            v = (p[i] & 0x7f) != 0;
        memcpy(member, &v, sizeof v);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT: {
        uint32_t v = (uint32_t)s_le(p, 4);
        memcpy(member, &v, 4);
        break;
    }
    default: {   /* the 64-bit fixed types */
        uint64_t v = s_le(p, 8);
        memcpy(member, &v, 8);
        break;
    }
    }
}

/* One message: every field checked; with out (an initialised struct of d) the fields of
 * kept types built into it. 0, S_FALLBACK or a negative errno. */
typedef struct {
    arena_t *arena;
} s_ctx_t;

static int s_msg(s_ctx_t *c, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                 size_t n, void *out, int depth);

/* A message-typed field that is not repeated (wire type checked before). */
static int s_sub(s_ctx_t *c, const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t n,
                 void *out, int depth)
{
    const ProtobufCMessageDescriptor *sd = f->descriptor;
    if (!out || !s_kept(sd))
        return s_msg(c, sd, p, n, NULL, depth + 1);
    void *m = arena_alloc_raw(c->arena, sd->sizeof_message);   /* every byte set by init */
    if (!m)
        return -ENOMEM;
    sd->message_init(m);
    int rc = s_msg(c, sd, p, n, m, depth + 1);
    if (rc == 0)
        memcpy((char *)out + f->offset, &m, sizeof m);
    return rc;
}

/* One known field, its bytes p[0..n) after the tag (prefix included when length-prefixed,
 * pref its bytes). */
static int s_field(s_ctx_t *c, const ProtobufCFieldDescriptor *f, unsigned wt,
                   const uint8_t *p, size_t n, size_t pref, void *out, int depth)
{
    ProtobufCType t = f->type;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {   /* checked, never built */
        if (wt == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED && s_wire_of(t) != wt)
            return s_packed(t, p + pref, n - pref);
        if (!s_wire_ok(t, wt))
            return -EPROTO;
        return t == PROTOBUF_C_TYPE_MESSAGE ?
               s_msg(c, f->descriptor, p + pref, n - pref, NULL, depth + 1) : 0;
    }
    if (!s_wire_ok(t, wt))
        return -EPROTO;
    if (t == PROTOBUF_C_TYPE_MESSAGE)
        return s_sub(c, f, p + pref, n - pref, out, depth);
    if (!out)
        return 0;
    void *member = (char *)out + f->offset;
    if (t == PROTOBUF_C_TYPE_STRING) {
        char *s = arena_alloc_raw(c->arena, n - pref + 1);
        if (!s)
            return -ENOMEM;
        memcpy(s, p + pref, n - pref);
        s[n - pref] = '\0';
        memcpy(member, &s, sizeof s);
    } else if (t == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData bd = { n - pref, NULL };
        if (bd.len && !(bd.data = arena_alloc_raw(c->arena, bd.len)))
            return -ENOMEM;
        if (bd.len)
            memcpy(bd.data, p + pref, bd.len);
        memcpy(member, &bd, sizeof bd);
    } else {
        s_scalar(t, p, n, member);
    }
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset) {
        protobuf_c_boolean yes = 1;
        memcpy((char *)out + f->quantifier_offset, &yes, sizeof yes);
    }
    return 0;
}

/* The bytes of the value after a tag of wire type wt: its length, 0 when malformed. */
static size_t s_value_len(unsigned wt, const uint8_t *p, size_t rem, size_t *pref)
{
    *pref = 0;
    switch (wt) {
    case PROTOBUF_C_WIRE_TYPE_VARINT: return s_varint_len(p, rem);
    case PROTOBUF_C_WIRE_TYPE_64BIT: return rem < 8 ? 0 : 8;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: return s_prefixed(p, rem, pref);
    case PROTOBUF_C_WIRE_TYPE_32BIT: return rem < 4 ? 0 : 4;
    default: return 0;   /* groups and wire types 6, 7 */
    }
}

/* Seen in this message already? A message field or a oneof given twice is merged or
 * replaced by protobuf-c: such input goes to it (S_FALLBACK). */
static int s_once(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                  uint64_t *seen, unsigned *oneofs, unsigned *noneofs)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        for (unsigned i = 0; i < *noneofs; i++)
            if (oneofs[i] == f->quantifier_offset)
                return S_FALLBACK;
        if (*noneofs == 4)
            return S_FALLBACK;
        oneofs[(*noneofs)++] = f->quantifier_offset;
        return 0;
    }
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
        return 0;
    size_t i = (size_t)(f - d->fields);
    if (seen[i / 64] & (1ull << (i % 64)))
        return S_FALLBACK;
    seen[i / 64] |= 1ull << (i % 64);
    return 0;
}

/* The field of a tag. Encoders write fields in number order, as the descriptor lists them,
 * and leave absent ones out: the fields after the last found are tried (a few) before a
 * search. The search had been a tenth of a decode, one for every field left out. */
#define S_SCAN 8
static const ProtobufCFieldDescriptor *s_find(const ProtobufCMessageDescriptor *d,
                                              uint32_t tag, unsigned *hint)
{
    for (unsigned h = *hint, k = 0; h < d->n_fields && k < S_SCAN; h++, k++) {
        if (d->fields[h].id == tag) {
            *hint = h + 1;
            return &d->fields[h];
        }
        if (d->fields[h].id > tag)
            break;
    }
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, tag);
    if (f)
        *hint = (unsigned)(f - d->fields) + 1;
    return f;
}

static int s_msg(s_ctx_t *c, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                 size_t n, void *out, int depth)
{
    if (depth > S_DEPTH_MAX || d->n_fields > S_FIELDS_MAX)
        return S_FALLBACK;
    uint64_t seen[S_FIELDS_MAX / 64] = { 0 };
    unsigned oneofs[4], noneofs = 0, hint = 0;
    const uint8_t *end = p + n;
    while (p < end) {
        uint32_t tag = 0;
        unsigned wt = 0;
        size_t used = s_tag(p, (size_t)(end - p), &tag, &wt);
        if (!used)
            return -EPROTO;
        p += used;
        size_t pref, len = s_value_len(wt, p, (size_t)(end - p), &pref);
        if (!len)
            return -EPROTO;
        if (tag == 0)
            return S_FALLBACK;   /* codec refuses it only where it stays in the message */
        const ProtobufCFieldDescriptor *f = s_find(d, tag, &hint);
        if (f) {   /* (an unknown field is kept by protobuf-c, whatever it holds) */
            int rc = s_once(d, f, seen, oneofs, &noneofs);
            if (rc == 0)
                rc = s_field(c, f, wt, p, len, pref, out, depth);
            if (rc != 0)
                return rc;
            /* (a oneof member of a type not built leaves the case unset: no NULL member) */
            if (out && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                (f->type != PROTOBUF_C_TYPE_MESSAGE || s_kept(f->descriptor)))
                memcpy((char *)out + f->quantifier_offset, &f->id, sizeof f->id);
        }
        p += len;
    }
    return 0;
}

Mvoi__Envelope *wire_lean_unpack(arena_t *arena, const void *data, size_t len,
                                 size_t budget, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (budget == 0)
        budget = CODEC_DEFAULT_BUDGET;
    if (arena && data && len <= budget / S_AMPLIFY) {
        s_ctx_t c = { arena };
        Mvoi__Envelope *env = arena_alloc_raw(arena, sizeof *env);   /* set by init */
        int rc = env ? 0 : -ENOMEM;
        if (rc == 0) {
            mvoi__envelope__init(env);
            rc = s_msg(&c, &mvoi__envelope__descriptor, data, len, env, 0);
        }
        if (rc < 0) {
            *err = rc;
            return NULL;
        }
        if (rc == 0 && env->body_case == MVOI__ENVELOPE__BODY_IMPACT_EVENT)
            return env;
    }
    __atomic_fetch_add(&s_fallbacks, 1, __ATOMIC_RELAXED);
    return codec_unpack_in(arena, data, len, budget, err);
}
