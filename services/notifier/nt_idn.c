/*  nt_idn: see nt_idn.h. */
#include "nt_idn.h"

#include <errno.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* A host name (RFC 1123 2.1, RFC 1035 2.3.4): labels of 1..63 letters, digits and hyphens,
 * at most 253 characters. idn2 without STD3 rules maps "⁉" to "!?", and with them to "":
 * both succeed, neither is a domain a relay can deliver to. */
static bool s_host_name(const char *d)
{
    size_t total = strlen(d), label = 0;
    if (total == 0 || total > 253)
        return false;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63)
                return false;
            if (*p == '\0')
                return true;
            label = 0;
            continue;
        }
        bool ldh = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-';
        if (!ldh)
            return false;
        label++;
    }
}

int nt_idn_address(const char *addr, char *out, size_t cap, char *why, size_t whylen)
{
    if (cap)
        out[0] = '\0';
    const char *at = strrchr(addr, '@');
    if (!at || s_ascii(at + 1)) {
        size_t n = strlen(addr);
        if (n >= cap)
            return -ENOSPC;
        memcpy(out, addr, n + 1);
        return 0;
    }
    char *ace = NULL;
    int rc = idn2_to_ascii_8z(at + 1, &ace,
                              IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT | IDN2_USE_STD3_ASCII_RULES);
    if (rc == IDN2_MALLOC)
        return -ENOMEM;
    if (rc != IDN2_OK) {
        snprintf(why, whylen, "the domain \"%s\" has no A-label form (IDNA2008, UTS #46): %s",
                 at + 1, idn2_strerror(rc));
        return -EINVAL;
    }
    if (!s_host_name(ace)) {
        snprintf(why, whylen, "the domain \"%s\" has no A-label form (IDNA2008, UTS #46): "
                 "what it gives is not a host name", at + 1);
        idn2_free(ace);
        return -EINVAL;
    }
    size_t local = (size_t)(at - addr), dl = strlen(ace);
    if (local + 1 + dl >= cap) {
        idn2_free(ace);
        return -ENOSPC;
    }
    memcpy(out, addr, local + 1);
    memcpy(out + local + 1, ace, dl + 1);
    idn2_free(ace);
    return 0;
}
