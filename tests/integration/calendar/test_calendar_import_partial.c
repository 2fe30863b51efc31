/*  A tender import that is only partly taken, against a real mvoi-calendar.
 *
 *  The rule (the same as `measure import`): a file with a bad cell imports nothing (fixed and
 *  imported again); a file the client can read goes row by row, the calendar judging each
 *  tender on its own: the refused rows are named by row, id and reason, every other row is
 *  stored, and importing the corrected file stores exactly what was missing (upserts by id:
 *  nothing twice). A row sent to a calendar that then fell silent is "unconfirmed", never
 *  "failed": it may have been stored.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal_it.h"
#include "harness.h"

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "heerlen"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_import_partial, .init = s_setup, .fini = s_teardown, .timeout = 60);

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
#define EXPECT_ERR(needle) \
    cr_expect(strstr(cal_it_err(&F), needle), "missing %s in:\n%s", needle, cal_it_err(&F))
#define EXPECT_NOT_ERR(needle) \
    cr_expect(!strstr(cal_it_err(&F), needle), "unexpected %s in:\n%s", needle, cal_it_err(&F))

/* `--buyer B tender show ID --json`: the exit code, the tender in s_out. */
static int s_show(const char *buyer, const char *id)
{
    return s_ctl((const char *[]){ "--buyer", buyer, "--json", "tender", "show", id, NULL });
}

/* Two buyers hold D-1, both awarded. heerlen's sheet sends D-1 back to "gepland" (refused:
 * a tender does not go back) next to two new tenders: 2 stored, row 2 refused by name. The
 * corrected sheet stores the one change and nothing twice; leudal's D-1 is not touched. */
Test(calendar_import_partial, refused_rows_named_by_row_and_the_fixed_file_stores_the_rest)
{
    const char *seed = "Kenmerk;Titel;Soort;Status\nD-1;Dak;werken;gegund\n";
    const char *s1 = s_file("seed-h.csv", seed);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", s1, NULL }), 0);
    const char *s2 = s_file("seed-l.csv", seed);
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import", s2, NULL }), 0);

    const char *bad = s_file("plan.csv", "Kenmerk;Titel;Soort;Status\n"
                                         "D-1;Dak en goot;werken;gepland\n"
                                         "D-2;Gevel;werken;\n"
                                         "D-3;Kozijnen;leveringen;\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", bad, NULL }), 65);
    /* 3 rows: D-2 and D-3 new (2), D-1 refused (1) */
    EXPECT_OUT("3 rij(en): 2 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt\n");
    EXPECT_ERR("mislukt: rij 2 D-1: tender.status: de bron zegt gepland, maar het inkooptraject "
               "is al gegund: een inkooptraject gaat niet terug\n");
    EXPECT_NOT_ERR("rij 3");
    EXPECT_NOT_ERR("rij 4");
    cr_assert_eq(s_show("heerlen", "D-2"), 0);
    cr_assert_eq(s_show("heerlen", "D-3"), 0);
    cr_assert_eq(s_show("heerlen", "D-1"), 0);
    EXPECT_OUT("\"title\": \"Dak\"");   /* the refused row changed nothing */

    /* --json: every row with its verdict, one document */
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", bad, NULL }), 65);
    EXPECT_OUT("{\"row\": 2, \"id\": \"D-1\", \"outcome\": \"refused\"");
    EXPECT_OUT("{\"row\": 3, \"id\": \"D-2\", \"outcome\": \"unchanged\"}");
    EXPECT_OUT("\"failed\": 1, \"unconfirmed\": 0");

    const char *good = s_file("plan2.csv", "Kenmerk;Titel;Soort;Status\n"
                                           "D-1;Dak en goot;werken;gegund\n"
                                           "D-2;Gevel;werken;\n"
                                           "D-3;Kozijnen;leveringen;\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", good, NULL }), 0, "%s",
                 cal_it_err(&F));
    /* only D-1's title was missing: 1 updated, the two stored rows unchanged, none created */
    EXPECT_OUT("3 rij(en): 0 aangemaakt, 1 gewijzigd, 2 ongewijzigd, 0 mislukt\n");
    cr_assert_eq(s_show("heerlen", "D-1"), 0);
    EXPECT_OUT("\"title\": \"Dak en goot\"");
    cr_assert_eq(s_show("leudal", "D-1"), 0);
    EXPECT_OUT("\"title\": \"Dak\"");
    cr_expect_eq(s_show("leudal", "D-2"), 65, "heerlen's D-2 is not leudal's");
    /* heerlen holds exactly D-1, D-2, D-3: 3 tenders, not 5 */
    cr_assert_eq(s_ctl((const char *[]){ "--json", "tender", "list", "--all", NULL }), 0);
    size_t n = 0;
    for (const char *p = s_out; (p = strstr(p, "\"id\": \"D-")) != NULL; p++)
        n++;
    cr_expect_eq(n, 3, "%s", s_out);
}

