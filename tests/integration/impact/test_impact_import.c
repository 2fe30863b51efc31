/*  mvoictl measure import against a real impact-calculator (fed by the fake calendar): a
 *  supplier's spreadsheet under the rules of the tender import (bad bytes, control
 *  characters and unknown columns refused at row and column, nothing stored then), a dry run
 *  that is the service's verdict without a write, idempotent by measurement id. */
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

TestSuite(impact_import, .init = s_setup, .fini = s_teardown, .timeout = 60);

static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, s_ctl_bin, s_envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static const char *s_file(const char *name, const char *bytes, size_t len)
{
    static char path[4][256];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 256, "%s/%s", F.dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fwrite(bytes, 1, len ? len : strlen(bytes), f);
    fclose(f);
    return p;
}

#define HDR "id;tender;period_start;period_end;submitter;kind;carrier;reference;quantity\n"

/* A new measurement and one of an unknown tender: the preview stores nothing and gives the verdict
 * the import then gives; a second import (another run) finds the stored one unchanged. */
Test(impact_import, dry_run_agrees_and_import_is_idempotent_by_id)
{
    const char *p = s_file("m.csv", HDR
                           "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
                           "M-3;T-ONBEKEND;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n"
                           ";;;;;;;;\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", "--dry-run", p, NULL }), 65);
    static char dry[1 << 16];
    memcpy(dry, s_out, sizeof dry);
    cr_expect(strstr(dry, "{\"dry_run\": true, \"rows\": 2, \"created\": 1, \"unchanged\": 0, "
                          "\"failed\": 1, \"results\": [{\"row\": 2, \"id\": \"M-1\", \"outcome\": "
                          "\"created\"}, {\"row\": 3, \"id\": \"M-3\", \"outcome\": "
                          "\"refused\", \"field\": \"measurement.tender_id\", "
                          "\"message\": \"inkooptraject "
                          "'T-ONBEKEND' staat niet in de inkoopkalender\"}]}"),
              "%s", dry);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-1", NULL }), 65, "nothing stored: %s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 65);
    cr_assert(strstr(s_out, "\"dry_run\": false"), "%s", s_out);
    cr_expect_str_eq(strstr(s_out, "\"rows\""), strstr(dry, "\"rows\""));
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-1", NULL }), 0, "%s", s_out);
    /* another run (new request ids): the id finds the stored measurement unchanged */
    p = s_file("m2.csv", HDR "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--run", "2", p, NULL }), 0);
    cr_expect_str_eq(s_out, "1 rij(en): 0 opgeslagen, 1 ongewijzigd (al aanwezig), 0 geweigerd\n");
    /* the same in English (a third run: again unchanged, not an earlier run's answer) */
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "measure", "import", "--run", "3", p,
                                         NULL }), 0);
    cr_expect_str_eq(s_out, "1 row(s): 0 stored, 1 unchanged (already there), 0 refused\n");
    /* the same id with another quantity is refused, not overwritten */
    p = s_file("m3.csv", HDR "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;12000\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, "rij 2 M-1: geweigerd: measurement.id: er is al een meting met dit "
                            "id en een andere inhoud; wijzig die met een correctie "
                            "(CorrectMeasurement)\n"
                            "1 rij(en): zou 0 opslaan, 0 ongewijzigd laten (al aanwezig), 1 "
                            "weigeren (proefimport: niets opgeslagen)\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "measure", "import", "--dry-run", p,
                                         NULL }), 65);
    cr_expect_str_eq(s_out, "row 2 M-1: refused: measurement.id: a measurement with this id "
                            "and different content exists; use CorrectMeasurement to change it\n"
                            "1 row(s): would store 0, leave 0 unchanged (already there), refuse 1 "
                            "(dry run: nothing stored)\n");
}

/* The spreadsheet rules of the tender import: named at row and column, nothing stored. */
Test(impact_import, bad_cells_refused_at_row_and_column)
{
    static const char csv[] = "\xEF\xBB\xBF" HDR
        "M-4;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zu\xEF\xBF\xBD" "d;energy;hvo100;diesel_b7;10000\n"
        "M-5;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Z\xFCid;energy;hvo100;diesel_b7;10000\n"
        "M-6;T-KLIMA;2025-01-01;2025-03-31;Bouw\0bedrijf;energy;hvo100;diesel_b7;10000\n"
        "M-4;T-KLIMA;2025-01-01;2025-03-31;Zuid;energy;hvo100;diesel_b7;1O000\n";
    const char *p = s_file("bad.csv", csv, sizeof csv - 1);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out,
        "3;submitter;;\"byte 0xFC bij teken 14 is geen UTF-8 (het bestand is UTF-8: het heeft "
        "een BOM of andere UTF-8-tekens); sla het blad opnieuw op als UTF-8\"\n"   /* ';': quoted */
        "4;submitter;;stuurteken 0x00 bij teken 5 (NUL of een stuurcode: geen tekst)\n"
        "5;quantity;1O000;quantity: '1O000': geen getal (cijfers, '.' of ',')\n"
        "5;id;M-4;dit id staat al eerder in het bestand\n");
    p = s_file("cols.csv", "id,tender,kleur,kind\nM-7,T-KLIMA,geel,energy\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 65);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-4", NULL }), 65);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-7", NULL }), 65);
}

