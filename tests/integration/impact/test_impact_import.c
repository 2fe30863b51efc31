/*  mvoictl measure import against a real impact-calculator (fed by the fake calendar): a
 *  supplier's spreadsheet under the rules of the tender import (bad bytes, control
 *  characters and unknown columns refused at row and column, nothing stored then), a dry run
 *  that is the service's verdict without a write, idempotent by measurement id. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../calendar/cal_it.h"
#include "impact_it.h"

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
                          "\"refused\", \"field\": \"submit_measurements.measurements[1].tender_id\", "
                          "\"message\": \"submit_measurements.measurements[1].tender_id: tender "
                          "'T-ONBEKEND' is not known to the calendar\"}]}"),
              "%s", dry);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-1", NULL }), 65, "nothing stored: %s", s_out);
    cr_expect_eq(s_ctl((const char *[]){ "--json", "measure", "import", p, NULL }), 65);
    cr_assert(strstr(s_out, "\"dry_run\": false"), "%s", s_out);
    cr_expect_str_eq(strstr(s_out, "\"rows\""), strstr(dry, "\"rows\""));
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-1", NULL }), 0, "%s", s_out);
    /* another run (new request ids): the id finds the stored measurement unchanged */
    p = s_file("m2.csv", HDR "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;10000\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--run", "2", p, NULL }), 0);
    cr_expect_str_eq(s_out, "1 row(s): 0 stored, 1 unchanged (already there), 0 refused\n");
    /* the same id with another quantity is refused, not overwritten */
    p = s_file("m3.csv", HDR "M-1;T-KLIMA;2025-01-01;2025-03-31;Bouwbedrijf Zuid;energy;hvo100;diesel_b7;12000\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", "--dry-run", p, NULL }), 65);
    cr_expect(strstr(s_out, "row 2 M-1: refused: submit_measurements.measurements[0].id: "
                            "submit_measurements.measurements[0].id: a measurement "
                            "with this id and different content exists; use CorrectMeasurement to "
                            "change it\n"), "%s", s_out);
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
        "3;submitter;;byte 0xFC at character 14 is not UTF-8 (the file is UTF-8: it has a BOM or "
        "other UTF-8 characters); save the sheet as UTF-8 again\n"
        "4;submitter;;control character 0x00 at character 5 (NUL or a control code: not text)\n"
        "5;quantity;1O000;quantity: '1O000' is not a valid value\n"
        "5;id;M-4;id appears earlier in the file\n");
    p = s_file("cols.csv", "id,tender,kleur,kind\nM-7,T-KLIMA,geel,energy\n", 0);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "import", p, NULL }), 65);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-4", NULL }), 65);
    cr_expect_eq(s_ctl((const char *[]){ "measure", "show", "M-7", NULL }), 65);
}
