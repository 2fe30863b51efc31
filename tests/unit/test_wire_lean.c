/* Unit tests for common/wire_lean.c: it must take and refuse exactly what codec_unpack_in
 * takes and refuses, with the same error, and build the same values where it builds.
 *
 * The reference is protobuf-c itself (codec_unpack_in). "The same values" is checked
 * generically: the full decode is cut down to what wire_lean builds (no repeated fields, no
 * unknown fields, no oneof member of a type it does not build) and both are packed by
 * protobuf-c; the bytes must be equal. Inputs: ImpactEvent envelopes as the
 * impact-calculator sends them (an energy measurement with factor references, a pilot
 * report, a correction with its previous revision), hand-made malformed ones, and a
 * seeded stream of mutations of the good ones. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "wire_lean.h"

/* ---------------------------------------------------------------- good envelopes */

static size_t s_event(uint8_t *buf, size_t cap, int variant)
{
    Mvoi__FactorRef f1 = MVOI__FACTOR_REF__INIT, f2 = MVOI__FACTOR_REF__INIT;
    f1.table = "co2";
    f1.edition = "2026";
    f1.source = "CO2emissiefactoren.nl";
    f1.reference_variant = "diesel_b7";
    f2.table = "nox_stage";
    f2.edition = "2026";
    f2.has_unverified = true;
    f2.unverified = true;
    Mvoi__FactorRef *factors[2] = { &f1, &f2 };
    Mvoi__EnergyUse en = MVOI__ENERGY_USE__INIT;
    en.has_carrier = en.has_quantity_milli = true;
    en.carrier = 2;
    en.quantity_milli = 123456;
    Mvoi__PilotStatus ps = MVOI__PILOT_STATUS__INIT;
    ps.status = "lopend";
    ps.has_theme = true;
    ps.theme = MVOI__THEME__THEME_CIRCULAIR;
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT, prev = MVOI__MEASUREMENT__INIT;
    m.id = "m-17";
    m.buyer = "heerlen";
    m.tender_id = "T-2026-001";
    m.has_phase = true;
    m.phase = MVOI__PHASE__PHASE_REALISATION;
    m.period_start = "2026-01-01";
    m.period_end = "2026-01-31";
    m.submitter = "leverancier@example.nl";
    m.has_revision = true;
    m.revision = variant == 2 ? 2 : 1;
    m.edition = "2026";
    if (variant == 1) {
        m.kind_case = MVOI__MEASUREMENT__KIND_PILOT;
        m.pilot = &ps;
    } else {
        m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
        m.energy = &en;
    }
    Mvoi__Impact im = MVOI__IMPACT__INIT, pim = MVOI__IMPACT__INIT;
    im.has_co2_avoided_g = im.has_nox_avoided_mg = im.has_renewable_g = true;
    im.co2_avoided_g = 301234;
    im.nox_avoided_mg = -17;   /* negative: ten-byte varint */
    im.renewable_g = 99;
    im.has_theme = true;
    im.theme = MVOI__THEME__THEME_KLIMAAT;
    im.n_factors = 2;
    im.factors = factors;
    if (variant == 1) {
        im.has_pilots = true;
        im.pilots = 1;
    }
    Mvoi__ImpactEvent ie = MVOI__IMPACT_EVENT__INIT;
    ie.has_kind = true;
    ie.kind = variant == 2 ? MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED
                           : MVOI__IMPACT_EVENT_KIND__IEV_COMPUTED;
    ie.measurement = &m;
    ie.impact = &im;
    ie.purchasing_group = variant == 1 ? NULL : "inkoop-zuid";
    if (variant == 2) {
        prev = m;
        prev.revision = 1;
        prev.period_end = "2026-02-28";
        pim = im;
        pim.co2_avoided_g = 1000;
        ie.previous = &prev;
        ie.previous_impact = &pim;
    }
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.has_schema_version = env.has_epoch = env.has_seq = env.has_ts_unix_ms = true;
    env.schema_version = 1;
    env.producer = "impact";
    env.epoch = 0x1122334455667788ull;
    env.seq = 4242 + (uint64_t)variant;
    env.ts_unix_ms = 1767225600123;
    env.correlation_id = "req-9";
    env.buyer = "heerlen";
    env.body_case = MVOI__ENVELOPE__BODY_IMPACT_EVENT;
    env.impact_event = &ie;
    int64_t len = codec_pack_into(&env, buf, cap);
    cr_assert_gt(len, 0);
    return (size_t)len;
}

