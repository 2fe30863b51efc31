/*  pbjson: round trips through JSON must give identical wire bytes; every decode error names
 *  the field by its JSON path; error paths free what they built (run under MVOI_SANITIZE). */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.pb-c.h"
#include "pbjson.h"

/* ---- helpers -------------------------------------------------------------------------- */

static json_t *s_load(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    cr_assert_not_null(j, "test JSON does not parse: %s (%s)", je.text, text);
    return j;
}

static int s_decode_text(const char *text, const ProtobufCMessageDescriptor *d,
                         ProtobufCMessage **out, pbjson_error_t *e)
{
    json_t *j = s_load(text);
    int rc = pbjson_decode(j, d, out, e);
    json_decref(j);
    return rc;
}

/* Decoding `text` as an Envelope fails with rc, at `field`, with `needle` in the message. */
static void s_expect_error(const char *text, int rc, const char *field, const char *needle)
{
    pbjson_error_t e;
    ProtobufCMessage *m = (ProtobufCMessage *)0x1;
    int got = s_decode_text(text, &mvoi__envelope__descriptor, &m, &e);
    cr_assert_eq(got, rc, "rc %d, want %d for %s (%s: %s)", got, rc, text, e.field, e.message);
    cr_assert_null(m, "out must be NULL on error");
    cr_assert_str_eq(e.field, field, "field \"%s\", want \"%s\" (%s)", e.field, field, e.message);
    cr_assert_not_null(strstr(e.message, needle), "message \"%s\" lacks \"%s\"", e.message, needle);
}

