/*  pbjson: protobuf-c <-> JSON by walking descriptors. Rules and rationale in pbjson.h. */
#include "pbjson.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Encode guard: the contract is non-recursive (docs/libraries.md#untrusted-input), so only a hand-built cyclic
 * message can get this deep; fail instead of overflowing the stack. */
#define ENCODE_MAX_DEPTH 64

#define MEMBER(type, msg, off) (*(type *)((char *)(msg) + (off)))
#define CMEMBER(type, msg, off) (*(const type *)((const char *)(msg) + (off)))

/* ------------------------------------------------------------------------------------------
 * Enum short names
 *
 * Computed once per enum type and kept for the life of the process: descriptors are static,
 * and returning a stable const char * keeps pbjson_enum_short allocation-free for callers.
 * Readers walk an immutable, append-only list without a lock (acquire load); writers
 * serialise on a mutex and publish with a release store.
 * ---------------------------------------------------------------------------------------- */
typedef struct enum_names {
    const ProtobufCEnumDescriptor *d;
    struct enum_names *next;
    char *names[];   /* parallel to d->values */
} enum_names_t;

static _Atomic(enum_names_t *) s_enum_head;
static pthread_mutex_t s_enum_lock = PTHREAD_MUTEX_INITIALIZER;

/* Longest common prefix of all value names, cut back to whole "WORD_" segments, and cut
 * further while it would leave some name empty ("FOO_" as a value name). */
static size_t s_enum_prefix_len(const ProtobufCEnumDescriptor *d)
{
    if (d->n_values == 0)
        return 0;
    const char *first = d->values[0].name;
    size_t lcp = strlen(first);
    for (unsigned i = 1; i < d->n_values; i++) {
        const char *n = d->values[i].name;
        size_t k = 0;
        while (k < lcp && n[k] == first[k])
            k++;
        lcp = k;
    }
    for (;;) {
        while (lcp > 0 && first[lcp - 1] != '_')
            lcp--;
        bool ok = true;
        for (unsigned i = 0; i < d->n_values && ok; i++)
            ok = strlen(d->values[i].name) > lcp;
        if (ok || lcp == 0)
            return lcp;
        lcp--;
    }
}

static const enum_names_t *s_enum_names(const ProtobufCEnumDescriptor *d)
{
    for (enum_names_t *e = atomic_load_explicit(&s_enum_head, memory_order_acquire); e;
         e = e->next)
        if (e->d == d)
            return e;

    pthread_mutex_lock(&s_enum_lock);
    enum_names_t *head = atomic_load_explicit(&s_enum_head, memory_order_relaxed);
    for (enum_names_t *e = head; e; e = e->next)
        if (e->d == d) {
            pthread_mutex_unlock(&s_enum_lock);
            return e;
        }
    /* One block: header, pointer array, then the strings. */
    size_t plen = s_enum_prefix_len(d);
    size_t bytes = sizeof(enum_names_t) + d->n_values * sizeof(char *);
    for (unsigned i = 0; i < d->n_values; i++)
        bytes += strlen(d->values[i].name) - plen + 1;
    enum_names_t *e = malloc(bytes);
    if (e) {
        e->d = d;
        e->next = head;
        char *p = (char *)&e->names[d->n_values];
        for (unsigned i = 0; i < d->n_values; i++) {
            const char *s = d->values[i].name + plen;
            e->names[i] = p;
            while (*s)
                *p++ = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s), s++;
            *p++ = '\0';
        }
        atomic_store_explicit(&s_enum_head, e, memory_order_release);
    }
    pthread_mutex_unlock(&s_enum_lock);
    return e;
}

const char *pbjson_enum_short(const ProtobufCEnumDescriptor *d, int value)
{
    if (!d)
        return NULL;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (!v)
        return NULL;
    const enum_names_t *e = s_enum_names(d);
    return e ? e->names[v - d->values] : NULL;
}

int pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value)
{
    if (!d || !name || !value)
        return -EINVAL;
    const enum_names_t *e = s_enum_names(d);
    if (!e)
        return -ENOMEM;
    /* Short names first: they are what we emit. */
    for (unsigned i = 0; i < d->n_values; i++)
        if (strcasecmp(name, e->names[i]) == 0) {
            *value = d->values[i].value;
            return 0;
        }
    for (unsigned i = 0; i < d->n_values; i++)
        if (strcasecmp(name, d->values[i].name) == 0) {
            *value = d->values[i].value;
            return 0;
        }
    return -ENOENT;
}

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */
static size_t s_elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static const char *s_type_name(ProtobufCType t)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
        [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
        [PROTOBUF_C_TYPE_MESSAGE] = "message",
    };
    return (unsigned)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "?";
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *s_b64_encode(const uint8_t *in, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *p++ = s_b64[v >> 18];
        *p++ = s_b64[(v >> 12) & 63];
        *p++ = s_b64[(v >> 6) & 63];
        *p++ = s_b64[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *p++ = s_b64[v >> 18];
        *p++ = s_b64[(v >> 12) & 63];
        *p++ = i + 1 < len ? s_b64[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = '\0';
    return out;
}

/* Standard or URL-safe alphabet (clients use both), padding optional. */
static int s_b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* 0, or -1 for invalid text. *out is malloc'ed (NULL for empty input) */
static int s_b64_decode(const char *in, size_t len, uint8_t **out, size_t *olen, bool *oom)
{
    *out = NULL;
    *olen = 0;
    *oom = false;
    size_t pad = 0;
    while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
        pad++;
    if (pad && len % 4 != 0)
        return -1;
    size_t n = len - pad;          /* significant characters */
    if (n % 4 == 1)
        return -1;
    if (n == 0)
        return 0;
    uint8_t *buf = malloc(n / 4 * 3 + 2), *p = buf;
    if (!buf) {
        *oom = true;
        return -1;
    }
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = s_b64_val((unsigned char)in[i]);
        if (v < 0) {
            free(buf);
            return -1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *p++ = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *olen = (size_t)(p - buf);
    return 0;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF), or 0. */
static size_t s_utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A string from the wire: protobuf-c 1.4.1 does not validate UTF-8 and jansson refuses
 * invalid UTF-8, so one bad byte would make the whole message unencodable. Replace invalid
 * bytes with U+FFFD instead: the reader sees that something was wrong, the reply still goes. */
static json_t *s_json_string_lossy(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t len = strlen(s);
    char *buf = malloc(len * 3 + 1), *p = buf;
    if (!buf)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_seq(u + i, len - i);
        if (n) {
            memcpy(p, u + i, n);
            p += n;
            i += n;
        } else {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            i++;
        }
    }
    *p = '\0';
    j = json_string(buf);
    free(buf);
    return j;
}

/* ------------------------------------------------------------------------------------------
 * Encode
 * ---------------------------------------------------------------------------------------- */
static json_t *s_encode_msg(const ProtobufCMessage *m, int flags, unsigned depth);

static json_t *s_encode_value(const ProtobufCFieldDescriptor *f, const void *p, int flags,
                              unsigned depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)p;
        if (u <= (uint64_t)LLONG_MAX)
            return json_integer((json_int_t)u);
        char buf[24];   /* json_int_t cannot hold it: a decimal string, which decode accepts */
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
        return json_string(buf);
    }
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_FLOAT: {
        float v = *(const float *)p;
        return isfinite(v) ? json_real(v) : json_null();   /* JSON has no NaN/Infinity */
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = *(const double *)p;
        return isfinite(v) ? json_real(v) : json_null();
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const char *s = (flags & PBJSON_ENUM_NUMBERS) ? NULL : pbjson_enum_short(f->descriptor, v);
        return s ? json_string(s) : json_integer(v);   /* undeclared value: keep the number */
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)p;
        return s ? s_json_string_lossy(s) : json_null();
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        char *t = s_b64_encode(b->data, b->data ? b->len : 0);
        if (!t)
            return NULL;
        json_t *j = json_string(t);
        free(t);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
        return sub ? s_encode_msg(sub, flags, depth + 1) : json_null();
    }
    }
    return NULL;
}

/* Whether a singular field is present, mirroring protobuf-c's packer so that JSON shows
 * exactly what would go on the wire. */
