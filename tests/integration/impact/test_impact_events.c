/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar"):
 *  corrections and withdrawals with their events, and what-if. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impact_it.h"

#include <zmq.h>

/* ------------------------------------------------------------ corrections, events */

static Mvoi__Envelope *recv_event(void *sub, char *topic, size_t tlen)
{
    zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 5000) <= 0)
        return NULL;
    int n = zmq_recv(sub, topic, tlen - 1, 0);
    topic[n < 0 ? 0 : (n < (int)tlen ? n : (int)tlen - 1)] = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, sub, 0);
    Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return e;
}

/* A SUB on the impact stream, given time to join. */
static void *s_sub(void *ctx, const char *pub)
{
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "impact.", 7);
    zmq_connect(sub, pub);
    h_sleep_ms(300);
    return sub;
}

Test(impact_it, correction_and_withdrawal_carry_previous_values)
{
    fx_t f;
    fx_up(&f, NULL);
    void *ctx = zmq_ctx_new(), *sub = s_sub(ctx, f.pub);
    Mvoi__Envelope *k;
    meas_t x;
    m_base(&x, "corr-1", "T-KLIMA", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    fx_expect_ok(&f, &x, &k);
    mvoi__envelope__free_unpacked(k, NULL);
    char topic[64];
    Mvoi__Envelope *ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.computed");
    cr_assert_str_eq(ev->producer, "impact");
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 27830000LL);
    cr_assert_str_eq(ev->impact_event->purchasing_group, "infra");
    mvoi__envelope__free_unpacked(ev, NULL);

    /* correction: 20,000 l -> 55,660 kg; previous 27,830 kg travels with it */
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 20000000);
    x.m.reason = "second fuel card";
    Mvoi__CorrectMeasurement cm = MVOI__CORRECT_MEASUREMENT__INIT;
    cm.measurement = &x.m;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "corr-req";
    e.body_case = MVOI__ENVELOPE__BODY_CORRECT_MEASUREMENT;
    e.correct_measurement = &cm;
    Mvoi__Envelope *r = fx_call(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert_eq(r->measurement_reply->results[0]->revision, 2);
    mvoi__envelope__free_unpacked(r, NULL);
    ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.corrected");
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 55660000LL);
    cr_assert_eq(ev->impact_event->previous_impact->co2_avoided_g, 27830000LL);
    cr_assert_eq(ev->impact_event->previous->energy->quantity_milli, 10000000LL);
    cr_assert_eq(ev->impact_event->measurement->revision, 2);
    mvoi__envelope__free_unpacked(ev, NULL);

    /* withdrawal: reason required */
    Mvoi__WithdrawMeasurement w = MVOI__WITHDRAW_MEASUREMENT__INIT;
    w.id = "corr-1";
    Mvoi__Envelope we = MVOI__ENVELOPE__INIT;
    we.request_id = "wd-0";
    we.body_case = MVOI__ENVELOPE__BODY_WITHDRAW_MEASUREMENT;
    we.withdraw_measurement = &w;
    r = fx_call(&f, &we);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_assert_str_eq(r->error->field, "withdraw_measurement.reason");
    mvoi__envelope__free_unpacked(r, NULL);
    w.reason = "double counted";
    we.request_id = "wd-1";
    r = fx_call(&f, &we);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    mvoi__envelope__free_unpacked(r, NULL);
    ev = recv_event(sub, topic, sizeof topic);
    cr_assert_not_null(ev);
    cr_assert_str_eq(topic, "impact.withdrawn");
    cr_assert_eq(ev->impact_event->previous_impact->co2_avoided_g, 55660000LL);
    cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 0);
    mvoi__envelope__free_unpacked(ev, NULL);

    /* audit trail */
    r = fx_get(&f, "corr-1");
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_RECORD);
    Mvoi__MeasurementRecord *rec = r->measurement_record;
    cr_assert(rec->withdrawn);
    cr_assert_eq(rec->measurement->revision, 3);
    cr_assert_eq(rec->n_history, 2);
    cr_assert_eq(rec->history[0]->revision, 1);
    cr_assert_eq(rec->history[0]->energy->quantity_milli, 10000000LL);
    cr_assert_eq(rec->history[1]->revision, 2);
    cr_assert_str_eq(rec->history[1]->reason, "second fuel card");
    mvoi__envelope__free_unpacked(r, NULL);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    fx_fini(&f);
}

