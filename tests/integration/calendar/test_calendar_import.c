/*  mvoictl tender import against a real mvoi-calendar: every trap of a Dutch adviser's
 *  spreadsheet and of a TenderNed OCDS feed ends in what is stored (`tender show --json`) or
 *  in the exact refusal; a dry run is the calendar's preview and agrees with the import.
 *  Each test starts its own service on ipc:// endpoints in a fresh temp directory.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal_it.h"
#include "harness.h"

#define FIX MVOI_SOURCE_DIR "/tests/fixtures/ocds"

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "heerlen"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_import, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* ------------------------------------------------------------------ helpers */

static char s_out[1 << 16];

/* mvoictl ARGS... (NULL-terminated); stdout in s_out. Returns the exit code. */
static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static const char *s_err(void) { return cal_it_err(&F); }

/* A file in the test directory with these bytes (len: strlen when 0). */
static const char *s_file(const char *name, const char *bytes, size_t len)
{
    return cal_it_file(&F, name, bytes, len);
}

/* `tender show ID --json` into s_out; returns the exit code. */
static int s_show(const char *id)
{
    return s_ctl((const char *[]){ "--json", "tender", "show", id, NULL });
}

#define EXPECT_OUT(needle) cr_expect(strstr(s_out, needle), "missing %s in:\n%s", needle, s_out)
#define EXPECT_NOT_OUT(needle) cr_expect(!strstr(s_out, needle), "unexpected %s in:\n%s", needle, s_out)
#define EXPECT_ERR(needle) cr_expect(strstr(s_err(), needle), "missing %s in:\n%s", needle, s_err())

/* ------------------------------------------------------------------ CSV */

/* "Geraamde waarde (excl. btw)" and "Geplande publicatiedatum" are the value and the date:
 * the procedure follows (1,250,000 services in 2026 >= the EU threshold 216,000) with its
 * kick-off; Titel and Omschrijving are both kept; the unknown columns are named. */
Test(calendar_import, csv_dutch_headers_title_description_unknown_columns)
{
    const char *p = s_file("kop.csv",
                           "Kenmerk;Titel;Omschrijving;Soort opdracht;Geraamde waarde (excl. btw);"
                           "Geplande publicatiedatum;Opmerkingen;Kleur\n"
                           "HRL-2026-401;Coördinatie WMO-vervoer;Regie op het vervoer van inwoners;"
                           "diensten;€ 1.250.000,00;02-03-2026;spoed;geel\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", p, NULL }), 0, "%s", s_err());
    EXPECT_OUT("\"created\": 1");
    EXPECT_OUT("\"ignored_columns\": [{\"column\": 7, \"header\": \"Opmerkingen\"}, "
               "{\"column\": 8, \"header\": \"Kleur\"}]");
    EXPECT_OUT("\"no_value_column\": false, \"no_date_column\": false");
    cr_assert_eq(s_show("HRL-2026-401"), 0);
    EXPECT_OUT("\"title\": \"Coördinatie WMO-vervoer\"");
    EXPECT_OUT("\"description\": \"Regie op het vervoer van inwoners\"");
    EXPECT_OUT("\"value_cents\": 125000000");
    EXPECT_OUT("\"planned_publication\": \"2026-03-02\"");
    EXPECT_OUT("\"procedure\": \"europees_openbaar\"");
    EXPECT_OUT("\"kickoff_required\": true");
    /* the summary for people names them too: in Dutch by default, English with --lang en */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    EXPECT_OUT("kolom 7 'Opmerkingen' genegeerd: geen veld van de kalender\n"
               "kolom 8 'Kleur' genegeerd: geen veld van de kalender\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", p, NULL }), 0);
    EXPECT_OUT("ignored column 7 'Opmerkingen': not a field of the calendar\n"
               "ignored column 8 'Kleur': not a field of the calendar\n");
    /* a sheet whose only name column is Omschrijving: that is the title; no value or date
     * column is said, not passed over */
    p = s_file("oms.csv", "Zaaknummer;Omschrijving;Soort\nHRL-2026-402;Inhuur jurist;diensten\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    EXPECT_OUT("let op: geen kolom met de waarde (bv. 'Geraamde waarde (excl. btw)'): een nieuw "
               "inkooptraject krijgt geen procedure en geen startsessie; een bestaand houdt zijn "
               "opgeslagen waarde\n");
    EXPECT_OUT("let op: geen kolom met de geplande publicatiedatum");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", p, NULL }), 0);
    EXPECT_OUT("note: no value column (e.g. 'Geraamde waarde (excl. btw)'): a new tender gets no "
               "procedure and no kick-off; an existing one keeps its stored value\n");
    EXPECT_OUT("note: no planned publication column");
    cr_assert_eq(s_show("HRL-2026-402"), 0);
    EXPECT_OUT("\"title\": \"Inhuur jurist\"");
    EXPECT_NOT_OUT("\"description\"");
}

