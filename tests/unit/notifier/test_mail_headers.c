/*  The notifier's mail headers as a recipient's mail program reads them: no input adds a
 *  header (CR/LF in a title or name), display names with specials stay one address, Date:
 *  and DTSTAMP are the send time, long and non-ASCII subjects are folded into encoded
 *  words of at most 75 characters that each decode to whole UTF-8 characters. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_msg.h"

#define S_SENT 1767261600000LL      /* 2026-01-01T10:00:00Z: the copy is rendered */
#define S_PLANNED 1735725600000LL   /* 2025-01-01T10:00:00Z: the reminder was planned */

static nt_msg_cfg_t s_cfg = { .lang = TEXT_NL, .mail_from = "mvoi@heerlen.nl",
                              .location = "Raadhuis", .dashboard_url = "http://dash/",
                              .alarm_minutes = 15, .min_lead_days = 10 };
static char *s_one[] = { "am.dhondt@heerlen.nl" };

static Mvoi__Reminder s_rem(const char *title, const char *name)
{
    Mvoi__Reminder r = MVOI__REMINDER__INIT;
    r.id = "heerlen/T-1/ambition_missing/1/v0/am.dhondt@heerlen.nl";
    r.buyer = "heerlen";
    r.tender_id = "T-1";
    r.title = (char *)title;
    r.has_kind = true;
    r.kind = MVOI__REMINDER_KIND__REM_AMBITION_MISSING;
    r.has_ordinal = true;
    r.ordinal = 1;
    r.has_due_ms = r.has_created_ms = true;
    r.due_ms = r.created_ms = S_PLANNED;
    r.recipients = s_one;
    r.n_recipients = 1;
    r.recipient_name = (char *)name;
    r.organizer = "MVOI Heerlen <mvoi@heerlen.nl>";
    return r;
}

/* The header block of a rendered mail (up to the empty line), malloc'ed. */
static char *s_mail_headers(const Mvoi__Reminder *r)
{
    nt_buf_t m = { 0 };
    cr_assert_eq(nt_msg_mail(&s_cfg, r, S_SENT, &m), 0);
    char *end = strstr(m.data, "\r\n\r\n");
    cr_assert_not_null(end);
    char *h = strndup(m.data, (size_t)(end - m.data) + 2);
    nt_buf_free(&m);
    return h;
}

/* Is there a header line (not a continuation) starting with name? */
static bool s_has_field(const char *h, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = h; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
        if (strncasecmp(l, name, n) == 0)
            return true;
    return false;
}

/* A field's value, unfolded (CRLF before white space removed), into out. */
static void s_field(const char *h, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name), o = 0;
    const char *l = h;
    while (l && strncasecmp(l, name, n) != 0)
        l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL;
    cr_assert_not_null(l, "no %s in\n%s", name, h);
    for (const char *p = l + n; *p && o + 1 < cap; p++) {
        if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
            p++;
            continue;
        }
        if (p[0] == '\r')
            break;
        out[o++] = *p;
    }
    out[o] = 0;
}

static const char *s_injected = "Onderhoud sporthal\r\nBcc: attacker@evil.example\r\nX-Injected: yes";

Test(nt_mail_headers, control_characters_in_a_title_never_start_a_header)
{
    Mvoi__Reminder r = s_rem(s_injected, "Anne\r\nBcc: other@evil.example");
    r.tender_id = "T-1\nX-Tender-Injected: 1";
    r.buyer = "heerlen\rX-Buyer-Injected: 1";
    char *h = s_mail_headers(&r);
    cr_assert(!s_has_field(h, "Bcc:"), "%s", h);
    cr_assert(!s_has_field(h, "X-Injected:"), "%s", h);
    cr_assert(!s_has_field(h, "X-Tender-Injected:"), "%s", h);
    cr_assert(!s_has_field(h, "X-Buyer-Injected:"), "%s", h);
    for (const char *p = h; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool crlf = (p[0] == '\r' && p[1] == '\n') || (p[0] == '\n' && p > h && p[-1] == '\r');
        cr_assert(crlf || (c >= 0x20 && c != 0x7f) || c == '\t',
                  "control character 0x%02x at %ld in\n%s", c, (long)(p - h), h);
    }
    /* The text is kept, each line break (CRLF) as one space. */
    char subj[400];
    s_field(h, "Subject: ", subj, sizeof subj);
    cr_assert(strstr(subj, "Onderhoud sporthal Bcc: attacker@evil.example X-Injected: yes"),
              "%s", subj);
    char to[200];
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "\"Anne Bcc: other@evil.example\" <am.dhondt@heerlen.nl>");
    free(h);
}

