/*  impact service: a new revision's record and event from one packing of its measurement
 *  and impact.
 *
 *  The record (db measurements) and the ImpactEvent (outbox) both carry the measurement and
 *  its impact. protobuf-c sizes a nested message again at every level it packs, so packing
 *  the record and then the envelope sized the measurement seven times and packed it twice:
 *  the largest cost of a submit after the id checks. Here each is packed once and put into
 *  both containers as an encoded field (codec_field_put). The bytes decode to the same
 *  messages; only the order of fields on the wire differs, which decoders ignore.
 */
#include "service_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mvoi_topic.h"

/* self->enc with room for n bytes from offset at; NULL when memory ran out. */
static uint8_t *s_room(impact_svc_t *self, size_t at, size_t n)
{
    if (at + n > self->enc_cap) {
        size_t cap = self->enc_cap ? self->enc_cap : 1024;
        while (cap < at + n)
            cap *= 2;
        uint8_t *b = realloc(self->enc, cap);
        if (!b)
            return NULL;
        self->enc = b;
        self->enc_cap = cap;
    }
    return self->enc + at;
}

/* Measurement.buyer and .revision: what the calculator sets on a client's measurement. */
#define S_BUYER 2
#define S_REVISION 8

/* Can m be written as item (the client's encoded measurement it was decoded from) with
 * buyer and revision appended? Only when item has neither field: each then occurs once,
 * so every decoder reads the same values, whichever occurrence it would keep. */
static bool s_item_usable(const Mvoi__Measurement *m, const codec_slice_t *item)
{
    uint64_t top;
    return item && m->buyer && m->has_revision && m->revision < 0x80 &&
           codec_top_fields(item->data, item->len, &top) == 0 &&
           !(top & (1ull << S_BUYER | 1ull << S_REVISION));
}

/* The impact given as a message (imp) or packed already (packed, by a prep: service_prep.c);
 * neither: none. */
static int s_encode(impact_svc_t *self, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
                    const codec_slice_t *packed, const codec_slice_t *item,
                    impact_svc_enc_t *e)
{
    bool raw = s_item_usable(m, item);
    size_t bl = raw ? strlen(m->buyer) : 0;
    e->ml = raw ? item->len + codec_field_size(S_BUYER, bl) + 2
                : mvoi__measurement__get_packed_size(m);
    e->il = imp ? impact_svc_impact_size(imp) : packed ? packed->len : 0;
    e->has_impact = imp || packed;
    if (e->ml + e->il > CODEC_MAX_BYTES)
        return -EMSGSIZE;
    uint8_t *p = s_room(self, 0, e->ml + e->il);
    if (!p)
        return -ENOMEM;
    if (raw) {
        /* the client's bytes as they came, then buyer and revision (a one-byte varint) */
        memcpy(p, item->data, item->len);
        uint8_t *q = codec_field_put(p + item->len, S_BUYER, m->buyer, bl);
        q[0] = S_REVISION << 3;   /* wire type 0: varint */
        q[1] = (uint8_t)m->revision;
    } else {
        mvoi__measurement__pack(m, p);
    }
    if (imp)
        impact_svc_impact_pack(imp, p + e->ml);
    else if (packed && packed->len)
        memcpy(p + e->ml, packed->data, packed->len);
    return 0;
}

int impact_svc_encode(impact_svc_t *self, const Mvoi__Measurement *m, const Mvoi__Impact *imp,
                      const codec_slice_t *item, impact_svc_enc_t *e)
{
    return s_encode(self, m, imp, NULL, item, e);
}

int impact_svc_encode_packed(impact_svc_t *self, const Mvoi__Measurement *m,
                             const codec_slice_t *impact, const codec_slice_t *item,
                             impact_svc_enc_t *e)
{
    return s_encode(self, m, NULL, impact, item, e);
}

/* The encoded fields (measurement = mf, impact = imf) of e, written at p; returns the end. */
static uint8_t *s_fields(impact_svc_t *self, const impact_svc_enc_t *e, uint32_t mf,
                         uint32_t imf, uint8_t *p)
{
    p = codec_field_put(p, mf, self->enc, e->ml);
    if (e->has_impact)
        p = codec_field_put(p, imf, self->enc + e->ml, e->il);
    return p;
}

static size_t s_fields_size(const impact_svc_enc_t *e, uint32_t mf, uint32_t imf)
{
    return codec_field_size(mf, e->ml) + (e->has_impact ? codec_field_size(imf, e->il) : 0);
}

int impact_svc_put_record_enc(impact_svc_t *self, MDB_txn *txn, const void *k, size_t klen,
                              Mvoi__MeasurementRecord *rec, const impact_svc_enc_t *e)
{
    if (klen == 0)
        return MDB_BAD_VALSIZE;   /* a key that did not fit: ids are checked before this */
    Mvoi__Measurement *m = rec->measurement;
    Mvoi__Impact *imp = rec->impact;
    rec->measurement = NULL;
    rec->impact = NULL;
    size_t hl = impact_svc_record_head_size(rec);
    MDB_val key = { klen, (void *)k };
    MDB_val v = { hl + s_fields_size(e, 1, 2), NULL };
    int rc = impact_svc_put(self, txn, IMPACT_CUR_MEAS, &key, &v, MDB_RESERVE);
    if (rc == 0) {
        impact_svc_record_head_pack(rec, v.mv_data);
        s_fields(self, e, 1, 2, (uint8_t *)v.mv_data + hl);
    }
    rec->measurement = m;
    rec->impact = imp;
    return rc;
}

int impact_svc_emit_enc(impact_svc_t *self, server_req_t *req, MDB_txn *txn,
                        Mvoi__ImpactEventKind kind, const char *buyer,
                        const impact_svc_enc_t *e, const Mvoi__Tender *tender, uint64_t *seq)
{
    const char *topic = mvoi_topic_impact(kind);
    if (!topic)
        return -EINVAL;
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = 1;
    ie.kind = kind;
    ie.purchasing_group = tender ? tender->purchasing_group : NULL;
    size_t hl = impact_svc_event_head_size(&ie);
    size_t at = e->ml + e->il, n = hl + s_fields_size(e, 2, 3);
    uint8_t *p = s_room(self, at, n);
    if (!p)
        return -ENOMEM;
    impact_svc_event_head_pack(&ie, p);
    s_fields(self, e, 2, 3, p + hl);
    Mvoi__Envelope ev = MVOI__ENVELOPE__INIT;
    ev.buyer = (char *)buyer;
    return server_emit_encoded(req, txn, topic, &ev, MVOI__ENVELOPE__BODY_IMPACT_EVENT,
                               self->enc + at, n, seq);
}
