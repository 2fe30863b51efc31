/*  codec_env: an Envelope packed by hand, the same bytes as protobuf-c's.
 *
 *  protobuf-c sizes and packs a message by walking every field of its descriptor, and
 *  Envelope has 68 (eleven header fields and one arm per body). Every event appended to the
 *  outbox, every reply stored for idempotence and every reply sent walked them twice (size,
 *  then pack) and sized the body twice: 6 % of the impact-calculator's CPU at 100
 *  measurements per request, where the envelope around each event holds seven fields. Here
 *  the eleven header fields are written directly, in field-number order, and the body arm
 *  (field 20 and up, after them) is sized once by protobuf-c and packed by it. An envelope
 *  with unknown fields goes to protobuf-c whole, so the bytes never differ
 *  (tests/unit/test_codec.c compares them with protobuf-c's own).
 */
#include "codec.h"

#include <stdbool.h>
#include <string.h>

/* The arm of the body, NULL when none is set (or its message is NULL: protobuf-c skips it). */
static const ProtobufCMessage *s_body(const Mvoi__Envelope *env, uint32_t *num)
{
    if (env->body_case == MVOI__ENVELOPE__BODY__NOT_SET)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor,
                                                (unsigned)env->body_case);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    *num = f->id;
    return *(const ProtobufCMessage *const *)((const char *)env + f->offset);
}

/* Header fields 1-11 of proto/envelope.proto (one-byte tags): a string is there when its
 * pointer is set (also ""), a number when its has_ flag is, as protobuf-c packs proto2. */
static size_t s_header_size(const Mvoi__Envelope *e)
{
    return codec_num_size(e->has_schema_version, e->schema_version) +
           codec_str_size(e->producer) + codec_num_size(e->has_epoch, e->epoch) +
           codec_num_size(e->has_seq, e->seq) +
           codec_num_size(e->has_ts_unix_ms, (uint64_t)e->ts_unix_ms) +
           codec_str_size(e->request_id) + codec_str_size(e->correlation_id) +
           codec_str_size(e->buyer) + codec_str_size(e->topic) + codec_str_size(e->lang) +
           codec_num_size(e->has_incarnation, e->incarnation);
}

size_t codec_envelope_size(const Mvoi__Envelope *env, codec_env_size_t *sz)
{
    codec_env_size_t s = { 0, 0 };
    if (env->base.n_unknown_fields) {
        s.total = mvoi__envelope__get_packed_size(env);
    } else {
        uint32_t num = 0;
        const ProtobufCMessage *b = s_body(env, &num);
        s.body = b ? protobuf_c_message_get_packed_size(b) : 0;
        s.total = s_header_size(env) + (b ? codec_varint_size((uint64_t)num << 3 | 2) +
                                                codec_varint_size(s.body) + s.body
                                          : 0);
    }
    if (sz)
        *sz = s;
    return s.total;
}

size_t codec_envelope_pack(const Mvoi__Envelope *env, const codec_env_size_t *sz,
                           uint8_t *out)
{
    if (env->base.n_unknown_fields)
        return mvoi__envelope__pack(env, out);
    codec_env_size_t s;
    if (!sz) {
        codec_envelope_size(env, &s);
        sz = &s;
    }
    uint8_t *p = out;
    p = codec_num_put(p, 1, env->has_schema_version, env->schema_version);
    p = codec_str_put(p, 2, env->producer);
    p = codec_num_put(p, 3, env->has_epoch, env->epoch);
    p = codec_num_put(p, 4, env->has_seq, env->seq);
    p = codec_num_put(p, 5, env->has_ts_unix_ms, (uint64_t)env->ts_unix_ms);
    p = codec_str_put(p, 6, env->request_id);
    p = codec_str_put(p, 7, env->correlation_id);
    p = codec_str_put(p, 8, env->buyer);
    p = codec_str_put(p, 9, env->topic);
    p = codec_str_put(p, 10, env->lang);
    p = codec_num_put(p, 11, env->has_incarnation, env->incarnation);
    uint32_t num = 0;
    const ProtobufCMessage *b = s_body(env, &num);
    if (b) {
        p = codec_varint_put(p, (uint64_t)num << 3 | 2);
        p = codec_varint_put(p, sz->body);
        p += protobuf_c_message_pack(b, p);
    }
    return (size_t)(p - out);
}
