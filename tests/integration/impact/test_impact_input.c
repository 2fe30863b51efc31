/*  mvoi-impact-calculator as a real process, fed by mvoi-impact-fakecal (producer "calendar"):
 *  bad input names the field, and the calendar's timing (tenders registered late, the
 *  calendar down). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

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

/* The calendar's PUB reaches the calculator through a forwarder the test can pause
 * (zmq_proxy_steerable: XSUB on the calendar's PUB, XPUB where the calculator subscribes),
 * so that an event can be on its way for as long as the test wants. */
typedef struct {
    void *ctx, *ctl;
    pthread_t thread;
    char from[192], at[200];
} s_fwd_t;

static void *s_fwd_run(void *arg)
{
    s_fwd_t *w = arg;
    void *xsub = zmq_socket(w->ctx, ZMQ_XSUB), *xpub = zmq_socket(w->ctx, ZMQ_XPUB);
    void *ctl = zmq_socket(w->ctx, ZMQ_PAIR);
    zmq_connect(xsub, w->from);
    zmq_bind(xpub, w->at);
    zmq_connect(ctl, "inproc://impact-fwd");
    zmq_proxy_steerable(xsub, xpub, NULL, ctl);
    zmq_close(xsub);
    zmq_close(xpub);
    zmq_close(ctl);
    return NULL;
}

static void s_fwd_say(s_fwd_t *w, const char *cmd)
{
    cr_assert_eq(zmq_send(w->ctl, cmd, strlen(cmd), 0), (int)strlen(cmd));
}

static void s_fwd_start(s_fwd_t *w, fx_t *f)
{
    w->ctx = zmq_ctx_new();
    w->ctl = zmq_socket(w->ctx, ZMQ_PAIR);
    cr_assert_eq(zmq_bind(w->ctl, "inproc://impact-fwd"), 0);
    snprintf(w->from, sizeof w->from, "%s", f->cpub);
    snprintf(w->at, sizeof w->at, "ipc://%s/fwd.pub", f->dir);
    cr_assert_eq(pthread_create(&w->thread, NULL, s_fwd_run, w), 0);
    /* the calculator subscribes where the forwarder publishes */
    for (size_t i = 0; f->envp_i[i]; i++)
        if (strncmp(f->env_i[i], "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=", 36) == 0)
            snprintf(f->env_i[i], sizeof f->env_i[i], "MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=%s",
                     w->at);
}

static void s_fwd_stop(s_fwd_t *w)
{
    s_fwd_say(w, "TERMINATE");
    pthread_join(w->thread, NULL);
    zmq_close(w->ctl);
    zmq_ctx_term(w->ctx);
}

/* A measurement sent right after its tender was registered, while the tender's event is
 * still on its way to the calculator and the calendar's last heartbeat says the calculator
 * is caught up (`mvoictl tender add` then `measure add`). It was refused "not known to the
 * calendar" (stored under the request id: asked again, the same wrong answer); now the
 * calculator asks the calendar first and the same request, asked again, is accepted. A
 * tender the calendar does not hold still gets its final "not found", also for another
 * buyer with the same tender, measurement and request ids. */
Test(impact_it, a_tender_registered_a_moment_ago_is_not_refused_as_unknown)
{
    fx_t f;
    s_fwd_t w;
    fx_init(&f, NULL);
    s_fwd_start(&w, &f);
    fx_start_cal(&f);
    fx_start_imp(&f);
    fx_wait_tenders(&f, 4);
    h_sleep_ms(300);          /* a heartbeat through the forwarder: the feed is current */
    s_fwd_say(&w, "PAUSE");   /* from here the calendar's events stay on their way */
    register_tender(&f, "T-JUST", "just-group");
    meas_t x;
    m_base(&x, "just-1", "T-JUST", "2026");
    m_energy(&x, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    meas_t *one = &x;
    int asked = 0;
    Mvoi__Envelope *r = fx_submit_settled(&f, "req-just", &one, 1, &asked);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY, "%s",
                 r->body_case == MVOI__ENVELOPE__BODY_ERROR ? r->error->message : "");
    Mvoi__MeasurementResult *res = r->measurement_reply->results[0];
    cr_assert(res->ok, "a tender the calendar acknowledged was refused: %s",
              res->error ? res->error->message : "");
    cr_assert_eq(res->impact->co2_avoided_g, 2783000LL);   /* 1000 l HVO100 vs B7 */
    cr_assert_gt(asked, 1, "accepted at once: the event was not held back");
    mvoi__envelope__free_unpacked(r, NULL);
    /* the same request id and measurement for another buyer, whose calendar has no T-JUST */
    meas_t y;
    m_base(&y, "just-1", "T-JUST", "2026");
    m_energy(&y, MVOI__CARRIER__CARRIER_HVO100, 0, 1000000);
    y.m.buyer = "landgraaf";
    Mvoi__SubmitMeasurements sm = MVOI__SUBMIT_MEASUREMENTS__INIT;
    Mvoi__Measurement *mp = &y.m;
    sm.n_measurements = 1;
    sm.measurements = &mp;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.request_id = "req-just";
    e.buyer = "landgraaf";
    e.body_case = MVOI__ENVELOPE__BODY_SUBMIT_MEASUREMENTS;
    e.submit_measurements = &sm;
    r = NULL;
    for (int64_t end = h_now_ms() + 5000;; h_sleep_ms(20)) {
        r = fx_call(&f, &e);
        if (!fx_tender_pending(r) || h_now_ms() >= end)
            break;
        mvoi__envelope__free_unpacked(r, NULL);
    }
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY);
    res = r->measurement_reply->results[0];
    cr_assert_not(res->ok, "landgraaf's measurement took heerlen's tender");
    cr_assert_eq(res->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND, "%s", res->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
    s_fwd_say(&w, "RESUME");
    fx_fini(&f);
    s_fwd_stop(&w);
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