static bool s_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = (const char *)m + f->offset;
    bool ptr_type = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (CMEMBER(uint32_t, m, f->quantifier_offset) != f->id)
            return false;
        if (ptr_type) {
            const void *ptr = *(const void *const *)p;
            return ptr && ptr != f->default_value;
        }
        return true;
    }
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return !ptr_type || *(const void *const *)p;
    case PROTOBUF_C_LABEL_OPTIONAL:
        if (ptr_type) {
            const void *ptr = *(const void *const *)p;
            return ptr && ptr != f->default_value;
        }
        return CMEMBER(protobuf_c_boolean, m, f->quantifier_offset);
    case PROTOBUF_C_LABEL_NONE:   /* proto3 without presence: non-zero means set */
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(const char *const *)p;
            return s && *s;
        }
        case PROTOBUF_C_TYPE_BYTES:
            return ((const ProtobufCBinaryData *)p)->len > 0;
        case PROTOBUF_C_TYPE_MESSAGE:
            return *(const void *const *)p != NULL;
        case PROTOBUF_C_TYPE_FLOAT:
            return *(const float *)p != 0;
        case PROTOBUF_C_TYPE_DOUBLE:
            return *(const double *)p != 0;
        default: {
            static const uint8_t zero[8];
            return memcmp(p, zero, s_elt_size(f->type)) != 0;
        }
        }
    case PROTOBUF_C_LABEL_REPEATED:
        break;
    }
    return false;
}

static json_t *s_encode_msg(const ProtobufCMessage *m, int flags, unsigned depth)
{
    if (depth > ENCODE_MAX_DEPTH) {
        errno = ELOOP;
        return NULL;
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *obj = json_object();
    if (!obj)
        goto oom;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *v;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = CMEMBER(size_t, m, f->quantifier_offset);
            const char *arr = CMEMBER(const char *, m, f->offset);
            if (n == 0 && !(flags & PBJSON_EMIT_EMPTY))
                continue;
            if (n && !arr)
                continue;   /* inconsistent message; the packer would crash, we just skip */
            size_t esz = s_elt_size(f->type);
            if (!(v = json_array()))
                goto oom;
            for (size_t k = 0; k < n; k++) {
                json_t *e = s_encode_value(f, arr + k * esz, flags, depth);
                if (!e || json_array_append_new(v, e)) {
                    json_decref(v);
                    goto fail;
                }
            }
        } else {
            if (!s_present(m, f))
                continue;
            if (!(v = s_encode_value(f, (const char *)m + f->offset, flags, depth)))
                goto fail;
        }
        if (json_object_set_new(obj, f->name, v))   /* consumes v even on failure */
            goto oom;
    }
    return obj;
oom:
    errno = ENOMEM;
fail:
    if (errno != ELOOP)
        errno = ENOMEM;
    json_decref(obj);
    return NULL;
}

json_t *pbjson_encode(const ProtobufCMessage *msg, int flags)
{
    if (!msg || !msg->descriptor) {
        errno = EINVAL;
        return NULL;
    }
    return s_encode_msg(msg, flags, 1);
}

