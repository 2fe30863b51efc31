/*  impact_svc_encode: a measurement taken as the client encoded it (with buyer and revision
 *  appended) decodes to the same measurement as protobuf-c's packing of it; an item that
 *  carries buyer or revision itself is packed by protobuf-c, byte for byte. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "service_int.h"

static uint8_t *s_pack(const Mvoi__Measurement *m, size_t *len)
{
    *len = mvoi__measurement__get_packed_size(m);
    uint8_t *b = malloc(*len);
    mvoi__measurement__pack(m, b);
    return b;
}

/* in as a client sends it; m as s_submit_one makes it (buyer, revision 1) */
static void s_meas(Mvoi__Measurement *in, Mvoi__EnergyUse *e)
{
    mvoi__energy_use__init(e);
    e->has_carrier = 1;
    e->carrier = MVOI__CARRIER__CARRIER_HVO100;
    e->has_quantity_milli = 1;
    e->quantity_milli = 987654;
    mvoi__measurement__init(in);
    in->id = "m-7";
    in->tender_id = "T-KLIMA";
    in->period_start = "2026-01-01";
    in->kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    in->energy = e;
}

Test(impact_encode, the_clients_bytes_with_buyer_and_revision_decode_as_protobuf_c_packs)
{
    Mvoi__Measurement in, m;
    Mvoi__EnergyUse e;
    s_meas(&in, &e);
    size_t il;
    uint8_t *ib = s_pack(&in, &il);   /* the client's encoding of its item */
    m = in;
    m.buyer = "landgraaf";
    m.has_revision = 1;
    m.revision = 1;
    impact_svc_t self;
    memset(&self, 0, sizeof self);
    impact_svc_enc_t enc;
    codec_slice_t item = { ib, il };
    cr_assert_eq(impact_svc_encode(&self, &m, NULL, &item, &enc), 0);
    /* the item, then buyer (tag 0x12, length 9, the name), then revision (0x40 0x01) */
    cr_assert_eq(enc.ml, il + 2 + 9 + 2);
    cr_assert_eq(memcmp(self.enc, ib, il), 0);
    cr_assert_eq(memcmp(self.enc + il, "\x12\x09landgraaf\x40\x01", 13), 0);
    Mvoi__Measurement *got = mvoi__measurement__unpack(NULL, enc.ml, self.enc);
    cr_assert_not_null(got);
    size_t la, lb;
    uint8_t *pa = s_pack(got, &la), *pb = s_pack(&m, &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(pa, pb, la), 0, "decodes to another measurement");
    cr_assert_str_eq(got->buyer, "landgraaf");
    cr_assert_eq(got->revision, 1);
    mvoi__measurement__free_unpacked(got, NULL);
    free(pa);
    free(pb);
    free(ib);
    free(self.enc);
}

Test(impact_encode, an_item_with_its_own_buyer_or_revision_is_packed_by_protobuf_c)
{
    for (int which = 0; which < 3; which++) {
        Mvoi__Measurement in, m;
        Mvoi__EnergyUse e;
        s_meas(&in, &e);
        if (which == 0)
            in.buyer = "heerlen";   /* allowed when it is the envelope's */
        else if (which == 1) {
            in.has_revision = 1;    /* ignored by the calculator, but on the wire */
            in.revision = 5;
        }
        size_t il;
        uint8_t *ib = s_pack(&in, &il);
        m = in;
        m.buyer = "heerlen";
        m.has_revision = 1;
        m.revision = 1;
        impact_svc_t self;
        memset(&self, 0, sizeof self);
        impact_svc_enc_t enc;
        codec_slice_t item = { ib, il };
        /* which 2: no item at all (a request of another shape) */
        cr_assert_eq(impact_svc_encode(&self, &m, NULL, which == 2 ? NULL : &item, &enc), 0);
        size_t pl;
        uint8_t *pb = s_pack(&m, &pl);
        cr_assert_eq(enc.ml, pl, "case %d", which);
        cr_assert_eq(memcmp(self.enc, pb, pl), 0, "case %d", which);
        free(pb);
        free(ib);
        free(self.enc);
    }
}
