/*  Slow clients cannot lock others out of the gateway (real mvoi-gateway process, real TCP):
 *  the per-address limit keeps one address from taking the connection limit, the request
 *  deadline closes connections that trickle a header line every few hundred ms (MHD's idle
 *  timer alone would keep them forever), and SSE streams outlive the deadline.
 *  Any 127/8 address is loopback on Linux, so "other clients" connect from 127.0.0.2. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "gwt.h"

#define SLOW_MAX 64

static gwt_env_t E;

static void s_down(void) { gwt_stop(&E); }

TestSuite(gateway_slow, .fini = s_down, .timeout = 60);

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_up(const char *const *env)
{
    cr_assert_eq(gwt_start(&E, env), 0, "fake + gateway start (logs in %s)", E.dir);
    cr_assert_eq(gwt_wait_ready(&E, 10000), 0, "gateway ready (logs in %s)", E.dir);
}

/* A TCP connection to the gateway from the source address src. */
static int s_connect_from(const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    inet_pton(AF_INET, src, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    a.sin_port = htons((uint16_t)E.http_port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* GET /healthz from src: the status, or -1; *took gets the milliseconds it took. */
static int s_get_from(const char *src, int64_t *took)
{
    int64_t t0 = s_ms();
    int fd = s_connect_from(src);
    if (fd < 0)
        return -1;
    const char *req = "GET /healthz HTTP/1.0\r\n\r\n";
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    char buf[2048];
    size_t n = 0;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    *took = s_ms() - t0;
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

/* Slow clients: each sent the start of a request and trickles one header line at a time. */
typedef struct {
    int fd[SLOW_MAX];
    int64_t opened[SLOW_MAX], closed[SLOW_MAX];   /* closed: when the server closed it */
    int n;
} slow_t;

static void s_slow_open(slow_t *s, const char *src, int n)
{
    for (int i = 0; i < n && s->n < SLOW_MAX; i++) {
        int fd = s_connect_from(src);
        cr_assert(fd >= 0, "slow connection %d from %s", i, src);
        const char *start = "GET / HTTP/1.1\r\nHost: mvoi\r\n";
        send(fd, start, strlen(start), MSG_NOSIGNAL);
        s->opened[s->n] = s_ms();
        s->closed[s->n] = 0;
        s->fd[s->n++] = fd;
    }
}

/* One more header line on every open slow connection; notes those the server closed. */
static int s_slow_trickle(slow_t *s)
{
    int open = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->closed[i])
            continue;
        struct pollfd p = { s->fd[i], POLLIN, 0 };
        char c[256];
        bool gone = poll(&p, 1, 0) > 0 && recv(s->fd[i], c, sizeof c, MSG_DONTWAIT) <= 0;
        if (!gone && send(s->fd[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT) < 0
            && errno != EAGAIN)
            gone = true;
        if (gone)
            s->closed[i] = s_ms();
        else
            open++;
    }
    return open;
}

static void s_slow_close(slow_t *s)
{
    for (int i = 0; i < s->n; i++)
        close(s->fd[i]);
    s->n = 0;
}

/* The attack on the defaults: 32 slow connections from one address. Another
 * address is served within 1 s, again and again, while they hold. */
Test(gateway_slow, thirty_two_slow_connections_on_the_defaults)
{
    s_up(NULL);
    slow_t s = { .n = 0 };
    s_slow_open(&s, "127.0.0.1", 32);
    int64_t end = s_ms() + 4000;
    int served = 0;
    while (s_ms() < end) {
        s_slow_trickle(&s);
        int64_t took = 0;
        int st = s_get_from("127.0.0.2", &took);
        cr_expect_eq(st, 200, "normal client: status %d", st);
        cr_expect_leq(took, 1000, "normal client served in %lld ms", (long long)took);
        served++;
        usleep(400 * 1000);
    }
    cr_expect_geq(served, 5);
    s_slow_close(&s);
}

/* One address cannot take the whole connection limit: 40 slow connections from 127.0.0.1
 * against a limit of 16 with 8 per address; 8 stay, the rest are refused, and 127.0.0.2 is
 * served within 1 s throughout (the deadline is long here, so only the per-address limit
 * can do that). */
Test(gateway_slow, per_address_limit)
{
    const char *env[] = { "MVOI_GATEWAY_CONNECTION_LIMIT=16", "MVOI_GATEWAY_PER_IP_LIMIT=8",
                          "MVOI_GATEWAY_REQUEST_DEADLINE_MS=60000", NULL };
    s_up(env);
    slow_t s = { .n = 0 };
    s_slow_open(&s, "127.0.0.1", 40);
    int64_t end = s_ms() + 3000;
    int open = 0;
    while (s_ms() < end) {
        usleep(300 * 1000);
        open = s_slow_trickle(&s);
        int64_t took = 0;
        int st = s_get_from("127.0.0.2", &took);
        cr_expect_eq(st, 200, "normal client: status %d", st);
        cr_expect_leq(took, 1000, "normal client served in %lld ms", (long long)took);
    }
    cr_expect_eq(open, 8, "slow connections the gateway kept: %d, want 8", open);
    s_slow_close(&s);
}

/* The deadline frees the total limit: 16 slow connections from 16 addresses fill a limit of
 * 16 and keep sending a header line every 200 ms (an idle timer would never fire); each is
 * closed between 1.5 s and 2.5 s after it opened; then another client is served within 1 s. */
Test(gateway_slow, request_deadline_closes_tricklers)
{
    const char *env[] = { "MVOI_GATEWAY_CONNECTION_LIMIT=16", "MVOI_GATEWAY_PER_IP_LIMIT=8",
                          "MVOI_GATEWAY_REQUEST_DEADLINE_MS=1500", NULL };
    s_up(env);
    slow_t s = { .n = 0 };
    for (int i = 0; i < 16; i++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.1.%d", i + 1);
        s_slow_open(&s, src, 1);
    }
    int64_t took = 0;
    int64_t t0 = s_ms();
    int open = 16;
    while (open > 0 && s_ms() - t0 < 5000) {
        usleep(200 * 1000);
        open = s_slow_trickle(&s);
    }
    cr_expect_eq(open, 0, "slow connections still open after 5 s: %d", open);
    for (int i = 0; i < s.n; i++) {
        int64_t life = s.closed[i] - s.opened[i];
        cr_expect(life >= 1500 && life <= 2500, "slow connection %d lived %lld ms", i,
                  (long long)life);
    }
    int st = s_get_from("127.0.0.2", &took);
    cr_expect_eq(st, 200);
    cr_expect_leq(took, 1000, "served in %lld ms once the tricklers were cut", (long long)took);
    gwt_resp_t r;
    cr_assert_eq(gwt_http(E.http_port, "GET", "/metrics", NULL, NULL, 0, &r, 5000), 0);
    cr_expect(strstr(r.body, "\nmvoi_gateway_http_deadline_closed_total 16\n") != NULL,
              "deadline counter: %s", strstr(r.body, "deadline") ? strstr(r.body, "deadline")
                                                                  : "(none)");
    gwt_resp_free(&r);
    s_slow_close(&s);
}

/* A slow body counts too: a POST whose 100-byte body trickles in is closed at the deadline. */
Test(gateway_slow, slow_body_is_cut)
{
    const char *env[] = { "MVOI_GATEWAY_REQUEST_DEADLINE_MS=1000", NULL };
    s_up(env);
    int fd = s_connect_from("127.0.0.1");
    cr_assert(fd >= 0);
    const char *h = "POST /api/measurements HTTP/1.1\r\nHost: mvoi\r\n"
                    "Authorization: Bearer " GWT_TOKEN_SUBMIT "\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    send(fd, h, strlen(h), MSG_NOSIGNAL);
    int64_t t0 = s_ms(), closed = 0;
    for (int i = 0; i < 30 && !closed; i++) {
        usleep(100 * 1000);
        char c[512];
        struct pollfd p = { fd, POLLIN, 0 };
        if ((poll(&p, 1, 0) > 0 && recv(fd, c, sizeof c, MSG_DONTWAIT) <= 0)
            || send(fd, " ", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            closed = s_ms() - t0;
    }
    close(fd);
    cr_expect(closed >= 1000 && closed <= 2000, "slow body cut after %lld ms",
              (long long)closed);
}

/* An SSE stream is a request that has arrived: the deadline never cuts it. */
Test(gateway_slow, sse_outlives_the_deadline)
{
    const char *env[] = { "MVOI_GATEWAY_REQUEST_DEADLINE_MS=500",
                          "MVOI_GATEWAY_SSE_HEARTBEAT_MS=200", NULL };
    s_up(env);
    gwt_sse_t *sse = gwt_sse_open(E.http_port, NULL);
    cr_assert(sse != NULL);
    cr_assert_geq(gwt_sse_read(sse, 3000, 0, 1), 1, "snapshot");
    cr_expect_geq(gwt_sse_read(sse, 2000, 0, 0), 0, "stream alive 4 deadlines later");
    uint64_t last = gwt_fake_generate(E.api, 10, 0);
    cr_assert_gt(last, 0);
    long got = gwt_sse_read(sse, 5000, last, 0);
    cr_expect_geq(got, 1, "updates after the deadline: %ld", got);
    cr_expect_eq(gwt_sse_last_id(sse), last);
    gwt_sse_free(sse);
}
