/*  mvoi_auth: the key registry file and the role/buyer rule (common/mvoi_auth.h). The
 *  expected decisions are the table of docs/design.md#access, written out here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mvoi_auth.h"
#include "unit_tmp.h"

/* Two valid Z85 public keys (zmq_curve_keypair) and a 40-character string that is not Z85. */
#define K1 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define K2 "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static char s_dir[256], s_path[320];

static mvoi_auth_t *s_load_mode(const char *text, mode_t mode, char *err, size_t cap);

static mvoi_auth_t *s_load(const char *text, char *err, size_t cap)
{
    return s_load_mode(text, 0644, err, cap);
}

static mvoi_auth_t *s_load_mode(const char *text, mode_t mode, char *err, size_t cap)
{
    ut_tmpdir(s_dir, sizeof s_dir, "auth");
    snprintf(s_path, sizeof s_path, "%s/keys.ini", s_dir);
    FILE *f = fopen(s_path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    chmod(s_path, mode);
    mvoi_auth_t *a = mvoi_auth_load(s_path, err, cap);
    ut_tmpdir_remove(s_dir);
    return a;
}

Test(auth, registry_roles_and_buyers)
{
    char err[300];
    mvoi_auth_t *a = s_load("[gateway]\npublic = " K1 "\nrole = dashboard\nbuyers = *\n\n"
                            "[hrl-reader]\npublic = " K2 "\nrole = reader\n"
                            "buyers = heerlen, venlo\n", err, sizeof err);
    cr_assert(a, "%s", err);
    cr_assert_eq(mvoi_auth_count(a), 2);
    const mvoi_key_t *g = mvoi_auth_find_pub(a, K1), *r = mvoi_auth_find_name(a, "hrl-reader");
    cr_assert(g && r);
    cr_assert_str_eq(g->name, "gateway");
    cr_assert(g->all_buyers);
    cr_assert_eq(r->role, MVOI_ROLE_READER);
    cr_assert_eq(r->nbuyers, 2);
    cr_assert_str_eq(r->buyers[1], "venlo");
    cr_assert_null(mvoi_auth_find_pub(a, "x"));
    mvoi_auth_destroy(&a);
}

Test(auth, bad_registries_are_refused_by_name)
{
    static const struct { const char *text, *needle; } cases[] = {
        { "[a]\npublic = short\nrole = reader\nbuyers = *\n", "Z85" },
        { "[a]\npublic = " K1 "\nrole = boss\nbuyers = *\n", "role must be" },
        { "[a]\npublic = " K1 "\nrole = reader\nbuyers = Heerlen!\n", "not a buyer id" },
        { "[a]\npublic = " K1 "\nrole = reader\n", "has no buyers" },
        { "[a]\nrole = reader\nbuyers = *\n", "has no public" },
        { "[a]\npublic = " K1 "\nrole = reader\nbuyers = *\n[b]\npublic = " K1
          "\nrole = reader\nbuyers = *\n", "listed twice" },
        { "[A B]\npublic = " K1 "\nrole = reader\nbuyers = *\n", "is not [a-z0-9_.-]" },
        { "[a]\npublic = " K1 "\nrole = reader\nbuyers = *\ncolour = red\n", "unknown field" },
        { "", "no keys" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[300] = "";
        mvoi_auth_t *a = s_load(cases[i].text, err, sizeof err);
        cr_assert_null(a, "case %zu accepted", i);
        cr_assert(strstr(err, cases[i].needle), "case %zu: %s", i, err);
    }
}

Test(auth, a_registry_others_may_change_is_refused)
{
    char err[300] = "";
    const char *ok = "[a]\npublic = " K1 "\nrole = reader\nbuyers = *\n";
    cr_assert_null(s_load_mode(ok, 0666, err, sizeof err));
    cr_assert(strstr(err, "keys_file_permissions"), "%s", err);
    cr_assert_null(s_load_mode(ok, 0664, err, sizeof err));
    mvoi_auth_t *a = s_load_mode(ok, 0640, err, sizeof err);
    cr_assert(a, "%s", err);
    mvoi_auth_destroy(&a);
}

Test(auth, the_rule_table)
{
    mvoi_key_t k = { .name = "k" };
    char why[256];
    /* role, all buyers?, act, buyer, allowed */
    static const struct { mvoi_role_t role; bool all; mvoi_act_t act; const char *buyer;
                          bool ok; } t[] = {
        { MVOI_ROLE_READER, false, MVOI_ACT_HEALTH, NULL, true },
        { MVOI_ROLE_READER, false, MVOI_ACT_QUERY, "heerlen", true },
        { MVOI_ROLE_READER, false, MVOI_ACT_QUERY, "venlo", false },
        { MVOI_ROLE_READER, false, MVOI_ACT_QUERY, NULL, false },
        { MVOI_ROLE_READER, false, MVOI_ACT_COMMAND, "heerlen", false },
        { MVOI_ROLE_DASHBOARD, true, MVOI_ACT_COMMAND, "heerlen", false },
        { MVOI_ROLE_DASHBOARD, true, MVOI_ACT_STREAM, NULL, true },
        { MVOI_ROLE_SUBMITTER, false, MVOI_ACT_COMMAND, "heerlen", true },
        { MVOI_ROLE_SUBMITTER, false, MVOI_ACT_COMMAND, "venlo", false },
        { MVOI_ROLE_SUBMITTER, false, MVOI_ACT_STREAM, NULL, false },
        { MVOI_ROLE_ADMIN, true, MVOI_ACT_COMMAND, "venlo", true },
        { MVOI_ROLE_ADMIN, true, MVOI_ACT_COMMAND, NULL, true },
        { MVOI_ROLE_SERVICE, true, MVOI_ACT_STREAM, NULL, true },
    };
    snprintf(k.buyers[0], sizeof k.buyers[0], "heerlen");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        k.role = t[i].role;
        k.all_buyers = t[i].all;
        k.nbuyers = t[i].all ? 0 : 1;
        int rc = mvoi_auth_allow(&k, t[i].act, t[i].buyer, TEXT_EN, why, sizeof why);
        cr_assert_eq(rc == 0, t[i].ok, "row %zu: %s", i, rc ? why : "allowed");
    }
    cr_assert_neq(mvoi_auth_allow(NULL, MVOI_ACT_HEALTH, NULL, TEXT_EN, why, sizeof why), 0,
                  "no key, no answer");
}

/* A refusal is said in the request's language (the reply) or in English (the log); the
 * key's name, its role and the buyer stay as they are in both. */
Test(auth, refusals_in_dutch_and_english)
{
    mvoi_key_t k = { .name = "hrls", .role = MVOI_ROLE_SUBMITTER, .nbuyers = 1 };
    snprintf(k.buyers[0], sizeof k.buyers[0], "heerlen");
    char nl[256], en[256];
    cr_assert_neq(mvoi_auth_allow(&k, MVOI_ACT_COMMAND, "venlo", TEXT_NL, nl, sizeof nl), 0);
    cr_assert_neq(mvoi_auth_allow(&k, MVOI_ACT_COMMAND, "venlo", TEXT_EN, en, sizeof en), 0);
    cr_expect_str_eq(nl, "sleutel hrls mag niet handelen voor organisatie venlo");
    cr_expect_str_eq(en, "key hrls may not act for buyer venlo");
    k.role = MVOI_ROLE_READER;
    cr_assert_neq(mvoi_auth_allow(&k, MVOI_ACT_COMMAND, "heerlen", TEXT_NL, nl, sizeof nl), 0);
    cr_expect_str_eq(nl, "sleutel hrls heeft de rol reader, die niets mag wijzigen");
    cr_assert_neq(mvoi_auth_allow(&k, MVOI_ACT_STREAM, NULL, TEXT_NL, nl, sizeof nl), 0);
    cr_expect(strstr(nl, "sleutel hrls (reader) geldt maar voor een deel van de organisaties"),
              "%s", nl);
    cr_assert_neq(mvoi_auth_allow(&k, MVOI_ACT_QUERY, NULL, TEXT_NL, nl, sizeof nl), 0);
    cr_expect_str_eq(nl, "sleutel hrls geldt maar voor een deel van de organisaties en het "
                         "verzoek noemt er geen");
    cr_assert_neq(mvoi_auth_allow(NULL, MVOI_ACT_QUERY, NULL, TEXT_NL, nl, sizeof nl), 0);
    cr_expect_str_eq(nl, "de verbinding heeft geen toegelaten sleutel");
}
