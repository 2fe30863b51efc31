/*  cmd_measure_fields: one measurement from named fields (mvoictl measure flags and the
 *  columns of a measurement CSV), through the protobuf descriptors.
 *
 *  A table names, per flag, the message (the Measurement itself or one of its kinds, by the
 *  Measurement's field name) and the .proto field it sets, plus how many decimals the text
 *  carries for an integer in a fixed unit (mass "1,5" kg -> mass_g 1500). Everything else
 *  comes from the descriptors, as the gateway's pbjson does: where the field lives, its type,
 *  its presence flag, its enum values; `kind` picks the Measurement's oneof member by name.
 *  A .proto rename is then a failure at the first use (tests/unit/mvoictl), not a silent
 *  write into the wrong field.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_measure.h"
#include "pbjson.h"

void ctl_meas_init(ctl_meas_t *x)
{
    memset(x, 0, sizeof *x);
    mvoi__measurement__init(&x->m);
    mvoi__energy_use__init(&x->e);
    mvoi__machine_use__init(&x->mu);
    mvoi__road_transport__init(&x->r);
    mvoi__material__init(&x->mat);
    mvoi__social_return__init(&x->s);
    mvoi__fair_trade__init(&x->ft);
    mvoi__mki__init(&x->k);
    mvoi__pilot_status__init(&x->p);
}

void ctl_meas_fini(ctl_meas_t *x)
{
    for (int i = 0; i < x->nstrs; i++)
        free(x->strs[i]);
    x->nstrs = 0;
}

/* ------------------------------------------------------------ the field table */

enum {
    S_CSV_ONLY = 1,   /* a CSV column, not a flag (the flag has another name) */
    S_IN_KIND = 2,    /* applies only when the measurement is of this entry's kind */
    S_RUNG = 4,       /* enum: "r3" names the value whose name starts "R3_" */
};

typedef struct {
    const char *key;     /* flag / CSV column */
    const char *part;    /* Measurement field of the kind holding it; NULL: Measurement */
    const char *field;   /* the .proto field */
    int dec;             /* integers: decimals in the text (value x 10^dec) */
    int flags;
} s_field_t;

static const s_field_t s_fields[] = {
    { "id", NULL, "id", 0, 0 },
    { "tender", NULL, "tender_id", 0, 0 },
    { "tender_id", NULL, "tender_id", 0, S_CSV_ONLY },
    { "buyer", NULL, "buyer", 0, S_CSV_ONLY },
    { "phase", NULL, "phase", 0, 0 },
    { "period_start", NULL, "period_start", 0, 0 },
    { "period_end", NULL, "period_end", 0, 0 },
    { "submitter", NULL, "submitter", 0, 0 },
    { "edition", NULL, "edition", 0, 0 },
    { "reason", NULL, "reason", 0, 0 },
    { "carrier", "energy", "carrier", 0, 0 },
    { "reference", "energy", "reference_carrier", 0, 0 },
    { "quantity", "energy", "quantity_milli", 3, 0 },
    { "grid_year", "energy", "grid_year", 0, 0 },
    { "power", "machine", "power_kw", 0, 0 },
    { "stage", "machine", "stage_actual", 0, 0 },
    { "stage_required", "machine", "stage_required", 0, 0 },
    { "hours", "machine", "hours_milli", 3, 0 },
    { "load", "machine", "load_factor_permille", 3, 0 },
    { "kwh", "road", "kwh_milli", 3, S_IN_KIND },   /* heavy duty; otherwise metered */
    { "kwh", "machine", "metered_kwh_milli", 3, 0 },
    { "machine", "machine", "machine", 0, 0 },
    { "vehicle", "road", "vehicle_class", 0, 0 },
    { "euro", "road", "euro_class_actual", 0, 0 },
    { "euro_required", "road", "euro_class_required", 0, 0 },
    { "km", "road", "km_milli", 3, 0 },
    { "mass", "material", "mass_g", 3, 0 },
    { "strategy", "material", "strategy", 0, S_RUNG },
    { "sharing", "material", "sharing_factor_milli", 3, 0 },
    { "renewable", "material", "renewable", 0, 0 },
    { "material", "material", "material", 0, 0 },
    { "target_group", "social", "target_group", 0, 0 },
    { "fte_months", "social", "fte_months_milli", 3, 0 },
    { "social_hours", "social", "social_project_hours_milli", 3, 0 },
    { "invoices", "social", "social_enterprise_cents", 2, 0 },
    { "bonus50", "social", "bonus_50plus", 0, 0 },
    { "category", "fairtrade", "category", 0, 0 },
    { "products", "fairtrade", "products_total", 0, 0 },
    { "fair", "fairtrade", "products_fair", 0, 0 },
    { "mki_reference", "mki", "reference_mki_cents", 2, 0 },
    { "mki_offered", "mki", "offered_mki_cents", 2, 0 },
    { "theme", "pilot", "theme", 0, 0 },
    { "status", "pilot", "status", 0, 0 },
};
#define S_NFIELDS (sizeof s_fields / sizeof s_fields[0])

