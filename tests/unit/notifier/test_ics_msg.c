/*  notifier iCalendar and mail content, parsed back with libical; webhook signatures. */
#include <criterion/criterion.h>
#include <errno.h>
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_cal.h"
#include "nt_ics.h"
#include "nt_msg.h"

/* The moment a copy is rendered for sending: its Date: and DTSTAMP. */
#define S_NOW 1767261600000LL   /* 2026-01-01T10:00:00Z */

static nt_msg_cfg_t s_mcfg = { .lang = TEXT_NL, .mail_from = "mvoi@gemeente.example",
                               .location = "Raadhuis", .dashboard_url = "http://dash/",
                               .alarm_minutes = 15, .min_lead_days = 10 };
static Mvoi__Person s_p1 = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "P. Leider",
                             "pl@gemeente.example" };
static Mvoi__Person s_p2 = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "B. Houder",
                             "bh@gemeente.example" };
static Mvoi__Person *s_att[] = { &s_p1, &s_p2 };

static Mvoi__Reminder s_rem(Mvoi__ReminderKind kind, unsigned seq, char **rcpts, size_t n)
{
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    r.id = "T-7/kickoff_invitation/1/v0";
    r.tender_id = "T-7";
    r.title = "Groenonderhoud & maaien";
    r.has_kind = true;
    r.kind = kind;
    r.has_sequence = true;
    r.sequence = seq;
    r.uid = "kickoff-T-7@gemeente.example";
    r.has_meeting_start_ms = r.has_meeting_end_ms = true;
    r.meeting_start_ms = nt_ams_to_utc(nt_days_from_civil(2025, 6, 6), 10, 0);
    r.meeting_end_ms = r.meeting_start_ms + 3600000;
    r.has_due_ms = true;
    r.due_ms = r.meeting_start_ms - 30 * 86400000LL;
    r.has_created_ms = true;
    r.created_ms = r.due_ms;
    r.recipients = rcpts;
    r.n_recipients = n;
    r.organizer = "coordinator@gemeente.example";
    r.attendees = s_att;
    r.n_attendees = 2;
    return r;
}

static char *s_rcpts[] = { "pl@gemeente.example", "bh@gemeente.example" };

Test(nt_ics, request_parses_back_with_libical)
{
    Mvoi__Reminder r = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, 0, s_rcpts, 2);
    char *ics = nt_msg_ics(&s_mcfg, &r, S_NOW);
    cr_assert_not_null(ics);
    cr_assert(strstr(ics, "DTSTART:20250606T080000Z"), "%s", ics);
    cr_assert(!strstr(ics, "VTIMEZONE"));
    icalcomponent *c = icalparser_parse_string(ics);
    cr_assert_not_null(c);
    cr_assert_eq(icalcomponent_get_method(c), ICAL_METHOD_REQUEST);
    icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
    cr_assert_not_null(ev);
    cr_assert_str_eq(icalcomponent_get_uid(ev), "kickoff-T-7@gemeente.example");
    cr_assert_eq(icalcomponent_get_sequence(ev), 0);
    cr_assert_eq(icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY), 2);
    icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    cr_assert_str_eq(icalproperty_get_organizer(org), "mailto:coordinator@gemeente.example");
    cr_assert_not_null(icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT));
    struct icaltimetype st = icalcomponent_get_dtstart(ev);
    cr_assert(icaltime_is_utc(st));
    cr_assert_eq(st.hour, 8);
    cr_assert_eq(icalrestriction_check(c), 1);
    cr_assert_eq(icalcomponent_count_errors(c), 0);
    icalcomponent_free(c);
    free(ics);
}