static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    cr_assert_not_null(buf);
    cr_assert_eq(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

/* encode -> text -> parse -> decode -> pack: the bytes equal packing the original. */
static void s_assert_roundtrip(const ProtobufCMessage *m, int flags)
{
    char *text = pbjson_dumps(m, flags);
    cr_assert_not_null(text);
    json_t *j = s_load(text);
    ProtobufCMessage *back = NULL;
    pbjson_error_t e;
    int rc = pbjson_decode(j, m->descriptor, &back, &e);
    cr_assert_eq(rc, 0, "decode of %s failed: %s: %s", text, e.field, e.message);
    size_t la, lb;
    uint8_t *a = s_pack(m, &la), *b = s_pack(back, &lb);
    cr_assert_eq(la, lb, "packed sizes differ (%zu vs %zu) for %s", la, lb, text);
    cr_assert_eq(memcmp(a, b, la), 0, "packed bytes differ for %s", text);
    free(a);
    free(b);
    protobuf_c_message_free_unpacked(back, NULL);
    json_decref(j);
    free(text);
}

/* A RegisterTender envelope; all storage static or in the caller's frame. */
typedef struct {
    Mvoi__Envelope env;
    Mvoi__RegisterTender reg;
    Mvoi__Tender t;
    Mvoi__Person leader;
    Mvoi__ThemeAmbition th[2];
    Mvoi__ThemeAmbition *thp[2];
} tender_env_t;

static void s_tender_env(tender_env_t *x)
{
    static uint32_t sdgs0[] = { 7, 12, 13 };
    static uint32_t sdgs1[] = { 8 };
    static uint32_t tsdgs[] = { 3, 4294967295u };
    mvoi__envelope__init(&x->env);
    mvoi__register_tender__init(&x->reg);
    mvoi__tender__init(&x->t);
    mvoi__person__init(&x->leader);
    for (int i = 0; i < 2; i++) {
        mvoi__theme_ambition__init(&x->th[i]);
        x->thp[i] = &x->th[i];
    }
    x->leader.name = "Anna de Vries";
    x->leader.email = "anna@heerlen.nl";
    x->th[0].has_theme = 1;
    x->th[0].theme = MVOI__THEME__THEME_KLIMAAT;
    x->th[0].has_commitment = 1;
    x->th[0].commitment = MVOI__COMMITMENT__COMMIT_EIS;
    x->th[0].n_sdgs = 3;
    x->th[0].sdgs = sdgs0;
    x->th[0].note = "HVO in plaats van diesel \xe2\x82\xac \"quoted\"";
    x->th[1].has_theme = 1;
    x->th[1].theme = MVOI__THEME__THEME_SOCIAL_RETURN;
    x->th[1].has_commitment = 1;
    x->th[1].commitment = MVOI__COMMITMENT__COMMIT_UNSPECIFIED;   /* has_ set with 0 */
    x->th[1].n_sdgs = 1;
    x->th[1].sdgs = sdgs1;
    x->t.id = "T-2024-001";
    x->t.buyer = "Heerlen";
    x->t.title = "";                                              /* empty but present */
    x->t.has_kind = 1;
    x->t.kind = MVOI__TENDER_KIND__KIND_WERKEN;
    x->t.has_value_cents = 1;
    x->t.value_cents = 12345678901234LL;
    x->t.project_leader = &x->leader;
    x->t.n_themes = 2;
    x->t.themes = x->thp;
    x->t.n_sdgs = 2;
    x->t.sdgs = tsdgs;
    x->t.has_pilot = 1;
    x->t.pilot = 1;
    x->t.has_procedure_override = 1;
    x->t.procedure_override = 0;                                 /* false but present */
    x->t.has_procedure = 1;
    x->t.procedure = MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR;
    x->t.has_created_ms = 1;
    x->t.created_ms = -1;
    x->reg.tender = &x->t;
    x->env.has_schema_version = 1;
    x->env.schema_version = 1;
    x->env.producer = "gateway";
    x->env.has_epoch = 1;
    x->env.epoch = 0xdeadbeefcafeULL;
    x->env.has_ts_unix_ms = 1;
    x->env.ts_unix_ms = 1718000000123LL;
    x->env.request_id = "req-1";
    x->env.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    x->env.register_tender = &x->reg;
}

/* ---- encode: shape ---------------------------------------------------------------------- */

Test(pbjson, encode_register_tender_shape)
{
    tender_env_t x;
    s_tender_env(&x);
    json_t *j = pbjson_encode(&x.env.base, 0);
    cr_assert_not_null(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "epoch")), 0xdeadbeefcafeLL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "producer")), "gateway");
    cr_assert_null(json_object_get(j, "seq"), "unset optional scalar must be omitted");
    cr_assert_null(json_object_get(j, "buyer"), "NULL string must be omitted");
    cr_assert_null(json_object_get(j, "ack"), "only the set oneof arm");
    cr_assert_eq(json_object_size(j), 6);   /* 5 header fields + register_tender */
    json_t *t = json_object_get(json_object_get(j, "register_tender"), "tender");
    cr_assert(json_is_object(t));
    cr_assert(json_is_integer(json_object_get(t, "value_cents")));
    cr_assert_eq(json_integer_value(json_object_get(t, "value_cents")), 12345678901234LL);
    cr_assert_eq(json_integer_value(json_object_get(t, "created_ms")), -1);
    cr_assert_str_eq(json_string_value(json_object_get(t, "title")), "");
    cr_assert_str_eq(json_string_value(json_object_get(t, "kind")), "werken");
    cr_assert_str_eq(json_string_value(json_object_get(t, "procedure")), "europees_openbaar");
    cr_assert(json_is_true(json_object_get(t, "pilot")));
    cr_assert(json_is_false(json_object_get(t, "procedure_override")));
    cr_assert_null(json_object_get(t, "status"));
    cr_assert_null(json_object_get(t, "budget_holder"));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "project_leader"),
                                                       "email")), "anna@heerlen.nl");
    json_t *th = json_object_get(t, "themes");
    cr_assert_eq(json_array_size(th), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(th, 0), "theme")), "klimaat");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(th, 0), "commitment")), "eis");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(th, 1), "theme")),
                     "social_return");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(th, 1), "commitment")),
                     "unspecified");
    json_t *sdgs = json_object_get(json_array_get(th, 0), "sdgs");
    cr_assert_eq(json_array_size(sdgs), 3);
    cr_assert_eq(json_integer_value(json_array_get(sdgs, 2)), 13);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(t, "sdgs"), 1)), 4294967295LL);
    json_decref(j);
}

Test(pbjson, encode_flags_enum_numbers_and_emit_empty)
{
    Mvoi__ThemeAmbition th = MVOI__THEME_AMBITION__INIT;
    th.has_theme = 1;
    th.theme = MVOI__THEME__THEME_CIRCULAIR;
    char *s = pbjson_dumps(&th.base, 0);
    cr_assert_str_eq(s, "{\"theme\":\"circulair\"}");
    free(s);
    s = pbjson_dumps(&th.base, PBJSON_ENUM_NUMBERS | PBJSON_EMIT_EMPTY);
    cr_assert_str_eq(s, "{\"theme\":2,\"sdgs\":[]}");
    free(s);
    s = pbjson_dumps(&th.base, PBJSON_PRETTY);
    cr_assert_not_null(strchr(s, '\n'), "pretty output is indented");
    free(s);
    /* An enum value the descriptor does not know (newer producer) stays a number. */
    th.theme = 99;
    s = pbjson_dumps(&th.base, 0);
    cr_assert_str_eq(s, "{\"theme\":99}");
    free(s);
}

