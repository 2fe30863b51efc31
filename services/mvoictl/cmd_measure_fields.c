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
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_measure.h"
#include "csv_import.h"
#include "pbjson.h"
#include "textfmt.h"

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
    x->lang = TEXT_EN;   /* the flags' reasons as before; the CSV import says its --lang */
}

/* fmt (the English of a catalogue "ctl.mfield." entry) in the measurement's language. */
static void __attribute__((format(printf, 4, 5)))
s_tr(const ctl_meas_t *x, char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(out, cap, x->lang, "ctl.mfield.", fmt, ap);
    va_end(ap);
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
    S_EUR = 8,        /* an amount in euros: "€ 1.234,00", "1.234 EUR", "250,-" as Excel's
                       * currency format writes it (the tender import's amounts do too) */
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
    { "invoices", "social", "social_enterprise_cents", 2, S_EUR },
    { "bonus50", "social", "bonus_50plus", 0, 0 },
    { "category", "fairtrade", "category", 0, 0 },
    { "products", "fairtrade", "products_total", 0, 0 },
    { "fair", "fairtrade", "products_fair", 0, 0 },
    { "mki_reference", "mki", "reference_mki_cents", 2, S_EUR },
    { "mki_offered", "mki", "offered_mki_cents", 2, S_EUR },
    { "theme", "pilot", "theme", 0, 0 },
    { "status", "pilot", "status", 0, 0 },
};
#define S_NFIELDS (sizeof s_fields / sizeof s_fields[0])
_Static_assert(S_NFIELDS <= 64, "ctl_meas_t.given has a bit per entry");

/* ------------------------------------------------------------ values */

static char *s_keep(ctl_meas_t *x, const char *v)
{
    if (x->nstrs >= (int)(sizeof x->strs / sizeof x->strs[0]))
        return NULL;
    return x->strs[x->nstrs++] = strdup(v);
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

/* The range of an integer field of this type (false: not an integer type). */
static bool s_int_range(ProtobufCType type, int64_t *lo, int64_t *hi)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *lo = 0, *hi = UINT32_MAX; return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *lo = INT64_MIN, *hi = INT64_MAX; return true;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *lo = 0, *hi = INT64_MAX; return true;
    default: return false;
    }
}

/* v x 10^-dec as the text would write it, with a decimal comma ("4294967,295"). */
static void s_fixed_text(int64_t v, int dec, char *out, size_t cap)
{
    char d[32];
    unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(d, sizeof d, "%0*llu", dec + 1, mag);   /* at least one digit before ',' */
    if (dec == 0 || v == 0)
        snprintf(out, cap, "%s%s", v < 0 ? "-" : "", v ? d : "0");
    else
        snprintf(out, cap, "%s%.*s,%s", v < 0 ? "-" : "", n - dec, d, d + n - dec);
}

/* v without the currency of an amount in euros: one "€" or "EUR" before or after the number
 * and a ",-" for no cents ("€ 250,-"), into out; anything else is left for the number's
 * parser to judge. false (out unset) when it would not fit: the whole text is judged then,
 * never a cut one. */
