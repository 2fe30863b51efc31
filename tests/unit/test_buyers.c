/*  buyers: the registry file, its errors by line, lookups, open mode. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buyers.h"
#include "unit_tmp.h"

static const char *s_write(const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/mvoi-buyers-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(buyers, shipped_registry_loads)
{
    char err[512];
    mvoi_buyers_t *b = mvoi_buyers_load(MVOI_BUYERS_FILE_SRC, false, err, sizeof err);
    cr_assert(b, "%s", err);
    cr_assert_str_eq(mvoi_buyers_name(b, "heerlen"), "Gemeente Heerlen");
    cr_assert_str_eq(mvoi_buyers_find(b, "venlo")->domain, "venlo.nl");
    cr_assert(mvoi_buyers_accepts(b, "landgraaf"));
    cr_assert(!mvoi_buyers_accepts(b, "atlantis"));
    cr_assert_null(mvoi_buyers_find(b, "atlantis"));
    cr_assert_str_eq(mvoi_buyers_at(b, 0)->id, "heerlen", "file order");
    mvoi_buyers_destroy(&b);
    cr_assert_null(b);
}

Test(buyers, open_mode_accepts_valid_ids_only)
{
    char err[512];
    mvoi_buyers_t *b = mvoi_buyers_load(s_write("[heerlen]\nname = Gemeente Heerlen\n"), true,
                                        err, sizeof err);
    cr_assert(b, "%s", err);
    cr_assert(mvoi_buyers_accepts(b, "atlantis"));
    cr_assert_str_eq(mvoi_buyers_name(b, "atlantis"), "atlantis");
    cr_assert(!mvoi_buyers_accepts(b, "Atlantis"));
    cr_assert(!mvoi_buyers_accepts(b, ""));
    mvoi_buyers_destroy(&b);
}

Test(buyers, bad_files_named_with_line)
{
    const struct { const char *text, *want; } cases[] = {
        { "[heerlen]\nname = H\n[Heerlen]\nname = x\n", ":4: buyer id character 1" },
        { "[heerlen]\nname = H\n[heerlen]\nname = x\n", ":4: given twice (a duplicate section?): name" },
        { "[heerlen]\nnaam = H\n", ":2: unknown key naam" },
        { "[heerlen]\nname = H\norganizer = nobody\n", ":3: organizer must be a mail" },
        { "name = H\n", ":1: a key outside a [buyer] section" },
        { "[heerlen]\ndomain = heerlen.nl\n", "buyer heerlen has no name" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        mvoi_buyers_t *b = mvoi_buyers_load(s_write(cases[i].text), false, err, sizeof err);
        cr_assert_null(b, "case %zu accepted", i);
        cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
    }
    char err[512];
    cr_assert_null(mvoi_buyers_load("/nonexistent/buyers.ini", false, err, sizeof err));
    cr_assert(strstr(err, "No such file"), "%s", err);
}
