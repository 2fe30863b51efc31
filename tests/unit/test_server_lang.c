/*  The common server's own refusals in the request's language (Envelope.lang): Dutch when
 *  it names none or "nl", English for "en", a language it cannot answer in refused by name
 *  (in Dutch). The code and the field stay as they are; ids inside the text too. The
 *  expected phrases are written here, not read from the catalogue. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "buyers.h"
#include "server_harness.h"
#include "unit_tmp.h"

static const char *const s_langs[3] = { NULL, "nl", "en" };   /* none: Dutch */

static void s_send(const char *buyer, const char *rid, const char *lang, uint64_t count)
{
    Mvoi__TestCommand tc = MVOI__TEST_COMMAND__INIT;
    tc.has_count = true;
    tc.count = count;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = (char *)rid;
    env.buyer = (char *)buyer;
    env.lang = (char *)lang;
    env.body_case = MVOI__ENVELOPE__BODY_TEST_COMMAND;
    env.test_command = &tc;
    sh_send_env(&env);
}

/* The next reply: a refusal with code and field; its message (the caller frees it). */
static char *s_refusal(Mvoi__ErrorCode code, const char *field, const char **buyer_out)
{
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ERROR, "not a refusal: %d",
                 (int)m.env->body_case);
    cr_expect_eq(m.env->error->code, code, "code %d", (int)m.env->error->code);
    cr_expect_str_eq(m.env->error->field ? m.env->error->field : "", field);
    char *msg = strdup(m.env->error->message ? m.env->error->message : "");
    if (buyer_out)
        *buyer_out = m.env->buyer && !strcmp(m.env->buyer, "venlo") ? "venlo" : "heerlen";
    sh_msg_free(&m);
    return msg;
}

static void s_ack(void)
{
    sh_msg_t m;
    sh_reply(&m);
    cr_assert_eq(m.env->body_case, MVOI__ENVELOPE__BODY_ACK, "body %d", (int)m.env->body_case);
    sh_msg_free(&m);
}

/* lang NULL or "nl" expects nl, "en" expects en, each a phrase of the message; the other
 * language's phrase must not be there. */
static void s_says(const char *msg, const char *lang, const char *nl, const char *en)
{
    bool english = lang && !strcmp(lang, "en");
    const char *want = english ? en : nl, *not = english ? nl : en;
    cr_expect(strstr(msg, want), "lang %s: \"%s\" not in \"%s\"", lang ? lang : "(none)",
              want, msg);
    cr_expect(!strstr(msg, not), "lang %s: \"%s\" in \"%s\"", lang ? lang : "(none)", not,
              msg);
}

Test(server_lang, a_storage_failure_in_each_requesters_language)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    for (int i = 0; i < 3; i++) {
        /* two buyers, the same request id, one batch: each answered in its own language */
        s_send("heerlen", "s-1", s_langs[i], SH_STORAGE_FAILURE);
        s_send("venlo", "s-1", s_langs[(i + 2) % 3], SH_STORAGE_FAILURE);
        for (int r = 0; r < 2; r++) {
            const char *b;
            char *msg = s_refusal(MVOI__ERROR_CODE__ERR_UNAVAILABLE, "", &b);
            const char *lang = !strcmp(b, "heerlen") ? s_langs[i] : s_langs[(i + 2) % 3];
            s_says(msg, lang, "storing in de opslag; er is niets gewijzigd, probeer het "
                   "opnieuw met hetzelfde verzoek-id",
                   "storage failure; nothing was changed, retry with the same request id");
            free(msg);
        }
    }
    cr_assert_eq(sh_data_count(), 0);
    sh_stop();
}