Test(pbjson, encode_invalid_utf8_is_replaced)
{
    Mvoi__Person p = MVOI__PERSON__INIT;
    p.name = "a\xff" "b\xc3";
    char *s = pbjson_dumps(&p.base, 0);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, "{\"name\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"}");
    free(s);
}

Test(pbjson, encode_null_message)
{
    errno = 0;
    cr_assert_null(pbjson_encode(NULL, 0));
    cr_assert_eq(errno, EINVAL);
}

/* ---- round trips ------------------------------------------------------------------------ */

Test(pbjson, roundtrip_register_tender)
{
    tender_env_t x;
    s_tender_env(&x);
    s_assert_roundtrip(&x.env.base, 0);
    s_assert_roundtrip(&x.env.base, PBJSON_ENUM_NUMBERS);
    s_assert_roundtrip(&x.env.base, PBJSON_EMIT_EMPTY | PBJSON_PRETTY);
}

Test(pbjson, roundtrip_measurement_oneof_energy)
{
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT;
    Mvoi__EnergyUse en = MVOI__ENERGY_USE__INIT;
    en.has_carrier = 1;
    en.carrier = MVOI__CARRIER__CARRIER_HVO100;
    en.has_reference_carrier = 1;
    en.reference_carrier = MVOI__CARRIER__CARRIER_DIESEL_B7;
    en.has_quantity_milli = 1;
    en.quantity_milli = 1500000;
    m.id = "M-1";
    m.tender_id = "T-2024-001";
    m.has_phase = 1;
    m.phase = MVOI__PHASE__PHASE_REALISATION;
    m.period_start = "2024-01-01";
    m.kind_case = MVOI__MEASUREMENT__KIND_ENERGY;
    m.energy = &en;
    json_t *j = pbjson_encode(&m.base, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "phase")), "realisation");
    json_t *e = json_object_get(j, "energy");
    cr_assert_str_eq(json_string_value(json_object_get(e, "carrier")), "hvo100");
    cr_assert_str_eq(json_string_value(json_object_get(e, "reference_carrier")), "diesel_b7");
    cr_assert_null(json_object_get(j, "machine"));
    json_decref(j);
    s_assert_roundtrip(&m.base, 0);

    /* decode sets the case */
    ProtobufCMessage *out;
    pbjson_error_t err;
    cr_assert_eq(s_decode_text("{\"id\":\"M-2\",\"energy\":{\"carrier\":\"lng\"}}",
                               &mvoi__measurement__descriptor, &out, &err), 0, "%s", err.message);
    Mvoi__Measurement *mm = (Mvoi__Measurement *)out;
    cr_assert_eq(mm->kind_case, MVOI__MEASUREMENT__KIND_ENERGY);
    cr_assert_eq(mm->energy->carrier, MVOI__CARRIER__CARRIER_LNG);
    cr_assert(mm->energy->has_carrier);
    cr_assert(!mm->energy->has_quantity_milli);
    protobuf_c_message_free_unpacked(out, NULL);
}

