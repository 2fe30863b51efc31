/*  Lifecycle facts that an edit or an import must not make untrue, against a real
 *  mvoi-calendar and mvoictl.
 *
 *  - A cancellation always has its reason: a tender that arrives already cancelled (a sheet
 *    row "geannuleerd", `tender add --json` with status cancelled) was stored cancelled with
 *    no reason at all. An import keeps the fact that its source gave none, said in the
 *    reader's language ("geannuleerd door de bron (csv)"); a caller must give the reason.
 *  - A recorded ambition stays recorded: `tender ambition ID --theme circulair` on a
 *    published tender, or a re-imported sheet with an empty themes cell, left the tender
 *    "published" with its ambition no longer complete (the KPIs and the reminders read that
 *    status as "recorded"). Refused by name now; nothing is stored.
 *  Two buyers hold the same ids throughout: what happens to one never reaches the other.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal_it.h"
#include "harness.h"

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "heerlen"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_lifecycle_guard, .init = s_setup, .fini = s_teardown, .timeout = 60);

static char s_out[1 << 16];

static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static const char *s_file(const char *name, const char *bytes)
{
    return cal_it_file(&F, name, bytes, 0);
}

#define EXPECT_OUT(needle) cr_expect(strstr(s_out, needle), "missing %s in:\n%s", needle, s_out)
#define EXPECT_NOT_OUT(needle) cr_expect(!strstr(s_out, needle), "unexpected %s in:\n%s", needle, s_out)
#define EXPECT_ERR(needle) \
    cr_expect(strstr(cal_it_err(&F), needle), "missing %s in:\n%s", needle, cal_it_err(&F))
#define EXPECT_NOT_ERR(needle) \
    cr_expect(!strstr(cal_it_err(&F), needle), "unexpected %s in:\n%s", needle, cal_it_err(&F))

static int s_show(const char *buyer, const char *id)
{
    return s_ctl((const char *[]){ "--buyer", buyer, "--json", "tender", "show", id, NULL });
}

Test(calendar_lifecycle_guard, a_tender_that_arrives_cancelled_has_a_reason)
{
    /* the same sheet for both buyers: C-1 new and cancelled, C-2 new and planned */
    const char *csv = "Kenmerk;Titel;Soort;Status\n"
                      "C-1;Afgeblazen traject;diensten;geannuleerd\n"
                      "C-2;Lopend traject;diensten;gepland\n";
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", s_file("h.csv", csv), NULL }), 0,
                 "%s", cal_it_err(&F));
    EXPECT_OUT("2 rij(en): 2 aangemaakt");
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import",
                                         s_file("l.csv", csv), NULL }), 0);
    const char *buyers[] = { "heerlen", "leudal" };
    for (int b = 0; b < 2; b++) {
        /* the source's default in the reader's language (Dutch by default), from the fact
         * kept: it was the English text "cancelled by the source (csv)" in every language */
        cr_assert_eq(s_show(buyers[b], "C-1"), 0);
        EXPECT_OUT("\"status\": \"cancelled\"");
        EXPECT_OUT("\"cancel_reason\": \"geannuleerd door de bron (csv)\"");
        EXPECT_OUT("\"cancel_without_reason\": true");
        cr_assert_eq(s_show(buyers[b], "C-2"), 0);
        EXPECT_OUT("\"status\": \"planned\"");
        EXPECT_NOT_OUT("cancel_reason");
        EXPECT_NOT_OUT("cancel_without_reason");
    }
    cr_assert_eq(s_ctl((const char *[]){ "--lang", "en", "--buyer", "leudal", "--json", "tender",
                                         "show", "C-1", NULL }), 0);
    EXPECT_OUT("\"cancel_reason\": \"cancelled by the source (csv)\"");
    /* `tender update` sends back the reason it read (said in Dutch): the stored one, so the
     * refusal is that the tender is cancelled, not that a reason was set */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "C-1", "--title", "Nieuw", NULL }),
                 65);
    EXPECT_NOT_ERR("cancel_reason");
    EXPECT_ERR("geannuleerd");

    /* through the API: no reason, refused and nothing stored; with one, stored with it */
    const char *bare = s_file("c3.json", "{\"id\":\"C-3\",\"title\":\"Via JSON\",\"kind\":\"diensten\","
                                         "\"status\":\"cancelled\"}");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "add", "--json", bare, NULL }), 65);
    EXPECT_ERR("cancel_reason");
    /* in mvoictl's language (Dutch by default): the catalogue's words */
    EXPECT_ERR("verplicht: een inkooptraject dat als geannuleerd binnenkomt, vraagt de reden "
               "van de annulering");
    cr_expect_eq(s_show("heerlen", "C-3"), 65, "C-3 must not be stored");
    const char *why = s_file("c3r.json", "{\"id\":\"C-3\",\"title\":\"Via JSON\",\"kind\":\"diensten\","
                                         "\"status\":\"cancelled\",\"cancel_reason\":\"budget vervallen\"}");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "add", "--json", why, NULL }), 0, "%s",
                 cal_it_err(&F));
    cr_assert_eq(s_show("heerlen", "C-3"), 0);
    EXPECT_OUT("\"cancel_reason\": \"budget vervallen\"");
    cr_expect_eq(s_show("leudal", "C-3"), 65, "leudal has no C-3");
}

