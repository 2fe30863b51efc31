/*  What the notifier sends when it comes back after an outage (real processes: mvoi-fakecal,
 *  mvoi-notifier, an aiosmtpd relay): every period's measurement request reaches its
 *  recipient; only repeats of one reminder collapse. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nt_it.h"

/* Reminders of kind k of one buyer (a request is scoped by its envelope's buyer), in state
 * st (0: any). */
static int s_kind_count(it_ctx_t *c, const char *buyer, Mvoi__DeliveryState st,
                        Mvoi__ReminderKind k)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *keep = NULL;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_state = st != 0;
    q.state = st;
    q.has_limit = true;
    q.limit = 1000;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    e.buyer = (char *)buyer;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, &keep), 0);
    cr_assert_eq(keep->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    const Mvoi__ReminderList *l = keep->reminder_list;
    int n = 0;
    for (size_t i = 0; i < l->n_reminders; i++) {
        if (l->reminders[i]->kind != k)
            continue;
        if (st == MVOI__DELIVERY_STATE__DELIVERY_CANCELLED)
            cr_log_error("cancelled: %s: %s", l->reminders[i]->id, l->reminders[i]->last_error);
        n++;
    }
    mvoi__envelope__free_unpacked(keep, NULL);
    return n;
}

/* The id of buyer's scheduled measurement request due first (into id). */
static void s_first_scheduled(it_ctx_t *c, const char *buyer, char *id, size_t cap)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *keep = NULL;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_state = q.has_limit = true;
    q.state = MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED;
    q.limit = 1000;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    e.buyer = (char *)buyer;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, &keep), 0);
    cr_assert_eq(keep->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    const Mvoi__Reminder *best = NULL;
    for (size_t i = 0; i < keep->reminder_list->n_reminders; i++) {
        const Mvoi__Reminder *r = keep->reminder_list->reminders[i];
        if (r->kind == MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST &&
            (!best || r->due_ms < best->due_ms))
            best = r;
    }
    cr_assert_not_null(best, "%s has a scheduled measurement request", buyer);
    snprintf(id, cap, "%s", best->id);
    mvoi__envelope__free_unpacked(keep, NULL);
}

/* The stored record s_break_reminder overwrote, as an operator's backup of it. */
static char s_backup[8192];
static size_t s_backup_len;

/* Overwrites the stored reminder id (notifier stopped) with bytes that are no Reminder. */
static void s_break_reminder(it_ctx_t *c, char *id)
{
    char path[400];
    snprintf(path, sizeof path, "%s/nt/notifier", c->dir);
    cr_assert_eq(h_store_corrupt_keep(path, "rem", id, strlen(id), s_backup, sizeof s_backup,
                                      &s_backup_len), 0, "reminder %s", id);
}

/* A request of buyer's (list_reminders, by tender when tender, or get_reminder of id):
 * its reply, to free with mvoi__envelope__free_unpacked. */
static Mvoi__Envelope *s_ask(it_ctx_t *c, const char *buyer, const char *tender,
                             const char *id)
{
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *keep = NULL;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    Mvoi__GetReminder g = MVOI__GET_REMINDER__INIT;
    q.tender_id = (char *)tender;
    q.has_limit = true;
    q.limit = 1000;
    g.id = (char *)id;
    e.body_case = id ? MVOI__ENVELOPE__BODY_GET_REMINDER : MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    e.get_reminder = &g;
    e.buyer = (char *)buyer;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, &keep), 0);
    return keep;
}

/* buyer's request is refused by the name of the error and the damaged record's id. */
static void s_refused_naming(it_ctx_t *c, const char *buyer, const char *tender,
                             const char *get, const char *id)
{
    Mvoi__Envelope *r = s_ask(c, buyer, tender, get);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "%s %s%s: answered as whole",
                 buyer, get ? "get " : "list ", get ? get : tender ? tender : "");
    cr_assert(strstr(r->error->message, "MVOI_E_UNDECODABLE") &&
              strstr(r->error->message, id), "%s", r->error->message);
    mvoi__envelope__free_unpacked(r, NULL);
}

