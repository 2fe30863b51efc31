/*  mvoi-calendar and mvoictl as real processes: CSV/OCDS imports through mvoictl
 *  (idempotent), a dry run, the CLI's add/update/status/show (fixture: cal_fx.c).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal_fx.h"
#include "harness.h"

static size_t s_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(calendar, demo_csv_import_reimport_unchanged)
{
    static char out[1 << 20];
    int ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL });
    cr_assert_eq(ex, 0, "import: %s", out);
    cr_expect(strstr(out, "32 aangemaakt"), "%s", out);
    uint32_t c;
    uint64_t v;
    cf_fingerprint(&c, &v);
    cr_expect_eq(c, DEMO_ROWS);
    uint64_t h = cf_head();
    cr_expect_eq(h, DEMO_ROWS);
    /* listed through mvoictl too: a header and one line per tender */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "list", "--all", NULL });
    cr_expect_eq(ex, 0);
    cr_expect_eq(s_lines(out), DEMO_ROWS + 1, "%s", out);
    /* the same file again: stored replies, nothing happens */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", DEMO_CSV, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "0 aangemaakt, 0 gewijzigd, 32 ongewijzigd, 0 mislukt"), "%s", out);
    cr_expect_eq(cf_head(), h);
    /* the same content in other bytes (new request ids): unchanged by content */
    char copy[256], cmd[600];
    snprintf(copy, sizeof copy, "%s/copy.csv", F.dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && printf '\\n\\n' >> '%s'", DEMO_CSV, copy, copy);
    cr_assert_eq(system(cmd), 0);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", copy, NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "\"unchanged\": 32"), "%s", out);
    cr_expect(strstr(out, "\"repeated\": 0"), "%s", out);
    cr_expect_eq(cf_head(), h);
    cf_fingerprint(&c, &v);
    cr_expect_eq(v, DEMO_ROWS);   /* every tender still at version 1 */
}

Test(calendar, ocds_samples_and_own_documents)
{
    static char out[1 << 16];
    const char *files[] = {
        SAMPLE_OCDS "/ocds-213czf-000-00001-01-planning.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-02-tender.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-03-tenderAmendment.json",
        SAMPLE_OCDS "/ocds-213czf-000-00001-04-award.json",
        SAMPLE_OCDS "/record-ocds-213czf-000-00001.json",
        DEMO_OCDS "/release-package-heerlen.json",
        DEMO_OCDS "/record-package-heerlen.json",
    };
    /* the samples are in pounds: refused by name, nothing stored as euros (the award
     * release alone carries no tender value: it registers the process, in status awarded,
     * without a value); the demo release package holds one planning notice without a title:
     * refused by name, the rest lands */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int ex = cf_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", files[i], NULL });
        cr_expect_eq(ex, i == 6 || i == 3 ? 0 : 65, "%s: %s", files[i], out);
        if (i < 5 && i != 3)
            cr_expect(strstr(out, "\"id\": \"ocds-213czf-000-00001\", \"outcome\": \"refused\", "
                                  "\"field\": \"tender.value.currency\", \"message\": \"valuta "
                                  "'GBP': alleen bedragen in EUR worden overgenomen (er wordt "
                                  "niets omgerekend)\""),
                      "%s", out);
    }
    cr_expect(strstr(out, "\"created\": 2"), "%s", out);
    int ex = cf_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "import", files[5], NULL });
    cr_expect(strstr(out, "\"id\": \"ocds-hrl001-2026-012\", \"outcome\": \"refused\", "
                          "\"field\": \"tender.title\", \"message\": \"verplicht\""), "%s", out);
    cr_expect_eq(ex, 65);
    uint32_t c;
    uint64_t v;
    cf_fingerprint(&c, &v);
    cr_expect_eq(c, 1 + 3 + 2, "the sample (no value) + 3 + 2 own (one refused for no title)");
    uint64_t h = cf_head();
    /* own documents: Dutch buyer, EUR, CPV of the plan, missing value/date */
    Mvoi__GetTender g = MVOI__GET_TENDER__INIT;
    g.id = "ocds-hrl001-2025-003";
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_TENDER;
    req.get_tender = &g;
    Mvoi__Envelope *r = cf_req(&req);
    Mvoi__Tender *t = cf_ok(r);
    cr_expect_eq(t->kind, MVOI__TENDER_KIND__KIND_WERKEN);
    cr_expect_eq(t->value_cents, 240000000);
    cr_expect_str_eq(t->cpv, "45233141");
    cr_expect_str_eq(t->planned_publication, "2025-06-02");
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_NATIONAAL_OPENBAAR);
    cr_expect_str_eq(t->source, "ocds:ocds-hrl001-2025-003");
    mvoi__envelope__free_unpacked(r, NULL);
    g.id = "ocds-hrl001-2025-009";   /* no value: procedure not derived */
    r = cf_req(&req);
    t = cf_ok(r);
    cr_expect(!t->has_value_cents);
    cr_expect_eq(t->procedure, MVOI__PROCEDURE__PROC_UNSPECIFIED);
    mvoi__envelope__free_unpacked(r, NULL);
    g.id = "ocds-hrl001-2025-008";   /* record package, releases compiled: latest value wins */
    r = cf_req(&req);
    t = cf_ok(r);
    cr_expect_eq(t->value_cents, 320000050);
    cr_expect_str_eq(t->planned_publication, "2025-12-01");
    mvoi__envelope__free_unpacked(r, NULL);
    /* re-import: nothing moves */
    for (size_t i = 5; i < sizeof files / sizeof files[0]; i++)
        cr_expect_eq(cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", files[i], NULL }),
                     i == 5 ? 65 : 0);
    cr_expect_eq(cf_head(), h);
}

