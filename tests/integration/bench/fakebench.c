/*  fakebench: a stand-in kpi-aggregator for the benchmark tests, speaking the real Clone
 *  protocol (snapshot on the ROUTER, totals and heartbeats on the PUB) with the totals of
 *  many buyers. Totals come from a seed file and change live from standard input:
 *
 *    <buyer> <kpi> <year> <realisation> [<count>]   one line per year total (all
 *                                                   dimensions); count: the measurements
 *                                                   behind it, when given
 *
 *  For every seeded buyer it also holds a theme total and a quarter total of 10^12 (the
 *  benchmark must ignore them) and answers HealthRequest. A line read on stdin is applied
 *  and published at once; "quit" or EOF stops it.
 *
 *  It also stands in for the calendar's ListTenders (in the envelope's buyer's name, paged
 *  by offset and limit) with tenders from the same seed and stdin:
 *
 *    tender <buyer> <id> <planned publication> <commitments>
 *
 *  commitments: six digits, one per theme (klimaat .. social_return): 0 not in scope,
 *  1 eis, 2 gunning, 3 innovatie, 9 in scope without a commitment; a known id is replaced.
 *  A buyer whose id starts with "x" is refused (Error ERR_NOT_FOUND, as a calendar that does
 *  not know it), so the test sees one refusal not stop the gateway's round.
 *  Usage: fakebench --api EP --pub EP --seed FILE
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "envelope.pb-c.h"

typedef struct {
    char key[200], buyer[80];
    Mvoi__KpiTotal t;
} total_t;

typedef struct {
    char buyer[80], id[80], date[16], themes[8];
} tender_t;

static tender_t *g_ten;
static size_t g_nten;
static total_t *g_tot;
static size_t g_n, g_cap;
static uint64_t g_seq, g_epoch = 1;
static void *g_pub;

static const char *s_kpis[] = { "", "fairtrade", "sroi", "nox", "material", "co2", "pilots" };
static const char *s_units[] = { "", "products", "cent", "mg", "g", "g", "pilots" };

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static total_t *find(const char *buyer, int kpi, unsigned year, unsigned q, int theme)
{
    char key[200];
    if (theme)
        snprintf(key, sizeof key, "kpi.%s.%s.%u.theme.klimaat", buyer, s_kpis[kpi], year);
    else if (q)
        snprintf(key, sizeof key, "kpi.%s.%s.%u-q%u", buyer, s_kpis[kpi], year, q);
    else
        snprintf(key, sizeof key, "kpi.%s.%s.%u", buyer, s_kpis[kpi], year);
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_tot[i].key, key) == 0)
            return &g_tot[i];
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 256;
        g_tot = realloc(g_tot, g_cap * sizeof *g_tot);
        for (size_t i = 0; i < g_n; i++)
            g_tot[i].t.key = g_tot[i].key, g_tot[i].t.buyer = g_tot[i].buyer;
    }
    total_t *t = &g_tot[g_n++];
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    snprintf(t->buyer, sizeof t->buyer, "%s", buyer);
    mvoi__kpi_total__init(&t->t);
    t->t.key = t->key, t->t.buyer = t->buyer;
    t->t.has_kpi = true, t->t.kpi = kpi;
    t->t.has_year = true, t->t.year = year;
    t->t.has_quarter = q > 0, t->t.quarter = q;
    t->t.has_theme = theme > 0, t->t.theme = theme;
    t->t.has_realisation = t->t.has_seq = true;
    t->t.unit = (char *)s_units[kpi];
    return t;
}

static void send_env(void *sock, const void *id, size_t idlen, const char *topic,
                     Mvoi__Envelope *env)
{
    size_t len = mvoi__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len ? len : 1);
    mvoi__envelope__pack(env, buf);
    if (id)
        zmq_send(sock, id, idlen, ZMQ_SNDMORE);
    if (topic)
        zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE);
    zmq_send(sock, buf, len, 0);
    free(buf);
}

static void total_env(total_t *t, Mvoi__Envelope *env)
{
    mvoi__envelope__init(env);
    env->producer = "kpi";
    env->has_epoch = true, env->epoch = g_epoch;
    env->has_seq = true, env->seq = t->t.seq;
    env->buyer = t->buyer;
    env->body_case = MVOI__ENVELOPE__BODY_KPI_TOTAL;
    env->kpi_total = &t->t;
}

static int tender_line(const char *line)
{
    tender_t t;
    if (sscanf(line, "tender %79s %79s %15s %7s", t.buyer, t.id, t.date, t.themes) != 4 ||
        strlen(t.themes) != 6)
        return -1;
    for (size_t i = 0; i < g_nten; i++)
        if (!strcmp(g_ten[i].buyer, t.buyer) && !strcmp(g_ten[i].id, t.id)) {
            g_ten[i] = t;
            return 0;
        }
    g_ten = realloc(g_ten, (g_nten + 1) * sizeof *g_ten);
    g_ten[g_nten++] = t;
    return 0;
}

/* ListTenders for buyer: one page of its tenders */
static void list_tenders(void *sock, zmq_msg_t *id, Mvoi__Envelope *env, const Mvoi__Envelope *req)
{
    if (req->buyer && req->buyer[0] == 'x') {
        Mvoi__Error e = MVOI__ERROR__INIT;
        e.has_code = true;
        e.code = MVOI__ERROR_CODE__ERR_NOT_FOUND;
        e.message = "fakebench: unknown buyer";
        e.field = "buyer";
        env->body_case = MVOI__ENVELOPE__BODY_ERROR;
        env->error = &e;
        send_env(sock, zmq_msg_data(id), zmq_msg_size(id), NULL, env);
        return;
    }
    const Mvoi__ListTenders *q = req->list_tenders;
    uint32_t off = q && q->has_offset ? q->offset : 0, lim = q && q->limit ? q->limit : 50;
    Mvoi__Tender *ts = calloc(g_nten + 1, sizeof *ts), **tp = calloc(g_nten + 1, sizeof *tp);
    Mvoi__ThemeAmbition *as = calloc(g_nten * 6 + 1, sizeof *as), **ap = calloc(g_nten * 6 + 1, sizeof *ap);
    size_t n = 0, na = 0, seen = 0;
    for (size_t i = 0; i < g_nten; i++) {
        if (!req->buyer || strcmp(g_ten[i].buyer, req->buyer) != 0)
            continue;
        if (seen++ < off || n >= lim)
            continue;
        Mvoi__Tender *t = &ts[n];
        mvoi__tender__init(t);
        t->id = g_ten[i].id, t->buyer = g_ten[i].buyer, t->planned_publication = g_ten[i].date;
        t->themes = &ap[na];
        for (int th = 0; th < 6; th++) {
            int c = g_ten[i].themes[th] - '0';
            if (!c)
                continue;
            mvoi__theme_ambition__init(&as[na]);
            as[na].has_theme = true, as[na].theme = th + 1;
            as[na].has_commitment = c != 9, as[na].commitment = c == 9 ? 0 : c;
            ap[na] = &as[na];
            na++, t->n_themes++;
        }
        tp[n] = t;
        n++;
    }
    Mvoi__TenderList l = MVOI__TENDER_LIST__INIT;
    l.n_tenders = n, l.tenders = tp;
    l.has_total = l.has_next_offset = true;
    l.total = (uint32_t)seen;
    l.next_offset = off + n < seen ? off + (uint32_t)n : 0;
    env->body_case = MVOI__ENVELOPE__BODY_TENDER_LIST;
    env->tender_list = &l;
    send_env(sock, zmq_msg_data(id), zmq_msg_size(id), NULL, env);
    free(ts), free(tp), free(as), free(ap);
}