/* The stored figure of one field of a measurement, from `measure show --json` ("" if absent). */
static const char *s_shown(const char *id, const char *json_key)
{
    static char val[64];
    cr_assert_eq(s_ctl((const char *[]){ "--json", "measure", "show", id, NULL }), 0, "%s", s_out);
    const char *at = strstr(s_out, json_key);
    val[0] = '\0';
    if (at) {
        at += strlen(json_key);
        at += strspn(at, "\": ");
        snprintf(val, sizeof val, "%.*s", (int)strcspn(at, "\",} \n"), at);
    }
    return val;
}

/* Dutch thousands separators are thousands: "10.000" litres is 10 000 l = 10 000 000 ml,
 * "12.500" euros 1 250 000 cents, "1.500" kg 1 500 000 g; "x" is yes (the tender import's
 * words). Nothing of it is 1000 times too small. */
Test(impact_import, thousands_separators_and_yes_words_are_read_as_written)
{
    const char *p = s_file("nl.csv",
        "id;tender;period;submitter;kind;carrier;reference;quantity;target_group;fte_months;"
        "invoices;bonus50;mass;strategy\n"
        "N-1;T-KLIMA;2025-01-01..2025-03-31;Jan;energy;hvo100;diesel_b7;10.000;;;;;;\n"
        "N-2;T-SROI;2025-01-01..2025-03-31;Jan;social;;;;participatiewet;1;12.500;x;;\n"
        "N-3;T-KLIMA;2025-01-01..2025-03-31;Jan;material;;;;;;;;1.500;r3\n", 0);
    cr_assert_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 0, "%s", s_out);
    cr_expect_str_eq(s_out, "3 rij(en): 3 opgeslagen, 0 ongewijzigd (al aanwezig), 0 geweigerd\n");
    cr_expect_str_eq(s_shown("N-1", "quantity_milli"), "10000000");
    cr_expect_str_eq(s_shown("N-2", "social_enterprise_cents"), "1250000");
    cr_expect_str_eq(s_shown("N-2", "bonus_50plus"), "true");
    cr_expect_str_eq(s_shown("N-3", "mass_g"), "1500000");
}

/* An ambiguous number, an unknown yes/no word, a cell of another kind and a bad id: each
 * named at its own row and column; nothing of the file stored. */
Test(impact_import, ambiguous_unknown_and_foreign_cells_refused_by_name)
{
    char id129[130];
    memset(id129, 'a', 129);
    id129[129] = '\0';
    char csv[1024];
    snprintf(csv, sizeof csv,
             "id;tender;period;submitter;kind;carrier;quantity;mass;strategy;hours;renewable\n"
             "B-1;T-KLIMA;2025-01-01..2025-03-31;Jan;energy;hvo100;1,500;;;;\n"
             "B-2;T-KLIMA;2025-01-01..2025-03-31;Jan;material;;;10;r3;;foo\n"
             "B-3;T-KLIMA;2025-01-01..2025-03-31;Jan;energy;hvo100;1000;5000;r3;120;\n"
             "%s;T-KLIMA;2025-01-01..2025-03-31;Jan;energy;hvo100;1;;;;\n"
             "B-5;T-KLIMA;2025-01-01..2025-03-31;Jan;energy;hvo100;1;;;;\n", id129);
    const char *p = s_file("b.csv", csv, 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    char want[2048];
    snprintf(want, sizeof want,
        /* a reason with a ';' in it is quoted: the line stays four cells */
        "2;quantity;1,500;\"quantity: '1,500': niet eenduidig: ',' vóór drie cijfers scheidt "
        "duizendtallen of is een decimale komma; schrijf het zonder scheidingsteken (1500) of "
        "met '.' voor duizendtallen (1.500), of 1,5 voor het decimale getal\"\n"
        "3;renewable;foo;renewable: 'foo': geen ja of nee (ja/nee, yes/no, j/n, y/n, true/false, "
        "waar/onwaar, 1/0, x/-)\n"
        "4;hours;120;\"hours: geen veld van soort energy (het hoort bij soort machine): de "
        "waarde zou niet worden opgeslagen; laat de cel leeg of verbeter de soort\"\n"
        "4;mass;5000;\"mass: geen veld van soort energy (het hoort bij soort material): de "
        "waarde zou niet worden opgeslagen; laat de cel leeg of verbeter de soort\"\n"
        "4;strategy;r3;\"strategy: geen veld van soort energy (het hoort bij soort material): "
        "de waarde zou niet worden opgeslagen; laat de cel leeg of verbeter de soort\"\n"
        "5;id;%s;metingkenmerk is langer dan 128 bytes (129)\n", id129);
    cr_expect_str_eq(s_out, want);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 65);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "B-5", NULL }), 65, "%s", s_out);
    /* columns twice, an empty file: refused, not "0 rows" */
    p = s_file("d.csv", "id;tender;tender_id;period;submitter;kind;carrier;quantity\n"
                        "B-6;T-KLIMA;T-NOX;2025-01-01..2025-03-31;Jan;energy;hvo100;1\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, "1;kolom 3;tender_id;kolom 'tender_id' vult hetzelfde veld als "
                            "kolom 2 'tender': houd er één\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "measure", "import", "--dry-run", p,
                                         NULL }), 65);
    cr_expect_str_eq(s_out, "1;column 3;tender_id;column 'tender_id' sets the same field as "
                            "column 2 'tender': keep one of them\n");
    p = s_file("e.csv", "", 0);
    FILE *f = fopen(p, "wb");   /* 0 bytes: s_file writes strlen("") = 0 too, to be sure */
    fclose(f);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, "1;;;leeg bestand: geen kopregel\n");
}

