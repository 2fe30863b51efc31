/*  nt_msg: what a reminder says, and its two wire forms.
 *
 *  - e-mail: an RFC 5322 message built here (multipart/mixed = [multipart/alternative
 *    (text/plain, text/html, text/calendar; method=...)] + invite.ics attachment for
 *    kick-off mails). The same bytes go to the SMTP server (libcurl upload) and to the .eml
 *    directory, so boundaries and headers are derived from the reminder, not random: a
 *    re-send after a crash is byte-identical and carries the same Message-ID.
 *  - webhook: JSON in one of three templates (plain, Teams Workflows Adaptive Card, Slack
 *    blocks), signed per Standard Webhooks 1.0.
 *  Texts come from the message catalogue (common/messages.def, "notify.*").
 */
#ifndef MVOI_NT_MSG_H
#define MVOI_NT_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "notify.pb-c.h"
#include "text.h"
#include "nt_util.h"

typedef enum { NT_TPL_PLAIN = 0, NT_TPL_TEAMS = 1, NT_TPL_SLACK = 2 } nt_template_t;

typedef struct {
    text_lang_t lang;
    const char *mail_from;        /* envelope sender and Sender: (From: is the organizer) */
    const char *location;         /* LOCATION of the kick-off, may be "" */
    const char *dashboard_url;    /* link in reminders */
    int alarm_minutes;            /* VALARM */
    int min_lead_days;            /* the kick-off-late rule, for its text */
} nt_msg_cfg_t;

/* Subject and plain text of a reminder with the footer (malloc'ed, caller frees);
 * nt_text.c. */
int nt_msg_render(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, char **subject,
                  char **text);
/* The same without the footer (the iCalendar DESCRIPTION). */
int nt_msg_render_body(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, char **subject,
                       char **body);
/* Dates in words: "maandag 25 januari 2027" (common/datewords: its length, or
 * DATEWORDS_E_NOSPACE and "" when cap is too small, DATEWORDS_MAX always fits); a session
 * "maandag 25 januari 2027, 10.00-11.00 uur" (Amsterdam time); "YYYY-MM-DD". */
int nt_text_date_long(text_lang_t lang, char *buf, size_t cap, int64_t days);
void nt_text_when(text_lang_t lang, char *buf, size_t cap, int64_t start_ms, int64_t end_ms);
void nt_text_date_iso(char *buf, size_t cap, int64_t days);
/* The .ics of a kick-off reminder kind (invitation REQUEST, cancellation CANCEL); NULL for
 * other kinds. DTSTAMP is now_ms (when the object is created for sending, RFC 5545
 * 3.8.7.2). */
char *nt_msg_ics(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, int64_t now_ms);
/* The whole e-mail (CRLF line endings). now_ms: when this copy is rendered to be sent, its
 * Date: and DTSTAMP (RFC 5322 3.6.1); not the planning time, which dated a reminder sent
 * months later at its planning. The Message-ID and boundaries come from the id, the same
 * on every attempt. Every header value is free of control characters (a CR or LF in a
 * title or name is a space): input never adds a header. */
int nt_msg_mail(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, int64_t now_ms,
                nt_buf_t *out);
/* "<hex.mvoi@domain>" from the reminder id and mail_from's domain. A domain is at most 253
 * characters (RFC 1035; mail_from is refused at start otherwise: nt_msg_domain_ok), so the
 * id fits NT_MSG_ID_MAX whole: a cut one lost its '>' and was stored and sent so. */
#define NT_MSG_DOMAIN_MAX 253
#define NT_MSG_ID_MAX (sizeof "<.mvoi@>" + 32 + NT_MSG_DOMAIN_MAX)
void nt_msg_message_id(char *buf, size_t len, const char *id, const char *mail_from);
/* Is the domain of addr (up to a '>') at most NT_MSG_DOMAIN_MAX characters? */
bool nt_msg_domain_ok(const char *addr);
/* The domain part of an address ("mvoi" when none). */
const char *nt_msg_domain(const char *addr);

/* The start of a copy's error when the relay does not offer SMTPUTF8 and the mail needs it
 * (nt_send): the dead letter's advice is then the relay's configuration, not the address. */
#define NT_MSG_SMTPUTF8_REFUSED "smtp: the relay does not offer SMTPUTF8 (RFC 6531)"

/* Webhook body in a template. */
int nt_msg_webhook_body(const nt_msg_cfg_t *cfg, nt_template_t tpl, const Mvoi__Reminder *r,
                        char **json);
int nt_template_parse(const char *name, nt_template_t *out);
/* The webhook-id and Idempotency-Key of a webhook record: its id without the "#webhook"
 * suffix, which is the plan's key (the same for every attempt). Only that suffix goes: a
 * tender id may hold '#' itself ("HASH#A", "HASH#B" must not share a key, or a
 * deduplicating receiver drops one). */
#define NT_WEBHOOK_SUFFIX "#webhook"
void nt_webhook_id(const char *reminder_id, char *out, size_t cap);
/* Standard Webhooks signature "v1,<base64 HMAC-SHA256(secret, id.ts.body)>". A secret
 * "whsec_<base64>" is used base64-decoded, any other secret as its bytes. */
int nt_webhook_sign(const char *secret, const char *msg_id, int64_t ts_s, const char *body,
                    size_t body_len, char *out, size_t outlen);

/* An SDG dialogue's invitation withdrawn from someone no longer invited (reason "removed",
 * as a kick-off's): its iCalendar is a CANCEL. */
bool nt_msg_sdg_withdrawn(const Mvoi__Reminder *r);

/* Local date-time text "YYYY-MM-DD HH:MM" in Amsterdam. */
void nt_msg_local(char *buf, size_t len, int64_t ms);

#endif