Test(impact_it, what_if_computes_and_stores_nothing)
{
    fx_t f;
    fx_up(&f, NULL);
    meas_t x;
    m_base(&x, "wi-1", "T-ANY", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 10000000);
    Mvoi__Measurement *mp = &x.m;
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_COMPUTE_IMPACT;
    e.compute_impact = &sm;
    Mvoi__Envelope *r = fx_call(&f, &e);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    cr_assert(r->measurement_reply->results[0]->ok);
    cr_assert_eq(r->measurement_reply->results[0]->impact->co2_avoided_g, 27830000LL);
    cr_assert(strstr(r->measurement_reply->results[0]->explanation, "27.830"));
    mvoi__envelope__free_unpacked(r, NULL);
    fx_expect_absent(&f, "wi-1");
    cr_assert_eq(fx_head(&f), 0);
    fx_fini(&f);
}

/* ------------------------------------------------------------ publish batches */

/* The next message on sub: its topic and its Envelope (protobuf-c, not the service's own
 * reader). */
static Mvoi__Envelope *recv_msg(void *sub, int timeout_ms, char *topic, size_t tlen)
{
    zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return NULL;
    return recv_event(sub, topic, tlen);
}

/* One measurement of q litres of HVO100 instead of diesel: 2,783 g CO2 avoided a litre
 * (the shipped co2 table, 2026: diesel B7 3.251 kg/l, HVO100 0.468 kg/l). */
static void s_hvo(meas_t *x, const char *id, int64_t litres)
{
    m_base(x, id, "T-KLIMA", "2026");
    m_energy(x, MVOI__CARRIER__CARRIER_HVO100, 0, litres * 1000);
}

Test(impact_it, one_submit_publishes_its_events_as_one_batch)
{
    fx_t f;
    fx_up(&f, NULL);
    void *ctx = zmq_ctx_new(), *sub = s_sub(ctx, f.pub);
    meas_t xs[5], *items[5];
    char ids[5][16];
    for (int i = 0; i < 5; i++) {
        snprintf(ids[i], sizeof ids[i], "b-%d", i + 1);
        s_hvo(&xs[i], ids[i], 1000 * (i + 1));
        items[i] = &xs[i];
    }
    mvoi__envelope__free_unpacked(fx_submit(&f, "batch-1", items, 5), NULL);
    char topic[64];
    Mvoi__Envelope *b = recv_msg(sub, 5000, topic, sizeof topic);
    cr_assert_not_null(b, "no message on the impact stream");
    cr_assert_str_eq(topic, "impact.computed");
    cr_assert_eq(b->body_case, MVOI__ENVELOPE__BODY_EVENT_BATCH, "five events of one pass "
                 "came as body %d, not as one EventBatch", b->body_case);
    cr_assert_str_eq(b->producer, "impact");
    cr_assert_eq(b->event_batch->n_events, 5);
    for (int i = 0; i < 5; i++) {
        ProtobufCBinaryData d = b->event_batch->events[i];
        Mvoi__Envelope *ev = mvoi__envelope__unpack(NULL, d.len, d.data);
        cr_assert_not_null(ev);
        cr_assert_str_eq(ev->producer, "impact");
        cr_assert_eq(ev->seq, (uint64_t)i + 1, "events out of order or seq lost");
        cr_assert_eq(ev->body_case, MVOI__ENVELOPE__BODY_IMPACT_EVENT);
        cr_assert_str_eq(ev->impact_event->measurement->id, ids[i]);
        cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 2783LL * 1000 * (i + 1));
        mvoi__envelope__free_unpacked(ev, NULL);
    }
    mvoi__envelope__free_unpacked(b, NULL);
    cr_assert_null(recv_msg(sub, 300, topic, sizeof topic), "an event was published twice");

    /* publish_batch 1: each event alone, as before batches (a new SUB: the old one's
     * reconnection to the restarted PUB is not the point here) */
    const char *one[] = { "MVOI_IMPACT_CALCULATOR_PUBLISH_BATCH=1", NULL };
    zmq_close(sub);
    fx_restart_imp_with(&f, one);
    sub = s_sub(ctx, f.pub);
    for (int i = 0; i < 3; i++) {
        snprintf(ids[i], sizeof ids[i], "c-%d", i + 1);
        s_hvo(&xs[i], ids[i], 10 * (i + 1));
    }
    mvoi__envelope__free_unpacked(fx_submit(&f, "batch-2", items, 3), NULL);
    for (int i = 0; i < 3; i++) {
        Mvoi__Envelope *ev = recv_msg(sub, 5000, topic, sizeof topic);
        cr_assert_not_null(ev, "event %d of 3 missing", i + 1);
        cr_assert_eq(ev->body_case, MVOI__ENVELOPE__BODY_IMPACT_EVENT);
        cr_assert_eq(ev->seq, (uint64_t)i + 6);
        cr_assert_eq(ev->impact_event->impact->co2_avoided_g, 2783LL * 10 * (i + 1));
        mvoi__envelope__free_unpacked(ev, NULL);
    }
    zmq_close(sub);
    zmq_ctx_term(ctx);
    fx_fini(&f);
}