static bool s_strip_euro(const char *v, char *out, size_t cap)
{
    size_t n = strlen(v);
    while (n && v[n - 1] == ' ')
        n--;
    while (n && *v == ' ')
        v++, n--;
    if (n >= 3 && !memcmp(v, "\xE2\x82\xAC", 3))
        v += 3, n -= 3;
    else if (n >= 3 && !strncasecmp(v, "EUR", 3))
        v += 3, n -= 3;
    else if (n >= 3 && !memcmp(v + n - 3, "\xE2\x82\xAC", 3))
        n -= 3;
    else if (n >= 3 && !strncasecmp(v + n - 3, "EUR", 3))
        n -= 3;
    while (n && v[n - 1] == ' ')
        n--;
    if (n >= 2 && v[n - 1] == '-' && v[n - 2] == ',')
        n -= 2;
    if (n >= cap)
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

/* Store the number of text v (entry e: dec decimals) into a field of type type; the value
 * is refused by its range, never wrapped into the field's width. */
static int s_set_number(ctl_meas_t *x, void *at, ProtobufCType type, const s_field_t *e,
                        const char *v, char *why, size_t cap)
{
    int64_t n, lo, hi;
    if (!s_int_range(type, &lo, &hi))
        return snprintf(why, cap, "not a number field"), -EINVAL;
    char plain[64];
    if ((e->flags & S_EUR) && s_strip_euro(v, plain, sizeof plain))
        v = plain;
    int rc = csv_parse_fixed_in(v, e->dec, x->delim, x->lang, &n, why, cap);
    if (rc < 0)
        return rc;
    if (x->delim == ';') {   /* noted for the sheet's check (ctl_meas_t.dot_*) */
        csv_dot_style_t st = csv_number_dot_style(v);
        uint64_t bit = 1ull << (size_t)(e - s_fields);
        if (st == CSV_DOT_DECIMAL)
            x->dot_decimal |= bit;
        else if (st == CSV_DOT_THOUSANDS)
            x->dot_thousands |= bit;
    }
    if (n < lo || n > hi) {
        char a[40], b[40];
        s_fixed_text(lo, e->dec, a, sizeof a);
        s_fixed_text(hi, e->dec, b, sizeof b);
        return s_tr(x, why, cap, "must be between %s and %s", a, b), -ERANGE;
    }
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)at = (int32_t)n; return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)at = (uint32_t)n; return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)at = (uint64_t)n; return 0;
    default: *(int64_t *)at = n; return 0;
    }
}

/* Set the field of entry e from text v (kept: v is the caller's copy). why says what is
 * wrong; -ENOENT: the table names a field the .proto does not have. */