Test(pbjson, roundtrip_impact_event)
{
    Mvoi__ImpactEvent ev = MVOI__IMPACT_EVENT__INIT;
    Mvoi__Measurement m = MVOI__MEASUREMENT__INIT, prev = MVOI__MEASUREMENT__INIT;
    Mvoi__Material mat = MVOI__MATERIAL__INIT, pmat = MVOI__MATERIAL__INIT;
    Mvoi__Impact imp = MVOI__IMPACT__INIT, pimp = MVOI__IMPACT__INIT;
    Mvoi__FactorRef f1 = MVOI__FACTOR_REF__INIT, f2 = MVOI__FACTOR_REF__INIT;
    Mvoi__FactorRef *fs[] = { &f1, &f2 };
    mat.has_mass_g = 1;
    mat.mass_g = 250000;
    mat.has_strategy = 1;
    mat.strategy = MVOI__RSTRATEGY__R3_REUSE;
    mat.has_renewable = 1;
    mat.renewable = 1;
    mat.material = "beton";
    pmat = mat;
    pmat.strategy = MVOI__RSTRATEGY__R8_RECYCLE;
    m.id = "M-7";
    m.has_revision = 1;
    m.revision = 2;
    m.kind_case = MVOI__MEASUREMENT__KIND_MATERIAL;
    m.material = &mat;
    prev = m;
    prev.revision = 1;
    prev.material = &pmat;
    f1.table = "material";
    f1.edition = "2026";
    f1.has_unverified = 1;
    f1.unverified = 1;
    f2.table = "co2";
    imp.has_primary_material_g = 1;
    imp.primary_material_g = 250000;
    imp.has_co2_avoided_g = 1;
    imp.co2_avoided_g = -42;
    imp.n_factors = 2;
    imp.factors = fs;
    imp.has_theme = 1;
    imp.theme = MVOI__THEME__THEME_CIRCULAIR;
    pimp.has_primary_material_g = 1;
    pimp.primary_material_g = 1;
    ev.has_kind = 1;
    ev.kind = MVOI__IMPACT_EVENT_KIND__IEV_CORRECTED;
    ev.measurement = &m;
    ev.impact = &imp;
    ev.previous = &prev;
    ev.previous_impact = &pimp;
    ev.purchasing_group = "GWW";

    json_t *j = pbjson_encode(&ev.base, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "kind")), "corrected");
    json_t *jm = json_object_get(json_object_get(j, "measurement"), "material");
    cr_assert_str_eq(json_string_value(json_object_get(jm, "strategy")), "r3_reuse");
    cr_assert_eq(json_array_size(json_object_get(json_object_get(j, "impact"), "factors")), 2);
    json_decref(j);
    s_assert_roundtrip(&ev.base, 0);
}

Test(pbjson, roundtrip_bytes_base64)
{
    static const uint8_t data[] = { 0x00, 0xff, 0xfb, 0xef, 0x10, 0x80, 0x3e };
    for (size_t len = 0; len <= sizeof data; len++) {
        Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
        te.has_payload = 1;
        te.payload.len = len;
        te.payload.data = (uint8_t *)data;
        s_assert_roundtrip(&te.base, 0);
    }
    Mvoi__TestEvent te = MVOI__TEST_EVENT__INIT;
    te.has_payload = 1;
    te.payload.len = 3;
    te.payload.data = (uint8_t *)data + 1;   /* ff fb ef: every 6-bit group is 62 or 63 */
    char *s = pbjson_dumps(&te.base, 0);
    cr_assert_str_eq(s, "{\"payload\":\"//vv\"}");
    free(s);
    /* URL-safe alphabet and missing padding are accepted */
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(s_decode_text("{\"payload\":\"__vv\"}", &mvoi__test_event__descriptor, &out, &e), 0);
    Mvoi__TestEvent *t = (Mvoi__TestEvent *)out;
    cr_assert_eq(t->payload.len, 3);
    cr_assert_eq(memcmp(t->payload.data, data + 1, 3), 0);
    protobuf_c_message_free_unpacked(out, NULL);
    cr_assert_eq(s_decode_text("{\"payload\":\"AP8\"}", &mvoi__test_event__descriptor, &out, &e), 0);
    t = (Mvoi__TestEvent *)out;
    cr_assert_eq(t->payload.len, 2);
    cr_assert_eq(t->payload.data[1], 0xff);
    protobuf_c_message_free_unpacked(out, NULL);
}

Test(pbjson, large_uint64)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.has_epoch = 1;
    env.epoch = UINT64_MAX;
    env.has_seq = 1;
    env.seq = (uint64_t)LLONG_MAX;
    json_t *j = pbjson_encode(&env.base, 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "epoch")), "18446744073709551615");
    cr_assert(json_is_integer(json_object_get(j, "seq")), "<= LLONG_MAX stays an integer");
    json_decref(j);
    s_assert_roundtrip(&env.base, 0);
    env.epoch = (uint64_t)LLONG_MAX + 1;
    s_assert_roundtrip(&env.base, 0);

    s_expect_error("{\"epoch\":\"18446744073709551616\"}", -EINVAL, "epoch", "out of range");
    s_expect_error("{\"epoch\":-1}", -EINVAL, "epoch", "out of range for uint64");
    s_expect_error("{\"epoch\":\"-1\"}", -EINVAL, "epoch", "out of range for uint64");
}

