/*  nt_idn: an address's domain in A-labels. The expected A-labels are RFC 3492's Punycode
 *  of the U-labels, as Python's codec writes them ('bücher'.encode('idna') ==
 *  b'xn--bcher-kva'), not taken from the code under test. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "nt_idn.h"

static int s_conv(const char *addr, char *out, size_t cap, char *why)
{
    why[0] = '\0';
    return nt_idn_address(addr, out, cap, why, NT_IDN_WHY_MAX);
}

Test(nt_idn, a_u_label_domain_becomes_its_a_label_the_local_part_kept)
{
    char out[NT_IDN_ADDR_MAX], why[NT_IDN_WHY_MAX];
    cr_assert_eq(s_conv("jan@bücher.nl", out, sizeof out, why), 0, "%s", why);
    cr_assert_str_eq(out, "jan@xn--bcher-kva.nl");
    /* UTS #46 maps the upper case and the full-width stop (U+3002) too */
    cr_assert_eq(s_conv("Jan@BÜCHER\xe3\x80\x82nl", out, sizeof out, why), 0, "%s", why);
    cr_assert_str_eq(out, "Jan@xn--bcher-kva.nl");
    /* a UTF-8 local part stays as it is (only SMTPUTF8 carries it) */
    cr_assert_eq(s_conv("josé@bücher.nl", out, sizeof out, why), 0, "%s", why);
    cr_assert_str_eq(out, "josé@xn--bcher-kva.nl");
}

Test(nt_idn, an_ascii_domain_is_copied_as_it_is)
{
    char out[NT_IDN_ADDR_MAX], why[NT_IDN_WHY_MAX];
    cr_assert_eq(s_conv("Inkoop@Gemeente.Example", out, sizeof out, why), 0);
    cr_assert_str_eq(out, "Inkoop@Gemeente.Example");
    cr_assert_eq(s_conv("josé@gemeente.example", out, sizeof out, why), 0);
    cr_assert_str_eq(out, "josé@gemeente.example");
}

Test(nt_idn, a_domain_with_no_a_label_form_is_refused_by_name)
{
    char out[NT_IDN_ADDR_MAX], why[NT_IDN_WHY_MAX];
    /* U+2603 SNOWMAN: DISALLOWED in IDNA2008 */
    cr_assert_eq(s_conv("jan@b☃.example", out, sizeof out, why), -EINVAL);
    cr_assert(strstr(why, "the domain \"b☃.example\" has no A-label form"), "%s", why);
    cr_assert_str_eq(out, "");
    /* U+200D ZERO WIDTH JOINER without its context (RFC 5892 A.2) */
    cr_assert_eq(s_conv("jan@a\xe2\x80\x8d" "b.example", out, sizeof out, why), -EINVAL);
    /* U+2049 maps to "!?", which STD3 rules drop: an empty label, no host name */
    cr_assert_eq(s_conv("jan@\xe2\x81\x89.example", out, sizeof out, why), -EINVAL);
    cr_assert(strstr(why, "not a host name"), "%s", why);
    /* a label that starts with a hyphen (RFC 5891 4.2.3.1) */
    cr_assert_eq(s_conv("jan@-bücher.example", out, sizeof out, why), -EINVAL);
}

Test(nt_idn, a_buffer_too_small_is_a_named_error_not_a_cut)
{
    char out[20], why[NT_IDN_WHY_MAX];
    /* "jan@xn--bcher-kva.nl" is 20 bytes: it needs 21 with its NUL */
    cr_assert_eq(s_conv("jan@bücher.nl", out, sizeof out, why), -ENOSPC);
    cr_assert_str_eq(out, "");
    cr_assert_eq(s_conv("jan@bücher.n", out, sizeof out, why), 0);
    cr_assert_str_eq(out, "jan@xn--bcher-kva.n");
    cr_assert_eq(s_conv("jan@gemeente.example", out, sizeof out, why), -ENOSPC);
    cr_assert_str_eq(out, "");
}
