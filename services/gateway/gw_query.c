/*  gw_query: query parameters -> protobuf message (gw_query.h). */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gw_query.h"
#include "pbjson.h"

int gw_query_add(gw_query_args_t *a, const char *key, const char *value)
{
    if (a->n == GW_QUERY_MAX_ARGS) {
        a->overflow = 1;
        return -1;
    }
    a->key[a->n] = key;
    a->val[a->n++] = value ? value : "";
    return 0;
}

int gw_query_add_n(gw_query_args_t *a, const char *key, size_t key_len, const char *value,
                   size_t value_len)
{
    bool cut = strlen(key) != key_len || (value && strlen(value) != value_len);
    if (cut && !a->nul && a->n < GW_QUERY_MAX_ARGS)
        a->nul = a->n + 1;
    return gw_query_add(a, key, value);
}

static void s_err(gw_query_error_t *err, const char *detail, const char *field);

int gw_query_check(const gw_query_args_t *a, gw_query_error_t *err)
{
    if (a->overflow) {
        s_err(err, "too many query parameters", NULL);
        return -EINVAL;
    }
    if (a->nul) {
        s_err(err, "contains %00 (a NUL byte): refused, not cut", a->key[a->nul - 1]);
        return -EINVAL;
    }
    for (int i = 0; i < a->n; i++)   /* n <= 32: pairs are cheap */
        for (int j = 0; j < i; j++)
            if (strcmp(a->key[i], a->key[j]) == 0) {
                s_err(err, "repeated query parameter: give it once", a->key[i]);
                return -EINVAL;
            }
    return 0;
}

static bool s_in(const char *key, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(*list, key) == 0)
            return true;
    return false;
}

static void s_err(gw_query_error_t *err, const char *detail, const char *field)
{
    snprintf(err->detail, sizeof err->detail, "%s", detail);
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
}

static bool s_signed(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT32 || t == PROTOBUF_C_TYPE_INT64 ||
           t == PROTOBUF_C_TYPE_SINT32 || t == PROTOBUF_C_TYPE_SINT64 ||
           t == PROTOBUF_C_TYPE_SFIXED32 || t == PROTOBUF_C_TYPE_SFIXED64;
}

/* One value as JSON of the field's type; NULL when it is not one. */
static json_t *s_value(const ProtobufCFieldDescriptor *f, const char *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
            return json_true();
        if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
            return json_false();
        return NULL;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_ENUM:
        return json_string(v);     /* NULL when v is not UTF-8 */
    default: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v && !*end && !errno && (*v != '-' || s_signed(f->type)))
            return json_integer(n);
        return NULL;
    }
    }
}

int gw_query_decode(const gw_query_args_t *a, const ProtobufCMessageDescriptor *desc,
                    const char *const *extra, ProtobufCMessage **out, gw_query_error_t *err)
{
    *out = NULL;
    if (gw_query_check(a, err) < 0)
        return -EINVAL;
    json_t *o = json_object();
    if (!o) {
        s_err(err, "out of memory", NULL);
        return -EINVAL;
    }
    for (int i = 0; i < a->n; i++) {
        const char *k = a->key[i], *v = a->val[i];
        /* buyer, lang: every route's, resolved before the handler (gw_buyer.c, gw_lang.h) */
        if (s_in(k, extra) || strcmp(k, "access_token") == 0 || strcmp(k, "buyer") == 0 ||
            strcmp(k, "lang") == 0)
            continue;
        const ProtobufCFieldDescriptor *f =
            desc ? protobuf_c_message_descriptor_get_field_by_name(desc, k) : NULL;
        if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE) {
            json_decref(o);
            s_err(err, "unknown query parameter", k);
            return -EINVAL;
        }
        json_t *jv = s_value(f, v);
        if (!jv) {
            json_decref(o);
            s_err(err, f->type == PROTOBUF_C_TYPE_BOOL ? "expected true or false"
                       : f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_ENUM
                           ? "not valid UTF-8"
                           : "expected a whole number", k);
            return -EINVAL;
        }
        json_object_set_new(o, k, jv);
    }
    pbjson_error_t e;
    int rc = desc ? pbjson_decode(o, desc, out, &e) : 0;
    json_decref(o);
    if (rc < 0) {
        s_err(err, e.message, e.field);
        return -EINVAL;
    }
    return 0;
}