/* ---------------------------------------------------------------- the comparison */

/* Cut a fully decoded message down to what wire_lean builds (see wire_lean.h). */
static bool s_kept(const ProtobufCMessageDescriptor *d)
{
    return d == &mvoi__envelope__descriptor || d == &mvoi__impact_event__descriptor ||
           d == &mvoi__measurement__descriptor || d == &mvoi__impact__descriptor ||
           d == &mvoi__pilot_status__descriptor;
}

static void s_strip(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    m->n_unknown_fields = 0;
    m->unknown_fields = NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *base = (char *)m;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            *(size_t *)(base + f->quantifier_offset) = 0;
            continue;
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
        if (oneof && *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        ProtobufCMessage **sub = (ProtobufCMessage **)(base + f->offset);
        if (!s_kept(f->descriptor)) {
            *sub = NULL;
            if (oneof)
                *(uint32_t *)(base + f->quantifier_offset) = 0;
        } else if (*sub) {
            s_strip(*sub);
        }
    }
}

static unsigned long s_lean_ok;   /* decodes both sides took, compared */

/* Both decoders on the same bytes: the same verdict, error and (built) values. */
static void s_same(const uint8_t *data, size_t len)
{
    arena_t *a = arena_new(4096, 0), *b = arena_new(4096, 0);
    cr_assert(a && b);
    int ea = 0, eb = 0;
    Mvoi__Envelope *full = codec_unpack_in(a, data, len, 0, &ea);
    Mvoi__Envelope *lean = wire_lean_unpack(b, data, len, 0, &eb);
    if (!full != !lean || ea != eb) {   /* the input, to reproduce it */
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, "%02x%s", data[i], i + 1 < len ? " " : "\n");
    }
    cr_assert_eq(!full, !lean, "verdicts differ (codec %d, lean %d) on %zu bytes", ea, eb, len);
    cr_assert_eq(ea, eb, "errors differ: codec %d, lean %d", ea, eb);
    if (full) {
        s_strip(&full->base);
        s_strip(&lean->base);   /* (a no-op on what it built; a fallback is a full decode) */
        uint8_t *pa = NULL, *pb = NULL;
        size_t la = 0, lb = 0;
        cr_assert_eq(codec_pack(full, &pa, &la), 0);
        cr_assert_eq(codec_pack(lean, &pb, &lb), 0);
        if (la != lb || memcmp(pa, pb, la) != 0) {   /* the input, to reproduce it */
            for (size_t i = 0; i < len; i++)
                fprintf(stderr, "%02x%s", data[i], i + 1 < len ? " " : "\n");
        }
        cr_assert(la == lb && memcmp(pa, pb, la) == 0, "built values differ (%zu bytes)", len);
        free(pa);
        free(pb);
        s_lean_ok++;
    }
    arena_destroy(&a);
    arena_destroy(&b);
}

/* ---------------------------------------------------------------- tests */

Test(wire_lean, impact_events_decode_on_the_fast_path_to_the_same_values)
{
    for (int v = 0; v < 3; v++) {
        uint8_t buf[2048];
        size_t len = s_event(buf, sizeof buf, v);
        unsigned long fb = wire_lean_fallbacks();
        s_same(buf, len);
        cr_assert_eq(wire_lean_fallbacks(), fb, "variant %d left the fast path", v);
        arena_t *a = arena_new(4096, 0);
        int err = 0;
        Mvoi__Envelope *e = wire_lean_unpack(a, buf, len, 0, &err);
        cr_assert_not_null(e);
        /* read back against what s_event wrote, not against the other decoder */
        cr_assert_str_eq(e->producer, "impact");
        cr_assert_eq(e->seq, 4242u + (unsigned)v);
        cr_assert_eq(e->epoch, 0x1122334455667788ull);
        const Mvoi__ImpactEvent *ie = e->impact_event;
        cr_assert_str_eq(ie->measurement->id, "m-17");
        cr_assert_str_eq(ie->measurement->period_end, "2026-01-31");
        cr_assert_eq(ie->impact->co2_avoided_g, 301234);
        cr_assert_eq(ie->impact->nox_avoided_mg, -17);
        cr_assert(ie->impact->has_theme && ie->impact->theme == MVOI__THEME__THEME_KLIMAAT);
        cr_assert_eq(ie->impact->n_factors, 0, "factors are not built");
        if (v == 1) {
            cr_assert_eq(ie->measurement->kind_case, MVOI__MEASUREMENT__KIND_PILOT);
            cr_assert_str_eq(ie->measurement->pilot->status, "lopend");
        } else {
            cr_assert_eq(ie->measurement->kind_case, MVOI__MEASUREMENT__KIND__NOT_SET);
        }
        if (v == 2) {
            cr_assert_eq(ie->previous->revision, 1);
            cr_assert_eq(ie->previous_impact->co2_avoided_g, 1000);
        }
        arena_destroy(&a);
    }
}

