/*  service_pack.c: an Impact, a record's and an event's own fields and a MeasurementReply
 *  packed by hand are the bytes protobuf-c packs for the same message; a reply takes a
 *  result's impact as given bytes in place of its impact field. Messages are drawn from a
 *  fixed seed (every field present or absent, negative numbers, NULL and empty strings), and
 *  one impact is checked against bytes written out by hand. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "service_int.h"

static uint64_t s_state = 0x9e3779b97f4a7c15ull;

static uint64_t s_rand(void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

static bool s_coin(void) { return s_rand() & 1; }

/* A number of every size class: 0, small, 2^k, large, negative. */
static int64_t s_num(void)
{
    switch (s_rand() % 6) {
    case 0: return 0;
    case 1: return (int64_t)(s_rand() % 200);
    case 2: return (int64_t)1 << (s_rand() % 63);
    case 3: return (int64_t)(s_rand() >> 1);
    case 4: return -(int64_t)(s_rand() % 1000) - 1;
    default: return INT64_MIN + (int64_t)(s_rand() % 3);
    }
}

static const char *s_strs[] = { NULL, "", "co2", "2026", "CO2-prestatieladder 3.1; RVO",
                                "zero_emission", "h\xc3\xa9t" };
static const char *s_str(void) { return s_strs[s_rand() % 7]; }

#define S_SET(m, f) \
    do { \
        (m)->has_##f = s_coin(); \
        (m)->f = s_num(); \
    } while (0)

static void s_impact(Mvoi__Impact *imp, Mvoi__FactorRef *refs, Mvoi__FactorRef **pp)
{
    mvoi__impact__init(imp);
    S_SET(imp, co2_avoided_g);
    S_SET(imp, nox_avoided_mg);
    S_SET(imp, primary_material_g);
    S_SET(imp, renewable_g);
    S_SET(imp, sroi_realised_cents);
    S_SET(imp, fairtrade_products);
    S_SET(imp, risk_products);
    S_SET(imp, mki_avoided_cents);
    S_SET(imp, pilots);
    imp->has_theme = s_coin();
    imp->theme = (Mvoi__Theme)(s_coin() ? (int)(s_rand() % 6) : -(int)(s_rand() % 3) - 1);
    imp->n_factors = s_rand() % 4;
    for (size_t i = 0; i < imp->n_factors; i++) {
        mvoi__factor_ref__init(&refs[i]);
        refs[i].table = (char *)s_str();
        refs[i].edition = (char *)s_str();
        refs[i].source = (char *)s_str();
        refs[i].reference_variant = (char *)s_str();
        refs[i].has_unverified = s_coin();
        refs[i].unverified = s_coin();
        pp[i] = &refs[i];
    }
    imp->factors = pp;
}

static void s_same(const uint8_t *got, size_t gl, const ProtobufCMessage *m, const char *what,
                   int i)
{
    size_t wl = protobuf_c_message_get_packed_size(m);
    uint8_t *want = malloc(wl + 1);
    protobuf_c_message_pack(m, want);
    cr_assert_eq(gl, wl, "%s %d: %zu bytes, protobuf-c packs %zu", what, i, gl, wl);
    for (size_t k = 0; k < wl; k++)
        cr_assert_eq(got[k], want[k], "%s %d: byte %zu is %02x, protobuf-c's %02x", what, i, k,
                     got[k], want[k]);
    free(want);
}

Test(impact_pack, impacts_are_the_bytes_protobuf_c_packs)
{
    for (int i = 0; i < 2000; i++) {
        Mvoi__Impact imp;
        Mvoi__FactorRef refs[4], *pp[4];
        s_impact(&imp, refs, pp);
        uint8_t buf[1024];
        size_t n = impact_svc_impact_size(&imp);
        cr_assert_lt(n, sizeof buf);
        cr_assert_eq(impact_svc_impact_pack(&imp, buf), n, "impact %d: size and pack differ", i);
        s_same(buf, n, &imp.base, "impact", i);
    }
}

Test(impact_pack, an_impact_written_out_by_hand)
{
    /* co2 -1 (int64: ten bytes of sign), theme 2, one factor {table "co2", unverified} */
    Mvoi__FactorRef f = MVOI__FACTOR_REF__INIT, *pf = &f;
    f.table = "co2";
    f.has_unverified = 1;
    f.unverified = 1;
    Mvoi__Impact imp = MVOI__IMPACT__INIT;
    imp.has_co2_avoided_g = 1;
    imp.co2_avoided_g = -1;
    imp.has_theme = 1;
    imp.theme = (Mvoi__Theme)2;
    imp.n_factors = 1;
    imp.factors = &pf;
    static const uint8_t want[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0x01, 0x52, 0x07, 0x0a, 0x03, 'c', 'o', '2', 0x28, 0x01,
                                    0x58, 0x02 };
    uint8_t buf[64];
    cr_assert_eq(impact_svc_impact_size(&imp), sizeof want);
    cr_assert_eq(impact_svc_impact_pack(&imp, buf), sizeof want);
    cr_assert_eq(memcmp(buf, want, sizeof want), 0);
}

