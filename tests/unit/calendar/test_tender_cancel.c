/* tender_cancel: a source's cancellation without a reason, said in the reader's language;
 * a stored English default of before recognised only when it is exactly that text. The
 * expected texts are written out here, not taken from the catalogue. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "tender_cancel.h"

static Mvoi__Tender *s_cancelled(const char *source, const char *reason, bool fact)
{
    Mvoi__Tender *t = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-01-01");
    cal_str_set(&t->source, source);
    cal_str_set(&t->cancel_reason, reason);
    t->has_status = 1;
    t->status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    t->has_cancel_without_reason = fact;
    t->cancel_without_reason = fact;
    return t;
}

static const char *s_say(const Mvoi__Tender *t, text_lang_t lang, char *buf, size_t cap)
{
    const char *out = "unset";
    cr_assert_eq(tender_cancel_reason_say(t, lang, buf, cap, &out), 0);
    return out;
}

Test(tender_cancel, the_fact_is_said_in_the_readers_language)
{
    char buf[TENDER_CANCEL_SAY_MAX];
    Mvoi__Tender *t = s_cancelled("csv", NULL, true);
    cr_expect(tender_cancel_is_default(t));
    cr_expect_str_eq(s_say(t, TEXT_NL, buf, sizeof buf), "geannuleerd door de bron (csv)");
    cr_expect_str_eq(s_say(t, TEXT_EN, buf, sizeof buf), "cancelled by the source (csv)");
    /* what a client read back, in either language, is the stored reason; another is not */
    cr_expect(tender_cancel_reason_same(t, "geannuleerd door de bron (csv)"));
    cr_expect(tender_cancel_reason_same(t, "cancelled by the source (csv)"));
    cr_expect(!tender_cancel_reason_same(t, "geannuleerd door de bron (ocds)"));
    cr_expect(!tender_cancel_reason_same(t, ""));
    tender_free(t);
}

Test(tender_cancel, a_stored_english_default_is_recognised_exactly)
{
    char buf[TENDER_CANCEL_SAY_MAX];
    /* written before the fact was kept: the text with the tender's own source */
    Mvoi__Tender *t = s_cancelled("csv", "cancelled by the source (csv)", false);
    cr_expect_str_eq(s_say(t, TEXT_NL, buf, sizeof buf), "geannuleerd door de bron (csv)");
    cr_expect_str_eq(s_say(t, TEXT_EN, buf, sizeof buf), "cancelled by the source (csv)");
    tender_free(t);
    /* an upsert row without a source wrote "import" while the tender took "api" */
    t = s_cancelled("api", "cancelled by the source (import)", false);
    cr_expect_str_eq(s_say(t, TEXT_NL, buf, sizeof buf), "geannuleerd door de bron (import)");
    tender_free(t);
    /* not exactly the default: someone's own words, shown as written in every language */
    const char *own[] = { "cancelled by the source (csv) wegens budget",
                          "cancelled by the source (ocds)", "Cancelled by the source (csv)",
                          "cancelled by the source (csv", "cancelled by the source ()" };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
        t = s_cancelled("csv", own[i], false);
        cr_expect(!tender_cancel_is_default(t), "%s", own[i]);
        cr_expect_str_eq(s_say(t, TEXT_NL, buf, sizeof buf), own[i]);
        tender_free(t);
    }
}

Test(tender_cancel, a_given_reason_wins_and_none_is_none)
{
    char buf[TENDER_CANCEL_SAY_MAX];
    /* a reason beside the fact (not written so by the calendar): the reason as given */
    Mvoi__Tender *t = s_cancelled("csv", "budget vervallen", true);
    cr_expect_str_eq(s_say(t, TEXT_NL, buf, sizeof buf), "budget vervallen");
    tender_free(t);
    t = s_cancelled("csv", NULL, false);
    cr_expect_null(s_say(t, TEXT_EN, buf, sizeof buf));
    tender_free(t);
}

Test(tender_cancel, a_buffer_too_small_is_refused_not_cut)
{
    Mvoi__Tender *t = s_cancelled("csv", NULL, true);
    /* "geannuleerd door de bron (csv)" is 30 bytes: 31 with its NUL fit, 30 do not */
    char buf[31];
    const char *out = "unset";
    cr_expect_eq(tender_cancel_reason_say(t, TEXT_NL, buf, 30, &out), -ENOSPC);
    cr_expect_null(out);
    cr_expect_eq(tender_cancel_reason_say(t, TEXT_NL, buf, 31, &out), 0);
    cr_expect_str_eq(out, "geannuleerd door de bron (csv)");
    tender_free(t);
}
