/*  mvoictl tender import against a real mvoi-calendar: what one bad id does to the rest of
 *  a file, and what a re-import does after the stored tenders changed.
 *
 *  - An id or buyer the calendar cannot take made it refuse the whole command (up to 500
 *    rows), blaming each row for another row's id. Now the client checks them by the same
 *    rule (mvoi_id.h) first: a CSV names the one row and cell (and, as for any bad cell,
 *    imports nothing); an OCDS process is refused alone and the other processes land; the
 *    import client refuses such a tender alone, whatever gave it.
 *  - Request ids were derived from the file alone and stored replies live 7 days, so a
 *    re-import after `tender update` was answered "unchanged" from the first run's stored
 *    reply and changed nothing, while the dry run said "update". Now the ids also follow the
 *    stored state of the file's tenders: a changed state applies the file, an unchanged one
 *    repeats the stored replies (a retry applies nothing twice).
 *  Each test starts its own service on ipc:// endpoints in a fresh temp directory.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal_client.h"
#include "cal_it.h"
#include "harness.h"

static cal_it_fx_t F;

static void s_setup(void) { cal_it_start(&F, "leudal"); }
static void s_teardown(void) { cal_it_stop(&F); }

TestSuite(calendar_import_ids, .init = s_setup, .fini = s_teardown, .timeout = 60);

static char s_out[1 << 16];

static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

static const char *s_err(void) { return cal_it_err(&F); }

static const char *s_file(const char *name, const char *bytes)
{
    return cal_it_file(&F, name, bytes, 0);
}

static int s_show(const char *id)
{
    return s_ctl((const char *[]){ "--json", "tender", "show", id, NULL });
}

#define EXPECT_OUT(needle) cr_expect(strstr(s_out, needle), "missing %s in:\n%s", needle, s_out)
#define EXPECT_NOT_OUT(needle) cr_expect(!strstr(s_out, needle), "unexpected %s in:\n%s", needle, s_out)
#define EXPECT_ERR(needle) cr_expect(strstr(s_err(), needle), "missing %s in:\n%s", needle, s_err())
#define EXPECT_NOT_ERR(needle) cr_expect(!strstr(s_err(), needle), "unexpected %s in:\n%s", needle, s_err())

/* ------------------------------------------------------------------ one bad id */

/* The bug hunter's sheet: row 3 holds a department name where the buyer's id belongs.
 * Before: "0 created, 3 failed", rows 2 and 4 blamed for tenders[1].buyer. Now: row 3 alone
 * is named, with what the column must hold; like any bad cell, nothing is imported. */
Test(calendar_import_ids, csv_buyer_name_refused_on_its_own_row)
{
    static const char reason[] =
        "3;organisatie;Gemeente Leudal;\"geen organisatie-id: teken 1 hoort niet bij "
        "[a-z0-9_-] (en het eerste is een letter of cijfer); de kolom bevat het id van de "
        "organisatie, zoals 'leudal' (of is leeg), geen naam van een organisatie of "
        "afdeling\"\n";
    const char *p = s_file("tb2.csv", "kenmerk;titel;soort;organisatie\n"
                                      "O-1;Een;diensten;leudal\n"
                                      "O-2;Twee;diensten;Gemeente Leudal\n"
                                      "O-3;Drie;diensten;\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--dry-run", p, NULL }), 65);
    cr_expect_str_eq(s_out, reason);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 65);
    EXPECT_ERR(reason);
    EXPECT_ERR("mvoictl: 1 fout(en) in ");
    EXPECT_ERR("(rij;kolom;waarde;reden hierboven); niets geïmporteerd\n");
    EXPECT_NOT_ERR("tenders[1]");
    cr_expect_eq(s_show("O-1"), 65, "a sheet with a bad cell imports nothing");
    /* the sheet fixed: every row lands, the empty cell under the import's buyer */
    p = s_file("tb2-fixed.csv", "kenmerk;titel;soort;organisatie\n"
                                "O-1;Een;diensten;leudal\n"
                                "O-2;Twee;diensten;leudal\n"
                                "O-3;Drie;diensten;\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s", s_err());
    EXPECT_OUT("3 rij(en): 3 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt");
    cr_assert_eq(s_show("O-3"), 0);
    EXPECT_OUT("\"buyer\": \"leudal\"");
}

/* Three processes, the middle one's ocid has spaces: it is refused on its own with its ocid
 * and why; the two others are created (before: all of them failed with tenders[1].id). */
