/*  The ambition levels file is read whole or refused by line. A line that was not
 *  "theme;year;level" with a theme of the plan and a level 1..5 was skipped without a
 *  word, and its theme's level then read "niet vastgelegd" in every report (HTML, XLSX,
 *  null in the JSON, no CSV row): a typo "klimat", a ',' for ';', a level 6, a theme and
 *  year given twice. Comments, blank lines and CRLF line ends are fine. The shipped file
 *  (data/ambition-levels.csv) loads.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static int s_load(const char *text, int *bad)
{
    char path[] = "/tmp/mvoi-levels-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = rp_levels_load(path, bad);
    unlink(path);
    return rc;
}

Test(levels, a_line_that_is_no_level_is_refused_by_number)
{
    static const struct { const char *text; int line; } bad[] = {
        { "# levels\nklimaat;2026;3\nklimat;2026;3\n", 3 },       /* typo in the theme */
        { "klimaat,2026,3\n", 1 },                                 /* ',' for ';' */
        { "klimaat;2026;3\ncirculair;2026;6\n", 2 },               /* level 6 */
        { "klimaat;2026;3\nklimaat;2026;4\n", 2 },                 /* given twice */
        { "milieu;2026;2 extra\n", 1 },                            /* trailing text */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int line = -1;
        cr_expect_eq(s_load(bad[i].text, &line), -EINVAL, "case %zu", i);
        cr_expect_eq(line, bad[i].line, "case %zu: line %d", i, line);
    }
    /* a refused file loads nothing: the plan's own 2023 and 2027 only */
    cr_expect_eq(rp_level(1, 2026), 0);
    cr_expect_eq(rp_level(1, 2023), 2);
}

Test(levels, comments_blank_lines_and_crlf_are_fine)
{
    int line = -1;
    cr_expect_eq(s_load("# c\r\n\r\nklimaat;2026;3\r\n  \nsocial_return;2026;4", &line), 2);
    cr_expect_eq(line, 0);
    cr_expect_eq(rp_level(1, 2026), 3);
    cr_expect_eq(rp_level(6, 2026), 4);
    cr_expect_gt(rp_levels_load(MVOI_REPORT_DATA_DIR_SRC "/ambition-levels.csv", &line), 0,
                 "line %d", line);
    rp_levels_load(NULL, NULL);
}
