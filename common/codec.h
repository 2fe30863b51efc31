/*  codec: the one place where bytes become messages and back.
 *
 *  Every message on the wire is one mvoi.Envelope (proto/envelope.proto). Decoding untrusted
 *  bytes goes through a budgeted allocator: protobuf-c has no size or depth limit of its own
 *  (docs/libraries.md#untrusted-input), so unpack fails cleanly once it allocated more than that.
 */
#ifndef MVOI_CODEC_H
#define MVOI_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>   /* strlen, memcpy: the inline field writers */
#include "arena.h"
#include "envelope.pb-c.h"

#define CODEC_SCHEMA_VERSION 1
#define CODEC_MAX_BYTES (1u << 20)        /* largest accepted encoded envelope */
#define CODEC_DEFAULT_BUDGET (8u << 20)   /* heap bytes an unpack may allocate */

/* Decode. Returns NULL and sets *err (-EMSGSIZE: over CODEC_MAX_BYTES, -EPROTO: not an
 * envelope or over budget, -ENOMSG: decoded but the body is unknown/not set, -ENOMEM: the
 * system allocator failed); *err is 0 on success. budget 0 = CODEC_DEFAULT_BUDGET. */
Mvoi__Envelope *codec_unpack(const void *data, size_t len, size_t budget, int *err);
void codec_free(Mvoi__Envelope **env_p);
/* The same, with every piece of the message taken from `arena`: no codec_free, the
 * message lives until arena_reset(arena). For the hot paths (requests, feed batches),
 * where malloc per field was a large part of the cost. */
Mvoi__Envelope *codec_unpack_in(arena_t *arena, const void *data, size_t len, size_t budget,
                                int *err);

/* codec_lean.c: the envelope codec_unpack_in's protobuf-c would build from the same bytes,
 * in one pass, or NULL when it declines (anything it does not reproduce exactly, every
 * malformed input among it): then protobuf-c decides. codec_unpack_in tries it first. */
Mvoi__Envelope *codec_lean_unpack(arena_t *arena, const void *data, size_t len, size_t budget,
                                  bool *strings_ok);
/* codec_unpack_in, and *strings_ok true when the lean decoder took the bytes and every string
 * field in them is valid UTF-8 without a NUL (mvoi_id_msg_check_wire would find nothing);
 * false says nothing either way. */
Mvoi__Envelope *codec_unpack_in_ok(arena_t *arena, const void *data, size_t len, size_t budget,
                                   int *err, bool *strings_ok);

/* A record read from the store, unpacked as d through base (NULL: malloc, free the message
 * with its free_unpacked(m, NULL)); *rc 0 with the message, or NULL with *rc
 * MVOI_E_UNDECODABLE (mvoi_error.h) when the bytes are no d, -ENOMEM when an allocation
 * failed (codec_stored.c). protobuf-c answers NULL for both: only the first is the record's
 * fault, to be refused by name; the second is a passing shortage that says nothing of it. */
ProtobufCMessage *codec_unpack_stored(const ProtobufCMessageDescriptor *d,
                                      ProtobufCAllocator *base, const void *data, size_t len,
                                      int *rc);

/* Encode into a malloc'ed buffer. 0 or -ENOMEM / -EMSGSIZE. */
int codec_pack(const Mvoi__Envelope *env, uint8_t **buf, size_t *len);
/* Encode into a caller buffer; returns the size, or -ENOSPC if cap is too small
 * (-EMSGSIZE if the encoding is over CODEC_MAX_BYTES). */
int64_t codec_pack_into(const Mvoi__Envelope *env, uint8_t *buf, size_t cap);

/* An envelope's encoding, the same bytes as mvoi__envelope__pack, without walking the 66
 * fields of its descriptor twice (codec_env.c). size: the total, and in *sz (may be NULL)
 * what pack needs so that the body is sized only once; pack writes size bytes to out
 * (sz NULL: sized again) and returns that size. */
typedef struct {
    size_t total, body;
} codec_env_size_t;
size_t codec_envelope_size(const Mvoi__Envelope *env, codec_env_size_t *sz);
size_t codec_envelope_pack(const Mvoi__Envelope *env, const codec_env_size_t *sz,
                           uint8_t *out);

/* A base-128 varint, as protobuf-c writes one: its size, and written at p (returns the end).
 * Inline: the hand packers (codec_env.c, the impact-calculator's service_pack.c) call them
 * per field. */