/* heerlen's lists hold the damaged record, so they are refused naming it; venlo's (the same
 * tender id MQ-1) do not, and answer whole: its 4 quarters, and heerlen's id is not
 * venlo's to be told of. Restored from the backup and the notifier restarted, health counts
 * no damaged record, heerlen's lists answer, and the record is a dead letter, not mailed by
 * itself: still the 7 mails. */
static void s_lists_refused_until_repaired(it_ctx_t *c, const char *id)
{
    const Mvoi__ReminderKind mr = MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST;
    s_refused_naming(c, "heerlen", NULL, NULL, id);
    s_refused_naming(c, "heerlen", "MQ-1", NULL, id);
    s_refused_naming(c, "heerlen", NULL, id, id);
    cr_assert_eq(s_kind_count(c, "venlo", 0, mr), 4);
    Mvoi__Envelope *r = s_ask(c, "venlo", "MQ-1", NULL);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    mvoi__envelope__free_unpacked(r, NULL);
    r = s_ask(c, "venlo", NULL, id);
    cr_assert(r->body_case == MVOI__ENVELOPE__BODY_ERROR &&
              r->error->code == MVOI__ERROR_CODE__ERR_NOT_FOUND, "venlo asking heerlen's id");
    mvoi__envelope__free_unpacked(r, NULL);

    it_stop_nt(c);
    char path[400];
    snprintf(path, sizeof path, "%s/nt/notifier", c->dir);
    cr_assert_eq(h_store_restore(path, "rem", id, strlen(id), s_backup, s_backup_len), 0);
    it_start_nt(c);
    cr_assert_eq(s_kind_count(c, "heerlen", 0, mr), 4, "heerlen's list answers again");
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, &r), 0);
    cr_assert_eq(r->health_reply->undecodable_records, 0, "none damaged now");
    cr_assert_eq(r->health_reply->dead_letters, 1, "the restored one");
    mvoi__envelope__free_unpacked(r, NULL);
    r = s_ask(c, "heerlen", NULL, id);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_REMINDER);
    cr_assert_eq(r->reminder->state, MVOI__DELIVERY_STATE__DELIVERY_DEAD, "restored: state %d",
                 r->reminder->state);
    cr_assert(r->reminder->last_error && strstr(r->reminder->last_error, "restored"));
    mvoi__envelope__free_unpacked(r, NULL);
    h_sleep_ms(100);   /* some ticks: it is not sent */
    static it_mail_t m[64];
    int n = it_mails(c, c->maildir, m, 64);
    cr_assert_eq(it_count(m, n < 64 ? n : 64, "measurement_request"), 7);
}

/* Lines of the notifier's log with event record_undecodable and needle. */
static int s_undecodable_lines(it_ctx_t *c, const char *needle)
{
    FILE *fp = fopen(c->nt.log, "r");
    cr_assert(fp, "%s", c->nt.log);
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, fp))
        n += strstr(line, "\"event\":\"record_undecodable\"") && strstr(line, needle);
    fclose(fp);
    return n;
}

/* After the catch-up, a second outage until Monday 5 January 2026: Q3 (due Wednesday 1
 * October) and Q4 (due Friday 2 January 2026) of each buyer are due. Heerlen's Q3 record is
 * overwritten meanwhile with bytes that do not decode. Its due entry was skipped at every
 * tick, without a word, its mail never sent: now the other three go out, the log names it
 * once (record_undecodable), and health counts it (undecodable_records 1). */
