/*  mvoi_id and mvoi_id_msg: the one id rule, bounded keys, and the request walks. */
#define _GNU_SOURCE   /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvoi_id.h"
#include "mvoi_id_text.h"
#include "mvoi_id_msg.h"

static int s_check(mvoi_id_kind_t k, const char *s, size_t len, char *why)
{
    return mvoi_id_check(k, s, len, why, MVOI_ID_WHY_MAX);
}

Test(mvoi_id, lengths_are_inclusive_limits)
{
    char buf[MVOI_ID_REMINDER_MAX + 2], why[MVOI_ID_WHY_MAX];
    const struct { mvoi_id_kind_t k; size_t max; } lim[] = {
        { MVOI_ID_BUYER, 64 }, { MVOI_ID_TENDER, 128 }, { MVOI_ID_MEASUREMENT, 128 },
        { MVOI_ID_REQUEST, 128 }, { MVOI_ID_REMINDER, 256 },
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        memset(buf, 'a', sizeof buf);
        cr_assert_eq(mvoi_id_max(lim[i].k), lim[i].max);
        cr_assert_eq(s_check(lim[i].k, buf, lim[i].max, why), 0, "%s", why);
        cr_assert_eq(s_check(lim[i].k, buf, lim[i].max + 1, why), -EINVAL);
        cr_assert(strstr(why, "longer than"), "%s", why);
        cr_assert_eq(s_check(lim[i].k, buf, 0, why), -EINVAL);
        cr_assert_str_eq(why, "missing");
    }
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_TENDER, NULL, why, sizeof why), -EINVAL);
}

Test(mvoi_id, nul_and_utf8_by_length_not_strlen)
{
    char why[MVOI_ID_WHY_MAX];
    /* "A\0-other": strlen says "A", the length says a NUL at byte 1 */
    cr_assert_eq(s_check(MVOI_ID_TENDER, "A\0-other", 8, why), -EINVAL);
    cr_assert_str_eq(why, "contains a NUL byte at byte 1");
    const char *bad[] = { "a\xc3\x28", "a\xc0\xaf", "a\xed\xa0\x80", "a\xf4\x90\x80\x80",
                          "a\xe2\x82" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(s_check(MVOI_ID_MEASUREMENT, bad[i], strlen(bad[i]), why), -EINVAL);
        cr_assert_str_eq(why, "is not valid UTF-8 at byte 1", "%zu: %s", i, why);
    }
    /* valid UTF-8 (é, €, U+10FFFF) of all lengths passes the UTF-8 test */
    const char *ok = "\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf";
    cr_assert_eq(mvoi_utf8_valid_prefix((const uint8_t *)ok, strlen(ok)), strlen(ok));
}

Test(mvoi_id, characters)
{
    char why[MVOI_ID_WHY_MAX];
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_TENDER, "ocds-213czf-000-00001/lot:1_a.b", why,
                                   sizeof why), 0, "%s", why);
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_REMINDER, "heerlen|X-001|kickoff|1", why,
                                   sizeof why), 0, "%s", why);
    /* the notifier's copy ids: a tender id's '/' as "%2F", an address as it is */
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_REMINDER, "heerlen/RD%2F2025%2F1/kickoff_invitation"
                                   "/1/v1/o'hara+{inkoop}@gemeente.example", why, sizeof why),
                 0, "%s", why);
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_TENDER, "RD%2F1", why, sizeof why), -EINVAL,
                 "'%%' stays out of tender ids");
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_REMINDER, "a b", why, sizeof why), -EINVAL);
    const char *no[] = { "with space", "tab\there", "m\xc3\xa9", "a<b>", "q\"", "a\x7f" };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        cr_assert_eq(mvoi_id_check_str(MVOI_ID_MEASUREMENT, no[i], why, sizeof why), -EINVAL,
                     "%s accepted", no[i]);
    cr_assert_eq(mvoi_id_check_str(MVOI_ID_BUYER, "gemeente-heerlen_2", why, sizeof why), 0);
    const char *nob[] = { "Heerlen", "-heerlen", "heer.len", "heer len", "h\xc3\xa9" };
    for (size_t i = 0; i < sizeof nob / sizeof nob[0]; i++)
        cr_assert_eq(mvoi_id_check_str(MVOI_ID_BUYER, nob[i], why, sizeof why), -EINVAL,
                     "%s accepted", nob[i]);
}

