/* tender_ambition_kept: a tender whose status says its ambition is recorded keeps a complete
 * ambition. Before, `tender ambition ID --theme circulair` on a published tender (ambition
 * klimaat:eis) stored "published, ambition not complete", and a re-imported sheet without a
 * themes column did the same to every such tender, silently. */
#include <criterion/criterion.h>
#include <errno.h>

#include "cal_test.h"
#include "system.pb-c.h"

TestSuite(ambition_kept);

/* A tender at status with themes klimaat (commitment c1) and, when c2 is not -1, circulair
 * (c2; 0 is "no commitment yet"). */
static Mvoi__Tender *s_tender(Mvoi__TenderStatus status, Mvoi__Commitment c1, int c2)
{
    Mvoi__Tender *t = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-03-01");
    t->has_status = 1;
    t->status = status;
    cr_assert_geq(tender_add_theme(t, MVOI__THEME__THEME_KLIMAAT, c1), 0);
    if (c2 >= 0)
        cr_assert_geq(tender_add_theme(t, MVOI__THEME__THEME_CIRCULAIR, (Mvoi__Commitment)c2), 0);
    return t;
}

Test(ambition_kept, dropping_a_commitment_after_ambition_recorded_is_refused)
{
    const Mvoi__TenderStatus recorded[] = {
        MVOI__TENDER_STATUS__STATUS_AMBITION_RECORDED, MVOI__TENDER_STATUS__STATUS_PUBLISHED,
        MVOI__TENDER_STATUS__STATUS_AWARDED, MVOI__TENDER_STATUS__STATUS_IN_EXECUTION };
    for (size_t i = 0; i < sizeof recorded / sizeof *recorded; i++) {
        Mvoi__Tender *old = s_tender(recorded[i], MVOI__COMMITMENT__COMMIT_EIS, -1);
        /* a second theme without commitment */
        Mvoi__Tender *t = s_tender(recorded[i], MVOI__COMMITMENT__COMMIT_EIS,
                                   MVOI__COMMITMENT__COMMIT_UNSPECIFIED);
        tender_error_t e = { 0 };
        cr_expect_eq(tender_ambition_kept(old, t, &e), -EPERM, "status %d", recorded[i]);
        cr_expect_eq(e.code, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION);
        cr_expect_str_eq(e.field, "tender.themes");
        cr_expect(strstr(e.message, "(klimaat:eis)"), "%s", e.message);
        tender_free(t);
        /* no theme at all (a sheet without a themes column) */
        t = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-03-01");
        cr_expect_eq(tender_ambition_kept(old, t, &e), -EPERM);
        tender_free(t);
        tender_free(old);
    }
}

Test(ambition_kept, before_the_ambition_or_when_it_stays_complete_nothing_is_refused)
{
    tender_error_t e = { 0 };
    Mvoi__Tender *none = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-03-01");
    /* planned and kickoff_scheduled: the ambition is still being recorded */
    Mvoi__Tender *old = s_tender(MVOI__TENDER_STATUS__STATUS_KICKOFF_SCHEDULED,
                                 MVOI__COMMITMENT__COMMIT_EIS, -1);
    cr_expect_eq(tender_ambition_kept(old, none, &e), 0);
    tender_free(old);
    /* published, another complete ambition (klimaat:gunning, circulair:innovatie) */
    old = s_tender(MVOI__TENDER_STATUS__STATUS_PUBLISHED, MVOI__COMMITMENT__COMMIT_EIS, -1);
    Mvoi__Tender *t = s_tender(MVOI__TENDER_STATUS__STATUS_PUBLISHED,
                               MVOI__COMMITMENT__COMMIT_GUNNING, MVOI__COMMITMENT__COMMIT_INNOVATIE);
    cr_expect_eq(tender_ambition_kept(old, t, &e), 0);
    tender_free(t);
    tender_free(old);
    /* published but imported without an ambition: an edit is not blocked by it */
    old = s_tender(MVOI__TENDER_STATUS__STATUS_PUBLISHED, MVOI__COMMITMENT__COMMIT_UNSPECIFIED, -1);
    cr_expect_eq(tender_ambition_kept(old, none, &e), 0);
    tender_free(old);
    /* a new tender */
    cr_expect_eq(tender_ambition_kept(NULL, none, &e), 0);
    tender_free(none);
}

Test(ambition_kept, a_long_ambition_is_listed_whole_or_ends_in_dots)
{
    /* six themes at innovatie: ~170 bytes of "theme:innovatie", more than the 90 the message
     * gives them; the list ends in "..." and never in half a name */
    Mvoi__Tender *old = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-03-01");
    old->has_status = 1;
    old->status = MVOI__TENDER_STATUS__STATUS_PUBLISHED;
    for (int th = MVOI__THEME__THEME_KLIMAAT; th <= MVOI__THEME__THEME_SOCIAL_RETURN; th++)
        cr_assert_geq(tender_add_theme(old, (Mvoi__Theme)th, MVOI__COMMITMENT__COMMIT_INNOVATIE), 0);
    Mvoi__Tender *t = cal_test_tender("T-1", MVOI__TENDER_KIND__KIND_DIENSTEN, 1000, "2027-03-01");
    tender_error_t e = { 0 };
    cr_expect_eq(tender_ambition_kept(old, t, &e), -EPERM);
    cr_expect(strstr(e.message, "(klimaat:innovatie, "), "%s", e.message);
    cr_expect(strstr(e.message, ", ...)"), "%s", e.message);
    cr_expect(strstr(e.message, "without a commitment"), "the message is whole: %s", e.message);
    tender_free(t);
    tender_free(old);
}
