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
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "mvoi_id.h"
#include "pbjson.h"

static void s_time(char *buf, size_t len, int64_t ms)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    ctl_nl_time(buf, len, ms);   /* the notifier's own clock: Dutch, not the machine's TZ */
}

/* A state's or kind's word in the chosen language ("ctl.remind.state.dead" "mislukt",
 * "dash.kind.measurement_request" "meetverzoek"); the wire name when the catalogue has none. */
static const char *s_word(const ctl_t *ctl, const char *area, const ProtobufCEnumDescriptor *d,
                          int v)
{
    const char *code = pbjson_enum_short(d, v);
    char key[96];
    if (!code)
        return "?";
    snprintf(key, sizeof key, "%s.%s", area, code);
    return text_has(key) ? ctl_text(ctl, key) : code;
}

/* Columns as wide as this page's longest id (ids run to ~70 characters: a fixed 44 pushed
 * every later column out of line). */
typedef struct {
    int id, state, kind;
} s_widths_t;

static void s_row(const ctl_t *ctl, const Mvoi__Reminder *r, const s_widths_t *w)
{
    char due[32];
    s_time(due, sizeof due, r->has_next_attempt_ms ? r->next_attempt_ms : r->due_ms);
    const char *st = s_word(ctl, "ctl.remind.state", &mvoi__delivery_state__descriptor, r->state);
    const char *k = s_word(ctl, "dash.kind", &mvoi__reminder_kind__descriptor, r->kind);
    printf("%-*s  %-*s  %-*s  %-16s  %6u  %s\n", w->id, r->id ? r->id : "", w->state, st,
           w->kind, k, due, r->attempts, r->last_error ? r->last_error : "");
}

static s_widths_t s_widths(const ctl_t *ctl, Mvoi__Reminder *const *rs, size_t n)
{
    s_widths_t w = { (int)strlen("ID"), 0, 0 };
    w.state = (int)strlen(ctl_text(ctl, "ctl.remind.col.state"));
    w.kind = (int)strlen(ctl_text(ctl, "ctl.remind.col.kind"));
    for (size_t i = 0; i < n; i++) {
        int li = rs[i]->id ? (int)strlen(rs[i]->id) : 0;
        int ls = (int)strlen(s_word(ctl, "ctl.remind.state", &mvoi__delivery_state__descriptor,
                                    rs[i]->state));
        int lk = (int)strlen(s_word(ctl, "dash.kind", &mvoi__reminder_kind__descriptor,
                                    rs[i]->kind));
        w.id = li > w.id ? li : w.id;
        w.state = ls > w.state ? ls : w.state;
        w.kind = lk > w.kind ? lk : w.kind;
    }
    return w;
}

static void s_header(const ctl_t *ctl, const s_widths_t *w)
{
    printf("%-*s  %-*s  %-*s  %-16s  %6s  %s\n", w->id, "ID", w->state,
           ctl_text(ctl, "ctl.remind.col.state"), w->kind, ctl_text(ctl, "ctl.remind.col.kind"),
           ctl_text(ctl, "ctl.remind.col.due"), ctl_text(ctl, "ctl.remind.col.tries"),
           ctl_text(ctl, "ctl.remind.col.error"));
}

/* `show`: the list's row, then what finding the message in a mailbox or a relay's log
 * takes (its Message-ID was only in --json). */
static void s_detail(ctl_t *ctl, const Mvoi__Reminder *r)
{
    Mvoi__Reminder *one[1] = { (Mvoi__Reminder *)r };
    s_widths_t w = s_widths(ctl, one, 1);
    s_header(ctl, &w);
    s_row(ctl, r, &w);
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

/* --state: the wire name ("dead") or the word the list shows, in either language
 * ("mislukt", "opnieuw proberen"). */
static int s_state_parse(const char *arg, int *v)
{
    if (pbjson_enum_parse(&mvoi__delivery_state__descriptor, arg, v) == 0)
        return 0;
    for (unsigned i = 0; i < mvoi__delivery_state__descriptor.n_values; i++) {
        int val = mvoi__delivery_state__descriptor.values[i].value;
        const char *code = pbjson_enum_short(&mvoi__delivery_state__descriptor, val);
        char key[96];
        snprintf(key, sizeof key, "ctl.remind.state.%s", code ? code : "");
        if (val && text_has(key) && (strcasecmp(arg, text_get(TEXT_NL, key)) == 0 ||
                                     strcasecmp(arg, text_get(TEXT_EN, key)) == 0)) {
            *v = val;
            return 0;
        }
    }
    return -EINVAL;
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
            if (s_state_parse(optarg, &v) != 0) {
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
            s_widths_t w = s_widths(ctl, l->reminders, l->n_reminders);
            s_header(ctl, &w);
            for (size_t i = 0; i < l->n_reminders; i++)
                s_row(ctl, l->reminders[i], &w);
            (void)ctl_out_flush();   /* the count after the table, as in tender list */
            if (l->next_offset)
                fprintf(stderr, ctl_text(ctl, "ctl.remind.more"), (unsigned)l->n_reminders,
                        l->total, l->next_offset);
            else
                fprintf(stderr, ctl_text(ctl, l->total == 1 ? "ctl.remind.count.one" : "ctl.remind.count"),
                        l->total);
            fputc('\n', stderr);
        }
    }
    ctl_free(&r);
    return ex;
}

/* The id at argv[1] and at most `more` operands after it: `resend r1 r2` resent r1 alone
 * with exit 0, `cancel r1 no longer needed` stored the reason "no". */
static int s_need_id(const ctl_t *ctl, int argc, char **argv, int more)
{
    if (argc < 2)
        return ctl_fail(ctl, CTL_EX_USAGE, "ctl.err.remind_id", argv[0]);
    return ctl_no_operands(ctl, argc, argv, 2 + more);
}

/* An id the door refuses as a reminder id (over 256 bytes, an address not ASCII) may be
 * one a record had before the notifier stored it again under a valid one, as a dead
 * letter report of that time names it: it goes as former_id, and the notifier answers
 * with the record under its id now (which the output shows). */
static void s_set_id(char *arg, char **id, char **former)
{
    if (mvoi_id_check_str(MVOI_ID_REMINDER, arg, NULL, 0) == 0)
        *id = arg;
    else
        *former = arg;
}

static int s_show(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(ctl, argc, argv, 0);
    if (ex)
        return ex;
    Mvoi__GetReminder g = MVOI__GET_REMINDER__INIT;
    s_set_id(argv[1], &g.id, &g.former_id);
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_GET_REMINDER;
    req.get_reminder = &g;
    return s_one(ctl, &req);
}

static int s_resend(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(ctl, argc, argv, 0);
    if (ex)
        return ex;
    Mvoi__ResendReminder g = MVOI__RESEND_REMINDER__INIT;
    s_set_id(argv[1], &g.id, &g.former_id);
    Mvoi__Envelope req = MVOI__ENVELOPE__INIT;
    req.body_case = MVOI__ENVELOPE__BODY_RESEND_REMINDER;
    req.resend_reminder = &g;
    return s_one(ctl, &req);
}

static int s_cancel(ctl_t *ctl, int argc, char **argv)
{
    int ex = s_need_id(ctl, argc, argv, 1);
    if (ex)
        return ex;
    Mvoi__CancelReminder g = MVOI__CANCEL_REMINDER__INIT;
    s_set_id(argv[1], &g.id, &g.former_id);
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
