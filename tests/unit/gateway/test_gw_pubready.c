/* gw_pubready: when the kpi-aggregator's own HealthReply holds the buyers back. */
#include <criterion/criterion.h>
#include <string.h>
#include "gw_pubready.h"

static Mvoi__HealthReply s_reply(bool ready, Mvoi__InboxLag *lag)
{
    Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
    h.has_ready = true;
    h.ready = ready;
    h.has_epoch = true;
    h.epoch = 11;
    static Mvoi__InboxLag *one[1];
    one[0] = lag;
    h.inbox = lag ? one : NULL;
    h.n_inbox = lag ? 1 : 0;
    return h;
}

static Mvoi__InboxLag s_lag(uint64_t epoch, uint64_t last, uint64_t head, bool rebuilding)
{
    Mvoi__InboxLag l = MVOI__INBOX_LAG__INIT;
    l.producer = "impact";
    l.has_epoch = l.has_last_seq = l.has_head_seq = l.has_rebuilding = true;
    l.epoch = epoch;
    l.last_seq = last;
    l.head_seq = head;
    l.rebuilding = rebuilding;
    return l;
}

/* The hold's reason as logged (English), NULL when nothing holds. */
static const char *s_hold(const gw_pubready_t *p)
{
    static char buf[320];
    const textfmt_reason_t *r = gw_pubready_hold(p);
    if (!r)
        return NULL;
    textfmt_reason_log(r, buf, sizeof buf);
    return buf;
}

Test(gw_pubready, partial_totals_hold_a_silent_producer_does_not)
{
    gw_pubready_t p = { 0 };
    cr_assert_eq(gw_pubready_beat(&p, 11, true, 5, 100), false, "a first heartbeat is no restart");
    cr_assert_null(gw_pubready_hold(&p), "nothing known: nothing holds (a gateway's start)");

    Mvoi__InboxLag l = s_lag(0, 0, 0, false);          /* a new store, impact never heard */
    Mvoi__HealthReply h = s_reply(false, &l);
    gw_pubready_health(&p, &h, 200);
    cr_assert(strstr(s_hold(&p), "counted nothing from impact"), "%s", s_hold(&p));

    l = s_lag(9, 0, 453, true);                         /* rebuilding from impact */
    gw_pubready_health(&p, &h, 300);
    cr_assert(strstr(s_hold(&p), "rebuilding"), "%s", s_hold(&p));

    l = s_lag(9, 400, 453, false);                      /* 453 - 400 = 53 behind */
    gw_pubready_health(&p, &h, 400);
    cr_assert(strstr(s_hold(&p), "(53 events behind)"), "%s", s_hold(&p));
    char nl[320];
    textfmt_reason_say(gw_pubready_hold(&p), TEXT_NL, "follow.", nl, sizeof nl);
    cr_assert_str_eq(nl, "de kpi-aggregator werkt bij vanaf impact (53 gebeurtenissen achter)");

    l = s_lag(9, 453, 453, false);                      /* not ready, but caught up: silence */
    gw_pubready_health(&p, &h, 500);
    cr_assert_null(gw_pubready_hold(&p));

    h = s_reply(true, NULL);
    gw_pubready_health(&p, &h, 600);
    cr_assert_null(gw_pubready_hold(&p));
}

Test(gw_pubready, a_restart_holds_until_a_health_reply_of_its_epoch)
{
    gw_pubready_t p = { 0 };
    Mvoi__HealthReply h = s_reply(true, NULL);
    gw_pubready_beat(&p, 11, true, 5, 100);
    gw_pubready_health(&p, &h, 150);
    cr_assert_null(gw_pubready_hold(&p));
    /* the same epoch and incarnation again: nothing */
    cr_assert_eq(gw_pubready_beat(&p, 11, true, 5, 200), false);
    /* kill -9 and a start: a new incarnation */
    cr_assert_eq(gw_pubready_beat(&p, 11, true, 6, 300), true);
    cr_assert(strstr(s_hold(&p), "restarted"), "held until it speaks");
    gw_pubready_health(&p, &h, 350);                    /* epoch 11, ready */
    cr_assert_null(gw_pubready_hold(&p));
    /* the store wiped: epoch 12; a reply still of epoch 11 (sent before) does not clear it */
    cr_assert_eq(gw_pubready_beat(&p, 12, true, 7, 400), true);
    gw_pubready_health(&p, &h, 450);
    cr_assert(strstr(s_hold(&p), "restarted"), "a reply of the old epoch");
    h.epoch = 12;
    gw_pubready_health(&p, &h, 500);
    cr_assert_null(gw_pubready_hold(&p));
}
