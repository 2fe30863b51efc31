/*  unit_tmp: see unit_tmp.h. */
#include "unit_tmp.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

void ut_tmpdir(char *dir, size_t len, const char *name)
{
    snprintf(dir, len, "/tmp/mvoi-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(dir));
}

void ut_tmpdir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}