static int s_set(ctl_meas_t *x, const s_field_t *e, const char *v, char *why, size_t cap)
{
    ProtobufCMessage *msg = s_part(x, e->part);
    const ProtobufCFieldDescriptor *f =
        msg ? protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, e->field) : NULL;
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
        return -ENOENT;
    void *at = (char *)msg + f->offset;
    int rc = 0, ev;
    bool b;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: *(const char **)at = v; break;
    case PROTOBUF_C_TYPE_BOOL:
        /* the tender import's words; anything else is a question, not a "no" */
        if ((rc = csv_parse_bool(v, &b)) < 0)
            s_tr(x, why, cap, "not yes or no (ja/nee, yes/no, j/n, y/n, true/false, "
                 "waar/onwaar, 1/0, x/-)");
        else
            *(protobuf_c_boolean *)at = b;
        break;
    case PROTOBUF_C_TYPE_ENUM:
        if ((rc = s_enum(f->descriptor, v, e->flags, &ev)) == 0)
            *(int *)at = ev;
        else
            snprintf(why, cap, "is not a valid value");
        break;
    default: rc = s_set_number(x, at, f->type, e, v, why, cap); break;
    }
    if (rc == 0 && f->quantifier_offset && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        *(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
    return rc;
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

const char *ctl_meas_key(int i)
{
    return i >= 0 && (size_t)i < S_NFIELDS ? s_fields[i].key : "";
}

/* Does key land in a message that depends on the kind ("kwh": road or machine)? Its name
 * in the table (which outlives the caller's string), or NULL. */
static const char *s_by_kind(const char *key)
{
    for (size_t i = 0; i < S_NFIELDS; i++)
        if ((s_fields[i].flags & S_IN_KIND) && !strcmp(s_fields[i].key, key))
            return s_fields[i].key;
    return NULL;
}

/* A date of a CSV cell (x->delim set) as the file's layout writes it, into ISO in *v (kept):
 * a Dutch sheet (';') is day first, as Excel nl rewrites "2027-01-25" into "25-1-2027" when
 * it saves; in a ',' or TAB sheet a date that reads both ways is refused (csv_import.h's
 * rule). A flag's date (delim 0) is sent as written: the service checks it. 0 or -errno. */
static int s_csv_date(ctl_meas_t *x, const char **v, char *why, size_t cap)
{
    char iso[11];
    if (!x->delim)
        return 0;
    int rc = csv_parse_date_order(*v, x->delim == ';' ? CSV_DATE_DMY : CSV_DATE_GUARD, iso);
    if (rc == -ERANGE)
        return s_tr(x, why, cap, "ambiguous date: day-month or month-day? (a %s-separated "
                    "sheet is not Dutch): write it as yyyy-mm-dd",
                    x->delim == '\t' ? "TAB" : "','"), -EINVAL;
    if (rc == -E2BIG)
        return s_tr(x, why, cap, "longer than %d bytes: not a date (dd-mm-jjjj or yyyy-mm-dd)",
                    CSV_DATE_CELL_MAX), -EINVAL;
    if (rc < 0)
        return s_tr(x, why, cap, "not a date (dd-mm-jjjj or yyyy-mm-dd) or no such day"),
               -EINVAL;
    *v = s_keep(x, iso);
    return *v ? 0 : -ENOMEM;
}

/* "YYYY-MM-DD..YYYY-MM-DD" into period_start and period_end. */
static int s_set_period(ctl_meas_t *x, const char *v, char *why, size_t cap)
{
    const char *dots = strstr(v, "..");
    if (!dots)
        return -EINVAL;
    char a[32];
    snprintf(a, sizeof a, "%.*s", (int)(dots - v), v);
    const char *from = s_keep(x, a), *to = s_keep(x, dots + 2);
    if (!from || !to)
        return -ENOMEM;
    int rc = s_csv_date(x, &from, why, cap);
    if (rc == 0)
        rc = s_csv_date(x, &to, why, cap);
    x->m.period_start = (char *)from;
    x->m.period_end = (char *)to;
    return rc;
}

/* Set entry e from text v (a kept copy) and note it as given. */
static int s_set_entry(ctl_meas_t *x, const s_field_t *e, const char *v, char *why, size_t cap)
{
    int rc = s_set(x, e, v, why, cap);
    if (rc == 0) {
        size_t i = (size_t)(e - s_fields);
        x->given |= 1ull << i;
        x->text[i] = v;
    }
    return rc;
}

int ctl_meas_set(ctl_meas_t *x, const char *key, const char *v)
{
    if (!v || !*v)
        return 0;
    char why[320] = "is not a valid value";
    int rc;
    const s_field_t *e = NULL;
    const char *kept = s_keep(x, v);
    if (!kept) {
        s_tr(x, x->err, sizeof x->err, "%s: too many fields", key);
        return -EINVAL;
    }
    if (!strcmp(key, "period"))
        rc = s_set_period(x, kept, why, sizeof why);
    else if (!strcmp(key, "kind"))
        rc = s_set_kind(x, kept);
    else if (s_by_kind(key) && x->m.kind_case == MVOI__MEASUREMENT__KIND__NOT_SET
             && x->nlater < (int)(sizeof x->later / sizeof x->later[0])) {
        /* columns come in any order: placed by ctl_meas_done once the kind is known */
        x->later[x->nlater].key = s_by_kind(key);
        x->later[x->nlater++].v = kept;
        return 0;
    } else if ((e = s_entry(x, key))) {
        bool date = !strcmp(key, "period_start") || !strcmp(key, "period_end");
        rc = date ? s_csv_date(x, &kept, why, sizeof why) : 0;
        if (rc == 0)
            rc = s_set_entry(x, e, kept, why, sizeof why);
    }
    else {
        s_tr(x, x->err, sizeof x->err, "unknown field '%s'", key);
        return -EINVAL;
    }
    if (rc == -ENOENT) {
        snprintf(x->err, sizeof x->err, "%s: no field %s.%s in this build's .proto", key,
                 e && e->part ? e->part : "measurement", e ? e->field : "?");
        return -EINVAL;
    }
    if (rc == -ENOMEM) {
        s_tr(x, x->err, sizeof x->err, "%s: too many fields", key);
        return -EINVAL;
    }
    if (rc != 0) {
        if (!strcmp(why, "is not a valid value"))
            /* the cell as written: through textfmt an ISO date would come out in words */
            snprintf(x->err, sizeof x->err, "%s: '%.64s' %s", key, v,
                     textfmt_from_en(x->lang, "ctl.mfield.", "is not a valid value"));
        else
            snprintf(x->err, sizeof x->err, "%.64s: '%.64s': %s", key, v, why);
        return -EINVAL;
    }
    return 0;
}

/* The kinds a key belongs to, "road or machine". */
static void s_kinds_of(const ctl_meas_t *x, const char *key, char *out, size_t cap)
{
    const char *or = textfmt_from_en(x->lang, "ctl.mfield.", " or ");
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < S_NFIELDS && n < cap; i++)
        if (!strcmp(s_fields[i].key, key) && s_fields[i].part)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? or : "", s_fields[i].part);
}

