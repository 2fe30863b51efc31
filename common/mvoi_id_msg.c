/*  mvoi_id_msg: a request's strings and ids checked by walking its descriptors. See
 *  mvoi_id_msg.h. */
#include "mvoi_id_msg.h"
#include "mvoi_id.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_DEPTH_MAX 16
#define S_COUNTED 64            /* fields per message whose repeats get an [i] */

/* The path is a stack of (field, index), formatted only when something is found: every
 * request walks it, and formatting each step's name showed in the submit profile. */
typedef struct {
    const ProtobufCFieldDescriptor *f[S_DEPTH_MAX + 2];
    long idx[S_DEPTH_MAX + 2];
    size_t n;
    char *field, *why;
    size_t fcap, wcap;
    mvoi_id_why_t *wy;
} s_walk_t;

/* Enter field f (element idx of a repeated field, -1 otherwise); returns what s_pop takes.
 * The recursion stops at S_DEPTH_MAX, so the stack never holds more than S_DEPTH_MAX + 1. */
static size_t s_push(s_walk_t *w, const ProtobufCFieldDescriptor *f, long idx)
{
    size_t old = w->n;
    if (w->n < S_DEPTH_MAX + 2) {
        w->f[w->n] = f;
        w->idx[w->n] = idx;
        w->n++;
    }
    return old;
}

static void s_pop(s_walk_t *w, size_t old)
{
    w->n = old;
}

/* "a.b[2].c"; a path too long for the buffer ends in "..." rather than overflow. */
static void s_path(const s_walk_t *w, char *path, size_t cap)
{
    size_t plen = 0;
    path[0] = 0;
    for (size_t i = 0; i < w->n; i++) {
        int n = w->idx[i] >= 0 ? snprintf(path + plen, cap - plen, "%s%s[%ld]",
                                          plen ? "." : "", w->f[i]->name, w->idx[i])
                               : snprintf(path + plen, cap - plen, "%s%s",
                                          plen ? "." : "", w->f[i]->name);
        if (n < 0 || (size_t)n >= cap - plen) {
            memcpy(path + cap - 4, "...", 4);
            return;
        }
        plen += (size_t)n;
    }
}

static void s_found(s_walk_t *w, const mvoi_id_why_t *y)
{
    char path[MVOI_ID_FIELD_MAX];
    s_path(w, path, sizeof path);
    if (w->field && w->fcap)
        snprintf(w->field, w->fcap, "%s", path);
    if (w->why && w->wcap)
        mvoi_id_why_format(w->why, w->wcap, y->fmt, y);
    if (w->wy)
        *w->wy = *y;
}

/* ------------------------------------------------------------------ the bytes */

static bool s_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static int s_wire(s_walk_t *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                  size_t len, int depth)
{
    uint32_t counts[S_COUNTED] = { 0 };
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag, n;
        if (!s_varint(p, len, &pos, &tag))
            return 0;                       /* malformed: the decoder's business */
        uint32_t num = (uint32_t)(tag >> 3), wt = (uint32_t)(tag & 7);
        if (wt == 0) {
            if (!s_varint(p, len, &pos, &n))
                return 0;
            continue;
        }
        if (wt == 1 || wt == 5) {
            pos += wt == 1 ? 8 : 4;
            continue;
        }
        if (wt != 2 || !s_varint(p, len, &pos, &n) || n > len - pos)
            return 0;
        const uint8_t *v = p + pos;
        pos += (size_t)n;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, num);
        if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        long idx = -1;
        size_t fi = (size_t)(f - d->fields);
        if (f->label == PROTOBUF_C_LABEL_REPEATED && fi < S_COUNTED)
            idx = counts[fi]++;
        size_t old = s_push(w, f, idx);
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            size_t ok = mvoi_utf8_valid_prefix(v, (size_t)n);
            if (ok != n) {   /* the reasons of mvoi_id's, "id.err." in the catalogue */
                mvoi_id_why_t y = { v[ok] == 0 ? "contains a NUL byte at byte %zu"
                                               : "is not valid UTF-8 at byte %zu", ok, 0 };
                s_found(w, &y);
                return -EILSEQ;
            }
        } else if (depth < S_DEPTH_MAX) {
            int rc = s_wire(w, f->descriptor, v, (size_t)n, depth + 1);
            if (rc != 0)
                return rc;
        }
        s_pop(w, old);
    }
    return 0;
}

