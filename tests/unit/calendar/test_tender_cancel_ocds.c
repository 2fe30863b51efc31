/* tender_cancel_ocds: a cancellation by an OCDS release, said from its facts in the
 * reader's language; a stored English sentence of before recognised only in exactly the
 * forms the import wrote, on a tender from OCDS. The expected texts are written out here,
 * not taken from the catalogue. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "tender_cancel.h"
#include "tender_cancel_ocds.h"

static Mvoi__Tender *s_ocds(const char *details, const char *rel, const char *date, bool facts)
{
    Mvoi__Tender *t = cal_test_tender("ocds-x-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000,
                                      "2027-01-01");
    cal_str_set(&t->source, "ocds:ocds-x-1");
    cal_str_set(&t->cancel_reason, details);
    t->has_status = 1;
    t->status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    if (facts)
        cr_assert_eq(tender_cancel_ocds_set(t, false, rel, date), 0);
    return t;
}

static void s_expect(const Mvoi__Tender *t, const char *nl, const char *en)
{
    char buf[TENDER_CANCEL_SAY_MAX];
    const char *out = "unset";
    cr_assert(tender_cancel_is_said(t));
    cr_assert_eq(tender_cancel_reason_say(t, TEXT_NL, buf, sizeof buf, &out), 0);
    cr_expect_str_eq(out, nl);
    cr_assert_eq(tender_cancel_reason_say(t, TEXT_EN, buf, sizeof buf, &out), 0);
    cr_expect_str_eq(out, en);
    /* what a client read back, in either language, is the stored reason */
    cr_expect(tender_cancel_reason_same(t, nl));
    cr_expect(tender_cancel_reason_same(t, en));
}

Test(tender_cancel_ocds, the_facts_are_said_in_the_readers_language)
{
    /* the release's instant is the day it was in Amsterdam, in words: 23:30 UTC on 20 May
     * is 01:30 CEST on 21 May */
    const char *d = "2025-05-20T23:30:00Z";
    Mvoi__Tender *t = s_ocds(NULL, "r-9", d, true);
    s_expect(t, "geannuleerd in OCDS-publicatie r-9 (21 mei 2025)",
             "cancelled in OCDS release r-9 (21 May 2025)");
    tender_free(t);
    /* a date that cannot be read: as written */
    t = s_ocds(NULL, "r-9", "gisteren", true);
    s_expect(t, "geannuleerd in OCDS-publicatie r-9 (gisteren)",
             "cancelled in OCDS release r-9 (gisteren)");
    tender_free(t);
    t = s_ocds(NULL, "r-9", NULL, true);
    s_expect(t, "geannuleerd in OCDS-publicatie r-9 (zonder datum)",
             "cancelled in OCDS release r-9 (no date)");
    tender_free(t);
    t = s_ocds(NULL, NULL, d, true);
    s_expect(t, "geannuleerd in een OCDS-publicatie zonder id (21 mei 2025)",
             "cancelled in an OCDS release without an id (21 May 2025)");
    tender_free(t);
    t = s_ocds(NULL, NULL, NULL, true);
    s_expect(t, "geannuleerd in een OCDS-publicatie zonder id en zonder datum",
             "cancelled in an OCDS release without an id or a date");
    tender_free(t);
    /* the publisher's statusDetails, as given, with the release's date */
    t = s_ocds("Ingetrokken: geen inschrijvingen", "r-9", d, true);
    s_expect(t, "Ingetrokken: geen inschrijvingen (OCDS-publicatie van 21 mei 2025)",
             "Ingetrokken: geen inschrijvingen (OCDS 21 May 2025)");
    tender_free(t);
    t = s_ocds("Ingetrokken", "r-9", NULL, true);
    s_expect(t, "Ingetrokken (OCDS-publicatie zonder datum)", "Ingetrokken (OCDS, no date)");
    tender_free(t);
}

Test(tender_cancel_ocds, a_stored_english_sentence_is_recognised_exactly)
{
    /* the forms the import wrote before the facts were kept */
    Mvoi__Tender *t = s_ocds("cancelled in OCDS release r (1) (2025-05-20T16:00:00+02:00)",
                             NULL, NULL, false);
    s_expect(t, "geannuleerd in OCDS-publicatie r (1) (20 mei 2025)",
             "cancelled in OCDS release r (1) (20 May 2025)");
    tender_free(t);
    t = s_ocds("cancelled in OCDS release ? (no date)", NULL, NULL, false);
    s_expect(t, "geannuleerd in OCDS-publicatie ? (zonder datum)",
             "cancelled in OCDS release ? (no date)");
    tender_free(t);
    t = s_ocds("Ingetrokken (OCDS 2025-05-20)", NULL, NULL, false);
    s_expect(t, "Ingetrokken (OCDS-publicatie van 20 mei 2025)", "Ingetrokken (OCDS 20 May 2025)");
    tender_free(t);
    t = s_ocds("Ingetrokken (OCDS )", NULL, NULL, false);
    s_expect(t, "Ingetrokken (OCDS-publicatie zonder datum)", "Ingetrokken (OCDS, no date)");
    tender_free(t);
    /* not exactly those forms: someone's own words, shown as written */
    const char *own[] = { "cancelled in OCDS release r-1 (gisteren)",
                          "cancelled in OCDS release (2025-05-20)",
                          "Cancelled in OCDS release r-1 (2025-05-20)",
                          "cancelled in OCDS release r-1 (2025-05-20",
                          "Ingetrokken (OCDS 20 mei)", "(OCDS 2025-05-20)",
                          "Ingetrokken (OCDS 2025-05-20) door de raad" };
    char buf[TENDER_CANCEL_SAY_MAX];
    for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
        const char *out = NULL;
        t = s_ocds(own[i], NULL, NULL, false);
        cr_expect(!tender_cancel_is_said(t), "%s", own[i]);
        cr_assert_eq(tender_cancel_reason_say(t, TEXT_NL, buf, sizeof buf, &out), 0);
        cr_expect_str_eq(out, own[i]);
        tender_free(t);
    }
    /* the same text on a tender that is not from OCDS: a person's words */
    t = s_ocds("cancelled in OCDS release r-1 (no date)", NULL, NULL, false);
    cal_str_set(&t->source, "csv");
    cr_expect(!tender_cancel_is_said(t));
    tender_free(t);
}

Test(tender_cancel_ocds, a_buffer_too_small_is_refused_not_cut)
{
    Mvoi__Tender *t = s_ocds(NULL, "r-9", NULL, true);
    /* "geannuleerd in OCDS-publicatie r-9 (zonder datum)" is 49 bytes: 50 with its NUL */
    char buf[50];
    const char *out = "unset";
    cr_expect_eq(tender_cancel_reason_say(t, TEXT_NL, buf, 49, &out), -ENOSPC);
    cr_expect_null(out);
    cr_expect_eq(tender_cancel_reason_say(t, TEXT_NL, buf, 50, &out), 0);
    cr_expect_str_eq(out, "geannuleerd in OCDS-publicatie r-9 (zonder datum)");
    tender_free(t);
}