char *pbjson_dumps(const ProtobufCMessage *msg, int flags)
{
    json_t *j = pbjson_encode(msg, flags);
    if (!j)
        return NULL;
    char *s = json_dumps(j, (flags & PBJSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT);
    json_decref(j);
    if (!s)
        errno = ENOMEM;
    return s;
}

/* ------------------------------------------------------------------------------------------
 * Decode
 *
 * Invariant that makes error paths leak-free: the message under construction is at every
 * moment freeable by protobuf_c_message_free_unpacked(msg, NULL). Pointers are stored only
 * once they own malloc'ed memory, a repeated field's count covers only slots already zeroed,
 * and a oneof case is set only after its arm holds a value. On any error the partial message
 * is freed as a whole at the level where it was allocated.
 * ---------------------------------------------------------------------------------------- */
typedef struct {
    pbjson_error_t *err;
    unsigned max_depth;
    size_t max_string;
    size_t max_array;
    size_t plen;
    char path[512];   /* dotted path of the value being decoded */
} ctx_t;

__attribute__((format(printf, 3, 4)))
static int s_fail(ctx_t *c, int rc, const char *fmt, ...)
{
    if (c->err) {
        /* Paths longer than the field buffer are cut; the reason still says what failed. */
        size_t n = c->plen < sizeof c->err->field - 1 ? c->plen : sizeof c->err->field - 1;
        memcpy(c->err->field, c->path, n);
        c->err->field[n] = '\0';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static size_t s_push_name(ctx_t *c, const char *name)
{
    size_t old = c->plen;
    int n = snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", name);
    c->plen = n < 0 ? old : old + (size_t)n >= sizeof c->path ? sizeof c->path - 1 : old + (size_t)n;
    return old;
}

static size_t s_push_index(ctx_t *c, size_t i)
{
    size_t old = c->plen;
    int n = snprintf(c->path + old, sizeof c->path - old, "[%zu]", i);
    c->plen = n < 0 ? old : old + (size_t)n >= sizeof c->path ? sizeof c->path - 1 : old + (size_t)n;
    return old;
}

static void s_pop(ctx_t *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* An integer of type t into (*neg, *mag), checked against [min, max] (magnitudes of the type's
 * bounds: neg_max = |min|). */
static int s_get_integer(ctx_t *c, const json_t *v, ProtobufCType t, bool allow_string,
                         unsigned long long neg_max, unsigned long long pos_max, bool *neg,
                         unsigned long long *mag)
{
    const char *tn = s_type_name(t);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        *neg = i < 0;
        *mag = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
    } else if (json_is_real(v)) {
        /* An integral real is exact up to 2^53; beyond that it may already have been rounded
         * by whoever produced it, so refuse rather than store a silently wrong number. */
        double d = json_real_value(v);
        if (!isfinite(d) || d != trunc(d))
            return s_fail(c, -EINVAL, "expected an integer (%s), got %.17g", tn, d);
        if (fabs(d) > 9007199254740992.0)
            return s_fail(c, -EINVAL, "expected an integer (%s), got the inexact real %.17g;"
                          " send large numbers as integers or decimal strings", tn, d);
        *neg = d < 0;
        *mag = (unsigned long long)fabs(d);
    } else if (allow_string && json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        const char *digits = s + (*s == '-');
        size_t nd = len - (size_t)(digits - s);
        if (nd == 0 || nd > 20 || strspn(digits, "0123456789") != nd)
            return s_fail(c, -EINVAL, "expected an integer (%s) or a decimal string,"
                          " got \"%.40s\"", tn, s);
        errno = 0;
        unsigned long long u = strtoull(digits, NULL, 10);
        if (errno == ERANGE)
            return s_fail(c, -EINVAL, "integer %.40s out of range for %s", s, tn);
        *neg = *s == '-' && u != 0;
        *mag = u;
    } else {
        return s_fail(c, -EINVAL, "expected an integer (%s), got %s", tn,
                      json_is_string(v) ? "a string" : json_is_boolean(v) ? "a boolean"
                      : json_is_array(v) ? "an array" : json_is_object(v) ? "an object" : "null");
    }
    if (*neg ? *mag > neg_max : *mag > pos_max) {
        if (neg_max)
            return s_fail(c, -EINVAL, "integer %s%llu out of range for %s (%lld..%llu)",
                          *neg ? "-" : "", *mag, tn, -(long long)(neg_max - 1) - 1, pos_max);
        return s_fail(c, -EINVAL, "integer %s%llu out of range for %s (0..%llu)",
                      *neg ? "-" : "", *mag, tn, pos_max);
    }
    return 0;
}

static int s_decode_msg(ctx_t *c, const json_t *j, const ProtobufCMessageDescriptor *d,
                        unsigned depth, ProtobufCMessage **out);

static int s_decode_enum(ctx_t *c, const ProtobufCFieldDescriptor *f, const json_t *v, int *out)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int rc = strlen(s) == json_string_length(v) ? pbjson_enum_parse(ed, s, out) : -ENOENT;
        if (rc == -ENOMEM)
            return s_fail(c, -ENOMEM, "out of memory");
        if (rc == 0)
            return 0;
        /* List the valid names when they fit: the caller can fix the request at once. */
        char list[160];
        size_t used = 0;
        bool fits = true;
        for (unsigned i = 0; i < ed->n_values && fits; i++) {
            const char *n = pbjson_enum_short(ed, ed->values[i].value);
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", n ? n : "?");
            fits = w >= 0 && used + (size_t)w < sizeof list;
            used += fits ? (size_t)w : 0;
        }
        if (fits)
            return s_fail(c, -EINVAL, "unknown %s value \"%.40s\" (valid: %s)", ed->name, s, list);
        return s_fail(c, -EINVAL, "unknown %s value \"%.40s\"", ed->name, s);
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < INT_MIN || i > INT_MAX || !protobuf_c_enum_descriptor_get_value(ed, (int)i))
            return s_fail(c, -EINVAL, "%lld is not a value of %s", (long long)i, ed->name);
        *out = (int)i;
        return 0;
    }
    return s_fail(c, -EINVAL, "expected an enum name (string) or number for %s", ed->name);
}

