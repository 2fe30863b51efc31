/*  kpi_record: our record of a measurement revision (db kpi_meas), encoded by hand.
 *
 *  The record is an ImpactEvent holding the few fields the KPIs use (kpi_impact.c,
 *  s_rec_build). protobuf-c sized and packed it through its descriptors, field by field of
 *  every message, once per measurement: a tenth of the aggregator's CPU. This writes the
 *  same bytes directly, in protobuf-c's order (field number order, proto2: a scalar when
 *  its has_ flag is set, a string or message when not NULL, a oneof member when it is the
 *  case), so records written before and after decode alike; test_kpi_record compares the
 *  bytes with protobuf-c's. A record of another shape (previous revisions, factors, a
 *  measurement kind other than pilot, unknown fields) is left to protobuf-c: 0.
 */
#include "kpi_int.h"

#include <string.h>

typedef struct {
    uint8_t *p, *end;
    bool over;
} s_out_t;

static void s_varint(s_out_t *o, uint64_t v)
{
    do {
        if (o->p == o->end) {
            o->over = true;
            return;
        }
        *o->p++ = (uint8_t)(v >= 0x80 ? (v | 0x80) : v);
        v >>= 7;
    } while (v);
}

/* int32 and enum values: a negative one is sign-extended to ten bytes, as protobuf-c does */
static void s_i32(s_out_t *o, uint32_t tag, bool has, int32_t v)
{
    if (!has)
        return;
    s_varint(o, tag);
    s_varint(o, (uint64_t)(int64_t)v);
}

static void s_u64(s_out_t *o, uint32_t tag, bool has, uint64_t v)
{
    if (!has)
        return;
    s_varint(o, tag);
    s_varint(o, v);
}

static void s_str(s_out_t *o, uint32_t num, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    s_varint(o, (uint64_t)num << 3 | 2);
    s_varint(o, n);
    if ((size_t)(o->end - o->p) < n) {
        o->over = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

/* A message field: its body written after room for the longest length prefix, then moved
 * next to the prefix it turned out to need. */
typedef bool (s_body_fn)(s_out_t *o, const void *m);

static void s_msg(s_out_t *o, uint32_t num, const void *m, s_body_fn *body)
{
    if (!m || o->over)
        return;
    s_varint(o, (uint64_t)num << 3 | 2);
    if (o->end - o->p < 5) {
        o->over = true;
        return;
    }
    uint8_t *start = o->p;
    o->p += 5;
    if (!body(o, m) || o->over) {
        o->over = true;
        return;
    }
    size_t n = (size_t)(o->p - start - 5);
    s_out_t pre = { start, start + 5, false };
    s_varint(&pre, n);   /* (5 bytes always hold it: a record is far below 4 GiB) */
    memmove(pre.p, start + 5, n);
    o->p = pre.p + n;
}

static bool s_plain(const ProtobufCMessage *m) { return m->n_unknown_fields == 0; }

static bool s_pilot(s_out_t *o, const void *v)
{
    const Mvoi__PilotStatus *ps = v;
    s_i32(o, 1 << 3, ps->has_theme, (int32_t)ps->theme);
    s_str(o, 2, ps->status);
    return s_plain(&ps->base);
}

static bool s_measurement(s_out_t *o, const void *v)
{
    const Mvoi__Measurement *m = v;
    if (m->kind_case != MVOI__MEASUREMENT__KIND__NOT_SET &&
        m->kind_case != MVOI__MEASUREMENT__KIND_PILOT)
        return false;
    s_str(o, 1, m->id);
    s_str(o, 2, m->buyer);
    s_str(o, 3, m->tender_id);
    s_i32(o, 4 << 3, m->has_phase, (int32_t)m->phase);
    s_str(o, 5, m->period_start);
    s_str(o, 6, m->period_end);
    s_str(o, 7, m->submitter);
    s_u64(o, 8 << 3, m->has_revision, m->revision);
    s_str(o, 9, m->reason);
    s_str(o, 10, m->edition);
    if (m->kind_case == MVOI__MEASUREMENT__KIND_PILOT) {
        if (!m->pilot)
            return false;
        s_msg(o, 27, m->pilot, s_pilot);
    }
    return s_plain(&m->base);
}

static bool s_impact(s_out_t *o, const void *v)
{
    const Mvoi__Impact *im = v;
    if (im->n_factors)
        return false;
    s_u64(o, 1 << 3, im->has_co2_avoided_g, (uint64_t)im->co2_avoided_g);
    s_u64(o, 2 << 3, im->has_nox_avoided_mg, (uint64_t)im->nox_avoided_mg);
    s_u64(o, 3 << 3, im->has_primary_material_g, (uint64_t)im->primary_material_g);
    s_u64(o, 4 << 3, im->has_renewable_g, (uint64_t)im->renewable_g);
    s_u64(o, 5 << 3, im->has_sroi_realised_cents, (uint64_t)im->sroi_realised_cents);
    s_u64(o, 6 << 3, im->has_fairtrade_products, (uint64_t)im->fairtrade_products);
    s_u64(o, 7 << 3, im->has_risk_products, (uint64_t)im->risk_products);
    s_u64(o, 8 << 3, im->has_mki_avoided_cents, (uint64_t)im->mki_avoided_cents);
    s_u64(o, 9 << 3, im->has_pilots, (uint64_t)im->pilots);
    s_i32(o, 11 << 3, im->has_theme, (int32_t)im->theme);
    return s_plain(&im->base);
}

size_t kpi_record_encode(uint8_t *buf, size_t cap, const Mvoi__ImpactEvent *rec)
{
    if (rec->previous || rec->previous_impact || !s_plain(&rec->base))
        return 0;
    s_out_t o = { buf, buf + cap, false };
    s_i32(&o, 1 << 3, rec->has_kind, (int32_t)rec->kind);
    s_msg(&o, 2, rec->measurement, s_measurement);
    s_msg(&o, 3, rec->impact, s_impact);
    s_str(&o, 6, rec->purchasing_group);
    return o.over ? 0 : (size_t)(o.p - buf);
}