Test(pbjson, int64_as_decimal_string_and_integral_real)
{
    ProtobufCMessage *out;
    pbjson_error_t e;
    int rc = s_decode_text("{\"register_tender\":{\"tender\":{\"value_cents\":\"12345678901234\","
                           "\"created_ms\":\"-9223372036854775808\",\"version\":3.0}}}",
                           &mvoi__envelope__descriptor, &out, &e);
    cr_assert_eq(rc, 0, "%s: %s", e.field, e.message);
    Mvoi__Tender *t = ((Mvoi__Envelope *)out)->register_tender->tender;
    cr_assert(t->has_value_cents);
    cr_assert_eq(t->value_cents, 12345678901234LL);
    cr_assert_eq(t->created_ms, INT64_MIN);
    cr_assert_eq(t->version, 3);
    protobuf_c_message_free_unpacked(out, NULL);
}

Test(pbjson, null_means_absent)
{
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(s_decode_text("{\"producer\":null,\"seq\":null,\"register_tender\":null,"
                               "\"ack\":{\"seq\":1}}", &mvoi__envelope__descriptor, &out, &e), 0,
                 "%s", e.message);
    Mvoi__Envelope *env = (Mvoi__Envelope *)out;
    cr_assert_null(env->producer);
    cr_assert(!env->has_seq);
    cr_assert_eq(env->body_case, MVOI__ENVELOPE__BODY_ACK);
    protobuf_c_message_free_unpacked(out, NULL);
}

Test(pbjson, repeated_10000_elements)
{
    Mvoi__RecordAmbition ra = MVOI__RECORD_AMBITION__INIT;
    uint32_t *sdgs = malloc(10000 * sizeof *sdgs);
    Mvoi__ThemeAmbition *th = calloc(10000, sizeof *th);
    Mvoi__ThemeAmbition **thp = calloc(10000, sizeof *thp);
    for (uint32_t i = 0; i < 10000; i++) {
        sdgs[i] = i * 429497u;
        mvoi__theme_ambition__init(&th[i]);
        th[i].has_theme = 1;
        th[i].theme = (Mvoi__Theme)(i % 7);
        thp[i] = &th[i];
    }
    ra.tender_id = "T-1";
    ra.n_sdgs = 10000;
    ra.sdgs = sdgs;
    ra.n_themes = 10000;
    ra.themes = thp;
    s_assert_roundtrip(&ra.base, 0);
    free(sdgs);
    free(th);
    free(thp);
}

/* ---- enum names ------------------------------------------------------------------------- */

Test(pbjson, enum_short_names)
{
    cr_assert_str_eq(pbjson_enum_short(&mvoi__theme__descriptor, MVOI__THEME__THEME_KLIMAAT), "klimaat");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__theme__descriptor, MVOI__THEME__THEME_UNSPECIFIED),
                     "unspecified");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__commitment__descriptor, MVOI__COMMITMENT__COMMIT_EIS), "eis");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__procedure__descriptor,
                                       MVOI__PROCEDURE__PROC_EUROPEES_OPENBAAR), "europees_openbaar");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__phase__descriptor, MVOI__PHASE__PHASE_REALISATION),
                     "realisation");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__tender_status__descriptor,
                                       MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED), "kickoff_scheduled");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__emission_stage__descriptor,
                                       MVOI__EMISSION_STAGE__STAGE_IIIB), "iiib");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__error_code__descriptor,
                                       MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT), "invalid_argument");
    /* RStrategy: R_UNSPECIFIED, R0_REFUSE..R9_RECOVER share only "R", not a whole "WORD_",
     * so the names are used whole. */
    cr_assert_str_eq(pbjson_enum_short(&mvoi__rstrategy__descriptor, MVOI__RSTRATEGY__R3_REUSE), "r3_reuse");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__rstrategy__descriptor, MVOI__RSTRATEGY__R_UNSPECIFIED),
                     "r_unspecified");
    cr_assert_str_eq(pbjson_enum_short(&mvoi__rstrategy__descriptor, MVOI__RSTRATEGY__R9_RECOVER),
                     "r9_recover");
    cr_assert_null(pbjson_enum_short(&mvoi__theme__descriptor, 77));
    cr_assert_null(pbjson_enum_short(NULL, 1));
    /* stable pointer: computed once */
    cr_assert_eq(pbjson_enum_short(&mvoi__theme__descriptor, 1),
                 pbjson_enum_short(&mvoi__theme__descriptor, 1));
}

