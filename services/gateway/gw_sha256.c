/*  gw_sha256: a bearer token's SHA-256 and the comparison of two hashes, by OpenSSL's
 *  libcrypto (already the notifier's for webhook signatures), not by hand. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "gw_auth.h"

int gw_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -EIO;   /* no digest: no token can match it */
    return 0;
}

int gw_ct_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) != 0;
}