Test(calendar_lifecycle_guard, a_recorded_ambition_is_not_undone_by_an_edit_or_an_import)
{
    /* € 30.000 diensten (enkelvoudig, no kick-off), klimaat:eis, published; leudal has
     * an A-1 of its own, planned, without an ambition */
    const char *csv = "Kenmerk;Titel;Soort;Waarde;Publicatie\n"
                      "A-1;Onderhoud groen;diensten;30.000;01-03-2027\n";
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", s_file("a.csv", csv), NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import",
                                         s_file("al.csv", csv), NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "ambition", "A-1", "--theme", "klimaat:eis",
                                         NULL }), 0, "%s", cal_it_err(&F));
    cr_assert_eq(s_ctl((const char *[]){ "tender", "status", "A-1", "published", NULL }), 0,
                 "%s", cal_it_err(&F));
    cr_assert_eq(s_show("heerlen", "A-1"), 0);
    EXPECT_OUT("\"version\": 3");

    /* the ambition command replaces the themes: circulair without a commitment */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "ambition", "A-1", "--theme", "circulair",
                                         NULL }), 65);
    EXPECT_ERR("het inkooptraject is gepubliceerd, de ambitie vastgelegd (klimaat:eis)");
    /* the sheet again, title changed, an empty themes cell: the row is refused (a sheet
     * without a themes column keeps the stored themes: test_calendar_import_columns.c) */
    const char *csv2 = "Kenmerk;Titel;Soort;Waarde;Publicatie;Thema's\n"
                       "A-1;Onderhoud groen 2027;diensten;30.000;01-03-2027;\n";
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", s_file("a2.csv", csv2), NULL }), 65);
    EXPECT_OUT("1 rij(en): 0 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt");
    EXPECT_ERR("tender.themes");
    /* nothing of it stored: still version 3, klimaat:eis, the old title */
    cr_assert_eq(s_show("heerlen", "A-1"), 0);
    EXPECT_OUT("\"version\": 3");
    EXPECT_OUT("\"commitment\": \"eis\"");
    EXPECT_OUT("\"ambition_complete\": true");
    EXPECT_OUT("\"title\": \"Onderhoud groen\"");

    /* an edit that keeps the ambition goes through; one that completes it differently too */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "A-1", "--title",
                                         "Onderhoud groen 2027", NULL }), 0, "%s", cal_it_err(&F));
    cr_expect_eq(s_ctl((const char *[]){ "tender", "ambition", "A-1", "--theme", "circulair:gunning",
                                         NULL }), 0, "%s", cal_it_err(&F));
    cr_assert_eq(s_show("heerlen", "A-1"), 0);
    EXPECT_OUT("\"version\": 5");
    EXPECT_OUT("\"theme\": \"circulair\"");

    /* the sheet may still cancel it (no themes column): the source's cancellation is taken */
    const char *csv3 = "Kenmerk;Titel;Soort;Waarde;Publicatie;Status\n"
                       "A-1;Onderhoud groen 2027;diensten;30.000;01-03-2027;geannuleerd\n";
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", s_file("a3.csv", csv3), NULL }), 0,
                 "%s", cal_it_err(&F));
    cr_assert_eq(s_show("heerlen", "A-1"), 0);
    EXPECT_OUT("\"status\": \"cancelled\"");
    EXPECT_OUT("\"cancel_reason\": \"geannuleerd door de bron (csv)\"");

    /* leudal's A-1 was never recorded: its sheet updates it as before */
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import",
                                         s_file("al2.csv", csv2), NULL }), 0, "%s", cal_it_err(&F));
    cr_assert_eq(s_show("leudal", "A-1"), 0);
    EXPECT_OUT("\"title\": \"Onderhoud groen 2027\"");
    EXPECT_OUT("\"status\": \"planned\"");
    EXPECT_OUT("\"version\": 2");
}

/* `tender update ID --json` with another status was answered "gewijzigd" and the status
 * silently not taken; the lifecycle has its own commands, so that is refused by name. */
