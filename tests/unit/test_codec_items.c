/*  codec_items: a request's measurements found in its bytes, held to protobuf-c on the same
 *  bytes (the slices are exactly what protobuf-c packs for each decoded measurement), and
 *  every shape it must not take (arm absent or twice, groups, elements that are not
 *  messages, more than the room, cut bytes) reported as -1. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define ARM MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS

typedef struct {
    Mvoi__Measurement m[3];
    Mvoi__EnergyUse e;
    Mvoi__MachineUse mu;
    Mvoi__Measurement *mp[3];
    Mvoi__SubmitMeasurements sm;
    Mvoi__Envelope env;
} req_t;

/* Three measurements of two kinds, one with a buyer and a revision of its own. */
static void s_req(req_t *r, size_t n)
{
    memset(r, 0, sizeof *r);
    mvoi__energy_use__init(&r->e);
    r->e.has_carrier = 1;
    r->e.carrier = MVOI__CARRIER__CARRIER_HVO100;
    r->e.has_quantity_milli = 1;
    r->e.quantity_milli = 1234567;
    mvoi__machine_use__init(&r->mu);
    r->mu.has_power_kw = 1;
    r->mu.power_kw = 250;
    static const char *ids[3] = { "m-1", "m-22", "m-333" };
    for (int i = 0; i < 3; i++) {
        mvoi__measurement__init(&r->m[i]);
        r->m[i].id = (char *)ids[i];
        r->m[i].tender_id = "T-KLIMA";
        r->mp[i] = &r->m[i];
    }
    r->m[0].kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    r->m[0].energy = &r->e;
    r->m[1].kind_case = MVOI__MEASUREMENT__KIND_MACHINE;
    r->m[1].machine = &r->mu;
    r->m[2].buyer = "heerlen";
    r->m[2].has_revision = 1;
    r->m[2].revision = 7;
    mvoi__submit_measurements__init(&r->sm);
    r->sm.n_measurements = n;
    r->sm.measurements = r->mp;
    mvoi__envelope__init(&r->env);
    r->env.request_id = "req-1";
    r->env.buyer = "heerlen";
    r->env.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    r->env.submit_measurements = &r->sm;
}

static uint8_t *s_pack_env(const Mvoi__Envelope *e, size_t *len)
{
    uint8_t *b;
    cr_assert_eq(codec_pack(e, &b, len), 0);
    return b;
}

Test(codec_items, slices_are_the_bytes_protobuf_c_packs_for_each_measurement)
{
    req_t r;
    s_req(&r, 3);
    size_t len;
    uint8_t *b = s_pack_env(&r.env, &len);
    codec_slice_t s[3];
    cr_assert_eq(codec_arm_items(b, len, ARM, 1, s, 3), 3);
    for (int i = 0; i < 3; i++) {
        size_t ml = mvoi__measurement__get_packed_size(&r.m[i]);
        uint8_t *mb = malloc(ml);
        mvoi__measurement__pack(&r.m[i], mb);
        cr_assert_eq(s[i].len, ml, "item %d: %zu bytes, protobuf-c %zu", i, s[i].len, ml);
        cr_assert_eq(memcmp(s[i].data, mb, ml), 0, "item %d", i);
        cr_assert(s[i].data > b && s[i].data + s[i].len <= b + len);
        free(mb);
    }
    /* the buyer (2) and revision (8) the calculator sets are found where the client set them */
    uint64_t top;
    cr_assert_eq(codec_top_fields(s[0].data, s[0].len, &top), 0);
    /* id 1, tender_id 3, energy 20 */
    cr_assert_eq(top, 1ull << 1 | 1ull << 3 | 1ull << 20, "%llx", (unsigned long long)top);
    cr_assert_eq(codec_top_fields(s[2].data, s[2].len, &top), 0);
    cr_assert_eq(top, 1ull << 1 | 1ull << 2 | 1ull << 3 | 1ull << 8, "%llx",
                 (unsigned long long)top);
    /* room for two: more than the room is refused, not cut */
    cr_assert_eq(codec_arm_items(b, len, ARM, 1, s, 2), -1);
    free(b);
}

