/*  bench_peer: per-hop timestamps for bench_e2e (see bench_peer.h). */
#include "bench_peer.h"
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void hops_init(hops_t *h, uint32_t n)
{
    memset(h, 0, sizeof *h);
    h->n = n;
    h->ack = calloc(n + 1, sizeof *h->ack);
    h->ev = calloc(n + 1, sizeof *h->ev);
    h->shown = calloc(n + 1, sizeof *h->shown);
    h->req_first = calloc(n + 1, sizeof *h->req_first);
    h->req_n = calloc(n + 1, sizeof *h->req_n);
    h->req_sent = calloc(n + 1, sizeof *h->req_sent);
}

void hops_fini(hops_t *h)
{
    free(h->ack);
    free(h->ev);
    free(h->shown);
    free(h->req_first);
    free(h->req_n);
    free(h->req_sent);
}

void hops_sent(hops_t *h, uint32_t first, uint32_t k, int64_t t)
{
    if (h->nreq < h->n) {
        h->req_sent[h->nreq] = t;
        h->req_first[h->nreq] = first;
        h->req_n[h->nreq++] = k;
    }
}

void hops_acked(hops_t *h, int replies, int64_t t)
{
    for (int r = 0; r < replies && h->reqs_acked < h->nreq; r++, h->reqs_acked++)
        for (uint32_t i = 0; i < h->req_n[h->reqs_acked]; i++)
            if (h->req_first[h->reqs_acked] + i < h->n)
                h->ack[h->req_first[h->reqs_acked] + i] = t;
}

void hops_events(hops_t *h, void *isub, int64_t t)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, isub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (more) {   /* [topic][envelope]: one event, or an EventBatch of several */
            zmq_msg_init(&m);
            zmq_msg_recv(&m, isub, 0);
            codec_slice_t body, ev;
            uint32_t k = 1;
            if (codec_batch_open(zmq_msg_data(&m), zmq_msg_size(&m), &body) == 1)
                for (k = 0; codec_batch_next(&body, &ev) == 1; k++) {
                }
            zmq_msg_close(&m);
            for (; k && h->events < h->n; k--)
                h->ev[h->events++] = t;
        }
    }
}

void hops_shown(hops_t *h, uint32_t i, int64_t t)
{
    if (i < h->n)
        h->shown[i] = t;
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_stat(const char *name, int64_t *v, uint32_t k)
{
    if (!k)
        return;
    qsort(v, k, sizeof *v, s_cmp64);
    printf("    %-52s p50 %6.3f ms  p99 %6.3f ms\n", name, v[k / 2] / 1e6,
           v[(uint32_t)((k - 1) * 0.99)] / 1e6);
}

void hops_print(const hops_t *h, const int64_t *intended, uint32_t skip, uint32_t done)
{
    uint32_t cap = done > skip ? done - skip : 0, k[4] = { 0 };
    int64_t *v[4];
    for (int j = 0; j < 4; j++)
        v[j] = calloc(cap + 1, sizeof *v[j]);
    for (uint32_t i = skip; i < done; i++) {
        if (!h->ack[i] || !h->ev[i] || !h->shown[i])
            continue;
        v[0][k[0]++] = h->ack[i] - intended[i];
        v[1][k[1]++] = h->ev[i] - intended[i];
        v[2][k[2]++] = h->ev[i] - h->ack[i];
        v[3][k[3]++] = h->shown[i] - h->ev[i];
    }
    printf("  per hop (client timestamps, %u measurements):\n", k[0]);
    s_stat("send -> impact reply (queue, commit, flushes)", v[0], k[0]);
    s_stat("send -> ImpactEvent on the impact PUB", v[1], k[1]);
    s_stat("impact reply -> ImpactEvent (publish point)", v[2], k[2]);
    s_stat("ImpactEvent -> kpi total (aggregator: feed, commit, publish)", v[3], k[3]);
    for (int j = 0; j < 4; j++)
        free(v[j]);
}

void hops_dump(const hops_t *h, const int64_t *intended, uint32_t done, uint64_t run,
               uint64_t base)
{
    const char *p = getenv("MVOI_TRACE_HOPS");
    if (!p || !*p)
        return;
    char path[600];
    snprintf(path, sizeof path, "%s.client", p);
    FILE *fp = fopen(path, "a");
    if (!fp)
        return;
    for (uint32_t r = 0; r < h->nreq; r++)
        for (uint32_t j = 0; j < h->req_n[r]; j++) {
            uint32_t i = h->req_first[r] + j;
            if (i >= done)
                continue;
            fprintf(fp, "bench-%llx-%llu %lld %lld %lld %lld %lld\n", (unsigned long long)run,
                    (unsigned long long)(base + h->req_first[r] + h->req_n[r]),
                    (long long)intended[i], (long long)h->req_sent[r], (long long)h->ack[i],
                    (long long)h->ev[i], (long long)h->shown[i]);
        }
    fclose(fp);
}
