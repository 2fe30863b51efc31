/*  buyers_profile: benchmark keys of the buyer registry. See buyers_profile.h. */
#include "buyers_profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_kinds[MVOI_BUYER_KINDS] = {
    "", "gemeente", "provincie", "waterschap", "rijk"
};

const char *mvoi_buyer_kind_name(mvoi_buyer_kind_t k)
{
    return k < MVOI_BUYER_KINDS ? s_kinds[k] : "";
}

/* A whole decimal number in [min, max]: no sign, no spaces, no fraction, no overflow. */
static int s_int(const char *key, const char *v, int64_t min, int64_t max, int64_t *out,
                 char *why, size_t cap)
{
    if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18) {
        snprintf(why, cap, "%s: not a whole number: %.40s", key, v);
        return -1;
    }
    int64_t n = strtoll(v, NULL, 10);
    if (n < min || n > max) {
        snprintf(why, cap, "%s: out of range [%lld, %lld]: %.40s", key, (long long)min,
                 (long long)max, v);
        return -1;
    }
    *out = n;
    return 1;
}

static int s_text(char *dst, size_t dcap, const char *key, const char *v, char *why, size_t cap)
{
    if (dst[0]) {
        snprintf(why, cap, "given twice: %s", key);
        return -1;
    }
    if (strlen(v) >= dcap) {
        snprintf(why, cap, "value too long: %s", key);
        return -1;
    }
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 || *c == 0x7f) {
            snprintf(why, cap, "control character in %s", key);
            return -1;
        }
    memcpy(dst, v, strlen(v) + 1);
    return 1;
}

int mvoi_buyers_profile_key(mvoi_buyer_t *b, const char *key, const char *value,
                            char *why, size_t cap)
{
    int64_t n = 0;
    int rc;
    if (strcmp(key, "kind") == 0) {
        for (int k = 1; k < MVOI_BUYER_KINDS; k++)
            if (strcmp(value, s_kinds[k]) == 0) {
                b->kind = (mvoi_buyer_kind_t)k;
                return 1;
            }
        snprintf(why, cap, "kind must be gemeente, provincie, waterschap or rijk: %.40s", value);
        return -1;
    }
    if (strcmp(key, "inhabitants") == 0) {
        if ((rc = s_int(key, value, 1, 100000000, &n, why, cap)) > 0)
            b->inhabitants = n;
        return rc;
    }
    if (strcmp(key, "purchasing_volume_eur") == 0) {
        if ((rc = s_int(key, value, 1, (int64_t)1e15, &n, why, cap)) > 0)
            b->volume_eur = n;
        return rc;
    }
    if (strcmp(key, "inhabitants_year") == 0 || strcmp(key, "purchasing_volume_year") == 0) {
        if ((rc = s_int(key, value, 1900, 2999, &n, why, cap)) > 0)
            *(key[0] == 'i' ? &b->inhabitants_year : &b->volume_year) = (unsigned)n;
        return rc;
    }
    if (strcmp(key, "ambition_level_year") == 0) {
        if ((rc = s_int(key, value, 1900, 2999, &n, why, cap)) > 0)
            b->level_year = (unsigned)n;
        return rc;
    }
    if (strcmp(key, "ambition_level_source") == 0)
        return s_text(b->level_source, sizeof b->level_source, key, value, why, cap);
    if (strncmp(key, "ambition_level.", 15) == 0) {
        static const char *const th[] = { "", "klimaat", "circulair", "milieu", "isv",
                                          "diversiteit_inclusie", "social_return" };
        for (int t = 1; t <= 6; t++)
            if (strcmp(key + 15, th[t]) == 0) {
                if (b->level[t]) {
                    snprintf(why, cap, "given twice: %s", key);
                    return -1;
                }
                if ((rc = s_int(key, value, 1, 5, &n, why, cap)) > 0)
                    b->level[t] = (uint8_t)n;
                return rc;
            }
        snprintf(why, cap, "%s: no such theme", key);
        return -1;
    }
    if (strcmp(key, "inhabitants_source") == 0)
        return s_text(b->inhabitants_source, sizeof b->inhabitants_source, key, value, why, cap);
    if (strcmp(key, "purchasing_volume_source") == 0)
        return s_text(b->volume_source, sizeof b->volume_source, key, value, why, cap);
    return 0;
}

int mvoi_buyers_profile_check(const mvoi_buyer_t *b, char *why, size_t cap)
{
    /* A figure without its year and public source cannot be traced; a year or source
     * without the figure is a typo in the figure's key. */
    bool inh = b->inhabitants || b->inhabitants_year || b->inhabitants_source[0];
    if (inh && !(b->inhabitants && b->inhabitants_year && b->inhabitants_source[0])) {
        snprintf(why, cap, "inhabitants needs inhabitants_year and inhabitants_source");
        return -1;
    }
    bool vol = b->volume_eur || b->volume_year || b->volume_source[0];
    if (vol && !(b->volume_eur && b->volume_year && b->volume_source[0])) {
        snprintf(why, cap, "purchasing_volume_eur needs purchasing_volume_year and "
                           "purchasing_volume_source");
        return -1;
    }
    bool any = false;
    for (int t = 1; t <= 6; t++)
        any = any || b->level[t];
    bool lev = any || b->level_year || b->level_source[0];
    if (lev && !(any && b->level_year && b->level_source[0])) {
        snprintf(why, cap, "ambition_level.<theme> needs ambition_level_year and "
                           "ambition_level_source");
        return -1;
    }
    return 0;
}
