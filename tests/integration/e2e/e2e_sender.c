/*  e2e_sender: the pipelined DEALER sender with retries. See e2e.h. */
#include "e2e.h"
#include "mvoi_curve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* ================================================================ sender */

struct e2e_sender {
    void *zctx, *sock;
    char endpoint[256];
    int window, retry_ms;
    size_t resent, duplicates;
};

static void *s_dealer(void *zctx, const char *ep)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    mvoi_curve_client(s, ep);   /* CURVE when the test set a key (e2e_fleet_curve) */
    zmq_connect(s, ep);
    return s;
}

e2e_sender_t *e2e_sender_new(void *zctx, const char *endpoint, int window, int retry_ms)
{
    e2e_sender_t *s = calloc(1, sizeof *s);
    s->zctx = zctx;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    s->window = window;
    s->retry_ms = retry_ms;
    s->sock = s_dealer(zctx, endpoint);
    return s;
}

void e2e_sender_destroy(e2e_sender_t **self_p)
{
    e2e_sender_t *s = *self_p;
    if (!s)
        return;
    *self_p = NULL;
    zmq_close(s->sock);
    free(s);
}

size_t e2e_sender_resent(const e2e_sender_t *s) { return s->resent; }
size_t e2e_sender_duplicates(const e2e_sender_t *s) { return s->duplicates; }

static int s_send(e2e_sender_t *s, const e2e_wl_t *w, size_t i)
{
    char rid[64];
    size_t len;
    uint8_t *buf = e2e_encode(w, i, &len, rid, sizeof rid);
    int rc = zmq_send(s->sock, buf, len, 0);
    free(buf);
    return rc < 0 ? -errno : 0;
}

/* 1 ok, 0 retry later (ERR_UNAVAILABLE), -EPROTO failure (err set). */
static int s_check(const e2e_wl_t *w, size_t i, const Mvoi__Envelope *e, size_t *dups,
                   char *err, size_t errlen)
{
    const e2e_req_t *r = &w->req[i];
    if (e->body_case == MVOI__ENVELOPE__BODY_ERROR) {
        if (e->error->code == MVOI__ERROR_CODE__ERR_UNAVAILABLE)
            return 0;
        snprintf(err, errlen, "request %zu (kind %d): error %d %s: %s", i, r->kind,
                 e->error->code, e->error->field ? e->error->field : "",
                 e->error->message ? e->error->message : "");
        return -EPROTO;
    }
    if (r->kind == R_TENDER || r->kind == R_CANCEL) {
        if (e->body_case != MVOI__ENVELOPE__BODY_TENDER_REPLY) {
            snprintf(err, errlen, "request %zu: unexpected reply %d", i, e->body_case);
            return -EPROTO;
        }
        return 1;
    }
    if (e->body_case != MVOI__ENVELOPE__BODY_MEASUREMENT_REPLY
        || e->measurement_reply->n_results != (r->kind == R_SUBMIT ? r->n : 1)) {
        snprintf(err, errlen, "request %zu: unexpected reply %d", i, e->body_case);
        return -EPROTO;
    }
    for (size_t k = 0; k < e->measurement_reply->n_results; k++) {
        const Mvoi__MeasurementResult *x = e->measurement_reply->results[k];
        if (!x->ok) {
            snprintf(err, errlen, "request %zu item %zu (%s): %s: %s", i, k,
                     x->id ? x->id : "", x->error && x->error->field ? x->error->field : "",
                     x->error && x->error->message ? x->error->message : "");
            return -EPROTO;
        }
        if (x->duplicate) {
            (*dups)++;
            if (getenv("E2E_DEBUG"))
                fprintf(stderr, "e2e: request %zu (kind %d, %zu items) item %zu %s: duplicate\n",
                        i, r->kind, e->measurement_reply->n_results, k, x->id ? x->id : "");
        }
    }
    return 1;
}

int e2e_sender_run(e2e_sender_t *s, const e2e_wl_t *w, size_t from, size_t to,
                   e2e_hook_fn *hook, void *arg, int timeout_ms, char *err, size_t errlen)
{
    size_t n = to - from;
    uint8_t *st = calloc(n, 1);              /* 0 pending, 1 in flight, 2 acked */
    int64_t *sent = calloc(n, sizeof *sent);
    size_t next = 0, acked = 0, inflight = 0;
    int64_t progress = h_now_ms();
    int rc = 0;
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "e2e-%llx-", (unsigned long long)w->rid_seed);
    while (acked < n) {
        /* send what the window and the dependencies allow, in order */
        while (next < n && inflight < (size_t)s->window) {
            int32_t d = w->req[from + next].dep;
            if (d >= 0 && (size_t)d >= from && st[d - from] != 2)
                break;
            if ((rc = s_send(s, w, from + next)) < 0)
                goto out;
            st[next] = 1;
            sent[next] = h_now_ms();
            inflight++;
            next++;
        }
        zmq_pollitem_t it = { s->sock, 0, ZMQ_POLLIN, 0 };
        int p = zmq_poll(&it, 1, 50);
        int64_t now = h_now_ms();
        bool restarted = false;
        if (p > 0) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) >= 0) {
                Mvoi__Envelope *e = mvoi__envelope__unpack(NULL, zmq_msg_size(&m),
                                                           zmq_msg_data(&m));
                zmq_msg_close(&m);
                size_t i;
                if (e && e->request_id && strncmp(e->request_id, prefix, (size_t)plen) == 0
                    && sscanf(e->request_id + plen, "%zu", &i) == 1 && i >= from && i < to
                    && st[i - from] == 1) {
                    int c = s_check(w, i, e, &s->duplicates, err, errlen);
                    if (c < 0) {
                        mvoi__envelope__free_unpacked(e, NULL);
                        rc = c;
                        goto out;
                    }
                    if (c == 0) {
                        sent[i - from] = now - s->retry_ms + 200;   /* retry in 200 ms */
                    } else {
                        st[i - from] = 2;
                        inflight--;
                        acked++;
                        progress = now;
                        if (hook && hook(arg, acked))
                            restarted = true;
                    }
                }
                if (e)
                    mvoi__envelope__free_unpacked(e, NULL);
            } else {
                zmq_msg_close(&m);
            }
        }
        if (restarted) {
            /* the server restarted: what was in flight may be lost; a new connection,
             * and every unacknowledged request again with the same request id */
            zmq_close(s->sock);
            s->sock = s_dealer(s->zctx, s->endpoint);
            for (size_t k = 0; k < next; k++)
                if (st[k] == 1) {
                    if ((rc = s_send(s, w, from + k)) < 0)
                        goto out;
                    sent[k] = now;
                    s->resent++;
                    if (getenv("E2E_DEBUG"))
                        fprintf(stderr, "e2e: resend %zu after restart\n", from + k);
                }
        } else {
            for (size_t k = 0; k < next; k++)
                if (st[k] == 1 && now - sent[k] > s->retry_ms) {
                    if ((rc = s_send(s, w, from + k)) < 0)
                        goto out;
                    sent[k] = now;
                    s->resent++;
                    if (getenv("E2E_DEBUG"))
                        fprintf(stderr, "e2e: resend %zu after timeout\n", from + k);
                }
        }
        if (now - progress > timeout_ms) {
            snprintf(err, errlen, "no progress for %d ms (%zu of %zu acknowledged)",
                     timeout_ms, acked, n);
            rc = -ETIMEDOUT;
            goto out;
        }
    }
out:
    free(st);
    free(sent);
    return rc;
}
