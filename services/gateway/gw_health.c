/*  gw_health: --healthcheck for the gateway, through its own HTTP /healthz or /readyz.
 *
 *  Other services answer a HealthRequest on their ROUTER; the gateway's health is its HTTP
 *  listener and its view of the aggregator, which /readyz already judges. A plain blocking
 *  socket is fine here: this runs in the one-shot --healthcheck process, not in the loop.
 */
#include "gw_health.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"

/* "host:port" or "[v6]:port"; a wildcard host is asked on loopback. */
static int s_split(const char *listen, char *host, size_t hlen, char *port, size_t plen)
{
    const char *colon;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':')
            return -1;
        snprintf(host, hlen, "%.*s", (int)(end - listen - 1), listen + 1);
        colon = end + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return -1;
        snprintf(host, hlen, "%.*s", (int)(colon - listen), listen);
    }
    snprintf(port, plen, "%s", colon + 1);
    if (!*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
        snprintf(host, hlen, "127.0.0.1");
    else if (strcmp(host, "::") == 0)
        snprintf(host, hlen, "::1");
    return 0;
}

int gw_healthcheck(cfg_t *cfg, bool want_ready)
{
    const char *listen = cfg_str(cfg, "listen");
    char host[256], port[16];
    if (!listen || s_split(listen, host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "healthcheck: cannot read the listen address '%s'\n",
                listen ? listen : "");
        return 1;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        fprintf(stderr, "healthcheck: cannot resolve %s\n", listen);
        return 1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    struct timeval tv = { 2, 0 };   /* applies to connect, send and receive */
    int ok = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        char req[128];
        int n = snprintf(req, sizeof req, "GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n",
                         want_ready ? "readyz" : "healthz", host);
        char buf[64] = "";
        if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
            ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
            if (got > 0) {
                buf[got] = 0;
                ok = strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0 ? 0 : 1;
            }
        }
        if (ok)
            fprintf(stderr, "healthcheck: %s answered '%.12s' to /%s\n", listen, buf,
                    want_ready ? "readyz" : "healthz");
    } else {
        fprintf(stderr, "healthcheck: cannot connect to %s\n", listen);
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return ok;
}
