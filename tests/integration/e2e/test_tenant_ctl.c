/*  mvoictl --buyer: every command for the buyer it names; the same tender id for two buyers
 *  is two tenders; a buyer the services do not serve is refused, a malformed one never
 *  leaves mvoictl. Real processes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

/* mvoictl ARGS with the fleet's endpoints and no MVOI_BUYER; output in *out (malloc'd). */
static int s_ctl(e2e_fleet_t *f, char **out, const char *const *args)
{
    char bin[512], path[256];
    h_bin(bin, sizeof bin, "services/mvoictl/mvoictl");
    snprintf(path, sizeof path, "%s/ctl.out", f->dir);
    const char *argv[32] = { bin };
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(path, "w", stdout))
            _exit(126);
        dup2(fileno(stdout), 2);
        unsetenv("MVOI_BUYER");
        setenv("MVOI_CALENDAR_API", f->capi, 1);
        setenv("MVOI_IMPACT_API", f->iapi, 1);
        setenv("MVOI_KPI_API", f->kapi, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    h_proc_t p = { .pid = pid };
    int st = 0;
    cr_assert_eq(h_wait(&p, 20000, &st), 0, "mvoictl hangs");
    FILE *fp = fopen(path, "r");
    *out = calloc(1, 1 << 16);
    if (fp) {
        size_t got = fread(*out, 1, (1 << 16) - 1, fp);
        (*out)[got] = 0;
        fclose(fp);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void s_add(e2e_fleet_t *f, const char *buyer, const char *title)
{
    char *o;
    const char *a[] = { "--buyer", buyer, "tender", "add", "--id", "X-001", "--title", title,
                        "--kind", "werken", "--publication", "2026-02-01", "--group", "GWW",
                        NULL };
    int rc = s_ctl(f, &o, a);
    cr_assert_eq(rc, 0, "%s: tender add: %d %s", buyer, rc, o);
    free(o);
}

Test(tenant_ctl, buyer_flag_scopes_every_command, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    s_add(&f, "venlo", "Riolering Venlo");
    s_add(&f, "heerlen", "Asfalt Heerlen");
    char *o;
    int rc = s_ctl(&f, &o, (const char *[]){ "--buyer", "venlo", "tender", "show", "X-001",
                                             NULL });
    cr_assert_eq(rc, 0, "%s", o);
    cr_expect(strstr(o, "Riolering Venlo") && !strstr(o, "Asfalt Heerlen"), "%s", o);
    free(o);
    /* no --buyer, no MVOI_BUYER: no buyer's tender (it was heerlen's, a guess) */
    rc = s_ctl(&f, &o, (const char *[]){ "tender", "show", "X-001", NULL });
    cr_expect_eq(rc, 64, "no buyer: exit %d: %s", rc, o);
    cr_expect(strstr(o, "geen organisatie") && !strstr(o, "Asfalt Heerlen") &&
              !strstr(o, "Riolering Venlo"), "%s", o);
    free(o);
    rc = s_ctl(&f, &o, (const char *[]){ "--buyer", "atlantis", "tender", "list", NULL });
    cr_expect_eq(rc, 1, "unserved buyer: exit %d: %s", rc, o);
    cr_expect(strstr(o, "wordt hier niet bediend") != NULL, "%s", o);   /* Dutch, the default */
    free(o);
    rc = s_ctl(&f, &o, (const char *[]){ "--lang", "en", "--buyer", "atlantis", "tender", "list",
                                         NULL });
    cr_expect_eq(rc, 1, "unserved buyer: exit %d: %s", rc, o);
    cr_expect(strstr(o, "buyer 'atlantis' is not served here") != NULL, "%s", o);
    free(o);
    rc = s_ctl(&f, &o, (const char *[]){ "--buyer", "Gemeente Venlo", "tender", "list", NULL });
    cr_expect_eq(rc, 64, "malformed buyer: exit %d: %s", rc, o);
    cr_expect(strstr(o, "--buyer") != NULL, "%s", o);
    free(o);
    e2e_fleet_fini(&f, false);
}

/* buyer's X-001 (tender show) shows want and not absent. */
static void s_title_of(e2e_fleet_t *f, const char *buyer, const char *want, const char *absent)
{
    char *o;
    int rc = s_ctl(f, &o, (const char *[]){ "--buyer", buyer, "tender", "show", "X-001", NULL });
    cr_assert_eq(rc, 0, "%s: %s", buyer, o);
    cr_expect(strstr(o, want) != NULL, "%s: '%s' not in: %s", buyer, want, o);
    cr_expect(strstr(o, absent) == NULL, "%s: '%s' in: %s", buyer, absent, o);
    free(o);
}

/* A venlo adviser's sheet without a buyer column, imported without --buyer or MVOI_BUYER:
 * mvoictl took heerlen, and the title went onto heerlen's X-001, exit 0. Now it is refused
 * (64, by name) and both X-001 stay as they were; with the sheet's buyer column naming
 * venlo, venlo's X-001 alone takes it. A measurement sheet without a buyer: refused too. */
Test(tenant_ctl, a_sheet_without_a_buyer_is_filed_under_no_buyer, .timeout = 60)
{
    e2e_fleet_t f;
    e2e_fleet_init(&f, true);
    cr_assert_eq(e2e_fleet_up(&f, 10000), 0, "services did not come up (logs in %s)", f.dir);
    s_add(&f, "venlo", "Riolering Venlo");
    s_add(&f, "heerlen", "Asfalt Heerlen");
    char bare[256], col[256], meas[256];
    snprintf(bare, sizeof bare, "%s/venlo.csv", f.dir);
    snprintf(col, sizeof col, "%s/venlo-buyer.csv", f.dir);
    snprintf(meas, sizeof meas, "%s/venlo-m.csv", f.dir);
    FILE *fp = fopen(bare, "w");
    cr_assert(fp);
    fputs("id;titel;soort\nX-001;Kolken Venlo;werken\n", fp);
    fclose(fp);
    cr_assert((fp = fopen(col, "w")));
    fputs("id;titel;soort;buyer\nX-001;Kolken Venlo;werken;venlo\n", fp);
    fclose(fp);
    cr_assert((fp = fopen(meas, "w")));
    fputs("id;tender;kind;carrier;quantity;period_start;period_end\n"
          "vm1;X-001;energy;hvo100;10;01-01-2026;31-03-2026\n", fp);
    fclose(fp);
    char *o;
    int rc = s_ctl(&f, &o, (const char *[]){ "tender", "import", bare, NULL });
    cr_expect_eq(rc, 64, "sheet without a buyer: exit %d: %s", rc, o);
    cr_expect(strstr(o, "geen organisatie: het blad heeft geen kolom buyer"), "%s", o);
    free(o);
    rc = s_ctl(&f, &o, (const char *[]){ "measure", "import", meas, NULL });
    cr_expect_eq(rc, 64, "measurements without a buyer: exit %d: %s", rc, o);
    free(o);
    s_title_of(&f, "heerlen", "Asfalt Heerlen", "Kolken Venlo");
    s_title_of(&f, "venlo", "Riolering Venlo", "Kolken Venlo");
    rc = s_ctl(&f, &o, (const char *[]){ "--buyer", "heerlen", "measure", "list", NULL });
    cr_expect_eq(rc, 0, "%s", o);
    cr_expect(strstr(o, "vm1") == NULL, "heerlen holds venlo's measurement: %s", o);
    free(o);
    /* the sheet names its buyer: venlo's tender, not heerlen's */
    rc = s_ctl(&f, &o, (const char *[]){ "tender", "import", col, NULL });
    cr_expect_eq(rc, 0, "sheet with venlo in its buyer column: exit %d: %s", rc, o);
    free(o);
    s_title_of(&f, "venlo", "Kolken Venlo", "Riolering Venlo");
    s_title_of(&f, "heerlen", "Asfalt Heerlen", "Kolken Venlo");
    e2e_fleet_fini(&f, false);
}
