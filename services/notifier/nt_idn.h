/*  nt_idn: an e-mail address in the form any relay takes, its domain in A-labels.
 *
 *  "jan@bücher.nl" needs no SMTPUTF8 (RFC 6531) when its domain is written as an A-label,
 *  "jan@xn--bcher-kva.nl" (IDNA2008 with the UTS #46 mapping, libidn2): only a local part
 *  that is not ASCII does. The envelope (MAIL FROM, RCPT TO) and To: carry that form.
 *  libcurl converts a domain only with libidn2 and a UTF-8 locale (a service in the C
 *  locale sent the raw bytes), so the conversion is done here, before libcurl sees it.
 */
#ifndef MVOI_NT_IDN_H
#define MVOI_NT_IDN_H

#include <stddef.h>

/* A local part (at most 64 bytes, mvoi_id_address_why), '@', a domain of at most 253
 * characters (RFC 1035), its NUL: every address converted fits. */
#define NT_IDN_ADDR_MAX (64 + 1 + 253 + 1)
/* Room for a reason naming the domain whole (at most 252 bytes in an address of 254) and
 * libidn2's words. */
#define NT_IDN_WHY_MAX 512

/* addr ("local@domain") into out with its domain in A-labels; a domain that is ASCII is
 * copied as it is. 0; -EINVAL and why when the domain has no A-label form (idn2 refuses
 * it, or what it gives is not a host name: empty or over-long labels, not letters, digits
 * and hyphens); -ENOSPC when out cannot hold it whole (out is then ""); -ENOMEM. */
int nt_idn_address(const char *addr, char *out, size_t cap, char *why, size_t whylen);

#endif
