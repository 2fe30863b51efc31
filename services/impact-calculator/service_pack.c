/*  impact service: an Impact and a MeasurementReply packed by hand, the same bytes as
 *  protobuf-c's.
 *
 *  protobuf-c sizes and packs by walking each field's descriptor, and sizes a nested
 *  message again at every level it packs: an Impact (eleven fields and its factor refs)
 *  cost 2,000 instructions a measurement to size and pack, and the reply of a request of
 *  100 sized and packed all its impacts a second time (3,700 a measurement with the copies
 *  of the impacts it needed). Here the fields are written directly, in field-number order,
 *  as protobuf-c packs proto2 (a string when its pointer is set, a number when its has_
 *  flag is, int64 and enum values below zero as ten-byte varints); a message with unknown
 *  fields goes to protobuf-c, so the bytes never differ (tests/unit/impact_svc/test_pack.c
 *  compares them with protobuf-c's own). The reply takes each new measurement's impact as
 *  the bytes impact_svc_encode packed for its record and event.
 */
#include "service_int.h"

#include <string.h>

/* Every field number here is below 16: one-byte tags (codec_num_put, codec_str_put).
 * A length-delimited field of len bytes (the tag of num below 16). */
static size_t s_len_size(size_t len) { return 1 + codec_varint_size(len) + len; }

static uint8_t *s_len_head(uint8_t *p, uint32_t num, size_t len)
{
    *p++ = (uint8_t)(num << 3 | 2);
    return codec_varint_put(p, len);
}

/* int64 and enum (int32) values: a negative one is sign-extended to 64 bits. An enum whose
 * values are all positive is an unsigned type in C: it goes through int32_t first. */
#define S_I(v) ((uint64_t)(int64_t)(v))
#define S_E(v) ((uint64_t)(int64_t)(int32_t)(v))

/* Has any part of imp unknown fields (then protobuf-c packs it, keeping them)? */
static bool s_unknown(const Mvoi__Impact *imp)
{
    if (imp->base.n_unknown_fields)
        return true;
    for (size_t i = 0; i < imp->n_factors; i++)
        if (imp->factors[i]->base.n_unknown_fields)
            return true;
    return false;
}

static size_t s_factor_size(const Mvoi__FactorRef *f)
{
    return codec_str_size(f->table) + codec_str_size(f->edition) + codec_str_size(f->source) +
           codec_str_size(f->reference_variant) + codec_num_size(f->has_unverified, 1);
}

size_t impact_svc_impact_size(const Mvoi__Impact *imp)
{
    if (s_unknown(imp))
        return mvoi__impact__get_packed_size(imp);
    size_t n = codec_num_size(imp->has_co2_avoided_g, S_I(imp->co2_avoided_g)) +
               codec_num_size(imp->has_nox_avoided_mg, S_I(imp->nox_avoided_mg)) +
               codec_num_size(imp->has_primary_material_g, S_I(imp->primary_material_g)) +
               codec_num_size(imp->has_renewable_g, S_I(imp->renewable_g)) +
               codec_num_size(imp->has_sroi_realised_cents, S_I(imp->sroi_realised_cents)) +
               codec_num_size(imp->has_fairtrade_products, S_I(imp->fairtrade_products)) +
               codec_num_size(imp->has_risk_products, S_I(imp->risk_products)) +
               codec_num_size(imp->has_mki_avoided_cents, S_I(imp->mki_avoided_cents)) +
               codec_num_size(imp->has_pilots, S_I(imp->pilots));
    for (size_t i = 0; i < imp->n_factors; i++)
        n += s_len_size(s_factor_size(imp->factors[i]));
    return n + codec_num_size(imp->has_theme, S_E(imp->theme));
}

size_t impact_svc_impact_pack(const Mvoi__Impact *imp, uint8_t *out)
{
    if (s_unknown(imp))
        return mvoi__impact__pack(imp, out);
    uint8_t *p = out;
    p = codec_num_put(p, 1, imp->has_co2_avoided_g, S_I(imp->co2_avoided_g));
    p = codec_num_put(p, 2, imp->has_nox_avoided_mg, S_I(imp->nox_avoided_mg));
    p = codec_num_put(p, 3, imp->has_primary_material_g, S_I(imp->primary_material_g));
    p = codec_num_put(p, 4, imp->has_renewable_g, S_I(imp->renewable_g));
    p = codec_num_put(p, 5, imp->has_sroi_realised_cents, S_I(imp->sroi_realised_cents));
    p = codec_num_put(p, 6, imp->has_fairtrade_products, S_I(imp->fairtrade_products));
    p = codec_num_put(p, 7, imp->has_risk_products, S_I(imp->risk_products));
    p = codec_num_put(p, 8, imp->has_mki_avoided_cents, S_I(imp->mki_avoided_cents));
    p = codec_num_put(p, 9, imp->has_pilots, S_I(imp->pilots));
    for (size_t i = 0; i < imp->n_factors; i++) {
        const Mvoi__FactorRef *f = imp->factors[i];
        p = s_len_head(p, 10, s_factor_size(f));
        p = codec_str_put(p, 1, f->table);
        p = codec_str_put(p, 2, f->edition);
        p = codec_str_put(p, 3, f->source);
        p = codec_str_put(p, 4, f->reference_variant);
        p = codec_num_put(p, 5, f->has_unverified, f->unverified ? 1 : 0);
    }
    p = codec_num_put(p, 11, imp->has_theme, S_E(imp->theme));
    return (size_t)(p - out);
}

/* ------------------------------------------------ the record's and the event's own fields */

/* A record's fields other than measurement and impact (rec's must be NULL), and without
 * history: the part put_record_enc writes before the two encoded fields. */