/* "<buyer> <kpi> <year> <value>": set (and publish when live) */
static int apply_line(const char *line, int publish)
{
    if (strncmp(line, "tender ", 7) == 0)
        return tender_line(line);
    char buyer[80], kpi[32];
    unsigned year;
    long long v, count = -1;
    int got = sscanf(line, "%79s %31s %u %lld %lld", buyer, kpi, &year, &v, &count);
    if (got != 4 && got != 5)
        return -1;
    int k = 0;
    for (int i = 1; i <= 6; i++)
        if (strcmp(kpi, s_kpis[i]) == 0)
            k = i;
    if (!k)
        return -1;
    total_t *parts[3] = { find(buyer, k, year, 0, 0), find(buyer, k, year, 2, 0),
                          find(buyer, k, year, 0, 1) };
    parts[0]->t.realisation = v;
    if (count >= 0) {   /* as the aggregator: an awarded ambition, nothing measured: 0 */
        parts[0]->t.has_count = true;
        parts[0]->t.count = count;
    }
    parts[1]->t.realisation = parts[2]->t.realisation = 1000000000000LL;
    for (int i = 0; i < 3; i++) {
        if (!publish && parts[i]->t.seq)
            continue;
        parts[i]->t.seq = ++g_seq;
        if (publish) {
            Mvoi__Envelope env;
            total_env(parts[i], &env);
            send_env(g_pub, NULL, 0, parts[i]->key, &env);
        }
    }
    return 0;
}

static void heartbeat(void)
{
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    Mvoi__Heartbeat hb = MVOI__HEARTBEAT__INIT;
    hb.has_head_seq = hb.has_epoch = true;
    hb.head_seq = g_seq, hb.epoch = g_epoch;
    env.producer = "kpi";
    env.body_case = MVOI__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    send_env(g_pub, NULL, 0, "hb", &env);
}

