/*  codec: round trips, hostile input, budgets, error replies, body names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mvoi_error.h"

/* A realistic event envelope; the strings point at static storage. */
static void s_tender_event(Mvoi__Envelope *env, Mvoi__TenderEvent *ev, Mvoi__Tender *t,
                           Mvoi__ThemeAmbition *th, Mvoi__ThemeAmbition **thp)
{
    static uint32_t sdgs[] = { 7, 12, 13 };
    mvoi__envelope__init(env);
    mvoi__tender_event__init(ev);
    mvoi__tender__init(t);
    mvoi__theme_ambition__init(th);
    th->has_theme = 1;
    th->theme = 1;
    th->n_sdgs = 3;
    th->sdgs = sdgs;
    th->note = "HVO in plaats van diesel";
    thp[0] = th;
    t->id = "T-2024-001";
    t->buyer = "Heerlen";
    t->title = "Onderhoud openbare ruimte";
    t->has_value_cents = 1;
    t->value_cents = 123456789;
    t->n_themes = 1;
    t->themes = thp;
    t->has_status = 1;
    t->status = MVOI__TENDER_STATUS__STATUS_PLANNED;
    ev->has_kind = 1;
    ev->kind = MVOI__TENDER_EVENT_KIND__TEV_REGISTERED;
    ev->tender = t;
    env->has_schema_version = 1;
    env->schema_version = CODEC_SCHEMA_VERSION;
    env->producer = "calendar";
    env->has_epoch = 1;
    env->epoch = 0xdeadbeefcafeULL;
    env->has_seq = 1;
    env->seq = 42;
    env->has_ts_unix_ms = 1;
    env->ts_unix_ms = 1700000000000LL;
    env->correlation_id = "corr-1";
    env->body_case = MVOI__ENVELOPE__BODY_TENDER_EVENT;
    env->tender_event = ev;
}

/* That envelope, packed (free the bytes). */
static uint8_t *s_packed_tender_event(size_t *len)
{
    Mvoi__Envelope env;
    Mvoi__TenderEvent ev;
    Mvoi__Tender t;
    Mvoi__ThemeAmbition th, *thp[1];
    s_tender_event(&env, &ev, &t, &th, thp);
    uint8_t *buf = NULL;
    cr_assert_eq(codec_pack(&env, &buf, len), 0);
    return buf;
}

Test(codec, round_trip_tender_event)
{
    Mvoi__Envelope env;
    Mvoi__TenderEvent ev;
    Mvoi__Tender t;
    Mvoi__ThemeAmbition th, *thp[1];
    s_tender_event(&env, &ev, &t, &th, thp);

    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(codec_pack(&env, &buf, &len), 0);
    cr_assert_gt(len, 0);

    uint8_t small[8];
    cr_assert_eq(codec_pack_into(&env, small, sizeof small), -ENOSPC);
    uint8_t big[1024];
    cr_assert_eq(codec_pack_into(&env, big, sizeof big), (int64_t)len);
    cr_assert_eq(memcmp(big, buf, len), 0);

    int err = 1;
    Mvoi__Envelope *out = codec_unpack(buf, len, 0, &err);
    cr_assert_not_null(out);
    cr_assert_eq(err, 0);
    cr_assert_eq(out->body_case, MVOI__ENVELOPE__BODY_TENDER_EVENT);
    cr_assert_eq(out->seq, 42);
    cr_assert_eq(out->epoch, 0xdeadbeefcafeULL);
    cr_assert_str_eq(out->producer, "calendar");
    cr_assert_str_eq(out->correlation_id, "corr-1");
    cr_assert_eq(out->tender_event->kind, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    cr_assert_str_eq(out->tender_event->tender->id, "T-2024-001");
    cr_assert_eq(out->tender_event->tender->value_cents, 123456789);
    cr_assert_eq(out->tender_event->tender->n_themes, 1);
    cr_assert_eq(out->tender_event->tender->themes[0]->n_sdgs, 3);
    cr_assert_eq(out->tender_event->tender->themes[0]->sdgs[2], 13);
    cr_assert_str_eq(out->tender_event->tender->themes[0]->note, "HVO in plaats van diesel");
    codec_free(&out);
    cr_assert_null(out);
    codec_free(&out);   /* NULL is fine */
    free(buf);
}

/* xorshift64*: fixed seed, so failures reproduce. */
static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t s_next(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 2685821657736338717ULL;
}

Test(codec, random_bytes_never_crash)
{
    uint8_t buf[512];
    int failed = 0;
    for (int i = 0; i < 10000; i++) {
        size_t len = 1 + s_next() % sizeof buf;
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)s_next();
        int err = 0;
        Mvoi__Envelope *env = codec_unpack(buf, len, 64 * 1024, &err);
        /* The seed is fixed; none of these buffers happens to be a valid envelope. */
        cr_assert_null(env, "buffer %d (len %zu) decoded", i, len);
        cr_assert(err == -EPROTO || err == -ENOMSG, "err %d", err);
        failed++;
    }
    cr_assert_eq(failed, 10000);
}

