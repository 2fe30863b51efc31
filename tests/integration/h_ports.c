/*  h_ports: TCP ports on 127.0.0.1 for tests that start services on tcp://. See harness.h.
 *
 *  A port the kernel hands out by bind(0) comes from its ephemeral range, the same range
 *  it takes every outgoing connection's local port from. Between the test closing its
 *  probe and a service binding the port, seconds later, a parallel test's connection could
 *  take it (CI saw a kpi-aggregator exit with "Address already in use"). So ports come from
 *  below the ephemeral range, where only a bind names them, and each is reserved for the
 *  test process's life by a lock file that every test of this tree takes the same way
 *  (tests/integration/mvoi_ports.py for the Python scripts). */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 20000-32767 belongs to free_port.py --base (the shell tests); 32768 up is the kernel's. */
#define H_PORT_LO 10000
#define H_PORT_HI 20000
#define H_PORT_DIR "/tmp/mvoi-test-ports"

/* The kernel's ephemeral range starts above ours (it may be configured lower). */
static bool s_range_ours(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int lo = 0, hi = 0;
    if (!f)
        return false;
    int got = fscanf(f, "%d %d", &lo, &hi);
    fclose(f);
    return got == 2 && (lo >= H_PORT_HI || hi < H_PORT_LO);
}

/* Nothing listens on port, nor holds it bound, right now. */
static bool s_bindable(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* The lock on port's file, held (its descriptor left open) until this process exits, or
 * false when another test process has it. */
static bool s_reserve(int port)
{
    char path[64];
    snprintf(path, sizeof path, H_PORT_DIR "/%d", port);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        return false;
    }
    if (!s_bindable(port)) {
        close(fd);
        return false;
    }
    return true;
}

/* The old way, where the range is not ours: kernel-chosen, all bound until all chosen. */
static int s_kernel_ports(int *ports, int n)
{
    int fds[64], rc = 0, i;
    for (i = 0; i < n && rc == 0; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0) {
            rc = -errno;
            break;
        }
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof a;
        if (bind(fds[i], (struct sockaddr *)&a, sizeof a) < 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) < 0)
            rc = -errno;
        ports[i] = ntohs(a.sin_port);
    }
    while (i-- > 0)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

int h_free_tcp_ports(int *ports, int n)
{
    if (n < 1 || n > 64)
        return -EINVAL;
    if (!s_range_ours() || (mkdir(H_PORT_DIR, 0700) < 0 && errno != EEXIST))
        return s_kernel_ports(ports, n);
    const int span = H_PORT_HI - H_PORT_LO;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec;
    int start = (int)(seed % (unsigned)span), got = 0;
    for (int k = 0; k < span && got < n; k++) {
        int port = H_PORT_LO + (start + k) % span;
        if (s_reserve(port))
            ports[got++] = port;
    }
    return got == n ? 0 : -EADDRINUSE;
}

int h_free_tcp_port(void)
{
    int port;
    int rc = h_free_tcp_ports(&port, 1);
    return rc < 0 ? rc : port;
}

/* Bound to a reserved port of ours when the range is, else to one the kernel picks. */
int h_hold_tcp_port(int *fd)
{
    int port = 0;
    if (s_range_ours() && h_free_tcp_ports(&port, 1) < 0)
        port = 0;
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0)
        return -errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(*fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) < 0) {
        int rc = -errno;
        close(*fd);
        *fd = -1;
        return rc;
    }
    return ntohs(a.sin_port);
}