Test(wire_lean, malformed_input_gets_the_codecs_named_error)
{
    uint8_t buf[2048];
    size_t len = s_event(buf, sizeof buf, 0);
    for (size_t cut = 0; cut < len; cut++)
        s_same(buf, cut);                        /* every truncation */
    static const uint8_t bad[][8] = {
        { 0x12, 0x05, 'a' },                     /* producer: length past the end */
        { 0x20, 0x80, 0x80 },                    /* seq: unterminated varint */
        { 0x12, 0x01 },                          /* producer: string given as a varint */
        { 0x80, 0x00, 0x01 },                    /* field number 0 in two bytes */
        { 0x13 },                                /* a group */
        { 0xa2, 0x0f, 0x02, 0x08 },              /* impact_event whose kind is cut */
        { 0xa2, 0x0f, 0x02, 0x0a, 0x00 },        /* measurement of zero bytes: fine */
        { 0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f },  /* a length of 2^32 - 1 */
    };
    static const size_t bad_len[] = { 3, 3, 2, 3, 1, 4, 5, 6 };
    for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++)
        s_same(bad[i], bad_len[i]);
    s_same(NULL, 0);                            /* no body: -ENOMSG */
    int err = 0;
    arena_t *a = arena_new(4096, 0);
    cr_assert_null(wire_lean_unpack(a, buf, CODEC_MAX_BYTES + 1, 0, &err));
    cr_assert_eq(err, -EMSGSIZE);
    arena_destroy(&a);
}

/* Seeded mutations of the good envelopes: a flipped, set, inserted or removed byte, a
 * duplicated slice, several at once. Both decoders must agree on every one. */
Test(wire_lean, mutated_events_decode_as_the_codec_decodes_them)
{
    srand(17);
    uint8_t base[3][2048], buf[4096];
    size_t blen[3];
    for (int v = 0; v < 3; v++)
        blen[v] = s_event(base[v], sizeof base[v], v);
    s_lean_ok = 0;
    for (int iter = 0; iter < 200000; iter++) {
        int v = iter % 3;
        size_t n = blen[v];
        memcpy(buf, base[v], n);
        int muts = 1 + rand() % 3;
        for (int k = 0; k < muts && n > 0; k++) {
            size_t at = (size_t)rand() % n;
            switch (rand() % 5) {
            case 0: buf[at] ^= (uint8_t)(1u << (rand() % 8)); break;
            case 1: buf[at] = (uint8_t)rand(); break;
            case 2:
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = (uint8_t)rand();
                n++;
                break;
            case 3: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
            default: {
                size_t l = 1 + (size_t)rand() % 16;
                if (at + l <= n && n + l <= sizeof buf) {
                    memmove(buf + at + l, buf + at, n - at);
                    n += l;
                }
            }
            }
        }
        s_same(buf, n);
    }
    cr_assert_gt(s_lean_ok, 1000, "too few mutations still decoded (%lu)", s_lean_ok);
}

/* The fast path is taken only below budget / 1024 bytes, on the bound that protobuf-c
 * allocates at most 1024 bytes per input byte: one message struct (plus its scan slab
 * share and array slot) per field of at least two bytes. Checked for every message
 * reachable from the envelope. */
static size_t s_largest(const ProtobufCMessageDescriptor *d, int depth)
{
    size_t big = d->sizeof_message;
    if (depth > 8)
        return big;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
            size_t s = s_largest(d->fields[i].descriptor, depth + 1);
            big = s > big ? s : big;
        }
    return big;
}

Test(wire_lean, the_budget_bound_covers_the_largest_message)
{
    cr_assert_leq(s_largest(&mvoi__envelope__descriptor, 0) + 8 + 80, 2 * 1024);
}