Test(nt_ics, update_keeps_uid_and_raises_sequence_cancel_is_method_cancel)
{
    Mvoi__Reminder r0 = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, 0, s_rcpts, 2);
    Mvoi__Reminder r1 = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, 1, s_rcpts, 2);
    Mvoi__Reminder r2 = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_CANCELLED, 2, s_rcpts, 2);
    icalcomponent *c[3];
    Mvoi__Reminder *rs[3] = { &r0, &r1, &r2 };
    for (int i = 0; i < 3; i++) {
        char *ics = nt_msg_ics(&s_mcfg, rs[i], S_NOW);
        c[i] = icalparser_parse_string(ics);
        free(ics);
        cr_assert_not_null(c[i]);
    }
    icalcomponent *e0 = icalcomponent_get_first_component(c[0], ICAL_VEVENT_COMPONENT);
    icalcomponent *e1 = icalcomponent_get_first_component(c[1], ICAL_VEVENT_COMPONENT);
    icalcomponent *e2 = icalcomponent_get_first_component(c[2], ICAL_VEVENT_COMPONENT);
    cr_assert_str_eq(icalcomponent_get_uid(e0), icalcomponent_get_uid(e1));
    cr_assert_str_eq(icalcomponent_get_uid(e0), icalcomponent_get_uid(e2));
    cr_assert_eq(icalcomponent_get_sequence(e1), icalcomponent_get_sequence(e0) + 1);
    cr_assert_eq(icalcomponent_get_method(c[2]), ICAL_METHOD_CANCEL);
    cr_assert_eq(icalcomponent_get_status(e2), ICAL_STATUS_CANCELLED);
    cr_assert_eq(icalcomponent_get_sequence(e2), 2);
    cr_assert_eq(icalrestriction_check(c[2]), 1);
    for (int i = 0; i < 3; i++)
        icalcomponent_free(c[i]);
}

Test(nt_msg, mail_is_deterministic_multipart_with_calendar_part)
{
    Mvoi__Reminder r = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, 0, s_rcpts, 2);
    nt_buf_t a = { 0 }, b = { 0 };
    cr_assert_eq(nt_msg_mail(&s_mcfg, &r, S_NOW, &a), 0);
    cr_assert_eq(nt_msg_mail(&s_mcfg, &r, S_NOW, &b), 0);
    cr_assert_eq(a.len, b.len);
    cr_assert(memcmp(a.data, b.data, a.len) == 0, "a re-send must be byte-identical");
    cr_assert(strstr(a.data, "Content-Type: multipart/mixed"));
    cr_assert(strstr(a.data, "Content-Type: text/calendar; charset=utf-8; method=REQUEST"));
    cr_assert(strstr(a.data, "Content-Type: text/html; charset=utf-8"));
    cr_assert(strstr(a.data, "filename=\"invite.ics\""));
    char mid[200];
    nt_msg_message_id(mid, sizeof mid, r.id, s_mcfg.mail_from);
    char hdr[256];
    snprintf(hdr, sizeof hdr, "Message-ID: %s\r\n", mid);
    cr_assert(strstr(a.data, hdr), "%s", hdr);
    cr_assert(strstr(a.data, "@gemeente.example>"));
    cr_assert(strstr(a.data, "Subject: Uitnodiging startsessie: Groenonderhoud & maaien\r\n"));
    nt_buf_free(&a);
    nt_buf_free(&b);
    /* English on request, and no calendar part for a plain reminder. */
    nt_msg_cfg_t en = s_mcfg;
    en.lang = TEXT_EN;
    r.kind = MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
    r.ordinal = 2;
    cr_assert_eq(nt_msg_mail(&en, &r, S_NOW, &a), 0);
    cr_assert(strstr(a.data, "Subject: Ambition not yet recorded: Groenonderhoud & maaien"));
    cr_assert(!strstr(a.data, "text/calendar"));
    nt_buf_free(&a);
}

/* An invitation whose calendar part cannot be made is not sent without it: the mail went
 * out as a plain text, no meeting reached an agenda, and the copy counted as sent. Without
 * a UID (the part's identity, RFC 5545 3.8.4.7) there is no part to make. */