Test(codec, truncated_envelope)
{
    size_t len = 0;
    uint8_t *buf = s_packed_tender_event(&len);
    /* The body is the last field on the wire, so every strict prefix lacks a complete body:
     * either a field is cut (-EPROTO) or the body is missing (-ENOMSG). */
    for (size_t n = 0; n < len; n++) {
        int err = 0;
        Mvoi__Envelope *out = codec_unpack(buf, n, 0, &err);
        cr_assert_null(out, "prefix %zu of %zu decoded", n, len);
        cr_assert(err == -EPROTO || err == -ENOMSG, "prefix %zu: err %d", n, err);
    }
    int err = 0;
    Mvoi__Envelope *out = codec_unpack(buf, len - 1, 0, &err);
    cr_assert_null(out);
    cr_assert_eq(err, -EPROTO);
    free(buf);
}

Test(codec, oversize_is_emsgsize)
{
    size_t len = CODEC_MAX_BYTES + 1;
    uint8_t *buf = calloc(1, len);
    cr_assert_not_null(buf);
    int err = 0;
    cr_assert_null(codec_unpack(buf, len, 0, &err));
    cr_assert_eq(err, -EMSGSIZE);

    /* Packing something that large is refused too. */
    char *s = malloc(len);
    memset(s, 'x', len - 1);
    s[len - 1] = '\0';
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    codec_error_t store;
    codec_set_error(&env, &store, MVOI__ERROR_CODE__ERR_INTERNAL, NULL, "x");
    env.producer = s;
    uint8_t *out = NULL;
    size_t outlen = 0;
    cr_assert_eq(codec_pack(&env, &out, &outlen), -EMSGSIZE);
    cr_assert_eq(codec_pack_into(&env, buf, len), -EMSGSIZE);
    free(s);
    free(buf);
}

Test(codec, tiny_budget_is_eproto)
{
    size_t len = 0;
    uint8_t *buf = s_packed_tender_event(&len);
    int err = 0;
    cr_assert_null(codec_unpack(buf, len, 16, &err));
    cr_assert_eq(err, -EPROTO);
    /* Every budget either decodes fully or fails cleanly. */
    int ok = 0;
    for (size_t b = 1; b < 4096; b += 7) {
        Mvoi__Envelope *out = codec_unpack(buf, len, b, &err);
        if (out) {
            ok++;
            codec_free(&out);
        } else {
            cr_assert_eq(err, -EPROTO);
        }
    }
    cr_assert_gt(ok, 0);
    free(buf);
}

/* Decoding into an arena: the same message, the same budget rule, and a reset takes it
 * all back (the arena's use returns to zero). */