Test(nt_mail_headers, display_names_with_specials_are_quoted_strings)
{
    Mvoi__Reminder r = s_rem("Sporthal", "d'Hondt, Anne-Marie");
    char *h = s_mail_headers(&r);
    char to[400];
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "\"d'Hondt, Anne-Marie\" <am.dhondt@heerlen.nl>");
    free(h);

    r.recipient_name = "Jan \"JJ\" Jansen (inkoop)";
    h = s_mail_headers(&r);
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "\"Jan \\\"JJ\\\" Jansen (inkoop)\" <am.dhondt@heerlen.nl>");
    free(h);

    r.recipient_name = "back\\slash";
    h = s_mail_headers(&r);
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "\"back\\\\slash\" <am.dhondt@heerlen.nl>");
    free(h);

    /* Plain names as they are, non-ASCII as an encoded word (the comma inside it). */
    r.recipient_name = "Anne Jansen";
    h = s_mail_headers(&r);
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "Anne Jansen <am.dhondt@heerlen.nl>");
    free(h);
    r.recipient_name = "Müller, Jürgen";
    h = s_mail_headers(&r);
    s_field(h, "To: ", to, sizeof to);
    cr_assert_str_eq(to, "=?UTF-8?B?TcO8bGxlciwgSsO8cmdlbg==?= <am.dhondt@heerlen.nl>");
    free(h);
}

Test(nt_mail_headers, date_and_dtstamp_are_the_send_time_not_the_planning)
{
    Mvoi__Reminder r = s_rem("Sporthal", NULL);
    char *h = s_mail_headers(&r);
    char date[80];
    s_field(h, "Date: ", date, sizeof date);
    cr_assert_str_eq(date, "Thu, 01 Jan 2026 10:00:00 +0000");
    free(h);

    static Mvoi__Person p = { PROTOBUF_C_MESSAGE_INIT(&mvoi__person__descriptor), "A",
                              "am.dhondt@heerlen.nl" };
    static Mvoi__Person *att[] = { &p };
    r.kind = MVOI__REMINDER_KIND__REM_KICKOFF_INVITATION;
    r.uid = "kickoff/heerlen/T-1@heerlen.nl";
    r.has_meeting_start_ms = r.has_meeting_end_ms = true;
    r.meeting_start_ms = S_SENT + 30LL * 86400000;
    r.meeting_end_ms = r.meeting_start_ms + 3600000;
    r.attendees = att;
    r.n_attendees = 1;
    char *ics = nt_msg_ics(&s_cfg, &r, S_SENT);
    cr_assert_not_null(ics);
    cr_assert(strstr(ics, "DTSTAMP:20260101T100000Z"), "%s", ics);
    free(ics);
}

/* Each encoded word: at most 75 characters, decodes to whole UTF-8 characters; together
 * they give the subject. Returns the decoded text (malloc'ed). */
static char *s_decode_words(const char *v)
{
    nt_buf_t out = { 0 };
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?"))) {
        const char *e = strstr(p + 10, "?=");
        cr_assert_not_null(e);
        cr_assert_leq(e + 2 - p, 75, "encoded word of %ld characters", (long)(e + 2 - p));
        uint8_t raw[80];
        long n = nt_base64_decode(p + 10, (size_t)(e - p - 10), raw);
        cr_assert_geq(n, 1);
        cr_assert_neq(raw[0] & 0xC0, 0x80, "a word starts inside a UTF-8 character");
        int lead = 0;   /* the last character is whole */
        for (long i = n - 1; i >= 0 && lead == 0; i--)
            if ((raw[i] & 0xC0) != 0x80)
                lead = (int)(n - i);
        uint8_t c = raw[n - lead];
        int need = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        cr_assert_eq(lead, need, "a word ends inside a UTF-8 character");
        nt_buf_put(&out, raw, (size_t)n);
        p = e + 2;
    }
    nt_buf_put(&out, "", 1);
    return out.data;
}

static void s_assert_lines_short(const char *h)
{
    for (const char *l = h, *e; (e = strstr(l, "\r\n")); l = e + 2)
        cr_assert_leq(e - l, 78, "a header line of %ld characters: %.*s", (long)(e - l),
                      (int)(e - l), l);
}

Test(nt_mail_headers, long_non_ascii_subject_is_folded_into_encoded_words)
{
    char title[1300] = "";
    while (strlen(title) + 40 < sizeof title)
        strcat(title, "Renovatie zwembad Ä€😀 Brunssum ");
    Mvoi__Reminder r = s_rem(title, NULL);
    char *h = s_mail_headers(&r);
    s_assert_lines_short(h);
    char subj[4000];
    s_field(h, "Subject: ", subj, sizeof subj);
    char *dec = s_decode_words(subj);
    cr_assert(strstr(dec, title), "decoded: %s", dec);
    free(dec);
    free(h);
}

Test(nt_mail_headers, long_ascii_subject_is_folded_at_spaces)
{
    char title[1300] = "";
    while (strlen(title) + 40 < sizeof title)
        strcat(title, "Onderhoud sporthal en zwembad ");
    Mvoi__Reminder r = s_rem(title, NULL);
    char *h = s_mail_headers(&r);
    s_assert_lines_short(h);
    char subj[4000];
    s_field(h, "Subject: ", subj, sizeof subj);
    cr_assert(strstr(subj, title), "unfolded: %s", subj);
    free(h);
}