/* A UTF-8 file (BOM) with one Windows-1252 byte: that cell is refused at its row and
 * column, the file is not re-read as Windows-1252; a file that is not UTF-8 at all is. */
Test(calendar_import, csv_mixed_encoding_refused_cp1252_file_converted)
{
    const char *p = s_file("mixed.csv", "\xEF\xBB\xBFKenmerk;Titel;Soort\n"
                                        "HRL-1;Co\xC3\xB6rdinatie;diensten\n"
                                        "HRL-2;Co\xF6rdinatie;diensten\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, "3;Titel;;\"byte 0xF6 bij teken 3 is geen UTF-8 (het bestand is UTF-8: "
                            "het heeft een BOM of andere UTF-8-tekens); sla het blad opnieuw op "
                            "als UTF-8\"\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    EXPECT_ERR("; niets geïmporteerd\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", p, NULL }), 65);
    EXPECT_ERR("(row;column;value;reason above); nothing imported\n");
    cr_expect_eq(s_show("HRL-1"), 65, "nothing of the file is stored");
    /* without a BOM, one valid UTF-8 character is enough to call the file UTF-8 */
    p = s_file("mixed2.csv", "Kenmerk;Titel;Soort\nHRL-1;Coöp;diensten\nHRL-2;Co\xF6rdinatie;diensten\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    p = s_file("ansi.csv", "Kenmerk;Titel;Soort\nHRL-3;Co\xF6rdinatie \x80 5;diensten\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s", s_err());
    cr_assert_eq(s_show("HRL-3"), 0);
    EXPECT_OUT("\"title\": \"Coördinatie € 5\"");
}

Test(calendar_import, csv_nul_and_control_characters_refused)
{
    static const char csv[] = "Kenmerk;Titel;Soort\nHRL-1;Coor\0dinatie;diensten\n"
                              "HRL-2;Tab\abel;diensten\nHRL-3;Goed;diensten\n";
    const char *p = s_file("nul.csv", csv, sizeof csv - 1);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, "2;Titel;;stuurteken 0x00 bij teken 5 (NUL of een stuurcode: geen tekst)\n"
                            "3;Titel;;stuurteken 0x07 bij teken 4 (NUL of een stuurcode: geen tekst)\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", "--dry-run", p,
                                         NULL }), 65);
    cr_expect_str_eq(s_out, "2;Titel;;control character 0x00 at character 5 (NUL or a control code: not text)\n"
                            "3;Titel;;control character 0x07 at character 4 (NUL or a control code: not text)\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    cr_expect_eq(s_show("HRL-1"), 65);
    cr_expect_eq(s_show("HRL-3"), 65, "a file with a bad cell imports nothing");
}

/* 7/1/2025 in a comma sheet: 7 January or July 1? Refused unless the order is declared;
 * 13/1/2025 reads only one way. A ';' sheet is Dutch: day first. */
Test(calendar_import, csv_ambiguous_us_dates_refused_unless_declared)
{
    const char *p = s_file("us.csv", "id,title,kind,value,planned_publication\n"
                                     "US-1,Street lights,supplies,100000,7/1/2025\n"
                                     "US-2,Benches,supplies,100000,13/1/2025\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    EXPECT_ERR("2;planned_publication;7/1/2025;\"datum niet eenduidig: dag-maand of maand-dag? (een "
               "blad met ',' als scheidingsteken is niet Nederlands; geef de volgorde op: "
               "--date-order dmy of mdy)\"\n");
    cr_expect_eq(s_show("US-2"), 65);
    p = s_file("us2.csv", "id,title,kind,value,planned_publication\n"
                          "US-1,Street lights,supplies,100000,7/1/2025\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--date-order", "mdy", p, NULL }), 0);
    cr_assert_eq(s_show("US-1"), 0);
    EXPECT_OUT("\"planned_publication\": \"2025-07-01\"");
    p = s_file("nl.csv", "kenmerk;titel;soort;publicatie\nNL-1;Banken;leveringen;7/1/2025\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    cr_assert_eq(s_show("NL-1"), 0);
    EXPECT_OUT("\"planned_publication\": \"2025-01-07\"");
}