Test(pbjson, enum_parse)
{
    int v = -1;
    cr_assert_eq(pbjson_enum_parse(&mvoi__theme__descriptor, "klimaat", &v), 0);
    cr_assert_eq(v, MVOI__THEME__THEME_KLIMAAT);
    cr_assert_eq(pbjson_enum_parse(&mvoi__theme__descriptor, "THEME_CIRCULAIR", &v), 0);
    cr_assert_eq(v, MVOI__THEME__THEME_CIRCULAIR);
    cr_assert_eq(pbjson_enum_parse(&mvoi__theme__descriptor, "Social_Return", &v), 0);
    cr_assert_eq(v, MVOI__THEME__THEME_SOCIAL_RETURN);
    cr_assert_eq(pbjson_enum_parse(&mvoi__rstrategy__descriptor, "r3_reuse", &v), 0);
    cr_assert_eq(v, MVOI__RSTRATEGY__R3_REUSE);
    cr_assert_eq(pbjson_enum_parse(&mvoi__theme__descriptor, "weather", &v), -ENOENT);
    cr_assert_eq(pbjson_enum_parse(&mvoi__theme__descriptor, "", &v), -ENOENT);
    cr_assert_eq(pbjson_enum_parse(NULL, "x", &v), -EINVAL);
}