/* One value of field f into slot p (a singular member or an array element). Writes p only
 * with a complete value, so a failure leaves it as it was (zero/NULL/default). */
static int s_decode_value(ctx_t *c, const ProtobufCFieldDescriptor *f, const json_t *v, void *p,
                          unsigned depth)
{
    bool neg;
    unsigned long long mag;
    int rc;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if ((rc = s_get_integer(c, v, f->type, false, 1ULL << 31, INT32_MAX, &neg, &mag)))
            return rc;
        *(int32_t *)p = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if ((rc = s_get_integer(c, v, f->type, false, 0, UINT32_MAX, &neg, &mag)))
            return rc;
        *(uint32_t *)p = (uint32_t)mag;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if ((rc = s_get_integer(c, v, f->type, true, 1ULL << 63, INT64_MAX, &neg, &mag)))
            return rc;
        *(int64_t *)p = neg ? (int64_t)(0ULL - mag) : (int64_t)mag;   /* two's complement */
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if ((rc = s_get_integer(c, v, f->type, true, 0, UINT64_MAX, &neg, &mag)))
            return rc;
        *(uint64_t *)p = mag;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return s_fail(c, -EINVAL, "expected a boolean");
        *(protobuf_c_boolean *)p = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        if (!json_is_number(v))
            return s_fail(c, -EINVAL, "expected a number");
        double d = json_number_value(v);
        if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
            *(double *)p = d;
        } else {
            if (fabs(d) > FLT_MAX)
                return s_fail(c, -EINVAL, "number %g out of range for float", d);
            *(float *)p = (float)d;
        }
        return 0;
    }
    case PROTOBUF_C_TYPE_ENUM:
        return s_decode_enum(c, f, v, (int *)p);
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v))
            return s_fail(c, -EINVAL, "expected a string");
        size_t len = json_string_length(v);
        if (len > c->max_string)
            return s_fail(c, -E2BIG, "string too long: %zu bytes, limit %zu", len, c->max_string);
        const char *s = json_string_value(v);
        if (strlen(s) != len)   /* C strings end at NUL: "a\u0000b" would silently shrink */
            return s_fail(c, -EINVAL, "string contains a NUL character");
        char *dup = strdup(s);
        if (!dup)
            return s_fail(c, -ENOMEM, "out of memory");
        *(char **)p = dup;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v))
            return s_fail(c, -EINVAL, "expected a base64 string");
        size_t len = json_string_length(v);
        if (len > (c->max_string + 2) / 3 * 4)
            return s_fail(c, -E2BIG, "bytes too long: %zu base64 characters, limit %zu bytes",
                          len, c->max_string);
        ProtobufCBinaryData b;
        bool oom;
        if (s_b64_decode(json_string_value(v), len, &b.data, &b.len, &oom))
            return oom ? s_fail(c, -ENOMEM, "out of memory") : s_fail(c, -EINVAL, "invalid base64");
        if (b.len > c->max_string) {
            free(b.data);
            return s_fail(c, -E2BIG, "bytes too long: %zu bytes, limit %zu", b.len, c->max_string);
        }
        *(ProtobufCBinaryData *)p = b;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        if (!json_is_object(v))
            return s_fail(c, -EINVAL, "expected an object (%s)",
                          ((const ProtobufCMessageDescriptor *)f->descriptor)->name);
        return s_decode_msg(c, v, f->descriptor, depth + 1, (ProtobufCMessage **)p);
    }
    return s_fail(c, -EINVAL, "unsupported field type %d", (int)f->type);
}

