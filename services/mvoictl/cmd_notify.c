/*  mvoictl reminders: the notifier's schedule and dead letters.
 *    mvoictl reminders list [--state STATE] [--tender ID] [--offset N] [--limit N]
 *    mvoictl reminders show ID
 *    mvoictl reminders resend ID          (a dead, unconfirmed or cancelled reminder, same
 *                                          Message-ID)
 *    mvoictl reminders cancel ID [REASON]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "pbjson.h"

static void s_time(char *buf, size_t len, int64_t ms)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    ctl_nl_time(buf, len, ms);   /* the notifier's own clock: Dutch, not the machine's TZ */
}

static void s_row(const Mvoi__Reminder *r)
{
    char due[32];
    s_time(due, sizeof due, r->has_next_attempt_ms ? r->next_attempt_ms : r->due_ms);
    const char *st = pbjson_enum_short(&mvoi__delivery_state__descriptor, r->state);
    const char *k = pbjson_enum_short(&mvoi__reminder_kind__descriptor, r->kind);
    printf("%-44s %-10s %-20s %-16s %3u %s\n", r->id, st ? st : "?", k ? k : "?", due,
           r->attempts, r->last_error ? r->last_error : "");
}

/* `show`: the list's row, then what finding the message in a mailbox or a relay's log
 * takes (its Message-ID was only in --json). */
static void s_detail(ctl_t *ctl, const Mvoi__Reminder *r)
{
    s_row(r);
    printf("  %-14s", ctl_text(ctl, "ctl.remind.recipients"));
    for (size_t i = 0; i < r->n_recipients; i++)
        printf("%s%s", i ? ", " : " ", r->recipients[i]);
    printf("\n");
    if (r->tender_id && *r->tender_id)
        printf("  %-14s %s\n", ctl_text(ctl, "ctl.remind.tender"), r->tender_id);
    if (r->message_id && *r->message_id)
        printf("  %-14s %s%s%s\n", "Message-ID:", r->message_id[0] == '<' ? "" : "<",
               r->message_id, r->message_id[0] == '<' ? "" : ">");
    if (r->last_error && *r->last_error)
        printf("  %-14s %s\n", ctl_text(ctl, "ctl.remind.last_error"), r->last_error);
}

static int s_one(ctl_t *ctl, Mvoi__Envelope *req)
{
    Mvoi__Envelope *r = NULL;
    int ex = ctl_call(ctl, "notifier", req, &r);
    if (ex)
        return ex;
    if ((ex = ctl_check_error(ctl, r)) == 0) {
        if (r->body_case != MVOI__ENVELOPE__BODY_REMINDER) {
            ex = ctl_fail(ctl, CTL_EX_SOFTWARE, "ctl.err.unexpected");
        } else if (ctl->json) {
            ctl_print_json(stdout, &r->reminder->base);
        } else {
            s_detail(ctl, r->reminder);
        }
    }
    ctl_free(&r);
    return ex;
}

static int s_list(ctl_t *ctl, int argc, char **argv)
{
    Mvoi__ListReminders q = MVOI__LIST_REMINDERS__INIT;
    static const struct option o[] = { { "state", required_argument, NULL, 's' },
                                       { "tender", required_argument, NULL, 't' },
                                       { "offset", required_argument, NULL, 'o' },
                                       { "limit", required_argument, NULL, 'l' },
                                       { NULL, 0, NULL, 0 } };
    int c, ex = CTL_EX_OK;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:t:o:l:", o, NULL)) != -1) {
        switch (c) {
        case 's': {
            int v;
            if (pbjson_enum_parse(&mvoi__delivery_state__descriptor, optarg, &v) != 0) {
                return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.state");
            }
            q.has_state = true;
            q.state = (Mvoi__DeliveryState)v;
            break;
        }
        case 't': q.tender_id = optarg; break;
        case 'o': q.has_offset = true; ex = CTL_OPT_OFFSET(ctl, optarg, &q.offset); break;
        case 'l': q.has_limit = true; ex = CTL_OPT_LIMIT(ctl, optarg, &q.limit); break;
        default: return CTL_EX_USAGE;
        }
        if (ex != CTL_EX_OK)
            return ex;
    }
    if ((ex = ctl_no_operands(ctl, argc, argv, optind)) != CTL_EX_OK)
        return ex;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_LIST_REMINDERS;
    req.list_reminders = &q;
    Mvoi__Envelope *r = NULL;
    ex = ctl_call(ctl, "notifier", &req, &r);
    if (ex)
        return ex;
    if ((ex = ctl_check_error(ctl, r)) == 0 && r->body_case == MVOI__ENVELOPE__BODY_REMINDER_LIST) {
        const Mvoi__ReminderList *l = r->reminder_list;
        if (ctl->json) {
            ctl_print_json(stdout, &l->base);
        } else {
            printf("%-44s %-10s %-20s %-16s %3s %s\n", "ID", "STATE", "KIND", "DUE/NEXT", "TRY",
                   "LAST ERROR");
            for (size_t i = 0; i < l->n_reminders; i++)
                s_row(l->reminders[i]);
            if (l->next_offset)
                fprintf(stderr, "(%u of %u; more with --offset %u)\n",
                        (unsigned)l->n_reminders, l->total, l->next_offset);
        }
    }
    ctl_free(&r);
    return ex;
}

static int s_need_id(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "mvoictl: reminders %s needs a reminder ID\n", argv[0]);
        return CTL_EX_USAGE;
    }
    return 0;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(argc, argv);
    if (ex)
        return ex;
    Mvoi__GetReminder g = MVOI__GET_REMINDER__INIT;
    g.id = argv[1];
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_REMINDER;
    req.get_reminder = &g;
    return s_one(ctl, &req);
}

static int s_resend(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(argc, argv);
    if (ex)
        return ex;
    Mvoi__ResendReminder g = MVOI__RESEND_REMINDER__INIT;
    g.id = argv[1];
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER;
    req.resend_reminder = &g;
    return s_one(ctl, &req);
}

static int s_cancel(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(argc, argv);
    if (ex)
        return ex;
    Mvoi__CancelReminder g = MVOI__CANCEL_REMINDER__INIT;
    g.id = argv[1];
    g.reason = argc > 2 ? argv[2] : NULL;
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_CANCEL_REMINDER;
    req.cancel_reminder = &g;
    return s_one(ctl, &req);
}

const ctl_cmd_t ctl_reminders_cmds[] = {
    { "list", "[--state STATE] [--tender ID] [--offset N] [--limit N]",
      "scheduled, sent and dead notifications (paged)", s_list },
    { "show", "ID", "one notification", s_show },
    { "resend", "ID", "send a dead, unconfirmed (or cancelled) notification again", s_resend },
    { "cancel", "ID [REASON]", "cancel a scheduled, retrying, dead or unconfirmed one", s_cancel },
    { NULL },
};
