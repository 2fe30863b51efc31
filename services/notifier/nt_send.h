/*  nt_send: delivery channels on the service's libuv loop.
 *
 *  smtp:    libcurl multi driven by uv_poll + uv_timer (libcurl's multi-uv.c pattern) on a
 *           loop in a thread of its own (so the service's fsyncs never delay reading an
 *           answer), one SMTP transaction per message (MAIL FROM, RCPT TO each recipient,
 *           DATA). The journal gets "E name" when libcurl has the whole body in the
 *           socket and sends the end of DATA next, and "A name" (the server's 250) or
 *           "R name" (its refusal) when the answer comes, before the outcome reaches the
 *           service's loop. No answer after "E" (connection broken, timeout) is
 *           NT_UNCONFIRMED: the server may have stored it. STARTTLS (CURLUSESSL_ALL) and
 *           AUTH optional.
 *  maildir: no SMTP server configured: the message is written as <dir>/<name>.eml (written
 *           to <dir>/tmp, fsync'ed, renamed: a reader never sees half a file, and a re-send
 *           of the same reminder replaces the same file).
 *  webhook: JSON POST with Standard Webhooks headers and Idempotency-Key; Retry-After read
 *           from the response headers.
 *  A send completes through the callback exactly once, unless the sender is destroyed
 *  while it is in flight (then never: the caller keeps it "sending" and retries later).
 */
#ifndef MVOI_NT_SEND_H
#define MVOI_NT_SEND_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "nt_retry.h"

typedef struct nt_sender_t nt_sender_t;

typedef struct {
    const char *smtp_url;         /* "" = maildir */
    const char *smtp_user, *smtp_password;
    bool smtp_starttls;
    const char *mail_from;
    const char *maildir;          /* used when smtp_url is empty */
    long timeout_ms;              /* per transfer, default 30000 */
    long connect_timeout_ms;      /* default 5000 */
    const char *journal;          /* file: "E"/"A"/"R" lines per SMTP copy, appended at
                                   * once (NULL/"" = none) */
} nt_send_opts_t;

typedef struct {
    nt_outcome_t outcome;
    long code;                    /* SMTP reply / HTTP status, 0 if none */
    int64_t retry_after_ms;       /* -1 if none */
    char error[600];
} nt_result_t;

typedef void (nt_send_cb)(void *arg, const nt_result_t *res);

nt_sender_t *nt_sender_new(uv_loop_t *loop, const nt_send_opts_t *opts, int *err);
/* Drops what is in flight (no callbacks) and closes the handles; the loop finishes the
 * closes. */
void nt_sender_destroy(nt_sender_t **self_p);
unsigned nt_sender_inflight(nt_sender_t *self);
bool nt_sender_uses_smtp(nt_sender_t *self);
/* Empties the journal when nothing is in flight (every outcome has been recorded by the
 * caller); 0 or a negative errno. */
int nt_sender_journal_reset(nt_sender_t *self);

/* Send a whole RFC 5322 message. rcpts: NULL-terminated. name: file name for maildir. */
int nt_sender_mail(nt_sender_t *self, const char *name, const char *const *rcpts,
                   const char *data, size_t len, nt_send_cb *cb, void *arg);
/* POST body to url, signed with secret ("" = unsigned; the buyer's webhook: nt_hooks.h);
 * msg_id is the webhook-id and Idempotency-Key. */
int nt_sender_webhook(nt_sender_t *self, const char *url, const char *secret,
                      const char *msg_id, const char *body, nt_send_cb *cb, void *arg);

#endif
