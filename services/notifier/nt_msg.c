/*  nt_msg: see nt_msg.h. */
#include "nt_msg.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nt_cal.h"
#include "nt_ics.h"
#include "pbjson.h"

#define K(x) MVOI__REMINDER_KIND__REM_##x

const char *nt_msg_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : "mvoi";
}

bool nt_msg_domain_ok(const char *addr)
{
    return strcspn(nt_msg_domain(addr), ">") <= NT_MSG_DOMAIN_MAX;
}

void nt_msg_message_id(char *buf, size_t len, const char *id, const char *mail_from)
{
    char hex[33];
    nt_sha256_hex(id, hex, 32);
    const char *dom = nt_msg_domain(mail_from);
    int dl = (int)strcspn(dom, ">");
    snprintf(buf, len, "<%s.mvoi@%.*s>", hex, dl, dom);
}

void nt_msg_local(char *buf, size_t len, int64_t ms)
{
    nt_local_t l;
    nt_ams_from_utc(ms, &l);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour, l.minute);
}

bool nt_msg_sdg_withdrawn(const Mvoi__Reminder *r)
{
    return r->kind == K(SDG_DIALOGUE) && r->reason && strcmp(r->reason, "removed") == 0;
}

static bool s_is_ics(const Mvoi__Reminder *r)
{
    return r->kind == K(KICKOFF_INVITATION) || r->kind == K(KICKOFF_CANCELLED) ||
           (r->kind == K(SDG_DIALOGUE) && r->has_meeting_start_ms);
}

/* "Name <address>" or "address" into its parts (pointers into buf). */
static nt_person_t s_split(const char *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", s ? s : "");
    nt_person_t p = { buf, NULL };
    char *lt = strchr(buf, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt) {
        *gt = 0;
        p.email = lt + 1;
        while (lt > buf && lt[-1] == ' ')
            lt--;
        *lt = 0;
        p.name = *buf ? buf : NULL;
    }
    return p;
}

/* DTSTAMP: when the iCalendar object is created (RFC 5545 3.8.7.2), the same moment as
 * the mail's Date:. */
char *nt_msg_ics(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, int64_t now_ms)
{
    if (!s_is_ics(r) || !r->uid)
        return NULL;
    nt_person_t att[32];
    size_t n = 0;
    for (size_t i = 0; i < r->n_attendees && n < 32; i++)
        if (r->attendees[i]->email)
            att[n++] = (nt_person_t){ r->attendees[i]->email, r->attendees[i]->name };
    char *subj = NULL, *body = NULL, ob[600];
    if (nt_msg_render_body(cfg, r, &subj, &body) != 0)
        return NULL;
    nt_ics_t in = {
        .cancel = r->kind == K(KICKOFF_CANCELLED) || nt_msg_sdg_withdrawn(r), .uid = r->uid, .sequence = r->sequence,
        .dtstamp_ms = now_ms,
        .start_ms = r->meeting_start_ms, .end_ms = r->meeting_end_ms, .summary = subj,
        .description = body, .location = cfg->location,
        .organizer = s_split(r->organizer, ob, sizeof ob), .attendees = att, .n_attendees = n,
        .alarm_minutes = cfg->alarm_minutes,
    };
    char *ics = nt_ics_build(&in, NULL);
    free(subj);
    free(body);
    return ics;
}

static bool s_ctl(char c) { return (unsigned char)c < 0x20 || c == 0x7f; }

/* A header value never carries a control character: a CR or LF would end the header and
 * let the input start one of its own (a title with "\r\nBcc: ..."), and the others have no
 * place in a header either. A run of them (a CRLF) is written as one space. Returns a
 * malloc'ed copy. */
static char *s_clean(const char *s)
{
    char *c = strdup(s ? s : ""), *w = c;
    for (const char *p = c; c && *p; p++) {
        if (!s_ctl(*p))
            *w++ = *p;
        else if (!s_ctl(p[1]))
            *w++ = ' ';
    }
    if (c)
        *w = 0;
    return c;
}