static inline size_t codec_varint_size(uint64_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

static inline uint8_t *codec_varint_put(uint8_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

/* proto2 scalar fields as protobuf-c packs them, for field numbers below 16 (one-byte
 * tags): a string when its pointer is set (also ""), a varint number when has is. */
static inline size_t codec_str_size(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    return 1 + codec_varint_size(n) + n;
}

static inline uint8_t *codec_str_put(uint8_t *p, uint32_t num, const char *s)
{
    if (!s)
        return p;
    size_t n = strlen(s);
    *p++ = (uint8_t)(num << 3 | 2);
    p = codec_varint_put(p, n);
    memcpy(p, s, n);
    return p + n;
}

static inline size_t codec_num_size(bool has, uint64_t v)
{
    return has ? 1 + codec_varint_size(v) : 0;
}

static inline uint8_t *codec_num_put(uint8_t *p, uint32_t num, bool has, uint64_t v)
{
    if (!has)
        return p;
    *p++ = (uint8_t)(num << 3);
    return codec_varint_put(p, v);
}

/* A message field encoded by hand: field number num, wire type 2 (length-delimited), then
 * len bytes of an already packed message. A message packed once can so go into several
 * containers (a stored record and its event) without protobuf-c packing it, and sizing it
 * at every level of nesting, again for each. Decoders take fields in any order. */
size_t codec_field_size(uint32_t num, size_t len);
/* Writes the field at p (room for codec_field_size); returns the end. */
uint8_t *codec_field_put(uint8_t *p, uint32_t num, const void *data, size_t len);

/* codec_items.c: parts of encoded messages, read in place. */
typedef struct {
    const uint8_t *data;
    size_t len;
} codec_slice_t;
/* The payloads of repeated field `field` (length-delimited: message elements) of the body
 * arm numbered `arm` of an encoded Envelope, in order, into out (room for cap); returns
 * their count, or -1 when the arm is absent or given more than once, a field is not well
 * formed or is a group, an element is not length-delimited, or there are more than cap. */
int codec_arm_items(const uint8_t *env, size_t len, uint32_t arm, uint32_t field,
                    codec_slice_t *out, size_t cap);
/* The payload of the body arm numbered `arm` of an encoded Envelope (its bytes as encoded):
 * 0, or -1 when the arm is absent or given more than once, or the bytes are malformed. */
int codec_arm_bytes(const uint8_t *env, size_t len, uint32_t arm, codec_slice_t *out);
/* The field numbers at the top level of an encoded message, in one pass: bit n of *mask
 * for a field n below 64, bit 0 for any larger one. 0, or -1 when malformed. */
int codec_top_fields(const uint8_t *msg, size_t len, uint64_t *mask);

/* A published EventBatch (docs/design.md#publish-batches), read in place. codec_batch_open:
 * 1 and *body = the batch's bytes when the encoded Envelope env carries the event_batch arm;
 * 0 when it does not (a single event); -1 when it is malformed or gives the arm twice.
 * codec_batch_next: 1 and *ev = the next event's bytes (an encoded Envelope), body moved
 * past it; 0 at the end; -1 when malformed. Fields other than `events` are skipped. */
int codec_batch_open(const uint8_t *env, size_t len, codec_slice_t *body);
int codec_batch_next(codec_slice_t *body, codec_slice_t *ev);

/* The writer of a batch (codec_batch.c): events are appended, copied, up to max_bytes in
 * all; codec_batch_finish frames them as one Envelope (schema version, producer, epoch and
 * the event_batch arm) in the writer's own buffer, valid until the next clear. */
typedef struct codec_batch_t codec_batch_t;
#define CODEC_BATCH_PRODUCER_MAX 128
codec_batch_t *codec_batch_new(size_t max_bytes);
void codec_batch_destroy(codec_batch_t **self_p);
void codec_batch_clear(codec_batch_t *self);
/* 0; -ENOSPC when the event does not fit beside those held (a lone event always fits:
 * the buffer grows for it); -ENOMEM. */
int codec_batch_add(codec_batch_t *self, const void *env, size_t len);
uint32_t codec_batch_count(const codec_batch_t *self);
/* The first event's bytes as added (a batch of one goes out as that event alone). */
codec_slice_t codec_batch_first(const codec_batch_t *self);
/* 0 and *out; -ENAMETOOLONG for a producer longer than CODEC_BATCH_PRODUCER_MAX. */
int codec_batch_finish(codec_batch_t *self, const char *producer, uint64_t epoch,
                       codec_slice_t *out);

/* Fill an error reply body (the reply's body becomes Error). The strings are copied into
 * storage owned by `store`, which must outlive the pack of `reply`. */
typedef struct {
    Mvoi__Error err;
    char field[128];
    char message[384];
} codec_error_t;
void codec_set_error(Mvoi__Envelope *reply, codec_error_t *store, Mvoi__ErrorCode code,
                     const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Human name of a body arm ("register_tender"), "unknown" when not set. */
const char *codec_body_name(Mvoi__Envelope__BodyCase c);

#endif
