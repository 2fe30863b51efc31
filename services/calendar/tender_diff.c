/* tender_diff: see tender_diff.h. */
#include "tender_diff.h"
#include "tender_util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *s_at(const void *msg, unsigned off) { return (char *)msg + off; }

/* Does the message set field f? (repeated: any element; optional: has_ or non-NULL) */
static bool s_set(const void *m, const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)s_at(m, f->quantifier_offset) > 0;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)s_at(m, f->offset) != NULL;
    return *(const protobuf_c_boolean *)s_at(m, f->quantifier_offset) != 0;
}

static size_t s_scalar_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    default: return 4;
    }
}

/* Free and unset field f of a heap (unpacked) tender. */
static void s_clear(void *m, const ProtobufCFieldDescriptor *f)
{
    void **slot = s_at(m, f->offset);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = s_at(m, f->quantifier_offset);
        for (size_t i = 0; i < *n; i++) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                protobuf_c_message_free_unpacked(((ProtobufCMessage **)*slot)[i], NULL);
            else if (f->type == PROTOBUF_C_TYPE_STRING)
                free(((char **)*slot)[i]);
        }
        free(*slot);
        *slot = NULL;
        *n = 0;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (*slot)
            protobuf_c_message_free_unpacked(*slot, NULL);
        *slot = NULL;
    } else if (f->type == PROTOBUF_C_TYPE_STRING) {
        free(*slot);
        *slot = NULL;
    } else {
        *(protobuf_c_boolean *)s_at(m, f->quantifier_offset) = 0;
    }
}

Mvoi__Tender *tender_merge(const Mvoi__Tender *base, const Mvoi__Tender *upd)
{
    const ProtobufCMessageDescriptor *d = &mvoi__tender__descriptor;
    Mvoi__Tender *b = tender_dup(base);
    if (!b)
        return NULL;
    /* fields upd sets are cleared in the copy; packing both and reading the bytes back as
     * one message then gives upd's value for those (last one wins, nothing to append to)
     * and base's for the others */
    for (unsigned i = 0; i < d->n_fields; i++)
        if (s_set(upd, &d->fields[i]))
            s_clear(b, &d->fields[i]);
    size_t lb = mvoi__tender__get_packed_size(b), lu = mvoi__tender__get_packed_size(upd);
    uint8_t *buf = malloc(lb + lu + 1);
    Mvoi__Tender *out = NULL;
    if (buf) {
        mvoi__tender__pack(b, buf);
        mvoi__tender__pack(upd, buf + lb);
        out = mvoi__tender__unpack(NULL, lb + lu, buf);
    }
    free(buf);
    tender_free(b);
    return out;
}

static int s_msg_eq(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    if (!a || !b)
        return a == b;
    size_t la = protobuf_c_message_get_packed_size(a), lb = protobuf_c_message_get_packed_size(b);
    if (la != lb)
        return 0;
    uint8_t *x = malloc(la + 1), *y = malloc(lb + 1);
    int eq = -1;
    if (x && y) {
        protobuf_c_message_pack(a, x);
        protobuf_c_message_pack(b, y);
        eq = memcmp(x, y, la) == 0;
    }
    free(x);
    free(y);
    return eq;
}

/* 1 equal, 0 different, -1 no memory */
static int s_field_eq(const void *a, const void *b, const ProtobufCFieldDescriptor *f)
{
    size_t sz = s_scalar_size(f->type);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t na = *(const size_t *)s_at(a, f->quantifier_offset);
        size_t nb = *(const size_t *)s_at(b, f->quantifier_offset);
        if (na != nb)
            return 0;
        char *ea = *(char **)s_at(a, f->offset), *eb = *(char **)s_at(b, f->offset);
        for (size_t i = 0; i < na; i++) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int r = s_msg_eq(((ProtobufCMessage **)(void *)ea)[i], ((ProtobufCMessage **)(void *)eb)[i]);
                if (r != 1)
                    return r;
            } else if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (strcmp(((char **)(void *)ea)[i], ((char **)(void *)eb)[i]) != 0)
                    return 0;
            } else if (memcmp(ea + i * sz, eb + i * sz, sz) != 0) {
                return 0;
            }
        }
        return 1;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *x = *(char *const *)s_at(a, f->offset), *y = *(char *const *)s_at(b, f->offset);
        return (!x || !y) ? x == y : strcmp(x, y) == 0;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return s_msg_eq(*(ProtobufCMessage *const *)s_at(a, f->offset),
                        *(ProtobufCMessage *const *)s_at(b, f->offset));
    bool ha = s_set(a, f), hb = s_set(b, f);
    if (ha != hb)
        return 0;
    return !ha || memcmp(s_at(a, f->offset), s_at(b, f->offset), sz) == 0;
}

int tender_changed(const Mvoi__Tender *a, const Mvoi__Tender *b, const char **names, size_t max)
{
    const ProtobufCMessageDescriptor *d = &mvoi__tender__descriptor;
    int n = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->id == 26 || f->id == 27 || f->id == 28)
            continue;   /* version, created_ms, updated_ms: bookkeeping, not content */
        int eq = s_field_eq(a, b, f);
        if (eq < 0)
            return -1;
        if (!eq) {
            if ((size_t)n < max)
                names[n] = f->name;
            n++;
        }
    }
    return n;
}
