/*  A sheet changes what its columns say, nothing else, against a real mvoi-calendar and
 *  mvoictl.
 *
 *  `mvoictl tender import FILE.csv` sent every row to replace the stored tender: a field
 *  the sheet has no column for (the project leader, the value, the SDGs set with `tender
 *  add/update`) was wiped by re-importing the sheet, reported as "gewijzigd", and the
 *  kick-off mails then went to nobody. Now a column the sheet has decides (an empty cell
 *  clears the field), a field of no column keeps its stored value, and a leader renamed by
 *  a sheet without an e-mail column is refused by name (the stored address is the previous
 *  leader's). Two buyers hold the same id throughout: one's import never reaches the other.
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

TestSuite(calendar_import_columns, .init = s_setup, .fini = s_teardown, .timeout = 60);

static char s_out[1 << 16];

static int s_ctl(const char *const *args)
{
    int rc = cal_it_ctl(F.dir, F.ctl, F.envp, s_out, sizeof s_out, args);
    cr_assert_geq(rc, 0, "mvoictl could not be started");
    return rc;
}

#define EXPECT_OUT(needle) cr_expect(strstr(s_out, needle), "missing %s in:\n%s", needle, s_out)
#define EXPECT_NOT_OUT(needle) cr_expect(!strstr(s_out, needle), "unexpected %s in:\n%s", needle, s_out)
#define EXPECT_ERR(needle) \
    cr_expect(strstr(cal_it_err(&F), needle), "missing %s in:\n%s", needle, cal_it_err(&F))

static int s_show(const char *buyer, const char *id)
{
    return s_ctl((const char *[]){ "--buyer", buyer, "--json", "tender", "show", id, NULL });
}

/* Import the sheet for heerlen, first as a dry run, then for real: both must give the
 * same verdict (dry and done are the summary lines expected of each). */
static void s_import(const char *name, const char *csv, int ex, const char *dry, const char *done)
{
    const char *path = cal_it_file(&F, name, csv, 0);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", path, "--dry-run", NULL }), ex,
                 "%s%s", s_out, cal_it_err(&F));
    EXPECT_OUT(dry);
    cr_expect_eq(s_ctl((const char *[]){ "tender", "import", path, NULL }), ex, "%s%s", s_out,
                 cal_it_err(&F));
    EXPECT_OUT(done);
}

/* T-1 for both buyers, each with its own leader, value (1.234,56 = 123456 cents) and SDGs. */
static void s_add_both(void)
{
    cr_assert_eq(s_ctl((const char *[]){ "tender", "add", "--id", "T-1", "--title", "Oude titel",
                                         "--kind", "diensten", "--leader", "P. Leider <pl@x.nl>",
                                         "--value", "1.234,56", "--sdg", "8,13", NULL }), 0,
                 "%s", cal_it_err(&F));
    cr_assert_eq(s_ctl((const char *[]){ "--buyer", "leudal", "tender", "add", "--id", "T-1",
                                         "--title", "Leudal titel", "--kind", "werken", "--leader",
                                         "L. Ander <la@y.nl>", "--value", "99", "--sdg", "3",
                                         NULL }), 0, "%s", cal_it_err(&F));
}

/* Leudal's T-1 exactly as added, whatever heerlen imported. */
static void s_leudal_untouched(void)
{
    cr_assert_eq(s_show("leudal", "T-1"), 0);
    EXPECT_OUT("\"title\": \"Leudal titel\"");
    EXPECT_OUT("la@y.nl");
    EXPECT_OUT("\"value_cents\": 9900");
    EXPECT_OUT("\"sdgs\": [\n      3\n    ]");
    EXPECT_NOT_OUT("Nieuwe titel");
}

Test(calendar_import_columns, a_field_of_no_column_keeps_its_value)
{
    s_add_both();
    /* no leader, value or SDG column: only the title changes (the source becomes csv) */
    const char *csv = "Kenmerk;Titel;Soort\nT-1;Nieuwe titel;diensten\n";
    s_import("a.csv", csv, 0, "rij 2 T-1: gewijzigd (title, source)\n",
             "1 rij(en): 0 aangemaakt, 1 gewijzigd, 0 ongewijzigd, 0 mislukt");
    cr_assert_eq(s_show("heerlen", "T-1"), 0);
    EXPECT_OUT("\"title\": \"Nieuwe titel\"");
    EXPECT_OUT("\"name\": \"P. Leider\"");
    EXPECT_OUT("\"email\": \"pl@x.nl\"");
    EXPECT_OUT("\"value_cents\": 123456");
    EXPECT_OUT("\"sdgs\": [\n      8,\n      13\n    ]");

    /* the same sheet again: nothing to change, in the preview and in the import */
    s_import("a.csv", csv, 0, "zou 0 aanmaken, 0 wijzigen, 1 ongewijzigd laten, 0 weigeren",
             "1 rij(en): 0 aangemaakt, 0 gewijzigd, 1 ongewijzigd, 0 mislukt");
    s_leudal_untouched();
}

