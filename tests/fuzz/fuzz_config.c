/*  fuzz_config: an INI configuration file (given with --config) with keys of every type,
 *  and the URL redaction on the same bytes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "config.h"

static const cfg_spec_t s_specs[] = {
    { "api", CFG_ENDPOINT, "tcp://127.0.0.1:7101", "endpoint" },
    { "port", CFG_INT, "8080", "bounded", 1, 65535 },
    { "count", CFG_INT, "0", "unbounded" },
    { "verbose", CFG_BOOL, "false", "bool" },
    { "password", CFG_SECRET, "", "secret" },
    { "smtp_url", CFG_SECRET_URL, "", "secret url" },
    { "name", CFG_STRING, "heerlen", "string" },
    { "dir", CFG_PATH, "/tmp", "path" },
    { "log_level", CFG_STRING, "info", "shared", 0, 0, true },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0)
        fd = memfd_create("fuzz-ini", 0);
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cfg_t *c = cfg_new("calendar", s_specs, sizeof s_specs / sizeof s_specs[0], path, err,
                       sizeof err);
    if (c) {
        FILE *null = fopen("/dev/null", "w");
        cfg_print(c, null);
        fclose(null);
        cfg_destroy(&c);
    }
    char *url = strndup((const char *)data, size);
    if (url) {
        char out[128];
        cfg_redact_url(url, out, sizeof out);
        if (strlen(out) >= sizeof out)
            abort();
        free(url);
    }
    return 0;
}