Test(codec, unpack_in_arena)
{
    size_t len = 0;
    uint8_t *buf = s_packed_tender_event(&len);
    arena_t *a = arena_new(1024, 1 << 20);
    int err = 0;
    for (int round = 0; round < 3; round++) {
        Mvoi__Envelope *out = codec_unpack_in(a, buf, len, 0, &err);
        cr_assert_not_null(out, "err %d", err);
        cr_assert_str_eq(out->tender_event->tender->id, "T-2024-001");
        cr_assert_eq(out->tender_event->tender->themes[0]->sdgs[2], 13);
        cr_assert_str_eq(out->tender_event->tender->themes[0]->note, "HVO in plaats van diesel");
        cr_assert_gt(arena_used(a), 0);
        arena_reset(a);
        cr_assert_eq(arena_used(a), 0);
    }
    cr_assert_null(codec_unpack_in(a, buf, len, 16, &err));
    cr_assert_eq(err, -EPROTO, "the budget holds in an arena too");
    cr_assert_null(codec_unpack_in(NULL, buf, len, 0, &err));
    cr_assert_eq(err, -EINVAL);
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    cr_assert_null(codec_unpack_in(a, junk, sizeof junk, 0, &err));
    arena_destroy(&a);
    free(buf);
}

Test(codec, unknown_body_is_enomsg)
{
    /* schema_version = 1, then field 999 (varint) = 1: tag (999 << 3 | 0) = 7992 = b8 3e. */
    const uint8_t wire[] = { 0x08, 0x01, 0xb8, 0x3e, 0x01 };
    int err = 0;
    Mvoi__Envelope *env = codec_unpack(wire, sizeof wire, 0, &err);
    cr_assert_null(env);
    cr_assert_eq(err, -ENOMSG);
    /* An empty buffer is a valid but empty envelope: no body. */
    cr_assert_null(codec_unpack("", 0, 0, &err));
    cr_assert_eq(err, -ENOMSG);
    cr_assert_null(codec_unpack(NULL, 0, 0, &err));
    cr_assert_eq(err, -ENOMSG);
}