Test(server_lang, an_unknown_buyer_in_the_requests_language_the_known_ones_served)
{
    char dir[64], path[128], err[256];
    ut_tmpdir(dir, sizeof dir, "server-lang");
    snprintf(path, sizeof path, "%s/buyers.ini", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("[heerlen]\nname = Gemeente Heerlen\n\n[venlo]\nname = Gemeente Venlo\n", f);
    fclose(f);
    mvoi_buyers_t *reg = mvoi_buyers_load(path, false, err, sizeof err);
    cr_assert_not_null(reg, "%s", err);
    sh_buyers = reg;
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    for (int i = 0; i < 3; i++) {
        s_send("atlantis", "a-1", s_langs[i], 1);
        char *msg = s_refusal(MVOI__ERROR_CODE__ERR_PERMISSION_DENIED, "buyer", NULL);
        s_says(msg, s_langs[i],
               "organisatie 'atlantis' wordt hier niet bediend: zij staat niet in het "
               "inkopersregister (MVOI_BUYERS_FILE)",
               "buyer 'atlantis' is not served here: it is not in the buyer registry "
               "(MVOI_BUYERS_FILE)");
        free(msg);
    }
    cr_assert_eq(sh_data_count(), 0, "an unknown buyer's command was run");
    s_send("heerlen", "a-1", "en", 1);   /* the same id, served buyers */
    s_ack();
    s_send("venlo", "a-1", "nl", 1);
    s_ack();
    cr_assert_eq(sh_data_count(), 1);   /* the harness's row is "cmd:<request id>" */
    sh_stop();
    sh_buyers = NULL;
    mvoi_buyers_destroy(&reg);
    ut_tmpdir_remove(dir);
}

Test(server_lang, a_language_that_is_not_nl_or_en_is_refused_by_name_in_dutch)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    const char *bad[] = { "fr", "EN", "nl-NL", " en", "e\x01", NULL };
    const char *shown[] = { "'fr'", "'EN'", "'nl-NL'", "' en'", "'e?'" };
    for (int i = 0; bad[i]; i++) {
        s_send("heerlen", "l-1", bad[i], 1);
        char *msg = s_refusal(MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "lang", NULL);
        char want[64];
        snprintf(want, sizeof want, "%s is geen taal: nl of en", shown[i]);
        cr_expect_str_eq(msg, want);
        free(msg);
    }
    cr_assert_eq(sh_data_count(), 0, "a command of a refused language was run");
    s_send("heerlen", "l-1", "en", 1);   /* the same id, a language it speaks */
    s_ack();
    sh_stop();
}

Test(server_lang, a_command_without_a_request_id_and_an_unknown_body)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    for (int i = 0; i < 3; i++) {
        s_send("heerlen", NULL, s_langs[i], 1);
        char *msg = s_refusal(MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "request_id", NULL);
        s_says(msg, s_langs[i], "een opdracht heeft een verzoek-id van 1 tot 128 tekens nodig",
               "a command needs a request id of 1 to 128 characters");
        free(msg);
        Mvoi__KpiQuery q = MVOI__KPI_QUERY__INIT;
        Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
        env.buyer = "venlo";
        env.lang = (char *)s_langs[i];
        env.body_case = MVOI__ENVELOPE__BODY_KPI_QUERY;
        env.kpi_query = &q;
        sh_send_env(&env);
        msg = s_refusal(MVOI__ERROR_CODE__ERR_UNIMPLEMENTED, "body", NULL);
        s_says(msg, s_langs[i], "testprod behandelt geen ", "testprod does not handle ");
        free(msg);
    }
    /* bytes that are no envelope name no language: Dutch */
    cr_assert_eq(zmq_send(SH.dealer, "\xff\xff\xff", 3, 0), 3);
    char *msg = s_refusal(MVOI__ERROR_CODE__ERR_DECODE, "", NULL);
    cr_expect_str_eq(msg, "de ontvangen gegevens zijn geen mvoi-bericht (Envelope)");
    free(msg);
    sh_stop();
}

/* A request id reused for another request: each buyer's own id, refused in its language,
 * the id and the time inside the text as they are. */
Test(server_lang, a_reused_request_id_of_two_buyers_each_in_its_language)
{
    sh_start(3600000, SH_NOSYNC);
    sh_settle();
    s_send("heerlen", "k-2026-01-01", "nl", 2);
    s_ack();
    s_send("venlo", "k-2026-01-01", "en", 2);   /* the same id, another buyer: its own */
    s_ack();
    for (int i = 0; i < 3; i++) {
        s_send(i == 2 ? "heerlen" : "venlo", "k-2026-01-01", s_langs[i], 3);
        char *msg = s_refusal(MVOI__ERROR_CODE__ERR_CONFLICT, "request_id", NULL);
        s_says(msg, s_langs[i], "verzoek-id k-2026-01-01 is op 20",
               "request id k-2026-01-01 was used at 20");
        s_says(msg, s_langs[i], "gebruikt voor een ander verzoek; er is niets gewijzigd",
               "for a different request; nothing was changed");
        free(msg);
    }
    cr_assert_eq(sh_data_count(), 1);   /* the harness's row is "cmd:<request id>" */
    sh_stop();
}