Test(nt_msg, an_invitation_without_its_calendar_part_is_not_sent)
{
    Mvoi__Reminder kinds[2] = {
        s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION, 0, s_rcpts, 2),
        s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_CANCELLED, 1, s_rcpts, 2),
    };
    for (int i = 0; i < 2; i++) {
        kinds[i].uid = NULL;
        nt_buf_t m = { 0 };
        cr_expect_eq(nt_msg_mail(&s_mcfg, &kinds[i], S_NOW, &m), -EINVAL, "kind %d", i);
        cr_expect_eq(m.len, 0, "kind %d: a mail was made", i);
        nt_buf_free(&m);
    }
}

static void s_python_sig(const char *secret_b64, const char *id, long long ts, const char *body,
                         char *out, size_t len)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import hmac,hashlib,base64,sys; "
             "k=base64.b64decode(sys.argv[1]); m=(sys.argv[2]+\".\"+sys.argv[3]+\".\"+sys.argv[4]).encode(); "
             "print(\"v1,\"+base64.b64encode(hmac.new(k,m,hashlib.sha256).digest()).decode())' "
             "'%s' '%s' '%lld' '%s'",
             secret_b64, id, ts, body);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(out, (int)len, p));
    out[strcspn(out, "\n")] = 0;
    pclose(p);
}

Test(nt_webhook, signature_matches_python_hmac_and_the_spec_example)
{
    /* Example of the Standard Webhooks specification. */
    char sig[128];
    const char *body = "{\"test\": 2432232314}";
    cr_assert_eq(nt_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
                                 sig, sizeof sig), 0);
    char want[128];
    s_python_sig("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                 body, want, sizeof want);
    cr_assert_str_eq(sig, want);
    cr_assert_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* A raw (non-whsec) secret is used as bytes: "c2VjcmV0" is base64 of "secret". */
    cr_assert_eq(nt_webhook_sign("secret", "T-1/kickoff_invitation/1/v0", 1700000000, "{}", 2, sig,
                                 sizeof sig), 0);
    s_python_sig("c2VjcmV0", "T-1/kickoff_invitation/1/v0", 1700000000, "{}", want, sizeof want);
    cr_assert_str_eq(sig, want);
}

Test(nt_webhook, templates_are_json)
{
    Mvoi__Reminder r = s_rem(MVOI__REMINDER_KIND__REM_KICKOFF_REMINDER, 0, s_rcpts, 2);
    const char *must[] = { "\"reminder\":", "AdaptiveCard", "\"blocks\":" };
    for (int t = 0; t < 3; t++) {
        char *j = NULL;
        cr_assert_eq(nt_msg_webhook_body(&s_mcfg, (nt_template_t)t, &r, &j), 0);
        cr_assert(strstr(j, must[t]), "%s", j);
        free(j);
    }
    nt_template_t t;
    cr_assert_eq(nt_template_parse("teams", &t), 0);
    cr_assert_eq(t, NT_TPL_TEAMS);
    cr_assert_neq(nt_template_parse("discord", &t), 0);
}

/* The webhook-id is the record id without its "#webhook" suffix only: tender ids with '#'
 * keep their own ids (a deduplicating receiver dropped "HASH#B" as a repeat of "HASH#A"). */
Test(nt_msg, webhook_id_strips_only_the_webhook_suffix)
{
    char a[600], b[600], c[600];
    nt_webhook_id("heerlen/HASH#A/kickoff_invitation/1/v0#webhook", a, sizeof a);
    nt_webhook_id("heerlen/HASH#B/kickoff_invitation/1/v0#webhook", b, sizeof b);
    cr_assert_str_eq(a, "heerlen/HASH#A/kickoff_invitation/1/v0");
    cr_assert_str_eq(b, "heerlen/HASH#B/kickoff_invitation/1/v0");
    nt_webhook_id("heerlen/W-1/kickoff_invitation/1/v0#webhook", c, sizeof c);
    cr_assert_str_eq(c, "heerlen/W-1/kickoff_invitation/1/v0");
    nt_webhook_id("heerlen/X#webhookish/ambition_missing/1/v0", c, sizeof c);
    cr_assert_str_eq(c, "heerlen/X#webhookish/ambition_missing/1/v0");
}
