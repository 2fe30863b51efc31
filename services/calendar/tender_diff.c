/* tender_diff: see tender_diff.h. */
#include "tender_diff.h"
#include "tender_util.h"
#include "cal_str.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
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

static bool s_stated(char *const *stated, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (stated[i] && strcmp(stated[i], name) == 0)
            return true;
    return false;
}

/* The person fields by part: name and email each stated on their own (a sheet's columns). */
static const char *const s_persons[] = { "project_leader", "budget_holder", "procurement_adviser" };

static Mvoi__Person **s_person_slot(Mvoi__Tender *t, size_t k)
{
    return k == 0 ? &t->project_leader : k == 1 ? &t->budget_holder : &t->procurement_adviser;
}

static bool s_part_stated(char *const *stated, size_t n, const char *person, const char *part)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", person, part);
    return s_stated(stated, n, person) || s_stated(stated, n, name);
}

bool tender_stated_known(const char *name)
{
    if (!name)
        return false;
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(s_persons[k]);
        if (strncmp(name, s_persons[k], l) == 0 && name[l] == '.' &&
            (strcmp(name + l + 1, "name") == 0 || strcmp(name + l + 1, "email") == 0))
            return true;
    }
    return protobuf_c_message_descriptor_get_field_by_name(&mvoi__tender__descriptor, name) != NULL;
}

int tender_stated_person_check(const Mvoi__Tender *base, const Mvoi__Tender *upd,
                               char *const *stated, size_t n_stated, const char **field)
{
    for (size_t k = 0; k < 3; k++) {
        const Mvoi__Person *b = *s_person_slot((Mvoi__Tender *)base, k);
        const Mvoi__Person *u = *s_person_slot((Mvoi__Tender *)upd, k);
        if (!s_part_stated(stated, n_stated, s_persons[k], "name") ||
            s_part_stated(stated, n_stated, s_persons[k], "email") || !b ||
            cal_str_empty(b->email))
            continue;
        const char *bn = b->name ? b->name : "", *un = u && u->name ? u->name : "";
        if (strcmp(bn, un) == 0)
            continue;   /* the same person: the stored address stays theirs */
        *field = s_persons[k];
        return -EINVAL;
    }
    return 0;
}

/* The person of upd as the stated parts make it: each stated part from upd, the others
 * from base; no name and no e-mail is no person. u is upd's copy. 0 or -ENOMEM. */
static int s_person_parts(const Mvoi__Tender *base, Mvoi__Tender *u, size_t k,
                          char *const *stated, size_t n)
{
    bool sn = s_part_stated(stated, n, s_persons[k], "name");
    bool se = s_part_stated(stated, n, s_persons[k], "email");
    if (!sn && !se)
        return 0;
    const Mvoi__Person *b = *s_person_slot((Mvoi__Tender *)base, k);
    Mvoi__Person **slot = s_person_slot(u, k);
    const char *bn = b ? b->name : NULL, *be = b ? b->email : NULL;
    const char *un = *slot ? (*slot)->name : NULL, *ue = *slot ? (*slot)->email : NULL;
    char *name = strdup(sn ? (un ? un : "") : (bn ? bn : ""));
    char *email = strdup(se ? (ue ? ue : "") : (be ? be : ""));
    int rc = name && email ? tender_set_person(slot, name, email) : -ENOMEM;
    free(name);
    free(email);
    return rc;
}

Mvoi__Tender *tender_merge_stated(const Mvoi__Tender *base, const Mvoi__Tender *upd,
                                  char *const *stated, size_t n_stated)
{
    const ProtobufCMessageDescriptor *d = &mvoi__tender__descriptor;
    Mvoi__Tender *u = tender_dup(upd), *b = tender_dup(base), *out = NULL;
    if (!u || !b)
        goto out;
    for (size_t k = 0; k < 3; k++)
        if (s_person_parts(base, u, k, stated, n_stated) < 0)
            goto out;
    /* a stated field that u leaves unset is cleared in b: the merge then leaves it unset */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        bool person = false;
        for (size_t k = 0; k < 3; k++)
            person = person || (strcmp(f->name, s_persons[k]) == 0 &&
                                (s_part_stated(stated, n_stated, s_persons[k], "name") ||
                                 s_part_stated(stated, n_stated, s_persons[k], "email")));
        if (person || s_stated(stated, n_stated, f->name))
            s_clear(b, f);
    }
    out = tender_merge(b, u);
out:
    tender_free(u);
    tender_free(b);
    return out;
}
