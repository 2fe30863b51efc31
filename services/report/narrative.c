/*  narrative: the adviser's text per buyer, period and theme, in the report service's LMDB
 *  (db "narratives"), read into the report's input before the model is built.
 *
 *  Key "<buyer, percent-encoded>/<year>/<quarter>/<theme>", value the UTF-8 text. Setting an
 *  empty text deletes the entry. A repeat of the same command writes the same bytes, so it
 *  needs no stored reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather.h"
#include "mvoi_contract.h"
#include "narrative.h"

static void s_key(char *buf, size_t cap, const char *buyer, uint32_t y, uint32_t q, uint32_t th)
{
    char enc[400];
    mvoi_topic_enc(enc, sizeof enc, buyer);   /* a registered buyer: 64 bytes, 192 encoded */
    snprintf(buf, cap, "%s/%u/%u/%u", enc, y, q, th);
}

/* Well-formed UTF-8 (no overlongs, no surrogates), no control characters but \n. */
static bool s_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || p + len > e)
            return false;
        uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (cp < 0x20 && cp != '\n') || cp == 0x7F)
            return false;
        p += len;
    }
    return true;
}

int rp_narrative_check(const Mvoi__SetNarrative *m, const char **field, const char **why)
{
    if (!m->has_year || m->year < 2000 || m->year > 2999) {
        *field = "set_narrative.year";
        *why = "year must be 2000..2999";
    } else if (m->quarter > 4) {
        *field = "set_narrative.quarter";
        *why = "quarter must be 0 (annual) or 1..4";
    } else if (m->theme < 1 || m->theme >= RP_NTHEME) {
        *field = "set_narrative.theme";
        *why = "theme must be 1..6 (klimaat .. social_return)";
    } else if (m->text && strlen(m->text) > RP_NARRATIVE_MAX) {
        *field = "set_narrative.text";
        *why = "the text is longer than 4000 bytes";
    } else if (m->text && !s_text_ok(m->text, strlen(m->text))) {
        *field = "set_narrative.text";
        *why = "the text is not UTF-8 or contains control characters";
    } else {
        return 0;
    }
    return -EINVAL;
}

typedef struct {
    store_t *st;
    char key[512];
    const char *text;
} s_put_t;

static int s_put(MDB_txn *txn, void *arg)
{
    s_put_t *p = arg;
    MDB_val k = { strlen(p->key), p->key };
    MDB_dbi dbi = store_dbi(p->st, "narratives");
    if (!p->text || !*p->text) {
        int rc = store_del(txn, dbi, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    MDB_val v = { strlen(p->text), (void *)p->text };
    return store_put(txn, dbi, &k, &v, 0);
}

int rp_narrative_set(store_t *st, const char *buyer, const Mvoi__SetNarrative *m)
{
    s_put_t p = { .st = st, .text = m->text };
    s_key(p.key, sizeof p.key, buyer, m->year, m->quarter, m->theme);
    return store_write(st, s_put, &p);
}

void rp_narrative_handle(store_t *st, const Mvoi__Envelope *req, Mvoi__Envelope *env,
                         rp_narrative_reply_t *nr)
{
    const Mvoi__SetNarrative *m = req->set_narrative;
    const char *field = "", *why = "";
    env->request_id = req->request_id;
    env->correlation_id = req->correlation_id;
    env->buyer = req->buyer;
    if (!req->buyer || !*req->buyer || strlen(req->buyer) >= 128) {
        codec_set_error(env, &nr->es, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, "buyer",
                        "a buyer (organisation, at most 127 bytes) is required");
        return;
    }
    if (rp_narrative_check(m, &field, &why) != 0) {
        codec_set_error(env, &nr->es, MVOI__ERROR_CODE__ERR_INVALID_ARGUMENT, field, "%s", why);
        return;
    }
    if (rp_narrative_set(st, req->buyer, m) != 0) {
        codec_set_error(env, &nr->es, MVOI__ERROR_CODE__ERR_INTERNAL, "", "the store failed");
        return;
    }
    mvoi__narrative__init(&nr->n);
    nr->n.has_year = nr->n.has_quarter = nr->n.has_theme = true;
    nr->n.year = m->year;
    nr->n.quarter = m->quarter;
    nr->n.theme = m->theme;
    nr->n.text = m->text ? m->text : "";
    env->body_case = MVOI__ENVELOPE__BODY_NARRATIVE;
    env->narrative = &nr->n;
}

typedef struct {
    store_t *st;
    rp_input_t *in;
} s_load_t;

static int s_load(MDB_txn *txn, void *arg)
{
    s_load_t *l = arg;
    for (int th = 1; th < RP_NTHEME; th++) {
        char key[512];
        s_key(key, sizeof key, l->in->buyer, l->in->year, l->in->quarter, (uint32_t)th);
        MDB_val k = { strlen(key), key }, v;
        int rc = mdb_get(txn, store_dbi(l->st, "narratives"), &k, &v);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc)
            return rc;
        free(l->in->narrative[th]);
        l->in->narrative[th] = strndup(v.mv_data, v.mv_size);
        if (!l->in->narrative[th])
            return -ENOMEM;
    }
    return 0;
}

int rp_narrative_load(store_t *st, rp_input_t *in)
{
    s_load_t l = { st, in };
    return store_read(st, s_load, &l);
}
