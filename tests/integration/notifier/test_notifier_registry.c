/*  The notifier and the buyer registry, between real processes (helpers in nt_it.c): each
 *  buyer's organizer (ORGANIZER, UID domain) comes from the registry's organizer key; a
 *  tender of a buyer the registry does not hold is mailed to nobody and a request naming
 *  it is refused by name; the old MVOI_NOTIFIER_BUYER_ORGANIZERS either still works (a buyer
 *  without a registry organizer) or, contradicting the registry, stops the start with a
 *  message naming both. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "nt_it.h"

static void s_registry(it_ctx_t *c)
{
    char path[400];
    snprintf(path, sizeof path, "%s/buyers.ini", c->dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("[heerlen]\nname = Gemeente Heerlen\norganizer = MVOI Heerlen <mvoi@heerlen.example>\n"
          "domain = heerlen.example\n\n"
          "[venlo]\nname = Gemeente Venlo\norganizer = MVOI Venlo <mvoi@venlo.example>\n\n"
          "[sittard]\nname = Gemeente Sittard-Geleen\n", f);
    fclose(f);
    it_env(c, "MVOI_BUYERS_FILE=%s", path);
    it_env(c, "MVOI_NOTIFIER_POLICY_ADVISER=");
    it_env(c, "MVOI_NOTIFIER_MVOI_COORDINATOR=");
}

static Mvoi__Tender s_tender(const char *buyer, Mvoi__Person *pl)
{
    Mvoi__Tender t = it_tender("X-001", true, "2025-09-30", NULL, NULL, false);
    t.buyer = (char *)buyer;
    t.project_leader = pl;
    t.budget_holder = t.procurement_adviser = NULL;
    return t;
}

/* the ORGANIZER of mail i: "mailto:..." */
static void s_organizer(it_ctx_t *c, int i, char *out, size_t cap)
{
    icalcomponent *cal = it_ics(c, i);
    cr_assert_not_null(cal);
    icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    cr_assert_not_null(p);
    snprintf(out, cap, "%s", icalproperty_get_organizer(p));
    icalcomponent_free(cal);
}

Test(notifier_registry, organizer_from_the_registry_unknown_buyer_mailed_to_nobody)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    s_registry(&c);
    /* sittard has no organizer in the registry: the old setting still serves it */
    it_env(&c, "MVOI_NOTIFIER_BUYER_ORGANIZERS=sittard=MVOI Sittard <mvoi@sittard.example>");
    it_start_nt(&c);
    Mvoi__Person ph = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "H", "pl@heerlen.example" };
    Mvoi__Person pv = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "V", "pl@venlo.example" };
    Mvoi__Person ps = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "S", "pl@sittard.example" };
    Mvoi__Person px = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "X", "pl@roermond.example" };
    /* roermond is not in this registry (the fake calendar publishes whatever it is given) */
    Mvoi__Tender x = s_tender("roermond", &px), h = s_tender("heerlen", &ph);
    Mvoi__Tender v = s_tender("venlo", &pv), s = s_tender("sittard", &ps);
    it_register(&c, &x, false);
    it_register(&c, &h, false);
    it_register(&c, &v, false);
    it_register(&c, &s, false);
    static it_mail_t m[32];
    int n = it_wait_mails(&c, c.maildir, "kickoff_invitation", 3, m, 32, 15000);
    h_sleep_ms(500);
    n = it_mails(&c, c.maildir, m, 32);
    cr_assert_eq(n, 3, "one invitation per served buyer, none for roermond: %d", n);
    cr_assert_eq(it_count_to(m, n, NULL, "pl@roermond.example"), 0);
    static const struct { const char *rcpt, *uid, *org; } want[] = {
        { "pl@heerlen.example", "kickoff/heerlen/X-001@heerlen.example", "mailto:mvoi@heerlen.example" },
        { "pl@venlo.example", "kickoff/venlo/X-001@venlo.example", "mailto:mvoi@venlo.example" },
        { "pl@sittard.example", "kickoff/sittard/X-001@sittard.example", "mailto:mvoi@sittard.example" },
    };
    for (int w = 0; w < 3; w++) {
        int i = 0;
        while (i < n && strcmp(m[i].rcpt, want[w].rcpt) != 0)
            i++;
        cr_assert_lt(i, n, "no mail to %s", want[w].rcpt);
        cr_expect_str_eq(m[i].uid, want[w].uid);
        char org[200];
        s_organizer(&c, i, org, sizeof org);
        cr_expect_str_eq(org, want[w].org, "ORGANIZER of %s", want[w].rcpt);
    }
    /* a request naming roermond: refused by name, before any handler */
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT, *rep = NULL;
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    e.buyer = "roermond";
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    cr_assert_eq(it_call(&c, c.e_nt_api, &e, &rep), 0);
    cr_assert_eq(rep->body_case, MVOI__ENVELOPE__BODY_ERROR);
    cr_expect_eq(rep->error->code, MVOI__ERROR_CODE__ERR_PERMISSION_DENIED);
    cr_expect_str_eq(rep->error->field, "buyer");
    mvoi__envelope__free_unpacked(rep, NULL);
    /* the log says why roermond got nothing */
    FILE *lf = fopen(c.nt.log, "r");
    cr_assert(lf);
    char line[2048];
    bool said = false;
    while (fgets(line, sizeof line, lf))
        said |= strstr(line, "\"buyer_refused\"") && strstr(line, "roermond");
    fclose(lf);
    cr_expect(said, "no buyer_refused line in %s", c.nt.log);
    it_teardown(&c);
}

