/*  nt_it: what the notifier's integration tests share: the processes (mvoi-fakecal or the
 *  real calendar, mvoi-notifier, aiosmtpd sinks), the fake clock, calendar commands, and
 *  the mails as nt_check.py reads them (one line per delivered copy). */
#ifndef MVOI_NT_IT_H
#define MVOI_NT_IT_H

#include <libical/ical.h>
#include <stdbool.h>
#include <stdint.h>

#include "harness.h"

typedef struct {
    char dir[256], clock[300], maildir[300], icsdir[300];
    int smtp;
    /* bound, not listening, until the test's relay starts (it_release_smtp) or the test
     * ends: refused connections, and no parallel test is handed the port meanwhile */
    int smtp_hold;
    int held[4], nheld;   /* it_down_port's sockets, closed at teardown */
    char e_nt_api[300], e_cal_api[300], e_cal_pub[300];
    h_proc_t cal, nt, sink, hook;
    char env[24][400];
    const char *envp[25];
    int nenv;
} it_ctx_t;

typedef struct {
    /* as long as the notifier's own fields can be (a 128-byte tender id, a UID with it):
     * a field cut by sscanf's width would shift the rest of the line */
    char kind[40], tender[160], due[24], uid[400], method[16], dtstart[24], mid[320], status[160];
    char rcpt[256], buyer[80];
    int seq;
} it_mail_t;

extern Mvoi__Person it_pl, it_bh, it_ad;

int it_port(void);
/* A port nothing listens on for the whole test (a webhook or relay that is down). */
int it_down_port(it_ctx_t *c);
/* Let go of the SMTP port's hold before this test's own relay binds it. */
void it_release_smtp(it_ctx_t *c);
void it_clock_set(it_ctx_t *c, int64_t ms);
int64_t it_local(int y, int mo, int d, int h, int mi);
void it_setup_with(it_ctx_t *c, int64_t clock_ms, bool real_calendar);
void it_setup(it_ctx_t *c, int64_t clock_ms);
void it_start_nt(it_ctx_t *c);
void it_stop_nt(it_ctx_t *c);
void it_start_sink(it_ctx_t *c, bool reject);
void it_teardown(it_ctx_t *c);
Mvoi__Tender it_tender(const char *id, bool public_, const char *pub, const char *cs,                              const char *ce, bool pilot);
int it_call(it_ctx_t *c, const char *ep, Mvoi__Envelope *req, Mvoi__Envelope **out);
void it_register(it_ctx_t *c, Mvoi__Tender *t, bool update);
void it_cancel(it_ctx_t *c, const char *id);
void it_ambition(it_ctx_t *c, const char *id);
int it_mails(it_ctx_t *c, const char *dir, it_mail_t *out, int max);
int it_count(it_mail_t *m, int n, const char *kind);
int it_wait_mails(it_ctx_t *c, const char *dir, const char *kind, int want, it_mail_t *m,
                  int max, int timeout_ms);
/* it_wait_mails in c->maildir, then 300 ms for stragglers: every mail there, each logged
 * (kind, recipient, sequence). */
int it_mails_settled(it_ctx_t *c, const char *kind, int want, it_mail_t *m, int max,
                     int timeout_ms);
Mvoi__ReminderList *it_list(it_ctx_t *c, Mvoi__DeliveryState st, Mvoi__Envelope **keep);
icalcomponent *it_ics(it_ctx_t *c, int i);
void it_env(it_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* aiosmtpd with a handler class of nt_handlers.py (NULL: the Mailbox into c->maildir). */
void it_start_sink_with(it_ctx_t *c, const char *handler);
/* aiosmtpd's Mailbox into c->maildir, offering SMTPUTF8 (RFC 6531: enable_SMTPUTF8). */
void it_start_sink_smtputf8(it_ctx_t *c);
/* Until something accepts connections on 127.0.0.1:port (10 s). */
void it_wait_listening(int port);
/* Copies of a kind (NULL: all) to one recipient (NULL: any). */
int it_count_to(it_mail_t *m, int n, const char *kind, const char *rcpt);
/* The text of the mails of a kind to rcpt in c->maildir as the recipient reads it (the
 * plain part, nt_text.py: each mail followed by "=====") into buf; its length. */
size_t it_mail_text(it_ctx_t *c, const char *kind, const char *rcpt, char *buf, size_t cap);

#define CLOCK0 it_local(2025, 3, 3, 11, 0)   /* Monday 3 March 2025, 11:00 */

#endif