Test(codec, set_error_reply)
{
    Mvoi__Envelope reply = MVOI__ENVELOPE__INIT;
    codec_error_t store;
    char field[300];
    memset(field, 'f', sizeof field - 1);
    field[sizeof field - 1] = '\0';
    codec_set_error(&reply, &store, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "tender.value_cents",
                    "must be >= 0, got %d", -5);
    cr_assert_eq(reply.body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(reply.error, &store.err);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(codec_pack(&reply, &buf, &len), 0);
    int err = 0;
    Mvoi__Envelope *out = codec_unpack(buf, len, 0, &err);
    cr_assert_not_null(out);
    cr_assert_eq(out->error->code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(out->error->field, "tender.value_cents");
    cr_assert_str_eq(out->error->message, "must be >= 0, got -5");
    codec_free(&out);
    free(buf);

    /* Long strings are truncated into the fixed storage, never overflow it. */
    codec_set_error(&reply, &store, MVOI__ERROR_CODE__ERR_DECODE, field, "%s", field);
    cr_assert_eq(strlen(store.field), sizeof store.field - 1);
    cr_assert_eq(strlen(store.message), sizeof field - 1);
}

Test(codec, body_names)
{
    cr_assert_str_eq(codec_body_name(MVOI__ENVELOPE__BODY_REGISTER_TENDER), "register_tender");
    cr_assert_str_eq(codec_body_name(MVOI__ENVELOPE__BODY_TENDER_EVENT), "tender_event");
    cr_assert_str_eq(codec_body_name(MVOI__ENVELOPE__BODY_ERROR), "error");
    cr_assert_str_eq(codec_body_name(MVOI__ENVELOPE__BODY_REPORT_EVENT), "report_event");
    cr_assert_str_eq(codec_body_name(MVOI__ENVELOPE__BODY__NOT_SET), "unknown");
    cr_assert_str_eq(codec_body_name((Mvoi__Envelope__BodyCase)4), "unknown");     /* seq: not a body */
    cr_assert_str_eq(codec_body_name((Mvoi__Envelope__BodyCase)999), "unknown");
}

/* Found by tests/fuzz/fuzz_codec: protobuf-c keeps field number 0 (invalid on the wire) when
 * its tag is spelt in two bytes ("80 00"), and packs it back as "00", which no decoder takes.
 * Such an envelope is refused at any depth; a valid unknown field still decodes and survives a
 * re-encode (forward compatibility). */
Test(codec, field_number_zero_is_refused)
{
    /* request_id "r\x02", error {} , then tag 0 (2-byte varint) varint value */
    static const uint8_t top[] = { 0x32, 0x02, 0x72, 0x02, 0xa2, 0x01, 0x00,
                                   0x80, 0x00, 0xc8, 0xe0, 0xc6, 0x5b };
    /* error { tag 0 varint 5 } */
    static const uint8_t nested[] = { 0x32, 0x01, 0x72, 0xa2, 0x01, 0x03, 0x80, 0x00, 0x05 };
    /* error { field 999 varint 5 }: unknown but valid */
    static const uint8_t unknown[] = { 0x32, 0x01, 0x72, 0xa2, 0x01, 0x03, 0xb8, 0x3e, 0x05 };
    int err = 0;
    cr_expect_null(codec_unpack(top, sizeof top, 0, &err));
    cr_expect_eq(err, -EPROTO);
    err = 0;
    cr_expect_null(codec_unpack(nested, sizeof nested, 0, &err));
    cr_expect_eq(err, -EPROTO);
    Mvoi__Envelope *e = codec_unpack(unknown, sizeof unknown, 0, &err);
    cr_assert_not_null(e, "err %d", err);
    cr_expect_eq(e->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(e->error->base.n_unknown_fields, 1);
    uint8_t *buf = NULL;
    size_t len = 0;
    cr_assert_eq(codec_pack(e, &buf, &len), 0);
    Mvoi__Envelope *again = codec_unpack(buf, len, 0, &err);
    cr_expect_not_null(again, "re-encoded envelope decodes, err %d", err);
    codec_free(&again);
    codec_free(&e);
    free(buf);
}

/* A message packed once and framed by hand (codec_field_put) into its containers decodes
 * to what protobuf-c packs from the nested message: re-packed, the bytes are the same. */
Test(codec, hand_framed_fields_decode_like_nested_packing)
{
    char id[201];
    memset(id, 'm', 200);   /* 200 bytes: the length takes two varint bytes */
    id[200] = 0;
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
    m.id = id;
    m.buyer = "heerlen";
    m.tender_id = "T-1";
    Mvoi__Impact imp = MVOI__IMPACT__INIT;
    imp.has_co2_avoided_g = 1;
    imp.co2_avoided_g = 12345;
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = 1;
    ie.kind = MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
    ie.purchasing_group = "wegen";
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.producer = "impact";
    env.has_seq = 1;
    env.seq = 7;
    /* hand: the envelope without body, then field 210 = ie without m/imp + fields 2, 3 */
    uint8_t mb[512], ib[64], ieb[1024], out[2048];
    size_t ml = mvoi__measurement__pack(&m, mb), il = mvoi__impact__pack(&imp, ib);
    size_t hl = mvoi__impact_event__pack(&ie, ieb);
    uint8_t *p = codec_field_put(ieb + hl, 2, mb, ml);
    p = codec_field_put(p, 3, ib, il);
    size_t iel = (size_t)(p - ieb);
    cr_assert_eq(iel, hl + codec_field_size(2, ml) + codec_field_size(3, il));
    cr_assert_eq(codec_field_size(2, ml), 1 + 2 + ml);
    size_t el = mvoi__envelope__pack(&env, out);
    uint8_t *q = codec_field_put(out + el, MVOI__ENVELOPE__BODY_IMPACT_EVENT, ieb, iel);
    /* tag of field 210, wire type 2: 210 * 8 + 2 = 1682 = 0x92 0x0d as a varint */
    cr_assert_eq(out[el], 0x92);
    cr_assert_eq(out[el + 1], 0x0d);
    size_t hand = (size_t)(q - out);
    /* nested: what protobuf-c packs itself */
    ie.measurement = &m;
    ie.impact = &imp;
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    uint8_t ref[2048], again[2048];
    size_t rl = mvoi__envelope__pack(&env, ref);
    cr_assert_eq(hand, rl);
    int err = 0;
    Mvoi__Envelope *d = codec_unpack(out, hand, 0, &err);
    cr_assert_not_null(d, "err %d", err);
    cr_assert_eq(d->body_case, MVOI__ENVELOPE__BODY_IMPACT_EVENT);
    cr_assert_str_eq(d->impact_event->measurement->id, id);
    cr_assert_eq(d->impact_event->impact->co2_avoided_g, 12345);
    cr_assert_eq(mvoi__envelope__pack(d, again), rl);
    cr_assert_eq(memcmp(again, ref, rl), 0);
    codec_free(&d);
}

/* codec_envelope_pack against protobuf-c's own packing of the same envelope: the same
 * size, the same bytes, for every combination of the nine header fields (absent, present
 * with a small value, present with a large one or an empty / long string) and bodies of
 * one-byte and two-byte length. */
static void s_same_as_protobuf_c(const Mvoi__Envelope *env)
{
    static uint8_t ref[8192], got[8192];
    size_t rl = mvoi__envelope__get_packed_size(env);
    cr_assert_leq(rl, sizeof ref);
    cr_assert_eq(mvoi__envelope__pack(env, ref), rl);
    codec_env_size_t sz;
    cr_assert_eq(codec_envelope_size(env, &sz), rl);
    cr_assert_eq(codec_envelope_size(env, NULL), rl);
    memset(got, 0xa5, sizeof got);
    cr_assert_eq(codec_envelope_pack(env, &sz, got), rl);
    cr_assert_eq(memcmp(got, ref, rl), 0, "bytes differ");
    cr_assert_eq(got[rl], 0xa5, "wrote past the size");
    cr_assert_eq(codec_envelope_pack(env, NULL, got), rl);
    cr_assert_eq(memcmp(got, ref, rl), 0);
}

Test(codec, envelope_pack_is_byte_for_byte_protobuf_c)
{
    char longs[300];
    memset(longs, 'q', sizeof longs - 1);   /* 299 bytes: a two-byte length */
    longs[sizeof longs - 1] = 0;
    Mvoi__TestEvent small = MVOI__TEST_EVENT__INIT;
    small.has_n = 1;
    small.n = 5;
    Mvoi__Error big = MVOI__ERROR__INIT;
    big.message = longs;
    int cases = 0;
    for (unsigned mask = 0; mask < 2048; mask++) {
        for (int variant = 0; variant < 3; variant++) {
            bool large = variant == 1;
            Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
            const char *str = variant == 0 ? "heerlen" : variant == 1 ? longs : "";
            e.has_schema_version = mask & 1;
            e.schema_version = large ? 0xffffffffu : 1;
            e.producer = mask & 2 ? (char *)str : NULL;
            e.has_epoch = (mask & 4) != 0;
            e.epoch = large ? UINT64_MAX : 0;
            e.has_seq = (mask & 8) != 0;
            e.seq = large ? (1ULL << 63) : 127;
            e.has_ts_unix_ms = (mask & 16) != 0;
            e.ts_unix_ms = large ? -1 : 1700000000000LL;   /* negative: ten bytes */
            e.request_id = mask & 32 ? (char *)str : NULL;
            e.correlation_id = mask & 64 ? "corr" : NULL;
            e.buyer = mask & 128 ? (char *)str : NULL;
            e.topic = mask & 256 ? "impact.computed" : NULL;
            e.lang = mask & 512 ? (char *)str : NULL;   /* field 10 */
            e.has_incarnation = (mask & 1024) != 0;       /* field 11 */
            e.incarnation = large ? UINT64_MAX : 42;
            if (variant == 0) {
                e.body_case = MVOI__ENVELOPE__BODY_TEST_EVENT;   /* field 60 */
                e.test_event = &small;
            } else if (variant == 1) {
                e.body_case = MVOI__ENVELOPE__BODY_ERROR;        /* field 20, 300+ bytes */
                e.error = &big;
            }
            s_same_as_protobuf_c(&e);
            cases++;
        }
    }
    cr_assert_eq(cases, 2048 * 3);
    /* a realistic event with a two-byte body tag (field 111), and an arm set to NULL */
    size_t len = 0;
    uint8_t *buf = s_packed_tender_event(&len);
    Mvoi__Envelope *d = codec_unpack(buf, len, 0, NULL);
    cr_assert_not_null(d);
    s_same_as_protobuf_c(d);
    codec_free(&d);
    free(buf);
    Mvoi__Envelope n = MVOI__ENVELOPE__INIT;
    n.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    s_same_as_protobuf_c(&n);
}

Test(codec, envelope_pack_keeps_unknown_fields_like_protobuf_c)
{
    /* producer "p" (field 2), then field 15 (unknown here) varint 300, then ack (21) {} */
    static const uint8_t wire[] = { 0x12, 0x01, 'p', 0x78, 0xac, 0x02, 0xaa, 0x01, 0x00 };
    Mvoi__Envelope *d = codec_unpack(wire, sizeof wire, 0, NULL);
    cr_assert_not_null(d);
    cr_assert_eq(d->base.n_unknown_fields, 1);
    s_same_as_protobuf_c(d);
    uint8_t out[64];   /* the same fields; protobuf-c puts the unknown one last */
    cr_assert_eq(codec_envelope_pack(d, NULL, out), sizeof wire);
    Mvoi__Envelope *again = codec_unpack(out, sizeof wire, 0, NULL);
    cr_assert_not_null(again);
    cr_assert_str_eq(again->producer, "p");
    cr_assert_eq(again->body_case, MVOI__ENVELOPE__BODY_ACK);
    cr_assert_eq(again->base.n_unknown_fields, 1);
    codec_free(&again);
    codec_free(&d);
}

/* An allocator that fails its n-th allocation (counting from 1), malloc otherwise. */
typedef struct {
    int calls, fail_at;
} s_failing_t;

static void *s_failing_alloc(void *d, size_t n)
{
    s_failing_t *f = d;
    return ++f->calls == f->fail_at ? NULL : malloc(n ? n : 1);
}

static void s_failing_free(void *d, void *p)
{
    (void)d;
    free(p);
}

/* protobuf-c answers NULL for bytes that are no Tender and for an allocation that failed;
 * codec_unpack_stored names the first MVOI_E_UNDECODABLE (a record to refuse) and the second
 * -ENOMEM (nothing wrong with the record). */
Test(codec, unpack_stored_tells_undecodable_from_no_memory)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-2024-001";
    t.buyer = "heerlen";
    uint8_t buf[64];
    size_t len = mvoi__tender__pack(&t, buf);
    int rc = 1;
    ProtobufCMessage *m = codec_unpack_stored(&mvoi__tender__descriptor, NULL, buf, len, &rc);
    cr_assert(m);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(((Mvoi__Tender *)m)->id, "T-2024-001");
    protobuf_c_message_free_unpacked(m, NULL);
    /* a varint longer than 10 bytes: no message decodes it */
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    rc = 1;
    cr_assert_null(codec_unpack_stored(&mvoi__tender__descriptor, NULL, garbage, sizeof garbage,
                                       &rc));
    cr_assert_eq(rc, MVOI_E_UNDECODABLE);
    /* the same good bytes, the second allocation (the id's string) failing */
    s_failing_t f = { 0, 2 };
    ProtobufCAllocator a = { s_failing_alloc, s_failing_free, &f };
    rc = 1;
    cr_assert_null(codec_unpack_stored(&mvoi__tender__descriptor, &a, buf, len, &rc));
    cr_assert_eq(rc, -ENOMEM);
    cr_assert_geq(f.calls, 2);
}