/* Every byte value at every position of ids of 1 to 20 bytes (the fast paths take eight
 * bytes at a time): accepted exactly when the rule written out here says so, and a refusal
 * names the first bad byte. The rule: ids [A-Za-z0-9._:/|@+=~#-], buyers [a-z0-9] then
 * [a-z0-9_-]. */
static bool s_rule(mvoi_id_kind_t k, uint8_t c, bool first)
{
    bool lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
    if (k == MVOI_ID_BUYER)
        return lower || digit || (!first && (c == '-' || c == '_'));
    if (k == MVOI_ID_REMINDER && c != 0 && memchr("%!$&'*?^`{}", c, 11) != NULL)
        return true;   /* the notifier's %-escapes and an address's characters */
    return lower || digit || (c >= 'A' && c <= 'Z') ||
           (c != 0 && memchr("._:/|@+=~#-", c, 11) != NULL);
}

Test(mvoi_id, every_byte_at_every_position)
{
    char buf[24], why[MVOI_ID_WHY_MAX], at[48];
    const mvoi_id_kind_t kinds[] = { MVOI_ID_TENDER, MVOI_ID_BUYER, MVOI_ID_REMINDER };
    for (size_t ki = 0; ki < 3; ki++)
        for (size_t len = 1; len <= 20; len++)
            for (size_t pos = 0; pos < len; pos++)
                for (int c = 0; c < 256; c++) {
                    memset(buf, ki == 1 ? 'b' : 'B', len);
                    buf[pos] = (char)c;
                    bool want = s_rule(kinds[ki], (uint8_t)c, pos == 0);
                    int rc = s_check(kinds[ki], buf, len, why);
                    cr_assert_eq(rc == 0, want, "kind %zu len %zu byte 0x%02x at %zu: %s",
                                 ki, len, c, pos, rc ? why : "accepted");
                    snprintf(at, sizeof at, "at byte %zu", pos);
                    snprintf(at + 24, sizeof at - 24, "character %zu ", pos + 1);   /* counted from 1 */
                    if (!want)
                        cr_assert(strstr(why, at) || strstr(why, at + 24), "%s", why);
                }
}

/* Valid and invalid sequences put at every offset of a 20-byte ASCII string: the valid
 * prefix ends where the test put a bad one (a NUL counts as bad), else at the end. */
Test(mvoi_id, utf8_prefix_at_every_offset)
{
    const struct { const char *s; size_t len; bool ok; } seq[] = {
        { "\xc3\xa9", 2, true }, { "\xe2\x82\xac", 3, true }, { "\xf0\x9f\x98\x80", 4, true },
        { "", 1, false } /* NUL */, { "\x80", 1, false }, { "\xc0\x80", 2, false },
        { "\xed\xa0\x80", 3, false }, { "\xc3", 1, false }, { "\xff", 1, false },
    };
    uint8_t buf[32];
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        for (size_t off = 0; off + seq[i].len <= 20; off++) {
            memset(buf, 'x', 20);
            memcpy(buf + off, seq[i].s, seq[i].len);
            size_t want = seq[i].ok ? 20 : off;
            cr_assert_eq(mvoi_utf8_valid_prefix(buf, 20), want, "sequence %zu at %zu", i,
                         off);
        }
}

Test(mvoi_id, keys_fit_or_are_refused)
{
    uint8_t buf[8];
    /* "ab\0cd\0e" is 7 bytes */
    cr_assert_eq(mvoi_id_key3(buf, 7, "ab", "cd", "e"), 7);
    cr_assert_eq(memcmp(buf, "ab\0cd\0e", 7), 0);
    cr_assert_eq(mvoi_id_key3(buf, 6, "ab", "cd", "e"), 0, "one byte short: refused");
    cr_assert_eq(mvoi_id_key2(buf, 5, "ab", "cd"), 5);
    cr_assert_eq(mvoi_id_key2(buf, 4, "ab", "cd"), 0);
    /* the largest valid ids fit MVOI_ID_KEY_MAX */
    static char b[65], t[129], r[257];
    memset(b, 'b', 64);
    memset(t, 't', 128);
    memset(r, 'r', 256);
    uint8_t big[MVOI_ID_KEY_MAX];
    const char *parts[] = { b, t, t, r };
    cr_assert_eq(mvoi_id_key(big, sizeof big, 4, parts), 64 + 128 + 128 + 256 + 3);
}

