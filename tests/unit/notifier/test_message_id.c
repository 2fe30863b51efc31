/*  The Message-ID of a reminder's mail: "<32 hex.mvoi@domain>", the domain taken from
 *  mail_from. It was written into 200 bytes, so a domain of more than about 160
 *  characters lost the closing '>' (stored in the reminder, sent as the header, and used
 *  to recognise a mail sent again after a crash). A domain may have 253 characters: the
 *  id is whole; a longer one is refused at start (nt_msg_domain_ok). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nt_msg.h"

static void s_domain(char *out, size_t len)
{
    /* labels of 63, 63, 63 and 61 characters: 253 with the dots */
    size_t o = 0;
    const int labels[] = { 63, 63, 63, 61 };
    for (int l = 0; l < 4; l++) {
        if (l)
            out[o++] = '.';
        memset(out + o, 'a' + l, (size_t)labels[l]);
        o += (size_t)labels[l];
    }
    cr_assert_lt(o, len);
    out[o] = 0;
}

Test(nt_message_id, a_domain_of_253_characters_is_whole)
{
    char dom[300], from[400], mid[NT_MSG_ID_MAX];
    s_domain(dom, sizeof dom);
    cr_assert_eq(strlen(dom), 253);
    snprintf(from, sizeof from, "MVOI <noreply@%s>", dom);
    cr_assert(nt_msg_domain_ok(from));
    nt_msg_message_id(mid, sizeof mid, "heerlen/T0001/kickoff_invitation/1/v0/pl@x.nl", from);
    size_t n = strlen(mid);
    cr_expect_eq(mid[0], '<');
    cr_expect_eq(mid[n - 1], '>', "cut: %s", mid);
    cr_expect(strstr(mid, dom), "the domain is not whole in %s", mid);
    cr_expect_eq(n, 1 + 32 + strlen(".mvoi@") + 253 + 1);
    char longer[400];
    snprintf(longer, sizeof longer, "noreply@x%s", dom);
    cr_expect(!nt_msg_domain_ok(longer), "a domain of 254 characters was taken");
}
