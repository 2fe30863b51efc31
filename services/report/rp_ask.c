/*  rp_ask: see rp_ask.h. */
#include "rp_ask.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mvoi_id.h"
#include "rp_ids.h"
#include "store.h"

/* A refusal in the requester's language (rp_ids_lang; fmt: see rp_ids_say). */
static int __attribute__((format(printf, 5, 6)))
s_refuse(rp_ask_err_t *err, text_lang_t tl, Mvoi__ErrorCode code, const char *field,
         const char *fmt, ...)
{
    err->code = code;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    rp_ids_vsay(err->why, sizeof err->why, tl, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int rp_ask_check(const Mvoi__Envelope *req, bool chromium, text_lang_t lang, rp_ask_t *a,
                 rp_ask_err_t *err)
{
    const Mvoi__GenerateReport *g = req->generate_report;
    const Mvoi__ErrorCode inv = MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT;
    a->rid = req->request_id;
    /* the buyer the key was admitted for (rp_ids_auth): the scope of the request id */
    a->buyer = g->buyer && *g->buyer ? g->buyer : req->buyer;
    a->year = g->year;
    a->quarter = g->quarter;
    a->formats = 0;
    a->lang = lang;
    text_lang_t tl;
    rp_ids_lang(req, &tl);   /* an Envelope.lang it refuses was refused by rp_ids_check */
    if (!a->rid || !*a->rid || strlen(a->rid) > MVOI_ID_MAX)
        return s_refuse(err, tl, inv, "request_id",
                        "a command needs a request id (at most %d bytes)", MVOI_ID_MAX);
    if (!a->buyer || !*a->buyer || strlen(a->buyer) >= 128)
        return s_refuse(err, tl, inv, "generate_report.buyer",
                        "a buyer (organisation, at most 127 bytes) is required");
    if (!g->has_year || g->year < 2000 || g->year > 2999)
        return s_refuse(err, tl, inv, "generate_report.year", "year must be 2000..2999");
    if (g->quarter > 4)
        return s_refuse(err, tl, inv, "generate_report.quarter",
                        "quarter must be 0 (annual) or 1..4");
    for (size_t i = 0; i < g->n_formats; i++) {
        if (g->formats[i] < 1 || g->formats[i] > 7)
            return s_refuse(err, tl, inv, "generate_report.formats", "unknown format");
        a->formats |= 1u << g->formats[i];
    }
    if (!a->formats)
        a->formats = RP_ASK_ALL_FORMATS;
    if ((a->formats & (1u << MVOI__REPORT_FORMAT__FMT_PDF)) && !chromium)
        return s_refuse(err, tl, MVOI__ERROR_CODE__ERR_FAILED_PRECONDITION,
                        "generate_report.formats", "PDF needs chromium (MVOI_REPORT_CHROMIUM)");
    if (g->lang && *g->lang && text_lang_parse(g->lang, &a->lang) != 0)
        return s_refuse(err, tl, inv, "generate_report.lang", "lang must be nl or en");
    return 0;
}

uint64_t rp_ask_sig(uint32_t year, uint32_t quarter, uint32_t formats, text_lang_t lang)
{
    return (uint64_t)year << 40 | (uint64_t)quarter << 32 | (uint64_t)(formats & 0xff) << 8 |
           (uint64_t)lang;
}

static void s_ident(const struct stat *st, rp_ask_file_t *out)
{
    out->ino = (uint64_t)st->st_ino;
    out->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

int rp_ask_file_at(const char *path, rp_ask_file_t *out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    s_ident(&st, out);
    return 0;
}

size_t rp_ask_head_len(size_t n) { return RP_ASK_HEAD + 8 + 16 * n; }

void rp_ask_head_put(uint8_t *rec, uint64_t sig, const rp_ask_file_t *files, size_t n)
{
    memcpy(rec, RP_ASK_MAGIC2, 8);
    store_be64(rec + 8, sig);
    store_be64(rec + 16, n);
    for (size_t i = 0; i < n; i++) {
        store_be64(rec + 24 + 16 * i, files[i].ino);
        store_be64(rec + 32 + 16 * i, files[i].mtime_ns);
    }
}

void rp_ask_record(const uint8_t *rec, size_t len, rp_ask_rec_t *out)
{
    memset(out, 0, sizeof *out);
    out->reply = rec;
    out->reply_len = len;
    if (len >= RP_ASK_HEAD && memcmp(rec, RP_ASK_MAGIC, 8) == 0) {
        out->sig = store_get_be64(rec + 8);
        out->reply = rec + RP_ASK_HEAD;
        out->reply_len = len - RP_ASK_HEAD;
    } else if (len >= rp_ask_head_len(0) && memcmp(rec, RP_ASK_MAGIC2, 8) == 0) {
        uint64_t n = store_get_be64(rec + 16);
        size_t head = n <= 64 ? rp_ask_head_len((size_t)n) : SIZE_MAX;
        out->sig = store_get_be64(rec + 8);
        if (head <= len) {   /* else a head cut short: no reply, refused as unreadable */
            out->nfiles = (size_t)n;
            out->files = rec + 24;
            out->reply = rec + head;
            out->reply_len = len - head;
        } else {
            out->reply_len = 0;
        }
    }
}

int rp_ask_replaced(const rp_ask_rec_t *rec, const Mvoi__ReportReply *rr)
{
    for (size_t i = 0; i < rr->n_files && i < INT_MAX; i++) {
        const Mvoi__ReportFile *f = rr->files[i];
        struct stat st;
        rp_ask_file_t now;
        if (!f->path || stat(f->path, &st) != 0 || (uint64_t)st.st_size != f->bytes)
            return (int)i;
        s_ident(&st, &now);
        if (i < rec->nfiles && (now.ino != store_get_be64(rec->files + 16 * i) ||
                                now.mtime_ns != store_get_be64(rec->files + 16 * i + 8)))
            return (int)i;
    }
    return -1;
}