Test(notifier_registry, old_setting_contradicting_the_registry_stops_the_start)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    s_registry(&c);
    it_env(&c, "MVOI_NOTIFIER_BUYER_ORGANIZERS=heerlen=Oud <oud@heerlen.example>");
    char bin[512];
    h_bin(bin, sizeof bin, "services/notifier/mvoi-notifier");
    cr_assert_eq(h_spawn(&c.nt, bin, "notifier", c.dir, c.envp), 0);
    int st = 0;
    cr_assert_eq(h_wait(&c.nt, 20000, &st), 0, "the notifier started anyway");
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 78, "exit %d (want 78, a config error)",
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    FILE *lf = fopen(c.nt.log, "r");
    cr_assert(lf);
    char line[2048];
    bool named = false;
    while (fgets(line, sizeof line, lf))
        named |= strstr(line, "buyer_organizers: 'heerlen' differs from the buyer registry") &&
                 strstr(line, "mvoi@heerlen.example");
    fclose(lf);
    cr_expect(named, "the refusal does not name the buyer and the registry's organizer (%s)",
              c.nt.log);
    it_teardown(&c);
}

/* One ListReminders/GetReminder/CancelReminder in the name of buyer (NULL: none, an
 * all-buyers operator). The reply is the caller's to free. */
static Mvoi__Envelope *s_call(it_ctx_t *c, const char *buyer, Mvoi__Envelope *e)
{
    e->buyer = (char *)(buyer ? buyer : "");   /* it_call names heerlen for a NULL buyer */
    Mvoi__Envelope *out = NULL;
    cr_assert_eq(it_call(c, c->e_nt_api, e, &out), 0);
    return out;
}

static Mvoi__Envelope *s_list(it_ctx_t *c, const char *buyer)
{
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    q.has_limit = true;
    q.limit = 1000;
    Mvoi__Envelope e = MVOI__ENVELOPE__INIT;
    e.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    e.list_reminders = &q;
    Mvoi__Envelope *out = s_call(c, buyer, &e);
    cr_assert_eq(out->body_case, MVOI__ENVELOPE__BODY_REMINDER_LIST);
    return out;
}

/* Reminder ids carry the buyer, and one listing without a tender used to walk them all:
 * venlo's list held heerlen's reminders (names, addresses, titles), and GetReminder,
 * ResendReminder and CancelReminder took another buyer's id. Each buyer sees and changes
 * its own; an all-buyers operator (no buyer named) still sees every one. */