Test(calendar_import_ids, ocds_bad_ocid_refused_alone_others_created)
{
#define REL(ocid)                                                                          \
    "{\"ocid\": \"" ocid "\", \"id\": \"r-" ocid "\", \"date\": \"2029-01-01T00:00:00Z\", " \
    "\"tag\": [\"tender\"], \"tender\": {\"title\": \"T " ocid "\", "                      \
    "\"mainProcurementCategory\": \"services\", \"value\": {\"amount\": 1000, "            \
    "\"currency\": \"EUR\"}}}"
    const char *p = s_file("o.json", "{\"uri\": \"x\", \"publishedDate\": \"2029-01-01T00:00:00Z\", "
                                     "\"releases\": [" REL("ocds-x-1") ", " REL("ocds x 6") ", "
                                     REL("ocds-x-7") "]}");
#undef REL
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", p, NULL }), 65, "%s", s_err());
    EXPECT_OUT("\"rows\": 3, \"created\": 2, \"updated\": 0, \"unchanged\": 0, \"repeated\": 0, "
               "\"failed\": 1");
    EXPECT_OUT("\"id\": \"ocds x 6\"");
    EXPECT_OUT("\"field\": \"ocid\", \"message\": \"'ocds x 6' kan geen id van een inkooptraject "
               "zijn: teken 5 (U+0020) mag niet in een kenmerk\"");
    EXPECT_NOT_OUT("tenders[");
    cr_expect_eq(s_show("ocds-x-1"), 0);
    EXPECT_OUT("\"value_cents\": 100000");
    cr_expect_eq(s_show("ocds-x-7"), 0);
}

/* The import client itself: whatever gave it a tender with an id or buyer the service
 * would refuse (a reader of another format, a caller of the library), that tender alone is
 * refused under its own key, with its own reason, and the others land. */
Test(calendar_import_ids, client_refuses_bad_ids_alone)
{
    Mvoi__Tender t[5];
    Mvoi__Tender *tp[5];
    const char *ids[5] = { "C-1", "C 2", "C-3", "C-4", "C-5" };
    for (int i = 0; i < 5; i++) {
        mvoi__tender__init(&t[i]);
        t[i].id = (char *)ids[i];
        t[i].title = "Titel";
        t[i].has_kind = 1;
        t[i].kind = MVOI__TENDER_KIND__KIND_DIENSTEN;
        tp[i] = &t[i];
    }
    t[3].buyer = "Gemeente Leudal";
    const size_t rows[] = { 2, 3, 4, 6, 7 };
    /* all five in one command: one bad id refused the command, blaming all five */
    cal_import_opts_t io = { .endpoint = F.api, .buyer = "leudal", .rid_prefix = "imp-ids",
                             .run_id = "run-ids", .timeout_ms = 10000 };
    cal_import_result_t res;
    cr_assert_eq(cal_import_send(&io, tp, rows, 5, &res), 0);
    cr_expect_eq(res.sent, 3);
    cr_expect_eq(res.created, 3);
    cr_expect_eq(res.failed, 2);
    cr_assert_eq(res.n_failures, 2);
    cr_expect_eq(res.failures[0].key, 3);
    cr_expect_str_eq(res.failures[0].field, "tender.id");
    /* in the run's language, Dutch by default, the id's reason too */
    cr_expect_str_eq(res.failures[0].message, "'C 2' kan geen id van een inkooptraject zijn: "
                     "teken 2 (U+0020) mag niet in een kenmerk");
    cr_expect_eq(res.failures[1].key, 6);
    cr_expect_str_eq(res.failures[1].field, "tender.buyer");
    cr_expect_str_eq(res.failures[1].message, "'Gemeente Leudal' is geen organisatie-id (teken "
                     "1 hoort niet bij [a-z0-9_-] (en het eerste is een letter of cijfer)): het "
                     "id van de organisatie, zoals 'leudal', is bedoeld, geen naam");
    cal_import_result_clear(&res);
    io.lang = "en";   /* another run: its own request ids */
    io.rid_prefix = "imp-ids-en";
    io.run_id = "run-ids-en";
    cr_assert_eq(cal_import_send(&io, tp, rows, 5, &res), 0);
    cr_assert_eq(res.n_failures, 2);
    cr_expect_str_eq(res.failures[0].message,
                     "'C 2' cannot be a tender id: character 2 (U+0020) is not allowed in an id");
    cr_expect(strstr(res.failures[1].message, "'Gemeente Leudal' is not a buyer id (character 1"),
              "%s", res.failures[1].message);
    cal_import_result_clear(&res);
    cr_expect_eq(s_show("C-5"), 0);
    cr_expect_eq(s_show("C-4"), 65);
}