Test(codec_items, an_empty_submit_has_none_and_another_body_or_arm_twice_is_refused)
{
    req_t r;
    s_req(&r, 0);
    size_t len;
    uint8_t *b = s_pack_env(&r.env, &len);
    codec_slice_t s[3];
    cr_assert_eq(codec_arm_items(b, len, ARM, 1, s, 3), 0);
    free(b);
    /* the arm twice: protobuf-c merges or replaces, the slices of one would not be it */
    s_req(&r, 2);
    b = s_pack_env(&r.env, &len);
    uint8_t *two = malloc(2 * len);
    memcpy(two, b, len);
    memcpy(two + len, b, len);
    cr_assert_eq(codec_arm_items(two, 2 * len, ARM, 1, s, 3), -1);
    free(two);
    /* another arm: absent */
    cr_assert_eq(codec_arm_items(b, len, MVOI__ENVELOPE__BODY_COMPUTE_IMPACT, 1, s, 3), -1);
    free(b);
}

Test(codec_items, malformed_shapes_are_refused)
{
    codec_slice_t s[4];
    /* arm 200 (tag 0xc2 0x0c), body: field 1 as a varint (not a message) */
    const uint8_t varint_item[] = { 0xc2, 0x0c, 0x02, 0x08, 0x01 };
    cr_assert_eq(codec_arm_items(varint_item, sizeof varint_item, ARM, 1, s, 4), -1);
    /* a group (wire type 3) inside the body */
    const uint8_t group[] = { 0xc2, 0x0c, 0x02, 0x0b, 0x0c };
    cr_assert_eq(codec_arm_items(group, sizeof group, ARM, 1, s, 4), -1);
    /* an element longer than the body */
    const uint8_t over[] = { 0xc2, 0x0c, 0x03, 0x0a, 0x05, 0x08 };
    cr_assert_eq(codec_arm_items(over, sizeof over, ARM, 1, s, 4), -1);
    /* a varint of eleven bytes, field number 0 */
    const uint8_t longv[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    cr_assert_eq(codec_arm_items(longv, sizeof longv, ARM, 1, s, 4), -1);
    const uint8_t zero[] = { 0x00, 0x00 };
    cr_assert_eq(codec_arm_items(zero, sizeof zero, ARM, 1, s, 4), -1);
    uint64_t top;
    cr_assert_eq(codec_top_fields(zero, sizeof zero, &top), -1);
    /* a field numbered 64 or more: bit 0 */
    const uint8_t big[] = { 0x80, 0x08, 0x01 };   /* field 128, varint 1 */
    cr_assert_eq(codec_top_fields(big, sizeof big, &top), 0);
    cr_assert_eq(top, 1);
    /* a field number above 2^29 - 1, which protobuf-c keeps as an unknown field (it reads
     * five tag bytes into 32 bits): refused, so the caller packs (fuzz_codec_items found it) */
    const uint8_t huge[] = { 0xfa, 0xff, 0xff, 0xff, 0x7f, 0x00 };   /* wire type 2, empty */
    cr_assert_eq(codec_top_fields(huge, sizeof huge, &top), -1);
    cr_assert_eq(codec_top_fields(huge + 5, 0, &top), 0);
    /* fixed64 and fixed32 fields are skipped whole; a cut one is refused */
    const uint8_t fixed[] = { 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4, 0xc2, 0x0c, 0x00 };
    cr_assert_eq(codec_arm_items(fixed, sizeof fixed, ARM, 1, s, 4), 0);
    cr_assert_eq(codec_arm_items(fixed, 5, ARM, 1, s, 4), -1);
}

/* Every prefix of a real request: never read beyond it, and when protobuf-c decodes the
 * prefix to a submit, a count is its count. */
Test(codec_items, every_cut_of_a_request_agrees_with_protobuf_c_or_is_refused)
{
    req_t r;
    s_req(&r, 3);
    size_t len;
    uint8_t *b = s_pack_env(&r.env, &len);
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);   /* exact size: ASan sees an overread */
        memcpy(p, b, cut);
        codec_slice_t s[3];
        int n = codec_arm_items(p, cut, ARM, 1, s, 3);
        int err = 0;
        Mvoi__Envelope *e = codec_unpack(p, cut, 0, &err);
        if (n >= 0) {
            cr_assert_not_null(e, "cut %zu: %d items from bytes protobuf-c refuses", cut, n);
            cr_assert_eq((size_t)n, e->submit_measurements->n_measurements, "cut %zu", cut);
        }
        if (e && e->body_case == ARM && cut == len)
            cr_assert_eq(n, 3);
        codec_free(&e);
        free(p);
    }
    free(b);
}