static int s_decode_field(ctx_t *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                          const json_t *v, unsigned depth)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!json_is_array(v))
            return s_fail(c, -EINVAL, "expected an array");
        size_t n = json_array_size(v);
        if (n > c->max_array)
            return s_fail(c, -E2BIG, "array too long: %zu elements, limit %zu", n, c->max_array);
        if (n == 0)
            return 0;
        size_t esz = s_elt_size(f->type);
        char *arr = calloc(n, esz);
        if (!arr)
            return s_fail(c, -ENOMEM, "out of memory");
        MEMBER(void *, m, f->offset) = arr;
        for (size_t i = 0; i < n; i++) {
            /* Count the slot before filling it: it is zeroed, so free_unpacked copes with it
             * whether or not the element decodes. */
            MEMBER(size_t, m, f->quantifier_offset) = i + 1;
            size_t old = s_push_index(c, i);
            const json_t *e = json_array_get(v, i);
            int rc = json_is_null(e) ? s_fail(c, -EINVAL, "null is not allowed in an array")
                                     : s_decode_value(c, f, e, arr + i * esz, depth);
            if (rc)
                return rc;
            s_pop(c, old);
        }
        return 0;
    }

    uint32_t *oneof_case = NULL;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        oneof_case = &MEMBER(uint32_t, m, f->quantifier_offset);
        if (*oneof_case != 0 && *oneof_case != f->id) {
            /* protobuf-c descriptors do not carry the oneof's own name, so name both arms. */
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(m->descriptor, *oneof_case);
            return s_fail(c, -EINVAL, "two members of a oneof set: '%s' and '%s'",
                          other ? other->name : "?", f->name);
        }
    }
    int rc = s_decode_value(c, f, v, (char *)m + f->offset, depth);
    if (rc)
        return rc;
    if (oneof_case)
        *oneof_case = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE)
        MEMBER(protobuf_c_boolean, m, f->quantifier_offset) = 1;
    return 0;
}

static int s_decode_msg(ctx_t *c, const json_t *j, const ProtobufCMessageDescriptor *d,
                        unsigned depth, ProtobufCMessage **out)
{
    if (depth > c->max_depth)
        return s_fail(c, -E2BIG, "nesting deeper than %u levels", c->max_depth);
    ProtobufCMessage *m = calloc(1, d->sizeof_message);
    if (!m)
        return s_fail(c, -ENOMEM, "out of memory");
    d->message_init(m);

    int rc = 0;
    const char *key;
    size_t klen;
    json_t *v;
    /* jansson's iterator API takes a non-const object; we only read. */
    json_t *obj = (json_t *)j;
    json_object_keylen_foreach(obj, key, klen, v) {
        size_t old = s_push_name(c, key);
        const ProtobufCFieldDescriptor *f =
            strlen(key) == klen ? protobuf_c_message_descriptor_get_field_by_name(d, key) : NULL;
        if (!f)
            rc = s_fail(c, -EINVAL, "unknown field '%.64s' in %s", key, d->name);
        else if (!json_is_null(v))   /* null = absent */
            rc = s_decode_field(c, m, f, v, depth);
        if (rc)
            goto fail;
        s_pop(c, old);
    }
    /* proto2 required (unused by mvoi, kept for genericity): must be in the JSON. */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
            const json_t *fv = json_object_get(j, f->name);
            if (!fv || json_is_null(fv)) {
                size_t old = s_push_name(c, f->name);
                rc = s_fail(c, -EINVAL, "missing required field");
                s_pop(c, old);
                goto fail;
            }
        }
    }
    *out = m;
    return 0;
fail:
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int pbjson_decode_opts(const json_t *json, const ProtobufCMessageDescriptor *desc,
                       ProtobufCMessage **out, pbjson_error_t *err,
                       const pbjson_decode_opts_t *opts)
{
    ctx_t c = { .err = err, .max_depth = PBJSON_MAX_DEPTH, .max_string = PBJSON_MAX_STRING,
                .max_array = PBJSON_MAX_ARRAY };
    if (opts) {
        if (opts->max_depth)
            c.max_depth = opts->max_depth;
        if (opts->max_string)
            c.max_string = opts->max_string;
        if (opts->max_array)
            c.max_array = opts->max_array;
    }
    if (err)
        err->field[0] = err->message[0] = '\0';
    if (out)
        *out = NULL;
    if (!desc || !out)
        return s_fail(&c, -EINVAL, "invalid arguments");
    if (!json || !json_is_object(json))
        return s_fail(&c, -EINVAL, "expected a JSON object at the top level");
    return s_decode_msg(&c, json, desc, 1, out);
}

int pbjson_decode(const json_t *json, const ProtobufCMessageDescriptor *desc,
                  ProtobufCMessage **out, pbjson_error_t *err)
{
    return pbjson_decode_opts(json, desc, out, err, NULL);
}
