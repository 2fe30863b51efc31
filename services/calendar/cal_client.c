/* cal_client: pipelined UpsertTender import. See cal_client.h. */
#include "cal_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"

void cal_import_prefix(const char *buyer, const void *data, size_t len, char *out, size_t outlen)
{
    /* two independent 64-bit FNV-1a lanes over buyer '\0' data: 128 bits */
    uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
    const uint8_t *p = (const uint8_t *)buyer;
    size_t bl = buyer ? strlen(buyer) + 1 : 0;
    for (size_t i = 0; i < bl + len; i++) {
        uint8_t c = i < bl ? (i + 1 < bl ? p[i] : 0) : ((const uint8_t *)data)[i - bl];
        h1 = (h1 ^ c) * 0x100000001b3ull;
        h2 = (h2 ^ (uint8_t)(c + 0x5b)) * 0x100000001b3ull;
        h2 ^= h2 >> 29;
    }
    snprintf(out, outlen, "imp-%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

void cal_import_result_clear(cal_import_result_t *out)
{
    free(out->failures);
    memset(out, 0, sizeof *out);
}

static void s_fail(cal_import_result_t *out, size_t key, int code, const char *field,
                   const char *msg)
{
    out->failed++;
    if (out->n_failures >= CAL_IMPORT_MAX_FAILURES)
        return;
    if (!out->failures) {
        out->failures = calloc(CAL_IMPORT_MAX_FAILURES, sizeof *out->failures);
        if (!out->failures)
            return;
    }
    cal_import_failure_t *f = &out->failures[out->n_failures++];
    f->key = key;
    f->code = code;
    snprintf(f->field, sizeof f->field, "%s", field ? field : "");
    snprintf(f->message, sizeof f->message, "%s", msg ? msg : "");
}

/* index of key k (keys ascending); -1 if absent */
static long s_find(const size_t *keys, size_t n, size_t k)
{
    if (!keys)
        return k >= 1 && k <= n ? (long)(k - 1) : -1;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == k ? (long)lo : -1;
}

int cal_import_send(const cal_import_opts_t *o, Mvoi__Tender *const *tenders,
                    const size_t *keys, size_t n, cal_import_result_t *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->endpoint || !o->rid_prefix)
        return -EINVAL;
    unsigned window = o->window ? o->window : 2000;
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    bool *done = calloc(n ? n : 1, sizeof *done);
    uint8_t *buf = malloc(CODEC_MAX_BYTES);
    if (!done || !buf) {
        free(done);
        free(buf);
        return -ENOMEM;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = (int)window * 4 + 1000;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    int rc = 0;
    if (zmq_connect(s, o->endpoint) != 0) {
        rc = -EINVAL;
        goto out;
    }
    size_t next = 0, answered = 0, outstanding = 0;
    while (answered < n) {
        /* fill the window */
        while (next < n && outstanding < window) {
            size_t key = keys ? keys[next] : next + 1;
            char rid[160];
            snprintf(rid, sizeof rid, "%s-%zu", o->rid_prefix, key);
            Mvoi__UpsertTender up = MVOI__UPSERT_TENDER__INIT;
            up.tender = tenders[next];
            Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
            env.has_schema_version = 1;
            env.schema_version = CODEC_SCHEMA_VERSION;
            env.producer = (char *)(o->producer ? o->producer : "mvoictl");
            env.request_id = rid;
            env.correlation_id = (char *)o->run_id;
            env.buyer = (char *)o->buyer;
            env.body_case = MVOI__ENVELOPE__BODY_UPSERT_TENDER;
            env.upsert_tender = &up;
            int64_t len = codec_pack_into(&env, buf, CODEC_MAX_BYTES);
            if (len < 0) {
                s_fail(out, key, MVOI__ERROR_CODE__ERR_RESOURCE_EXHAUSTED, "tender",
                       "the tender does not fit in one message");
                done[next] = true;
                answered++;
                next++;
                continue;
            }
            if (zmq_send(s, buf, (size_t)len, ZMQ_DONTWAIT) < 0) {
                if (zmq_errno() == EAGAIN)
                    break;
                rc = -EIO;
                goto out;
            }
            out->sent++;
            outstanding++;
            next++;
        }
        if (answered >= n)
            break;
        zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
        int pr = zmq_poll(&it, 1, outstanding ? timeout : 10);
        if (pr < 0) {
            rc = -EINTR;
            goto out;
        }
        if (pr == 0) {
            if (!outstanding)
                continue;
            out->unavailable = true;
            rc = -EHOSTUNREACH;
            break;
        }
        /* drain what is there */
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            int more = zmq_msg_more(&m);
            if (more) {   /* a streamed item: not ours */
                zmq_msg_close(&m);
                while (more) {
                    zmq_msg_init(&m);
                    zmq_msg_recv(&m, s, 0);
                    more = zmq_msg_more(&m);
                    zmq_msg_close(&m);
                }
                continue;
            }
            int err = 0;
            Mvoi__Envelope *r = codec_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &err);
            zmq_msg_close(&m);
            if (!r)
                continue;
            const char *rid = r->request_id;
            size_t pl = strlen(o->rid_prefix);
            long idx = -1;
            if (rid && strncmp(rid, o->rid_prefix, pl) == 0 && rid[pl] == '-')
                idx = s_find(keys, n, (size_t)strtoull(rid + pl + 1, NULL, 10));
            if (idx < 0 || done[idx]) {
                codec_free(&r);
                continue;
            }
            done[idx] = true;
            answered++;
            if (outstanding)
                outstanding--;
            size_t key = keys ? keys[idx] : (size_t)idx + 1;
            bool repeated = !r->correlation_id || !o->run_id ||
                            strcmp(r->correlation_id, o->run_id) != 0;
            if (r->body_case == MVOI__ENVELOPE__BODY_ERROR) {
                s_fail(out, key, r->error->code, r->error->field, r->error->message);
            } else if (r->body_case == MVOI__ENVELOPE__BODY_TENDER_REPLY) {
                const Mvoi__TenderReply *tr = r->tender_reply;
                if (tr->has_seq && tr->seq > out->last_seq)
                    out->last_seq = tr->seq;
                if (repeated) {
                    out->repeated++;
                    out->unchanged++;
                } else if (tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_CREATED) {
                    out->created++;
                } else if (tr->outcome == MVOI__UPSERT_OUTCOME__UPSERT_UPDATED) {
                    out->updated++;
                } else {
                    out->unchanged++;
                }
            } else {
                s_fail(out, key, MVOI__ERROR_CODE__ERR_INTERNAL, "", "unexpected reply");
            }
            codec_free(&r);
            if (o->progress && (answered % 1000 == 0 || answered == n))
                o->progress(o->progress_arg, answered, n);
        }
    }
    if (out->unavailable) {
        for (size_t i = 0; i < n; i++)
            if (!done[i])
                s_fail(out, keys ? keys[i] : i + 1, MVOI__ERROR_CODE__ERR_UNAVAILABLE, "",
                       "no answer from the service");
    }
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(done);
    free(buf);
    return rc;
}