Test(notifier_registry, reminders_are_listed_and_changed_per_buyer)
{
    it_ctx_t c;
    it_setup(&c, CLOCK0);
    it_start_sink(&c, false);
    it_env(&c, "MVOI_NOTIFIER_SMTP_URL=smtp://127.0.0.1:%d", c.smtp);
    s_registry(&c);
    it_start_nt(&c);
    Mvoi__Person ph = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "H", "pl@heerlen.example" };
    Mvoi__Person pv = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "V", "pl@venlo.example" };
    Mvoi__Tender h = s_tender("heerlen", &ph), v = s_tender("venlo", &pv);
    it_register(&c, &h, false);
    it_register(&c, &v, false);
    static it_mail_t m[32];
    it_wait_mails(&c, c.maildir, "kickoff_invitation", 2, m, 32, 15000);
    h_sleep_ms(500);   /* the tenders' other reminders are planned by now */
    size_t n_own[2] = { 0, 0 };
    const char *buyers[2] = { "heerlen", "venlo" };
    char heerlen_id[600] = "";
    for (int b = 0; b < 2; b++) {
        Mvoi__Envelope *own = s_list(&c, buyers[b]);
        Mvoi__ReminderList *l = own->reminder_list;
        n_own[b] = l->n_reminders;
        cr_expect_gt(n_own[b], 0, "%s has no reminders", buyers[b]);
        cr_expect_eq(l->total, n_own[b]);
        for (size_t i = 0; i < l->n_reminders; i++)
            cr_expect_str_eq(l->reminders[i]->buyer, buyers[b], "%s's list holds %s's %s",
                             buyers[b], l->reminders[i]->buyer, l->reminders[i]->id);
        for (size_t i = 0; b == 0 && i < l->n_reminders && !*heerlen_id; i++)
            if (l->reminders[i]->state == MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED)
                snprintf(heerlen_id, sizeof heerlen_id, "%s", l->reminders[i]->id);
        mvoi__envelope__free_unpacked(own, NULL);
    }
    /* the operator's: both buyers' and the plan-wide ones of no buyer */
    Mvoi__Envelope *all = s_list(&c, NULL);
    size_t n_all = all->reminder_list->n_reminders, n_none = 0;
    for (size_t i = 0; i < n_all; i++)
        n_none += !all->reminder_list->reminders[i]->buyer
                  || !*all->reminder_list->reminders[i]->buyer;
    cr_expect_eq(n_all, n_own[0] + n_own[1] + n_none, "the operator's list: %zu, the buyers' "
                 "%zu + %zu, of no buyer %zu", n_all, n_own[0], n_own[1], n_none);
    mvoi__envelope__free_unpacked(all, NULL);
    cr_assert(*heerlen_id, "heerlen has no scheduled reminder to try");
    /* venlo names heerlen's reminder: not found, and nothing changes */
    Mvoi__GetReminder g = MVOI__GET_REMINDER__INIT;
    g.id = heerlen_id;
    Mvoi__CancelReminder k = MVOI__CANCEL_REMINDER__INIT;
    k.id = heerlen_id;
    Mvoi__ResendReminder s = MVOI__RESEND_REMINDER__INIT;
    s.id = heerlen_id;
    Mvoi__Envelope eg = MVOI__ENVELOPE__INIT, ek = MVOI__ENVELOPE__INIT, es = MVOI__ENVELOPE__INIT;
    eg.body_case = MVOI__ENVELOPE__BODY_GET_REMINDER, eg.get_reminder = &g;
    ek.body_case = MVOI__ENVELOPE__BODY_CANCEL_REMINDER, ek.cancel_reminder = &k;
    es.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER, es.resend_reminder = &s;
    Mvoi__Envelope *req[3] = { &eg, &ek, &es };
    for (int i = 0; i < 3; i++) {
        Mvoi__Envelope *r = s_call(&c, "venlo", req[i]);
        cr_expect_eq(r->body_case, MVOI__ENVELOPE__BODY_ERROR, "venlo's request %d on heerlen's "
                     "reminder: body %d", i, (int)r->body_case);
        if (r->body_case == MVOI__ENVELOPE__BODY_ERROR)
            cr_expect_eq(r->error->code, MVOI__ERROR_CODE__ERR_NOT_FOUND);
        mvoi__envelope__free_unpacked(r, NULL);
    }
    Mvoi__Envelope *r = s_call(&c, "heerlen", &eg);
    cr_assert_eq(r->body_case, MVOI__ENVELOPE__BODY_REMINDER, "heerlen's own: body %d",
                 (int)r->body_case);
    cr_expect_eq(r->reminder->state, MVOI__DELIVERY_STATE__DELIVERY_SCHEDULED,
                 "heerlen's reminder was changed by venlo's cancel");
    mvoi__envelope__free_unpacked(r, NULL);
    it_teardown(&c);
}