/* One refused field: the first into x->err, each to bad. */
static void s_refuse(ctl_meas_t *x, int *nbad, const char *key, const char *text,
                     const char *why, void (*bad)(void *, const char *, const char *, const char *),
                     void *arg)
{
    if ((*nbad)++ == 0)
        snprintf(x->err, sizeof x->err, "%s: %s", key, why);
    if (bad)
        bad(arg, key, text, why);
}

int ctl_meas_done(ctl_meas_t *x, void (*bad)(void *, const char *, const char *, const char *),
                  void *arg)
{
    int nbad = 0;
    char why[320], kinds[64];
    const ProtobufCFieldDescriptor *kf =
        x->m.kind_case == MVOI__MEASUREMENT__KIND__NOT_SET
            ? NULL
            : protobuf_c_message_descriptor_get_field(&mvoi__measurement__descriptor,
                                                      (unsigned)x->m.kind_case);
    for (int i = 0; i < x->nlater; i++) {
        const s_field_t *e = kf ? s_entry(x, x->later[i].key) : NULL;
        s_kinds_of(x, x->later[i].key, kinds, sizeof kinds);
        s_tr(x, why, sizeof why, "a field of kind %s, but the row has no kind", kinds);
        if (e && (s_set_entry(x, e, x->later[i].v, why, sizeof why)) == 0)
            continue;
        s_refuse(x, &nbad, x->later[i].key, x->later[i].v, why, bad, arg);
    }
    x->nlater = 0;
    for (size_t i = 0; i < S_NFIELDS; i++) {
        const s_field_t *e = &s_fields[i];
        if (!(x->given & (1ull << i)) || !e->part || (kf && !strcmp(kf->name, e->part)))
            continue;
        s_kinds_of(x, e->key, kinds, sizeof kinds);
        if (kf)
            s_tr(x, why, sizeof why, "not a field of kind %s (it belongs to kind %s): the "
                 "value would not be stored; leave the cell empty or correct the kind",
                 kf->name, kinds);
        else
            s_tr(x, why, sizeof why, "a field of kind %s, but the row has no kind", kinds);
        s_refuse(x, &nbad, e->key, x->text[i], why, bad, arg);
    }
    return nbad;
}

/* The .proto fields a name sets, as "part.field" (at most 2). */
static int s_targets(const char *key, char out[][64])
{
    if (!strcmp(key, "period")) {
        snprintf(out[0], 64, "measurement.period_start");
        snprintf(out[1], 64, "measurement.period_end");
        return 2;
    }
    int n = 0;
    for (size_t i = 0; i < S_NFIELDS && n < 2; i++)
        if (!strcmp(s_fields[i].key, key))
            snprintf(out[n++], 64, "%s.%s", s_fields[i].part ? s_fields[i].part : "measurement",
                     s_fields[i].field);
    if (n == 0)
        snprintf(out[n++], 64, "%s", key);   /* kind, or an unknown name: itself */
    return n;
}

bool ctl_meas_same_field(const char *a, const char *b)
{
    char ta[2][64], tb[2][64];
    int na = s_targets(a, ta), nb = s_targets(b, tb);
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (!strcmp(ta[i], tb[j]))
                return true;
    return false;
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