/* The status column moves the tender where the lifecycle allows, and never back. */
Test(calendar_import, csv_status_column_moves_and_refuses_by_name)
{
    const char *p = s_file("s1.csv", "Kenmerk;Titel;Soort;Status\nHRL-7;Raamwerk ICT;diensten;gepland\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    p = s_file("s2.csv", "Kenmerk;Titel;Soort;Status\nHRL-7;Raamwerk ICT;diensten;gepubliceerd\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    EXPECT_ERR("waarschuwing: HRL-7: gepland -> gepubliceerd volgens de bron; let op: de stap naar "
               "gepubliceerd vraagt een vastgelegde ambitie: elk thema dat erbij hoort met een toezegging\n");
    cr_assert_eq(s_show("HRL-7"), 0);
    EXPECT_OUT("\"status\": \"published\"");
    /* (another file: the same bytes again would be answered from the stored replies) */
    p = s_file("s3.csv", "Kenmerk;Titel;Soort;Status\nHRL-7;Raamwerk ICT 2026;diensten;gepland\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    EXPECT_ERR("mislukt: rij 2 HRL-7: tender.status: de bron zegt gepland, maar het inkooptraject "
               "is al gepubliceerd: een inkooptraject gaat niet terug\n");
    EXPECT_OUT("1 rij(en): 0 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt\n");
    /* the same refusal in English (a refusal is asked anew, not replayed) */
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", p, NULL }), 65);
    EXPECT_ERR("failed: row 2 HRL-7: tender.status: the source says planned, but the tender is "
               "already published: a tender does not go back\n");
    EXPECT_OUT("1 row(s): 0 created, 0 updated, 0 unchanged, 1 failed\n");
    p = s_file("s4.csv", "Kenmerk;Titel;Soort;Status\nHRL-7;Raamwerk ICT;diensten;geannuleerd\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0);
    cr_assert_eq(s_show("HRL-7"), 0);
    EXPECT_OUT("\"status\": \"cancelled\"");
    EXPECT_OUT("\"cancel_reason\": \"geannuleerd door de bron (csv)\"");
}

/* ------------------------------------------------------------------ OCDS */

/* A TenderNed-style package: the USD process refused by name, the others stored with the
 * lifecycle, dates and stated procedures they carry. */
Test(calendar_import, ocds_currency_lifecycle_and_procurement_method)
{
    const char *pkg = FIX "/nl-release-package-heerlen.json";
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", pkg, NULL }), 65);
    EXPECT_OUT("5 rij(en): 4 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt\n");
    EXPECT_ERR("mislukt: ocds-hrl042-2025-303: tender.value.currency: valuta 'USD': alleen "
               "bedragen in EUR worden overgenomen (er wordt niets omgerekend)\n");
    EXPECT_ERR("waarschuwing: ocds-hrl042-2025-307: procedure enkelvoudig_onderhands zoals de bron "
               "die opgeeft (direct, Enkelvoudig onderhandse procedure); de drempelwaarden geven "
               "europees_openbaar\n");
    cr_expect_eq(s_show("ocds-hrl042-2025-303"), 65, "nothing stored in dollars");
    cr_assert_eq(s_show("ocds-hrl042-2025-301"), 0);
    EXPECT_OUT("\"status\": \"in_execution\"");
    EXPECT_OUT("\"award_date\": \"2025-07-08\"");
    EXPECT_OUT("\"contract_signed\": \"2025-07-30\"");
    EXPECT_OUT("\"contract_start\": \"2025-09-01\"");
    EXPECT_OUT("\"procedure\": \"europees_openbaar\"");
    EXPECT_OUT("\"value_cents\": 85000000");
    cr_assert_eq(s_show("ocds-hrl042-2025-304"), 0);
    EXPECT_OUT("\"procedure\": \"meervoudig_onderhands\"");
    /* open, no value: the stated public procedure gives the kick-off */
    cr_assert_eq(s_show("ocds-hrl042-2025-305"), 0);
    EXPECT_OUT("\"procedure\": \"nationaal_openbaar\"");
    EXPECT_OUT("\"kickoff_required\": true");
    EXPECT_NOT_OUT("\"value_cents\"");
    cr_assert_eq(s_show("ocds-hrl042-2025-307"), 0);
    EXPECT_OUT("\"procedure\": \"enkelvoudig_onderhands\"");
    EXPECT_OUT("\"kickoff_required\": false");
}

/* An incremental feed: the cancellation alone (only status and statusDetails). Before its
 * tender exists: refused by name. After its tender release: the tender is cancelled. */
Test(calendar_import, ocds_cancellation_alone_and_after_its_release)
{
    const char *cancel = FIX "/nl-302-2-cancellation.json";
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", cancel, NULL }), 65);
    EXPECT_ERR("mislukt: ocds-hrl042-2025-302: tender.title: verplicht\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", FIX "/nl-302-1-tender.json", NULL }), 0);
    cr_assert_eq(s_show("ocds-hrl042-2025-302"), 0);
    EXPECT_OUT("\"status\": \"published\"");
    /* the same file again: its earlier refusal is not replayed, it is asked anew */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", cancel, NULL }), 0, "%s", s_err());
    EXPECT_OUT("1 rij(en): 0 aangemaakt, 1 gewijzigd, 0 ongewijzigd, 0 mislukt\n");
    cr_assert_eq(s_show("ocds-hrl042-2025-302"), 0);
    EXPECT_OUT("\"status\": \"cancelled\"");
    /* the publisher's words as given, the release's day said in the reader's language (it
     * was stored as the English " (OCDS 2025-05-20T16:00:00+02:00)" in every language) */
    EXPECT_OUT("\"cancel_reason\": \"Ingetrokken: geen geldige inschrijvingen (OCDS-publicatie "
               "van 20 mei 2025)\"");
    EXPECT_OUT("\"release_id\": \"ocds-hrl042-2025-302-tenderCancellation-1\"");
    EXPECT_OUT("\"title\": \"Leerlingenvervoer 2025-2027\"");
    EXPECT_OUT("\"value_cents\": 125000000");
    cr_assert_eq(s_ctl((const char *[]){ "--lang", "en", "--json", "tender", "show",
                                         "ocds-hrl042-2025-302", NULL }), 0);
    EXPECT_OUT("\"cancel_reason\": \"Ingetrokken: geen geldige inschrijvingen (OCDS 20 May "
               "2025)\"");
}