Test(calendar_import_columns, an_empty_cell_of_a_column_clears_the_field)
{
    s_add_both();
    const char *csv = "Kenmerk;Titel;Soort;Projectleider;E-mail projectleider;Waarde;SDG's\n"
                      "T-1;Oude titel;diensten;;;;\n";
    s_import("b.csv", csv, 0, "rij 2 T-1: gewijzigd (value_cents, project_leader, sdgs,",
             "1 rij(en): 0 aangemaakt, 1 gewijzigd, 0 ongewijzigd, 0 mislukt");
    cr_assert_eq(s_show("heerlen", "T-1"), 0);
    EXPECT_OUT("\"title\": \"Oude titel\"");
    EXPECT_NOT_OUT("pl@x.nl");
    EXPECT_NOT_OUT("P. Leider");
    EXPECT_NOT_OUT("value_cents\": 123456");
    EXPECT_NOT_OUT("\"sdgs\"");
    s_import("b.csv", csv, 0, "zou 0 aanmaken, 0 wijzigen, 1 ongewijzigd laten, 0 weigeren",
             "1 rij(en): 0 aangemaakt, 0 gewijzigd, 1 ongewijzigd, 0 mislukt");
    s_leudal_untouched();
}

Test(calendar_import_columns, a_new_leader_without_an_email_column_is_refused)
{
    s_add_both();
    /* the same name: the stored address stays theirs */
    s_import("c.csv", "Kenmerk;Titel;Soort;Projectleider\nT-1;Oude titel;diensten;P. Leider\n", 0,
             "zou 0 aanmaken, 1 wijzigen, 0 ongewijzigd laten, 0 weigeren",
             "1 rij(en): 0 aangemaakt, 1 gewijzigd, 0 ongewijzigd, 0 mislukt");
    cr_assert_eq(s_show("heerlen", "T-1"), 0);
    EXPECT_OUT("\"email\": \"pl@x.nl\"");
    /* another name: pl@x.nl would be mailed as "Q. Nieuw"; refused, nothing stored */
    s_import("d.csv", "Kenmerk;Titel;Soort;Projectleider\nT-1;Nieuwe titel;diensten;Q. Nieuw\n",
             65, "zou 0 aanmaken, 0 wijzigen, 0 ongewijzigd laten, 1 weigeren",
             "1 rij(en): 0 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 1 mislukt");
    EXPECT_ERR("project_leader.email");
    cr_assert_eq(s_show("heerlen", "T-1"), 0);
    EXPECT_OUT("\"title\": \"Oude titel\"");
    EXPECT_OUT("\"name\": \"P. Leider\"");
    EXPECT_NOT_OUT("Q. Nieuw");
    s_leudal_untouched();
}

Test(calendar_import_columns, a_new_tender_is_the_sheets_fields)
{
    const char *csv = "Kenmerk;Titel;Soort;Projectleider;E-mail projectleider;Waarde\n"
                      "N-1;Nieuw traject;leveringen;;;\n"
                      "N-2;Tweede;diensten;A. Bee;ab@x.nl;2.500\n";
    s_import("n.csv", csv, 0, "zou 2 aanmaken, 0 wijzigen, 0 ongewijzigd laten, 0 weigeren",
             "2 rij(en): 2 aangemaakt, 0 gewijzigd, 0 ongewijzigd, 0 mislukt");
    cr_assert_eq(s_show("heerlen", "N-1"), 0);
    EXPECT_NOT_OUT("project_leader");
    EXPECT_NOT_OUT("value_cents");
    cr_assert_eq(s_show("heerlen", "N-2"), 0);
    EXPECT_OUT("\"email\": \"ab@x.nl\"");
    EXPECT_OUT("\"value_cents\": 250000");
    s_import("n.csv", csv, 0, "zou 0 aanmaken, 0 wijzigen, 2 ongewijzigd laten, 0 weigeren",
             "2 rij(en): 0 aangemaakt, 0 gewijzigd, 2 ongewijzigd, 0 mislukt");
}
