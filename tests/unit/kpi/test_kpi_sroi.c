/*  kpi_core in-process: the SROI target, on the contracts' basis (kpi_sroi.c), with
 *  figures by hand; the harness: kpi_ut.h. */
#include "kpi_ut.h"
#include "mvoi_error.h"
#include "kpi_int.h"   /* kpi_sroi_transition: a store of the version before, made by hand */

TestSuite(kpi_sroi, .init = setup, .fini = teardown);

Test(kpi_sroi, sroi_target_from_the_obligation)
{
    tender_t a = { "S1", "G", "2026-02-01", .sroi = 500000 };
    tender_t b = { "S2", "G", "2026-11-01", .sroi = 250000 };
    tender(&a, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&b, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 750000);
    a.sroi = 600000;
    tender(&a, MVOI__TENDER_EVENT_KIND__TEV_UPDATED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 850000);
    b.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    tender(&b, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 600000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q4").target, 0);
}

/* The contracts' basis (kpi_sroi.c): a tender's obligation is in the target of every window
 * and dimension it was published in or is a project of, once. Figures by hand: S1 (2025,
 * EUR 5.000) realised on in 2026, S2 (2026 Q1, EUR 2.500) published there. */
Test(kpi_sroi, sroi_target_holds_the_contracts_realised_on)
{
    tender_t s1 = { "S1", "G", "2025-03-01", .sroi = 500000, .themes = { 6 } };
    tender_t s2 = { "S2", "G", "2026-02-01", .sroi = 250000 };
    tender(&s1, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    tender(&s2, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    meas_t m1 = { "m1", "S1", "2026-05-10", "G", .theme = 6, .kpi = 2, .value = 100000 };
    meas_t m2 = { "m2", "S1", "2026-06-10", "G", .theme = 6, .kpi = 2, .value = 20000 };
    impact(COMPUTED, &m1, NULL);
    impact(COMPUTED, &m2, NULL);   /* S1 is a project of Q2 already: counted once */
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 750000);      /* S2 + S1 */
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q1").target, 250000);   /* S2 */
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2").target, 500000);   /* S1 */
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 500000);      /* S1 published */
    cr_assert_eq(total("kpi.heerlen.sroi.2026.tender.S1").target, 500000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2.tender.S1").target, 500000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.group.G").target, 750000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.theme.social_return").target, 500000);
    /* the obligation changes: every window it stands in follows */
    s1.sroi = 600000;
    tender(&s1, MVOI__TENDER_EVENT_KIND__TEV_UPDATED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 850000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2").target, 600000);
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 600000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.tender.S1").target, 600000);
    /* S1 no longer realised on in 2026: out of its targets */
    m1.revision = m2.revision = 2;
    impact(WITHDRAWN, &m1, NULL);
    impact(WITHDRAWN, &m2, NULL);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 250000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2").target, 0);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.tender.S1").target, 0);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.theme.social_return").target, 0);
    /* realised on in Q1; a measurement on S2, published there, adds nothing to the target */
    meas_t m3 = { "m3", "S1", "2026-02-10", "G", .theme = 6, .kpi = 2, .value = 5000 };
    meas_t m4 = { "m4", "S2", "2026-03-10", "G", .kpi = 2, .value = 7000 };
    impact(COMPUTED, &m3, NULL);
    impact(COMPUTED, &m4, NULL);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q1").target, 850000);   /* S2 + S1 */
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 850000);
    /* S1 published in 2026 Q1 after all: in Q1 once, out of 2025 */
    s1.planned = "2026-01-15";
    tender(&s1, MVOI__TENDER_EVENT_KIND__TEV_UPDATED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q1").target, 850000);
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 0);
    /* cancelled: in no target */
    s1.status = MVOI__TENDER_STATUS__STATUS_CANCELLED;
    tender(&s1, MVOI__TENDER_EVENT_KIND__TEV_CANCELLED);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 250000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q1").target, 250000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.tender.S1").target, 0);
}

/* A store of the version before the contracts' basis: S1's obligation beyond its
 * publication taken out again, and the migration's marker gone. */
static int s_old_basis(MDB_txn *txn, void *arg)
{
    (void)arg;
    int rc;
    Mvoi__Tender *t = kpi_tender_load(s_kpi, txn, "heerlen", "S1", &rc);
    cr_assert_not_null(t);
    rc = kpi_sroi_transition(s_kpi, txn, t, NULL);
    mvoi__tender__free_unpacked(t, NULL);
    if (rc == 0)
        rc = kpi_work_flush(s_kpi, txn);
    MDB_val mk = { 30, "\0mvoi:kpi-sroi-contracts-basis" };
    int d = store_del(txn, store_dbi(s_store, "kpi_breakdown"), &mk, NULL);
    cr_assert_eq(d, 0, "the marker was there: %d", d);
    return rc;
}

/* arg non-NULL: bytes that are no Tender stored as heerlen's S9; NULL: S9 deleted. */
static int s_garbage_tender(MDB_txn *txn, void *arg)
{
    static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
    MDB_val k = { 10, "heerlen\0S9" }, v = { sizeof garbage - 1, (void *)garbage };
    MDB_dbi dbi = store_dbi(s_store, "kpi_tenders");
    return arg ? store_put(txn, dbi, &k, &v, 0) : store_del(txn, dbi, &k, NULL);
}

static int s_migrate_sroi(MDB_txn *txn, void *arg)
{
    return kpi_migrate_sroi(s_kpi, txn, arg);
}

Test(kpi_sroi, sroi_targets_of_a_store_before_the_contracts_basis_are_migrated_once)
{
    size_t n = 99;
    cr_assert_eq(store_write(s_store, s_migrate_sroi, &n), 0);   /* a new store: marked */
    cr_assert_eq(n, 0);
    tender_t s1 = { "S1", "G", "2025-03-01", .sroi = 500000 };
    tender(&s1, MVOI__TENDER_EVENT_KIND__TEV_REGISTERED);
    impact(COMPUTED, &(meas_t){ "m1", "S1", "2026-05-10", "G", .kpi = 2, .value = 100000 },
           NULL);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 500000);
    cr_assert_eq(store_write(s_store, s_old_basis, NULL), 0);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 0, "published-only, as before");
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 500000);
    /* a stored tender S9 that does not decode: the migration is refused by name and
     * changes nothing (before: done, marker set, S9's obligation never counted) */
    cr_assert_eq(store_write(s_store, s_garbage_tender, "put"), 0);
    cr_assert_eq(store_write(s_store, s_migrate_sroi, &n), MVOI_E_UNDECODABLE);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 0);
    cr_assert_eq(store_write(s_store, s_garbage_tender, NULL), 0);   /* repaired: gone */
    cr_assert_eq(store_write(s_store, s_migrate_sroi, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 500000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026-q2").target, 500000);
    cr_assert_eq(total("kpi.heerlen.sroi.2026.tender.S1").target, 500000);
    cr_assert_eq(total("kpi.heerlen.sroi.2025").target, 500000);
    cr_assert_eq(store_write(s_store, s_migrate_sroi, &n), 0);   /* once */
    cr_assert_eq(n, 0);
    cr_assert_eq(total("kpi.heerlen.sroi.2026").target, 500000);
}
