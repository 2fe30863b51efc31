/*  rp_ask: what a GenerateReport asks for, checked once, and the stored reply's record that
 *  remembers it (service.c keeps replies under buyer \0 request id).
 *
 *  A repeat of a request id must ask for the same report: a GenerateReport of 2025 Q1 under
 *  an id used for 2024 Q3 was answered with the 2024 Q3 files (or joined that job), the
 *  wrong quarter delivered as success. The record keeps the parameters' signature:
 *  [RP_ASK_MAGIC][be64 signature][reply]; a record from before it is the reply alone, and
 *  then nothing is compared.
 */
#ifndef MVOI_RP_ASK_H
#define MVOI_RP_ASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"
#include "text.h"

#define RP_ASK_ALL_FORMATS ((1u << 8) - 2)   /* formats 1..7 */
#define RP_ASK_MAGIC "mvoi-rq1"
#define RP_ASK_HEAD 16

typedef struct {
    const char *rid, *buyer;   /* the request's (memory of req) */
    uint32_t year, quarter, formats;   /* formats: a bit per ReportFormat */
    text_lang_t lang;
} rp_ask_t;

/* A refusal: its code, field and reason (in the requester's language, rp_ids_lang). */
typedef struct {
    Mvoi__ErrorCode code;
    const char *field;
    char why[256];
} rp_ask_err_t;

/* req's GenerateReport checked and its defaults filled (lang, every format): 0, or -EINVAL
 * with *err. chromium: whether PDF can be made. */
int rp_ask_check(const Mvoi__Envelope *req, bool chromium, text_lang_t lang, rp_ask_t *a,
                 rp_ask_err_t *err);
/* The parameters as one number (what a repeat must match). */
uint64_t rp_ask_sig(uint32_t year, uint32_t quarter, uint32_t formats, text_lang_t lang);
/* A stored record: its signature (0 when it has none) and reply. */
void rp_ask_record(const uint8_t *rec, size_t len, uint64_t *sig, const uint8_t **reply,
                   size_t *reply_len);

#endif