/* ------------------------------------------------------------ values */

static char *s_keep(ctl_meas_t *x, const char *v)
{
    if (x->nstrs >= (int)(sizeof x->strs / sizeof x->strs[0]))
        return NULL;
    return x->strs[x->nstrs++] = strdup(v);
}

/* Decimal text -> value x 10^dec, exact ("1234,5" with dec 3 -> 1234500). */
static int s_fixed(const char *t, int dec, int64_t *out)
{
    const char *p = t;
    bool neg = false;
    while (*p == ' ')
        p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    int64_t v = 0;
    int digits = 0, frac = -1;
    for (; *p; p++) {
        if (*p == '.' || *p == ',') {
            if (frac >= 0)
                return -EINVAL;
            frac = 0;
            continue;
        }
        if (*p == '_' || *p == ' ')
            continue;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        if (frac >= 0 && frac == dec) {
            if (*p != '0')
                return -ERANGE;
            continue;
        }
        if (v > (INT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (*p - '0');
        digits++;
        if (frac >= 0)
            frac++;
    }
    if (!digits)
        return -EINVAL;
    for (int f = frac < 0 ? 0 : frac; f < dec; f++) {
        if (v > INT64_MAX / 10)
            return -ERANGE;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

static bool s_yes(const char *v)
{
    return !strcasecmp(v, "yes") || !strcasecmp(v, "ja") || !strcasecmp(v, "true")
           || !strcmp(v, "1");
}

/* The prefix every value name of an enum shares, up to its last '_' ("PHASE_"), so that
 * "ambition" is read as PHASE_AMBITION. */
static void s_enum_prefix(const ProtobufCEnumDescriptor *d, char *out, size_t cap)
{
    size_t n = d->n_values ? strlen(d->values[0].name) : 0;
    for (unsigned i = 1; i < d->n_values; i++) {
        size_t k = 0;
        while (k < n && d->values[i].name[k] == d->values[0].name[k])
            k++;
        n = k;
    }
    while (n > 0 && d->values[0].name[n - 1] != '_')
        n--;
    snprintf(out, cap, "%.*s", (int)n, n ? d->values[0].name : "");
}

static int s_enum(const ProtobufCEnumDescriptor *d, const char *v, int flags, int *out)
{
    char prefix[64], name[160];
    if (pbjson_enum_parse(d, v, out) == 0)
        return 0;
    s_enum_prefix(d, prefix, sizeof prefix);
    snprintf(name, sizeof name, "%s%s", prefix, v);
    if (pbjson_enum_parse(d, name, out) == 0)
        return 0;
    if (!(flags & S_RUNG))
        return -EINVAL;
    size_t n = strlen(v);
    for (unsigned i = 0; i < d->n_values; i++)
        if (!strncasecmp(d->values[i].name, v, n) && d->values[i].name[n] == '_') {
            *out = d->values[i].value;
            return 0;
        }
    return -EINVAL;
}

/* ------------------------------------------------------------ through the descriptors */

/* The Measurement's oneof member of a kind ("energy"), or NULL. */
static const ProtobufCFieldDescriptor *s_kind_field(const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&mvoi__measurement__descriptor, name);
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type == PROTOBUF_C_TYPE_MESSAGE
               ? f
               : NULL;
}

/* The message of x that holds the fields of part (NULL: the Measurement itself). */
static ProtobufCMessage *s_part(ctl_meas_t *x, const char *part)
{
    if (!part)
        return &x->m.base;
    const ProtobufCFieldDescriptor *f = s_kind_field(part);
    ProtobufCMessage *kinds[] = { &x->e.base, &x->mu.base, &x->r.base, &x->mat.base,
                                  &x->s.base, &x->ft.base, &x->k.base, &x->p.base };
    for (size_t i = 0; f && i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i]->descriptor == f->descriptor)
            return kinds[i];
    return NULL;
}

/* Make the measurement of kind `name`: the oneof's case and member. */
static int s_set_kind(ctl_meas_t *x, const char *name)
{
    const ProtobufCFieldDescriptor *f = s_kind_field(name);
    ProtobufCMessage *sub = f ? s_part(x, name) : NULL;
    if (!sub)
        return -EINVAL;
    *(uint32_t *)((char *)&x->m + f->quantifier_offset) = f->id;
    *(ProtobufCMessage **)((char *)&x->m + f->offset) = sub;
    return 0;
}

static int s_set_int(void *at, ProtobufCType type, int64_t v)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)at = (int32_t)v; return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)at = (uint32_t)v; return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)at = v; return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)at = (uint64_t)v; return 0;
    default: return -EINVAL;
    }
}