/* A packed SubmitMeasurements with a marker turned into NUL (protobuf-c packs by strlen). */
static uint8_t *s_packed(const char *id2, const char *buyer, size_t *len)
{
    Mvoi__Measurement a = MVOI__MEASUREMENT__INIT, b = MVOI__MEASUREMENT__INIT, *mp[] = { &a, &b };
    a.id = "m-1";
    a.tender_id = "T-1";
    b.id = (char *)id2;
    b.tender_id = "T-1";
    b.reason = "na controle: \xc3\xa9\xc3\xa9n regel";   /* free text may be any UTF-8 */
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.measurements = mp;
    sm.n_measurements = 2;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.buyer = (char *)buyer;
    env.request_id = "r-1";
    env.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    env.submit_measurements = &sm;
    *len = mvoi__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(*len);
    mvoi__envelope__pack(&env, buf);
    uint8_t *mark = memmem(buf, *len, "\x7f\x7e\x7d", 3);
    if (mark)
        *mark = 0;
    return buf;
}

Test(mvoi_id_msg, wire_names_the_string_with_a_nul_or_bad_utf8)
{
    char field[MVOI_ID_FIELD_MAX], why[128];
    size_t len;
    uint8_t *buf = s_packed("m-2", "heerlen", &len);
    cr_assert_eq(mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, buf, len, field,
                                        sizeof field, why, sizeof why, NULL), 0);
    free(buf);
    buf = s_packed("A\x7f\x7e\x7d-other", "heerlen", &len);
    cr_assert_eq(mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, buf, len, field,
                                        sizeof field, why, sizeof why, NULL), -EILSEQ);
    cr_assert_str_eq(field, "submit_measurements.measurements[1].id");
    cr_assert_str_eq(why, "contains a NUL byte at byte 1");
    free(buf);
    buf = s_packed("m-2", "heer\xff", &len);
    cr_assert_eq(mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, buf, len, field,
                                        sizeof field, why, sizeof why, NULL), -EILSEQ);
    cr_assert_str_eq(field, "buyer");
    cr_assert_str_eq(why, "is not valid UTF-8 at byte 4");
    free(buf);
    /* malformed bytes are the decoder's business, not a crash here */
    uint8_t junk[] = { 0x42, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
    cr_assert_eq(mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, junk, sizeof junk, field,
                                        sizeof field, why, sizeof why, NULL), 0);
}

Test(mvoi_id_msg, decoded_ids_by_field_name)
{
    char field[MVOI_ID_FIELD_MAX], why[128];
    size_t len;
    uint8_t *buf = s_packed("m 2", "heerlen", &len);
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, len, buf);
    cr_assert_eq(mvoi_id_msg_check(&e->base, field, sizeof field, why, sizeof why, NULL),
                 -EINVAL);
    cr_assert_str_eq(field, "submit_measurements.measurements[1].id");
    cr_assert(strstr(why, "not allowed"), "%s", why);
    mvoi__envelope__free_unpacked(e, NULL);
    free(buf);
    buf = s_packed("m-2", "Gemeente Heerlen", &len);
    e = mvoi__envelope__unpack(NULL, len, buf);
    cr_assert_eq(mvoi_id_msg_check(&e->base, field, sizeof field, why, sizeof why, NULL),
                 -EINVAL);
    cr_assert_str_eq(field, "buyer");
    mvoi__envelope__free_unpacked(e, NULL);
    free(buf);
    buf = s_packed("m-2", "heerlen", &len);
    e = mvoi__envelope__unpack(NULL, len, buf);
    cr_assert_eq(mvoi_id_msg_check(&e->base, field, sizeof field, why, sizeof why, NULL), 0,
                 "%s %s", field, why);
    mvoi__envelope__free_unpacked(e, NULL);
    free(buf);
}

/* Each reason in the reader's language (mvoi_id_text): the Dutch written out here, and
 * the English exactly what mvoi_id_check says. */
