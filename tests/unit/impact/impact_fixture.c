/*  Shared helpers of the impact_core tests. */
#define _XOPEN_SOURCE 700   /* nftw */
#include "impact_fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

factors_t *
fx_factors(void)
{
    factors_t *f = factors_new();
    cr_assert_not_null(f);
    char err[512] = "";
    int rc = factors_load_dir(f, MVOI_IMPACT_DATA_DIR, err, sizeof err);
    cr_assert_eq(rc, 0, "loading shipped tables: %s", err);
    return f;
}

void
fx_envelope(Mvoi__Measurement *m)
{
    mvoi__measurement__init(m);
    m->id = "m-2026-001";
    m->tender_id = "T-2026-017";
    m->has_phase = 1;
    m->phase = MVOI__PHASE__PHASE_REALISATION;
    m->period_start = "2026-01-01";
    m->period_end = "2026-03-31";
    m->submitter = "leverancier@example.nl";
}

/* The directories fx_tmpdir made in this test process, removed when it exits: the tests
 * did not remove them, and a few thousand piled up in /tmp. */
static char s_dirs[16][64];
static int s_ndirs;

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_remove_dirs(void)
{
    for (int i = 0; i < s_ndirs; i++)
        nftw(s_dirs[i], s_rm, 8, FTW_DEPTH | FTW_PHYS);
}

void
fx_tmpdir(char *out, size_t len)
{
    snprintf(out, len, "/tmp/mvoi-impact-XXXXXX");
    cr_assert_not_null(mkdtemp(out));
    cr_assert_lt(s_ndirs, 16, "fx_tmpdir: at most 16 directories a test");
    if (s_ndirs == 0)
        atexit(s_remove_dirs);
    snprintf(s_dirs[s_ndirs++], sizeof s_dirs[0], "%s", out);
}

void
fx_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
}

void
fx_copy(const char *from_dir, const char *name, const char *to_dir)
{
    char path[512], text[16384];
    snprintf(path, sizeof path, "%s/%s", from_dir, name);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    size_t n = fread(text, 1, sizeof text - 1, fp);
    cr_assert(feof(fp), "%s fits the copy buffer", path);
    fclose(fp);
    text[n] = '\0';
    fx_write(to_dir, name, text);
}

void
fx_expect_error(const factors_t *f, const Mvoi__Measurement *m, int rc, const char *field)
{
    impact_error_t err;
    Mvoi__Impact *imp = (Mvoi__Impact *) 0x1;
    int got = calc_impact(f, m, &imp, &err);
    cr_assert_eq(got, rc, "rc %d, expected %d (%s)", got, rc, err.message);
    cr_assert_null(imp, "no impact on error");
    cr_assert_str_eq(err.field, field, "field '%s', expected '%s' (%s)", err.field, field,
                     err.message);
    cr_assert_eq(strncmp(err.message, field, strlen(field)), 0, "message names the field: %s",
                 err.message);
    cr_assert_neq(err.code, 0);
}
