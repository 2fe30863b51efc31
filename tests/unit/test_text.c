#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

Test(text, dutch_by_default_english_selectable)
{
    text_lang_t l = TEXT_EN;
    cr_assert_eq(text_lang_parse("nl", &l), 0);
    cr_assert_eq(l, TEXT_NL);
    cr_assert_str_eq(text_get(TEXT_NL, "theme.klimaat"), "Klimaat");
    cr_assert_str_eq(text_get(TEXT_EN, "theme.klimaat"), "Climate");
    cr_assert_eq(text_lang_parse("en-GB", &l), 0);
    cr_assert_eq(l, TEXT_EN);
    cr_assert_lt(text_lang_parse("de", &l), 0);
    cr_assert_lt(text_lang_parse("english", &l), 0);
}

Test(text, unknown_key_shows_itself)
{
    cr_assert_str_eq(text_get(TEXT_NL, "no.such.key"), "no.such.key");
    cr_assert(!text_has("no.such.key"));
}

/* Every entry: unique key, both translations present, same printf conversions. */
static void s_conversions(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = s; *p && n + 2 < len; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        while (*p && strchr("-+ #0123456789.lhzjt", *p))
            p++;
        if (!*p)
            break;   /* a '%' at the end (plain text such as "100 %"): nothing after it */
        out[n++] = *p;
    }
    out[n] = 0;
}

Test(text, catalogue_is_consistent)
{
    int n = text_count();
    cr_assert_gt(n, 10);
    for (int i = 0; i < n; i++) {
        const char *k = text_key(i);
        for (int j = i + 1; j < n; j++)
            cr_assert_str_neq(k, text_key(j), "duplicate key %s", k);
        const char *nl = text_get(TEXT_NL, k), *en = text_get(TEXT_EN, k);
        cr_assert(nl && *nl && en && *en, "empty translation for %s", k);
        char a[32], b[32];
        s_conversions(nl, a, sizeof a);
        s_conversions(en, b, sizeof b);
        cr_assert_str_eq(a, b, "printf conversions differ for %s", k);
    }
}
