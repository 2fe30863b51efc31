/*  textfmt: a message of the code in the reader's language (common/textfmt.h). The expected
 *  texts are written out by hand: the catalogue's Dutch, the grouping and the month names
 *  as a Dutch reader writes them. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "textfmt.h"

static char s_buf[512];

static const char *s_tr(text_lang_t lang, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    textfmt_vtr(s_buf, sizeof s_buf, lang, prefix, fmt, ap);
    va_end(ap);
    return s_buf;
}

/* The code's English finds its Dutch by the English text; integers of five digits and more
 * are grouped (12 000 and 10 000: "12.000", "10.000"), four digits and years are not. */
Test(textfmt, english_text_finds_its_dutch_and_numbers_are_grouped)
{
    cr_expect_str_eq(s_tr(TEXT_NL, "impact.err.", "%u exceeds products_total %u", 12000u, 10000u),
                     "12.000 is meer dan products_total 10.000");
    cr_expect_str_eq(s_tr(TEXT_EN, "impact.err.", "%u exceeds products_total %u", 12000u, 10000u),
                     "12,000 exceeds products_total 10,000");
    cr_expect_str_eq(s_tr(TEXT_NL, "impact.err.", "year %d outside %d..%d", 1999, 2000, 2100),
                     "jaar 1999 valt buiten 2000..2100");
    cr_expect_str_eq(s_tr(TEXT_NL, "impact.err.", "%lld exceeds the maximum %lld",
                          -1234567LL, 9999LL),
                     "-1.234.567 is meer dan het maximum 9999");
    /* a width is the format's own layout: kept as printf writes it */
    cr_expect_str_eq(s_tr(TEXT_NL, "x.", "%06d|%x|%%|%.3s", 123456, 0xabcdef, "abcdef"),
                     "123456|abcdef|%|abc");
}

/* Only under its own prefix: the same English under another module is not taken. */
Test(textfmt, another_modules_entry_is_not_taken)
{
    cr_expect_str_eq(s_tr(TEXT_NL, "tender.err.", "missing"), "ontbreekt");
    cr_expect_str_eq(s_tr(TEXT_NL, "nosuch.", "missing"), "missing");
    cr_expect_str_eq(textfmt_from_en(TEXT_NL, "impact.err.", "no such text %d"), "no such text %d");
    cr_expect_str_eq(textfmt_from_en(TEXT_NL, "impact.err.", NULL), "");
}

/* An ISO date argument in words; one that is no date (30 February, 29 February of 2023,
 * not ISO) as it came. 2024 is a leap year: 29 February exists. */
Test(textfmt, iso_dates_in_words_others_as_they_came)
{
    cr_expect_str_eq(s_tr(TEXT_NL, "impact.err.", "%s is before period_start %s", "2025-01-31",
                          "2025-03-01"),
                     "31 januari 2025 ligt vóór period_start 1 maart 2025");
    cr_expect_str_eq(s_tr(TEXT_EN, "impact.err.", "%s is before period_start %s", "2025-01-31",
                          "2025-03-01"),
                     "31 January 2025 is before period_start 1 March 2025");
    cr_expect_str_eq(s_tr(TEXT_NL, "x.", "%s %s %s %s", "2024-02-29", "2023-02-29", "2025-02-30",
                          "31-01-2025"),
                     "29 februari 2024 2023-02-29 2025-02-30 31-01-2025");
}

/* A word argument is said in the reader's language; the marker never shows. */
Test(textfmt, words_in_the_readers_language)
{
    const char *w = TEXTFMT_WORD "tender.status.awarded";
    cr_expect_str_eq(s_tr(TEXT_NL, "tender.err.", "tender is already %s", w),
                     "inkooptraject is al gegund");
    cr_expect_str_eq(s_tr(TEXT_EN, "tender.err.", "tender is already %s", w),
                     "tender is already awarded");
}

static int s_into(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = textfmt_vtr(buf, len, TEXT_NL, "tender.err.", fmt, ap);
    va_end(ap);
    return n;
}

/* A small buffer: cut and terminated, the return says what the whole needs (as snprintf):
 * "inkooptraject is al gegund" is 26 bytes. */
Test(textfmt, small_buffer_cut_never_overflowed)
{
    char b[12];
    memset(b, 'x', sizeof b);
    int n = s_into(b, 8, "tender is already %s", TEXTFMT_WORD "tender.status.awarded");
    cr_expect_eq(n, 26);
    cr_expect_str_eq(b, "inkoopt");
    cr_expect_eq(b[8], 'x', "nothing written past the length given");
}

/* A refused value named in a message: at most 16 bytes, never half a character (the
 * reply's text must stay valid UTF-8), control characters shown as '?'. */
Test(textfmt, a_shown_value_is_cut_at_a_character_and_has_no_control_characters)
{
    char out[17];
    textfmt_shown("en", out);
    cr_assert_str_eq(out, "en");
    textfmt_shown("0123456789abcdefXYZ", out);
    cr_assert_str_eq(out, "0123456789abcdef");
    /* 15 ASCII bytes, then "é" (2 bytes): the 16th byte is its first half, dropped */
    textfmt_shown("012345678901234\xc3\xa9", out);
    cr_assert_str_eq(out, "012345678901234");
    textfmt_shown("nl\n\x1b[31m\x7f", out);
    cr_assert_str_eq(out, "nl??[31m?");
    textfmt_shown(NULL, out);
    cr_assert_str_eq(out, "");
}
