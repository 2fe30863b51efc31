/*  rp_ids: requests of the report checked like those of every service. See rp_ids.h. */
#include "log.h"
#include "mvoi_curve.h"
#include <zmq.h>
#include "rp_ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "textfmt.h"

int rp_ids_lang(const Mvoi__Envelope *req, text_lang_t *out)
{
    if (req->lang && *req->lang)
        return textfmt_env_lang(req->lang, out);
    const Mvoi__GenerateReport *g =
        req->body_case == MVOI__ENVELOPE__BODY_GENERATE_REPORT ? req->generate_report : NULL;
    if (!g || !g->lang || !*g->lang || text_lang_parse(g->lang, out) != 0)
        *out = TEXT_NL;   /* a bad report lang is rp_ask_check's to refuse, in Dutch */
    return 0;
}

void rp_ids_vsay(char *buf, size_t cap, text_lang_t lang, const char *fmt, va_list ap)
{
    const char *tr = textfmt_from_en(lang, "report.err.", fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(buf, cap, tr, ap);
#pragma GCC diagnostic pop
}

void rp_ids_say(char *buf, size_t cap, text_lang_t lang, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rp_ids_vsay(buf, cap, lang, fmt, ap);
    va_end(ap);
}

int rp_ids_check_wire(const void *data, size_t len, char *field, char *msg, size_t cap)
{
    char why[128];
    if (len > CODEC_MAX_BYTES ||
        mvoi_id_msg_check_wire(&mvoi__envelope__descriptor, data, len, field,
                               MVOI_ID_FIELD_MAX, why, sizeof why, NULL) == 0)
        return 0;   /* an oversized message is the decoder's to refuse */
    snprintf(msg, cap, "%s %s", field, why);
    return MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
}

int rp_ids_check(const mvoi_buyers_t *buyers, const Mvoi__Envelope *req, char *field,
                 char *msg, size_t cap)
{
    char why[128];
    mvoi_id_why_t wy;
    text_lang_t lang;
    if (mvoi_id_msg_check(&req->base, field, MVOI_ID_FIELD_MAX, why, sizeof why, &wy) != 0) {
        rp_ids_lang(req, &lang);   /* a word it does not know: Dutch */
        mvoi_id_why_format(why, sizeof why, textfmt_from_en(lang, "id.err.", wy.fmt), &wy);
        snprintf(msg, cap, "%s %s", field, why);
        return MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
    }
    if (rp_ids_lang(req, &lang) != 0) {   /* said in the default: Dutch */
        char shown[17];
        textfmt_shown(req->lang, shown);
        snprintf(field, MVOI_ID_FIELD_MAX, "lang");
        rp_ids_say(msg, cap, lang, "'%.16s' is not a language: nl or en", shown);
        return MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
    }
    if (req->buyer && *req->buyer && !mvoi_buyers_accepts(buyers, req->buyer)) {
        snprintf(field, MVOI_ID_FIELD_MAX, "buyer");
        rp_ids_say(msg, cap, lang, "buyer '%s' is not served here: it is not in the buyer "
                   "registry (MVOI_BUYERS_FILE)", req->buyer);
        return MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
    }
    /* A report is asked for one buyer: a body naming another than the envelope's was made
     * with the body's files under the envelope's name (the key is checked against the
     * body's buyer, rp_ids_auth); refused by name, as the other services do. */
    const Mvoi__GenerateReport *g =
        req->body_case == MVOI__ENVELOPE__BODY_GENERATE_REPORT ? req->generate_report : NULL;
    if (g && g->buyer && *g->buyer && req->buyer && *req->buyer &&
        strcmp(g->buyer, req->buyer) != 0) {
        snprintf(field, MVOI_ID_FIELD_MAX, "generate_report.buyer");
        rp_ids_say(msg, cap, lang, "the request is made for buyer %s but asks for buyer %s's "
                   "report", req->buyer, g->buyer);
        return MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
    }
    return 0;
}

/* The key's role and buyers (mvoi_auth.h), as server.c applies them to other services. */
int rp_ids_auth(const Mvoi__Envelope *req, zmq_msg_t *frame, char *field, char *msg,
                size_t cap)
{
    const char *user = zmq_msg_gets(frame, "User-Id");   /* the key the ZAP handler admitted */
    mvoi_act_t act = MVOI_ACT_COMMAND;
    const char *buyer = req->buyer;
    if (req->body_case == MVOI__ENVELOPE__BODY_HEALTH)
        act = MVOI_ACT_HEALTH;
    else if (req->body_case == MVOI__ENVELOPE__BODY_REPLAY)
        act = MVOI_ACT_STREAM;
    else if (req->body_case == MVOI__ENVELOPE__BODY_GENERATE_REPORT && req->generate_report
             && req->generate_report->buyer && *req->generate_report->buyer)
        buyer = req->generate_report->buyer;
    char why[256];   /* the log's, in English; msg in the request's language */
    if (mvoi_curve_allow(user, act, buyer, TEXT_EN, why, sizeof why) == 0)
        return 0;
    text_lang_t lang;
    (void)rp_ids_lang(req, &lang);   /* Dutch for a language rp_ids_check refuses */
    mvoi_curve_allow(user, act, buyer, lang, msg, cap);
    snprintf(field, MVOI_ID_FIELD_MAX, "%s", user ? "buyer" : "key");
    const char *kv[] = { "key", mvoi_curve_key_name(user), "buyer", buyer ? buyer : "", NULL };
    log_emit(LOG_WARN, "request_refused", kv, "ERR_PERMISSION_DENIED: %s", why);
    return MVOI__ERROR_CODE__ERR_PERMISSION_DENIED;
}