/* Award and contract releases, each alone, move a published tender on and store their
 * dates; the skipped ambition is a warning, not a silence. */
Test(calendar_import, ocds_award_then_contract_releases)
{
    const char *t = s_file("t.json",
        "{\"releases\": [{\"ocid\": \"ocds-hrl042-2025-306\", \"id\": \"306-tender\", "
        "\"date\": \"2025-03-01T09:00:00+01:00\", \"tag\": [\"tender\"], "
        "\"buyer\": {\"name\": \"Gemeente Heerlen\"}, \"tender\": {\"title\": \"Afvalinzameling\", "
        "\"status\": \"active\", \"mainProcurementCategory\": \"services\", "
        "\"value\": {\"amount\": 2000000, \"currency\": \"EUR\"}, "
        "\"tenderPeriod\": {\"startDate\": \"2025-03-01T09:00:00+01:00\"}}}]}", 0);
    const char *a = s_file("a.json",
        "{\"releases\": [{\"ocid\": \"ocds-hrl042-2025-306\", \"id\": \"306-award\", "
        "\"date\": \"2025-06-01T09:00:00+02:00\", \"tag\": [\"award\"], \"awards\": [{\"id\": \"G1\", "
        "\"status\": \"active\", \"date\": \"2025-05-28T00:00:00+02:00\"}]}]}", 0);
    const char *c = s_file("c.json",
        "{\"releases\": [{\"ocid\": \"ocds-hrl042-2025-306\", \"id\": \"306-contract\", "
        "\"date\": \"2025-07-01T09:00:00+02:00\", \"tag\": [\"contract\"], \"contracts\": [{\"id\": \"C1\", "
        "\"status\": \"active\", \"dateSigned\": \"2025-06-20T00:00:00+02:00\", "
        "\"period\": {\"startDate\": \"2025-08-01\", \"endDate\": \"2030-07-31\"}}]}]}", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", t, NULL }), 0);
    /* an older release of it, imported after (a feed downloaded earlier): 09:30+02:00 is
     * 07:30 UTC, before the tender release's 09:00+01:00 (08:00 UTC), though its text sorts
     * after. It would take back the title and the value; it was taken, "gewijzigd". */
    const char *t0 = s_file("t0.json",
        "{\"releases\": [{\"ocid\": \"ocds-hrl042-2025-306\", \"id\": \"306-concept\", "
        "\"date\": \"2025-03-01T09:30:00+02:00\", \"tag\": [\"planningUpdate\"], "
        "\"tender\": {\"title\": \"Afvalinzameling (concept)\", "
        "\"value\": {\"amount\": 1500000, \"currency\": \"EUR\"}}}]}", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", t0, NULL }), 65);
    EXPECT_ERR("mislukt: ocds-hrl042-2025-306: tender.source_release_date: de release van de "
               "bron van 2025-03-01T09:30:00+02:00 is ouder dan die waaruit het inkooptraject "
               "is overgenomen (2025-03-01T09:00:00+01:00): ze zou ongedaan maken wat die zegt\n");
    cr_assert_eq(s_show("ocds-hrl042-2025-306"), 0);
    EXPECT_OUT("\"title\": \"Afvalinzameling\"");
    EXPECT_OUT("\"value_cents\": 200000000");
    EXPECT_OUT("\"source_release_date\": \"2025-03-01T09:00:00+01:00\"");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", a, NULL }), 0, "%s", s_err());
    EXPECT_ERR("waarschuwing: ocds-hrl042-2025-306: gepubliceerd -> gegund volgens de bron; let op: "
               "de stap naar gegund vraagt een vastgelegde ambitie");
    cr_assert_eq(s_show("ocds-hrl042-2025-306"), 0);
    EXPECT_OUT("\"status\": \"awarded\"");
    EXPECT_OUT("\"award_date\": \"2025-05-28\"");
    EXPECT_OUT("\"title\": \"Afvalinzameling\"");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", c, NULL }), 0, "%s", s_err());
    cr_assert_eq(s_show("ocds-hrl042-2025-306"), 0);
    EXPECT_OUT("\"status\": \"in_execution\"");
    EXPECT_OUT("\"contract_signed\": \"2025-06-20\"");
    EXPECT_OUT("\"contract_start\": \"2025-08-01\"");
    EXPECT_OUT("\"award_date\": \"2025-05-28\"");
    /* the award release again (an older fact) cannot move it back */
    const char *a2 = s_file("a2.json",
        "{\"releases\": [{\"ocid\": \"ocds-hrl042-2025-306\", \"id\": \"306-award-again\", "
        "\"date\": \"2025-06-01T09:00:00+02:00\", \"tag\": [\"award\"], \"awards\": [{\"id\": \"G1\", "
        "\"status\": \"active\", \"date\": \"2025-05-28T00:00:00+02:00\"}]}]}", 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", a2, NULL }), 65);
    EXPECT_ERR("mislukt: ocds-hrl042-2025-306: tender.status: de bron zegt gegund, maar het "
               "inkooptraject is al in uitvoering: een inkooptraject gaat niet terug\n");
    /* its preview names the process (the file's first) and the reason, in either language */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--dry-run", a2, NULL }), 65);
    EXPECT_OUT("proces 1 ocds-hrl042-2025-306: geweigerd: tender.status: de bron zegt "
               "gegund, maar het inkooptraject is al in uitvoering: een inkooptraject gaat niet "
               "terug\n"
               "1 rij(en): zou 0 aanmaken, 0 wijzigen, 0 ongewijzigd laten, 1 weigeren "
               "(proefimport: niets vastgelegd)\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", "--dry-run", a2,
                                         NULL }), 65);
    EXPECT_OUT("process 1 ocds-hrl042-2025-306: refused: tender.status: the source says "
               "awarded, but the tender is already in execution: a tender does not go back\n"
               "1 row(s): would create 0, update 0, leave 0 unchanged, refuse 1 "
               "(dry run: nothing written)\n");
}

/* ------------------------------------------------------------------ dry run */

/* The field after "results": of a --json import summary. */
static const char *s_results(const char *json)
{
    const char *r = strstr(json, "\"results\": ");
    cr_assert_not_null(r, "%s", json);
    return r;
}

/* One file with a new row, a changed one, an unchanged one, a refused one (status back)
 * and a change to a cancelled tender: the preview writes nothing and gives, row by row,
 * the verdict the import then gives. */
Test(calendar_import, dry_run_and_import_agree_on_a_mixed_file)
{
    const char *setup = s_file("setup.csv",
        "Kenmerk;Titel;Soort;Waarde;Publicatie;Status\n"
        "M-CHG;Oud;diensten;100.000;01-03-2026;gepland\n"
        "M-SAME;Blijft;diensten;10.000;01-03-2026;gepland\n"
        "M-BACK;Gepubliceerd;diensten;10.000;01-03-2026;gepubliceerd\n"
        "M-CAN;Ingetrokken;diensten;10.000;01-03-2026;geannuleerd\n", 0);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", setup, NULL }), 0, "%s", s_err());
    const char *mixed = s_file("mixed.csv",
        "Kenmerk;Titel;Soort;Waarde;Publicatie;Status\n"
        "M-NEW;Nieuw;leveringen;300.000;01-04-2026;gepland\n"
        "M-CHG;Nieuwe titel;diensten;250.000;01-03-2026;gepland\n"
        "M-SAME;Blijft;diensten;10.000;01-03-2026;gepland\n"
        "M-BACK;Gepubliceerd;diensten;10.000;01-03-2026;gepland\n"
        "M-CAN;Toch door;diensten;10.000;01-03-2026;geannuleerd\n", 0);
    cr_assert_eq(s_show("M-CHG"), 0);
    static char before[1 << 16];
    memcpy(before, s_out, sizeof before);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", "--dry-run", mixed, NULL }), 65);
    static char dry[1 << 16];
    memcpy(dry, s_out, sizeof dry);
    cr_assert(strstr(dry, "\"dry_run\": true"), "%s", dry);
    cr_expect(strstr(dry, "\"rows\": 5, \"created\": 1, \"updated\": 1, \"unchanged\": 1, "
                          "\"repeated\": 0, \"failed\": 2"), "%s", dry);
    cr_expect(strstr(dry, "{\"row\": 3, \"id\": \"M-CHG\", \"outcome\": \"updated\", \"changed\": "
                          "[\"title\", \"value_cents\", \"procedure\", \"kickoff_required\"]}"),
              "%s", dry);
    cr_expect(strstr(dry, "{\"row\": 5, \"id\": \"M-BACK\", \"outcome\": \"refused\", \"field\": "
                          "\"tender.status\""), "%s", dry);
    cr_expect(strstr(dry, "{\"row\": 6, \"id\": \"M-CAN\", \"outcome\": \"refused\", \"field\": "
                          "\"tender.id\", \"message\": \"inkooptraject M-CAN is geannuleerd: geen "
                          "wijzigingen meer\"}"), "%s", dry);
    /* nothing written */
    cr_expect_eq(s_show("M-NEW"), 65);
    cr_assert_eq(s_show("M-CHG"), 0);
    cr_expect_str_eq(s_out, before);
    /* the import: the same verdict, row by row */
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", mixed, NULL }), 65);
    cr_assert(strstr(s_out, "\"dry_run\": false"), "%s", s_out);
    cr_expect_str_eq(s_results(s_out), s_results(dry));
    cr_assert_eq(s_show("M-CHG"), 0);
    EXPECT_OUT("\"title\": \"Nieuwe titel\"");
    EXPECT_OUT("\"value_cents\": 25000000");
    cr_expect_eq(s_show("M-NEW"), 0);
}
