/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar"):
 *  bad input names the field, and the calendar's timing (tenders registered late, the
 *  calendar down). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"

/* ------------------------------------------------------------ bad input */

/* A measurement of a tender the calendar cancelled is refused. */
static void s_bad_cancelled(fx_t *f)
{
    meas_t x;
    /* cancelled tender */
    Mvoi__CancelTender ct = MVOI__CANCEL_TENDER__INIT;
    ct.tender_id = "T-CANCEL";
    ct.reason = "test";
    Mvoi__Envelope ce = MVOI__ENVELOPE__INIT;
    ce.request_id = "cancel-1";
    ce.buyer = "heerlen";
    ce.body_case = MVOI__ENVELOPE__BODY_CANCEL_TENDER;
    ce.cancel_tender = &ct;
    Mvoi__Envelope *cr = NULL;
    cr_assert_eq(h_request(f->capi, &ce, &cr, 5000), 0);
    mvoi__envelope__free_unpacked(cr, NULL);
    h_sleep_ms(500);
    m_base(&x, "bad-cancelled", "T-CANCEL", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    fx_expect_field(f, &x, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION, ".tender_id");
    fx_expect_absent(f, "bad-cancelled");
}

/* A batch over the limit is refused whole. */
static void s_bad_batch(fx_t *f)
{
    /* a batch over the limit */
    size_t n = 10001;
    meas_t *many = calloc(n, sizeof *many);
    meas_t **pp = calloc(n, sizeof *pp);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "big-%zu", i);
        m_base(&many[i], id, "T-KLIMA", "2026");
        m_energy(&many[i], MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
        pp[i] = &many[i];
    }
    Mvoi__Envelope *big = fx_submit(f, "big-1", pp, n);
    cr_assert_eq(big->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(big->error->code, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED);
    cr_assert_str_eq(big->error->field, "submit_measurements.measurements");
    mvoi__envelope__free_unpacked(big, NULL);
    fx_expect_absent(f, "big-0");
    free(many);
    free(pp);
}

Test(impact_it, bad_input_names_the_field_and_stores_nothing)
{
    fx_t f;
    fx_up(&f, NULL);
    Mvoi__Envelope *k;
    meas_t x;
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    fx_expect_ok(&f, &x, &k);
    mvoi__envelope__free_unpacked(k, NULL);
    uint64_t h0 = fx_head(&f);
    cr_assert_eq(h0, 1);

    m_base(&x, "bad-neg", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, -5000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.quantity_milli");
    fx_expect_absent(&f, "bad-neg");

    m_base(&x, "bad-absurd", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 900000000000000LL);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.quantity_milli");
    fx_expect_absent(&f, "bad-absurd");

    m_base(&x, "bad-carrier", "T-KLIMA", "2026");
    m_energy(&x, 77, 0, 1000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.carrier");
    fx_expect_absent(&f, "bad-carrier");

    /* a unit that does not fit: litres of HVO against kilograms of CNG */
    m_base(&x, "bad-unit", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, MVOI__CARRIER__CARRIER_CNG, 1000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".energy.reference_carrier");
    fx_expect_absent(&f, "bad-unit");

    m_base(&x, "bad-stage", "T-NOX", "2026");
    m_machine(&x, 150, 42, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 400);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.stage_actual");
    fx_expect_absent(&f, "bad-stage");

    /* Stage IV has no limit below 56 kW */
    m_base(&x, "bad-band", "T-NOX", "2026");
    m_machine(&x, 30, MVOI__EMISSION_STAGE__STAGE_IV, MVOI__EMISSION_STAGE__STAGE_IIIA, 1000, 400);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.stage_actual");

    m_base(&x, "bad-load", "T-NOX", "2026");
    m_machine(&x, 150, MVOI__EMISSION_STAGE__STAGE_V, MVOI__EMISSION_STAGE__STAGE_IIIB, 1000, 1500);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".machine.load_factor_permille");

    m_base(&x, "bad-edition", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    x.m.edition = "2031";
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".edition");

    m_base(&x, "bad-date", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    x.m.period_end = "2025-02-30";
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, ".period_end");

    m_base(&x, "bad-tender", "T-NOPE", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_NOT_FOUND, ".tender_id");
    fx_expect_absent(&f, "bad-tender");

    /* same id, different content */
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 2000000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_ALREADY_EXISTS, "measurements[0].id");
    /* same id, same content: ok + duplicate, no event */
    m_base(&x, "ok-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    Mvoi__MeasurementResult *r = fx_submit1(&f, &x, &k);
    cr_assert(r->ok && r->duplicate);
    mvoi__envelope__free_unpacked(k, NULL);

    s_bad_cancelled(&f);
    s_bad_batch(&f);

    cr_assert_eq(fx_head(&f), h0, "the outbox moved: %lu", (unsigned long)fx_head(&f));
    fx_fini(&f);
}

/* ------------------------------------------------------------ calendar timing */

static void register_tender(fx_t *f, const char *id, const char *group)
{
    Mvoi__Tender t = MVOI__TENDER__INIT;
    t.id = (char *)id;
    t.purchasing_group = (char *)group;
    Mvoi__RegisterTender rt = MVOI__REGISTER_TENDER__INIT;
    rt.tender = &t;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    char rid[64];
    snprintf(rid, sizeof rid, "reg-%s", id);
    e.request_id = rid;
    e.buyer = "heerlen";
    e.body_case = MVOI__ENVELOPE__BODY_REGISTER_TENDER;
    e.register_tender = &rt;
    Mvoi__Envelope *r = NULL;
    cr_assert_eq(h_request(f->capi, &e, &r, 5000), 0);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ACK);
    mvoi__envelope__free_unpacked(r, NULL);
}

Test(impact_it, tender_registered_after_start_is_accepted)
{
    fx_t f;
    fx_up(&f, NULL);
    meas_t x;
    m_base(&x, "late-1", "T-LATE", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    fx_expect_field(&f, &x, MVOI__ERROR_CODE__ERR_NOT_FOUND, ".tender_id");
    register_tender(&f, "T-LATE", "late-group");
    fx_wait_tenders(&f, 5);
    Mvoi__Envelope *k;
    cr_assert_eq(fx_expect_ok(&f, &x, &k)->co2_avoided_g, 2783000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    fx_fini(&f);
}

Test(impact_it, calendar_down_known_accepted_unknown_unavailable_then_retried)
{
    fx_t f;
    fx_up(&f, NULL);
    h_kill9(&f.cal);
    h_sleep_ms(1500);   /* > calendar_stale_ms */
    Mvoi__Envelope *k;
    meas_t x, y;
    /* known tender: accepted while the calendar is down */
    m_base(&x, "down-known", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    cr_assert_eq(fx_expect_ok(&f, &x, &k)->co2_avoided_g, 2783000LL);
    mvoi__envelope__free_unpacked(k, NULL);
    /* unknown tender: the whole request is ERR_UNAVAILABLE, nothing stored */
    uint64_t h0 = fx_head(&f);
    m_base(&y, "down-unknown", "T-NEW", "2026");
    m_energy(&y, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    meas_t *pp[2] = { &x, &y };
    Mvoi__Envelope *r = fx_submit(&f, "down-req", pp, 2);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_eq(r->error->code, MVOI__ERROR_CODE__ERR_UNAVAILABLE);
    cr_assert_str_eq(r->error->field, "submit_measurements.measurements[1].tender_id");
    mvoi__envelope__free_unpacked(r, NULL);
    fx_expect_absent(&f, "down-unknown");
    cr_assert_eq(fx_head(&f), h0);
    /* the calendar comes back, registers the tender: the same request id now succeeds */
    fx_start_cal(&f);
    register_tender(&f, "T-NEW", "nieuw");
    fx_wait_tenders(&f, 5);
    h_sleep_ms(400);
    r = fx_submit(&f, "down-req", pp, 2);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert(r->measurement_reply->results[0]->ok && r->measurement_reply->results[0]->duplicate);
    cr_assert(r->measurement_reply->results[1]->ok && !r->measurement_reply->results[1]->duplicate);
    mvoi__envelope__free_unpacked(r, NULL);
    r = fx_get(&f, "down-unknown");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    cr_assert_str_eq(r->measurement_record->purchasing_group, "nieuw");
    mvoi__envelope__free_unpacked(r, NULL);
    fx_fini(&f);
}

/* A batch logged while the oldest record not yet in LMDB is older than the log's timed
 * interval checkpoints inside its own store_write: the checkpoint makes it durable before the
 * worker's flush does. Its reply must not go out before its event counts in the head
 * (health's head_seq is what may leave the process), or a client that has its answer could
 * read a head without its event. */
static void s_submit_ok(fx_t *f, const char *id)
{
    meas_t x;
    m_base(&x, id, "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    Mvoi__Envelope *k;
    cr_assert_eq(fx_expect_ok(f, &x, &k)->co2_avoided_g, 2783000LL);
    mvoi__envelope__free_unpacked(k, NULL);
}

Test(impact_it, reply_after_a_checkpoint_in_its_own_batch_sees_its_event_in_the_head)
{
    fx_t f;
    fx_up(&f, NULL);
    const char *const vars[] = { "MVOI_IMPACT_CALCULATOR_WAL_CHECKPOINT_MS=10", NULL };
    fx_restart_imp_with(&f, vars);
    for (int i = 0; i < 8; i++) {
        char id[32];
        snprintf(id, sizeof id, "pre-%d", i);
        s_submit_ok(&f, id);
        h_sleep_ms(20);   /* its record is now older than the interval, not idle yet */
        uint64_t h0 = fx_head(&f);
        snprintf(id, sizeof id, "cp-%d", i);
        s_submit_ok(&f, id);
        cr_assert_eq(fx_head(&f), h0 + 1, "round %d: the reply came before its event", i);
    }
    fx_fini(&f);
}