static void s_undecodable_is_named_once(it_ctx_t *c)
{
    char id[300];
    s_first_scheduled(c, "heerlen", id, sizeof id);
    it_stop_nt(c);
    s_break_reminder(c, id);
    it_clock_set(c, it_local(2026, 1, 5, 12, 0));
    it_start_nt(c);
    static it_mail_t m[64];
    int n = it_mails_settled(c, "measurement_request", 7, m, 64, 15000);
    cr_assert_eq(it_count(m, n < 64 ? n : 64, "measurement_request"), 7,
                 "venlo's Q3 and Q4 and heerlen's Q4 arrive after the broken one");
    h_sleep_ms(100);   /* some ticks more: still one line */
    cr_assert_eq(s_undecodable_lines(c, id), 1, "the log names %s once (%s)", id, c->nt.log);
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *keep = NULL;
    Mvoi__HealthRequest hr = MVOI__HEALTH_REQUEST__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_HEALTH;
    e.health = &hr;
    cr_assert_eq(it_call(c, c->e_nt_api, &e, &keep), 0);
    cr_assert_eq(keep->body_case, MVOI__ENVELOPE__BODY_HEALTH_REPLY);
    cr_assert_eq(keep->health_reply->undecodable_records, 1);
    mvoi__envelope__free_unpacked(keep, NULL);
    s_lists_refused_until_repaired(c, id);
}

/* Two buyers with the same tender id MQ-1 and the same project leader's address, contract
 * Wednesday 1 January .. Wednesday 31 December 2025, a measurement request per quarter
 * (measurement_months 3). Registered Monday 3 March; the notifier is down from then until
 * Monday 14 July 12:00. Meanwhile two periods ended: Q1 (1 January .. Monday 31 March,
 * request due the next working day, Tuesday 1 April, 09:00) and Q2 (1 April .. Monday 30
 * June, due Tuesday 1 July, 09:00). Each buyer's leader must get both requests: Q1's was
 * cancelled as "superseded" by Q2's, and nobody was asked for Q1's figures. */
Test(notifier_catchup, two_missed_quarters_of_two_buyers_each_get_their_request,
     .timeout = 90)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);   /* Monday 3 March 2025, 11:00 */
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    it_start_nt(&c);
    Mvoi__Tender h = it_tender("MQ-1", false, NULL, "2025-01-01", "2025-12-31", false);
    Mvoi__Tender v = h;
    v.buyer = "venlo";
    it_register(&c, &h, false);
    it_register(&c, &v, false);
    /* four quarters per buyer planned before the outage */
    const Mvoi__ReminderKind mr = MVOI__REMINDER_KIND__REM_MEASUREMENT_REQUEST;
    int ph = 0, pv = 0;
    for (int i = 0; i < 100 && (ph < 4 || pv < 4); i++, h_sleep_ms(50)) {
        ph = s_kind_count(&c, "heerlen", 0, mr);
        pv = s_kind_count(&c, "venlo", 0, mr);
    }
    cr_assert(ph == 4 && pv == 4, "4 quarters planned per buyer, got %d and %d", ph, pv);
    it_stop_nt(&c);
    it_clock_set(&c, it_local(2025, 7, 14, 12, 0));
    it_start_nt(&c);
    static it_mail_t m[64];
    int n = it_mails_settled(&c, "measurement_request", 4, m, 64, 15000);
    struct {
        const char *buyer, *due;
    } want[] = {
        { "heerlen", "2025-04-01T09:00" }, { "heerlen", "2025-07-01T09:00" },
        { "venlo", "2025-04-01T09:00" },   { "venlo", "2025-07-01T09:00" },
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (int i = 0; i < n && i < 64; i++)
            found += !strcmp(m[i].kind, "measurement_request") &&
                     !strcmp(m[i].buyer, want[w].buyer) && !strcmp(m[i].due, want[w].due) &&
                     !strcmp(m[i].tender, "MQ-1") && !strcmp(m[i].rcpt, "pl@gemeente.example");
        cr_expect_eq(found, 1, "%s's request due %s: %d mails", want[w].buyer, want[w].due,
                     found);
    }
    cr_assert_eq(it_count(m, n < 64 ? n : 64, "measurement_request"), 4,
                 "two periods x two buyers, no more");
    for (int b = 0; b < 2; b++)
        cr_assert_eq(s_kind_count(&c, b ? "venlo" : "heerlen",
                                  MVOI__DELIVERY_STATE__DELIVERY_CANCELLED, mr), 0,
                     "no period's request cancelled");
    s_undecodable_is_named_once(&c);
    it_teardown(&c);
}
