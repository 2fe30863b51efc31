/*  rp_ids: GenerateReport (the report's only command) with a bad buyer three ways, and an
 *  unregistered buyer: named errors, as on every other service. */
#define _GNU_SOURCE   /* memmem */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rp_ids.h"

static uint8_t *s_pack(const char *buyer, size_t *len)
{
    Mvoi__GenerateReport g = MVOI__GENERATE_REPORT__INIT;
    g.buyer = (char *)buyer;
    g.has_year = 1;
    g.year = 2026;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = "r-1";
    env.buyer = "heerlen";
    env.body_case = MVOI__ENVELOPE__BODY_GENERATE_REPORT;
    env.generate_report = &g;
    *len = mvoi__envelope__get_packed_size(&env);
    uint8_t *b = malloc(*len);
    mvoi__envelope__pack(&env, b);
    uint8_t *mark = memmem(b, *len, "\x7f\x7e", 2);
    if (mark)
        *mark = 0;
    return b;
}

Test(rp_ids, generate_report_buyer_bad_three_ways_and_unknown)
{
    char field[MVOI_ID_FIELD_MAX], msg[512];
    size_t len;
    uint8_t *b = s_pack("heer\x7f\x7elen", &len);
    cr_assert_eq(rp_ids_check_wire(b, len, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(field, "generate_report.buyer");
    cr_assert(strstr(msg, "contains a NUL byte at byte 4"), "%s", msg);
    free(b);
    b = s_pack("heer\xc3(", &len);
    cr_assert_eq(rp_ids_check_wire(b, len, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert(strstr(msg, "not valid UTF-8"), "%s", msg);
    free(b);

    char err[256];
    mvoi_buyers_t *reg = mvoi_buyers_load(MVOI_BUYERS_FILE_SRC, false, err, sizeof err);
    cr_assert(reg, "%s", err);
    char longb[MVOI_ID_BUYER_MAX + 2];
    memset(longb, 'a', sizeof longb - 1);
    longb[sizeof longb - 1] = 0;
    b = s_pack(longb, &len);
    cr_assert_eq(rp_ids_check_wire(b, len, field, msg, sizeof msg), 0);
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, len, b);
    cr_assert_eq(rp_ids_check(reg, e, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(field, "generate_report.buyer");
    cr_assert_str_eq(msg, "generate_report.buyer is langer dan 64 bytes (65)");
    free(e->lang);   /* the same in the request's language */
    e->lang = strdup("en");
    cr_assert_eq(rp_ids_check(reg, e, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
    cr_assert_str_eq(msg, "generate_report.buyer longer than 64 bytes (65)");
    mvoi__envelope__free_unpacked(e, NULL);
    free(b);
    b = s_pack("heerlen", &len);
    e = mvoi__envelope__unpack(NULL, len, b);
    cr_assert_eq(rp_ids_check(reg, e, field, msg, sizeof msg), 0, "%s", msg);
    free(e->buyer);
    e->buyer = strdup("atlantis");
    cr_assert_eq(rp_ids_check(reg, e, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    cr_assert_str_eq(field, "buyer");
    mvoi__envelope__free_unpacked(e, NULL);
    free(b);
    mvoi_buyers_destroy(&reg);
}
