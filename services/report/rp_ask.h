/*  rp_ask: what a GenerateReport asks for, checked once, and the stored reply's record that
 *  remembers it (service.c keeps replies under buyer \0 request id).
 *
 *  A repeat of a request id must ask for the same report: a GenerateReport of 2025 Q1 under
 *  an id used for 2024 Q3 was answered with the 2024 Q3 files (or joined that job), the
 *  wrong quarter delivered as success. The record keeps the parameters' signature:
 *  [RP_ASK_MAGIC][be64 signature][reply]; a record from before it is the reply alone, and
 *  then nothing is compared.
 *
 *  A repeat must also get the files its reply named, not others under their names: a later
 *  request of the same period replaces its language's whole set and the MVI export
 *  (rp_stage.h), so the stored reply came to name files that were gone (the gateway's
 *  503) or held a later run's figures under the earlier request's answer. The record now
 *  also keeps each named file's identity (inode and modification time) when the reply was
 *  stored: [RP_ASK_MAGIC2][be64 signature][be64 n][n x (be64 inode, be64 mtime ns)][reply].
 *  A file hard-linked into a later set (the other language's request) keeps its identity:
 *  it is still the file the reply named. A repeat whose files were replaced is refused by
 *  name (service.c), not regenerated (a retry would replace the period's set again, a
 *  second execution with the figures of now) and not answered with the current files (a
 *  later run's report under an earlier request's answer, without its generation time).
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
#define RP_ASK_MAGIC2 "mvoi-rq2"

/* A file a reply names, as it stood when the reply was stored. */
typedef struct {
    uint64_t ino, mtime_ns;
} rp_ask_file_t;

/* The identity of the file at path now: 0 or a negative errno. */
int rp_ask_file_at(const char *path, rp_ask_file_t *out);
/* The bytes of a record's head with n files, and the head written at rec. */
size_t rp_ask_head_len(size_t n);
void rp_ask_head_put(uint8_t *rec, uint64_t sig, const rp_ask_file_t *files, size_t n);

/* A stored record: its signature (0 when it has none), the files' identities (n 0 when it
 * has none: a record from before them) and the reply. */
typedef struct {
    uint64_t sig;
    size_t nfiles;
    const uint8_t *files;   /* nfiles x 16 bytes */
    const uint8_t *reply;
    size_t reply_len;
} rp_ask_rec_t;
void rp_ask_record(const uint8_t *rec, size_t len, rp_ask_rec_t *out);
/* -1 when every file rr names is still the one the record saw; else the index in rr of the
 * first replaced or removed since. A file without an identity in the record (one stored
 * before them) is compared by its size with the reply's only. */
int rp_ask_replaced(const rp_ask_rec_t *rec, const Mvoi__ReportReply *rr);

#endif
