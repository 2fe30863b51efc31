/*  codec: Envelope <-> bytes, budgeted for untrusted input (docs/libraries.md#untrusted-input).
 *
 *  The unpack allocator has calloc semantics (zeroed memory, issue protobuf-c#690) and counts
 *  every requested byte against the budget; once the budget is spent it returns NULL, so
 *  protobuf-c fails the unpack and frees what it built. The memory itself comes from calloc,
 *  so codec_free() can release a decoded envelope with the plain system allocator; with
 *  codec_unpack_in() it comes from an arena instead and frees are no-ops.
 */
#include "codec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t left;
    bool over;      /* the budget ran out */
    bool oom;       /* calloc itself failed */
    arena_t *arena; /* codec_unpack_in: take the memory from here */
} s_budget_t;

static void *s_budget_alloc(void *data, size_t size)
{
    s_budget_t *b = data;
    if (size > b->left) {
        b->over = true;
        return NULL;
    }
    void *p = b->arena ? arena_alloc(b->arena, size) : calloc(1, size ? size : 1);
    if (!p) {
        b->oom = true;
        return NULL;
    }
    b->left -= size;
    return p;
}

static void s_budget_free(void *data, void *p)
{
    s_budget_t *b = data;
    if (!b->arena)
        free(p);   /* arena memory goes back all at once, with arena_reset */
}

/* protobuf-c 1.4 takes field number 0 (invalid on the wire) when its tag is spelt in more
 * than one byte ("80 00"), keeps it as an unknown field and packs it back as "00", which it
 * then refuses: an envelope that decoded would not decode again after a re-encode (found by
 * tests/fuzz/fuzz_codec). A stored or forwarded copy would poison every consumer, so such a
 * message is refused here, at every level of nesting. Also bounds the nesting (64). */
static bool s_tags_valid(const ProtobufCMessage *m, int depth)
{
    if (depth > 64)
        return false;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return false;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *base = (const char *)m;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {   /* the union holds another member */
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);
            for (size_t k = 0; k < n; k++)
                if (arr[k] && !s_tags_valid(arr[k], depth + 1))
                    return false;
        } else {
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
            if (sub && !s_tags_valid(sub, depth + 1))
                return false;
        }
    }
    return true;
}

static Mvoi__Envelope *s_unpack(arena_t *arena, const void *data, size_t len, size_t budget,
                                int *err, bool *strings_ok)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = 0;
    if (len > CODEC_MAX_BYTES) {
        *err = -EMSGSIZE;
        return NULL;
    }
    if (!data && len > 0) {
        *err = -EINVAL;
        return NULL;
    }
    if (budget == 0)
        budget = CODEC_DEFAULT_BUDGET;
    /* One pass where it gives the same message (codec_lean.c); it has no unknown fields
     * and nests at most 32 deep, so s_tags_valid has nothing to find in it. */
    Mvoi__Envelope *lean = arena ? codec_lean_unpack(arena, data, len, budget, strings_ok)
                                 : NULL;
    if (lean) {
        if (lean->body_case == MVOI__ENVELOPE__BODY__NOT_SET)
            *err = -ENOMSG;
        return lean->body_case == MVOI__ENVELOPE__BODY__NOT_SET ? NULL : lean;
    }
    s_budget_t b = { .left = budget, .arena = arena };
    ProtobufCAllocator alloc = { .alloc = s_budget_alloc, .free = s_budget_free, .allocator_data = &b };
    static const uint8_t empty[1];
    Mvoi__Envelope *env = mvoi__envelope__unpack(&alloc, len, data ? data : empty);
    if (!env) {
        *err = (b.oom && !b.over) ? -ENOMEM : -EPROTO;
        return NULL;
    }
    if (!s_tags_valid(&env->base, 0)) {
        if (!arena)
            codec_free(&env);
        *err = -EPROTO;
        return NULL;
    }
    if (env->body_case == MVOI__ENVELOPE__BODY__NOT_SET) {
        if (!arena)
            codec_free(&env);
        *err = -ENOMSG;
        return NULL;
    }
    return env;
}

Mvoi__Envelope *codec_unpack(const void *data, size_t len, size_t budget, int *err)
{
    return s_unpack(NULL, data, len, budget, err, NULL);
}

Mvoi__Envelope *codec_unpack_in(arena_t *arena, const void *data, size_t len, size_t budget,
                                int *err)
{
    if (!arena) {
        if (err)
            *err = -EINVAL;
        return NULL;
    }
    return s_unpack(arena, data, len, budget, err, NULL);
}

Mvoi__Envelope *codec_unpack_in_ok(arena_t *arena, const void *data, size_t len, size_t budget,
                                   int *err, bool *strings_ok)
{
    *strings_ok = false;
    if (!arena) {
        if (err)
            *err = -EINVAL;
        return NULL;
    }
    return s_unpack(arena, data, len, budget, err, strings_ok);
}

void codec_free(Mvoi__Envelope **env_p)
{
    if (!env_p || !*env_p)
        return;
    mvoi__envelope__free_unpacked(*env_p, NULL);   /* NULL = malloc/free, matches calloc */
    *env_p = NULL;
}

int codec_pack(const Mvoi__Envelope *env, uint8_t **buf, size_t *len)
{
    codec_env_size_t sz;
    size_t n = codec_envelope_size(env, &sz);
    if (n > CODEC_MAX_BYTES)
        return -EMSGSIZE;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return -ENOMEM;
    *len = codec_envelope_pack(env, &sz, b);
    *buf = b;
    return 0;
}

int64_t codec_pack_into(const Mvoi__Envelope *env, uint8_t *buf, size_t cap)
{
    codec_env_size_t sz;
    size_t n = codec_envelope_size(env, &sz);
    if (n > CODEC_MAX_BYTES)
        return -EMSGSIZE;
    if (n > cap)
        return -ENOSPC;
    return (int64_t)codec_envelope_pack(env, &sz, buf);
}

size_t codec_field_size(uint32_t num, size_t len)
{
    return codec_varint_size((uint64_t)num << 3 | 2) + codec_varint_size(len) + len;
}

uint8_t *codec_field_put(uint8_t *p, uint32_t num, const void *data, size_t len)
{
    p = codec_varint_put(p, (uint64_t)num << 3 | 2);
    p = codec_varint_put(p, len);
    if (len)
        memcpy(p, data, len);
    return p + len;
}

void codec_set_error(Mvoi__Envelope *reply, codec_error_t *store, Mvoi__ErrorCode code,
                     const char *field, const char *fmt, ...)
{
    mvoi__error__init(&store->err);
    store->err.has_code = 1;
    store->err.code = code;
    store->field[0] = '\0';
    store->message[0] = '\0';
    if (field) {
        snprintf(store->field, sizeof store->field, "%s", field);
        store->err.field = store->field;
    }
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(store->message, sizeof store->message, fmt, ap);
        va_end(ap);
        store->err.message = store->message;
    }
    reply->body_case = MVOI__ENVELOPE__BODY_ERROR;
    reply->error = &store->err;
}

const char *codec_body_name(Mvoi__Envelope__BodyCase c)
{
    if (c == MVOI__ENVELOPE__BODY__NOT_SET)
        return "unknown";
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&mvoi__envelope__descriptor, (unsigned)c);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return "unknown";
    return f->name;
}