static void s_register(const char *id)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.purchasing_group = "infra";
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "reg-later";
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(F.capi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* Running the same file again is answered from the replies the service stored: said as
 * such, not as fresh results; a refusal of an earlier run is asked again, so a cause fixed
 * since (here: the tender now exists) gets a fresh answer. */
Test(impact_import, a_rerun_says_what_an_earlier_run_did_and_asks_refusals_again)
{
    const char *p = s_file("w.csv", HDR
        "W-1;T-KLIMA;2025-01-01;2025-03-31;Jan;energy;hvo100;diesel_b7;2000\n", 0);
    cr_assert_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 0, "%s", s_out);
    cr_expect_str_eq(s_out, "1 rij(en): 1 opgeslagen, 0 ongewijzigd (al aanwezig), 0 geweigerd\n");
    cr_assert_eq(s_ctl((const char *[]){ "measure", "withdraw", "--id", "W-1", "--reason",
                                         "wrong", NULL }), 0, "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 0, "%s", s_out);
    cr_expect_str_eq(s_out, "1 rij(en): 0 opgeslagen, 0 ongewijzigd (al aanwezig), 1 al "
                            "geïmporteerd door een eerdere run van dit bestand (het bewaarde "
                            "antwoord, niet opnieuw gecontroleerd), 0 geweigerd\n");
    p = s_file("l.csv", HDR
        "L-1;T-LATER;2025-01-01;2025-03-31;Jan;energy;hvo100;diesel_b7;3000\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 65);
    cr_expect(strstr(s_out, "\"row\": 2, \"id\": \"L-1\", \"outcome\": \"refused\", "
                            "\"field\": \"measurement.tender_id\", \"message\": \"inkooptraject "
                            "'T-LATER' staat niet in de inkoopkalender\""), "%s", s_out);
    s_register("T-LATER");
    fx_wait_tenders(&F, 5);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 0, "%s",
                 s_out);
    cr_expect_str_eq(s_out, "{\"dry_run\": false, \"rows\": 1, \"created\": 1, "
                            "\"unchanged\": 0, \"failed\": 0, \"results\": [{\"row\": 2, "
                            "\"id\": \"L-1\", \"outcome\": \"created\"}]}\n");
    cr_expect_str_eq(s_shown("L-1", "quantity_milli"), "3000000");   /* 3000 l x 1000 */
}

/* A refused row's reason in the language of the run: Dutch by default, English with --lang
 * en; field names as they are, dates in words. heerlen and landgraaf submit the same ids:
 * heerlen's M-1 of its T-KLIMA is stored, landgraaf has no T-KLIMA and is refused, each in
 * the language asked. */
Test(impact_import, refusals_in_dutch_by_default_english_with_lang)
{
    const char *p = s_file("lang.csv", HDR
        "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n"
        "M-2;T-KLIMA;2025-03-01;2025-01-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;500\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 65);
    cr_expect(strstr(s_out, "{\"row\": 3, \"id\": \"M-2\", \"outcome\": \"refused\", "
                            "\"field\": \"measurement.period_end\", \"message\": \"31 januari "
                            "2025 ligt vóór period_start 1 maart 2025\"}"), "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "measure", "import", "--dry-run", p,
                                         NULL }), 65);
    cr_expect(strstr(s_out, "row 3 M-2: refused: measurement.period_end: 31 January 2025 is "
                            "before period_start 1 March 2025\n"), "%s", s_out);
    /* the other buyer, the same ids: its own refusal, in its run's language */
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "measure", "import", "--dry-run",
                                         p, NULL }), 65);
    cr_expect(strstr(s_out, "rij 2 M-1: geweigerd: measurement.tender_id: inkooptraject "
                            "'T-KLIMA' staat niet in de inkoopkalender\n"), "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "--lang", "en", "--json",
                                         "measure", "import", p, NULL }), 65);
    cr_expect(strstr(s_out, "{\"row\": 2, \"id\": \"M-1\", \"outcome\": \"refused\", "
                            "\"field\": \"measurement.tender_id\", \"message\": \"tender "
                            "'T-KLIMA' is not known to the calendar\"}"), "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-1", NULL }), 0, "%s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "landgraaf", "measure", "show", "M-1",
                                         NULL }), 65, "%s", s_out);
}
