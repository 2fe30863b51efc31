/*  rp_ids: the report's ROUTER (its own, not server.c) checks requests by the same id rule
 *  and buyer registry as every other service: every string valid UTF-8 without NUL on the
 *  wire, every id by mvoi_id, the buyer served here. */
#ifndef MVOI_RP_IDS_H
#define MVOI_RP_IDS_H

#include <stdarg.h>
#include <stddef.h>
#include <zmq.h>

#include "buyers.h"
#include "envelope.pb-c.h"
#include "mvoi_id_msg.h"
#include "text.h"

/* The language of the texts for people in the reply to req (its refusals): Envelope.lang
 * ("nl", "en"), else the report's own GenerateReport.lang when it names one we know, else
 * Dutch. -EINVAL (*out Dutch) for an Envelope.lang that is not "nl" or "en": rp_ids_check
 * refuses it by name. */
int rp_ids_lang(const Mvoi__Envelope *req, text_lang_t *out);

/* snprintf of fmt for a reader of lang: fmt is the English of a catalogue entry under
 * "report.err." (its translation has the same conversions, tests/unit/test_text.c); a
 * format without one is printed as given. Arguments as printf writes them (ids stay
 * as they are). */
void rp_ids_say(char *buf, size_t cap, text_lang_t lang, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rp_ids_vsay(char *buf, size_t cap, text_lang_t lang, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* 0, or an error code (Mvoi__ErrorCode) with field (MVOI_ID_FIELD_MAX) and msg filled: the
 * wire's check, before the language is known, in Dutch; rp_ids_check's in req's language. */
int rp_ids_check_wire(const void *data, size_t len, char *field, char *msg, size_t cap);
int rp_ids_check(const mvoi_buyers_t *buyers, const Mvoi__Envelope *req, char *field,
                 char *msg, size_t cap);

/* The key that sent req (the ZAP User-Id of its frame) may do it: role and buyers
 * (mvoi_auth.h, as server.c applies them to the other services). 0, or
 * ERR_PERMISSION_DENIED with field and msg (in req's language) filled; logged in English. */
int rp_ids_auth(const Mvoi__Envelope *req, zmq_msg_t *frame, char *field, char *msg,
                size_t cap);

#endif
