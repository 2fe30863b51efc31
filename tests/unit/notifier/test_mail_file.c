/*  The file name of a mail written as a file (the notifier without an SMTP URL). It was
 *  the reminder id with every other character than [A-Za-z0-9._-] as '_', cut at 255:
 *  buyer "venlo" with tender "x_T0001" and buyer "venlo_x" with tender "T0001" wrote the
 *  coordinator's copy to the same file, and the second rename replaced the first buyer's
 *  mail while both were recorded sent; two recipients of one long id did the same. */
#include <criterion/criterion.h>
#include <string.h>

#include "nt_util.h"

static void s_name(const char *id, char out[NT_FILE_NAME_MAX])
{
    nt_mail_file_name(id, out);
    cr_assert_lt(strlen(out), NT_FILE_NAME_MAX);
    cr_assert_leq(strlen(out), 255, "longer than a file name may be: %zu", strlen(out));
    for (const char *p = out; *p; p++)
        cr_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p),
                  "'%c' in %s", *p, out);
    cr_assert_eq(strcmp(out + strlen(out) - 4, ".eml"), 0);
}

Test(nt_mail_file, two_buyers_ids_that_read_alike_get_two_files)
{
    char a[NT_FILE_NAME_MAX], b[NT_FILE_NAME_MAX], a2[NT_FILE_NAME_MAX];
    s_name("venlo/x_T0001/kickoff_late/1/v0/coord@example.org", a);
    s_name("venlo_x/T0001/kickoff_late/1/v0/coord@example.org", b);
    cr_expect_str_neq(a, b);
    s_name("venlo/x_T0001/kickoff_late/1/v0/coord@example.org", a2);
    cr_expect_str_eq(a, a2, "the same id must give the same file (a resend replaces it)");
    cr_expect_eq(strncmp(a, "venlo_x_T0001_kickoff_late_1_v0_coord_example.org-", 50), 0,
                 "still readable: %s", a);
}

Test(nt_mail_file, long_ids_that_differ_at_the_end_get_two_files)
{
    char id1[400], id2[400], a[NT_FILE_NAME_MAX], b[NT_FILE_NAME_MAX];
    memset(id1, 'T', 300);
    strcpy(id1 + 300, "/kickoff_invitation/1/v0/pl@heerlen.example");
    strcpy(id2, id1);
    id2[strlen(id2) - 9] = 'X';   /* another recipient, past any cut */
    s_name(id1, a);
    s_name(id2, b);
    cr_expect_str_neq(a, b);
}
