/*  mvoictl measure import of the files advisers' spreadsheets write, against a real
 *  impact-calculator, for two buyers that use the same ids: Dutch Excel's "CSV (gescheiden
 *  door lijstscheidingsteken)" (a "sep=;" line, Windows-1252, CRLF, d-m-jjjj dates, decimal
 *  comma and thousands dots, a blank row, a trailing empty line) stores exactly the figures
 *  written; an English ',' sheet whose "1.234" could be 1234 or 1,234 is refused by name and
 *  stores nothing. Expected figures by hand: litres and kg x 1000. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../calendar/cal_it.h"
#include "impact_it.h"
#include "calendar.pb-c.h"
#include "codec.h"

static fx_t F;
static char s_env[3][600];
static const char *s_envp[4];
static char s_ctl_bin[512];
static char s_out[1 << 16];

static void s_setup(void)
{
    fx_up(&F, NULL);
    snprintf(s_env[0], sizeof s_env[0], "MVOI_IMPACT_API=%s", F.api);
    snprintf(s_env[1], sizeof s_env[1], "MVOI_BUYER=heerlen");
    snprintf(s_env[2], sizeof s_env[2], "MVOI_LOG_LEVEL=warn");
    for (int i = 0; i < 3; i++)
        s_envp[i] = s_env[i];
    s_envp[3] = NULL;
    h_bin(s_ctl_bin, sizeof s_ctl_bin, "services/mvoictl/mvoictl");
}

static void s_teardown(void) { fx_fini(&F); }

TestSuite(impact_import_layout, .init = s_setup, .fini = s_teardown, .timeout = 60);

static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, s_ctl_bin, s_envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static const char *s_file(const char *name, const char *bytes)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", F.dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(bytes, 1, strlen(bytes), f);
    fclose(f);
    return path;
}

/* One stored field of buyer's measurement id, from `measure show --json` ("" if absent). */
static const char *s_shown(const char *buyer, const char *id, const char *json_key)
{
    static char val[64];
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", buyer, "--json", "measure", "show", id,
                                         NULL }), 0, "%s %s: %s", buyer, id, s_out);
    const char *at = strstr(s_out, json_key);
    val[0] = '\0';
    if (at) {
        at += strlen(json_key);
        at += strspn(at, "\": ");
        snprintf(val, sizeof val, "%.*s", (int)strcspn(at, "\",} \n"), at);
    }
    return val;
}

/* landgraaf's own T-KLIMA (the fake calendar has heerlen's): the same tender id. */
static void s_register_landgraaf(void)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = "T-KLIMA";
    t.purchasing_group = "infra";
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "reg-landgraaf";
    e.buyer = "landgraaf";
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(F.capi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
    fx_wait_tenders(&F, 5);
}

#define NL_HDR "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity;" \
               "mass;strategy\r\n"

Test(impact_import_layout, dutch_excel_figures_exact_english_ambiguity_refused_per_buyer)
{
    s_register_landgraaf();
    /* heerlen: Dutch Excel, Windows-1252 ("Caf\xe9"), sep line, dates as Excel nl saves them */
    const char *p = s_file("nl.csv", "sep=;\r\n" NL_HDR
        "L-1;T-KLIMA;1-1-2025;31-3-2025;Caf\xe9 Zuid;energy;hvo100;diesel_b7;1.234,5;;\r\n"
        ";;;;;;;;;;\r\n"
        "L-2;T-KLIMA;1-1-2025;31/03/2025;Caf\xe9 Zuid;material;;;;1.234;r3\r\n"
        "\r\n");
    cr_assert_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 0, "%s", s_out);
    cr_expect_str_eq(s_out, "2 rij(en): 2 opgeslagen, 0 ongewijzigd (al aanwezig), 0 geweigerd\n");
    cr_expect_str_eq(s_shown("heerlen", "L-1", "quantity_milli"), "1234500");   /* 1234,5 l */
    cr_expect_str_eq(s_shown("heerlen", "L-1", "period_start"), "2025-01-01");
    cr_expect_str_eq(s_shown("heerlen", "L-1", "submitter"), "Caf\xc3\xa9");   /* "Café Zuid" */
    cr_expect_str_eq(s_shown("heerlen", "L-2", "mass_g"), "1234000");           /* 1234 kg */
    cr_expect_str_eq(s_shown("heerlen", "L-2", "period_end"), "2025-03-31");
    /* the same file again: nothing twice */
    cr_assert_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 0, "%s",
                 s_out);
    cr_expect(strstr(s_out, "\"created\": 0"), "%s", s_out);

    /* landgraaf, the same ids: an English export, whose "2.5" is two and a half, so its
     * "1.234" kg may be 1,234 kg as well as 1234 kg: refused, nothing of the file stored */
    p = s_file("en.csv", "id,tender,period,submitter,kind,carrier,reference,quantity,mass,"
                         "strategy\n"
                         "L-1,T-KLIMA,2025-01-01..2025-03-31,Zuid,energy,hvo100,diesel_b7,2.5,,\n"
                         "L-2,T-KLIMA,2025-01-01..2025-03-31,Zuid,material,,,,1.234,r3\n");
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "measure", "import", p,
                                         NULL }), 65, "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "--lang", "en", "measure",
                                         "import", "--dry-run", p, NULL }), 65, "%s", s_out);
    cr_expect(strstr(s_out, "3;mass;1.234;\"mass: '1.234': ambiguous in a ','- or TAB-separated "
                            "sheet: '.' before three digits is a thousands separator (Dutch) "
                            "or a decimal point (English)"), "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "measure", "show", "L-1",
                                         NULL }), 65, "%s", s_out);
    /* written unambiguously: stored as written, heerlen's figures untouched */
    p = s_file("en2.csv", "id,tender,period,submitter,kind,carrier,reference,quantity,mass,"
                          "strategy\n"
                          "L-1,T-KLIMA,2025-01-01..2025-03-31,Zuid,energy,hvo100,diesel_b7,2.5,,\n"
                          "L-2,T-KLIMA,2025-01-01..2025-03-31,Zuid,material,,,,\"1,234.5\",r3\n");
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "measure", "import", p, NULL }),
                 0, "%s", s_out);
    cr_expect_str_eq(s_shown("landgraaf", "L-1", "quantity_milli"), "2500");     /* 2,5 l */
    cr_expect_str_eq(s_shown("landgraaf", "L-2", "mass_g"), "1234500");          /* 1234,5 kg */
    cr_expect_str_eq(s_shown("heerlen", "L-1", "quantity_milli"), "1234500");
    cr_expect_str_eq(s_shown("heerlen", "L-2", "mass_g"), "1234000");
}