int mvoi_id_msg_check_wire(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                           size_t len, char *field, size_t fcap, char *why, size_t wcap,
                           mvoi_id_why_t *wy)
{
    s_walk_t w = { .field = field, .fcap = fcap, .why = why, .wcap = wcap, .wy = wy };
    return s_wire(&w, d, data, len, 0);
}

/* ------------------------------------------------------------------ the ids */

/* The kind of id a string field holds, -1 for a field that is not an id. */
static int s_kind(const ProtobufCMessageDescriptor *d, const char *name)
{
    if (strcmp(name, "buyer") == 0)
        return MVOI_ID_BUYER;
    if (strcmp(name, "tender_id") == 0)
        return MVOI_ID_TENDER;
    if (strcmp(name, "measurement_id") == 0)
        return MVOI_ID_MEASUREMENT;
    if (strcmp(name, "request_id") == 0)
        return MVOI_ID_REQUEST;
    if (strcmp(name, "id") != 0)
        return -1;
    if (strstr(d->short_name, "Measurement"))
        return MVOI_ID_MEASUREMENT;
    if (strstr(d->short_name, "Reminder"))
        return MVOI_ID_REMINDER;
    return MVOI_ID_TENDER;
}

/* s_kind of a field, remembered by its descriptor (descriptors are static, so the address
 * names the field for good): five string compares per string field of every message of a
 * request showed in the submit profile. Per thread, so no locking. */
#define S_KIND_SLOTS 256
static int s_kind_cached(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    static _Thread_local struct {
        const ProtobufCFieldDescriptor *f;
        int kind;
    } slot[S_KIND_SLOTS];
    size_t h = ((uintptr_t)f >> 4) % S_KIND_SLOTS;
    if (slot[h].f != f) {
        slot[h].kind = s_kind(d, f->name);
        slot[h].f = f;
    }
    return slot[h].kind;
}

static int s_msg(s_walk_t *w, const ProtobufCMessage *m, int depth);

static int s_one(s_walk_t *w, const ProtobufCFieldDescriptor *f, const void *slot, long idx,
                 int kind, int depth)
{
    int rc = 0;
    size_t old = s_push(w, f, idx);
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)slot;
        mvoi_id_why_t y;
        /* An optional id that is absent is the handler's business ("missing"). */
        if (s && *s && mvoi_id_why((mvoi_id_kind_t)kind, s, strlen(s), &y) != 0) {
            s_found(w, &y);
            rc = -EINVAL;
        }
    } else if (*(void *const *)slot && depth < S_DEPTH_MAX) {
        rc = s_msg(w, *(const ProtobufCMessage *const *)slot, depth + 1);
    }
    if (rc == 0)
        s_pop(w, old);
    return rc;
}

static int s_msg(s_walk_t *w, const ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m;
        /* the arms of a oneof other than the one set first: Envelope has 57 */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        int kind = f->type == PROTOBUF_C_TYPE_STRING ? s_kind_cached(d, f) : -1;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE && kind < 0)
            continue;
        int rc = 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            void *const *arr = *(void *const *const *)(base + f->offset);
            for (size_t k = 0; k < n && rc == 0; k++)
                rc = s_one(w, f, &arr[k], (long)k, kind, depth);
        } else {
            rc = s_one(w, f, base + f->offset, -1, kind, depth);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

int mvoi_id_msg_check(const ProtobufCMessage *msg, char *field, size_t fcap, char *why,
                      size_t wcap, mvoi_id_why_t *wy)
{
    s_walk_t w = { .field = field, .fcap = fcap, .why = why, .wcap = wcap, .wy = wy };
    return s_msg(&w, msg, 0);
}