/* A refused row's reason is in the language of the run: Dutch by default, English with
 * --lang en, field names as they are. heerlen and leudal both hold D-1 (awarded); each run
 * is refused for its own D-1 in its own language. A tender rule mvoictl checks before
 * sending (contract end before its start) is in the run's language too, dates in words. */
Test(calendar_import_partial, refusals_in_dutch_by_default_english_with_lang)
{
    const char *seed = "Kenmerk;Titel;Soort;Status\nD-1;Dak;werken;gegund\n";
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", s_file("sh.csv", seed), NULL }), 0);
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "import",
                                         s_file("sl.csv", seed), NULL }), 0);
    const char *back = s_file("back.csv", "Kenmerk;Titel;Soort;Status\n"
                                          "D-1;Dak en goot;werken;gepland\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", back, NULL }), 65);
    EXPECT_ERR("mislukt: rij 2 D-1: tender.status: de bron zegt gepland, maar het inkooptraject "
               "is al gegund: een inkooptraject gaat niet terug\n");
    EXPECT_NOT_ERR("the source says");
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "leudal", "--lang", "en", "tender", "import",
                                         back, NULL }), 65);
    EXPECT_ERR("failed: row 2 D-1: tender.status: the source says planned, but the tender is "
               "already awarded: a tender does not go back\n");
    EXPECT_NOT_ERR("de bron");
    /* leudal again, by default: Dutch (its own stored reply was English: another run) */
    cr_expect_eq(s_ctl((const char *[]){ "--buyer", "leudal", "--json", "tender", "import", back,
                                         NULL }), 65);
    EXPECT_OUT("{\"row\": 2, \"id\": \"D-1\", \"outcome\": \"refused\", \"field\": "
               "\"tender.status\", \"message\": \"de bron zegt gepland, maar het inkooptraject "
               "is al gegund: een inkooptraject gaat niet terug\"}");
    cr_assert_eq(s_show("heerlen", "D-1"), 0);
    EXPECT_OUT("\"title\": \"Dak\"");
    cr_assert_eq(s_show("leudal", "D-1"), 0);
    EXPECT_OUT("\"title\": \"Dak\"");

    const char *dates = s_file("dates.csv", "Kenmerk;Titel;Soort;Start;Einde\n"
                                            "D-5;Kozijnen;leveringen;01-03-2027;31-01-2027\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", dates, NULL }), 65);
    EXPECT_ERR("2;Einde;31-01-2027;31 januari 2027 ligt vóór contract_start 1 maart 2027\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", dates, NULL }), 65);
    EXPECT_ERR("2;Einde;31-01-2027;31 January 2027 is before contract_start 1 March 2027\n");
}

/* The calendar stops answering (SIGSTOP) with the rows sent: nobody knows whether it will
 * apply them. They were reported "2 failed" ("failed: X: no answer from the service"), which
 * tells the user they were not stored; now they are unconfirmed, with exit 69. */
Test(calendar_import_partial, rows_without_an_answer_are_unconfirmed_not_failed)
{
    const char *p = s_file("q.csv", "Kenmerk;Titel;Soort\nQ-1;Eerste;werken\nQ-2;Tweede;werken\n");
    cr_assert_eq(kill(F.proc.pid, SIGSTOP), 0);
    int rc = s_ctl((const char *[]){ "--timeout", "800", "tender", "import", p, NULL });
    kill(F.proc.pid, SIGCONT);
    cr_expect_eq(rc, 69, "%s", cal_it_err(&F));
    EXPECT_OUT("2 rij(en): 0 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt\n");
    EXPECT_OUT("2 rij(en) onbevestigd: verstuurd, geen antwoord op tijd; misschien wel, "
               "misschien niet vastgelegd");
    EXPECT_ERR("onbevestigd: rij 2 Q-1: geen antwoord van de dienst\n");
    EXPECT_ERR("onbevestigd: rij 3 Q-2: geen antwoord van de dienst\n");
    EXPECT_NOT_ERR("mislukt:");
    /* and the file again, the calendar back: each row stored once */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s",
                 cal_it_err(&F));
    EXPECT_OUT("2 rij(en): 2 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt\n");
}