Test(impact_pack, an_impact_with_unknown_fields_keeps_them_as_protobuf_c_does)
{
    /* co2 5, then field 15 (varint 7), which this build does not know */
    static const uint8_t in[] = { 0x08, 0x05, 0x78, 0x07 };
    Mvoi__Impact *imp = mvoi__impact__unpack(NULL, sizeof in, in);
    cr_assert_not_null(imp);
    cr_assert_eq(imp->base.n_unknown_fields, 1);
    uint8_t buf[64];
    size_t n = impact_svc_impact_size(imp);
    cr_assert_eq(impact_svc_impact_pack(imp, buf), n);
    s_same(buf, n, &imp->base, "unknown", 0);
    cr_assert_eq(n, sizeof in);
    mvoi__impact__free_unpacked(imp, NULL);
}

Test(impact_pack, record_and_event_own_fields_are_the_bytes_protobuf_c_packs)
{
    Mvoi__Measurement hist = MVOI__MEASUREMENT__INIT, *ph = &hist;
    hist.id = "m-1";
    for (int i = 0; i < 2000; i++) {
        Mvoi__MeasurementRecord rec = MVOI__MEASUREMENT_RECORD__INIT;
        rec.has_withdrawn = s_coin();
        rec.withdrawn = s_coin();
        rec.explanation = (char *)s_str();
        rec.purchasing_group = (char *)s_str();
        S_SET(&rec, sroi_obligation_cents);
        rec.has_seq = s_coin();
        rec.seq = (uint64_t)s_num();
        S_SET(&rec, recorded_ms);
        if (i % 10 == 0) {   /* with history: protobuf-c's own packing */
            rec.n_history = 1;
            rec.history = &ph;
        }
        uint8_t buf[512];
        size_t n = impact_svc_record_head_size(&rec);
        cr_assert_eq(impact_svc_record_head_pack(&rec, buf), n);
        s_same(buf, n, &rec.base, "record", i);

        Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
        ie.has_kind = s_coin();
        ie.kind = (Mvoi__ImpactEventKind)(s_coin() ? (int)(s_rand() % 4) : -2);
        ie.purchasing_group = (char *)s_str();
        n = impact_svc_event_head_size(&ie);
        cr_assert_eq(impact_svc_event_head_pack(&ie, buf), n);
        s_same(buf, n, &ie.base, "event", i);
    }
}

/* A reply of n results of every shape, impacts of new ones given packed (enc). */
Test(impact_pack, a_reply_with_impacts_given_packed_is_the_bytes_protobuf_c_packs)
{
    enum { N = 40 };
    for (int round = 0; round < 50; round++) {
        Mvoi__MeasurementResult res[N], *rp[N];
        Mvoi__Impact imps[N];
        Mvoi__FactorRef refs[N][4], *pp[N][4];
        Mvoi__Error errs[N];
        codec_slice_t enc[N];
        uint8_t *bytes[N];
        memset(enc, 0, sizeof enc);
        memset(bytes, 0, sizeof bytes);
        for (int i = 0; i < N; i++) {
            Mvoi__MeasurementResult *r = &res[i];
            mvoi__measurement_result__init(r);
            rp[i] = r;
            r->id = (char *)s_str();
            r->has_ok = s_coin();
            r->ok = s_coin();
            r->has_duplicate = s_coin();
            r->duplicate = s_coin();
            r->has_revision = s_coin();
            r->revision = (uint32_t)s_rand();
            r->explanation = s_rand() % 4 ? NULL : (char *)s_str();
            if (s_rand() % 5 == 0) {
                mvoi__error__init(&errs[i]);
                errs[i].has_code = 1;
                errs[i].code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
                errs[i].field = (char *)s_str();
                errs[i].message = (char *)s_str();
                r->error = &errs[i];
            }
            unsigned shape = s_rand() % 3;   /* none, a struct, given packed */
            if (shape) {
                s_impact(&imps[i], refs[i], pp[i]);
                r->impact = &imps[i];
            }
            if (shape == 2) {
                size_t n = mvoi__impact__get_packed_size(&imps[i]);
                bytes[i] = malloc(n + 1);
                mvoi__impact__pack(&imps[i], bytes[i]);
                enc[i] = (codec_slice_t){ bytes[i], n };
            }
        }
        Mvoi__MeasurementReply rep = MVOI__MEASUREMENT_REPLY__INIT;
        rep.n_results = N;
        rep.results = rp;
        rep.has_seq = s_coin();
        rep.seq = (uint64_t)s_num();
        size_t sz[3 * N];
        size_t n = impact_svc_reply_size(&rep, enc, sz);
        uint8_t *out = malloc(n + 1);
        /* the packed impacts only: the structs of those results are not looked at */
        for (int i = 0; i < N; i++)
            if (enc[i].data)
                res[i].impact = NULL;
        cr_assert_eq(impact_svc_reply_pack(&rep, enc, sz, out), n, "round %d", round);
        for (int i = 0; i < N; i++)
            if (enc[i].data)
                res[i].impact = &imps[i];
        s_same(out, n, &rep.base, "reply", round);
        free(out);
        for (int i = 0; i < N; i++)
            free(bytes[i]);
    }
}