Test(mvoi_id_text, every_reason_in_dutch_and_english)
{
    static const struct { mvoi_id_kind_t kind; const char *id, *nl; } c[] = {
        { MVOI_ID_BUYER, "", "ontbreekt" },
        { MVOI_ID_BUYER, "Heerlen", "teken 1 hoort niet bij [a-z0-9_-] (en het eerste is een "
                                    "letter of cijfer)" },
        { MVOI_ID_TENDER, "HRL 2025", "teken 4 (U+0020) mag niet in een kenmerk" },
        { MVOI_ID_TENDER, "HRL-\xc3\x28", "is geen geldige UTF-8 op byte 4" },
        { MVOI_ID_BUYER, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "is langer dan 64 bytes (69)" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char nl[MVOI_ID_WHY_MAX], en[MVOI_ID_WHY_MAX], plain[MVOI_ID_WHY_MAX];
        cr_assert_eq(mvoi_id_check_in(TEXT_NL, c[i].kind, c[i].id, nl, sizeof nl), -EINVAL);
        cr_assert_str_eq(nl, c[i].nl, "%zu", i);
        cr_assert_eq(mvoi_id_check_in(TEXT_EN, c[i].kind, c[i].id, en, sizeof en), -EINVAL);
        cr_assert_eq(mvoi_id_check_str(c[i].kind, c[i].id, plain, sizeof plain), -EINVAL);
        cr_assert_str_eq(en, plain, "%zu", i);
    }
    char why[MVOI_ID_WHY_MAX] = "untouched";
    cr_assert_eq(mvoi_id_check_in(TEXT_NL, MVOI_ID_BUYER, "venlo", why, sizeof why), 0);
    cr_assert_str_eq(why, "untouched");
    cr_assert_str_eq(mvoi_id_kind_name_in(TEXT_NL, MVOI_ID_TENDER), "aanbestedingskenmerk");
    cr_assert_str_eq(mvoi_id_kind_name_in(TEXT_EN, MVOI_ID_TENDER), "tender id");
}

/* The one address rule (mvoi_id_address_why): UTF-8 local parts and U-label domains are
 * addresses (RFC 6531); what is not is refused with its reason, the byte named. */
Test(mvoi_id, addresses_one_rule_with_a_named_reason)
{
    const char *good[] = { "josé@gemeente.nl", "jan@bücher.example", "o'hara@x.nl",
                           "pl+mvoi@gemeente.example", "a@b.c" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mvoi_id_why_t w;
        cr_assert_eq(mvoi_id_address_why(good[i], &w), 0, "%s: %s", good[i], w.fmt);
    }
    struct {
        const char *addr, *why;
    } bad[] = {
        { "", "missing" },
        { "pl\xff@gemeente.nl", "is not valid UTF-8 at byte 2" },
        { "gemeente.nl", "has no local part and '@' before a domain" },
        { "@gemeente.nl", "has no local part and '@' before a domain" },
        { "pl@@gemeente.nl", "has a second '@' at byte 3" },
        { "p l@gemeente.nl", "character 2 is a blank, a control character or one of "
                             "<>()[],;:\"\\ (not in an address)" },
        /* counted in characters from 1: the blank is the third, after two 2-byte ones */
        { "\xc3\xa9\xc3\xa9 l@x.nl", "character 3 is a blank, a control character or one of "
                                     "<>()[],;:\"\\ (not in an address)" },
        { "<pl@gemeente.nl>", "character 1 is a blank, a control character or one of "
                              "<>()[],;:\"\\ (not in an address)" },
        { "pl@\xc2\x85x.nl", "character 4 is a blank, a control character or one of "
                             "<>()[],;:\"\\ (not in an address)" },
        { "pl@gemeente", "the domain after byte 2 is not two labels or more joined by '.'" },
        { "pl@gemeente..nl", "character 12 of the domain is not a letter, digit or '-' of a "
                             "label" },
        { "pl@-gemeente.nl", "character 4 of the domain is not a letter, digit or '-' of a "
                             "label" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mvoi_id_why_t w;
        char why[MVOI_ID_WHY_MAX + 64];
        cr_assert_eq(mvoi_id_address_why(bad[i].addr, &w), -EINVAL, "%zu", i);
        mvoi_id_why_format(why, sizeof why, w.fmt, &w);
        cr_assert_str_eq(why, bad[i].why, "%zu", i);
    }
    char local[70], addr[100];
    memset(local, 'x', 65);
    local[65] = 0;
    snprintf(addr, sizeof addr, "%s@x.nl", local);
    mvoi_id_why_t w;
    char why[MVOI_ID_WHY_MAX + 64];
    cr_assert_eq(mvoi_id_address_why(addr, &w), -EINVAL);
    mvoi_id_why_format(why, sizeof why, w.fmt, &w);
    cr_assert_str_eq(why, "its local part is longer than 64 bytes (65)");
}