Test(pbjson, enum_decode_forms)
{
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(s_decode_text("{\"theme\":\"THEME_MILIEU\",\"commitment\":2}",
                               &mvoi__theme_ambition__descriptor, &out, &e), 0, "%s", e.message);
    Mvoi__ThemeAmbition *th = (Mvoi__ThemeAmbition *)out;
    cr_assert_eq(th->theme, MVOI__THEME__THEME_MILIEU);
    cr_assert(th->has_commitment);
    cr_assert_eq(th->commitment, MVOI__COMMITMENT__COMMIT_GUNNING);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* ---- decode errors: each names the path; run under ASan for leaks ------------------------ */

Test(pbjson, error_not_an_object)
{
    s_expect_error("[1,2]", -EINVAL, "", "expected a JSON object");
    s_expect_error("\"x\"", -EINVAL, "", "expected a JSON object");
    ProtobufCMessage *out = (ProtobufCMessage *)0x1;
    cr_assert_eq(pbjson_decode(NULL, &mvoi__envelope__descriptor, &out, NULL), -EINVAL);
    cr_assert_null(out);
}

Test(pbjson, error_unknown_field)
{
    s_expect_error("{\"producer\":\"x\",\"register_tender\":{\"tender\":{\"id\":\"T\",\"colour\":\"red\"}}}",
                   -EINVAL, "register_tender.tender.colour", "unknown field 'colour' in mvoi.Tender");
    /* the proto3 lowerCamelCase JSON name is not accepted: one spelling only */
    s_expect_error("{\"requestId\":\"r\"}", -EINVAL, "requestId", "unknown field 'requestId'");
    /* a key with an embedded NUL (the parser refuses them, json_object_setn does not) must
     * not match "producer" */
    json_t *j = json_object();
    json_object_setn_new(j, "producer\0x", 10, json_string("r"));
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(pbjson_decode(j, &mvoi__envelope__descriptor, &out, &e), -EINVAL);
    cr_assert_not_null(strstr(e.message, "unknown field"), "%s", e.message);
    json_decref(j);
}

Test(pbjson, error_wrong_types)
{
    s_expect_error("{\"register_tender\":{\"tender\":{\"value_cents\":true}}}", -EINVAL,
                   "register_tender.tender.value_cents", "expected an integer");
    s_expect_error("{\"register_tender\":{\"tender\":{\"version\":\"3\"}}}", -EINVAL,
                   "register_tender.tender.version", "expected an integer");
    s_expect_error("{\"register_tender\":{\"tender\":{\"value_cents\":\"12x\"}}}", -EINVAL,
                   "register_tender.tender.value_cents", "decimal string");
    s_expect_error("{\"register_tender\":{\"tender\":{\"pilot\":1}}}", -EINVAL,
                   "register_tender.tender.pilot", "expected a boolean");
    s_expect_error("{\"register_tender\":{\"tender\":{\"title\":5}}}", -EINVAL,
                   "register_tender.tender.title", "expected a string");
    s_expect_error("{\"register_tender\":{\"tender\":5}}", -EINVAL,
                   "register_tender.tender", "expected an object");
    s_expect_error("{\"register_tender\":{\"tender\":{\"themes\":{}}}}", -EINVAL,
                   "register_tender.tender.themes", "expected an array");
    s_expect_error("{\"register_tender\":{\"tender\":{\"themes\":[{},null]}}}", -EINVAL,
                   "register_tender.tender.themes[1]", "null is not allowed");
    s_expect_error("{\"register_tender\":{\"tender\":{\"kind\":true}}}", -EINVAL,
                   "register_tender.tender.kind", "expected an enum name");
    s_expect_error("{\"register_tender\":{\"tender\":{\"title\":\"a\\u0000b\"}}}", -EINVAL,
                   "register_tender.tender.title", "NUL");
}

Test(pbjson, error_integer_range_and_fraction)
{
    s_expect_error("{\"register_tender\":{\"tender\":{\"sroi_pct_bp\":4294967296}}}", -EINVAL,
                   "register_tender.tender.sroi_pct_bp", "out of range for uint32");
    s_expect_error("{\"register_tender\":{\"tender\":{\"themes\":[{},{\"sdgs\":[1,-1]}]}}}", -EINVAL,
                   "register_tender.tender.themes[1].sdgs[1]", "out of range for uint32");
    s_expect_error("{\"register_tender\":{\"tender\":{\"value_cents\":1.5}}}", -EINVAL,
                   "register_tender.tender.value_cents", "expected an integer");
    s_expect_error("{\"register_tender\":{\"tender\":{\"value_cents\":1e300}}}", -EINVAL,
                   "register_tender.tender.value_cents", "inexact");
    s_expect_error("{\"register_tender\":{\"tender\":{\"value_cents\":\"9223372036854775808\"}}}",
                   -EINVAL, "register_tender.tender.value_cents", "out of range for int64");
}

Test(pbjson, error_enum_unknown)
{
    s_expect_error("{\"register_tender\":{\"tender\":{\"themes\":[{\"theme\":\"klimaat\"},"
                   "{\"theme\":\"milieu\"},{\"theme\":\"isv\",\"commitment\":\"maybe\"}]}}}",
                   -EINVAL, "register_tender.tender.themes[2].commitment",
                   "unknown mvoi.Commitment value \"maybe\" (valid: unspecified, eis, gunning, innovatie)");
    s_expect_error("{\"register_tender\":{\"tender\":{\"status\":42}}}", -EINVAL,
                   "register_tender.tender.status", "42 is not a value of mvoi.TenderStatus");
}

Test(pbjson, error_oneof_two_members)
{
    s_expect_error("{\"ack\":{\"seq\":1},\"register_tender\":{\"tender\":{\"id\":\"T\"}}}", -EINVAL,
                   "register_tender", "two members of a oneof set: 'ack' and 'register_tender'");
    /* the first arm was fully built before the second was seen: it must be freed (ASan) */
    s_expect_error("{\"register_tender\":{\"tender\":{\"id\":\"T\",\"themes\":[{\"note\":\"n\"}]}},"
                   "\"ack\":{}}", -EINVAL, "ack", "two members of a oneof set");
}

Test(pbjson, error_string_too_long)
{
    size_t n = PBJSON_MAX_STRING + 1;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    json_t *j = json_pack("{s:{s:{s:s, s:[{s:s}]}}}", "register_tender", "tender", "id", "T",
                          "themes", "note", big);
    cr_assert_not_null(j);
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(pbjson_decode(j, &mvoi__envelope__descriptor, &out, &e), -E2BIG);
    cr_assert_str_eq(e.field, "register_tender.tender.themes[0].note");
    cr_assert_not_null(strstr(e.message, "string too long"), "%s", e.message);
    json_decref(j);
    /* exactly at the limit is fine */
    big[n - 1] = '\0';
    j = json_pack("{s:s}", "producer", big);
    cr_assert_eq(pbjson_decode(j, &mvoi__envelope__descriptor, &out, &e), 0, "%s", e.message);
    cr_assert_eq(strlen(((Mvoi__Envelope *)out)->producer), PBJSON_MAX_STRING);
    protobuf_c_message_free_unpacked(out, NULL);
    json_decref(j);
    free(big);
}

Test(pbjson, error_array_too_long)
{
    json_t *arr = json_array();
    for (unsigned i = 0; i < PBJSON_MAX_ARRAY + 1; i++)
        json_array_append_new(arr, json_integer(1));
    json_t *j = json_pack("{s:{s:s,s:o}}", "record_ambition", "tender_id", "T", "sdgs", arr);
    ProtobufCMessage *out;
    pbjson_error_t e;
    cr_assert_eq(pbjson_decode(j, &mvoi__envelope__descriptor, &out, &e), -E2BIG);
    cr_assert_str_eq(e.field, "record_ambition.sdgs");
    cr_assert_not_null(strstr(e.message, "array too long"), "%s", e.message);
    /* a lowered limit through the opts variant */
    pbjson_decode_opts_t o = { .max_array = 10 };
    json_t *small = json_pack("{s:{s:[{},{},{},{},{},{},{},{},{},{},{}]}}", "record_ambition", "themes");
    cr_assert_eq(pbjson_decode_opts(small, &mvoi__envelope__descriptor, &out, &e, &o), -E2BIG);
    cr_assert_str_eq(e.field, "record_ambition.themes");
    json_decref(small);
    json_decref(j);
}

/* The contract has no recursive message (docs/libraries.md#untrusted-input: keep schemas non-recursive), so
 * the deepest JSON a client can send is ~5 levels and the default limit of 32 cannot be hit
 * through the contract. The limit code path is exercised with a lowered max_depth. */
Test(pbjson, error_depth_limit)
{
    const char *text = "{\"register_tender\":{\"tender\":{\"project_leader\":{\"name\":\"A\"},"
                       "\"themes\":[{\"note\":\"x\"}]}}}";
    json_t *j = s_load(text);
    ProtobufCMessage *out;
    pbjson_error_t e;
    pbjson_decode_opts_t o = { .max_depth = 3 };   /* envelope=1, register_tender=2, tender=3 */
    cr_assert_eq(pbjson_decode_opts(j, &mvoi__envelope__descriptor, &out, &e, &o), -E2BIG);
    cr_assert_str_eq(e.field, "register_tender.tender.project_leader");
    cr_assert_not_null(strstr(e.message, "nesting deeper than 3"), "%s", e.message);
    o.max_depth = 4;
    cr_assert_eq(pbjson_decode_opts(j, &mvoi__envelope__descriptor, &out, &e, &o), 0, "%s", e.message);
    protobuf_c_message_free_unpacked(out, NULL);
    cr_assert_eq(pbjson_decode(j, &mvoi__envelope__descriptor, &out, NULL), 0);
    protobuf_c_message_free_unpacked(out, NULL);
    json_decref(j);
}

Test(pbjson, error_invalid_base64)
{
    s_expect_error("{\"test_event\":{\"n\":1,\"payload\":\"ab!d\"}}", -EINVAL,
                   "test_event.payload", "invalid base64");
    s_expect_error("{\"test_event\":{\"payload\":\"abcde\"}}", -EINVAL,
                   "test_event.payload", "invalid base64");
    s_expect_error("{\"test_event\":{\"payload\":\"ab=\"}}", -EINVAL,
                   "test_event.payload", "invalid base64");
    s_expect_error("{\"test_event\":{\"payload\":\"a=bc\"}}", -EINVAL,
                   "test_event.payload", "invalid base64");
    s_expect_error("{\"test_event\":{\"payload\":7}}", -EINVAL,
                   "test_event.payload", "expected a base64 string");
}

Test(pbjson, error_late_failure_frees_everything)
{
    /* Strings, a nested person, a repeated message with a repeated scalar and a bytes-free
     * oneof are all built before the last field fails: ASan/LSan must see no leak. */
    s_expect_error("{\"producer\":\"p\",\"register_tender\":{\"tender\":{\"id\":\"T\","
                   "\"project_leader\":{\"name\":\"A\",\"email\":\"a@b\"},"
                   "\"themes\":[{\"note\":\"n1\",\"sdgs\":[1,2]},{\"note\":\"n2\",\"sdgs\":[3,\"x\"]}]}}}",
                   -EINVAL, "register_tender.tender.themes[1].sdgs[1]", "expected an integer");
    s_expect_error("{\"request_id\":\"r\",\"register_tender\":{\"tender\":{\"id\":\"T\","
                   "\"themes\":[{\"note\":\"n1\"}],\"sdgs\":[1]}},\"bogus\":1}",
                   -EINVAL, "bogus", "unknown field 'bogus' in mvoi.Envelope");
}
