/*  The report service's refusals in the requester's language: Envelope.lang, else the
 *  report's own GenerateReport.lang, else Dutch; a language it cannot answer in refused by
 *  name. Codes, fields, ids and errno names stay as they are. The expected phrases are
 *  written here, not read from the catalogue. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buyers.h"
#include "rp_ask.h"
#include "rp_disk.h"
#include "rp_ids.h"

static Mvoi__GenerateReport s_g;
static Mvoi__Envelope s_env;

/* A GenerateReport of buyer for year, Envelope.lang env_lang, GenerateReport.lang g_lang. */
static Mvoi__Envelope *s_req(const char *buyer, uint32_t year, const char *env_lang,
                             const char *g_lang)
{
    mvoi__generate_report__init(&s_g);
    s_g.buyer = (char *)buyer;
    s_g.has_year = 1;
    s_g.year = year;
    s_g.lang = (char *)g_lang;
    mvoi__envelope__init(&s_env);
    s_env.request_id = "r-1";
    s_env.buyer = (char *)buyer;
    s_env.lang = (char *)env_lang;
    s_env.body_case = MVOI__ENVELOPE__BODY_GENERATE_REPORT;
    s_env.generate_report = &s_g;
    return &s_env;
}

Test(rp_lang, the_language_of_the_reply)
{
    text_lang_t l;
    cr_expect_eq(rp_ids_lang(s_req("heerlen", 2026, NULL, NULL), &l), 0);
    cr_expect_eq(l, TEXT_NL, "none: Dutch");
    cr_expect_eq(rp_ids_lang(s_req("heerlen", 2026, "en", NULL), &l), 0);
    cr_expect_eq(l, TEXT_EN);
    cr_expect_eq(rp_ids_lang(s_req("heerlen", 2026, "nl", "en"), &l), 0);
    cr_expect_eq(l, TEXT_NL, "the envelope's wins over the report's");
    cr_expect_eq(rp_ids_lang(s_req("heerlen", 2026, NULL, "en"), &l), 0);
    cr_expect_eq(l, TEXT_EN, "the report's when the envelope names none");
    cr_expect_eq(rp_ids_lang(s_req("heerlen", 2026, "fr", "en"), &l), -EINVAL);
    cr_expect_eq(l, TEXT_NL);
}

/* Two buyers, the same request id, a year out of range: each in its own language. */
Test(rp_lang, a_bad_period_in_each_requesters_language)
{
    const char *buyers[2] = { "heerlen", "venlo" };
    const char *langs[3] = { NULL, "nl", "en" };
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++) {
            const char *lang = langs[(i + b) % 3];
            rp_ask_t a;
            rp_ask_err_t err;
            cr_assert_eq(rp_ask_check(s_req(buyers[b], 1999, lang, NULL), false, TEXT_NL, &a,
                                      &err), -EINVAL);
            cr_expect_eq(err.code, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
            cr_expect_str_eq(err.field, "generate_report.year");
            cr_expect_str_eq(err.why, lang && !strcmp(lang, "en")
                                          ? "year must be 2000..2999"
                                          : "het jaar moet tussen 2000 en 2999 liggen",
                             "%s, lang %s", buyers[b], lang ? lang : "(none)");
        }
    /* the report's own lang when the envelope names none */
    rp_ask_t a;
    rp_ask_err_t err;
    cr_assert_eq(rp_ask_check(s_req("venlo", 2026, NULL, "en"), true, TEXT_NL, &a, &err), 0,
                 "%s", err.why);
    s_g.has_quarter = 1;
    s_g.quarter = 5;
    cr_assert_eq(rp_ask_check(&s_env, true, TEXT_NL, &a, &err), -EINVAL);
    cr_expect_str_eq(err.field, "generate_report.quarter");
    cr_expect_str_eq(err.why, "quarter must be 0 (annual) or 1..4");
    s_env.lang = "nl";
    cr_assert_eq(rp_ask_check(&s_env, true, TEXT_NL, &a, &err), -EINVAL);
    cr_expect_str_eq(err.why, "het kwartaal moet 0 (heel jaar) of 1 tot en met 4 zijn");
}

Test(rp_lang, unknown_buyer_and_unknown_language_refused_by_name)
{
    char err[256], field[MVOI_ID_FIELD_MAX], msg[512];
    mvoi_buyers_t *reg = mvoi_buyers_load(MVOI_BUYERS_FILE_SRC, false, err, sizeof err);
    cr_assert_not_null(reg, "%s", err);
    const char *langs[3] = { NULL, "nl", "en" };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rp_ids_check(reg, s_req("atlantis", 2026, langs[i], NULL), field, msg,
                                  sizeof msg), MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
        cr_expect_str_eq(field, "buyer");
        cr_expect_str_eq(msg, i == 2 ? "buyer 'atlantis' is not served here: it is not in the "
                                       "buyer registry (MVOI_BUYERS_FILE)"
                                     : "organisatie 'atlantis' wordt hier niet bediend: zij "
                                       "staat niet in het inkopersregister (MVOI_BUYERS_FILE)");
    }
    /* heerlen asking for venlo's report */
    Mvoi__Envelope *e = s_req("venlo", 2026, "nl", NULL);
    e->buyer = "heerlen";
    cr_assert_eq(rp_ids_check(reg, e, field, msg, sizeof msg),
                 MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    cr_expect_str_eq(msg, "het verzoek komt van organisatie heerlen maar vraagt om het rapport "
                          "van organisatie venlo");
    /* a language it cannot answer in: refused by name, in Dutch, before the buyer */
    const char *bad[3] = { "fr", "nl-NL", "e\n" };
    const char *want[3] = { "'fr' is geen taal: nl of en", "'nl-NL' is geen taal: nl of en",
                            "'e?' is geen taal: nl of en" };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rp_ids_check(reg, s_req("atlantis", 2026, bad[i], "en"), field, msg,
                                  sizeof msg), MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT);
        cr_expect_str_eq(field, "lang");
        cr_expect_str_eq(msg, want[i]);
    }
    mvoi_buyers_destroy(&reg);
}

/* A full volume: the errno's name stays, the rest in the reader's language. */
Test(rp_lang, a_full_disk_names_enospc_in_both_languages)
{
    char b[300];
    rp_disk_why(b, sizeof b, TEXT_NL, "cannot write the report files", -ENOSPC);
    cr_expect_str_eq(b, "de rapportbestanden konden niet worden geschreven: ENOSPC (de schijf "
                        "is vol)");
    rp_disk_why(b, sizeof b, TEXT_EN, "cannot write the report files", -ENOSPC);
    cr_expect_str_eq(b, "cannot write the report files: ENOSPC (No space left on device)");
    cr_expect_eq(rp_disk_code(-ENOSPC), MVOI__ERROR_CODE__ERR_UNAVAILABLE);
}