Test(calendar, dry_run_reports_bad_cells_imports_nothing)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bad.csv", F.dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("kenmerk;titel;soort;waarde;publicatie;sroi;thema's\n"
          "A-1;Goed;diensten;€ 10.000;01-03-2025;;klimaat\n"
          "A-2;Datum fout;diensten;10.000;31-02-2025;;\n"
          "A-3;Soort fout;bouw;10.000;01-03-2025;;\n"
          "A-4;Bedrag fout;werken;12,34,5;01-03-2025;;\n"
          "A-5;SROI fout;werken;1.000.000;01-03-2025;5,01%;social_return:eis\n", f);
    fclose(f);
    static char out[1 << 16];
    int ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--dry-run", path, NULL });
    cr_expect_eq(ex, 65);
    cr_expect(strstr(out, "3;publicatie;31-02-2025;"), "%s", out);
    cr_expect(strstr(out, "4;soort;bouw;"), "%s", out);
    cr_expect(strstr(out, "5;waarde;12,34,5;"), "%s", out);
    cr_expect(strstr(out, "6;sroi;5,01%;"), "%s", out);
    cr_expect_eq(s_lines(out), 4, "%s", out);
    /* a real import of a file with errors imports nothing either */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", path, NULL });
    cr_expect_eq(ex, 65);
    uint32_t c;
    uint64_t v;
    cf_fingerprint(&c, &v);
    cr_expect_eq(c, 0);
    cr_expect_eq(cf_head(), 0);
    /* the good demo file dry-runs clean */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "import", "--dry-run", DEMO_CSV, NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect_eq(cf_head(), 0);
}

Test(calendar, cli_add_update_status_show)
{
    static char out[1 << 16];
    int ex = cf_ctl(out, sizeof out, (const char *[]){
        "tender", "add", "--id", "CLI-1", "--title", "Bebording", "--kind", "leveringen",
        "--value", "€ 221.000,00", "--publication", "01-06-2025", "--leader",
        "Kees Bos <k.bos@heerlen.nl>", "--theme", "klimaat:eis", "--sdg", "12,13", NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect(strstr(out, "Europees openbaar"), "%s", out);   /* the procedure, in Dutch */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "update", "CLI-1", "--value",
                                                  "220999.99", NULL });
    cr_expect_eq(ex, 0, "%s", out);
    cr_expect(strstr(out, "meervoudig onderhands"), "%s", out);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "status", "CLI-1", "published", NULL });
    cr_expect_eq(ex, 0, "%s", out);   /* not public any more: no kick-off needed */
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "status", "CLI-1", "planned", NULL });
    cr_expect_eq(ex, 65);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "--json", "tender", "show", "CLI-1", NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "\"status\": \"published\""), "%s", out);
    cr_expect(strstr(out, "\"version\": 3"), "%s", out);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "show", "NOPE", NULL });
    cr_expect_eq(ex, 65);
    /* JSON in */
    char path[256];
    snprintf(path, sizeof path, "%s/t.json", F.dir);
    FILE *f = fopen(path, "w");
    fputs("{\"id\": \"CLI-2\", \"title\": \"Stadskrant\", \"kind\": \"diensten\", "
          "\"value_cents\": 14000000, \"planned_publication\": \"2025-11-03\"}\n", f);
    fclose(f);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "add", "--json", path, NULL });
    cr_expect_eq(ex, 0, "%s", out);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "tender", "upcoming", "--from", "2025-10-01",
                                                  "--days", "60", NULL });
    cr_expect_eq(ex, 0);
    cr_expect(strstr(out, "CLI-2"), "%s", out);
    /* unreachable service: 69 */
    h_kill9(&F.proc);
    ex = cf_ctl(out, sizeof out, (const char *[]){ "--timeout", "300", "tender", "show", "CLI-1", NULL });
    cr_expect_eq(ex, 69);
}