Test(calendar_lifecycle_guard, an_update_that_states_another_status_is_refused_not_ignored)
{
    const char *add = s_file("u.json", "{\"id\":\"U-1\",\"title\":\"Schoonmaak\",\"kind\":\"diensten\","
                                       "\"value_cents\":100000}");
    cr_assert_eq(s_ctl((const char *[]){ "tender", "add", "--json", add, NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "add", "--json", add, NULL }), 0);

    const char *up = s_file("u2.json", "{\"id\":\"U-1\",\"title\":\"Schoonmaak 2027\",\"kind\":\"diensten\","
                                       "\"value_cents\":100000,\"status\":\"awarded\"}");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "U-1", "--json", up, NULL }), 65);
    EXPECT_ERR("status: het inkooptraject is gepland; de status verandert alleen met "
               "change_status of cancel_tender, niet met update_tender");
    const char *why = s_file("u3.json", "{\"id\":\"U-1\",\"title\":\"Schoonmaak 2027\",\"kind\":\"diensten\","
                                        "\"value_cents\":100000,\"cancel_reason\":\"geen budget\"}");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "U-1", "--json", why, NULL }), 65);
    EXPECT_ERR("cancel_reason: de reden van een annulering zet alleen cancel_tender");
    cr_assert_eq(s_show("heerlen", "U-1"), 0);
    EXPECT_OUT("\"title\": \"Schoonmaak\"");
    EXPECT_OUT("\"status\": \"planned\"");
    EXPECT_OUT("\"version\": 1");

    /* the stored status again (what `tender update` sends) is an ordinary update */
    const char *same = s_file("u4.json", "{\"id\":\"U-1\",\"title\":\"Schoonmaak 2027\",\"kind\":\"diensten\","
                                         "\"value_cents\":100000,\"status\":\"planned\"}");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "U-1", "--json", same, NULL }), 0, "%s",
                 cal_it_err(&F));
    cr_expect_eq(s_ctl((const char *[]){ "tender", "update", "U-1", "--title", "Schoonmaak 2028",
                                         NULL }), 0, "%s", cal_it_err(&F));
    cr_assert_eq(s_show("heerlen", "U-1"), 0);
    EXPECT_OUT("\"title\": \"Schoonmaak 2028\"");
    EXPECT_OUT("\"version\": 3");
    /* leudal's U-1 untouched */
    cr_assert_eq(s_show("leudal", "U-1"), 0);
    EXPECT_OUT("\"title\": \"Schoonmaak\"");
    EXPECT_OUT("\"version\": 1");
}

/* A sheet (or TenderNed) says "gepland" as long as a tender is not published; it does not
 * know the calendar's own stages before publication. Once the ambition was recorded (status
 * ambition_recorded), every later row of that sheet was refused as "a tender does not go
 * back", so a changed value never arrived. Now that "planned" is no move; "planned" for a
 * published tender is still refused. */
Test(calendar_lifecycle_guard, a_source_planned_keeps_the_calendars_own_stages)
{
    const char *v1 = "Kenmerk;Titel;Soort;Waarde;Publicatie;Thema;Status\n"
                     "G-1;Gras maaien;diensten;30.000;01-03-2027;klimaat;gepland\n"
                     "G-2;Bermen;diensten;40.000;01-04-2027;klimaat;gepland\n";
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", s_file("g1.csv", v1), NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import",
                                         s_file("g1l.csv", v1), NULL }), 0);
    /* heerlen records G-1's ambition (-> ambition_recorded), and publishes G-2 */
    cr_assert_eq(s_ctl((const char *[]){ "tender", "ambition", "G-1", "--theme", "klimaat:eis",
                                         NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "ambition", "G-2", "--theme", "klimaat:eis",
                                         NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "status", "G-2", "published", NULL }), 0);

    /* the sheet again: G-1 worth € 35.000 now, G-2 still "gepland" in it */
    const char *v2 = "Kenmerk;Titel;Soort;Waarde;Publicatie;Thema;Status\n"
                     "G-1;Gras maaien;diensten;35.000;01-03-2027;klimaat:eis;gepland\n"
                     "G-2;Bermen;diensten;40.000;01-04-2027;klimaat:eis;gepland\n";
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", s_file("g2.csv", v2), NULL }), 65);
    EXPECT_OUT("2 rij(en): 0 aangemaakt, 1 gewijzigd, 0 ongewijzigd, 1 mislukt");
    EXPECT_ERR("rij 3 G-2: tender.status: de bron zegt gepland, maar het inkooptraject is al "
               "gepubliceerd");
    cr_assert_eq(s_show("heerlen", "G-1"), 0);
    EXPECT_OUT("\"value_cents\": 3500000");   /* € 35.000 */
    EXPECT_OUT("\"status\": \"ambition_recorded\"");
    EXPECT_OUT("\"version\": 3");
    /* leudal's G-1: still € 30.000, planned, version 1 */
    cr_assert_eq(s_show("leudal", "G-1"), 0);
    EXPECT_OUT("\"value_cents\": 3000000");
    EXPECT_OUT("\"status\": \"planned\"");
    EXPECT_OUT("\"version\": 1");
}