static bool s_record_plain(const Mvoi__MeasurementRecord *rec)
{
    return !rec->base.n_unknown_fields && !rec->n_history && !rec->measurement && !rec->impact;
}

size_t impact_svc_record_head_size(const Mvoi__MeasurementRecord *rec)
{
    if (!s_record_plain(rec))
        return mvoi__measurement_record__get_packed_size(rec);
    return codec_num_size(rec->has_withdrawn, 1) + codec_str_size(rec->explanation) +
           codec_str_size(rec->purchasing_group) +
           codec_num_size(rec->has_sroi_obligation_cents, S_I(rec->sroi_obligation_cents)) +
           codec_num_size(rec->has_seq, rec->seq) +
           codec_num_size(rec->has_recorded_ms, S_I(rec->recorded_ms));
}

size_t impact_svc_record_head_pack(const Mvoi__MeasurementRecord *rec, uint8_t *out)
{
    if (!s_record_plain(rec))
        return mvoi__measurement_record__pack(rec, out);
    uint8_t *p = out;
    p = codec_num_put(p, 3, rec->has_withdrawn, rec->withdrawn ? 1 : 0);
    p = codec_str_put(p, 5, rec->explanation);
    p = codec_str_put(p, 6, rec->purchasing_group);
    p = codec_num_put(p, 7, rec->has_sroi_obligation_cents, S_I(rec->sroi_obligation_cents));
    p = codec_num_put(p, 8, rec->has_seq, rec->seq);
    p = codec_num_put(p, 9, rec->has_recorded_ms, S_I(rec->recorded_ms));
    return (size_t)(p - out);
}

/* An event's kind and purchasing group, the part emit_enc writes before the encoded
 * measurement and impact: ie has no other field set. */
static bool s_event_plain(const Mvoi__ImpactEvent *ie)
{
    return !ie->base.n_unknown_fields && !ie->measurement && !ie->impact && !ie->previous &&
           !ie->previous_impact;
}

size_t impact_svc_event_head_size(const Mvoi__ImpactEvent *ie)
{
    if (!s_event_plain(ie))
        return mvoi__impact_event__get_packed_size(ie);
    return codec_num_size(ie->has_kind, S_E(ie->kind)) + codec_str_size(ie->purchasing_group);
}

size_t impact_svc_event_head_pack(const Mvoi__ImpactEvent *ie, uint8_t *out)
{
    if (!s_event_plain(ie))
        return mvoi__impact_event__pack(ie, out);
    uint8_t *p = out;
    p = codec_num_put(p, 1, ie->has_kind, S_E(ie->kind));
    p = codec_str_put(p, 6, ie->purchasing_group);
    return (size_t)(p - out);
}

/* ------------------------------------------------------------------ the reply */

/* The impact of result i: its encoding in enc[i] when given, else r->impact's. */
static size_t s_result_impact(const Mvoi__MeasurementResult *r, const codec_slice_t *enc)
{
    if (enc && enc->data)
        return enc->len;
    return r->impact ? impact_svc_impact_size(r->impact) : 0;
}

static bool s_has_impact(const Mvoi__MeasurementResult *r, const codec_slice_t *enc)
{
    return (enc && enc->data) || r->impact;
}

static size_t s_result_size(const Mvoi__MeasurementResult *r, const codec_slice_t *enc,
                            size_t *err_len, size_t *imp_len)
{
    *err_len = r->error ? mvoi__error__get_packed_size(r->error) : 0;
    *imp_len = s_result_impact(r, enc);
    return codec_str_size(r->id) + codec_num_size(r->has_ok, 1) +
           codec_num_size(r->has_duplicate, 1) +
           (r->error ? s_len_size(*err_len) : 0) +
           (s_has_impact(r, enc) ? s_len_size(*imp_len) : 0) +
           codec_num_size(r->has_revision, r->revision) + codec_str_size(r->explanation);
}

static uint8_t *s_result(uint8_t *p, const Mvoi__MeasurementResult *r,
                         const codec_slice_t *enc, size_t err_len, size_t imp_len)
{
    p = codec_str_put(p, 1, r->id);
    p = codec_num_put(p, 2, r->has_ok, r->ok ? 1 : 0);
    p = codec_num_put(p, 3, r->has_duplicate, r->duplicate ? 1 : 0);
    if (r->error) {
        p = s_len_head(p, 4, err_len);
        p += mvoi__error__pack(r->error, p);
    }
    if (s_has_impact(r, enc)) {
        p = s_len_head(p, 5, imp_len);
        if (enc && enc->data)
            memcpy(p, enc->data, imp_len);
        else
            impact_svc_impact_pack(r->impact, p);
        p += imp_len;
    }
    p = codec_num_put(p, 6, r->has_revision, r->revision);
    return codec_str_put(p, 7, r->explanation);
}

size_t impact_svc_reply_size(const Mvoi__MeasurementReply *rep, const codec_slice_t *enc,
                             size_t *sz)
{
    size_t n = codec_num_size(rep->has_seq, rep->seq);
    for (size_t i = 0; i < rep->n_results; i++) {
        sz[3 * i] = s_result_size(rep->results[i], enc ? &enc[i] : NULL, &sz[3 * i + 1],
                                  &sz[3 * i + 2]);
        n += s_len_size(sz[3 * i]);
    }
    return n;
}

size_t impact_svc_reply_pack(const Mvoi__MeasurementReply *rep, const codec_slice_t *enc,
                             const size_t *sz, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < rep->n_results; i++) {
        p = s_len_head(p, 1, sz[3 * i]);
        p = s_result(p, rep->results[i], enc ? &enc[i] : NULL, sz[3 * i + 1], sz[3 * i + 2]);
    }
    p = codec_num_put(p, 2, rep->has_seq, rep->seq);
    return (size_t)(p - out);
}