static void s_header_value(nt_buf_t *b, const char *s)
{
    char *c = s_clean(s);
    if (!c)
        b->err = -ENOMEM;
    else
        nt_buf_puts(b, c);
    free(c);
}

/* "Name: value" CRLF, the value cleaned. */
static void s_header_field(nt_buf_t *b, const char *name, const char *value)
{
    nt_buf_printf(b, "%s: ", name);
    s_header_value(b, value);
    nt_buf_puts(b, "\r\n");
}

static bool s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* RFC 2047 encoded words of s, folded: each word at most 75 characters (42 bytes, 56 of
 * base64: 68, so "Subject: " and the first word fit 78), on a line of its own after the
 * first, and never cut inside a UTF-8 character
 * (each word must decode on its own, RFC 2047 5). */
#define S_EW_BYTES 42
static void s_encoded_words(nt_buf_t *b, const char *s)
{
    size_t n = strlen(s), i = 0;
    do {
        size_t take = n - i < S_EW_BYTES ? n - i : S_EW_BYTES;
        while (take < n - i && take > 1 && ((unsigned char)s[i + take] & 0xC0) == 0x80)
            take--;
        nt_buf_puts(b, i ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
        nt_buf_base64(b, s + i, take, 0);
        nt_buf_puts(b, "?=");
        i += take;
    } while (i < n);
}

/* Unstructured text (Subject): as it is when ASCII, folded at spaces to keep lines near 78
 * characters (RFC 5322 2.1.1; a long title gave one line of 1162); encoded words when it
 * holds non-ASCII or a word too long to fold. col: where the value starts on its line. */
#define S_FOLD_AT 76
static void s_header_text(nt_buf_t *b, const char *s, size_t col)
{
    char *c = s_clean(s);
    if (!c) {
        b->err = -ENOMEM;
        return;
    }
    bool long_word = false;
    for (const char *p = c; *p; p += strcspn(p, " "), p += *p == ' ')
        if (strcspn(p, " ") > 900)
            long_word = true;
    if (!s_ascii(c) || long_word) {
        s_encoded_words(b, c);
        free(c);
        return;
    }
    for (const char *p = c; *p;) {
        size_t w = strcspn(p + (*p == ' '), " ") + (*p == ' ');
        if (*p == ' ' && w > 1 && col + w > S_FOLD_AT && col > 1) {
            nt_buf_puts(b, "\r\n");   /* folding: CRLF before the space */
            col = 0;
        }
        nt_buf_put(b, p, w);
        col += w;
        p += w;
    }
    free(c);
}

/* A display name (RFC 5322 3.2.5 phrase): encoded words when not ASCII; a quoted-string
 * (\\ and " escaped) when it holds a special, so "d'Hondt, Anne-Marie" stays one address
 * and "Jan \"JJ\" Jansen (inkoop)" keeps its quotes and parentheses; else as it is. */
static void s_phrase(nt_buf_t *b, const char *name)
{
    char *c = s_clean(name);
    if (!c) {
        b->err = -ENOMEM;
        return;
    }
    if (!s_ascii(c)) {
        s_encoded_words(b, c);
    } else if (c[strcspn(c, "()<>[]:;@\\,.\"")]) {
        nt_buf_puts(b, "\"");
        for (const char *p = c; *p; p++) {
            if (*p == '\\' || *p == '"')
                nt_buf_puts(b, "\\");
            nt_buf_put(b, p, 1);
        }
        nt_buf_puts(b, "\"");
    } else {
        nt_buf_puts(b, c);
    }
    free(c);
}

static void s_part(nt_buf_t *b, const char *boundary, const char *ctype, const char *disp,
                   const char *body)
{
    nt_buf_printf(b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n",
                  boundary, ctype);
    if (disp)
        nt_buf_printf(b, "Content-Disposition: %s\r\n", disp);
    nt_buf_puts(b, "\r\n");
    nt_buf_base64(b, body, strlen(body), 1);
}

/* The plain text as simple HTML: "Label:" lines are headings, "- " and "1. " lines lists,
 * the signature separator a rule. */
static void s_html(nt_buf_t *h, const char *subject, char *text)
{
    nt_buf_puts(h, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
    nt_buf_html(h, subject);
    nt_buf_puts(h, "</title></head><body style=\"font-family:Arial,sans-serif;font-size:15px;"
                   "line-height:1.45;color:#1a1a1a;max-width:680px\">");
    char list = 0;   /* 'u', 'o' or 0 */
    bool footer = false;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        size_t len = strlen(line);
        char kind = strncmp(line, "- ", 2) == 0 ? 'u'
                    : (line[0] >= '1' && line[0] <= '9' && line[1] == '.' && line[2] == ' ') ? 'o'
                                                                                             : 0;
        if (list && kind != list) {
            nt_buf_puts(h, list == 'u' ? "</ul>" : "</ol>");
            list = 0;
        }
        if (strcmp(line, "-- ") == 0) {
            nt_buf_puts(h, "<hr style=\"border:0;border-top:1px solid #ccc\">"
                           "<p style=\"color:#666;font-size:12px\">");
            footer = true;
        } else if (kind) {
            if (!list)
                nt_buf_puts(h, kind == 'u' ? "<ul>" : "<ol>");
            list = kind;
            nt_buf_puts(h, "<li>");
            nt_buf_html(h, line + (kind == 'u' ? 2 : 3));
            nt_buf_puts(h, "</li>");
        } else if (len && line[len - 1] == ':' && !footer) {
            nt_buf_puts(h, "<h3 style=\"font-size:15px;margin:18px 0 4px\">");
            nt_buf_html(h, line);
            nt_buf_puts(h, "</h3>");
        } else if (len) {
            char *colon = footer ? NULL : strstr(line, ": ");
            nt_buf_puts(h, footer ? "" : "<p style=\"margin:4px 0\">");
            if (colon && colon - line < 30) {
                *colon = 0;
                nt_buf_puts(h, "<b>");
                nt_buf_html(h, line);
                nt_buf_puts(h, ":</b> ");
                nt_buf_html(h, colon + 2);
                *colon = ':';
            } else {
                nt_buf_html(h, line);
            }
            nt_buf_puts(h, footer ? "" : "</p>");
        }
        if (nl)
            *nl = '\n';
        else
            break;
    }
    if (list)
        nt_buf_puts(h, list == 'u' ? "</ul>" : "</ol>");
    nt_buf_puts(h, footer ? "</p></body></html>\n" : "</body></html>\n");
}

/* "Name <address>" as a header value (the name a phrase: s_phrase). */
static void s_addr(nt_buf_t *b, const char *name, const char *email)
{
    if (name && *name) {
        s_phrase(b, name);
        nt_buf_puts(b, " <");
        s_header_value(b, email);
        nt_buf_puts(b, ">");
    } else {
        s_header_value(b, email);
    }
}

int nt_msg_mail(const nt_msg_cfg_t *cfg, const Mvoi__Reminder *r, int64_t now, nt_buf_t *b)
{
    char *subj = NULL, *text = NULL;
    int rc = nt_msg_render(cfg, r, &subj, &text);
    if (rc)
        return rc;
    char *ics = nt_msg_ics(cfg, r, now);
    if (!ics && s_is_ics(r)) {
        /* an invitation without its calendar part puts no meeting in anyone's agenda,
         * and the copy would be recorded as sent: not sent (retried, then a dead letter) */
        free(subj);
        free(text);
        return r->uid ? -EBADMSG : -EINVAL;
    }
    nt_buf_t html = { 0 };
    s_html(&html, subj, text);

    char mid[NT_MSG_ID_MAX], hex[17], date[64], ob[600];
    if (r->message_id && *r->message_id)
        snprintf(mid, sizeof mid, "%s", r->message_id);
    else
        nt_msg_message_id(mid, sizeof mid, r->id, cfg->mail_from);
    nt_sha256_hex(r->id, hex, 16);
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    const char *kind = pbjson_enum_short(&mvoi__reminder_kind__descriptor, r->kind);
    char due[40];
    nt_msg_local(due, sizeof due, r->due_ms);
    /* From: the organizer, as in ORGANIZER (clients match the two); Sender: the service. */
    nt_person_t org = s_split(r->organizer ? r->organizer : cfg->mail_from, ob, sizeof ob);
    nt_buf_puts(b, "From: ");
    s_addr(b, org.name, org.email);
    nt_buf_puts(b, "\r\nSender: ");
    s_header_value(b, cfg->mail_from);
    nt_buf_puts(b, "\r\nTo: ");
    for (size_t i = 0; i < r->n_recipients; i++) {
        nt_buf_puts(b, i ? ",\r\n " : "");
        s_addr(b, r->n_recipients == 1 ? r->recipient_name : NULL, r->recipients[i]);
    }
    nt_buf_puts(b, "\r\nSubject: ");
    s_header_text(b, subj, strlen("Subject: "));
    nt_buf_printf(b, "\r\nDate: %s\r\nMessage-ID: ", date);
    s_header_value(b, mid);
    nt_buf_puts(b, "\r\nMIME-Version: 1.0\r\n");
    nt_buf_printf(b, "Content-Language: %s\r\n", text_lang_name(cfg->lang));
    s_header_field(b, "X-MVOI-Reminder", r->id);
    s_header_field(b, "X-MVOI-Kind", kind ? kind : "?");
    s_header_field(b, "X-MVOI-Buyer", r->buyer);
    s_header_field(b, "X-MVOI-Tender", r->tender_id);
    s_header_field(b, "X-MVOI-Due", due);
    nt_buf_puts(b, "Auto-Submitted: auto-generated\r\n");
    const char *method =
        r->kind == K(KICKOFF_CANCELLED) || nt_msg_sdg_withdrawn(r) ? "CANCEL" : "REQUEST";
    char bm[40], ba[40];
    snprintf(bm, sizeof bm, "mixed-%s", hex);
    snprintf(ba, sizeof ba, "alt-%s", hex);
    if (ics)
        nt_buf_printf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n", bm, bm);
    nt_buf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", ba);
    s_part(b, ba, "text/plain; charset=utf-8", NULL, text);
    s_part(b, ba, "text/html; charset=utf-8", NULL, html.data ? html.data : "");
    if (ics) {
        char ct[80];
        snprintf(ct, sizeof ct, "text/calendar; charset=utf-8; method=%s", method);
        s_part(b, ba, ct, NULL, ics);
    }
    nt_buf_printf(b, "--%s--\r\n", ba);
    if (ics) {
        s_part(b, bm, "application/ics; name=\"invite.ics\"", "attachment; filename=\"invite.ics\"",
               ics);
        nt_buf_printf(b, "--%s--\r\n", bm);
    }
    free(subj);
    free(text);
    free(ics);
    nt_buf_free(&html);
    return b->err;
}

int nt_template_parse(const char *name, nt_template_t *out)
{
    if (!name || !*name || strcmp(name, "plain") == 0)
        *out = NT_TPL_PLAIN;
    else if (strcmp(name, "teams") == 0)
        *out = NT_TPL_TEAMS;
    else if (strcmp(name, "slack") == 0)
        *out = NT_TPL_SLACK;
    else
        return -EINVAL;
    return 0;
}

void nt_webhook_id(const char *reminder_id, char *out, size_t cap)
{
    size_t n = strlen(reminder_id), sl = strlen(NT_WEBHOOK_SUFFIX);
    if (n >= sl && strcmp(reminder_id + n - sl, NT_WEBHOOK_SUFFIX) == 0)
        n -= sl;
    snprintf(out, cap, "%.*s", (int)n, reminder_id);
}

int nt_msg_webhook_body(const nt_msg_cfg_t *cfg, nt_template_t tpl, const Mvoi__Reminder *r,
                        char **json)
{
    char *subj = NULL, *text = NULL;
    int rc = nt_msg_render(cfg, r, &subj, &text);
    if (rc)
        return rc;
    const char *kind = pbjson_enum_short(&mvoi__reminder_kind__descriptor, r->kind);
    char due[40];
    nt_msg_local(due, sizeof due, r->due_ms);
    json_t *o = NULL;
    if (tpl == NT_TPL_TEAMS) {
        json_t *facts = json_pack("[{s:s,s:s},{s:s,s:s}]", "title",
                                  text_get(cfg->lang, "notify.label.tender"), "value",
                                  r->tender_id ? r->tender_id : "-", "title",
                                  text_get(cfg->lang, "notify.label.when"), "value", due);
        o = json_pack("{s:s,s:[{s:s,s:n,s:{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:b},"
                      "{s:s,s:s,s:b},{s:s,s:o}]}}]}",
                      "type", "message", "attachments", "contentType",
                      "application/vnd.microsoft.card.adaptive", "contentUrl", "content",
                      "$schema", "http://adaptivecards.io/schemas/adaptive-card.json", "type",
                      "AdaptiveCard", "version", "1.4", "body", "type", "TextBlock", "text",
                      subj, "weight", "Bolder", "size", "Medium", "wrap", 1, "type",
                      "TextBlock", "text", text, "wrap", 1, "type", "FactSet", "facts", facts);
    } else if (tpl == NT_TPL_SLACK) {
        o = json_pack("{s:s,s:[{s:s,s:{s:s,s:s}},{s:s,s:{s:s,s:s}}]}", "text", subj, "blocks",
                      "type", "header", "text", "type", "plain_text", "text", subj, "type",
                      "section", "text", "type", "mrkdwn", "text", text);
    } else {
        json_t *data = pbjson_encode(&r->base, 0);
        o = json_pack("{s:s,s:s,s:s,s:s,s:o}", "type", kind ? kind : "reminder", "id", r->id,
                      "subject", subj, "text", text, "reminder", data ? data : json_null());
    }
    free(subj);
    free(text);
    if (!o)
        return -ENOMEM;
    *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return *json ? 0 : -ENOMEM;
}

int nt_webhook_sign(const char *secret, const char *msg_id, int64_t ts_s, const char *body,
                    size_t body_len, char *out, size_t outlen)
{
    uint8_t key[512];
    size_t klen;
    if (strncmp(secret, "whsec_", 6) == 0) {
        size_t sl = strlen(secret + 6);
        if (sl * 3 / 4 > sizeof key)
            return -EINVAL;
        long n = nt_base64_decode(secret + 6, sl, key);
        if (n < 0)
            return -EINVAL;
        klen = (size_t)n;
    } else {
        klen = strlen(secret);
        if (klen > sizeof key)
            return -EINVAL;
        memcpy(key, secret, klen);
    }
    nt_buf_t m = { 0 };
    nt_buf_printf(&m, "%s.%lld.", msg_id, (long long)ts_s);
    nt_buf_put(&m, body, body_len);
    uint8_t mac[32];
    int rc = m.err ? m.err : nt_hmac_sha256(key, klen, m.data, m.len, mac);
    nt_buf_free(&m);
    if (rc)
        return rc;
    nt_buf_t s = { 0 };
    nt_buf_puts(&s, "v1,");
    nt_buf_base64(&s, mac, 32, 0);
    if (s.err || s.len + 1 > outlen) {
        nt_buf_free(&s);
        return -ENOSPC;
    }
    memcpy(out, s.data, s.len + 1);
    nt_buf_free(&s);
    return 0;
}