/* Set the field of entry e from text v. */
static int s_set(ctl_meas_t *x, const s_field_t *e, const char *v)
{
    ProtobufCMessage *msg = s_part(x, e->part);
    const ProtobufCFieldDescriptor *f =
        msg ? protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, e->field) : NULL;
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
        return -ENOENT;   /* the table names a field the .proto does not have */
    void *at = (char *)msg + f->offset;
    if (f->quantifier_offset && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        *(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
    int64_t n;
    int ev;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: *(char **)at = s_keep(x, v); return 0;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)at = s_yes(v); return 0;
    case PROTOBUF_C_TYPE_ENUM:
        if (s_enum(f->descriptor, v, e->flags, &ev) != 0)
            return -EINVAL;
        *(int *)at = ev;
        return 0;
    default:
        if (s_fixed(v, e->dec, &n) != 0)
            return -EINVAL;
        return s_set_int(at, f->type, n);
    }
}

/* The entry for key given the measurement's kind so far. */
static const s_field_t *s_entry(const ctl_meas_t *x, const char *key)
{
    for (size_t i = 0; i < S_NFIELDS; i++) {
        const s_field_t *e = &s_fields[i];
        if (strcmp(e->key, key) != 0)
            continue;
        if (e->flags & S_IN_KIND) {
            const ProtobufCFieldDescriptor *f = s_kind_field(e->part);
            if (!f || x->m.kind_case != (Mvoi__Measurement__KindCase)f->id)
                continue;
        }
        return e;
    }
    return NULL;
}

/* "YYYY-MM-DD..YYYY-MM-DD" into period_start and period_end. */
static int s_set_period(ctl_meas_t *x, const char *v)
{
    const char *dots = strstr(v, "..");
    if (!dots)
        return -EINVAL;
    char a[32];
    snprintf(a, sizeof a, "%.*s", (int)(dots - v), v);
    x->m.period_start = s_keep(x, a);
    x->m.period_end = s_keep(x, dots + 2);
    return 0;
}

int ctl_meas_set(ctl_meas_t *x, const char *key, const char *v)
{
    if (!v || !*v)
        return 0;
    int rc;
    const s_field_t *e = NULL;
    if (!strcmp(key, "period"))
        rc = s_set_period(x, v);
    else if (!strcmp(key, "kind"))
        rc = s_set_kind(x, v);
    else if ((e = s_entry(x, key)))
        rc = s_set(x, e, v);
    else {
        snprintf(x->err, sizeof x->err, "unknown field '%s'", key);
        return -EINVAL;
    }
    if (rc == -ENOENT) {
        snprintf(x->err, sizeof x->err, "%s: no field %s.%s in this build's .proto", key,
                 e && e->part ? e->part : "measurement", e ? e->field : "?");
        return -EINVAL;
    }
    if (rc != 0) {
        snprintf(x->err, sizeof x->err, "%s: '%s' is not a valid value", key, v);
        return -EINVAL;
    }
    return 0;
}

bool ctl_meas_known(const char *key)
{
    for (size_t i = 0; i < S_NFIELDS; i++)
        if (!strcmp(s_fields[i].key, key))
            return true;
    return !strcmp(key, "period") || !strcmp(key, "kind");
}

const struct option *ctl_meas_options(void)
{
    /* every flag once, then period, kind and --json (val 'J') */
    static struct option opts[S_NFIELDS + 4];
    if (opts[0].name)
        return opts;
    size_t n = 0;
    for (size_t i = 0; i < S_NFIELDS; i++) {
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || !strcmp(opts[j].name, s_fields[i].key);
        if (!dup && !(s_fields[i].flags & S_CSV_ONLY))
            opts[n++] = (struct option){ s_fields[i].key, required_argument, NULL, 0 };
    }
    opts[n++] = (struct option){ "period", required_argument, NULL, 0 };
    opts[n++] = (struct option){ "kind", required_argument, NULL, 0 };
    opts[n++] = (struct option){ "json", required_argument, NULL, 'J' };
    opts[n] = (struct option){ 0, 0, 0, 0 };
    return opts;
}