/* ------------------------------------------------------------------ a changed state */

static const char s_t1[] =
    "kenmerk;titel;soort;geraamde waarde;publicatiedatum\n"
    "H-1;Brandstof;leveringen;1.234,56;03-03-2029\n"
    "H-2;Machines;werken;1.234;03-03-2029\n"
    "H-3;Schoon;diensten;0,500;03-03-2029\n";

/* The bug hunter's steps: import, `tender update H-2 --value 9.999.999`, import again.
 * Before: "3 unchanged (3 of the unchanged were already imported from this very file)",
 * exit 0, H-2 still at 9,999,999. Now the re-import does what its dry run says: H-2 back
 * to the file's 1.234 (123400 cents), one row updated; nothing repeated. */
Test(calendar_import_ids, reimport_after_update_applies_the_file)
{
    const char *p = s_file("t1.csv", s_t1);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s", s_err());
    EXPECT_OUT("3 rij(en): 3 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt");
    /* "0,500" is half a euro, not 500 euros */
    cr_assert_eq(s_show("H-3"), 0);
    EXPECT_OUT("\"value_cents\": 50,");
    cr_assert_eq(s_ctl((const char *[]){ "tender", "update", "H-2", "--value", "9.999.999", NULL }),
                 0, "%s", s_err());
    cr_assert_eq(s_show("H-2"), 0);
    EXPECT_OUT("\"value_cents\": 999999900");
    EXPECT_OUT("\"version\": 2");
    /* the preview, row by row, as an adviser reads it: Dutch by default, English with
     * --lang en (H-1 is row 2 under the header) */
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", "--dry-run", p, NULL }), 0);
    EXPECT_OUT("rij 2 H-1: ongewijzigd\nrij 3 H-2: gewijzigd (");
    EXPECT_OUT("rij 4 H-3: ongewijzigd\n");
    EXPECT_OUT("3 rij(en): zou 0 aanmaken, 1 wijzigen, 2 ongewijzigd laten, 0 weigeren "
               "(proefimport: niets vastgelegd)\n");
    cr_expect_eq(s_ctl((const char *[]){ "--lang", "en", "tender", "import", "--dry-run", p,
                                         NULL }), 0);
    EXPECT_OUT("row 2 H-1: unchanged\nrow 3 H-2: updated (");
    EXPECT_OUT("3 row(s): would create 0, update 1, leave 2 unchanged, refuse 0 "
               "(dry run: nothing written)\n");
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s", s_err());
    EXPECT_OUT("3 rij(en): 0 aangemaakt, 1 gewijzigd, 2 ongewijzigd, 0 mislukt");
    EXPECT_NOT_OUT("al geïmporteerd");
    cr_assert_eq(s_show("H-2"), 0);
    EXPECT_OUT("\"value_cents\": 123400");
    EXPECT_OUT("\"version\": 3");
}

/* A retry in the same state (after a timeout, say) is answered from the stored replies and
 * applies nothing twice; once anything changed, the next run is new. */
Test(calendar_import_ids, same_state_repeats_stored_replies)
{
    const char *p = s_file("t1.csv", s_t1);
    cr_assert_eq(s_ctl((const char *[]){ "tender", "import", p, NULL }), 0, "%s", s_err());
    /* the state is the one the first run made: new ids, unchanged by content */
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", p, NULL }), 0);
    EXPECT_OUT("\"created\": 0, \"updated\": 0, \"unchanged\": 3, \"repeated\": 0, \"failed\": 0");
    /* the same state again: the same ids, the stored replies */
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", p, NULL }), 0);
    EXPECT_OUT("\"created\": 0, \"updated\": 0, \"unchanged\": 3, \"repeated\": 3, \"failed\": 0");
    cr_assert_eq(s_show("H-1"), 0);
    EXPECT_OUT("\"version\": 1");
    /* one of its tenders changed: new ids, the file applied */
    cr_assert_eq(s_ctl((const char *[]){ "tender", "update", "H-1", "--value", "5", NULL }), 0,
                 "%s", s_err());
    cr_expect_eq(s_ctl((const char *[]){ "--json", "tender", "import", p, NULL }), 0);
    EXPECT_OUT("\"created\": 0, \"updated\": 1, \"unchanged\": 2, \"repeated\": 0, \"failed\": 0");
    cr_assert_eq(s_show("H-1"), 0);
    EXPECT_OUT("\"value_cents\": 123456");
}
