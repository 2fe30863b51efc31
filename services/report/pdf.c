/*  pdf: the PDF is the HTML report printed by headless Chromium (README.md says why).
 *
 *  The service runs this argv with uv_spawn (never blocking its loop) and kills it after a
 *  timeout; rp_pdf_print() is the blocking variant for tools and tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* "file://" + the path with every byte outside RFC 3986's unreserved set and '/' as %XX. */
static int s_file_url(char *buf, size_t cap, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = (size_t)snprintf(buf, cap, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
        if (n + (plain ? 1 : 3) >= cap)
            return -ENAMETOOLONG;
        if (plain)
            buf[n++] = (char)*p;
        else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = 0;
    return 0;
}

int rp_pdf_argv(const char *chromium, const char *html_path, const char *pdf_path,
                char *urlbuf, size_t urlcap, char *outbuf, size_t outcap, char **argv)
{
    int rc = s_file_url(urlbuf, urlcap, html_path);
    int n = snprintf(outbuf, outcap, "--print-to-pdf=%s", pdf_path);
    if (rc == 0 && (n < 0 || (size_t)n >= outcap))
        rc = -ENAMETOOLONG;
    int i = 0;
    argv[i++] = (char *)chromium;
    argv[i++] = "--headless";
    argv[i++] = "--no-sandbox";
    argv[i++] = "--disable-gpu";
    argv[i++] = "--disable-background-networking";
    argv[i++] = "--disable-component-update";
    argv[i++] = "--no-first-run";
    argv[i++] = "--no-pdf-header-footer";
    argv[i++] = "--disable-dev-shm-usage";
    argv[i++] = "--run-all-compositor-stages-before-draw";
    argv[i++] = outbuf;
    argv[i++] = urlbuf;
    argv[i] = NULL;
    return rc;
}

int rp_pdf_print(const char *chromium, const char *html_path, const char *pdf_path,
                 int timeout_ms)
{
    char url[3 * 4200 + 8], outarg[4300];
    char *argv[RP_PDF_ARGC + 1];
    int rc = rp_pdf_argv(chromium, html_path, pdf_path, url, sizeof url, outarg, sizeof outarg,
                         argv);
    if (rc != 0)
        return rc;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setpgid(0, 0);
        execv(chromium, argv);
        _exit(127);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (el > timeout_ms) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -ETIMEDOUT;
        }
        usleep(20000);
    }
}