static void serve(void *sock)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&id, sock, ZMQ_DONTWAIT) < 0 || zmq_msg_recv(&body, sock, 0) < 0)
        goto done;
    Mvoi__Envelope *req = mvoi__envelope__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    if (!req)
        goto done;
    Mvoi__Envelope env = MVOI__ENVELOPE__INIT;
    env.request_id = req->request_id;
    env.buyer = req->buyer;   /* as server.c answers: the request's buyer */
    if (req->body_case == MVOI__ENVELOPE__BODY_SNAPSHOT) {
        const char *prefix = req->snapshot->prefix ? req->snapshot->prefix : "";
        uint32_t count = 0;
        for (size_t i = 0; i < g_n; i++) {
            if (strncmp(g_tot[i].key, prefix, strlen(prefix)) != 0)
                continue;
            Mvoi__Envelope item;
            total_env(&g_tot[i], &item);
            send_env(sock, zmq_msg_data(&id), zmq_msg_size(&id), g_tot[i].key, &item);
            count++;
        }
        Mvoi__SnapshotEnd end = MVOI__SNAPSHOT_END__INIT;
        end.has_seq = end.has_epoch = end.has_count = true;
        end.seq = g_seq, end.epoch = g_epoch, end.count = count;
        env.body_case = MVOI__ENVELOPE__BODY_SNAPSHOT_END;
        env.snapshot_end = &end;
        send_env(sock, zmq_msg_data(&id), zmq_msg_size(&id), NULL, &env);
    } else if (req->body_case == MVOI__ENVELOPE__BODY_LIST_TENDERS) {
        list_tenders(sock, &id, &env, req);
    } else if (req->body_case == MVOI__ENVELOPE__BODY_HEALTH) {
        Mvoi__HealthReply h = MVOI__HEALTH_REPLY__INIT;
        h.service = "kpi-aggregator";
        h.has_live = h.has_ready = h.has_head_seq = h.has_epoch = true;
        h.live = h.ready = true;
        h.head_seq = g_seq, h.epoch = g_epoch;
        env.body_case = MVOI__ENVELOPE__BODY_HEALTH_REPLY;
        env.health_reply = &h;
        send_env(sock, zmq_msg_data(&id), zmq_msg_size(&id), NULL, &env);
    }
    mvoi__envelope__free_unpacked(req, NULL);
done:
    zmq_msg_close(&id);
    zmq_msg_close(&body);
}

int main(int argc, char **argv)
{
    const char *api = NULL, *pub = NULL, *seed = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--api")) api = argv[i + 1];
        else if (!strcmp(argv[i], "--pub")) pub = argv[i + 1];
        else if (!strcmp(argv[i], "--seed")) seed = argv[i + 1];
    }
    FILE *f = seed ? fopen(seed, "r") : NULL;
    if (!api || !pub || !f) {
        fprintf(stderr, "usage: fakebench --api EP --pub EP --seed FILE\n");
        return 2;
    }
    char line[256];
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' && line[0] != '\n' && apply_line(line, 0) != 0)
            fprintf(stderr, "fakebench: bad seed line: %s", line);
    fclose(f);
    /* unbuffered: a second line already in a stdio buffer would wait for the next poll
     * signal on fd 0, which may never come */
    setvbuf(stdin, NULL, _IONBF, 0);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    g_pub = zmq_socket(ctx, ZMQ_PUB);
    int z = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &z, sizeof z);
    zmq_setsockopt(g_pub, ZMQ_LINGER, &z, sizeof z);
    zmq_setsockopt(g_pub, ZMQ_SNDHWM, &z, sizeof z);
    if (zmq_bind(router, api) < 0 || zmq_bind(g_pub, pub) < 0) {
        fprintf(stderr, "fakebench: bind: %s\n", zmq_strerror(errno));
        return 2;
    }
    fprintf(stderr, "fakebench: up, %zu totals\n", g_n);
    int64_t next_hb = 0;
    int in_open = 1;
    for (;;) {
        zmq_pollitem_t items[2] = { { router, 0, ZMQ_POLLIN, 0 }, { NULL, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(items, in_open ? 2 : 1, 50) < 0 && errno != EINTR)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            serve(router);
        if (in_open && (items[1].revents & ZMQ_POLLIN)) {
            if (!fgets(line, sizeof line, stdin) || strncmp(line, "quit", 4) == 0)
                break;
            if (apply_line(line, 1) != 0)
                fprintf(stderr, "fakebench: bad line: %s", line);
            else
                heartbeat();
        }
        if (now_ms() >= next_hb) {
            heartbeat();
            next_hb = now_ms() + 200;
        }
    }
    zmq_close(router);
    zmq_close(g_pub);
    zmq_ctx_term(ctx);
    return 0;
}
